//! Signed heads, witnesses and quorums: a board that rewrites or forks its history is caught.

use sawt_board::head::{TreeHead, WitnessedHead};
use sawt_board::proof::ConsistencyProof;
use sawt_board::tree::MemoryTree;
use sawt_board::witness::{ForkEvidence, Witness};
use sawt_board::{HeadError, SigningKey};

const ELECTION: [u8; 32] = [0x11; 32];

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn head(t: &MemoryTree, board: &SigningKey, at: u64) -> sawt_board::head::SignedTreeHead {
    TreeHead {
        election: ELECTION,
        size: sawt_board::tree::NodeSource::size(t),
        root: t.root(),
        timestamp_ms: at,
    }
    .sign(board)
}

#[test]
fn heads_verify_only_under_the_board_key_and_unchanged() {
    let board = key(1);
    let mut t = MemoryTree::new();
    t.push(b"manifest");
    let sth = head(&t, &board, 1000);
    sth.verify(&board.verifying_key()).unwrap();
    assert!(sth.verify(&key(2).verifying_key()).is_err());
    let mut bad = sth;
    bad.head.size += 1;
    assert!(bad.verify(&board.verifying_key()).is_err());
    let mut bad = sth;
    bad.head.root[0] ^= 1;
    assert!(bad.verify(&board.verifying_key()).is_err());
    let mut bad = sth;
    bad.head.election[0] ^= 1;
    assert!(bad.verify(&board.verifying_key()).is_err());
    // A head of size 0 must carry the empty tree's root.
    let empty = TreeHead {
        election: ELECTION,
        size: 0,
        root: [1; 32],
        timestamp_ms: 1,
    }
    .sign(&board);
    assert_eq!(
        empty.verify(&board.verifying_key()),
        Err(HeadError::EmptyRoot)
    );
    let json = serde_json::to_string(&sth).unwrap();
    assert_eq!(
        serde_json::from_str::<sawt_board::head::SignedTreeHead>(&json).unwrap(),
        sth
    );
    assert!(
        serde_json::from_str::<sawt_board::head::SignedTreeHead>(&json.replacen(
            '{',
            "{\"extra\":1,",
            1
        ))
        .is_err()
    );
}

#[test]
fn witnesses_cosign_an_honest_log_and_a_quorum_is_reached() {
    let board = key(1);
    let mut witnesses: Vec<Witness> = (10..13)
        .map(|s| Witness::new(key(s), board.verifying_key(), ELECTION, None))
        .collect();
    let listed: Vec<_> = witnesses.iter().map(Witness::public_key).collect();
    let mut t = MemoryTree::new();
    for round in 0..5u64 {
        for i in 0..(round * 3 + 1) {
            t.push(format!("entry {round}/{i}").as_bytes());
        }
        let sth = head(&t, &board, 1000 + round);
        let mut cosigs = Vec::new();
        for w in &mut witnesses {
            let proof =
                ConsistencyProof::generate(&t, w.needs_proof_from(), sth.head.size).unwrap();
            cosigs.push(w.cosign(&sth, &proof, 2000 + round).unwrap());
        }
        let witnessed = WitnessedHead {
            signed: sth,
            cosignatures: cosigs.clone(),
        };
        witnessed
            .verify(&board.verifying_key(), &ELECTION, &listed, 3)
            .unwrap();
        // Quorum counting: one cosignature is not two; a repeated one counts once; an
        // unlisted witness does not count; another election's quorum check fails.
        assert!(
            witnessed
                .verify(&board.verifying_key(), &ELECTION, &listed, 0)
                .is_err(),
            "quorum 0"
        );
        let one = WitnessedHead {
            signed: sth,
            cosignatures: vec![cosigs[0], cosigs[0]],
        };
        assert_eq!(
            one.verify(&board.verifying_key(), &ELECTION, &listed, 2),
            Err(HeadError::Quorum {
                valid: 1,
                quorum: 2
            })
        );
        let stranger = Witness::new(key(99), board.verifying_key(), ELECTION, None).public_key();
        assert!(
            witnessed
                .verify(&board.verifying_key(), &ELECTION, &[listed[0], stranger], 2)
                .is_err()
        );
        assert_eq!(
            witnessed.verify(&board.verifying_key(), &[0; 32], &listed, 1),
            Err(HeadError::Election)
        );
        // A cosignature moved to another head does not verify.
        let mut moved = witnessed.clone();
        moved.signed = head(&t, &board, 9999);
        assert!(
            moved
                .verify(&board.verifying_key(), &ELECTION, &listed, 1)
                .is_err()
        );
    }
    assert_eq!(
        witnesses[0].last().unwrap().head.size,
        sawt_board::tree::NodeSource::size(&t)
    );
}

