//! The board service (`protocol-spec/board.md`, `election.md` §5): the gate in front of the
//! log. An entry is decoded (one canonical encoding, the author's signature), authorised
//! (the author's role and the phase, by the board's one clock), checked against the board's
//! state (the manifest first and once; a ballot's credential enrolled in the contest's wilayat
//! and not revoked, its proofs valid under the election key; no credential enrolled twice),
//! and only then appended. Anything refused changes nothing. Tree heads are signed by the
//! board operator's key for the committed size, on a timer and on demand.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use tokio::sync::{Mutex, RwLock};

use sawt_board::head::{Cosignature, SignedTreeHead, TreeHead, WitnessedHead};
use sawt_crypto::{EncryptionKey, PublicKey};
use sawt_election::entry::{EntryBody, EntryError, SignedEntry, authorise_in};
use sawt_election::geography::WilayatId;
use sawt_election::manifest::Manifest;

use crate::clock::Clock;
use crate::{LogStore, StoreError};

/// Why the board refused a request; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoardError {
    /// The entry is malformed, badly signed, or not allowed for its author or phase.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The entry is well formed but conflicts with the board's state.
    #[error("refused: {0}")]
    Refused(String),
    /// A ballot reuses a ciphertext already on the board: a replayed or copied ballot.
    #[error("refused: a ciphertext of this ballot is already on the board")]
    Copied,
    /// Storage failed (the request may be retried).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The board has no manifest yet.
    #[error("the board has no manifest yet")]
    NoManifest,
}

/// What the board remembers to check new entries.
#[derive(Default)]
struct State {
    closed: bool,
    key: Option<(PublicKey, Arc<EncryptionKey>)>,
    enrolled: HashMap<[u8; 32], WilayatId>,
    revoked: HashSet<[u8; 32]>,
    roll_counts: HashSet<WilayatId>,
    candidate_lists: sawt_election::candidates::PublishedLists,
    /// The manifest's windows as extended by `window-extension` entries.
    windows: Option<sawt_election::manifest::Windows>,
    /// Each contest's tally so far, by the entries that make it.
    progress: HashMap<String, ContestProgress>,
    /// The entries a client needs to set up from: key generation, joint key, candidate
    /// lists, window extensions and the close, in log order.
    setup: Vec<SetupEntry>,
    announcements: Vec<sawt_crypto::dkg::Announcement>,
    dealings: Vec<sawt_crypto::dkg::Dealing>,
    complaints: Vec<sawt_crypto::dkg::Complaint>,
}

/// An entry a client sets up from (`GET /v1/election`, service.md §1.5): its index and kind.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SetupEntry {
    /// Its index in the log.
    pub index: u64,
    /// Its kind (election.md §5.4).
    pub kind: String,
}

/// A receipt for an appended entry.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Appended {
    /// Its index in the log.
    pub index: u64,
    /// Its leaf hash, lowercase hexadecimal.
    pub leaf_hash: String,
}

impl From<crate::store::Appended> for Appended {
    fn from(a: crate::store::Appended) -> Self {
        Appended {
            index: a.index,
            leaf_hash: hex::encode(a.leaf_hash),
        }
    }
}

/// The board of one election.
pub struct Board {
    store: LogStore,
    manifest: Manifest,
    election: [u8; 32],
    key: SigningKey,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    /// The first 16 bytes of every ballot ciphertext's `α` on the board: a ballot reusing
    /// one is a copy (election.md §5.8 item 5).
    alphas: std::sync::Mutex<HashSet<[u8; 16]>>,
    /// Credentials whose enrolment entry is being appended.
    enrolling: std::sync::Mutex<HashSet<[u8; 32]>>,
    /// Each credential's ballots on the board: `(index, audited)`, in log order.
    cast: std::sync::Mutex<BallotsByCredential>,
    heads: Mutex<()>,
    /// The latest signed head, as stored.
    latest_head: std::sync::Mutex<Option<SignedTreeHead>>,
    /// The cosignatures stored for the latest head: `(its size, them)`.
    latest_cosignatures: std::sync::Mutex<(u64, Vec<Cosignature>)>,
}

