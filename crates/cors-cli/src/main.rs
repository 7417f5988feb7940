//! The `cors` command; see `cors --help` and the crate's README.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let status = cors_cli::cli::run(
        std::env::args().skip(1),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(status)
}
