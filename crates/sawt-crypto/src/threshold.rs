//! Verifiable threshold decryption (`protocol-spec/crypto.md` §7).
//!
//! Trustee `j` holds `s_j` with public verification key `H_j = s_j·G`. For ciphertexts
//! `(αᵢ, βᵢ)` it posts a [`DecryptionShare`]: `Mᵢ = s_j·αᵢ` for every `i`, with one batched
//! Chaum–Pedersen proof ([`DleqProof::prove_batch_with_rng`]) that every `Mᵢ` uses the same
//! `s_j` as `H_j`, in a context bound to the purpose `"decryption"` and the trustee.
//!
//! Any `t` valid shares from trustees `S` combine by Lagrange interpolation at zero:
//! `λ_j = Π_{m∈S, m≠j} m / (m − j)`, `x·αᵢ = Σ_{j∈S} λ_j·Mᵢ⁽ʲ⁾`, and the plaintext
//! element is `mᵢ·G = βᵢ − x·αᵢ`. Absent trustees therefore do not stop a tally while `t`
//! remain; a share whose proof fails is named and left out.

use std::collections::BTreeSet;
use std::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::CryptoRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::dkg::{KeyGenOutcome, MAX_TRUSTEES};
use crate::dlog::DlogTable;
use crate::elgamal::Ciphertext;
use crate::error::{DecodeError, DecryptionError, ProofError};
use crate::group::{Element, Reader, Writer};
use crate::proofs::dleq::DleqProof;
use crate::transcript::Context;

/// A trustee's share `s_j` of the election secret key. Zeroized on drop; never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TrusteeKeyShare {
    #[zeroize(skip)]
    index: u32,
    secret: Scalar,
    #[zeroize(skip)]
    verification_key: Element,
}

impl fmt::Debug for TrusteeKeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrusteeKeyShare")
            .field("index", &self.index)
            .field("verification_key", &self.verification_key)
            .finish_non_exhaustive()
    }
}

fn decryption_context(ctx: &Context, trustee: u32) -> Context {
    ctx.clone()
        .with(b"purpose", b"decryption")
        .with_u64(b"trustee", u64::from(trustee))
}

impl TrusteeKeyShare {
    pub(crate) fn new(index: u32, secret: Scalar, verification_key: Element) -> Self {
        TrusteeKeyShare {
            index,
            secret,
            verification_key,
        }
    }

    /// Restores a share from its secret scalar (the trustee's encrypted key file), checking
    /// it against the published verification key.
    pub fn from_secret(index: u32, secret: Scalar, verification_key: Element) -> Option<Self> {
        (RistrettoPoint::mul_base(&secret) == *verification_key.point())
            .then(|| TrusteeKeyShare::new(index, secret, verification_key))
    }

    /// The secret scalar, to store it encrypted at rest. Handle with care.
    pub fn expose_secret(&self) -> &Scalar {
        &self.secret
    }

    /// The trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The trustee's public verification key `H_j`.
    pub fn verification_key(&self) -> &Element {
        &self.verification_key
    }

    /// Computes and proves this trustee's decryption shares for `cts`.
    ///
    /// A trivial ciphertext (`α = 0`, such as the sum of no ballots) has the share `0` and is
    /// left out of the proof: its plaintext is `β` itself.
    pub fn decrypt_with_rng<R: CryptoRng + ?Sized>(
        &self,
        ctx: &Context,
        cts: &[Ciphertext],
        rng: &mut R,
    ) -> DecryptionShare {
        let bases = nontrivial_bases(cts);
        let (proved, proof) = DleqProof::prove_batch_with_rng(
            &decryption_context(ctx, self.index),
            &self.verification_key,
            &self.secret,
            &bases,
            rng,
        );
        let mut proved = proved.into_iter();
        let shares = cts
            .iter()
            .map(|c| {
                if c.alpha().is_identity() {
                    Element::identity()
                } else {
                    proved.next().expect("one share per non-trivial ciphertext")
                }
            })
            .collect();
        DecryptionShare {
            trustee: self.index,
            shares,
            proof,
        }
    }
}

/// The `α` of every non-trivial ciphertext, in order: the bases of the batched proof.
fn nontrivial_bases(cts: &[Ciphertext]) -> Vec<Element> {
    cts.iter()
        .map(|c| *c.alpha())
        .filter(|a| !a.is_identity())
        .collect()
}

/// One trustee's decryption shares for a list of ciphertexts, with their proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The trustee `j`.
    pub trustee: u32,
    /// `Mᵢ = s_j·αᵢ`, one per ciphertext, in order.
    pub shares: Vec<Element>,
    /// The batched Chaum–Pedersen proof.
    pub proof: DleqProof,
}

impl DecryptionShare {
    /// Verifies the share against the trustee's verification key and the ciphertexts.
    pub fn verify(
        &self,
        ctx: &Context,
        verification_key: &Element,
        cts: &[Ciphertext],
    ) -> Result<(), ProofError> {
        if self.shares.len() != cts.len() {
            return Err(ProofError::Shape("one share per ciphertext"));
        }
        let mut proved = Vec::with_capacity(cts.len());
        for (c, m) in cts.iter().zip(&self.shares) {
            if !c.alpha().is_identity() {
                proved.push(*m);
            } else if !m.is_identity() {
                return Err(ProofError::Shape(
                    "the share of a trivial ciphertext must be 0",
                ));
            }
        }
        self.proof.verify_batch(
            &decryption_context(ctx, self.trustee),
            verification_key,
            &nontrivial_bases(cts),
            &proved,
        )
    }

