//! # sawt-client
//!
//! What a voter's device runs, and must never need to trust the server for
//! (`protocol-spec/client.md`). A mobile app embeds this crate; `sawt voter` drives it from
//! the command line; the demo's voters and the load tests use it too.
//!
//! - [`device::Device`]: the device's state — the credential key, generated on the device and
//!   sealed at rest by a [`keystore::SecretStore`] (a passphrase through Argon2id, or the
//!   platform's keystore), the enrolment, the heads verified, the ballots and receipts.
//! - [`voter::Voter`]: the journey — enrol with an identity assertion; take the ballot style
//!   from the board (the manifest checked against the election's anchor, the election key
//!   recomputed from the key generation, the authority's candidate list); prepare a ballot and
//!   show its tracking code; cast it, or audit it (Benaloh) and encrypt afresh; check every
//!   receipt at once and later; see which ballot counts.
//! - [`voter::check_audit`]: a second device recomputes an audited ballot from the board alone.
//! - [`complaint::Complaint`]: when a check fails, a signed, self-contained complaint that
//!   anyone can check without learning the vote.
//! - [`transport::Transport`]: HTTP behind a small trait; [`transport::HttpTransport`] is the
//!   default, over reqwest.
//!
//! Every answer of the service is checked; one that fails a check is a
//! [`error::Misbehaviour`], reported and never followed.

#![forbid(unsafe_code)]

pub mod api;
pub mod complaint;
pub mod device;
pub mod election;
pub mod error;
pub mod heads;
pub mod keystore;
pub mod receipts;
pub mod setup;
pub mod transport;
pub mod voter;
pub mod wire;

pub use api::Api;
pub use device::Device;
pub use error::{ClientError, Misbehaviour};
pub use voter::Voter;
