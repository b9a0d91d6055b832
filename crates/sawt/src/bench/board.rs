//! `sawt bench board`: the bulletin board's storage (`sawt-server`), on SQLite and on
//! PostgreSQL.
//!
//! * `board.append`: appends per second with 1, 8 and 64 concurrent writers (`--writers`),
//!   each append acknowledged only after its transaction committed (the writer commits
//!   whatever is pending as one group), sustained over `--seconds` after a half-second
//!   warm-up, on a fresh log with bodies of `--body-bytes`. `us` is wall time per append
//!   (10⁶ / `appends_per_s`); `p50_us`/`p99_us` are one append's latency as its caller sees it.
//! * `board.build`: the log for the proofs, `--entries` (1,000,000) entries of 64 bytes
//!   appended with `append_many` (groups of up to 1024 per transaction).
//! * `board.inclusion_proof`, `board.consistency_proof`: latency of one proof at that
//!   size (`us` = p50, and `p99_us`), `--samples` of each one after another, for a random
//!   index (inclusion) or a random older size (consistency) against the full size. Every
//!   proof is verified against the log's root, outside the timing.
//!
//! SQLite runs on a file in a temporary directory (WAL, `synchronous = FULL`); PostgreSQL
//! on a scratch database created on the server of `--postgres URL` (or
//! `SAWT_TEST_POSTGRES_URL`) and dropped afterwards; it is skipped, with a note on stderr,
//! when neither is given.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use sawt_board::hash::leaf_hash;
use sawt_server::scratch::ScratchDatabase;
use sawt_server::{LogStore, NewEntry};
use serde_json::json;

use super::{Bench, round};

/// Options of `sawt bench board`.
#[derive(Debug, clap::Args)]
pub struct BoardArgs {
    /// Concurrent writers for the append rate, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 8, 64])]
    pub writers: Vec<usize>,
    /// Seconds each append-rate measurement lasts.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Size of each body in the append-rate measurements, in bytes.
    #[arg(long, default_value_t = 1024)]
    pub body_bytes: usize,
    /// Entries in the log the proofs are measured on (0: skip the proofs).
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: u64,
    /// Proofs of each kind timed.
    #[arg(long, default_value_t = 2_000)]
    pub samples: usize,
    /// Administrator URL of a PostgreSQL server on which to create a scratch database
    /// (default: `SAWT_TEST_POSTGRES_URL`).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Skip PostgreSQL.
    #[arg(long)]
    pub no_postgres: bool,
    /// Skip SQLite.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// A fresh database for one measurement; removed when dropped or finished.
pub(crate) enum Target {
    Sqlite(tempfile::TempDir),
    Postgres(ScratchDatabase),
}

impl Target {
    pub(crate) async fn new(postgres: Option<&str>) -> anyhow::Result<(Target, String)> {
        Ok(match postgres {
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("sawt-bench-board")
                    .tempdir()?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("board.db").display()
                );
                (Target::Sqlite(dir), url)
            }
            Some(admin) => {
                let db = ScratchDatabase::create(admin)
                    .await
                    .context("creating a scratch PostgreSQL database")?;
                let url = db.url().to_owned();
                (Target::Postgres(db), url)
            }
        })
    }

    pub(crate) async fn finish(self) -> anyhow::Result<()> {
        match self {
            Target::Sqlite(dir) => dir.close()?,
            Target::Postgres(db) => db.drop_database().await?,
        }
        Ok(())
    }
}

/// A small deterministic generator (xorshift64*): bodies and sample positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A unique body of `len` bytes (at least 16): its id, then pseudo-random bytes.
fn body(id: u64, tag: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len.max(16));
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&id.to_le_bytes());
    let mut rng = Rng(id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ tag ^ 1);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len.max(16));
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// `writers` tasks appending for `duration`; returns (appends, seconds, latencies in µs).
async fn append_phase(
    store: &LogStore,
    writers: usize,
    duration: Duration,
    body_bytes: usize,
    tag: u64,
) -> anyhow::Result<(usize, f64, Vec<f64>)> {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..writers as u64)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut k = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    store
                        .append(
                            "bench.append",
                            [w as u8; 32],
                            body(w << 32 | k, tag, body_bytes),
                        )
                        .await?;
                    latencies.push(t.elapsed().as_secs_f64() * 1e6);
                    k += 1;
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all.len(), start.elapsed().as_secs_f64(), all))
}