/// A contest's tally as far as the board has it: the indices of the entries that prove it,
/// and the latest result.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ContestProgress {
    /// The homomorphic tally entry.
    pub tally: Option<u64>,
    /// The mix stages, in order.
    pub mix_stages: Vec<u64>,
    /// The trustees' decryption shares.
    pub decryption_shares: Vec<u64>,
    /// Tie-break draws.
    pub tie_break_draws: Vec<u64>,
    /// Result entries (preliminary, then final).
    pub results: Vec<u64>,
    /// The latest result (answered apart, with the candidates' names).
    #[serde(skip)]
    #[schema(ignore)]
    pub latest: Option<PublishedResult>,
}

/// A result entry's content.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PublishedResult {
    /// Its index on the board.
    pub index: u64,
    /// Votes per candidate, ballot order.
    pub totals: Vec<u64>,
    /// Blank ballots.
    pub blank: u64,
    /// Invalid ballots.
    pub invalid: u64,
    /// The elected candidates.
    pub elected: Vec<String>,
    /// Final, or preliminary.
    pub r#final: bool,
}

/// Each credential's ballots: `(index, audited)` in log order.
type BallotsByCredential = HashMap<[u8; 32], Vec<(u64, bool)>>;

/// A credential's ballot as the board sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BallotStatus {
    /// The credential's last cast ballot: the one that counts.
    Counted,
    /// A ballot cast before the credential's last one: on the board, never counted.
    Superseded,
    /// Opened for a Benaloh audit: on the board, never counted.
    Audited,
    /// Cast with a credential since revoked: never counted.
    Revoked,
}

