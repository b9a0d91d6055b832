//! The storage conformance suite: every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (a temporary file; a uniquely named database created through
//! `SAWT_TEST_POSTGRES_URL` and dropped afterwards).
//!
//! Without `SAWT_TEST_POSTGRES_URL` the PostgreSQL half is skipped, except when `CI=true`,
//! where it fails: `scripts/test` starts a throwaway server and sets the variable.

use std::collections::BTreeSet;

use sawt_board::hash::{empty_root, leaf_hash};
use sawt_board::head::{Cosignature, SignedTreeHead, TreeHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::tree::{MemoryTree, NodeSource, root_at};
use sawt_board::witness::Witness;
use sawt_board::{Hash, SigningKey};
use sawt_server::scratch::ScratchDatabase;
use sawt_server::{Backend, LogStore, MAX_PAGE, NewEntry, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection};

/// A fresh database for one test.
struct TestDb {
    backend: Backend,
    url: String,
    _dir: Option<tempfile::TempDir>,
    scratch: Option<ScratchDatabase>,
}

/// The PostgreSQL server's administrator URL, if the tests have one.
fn postgres_admin_url() -> Option<String> {
    match std::env::var("SAWT_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "CI=true but SAWT_TEST_POSTGRES_URL is unset: the PostgreSQL conformance tests \
             must run in CI (run them through scripts/test)"
        ),
        _ => {
            eprintln!("skipped: SAWT_TEST_POSTGRES_URL is unset (scripts/test sets it)");
            None
        }
    }
}

impl TestDb {
    async fn fresh(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("board.db").display()
                );
                Some(TestDb {
                    backend,
                    url,
                    _dir: Some(dir),
                    scratch: None,
                })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let scratch = ScratchDatabase::create(&admin)
                    .await
                    .expect("create a scratch database");
                Some(TestDb {
                    backend,
                    url: scratch.url().to_owned(),
                    _dir: None,
                    scratch: Some(scratch),
                })
            }
        }
    }

    async fn open(&self) -> LogStore {
        let store = LogStore::open(&self.url).await.expect("open the store");
        assert_eq!(store.backend(), self.backend);
        store
    }

    /// Runs one statement on a connection of its own, as an intruder with SQL access would.
    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
                let r = sqlx::query(sql)
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected());
                c.close().await?;
                r
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await?;
                let r = sqlx::query(sql)
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected());
                c.close().await?;
                r
            }
        }
    }

    /// A byte string of `n` zero bytes in this backend's SQL.
    fn zeros(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => format!("zeroblob({n})"),
            Backend::Postgres => format!("decode(repeat('00', {n}), 'hex')"),
        }
    }

    async fn finish(self) {
        if let Some(s) = self.scratch {
            s.drop_database().await.expect("drop the scratch database");
        }
    }
}

/// Each conformance test, once per backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::TestDb::fresh(sawt_server::Backend::Sqlite).await.expect("sqlite");
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = super::TestDb::fresh(sawt_server::Backend::Postgres).await {
                        super::$name(&db).await;
                        db.finish().await;
                    }
                }
            )*
        }
    };
}

conformance!(
    appends_and_proofs_match_the_reference_tree,
    concurrent_appends_land_exactly_once,
    duplicate_bodies_are_refused_and_change_nothing,
    reopening_recovers_size_frontier_and_roots,
    updates_and_deletes_are_refused_by_the_database,
    heads_and_cosignatures_are_checked_and_kept,
);

fn body(i: u64) -> Vec<u8> {
    format!(
        "{{\"entry\":{i},\"pad\":\"{}\"}}",
        "x".repeat((i % 13) as usize)
    )
    .into_bytes()
}

fn author(i: u64) -> [u8; 32] {
    [(i % 251) as u8; 32]
}

fn kind(i: u64) -> &'static str {
    ["ballot.cast", "credential.enrol", "manifest"][(i % 3) as usize]
}

fn sha256(b: &[u8]) -> Hash {
    Sha256::digest(b).into()
}

