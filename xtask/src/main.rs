//! The project's automation: `cargo xtask <command>`.
//!
//! `ci` is the one test command: what CI runs, and what a contributor runs
//! before pushing. Each step is an ordinary cargo invocation, printed before
//! it runs, so a failure can be reproduced by hand.
//!
//! `mutants` runs cargo-mutants over the engine and the adapters and
//! writes `MUTANTS.md`.
//!
//! `fuzz` runs every cargo-fuzz target in turn (nightly and cargo-fuzz
//! needed) and reports how many inputs each one executed.

mod bench;
mod browser;
mod mutants;
mod publish;
mod soak;

use std::env;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci                     format check, clippy, tests (doctests included), docs, bench build,
                         packages (built and doctested from the packaged files), MSRV, cargo deny
  publish-check          the packaging, MSRV and cargo deny steps of ci alone
  browser [--browser chromium|firefox]
                         the end-to-end suite in headless Chromium and Firefox ESR, or one of them
                         (needs chromium, chromedriver, firefox-esr, geckodriver)
  bench [--runs N]       run every benchmark, the framework bench N times (default 3; about 20
                         minutes), and write BENCHMARKS.md (medians, and the spread of the ratios)
  bench --e2e [--seconds S] [--rounds R]
                         release cors-demo against the peer crates over 127.0.0.1 with wrk (needs wrk);
                         writes its own section of BENCHMARKS.md
  fuzz [--seconds N] [TARGET...]
                         run each fuzz target (all by default) for N seconds (default 60)
                         with cargo +nightly fuzz; fails on any crash
  mutants [--in-diff BASE | --iterate] [PACKAGE...]
                         mutation testing with cargo-mutants (installed when missing) of cors-core
                         and the adapters (all by default), each by the tests that exercise it;
                         fails on any missed mutant; writes MUTANTS.md unless --in-diff;
                         --iterate re-tests only what the last run did not catch
                         (hours on two cores: not part of ci)
  soak [--reload [--reloads R]] [--requests N] [--framework X]
                         load cors-demo in each framework (200000 requests each, release build);
                         fails on any wrong answer or memory growth of 10% or more; with --reload,
                         100000 requests while the policy file is replaced R times (default 1000)
                         under cors-demo --watch, every answer exactly one of the two policies'";

