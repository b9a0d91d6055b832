//! Importing the civil registry's export into the electoral roll: streamed, in batches of
//! [`BATCH`] rows per transaction, idempotent (people are upserted, carried-over
//! registrations never overwrite one a citizen made) and resumable (each batch commits the
//! file's progress with its rows; a file is known by its SHA-256).

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use sawt_registry::CivilNumber;
use sawt_registry::calendar::show_date;
use sawt_registry::eligibility::check_voter;
use sawt_registry::roll::{self, RollRecord};
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_registry::calendar::{Calendar, Settings};

use super::{Registry, RegistryError, record_decision};
use crate::Backend;
use crate::LogStore;
use crate::clock::Clock;
use crate::db::{Db, on_pool, to_i64};

/// Rows per transaction.
pub const BATCH: usize = 5000;
/// Rows per INSERT statement (13 parameters each, under SQLite's 32,766).
const ROWS_PER_STATEMENT: usize = 500;
/// Refusals returned in a report (all are stored).
const REPORTED_REFUSALS: usize = 1000;

/// How far an import has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// Data rows read (including skipped ones when resuming).
    pub rows: u64,
    /// Bytes of the file read.
    pub bytes: u64,
    /// The file's size.
    pub total_bytes: u64,
}

/// The outcome of an import.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The file's SHA-256, lowercase hexadecimal.
    pub file_sha256: String,
    /// Data rows in the file.
    pub rows: u64,
    /// Rows imported (new or updated people, or unchanged ones).
    pub imported: u64,
    /// Rows refused, each with its reason in `refusals`.
    pub refused: u64,
    /// Rows imported whose carried-over registration was not (a voter rule failed).
    pub unregistered: u64,
    /// Rows already imported by an earlier, interrupted run of the same file.
    pub resumed_from: u64,
    /// The same file had been imported completely before: nothing changed.
    pub already_imported: bool,
    /// The whole file is imported (`false`: stopped early, to be resumed).
    pub complete: bool,
    /// The first refusals: `(line, field, reason)`, line 1 being the first data row.
    pub refusals: Vec<(u64, String, String)>,
}

struct Batch {
    people: Vec<RollRecord>,
    registrations: Vec<(CivilNumber, String)>,
    refusals: Vec<(u64, String, String)>,
    unregistered: u64,
}

/// What an import needs: the database, the election's calendar and wilayats, the clock.
struct Importer<'a> {
    db: &'a Db,
    calendar: &'a Calendar,
    wilayats: &'a HashSet<WilayatId>,
    clock: &'a dyn Clock,
}

impl Registry {
    /// Imports an export file into the roll: see [`import_roll`].
    pub async fn import_roll(
        &self,
        path: &Path,
        batch: usize,
        progress: &mut (dyn FnMut(ImportProgress) -> bool + Send),
    ) -> Result<ImportReport, RegistryError> {
        let calendar = self.calendar().await?;
        Importer {
            db: &self.db,
            calendar: &calendar,
            wilayats: &self.wilayats,
            clock: self.board.clock().as_ref(),
        }
        .run(path, batch, progress)
        .await
    }

    /// The refusals stored for an imported file (the first [`REPORTED_REFUSALS`]).
    pub async fn import_refusals(
        &self,
        file_sha256: &[u8; 32],
    ) -> Result<Vec<(u64, String, String)>, RegistryError> {
        refusals(&self.db, file_sha256).await
    }
}

/// Imports an export file into the roll of the election whose board is in `store` (its
/// manifest gives the wilayats and the dates the voter rules need), without the registry's
/// keys: the civil data never reaches the board.
pub async fn import_roll(
    store: &LogStore,
    clock: &dyn Clock,
    path: &Path,
    batch: usize,
    progress: &mut (dyn FnMut(ImportProgress) -> bool + Send),
) -> Result<ImportReport, RegistryError> {
    let first = store.entry(0).await?.ok_or_else(|| {
        RegistryError::Invalid("the database holds no board: run `sawt board init` first".into())
    })?;
    let manifest = match SignedEntry::decode(&first.body)
        .map_err(|e| RegistryError::Invalid(e.to_string()))?
        .entry
        .body
    {
        EntryBody::Manifest(m) => *m,
        _ => return Err(RegistryError::Invalid("entry 0 is not a manifest".into())),
    };
    let calendar = Calendar::new(&manifest, Settings::default())
        .map_err(|e| RegistryError::Invalid(e.to_string()))?;
    let wilayats = manifest
        .geography
        .wilayats
        .iter()
        .map(|w| w.id.clone())
        .collect();
    Importer {
        db: store.db(),
        calendar: &calendar,
        wilayats: &wilayats,
        clock,
    }
    .run(path, batch, progress)
    .await
}

