//! Mixer cascades and the decoding of mixed ballots (`protocol-spec/mixnet.md` §6–§7).
//!
//! A mixnet contest's ballots are vector ciphertexts of width `w` (the seats a voter may
//! fill). Each component encrypts `0` (no choice) or `c + 1` for candidate index `c`. The list
//! of counted ballots goes through mixers `1..=m` in sequence: mixer `k` takes stage `k − 1`'s
//! output (stage 0 is the counted list), shuffles it with [`crate::shuffle`], and posts its
//! output and proof. The verifier checks every stage against the previous one, so a single
//! honest mixer hides the link between voters and plaintexts and no mixer can change a
//! ballot. Any `t` trustees then decrypt the last output ([`crate::threshold`]), and
//! [`count`] decodes the plaintexts: a component that is not `0..=C`, or a candidate chosen
//! twice, makes that ballot **invalid**, which is counted, never an error.

use curve25519_dalek::ristretto::RistrettoPoint;
use rand_core::CryptoRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dkg::KeyGenOutcome;
use crate::dlog::DlogTable;
use crate::elgamal::{EncryptionKey, PublicKey};
use crate::error::{DecryptionError, ProofError};
use crate::list::CiphertextList;
use crate::shuffle::{ShuffleProof, shuffle_with_rng};
use crate::threshold::{DecryptionShare, combine};
use crate::transcript::Context;

/// One mixer's posted work: its index, its output list and the proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixStage {
    /// The mixer's index (`1..=m`), part of its generators' seed.
    pub mixer: u32,
    /// The shuffled list.
    pub output: CiphertextList,
    /// The proof that `output` shuffles the previous stage.
    pub proof: ShuffleProof,
}

/// A stage of a cascade failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mix stage {stage} (mixer {mixer}) is invalid: {source}")]
pub struct CascadeError {
    /// Position of the failing stage (0-based).
    pub stage: usize,
    /// The mixer that posted it.
    pub mixer: u32,
    /// Why it failed.
    pub source: ProofError,
}

/// Runs mixers `mixers` in sequence over `input` in this process (for tests, benchmarks and
/// the demo; in an election each mixer runs [`shuffle_with_rng`] on its own machine).
pub fn mix_cascade_with_rng<R: CryptoRng + ?Sized>(
    ctx: &Context,
    key: &EncryptionKey,
    input: &CiphertextList,
    mixers: &[u32],
    rng: &mut R,
) -> Result<Vec<MixStage>, ProofError> {
    let mut stages: Vec<MixStage> = Vec::with_capacity(mixers.len());
    for &mixer in mixers {
        let previous = stages.last().map(|s| &s.output).unwrap_or(input);
        let (output, proof) = shuffle_with_rng(ctx, mixer, key, previous, rng)?;
        stages.push(MixStage {
            mixer,
            output,
            proof,
        });
    }
    Ok(stages)
}

/// Verifies a cascade end to end: the stages come from exactly the election's mixers, in
/// their order (`mixers`, non-empty, distinct, non-zero: from the manifest), and each stage
/// shuffles the one before, starting from `input`.
pub fn verify_cascade(
    ctx: &Context,
    key: &PublicKey,
    input: &CiphertextList,
    mixers: &[u32],
    stages: &[MixStage],
) -> Result<(), CascadeError> {
    let distinct = (1..mixers.len()).all(|i| !mixers[..i].contains(&mixers[i]));
    if mixers.is_empty() || mixers.contains(&0) || !distinct {
        let source = ProofError::Shape("the cascade needs distinct, non-zero mixer indices");
        return Err(CascadeError {
            stage: 0,
            mixer: 0,
            source,
        });
    }
    let mut previous = input;
    for (i, expected) in mixers.iter().enumerate() {
        let Some(s) = stages.get(i) else {
            let source = ProofError::Shape("a mixer's stage is missing");
            return Err(CascadeError {
                stage: i,
                mixer: *expected,
                source,
            });
        };
        let fail = |source| CascadeError {
            stage: i,
            mixer: s.mixer,
            source,
        };
        if s.mixer != *expected {
            return Err(fail(ProofError::Shape(
                "stage posted by another mixer than the cascade's",
            )));
        }
        s.proof
            .verify(ctx, s.mixer, key, previous, &s.output)
            .map_err(fail)?;
        previous = &s.output;
    }
    if stages.len() > mixers.len() {
        let source = ProofError::Shape("more stages than mixers");
        return Err(CascadeError {
            stage: mixers.len(),
            mixer: stages[mixers.len()].mixer,
            source,
        });
    }
    Ok(())
}

