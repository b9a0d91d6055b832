//! Exponential ElGamal on Ristretto255 (`protocol-spec/crypto.md` §4).
//!
//! A message `m` (a small integer) is encrypted under public key `H = x·G` with randomness
//! (nonce) `r` as the pair `(α, β) = (r·G, m·G + r·H)`. Ciphertexts add component-wise, and
//! the sum encrypts the sum of the messages: this is how homomorphic tallies are formed.
//! Re-encryption adds a fresh encryption of zero. A [`CiphertextVector`] of width `w` holds
//! `w` independent ciphertexts (one ballot of a mixnet contest).
//!
//! Decryption yields `m·G`; the integer `m` comes from a [`crate::dlog::DlogTable`].
//!
//! Canonical encoding of a ciphertext: `α ‖ β` (64 bytes); `α` must not be the identity
//! (that would mean `r = 0`, an unencrypted message).

use core::fmt;

use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::DecodeError;
use crate::group::{Element, Reader, Writer};

/// An ElGamal secret key `x`. Zeroized on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(pub(crate) Scalar);

impl SecretKey {
    /// A fresh key from the given CSPRNG.
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        SecretKey(random_nonzero_scalar(rng))
    }

    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        SecretKey::generate_with_rng(&mut crate::rng::os_rng())
    }

    /// The matching public key `x·G`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(Element::from_point(RistrettoPoint::mul_base(&self.0)))
    }

    /// Decrypts to the message's group element `m·G = β − x·α`.
    pub fn decrypt_to_point(&self, ct: &Ciphertext) -> RistrettoPoint {
        ct.beta.point() - ct.alpha.point() * self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<secret>)")
    }
}

/// An ElGamal public key `H`, never the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Element", into = "Element")]
pub struct PublicKey(pub(crate) Element);

impl PublicKey {
    /// Wraps an element, rejecting the identity.
    pub fn from_element(e: Element) -> Result<Self, DecodeError> {
        if e.is_identity() {
            return Err(DecodeError::Identity);
        }
        Ok(PublicKey(e))
    }

    /// Decodes a canonical, non-identity encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(PublicKey(Element::decode_nonidentity(bytes)?))
    }

    /// The key as a group element.
    pub fn element(&self) -> &Element {
        &self.0
    }

    /// Prepares the key for fast encryption (a precomputed table, about 30 KiB).
    pub fn prepare(&self) -> EncryptionKey {
        EncryptionKey {
            key: *self,
            table: Box::new(RistrettoBasepointTable::create(self.0.point())),
        }
    }
}

impl TryFrom<Element> for PublicKey {
    type Error = DecodeError;
    fn try_from(e: Element) -> Result<Self, DecodeError> {
        PublicKey::from_element(e)
    }
}

impl From<PublicKey> for Element {
    fn from(k: PublicKey) -> Element {
        k.0
    }
}

/// A public key with a precomputed table for constant-time fixed-base multiplication:
/// what a voter's device builds once per election.
pub struct EncryptionKey {
    key: PublicKey,
    table: Box<RistrettoBasepointTable>,
}

impl EncryptionKey {
    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// `s·H` in constant time through the table.
    pub(crate) fn mul_key(&self, s: &Scalar) -> RistrettoPoint {
        &*self.table * s
    }

    /// Encrypts `m` with a fresh nonce; returns the ciphertext and the nonce (keep it secret,
    /// or reveal it to audit the ballot).
    pub fn encrypt_with_rng<R: CryptoRng + ?Sized>(
        &self,
        m: u64,
        rng: &mut R,
    ) -> (Ciphertext, Nonce) {
        let r = Nonce(random_nonzero_scalar(rng));
        (self.encrypt_with_nonce(m, &r), r)
    }

    /// Encrypts `m` with the given nonce (for audits and tests).
    pub fn encrypt_with_nonce(&self, m: u64, r: &Nonce) -> Ciphertext {
        let alpha = RistrettoPoint::mul_base(&r.0);
        let beta = RistrettoPoint::mul_base(&Scalar::from(m)) + self.mul_key(&r.0);
        Ciphertext::from_points(alpha, beta)
    }

    /// Encrypts a secret `m ≤ max` (a selection or a small total), taking `m·G` from the
    /// multiples `0·G … max·G` by constant-time selection instead of a multiplication.
    pub(crate) fn encrypt_small_with_rng<R: CryptoRng + ?Sized>(
        &self,
        m: u64,
        max: u64,
        rng: &mut R,
    ) -> (Ciphertext, Nonce) {
        use subtle::{ConditionallySelectable, ConstantTimeEq};
        let r = Nonce(random_nonzero_scalar(rng));
        let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
        let (mut multiple, mut mg) = (RistrettoPoint::identity(), RistrettoPoint::identity());
        for j in 0..=max {
            mg.conditional_assign(&multiple, j.ct_eq(&m));
            multiple += g;
        }
        let alpha = RistrettoPoint::mul_base(&r.0);
        let beta = mg + self.mul_key(&r.0);
        (Ciphertext::from_points(alpha, beta), r)
    }

