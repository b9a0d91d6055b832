//! The one writer: every append goes through a single task that owns the log's frontier
//! and commits appends in groups.
//!
//! Callers send requests over a bounded channel and wait on a oneshot reply, sent only after
//! the transaction holding their entry **committed**. The writer takes whatever is pending
//! (up to [`MAX_GROUP`]) and writes it in one transaction: the entries and the nodes each
//! completes, computed from the in-memory [`Frontier`] without reading anything. One commit,
//! one `fsync`, for the whole group.
//!
//! A body already on the board, or repeated within the group, is refused with
//! [`StoreError::Duplicate`] and takes no index; the rest of the group goes on. If the
//! group's transaction fails anyway, every request in it is retried alone, each in its own
//! transaction, so that one bad request never fails the others. After any failure the
//! frontier is read back from the database before the next write (a failed `COMMIT` may
//! have committed after all).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sawt_board::Hash;
use sqlx::AssertSqlSafe;
use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, get_array, get_u64, on_pool, to_i64};
use crate::frontier::Frontier;
use crate::{Appended, StoreError, nodes};

/// The most requests written in one transaction.
pub(crate) const MAX_GROUP: usize = 1024;
/// Requests waiting for the writer before `append` itself waits.
pub(crate) const CHANNEL_CAPACITY: usize = 4096;
/// SQLite: rows per multi-row `INSERT` (6 placeholders each) and hashes per `IN` list.
const SQLITE_ROWS: usize = 256;
/// PostgreSQL: most body bytes sent in one `INSERT` (a parameter is at most 1 GB).
const POSTGRES_CHUNK_BYTES: usize = 64 << 20;

/// Test builds only: a request of this kind makes its transaction fail, alone or in a group.
#[cfg(test)]
pub(crate) const POISON_KIND: &str = "test.poison";

/// One append, validated and hashed by the caller.
pub(crate) struct Request {
    pub(crate) kind: String,
    pub(crate) author: [u8; 32],
    pub(crate) body: Vec<u8>,
    pub(crate) leaf: Hash,
    pub(crate) body_hash: Hash,
    pub(crate) reply: oneshot::Sender<Result<Appended, StoreError>>,
}

/// What the writer receives.
pub(crate) enum Msg {
    Append(Request),
    /// Write what came before, refuse what comes after, stop, and acknowledge.
    Close(oneshot::Sender<()>),
}

pub(crate) struct Writer {
    db: Db,
    rx: mpsc::Receiver<Msg>,
    /// `None` after a failure: read back from the database before the next write.
    frontier: Option<Frontier>,
    /// The committed size, published after each commit and before the replies.
    committed: Arc<AtomicU64>,
}

/// Reads the log's size and frontier.
pub(crate) async fn load(db: &Db) -> Result<Frontier, StoreError> {
    let size = on_pool!(db, p => {
        let row = sqlx::query("SELECT COALESCE(MAX(idx), -1) + 1 FROM entries")
            .fetch_one(p)
            .await?;
        get_u64(&row, 0)?
    });
    let positions: Vec<_> = Frontier::positions(size).collect();
    let found = nodes::fetch(db, &positions).await?;
    Frontier::from_nodes(size, |l, i| found.get(&(l, i)).copied()).ok_or(StoreError::Corrupt(
        "a node of the tree's right edge is missing",
    ))
}

impl Writer {
    pub(crate) fn new(
        db: Db,
        rx: mpsc::Receiver<Msg>,
        frontier: Frontier,
        committed: Arc<AtomicU64>,
    ) -> Self {
        Writer {
            db,
            rx,
            frontier: Some(frontier),
            committed,
        }
    }

