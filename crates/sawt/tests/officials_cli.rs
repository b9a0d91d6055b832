//! The key holders' commands against a real `sawt serve` on the real clock: three trustees
//! run `sawt trustee keygen` at once (each seals its share), the authority posts the joint
//! key, voters cast, then `sawt admin close|tally`, two of three trustees `decrypt` (one is
//! absent), and `sawt admin publish` posts the result the voters' ballots make.

use std::process::{Command, Output};

mod common;
use common::{Child, get_json, key_file, now_ms, port, sleep_until, stdout_of, wait_up};

use sawt_election::entry::EntryBody;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::{Window, Windows};
use sawt_server::clock::Clock as _;
use sawt_server::scenario::{party_key, sample_board, voter_key};

const PASSPHRASE: &str = "trustee passphrase";

fn sawt() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sawt"));
    c.env("SAWT_PASSPHRASE", PASSPHRASE);
    c
}

fn ok(o: &Output) -> String {
    stdout_of(o)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trustees_and_the_authority_run_the_key_generation_and_the_tally() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t0 = now_ms();
    const S: u64 = 1000;
    const DAY: u64 = 86_400_000;
    let w = |a: u64, b: u64| Window {
        start_ms: a,
        end_ms: b,
    };
    let windows = Windows {
        registration: w(t0 - 10 * DAY, t0 - 9 * DAY),
        candidacy: w(t0 - 8 * DAY, t0 - 7 * DAY),
        key_generation: w(t0 - DAY, t0 + 15 * S),
        campaign: w(t0 + 15 * S, t0 + 16 * S),
        voting_abroad: w(t0 + 17 * S, t0 + 25 * S),
        voting_home: w(t0 + 26 * S, t0 + 27 * S),
    };
    let url = format!("sqlite://{}?mode=rwc", d.join("sawt.db").display());
    let (board, clock, manifest, election) = sample_board(&url, 2, Some(3), Some(windows.clone()))
        .await
        .unwrap();
    let contest = manifest.contests[0].clone();
    let voters: Vec<_> = (0..4u64).map(voter_key).collect();
    clock.set(windows.candidacy.end_ms);
    let sign = |author: &ed25519_dalek::SigningKey, body: EntryBody, at: u64| {
        sawt_election::entry::Entry {
            format: sawt_election::entry::ENTRY_FORMAT.into(),
            election: sawt_election::keys::Hex32(election),
            author: PublicKeyHex::from_key(&author.verifying_key()),
            timestamp_ms: at,
            body,
        }
        .sign(author)
        .unwrap()
        .canonical_bytes()
        .unwrap()
    };
    for v in &voters {
        board
            .submit(&sign(
                &party_key(2),
                EntryBody::CredentialEnrolment {
                    credential: PublicKeyHex::from_key(&v.verifying_key()),
                    wilayat: contest.wilayat.clone(),
                },
                clock.now_ms(),
            ))
            .await
            .unwrap();
    }
    board.store().close().await;
    drop(board);

    let port = port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Child(
        sawt()
            .args([
                "serve",
                "--database",
                &url,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            // Every process of this test shares one address: its limit is raised.
            .arg("--config")
            .arg({
                let p = d.join("serve.toml");
                std::fs::write(&p, "[limits]\nper_address_per_s = 2000\n").unwrap();
                p
            })
            .arg("--board-key")
            .arg(key_file(d, 3))
            .stderr(std::fs::File::create(d.join("serve.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_up(&base).await;
    let client = reqwest::Client::new();
    let e = hex::encode(election);
    let holder = |seed: u8| -> Vec<String> {
        vec![
            "--server".into(),
            base.clone(),
            "--election".into(),
            e.clone(),
            "--key".into(),
            key_file(d, seed).display().to_string(),
        ]
    };

    // The key generation: three trustees at once, each on "its own machine".
    let trustees: Vec<std::process::Child> = (1..=3u8)
        .map(|i| {
            sawt()
                .args([
                    "trustee",
                    "keygen",
                    "--index",
                    &i.to_string(),
                    "--wait-secs",
                    "12",
                ])
                .args(holder(100 + i))
                .arg("--share")
                .arg(d.join(format!("share-{i}.json")))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for t in trustees {
        ok(&t.wait_with_output().unwrap());
    }
    // The share is sealed: the file does not hold it in the clear, and opens only with the
    // passphrase.
    let sealed = std::fs::read_to_string(d.join("share-1.json")).unwrap();
    assert!(sealed.contains("sealed-key"), "{sealed}");
    let joint = ok(&sawt()
        .args(["admin", "joint-key"])
        .args(holder(1))
        .output()
        .unwrap());
    assert!(joint.contains("joint key"), "{joint}");

    // Voting: ballots under the joint key the board holds.
    let view: serde_json::Value = get_json(&format!("{base}/v1/election")).await;
    let index = view["setup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "joint-key")
        .unwrap()["index"]
        .as_u64()
        .unwrap();
    let bytes = client
        .get(format!("{base}/v1/board/entries/{index}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let EntryBody::JointKey { key, .. } = sawt_election::entry::SignedEntry::decode(&bytes)
        .unwrap()
        .entry
        .body
    else {
        panic!("not the joint key")
    };
    let h = sawt_crypto::PublicKey::from_element(key).unwrap().prepare();
    sleep_until(windows.voting_abroad.start_ms + 200).await;
    let c = |k: usize| contest.candidates[k].id.clone();
    let choices = [vec![c(0)], vec![c(0)], vec![c(1)], vec![]];
    for (v, choice) in voters.iter().zip(&choices) {
        let (ballot, _) = sawt_election::ballot::Ballot::encrypt_with_rng(
            election,
            &contest,
            &h,
            &PublicKeyHex::from_key(&v.verifying_key()),
            choice,
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap();
        let res = client
            .post(format!("{base}/v1/board/entries"))
            .body(sign(v, EntryBody::Ballot(ballot), now_ms()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    }

    // The authority extends voting at home by two seconds: a signed, published entry.
    let until = windows.voting_home.end_ms + 2 * S;
    let until_text = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(until) * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let extended = ok(&sawt()
        .args([
            "admin",
            "extend",
            "--window",
            "voting_home",
            "--until",
            &until_text,
        ])
        .args([
            "--reason-ar",
            "ازدحام",
            "--reason-en",
            "Queues at the close",
        ])
        .args(holder(1))
        .output()
        .unwrap());
    assert!(extended.contains("voting_home extended"), "{extended}");
    let view = get_json(&format!("{base}/v1/election")).await;
    assert_eq!(view["windows"]["voting_home"]["end_ms"], until);
    // After the voting windows as extended: close, tally, two trustees decrypt, publish.
    sleep_until(windows.voting_home.end_ms + 200).await;
    let early = sawt()
        .args(["admin", "close"])
        .args(holder(1))
        .output()
        .unwrap();
    assert!(!early.status.success(), "closed before the extended end");
    sleep_until(until + 200).await;
    ok(&sawt()
        .args(["admin", "close"])
        .args(holder(1))
        .output()
        .unwrap());
    let tallied = ok(&sawt()
        .args(["admin", "tally"])
        .args(holder(1))
        .output()
        .unwrap());
    assert!(tallied.contains("4 ballots count"), "{tallied}");
    let wrong = sawt()
        .env("SAWT_PASSPHRASE", "not the passphrase")
        .args(["trustee", "decrypt"])
        .args(holder(101))
        .arg("--share")
        .arg(d.join("share-1.json"))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase"));
    for i in [1u8, 3] {
        ok(&sawt()
            .args(["trustee", "decrypt"])
            .args(holder(100 + i))
            .arg("--share")
            .arg(d.join(format!("share-{i}.json")))
            .output()
            .unwrap());
    }
    let published = ok(&sawt()
        .args(["admin", "publish"])
        .args(holder(1))
        .output()
        .unwrap());
    assert!(published.contains(&contest.id), "{published}");
    let results: serde_json::Value = get_json(&format!("{base}/v1/results")).await;
    let r = results["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["contest"] == contest.id.as_str())
        .unwrap();
    assert_eq!(r["status"], "final", "{r}");
    let votes: Vec<u64> = r["result"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["votes"].as_u64().unwrap())
        .collect();
    assert_eq!(votes, vec![2, 1, 0]);
}
