//! Proof of knowledge of the encryption randomness of a vector ciphertext
//! (`protocol-spec/crypto.md` §5.4).
//!
//! A mixnet ballot is a [`CiphertextVector`]; proving knowledge of every nonce `rᵢ` with
//! `αᵢ = rᵢ·G`, in a transcript bound to the voter's credential (through the [`Context`]),
//! makes the ballot non-malleable: a copy re-cast under another credential, or a
//! re-randomised copy, has no valid proof (ballot copying, `shared/REFERENCES.md` attack 4).
//!
//! Prover: `kᵢ` random, `Aᵢ = kᵢ·G`, `c`, `zᵢ = kᵢ + c·rᵢ`. Verifier: `zᵢ·G − Aᵢ − c·αᵢ = 0`.
//! Transcript: `proof = "enc-knowledge"`, `w` (u64), then `alpha`, `beta` for each component,
//! then `A` for each component, challenge `c`.
//! Encoding: `u32le(w) ‖ A_1 … A_w ‖ z_1 … z_w`, `1 ≤ w ≤ MAX_WIDTH`, `Aᵢ ≠ 0`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::batch::{BatchVerifier, verify_batch, verify_one};
use crate::elgamal::{CiphertextVector, MAX_WIDTH, Nonce, random_nonzero_scalar};
use crate::error::{DecodeError, ProofError};
use crate::group::{Element, Reader, Writer, scalar_vec_hex};
use crate::transcript::{Context, TranscriptExt};

/// Proof of knowledge of the nonces of a vector ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionKnowledgeProof {
    /// `Aᵢ = kᵢ·G`.
    pub commitments: Vec<Element>,
    /// `zᵢ = kᵢ + c·rᵢ`.
    #[serde(with = "scalar_vec_hex")]
    pub responses: Vec<Scalar>,
}

fn challenge(ctx: &Context, ct: &CiphertextVector, commitments: &[Element]) -> Scalar {
    let mut t = ctx.transcript(b"enc-knowledge");
    t.append_u64(b"w", ct.width() as u64);
    for c in &ct.0 {
        t.append_element(b"alpha", c.alpha());
        t.append_element(b"beta", c.beta());
    }
    for a in commitments {
        t.append_element(b"A", a);
    }
    t.challenge_scalar(b"c")
}

impl EncryptionKnowledgeProof {
    /// Proves knowledge of `nonces` for `ct` (one nonce per component, in order).
    pub fn prove_with_rng<R: CryptoRng + ?Sized>(
        ctx: &Context,
        ct: &CiphertextVector,
        nonces: &[Nonce],
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        if nonces.len() != ct.width() || ct.width() == 0 || ct.width() > MAX_WIDTH {
            return Err(ProofError::Shape(
                "one nonce per component, width 1..=MAX_WIDTH",
            ));
        }
        let ks: Zeroizing<Vec<Scalar>> = Zeroizing::new(
            (0..ct.width())
                .map(|_| random_nonzero_scalar(rng))
                .collect(),
        );
        let commitments: Vec<Element> = ks
            .iter()
            .map(|k| Element::from_point(RistrettoPoint::mul_base(k)))
            .collect();
        let c = challenge(ctx, ct, &commitments);
        let responses = ks.iter().zip(nonces).map(|(k, r)| k + c * r.0).collect();
        Ok(EncryptionKnowledgeProof {
            commitments,
            responses,
        })
    }

    /// Queues the check for `ct`.
    pub fn queue(
        &self,
        ctx: &Context,
        ct: &CiphertextVector,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        let w = ct.width();
        if w == 0 || w > MAX_WIDTH || self.commitments.len() != w || self.responses.len() != w {
            return Err(ProofError::Shape(
                "proof width does not match the ciphertext",
            ));
        }
        if self.commitments.iter().any(Element::is_identity) {
            return Err(ProofError::Shape("identity commitment"));
        }
        let c = challenge(ctx, ct, &self.commitments);
        for ((a, z), ci) in self.commitments.iter().zip(&self.responses).zip(&ct.0) {
            batch.equation().g(z).minus(a).point(ci.alpha(), &-c);
        }
        Ok(())
    }

    /// Verifies the proof for `ct`.
    pub fn verify(&self, ctx: &Context, ct: &CiphertextVector) -> Result<(), ProofError> {
        verify_one(|b| self.queue(ctx, ct, b))
    }

    /// Verifies many proofs in batches; names the first bad one.
    pub fn verify_many(
        items: &[(&Context, &CiphertextVector, &EncryptionKnowledgeProof)],
    ) -> Result<(), ProofError> {
        verify_batch(items, |(ctx, ct, p), b| p.queue(ctx, ct, b))
    }

    /// Canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 64 * self.commitments.len());
        out.put_u32(self.commitments.len() as u32);
        for a in &self.commitments {
            out.put_element(a);
        }
        for z in &self.responses {
            out.put_scalar(z);
        }
        out
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let w = r.u32()? as usize;
        if w == 0 || w > MAX_WIDTH {
            return Err(DecodeError::Count("proof width"));
        }
        let commitments = (0..w)
            .map(|_| r.element_nonidentity())
            .collect::<Result<_, _>>()?;
        let responses = (0..w).map(|_| r.scalar()).collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(EncryptionKnowledgeProof {
            commitments,
            responses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::SecretKey;

    #[test]
    fn bound_to_the_credential_and_rejects_rerandomised_copies() {
        let mut rng = crate::rng::os_rng();
        let ek = SecretKey::generate().public_key().prepare();
        let alice = Context::new(b"e").with(b"credential", b"alice");
        let mallory = Context::new(b"e").with(b"credential", b"mallory");
        let (ct, nonces) = ek.encrypt_vector_with_rng(&[3, 7], &mut rng);
        let p = EncryptionKnowledgeProof::prove_with_rng(&alice, &ct, &nonces, &mut rng).unwrap();
        p.verify(&alice, &ct).unwrap();
        assert!(p.verify(&mallory, &ct).is_err());
        let (copy, _) = ct.reencrypt_with_rng(&ek, &mut rng);
        assert!(p.verify(&alice, &copy).is_err());
        assert_eq!(
            EncryptionKnowledgeProof::from_bytes(&p.to_bytes()).unwrap(),
            p
        );
    }
}
