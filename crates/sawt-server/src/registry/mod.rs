//! The registry's storage and service: the electoral roll, registrations and transfers,
//! objections, final lists and their commitments on the board, candidacies, and voting
//! credentials enrolled on the board. The rules are `sawt_registry`'s pure functions; this
//! module holds the data (in the board's database, in tables of their own) and makes each
//! change atomic.
//!
//! Personal data (civil numbers, names, dates, addresses) stays in the registry's tables:
//! it is never posted to the board and never written to logs. What reaches the board is
//! signed by the registrar: credential enrolments and revocations (credential and wilayat
//! only) and, per wilayat, the final list's count and commitment.
//!
//! Every decision is recorded in `registry_decisions` with who made it ([`Actor`]).

mod candidacy;
mod enrolment;
mod import;
mod lists;
mod turnout;

use std::collections::HashSet;
use std::sync::Arc;

use sha2::Digest as _;

use ed25519_dalek::SigningKey;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_registry::calendar::{Calendar, Settings};
use sawt_registry::eligibility::Refusals;
use sawt_registry::roll::{Gender, RollRecord};
use sawt_registry::{Actor, CivilNumber};

use crate::StoreError;
use crate::db::{Db, on_pool};
use crate::service::{Board, BoardError};

pub use candidacy::{ApplicationView, CandidateListView};
pub use enrolment::{Enrolled, REENROLMENT_REASON};
pub use import::{BATCH, ImportProgress, ImportReport, import_roll};
pub use lists::{FinalList, ObjectionView, Registration};
pub use turnout::{Count, Turnout};

/// Why the registry refused a request. Nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A rule refused it; every failing rule with its reason.
    #[error(transparent)]
    Refused(#[from] Refusals),
    /// What the request names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A concurrent change got there first; the request may be repeated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is malformed.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The board refused an entry.
    #[error(transparent)]
    Board(#[from] BoardError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        RegistryError::Store(e.into())
    }
}

impl From<sawt_registry::Refusal> for RegistryError {
    fn from(r: sawt_registry::Refusal) -> Self {
        RegistryError::Refused(r.into())
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The registry of one election, beside its board.
pub struct Registry {
    db: Db,
    board: Arc<Board>,
    settings: Settings,
    registrar: SigningKey,
    identity_providers: Vec<PublicKeyHex>,
    wilayats: HashSet<WilayatId>,
    /// Serialises the changes to the voter lists (registrations, transfers, rulings, the
    /// freeze): each also checks its preconditions inside its own transaction.
    lists: tokio::sync::Mutex<()>,
    /// The latest turnout and when it was computed (board clock, ms).
    turnout: tokio::sync::Mutex<Option<(u64, Turnout)>>,
    /// The enrolments waiting to be written together (group commit).
    enrolling: Arc<enrolment::EnrolmentQueue>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    /// The registry of `board`'s election: `registrar` must be the manifest's registrar key;
    /// `identity_providers` are the keys whose identity assertions it accepts. Finishes any
    /// enrolment or list commitment interrupted before it reached the board.
    pub async fn open(
        board: Arc<Board>,
        registrar: SigningKey,
        identity_providers: Vec<PublicKeyHex>,
        settings: Settings,
    ) -> Result<Registry, RegistryError> {
        let manifest = board.manifest();
        if manifest.authorities.registrar.bytes() != &registrar.verifying_key().to_bytes() {
            return Err(RegistryError::Invalid(
                "this key is not the manifest's registrar".into(),
            ));
        }
        if identity_providers.is_empty() {
            return Err(RegistryError::Invalid(
                "at least one identity provider key is required".into(),
            ));
        }
        Calendar::new(manifest, settings).map_err(|e| RegistryError::Invalid(e.to_string()))?;
        let wilayats = manifest
            .geography
            .wilayats
            .iter()
            .map(|w| w.id.clone())
            .collect();
        let registry = Registry {
            db: board.store().db().clone(),
            board,
            settings,
            registrar,
            identity_providers,
            wilayats,
            lists: tokio::sync::Mutex::new(()),
            turnout: tokio::sync::Mutex::new(None),
            enrolling: Arc::default(),
        };
        registry.recover().await?;
        Ok(registry)
    }

    /// The calendar now: from the board's windows, as extended by `window-extension`
    /// entries.
    pub async fn calendar(&self) -> Result<Calendar, RegistryError> {
        let windows = self.board.windows().await;
        Calendar::with_windows(self.board.manifest(), &windows, self.settings)
            .map_err(|e| RegistryError::Invalid(format!("the extended windows: {e}")))
    }

    /// The board.
    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }

    fn now(&self) -> u64 {
        self.board.clock().now_ms()
    }

    /// Posts what an interrupted enrolment or freeze left unposted.
    async fn recover(&self) -> Result<(), RegistryError> {
        self.finish_pending_enrolments().await?;
        if let Err(e) = self.post_final_lists().await {
            // The board refuses a roll count once voting has opened: the registry still
            // opens, and the missing count is there for every verifier to see.
            match e {
                RegistryError::Board(b) => {
                    tracing::error!(error = %b, "a final list's roll count could not be posted")
                }
                e => return Err(e),
            }
        }
        Ok(())
    }

    /// Signs an entry as the registrar, timestamped now; its canonical bytes.
    fn sign(&self, body: EntryBody) -> Result<Vec<u8>, RegistryError> {
        let entry = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(self.board.election()),
            author: PublicKeyHex::from_key(&self.registrar.verifying_key()),
            timestamp_ms: self.now(),
            body,
        };
        entry
            .sign(&self.registrar)
            .and_then(|s| s.canonical_bytes())
            .map_err(|e| RegistryError::Invalid(e.to_string()))
    }

