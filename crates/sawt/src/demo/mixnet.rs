//! The demo's second contest: the same wilayat's municipal council, tallied by a mixnet.
//!
//! Each voter fills up to two seats in one ballot: a vector ciphertext of width 2 whose
//! components encrypt `0` (no choice) or `candidate + 1`, with a proof of knowledge of its
//! nonces bound to the voter's credential. Two ballots crafted by a modified client
//! (a candidate chosen twice; a value that is no candidate) show that a malformed plaintext
//! is counted as invalid, not an error. Three mixers shuffle the list in turn, every stage
//! is verified, and the trustees who are present decrypt the last list.

use std::time::Instant;

use anyhow::{Context as _, ensure};
use rayon::prelude::*;
use sawt_crypto::dkg::KeyGenOutcome;
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet::{self, encode_choice};
use sawt_crypto::proofs::knowledge::EncryptionKnowledgeProof;
use sawt_crypto::rand_core::Rng;
use sawt_crypto::threshold::{DecryptionShare, TrusteeKeyShare};
use sawt_crypto::{CiphertextVector, Context, EncryptionKey};

const CANDIDATES: [&str; 6] = [
    "Municipal candidate 1 (synthetic)",
    "Municipal candidate 2 (synthetic)",
    "Municipal candidate 3 (synthetic)",
    "Municipal candidate 4 (synthetic)",
    "Municipal candidate 5 (synthetic)",
    "Municipal candidate 6 (synthetic)",
];
const SEATS: usize = 2;
const MIXERS: [u32; 3] = [1, 2, 3];

/// What the mixnet contest proved, for the demo's summary.
pub(super) struct MixnetSummary {
    pub(super) ballot_proofs: usize,
    pub(super) mix_proofs: usize,
    pub(super) decryption_proofs: usize,
}

fn ballot_context(election: &[u8; 32], credential: &[u8; 32]) -> Context {
    Context::new(election)
        .with(b"contest", b"bawshar/municipal")
        .with(b"credential", credential)
}

fn random_choice() -> Vec<u32> {
    let mut rng = sawt_crypto::rng::os_rng();
    let wanted = (rng.next_u64() % 10)
        .min(SEATS as u64 + 1)
        .min(SEATS as u64) as usize;
    let mut picks = Vec::new();
    while picks.len() < wanted {
        // Lower indices are more popular, so the totals differ.
        let c = ((rng.next_u64() % 36) as f64).sqrt() as u32;
        let c = (CANDIDATES.len() as u32 - 1).saturating_sub(c);
        if !picks.contains(&c) {
            picks.push(c);
        }
    }
    picks
}

