//! A sample election for demos and tests: the 11th-term Shura election on an illustrative
//! 2027 calendar (the real dates are set by decree), over Oman's real wilayats and seats.
//! Keys other than the ones passed in are derived from fixed seeds: fine for a demo,
//! never for an election.

use ed25519_dalek::SigningKey;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::{
    Authorities, ElectionKind, KeyHolder, MANIFEST_FORMAT, Manifest, Names, TallyMethod, Trustees,
    Window, Windows, Witnesses,
};
use sawt_election::oman;
use time::macros::datetime;

fn ms(t: time::OffsetDateTime) -> u64 {
    (t.unix_timestamp() as u64) * 1000
}

/// The sample calendar, Oman time (UTC+04:00):
///
/// | window | from | until |
/// |---|---|---|
/// | registration | 2027-03-01 08:00 | 2027-04-01 00:00 |
/// | (objections) | 2027-04-01 00:00 | 2027-04-06 00:00 |
/// | candidacy | 2027-04-10 08:00 | 2027-05-01 00:00 |
/// | key generation | 2027-06-01 08:00 | 2027-06-10 00:00 |
/// | campaign | 2027-09-01 00:00 | 2027-10-20 00:00 |
/// | voting abroad | 2027-10-21 08:00 | 2027-10-21 19:00 |
/// | voting at home | 2027-10-28 08:00 | 2027-10-28 19:00 |
pub fn windows() -> Windows {
    let w = |a, b| Window {
        start_ms: ms(a),
        end_ms: ms(b),
    };
    Windows {
        registration: w(
            datetime!(2027-03-01 08:00 +4),
            datetime!(2027-04-01 00:00 +4),
        ),
        candidacy: w(
            datetime!(2027-04-10 08:00 +4),
            datetime!(2027-05-01 00:00 +4),
        ),
        key_generation: w(
            datetime!(2027-06-01 08:00 +4),
            datetime!(2027-06-10 00:00 +4),
        ),
        campaign: w(
            datetime!(2027-09-01 00:00 +4),
            datetime!(2027-10-20 00:00 +4),
        ),
        voting_abroad: w(
            datetime!(2027-10-21 08:00 +4),
            datetime!(2027-10-21 19:00 +4),
        ),
        voting_home: w(
            datetime!(2027-10-28 08:00 +4),
            datetime!(2027-10-28 19:00 +4),
        ),
    }
}

fn holders(n: u32, seed: u8) -> Vec<KeyHolder> {
    (1..=n)
        .map(|i| KeyHolder {
            index: i,
            name: Names {
                ar: format!("الجهة {i}"),
                en: format!("Holder {i}"),
            },
            key: PublicKeyHex::from_key(
                &SigningKey::from_bytes(&[seed + i as u8; 32]).verifying_key(),
            ),
        })
        .collect()
}

/// The sample Shura manifest with these authorities, over the first `wilayats` wilayats of
/// the built-in table (all 63 for the national election), candidates from the synthetic
/// counts.
pub fn manifest(authorities: Authorities, wilayats: usize) -> Manifest {
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).expect("the built-in table parses");
    let rows = &rows[..wilayats.clamp(1, rows.len())];
    let mut geography = oman::geography(rows);
    geography
        .governorates
        .retain(|g| geography.wilayats.iter().any(|w| w.governorate == g.id));
    Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "shura-11".into(),
        kind: ElectionKind::Shura,
        term: 11,
        name: Names {
            ar: "انتخابات مجلس الشورى للفترة الحادية عشرة".into(),
            en: "Shura Council election, 11th term".into(),
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: windows(),
        contests: oman::contests(rows, ElectionKind::Shura, TallyMethod::Homomorphic),
        geography,
        trustees: Trustees {
            threshold: 2,
            members: holders(3, 100),
        },
        mixers: holders(1, 120),
        witnesses: Witnesses {
            quorum: 1,
            members: holders(1, 140),
        },
        authorities,
    }
}
