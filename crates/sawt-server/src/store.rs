//! [`LogStore`]: the board's log, heads and cosignatures on either backend.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sawt_board::Hash;
use sawt_board::hash::leaf_hash;
use sawt_board::head::{Cosignature, SignedTreeHead, TreeHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::tree::root_at;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::StoreError;
use crate::db::{Backend, Db, get, get_array, get_u64, on_pool, to_i64};
use crate::nodes::{self, Nodes};
use crate::writer::{self, CHANNEL_CAPACITY, Msg, Request, Writer};

/// Where [`default_database_url`] keeps the SQLite database, relative to the working
/// directory.
pub const DEFAULT_DATA_DIR: &str = "./sawt-data";
/// The largest body accepted, in bytes.
pub const MAX_BODY_LEN: usize = 128 << 20;
/// The longest kind accepted, in bytes (printable ASCII, no spaces).
pub const MAX_KIND_LEN: usize = 64;
/// The most entries [`LogStore::entries`] returns at once.
pub const MAX_PAGE: u64 = 1000;

/// The default database: `sqlite://./sawt-data/sawt.db?mode=rwc`. Creates the directory.
pub fn default_database_url() -> Result<String, StoreError> {
    std::fs::create_dir_all(DEFAULT_DATA_DIR)?;
    Ok(format!("sqlite://{DEFAULT_DATA_DIR}/sawt.db?mode=rwc"))
}

/// Where an append landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index: leaf `index` of the tree.
    pub index: u64,
    /// Its leaf hash, `SHA-256(0x00 ‖ body)`.
    pub leaf_hash: Hash,
}

/// An entry to append with [`LogStore::append_many`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    /// Its kind (see [`LogStore::append`]).
    pub kind: String,
    /// Its author's ed25519 public key.
    pub author: [u8; 32],
    /// Its canonical bytes.
    pub body: Vec<u8>,
}

/// An entry of the log as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its index in the log.
    pub index: u64,
    /// `SHA-256(0x00 ‖ body)`, leaf `index` of the tree.
    pub leaf_hash: Hash,
    /// `SHA-256(body)`, unique on the board.
    pub body_hash: Hash,
    /// Its kind.
    pub kind: String,
    /// Its author's ed25519 public key.
    pub author: [u8; 32],
    /// Its canonical bytes: what the leaf hashes.
    pub body: Vec<u8>,
}

/// The board's log, heads and cosignatures in a database. Cheap to clone: clones share one
/// connection pool and one writer.
///
/// A store is its database's **only writer**: open one per database. (A second would not
/// corrupt the log, whose indices and nodes the database's constraints guard, but its
/// appends would fail whenever the two race.)
#[derive(Clone)]
pub struct LogStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    sender: mpsc::Sender<Msg>,
    /// The committed size: entries below it are durable and their nodes readable.
    committed: Arc<AtomicU64>,
    /// Serialises head and cosignature writes (checks, then insert).
    heads: Mutex<()>,
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore")
            .field("backend", &self.backend())
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

const ENTRY_COLUMNS: &str = "idx, leaf_hash, body_hash, kind, author, body";

impl LogStore {
    /// Opens the database at `url` (`sqlite://path?mode=rwc`, `postgres://…`), runs the
    /// migrations, reads the log's size and right edge, and starts the writer. Must be
    /// called within a tokio runtime.
    ///
    /// SQLite runs with a WAL journal, `synchronous = FULL` and a 30 s busy timeout;
    /// PostgreSQL with its defaults (`synchronous_commit = on`).
    pub async fn open(url: &str) -> Result<LogStore, StoreError> {
        let db = Db::open(url).await?;
        let frontier = writer::load(&db).await?;
        let committed = Arc::new(AtomicU64::new(frontier.size()));
        let (sender, rx) = mpsc::channel(CHANNEL_CAPACITY);
        tokio::spawn(Writer::new(db.clone(), rx, frontier, committed.clone()).run());
        Ok(LogStore {
            inner: Arc::new(Inner {
                db,
                sender,
                committed,
                heads: Mutex::new(()),
            }),
        })
    }

    /// The connection pool (the registry keeps its tables in the same database).
    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// Commits what is pending, stops the writer and closes the connections. Afterwards
    /// every operation, on every clone, fails.
    pub async fn close(&self) {
        let (ack, done) = oneshot::channel();
        if self.inner.sender.send(Msg::Close(ack)).await.is_ok() {
            let _ = done.await;
        }
        self.inner.db.close().await;
    }

