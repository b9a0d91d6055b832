//! Public keys in the record: ed25519 verification keys as lowercase hexadecimal.

use serde::{Deserialize, Serialize};

/// An ed25519 public key, 64 lowercase hexadecimal characters in JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = "hex", description = "An ed25519 public key, 64 lowercase hexadecimal digits."))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicKeyHex([u8; 32]);

impl PublicKeyHex {
    /// Wraps a verification key.
    pub fn from_key(key: &ed25519_dalek::VerifyingKey) -> Self {
        PublicKeyHex(key.to_bytes())
    }

    /// Wraps 32 bytes, as decoding from hexadecimal does: whether they are an acceptable key
    /// is [`PublicKeyHex::verifying_key`]'s question.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PublicKeyHex(bytes)
    }

    /// The raw 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The verification key. Fails unless the bytes are the canonical encoding of a point of
    /// large order (`protocol-spec/election.md` §2.3): no small-order ("weak") keys, no
    /// non-canonical `y`, matching the strict verification rule used for every signature.
    pub fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        let compressed = curve25519_dalek::edwards::CompressedEdwardsY(self.0);
        let point = compressed.decompress().ok_or(KeyError::NotAPoint)?;
        if point.compress().to_bytes() != self.0 {
            return Err(KeyError::NonCanonical);
        }
        if point.is_small_order() {
            return Err(KeyError::SmallOrder);
        }
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::NotAPoint)
    }
}

impl TryFrom<String> for PublicKeyHex {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        sawt_crypto::group::decode_hex32(&s)
            .map(PublicKeyHex)
            .map_err(|e| e.to_string())
    }
}

impl From<PublicKeyHex> for String {
    fn from(k: PublicKeyHex) -> String {
        hex::encode(k.0)
    }
}

/// Why bytes are not an acceptable ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not the encoding of a curve point.
    #[error("not a point on edwards25519")]
    NotAPoint,
    /// A point, but not in its canonical encoding.
    #[error("not the canonical encoding of its point")]
    NonCanonical,
    /// A point of small order (a "weak" key that verifies forged signatures).
    #[error("a small-order point")]
    SmallOrder,
}

/// 32 bytes (a hash) as 64 lowercase hexadecimal characters in JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, description = "32 bytes, 64 lowercase hexadecimal digits."))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hex32(pub [u8; 32]);

impl TryFrom<String> for Hex32 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        sawt_crypto::group::decode_hex32(&s)
            .map(Hex32)
            .map_err(|e| e.to_string())
    }
}

impl From<Hex32> for String {
    fn from(h: Hex32) -> String {
        hex::encode(h.0)
    }
}

/// 64 bytes (a signature) as 128 lowercase hexadecimal characters in JSON.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, description = "64 bytes (a signature), 128 lowercase hexadecimal digits."))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hex64(pub [u8; 64]);

impl TryFrom<String> for Hex64 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let lower = s
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        let mut out = [0u8; 64];
        if !lower || s.len() != 128 || hex::decode_to_slice(&s, &mut out).is_err() {
            return Err("expected 128 lowercase hexadecimal characters".into());
        }
        Ok(Hex64(out))
    }
}

impl From<Hex64> for String {
    fn from(h: Hex64) -> String {
        hex::encode(h.0)
    }
}