    /// Posts signed bytes to the board; an entry already there counts as posted. Returns its
    /// index.
    async fn post(&self, bytes: &[u8]) -> Result<u64, RegistryError> {
        post_to(&self.board, bytes).await
    }

    /// A person's roll record and current registration.
    pub(crate) async fn person(
        &self,
        civil: &CivilNumber,
    ) -> Result<(RollRecord, Option<WilayatId>), RegistryError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
        );
        let row: Option<Row> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT p.name_ar, p.name_en, p.date_of_birth, p.gender, p.nationality, \
                        p.id_card_number, p.id_card_expiry, p.permanent_wilayat, \
                        p.current_wilayat, p.security_military, p.abroad, r.wilayat \
                 FROM roll_people p LEFT JOIN registrations r ON r.civil_number = p.civil_number \
                 WHERE p.civil_number = $1",
            )
            .bind(civil.expose())
            .fetch_optional(p)
            .await?
        });
        let (name_ar, name_en, dob, gender, nationality, card, expiry, perm, cur, sec, abroad, reg) =
            row.ok_or_else(|| {
                RegistryError::Refused(
                    sawt_registry::Refusal::new(
                        sawt_registry::Rule::InRoll,
                        "no such civil number in the electoral roll",
                    )
                    .into(),
                )
            })?;
        let corrupt = |_| StoreError::Corrupt("a malformed roll row");
        let record = RollRecord {
            civil_number: civil.clone(),
            name_ar,
            name_en,
            date_of_birth: sawt_registry::calendar::parse_date(&dob).map_err(corrupt)?,
            gender: Gender::parse(&gender).ok_or(StoreError::Corrupt("a malformed gender"))?,
            nationality,
            id_card_number: card,
            id_card_expiry: sawt_registry::calendar::parse_date(&expiry).map_err(corrupt)?,
            permanent_wilayat: WilayatId(perm),
            current_wilayat: WilayatId(cur),
            security_military: sec != 0,
            abroad: abroad != 0,
            registered_wilayat: reg.clone().map(WilayatId),
        };
        Ok((record, reg.map(WilayatId)))
    }

    /// Checks a citizen's identity assertion (trusted provider, this election, fresh) and
    /// uses up its nonce: the citizen it names, for one request.
    pub async fn authenticate(
        &self,
        signed: &sawt_registry::identity::SignedAssertion,
    ) -> Result<CivilNumber, RegistryError> {
        let now = self.now();
        let a = sawt_registry::identity::verify(
            signed,
            &self.identity_providers,
            &self.board.election(),
            now,
        )?;
        let used: Result<_, sqlx::Error> = on_pool!(&self.db, p => {
            sqlx::query("INSERT INTO assertion_nonces (nonce, used_ms) VALUES ($1, $2)")
                .bind(a.nonce.0.as_slice())
                .bind(crate::db::to_i64(now)?)
                .execute(p)
                .await
                .map(|_| ())
        });
        match used {
            Ok(_) => Ok(a.civil_number.clone()),
            Err(e) if is_unique_violation(&e) => Err(sawt_registry::Refusal::new(
                sawt_registry::Rule::AssertionFresh,
                "this identity assertion was already used",
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the voter lists are frozen (final).
    pub async fn lists_frozen(&self) -> Result<bool, RegistryError> {
        lists_frozen(&self.db).await
    }

    /// The trail of decisions about a subject (a civil number, an application, an objection,
    /// `"lists"`), oldest first: `(at_ms, actor, action, detail)`.
    pub async fn decisions(
        &self,
        subject: &str,
    ) -> Result<Vec<(u64, Actor, String, String)>, RegistryError> {
        let rows: Vec<(i64, String, String, String, String)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT at_ms, actor_role, actor_id, action, detail FROM registry_decisions \
                 WHERE subject = $1 ORDER BY id",
            )
            .bind(subject)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(at, role, id, action, detail)| {
                let role = sawt_registry::Role::parse(&role)
                    .ok_or(StoreError::Corrupt("an unknown role"))?;
                Ok((at.max(0) as u64, Actor { role, id }, action, detail))
            })
            .collect()
    }
}

/// Posts signed bytes to `board`; an entry already there counts as posted. Returns its
/// index.
async fn post_to(board: &Board, bytes: &[u8]) -> Result<u64, RegistryError> {
    let body_hash: [u8; 32] = sha2::Sha256::digest(bytes).into();
    if let Some(e) = board.store().entry_by_hash(&body_hash).await? {
        return Ok(e.index);
    }
    match board.submit(bytes).await {
        Ok(a) => Ok(a.index),
        Err(BoardError::Store(StoreError::Duplicate { index })) => Ok(index),
        Err(e) => Err(e.into()),
    }
}

/// Whether the voter lists are frozen (final).
async fn lists_frozen(db: &Db) -> Result<bool, RegistryError> {
    let row: Option<(i64,)> = on_pool!(db, p => {
        sqlx::query_as("SELECT frozen_ms FROM list_state WHERE id = 1")
            .fetch_optional(p)
            .await?
    });
    Ok(row.is_some())
}

/// Appends a decision to the trail inside transaction `$tx`.
macro_rules! record_decision {
    ($tx:expr, $at:expr, $actor:expr, $action:expr, $subject:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO registry_decisions (at_ms, actor_role, actor_id, action, subject, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($crate::db::to_i64($at)?)
        .bind($actor.role.as_str())
        .bind($actor.id.as_str())
        .bind($action)
        .bind($subject)
        .bind($detail)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use record_decision;
