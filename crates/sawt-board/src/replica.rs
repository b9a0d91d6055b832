//! A verified replica of a board (`protocol-spec/board.md` §5.4): what `sawt mirror` keeps
//! and what an observer serves from their own machine.
//!
//! The replica holds every entry and its own Merkle tree. It extends only by a batch of new
//! entries together with a head the board signed: the replica appends the entries to a copy
//! of its tree, recomputes the root at the head's size, requires it to equal the signed root,
//! and requires the board's consistency proof from the replica's last head to hold. So a
//! board that rewrites an entry the replica already has, or shows the replica a history that
//! is not an extension of what it saw, is caught and the replica changes nothing;
//! [`Replica::fork_evidence`] then turns the board's own inclusion proof for a changed entry
//! into evidence anyone can check.

use ed25519_dalek::VerifyingKey;

use crate::error::HeadError;
use crate::head::SignedTreeHead;
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::tree::{MemoryTree, NodeSource};
use crate::witness::ForkEvidence;

/// Why a replica refused an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicaError {
    /// The head's signature, election or time is wrong.
    #[error(transparent)]
    Head(#[from] HeadError),
    /// The entries do not hash to the signed root: the board served other entries than it
    /// signed.
    #[error("the entries do not hash to the signed root at size {0}")]
    Root(u64),
    /// The entries do not fill the gap from the replica's size to the head's size.
    #[error("expected {expected} new entries, got {got}")]
    Count {
        /// Entries needed.
        expected: u64,
        /// Entries given.
        got: u64,
    },
    /// The new head is not an extension of the replica's last one: the board's history
    /// changed, or its proof is bad. Both signed heads are kept; [`Replica::fork_evidence`]
    /// turns them into evidence with the board's inclusion proof for one entry.
    #[error("the new head does not extend the replica's head (size {last_size} → {size})")]
    Inconsistent {
        /// The replica's head.
        last: Box<SignedTreeHead>,
        /// The head the board served.
        served: Box<SignedTreeHead>,
        /// Its size, for the message.
        size: u64,
        /// The replica's size.
        last_size: u64,
    },
}

/// A verified copy of a board's log.
pub struct Replica {
    board: VerifyingKey,
    election: [u8; 32],
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
    head: Option<SignedTreeHead>,
}

impl Replica {
    /// An empty replica of `election`'s board.
    pub fn new(board: VerifyingKey, election: [u8; 32]) -> Self {
        Replica {
            board,
            election,
            tree: MemoryTree::new(),
            entries: Vec::new(),
            head: None,
        }
    }

    /// Entries held.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The last head verified.
    pub fn head(&self) -> Option<&SignedTreeHead> {
        self.head.as_ref()
    }

    /// The entries held, in order.
    pub fn entries(&self) -> &[Vec<u8>] {
        &self.entries
    }

    /// Builds checkable fork evidence from a head the board signed and the entry it serves at
    /// `index` (below this replica's size) with its inclusion proof against that head: if the
    /// entry differs from the replica's, the board has signed two histories.
    pub fn fork_evidence(
        &self,
        served: &SignedTreeHead,
        index: u64,
        served_entry: &[u8],
        served_proof: &InclusionProof,
    ) -> Option<ForkEvidence> {
        let last = self.head?;
        if index >= last.head.size {
            return None;
        }
        let first_leaf = crate::hash::leaf_hash(&self.entries[index as usize]);
        let first_proof = InclusionProof::generate(&self.tree, index, last.head.size).ok()?;
        let evidence = ForkEvidence::DifferentLeaves {
            first: last,
            second: *served,
            first_leaf,
            first_proof,
            second_leaf: crate::hash::leaf_hash(served_entry),
            second_proof: served_proof.clone(),
        };
        evidence.verify(&self.board).ok().map(|()| evidence)
    }

    /// Applies the board's next head with the entries from this replica's size up to the
    /// head's size and the board's consistency proof from the replica's last head. On any
    /// error nothing changes.
    pub fn update(
        &mut self,
        signed: &SignedTreeHead,
        new_entries: &[Vec<u8>],
        proof: &ConsistencyProof,
    ) -> Result<(), ReplicaError> {
        let head = &signed.head;
        if head.election != self.election {
            return Err(HeadError::Election.into());
        }
        signed.verify(&self.board)?;
        let have = self.size();
        if let Some(last) = &self.head {
            if head.size < last.head.size {
                return Err(HeadError::Rollback {
                    last_size: last.head.size,
                    size: head.size,
                }
                .into());
            }
            // Before the timestamp: the same size with another root is a fork, not a rollback.
            if proof
                .verify((last.head.size, &last.head.root), (head.size, &head.root))
                .is_err()
            {
                return Err(ReplicaError::Inconsistent {
                    last: Box::new(*last),
                    served: Box::new(*signed),
                    size: head.size,
                    last_size: last.head.size,
                });
            }
            if head.timestamp_ms < last.head.timestamp_ms {
                return Err(HeadError::Rollback {
                    last_size: last.head.size,
                    size: head.size,
                }
                .into());
            }
        }
        let expected = head.size.checked_sub(have).ok_or(HeadError::Rollback {
            last_size: have,
            size: head.size,
        })?;
        if expected != new_entries.len() as u64 {
            return Err(ReplicaError::Count {
                expected,
                got: new_entries.len() as u64,
            });
        }
        let mut tree = self.tree.clone();
        for e in new_entries {
            tree.push(e);
        }
        if tree.root() != head.root {
            return Err(ReplicaError::Root(head.size));
        }
        self.tree = tree;
        self.entries.extend(new_entries.iter().cloned());
        self.head = Some(*signed);
        Ok(())
    }
}
