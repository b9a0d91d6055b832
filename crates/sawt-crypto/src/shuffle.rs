//! A verifiable re-encryption shuffle of vector ciphertexts with a Terelius–Wikström proof
//! (`protocol-spec/mixnet.md` §3–§5).
//!
//! The proof follows the pseudo-code of Haenni, Locher, Koenig and Dubuis ("Pseudo-code
//! algorithms for verifiable re-encryption mix-nets", FC 2017 workshops, Algorithms 8.4–8.8),
//! written additively for Ristretto255 and extended to entries of width `w` (every component
//! of an entry moves with the same permutation and gets its own fresh nonce, as in
//! Verificatum). Notation: input entry `j` has components `eⱼ,ₖ = (bⱼ,ₖ, aⱼ,ₖ) = (α, β)`;
//! output `i` is `e'ᵢ = ReEnc(e_{ψ(i)}, r'ᵢ)`.
//!
//! * **Generators.** `h` and `h_1 … h_N` are derived from the seed
//!   `"sawt/v1/shuffle" ‖ u64le(len(election)) ‖ election ‖ u32le(mixer)` (index 0 is `h`,
//!   index `i` is `hᵢ`; mixnet.md numbers them `h_0 … h_{N−1}`, its `h_i` being index `i + 1`),
//!   by [`crate::generators::derive_generator`]; the verifier re-derives
//!   them. Nobody knows a relation between them (`shared/REFERENCES.md` attack 2).
//! * **Permutation commitment.** `c_{ψ(i)} = r_{ψ(i)}·G + hᵢ`.
//! * **Challenges.** After the statement (key, both lists, generators' seed) and `c`, the
//!   transcript gives a seed; `uⱼ = SHA-512("sawt/v1/weight" ‖ seed ‖ u64le(j)) mod ℓ`.
//! * **Commitment chain.** `ĉ_0 = h`, `ĉᵢ = r̂ᵢ·G + u'ᵢ·ĉ_{i−1}` with `u'ᵢ = u_{ψ(i)}`,
//!   computed from explicit exponents `ĉᵢ = Rᵢ·G + Uᵢ·h` so each is two fixed-base
//!   multiplications and the whole chain is parallel.
//! * **Commitments** `t₁ = ω₁G`, `t₂ = ω₂G`, `t₃ = ω₃G + Σω'ᵢhᵢ`,
//!   `t₄,ₖ = (−ω₄,ₖ·H + Σω'ᵢa'ᵢ,ₖ, −ω₄,ₖ·G + Σω'ᵢb'ᵢ,ₖ)`, `t̂ᵢ = ω̂ᵢG + ω'ᵢĉ_{i−1}`;
//!   challenge `c`; responses `s₁ = ω₁ + c·Σrⱼ`, `s₂ = ω₂ + c·Σr̂ᵢvᵢ` (`vᵢ = Π_{l>i}u'_l`),
//!   `s₃ = ω₃ + c·Σrⱼuⱼ`, `s₄,ₖ = ω₄,ₖ + c·Σr'ᵢ,ₖu'ᵢ`, `ŝᵢ = ω̂ᵢ + c·r̂ᵢ`,
//!   `s'ᵢ = ω'ᵢ + c·u'ᵢ`.
//!
//! The proof carries its commitments, so the verifier checks all `N + 3 + 2w` equations with
//! random weights in one multiscalar multiplication, computed in bounded chunks so memory
//! stays linear with a small constant. Sums over secret scalars (`t₃`, `t₄`) use
//! constant-time multiscalar multiplication; the verifier's are variable-time (public data).
//!
//! The mixer's permutation and every nonce are drawn from a 64-byte seed taken from the
//! caller's CSPRNG and expanded with SHA-512 (`prg`), held in zeroizing buffers, and dropped
//! when the proof is made. Moving entries by the permutation is not oblivious: the mixer's
//! host must be trusted against local side channels, as in every deployed mix-net.

use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, MultiscalarMul, VartimeMultiscalarMul};
use rand_core::CryptoRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::batch::weights_from_seed;
use crate::elgamal::{Ciphertext, EncryptionKey, PublicKey};
use crate::error::{DecodeError, ProofError};
use crate::generators::derive_generator;
use crate::group::{Element, Reader, Writer, decode_scalar};
use crate::list::{CiphertextList, MAX_ENTRIES, elements_digest};
use crate::transcript::{Context, TranscriptExt};

