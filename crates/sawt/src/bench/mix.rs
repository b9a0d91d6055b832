//! `sawt bench mix`: the verifiable shuffle and a whole mixnet tally.
//!
//! For each `N` (`--n`), width `w` (`--w`) and thread count (`--threads`): one mixer's
//! shuffle and proof (`mix.shuffle_prove`) and its verification (`mix.verify`), per ballot
//! (= per ciphertext at `w = 1`). Each step runs in its own process, so its peak memory
//! (`peak_mb`) is its own: the prover holds its input, output and proof; the verifier reads
//! the three back from files through the streaming decoders and verifies; its `us` counts
//! decoding the output list and the proof (`decode_us` of it) and the verification, not the
//! input list, which a cascade verifier has already decoded as the previous stage's output. Then,
//! for the largest `N` at `w = 1` on all given threads' maximum, a whole tally
//! (`mix.cascade`): 3 mixers in sequence, every stage verified, decryption shares from 3 of 5
//! trustees with their proofs verified, combination, decoding and counting.

use std::time::Instant;

use anyhow::{Context as _, ensure};
use rayon::prelude::*;
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet::{self, encode_choice};
use sawt_crypto::shuffle::{ShuffleProof, shuffle_with_rng};
use sawt_crypto::{Context, Element, EncryptionKey, PublicKey, SecretKey};
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
    /// Internal: run one step in this process (`prove` writes its lists and proof to
    /// `--dir`, `verify` reads them back) and print its time and peak memory.
    #[arg(long, hide = true, requires = "dir")]
    pub step: Option<Step>,
    /// Internal: the working directory of `--step`.
    #[arg(long, hide = true)]
    pub dir: Option<std::path::PathBuf>,
}

/// One step of a measurement, run in its own process so that its peak memory is its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Step {
    /// Make the ballots, shuffle and prove, and write input, output and proof.
    Prove,
    /// Read input, output and proof (streaming) and verify.
    Verify,
}

/// Runs one step in this process; prints `{"us": per ballot, "peak_mb": …}`.
fn run_step(
    step: Step,
    dir: &std::path::Path,
    n: usize,
    w: usize,
    threads: usize,
) -> anyhow::Result<()> {
    use std::fs::File;
    use std::io::{BufReader, BufWriter, Write};
    let p = pool(threads)?;
    let ctx = Context::new(ELECTION).with(b"contest", b"bench");
    match step {
        Step::Prove => {
            let key = SecretKey::generate().public_key().prepare();
            let input = ballots(&key, n, w);
            reset_peak_memory();
            let t0 = Instant::now();
            let mut rng = sawt_crypto::rng::os_rng();
            let (output, proof) =
                p.install(|| shuffle_with_rng(&ctx, 1, &key, &input, &mut rng))?;
            let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
            let peak = peak_memory_mb();
            std::fs::write(dir.join("key"), key.public_key().element().to_hex())?;
            input.write_to(&mut BufWriter::new(File::create(dir.join("input"))?))?;
            output.write_to(&mut BufWriter::new(File::create(dir.join("output"))?))?;
            let mut f = BufWriter::new(File::create(dir.join("proof"))?);
            proof.write_to(&mut f)?;
            f.flush()?;
            println!("{}", json!({"us": us, "peak_mb": peak}));
        }
        Step::Verify => {
            let key = PublicKey::from_element(Element::from_hex(
                std::fs::read_to_string(dir.join("key"))?.trim(),
            )?)?;
            reset_peak_memory();
            let (us, decode_us) = p.install(|| -> anyhow::Result<(f64, f64)> {
                let open = |name: &str| -> anyhow::Result<BufReader<File>> {
                    Ok(BufReader::new(File::open(dir.join(name))?))
                };
                // The input is the previous stage's output, already decoded by a cascade
                // verifier: its decoding is not counted.
                let input = CiphertextList::read_from(&mut open("input")?)?;
                let t0 = Instant::now();
                let output = CiphertextList::read_from(&mut open("output")?)?;
                let proof = ShuffleProof::read_from(&mut open("proof")?)?;
                let decoded = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
                proof
                    .verify(&ctx, 1, &key, &input, &output)
                    .context("an honest shuffle failed to verify")?;
                Ok((t0.elapsed().as_secs_f64() * 1e6 / n as f64, decoded))
            })?;
            println!(
                "{}",
                json!({"us": us, "decode_us": decode_us, "peak_mb": peak_memory_mb()})
            );
        }
    }
    Ok(())
}

/// Runs one step in a child process and returns its JSON report.
fn child_step(
    step: &str,
    dir: &std::path::Path,
    n: usize,
    w: usize,
    threads: usize,
) -> anyhow::Result<serde_json::Value> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "mix", "--no-cascade", "--step", step])
        .arg("--dir")
        .arg(dir)
        .args([
            "--n",
            &n.to_string(),
            "--w",
            &w.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .output()
        .context("starting a measurement process")?;
    ensure!(
        out.status.success(),
        "{step} step failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(serde_json::from_slice(&out.stdout)?)
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

    if let (Some(step), Some(dir)) = (args.step, &args.dir) {
        return run_step(step, dir, args.n[0], args.w[0], threads[0]);
    }
    let dir = std::env::temp_dir().join(format!("sawt-bench-mix-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> anyhow::Result<()> {
        for &w in &args.w {
            for &n in &args.n {
                for &t in &threads {
                    let samples = if n <= 10_000 { 3 } else { 1 };
                    let mut prove = Vec::new();
                    let mut verify = Vec::new();
                    let (mut prove_mb, mut verify_mb, mut decode) = (None, None, Vec::new());
                    for _ in 0..samples {
                        let p = child_step("prove", &dir, n, w, t)?;
                        prove.push(p["us"].as_f64().unwrap_or(f64::NAN));
                        prove_mb = p["peak_mb"].as_f64();
                        let v = child_step("verify", &dir, n, w, t)?;
                        verify.push(v["us"].as_f64().unwrap_or(f64::NAN));
                        decode.push(v["decode_us"].as_f64().unwrap_or(f64::NAN));
                        verify_mb = v["peak_mb"].as_f64();
                    }
                    let per = if w == 1 { "ciphertext" } else { "ballot" };
                    let params =
                        |mb: Option<f64>| json!({"n": n, "w": w, "threads": t, "peak_mb": mb});
                    b.record(
                        "mix.shuffle_prove",
                        per,
                        super::median(prove),
                        params(prove_mb),
                    );
                    let mut vp = params(verify_mb);
                    vp["decode_us"] = json!(super::round(super::median(decode)));
                    b.record("mix.verify", per, super::median(verify), vp);
                }
            }
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result?;

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
            let stages = mixnet::mix_cascade_with_rng(&ctx, &key, &input, &[1, 2, 3], &mut rng)?;
            let mix_s = t1.elapsed().as_secs_f64();
            let t1 = Instant::now();
            mixnet::verify_cascade(&ctx, key.public_key(), &input, &[1, 2, 3], &stages)?;
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