/// The plaintext values of a ballot choosing `candidates` (0-based indices), padded with
/// zeros to `width`: what a voter's device encrypts.
pub fn encode_choice(candidates: &[u32], width: usize) -> Option<Vec<u64>> {
    if candidates.len() > width {
        return None;
    }
    let mut v: Vec<u64> = candidates.iter().map(|&c| u64::from(c) + 1).collect();
    v.resize(width, 0);
    Some(v)
}

/// Counts of a decrypted mixnet contest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotCounts {
    /// Votes per candidate, by index.
    pub per_candidate: Vec<u64>,
    /// Valid ballots with no choice.
    pub blank: u64,
    /// Ballots whose plaintext is not a valid choice.
    pub invalid: u64,
    /// Ballots counted (valid, blank included).
    pub valid: u64,
}

/// What one decrypted ballot says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodedBallot {
    /// The chosen candidates (0-based), in the order of the components; empty when blank.
    Valid(Vec<u32>),
    /// Not a valid choice.
    Invalid,
}

/// Decodes one ballot's plaintext values (`None` = not in the table's range).
pub fn decode_ballot(values: &[Option<u64>], candidates: u32) -> DecodedBallot {
    let mut chosen = Vec::new();
    for v in values {
        match v {
            Some(0) => {}
            Some(x) if *x <= u64::from(candidates) => {
                let c = (*x - 1) as u32;
                if chosen.contains(&c) {
                    return DecodedBallot::Invalid;
                }
                chosen.push(c);
            }
            _ => return DecodedBallot::Invalid,
        }
    }
    DecodedBallot::Valid(chosen)
}

/// The most candidates a mixnet contest may have.
pub const MAX_CANDIDATES: u32 = 1 << 16;

/// Decodes every entry's plaintext elements (row-major, width `w`) and counts the contest.
/// `candidates` is at most [`MAX_CANDIDATES`] (the decoding table has one entry per value).
pub fn count_plaintexts(points: &[RistrettoPoint], width: usize, candidates: u32) -> BallotCounts {
    let candidates = candidates.min(MAX_CANDIDATES);
    let table = DlogTable::with_step(u64::from(candidates), u64::from(candidates) + 1);
    let decoded: Vec<DecodedBallot> = points
        .par_chunks(width)
        .map(|entry| {
            let values: Vec<Option<u64>> = entry.iter().map(|p| table.decode(p)).collect();
            decode_ballot(&values, candidates)
        })
        .collect();
    let mut counts = BallotCounts {
        per_candidate: vec![0; candidates as usize],
        ..Default::default()
    };
    for d in decoded {
        match d {
            DecodedBallot::Invalid => counts.invalid += 1,
            DecodedBallot::Valid(chosen) => {
                counts.valid += 1;
                if chosen.is_empty() {
                    counts.blank += 1;
                }
                for c in chosen {
                    counts.per_candidate[c as usize] += 1;
                }
            }
        }
    }
    counts
}

/// Verifies the trustees' shares for the cascade's final list, combines `t` of them, and
/// counts the ballots.
pub fn count(
    outcome: &KeyGenOutcome,
    ctx: &Context,
    mixed: &CiphertextList,
    shares: &[DecryptionShare],
    candidates: u32,
) -> Result<BallotCounts, DecryptionError> {
    if candidates > MAX_CANDIDATES {
        return Err(DecryptionError::OutOfRange(candidates as usize));
    }
    let points = combine(outcome, ctx, mixed.ciphertexts(), shares)?;
    Ok(count_plaintexts(&points, mixed.width(), candidates))
}
