//! # sawt-verify — the independent verifier
//!
//! Checks a whole published election record from its files alone (`protocol-spec/verifier.md`):
//! the log's hashes, heads and witnesses; the manifest; every entry's encoding, signature,
//! author and time; the key generation; the registry's counts and credentials; every ballot's
//! proofs (batched) and audit; the counting rule; the homomorphic sums, every mix cascade,
//! every decryption share, the results, seats and draws. It reports every failure with its
//! entry and the party to blame, and never stops at the first.
//!
//! It depends on the specification's pure crates only (`sawt-crypto`, `sawt-election`,
//! `sawt-board`): no server, no database, no network. The record is streamed: entries are
//! read a chunk at a time, decoded and checked on every core, and replayed in log order.
//!
//! ```text
//! P0  head.json, entry 0 (the manifest), supplied heads     V1.1–V1.3, V1.6, V1.8, V2.1–V2.4
//! P1  entries.ndjson, streamed                              V1.4, V1.5, V1.7, V2.5, V3, V4–V7
//! P2  the homomorphic ballots that stopped counting         D7 (the sums)
//! P3  the entries after the close, the attachments          V8–V12
//! ```

#![forbid(unsafe_code)]

pub mod checks;
pub mod files;
pub mod report;

mod ballot_list;
mod ballots;
mod blocking;
mod decryption;
mod entries;
mod heads;
pub mod receipts;
mod replay;
mod results;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sawt_board::hash::leaf_hash;
use sawt_board::tree::{MemoryTree, root_at};
use sawt_election::ballot_view::{ReadEntry, read_entry};
use sawt_election::canonical;
use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::manifest::TallyMethod;

use crate::blocking::{block_after_close, block_all, block_all_but, self_check};
use crate::entries::{Bad, check_manifest, decode_line};
use crate::files::RecordDir;
use crate::heads::{check_head, fork_evidence, supplied_heads};
use crate::replay::{ChunkWork, Replay};
use crate::report::{
    Blame, ContestSummary, Failure, Findings, RecordSummary, Report, WilayatSummary,
};

/// What the user gives besides the record.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The election `E`, from a source other than the record.
    pub election: [u8; 32],
    /// Heads the user holds (`--head`).
    pub heads: Vec<PathBuf>,
    /// Receipts voters hold (`--receipt`).
    pub receipts: Vec<PathBuf>,
    /// Where to write the ballot list (`--ballots`): one NDJSON line per ballot with its
    /// tracking code and status, so that voters can find theirs in the verified record.
    pub ballots: Option<PathBuf>,
    /// Whether to draw progress bars on standard error.
    pub progress: bool,
}

/// The verifier could not finish (exit status 3): an I/O error after it opened the record.
#[derive(Debug, thiserror::Error)]
#[error("the verifier could not finish: {0}")]
pub struct Unfinished(pub String);

impl From<std::io::Error> for Unfinished {
    fn from(e: std::io::Error) -> Self {
        Unfinished(e.to_string())
    }
}

/// Entries read, decoded and signature-checked per chunk.
const CHUNK: usize = 4096;

