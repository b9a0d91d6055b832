//! A complaint (client.md §7): when a receipt or a later check fails, the device writes a
//! self-contained file that anyone holding `E` can check without trusting the device or the
//! service — the voter's signed ballot entry (encrypted: it reveals no vote), the receipt
//! and heads as received (signed by the board), the proofs served, and what failed — all
//! signed by the voter's credential, the same key that signed the ballot.

use ed25519_dalek::{Signature, Signer as _, SigningKey};
use sawt_board::hash::leaf_hash;
use sawt_board::head::{SignedTreeHead, WitnessedHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_election::canonical;
use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::keys::{Hex32, Hex64, PublicKeyHex};
use serde::{Deserialize, Serialize};

use crate::election::Election;
use crate::receipts::check_receipt;
use crate::wire::Receipt;

/// The complaint format.
pub const COMPLAINT_FORMAT: &str = "sawt/v1/complaint";

/// The label of the credential's signature over a complaint.
pub const COMPLAINT_LABEL: &[u8] = b"sawt/v1/complaint\n";

/// What a complaint states (everything but the signature).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintBody {
    /// [`COMPLAINT_FORMAT`].
    pub format: String,
    /// `E`.
    pub election: Hex32,
    /// The voter's credential: the ballot's author and the complaint's signer.
    pub credential: PublicKeyHex,
    /// The failed check (service.md §4: `R3`–`R7`, `L2`–`L4`).
    pub check: String,
    /// What failed, in words.
    pub detail: String,
    /// The ballot entry sent, its canonical bytes in hexadecimal.
    pub entry: String,
    /// The receipt as received, if one was.
    pub receipt: Option<Receipt>,
    /// A head the device held before, for a consistency failure.
    pub held: Option<SignedTreeHead>,
    /// The head received that conflicts or fails.
    pub received: Option<WitnessedHead>,
    /// The consistency proof served, if any.
    pub consistency: Option<ConsistencyProof>,
    /// The inclusion proof served for the ballot under `received`, for `L2`.
    pub inclusion: Option<InclusionProof>,
    /// The entry the service showed at the receipt's index under `received`, if it differs
    /// from the one sent (hexadecimal), with its inclusion proof.
    pub other_entry: Option<String>,
    /// That entry's inclusion proof under `received`.
    pub other_inclusion: Option<InclusionProof>,
    /// When the device saw the failure, ms since the epoch by its clock.
    pub observed_ms: u64,
}

/// A complaint: its body and the credential's signature over
/// `COMPLAINT_LABEL ‖ canonical(body)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// What it states.
    pub body: ComplaintBody,
    /// The credential's signature.
    pub signature: Hex64,
}

/// What a valid complaint shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The board signed statements that cannot both hold: two heads of one size with
    /// different roots, or two different entries proved at one index. Proof of a fork.
    Fork(String),
    /// The board signed the heads, and the service's answers about them fail the named check
    /// on the material enclosed; anyone can ask the board (or a mirror) to answer again.
    Failed(String),
}

fn message(body: &ComplaintBody) -> Result<Vec<u8>, String> {
    let bytes = canonical::encode(body).map_err(|e| e.to_string())?;
    Ok([COMPLAINT_LABEL, &bytes].concat())
}

impl Complaint {
    /// Signs `body` with the credential's key.
    pub fn sign(body: ComplaintBody, key: &SigningKey) -> Result<Complaint, String> {
        let signature = key.sign(&message(&body)?);
        Ok(Complaint {
            body,
            signature: Hex64(signature.to_bytes()),
        })
    }

