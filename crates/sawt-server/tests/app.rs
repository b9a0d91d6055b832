//! The service's protections and operations endpoints through the real router: body limits,
//! rate limits per address and per credential, CORS locked to the configured origins,
//! health, readiness and metrics; and the configuration file.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use ed25519_dalek::Signer;
use sawt_election::keys::{Hex64, PublicKeyHex};
use sawt_server::app::{Parts, app};
use sawt_server::config::{Limits, ServerConfig};
use sawt_server::scenario::{Scenario, voter_key};
use sawt_server::voter::session::{Answer, Challenge, signed_message};
use serde_json::{Value, json};
use tower::ServiceExt as _;

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn from(addr: &str, req: axum::http::request::Builder) -> axum::http::request::Builder {
    req.extension(ConnectInfo(addr.parse::<SocketAddr>().unwrap()))
}

#[tokio::test(flavor = "multi_thread")]
async fn protections_and_operations() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let s = Scenario::new(&url, 3, Some(4)).await.unwrap();
    let device = voter_key(1);
    let cred = PublicKeyHex::from_key(&device.verifying_key());
    let w0 = s.manifest.contests[0].wilayat.clone();
    s.enrol(std::slice::from_ref(&cred), &w0).await.unwrap();
    s.open_voting();
    let limits = Limits {
        body_bytes: 4096,
        request_timeout_ms: 10_000,
        per_address_per_s: 5,
        per_credential_per_min: 3,
    };
    let app = app(Parts {
        board: s.board.clone(),
        registry: None,
        limits,
        cors_origins: vec!["https://app.sawt.om".into()],
        officials: vec![],
    })
    .unwrap();

    // Health and readiness.
    let (status, _, body) = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, _, body) = send(&app, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["size"], s.board.store().size());

    // A body over the limit is refused before anything is read into the board.
    let size = s.board.store().size();
    let (status, _, _) = send(
        &app,
        Request::post("/v1/board/entries")
            .header("content-type", "application/json")
            .body(Body::from(vec![b'x'; 5000]))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.board.store().size(), size);
    // Every error is a problem detail with a stable code, whatever produced it.
    for (req, status, code) in [
        (
            Request::post("/v1/voter/ballots")
                .header("content-type", "application/json")
                .body(Body::from(vec![b'x'; 5000]))
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            Request::post("/v1/voter/challenge")
                .header("content-type", "application/json")
                .body(Body::from(vec![b'x'; 5000]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            Request::post("/v1/voter/challenge")
                .header("content-type", "application/json")
                .body(Body::from("{\"credential\": 7}"))
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed",
        ),
        (
            Request::post("/v1/voter/challenge")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            Request::get("/v1/nowhere").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            Request::delete("/v1/board/head")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
        ),
    ] {
        let (got, headers, body) = send(&app, req).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
        assert_eq!(
            headers.get("content-type").unwrap(),
            "application/problem+json"
        );
    }

    // CORS: the configured origin only.
    let preflight = |origin: &str| {
        Request::options("/v1/board/head")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _) = send(&app, preflight("https://app.sawt.om")).await;
    assert_eq!(
        headers.get("access-control-allow-origin").unwrap(),
        "https://app.sawt.om"
    );
    let (_, headers, _) = send(&app, preflight("https://evil.example")).await;
    assert!(headers.get("access-control-allow-origin").is_none());

    // Per credential: three requests a minute, then 429 with a problem.
    let (_, _, c) = send(
        &app,
        Request::post("/v1/voter/challenge")
            .header("content-type", "application/json")
            .body(Body::from(json!({ "credential": cred }).to_string()))
            .unwrap(),
    )
    .await;
    let challenge: Challenge = serde_json::from_value(c).unwrap();
    let answer = Answer {
        signature: Hex64(
            device
                .sign(&signed_message(&s.election, &challenge))
                .to_bytes(),
        ),
        challenge,
    };
    let (status, _, t) = send(
        &app,
        Request::post("/v1/voter/session")
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(&answer).unwrap()))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = t["token"].as_str().unwrap().to_owned();
    let style = || {
        Request::get("/v1/voter/ballot-style")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(send(&app, style()).await.0, StatusCode::OK);
    }
    let (status, headers, body) = send(&app, style()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "rate-limited");
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/problem+json"
    );

    // Per address: a burst of 10 (twice 5 a second), then 429; another address is served.
    let mut limited = 0;
    for _ in 0..20 {
        let (status, _, _) = send(
            &app,
            from("10.0.0.7:5000", Request::get("/healthz"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(limited >= 5, "{limited}");
    let (status, _, _) = send(
        &app,
        from("10.0.0.8:5000", Request::get("/healthz"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Metrics: requests by route and status, and the board's size.
    let (status, _, text) = send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(text.contains("sawt_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/voter/ballot-style\""), "{text}");
    assert!(text.contains("sawt_board_size"), "{text}");
}

#[test]
fn the_configuration_file() {
    let text = r#"
        listen = "0.0.0.0:8443"
        database = "postgres://sawt@db/sawt"
        board_key = "/etc/sawt/board.key"
        identity_providers = ["5f1c"]
        cors_origins = ["https://app.sawt.om"]

        [limits]
        body_bytes = 2048
        per_credential_per_min = 10

        [[officials]]
        key = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
        role = "registry-official"
        id = "RO-17"
    "#;
    let c = ServerConfig::parse(text).unwrap();
    assert_eq!(c.listen.as_deref(), Some("0.0.0.0:8443"));
    assert_eq!(c.limits.body_bytes, 2048);
    assert_eq!(
        c.limits.per_address_per_s,
        Limits::default().per_address_per_s
    );
    assert_eq!(c.officials[0].id, "RO-17");
    assert!(ServerConfig::parse("listen = 3").is_err());
    assert!(
        ServerConfig::parse("lissten = \"x\"").is_err(),
        "unknown keys are refused"
    );
}
