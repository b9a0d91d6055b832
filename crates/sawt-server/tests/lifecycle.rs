//! The election's phases follow the manifest's windows as extended by signed, published
//! `window-extension` entries, and nothing else: a ballot after the original end of voting is
//! accepted once the authority extended it, refused otherwise; only the authority extends,
//! only an unfinished window, never into the next one.

use sawt_election::entry::{EntryBody, WindowExtension};
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::Names;
use sawt_server::scenario::{Scenario, party_key, voter_key};

fn extension(window: &str, new_end_ms: u64) -> EntryBody {
    EntryBody::WindowExtension(WindowExtension {
        window: window.into(),
        new_end_ms,
        reason: Names {
            ar: "طوابير عند الإغلاق".into(),
            en: "Queues at closing time".into(),
        },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn extensions_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    voting_extended_by_a_published_entry(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("l.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn extensions_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        voting_extended_by_a_published_entry(db.url()).await;
    }
}

async fn voting_extended_by_a_published_entry(url: &str) {
    let s = Scenario::new(url, 3, Some(3)).await.unwrap();
    let w0 = s.manifest.contests[0].wilayat.clone();
    let first = s.manifest.contests[0].candidates[0].id.clone();
    let (a, b) = (voter_key(1), voter_key(2));
    let creds: Vec<PublicKeyHex> = [&a, &b]
        .iter()
        .map(|k| PublicKeyHex::from_key(&k.verifying_key()))
        .collect();
    s.enrol(&creds, &w0).await.unwrap();
    let end = s.manifest.windows.voting_home.end_ms;
    let hour = 3_600_000;

    // After the original end, with no extension: refused.
    s.clock.set(end);
    let (late, _) = s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap();
    assert!(s.board.submit(&late).await.is_err());

    // During voting: the registrar may not extend; nor may anyone extend what has ended or
    // make it shorter; the authority extends by an hour.
    s.clock.set(end - hour);
    let size = s.board.store().size();
    for (author, body) in [
        (2u8, extension("voting_home", end + hour)),
        (1, extension("voting_home", end - 1)),
        (
            1,
            extension("voting_abroad", s.manifest.windows.voting_abroad.end_ms + 1),
        ),
        (1, extension("counting", end + hour)),
    ] {
        let bytes = s.sign(&party_key(author), body);
        assert!(s.board.submit(&bytes).await.is_err());
    }
    assert_eq!(s.board.store().size(), size, "refusals change nothing");
    let ok = s.sign(&party_key(1), extension("voting_home", end + hour));
    s.board.submit(&ok).await.unwrap();
    assert_eq!(s.board.windows().await.voting_home.end_ms, end + hour);

    // After the original end, inside the extension: accepted; after it: refused.
    s.clock.set(end + 1);
    s.board.submit(&late).await.unwrap();
    s.clock.set(end + hour);
    let (later, _) = s.ballot(&b, &w0, std::slice::from_ref(&first)).unwrap();
    assert!(s.board.submit(&later).await.is_err());

    // A reopened board replays the extension.
    let board =
        sawt_server::service::Board::open(s.board.store().clone(), party_key(3), s.clock.clone())
            .await
            .unwrap();
    assert_eq!(board.windows().await.voting_home.end_ms, end + hour);
}

#[tokio::test(flavor = "multi_thread")]
async fn results_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    results_with_the_entries_that_prove_them(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("r.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn results_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        results_with_the_entries_that_prove_them(db.url()).await;
    }
}

async fn results_with_the_entries_that_prove_them(url: &str) {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    let s = Scenario::new(url, 2, Some(3)).await.unwrap();
    let app = sawt_server::results::router(s.board.clone())
        .merge(sawt_server::election_api::router(s.board.clone()));
    let phase = || async {
        let res = app
            .clone()
            .oneshot(Request::get("/v1/election").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["phase"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(phase().await, "key-generation");
    let get = || async {
        let res = app
            .clone()
            .oneshot(Request::get("/v1/results").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };
    let r = get().await;
    assert_eq!(r["closed"], false);
    assert_eq!(r["contests"][0]["status"], "voting");

    // Close, then the authority posts the (here trivial) tally and a preliminary result.
    let c0 = s.manifest.contests[0].clone();
    s.clock.set(s.manifest.windows.voting_home.end_ms);
    let size = s.board.store().size();
    let close = s.sign(
        &party_key(1),
        EntryBody::Close {
            ballots_until: size,
        },
    );
    s.board.submit(&close).await.unwrap();
    assert_eq!(get().await["contests"][0]["status"], "tallying");
    let tally = s.sign(
        &party_key(1),
        EntryBody::Tally {
            contest: c0.id.clone(),
            sums: vec![
                sawt_election::entry::TallySum::from(sawt_crypto::Ciphertext::sum(&[]));
                c0.candidates.len()
            ],
        },
    );
    let tally_index = s.board.submit(&tally).await.unwrap().index;
    let result = |r#final: bool| {
        s.sign(
            &party_key(1),
            EntryBody::Result {
                contest: c0.id.clone(),
                totals: vec![0; c0.candidates.len()],
                blank: 0,
                invalid: 0,
                elected: vec![],
                r#final,
            },
        )
    };
    let prelim = s.board.submit(&result(false)).await.unwrap().index;
    let r = get().await;
    let c = &r["contests"][0];
    assert_eq!(c["status"], "preliminary");
    assert_eq!(c["entries"]["tally"], tally_index);
    assert_eq!(c["entries"]["results"][0], prelim);
    assert_eq!(c["result"]["candidates"][0]["id"], c0.candidates[0].id);
    let last = s.board.submit(&result(true)).await.unwrap().index;
    let r = get().await;
    assert_eq!(r["contests"][0]["status"], "final");
    assert_eq!(r["contests"][0]["result"]["index"], last);
    assert_eq!(r["contests"][1]["status"], "tallying");
    assert_eq!(phase().await, "tallying");
    // The last contest's final result: the election is published.
    let c1 = s.manifest.contests[1].clone();
    let last = s.sign(
        &party_key(1),
        EntryBody::Result {
            contest: c1.id.clone(),
            totals: vec![0; c1.candidates.len()],
            blank: 0,
            invalid: 0,
            elected: vec![],
            r#final: true,
        },
    );
    s.board.submit(&last).await.unwrap();
    assert_eq!(phase().await, "published");
}
