#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let provider = sawt_registry::fuzzing::fixed_provider();
    sawt_registry::fuzzing::identity_assertion(data, &provider);
});
