//! `sawt trustee` and `sawt admin`: the key holders' commands against a running service.
//!
//! * `sawt trustee keygen`: a trustee's part in the key generation through the board; its key
//!   share is sealed at rest by a passphrase (`SAWT_PASSPHRASE`) in `--share FILE`.
//! * `sawt trustee decrypt`: after the tally entries, the trustee recomputes each homomorphic
//!   contest's sums from the record, checks the posted ones, and posts its decryption shares;
//!   for each mix-net contest, it checks the whole cascade from the counted list and posts its
//!   share of the last list.
//! * `sawt mixer`: a mixer checks each mix-net contest's cascade so far and posts its stage.
//! * `sawt admin joint-key|close|tally|publish`: the election authority posts the joint key
//!   (recomputed from the key generation), the close, the sums of the counted ballots, and
//!   the results (seats, and any tie drawn by lot).
//!
//! Each takes the service's URL, the election identifier `E` from the holder's own source
//! (the manifest on the board is checked against it), and the holder's key file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use sawt_client::Api;
use sawt_client::election::Election;
use sawt_client::keystore::{Passphrase, Sealed, SecretStore};
use sawt_client::transport::HttpTransport;
use sawt_crypto::Scalar;
use sawt_crypto::group::Element;
use sawt_crypto::threshold::TrusteeKeyShare;
use serde::{Deserialize, Serialize};

use crate::board_cli::read_key;
use crate::tally::{self, Author};

/// What every key holder's command needs.
#[derive(Debug, Args)]
pub struct Holder {
    /// The service's URL.
    #[arg(long)]
    server: String,
    /// The election identifier `E` (64 hexadecimal digits), from your own source.
    #[arg(long)]
    election: String,
    /// The holder's ed25519 key (a file holding its 32-byte seed in hexadecimal).
    #[arg(long)]
    key: PathBuf,
}

/// `sawt trustee`.
#[derive(Debug, Subcommand)]
pub enum TrusteeCommand {
    /// Take part in the key generation through the board; seal the key share in `--share`.
    Keygen {
        /// The service, the election, the trustee's key.
        #[command(flatten)]
        holder: Holder,
        /// The trustee's index in the manifest.
        #[arg(long)]
        index: u32,
        /// Where to keep the sealed key share.
        #[arg(long)]
        share: PathBuf,
        /// How long to wait for the other trustees, in seconds.
        #[arg(long, default_value_t = 600)]
        wait_secs: u64,
    },
    /// Post decryption shares of every homomorphic contest's tally.
    Decrypt {
        /// The service, the election, the trustee's key.
        #[command(flatten)]
        holder: Holder,
        /// The sealed key share.
        #[arg(long)]
        share: PathBuf,
    },
}

/// `sawt admin`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Build a valid manifest from a table of wilayats (`../shared/oman/wilayats.csv`) and the
    /// parties' public keys; written as JSON to `--out` (then `sawt board init` posts it).
    Manifest(ManifestArgs),
    /// Extend a window (a signed, published entry): `--window voting_home --until TIME`.
    Extend {
        /// The service, the election, the authority's key.
        #[command(flatten)]
        holder: Holder,
        /// The window, as the manifest names it (`registration`, …, `voting_home`).
        #[arg(long)]
        window: String,
        /// Its new end: RFC 3339 (`2027-10-28T20:00:00+04:00`).
        #[arg(long)]
        until: String,
        /// Why, in Arabic.
        #[arg(long)]
        reason_ar: String,
        /// Why, in English.
        #[arg(long)]
        reason_en: String,
    },
    /// Post the joint key the key generation on the board determines.
    JointKey(Holder),
    /// Close voting (after the voting windows).
    Close(Holder),
    /// Post the sums of the counted ballots of each homomorphic contest.
    Tally(Holder),
    /// Combine the trustees' shares and post the results.
    Publish {
        /// The service, the election, the authority's key.
        #[command(flatten)]
        holder: Holder,
        /// Post preliminary results (final ones by default).
        #[arg(long)]
        preliminary: bool,
    },
}

