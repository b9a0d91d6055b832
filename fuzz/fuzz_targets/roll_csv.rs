#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sawt_registry::fuzzing::roll_csv(data);
});
