//! The registry end to end on both backends: a synthetic roll imported (idempotent and
//! resumable, every bad row reported), registrations and transfers in their window
//! (concurrent transfers of one voter leave exactly one registration), objections decided
//! with reasons, the lists frozen and committed on the board, a voter's inclusion proof,
//! credentials enrolled from identity assertions (forged, stale, replayed and duplicate ones
//! refused; re-enrolment revoking the old credential on the board), and candidacies through
//! review, appeal and withdrawal to the final list. Then concurrent enrolments, written in
//! shared batches, each with its own outcome and refusal, and enrolments left pending by a
//! crash finished at open.

use std::io::Write;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sawt_board::hash::leaf_hash;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Authorities, Manifest, Names};
use sawt_election::oman;
use sawt_registry::calendar::Settings;
use sawt_registry::candidacy::{Application, Declarations, Education, Status, Verdict};
use sawt_registry::eligibility::check_voter;
use sawt_registry::identity::{IdentityProvider, SignedAssertion};
use sawt_registry::objection::{Objection, ObjectionKind, Ruling};
use sawt_registry::registration::Change;
use sawt_registry::roll::{self, RollRecord};
use sawt_registry::{Actor, CivilNumber, Role, Rule, sample, synthetic};
use sawt_server::LogStore;
use sawt_server::clock::ManualClock;
use sawt_server::registry::{BATCH, Enrolled, Registry, RegistryError};
use sawt_server::service::{Board, BoardError};
use time::macros::{date, datetime};

mod common;
use common::{key, ms, pk};

/// The sample election over six wilayats; Muttrah's candidates come from the registry's
/// final list, published on the board after the candidacy window.
fn manifest() -> Manifest {
    let mut m = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        6,
    );
    for c in &mut m.contests {
        if c.wilayat == w("muttrah") {
            c.candidates.clear();
        }
    }
    m
}

fn w(s: &str) -> WilayatId {
    WilayatId(s.into())
}

fn refused_rules(r: Result<impl std::fmt::Debug, RegistryError>) -> Vec<Rule> {
    match r {
        Err(RegistryError::Refused(rs)) => rs.0.iter().map(|x| x.rule).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Someone the tests control exactly: eligible, of Muscat, living in Muttrah, not yet
/// registered.
fn newcomer(civil: &str) -> RollRecord {
    RollRecord {
        civil_number: CivilNumber::parse(civil).unwrap(),
        name_ar: "سالم بن سعيد الحارثي".into(),
        name_en: "Salim bin Said Al Harthy".into(),
        date_of_birth: date!(1980 - 06 - 15),
        gender: roll::Gender::Male,
        nationality: "OM".into(),
        id_card_number: "A1234567".into(),
        id_card_expiry: date!(2030 - 01 - 01),
        permanent_wilayat: w("muscat"),
        current_wilayat: w("muttrah"),
        security_military: false,
        abroad: false,
        registered_wilayat: None,
    }
}

struct Setup {
    clock: Arc<ManualClock>,
    registry: Arc<Registry>,
    board: Arc<Board>,
    idp: IdentityProvider,
    dir: tempfile::TempDir,
}

async fn setup(url: &str) -> Setup {
    let m = manifest();
    m.validate().unwrap();
    let election = m.hash().unwrap();
    let clock = Arc::new(ManualClock::at(ms(datetime!(2027-02-01 09:00 +4))));
    let store = LogStore::open(url).await.unwrap();
    let first = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(1),
        timestamp_ms: clock.now(),
        body: EntryBody::Manifest(Box::new(m)),
    }
    .sign(&key(1))
    .unwrap();
    let board = Arc::new(
        Board::create(store, &first, key(3), clock.clone())
            .await
            .unwrap(),
    );
    let idp = IdentityProvider::new(key(77));
    // The registrar's key must be the manifest's.
    assert!(
        Registry::open(
            board.clone(),
            key(9),
            vec![idp.public()],
            Settings::default()
        )
        .await
        .is_err()
    );
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
    Setup {
        clock,
        registry,
        board,
        idp,
        dir: tempfile::tempdir().unwrap(),
    }
}

trait Now {
    fn now(&self) -> u64;
}
impl Now for ManualClock {
    fn now(&self) -> u64 {
        sawt_server::clock::Clock::now_ms(self)
    }
}

/// The synthetic roll of the manifest's wilayats (1/100 of their people), the controlled
/// newcomers, and four bad rows.
fn write_roll(dir: &std::path::Path) -> (std::path::PathBuf, Vec<RollRecord>) {
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).unwrap();
    let mut people: Vec<RollRecord> =
        synthetic::roll(&rows[..6], 100, date!(2027 - 10 - 28), 11).collect();
    people.push(newcomer("90000001"));
    people.push(newcomer("90000002"));
    people.push(newcomer("90000003"));
    people.push(newcomer("90000006"));
    let mut out = Vec::new();
    roll::write_csv(&mut out, people.clone()).unwrap();
    let mut text = String::from_utf8(out).unwrap();
    text.push_str("0123,a,b,1980-01-01,M,OM,A1,2030-01-01,muscat,muscat,0,0,\n");
    text.push_str("90000004,a,b,1980-02-30,M,OM,A1,2030-01-01,muscat,muscat,0,0,\n");
    text.push_str("90000005,a,b,1980-01-01,M,OM,A1,2030-01-01,sohar,muscat,0,0,\n");
    text.push_str("90000001,a,b,1980-01-01,M,OM,A1,2030-01-01,muscat,muscat,0,0,\n");
    let path = dir.join("roll.csv");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    (path, people)
}

