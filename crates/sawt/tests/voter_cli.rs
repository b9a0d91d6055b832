//! A voter's journey with `sawt voter` against a real `sawt serve` on loopback, on the real
//! clock: enrol (and re-enrol after a lost phone), audit and check the audit from a second
//! device, cast, re-vote, check receipts under witnessed heads, see which ballot counts; and
//! a service that misbehaves on purpose (a proxy in front of the real one) caught each way:
//! a bad inclusion proof in a receipt, a ballot style for another wilayat, a forked head —
//! each reported with exit code 3, and the complaint file checkable by anyone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

mod common;
use common::{Child, key_file, now_ms, port, stdout_of, wait_up};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sawt_registry::calendar::Settings;
use sawt_server::registry::Registry;
use sawt_server::scenario::{Scenario, party_key};
use serde_json::Value;

const PASSPHRASE: &str = "a long enough passphrase";

fn sawt() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sawt"));
    c.env("SAWT_PASSPHRASE", PASSPHRASE).env("LANG", "en");
    c
}

/// Runs `sawt voter ARGS --device DEVICE --json`; the output.
fn voter(device: &Path, args: &[&str]) -> Output {
    sawt()
        .arg("voter")
        .args(args)
        .arg("--device")
        .arg(device)
        .arg("--json")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> Value {
    serde_json::from_str(&stdout_of(o)).unwrap()
}

/// A failure, with one line on stderr; the line.
fn fails(o: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn roll(path: &Path, wilayat: &str) {
    let mut csv = sawt_registry::roll::HEADER.join(",");
    for i in 1..=3 {
        csv.push_str(&format!(
            "\n9000000{i},اسم,Name,1975-01-01,F,OM,A{i},2030-01-01,{wilayat},{wilayat},0,0,{wilayat}"
        ));
    }
    csv.push('\n');
    std::fs::write(path, csv).unwrap();
}

/// The election's setup in the past of the real clock, voting opening at `opens`; the
/// database URL, the manifest and `E`.
async fn prepare(d: &Path, opens: u64) -> (String, sawt_election::manifest::Manifest, [u8; 32]) {
    let url = format!("sqlite://{}?mode=rwc", d.join("sawt.db").display());
    let s = Scenario::voting_opens_at(&url, 2, Some(3), opens)
        .await
        .unwrap();
    let idp = sawt_registry::identity::IdentityProvider::new(
        ed25519_dalek::SigningKey::from_bytes(&[77; 32]),
    );
    let r = Registry::open(
        s.board.clone(),
        party_key(2),
        vec![idp.public()],
        Settings::default(),
    )
    .await
    .unwrap();
    let wilayat = s.manifest.contests[0].wilayat.0.clone();
    roll(&d.join("roll.csv"), &wilayat);
    r.import_roll(&d.join("roll.csv"), 100, &mut |_| true)
        .await
        .unwrap();
    let w = &s.manifest.windows;
    s.clock.set(w.registration.end_ms + 6 * 86_400_000);
    r.freeze(&sawt_registry::Actor::new(sawt_registry::Role::RegistryOfficial, "RO-1").unwrap())
        .await
        .unwrap();
    s.clock.set(w.campaign.start_ms);
    assert!(w.campaign.start_ms < now_ms() && now_ms() < opens);
    s.board.store().close().await;
    (url, s.manifest.clone(), s.election)
}

/// How the proxy misbehaves.
const HONEST: u8 = 0;
const BAD_PROOF: u8 = 1;
const WRONG_STYLE: u8 = 2;
const FORK: u8 = 3;

#[derive(Clone)]
struct Proxy {
    target: String,
    mode: Arc<AtomicU8>,
    client: reqwest::Client,
}

/// Forwards to the real service, and misbehaves as `mode` says.
async fn forward(
    State(p): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = format!("{}{}", p.target, uri);
    let mut r = p.client.request(method.clone(), url).body(body.to_vec());
    for name in ["authorization", "content-type"] {
        if let Some(v) = headers.get(name) {
            r = r.header(name, v.to_str().unwrap());
        }
    }
    let res = r.send().await.unwrap();
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    let index = res.headers().get("sawt-index").cloned();
    let content_type = res.headers().get("content-type").cloned();
    let mut bytes = res.bytes().await.unwrap().to_vec();
    let path = uri.path();
    match p.mode.load(Ordering::SeqCst) {
        BAD_PROOF
            if method == Method::POST && path == "/v1/voter/ballots" && status.is_success() =>
        {
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            let first = v["inclusion"]["path"][0].as_str().unwrap().to_owned();
            let flipped = format!(
                "{}{}",
                if first.starts_with('0') { '1' } else { '0' },
                &first[1..]
            );
            v["inclusion"]["path"][0] = Value::String(flipped);
            bytes = serde_json::to_vec(&v).unwrap();
        }
        WRONG_STYLE if path == "/v1/voter/ballot-style" && status.is_success() => {
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            v["wilayat"] = Value::String("elsewhere".into());
            bytes = serde_json::to_vec(&v).unwrap();
        }
        FORK if path == "/v1/board/head" && status.is_success() => {
            // The operator's key signs a second tree of the same size: a fork.
            let real: sawt_board::head::WitnessedHead = serde_json::from_slice(&bytes).unwrap();
            let mut head = real.signed.head;
            head.root = [0x42; 32];
            let forged = sawt_board::head::WitnessedHead {
                signed: head.sign(&party_key(3)),
                cosignatures: vec![],
            };
            bytes = serde_json::to_vec(&forged).unwrap();
        }
        _ => {}
    }
    let mut out = (status, bytes).into_response();
    if let Some(i) = index {
        out.headers_mut().insert("sawt-index", i);
    }
    if let Some(ct) = content_type {
        out.headers_mut().insert("content-type", ct);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_voters_journey_against_a_real_server_and_a_misbehaving_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let opens = now_ms() + 25_000;
    let (url, manifest, election) = prepare(d, opens).await;
    let e = hex::encode(election);
    let contest = &manifest.contests[0];
    let cand = |k: usize| contest.candidates[k].id.clone();

    // The real service, and a witness cosigning its heads.
    let real_port = port();
    let real = format!("http://127.0.0.1:{real_port}");
    // Every process of this test shares one address: its limit is raised.
    std::fs::write(d.join("serve.toml"), "[limits]\nper_address_per_s = 2000\n").unwrap();
    let _server = Child(
        sawt()
            .args([
                "serve",
                "--database",
                &url,
                "--listen",
                &format!("127.0.0.1:{real_port}"),
            ])
            .arg("--config")
            .arg(d.join("serve.toml"))
            .arg("--board-key")
            .arg(key_file(d, 3))
            .arg("--registrar-key")
            .arg(key_file(d, 2))
            .arg("--dev-identity-provider-key")
            .arg(key_file(d, 77))
            .stderr(std::fs::File::create(d.join("serve.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_up(&real).await;
    let _witness = Child(
        sawt()
            .args(["witness", &real, "--interval-ms", "200", "--key"])
            .arg(key_file(d, 141))
            .arg("--state")
            .arg(d.join("witness.json"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(d.join("witness.log")).unwrap())
            .spawn()
            .unwrap(),
    );

    // The misbehaving service: honest until told otherwise.
    let mode = Arc::new(AtomicU8::new(HONEST));
    let proxy = Proxy {
        target: real.clone(),
        mode: mode.clone(),
        client: reqwest::Client::new(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bad = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::Router::new().fallback(forward).with_state(proxy),
        )
        .await
        .unwrap()
    });

    // Enrolment. A wrong election identifier is refused before anything is enrolled.
    let a = d.join("a/device.json");
    let wrong = voter(
        &a,
        &[
            "enrol",
            "--server",
            &real,
            "--election",
            &"ab".repeat(32),
            "--dev-identity",
            "90000001",
        ],
    );
    let err = fails(&wrong, 3);
    assert!(err.contains("C1"), "{err}");
    assert!(!a.exists());
    let enrolled = ok(&voter(
        &a,
        &[
            "enrol",
            "--server",
            &bad,
            "--election",
            &e,
            "--dev-identity",
            "90000001",
        ],
    ));
    assert_eq!(enrolled["wilayat"], contest.wilayat.0.as_str());
    // A lost phone: the citizen enrols a new device; the old credential is revoked.
    let b_old = d.join("b-old/device.json");
    let b_new = d.join("b-new/device.json");
    ok(&voter(
        &b_old,
        &[
            "enrol",
            "--server",
            &real,
            "--election",
            &e,
            "--dev-identity",
            "90000002",
        ],
    ));
    let replaced = ok(&voter(
        &b_new,
        &[
            "enrol",
            "--server",
            &real,
            "--election",
            &e,
            "--dev-identity",
            "90000002",
        ],
    ));
    let old_credential: Value = serde_json::from_slice(&std::fs::read(&b_old).unwrap()).unwrap();
    assert_eq!(replaced["replaced"], old_credential["device"]["credential"]);
    let c = d.join("c/device.json");
    ok(&voter(
        &c,
        &[
            "enrol",
            "--server",
            &bad,
            "--election",
            &e,
            "--dev-identity",
            "90000003",
        ],
    ));
    // A wrong passphrase opens nothing.
    let o = sawt()
        .env("SAWT_PASSPHRASE", "not the passphrase")
        .args(["voter", "status", "--device"])
        .arg(&a)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("passphrase"));

    // Voting opens.
    let wait = opens.saturating_sub(now_ms()) + 300;
    tokio::time::sleep(Duration::from_millis(wait)).await;

    // The ballot, from the board; a misbehaving service's style for another wilayat is
    // reported, not followed.
    let style = ok(&voter(&a, &["ballot"]));
    assert_eq!(style["candidates"].as_array().unwrap().len(), 3);
    mode.store(WRONG_STYLE, Ordering::SeqCst);
    let err = fails(&voter(&a, &["ballot"]), 3);
    assert!(err.contains("V3"), "{err}");
    mode.store(HONEST, Ordering::SeqCst);

    // Too many choices: refused on the device, nothing sent.
    let err = fails(
        &voter(
            &a,
            &["cast", "--choice", &format!("{},{}", cand(0), cand(1))],
        ),
        1,
    );
    assert!(err.contains("choice") || err.contains("select"), "{err}");

    // Benaloh: prepare, see the code, audit; a second device recomputes it from the board.
    let code = ok(&voter(&a, &["prepare", "--choice", &cand(1)]))["tracking_code"].clone();
    let audited = ok(&voter(&a, &["audit"]));
    assert_eq!(audited["tracking_code"], code);
    let index = audited["index"].as_u64().unwrap().to_string();
    let second = sawt()
        .args([
            "voter",
            "check-audit",
            "--json",
            "--server",
            &real,
            "--election",
            &e,
            "--index",
            &index,
        ])
        .args(["--tracking-code", code.as_str().unwrap()])
        .output()
        .unwrap();
    let finding = ok(&second);
    assert_eq!(finding["choices"], serde_json::json!([cand(1)]));
    // An audited ballot cannot then be cast: the device must prepare afresh.
    let err = fails(&voter(&a, &["cast"]), 1);
    assert!(err.contains("no ballot is prepared"), "{err}");

    // Cast, re-vote: the last counts.
    let first = ok(&voter(&a, &["cast", "--choice", &cand(0)]));
    let last = ok(&voter(&a, &["cast", "--choice", &cand(2)]));
    let status = ok(&voter(&a, &["status"]));
    let statuses: Vec<(u64, String)> = status["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["index"].as_u64().unwrap(),
                b["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (index.parse().unwrap(), "audited".to_owned()),
            (first["index"].as_u64().unwrap(), "superseded".to_owned()),
            (last["index"].as_u64().unwrap(), "counted".to_owned()),
        ]
    );

    // The receipts hold later, under a witnessed head.
    let mut witnessed = false;
    for _ in 0..50 {
        let r = ok(&voter(&a, &["receipt"]));
        if r["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["witnessed"] == true)
        {
            witnessed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        witnessed,
        "the witness never covered the ballots: {}",
        std::fs::read_to_string(d.join("witness.log")).unwrap_or_default()
    );

    // The old phone's credential is revoked: its ballots are refused; the new phone votes.
    let err = fails(&voter(&b_old, &["cast", "--choice", &cand(0)]), 1);
    assert!(err.contains("revoked"), "{err}");
    ok(&voter(&b_new, &["cast", "--choice", &cand(1)]));

    // A receipt with a bad inclusion proof: reported (R5), the complaint holds for anyone.
    mode.store(BAD_PROOF, Ordering::SeqCst);
    let err = fails(&voter(&c, &["cast", "--choice", &cand(0)]), 3);
    assert!(err.contains("R5") && err.contains("complaint"), "{err}");
    mode.store(HONEST, Ordering::SeqCst);
    let complaint = d.join("c/complaint-1.json");
    let check_complaint = |file: &Path| {
        sawt()
            .args([
                "voter",
                "complaint",
                "--json",
                "--server",
                &real,
                "--election",
                &e,
            ])
            .arg(file)
            .output()
            .unwrap()
    };
    let checked = ok(&check_complaint(&complaint));
    assert_eq!(checked["check"], "R5");
    assert_eq!(checked["fork"], false);
    // A changed complaint does not hold.
    let mut forged: Value = serde_json::from_slice(&std::fs::read(&complaint).unwrap()).unwrap();
    forged["body"]["detail"] = Value::String("changed".into());
    std::fs::write(d.join("forged.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    let err = fails(&check_complaint(&d.join("forged.json")), 1);
    assert!(err.contains("signature"), "{err}");

    // A forked head: the board signs a second tree of a size the device holds.
    ok(&voter(&a, &["receipt"]));
    mode.store(FORK, Ordering::SeqCst);
    let err = fails(&voter(&a, &["ballot"]), 3);
    assert!(err.contains("R7"), "{err}");
    mode.store(HONEST, Ordering::SeqCst);
    let complaints: Vec<PathBuf> = std::fs::read_dir(d.join("a"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("complaint-")
        })
        .collect();
    assert_eq!(complaints.len(), 1, "{complaints:?}");
    let checked = ok(&check_complaint(&complaints[0]));
    assert_eq!(checked["check"], "R7");
    assert_eq!(checked["fork"], true, "{checked}");
}
