//! After the close (pass P3, `protocol-spec/verifier.md` §4.8–§4.10): homomorphic tallies
//! recomputed (V8), every mix cascade verified (V9), every decryption share's proof and the
//! combination (V10). It yields each contest's counts, or the check that blocked them.

use rayon::prelude::*;
use sawt_crypto::dkg::KeyGenOutcome;
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet::{MAX_CANDIDATES, count_plaintexts};
use sawt_crypto::shuffle::ShuffleProof;
use sawt_crypto::threshold::{DecryptionShare, combine_verified};
use sawt_crypto::{Ciphertext, Context, Element, PublicKey};
use sawt_election::entry::{Attachment, EntryBody, SignedEntry, TallySum};
use sawt_election::manifest::{Contest, Manifest, TallyMethod};

use crate::ballots::Sums;
use crate::files::RecordDir;
use crate::report::{Blame, Failure, Findings};

/// A posted stage: its index, its mixer, and its output and proof if they decoded.
type Stage = (u64, u32, Option<(CiphertextList, ShuffleProof)>);

/// A contest's counts as the verifier decrypted them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) totals: Vec<u64>,
    pub(crate) blank: u64,
    pub(crate) invalid: u64,
}

/// What the checks after the close start from.
pub(crate) struct Closed<'a> {
    pub(crate) manifest: &'a Manifest,
    pub(crate) election: [u8; 32],
    pub(crate) outcome: &'a KeyGenOutcome,
    pub(crate) key: &'a PublicKey,
    pub(crate) entries: &'a [(u64, SignedEntry)],
    pub(crate) record: &'a RecordDir,
}

/// The context of a contest's decryption (tally.md §6.1).
pub(crate) fn tally_context(election: &[u8; 32], contest: &str) -> Context {
    Context::new(election).with(b"tally", contest.as_bytes())
}

/// The context of a contest's mix-net (tally.md §6.1).
fn mix_context(election: &[u8; 32], contest: &str) -> Context {
    Context::new(election).with(b"contest", contest.as_bytes())
}