async fn run(url: &str) {
    let s = setup(url).await;
    let r = &s.registry;
    let (path, people) = write_roll(s.dir.path());
    let n = people.len() as u64;

    // ---- Import: interrupted after two batches, resumed, then idempotent. ----
    let mut batches = 0;
    let first = r
        .import_roll(&path, 100, &mut |_| {
            batches += 1;
            batches < 2
        })
        .await
        .unwrap();
    assert!(!first.complete);
    assert_eq!(first.rows, 200);
    let resumed = r.import_roll(&path, 100, &mut |_| true).await.unwrap();
    assert!(resumed.complete);
    assert_eq!(resumed.resumed_from, 200);
    assert_eq!(resumed.rows, n + 4);
    assert_eq!(resumed.imported, n);
    assert_eq!(resumed.refused, 4);
    let lines: Vec<(u64, &str)> = resumed
        .refusals
        .iter()
        .filter(|(_, f, _)| f != "registered_wilayat")
        .map(|(l, f, _)| (*l, f.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (n + 1, "civil_number"),
            (n + 2, "date_of_birth"),
            (n + 3, "permanent_wilayat"),
            (n + 4, "civil_number")
        ]
    );
    // Carried-over registrations whose holder fails a rule (1% of ID cards expire before
    // the election day) are imported unregistered, each with its reason.
    let expired = people
        .iter()
        .filter(|p| p.registered_wilayat.is_some() && p.id_card_expiry < date!(2027 - 10 - 28))
        .count() as u64;
    assert!(expired > 0);
    assert_eq!(resumed.unregistered, expired);
    let again = r.import_roll(&path, BATCH, &mut |_| true).await.unwrap();
    assert!(again.already_imported && again.complete);
    let counts = r.list_counts().await.unwrap();
    let registered: u64 = counts.iter().map(|(_, c)| c).sum();
    let expected = people
        .iter()
        .filter(|p| p.registered_wilayat.is_some() && p.id_card_expiry >= date!(2027 - 10 - 28))
        .count() as u64;
    assert_eq!(registered, expected);
    // Nothing personal reached the board.
    assert_eq!(s.board.store().size(), 1);

    // ---- Registration and transfer, in the window to the second. ----
    let a = CivilNumber::parse("90000001").unwrap();
    let b = CivilNumber::parse("90000002").unwrap();
    let c = CivilNumber::parse("90000003").unwrap();
    let open = ms(datetime!(2027-03-01 08:00 +4));
    s.clock.set(open - 1);
    assert_eq!(
        refused_rules(r.register(&a, &w("muscat")).await),
        [Rule::Window]
    );
    s.clock.set(open);
    assert_eq!(
        r.register(&a, &w("muscat")).await.unwrap(),
        Change::Register {
            wilayat: w("muscat")
        }
    );
    assert_eq!(
        refused_rules(r.register(&a, &w("muscat")).await),
        [Rule::Registration]
    );
    assert_eq!(
        refused_rules(r.register(&a, &w("bawshar")).await),
        [Rule::TransferTarget]
    );
    assert_eq!(
        refused_rules(r.register(&b, &w("bawshar")).await),
        [Rule::AddressWilayat]
    );
    let unknown = CivilNumber::parse("11111111").unwrap();
    assert_eq!(
        refused_rules(r.register(&unknown, &w("muscat")).await),
        [Rule::InRoll]
    );
    r.register(&b, &w("muscat")).await.unwrap();
    r.register(&c, &w("muttrah")).await.unwrap();

    // Concurrent transfers of one voter: exactly one wins; never in two lists, never in none.
    let (r1, r2) = (r.clone(), r.clone());
    let (a1, a2) = (a.clone(), a.clone());
    let t1 = tokio::spawn(async move { r1.register(&a1, &w("muttrah")).await });
    let t2 = tokio::spawn(async move { r2.register(&a2, &w("muttrah")).await });
    let outcomes = [t1.await.unwrap(), t2.await.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        r.registration(&a).await.unwrap().wilayat,
        Some(w("muttrah"))
    );
    let trail = r.decisions(a.expose()).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .map(|(_, _, act, _)| act.as_str())
            .collect::<Vec<_>>(),
        ["register", "transfer"]
    );
    let close = ms(datetime!(2027-04-01 00:00 +4));
    // The authority extends registration by an hour, by a signed entry on the board; the
    // registry follows the board's windows (and the objection period moves with them).
    let hour = 3_600_000;
    s.clock.set(close - 1);
    let extension = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(s.board.election()),
        author: pk(1),
        timestamp_ms: close - 1,
        body: EntryBody::WindowExtension(sawt_election::entry::WindowExtension {
            window: "registration".into(),
            new_end_ms: close + hour,
            reason: Names {
                ar: "ازدحام".into(),
                en: "Demand on the last day".into(),
            },
        }),
    }
    .sign(&key(1))
    .unwrap()
    .canonical_bytes()
    .unwrap();
    s.board.submit(&extension).await.unwrap();
    s.clock.set(close);
    let d = CivilNumber::parse("90000006").unwrap();
    r.register(&d, &w("muscat")).await.unwrap();
    s.clock.set(close + hour);
    assert_eq!(
        refused_rules(r.register(&a, &w("muscat")).await),
        [Rule::Window]
    );

    // ---- Objections: filed in their period, decided by officials with reasons. ----
    s.clock.set(ms(datetime!(2027-04-02 10:00 +4)));
    let official = Actor::new(Role::RegistryOfficial, "RO-17").unwrap();
    let against_b = r
        .file_objection(
            &a,
            &Objection {
                kind: ObjectionKind::Inclusion,
                subject: b.clone(),
                wilayat: w("muscat"),
                grounds: "He moved away from Muscat".into(),
            },
        )
        .await
        .unwrap();
    let against_c = r
        .file_objection(
            &a,
            &Objection {
                kind: ObjectionKind::Inclusion,
                subject: c.clone(),
                wilayat: w("muttrah"),
                grounds: "Not a resident".into(),
            },
        )
        .await
        .unwrap();
    let clerk = Actor::new(Role::Citizen, "self").unwrap();
    assert!(
        r.decide_objection(against_b, Ruling::Upheld, "x", &clerk)
            .await
            .is_err()
    );
    assert_eq!(
        r.decide_objection(
            against_b,
            Ruling::Upheld,
            "Address verified with the civil registry",
            &official
        )
        .await
        .unwrap(),
        Some(Change::Remove {
            wilayat: w("muscat")
        })
    );
    assert_eq!(r.registration(&b).await.unwrap().wilayat, None);
    assert!(
        r.decide_objection(against_b, Ruling::Dismissed, "again", &official)
            .await
            .is_err()
    );
    // Too early to freeze, and one objection is undecided.
    assert_eq!(
        refused_rules(r.freeze(&official).await),
        [Rule::ListsFrozen]
    );
    s.clock.set(ms(datetime!(2027-04-06 00:00 +4)));
    assert_eq!(
        refused_rules(r.freeze(&official).await),
        [Rule::ListsFrozen]
    );
    s.clock.set(ms(datetime!(2027-04-06 01:00 +4)));
    assert_eq!(
        refused_rules(r.freeze(&official).await),
        [Rule::ListsFrozen]
    );
    r.decide_objection(
        against_c,
        Ruling::Dismissed,
        "Resident per the municipality",
        &official,
    )
    .await
    .unwrap();
    let trail = r
        .decisions(&format!("objection:{against_c}"))
        .await
        .unwrap();
    assert_eq!(trail.last().unwrap().1, official);

    // ---- Freeze: counts and commitments on the board. ----
    let before = s.board.store().size();
    let lists = r.freeze(&official).await.unwrap();
    assert_eq!(lists.len(), 6);
    assert_eq!(s.board.store().size(), before + 6);
    let counts = r.list_counts().await.unwrap();
    for l in &lists {
        let e = s
            .board
            .store()
            .entry(l.entry_index.unwrap())
            .await
            .unwrap()
            .unwrap();
        let signed = SignedEntry::decode(&e.body).unwrap();
        let EntryBody::RollCount {
            wilayat,
            registered,
            root,
        } = signed.entry.body
        else {
            panic!("not a roll count")
        };
        assert_eq!(wilayat, l.wilayat);
        assert_eq!(hex::encode(root.0), l.root);
        let now = counts
            .iter()
            .find(|(x, _)| *x == wilayat)
            .map_or(0, |(_, c)| *c);
        assert_eq!(registered, now);
        assert!(!String::from_utf8_lossy(&e.body).contains("9000000"));
    }
    assert!(r.freeze(&official).await.is_err());
    // The gate takes one roll count per wilayat of the manifest, no more.
    for wilayat in [w("muscat"), w("sohar")] {
        let again = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(s.board.election()),
            author: pk(2),
            timestamp_ms: s.clock.now(),
            body: EntryBody::RollCount {
                wilayat,
                registered: 1,
                root: Hex32([0; 32]),
            },
        }
        .sign(&key(2))
        .unwrap()
        .canonical_bytes()
        .unwrap();
        assert!(s.board.submit(&again).await.is_err());
    }
    s.clock.set(ms(datetime!(2027-04-07 00:00 +4)));
    // The voter checks their own inclusion against the board's entry.
    let (inclusion, list) = r.inclusion(&a).await.unwrap();
    let root: [u8; 32] = hex::decode(&list.root).unwrap().try_into().unwrap();
    inclusion.verify(&a, list.registered, &root).unwrap();
    assert!(inclusion.verify(&c, list.registered, &root).is_err());
    assert!(r.inclusion(&b).await.is_err());

    // ---- Enrolment. ----
    let election = s.board.election();
    let mut rng = rand::rng();
    let device1 = key(101);
    let cred1 = PublicKeyHex::from_key(&device1.verifying_key());
    let now = s.clock.now();
    let assertion = s
        .idp
        .assert(election, a.clone(), cred1.clone(), now, &mut rng)
        .unwrap();
    let enrolled = r.enrol(&assertion).await.unwrap();
    assert_eq!(enrolled.wilayat, w("muttrah"));
    assert_eq!(enrolled.revoked, None);
    let e = s
        .board
        .store()
        .entry(enrolled.entry_index)
        .await
        .unwrap()
        .unwrap();
    match SignedEntry::decode(&e.body).unwrap().entry.body {
        EntryBody::CredentialEnrolment {
            credential,
            wilayat,
        } => {
            assert_eq!(credential, cred1);
            assert_eq!(wilayat, w("muttrah"));
        }
        other => panic!("{other:?}"),
    }
    // The same assertion again: replayed.
    assert_eq!(
        refused_rules(r.enrol(&assertion).await),
        [Rule::AssertionFresh]
    );
    // The same credential for someone else: enrolled already.
    let other = s
        .idp
        .assert(election, c.clone(), cred1.clone(), now, &mut rng)
        .unwrap();
    assert_eq!(refused_rules(r.enrol(&other).await), [Rule::Credential]);
    // Stale, forged, or for someone not on a final list.
    let stale = s
        .idp
        .assert(
            election,
            c.clone(),
            pk(102),
            now - 5 * 60 * 1000 - 1,
            &mut rng,
        )
        .unwrap();
    assert_eq!(refused_rules(r.enrol(&stale).await), [Rule::AssertionFresh]);
    let forger = IdentityProvider::new(key(78));
    let forged = forger
        .assert(election, c.clone(), pk(102), now, &mut rng)
        .unwrap();
    assert_eq!(
        refused_rules(r.enrol(&forged).await),
        [Rule::AssertionSignature]
    );
    let off_list = s
        .idp
        .assert(election, b.clone(), pk(103), now, &mut rng)
        .unwrap();
    assert_eq!(
        refused_rules(r.enrol(&off_list).await),
        [Rule::Registration]
    );
    // A lost phone: the new credential replaces the old, revoked on the board.
    let cred2 = pk(104);
    let renewed = s
        .idp
        .assert(election, a.clone(), cred2.clone(), now, &mut rng)
        .unwrap();
    let enrolled2 = r.enrol(&renewed).await.unwrap();
    assert_eq!(enrolled2.revoked, Some(cred1.clone()));
    let revocation = s
        .board
        .store()
        .entry(enrolled2.entry_index - 1)
        .await
        .unwrap()
        .unwrap();
    match SignedEntry::decode(&revocation.body).unwrap().entry.body {
        EntryBody::CredentialRevocation { credential, reason } => {
            assert_eq!(credential, cred1);
            assert!(!reason.contains("9000"));
        }
        other => panic!("{other:?}"),
    }
    // A revoked credential is never enrolled again.
    let back = s
        .idp
        .assert(election, a.clone(), cred1.clone(), now, &mut rng)
        .unwrap();
    assert_eq!(refused_rules(r.enrol(&back).await), [Rule::Credential]);
    let counts = r.enrolment_counts().await.unwrap();
    assert_eq!(counts, [(w("muttrah"), 1)]);
    let on_board = s
        .board
        .store()
        .entry(enrolled2.entry_index)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_board.leaf_hash, leaf_hash(&on_board.body));

    // ---- Candidacy. ----
    let app = |contest: &str, name: &str| Application {
        contest: contest.into(),
        ballot_name: Names {
            ar: name.into(),
            en: name.into(),
        },
        declarations: Declarations {
            education: Education::Higher,
            convicted: false,
            council_member: false,
            lives_and_works_in_oman: true,
        },
    };
    let muttrah_contest = s
        .board
        .manifest()
        .contest_of(&w("muttrah"))
        .unwrap()
        .id
        .clone();
    let muscat_contest = s
        .board
        .manifest()
        .contest_of(&w("muscat"))
        .unwrap()
        .id
        .clone();
    assert_eq!(
        refused_rules(r.apply(&a, &app(&muttrah_contest, "سالم")).await),
        [Rule::Window]
    );
    s.clock.set(ms(datetime!(2027-04-15 10:00 +4)));
    assert_eq!(
        refused_rules(r.apply(&a, &app(&muscat_contest, "سالم")).await),
        [Rule::CandidateRegistered]
    );
    let first = r.apply(&a, &app(&muttrah_contest, "سالم")).await.unwrap();
    assert_eq!(
        refused_rules(r.apply(&a, &app(&muttrah_contest, "سالم")).await),
        [Rule::Application]
    );
    let second = r.apply(&c, &app(&muttrah_contest, "أحمد")).await.unwrap();
    let committee = Actor::new(Role::CandidacyCommittee, "CC-2").unwrap();
    let sec = Actor::new(Role::SupremeCommittee, "SEC-1").unwrap();
    let accept = Verdict {
        accept: true,
        failed: vec![],
        reason: "Documents verified".into(),
    };
    let refuse = Verdict {
        accept: false,
        failed: vec![Rule::Education],
        reason: "No diploma on file".into(),
    };
    assert_eq!(
        r.review(first, &accept, &committee).await.unwrap(),
        Status::Accepted
    );
    assert_eq!(
        r.review(second, &refuse, &committee).await.unwrap(),
        Status::Refused
    );
    assert!(
        r.appeal(second, &a).await.is_err(),
        "only the applicant appeals"
    );
    assert_eq!(r.appeal(second, &c).await.unwrap(), Status::Appealed);
    // The final list waits for the deadline and for the appeal.
    assert!(r.candidate_lists(true).await.is_err());
    assert!(r.publish_candidate_lists(&key(1)).await.is_err());
    assert_eq!(
        r.decide_appeal(second, true, "Diploma produced", &sec)
            .await
            .unwrap(),
        Status::Accepted
    );
    let prelim = r.candidate_lists(false).await.unwrap();
    let list = prelim
        .iter()
        .find(|l| l.contest == muttrah_contest)
        .unwrap();
    assert_eq!(list.candidates.len(), 2);
    // The applicant withdraws before the deadline; then the list is final.
    assert_eq!(r.withdraw(first, &a).await.unwrap(), Status::Withdrawn);
    s.clock.set(ms(datetime!(2027-09-01 00:00 +4)));
    assert!(r.withdraw(second, &c).await.is_err());
    let finals = r.candidate_lists(true).await.unwrap();
    let list = finals
        .iter()
        .find(|l| l.contest == muttrah_contest)
        .unwrap();
    assert_eq!(list.candidates.len(), 1);
    assert_eq!(list.candidates[0].id, format!("c{second}"));
    assert_eq!(list.candidates[0].ballot_order, 1);
    // The final list becomes the contest's candidates, on the board, once.
    let posted = r.publish_candidate_lists(&key(1)).await.unwrap();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].0, muttrah_contest);
    assert_eq!(
        s.board.contest(&muttrah_contest).await.unwrap().candidates,
        list.candidates
    );
    assert!(r.publish_candidate_lists(&key(1)).await.unwrap().is_empty());
    let trail = r.decisions(&format!("application:{second}")).await.unwrap();
    let who: Vec<Role> = trail.iter().map(|(_, actor, _, _)| actor.role).collect();
    assert_eq!(
        who,
        [
            Role::Citizen,
            Role::CandidacyCommittee,
            Role::Citizen,
            Role::SupremeCommittee
        ]
    );

    // ---- Reopening finishes nothing twice and keeps everything. ----
    drop(s.registry);
    let again = Registry::open(
        s.board.clone(),
        key(2),
        vec![s.idp.public()],
        Settings::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.enrolment_counts().await.unwrap(), [(w("muttrah"), 1)]);
    assert_eq!(again.final_lists().await.unwrap(), lists);
}