/// Options of `sawt admin manifest`.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The table of wilayats (the columns of `shared/oman/wilayats.csv`); default: the
    /// built-in copy.
    #[arg(long)]
    from: Option<PathBuf>,
    /// The council: `shura` or `municipal`.
    #[arg(long, default_value = "shura")]
    kind: String,
    /// The tally: `homomorphic` or `mixnet`.
    #[arg(long, default_value = "homomorphic")]
    tally: String,
    /// The term (the 11th Shura council…).
    #[arg(long, default_value_t = 11)]
    term: u32,
    /// The day registration opens (YYYY-MM-DD, Oman time); the other windows follow the
    /// 2023 calendar's spacing (registration a month; voting abroad a week before home).
    #[arg(long)]
    starts: String,
    /// The election authority's public key (hex).
    #[arg(long)]
    authority: String,
    /// The registrar's public key (hex).
    #[arg(long)]
    registrar: String,
    /// The board operator's public key (hex).
    #[arg(long)]
    board: String,
    /// A trustee's public key (hex), in index order; repeat.
    #[arg(long = "trustee", required = true)]
    trustees: Vec<String>,
    /// Trustees needed to decrypt.
    #[arg(long)]
    threshold: u32,
    /// A mixer's public key (hex), in cascade order; repeat (mix-net tallies).
    #[arg(long = "mixer")]
    mixers: Vec<String>,
    /// A witness's public key (hex); repeat.
    #[arg(long = "witness", required = true)]
    witnesses: Vec<String>,
    /// Cosignatures a head needs.
    #[arg(long)]
    quorum: u32,
    /// Where to write the manifest.
    #[arg(long)]
    out: PathBuf,
}

fn key_hex(s: &str) -> anyhow::Result<sawt_election::keys::PublicKeyHex> {
    let k = sawt_election::keys::PublicKeyHex::try_from(s.to_owned())
        .map_err(|e| anyhow::anyhow!("{s} is not a public key: {e}"))?;
    k.verifying_key().map_err(|e| anyhow::anyhow!("{s}: {e}"))?;
    Ok(k)
}

/// `sawt admin manifest`.
fn build_manifest(a: &ManifestArgs) -> anyhow::Result<sawt_election::manifest::Manifest> {
    use sawt_election::manifest::*;
    let table = match &a.from {
        Some(f) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        None => sawt_election::oman::WILAYATS_CSV.to_owned(),
    };
    let rows = sawt_election::oman::parse_wilayats(&table).map_err(anyhow::Error::msg)?;
    let kind = match a.kind.as_str() {
        "shura" => ElectionKind::Shura,
        "municipal" => ElectionKind::Municipal,
        k => bail!("--kind: shura or municipal, not {k}"),
    };
    let tally = match a.tally.as_str() {
        "homomorphic" => TallyMethod::Homomorphic,
        "mixnet" => TallyMethod::Mixnet,
        t => bail!("--tally: homomorphic or mixnet, not {t}"),
    };
    let start = sawt_registry::calendar::parse_date(&a.starts)
        .map_err(|e| anyhow::anyhow!("--starts: {e}"))?;
    // The sample calendar's windows, moved so that registration opens on `start` at 08:00
    // Oman time.
    let mut windows = sawt_registry::sample::windows();
    let opens = time::PrimitiveDateTime::new(start, time::macros::time!(08:00))
        .assume_offset(time::macros::offset!(+4))
        .unix_timestamp() as u64
        * 1000;
    let shift = opens as i128 - windows.registration.start_ms as i128;
    for w in [
        &mut windows.registration,
        &mut windows.candidacy,
        &mut windows.key_generation,
        &mut windows.campaign,
        &mut windows.voting_abroad,
        &mut windows.voting_home,
    ] {
        w.start_ms = (w.start_ms as i128 + shift) as u64;
        w.end_ms = (w.end_ms as i128 + shift) as u64;
    }
    let holders = |keys: &[String], what: (&str, &str)| -> anyhow::Result<Vec<KeyHolder>> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                Ok(KeyHolder {
                    index: i as u32 + 1,
                    name: Names {
                        ar: format!("{} {}", what.0, i + 1),
                        en: format!("{} {}", what.1, i + 1),
                    },
                    key: key_hex(k)?,
                })
            })
            .collect()
    };
    let mut contests = sawt_election::oman::contests(&rows, kind, tally);
    for c in &mut contests {
        c.candidates.clear(); // from the candidacies: `candidate-list` entries
    }
    let m = Manifest {
        format: MANIFEST_FORMAT.into(),
        id: format!("{}-{}", a.kind, a.term),
        kind,
        term: a.term,
        name: match kind {
            ElectionKind::Shura => Names {
                ar: format!("انتخابات مجلس الشورى للفترة {}", a.term),
                en: format!("Shura Council election, term {}", a.term),
            },
            ElectionKind::Municipal => Names {
                ar: format!("انتخابات المجالس البلدية للفترة {}", a.term),
                en: format!("Municipal councils election, term {}", a.term),
            },
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows,
        geography: sawt_election::oman::geography(&rows),
        contests,
        trustees: Trustees {
            threshold: a.threshold,
            members: holders(&a.trustees, ("الأمين", "Trustee"))?,
        },
        mixers: holders(&a.mixers, ("الخالط", "Mixer"))?,
        witnesses: Witnesses {
            quorum: a.quorum,
            members: holders(&a.witnesses, ("الشاهد", "Witness"))?,
        },
        authorities: Authorities {
            election_authority: key_hex(&a.authority)?,
            registrar: key_hex(&a.registrar)?,
            board_operator: key_hex(&a.board)?,
        },
    };
    m.validate()
        .map_err(|e| anyhow::anyhow!("the manifest is not valid: {}", e.0.join("; ")))?;
    Ok(m)
}