/// Verifies the record in `dir`.
pub fn verify(dir: &Path, opts: &Options) -> Result<Report, Unfinished> {
    let record = RecordDir::new(dir);
    let mut f = Findings::default();
    let mut summary = RecordSummary::default();
    let report = |f: Findings, summary, contests, wilayats| {
        Report {
            format: "sawt/v1/verifier-report",
            protocol: "v1",
            election: hex::encode(opts.election),
            verdict: "fail",
            record: summary,
            checks: f.settle(),
            contests,
            wilayats,
        }
        .with_verdict()
    };

    // P0: the head and entry 0.
    f.items("V1.1", 1);
    let head = match record.head() {
        Ok(h) => h,
        Err(why) => {
            f.fail(
                "V1.1",
                Failure::new(None, "head-file", why).blame(Blame::role("supplier")),
            );
            return self_check(report(block_all(f, "V1.1"), summary, vec![], vec![]));
        }
    };
    let z = head.signed.head.size;
    summary.size = z;
    summary.head_timestamp_ms = head.signed.head.timestamp_ms;
    let mut lines = match record.lines() {
        Ok(l) => l,
        Err(e) => {
            f.fail(
                "V1.1",
                Failure::new(None, "entries-file", format!("entries.ndjson: {e}"))
                    .blame(Blame::role("supplier")),
            );
            return self_check(report(block_all(f, "V1.1"), summary, vec![], vec![]));
        }
    };
    let mut chunk = lines.next_chunk(CHUNK)?;
    let Some(first) = chunk.first() else {
        f.fail(
            "V1.1",
            Failure::new(
                None,
                "short-record",
                format!("entries.ndjson has no line, the head says {z}"),
            )
            .blame(Blame::role("supplier")),
        );
        return self_check(report(block_all(f, "V1.1"), summary, vec![], vec![]));
    };
    let Some(manifest) = check_manifest(&mut f, &first.bytes, &opts.election) else {
        // Without a manifest for E nothing else can be checked.
        let keep: &[&'static str] = if f.has_failed("V2.1") {
            &["V1.1", "V2.1"]
        } else {
            &["V1.1", "V2.1", "V2.2"]
        };
        return self_check(report(block_all_but(f, keep), summary, vec![], vec![]));
    };
    let board_key = match manifest.authorities.board_operator.verifying_key() {
        Ok(k) => k,
        Err(_) => {
            f.fail(
                "V2.3",
                Failure::at(
                    0,
                    "board-key",
                    "the board operator's key is not an acceptable key",
                )
                .blame(Blame::role("authority")),
            );
            return self_check(report(
                block_all_but(f, &["V1.1", "V2.1", "V2.2", "V2.3", "V2.4"]),
                summary,
                vec![],
                vec![],
            ));
        }
    };
    check_head(
        &mut f,
        &head,
        &manifest,
        &board_key,
        &opts.election,
        &mut summary,
    );
    let supplied = supplied_heads(&mut f, &opts.heads, &manifest, &board_key, &opts.election);
    fork_evidence(&mut f, &record, &board_key, &opts.election);
    let receipts = receipts::read(&mut f, &opts.receipts, &board_key, &opts.election);

    // P1: the log, streamed.
    let mut clock_heads: Vec<(u64, u64)> = vec![(z, head.signed.head.timestamp_ms)];
    clock_heads.extend(supplied.iter().map(|h| (h.size, h.timestamp_ms)));
    let mut replay = Replay::new(&manifest, opts.election, &clock_heads);
    if opts.ballots.is_some() {
        replay.ballot_list = Some(Vec::new());
    }
    let mut tree = MemoryTree::new();
    let mut leaves: HashMap<u64, u32> = HashMap::new();
    let mut sums: HashMap<usize, ballots::Sums> = HashMap::new();
    let mut beyond = 0u64;
    let mut index = 0u64;
    let mut close_root: Option<(u64, [u8; 32])> = None;
    let mut offsets: Vec<u64> = Vec::new();
    let file_len = std::fs::metadata(record.entries_path())
        .map(|m| m.len())
        .unwrap_or(0);
    let bar = progress(opts.progress, file_len, "reading the log");
    while !chunk.is_empty() {
        let take = chunk.len().min(z.saturating_sub(index) as usize);
        beyond += (chunk.len() - take) as u64;
        chunk.truncate(take);
        bar.inc(chunk.iter().map(|l| l.bytes.len() as u64 + 1).sum());
        if chunk.is_empty() {
            chunk = lines.next_chunk(CHUNK)?;
            continue;
        }
        // Decode and check signatures on every core.
        let decoded: Vec<(sawt_board::Hash, Result<SignedEntry, Bad>)> = chunk
            .par_iter()
            .map(|l| (leaf_hash(&l.bytes), decode_line(&l.bytes)))
            .collect();
        let mut entries: Vec<Option<SignedEntry>> = Vec::with_capacity(decoded.len());
        let mut work = ChunkWork::default();
        for (pos, (line, (leaf, entry))) in chunk.iter().zip(decoded).enumerate() {
            let i = index + pos as u64;
            tree.push_leaf_hash(leaf);
            offsets.push(line.offset);
            if line.bytes.is_empty() || line.bytes.contains(&b'\r') {
                f.fail(
                    "V1.1",
                    Failure::at(i, "bad-line", "an empty line or one holding CR")
                        .blame(Blame::role("supplier")),
                );
            }
            // V1.5: a repeated line.
            let fp = u64::from_le_bytes(leaf[..8].try_into().unwrap_or([0; 8]));
            if let Some(prev) = leaves.insert(fp, i as u32)
                && leaf_at(&tree, u64::from(prev)) == leaf
            {
                f.fail(
                    "V1.5",
                    Failure::at(
                        i,
                        "repeated-entry",
                        format!("entry {i} repeats entry {prev}"),
                    )
                    .with_entry(u64::from(prev))
                    .blame(Blame::role("boardoperator")),
                );
            }
            if i == 0 {
                entries.push(None);
                continue;
            }
            f.items("V3.1", 1);
            f.items("V3.2", 1);
            match entry {
                Ok(e) => {
                    replay.apply(&mut f, i, line.offset, pos, &e, &mut work);
                    if replay.close == Some(i) {
                        close_root = Some((i + 1, root_at(&tree, i + 1)));
                    }
                    entries.push(Some(e));
                }
                Err((check, code, why)) => {
                    f.fail(
                        check,
                        Failure::at(i, code, why).blame(Blame::role("boardoperator")),
                    );
                    entries.push(None);
                }
            }
        }
        f.items("V1.5", chunk.len() as u64);
        // The proofs, audits and sums of this chunk's ballots, on every core.
        if let Some((key, enc)) = replay.key.clone() {
            for (pos, why) in ballots::verify_proofs(&opts.election, &key, &entries, &work.proofs) {
                let i = index + pos as u64;
                let cred = entries[pos]
                    .as_ref()
                    .and_then(ballots::ballot_of)
                    .map(|b| *b.credential.bytes())
                    .unwrap_or_default();
                f.fail(
                    "V6.3",
                    Failure::at(i, "ballot-proof", why)
                        .blame(Blame::role("boardoperator"))
                        .blame(Blame::credential(&cred)),
                );
            }
            f.items("V6.3", work.proofs.len() as u64);
            for (pos, why) in ballots::check_openings(&enc, &entries, &work.audits) {
                f.fail(
                    "V6.4",
                    Failure::at(index + pos as u64, "audit-opening", why)
                        .blame(Blame::role("boardoperator")),
                );
            }
            f.items("V6.4", work.audits.len() as u64);
        }
        let adds: Vec<_> = work
            .adds
            .iter()
            .filter_map(|(pos, c)| {
                Some((
                    entries[*pos]
                        .as_ref()
                        .and_then(ballots::ballot_of)?
                        .ciphertexts(),
                    *c,
                ))
            })
            .collect();
        ballots::accumulate(&mut sums, &adds, true);
        index += chunk.len() as u64;
        chunk = lines.next_chunk(CHUNK)?;
    }
    bar.finish_and_clear();
    summary.lines_beyond_head = beyond;
    if beyond > 0 {
        f.notice(
            "V1.1",
            format!("{beyond} lines after the head's size are not part of the record"),
        );
    }
    f.items("V1.1", index.saturating_sub(1));
    if index < z {
        f.fail(
            "V1.1",
            Failure::new(
                None,
                "short-record",
                format!("entries.ndjson has {index} lines, the head says {z}"),
            )
            .blame(Blame::role("supplier")),
        );
        return self_check(report(block_all(f, "V1.1"), summary, vec![], vec![]));
    }
    // V1.4 and V1.7: the roots.
    let root = root_at(&tree, z);
    summary.root = hex::encode(root);
    f.items("V1.4", 1);
    if root != head.signed.head.root {
        f.fail("V1.4", Failure::new(None, "root", "the entries do not hash to the head's root: a line was changed, added, removed or reordered").blame(Blame::role("supplier")));
    }
    for h in &supplied {
        f.items("V1.7", 1);
        if h.size > z {
            f.notice(
                "V1.7",
                format!(
                    "a supplied head of size {} is larger than the record",
                    h.size
                ),
            );
        } else if root_at(&tree, h.size) != h.root {
            f.fail(
                "V1.7",
                Failure::new(None, "forked-head", format!("the supplied head of size {} has a root the record does not give: the board signed two histories", h.size))
                    .with_entry(h.size)
                    .blame(Blame::role("boardoperator"))
                    .blame(Blame::role("witness")),
            );
        }
    }
    for (kind, n) in &replay.undated {
        f.notice(
            "V3.6",
            format!("{n} {kind} entries are not dated inside their window by any head: their time rests on the board's word"),
        );
    }
    // V1.9: the receipts against the record.
    receipts::check(&mut f, &receipts, &tree, z, |i| {
        let bytes = reread(&record, &tree, i, *offsets.get(i as usize)?).ok()?;
        let e: SignedEntry = canonical::decode(&bytes).ok()?;
        ballots::ballot_of(&e)?.tracking_code().ok()
    });
    // V6.5: confirm fingerprint hits with the full encodings.
    ballots::confirm_alphas(&mut f, &record, &replay.suspects, (&tree, &offsets))?;
    // V5.2 and the V4 outcome if no joint key came.
    for w in &replay.wilayats {
        f.items("V5.2", 1);
        f.items("V5.6", u64::from(w.roll_count.is_some()));
        if w.roll_count.is_none() {
            f.fail(
                "V5.2",
                Failure::new(
                    None,
                    "missing-roll-count",
                    format!("{} has no roll count", w.id),
                )
                .blame(Blame::role("registrar")),
            );
        }
    }
    if replay.joint_key_at.is_none() {
        replay.compute_outcome(&mut f);
        f.items("V4.5", 1);
        match replay.keygen_failed {
            // No outcome: an honest authority posts no joint key (§3.4).
            Some(by) => f.block("V4.5", by),
            None => f.fail(
                "V4.5",
                Failure::new(None, "missing-joint-key", "no joint-key entry")
                    .blame(Blame::role("authority")),
            ),
        }
    }
    // P2: the homomorphic ballots that stopped counting leave the sums.
    let subtract = std::mem::take(&mut replay.subtract);
    for part in subtract.chunks(CHUNK) {
        // Each ballot read again must be the one P1 decoded in full (its leaf hash is the
        // tree's): its ciphertexts are then taken from its bytes without decoding its proofs.
        let read: Result<Vec<(Vec<sawt_crypto::Ciphertext>, usize)>, Unfinished> = part
            .par_iter()
            .map(|(index, offset, c)| {
                let bytes = reread(&record, &tree, *index, *offset)?;
                let cts = match read_entry(&bytes) {
                    Ok(ReadEntry::Ballot(view)) => view.decode_ciphertexts().ok(),
                    _ => None,
                };
                let cts = cts.ok_or_else(|| {
                    Unfinished(format!("entry {index} read again is not the ballot it was"))
                })?;
                Ok((cts, *c))
            })
            .collect();
        let read = read?;
        let list: Vec<_> = read
            .iter()
            .map(|(cts, c)| (cts.iter().collect(), *c))
            .collect();
        ballots::accumulate(&mut sums, &list, false);
    }
    // P3: after the close.
    let mut order: Vec<&sawt_election::manifest::Contest> = manifest.contests.iter().collect();
    order.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    let views: Vec<std::sync::Arc<sawt_election::manifest::Contest>> = order
        .iter()
        .map(|c| {
            replay
                .view(&c.id)
                .unwrap_or_else(|| std::sync::Arc::new((*c).clone()))
        })
        .collect();
    if let Some(path) = &opts.ballots {
        ballot_list::write_ballot_list(path, &replay)?;
    }
    let counted = replay.counted();
    let mut per_contest: BTreeMap<usize, Vec<&replay::Cast>> = BTreeMap::new();
    for c in &counted {
        per_contest.entry(c.contest).or_default().push(c);
    }
    let mut contests: Vec<ContestSummary> = Vec::new();
    let (close_root, outcome, key) = match (close_root, &replay.outcome, &replay.key) {
        (Some(r), Some(o), Some((k, _))) => (r, o, k),
        (None, ..) => {
            f.items("V7.1", 1);
            f.fail(
                "V7.1",
                Failure::new(None, "no-close", "there is no close entry")
                    .blame(Blame::role("authority")),
            );
            let f = block_after_close(f, "V7.1");
            return self_check(report(f, summary, contests, wilayat_summaries(&replay)));
        }
        _ => {
            let by = replay.keygen_failed.unwrap_or("V4.4");
            let f = block_after_close(f, by);
            return self_check(report(f, summary, contests, wilayat_summaries(&replay)));
        }
    };
    let closed = decryption::Closed {
        manifest: &manifest,
        election: opts.election,
        outcome,
        key,
        entries: &replay.after_close,
        record: &record,
    };
    closed.check_contests(&mut f);
    let bar = progress(
        opts.progress,
        order.len() as u64,
        "tallies, cascades and results",
    );
    for (c, view) in order.iter().zip(&views) {
        bar.inc(1);
        let ci = replay.contest_index[&c.id];
        let cast = per_contest.get(&ci).map(Vec::as_slice).unwrap_or(&[]);
        let n = cast.len() as u64;
        // D7 is undefined for the contest if a counted ballot failed V6.1 or V6.2.
        let undefined = cast.iter().find(|k| !k.well_formed).map(|k| k.ill_by);
        let counts = match c.tally {
            TallyMethod::Homomorphic => {
                let contest_sums = sums.get(&ci).cloned().unwrap_or_default();
                let defined = undefined.map_or(Ok(&contest_sums), Err);
                closed.homomorphic(&mut f, view, n, defined)
            }
            TallyMethod::Mixnet => {
                let input = match undefined {
                    Some(by) => Err(by),
                    None => {
                        let vectors: Vec<&[[u8; 64]]> =
                            cast.iter().filter_map(|k| k.vector.as_deref()).collect();
                        let list = decryption::input_list(view.votes_per_voter as usize, &vectors)
                            .map_err(|why| {
                                Unfinished(format!(
                                    "{}: the counted ballots do not form a list: {why}",
                                    c.id
                                ))
                            })?;
                        Ok(list)
                    }
                };
                closed.mixnet(&mut f, view, input)
            }
        };
        // V12.1: counted ballots within the wilayat's unrevoked credentials.
        if let Some(w) = manifest
            .geography
            .wilayats
            .iter()
            .position(|w| w.id == c.wilayat)
        {
            f.items("V12.1", 1);
            let credentials = replay
                .unrevoked_at_close
                .as_ref()
                .map_or(replay.wilayats[w].unrevoked, |u| u[w]);
            if n > credentials {
                f.fail(
                    "V12.1",
                    Failure::new(
                        None,
                        "counted-beyond-credentials",
                        format!("{}: {n} counted ballots, {credentials} credentials", c.id),
                    )
                    .blame(Blame::role("boardoperator")),
                );
            }
        }
        let mut s = ContestSummary {
            id: c.id.clone(),
            tally: match c.tally {
                TallyMethod::Homomorphic => "homomorphic".into(),
                TallyMethod::Mixnet => "mixnet".into(),
            },
            counted: n,
            ..ContestSummary::default()
        };
        if let Ok(k) = &counts {
            s.totals = Some(k.totals.clone());
            s.blank = Some(k.blank);
            s.invalid = Some(k.invalid);
        }
        results::ContestResults {
            election: opts.election,
            contest: view,
            close_root,
            n,
            counts: counts.as_ref().map_err(|by| *by),
        }
        .check(&mut f, &replay.after_close, &mut s);
        contests.push(s);
    }
    bar.finish_and_clear();
    // Results and draws that name no contest (V11.1).
    for (i, e) in &replay.after_close {
        if let EntryBody::Result { contest, .. } | EntryBody::TieBreakDraw { contest, .. } =
            &e.entry.body
            && manifest.contest(contest).is_none()
        {
            f.items("V11.1", 1);
            f.fail(
                "V11.1",
                Failure::at(*i, "unknown-contest", format!("no contest {contest}"))
                    .blame(Blame::role("authority")),
            );
        }
    }
    // V12.3: every entry was read (index 0 by V2.1, every line by V1.4 and V3.1).
    f.items("V12.3", 1);
    if index != z {
        return Err(Unfinished(format!(
            "V12.3: {index} of {z} entries were read"
        )));
    }
    self_check(report(f, summary, contests, wilayat_summaries(&replay)))
}

