//! Witnesses: independent parties who cosign each head after checking it extends the last
//! one they cosigned (`protocol-spec/board.md` §5).
//!
//! A witness (an observer, a candidate's agent, an embassy) keeps one piece of state: the
//! last head it cosigned. Presented a new signed head and a consistency proof from that
//! head, it checks the operator's signature, the election, that the log did not shrink or go
//! back in time, and the proof; only then does it cosign and move its state forward. A board
//! that shows two different histories cannot gather a quorum for both unless witnesses
//! collude, and the first witness to see the second history holds signed evidence of the
//! fork: two operator-signed heads that no consistency proof can join.

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::error::HeadError;
use crate::head::{Cosignature, SignedTreeHead, TreeHead};
use crate::proof::ConsistencyProof;

/// A witness's key and state. The key is zeroized on drop (ed25519-dalek).
pub struct Witness {
    key: SigningKey,
    board: VerifyingKey,
    election: [u8; 32],
    last: Option<TreeHead>,
}

impl core::fmt::Debug for Witness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &hex::encode(self.key.verifying_key().to_bytes()))
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// A witness for `election`'s board, with its saved state (`None` the first time).
    pub fn new(
        key: SigningKey,
        board: VerifyingKey,
        election: [u8; 32],
        last: Option<TreeHead>,
    ) -> Self {
        Witness {
            key,
            board,
            election,
            last,
        }
    }

    /// The witness's public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The last head cosigned: the state to persist.
    pub fn last(&self) -> Option<&TreeHead> {
        self.last.as_ref()
    }

    /// The size from which the witness needs a consistency proof.
    pub fn needs_proof_from(&self) -> u64 {
        self.last.map_or(0, |h| h.size)
    }

    /// Checks `signed` against the last cosigned head with `proof` and cosigns it at
    /// `now_ms`. On any error nothing changes.
    pub fn cosign(
        &mut self,
        signed: &SignedTreeHead,
        proof: &ConsistencyProof,
        now_ms: u64,
    ) -> Result<Cosignature, HeadError> {
        let head = &signed.head;
        if head.election != self.election {
            return Err(HeadError::Election);
        }
        signed.verify(&self.board)?;
        let (last_size, last_root, last_time) =
            self.last.map_or((0, crate::hash::empty_root(), 0), |h| {
                (h.size, h.root, h.timestamp_ms)
            });
        if head.size < last_size || head.timestamp_ms < last_time {
            return Err(HeadError::Rollback {
                last_size,
                size: head.size,
            });
        }
        proof
            .verify((last_size, &last_root), (head.size, &head.root))
            .map_err(|source| HeadError::Inconsistent {
                last_size,
                size: head.size,
                source,
            })?;
        self.last = Some(*head);
        Ok(Cosignature::create(&self.key, now_ms, head))
    }
}

/// Two heads signed by the same board for the same election that cannot both be true: the
/// same size with different roots, or a later head whose consistency proof from the earlier
/// one fails. Anyone can check it with [`ForkEvidence::verify`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkEvidence {
    /// The earlier (or equal-size) head.
    pub first: SignedTreeHead,
    /// The conflicting head.
    pub second: SignedTreeHead,
    /// The board's consistency proof between them, which fails (absent for equal sizes).
    pub proof: Option<ConsistencyProof>,
}

impl ForkEvidence {
    /// Confirms the evidence: both heads are validly signed by `board` for one election, and
    /// they conflict.
    pub fn verify(&self, board: &VerifyingKey) -> Result<(), HeadError> {
        self.first.verify(board)?;
        self.second.verify(board)?;
        let (a, b) = (&self.first.head, &self.second.head);
        if a.election != b.election {
            return Err(HeadError::Election);
        }
        let conflicts = if a.size == b.size {
            a.root != b.root
        } else {
            match &self.proof {
                Some(p) if a.size < b.size => {
                    p.verify((a.size, &a.root), (b.size, &b.root)).is_err()
                }
                _ => false,
            }
        };
        if conflicts {
            Ok(())
        } else {
            Err(HeadError::Signature("no conflict shown"))
        }
    }
}
