//! Chaum–Pedersen proofs of equality of discrete logarithms (`protocol-spec/crypto.md` §5.2).
//!
//! **Single** (`"dleq"`): statement `(B₁, X, B₂, Y)` with `X = x·B₁`, `Y = x·B₂`. Prover:
//! `k` random, `A₁ = k·B₁`, `A₂ = k·B₂`, `c`, `z = k + c·x`. Verifier:
//! `z·B₁ − A₁ − c·X = 0` and `z·B₂ − A₂ − c·Y = 0`.
//!
//! **Batched** (`"dleq-batch"`), one proof for many pairs with the same secret: statement
//! `X = x·G` and `(B₂ᵢ, Yᵢ = x·B₂ᵢ)` for `i < n`. After absorbing the whole statement the
//! transcript yields a 32-byte seed; the weights are
//! `eᵢ = SHA-512("sawt/v1/weight" ‖ seed ‖ u64le(i)) mod ℓ`, and the proof is a single
//! Chaum–Pedersen proof for `(G, X, Σ eᵢB₂ᵢ, Σ eᵢYᵢ)` in the same transcript. One wrong
//! `Yᵢ` makes the combined statement false except with probability 1/ℓ. This is the proof of
//! a trustee's decryption shares for a whole tally.
//!
//! Encoding of either: `A₁ ‖ A₂ ‖ z` (96 bytes), `A₁ ≠ 0`; `A₂ ≠ 0` is checked by the verifier,
//! except in a batched proof over no bases (`n = 0`), where `A₂` must be the identity.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::batch::{
    BatchVerifier, vartime_msm_parallel, verify_batch, verify_one, weights_from_seed,
};
use crate::elgamal::random_nonzero_scalar;
use crate::error::{DecodeError, ProofError};
use crate::group::{Element, Reader, Writer, scalar_hex};
use crate::proofs::schnorr::mul_maybe_base;
use crate::transcript::{Context, TranscriptExt};

/// A Chaum–Pedersen proof (single or batched form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DleqProof {
    /// `A₁ = k·B₁`.
    pub a1: Element,
    /// `A₂ = k·B₂` (or `k·Σ eᵢB₂ᵢ` in the batched form).
    pub a2: Element,
    /// `z = k + c·x`.
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

/// Length of the encoding.
pub const DLEQ_LEN: usize = 96;

/// The single statement `(B₁, X, B₂, Y)`.
#[derive(Clone, Copy, Debug)]
pub struct DleqStatement<'a> {
    /// First base.
    pub b1: &'a Element,
    /// `x·B₁`.
    pub x: &'a Element,
    /// Second base.
    pub b2: &'a Element,
    /// `x·B₂`.
    pub y: &'a Element,
}

fn single_transcript(ctx: &Context, s: &DleqStatement<'_>) -> merlin::Transcript {
    let mut t = ctx.transcript(b"dleq");
    t.append_element(b"B1", s.b1);
    t.append_element(b"X", s.x);
    t.append_element(b"B2", s.b2);
    t.append_element(b"Y", s.y);
    t
}

/// The batch weights `eᵢ` after the statement has been absorbed.
fn batch_weights(t: &mut merlin::Transcript, n: usize) -> Vec<Scalar> {
    let mut seed = [0u8; 32];
    t.challenge_bytes(b"weights", &mut seed);
    weights_from_seed(&seed, n)
}

fn batch_transcript(
    ctx: &Context,
    x: &Element,
    bases: &[Element],
    ys: &[Element],
) -> merlin::Transcript {
    let mut t = ctx.transcript(b"dleq-batch");
    t.append_element(b"X", x);
    t.append_u64(b"n", bases.len() as u64);
    for (b, y) in bases.iter().zip(ys) {
        t.append_element(b"B2", b);
        t.append_element(b"Y", y);
    }
    t
}

fn commit_and_respond(
    mut t: merlin::Transcript,
    a1: Element,
    a2: Element,
    k: &Scalar,
    x: &Scalar,
) -> DleqProof {
    t.append_element(b"A1", &a1);
    t.append_element(b"A2", &a2);
    let c = t.challenge_scalar(b"c");
    DleqProof {
        a1,
        a2,
        response: k + c * x,
    }
}

/// Absorbs the commitments and draws `c`. `A₂` may be the identity only in a batched proof
/// over no bases, where the combined base is the identity itself.
fn final_challenge(
    mut t: merlin::Transcript,
    p: &DleqProof,
    empty_batch: bool,
) -> Result<Scalar, ProofError> {
    if p.a1.is_identity() || (p.a2.is_identity() && !empty_batch) {
        return Err(ProofError::Shape("identity commitment"));
    }
    t.append_element(b"A1", &p.a1);
    t.append_element(b"A2", &p.a2);
    Ok(t.challenge_scalar(b"c"))
}