#[test]
fn a_forked_or_rewritten_history_is_refused_and_yields_checkable_evidence() {
    let board = key(1);
    let mut w = Witness::new(key(10), board.verifying_key(), ELECTION, None);
    let mut honest = MemoryTree::new();
    for i in 0..10 {
        honest.push(format!("entry {i}").as_bytes());
    }
    let first = head(&honest, &board, 100);
    w.cosign(
        &first,
        &ConsistencyProof::generate(&honest, 0, 10).unwrap(),
        101,
    )
    .unwrap();

    // The board rewrites entry 4 and appends two more: no proof from the cosigned head works.
    let mut rewritten = MemoryTree::new();
    for i in 0..12 {
        let e = if i == 4 {
            "a different ballot".to_string()
        } else {
            format!("entry {i}")
        };
        rewritten.push(e.as_bytes());
    }
    let second = head(&rewritten, &board, 200);
    let proof = ConsistencyProof::generate(&rewritten, 10, 12).unwrap();
    let before = *w.last().unwrap();
    assert!(matches!(
        w.cosign(&second, &proof, 201),
        Err(HeadError::Inconsistent {
            last_size: 10,
            size: 12,
            ..
        })
    ));
    assert_eq!(*w.last().unwrap(), before, "a refused head changes nothing");
    // The board's own inclusion proofs for entry 4 under each head make the evidence.
    let leaf = |t: &MemoryTree, i: u64| {
        sawt_board::proof::InclusionProof::generate(t, i, sawt_board::tree::NodeSource::size(t))
            .unwrap()
    };
    let evidence = ForkEvidence::DifferentLeaves {
        first,
        second,
        first_leaf: sawt_board::hash::leaf_hash(b"entry 4"),
        first_proof: leaf(&honest, 4),
        second_leaf: sawt_board::hash::leaf_hash(b"a different ballot"),
        second_proof: leaf(&rewritten, 4),
    };
    evidence.verify(&board.verifying_key()).unwrap();
    // A failing consistency proof alone is not evidence: anyone could make one up. Nor is a
    // forged inclusion proof.
    let ForkEvidence::DifferentLeaves {
        first_leaf,
        first_proof,
        second_proof,
        ..
    } = evidence.clone()
    else {
        unreachable!()
    };
    let forged = ForkEvidence::DifferentLeaves {
        first,
        second,
        first_leaf,
        first_proof,
        second_leaf: sawt_board::hash::leaf_hash(b"anything"),
        second_proof,
    };
    assert_eq!(
        forged.verify(&board.verifying_key()),
        Err(HeadError::NoConflict)
    );
    let _ = proof;
    assert!(
        evidence.verify(&key(2).verifying_key()).is_err(),
        "evidence is checked under the board's key"
    );

    // Equal sizes, different roots: evidence without a proof.
    let mut forked = MemoryTree::new();
    for i in 0..10 {
        forked.push(format!("fork {i}").as_bytes());
    }
    let fork = head(&forked, &board, 150);
    ForkEvidence::SameSize {
        first,
        second: fork,
    }
    .verify(&board.verifying_key())
    .unwrap();
    // Honest heads are not evidence of anything.
    for i in 10..12 {
        honest.push(format!("entry {i}").as_bytes());
    }
    let next = head(&honest, &board, 300);
    let ok = ConsistencyProof::generate(&honest, 10, 12).unwrap();
    let honest_leaf = |i: u64, t: &MemoryTree| {
        sawt_board::proof::InclusionProof::generate(t, i, sawt_board::tree::NodeSource::size(t))
            .unwrap()
    };
    let mut first10 = MemoryTree::new();
    for i in 0..10 {
        first10.push(format!("entry {i}").as_bytes());
    }
    let same_leaf = ForkEvidence::DifferentLeaves {
        first,
        second: next,
        first_leaf: sawt_board::hash::leaf_hash(b"entry 2"),
        first_proof: honest_leaf(2, &first10),
        second_leaf: sawt_board::hash::leaf_hash(b"entry 2"),
        second_proof: honest_leaf(2, &honest),
    };
    assert_eq!(
        same_leaf.verify(&board.verifying_key()),
        Err(HeadError::NoConflict)
    );
    assert_eq!(
        ForkEvidence::SameSize {
            first,
            second: next
        }
        .verify(&board.verifying_key()),
        Err(HeadError::NoConflict)
    );
    w.cosign(&next, &ok, 301).unwrap();

    // Rolling back (a smaller log, or an older timestamp) is refused.
    let mut shrunk = MemoryTree::new();
    shrunk.push(b"entry 0");
    let back = head(&shrunk, &board, 500);
    assert!(matches!(
        w.cosign(
            &back,
            &ConsistencyProof {
                old: 12,
                new: 1,
                path: vec![]
            },
            501
        ),
        Err(HeadError::Rollback {
            last_size: 12,
            size: 1
        })
    ));
    let stale = head(&honest, &board, 299);
    assert!(matches!(
        w.cosign(
            &stale,
            &ConsistencyProof::generate(&honest, 12, 12).unwrap(),
            502
        ),
        Err(HeadError::Rollback { .. })
    ));
    // A head for another election, or signed by someone else, is refused.
    let mut other = next;
    other.head.election = [0; 32];
    assert_eq!(w.cosign(&other, &ok, 600), Err(HeadError::Election));
    let forged = TreeHead {
        timestamp_ms: 700,
        ..next.head
    }
    .sign(&key(3));
    assert!(matches!(
        w.cosign(
            &forged,
            &ConsistencyProof::generate(&honest, 12, 12).unwrap(),
            701
        ),
        Err(HeadError::Signature(_))
    ));
}

