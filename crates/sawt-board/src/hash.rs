//! RFC 9162 §2.1.1 hashing (`protocol-spec/board.md` §2).
//!
//! `MTH({}) = SHA-256()`, a leaf is `SHA-256(0x00 ‖ entry)`, an interior node is
//! `SHA-256(0x01 ‖ left ‖ right)`. The domain bytes keep a leaf from ever being mistaken for
//! a node (second-preimage attacks on Merkle trees).

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of an entry's canonical bytes as a leaf.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}
