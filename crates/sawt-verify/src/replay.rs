//! The replay of the log (`protocol-spec/verifier.md` §3.3, pass P1): every entry in log
//! order, checked against the state just before it, then applied. It decides V2.5, V3.3–V3.7,
//! V4 (when the joint key comes), V5, V6.1, V6.2, V6.4, V6.5 and V7.1, and gathers what the
//! later passes need: the counted ballots, the homomorphic sums and the entries after the
//! close.

use std::collections::HashMap;
use std::sync::Arc;

use sawt_crypto::dkg::{Announcement, Complaint, Dealing, KeyGenOutcome, KeyGenParams};
use sawt_crypto::{Context, EncryptionKey, KeyGenError, PublicKey};
use sawt_election::ballot::Ballot;
use sawt_election::candidates::PublishedLists;
use sawt_election::entry::{EntryBody, Role, SignedEntry, role_of};
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::{Contest, Manifest, TallyMethod, Windows};

use crate::report::{Blame, Failure, Findings};

/// What the replay keeps of a credential.
struct Credential {
    wilayat: usize,
    revoked: bool,
    last: Option<Cast>,
}

/// A credential's last cast ballot so far.
#[derive(Clone)]
pub(crate) struct Cast {
    /// Its index.
    pub(crate) index: u64,
    /// Its line's offset in `entries.ndjson`.
    pub(crate) offset: u64,
    /// Its `contest` member, as an index into the manifest's contests.
    pub(crate) contest: usize,
    /// Whether it passed V6.1 and V6.2 (else its contest's count is undefined if it counts).
    pub(crate) well_formed: bool,
    /// If not, the check it failed (V6.1 or V6.2), which blocks its contest's count.
    pub(crate) ill_by: &'static str,
    /// A mix-net ballot's ciphertexts, compressed.
    pub(crate) vector: Option<Box<[[u8; 64]]>>,
}

/// A ballot as the ballot list shows it (verifier.md §7.4).
pub(crate) struct ListedBallot {
    pub(crate) index: u64,
    pub(crate) audited: bool,
    pub(crate) credential: [u8; 32],
    pub(crate) contest: String,
    pub(crate) tracking_code: String,
}

/// A wilayat's running figures.
#[derive(Default, Clone)]
pub(crate) struct Wilayat {
    pub(crate) id: String,
    pub(crate) roll_count: Option<(u64, u64)>,
    pub(crate) enrolled: u64,
    pub(crate) revoked: u64,
    pub(crate) unrevoked: u64,
    pub(crate) superseded: u64,
    pub(crate) audited: u64,
    pub(crate) ballots_of_revoked: u64,
    pub(crate) excess_reported: bool,
}

/// A ballot whose proofs are to be checked in a batch: its position in the chunk, and the
/// contest it is checked against.
pub(crate) struct ProofJob {
    pub(crate) pos: usize,
    pub(crate) contest: Arc<Contest>,
}

/// The effects of one chunk that the caller carries out in parallel.
#[derive(Default)]
pub(crate) struct ChunkWork {
    /// Ballots whose proofs must be verified (V6.3).
    pub(crate) proofs: Vec<ProofJob>,
    /// Ballots to add to their contest's homomorphic sums: `(position, contest)`.
    pub(crate) adds: Vec<(usize, usize)>,
    /// Audited ballots to reopen (V6.4).
    pub(crate) audits: Vec<ProofJob>,
}

