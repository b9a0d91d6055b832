//! Objections against the preliminary voter lists: filed in the objection period, decided by
//! a registry official with reasons, before the lists are frozen.
//!
//! An **inclusion** objection says the subject should not be on a wilayat's list; upheld, it
//! strikes them off. An **omission** objection says the subject should be on it; upheld, it
//! registers (or transfers) them there, which every voter rule must allow.

use sawt_election::geography::WilayatId;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::calendar::{Calendar, Period};
use crate::civil::CivilNumber;
use crate::eligibility::{Refusal, Refusals, Rule};
use crate::registration::{Change, change_to};
use crate::roll::RollRecord;

/// The longest grounds or reasons accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// What an objection claims.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectionKind {
    /// The subject should not be on the wilayat's list.
    Inclusion,
    /// The subject should be on the wilayat's list.
    Omission,
}

impl ObjectionKind {
    /// `"inclusion"` or `"omission"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionKind::Inclusion => "inclusion",
            ObjectionKind::Omission => "omission",
        }
    }

    /// Parses [`ObjectionKind::as_str`].
    pub fn parse(s: &str) -> Option<ObjectionKind> {
        match s {
            "inclusion" => Some(ObjectionKind::Inclusion),
            "omission" => Some(ObjectionKind::Omission),
            _ => None,
        }
    }
}

/// An objection as filed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    /// What it claims.
    pub kind: ObjectionKind,
    /// Whom it concerns.
    pub subject: CivilNumber,
    /// Which list.
    pub wilayat: WilayatId,
    /// Why, in the objector's words.
    pub grounds: String,
}

/// An official's ruling.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ruling {
    /// The objection is right: the list changes.
    Upheld,
    /// The objection is wrong: the list stays.
    Dismissed,
}

/// Checks free text (grounds, reasons): 1 to [`MAX_TEXT_CHARS`] characters, not blank.
pub fn check_text(rule: Rule, what: &str, s: &str) -> Result<(), Refusal> {
    if s.trim().is_empty() || s.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::new(
            rule,
            format!("{what}: 1 to {MAX_TEXT_CHARS} characters, not blank"),
        ));
    }
    Ok(())
}

/// Checks a filing at `now_ms`: inside the objection period, grounds given, lists not frozen.
pub fn check_filing(
    o: &Objection,
    lists_frozen: bool,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<(), Refusal> {
    calendar.check(Period::Objections, now_ms)?;
    if lists_frozen {
        return Err(Refusal::new(Rule::ListsFrozen, "the voter lists are final"));
    }
    check_text(Rule::Objection, "the grounds", &o.grounds)
}

/// The list change an official's ruling makes, given the subject's record and current
/// registration: `None` when dismissed. An upheld objection must be consistent with the
/// lists (an inclusion objection names the subject's current list) and, for an omission,
/// with every voter rule.
pub fn decide(
    o: &Objection,
    ruling: Ruling,
    reason: &str,
    by: &Actor,
    subject: &RollRecord,
    current: Option<&WilayatId>,
    calendar: &Calendar,
) -> Result<Option<Change>, Refusals> {
    if by.role != Role::RegistryOfficial {
        return Err(Refusal::new(
            Rule::Objection,
            "objections are decided by a registry official",
        )
        .into());
    }
    check_text(Rule::Objection, "the decision's reason", reason)?;
    if ruling == Ruling::Dismissed {
        return Ok(None);
    }
    match o.kind {
        ObjectionKind::Inclusion => {
            if current != Some(&o.wilayat) {
                return Err(Refusal::new(
                    Rule::Objection,
                    format!("the subject is not on {}'s list", o.wilayat.0),
                )
                .into());
            }
            Ok(Some(Change::Remove {
                wilayat: o.wilayat.clone(),
            }))
        }
        ObjectionKind::Omission => change_to(subject, current, &o.wilayat, calendar).map(Some),
    }
}
