//! `sawt voter`: a voter's device on the command line, over `sawt-client` — enrol, see the
//! ballot, prepare (the tracking code shown first), cast or audit, check an audit from a
//! second device, check receipts later, see which ballot counts, and check a complaint.
//!
//! The device lives in one JSON file (`--device`, default `./sawt-data/voter/device.json`)
//! with the service's URL; its key is sealed by a passphrase (`SAWT_PASSPHRASE`, or
//! `--passphrase-file`). Output is readable Arabic or English (`--lang`, else `LANG`), or one
//! JSON object with `--json`. A service that fails a check is reported (exit code 3), and any
//! complaint is written next to the device file.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use sawt_client::complaint::{Complaint, Finding};
use sawt_client::device::{Device, Kind};
use sawt_client::election::Election;
use sawt_client::keystore::{Passphrase, Unlocked};
use sawt_client::transport::HttpTransport;
use sawt_client::{Api, ClientError, Voter};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Options of `sawt voter`.
#[derive(Debug, Args)]
pub struct VoterArgs {
    /// The device file.
    #[arg(long, global = true, default_value = "./sawt-data/voter/device.json")]
    device: PathBuf,
    /// A file holding the passphrase that seals the device key (else `SAWT_PASSPHRASE`).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// One JSON object on standard output instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The language of the text: `ar` or `en` (default: from `LANG`).
    #[arg(long, global = true)]
    lang: Option<String>,
    /// What to do.
    #[command(subcommand)]
    command: VoterCommand,
}

/// The voter's commands.
#[derive(Debug, Subcommand)]
pub enum VoterCommand {
    /// Create this device's credential and enrol it with an identity assertion.
    Enrol {
        /// The service's URL.
        #[arg(long)]
        server: String,
        /// The election identifier `E` (64 hexadecimal digits), from your own source.
        #[arg(long)]
        election: String,
        /// The identity provider's signed assertion for this device's credential (JSON).
        /// Without it, `--dev-identity` asks a development provider.
        #[arg(long)]
        assertion: Option<PathBuf>,
        /// DEVELOPMENT ONLY: obtain the assertion for this civil number from the service's
        /// development identity provider.
        #[arg(long)]
        dev_identity: Option<String>,
        /// Replace an existing device file (a new phone: the old credential is revoked).
        #[arg(long)]
        replace: bool,
    },
    /// Show the ballot: the contest and its candidates, as the board proves them.
    Ballot,
    /// Encrypt a choice and show its tracking code; then `cast` or `audit` it.
    Prepare {
        /// Candidate identifiers, comma-separated.
        #[arg(long, value_delimiter = ',')]
        choice: Vec<String>,
    },
    /// Cast the prepared ballot (or, with `--choice`, prepare and cast at once).
    Cast {
        /// Candidate identifiers, comma-separated.
        #[arg(long, value_delimiter = ',')]
        choice: Vec<String>,
    },
    /// Audit the prepared ballot: its secrets are published and it never counts.
    Audit {
        /// Candidate identifiers, comma-separated.
        #[arg(long, value_delimiter = ',')]
        choice: Vec<String>,
    },
    /// On a second device: recompute an audited ballot from the board alone.
    CheckAudit {
        /// The service's URL.
        #[arg(long)]
        server: String,
        /// The election identifier `E`.
        #[arg(long)]
        election: String,
        /// The audited ballot's index on the board.
        #[arg(long)]
        index: u64,
        /// The tracking code the first device showed, to compare.
        #[arg(long)]
        tracking_code: Option<String>,
    },
    /// Check every receipt again under the board's latest head.
    Receipt,
    /// The device's ballots and which one counts.
    Status,
    /// Check a complaint file (anyone can, with the election identifier).
    Complaint {
        /// The complaint file.
        file: PathBuf,
        /// The service's URL (for the manifest, checked against `--election`).
        #[arg(long)]
        server: String,
        /// The election identifier `E`.
        #[arg(long)]
        election: String,
    },
}

