//! The registry's rules at their edges: each voter rule, windows to the second in Oman time,
//! registration and transfer, objections and freezing, candidacy, identity assertions.

use ed25519_dalek::SigningKey;
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::{Authorities, ElectionKind, Manifest, Names};
use sawt_registry::actor::{Actor, Role};
use sawt_registry::calendar::{Calendar, Period, Settings};
use sawt_registry::candidacy::{self, Application, Declarations, Education, Status, Verdict};
use sawt_registry::eligibility::{Rule, check_voter};
use sawt_registry::identity::{self, IdentityProvider, MAX_AGE_MS};
use sawt_registry::objection::{self, Objection, ObjectionKind, Ruling};
use sawt_registry::registration::{self, Change};
use sawt_registry::roll::{Gender, RollRecord};
use sawt_registry::{CivilNumber, sample};
use time::macros::{date, datetime};

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key())
}

fn manifest() -> Manifest {
    let m = sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        6,
    );
    m.validate().unwrap();
    m
}

fn calendar() -> Calendar {
    Calendar::new(&manifest(), Settings::default()).unwrap()
}

fn ms(t: time::OffsetDateTime) -> u64 {
    (t.unix_timestamp_nanos() / 1_000_000) as u64
}

fn w(s: &str) -> WilayatId {
    WilayatId(s.into())
}

/// An eligible voter of Muscat whose current address is in Muttrah.
fn person() -> RollRecord {
    RollRecord {
        civil_number: CivilNumber::parse("12345678").unwrap(),
        name_ar: "سالم بن سعيد الحارثي".into(),
        name_en: "Salim bin Said Al Harthy".into(),
        date_of_birth: date!(1985 - 06 - 15),
        gender: Gender::Male,
        nationality: "OM".into(),
        id_card_number: "123456789".into(),
        id_card_expiry: date!(2030 - 01 - 01),
        permanent_wilayat: w("muscat"),
        current_wilayat: w("muttrah"),
        security_military: false,
        abroad: false,
        registered_wilayat: None,
    }
}

fn rules_of(r: Result<(), sawt_registry::eligibility::Refusals>) -> Vec<Rule> {
    r.err()
        .map(|e| e.0.iter().map(|x| x.rule).collect())
        .unwrap_or_default()
}

#[test]
fn calendar_reads_oman_time() {
    let c = calendar();
    assert_eq!(c.election_day(), date!(2027 - 10 - 28));
    assert_eq!(c.age_reference(), date!(2027 - 01 - 01));
    assert_eq!(
        c.show(ms(datetime!(2027-03-01 08:00 +4))),
        "2027-03-01 08:00:00 +04:00"
    );
    // The objection period is the five days after registration closes.
    assert_eq!(c.objections_end_ms(), ms(datetime!(2027-04-06 00:00 +4)));
}

#[test]
fn each_voter_rule_at_its_edge() {
    let c = calendar();
    let muscat = w("muscat");
    assert_eq!(check_voter(&person(), &c, &muscat), Ok(()));

    // 21 on 1 January of the election year: born 2006-01-01 is 21 that day; a day later is not.
    let mut p = person();
    p.date_of_birth = date!(2006 - 01 - 01);
    assert_eq!(check_voter(&p, &c, &muscat), Ok(()));
    p.date_of_birth = date!(2006 - 01 - 02);
    assert_eq!(rules_of(check_voter(&p, &c, &muscat)), [Rule::MinimumAge]);

    // The ID card must be valid on the election day: expiring that day is fine, the day
    // before is not.
    let mut p = person();
    p.id_card_expiry = date!(2027 - 10 - 28);
    assert_eq!(check_voter(&p, &c, &muscat), Ok(()));
    p.id_card_expiry = date!(2027 - 10 - 27);
    let refusals = check_voter(&p, &c, &muscat).unwrap_err();
    assert_eq!(refusals.0[0].rule, Rule::IdCardValid);
    assert!(refusals.0[0].reason.contains("2027-10-28"), "{refusals}");

    let mut p = person();
    p.nationality = "IN".into();
    assert_eq!(rules_of(check_voter(&p, &c, &muscat)), [Rule::Omani]);

    let mut p = person();
    p.security_military = true;
    assert_eq!(
        rules_of(check_voter(&p, &c, &muscat)),
        [Rule::NotSecurityMilitary]
    );

    // Either address's wilayat, no other.
    assert_eq!(check_voter(&person(), &c, &w("muttrah")), Ok(()));
    assert_eq!(
        rules_of(check_voter(&person(), &c, &w("bawshar"))),
        [Rule::AddressWilayat]
    );

    // Every failing rule is reported at once.
    let mut p = person();
    p.nationality = "IN".into();
    p.security_military = true;
    p.date_of_birth = date!(2010 - 01 - 01);
    assert_eq!(
        rules_of(check_voter(&p, &c, &w("bawshar"))),
        [
            Rule::Omani,
            Rule::MinimumAge,
            Rule::AddressWilayat,
            Rule::NotSecurityMilitary
        ]
    );
}

