//! The registry's HTTP API as a citizen's app uses it: assertions from the development
//! identity provider, registration in the window, each assertion accepted once, forged ones
//! refused with their rule, enrolment on the board, the inclusion proof checked against the
//! public list commitment, candidacy, and the public counts.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::Authorities;
use sawt_registry::calendar::Settings;
use sawt_registry::commitment::Inclusion;
use sawt_registry::identity::IdentityProvider;
use sawt_registry::{Actor, CivilNumber, Role, roll, sample};
use sawt_server::LogStore;
use sawt_server::clock::ManualClock;
use sawt_server::registry::Registry;
use sawt_server::registry_api::{RegistryApi, router};
use sawt_server::service::Board;
use serde_json::{Value, json};
use time::macros::{date, datetime};

mod common;
use common::{key, ms, pk};

async fn call(app: &Router, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    common::call(app, method, path, None, body).await
}

fn rules(v: &Value) -> Vec<String> {
    v["refusals"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["rule"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_citizen_registers_enrols_and_checks_inclusion_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let m = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        6,
    );
    let clock = Arc::new(ManualClock::at(ms(datetime!(2027-02-01 09:00 +4))));
    let first = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(m.hash().unwrap()),
        author: pk(1),
        timestamp_ms: ms(datetime!(2027-02-01 09:00 +4)),
        body: EntryBody::Manifest(Box::new(m)),
    }
    .sign(&key(1))
    .unwrap();
    let store = LogStore::open(&url).await.unwrap();
    let board = Arc::new(
        Board::create(store, &first, key(3), clock.clone())
            .await
            .unwrap(),
    );
    let idp = Arc::new(IdentityProvider::new(key(77)));
    let registry = Arc::new(
        Registry::open(
            board.clone(),
            key(2),
            vec![idp.public()],
            Settings::default(),
        )
        .await
        .unwrap(),
    );
    let people: Vec<roll::RollRecord> = ["90000001", "90000002"]
        .iter()
        .map(|c| roll::RollRecord {
            civil_number: CivilNumber::parse(c).unwrap(),
            name_ar: "مريم".into(),
            name_en: "Maryam".into(),
            date_of_birth: date!(1980 - 01 - 01),
            gender: roll::Gender::Female,
            nationality: "OM".into(),
            id_card_number: "A1".into(),
            id_card_expiry: date!(2030 - 01 - 01),
            permanent_wilayat: sawt_election::geography::WilayatId("muscat".into()),
            current_wilayat: sawt_election::geography::WilayatId("muscat".into()),
            security_military: false,
            abroad: false,
            registered_wilayat: None,
        })
        .collect();
    let path = dir.path().join("roll.csv");
    roll::write_csv(std::fs::File::create(&path).unwrap(), people).unwrap();
    registry
        .import_roll(&path, 100, &mut |_| true)
        .await
        .unwrap();

    let app = router(RegistryApi {
        registry: registry.clone(),
        dev_identity: Some(idp.clone()),
    });
    let device = pk(101);
    let assert = |civil: &'static str, cred: PublicKeyHex| {
        let app = app.clone();
        async move {
            let (status, a) = call(
                &app,
                "POST",
                "/v1/dev/identity",
                Some(json!({"civil_number": civil, "credential": cred})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{a}");
            a
        }
    };

    // Registration, in its window.
    clock.set(ms(datetime!(2027-03-10 10:00 +4)));
    let a = assert("90000001", device.clone()).await;
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/registrations",
        Some(json!({"assertion": a, "wilayat": "muscat"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"change": "register", "wilayat": "muscat"}));
    // The same assertion again: used once only.
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/registration",
        Some(json!({"assertion": a})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rules(&body), ["assertion-fresh"]);
    // A forged one: the signature changed.
    let mut forged = assert("90000002", device.clone()).await;
    let sig = forged["signature"].as_str().unwrap().to_owned();
    forged["signature"] = json!(format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    ));
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/registrations",
        Some(json!({"assertion": forged, "wilayat": "muscat"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(rules(&body), ["assertion-signature"]);
    // A malformed request.
    let (status, _) = call(
        &app,
        "POST",
        "/v1/registry/registrations",
        Some(json!({"wilayat": 3})),
    )
    .await;
    assert!(status.is_client_error());
    let a = assert("90000001", device.clone()).await;
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/registration",
        Some(json!({"assertion": a})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"wilayat": "muscat", "final_lists": false}));

    // The lists are frozen by an official; their commitments are public.
    clock.set(ms(datetime!(2027-04-06 00:00 +4)));
    registry
        .freeze(&Actor::new(Role::RegistryOfficial, "RO-1").unwrap())
        .await
        .unwrap();
    let (_, lists) = call(&app, "GET", "/v1/registry/lists", None).await;
    let muscat = lists
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["wilayat"] == "muscat")
        .unwrap()
        .clone();
    assert_eq!(muscat["registered"], 1);

    // Enrolment, and the voter's own inclusion proof against the public commitment.
    let a = assert("90000001", device.clone()).await;
    let (status, enrolled) = call(&app, "POST", "/v1/registry/enrolments", Some(a.clone())).await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    assert_eq!(enrolled["wilayat"], "muscat");
    assert!(enrolled["entry_index"].as_u64().unwrap() > 0);
    let (status, body) = call(&app, "POST", "/v1/registry/enrolments", Some(a)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rules(&body), ["assertion-fresh"]);
    let again = assert("90000001", device.clone()).await;
    let (_, body) = call(&app, "POST", "/v1/registry/enrolments", Some(again)).await;
    assert_eq!(rules(&body), ["credential"]);
    let a = assert("90000001", device.clone()).await;
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/inclusion",
        Some(json!({"assertion": a})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let inclusion: Inclusion = serde_json::from_value(body["inclusion"].clone()).unwrap();
    let root: [u8; 32] = hex::decode(muscat["root"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    inclusion
        .verify(&CivilNumber::parse("90000001").unwrap(), 1, &root)
        .unwrap();
    let b = assert("90000002", pk(102)).await;
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/inclusion",
        Some(json!({"assertion": b})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rules(&body), ["registration"]);
    let (_, counts) = call(&app, "GET", "/v1/registry/counts", None).await;
    assert_eq!(counts["enrolled"]["muscat"], 1);
    assert_eq!(counts["registered"]["muscat"], 1);

    // Candidacy, and the provisional lists.
    clock.set(ms(datetime!(2027-04-20 10:00 +4)));
    let a = assert("90000001", device.clone()).await;
    let contest = board.manifest().contests[0].id.clone();
    let application = json!({
        "contest": contest,
        "ballot_name": {"ar": "مريم البلوشية", "en": "Maryam Al Balushi"},
        "declarations": {"education": "higher", "convicted": false},
    });
    let (status, body) = call(
        &app,
        "POST",
        "/v1/registry/applications",
        Some(json!({"assertion": a, "application": application})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_u64().unwrap();
    let b = assert("90000002", pk(102)).await;
    let (status, body) = call(
        &app,
        "POST",
        &format!("/v1/registry/applications/{id}/withdraw"),
        Some(json!({"assertion": b})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(&app, "GET", "/v1/registry/candidates", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["final"], false);

    // Without a development provider, there is no such endpoint.
    let production = router(RegistryApi {
        registry,
        dev_identity: None,
    });
    let (status, _) = call(
        &production,
        "POST",
        "/v1/dev/identity",
        Some(json!({"civil_number": "90000001", "credential": device})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