    /// Serves requests until every sender is gone or a `Close` arrives.
    pub(crate) async fn run(mut self) {
        let mut msgs = Vec::with_capacity(MAX_GROUP);
        loop {
            if self.rx.recv_many(&mut msgs, MAX_GROUP).await == 0 {
                return;
            }
            let mut group = Vec::with_capacity(msgs.len());
            let mut closes = Vec::new();
            for m in msgs.drain(..) {
                match m {
                    Msg::Append(r) if closes.is_empty() => group.push(r),
                    Msg::Append(r) => {
                        let _ = r.reply.send(Err(StoreError::Closed));
                    }
                    Msg::Close(ack) => closes.push(ack),
                }
            }
            self.write_group(group).await;
            // Let the callers just answered, which often run on this thread, submit their
            // next appends before the next group is taken: larger groups, fewer commits.
            tokio::task::yield_now().await;
            if !closes.is_empty() {
                self.rx.close();
                while let Ok(m) = self.rx.try_recv() {
                    match m {
                        Msg::Append(r) => {
                            let _ = r.reply.send(Err(StoreError::Closed));
                        }
                        Msg::Close(ack) => closes.push(ack),
                    }
                }
                for ack in closes {
                    let _ = ack.send(());
                }
                return;
            }
        }
    }

    /// Writes a group and replies to each request.
    async fn write_group(&mut self, group: Vec<Request>) {
        if group.is_empty() {
            return;
        }
        match self.write(&group).await {
            Ok(outcomes) => {
                for (r, o) in group.into_iter().zip(outcomes) {
                    let _ = r.reply.send(o);
                }
            }
            Err(e) if group.len() == 1 => {
                let _ = group.into_iter().next().map(|r| r.reply.send(Err(e)));
            }
            Err(_) => {
                // One request may be at fault: retry each alone so only it fails.
                for r in group {
                    let one = [r];
                    let outcome = match self.write(&one).await {
                        Ok(mut o) => o.pop().unwrap_or(Err(StoreError::Closed)),
                        Err(e) => Err(e),
                    };
                    let [r] = one;
                    let _ = r.reply.send(outcome);
                }
            }
        }
    }

    /// Writes a group in one transaction and returns each request's outcome. On error
    /// nothing of the group is in the log, and the frontier will be read back.
    async fn write(
        &mut self,
        group: &[Request],
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        let mut frontier = match self.frontier.take() {
            Some(f) => f,
            None => load(&self.db).await?,
        };
        let on_board = self.on_board(group).await?;
        let mut in_group: HashMap<Hash, u64> = HashMap::with_capacity(group.len());
        let mut outcomes = Vec::with_capacity(group.len());
        let mut rows: Vec<(u64, &Request)> = Vec::with_capacity(group.len());
        let mut new_nodes = Vec::with_capacity(2 * group.len() + 64);
        for r in group {
            if let Some(&index) = on_board.get(&r.body_hash).or(in_group.get(&r.body_hash)) {
                outcomes.push(Err(StoreError::Duplicate { index }));
                continue;
            }
            let index = frontier.size();
            frontier.push(r.leaf, &mut new_nodes);
            in_group.insert(r.body_hash, index);
            rows.push((index, r));
            outcomes.push(Ok(Appended {
                index,
                leaf_hash: r.leaf,
            }));
        }
        if !rows.is_empty() {
            self.insert(&rows, &new_nodes).await?;
        }
        self.committed.store(frontier.size(), Ordering::Release);
        self.frontier = Some(frontier);
        Ok(outcomes)
    }

