//! The key generation and threshold decryption end to end: honest runs, a cheating dealer
//! caught by a complaint, and decryption with exactly t, more than t and fewer than t
//! trustees.

use sawt_crypto::dkg::{
    self, Announcement, Complaint, ComplaintVerdict, Dealing, KeyGenOutcome, KeyGenParams,
    TrusteeSetup,
};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::share_encryption::EncryptedShare;
use sawt_crypto::threshold::{DecryptionShare, combine, decrypt_small, valid_shares};
use sawt_crypto::{Ciphertext, Context, DecryptionError, Element, KeyGenError, Scalar};

fn ctx() -> Context {
    Context::new(b"test election")
}

fn encrypt_all(outcome: &KeyGenOutcome, ms: &[u64]) -> Vec<Ciphertext> {
    let ek = outcome.joint_key.prepare();
    let mut rng = sawt_crypto::rng::os_rng();
    ms.iter()
        .map(|&m| ek.encrypt_with_rng(m, &mut rng).0)
        .collect()
}

#[test]
fn decryption_with_exactly_more_and_fewer_than_t_trustees() {
    let mut rng = sawt_crypto::rng::os_rng();
    let run = dkg::run_local_with_rng(KeyGenParams::new(3, 5).unwrap(), &ctx(), &mut rng).unwrap();
    assert_eq!(run.outcome.qualified, vec![1, 2, 3, 4, 5]);
    assert!(run.complaints.is_empty());
    let ms = [0u64, 1, 42, 1000];
    let cts = encrypt_all(&run.outcome, &ms);
    let tally = ctx().with(b"tally", b"t1");
    let shares: Vec<DecryptionShare> = run
        .shares
        .iter()
        .map(|s| s.decrypt_with_rng(&tally, &cts, &mut rng))
        .collect();
    let table = DlogTable::new(1 << 12);
    // Every subset of exactly three trustees.
    for a in 0..5 {
        for b in a + 1..5 {
            for c in b + 1..5 {
                let subset = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                assert_eq!(
                    decrypt_small(&run.outcome, &tally, &cts, &subset, &table).unwrap(),
                    ms
                );
            }
        }
    }
    // More than t.
    assert_eq!(
        decrypt_small(&run.outcome, &tally, &cts, &shares, &table).unwrap(),
        ms
    );
    assert_eq!(
        decrypt_small(&run.outcome, &tally, &cts, &shares[1..], &table).unwrap(),
        ms
    );
    // Fewer than t.
    assert!(matches!(
        decrypt_small(&run.outcome, &tally, &cts, &shares[..2], &table),
        Err(DecryptionError::TooFewShares {
            available: 2,
            threshold: 3
        })
    ));
    // A repeated trustee does not count twice.
    let repeated = [shares[0].clone(), shares[0].clone(), shares[1].clone()];
    assert!(matches!(
        combine(&run.outcome, &tally, &cts, &repeated),
        Err(DecryptionError::Index(1))
    ));
}

#[test]
fn a_bad_decryption_share_is_named_and_can_be_left_out() {
    let mut rng = sawt_crypto::rng::os_rng();
    let run = dkg::run_local_with_rng(KeyGenParams::new(2, 3).unwrap(), &ctx(), &mut rng).unwrap();
    let cts = encrypt_all(&run.outcome, &[5, 6]);
    let tally = ctx();
    let mut shares: Vec<DecryptionShare> = run
        .shares
        .iter()
        .map(|s| s.decrypt_with_rng(&tally, &cts, &mut rng))
        .collect();
    // Trustee 2 publishes a wrong share for the second ciphertext.
    shares[1].shares[1] =
        Element::from_point(shares[1].shares[1].point() + shares[1].shares[0].point());
    assert!(matches!(
        combine(&run.outcome, &tally, &cts, &shares),
        Err(DecryptionError::InvalidShare { trustee: 2, .. })
    ));
    let (good, bad) = valid_shares(&run.outcome, &tally, &cts, &shares);
    assert_eq!(bad, vec![2]);
    let good: Vec<DecryptionShare> = good.into_iter().cloned().collect();
    assert_eq!(
        decrypt_small(&run.outcome, &tally, &cts, &good, &DlogTable::new(100)).unwrap(),
        [5, 6]
    );
    // A share for other ciphertexts, or under another context, fails.
    let other = encrypt_all(&run.outcome, &[5, 6]);
    assert!(
        good[0]
            .verify(&tally, run.outcome.verification_key(1).unwrap(), &other)
            .is_err()
    );
    assert!(
        good[0]
            .verify(
                &ctx().with(b"tally", b"x"),
                run.outcome.verification_key(1).unwrap(),
                &cts
            )
            .is_err()
    );
}