impl Closed<'_> {
    /// The entries of `kind` that name `contest`, in log order.
    fn of_kind<'s>(
        &'s self,
        kind: &'static str,
        contest: &'s str,
    ) -> impl Iterator<Item = &'s (u64, SignedEntry)> + 's {
        self.entries.iter().filter(move |(_, e)| {
            e.entry.body.kind() == kind && contest_of(&e.entry.body) == Some(contest)
        })
    }

    /// V8.1, V9.1's contest condition, V10.1/V10.3's: entries naming a contest that is not one
    /// of the manifest's contests of the right method.
    pub(crate) fn check_contests(&self, f: &mut Findings) {
        for (i, e) in self.entries {
            let (id, contest, method) = match &e.entry.body {
                EntryBody::Tally { contest, .. } => ("V8.1", contest, TallyMethod::Homomorphic),
                EntryBody::DecryptionShares { contest, .. } => {
                    ("V10.1", contest, TallyMethod::Homomorphic)
                }
                EntryBody::MixStage { contest, .. } => ("V9.1", contest, TallyMethod::Mixnet),
                EntryBody::MixDecryptionShares { contest, .. } => {
                    ("V10.3", contest, TallyMethod::Mixnet)
                }
                _ => continue,
            };
            if self
                .manifest
                .contest(contest)
                .is_none_or(|c| c.tally != method)
            {
                f.items(id, 1);
                let blame = if id == "V9.1" {
                    Blame::role("mixer")
                } else if id == "V8.1" {
                    Blame::role("authority")
                } else {
                    Blame::role("trustee")
                };
                f.fail(
                    id,
                    Failure::at(
                        *i,
                        "contest-method",
                        format!("{contest} is not a {method:?} contest of the manifest")
                            .to_lowercase(),
                    )
                    .blame(blame),
                );
            }
        }
    }

    /// V8.2, V8.3, V10.1, V10.2 for homomorphic contest `c`, with `n` counted ballots and the
    /// verifier's sums (`None` when D7 is undefined for it).
    pub(crate) fn homomorphic(
        &self,
        f: &mut Findings,
        c: &Contest,
        n: u64,
        sums: Result<&Sums, &'static str>,
    ) -> Result<Counts, &'static str> {
        let trivial = TallySum::from(Ciphertext::sum(&[]));
        let expected: Result<Vec<TallySum>, &'static str> = sums.map(|s| {
            if n == 0 {
                vec![trivial; c.candidates.len().max(1)]
            } else {
                s.iter()
                    .map(|(a, b)| {
                        TallySum::from(Ciphertext::from_sum(
                            Element::from_point(*a),
                            Element::from_point(*b),
                        ))
                    })
                    .collect()
            }
        });
        let tallies: Vec<&(u64, SignedEntry)> = self.of_kind("tally", &c.id).collect();
        let mut last_ok = None;
        let mut last: Option<&Vec<TallySum>> = None;
        for (i, e) in &tallies {
            let EntryBody::Tally { sums: posted, .. } = &e.entry.body else {
                continue;
            };
            f.items("V8.2", 1);
            last = Some(posted);
            let expected = match &expected {
                Ok(e) => e,
                Err(by) => {
                    f.block("V8.2", by);
                    last_ok = Some(false);
                    continue;
                }
            };
            let ok = posted == expected;
            if !ok {
                let at = posted
                    .iter()
                    .zip(expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(posted.len().min(expected.len()));
                f.fail(
                    "V8.2",
                    Failure::at(
                        *i,
                        "tally-sums",
                        format!(
                            "{}: the posted sums differ from the counted ballots' at position {at}",
                            c.id
                        ),
                    )
                    .blame(Blame::role("authority")),
                );
            }
            last_ok = Some(ok);
        }
        f.items("V8.3", 1);
        let Some(sums_posted) = last else {
            f.fail(
                "V8.3",
                Failure::new(
                    None,
                    "missing-tally",
                    format!("{} has no tally entry", c.id),
                )
                .blame(Blame::role("authority")),
            );
            f.block("V10.2", "V8.3");
            return Err("V8.3");
        };
        let cts: Vec<Ciphertext> = sums_posted.iter().map(TallySum::ciphertext).collect();
        let ctx = tally_context(&self.election, &c.id);
        let mut valid: Vec<DecryptionShare> = Vec::new();
        for (i, e) in self.of_kind("decryption-shares", &c.id) {
            let EntryBody::DecryptionShares { shares, .. } = &e.entry.body else {
                continue;
            };
            f.items("V10.1", 1);
            let j = shares.trustee;
            let Some(vk) = self.outcome.verification_key(j) else {
                f.fail(
                    "V10.1",
                    Failure::at(*i, "share-trustee", format!("no trustee {j}"))
                        .blame(Blame::trustee(j)),
                );
                continue;
            };
            match shares.verify(&ctx, vk, &cts) {
                Err(err) => f.fail(
                    "V10.1",
                    Failure::at(
                        *i,
                        "share-proof",
                        format!("{}: trustee {j}'s share does not verify: {err}", c.id),
                    )
                    .blame(Blame::trustee(j)),
                ),
                Ok(()) if last_ok == Some(false) => f.fail(
                    "V10.1",
                    Failure::at(
                        *i,
                        "share-of-wrong-tally",
                        format!(
                            "{}: trustee {j} decrypted sums that are not the counted ballots'",
                            c.id
                        ),
                    )
                    .blame(Blame::trustee(j)),
                ),
                Ok(()) => {
                    if !valid.iter().any(|v| v.trustee == j) {
                        valid.push(shares.clone());
                    }
                }
            }
        }
        f.items("V10.2", 1);
        if last_ok != Some(true) {
            f.block("V10.2", if last_ok.is_none() { "V8.3" } else { "V8.2" });
            return Err("V8.2");
        }
        let points = self.combine(f, "V10.2", &c.id, &cts, &valid)?;
        let table = DlogTable::new(n.max(1));
        let decoded = table.decode_all(&points);
        let mut totals = Vec::with_capacity(decoded.len());
        for (k, m) in decoded.into_iter().enumerate() {
            match m {
                Some(v) if v <= n => totals.push(v),
                _ => {
                    f.fail(
                        "V10.2",
                        Failure::new(
                            None,
                            "total-out-of-range",
                            format!("{}: sum {k} does not decrypt to a count in 0..={n}", c.id),
                        )
                        .blame(Blame::role("authority")),
                    );
                    return Err("V10.2");
                }
            }
        }
        if n == 0 {
            totals = vec![0; c.candidates.len()];
        }
        let most = n * u64::from(c.votes_per_voter);
        let sum: u64 = totals.iter().sum();
        if sum > most {
            f.fail(
                "V10.2",
                Failure::new(
                    None,
                    "too-many-votes",
                    format!(
                        "{}: {sum} votes from {n} ballots of {} votes",
                        c.id, c.votes_per_voter
                    ),
                )
                .blame(Blame::role("authority")),
            );
            return Err("V10.2");
        }
        Ok(Counts {
            totals,
            blank: most - sum,
            invalid: 0,
        })
    }

    /// Reads and decodes an attachment: `Err(None)` when V3.8 fails for it (reported here),
    /// `Err(Some(why))` when its bytes do not decode.
    fn attachment<T>(
        &self,
        f: &mut Findings,
        i: u64,
        a: &Attachment,
        decode: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T, Option<String>> {
        f.items("V3.8", 1);
        match self.record.attachment(a) {
            Ok(bytes) => decode(&bytes).map_err(Some),
            Err(why) => {
                f.fail(
                    "V3.8",
                    Failure::at(i, "attachment", why)
                        .blame(Blame::role("boardoperator"))
                        .blame(Blame::role("supplier")),
                );
                Err(None)
            }
        }
    }

    /// V9.1, V9.2, V10.3, V10.4 for mix-net contest `c`, from its input list (`None` when
    /// D7 is undefined for it).
    pub(crate) fn mixnet(
        &self,
        f: &mut Findings,
        c: &Contest,
        input: Result<CiphertextList, &'static str>,
    ) -> Result<Counts, &'static str> {
        let order: Vec<u32> = self.manifest.mixers.iter().map(|m| m.index).collect();
        let ctx_mix = mix_context(&self.election, &c.id);
        // V9.1 for every stage; the decoded ones kept in log order.
        let mut stages: Vec<Stage> = Vec::new();
        for (i, e) in self.of_kind("mix-stage", &c.id) {
            let EntryBody::MixStage {
                mixer,
                output,
                proof,
                ..
            } = &e.entry.body
            else {
                continue;
            };
            f.items("V9.1", 1);
            let fail = |f: &mut Findings, why: String| {
                f.fail(
                    "V9.1",
                    Failure::at(*i, "stage-format", format!("{}: {why}", c.id))
                        .blame(Blame::mixer(*mixer)),
                );
            };
            if output.format != "ciphertext-list" || proof.format != "shuffle-proof" {
                fail(
                    f,
                    format!("formats {:?} and {:?}", output.format, proof.format),
                );
                stages.push((*i, *mixer, None));
                continue;
            }
            let out = self.attachment(f, *i, output, |b| {
                CiphertextList::from_bytes(b).map_err(|e| e.to_string())
            });
            let pr = self.attachment(f, *i, proof, |b| {
                ShuffleProof::from_bytes(b).map_err(|e| e.to_string())
            });
            match (out, pr) {
                (Ok(o), Ok(p)) => stages.push((*i, *mixer, Some((o, p)))),
                (Err(Some(why)), _) | (_, Err(Some(why))) => {
                    fail(f, why);
                    stages.push((*i, *mixer, None));
                }
                _ => {
                    f.block("V9.1", "V3.8");
                    stages.push((*i, *mixer, None));
                }
            }
        }
        // V9.2: the cascade, every stage against the posted output of the one before.
        f.items("V9.2", 1);
        let input = match input {
            Ok(l) => l,
            Err(by) => {
                f.block("V9.2", by);
                f.block("V10.4", by);
                return Err(by);
            }
        };
        // A stage that fails its proof fails the cascade; one that cannot be checked (its
        // bytes missing or undecodable) blocks what depends on it.
        let mut cascade_ok = true;
        let mut cascade_blocked = false;
        let mut previous = Some(&input);
        for (s, expected) in order.iter().enumerate() {
            let Some((i, mixer, decoded)) = stages.get(s) else {
                cascade_ok = false;
                f.fail(
                    "V9.2",
                    Failure::new(
                        None,
                        "missing-stage",
                        format!("{}: mixer {expected}'s stage is missing", c.id),
                    )
                    .blame(Blame::mixer(*expected)),
                );
                break;
            };
            if mixer != expected {
                cascade_ok = false;
                f.fail(
                    "V9.2",
                    Failure::at(
                        *i,
                        "stage-mixer",
                        format!(
                            "{}: stage {s} is mixer {mixer}'s, not mixer {expected}'s",
                            c.id
                        ),
                    )
                    .blame(Blame::mixer(*mixer)),
                );
            }
            match (previous, decoded) {
                (Some(before), Some((out, proof))) => {
                    if let Err(e) = proof.verify(&ctx_mix, *mixer, self.key, before, out) {
                        cascade_ok = false;
                        f.fail(
                            "V9.2",
                            Failure::at(
                                *i,
                                "shuffle-proof",
                                format!("{}: mixer {mixer}'s shuffle proof fails: {e}", c.id),
                            )
                            .blame(Blame::mixer(*mixer)),
                        );
                    }
                    previous = Some(out);
                }
                _ => {
                    cascade_blocked = true;
                    f.block("V9.2", "V9.1");
                    previous = None;
                }
            }
        }
        for (i, mixer, _) in stages.iter().skip(order.len()) {
            cascade_ok = false;
            f.fail(
                "V9.2",
                Failure::at(
                    *i,
                    "extra-stage",
                    format!("{}: more stages than mixers", c.id),
                )
                .blame(Blame::mixer(*mixer)),
            );
        }
        let last = (stages.len() == order.len())
            .then(|| {
                stages
                    .last()
                    .and_then(|(_, _, d)| d.as_ref())
                    .map(|(o, _)| o)
            })
            .flatten();
        let last = match (order.is_empty(), last) {
            (true, _) => None,
            (false, l) => l,
        };
        // V10.3: every share against the last list.
        let ctx = tally_context(&self.election, &c.id);
        let mut valid: Vec<DecryptionShare> = Vec::new();
        for (i, e) in self.of_kind("mix-decryption-shares", &c.id) {
            let EntryBody::MixDecryptionShares {
                trustee, shares, ..
            } = &e.entry.body
            else {
                continue;
            };
            f.items("V10.3", 1);
            let j = *trustee;
            let fail = |f: &mut Findings, code, why: String| {
                f.fail(
                    "V10.3",
                    Failure::at(*i, code, format!("{}: {why}", c.id)).blame(Blame::trustee(j)),
                );
            };
            let Some(vk) = self.outcome.verification_key(j) else {
                fail(f, "share-trustee", format!("no trustee {j}"));
                continue;
            };
            if shares.format != "decryption-share" {
                fail(f, "share-format", format!("format {:?}", shares.format));
                continue;
            }
            let share = match self.attachment(f, *i, shares, |b| {
                DecryptionShare::from_bytes(b).map_err(|e| e.to_string())
            }) {
                Ok(s) => s,
                Err(None) => {
                    f.block("V10.3", "V3.8");
                    continue;
                }
                Err(Some(why)) => {
                    fail(f, "share-decode", why);
                    continue;
                }
            };
            if share.trustee != j {
                fail(
                    f,
                    "share-trustee",
                    format!(
                        "the share is trustee {}'s, the entry says {j}",
                        share.trustee
                    ),
                );
                continue;
            }
            let Some(list) = last else {
                f.block("V10.3", "V9.2");
                continue;
            };
            match share.verify(&ctx, vk, list.ciphertexts()) {
                Err(err) => {
                    let unmixed = share.verify(&ctx, vk, input.ciphertexts()).is_ok()
                        || stages
                            .iter()
                            .filter_map(|(_, _, d)| d.as_ref())
                            .any(|(o, _)| share.verify(&ctx, vk, o.ciphertexts()).is_ok());
                    let why = if unmixed {
                        format!(
                            "trustee {j}'s share verifies against the input list or an intermediate list, not the cascade's output: a breach of privacy"
                        )
                    } else {
                        format!("trustee {j}'s share does not verify: {err}")
                    };
                    fail(f, "share-proof", why);
                }
                Ok(()) if !cascade_ok => fail(
                    f,
                    "share-of-unverified-cascade",
                    format!("trustee {j} decrypted a cascade that does not verify"),
                ),
                Ok(()) if cascade_blocked => f.block("V10.3", "V9.2"),
                Ok(()) => {
                    if !valid.iter().any(|v| v.trustee == j) {
                        valid.push(share);
                    }
                }
            }
        }
        // V10.4: the count.
        f.items("V10.4", 1);
        let Some(list) = last.filter(|_| cascade_ok && !cascade_blocked) else {
            f.block("V10.4", "V9.2");
            return Err("V9.2");
        };
        let candidates = c.candidates.len() as u32;
        if candidates > MAX_CANDIDATES {
            f.fail(
                "V10.4",
                Failure::new(
                    None,
                    "too-many-candidates",
                    format!("{}: {candidates} candidates", c.id),
                )
                .blame(Blame::role("authority")),
            );
            return Err("V10.4");
        }
        let points = self.combine(f, "V10.4", &c.id, list.ciphertexts(), &valid)?;
        let counts = count_plaintexts(&points, list.width(), candidates);
        Ok(Counts {
            totals: counts.per_candidate,
            blank: counts.blank,
            invalid: counts.invalid,
        })
    }

    /// V10.2 and V10.4's combination: the first `t` of the trustees' passing shares (each
    /// verified once, by V10.1 or V10.3), or the failure of check `id` when fewer pass.
    fn combine(
        &self,
        f: &mut Findings,
        id: &'static str,
        contest: &str,
        cts: &[Ciphertext],
        valid: &[DecryptionShare],
    ) -> Result<Vec<sawt_crypto::RistrettoPoint>, &'static str> {
        let t = self.outcome.params.threshold as usize;
        if valid.len() < t {
            f.fail(
                id,
                Failure::new(
                    None,
                    "too-few-shares",
                    format!(
                        "{contest}: {} valid decryption shares, {t} needed",
                        valid.len()
                    ),
                )
                .blame(Blame::role("trustee")),
            );
            return Err(id);
        }
        combine_verified(self.outcome, cts, &valid[..t]).map_err(|e| {
            f.fail(id, Failure::new(None, "combine", format!("{contest}: {e}")));
            id
        })
    }
}

