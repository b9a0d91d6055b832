//! The voter rules, each a named check with its reason in every refusal.
//!
//! | rule | passes when |
//! |---|---|
//! | [`Rule::Omani`] | nationality is `OM` (naturalised citizens included) |
//! | [`Rule::MinimumAge`] | 21 years old on 1 January of the election year |
//! | [`Rule::AddressWilayat`] | the wilayat is the permanent or the current address's |
//! | [`Rule::NotSecurityMilitary`] | not serving in a security or military body |
//! | [`Rule::IdCardValid`] | the ID card's last valid day is on or after the election day |
//!
//! [`check_voter`] runs them all and returns every one that fails, so a citizen learns
//! everything that stands in their way at once. Other modules reuse [`Refusal`] for their
//! own rules (windows, transfers, candidacy, identity).

use sawt_election::geography::WilayatId;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, age_on, show_date};
use crate::roll::{OMANI, RollRecord};

/// The voting age on 1 January of the election year.
pub const VOTING_AGE: i32 = 21;

/// A named rule of the registry.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The citizen is Omani.
    Omani,
    /// The voting age.
    MinimumAge,
    /// Registered where the ID card's permanent or current address is.
    AddressWilayat,
    /// Not serving in a security or military body.
    NotSecurityMilitary,
    /// The ID card is valid on the election day.
    IdCardValid,
    /// The action's window is open.
    Window,
    /// The person is in the imported roll.
    InRoll,
    /// Not registered already (to register), or registered (to transfer, object, stand).
    Registration,
    /// A transfer goes to the other address's wilayat.
    TransferTarget,
    /// The voter lists are frozen (or not yet, for what needs them final).
    ListsFrozen,
    /// An objection is well-formed and decided once.
    Objection,
    /// The candidacy age.
    CandidateAge,
    /// The candidate is registered in the contest's wilayat.
    CandidateRegistered,
    /// At least a general secondary diploma.
    Education,
    /// No final conviction for a felony or a crime of honour.
    NoConviction,
    /// Good reputation.
    GoodReputation,
    /// Sound mind (municipal).
    SoundMind,
    /// Not a member of the Shura or State Council (municipal).
    NotCouncilMember,
    /// Living and working in Oman (municipal).
    LivesAndWorksInOman,
    /// An application is in a state that allows the action.
    Application,
    /// The identity assertion's signature is the identity provider's.
    AssertionSignature,
    /// The identity assertion is fresh and not replayed.
    AssertionFresh,
    /// The identity assertion is for this election.
    AssertionElection,
    /// The credential is a valid key, not enrolled already.
    Credential,
}

impl Rule {
    /// The rule's name (kebab-case), as in refusals.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A refusal: the rule that failed and why, in words for the citizen or official.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason} ({})", rule.name())]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// Why.
    pub reason: String,
}

impl Refusal {
    /// A refusal under `rule`.
    pub fn new(rule: Rule, reason: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            reason: reason.into(),
        }
    }
}

/// Every rule that failed, in the order checked (never empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
pub struct Refusals(pub Vec<Refusal>);

impl From<Refusal> for Refusals {
    fn from(r: Refusal) -> Self {
        Refusals(vec![r])
    }
}

/// [`Rule::Omani`].
pub fn omani(p: &RollRecord) -> Result<(), Refusal> {
    if p.nationality == OMANI {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::Omani,
            format!(
                "only Omani citizens vote; the ID card says {}",
                p.nationality
            ),
        ))
    }
}

/// [`Rule::MinimumAge`] (or [`Rule::CandidateAge`]) at `years` on the age reference date.
pub fn minimum_age(
    p: &RollRecord,
    calendar: &Calendar,
    years: i32,
    rule: Rule,
) -> Result<(), Refusal> {
    let on = calendar.age_reference();
    let age = age_on(p.date_of_birth, on);
    if age >= years {
        Ok(())
    } else {
        Err(Refusal::new(
            rule,
            format!(
                "must be {years} years old on {}; {age} on that day",
                show_date(on)
            ),
        ))
    }
}

/// [`Rule::AddressWilayat`] for `wilayat`.
pub fn address_wilayat(p: &RollRecord, wilayat: &WilayatId) -> Result<(), Refusal> {
    if p.address_wilayats().contains(&wilayat) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::AddressWilayat,
            format!(
                "{} is neither the permanent nor the current address's wilayat on the ID card",
                wilayat.0
            ),
        ))
    }
}

/// [`Rule::NotSecurityMilitary`].
pub fn not_security_military(p: &RollRecord) -> Result<(), Refusal> {
    if p.security_military {
        Err(Refusal::new(
            Rule::NotSecurityMilitary,
            "members of security and military bodies do not vote or stand while serving",
        ))
    } else {
        Ok(())
    }
}

/// [`Rule::IdCardValid`]: the card's last valid day is on or after the election day.
pub fn id_card_valid(p: &RollRecord, calendar: &Calendar) -> Result<(), Refusal> {
    let day = calendar.election_day();
    if p.id_card_expiry >= day {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::IdCardValid,
            format!(
                "the ID card expires before the election day {}; renew it first",
                show_date(day)
            ),
        ))
    }
}

/// Every voter rule for voting in `wilayat`: `Ok`, or all the refusals.
pub fn check_voter(
    p: &RollRecord,
    calendar: &Calendar,
    wilayat: &WilayatId,
) -> Result<(), Refusals> {
    let refusals: Vec<Refusal> = [
        omani(p),
        minimum_age(p, calendar, VOTING_AGE, Rule::MinimumAge),
        address_wilayat(p, wilayat),
        not_security_military(p),
        id_card_valid(p, calendar),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Refusals(refusals))
    }
}