/// The replay's state.
pub(crate) struct Replay<'m> {
    pub(crate) manifest: &'m Manifest,
    pub(crate) election: [u8; 32],
    pub(crate) windows: Windows,
    pub(crate) close: Option<u64>,
    lists: PublishedLists,
    views: HashMap<String, Arc<Contest>>,
    pub(crate) contest_index: HashMap<String, usize>,
    announcements: Vec<Announcement>,
    dealings: Vec<Dealing>,
    complaints: Vec<Complaint>,
    keygen_after: u64,
    pub(crate) joint_key_at: Option<u64>,
    pub(crate) outcome: Option<KeyGenOutcome>,
    pub(crate) keygen_failed: Option<&'static str>,
    pub(crate) key: Option<(PublicKey, Arc<EncryptionKey>)>,
    pub(crate) wilayats: Vec<Wilayat>,
    wilayat_index: HashMap<String, usize>,
    credentials: HashMap<[u8; 32], Credential>,
    alphas: HashMap<u64, u32>,
    /// Pairs of entries whose ciphertexts share a fingerprint, to confirm (V6.5).
    pub(crate) suspects: Vec<(u64, u64)>,
    /// Homomorphic ballots that stopped counting (superseded or revoked):
    /// `(index, offset, contest)`.
    pub(crate) subtract: Vec<(u64, u64, usize)>,
    /// Entries after the close of the tallying kinds, in log order.
    pub(crate) after_close: Vec<(u64, SignedEntry)>,
    /// The least time the board's clock may show now (V3.6, assuming a monotone clock).
    lo: u64,
    /// Heads bounding the clock from above: `(size, least timestamp of heads this size or
    /// larger)`, ascending by size.
    hi: Vec<(u64, u64)>,
    /// Every ballot, when the report's ballot list is asked for (verifier.md §7.4).
    pub(crate) ballot_list: Option<Vec<ListedBallot>>,
    /// Unrevoked credentials per wilayat when the close was posted.
    pub(crate) unrevoked_at_close: Option<Vec<u64>>,
    /// Entries whose window no bound proves, by kind (a notice of V3.6).
    pub(crate) undated: std::collections::BTreeMap<&'static str, u64>,
}

/// The manifest's key holders do not vote, and `role_of` says who is who.
fn role(m: &Manifest, key: &PublicKeyHex) -> Option<Role> {
    role_of(m, key)
}

fn role_name(r: Option<Role>) -> String {
    r.map_or_else(
        || "a key with no role".into(),
        |r| format!("{r:?}").to_lowercase(),
    )
}

impl<'m> Replay<'m> {
    /// A replay over `manifest` (whose hash is `election`), with the heads that bound the
    /// board's clock as `(size, timestamp_ms)`.
    pub(crate) fn new(manifest: &'m Manifest, election: [u8; 32], heads: &[(u64, u64)]) -> Self {
        let mut hs = heads.to_vec();
        hs.sort_unstable();
        // Suffix minima: the least timestamp among heads of this size or larger.
        let mut hi = Vec::with_capacity(hs.len());
        let mut least = u64::MAX;
        for &(size, ts) in hs.iter().rev() {
            least = least.min(ts);
            hi.push((size, least));
        }
        hi.reverse();
        let wilayats: Vec<Wilayat> = manifest
            .geography
            .wilayats
            .iter()
            .map(|w| Wilayat {
                id: w.id.0.clone(),
                ..Wilayat::default()
            })
            .collect();
        Replay {
            manifest,
            election,
            windows: manifest.windows.clone(),
            close: None,
            lists: PublishedLists::new(),
            views: HashMap::new(),
            contest_index: manifest
                .contests
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect(),
            announcements: Vec::new(),
            dealings: Vec::new(),
            complaints: Vec::new(),
            keygen_after: 0,
            joint_key_at: None,
            outcome: None,
            keygen_failed: None,
            key: None,
            wilayat_index: wilayats
                .iter()
                .enumerate()
                .map(|(i, w)| (w.id.clone(), i))
                .collect(),
            wilayats,
            credentials: HashMap::new(),
            alphas: HashMap::new(),
            suspects: Vec::new(),
            subtract: Vec::new(),
            after_close: Vec::new(),
            lo: 0,
            hi,
            unrevoked_at_close: None,
            ballot_list: None,
            undated: Default::default(),
        }
    }

    /// Contest `id` as ballots see it now (the manifest's, with its published list).
    pub(crate) fn view(&mut self, id: &str) -> Option<Arc<Contest>> {
        if let Some(c) = self.views.get(id) {
            return Some(c.clone());
        }
        let c = Arc::new(self.lists.contest(self.manifest, id)?.into_owned());
        self.views.insert(id.to_owned(), c.clone());
        Some(c)
    }

