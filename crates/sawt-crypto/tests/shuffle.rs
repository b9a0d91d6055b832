//! The verifiable shuffle, the cascade and the decryption of its output.

use proptest::prelude::*;
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet::{
    BallotCounts, count, encode_choice, mix_cascade_with_rng, verify_cascade,
};
use sawt_crypto::shuffle::{ShuffleProof, shuffle};
use sawt_crypto::{Ciphertext, Context, EncryptionKey, ProofError, SecretKey};

const ELECTION: &[u8] = b"shura-2027";

fn ctx() -> Context {
    Context::new(ELECTION).with(b"contest", b"bawshar")
}

fn list(key: &EncryptionKey, values: &[Vec<u64>], w: usize) -> CiphertextList {
    let mut rng = sawt_crypto::rng::os_rng();
    let cts = values
        .iter()
        .flat_map(|v| {
            v.iter()
                .map(|&m| key.encrypt_with_rng(m, &mut rng).0)
                .collect::<Vec<_>>()
        })
        .collect();
    CiphertextList::new(w, cts).unwrap()
}

fn random_list(key: &EncryptionKey, n: usize, w: usize) -> CiphertextList {
    let values: Vec<Vec<u64>> = (0..n)
        .map(|i| (0..w).map(|k| (i * w + k) as u64 % 7).collect())
        .collect();
    list(key, &values, w)
}

