//! `sawt serve`, `sawt board init|export`, `sawt witness` and `sawt mirror`: the board's
//! service and the tools observers run against it (`protocol-spec/board.md` §8–§9).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use clap::{Args, Subcommand};
use sawt_board::head::{SignedTreeHead, WitnessedHead};
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_board::replica::{Replica, ReplicaError};
use sawt_board::witness::Witness;
use sawt_board::{SigningKey, VerifyingKey};
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry, split_ndjson};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::Manifest;
use sawt_server::clock::{Clock, SystemClock};
use sawt_server::service::Board;
use sawt_server::{LogStore, default_database_url};
use sha2::Digest as _;

/// Where the database is: `--database URL`, else `DATABASE_URL`, else the SQLite default.
#[derive(Debug, Args)]
pub struct DatabaseArg {
    /// Database URL (`sqlite://…` or `postgres://…`); default `sqlite://./sawt-data/sawt.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
}

impl DatabaseArg {
    /// Opens the store (running the migrations).
    pub async fn open(&self) -> anyhow::Result<LogStore> {
        let url = match &self.database {
            Some(u) => u.clone(),
            None => default_database_url()?,
        };
        LogStore::open(&url)
            .await
            .with_context(|| format!("opening {url}"))
    }
}

/// `sawt board …`.
#[derive(Debug, Subcommand)]
pub enum BoardCommand {
    /// Create a board: append the manifest, signed by the election authority.
    Init {
        /// The database.
        #[command(flatten)]
        db: DatabaseArg,
        /// The manifest (canonical JSON, or any JSON of a valid manifest).
        #[arg(long)]
        manifest: PathBuf,
        /// The election authority's key (hex seed file).
        #[arg(long)]
        authority_key: PathBuf,
        /// The board operator's key (hex seed file).
        #[arg(long)]
        board_key: PathBuf,
    },
    /// Write the whole record to DIR for offline checking: `entries.ndjson` (one canonical
    /// entry per line, in log order), `attachments/<sha256>` (the bytes entries bind by
    /// hash) and `head.json` (the latest signed head with its cosignatures).
    Export {
        /// Output directory.
        dir: PathBuf,
        /// The database.
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// Options of `sawt witness`.
#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// The board's base URL, e.g. `http://127.0.0.1:8080`.
    url: String,
    /// The witness's key (hex seed file).
    #[arg(long)]
    key: PathBuf,
    /// Where the witness keeps the last head it cosigned.
    #[arg(long)]
    state: PathBuf,
    /// Milliseconds between checks.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Stop after this many rounds (default: run until stopped).
    #[arg(long)]
    rounds: Option<u64>,
}

/// Options of `sawt mirror`.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The board's base URL.
    url: String,
    /// The replica's directory (the same layout as `sawt board export`).
    dir: PathBuf,
    /// Milliseconds between checks.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Stop after this many rounds (default: run until stopped).
    #[arg(long)]
    rounds: Option<u64>,
}

impl MirrorArgs {
    /// One round of mirroring `url` into `dir` (what `sawt verify --server` runs first).
    pub fn once(url: &str, dir: &Path) -> Self {
        MirrorArgs {
            url: url.to_owned(),
            dir: dir.to_path_buf(),
            interval_ms: 0,
            rounds: Some(1),
        }
    }
}

/// Reads a 32-byte ed25519 seed written as 64 hexadecimal characters.
pub fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading key {}", path.display()))?;
    let seed = sawt_crypto::group::decode_hex32(text.trim())
        .with_context(|| format!("{}: expected 64 hexadecimal characters", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// `sawt board …`.
pub fn board(cmd: &BoardCommand) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        match cmd {
            BoardCommand::Init {
                db,
                manifest,
                authority_key,
                board_key,
            } => {
                let text = std::fs::read(manifest)
                    .with_context(|| format!("reading {}", manifest.display()))?;
                let m: Manifest = serde_json::from_slice(&text)
                    .context("the manifest is not valid JSON for a manifest")?;
                m.validate()?;
                let authority = read_key(authority_key)?;
                let election = m.hash()?;
                let entry = Entry {
                    format: ENTRY_FORMAT.into(),
                    election: Hex32(election),
                    author: PublicKeyHex::from_key(&authority.verifying_key()),
                    timestamp_ms: SystemClock.now_ms(),
                    body: EntryBody::Manifest(Box::new(m)),
                }
                .sign(&authority)?;
                let board = Board::create(
                    db.open().await?,
                    &entry,
                    read_key(board_key)?,
                    Arc::new(SystemClock),
                )
                .await?;
                board.publish_head().await?;
                println!("{}", hex::encode(election));
                Ok(())
            }
            BoardCommand::Export { dir, db } => {
                let store = db.open().await?;
                let exported = crate::export::export_record(&store, dir).await?;
                if exported.attachments > 0 {
                    println!("exported {} attachments", exported.attachments);
                }
                println!("exported {} entries to {}", exported.entries, dir.display());
                Ok(())
            }
        }
    })
}