    /// Applies entry `index` (decoded and signed correctly) at byte `offset`; `pos` is its
    /// position in the chunk, for the work the caller does in parallel.
    pub(crate) fn apply(
        &mut self,
        f: &mut Findings,
        index: u64,
        offset: u64,
        pos: usize,
        e: &SignedEntry,
        work: &mut ChunkWork,
    ) {
        let entry = &e.entry;
        let kind = entry.body.kind();
        // V3.3: the entry names the election.
        f.items("V3.3", 1);
        if entry.election.0 != self.election {
            f.fail(
                "V3.3",
                Failure::at(
                    index,
                    "other-election",
                    format!("the {kind} names another election"),
                )
                .blame(Blame::role("boardoperator")),
            );
        }
        // V3.4: its author holds the kind's role.
        f.items("V3.4", 1);
        let author_role = role(self.manifest, &entry.author);
        if let Err(why) = self.author_condition(e, author_role) {
            f.fail(
                "V3.4",
                Failure::at(index, "author", why).blame(Blame::role("boardoperator")),
            );
        }
        // V3.5: the log's order (the close, the manifest first).
        f.items("V3.5", 1);
        let tallying = matches!(
            entry.body,
            EntryBody::Tally { .. }
                | EntryBody::MixStage { .. }
                | EntryBody::DecryptionShares { .. }
                | EntryBody::MixDecryptionShares { .. }
                | EntryBody::TieBreakDraw { .. }
                | EntryBody::Result { .. }
        );
        let closed = self.close.is_some();
        let order_ok = if matches!(entry.body, EntryBody::Manifest(_)) {
            false
        } else {
            tallying == closed
        };
        if !order_ok {
            let why = match (&entry.body, closed) {
                (EntryBody::Manifest(_), _) => "a manifest after entry 0".to_owned(),
                (_, true) => format!("a {kind} after the close"),
                (_, false) => format!("a {kind} before the close"),
            };
            f.fail(
                "V3.5",
                Failure::at(index, "order", why).blame(Blame::role("boardoperator")),
            );
        } else {
            self.check_clock(f, index, &entry.body);
        }
        match &entry.body {
            EntryBody::Manifest(_) => {}
            EntryBody::WindowExtension(ext) => {
                f.items("V3.7", 1);
                let end = self
                    .windows
                    .in_order()
                    .iter()
                    .find(|(n, _)| *n == ext.window)
                    .map(|(_, w)| w.end_ms);
                let mut next = self.windows.clone();
                match next.replay(ext) {
                    Err(why) => f.fail(
                        "V3.7",
                        Failure::at(index, "extension", why)
                            .blame(Blame::role("authority"))
                            .blame(Blame::role("boardoperator")),
                    ),
                    Ok(()) if end.is_some_and(|end| self.lo >= end) => f.fail(
                        "V3.7",
                        Failure::at(
                            index,
                            "extension-after-end",
                            format!("window {} had ended before this extension", ext.window),
                        )
                        .blame(Blame::role("authority"))
                        .blame(Blame::role("boardoperator"))
                        .assumes("monotone-clock"),
                    ),
                    Ok(()) => {}
                }
                self.windows = next;
            }
            EntryBody::CandidateList {
                contest,
                candidates,
            } => {
                f.items("V2.5", 1);
                match self.lists.check(self.manifest, contest, candidates) {
                    Ok(()) => {
                        self.lists.insert(contest, candidates.clone());
                        self.views.remove(contest);
                    }
                    Err(why) => f.fail(
                        "V2.5",
                        Failure::at(index, "candidate-list", why)
                            .blame(Blame::role("authority"))
                            .blame(Blame::role("boardoperator")),
                    ),
                }
            }
            EntryBody::KeyGenAnnouncement(a) => {
                self.keygen(index, |s| s.announcements.push(a.clone()))
            }
            EntryBody::KeyGenDealing(d) => self.keygen(index, |s| s.dealings.push(d.clone())),
            EntryBody::KeyGenComplaint(c) => self.keygen(index, |s| s.complaints.push(c.clone())),
            EntryBody::JointKey {
                key,
                verification_keys,
            } => self.joint_key(f, index, key, verification_keys),
            EntryBody::RollCount {
                wilayat,
                registered,
                root,
            } => {
                f.items("V5.1", 1);
                let Some(&w) = self.wilayat_index.get(&wilayat.0) else {
                    f.fail(
                        "V5.1",
                        Failure::at(
                            index,
                            "unknown-wilayat",
                            format!("no wilayat {}", wilayat.0),
                        )
                        .blame(Blame::role("registrar"))
                        .blame(Blame::role("boardoperator")),
                    );
                    return;
                };
                if let Some((first, _)) = self.wilayats[w].roll_count {
                    f.fail(
                        "V5.1",
                        Failure::at(
                            index,
                            "second-roll-count",
                            format!("{} already has a roll count", wilayat.0),
                        )
                        .with_entry(first)
                        .blame(Blame::role("registrar"))
                        .blame(Blame::role("boardoperator")),
                    );
                    return;
                }
                if *registered == 0 && root.0 != sawt_board::hash::empty_root() {
                    f.fail(
                        "V5.1",
                        Failure::at(
                            index,
                            "zero-roll-root",
                            "registered = 0 but the root is not the empty tree's",
                        )
                        .blame(Blame::role("registrar")),
                    );
                }
                self.wilayats[w].roll_count = Some((index, *registered));
                self.check_roll(f, w, index);
            }
            EntryBody::CredentialEnrolment {
                credential,
                wilayat,
            } => self.enrol(f, index, credential, &wilayat.0),
            EntryBody::CredentialRevocation { credential, .. } => {
                f.items("V5.5", 1);
                match self.credentials.get_mut(credential.bytes()) {
                    None => f.fail(
                        "V5.5",
                        Failure::at(
                            index,
                            "revocation-of-unknown",
                            "the credential was never enrolled",
                        )
                        .blame(Blame::role("registrar")),
                    ),
                    Some(c) if c.revoked => {
                        f.notice("V5.5", format!("entry {index}: a credential revoked twice"));
                    }
                    Some(c) => {
                        c.revoked = true;
                        let w = c.wilayat;
                        // After the close, a revocation changes no count (V3.5 fails it).
                        if !closed && let Some(last) = c.last.take() {
                            self.wilayats[w].ballots_of_revoked += 1;
                            if last.well_formed && last.vector.is_none() {
                                self.subtract.push((last.index, last.offset, last.contest));
                            }
                        }
                        self.wilayats[w].revoked += 1;
                        self.wilayats[w].unrevoked -= 1;
                    }
                }
            }
            EntryBody::Ballot(b) => self.ballot(f, index, offset, pos, b, false, work),
            EntryBody::AuditedBallot { ballot, .. } => {
                self.ballot(f, index, offset, pos, ballot, true, work)
            }
            EntryBody::Close { ballots_until } => {
                f.items("V7.1", 1);
                if self.close.is_none() {
                    if *ballots_until != index {
                        f.fail(
                            "V7.1",
                            Failure::at(
                                index,
                                "close-index",
                                format!(
                                    "ballots_until = {ballots_until}, the close is entry {index}"
                                ),
                            )
                            .blame(Blame::role("authority"))
                            .blame(Blame::role("boardoperator")),
                        );
                    }
                    self.close = Some(index);
                    self.unrevoked_at_close =
                        Some(self.wilayats.iter().map(|w| w.unrevoked).collect());
                }
            }
            EntryBody::Tally { .. }
            | EntryBody::MixStage { .. }
            | EntryBody::DecryptionShares { .. }
            | EntryBody::MixDecryptionShares { .. }
            | EntryBody::TieBreakDraw { .. }
            | EntryBody::Result { .. } => {
                if closed {
                    self.after_close.push((index, e.clone()));
                }
            }
        }
    }

