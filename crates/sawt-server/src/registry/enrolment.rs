//! Enrolling voting credentials: an identity assertion from a trusted provider, checked
//! against the final lists and the voter rules, enrols the device's credential on the board
//! (`credential-enrolment`: credential and wilayat, signed by the registrar). A second
//! enrolment of the same citizen (a lost phone) first revokes the old credential on the board.
//!
//! Crash safety: the entries are signed and stored with the credential as `pending` in one
//! transaction (with the assertion's nonce, so it is used once), then posted; the row turns
//! `active` once they are on the board. [`Registry::open`] finishes any pending enrolment: an
//! entry already on the board counts as posted; one the board refuses (voting opened
//! meanwhile, say) undoes the enrolment. A row is stored only if the citizen's active
//! credential is still the one it replaces (none, or the one its revocation names): an
//! enrolment checked before another of the same citizen finished is refused as a conflict,
//! never posted as a second active credential.
//!
//! Group commit: concurrent enrolments share their commits. Each call checks and signs on its
//! own (reads only), then queues its prepared enrolment; one task at a time takes what is
//! queued (up to [`MAX_BATCH`]), stores it all as pending in one transaction, posts every
//! one's entries concurrently (a revocation before its enrolment), marks all that were posted
//! active, with their decisions, in one transaction, and answers each call with its own
//! outcome; then it takes the next batch, or stops when nothing is queued. Outcomes stay per
//! enrolment: a batch whose transaction fails (a reused nonce, a credential already enrolled,
//! two enrolments of one citizen) is written again one enrolment at a time, so each gets the
//! refusal it would get alone; a board refusal undoes only its own enrolment; a storage error
//! leaves it pending, as above. The task is spawned, not run by a caller: a caller that goes
//! away (a client that disconnected) cancels nothing, its own enrolment included.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sawt_election::entry::EntryBody;
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::eligibility::check_voter;
use sawt_registry::identity::{self, SignedAssertion};
use sawt_registry::{Actor, Refusal, Role, Rule};
use tokio::sync::oneshot;

use super::{Registry, RegistryError, is_unique_violation, post_to, record_decision};
use crate::StoreError;
use crate::db::{Db, on_pool, to_i64};
use crate::service::{Board, BoardError};

/// What reason a re-enrolment gives for revoking the old credential (no personal data).
pub const REENROLMENT_REASON: &str = "re-enrolment: replaced by a new device";

/// The most enrolments written in one batch.
const MAX_BATCH: usize = 512;

/// An enrolment on the board.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    /// The credential.
    pub credential: PublicKeyHex,
    /// Where it votes.
    pub wilayat: WilayatId,
    /// The enrolment entry's index on the board.
    pub entry_index: u64,
    /// The credential it replaced (revoked on the board), if any.
    pub revoked: Option<PublicKeyHex>,
}

/// A credential as stored: 32 bytes.
fn stored_key(bytes: Vec<u8>) -> Result<PublicKeyHex, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(PublicKeyHex::from_bytes)
        .map_err(|_| StoreError::Corrupt("a credential of the wrong length"))
}

type PendingRow = (
    Vec<u8>,
    String,
    String,
    Option<Vec<u8>>,
    Vec<u8>,
    Option<Vec<u8>>,
);

/// A pending enrolment: the credential's row and the signed entries still to post.
#[derive(Clone)]
struct Pending {
    credential: PublicKeyHex,
    /// The citizen's civil number. Personal data: stored, never logged.
    civil: String,
    wilayat: WilayatId,
    /// The credential it replaces (a re-enrolment), revoked by `revoke_entry`.
    replaces: Option<PublicKeyHex>,
    /// The signed `credential-revocation` of `replaces`.
    revoke_entry: Option<Vec<u8>>,
    /// The signed `credential-enrolment`.
    enrol_entry: Vec<u8>,
}

impl Pending {
    /// The enrolment once its entry is on the board at `entry_index`.
    fn enrolled(&self, entry_index: u64) -> Enrolled {
        Enrolled {
            credential: self.credential.clone(),
            wilayat: self.wilayat.clone(),
            entry_index,
            revoked: self.replaces.clone(),
        }
    }
}

