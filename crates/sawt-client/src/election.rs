//! The election as the device trusts it: from one 32-byte anchor, the election identifier
//! `E` obtained from the client's own source (the app's build, a QR code at a polling
//! station, the official gazette), never from the service (service.md §1.4). The manifest is
//! taken from the board's entry 0 and accepted only if its hash is `E` (client.md C1); the
//! board operator's key, the witnesses and their quorum come from it.

use ed25519_dalek::VerifyingKey;
use sawt_board::head::{SignedTreeHead, WitnessedHead};
use sawt_election::entry::{EntryBody, Role, SignedEntry, role_of};
use sawt_election::manifest::Manifest;

use crate::error::Misbehaviour;

/// The election, checked against its anchor.
#[derive(Clone, Debug)]
pub struct Election {
    id: [u8; 32],
    /// Shared: every voter of a device or a test holds the same election.
    manifest: std::sync::Arc<Manifest>,
    board: VerifyingKey,
    witnesses: Vec<VerifyingKey>,
    quorum: usize,
}

impl Election {
    /// The election whose manifest entry (the board's entry 0) is `bytes`, if its manifest
    /// hashes to `anchor` and the entry is the election authority's (client.md C1).
    pub fn from_manifest_entry(anchor: [u8; 32], bytes: &[u8]) -> Result<Self, Misbehaviour> {
        let bad = |d: String| Misbehaviour::new("C1", d);
        let e = SignedEntry::decode(bytes).map_err(|err| bad(format!("entry 0: {err}")))?;
        let EntryBody::Manifest(m) = &e.entry.body else {
            return Err(bad("entry 0 is not the manifest".into()));
        };
        let hash = m
            .hash()
            .map_err(|err| bad(format!("the manifest does not encode: {err}")))?;
        if hash != anchor || e.entry.election.0 != anchor {
            return Err(bad(format!(
                "the board's manifest is election {}, not {}",
                hex::encode(hash),
                hex::encode(anchor)
            )));
        }
        m.validate()
            .map_err(|err| bad(format!("the manifest is not valid: {err}")))?;
        if role_of(m, &e.entry.author) != Some(Role::Authority) {
            return Err(bad(
                "the manifest is not signed by its election authority".into()
            ));
        }
        let key = |k: &sawt_election::keys::PublicKeyHex| {
            k.verifying_key()
                .map_err(|err| bad(format!("a key of the manifest: {err}")))
        };
        Ok(Election {
            id: anchor,
            board: key(&m.authorities.board_operator)?,
            witnesses: m
                .witnesses
                .members
                .iter()
                .map(|w| key(&w.key))
                .collect::<Result<_, _>>()?,
            quorum: m.witnesses.quorum as usize,
            manifest: std::sync::Arc::new((**m).clone()),
        })
    }

    /// `E`.
    pub fn id(&self) -> [u8; 32] {
        self.id
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The board operator's key.
    pub fn board_key(&self) -> &VerifyingKey {
        &self.board
    }

    /// R1 and R2 (service.md §4.2): the head is signed by the board operator, for `E`.
    pub fn check_head(&self, check: &'static str, h: &SignedTreeHead) -> Result<(), Misbehaviour> {
        h.verify(&self.board)
            .map_err(|e| Misbehaviour::new(check, format!("head of size {}: {e}", h.head.size)))?;
        if h.head.election != self.id {
            return Err(Misbehaviour::new(
                if check == "R1" { "R2" } else { check },
                format!("head of size {} is another election's", h.head.size),
            ));
        }
        Ok(())
    }

    /// Whether the head's cosignatures reach the manifest's quorum of distinct listed
    /// witnesses (board.md §4.5).
    pub fn is_witnessed(&self, h: &WitnessedHead) -> bool {
        h.verify(&self.board, &self.id, &self.witnesses, self.quorum)
            .is_ok()
    }

    /// Decodes an entry of this election (canonical bytes, the author's signature).
    pub fn decode_entry(
        &self,
        check: &'static str,
        index: u64,
        bytes: &[u8],
    ) -> Result<SignedEntry, Misbehaviour> {
        let e = SignedEntry::decode(bytes)
            .map_err(|err| Misbehaviour::new(check, format!("entry {index}: {err}")))?;
        if e.entry.election.0 != self.id {
            return Err(Misbehaviour::new(
                check,
                format!("entry {index} is another election's"),
            ));
        }
        Ok(e)
    }
}
