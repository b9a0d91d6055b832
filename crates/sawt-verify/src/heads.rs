//! The heads (`protocol-spec/verifier.md` V1.2, V1.3, V1.6, V1.8): the record's witnessed
//! head signed by the board and cosigned by a quorum, the heads the user supplies, and a
//! mirror's fork evidence.

use std::path::PathBuf;

use sawt_board::VerifyingKey;
use sawt_board::head::WitnessedHead;
use sawt_board::witness::ForkEvidence;
use sawt_election::manifest::Manifest;

use crate::files::{self, RecordDir};
use crate::report::{Blame, Failure, Findings, RecordSummary};
/// V1.2 and V1.3 on `head.json`.
pub(crate) fn check_head(
    f: &mut Findings,
    head: &WitnessedHead,
    m: &Manifest,
    board: &VerifyingKey,
    election: &[u8; 32],
    summary: &mut RecordSummary,
) {
    f.items("V1.2", 1);
    f.items("V1.3", 1);
    if &head.signed.head.election != election {
        f.fail(
            "V1.2",
            Failure::new(None, "head-election", "the head names another election")
                .blame(Blame::role("supplier")),
        );
    } else if let Err(e) = head.signed.verify(board) {
        f.fail(
            "V1.2",
            Failure::new(None, "head-signature", format!("the head: {e}"))
                .blame(Blame::role("supplier")),
        );
    }
    let mut counted: Vec<[u8; 32]> = Vec::new();
    for c in &head.cosignatures {
        let listed = m
            .witnesses
            .members
            .iter()
            .any(|w| w.key.bytes() == &c.witness);
        if listed && !counted.contains(&c.witness) && c.verify(&head.signed.head).is_ok() {
            counted.push(c.witness);
        } else {
            f.notice(
                "V1.3",
                format!("an ignored cosignature from {}", hex::encode(c.witness)),
            );
        }
    }
    summary.cosigned_by = counted.iter().map(hex::encode).collect();
    let quorum = m.witnesses.quorum as usize;
    if counted.len() < quorum.max(1) {
        let mut fail = Failure::new(
            None,
            "quorum",
            format!("{} valid cosignatures, quorum {quorum}", counted.len()),
        );
        for w in &m.witnesses.members {
            if !counted.contains(w.key.bytes()) {
                fail = fail.blame(Blame {
                    key: Some(hex::encode(w.key.bytes())),
                    ..Blame::role("witness")
                });
            }
        }
        f.fail("V1.3", fail);
    }
}

/// V1.6: the heads the user gave; those signed by the board.
pub(crate) fn supplied_heads(
    f: &mut Findings,
    paths: &[PathBuf],
    m: &Manifest,
    board: &VerifyingKey,
    election: &[u8; 32],
) -> Vec<sawt_board::head::TreeHead> {
    let mut out = Vec::new();
    for p in paths {
        f.items("V1.6", 1);
        let parsed = std::fs::read(p).map_err(|e| e.to_string()).and_then(|b| {
            files::parse_head(&b).or_else(|_| {
                serde_json::from_slice::<sawt_board::head::SignedTreeHead>(&b)
                    .map(|signed| WitnessedHead {
                        signed,
                        cosignatures: vec![],
                    })
                    .map_err(|e| format!("not a head: {e}"))
            })
        });
        let h = match parsed {
            Ok(h) => h,
            Err(why) => {
                f.fail(
                    "V1.6",
                    Failure::new(None, "head-file", format!("{}: {why}", p.display()))
                        .blame(Blame::role("input")),
                );
                continue;
            }
        };
        if &h.signed.head.election != election || h.signed.verify(board).is_err() {
            f.fail(
                "V1.6",
                Failure::new(
                    None,
                    "head-signature",
                    format!(
                        "{}: not a head the board signed for this election",
                        p.display()
                    ),
                )
                .blame(Blame::role("input")),
            );
            continue;
        }
        let witnesses: Vec<VerifyingKey> = m
            .witnesses
            .members
            .iter()
            .filter_map(|w| w.key.verifying_key().ok())
            .collect();
        if h.verify(board, election, &witnesses, m.witnesses.quorum as usize)
            .is_err()
        {
            f.notice(
                "V1.6",
                format!("{}: the head has no witness quorum", p.display()),
            );
        }
        out.push(h.signed.head);
    }
    out
}

/// V1.8: fork evidence in a mirror's directory.
pub(crate) fn fork_evidence(
    f: &mut Findings,
    record: &RecordDir,
    board: &VerifyingKey,
    election: &[u8; 32],
) {
    let Some(read) = record.fork_evidence() else {
        return;
    };
    f.items("V1.8", 1);
    let evidence =
        read.and_then(|b| serde_json::from_slice::<ForkEvidence>(&b).map_err(|e| e.to_string()));
    match evidence {
        Ok(ev) if ev.verify(board).is_ok() => {
            let (ForkEvidence::SameSize { first, .. }
            | ForkEvidence::DifferentLeaves { first, .. }) = &ev;
            if &first.head.election == election {
                f.fail(
                    "V1.8",
                    Failure::new(
                        None,
                        "fork",
                        "fork-evidence.json proves that the board signed two histories",
                    )
                    .blame(Blame::role("boardoperator")),
                );
            }
        }
        Ok(_) => f.notice(
            "V1.8",
            "fork-evidence.json does not verify: it proves nothing",
        ),
        Err(why) => f.notice("V1.8", format!("fork-evidence.json cannot be read: {why}")),
    }
}
