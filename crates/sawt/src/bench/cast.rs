//! `sawt bench cast`: ballots cast through the voters' HTTP API, on SQLite and PostgreSQL.
//!
//! A board of the sample election whose first contest has `--candidates` (14) candidates,
//! its key generated through the board; `--ballots` voters enrolled, each with a session, and
//! each ballot (encrypted with every proof, signed) prepared before the timed phase. Then
//! `--clients` (64) concurrent clients post them to `POST /v1/voter/ballots` of the server on
//! loopback in the same process (the whole service: metrics, limits, timeouts), each waiting
//! for its receipt (durable, with a signed head and an inclusion proof) before sending the
//! next; every receipt is checked afterwards. The clients are `sawt-client`'s: its transport,
//! its session message, and its receipt checks (service.md §4.2 R1–R6).
//!
//! * `cast.http`: ballots accepted per second (`per_s`); `us` is wall time per ballot;
//!   `p50_us`/`p99_us` one cast's latency as its client sees it.
//! * `cast.verify`: the verify-only rate in the same run: the signature and every proof of
//!   each ballot (what the board's gate runs), on `threads` cores (rayon), no HTTP, no storage.
//!   `ratio` on `cast.http` is its rate over this one (target ≥ 0.6).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, ensure};
use ed25519_dalek::{Signer, SigningKey};
use rayon::prelude::*;
use sawt_client::Api;
use sawt_client::election::Election;
use sawt_client::receipts::check_receipt;
use sawt_client::transport::{HttpTransport, Request};
use sawt_client::voter::session_message;
use sawt_client::wire::{Answer, Receipt};
use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::keys::{Hex64, PublicKeyHex};
use sawt_server::scenario::{Scenario, voter_key};
use serde_json::json;

use super::board::Target;
use super::{Bench, round};