#[test]
fn registration_window_to_the_second_in_oman_time() {
    let c = calendar();
    let open = ms(datetime!(2027-03-01 08:00 +4));
    let close = ms(datetime!(2027-04-01 00:00 +4));
    let muscat = w("muscat");
    let at = |t| registration::request(&person(), None, &muscat, false, &c, t);
    let refused = at(open - 1).unwrap_err();
    assert_eq!(refused.0[0].rule, Rule::Window);
    assert!(
        refused.0[0].reason.contains("2027-03-01 08:00:00 +04:00"),
        "{refused}"
    );
    assert!(
        refused.0[0].reason.contains("2027-03-01 07:59:59 +04:00"),
        "{refused}"
    );
    assert_eq!(
        at(open).unwrap(),
        Change::Register {
            wilayat: muscat.clone()
        }
    );
    assert!(at(close - 1).is_ok());
    assert_eq!(at(close).unwrap_err().0[0].rule, Rule::Window);
}

#[test]
fn transfers_go_to_the_other_address_only() {
    let c = calendar();
    let t = ms(datetime!(2027-03-15 10:00 +4));
    let p = person();
    let muscat = w("muscat");
    let muttrah = w("muttrah");
    assert_eq!(
        registration::request(&p, Some(&muscat), &muttrah, false, &c, t).unwrap(),
        Change::Transfer {
            from: muscat.clone(),
            to: muttrah.clone()
        }
    );
    let same = registration::request(&p, Some(&muscat), &muscat, false, &c, t).unwrap_err();
    assert_eq!(same.0[0].rule, Rule::Registration);
    let elsewhere =
        registration::request(&p, Some(&muscat), &w("bawshar"), false, &c, t).unwrap_err();
    assert_eq!(elsewhere.0[0].rule, Rule::TransferTarget);
    let frozen = registration::request(&p, Some(&muscat), &muttrah, true, &c, t).unwrap_err();
    assert_eq!(frozen.0[0].rule, Rule::ListsFrozen);
    // A transfer must also satisfy every voter rule.
    let mut expired = person();
    expired.id_card_expiry = date!(2027 - 01 - 01);
    let r = registration::request(&expired, Some(&muscat), &muttrah, false, &c, t).unwrap_err();
    assert_eq!(r.0[0].rule, Rule::IdCardValid);
}