impl Board {
    /// Opens the board in `store`, whose entry 0 must be the manifest; replays the log to
    /// rebuild the state.
    pub async fn open(
        store: LogStore,
        key: SigningKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BoardError> {
        let first = store.entry(0).await?.ok_or(BoardError::NoManifest)?;
        let manifest = match SignedEntry::decode(&first.body)?.entry.body {
            EntryBody::Manifest(m) => *m,
            _ => return Err(BoardError::Refused("entry 0 is not a manifest".into())),
        };
        Self::with_manifest(store, manifest, key, clock).await
    }

    /// Creates a board: appends the authority-signed manifest entry to an empty store.
    pub async fn create(
        store: LogStore,
        manifest_entry: &SignedEntry,
        key: SigningKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BoardError> {
        let EntryBody::Manifest(m) = &manifest_entry.entry.body else {
            return Err(BoardError::Refused(
                "the first entry must be the manifest".into(),
            ));
        };
        let manifest = (**m).clone();
        manifest
            .validate()
            .map_err(|e| BoardError::Refused(e.to_string()))?;
        if store.size() != 0 {
            return Err(BoardError::Refused("the store already holds a log".into()));
        }
        let board = Self::with_manifest(store, manifest, key, clock).await?;
        board
            .submit(
                &manifest_entry
                    .canonical_bytes()
                    .map_err(|e| BoardError::Refused(e.to_string()))?,
            )
            .await?;
        Ok(board)
    }

    async fn with_manifest(
        store: LogStore,
        manifest: Manifest,
        key: SigningKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BoardError> {
        let election = manifest
            .hash()
            .map_err(|e| BoardError::Refused(e.to_string()))?;
        if manifest.authorities.board_operator.bytes() != &key.verifying_key().to_bytes() {
            return Err(BoardError::Refused(
                "this key is not the manifest's board operator".into(),
            ));
        }
        let board = Board {
            store,
            manifest,
            election,
            key,
            clock,
            state: RwLock::new(State::default()),
            alphas: std::sync::Mutex::new(HashSet::new()),
            enrolling: std::sync::Mutex::new(HashSet::new()),
            cast: std::sync::Mutex::new(HashMap::new()),
            heads: Mutex::new(()),
            latest_head: std::sync::Mutex::new(None),
            latest_cosignatures: std::sync::Mutex::new((0, vec![])),
        };
        let latest = board.store.latest_head().await?;
        if let Some(h) = &latest {
            let cosignatures = board.store.cosignatures(h.head.size).await?;
            *board.latest_cosignatures.lock().expect("not poisoned") = (h.head.size, cosignatures);
        }
        *board.latest_head.lock().expect("not poisoned") = latest;
        let size = board.store.size();
        let mut state = board.state.write().await;
        let mut start = 1;
        while start < size {
            let page = board
                .store
                .entries(start..(start + crate::MAX_PAGE).min(size))
                .await?;
            if page.is_empty() {
                return Err(BoardError::Refused(format!("the log has no entry {start}")));
            }
            for stored in page {
                let e = SignedEntry::decode(&stored.body)?;
                if let EntryBody::Ballot(b) | EntryBody::AuditedBallot { ballot: b, .. } =
                    &e.entry.body
                {
                    let mut alphas = board.alphas.lock().expect("not poisoned");
                    alphas.extend(alpha_prefixes(b));
                    let audited = matches!(e.entry.body, EntryBody::AuditedBallot { .. });
                    board
                        .cast
                        .lock()
                        .expect("not poisoned")
                        .entry(*b.credential.bytes())
                        .or_default()
                        .push((stored.index, audited));
                }
                apply(
                    &mut state,
                    &e.entry.body,
                    &board.manifest.windows,
                    stored.index,
                );
                start += 1;
            }
        }
        drop(state);
        Ok(board)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The election identifier (manifest hash).
    pub fn election(&self) -> [u8; 32] {
        self.election
    }

    /// The store.
    pub fn store(&self) -> &LogStore {
        &self.store
    }

    /// A contest as ballots see it: the manifest's, with the candidate list published on the
    /// board if the manifest left its candidates out (`None` for an unknown contest).
    pub async fn contest(&self, id: &str) -> Option<sawt_election::manifest::Contest> {
        let state = self.state.read().await;
        state
            .candidate_lists
            .contest(&self.manifest, id)
            .map(std::borrow::Cow::into_owned)
    }

    /// Where a credential is enrolled, and whether it was revoked; `None` if never enrolled.
    pub async fn credential(&self, credential: &[u8; 32]) -> Option<(WilayatId, bool)> {
        let state = self.state.read().await;
        state
            .enrolled
            .get(credential)
            .map(|w| (w.clone(), state.revoked.contains(credential)))
    }

    /// The credentials that have a counted ballot now: at least one cast (not audited)
    /// ballot, and not revoked.
    pub async fn voted_credentials(&self) -> Vec<[u8; 32]> {
        let revoked = self.state.read().await.revoked.clone();
        self.cast
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|(c, ballots)| {
                !revoked.contains(*c) && ballots.iter().any(|(_, audited)| !audited)
            })
            .map(|(c, _)| *c)
            .collect()
    }

    /// A credential's ballots on the board, in log order, with their status.
    pub async fn ballots_of(&self, credential: &[u8; 32]) -> Vec<(u64, BallotStatus)> {
        let revoked = self.state.read().await.revoked.contains(credential);
        let list = self
            .cast
            .lock()
            .expect("not poisoned")
            .get(credential)
            .cloned()
            .unwrap_or_default();
        let mut list = list;
        // Concurrent casts may be recorded out of log order: the log decides.
        list.sort_unstable_by_key(|(index, _)| *index);
        let last_cast = list
            .iter()
            .rev()
            .find(|(_, audited)| !audited)
            .map(|(i, _)| *i);
        list.into_iter()
            .map(|(index, audited)| {
                let status = if audited {
                    BallotStatus::Audited
                } else if revoked {
                    BallotStatus::Revoked
                } else if Some(index) == last_cast {
                    BallotStatus::Counted
                } else {
                    BallotStatus::Superseded
                };
                (index, status)
            })
            .collect()
    }

    /// The election's windows: the manifest's, as extended by `window-extension` entries.
    pub async fn windows(&self) -> sawt_election::manifest::Windows {
        self.state
            .read()
            .await
            .windows
            .clone()
            .unwrap_or_else(|| self.manifest.windows.clone())
    }

    /// Whether voting was closed, and each contest's tally so far.
    pub async fn tally_progress(&self) -> (bool, HashMap<String, ContestProgress>) {
        let state = self.state.read().await;
        (state.closed, state.progress.clone())
    }

    /// The entries a client sets up from, in log order.
    pub async fn setup_entries(&self) -> Vec<SetupEntry> {
        self.state.read().await.setup.clone()
    }

    /// The candidate lists published on the board so far.
    pub async fn published_lists(&self) -> sawt_election::candidates::PublishedLists {
        self.state.read().await.candidate_lists.clone()
    }

    /// The board's clock: the one clock of the election.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The gate (election.md §5.7): the author's role and the phase at `now`, under the
    /// windows as extended so far.
    fn gate(&self, state: &State, e: &SignedEntry, now: u64) -> Result<(), EntryError> {
        let windows = state.windows.as_ref().unwrap_or(&self.manifest.windows);
        authorise_in(
            &self.manifest,
            windows,
            &self.election,
            e,
            now,
            state.closed,
        )
    }

    /// Checks and appends one entry given as its canonical bytes.
    pub async fn submit(&self, bytes: &[u8]) -> Result<Appended, BoardError> {
        let e = SignedEntry::decode(bytes)?;
        self.submit_decoded(&e, bytes).await
    }

    /// [`Board::submit`] for an entry the caller already decoded from `bytes` with
    /// [`SignedEntry::decode`] (which the caller vouches for: the board checks the signature
    /// and everything else, not the decoding again).
    pub async fn submit_decoded(
        &self,
        e: &SignedEntry,
        bytes: &[u8],
    ) -> Result<Appended, BoardError> {
        let now = self.clock.now_ms();
        // Ballots, the bulk, hold the state's read lock from their checks to their append:
        // many are checked and appended at once, while an entry that changes the state (the
        // close, a revocation, an enrolment) takes the write lock and so waits for ballots in
        // flight, and no ballot starts while it is being appended.
        if let EntryBody::Ballot(b) | EntryBody::AuditedBallot { ballot: b, .. } = &e.entry.body {
            let state = self.state.read().await;
            self.gate(&state, e, now)?;
            let cred = *b.credential.bytes();
            let wilayat = state
                .enrolled
                .get(&cred)
                .ok_or_else(|| BoardError::Refused("the credential is not enrolled".into()))?;
            if state.revoked.contains(&cred) {
                return Err(BoardError::Refused("the credential was revoked".into()));
            }
            let contest = state
                .candidate_lists
                .contest_of(&self.manifest, wilayat)
                .ok_or_else(|| {
                    BoardError::Refused("no contest in the credential's wilayat".into())
                })?;
            if contest.candidates.is_empty() {
                return Err(BoardError::Refused(format!(
                    "contest {} has no candidate list yet",
                    contest.id
                )));
            }
            if contest.id != b.contest {
                return Err(BoardError::Refused(format!(
                    "the credential votes in {}, not {}",
                    contest.id, b.contest
                )));
            }
            let key = state
                .key
                .clone()
                .ok_or_else(|| BoardError::Refused("no election key yet".into()))?;
            b.verify(&self.election, &contest, &key.0)
                .map_err(|err| BoardError::Refused(err.to_string()))?;
            if let EntryBody::AuditedBallot { opening, .. } = &e.entry.body {
                b.check_opening(&contest, &key.1, opening)
                    .map_err(|err| BoardError::Refused(err.to_string()))?;
            }
            // No ciphertext may appear twice on the board (a copied ballot).
            let prefixes = alpha_prefixes(b);
            {
                let mut alphas = self.alphas.lock().expect("not poisoned");
                if prefixes.iter().any(|p| alphas.contains(p)) {
                    return Err(BoardError::Copied);
                }
                alphas.extend(prefixes.iter().copied());
            }
            let appended = match self.append(e, bytes).await {
                Ok(a) => a,
                Err(err) => {
                    let mut alphas = self.alphas.lock().expect("not poisoned");
                    for p in &prefixes {
                        alphas.remove(p);
                    }
                    return Err(err.into());
                }
            };
            drop(state);
            let audited = matches!(e.entry.body, EntryBody::AuditedBallot { .. });
            self.cast
                .lock()
                .expect("not poisoned")
                .entry(cred)
                .or_default()
                .push((appended.index, audited));
            return Ok(appended.into());
        }
        if let EntryBody::CredentialEnrolment {
            credential,
            wilayat,
        } = &e.entry.body
        {
            return self
                .submit_enrolment(e, bytes, credential, wilayat, now)
                .await;
        }
        let mut state = self.state.write().await;
        self.gate(&state, e, now)?;
        let size = self.store.size();
        match &e.entry.body {
            EntryBody::Manifest(_) if size != 0 => {
                return Err(BoardError::Refused(
                    "the manifest is already on the board".into(),
                ));
            }
            EntryBody::WindowExtension(ext) => {
                let mut windows = state
                    .windows
                    .clone()
                    .unwrap_or(self.manifest.windows.clone());
                windows.extend(ext, now).map_err(BoardError::Refused)?;
            }
            EntryBody::CandidateList {
                contest,
                candidates,
            } => {
                state
                    .candidate_lists
                    .check(&self.manifest, contest, candidates)
                    .map_err(BoardError::Refused)?;
            }
            EntryBody::RollCount { wilayat, .. } => {
                if self.manifest.contest_of(wilayat).is_none() {
                    return Err(BoardError::Refused(format!(
                        "unknown wilayat {}",
                        wilayat.0
                    )));
                }
                if state.roll_counts.contains(wilayat) {
                    return Err(BoardError::Refused(format!(
                        "{}'s roll count is already on the board",
                        wilayat.0
                    )));
                }
            }
            EntryBody::JointKey { .. } if state.key.is_some() => {
                return Err(BoardError::Refused(
                    "the joint key is already on the board".into(),
                ));
            }
            EntryBody::JointKey {
                key,
                verification_keys,
            } => {
                // The key must be the one the key-generation entries on the board determine.
                let t = &self.manifest.trustees;
                let params =
                    sawt_crypto::dkg::KeyGenParams::new(t.threshold, t.members.len() as u32)
                        .map_err(|e| BoardError::Refused(e.to_string()))?;
                let outcome = sawt_crypto::dkg::KeyGenOutcome::compute(
                    &params,
                    &sawt_crypto::Context::new(&self.election),
                    &state.announcements,
                    &state.dealings,
                    &state.complaints,
                )
                .map_err(|e| BoardError::Refused(format!("key generation incomplete: {e}")))?;
                if outcome.joint_key.element() != key
                    || &outcome.verification_keys != verification_keys
                {
                    return Err(BoardError::Refused(
                        "the joint key differs from the key generation's outcome".into(),
                    ));
                }
            }
            EntryBody::Close { ballots_until } if *ballots_until != size => {
                return Err(BoardError::Refused(format!(
                    "close must name the current size {size}"
                )));
            }
            _ => {}
        }
        for a in e.entry.body.attachments() {
            self.require_attachment(a).await?;
        }
        if size == 0 && !matches!(e.entry.body, EntryBody::Manifest(_)) {
            return Err(BoardError::Refused(
                "the first entry must be the manifest".into(),
            ));
        }
        let appended = self.append(e, bytes).await?;
        apply(
            &mut state,
            &e.entry.body,
            &self.manifest.windows,
            appended.index,
        );
        Ok(appended.into())
    }

    /// Enrolments, the bulk before voting, are checked under the state's read lock and
    /// appended many at once, as ballots are: the credential is reserved while its entry is
    /// appended (a second enrolment of it is refused meanwhile), and the state learns of it
    /// after, under the write lock. No ballot can be on the board meanwhile: enrolment closes
    /// when voting opens (the gate).
    async fn submit_enrolment(
        &self,
        e: &SignedEntry,
        bytes: &[u8],
        credential: &sawt_election::keys::PublicKeyHex,
        wilayat: &WilayatId,
        now: u64,
    ) -> Result<Appended, BoardError> {
        /// Releases a reservation however the append ends (an error, or the caller gone).
        struct Reserved<'a>(&'a std::sync::Mutex<HashSet<[u8; 32]>>, [u8; 32]);
        impl Drop for Reserved<'_> {
            fn drop(&mut self) {
                self.0.lock().expect("not poisoned").remove(&self.1);
            }
        }
        let state = self.state.read().await;
        self.gate(&state, e, now)?;
        if credential.verifying_key().is_err() {
            return Err(BoardError::Refused(
                "the credential is not a valid ed25519 key".into(),
            ));
        }
        if self.manifest.contest_of(wilayat).is_none() {
            return Err(BoardError::Refused(format!(
                "unknown wilayat {}",
                wilayat.0
            )));
        }
        let cred = *credential.bytes();
        if state.enrolled.contains_key(&cred)
            || !self.enrolling.lock().expect("not poisoned").insert(cred)
        {
            return Err(BoardError::Refused("credential already enrolled".into()));
        }
        // (The manifest is entry 0 of every board: `Board::create` appends it.)
        let _reserved = Reserved(&self.enrolling, cred);
        let appended = self.append(e, bytes).await?;
        drop(state);
        apply(
            &mut *self.state.write().await,
            &e.entry.body,
            &self.manifest.windows,
            appended.index,
        );
        Ok(appended.into())
    }

    /// Appends an entry's bytes (durably) under its kind and author.
    async fn append(
        &self,
        e: &SignedEntry,
        bytes: &[u8],
    ) -> Result<crate::store::Appended, StoreError> {
        self.store
            .append(e.entry.body.kind(), *e.entry.author.bytes(), bytes.to_vec())
            .await
    }

    /// Requires an entry's attachment to be stored already, with its length and format.
    async fn require_attachment(
        &self,
        a: &sawt_election::entry::Attachment,
    ) -> Result<(), BoardError> {
        let (format, bytes) = self.store.attachment(&a.sha256.0).await?.ok_or_else(|| {
            BoardError::Refused(format!(
                "attachment {} is not on the board; upload it first",
                hex::encode(a.sha256.0)
            ))
        })?;
        if format != a.format || bytes.len() as u64 != a.length {
            return Err(BoardError::Refused(
                "the attachment's format or length differs from the entry's".into(),
            ));
        }
        Ok(())
    }

    /// Signs and stores a head for the committed size if it grew; returns the latest head.
    pub async fn publish_head(&self) -> Result<SignedTreeHead, BoardError> {
        let _one_at_a_time = self.heads.lock().await;
        self.sign_head().await
    }

    /// A signed head that covers entry `index` (of a durable append): the latest head if it
    /// does, else a new one for the committed size. Concurrent callers share one signature:
    /// whoever signs covers every append committed so far, and the others find it.
    pub async fn head_covering(&self, index: u64) -> Result<SignedTreeHead, BoardError> {
        let covering = |h: &Option<SignedTreeHead>| (*h).filter(|h| h.head.size > index);
        if let Some(h) = covering(&self.latest_head.lock().expect("not poisoned")) {
            return Ok(h);
        }
        let _one_at_a_time = self.heads.lock().await;
        if let Some(h) = covering(&self.latest_head.lock().expect("not poisoned")) {
            return Ok(h);
        }
        if self.store.size() <= index {
            return Err(BoardError::Refused(format!(
                "entry {index} is not on the board"
            )));
        }
        self.sign_head().await
    }

    /// Signs and stores a head for the committed size (unless the latest is for that size).
    /// Called with `heads` held.
    async fn sign_head(&self) -> Result<SignedTreeHead, BoardError> {
        let size = self.store.size();
        let cached = *self.latest_head.lock().expect("not poisoned");
        if let Some(last) = cached
            && last.head.size == size
        {
            return Ok(last);
        }
        let root = self.store.root(size).await?;
        // Never earlier than the latest head's (a clock stepped back must not make a
        // durable ballot's receipt fail).
        let timestamp_ms = self
            .clock
            .now_ms()
            .max(cached.map_or(0, |h| h.head.timestamp_ms));
        let signed = TreeHead {
            election: self.election,
            size,
            root,
            timestamp_ms,
        }
        .sign(&self.key);
        self.store.store_head(&signed).await?;
        *self.latest_cosignatures.lock().expect("not poisoned") = (size, vec![]);
        *self.latest_head.lock().expect("not poisoned") = Some(signed);
        Ok(signed)
    }

    /// The latest head with its cosignatures.
    pub async fn witnessed_head(&self) -> Result<Option<WitnessedHead>, BoardError> {
        let Some(signed) = self.store.latest_head().await? else {
            return Ok(None);
        };
        let cosignatures = self.store.cosignatures(signed.head.size).await?;
        Ok(Some(WitnessedHead {
            signed,
            cosignatures,
        }))
    }

    /// Records a witness's cosignature: the witness must be in the manifest and the
    /// cosignature valid on the stored head of that size.
    pub async fn add_cosignature(&self, size: u64, c: &Cosignature) -> Result<(), BoardError> {
        if !self
            .manifest
            .witnesses
            .members
            .iter()
            .any(|w| w.key.bytes() == &c.witness)
        {
            return Err(BoardError::Refused(
                "not one of the manifest's witnesses".into(),
            ));
        }
        let head = self
            .store
            .head(size)
            .await?
            .ok_or_else(|| BoardError::Refused(format!("no head of size {size}")))?;
        c.verify(&head.head)
            .map_err(|e| BoardError::Refused(e.to_string()))?;
        self.store.add_cosignature(size, c).await?;
        let mut latest = self.latest_cosignatures.lock().expect("not poisoned");
        if latest.0 == size && !latest.1.iter().any(|x| x.witness == c.witness) {
            latest.1.push(*c);
        }
        Ok(())
    }

    /// A stored head with its cosignatures (from memory for the latest head).
    pub async fn witnessed(&self, signed: SignedTreeHead) -> Result<WitnessedHead, BoardError> {
        {
            let latest = self.latest_cosignatures.lock().expect("not poisoned");
            if latest.0 == signed.head.size {
                let mut cosignatures = latest.1.clone();
                cosignatures.sort_by_key(|c| c.witness);
                return Ok(WitnessedHead {
                    signed,
                    cosignatures,
                });
            }
        }
        let cosignatures = self.store.cosignatures(signed.head.size).await?;
        Ok(WitnessedHead {
            signed,
            cosignatures,
        })
    }
}

/// The first 16 bytes of each of a ballot's ciphertexts' `α`.
fn alpha_prefixes(b: &sawt_election::ballot::Ballot) -> Vec<[u8; 16]> {
    b.ciphertexts()
        .iter()
        .map(|c| c.alpha().as_bytes()[..16].try_into().expect("16 bytes"))
        .collect()
}

/// Updates the state after an entry was appended.
fn apply(
    state: &mut State,
    body: &EntryBody,
    manifest_windows: &sawt_election::manifest::Windows,
    index: u64,
) {
    fn progress<'s>(state: &'s mut State, contest: &str) -> &'s mut ContestProgress {
        state.progress.entry(contest.to_owned()).or_default()
    }
    if matches!(
        body,
        EntryBody::KeyGenAnnouncement(_)
            | EntryBody::KeyGenDealing(_)
            | EntryBody::KeyGenComplaint(_)
            | EntryBody::JointKey { .. }
            | EntryBody::CandidateList { .. }
            | EntryBody::WindowExtension(_)
            | EntryBody::Close { .. }
    ) {
        state.setup.push(SetupEntry {
            index,
            kind: body.kind().to_owned(),
        });
    }
    match body {
        EntryBody::Tally { contest, .. } => progress(state, contest).tally = Some(index),
        EntryBody::MixStage { contest, .. } => progress(state, contest).mix_stages.push(index),
        EntryBody::DecryptionShares { contest, .. }
        | EntryBody::MixDecryptionShares { contest, .. } => {
            progress(state, contest).decryption_shares.push(index)
        }
        EntryBody::TieBreakDraw { contest, .. } => {
            progress(state, contest).tie_break_draws.push(index)
        }
        EntryBody::Result {
            contest,
            totals,
            blank,
            invalid,
            elected,
            r#final,
        } => {
            let p = progress(state, contest);
            p.results.push(index);
            p.latest = Some(PublishedResult {
                index,
                totals: totals.clone(),
                blank: *blank,
                invalid: *invalid,
                elected: elected.clone(),
                r#final: *r#final,
            });
        }
        EntryBody::WindowExtension(ext) => {
            // Checked when accepted (at the board's clock then); replayed as it was.
            let windows = state
                .windows
                .get_or_insert_with(|| manifest_windows.clone());
            if let Err(e) = windows.replay(ext) {
                tracing::error!(error = %e, "a window extension on the board does not apply");
            }
        }
        EntryBody::Close { .. } => state.closed = true,
        EntryBody::CredentialEnrolment {
            credential,
            wilayat,
        } => {
            state.enrolled.insert(*credential.bytes(), wilayat.clone());
        }
        EntryBody::CredentialRevocation { credential, .. } => {
            state.revoked.insert(*credential.bytes());
        }
        EntryBody::RollCount { wilayat, .. } => {
            state.roll_counts.insert(wilayat.clone());
        }
        EntryBody::CandidateList {
            contest,
            candidates,
        } => {
            state.candidate_lists.insert(contest, candidates.clone());
        }
        EntryBody::KeyGenAnnouncement(a) => state.announcements.push(a.clone()),
        EntryBody::KeyGenDealing(d) => state.dealings.push(d.clone()),
        EntryBody::KeyGenComplaint(c) => state.complaints.push(c.clone()),
        EntryBody::JointKey { key, .. } => {
            if let Ok(k) = PublicKey::from_element(*key) {
                state.key = Some((k, Arc::new(k.prepare())));
            }
        }
        _ => {}
    }
}
