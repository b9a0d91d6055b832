//! The test records of `protocol-spec/vectors/records/` (verifier.md §9): the honest record
//! passes; every broken record fails exactly the check it names, and the checks it lists as
//! blocked are blocked. The committed files are reproduced byte for byte by the builder
//! (`SAWT_WRITE_RECORDS=1 cargo test -p sawt-verify --test records` writes them again).

mod support;

use std::path::{Path, PathBuf};

use sawt_verify::report::Status;
use support::builder::{RECORDS, build};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocol-spec/vectors/records")
}

/// Verifies the record in `dir` as its `expected.json` says, with its `heads/`.
fn check(dir: &Path) {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let election = sawt_board::hash_from_hex(expected["election"].as_str().unwrap()).unwrap();
    let heads: Vec<PathBuf> = std::fs::read_dir(dir.join("heads"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    let report = sawt_verify::verify(
        dir,
        &sawt_verify::Options {
            election,
            heads,
            receipts: sawt_verify::receipts::in_dir(dir),
            ballots: None,
            progress: false,
        },
    )
    .unwrap();
    let name = dir.file_name().unwrap().to_string_lossy();
    let fails: Vec<&str> = expected["fails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(report.failed(), fails, "{name}:\n{}", report.render());
    assert_eq!(
        report.verdict,
        expected["verdict"].as_str().unwrap(),
        "{name}"
    );
    for b in expected["blocked"].as_array().unwrap() {
        let id = b.as_str().unwrap();
        assert_eq!(
            report.check(id).unwrap().status,
            Status::Blocked,
            "{name}: {id} should be blocked\n{}",
            report.render()
        );
    }
}

#[test]
fn every_record_fails_exactly_its_named_check() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, b, _, _) in RECORDS {
        let dir = tmp.path().join(name);
        build(name, *b, &dir);
        check(&dir);
    }
}

#[test]
fn the_committed_records_are_the_builders_and_fail_as_they_say() {
    let write = std::env::var_os("SAWT_WRITE_RECORDS").is_some();
    let tmp = tempfile::tempdir().unwrap();
    for (name, b, _, _) in RECORDS {
        let fresh = tmp.path().join(name);
        build(name, *b, &fresh);
        let dir = committed().join(name);
        if write {
            let _ = std::fs::remove_dir_all(&dir);
            copy_dir(&fresh, &dir);
        }
        assert_eq!(
            listing(&fresh),
            listing(&dir),
            "{name}: the committed record differs from the builder's"
        );
        check(&dir);
    }
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in listing(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}