#[test]
fn objections_in_their_period_decided_by_officials_with_reasons() {
    let c = calendar();
    let o = Objection {
        kind: ObjectionKind::Inclusion,
        subject: person().civil_number,
        wilayat: w("muscat"),
        grounds: "Moved to Sohar years ago".into(),
    };
    let during = ms(datetime!(2027-04-03 12:00 +4));
    assert!(objection::check_filing(&o, false, &c, during).is_ok());
    let after = ms(datetime!(2027-04-06 00:00 +4));
    assert_eq!(
        objection::check_filing(&o, false, &c, after)
            .unwrap_err()
            .rule,
        Rule::Window
    );
    let blank = Objection {
        grounds: "  ".into(),
        ..o.clone()
    };
    assert_eq!(
        objection::check_filing(&blank, false, &c, during)
            .unwrap_err()
            .rule,
        Rule::Objection
    );

    let official = Actor::new(Role::RegistryOfficial, "RO-17").unwrap();
    let citizen = Actor::new(Role::Citizen, "self").unwrap();
    let muscat = w("muscat");
    let p = person();
    assert!(
        objection::decide(
            &o,
            Ruling::Upheld,
            "checked",
            &citizen,
            &p,
            Some(&muscat),
            &c
        )
        .is_err()
    );
    assert!(objection::decide(&o, Ruling::Upheld, "", &official, &p, Some(&muscat), &c).is_err());
    assert_eq!(
        objection::decide(
            &o,
            Ruling::Upheld,
            "address verified",
            &official,
            &p,
            Some(&muscat),
            &c
        )
        .unwrap(),
        Some(Change::Remove {
            wilayat: muscat.clone()
        })
    );
    assert_eq!(
        objection::decide(
            &o,
            Ruling::Dismissed,
            "lives there",
            &official,
            &p,
            Some(&muscat),
            &c
        )
        .unwrap(),
        None
    );
    // Upholding an inclusion objection needs the subject on that list.
    assert!(objection::decide(&o, Ruling::Upheld, "x", &official, &p, None, &c).is_err());
    // An omission objection upheld registers the subject, if every rule allows.
    let omission = Objection {
        kind: ObjectionKind::Omission,
        ..o
    };
    assert_eq!(
        objection::decide(
            &omission,
            Ruling::Upheld,
            "left out",
            &official,
            &p,
            None,
            &c
        )
        .unwrap(),
        Some(Change::Register { wilayat: muscat })
    );
}

#[test]
fn lists_freeze_after_objections_are_decided_and_before_voting() {
    let c = calendar();
    let during = ms(datetime!(2027-04-05 23:59:59 +4));
    let after = ms(datetime!(2027-04-06 00:00 +4));
    assert!(registration::check_freeze(&c, during, 0).is_err());
    assert!(registration::check_freeze(&c, after, 1).is_err());
    assert!(registration::check_freeze(&c, after, 0).is_ok());
    assert!(registration::check_freeze(&c, c.voting_opens_ms(), 0).is_err());
}

fn application() -> Application {
    Application {
        contest: "muscat".into(),
        ballot_name: Names {
            ar: "سالم الحارثي".into(),
            en: "Salim Al Harthy".into(),
        },
        declarations: Declarations {
            education: Education::Higher,
            convicted: false,
            council_member: false,
            lives_and_works_in_oman: true,
        },
    }
}

