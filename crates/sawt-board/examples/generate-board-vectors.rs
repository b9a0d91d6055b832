//! Writes `protocol-spec/vectors/board.json`: `cargo run -p sawt-board --example generate-board-vectors`.

#[path = "../tests/vectors/generate.rs"]
mod generate;

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../protocol-spec/vectors/board.json");
    std::fs::write(&path, generate::board())?;
    println!("wrote protocol-spec/vectors/board.json");
    Ok(())
}
