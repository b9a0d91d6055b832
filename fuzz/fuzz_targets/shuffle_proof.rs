#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sawt_crypto::fuzzing::round_trip_shuffle_proof(data);
});
