//! The log against a reference computed from the leaves by RFC 9162's recursive definitions,
//! and every check failing on tampered input.

use proptest::prelude::*;
use sawt_board::ProofError;
use sawt_board::hash::{Hash, empty_root, leaf_hash, node_hash};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::tree::{MemoryTree, NodeSource, root_at};

/// MTH(D[n]) straight from RFC 9162 §2.1.1.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1 << (63 - ((n as u64) - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn split(n: usize) -> usize {
    1 << (63 - ((n as u64) - 1).leading_zeros())
}

/// PATH(m, D[n]) straight from RFC 9162 §2.1.3.1.
fn reference_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = reference_path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = reference_path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) straight from RFC 9162 §2.1.4.1.
fn reference_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b { vec![] } else { vec![mth(leaves)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = reference_subproof(m, &leaves[..k], b);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = reference_subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn tree(n: usize) -> (MemoryTree, Vec<Hash>) {
    let mut t = MemoryTree::new();
    let mut leaves = Vec::new();
    for i in 0..n {
        let entry = format!("entry {i}");
        t.push(entry.as_bytes());
        leaves.push(leaf_hash(entry.as_bytes()));
    }
    (t, leaves)
}

#[test]
fn roots_and_proofs_match_the_reference_for_every_size_up_to_70() {
    let (t, leaves) = tree(70);
    for n in 0..=70usize {
        assert_eq!(root_at(&t, n as u64), mth(&leaves[..n]), "root of {n}");
        for m in 0..n {
            let p = InclusionProof::generate(&t, m as u64, n as u64).unwrap();
            assert_eq!(p.path, reference_path(m, &leaves[..n]), "path {m} of {n}");
            p.verify(&leaves[m], n as u64, &mth(&leaves[..n])).unwrap();
        }
        for m in 0..=n {
            let p = ConsistencyProof::generate(&t, m as u64, n as u64).unwrap();
            let expected = if m == 0 || m == n {
                vec![]
            } else {
                reference_subproof(m, &leaves[..n], true)
            };
            assert_eq!(p.path, expected, "consistency {m} → {n}");
            p.verify(
                (m as u64, &mth(&leaves[..m])),
                (n as u64, &mth(&leaves[..n])),
            )
            .unwrap();
        }
    }
}

#[test]
fn appends_report_the_nodes_they_complete() {
    let mut t = MemoryTree::new();
    let mut stored: std::collections::HashMap<(u32, u64), Hash> = Default::default();
    for i in 0..100u64 {
        t.push(&i.to_le_bytes());
        let nodes = t.completed_by_last();
        assert_eq!(nodes.len() as u32, (i + 1).trailing_zeros() + 1, "leaf {i}");
        for (level, index, h) in nodes {
            assert_eq!(t.node(level, index), h);
            assert!(
                stored.insert((level, index), h).is_none(),
                "each node is written once"
            );
        }
    }
}

#[test]
fn inclusion_proofs_reject_tampering() {
    let (t, leaves) = tree(13);
    let root = t.root();
    let p = InclusionProof::generate(&t, 5, 13).unwrap();
    p.verify(&leaves[5], 13, &root).unwrap();
    assert_eq!(
        p.verify(&leaves[6], 13, &root),
        Err(ProofError::Root),
        "another leaf"
    );
    let mut q = p.clone();
    q.index = 4;
    assert!(q.verify(&leaves[5], 13, &root).is_err(), "another index");
    for i in 0..p.path.len() {
        let mut q = p.clone();
        q.path[i][0] ^= 1;
        assert!(q.verify(&leaves[5], 13, &root).is_err(), "path element {i}");
    }
    let mut q = p.clone();
    q.path.push([0; 32]);
    assert!(q.verify(&leaves[5], 13, &root).is_err(), "extra element");
    let mut q = p.clone();
    q.path.pop();
    assert!(q.verify(&leaves[5], 13, &root).is_err(), "missing element");
    assert_eq!(
        p.verify(&leaves[5], 14, &root),
        Err(ProofError::Size),
        "size from the head, not the proof"
    );
    assert_eq!(InclusionProof::generate(&t, 13, 13), Err(ProofError::Range));
    assert_eq!(InclusionProof::generate(&t, 0, 14), Err(ProofError::Range));

    // RFC 9162's size ambiguity: leaf 0 of a 3-leaf tree has the same path as in a 4-leaf
    // tree's shape, but a proof is only ever checked with the size of the signed head.
    let (t3, l3) = tree(3);
    let mut p = InclusionProof::generate(&t3, 0, 3).unwrap();
    p.size = 4;
    assert_eq!(p.verify(&l3[0], 3, &t3.root()), Err(ProofError::Size));
}

#[test]
fn consistency_proofs_reject_tampering_and_forks() {
    let (t, leaves) = tree(20);
    let (r7, r20) = (mth(&leaves[..7]), mth(&leaves[..20]));
    let p = ConsistencyProof::generate(&t, 7, 20).unwrap();
    p.verify((7, &r7), (20, &r20)).unwrap();
    for i in 0..p.path.len() {
        let mut q = p.clone();
        q.path[i][31] ^= 0x80;
        assert!(q.verify((7, &r7), (20, &r20)).is_err(), "element {i}");
    }
    assert!(
        p.verify((7, &mth(&leaves[..6])), (20, &r20)).is_err(),
        "another old root"
    );
    assert!(
        p.verify((8, &mth(&leaves[..8])), (20, &r20)).is_err(),
        "another old size"
    );
    // A fork: same first 7 entries, a different 12th entry.
    let mut forked = MemoryTree::new();
    for i in 0..20 {
        let e = if i == 11 {
            "rewritten".to_string()
        } else {
            format!("entry {i}")
        };
        forked.push(e.as_bytes());
    }
    let fp = ConsistencyProof::generate(&forked, 7, 20).unwrap();
    assert!(
        fp.verify((7, &r7), (20, &forked.root())).is_ok(),
        "the fork extends the common prefix"
    );
    let fp = ConsistencyProof::generate(&forked, 15, 20).unwrap();
    assert!(
        fp.verify((15, &mth(&leaves[..15])), (20, &forked.root()))
            .is_err(),
        "but not the honest 15"
    );
    // Edge cases.
    assert_eq!(ConsistencyProof::generate(&t, 8, 7), Err(ProofError::Range));
    let same = ConsistencyProof::generate(&t, 9, 9).unwrap();
    assert!(same.path.is_empty());
    same.verify((9, &mth(&leaves[..9])), (9, &mth(&leaves[..9])))
        .unwrap();
    assert_eq!(
        same.verify((9, &mth(&leaves[..9])), (9, &r7)),
        Err(ProofError::Root)
    );
    let from_empty = ConsistencyProof::generate(&t, 0, 20).unwrap();
    from_empty.verify((0, &empty_root()), (20, &r20)).unwrap();
    let mut padded = from_empty.clone();
    padded.path.push(r20);
    assert_eq!(
        padded.verify((0, &empty_root()), (20, &r20)),
        Err(ProofError::Path)
    );
    let mut empty = p.clone();
    empty.path.clear();
    assert_eq!(empty.verify((7, &r7), (20, &r20)), Err(ProofError::Path));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_sizes_prove_and_verify(n in 1usize..300, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let (t, leaves) = tree(n);
        let m = a.index(n);
        let old = b.index(n + 1);
        let p = InclusionProof::generate(&t, m as u64, n as u64).unwrap();
        prop_assert!(p.path.len() <= 64 - (n as u64).leading_zeros() as usize);
        prop_assert!(p.verify(&leaves[m], n as u64, &t.root()).is_ok());
        let c = ConsistencyProof::generate(&t, old as u64, n as u64).unwrap();
        prop_assert!(c.verify((old as u64, &mth(&leaves[..old])), (n as u64, &t.root())).is_ok());
    }
}