    /// The indices of the group's bodies already on the board.
    async fn on_board(&self, group: &[Request]) -> Result<HashMap<Hash, u64>, StoreError> {
        let mut hashes: Vec<&[u8]> = group.iter().map(|r| r.body_hash.as_slice()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut found = HashMap::new();
        match &self.db {
            Db::Sqlite(pool) => {
                for chunk in hashes.chunks(SQLITE_ROWS) {
                    let mut sql =
                        String::from("SELECT body_hash, idx FROM entries WHERE body_hash IN (");
                    push_placeholders(&mut sql, chunk.len());
                    sql.push(')');
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for h in chunk {
                        q = q.bind(*h);
                    }
                    for row in q.fetch_all(pool).await? {
                        found.insert(get_array(&row, 0)?, get_u64(&row, 1)?);
                    }
                }
            }
            Db::Postgres(pool) => {
                let rows =
                    sqlx::query("SELECT body_hash, idx FROM entries WHERE body_hash = ANY($1)")
                        .bind(&hashes)
                        .fetch_all(pool)
                        .await?;
                for row in rows {
                    found.insert(get_array(&row, 0)?, get_u64(&row, 1)?);
                }
            }
        }
        Ok(found)
    }

    /// Inserts entries and nodes in one transaction and commits.
    async fn insert(
        &self,
        rows: &[(u64, &Request)],
        new_nodes: &[(u32, u64, Hash)],
    ) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for chunk in rows.chunks(SQLITE_ROWS) {
                    let mut sql = String::from(
                        "INSERT INTO entries (idx, leaf_hash, body_hash, kind, author, body) VALUES ",
                    );
                    push_tuples(&mut sql, chunk.len(), 6);
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (index, r) in chunk {
                        q = q
                            .bind(to_i64(*index)?)
                            .bind(r.leaf.as_slice())
                            .bind(r.body_hash.as_slice())
                            .bind(r.kind.as_str())
                            .bind(r.author.as_slice())
                            .bind(r.body.as_slice());
                    }
                    q.execute(&mut *tx).await?;
                }
                for chunk in new_nodes.chunks(2 * SQLITE_ROWS) {
                    let mut sql = String::from("INSERT INTO nodes (level, idx, hash) VALUES ");
                    push_tuples(&mut sql, chunk.len(), 3);
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (level, index, hash) in chunk {
                        q = q
                            .bind(*level as i32)
                            .bind(to_i64(*index)?)
                            .bind(hash.as_slice());
                    }
                    q.execute(&mut *tx).await?;
                }
                poison(rows)?;
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let mut start = 0;
                while start < rows.len() {
                    // As many rows as fit the byte budget, at least one.
                    let mut end = start + 1;
                    let mut bytes = rows[start].1.body.len();
                    while end < rows.len() && bytes + rows[end].1.body.len() <= POSTGRES_CHUNK_BYTES
                    {
                        bytes += rows[end].1.body.len();
                        end += 1;
                    }
                    let chunk = &rows[start..end];
                    let idx = chunk
                        .iter()
                        .map(|(i, _)| to_i64(*i))
                        .collect::<Result<Vec<_>, _>>()?;
                    let leaf: Vec<&[u8]> = chunk.iter().map(|(_, r)| r.leaf.as_slice()).collect();
                    let body_hash: Vec<&[u8]> =
                        chunk.iter().map(|(_, r)| r.body_hash.as_slice()).collect();
                    let kind: Vec<&str> = chunk.iter().map(|(_, r)| r.kind.as_str()).collect();
                    let author: Vec<&[u8]> =
                        chunk.iter().map(|(_, r)| r.author.as_slice()).collect();
                    let body: Vec<&[u8]> = chunk.iter().map(|(_, r)| r.body.as_slice()).collect();
                    sqlx::query(
                        "INSERT INTO entries (idx, leaf_hash, body_hash, kind, author, body) \
                         SELECT * FROM UNNEST($1::int8[], $2::bytea[], $3::bytea[], $4::text[], \
                         $5::bytea[], $6::bytea[])",
                    )
                    .bind(&idx)
                    .bind(&leaf)
                    .bind(&body_hash)
                    .bind(&kind)
                    .bind(&author)
                    .bind(&body)
                    .execute(&mut *tx)
                    .await?;
                    start = end;
                }
                let level: Vec<i32> = new_nodes.iter().map(|n| n.0 as i32).collect();
                let idx = new_nodes
                    .iter()
                    .map(|n| to_i64(n.1))
                    .collect::<Result<Vec<_>, _>>()?;
                let hash: Vec<&[u8]> = new_nodes.iter().map(|n| n.2.as_slice()).collect();
                sqlx::query(
                    "INSERT INTO nodes (level, idx, hash) \
                     SELECT * FROM UNNEST($1::int4[], $2::int8[], $3::bytea[])",
                )
                .bind(&level)
                .bind(&idx)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
                poison(rows)?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// Test builds only: fails the transaction (rolled back on drop) if a poisoned request is in it.
#[cfg(test)]
fn poison(rows: &[(u64, &Request)]) -> Result<(), StoreError> {
    if rows.iter().any(|(_, r)| r.kind == POISON_KIND) {
        return Err(StoreError::Corrupt("poisoned request (test)"));
    }
    Ok(())
}

#[cfg(not(test))]
#[inline(always)]
fn poison(_: &[(u64, &Request)]) -> Result<(), StoreError> {
    Ok(())
}

/// Appends `n` anonymous placeholders `?, ?, …` to `sql`. (Numbered ones would cost
/// O(n²): the driver looks each one's name up, and SQLite finds a name by a linear scan.)
fn push_placeholders(sql: &mut String, n: usize) {
    for k in 0..n {
        sql.push_str(if k == 0 { "?" } else { ", ?" });
    }
}

/// Appends `n` tuples of `width` anonymous placeholders to `sql`.
fn push_tuples(sql: &mut String, n: usize, width: usize) {
    for k in 0..n {
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_placeholders(sql, width);
        sql.push(')');
    }
}

#[cfg(test)]
mod tests {
    use sawt_board::hash::leaf_hash;
    use sawt_board::tree::MemoryTree;
    use sha2::{Digest, Sha256};

    use super::*;

    fn request(
        kind: &str,
        body: &[u8],
    ) -> (Request, oneshot::Receiver<Result<Appended, StoreError>>) {
        let (reply, rx) = oneshot::channel();
        let r = Request {
            kind: kind.to_owned(),
            author: [1; 32],
            body: body.to_vec(),
            leaf: leaf_hash(body),
            body_hash: Sha256::digest(body).into(),
            reply,
        };
        (r, rx)
    }

    /// A group whose transaction fails is retried request by request: only the bad request
    /// fails, and duplicates are still refused.
    async fn one_failing_request_fails_alone(url: &str) {
        let db = Db::open(url).await.expect("open");
        let frontier = load(&db).await.expect("load");
        let committed = Arc::new(AtomicU64::new(0));
        let (_tx, rx) = mpsc::channel(1);
        let mut writer = Writer::new(db.clone(), rx, frontier, committed.clone());

        let mut group = Vec::new();
        let mut replies = Vec::new();
        for (kind, body) in [
            ("test.ok", &b"a"[..]),
            ("test.ok", b"b"),
            (POISON_KIND, b"poison"),
            ("test.ok", b"c"),
            ("test.ok", b"a"),
        ] {
            let (r, rx) = request(kind, body);
            group.push(r);
            replies.push(rx);
        }
        writer.write_group(group).await;
        let mut outcomes = Vec::new();
        for rx in replies {
            outcomes.push(rx.await.expect("a reply for every request"));
        }
        assert_eq!(outcomes[0].as_ref().map(|a| a.index).ok(), Some(0));
        assert_eq!(outcomes[1].as_ref().map(|a| a.index).ok(), Some(1));
        assert!(matches!(outcomes[2], Err(StoreError::Corrupt(_))));
        assert_eq!(outcomes[3].as_ref().map(|a| a.index).ok(), Some(2));
        assert!(matches!(
            outcomes[4],
            Err(StoreError::Duplicate { index: 0 })
        ));
        assert_eq!(committed.load(Ordering::Acquire), 3);

        // The log is exactly a, b, c, nodes included.
        let reloaded = load(&db).await.expect("load");
        let mut reference = MemoryTree::new();
        for b in [&b"a"[..], b"b", b"c"] {
            reference.push(b);
        }
        assert_eq!(reloaded.size(), 3);
        assert_eq!(reloaded.root(), reference.root());
        // And the writer goes on from there.
        let (r, rx) = request("test.ok", b"d");
        writer.write_group(vec![r]).await;
        assert_eq!(rx.await.expect("reply").map(|a| a.index).ok(), Some(3));
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_failing_request_fails_alone_sqlite() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        one_failing_request_fails_alone(&url).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_failing_request_fails_alone_postgres() {
        // The conformance suite (tests/store.rs) enforces PostgreSQL's presence in CI.
        let Ok(admin) = std::env::var("SAWT_TEST_POSTGRES_URL") else {
            eprintln!("skipped: SAWT_TEST_POSTGRES_URL is unset");
            return;
        };
        let scratch = crate::scratch::ScratchDatabase::create(&admin)
            .await
            .expect("scratch database");
        one_failing_request_fails_alone(scratch.url()).await;
        scratch.drop_database().await.expect("drop");
    }
}