/// Domain of the shuffle generators' seed.
pub const GENERATOR_LABEL: &[u8] = b"sawt/v1/shuffle";

/// Entries per chunk of a multiscalar multiplication (bounds memory, keeps Pippenger fast).
const CHUNK: usize = 1 << 13;

/// The generators of one mixer's proof: `h` and `h_1 … h_N`.
pub struct ShuffleGenerators {
    h: Element,
    hs: Vec<Element>,
}

/// The seed bytes of a mixer's generators.
pub fn generator_seed(election: &[u8], mixer: u32) -> Vec<u8> {
    let mut seed = GENERATOR_LABEL.to_vec();
    seed.extend_from_slice(&(election.len() as u64).to_le_bytes());
    seed.extend_from_slice(election);
    seed.extend_from_slice(&mixer.to_le_bytes());
    seed
}

impl ShuffleGenerators {
    /// Derives `h = H(seed, 0)` and `hᵢ = H(seed, i)` for `i = 1..=n`, in parallel.
    pub fn derive(election: &[u8], mixer: u32, n: usize) -> Self {
        let seed = generator_seed(election, mixer);
        let h = derive_generator(&seed, 0);
        let hs = (1..=n as u64)
            .into_par_iter()
            .map(|i| derive_generator(&seed, i))
            .collect();
        ShuffleGenerators { h, hs }
    }
}

/// A Terelius–Wikström shuffle proof for `N` entries of width `w`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShuffleProof {
    /// `t₁`.
    pub t1: Element,
    /// `t₂`.
    pub t2: Element,
    /// `t₃`.
    pub t3: Element,
    /// `(t₄,ₖ,₁, t₄,ₖ,₂)` for each component `k`.
    pub t4: Vec<(Element, Element)>,
    /// `s₁`.
    #[serde(with = "crate::group::scalar_hex")]
    pub s1: Scalar,
    /// `s₂`.
    #[serde(with = "crate::group::scalar_hex")]
    pub s2: Scalar,
    /// `s₃`.
    #[serde(with = "crate::group::scalar_hex")]
    pub s3: Scalar,
    /// `s₄,ₖ` for each component.
    #[serde(with = "crate::group::scalar_vec_hex")]
    pub s4: Vec<Scalar>,
    /// Per entry `i`: `(cᵢ, ĉᵢ, t̂ᵢ, ŝᵢ, s'ᵢ)`.
    pub entries: Vec<ProofEntry>,
}

/// The per-entry part of a shuffle proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofEntry {
    /// Permutation commitment `cᵢ` (indexed by input position).
    pub c: Element,
    /// Chain commitment `ĉᵢ` (indexed by output position).
    pub c_hat: Element,
    /// `t̂ᵢ`.
    pub t_hat: Element,
    /// `ŝᵢ`.
    #[serde(with = "crate::group::scalar_hex")]
    pub s_hat: Scalar,
    /// `s'ᵢ`.
    #[serde(with = "crate::group::scalar_hex")]
    pub s_prime: Scalar,
}

/// Length of one encoded proof entry.
pub const PROOF_ENTRY_LEN: usize = 160;

/// The prover's expansion of its secret seed: `SHA-512("sawt/v1/mixer-prg" ‖ seed ‖ label ‖
/// u64le(i))`, reduced mod ℓ for scalars. Local to the prover (not needed to verify).
struct Prg(Zeroizing<[u8; 64]>);

impl Prg {
    fn block(&self, label: &[u8], i: u64) -> Zeroizing<[u8; 64]> {
        let mut h = Sha512::new();
        h.update(b"sawt/v1/mixer-prg");
        h.update(self.0.as_ref());
        h.update(label);
        h.update(i.to_le_bytes());
        Zeroizing::new(h.finalize().into())
    }

