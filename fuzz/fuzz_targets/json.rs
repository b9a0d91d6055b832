#![no_main]

use sawt_crypto::fuzzing::{JsonCodec, round_trip_json};

/// serde_json as the JSON codec of the shared check.
struct SerdeJson;

impl JsonCodec for SerdeJson {
    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }

    fn print<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("these values always serialise")
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    round_trip_json::<SerdeJson>(data);
});
