//! The Merkle tree's nodes and its root over any size (`protocol-spec/board.md` §2).
//!
//! A log stores the hash of every **complete** subtree: node `(level, index)` covers leaves
//! `[index·2^level, (index + 1)·2^level)`. Appending a leaf adds one node per level it
//! completes (amortised two writes, at most `log₂ n + 1`), and the root of any size `n`, or
//! the hash of any range RFC 9162's algorithms ask for, is a combination of at most
//! `2·log₂ n` stored nodes. [`NodeSource`] is that read interface; [`MemoryTree`] keeps the
//! nodes in memory (tests, replicas), and the server's storage implements the same
//! trait over its tables.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash};

/// Read access to the stored hashes of complete subtrees.
pub trait NodeSource {
    /// The number of leaves.
    fn size(&self) -> u64;
    /// The hash of the complete subtree `(level, index)`; it must lie within `size()`.
    fn node(&self, level: u32, index: u64) -> Hash;
}

/// `MTH(D[start : start + len])` for a range of leaves within `src.size()`, computed from
/// complete subtrees as RFC 9162 §2.1.1 splits it: left part the largest power of two
/// smaller than `len`.
pub fn range_hash(src: &impl NodeSource, start: u64, len: u64) -> Hash {
    if len == 0 {
        return empty_root();
    }
    if len.is_power_of_two() && start.is_multiple_of(len) {
        return src.node(len.trailing_zeros(), start / len);
    }
    let k = split(len);
    node_hash(
        &range_hash(src, start, k),
        &range_hash(src, start + k, len - k),
    )
}

/// The largest power of two strictly smaller than `n` (for `n ≥ 2`).
pub(crate) fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of the tree of the first `size` leaves.
pub fn root_at(src: &impl NodeSource, size: u64) -> Hash {
    range_hash(src, 0, size)
}

/// A Merkle tree held in memory: every level of complete-subtree hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Appends an entry (its canonical bytes); returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf hash; returns its index. Returns the nodes it completed through
    /// [`MemoryTree::completed_by_last`] for stores that persist them.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len() as u64;
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// The nodes `(level, index, hash)` completed by appending leaf `index` (which must be
    /// the last): what a store writes for that append.
    pub fn completed_by_last(&self) -> Vec<(u32, u64, Hash)> {
        let Some(leaves) = self.levels.first() else {
            return Vec::new();
        };
        let last = leaves.len() as u64 - 1;
        let mut out = vec![(0u32, last, leaves[last as usize])];
        let mut level = 0usize;
        let mut idx = last;
        while idx % 2 == 1 {
            level += 1;
            idx /= 2;
            out.push((level as u32, idx, self.levels[level][idx as usize]));
        }
        out
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        root_at(self, self.size())
    }
}

impl NodeSource for MemoryTree {
    fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    fn node(&self, level: u32, index: u64) -> Hash {
        self.levels[level as usize][index as usize]
    }
}
