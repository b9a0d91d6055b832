//! Hybrid encryption of key-generation shares to a trustee's public key
//! (`protocol-spec/crypto.md` §6.3).
//!
//! Every key-generation message is posted publicly, so a share `s` from dealer `i` to
//! recipient `j` travels encrypted to `j`'s share-encryption key `E_j = e_j·G`:
//!
//! ```text
//! ρ random,  R = ρ·G,  K = ρ·E_j                       (Ristretto Diffie–Hellman)
//! key = transcript(context, "share-encryption", i, j, R, E_j, K).challenge_bytes("key", 32)
//! box = ChaCha20-Poly1305(key, nonce = 0¹², aad = "", plaintext = s as 32 bytes)   (48 bytes)
//! ```
//!
//! The recipient computes `K = e_j·R`. To prove a dealer cheated, the recipient publishes `K`
//! with a Chaum–Pedersen proof that `log_G E_j = log_R K` ([`crate::dkg::Complaint`]); anyone
//! can then derive the key, open the box and see the share is wrong, without learning `e_j`.
//! The key is fresh for every message (fresh `ρ`), so the all-zero nonce is never reused
//! under one key.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::elgamal::random_nonzero_scalar;
use crate::error::DecodeError;
use crate::group::{Element, Reader, decode_scalar};
use crate::transcript::{Context, TranscriptExt};

/// Length of the sealed box: a 32-byte scalar and a 16-byte tag.
pub const BOX_LEN: usize = 48;

/// A share sealed to one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// The ephemeral key `R = ρ·G`.
    pub ephemeral: Element,
    /// The sealed share, lowercase hexadecimal of 48 bytes in JSON.
    #[serde(with = "hex_box")]
    pub sealed: [u8; BOX_LEN],
}

mod hex_box {
    use super::BOX_LEN;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(b: &[u8; BOX_LEN], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; BOX_LEN], D::Error> {
        let t = String::deserialize(d)?;
        let mut out = [0u8; BOX_LEN];
        let lower = t
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        if !lower || t.len() != 2 * BOX_LEN {
            return Err(serde::de::Error::custom(
                "sealed share: 96 lowercase hex characters",
            ));
        }
        hex::decode_to_slice(&t, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

/// Why a sealed share could not be opened into a valid scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The authentication tag does not verify.
    Tag,
    /// The plaintext is not a canonical scalar.
    Scalar,
}

fn derive_key(
    ctx: &Context,
    dealer: u32,
    recipient: u32,
    ephemeral: &Element,
    recipient_key: &Element,
    shared: &Element,
) -> Zeroizing<[u8; 32]> {
    let mut t = ctx.transcript(b"share-encryption");
    t.append_u64(b"dealer", u64::from(dealer));
    t.append_u64(b"recipient", u64::from(recipient));
    t.append_element(b"R", ephemeral);
    t.append_element(b"E", recipient_key);
    t.append_element(b"K", shared);
    let mut key = Zeroizing::new([0u8; 32]);
    t.challenge_bytes(b"key", key.as_mut());
    key
}

impl EncryptedShare {
    /// Seals `share` from `dealer` to `recipient` with key `recipient_key`.
    pub fn seal_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        dealer: u32,
        recipient: u32,
        recipient_key: &Element,
        share: &Scalar,
        rng: &mut R,
    ) -> Self {
        let rho = Zeroizing::new(random_nonzero_scalar(rng));
        let ephemeral = Element::from_point(RistrettoPoint::mul_base(&rho));
        let shared = Element::from_point(recipient_key.point() * *rho);
        let key = derive_key(ctx, dealer, recipient, &ephemeral, recipient_key, &shared);
        let cipher = ChaCha20Poly1305::new_from_slice(&key[..]).expect("32-byte key");
        let sealed = cipher
            .encrypt(
                &[0u8; 12].into(),
                Payload {
                    msg: share.as_bytes(),
                    aad: b"",
                },
            )
            .expect("ChaCha20-Poly1305 encryption of 32 bytes cannot fail");
        EncryptedShare {
            ephemeral,
            sealed: sealed.try_into().expect("32 + 16 bytes"),
        }
    }

    /// Opens the box given the Diffie–Hellman point `K` (computed by the recipient as
    /// `e·R`, or published in a complaint).
    pub fn open_with_shared_point(
        &self,
        ctx: &Context,
        dealer: u32,
        recipient: u32,
        recipient_key: &Element,
        shared: &Element,
    ) -> Result<Scalar, OpenError> {
        let key = derive_key(
            ctx,
            dealer,
            recipient,
            &self.ephemeral,
            recipient_key,
            shared,
        );
        let cipher = ChaCha20Poly1305::new_from_slice(&key[..]).expect("32-byte key");
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &[0u8; 12].into(),
                    Payload {
                        msg: &self.sealed,
                        aad: b"",
                    },
                )
                .map_err(|_| OpenError::Tag)?,
        );
        decode_scalar(&plain).map_err(|_| OpenError::Scalar)
    }

    /// The recipient's Diffie–Hellman point `K = e·R`.
    pub(crate) fn shared_point(&self, secret: &Scalar) -> Element {
        Element::from_point(self.ephemeral.point() * secret)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ephemeral = r.element_nonidentity()?;
        let sealed = r.bytes(BOX_LEN)?.try_into().expect("length checked");
        Ok(EncryptedShare { ephemeral, sealed })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.ephemeral.as_bytes());
        out.extend_from_slice(&self.sealed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_bind_to_the_parties() {
        let mut rng = crate::rng::os_rng();
        let ctx = Context::new(b"e");
        let e = random_nonzero_scalar(&mut rng);
        let ek = Element::from_point(RistrettoPoint::mul_base(&e));
        let s = random_nonzero_scalar(&mut rng);
        let boxed = EncryptedShare::seal_with_rng(&ctx, 1, 2, &ek, &s, &mut rng);
        let k = boxed.shared_point(&e);
        assert_eq!(boxed.open_with_shared_point(&ctx, 1, 2, &ek, &k), Ok(s));
        assert_eq!(
            boxed.open_with_shared_point(&ctx, 1, 3, &ek, &k),
            Err(OpenError::Tag)
        );
        assert_eq!(
            boxed.open_with_shared_point(&ctx, 2, 2, &ek, &k),
            Err(OpenError::Tag)
        );
        let mut bad = boxed.clone();
        bad.sealed[0] ^= 1;
        assert_eq!(
            bad.open_with_shared_point(&ctx, 1, 2, &ek, &k),
            Err(OpenError::Tag)
        );
    }
}
