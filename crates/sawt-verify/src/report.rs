//! What the verifier found (`protocol-spec/verifier.md` §3, §7): a status per check, every
//! failure with its entry and the parties to blame, notices, and the per-contest and
//! per-wilayat figures; printed for people or as one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::{CHECKS, check};

/// A check's outcome (verifier.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every item passed.
    Pass,
    /// The record holds something the protocol forbids.
    Fail,
    /// The check could not run because a check it depends on failed.
    Blocked,
    /// The check had no subject.
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Blocked => "blocked",
            Status::NotApplicable => "n/a",
        }
    }
}

/// A party blamed for a failure (verifier.md §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blame {
    /// `authority`, `registrar`, `trustee`, `mixer`, `boardoperator`, `witness`,
    /// `credential`, `supplier` or `input`.
    pub role: &'static str,
    /// The trustee's or mixer's index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The key, where known (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Blame {
    /// A role without index or key.
    pub fn role(role: &'static str) -> Self {
        Blame {
            role,
            index: None,
            key: None,
        }
    }
    /// Trustee `i`.
    pub fn trustee(i: u32) -> Self {
        Blame {
            index: Some(i),
            ..Blame::role("trustee")
        }
    }
    /// Mixer `i`.
    pub fn mixer(i: u32) -> Self {
        Blame {
            index: Some(i),
            ..Blame::role("mixer")
        }
    }
    /// A voter's credential.
    pub fn credential(key: &[u8; 32]) -> Self {
        Blame {
            key: Some(hex::encode(key)),
            ..Blame::role("credential")
        }
    }
}

/// One failing item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The index of the entry at fault, if there is one.
    pub entry: Option<u64>,
    /// Other entries involved (an earlier enrolment, the other ciphertext, a head's size).
    pub entries: Vec<u64>,
    /// A stable identifier of the kind of failure.
    pub code: &'static str,
    /// What is wrong, for people.
    pub detail: String,
    /// The parties to blame, primary first.
    pub blame: Vec<Blame>,
    /// Assumptions the failure rests on (`monotone-clock`).
    pub assumes: Vec<&'static str>,
}

impl Failure {
    /// A failure of entry `entry` (or of no single entry).
    pub fn new(entry: Option<u64>, code: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            entry,
            entries: Vec::new(),
            code,
            detail: detail.into(),
            blame: Vec::new(),
            assumes: Vec::new(),
        }
    }
    /// A failure of entry `entry`.
    pub fn at(entry: u64, code: &'static str, detail: impl Into<String>) -> Self {
        Failure::new(Some(entry), code, detail)
    }
    /// Adds a party to blame.
    pub fn blame(mut self, b: Blame) -> Self {
        self.blame.push(b);
        self
    }
    /// Adds an entry involved.
    pub fn with_entry(mut self, i: u64) -> Self {
        self.entries.push(i);
        self
    }
    /// Marks an assumption.
    pub fn assumes(mut self, a: &'static str) -> Self {
        self.assumes.push(a);
        self
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// `V1.1` …
    pub id: &'static str,
    /// Its kind letter.
    pub kind: char,
    /// Its title.
    pub title: &'static str,
    /// Its status.
    pub status: Status,
    /// How many items it checked.
    pub items: u64,
    /// How many items failed.
    pub failed: u64,
    /// The checks whose failure blocked it.
    pub blocked_by: Vec<&'static str>,
    /// What the protocol tolerates but the report mentions.
    pub notices: Vec<String>,
    /// Every failing item.
    pub failures: Vec<Failure>,
}

/// A contest's figures as the verifier recomputed them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContestSummary {
    /// The contest.
    pub id: String,
    /// `homomorphic` or `mixnet`.
    pub tally: String,
    /// Counted ballots.
    pub counted: u64,
    /// Votes per candidate, ballot order (when decrypted).
    pub totals: Option<Vec<u64>>,
    /// Blank.
    pub blank: Option<u64>,
    /// Invalid.
    pub invalid: Option<u64>,
    /// The elected, from the last result.
    pub elected: Vec<String>,
    /// The indices of its results.
    pub results: Vec<u64>,
    /// Whether its last result is final.
    pub r#final: bool,
}

