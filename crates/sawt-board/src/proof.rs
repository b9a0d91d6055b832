//! Inclusion and consistency proofs (RFC 9162 §2.1.3–§2.1.4; `protocol-spec/board.md` §3).
//!
//! Proofs are generated from any [`NodeSource`] with `O(log n)` node reads and verified
//! against roots taken **together with their sizes from one signed head**: RFC 9162 binds a
//! size only through its root, so an inclusion path may also verify for another size with
//! the same root (leaf 0 of a 3-leaf tree verifies as size 4). The verifier never accepts a
//! size from the proof's sender without a head.
//!
//! Edge cases RFC 9162 leaves open, pinned down here: a consistency proof from `old = new`
//! is empty and holds iff the roots are equal; from `old = 0` it is empty and always holds
//! (the empty tree is a prefix of every tree); `old > new` is rejected; any other proof must
//! be non-empty. An inclusion proof needs `index < size`.

use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::hash::{Hash, node_hash};
use crate::tree::{NodeSource, range_hash, split};

/// A proof that leaf `index` is in the tree of `size` leaves.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The leaf's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The audit path, leaf to root, lowercase hexadecimal in JSON.
    #[serde(with = "hashes_hex")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub path: Vec<Hash>,
}

/// A proof that the tree of `old` leaves is a prefix of the tree of `new` leaves.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older size.
    pub old: u64,
    /// The newer size.
    pub new: u64,
    /// The consistency path, lowercase hexadecimal in JSON.
    #[serde(with = "hashes_hex")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub path: Vec<Hash>,
}

/// Serde adapter: a list of hashes as lowercase hexadecimal strings.
pub mod hashes_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::hash::Hash;

    /// Serializes hashes as lowercase hexadecimal.
    pub fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode))
    }

    /// Deserializes lowercase hexadecimal hashes of 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| crate::hash_from_hex(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// RFC 9162 PATH(m, D[start : start + n]).
fn path(src: &impl NodeSource, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(src, m, start, k, out);
        out.push(range_hash(src, start + k, n - k));
    } else {
        path(src, m - k, start + k, n - k, out);
        out.push(range_hash(src, start, k));
    }
}

/// RFC 9162 SUBPROOF(m, D[start : start + n], b).
fn subproof(
    src: &impl NodeSource,
    m: u64,
    start: u64,
    n: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) {
    if m == n {
        if !complete {
            out.push(range_hash(src, start, n));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(src, m, start, k, complete, out);
        out.push(range_hash(src, start + k, n - k));
    } else {
        subproof(src, m - k, start + k, n - k, false, out);
        out.push(range_hash(src, start, k));
    }
}

impl InclusionProof {
    /// Generates the proof for leaf `index` in the tree of the first `size` leaves.
    pub fn generate(src: &impl NodeSource, index: u64, size: u64) -> Result<Self, ProofError> {
        if index >= size || size > src.size() {
            return Err(ProofError::Range);
        }
        let mut p = Vec::new();
        path(src, index, 0, size, &mut p);
        Ok(InclusionProof {
            index,
            size,
            path: p,
        })
    }

    /// Verifies that `leaf` (a leaf hash) is at `self.index` in the tree whose `size` and
    /// `root` come from one signed head (RFC 9162 §2.1.3.2).
    pub fn verify(&self, leaf: &Hash, size: u64, root: &Hash) -> Result<(), ProofError> {
        if self.size != size {
            return Err(ProofError::Size);
        }
        if self.root_of(leaf)? != *root {
            return Err(ProofError::Root);
        }
        Ok(())
    }

    /// The root the path gives for `leaf` at `self.index` in a tree of `self.size` leaves
    /// (RFC 9162 §2.1.3.2): what [`InclusionProof::verify`] compares with a signed root.
    /// Alone it proves nothing; checked against a signed head (directly, or through a
    /// consistency proof) it gives the tree's root at `self.size`.
    pub fn root_of(&self, leaf: &Hash) -> Result<Hash, ProofError> {
        let size = self.size;
        if self.index >= size {
            return Err(ProofError::Range);
        }
        let (mut fnn, mut sn) = (self.index, size - 1);
        let mut r = *leaf;
        for p in &self.path {
            if sn == 0 {
                return Err(ProofError::Path);
            }
            if fnn & 1 == 1 || fnn == sn {
                r = node_hash(p, &r);
                if fnn & 1 == 0 {
                    while fnn & 1 == 0 && fnn != 0 {
                        fnn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            fnn >>= 1;
            sn >>= 1;
        }
        if sn != 0 {
            Err(ProofError::Root)
        } else {
            Ok(r)
        }
    }
}

impl ConsistencyProof {
    /// Generates the proof that the first `old` leaves are a prefix of the first `new`.
    pub fn generate(src: &impl NodeSource, old: u64, new: u64) -> Result<Self, ProofError> {
        if old > new || new > src.size() {
            return Err(ProofError::Range);
        }
        let mut p = Vec::new();
        if old != 0 && old != new {
            subproof(src, old, 0, new, true, &mut p);
        }
        Ok(ConsistencyProof { old, new, path: p })
    }

    /// Verifies the proof between two heads' `(size, root)` pairs (RFC 9162 §2.1.4.2, with
    /// the edge cases of the module documentation).
    pub fn verify(&self, old: (u64, &Hash), new: (u64, &Hash)) -> Result<(), ProofError> {
        let ((m, old_root), (n, new_root)) = (old, new);
        if self.old != m || self.new != n {
            return Err(ProofError::Size);
        }
        if m > n {
            return Err(ProofError::Range);
        }
        if m == 0 || m == n {
            if !self.path.is_empty() {
                return Err(ProofError::Path);
            }
            return if m == n && old_root != new_root {
                Err(ProofError::Root)
            } else {
                Ok(())
            };
        }
        if self.path.is_empty() {
            return Err(ProofError::Path);
        }
        let mut path: Vec<Hash> = Vec::with_capacity(self.path.len() + 1);
        if m.is_power_of_two() {
            path.push(*old_root);
        }
        path.extend_from_slice(&self.path);
        let (mut fnn, mut sn) = (m - 1, n - 1);
        while fnn & 1 == 1 {
            fnn >>= 1;
            sn >>= 1;
        }
        let (mut fr, mut sr) = (path[0], path[0]);
        for c in &path[1..] {
            if sn == 0 {
                return Err(ProofError::Path);
            }
            if fnn & 1 == 1 || fnn == sn {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                if fnn & 1 == 0 {
                    while fnn & 1 == 0 && fnn != 0 {
                        fnn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = node_hash(&sr, c);
            }
            fnn >>= 1;
            sn >>= 1;
        }
        if sn == 0 && fr == *old_root && sr == *new_root {
            Ok(())
        } else {
            Err(ProofError::Root)
        }
    }
}