/// A trustee's key share, sealed at rest.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFile {
    format: String,
    election: String,
    index: u32,
    verification_key: Element,
    sealed: Sealed,
}

const SHARE_FORMAT: &str = "sawt/v1/trustee-share";

fn passphrase() -> anyhow::Result<Passphrase> {
    let p = std::env::var("SAWT_PASSPHRASE")
        .map_err(|_| anyhow::anyhow!("the key share's passphrase: set SAWT_PASSPHRASE"))?;
    if p.chars().count() < 8 {
        bail!("the passphrase must have at least 8 characters");
    }
    Ok(Passphrase::new(p))
}

async fn connect(h: &Holder) -> anyhow::Result<(Api<HttpTransport>, Election, Author)> {
    let e = sawt_crypto::group::decode_hex32(&h.election)
        .map_err(|err| anyhow::anyhow!("--election must be 64 hexadecimal digits: {err}"))?;
    let api = Api::new(HttpTransport::new(&h.server)?);
    let election = Election::from_manifest_entry(e, &api.entry(0).await?)?;
    Ok((api, election, Author::new(e, read_key(&h.key)?)))
}

/// Creates the share file before the key generation starts (never over an existing one;
/// readable by its owner only), so that a share the trustee dealt for is never lost to a
/// file that cannot be written.
fn create_share_file(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!("{} exists: a trustee takes part once", path.display())
        }
        _ => anyhow::anyhow!("creating {}: {e}", path.display()),
    })
}

fn seal(file: &mut std::fs::File, e: &[u8; 32], share: &TrusteeKeyShare) -> anyhow::Result<()> {
    use std::io::Write as _;
    let vk = *share.verification_key();
    let sealed = passphrase()?.seal(share.expose_secret().as_bytes(), vk.as_bytes())?;
    let f = ShareFile {
        format: SHARE_FORMAT.into(),
        election: hex::encode(e),
        index: share.index(),
        verification_key: vk,
        sealed,
    };
    file.write_all(&serde_json::to_vec_pretty(&f)?)?;
    file.sync_all()?;
    Ok(())
}

fn unseal(path: &Path, e: &[u8; 32]) -> anyhow::Result<TrusteeKeyShare> {
    let f: ShareFile = serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not a key share", path.display()))?;
    if f.format != SHARE_FORMAT || f.election != hex::encode(e) {
        bail!("{} is not a key share of this election", path.display());
    }
    let secret = passphrase()?.open(&f.sealed, f.verification_key.as_bytes())?;
    let scalar = Option::<Scalar>::from(Scalar::from_canonical_bytes(*secret))
        .context("the key share is damaged")?;
    TrusteeKeyShare::from_secret(f.index, scalar, f.verification_key)
        .context("the key share does not match its verification key")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// `sawt trustee`.
pub fn trustee(command: &TrusteeCommand) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        match command {
            TrusteeCommand::Keygen {
                holder,
                index,
                share,
                wait_secs,
            } => {
                passphrase()?;
                let (api, election, me) = connect(holder).await?;
                let mut file = create_share_file(share)?;
                let deadline = Instant::now() + Duration::from_secs(*wait_secs);
                let taken = crate::keygen::take_part(
                    &api,
                    &election,
                    &me,
                    *index,
                    deadline,
                    Duration::from_millis(300),
                )
                .await;
                let s = match taken {
                    Ok(s) => s,
                    Err(e) => {
                        drop(file);
                        let _ = std::fs::remove_file(share);
                        return Err(e);
                    }
                };
                seal(&mut file, &election.id(), &s)?;
                println!(
                    "trustee {index}: key share sealed in {} (verification key {})",
                    share.display(),
                    s.verification_key().to_hex()
                );
            }
            TrusteeCommand::Decrypt { holder, share } => {
                let (api, election, me) = connect(holder).await?;
                let s = unseal(share, &election.id())?;
                let counted = tally::count(&api, election.manifest()).await?;
                let (posted, _) =
                    tally::tallies_and_shares(&api, election.manifest(), counted.after_close())
                        .await?;
                let mut n =
                    tally::post_shares(&api, &me, &s, &election.id(), &counted, &posted).await?;
                let m = election.manifest();
                let record = crate::mixnet_tally::MixRecord::read(&api, m, &counted).await?;
                for contest in counted.lists.keys() {
                    let read = (&counted, &record);
                    crate::mixnet_tally::post_share(&api, &me, &s, m, read, contest).await?;
                    n += 1;
                }
                println!(
                    "trustee {}: decryption shares posted for {n} contests",
                    s.index()
                );
            }
        }
        Ok(())
    })
}

