//! `sawt registry generate` and `sawt registry import` as an official runs them: a synthetic
//! roll written, imported into the roll of a board's election (reported row by row), the
//! same file again changing nothing, and bad input refused with one line on stderr.

use std::path::Path;
use std::process::Command;

use ed25519_dalek::SigningKey;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::Authorities;
use sawt_registry::sample;

fn sawt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sawt"))
}

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key())
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

fn run_fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr: {err}"
    );
    err
}

fn board(d: &Path) -> String {
    let m = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        usize::MAX,
    );
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    for seed in [1u8, 3] {
        std::fs::write(d.join(format!("key-{seed}")), hex::encode([seed; 32])).unwrap();
    }
    let db = format!("sqlite://{}?mode=rwc", d.join("sawt.db").display());
    run_ok(
        sawt()
            .args(["board", "init", "--database", &db, "--manifest"])
            .arg(d.join("manifest.json"))
            .arg("--authority-key")
            .arg(d.join("key-1"))
            .arg("--board-key")
            .arg(d.join("key-3")),
    );
    db
}

#[test]
fn generate_and_import_a_roll() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let roll = d.join("roll.csv");
    run_ok(
        sawt()
            .args(["registry", "generate", "--scale", "1/500", "--out"])
            .arg(&roll),
    );
    let text = std::fs::read_to_string(&roll).unwrap();
    let people = text.lines().count() - 1;
    assert!(people > 1000, "{people}");
    assert!(text.starts_with("civil_number,name_ar,name_en,"));

    // Importing needs a board: its manifest says which wilayats and dates apply.
    let db_without_board = format!("sqlite://{}?mode=rwc", d.join("empty.db").display());
    let err = run_fails(
        sawt()
            .args(["registry", "import", "--database", &db_without_board])
            .arg(&roll),
    );
    assert!(err.contains("sawt board init"), "{err}");

    let db = board(d);
    // One bad row, reported with its line and field, and the rest imported.
    let mut with_bad = text.clone();
    with_bad.push_str("12,a,b,1980-01-01,X,OM,A1,2030-01-01,muscat,muscat,0,0,\n");
    let bad_roll = d.join("with-bad.csv");
    std::fs::write(&bad_roll, &with_bad).unwrap();
    let out = run_ok(
        sawt()
            .args(["registry", "import", "--database", &db, "--json"])
            .arg(&bad_roll),
    );
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["imported"], people);
    assert_eq!(report["refused"], 1);
    assert!(report["complete"].as_bool().unwrap());
    let refusals = report["refusals"].as_array().unwrap();
    assert!(
        refusals
            .iter()
            .any(|r| r[0] == people as u64 + 1 && r[1] == "gender"),
        "{refusals:?}"
    );

    // The same file again: nothing changes.
    let out = run_ok(
        sawt()
            .args(["registry", "import", "--database", &db])
            .arg(&bad_roll),
    );
    assert!(out.contains("already imported"), "{out}");

    // Not a roll at all.
    let junk = d.join("junk.csv");
    std::fs::write(&junk, "name,age\nx,1\n").unwrap();
    let err = run_fails(
        sawt()
            .args(["registry", "import", "--database", &db])
            .arg(&junk),
    );
    assert!(err.contains("header"), "{err}");
    let err = run_fails(sawt().args(["registry", "generate", "--scale", "half"]));
    assert!(err.contains("--scale"), "{err}");
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_the_registry_with_a_development_identity_provider() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = board(d);
    for seed in [2u8, 77] {
        std::fs::write(d.join(format!("key-{seed}")), hex::encode([seed; 32])).unwrap();
    }
    let roll = d.join("roll.csv");
    std::fs::write(
        &roll,
        format!(
            "{}\n90000001,مريم,Maryam,1980-01-01,F,OM,A1,2030-01-01,muscat,muscat,0,0,\n",
            sawt_registry::roll::HEADER.join(",")
        ),
    )
    .unwrap();
    run_ok(
        sawt()
            .args(["registry", "import", "--database", &db])
            .arg(&roll),
    );
    // A registry with no identity provider is refused, in one line.
    let err = run_fails(
        sawt()
            .args(["serve", "--database", &db, "--board-key"])
            .arg(d.join("key-3"))
            .arg("--registrar-key")
            .arg(d.join("key-2")),
    );
    assert!(err.contains("identity-provider"), "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = d.join("serve.log");
    let _server = Server(
        sawt()
            .args([
                "serve",
                "--database",
                &db,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--board-key")
            .arg(d.join("key-3"))
            .arg("--registrar-key")
            .arg(d.join("key-2"))
            .arg("--dev-identity-provider-key")
            .arg(d.join("key-77"))
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/v1/registry/counts"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");
    let warning = std::fs::read_to_string(&log).unwrap();
    assert!(
        warning.contains("DEVELOPMENT IDENTITY PROVIDER"),
        "{warning}"
    );

    // The sample election's registration opens in 2027: a real request, refused by the
    // window with the times in Oman's time zone.
    let assertion: serde_json::Value = client
        .post(format!("{base}/v1/dev/identity"))
        .json(&serde_json::json!({"civil_number": "90000001", "credential": pk(101)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = client
        .post(format!("{base}/v1/registry/registrations"))
        .json(&serde_json::json!({"assertion": assertion, "wilayat": "muscat"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["refusals"][0]["rule"], "window", "{body}");
    assert!(
        body["refusals"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("2027-03-01 08:00:00 +04:00"),
        "{body}"
    );
}
