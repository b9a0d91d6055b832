//! The `sawt` binary as a user runs it.

use std::process::Command;

fn sawt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sawt"))
        .args(args)
        .output()
        .expect("run sawt")
}

#[test]
fn demo_totals_equal_the_votes_cast_with_a_trustee_absent() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("demo");
    let out = sawt(&[
        "demo",
        "--walkthrough",
        "--voters",
        "150",
        "--record",
        record.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("trustee 4 absent"));
    assert!(stdout.contains("Every proof verified"));
    assert!(stdout.contains("Decrypted totals equal the votes cast"));
    assert!(!stdout.contains("MISMATCH"));
    // Eight Shura and six municipal candidate rows, each marked ok.
    let ok_rows = stdout
        .lines()
        .filter(|l| l.trim_end().ends_with(" ok"))
        .count();
    assert_eq!(ok_rows, 14);
    assert!(stdout.contains("mixnet tally"));
    assert!(stdout.contains("every shuffle proof verified"));
    assert!(stdout.contains("2 invalid ballots counted as invalid"));
    // The record: exported, re-verified, and readable by anyone from its files.
    assert!(stdout.contains("[record]"), "{stdout}");
    let lines = std::fs::read_to_string(record.join("record/entries.ndjson"))
        .unwrap()
        .lines()
        .count();
    // Manifest, roll count, enrolments, key generation (5 + 5) and joint key, the ballots (150
    // counted, 15 superseded by a second vote, 6 audited), close, tally, 4 shares, result.
    assert_eq!(lines, 1 + 1 + 150 + 10 + 1 + (150 + 15 + 6) + 1 + 1 + 4 + 1);
    assert!(stdout.contains("(sawt-client) over HTTP"), "{stdout}");
    assert!(stdout.contains("6 audited ballots checked from the board by a second device"));
    assert!(record.join("record/head.json").exists());
}

