//! The public commitment to a wilayat's final voter list, and a voter's proof of inclusion.
//!
//! When the lists are frozen, the registry gives every registered voter a fresh random
//! 32-byte salt and computes their **leaf**
//!
//! ```text
//! leaf = SHA-256("sawt/v1/roll-leaf\n" ‖ u64le(|w|) ‖ w ‖ u64le(|c|) ‖ c ‖ salt)
//! ```
//!
//! for wilayat identifier `w` and civil number `c` (UTF-8 bytes). The wilayat's leaves,
//! sorted ascending, are the entries of an RFC 9162 Merkle tree (leaf hash
//! `SHA-256(0x00 ‖ leaf)`); its root and size are posted on the board in a `roll-count`
//! entry. A voter receives their salt, index and audit path, and checks
//! ([`Inclusion::verify`]) that they are counted. The path holds only hashes of other
//! voters' salted leaves, and the order is that of the hashes, so it reveals nobody else.

use sawt_board::Hash;
use sawt_board::hash::leaf_hash;
use sawt_board::proof::InclusionProof;
use sawt_board::tree::MemoryTree;
use sawt_election::geography::WilayatId;
use sawt_election::keys::Hex32;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::civil::CivilNumber;

/// Domain label of a roll leaf.
pub const LEAF_LABEL: &[u8] = b"sawt/v1/roll-leaf\n";

/// A voter's leaf.
pub fn leaf(wilayat: &WilayatId, civil: &CivilNumber, salt: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LEAF_LABEL);
    for part in [wilayat.0.as_bytes(), civil.expose().as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(salt);
    h.finalize().into()
}

/// A wilayat's list as a tree: its leaves sorted, ready for roots and proofs.
#[derive(Debug)]
pub struct ListTree {
    leaves: Vec<[u8; 32]>,
    tree: MemoryTree,
}

impl ListTree {
    /// The tree over `leaves` (sorted here).
    pub fn new(mut leaves: Vec<[u8; 32]>) -> ListTree {
        leaves.sort_unstable();
        let mut tree = MemoryTree::new();
        for l in &leaves {
            tree.push(l);
        }
        ListTree { leaves, tree }
    }

    /// The number of voters.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The root (RFC 9162; the empty tree's root for no voter).
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The sorted leaves.
    pub fn leaves(&self) -> &[[u8; 32]] {
        &self.leaves
    }

    /// The audit path of `leaf`, if it is in the list.
    pub fn prove(&self, leaf: &[u8; 32]) -> Option<InclusionProof> {
        let index = self.leaves.binary_search(leaf).ok()? as u64;
        InclusionProof::generate(&self.tree, index, self.size()).ok()
    }
}

/// What a voter receives to check they are on their wilayat's final list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inclusion {
    /// The wilayat.
    pub wilayat: WilayatId,
    /// The voter's salt.
    pub salt: Hex32,
    /// The audit path to the root posted on the board.
    pub proof: InclusionProof,
}

impl Inclusion {
    /// Checks that `civil` is in the list whose size and root the board's `roll-count` entry
    /// for this wilayat posted.
    pub fn verify(&self, civil: &CivilNumber, size: u64, root: &Hash) -> Result<(), String> {
        let l = leaf(&self.wilayat, civil, &self.salt.0);
        self.proof
            .verify(&leaf_hash(&l), size, root)
            .map_err(|e| format!("not on the committed list: {e}"))
    }
}
