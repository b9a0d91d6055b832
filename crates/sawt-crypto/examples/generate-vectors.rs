//! Writes the known-answer vectors to `protocol-spec/vectors/`:
//! `cargo run -p sawt-crypto --example generate-vectors`.

#[path = "../tests/vectors/generate.rs"]
mod generate;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocol-spec/vectors");
    std::fs::create_dir_all(&dir)?;
    for (name, text) in generate::all() {
        std::fs::write(dir.join(name), text)?;
        println!("wrote protocol-spec/vectors/{name}");
    }
    Ok(())
}
