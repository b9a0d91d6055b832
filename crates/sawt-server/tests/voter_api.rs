//! The voters' API through the real router, on SQLite and PostgreSQL: sessions from a signed
//! challenge, the ballot style, casting with a durable receipt that verifies, re-voting (the
//! last ballot counts, earlier ones superseded), a Benaloh audit, checking a receipt later;
//! and every refusal (no or forged session, another credential's ballot, a replayed ballot,
//! a malformed body or point, the wrong district, outside the window, a revoked credential)
//! with its status and code, and no change to the board.

use axum::http::StatusCode;
use ed25519_dalek::{Signer, SigningKey};
use sawt_board::hash::leaf_hash;
use sawt_board::head::WitnessedHead;
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_election::entry::EntryBody;
use sawt_election::keys::{Hex64, PublicKeyHex};
use sawt_server::scenario::{Scenario, party_key, voter_key};
use sawt_server::voter::session::{Answer, Challenge, signed_message};
use sawt_server::voter::{Receipt, VoterApi, router};
use serde_json::{Value, json};

mod common;
use common::{call_bytes as call, voter_session};

fn json_body(v: Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

fn check_receipt(s: &Scenario, bytes: &[u8], r: &Receipt) {
    let operator = party_key(3).verifying_key();
    r.head.signed.verify(&operator).unwrap();
    assert!(r.head.signed.head.size > r.index);
    assert_eq!(
        r.inclusion.index, r.index,
        "the proof is for the receipt's own index"
    );
    assert_eq!(r.leaf_hash, hex::encode(leaf_hash(bytes)));
    r.inclusion
        .verify(
            &leaf_hash(bytes),
            r.head.signed.head.size,
            &r.head.signed.head.root,
        )
        .unwrap();
    let (EntryBody::Ballot(b) | EntryBody::AuditedBallot { ballot: b, .. }) =
        Scenario::decode(bytes).entry.body
    else {
        panic!("not a ballot")
    };
    assert_eq!(r.tracking_code, b.tracking_code().unwrap());
    assert_eq!(r.head.signed.head.election, s.election);
}

async fn run(url: &str) {
    let s = Scenario::new(url, 6, Some(14)).await.unwrap();
    let app = router(VoterApi::new(s.board.clone()));
    let w0 = s.manifest.geography.wilayats[0].id.clone();
    let w1 = s.manifest.geography.wilayats[1].id.clone();
    let (a, b, stranger) = (voter_key(1), voter_key(2), voter_key(3));
    let pk = |k: &SigningKey| PublicKeyHex::from_key(&k.verifying_key());
    s.enrol(&[pk(&a), pk(&b)], &w0).await.unwrap();

    // Sessions: only for enrolled credentials, only with a valid signature.
    let (status, p) = call(
        &app,
        "POST",
        "/v1/voter/challenge",
        None,
        json_body(json!({ "credential": pk(&stranger) })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["code"], "forbidden");
    let (_, c) = call(
        &app,
        "POST",
        "/v1/voter/challenge",
        None,
        json_body(json!({ "credential": pk(&a) })),
    )
    .await;
    let challenge: Challenge = serde_json::from_value(c).unwrap();
    let forged = Answer {
        signature: Hex64(b.sign(&signed_message(&s.election, &challenge)).to_bytes()),
        challenge,
    };
    let (status, p) = call(
        &app,
        "POST",
        "/v1/voter/session",
        None,
        Some(serde_json::to_vec(&forged).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(p["code"], "bad-signature");
    let token_a = voter_session(&app, s.election, &a).await;

    // The ballot style of the voter's contest.
    let (status, _) = call(&app, "GET", "/v1/voter/ballot-style", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&app, "GET", "/v1/voter/ballot-style", Some("00ff"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, style) = call(&app, "GET", "/v1/voter/ballot-style", Some(&token_a), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(style["candidates"].as_array().unwrap().len(), 14);
    let first = style["candidates"][0][0].as_str().unwrap().to_owned();
    let second = style["candidates"][1][0].as_str().unwrap().to_owned();

    // Before voting opens: outside the window, nothing appended.
    let (early, _) = s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap();
    let size = s.board.store().size();
    let (status, p) = call(
        &app,
        "POST",
        "/v1/voter/ballots",
        Some(&token_a),
        Some(early),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["code"], "outside-window");
    assert_eq!(s.board.store().size(), size);

    // Cast: a durable receipt that verifies. (Sessions last 15 minutes: new ones now.)
    s.open_voting();
    let token_a = voter_session(&app, s.election, &a).await;
    let token_b = voter_session(&app, s.election, &b).await;
    let (ballot1, _) = s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap();
    let (status, r) = call(
        &app,
        "POST",
        "/v1/voter/ballots",
        Some(&token_a),
        Some(ballot1.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let r1: Receipt = serde_json::from_value(r).unwrap();
    check_receipt(&s, &ballot1, &r1);

    // Refusals change nothing.
    let size = s.board.store().size();
    let refusals: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        // Another credential's ballot under this session.
        (
            Some(&token_b),
            s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap().0,
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        // The same ballot again.
        (
            Some(&token_a),
            ballot1.clone(),
            StatusCode::CONFLICT,
            "duplicate",
        ),
        // Not JSON, and a ballot with a point that is not one.
        (
            Some(&token_a),
            b"{\"not\": \"an entry\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            Some(&token_a),
            {
                let good =
                    String::from_utf8(s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap().0)
                        .unwrap();
                // The first ciphertext's α: 64 hexadecimal digits after `"alpha":"`.
                let at = good.find("\"alpha\":\"").unwrap() + 9;
                let alpha = good[at..at + 64].to_owned();
                good.replace(&alpha, &"ff".repeat(32)).into_bytes()
            },
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        // The wrong district: a ballot for another wilayat's contest.
        (
            Some(&token_a),
            s.ballot(
                &a,
                &w1,
                &[s.manifest.contest_of(&w1).unwrap().candidates[0].id.clone()],
            )
            .unwrap()
            .0,
            StatusCode::CONFLICT,
            "refused",
        ),
        // No session.
        (
            None,
            s.ballot(&a, &w0, std::slice::from_ref(&first)).unwrap().0,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (token, body, status, code) in refusals {
        let (got, p) = call(&app, "POST", "/v1/voter/ballots", token, Some(body)).await;
        assert_eq!(
            (got, p["code"].as_str().unwrap_or("")),
            (status, code),
            "{p}"
        );
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(s.board.store().size(), size, "refusals change nothing");

    // Re-vote: the last ballot counts.
    let (ballot2, _) = s.ballot(&a, &w0, std::slice::from_ref(&second)).unwrap();
    let (status, r) = call(
        &app,
        "POST",
        "/v1/voter/ballots",
        Some(&token_a),
        Some(ballot2.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let r2: Receipt = serde_json::from_value(r).unwrap();
    check_receipt(&s, &ballot2, &r2);

    // An audit: the opened ballot is published, never counted.
    let contest = s.manifest.contest_of(&w0).unwrap().clone();
    let (ballot, opening) = sawt_election::ballot::Ballot::encrypt_with_rng(
        s.election,
        &contest,
        &s.key,
        &pk(&a),
        std::slice::from_ref(&first),
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let audited = s.sign(&a, EntryBody::AuditedBallot { ballot, opening });
    let (status, p) = call(
        &app,
        "POST",
        "/v1/voter/ballots",
        Some(&token_a),
        Some(audited.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an audit is not a cast: {p}"
    );
    let (status, r) = call(
        &app,
        "POST",
        "/v1/voter/audits",
        Some(&token_a),
        Some(audited.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    check_receipt(&s, &audited, &serde_json::from_value(r).unwrap());
    let (_, mine) = call(&app, "GET", "/v1/voter/ballots", Some(&token_a), None).await;
    assert_eq!(
        mine.as_array()
            .unwrap()
            .iter()
            .map(|b| b["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["superseded", "counted", "audited"]
    );
    assert_eq!(mine[0]["index"], r1.index);

    // A receipt checked later: inclusion under the current head, and consistency from the
    // receipt's head.
    s.board.publish_head().await.unwrap();
    let (status, check) = call(
        &app,
        "GET",
        &format!(
            "/v1/receipts/{}?size={}",
            r1.index, r1.head.signed.head.size
        ),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    let head: WitnessedHead = serde_json::from_value(check["head"].clone()).unwrap();
    let inclusion: InclusionProof = serde_json::from_value(check["inclusion"].clone()).unwrap();
    let consistency: ConsistencyProof =
        serde_json::from_value(check["consistency"].clone()).unwrap();
    let now = head.signed.head.size;
    inclusion
        .verify(&leaf_hash(&ballot1), now, &head.signed.head.root)
        .unwrap();
    consistency
        .verify(
            (r1.head.signed.head.size, &r1.head.signed.head.root),
            (now, &head.signed.head.root),
        )
        .unwrap();
    let (status, _) = call(
        &app,
        "GET",
        &format!("/v1/receipts/{}?size={}", now, now),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A revoked credential's session no longer works.
    s.clock.set(s.manifest.windows.campaign.start_ms);
    let revoke = s.sign(
        &party_key(2),
        EntryBody::CredentialRevocation {
            credential: pk(&b),
            reason: "lost phone".into(),
        },
    );
    s.board.submit(&revoke).await.unwrap();
    s.open_voting();
    let (status, p) = call(&app, "GET", "/v1/voter/ballot-style", Some(&token_b), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");

    // After voting: outside the window.
    s.clock.set(s.manifest.windows.voting_home.end_ms);
    let token_a = voter_session(&app, s.election, &a).await;
    let size = s.board.store().size();
    let (late, _) = s.ballot(&a, &w0, &[first]).unwrap();
    let (status, p) = call(
        &app,
        "POST",
        "/v1/voter/ballots",
        Some(&token_a),
        Some(late),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str().unwrap()),
        (StatusCode::FORBIDDEN, "outside-window")
    );
    assert_eq!(s.board.store().size(), size);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_voters_api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("v.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_voters_api_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        run(db.url()).await;
    }
}