/// A wilayat's figures (verifier.md §4.5 V5.6, §4.7 D7 item 4).
#[derive(Clone, Debug, Default, Serialize)]
pub struct WilayatSummary {
    /// The wilayat.
    pub id: String,
    /// The roll count's `registered`.
    pub registered: Option<u64>,
    /// Credentials enrolled.
    pub enrolled: u64,
    /// Credentials revoked.
    pub revoked: u64,
    /// Enrolled and not revoked at the close.
    pub unrevoked_at_close: u64,
    /// Counted ballots.
    pub counted: u64,
    /// Ballots superseded by a later one.
    pub superseded: u64,
    /// Audited ballots.
    pub audited: u64,
    /// Ballots of revoked credentials.
    pub ballots_of_revoked: u64,
}

/// The record as read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordSummary {
    /// `Z`, the head's size.
    pub size: u64,
    /// The root computed from the entries.
    pub root: String,
    /// The head's timestamp.
    pub head_timestamp_ms: u64,
    /// Lines after the head's size.
    pub lines_beyond_head: u64,
    /// Witnesses whose cosignature on the head verified.
    pub cosigned_by: Vec<String>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `sawt/v1/verifier-report`.
    pub format: &'static str,
    /// `v1`.
    pub protocol: &'static str,
    /// The election `E` given.
    pub election: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// The record.
    pub record: RecordSummary,
    /// Every check, in number order.
    pub checks: Vec<CheckResult>,
    /// Per contest.
    pub contests: Vec<ContestSummary>,
    /// Per wilayat.
    pub wilayats: Vec<WilayatSummary>,
}

impl Report {
    /// Whether every check passed or had no subject.
    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }

    /// The result of check `id`.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The identifiers of the checks that failed.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect()
    }

    /// The human form (verifier.md §7.1).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Sawt verifier (protocol v1) — election {}",
            self.election
        );
        let _ = writeln!(
            out,
            "record: {} entries, root {}, {} witness cosignatures ({} lines beyond the head)",
            self.record.size,
            self.record.root,
            self.record.cosigned_by.len(),
            self.record.lines_beyond_head
        );
        for c in &self.checks {
            let mut line = format!("{:<6} {:<8} {:<40}", c.id, c.status.label(), c.title);
            if c.status == Status::Blocked {
                let _ = write!(line, " by {}", c.blocked_by.join(", "));
            } else if c.items > 0 {
                let _ = write!(line, " {} checked, {} failed", c.items, c.failed);
            }
            let _ = writeln!(out, "{}", line.trim_end());
            for f in c.failures.iter().take(20) {
                let at = f.entry.map_or(String::new(), |e| format!("entry {e}: "));
                let _ = writeln!(out, "       {at}{} [{}]", f.detail, f.code);
                if !f.blame.is_empty() {
                    let who: Vec<String> = f.blame.iter().map(blame_text).collect();
                    let _ = writeln!(out, "         blame: {}", who.join(", "));
                }
            }
            if c.failures.len() > 20 {
                let _ = writeln!(out, "       … and {} more", c.failures.len() - 20);
            }
            for n in c.notices.iter().take(10) {
                let _ = writeln!(out, "       notice: {n}");
            }
        }
        for k in &self.contests {
            let _ = writeln!(
                out,
                "contest {:<28} {:<11} counted {:>7}  totals {:?}  blank {}  invalid {}  elected {:?}{}",
                k.id,
                k.tally,
                k.counted,
                k.totals.as_deref().unwrap_or(&[]),
                k.blank.map_or("-".into(), |b| b.to_string()),
                k.invalid.map_or("-".into(), |b| b.to_string()),
                k.elected,
                if k.r#final { " (final)" } else { "" }
            );
        }
        let failed = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count();
        let blocked = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Blocked)
            .count();
        let notices: usize = self.checks.iter().map(|c| c.notices.len()).sum();
        if self.passed() {
            let _ = writeln!(
                out,
                "verdict: PASS — every check passed ({notices} notices)"
            );
        } else {
            let _ = writeln!(
                out,
                "verdict: FAIL — {failed} checks failed, {blocked} blocked, {notices} notices"
            );
        }
        out
    }
}

fn blame_text(b: &Blame) -> String {
    let mut s = b.role.to_owned();
    if let Some(i) = b.index {
        let _ = write!(s, "({i})");
    }
    if let Some(k) = &b.key {
        let _ = write!(
            s,
            " {}…{}",
            &k[..4.min(k.len())],
            &k[k.len().saturating_sub(4)..]
        );
    }
    s
}

/// Collects findings as the checks run, then settles each check's status.
#[derive(Debug, Default)]
pub struct Findings {
    items: BTreeMap<&'static str, u64>,
    failures: BTreeMap<&'static str, Vec<Failure>>,
    blocked: BTreeMap<&'static str, Vec<&'static str>>,
    notices: BTreeMap<&'static str, Vec<String>>,
}

