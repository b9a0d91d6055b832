//! `sawt demo`: a crypto-level election, end to end.
//!
//! One district's contest (Bawshar, a two-seat Shura wilayat; the candidates are synthetic):
//! five trustees run the key generation for a 3-of-5 key through public messages only;
//! a few thousand voters each encrypt a ballot (one ciphertext per candidate with a 0/1
//! proof, and a range proof that the ballot selects at most `votes per voter`), all bound
//! to the election, the contest and the voter's credential; every proof is batch-verified;
//! the ciphertexts are summed per candidate; four trustees post decryption shares with
//! proofs (trustee 4 is absent), three are combined, and the totals are decoded and
//! compared with the votes cast. Any mismatch or failed proof is an error (exit code 1).
//!
//! The same voters then vote in the wilayat's municipal contest, tallied through a cascade
//! of three mixers ([`mixnet`]).
//!
//! Then the Shura ballots again, through the bulletin board, cast by each voter's device
//! (`sawt-client`) over HTTP against the service on loopback, with audits and second votes
//! ([`record`]). The tally issue grows this into a whole national election.

mod election;
mod mixnet;
mod record;

use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use clap::Args;
use rayon::prelude::*;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams, TrusteeSetup};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::proofs::range::RangeProof;
use sawt_crypto::rand_core::Rng;
use sawt_crypto::threshold::{DecryptionShare, decrypt_small};
use sawt_crypto::{Ciphertext, Context, EncryptionKey, Nonce};

/// Options of `sawt demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of voters who cast a ballot (default: 3,000; with `--scale national`, 496,279,
    /// the 10th-term Shura election's turnout).
    #[arg(long)]
    pub voters: Option<usize>,
    /// Number of trustees.
    #[arg(long, default_value_t = 5)]
    pub trustees: u32,
    /// Trustees needed to decrypt.
    #[arg(long, default_value_t = 3)]
    pub threshold: u32,
    /// The trustee who does not show up for decryption (0: everyone comes).
    #[arg(long, default_value_t = 4)]
    pub absent: u32,
    /// Where the demo's database and exported record go (an SQLite file and `record/`).
    #[arg(long = "out", alias = "record", default_value = "./sawt-data/demo")]
    pub record: std::path::PathBuf,
    /// How large an election: `small` (three wilayats) or `national` (all 63).
    #[arg(long, value_enum, default_value = "small")]
    pub scale: election::Scale,
    /// The council: `shura` or `municipal`.
    #[arg(long, default_value = "shura", value_parser = parse_kind)]
    pub kind: sawt_election::manifest::ElectionKind,
    /// The tally: `homomorphic` or `mixnet`.
    #[arg(long, default_value = "homomorphic", value_parser = parse_tally)]
    pub tally: sawt_election::manifest::TallyMethod,
    /// Instead of the whole election: the cryptographic walkthrough of one wilayat's
    /// contests, step by step (`--voters`, `--trustees`, `--threshold`, `--absent` apply).
    #[arg(long)]
    pub walkthrough: bool,
}

fn parse_kind(s: &str) -> Result<sawt_election::manifest::ElectionKind, String> {
    match s {
        "shura" => Ok(sawt_election::manifest::ElectionKind::Shura),
        "municipal" => Ok(sawt_election::manifest::ElectionKind::Municipal),
        _ => Err("shura or municipal".into()),
    }
}

fn parse_tally(s: &str) -> Result<sawt_election::manifest::TallyMethod, String> {
    match s {
        "homomorphic" => Ok(sawt_election::manifest::TallyMethod::Homomorphic),
        "mixnet" => Ok(sawt_election::manifest::TallyMethod::Mixnet),
        _ => Err("homomorphic or mixnet".into()),
    }
}

const WILAYAT: &str = "Bawshar (بوشر), Muscat governorate";
const SEATS: u64 = 2;
const CANDIDATES: [&str; 8] = [
    "Candidate 1 (synthetic)",
    "Candidate 2 (synthetic)",
    "Candidate 3 (synthetic)",
    "Candidate 4 (synthetic)",
    "Candidate 5 (synthetic)",
    "Candidate 6 (synthetic)",
    "Candidate 7 (synthetic)",
    "Candidate 8 (synthetic)",
];
/// Relative popularity, so that the totals differ.
const POPULARITY: [u64; 8] = [30, 22, 17, 11, 8, 6, 4, 2];

