//! `sawt bench registry`: the electoral roll at national scale, on SQLite and PostgreSQL.
//!
//! * `registry.import`: the synthetic national roll (753,260 people with `--scale
//!   national`) written as a civil-registry export to a temporary file, then imported into
//!   a fresh database holding the sample election's board (all 63 wilayats) in batches of
//!   5,000 rows per transaction. `per_s` is rows per second; `seconds` the whole import,
//!   parsing and the voter rules of every carried-over registration included.
//! * `registry.freeze`: freezing the lists of that roll: a fresh salt and leaf per voter,
//!   63 commitment trees, every member stored, 63 `roll-count` entries signed and appended.
//!   `us` is per registered voter; `seconds` the whole freeze.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use ed25519_dalek::SigningKey;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::Authorities;
use sawt_election::oman;
use sawt_registry::calendar::Settings;
use sawt_registry::identity::IdentityProvider;
use sawt_registry::{Actor, Role, roll, sample, synthetic};
use sawt_server::LogStore;
use sawt_server::clock::ManualClock;
use sawt_server::registry::{BATCH, Registry};
use sawt_server::service::Board;
use serde_json::json;

use super::board::Target;
use super::{Bench, round};

/// Options of `sawt bench registry`.
#[derive(Debug, clap::Args)]
pub struct RegistryArgs {
    /// `national` (753,260 people) or `1/N`.
    #[arg(long, default_value = "national")]
    pub scale: String,
    /// The databases.
    #[command(flatten)]
    pub databases: super::Databases,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn ms(t: time::OffsetDateTime) -> u64 {
    (t.unix_timestamp() as u64) * 1000
}

/// `sawt bench registry`.
pub fn registry(args: &RegistryArgs) -> anyhow::Result<()> {
    let divisor = crate::registry_cli::parse_scale(&args.scale)?;
    let mut bench = Bench {
        json: args.json,
        threads: 1,
        scale: 1.0,
        units: vec![],
        rows: vec![],
    };
    let dir = tempfile::Builder::new()
        .prefix("sawt-bench-registry")
        .tempdir()?;
    let path = dir.path().join("roll.csv");
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).map_err(anyhow::Error::msg)?;
    let people = {
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut n = 0u64;
        roll::write_csv(
            file,
            synthetic::roll(&rows, divisor, time::macros::date!(2027 - 10 - 28), 2027)
                .inspect(|_| n += 1),
        )?;
        n
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for pg in args.databases.targets("registry") {
        let pg = pg.as_deref();
        rt.block_on(async {
            let (target, url) = Target::new(pg).await?;
            let database = if pg.is_some() { "postgres" } else { "sqlite" };
            let (import_s, freeze_s, registered) = run(&url, &path).await?;
            bench.record(
                "registry.import",
                "row",
                import_s * 1e6 / people as f64,
                json!({"n": people, "database": database, "per_s": round(people as f64 / import_s), "seconds": round(import_s)}),
            );
            bench.record(
                "registry.freeze",
                "voter",
                freeze_s * 1e6 / registered.max(1) as f64,
                json!({"n": registered, "database": database, "seconds": round(freeze_s)}),
            );
            target.finish().await
        })?;
    }
    bench.finish();
    Ok(())
}

/// Imports the roll at `path` into a fresh board of the sample election, then freezes the
/// lists; the seconds of each, and the voters registered.
async fn run(url: &str, path: &std::path::Path) -> anyhow::Result<(f64, f64, u64)> {
    let pk = |s: u8| PublicKeyHex::from_key(&key(s).verifying_key());
    let manifest = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        usize::MAX,
    );
    let clock = Arc::new(ManualClock::at(ms(
        time::macros::datetime!(2027-02-01 09:00 +4),
    )));
    let store = LogStore::open(url).await?;
    let first = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(manifest.hash()?),
        author: pk(1),
        timestamp_ms: sawt_server::clock::Clock::now_ms(clock.as_ref()),
        body: EntryBody::Manifest(Box::new(manifest)),
    }
    .sign(&key(1))?;
    let board = Arc::new(Board::create(store, &first, key(3), clock.clone()).await?);
    let idp = IdentityProvider::new(key(77));
    let registry = Registry::open(
        board.clone(),
        key(2),
        vec![idp.public()],
        Settings::default(),
    )
    .await
    .context("opening the registry")?;
    let t = Instant::now();
    let report = registry.import_roll(path, BATCH, &mut |_| true).await?;
    let import_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.complete && report.refused == 0,
        "the import refused rows"
    );
    clock.set(ms(time::macros::datetime!(2027-04-06 00:00 +4)));
    let official = Actor::new(Role::RegistryOfficial, "bench").map_err(anyhow::Error::msg)?;
    let t = Instant::now();
    let lists = registry.freeze(&official).await?;
    let freeze_s = t.elapsed().as_secs_f64();
    let registered = lists.iter().map(|l| l.registered).sum();
    board.store().close().await;
    Ok((import_s, freeze_s, registered))
}