/// The reference tree of the store's entries, read back in index order (paged).
async fn reference_of(store: &LogStore) -> MemoryTree {
    let mut tree = MemoryTree::new();
    let mut next = 0;
    loop {
        let page = store.entries(next..u64::MAX).await.expect("entries");
        assert!(page.len() as u64 <= MAX_PAGE);
        if page.is_empty() {
            break;
        }
        for e in page {
            assert_eq!(e.index, next, "entries are contiguous and ordered");
            assert_eq!(e.leaf_hash, leaf_hash(&e.body));
            assert_eq!(e.body_hash, sha256(&e.body));
            tree.push(&e.body);
            next += 1;
        }
    }
    assert_eq!(next, store.size());
    tree
}

/// Checks the store's root at every size in `sizes`, and proofs between them, against the
/// reference; every proof byte-equal and verifying.
async fn check_against(store: &LogStore, reference: &MemoryTree, sizes: &[u64]) {
    for &n in sizes {
        let root = root_at(reference, n);
        assert_eq!(store.root(n).await.expect("root"), root, "root at size {n}");
        let indices: BTreeSet<u64> = [0, n / 3, n / 2, n.saturating_sub(1)]
            .into_iter()
            .filter(|&i| i < n)
            .collect();
        for i in indices {
            let p = store.inclusion_proof(i, n).await.expect("inclusion proof");
            assert_eq!(
                p,
                InclusionProof::generate(reference, i, n).expect("reference")
            );
            p.verify(&reference.node(0, i), n, &root).expect("verifies");
        }
        for &m in sizes.iter().filter(|&&m| m <= n) {
            let p = store
                .consistency_proof(m, n)
                .await
                .expect("consistency proof");
            assert_eq!(
                p,
                ConsistencyProof::generate(reference, m, n).expect("reference")
            );
            p.verify((m, &root_at(reference, m)), (n, &root))
                .expect("verifies");
        }
    }
}

async fn appends_and_proofs_match_the_reference_tree(db: &TestDb) {
    const N: u64 = 70;
    let store = db.open().await;
    assert_eq!(store.size(), 0);
    assert_eq!(store.root(0).await.expect("root"), empty_root());
    let mut reference = MemoryTree::new();
    for i in 0..N {
        let a = store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
        assert_eq!(a.index, reference.push(&body(i)));
        assert_eq!(a.leaf_hash, leaf_hash(&body(i)));
        assert_eq!(
            store.size(),
            i + 1,
            "durable and visible when append returns"
        );
        assert_eq!(store.root(i + 1).await.expect("root"), reference.root());
    }
    // Every root, every inclusion proof, every consistency proof.
    for n in 0..=N {
        let root = root_at(&reference, n);
        assert_eq!(store.root(n).await.expect("root"), root);
        for i in 0..n {
            let p = store.inclusion_proof(i, n).await.expect("inclusion proof");
            assert_eq!(
                p,
                InclusionProof::generate(&reference, i, n).expect("reference")
            );
            p.verify(&leaf_hash(&body(i)), n, &root)
                .expect("inclusion verifies");
        }
        for m in 0..=n {
            let p = store
                .consistency_proof(m, n)
                .await
                .expect("consistency proof");
            assert_eq!(
                p,
                ConsistencyProof::generate(&reference, m, n).expect("reference")
            );
            p.verify((m, &root_at(&reference, m)), (n, &root))
                .expect("consistency verifies");
        }
    }
    // Out of range.
    fn out_of_range<T>(r: Result<T, StoreError>) -> bool {
        matches!(r, Err(StoreError::OutOfRange { .. }))
    }
    assert!(out_of_range(store.inclusion_proof(N, N).await));
    assert!(out_of_range(store.inclusion_proof(0, N + 1).await));
    assert!(out_of_range(store.consistency_proof(5, 4).await));
    assert!(out_of_range(store.consistency_proof(0, N + 1).await));
    assert!(out_of_range(store.root(N + 1).await));
    // Entries read back.
    let e = store.entry(5).await.expect("read").expect("entry 5");
    assert_eq!(
        (e.index, e.kind.as_str(), e.author, e.body.clone()),
        (5, kind(5), author(5), body(5))
    );
    assert_eq!(
        (e.leaf_hash, e.body_hash),
        (leaf_hash(&body(5)), sha256(&body(5)))
    );
    assert!(store.entry(N).await.expect("read").is_none());
    let page = store.entries(3..10).await.expect("entries");
    assert_eq!(
        page.iter().map(|e| e.index).collect::<Vec<_>>(),
        (3..10).collect::<Vec<_>>()
    );
    let (from, to) = (10, 3);
    assert!(store.entries(from..to).await.expect("entries").is_empty());
    assert_eq!(
        store.entries(0..u64::MAX).await.expect("entries").len() as u64,
        N
    );
    let by_hash = store.entry_by_hash(&sha256(&body(9))).await.expect("read");
    assert_eq!(by_hash.map(|e| e.index), Some(9));
    assert!(store.entry_by_hash(&[0; 32]).await.expect("read").is_none());
    store.close().await;
}

