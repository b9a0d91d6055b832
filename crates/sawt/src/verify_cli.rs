//! `sawt verify DIR --election HEX`: the independent verifier (`crates/sawt-verify`,
//! `protocol-spec/verifier.md`) over an exported record. Exit status 0 when every check
//! passes, 1 when any fails or is blocked, 2 on a usage error, 3 when it could not finish.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// `sawt verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The record's directory (`entries.ndjson`, `head.json`, `attachments/`), as `sawt board
    /// export` or `sawt demo --out` writes it.
    pub dir: PathBuf,
    /// The election: the manifest's hash (64 hex digits), from a source other than the record.
    #[arg(long)]
    pub election: String,
    /// A head you hold (a witness's, an earlier export's); repeatable.
    #[arg(long = "head")]
    pub heads: Vec<PathBuf>,
    /// A receipt a voter holds (its ballot must be in the record); repeatable.
    #[arg(long = "receipt")]
    pub receipts: Vec<PathBuf>,
    /// Mirror this board into DIR first (one round of `sawt mirror`, attachments included),
    /// then verify DIR as an export. Nothing fetched is trusted beyond what the checks show.
    #[arg(long)]
    pub server: Option<String>,
    /// Write every ballot's tracking code and status (counted, superseded, audited, revoked,
    /// after-close) to this file, one JSON object per line: voters find theirs there.
    #[arg(long)]
    pub ballots: Option<PathBuf>,
    /// Print the report as one JSON object on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Runs the verifier and prints its report.
pub fn run(args: &VerifyArgs) -> ExitCode {
    let election = match sawt_board::hash_from_hex(&args.election) {
        Ok(e) => e,
        Err(_) => {
            eprintln!("sawt: --election must be 64 lowercase hexadecimal digits");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &args.server
        && let Err(e) =
            crate::board_cli::mirror(&crate::board_cli::MirrorArgs::once(url, &args.dir))
    {
        // What was mirrored (and any fork evidence) is still verified.
        eprintln!("sawt: mirroring {url}: {e:#}");
    }
    let opts = sawt_verify::Options {
        election,
        heads: args.heads.clone(),
        receipts: args.receipts.clone(),
        ballots: args.ballots.clone(),
        progress: !args.json,
    };
    let report = match sawt_verify::verify(&args.dir, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sawt: {e}");
            return ExitCode::from(3);
        }
    };
    if args.json {
        match serde_json::to_string(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("sawt: {e}");
                return ExitCode::from(3);
            }
        }
    } else {
        print!("{}", report.render());
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        if !args.json {
            eprintln!("sawt: verification failed: {}", report.failed().join(", "));
        }
        ExitCode::from(1)
    }
}
