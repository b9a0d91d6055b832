//! The published record's entries (`protocol-spec/election.md` §5).
//!
//! Every entry is a [`SignedEntry`]: an [`Entry`] (format, election, kind and body, author,
//! timestamp) and the author's ed25519 signature over
//! `"sawt/v1/entry\n" ‖ canonical(entry)`. The board's leaf is the canonical encoding of the
//! signed entry (RFC 8785), so the log's hashes cover the signature too. Decoding accepts
//! only that one encoding and no unknown field.
//!
//! [`authorise`] is the board's gate: the author must hold the role the kind requires
//! (per the manifest), and the entry must come in a phase where that kind is allowed
//! (per the windows and whether voting was closed). Large data (mixed lists, shuffle proofs,
//! decryption shares of a mixed list) travel as [`Attachment`]s: the entry carries their
//! SHA-256 and length, and the bytes are stored and served beside the log.

use ed25519_dalek::{Signature, Signer, SigningKey};
use serde::{Deserialize, Serialize};

use sawt_crypto::dkg::{Announcement, Complaint, Dealing};
use sawt_crypto::threshold::DecryptionShare;
use sawt_crypto::{Ciphertext, Element};

use crate::ballot::{Ballot, BallotOpening};
use crate::canonical::{self, CanonicalError};
use crate::geography::WilayatId;
use crate::keys::{Hex32, Hex64, PublicKeyHex};
use crate::manifest::Manifest;

/// The entry format identifier.
pub const ENTRY_FORMAT: &str = "sawt/v1/entry";
/// Prefix of the signed message.
pub const ENTRY_SIGNING_LABEL: &[u8] = b"sawt/v1/entry\n";

/// Bytes stored beside the log, bound by their hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// SHA-256 of the bytes.
    pub sha256: Hex32,
    /// Their length.
    pub length: u64,
    /// What the bytes are (`"ciphertext-list"`, `"shuffle-proof"`, `"decryption-share"`).
    pub format: String,
}

/// A window extension or another official decision about the election's timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowExtension {
    /// The window's name (as in the manifest: `"voting_home"`, …).
    pub window: String,
    /// The new end, ms since the epoch; later than the current end.
    pub new_end_ms: u64,
    /// Why, for the record (Arabic and English).
    pub reason: crate::manifest::Names,
}

/// A homomorphic sum `(α, β)`; unlike a ballot's ciphertext, `α` may be the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallySum {
    /// `Σ α`.
    pub alpha: Element,
    /// `Σ β`.
    pub beta: Element,
}

impl TallySum {
    /// The sum as a ciphertext to decrypt (the trivial pair allowed).
    pub fn ciphertext(&self) -> Ciphertext {
        Ciphertext::from_sum(self.alpha, self.beta)
    }
}

impl From<Ciphertext> for TallySum {
    fn from(c: Ciphertext) -> Self {
        TallySum {
            alpha: *c.alpha(),
            beta: *c.beta(),
        }
    }
}