async fn concurrent_appends_land_exactly_once(db: &TestDb) {
    const TASKS: u64 = 64;
    const EACH: u64 = 25;
    let store = db.open().await;
    let handles: Vec<_> = (0..TASKS)
        .map(|t| {
            let s = store.clone();
            tokio::spawn(async move {
                let mut out = Vec::new();
                for k in 0..EACH {
                    let i = t * EACH + k;
                    let a = s
                        .append("test.concurrent", author(i), body(i))
                        .await
                        .expect("append");
                    out.push((i, a));
                }
                out
            })
        })
        .collect();
    let mut landed = Vec::new();
    for h in handles {
        landed.extend(h.await.expect("task"));
    }
    let indices: BTreeSet<u64> = landed.iter().map(|(_, a)| a.index).collect();
    assert_eq!(indices.len() as u64, TASKS * EACH, "distinct indices");
    assert_eq!(indices, (0..TASKS * EACH).collect(), "no gaps");
    assert_eq!(store.size(), TASKS * EACH);
    for (i, a) in &landed {
        let e = store.entry(a.index).await.expect("read").expect("entry");
        assert_eq!(e.body, body(*i), "entry {i} is where its append said");
        assert_eq!(a.leaf_hash, leaf_hash(&body(*i)));
    }

    // Then many more at once, more than one group.
    let base = store.size();
    let outcomes = store
        .append_many((10_000..13_000).map(|i| NewEntry {
            kind: "test.many".into(),
            author: author(i),
            body: body(i),
        }))
        .await;
    for (k, o) in outcomes.iter().enumerate() {
        assert_eq!(o.as_ref().expect("appended").index, base + k as u64);
    }
    let reference = reference_of(&store).await;
    assert_eq!(reference.size(), base + 3000);
    let n = reference.size();
    check_against(
        &store,
        &reference,
        &[0, 1, 63, 64, 65, 1000, base, base + 1, n - 1, n],
    )
    .await;
    store.close().await;
}

