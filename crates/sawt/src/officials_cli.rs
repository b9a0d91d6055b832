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

fn seal(path: &Path, e: &[u8; 32], share: &TrusteeKeyShare) -> anyhow::Result<()> {
    let vk = *share.verification_key();
    let sealed = passphrase()?.seal(share.expose_secret().as_bytes(), vk.as_bytes())?;
    let f = ShareFile {
        format: SHARE_FORMAT.into(),
        election: hex::encode(e),
        index: share.index(),
        verification_key: vk,
        sealed,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(&f)?)?;
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
                if share.exists() {
                    bail!("{} exists: a trustee takes part once", share.display());
                }
                passphrase()?;
                let (api, election, me) = connect(holder).await?;
                let deadline = Instant::now() + Duration::from_secs(*wait_secs);
                let s = crate::keygen::take_part(
                    &api,
                    &election,
                    &me,
                    *index,
                    deadline,
                    Duration::from_millis(300),
                )
                .await?;
                seal(share, &election.id(), &s)?;
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
                let (posted, _) = tally::tallies_and_shares(&api, counted.after_close()).await?;
                let mut n =
                    tally::post_shares(&api, &me, &s, &election.id(), &counted, &posted).await?;
                for contest in counted.lists.keys() {
                    let m = election.manifest();
                    crate::mixnet_tally::post_share(&api, &me, &s, m, &counted, contest).await?;
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
        for contest in counted.lists.keys() {
            crate::mixnet_tally::mix(&api, &me, args.index, m, &counted, &key, contest).await?;
            println!("mixer {}: {contest} shuffled, its proof posted", args.index);
        }
        Ok(())
    })
}

/// `sawt admin`.
pub fn admin(command: &AdminCommand) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        match command {
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
                for contest in counted.lists.keys() {
                    published.push(
                        crate::mixnet_tally::publish(&api, &me, m, &counted, contest, !preliminary)
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