    /// Re-encrypts: adds a fresh encryption of zero. Returns the new ciphertext and the added
    /// nonce.
    pub fn reencrypt_with_rng<R: CryptoRng + ?Sized>(
        &self,
        ct: &Ciphertext,
        rng: &mut R,
    ) -> (Ciphertext, Nonce) {
        let r = Nonce(random_nonzero_scalar(rng));
        let alpha = ct.alpha.point() + RistrettoPoint::mul_base(&r.0);
        let beta = ct.beta.point() + self.mul_key(&r.0);
        (Ciphertext::from_points(alpha, beta), r)
    }

    /// Encrypts each message of `ms` independently: a vector ciphertext of width `ms.len()`.
    pub fn encrypt_vector_with_rng<R: CryptoRng + ?Sized>(
        &self,
        ms: &[u64],
        rng: &mut R,
    ) -> (CiphertextVector, Vec<Nonce>) {
        let (cts, nonces) = ms.iter().map(|&m| self.encrypt_with_rng(m, rng)).unzip();
        (CiphertextVector(cts), nonces)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The randomness `r` of one encryption: secret, unless revealed to audit a ballot.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Nonce(pub(crate) Scalar);

impl Nonce {
    /// Wraps a revealed nonce (an audited ballot's randomness).
    pub fn from_scalar(s: Scalar) -> Self {
        Nonce(s)
    }

    /// The nonce of a homomorphic sum: the sum of the nonces.
    pub fn sum<'a>(nonces: impl IntoIterator<Item = &'a Nonce>) -> Nonce {
        Nonce(nonces.into_iter().map(|n| n.0).sum())
    }

    /// The nonce's scalar, to reveal it in an audit.
    pub fn reveal(&self) -> Scalar {
        self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(<secret>)")
    }
}

/// An exponential ElGamal ciphertext `(α, β)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "CiphertextText", into = "CiphertextText")]
pub struct Ciphertext {
    alpha: Element,
    beta: Element,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CiphertextText {
    alpha: Element,
    beta: Element,
}

impl TryFrom<CiphertextText> for Ciphertext {
    type Error = DecodeError;
    fn try_from(t: CiphertextText) -> Result<Self, DecodeError> {
        Ciphertext::new(t.alpha, t.beta)
    }
}

impl From<Ciphertext> for CiphertextText {
    fn from(c: Ciphertext) -> Self {
        CiphertextText {
            alpha: c.alpha,
            beta: c.beta,
        }
    }
}

/// Length of a ciphertext's canonical encoding.
pub const CIPHERTEXT_LEN: usize = 64;

impl Ciphertext {
    /// Builds a ciphertext from its components; `α` must not be the identity.
    pub fn new(alpha: Element, beta: Element) -> Result<Self, DecodeError> {
        if alpha.is_identity() {
            return Err(DecodeError::Identity);
        }
        Ok(Ciphertext { alpha, beta })
    }

    /// A homomorphic sum as a tally posts it: any two elements, the identity pair (the
    /// trivial encryption of zero, the sum of no ciphertexts, §4.3) included. Never use it for
    /// a ballot's ciphertext, whose `α` must not be the identity ([`Ciphertext::new`]).
    pub fn from_sum(alpha: Element, beta: Element) -> Self {
        Ciphertext { alpha, beta }
    }

    pub(crate) fn from_points(alpha: RistrettoPoint, beta: RistrettoPoint) -> Self {
        Ciphertext {
            alpha: alpha.into(),
            beta: beta.into(),
        }
    }

    /// `α = r·G`.
    pub fn alpha(&self) -> &Element {
        &self.alpha
    }

    /// `β = m·G + r·H`.
    pub fn beta(&self) -> &Element {
        &self.beta
    }

    /// The homomorphic sum of two ciphertexts.
    pub fn add(&self, other: &Ciphertext) -> Ciphertext {
        Ciphertext::from_points(
            self.alpha.point() + other.alpha.point(),
            self.beta.point() + other.beta.point(),
        )
    }

