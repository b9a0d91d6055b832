//! Range proofs: a ciphertext encrypts a value in `0..=K` (`protocol-spec/crypto.md` §5.3).
//!
//! The Cramer–Damgård–Schoenmakers disjunction of `K + 1` Chaum–Pedersen branches. For
//! `K = 1` this is the 0/1 selection proof; for a contest total it proves "voted for at most
//! K". Statement: public key `H`, ciphertext `(α, β)`, bound `K`. Branch `j` claims
//! `α = r·G` and `β − j·G = r·H`.
//!
//! Prover, knowing `m` and `r`: for the real branch `j = m`: `u` random,
//! `aⱼ = u·G`, `bⱼ = u·H`; for every simulated branch `j ≠ m`: `cⱼ, vⱼ` random,
//! `aⱼ = vⱼ·G − cⱼ·α`, `bⱼ = vⱼ·H − cⱼ·(β − j·G)`, computed as the fixed-base products
//! `aⱼ = (vⱼ − cⱼr)·G` and `bⱼ = (vⱼ − cⱼr)·H + (j − m)cⱼ·G`. Then
//! `c = challenge`, `c_m = c − Σ_{j≠m} cⱼ`, `v_m = u + c_m·r`. The simulated values are
//! drawn for `K` slots (slot `k` simulates branch `k` if `k < m`, else `k + 1`) and placed
//! into the branches with constant-time selections; every branch then runs the same
//! operations, so neither timing nor memory access reveals `m`. The cost is `3K + 4`
//! fixed-base multiplications including the encryption (7 for a 0/1 selection).
//!
//! Randomness is drawn in this order: `u`, then `(c, v)` for each slot `k = 0..K`.
//!
//! Verifier: `c_K = c − Σ_{j<K} cⱼ`, and for each `j`: `vⱼ·G − aⱼ − cⱼ·α = 0` and
//! `vⱼ·H − bⱼ − cⱼ·β + j·cⱼ·G = 0`.
//!
//! Transcript: `proof = "range"`, `K` (u64), `H`, `alpha`, `beta`, then `a` and `b` for
//! `j = 0..=K`, challenge `c`.
//!
//! Encoding: `u32le(K) ‖ (aⱼ ‖ bⱼ)_{j=0..K} ‖ c_0 … c_{K−1} ‖ v_0 … v_K`, with
//! `1 ≤ K ≤ MAX_RANGE` and no identity commitment: `32·(4K + 3) + 4` bytes.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use subtle::{
    Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess,
};
use zeroize::Zeroizing;

use crate::batch::{BatchVerifier, verify_batch, verify_one};
use crate::elgamal::{Ciphertext, EncryptionKey, Nonce, PublicKey, random_nonzero_scalar};
use crate::error::{DecodeError, ProofError};
use crate::group::{Element, Reader, Writer, scalar_vec_hex};
use crate::transcript::{Context, TranscriptExt};

/// The largest bound `K` a range proof may have.
pub const MAX_RANGE: u64 = 255;

/// A proof that a ciphertext encrypts a value in `0..=K`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof {
    /// `aⱼ` for `j = 0..=K`.
    pub a: Vec<Element>,
    /// `bⱼ` for `j = 0..=K`.
    pub b: Vec<Element>,
    /// `cⱼ` for `j = 0..K` (the last challenge is implied).
    #[serde(with = "scalar_vec_hex")]
    pub c: Vec<Scalar>,
    /// `vⱼ` for `j = 0..=K`.
    #[serde(with = "scalar_vec_hex")]
    pub v: Vec<Scalar>,
}

fn statement_transcript(
    ctx: &Context,
    key: &PublicKey,
    ct: &Ciphertext,
    max: u64,
) -> merlin::Transcript {
    let mut t = ctx.transcript(b"range");
    t.append_u64(b"K", max);
    t.append_element(b"H", key.element());
    t.append_element(b"alpha", ct.alpha());
    t.append_element(b"beta", ct.beta());
    t
}

fn challenge(mut t: merlin::Transcript, a: &[Element], b: &[Element]) -> Scalar {
    for (aj, bj) in a.iter().zip(b) {
        t.append_element(b"a", aj);
        t.append_element(b"b", bj);
    }
    t.challenge_scalar(b"c")
}

/// Encrypts `value` and proves it lies in `0..=max`: one ballot selection (`max = 1`) or a
/// contest total. Returns the ciphertext, its proof and the nonce (for a Benaloh audit).
pub fn encrypt_in_range_with_rng<R: CryptoRng + ?Sized>(
    ctx: &Context,
    key: &EncryptionKey,
    value: u64,
    max: u64,
    rng: &mut R,
) -> Result<(Ciphertext, RangeProof, Nonce), ProofError> {
    if max == 0 || max > MAX_RANGE || value > max {
        return Err(ProofError::Shape(
            "value outside 0..=K, or K outside 1..=MAX_RANGE",
        ));
    }
    let (ct, nonce) = key.encrypt_small_with_rng(value, max, rng);
    let proof = RangeProof::prove_with_rng(ctx, key, &ct, value, &nonce, max, rng)?;
    Ok((ct, proof, nonce))
}

