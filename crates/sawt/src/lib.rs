//! The `sawt` command: one binary with subcommands.
//!
//! * `sawt demo` — a whole election on the embedded default: roll, candidacies, the key
//!   generation through the board, voters through `sawt-client` over HTTP, the close, the
//!   homomorphic or mix-net tally with a trustee absent, results, the record checked
//!   (`--walkthrough`: the cryptography of one wilayat's contests step by step).
//! * `sawt trustee keygen|decrypt`, `sawt mixer`, `sawt admin
//!   manifest|joint-key|extend|close|tally|publish` — the key holders against a running
//!   service (`keygen`, `tally`, `mixnet_tally`).
//! * `sawt bench crypto|mix|board [--json]` — the figures of `BENCHMARKS.md`.
//! * `sawt serve`, `sawt board init|export`, `sawt witness`, `sawt mirror` — the bulletin
//!   board, and the tools observers run against it.
//! * `sawt registry generate|import` — the electoral roll: a synthetic national roll, and
//!   the civil registry's export imported with a progress bar.
//! * `sawt voter enrol|ballot|prepare|cast|audit|check-audit|receipt|status|complaint` — a
//!   voter's device over `sawt-client`.
//! * `sawt bench mix [--json]` — the verifiable shuffle and a whole mixnet tally.
//! * `sawt bench board [--json]` — the board's storage: append rate and proof latency on
//!   SQLite and PostgreSQL.

#![forbid(unsafe_code)]

pub mod bench;
pub mod board_cli;
pub mod cli;
pub mod demo;
pub mod export;
pub mod keygen;
pub mod mixnet_tally;
pub mod officials_cli;
pub mod registry_cli;
pub mod serve_cli;
pub mod tally;
pub mod verify_cli;
pub mod voter_cli;
