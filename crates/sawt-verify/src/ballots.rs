//! Ballot proofs checked in batches (V6.3, `protocol-spec/verifier.md` §6), audited ballots
//! reopened (V6.4), and the homomorphic sums of a chunk's counted ballots.
//!
//! A batch holds the equations of many ballots, each weighted by a fresh 128-bit weight from
//! the operating system's CSPRNG. A batch that fails is bisected (§6.4), so that every
//! failing ballot is named, not only the first.

use std::collections::HashMap;

use rayon::prelude::*;
use sawt_crypto::batch::BatchVerifier;
use sawt_crypto::{Ciphertext, EncryptionKey, PublicKey, RistrettoPoint};
use sawt_election::ballot::{Ballot, BallotOpening};
use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::manifest::Contest;

use crate::Unfinished;
use crate::files::RecordDir;
use crate::replay::ProofJob;
use crate::report::{Blame, Failure, Findings};

/// Below this many ballots, a failed batch is checked ballot by ballot.
const SMALL: usize = 16;
/// Ballots per batch.
const BATCH: usize = 128;

/// The ballot of a `ballot` or `audited-ballot` entry.
pub(crate) fn ballot_of(e: &SignedEntry) -> Option<&Ballot> {
    match &e.entry.body {
        EntryBody::Ballot(b) | EntryBody::AuditedBallot { ballot: b, .. } => Some(b),
        _ => None,
    }
}

fn opening_of(e: &SignedEntry) -> Option<&BallotOpening> {
    match &e.entry.body {
        EntryBody::AuditedBallot { opening, .. } => Some(opening),
        _ => None,
    }
}

/// Verifies the proofs of `jobs` (positions into `entries`) in batches on every core; the
/// positions that fail, with why.
pub(crate) fn verify_proofs(
    election: &[u8; 32],
    key: &PublicKey,
    entries: &[Option<SignedEntry>],
    jobs: &[ProofJob],
) -> Vec<(usize, String)> {
    let items: Vec<(usize, &Ballot, &Contest)> = jobs
        .iter()
        .filter_map(|j| {
            let b = ballot_of(entries[j.pos].as_ref()?)?;
            Some((j.pos, b, &*j.contest))
        })
        .collect();
    let mut failed: Vec<(usize, String)> = items
        .par_chunks(BATCH)
        .flat_map_iter(|chunk| check(election, key, chunk))
        .collect();
    failed.sort_unstable_by_key(|(pos, _)| *pos);
    failed
}

/// Bisection (verifier.md §6.4): every item of `items` that fails on its own.
fn check(
    election: &[u8; 32],
    key: &PublicKey,
    items: &[(usize, &Ballot, &Contest)],
) -> Vec<(usize, String)> {
    if items.len() <= SMALL {
        return items
            .iter()
            .filter_map(|(pos, b, c)| {
                b.verify(election, c, key)
                    .err()
                    .map(|e| (*pos, e.to_string()))
            })
            .collect();
    }
    let mut batch = BatchVerifier::new();
    let mut out = Vec::new();
    let mut rest = Vec::with_capacity(items.len());
    for item in items {
        match item.1.queue(election, item.2, key, &mut batch) {
            Ok(()) => rest.push(*item),
            Err(e) => out.push((item.0, e.to_string())),
        }
    }
    if out.is_empty() && batch.verify().is_ok() {
        return out;
    }
    let (a, b) = rest.split_at(rest.len() / 2);
    out.extend(check(election, key, a));
    out.extend(check(election, key, b));
    out
}

/// V6.4: reopens every audited ballot of `jobs` (exactly, one by one); the positions that
/// fail, with why.
pub(crate) fn check_openings(
    key: &EncryptionKey,
    entries: &[Option<SignedEntry>],
    jobs: &[ProofJob],
) -> Vec<(usize, String)> {
    jobs.par_iter()
        .filter_map(|j| {
            let e = entries[j.pos].as_ref()?;
            let (b, o) = (ballot_of(e)?, opening_of(e)?);
            b.check_opening(&j.contest, key, o)
                .err()
                .map(|err| (j.pos, err.to_string()))
        })
        .collect()
}

/// A contest's running sums: `(Σα, Σβ)` per selection.
pub(crate) type Sums = Vec<(RistrettoPoint, RistrettoPoint)>;

/// Adds (`sign = 1`) or subtracts (`-1`) the selections of `ballots` (`(ballot, contest)`)
/// to `sums`, on every core.
pub(crate) fn accumulate(
    sums: &mut HashMap<usize, Sums>,
    ballots: &[(Vec<&Ciphertext>, usize)],
    add: bool,
) {
    let partial: HashMap<usize, Sums> = ballots
        .par_iter()
        .fold(HashMap::new, |mut acc: HashMap<usize, Sums>, (cts, c)| {
            let s = acc
                .entry(*c)
                .or_insert_with(|| vec![Default::default(); cts.len()]);
            for (slot, ct) in s.iter_mut().zip(cts.iter()) {
                slot.0 += ct.alpha().point();
                slot.1 += ct.beta().point();
            }
            acc
        })
        .reduce(HashMap::new, |mut a, b| {
            for (c, s) in b {
                merge(
                    a.entry(c)
                        .or_insert_with(|| vec![Default::default(); s.len()]),
                    &s,
                    true,
                );
            }
            a
        });
    for (c, s) in partial {
        merge(
            sums.entry(c)
                .or_insert_with(|| vec![Default::default(); s.len()]),
            &s,
            add,
        );
    }
}

fn merge(into: &mut Sums, from: &Sums, add: bool) {
    if into.len() < from.len() {
        into.resize(from.len(), Default::default());
    }
    for (a, b) in into.iter_mut().zip(from) {
        if add {
            a.0 += b.0;
            a.1 += b.1;
        } else {
            a.0 -= b.0;
            a.1 -= b.1;
        }
    }
}

/// V6.5: a fingerprint hit is a repeated `α` only if the full encodings are equal: both
/// entries are read again and compared.
pub(crate) fn confirm_alphas(
    f: &mut Findings,
    record: &RecordDir,
    suspects: &[(u64, u64)],
    (tree, offsets): (&sawt_board::tree::MemoryTree, &[u64]),
) -> Result<(), Unfinished> {
    let alphas = |i: u64| -> Result<Vec<[u8; 32]>, Unfinished> {
        let bytes = crate::reread(record, tree, i, offsets[i as usize])?;
        let e = SignedEntry::decode(&bytes)
            .map_err(|e| Unfinished(format!("entry {i} read again no longer decodes: {e}")))?;
        Ok(ballot_of(&e)
            .map(|b| {
                b.ciphertexts()
                    .iter()
                    .map(|c| c.alpha().to_bytes())
                    .collect()
            })
            .unwrap_or_default())
    };
    for &(prev, cur) in suspects {
        let a = alphas(prev)?;
        let repeated = if prev == cur {
            (1..a.len()).any(|k| a[..k].contains(&a[k]))
        } else {
            let b = alphas(cur)?;
            b.iter().any(|x| a.contains(x))
        };
        if repeated {
            f.fail(
                "V6.5",
                Failure::at(
                    cur,
                    "repeated-ciphertext",
                    format!("a ciphertext of entry {cur} repeats one of entry {prev}"),
                )
                .with_entry(prev)
                .blame(Blame::role("boardoperator")),
            );
        }
    }
    Ok(())
}
