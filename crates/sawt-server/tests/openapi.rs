//! The API document cannot drift from the code: every `.route(…)` in the source is in
//! `openapi::ROUTES` and every row there is served by the whole service; `/openapi.json` and
//! the offline docs page answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sawt_registry::calendar::Settings;
use sawt_server::app::{Parts, app};
use sawt_server::config::{Limits, Official};
use sawt_server::openapi::ROUTES;
use sawt_server::registry::Registry;
use sawt_server::registry_api::RegistryApi;
use sawt_server::scenario::{Scenario, party_key};
use tower::ServiceExt as _;

/// `(METHOD, path)` of every `.route("path", get(…).post(…))` in the crate's source.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for chunk in text.split(".route(").skip(1) {
                let chunk = chunk.trim_start();
                let Some(rest) = chunk.strip_prefix('"') else {
                    continue;
                };
                let path = rest.split('"').next().unwrap().to_owned();
                // The methods: up to the call's closing parenthesis.
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in rest.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let call = &rest[..end];
                for m in ["get", "post", "put", "delete"] {
                    if call.contains(&format!("{m}(")) {
                        out.insert((m.to_uppercase(), path.clone()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_route_in_the_source_is_documented_and_nothing_else() {
    let source = routes_in_source();
    let documented: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(
        documented.len(),
        ROUTES.len(),
        "a route is documented twice"
    );
    let missing: Vec<_> = source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    let stale: Vec<_> = documented
        .difference(&source)
        .filter(|(_, p)| p != "/openapi.json")
        .collect();
    assert!(
        stale.is_empty(),
        "documented routes that do not exist: {stale:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_route_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
    let s = Scenario::new(&url, 2, None).await.unwrap();
    let idp = sawt_registry::identity::IdentityProvider::new(
        ed25519_dalek::SigningKey::from_bytes(&[77; 32]),
    );
    let registry = Arc::new(
        Registry::open(
            s.board.clone(),
            party_key(2),
            vec![idp.public()],
            Settings::default(),
        )
        .await
        .unwrap(),
    );
    let app = app(Parts {
        board: s.board.clone(),
        registry: Some(RegistryApi {
            registry,
            dev_identity: Some(Arc::new(idp)),
        }),
        limits: Limits::default(),
        cors_origins: vec![],
        officials: vec![Official {
            key: sawt_election::keys::PublicKeyHex::from_key(&party_key(51).verifying_key()),
            role: "registry-official".into(),
            id: "RO-1".into(),
        }],
    })
    .unwrap();
    for r in ROUTES {
        let path = r
            .path
            .replace("{size}", "1")
            .replace("{index}", "0")
            .replace("{id}", "1")
            .replace("{wilayat}", "muscat")
            .replace("{sha256}", &"00".repeat(32))
            .replace("{tracking}", "SW-AAAA-AAAA-AAAA")
            .replace("{subject}", "lists");
        let req = Request::builder()
            .method(r.method)
            .uri(&path)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 24)
            .await
            .unwrap();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {path}",
            r.method
        );
        assert!(
            !(status == StatusCode::NOT_FOUND && body.is_empty()),
            "{} {path} is not routed",
            r.method
        );
    }
    // The document and the offline docs page.
    let res = app
        .clone()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(res.into_body(), 1 << 24)
            .await
            .unwrap(),
    )
    .unwrap();
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    assert_eq!(doc["paths"].as_object().unwrap().len(), paths.len());
    assert!(doc["paths"]["/v1/voter/ballots"]["post"]["security"].is_array());
    // Typed bodies: every row names a documented route and a component of the document.
    for (method, path, request, response) in sawt_server::openapi::SCHEMAS {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.method == *method && r.path == *path),
            "{method} {path}"
        );
        for name in request.iter().chain(response.iter()) {
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
    let receipt = &doc["components"]["schemas"]["Receipt"]["properties"];
    for field in ["tracking_code", "index", "leaf_hash", "head", "inclusion"] {
        assert!(receipt[field].is_object(), "{field}");
    }
    assert_eq!(
        doc["paths"]["/v1/voter/ballots"]["post"]["responses"]["201"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/Receipt"
    );
    let res = app
        .oneshot(Request::get("/docs/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