#[tokio::test]
async fn the_registry_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("r.db").display()
    ))
    .await;
}

#[tokio::test]
async fn the_registry_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        run(db.url()).await;
    }
}

// ---- Concurrent enrolments, written in shared batches. ----

/// A registry with the synthetic roll imported and the lists frozen (and on the board), its
/// clock in the enrolment period; the eligible voters on the final lists, with their wilayat.
async fn enrolment_open(url: &str) -> (Setup, Vec<(CivilNumber, WilayatId)>) {
    let s = setup(url).await;
    let (path, people) = write_roll(s.dir.path());
    s.registry
        .import_roll(&path, BATCH, &mut |_| true)
        .await
        .unwrap();
    s.clock.set(ms(datetime!(2027-04-06 01:00 +4)));
    let official = Actor::new(Role::RegistryOfficial, "RO-17").unwrap();
    s.registry.freeze(&official).await.unwrap();
    s.clock.set(ms(datetime!(2027-04-07 00:00 +4)));
    let calendar = s.registry.calendar().await.unwrap();
    let voters = people
        .into_iter()
        .filter_map(|p| {
            let w = p.registered_wilayat.clone()?;
            check_voter(&p, &calendar, &w)
                .is_ok()
                .then_some((p.civil_number, w))
        })
        .collect();
    (s, voters)
}

