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

pub mod canonical;
pub mod geography;
pub mod keys;
pub mod manifest;
pub mod oman;
