//! `sawt bench PART`: the figures of `BENCHMARKS.md`, each beside `U`, one variable-base
//! scalar multiplication timed in the same run, so that ratios hold on a noisy machine.
//!
//! Each figure is the median over several samples of the mean time per unit within a
//! sample. With `--json`, one object per line:
//! `{"bench", "per", "us", "u" (= us / unit_us), "threads", "unit_us", parameters…}`.

mod board;
mod cast;
mod crypto;
mod mix;
mod registry;

pub use board::{BoardArgs, board};
pub use cast::{CastArgs, cast};
pub use crypto::crypto;
pub use mix::{MixArgs, mix};
pub use registry::{RegistryArgs, registry};

use std::time::Instant;

use sawt_crypto::{RistrettoPoint, Scalar};
use serde_json::{Value, json};

pub(crate) struct Bench {
    pub(crate) json: bool,
    pub(crate) threads: usize,
    pub(crate) scale: f64,
    pub(crate) units: Vec<f64>,
    pub(crate) rows: Vec<Value>,
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

impl Bench {
    pub(crate) fn iters(&self, n: usize) -> usize {
        ((n as f64 * self.scale).ceil() as usize).max(1)
    }

    /// Median over `samples` of the µs per unit of `f`, which runs `units` units per call.
    pub(crate) fn time(&self, samples: usize, units: usize, mut f: impl FnMut()) -> f64 {
        f(); // warm up
        let v = (0..samples)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e6 / units as f64
            })
            .collect();
        median(v)
    }

    /// Times U: one variable-base scalar multiplication.
    pub(crate) fn measure_unit(&mut self) {
        let mut rng = sawt_crypto::rng::os_rng();
        let p = RistrettoPoint::mul_base(&Scalar::random(&mut rng));
        let s = Scalar::random(&mut rng);
        let n = self.iters(200);
        let u = self.time(7, n, || {
            let mut acc = p;
            for _ in 0..n {
                acc = std::hint::black_box(acc * s);
            }
            std::hint::black_box(acc);
        });
        self.units.push(u);
    }

    pub(crate) fn record(&mut self, bench: &str, per: &str, us: f64, params: Value) {
        self.measure_unit();
        let mut row = json!({"bench": bench, "per": per, "us": round(us), "threads": self.threads});
        if let (Value::Object(r), Value::Object(p)) = (&mut row, params) {
            r.extend(p);
        }
        self.rows.push(row);
    }

    pub(crate) fn finish(self) {
        let unit = median(self.units.clone());
        if !self.json {
            println!("U (one variable-base scalar multiplication, one core) = {unit:.1} µs");
            println!("{:<44} {:>12} {:>8}  per", "bench", "µs", "× U");
        }
        for mut row in self.rows {
            let us = row["us"].as_f64().unwrap_or(0.0);
            row["u"] = json!(round(us / unit));
            row["unit_us"] = json!(round(unit));
            if self.json {
                println!("{row}");
            } else {
                let extra: Vec<String> = row
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| !["bench", "per", "us", "u", "unit_us"].contains(&k.as_str()))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                println!(
                    "{:<44} {:>12.2} {:>8.2}  {} {}",
                    row["bench"].as_str().unwrap_or(""),
                    us,
                    us / unit,
                    row["per"].as_str().unwrap_or(""),
                    extra.join(" ")
                );
            }
        }
    }
}

/// Rounds to three decimals for the report.
pub(crate) fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The process's peak resident memory in MB since the last [`reset_peak_memory`] (Linux
/// `VmHWM`; `None` elsewhere).
pub(crate) fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round(kb / 1024.0))
}

/// Resets the peak-memory mark (Linux `clear_refs`, value 5); a no-op where unsupported.
pub(crate) fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Which databases a storage benchmark runs on.
#[derive(Debug, clap::Args)]
pub struct Databases {
    /// Administrator URL of a PostgreSQL server for a scratch database (default:
    /// `SAWT_TEST_POSTGRES_URL`).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Skip PostgreSQL.
    #[arg(long)]
    pub no_postgres: bool,
    /// Skip SQLite.
    #[arg(long)]
    pub no_sqlite: bool,
}

impl Databases {
    /// The targets in order: `None` for SQLite, `Some(admin URL)` for PostgreSQL (from
    /// `--postgres`, else `SAWT_TEST_POSTGRES_URL`; skipped with a note on stderr when neither).
    pub(crate) fn targets(&self, bench: &str) -> Vec<Option<String>> {
        let postgres = if self.no_postgres {
            None
        } else {
            self.postgres
                .clone()
                .or_else(|| std::env::var("SAWT_TEST_POSTGRES_URL").ok())
                .filter(|u| !u.is_empty())
        };
        if postgres.is_none() && !self.no_postgres {
            eprintln!(
                "sawt bench {bench}: PostgreSQL skipped (no --postgres, no SAWT_TEST_POSTGRES_URL)"
            );
        }
        let mut targets = vec![];
        if !self.no_sqlite {
            targets.push(None);
        }
        targets.extend(postgres.map(Some));
        targets
    }
}
