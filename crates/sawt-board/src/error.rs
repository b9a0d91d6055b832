//! Errors of the board's log, heads and witnesses.

use thiserror::Error;

/// A Merkle proof is malformed or does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// An index or size is out of range (`index ≥ size`, `old > new`, beyond the log).
    #[error("index or size out of range")]
    Range,
    /// The proof is for another size than the head it is checked against.
    #[error("the proof is for another tree size than the head")]
    Size,
    /// The path is too long for its sizes, non-empty where it must be empty, or empty where
    /// it must not be (a non-empty path that is too short fails as [`ProofError::Root`]).
    #[error("the proof's path has the wrong length")]
    Path,
    /// The recomputed root differs from the head's.
    #[error("the recomputed root differs from the head's root")]
    Root,
}

/// A signed head, a cosignature or a witness's check failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeadError {
    /// A signature does not verify under the expected key (ed25519 `verify_strict`).
    #[error("bad signature by {0}")]
    Signature(&'static str),
    /// The head belongs to another election.
    #[error("the head is for another election")]
    Election,
    /// The new head is smaller than, or older than, the last one the witness signed.
    #[error("the log went backwards: size {last_size} → {size}")]
    Rollback {
        /// The size the witness last cosigned.
        last_size: u64,
        /// The size now presented.
        size: u64,
    },
    /// The new head is not an extension of the last one the witness signed: a forked or
    /// rewritten history, or a bad proof. Both signed heads are kept; with the board's
    /// inclusion proofs they become [`crate::witness::ForkEvidence`].
    #[error("the log's history changed between size {last_size} and {size}: {source}")]
    Inconsistent {
        /// The size the witness last cosigned.
        last_size: u64,
        /// The size now presented.
        size: u64,
        /// Why the consistency proof failed.
        source: ProofError,
    },
    /// Fewer valid cosignatures from distinct, listed witnesses than the quorum.
    #[error("{valid} valid cosignatures, quorum is {quorum}")]
    Quorum {
        /// Valid cosignatures counted.
        valid: usize,
        /// The manifest's quorum.
        quorum: usize,
    },
    /// A key or signature is not a valid encoding.
    #[error("malformed key or signature")]
    Encoding,
    /// A head of size 0 must carry the empty tree's root.
    #[error("a head of size 0 must carry the root of the empty tree")]
    EmptyRoot,
    /// Fork evidence that shows no conflict.
    #[error("the evidence shows no conflict between the two heads")]
    NoConflict,
}