    /// V3.4: the author condition of election.md §5.7 for the entry's kind.
    fn author_condition(&self, e: &SignedEntry, r: Option<Role>) -> Result<(), String> {
        use EntryBody as B;
        let need = match &e.entry.body {
            B::Manifest(_)
            | B::WindowExtension(_)
            | B::JointKey { .. }
            | B::CandidateList { .. }
            | B::Close { .. }
            | B::Tally { .. }
            | B::TieBreakDraw { .. }
            | B::Result { .. } => Some(Role::Authority),
            B::KeyGenAnnouncement(a) => Some(Role::Trustee(a.trustee)),
            B::KeyGenDealing(d) => Some(Role::Trustee(d.dealer)),
            B::KeyGenComplaint(c) => Some(Role::Trustee(c.complainer)),
            B::CredentialEnrolment { .. }
            | B::RollCount { .. }
            | B::CredentialRevocation { .. } => Some(Role::Registrar),
            B::MixStage { mixer, .. } => Some(Role::Mixer(*mixer)),
            B::DecryptionShares { shares, .. } => Some(Role::Trustee(shares.trustee)),
            B::MixDecryptionShares { trustee, .. } => Some(Role::Trustee(*trustee)),
            B::Ballot(b) | B::AuditedBallot { ballot: b, .. } => {
                return if b.credential != e.entry.author {
                    Err("a ballot signed by a key other than its credential".into())
                } else if r.is_some() {
                    Err(format!(
                        "a ballot from {}, which may not vote",
                        role_name(r)
                    ))
                } else {
                    Ok(())
                };
            }
        };
        if need == r {
            Ok(())
        } else {
            Err(format!(
                "{} may not post a {} entry",
                role_name(r),
                e.entry.body.kind()
            ))
        }
    }

