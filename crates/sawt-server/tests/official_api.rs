//! The officials' API through the whole service: sessions for configured keys only, every
//! route checked against its role, decisions recorded with the official's identifier,
//! refusals by rule as problem details.

use std::sync::Arc;

use axum::http::StatusCode;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::geography::WilayatId;
use sawt_election::keys::Hex32;
use sawt_election::manifest::{Authorities, Names};
use sawt_registry::calendar::Settings;
use sawt_registry::candidacy::{Application, Declarations, Education};
use sawt_registry::identity::IdentityProvider;
use sawt_registry::objection::{Objection, ObjectionKind};
use sawt_registry::{CivilNumber, roll, sample};
use sawt_server::LogStore;
use sawt_server::app::{Parts, app};
use sawt_server::clock::ManualClock;
use sawt_server::config::{Limits, Official};
use sawt_server::registry::Registry;
use sawt_server::registry_api::RegistryApi;
use sawt_server::service::Board;
use serde_json::json;
use time::macros::{date, datetime};

mod common;
use common::{call, key, ms, official_session, pk};

#[tokio::test(flavor = "multi_thread")]
async fn officials_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    officials_decide_through_their_roles(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("o.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn officials_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        officials_decide_through_their_roles(db.url()).await;
    }
}

async fn officials_decide_through_their_roles(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let m = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        6,
    );
    let election = m.hash().unwrap();
    let clock = Arc::new(ManualClock::at(ms(datetime!(2027-03-10 10:00 +4))));
    let first = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(1),
        timestamp_ms: ms(datetime!(2027-02-01 09:00 +4)),
        body: EntryBody::Manifest(Box::new(m)),
    }
    .sign(&key(1))
    .unwrap();
    let board = Arc::new(
        Board::create(
            LogStore::open(url).await.unwrap(),
            &first,
            key(3),
            clock.clone(),
        )
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
            name_ar: "خالد".into(),
            name_en: "Khalid".into(),
            date_of_birth: date!(1970 - 01 - 01),
            gender: roll::Gender::Male,
            nationality: "OM".into(),
            id_card_number: "A1".into(),
            id_card_expiry: date!(2030 - 01 - 01),
            permanent_wilayat: WilayatId("muscat".into()),
            current_wilayat: WilayatId("muscat".into()),
            security_military: false,
            abroad: false,
            registered_wilayat: Some(WilayatId("muscat".into())),
        })
        .collect();
    let path = dir.path().join("roll.csv");
    roll::write_csv(std::fs::File::create(&path).unwrap(), people).unwrap();
    registry
        .import_roll(&path, 100, &mut |_| true)
        .await
        .unwrap();
    let official = |seed: u8, role: &str, id: &str| Official {
        key: pk(seed),
        role: role.into(),
        id: id.into(),
    };
    let app = app(Parts {
        board: board.clone(),
        registry: Some(RegistryApi {
            registry: registry.clone(),
            dev_identity: None,
        }),
        limits: Limits::default(),
        cors_origins: vec![],
        officials: vec![
            official(51, "registry-official", "RO-17"),
            official(52, "candidacy-committee", "CC-2"),
            official(53, "supreme-committee", "SEC-1"),
        ],
    })
    .unwrap();

    // Only configured keys get sessions; routes need one.
    let (status, _) = call(
        &app,
        "POST",
        "/v1/official/challenge",
        None,
        Some(json!({"key": pk(54)})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = call(&app, "GET", "/v1/official/objections", None, None).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    // An objection, ruled by the registry official only; the trail names them. (Sessions
    // last 15 minutes: opened anew whenever the clock jumps.)
    clock.set(ms(datetime!(2027-04-02 10:00 +4)));
    let ro = official_session(&app, election, &key(51)).await;
    let cc = official_session(&app, election, &key(52)).await;
    let sec = official_session(&app, election, &key(53)).await;
    let a = CivilNumber::parse("90000001").unwrap();
    let b = CivilNumber::parse("90000002").unwrap();
    let id = registry
        .file_objection(
            &a,
            &Objection {
                kind: ObjectionKind::Inclusion,
                subject: b.clone(),
                wilayat: WilayatId("muscat".into()),
                grounds: "Does not live in Muscat".into(),
            },
        )
        .await
        .unwrap();
    let (status, list) = call(
        &app,
        "GET",
        "/v1/official/objections?undecided=true",
        Some(&ro),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let ruling = json!({"ruling": "upheld", "reason": "Address checked with the civil registry"});
    let (status, p) = call(
        &app,
        "POST",
        &format!("/v1/official/objections/{id}/ruling"),
        Some(&cc),
        Some(ruling.clone()),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, body) = call(
        &app,
        "POST",
        &format!("/v1/official/objections/{id}/ruling"),
        Some(&ro),
        Some(ruling),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["change"]["change"], "remove");
    let (_, trail) = call(
        &app,
        "GET",
        &format!("/v1/official/decisions/objection:{id}"),
        Some(&sec),
        None,
    )
    .await;
    assert_eq!(
        trail.as_array().unwrap().last().unwrap()["actor"]["id"],
        "RO-17"
    );
    // A list with names: registry officials only.
    let (status, _) = call(
        &app,
        "GET",
        "/v1/official/voter-lists/muscat",
        Some(&cc),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, names) = call(
        &app,
        "GET",
        "/v1/official/voter-lists/muscat",
        Some(&ro),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names.as_array().unwrap().len(), 1);

    // Freezing: refused by rule during the objection period (every reason given), then done.
    let (status, p) = call(&app, "POST", "/v1/official/lists/freeze", Some(&ro), None).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("refused-by-rule"))
    );
    assert_eq!(p["refusals"][0]["rule"], "lists-frozen");
    let size = board.store().size();
    assert_eq!(size, 1, "a refusal changes nothing");
    clock.set(ms(datetime!(2027-04-06 00:00 +4)));
    let ro = official_session(&app, election, &key(51)).await;
    let (status, lists) = call(&app, "POST", "/v1/official/lists/freeze", Some(&ro), None).await;
    assert_eq!(status, StatusCode::OK, "{lists}");
    assert_eq!(board.store().size(), 1 + 6);

    // Candidacy: the committee reviews, the Supreme Committee decides appeals only.
    clock.set(ms(datetime!(2027-04-20 10:00 +4)));
    let ro = official_session(&app, election, &key(51)).await;
    let cc = official_session(&app, election, &key(52)).await;
    let sec = official_session(&app, election, &key(53)).await;
    let contest = board
        .manifest()
        .contest_of(&WilayatId("muscat".into()))
        .unwrap()
        .id
        .clone();
    let app_id = registry
        .apply(
            &a,
            &Application {
                contest,
                ballot_name: Names {
                    ar: "خالد".into(),
                    en: "Khalid".into(),
                },
                declarations: Declarations {
                    education: Education::Higher,
                    convicted: false,
                    council_member: false,
                    lives_and_works_in_oman: true,
                },
            },
        )
        .await
        .unwrap();
    let verdict = json!({"accept": true, "failed": [], "reason": "Documents verified"});
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/official/applications/{app_id}/review"),
        Some(&ro),
        Some(verdict.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &app,
        "POST",
        &format!("/v1/official/applications/{app_id}/review"),
        Some(&cc),
        Some(verdict),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("accepted"))
    );
    let (status, p) = call(
        &app,
        "POST",
        &format!("/v1/official/applications/{app_id}/appeal-decision"),
        Some(&sec),
        Some(json!({"upheld": true, "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("refused-by-rule"))
    );
    let (status, apps) = call(&app, "GET", "/v1/official/applications", Some(&sec), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(apps[0]["status"], "accepted");
    // A voter's session token is not an official's.
    let (status, _) = call(&app, "GET", "/v1/official/applications", Some("00"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suggestions_get_a_tracking_number_and_an_officials_reply(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        suggestions_get_a_tracking_number_and_an_officials_reply(db.url()).await;
    }
}

async fn suggestions_get_a_tracking_number_and_an_officials_reply(url: &str) {
    let s = sawt_server::scenario::Scenario::new(url, 2, None)
        .await
        .unwrap();
    let registry = Arc::new(
        Registry::open(s.board.clone(), key(2), vec![pk(77)], Settings::default())
            .await
            .unwrap(),
    );
    let app = app(Parts {
        board: s.board.clone(),
        registry: Some(RegistryApi {
            registry,
            dev_identity: None,
        }),
        limits: Limits::default(),
        cors_origins: vec![],
        officials: vec![Official {
            key: pk(51),
            role: "registry-official".into(),
            id: "RO-17".into(),
        }],
    })
    .unwrap();
    let (status, body) = call(
        &app,
        "POST",
        "/v1/suggestions",
        None,
        Some(json!({"category": "report", "subject": "Long queue", "body": "The app was slow at 8 am"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tracking = body["tracking"].as_str().unwrap().to_owned();
    assert!(
        tracking.starts_with("SW-") && tracking.len() == 17,
        "{tracking}"
    );
    for bad in [
        json!({"category": "complaint", "subject": "x", "body": "y"}),
        json!({"category": "report", "subject": " ", "body": "y"}),
        json!({"category": "report", "subject": "x", "body": "y".repeat(5001)}),
    ] {
        let (status, _) = call(&app, "POST", "/v1/suggestions", None, Some(bad)).await;
        assert!(status.is_client_error());
    }
    let (_, mine) = call(
        &app,
        "GET",
        &format!("/v1/suggestions/{tracking}"),
        None,
        None,
    )
    .await;
    assert_eq!(mine["status"], "received");
    let (status, _) = call(&app, "GET", "/v1/suggestions/SW-NONE-NONE-NONE", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let ro = official_session(&app, s.election, &key(51)).await;
    let (status, _) = call(&app, "GET", "/v1/official/suggestions", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, open) = call(
        &app,
        "GET",
        "/v1/official/suggestions?status=received",
        Some(&ro),
        None,
    )
    .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let (status, answered) = call(
        &app,
        "POST",
        &format!("/v1/official/suggestions/{tracking}/reply"),
        Some(&ro),
        Some(json!({"reply": "Capacity was doubled at 8:30", "status": "answered"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let (_, mine) = call(
        &app,
        "GET",
        &format!("/v1/suggestions/{tracking}"),
        None,
        None,
    )
    .await;
    assert_eq!(mine["status"], "answered");
    assert_eq!(mine["reply"], "Capacity was doubled at 8:30");
}