/// What an entry says, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "kebab-case")]
pub enum EntryBody {
    /// The election's manifest: the first entry.
    Manifest(Box<Manifest>),
    /// A window moved by the election authority.
    WindowExtension(WindowExtension),
    /// A trustee's share-encryption key (key generation, round 1).
    KeyGenAnnouncement(Announcement),
    /// A trustee's commitments and sealed shares (round 2).
    KeyGenDealing(Dealing),
    /// A trustee's complaint against a dealer (round 3).
    KeyGenComplaint(Complaint),
    /// The joint key and verification keys as the election authority computed them from the
    /// key-generation entries (every verifier recomputes them).
    JointKey {
        /// The election key `H`.
        key: Element,
        /// `H_j` for `j = 1..=n`.
        verification_keys: Vec<Element>,
    },
    /// A voting credential enrolled for a wilayat (no identity).
    CredentialEnrolment {
        /// The device's ed25519 key.
        credential: PublicKeyHex,
        /// Where it votes.
        wilayat: WilayatId,
    },
    /// A credential revoked (lost phone, death, registration moved).
    CredentialRevocation {
        /// The credential.
        credential: PublicKeyHex,
        /// Why.
        reason: String,
    },
    /// A contest's final candidate list, for a contest whose manifest entry has none
    /// (`protocol-spec/election.md` §3.4): published by the election authority once, between
    /// the end of the candidacy window and the start of voting.
    CandidateList {
        /// The contest.
        contest: String,
        /// Its candidates, in ballot order.
        candidates: Vec<crate::manifest::Candidate>,
    },
    /// The registrar's count of a wilayat's final voter list, and its commitment to the
    /// list (`protocol-spec/registry.md` §6): the root of the RFC 9162 tree over the sorted
    /// salted leaves of its voters, against which each voter checks their own inclusion.
    RollCount {
        /// The wilayat.
        wilayat: WilayatId,
        /// Registered voters: the tree's size.
        registered: u64,
        /// The tree's root.
        root: Hex32,
    },
    /// A cast ballot; the author is its credential.
    Ballot(Ballot),
    /// A ballot opened for a Benaloh audit: never counted; the author is its credential.
    AuditedBallot {
        /// The audited ballot.
        ballot: Ballot,
        /// Its revealed choice and nonces.
        opening: BallotOpening,
    },
    /// Voting is over: no ballot after this entry counts.
    Close {
        /// The size of the log when voting closed (this entry's own index).
        ballots_until: u64,
    },
    /// A homomorphic contest's per-candidate sums.
    Tally {
        /// The contest.
        contest: String,
        /// One sum per candidate, ballot order. A contest with no counted ballot has the
        /// trivial sum `(0, 0)` (crypto.md §4.3), so these are pairs of elements, not
        /// ballot ciphertexts (which never have `α = 0`).
        sums: Vec<TallySum>,
    },
    /// One mixer's shuffle of a contest's list.
    MixStage {
        /// The contest.
        contest: String,
        /// The mixer's index.
        mixer: u32,
        /// The output list.
        output: Attachment,
        /// The shuffle proof.
        proof: Attachment,
    },
    /// A trustee's decryption shares for a contest (inline for homomorphic sums).
    DecryptionShares {
        /// The contest.
        contest: String,
        /// The shares with their proof.
        shares: DecryptionShare,
    },
    /// A trustee's decryption shares of a mixed list (an attachment).
    MixDecryptionShares {
        /// The contest.
        contest: String,
        /// The trustee.
        trustee: u32,
        /// The encoded `DecryptionShare`.
        shares: Attachment,
    },
    /// A tie settled by lot: the public seed and the resulting order.
    TieBreakDraw {
        /// The contest.
        contest: String,
        /// The tied candidates.
        tied: Vec<String>,
        /// The seed (derived from a committed value or the final board head).
        seed: Hex32,
        /// The order the draw gives.
        order: Vec<String>,
    },
    /// A contest's result.
    Result {
        /// The contest.
        contest: String,
        /// Votes per candidate, ballot order.
        totals: Vec<u64>,
        /// Blank ballots.
        blank: u64,
        /// Invalid ballots (mixnet).
        invalid: u64,
        /// The elected candidates.
        elected: Vec<String>,
        /// Whether this is the final result (after every contest) or preliminary.
        r#final: bool,
    },
}

impl EntryBody {
    /// The attachments this entry binds by hash (empty for most kinds).
    pub fn attachments(&self) -> Vec<&Attachment> {
        match self {
            EntryBody::MixStage { output, proof, .. } => vec![output, proof],
            EntryBody::MixDecryptionShares { shares, .. } => vec![shares],
            _ => Vec::new(),
        }
    }

    /// The kind's name, as in the JSON (`"ballot"`, `"key-gen-dealing"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            EntryBody::Manifest(_) => "manifest",
            EntryBody::WindowExtension(_) => "window-extension",
            EntryBody::KeyGenAnnouncement(_) => "key-gen-announcement",
            EntryBody::KeyGenDealing(_) => "key-gen-dealing",
            EntryBody::KeyGenComplaint(_) => "key-gen-complaint",
            EntryBody::JointKey { .. } => "joint-key",
            EntryBody::CredentialEnrolment { .. } => "credential-enrolment",
            EntryBody::CredentialRevocation { .. } => "credential-revocation",
            EntryBody::RollCount { .. } => "roll-count",
            EntryBody::CandidateList { .. } => "candidate-list",
            EntryBody::Ballot(_) => "ballot",
            EntryBody::AuditedBallot { .. } => "audited-ballot",
            EntryBody::Close { .. } => "close",
            EntryBody::Tally { .. } => "tally",
            EntryBody::MixStage { .. } => "mix-stage",
            EntryBody::DecryptionShares { .. } => "decryption-shares",
            EntryBody::MixDecryptionShares { .. } => "mix-decryption-shares",
            EntryBody::TieBreakDraw { .. } => "tie-break-draw",
            EntryBody::Result { .. } => "result",
        }
    }
}

/// An entry before signing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Always [`ENTRY_FORMAT`].
    pub format: String,
    /// The election (manifest hash).
    pub election: Hex32,
    /// The author's ed25519 key.
    pub author: PublicKeyHex,
    /// When the author made it, ms since the epoch (the board's clock decides the phase).
    pub timestamp_ms: u64,
    /// Kind and body.
    #[serde(flatten)]
    pub body: EntryBody,
}