/// Options of `sawt mixer`.
#[derive(Debug, Args)]
pub struct MixerArgs {
    /// The service, the election, the mixer's key.
    #[command(flatten)]
    holder: Holder,
    /// The mixer's index in the manifest.
    #[arg(long)]
    index: u32,
}

/// `sawt mixer`: posts this mixer's stage of every mix-net contest (each checked so far).
pub fn mixer(args: &MixerArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let (api, election, me) = connect(&args.holder).await?;
        let counted = tally::count(&api, election.manifest()).await?;
        let key = counted.outcome.joint_key.prepare();
        let m = election.manifest();
        let record = crate::mixnet_tally::MixRecord::read(&api, m, &counted).await?;
        for contest in counted.lists.keys() {
            let read = (&counted, &record);
            crate::mixnet_tally::mix(&api, &me, args.index, m, read, &key, contest).await?;
            println!("mixer {}: {contest} shuffled, its proof posted", args.index);
        }
        Ok(())
    })
}

/// `sawt admin`.
pub fn admin(command: &AdminCommand) -> anyhow::Result<()> {
    if let AdminCommand::Manifest(a) = command {
        let m = build_manifest(a)?;
        std::fs::write(&a.out, serde_json::to_vec_pretty(&m)?)?;
        println!(
            "manifest of {} contests written to {}; election {}",
            m.contests.len(),
            a.out.display(),
            hex::encode(m.hash()?)
        );
        return Ok(());
    }
    runtime()?.block_on(async {
        match command {
            AdminCommand::Manifest(_) => unreachable!("written above"),
            AdminCommand::Extend {
                holder,
                window,
                until,
                reason_ar,
                reason_en,
            } => {
                let (api, _, me) = connect(holder).await?;
                let end = time::OffsetDateTime::parse(
                    until,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|e| anyhow::anyhow!("--until: an RFC 3339 time: {e}"))?;
                let index = api
                    .submit(&me.sign(sawt_election::entry::EntryBody::WindowExtension(
                        sawt_election::entry::WindowExtension {
                            window: window.clone(),
                            new_end_ms: (end.unix_timestamp_nanos() / 1_000_000) as u64,
                            reason: sawt_election::manifest::Names {
                                ar: reason_ar.clone(),
                                en: reason_en.clone(),
                            },
                        },
                    ))?)
                    .await?;
                println!("{window} extended to {until} (entry {index})");
            }
            AdminCommand::JointKey(h) => {
                let (api, election, me) = connect(h).await?;
                let o = crate::keygen::post_joint_key(&api, &election, &me).await?;
                println!(
                    "joint key {} posted (qualified trustees {:?})",
                    o.joint_key.element().to_hex(),
                    o.qualified
                );
            }
            AdminCommand::Close(h) => {
                let (api, _, me) = connect(h).await?;
                let index = tally::close(&api, &me).await?;
                println!("voting closed at entry {index}");
            }
            AdminCommand::Tally(h) => {
                let (api, election, me) = connect(h).await?;
                let counted = tally::count(&api, election.manifest()).await?;
                let posted = tally::post_tallies(&api, &me, election.manifest(), &counted).await?;
                println!(
                    "sums posted for {} contests ({} ballots count)",
                    posted.len(),
                    counted.rule.counted()
                );
            }
            AdminCommand::Publish {
                holder,
                preliminary,
            } => {
                let (api, election, me) = connect(holder).await?;
                let counted = tally::count(&api, election.manifest()).await?;
                let m = election.manifest();
                let mut published = tally::publish(&api, &me, m, &counted, !preliminary).await?;
                let record = crate::mixnet_tally::MixRecord::read(&api, m, &counted).await?;
                for contest in counted.lists.keys() {
                    let read = (&counted, &record);
                    published.push(
                        crate::mixnet_tally::publish(&api, &me, m, read, contest, !preliminary)
                            .await?,
                    );
                }
                for p in published {
                    println!(
                        "{}: {:?} elected {:?}{}",
                        p.contest,
                        p.totals,
                        p.elected,
                        if p.draw.is_some() {
                            " (a tie drawn by lot)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        Ok(())
    })
}
