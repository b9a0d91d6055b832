//! What the fuzz targets share besides `sawt_crypto::fuzzing`: the JSON codec.

use sawt_crypto::fuzzing::JsonCodec;

/// serde_json as the JSON codec of `sawt_crypto::fuzzing::round_trip_json`.
pub struct SerdeJson;

impl JsonCodec for SerdeJson {
    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }

    fn print<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("these values always serialise")
    }
}
