//! Registration and transfer: who may be put on which wilayat's voter list, and when.
//!
//! A citizen **registers** in the wilayat of their permanent or current address, or
//! **transfers** a registration to the other one, only inside the registration window and
//! only while the lists are not frozen; every voter rule must hold for the target wilayat.
//! A transfer is one change from one wilayat to another (the server applies it as a single
//! conditional update, so a voter is never registered in two wilayats, nor in none).
//!
//! After the window: the **preliminary lists** are the registrations at its end; the
//! [`crate::objection`] period follows; then the lists are **frozen** ([`check_freeze`])
//! and become final.

use sawt_election::geography::WilayatId;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Period};
use crate::eligibility::{Refusal, Refusals, Rule, check_voter};
use crate::roll::RollRecord;

/// A change to the voter lists.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// A first registration.
    Register {
        /// Where.
        wilayat: WilayatId,
    },
    /// A move from one wilayat's list to another's.
    Transfer {
        /// The current registration.
        from: WilayatId,
        /// The new one.
        to: WilayatId,
    },
    /// A registration struck off (an upheld objection).
    Remove {
        /// The list it leaves.
        wilayat: WilayatId,
    },
}

/// The change that puts `p` on `target`'s list, given their current registration, ignoring
/// the window (objection rulings use it after the window). Every voter rule must hold.
pub fn change_to(
    p: &RollRecord,
    current: Option<&WilayatId>,
    target: &WilayatId,
    calendar: &Calendar,
) -> Result<Change, Refusals> {
    let change = match current {
        Some(c) if c == target => {
            return Err(Refusal::new(
                Rule::Registration,
                format!("already registered in {}", target.0),
            )
            .into());
        }
        Some(c) => {
            if !p.address_wilayats().contains(&target) {
                return Err(Refusal::new(
                    Rule::TransferTarget,
                    format!(
                        "a registration moves only to the wilayat of the other address on the ID card, not {}",
                        target.0
                    ),
                )
                .into());
            }
            Change::Transfer {
                from: c.clone(),
                to: target.clone(),
            }
        }
        None => Change::Register {
            wilayat: target.clone(),
        },
    };
    check_voter(p, calendar, target)?;
    Ok(change)
}

/// A citizen's own request to register in, or transfer to, `target` at `now_ms`.
pub fn request(
    p: &RollRecord,
    current: Option<&WilayatId>,
    target: &WilayatId,
    lists_frozen: bool,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<Change, Refusals> {
    calendar.check(Period::Registration, now_ms)?;
    if lists_frozen {
        return Err(Refusal::new(Rule::ListsFrozen, "the voter lists are final").into());
    }
    change_to(p, current, target, calendar)
}

/// Whether the lists may be frozen at `now_ms`: after the objection period, every
/// objection decided, before voting opens.
pub fn check_freeze(
    calendar: &Calendar,
    now_ms: u64,
    undecided_objections: u64,
) -> Result<(), Refusal> {
    if now_ms < calendar.objections_end_ms() {
        return Err(Refusal::new(
            Rule::ListsFrozen,
            format!(
                "the objection period runs until {}",
                calendar.show(calendar.objections_end_ms())
            ),
        ));
    }
    if undecided_objections > 0 {
        return Err(Refusal::new(
            Rule::ListsFrozen,
            format!("{undecided_objections} objections are still undecided"),
        ));
    }
    if now_ms >= calendar.voting_opens_ms() {
        return Err(Refusal::new(
            Rule::ListsFrozen,
            "voting has opened; the lists had to be final before",
        ));
    }
    Ok(())
}