/// The device file: the service's URL and the device's state.
#[derive(Serialize, Deserialize)]
struct DeviceFile {
    server: String,
    device: Device,
}

/// Exit code when the service failed a check.
pub const MISBEHAVIOUR_EXIT: u8 = 3;

/// The service misbehaved: the command's error, with its own exit code.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServiceMisbehaved(pub String);

fn anchor(hex_e: &str) -> anyhow::Result<[u8; 32]> {
    sawt_crypto::group::decode_hex32(hex_e)
        .map_err(|e| anyhow!("--election must be 64 hexadecimal digits: {e}"))
}

fn passphrase(args: &VoterArgs) -> anyhow::Result<Passphrase> {
    let phrase = match &args.passphrase_file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("reading {}", f.display()))?
            .trim_end_matches(['\n', '\r'])
            .to_owned(),
        None => std::env::var("SAWT_PASSPHRASE").map_err(|_| {
            anyhow!("the device key's passphrase: set SAWT_PASSPHRASE or --passphrase-file")
        })?,
    };
    if phrase.chars().count() < 8 {
        bail!("the passphrase must have at least 8 characters");
    }
    Ok(Passphrase::new(phrase))
}

fn load(path: &Path) -> anyhow::Result<DeviceFile> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "no device at {} (enrol first: sawt voter enrol)",
            path.display()
        )
    })?;
    let f: DeviceFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a device file", path.display()))?;
    if f.device.format != sawt_client::device::DEVICE_FORMAT {
        bail!(
            "{} is a device file of another format: {}",
            path.display(),
            f.device.format
        );
    }
    Ok(f)
}

fn save(path: &Path, f: &DeviceFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(f)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Arabic or English.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Ar,
    En,
}

fn lang(args: &VoterArgs) -> Lang {
    let l = args
        .lang
        .clone()
        .or_else(|| std::env::var("LANG").ok())
        .unwrap_or_default();
    if l.starts_with("ar") {
        Lang::Ar
    } else {
        Lang::En
    }
}

/// The words the text output uses.
fn say(l: Lang, key: &str) -> &'static str {
    let (ar, en) = match key {
        "enrolled" => (
            "تم تسجيل هذا الجهاز للتصويت في",
            "This device is enrolled to vote in",
        ),
        "replaced" => ("وأُلغي الجهاز السابق", "and the previous device was revoked"),
        "contest" => ("الدائرة", "Contest"),
        "choose" => ("اختر حتى", "Choose up to"),
        "tracking" => ("رمز التتبع", "Tracking code"),
        "decide" => (
            "احفظ الرمز، ثم أدلِ بصوتك (sawt voter cast) أو دقّق الورقة (sawt voter audit)",
            "Note the code, then cast (sawt voter cast) or audit (sawt voter audit)",
        ),
        "cast" => ("تم الإدلاء بصوتك", "Your ballot is cast"),
        "index" => ("رقمه في السجل", "its index on the board"),
        "witnessed" => ("مُصادق عليه من الشهود", "witnessed"),
        "not-witnessed" => (
            "لم يصادق عليه الشهود بعد (تحقق لاحقاً: sawt voter receipt)",
            "not yet witnessed (check later: sawt voter receipt)",
        ),
        "audited" => (
            "دُقّقت الورقة ونُشرت أسرارها؛ لن تُحتسب. اختر من جديد للتصويت",
            "The ballot was audited and its secrets published; it will not count. Choose again to vote",
        ),
        "encodes" => ("وهي تحمل", "It encodes"),
        "second" => (
            "للتحقق من جهاز آخر: sawt voter check-audit --index",
            "To check it on another device: sawt voter check-audit --index",
        ),
        "audit-ok" => (
            "الورقة المدققة مشفرة كما يكشف فتحها، وتحمل",
            "The audited ballot encrypts what its opening reveals; it encodes",
        ),
        "receipt-ok" => ("الإيصال ما زال قائماً", "Receipt holds"),
        "counted" => ("محتسب", "counted"),
        "superseded" => ("مستبدل", "superseded"),
        "audited-status" => ("مدقق", "audited"),
        "none" => ("لا توجد أوراق بعد", "No ballots yet"),
        "complaint-ok" => ("الشكوى صحيحة", "The complaint holds"),
        "fork" => ("انقسام مثبت في السجل", "proven fork of the board"),
        _ => ("", ""),
    };
    match l {
        Lang::Ar => ar,
        Lang::En => en,
    }
}