    /// V3.6: the kind's window against the bounds on the board's clock.
    fn check_clock(&mut self, f: &mut Findings, index: u64, body: &EntryBody) {
        let w = &self.windows;
        let va = w.voting_abroad;
        let vh = w.voting_home;
        // T_k(W) as half-open intervals (verifier.md §4.3, the time table).
        let t: Vec<(u64, u64)> = match body {
            EntryBody::KeyGenAnnouncement(_)
            | EntryBody::KeyGenDealing(_)
            | EntryBody::KeyGenComplaint(_) => {
                vec![(w.key_generation.start_ms, w.key_generation.end_ms)]
            }
            EntryBody::JointKey { .. } => vec![(w.key_generation.start_ms, va.start_ms)],
            EntryBody::CredentialEnrolment { .. } | EntryBody::RollCount { .. } => {
                vec![(0, va.start_ms)]
            }
            EntryBody::CandidateList { .. } => vec![(w.candidacy.end_ms, va.start_ms)],
            EntryBody::Ballot(_) | EntryBody::AuditedBallot { .. } => {
                vec![(va.start_ms, va.end_ms), (vh.start_ms, vh.end_ms)]
            }
            EntryBody::Close { .. } => vec![(vh.end_ms, u64::MAX)],
            _ => return,
        };
        f.items("V3.6", 1);
        let hi = self
            .hi
            .iter()
            .find(|(size, _)| *size > index)
            .map_or(u64::MAX, |(_, ts)| *ts);
        let meets = |lo: u64| t.iter().any(|&(a, b)| a < b && a <= hi && b > lo);
        if meets(self.lo) {
            // Proved admissible only if the bounds put the board's clock inside one interval.
            if !t.iter().any(|&(a, b)| a <= self.lo && hi < b) {
                *self.undated.entry(body.kind()).or_default() += 1;
            }
            let lb = t
                .iter()
                .filter(|(a, b)| a < b)
                .map(|(a, _)| *a)
                .min()
                .unwrap_or(0);
            self.lo = self.lo.max(lb);
            return;
        }
        let mut fail = Failure::at(
            index,
            "window",
            format!(
                "a {} outside its window: the board's clock was in [{}, {}] ms",
                body.kind(),
                self.lo,
                hi
            ),
        )
        .blame(Blame::role("boardoperator"));
        if meets(0) {
            fail = fail.assumes("monotone-clock");
        }
        f.fail("V3.6", fail);
    }

    fn keygen(&mut self, index: u64, push: impl FnOnce(&mut Self)) {
        if self.joint_key_at.is_none() {
            push(self);
        } else {
            self.keygen_after += 1;
            let _ = index;
        }
    }