impl Findings {
    /// Counts `n` items checked by `id`.
    pub fn items(&mut self, id: &'static str, n: u64) {
        debug_assert!(check(id).is_some(), "unknown check {id}");
        *self.items.entry(id).or_default() += n;
    }

    /// Records a failing item of `id` (counted as an item too).
    pub fn fail(&mut self, id: &'static str, f: Failure) {
        debug_assert!(check(id).is_some(), "unknown check {id}");
        self.failures.entry(id).or_default().push(f);
    }

    /// Records that `id` could not run (for some item) because `by` failed.
    pub fn block(&mut self, id: &'static str, by: &'static str) {
        let v = self.blocked.entry(id).or_default();
        if !v.contains(&by) {
            v.push(by);
        }
    }

    /// Records a notice under `id`.
    pub fn notice(&mut self, id: &'static str, text: impl Into<String>) {
        self.notices.entry(id).or_default().push(text.into());
    }

    /// Whether `id` has failed so far.
    pub fn has_failed(&self, id: &str) -> bool {
        self.failures.get(id).is_some_and(|f| !f.is_empty())
    }

    /// Whether `id` failed or was blocked.
    pub fn is_bad(&self, id: &str) -> bool {
        self.has_failed(id) || self.blocked.get(id).is_some_and(|b| !b.is_empty())
    }

    /// The checks' results, in number order.
    pub fn settle(mut self) -> Vec<CheckResult> {
        CHECKS
            .iter()
            .map(|c| {
                let failures = self.failures.remove(c.id).unwrap_or_default();
                let blocked_by = self.blocked.remove(c.id).unwrap_or_default();
                let items = self.items.get(c.id).copied().unwrap_or(0);
                let failed = failures.len() as u64;
                let status = if !failures.is_empty() {
                    Status::Fail
                } else if !blocked_by.is_empty() {
                    Status::Blocked
                } else if items > 0 {
                    Status::Pass
                } else {
                    Status::NotApplicable
                };
                CheckResult {
                    id: c.id,
                    kind: c.kind,
                    title: c.title,
                    status,
                    items: items.max(failed),
                    failed,
                    blocked_by,
                    notices: self.notices.remove(c.id).unwrap_or_default(),
                    failures,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_fails_before_it_is_blocked_and_passes_only_with_items() {
        let mut f = Findings::default();
        f.items("V1.1", 3);
        f.items("V1.2", 1);
        f.block("V1.2", "V1.1");
        f.items("V1.3", 1);
        f.block("V1.3", "V1.1");
        f.fail("V1.3", Failure::new(None, "quorum", "1 of 2"));
        f.notice("V1.4", "a notice alone decides nothing");
        let checks = f.settle();
        assert_eq!(checks.len(), CHECKS.len());
        let status = |id: &str| checks.iter().find(|c| c.id == id).unwrap().status;
        assert_eq!(status("V1.1"), Status::Pass);
        assert_eq!(status("V1.2"), Status::Blocked);
        assert_eq!(status("V1.3"), Status::Fail);
        assert_eq!(status("V1.4"), Status::NotApplicable);
        let v13 = checks.iter().find(|c| c.id == "V1.3").unwrap();
        assert_eq!((v13.items, v13.failed), (1, 1));
    }

    #[test]
    fn the_human_report_names_each_failure_with_its_entry_and_blame() {
        let mut f = Findings::default();
        f.items("V6.3", 2);
        f.fail(
            "V6.3",
            Failure::at(7, "ballot-proof", "range proof fails")
                .blame(Blame::role("boardoperator"))
                .blame(Blame::trustee(3)),
        );
        let r = Report {
            format: "sawt/v1/verifier-report",
            protocol: "v1",
            election: "00".repeat(32),
            verdict: "fail",
            record: RecordSummary::default(),
            checks: f.settle(),
            contests: vec![],
            wilayats: vec![],
        };
        let text = r.render();
        assert!(text.contains("V6.3   FAIL"), "{text}");
        assert!(
            text.contains("entry 7: range proof fails [ballot-proof]"),
            "{text}"
        );
        assert!(text.contains("blame: boardoperator, trustee(3)"), "{text}");
        assert!(text.contains("verdict: FAIL"), "{text}");
        assert_eq!(r.failed(), vec!["V6.3"]);
    }
}