#[test]
fn candidacy_automatic_checks() {
    let c = calendar();
    let t = ms(datetime!(2027-04-20 10:00 +4));
    let muscat = w("muscat");
    let file = |a: &Application, p: &RollRecord, reg: Option<&WilayatId>, kind, t| {
        candidacy::check_filing(a, kind, &muscat, p, reg, &c, t)
            .err()
            .map(|e| e.0.iter().map(|r| r.rule).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let p = person();
    assert!(file(&application(), &p, Some(&muscat), ElectionKind::Shura, t).is_empty());
    // The window, to the second.
    let open = ms(datetime!(2027-04-10 08:00 +4));
    assert_eq!(
        file(
            &application(),
            &p,
            Some(&muscat),
            ElectionKind::Shura,
            open - 1
        ),
        [Rule::Window]
    );
    assert!(file(&application(), &p, Some(&muscat), ElectionKind::Shura, open).is_empty());
    // 30 on 1 January of the election year.
    let mut young = person();
    young.date_of_birth = date!(1997 - 01 - 01);
    assert!(
        file(
            &application(),
            &young,
            Some(&muscat),
            ElectionKind::Shura,
            t
        )
        .is_empty()
    );
    young.date_of_birth = date!(1997 - 01 - 02);
    assert_eq!(
        file(
            &application(),
            &young,
            Some(&muscat),
            ElectionKind::Shura,
            t
        ),
        [Rule::CandidateAge]
    );
    // Registered in the contest's wilayat.
    assert_eq!(
        file(
            &application(),
            &p,
            Some(&w("muttrah")),
            ElectionKind::Shura,
            t
        ),
        [Rule::CandidateRegistered]
    );
    // Declarations.
    let mut a = application();
    a.declarations.education = Education::BelowSecondary;
    a.declarations.convicted = true;
    assert_eq!(
        file(&a, &p, Some(&muscat), ElectionKind::Shura, t),
        [Rule::Education, Rule::NoConviction]
    );
    // Municipal extras.
    let mut a = application();
    a.declarations.council_member = true;
    assert!(file(&a, &p, Some(&muscat), ElectionKind::Shura, t).is_empty());
    assert_eq!(
        file(&a, &p, Some(&muscat), ElectionKind::Municipal, t),
        [Rule::NotCouncilMember]
    );
    let mut abroad = person();
    abroad.abroad = true;
    assert_eq!(
        file(
            &application(),
            &abroad,
            Some(&muscat),
            ElectionKind::Municipal,
            t
        ),
        [Rule::LivesAndWorksInOman]
    );
}

#[test]
fn candidacy_decisions_appeals_and_withdrawal() {
    let c = calendar();
    let t = ms(datetime!(2027-04-20 10:00 +4));
    let committee = Actor::new(Role::CandidacyCommittee, "CC-3").unwrap();
    let sec = Actor::new(Role::SupremeCommittee, "SEC").unwrap();
    let applicant = Actor::new(Role::Citizen, "applicant").unwrap();
    let accept = Verdict {
        accept: true,
        failed: vec![],
        reason: "documents verified".into(),
    };
    let refuse = Verdict {
        accept: false,
        failed: vec![Rule::GoodReputation],
        reason: "report of the committee".into(),
    };
    let k = ElectionKind::Shura;
    assert_eq!(
        candidacy::review(Status::UnderReview, &accept, k, &committee, &c, t),
        Ok(Status::Accepted)
    );
    // Only the committee, only under review, only consistent verdicts, only its own rules.
    assert!(candidacy::review(Status::UnderReview, &accept, k, &sec, &c, t).is_err());
    assert!(candidacy::review(Status::Accepted, &accept, k, &committee, &c, t).is_err());
    let inconsistent = Verdict {
        accept: true,
        ..refuse.clone()
    };
    assert!(candidacy::review(Status::UnderReview, &inconsistent, k, &committee, &c, t).is_err());
    let not_theirs = Verdict {
        failed: vec![Rule::MinimumAge],
        ..refuse.clone()
    };
    assert!(candidacy::review(Status::UnderReview, &not_theirs, k, &committee, &c, t).is_err());
    let sound_mind = Verdict {
        failed: vec![Rule::SoundMind],
        ..refuse.clone()
    };
    assert!(candidacy::review(Status::UnderReview, &sound_mind, k, &committee, &c, t).is_err());
    assert!(
        candidacy::review(
            Status::UnderReview,
            &sound_mind,
            ElectionKind::Municipal,
            &committee,
            &c,
            t
        )
        .is_ok()
    );

    let refused = candidacy::review(Status::UnderReview, &refuse, k, &committee, &c, t).unwrap();
    assert_eq!(refused, Status::Refused);
    let appealed = candidacy::appeal(refused, &applicant, &c, t).unwrap();
    assert!(candidacy::decide_appeal(appealed, true, "ok", &committee, &c, t).is_err());
    assert_eq!(
        candidacy::decide_appeal(appealed, true, "evidence insufficient", &sec, &c, t),
        Ok(Status::Accepted)
    );
    assert_eq!(
        candidacy::decide_appeal(appealed, false, "upheld refusal", &sec, &c, t),
        Ok(Status::RefusedFinal)
    );

    // Withdrawal until the deadline (the campaign's start), not after.
    let deadline = ms(datetime!(2027-09-01 00:00 +4));
    assert_eq!(
        candidacy::withdraw(Status::Accepted, &applicant, &c, deadline - 1),
        Ok(Status::Withdrawn)
    );
    assert_eq!(
        candidacy::withdraw(Status::Accepted, &applicant, &c, deadline)
            .unwrap_err()
            .rule,
        Rule::Window
    );
    assert!(candidacy::withdraw(Status::RefusedFinal, &applicant, &c, t).is_err());
    // The committees may still decide after the deadline (the final list waits for them),
    // not once voting has opened; appeals are filed before the deadline.
    assert_eq!(
        candidacy::review(Status::UnderReview, &accept, k, &committee, &c, deadline),
        Ok(Status::Accepted)
    );
    let voting = c.voting_opens_ms();
    assert!(candidacy::review(Status::UnderReview, &accept, k, &committee, &c, voting).is_err());
    assert!(candidacy::appeal(Status::Refused, &applicant, &c, deadline).is_err());
    assert!(candidacy::check_final(&c, deadline - 1, 0).is_err());
    assert!(candidacy::check_final(&c, deadline, 2).is_err());
    assert!(candidacy::check_final(&c, deadline, 0).is_ok());
}

#[test]
fn final_list_is_ordered_by_arabic_name() {
    let list = candidacy::final_list(vec![
        candidacy::Accepted {
            id: "a2".into(),
            name: Names {
                ar: "يوسف".into(),
                en: "Yousuf".into(),
            },
        },
        candidacy::Accepted {
            id: "a1".into(),
            name: Names {
                ar: "أحمد".into(),
                en: "Ahmed".into(),
            },
        },
    ]);
    assert_eq!(list[0].id, "a1");
    assert_eq!(list[0].ballot_order, 1);
    assert_eq!(list[1].id, "a2");
    assert_eq!(list[1].ballot_order, 2);
}

#[test]
fn identity_assertions_forged_stale_or_misdirected_are_refused() {
    let m = manifest();
    let election = m.hash().unwrap();
    let idp = IdentityProvider::new(SigningKey::from_bytes(&[77; 32]));
    let trusted = [idp.public()];
    let mut rng = rand::rng();
    let civil = person().civil_number;
    let now = ms(datetime!(2027-05-01 09:00 +4));
    let a = idp
        .assert(election, civil.clone(), pk(9), now, &mut rng)
        .unwrap();
    assert!(identity::verify(&a, &trusted, &election, now).is_ok());
    assert!(identity::verify(&a, &trusted, &election, now + MAX_AGE_MS).is_ok());
    let stale = identity::verify(&a, &trusted, &election, now + MAX_AGE_MS + 1).unwrap_err();
    assert_eq!(stale.rule, Rule::AssertionFresh);
    let early = identity::verify(&a, &trusted, &election, now - 31_000).unwrap_err();
    assert_eq!(early.rule, Rule::AssertionFresh);
    assert_eq!(
        identity::verify(&a, &trusted, &[0; 32], now)
            .unwrap_err()
            .rule,
        Rule::AssertionElection
    );
    // A forger's key, even presenting itself as the provider.
    let forger = IdentityProvider::new(SigningKey::from_bytes(&[78; 32]));
    let forged = forger
        .assert(election, civil.clone(), pk(9), now, &mut rng)
        .unwrap();
    assert_eq!(
        identity::verify(&forged, &trusted, &election, now)
            .unwrap_err()
            .rule,
        Rule::AssertionSignature
    );
    let mut claimed = forged.clone();
    claimed.provider = idp.public();
    assert_eq!(
        identity::verify(&claimed, &trusted, &election, now)
            .unwrap_err()
            .rule,
        Rule::AssertionSignature
    );
    // Any field changed after signing.
    let mut other_key = a.clone();
    other_key.assertion.credential = pk(10);
    assert!(identity::verify(&other_key, &trusted, &election, now).is_err());
    let mut other_person = a.clone();
    other_person.assertion.civil_number = CivilNumber::parse("87654321").unwrap();
    assert!(identity::verify(&other_person, &trusted, &election, now).is_err());
    let mut later = a;
    later.assertion.issued_ms += 1;
    assert!(identity::verify(&later, &trusted, &election, now).is_err());
}

#[test]
fn settings_that_collide_with_voting_are_refused() {
    let m = manifest();
    let too_long = Settings {
        objection_days: 400,
        ..Settings::default()
    };
    assert!(Calendar::new(&m, too_long).is_err());
    let late = Settings {
        withdrawal_deadline_ms: Some(m.windows.voting_home.end_ms),
        ..Settings::default()
    };
    assert!(Calendar::new(&m, late).is_err());
    // The final list is drawn up at the deadline and published before voting: a deadline
    // inside the candidacy window, or at voting, leaves no time for it.
    for deadline in [
        m.windows.candidacy.end_ms - 1,
        m.windows.voting_abroad.start_ms,
    ] {
        let s = Settings {
            withdrawal_deadline_ms: Some(deadline),
            ..Settings::default()
        };
        assert!(Calendar::new(&m, s).is_err(), "{deadline}");
    }
    let c = Calendar::new(&m, Settings::default()).unwrap();
    assert_eq!(
        c.window(Period::Withdrawal).end_ms,
        m.windows.campaign.start_ms
    );
}