/// One encrypted ballot: a ciphertext and 0/1 proof per candidate, and the total's proof.
struct Ballot {
    credential: [u8; 32],
    selections: Vec<(Ciphertext, RangeProof)>,
    total: RangeProof,
}

fn ballot_context(election: &[u8; 32], credential: &[u8; 32]) -> Context {
    Context::new(election)
        .with(b"contest", b"bawshar/shura")
        .with(b"credential", credential)
}

/// What a voter's device does: validate the choice, encrypt each selection with its proof,
/// and prove the total is within the contest's limit.
fn encrypt_ballot(
    election: &[u8; 32],
    key: &EncryptionKey,
    choice: &[u64],
) -> anyhow::Result<Ballot> {
    ensure!(choice.len() == CANDIDATES.len(), "one entry per candidate");
    ensure!(choice.iter().all(|&c| c <= 1), "each selection is 0 or 1");
    let total: u64 = choice.iter().sum();
    ensure!(total <= SEATS, "at most {SEATS} selections");
    let mut rng = sawt_crypto::rng::os_rng();
    let mut credential = [0u8; 32];
    rng.fill_bytes(&mut credential);
    let ctx = ballot_context(election, &credential);
    let mut selections = Vec::with_capacity(choice.len());
    let mut nonces = Vec::with_capacity(choice.len());
    for &c in choice {
        let (ct, proof, nonce) =
            sawt_crypto::proofs::range::encrypt_in_range_with_rng(&ctx, key, c, 1, &mut rng)?;
        selections.push((ct, proof));
        nonces.push(nonce);
    }
    let sum = Ciphertext::sum(selections.iter().map(|(c, _)| c));
    let total_ctx = ctx.clone().with(b"part", b"total");
    let total = RangeProof::prove_with_rng(
        &total_ctx,
        key,
        &sum,
        total,
        &Nonce::sum(&nonces),
        SEATS,
        &mut rng,
    )?;
    Ok(Ballot {
        credential,
        selections,
        total,
    })
}

fn random_choice() -> Vec<u64> {
    let mut rng = sawt_crypto::rng::os_rng();
    let mut choice = vec![0u64; CANDIDATES.len()];
    let roll = rng.next_u64() % 100;
    let wanted = if roll < 5 {
        0
    } else if roll < 20 {
        1
    } else {
        SEATS
    };
    let weight_sum: u64 = POPULARITY.iter().sum();
    let mut picked = 0;
    while picked < wanted {
        let mut r = rng.next_u64() % weight_sum;
        let i = POPULARITY
            .iter()
            .position(|&w| {
                if r < w {
                    true
                } else {
                    r -= w;
                    false
                }
            })
            .unwrap_or(0);
        if choice[i] == 0 {
            choice[i] = 1;
            picked += 1;
        }
    }
    choice
}