fn status_word(l: Lang, status: &str) -> &'static str {
    match status {
        "counted" => say(l, "counted"),
        "superseded" => say(l, "superseded"),
        _ => say(l, "audited-status"),
    }
}

/// `sawt voter`.
pub fn voter(args: &VoterArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

/// A client error for the command line: a misbehaviour gets its own exit code and names
/// the complaint files written for it (`new`: their numbers).
fn service_error(e: ClientError, new: std::ops::Range<usize>, device: &Path) -> anyhow::Error {
    match e {
        ClientError::Misbehaviour(m) => {
            let files: Vec<String> = new
                .map(|n| {
                    device
                        .with_file_name(format!("complaint-{n}.json"))
                        .display()
                        .to_string()
                })
                .collect();
            let written = if files.is_empty() {
                String::new()
            } else {
                format!("; complaint written to {}", files.join(", "))
            };
            ServiceMisbehaved(format!("{m}{written}")).into()
        }
        other => other.into(),
    }
}

async fn run(args: &VoterArgs) -> anyhow::Result<()> {
    let l = lang(args);
    let out = |j: serde_json::Value, text: String| {
        if args.json {
            println!("{j}");
        } else {
            println!("{text}");
        }
    };
    match &args.command {
        VoterCommand::Enrol {
            server,
            election,
            assertion,
            dev_identity,
            replace,
        } => {
            let e = anchor(election)?;
            let store = passphrase(args)?;
            // A device whose enrolment did not finish is enrolled again with its own key (the
            // credential may be on the board already); one that is enrolled needs --replace.
            let device = match load(&args.device) {
                Ok(f) if !replace && f.device.enrolment.is_none() && f.device.election.0 == e => {
                    f.device
                }
                Ok(_) if !replace => bail!(
                    "{} already holds an enrolled device; pass --replace to enrol a new one",
                    args.device.display()
                ),
                Err(err) if args.device.exists() && !replace => {
                    return Err(err.context("pass --replace to start a new device there"));
                }
                _ => Device::new(e, &store)?,
            };

            let api = Api::new(HttpTransport::new(server)?);
            let assertion = match (assertion, dev_identity) {
                (Some(f), None) => {
                    std::fs::read(f).with_context(|| format!("reading {}", f.display()))?
                }
                (None, Some(civil)) => {
                    let body = serde_json::to_vec(
                        &json!({"civil_number": civil, "credential": device.credential}),
                    )?;
                    api.call(sawt_client::transport::Request::post_json(
                        "/v1/dev/identity",
                        body,
                    ))
                    .await
                    .context("the development identity provider")?
                }
                _ => bail!("give exactly one of --assertion FILE and --dev-identity CIVIL"),
            };
            let mut v = Voter::open(api, device)
                .await
                .map_err(|e| service_error(e, 0..0, &args.device))?;
            let keep = |device: &Device| {
                save(
                    &args.device,
                    &DeviceFile {
                        server: server.clone(),
                        device: device.clone(),
                    },
                )
            };
            // The key is kept before the enrolment is sent: an enrolment whose answer is
            // lost must not lose the key it enrolled.
            keep(&v.device)?;
            let enrolment = v
                .enrol(&assertion)
                .await
                .map_err(|e| service_error(e, 0..0, &args.device))?;
            keep(&v.device)?;
            let replaced = enrolment.replaced.is_some();
            out(
                json!({"credential": v.device.credential, "wilayat": enrolment.wilayat, "entry_index": enrolment.entry_index, "replaced": enrolment.replaced}),
                format!(
                    "{} {}{}",
                    say(l, "enrolled"),
                    enrolment.wilayat.0,
                    if replaced {
                        format!(" {}", say(l, "replaced"))
                    } else {
                        String::new()
                    }
                ),
            );
            Ok(())
        }
        VoterCommand::CheckAudit {
            server,
            election,
            index,
            tracking_code,
        } => {
            let api = Api::new(HttpTransport::new(server)?);
            let f = sawt_client::voter::check_audit(&api, anchor(election)?, *index)
                .await
                .map_err(|e| service_error(e, 0..0, &args.device))?;
            let normal = |s: &str| -> String {
                s.chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_uppercase())
                    .collect()
            };
            if let Some(code) = tracking_code
                && normal(code) != normal(&f.tracking_code)
            {
                return Err(ServiceMisbehaved(format!(
                    "the audited ballot at {index} has tracking code {}, not {code}",
                    f.tracking_code
                ))
                .into());
            }
            let names: Vec<String> = f
                .choices
                .iter()
                .map(|(id, ar, en)| format!("{id} ({})", if l == Lang::Ar { ar } else { en }))
                .collect();
            out(
                json!({"index": index, "contest": f.contest, "tracking_code": f.tracking_code, "choices": f.choices.iter().map(|c| &c.0).collect::<Vec<_>>()}),
                format!("{} {}: {}", say(l, "audit-ok"), f.contest, names.join(", ")),
            );
            Ok(())
        }
        VoterCommand::Complaint {
            file,
            server,
            election,
        } => {
            let c: Complaint = serde_json::from_slice(
                &std::fs::read(file).with_context(|| format!("reading {}", file.display()))?,
            )
            .context("not a complaint file")?;
            let api = Api::new(HttpTransport::new(server)?);
            let e = Election::from_manifest_entry(anchor(election)?, &api.entry(0).await?)
                .map_err(|m| service_error(m.into(), 0..0, &args.device))?;
            let finding = c
                .check(&e)
                .map_err(|why| anyhow!("the complaint does not hold: {why}"))?;
            let (fork, detail) = match &finding {
                Finding::Fork(d) => (true, d.clone()),
                Finding::Failed(d) => (false, d.clone()),
            };
            out(
                json!({"holds": true, "check": c.body.check, "fork": fork, "detail": detail}),
                format!(
                    "{} ({}{}): {detail}",
                    say(l, "complaint-ok"),
                    c.body.check,
                    if fork {
                        format!(", {}", say(l, "fork"))
                    } else {
                        String::new()
                    }
                ),
            );
            Ok(())
        }
        _ => with_device(args, l, &out).await,
    }
}