/// Runs a 3-of-5 key generation in which `tamper` may rewrite dealer 2's dealing (it sees
/// the announcements, so it can seal to any trustee).
fn run_with_cheater(
    tamper: impl Fn(&mut Dealing, &[Announcement]),
) -> (
    Result<KeyGenOutcome, KeyGenError>,
    Vec<Complaint>,
    Vec<Dealing>,
    Vec<Announcement>,
) {
    let mut rng = sawt_crypto::rng::os_rng();
    let params = KeyGenParams::new(3, 5).unwrap();
    let ctx = ctx();
    let (setups, anns): (Vec<_>, Vec<_>) = (1..=5)
        .map(|i| TrusteeSetup::new_with_rng(params, &ctx, i, &mut rng).unwrap())
        .unzip();
    let (waiting, mut dealings): (Vec<_>, Vec<_>) = setups
        .into_iter()
        .map(|s| s.deal_with_rng(&ctx, &anns, &mut rng).unwrap())
        .unzip();
    tamper(&mut dealings[1], &anns);
    let mut complaints = Vec::new();
    let mut checked = Vec::new();
    for w in waiting {
        let (c, mut cs) = w
            .receive_with_rng(&ctx, &anns, &dealings, &mut rng)
            .unwrap();
        complaints.append(&mut cs);
        checked.push(c);
    }
    let outcome = KeyGenOutcome::compute(&params, &ctx, &anns, &dealings, &complaints);
    // Every trustee that finishes agrees with the public outcome, and any three of them
    // decrypt under the joint key.
    if let Ok(o) = &outcome {
        let shares: Vec<_> = checked
            .into_iter()
            .map(|c| {
                let (share, mine) = c.finish(&ctx, &anns, &dealings, &complaints).unwrap();
                assert_eq!(&mine, o);
                share
            })
            .collect();
        let cts = encrypt_all(o, &[3, 9]);
        let ds: Vec<DecryptionShare> = shares
            .iter()
            .skip(2)
            .map(|s| s.decrypt_with_rng(&ctx, &cts, &mut rng))
            .collect();
        assert_eq!(
            decrypt_small(o, &ctx, &cts, &ds, &DlogTable::new(100)).unwrap(),
            [3, 9]
        );
    }
    (outcome, complaints, dealings, anns)
}

fn seal_from_dealer_2(anns: &[Announcement], to: u32, value: Scalar) -> EncryptedShare {
    let share_ctx = ctx().with(b"dkg", b"share").with_u64(b"trustee", 2);
    let key = anns
        .iter()
        .find(|a| a.trustee == to)
        .unwrap()
        .encryption_key;
    EncryptedShare::seal_with_rng(
        &share_ctx,
        2,
        to,
        &key,
        &value,
        &mut sawt_crypto::rng::os_rng(),
    )
}

#[test]
fn honest_key_generation_has_no_complaints() {
    let (outcome, complaints, _, _) = run_with_cheater(|_, _| {});
    assert!(complaints.is_empty());
    assert_eq!(outcome.unwrap().qualified, vec![1, 2, 3, 4, 5]);
}

#[test]
fn a_dealer_sending_a_wrong_share_is_caught_by_a_complaint_and_disqualified() {
    // Dealer 2 seals a value off its polynomial to trustee 4 in a well-formed box.
    let (outcome, complaints, dealings, anns) =
        run_with_cheater(|d, anns| d.shares[3] = seal_from_dealer_2(anns, 4, Scalar::from(7u64)));
    assert_eq!(complaints.len(), 1);
    assert_eq!((complaints[0].complainer, complaints[0].dealer), (4, 2));
    let params = KeyGenParams::new(3, 5).unwrap();
    let verdict = complaints[0]
        .verify(&params, &ctx(), &anns, &dealings[1])
        .unwrap();
    assert_eq!(verdict, ComplaintVerdict::ShareInconsistent);
    let o = outcome.unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    assert_eq!(o.disqualified.len(), 1);
    assert_eq!(o.disqualified[0].dealer, 2);
    // The complaint does not transfer: checked against an honest dealing it is rejected.
    assert!(
        complaints[0]
            .verify(&params, &ctx(), &anns, &dealings[0])
            .is_err()
    );
    // A forged complaint (the revealed point changed) is rejected and changes nothing.
    let mut forged = complaints[0].clone();
    forged.shared_point = anns[0].encryption_key;
    assert!(forged.verify(&params, &ctx(), &anns, &dealings[1]).is_err());
}

