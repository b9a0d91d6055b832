//! # sawt-election
//!
//! The election model of Sawt: the [`manifest::Manifest`] (geography, contests and
//! candidates, windows, trustees, mixers, witnesses, authorities) whose hash identifies the
//! election, and [`canonical`], the one encoding (RFC 8785 JSON, integers only) of every
//! signed or hashed object in the published record. [`oman`] holds the real geography and
//! seats (with synthetic voter and candidate counts) for demos and tests.
//!
//! Pure: no I/O. Normative text: `protocol-spec/election.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ballot;
pub mod ballot_view;
pub mod candidates;
pub mod canonical;
pub mod entry;
pub mod fuzzing;
pub mod geography;
pub mod keys;
pub mod manifest;
pub mod oman;
pub mod results;
pub mod tally;

/// The plaintext values of a mixnet ballot choosing the candidates at `positions` (0-based
/// ballot order): `position + 1` each, padded with `0` to `width`.
pub fn mixnet_choice(positions: &[usize], width: usize) -> Vec<u64> {
    let mut v: Vec<u64> = positions.iter().map(|&p| p as u64 + 1).collect();
    v.resize(width, 0);
    v
}
