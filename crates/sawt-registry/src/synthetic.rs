//! A synthetic electoral roll, for demos and load tests (never real people).
//!
//! Per wilayat, as many people as the built-in table's synthetic registered-voter column
//! (753,260 nationally) divided by the scale's divisor; the real gender split of the 2023
//! Shura register (51.86% men, spread evenly over the roll); ages on the election year's
//! 1 January spread with 31–40 the largest group; 8% whose current address is in another
//! wilayat, 2.8% residing abroad; 94% already registered in their permanent address's
//! wilayat (the standing register), the rest first-time voters who must register; 1% whose
//! ID card expires before the election day. Deterministic for a seed.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sawt_election::geography::{WilayatId, slug};
use sawt_election::oman::WilayatRow;
use time::{Date, Duration, Month};

use crate::civil::CivilNumber;
use crate::roll::{Gender, OMANI, RollRecord};

/// Men per 10,000 registered voters (51.86%).
pub const MEN_PER_10K: u64 = 5186;

/// Age groups on 1 January of the election year, with their weights (per mille).
pub const AGE_GROUPS: [(i32, i32, u32); 5] = [
    (21, 30, 230),
    (31, 40, 310),
    (41, 50, 220),
    (51, 60, 140),
    (61, 85, 100),
];

const MALE: [(&str, &str); 12] = [
    ("محمد", "Mohammed"),
    ("أحمد", "Ahmed"),
    ("سالم", "Salim"),
    ("سعيد", "Said"),
    ("خالد", "Khalid"),
    ("علي", "Ali"),
    ("حمد", "Hamad"),
    ("سيف", "Saif"),
    ("ناصر", "Nasser"),
    ("يوسف", "Yousuf"),
    ("عبدالله", "Abdullah"),
    ("هلال", "Hilal"),
];
const FEMALE: [(&str, &str); 12] = [
    ("فاطمة", "Fatma"),
    ("مريم", "Maryam"),
    ("عائشة", "Aisha"),
    ("زينب", "Zainab"),
    ("شمسة", "Shamsa"),
    ("موزة", "Moza"),
    ("خديجة", "Khadija"),
    ("سلمى", "Salma"),
    ("نورة", "Noora"),
    ("ريا", "Raya"),
    ("بدرية", "Badriya"),
    ("ليلى", "Laila"),
];
const FAMILY: [(&str, &str); 12] = [
    ("البلوشي", "Al Balushi"),
    ("الحارثي", "Al Harthy"),
    ("الهنائي", "Al Hinai"),
    ("الكندي", "Al Kindi"),
    ("الريامي", "Al Riyami"),
    ("الشكيلي", "Al Shukaili"),
    ("السعدي", "Al Saadi"),
    ("المعمري", "Al Maamari"),
    ("العبري", "Al Abri"),
    ("الرواحي", "Al Rawahi"),
    ("الغافري", "Al Ghafri"),
    ("الوهيبي", "Al Wahaibi"),
];

/// The people of a synthetic roll, wilayat by wilayat: `registered_voters_synth / divisor`
/// per wilayat (at least one), `election_day` fixing ages and ID-card validity.
pub fn roll(
    rows: &[WilayatRow],
    divisor: u64,
    election_day: Date,
    seed: u64,
) -> impl Iterator<Item = RollRecord> {
    let divisor = divisor.max(1);
    let ids: Vec<WilayatId> = rows
        .iter()
        .map(|r| WilayatId(slug(&r.wilayat.en)))
        .collect();
    let counts: Vec<u64> = rows
        .iter()
        .map(|r| (r.registered_voters_synth / divisor).max(1))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let offset = seed % 90_000_000;
    let reference =
        Date::from_calendar_date(election_day.year(), Month::January, 1).unwrap_or(election_day);
    let mut serial: u64 = 0;
    (0..ids.len()).flat_map(move |w| {
        let n = counts[w];
        let people: Vec<RollRecord> = (0..n)
            .map(|_| {
                serial += 1;
                person(&mut rng, &ids, w, serial, offset, reference, election_day)
            })
            .collect();
        people
    })
}

#[allow(clippy::too_many_arguments)]
fn person(
    rng: &mut StdRng,
    ids: &[WilayatId],
    w: usize,
    serial: u64,
    offset: u64,
    reference: Date,
    election_day: Date,
) -> RollRecord {
    // Exactly ⌊N·5186/10000⌋ men among the first N people, spread evenly.
    let k = serial - 1;
    let male = (k + 1) * MEN_PER_10K / 10_000 > k * MEN_PER_10K / 10_000;
    let gender = if male { Gender::Male } else { Gender::Female };
    let pick = |rng: &mut StdRng, list: &[(&'static str, &'static str)]| {
        list[rng.random_range(0..list.len())]
    };
    let given = pick(rng, if male { &MALE } else { &FEMALE });
    let father = pick(rng, &MALE);
    let family = pick(rng, &FAMILY);
    let (link_ar, link_en) = if male {
        ("بن", "bin")
    } else {
        ("بنت", "bint")
    };
    let mut roll = rng.random_range(0..1000u32);
    let (lo, hi, _) = *AGE_GROUPS
        .iter()
        .find(|(_, _, weight)| {
            if roll < *weight {
                true
            } else {
                roll -= weight;
                false
            }
        })
        .unwrap_or(&AGE_GROUPS[0]);
    let age = rng.random_range(lo..=hi);
    let date_of_birth = reference
        .replace_year(reference.year() - age - 1)
        .unwrap_or(reference)
        + Duration::days(rng.random_range(1..=365));
    let expiry = if rng.random_range(0..100u32) == 0 {
        election_day - Duration::days(rng.random_range(1..=400))
    } else {
        election_day + Duration::days(rng.random_range(0..=3650))
    };
    let current = if rng.random_range(0..100u32) < 8 {
        rng.random_range(0..ids.len())
    } else {
        w
    };
    let first_time = age <= 25 && rng.random_range(0..100u32) < 25;
    RollRecord {
        civil_number: CivilNumber::parse(
            &(10_000_000 + (serial * 7919 + offset) % 90_000_000).to_string(),
        )
        .expect("eight digits"),
        name_ar: format!("{} {link_ar} {} {}", given.0, father.0, family.0),
        name_en: format!("{} {link_en} {} {}", given.1, father.1, family.1),
        date_of_birth,
        gender,
        nationality: OMANI.into(),
        id_card_number: format!("{:09}", (serial * 104_729 + offset) % 1_000_000_000),
        id_card_expiry: expiry,
        permanent_wilayat: ids[w].clone(),
        current_wilayat: ids[current].clone(),
        security_military: false,
        abroad: rng.random_range(0..1000u32) < 28,
        registered_wilayat: if first_time {
            None
        } else {
            Some(ids[w].clone())
        },
    }
}
