//! The always-on twins of the `roll_csv` and `identity_assertion` fuzz targets: arbitrary
//! bytes and mutated valid inputs never panic; only the provider's own assertions verify.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::CivilNumber;
use sawt_registry::fuzzing::{identity_assertion, roll_csv};
use sawt_registry::identity::IdentityProvider;
use sawt_registry::roll::HEADER;

const ROW: &str =
    "12345678,سالم,Salim,1985-06-15,M,OM,A1234567,2030-01-01,muscat,muttrah,0,0,muscat";

fn export() -> Vec<u8> {
    format!("{}\n{ROW}\n", HEADER.join(",")).into_bytes()
}

fn provider() -> IdentityProvider {
    IdentityProvider::new(SigningKey::from_bytes(&[5; 32]))
}

fn assertion() -> Vec<u8> {
    let a = provider()
        .assert(
            [7; 32],
            CivilNumber::parse("12345678").unwrap(),
            PublicKeyHex::from_key(&SigningKey::from_bytes(&[6; 32]).verifying_key()),
            1_000_000,
            &mut rand::rng(),
        )
        .unwrap();
    serde_json::to_vec(&a).unwrap()
}

#[test]
fn valid_inputs_are_accepted() {
    assert_eq!(roll_csv(&export()), 1);
    assert!(identity_assertion(&assertion(), &provider().public()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        roll_csv(&data);
        prop_assert!(!identity_assertion(&data, &provider().public()));
    }

    #[test]
    fn mutated_exports_never_panic(i in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut data = export();
        let k = i.index(data.len());
        data[k] = b;
        roll_csv(&data);
    }

    #[test]
    fn mutated_assertions_do_not_verify(i in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut data = assertion();
        let k = i.index(data.len());
        prop_assume!(data[k] != b);
        data[k] = b;
        // A change may leave JSON with the same meaning (whitespace, say); any change of
        // meaning breaks the signature.
        let same = serde_json::from_slice::<serde_json::Value>(&data).ok()
            == serde_json::from_slice::<serde_json::Value>(&assertion()).ok();
        prop_assert!(same || !identity_assertion(&data, &provider().public()));
    }
}
