//! `cargo xtask soak`: a bounded load and soak run of the demo server in
//! each framework, over loopback.
//!
//! It builds `cors-demo` and the load generator `cors-soak` (both in the
//! examples package) in release mode, then runs `cors-soak` with the
//! options given (`--requests N`, `--framework X`, `--seconds S`), which
//! prints a table of requests per second and memory per framework and fails
//! on any wrong answer, on memory growth of 10% or more, or when the
//! requests were not all answered in time.
//!
//! `cargo xtask soak --reload [--reloads R]` replaces the policy while
//! serving: `cors-demo --watch` serves a policy file that `cors-soak`
//! rewrites R times (default 1,000) during 100,000 requests, alternating
//! two policies that answer differently; every answer must be exactly one
//! of the two policies' (status, headers, body), and the table adds the
//! reloads and how many answers were each policy's. See
//! `examples/src/bin/cors-soak.rs`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds both programs, then runs the load generator with `args`.
pub fn run(args: &[String]) -> Result<(), String> {
    crate::cargo(
        &[
            "build",
            "--release",
            "-p",
            "cors-examples",
            "--bin",
            "cors-demo",
            "--bin",
            "cors-soak",
        ],
        &[],
    )?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace");
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let program = target.join("release/cors-soak");
    let line = [program.display().to_string()]
        .into_iter()
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    println!("\n==> {line}");
    let status = Command::new(&program)
        .args(args)
        .status()
        .map_err(|e| format!("{line}: {e}"))?;
    if status.success() { Ok(()) } else { Err(line) }
}