    /// V4: the outcome, computed when the first joint key comes, and V4.5.
    fn joint_key(
        &mut self,
        f: &mut Findings,
        index: u64,
        key: &sawt_crypto::Element,
        verification_keys: &[sawt_crypto::Element],
    ) {
        f.items("V4.5", 1);
        if let Some(first) = self.joint_key_at {
            f.fail(
                "V4.5",
                Failure::at(index, "second-joint-key", "a second joint key")
                    .with_entry(first)
                    .blame(Blame::role("authority"))
                    .blame(Blame::role("boardoperator")),
            );
            return;
        }
        self.joint_key_at = Some(index);
        self.compute_outcome(f);
        let Some(o) = &self.outcome else {
            f.block("V4.5", self.keygen_failed.unwrap_or("V4.4"));
            return;
        };
        let differs = if o.joint_key.element() != key {
            Some("key".to_owned())
        } else if o.verification_keys.len() != verification_keys.len() {
            Some("the number of verification keys".to_owned())
        } else {
            o.verification_keys
                .iter()
                .zip(verification_keys)
                .position(|(a, b)| a != b)
                .map(|j| format!("verification key {}", j + 1))
        };
        if let Some(what) = differs {
            f.fail(
                "V4.5",
                Failure::at(
                    index,
                    "joint-key",
                    format!("the posted {what} is not the key generation's outcome"),
                )
                .blame(Blame::role("authority"))
                .blame(Blame::role("boardoperator")),
            );
        }
    }

    /// V4.1–V4.4 over the key-generation entries before the joint key.
    pub(crate) fn compute_outcome(&mut self, f: &mut Findings) {
        let t = &self.manifest.trustees;
        let ctx = Context::new(&self.election);
        let params = match KeyGenParams::new(t.threshold, t.members.len() as u32) {
            Ok(p) => p,
            Err(e) => {
                f.fail(
                    "V4.4",
                    Failure::new(None, "keygen-parameters", e.to_string()),
                );
                self.keygen_failed = Some("V4.4");
                return;
            }
        };
        f.items("V4.1", self.announcements.len() as u64);
        f.items("V4.2", self.dealings.len() as u64);
        f.items("V4.3", self.complaints.len() as u64);
        f.items("V4.4", 1);
        match KeyGenOutcome::compute(
            &params,
            &ctx,
            &self.announcements,
            &self.dealings,
            &self.complaints,
        ) {
            Ok(o) => {
                for d in &o.disqualified {
                    let id = if d.reason.starts_with("complaint") {
                        "V4.3"
                    } else {
                        "V4.2"
                    };
                    f.notice(
                        id,
                        format!(
                            "trustee {} disqualified as a dealer: {}",
                            d.dealer, d.reason
                        ),
                    );
                }
                for (complainer, dealer) in &o.unfounded_complaints {
                    f.notice(
                        "V4.3",
                        format!(
                            "trustee {complainer}'s complaint against dealer {dealer} is unfounded"
                        ),
                    );
                }
                match PublicKey::from_element(*o.joint_key.element()) {
                    Ok(pk) => {
                        let enc = Arc::new(pk.prepare());
                        self.key = Some((pk, enc));
                        self.outcome = Some(o);
                    }
                    Err(_) => {
                        f.fail(
                            "V4.4",
                            Failure::new(
                                None,
                                "joint-key-identity",
                                "the joint key is the identity",
                            ),
                        );
                        self.keygen_failed = Some("V4.4");
                    }
                }
            }
            Err(KeyGenError::TooFewQualified {
                qualified,
                threshold,
            }) => {
                f.fail(
                    "V4.4",
                    Failure::new(
                        None,
                        "too-few-qualified",
                        format!("{qualified} qualified dealers, threshold {threshold}"),
                    ),
                );
                self.keygen_failed = Some("V4.4");
            }
            Err(e) => {
                let blame = match &e {
                    KeyGenError::InvalidMessage { author, .. } | KeyGenError::Index(author) => {
                        Blame::trustee(*author)
                    }
                    _ => Blame::role("trustee"),
                };
                f.fail(
                    "V4.1",
                    Failure::new(None, "announcements", e.to_string()).blame(blame),
                );
                self.keygen_failed = Some("V4.1");
                f.block("V4.4", "V4.1");
            }
        }
        if self.keygen_after > 0 {
            f.notice(
                "V4.4",
                format!(
                    "{} key-generation entries after the joint key are left out",
                    self.keygen_after
                ),
            );
        }
    }

