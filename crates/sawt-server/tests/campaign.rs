//! Candidates' My Page through the whole service: a candidate publishes versions of their
//! page (every one kept), posts and answers; voters of the same wilayat ask; anyone reports,
//! officials moderate; the silence period freezes everything; non-candidates, other
//! wilayats and content outside the rules are refused.

use std::sync::Arc;

use axum::http::StatusCode;
use ed25519_dalek::SigningKey;
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::Names;
use sawt_registry::calendar::Settings;
use sawt_registry::candidacy::{Application, Declarations, Education, Verdict};
use sawt_registry::identity::IdentityProvider;
use sawt_registry::{Actor, CivilNumber, Role, roll};
use sawt_server::app::{Parts, app};
use sawt_server::clock::Clock as _;
use sawt_server::config::{Limits, Official};
use sawt_server::registry::Registry;
use sawt_server::registry_api::RegistryApi;
use sawt_server::scenario::{Scenario, party_key, voter_key};
use serde_json::{Value, json};
use time::macros::{date, datetime};

mod common;
use common::{call, ms, official_session, voter_session};

fn person(civil: &str, wilayat: &str) -> roll::RollRecord {
    roll::RollRecord {
        civil_number: CivilNumber::parse(civil).unwrap(),
        name_ar: "اسم".into(),
        name_en: "Name".into(),
        date_of_birth: date!(1975 - 01 - 01),
        gender: roll::Gender::Female,
        nationality: "OM".into(),
        id_card_number: "A1".into(),
        id_card_expiry: date!(2030 - 01 - 01),
        permanent_wilayat: WilayatId(wilayat.into()),
        current_wilayat: WilayatId(wilayat.into()),
        security_military: false,
        abroad: false,
        registered_wilayat: Some(WilayatId(wilayat.into())),
    }
}

