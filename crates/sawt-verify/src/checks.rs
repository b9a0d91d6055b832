//! The numbered checks of `protocol-spec/verifier.md` §4: their identifiers, kinds and
//! titles. Numbers are fixed once published: a check may be added at the end of its group,
//! never renumbered or reused.

/// One check of the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// `V1.1` …
    pub id: &'static str,
    /// Swiss Post's category: `A` authenticity, `I` integrity, `C` consistency, `P`
    /// completeness, `E` evidence.
    pub kind: char,
    /// What it checks, in a few words.
    pub title: &'static str,
}

const fn c(id: &'static str, kind: char, title: &'static str) -> Check {
    Check { id, kind, title }
}

/// Every check, in number order.
pub const CHECKS: &[Check] = &[
    c("V1.1", 'I', "record files"),
    c("V1.2", 'A', "head signed by the board"),
    c("V1.3", 'A', "witness quorum"),
    c("V1.4", 'I', "log hashes and root"),
    c("V1.5", 'I', "no repeated entry"),
    c("V1.6", 'A', "supplied heads signed"),
    c("V1.7", 'C', "heads consistent with the record"),
    c("V1.8", 'E', "fork evidence"),
    c("V1.9", 'C', "receipts"),
    c("V2.1", 'I', "manifest entry"),
    c("V2.2", 'A', "manifest hash is the election"),
    c("V2.3", 'C', "manifest valid"),
    c("V2.4", 'A', "manifest by the authority"),
    c("V2.5", 'C', "candidate lists"),
    c("V3.1", 'I', "entries decode canonically"),
    c("V3.2", 'A', "entry signatures"),
    c("V3.3", 'C', "entries name the election"),
    c("V3.4", 'A', "authors hold the kind's role"),
    c("V3.5", 'C', "kinds in log order"),
    c("V3.6", 'C', "kinds in their windows"),
    c("V3.7", 'C', "window extensions"),
    c("V3.8", 'I', "attachments"),
    c("V4.1", 'E', "key-generation announcements"),
    c("V4.2", 'E', "dealings"),
    c("V4.3", 'E', "complaints"),
    c("V4.4", 'E', "key-generation outcome"),
    c("V4.5", 'C', "joint key recomputed"),
    c("V5.1", 'C', "roll counts"),
    c("V5.2", 'P', "a roll count per wilayat"),
    c("V5.3", 'C', "credential enrolments"),
    c("V5.4", 'C', "enrolments after their roll count"),
    c("V5.5", 'C', "revocations"),
    c("V5.6", 'C', "credentials within the roll"),
    c("V6.1", 'C', "ballots from enrolled credentials"),
    c("V6.2", 'C', "ballot styles"),
    c("V6.3", 'E', "ballot proofs"),
    c("V6.4", 'E', "audited ballots reopened"),
    c("V6.5", 'I', "no repeated ciphertext"),
    c("V7.1", 'C', "the close"),
    c("V8.1", 'C', "tallies name homomorphic contests"),
    c("V8.2", 'E', "homomorphic sums recomputed"),
    c("V8.3", 'P', "a tally per homomorphic contest"),
    c("V9.1", 'I', "mix stages decode"),
    c("V9.2", 'E', "mix cascades"),
    c("V10.1", 'E', "homomorphic decryption shares"),
    c("V10.2", 'E', "homomorphic totals decrypted"),
    c("V10.3", 'E', "mix-net decryption shares"),
    c("V10.4", 'E', "mix-net counts decrypted"),
    c("V11.1", 'C', "results name contests"),
    c("V11.2", 'E', "result totals"),
    c("V11.3", 'E', "elected candidates"),
    c("V11.4", 'E', "tie-break draws"),
    c("V11.5", 'P', "a result per contest"),
    c("V12.1", 'C', "counted ballots within the credentials"),
    c("V12.2", 'C', "result arithmetic"),
    c("V12.3", 'P', "every entry read, every check decided"),
];

/// The check with identifier `id`.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}
