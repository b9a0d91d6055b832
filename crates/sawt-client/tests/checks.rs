//! The client's checks on tampered input: every receipt check (R1–R6), the later check
//! (L1–L3), the manifest anchor (C1), the consistency rule, and complaints — each passes on
//! honest material and fails, naming itself, when one thing is changed.

use ed25519_dalek::SigningKey;
use sawt_board::hash::leaf_hash;
use sawt_board::head::{SignedTreeHead, TreeHead, WitnessedHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::tree::MemoryTree;
use sawt_client::complaint::{COMPLAINT_FORMAT, Complaint, ComplaintBody, Finding};
use sawt_client::election::Election;
use sawt_client::heads::consistent;
use sawt_client::receipts::{check_later, check_receipt};
use sawt_client::wire::{Receipt, ReceiptCheck};
use sawt_election::ballot::Ballot;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Authorities, Candidate, Manifest, Names};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&key(seed).verifying_key())
}

struct World {
    manifest: Manifest,
    election: Election,
    e: [u8; 32],
    tree: MemoryTree,
    /// The voter's ballot entry.
    bytes: Vec<u8>,
    code: String,
    index: u64,
    voter: SigningKey,
}

fn sign(e: [u8; 32], author: &SigningKey, body: EntryBody) -> Vec<u8> {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(e),
        author: PublicKeyHex::from_key(&author.verifying_key()),
        timestamp_ms: 1,
        body,
    }
    .sign(author)
    .unwrap()
    .canonical_bytes()
    .unwrap()
}

fn world() -> World {
    let mut manifest = sawt_registry::sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        2,
    );
    manifest.contests[0].candidates = (1..=3)
        .map(|k| Candidate {
            id: format!("c{k}"),
            name: Names {
                ar: format!("م{k}"),
                en: format!("C{k}"),
            },
            ballot_order: k,
        })
        .collect();
    let e = manifest.hash().unwrap();
    let first = sign(e, &key(1), EntryBody::Manifest(Box::new(manifest.clone())));
    let election = Election::from_manifest_entry(e, &first).unwrap();
    let mut tree = MemoryTree::new();
    tree.push(&first);
    for i in 0..5u8 {
        tree.push(&[i]);
    }
    let voter = key(200);
    let h = sawt_crypto::SecretKey::generate().public_key().prepare();
    let (ballot, _) = Ballot::encrypt_with_rng(
        e,
        &manifest.contests[0],
        &h,
        &PublicKeyHex::from_key(&voter.verifying_key()),
        &["c2".to_owned()],
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let code = ballot.tracking_code().unwrap();
    let bytes = sign(e, &voter, EntryBody::Ballot(ballot));
    let index = tree.push(&bytes);
    for i in 0..3u8 {
        tree.push(&[100 + i]);
    }
    World {
        manifest,
        election,
        e,
        tree,
        bytes,
        code,
        index,
        voter,
    }
}

impl World {
    fn head(&self, size: u64) -> SignedTreeHead {
        TreeHead {
            election: self.e,
            size,
            root: sawt_board::tree::root_at(&self.tree, size),
            timestamp_ms: 1,
        }
        .sign(&key(3))
    }

    fn receipt(&self, size: u64) -> Receipt {
        Receipt {
            tracking_code: self.code.clone(),
            index: self.index,
            leaf_hash: hex::encode(leaf_hash(&self.bytes)),
            head: WitnessedHead {
                signed: self.head(size),
                cosignatures: vec![],
            },
            inclusion: InclusionProof::generate(&self.tree, self.index, size).unwrap(),
        }
    }

    fn later(&self, old: u64, new: u64) -> ReceiptCheck {
        ReceiptCheck {
            head: WitnessedHead {
                signed: self.head(new),
                cosignatures: vec![],
            },
            inclusion: InclusionProof::generate(&self.tree, self.index, new).unwrap(),
            consistency: ConsistencyProof::generate(&self.tree, old, new).unwrap(),
        }
    }
}

fn fails_with(check: &str, r: Result<(), sawt_client::Misbehaviour>) {
    match r {
        Err(m) => assert_eq!(m.check, check, "{m}"),
        Ok(()) => panic!("{check} passed on tampered input"),
    }
}