/// An entry with its author's signature: the board's leaf is its canonical encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEntry {
    /// The entry.
    pub entry: Entry,
    /// The author's signature over `"sawt/v1/entry\n" ‖ canonical(entry)`.
    pub signature: Hex64,
}

/// An entry that cannot be accepted; nothing is appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Not the canonical encoding of a known entry (or an unknown field).
    #[error("malformed entry: {0}")]
    Encoding(String),
    /// The author's signature does not verify (ed25519, strict).
    #[error("the author's signature does not verify")]
    Signature,
    /// The entry is for another election, or has another format.
    #[error("the entry is for another election or format")]
    Election,
    /// The author may not post this kind of entry.
    #[error("{author} may not post a {kind} entry")]
    Author {
        /// The kind.
        kind: &'static str,
        /// Who tried, as a role name or "this key".
        author: String,
    },
    /// The kind is not allowed in the current phase.
    #[error("a {kind} entry is not accepted during {phase}")]
    Phase {
        /// The kind.
        kind: &'static str,
        /// The current phase.
        phase: Phase,
    },
}

impl Entry {
    /// Signs the entry.
    pub fn sign(self, key: &SigningKey) -> Result<SignedEntry, CanonicalError> {
        let mut msg = ENTRY_SIGNING_LABEL.to_vec();
        msg.extend_from_slice(&canonical::encode(&self)?);
        Ok(SignedEntry {
            signature: Hex64(key.sign(&msg).to_bytes()),
            entry: self,
        })
    }
}

impl SignedEntry {
    /// The canonical bytes: the board's leaf.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        canonical::encode(self)
    }

    /// Decodes canonical bytes (no other encoding, no unknown field) and checks the format and
    /// the author's signature.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let e: SignedEntry =
            canonical::decode(bytes).map_err(|err| EntryError::Encoding(err.to_string()))?;
        if e.entry.format != ENTRY_FORMAT {
            return Err(EntryError::Election);
        }
        e.verify_signature()?;
        Ok(e)
    }

    /// Verifies the author's signature (`verify_strict`, strict keys).
    pub fn verify_signature(&self) -> Result<(), EntryError> {
        let key = self
            .entry
            .author
            .verifying_key()
            .map_err(|_| EntryError::Signature)?;
        let mut msg = ENTRY_SIGNING_LABEL.to_vec();
        msg.extend_from_slice(
            &canonical::encode(&self.entry).map_err(|e| EntryError::Encoding(e.to_string()))?,
        );
        key.verify_strict(&msg, &Signature::from_bytes(&self.signature.0))
            .map_err(|_| EntryError::Signature)
    }
}

/// The election's phases, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before registration opens.
    Setup,
    /// Registration and transfer.
    Registration,
    /// Candidacy applications.
    Candidacy,
    /// The trustees' key generation.
    KeyGeneration,
    /// Campaigning.
    Campaign,
    /// Between windows (the silence period before voting, or any gap).
    Between,
    /// Voting from abroad.
    VotingAbroad,
    /// Voting at home.
    VotingHome,
    /// Voting time is over; the close entry is awaited.
    Closing,
    /// Closed: tallying.
    Tallying,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&s)
    }
}

/// The phase at `now_ms`, from the manifest's windows and whether a close entry was posted.
pub fn phase_at(manifest: &Manifest, now_ms: u64, closed: bool) -> Phase {
    phase_in(&manifest.windows, now_ms, closed)
}

/// The phase at `now_ms` under `windows`: the manifest's, as extended by the
/// `window-extension` entries on the board ([`Windows::extend`]).
pub fn phase_in(w: &crate::manifest::Windows, now_ms: u64, closed: bool) -> Phase {
    if closed {
        return Phase::Tallying;
    }
    let phases = [
        (Phase::Registration, &w.registration),
        (Phase::Candidacy, &w.candidacy),
        (Phase::KeyGeneration, &w.key_generation),
        (Phase::Campaign, &w.campaign),
        (Phase::VotingAbroad, &w.voting_abroad),
        (Phase::VotingHome, &w.voting_home),
    ];
    if let Some((p, _)) = phases.iter().find(|(_, win)| win.contains(now_ms)) {
        return *p;
    }
    if now_ms < w.registration.start_ms {
        Phase::Setup
    } else if now_ms >= w.voting_home.end_ms {
        Phase::Closing
    } else {
        Phase::Between
    }
}

/// The role a key holds in the election, if any (a voter's credential holds none).
pub fn role_of(m: &Manifest, key: &PublicKeyHex) -> Option<Role> {
    let a = &m.authorities;
    if key == &a.election_authority {
        return Some(Role::Authority);
    }
    if key == &a.registrar {
        return Some(Role::Registrar);
    }
    if let Some(t) = m.trustees.members.iter().find(|t| &t.key == key) {
        return Some(Role::Trustee(t.index));
    }
    if let Some(x) = m.mixers.iter().find(|x| &x.key == key) {
        return Some(Role::Mixer(x.index));
    }
    if key == &a.board_operator {
        return Some(Role::BoardOperator);
    }
    if m.witnesses.members.iter().any(|w| &w.key == key) {
        return Some(Role::Witness);
    }
    None
}