/// A small client of the observer API.
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        ensure!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json()
            .await
            .with_context(|| format!("GET {path}: unexpected body"))
    }

    async fn entries(&self, start: u64, end: u64) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            let limit = (end - at).min(sawt_server::MAX_PAGE);
            let r = self
                .http
                .get(format!(
                    "{}/v1/board/entries?start={at}&limit={limit}",
                    self.base
                ))
                .send()
                .await?;
            ensure!(r.status().is_success(), "GET entries: {}", r.status());
            let body = r.bytes().await?;
            let page: Vec<Vec<u8>> = split_ndjson(&body);
            ensure!(!page.is_empty(), "the board returned no entries at {at}");
            at += page.len() as u64;
            out.extend(page);
        }
        ensure!(
            out.len() as u64 == end - start,
            "the board returned too many entries"
        );
        Ok(out)
    }

    /// The manifest (entry 0), its election hash and the board operator's key.
    async fn manifest(&self) -> anyhow::Result<(Manifest, [u8; 32], VerifyingKey)> {
        let first = self.entries(0, 1).await?.remove(0);
        let e = SignedEntry::decode(&first)?;
        let EntryBody::Manifest(m) = e.entry.body else {
            bail!("entry 0 is not a manifest")
        };
        let election = m.hash()?;
        ensure!(
            e.entry.election.0 == election,
            "entry 0 names another election"
        );
        let board = m.authorities.board_operator.verifying_key()?;
        Ok((*m, election, board))
    }
}