    /// Canonical encoding: `u32le(j) ‖ u32le(N) ‖ M_1 … M_N ‖ proof`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.shares.len() + 96);
        out.put_u32(self.trustee);
        out.put_u32(self.shares.len() as u32);
        for m in &self.shares {
            out.put_element(m);
        }
        self.proof.write(&mut out);
        out
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let trustee = r.u32()?;
        if trustee == 0 || trustee > MAX_TRUSTEES {
            return Err(DecodeError::Count("trustee index"));
        }
        let n = r.u32()? as usize;
        if n > bytes.len() / 32 {
            return Err(DecodeError::Count("share count exceeds the input"));
        }
        let shares = (0..n).map(|_| r.element()).collect::<Result<_, _>>()?;
        let proof = DleqProof::read(&mut r)?;
        r.finish()?;
        Ok(DecryptionShare {
            trustee,
            shares,
            proof,
        })
    }
}

/// `λ_j` for interpolation at zero over the index set `set`, whose indices MUST be distinct
/// and non-zero ([`combine`] checks this before calling it).
pub fn lagrange_coefficient(j: u32, set: &[u32]) -> Scalar {
    debug_assert!(
        set.iter().all(|&m| m != 0) && (1..set.len()).all(|i| !set[..i].contains(&set[i])),
        "Lagrange interpolation over repeated or zero indices"
    );
    let xj = Scalar::from(u64::from(j));
    let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
    for &m in set.iter().filter(|&&m| m != j) {
        let xm = Scalar::from(u64::from(m));
        num *= xm;
        den *= xm - xj;
    }
    num * den.invert()
}

/// Verifies the given shares (naming any bad one), takes the first `t` valid ones from
/// distinct trustees, and returns the plaintext elements `mᵢ·G`.
///
/// A share that fails its proof is an error naming the trustee: a published share must
/// never be wrong, so the caller decides whether to proceed without it (see
/// [`valid_shares`]).
pub fn combine(
    outcome: &KeyGenOutcome,
    ctx: &Context,
    cts: &[Ciphertext],
    shares: &[DecryptionShare],
) -> Result<Vec<RistrettoPoint>, DecryptionError> {
    let mut seen = BTreeSet::new();
    for s in shares {
        let vk = outcome
            .verification_key(s.trustee)
            .ok_or(DecryptionError::Index(s.trustee))?;
        if !seen.insert(s.trustee) {
            return Err(DecryptionError::Index(s.trustee));
        }
        if s.shares.len() != cts.len() {
            return Err(DecryptionError::Shape(s.trustee));
        }
        s.verify(ctx, vk, cts)
            .map_err(|source| DecryptionError::InvalidShare {
                trustee: s.trustee,
                source,
            })?;
    }
    combine_verified(outcome, cts, shares)
}

/// [`combine`] for shares whose proofs the caller has already verified, each against its
/// trustee's verification key and these ciphertexts (a verifier that checks every posted
/// share once, then combines `t` of them). The trustees must be distinct and known, and
/// each share must have one factor per ciphertext; nothing else is checked here.
pub fn combine_verified(
    outcome: &KeyGenOutcome,
    cts: &[Ciphertext],
    shares: &[DecryptionShare],
) -> Result<Vec<RistrettoPoint>, DecryptionError> {
    let mut seen = BTreeSet::new();
    for s in shares {
        if outcome.verification_key(s.trustee).is_none() || !seen.insert(s.trustee) {
            return Err(DecryptionError::Index(s.trustee));
        }
        if s.shares.len() != cts.len() {
            return Err(DecryptionError::Shape(s.trustee));
        }
    }
    let t = outcome.params.threshold as usize;
    if shares.len() < t {
        return Err(DecryptionError::TooFewShares {
            available: shares.len(),
            threshold: outcome.params.threshold,
        });
    }
    let used = &shares[..t];
    let set: Vec<u32> = used.iter().map(|s| s.trustee).collect();
    let lambdas: Vec<Scalar> = set.iter().map(|&j| lagrange_coefficient(j, &set)).collect();
    Ok((0..cts.len())
        .into_par_iter()
        .map(|i| {
            let xa = RistrettoPoint::vartime_multiscalar_mul(
                &lambdas,
                used.iter().map(|s| s.shares[i].point()),
            );
            cts[i].beta().point() - xa
        })
        .collect())
}

/// Keeps the shares whose proofs verify, and reports the trustees whose shares do not.
pub fn valid_shares<'a>(
    outcome: &KeyGenOutcome,
    ctx: &Context,
    cts: &[Ciphertext],
    shares: &'a [DecryptionShare],
) -> (Vec<&'a DecryptionShare>, Vec<u32>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for s in shares {
        match outcome.verification_key(s.trustee) {
            Some(vk) if s.verify(ctx, vk, cts).is_ok() => good.push(s),
            _ => bad.push(s.trustee),
        }
    }
    (good, bad)
}

/// Combines the shares and decodes every plaintext with the table.
pub fn decrypt_small(
    outcome: &KeyGenOutcome,
    ctx: &Context,
    cts: &[Ciphertext],
    shares: &[DecryptionShare],
    table: &DlogTable,
) -> Result<Vec<u64>, DecryptionError> {
    let points = combine(outcome, ctx, cts, shares)?;
    table
        .decode_all(&points)
        .into_iter()
        .enumerate()
        .map(|(i, m)| m.ok_or(DecryptionError::OutOfRange(i)))
        .collect()
}