impl RangeProof {
    /// Proves that `ct = Enc(value; nonce)` with `value ≤ max`.
    pub fn prove_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        key: &EncryptionKey,
        ct: &Ciphertext,
        value: u64,
        nonce: &Nonce,
        max: u64,
        rng: &mut R,
    ) -> Result<RangeProof, ProofError> {
        if max == 0 || max > MAX_RANGE {
            return Err(ProofError::Shape("range bound out of 1..=MAX_RANGE"));
        }
        if value > max {
            return Err(ProofError::Shape("value exceeds the range bound"));
        }
        let r = &nonce.0;
        let m = Scalar::from(value);
        let n = (max + 1) as usize;
        let k_sim = n - 1;
        // Randomness: u for the real branch, then (c, v) for each of the K simulation slots.
        let u = Zeroizing::new(random_nonzero_scalar(rng));
        let slots: Zeroizing<Vec<(Scalar, Scalar)>> = Zeroizing::new(
            (0..k_sim)
                .map(|_| (random_nonzero_scalar(rng), random_nonzero_scalar(rng)))
                .collect(),
        );
        // Slot k simulates branch k if k < m, else branch k + 1. Place the slots into the
        // branches with constant-time selections, so memory access does not depend on m.
        let slot_of = |j: usize, k: usize| -> Choice {
            let (j, k) = (j as u64, k as u64);
            (k.ct_eq(&j) & j.ct_lt(&value)) | ((k + 1).ct_eq(&j) & j.ct_gt(&value))
        };
        let mut cs = Zeroizing::new(vec![Scalar::ZERO; n]);
        let mut vs = Zeroizing::new(vec![Scalar::ZERO; n]);
        for j in 0..n {
            for (k, (c, v)) in slots.iter().enumerate() {
                let here = slot_of(j, k);
                cs[j].conditional_assign(c, here);
                vs[j].conditional_assign(v, here);
            }
        }
        // T_k = (j(k) − m)·c_k·G for each slot: the G term of a simulated b.
        let t_points: Vec<RistrettoPoint> = slots
            .iter()
            .enumerate()
            .map(|(k, (c, _))| {
                let ge = Scalar::conditional_select(
                    &Scalar::ZERO,
                    &Scalar::ONE,
                    !(k as u64).ct_lt(&value),
                );
                RistrettoPoint::mul_base(&((Scalar::from(k as u64) + ge - m) * c))
            })
            .collect();
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for j in 0..n {
            let real = (j as u64).ct_eq(&value);
            // Real branch: s = u. Simulated: s = v − c·r, so that a = v·G − c·α and
            // b = v·H − c·(β − j·G).
            let s = Scalar::conditional_select(&(vs[j] - cs[j] * r), &u, real);
            let mut t = RistrettoPoint::identity();
            for (k, tk) in t_points.iter().enumerate() {
                t.conditional_assign(tk, slot_of(j, k));
            }
            a.push(Element::from_point(RistrettoPoint::mul_base(&s)));
            b.push(Element::from_point(key.mul_key(&s) + t));
        }
        let c = challenge(statement_transcript(ctx, key.public_key(), ct, max), &a, &b);
        let simulated_sum: Scalar = slots.iter().map(|(c, _)| c).sum();
        let c_real = c - simulated_sum;
        let v_real = *u + c_real * r;
        for j in 0..n {
            let real = (j as u64).ct_eq(&value);
            cs[j].conditional_assign(&c_real, real);
            vs[j].conditional_assign(&v_real, real);
        }
        let c_out = cs[..n - 1].to_vec();
        Ok(RangeProof {
            a,
            b,
            c: c_out,
            v: vs.to_vec(),
        })
    }

    /// The bound `K` this proof is shaped for.
    pub fn bound(&self) -> u64 {
        self.a.len().saturating_sub(1) as u64
    }

    /// Queues the check that `ct` encrypts a value in `0..=max` under `key`.
    pub fn queue(
        &self,
        ctx: &Context,
        key: &PublicKey,
        ct: &Ciphertext,
        max: u64,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        if max == 0 || max > MAX_RANGE {
            return Err(ProofError::Shape("range bound out of 1..=MAX_RANGE"));
        }
        let n = (max + 1) as usize;
        if self.a.len() != n || self.b.len() != n || self.c.len() != n - 1 || self.v.len() != n {
            return Err(ProofError::Shape(
                "range proof has the wrong number of branches",
            ));
        }
        if self.a.iter().chain(&self.b).any(Element::is_identity) {
            return Err(ProofError::Shape("identity commitment"));
        }
        let c = challenge(statement_transcript(ctx, key, ct, max), &self.a, &self.b);
        let last = c - self.c.iter().sum::<Scalar>();
        for j in 0..n {
            let cj = if j + 1 == n { last } else { self.c[j] };
            let vj = &self.v[j];
            batch
                .equation()
                .g(vj)
                .minus(&self.a[j])
                .point(ct.alpha(), &-cj);
            batch
                .equation()
                .shared(key.element(), vj)
                .minus(&self.b[j])
                .point(ct.beta(), &-cj)
                .g(&(Scalar::from(j as u64) * cj));
        }
        Ok(())
    }

    /// Verifies that `ct` encrypts a value in `0..=max` under `key`.
    pub fn verify(
        &self,
        ctx: &Context,
        key: &PublicKey,
        ct: &Ciphertext,
        max: u64,
    ) -> Result<(), ProofError> {
        verify_one(|b| self.queue(ctx, key, ct, max, b))
    }

    /// Verifies many `(context, ciphertext, proof, bound)` under one key in batches; names the
    /// first bad proof.
    pub fn verify_many(
        key: &PublicKey,
        items: &[(&Context, &Ciphertext, &RangeProof, u64)],
    ) -> Result<(), ProofError> {
        verify_batch(items, |(ctx, ct, p, max), b| p.queue(ctx, key, ct, *max, b))
    }

    /// Canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 32 * (4 * self.a.len()));
        self.write(&mut out);
        out
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let k = u64::from(r.u32()?);
        if k == 0 || k > MAX_RANGE {
            return Err(DecodeError::Count("range bound"));
        }
        let n = (k + 1) as usize;
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            a.push(r.element_nonidentity()?);
            b.push(r.element_nonidentity()?);
        }
        let c = (0..n - 1).map(|_| r.scalar()).collect::<Result<_, _>>()?;
        let v = (0..n).map(|_| r.scalar()).collect::<Result<_, _>>()?;
        Ok(RangeProof { a, b, c, v })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_u32(self.bound() as u32);
        for (a, b) in self.a.iter().zip(&self.b) {
            out.put_element(a);
            out.put_element(b);
        }
        for c in &self.c {
            out.put_scalar(c);
        }
        for v in &self.v {
            out.put_scalar(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::SecretKey;

    #[test]
    fn every_value_in_range_verifies_and_out_of_range_cannot_be_proved() {
        let mut rng = crate::rng::os_rng();
        let ek = SecretKey::generate().public_key().prepare();
        let ctx = Context::new(b"e").with(b"contest", b"muscat");
        for max in [1u64, 2, 3, 6] {
            for value in 0..=max {
                let (ct, p, _) =
                    encrypt_in_range_with_rng(&ctx, &ek, value, max, &mut rng).unwrap();
                p.verify(&ctx, ek.public_key(), &ct, max).unwrap();
                assert!(p.verify(&ctx, ek.public_key(), &ct, max + 1).is_err());
                assert!(
                    p.verify(&Context::new(b"e"), ek.public_key(), &ct, max)
                        .is_err()
                );
                assert_eq!(RangeProof::from_bytes(&p.to_bytes()).unwrap(), p);
            }
            assert!(encrypt_in_range_with_rng(&ctx, &ek, max + 1, max, &mut rng).is_err());
        }
    }

    #[test]
    fn a_proof_for_an_honest_value_does_not_cover_a_cheating_ciphertext() {
        // Encrypt 2, but try to pass it as a 0/1 selection with a proof built for value 1
        // on a different ciphertext: the equations must fail.
        let mut rng = crate::rng::os_rng();
        let ek = SecretKey::generate().public_key().prepare();
        let ctx = Context::new(b"e");
        let (ct1, p1, _) = encrypt_in_range_with_rng(&ctx, &ek, 1, 1, &mut rng).unwrap();
        let (ct2, _) = ek.encrypt_with_rng(2, &mut rng);
        assert!(p1.verify(&ctx, ek.public_key(), &ct2, 1).is_err());
        p1.verify(&ctx, ek.public_key(), &ct1, 1).unwrap();
        // The prover refuses to prove 2 ∈ 0..=1, and a proof forged with value 1 for an
        // encryption of 2 does not verify.
        let forged =
            RangeProof::prove_with_rng(&ctx, &ek, &ct2, 1, &Nonce(Scalar::ONE), 1, &mut rng)
                .unwrap();
        assert!(forged.verify(&ctx, ek.public_key(), &ct2, 1).is_err());
    }
}