impl Importer<'_> {
    fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Imports an export file (`sawt_registry::roll::HEADER` columns), `batch` rows per
    /// transaction ([`BATCH`] is a good size), calling `progress` after each batch; when it
    /// returns `false` the import stops there, to be resumed later. Re-importing a finished
    /// file changes nothing; an interrupted one resumes after its last committed batch.
    async fn run(
        &self,
        path: &Path,
        batch: usize,
        progress: &mut (dyn FnMut(ImportProgress) -> bool + Send),
    ) -> Result<ImportReport, RegistryError> {
        let batch_rows = batch.max(1);
        let file_sha256 = hash_file(path)?;
        let total_bytes = std::fs::metadata(path)
            .map_err(|e| RegistryError::Invalid(format!("cannot read the file: {e}")))?
            .len();
        let now = self.now();
        let sha = file_sha256.as_slice();
        let prior: Option<(i64, i64, i64, i64, i64)> = on_pool!(self.db, p => {
            sqlx::query_as(
                "SELECT rows_done, imported, refused, unregistered, finished FROM roll_imports \
                 WHERE file_sha256 = $1",
            )
            .bind(sha)
            .fetch_optional(p)
            .await?
        });
        let (mut done, mut imported, mut refused, mut unregistered) = match prior {
            Some((rows, imported, refused, unregistered, finished)) => {
                let mut report = ImportReport {
                    file_sha256: hex::encode(file_sha256),
                    rows: rows as u64,
                    imported: imported as u64,
                    refused: refused as u64,
                    unregistered: unregistered as u64,
                    resumed_from: rows as u64,
                    already_imported: finished == 1,
                    complete: finished == 1,
                    refusals: vec![],
                };
                if finished == 1 {
                    report.refusals = refusals(self.db, &file_sha256).await?;
                    return Ok(report);
                }
                (
                    rows as u64,
                    imported as u64,
                    refused as u64,
                    unregistered as u64,
                )
            }
            None => {
                on_pool!(self.db, p => {
                    sqlx::query(
                        "INSERT INTO roll_imports (file_sha256, rows_done, imported, refused, \
                         unregistered, finished, started_ms, updated_ms) \
                         VALUES ($1, 0, 0, 0, 0, 0, $2, $2)",
                    )
                    .bind(sha)
                    .bind(to_i64(now)?)
                    .execute(p)
                    .await?;
                });
                (0, 0, 0, 0)
            }
        };
        let resumed_from = done;
        let frozen = super::lists_frozen(self.db).await?;

        let file = std::fs::File::open(path)
            .map_err(|e| RegistryError::Invalid(format!("cannot read the file: {e}")))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let mut record = csv::StringRecord::new();
        let header_ok = reader
            .read_record(&mut record)
            .map_err(|e| RegistryError::Invalid(format!("not valid CSV: {e}")))?;
        if !header_ok {
            return Err(RegistryError::Invalid("the file is empty".into()));
        }
        roll::check_header(&record.iter().collect::<Vec<_>>()).map_err(RegistryError::Invalid)?;

        let mut seen: HashSet<String> = HashSet::new();
        let mut line: u64 = 0;
        loop {
            let mut batch = Batch {
                people: Vec::with_capacity(batch_rows),
                registrations: Vec::new(),
                refusals: Vec::new(),
                unregistered: 0,
            };
            let mut rows_in_batch = 0usize;
            let mut more = true;
            while rows_in_batch < batch_rows {
                let ok = match reader.read_record(&mut record) {
                    Ok(ok) => ok,
                    Err(e) => {
                        // A malformed line (bad UTF-8, say): refuse it and go on.
                        line += 1;
                        if line > done {
                            rows_in_batch += 1;
                            batch.refusals.push((
                                line,
                                "row".into(),
                                format!("not valid CSV: {}", csv_reason(&e)),
                            ));
                        }
                        continue;
                    }
                };
                if !ok {
                    more = false;
                    break;
                }
                line += 1;
                let fields: Vec<&str> = record.iter().collect();
                if line <= done {
                    // Committed by an earlier run: remember its civil number if it was
                    // accepted, exactly as an uninterrupted run would have.
                    if let Ok(rec) = roll::parse_fields(&fields, self.wilayats) {
                        seen.insert(rec.civil_number.expose().to_owned());
                    }
                    continue;
                }
                rows_in_batch += 1;
                match roll::parse_fields(&fields, self.wilayats) {
                    Err(e) => batch.refusals.push((line, e.field.into(), e.reason)),
                    Ok(rec) if !seen.insert(rec.civil_number.expose().to_owned()) => {
                        batch.refusals.push((
                            line,
                            "civil_number".into(),
                            "repeats an earlier row of this file".into(),
                        ));
                    }
                    Ok(rec) => {
                        if let Some(w) = &rec.registered_wilayat {
                            match check_voter(&rec, self.calendar, w) {
                                Ok(()) if !frozen => batch
                                    .registrations
                                    .push((rec.civil_number.clone(), w.0.clone())),
                                Ok(()) => {
                                    batch.unregistered += 1;
                                    batch.refusals.push((
                                        line,
                                        "registered_wilayat".into(),
                                        "imported, not registered: the voter lists are final"
                                            .into(),
                                    ));
                                }
                                Err(refusals) => {
                                    batch.unregistered += 1;
                                    batch.refusals.push((
                                        line,
                                        "registered_wilayat".into(),
                                        format!("imported, not registered: {refusals}"),
                                    ));
                                }
                            }
                        }
                        batch.people.push(rec);
                    }
                }
            }
            let batch_refused = batch
                .refusals
                .iter()
                .filter(|(_, f, _)| f != "registered_wilayat")
                .count() as u64;
            imported += batch.people.len() as u64;
            refused += batch_refused;
            unregistered += batch.unregistered;
            done = line.max(done);
            self.commit_batch(
                &file_sha256,
                &batch,
                (done, imported, refused, unregistered),
                !more,
            )
            .await?;
            let go_on = progress(ImportProgress {
                rows: done,
                bytes: reader.position().byte(),
                total_bytes,
            });
            if !more {
                break;
            }
            if !go_on {
                return Ok(ImportReport {
                    file_sha256: hex::encode(file_sha256),
                    rows: done,
                    imported,
                    refused,
                    unregistered,
                    resumed_from,
                    already_imported: false,
                    complete: false,
                    refusals: refusals(self.db, &file_sha256).await?,
                });
            }
        }
        on_pool!(self.db, p => {
            let mut tx = p.begin().await?;
            let detail = serde_json::json!({
                "file_sha256": hex::encode(file_sha256),
                "rows": done, "imported": imported, "refused": refused,
                "unregistered": unregistered,
            })
            .to_string();
            record_decision!(tx, self.now(), sawt_registry::Actor::rules(), "roll-import", "roll", detail);
            tx.commit().await?;
        });
        Ok(ImportReport {
            file_sha256: hex::encode(file_sha256),
            rows: done,
            imported,
            refused,
            unregistered,
            resumed_from,
            already_imported: false,
            complete: true,
            refusals: refusals(self.db, &file_sha256).await?,
        })
    }
}

