//! Results and draws (V11) and the cross-checks (V12.1, V12.2), `protocol-spec/verifier.md`
//! §4.11–§4.12: every posted result compared with the verifier's own counts, seats
//! reallocated, and every draw's seed and order recomputed from the record.

use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::manifest::Contest;
use sawt_election::results::{allocate, draw_order, draw_seed, elected};

use crate::decryption::Counts;
use crate::report::{Blame, ContestSummary, Failure, Findings};

/// A posted result's totals, blank, invalid and elected.
type Posted = (Vec<u64>, u64, u64, Vec<String>);

/// What the result checks of one contest start from.
pub(crate) struct ContestResults<'a> {
    pub(crate) election: [u8; 32],
    pub(crate) contest: &'a Contest,
    /// `ĉ + 1` and `ROOT(ĉ + 1)`, for the draw's seed.
    pub(crate) close_root: (u64, [u8; 32]),
    /// Counted ballots.
    pub(crate) n: u64,
    /// The verifier's counts, or the check that blocked them.
    pub(crate) counts: Result<&'a Counts, &'static str>,
}

fn authority(f: Failure) -> Failure {
    f.blame(Blame::role("authority"))
}

impl ContestResults<'_> {
    /// V11.1–V11.5 and V12.2 over the contest's results and draws, in log order; fills the
    /// contest's summary.
    pub(crate) fn check(
        &self,
        f: &mut Findings,
        entries: &[(u64, SignedEntry)],
        summary: &mut ContestSummary,
    ) {
        let c = self.contest;
        let ids: Vec<String> = c.candidates.iter().map(|k| k.id.clone()).collect();
        let expected_alloc = self.counts.ok().map(|k| allocate(&ids, &k.totals, c.seats));
        let mut draws: Vec<(u64, Vec<String>)> = Vec::new();
        let mut results: Vec<(u64, Posted)> = Vec::new();
        let mut last_final = false;
        let mut malformed = false;
        for (i, e) in entries {
            match &e.entry.body {
                EntryBody::TieBreakDraw {
                    contest,
                    tied,
                    seed,
                    order,
                } if contest == &c.id => {
                    f.items("V11.4", 1);
                    let (n, root) = self.close_root;
                    let want_seed = draw_seed(&self.election, &c.id, n, &root);
                    let why = if expected_alloc.as_ref().is_some_and(|a| &a.tied != tied) {
                        Some("the tied candidates are not the allocation's")
                    } else if seed.0 != want_seed {
                        Some("the seed is not the one the record's root at the close gives")
                    } else if &draw_order(&want_seed, tied) != order {
                        Some("the order is not the one the seed gives")
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        f.fail(
                            "V11.4",
                            authority(Failure::at(*i, "draw", format!("{}: {why}", c.id))),
                        );
                    }
                    draws.push((*i, order.clone()));
                }
                EntryBody::Result {
                    contest,
                    totals,
                    blank,
                    invalid,
                    elected: posted,
                    r#final,
                } if contest == &c.id => {
                    f.items("V11.1", 1);
                    if totals.len() != c.candidates.len() {
                        f.fail(
                            "V11.1",
                            authority(Failure::at(
                                *i,
                                "result-shape",
                                format!(
                                    "{}: {} totals for {} candidates",
                                    c.id,
                                    totals.len(),
                                    c.candidates.len()
                                ),
                            )),
                        );
                        malformed = true;
                        f.block("V11.2", "V11.1");
                        f.block("V11.3", "V11.1");
                        f.block("V12.2", "V11.1");
                        continue;
                    }
                    // V11.2: the counts.
                    f.items("V11.2", 1);
                    match self.counts {
                        Ok(k) => {
                            let differs = if &k.totals != totals {
                                Some("totals")
                            } else if k.blank != *blank {
                                Some("blank")
                            } else if k.invalid != *invalid {
                                Some("invalid")
                            } else {
                                None
                            };
                            if let Some(what) = differs {
                                f.fail("V11.2", authority(Failure::at(*i, "result-counts", format!("{}: the result's {what} differ from the decrypted counts", c.id))));
                            }
                        }
                        Err(by) => f.block("V11.2", by),
                    }
                    // V11.3: the seats from the result's own totals, and the draw before it.
                    f.items("V11.3", 1);
                    let a = allocate(&ids, totals, c.seats);
                    let draw = draws.last().map(|(_, o)| o.as_slice());
                    if a.open > 0 && draw.is_none() {
                        f.items("V11.4", 1);
                        f.fail(
                            "V11.4",
                            authority(Failure::at(
                                *i,
                                "missing-draw",
                                format!(
                                    "{}: a tie for the last seat and no draw before the result",
                                    c.id
                                ),
                            )),
                        );
                        f.block("V11.3", "V11.4");
                    } else if &elected(&a, if a.open > 0 { draw } else { None }) != posted {
                        f.fail(
                            "V11.3",
                            authority(Failure::at(
                                *i,
                                "elected",
                                format!("{}: the elected do not follow the totals", c.id),
                            )),
                        );
                    }
                    // V12.2: arithmetic, whatever the decryption.
                    f.items("V12.2", 1);
                    let w = u64::from(c.votes_per_voter);
                    let sum: u64 = totals.iter().sum();
                    let ok = match c.tally {
                        sawt_election::manifest::TallyMethod::Homomorphic => {
                            *invalid == 0
                                && blank + sum == self.n * w
                                && totals.iter().all(|t| *t <= self.n)
                        }
                        sawt_election::manifest::TallyMethod::Mixnet => {
                            blank + invalid <= self.n && {
                                let v = self.n - blank - invalid;
                                totals.iter().all(|t| *t <= v) && v <= sum && sum <= v * w
                            }
                        }
                    };
                    if !ok {
                        f.fail(
                            "V12.2",
                            authority(Failure::at(
                                *i,
                                "result-arithmetic",
                                format!(
                                    "{}: the result's figures do not add up for {} ballots",
                                    c.id, self.n
                                ),
                            )),
                        );
                    }
                    results.push((*i, (totals.clone(), *blank, *invalid, posted.clone())));
                    last_final = *r#final;
                }
                _ => {}
            }
        }
        // V11.4 (a): a contest whose allocation has no tie has no draw.
        if let Some(a) = &expected_alloc
            && a.open == 0
            && let Some((i, _)) = draws.first()
        {
            f.fail(
                "V11.4",
                authority(Failure::at(
                    *i,
                    "needless-draw",
                    format!("{}: a draw for a contest without a tie", c.id),
                )),
            );
        }
        // V11.5: a result, and all results agree.
        f.items("V11.5", 1);
        match results.first() {
            // An absence after a failure that stops an honest authority is blocked (§3.4).
            None => match self.counts {
                _ if malformed => f.block("V11.5", "V11.1"),
                Err(by) => f.block("V11.5", by),
                Ok(_) => f.fail(
                    "V11.5",
                    authority(Failure::new(
                        None,
                        "missing-result",
                        format!("{} has no result", c.id),
                    )),
                ),
            },
            Some((_, first)) => {
                for (i, r) in &results[1..] {
                    if r != first {
                        f.fail(
                            "V11.5",
                            authority(
                                Failure::at(
                                    *i,
                                    "results-disagree",
                                    format!("{}: results disagree", c.id),
                                )
                                .with_entry(results[0].0),
                            ),
                        );
                    }
                }
                if !last_final {
                    f.notice("V11.5", format!("{}: its latest result is not final", c.id));
                }
            }
        }
        summary.results = results.iter().map(|(i, _)| *i).collect();
        summary.r#final = last_final;
        if let Some((_, (_, _, _, e))) = results.last() {
            summary.elected = e.clone();
        }
    }
}