async fn measure_backend(
    b: &mut Bench,
    args: &BoardArgs,
    backend: &str,
    postgres: Option<&str>,
) -> anyhow::Result<()> {
    for &writers in &args.writers {
        let (target, url) = Target::new(postgres).await?;
        let store = LogStore::open(&url).await?;
        append_phase(
            &store,
            writers,
            Duration::from_millis(500),
            args.body_bytes,
            0,
        )
        .await?;
        let (n, secs, mut lat) = append_phase(
            &store,
            writers,
            Duration::from_secs_f64(args.seconds),
            args.body_bytes,
            1,
        )
        .await?;
        store.close().await;
        target.finish().await?;
        ensure!(n > 0, "no append completed");
        lat.sort_by(f64::total_cmp);
        let rate = n as f64 / secs;
        b.record(
            "board.append",
            "append",
            1e6 / rate,
            json!({
                "backend": backend, "writers": writers, "appends_per_s": rate.round(),
                "appends": n, "seconds": round(secs), "body_bytes": args.body_bytes,
                "p50_us": round(percentile(&lat, 0.5)), "p99_us": round(percentile(&lat, 0.99)),
            }),
        );
    }
    if args.entries == 0 {
        return Ok(());
    }

    let n = args.entries;
    let (target, url) = Target::new(postgres).await?;
    let store = LogStore::open(&url).await?;
    let t = Instant::now();
    let mut next = 0u64;
    while next < n {
        let end = (next + 100_000).min(n);
        let outcomes = store
            .append_many((next..end).map(|i| NewEntry {
                kind: "bench.entry".into(),
                author: [0; 32],
                body: body(i, 2, 64),
            }))
            .await;
        for o in outcomes {
            o?;
        }
        next = end;
    }
    let build = t.elapsed().as_secs_f64();
    ensure!(
        store.size() == n,
        "the log has {} entries, not {n}",
        store.size()
    );
    b.record(
        "board.build",
        "append",
        build * 1e6 / n as f64,
        json!({"backend": backend, "entries": n, "appends_per_s": (n as f64 / build).round(),
               "seconds": round(build), "body_bytes": 64}),
    );

    let root = store.root(n).await?;
    let mut rng = Rng(0x5eed);
    let mut lat = Vec::with_capacity(args.samples);
    let mut path = 0usize;
    for s in 0..args.samples + 100 {
        let i = rng.below(n);
        let t = Instant::now();
        let p = store.inclusion_proof(i, n).await?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        p.verify(&leaf_hash(&body(i, 2, 64)), n, &root)
            .context("an inclusion proof failed to verify")?;
        if s >= 100 {
            lat.push(us);
            path += p.path.len();
        }
    }
    lat.sort_by(f64::total_cmp);
    b.record(
        "board.inclusion_proof",
        "proof",
        percentile(&lat, 0.5),
        json!({"backend": backend, "entries": n, "samples": args.samples,
               "p50_us": round(percentile(&lat, 0.5)), "p99_us": round(percentile(&lat, 0.99)),
               "mean_path": round(path as f64 / args.samples.max(1) as f64)}),
    );

    let mut lat = Vec::with_capacity(args.samples);
    let mut path = 0usize;
    for s in 0..args.samples + 100 {
        let old = 1 + rng.below(n.max(2) - 1);
        let t = Instant::now();
        let p = store.consistency_proof(old, n).await?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        let old_root = store.root(old).await?;
        p.verify((old, &old_root), (n, &root))
            .context("a consistency proof failed to verify")?;
        if s >= 100 {
            lat.push(us);
            path += p.path.len();
        }
    }
    lat.sort_by(f64::total_cmp);
    b.record(
        "board.consistency_proof",
        "proof",
        percentile(&lat, 0.5),
        json!({"backend": backend, "entries": n, "samples": args.samples,
               "p50_us": round(percentile(&lat, 0.5)), "p99_us": round(percentile(&lat, 0.99)),
               "mean_path": round(path as f64 / args.samples.max(1) as f64)}),
    );
    store.close().await;
    target.finish().await
}

/// Runs the board storage benchmarks.
pub fn board(args: &BoardArgs) -> anyhow::Result<()> {
    ensure!(
        args.writers.iter().all(|&w| w >= 1) && args.seconds > 0.0 && args.samples >= 1,
        "writers ≥ 1, seconds > 0, samples ≥ 1"
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut b = Bench {
        json: args.json,
        threads,
        scale: 1.0,
        units: Vec::new(),
        rows: Vec::new(),
    };
    let postgres = args
        .postgres
        .clone()
        .or_else(|| std::env::var("SAWT_TEST_POSTGRES_URL").ok())
        .filter(|u| !u.is_empty());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(async {
        if !args.no_sqlite {
            measure_backend(&mut b, args, "sqlite", None).await?;
        }
        if !args.no_postgres {
            match &postgres {
                Some(url) => measure_backend(&mut b, args, "postgres", Some(url)).await?,
                None => eprintln!(
                    "sawt bench board: PostgreSQL skipped: give --postgres URL or set \
                     SAWT_TEST_POSTGRES_URL"
                ),
            }
        }
        anyhow::Ok(())
    })?;
    b.finish();
    Ok(())
}
