//! Fiat–Shamir transcripts on merlin (`protocol-spec/crypto.md` §3).
//!
//! Every challenge in Sawt comes from a merlin transcript that holds the **whole statement**:
//! the protocol version, the caller's context (election, contest, credential, …), the proof's
//! name, every public input (generators, keys, ciphertexts, bounds) and then the prover's
//! commitments. Hashing only the commitments is the weak Fiat–Shamir flaw that broke Helios
//! (`shared/REFERENCES.md` attack 1); binding no context lets proofs be replayed (attack 4).
//!
//! merlin frames each message as `label ‖ u32le(len) ‖ bytes` inside STROBE-128; the exact
//! labels, in order, are listed for each proof in the spec.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::group::Element;

/// The merlin protocol label of every Sawt transcript.
pub const PROTOCOL_LABEL: &[u8] = b"sawt/v1";

/// The context a proof is bound to: the election, and whatever the caller adds (contest,
/// credential, trustee, phase…).
///
/// A `Context` is a merlin transcript that has absorbed `election` and the caller's
/// labelled parts; each proof clones it and continues with its own name and statement, so one
/// context serves many proofs.
#[derive(Clone)]
pub struct Context {
    transcript: Transcript,
    election: Vec<u8>,
}

impl Context {
    /// Starts a context bound to an election (its manifest hash, or any identifier the
    /// application specifies).
    pub fn new(election: &[u8]) -> Self {
        let mut transcript = Transcript::new(PROTOCOL_LABEL);
        transcript.append_message(b"election", election);
        Context {
            transcript,
            election: election.to_vec(),
        }
    }

    /// The election this context is bound to (it also seeds the shuffle generators).
    pub fn election(&self) -> &[u8] {
        &self.election
    }

    /// Adds a labelled part to the context (builder style).
    pub fn with(mut self, label: &'static [u8], value: &[u8]) -> Self {
        self.transcript.append_message(label, value);
        self
    }

    /// Adds a labelled integer to the context (builder style).
    pub fn with_u64(mut self, label: &'static [u8], value: u64) -> Self {
        self.transcript.append_u64(label, value);
        self
    }

    /// A fresh transcript for one proof named `proof`: the context followed by
    /// `append_message("proof", proof)`.
    pub(crate) fn transcript(&self, proof: &'static [u8]) -> Transcript {
        let mut t = self.transcript.clone();
        t.append_message(b"proof", proof);
        t
    }
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Context(..)")
    }
}

/// Sawt's appends and challenges on a merlin transcript.
pub(crate) trait TranscriptExt {
    /// Appends an element's canonical encoding.
    fn append_element(&mut self, label: &'static [u8], e: &Element);
    /// Draws a challenge scalar: 64 bytes reduced modulo ℓ.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptExt for Transcript {
    fn append_element(&mut self, label: &'static [u8], e: &Element) {
        self.append_message(label, e.as_bytes());
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}
