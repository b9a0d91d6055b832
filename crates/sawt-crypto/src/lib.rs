//! # sawt-crypto
//!
//! The cryptographic core of Sawt, an end-to-end verifiable voting system: exponential ElGamal
//! on Ristretto255, zero-knowledge proofs on merlin transcripts, a threshold key generation
//! for t-of-n trustees, and verifiable threshold decryption.
//!
//! This crate is pure: no I/O, no async, no storage. It is the reference implementation of
//! `protocol-spec/crypto.md`; every transcript label, encoding and check below is specified
//! there, with known-answer vectors in `protocol-spec/vectors/`.
//!
//! | module | what |
//! |---|---|
//! | [`group`] | elements and scalars, canonical encodings, text form |
//! | [`generators`] | generators derived by hash-to-group from labelled inputs |
//! | [`transcript`] | the Fiat–Shamir [`Context`] every proof is bound to |
//! | [`elgamal`] | keys, encryption, re-encryption, homomorphic sums, vector ciphertexts |
//! | [`dlog`] | baby-step giant-step decoding of small totals |
//! | [`proofs`] | Schnorr, Chaum–Pedersen (single and batched), range 0..=K, knowledge of randomness |
//! | [`batch`] | batch verification with blame |
//! | [`dkg`] | joint-Feldman key generation with verifiable complaints, as typestates |
//! | [`share_encryption`] | hybrid encryption of key-generation shares |
//! | [`threshold`] | decryption shares with proofs, Lagrange combination |
//! | [`list`] | lists of vector ciphertexts, streaming canonical encoding |
//! | [`shuffle`] | re-encryption shuffle with a Terelius–Wikström proof |
//! | [`mixnet`] | mixer cascades, their verification, and decoding the mixed ballots |
//!
//! Secrets are zeroized on drop and never printed; randomness comes from the operating system
//! ([`rng::os_rng`]) unless a caller passes its own CSPRNG to a `*_with_rng` function.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod batch;
pub mod dkg;
pub mod dlog;
pub mod elgamal;
pub mod error;
pub mod fuzzing;
pub mod generators;
pub mod group;
pub mod list;
pub mod mixnet;
pub mod proofs;
pub mod rng;
pub mod share_encryption;
pub mod shuffle;
pub mod threshold;
pub mod transcript;

pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;
pub use rand_core;

pub use elgamal::{Ciphertext, CiphertextVector, EncryptionKey, Nonce, PublicKey, SecretKey};
pub use error::{DecodeError, DecryptionError, KeyGenError, ProofError};
pub use group::Element;
pub use transcript::Context;
