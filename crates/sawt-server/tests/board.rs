//! The board service end to end on both backends: the manifest first, the key generation
//! through the board, enrolments, ballots in the voting windows, the close, and every
//! refusal leaving the log unchanged.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sawt_crypto::Context;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams, TrusteeSetup};
use sawt_election::ballot::Ballot;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::*;
use sawt_election::oman;
use sawt_server::LogStore;
use sawt_server::clock::ManualClock;
use sawt_server::service::{Board, BoardError};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&key(seed).verifying_key())
}

fn holders(n: u32, seed: u8) -> Vec<KeyHolder> {
    (1..=n)
        .map(|i| KeyHolder {
            index: i,
            name: Names {
                ar: format!("{i}"),
                en: format!("{i}"),
            },
            key: pk(seed + i as u8),
        })
        .collect()
}

const DAY: u64 = 86_400_000;
const T0: u64 = 1_798_761_600_000;

fn window(day: u64) -> Window {
    Window {
        start_ms: T0 + day * DAY,
        end_ms: T0 + (day + 1) * DAY,
    }
}

fn manifest() -> Manifest {
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).unwrap();
    let rows = &rows[..3];
    Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "test".into(),
        kind: ElectionKind::Shura,
        term: 11,
        name: Names {
            ar: "اختبار".into(),
            en: "Test".into(),
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: Windows {
            registration: window(0),
            candidacy: window(1),
            key_generation: window(2),
            campaign: window(3),
            voting_abroad: window(5),
            voting_home: window(6),
        },
        geography: {
            let mut g = oman::geography(rows);
            g.governorates.truncate(1);
            g
        },
        // The second and third wilayats' candidates are published later, by candidate-list
        // entries (election.md §3.4).
        contests: {
            let later = oman::geography(rows).wilayats[1..3]
                .iter()
                .map(|w| w.id.clone())
                .collect::<Vec<_>>();
            let mut c = oman::contests(rows, ElectionKind::Shura, TallyMethod::Homomorphic);
            for contest in &mut c {
                if later.contains(&contest.wilayat) {
                    contest.candidates.clear();
                }
            }
            c
        },
        trustees: Trustees {
            threshold: 2,
            members: holders(3, 10),
        },
        mixers: holders(1, 20),
        witnesses: Witnesses {
            quorum: 1,
            members: holders(1, 30),
        },
        authorities: Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
    }
}

fn sign(election: [u8; 32], author: &SigningKey, body: EntryBody, at: u64) -> Vec<u8> {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: PublicKeyHex::from_key(&author.verifying_key()),
        timestamp_ms: at,
        body,
    }
    .sign(author)
    .unwrap()
    .canonical_bytes()
    .unwrap()
}