/// The cargo-fuzz targets, in the order `fuzz` runs them.
const FUZZ_TARGETS: [&str; 7] = [
    "evaluate",
    "requests",
    "browser",
    "routes",
    "policy",
    "origin_pattern",
    "request_headers",
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("publish-check") => publish::check(),
        Some("browser") => browser::run(),
        Some("bench") => bench::run(),
        Some("soak") => soak::run(&args[1..]),
        Some("mutants") => mutants::run(&args[1..]),
        Some("fuzz") => match fuzz_options(&args[1..]) {
            Ok((seconds, targets)) => fuzz(seconds, &targets),
            Err(message) => {
                eprintln!("{message}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("unknown command {:?}\n\n{USAGE}", other.unwrap_or("(none)"));
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(step) => {
            eprintln!("xtask: step failed: {step}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo` with `args` (and extra environment), failing with the
/// command line.
fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let line = format!("cargo {}", args.join(" "));
    println!("\n==> {line}");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .map_err(|e| format!("{line}: {e}"))?;
    if status.success() { Ok(()) } else { Err(line) }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // `--all-features` turns on the browser suite: skipped here, run once below.
    cargo(
        &[
            "test",
            "--workspace",
            "--all-features",
            "--",
            "--skip",
            browser::TEST_NAME,
        ],
        &[],
    )?;
    browser::run()?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    cargo(&["bench", "--workspace", "--no-run"], &[])?;
    publish::check()?;
    println!("\nxtask ci: all steps passed");
    Ok(())
}

/// Reads `[--seconds N] [TARGET...]`.
fn fuzz_options(args: &[String]) -> Result<(u64, Vec<&'static str>), String> {
    let mut seconds = 60;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            let value = args.next().ok_or("--seconds needs a value")?;
            seconds = value
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("--seconds: {value:?} is not a positive number"))?;
        } else if let Some(&target) = FUZZ_TARGETS.iter().find(|t| **t == arg) {
            targets.push(target);
        } else {
            return Err(format!(
                "unknown fuzz target {arg:?}; the targets are {}",
                FUZZ_TARGETS.join(", ")
            ));
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.to_vec();
    }
    Ok((seconds, targets))
}

/// Runs each target for `seconds`, one after the other, from `fuzz/`.
///
/// New inputs go to a scratch corpus under `fuzz/target/corpus/<target>`;
/// the checked-in seeds (`fuzz/corpus/<target>`) and regressions
/// (`fuzz/regressions/<target>`) are only read, so a run never rewrites
/// them. A crash is left in `fuzz/artifacts/<target>/`: copy it to
/// `fuzz/regressions/<target>/` once fixed.
fn fuzz(seconds: u64, targets: &[&str]) -> Result<(), String> {
    let fuzz_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut results = Vec::new();
    for target in targets {
        let scratch = format!("target/corpus/{target}");
        std::fs::create_dir_all(fuzz_dir.join(&scratch))
            .map_err(|e| format!("creating fuzz/{scratch}: {e}"))?;
        let max_total_time = format!("-max_total_time={seconds}");
        let seeds = format!("corpus/{target}");
        let regressions = format!("regressions/{target}");
        let args = [
            "+nightly",
            "fuzz",
            "run",
            target,
            &scratch,
            &seeds,
            &regressions,
            "--",
            &max_total_time,
            "-print_final_stats=1",
        ];
        let line = format!("cargo {}", args.join(" "));
        println!("\n==> (in fuzz/) {line}");
        // Through rustup's `cargo`, not `$CARGO`: the latter is the stable
        // cargo running xtask, which knows no `+nightly`.
        let mut child = Command::new("cargo")
            .args(args)
            .current_dir(&fuzz_dir)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{line}: {e}"))?;
        // libFuzzer reports on stderr: pass it through, keeping the count.
        let mut executions = None;
        if let Some(stderr) = child.stderr.take() {
            for text in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{text}");
                if let Some(n) = executed_units(&text) {
                    executions = Some(n);
                }
            }
        }
        let status = child.wait().map_err(|e| format!("{line}: {e}"))?;
        results.push((target, status.success(), executions));
    }

    println!("\nxtask fuzz: {seconds} s per target");
    for (target, ok, executions) in &results {
        let executions = executions.map_or("unknown".to_owned(), |n| n.to_string());
        let verdict = if *ok { "ok" } else { "FAILED" };
        println!("  {target:<16} {executions:>12} executions  {verdict}");
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(t, _, _)| **t)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz target(s) {} crashed; the inputs are in fuzz/artifacts/",
            failed.join(", ")
        ))
    }
}

/// The number of executed inputs in one line of libFuzzer's output: the
/// final `stat::number_of_executed_units: N`, or the `#N DONE ...` line.
fn executed_units(line: &str) -> Option<u64> {
    if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
        return rest.trim().parse().ok();
    }
    let rest = line.strip_prefix('#')?;
    let (count, event) = rest.split_once(char::is_whitespace)?;
    if event.trim_start().starts_with("DONE") {
        count.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_execution_counts() {
        assert_eq!(
            executed_units("stat::number_of_executed_units: 1234567"),
            Some(1_234_567)
        );
        assert_eq!(
            executed_units("#2097152\tDONE   cov: 1021 ft: 4301 corp: 612/14Kb exec/s: 34952"),
            Some(2_097_152)
        );
        assert_eq!(
            executed_units("#1024\tpulse  cov: 900 ft: 3000 corp: 500/10Kb"),
            None
        );
        assert_eq!(executed_units("INFO: Seed: 42"), None);
    }

    #[test]
    fn fuzz_options() {
        let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            super::fuzz_options(&[]).unwrap(),
            (60, FUZZ_TARGETS.to_vec())
        );
        assert_eq!(
            super::fuzz_options(&args(&["--seconds", "5", "policy"])).unwrap(),
            (5, vec!["policy"])
        );
        assert!(super::fuzz_options(&args(&["--seconds"])).is_err());
        assert!(super::fuzz_options(&args(&["--seconds", "0"])).is_err());
        assert!(super::fuzz_options(&args(&["nope"])).is_err());
    }
}
