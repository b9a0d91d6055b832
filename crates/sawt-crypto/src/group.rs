//! The group: Ristretto255 (RFC 9496) and its scalars, with one canonical encoding each.
//!
//! * An [`Element`] is a group element together with its canonical 32-byte encoding
//!   (RFC 9496 §4.3.2). Decoding ([`Element::decode`]) is RFC 9496 §4.3.1 exactly: bytes that
//!   are not the canonical encoding of an element (s ≥ p, s negative, or failing the square
//!   root) are rejected. [`Element::decode_nonidentity`] also rejects the identity, for keys,
//!   commitments and other places where the protocol forbids it. Keeping the encoding beside
//!   the point means every element is decompressed once and compressed once in its life: the
//!   transcripts hash the bytes, the arithmetic uses the point.
//! * A scalar is an integer modulo ℓ = 2^252 + 27742317777372353535851937790883648493, encoded
//!   as 32 bytes little-endian; decoding rejects any value ≥ ℓ ([`decode_scalar`]).
//! * The textual form of both, used in JSON, is the lowercase hexadecimal of the 32 canonical
//!   bytes (64 characters). Upper case, prefixes and whitespace are rejected.
//!
//! `G` is the Ristretto255 generator of RFC 9496 §4.4 (`RISTRETTO_BASEPOINT_POINT`).
//! Additional generators come from [`crate::generators`], never from a choice.

use core::fmt;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::error::DecodeError;

/// Length in bytes of an encoded element or scalar.
pub const ENCODED_LEN: usize = 32;

/// A Ristretto255 element with its canonical encoding.
///
/// Equality compares encodings, which for Ristretto255 is equality of elements.
#[derive(Clone, Copy)]
pub struct Element {
    point: RistrettoPoint,
    bytes: [u8; ENCODED_LEN],
}

impl Element {
    /// Wraps a point, computing its canonical encoding (one compression).
    pub fn from_point(point: RistrettoPoint) -> Self {
        Element {
            bytes: point.compress().to_bytes(),
            point,
        }
    }

    /// The identity element.
    pub fn identity() -> Self {
        Element::from_point(RistrettoPoint::identity())
    }

    /// The generator `G` of RFC 9496.
    pub fn generator() -> Self {
        Element::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT)
    }

    /// Decodes a canonical encoding (RFC 9496 §4.3.1); the identity is accepted.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let bytes: [u8; ENCODED_LEN] = bytes.try_into().map_err(|_| DecodeError::Length {
            expected: ENCODED_LEN,
            actual: bytes.len(),
        })?;
        let point = CompressedRistretto(bytes)
            .decompress()
            .ok_or(DecodeError::NonCanonicalPoint)?;
        Ok(Element { point, bytes })
    }

    /// Decodes a canonical encoding and rejects the identity.
    pub fn decode_nonidentity(bytes: &[u8]) -> Result<Self, DecodeError> {
        let e = Element::decode(bytes)?;
        if e.is_identity() {
            return Err(DecodeError::Identity);
        }
        Ok(e)
    }

    /// The point, for arithmetic.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; ENCODED_LEN] {
        self.bytes
    }

    /// The canonical encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; ENCODED_LEN] {
        &self.bytes
    }

    /// Whether this is the identity element (its encoding is all zeros).
    pub fn is_identity(&self) -> bool {
        self.bytes == [0u8; ENCODED_LEN]
    }

    /// The textual form: lowercase hexadecimal of the encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// Parses the textual form (64 lowercase hexadecimal characters).
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Element::decode(&decode_hex32(text)?)
    }
}

impl From<RistrettoPoint> for Element {
    fn from(point: RistrettoPoint) -> Self {
        Element::from_point(point)
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for Element {}

impl core::hash::Hash for Element {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state)
    }
}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Element({})", self.to_hex())
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Element::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// Decodes a canonical scalar: 32 bytes little-endian, value < ℓ.
pub fn decode_scalar(bytes: &[u8]) -> Result<Scalar, DecodeError> {
    let bytes: [u8; ENCODED_LEN] = bytes.try_into().map_err(|_| DecodeError::Length {
        expected: ENCODED_LEN,
        actual: bytes.len(),
    })?;
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(DecodeError::NonCanonicalScalar)
}

/// The textual form of a scalar: lowercase hexadecimal of its canonical encoding.
pub fn scalar_to_hex(s: &Scalar) -> String {
    hex::encode(s.as_bytes())
}

/// Parses the textual form of a scalar.
pub fn scalar_from_hex(text: &str) -> Result<Scalar, DecodeError> {
    decode_scalar(&decode_hex32(text)?)
}

/// Decodes exactly 64 lowercase hexadecimal characters into 32 bytes.
pub fn decode_hex32(text: &str) -> Result<[u8; ENCODED_LEN], DecodeError> {
    let ok = text.len() == 2 * ENCODED_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !ok {
        return Err(DecodeError::Hex(ENCODED_LEN));
    }
    let mut out = [0u8; ENCODED_LEN];
    hex::decode_to_slice(text, &mut out).map_err(|_| DecodeError::Hex(ENCODED_LEN))?;
    Ok(out)
}

/// Serde adapter for scalars in their textual form: `#[serde(with = "scalar_hex")]`.
pub mod scalar_hex {
    use super::*;

    /// Serializes a scalar as lowercase hexadecimal.
    pub fn serialize<S: Serializer>(s: &Scalar, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&scalar_to_hex(s))
    }

    /// Deserializes a scalar from lowercase hexadecimal, rejecting non-canonical values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = String::deserialize(d)?;
        scalar_from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for a list of scalars in their textual form.
pub mod scalar_vec_hex {
    use super::*;

    /// Serializes scalars as a list of lowercase hexadecimal strings.
    pub fn serialize<S: Serializer>(v: &[Scalar], ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(v.iter().map(scalar_to_hex))
    }

    /// Deserializes a list of scalars, rejecting non-canonical values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| scalar_from_hex(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// A cursor over canonical bytes, used by every binary decoder in the crate.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError::Length {
                expected: n,
                actual: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn element(&mut self) -> Result<Element, DecodeError> {
        Element::decode(self.take(ENCODED_LEN)?)
    }

    pub(crate) fn element_nonidentity(&mut self) -> Result<Element, DecodeError> {
        Element::decode_nonidentity(self.take(ENCODED_LEN)?)
    }

    pub(crate) fn scalar(&mut self) -> Result<Scalar, DecodeError> {
        decode_scalar(self.take(ENCODED_LEN)?)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.take(n)
    }

    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing)
        }
    }
}

/// Appends canonical encodings, the writer twin of [`Reader`].
pub(crate) trait Writer {
    fn put_element(&mut self, e: &Element);
    fn put_scalar(&mut self, s: &Scalar);
    fn put_u32(&mut self, x: u32);
}

impl Writer for Vec<u8> {
    fn put_element(&mut self, e: &Element) {
        self.extend_from_slice(e.as_bytes());
    }
    fn put_scalar(&mut self, s: &Scalar) {
        self.extend_from_slice(s.as_bytes());
    }
    fn put_u32(&mut self, x: u32) {
        self.extend_from_slice(&x.to_le_bytes());
    }
}