/// The mix-net input list `L_0(c)`: the counted ballots' vectors in log order, decoded on
/// every core.
pub(crate) fn input_list(width: usize, vectors: &[&[[u8; 64]]]) -> Result<CiphertextList, String> {
    let cts: Result<Vec<Vec<Ciphertext>>, String> = vectors
        .par_iter()
        .map(|v| {
            v.iter()
                .map(|b| {
                    let a = Element::decode(&b[..32]).map_err(|e| e.to_string())?;
                    let bb = Element::decode(&b[32..]).map_err(|e| e.to_string())?;
                    Ciphertext::new(a, bb).map_err(|e| e.to_string())
                })
                .collect()
        })
        .collect();
    CiphertextList::new(width, cts?.into_iter().flatten().collect()).map_err(|e| e.to_string())
}

/// The contest an entry after the close names.
fn contest_of(body: &EntryBody) -> Option<&str> {
    match body {
        EntryBody::Tally { contest, .. }
        | EntryBody::DecryptionShares { contest, .. }
        | EntryBody::MixStage { contest, .. }
        | EntryBody::MixDecryptionShares { contest, .. }
        | EntryBody::TieBreakDraw { contest, .. }
        | EntryBody::Result { contest, .. } => Some(contest),
        _ => None,
    }
}