async fn refusals(
    db: &Db,
    file_sha256: &[u8; 32],
) -> Result<Vec<(u64, String, String)>, RegistryError> {
    {
        let rows: Vec<(i64, String, String)> = on_pool!(db, p => {
            sqlx::query_as(
                "SELECT line, field, reason FROM roll_refusals WHERE file_sha256 = $1 \
                 ORDER BY line, field LIMIT $2",
            )
            .bind(file_sha256.as_slice())
            .bind(REPORTED_REFUSALS as i64)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(l, f, r)| (l.max(0) as u64, f, r))
            .collect())
    }
}

impl Importer<'_> {
    async fn commit_batch(
        &self,
        file_sha256: &[u8; 32],
        batch: &Batch,
        (done, imported, refused, unregistered): (u64, u64, u64, u64),
        finished: bool,
    ) -> Result<(), RegistryError> {
        let now = to_i64(self.now())?;
        let backend = self.db.backend();
        on_pool!(self.db, p => {
            let mut tx = p.begin().await?;
            for chunk in batch.people.chunks(ROWS_PER_STATEMENT) {
                let sql = upsert_people_sql(backend, chunk.len());
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(r.civil_number.expose())
                        .bind(r.name_ar.as_str())
                        .bind(r.name_en.as_str())
                        .bind(show_date(r.date_of_birth))
                        .bind(r.gender.as_str())
                        .bind(r.nationality.as_str())
                        .bind(r.id_card_number.as_str())
                        .bind(show_date(r.id_card_expiry))
                        .bind(r.permanent_wilayat.0.as_str())
                        .bind(r.current_wilayat.0.as_str())
                        .bind(i64::from(r.security_military))
                        .bind(i64::from(r.abroad))
                        .bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in batch.registrations.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO registrations (civil_number, wilayat, since_ms) VALUES {} \
                     ON CONFLICT (civil_number) DO NOTHING",
                    placeholders(backend, chunk.len(), 3)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (c, w) in chunk {
                    q = q.bind(c.expose()).bind(w.as_str()).bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in batch.refusals.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO roll_refusals (file_sha256, line, field, reason) VALUES {} \
                     ON CONFLICT (file_sha256, line, field) DO NOTHING",
                    placeholders(backend, chunk.len(), 4)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (line, field, reason) in chunk {
                    q = q
                        .bind(file_sha256.as_slice())
                        .bind(to_i64(*line)?)
                        .bind(field.as_str())
                        .bind(reason.as_str());
                }
                q.execute(&mut *tx).await?;
            }
            sqlx::query(
                "UPDATE roll_imports SET rows_done = $2, imported = $3, refused = $4, \
                 unregistered = $5, finished = $6, updated_ms = $7 WHERE file_sha256 = $1",
            )
            .bind(file_sha256.as_slice())
            .bind(to_i64(done)?)
            .bind(to_i64(imported)?)
            .bind(to_i64(refused)?)
            .bind(to_i64(unregistered)?)
            .bind(i64::from(finished))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// The reason of a CSV error without the offending bytes (they may be personal data).
fn csv_reason(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields",
        _ => "unreadable",
    }
}

fn hash_file(path: &Path) -> Result<[u8; 32], RegistryError> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| RegistryError::Invalid(format!("cannot read the file: {e}")))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| RegistryError::Invalid(format!("cannot read the file: {e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// `($1, …, $k), ($k+1, …)` for `rows` rows of `k` columns on PostgreSQL; `(?, …, ?), …` on
/// SQLite, where numbered parameters make binding quadratic (sqlx looks each one's name up,
/// and SQLite finds a name by a linear scan).
pub(super) fn placeholders(backend: Backend, rows: usize, k: usize) -> String {
    let mut s = String::with_capacity(rows * k * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..k {
            if c > 0 {
                s.push_str(", ");
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * k + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

const PEOPLE_COLUMNS: &str = "civil_number, name_ar, name_en, date_of_birth, gender, nationality, \
     id_card_number, id_card_expiry, permanent_wilayat, current_wilayat, security_military, \
     abroad, updated_ms";

fn upsert_people_sql(backend: Backend, rows: usize) -> String {
    let data = [
        "name_ar",
        "name_en",
        "date_of_birth",
        "gender",
        "nationality",
        "id_card_number",
        "id_card_expiry",
        "permanent_wilayat",
        "current_wilayat",
        "security_military",
        "abroad",
    ];
    let set: Vec<String> = data
        .iter()
        .chain(std::iter::once(&"updated_ms"))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let old: Vec<String> = data.iter().map(|c| format!("roll_people.{c}")).collect();
    let new: Vec<String> = data.iter().map(|c| format!("excluded.{c}")).collect();
    format!(
        "INSERT INTO roll_people ({PEOPLE_COLUMNS}) VALUES {} ON CONFLICT (civil_number) DO UPDATE \
         SET {} WHERE ({}) <> ({})",
        placeholders(backend, rows, 13),
        set.join(", "),
        old.join(", "),
        new.join(", ")
    )
}
