//! The manifest: built from Oman's table, canonical, hashed, and every rule enforced.

mod common;

use common::{key, shura};
use sawt_election::canonical;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::*;
use sawt_election::oman;

#[test]
fn the_national_shura_manifest_is_valid_and_matches_the_real_figures() {
    let m = shura();
    m.validate().unwrap();
    assert_eq!(m.geography.governorates.len(), 11);
    assert_eq!(m.geography.wilayats.len(), 63);
    assert_eq!(m.contests.iter().map(|c| c.seats).sum::<u32>(), 90);
    assert_eq!(m.contests.iter().filter(|c| c.seats == 2).count(), 27);
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).unwrap();
    assert_eq!(rows.iter().map(|r| r.municipal_seats).sum::<u32>(), 126);
    assert_eq!(
        rows.iter().map(|r| r.registered_voters_synth).sum::<u64>(),
        753_260
    );
    assert_eq!(
        rows.iter().map(|r| r.shura_candidates_synth).sum::<u32>(),
        843
    );
    let seeb = m
        .contest_of(&sawt_election::geography::WilayatId("as-seeb".into()))
        .unwrap();
    assert_eq!((seeb.seats, seeb.votes_per_voter), (2, 2));
    let municipal = oman::contests(&rows, ElectionKind::Municipal, TallyMethod::Mixnet);
    assert_eq!(municipal.iter().map(|c| c.seats).sum::<u32>(), 126);
}

#[test]
fn canonical_bytes_round_trip_and_the_hash_binds_every_field() {
    let m = shura();
    let bytes = m.canonical_bytes().unwrap();
    assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    let h = m.hash().unwrap();
    assert_eq!(h, m.clone().hash().unwrap());
    let mut changed = m.clone();
    changed.contests[5].candidates[0].name.en.push('.');
    assert_ne!(changed.hash().unwrap(), h);
    let mut changed = m.clone();
    changed.windows.voting_home.end_ms += 1;
    assert_ne!(changed.hash().unwrap(), h);
    // Another encoding of the same manifest, or an unknown field, is refused.
    let pretty = serde_json::to_vec_pretty(&m).unwrap();
    assert!(Manifest::from_canonical_bytes(&pretty).is_err());
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["note"] = "unsigned addition".into();
    assert!(Manifest::from_canonical_bytes(&canonical::encode(&v).unwrap()).is_err());
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"time_zone\":\"Asia/Muscat\""));
    assert!(text.contains("مسقط"), "Arabic is literal UTF-8");
}

#[test]
fn every_rule_is_enforced_and_every_violation_listed() {
    let m = shura();
    let check = |f: &dyn Fn(&mut Manifest), needle: &str| {
        let mut bad = m.clone();
        f(&mut bad);
        let Err(err) = bad.validate() else {
            panic!("a manifest breaking {needle:?} was accepted")
        };
        let err = err.to_string();
        assert!(err.contains(needle), "expected {needle:?} in {err}");
    };
    check(&|m| m.trustees.threshold = 6, "threshold");
    check(&|m| m.trustees.threshold = 0, "threshold");
    check(&|m| m.contests[0].votes_per_voter = 3, "votes_per_voter");
    check(
        &|m| m.contests[1].candidates[1].id = m.contests[1].candidates[0].id.clone(),
        "repeated",
    );
    check(&|m| m.contests[1].candidates.swap(0, 1), "ballot order");
    check(
        &|m| m.windows.campaign.start_ms = m.windows.key_generation.start_ms,
        "starts before",
    );
    check(
        &|m| m.windows.registration.end_ms = m.windows.registration.start_ms,
        "empty",
    );
    check(
        &|m| {
            m.contests.pop();
        },
        "has no contest",
    );
    check(
        &|m| m.contests[2].wilayat = m.contests[3].wilayat.clone(),
        "more than one contest",
    );
    check(
        &|m| {
            m.contests[4].tally = TallyMethod::Mixnet;
            m.mixers.clear();
        },
        "mixer",
    );
    check(&|m| m.witnesses.quorum = 4, "quorum");
    check(&|m| m.witnesses.quorum = 0, "quorum");
    check(
        &|m| m.mixers[1].key = m.mixers[0].key.clone(),
        "key repeated",
    );
    check(&|m| m.mixers[1].index = 3, "numbered");
    check(
        &|m| m.witnesses.members[0].key = m.authorities.registrar.clone(),
        "a key of its own",
    );
    check(&|m| m.format = "sawt/v0".into(), "format");
    check(
        &|m| m.geography.wilayats[0].governorate.0 = "atlantis".into(),
        "unknown governorate",
    );
    // A small-order point (the identity) and a non-canonical encoding are not keys.
    let weak: PublicKeyHex = serde_json::from_str(&format!("\"01{}\"", "00".repeat(31))).unwrap();
    check(&|m| m.authorities.registrar = weak.clone(), "registrar");
    // y = p + 1 encodes the same point as y = 1 (the identity), non-canonically.
    let non_canonical: PublicKeyHex =
        serde_json::from_str(&format!("\"ee{}7f\"", "ff".repeat(30))).unwrap();
    assert_eq!(
        non_canonical.verifying_key().unwrap_err(),
        sawt_election::keys::KeyError::NonCanonical
    );
    assert!(key(77).verifying_key().is_ok());
    // Several problems are all reported.
    let mut bad = m.clone();
    bad.trustees.threshold = 9;
    bad.witnesses.quorum = 9;
    assert_eq!(bad.validate().unwrap_err().0.len(), 2);
}
