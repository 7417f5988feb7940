//! `cargo xtask mutants`: mutation testing of the engine and the adapters
//! with cargo-mutants, and `MUTANTS.md`.
//!
//! Each package's mutants are tested by the tests that exercise it and
//! nothing slower: cors-core by its own unit and integration tests only
//! (so everything it exports for adapters must be tested in cors-core
//! itself), each adapter by its own tests plus its conformance runner in
//! `examples/`. Doctests are left out: they compile one binary each, which
//! would multiply the time per mutant, and every behaviour they show is
//! also asserted by an ordinary test.
//!
//! Mutants that cannot change behaviour are excluded in
//! `.cargo/mutants.toml`, each with the reason; cargo-mutants reads that
//! file itself, so a direct `cargo mutants` run agrees with this command.
//!
//! A full run (no `--in-diff`) rewrites the rows of `MUTANTS.md` for the
//! packages it ran and keeps the others, so the file can be brought up to
//! date one package at a time. The command fails when any mutant is missed.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The mutated packages, in the order a full run takes them.
pub const PACKAGES: [&str; 5] = [
    "cors-core",
    "cors-axum",
    "cors-actix",
    "cors-rocket",
    "cors-warp",
];

/// The conformance runner in `examples/tests/` for each adapter.
fn conformance_runner(package: &str) -> Option<&'static str> {
    match package {
        "cors-axum" => Some("conformance_axum"),
        "cors-actix" => Some("conformance_actix"),
        "cors-rocket" => Some("conformance_rocket"),
        "cors-warp" => Some("conformance_warp"),
        _ => None,
    }
}

/// What the command was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// Only mutants in lines changed since this git revision.
    pub in_diff: Option<String>,
    /// Only the mutants not caught by the last run in the same output
    /// directory (its missed ones and timeouts, and any that edits since
    /// created).
    pub iterate: bool,
    /// The packages to mutate.
    pub packages: Vec<String>,
}

/// Reads `[--in-diff BASE | --iterate] [PACKAGE...]`.
pub fn options(args: &[String]) -> Result<Options, String> {
    let mut in_diff = None;
    let mut iterate = false;
    let mut packages = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--in-diff" => {
                let base = args.next().ok_or("--in-diff needs a git revision")?;
                in_diff = Some(base.clone());
            }
            "--iterate" => iterate = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            package if PACKAGES.contains(&package) => packages.push(package.to_owned()),
            other => {
                return Err(format!(
                    "{other} is not a mutated package; choose from {}",
                    PACKAGES.join(", ")
                ));
            }
        }
    }
    if packages.is_empty() {
        packages = PACKAGES.iter().map(|p| (*p).to_owned()).collect();
    }
    if iterate && in_diff.is_some() {
        return Err("--iterate and --in-diff do not go together".to_owned());
    }
    Ok(Options {
        in_diff,
        iterate,
        packages,
    })
}

/// The outcome of one package's run.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// The package.
    pub package: String,
    /// When it ran (UTC date).
    pub date: String,
    /// Mutants generated (after the exclusions).
    pub total: u64,
    /// Mutants some test failed on.
    pub caught: u64,
    /// Mutants every test passed with: missing assertions.
    pub missed: u64,
    /// Mutants that did not build.
    pub unviable: u64,
    /// Mutants whose tests ran past the time limit (hangs: caught).
    pub timeouts: u64,
    /// Minutes the package took, baseline included.
    pub minutes: f64,
    /// The missed mutants, as cargo-mutants names them.
    pub missed_names: Vec<String>,
}