#[test]
fn demo_refuses_impossible_settings_with_one_clear_line() {
    let out = sawt(&[
        "demo",
        "--walkthrough",
        "--voters",
        "10",
        "--trustees",
        "3",
        "--threshold",
        "3",
        "--absent",
        "2",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("sawt: "), "stderr: {stderr}");
    let out = sawt(&["demo", "--walkthrough", "--threshold", "0"]);
    assert!(!out.status.success());
}

#[test]
fn bench_prints_one_json_object_per_measurement() {
    let out = sawt(&["bench", "crypto", "--json", "--scale", "0.01"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(rows.len() >= 15);
    for r in &rows {
        for field in ["bench", "per", "threads"] {
            assert!(r.get(field).is_some(), "{r} lacks {field}");
        }
        assert!(r["us"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["unit_us"].as_f64().unwrap() > 0.0, "{r}");
    }
    let names: Vec<&str> = rows.iter().map(|r| r["bench"].as_str().unwrap()).collect();
    for n in [
        "crypto.selection.encrypt_prove",
        "crypto.selection.verify_batch",
        "crypto.decryption_share.prove",
        "crypto.keygen",
        "crypto.dlog.decode_worst",
    ] {
        assert!(names.contains(&n), "missing {n}");
    }
}

#[test]
fn bench_board_measures_appends_and_proofs() {
    // PostgreSQL too when SAWT_TEST_POSTGRES_URL is set (scripts/test sets it).
    let out = sawt(&[
        "bench",
        "board",
        "--json",
        "--writers",
        "1,4",
        "--seconds",
        "0.2",
        "--entries",
        "3000",
        "--samples",
        "20",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let backends = if std::env::var("SAWT_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        2
    } else {
        1
    };
    assert_eq!(rows.len(), 5 * backends, "{rows:?}");
    for r in &rows {
        assert!(r["us"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["unit_us"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["backend"].is_string(), "{r}");
    }
    let appends: Vec<_> = rows
        .iter()
        .filter(|r| r["bench"] == "board.append")
        .collect();
    assert_eq!(appends.len(), 2 * backends);
    assert!(
        appends
            .iter()
            .all(|r| r["appends_per_s"].as_f64().unwrap() > 0.0)
    );
    for name in [
        "board.build",
        "board.inclusion_proof",
        "board.consistency_proof",
    ] {
        let r = rows.iter().find(|r| r["bench"] == name).expect(name);
        assert_eq!(r["entries"], 3000, "{r}");
    }
    assert!(
        rows.iter()
            .all(|r| r["p99_us"].is_null() || r["p99_us"].as_f64().unwrap() > 0.0)
    );
}

#[test]
fn the_whole_election_demo_runs_both_tallies_and_kinds_with_a_trustee_absent() {
    for (tally, kind) in [
        ("homomorphic", "shura"),
        ("mixnet", "municipal"),
        ("homomorphic", "municipal"),
        ("mixnet", "shura"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("demo");
        let out = sawt(&[
            "demo",
            "--tally",
            tally,
            "--kind",
            kind,
            "--voters",
            "120",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{tally}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for expected in [
            "candidate lists published by the authority",
            "published their page through their own session",
            "cast through sawt-client over HTTP",
            "trustee 4 absent",
            "preliminary results posted as each was counted, then the final results",
            "every total equal to the votes cast",
            "verified from the files by the independent verifier (every check passes",
            "step",
            "total",
        ] {
            assert!(
                stdout.contains(expected),
                "{tally}: no {expected:?} in {stdout}"
            );
        }
        assert!(out_dir.join("record/entries.ndjson").exists());
    }
    // A wrong option: one clear line.
    let out = sawt(&["demo", "--tally", "paper"]);
    assert!(!out.status.success());
}

#[test]
fn admin_manifest_builds_a_valid_manifest_from_the_table_of_wilayats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = |seed: u8| {
        hex::encode(
            ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
                .verifying_key()
                .to_bytes(),
        )
    };
    let table = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sawt-election/data/wilayats.csv"
    );
    let out = d.join("manifest.json");
    let mut args: Vec<String> = [
        "admin",
        "manifest",
        "--from",
        table,
        "--kind",
        "shura",
        "--tally",
        "mixnet",
        "--starts",
        "2027-03-01",
        "--threshold",
        "3",
        "--quorum",
        "2",
        "--out",
    ]
    .map(String::from)
    .to_vec();
    args.push(out.display().to_string());
    for (flag, seed) in [("--authority", 1u8), ("--registrar", 2), ("--board", 3)] {
        args.extend([flag.to_owned(), key(seed)]);
    }
    for s in 101..=105u8 {
        args.extend(["--trustee".to_owned(), key(s)]);
    }
    for s in 121..=123u8 {
        args.extend(["--mixer".to_owned(), key(s)]);
    }
    for s in 141..=143u8 {
        args.extend(["--witness".to_owned(), key(s)]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = sawt(&refs);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: sawt_election::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    m.validate().unwrap();
    assert_eq!(m.contests.len(), 63);
    assert_eq!(m.contests.iter().map(|c| c.seats).sum::<u32>(), 90);
    // The board takes it, signed by the authority whose key it names.
    for seed in [1u8, 3] {
        std::fs::write(d.join(format!("key-{seed}")), hex::encode([seed; 32])).unwrap();
    }
    let db = format!("sqlite://{}?mode=rwc", d.join("b.db").display());
    let o = sawt(&[
        "board",
        "init",
        "--database",
        &db,
        "--manifest",
        out.to_str().unwrap(),
        "--authority-key",
        d.join("key-1").to_str().unwrap(),
        "--board-key",
        d.join("key-3").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // An impossible threshold: refused, in one line naming the rule.
    let bad: Vec<&str> = refs
        .iter()
        .map(|a| if *a == "3" { "9" } else { a })
        .collect();
    let o = sawt(&bad);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not valid"), "{err}");
}