#[test]
fn the_manifest_must_hash_to_the_anchor_and_be_the_authoritys() {
    let w = world();
    let first = sign(
        w.e,
        &key(1),
        EntryBody::Manifest(Box::new(w.manifest.clone())),
    );
    assert!(Election::from_manifest_entry(w.e, &first).is_ok());
    let mut other = w.e;
    other[0] ^= 1;
    assert_eq!(
        Election::from_manifest_entry(other, &first)
            .unwrap_err()
            .check,
        "C1"
    );
    // Signed by another key: its signature verifies, but it is not the authority's.
    let forged = sign(
        w.e,
        &key(9),
        EntryBody::Manifest(Box::new(w.manifest.clone())),
    );
    assert_eq!(
        Election::from_manifest_entry(w.e, &forged)
            .unwrap_err()
            .check,
        "C1"
    );
}

#[test]
fn every_receipt_check_fails_on_its_own_tampering() {
    let w = world();
    let size = w.index + 2;
    let honest = w.receipt(size);
    check_receipt(&w.election, &w.bytes, &w.code, &honest).unwrap();

    let mut r = honest.clone();
    r.head.signed.signature[0] ^= 1;
    fails_with("R1", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.head.signed = TreeHead {
        election: [9; 32],
        ..r.head.signed.head
    }
    .sign(&key(3));
    fails_with("R2", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.index = size;
    fails_with("R3", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.leaf_hash = hex::encode(leaf_hash(b"another entry"));
    fails_with("R4", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.inclusion.path[0][0] ^= 1;
    fails_with("R5", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.inclusion.index -= 1;
    fails_with("R5", check_receipt(&w.election, &w.bytes, &w.code, &r));
    let mut r = honest.clone();
    r.tracking_code = "X".repeat(r.tracking_code.len());
    fails_with("R6", check_receipt(&w.election, &w.bytes, &w.code, &r));
    // The bytes the device sent are its own: another ballot's bytes fail.
    let mut other = w.bytes.clone();
    let n = other.len();
    other[n - 3] ^= 1;
    assert!(check_receipt(&w.election, &other, &w.code, &honest).is_err());
}

#[test]
fn every_later_check_fails_on_its_own_tampering() {
    let w = world();
    let (old, new) = (w.index + 1, w.index + 4);
    let r = w.receipt(old);
    let honest = w.later(old, new);
    check_later(&w.election, &w.bytes, &r, &honest).unwrap();
    // The same head again is fine (no proof needed).
    check_later(&w.election, &w.bytes, &r, &w.later(old, old)).unwrap();

    let mut l = honest.clone();
    l.head.signed.signature[5] ^= 1;
    fails_with("L1", check_later(&w.election, &w.bytes, &r, &l));
    // An older head than the receipt's.
    let l = ReceiptCheck {
        head: WitnessedHead {
            signed: w.head(old - 1),
            cosignatures: vec![],
        },
        ..honest.clone()
    };
    fails_with("L1", check_later(&w.election, &w.bytes, &r, &l));
    let mut l = honest.clone();
    l.inclusion.path[1][3] ^= 1;
    fails_with("L2", check_later(&w.election, &w.bytes, &r, &l));
    let mut l = honest.clone();
    l.consistency.path[0][0] ^= 1;
    fails_with("L3", check_later(&w.election, &w.bytes, &r, &l));
    // A head of the receipt's size with another root: a fork.
    let mut forked = w.head(old).head;
    forked.root = [7; 32];
    let l = ReceiptCheck {
        head: WitnessedHead {
            signed: forked.sign(&key(3)),
            cosignatures: vec![],
        },
        ..honest.clone()
    };
    assert!(check_later(&w.election, &w.bytes, &r, &l).is_err());
}

#[test]
fn heads_of_one_size_need_one_root_and_others_a_proof() {
    let w = world();
    let (a, b) = (w.head(4), w.head(8));
    let proof = ConsistencyProof::generate(&w.tree, 4, 8).unwrap();
    consistent(&a, &b, Some(&proof)).unwrap();
    consistent(&b, &a, Some(&proof)).unwrap();
    assert!(consistent(&a, &b, None).is_err());
    let mut bad = proof.clone();
    bad.path[0][0] ^= 1;
    assert!(consistent(&a, &b, Some(&bad)).is_err());
    let mut other = a;
    other.head.root = [1; 32];
    assert!(
        consistent(&a, &other, None)
            .unwrap_err()
            .contains("different roots")
    );
}

fn complaint_body(w: &World, check: &str) -> ComplaintBody {
    ComplaintBody {
        format: COMPLAINT_FORMAT.into(),
        election: Hex32(w.e),
        credential: PublicKeyHex::from_key(&w.voter.verifying_key()),
        check: check.into(),
        detail: "seen".into(),
        entry: hex::encode(&w.bytes),
        receipt: Some(w.receipt(w.index + 2)),
        held: None,
        received: None,
        consistency: None,
        inclusion: None,
        other_entry: None,
        other_inclusion: None,
        observed_ms: 5,
    }
}

#[test]
fn complaints_hold_only_as_signed_and_only_for_what_failed() {
    let w = world();
    // A bad inclusion proof in a receipt.
    let mut body = complaint_body(&w, "R5");
    body.receipt.as_mut().unwrap().inclusion.path[0][0] ^= 1;
    let c = Complaint::sign(body.clone(), &w.voter).unwrap();
    assert!(matches!(c.check(&w.election), Ok(Finding::Failed(_))));
    // Changed after signing; signed by another key; a receipt that passes.
    let mut changed = c.clone();
    changed.body.observed_ms += 1;
    assert!(
        changed
            .check(&w.election)
            .unwrap_err()
            .contains("signature")
    );
    let other = Complaint::sign(body.clone(), &key(201)).unwrap();
    assert!(other.check(&w.election).is_err());
    let honest = Complaint::sign(complaint_body(&w, "R5"), &w.voter).unwrap();
    assert!(honest.check(&w.election).unwrap_err().contains("passes"));
    // Naming another check than the one that fails.
    let mut body4 = body.clone();
    body4.check = "R4".into();
    let c4 = Complaint::sign(body4, &w.voter).unwrap();
    assert!(c4.check(&w.election).is_err());

    // Two signed heads of one size with different roots: a proven fork.
    let mut fork = complaint_body(&w, "R7");
    let held = w.head(8);
    let mut other = held.head;
    other.root = [3; 32];
    fork.held = Some(held);
    fork.received = Some(WitnessedHead {
        signed: other.sign(&key(3)),
        cosignatures: vec![],
    });
    let c = Complaint::sign(fork.clone(), &w.voter).unwrap();
    assert!(matches!(c.check(&w.election), Ok(Finding::Fork(_))));
    // A "fork" whose second head the board did not sign does not hold.
    fork.received = Some(WitnessedHead {
        signed: other.sign(&key(4)),
        cosignatures: vec![],
    });
    let c = Complaint::sign(fork, &w.voter).unwrap();
    assert!(c.check(&w.election).unwrap_err().contains("head"));

    // Heads that are consistent by the enclosed proof: nothing to complain about.
    let mut fine = complaint_body(&w, "L3");
    fine.held = Some(w.head(4));
    fine.received = Some(WitnessedHead {
        signed: w.head(8),
        cosignatures: vec![],
    });
    fine.consistency = Some(ConsistencyProof::generate(&w.tree, 4, 8).unwrap());
    let c = Complaint::sign(fine, &w.voter).unwrap();
    assert!(c.check(&w.election).is_err());

    // Another entry proved at the ballot's index under a later head: a proven fork.
    let mut forked_tree = MemoryTree::new();
    for i in 0..w.index {
        forked_tree.push_leaf_hash(sawt_board::tree::range_hash(&w.tree, i, 1));
    }
    let other_entry = b"not the ballot".to_vec();
    forked_tree.push(&other_entry);
    let size = w.index + 1;
    let mut l2 = complaint_body(&w, "L2");
    l2.received = Some(WitnessedHead {
        signed: TreeHead {
            election: w.e,
            size,
            root: forked_tree.root(),
            timestamp_ms: 9,
        }
        .sign(&key(3)),
        cosignatures: vec![],
    });
    // The proof served for the ballot fails under that head…
    let mut served = InclusionProof::generate(&w.tree, w.index, size).unwrap();
    served.path.clear();
    l2.inclusion = Some(served);
    // …and another entry is proved at its index.
    l2.other_entry = Some(hex::encode(&other_entry));
    l2.other_inclusion = Some(InclusionProof::generate(&forked_tree, w.index, size).unwrap());
    let c = Complaint::sign(l2, &w.voter).unwrap();
    assert!(
        matches!(c.check(&w.election), Ok(Finding::Fork(_))),
        "{:?}",
        c.check(&w.election)
    );
}
