//! The right edge of the tree: the latest complete subtree at each level that a later
//! append still needs (`protocol-spec/board.md` §2).
//!
//! For a log of `n` leaves, each set bit `l` of `n` is a complete subtree `(l, (n >> l) − 1)`
//! that is the left child of a node not yet complete. Appending leaf `n` combines the new
//! leaf with the frontier's nodes at the trailing set bits of `n`: it completes exactly the
//! nodes `sawt_board::tree::MemoryTree::completed_by_last` lists, without reading anything,
//! and the root is the frontier folded from the lowest level up.

use sawt_board::Hash;
use sawt_board::hash::node_hash;

/// The frontier of a log of `size` leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frontier {
    size: u64,
    /// `nodes[l]` is meaningful where bit `l` of `size` is set.
    nodes: [Hash; 64],
}

impl Frontier {
    /// The frontier of the empty log.
    pub(crate) fn empty() -> Self {
        Frontier {
            size: 0,
            nodes: [[0; 32]; 64],
        }
    }

    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The nodes `(level, index)` the frontier of a log of `size` leaves consists of, lowest
    /// level first.
    pub(crate) fn positions(size: u64) -> impl Iterator<Item = (u32, u64)> {
        (0..64u32)
            .filter(move |l| size >> l & 1 == 1)
            .map(move |l| (l, (size >> l) - 1))
    }

    /// Rebuilds the frontier from its nodes' hashes, given as `node(level, index)`; `None`
    /// if one is missing.
    pub(crate) fn from_nodes(
        size: u64,
        mut node: impl FnMut(u32, u64) -> Option<Hash>,
    ) -> Option<Self> {
        let mut f = Frontier::empty();
        for (level, index) in Self::positions(size) {
            f.nodes[level as usize] = node(level, index)?;
        }
        f.size = size;
        Some(f)
    }

    /// Appends a leaf hash; returns the nodes `(level, index, hash)` it completes, the leaf
    /// `(0, size)` first.
    pub(crate) fn push(&mut self, leaf: Hash, out: &mut Vec<(u32, u64, Hash)>) {
        let mut index = self.size;
        let mut level = 0usize;
        let mut hash = leaf;
        out.push((0, index, hash));
        while index & 1 == 1 {
            hash = node_hash(&self.nodes[level], &hash);
            level += 1;
            index >>= 1;
            out.push((level as u32, index, hash));
        }
        self.nodes[level] = hash;
        self.size += 1;
    }

    /// The root of the log (RFC 9162 MTH): the frontier's nodes folded from the lowest.
    #[cfg(test)]
    pub(crate) fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for (level, _) in Self::positions(self.size) {
            let n = &self.nodes[level as usize];
            acc = Some(match acc {
                None => *n,
                Some(right) => node_hash(n, &right),
            });
        }
        acc.unwrap_or_else(sawt_board::hash::empty_root)
    }
}

#[cfg(test)]
mod tests {
    use sawt_board::tree::{MemoryTree, NodeSource};

    use super::*;

    #[test]
    fn matches_the_memory_tree_at_every_size() {
        let mut reference = MemoryTree::new();
        let mut f = Frontier::empty();
        assert_eq!(f.root(), reference.root());
        for i in 0u32..600 {
            let body = i.to_le_bytes();
            reference.push(&body);
            let mut out = Vec::new();
            f.push(sawt_board::hash::leaf_hash(&body), &mut out);
            assert_eq!(
                out,
                reference.completed_by_last(),
                "nodes completed by leaf {i}"
            );
            assert_eq!(f.size(), reference.size());
            assert_eq!(f.root(), reference.root(), "root at size {}", i + 1);
            let rebuilt =
                Frontier::from_nodes(f.size(), |l, x| Some(reference.node(l, x))).expect("nodes");
            assert_eq!(rebuilt.root(), f.root());
            let mut a = rebuilt.clone();
            let mut b = f.clone();
            let (mut oa, mut ob) = (Vec::new(), Vec::new());
            a.push([7; 32], &mut oa);
            b.push([7; 32], &mut ob);
            assert_eq!(oa, ob, "a rebuilt frontier appends like the original");
        }
    }

    #[test]
    fn positions_are_the_set_bits() {
        assert_eq!(Frontier::positions(0).count(), 0);
        assert_eq!(
            Frontier::positions(13).collect::<Vec<_>>(),
            vec![(0, 12), (2, 2), (3, 0)]
        );
        assert!(Frontier::from_nodes(3, |_, _| None).is_none());
    }
}
