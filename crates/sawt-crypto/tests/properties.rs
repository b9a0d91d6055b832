//! Property tests: homomorphism; honest proofs verify; a changed byte, a wrong context or a
//! wrong statement rejects; batches name the first bad proof.

use proptest::prelude::*;
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::proofs::knowledge::EncryptionKnowledgeProof;
use sawt_crypto::proofs::range::{RangeProof, encrypt_in_range_with_rng};
use sawt_crypto::proofs::schnorr::SchnorrProof;
use sawt_crypto::{Ciphertext, Context, Element, ProofError, Scalar, SecretKey};

fn rng() -> impl rand_core::CryptoRng {
    sawt_crypto::rng::os_rng()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sums_of_encryptions_decrypt_to_sums(ms in proptest::collection::vec(0u64..5000, 0..12)) {
        let sk = SecretKey::generate();
        let ek = sk.public_key().prepare();
        let cts: Vec<Ciphertext> = ms.iter().map(|&m| ek.encrypt_with_rng(m, &mut rng()).0).collect();
        let table = DlogTable::new(12 * 5000);
        prop_assert_eq!(table.decode(&sk.decrypt_to_point(&Ciphertext::sum(&cts))), Some(ms.iter().sum()));
        let rerandomised: Vec<Ciphertext> = cts.iter().map(|c| ek.reencrypt_with_rng(c, &mut rng()).0).collect();
        prop_assert_eq!(table.decode(&sk.decrypt_to_point(&Ciphertext::sum(&rerandomised))), Some(ms.iter().sum()));
    }

    #[test]
    fn range_proofs_verify_and_every_tampering_rejects(
        max in 1u64..=6,
        value_seed in any::<u64>(),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
        contest in "[a-z]{1,8}",
    ) {
        let value = value_seed % (max + 1);
        let ek = SecretKey::generate().public_key().prepare();
        let key = *ek.public_key();
        let ctx = Context::new(b"e").with(b"contest", contest.as_bytes());
        let (ct, proof, _) = encrypt_in_range_with_rng(&ctx, &ek, value, max, &mut rng()).unwrap();
        prop_assert!(proof.verify(&ctx, &key, &ct, max).is_ok());
        // A changed byte: either it no longer decodes, or it no longer verifies.
        let mut bytes = proof.to_bytes();
        let at = flip.index(bytes.len());
        bytes[at] ^= 1 << bit;
        if let Ok(p) = RangeProof::from_bytes(&bytes) {
            prop_assert!(p.verify(&ctx, &key, &ct, max).is_err());
        }
        // A wrong context.
        let other = Context::new(b"e").with(b"contest", format!("{contest}x").as_bytes());
        prop_assert!(proof.verify(&other, &key, &ct, max).is_err());
        // A wrong statement: another ciphertext of the same value, another key, another bound.
        let (ct2, _) = ek.encrypt_with_rng(value, &mut rng());
        prop_assert!(proof.verify(&ctx, &key, &ct2, max).is_err());
        let key2 = *SecretKey::generate().public_key().prepare().public_key();
        prop_assert!(proof.verify(&ctx, &key2, &ct, max).is_err());
        prop_assert!(proof.verify(&ctx, &key, &ct, max + 1).is_err());
    }

    #[test]
    fn schnorr_proofs_reject_tampering(flip in 0usize..64, bit in 0u8..8) {
        let ctx = Context::new(b"e");
        let x = Scalar::from_bytes_mod_order([7u8; 32]);
        let g = Element::generator();
        let (public, proof) = SchnorrProof::prove_with_rng(&ctx, &g, &x, &mut rng());
        prop_assert!(proof.verify(&ctx, &g, &public).is_ok());
        let mut bytes = proof.to_bytes();
        bytes[flip] ^= 1 << bit;
        if let Ok(p) = SchnorrProof::from_bytes(&bytes) {
            prop_assert!(p.verify(&ctx, &g, &public).is_err());
        }
    }

    #[test]
    fn knowledge_proofs_reject_tampering(ms in proptest::collection::vec(0u64..100, 1..5), flip in any::<prop::sample::Index>()) {
        let ek = SecretKey::generate().public_key().prepare();
        let ctx = Context::new(b"e").with(b"credential", b"c");
        let (ct, nonces) = ek.encrypt_vector_with_rng(&ms, &mut rng());
        let proof = EncryptionKnowledgeProof::prove_with_rng(&ctx, &ct, &nonces, &mut rng()).unwrap();
        prop_assert!(proof.verify(&ctx, &ct).is_ok());
        let mut bytes = proof.to_bytes();
        let at = flip.index(bytes.len());
        bytes[at] ^= 0x20;
        if let Ok(p) = EncryptionKnowledgeProof::from_bytes(&bytes) {
            prop_assert!(p.verify(&ctx, &ct).is_err());
        }
    }
}

#[test]
fn batch_verification_accepts_honest_batches_and_names_the_first_bad_proof() {
    let ek = SecretKey::generate().public_key().prepare();
    let key = *ek.public_key();
    let ctx = Context::new(b"e");
    let n = 600;
    let made: Vec<(Ciphertext, RangeProof)> = (0..n)
        .map(|i| {
            let (c, p, _) = encrypt_in_range_with_rng(&ctx, &ek, i % 2, 1, &mut rng()).unwrap();
            (c, p)
        })
        .collect();
    let items: Vec<_> = made.iter().map(|(c, p)| (&ctx, c, p, 1u64)).collect();
    RangeProof::verify_many(&key, &items).unwrap();
    RangeProof::verify_many(&key, &[]).unwrap();
    // Swap two ciphertexts: both proofs fail; the first (in order) is named.
    let mut swapped = items.clone();
    swapped[417].1 = &made[123].0;
    swapped[123].1 = &made[417].0;
    assert_eq!(
        RangeProof::verify_many(&key, &swapped),
        Err(ProofError::BatchItem { index: 123 })
    );
    // A malformed proof (wrong bound) is named at once.
    let mut wrong_bound = items.clone();
    wrong_bound[599].3 = 2;
    assert_eq!(
        RangeProof::verify_many(&key, &wrong_bound),
        Err(ProofError::BatchItem { index: 599 })
    );
}
