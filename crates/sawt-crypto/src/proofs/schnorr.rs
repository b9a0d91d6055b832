//! Schnorr proof of knowledge of a discrete logarithm (`protocol-spec/crypto.md` §5.1).
//!
//! Statement: base `B` and `X = x·B`, `X ≠ 0`. Prover: `k` random, `A = k·B`,
//! `c = challenge`, `z = k + c·x`. Verifier: `z·B − A − c·X = 0`.
//!
//! Transcript (after the context): `proof = "schnorr"`, `B`, `X`, `A`, challenge `c`.
//! Encoding: `A ‖ z` (64 bytes), `A ≠ 0`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::batch::{BatchVerifier, verify_batch, verify_one};
use crate::elgamal::random_nonzero_scalar;
use crate::error::{DecodeError, ProofError};
use crate::group::{Element, Reader, Writer, scalar_hex};
use crate::transcript::{Context, TranscriptExt};

/// A Schnorr proof of knowledge of `x` with `X = x·B`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// The commitment `A = k·B`.
    pub commitment: Element,
    /// The response `z = k + c·x`.
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

/// Length of the encoding.
pub const SCHNORR_LEN: usize = 64;

fn challenge(ctx: &Context, base: &Element, x: &Element, a: &Element) -> Scalar {
    let mut t = ctx.transcript(b"schnorr");
    t.append_element(b"B", base);
    t.append_element(b"X", x);
    t.append_element(b"A", a);
    t.challenge_scalar(b"c")
}

impl SchnorrProof {
    /// Proves knowledge of `x` for `X = x·B`.
    pub fn prove_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        base: &Element,
        x: &Scalar,
        rng: &mut R,
    ) -> (Element, SchnorrProof) {
        let public = Element::from_point(base.point() * x);
        let k = Zeroizing::new(random_nonzero_scalar(rng));
        let a = Element::from_point(mul_maybe_base(base, &k));
        let c = challenge(ctx, base, &public, &a);
        (
            public,
            SchnorrProof {
                commitment: a,
                response: *k + c * x,
            },
        )
    }

    /// Queues the check into a batch.
    pub fn queue(
        &self,
        ctx: &Context,
        base: &Element,
        x: &Element,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        if x.is_identity() || self.commitment.is_identity() {
            return Err(ProofError::Shape(
                "identity in a Schnorr statement or commitment",
            ));
        }
        let c = challenge(ctx, base, x, &self.commitment);
        let eq = batch.equation();
        let eq = if *base == Element::generator() {
            eq.g(&self.response)
        } else {
            eq.point(base, &self.response)
        };
        eq.minus(&self.commitment).point(x, &-c);
        Ok(())
    }

    /// Verifies the proof for `X` over base `B`.
    pub fn verify(&self, ctx: &Context, base: &Element, x: &Element) -> Result<(), ProofError> {
        verify_one(|b| self.queue(ctx, base, x, b))
    }

    /// Verifies many `(context, X, proof)` over the same base in one batch.
    pub fn verify_many(
        base: &Element,
        items: &[(&Context, &Element, &SchnorrProof)],
    ) -> Result<(), ProofError> {
        verify_batch(items, |(ctx, x, p), b| p.queue(ctx, base, x, b))
    }

    /// Canonical encoding `A ‖ z`.
    pub fn to_bytes(&self) -> [u8; SCHNORR_LEN] {
        let mut out = Vec::with_capacity(SCHNORR_LEN);
        self.write(&mut out);
        out.try_into().expect("64 bytes")
    }

    /// Decodes `A ‖ z`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SchnorrProof {
            commitment: r.element_nonidentity()?,
            response: r.scalar()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_element(&self.commitment);
        out.put_scalar(&self.response);
    }
}

/// `s·B`, through the precomputed table when `B = G`.
pub(crate) fn mul_maybe_base(base: &Element, s: &Scalar) -> RistrettoPoint {
    if *base == Element::generator() {
        RistrettoPoint::mul_base(s)
    } else {
        base.point() * s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_proof_verifies_and_tampering_rejects() {
        let mut rng = crate::rng::os_rng();
        let ctx = Context::new(b"election").with(b"trustee", b"1");
        let g = Element::generator();
        let x = random_nonzero_scalar(&mut rng);
        let (public, proof) = SchnorrProof::prove_with_rng(&ctx, &g, &x, &mut rng);
        proof.verify(&ctx, &g, &public).unwrap();
        assert!(
            proof
                .verify(&Context::new(b"election"), &g, &public)
                .is_err()
        );
        let other = Element::from_point(RistrettoPoint::mul_base(&(x + Scalar::ONE)));
        assert!(proof.verify(&ctx, &g, &other).is_err());
        let h = crate::generators::derive_generator(b"test", 0);
        assert!(proof.verify(&ctx, &h, &public).is_err());
        let mut bad = proof.clone();
        bad.response += Scalar::ONE;
        assert!(bad.verify(&ctx, &g, &public).is_err());
        assert_eq!(SchnorrProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
        // A non-generator base.
        let (ph, proof_h) = SchnorrProof::prove_with_rng(&ctx, &h, &x, &mut rng);
        proof_h.verify(&ctx, &h, &ph).unwrap();
    }
}