#[test]
fn a_mirror_catches_a_rewritten_history_and_changed_entries() {
    use sawt_board::replica::{Replica, ReplicaError};
    let board = key(1);
    let mut r = Replica::new(board.verifying_key(), ELECTION);
    let mut log = MemoryTree::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut add = |log: &mut MemoryTree, n: usize| {
        let start = bodies.len();
        for i in start..start + n {
            let b = format!("entry {i}").into_bytes();
            log.push(&b);
            bodies.push(b);
        }
        bodies[start..].to_vec()
    };
    let batch = add(&mut log, 5);
    r.update(
        &head(&log, &board, 10),
        &batch,
        &ConsistencyProof::generate(&log, 0, 5).unwrap(),
    )
    .unwrap();
    let batch = add(&mut log, 4);
    r.update(
        &head(&log, &board, 20),
        &batch,
        &ConsistencyProof::generate(&log, 5, 9).unwrap(),
    )
    .unwrap();
    assert_eq!(r.size(), 9);

    // Served entries that differ from the signed ones.
    let mut more = add(&mut log, 2);
    let good_head = head(&log, &board, 30);
    let proof = ConsistencyProof::generate(&log, 9, 11).unwrap();
    more[1] = b"substituted".to_vec();
    assert_eq!(
        r.update(&good_head, &more, &proof),
        Err(ReplicaError::Root(11))
    );
    assert_eq!(r.size(), 9, "nothing changed");
    // Too few entries.
    assert!(matches!(
        r.update(&good_head, &more[..1], &proof),
        Err(ReplicaError::Count {
            expected: 2,
            got: 1
        })
    ));

    // A rewritten history: entry 3 changed, the log extended; the board's proof from the
    // mirror's head cannot hold, and the evidence is checkable.
    let mut rewritten = MemoryTree::new();
    for i in 0..11 {
        let b = if i == 3 {
            b"rewritten".to_vec()
        } else {
            format!("entry {i}").into_bytes()
        };
        rewritten.push(&b);
    }
    let forked = head(&rewritten, &board, 40);
    let bad_proof = ConsistencyProof::generate(&rewritten, 9, 11).unwrap();
    let tail: Vec<Vec<u8>> = (9..11).map(|i| format!("entry {i}").into_bytes()).collect();
    match r.update(&forked, &tail, &bad_proof) {
        Err(ReplicaError::Inconsistent { .. }) => {}
        other => panic!("expected an inconsistency, got {other:?}"),
    }
    // With the entry the board now serves at index 3 and its proof, the mirror holds evidence.
    let served_proof = sawt_board::proof::InclusionProof::generate(&rewritten, 3, 11).unwrap();
    let evidence = r
        .fork_evidence(&forked, 3, b"rewritten", &served_proof)
        .unwrap();
    evidence.verify(&board.verifying_key()).unwrap();
    assert!(
        r.fork_evidence(
            &forked,
            2,
            b"entry 2",
            &sawt_board::proof::InclusionProof::generate(&rewritten, 2, 11).unwrap()
        )
        .is_none(),
        "an unchanged entry is no evidence"
    );
    assert_eq!(r.size(), 9);
    // The honest continuation still applies.
    let honest_tail: Vec<Vec<u8>> = (9..11).map(|i| format!("entry {i}").into_bytes()).collect();
    r.update(&good_head, &honest_tail, &proof).unwrap();
    assert_eq!(r.head().unwrap().head.size, 11);
}
