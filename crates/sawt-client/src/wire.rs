//! The service's JSON bodies as service.md and registry.md define them. Written from the
//! spec, not shared with the server's code: a client is another implementation.

use sawt_board::head::WitnessedHead;
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, Hex64, PublicKeyHex};
use serde::{Deserialize, Serialize};

/// A challenge to sign (service.md §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The credential.
    pub credential: PublicKeyHex,
    /// Until when it may be answered.
    pub expires_ms: u64,
    /// The bytes to sign.
    pub challenge: Hex32,
}

/// A challenge answered (service.md §2.3).
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    /// The challenge's members as received.
    #[serde(flatten)]
    pub challenge: Challenge,
    /// The signature over the session message.
    pub signature: Hex64,
}

/// A voter's session (service.md §2.3).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Until when, by the board's clock.
    pub expires_ms: u64,
    /// The wilayat the service says the credential is enrolled for.
    pub wilayat: WilayatId,
    /// That wilayat's contest.
    pub contest: Option<String>,
}

/// A receipt (service.md §4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The tracking code.
    pub tracking_code: String,
    /// The entry's index.
    pub index: u64,
    /// The leaf hash (the client uses its own).
    pub leaf_hash: String,
    /// A signed head covering the entry.
    pub head: WitnessedHead,
    /// The entry's inclusion under it.
    pub inclusion: InclusionProof,
}

/// The later check of a receipt (service.md §4.3).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptCheck {
    /// The latest head.
    pub head: WitnessedHead,
    /// The entry's inclusion under it.
    pub inclusion: InclusionProof,
    /// The receipt's head's consistency with it.
    pub consistency: ConsistencyProof,
}

/// One of the credential's ballots as the service sees it (service.md §5).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedBallot {
    /// Its index.
    pub index: u64,
    /// `counted`, `superseded`, `audited` or `revoked`.
    pub status: String,
}

/// An entry a client sets up from (service.md §1.5).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupEntry {
    /// Its index.
    pub index: u64,
    /// Its kind.
    pub kind: String,
}

/// `GET /v1/election`, the members the client reads (the rest it takes from the board).
#[derive(Clone, Debug, Deserialize)]
pub struct ElectionView {
    /// The election identifier the service claims.
    pub election: String,
    /// The service's clock.
    pub now_ms: u64,
    /// The phase it claims.
    pub phase: String,
    /// The setup entries it lists.
    pub setup: Vec<SetupEntry>,
}

/// An enrolment (registry.md §8).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrolled {
    /// The credential.
    pub credential: PublicKeyHex,
    /// Where it votes.
    pub wilayat: WilayatId,
    /// The enrolment entry's index.
    pub entry_index: u64,
    /// The credential it replaced, if any.
    pub revoked: Option<PublicKeyHex>,
}

/// A problem detail (service.md §6.1).
#[derive(Clone, Debug, Deserialize)]
pub struct Problem {
    /// The stable code.
    #[serde(default)]
    pub code: String,
    /// For people.
    #[serde(default)]
    pub detail: String,
    /// Every failing rule, with `refused-by-rule`.
    #[serde(default)]
    pub refusals: Vec<RuleRefusal>,
}

/// One failing rule.
#[derive(Clone, Debug, Deserialize)]
pub struct RuleRefusal {
    /// The rule.
    pub rule: String,
    /// Why.
    pub reason: String,
}
