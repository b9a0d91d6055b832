#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sawt_election::fuzzing::round_trip_signed_entry(data);
});