/// A device's credential: a distinct key per number.
fn device(i: u32) -> PublicKeyHex {
    let mut seed = [0xd5; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    PublicKeyHex::from_key(&SigningKey::from_bytes(&seed).verifying_key())
}

/// Enrols every assertion at once, each from a task of its own; the outcomes in order.
async fn enrol_all(
    r: &Arc<Registry>,
    assertions: Vec<SignedAssertion>,
) -> Vec<Result<Enrolled, RegistryError>> {
    let tasks: Vec<_> = assertions
        .into_iter()
        .map(|a| {
            let r = r.clone();
            tokio::spawn(async move { r.enrol(&a).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The enrolments on the board from index `from` on: credential → (index, wilayat). Panics
/// on any other entry.
async fn enrolments_on_board(board: &Board, from: u64) -> Vec<(PublicKeyHex, u64, WilayatId)> {
    let mut out = Vec::new();
    for i in from..board.store().size() {
        let e = board.store().entry(i).await.unwrap().unwrap();
        match SignedEntry::decode(&e.body).unwrap().entry.body {
            EntryBody::CredentialEnrolment {
                credential,
                wilayat,
            } => out.push((credential, i, wilayat)),
            other => panic!("entry {i}: {other:?}"),
        }
    }
    out
}

/// A `credential-enrolment` signed by the registrar.
fn enrolment_entry(election: [u8; 32], now: u64, cred: &PublicKeyHex, w: &WilayatId) -> Vec<u8> {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(2),
        timestamp_ms: now,
        body: EntryBody::CredentialEnrolment {
            credential: cred.clone(),
            wilayat: w.clone(),
        },
    }
    .sign(&key(2))
    .unwrap()
    .canonical_bytes()
    .unwrap()
}

/// A connection of the test's own to the registry's database, beside the registry's pool.
enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Conn {
    async fn open(url: &str) -> Conn {
        use sqlx::Connection as _;
        if url.starts_with("sqlite:") {
            Conn::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap())
        } else {
            Conn::Postgres(sqlx::PgConnection::connect(url).await.unwrap())
        }
    }

    /// Takes the lock that inserting credentials needs, until [`Conn::release`]: the
    /// registry's writer waits for it, and enrolments queue up meanwhile.
    async fn hold_writes(&mut self) {
        match self {
            Conn::Sqlite(c) => {
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(c).await.unwrap();
            }
            Conn::Postgres(c) => {
                sqlx::raw_sql("BEGIN; LOCK TABLE credentials IN EXCLUSIVE MODE")
                    .execute(c)
                    .await
                    .unwrap();
            }
        }
    }

    async fn release(&mut self) {
        match self {
            Conn::Sqlite(c) => {
                sqlx::raw_sql("COMMIT").execute(c).await.unwrap();
            }
            Conn::Postgres(c) => {
                sqlx::raw_sql("COMMIT").execute(c).await.unwrap();
            }
        }
    }
}

/// Runs a query with its bindings on a [`Conn`].
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $bind:expr)* $(,)?) => {
        match $conn {
            Conn::Sqlite(c) => {
                sqlx::query($sql)$(.bind($bind))*.execute(&mut *c).await.unwrap();
            }
            Conn::Postgres(c) => {
                sqlx::query($sql)$(.bind($bind))*.execute(&mut *c).await.unwrap();
            }
        }
    };
}

/// Many concurrent enrolments: every one enrolled with its own entry, nothing else on the
/// board, every credential active.
async fn many_at_once(url: &str) {
    let (s, voters) = enrolment_open(url).await;
    assert!(voters.len() >= 200, "{} voters", voters.len());
    let election = s.board.election();
    let now = s.clock.now();
    let mut rng = rand::rng();
    let wanted: Vec<(CivilNumber, WilayatId, PublicKeyHex)> = voters[..200]
        .iter()
        .enumerate()
        .map(|(i, (c, w))| (c.clone(), w.clone(), device(i as u32)))
        .collect();
    let assertions = wanted
        .iter()
        .map(|(c, _, cred)| {
            s.idp
                .assert(election, c.clone(), cred.clone(), now, &mut rng)
                .unwrap()
        })
        .collect();
    let before = s.board.store().size();
    let outcomes = enrol_all(&s.registry, assertions).await;
    let mut expected = Vec::new();
    for ((_, w, cred), o) in wanted.iter().zip(outcomes) {
        let e = o.unwrap();
        assert_eq!((&e.credential, &e.wilayat, &e.revoked), (cred, w, &None));
        expected.push((e.credential, e.entry_index, e.wilayat));
    }
    expected.sort_by_key(|(_, i, _)| *i);
    // Each its own index; the board holds exactly these enrolments.
    assert_eq!(enrolments_on_board(&s.board, before).await, expected);
    for (cred, _, w) in &expected {
        assert_eq!(
            s.board.credential(cred.bytes()).await,
            Some((w.clone(), false))
        );
    }
    let counts = s.registry.enrolment_counts().await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 200);
    for (c, _, _) in &wanted {
        let trail = s.registry.decisions(c.expose()).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|(_, _, a, _)| a.as_str()).collect();
        assert_eq!(actions, ["enrolment"]);
    }
    // Nothing was left pending: reopening posts nothing.
    let size = s.board.store().size();
    let again = Registry::open(
        s.board.clone(),
        key(2),
        vec![s.idp.public()],
        Settings::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.enrolment_counts().await.unwrap(), counts);
    assert_eq!(s.board.store().size(), size);
}

