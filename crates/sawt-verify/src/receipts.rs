//! V1.9: receipts that voters hold (`protocol-spec/verifier.md` §4.1, service.md §4.1–§4.4),
//! compared with the record: a receipt that is evidence (signed by the board for this
//! election, its entry proved included under its head) must find its ballot in the record at
//! its index, under the same root.

use std::path::{Path, PathBuf};

use sawt_board::head::WitnessedHead;
use sawt_board::proof::InclusionProof;
use sawt_board::tree::{MemoryTree, root_at};
use sawt_board::{Hash, VerifyingKey};
use serde::Deserialize;

use crate::report::{Blame, Failure, Findings};

/// A receipt (service.md §4.1).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Receipt {
    tracking_code: String,
    index: u64,
    leaf_hash: String,
    head: WitnessedHead,
    inclusion: InclusionProof,
}

/// A receipt that is evidence: R1–R3 and R5 hold.
pub(crate) struct Evidence {
    path: PathBuf,
    tracking_code: String,
    index: u64,
    leaf: Hash,
    size: u64,
    root: Hash,
}

/// Reads the receipts and keeps those that are evidence (the others are notices).
pub(crate) fn read(
    f: &mut Findings,
    paths: &[PathBuf],
    board: &VerifyingKey,
    election: &[u8; 32],
) -> Vec<Evidence> {
    let mut out = Vec::new();
    for p in paths {
        f.items("V1.9", 1);
        let r: Receipt = match std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(r) => r,
            Err(why) => {
                f.fail(
                    "V1.9",
                    Failure::new(None, "receipt-file", format!("{}: {why}", p.display()))
                        .blame(Blame::role("input")),
                );
                continue;
            }
        };
        let h = &r.head.signed.head;
        let leaf = sawt_board::hash_from_hex(&r.leaf_hash).ok();
        let evidence = r.head.signed.verify(board).is_ok()
            && &h.election == election
            && r.index < h.size
            && r.inclusion.index == r.index
            && leaf.is_some_and(|l| r.inclusion.verify(&l, h.size, &h.root).is_ok());
        match (evidence, leaf) {
            (true, Some(leaf)) => out.push(Evidence {
                path: p.clone(),
                tracking_code: r.tracking_code,
                index: r.index,
                leaf,
                size: h.size,
                root: h.root,
            }),
            _ => f.notice(
                "V1.9",
                format!(
                    "{}: not evidence (its head or inclusion proof does not verify)",
                    p.display()
                ),
            ),
        }
    }
    out
}

/// Compares each receipt with the record: its leaf at its index, the root at its head's size,
/// and the tracking code of the ballot there (`code_at` gives it).
pub(crate) fn check(
    f: &mut Findings,
    receipts: &[Evidence],
    tree: &MemoryTree,
    z: u64,
    code_at: impl Fn(u64) -> Option<String>,
) {
    for r in receipts {
        let name = r.path.display();
        let fail = |f: &mut Findings, code, why: String| {
            f.fail(
                "V1.9",
                Failure::at(r.index, code, format!("{name}: {why}"))
                    .with_entry(r.size)
                    .blame(Blame::role("boardoperator"))
                    .blame(Blame::role("witness")),
            )
        };
        if r.index < z && crate::leaf_at(tree, r.index) != r.leaf {
            fail(
                f,
                "receipt-leaf",
                format!(
                    "entry {} is not the receipt's: a ballot dropped or changed after its receipt",
                    r.index
                ),
            );
            continue;
        }
        if r.size <= z && root_at(tree, r.size) != r.root {
            fail(
                f,
                "receipt-root",
                format!(
                    "the board signed a root at size {} that the record does not give",
                    r.size
                ),
            );
            continue;
        }
        if r.size > z {
            f.notice("V1.9", format!("{name}: its head (size {}) is larger than the record: only its leaf is compared", r.size));
        }
        if r.index < z && code_at(r.index).as_deref() != Some(r.tracking_code.as_str()) {
            fail(
                f,
                "receipt-tracking-code",
                format!("entry {}'s tracking code is not the receipt's", r.index),
            );
        }
    }
}

/// The receipts in a directory's `receipts/` (the test records' layout).
pub fn in_dir(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("receipts"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}
