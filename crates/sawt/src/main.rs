//! The `sawt` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    sawt::cli::main()
}
