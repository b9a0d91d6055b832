//! The always-on twin of the `signed_entry` and `manifest` fuzz targets: arbitrary bytes and
//! mutated valid encodings never panic, and whatever is accepted re-encodes to itself.

mod common;

use proptest::prelude::*;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::fuzzing::{round_trip_manifest, round_trip_signed_entry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};

fn valid_entry() -> Vec<u8> {
    let k = common::signing_key(2);
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32([9; 32]),
        author: PublicKeyHex::from_key(&k.verifying_key()),
        timestamp_ms: 1_798_761_600_000,
        body: EntryBody::CredentialEnrolment {
            credential: common::key(150),
            wilayat: WilayatId("bawshar".into()),
        },
    }
    .sign(&k)
    .unwrap()
    .canonical_bytes()
    .unwrap()
}

#[test]
fn valid_encodings_are_accepted() {
    assert!(round_trip_signed_entry(&valid_entry()));
    assert!(round_trip_manifest(
        &common::shura().canonical_bytes().unwrap()
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        round_trip_signed_entry(&data);
        round_trip_manifest(&data);
    }

    #[test]
    fn mutated_entries_are_refused(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut data = valid_entry();
        let i = at.index(data.len());
        data[i] ^= 1 << bit;
        // Any single-bit change breaks the encoding, the signature or the canonical form.
        prop_assert!(!round_trip_signed_entry(&data));
    }
}
