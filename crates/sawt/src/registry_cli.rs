//! `sawt registry …`: the electoral roll from the command line.
//!
//! * `sawt registry generate --scale national --out FILE` writes a synthetic roll (753,260
//!   people at national scale) from the built-in table of wilayats: never real people.
//! * `sawt registry import FILE` imports a civil-registry export into the roll of the
//!   election whose board is in the database, with a progress bar, resuming an interrupted
//!   import of the same file; then prints the report (every refused row with its reason).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sawt_election::oman;
use sawt_registry::calendar::parse_date;
use sawt_registry::{roll, synthetic};
use sawt_server::clock::SystemClock;
use sawt_server::registry::{BATCH, ImportReport, import_roll};

use crate::board_cli::DatabaseArg;

/// `sawt registry …`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Write a synthetic electoral roll (CSV in the civil registry's export format).
    Generate(GenerateArgs),
    /// Import a civil-registry export into the roll of the database's election.
    Import(ImportArgs),
}

/// Options of `sawt registry generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// `national` (753,260 people) or `1/N` (each wilayat's people divided by N).
    #[arg(long, default_value = "national")]
    pub scale: String,
    /// The election day the ages and ID-card expiries are drawn around (YYYY-MM-DD).
    #[arg(long, default_value = "2027-10-28")]
    pub election_day: String,
    /// Seed of the generator (the same seed gives the same roll).
    #[arg(long, default_value_t = 2027)]
    pub seed: u64,
    /// Output file.
    #[arg(long, default_value = "./sawt-data/roll.csv")]
    pub out: PathBuf,
}

/// Options of `sawt registry import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export (CSV).
    pub file: PathBuf,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
    /// Rows per transaction.
    #[arg(long, default_value_t = BATCH)]
    pub batch: usize,
    /// Print the report as JSON instead of text (no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// The divisor a scale names.
pub fn parse_scale(scale: &str) -> anyhow::Result<u64> {
    if scale == "national" {
        return Ok(1);
    }
    match scale.strip_prefix("1/").map(str::parse::<u64>) {
        Some(Ok(n)) if n >= 1 => Ok(n),
        _ => bail!("--scale must be `national` or `1/N` with N ≥ 1, not {scale:?}"),
    }
}

/// `sawt registry …`.
pub fn registry(cmd: &RegistryCommand) -> anyhow::Result<()> {
    match cmd {
        RegistryCommand::Generate(args) => generate(args),
        RegistryCommand::Import(args) => import(args),
    }
}

fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let divisor = parse_scale(&args.scale)?;
    let day = parse_date(&args.election_day).map_err(anyhow::Error::msg)?;
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).map_err(anyhow::Error::msg)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = args.out.with_extension("csv.partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut n = 0u64;
    roll::write_csv(
        &mut out,
        synthetic::roll(&rows, divisor, day, args.seed).inspect(|_| n += 1),
    )
    .context("writing the roll")?;
    out.flush()?;
    out.get_ref().sync_all()?;
    drop(out);
    std::fs::rename(&tmp, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "sawt: wrote a synthetic roll of {n} people (not real people) to {}",
        args.out.display()
    );
    Ok(())
}

fn import(args: &ImportArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async {
        let store = args.db.open().await?;
        let bar = if args.json {
            ProgressBar::hidden()
        } else {
            let total = std::fs::metadata(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?
                .len();
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} importing [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        };
        let started = Instant::now();
        let report = import_roll(&store, &SystemClock, &args.file, args.batch, &mut |p| {
            bar.set_position(p.bytes);
            bar.set_message(format!("{} rows", p.rows));
            true
        })
        .await
        .with_context(|| format!("importing {}", args.file.display()))?;
        bar.finish_and_clear();
        store.close().await;
        print_report(&report, started.elapsed().as_secs_f64(), args.json)
    })
}

fn print_report(r: &ImportReport, seconds: f64, json: bool) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(r)?;
        v["seconds"] = serde_json::json!((seconds * 1000.0).round() / 1000.0);
        println!("{v}");
        return Ok(());
    }
    if r.already_imported {
        println!("already imported (file {}): nothing changed", r.file_sha256);
    } else if r.resumed_from > 0 {
        println!("resumed after row {}", r.resumed_from);
    }
    println!(
        "{} rows: {} imported, {} refused, {} imported without their carried-over registration ({seconds:.1} s)",
        r.rows, r.imported, r.refused, r.unregistered
    );
    for (line, field, reason) in &r.refusals {
        println!("  row {line}: {field}: {reason}");
    }
    if (r.refused + r.unregistered) as usize > r.refusals.len() {
        println!("  … (the first {} shown)", r.refusals.len());
    }
    Ok(())
}
