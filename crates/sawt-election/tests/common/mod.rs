//! A national Shura manifest with deterministic keys, shared by the tests.
#![allow(dead_code, unused_imports)]

use ed25519_dalek::SigningKey;
use sawt_election::keys::PublicKeyHex;
use sawt_election::manifest::*;
use sawt_election::oman;

pub(crate) fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub(crate) fn key(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key())
}

pub(crate) fn holders(n: u32, seed: u8, what: &str) -> Vec<KeyHolder> {
    (1..=n)
        .map(|i| KeyHolder {
            index: i,
            name: Names {
                ar: format!("{what} {i}"),
                en: format!("{what} {i}"),
            },
            key: key(seed + i as u8),
        })
        .collect()
}

pub(crate) fn window(day: u64) -> Window {
    let base = 1_798_761_600_000u64; // 2027-01-01T00:00Z
    Window {
        start_ms: base + day * 86_400_000,
        end_ms: base + (day + 1) * 86_400_000,
    }
}

pub(crate) fn shura() -> Manifest {
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).unwrap();
    Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "shura-11".into(),
        kind: ElectionKind::Shura,
        term: 11,
        name: Names {
            ar: "انتخابات مجلس الشورى، الفترة الحادية عشرة".into(),
            en: "Majlis al-Shura elections, 11th term".into(),
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: Windows {
            registration: window(0),
            candidacy: window(2),
            key_generation: window(4),
            campaign: window(5),
            voting_abroad: window(10),
            voting_home: window(17),
        },
        geography: oman::geography(&rows),
        contests: oman::contests(&rows, ElectionKind::Shura, TallyMethod::Homomorphic),
        trustees: Trustees {
            threshold: 3,
            members: holders(5, 10, "Trustee"),
        },
        mixers: holders(3, 20, "Mixer"),
        witnesses: Witnesses {
            quorum: 2,
            members: holders(3, 30, "Witness"),
        },
        authorities: Authorities {
            election_authority: key(1),
            registrar: key(2),
            board_operator: key(3),
        },
    }
}