    fn scalar(&self, label: &[u8], i: u64) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.block(label, i))
    }

    fn scalars(&self, label: &[u8], n: usize) -> Zeroizing<Vec<Scalar>> {
        Zeroizing::new(
            (0..n as u64)
                .into_par_iter()
                .map(|i| self.scalar(label, i))
                .collect(),
        )
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates; 128-bit draws reduced, bias
    /// below 2^-100).
    fn permutation(&self, n: usize) -> Zeroizing<Vec<u32>> {
        let mut p: Zeroizing<Vec<u32>> = Zeroizing::new((0..n as u32).collect());
        for i in (1..n).rev() {
            let b = self.block(b"permutation", i as u64);
            let r = u128::from_le_bytes(b[..16].try_into().expect("16 bytes"));
            let j = (r % (i as u128 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// The transcript of a shuffle statement, up to the permutation commitment.
fn statement_transcript(
    ctx: &Context,
    mixer: u32,
    key: &PublicKey,
    inputs: &CiphertextList,
    outputs: &CiphertextList,
) -> merlin::Transcript {
    let mut t = ctx.transcript(b"shuffle");
    t.append_message(b"generators", &generator_seed(ctx.election(), mixer));
    t.append_u64(b"N", inputs.len() as u64);
    t.append_u64(b"w", inputs.width() as u64);
    t.append_element(b"H", key.element());
    t.append_message(b"inputs", &inputs.digest());
    t.append_message(b"outputs", &outputs.digest());
    t
}

fn challenges_u<'a>(
    t: &mut merlin::Transcript,
    commitments: impl ExactSizeIterator<Item = &'a Element>,
) -> Vec<Scalar> {
    let n = commitments.len();
    t.append_message(b"c", &elements_digest(b"sawt/v1/commitments", commitments));
    let mut seed = [0u8; 32];
    t.challenge_bytes(b"u", &mut seed);
    weights_from_seed(&seed, n)
}

fn challenge_c(t: &mut merlin::Transcript, p: &ShuffleProof) -> Scalar {
    let chain = elements_digest(b"sawt/v1/chain", p.entries.iter().map(|e| &e.c_hat));
    t.append_message(b"c_hat", &chain);
    t.append_element(b"t1", &p.t1);
    t.append_element(b"t2", &p.t2);
    t.append_element(b"t3", &p.t3);
    for (a, b) in &p.t4 {
        t.append_element(b"t4a", a);
        t.append_element(b"t4b", b);
    }
    t.append_message(
        b"t_hat",
        &elements_digest(b"sawt/v1/t-hat", p.entries.iter().map(|e| &e.t_hat)),
    );
    t.challenge_scalar(b"c")
}

/// Constant-time `Σ sᵢ·point(itemᵢ)` over secret scalars, in parallel chunks (the points
/// of a chunk are materialised only while it is computed).
fn ct_msm<T: Sync>(
    scalars: &[Scalar],
    items: &[T],
    point: impl Fn(&T) -> RistrettoPoint + Sync,
) -> RistrettoPoint {
    scalars
        .par_chunks(CHUNK / 4)
        .zip(items.par_chunks(CHUNK / 4))
        .map(|(s, it)| RistrettoPoint::multiscalar_mul(s, it.iter().map(&point)))
        .reduce(RistrettoPoint::default, |a, b| a + b)
}

/// Shuffles `inputs` under `key` and proves it: the work of mixer `mixer` in the election
/// `ctx` is bound to (whose identifier seeds the generators).
///
/// Returns the output list and its proof. The permutation and nonces never leave this
/// function.
pub fn shuffle_with_rng<R: CryptoRng + ?Sized>(
    ctx: &Context,
    mixer: u32,
    key: &EncryptionKey,
    inputs: &CiphertextList,
    rng: &mut R,
) -> Result<(CiphertextList, ShuffleProof), ProofError> {
    let n = inputs.len();
    let w = inputs.width();
    if n as u64 > MAX_ENTRIES {
        return Err(ProofError::Shape("too many entries"));
    }
    let mut seed = Zeroizing::new([0u8; 64]);
    seed[..32].copy_from_slice(Zeroizing::new(Scalar::random(rng)).as_bytes());
    seed[32..].copy_from_slice(Zeroizing::new(Scalar::random(rng)).as_bytes());
    let prg = Prg(seed);

    // Shuffle and re-encrypt.
    let psi = prg.permutation(n);
    let r_prime = prg.scalars(b"reencrypt", n * w);
    let out_cts: Vec<Ciphertext> = (0..n * w)
        .into_par_iter()
        .map(|idx| {
            let (i, k) = (idx / w, idx % w);
            let src = &inputs.entry(psi[i] as usize)[k];
            let r = &r_prime[idx];
            Ciphertext::from_points(
                src.alpha().point() + RistrettoPoint::mul_base(r),
                src.beta().point() + key.mul_key(r),
            )
        })
        .collect();
    let outputs = CiphertextList::new(w, out_cts).expect("width checked by the input");

    // Permutation commitment, indexed by input position: c_{ψ(i)} = r_{ψ(i)}·G + hᵢ.
    let gens = ShuffleGenerators::derive(ctx.election(), mixer, n);
    let mut inverse = Zeroizing::new(vec![0u32; n]);
    for (i, &j) in psi.iter().enumerate() {
        inverse[j as usize] = i as u32;
    }
    let r = prg.scalars(b"commit", n);
    let c: Vec<Element> = (0..n)
        .into_par_iter()
        .map(|j| {
            Element::from_point(
                RistrettoPoint::mul_base(&r[j]) + gens.hs[inverse[j] as usize].point(),
            )
        })
        .collect();

    let mut t = statement_transcript(ctx, mixer, key.public_key(), inputs, &outputs);
    let u = challenges_u(&mut t, c.iter());
    let u_prime: Zeroizing<Vec<Scalar>> =
        Zeroizing::new(psi.iter().map(|&j| u[j as usize]).collect());

    // Chain exponents: ĉᵢ = Rᵢ·G + Uᵢ·h, R₀ = 0, U₀ = 1.
    let r_hat = prg.scalars(b"chain", n);
    let mut big_r = Zeroizing::new(Vec::with_capacity(n + 1));
    let mut big_u = Zeroizing::new(Vec::with_capacity(n + 1));
    big_r.push(Scalar::ZERO);
    big_u.push(Scalar::ONE);
    for i in 0..n {
        let next_r = r_hat[i] + u_prime[i] * big_r[i];
        let next_u = u_prime[i] * big_u[i];
        big_r.push(next_r);
        big_u.push(next_u);
    }
    let h_table = RistrettoBasepointTable::create(gens.h.point());

    // Commitments.
    let omega = prg.scalars(b"omega", 3);
    let omega4 = prg.scalars(b"omega4", w);
    let omega_hat = prg.scalars(b"omega-hat", n);
    let omega_prime = prg.scalars(b"omega-prime", n);
    let t1 = Element::from_point(RistrettoPoint::mul_base(&omega[0]));
    let t2 = Element::from_point(RistrettoPoint::mul_base(&omega[1]));
    let t3 = Element::from_point(
        RistrettoPoint::mul_base(&omega[2]) + ct_msm(&omega_prime, &gens.hs, |h| *h.point()),
    );
    let t4: Vec<(Element, Element)> = (0..w)
        .map(|k| {
            let entries: Vec<&[Ciphertext]> = outputs.entries().collect();
            (
                Element::from_point(
                    ct_msm(&omega_prime, &entries, |e| *e[k].beta().point())
                        - key.mul_key(&omega4[k]),
                ),
                Element::from_point(
                    ct_msm(&omega_prime, &entries, |e| *e[k].alpha().point())
                        - RistrettoPoint::mul_base(&omega4[k]),
                ),
            )
        })
        .collect();
    // Per entry: ĉᵢ = Rᵢ·G + Uᵢ·h (1-based chain index i + 1), and
    // t̂ᵢ = ω̂ᵢ·G + ω'ᵢ·ĉ_{i−1} = (ω̂ᵢ + ω'ᵢR_{i−1})·G + (ω'ᵢU_{i−1})·h.
    let entries: Vec<ProofEntry> = (0..n)
        .into_par_iter()
        .map(|i| {
            let c_hat = Element::from_point(
                RistrettoPoint::mul_base(&big_r[i + 1]) + &h_table * &big_u[i + 1],
            );
            let g_part = Zeroizing::new(omega_hat[i] + omega_prime[i] * big_r[i]);
            let h_part = Zeroizing::new(omega_prime[i] * big_u[i]);
            let t_hat =
                Element::from_point(RistrettoPoint::mul_base(&g_part) + &h_table * &*h_part);
            ProofEntry {
                c: c[i],
                c_hat,
                t_hat,
                s_hat: Scalar::ZERO,
                s_prime: Scalar::ZERO,
            }
        })
        .collect();
    drop(c);

    let mut proof = ShuffleProof {
        t1,
        t2,
        t3,
        t4,
        s1: Scalar::ZERO,
        s2: Scalar::ZERO,
        s3: Scalar::ZERO,
        s4: Vec::new(),
        entries,
    };
    let ch = challenge_c(&mut t, &proof);

    // Responses.
    let mut v = Zeroizing::new(vec![Scalar::ONE; n]); // vᵢ = Π_{l>i} u'_l (0-based)
    for i in (0..n.saturating_sub(1)).rev() {
        v[i] = u_prime[i + 1] * v[i + 1];
    }
    let r_sum = Zeroizing::new(r.iter().sum::<Scalar>());
    let r_hat_v = Zeroizing::new(
        r_hat
            .iter()
            .zip(v.iter())
            .map(|(a, b)| a * b)
            .sum::<Scalar>(),
    );
    let r_u = Zeroizing::new(r.iter().zip(u.iter()).map(|(a, b)| a * b).sum::<Scalar>());
    proof.s1 = omega[0] + ch * *r_sum;
    proof.s2 = omega[1] + ch * *r_hat_v;
    proof.s3 = omega[2] + ch * *r_u;
    proof.s4 = (0..w)
        .map(|k| {
            let rk = Zeroizing::new(
                (0..n)
                    .map(|i| r_prime[i * w + k] * u_prime[i])
                    .sum::<Scalar>(),
            );
            omega4[k] + ch * *rk
        })
        .collect();
    for (i, e) in proof.entries.iter_mut().enumerate() {
        e.s_hat = omega_hat[i] + ch * r_hat[i];
        e.s_prime = omega_prime[i] + ch * u_prime[i];
    }
    Ok((outputs, proof))
}

/// Convenience form of [`shuffle_with_rng`] with the operating system's CSPRNG.
pub fn shuffle(
    ctx: &Context,
    mixer: u32,
    key: &EncryptionKey,
    inputs: &CiphertextList,
) -> Result<(CiphertextList, ShuffleProof), ProofError> {
    shuffle_with_rng(ctx, mixer, key, inputs, &mut crate::rng::os_rng())
}

impl ShuffleProof {
    /// Verifies that `outputs` is a re-encryption and permutation of `inputs` under `key`,
    /// made by mixer `mixer` in context `ctx` (whose election seeds the generators).
    pub fn verify(
        &self,
        ctx: &Context,
        mixer: u32,
        key: &PublicKey,
        inputs: &CiphertextList,
        outputs: &CiphertextList,
    ) -> Result<(), ProofError> {
        let n = inputs.len();
        let w = inputs.width();
        if outputs.len() != n || outputs.width() != w {
            return Err(ProofError::Shape(
                "output list differs in size from the input list",
            ));
        }
        if self.entries.len() != n || self.t4.len() != w || self.s4.len() != w {
            return Err(ProofError::Shape("proof size does not match the lists"));
        }
        if self
            .entries
            .iter()
            .any(|e| e.c.is_identity() || e.c_hat.is_identity() || e.t_hat.is_identity())
            || [&self.t1, &self.t2, &self.t3]
                .iter()
                .any(|e| e.is_identity())
            || self
                .t4
                .iter()
                .any(|(a, b)| a.is_identity() || b.is_identity())
        {
            return Err(ProofError::Shape("identity commitment in a shuffle proof"));
        }
        let gens = ShuffleGenerators::derive(ctx.election(), mixer, n);
        let mut t = statement_transcript(ctx, mixer, key, inputs, outputs);
        let u = challenges_u(&mut t, self.entries.iter().map(|e| &e.c));
        let ch = challenge_c(&mut t, self);

        // Random weights for the equations: z[0..3] for E1–E3, z4/z5 per component, ẑᵢ.
        let mut weights = crate::batch::Weights::new();
        let (z1, z2, z3) = (weights.next(), weights.next(), weights.next());
        let z4: Vec<Scalar> = (0..w).map(|_| weights.next()).collect();
        let z5: Vec<Scalar> = (0..w).map(|_| weights.next()).collect();
        let z_hat: Vec<Scalar> = (0..n).map(|_| weights.next()).collect();
        let u_prod: Scalar = u.iter().product();

        // Fixed terms.
        let mut g = z1 * self.s1 + z2 * self.s2 + z3 * self.s3;
        let mut key_coeff = Scalar::ZERO;
        for k in 0..w {
            g -= z5[k] * self.s4[k];
            key_coeff -= z4[k] * self.s4[k];
        }
        for (i, e) in self.entries.iter().enumerate() {
            g += z_hat[i] * e.s_hat;
        }
        let c_hat_last = self
            .entries
            .last()
            .map(|e| *e.c_hat.point())
            .unwrap_or(*gens.h.point());
        let mut scalars = vec![g, key_coeff, -z1, -z2, -z3];
        let mut points = vec![
            curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
            *key.element().point(),
            *self.t1.point(),
            *self.t2.point(),
            *self.t3.point(),
        ];
        for k in 0..w {
            scalars.push(-z4[k]);
            points.push(*self.t4[k].0.point());
            scalars.push(-z5[k]);
            points.push(*self.t4[k].1.point());
        }
        // h: +z₂·c·Π u (E2) and, through ĉ₀ = h, +ẑ₁·s'₁ (Ê₁).
        let first_s = self
            .entries
            .first()
            .map(|e| z_hat[0] * e.s_prime)
            .unwrap_or(Scalar::ZERO);
        scalars.push(z2 * ch * u_prod + first_s);
        points.push(*gens.h.point());
        // ĉ_N: −z₂·c (E2).
        scalars.push(-(z2 * ch));
        points.push(c_hat_last);
        let fixed = RistrettoPoint::vartime_multiscalar_mul(&scalars, &points);

        // Per-entry terms, in chunks.
        // Chunks small enough to keep every thread busy, large enough for Pippenger.
        let chunk = n
            .div_ceil(4 * rayon::current_num_threads())
            .clamp(256, CHUNK);
        let per_entry = (0..n)
            .into_par_iter()
            .chunks(chunk)
            .map(|idx| {
                let mut s = Vec::with_capacity(idx.len() * (4 + 4 * w));
                let mut p = Vec::with_capacity(idx.len() * (4 + 4 * w));
                for i in idx {
                    let e = &self.entries[i];
                    // hᵢ: +z₁·c (E1) + z₃·s'ᵢ (E3).
                    s.push(z1 * ch + z3 * e.s_prime);
                    p.push(*gens.hs[i].point());
                    // cᵢ: −z₁·c (E1) − z₃·c·uᵢ (E3).
                    s.push(-(z1 * ch) - z3 * ch * u[i]);
                    p.push(*e.c.point());
                    // ĉᵢ: −ẑᵢ·c (Êᵢ) + ẑ_{i+1}·s'_{i+1} (Ê_{i+1}).
                    let next = if i + 1 < n {
                        z_hat[i + 1] * self.entries[i + 1].s_prime
                    } else {
                        Scalar::ZERO
                    };
                    s.push(next - z_hat[i] * ch);
                    p.push(*e.c_hat.point());
                    // t̂ᵢ: −ẑᵢ.
                    s.push(-z_hat[i]);
                    p.push(*e.t_hat.point());
                    for k in 0..w {
                        let (inp, out) = (&inputs.entry(i)[k], &outputs.entry(i)[k]);
                        // Inputs: −c·uᵢ·(z₄·aᵢ + z₅·bᵢ). Outputs: s'ᵢ·(z₄·a'ᵢ + z₅·b'ᵢ).
                        let cu = ch * u[i];
                        s.push(-(z4[k] * cu));
                        p.push(*inp.beta().point());
                        s.push(-(z5[k] * cu));
                        p.push(*inp.alpha().point());
                        s.push(z4[k] * e.s_prime);
                        p.push(*out.beta().point());
                        s.push(z5[k] * e.s_prime);
                        p.push(*out.alpha().point());
                    }
                }
                RistrettoPoint::vartime_multiscalar_mul(&s, &p)
            })
            .reduce(RistrettoPoint::default, |a, b| a + b);
        if (fixed + per_entry).is_identity() {
            Ok(())
        } else {
            Err(ProofError::Equation)
        }
    }

    /// Writes the canonical encoding: `"SAWTSHP1" ‖ u64le(N) ‖ u32le(w) ‖ t₁ ‖ t₂ ‖ t₃ ‖
    /// (t₄,ₖ,₁ ‖ t₄,ₖ,₂)ₖ ‖ s₁ ‖ s₂ ‖ s₃ ‖ (s₄,ₖ)ₖ ‖ (cᵢ ‖ ĉᵢ ‖ t̂ᵢ ‖ ŝᵢ ‖ s'ᵢ)ᵢ`, streaming the
    /// per-entry records.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut head = Vec::with_capacity(20 + 96 + 64 * self.t4.len() + 96 + 32 * self.s4.len());
        head.extend_from_slice(SHUFFLE_MAGIC);
        head.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        head.put_u32(self.t4.len() as u32);
        for e in [&self.t1, &self.t2, &self.t3] {
            head.put_element(e);
        }
        for (a, b) in &self.t4 {
            head.put_element(a);
            head.put_element(b);
        }
        for s in [&self.s1, &self.s2, &self.s3] {
            head.put_scalar(s);
        }
        for s in &self.s4 {
            head.put_scalar(s);
        }
        out.write_all(&head)?;
        let mut rec = Vec::with_capacity(PROOF_ENTRY_LEN);
        for e in &self.entries {
            rec.clear();
            rec.put_element(&e.c);
            rec.put_element(&e.c_hat);
            rec.put_element(&e.t_hat);
            rec.put_scalar(&e.s_hat);
            rec.put_scalar(&e.s_prime);
            out.write_all(&rec)?;
        }
        Ok(())
    }

    /// The canonical encoding in memory.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }

    /// Reads the canonical encoding, decoding entries in parallel batches.
    pub fn read_from(input: &mut impl std::io::Read) -> Result<Self, crate::list::ListError> {
        let mut fixed = [0u8; 20];
        input.read_exact(&mut fixed)?;
        if &fixed[..8] != SHUFFLE_MAGIC {
            return Err(DecodeError::Count("shuffle proof magic").into());
        }
        let n = u64::from_le_bytes(fixed[8..16].try_into().expect("8 bytes"));
        let w = u32::from_le_bytes(fixed[16..20].try_into().expect("4 bytes")) as usize;
        if n > MAX_ENTRIES || w == 0 || w > crate::elgamal::MAX_WIDTH {
            return Err(DecodeError::Count("shuffle proof size").into());
        }
        let mut head = vec![0u8; 96 + 64 * w + 96 + 32 * w];
        input.read_exact(&mut head)?;
        let mut r = Reader::new(&head);
        let (t1, t2, t3) = (
            r.element_nonidentity()?,
            r.element_nonidentity()?,
            r.element_nonidentity()?,
        );
        let t4 = (0..w)
            .map(|_| Ok((r.element_nonidentity()?, r.element_nonidentity()?)))
            .collect::<Result<_, DecodeError>>()?;
        let (s1, s2, s3) = (r.scalar()?, r.scalar()?, r.scalar()?);
        let s4 = (0..w).map(|_| r.scalar()).collect::<Result<_, _>>()?;
        r.finish()?;
        let n = n as usize;
        let mut entries = Vec::with_capacity(n.min(1 << 20));
        const BATCH: usize = 1 << 13;
        let mut buf = vec![0u8; BATCH * PROOF_ENTRY_LEN];
        let mut done = 0;
        while done < n {
            let k = BATCH.min(n - done);
            let chunk = &mut buf[..k * PROOF_ENTRY_LEN];
            input.read_exact(chunk)?;
            let decoded: Result<Vec<ProofEntry>, DecodeError> = chunk
                .par_chunks(PROOF_ENTRY_LEN)
                .map(|b| {
                    let mut r = Reader::new(b);
                    Ok(ProofEntry {
                        c: r.element_nonidentity()?,
                        c_hat: r.element_nonidentity()?,
                        t_hat: r.element_nonidentity()?,
                        s_hat: decode_scalar(r.bytes(32)?)?,
                        s_prime: decode_scalar(r.bytes(32)?)?,
                    })
                })
                .collect();
            entries.extend(decoded?);
            done += k;
        }
        Ok(ShuffleProof {
            t1,
            t2,
            t3,
            t4,
            s1,
            s2,
            s3,
            s4,
            entries,
        })
    }

    /// Decodes an encoding held in memory; trailing bytes are rejected.
    pub fn from_bytes(mut bytes: &[u8]) -> Result<Self, crate::list::ListError> {
        let p = Self::read_from(&mut bytes)?;
        if !bytes.is_empty() {
            return Err(DecodeError::Trailing.into());
        }
        Ok(p)
    }
}

/// Magic bytes of an encoded shuffle proof.
pub const SHUFFLE_MAGIC: &[u8; 8] = b"SAWTSHP1";