    /// The homomorphic sum of many ciphertexts (one compression per component at the end).
    /// The sum of no ciphertexts is the identity pair, the trivial encryption of zero.
    pub fn sum<'a>(cts: impl IntoIterator<Item = &'a Ciphertext>) -> Ciphertext {
        let (mut a, mut b) = (RistrettoPoint::identity(), RistrettoPoint::identity());
        for c in cts {
            a += c.alpha.point();
            b += c.beta.point();
        }
        Ciphertext {
            alpha: a.into(),
            beta: b.into(),
        }
    }

    /// Canonical encoding `α ‖ β`.
    pub fn to_bytes(&self) -> [u8; CIPHERTEXT_LEN] {
        let mut out = [0u8; CIPHERTEXT_LEN];
        out[..32].copy_from_slice(self.alpha.as_bytes());
        out[32..].copy_from_slice(self.beta.as_bytes());
        out
    }

    /// Decodes `α ‖ β`, rejecting non-canonical points and an identity `α`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let c = Ciphertext::read(&mut r)?;
        r.finish()?;
        Ok(c)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let alpha = r.element_nonidentity()?;
        let beta = r.element()?;
        Ok(Ciphertext { alpha, beta })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_element(&self.alpha);
        out.put_element(&self.beta);
    }
}

/// A vector of `w` ciphertexts, each with its own nonce: one mixnet ballot.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CiphertextVector(pub Vec<Ciphertext>);

impl CiphertextVector {
    /// The width `w`.
    pub fn width(&self) -> usize {
        self.0.len()
    }

    /// Component-wise homomorphic sum; `None` if the widths differ.
    pub fn add(&self, other: &CiphertextVector) -> Option<CiphertextVector> {
        (self.width() == other.width())
            .then(|| CiphertextVector(self.0.iter().zip(&other.0).map(|(a, b)| a.add(b)).collect()))
    }

    /// Re-encrypts every component with fresh randomness.
    pub fn reencrypt_with_rng<R: CryptoRng + ?Sized>(
        &self,
        key: &EncryptionKey,
        rng: &mut R,
    ) -> (CiphertextVector, Vec<Nonce>) {
        let (cts, nonces) = self
            .0
            .iter()
            .map(|c| key.reencrypt_with_rng(c, rng))
            .unzip();
        (CiphertextVector(cts), nonces)
    }

    /// Canonical encoding: `u32le(w) ‖ ct_1 ‖ … ‖ ct_w`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + CIPHERTEXT_LEN * self.width());
        out.put_u32(self.width() as u32);
        for c in &self.0 {
            c.write(&mut out);
        }
        out
    }

    /// Decodes the canonical encoding; `w` must be between 1 and [`MAX_WIDTH`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let w = r.u32()? as usize;
        if w == 0 || w > MAX_WIDTH {
            return Err(DecodeError::Count("vector width"));
        }
        let cts = (0..w)
            .map(|_| Ciphertext::read(&mut r))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(CiphertextVector(cts))
    }
}

/// The largest vector width the encodings accept.
pub const MAX_WIDTH: usize = 1024;

/// A uniformly random non-zero scalar (zero has probability 2^-252; it is redrawn).
pub(crate) fn random_nonzero_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    loop {
        let s = Scalar::random(rng);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlog::DlogTable;

    #[test]
    fn encrypt_decrypt_and_add() {
        let mut rng = crate::rng::os_rng();
        let sk = SecretKey::generate_with_rng(&mut rng);
        let ek = sk.public_key().prepare();
        let table = DlogTable::new(1 << 10);
        let (a, _) = ek.encrypt_with_rng(3, &mut rng);
        let (b, _) = ek.encrypt_with_rng(4, &mut rng);
        assert_eq!(table.decode(&sk.decrypt_to_point(&a.add(&b))), Some(7));
        let (c, _) = ek.reencrypt_with_rng(&a, &mut rng);
        assert_ne!(c, a);
        assert_eq!(table.decode(&sk.decrypt_to_point(&c)), Some(3));
        assert_eq!(
            table.decode(&sk.decrypt_to_point(&Ciphertext::sum([&a, &b, &c]))),
            Some(10)
        );
    }

    #[test]
    fn ciphertext_encoding_round_trips_and_rejects_identity_alpha() {
        let ek = SecretKey::generate().public_key().prepare();
        let (c, _) = ek.encrypt_with_rng(1, &mut crate::rng::os_rng());
        assert_eq!(Ciphertext::from_bytes(&c.to_bytes()).unwrap(), c);
        let mut bad = c.to_bytes();
        bad[..32].fill(0);
        assert_eq!(Ciphertext::from_bytes(&bad), Err(DecodeError::Identity));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Ciphertext>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Ciphertext>(&json.replace('}', ",\"x\":1}")).is_err());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let sk = SecretKey::generate();
        assert_eq!(format!("{sk:?}"), "SecretKey(<secret>)");
    }
}
