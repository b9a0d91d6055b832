//! Known-answer vectors for the board (`protocol-spec/vectors/board.json`), shared by the
//! test that re-checks the committed file byte for byte and by
//! `examples/generate-vectors.rs`. Everything here is deterministic: ed25519 signatures are,
//! and the keys come from fixed seeds.

use sawt_board::SigningKey;
use sawt_board::hash::{empty_root, leaf_hash};
use sawt_board::head::{TreeHead, WitnessedHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::tree::{MemoryTree, root_at};
use sawt_board::witness::Witness;
use serde_json::{Value, json};

/// The board operator's secret seed in the vectors.
pub(crate) const BOARD_SEED: [u8; 32] = [0x42; 32];
/// The witness's secret seed in the vectors.
pub(crate) const WITNESS_SEED: [u8; 32] = [0x57; 32];
/// The election of the vectors.
pub(crate) const ELECTION: [u8; 32] = [0x5a; 32];

pub(crate) fn entries() -> Vec<String> {
    (0..7)
        .map(|i| format!("sawt board vector entry {i}"))
        .collect()
}

/// The vector file's text.
pub(crate) fn board() -> String {
    let mut t = MemoryTree::new();
    for e in entries() {
        t.push(e.as_bytes());
    }
    let roots: Vec<String> = (0..=7).map(|n| hex::encode(root_at(&t, n))).collect();
    let inclusion: Vec<Value> = [(0u64, 1u64), (0, 7), (3, 7), (6, 7), (4, 5)]
        .iter()
        .map(|&(i, n)| serde_json::to_value(InclusionProof::generate(&t, i, n).unwrap()).unwrap())
        .collect();
    let consistency: Vec<Value> = [(0u64, 7u64), (1, 7), (3, 7), (4, 7), (6, 7), (7, 7), (2, 5)]
        .iter()
        .map(|&(m, n)| serde_json::to_value(ConsistencyProof::generate(&t, m, n).unwrap()).unwrap())
        .collect();
    let board = SigningKey::from_bytes(&BOARD_SEED);
    let signed = TreeHead {
        election: ELECTION,
        size: 7,
        root: t.root(),
        timestamp_ms: 1_798_761_600_000,
    }
    .sign(&board);
    let mut witness = Witness::new(
        SigningKey::from_bytes(&WITNESS_SEED),
        board.verifying_key(),
        ELECTION,
        None,
    );
    let cosig = witness
        .cosign(
            &signed,
            &ConsistencyProof::generate(&t, 0, 7).unwrap(),
            1_798_761_601_000,
        )
        .unwrap();
    let v = json!({
        "description": "RFC 9162 hashing, proofs, a signed tree head and a cosignature (board.md §2–§5). Entries are the UTF-8 strings listed; keys are ed25519 from the given 32-byte seeds.",
        "entries": entries(),
        "leaf_hashes": entries().iter().map(|e| hex::encode(leaf_hash(e.as_bytes()))).collect::<Vec<_>>(),
        "empty_root": hex::encode(empty_root()),
        "roots": roots,
        "inclusion": inclusion,
        "consistency": consistency,
        "board_seed": hex::encode(BOARD_SEED),
        "board_key": hex::encode(board.verifying_key().to_bytes()),
        "witness_seed": hex::encode(WITNESS_SEED),
        "head_message": hex::encode(signed.head.message()),
        "witnessed_head": serde_json::to_value(WitnessedHead { signed, cosignatures: vec![cosig] }).unwrap(),
    });
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}