    /// The number of committed entries.
    pub fn size(&self) -> u64 {
        self.inner.committed.load(Ordering::Acquire)
    }

    /// Appends an entry and returns once it is committed (durable).
    ///
    /// `body` is the entry's canonical bytes, hashed into the tree as leaf
    /// `SHA-256(0x00 ‖ body)`; `kind` (1 to 64 bytes of printable ASCII, no spaces) and
    /// `author` are stored beside it for lookups; the caller takes them from the body. A
    /// body already on the board is refused ([`StoreError::Duplicate`]); bad input changes
    /// nothing. An append whose future is dropped after it was handed to the writer may
    /// still be committed.
    pub async fn append(
        &self,
        kind: &str,
        author: [u8; 32],
        body: Vec<u8>,
    ) -> Result<Appended, StoreError> {
        let reply = self.submit(kind.to_owned(), author, body).await?;
        reply.await.map_err(|_| StoreError::Closed)?
    }

    /// Appends many entries, all submitted before waiting for any: they are committed in
    /// the writer's large groups. Returns each one's outcome in order; each is appended or
    /// refused on its own, as by [`LogStore::append`]. Other appends may interleave.
    pub async fn append_many(
        &self,
        entries: impl IntoIterator<Item = NewEntry>,
    ) -> Vec<Result<Appended, StoreError>> {
        let mut pending = Vec::new();
        for e in entries {
            pending.push(self.submit(e.kind, e.author, e.body).await);
        }
        let mut out = Vec::with_capacity(pending.len());
        for p in pending {
            out.push(match p {
                Ok(reply) => reply.await.unwrap_or(Err(StoreError::Closed)),
                Err(e) => Err(e),
            });
        }
        out
    }

