//! Non-interactive zero-knowledge proofs (`protocol-spec/crypto.md` §5).
//!
//! Every proof here is a sigma protocol made non-interactive with Fiat–Shamir on a merlin
//! transcript that holds the caller's [`crate::Context`], the proof's name and the whole
//! statement before the commitments. Proofs carry their commitments (not only the
//! challenge), so that verification is a set of linear equations that batch into one
//! multiscalar multiplication ([`crate::batch`]).
//!
//! The verifier always supplies the statement; a proof never carries the statement it is
//! checked against. Every `verify` returns `Result<(), ProofError>`.

pub mod dleq;
pub mod knowledge;
pub mod range;
pub mod schnorr;
