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
//! Outcomes are kept per mutant in a ledger (`target/mutants-out/<group>/
//! ledger.txt`): a full run starts it afresh, `--iterate` re-tests only the
//! mutants it has not seen caught (missed ones, timeouts, mutants that edits
//! created or moved, and those an interrupted run never reached), so a full
//! pass can be spread over several sittings. `MUTANTS.md` shows, for every
//! package, the ledger's outcome of each mutant that exists now; rows of
//! packages not run are kept. `--in-diff` runs apart from the ledger and
//! leaves `MUTANTS.md` alone. The command fails when any mutant is missed.

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

/// One package's figures: the ledger's outcome of each of its mutants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The package.
    pub package: String,
    /// When its figures last changed (UTC date).
    pub date: String,
    /// Mutants that exist now (after the exclusions).
    pub total: usize,
    /// Mutants some test failed on.
    pub caught: usize,
    /// Mutants every test passed with: missing assertions.
    pub missed: usize,
    /// Mutants that did not build.
    pub unviable: usize,
    /// Mutants whose tests ran past the time limit (hangs: caught).
    pub timeouts: usize,
    /// Mutants no run has reached yet.
    pub untested: usize,
    /// The missed mutants, as cargo-mutants names them.
    pub missed_names: Vec<String>,
}

/// What happened to one mutant, as cargo-mutants' lists record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `caught.txt` (or `previously_caught.txt`).
    Caught,
    /// `missed.txt`.
    Missed,
    /// `unviable.txt`.
    Unviable,
    /// `timeout.txt`.
    Timeout,
}

impl Outcome {
    const FILES: [(&'static str, Outcome); 4] = [
        ("caught.txt", Outcome::Caught),
        ("missed.txt", Outcome::Missed),
        ("unviable.txt", Outcome::Unviable),
        ("timeout.txt", Outcome::Timeout),
    ];

    fn word(self) -> &'static str {
        match self {
            Outcome::Caught => "caught",
            Outcome::Missed => "missed",
            Outcome::Unviable => "unviable",
            Outcome::Timeout => "timeout",
        }
    }

    fn from_word(word: &str) -> Option<Outcome> {
        Outcome::FILES
            .iter()
            .map(|(_, o)| *o)
            .find(|o| o.word() == word)
    }
}

/// Every mutant's latest outcome in one group, and the minutes its runs
/// took, kept across runs as `outcome<TAB>name` and `run<TAB>start<TAB>minutes`
/// lines.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Ledger {
    outcomes: std::collections::BTreeMap<String, Outcome>,
    runs: std::collections::BTreeMap<String, f64>,
}

impl Ledger {
    /// Reads a ledger file's text.
    pub fn parse(text: &str) -> Ledger {
        let mut ledger = Ledger::default();
        for line in text.lines() {
            let mut fields = line.split('\t');
            match (fields.next(), fields.next(), fields.next()) {
                (Some("run"), Some(start), Some(minutes)) => {
                    if let Ok(minutes) = minutes.parse() {
                        ledger.runs.insert(start.to_owned(), minutes);
                    }
                }
                (Some(word), Some(name), None) => {
                    if let Some(outcome) = Outcome::from_word(word) {
                        ledger.outcomes.insert(name.to_owned(), outcome);
                    }
                }
                _ => {}
            }
        }
        ledger
    }

