//! The always-on twin of the fuzz targets in `fuzz/`: the same round-trip checks
//! (`sawt_crypto::fuzzing`) run on arbitrary bytes and on valid encodings with one byte
//! flipped, truncated or extended. The case counts are kept small so the file runs in a few
//! seconds; the fuzzers search much further.

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use sawt_crypto::SecretKey;
use sawt_crypto::fuzzing::{self, JsonCodec, Target};

/// serde_json as the JSON codec of [`fuzzing::round_trip_json`].
struct SerdeJson;

impl JsonCodec for SerdeJson {
    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }

    fn print<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("these values always serialise")
    }
}

fn targets() -> &'static [Target] {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(fuzzing::targets::<SerdeJson>)
}

/// A valid encoding picked by two indices: the target and the sample.
fn pick(target: Index, sample: Index) -> (&'static Target, Vec<u8>) {
    let f = target.get(targets());
    (f, sample.get(&f.valid).clone())
}

#[test]
fn valid_encodings_are_accepted() {
    for f in targets() {
        assert!(!f.valid.is_empty(), "{}: no samples", f.name);
        for (i, bytes) in f.valid.iter().enumerate() {
            assert!(
                (f.check)(bytes),
                "{}: valid sample #{i} rejected: {}",
                f.name,
                hex::encode(bytes)
            );
        }
    }
}

#[test]
fn every_target_has_a_fuzz_target() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut names: Vec<_> = targets().iter().map(|t| t.name).collect();
    for name in &names {
        let file = dir.join(format!("{name}.rs"));
        assert!(file.exists(), "no fuzz target {}", file.display());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), targets().len(), "duplicate target names");
}

#[test]
fn json_whitespace_and_member_order_are_accepted() {
    let ct = SecretKey::generate()
        .public_key()
        .prepare()
        .encrypt_with_rng(1, &mut sawt_crypto::rng::os_rng())
        .0;
    let (a, b) = (ct.alpha().to_hex(), ct.beta().to_hex());
    let text = format!(" {{ \"beta\" :\n\"{b}\",\t\"alpha\": \"{a}\" }}\r\n");
    assert!(fuzzing::round_trip_json::<SerdeJson>(text.as_bytes()));
    assert!(fuzzing::round_trip_json::<SerdeJson>(
        format!(" \"{a}\"\n").as_bytes()
    ));
    // Upper-case hexadecimal and unknown members are rejected.
    assert!(!fuzzing::round_trip_json::<SerdeJson>(
        format!("\"{}\"", a.to_uppercase()).as_bytes()
    ));
    let extra = format!("{{\"alpha\":\"{a}\",\"beta\":\"{b}\",\"gamma\":1}}");
    assert!(!fuzzing::round_trip_json::<SerdeJson>(extra.as_bytes()));
}

/// Byte strings biased towards the lengths of the fixed-size encodings, where random input
/// decodes often enough to exercise the success path.
fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..400),
        vec(any::<u8>(), 32),
        vec(any::<u8>(), 64),
        vec(any::<u8>(), 96),
        vec(any::<u8>(), 100),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_decode_cleanly(data in arbitrary_bytes()) {
        for f in targets() {
            (f.check)(&data);
        }
    }

    #[test]
    fn arbitrary_text_decodes_cleanly(text in "[\\[\\]{}\":, 0-9a-f]{0,80}|\"[0-9a-f]{64}\"") {
        fuzzing::round_trip_json::<SerdeJson>(text.as_bytes());
        fuzzing::round_trip_element(text.as_bytes());
        fuzzing::round_trip_scalar(text.as_bytes());
    }

    #[test]
    fn one_byte_flipped(target: Index, sample: Index, at: Index, mask in 1u8..=255) {
        let (f, mut bytes) = pick(target, sample);
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        (f.check)(&bytes);
    }

    #[test]
    fn truncated(target: Index, sample: Index, len: Index) {
        let (f, bytes) = pick(target, sample);
        let cut = &bytes[..len.index(bytes.len())];
        let accepted = (f.check)(cut);
        prop_assert!(
            !(accepted && f.length_is_determined),
            "{}: truncation to {} bytes accepted",
            f.name,
            cut.len()
        );
    }

    #[test]
    fn extended(target: Index, sample: Index, extra in vec(any::<u8>(), 1..64)) {
        let (f, mut bytes) = pick(target, sample);
        bytes.extend_from_slice(&extra);
        let accepted = (f.check)(&bytes);
        prop_assert!(!(accepted && f.length_is_determined), "{}: trailing bytes accepted", f.name);
    }
}
