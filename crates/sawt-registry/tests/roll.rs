//! The roll's CSV format, the synthetic national roll, and the list commitment.

use std::collections::HashSet;

use proptest::prelude::*;
use sawt_board::hash::empty_root;
use sawt_election::geography::WilayatId;
use sawt_election::keys::Hex32;
use sawt_election::oman;
use sawt_registry::CivilNumber;
use sawt_registry::commitment::{Inclusion, ListTree, leaf};
use sawt_registry::roll::{self, Gender, HEADER};
use sawt_registry::synthetic;
use time::macros::date;

fn rows() -> Vec<oman::WilayatRow> {
    oman::parse_wilayats(oman::WILAYATS_CSV).unwrap()
}

fn known() -> HashSet<WilayatId> {
    rows()
        .iter()
        .map(|r| WilayatId(sawt_election::geography::slug(&r.wilayat.en)))
        .collect()
}

const GOOD: &str =
    "12345678,سالم,Salim,1985-06-15,M,OM,A1234567,2030-01-01,muscat,muttrah,0,0,muscat";

#[test]
fn a_good_row_parses_and_round_trips() {
    let text = format!("{}\n{GOOD}\n", HEADER.join(","));
    let parsed = roll::parse_csv(text.as_bytes(), &known()).unwrap();
    let rec = parsed[0].1.as_ref().unwrap();
    assert_eq!(rec.gender, Gender::Male);
    assert_eq!(rec.date_of_birth, date!(1985 - 06 - 15));
    assert_eq!(rec.registered_wilayat, Some(WilayatId("muscat".into())));
    let mut out = Vec::new();
    roll::write_csv(&mut out, [rec.clone()]).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

#[test]
fn every_bad_field_is_refused_with_its_name() {
    let cases: [(usize, &str, &str); 12] = [
        (0, "0123", "civil_number"),
        (1, "", "name_ar"),
        (3, "1985-02-30", "date_of_birth"),
        (4, "X", "gender"),
        (5, "Oman", "nationality"),
        (6, "A-1", "id_card_number"),
        (7, "2030/01/01", "id_card_expiry"),
        (8, "atlantis", "permanent_wilayat"),
        (9, "", "current_wilayat"),
        (10, "yes", "security_military"),
        (11, "2", "abroad"),
        (12, "nowhere", "registered_wilayat"),
    ];
    for (col, value, field) in cases {
        let mut f: Vec<&str> = GOOD.split(',').collect();
        f[col] = value;
        let err = roll::parse_fields(&f, &known()).unwrap_err();
        assert_eq!(err.field, field, "{value:?}");
    }
    let short: Vec<&str> = GOOD.split(',').take(12).collect();
    assert_eq!(
        roll::parse_fields(&short, &known()).unwrap_err().field,
        "row"
    );
}

#[test]
fn repeats_and_headers_are_refused() {
    let text = format!("{}\n{GOOD}\n{GOOD}\n", HEADER.join(","));
    let parsed = roll::parse_csv(text.as_bytes(), &known()).unwrap();
    assert!(parsed[0].1.is_ok());
    let repeat = parsed[1].1.as_ref().unwrap_err();
    assert_eq!(parsed[1].0, 2);
    assert!(repeat.reason.contains("repeats"));
    assert!(roll::parse_csv(b"civil_number,name\n1,2\n", &known()).is_err());
    assert!(roll::parse_csv(b"", &known()).is_err());
}

#[test]
fn the_synthetic_roll_has_the_national_shape() {
    let day = date!(2027 - 10 - 28);
    // One hundredth of the nation: the shape, not the size (the full roll is exercised by
    // `sawt registry generate --scale national` and the import benchmark).
    let people: Vec<_> = synthetic::roll(&rows(), 100, day, 7).collect();
    let expected: u64 = rows()
        .iter()
        .map(|r| (r.registered_voters_synth / 100).max(1))
        .sum();
    assert_eq!(people.len() as u64, expected);
    let again: Vec<_> = synthetic::roll(&rows(), 100, day, 7).collect();
    assert!(people == again, "deterministic for a seed");
    let unique: HashSet<_> = people.iter().map(|p| p.civil_number.clone()).collect();
    assert_eq!(unique.len(), people.len());
    let men = people.iter().filter(|p| p.gender == Gender::Male).count() as f64;
    let share = men / people.len() as f64;
    assert!((share - 0.5186).abs() < 0.002, "{share}");
    let reference = date!(2027 - 01 - 01);
    let mut groups = [0usize; 5];
    for p in &people {
        let age = sawt_registry::calendar::age_on(p.date_of_birth, reference);
        assert!(age >= 21, "{age}");
        let g = synthetic::AGE_GROUPS
            .iter()
            .position(|(lo, hi, _)| (*lo..=*hi).contains(&age))
            .unwrap();
        groups[g] += 1;
    }
    let largest = groups
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .unwrap()
        .0;
    assert_eq!(largest, 1, "31–40 is the largest group: {groups:?}");
    // The roll written and read back is the same roll.
    let mut csv = Vec::new();
    roll::write_csv(&mut csv, people.iter().take(500).cloned()).unwrap();
    let back = roll::parse_csv(&csv, &known()).unwrap();
    assert_eq!(back.len(), 500);
    for ((_, r), p) in back.iter().zip(&people) {
        assert!(r.as_ref().unwrap() == p);
    }
}

#[test]
fn the_full_national_roll_has_753260_people() {
    let n: u64 = rows().iter().map(|r| r.registered_voters_synth).sum();
    assert_eq!(n, 753_260);
}

#[test]
fn an_empty_list_commits_to_the_empty_root() {
    let t = ListTree::new(vec![]);
    assert_eq!(t.size(), 0);
    assert_eq!(t.root(), empty_root());
}

proptest! {
    #[test]
    fn every_voter_proves_inclusion_and_nobody_else_does(
        n in 1usize..60,
        pick in 0usize..60,
        salt_seed in any::<u8>(),
    ) {
        let wilayat = WilayatId("muscat".into());
        let voters: Vec<(CivilNumber, [u8; 32])> = (0..n)
            .map(|i| {
                let mut salt = [salt_seed; 32];
                salt[0] = i as u8;
                (CivilNumber::parse(&(10_000_000 + i).to_string()).unwrap(), salt)
            })
            .collect();
        let tree = ListTree::new(voters.iter().map(|(c, s)| leaf(&wilayat, c, s)).collect());
        let (root, size) = (tree.root(), tree.size());
        let (civil, salt) = &voters[pick % n];
        let inclusion = Inclusion {
            wilayat: wilayat.clone(),
            salt: Hex32(*salt),
            proof: tree.prove(&leaf(&wilayat, civil, salt)).unwrap(),
        };
        prop_assert!(inclusion.verify(civil, size, &root).is_ok());
        // Another person, another salt, another wilayat, another root: all fail.
        let other = CivilNumber::parse("99999999").unwrap();
        prop_assert!(inclusion.verify(&other, size, &root).is_err());
        let mut wrong_salt = inclusion.clone();
        wrong_salt.salt.0[31] ^= 1;
        prop_assert!(wrong_salt.verify(civil, size, &root).is_err());
        let mut wrong_wilayat = inclusion.clone();
        wrong_wilayat.wilayat = WilayatId("muttrah".into());
        prop_assert!(wrong_wilayat.verify(civil, size, &root).is_err());
        let mut wrong_root = root;
        wrong_root[0] ^= 1;
        prop_assert!(inclusion.verify(civil, size, &wrong_root).is_err());
        prop_assert!(tree.prove(&leaf(&wilayat, &other, salt)).is_none());
    }
}