    /// The ledger file's text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (start, minutes) in &self.runs {
            let _ = writeln!(out, "run\t{start}\t{minutes:.2}");
        }
        for (name, outcome) in &self.outcomes {
            let _ = writeln!(out, "{}\t{name}", outcome.word());
        }
        out
    }

    /// Records what a cargo-mutants output directory (`mutants.out`) holds:
    /// its lists, mutant by mutant, as far as the run got, and its duration
    /// once it finished.
    pub fn ingest(&mut self, mutants_out: &Path) {
        let read = |file: &str| std::fs::read_to_string(mutants_out.join(file)).unwrap_or_default();
        for (file, outcome) in Outcome::FILES {
            for name in read(file).lines().filter(|l| !l.is_empty()) {
                self.outcomes.insert(name.to_owned(), outcome);
            }
        }
        // `--iterate` lists what it skipped, caught and unviable alike.
        for name in read("previously_caught.txt")
            .lines()
            .filter(|l| !l.is_empty())
        {
            self.outcomes
                .entry(name.to_owned())
                .or_insert(Outcome::Caught);
        }
        if let Ok(json) = serde_json::from_str::<Value>(&read("outcomes.json")) {
            if let Some((start, minutes)) = run_minutes(&json) {
                self.runs.insert(start, minutes);
            }
        }
    }

    /// Minutes all recorded runs took.
    pub fn minutes(&self) -> f64 {
        self.runs.values().sum()
    }

    /// The figures of `package`, over `current`: the names of the mutants
    /// that exist now.
    pub fn tally(&self, package: &str, current: &[String], date: &str) -> Tally {
        let prefix = format!("crates/{package}/");
        let mut tally = Tally {
            package: package.to_owned(),
            date: date.to_owned(),
            total: 0,
            caught: 0,
            missed: 0,
            unviable: 0,
            timeouts: 0,
            untested: 0,
            missed_names: Vec::new(),
        };
        for name in current.iter().filter(|n| n.starts_with(&prefix)) {
            tally.total += 1;
            match self.outcomes.get(name) {
                Some(Outcome::Caught) => tally.caught += 1,
                Some(Outcome::Unviable) => tally.unviable += 1,
                Some(Outcome::Timeout) => tally.timeouts += 1,
                Some(Outcome::Missed) => {
                    tally.missed += 1;
                    tally.missed_names.push(name.clone());
                }
                None => tally.untested += 1,
            }
        }
        tally
    }
}

/// A finished run's start time and minutes, from its `outcomes.json`.
fn run_minutes(json: &Value) -> Option<(String, f64)> {
    let start = json.get("start_time")?.as_str()?;
    let end = json.get("end_time")?.as_str()?;
    let seconds = |t: &str| -> Option<f64> {
        // RFC 3339 UTC as cargo-mutants writes it: 2026-12-01T05:15:59.14Z.
        let (date, time) = t.trim_end_matches('Z').split_once('T')?;
        let day: f64 = date.rsplit('-').next()?.parse().ok()?;
        let mut parts = time.split(':');
        let h: f64 = parts.next()?.parse().ok()?;
        let m: f64 = parts.next()?.parse().ok()?;
        let s: f64 = parts.next()?.parse().ok()?;
        Some(((day * 24.0 + h) * 60.0 + m) * 60.0 + s)
    };
    let minutes = (seconds(end)? - seconds(start)?) / 60.0;
    // Runs that cross a month end are rare; an absurd figure is dropped.
    (0.0..=7.0 * 24.0 * 60.0)
        .contains(&minutes)
        .then(|| (start.to_owned(), minutes))
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
    let mut times = Vec::new();
    for (group, packages) in [("engine", core), ("adapters", adapters)] {
        if packages.is_empty() {
            continue;
        }
        let out = match diff {
            Some(_) => out_root.join(format!("{group}-diff")),
            None => out_root.join(group),
        };
        let ledger_path = out.join("ledger.txt");
        let mut ledger = if options.iterate {
            let mut ledger =
                Ledger::parse(&std::fs::read_to_string(&ledger_path).unwrap_or_default());
            // What the last run recorded, even if it was interrupted.
            ledger.ingest(&out.join("mutants.out"));
            ledger
        } else {
            Ledger::default()
        };
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
        let status = Command::new(cargo())
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
        ledger.ingest(&out.join("mutants.out"));
        if diff.is_none() {
            std::fs::write(&ledger_path, ledger.text())
                .map_err(|e| format!("{}: {e}", ledger_path.display()))?;
        }
        let current = match diff {
            // Only what the diff touched counts.
            Some(_) => ledger.outcomes.keys().cloned().collect(),
            None => current_mutants(&root, &packages)?,
        };
        for package in &packages {
            tallies.push(ledger.tally(package, &current, &today()));
        }
        times.push((group, ledger.minutes()));
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
        let report = report(
            &merge(&old, &tallies),
            &merge_times(&old, &times),
            &cargo_mutants_version(),
        );
        std::fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("xtask mutants: wrote MUTANTS.md");
    }
    let missed: usize = tallies.iter().map(|t| t.missed).sum();
    let untested: usize = tallies.iter().map(|t| t.untested).sum();
    if missed > 0 {
        Err(format!(
            "{missed} mutant(s) missed: add the assertion that notices each, or, if it cannot \
             change behaviour, exclude it in .cargo/mutants.toml with the reason"
        ))
    } else if untested > 0 {
        Err(format!(
            "{untested} mutant(s) not tested yet: run `cargo xtask mutants --iterate` to finish"
        ))
    } else {
        Ok(())
    }
}

fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The names of the mutants of `packages` that exist now.
fn current_mutants(root: &Path, packages: &[String]) -> Result<Vec<String>, String> {
    let mut args = vec!["mutants", "--list", "--all-features"];
    for package in packages {
        args.extend(["--package", package.as_str()]);
    }
    let output = Command::new(cargo())
        .args(&args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo mutants --list: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
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

const TABLE_HEADER: &str = "| package | date | mutants | caught | missed | unviable | timeouts | not yet run |\n\
                            |---|---|--:|--:|--:|--:|--:|--:|\n";

/// The results table.
pub fn table(tallies: &[Tally]) -> String {
    let mut out = TABLE_HEADER.to_owned();
    for t in tallies {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.package, t.date, t.total, t.caught, t.missed, t.unviable, t.timeouts, t.untested
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
    let [_, date, total, caught, missed, unviable, timeouts, untested] = cells[..] else {
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
        untested: untested.parse().ok()?,
        missed_names,
    })
}

const TIME_PREFIX: &str = "- time, ";

/// Each group's minutes: this run's, else the old report's.
pub fn merge_times(old: &str, new: &[(&str, f64)]) -> Vec<(String, f64)> {
    ["engine", "adapters"]
        .iter()
        .filter_map(|group| {
            if let Some((_, minutes)) = new.iter().find(|(g, _)| g == group) {
                return Some(((*group).to_owned(), *minutes));
            }
            let line = old
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{TIME_PREFIX}{group}: ")))?;
            let minutes = line.split_whitespace().next()?.parse().ok()?;
            Some(((*group).to_owned(), minutes))
        })
        .collect()
}

/// The whole of `MUTANTS.md`.
pub fn report(tallies: &[Tally], times: &[(String, f64)], version: &str) -> String {
    let mut out = String::from(
        "# Mutation testing\n\n\
         Written by `cargo xtask mutants`; do not edit by hand. A row shows, \
         for every mutant of the package that exists now, its outcome in the \
         latest run that tested it (`--iterate` runs re-test only what \
         earlier runs did not catch); rows of packages not run are kept.\n\n\
         Each package's mutants are tested by the tests that exercise it: \
         cors-core by its own unit and integration tests, each adapter by its \
         own tests and its conformance runner in `examples/` (doctests left \
         out). *Caught*: a test failed; *timeouts*: the tests hung (caught too); \
         *unviable*: the mutant did not build. Mutants that cannot change \
         behaviour are excluded in `.cargo/mutants.toml`, one reason each.\n\n",
    );
    let _ = writeln!(out, "{version}, a 2-core machine.\n");
    out.push_str(&table(tallies));
    let not_run: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| !tallies.iter().any(|t| t.package == *p))
        .collect();
    if !not_run.is_empty() {
        let _ = writeln!(out, "\nNot run yet: {}.", not_run.join(", "));
    }
    out.push('\n');
    for (group, minutes) in times {
        let what = if group == "engine" {
            "cors-core"
        } else {
            "the latest run over adapters; the rows it tested carry its date"
        };
        let _ = writeln!(
            out,
            "{TIME_PREFIX}{group}: {minutes:.0} minutes of runs ({what})"
        );
    }
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
         hours on two cores; `--iterate` finishes an interrupted one); \
         `cargo xtask mutants --in-diff main` checks only the lines a change \
         touched and leaves this file alone.\n",
    );
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
                "--test=allocations",
                "--test=logging",
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
    fn the_ledger_keeps_each_mutants_latest_outcome_across_runs() {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{}", std::process::id()));
        let out = dir.join("mutants.out");
        std::fs::create_dir_all(&out).unwrap();
        let write = |file: &str, text: &str| std::fs::write(out.join(file), text).unwrap();
        // A full run, interrupted before its end: lists but no end time.
        write(
            "caught.txt",
            "crates/cors-warp/src/a.rs:1:1: f\ncrates/cors-axum/src/b.rs:1:1: g\n",
        );
        write("missed.txt", "crates/cors-warp/src/a.rs:2:1: h\n");
        write("unviable.txt", "crates/cors-warp/src/a.rs:3:1: i\n");
        write("timeout.txt", "");
        write("outcomes.json", r#"{"start_time": "2026-12-01T05:00:00Z"}"#);
        let mut ledger = Ledger::default();
        ledger.ingest(&out);
        assert_eq!(ledger.minutes(), 0.0);

        let current: Vec<String> = [
            "crates/cors-warp/src/a.rs:1:1: f",
            "crates/cors-warp/src/a.rs:2:1: h",
            "crates/cors-warp/src/a.rs:3:1: i",
            "crates/cors-warp/src/a.rs:4:1: j",
            "crates/cors-axum/src/b.rs:1:1: g",
        ]
        .map(String::from)
        .to_vec();
        let warp = ledger.tally("cors-warp", &current, "2026-12-01");
        assert_eq!(
            (
                warp.total,
                warp.caught,
                warp.missed,
                warp.unviable,
                warp.timeouts,
                warp.untested
            ),
            (4, 1, 1, 1, 0, 1)
        );
        assert_eq!(warp.missed_names, ["crates/cors-warp/src/a.rs:2:1: h"]);

        // `--iterate`: the missed one now caught, the rest skipped, done.
        let mut ledger = Ledger::parse(&ledger.text());
        write("caught.txt", "crates/cors-warp/src/a.rs:2:1: h\n");
        write("missed.txt", "");
        write("unviable.txt", "");
        write("timeout.txt", "crates/cors-warp/src/a.rs:4:1: j\n");
        write(
            "previously_caught.txt",
            "crates/cors-warp/src/a.rs:1:1: f\ncrates/cors-warp/src/a.rs:3:1: i\n",
        );
        write(
            "outcomes.json",
            r#"{"start_time": "2026-12-01T06:00:00.5Z", "end_time": "2026-12-01T06:30:30.5Z"}"#,
        );
        ledger.ingest(&out);
        ledger.ingest(&out);
        assert!((ledger.minutes() - 30.5).abs() < 1e-9);
        let warp = ledger.tally("cors-warp", &current, "2026-12-02");
        assert_eq!(
            (
                warp.total,
                warp.caught,
                warp.missed,
                warp.unviable,
                warp.timeouts,
                warp.untested
            ),
            (4, 2, 0, 1, 1, 0)
        );
        // A mutant that no longer exists (moved by an edit) is not counted.
        let axum = ledger.tally("cors-axum", &current[..4], "2026-12-02");
        assert_eq!(axum.total, 0);
        std::fs::remove_dir_all(&dir).unwrap();

        let first = report(
            &merge("", std::slice::from_ref(&warp)),
            &merge_times("", &[("adapters", 30.5)]),
            "cargo-mutants 1",
        );
        assert!(first.contains("| cors-warp | 2026-12-02 | 4 | 2 | 0 | 1 | 1 | 0 |"));
        assert!(first.contains("- time, adapters: 30 minutes of runs"));
        assert!(first.contains("No mutant missed."));
        assert!(first.contains("Not run yet: cors-core, cors-axum, cors-actix, cors-rocket."));

        let mut core = warp.clone();
        core.package = "cors-core".to_owned();
        core.missed = 1;
        core.missed_names = vec!["crates/cors-core/src/x.rs:1:1: k".to_owned()];
        let second = report(
            &merge(&first, &[core]),
            &merge_times(&first, &[("engine", 70.0)]),
            "cargo-mutants 1",
        );
        let rows: Vec<&str> = second
            .lines()
            .filter(|l| l.starts_with("| cors-"))
            .collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].starts_with("| cors-core |"));
        assert!(rows[1].starts_with("| cors-warp | 2026-12-02 | 4 | 2 |"));
        assert!(second.contains("- time, engine: 70 minutes"));
        assert!(second.contains("Not run yet: cors-axum, cors-actix, cors-rocket."));
        assert!(second.contains("- time, adapters: 30 minutes"));
        assert!(second.contains("- `cors-core`: `crates/cors-core/src/x.rs:1:1: k`"));
        // Rows read back from the report are the rows written.
        let reread = merge(&second, &[]);
        assert_eq!(
            reread
                .iter()
                .map(|t| t.package.as_str())
                .collect::<Vec<_>>(),
            ["cors-core", "cors-warp"]
        );
        assert_eq!(reread[0].missed_names, ["crates/cors-core/src/x.rs:1:1: k"]);
        assert_eq!(
            (reread[1].total, reread[1].caught, reread[1].timeouts),
            (4, 2, 1)
        );
    }
}