/// A role the manifest gives a key (election.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The election authority.
    Authority,
    /// The registrar.
    Registrar,
    /// The board operator.
    BoardOperator,
    /// A witness.
    Witness,
    /// Trustee `i`.
    Trustee(u32),
    /// Mixer `i`.
    Mixer(u32),
}

/// The board's gate for a new entry at `now_ms` (the board's clock): the author's role and
/// the phase. `closed` says whether a close entry is already on the board. Signature and
/// encoding are checked by [`SignedEntry::decode`]; the entry's content (proofs, enrolment
/// of a ballot's credential, duplicates) is checked by the service that holds the state.
pub fn authorise(
    manifest: &Manifest,
    election: &[u8; 32],
    e: &SignedEntry,
    now_ms: u64,
    closed: bool,
) -> Result<(), EntryError> {
    authorise_in(manifest, &manifest.windows, election, e, now_ms, closed)
}

/// [`authorise`] under `windows`: the manifest's, as extended by the `window-extension`
/// entries on the board before this one.
pub fn authorise_in(
    manifest: &Manifest,
    windows: &crate::manifest::Windows,
    election: &[u8; 32],
    e: &SignedEntry,
    now_ms: u64,
    closed: bool,
) -> Result<(), EntryError> {
    let entry = &e.entry;
    if &entry.election.0 != election {
        return Err(EntryError::Election);
    }
    let kind = entry.body.kind();
    let role = role_of(manifest, &entry.author);
    let phase = phase_in(windows, now_ms, closed);
    let deny_author = || EntryError::Author {
        kind,
        author: role.map_or("this key".into(), |r| format!("{r:?}").to_lowercase()),
    };
    use EntryBody as B;
    use Phase as P;
    let w = windows;
    let before_voting = !closed && now_ms < w.voting_abroad.start_ms;
    let key_generation_on =
        !closed && (w.key_generation.start_ms..w.voting_abroad.start_ms).contains(&now_ms);
    let (author_ok, phase_ok) = match &entry.body {
        B::Manifest(m) => (
            role == Some(Role::Authority) && m.hash().ok().as_ref() == Some(election),
            phase <= P::Registration,
        ),
        B::WindowExtension(_) => (role == Some(Role::Authority), phase < P::Tallying),
        B::KeyGenAnnouncement(a) => (
            role == Some(Role::Trustee(a.trustee)),
            phase == P::KeyGeneration,
        ),
        B::KeyGenDealing(d) => (
            role == Some(Role::Trustee(d.dealer)),
            phase == P::KeyGeneration,
        ),
        B::KeyGenComplaint(c) => (
            role == Some(Role::Trustee(c.complainer)),
            phase == P::KeyGeneration,
        ),
        B::JointKey { .. } => (role == Some(Role::Authority), key_generation_on),
        B::CredentialEnrolment { .. } | B::RollCount { .. } => {
            (role == Some(Role::Registrar), before_voting)
        }
        B::CredentialRevocation { .. } => (role == Some(Role::Registrar), phase < P::Tallying),
        B::CandidateList { .. } => (
            role == Some(Role::Authority),
            !closed && (w.candidacy.end_ms..w.voting_abroad.start_ms).contains(&now_ms),
        ),
        B::Ballot(b) | B::AuditedBallot { ballot: b, .. } => (
            b.credential == entry.author && role.is_none(),
            matches!(phase, P::VotingAbroad | P::VotingHome),
        ),
        B::Close { .. } => (role == Some(Role::Authority), phase == P::Closing),
        B::Tally { .. } | B::TieBreakDraw { .. } | B::Result { .. } => {
            (role == Some(Role::Authority), phase == P::Tallying)
        }
        B::MixStage { mixer, .. } => (role == Some(Role::Mixer(*mixer)), phase == P::Tallying),
        B::DecryptionShares { shares, .. } => (
            role == Some(Role::Trustee(shares.trustee)),
            phase == P::Tallying,
        ),
        B::MixDecryptionShares { trustee, .. } => {
            (role == Some(Role::Trustee(*trustee)), phase == P::Tallying)
        }
    };
    if !author_ok {
        return Err(deny_author());
    }
    if !phase_ok {
        return Err(EntryError::Phase { kind, phase });
    }
    Ok(())
}

/// Splits an exported record's `entries.ndjson` into its entries' bytes (one canonical entry
/// per LF-terminated line; canonical JSON never contains a raw LF).
pub fn split_ndjson(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}
