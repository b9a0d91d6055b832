//! `sawt verify` over records the demo made: honest records pass; any changed byte of a
//! signed or hashed field, a missing attachment, a short record, a head without its quorum
//! or another election fail, each naming the check.

use std::path::{Path, PathBuf};
use std::process::Command;

use sawt_verify::report::Status;

/// Runs `sawt demo` (a small election, `voters` voters) into a temporary directory; the
/// directory, the record's path and the election.
fn demo(tally: &str, voters: &str) -> (tempfile::TempDir, PathBuf, [u8; 32]) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sawt"))
        .current_dir(dir.path())
        .args(["demo", "--tally", tally, "--voters", voters, "--out"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hex = stdout
        .split("--election ")
        .nth(1)
        .and_then(|s| s.get(..64))
        .expect("the demo prints the election");
    let election = sawt_board::hash_from_hex(hex).unwrap();
    let record = dir.path().join("run/record");
    (dir, record, election)
}

fn verify(record: &Path, election: [u8; 32]) -> sawt_verify::report::Report {
    sawt_verify::verify(
        record,
        &sawt_verify::Options {
            election,
            ..Default::default()
        },
    )
    .unwrap()
}

fn sawt_verify_cli(record: &Path, election: &[u8; 32], extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sawt"))
        .arg("verify")
        .arg(record)
        .args(["--election", &hex::encode(election)])
        .args(extra)
        .output()
        .unwrap()
}

/// A small pseudo-random stream (deterministic, so a failure can be reproduced).
struct Stream(u64);
impl Stream {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn an_honest_mixnet_record_passes_and_any_changed_byte_fails() {
    let (_dir, record, election) = demo("mixnet", "200");
    // Honest: every check passes or has no subject; the command exits 0, its JSON says pass.
    let report = verify(&record, election);
    assert!(report.passed(), "{}", report.render());
    for id in [
        "V1.4", "V3.2", "V6.3", "V6.4", "V9.2", "V10.3", "V10.4", "V11.2",
    ] {
        assert_eq!(report.check(id).unwrap().status, Status::Pass, "{id}");
    }
    let out = sawt_verify_cli(&record, &election, &["--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "pass");
    assert_eq!(
        json["checks"].as_array().unwrap().len(),
        sawt_verify::checks::CHECKS.len()
    );

    // One changed byte anywhere in the entries (every line is signed and hashed): the
    // verdict is fail. Sampled across the file, one byte at a time, restored after each.
    let path = record.join("entries.ndjson");
    let original = std::fs::read(&path).unwrap();
    let mut rng = Stream(0x5a7f_2026);
    for _ in 0..40 {
        let at = rng.below(original.len());
        if original[at] == b'\n' {
            continue;
        }
        let mut changed = original.clone();
        changed[at] ^= 0x01;
        std::fs::write(&path, &changed).unwrap();
        let r = verify(&record, election);
        assert!(!r.passed(), "byte {at} changed and the record still passes");
        // In entry 0 the manifest no longer decodes or hashes to the election (V2.1, V2.2)
        // and the rest is blocked; elsewhere the log's root differs from the head's.
        let first_line = original.iter().position(|b| *b == b'\n').unwrap();
        let named = if at < first_line {
            r.check("V2.1").unwrap().status == Status::Fail
                || r.check("V2.2").unwrap().status == Status::Fail
        } else {
            r.check("V1.4").unwrap().status == Status::Fail
        };
        assert!(named, "byte {at}: {}", r.render());
    }
    std::fs::write(&path, &original).unwrap();

    // A changed byte in every attachment: V3.8 names it.
    let attachments: Vec<PathBuf> = std::fs::read_dir(record.join("attachments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!attachments.is_empty());
    for a in &attachments {
        let bytes = std::fs::read(a).unwrap();
        let mut changed = bytes.clone();
        let at = rng.below(bytes.len());
        changed[at] ^= 0x80;
        std::fs::write(a, &changed).unwrap();
        let r = verify(&record, election);
        assert_eq!(r.failed(), vec!["V3.8"], "{}", r.render());
        std::fs::write(a, &bytes).unwrap();
    }
    // A missing attachment: V3.8, and whatever needs the bytes is blocked, not passed.
    std::fs::remove_file(&attachments[0]).unwrap();
    let r = verify(&record, election);
    assert_eq!(r.failed(), vec!["V3.8"], "{}", r.render());
    assert!(!r.passed());

    // The command: exit 1 and the failing check named on stderr.
    let out = sawt_verify_cli(&record, &election, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("V3.8"), "{stderr}");
}

#[test]
fn a_changed_head_a_short_record_and_another_election_fail_their_checks() {
    let (dir, record, election) = demo("homomorphic", "150");
    assert!(verify(&record, election).passed());
    // The ballot list: every voter's last ballot counted, audits and first votes named.
    let list = dir.path().join("ballots.ndjson");
    let out = sawt_verify_cli(
        &record,
        &election,
        &["--json", "--ballots", list.to_str().unwrap()],
    );
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |s: &str| lines.iter().filter(|l| l["status"] == s).count();
    assert_eq!(count("counted"), 150);
    assert!(count("audited") > 0 && count("superseded") > 0);
    assert_eq!(
        count("counted") + count("audited") + count("superseded"),
        lines.len()
    );
    assert!(
        lines
            .iter()
            .all(|l| l["tracking_code"].as_str().unwrap().len() >= 24)
    );
    let head_path = record.join("head.json");
    let head = std::fs::read(&head_path).unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&head).unwrap();

    // Cosignatures removed: only V1.3 fails.
    let cosigs = json["cosignatures"].take();
    json["cosignatures"] = serde_json::json!([]);
    std::fs::write(&head_path, serde_json::to_vec(&json).unwrap()).unwrap();
    assert_eq!(verify(&record, election).failed(), vec!["V1.3"]);
    json["cosignatures"] = cosigs;

    // The head's signature changed: V1.2 (and V1.3: the cosignatures are on the other head).
    let mut changed = json.clone();
    let sig = changed["signed"]["signature"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    changed["signed"]["signature"] = serde_json::json!(flipped);
    std::fs::write(&head_path, serde_json::to_vec(&changed).unwrap()).unwrap();
    assert!(verify(&record, election).failed().contains(&"V1.2"));
    std::fs::write(&head_path, &head).unwrap();

    // The last line removed: V1.1 fails and every other check is blocked by it.
    let path = record.join("entries.ndjson");
    let entries = std::fs::read(&path).unwrap();
    let cut = entries[..entries.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&path, &entries[..cut]).unwrap();
    let r = verify(&record, election);
    assert_eq!(r.failed(), vec!["V1.1"]);
    assert!(
        r.checks
            .iter()
            .filter(|c| c.id != "V1.1")
            .all(|c| c.status == Status::Blocked)
    );
    // A line added after the head's size is not part of the record: a notice only.
    let mut longer = entries.clone();
    longer.extend_from_slice(&entries[cut..]);
    std::fs::write(&path, &longer).unwrap();
    let r = verify(&record, election);
    assert!(r.passed(), "{}", r.render());
    assert_eq!(r.record.lines_beyond_head, 1);
    std::fs::write(&path, &entries).unwrap();

    // Another election: V2.2, everything after it blocked; exit status 1.
    let mut other = election;
    other[0] ^= 1;
    let r = verify(&record, other);
    assert_eq!(r.failed(), vec!["V2.2"]);
    assert_eq!(sawt_verify_cli(&record, &other, &[]).status.code(), Some(1));
    // A malformed --election is a usage error (2); a missing record, a failure (1).
    let out = Command::new(env!("CARGO_BIN_EXE_sawt"))
        .args(["verify", "/nonexistent", "--election", "xyz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = sawt_verify_cli(Path::new("/nonexistent"), &election, &[]);
    assert_eq!(out.status.code(), Some(1));
}