async fn with_device(
    args: &VoterArgs,
    l: Lang,
    out: &impl Fn(serde_json::Value, String),
) -> anyhow::Result<()> {
    let mut file = load(&args.device)?;
    let store = passphrase(args)?;
    let unlocked = Unlocked::open(&store, &file.device.key, file.device.credential.bytes())?;
    let before = file.device.complaints.len();
    let api = Api::new(HttpTransport::new(&file.server)?);
    let mut v = Voter::open(api, file.device.clone())
        .await
        .map_err(|e| service_error(e, 0..0, &args.device))?;
    let result = command(args, l, out, &mut v, &unlocked).await;
    // Whatever happened, the complaints found are signed and kept (a failure to sign is
    // reported after the device is saved).
    let signed = v.sign_pending(&unlocked);
    // Whatever happened, keep what the device learnt: heads, receipts, complaints.
    file.device = v.device;
    save(&args.device, &file)?;
    for (i, c) in file.device.complaints.iter().enumerate().skip(before) {
        std::fs::write(
            args.device
                .with_file_name(format!("complaint-{}.json", i + 1)),
            serde_json::to_vec_pretty(c)?,
        )?;
    }
    signed?;
    result.map_err(|e| {
        service_error(
            e,
            before + 1..file.device.complaints.len() + 1,
            &args.device,
        )
    })
}