/// Runs the contest; returns the proofs it verified.
pub(super) fn run(
    election: &[u8; 32],
    key: &EncryptionKey,
    outcome: &KeyGenOutcome,
    shares: &[TrusteeKeyShare],
    voters: usize,
    absent: u32,
) -> anyhow::Result<MixnetSummary> {
    println!(
        "\nMunicipal council, Bawshar: {} candidates, {SEATS} seats, mixnet tally",
        CANDIDATES.len()
    );
    let t = Instant::now();
    let choices: Vec<Vec<u32>> = (0..voters).map(|_| random_choice()).collect();
    // Every plaintext vector: the voters' honest ballots, then two malformed ones.
    let mut plaintexts: Vec<Vec<u64>> = choices
        .iter()
        .map(|c| encode_choice(c, SEATS).expect("at most SEATS picks"))
        .collect();
    plaintexts.push(vec![3, 3]);
    plaintexts.push(vec![9, 0]);
    let ballots: Vec<([u8; 32], CiphertextVector, EncryptionKnowledgeProof)> = plaintexts
        .par_iter()
        .map(|values| {
            let mut rng = sawt_crypto::rng::os_rng();
            let mut credential = [0u8; 32];
            rng.fill_bytes(&mut credential);
            let (ct, nonces) = key.encrypt_vector_with_rng(values, &mut rng);
            let proof = EncryptionKnowledgeProof::prove_with_rng(
                &ballot_context(election, &credential),
                &ct,
                &nonces,
                &mut rng,
            )?;
            Ok((credential, ct, proof))
        })
        .collect::<anyhow::Result<_>>()?;
    let contexts: Vec<Context> = ballots
        .iter()
        .map(|(c, _, _)| ballot_context(election, c))
        .collect();
    let items: Vec<_> = ballots
        .iter()
        .zip(&contexts)
        .map(|((_, ct, p), ctx)| (ctx, ct, p))
        .collect();
    EncryptionKnowledgeProof::verify_many(&items).context("a mixnet ballot's proof failed")?;
    println!(
        "[6/8] {} ballots of width {SEATS} (2 of them malformed by a modified client), each with a proof of knowledge bound to its credential, verified in a batch ({:.2} s)",
        ballots.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let input = CiphertextList::new(
        SEATS,
        ballots
            .iter()
            .flat_map(|(_, ct, _)| ct.0.iter().copied())
            .collect(),
    )?;
    let mix_ctx = Context::new(election).with(b"contest", b"bawshar/municipal");
    let mut rng = sawt_crypto::rng::os_rng();
    let stages = mixnet::mix_cascade_with_rng(&mix_ctx, key, &input, &MIXERS, &mut rng)?;
    mixnet::verify_cascade(&mix_ctx, key.public_key(), &input, &MIXERS, &stages)?;
    println!(
        "[7/8] {} mixers shuffled the list in turn; every shuffle proof verified against the stage before ({:.2} s)",
        stages.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mixed = &stages.last().expect("three stages").output;
    let tally_ctx = mix_ctx.clone().with(b"tally", b"bawshar/municipal");
    let posted: Vec<DecryptionShare> = shares
        .iter()
        .filter(|s| s.index() != absent)
        .map(|s| s.decrypt_with_rng(&tally_ctx, mixed.ciphertexts(), &mut rng))
        .collect();
    for s in &posted {
        let vk = outcome
            .verification_key(s.trustee)
            .context("unknown trustee")?;
        s.verify(&tally_ctx, vk, mixed.ciphertexts())
            .with_context(|| format!("decryption share of trustee {}", s.trustee))?;
    }
    let counts = mixnet::count(
        outcome,
        &tally_ctx,
        mixed,
        &posted[..outcome.params.threshold as usize],
        CANDIDATES.len() as u32,
    )?;
    println!(
        "[8/8] {} trustees posted decryption shares with proofs for {} ciphertexts; all verified; combined and decoded ({:.2} s)\n",
        posted.len(),
        mixed.ciphertexts().len(),
        t.elapsed().as_secs_f64()
    );

    let cast: Vec<u64> = (0..CANDIDATES.len() as u32)
        .map(|c| choices.iter().filter(|ch| ch.contains(&c)).count() as u64)
        .collect();
    println!("  {:<36} {:>10} {:>10}", "candidate", "cast", "decrypted");
    for (i, name) in CANDIDATES.iter().enumerate() {
        let mark = if cast[i] == counts.per_candidate[i] {
            "ok"
        } else {
            "MISMATCH"
        };
        println!(
            "  {name:<36} {:>10} {:>10}  {mark}",
            cast[i], counts.per_candidate[i]
        );
    }
    let blank = choices.iter().filter(|c| c.is_empty()).count() as u64;
    println!(
        "  ({} valid ballots, {} of them blank; {} invalid ballots counted as invalid)",
        counts.valid, counts.blank, counts.invalid
    );
    ensure!(
        cast == counts.per_candidate,
        "decrypted mixnet totals differ from the votes cast"
    );
    ensure!(
        counts.blank == blank && counts.valid == voters as u64 && counts.invalid == 2,
        "ballot counts differ"
    );
    Ok(MixnetSummary {
        ballot_proofs: items.len(),
        mix_proofs: stages.len(),
        decryption_proofs: posted.len(),
    })
}