async fn run(url: &str) {
    let m = manifest();
    m.validate().unwrap();
    let election = m.hash().unwrap();
    let clock = Arc::new(ManualClock::at(T0 - DAY));
    let store = LogStore::open(url).await.unwrap();
    let first = SignedEntry::decode(&sign(
        election,
        &key(1),
        EntryBody::Manifest(Box::new(m.clone())),
        T0 - DAY,
    ))
    .unwrap();
    let board = Board::create(store, &first, key(3), clock.clone())
        .await
        .unwrap();
    assert_eq!(board.store().size(), 1);
    fn refused<T: std::fmt::Debug>(r: Result<T, BoardError>) {
        assert!(r.is_err(), "expected a refusal, got {r:?}");
    }

    // Registration: the registrar enrols two credentials; a second enrolment of one is refused.
    clock.set(T0 + 1);
    let w0 = m.geography.wilayats[0].id.clone();
    for voter in [100u8, 101] {
        board
            .submit(&sign(
                election,
                &key(2),
                EntryBody::CredentialEnrolment {
                    credential: pk(voter),
                    wilayat: w0.clone(),
                },
                T0,
            ))
            .await
            .unwrap();
    }
    let size = board.store().size();
    refused(
        board
            .submit(&sign(
                election,
                &key(2),
                EntryBody::CredentialEnrolment {
                    credential: pk(100),
                    wilayat: w0.clone(),
                },
                T0,
            ))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                EntryBody::CredentialEnrolment {
                    credential: pk(102),
                    wilayat: w0.clone(),
                },
                T0,
            ))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(2),
                EntryBody::CredentialEnrolment {
                    credential: pk(102),
                    wilayat: WilayatId("atlantis".into()),
                },
                T0,
            ))
            .await,
    );
    assert_eq!(board.store().size(), size, "refusals change nothing");

    // Key generation through the board, by the trustees' own keys.
    clock.set(T0 + 2 * DAY + 1);
    let params = KeyGenParams::new(2, 3).unwrap();
    let ctx = Context::new(&election);
    let mut rng = sawt_crypto::rng::os_rng();
    let (setups, anns): (Vec<_>, Vec<_>) = (1..=3)
        .map(|i| TrusteeSetup::new_with_rng(params, &ctx, i, &mut rng).unwrap())
        .unzip();
    for a in &anns {
        board
            .submit(&sign(
                election,
                &key(10 + a.trustee as u8),
                EntryBody::KeyGenAnnouncement(a.clone()),
                T0,
            ))
            .await
            .unwrap();
    }
    // Trustee 1 may not post trustee 2's message.
    refused(
        board
            .submit(&sign(
                election,
                &key(11),
                EntryBody::KeyGenAnnouncement(anns[1].clone()),
                T0,
            ))
            .await,
    );
    let (_waiting, dealings): (Vec<_>, Vec<_>) = setups
        .into_iter()
        .map(|s| s.deal_with_rng(&ctx, &anns, &mut rng).unwrap())
        .unzip();
    // A joint key before the dealings does not match any outcome.
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                EntryBody::JointKey {
                    key: anns[0].encryption_key,
                    verification_keys: vec![],
                },
                T0,
            ))
            .await,
    );
    for d in &dealings {
        board
            .submit(&sign(
                election,
                &key(10 + d.dealer as u8),
                EntryBody::KeyGenDealing(d.clone()),
                T0,
            ))
            .await
            .unwrap();
    }
    let outcome = KeyGenOutcome::compute(&params, &ctx, &anns, &dealings, &[]).unwrap();
    board
        .submit(&sign(
            election,
            &key(1),
            EntryBody::JointKey {
                key: *outcome.joint_key.element(),
                verification_keys: outcome.verification_keys.clone(),
            },
            T0,
        ))
        .await
        .unwrap();

    // The campaign: the authority publishes the second contest's candidate list, once, only
    // for a contest the manifest left without candidates, with valid candidates.
    clock.set(T0 + 3 * DAY + 1);
    let (w1, w2) = (
        m.geography.wilayats[1].id.clone(),
        m.geography.wilayats[2].id.clone(),
    );
    let deferred = m.contest_of(&w1).unwrap().id.clone();
    let never = m.contest_of(&w2).unwrap().id.clone();
    let candidate = |id: &str, order: u32| Candidate {
        id: id.into(),
        name: Names {
            ar: "مرشح".into(),
            en: "Candidate".into(),
        },
        ballot_order: order,
    };
    let list = |contest: &str, candidates: Vec<Candidate>| EntryBody::CandidateList {
        contest: contest.into(),
        candidates,
    };
    let good = vec![candidate("late-1", 1), candidate("late-2", 2)];
    refused(
        board
            .submit(&sign(election, &key(2), list(&deferred, good.clone()), T0))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                list(&m.contests[0].id, good.clone()),
                T0,
            ))
            .await,
    );
    refused(
        board
            .submit(&sign(election, &key(1), list(&deferred, vec![]), T0))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                list(&deferred, vec![candidate("late-1", 2)]),
                T0,
            ))
            .await,
    );
    let taken = m.contests[0].candidates[0].id.clone();
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                list(&deferred, vec![candidate(&taken, 1)]),
                T0,
            ))
            .await,
    );
    board
        .submit(&sign(election, &key(1), list(&deferred, good.clone()), T0))
        .await
        .unwrap();
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                list(&deferred, vec![candidate("x", 1)]),
                T0 + 1,
            ))
            .await,
    );
    assert_eq!(board.contest(&deferred).await.unwrap().candidates, good);
    for (voter, w) in [(102u8, &w1), (103, &w2)] {
        board
            .submit(&sign(
                election,
                &key(2),
                EntryBody::CredentialEnrolment {
                    credential: pk(voter),
                    wilayat: w.clone(),
                },
                T0,
            ))
            .await
            .unwrap();
    }

    // Voting: an enrolled credential's ballot is accepted; others are refused.
    let contest = m.contest_of(&w0).unwrap().clone();
    let ek = outcome.joint_key.prepare();
    let ballot = |seed: u8, contest: &Contest| {
        let choice = vec![contest.candidates[0].id.clone()];
        Ballot::encrypt_with_rng(
            election,
            contest,
            &ek,
            &pk(seed),
            &choice,
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap()
        .0
    };
    let b100 = sign(
        election,
        &key(100),
        EntryBody::Ballot(ballot(100, &contest)),
        T0,
    );
    refused(board.submit(&b100).await); // campaign: not yet
    clock.set(T0 + 6 * DAY + 1);
    let appended = board.submit(&b100).await.unwrap();
    // A published list is the contest's ballot; a contest still without one takes no ballot,
    // and its list comes too late once voting has opened.
    let published = board.contest(&deferred).await.unwrap();
    board
        .submit(&sign(
            election,
            &key(102),
            EntryBody::Ballot(ballot(102, &published)),
            T0,
        ))
        .await
        .unwrap();
    let mut guessed = m.contest(&never).unwrap().clone();
    guessed.candidates = vec![candidate("late-3", 1)];
    refused(
        board
            .submit(&sign(
                election,
                &key(103),
                EntryBody::Ballot(ballot(103, &guessed)),
                T0,
            ))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                list(&never, vec![candidate("late-3", 1)]),
                T0,
            ))
            .await,
    );
    refused(board.submit(&b100).await); // the same bytes twice
    // A cast ballot cannot be "audited" afterwards: its ciphertexts are already on the board.
    let choice = vec![contest.candidates[0].id.clone()];
    let (b, opening) = Ballot::encrypt_with_rng(
        election,
        &contest,
        &ek,
        &pk(101),
        &choice,
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let audited = sign(
        election,
        &key(101),
        EntryBody::AuditedBallot {
            ballot: b.clone(),
            opening: opening.clone(),
        },
        T0,
    );
    board.submit(&audited).await.unwrap();
    refused(
        board
            .submit(&sign(election, &key(101), EntryBody::Ballot(b), T0))
            .await,
    );
    let mut wrong = opening;
    wrong.choice.clear();
    let (b2, _) = Ballot::encrypt_with_rng(
        election,
        &contest,
        &ek,
        &pk(101),
        &choice,
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    refused(
        board
            .submit(&sign(
                election,
                &key(101),
                EntryBody::AuditedBallot {
                    ballot: b2,
                    opening: wrong,
                },
                T0,
            ))
            .await,
    );
    refused(
        board
            .submit(&sign(
                election,
                &key(103),
                EntryBody::Ballot(ballot(103, &contest)),
                T0,
            ))
            .await,
    ); // not enrolled
    let other_contest = board.contest(&deferred).await.unwrap();
    let other_contest = &other_contest;
    refused(
        board
            .submit(&sign(
                election,
                &key(101),
                EntryBody::Ballot(ballot(101, other_contest)),
                T0,
            ))
            .await,
    ); // wrong contest
    let mut bad = ballot(101, &contest);
    bad.credential = pk(100); // a copy under another credential's name
    refused(
        board
            .submit(&sign(election, &key(101), EntryBody::Ballot(bad), T0))
            .await,
    );
    board
        .submit(&sign(
            election,
            &key(101),
            EntryBody::Ballot(ballot(101, &contest)),
            T0,
        ))
        .await
        .unwrap();

    // A head, its inclusion proof for the ballot, and a witness's cosignature.
    let head = board.publish_head().await.unwrap();
    head.verify(&key(3).verifying_key()).unwrap();
    let proof = board
        .store()
        .inclusion_proof(appended.index, head.head.size)
        .await
        .unwrap();
    proof
        .verify(
            &sawt_board::hash::leaf_hash(&b100),
            head.head.size,
            &head.head.root,
        )
        .unwrap();
    let mut witness =
        sawt_board::witness::Witness::new(key(31), key(3).verifying_key(), election, None);
    let cons = board
        .store()
        .consistency_proof(0, head.head.size)
        .await
        .unwrap();
    let cosig = witness.cosign(&head, &cons, T0).unwrap();
    board.add_cosignature(head.head.size, &cosig).await.unwrap();
    let stranger =
        sawt_board::witness::Witness::new(key(99), key(3).verifying_key(), election, None);
    let mut stranger = stranger;
    let c2 = stranger.cosign(&head, &cons, T0).unwrap();
    refused(board.add_cosignature(head.head.size, &c2).await);
    let witnessed = board.witnessed_head().await.unwrap().unwrap();
    witnessed
        .verify(
            &key(3).verifying_key(),
            &election,
            &[key(31).verifying_key()],
            1,
        )
        .unwrap();

    // Close: only when voting is over, naming the current size; then no more ballots.
    let n = board.store().size();
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                EntryBody::Close { ballots_until: n },
                T0,
            ))
            .await,
    );
    clock.set(T0 + 7 * DAY + 1);
    refused(
        board
            .submit(&sign(
                election,
                &key(1),
                EntryBody::Close {
                    ballots_until: n + 1,
                },
                T0,
            ))
            .await,
    );
    board
        .submit(&sign(
            election,
            &key(1),
            EntryBody::Close { ballots_until: n },
            T0,
        ))
        .await
        .unwrap();

    // Attachments: a mixer's stage binds its output and proof by hash; they must be on the
    // board first, with the length and format the entry states.
    use sha2::Digest;
    let att = |bytes: &[u8], format: &str| sawt_election::entry::Attachment {
        sha256: Hex32(sha2::Sha256::digest(bytes).into()),
        length: bytes.len() as u64,
        format: format.into(),
    };
    let (list, shuffle) = (b"a mixed list".to_vec(), b"its shuffle proof".to_vec());
    let stage = |output, proof| EntryBody::MixStage {
        contest: contest.id.clone(),
        mixer: 1,
        output,
        proof,
    };
    let at = T0 + 7 * DAY + 2;
    refused(
        board
            .submit(&sign(
                election,
                &key(21),
                stage(
                    att(&list, "ciphertext-list"),
                    att(&shuffle, "shuffle-proof"),
                ),
                at,
            ))
            .await,
    );
    let h = board
        .store()
        .put_attachment("ciphertext-list", &list)
        .await
        .unwrap();
    assert_eq!(
        board
            .store()
            .put_attachment("ciphertext-list", &list)
            .await
            .unwrap(),
        h,
        "idempotent"
    );
    board
        .store()
        .put_attachment("shuffle-proof", &shuffle)
        .await
        .unwrap();
    let mut wrong = att(&list, "ciphertext-list");
    wrong.length += 1;
    refused(
        board
            .submit(&sign(
                election,
                &key(21),
                stage(wrong, att(&shuffle, "shuffle-proof")),
                at,
            ))
            .await,
    );
    board
        .submit(&sign(
            election,
            &key(21),
            stage(
                att(&list, "ciphertext-list"),
                att(&shuffle, "shuffle-proof"),
            ),
            at,
        ))
        .await
        .unwrap();
    assert_eq!(board.store().attachment(&h).await.unwrap().unwrap().1, list);

    // Reopening rebuilds the state from the log.
    let store = board.store().clone();
    drop(board);
    let reopened = Board::open(store, key(3), clock.clone()).await.unwrap();
    refused(
        reopened
            .submit(&sign(
                election,
                &key(2),
                EntryBody::CredentialEnrolment {
                    credential: pk(100),
                    wilayat: w0,
                },
                T0,
            ))
            .await,
    );
}

#[tokio::test]
async fn the_board_service_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("b.db").display()
    ))
    .await;
}

#[tokio::test]
async fn the_board_service_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        run(db.url()).await;
    }
}
