//! Live turnout from the registry's credentials and the board's ballots, on SQLite and
//! PostgreSQL: a voter counts once however often they re-vote, an audit is not a vote, and
//! the groups add up.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::calendar::Settings;
use sawt_registry::identity::IdentityProvider;
use sawt_registry::{Actor, CivilNumber, Role, roll};
use sawt_server::clock::Clock as _;
use sawt_server::registry::Registry;
use sawt_server::scenario::{Scenario, party_key, voter_key};
use time::macros::date;

fn person(civil: &str, gender: roll::Gender, born: time::Date, abroad: bool) -> roll::RollRecord {
    roll::RollRecord {
        civil_number: CivilNumber::parse(civil).unwrap(),
        name_ar: "اسم".into(),
        name_en: "Name".into(),
        date_of_birth: born,
        gender,
        nationality: "OM".into(),
        id_card_number: "A1".into(),
        id_card_expiry: date!(2030 - 01 - 01),
        permanent_wilayat: WilayatId("muscat".into()),
        current_wilayat: WilayatId("muscat".into()),
        security_military: false,
        abroad,
        registered_wilayat: Some(WilayatId("muscat".into())),
    }
}

async fn run(url: &str) {
    let s = Scenario::new(url, 3, Some(3)).await.unwrap();
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
    let people = vec![
        person("90000001", roll::Gender::Male, date!(1990 - 05 - 01), false),
        person(
            "90000002",
            roll::Gender::Female,
            date!(1960 - 05 - 01),
            true,
        ),
        person(
            "90000003",
            roll::Gender::Female,
            date!(2000 - 05 - 01),
            false,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roll.csv");
    roll::write_csv(std::fs::File::create(&path).unwrap(), people).unwrap();
    r.import_roll(&path, 100, &mut |_| true).await.unwrap();
    // The scenario's clock is in the key-generation window: after the objection period.
    r.freeze(&Actor::new(Role::RegistryOfficial, "RO-1").unwrap())
        .await
        .unwrap();
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
    let t = r.turnout().await.unwrap();
    assert_eq!((t.total.enrolled, t.total.voted, t.registered), (3, 0, 3));

    // Voter 1 votes twice, voter 2 once; voter 3 only audits.
    s.open_voting();
    let muscat = WilayatId("muscat".into());
    let choice = vec![
        s.manifest.contest_of(&muscat).unwrap().candidates[0]
            .id
            .clone(),
    ];
    for d in [&devices[0], &devices[0], &devices[1]] {
        let (b, _) = s.ballot(d, &muscat, &choice).unwrap();
        s.board.submit(&b).await.unwrap();
    }
    let contest = s.manifest.contest_of(&muscat).unwrap().clone();
    let (ballot, opening) = sawt_election::ballot::Ballot::encrypt_with_rng(
        s.election,
        &contest,
        &s.key,
        &PublicKeyHex::from_key(&devices[2].verifying_key()),
        &choice,
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let audited = s.sign(
        &devices[2],
        sawt_election::entry::EntryBody::AuditedBallot { ballot, opening },
    );
    s.board.submit(&audited).await.unwrap();

    let t = r.turnout().await.unwrap();
    assert_eq!((t.total.enrolled, t.total.voted), (3, 2));
    assert_eq!(t.by_wilayat["muscat"].voted, 2);
    assert_eq!(t.by_gender["M"].voted, 1);
    assert_eq!((t.by_gender["F"].enrolled, t.by_gender["F"].voted), (2, 1));
    assert_eq!(t.by_residence["abroad"].voted, 1);
    assert_eq!(t.by_age_group["31-40"].voted, 1);
    assert_eq!(t.by_age_group["61+"].voted, 1);
    assert_eq!(t.by_age_group["21-30"].voted, 0);
    for groups in [
        &t.by_gender,
        &t.by_age_group,
        &t.by_residence,
        &t.by_governorate,
    ] {
        assert_eq!(groups.values().map(|c| c.voted).sum::<u64>(), 2);
    }
    let cached = r.turnout_cached(5_000).await.unwrap();
    assert_eq!(cached, t);
}

#[tokio::test(flavor = "multi_thread")]
async fn turnout_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn turnout_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        run(db.url()).await;
    }
}