/// The rules an outcome was refused for.
fn rules_of(o: &Result<Enrolled, RegistryError>) -> Vec<Rule> {
    match o {
        Err(RegistryError::Refused(rs)) => rs.0.iter().map(|x| x.rule).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The reason of a conflict.
fn conflict_of(o: &Result<Enrolled, RegistryError>) -> &str {
    match o {
        Err(RegistryError::Conflict(why)) => why,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Of two outcomes, the one enrolled; the other goes through `refused`.
fn one_of(
    pair: &[Result<Enrolled, RegistryError>],
    refused: impl FnOnce(&Result<Enrolled, RegistryError>),
) -> Enrolled {
    match pair {
        [Ok(e), other] | [other, Ok(e)] => {
            refused(other);
            e.clone()
        }
        _ => panic!("expected one enrolled: {pair:?}"),
    }
}

/// One burst written as one batch (the writer held back while it queues up): a reused
/// assertion, a credential enrolled already, two enrolments of one citizen, one credential
/// for two citizens, a citizen enrolled meanwhile by the batch before, a credential the board
/// refuses; each refused exactly, every other one enrolled.
async fn refusals_in_a_burst(url: &str) {
    let (s, voters) = enrolment_open(url).await;
    let election = s.board.election();
    let now = s.clock.now();
    let mut rng = rand::rng();
    let mut assert = |i: usize, cred: u32| {
        s.idp
            .assert(election, voters[i].0.clone(), device(cred), now, &mut rng)
            .unwrap()
    };
    // Voter 0 enrolled before.
    let first = assert(0, 1000);
    s.registry.enrol(&first).await.unwrap();
    // Credential 1007 is on the board already (another entry than the registry's), unknown
    // to the registry: the board refuses its enrolment.
    s.board
        .submit(&enrolment_entry(
            election,
            now - 1,
            &device(1007),
            &voters[27].1,
        ))
        .await
        .unwrap();
    let plug = assert(1, 1001);
    let same = assert(2, 1002);
    let mut burst = vec![
        same.clone(),
        same,
        assert(3, 1003),
        assert(3, 1004),
        assert(4, 1005),
        assert(5, 1005),
        first,
        assert(6, 1000),
        assert(1, 1006),
        assert(27, 1007),
    ];
    burst.extend((7..27).map(|i| assert(i, 2000 + i as u32)));

    let before = s.board.store().size();
    let mut conn = Conn::open(url).await;
    conn.hold_writes().await;
    let plugged = {
        let r = s.registry.clone();
        tokio::spawn(async move { r.enrol(&plug).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let burst = {
        let r = s.registry.clone();
        tokio::spawn(async move { enrol_all(&r, burst).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!plugged.is_finished() && !burst.is_finished());
    conn.release().await;
    let mut enrolled = vec![plugged.await.unwrap().unwrap()];
    let o = burst.await.unwrap();

    let fresh =
        |o: &Result<Enrolled, RegistryError>| assert_eq!(rules_of(o), [Rule::AssertionFresh]);
    let credential =
        |o: &Result<Enrolled, RegistryError>| assert_eq!(rules_of(o), [Rule::Credential]);
    enrolled.push(one_of(&o[0..2], fresh));
    enrolled.push(one_of(&o[2..4], |o| {
        assert_eq!(
            conflict_of(o),
            "another enrolment of this citizen is in progress"
        )
    }));
    enrolled.push(one_of(&o[4..6], credential));
    fresh(&o[6]);
    credential(&o[7]);
    // Voter 1's second enrolment was checked before the plug was done: it names no credential
    // to revoke, and would have left two active.
    assert_eq!(
        conflict_of(&o[8]),
        "another enrolment of this citizen was completed meanwhile; try again"
    );
    // The board's refusal undid that one enrolment alone.
    assert!(
        matches!(&o[9], Err(RegistryError::Board(BoardError::Refused(_)))),
        "{:?}",
        o[9]
    );
    for f in &o[10..] {
        enrolled.push(f.as_ref().unwrap().clone());
    }
    // The board holds exactly the enrolled ones.
    let mut expected: Vec<_> = enrolled
        .iter()
        .map(|e| (e.credential.clone(), e.entry_index, e.wilayat.clone()))
        .collect();
    expected.sort_by_key(|(_, i, _)| *i);
    assert_eq!(enrolments_on_board(&s.board, before).await, expected);
    for cred in [1003, 1004, 1006] {
        let cred = device(cred);
        let won = enrolled.iter().any(|e| e.credential == cred);
        assert_eq!(s.board.credential(cred.bytes()).await.is_some(), won);
    }
    let counts = s.registry.enrolment_counts().await.unwrap();
    assert_eq!(
        counts.iter().map(|(_, n)| n).sum::<u64>(),
        enrolled.len() as u64 + 1
    );
    // Nothing of the refusals was left pending: the refused citizens enrol afresh, replacing
    // the credential that won.
    for (voter, cred, replaced) in [
        (3, 3000, Some(enrolled[2].credential.clone())),
        (1, 3001, Some(device(1001))),
        (27, 3002, None),
    ] {
        let e = s.registry.enrol(&assert(voter, cred)).await.unwrap();
        assert_eq!(e.revoked, replaced);
    }
}

/// Enrolments left pending (a crash) are finished when the registry opens: one whose entry
/// never reached the board is posted, one whose entry did is not posted again.
async fn pending_at_open(url: &str) {
    let (s, voters) = enrolment_open(url).await;
    let election = s.board.election();
    let now = s.clock.now();
    let mut conn = Conn::open(url).await;
    let mut pending = Vec::new();
    for (i, (civil, w)) in voters[..2].iter().enumerate() {
        let cred = device(500 + i as u32);
        let entry = enrolment_entry(election, now, &cred, w);
        execute!(
            &mut conn,
            "INSERT INTO credentials (credential, civil_number, wilayat, state, enrol_entry, \
             enrolled_ms) VALUES ($1, $2, $3, 'pending', $4, $5)",
            cred.bytes().to_vec(),
            civil.expose().to_owned(),
            w.0.clone(),
            entry.clone(),
            now as i64,
        );
        pending.push((cred, w.clone(), entry));
    }
    // The second's entry reached the board before the crash.
    let posted = s.board.submit(&pending[1].2).await.unwrap().index;
    let before = s.board.store().size();
    let again = Registry::open(
        s.board.clone(),
        key(2),
        vec![s.idp.public()],
        Settings::default(),
    )
    .await
    .unwrap();
    assert_eq!(s.board.store().size(), before + 1);
    let on_board = enrolments_on_board(&s.board, posted).await;
    assert_eq!(
        on_board,
        [
            (pending[1].0.clone(), posted, pending[1].1.clone()),
            (pending[0].0.clone(), before, pending[0].1.clone())
        ]
    );
    let counts = again.enrolment_counts().await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 2);
    for (civil, _) in &voters[..2] {
        let trail = again.decisions(civil.expose()).await.unwrap();
        assert_eq!(trail.len(), 1);
    }
    // The citizens are enrolled: a new device replaces the finished credential.
    let mut rng = rand::rng();
    let renewed = s
        .idp
        .assert(election, voters[0].0.clone(), device(600), now, &mut rng)
        .unwrap();
    assert_eq!(
        again.enrol(&renewed).await.unwrap().revoked,
        Some(pending[0].0.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enrolments_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    many_at_once(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enrolments_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        many_at_once(db.url()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_refusals_in_a_batch_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    refusals_in_a_burst(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_refusals_in_a_batch_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        refusals_in_a_burst(db.url()).await;
    }
}

#[tokio::test]
async fn pending_enrolments_finished_at_open_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    pending_at_open(&url).await;
}

#[tokio::test]
async fn pending_enrolments_finished_at_open_on_postgres() {
    if let Some(db) = sawt_server::scratch::postgres_for_tests().await {
        pending_at_open(db.url()).await;
    }
}
