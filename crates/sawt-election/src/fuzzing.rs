//! Round-trip checks of the record's decoders, for the fuzz targets under `fuzz/` and their
//! always-on proptest twins: decode, and if accepted, the canonical encoding must be exactly
//! the input. Never a panic on any input; a panic here is a real bug.

use crate::entry::SignedEntry;
use crate::manifest::Manifest;

/// [`SignedEntry::decode`]: returns whether the input was accepted.
pub fn round_trip_signed_entry(data: &[u8]) -> bool {
    match SignedEntry::decode(data) {
        Ok(e) => {
            let again = e.canonical_bytes().expect("a decoded entry encodes");
            assert!(
                again == data,
                "an accepted entry does not re-encode to itself"
            );
            true
        }
        Err(_) => false,
    }
}

/// [`Manifest::from_canonical_bytes`]: returns whether the input was accepted.
pub fn round_trip_manifest(data: &[u8]) -> bool {
    match Manifest::from_canonical_bytes(data) {
        Ok(m) => {
            let again = m.canonical_bytes().expect("a decoded manifest encodes");
            assert!(
                again == data,
                "an accepted manifest does not re-encode to itself"
            );
            true
        }
        Err(_) => false,
    }
}