/// An enrolment checked and signed, not yet stored: what a call to [`Registry::enrol`]
/// queues.
struct Prepared {
    /// The identity assertion's nonce, used once.
    nonce: [u8; 32],
    /// When it was checked (board clock, ms): when the nonce was used and the credential
    /// enrolled.
    at_ms: u64,
    /// What to store as pending.
    pending: Pending,
}

/// Where a queued enrolment's outcome goes.
type Reply = oneshot::Sender<Result<Enrolled, RegistryError>>;

/// The enrolments waiting to be written, and whether a task is writing them.
#[derive(Default)]
pub(super) struct EnrolmentQueue(Mutex<Queued>);

#[derive(Default)]
struct Queued {
    waiting: VecDeque<(Prepared, Reply)>,
    /// Whether a writing task runs: it takes what is waiting until nothing is.
    writing: bool,
}

impl EnrolmentQueue {
    fn lock(&self) -> MutexGuard<'_, Queued> {
        // Nothing panics while holding it; a poisoned queue is still consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a writing task however it ends. Finished, it has nothing to do; stopped by a panic
/// or the runtime's shutdown, it lets the next enrolment start a task again, and fails the
/// enrolments still waiting (none of them started) rather than leave their callers waiting
/// forever.
struct Writing {
    queue: Arc<EnrolmentQueue>,
    finished: bool,
}

impl Drop for Writing {
    fn drop(&mut self) {
        if !self.finished {
            let mut q = self.queue.lock();
            q.writing = false;
            q.waiting.clear();
        }
    }
}

/// The enrolments' write path. It owns what it needs (the database and the board) so that it
/// runs in a task of its own.
#[derive(Clone)]
struct Writer {
    db: Db,
    board: Arc<Board>,
}

impl Registry {
    /// Enrols the credential a signed identity assertion names.
    ///
    /// Concurrent calls share their database commits: each checks and signs on its own, then
    /// the enrolments waiting are stored, posted and made active together, in batches; each
    /// call gets the outcome (its enrolment, or its refusal) it would get alone. Once checked,
    /// the enrolment goes on to the end even if this call's future is dropped.
    pub async fn enrol(&self, signed: &SignedAssertion) -> Result<Enrolled, RegistryError> {
        let prepared = self.prepare_enrolment(signed).await?;
        let (reply, outcome) = oneshot::channel();
        let start = {
            let mut q = self.enrolling.lock();
            q.waiting.push_back((prepared, reply));
            !std::mem::replace(&mut q.writing, true)
        };
        if start {
            tokio::spawn(self.writer().drain(self.enrolling.clone()));
        }
        // No answer: the writing task panicked or the runtime is shutting down. The enrolment
        // is either not stored or pending, for `Registry::open` to finish.
        outcome.await.unwrap_or(Err(StoreError::Closed.into()))
    }