/// Runs the command.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = options(args)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .map_err(|e| format!("the workspace root: {e}"))?;
    ensure_cargo_mutants()?;
    let out_root = root.join("target/mutants-out");
    std::fs::create_dir_all(&out_root).map_err(|e| format!("{}: {e}", out_root.display()))?;
    let diff = match &options.in_diff {
        Some(base) => Some(write_diff(&root, &out_root, base)?),
        None => None,
    };

    // The engine on its own; the adapters in one run, so the examples
    // package (their conformance runners) is built cold once, not four times.
    let (core, adapters): (Vec<String>, Vec<String>) = options
        .packages
        .iter()
        .cloned()
        .partition(|p| p == "cors-core");
    let mut tallies = Vec::new();
    for (group, packages) in [("engine", core), ("adapters", adapters)] {
        if packages.is_empty() {
            continue;
        }
        let out = out_root.join(group);
        let mut args = mutants_args(&root, &packages, &out, diff.as_deref());
        if options.iterate {
            args.insert(1, "--iterate".to_owned());
        }
        if group == "adapters" {
            // cargo-mutants runs its baseline with the mutated packages
            // alone, where the conformance runners' names do not exist; so
            // the baseline runs here, with every test package, and
            // cargo-mutants skips its own (the limit replaces the one it
            // would derive from it).
            baseline(&args)?;
            args.splice(
                1..1,
                ["--baseline", "skip", "--timeout", "180"].map(String::from),
            );
        }
        println!("\n==> cargo {}", args.join(" "));
        let status = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(&args)
            .current_dir(&root)
            .status()
            .map_err(|e| format!("cargo mutants: {e}"))?;
        // cargo-mutants exits 2 for missed mutants and 3 for timeouts;
        // anything else but 0 is a failure of the run itself.
        if !matches!(status.code(), Some(0 | 2 | 3)) {
            return Err(format!(
                "cargo mutants for {} failed ({status})",
                packages.join(", ")
            ));
        }
        let outcomes = out.join("mutants.out/outcomes.json");
        let text = std::fs::read_to_string(&outcomes)
            .map_err(|e| format!("{}: {e}", outcomes.display()))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", outcomes.display()))?;
        for package in &packages {
            tallies.push(tally(package, packages.len(), &json, &today())?);
        }
    }

    println!("\n{}", table(&tallies));
    for tally in &tallies {
        for name in &tally.missed_names {
            println!("MISSED  {name}");
        }
    }
    if diff.is_none() {
        let path = root.join("MUTANTS.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let version = cargo_mutants_version();
        let report = if options.iterate {
            recheck_report(&old, &tallies)
        } else {
            report(&merge(&old, &tallies), &version)
        };
        std::fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("xtask mutants: wrote MUTANTS.md");
    }
    let missed: u64 = tallies.iter().map(|t| t.missed).sum();
    if missed == 0 {
        Ok(())
    } else {
        Err(format!(
            "{missed} mutant(s) missed: add the assertion that notices each, or, if it cannot \
             change behaviour, exclude it in .cargo/mutants.toml with the reason"
        ))
    }
}

