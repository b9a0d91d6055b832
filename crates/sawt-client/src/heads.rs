//! The heads a device has verified, kept so that every later head must be consistent with
//! them (service.md §4.2 R7, board.md §8.6 item 3). Two signed heads that are not consistent
//! are kept as evidence.

use sawt_board::head::{SignedTreeHead, WitnessedHead};
use sawt_board::proof::ConsistencyProof;
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::election::Election;
use crate::error::{ClientError, Misbehaviour};
use crate::transport::Transport;

/// The latest verified head, and the latest that was witnessed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadBook {
    /// The largest head verified so far.
    pub latest: Option<SignedTreeHead>,
    /// The largest head seen with the witnesses' quorum.
    pub witnessed: Option<SignedTreeHead>,
}

/// Two signed heads of the board that could not be shown consistent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The head held before.
    pub held: SignedTreeHead,
    /// The head received.
    pub received: SignedTreeHead,
    /// The consistency proof served, if any was.
    pub proof: Option<ConsistencyProof>,
    /// What failed.
    pub detail: String,
}

/// Checks that `a` and `b` (both verified) are consistent by `proof` (from the smaller to the
/// larger); heads of one size must have one root.
pub fn consistent(
    a: &SignedTreeHead,
    b: &SignedTreeHead,
    proof: Option<&ConsistencyProof>,
) -> Result<(), String> {
    let (old, new) = if a.head.size <= b.head.size {
        (a, b)
    } else {
        (b, a)
    };
    if old.head.size == new.head.size {
        return if old.head.root == new.head.root {
            Ok(())
        } else {
            Err(format!(
                "two heads of size {} with different roots",
                old.head.size
            ))
        };
    }
    let proof = proof.ok_or("no consistency proof")?;
    if proof.old != old.head.size || proof.new != new.head.size {
        return Err("the consistency proof is for other sizes".into());
    }
    proof
        .verify(
            (old.head.size, &old.head.root),
            (new.head.size, &new.head.root),
        )
        .map_err(|e| {
            format!(
                "sizes {} and {} are not consistent: {e}",
                old.head.size, new.head.size
            )
        })
}

impl HeadBook {
    /// Accepts `received` after checking it (R1, R2) and, against the latest head held, its
    /// consistency (R7), asking the service for the proof. A conflict is returned as evidence
    /// and the book is unchanged.
    pub async fn accept<T: Transport>(
        &mut self,
        api: &Api<T>,
        election: &Election,
        received: &WitnessedHead,
    ) -> Result<(), Accepted> {
        election
            .check_head("R1", &received.signed)
            .map_err(|m| Accepted::Failed(m.into()))?;
        if let Some(held) = &self.latest {
            let (a, b) = (held.head.size, received.signed.head.size);
            let proof = if a == b {
                None
            } else {
                let (old, new) = (a.min(b), a.max(b));
                match api.consistency(old, new).await {
                    Ok(p) => Some(p),
                    Err(ClientError::Refused(r)) if r.status < 500 && r.status != 429 => {
                        return Err(Accepted::Conflict(Box::new(Conflict {
                            held: *held,
                            received: received.signed,
                            proof: None,
                            detail: format!("no consistency proof: {r}"),
                        })));
                    }
                    Err(e) => return Err(Accepted::Failed(e)),
                }
            };
            if let Err(detail) = consistent(held, &received.signed, proof.as_ref()) {
                return Err(Accepted::Conflict(Box::new(Conflict {
                    held: *held,
                    received: received.signed,
                    proof,
                    detail,
                })));
            }
        }
        self.note(election, received);
        Ok(())
    }

    /// Records a head already shown consistent with the book.
    pub fn note(&mut self, election: &Election, h: &WitnessedHead) {
        if self.latest.is_none_or(|l| l.head.size < h.signed.head.size) {
            self.latest = Some(h.signed);
        }
        if election.is_witnessed(h)
            && self
                .witnessed
                .is_none_or(|w| w.head.size < h.signed.head.size)
        {
            self.witnessed = Some(h.signed);
        }
    }
}

/// Why a head was not accepted.
#[derive(Debug)]
pub enum Accepted {
    /// It is inconsistent with a head held: evidence.
    Conflict(Box<Conflict>),
    /// It failed a check, or could not be fetched.
    Failed(ClientError),
}

impl From<Accepted> for ClientError {
    fn from(a: Accepted) -> ClientError {
        match a {
            Accepted::Conflict(c) => Misbehaviour::new("R7", c.detail).into(),
            Accepted::Failed(e) => e,
        }
    }
}