impl DleqProof {
    /// Proves `log_{B₁} X = log_{B₂} Y = x` for a statement the caller computed.
    pub fn prove_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        statement: &DleqStatement<'_>,
        x: &Scalar,
        rng: &mut R,
    ) -> DleqProof {
        let k = Zeroizing::new(random_nonzero_scalar(rng));
        let a1 = Element::from_point(mul_maybe_base(statement.b1, &k));
        let a2 = Element::from_point(statement.b2.point() * *k);
        commit_and_respond(single_transcript(ctx, statement), a1, a2, &k, x)
    }

    /// Queues the single-form check.
    pub fn queue(
        &self,
        ctx: &Context,
        s: &DleqStatement<'_>,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        let c = final_challenge(single_transcript(ctx, s), self, false)?;
        let eq = batch.equation();
        let eq = if *s.b1 == Element::generator() {
            eq.g(&self.response)
        } else {
            eq.point(s.b1, &self.response)
        };
        eq.minus(&self.a1).point(s.x, &-c);
        batch
            .equation()
            .point(s.b2, &self.response)
            .minus(&self.a2)
            .point(s.y, &-c);
        Ok(())
    }

    /// Verifies the single form.
    pub fn verify(&self, ctx: &Context, s: &DleqStatement<'_>) -> Result<(), ProofError> {
        verify_one(|b| self.queue(ctx, s, b))
    }

    /// Computes `Yᵢ = x·B₂ᵢ` for every base and proves them all with one batched proof.
    /// `X = x·G` is the prover's public key.
    pub fn prove_batch_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        public: &Element,
        x: &Scalar,
        bases: &[Element],
        rng: &mut R,
    ) -> (Vec<Element>, DleqProof) {
        let ys: Vec<Element> = bases
            .par_iter()
            .map(|b| Element::from_point(b.point() * x))
            .collect();
        let mut t = batch_transcript(ctx, public, bases, &ys);
        let e = batch_weights(&mut t, bases.len());
        let k = Zeroizing::new(random_nonzero_scalar(rng));
        let a1 = Element::from_point(RistrettoPoint::mul_base(&k));
        let a2 = if let [base] = bases {
            // One base: k·(e₀·B) = (k·e₀)·B, one multiplication instead of two.
            Element::from_point(base.point() * (*k * e[0]))
        } else {
            let points: Vec<RistrettoPoint> = bases.iter().map(|b| *b.point()).collect();
            Element::from_point(vartime_msm_parallel(&e, &points) * *k)
        };
        (ys.clone(), commit_and_respond(t, a1, a2, &k, x))
    }

    /// Queues the batched-form check: `public = x·G` and `ys[i] = x·bases[i]` for all `i`.
    pub fn queue_batch(
        &self,
        ctx: &Context,
        public: &Element,
        bases: &[Element],
        ys: &[Element],
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        if bases.len() != ys.len() {
            return Err(ProofError::Shape("bases and values differ in number"));
        }
        let mut t = batch_transcript(ctx, public, bases, ys);
        let e = batch_weights(&mut t, bases.len());
        let c = final_challenge(t, self, bases.is_empty())?;
        batch
            .equation()
            .g(&self.response)
            .minus(&self.a1)
            .point(public, &-c);
        let mut eq = batch.equation().minus(&self.a2);
        for ((b, y), ei) in bases.iter().zip(ys).zip(&e) {
            eq = eq.point(b, &(self.response * ei)).point(y, &-(c * ei));
        }
        Ok(())
    }

    /// Verifies the batched form.
    pub fn verify_batch(
        &self,
        ctx: &Context,
        public: &Element,
        bases: &[Element],
        ys: &[Element],
    ) -> Result<(), ProofError> {
        verify_one(|b| self.queue_batch(ctx, public, bases, ys, b))
    }

    /// Verifies many single-form proofs in one batch.
    pub fn verify_many(
        items: &[(&Context, DleqStatement<'_>, &DleqProof)],
    ) -> Result<(), ProofError> {
        verify_batch(items, |(ctx, s, p), b| p.queue(ctx, s, b))
    }

    /// Canonical encoding `A₁ ‖ A₂ ‖ z`.
    pub fn to_bytes(&self) -> [u8; DLEQ_LEN] {
        let mut out = Vec::with_capacity(DLEQ_LEN);
        self.write(&mut out);
        out.try_into().expect("96 bytes")
    }

    /// Decodes `A₁ ‖ A₂ ‖ z`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DleqProof {
            a1: r.element_nonidentity()?,
            a2: r.element()?, // the identity only over no bases; checked in verification
            response: r.scalar()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_element(&self.a1);
        out.put_element(&self.a2);
        out.put_scalar(&self.response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::derive_generator;

    #[test]
    fn single_and_batched_forms() {
        let mut rng = crate::rng::os_rng();
        let ctx = Context::new(b"e");
        let x = random_nonzero_scalar(&mut rng);
        let g = Element::generator();
        let big_x = Element::from_point(RistrettoPoint::mul_base(&x));
        let b2 = derive_generator(b"t", 1);
        let y = Element::from_point(b2.point() * x);
        let s = DleqStatement {
            b1: &g,
            x: &big_x,
            b2: &b2,
            y: &y,
        };
        let p = DleqProof::prove_with_rng(&ctx, &s, &x, &mut rng);
        p.verify(&ctx, &s).unwrap();
        let wrong = Element::from_point(b2.point() * (x + Scalar::ONE));
        assert!(p.verify(&ctx, &DleqStatement { y: &wrong, ..s }).is_err());
        assert!(p.verify(&Context::new(b"f"), &s).is_err());

        let bases = crate::generators::derive_generators(b"bases", 5);
        let (ys, bp) = DleqProof::prove_batch_with_rng(&ctx, &big_x, &x, &bases, &mut rng);
        bp.verify_batch(&ctx, &big_x, &bases, &ys).unwrap();
        for i in 0..ys.len() {
            let mut bad = ys.clone();
            bad[i] = Element::from_point(bad[i].point() + RistrettoPoint::mul_base(&Scalar::ONE));
            assert!(
                bp.verify_batch(&ctx, &big_x, &bases, &bad).is_err(),
                "tampered share {i}"
            );
        }
        let mut swapped = ys.clone();
        swapped.swap(0, 1);
        assert!(bp.verify_batch(&ctx, &big_x, &bases, &swapped).is_err());
        assert!(
            bp.verify_batch(&ctx, &big_x, &bases[..4], &ys[..4])
                .is_err()
        );
        assert_eq!(DleqProof::from_bytes(&bp.to_bytes()).unwrap(), bp);
    }
}
