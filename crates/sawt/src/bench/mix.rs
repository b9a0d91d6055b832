//! `sawt bench mix`: the verifiable shuffle and a whole mixnet tally.
//!
//! For each `N` (`--n`), width `w` (`--w`) and thread count (`--threads`): one mixer's
//! shuffle and proof (`mix.shuffle_prove`) and its verification (`mix.verify`), per ballot
//! (= per ciphertext at `w = 1`), with the process's peak memory during each step. Then,
//! for the largest `N` at `w = 1` on all given threads' maximum, a whole tally
//! (`mix.cascade`): 3 mixers in sequence, every stage verified, decryption shares from 3 of 5
//! trustees with their proofs verified, combination, decoding and counting.

use std::time::Instant;

use anyhow::{Context as _, ensure};
use rayon::prelude::*;
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet::{self, encode_choice};
use sawt_crypto::shuffle::shuffle_with_rng;
use sawt_crypto::{Context, EncryptionKey};
use serde_json::json;

use super::{Bench, peak_memory_mb, reset_peak_memory};

const ELECTION: &[u8] = b"sawt bench election";
const CANDIDATES: u32 = 20;

/// Options of `sawt bench mix`.
#[derive(Debug, clap::Args)]
pub struct MixArgs {
    /// Numbers of ballots, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 10_000, 100_000])]
    pub n: Vec<usize>,
    /// Ballot widths (seats a voter may fill), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
    pub w: Vec<usize>,
    /// Thread counts, comma-separated (default: 1 and all cores).
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Skip the whole-tally measurement.
    #[arg(long)]
    pub no_cascade: bool,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// Encrypted ballots choosing random candidates (in parallel, untimed).
fn ballots(key: &EncryptionKey, n: usize, w: usize) -> CiphertextList {
    let cts = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let mut rng = sawt_crypto::rng::os_rng();
            let picks: Vec<u32> = (0..w as u32)
                .map(|k| (i as u32 * 7 + k * 3) % CANDIDATES)
                .collect();
            let values = encode_choice(&picks, w).expect("w picks");
            values
                .into_iter()
                .map(move |m| key.encrypt_with_rng(m, &mut rng).0)
                .collect::<Vec<_>>()
        })
        .collect();
    CiphertextList::new(w, cts).expect("width")
}

fn pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("thread pool")
}

/// Runs the mixnet benchmarks.
pub fn mix(args: &MixArgs) -> anyhow::Result<()> {
    let all = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = if args.threads.is_empty() {
        vec![1, all]
    } else {
        args.threads.clone()
    };
    ensure!(
        !args.n.is_empty() && !args.w.is_empty(),
        "--n and --w need at least one value"
    );
    ensure!(
        threads.iter().all(|&t| t >= 1) && args.w.iter().all(|&w| (1..=16).contains(&w)),
        "threads ≥ 1, 1 ≤ w ≤ 16"
    );
    let mut threads = threads;
    threads.dedup();
    let mut b = Bench {
        json: args.json,
        threads: 1,
        scale: 1.0,
        units: Vec::new(),
        rows: Vec::new(),
    };
    let mut rng = sawt_crypto::rng::os_rng();
    let kctx = Context::new(ELECTION);
    let run = dkg::run_local_with_rng(KeyGenParams::new(3, 5)?, &kctx, &mut rng)?;
    let key = run.outcome.joint_key.prepare();
    let ctx = kctx.clone().with(b"contest", b"bench");

    for &w in &args.w {
        for &n in &args.n {
            let input = pool(all)?.install(|| ballots(&key, n, w));
            for &t in &threads {
                let p = pool(t)?;
                let samples = if n <= 10_000 { 3 } else { 1 };
                let mut prove = Vec::new();
                let mut verify = Vec::new();
                let (mut peak_prove, mut peak_verify) = (None, None);
                for _ in 0..samples {
                    reset_peak_memory();
                    let t0 = Instant::now();
                    let (output, proof) =
                        p.install(|| shuffle_with_rng(&ctx, ELECTION, 1, &key, &input, &mut rng))?;
                    prove.push(t0.elapsed().as_secs_f64() * 1e6 / n as f64);
                    peak_prove = peak_memory_mb();
                    reset_peak_memory();
                    let t0 = Instant::now();
                    p.install(|| {
                        proof.verify(&ctx, ELECTION, 1, key.public_key(), &input, &output)
                    })
                    .context("an honest shuffle failed to verify")?;
                    verify.push(t0.elapsed().as_secs_f64() * 1e6 / n as f64);
                    peak_verify = peak_memory_mb();
                }
                let per = if w == 1 { "ciphertext" } else { "ballot" };
                b.record(
                    "mix.shuffle_prove",
                    per,
                    super::median(prove),
                    json!({"n": n, "w": w, "threads": t, "peak_mb": peak_prove}),
                );
                b.record(
                    "mix.verify",
                    per,
                    super::median(verify),
                    json!({"n": n, "w": w, "threads": t, "peak_mb": peak_verify}),
                );
            }
        }
    }

    if !args.no_cascade {
        let n = *args.n.iter().max().expect("non-empty");
        let t = *threads.iter().max().expect("non-empty");
        let p = pool(t)?;
        let input = pool(all)?.install(|| ballots(&key, n, 1));
        reset_peak_memory();
        let tally = ctx.clone().with(b"tally", b"bench");
        let t0 = Instant::now();
        let (mix_s, verify_s, decrypt_s, counts) = p.install(|| -> anyhow::Result<_> {
            let t1 = Instant::now();
            let stages =
                mixnet::mix_cascade_with_rng(&ctx, ELECTION, &key, &input, &[1, 2, 3], &mut rng)?;
            let mix_s = t1.elapsed().as_secs_f64();
            let t1 = Instant::now();
            mixnet::verify_cascade(&ctx, ELECTION, key.public_key(), &input, &stages)?;
            let verify_s = t1.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let mixed = &stages[2].output;
            let shares: Vec<_> = [0usize, 2, 4]
                .iter()
                .map(|&j| run.shares[j].decrypt_with_rng(&tally, mixed.ciphertexts(), &mut rng))
                .collect();
            let counts = mixnet::count(&run.outcome, &tally, mixed, &shares, CANDIDATES)?;
            Ok((mix_s, verify_s, t1.elapsed().as_secs_f64(), counts))
        })?;
        let total = t0.elapsed().as_secs_f64();
        ensure!(
            counts.valid == n as u64 && counts.invalid == 0,
            "the cascade lost or broke ballots"
        );
        let expected: u64 = (0..n as u32)
            .map(|i| u64::from((i * 7) % CANDIDATES == 0))
            .sum();
        ensure!(
            counts.per_candidate[0] == expected,
            "the cascade's count differs from the ballots cast"
        );
        b.record(
            "mix.cascade",
            "tally",
            total * 1e6,
            json!({
                "n": n, "w": 1, "threads": t, "mixers": 3, "trustees": "3-of-5",
                "mix_s": super::round(mix_s), "verify_s": super::round(verify_s),
                "decrypt_count_s": super::round(decrypt_s), "total_s": super::round(total),
                "peak_mb": peak_memory_mb(),
            }),
        );
    }
    b.finish();
    Ok(())
}