    fn enrol(&mut self, f: &mut Findings, index: u64, credential: &PublicKeyHex, wilayat: &str) {
        f.items("V5.3", 1);
        f.items("V5.4", 1);
        let fail = |f: &mut Findings, code, why: String| {
            f.fail(
                "V5.3",
                Failure::at(index, code, why)
                    .blame(Blame::role("registrar"))
                    .blame(Blame::role("boardoperator")),
            )
        };
        if credential.verifying_key().is_err() {
            return fail(
                f,
                "credential-key",
                "the credential is not an acceptable ed25519 key".into(),
            );
        }
        if role(self.manifest, credential).is_some() {
            return fail(
                f,
                "credential-role",
                "the credential is a key of the manifest".into(),
            );
        }
        let Some(&w) = self.wilayat_index.get(wilayat) else {
            return fail(f, "unknown-wilayat", format!("no wilayat {wilayat}"));
        };
        if self.credentials.contains_key(credential.bytes()) {
            return fail(
                f,
                "duplicate-credential",
                "the credential is already enrolled".into(),
            );
        }
        if self.wilayats[w].roll_count.is_none() {
            f.fail(
                "V5.4",
                Failure::at(
                    index,
                    "before-roll-count",
                    format!("an enrolment in {wilayat} before its roll count"),
                )
                .blame(Blame::role("registrar")),
            );
        }
        self.credentials.insert(
            *credential.bytes(),
            Credential {
                wilayat: w,
                revoked: false,
                last: None,
            },
        );
        self.wilayats[w].enrolled += 1;
        self.wilayats[w].unrevoked += 1;
        self.check_roll(f, w, index);
    }

