//! # sawt-board
//!
//! The bulletin board's log: everything public about an election is an entry in one
//! append-only log that cannot be rewritten, nor shown differently to different people,
//! without detection.
//!
//! * [`hash`], [`tree`]: RFC 9162 Merkle tree hashing over the entries' canonical bytes,
//!   with stored complete subtrees so that appends and proofs take `O(log n)` node accesses.
//! * [`proof`]: inclusion and consistency proofs and their verification, with the edge cases
//!   RFC 9162 leaves open pinned down.
//! * [`head`]: tree heads signed by the board operator (ed25519, bound to the election), and
//!   witnesses' cosignatures with a quorum check.
//! * [`witness`]: the witness's check-then-cosign step, and evidence of a forked history.
//! * [`replica`]: a verified copy of the log, which refuses served entries that differ from
//!   the signed ones or a history that is not an extension of what it saw.
//!
//! This crate is pure (no I/O); the server stores the nodes and serves the proofs, and the
//! verifier and mirrors use this crate to check them. The normative text is
//! `protocol-spec/board.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod hash;
pub mod head;
pub mod proof;
pub mod replica;
pub mod tree;
pub mod witness;

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::{HeadError, ProofError};
pub use hash::Hash;

/// Parses 64 lowercase hexadecimal characters into a 32-byte hash or key.
pub fn hash_from_hex(text: &str) -> Result<[u8; 32], sawt_crypto::DecodeError> {
    sawt_crypto::group::decode_hex32(text)
}
