//! Candidate lists published after the manifest (`protocol-spec/election.md` §3.4).
//!
//! The manifest is posted before the candidacy window, so a contest may leave its
//! `candidates` empty: its final list is then published on the board by the election
//! authority in a `candidate-list` entry, between the end of the candidacy window and the
//! start of voting, once per contest. [`PublishedLists`] holds the lists seen so far, checks a
//! new one ([`PublishedLists::check`]: the rules L1–L8 of §3.4, which include M16, M17 and
//! M26 that the manifest's own lists obey), and gives each contest as ballots see it ([`PublishedLists::contest`]): the
//! manifest's contest with its published candidates.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::geography::WilayatId;
use crate::manifest::{Candidate, Contest, Manifest, TallyMethod};

/// The candidate lists published on the board, by contest identifier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedLists(HashMap<String, Vec<Candidate>>);

impl PublishedLists {
    /// No list published yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks that `candidates` may be published for `contest`: the manifest has the contest
    /// with no candidates of its own, no list was published for it before, and the list has at
    /// least one candidate and obeys M26 (a mix-net contest's bound), M17 (ballot order
    /// 1..=n) and M16 (identifiers non-empty and unique across the election, the manifest's
    /// and earlier lists' included), each with a name in Arabic and English (§3.4 L1–L8).
    pub fn check(
        &self,
        manifest: &Manifest,
        contest: &str,
        candidates: &[Candidate],
    ) -> Result<(), String> {
        let c = manifest
            .contest(contest)
            .ok_or_else(|| format!("the manifest has no contest {contest}"))?;
        if !c.candidates.is_empty() {
            return Err(format!(
                "contest {contest} has its candidates in the manifest"
            ));
        }
        if self.0.contains_key(contest) {
            return Err(format!("contest {contest} already has its candidate list"));
        }
        if candidates.is_empty() {
            return Err(format!(
                "contest {contest}: a list needs at least one candidate"
            ));
        }
        if c.tally == TallyMethod::Mixnet
            && candidates.len() > sawt_crypto::mixnet::MAX_CANDIDATES as usize
        {
            return Err(format!(
                "contest {contest}: more candidates than a mixnet contest allows"
            ));
        }
        if candidates
            .iter()
            .enumerate()
            .any(|(i, cand)| cand.ballot_order != i as u32 + 1)
        {
            return Err(format!(
                "contest {contest}: candidates must be listed in ballot order 1..=n"
            ));
        }
        let taken: HashSet<&str> = manifest
            .contests
            .iter()
            .flat_map(|c| c.candidates.iter())
            .chain(self.0.values().flatten())
            .map(|c| c.id.as_str())
            .collect();
        let mut seen = HashSet::new();
        for cand in candidates {
            if cand.id.is_empty() || taken.contains(cand.id.as_str()) || !seen.insert(&cand.id) {
                return Err(format!("candidate id {:?} empty or repeated", cand.id));
            }
            if cand.name.ar.is_empty() || cand.name.en.is_empty() {
                return Err(format!(
                    "candidate {:?} needs a name in Arabic and English",
                    cand.id
                ));
            }
        }
        Ok(())
    }

    /// Records a list (checked first with [`PublishedLists::check`]).
    pub fn insert(&mut self, contest: &str, candidates: Vec<Candidate>) {
        self.0.insert(contest.to_owned(), candidates);
    }

    /// The list published for a contest, if any.
    pub fn get(&self, contest: &str) -> Option<&[Candidate]> {
        self.0.get(contest).map(Vec::as_slice)
    }

    /// The contest as ballots see it: the manifest's, with its published candidates if the
    /// manifest left them out. `None` for an unknown contest.
    pub fn contest<'m>(&self, manifest: &'m Manifest, id: &str) -> Option<Cow<'m, Contest>> {
        manifest.contest(id).map(|c| self.complete(c))
    }

    /// The contest of a wilayat, as ballots see it.
    pub fn contest_of<'m>(
        &self,
        manifest: &'m Manifest,
        wilayat: &WilayatId,
    ) -> Option<Cow<'m, Contest>> {
        manifest.contest_of(wilayat).map(|c| self.complete(c))
    }

    fn complete<'m>(&self, c: &'m Contest) -> Cow<'m, Contest> {
        match self.0.get(&c.id) {
            Some(list) if c.candidates.is_empty() => Cow::Owned(Contest {
                candidates: list.clone(),
                ..c.clone()
            }),
            _ => Cow::Borrowed(c),
        }
    }
}