    /// Validates and hashes an append and hands it to the writer.
    async fn submit(
        &self,
        kind: String,
        author: [u8; 32],
        body: Vec<u8>,
    ) -> Result<oneshot::Receiver<Result<Appended, StoreError>>, StoreError> {
        if kind.is_empty()
            || kind.len() > MAX_KIND_LEN
            || !kind.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(StoreError::InvalidInput(
                "an entry's kind is 1 to 64 bytes of printable ASCII without spaces",
            ));
        }
        if body.len() > MAX_BODY_LEN {
            return Err(StoreError::InvalidInput("the body is too large"));
        }
        let leaf = leaf_hash(&body);
        let body_hash = Sha256::digest(&body).into();
        let (reply, receiver) = oneshot::channel();
        self.inner
            .sender
            .send(Msg::Append(Request {
                kind,
                author,
                body,
                leaf,
                body_hash,
                reply,
            }))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(receiver)
    }

    /// The entry at `index`, if committed.
    pub async fn entry(&self, index: u64) -> Result<Option<Entry>, StoreError> {
        if index >= self.size() {
            return Ok(None);
        }
        let sql = select_entries("WHERE idx = $1");
        on_pool!(&self.inner.db, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to_i64(index)?)
                .fetch_optional(p)
                .await?;
            row.map(|r| entry_from_row(&r)).transpose()
        })
    }

    /// The committed entries with indices in `range`, in order, at most [`MAX_PAGE`] of
    /// them: ask again from the last index + 1 for more.
    pub async fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, StoreError> {
        let end = range
            .end
            .min(self.size())
            .min(range.start.saturating_add(MAX_PAGE));
        if range.start >= end {
            return Ok(Vec::new());
        }
        let sql = select_entries("WHERE idx >= $1 AND idx < $2 ORDER BY idx");
        on_pool!(&self.inner.db, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to_i64(range.start)?)
                .bind(to_i64(end)?)
                .fetch_all(p)
                .await?;
            rows.iter().map(entry_from_row).collect()
        })
    }

    /// The committed entry whose body has SHA-256 `body_hash`, if any.
    pub async fn entry_by_hash(&self, body_hash: &Hash) -> Result<Option<Entry>, StoreError> {
        let size = to_i64(self.size())?;
        let sql = select_entries("WHERE body_hash = $1 AND idx < $2");
        on_pool!(&self.inner.db, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(body_hash.as_slice())
                .bind(size)
                .fetch_optional(p)
                .await?;
            row.map(|r| entry_from_row(&r)).transpose()
        })
    }

    /// Fails unless `size` is within the committed log.
    fn check_size(&self, what: &'static str, size: u64) -> Result<(), StoreError> {
        let committed = self.size();
        if size > committed {
            return Err(StoreError::OutOfRange {
                what,
                value: size,
                limit: committed,
            });
        }
        Ok(())
    }

    /// Runs `f` against the nodes of the tree of `size` leaves, reading exactly the nodes it
    /// uses in one query (see the `nodes` module).
    async fn with_nodes<T>(&self, size: u64, f: impl Fn(&Nodes) -> T) -> Result<T, StoreError> {
        let recording = Nodes::recording(size);
        f(&recording);
        let wanted = recording.wanted();
        let found = nodes::fetch(&self.inner.db, &wanted).await?;
        Ok(f(&Nodes::fetched(size, found)))
    }

    /// The Merkle root of the first `size` entries (`size` ≤ [`LogStore::size`]).
    pub async fn root(&self, size: u64) -> Result<Hash, StoreError> {
        self.check_size("size", size)?;
        self.with_nodes(size, |n| root_at(n, size)).await
    }

    /// The proof that entry `index` is in the tree of the first `size` entries
    /// (`index < size ≤` [`LogStore::size`]).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, StoreError> {
        self.check_size("size", size)?;
        if index >= size {
            return Err(StoreError::OutOfRange {
                what: "index",
                value: index,
                limit: size,
            });
        }
        self.with_nodes(size, |n| InclusionProof::generate(n, index, size))
            .await?
            .map_err(|_| StoreError::Corrupt("proof generation failed"))
    }

    /// The proof that the first `old` entries are a prefix of the first `new`
    /// (`old ≤ new ≤` [`LogStore::size`]).
    pub async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, StoreError> {
        self.check_size("new size", new)?;
        if old > new {
            return Err(StoreError::OutOfRange {
                what: "old size",
                value: old,
                limit: new,
            });
        }
        self.with_nodes(new, |n| ConsistencyProof::generate(n, old, new))
            .await?
            .map_err(|_| StoreError::Corrupt("proof generation failed"))
    }

    /// Stores a head signed by the board operator (the caller checked the signature). Its
    /// size must be within the committed log and its root the log's root at that size; it
    /// must follow the latest stored head (same election, larger size, no earlier
    /// timestamp). Storing the same head again is a no-op.
    pub async fn store_head(&self, signed: &SignedTreeHead) -> Result<(), StoreError> {
        let head = &signed.head;
        let size = head.size;
        self.check_size("head size", size)?;
        let timestamp = to_i64(head.timestamp_ms)?;
        let _guard = self.inner.heads.lock().await;
        if let Some(stored) = self.head(size).await? {
            return if stored == *signed {
                Ok(())
            } else {
                Err(StoreError::HeadConflict { size })
            };
        }
        if let Some(latest) = self.latest_head().await? {
            if latest.head.election != head.election {
                return Err(StoreError::HeadOrder("it is for another election"));
            }
            if latest.head.size > size {
                return Err(StoreError::HeadOrder("its size is smaller"));
            }
            if latest.head.timestamp_ms > head.timestamp_ms {
                return Err(StoreError::HeadOrder("its timestamp is earlier"));
            }
        }
        if self.root(size).await? != head.root {
            return Err(StoreError::HeadMismatch { size });
        }
        on_pool!(&self.inner.db, p => {
            sqlx::query(
                "INSERT INTO heads (size, election, root, timestamp_ms, signature) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(to_i64(size)?)
            .bind(head.election.as_slice())
            .bind(head.root.as_slice())
            .bind(timestamp)
            .bind(signed.signature.as_slice())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The stored head with the largest size.
    pub async fn latest_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        on_pool!(&self.inner.db, p => {
            let row = sqlx::query(
                "SELECT size, election, root, timestamp_ms, signature FROM heads \
                 ORDER BY size DESC LIMIT 1",
            )
            .fetch_optional(p)
            .await?;
            row.map(|r| head_from_row(&r)).transpose()
        })
    }

    /// The stored head for `size`.
    pub async fn head(&self, size: u64) -> Result<Option<SignedTreeHead>, StoreError> {
        let size = to_i64(size)?;
        on_pool!(&self.inner.db, p => {
            let row = sqlx::query(
                "SELECT size, election, root, timestamp_ms, signature FROM heads WHERE size = $1",
            )
            .bind(size)
            .fetch_optional(p)
            .await?;
            row.map(|r| head_from_row(&r)).transpose()
        })
    }

    /// Stores a witness's cosignature on the head stored for `size`, after checking it
    /// verifies on that head. (Whether the witness is one the manifest lists is the
    /// caller's to check.) Storing the same cosignature again is a no-op.
    pub async fn add_cosignature(
        &self,
        size: u64,
        cosignature: &Cosignature,
    ) -> Result<(), StoreError> {
        let signed = self.head(size).await?.ok_or(StoreError::NoHead { size })?;
        cosignature
            .verify(&signed.head)
            .map_err(StoreError::BadCosignature)?;
        let cosigned_ms = to_i64(cosignature.cosigned_ms)?;
        let size_i = to_i64(size)?;
        let _guard = self.inner.heads.lock().await;
        if let Some(stored) = self
            .cosignatures(size)
            .await?
            .into_iter()
            .find(|c| c.witness == cosignature.witness)
        {
            return if stored == *cosignature {
                Ok(())
            } else {
                Err(StoreError::CosignatureConflict { size })
            };
        }
        on_pool!(&self.inner.db, p => {
            sqlx::query(
                "INSERT INTO cosignatures (size, witness, cosigned_ms, signature) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(size_i)
            .bind(cosignature.witness.as_slice())
            .bind(cosigned_ms)
            .bind(cosignature.signature.as_slice())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Stores an attachment (public bytes an entry binds by SHA-256); returns the hash.
    /// Storing the same bytes again is a no-op. Durable when it returns.
    pub async fn put_attachment(&self, format: &str, bytes: &[u8]) -> Result<Hash, StoreError> {
        if format.is_empty() || format.len() > 64 || !format.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StoreError::InvalidInput(
                "attachment format: 1 to 64 printable ASCII bytes",
            ));
        }
        if bytes.len() > MAX_BODY_LEN {
            return Err(StoreError::InvalidInput("attachment too large"));
        }
        let hash: Hash = Sha256::digest(bytes).into();
        if self.attachment(&hash).await?.is_some() {
            return Ok(hash);
        }
        on_pool!(&self.inner.db, p => {
            sqlx::query("INSERT INTO attachments (sha256, format, bytes) VALUES ($1, $2, $3)")
                .bind(hash.as_slice())
                .bind(format)
                .bind(bytes)
                .execute(p)
                .await?;
        });
        Ok(hash)
    }

    /// An attachment's format and bytes, by SHA-256.
    pub async fn attachment(&self, sha256: &Hash) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row: Option<(String, Vec<u8>)> = on_pool!(&self.inner.db, p => {
            sqlx::query_as("SELECT format, bytes FROM attachments WHERE sha256 = $1")
                .bind(sha256.as_slice())
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// The cosignatures stored for the head of `size`, ordered by witness key.
    pub async fn cosignatures(&self, size: u64) -> Result<Vec<Cosignature>, StoreError> {
        let size = to_i64(size)?;
        on_pool!(&self.inner.db, p => {
            let rows = sqlx::query(
                "SELECT witness, cosigned_ms, signature FROM cosignatures \
                 WHERE size = $1 ORDER BY witness",
            )
            .bind(size)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Cosignature {
                        witness: get_array(r, 0)?,
                        cosigned_ms: get_u64(r, 1)?,
                        signature: get_array(r, 2)?,
                    })
                })
                .collect()
        })
    }
}

/// `SELECT <entry columns> FROM entries <rest>`.
fn select_entries(rest: &str) -> String {
    format!("SELECT {ENTRY_COLUMNS} FROM entries {rest}")
}

fn entry_from_row<'r, R>(row: &'r R) -> Result<Entry, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Entry {
        index: get_u64(row, 0)?,
        leaf_hash: get_array(row, 1)?,
        body_hash: get_array(row, 2)?,
        kind: get(row, 3)?,
        author: get_array(row, 4)?,
        body: get(row, 5)?,
    })
}

fn head_from_row<'r, R>(row: &'r R) -> Result<SignedTreeHead, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(SignedTreeHead {
        head: TreeHead {
            size: get_u64(row, 0)?,
            election: get_array(row, 1)?,
            root: get_array(row, 2)?,
            timestamp_ms: get_u64(row, 3)?,
        },
        signature: get_array(row, 4)?,
    })
}
