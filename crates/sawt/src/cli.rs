//! Command-line parsing and dispatch. Exit code 0 on success; otherwise one clear line on
//! stderr and a non-zero code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sawt: end-to-end verifiable elections.
#[derive(Debug, Parser)]
#[command(name = "sawt", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a whole election at the cryptographic level and check its result.
    Demo(crate::demo::DemoArgs),
    /// Serve the board of an election (the observer API; with `--registrar-key`, the
    /// registry's API too).
    Serve(crate::serve_cli::ServeArgs),
    /// Create a board or export its record.
    Board {
        /// What to do.
        #[command(subcommand)]
        command: crate::board_cli::BoardCommand,
    },
    /// Witness a board: check each new head extends the last one cosigned, and cosign it.
    Witness(crate::board_cli::WitnessArgs),
    /// Keep a verified replica of a board in a directory.
    Mirror(crate::board_cli::MirrorArgs),
    /// The electoral roll: generate a synthetic one, import the civil registry's export.
    Registry {
        /// What to do.
        #[command(subcommand)]
        command: crate::registry_cli::RegistryCommand,
    },
    /// A trustee: the key generation through the board, decryption shares of the tally.
    Trustee {
        /// What to do.
        #[command(subcommand)]
        command: crate::officials_cli::TrusteeCommand,
    },
    /// A mixer: shuffle each mix-net contest's list in turn, with a proof.
    Mixer(crate::officials_cli::MixerArgs),
    /// The election authority: the joint key, the close, the tally, the results.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: crate::officials_cli::AdminCommand,
    },
    /// A voter's device: enrol, see the ballot, cast or audit, check receipts and audits.
    Voter(crate::voter_cli::VoterArgs),
    /// Verify a whole election record from its files alone: every check of
    /// protocol-spec/verifier.md, every failure reported.
    Verify(crate::verify_cli::VerifyArgs),
    /// Measure performance.
    Bench {
        /// Which part to measure.
        #[command(subcommand)]
        part: BenchPart,
    },
}

/// Parts that `sawt bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchPart {
    /// The cryptographic core.
    Crypto {
        /// Print one JSON object per line per measurement.
        #[arg(long)]
        json: bool,
        /// Worker threads (figures in BENCHMARKS.md are for one core).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Scale the number of repetitions (1 = the figures' setting; smaller is quicker).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// The verifiable shuffle, and a whole mixnet tally.
    Mix(crate::bench::MixArgs),
    /// The bulletin board's storage: append rate, proof latency, on SQLite and PostgreSQL.
    Board(crate::bench::BoardArgs),
    /// The electoral roll: importing and freezing the national roll, on SQLite and PostgreSQL.
    Registry(crate::bench::RegistryArgs),
    /// Casting ballots through the voters' HTTP API, and the verify-only rate.
    Cast(crate::bench::CastArgs),
}

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Verify(args) = &cli.command {
        return crate::verify_cli::run(args);
    }
    let result = match cli.command {
        Command::Verify(_) => unreachable!("handled above"),
        Command::Demo(args) => crate::demo::run(&args),
        Command::Serve(args) => crate::serve_cli::serve(&args),
        Command::Board { command } => crate::board_cli::board(&command),
        Command::Witness(args) => crate::board_cli::witness(&args),
        Command::Mirror(args) => crate::board_cli::mirror(&args),
        Command::Registry { command } => crate::registry_cli::registry(&command),
        Command::Voter(args) => crate::voter_cli::voter(&args),
        Command::Trustee { command } => crate::officials_cli::trustee(&command),
        Command::Admin { command } => crate::officials_cli::admin(&command),
        Command::Mixer(args) => crate::officials_cli::mixer(&args),
        Command::Bench {
            part:
                BenchPart::Crypto {
                    json,
                    threads,
                    scale,
                },
        } => crate::bench::crypto(json, threads, scale),
        Command::Bench {
            part: BenchPart::Mix(args),
        } => crate::bench::mix(&args),
        Command::Bench {
            part: BenchPart::Board(args),
        } => crate::bench::board(&args),
        Command::Bench {
            part: BenchPart::Registry(args),
        } => crate::bench::registry(&args),
        Command::Bench {
            part: BenchPart::Cast(args),
        } => crate::bench::cast(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sawt: {e:#}");
            if e.is::<crate::voter_cli::ServiceMisbehaved>() {
                ExitCode::from(crate::voter_cli::MISBEHAVIOUR_EXIT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