async fn command(
    args: &VoterArgs,
    l: Lang,
    out: &impl Fn(serde_json::Value, String),
    v: &mut Voter<HttpTransport>,
    key: &Unlocked,
) -> Result<(), ClientError> {
    match &args.command {
        VoterCommand::Ballot => {
            let style = v.ballot_style(key).await?;
            let lines: Vec<String> = style
                .candidates
                .iter()
                .map(|(id, n)| format!("  {id}  {}", if l == Lang::Ar { &n.ar } else { &n.en }))
                .collect();
            out(
                serde_json::to_value(&style).unwrap_or_default(),
                format!(
                    "{} {} ({}): {} {}\n{}",
                    say(l, "contest"),
                    style.contest,
                    style.wilayat.0,
                    say(l, "choose"),
                    style.votes_per_voter,
                    lines.join("\n")
                ),
            );
        }
        VoterCommand::Prepare { choice } => {
            let code = v.prepare(choice, key).await?;
            out(
                json!({"tracking_code": code}),
                format!("{}: {code}\n{}", say(l, "tracking"), say(l, "decide")),
            );
        }
        VoterCommand::Cast { choice } => {
            if !choice.is_empty() {
                v.prepare(choice, key).await?;
            }
            let r = v.cast(key).await?;
            out(
                json!({"tracking_code": r.tracking_code, "index": r.index, "witnessed": r.witnessed, "head_size": r.receipt.head.signed.head.size}),
                format!(
                    "{}. {}: {}, {} {} ({})",
                    say(l, "cast"),
                    say(l, "tracking"),
                    r.tracking_code,
                    say(l, "index"),
                    r.index,
                    if r.witnessed {
                        say(l, "witnessed")
                    } else {
                        say(l, "not-witnessed")
                    }
                ),
            );
        }
        VoterCommand::Audit { choice } => {
            if !choice.is_empty() {
                v.prepare(choice, key).await?;
            }
            let (r, opening) = v.audit(key).await?;
            out(
                json!({"tracking_code": r.tracking_code, "index": r.index, "choice": opening.choice}),
                format!(
                    "{}. {}: {}. {} {}. {} {}",
                    say(l, "audited"),
                    say(l, "tracking"),
                    r.tracking_code,
                    say(l, "encodes"),
                    opening.choice.join(", "),
                    say(l, "second"),
                    r.index
                ),
            );
        }
        VoterCommand::Receipt => {
            let states = v.check_receipts(key).await?;
            let lines: Vec<String> = states
                .iter()
                .map(|s| {
                    format!(
                        "{} {} ({} {}): {}",
                        say(l, "receipt-ok"),
                        s.tracking_code,
                        say(l, "index"),
                        s.index,
                        if s.witnessed {
                            say(l, "witnessed")
                        } else {
                            say(l, "not-witnessed")
                        }
                    )
                })
                .collect();
            out(
                json!({"receipts": states.iter().map(|s| json!({"index": s.index, "tracking_code": s.tracking_code, "kind": if s.kind == Kind::Cast { "cast" } else { "audit" }, "confirmed_size": s.confirmed_size, "witnessed": s.witnessed})).collect::<Vec<_>>()}),
                if lines.is_empty() {
                    say(l, "none").to_owned()
                } else {
                    lines.join("\n")
                },
            );
        }
        VoterCommand::Status => {
            let statuses = v.statuses(key).await?;
            let lines: Vec<String> = statuses
                .iter()
                .map(|s| {
                    format!(
                        "{} {}: {}",
                        s.index,
                        s.tracking_code,
                        status_word(l, s.status)
                    )
                })
                .collect();
            out(
                json!({"ballots": statuses.iter().map(|s| json!({"index": s.index, "tracking_code": s.tracking_code, "status": s.status})).collect::<Vec<_>>()}),
                if lines.is_empty() {
                    say(l, "none").to_owned()
                } else {
                    lines.join("\n")
                },
            );
        }
        VoterCommand::Enrol { .. }
        | VoterCommand::CheckAudit { .. }
        | VoterCommand::Complaint { .. } => {
            unreachable!("handled without a device")
        }
    }
    Ok(())
}
