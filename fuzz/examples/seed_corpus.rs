//! Writes valid encodings of every kind into `corpus/<target>/`, as the fuzzers' starting
//! point: `cargo run --release --example seed_corpus`. Without seeds, a fuzzer seldom gets
//! past the first few fields of the longer encodings (a dealing needs dozens of valid
//! elements in a row).

use std::fs;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for target in sawt_crypto::fuzzing::targets::<sawt_fuzz::SerdeJson>() {
        let dir = corpus.join(target.name);
        fs::create_dir_all(&dir)?;
        for (i, bytes) in target.valid.iter().enumerate() {
            fs::write(dir.join(format!("seed-{i:02}")), bytes)?;
        }
        println!("corpus/{}: {} seeds", target.name, target.valid.len());
    }
    Ok(())
}