#[test]
fn a_dealer_sending_an_unopenable_box_is_disqualified() {
    let (outcome, complaints, dealings, anns) =
        run_with_cheater(|d, _| d.shares[0].sealed[5] ^= 0x40);
    assert_eq!(complaints.len(), 1);
    assert_eq!(complaints[0].complainer, 1);
    let params = KeyGenParams::new(3, 5).unwrap();
    assert_eq!(
        complaints[0]
            .verify(&params, &ctx(), &anns, &dealings[1])
            .unwrap(),
        ComplaintVerdict::BoxDoesNotOpen
    );
    assert_eq!(outcome.unwrap().qualified, vec![1, 3, 4, 5]);
}

#[test]
fn a_publicly_malformed_dealing_is_left_out_without_complaints() {
    let (outcome, complaints, _, _) = run_with_cheater(|d, _| {
        d.commitments.pop();
    });
    assert!(complaints.is_empty());
    let o = outcome.unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    // A dealing whose proof of knowledge is for another coefficient is also left out.
    let (outcome, _, _, _) = run_with_cheater(|d, _| d.commitments.swap(0, 1));
    assert_eq!(outcome.unwrap().qualified, vec![1, 3, 4, 5]);
}

#[test]
fn too_many_cheaters_stop_the_key_generation() {
    let mut rng = sawt_crypto::rng::os_rng();
    let params = KeyGenParams::new(3, 3).unwrap();
    let run = dkg::run_local_with_rng(params, &ctx(), &mut rng).unwrap();
    let mut dealings = run.dealings.clone();
    dealings[2].commitments.pop();
    assert!(matches!(
        KeyGenOutcome::compute(&params, &ctx(), &run.announcements, &dealings, &[]),
        Err(KeyGenError::TooFewQualified {
            qualified: 2,
            threshold: 3
        })
    ));
    assert!(KeyGenParams::new(0, 3).is_err());
    assert!(KeyGenParams::new(4, 3).is_err());
    // Missing an announcement stops everything: that trustee could not receive shares.
    assert!(
        KeyGenOutcome::compute(&params, &ctx(), &run.announcements[1..], &run.dealings, &[])
            .is_err()
    );
}

#[test]
fn an_empty_tally_and_trivial_ciphertexts_decrypt() {
    let mut rng = sawt_crypto::rng::os_rng();
    let run = dkg::run_local_with_rng(KeyGenParams::new(2, 3).unwrap(), &ctx(), &mut rng).unwrap();
    let empty = Ciphertext::sum(&[]);
    let cts = [empty, encrypt_all(&run.outcome, &[4])[0]];
    let table = DlogTable::new(10);
    for set in [&cts[..1], &cts[..], &[][..]] {
        let shares: Vec<DecryptionShare> = run
            .shares
            .iter()
            .map(|s| s.decrypt_with_rng(&ctx(), set, &mut rng))
            .collect();
        let plain = decrypt_small(&run.outcome, &ctx(), set, &shares[1..], &table).unwrap();
        assert_eq!(plain, [0u64, 4][..set.len()]);
        let bytes = shares[0].to_bytes();
        assert_eq!(DecryptionShare::from_bytes(&bytes).unwrap(), shares[0]);
    }
    // A non-zero share for a trivial ciphertext is rejected.
    let mut shares: Vec<DecryptionShare> = run
        .shares
        .iter()
        .map(|s| s.decrypt_with_rng(&ctx(), &cts, &mut rng))
        .collect();
    shares[0].shares[0] = shares[0].shares[1];
    let vk = run.outcome.verification_key(1).unwrap();
    assert!(shares[0].verify(&ctx(), vk, &cts).is_err());
}
