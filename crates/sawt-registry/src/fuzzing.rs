//! Checks of the registry's two decoders of untrusted input, for the fuzz targets under
//! `fuzz/` and their always-on proptest twins. Never a panic on any input; a panic here is a
//! real bug.
//!
//! * [`roll_csv`]: a civil-registry export. Every accepted row written back and parsed again
//!   is the same record.
//! * [`identity_assertion`]: a signed identity assertion as JSON, checked against a fixed
//!   provider, election and time. Nothing forged verifies; what decodes re-encodes.

use std::collections::HashSet;

use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;

use crate::identity::{SignedAssertion, signing_message, verify};
use crate::roll::{parse_csv, write_csv};

/// The wilayats the roll checks use.
pub const WILAYATS: [&str; 3] = ["muscat", "muttrah", "bawshar"];

/// Parses `data` as an export; returns how many rows were accepted.
pub fn roll_csv(data: &[u8]) -> usize {
    let known: HashSet<WilayatId> = WILAYATS.iter().map(|w| WilayatId((*w).into())).collect();
    let Ok(rows) = parse_csv(data, &known) else {
        return 0;
    };
    let accepted: Vec<_> = rows.into_iter().filter_map(|(_, r)| r.ok()).collect();
    let mut out = Vec::new();
    write_csv(&mut out, accepted.clone()).expect("writing to memory");
    let again = parse_csv(&out, &known).expect("a written export has its header");
    assert_eq!(
        again.len(),
        accepted.len(),
        "a written row was split or lost"
    );
    for ((_, r), original) in again.iter().zip(&accepted) {
        let r = r.as_ref().expect("a written row parses again");
        assert!(r == original, "a row does not survive writing and reading");
    }
    accepted.len()
}

/// The provider key the fuzz target checks against (seed `[5; 32]`).
pub fn fixed_provider() -> PublicKeyHex {
    PublicKeyHex::from_key(&ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key())
}

/// Decodes `data` as a signed assertion and verifies it against `provider`, election
/// `[7; 32]` and time 10⁶ ms; returns whether it verified.
pub fn identity_assertion(data: &[u8], provider: &PublicKeyHex) -> bool {
    let Ok(signed) = serde_json::from_slice::<SignedAssertion>(data) else {
        return false;
    };
    let _ = signing_message(&signed.assertion);
    let encoded = serde_json::to_vec(&signed).expect("a decoded assertion encodes");
    let again: SignedAssertion = serde_json::from_slice(&encoded).expect("and decodes again");
    assert!(
        again == signed,
        "an assertion does not survive a round trip"
    );
    verify(&signed, std::slice::from_ref(provider), &[7; 32], 1_000_000).is_ok()
}