async fn duplicate_bodies_are_refused_and_change_nothing(db: &TestDb) {
    let store = db.open().await;
    for i in 0..3 {
        store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
    }
    let root = store.root(3).await.expect("root");
    let dup = store.append("other.kind", [42; 32], body(1)).await;
    assert!(
        matches!(dup, Err(StoreError::Duplicate { index: 1 })),
        "{dup:?}"
    );
    assert_eq!(store.size(), 3);
    assert_eq!(store.root(3).await.expect("root"), root);
    let e = store.entry(1).await.expect("read").expect("entry");
    assert_eq!(
        (e.kind.as_str(), e.author),
        (kind(1), author(1)),
        "the original stays"
    );

    // Bad input changes nothing.
    for bad in ["", "has space", "tab\t", "ü", &"k".repeat(65)] {
        let r = store.append(bad, [0; 32], b"fresh body".to_vec()).await;
        assert!(
            matches!(r, Err(StoreError::InvalidInput(_))),
            "{bad:?}: {r:?}"
        );
    }
    assert_eq!(store.size(), 3);

    // Racing duplicates: exactly one lands, the others point at it; the rest of their
    // groups are unaffected.
    let handles: Vec<_> = (0..32u64)
        .map(|t| {
            let s = store.clone();
            tokio::spawn(async move {
                let same = s.append("test.same", author(t), body(100)).await;
                let own = s.append("test.own", author(t), body(200 + t)).await;
                (same, own)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut pointers = Vec::new();
    for h in handles {
        let (same, own) = h.await.expect("task");
        own.expect("a unique body lands");
        match same {
            Ok(a) => winners.push(a.index),
            Err(StoreError::Duplicate { index }) => pointers.push(index),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(pointers.len(), 31);
    assert!(pointers.iter().all(|&p| p == winners[0]));
    assert_eq!(store.size(), 3 + 1 + 32);

    // Duplicates within one batch, and of the board.
    let outcomes = store
        .append_many([500, 500, 501, 2].map(|i| NewEntry {
            kind: "test.batch".into(),
            author: author(i),
            body: body(i),
        }))
        .await;
    let first = outcomes[0].as_ref().expect("first lands").index;
    assert!(matches!(outcomes[1], Err(StoreError::Duplicate { index }) if index == first));
    assert_eq!(outcomes[2].as_ref().expect("lands").index, first + 1);
    assert!(matches!(
        outcomes[3],
        Err(StoreError::Duplicate { index: 2 })
    ));
    assert_eq!(store.size(), 38);

    let reference = reference_of(&store).await;
    check_against(&store, &reference, &[3, 4, 36, 38]).await;
    store.close().await;
}

async fn reopening_recovers_size_frontier_and_roots(db: &TestDb) {
    let mut reference = MemoryTree::new();
    let store = db.open().await;
    for i in 0..37 {
        store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
        reference.push(&body(i));
    }
    let key = SigningKey::from_bytes(&[3; 32]);
    let head = TreeHead {
        election: [5; 32],
        size: 37,
        root: reference.root(),
        timestamp_ms: 1_000,
    }
    .sign(&key);
    store.store_head(&head).await.expect("head");
    store.close().await;

    let store = db.open().await;
    assert_eq!(store.size(), 37);
    assert_eq!(store.latest_head().await.expect("read"), Some(head));
    for n in 0..=37 {
        assert_eq!(store.root(n).await.expect("root"), root_at(&reference, n));
    }
    // The recovered frontier computes the right nodes for what comes next.
    for i in 37..67 {
        let a = store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
        assert_eq!(a.index, reference.push(&body(i)));
        assert_eq!(store.root(i + 1).await.expect("root"), reference.root());
    }
    store.close().await;

    let store = db.open().await;
    assert_eq!(store.size(), 67);
    check_against(&store, &reference, &[0, 1, 31, 32, 37, 64, 66, 67]).await;
    let dup = store.append("again", [0; 32], body(40)).await;
    assert!(matches!(dup, Err(StoreError::Duplicate { index: 40 })));
    store.close().await;
}

async fn updates_and_deletes_are_refused_by_the_database(db: &TestDb) {
    let store = db.open().await;
    let mut reference = MemoryTree::new();
    for i in 0..10 {
        store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
        reference.push(&body(i));
    }
    let key = SigningKey::from_bytes(&[3; 32]);
    let election = [5; 32];
    let head = TreeHead {
        election,
        size: 10,
        root: reference.root(),
        timestamp_ms: 7,
    }
    .sign(&key);
    store.store_head(&head).await.expect("head");
    let mut witness = Witness::new(
        SigningKey::from_bytes(&[4; 32]),
        key.verifying_key(),
        election,
        None,
    );
    let proof = store.consistency_proof(0, 10).await.expect("proof");
    let cosignature = witness.cosign(&head, &proof, 8).expect("cosign");
    store
        .add_cosignature(10, &cosignature)
        .await
        .expect("cosignature");

    let z32 = db.zeros(32);
    let z64 = db.zeros(64);
    let mut attacks = vec![
        "UPDATE entries SET kind = 'forged' WHERE idx = 0".to_owned(),
        "UPDATE entries SET body = body".to_owned(),
        "DELETE FROM entries WHERE idx = 9".to_owned(),
        "DELETE FROM entries".to_owned(),
        "UPDATE nodes SET hash = hash".to_owned(),
        "DELETE FROM nodes WHERE level = 0".to_owned(),
        "UPDATE heads SET timestamp_ms = 0".to_owned(),
        "DELETE FROM heads".to_owned(),
        "UPDATE cosignatures SET cosigned_ms = 0".to_owned(),
        "DELETE FROM cosignatures".to_owned(),
        // Appending past the end, leaving a gap.
        format!(
            "INSERT INTO entries (idx, leaf_hash, body_hash, kind, author, body) \
             VALUES (20, {z32}, {z32}, 'gap', {z32}, {z32})"
        ),
        // A head beyond the log.
        format!(
            "INSERT INTO heads (size, election, root, timestamp_ms, signature) \
             VALUES (11, {z32}, {z32}, 9, {z64})"
        ),
        // Rewriting by upsert.
        format!(
            "INSERT INTO nodes (level, idx, hash) VALUES (0, 0, {z32}) \
             ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash"
        ),
    ];
    match db.backend {
        Backend::Sqlite => attacks.extend([
            // REPLACE deletes the conflicting row without firing DELETE triggers.
            format!(
                "INSERT OR REPLACE INTO entries (idx, leaf_hash, body_hash, kind, author, body) \
                 VALUES (0, {z32}, {z32}, 'forged', {z32}, {z32})"
            ),
            "REPLACE INTO entries (idx, leaf_hash, body_hash, kind, author, body) \
                 SELECT 10, leaf_hash, body_hash, 'moved', author, body FROM entries WHERE idx = 3"
                .to_owned(),
            format!("INSERT OR REPLACE INTO nodes (level, idx, hash) VALUES (0, 0, {z32})"),
            format!(
                "INSERT OR REPLACE INTO heads (size, election, root, timestamp_ms, signature) \
                 VALUES (10, {z32}, {z32}, 9, {z64})"
            ),
            format!(
                "INSERT OR REPLACE INTO cosignatures (size, witness, cosigned_ms, signature) \
                 SELECT size, witness, 0, {z64} FROM cosignatures"
            ),
        ]),
        Backend::Postgres => attacks.extend([
            "TRUNCATE entries".to_owned(),
            "TRUNCATE nodes".to_owned(),
            "TRUNCATE cosignatures".to_owned(),
            "TRUNCATE heads CASCADE".to_owned(),
        ]),
    }
    for sql in &attacks {
        let refused = db.raw(sql).await.expect_err(sql);
        // Refused by the schema's own triggers, not for some other reason.
        assert!(
            refused.to_string().contains("sawt:"),
            "{sql}: refused, but not by a trigger: {refused}"
        );
    }

    // Nothing changed, in this store or a reopened one.
    assert_eq!(store.size(), 10);
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.size(), 10);
    assert_eq!(reference_of(&store).await, reference);
    check_against(&store, &reference, &[1, 5, 8, 10]).await;
    assert_eq!(store.latest_head().await.expect("read"), Some(head));
    assert_eq!(
        store.cosignatures(10).await.expect("read"),
        vec![cosignature]
    );
    let e = store.entry(0).await.expect("read").expect("entry");
    assert_eq!(e.kind, kind(0));
    // And appending still works after the attempts.
    let a = store
        .append("after", [0; 32], body(10))
        .await
        .expect("append");
    assert_eq!(a.index, reference.push(&body(10)));
    assert_eq!(store.root(11).await.expect("root"), reference.root());
    store.close().await;
}

async fn heads_and_cosignatures_are_checked_and_kept(db: &TestDb) {
    let store = db.open().await;
    let key = SigningKey::from_bytes(&[1; 32]);
    let election = [9; 32];
    for i in 0..5 {
        store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
    }
    let sign = |size, root, timestamp_ms, election| {
        TreeHead {
            election,
            size,
            root,
            timestamp_ms,
        }
        .sign(&key)
    };
    let root5 = store.root(5).await.expect("root");
    let h5 = sign(5, root5, 1_000, election);
    assert_eq!(store.latest_head().await.expect("read"), None);
    store.store_head(&h5).await.expect("store");
    store
        .store_head(&h5)
        .await
        .expect("storing the same head again is a no-op");
    assert_eq!(store.latest_head().await.expect("read"), Some(h5));
    assert_eq!(store.head(5).await.expect("read"), Some(h5));
    assert_eq!(store.head(4).await.expect("read"), None);
    let other5 = sign(5, root5, 2_000, election);
    assert!(matches!(
        store.store_head(&other5).await,
        Err(StoreError::HeadConflict { size: 5 })
    ));

    for i in 5..8 {
        store
            .append(kind(i), author(i), body(i))
            .await
            .expect("append");
    }
    let root8 = store.root(8).await.expect("root");
    type Expected = fn(&StoreError) -> bool;
    let refused: [(SignedTreeHead, Expected); 5] = [
        (sign(8, root5, 3_000, election), |e| {
            matches!(e, StoreError::HeadMismatch { size: 8 })
        }),
        (sign(8, root8, 999, election), |e| {
            matches!(e, StoreError::HeadOrder(_))
        }),
        (sign(8, root8, 3_000, [1; 32]), |e| {
            matches!(e, StoreError::HeadOrder(_))
        }),
        (sign(9, root8, 3_000, election), |e| {
            matches!(e, StoreError::OutOfRange { .. })
        }),
        (sign(u64::MAX, root8, 3_000, election), |e| {
            matches!(e, StoreError::OutOfRange { .. })
        }),
    ];
    for (head, expected) in &refused {
        let r = store.store_head(head).await;
        assert!(r.as_ref().is_err_and(expected), "{:?}: {r:?}", head.head);
    }
    assert_eq!(
        store.latest_head().await.expect("read"),
        Some(h5),
        "refusals change nothing"
    );
    let h8 = sign(8, root8, 3_000, election);
    store.store_head(&h8).await.expect("store");
    let root6 = store.root(6).await.expect("root");
    assert!(matches!(
        store.store_head(&sign(6, root6, 3_000, election)).await,
        Err(StoreError::HeadOrder(_))
    ));
    assert_eq!(store.latest_head().await.expect("read"), Some(h8));

    // Cosignatures.
    let mut witness = Witness::new(
        SigningKey::from_bytes(&[2; 32]),
        key.verifying_key(),
        election,
        None,
    );
    let c5 = witness
        .cosign(
            &h5,
            &store.consistency_proof(0, 5).await.expect("proof"),
            1_100,
        )
        .expect("cosign");
    store.add_cosignature(5, &c5).await.expect("add");
    store
        .add_cosignature(5, &c5)
        .await
        .expect("adding it again is a no-op");
    assert_eq!(store.cosignatures(5).await.expect("read"), vec![c5]);
    assert!(matches!(
        store.add_cosignature(8, &c5).await,
        Err(StoreError::BadCosignature(_))
    ));
    let mut tampered: Cosignature = c5;
    tampered.signature[0] ^= 1;
    assert!(matches!(
        store.add_cosignature(5, &tampered).await,
        Err(StoreError::BadCosignature(_))
    ));
    assert!(matches!(
        store.add_cosignature(6, &c5).await,
        Err(StoreError::NoHead { size: 6 })
    ));
    // The same witness cosigning the same head again, later: a different cosignature.
    let again = witness
        .cosign(
            &h5,
            &store.consistency_proof(5, 5).await.expect("proof"),
            1_200,
        )
        .expect("cosign");
    assert!(matches!(
        store.add_cosignature(5, &again).await,
        Err(StoreError::CosignatureConflict { size: 5 })
    ));
    let c8 = witness
        .cosign(
            &h8,
            &store.consistency_proof(5, 8).await.expect("proof"),
            3_100,
        )
        .expect("cosign");
    store.add_cosignature(8, &c8).await.expect("add");
    let mut second = Witness::new(
        SigningKey::from_bytes(&[3; 32]),
        key.verifying_key(),
        election,
        None,
    );
    let d8 = second
        .cosign(
            &h8,
            &store.consistency_proof(0, 8).await.expect("proof"),
            3_200,
        )
        .expect("cosign");
    store.add_cosignature(8, &d8).await.expect("add");
    let mut both = vec![c8, d8];
    both.sort_by_key(|c| c.witness);
    assert_eq!(store.cosignatures(8).await.expect("read"), both);
    assert_eq!(store.cosignatures(5).await.expect("read"), vec![c5]);
    store.close().await;
}