    /// Checks an enrolment and signs its entries; writes nothing.
    async fn prepare_enrolment(&self, signed: &SignedAssertion) -> Result<Prepared, RegistryError> {
        let now = self.now();
        let a = identity::verify(
            signed,
            &self.identity_providers,
            &self.board.election(),
            now,
        )?;
        if now >= self.calendar().await?.voting_opens_ms() {
            return Err(Refusal::new(
                Rule::Window,
                format!(
                    "enrolment closed when voting opened, {}",
                    self.calendar()
                        .await?
                        .show(self.calendar().await?.voting_opens_ms())
                ),
            )
            .into());
        }
        let used: Option<(i64,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT used_ms FROM assertion_nonces WHERE nonce = $1")
                .bind(a.nonce.0.as_slice())
                .fetch_optional(p)
                .await?
        });
        if used.is_some() {
            return Err(Refusal::new(
                Rule::AssertionFresh,
                "this identity assertion was already used",
            )
            .into());
        }
        if !self.lists_frozen().await? {
            return Err(Refusal::new(
                Rule::ListsFrozen,
                "enrolment opens when the voter lists are final",
            )
            .into());
        }
        let civil = &a.civil_number;
        let listed: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT wilayat FROM list_members WHERE civil_number = $1")
                .bind(civil.expose())
                .fetch_optional(p)
                .await?
        });
        let wilayat = WilayatId(
            listed
                .ok_or_else(|| Refusal::new(Rule::Registration, "not on a final voter list"))?
                .0,
        );
        let published: Option<(Option<i64>,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT entry_index FROM final_lists WHERE wilayat = $1")
                .bind(wilayat.0.as_str())
                .fetch_optional(p)
                .await?
        });
        if !matches!(published, Some((Some(_),))) {
            return Err(RegistryError::Conflict(
                "the wilayat's final list is not on the board yet; try again shortly".into(),
            ));
        }
        let (person, _) = self.person(civil).await?;
        check_voter(&person, &self.calendar().await?, &wilayat)?;
        a.credential.verifying_key().map_err(|_| {
            Refusal::new(
                Rule::Credential,
                "the credential is not a valid ed25519 key",
            )
        })?;
        let cred = a.credential.bytes().as_slice();
        let taken: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT state FROM credentials WHERE credential = $1")
                .bind(cred)
                .fetch_optional(p)
                .await?
        });
        if taken.is_some() {
            return Err(
                Refusal::new(Rule::Credential, "this credential is already enrolled").into(),
            );
        }
        let old: Option<(Vec<u8>,)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT credential FROM credentials WHERE civil_number = $1 AND state = 'active'",
            )
            .bind(civil.expose())
            .fetch_optional(p)
            .await?
        });
        let old = old.map(|(c,)| stored_key(c)).transpose()?;
        let revoke_entry = old
            .as_ref()
            .map(|c| {
                self.sign(EntryBody::CredentialRevocation {
                    credential: c.clone(),
                    reason: REENROLMENT_REASON.into(),
                })
            })
            .transpose()?;
        let enrol_entry = self.sign(EntryBody::CredentialEnrolment {
            credential: a.credential.clone(),
            wilayat: wilayat.clone(),
        })?;
        Ok(Prepared {
            nonce: a.nonce.0,
            at_ms: now,
            pending: Pending {
                credential: a.credential.clone(),
                civil: civil.expose().to_owned(),
                wilayat,
                replaces: old,
                revoke_entry,
                enrol_entry,
            },
        })
    }

    /// The enrolments' write path.
    fn writer(&self) -> Writer {
        Writer {
            db: self.db.clone(),
            board: self.board.clone(),
        }
    }

    /// Finishes every pending enrolment (at open).
    pub(crate) async fn finish_pending_enrolments(&self) -> Result<(), RegistryError> {
        let rows: Vec<(Vec<u8>,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT credential FROM credentials WHERE state = 'pending'")
                .fetch_all(p)
                .await?
        });
        let writer = self.writer();
        for (cred,) in rows {
            match writer.finish_enrolment(&cred).await {
                Ok(_) | Err(RegistryError::Board(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Active credentials per wilayat, as the registry counts them (the public counts the
    /// same from the board).
    pub async fn enrolment_counts(&self) -> Result<Vec<(WilayatId, u64)>, RegistryError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT wilayat, COUNT(*) FROM credentials WHERE state = 'active' \
                 GROUP BY wilayat ORDER BY wilayat",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(w, n)| (WilayatId(w), n.max(0) as u64))
            .collect())
    }
}

impl Writer {
    fn now(&self) -> u64 {
        self.board.clock().now_ms()
    }

    /// Writes batches of the waiting enrolments until none is waiting, then stops (the next
    /// enrolment starts another task).
    async fn drain(self, queue: Arc<EnrolmentQueue>) {
        let mut writing = Writing {
            queue,
            finished: false,
        };
        loop {
            let batch: Vec<(Prepared, Reply)> = {
                let mut q = writing.queue.lock();
                if q.waiting.is_empty() {
                    q.writing = false;
                    writing.finished = true;
                    return;
                }
                let n = q.waiting.len().min(MAX_BATCH);
                q.waiting.drain(..n).collect()
            };
            self.write_batch(batch).await;
        }
    }

    /// Writes one batch: stored as pending, posted, made active; answers each caller.
    async fn write_batch(&self, batch: Vec<(Prepared, Reply)>) {
        // Stored as pending: all in one transaction, or else one at a time, each refused for
        // its own reason.
        let all: Vec<&Prepared> = batch.iter().map(|(p, _)| p).collect();
        let together = matches!(self.insert(&all).await, Ok(true));
        let mut stored = Vec::with_capacity(batch.len());
        for (p, reply) in batch {
            match if together {
                Ok(())
            } else {
                self.insert_one(&p).await
            } {
                Ok(()) => stored.push((p.pending, reply)),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
        self.post_and_activate(stored).await
    }

    /// Posts stored enrolments' entries, all at once (each enrolment's own entries in order),
    /// then marks those posted active in one transaction (or else one at a time); answers
    /// each caller.
    async fn post_and_activate(&self, stored: Vec<(Pending, Reply)>) {
        let posting: Vec<_> = stored
            .iter()
            .map(|(e, _)| {
                let (writer, e) = (self.clone(), e.clone());
                tokio::spawn(async move { writer.post_pending(&e).await })
            })
            .collect();
        let mut posted = Vec::with_capacity(stored.len());
        for ((e, reply), task) in stored.into_iter().zip(posting) {
            match task.await {
                Ok(Ok(index)) => posted.push((e, reply, index)),
                Ok(Err(err)) => {
                    let _ = reply.send(Err(err));
                }
                // It panicked: the enrolment stays pending, for `Registry::open` to finish.
                Err(_) => {
                    let _ = reply.send(Err(StoreError::Closed.into()));
                }
            }
        }
        let all: Vec<(&Pending, u64)> = posted.iter().map(|(e, _, i)| (e, *i)).collect();
        let together = self.activate(&all).await.is_ok();
        for (e, reply, index) in posted {
            let activated = if together {
                Ok(())
            } else {
                self.activate(&[(&e, index)]).await
            };
            let _ = reply.send(activated.map(|()| e.enrolled(index)));
        }
    }

    /// Stores enrolments as pending, with their nonces, in one transaction. `Ok(false)`, with
    /// nothing stored, when one's citizen has an active credential other than the one it
    /// replaces: another enrolment of that citizen finished after this one was checked (its
    /// entries must not reach the board: two active credentials for one citizen).
    async fn insert(&self, items: &[&Prepared]) -> Result<bool, sqlx::Error> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for item in items {
                let e = &item.pending;
                sqlx::query("INSERT INTO assertion_nonces (nonce, used_ms) VALUES ($1, $2)")
                    .bind(item.nonce.as_slice())
                    .bind(item.at_ms as i64)
                    .execute(&mut *tx)
                    .await?;
                let stored = sqlx::query(
                    "INSERT INTO credentials (credential, civil_number, wilayat, state, replaces, \
                     enrol_entry, revoke_entry, enrolled_ms) \
                     SELECT $1, $2, $3, 'pending', $4, $5, $6, $7 \
                     WHERE NOT EXISTS (SELECT 1 FROM credentials WHERE civil_number = $2 \
                     AND state = 'active' AND ($4 IS NULL OR credential <> $4))",
                )
                .bind(e.credential.bytes().as_slice())
                .bind(e.civil.as_str())
                .bind(e.wilayat.0.as_str())
                .bind(e.replaces.as_ref().map(|c| c.bytes().to_vec()))
                .bind(e.enrol_entry.as_slice())
                .bind(e.revoke_entry.as_deref())
                .bind(item.at_ms as i64)
                .execute(&mut *tx)
                .await?;
                if stored.rows_affected() != 1 {
                    return Ok(false);
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Stores one enrolment as pending, alone; a refusal says which uniqueness it broke.
    async fn insert_one(&self, item: &Prepared) -> Result<(), RegistryError> {
        match self.insert(&[item]).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(RegistryError::Conflict(
                "another enrolment of this citizen was completed meanwhile; try again".into(),
            )),
            Err(e) if is_unique_violation(&e) => Err(self
                .explain_conflict(&item.nonce, item.pending.credential.bytes())
                .await?),
            Err(e) => Err(e.into()),
        }
    }

    /// Which uniqueness an enrolment broke: the nonce, the credential, or a concurrent
    /// enrolment of the same citizen.
    async fn explain_conflict(
        &self,
        nonce: &[u8; 32],
        cred: &[u8],
    ) -> Result<RegistryError, RegistryError> {
        let used: Option<(i64,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT used_ms FROM assertion_nonces WHERE nonce = $1")
                .bind(nonce.as_slice())
                .fetch_optional(p)
                .await?
        });
        if used.is_some() {
            return Ok(Refusal::new(
                Rule::AssertionFresh,
                "this identity assertion was already used",
            )
            .into());
        }
        let taken: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT state FROM credentials WHERE credential = $1")
                .bind(cred)
                .fetch_optional(p)
                .await?
        });
        if taken.is_some() {
            return Ok(
                Refusal::new(Rule::Credential, "this credential is already enrolled").into(),
            );
        }
        Ok(RegistryError::Conflict(
            "another enrolment of this citizen is in progress".into(),
        ))
    }

    /// Posts a pending enrolment's entries: the revocation of the credential it replaces (then
    /// marked revoked), then the enrolment; returns the enrolment's index. A board refusal
    /// undoes the enrolment; a storage error leaves it pending.
    async fn post_pending(&self, e: &Pending) -> Result<u64, RegistryError> {
        let cred = e.credential.bytes().as_slice();
        if let (Some(entry), Some(old)) = (&e.revoke_entry, &e.replaces) {
            if let Err(err) = post_to(&self.board, entry).await {
                return Err(self.undo_enrolment(cred, err).await);
            }
            let now = self.now();
            on_pool!(&self.db, p => {
                sqlx::query(
                    "UPDATE credentials SET state = 'revoked', revoked_ms = $2 \
                     WHERE credential = $1 AND state = 'active'",
                )
                .bind(old.bytes().as_slice())
                .bind(to_i64(now)?)
                .execute(p)
                .await?;
            });
        }
        match post_to(&self.board, &e.enrol_entry).await {
            Ok(index) => Ok(index),
            Err(err) => Err(self.undo_enrolment(cred, err).await),
        }
    }

    /// Marks posted enrolments active, each with its decision, in one transaction. One no
    /// longer pending is left as it is.
    async fn activate(&self, posted: &[(&Pending, u64)]) -> Result<(), RegistryError> {
        let now = self.now();
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for (e, index) in posted {
                let updated = sqlx::query(
                    "UPDATE credentials SET state = 'active', entry_index = $2 \
                     WHERE credential = $1 AND state = 'pending'",
                )
                .bind(e.credential.bytes().as_slice())
                .bind(to_i64(*index)?)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    continue;
                }
                let detail = serde_json::json!({
                    "credential": e.credential, "wilayat": e.wilayat, "entry_index": index,
                    "revoked": e.replaces,
                })
                .to_string();
                record_decision!(tx, now, Actor { role: Role::Citizen, id: "self".into() }, "enrolment", e.civil.as_str(), detail.as_str());
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Posts a pending enrolment's entries and settles its state (at open).
    async fn finish_enrolment(&self, cred: &[u8]) -> Result<Enrolled, RegistryError> {
        let row: Option<PendingRow> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT credential, civil_number, wilayat, replaces, enrol_entry, revoke_entry \
                 FROM credentials WHERE credential = $1 AND state = 'pending'",
            )
            .bind(cred)
            .fetch_optional(p)
            .await?
        });
        let (_, civil, wilayat, replaces, enrol_entry, revoke_entry) =
            row.ok_or_else(|| RegistryError::NotFound("a pending enrolment".into()))?;
        let pending = Pending {
            credential: stored_key(cred.to_vec())?,
            civil,
            wilayat: WilayatId(wilayat),
            replaces: replaces.map(stored_key).transpose()?,
            revoke_entry,
            enrol_entry,
        };
        let index = self.post_pending(&pending).await?;
        self.activate(&[(&pending, index)]).await?;
        Ok(pending.enrolled(index))
    }

    /// Drops a pending enrolment the board refused; returns the error to report. Storage
    /// errors leave it pending, for [`Registry::open`] to finish.
    async fn undo_enrolment(&self, cred: &[u8], e: RegistryError) -> RegistryError {
        if !matches!(
            e,
            RegistryError::Board(BoardError::Refused(_) | BoardError::Entry(_))
        ) {
            return e;
        }
        let deleted: Result<(), sqlx::Error> = on_pool!(&self.db, p => {
            sqlx::query("DELETE FROM credentials WHERE credential = $1 AND state = 'pending'")
                .bind(cred)
                .execute(p)
                .await
                .map(|_| ())
        });
        match deleted {
            Ok(()) => e,
            Err(db) => db.into(),
        }
    }
}