    /// V5.6 at `index`: unrevoked credentials of wilayat `w` within its roll count.
    fn check_roll(&mut self, f: &mut Findings, w: usize, index: u64) {
        let s = &mut self.wilayats[w];
        if let Some((_, registered)) = s.roll_count
            && s.unrevoked > registered
            && !s.excess_reported
        {
            s.excess_reported = true;
            f.fail(
                "V5.6",
                Failure::at(
                    index,
                    "too-many-credentials",
                    format!(
                        "{}: {} unrevoked credentials, {registered} registered",
                        s.id, s.unrevoked
                    ),
                )
                .blame(Blame::role("registrar")),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ballot(
        &mut self,
        f: &mut Findings,
        index: u64,
        offset: u64,
        pos: usize,
        b: &Ballot,
        audited: bool,
        work: &mut ChunkWork,
    ) {
        let cred = *b.credential.bytes();
        f.items("V6.1", 1);
        f.items("V6.2", 1);
        if let Some(list) = &mut self.ballot_list {
            list.push(ListedBallot {
                index,
                audited,
                credential: cred,
                contest: b.contest.clone(),
                tracking_code: b.tracking_code().unwrap_or_default(),
            });
        }
        let fail61 = |f: &mut Findings, code, why: &str| {
            f.fail(
                "V6.1",
                Failure::at(index, code, why.to_owned())
                    .blame(Blame::role("boardoperator"))
                    .blame(Blame::credential(&cred)),
            )
        };
        // V6.1, G4 items 1–6.
        let (wilayat, revoked) = match self.credentials.get(&cred) {
            Some(c) => (Some(c.wilayat), c.revoked),
            None => (None, false),
        };
        let enrolled_contest = wilayat.and_then(|w| {
            let wid = self.manifest.geography.wilayats[w].id.clone();
            self.manifest.contest_of(&wid).map(|c| c.id.clone())
        });
        let mut ok61 = true;
        if wilayat.is_none() {
            fail61(f, "not-enrolled", "the credential is not enrolled");
            ok61 = false;
        } else if revoked {
            fail61(f, "revoked", "the credential was revoked");
            ok61 = false;
            self.wilayats[wilayat.unwrap_or(0)].ballots_of_revoked += 1;
        } else if enrolled_contest.is_none() {
            fail61(f, "no-contest", "the credential's wilayat has no contest");
            ok61 = false;
        } else if enrolled_contest.as_deref() != Some(b.contest.as_str()) {
            fail61(
                f,
                "wrong-contest",
                "the ballot names another contest than its credential's",
            );
            ok61 = false;
        } else if self.key.is_none() && self.joint_key_at.is_none() {
            fail61(f, "before-joint-key", "a ballot before the joint key");
            ok61 = false;
        }
        // The contest the ballot is checked against (V6.2–V6.4).
        let Some(contest) = self.view(&b.contest) else {
            f.block("V6.2", "V6.1");
            f.block("V6.3", "V6.1");
            return;
        };
        if ok61 && contest.candidates.is_empty() {
            fail61(f, "no-candidates", "the contest has no candidates yet");
            ok61 = false;
        }
        // V6.2: election and style.
        let ok62 = match b.check_shape(&self.election, &contest) {
            Ok(()) => true,
            Err(e) => {
                f.fail(
                    "V6.2",
                    Failure::at(index, "ballot-style", e.to_string())
                        .blame(Blame::role("boardoperator")),
                );
                false
            }
        };
        // V6.5: fingerprints of every α.
        let cts = b.ciphertexts();
        for ct in &cts {
            let bytes = ct.to_bytes();
            let fp = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
            if let Some(prev) = self.alphas.insert(fp, index as u32) {
                self.suspects.push((u64::from(prev), index));
            }
        }
        f.items("V6.5", cts.len() as u64);
        // V6.3 and V6.4 are queued.
        if ok62 {
            if self.key.is_some() {
                work.proofs.push(ProofJob {
                    pos,
                    contest: contest.clone(),
                });
                if audited {
                    work.audits.push(ProofJob {
                        pos,
                        contest: contest.clone(),
                    });
                }
            } else {
                f.block("V6.3", self.keygen_failed.unwrap_or("V6.1"));
                if audited {
                    f.block("V6.4", self.keygen_failed.unwrap_or("V6.1"));
                }
            }
        }
        let Some(w) = wilayat else { return };
        if audited {
            self.wilayats[w].audited += 1;
            return;
        }
        // The counting rule (D7): the last ballot of an enrolled, unrevoked credential before
        // the close.
        if revoked || self.close.is_some() {
            return;
        }
        let Some(&ci) = self.contest_index.get(&b.contest) else {
            return;
        };
        let well_formed = ok61 && ok62;
        let vector = (contest.tally == TallyMethod::Mixnet && well_formed)
            .then(|| cts.iter().map(|c| c.to_bytes()).collect::<Box<[_]>>());
        if well_formed && contest.tally == TallyMethod::Homomorphic {
            work.adds.push((pos, ci));
        }
        let c = self.credentials.get_mut(&cred).expect("enrolled");
        if let Some(prev) = c.last.replace(Cast {
            index,
            offset,
            contest: ci,
            well_formed,
            ill_by: if ok62 { "V6.1" } else { "V6.2" },
            vector,
        }) {
            self.wilayats[w].superseded += 1;
            if prev.well_formed && prev.vector.is_none() {
                self.subtract.push((prev.index, prev.offset, prev.contest));
            }
        }
    }

    /// The counted ballots, in log order (D7 item 1).
    pub(crate) fn counted(&self) -> Vec<&Cast> {
        let mut v: Vec<&Cast> = self
            .credentials
            .values()
            .filter_map(|c| c.last.as_ref())
            .collect();
        v.sort_unstable_by_key(|c| c.index);
        v
    }

    /// Whether an applied enrolment names `credential`.
    pub(crate) fn enrolled(&self, credential: &[u8; 32]) -> bool {
        self.credentials.contains_key(credential)
    }

    /// Whether `credential` was revoked by an applied revocation before the close.
    pub(crate) fn revoked(&self, credential: &[u8; 32]) -> bool {
        self.credentials.get(credential).is_some_and(|c| c.revoked)
    }

    /// The counted ballots of each wilayat.
    pub(crate) fn counted_per_wilayat(&self) -> Vec<u64> {
        let mut counted = vec![0u64; self.wilayats.len()];
        for c in self.credentials.values() {
            if c.last.is_some() {
                counted[c.wilayat] += 1;
            }
        }
        counted
    }
}
