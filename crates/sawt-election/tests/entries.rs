//! Ballots and entries: encryption with the contest's rules, verification, audits, tracking
//! codes, signed canonical entries and the board's gate by author and phase.

mod common;

use common::{shura, signing_key};
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_election::ballot::{Ballot, BallotError, BallotStyle};
use sawt_election::entry::*;
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Manifest, TallyMethod};

struct Fixture {
    manifest: Manifest,
    election: [u8; 32],
    key: sawt_crypto::EncryptionKey,
}

fn fixture() -> Fixture {
    let mut manifest = shura();
    // One mixnet contest, to exercise both ballot forms.
    manifest.contests[1].tally = TallyMethod::Mixnet;
    manifest.validate().unwrap();
    let election = manifest.hash().unwrap();
    let run = dkg::run_local_with_rng(
        KeyGenParams::new(3, 5).unwrap(),
        &sawt_crypto::Context::new(&election),
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    Fixture {
        manifest,
        election,
        key: run.outcome.joint_key.prepare(),
    }
}

fn voter(seed: u8) -> (ed25519_dalek::SigningKey, PublicKeyHex) {
    let k = signing_key(seed);
    let p = PublicKeyHex::from_key(&k.verifying_key());
    (k, p)
}

#[test]
fn ballots_of_both_forms_encrypt_verify_and_open() {
    let f = fixture();
    let (_, cred) = voter(200);
    let mut rng = sawt_crypto::rng::os_rng();
    for contest in &f.manifest.contests[..2] {
        let choice: Vec<String> = contest
            .candidates
            .iter()
            .take(contest.votes_per_voter as usize)
            .map(|c| c.id.clone())
            .collect();
        let (ballot, opening) =
            Ballot::encrypt_with_rng(f.election, contest, &f.key, &cred, &choice, &mut rng)
                .unwrap();
        ballot
            .verify(&f.election, contest, f.key.public_key())
            .unwrap();
        ballot.check_opening(contest, &f.key, &opening).unwrap();
        let code = ballot.tracking_code().unwrap();
        assert_eq!(code.len(), 29, "{code}");
        assert!(code.split('-').all(|g| {
            g.len() == 4
                && g.bytes()
                    .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
        }));
        // A different opening does not reproduce it.
        let mut wrong = opening.clone();
        wrong.choice.pop();
        assert!(ballot.check_opening(contest, &f.key, &wrong).is_err());
        // Copied under another credential, or into another contest or election: proofs or
        // shape fail.
        let mut copy = ballot.clone();
        copy.credential = voter(201).1;
        assert!(matches!(
            copy.verify(&f.election, contest, f.key.public_key()),
            Err(BallotError::Proof(_))
        ));
        assert!(
            ballot
                .verify(&[0; 32], contest, f.key.public_key())
                .is_err()
        );
        let other = &f.manifest.contests[5];
        assert!(
            ballot
                .verify(&f.election, other, f.key.public_key())
                .is_err()
        );
        // Blank ballots are valid too.
        let (blank, _) =
            Ballot::encrypt_with_rng(f.election, contest, &f.key, &cred, &[], &mut rng).unwrap();
        blank
            .verify(&f.election, contest, f.key.public_key())
            .unwrap();
    }
}

#[test]
fn choices_breaking_the_rules_are_refused_before_encrypting() {
    let f = fixture();
    let (_, cred) = voter(200);
    let mut rng = sawt_crypto::rng::os_rng();
    let contest = f
        .manifest
        .contests
        .iter()
        .find(|c| c.votes_per_voter == 2)
        .unwrap();
    let ids: Vec<String> = contest.candidates.iter().map(|c| c.id.clone()).collect();
    let refuse = |choice: Vec<String>, needle: &str| {
        let err = Ballot::encrypt_with_rng(
            f.election,
            contest,
            &f.key,
            &cred,
            &choice,
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap_err();
        assert!(
            matches!(err, BallotError::Choice(_)) && err.to_string().contains(needle),
            "{err}"
        );
    };
    refuse(ids[..3].to_vec(), "at most 2");
    refuse(vec![ids[0].clone(), ids[0].clone()], "twice");
    refuse(vec!["nobody".into()], "not a candidate");
    let _ = &mut rng;
}

#[test]
fn the_ballot_style_is_the_voters_wilayat() {
    let f = fixture();
    let seeb = WilayatId("as-seeb".into());
    let style = BallotStyle::for_wilayat(&f.manifest, f.election, &seeb).unwrap();
    assert_eq!(style.wilayat, seeb);
    assert_eq!(style.seats, 2);
    assert_eq!(
        style.candidates.len(),
        f.manifest.contest_of(&seeb).unwrap().candidates.len()
    );
    assert!(
        BallotStyle::for_wilayat(&f.manifest, f.election, &WilayatId("atlantis".into())).is_none()
    );
}

fn entry(f: &Fixture, author: &ed25519_dalek::SigningKey, body: EntryBody, at: u64) -> SignedEntry {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(f.election),
        author: PublicKeyHex::from_key(&author.verifying_key()),
        timestamp_ms: at,
        body,
    }
    .sign(author)
    .unwrap()
}

#[test]
fn entries_are_signed_canonical_and_refuse_tampering() {
    let f = fixture();
    let (vk, cred) = voter(200);
    let contest = &f.manifest.contests[0];
    let (ballot, _) = Ballot::encrypt_with_rng(
        f.election,
        contest,
        &f.key,
        &cred,
        &[],
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let e = entry(&f, &vk, EntryBody::Ballot(ballot), 5);
    let bytes = e.canonical_bytes().unwrap();
    assert_eq!(SignedEntry::decode(&bytes).unwrap(), e);
    // A changed byte inside a signed string, an unknown member, another encoding, a bad
    // signature: all refused.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let changed = text.replacen("\"timestamp_ms\":5", "\"timestamp_ms\":6", 1);
    assert_eq!(
        SignedEntry::decode(changed.as_bytes()),
        Err(EntryError::Signature)
    );
    let extra = text.replacen("{\"entry\":{", "{\"entry\":{\"aaa\":1,", 1);
    assert!(matches!(
        SignedEntry::decode(extra.as_bytes()),
        Err(EntryError::Encoding(_))
    ));
    let spaced = text.replacen(",", ", ", 1);
    assert!(matches!(
        SignedEntry::decode(spaced.as_bytes()),
        Err(EntryError::Encoding(_))
    ));
    let mut forged = e.clone();
    forged.signature.0[0] ^= 1;
    assert_eq!(
        SignedEntry::decode(&forged.canonical_bytes().unwrap()),
        Err(EntryError::Signature)
    );
    let by_other = Entry {
        author: voter(201).1,
        ..e.entry.clone()
    }
    .sign(&vk)
    .unwrap();
    assert_eq!(by_other.verify_signature(), Err(EntryError::Signature));
}

#[test]
fn the_board_gate_checks_author_and_phase() {
    let f = fixture();
    let w = &f.manifest.windows;
    let (vk, cred) = voter(200);
    let contest = &f.manifest.contests[0];
    let (ballot, _) = Ballot::encrypt_with_rng(
        f.election,
        contest,
        &f.key,
        &cred,
        &[],
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let voting = w.voting_home.start_ms + 1;
    let ok =
        |e: &SignedEntry, at: u64, closed: bool| authorise(&f.manifest, &f.election, e, at, closed);

    let cast = entry(&f, &vk, EntryBody::Ballot(ballot.clone()), voting);
    ok(&cast, voting, false).unwrap();
    ok(&cast, w.voting_abroad.start_ms, false).unwrap();
    assert!(matches!(
        ok(&cast, w.campaign.start_ms, false),
        Err(EntryError::Phase {
            phase: Phase::Campaign,
            ..
        })
    ));
    assert!(matches!(
        ok(&cast, w.voting_home.end_ms, false),
        Err(EntryError::Phase {
            phase: Phase::Closing,
            ..
        })
    ));
    assert!(matches!(
        ok(&cast, voting, true),
        Err(EntryError::Phase {
            phase: Phase::Tallying,
            ..
        })
    ));
    // A ballot posted by another key than its credential.
    let stolen = entry(&f, &signing_key(201), EntryBody::Ballot(ballot), voting);
    assert!(matches!(
        ok(&stolen, voting, false),
        Err(EntryError::Author { .. })
    ));

    // The registrar enrols before voting; nobody else may; not during voting.
    let enrol = |by: u8, at| {
        entry(
            &f,
            &signing_key(by),
            EntryBody::CredentialEnrolment {
                credential: cred.clone(),
                wilayat: WilayatId("muscat".into()),
            },
            at,
        )
    };
    ok(
        &enrol(2, w.registration.start_ms),
        w.registration.start_ms,
        false,
    )
    .unwrap();
    assert!(matches!(
        ok(
            &enrol(1, w.registration.start_ms),
            w.registration.start_ms,
            false
        ),
        Err(EntryError::Author { .. })
    ));
    assert!(matches!(
        ok(&enrol(2, voting), voting, false),
        Err(EntryError::Phase { .. })
    ));

    // Not in the gap between voting abroad and voting at home either.
    let gap = w.voting_abroad.end_ms + 1;
    assert!(gap < w.voting_home.start_ms);
    assert!(matches!(
        ok(&enrol(2, gap), gap, false),
        Err(EntryError::Phase {
            phase: Phase::Between,
            ..
        })
    ));
    // The board operator and the witnesses hold roles too: they cannot vote.
    let (_, op) = (
        signing_key(3),
        PublicKeyHex::from_key(&signing_key(3).verifying_key()),
    );
    let (op_ballot, _) = Ballot::encrypt_with_rng(
        f.election,
        contest,
        &f.key,
        &op,
        &[],
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let by_operator = entry(&f, &signing_key(3), EntryBody::Ballot(op_ballot), voting);
    assert!(matches!(
        ok(&by_operator, voting, false),
        Err(EntryError::Author { .. })
    ));

    // Close: the authority, once voting time is over.
    let close = entry(
        &f,
        &signing_key(1),
        EntryBody::Close { ballots_until: 10 },
        w.voting_home.end_ms,
    );
    ok(&close, w.voting_home.end_ms, false).unwrap();
    assert!(ok(&close, voting, false).is_err());

    // Mixers post only their own stage; trustees only their own shares.
    let att = Attachment {
        sha256: Hex32([7; 32]),
        length: 1,
        format: "ciphertext-list".into(),
    };
    let stage = |by: u8, mixer| {
        entry(
            &f,
            &signing_key(by),
            EntryBody::MixStage {
                contest: "muscat".into(),
                mixer,
                output: att.clone(),
                proof: att.clone(),
            },
            0,
        )
    };
    ok(&stage(21, 1), w.voting_home.end_ms, true).unwrap();
    assert!(matches!(
        ok(&stage(21, 2), w.voting_home.end_ms, true),
        Err(EntryError::Author { .. })
    ));
    assert!(matches!(
        ok(&stage(21, 1), voting, false),
        Err(EntryError::Phase { .. })
    ));

    // The manifest entry must carry the manifest whose hash is the election.
    let manifest = entry(
        &f,
        &signing_key(1),
        EntryBody::Manifest(Box::new(f.manifest.clone())),
        0,
    );
    ok(&manifest, 0, false).unwrap();
    let mut other = f.manifest.clone();
    other.term = 12;
    let wrong = entry(&f, &signing_key(1), EntryBody::Manifest(Box::new(other)), 0);
    assert!(matches!(
        ok(&wrong, 0, false),
        Err(EntryError::Author { .. })
    ));
    // Another election's entry.
    assert_eq!(
        authorise(&f.manifest, &[0; 32], &cast, voting, false),
        Err(EntryError::Election)
    );
}

#[test]
fn an_empty_contests_tally_is_an_entry() {
    let f = fixture();
    let empty: TallySum = sawt_crypto::Ciphertext::sum(&[]).into();
    let e = entry(
        &f,
        &signing_key(1),
        EntryBody::Tally {
            contest: "muscat".into(),
            sums: vec![empty],
        },
        0,
    );
    let bytes = e.canonical_bytes().unwrap();
    assert_eq!(SignedEntry::decode(&bytes).unwrap(), e);
}