/// Runs the key ceremony round by round, every message passing through a public list.
fn key_ceremony(
    params: KeyGenParams,
    ctx: &Context,
) -> anyhow::Result<(
    Vec<sawt_crypto::threshold::TrusteeKeyShare>,
    KeyGenOutcome,
    usize,
)> {
    let mut rng = sawt_crypto::rng::os_rng();
    let mut setups = Vec::new();
    let mut announcements = Vec::new();
    for i in 1..=params.trustees {
        let (s, a) = TrusteeSetup::new_with_rng(params, ctx, i, &mut rng)?;
        setups.push(s);
        announcements.push(a);
    }
    let mut waiting = Vec::new();
    let mut dealings = Vec::new();
    for s in setups {
        let (w, d) = s.deal_with_rng(ctx, &announcements, &mut rng)?;
        waiting.push(w);
        dealings.push(d);
    }
    let mut checked = Vec::new();
    let mut complaints = Vec::new();
    for w in waiting {
        let (c, mut cs) = w.receive_with_rng(ctx, &announcements, &dealings, &mut rng)?;
        checked.push(c);
        complaints.append(&mut cs);
    }
    ensure!(
        complaints.is_empty(),
        "{} complaints in an honest key generation",
        complaints.len()
    );
    // An observer recomputes the outcome from the public messages alone.
    let public = KeyGenOutcome::compute(&params, ctx, &announcements, &dealings, &complaints)?;
    let mut shares = Vec::new();
    for c in checked {
        let (share, outcome) = c.finish(ctx, &announcements, &dealings, &complaints)?;
        ensure!(
            outcome == public,
            "a trustee's outcome differs from the public one"
        );
        shares.push(share);
    }
    let proofs = announcements.len() + dealings.len();
    Ok((shares, public, proofs))
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let voters = args.voters.unwrap_or(match args.scale {
        election::Scale::National if !args.walkthrough => 496_279,
        _ => 3000,
    });
    ensure!(voters > 0, "--voters must be at least 1");
    if !args.walkthrough {
        return election::run(&election::Options {
            scale: args.scale,
            kind: args.kind,
            tally: args.tally,
            voters,
            out: &args.record,
        });
    }
    let params = KeyGenParams::new(args.threshold, args.trustees)?;
    ensure!(
        args.absent <= args.trustees,
        "--absent must name a trustee or be 0"
    );
    ensure!(
        args.trustees - u32::from(args.absent != 0) >= args.threshold,
        "with trustee {} absent, fewer than {} remain",
        args.absent,
        args.threshold
    );
    let start = Instant::now();
    let mut election = [0u8; 32];
    sawt_crypto::rng::os_rng().fill_bytes(&mut election);
    let election_ctx = Context::new(&election);
    println!("Sawt demo: a crypto-level election");
    println!(
        "  contest      {WILAYAT}, Shura council, {SEATS} seats, up to {SEATS} votes per voter"
    );
    println!("  candidates   {}", CANDIDATES.len());
    println!("  voters       {voters}");
    println!(
        "  trustees     {} ({}-of-{} key)",
        args.trustees, args.threshold, args.trustees
    );

    let t = Instant::now();
    let (shares, outcome, dkg_proofs) =
        key_ceremony(params, &election_ctx).context("key ceremony")?;
    println!(
        "\n[1/8] key ceremony: {} trustees announced, dealt and checked shares; no complaints; joint key {}… ({:.0} ms)",
        args.trustees,
        &outcome.joint_key.element().to_hex()[..16],
        t.elapsed().as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let key = outcome.joint_key.prepare();
    let choices: Vec<Vec<u64>> = (0..voters).map(|_| random_choice()).collect();
    let ballots: Vec<Ballot> = choices
        .par_iter()
        .map(|c| encrypt_ballot(&election, &key, c))
        .collect::<anyhow::Result<_>>()?;
    println!(
        "[2/8] {} voters encrypted their ballots: {} selections with 0/1 proofs, {} totals with range proofs ({:.2} s)",
        ballots.len(),
        ballots.len() * CANDIDATES.len(),
        ballots.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let contexts: Vec<Context> = ballots
        .iter()
        .map(|b| ballot_context(&election, &b.credential))
        .collect();
    let total_contexts: Vec<Context> = contexts
        .iter()
        .map(|c| c.clone().with(b"part", b"total"))
        .collect();
    let sums: Vec<Ciphertext> = ballots
        .par_iter()
        .map(|b| Ciphertext::sum(b.selections.iter().map(|(c, _)| c)))
        .collect();
    let selection_items: Vec<_> = ballots
        .iter()
        .zip(&contexts)
        .flat_map(|(b, ctx)| b.selections.iter().map(move |(c, p)| (ctx, c, p, 1u64)))
        .collect();
    let total_items: Vec<_> = ballots
        .iter()
        .zip(&total_contexts)
        .zip(&sums)
        .map(|((b, ctx), s)| (ctx, s, &b.total, SEATS))
        .collect();
    RangeProof::verify_many(key.public_key(), &selection_items)
        .context("a selection proof failed")?;
    RangeProof::verify_many(key.public_key(), &total_items)
        .context("a ballot total proof failed")?;
    println!(
        "[3/8] every ballot proof verified in batches: {} selection proofs, {} total proofs ({:.2} s)",
        selection_items.len(),
        total_items.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let tallies: Vec<Ciphertext> = (0..CANDIDATES.len())
        .into_par_iter()
        .map(|i| Ciphertext::sum(ballots.iter().map(|b| &b.selections[i].0)))
        .collect();
    let tally_ctx = election_ctx.clone().with(b"tally", b"bawshar/shura");
    let mut rng = sawt_crypto::rng::os_rng();
    let posted: Vec<DecryptionShare> = shares
        .iter()
        .filter(|s| s.index() != args.absent)
        .map(|s| s.decrypt_with_rng(&tally_ctx, &tallies, &mut rng))
        .collect();
    println!(
        "[4/8] homomorphic tally of {} candidates; {} trustees posted decryption shares with proofs{} ({:.0} ms)",
        CANDIDATES.len(),
        posted.len(),
        if args.absent != 0 {
            format!(", trustee {} absent", args.absent)
        } else {
            String::new()
        },
        t.elapsed().as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let table = DlogTable::new(voters as u64);
    for s in &posted {
        let vk = outcome
            .verification_key(s.trustee)
            .context("unknown trustee")?;
        s.verify(&tally_ctx, vk, &tallies)
            .with_context(|| format!("decryption share of trustee {}", s.trustee))?;
    }
    let used = &posted[..args.threshold as usize];
    let totals = decrypt_small(&outcome, &tally_ctx, &tallies, used, &table)?;
    let used_names: Vec<String> = used.iter().map(|s| s.trustee.to_string()).collect();
    println!(
        "[5/8] all {} decryption share proofs verified; combined shares of trustees {} ({:.0} ms)\n",
        posted.len(),
        used_names.join(", "),
        t.elapsed().as_secs_f64() * 1e3
    );

    let cast: Vec<u64> = (0..CANDIDATES.len())
        .map(|i| choices.iter().map(|c| c[i]).sum())
        .collect();
    println!("  {:<28} {:>10} {:>10}", "candidate", "cast", "decrypted");
    let mut ranked: Vec<usize> = (0..CANDIDATES.len()).collect();
    ranked.sort_by_key(|&i| std::cmp::Reverse(totals[i]));
    for &i in &ranked {
        let mark = if cast[i] == totals[i] {
            "ok"
        } else {
            "MISMATCH"
        };
        println!(
            "  {:<28} {:>10} {:>10}  {mark}",
            CANDIDATES[i], cast[i], totals[i]
        );
    }
    if cast != totals {
        bail!("decrypted totals differ from the votes cast");
    }
    let blank = choices.iter().filter(|c| c.iter().all(|&x| x == 0)).count();
    println!("  ({} ballots, {} of them blank)", ballots.len(), blank);
    let leaders = (CANDIDATES[ranked[0]], CANDIDATES[ranked[1]]);
    let mix = mixnet::run(&election, &key, &outcome, &shares, voters, args.absent)?;
    record::run(
        &args.record,
        &choices,
        &CANDIDATES,
        SEATS as u32,
        args.absent,
    )?;
    let homomorphic = selection_items.len() + total_items.len();
    let total_proofs = dkg_proofs
        + homomorphic
        + posted.len()
        + mix.ballot_proofs
        + mix.mix_proofs
        + mix.decryption_proofs;
    println!(
        "\nEvery proof verified ({total_proofs} in all: {dkg_proofs} key-generation, {homomorphic} Shura ballot, \
         {} municipal ballot, {} shuffle, {} decryption). Decrypted totals equal the votes cast in \
         both contests. Shura highest totals: {} and {}. ({:.1} s)",
        mix.ballot_proofs,
        mix.mix_proofs,
        posted.len() + mix.decryption_proofs,
        leaders.0,
        leaders.1,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