    /// Checks the complaint against the election (from the checker's own anchor): its form,
    /// its signature by the ballot's author, the board's signatures on the heads, and that the
    /// failure it names holds on the material it encloses (client.md §7.2).
    pub fn check(&self, election: &Election) -> Result<Finding, String> {
        let b = &self.body;
        if b.format != COMPLAINT_FORMAT {
            return Err(format!("not a complaint: format {}", b.format));
        }
        if b.election.0 != election.id() {
            return Err("a complaint about another election".into());
        }
        let entry = hex::decode(&b.entry).map_err(|_| "the entry is not hexadecimal")?;
        let e = election
            .decode_entry("complaint", 0, &entry)
            .map_err(|m| m.detail)?;
        let ballot = match &e.entry.body {
            EntryBody::Ballot(ballot) | EntryBody::AuditedBallot { ballot, .. } => ballot,
            _ => return Err("the entry is not a ballot".into()),
        };
        if e.entry.author != b.credential || ballot.credential != b.credential {
            return Err("the ballot is not the complainant's".into());
        }
        let key = b
            .credential
            .verifying_key()
            .map_err(|e| format!("the credential: {e}"))?;
        key.verify_strict(&message(b)?, &Signature::from_bytes(&self.signature.0))
            .map_err(|_| "the complaint's signature does not verify under the credential")?;
        let board_signed = |h: &SignedTreeHead| {
            election
                .check_head("complaint", h)
                .map_err(|m| format!("a head the complaint encloses: {}", m.detail))
        };
        match b.check.as_str() {
            "R3" | "R4" | "R5" | "R6" => {
                let r = b.receipt.as_ref().ok_or("no receipt enclosed")?;
                board_signed(&r.head.signed)?;
                let code = ballot.tracking_code().map_err(|e| e.to_string())?;
                match check_receipt(election, &entry, &code, r) {
                    Err(m) if m.check == b.check => Ok(Finding::Failed(m.detail)),
                    Err(m) => Err(format!("the receipt fails {}, not {}", m.check, b.check)),
                    Ok(()) => Err("the receipt passes every check".into()),
                }
            }
            "R7" | "L3" => {
                let held = b.held.as_ref().ok_or("no held head enclosed")?;
                let received = b.received.as_ref().ok_or("no received head enclosed")?;
                board_signed(held)?;
                board_signed(&received.signed)?;
                if held.head.size == received.signed.head.size
                    && held.head.root != received.signed.head.root
                {
                    return Ok(Finding::Fork(format!(
                        "two heads of size {} with different roots",
                        held.head.size
                    )));
                }
                match crate::heads::consistent(held, &received.signed, b.consistency.as_ref()) {
                    Err(e) => Ok(Finding::Failed(e)),
                    Ok(()) => Err("the heads are consistent by the proof enclosed".into()),
                }
            }
            "L2" => {
                let r = b.receipt.as_ref().ok_or("no receipt enclosed")?;
                let received = b.received.as_ref().ok_or("no received head enclosed")?;
                let code = ballot.tracking_code().map_err(|e| e.to_string())?;
                check_receipt(election, &entry, &code, r)
                    .map_err(|m| format!("the receipt itself fails {}: {}", m.check, m.detail))?;
                board_signed(&received.signed)?;
                let h = &received.signed.head;
                let served = b.inclusion.as_ref().ok_or("no inclusion proof enclosed")?;
                if served.index == r.index
                    && served.verify(&leaf_hash(&entry), h.size, &h.root).is_ok()
                {
                    return Err("the ballot is proved under the head enclosed".into());
                }
                if let (Some(other), Some(proof)) = (&b.other_entry, &b.other_inclusion) {
                    let other =
                        hex::decode(other).map_err(|_| "the other entry is not hexadecimal")?;
                    if other != entry
                        && proof.index == r.index
                        && proof.verify(&leaf_hash(&other), h.size, &h.root).is_ok()
                    {
                        return Ok(Finding::Fork(format!(
                            "entry {} is the ballot under the head of size {} and another entry under the head of size {}",
                            r.index, r.head.signed.head.size, h.size
                        )));
                    }
                }
                Ok(Finding::Failed(format!(
                    "the ballot, at {} under the head of size {}, was not proved under the head of size {}",
                    r.index, r.head.signed.head.size, h.size
                )))
            }
            "L4" => {
                let received = b.received.as_ref().ok_or("no received head enclosed")?;
                board_signed(&received.signed)?;
                if election.is_witnessed(received) {
                    return Err("the head enclosed is witnessed".into());
                }
                Ok(Finding::Failed(format!(
                    "the head of size {} lacks the witnesses' quorum",
                    received.signed.head.size
                )))
            }
            other => Err(format!("unknown check {other}")),
        }
    }
}

/// The entry of a complaint, decoded.
pub fn entry_of(c: &Complaint) -> Option<SignedEntry> {
    SignedEntry::decode(&hex::decode(&c.body.entry).ok()?).ok()
}