/// `sawt witness`.
pub fn witness(args: &WitnessArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = Client::new(&args.url)?;
        let (_, election, board) = client.manifest().await?;
        let last: Option<SignedTreeHead> = match std::fs::read(&args.state) {
            Ok(bytes) => Some(
                serde_json::from_slice(&bytes).context("the witness state is not a signed head")?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let mut w = Witness::new(read_key(&args.key)?, board, election, last);
        let mut round = 0;
        loop {
            let head: WitnessedHead = client.get_json("/v1/board/head").await?;
            let size = head.signed.head.size;
            if w.last().is_some_and(|l| l == &head.signed) {
                // Nothing new: this head is already cosigned.
                round += 1;
                if args.rounds.is_some_and(|n| round >= n) {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
                continue;
            }
            let from = w.needs_proof_from();
            let proof: ConsistencyProof = client
                .get_json(&format!(
                    "/v1/board/proofs/consistency?old={from}&new={size}"
                ))
                .await?;
            let cosig = w
                .cosign(&head.signed, &proof, SystemClock.now_ms())
                .map_err(|e| anyhow::anyhow!("refusing to cosign size {size}: {e}"))?;
            // The state is stored durably before the cosignature is released (board.md §5.2.1).
            write_atomically(
                &args.state,
                &serde_json::to_vec(w.last().expect("just cosigned"))?,
            )?;
            let r = client
                .http
                .post(format!(
                    "{}/v1/board/heads/{size}/cosignatures",
                    client.base
                ))
                .json(&cosig)
                .send()
                .await?;
            // 409: the board already holds this witness's cosignature of this size.
            let status = r.status();
            ensure!(
                status.is_success() || status == reqwest::StatusCode::CONFLICT,
                "posting the cosignature: {status}"
            );
            println!("cosigned size {size}");
            round += 1;
            if args.rounds.is_some_and(|n| round >= n) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        }
    })
}

/// Writes a file atomically and durably: a temporary file, fsync, rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Loads a replica from DIR (entries.ndjson and head.json), re-verifying everything.
fn load_replica(dir: &Path, board: VerifyingKey, election: [u8; 32]) -> anyhow::Result<Replica> {
    let mut r = Replica::new(board, election);
    let head_path = dir.join("head.json");
    if !head_path.exists() {
        return Ok(r);
    }
    let head: WitnessedHead = serde_json::from_slice(&std::fs::read(&head_path)?)?;
    let text = std::fs::read(dir.join("entries.ndjson"))?;
    let entries: Vec<Vec<u8>> = split_ndjson(&text);
    let size = head.signed.head.size as usize;
    ensure!(
        entries.len() >= size,
        "the replica holds fewer entries than its head"
    );
    r.update(
        &head.signed,
        &entries[..size],
        &ConsistencyProof {
            old: 0,
            new: head.signed.head.size,
            path: vec![],
        },
    )
    .map_err(|e| anyhow::anyhow!("the replica in {} does not verify: {e}", dir.display()))?;
    Ok(r)
}

/// `sawt mirror`.
pub fn mirror(args: &MirrorArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = Client::new(&args.url)?;
        let (_, election, board) = client.manifest().await?;
        std::fs::create_dir_all(&args.dir)?;
        let mut replica = load_replica(&args.dir, board, election)?;
        // Rewrite the entries file to exactly the verified entries.
        let write_all = |r: &Replica| -> anyhow::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(args.dir.join("entries.ndjson"))?);
            for e in r.entries() {
                out.write_all(e)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(())
        };
        write_all(&replica)?;
        let mut round = 0;
        loop {
            let head: WitnessedHead = client.get_json("/v1/board/head").await?;
            let have = replica.size();
            let size = head.signed.head.size;
            let new_entries = client.entries(have, size.max(have)).await?;
            let proof: ConsistencyProof = client
                .get_json(&format!("/v1/board/proofs/consistency?old={}&new={size}", replica.head().map_or(0, |h| h.head.size)))
                .await?;
            match replica.update(&head.signed, &new_entries, &proof) {
                Ok(()) => {
                    // The attachments the new entries bind, checked against their hashes.
                    for e in &new_entries {
                        let body = SignedEntry::decode(e)?.entry.body;
                        for a in body.attachments() {
                            let hex_hash = hex::encode(a.sha256.0);
                            let r = client.http.get(format!("{}/v1/board/attachments/{hex_hash}", client.base)).send().await?;
                            ensure!(r.status().is_success(), "attachment {hex_hash}: {}", r.status());
                            let bytes = r.bytes().await?;
                            let got: [u8; 32] = sha2::Sha256::digest(&bytes).into();
                            ensure!(got == a.sha256.0 && bytes.len() as u64 == a.length, "the board served other bytes for attachment {hex_hash}");
                            std::fs::create_dir_all(args.dir.join("attachments"))?;
                            write_atomically(&args.dir.join("attachments").join(&hex_hash), &bytes)?;
                        }
                    }
                    let mut out = std::fs::OpenOptions::new().append(true).open(args.dir.join("entries.ndjson"))?;
                    for e in &new_entries {
                        out.write_all(e)?;
                        out.write_all(b"\n")?;
                    }
                    out.flush()?;
                    write_atomically(&args.dir.join("head.json"), &serde_json::to_vec_pretty(&head)?)?;
                    eprintln!("mirrored size {size}");
                }
                Err(ReplicaError::Inconsistent { .. }) => {
                    // Find an entry the board now serves differently, with its proof.
                    let served = client.entries(0, have.min(size)).await?;
                    for (i, e) in served.iter().enumerate() {
                        if e != &replica.entries()[i] {
                            let p: InclusionProof = client.get_json(&format!("/v1/board/proofs/inclusion?index={i}&size={size}")).await?;
                            if let Some(evidence) = replica.fork_evidence(&head.signed, i as u64, e, &p) {
                                let path = args.dir.join("fork-evidence.json");
                                std::fs::write(&path, serde_json::to_vec_pretty(&evidence)?)?;
                                bail!("the board rewrote its history at entry {i}; evidence in {}", path.display());
                            }
                        }
                    }
                    bail!("the board's head of size {size} does not extend the mirrored head of size {have}");
                }
                Err(e) => bail!("refusing the board's update: {e}"),
            }
            round += 1;
            if args.rounds.is_some_and(|n| round >= n) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        }
    })
}