fn decrypt_sorted(sk: &SecretKey, l: &CiphertextList) -> Vec<Vec<u64>> {
    let table = sawt_crypto::dlog::DlogTable::new(100);
    let mut v: Vec<Vec<u64>> = l
        .entries()
        .map(|e| {
            e.iter()
                .map(|c| table.decode(&sk.decrypt_to_point(c)).unwrap())
                .collect()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn honest_shuffles_of_0_1_2_entries_verify_and_keep_the_plaintexts() {
    let sk = SecretKey::generate();
    let key = sk.public_key().prepare();
    for n in [0usize, 1, 2] {
        for w in [1usize, 2] {
            let input = random_list(&key, n, w);
            let (output, proof) = shuffle(&ctx(), 1, &key, &input).unwrap();
            proof
                .verify(&ctx(), 1, key.public_key(), &input, &output)
                .unwrap();
            assert_eq!(decrypt_sorted(&sk, &input), decrypt_sorted(&sk, &output));
            if n > 0 {
                assert_ne!(input, output, "re-encrypted");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn honest_shuffles_verify_for_random_sizes(n in 0usize..40, w in 1usize..4) {
        let sk = SecretKey::generate();
        let key = sk.public_key().prepare();
        let input = random_list(&key, n, w);
        let (output, proof) = shuffle(&ctx(), 2, &key, &input).unwrap();
        prop_assert!(proof.verify(&ctx(), 2, key.public_key(), &input, &output).is_ok());
        prop_assert_eq!(decrypt_sorted(&sk, &input), decrypt_sorted(&sk, &output));
        let bytes = proof.to_bytes();
        prop_assert_eq!(&ShuffleProof::from_bytes(&bytes).unwrap(), &proof);
        prop_assert!(ShuffleProof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        prop_assert_eq!(&CiphertextList::from_bytes(&output.to_bytes()).unwrap(), &output);
    }
}

#[test]
fn every_tampering_rejects() {
    let sk = SecretKey::generate();
    let key = sk.public_key().prepare();
    let pk = *key.public_key();
    let w = 2;
    let input = random_list(&key, 9, w);
    let (output, proof) = shuffle(&ctx(), 1, &key, &input).unwrap();
    proof.verify(&ctx(), 1, &pk, &input, &output).unwrap();
    let entries =
        |l: &CiphertextList| -> Vec<Vec<Ciphertext>> { l.entries().map(|e| e.to_vec()).collect() };
    let rebuild = |es: Vec<Vec<Ciphertext>>| {
        CiphertextList::new(w, es.into_iter().flatten().collect()).unwrap()
    };
    let rejects = |inp: &CiphertextList, out: &CiphertextList, p: &ShuffleProof| {
        p.verify(&ctx(), 1, &pk, inp, out).is_err()
    };

    // One output ciphertext replaced by a fresh encryption of the same value.
    let mut es = entries(&output);
    let table = sawt_crypto::dlog::DlogTable::new(100);
    let m = table.decode(&sk.decrypt_to_point(&es[4][1])).unwrap();
    es[4][1] = key.encrypt_with_rng(m, &mut sawt_crypto::rng::os_rng()).0;
    assert!(rejects(&input, &rebuild(es), &proof), "replaced ciphertext");
    // Two outputs swapped after proving.
    let mut es = entries(&output);
    es.swap(2, 6);
    assert!(rejects(&input, &rebuild(es), &proof), "swapped outputs");
    // Two inputs swapped after proving.
    let mut es = entries(&input);
    es.swap(0, 1);
    assert!(rejects(&rebuild(es), &output, &proof), "swapped inputs");
    // A dropped entry, with the proof cut to match.
    let mut es = entries(&output);
    es.remove(3);
    let mut cut = proof.clone();
    cut.entries.remove(3);
    assert!(rejects(&input, &rebuild(es.clone()), &cut), "dropped entry");
    // A duplicated entry in place of another.
    es.insert(3, es[0].clone());
    assert!(rejects(&input, &rebuild(es), &proof), "duplicated entry");
    // Components of one entry swapped.
    let mut es = entries(&output);
    es[5].swap(0, 1);
    assert!(rejects(&input, &rebuild(es), &proof), "swapped components");
    // The proof under another mixer index, context, election (generator seed) or key.
    assert!(
        proof.verify(&ctx(), 2, &pk, &input, &output).is_err(),
        "mixer index"
    );
    assert!(
        proof
            .verify(
                &Context::new(ELECTION).with(b"contest", b"muttrah"),
                1,
                &pk,
                &input,
                &output
            )
            .is_err(),
        "context"
    );
    assert!(
        proof
            .verify(
                &Context::new(b"shura-2028").with(b"contest", b"bawshar"),
                1,
                &pk,
                &input,
                &output
            )
            .is_err(),
        "generator seed"
    );
    let other = *SecretKey::generate().public_key().element();
    assert!(
        proof
            .verify(
                &ctx(),
                1,
                &sawt_crypto::PublicKey::from_element(other).unwrap(),
                &input,
                &output
            )
            .is_err(),
        "key"
    );
    // Any changed response or commitment.
    let mut p = proof.clone();
    p.s1 += sawt_crypto::Scalar::ONE;
    assert!(rejects(&input, &output, &p), "s1");
    let mut p = proof.clone();
    p.entries[7].s_prime += sawt_crypto::Scalar::ONE;
    assert!(rejects(&input, &output, &p), "s'");
    let mut p = proof.clone();
    p.entries.swap(1, 2);
    assert!(rejects(&input, &output, &p), "proof entries swapped");
    let mut p = proof.clone();
    p.t4[1] = (p.t4[1].1, p.t4[1].0);
    assert!(rejects(&input, &output, &p), "t4");
    // Wrong sizes are shape errors.
    let short = CiphertextList::new(w, output.ciphertexts()[..16].to_vec()).unwrap();
    assert!(matches!(
        proof.verify(&ctx(), 1, &pk, &input, &short),
        Err(ProofError::Shape(_))
    ));
}

#[test]
fn a_cascade_verifies_end_to_end_and_decrypts_to_the_cast_ballots_with_invalid_ones_counted() {
    let mut rng = sawt_crypto::rng::os_rng();
    let kctx = Context::new(ELECTION);
    let run = dkg::run_local_with_rng(KeyGenParams::new(3, 5).unwrap(), &kctx, &mut rng).unwrap();
    let key = run.outcome.joint_key.prepare();
    let candidates = 6u32;
    let w = 2;
    let mut values: Vec<Vec<u64>> = Vec::new();
    let mut expected = BallotCounts {
        per_candidate: vec![0; 6],
        ..Default::default()
    };
    for i in 0..40u32 {
        let choice: Vec<u32> = match i % 5 {
            0 => vec![],
            1 => vec![i % 6],
            _ => vec![i % 6, (i + 1) % 6],
        };
        for &c in &choice {
            expected.per_candidate[c as usize] += 1;
        }
        expected.valid += 1;
        expected.blank += u64::from(choice.is_empty());
        values.push(encode_choice(&choice, w).unwrap());
    }
    // Invalid: a value beyond the candidates, a candidate twice, a huge value.
    values.push(vec![7, 0]);
    values.push(vec![3, 3]);
    values.push(vec![1_000_000, 1]);
    expected.invalid = 3;
    let input = list(&key, &values, w);
    let stages = mix_cascade_with_rng(&ctx(), &key, &input, &[1, 2, 3], &mut rng).unwrap();
    verify_cascade(&ctx(), key.public_key(), &input, &[1, 2, 3], &stages).unwrap();

    let mixed = &stages[2].output;
    let tally = ctx().with(b"tally", b"mixnet");
    let shares: Vec<_> = [1usize, 2, 4]
        .iter()
        .map(|&j| run.shares[j].decrypt_with_rng(&tally, mixed.ciphertexts(), &mut rng))
        .collect();
    assert_eq!(
        count(&run.outcome, &tally, mixed, &shares, candidates).unwrap(),
        expected
    );

    // A tampered middle stage is named; so is a repeated mixer index.
    let mut bad = stages.clone();
    bad[1].output = stages[0].output.clone();
    let err = verify_cascade(&ctx(), key.public_key(), &input, &[1, 2, 3], &bad).unwrap_err();
    assert_eq!((err.stage, err.mixer), (1, 2));
    let mut repeated = stages.clone();
    repeated[2].mixer = 1;
    assert_eq!(
        verify_cascade(&ctx(), key.public_key(), &input, &[1, 2, 3], &repeated)
            .unwrap_err()
            .stage,
        2
    );
    // Missing, extra or unexpected stages, and bad mixer lists, are rejected.
    let pk = key.public_key();
    assert_eq!(
        verify_cascade(&ctx(), pk, &input, &[1, 2, 3], &stages[..2])
            .unwrap_err()
            .stage,
        2
    );
    assert!(verify_cascade(&ctx(), pk, &input, &[1, 2, 3], &[]).is_err());
    assert!(verify_cascade(&ctx(), pk, &input, &[], &[]).is_err());
    assert!(verify_cascade(&ctx(), pk, &input, &[1, 2], &stages).is_err());
    assert!(verify_cascade(&ctx(), pk, &input, &[1, 1, 3], &stages).is_err());
    assert!(verify_cascade(&ctx(), pk, &input, &[0, 2, 3], &stages).is_err());
    // A stage verified against the wrong predecessor fails.
    assert!(verify_cascade(&ctx(), key.public_key(), &input, &[1, 2, 3], &stages[1..]).is_err());
}
