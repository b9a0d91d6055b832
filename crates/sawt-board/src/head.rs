//! Signed tree heads and cosignatures (`protocol-spec/board.md` §4).
//!
//! The board operator signs every head it publishes with ed25519; the signed message is
//!
//! ```text
//! "sawt/v1/tree-head\n" ‖ election (32) ‖ u64le(size) ‖ root (32) ‖ u64le(timestamp_ms)
//! ```
//!
//! A witness cosigns a head it has checked (`crate::witness`) over
//!
//! ```text
//! "sawt/v1/cosignature\n" ‖ witness key (32) ‖ u64le(cosigned_ms) ‖ tree-head message
//! ```
//!
//! Every signature is checked with ed25519-dalek's `verify_strict` (RFC 8032 with canonical
//! `S`, and small-order `A` and `R` rejected), so another verifier can reproduce the rule.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::error::HeadError;
use crate::hash::Hash;

/// Prefix of a tree head's signed message.
pub const HEAD_LABEL: &[u8] = b"sawt/v1/tree-head\n";
/// Prefix of a cosignature's signed message.
pub const COSIGNATURE_LABEL: &[u8] = b"sawt/v1/cosignature\n";

/// The state of the log at one moment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// The election (manifest hash) the log belongs to.
    #[serde(with = "hex32")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub election: [u8; 32],
    /// Number of entries.
    pub size: u64,
    /// The Merkle root of the first `size` entries.
    #[serde(with = "hex32")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
    /// When the board signed it, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl TreeHead {
    /// The signed message.
    pub fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(HEAD_LABEL.len() + 80);
        m.extend_from_slice(HEAD_LABEL);
        m.extend_from_slice(&self.election);
        m.extend_from_slice(&self.size.to_le_bytes());
        m.extend_from_slice(&self.root);
        m.extend_from_slice(&self.timestamp_ms.to_le_bytes());
        m
    }

    /// Signs the head with the board operator's key.
    pub fn sign(self, board: &SigningKey) -> SignedTreeHead {
        SignedTreeHead {
            signature: board.sign(&self.message()).to_bytes(),
            head: self,
        }
    }
}

/// A tree head with the board operator's signature.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// The head.
    pub head: TreeHead,
    /// The operator's ed25519 signature over [`TreeHead::message`].
    #[serde(with = "hex64")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// Verifies the operator's signature (and that a head of size 0 carries the empty root).
    pub fn verify(&self, board: &VerifyingKey) -> Result<(), HeadError> {
        if self.head.size == 0 && self.head.root != crate::hash::empty_root() {
            return Err(HeadError::EmptyRoot);
        }
        board
            .verify_strict(
                &self.head.message(),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| HeadError::Signature("the board operator"))
    }
}

/// A witness's cosignature on a head.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosignature {
    /// The witness's ed25519 public key.
    #[serde(with = "hex32")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub witness: [u8; 32],
    /// When the witness cosigned, milliseconds since the Unix epoch.
    pub cosigned_ms: u64,
    /// The witness's signature.
    #[serde(with = "hex64")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature: [u8; 64],
}

fn cosignature_message(witness: &[u8; 32], cosigned_ms: u64, head: &TreeHead) -> Vec<u8> {
    let mut m = COSIGNATURE_LABEL.to_vec();
    m.extend_from_slice(witness);
    m.extend_from_slice(&cosigned_ms.to_le_bytes());
    m.extend_from_slice(&head.message());
    m
}

impl Cosignature {
    /// Cosigns a head (the caller has checked it: see [`crate::witness::Witness`]).
    pub(crate) fn create(key: &SigningKey, cosigned_ms: u64, head: &TreeHead) -> Self {
        let witness = key.verifying_key().to_bytes();
        let signature = key
            .sign(&cosignature_message(&witness, cosigned_ms, head))
            .to_bytes();
        Cosignature {
            witness,
            cosigned_ms,
            signature,
        }
    }

    /// Verifies the cosignature on `head`.
    pub fn verify(&self, head: &TreeHead) -> Result<(), HeadError> {
        let key = VerifyingKey::from_bytes(&self.witness).map_err(|_| HeadError::Encoding)?;
        key.verify_strict(
            &cosignature_message(&self.witness, self.cosigned_ms, head),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| HeadError::Signature("a witness"))
    }
}

/// A signed head with the cosignatures gathered for it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedHead {
    /// The signed head.
    pub signed: SignedTreeHead,
    /// Cosignatures, in any order.
    pub cosignatures: Vec<Cosignature>,
}

impl WitnessedHead {
    /// Checks the operator's signature and that at least `quorum` (≥ 1) distinct witnesses
    /// among `witnesses` (the manifest's list) validly cosigned. Cosignatures from unlisted keys
    /// and repeated witnesses are ignored.
    pub fn verify(
        &self,
        board: &VerifyingKey,
        election: &[u8; 32],
        witnesses: &[VerifyingKey],
        quorum: usize,
    ) -> Result<(), HeadError> {
        if &self.signed.head.election != election {
            return Err(HeadError::Election);
        }
        if quorum == 0 {
            return Err(HeadError::Quorum { valid: 0, quorum });
        }
        self.signed.verify(board)?;
        let mut counted: Vec<[u8; 32]> = Vec::new();
        for c in &self.cosignatures {
            let listed = witnesses.iter().any(|w| w.to_bytes() == c.witness);
            if listed && !counted.contains(&c.witness) && c.verify(&self.signed.head).is_ok() {
                counted.push(c.witness);
            }
        }
        if counted.len() < quorum {
            return Err(HeadError::Quorum {
                valid: counted.len(),
                quorum,
            });
        }
        Ok(())
    }
}

pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        crate::hash_from_hex(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(b: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let t = String::deserialize(d)?;
        let lower = t
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        let mut out = [0u8; 64];
        if !lower || t.len() != 128 || hex::decode_to_slice(&t, &mut out).is_err() {
            return Err(serde::de::Error::custom(
                "expected 128 lowercase hexadecimal characters",
            ));
        }
        Ok(out)
    }
}
