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
    let mut answered = Vec::new();
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
        if status.is_success() {
            answered.push((r.method, r.path, body.clone()));
        }
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
            let name = name.trim_end_matches("[]");
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
    // Every reference resolves.
    let text = doc.to_string();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling reference to {name}"
        );
    }
    // Every route that takes or answers JSON has a typed schema, except the raw ones.
    let raw = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/v1/board/entries",
        "/v1/board/entries/{index}",
        "/v1/board/entries/by-hash/{sha256}",
        "/v1/board/attachments",
        "/v1/board/attachments/{sha256}",
        "/v1/voter/ballots",
        "/v1/voter/audits",
    ];
    for r in ROUTES {
        let typed = sawt_server::openapi::SCHEMAS
            .iter()
            .find(|(m, p, _, _)| *m == r.method && *p == r.path);
        if raw.contains(&r.path) {
            continue;
        }
        let (_, _, request, response) =
            typed.unwrap_or_else(|| panic!("{} {} has no typed body", r.method, r.path));
        assert_eq!(
            request.is_some(),
            r.body.is_some(),
            "{} {}: request schema",
            r.method,
            r.path
        );
        assert!(
            response.is_some() || r.ok == 204,
            "{} {}: response schema",
            r.method,
            r.path
        );
    }
    // What the service answered matches what the document says it answers.
    let mut checked = 0;
    for (method, path, body) in &answered {
        let Some((_, _, _, Some(name))) = sawt_server::openapi::SCHEMAS
            .iter()
            .find(|(m, p, _, _)| m == method && p == path)
        else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        let schema = match name.strip_suffix("[]") {
            Some(item) => {
                serde_json::json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}})
            }
            None => serde_json::json!({"$ref": format!("#/components/schemas/{name}")}),
        };
        if let Err(e) = conforms(&doc, &schema, &value) {
            panic!("{method} {path} answered {value} against {name}: {e}");
        }
        checked += 1;
    }
    assert!(
        checked >= 8,
        "only {checked} answers checked against their schemas"
    );
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

/// Whether `v` conforms to `schema` (the subset of JSON Schema the document uses: `$ref`,
/// `type` (one or several), `properties`, `required`, `items`, `oneOf`/`anyOf`/`allOf`,
/// `enum`).
fn conforms(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], v)
            .map_err(|e| format!("{name}.{e}"));
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, v)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(any) = schema[key].as_array()
            && !any.iter().any(|s| conforms(doc, s, v).is_ok())
        {
            return Err(format!("{v} matches none of {key}"));
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(v)
    {
        return Err(format!("{v} not in {options:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "string" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{v} is not {types:?}"));
        }
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), v.as_object()) {
        for required in schema["required"].as_array().into_iter().flatten() {
            let k = required.as_str().unwrap();
            if !obj.contains_key(k) {
                return Err(format!("missing {k}"));
            }
        }
        for (k, val) in obj {
            let Some(s) = props.get(k) else {
                return Err(format!("{k} is not in the schema"));
            };
            conforms(doc, s, val).map_err(|e| format!("{k}: {e}"))?;
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            conforms(doc, items, item).map_err(|e| format!("[{i}]: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn the_schema_check_refuses_what_the_document_does_not_say() {
    let doc = serde_json::to_value(sawt_server::openapi::document()).unwrap();
    let session = serde_json::json!({"$ref": "#/components/schemas/Session"});
    let good =
        serde_json::json!({"token": "t", "expires_ms": 1, "wilayat": "muscat", "contest": null});
    conforms(&doc, &session, &good).unwrap();
    let missing = serde_json::json!({"token": "t", "wilayat": "muscat"});
    assert!(conforms(&doc, &session, &missing).is_err());
    let wrong_type = serde_json::json!({"token": 5, "expires_ms": 1, "wilayat": "muscat"});
    assert!(conforms(&doc, &session, &wrong_type).is_err());
    let extra =
        serde_json::json!({"token": "t", "expires_ms": 1, "wilayat": "muscat", "secret": 1});
    assert!(conforms(&doc, &session, &extra).is_err());
    let status = serde_json::json!({"$ref": "#/components/schemas/ApplicationStatus"});
    assert!(
        conforms(
            &doc,
            &status,
            &serde_json::json!({"status": "no-such-state"})
        )
        .is_err()
    );
}