fn page(name: &str) -> Value {
    json!({
        "name": {"ar": name, "en": "Maryam Al Balushi"},
        "cv": {"ar": "معلمة", "en": "Teacher for 20 years"},
        "qualifications": {"ar": "بكالوريوس", "en": "BEd"},
        "programme": {"ar": "مدارس", "en": "Schools and roads"},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn my_page_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("c.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn my_page_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        run(db.url()).await;
    }
}

async fn run(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(url, 3, None).await.unwrap();
    let idp = IdentityProvider::new(SigningKey::from_bytes(&[77; 32]));
    let r = Arc::new(
        Registry::open(
            s.board.clone(),
            party_key(2),
            vec![idp.public()],
            Settings::default(),
        )
        .await
        .unwrap(),
    );
    let path = dir.path().join("roll.csv");
    roll::write_csv(
        std::fs::File::create(&path).unwrap(),
        vec![
            person("90000001", "muscat"),
            person("90000002", "muscat"),
            person("90000003", "muttrah"),
        ],
    )
    .unwrap();
    r.import_roll(&path, 100, &mut |_| true).await.unwrap();
    s.clock.set(ms(datetime!(2027-04-06 00:00 +4)));
    r.freeze(&Actor::new(Role::RegistryOfficial, "RO-1").unwrap())
        .await
        .unwrap();
    s.clock.set(ms(datetime!(2027-04-20 10:00 +4)));
    let candidate_civil = CivilNumber::parse("90000001").unwrap();
    let contest = s
        .manifest
        .contest_of(&WilayatId("muscat".into()))
        .unwrap()
        .id
        .clone();
    let id = r
        .apply(
            &candidate_civil,
            &Application {
                contest,
                ballot_name: Names {
                    ar: "مريم".into(),
                    en: "Maryam".into(),
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
    let verdict = Verdict {
        accept: true,
        failed: vec![],
        reason: "Verified".into(),
    };
    r.review(
        id,
        &verdict,
        &Actor::new(Role::CandidacyCommittee, "CC-1").unwrap(),
    )
    .await
    .unwrap();
    let cand = format!("c{id}");

    // The campaign: everyone enrols and opens a session.
    s.clock.set(ms(datetime!(2027-09-02 10:00 +4)));
    let devices: Vec<SigningKey> = (1..=3).map(voter_key).collect();
    let mut rng = rand::rng();
    for (i, d) in devices.iter().enumerate() {
        let a = idp
            .assert(
                s.election,
                CivilNumber::parse(&format!("9000000{}", i + 1)).unwrap(),
                PublicKeyHex::from_key(&d.verifying_key()),
                s.clock.now_ms(),
                &mut rng,
            )
            .unwrap();
        r.enrol(&a).await.unwrap();
    }
    let moderator = SigningKey::from_bytes(&[51; 32]);
    let app = app(Parts {
        board: s.board.clone(),
        registry: Some(RegistryApi {
            registry: r.clone(),
            dev_identity: None,
        }),
        limits: Limits::default(),
        cors_origins: vec![],
        officials: vec![Official {
            key: PublicKeyHex::from_key(&moderator.verifying_key()),
            role: "registry-official".into(),
            id: "RO-9".into(),
        }],
    })
    .unwrap();
    let (candidate, voter, elsewhere) = (
        voter_session(&app, s.election, &devices[0]).await,
        voter_session(&app, s.election, &devices[1]).await,
        voter_session(&app, s.election, &devices[2]).await,
    );

    // The page: versions kept, only the candidate, only within the rules.
    let (status, v1) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&candidate),
        Some(page("مريم البلوشية")),
    )
    .await;
    assert_eq!(
        (status, v1["version"].as_i64()),
        (StatusCode::CREATED, Some(1)),
        "{v1}"
    );
    let (status, v2) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&candidate),
        Some(page("مريم بنت سالم البلوشية")),
    )
    .await;
    assert_eq!(
        (status, v2["version"].as_i64()),
        (StatusCode::CREATED, Some(2))
    );
    let (status, p) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&voter),
        Some(page("منتحل")),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, p) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&candidate),
        Some(page(" ")),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("content-rules"))
    );
    let mut extra = page("مريم");
    extra["bank_account"] = json!("OM12 3456");
    let (status, _) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&candidate),
        Some(extra),
    )
    .await;
    assert!(status.is_client_error(), "only the allowed fields");
    let (_, latest) = call(
        &app,
        "GET",
        &format!("/v1/candidates/{cand}/page"),
        None,
        None,
    )
    .await;
    assert_eq!(latest["version"], 2);
    let (_, versions) = call(
        &app,
        "GET",
        &format!("/v1/candidates/{cand}/page/versions"),
        None,
        None,
    )
    .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["page"]["name"]["ar"], "مريم البلوشية");

    // Posts, questions from the same wilayat only, answers.
    let (status, post) = call(
        &app,
        "POST",
        "/v1/candidate/posts",
        Some(&candidate),
        Some(json!({"text_ar": "لقاء مفتوح", "text_en": "Open meeting"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, q) = call(
        &app,
        "POST",
        &format!("/v1/candidates/{cand}/questions"),
        Some(&voter),
        Some(json!({"question": "What about the roads?"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/candidates/{cand}/questions"),
        Some(&elsewhere),
        Some(json!({"question": "And Muttrah?"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/candidates/{cand}/questions"),
        None,
        Some(json!({"question": "?"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let qid = q["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/candidate/questions/{qid}/answer"),
        Some(&voter),
        Some(json!({"answer": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/candidate/questions/{qid}/answer"),
        Some(&candidate),
        Some(json!({"answer": "A ring road by 2029"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, qs) = call(
        &app,
        "GET",
        &format!("/v1/candidates/{cand}/questions"),
        None,
        None,
    )
    .await;
    assert_eq!(qs[0]["answer"], "A ring road by 2029");
    assert!(qs[0].get("asker").is_none(), "the asker is never shown");

    // A report, moderated by an official: the post disappears from the page.
    let post_id = post["id"].as_i64().unwrap();
    let (status, rep) = call(
        &app,
        "POST",
        "/v1/reports",
        None,
        Some(json!({"target": "post", "id": post_id, "reason": "Promises gifts"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let ro = official_session(&app, s.election, &moderator).await;
    let (_, queue) = call(&app, "GET", "/v1/official/reports", Some(&ro), None).await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/official/reports/{}", rep["id"]),
        Some(&ro),
        Some(json!({"hide": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, posts) = call(
        &app,
        "GET",
        &format!("/v1/candidates/{cand}/posts"),
        None,
        None,
    )
    .await;
    assert_eq!(posts.as_array().unwrap().len(), 0);
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/official/reports/{}", rep["id"]),
        Some(&ro),
        Some(json!({"hide": false})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The silence period: nothing changes any more.
    s.clock.set(ms(datetime!(2027-10-20 12:00 +4)));
    let candidate = voter_session(&app, s.election, &devices[0]).await;
    let (status, p) = call(
        &app,
        "PUT",
        "/v1/candidate/page",
        Some(&candidate),
        Some(page("مريم")),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("outside-window"))
    );
    let (status, _) = call(
        &app,
        "POST",
        "/v1/candidate/posts",
        Some(&candidate),
        Some(json!({"text_ar": "صوتوا لي", "text_en": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, versions) = call(
        &app,
        "GET",
        &format!("/v1/candidates/{cand}/page/versions"),
        None,
        None,
    )
    .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
}
