//! The board's commands as observers and officials run them, over loopback: `sawt board
//! init`, `sawt serve`, `sawt witness`, `sawt mirror` and `sawt board export`, and a board
//! that rewrites its history caught by a mirror with checkable evidence.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use sawt_board::head::WitnessedHead;
use sawt_board::witness::ForkEvidence;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::*;
use sawt_election::oman;

fn sawt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sawt"))
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&key(seed).verifying_key())
}

fn write_key(dir: &Path, seed: u8) -> PathBuf {
    let p = dir.join(format!("key-{seed}"));
    std::fs::write(&p, hex::encode([seed; 32])).unwrap();
    p
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn manifest() -> Manifest {
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).unwrap();
    let rows = &rows[..2];
    let t = now_ms();
    let hour = 3_600_000;
    let w = |k: u64| Window {
        start_ms: t + k * hour,
        end_ms: t + (k + 1) * hour,
    };
    let holders = |n: u32, seed: u8| -> Vec<KeyHolder> {
        (1..=n)
            .map(|i| KeyHolder {
                index: i,
                name: Names {
                    ar: format!("{i}"),
                    en: format!("{i}"),
                },
                key: pk(seed + i as u8),
            })
            .collect()
    };
    let mut geography = oman::geography(rows);
    geography.governorates.truncate(1);
    Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "cli-test".into(),
        kind: ElectionKind::Shura,
        term: 11,
        name: Names {
            ar: "اختبار".into(),
            en: "CLI test".into(),
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: Windows {
            registration: Window {
                start_ms: t - hour,
                end_ms: t + hour,
            },
            candidacy: w(2),
            key_generation: w(3),
            campaign: w(4),
            voting_abroad: w(5),
            voting_home: w(6),
        },
        geography,
        contests: oman::contests(rows, ElectionKind::Shura, TallyMethod::Homomorphic),
        trustees: Trustees {
            threshold: 1,
            members: holders(1, 10),
        },
        mixers: vec![],
        witnesses: Witnesses {
            quorum: 1,
            members: holders(2, 30),
        },
        authorities: Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(db: &str, board_key: &Path) -> Server {
    let port = free_port();
    let child = sawt()
        .args([
            "serve",
            "--database",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--head-interval-ms",
            "50",
            "--board-key",
        ])
        .arg(board_key)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url };
    for _ in 0..200 {
        if reqwest::get(format!("{}/v1/board/head", server.url))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

fn enrolment(election: [u8; 32], voter: u8) -> Vec<u8> {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(2),
        timestamp_ms: now_ms(),
        body: EntryBody::CredentialEnrolment {
            credential: pk(voter),
            wilayat: sawt_election::geography::WilayatId("muscat".into()),
        },
    }
    .sign(&key(2))
    .unwrap()
    .canonical_bytes()
    .unwrap()
}

async fn post(url: &str, body: Vec<u8>) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{url}/v1/board/entries"))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn head(url: &str) -> WitnessedHead {
    reqwest::get(format!("{url}/v1/board/head"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_for_size(url: &str, size: u64) -> WitnessedHead {
    for _ in 0..200 {
        let h = head(url).await;
        if h.signed.head.size >= size {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no head of size {size}");
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_serve_witness_mirror_export_and_a_caught_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = manifest();
    let election = m.hash().unwrap();
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let (authority, board_key, witness_key) = (write_key(d, 1), write_key(d, 3), write_key(d, 31));
    let db = format!("sqlite://{}?mode=rwc", d.join("board.db").display());
    let printed = run_ok(
        sawt()
            .args(["board", "init", "--database", &db, "--manifest"])
            .arg(d.join("manifest.json"))
            .arg("--authority-key")
            .arg(&authority)
            .arg("--board-key")
            .arg(&board_key),
    );
    assert_eq!(printed.trim(), hex::encode(election));
    // A second init is refused.
    let again = sawt()
        .args(["board", "init", "--database", &db, "--manifest"])
        .arg(d.join("manifest.json"))
        .arg("--authority-key")
        .arg(&authority)
        .arg("--board-key")
        .arg(&board_key)
        .output()
        .unwrap();
    assert!(!again.status.success());

    let server = serve(&db, &board_key).await;
    for voter in 100..105 {
        assert_eq!(
            post(&server.url, enrolment(election, voter)).await,
            reqwest::StatusCode::CREATED
        );
    }
    // Refused: a duplicate, a forged signature, garbage. The log is unchanged.
    assert_eq!(
        post(&server.url, enrolment(election, 100)).await,
        reqwest::StatusCode::CONFLICT
    );
    let mut forged = enrolment(election, 106);
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        post(&server.url, forged).await,
        reqwest::StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&server.url, b"{}".to_vec()).await,
        reqwest::StatusCode::BAD_REQUEST
    );
    let h = wait_for_size(&server.url, 6).await;
    assert_eq!(h.signed.head.size, 6);

    // Attachments go up as bytes and come back byte for byte, addressed by their SHA-256.
    let blob = vec![7u8; 3 << 20]; // larger than axum's default body limit
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/board/attachments?format=ciphertext-list",
            server.url
        ))
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let answer: serde_json::Value = r.json().await.unwrap();
    let sha = answer["sha256"].as_str().unwrap().to_string();
    let back = reqwest::get(format!("{}/v1/board/attachments/{sha}", server.url))
        .await
        .unwrap();
    assert_eq!(back.headers()["sawt-format"], "ciphertext-list");
    assert_eq!(back.bytes().await.unwrap().to_vec(), blob);

    // A witness cosigns; the head then verifies with the manifest's quorum.
    let state = d.join("witness-state.json");
    run_ok(
        sawt()
            .args(["witness", &server.url, "--rounds", "1", "--key"])
            .arg(&witness_key)
            .arg("--state")
            .arg(&state),
    );
    // On an idle board the witness has nothing new to cosign, and goes on.
    run_ok(
        sawt()
            .args([
                "witness",
                &server.url,
                "--rounds",
                "2",
                "--interval-ms",
                "10",
                "--key",
            ])
            .arg(&witness_key)
            .arg("--state")
            .arg(&state),
    );
    let witnesses: Vec<_> = m
        .witnesses
        .members
        .iter()
        .map(|w| w.key.verifying_key().unwrap())
        .collect();
    head(&server.url)
        .await
        .verify(&key(3).verifying_key(), &election, &witnesses, 1)
        .unwrap();

    // A mirror copies and verifies; after more entries, both move forward.
    let mirror = d.join("mirror");
    run_ok(
        sawt()
            .args(["mirror", &server.url])
            .arg(&mirror)
            .args(["--rounds", "1"]),
    );
    assert_eq!(
        std::fs::read_to_string(mirror.join("entries.ndjson"))
            .unwrap()
            .lines()
            .count(),
        6
    );
    for voter in 110..113 {
        assert_eq!(
            post(&server.url, enrolment(election, voter)).await,
            reqwest::StatusCode::CREATED
        );
    }
    wait_for_size(&server.url, 9).await;
    run_ok(
        sawt()
            .args(["witness", &server.url, "--rounds", "1", "--key"])
            .arg(&witness_key)
            .arg("--state")
            .arg(&state),
    );
    run_ok(
        sawt()
            .args(["mirror", &server.url])
            .arg(&mirror)
            .args(["--rounds", "1"]),
    );
    assert_eq!(
        std::fs::read_to_string(mirror.join("entries.ndjson"))
            .unwrap()
            .lines()
            .count(),
        9
    );

    // Export: the same entries, byte for byte, and the head.
    let export = d.join("export");
    run_ok(
        sawt()
            .args(["board", "export"])
            .arg(&export)
            .args(["--database", &db]),
    );
    assert_eq!(
        std::fs::read(export.join("entries.ndjson")).unwrap(),
        std::fs::read(mirror.join("entries.ndjson")).unwrap()
    );
    let exported: WitnessedHead =
        serde_json::from_slice(&std::fs::read(export.join("head.json")).unwrap()).unwrap();
    exported.signed.verify(&key(3).verifying_key()).unwrap();
    drop(server);

    // The operator rewrites history: a second database with the same manifest and key but
    // other enrolments, served at another address. The witness refuses it; the mirror
    // refuses it and writes evidence that anyone can check under the board's key.
    let db2 = format!("sqlite://{}?mode=rwc", d.join("forked.db").display());
    let manifest_entry = {
        let out = std::fs::read_to_string(export.join("entries.ndjson")).unwrap();
        out.lines().next().unwrap().as_bytes().to_vec()
    };
    {
        let store = sawt_server::LogStore::open(&db2).await.unwrap();
        store
            .append("manifest", *pk(1).bytes(), manifest_entry)
            .await
            .unwrap();
        store.close().await;
    }
    let forked = serve(&db2, &board_key).await;
    for voter in 120..130 {
        assert_eq!(
            post(&forked.url, enrolment(election, voter)).await,
            reqwest::StatusCode::CREATED
        );
    }
    wait_for_size(&forked.url, 11).await;
    let w = sawt()
        .args(["witness", &forked.url, "--rounds", "1", "--key"])
        .arg(&witness_key)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        !w.status.success(),
        "the witness must refuse a rewritten history"
    );
    let mo = sawt()
        .args(["mirror", &forked.url])
        .arg(&mirror)
        .args(["--rounds", "1"])
        .output()
        .unwrap();
    assert!(!mo.status.success());
    assert!(
        String::from_utf8_lossy(&mo.stderr).contains("rewrote its history"),
        "{}",
        String::from_utf8_lossy(&mo.stderr)
    );
    let evidence: ForkEvidence =
        serde_json::from_slice(&std::fs::read(mirror.join("fork-evidence.json")).unwrap()).unwrap();
    evidence.verify(&key(3).verifying_key()).unwrap();
    // The mirror kept its verified copy.
    assert_eq!(
        std::fs::read_to_string(mirror.join("entries.ndjson"))
            .unwrap()
            .lines()
            .count(),
        9
    );
    // `sawt verify --server` mirrors first, then verifies the directory: the evidence the
    // mirror kept fails V1.8 (the board signed two histories), and the JSON report says so.
    let v = sawt()
        .arg("verify")
        .arg(&mirror)
        .args([
            "--server",
            &forked.url,
            "--election",
            &hex::encode(election),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    let check = |id: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(check("V1.8"), "fail");
    assert_eq!(check("V1.4"), "pass");
    assert_eq!(report["record"]["size"], 9);
}
