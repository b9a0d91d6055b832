//! The `sawt` command: one binary with subcommands.
//!
//! * `sawt demo` — a crypto-level election run end to end (key ceremony, encrypted ballots
//!   with proofs, homomorphic tally, threshold decryption with a trustee absent).
//! * `sawt bench crypto [--json]` — the cryptographic figures of `BENCHMARKS.md`.

#![forbid(unsafe_code)]

pub mod bench;
pub mod cli;
pub mod demo;