/// Options of `sawt bench cast`.
#[derive(Debug, clap::Args)]
pub struct CastArgs {
    /// Ballots cast (one per voter) in each measurement.
    #[arg(long, default_value_t = 6000)]
    pub ballots: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Candidates in the contest.
    #[arg(long, default_value_t = 14)]
    pub candidates: u32,
    /// The databases.
    #[command(flatten)]
    pub databases: super::Databases,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// `sawt bench cast`.
pub fn cast(args: &CastArgs) -> anyhow::Result<()> {
    let mut bench = Bench {
        json: args.json,
        threads: rayon::current_num_threads(),
        scale: 1.0,
        units: vec![],
        rows: vec![],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for pg in args.databases.targets("cast") {
        let database = if pg.is_some() { "postgres" } else { "sqlite" };
        let m = rt.block_on(run(args, pg.as_deref()))?;
        let params = |extra: serde_json::Value| {
            let mut p = json!({"n": args.ballots, "candidates": args.candidates, "clients": args.clients, "database": database});
            if let (Some(p), serde_json::Value::Object(e)) = (p.as_object_mut(), extra) {
                p.extend(e);
            }
            p
        };
        bench.record(
            "cast.verify",
            "ballot",
            1e6 / m.verify_per_s,
            params(json!({"per_s": round(m.verify_per_s)})),
        );
        bench.record(
            "cast.http",
            "ballot",
            1e6 / m.http_per_s,
            params(json!({
                "per_s": round(m.http_per_s),
                "p50_us": round(m.p50_us),
                "p99_us": round(m.p99_us),
                "ratio": round(m.http_per_s / m.verify_per_s),
            })),
        );
    }
    bench.finish();
    Ok(())
}

struct Measured {
    http_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    verify_per_s: f64,
}

async fn run(args: &CastArgs, postgres: Option<&str>) -> anyhow::Result<Measured> {
    let (target, url) = Target::new(postgres).await?;
    let s = Scenario::new(&url, 6, Some(args.candidates)).await?;
    let wilayat = s.manifest.contests[0].wilayat.clone();
    let contest = s.manifest.contests[0].clone();
    let voters: Vec<SigningKey> = (0..args.ballots as u64)
        .map(|i| voter_key(1_000 + i))
        .collect();
    let creds: Vec<PublicKeyHex> = voters
        .iter()
        .map(|k| PublicKeyHex::from_key(&k.verifying_key()))
        .collect();
    for chunk in creds.chunks(1000) {
        s.enrol(chunk, &wilayat).await?;
    }
    s.open_voting();

    // Ballots, prepared on every core: each voter picks one candidate.
    let (ballots, codes): (Vec<Vec<u8>>, Vec<String>) = voters
        .par_iter()
        .enumerate()
        .map(|(i, k)| -> anyhow::Result<(Vec<u8>, String)> {
            let choice = vec![contest.candidates[i % contest.candidates.len()].id.clone()];
            let bytes = s.ballot(k, &wilayat, &choice)?.0;
            let EntryBody::Ballot(b) = Scenario::decode(&bytes).entry.body else {
                anyhow::bail!("not a ballot")
            };
            Ok((bytes, b.tracking_code()?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();

    // The verify-only rate: what the gate checks of each ballot, on every core.
    let key = s.public_key;
    let t = Instant::now();
    ballots
        .par_iter()
        .try_for_each(|bytes| -> anyhow::Result<()> {
            let e = SignedEntry::decode(bytes)?;
            e.verify_signature()?;
            let EntryBody::Ballot(b) = &e.entry.body else {
                anyhow::bail!("not a ballot")
            };
            b.verify(&s.election, &contest, &key)?;
            Ok(())
        })?;
    let verify_per_s = ballots.len() as f64 / t.elapsed().as_secs_f64();

    // The whole service on loopback, with every protection on (all clients share one
    // address here, so its per-address limit is raised).
    let (base, server) = sawt_server::app::serve_on_loopback(s.board.clone()).await?;
    let api = Api::new(HttpTransport::new(&base)?);
    let election = Election::from_manifest_entry(s.election, &api.entry(0).await?)?;

    // Sessions, before the timed phase.
    let mut tokens = Vec::with_capacity(voters.len());
    for (k, cred) in voters.iter().zip(&creds) {
        let c = api.challenge(cred).await?;
        let answer = Answer {
            signature: Hex64(k.sign(&session_message(&s.election, &c)).to_bytes()),
            challenge: c,
        };
        tokens.push(api.session(&answer).await?.token);
    }

    // The timed phase: `clients` workers, each casting its share in turn.
    // Bodies as shared bytes, and receipts kept as bytes until after the timing: the figure
    // measures the server, not the clients.
    let work: Arc<Vec<(Vec<u8>, String)>> = Arc::new(ballots.into_iter().zip(tokens).collect());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.clients)
        .map(|_| {
            let (work, next, api) = (work.clone(), next.clone(), api.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((body, token)) = work.get(i) else {
                        break;
                    };
                    let t = Instant::now();
                    let receipt = api
                        .call(
                            Request::post_bytes("/v1/voter/ballots", body.clone())
                                .with_bearer(token),
                        )
                        .await
                        .with_context(|| format!("cast {i}"))?;
                    out.push((i, t.elapsed().as_secs_f64() * 1e6, receipt));
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut results = Vec::new();
    for w in workers {
        results.extend(w.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    server.abort();
    ensure!(results.len() == work.len(), "not every ballot was accepted");

    // Every receipt, as a voter's device checks it (R1–R6).
    for (i, _, body) in &results {
        let r: Receipt = serde_json::from_slice(body).with_context(|| format!("receipt {i}"))?;
        check_receipt(&election, &work[*i].0, &codes[*i], &r)?;
    }
    let mut latencies: Vec<f64> = results.iter().map(|(_, us, _)| *us).collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let measured = Measured {
        http_per_s: work.len() as f64 / elapsed,
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        verify_per_s,
    };
    s.board.store().close().await;
    target.finish().await?;
    Ok(measured)
}