impl Report {
    fn with_verdict(mut self) -> Self {
        let ok = self.checks.iter().all(|c| {
            matches!(
                c.status,
                report::Status::Pass | report::Status::NotApplicable
            )
        });
        self.verdict = if ok { "pass" } else { "fail" };
        self
    }
}

fn wilayat_summaries(r: &Replay<'_>) -> Vec<WilayatSummary> {
    let counted = r.counted_per_wilayat();
    r.wilayats
        .iter()
        .zip(counted)
        .enumerate()
        .map(|(i, (w, counted))| WilayatSummary {
            id: w.id.clone(),
            registered: w.roll_count.map(|(_, n)| n),
            enrolled: w.enrolled,
            revoked: w.revoked,
            unrevoked_at_close: r.unrevoked_at_close.as_ref().map_or(w.unrevoked, |u| u[i]),
            counted,
            superseded: w.superseded,
            audited: w.audited,
            ballots_of_revoked: w.ballots_of_revoked,
        })
        .collect()
}

fn progress(show: bool, len: u64, what: &'static str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:32} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what);
    bar
}

/// Entry `index` read again at `offset`, refused unless its bytes are those the first pass
/// read (its leaf hash is the tree's): the record may not change while it is verified.
pub(crate) fn reread(
    record: &RecordDir,
    tree: &MemoryTree,
    index: u64,
    offset: u64,
) -> Result<Vec<u8>, Unfinished> {
    let bytes = record.line_at(offset)?;
    if leaf_hash(&bytes) != leaf_at(tree, index) {
        return Err(Unfinished(format!(
            "entry {index} changed while the record was verified"
        )));
    }
    Ok(bytes)
}

/// Leaf `i` of the tree (the root of the subtree of size one at `i`).
pub(crate) fn leaf_at(tree: &MemoryTree, i: u64) -> sawt_board::Hash {
    sawt_board::tree::range_hash(tree, i, 1)
}
