//! # sawt-registry
//!
//! Who may vote, where, and who may stand: the rules of Oman's election law as pure
//! functions, each refusal naming the rule and its reason. Storage and endpoints live in
//! `sawt-server`; this crate holds no I/O.
//!
//! * [`roll`]: the civil registry's export (one CSV row per citizen) parsed into
//!   [`roll::RollRecord`]s, every malformed row refused with its reason.
//! * [`calendar`]: the registry's dates and windows, from the manifest (one clock, the
//!   manifest's time zone).
//! * [`eligibility`]: the voter rules (Omani, 21 on 1 January of the election year, address
//!   wilayat, not security or military, ID card valid on voting day).
//! * [`registration`]: registration and transfer decisions, and [`objection`]s against the
//!   preliminary lists.
//! * [`candidacy`]: applications, automatic checks, the committee's decisions, withdrawal,
//!   appeals, and the final list as the manifest's candidates.
//! * [`identity`]: identity assertions signed by the identity provider, bound to the device
//!   credential they enrol.
//! * [`commitment`]: the per-wilayat commitment to the final list, and a voter's proof of
//!   inclusion that reveals nobody else.
//! * [`synthetic`]: a synthetic national roll for demos and load tests.
//!
//! Normative text: `protocol-spec/registry.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod actor;
pub mod calendar;
pub mod candidacy;
pub mod civil;
pub mod commitment;
pub mod eligibility;
pub mod fuzzing;
pub mod identity;
pub mod objection;
pub mod registration;
pub mod roll;
pub mod sample;
pub mod synthetic;

pub use actor::{Actor, Role};
pub use calendar::Calendar;
pub use civil::CivilNumber;
pub use eligibility::{Refusal, Rule};
pub use roll::RollRecord;
