//! Witnesses: independent parties who cosign each head after checking it extends the last
//! one they cosigned (`protocol-spec/board.md` §5).
//!
//! A witness (an observer, a candidate's agent, an embassy) keeps one piece of state: the
//! last head it cosigned. Presented a new signed head and a consistency proof from that
//! head, it checks the operator's signature, the election, that the log did not shrink or go
//! back in time, and the proof; only then does it cosign and move its state forward. A board
//! that shows two different histories cannot gather a quorum for both unless witnesses
//! collude. A witness that refuses a head keeps both signed heads; with the board's own
//! inclusion proofs for one index under each, they become [`ForkEvidence`] anyone can check.

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::error::HeadError;
use crate::hash::Hash;
use crate::head::{Cosignature, SignedTreeHead};
use crate::proof::{ConsistencyProof, InclusionProof};

/// A witness's key and state. The key is zeroized on drop (ed25519-dalek).
pub struct Witness {
    key: SigningKey,
    board: VerifyingKey,
    election: [u8; 32],
    last: Option<SignedTreeHead>,
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
        last: Option<SignedTreeHead>,
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

    /// The last head cosigned, with the board's signature: the state to persist, and one
    /// half of any fork evidence.
    pub fn last(&self) -> Option<&SignedTreeHead> {
        self.last.as_ref()
    }

    /// The size from which the witness needs a consistency proof.
    pub fn needs_proof_from(&self) -> u64 {
        self.last.map_or(0, |h| h.head.size)
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
                (h.head.size, h.head.root, h.head.timestamp_ms)
            });
        if head.size < last_size {
            return Err(HeadError::Rollback {
                last_size,
                size: head.size,
            });
        }
        // Before the timestamp: a head of the same size with another root is a fork, not a
        // rollback.
        proof
            .verify((last_size, &last_root), (head.size, &head.root))
            .map_err(|source| HeadError::Inconsistent {
                last_size,
                size: head.size,
                source,
            })?;
        if head.timestamp_ms < last_time {
            return Err(HeadError::Rollback {
                last_size,
                size: head.size,
            });
        }
        self.last = Some(*signed);
        Ok(Cosignature::create(&self.key, now_ms, head))
    }
}

/// Proof that a board signed two heads that cannot both be true. Only conflicts that need
/// no trust in anyone's word count: the board's own signatures, and the board's own
/// inclusion proofs (`protocol-spec/board.md` §5.3).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ForkEvidence {
    /// Two heads of the same size with different roots.
    SameSize {
        /// One head.
        first: SignedTreeHead,
        /// The other.
        second: SignedTreeHead,
    },
    /// One index holding two different leaves, each proved included under one of the heads.
    DifferentLeaves {
        /// One head.
        first: SignedTreeHead,
        /// The other.
        second: SignedTreeHead,
        /// The leaf under `first`.
        #[serde(with = "crate::head::hex32")]
        first_leaf: Hash,
        /// Its inclusion proof against `first`.
        first_proof: InclusionProof,
        /// The leaf under `second`, at the same index.
        #[serde(with = "crate::head::hex32")]
        second_leaf: Hash,
        /// Its inclusion proof against `second`.
        second_proof: InclusionProof,
    },
}

impl ForkEvidence {
    /// Confirms the evidence: both heads validly signed by `board` for one election, and the
    /// conflict shown.
    pub fn verify(&self, board: &VerifyingKey) -> Result<(), HeadError> {
        let (first, second) = match self {
            ForkEvidence::SameSize { first, second }
            | ForkEvidence::DifferentLeaves { first, second, .. } => (first, second),
        };
        first.verify(board)?;
        second.verify(board)?;
        let (a, b) = (&first.head, &second.head);
        if a.election != b.election {
            return Err(HeadError::Election);
        }
        let conflict = match self {
            ForkEvidence::SameSize { .. } => a.size == b.size && a.root != b.root,
            ForkEvidence::DifferentLeaves {
                first_leaf,
                first_proof,
                second_leaf,
                second_proof,
                ..
            } => {
                first_proof.index == second_proof.index
                    && first_leaf != second_leaf
                    && first_proof.verify(first_leaf, a.size, &a.root).is_ok()
                    && second_proof.verify(second_leaf, b.size, &b.root).is_ok()
            }
        };
        if conflict {
            Ok(())
        } else {
            Err(HeadError::NoConflict)
        }
    }
}
