//! What the service's HTTP tests share: fixed keys, times in ms, one request through the
//! router, and opening a voter's or an official's session.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use ed25519_dalek::{Signer as _, SigningKey};
use sawt_election::keys::{Hex64, PublicKeyHex};
use sawt_server::voter::session::{Answer, Audience, Challenge, signed_message_as};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// The key of a fixed seed byte.
pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Its public key.
pub(crate) fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&key(seed).verifying_key())
}

/// A time as ms since the epoch.
pub(crate) fn ms(t: time::OffsetDateTime) -> u64 {
    (t.unix_timestamp_nanos() / 1_000_000) as u64
}

/// One request through the router, the body as raw bytes; the status and the JSON answer
/// (`null` when it is not JSON).
pub(crate) async fn call_bytes(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(body.map_or(Body::empty(), Body::from)).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One request through the router with a JSON body.
pub(crate) async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_bytes(
        app,
        method,
        path,
        token,
        body.map(|b| b.to_string().into_bytes()),
    )
    .await
}

/// Opens a session of `audience` with `key` (service.md §2); its token.
async fn open(app: &Router, audience: Audience, election: [u8; 32], key: &SigningKey) -> String {
    let public = PublicKeyHex::from_key(&key.verifying_key());
    let (prefix, request) = match audience {
        Audience::Voter => ("/v1/voter", json!({ "credential": public })),
        Audience::Official => ("/v1/official", json!({ "key": public })),
    };
    let (status, c) = call(
        app,
        "POST",
        &format!("{prefix}/challenge"),
        None,
        Some(request),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let challenge: Challenge = serde_json::from_value(c).unwrap();
    let signature = Hex64(
        key.sign(&signed_message_as(audience, &election, &challenge))
            .to_bytes(),
    );
    let answer = serde_json::to_value(Answer {
        challenge,
        signature,
    })
    .unwrap();
    let (status, t) = call(
        app,
        "POST",
        &format!("{prefix}/session"),
        None,
        Some(answer),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t["token"].as_str().unwrap().to_owned()
}

/// A voter's session for the credential `device`.
pub(crate) async fn voter_session(app: &Router, election: [u8; 32], device: &SigningKey) -> String {
    open(app, Audience::Voter, election, device).await
}

/// An official's session for `key`.
pub(crate) async fn official_session(app: &Router, election: [u8; 32], key: &SigningKey) -> String {
    open(app, Audience::Official, election, key).await
}