/// The arguments of `cargo mutants` for `packages`: cors-core alone, or
/// adapters.
fn mutants_args(root: &Path, packages: &[String], out: &Path, diff: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> = ["mutants", "--all-features", "--profile", "mutants"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for package in packages {
        args.extend(["--package".to_owned(), package.clone()]);
    }
    // Builds and tests share two cores with whatever else runs; a hang
    // still shows as a timeout, a slow moment no longer does.
    args.extend(["--minimum-test-timeout".to_owned(), "60".to_owned()]);
    args.extend(["--output".to_owned(), out.display().to_string()]);
    if let Some(diff) = diff {
        args.push("--in-diff".to_owned());
        args.push(diff.display().to_string());
    }
    // The test targets go to every cargo command, the build included, so
    // no mutant rebuilds test binaries that will not run.
    let mut targets = vec!["--lib".to_owned()];
    let runners: Vec<&str> = packages
        .iter()
        .filter_map(|p| conformance_runner(p))
        .collect();
    if runners.is_empty() {
        targets.push("--tests".to_owned());
    } else {
        let mut tests = Vec::new();
        for package in packages {
            args.extend(["--test-package".to_owned(), package.clone()]);
            tests.extend(integration_tests(&root.join("crates").join(package)));
        }
        args.extend(["--test-package".to_owned(), "cors-examples".to_owned()]);
        // A name shared by several adapters (`lookup`) selects all of them.
        tests.sort();
        tests.dedup();
        tests.extend(runners.iter().map(|r| (*r).to_owned()));
        targets.extend(tests.into_iter().map(|t| format!("--test={t}")));
    }
    args.extend(targets.into_iter().map(|t| format!("--cargo-arg={t}")));
    args
}

/// Runs, unmutated, the tests that `args` (of `cargo mutants`) name, in
/// the profile it uses.
fn baseline(args: &[String]) -> Result<(), String> {
    let mut test = vec!["test", "--profile", "mutants", "--all-features"];
    for pair in args.windows(2) {
        if pair[0] == "--test-package" {
            test.extend(["--package", pair[1].as_str()]);
        }
    }
    test.extend(args.iter().filter_map(|a| a.strip_prefix("--cargo-arg=")));
    crate::cargo(&test, &[]).map_err(|line| format!("the unmutated tests fail: {line}"))
}

/// The integration test targets of a package: `tests/*.rs`.
fn integration_tests(package_dir: &Path) -> Vec<String> {
    let mut tests: Vec<String> = std::fs::read_dir(package_dir.join("tests"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    tests.sort();
    tests
}

/// Writes `git diff BASE` where cargo-mutants can read it.
fn write_diff(root: &Path, out_root: &Path, base: &str) -> Result<PathBuf, String> {
    let output = Command::new("git")
        .args(["diff", base])
        .current_dir(root)
        .output()
        .map_err(|e| format!("git diff {base}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git diff {base}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let path = out_root.join("in-diff.patch");
    std::fs::write(&path, output.stdout).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Installs cargo-mutants when `cargo mutants` is missing.
fn ensure_cargo_mutants() -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let present = Command::new(&cargo)
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    crate::cargo(&["install", "--locked", "cargo-mutants"], &[])
}

fn cargo_mutants_version() -> String {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(["mutants", "--version"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "cargo-mutants (version unknown)".to_owned())
}

fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// One package's tally from cargo-mutants' `outcomes.json` of a run over
/// `group_size` packages: its mutants' outcomes, and the time spent on them
/// plus its share of the baseline.
pub fn tally(package: &str, group_size: usize, json: &Value, date: &str) -> Result<Tally, String> {
    let outcomes = json
        .get("outcomes")
        .and_then(Value::as_array)
        .ok_or("outcomes.json has no outcomes")?;
    let seconds = |o: &Value| -> f64 {
        o.get("phase_results")
            .and_then(Value::as_array)
            .map_or(0.0, |phases| {
                phases
                    .iter()
                    .filter_map(|p| p.get("duration").and_then(Value::as_f64))
                    .sum()
            })
    };
    let mut tally = Tally {
        package: package.to_owned(),
        date: date.to_owned(),
        total: 0,
        caught: 0,
        missed: 0,
        unviable: 0,
        timeouts: 0,
        minutes: 0.0,
        missed_names: Vec::new(),
    };
    let mut total_seconds = 0.0;
    for outcome in outcomes {
        let summary = outcome.get("summary").and_then(Value::as_str).unwrap_or("");
        let Some(mutant) = outcome.pointer("/scenario/Mutant") else {
            // The baseline, shared by the group's packages.
            total_seconds += seconds(outcome) / group_size as f64;
            continue;
        };
        if mutant.get("package").and_then(Value::as_str) != Some(package) {
            continue;
        }
        total_seconds += seconds(outcome);
        tally.total += 1;
        match summary {
            "CaughtMutant" => tally.caught += 1,
            "MissedMutant" => {
                tally.missed += 1;
                let name = mutant.get("name").and_then(Value::as_str).unwrap_or("?");
                tally.missed_names.push(name.to_owned());
            }
            "Unviable" => tally.unviable += 1,
            "Timeout" => tally.timeouts += 1,
            other => return Err(format!("outcomes.json: unexpected outcome {other:?}")),
        }
    }
    tally.minutes = total_seconds / 60.0;
    Ok(tally)
}

const TABLE_HEADER: &str = "| package | date | mutants | caught | missed | unviable | timeouts | minutes |\n\
                            |---|---|--:|--:|--:|--:|--:|--:|\n";

/// The results table.
pub fn table(tallies: &[Tally]) -> String {
    let mut out = TABLE_HEADER.to_owned();
    for t in tallies {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} |",
            t.package, t.date, t.total, t.caught, t.missed, t.unviable, t.timeouts, t.minutes
        );
    }
    out
}

/// The rows of an existing `MUTANTS.md` replaced by this run's, in
/// [`PACKAGES`] order. Missed names are kept from the old file's list.
pub fn merge(old: &str, new: &[Tally]) -> Vec<Tally> {
    let mut merged: Vec<Tally> = Vec::new();
    for package in PACKAGES {
        if let Some(t) = new.iter().find(|t| t.package == package) {
            merged.push(t.clone());
        } else if let Some(t) = parse_row(old, package) {
            merged.push(t);
        }
    }
    merged
}

/// A package's row (and its missed mutants) from an existing report.
fn parse_row(report: &str, package: &str) -> Option<Tally> {
    let row = report
        .lines()
        .find(|l| l.starts_with(&format!("| {package} |")))?;
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    let [_, date, total, caught, missed, unviable, timeouts, minutes] = cells[..] else {
        return None;
    };
    let prefix = format!("- `{package}`: ");
    let missed_names = report
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|l| l.trim_matches('`').to_owned())
        .collect();
    Some(Tally {
        package: package.to_owned(),
        date: date.to_owned(),
        total: total.parse().ok()?,
        caught: caught.parse().ok()?,
        missed: missed.parse().ok()?,
        unviable: unviable.parse().ok()?,
        timeouts: timeouts.parse().ok()?,
        minutes: minutes.parse().ok()?,
        missed_names,
    })
}

/// The whole of `MUTANTS.md`.
pub fn report(tallies: &[Tally], version: &str) -> String {
    let mut out = String::from(
        "# Mutation testing\n\n\
         Written by `cargo xtask mutants` (the rows of the packages it ran are \
         replaced, the others kept); do not edit by hand.\n\n\
         Each package's mutants are tested by the tests that exercise it: \
         cors-core by its own unit and integration tests, each adapter by its \
         own tests and its conformance runner in `examples/` (doctests left \
         out). *Caught*: a test failed; *timeouts*: the tests hung (caught too); \
         *unviable*: the mutant did not build. Mutants that cannot change \
         behaviour are excluded in `.cargo/mutants.toml`, one reason each.\n\n",
    );
    let _ = writeln!(out, "{version}, a 2-core machine.\n");
    out.push_str(&table(tallies));
    let missed: Vec<(&str, &str)> = tallies
        .iter()
        .flat_map(|t| {
            t.missed_names
                .iter()
                .map(|n| (t.package.as_str(), n.as_str()))
        })
        .collect();
    if missed.is_empty() {
        out.push_str("\nNo mutant missed.\n");
    } else {
        out.push_str("\nMissed:\n\n");
        for (package, name) in missed {
            let _ = writeln!(out, "- `{package}`: `{name}`");
        }
    }
    out.push_str(
        "\nRun it again with `cargo xtask mutants [PACKAGE...]` (a full run takes \
         hours on two cores); `cargo xtask mutants --in-diff main` checks only \
         the lines a change touched and leaves this file alone.\n",
    );
    out
}

const RECHECK_HEADING: &str = "## Re-checks\n";

/// `MUTANTS.md` with this `--iterate` run's rows added to its re-checks
/// (the full-run table above them is left as it was).
pub fn recheck_report(old: &str, tallies: &[Tally]) -> String {
    let mut out = old.trim_end().to_owned();
    if !out.contains(RECHECK_HEADING) {
        out.push_str("\n\n");
        out.push_str(RECHECK_HEADING);
        out.push_str(
            "\n`cargo xtask mutants --iterate` re-tests only what the last run did not \
             catch (its missed mutants and timeouts, and mutants that edits since \
             created or moved); each row counts those alone.\n\n",
        );
        out.push_str(
            TABLE_HEADER
                .replace("| mutants |", "| re-tested |")
                .trim_end(),
        );
    }
    for t in tallies {
        let _ = write!(
            out,
            "\n| {} | {} | {} | {} | {} | {} | {} | {:.0} |",
            t.package, t.date, t.total, t.caught, t.missed, t.unviable, t.timeouts, t.minutes
        );
        for name in &t.missed_names {
            let _ = write!(out, "\n\nStill missed in {}: `{name}`\n", t.package);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reads_options() {
        let all = options(&[]).unwrap();
        assert_eq!(all.in_diff, None);
        assert_eq!(all.packages, PACKAGES.to_vec());
        let some = options(&args(&["--in-diff", "main", "cors-warp"])).unwrap();
        assert_eq!(some.in_diff.as_deref(), Some("main"));
        assert_eq!(some.packages, vec!["cors-warp"]);
        assert!(options(&args(&["--in-diff"])).is_err());
        assert!(
            options(&args(&["cors-cli"]))
                .unwrap_err()
                .contains("cors-core")
        );
        assert!(options(&args(&["--jobs"])).is_err());
        assert!(options(&args(&["--iterate", "cors-core"])).unwrap().iterate);
        assert!(!all.iterate);
        assert!(options(&args(&["--iterate", "--in-diff", "main"])).is_err());
    }

    #[test]
    fn adapters_run_their_own_tests_and_their_conformance_runner() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = Path::new("out");
        let strings = |list: &[&str]| -> Vec<String> { args(list) };
        let targets = |args: &[String]| -> Vec<String> {
            args.iter()
                .filter_map(|a| a.strip_prefix("--cargo-arg="))
                .map(str::to_owned)
                .collect()
        };
        let core = mutants_args(&root, &strings(&["cors-core"]), out, None);
        assert_eq!(targets(&core), ["--lib", "--tests"]);
        assert!(!core.contains(&"--test-package".to_owned()));
        assert!(!core.contains(&"--in-diff".to_owned()));

        let adapters = mutants_args(
            &root,
            &strings(&["cors-actix", "cors-warp"]),
            out,
            Some(Path::new("d.patch")),
        );
        assert_eq!(
            targets(&adapters),
            [
                "--lib",
                "--test=lookup",
                "--test=middleware",
                "--test=warnings",
                "--test=conformance_actix",
                "--test=conformance_warp"
            ]
        );
        assert!(adapters.windows(2).any(|w| w == ["--in-diff", "d.patch"]));
        for package in ["cors-actix", "cors-warp", "cors-examples"] {
            assert!(
                adapters
                    .windows(2)
                    .any(|w| w == ["--test-package", package])
            );
        }
        assert!(adapters.windows(2).any(|w| w == ["--package", "cors-warp"]));
        assert!(!adapters.contains(&"cors-axum".to_owned()));
    }

    #[test]
    fn tallies_outcomes_and_keeps_other_rows() {
        let json: Value = serde_json::from_str(
            r#"{"outcomes": [
                  {"scenario": "Baseline", "summary": "Success",
                   "phase_results": [{"duration": 60.0}, {"duration": 12.0}]},
                  {"scenario": {"Mutant": {"package": "cors-warp",
                                           "name": "src/a.rs:1:1: replace f -> bool with true"}},
                   "summary": "MissedMutant", "phase_results": [{"duration": 30.0}]},
                  {"scenario": {"Mutant": {"package": "cors-warp", "name": "src/a.rs:2:1: g"}},
                   "summary": "CaughtMutant", "phase_results": [{"duration": 30.0}]},
                  {"scenario": {"Mutant": {"package": "cors-warp", "name": "src/a.rs:3:1: h"}},
                   "summary": "Unviable", "phase_results": [{"duration": 30.0}]},
                  {"scenario": {"Mutant": {"package": "cors-warp", "name": "src/a.rs:4:1: i"}},
                   "summary": "Timeout", "phase_results": [{"duration": 30.0}]},
                  {"scenario": {"Mutant": {"package": "cors-axum", "name": "src/b.rs:1:1: j"}},
                   "summary": "MissedMutant", "phase_results": [{"duration": 600.0}]}
                ]}"#,
        )
        .unwrap();
        let warp = tally("cors-warp", 2, &json, "2026-12-01").unwrap();
        assert_eq!(
            (
                warp.total,
                warp.caught,
                warp.missed,
                warp.unviable,
                warp.timeouts
            ),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(
            warp.missed_names,
            ["src/a.rs:1:1: replace f -> bool with true"]
        );
        // 4 x 30 s of its own and half of the 72 s baseline.
        assert!((warp.minutes - 2.6).abs() < 1e-9);
        let axum = tally("cors-axum", 2, &json, "2026-12-01").unwrap();
        assert_eq!((axum.total, axum.missed), (1, 1));
        let warp = Tally {
            minutes: 12.4,
            ..warp
        };

        let first = report(&merge("", std::slice::from_ref(&warp)), "cargo-mutants 1");
        assert!(first.contains("| cors-warp | 2026-12-01 | 4 | 1 | 1 | 1 | 1 | 12 |"));
        assert!(first.contains("- `cors-warp`: `src/a.rs:1:1: replace f -> bool with true`"));

        let mut core = warp.clone();
        core.package = "cors-core".to_owned();
        core.missed = 0;
        core.missed_names.clear();
        let merged = merge(&first, &[core]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].package, "cors-core");
        assert_eq!(
            merged[1],
            Tally {
                minutes: 12.0,
                ..warp.clone()
            }
        );

        let rechecked = recheck_report(
            &first,
            &[Tally {
                missed: 0,
                missed_names: Vec::new(),
                total: 1,
                caught: 1,
                unviable: 0,
                timeouts: 0,
                ..warp.clone()
            }],
        );
        assert!(rechecked.starts_with(first.trim_end()));
        assert!(rechecked.contains("| re-tested |"));
        assert!(rechecked.contains("|--:|\n| cors-warp | 2026-12-01 | 1 | 1 | 0 | 0 | 0 | 12 |\n"));
        let again = recheck_report(&rechecked, std::slice::from_ref(&warp));
        assert_eq!(again.matches(RECHECK_HEADING).count(), 1);
        assert!(again.contains("| 12 |\n| cors-warp | 2026-12-01 | 4 | 1 | 1 | 1 | 1 | 12 |"));
        assert!(
            again
                .contains("Still missed in cors-warp: `src/a.rs:1:1: replace f -> bool with true`")
        );
        // A full run drops the re-checks: it supersedes them.
        assert!(!report(&merge(&again, &[]), "v").contains(RECHECK_HEADING));
    }
}
