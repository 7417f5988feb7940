//! `cargo xtask bench`: runs every benchmark of `cors-benches` and writes
//! `BENCHMARKS.md` at the repository root.
//!
//! Three runs, one after the other:
//!
//! 1. the `allocations` bench: allocations per request for every cell,
//!    counted by a counting global allocator, and each answer's status and
//!    CORS headers (which it checks first, as the timing bench does);
//! 2. the criterion bench `engine`: `Policy::evaluate` per request kind and
//!    allowlist size, with 0, 1 and 1,000 routes, and through a
//!    `SharedPolicy` or `PolicySource` against a plain `Policy`;
//! 3. the criterion bench `frameworks`: each adapter, the crate it
//!    replaces, and no CORS at all, in process; `--runs N` times (3 by
//!    default), each run's results read before the next.
//!
//! Times are criterion's median point estimates, read from
//! `target/criterion/<group>/<function>/<parameter>/new/estimates.json`.
//! Each framework cell shows the median of its runs; each ratio is the
//! median of the runs' ratios (each run's variants ran one right after the
//! other), with the lowest and highest run beside it. The report compares
//! numbers from this invocation only: the results of earlier runs are
//! removed first. The end-to-end and instruction sections of an existing
//! `BENCHMARKS.md` (written by `cargo xtask bench --e2e`, see
//! [`crate::bench::e2e`], and `--instructions`, see
//! [`crate::bench::instructions`]) are kept.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod instructions;

/// The frameworks, in report order, with the crate each adapter replaces.
const FRAMEWORKS: [(&str, &str, &str); 5] = [
    ("axum", "cors-axum", "tower-http `CorsLayer` (0.7)"),
    ("actix", "cors-actix", "`actix-cors` (0.7)"),
    ("rocket", "cors-rocket", "`rocket_cors` fairing (0.6)"),
    ("warp", "cors-warp", "`warp::cors()` (warp 0.4)"),
    (
        WARP_TOWER,
        "cors-axum",
        "`warp::cors()`, both served by `warp::service`",
    ),
];

/// warp served as a tower service, under cors-axum's layer
/// (`cors-demo --framework warp-tower` over sockets).
const WARP_TOWER: &str = "warp-tower";

/// The scenarios, in report order, with what each request is.
const SCENARIOS: [(&str, &str); 7] = [
    ("non_cors", "`GET`, no `Origin`"),
    ("actual_allowed", "`GET` from the allowed origin"),
    ("actual_refused", "`GET` from an origin not allowed"),
    (
        "preflight_allowed",
        "preflight: `PUT` with 3 allowed headers",
    ),
    ("preflight_refused", "preflight: `PATCH`, not allowed"),
    (
        "allowlist_1000",
        "`GET` from the last of 1,000 allowed origins",
    ),
    (
        "browser_allowed",
        "`GET` from the allowed origin with the 13 other headers Chromium sends",
    ),
];

/// The engine's cases, in report order.
const ENGINE_CASES: [(&str, &str); 8] = [
    ("non_cors", "not a CORS request"),
    ("actual_exact", "actual, the allowlist's last exact origin"),
    ("actual_subdomain", "actual, the last subdomain pattern"),
    ("actual_regex", "actual, the regex"),
    ("actual_refused", "actual, refused origin"),
    ("preflight_3_headers", "preflight, `PUT` with 3 headers"),
    ("preflight_refused", "preflight, `PATCH` refused"),
    (
        "preflight_1000_headers",
        "preflight, 1,000 requested headers (refused beyond 64)",
    ),
];

/// The engine's allowlist sizes (exact origins), as in `cors-benches`.
const ENGINE_SIZES: [&str; 3] = ["1", "100", "10000"];

/// The engine's route cases, in report order, as in the `engine` bench.
const ROUTE_CASES: [(&str, &str); 2] = [
    (
        "routes_prefix_hit",
        "`GET /public/assets/app.js`: the `/public/*` route",
    ),
    (
        "routes_fallthrough",
        "`GET /v1/users/42/orders`: no route, the top level",
    ),
];

/// The route counts of the `engine` bench (0: the same policy without
/// routes).
const ROUTE_COUNTS: [&str; 3] = ["0", "1", "1000"];

/// How the `engine` bench reads the policy (`load/<parameter>`), in report
/// order; the first is the plain `Policy` the others are compared with.
const LOADS: [(&str, &str); 3] = [
    ("policy", "a plain `Policy`"),
    ("shared_policy", "`SharedPolicy::load()`"),
    (
        "policy_source",
        "`PolicySource::load()` of a `SharedPolicy`",
    ),
];

/// criterion's warm-up and measurement time per benchmark, in seconds.
const WARM_UP_SECONDS: &str = "1";
const MEASUREMENT_SECONDS: &str = "3";

/// A middleware cost below this share of the baseline's time, or below
/// [`MEASURABLE_NS`], is within the noise: no cost ratio is given.
const MEASURABLE_SHARE: f64 = 0.02;
const MEASURABLE_NS: f64 = 50.0;

/// How many times the framework bench runs by default.
const DEFAULT_RUNS: usize = 3;

/// The criterion groups of the framework bench.
const FRAMEWORK_GROUPS: [&str; 5] = ["axum", "actix", "rocket", "warp", WARP_TOWER];

/// The frameworks of the origin-lookup bench.
const LOOKUP_FRAMEWORKS: [&str; 4] = ["axum", "actix", "rocket", "warp"];

/// The heading of the end-to-end section, which `--e2e` writes and the
/// in-process run keeps.
pub(crate) const E2E_HEADING: &str = "## End to end, over real sockets";

/// `cargo xtask bench [--runs N] [--e2e [--seconds S] [--rounds R]] [--instructions]`.
#[derive(Debug, PartialEq)]
struct Options {
    runs: usize,
    e2e: Option<e2e::Options>,
    instructions: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            runs: DEFAULT_RUNS,
            e2e: None,
            instructions: false,
        };
        let mut e2e = e2e::Options::default();
        let mut wants_e2e = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<u64, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{name} takes a positive number"))
            };
            match arg.as_str() {
                "--runs" => options.runs = usize::try_from(number("--runs")?).unwrap_or(1),
                "--e2e" => wants_e2e = true,
                "--instructions" => options.instructions = true,
                "--seconds" => e2e.seconds = number("--seconds")?,
                "--rounds" => e2e.rounds = usize::try_from(number("--rounds")?).unwrap_or(1),
                other => return Err(format!("bench: unknown option {other}")),
            }
        }
        if wants_e2e {
            options.e2e = Some(e2e);
        }
        Ok(options)
    }
}

/// Runs everything and writes `BENCHMARKS.md`; with `--e2e`, the
/// end-to-end comparison only, and with `--instructions` the instruction
/// counts only, each written into its section.
pub fn run() -> Result<(), String> {
    let args: Vec<String> = env::args().skip(2).collect();
    let options = Options::parse(&args)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Some(e2e) = &options.e2e {
        return e2e::run(&root, e2e);
    }
    if options.instructions {
        return instructions::run(&root);
    }
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let criterion = target.join("criterion");
    let remove = |groups: &[&str]| -> Result<(), String> {
        for group in groups {
            let dir = criterion.join(group);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| format!("removing {}: {e}", dir.display()))?;
            }
        }
        Ok(())
    };
    remove(&["evaluate"])?;

    let load_before = load_average();
    let allocations = cargo_stdout(&["bench", "-p", "cors-benches", "--bench", "allocations"])?;
    let criterion_args = [
        "--warm-up-time",
        WARM_UP_SECONDS,
        "--measurement-time",
        MEASUREMENT_SECONDS,
        "--noplot",
    ];
    let bench = |name: &str| {
        let mut args = vec!["bench", "-p", "cors-benches", "--bench", name, "--"];
        args.extend(criterion_args);
        cargo_stdout(&args).map(drop)
    };
    remove(&["lookup"])?;
    bench("engine")?;
    bench("lookup")?;
    let mut times = Times::read(&criterion, &["evaluate", "lookup"])?;
    for run in 1..=options.runs {
        println!("\n==> framework bench, run {run} of {}", options.runs);
        remove(&FRAMEWORK_GROUPS)?;
        bench("frameworks")?;
        let mut run_times = Times::read(&criterion, &FRAMEWORK_GROUPS)?;
        println!("\n==> paired bench, run {run} of {}", options.runs);
        let paired = cargo_stdout(&["bench", "-p", "cors-benches", "--bench", "paired"])?;
        run_times.once.extend(parse_paired(&paired));
        times.add_run(run_times);
    }
    let load_after = load_average();

    let records = Records::parse(&allocations);
    let machine = Machine {
        cpu: cpu_model(),
        cores: core_count(),
        rustc: command_line("rustc", &["--version"]),
        date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        load_before,
        load_after,
    };
    let mut report = report(&records, &times, &machine);
    let path = root.join("BENCHMARKS.md");
    // The end-to-end and instruction sections come from runs of their
    // own, on their own schedule.
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    for heading in KEPT_SECTIONS {
        if let Some(kept) = section(&old, heading) {
            report.push('\n');
            report.push_str(kept.trim_end());
            report.push('\n');
        }
    }
    std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("\n{report}");
    println!("xtask bench: wrote BENCHMARKS.md");
    Ok(())
}

/// Runs `cargo` with `args`, passing its output through, and returns its
/// standard output.
/// The sections that runs of their own write (`--e2e`, `--instructions`)
/// and the other runs keep, in the order they follow the report.
const KEPT_SECTIONS: [&str; 2] = [E2E_HEADING, instructions::HEADING];

/// The section of a `BENCHMARKS.md` under `heading`: from the heading to
/// the next second-level heading or the end.
fn section<'t>(text: &'t str, heading: &str) -> Option<&'t str> {
    let start = text.find(heading)?;
    let rest = &text[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .map_or(text.len(), |i| start + heading.len() + i + 1);
    Some(&text[start..end])
}

/// Writes `section` into `BENCHMARKS.md` under `heading`, keeping the
/// rest, and prints it; `option` names the run that wrote it.
fn write_section(root: &Path, heading: &str, section: &str, option: &str) -> Result<(), String> {
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = replace_section(&old, heading, section);
    std::fs::write(&path, new).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("\n{section}");
    println!("xtask bench {option}: wrote its section of BENCHMARKS.md");
    Ok(())
}

/// `old` with its section under `heading` replaced by `new`, or `new`
/// appended when there is none.
fn replace_section(old: &str, heading: &str, new: &str) -> String {
    match section(old, heading) {
        Some(existing) => old.replacen(existing, new, 1),
        None if old.is_empty() => new.to_owned(),
        None => format!("{}\n\n{new}", old.trim_end()),
    }
}

fn cargo_stdout(args: &[&str]) -> Result<String, String> {
    let line = format!("cargo {}", args.join(" "));
    println!("\n==> {line}");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{line}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{stdout}");
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(line)
    }
}

/// The first line a command prints, or `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn core_count() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| info.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0)
}

/// What the report says about the machine.
struct Machine {
    cpu: String,
    cores: usize,
    rustc: String,
    date: String,
    load_before: String,
    load_after: String,
}

/// The `allocations` bench's records.
#[derive(Default)]
struct Records {
    /// (case, size) -> allocations per `evaluate`.
    engine: BTreeMap<(String, String), f64>,
    /// (framework, scenario, variant) -> allocations and bytes per request.
    allocations: BTreeMap<(String, String, String), (f64, f64)>,
    /// (framework, scenario, variant) -> status and CORS headers.
    answers: BTreeMap<(String, String, String), String>,
    /// (framework, rule) -> allocations per request through the origin
    /// lookup bench (`static` or `cached_lookup`).
    lookup: BTreeMap<(String, String), f64>,
}

impl Records {
    fn parse(output: &str) -> Records {
        let mut records = Records::default();
        for line in output.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let key3 = |f: &[&str]| (f[1].to_owned(), f[2].to_owned(), f[3].to_owned());
            match fields.as_slice() {
                ["engine", case, size, allocations] => {
                    if let Ok(n) = allocations.parse() {
                        records
                            .engine
                            .insert(((*case).to_owned(), (*size).to_owned()), n);
                    }
                }
                ["alloc", _, _, _, allocations, bytes] => {
                    if let (Ok(a), Ok(b)) = (allocations.parse(), bytes.parse()) {
                        records.allocations.insert(key3(&fields), (a, b));
                    }
                }
                ["answer", _, _, _, answer] => {
                    records.answers.insert(key3(&fields), (*answer).to_owned());
                }
                ["lookup", framework, rule, allocations, _bytes] => {
                    if let Ok(n) = allocations.parse() {
                        records
                            .lookup
                            .insert(((*framework).to_owned(), (*rule).to_owned()), n);
                    }
                }
                _ => {}
            }
        }
        records
    }

    fn allocations(&self, framework: &str, scenario: &str, variant: &str) -> Option<(f64, f64)> {
        self.allocations
            .get(&(
                framework.to_owned(),
                scenario.to_owned(),
                variant.to_owned(),
            ))
            .copied()
    }

    fn answer(&self, framework: &str, scenario: &str, variant: &str) -> &str {
        self.answers
            .get(&(
                framework.to_owned(),
                scenario.to_owned(),
                variant.to_owned(),
            ))
            .map_or("?", String::as_str)
    }
}

/// criterion's median estimates, in nanoseconds, by
/// `group/function/parameter`: the engine's from one run, the frameworks'
/// from each run of the framework bench.
#[derive(Default)]
struct Times {
    once: BTreeMap<String, f64>,
    runs: Vec<BTreeMap<String, f64>>,
}

impl Times {
    /// The estimates of `groups` in criterion's directory.
    fn read(criterion: &Path, groups: &[&str]) -> Result<Times, String> {
        let mut times = BTreeMap::new();
        for group in groups {
            let dir = criterion.join(group);
            for function in read_dir(&dir)? {
                for parameter in read_dir(&dir.join(&function))? {
                    let file = dir
                        .join(&function)
                        .join(&parameter)
                        .join("new/estimates.json");
                    let Ok(json) = std::fs::read_to_string(&file) else {
                        continue;
                    };
                    let median = median_point_estimate(&json)
                        .ok_or_else(|| format!("no median in {}", file.display()))?;
                    times.insert(format!("{group}/{function}/{parameter}"), median);
                }
            }
        }
        Ok(Times {
            once: times,
            runs: Vec::new(),
        })
    }

    /// Adds one run of the framework bench.
    fn add_run(&mut self, run: Times) {
        self.runs.push(run.once);
    }

    /// One cell: the engine's estimate, or the median of the runs'.
    fn get(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        let key = format!("{group}/{function}/{parameter}");
        if let Some(&time) = self.once.get(&key) {
            return Some(time);
        }
        median(
            self.runs
                .iter()
                .filter_map(|run| run.get(&key).copied())
                .collect(),
        )
    }

    /// `a / b` for two variants of one scenario: the median of the runs'
    /// ratios, the lowest and the highest.
    fn ratio(&self, framework: &str, scenario: &str, a: &str, b: &str) -> Option<Spread> {
        Spread::of(
            self.runs
                .iter()
                .filter_map(|run| {
                    let a = run.get(&format!("{framework}/{scenario}/{a}"))?;
                    let b = run.get(&format!("{framework}/{scenario}/{b}"))?;
                    Some(a / b)
                })
                .collect(),
        )
    }

    /// `a / b` as the `paired` bench measured it in each run: the median
    /// of the runs' ratios, the lowest and the highest.
    fn paired(&self, framework: &str, scenario: &str, a: &str, b: &str) -> Option<Spread> {
        let key = format!("paired/{framework}/{scenario}/{a}/{b}");
        Spread::of(
            self.runs
                .iter()
                .filter_map(|run| run.get(&key).copied())
                .collect(),
        )
    }
}

impl Spread {
    /// The median, lowest and highest of one ratio's runs.
    fn of(ratios: Vec<f64>) -> Option<Spread> {
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let runs = ratios.len();
        Some(Spread {
            median: median(ratios)?,
            low,
            high,
            runs,
        })
    }
}

/// The `paired` bench's lines (`paired <framework> <scenario> <a>/<b>
/// <median> ...`) as `paired/<framework>/<scenario>/<a>/<b>` → median.
fn parse_paired(output: &str) -> BTreeMap<String, f64> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next()? != "paired" {
                return None;
            }
            let (framework, scenario, pair) = (words.next()?, words.next()?, words.next()?);
            let median = words.next()?.parse().ok()?;
            Some((format!("paired/{framework}/{scenario}/{pair}"), median))
        })
        .collect()
}

/// A ratio over several runs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spread {
    median: f64,
    low: f64,
    high: f64,
    runs: usize,
}

impl Spread {
    /// `0.95 ✓ (0.93–0.97)`: the median, marked against `limit`, and the
    /// range when there was more than one run.
    fn show(self, limit: f64) -> String {
        let mut shown = format!("{:.2} {}", self.median, mark(self.median <= limit));
        if self.runs > 1 {
            let _ = write!(shown, " ({:.2}–{:.2})", self.low, self.high);
        }
        shown
    }

    /// `1.05 (1.03–1.07)`: as [`Spread::show`], for a ratio with no target.
    fn plain(self) -> String {
        let mut shown = format!("{:.2}", self.median);
        if self.runs > 1 {
            let _ = write!(shown, " ({:.2}–{:.2})", self.low, self.high);
        }
        shown
    }
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// The names in a directory (none when it does not exist).
fn read_dir(dir: &Path) -> Result<Vec<String>, String> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect())
}

/// `median.point_estimate` of criterion's `estimates.json`.
fn median_point_estimate(json: &str) -> Option<f64> {
    let median = &json[json.find("\"median\":")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(value.len());
    value[..end].trim().parse().ok()
}

/// A time in nanoseconds, in the unit that reads best.
fn duration(ns: f64) -> String {
    if ns.abs() >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// An allocation count: whole when it is whole.
fn count(n: f64) -> String {
    if (n - n.round()).abs() < 0.05 {
        format!("{}", n.round())
    } else {
        format!("{n:.1}")
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

/// One target's outcome.
struct Miss(String);

fn report(records: &Records, times: &Times, machine: &Machine) -> String {
    let mut out = String::new();
    let mut misses: Vec<Miss> = Vec::new();
    let mut checked = 0usize;
    let _ = writeln!(
        out,
        "# Benchmarks

Written by `cargo xtask bench` on {date}; every number below comes from
that invocation on one machine. Times are criterion's **median** point
estimates for one request (or one `evaluate` call), {WARM_UP_SECONDS} s warm-up
and {MEASUREMENT_SECONDS} s measurement per benchmark; the framework bench ran
{runs} times: a framework cell shows the median of its runs, a total ratio
the median of the runs' ratios with the lowest and highest in parentheses.
Allocations are counted per
request by a counting global allocator (the `allocations` bench, all
runtimes single-threaded), averaged over 500 requests after 50 of warm-up.

## Machine

- CPU: {cpu}, {cores} cores
- {rustc}
- load average (1, 5, 15 min) before the run: {before}; after: {after}
  (other work on the machine makes times noisier, not the ratios unfair:
  each scenario's three variants run one right after the other)

To reproduce: `cargo xtask bench` (about 30 minutes on 2 cores with the
default three runs of the framework bench; `--runs N` to change it). The
benchmarks live in `benches/` (package `cors-benches`): `engine`,
`frameworks` (criterion), `paired` and `allocations`.
",
        date = machine.date,
        runs = times.runs.len(),
        cpu = machine.cpu,
        cores = machine.cores,
        rustc = machine.rustc,
        before = machine.load_before,
        after = machine.load_after,
    );

    let _ = writeln!(
        out,
        "## Side by side, per framework

Each framework serves the same trivial handler (`GET /items` → `items`)
three times: with no CORS middleware (**baseline**), with this project's
adapter (**ours**), and with the crate it replaces (**peer**), configured
to the same policy: one allowed origin (1,000 for `allowlist_1000`),
methods `GET POST PUT DELETE`, headers `authorization x-request-id
x-api-key`, exposed `x-request-id`, credentials, max age 600. Each app is
built once; one iteration sends one request through the framework's
in-process client (axum: `Router` + `oneshot`; actix: `test::init_service`
+ `call`; Rocket: the asynchronous local `Client`, untracked; warp:
`warp::test::request().reply`; warp-tower: `warp::service` + `oneshot`),
on a current-thread runtime. The requests to the apps served by hyper
(axum, warp, warp-tower) hold their header values as slices of one
buffer, as hyper's parser leaves them, so that cloning a value counts a
reference as it does when served; actix's and Rocket's test clients copy
each value. `browser_allowed` sends what Chromium sends with a `fetch`:
it shows what copying a request's headers costs (seven of its names are
ones `http` does not know, each its own allocation when a map is cloned).

**Paired** ratios come from a second bench (`paired`), run after each
run of the criterion bench: it alternates chunks of a few milliseconds of
ours and of the peer, and takes the median of the chunks' ratios (the
cell: the median of the runs' medians, lowest and highest in
parentheses). Two criterion benchmarks run seconds apart, and this
machine's speed moves by 10-30% between them; a pair of chunks runs
within milliseconds, so its ratio is far steadier (spreads of a few
percent) and follows the instruction counts below.

A middleware's **cost** is its time minus the baseline's for the same
request (the baseline answers a preflight with its router's 404 or 405).
Ratios are ours/peer. A cost ratio is given only where the peer's cost is
measurable (above {share:.0}% of the baseline's time and {ns:.0} ns); a negative
cost means that the middleware answered faster than the application
would have. Allocations: baseline / ours / peer.
",
        share = MEASURABLE_SHARE * 100.0,
        ns = MEASURABLE_NS,
    );

    for (framework, ours_name, peer_name) in FRAMEWORKS {
        let _ = writeln!(out, "### {framework}: `{ours_name}` vs {peer_name}\n");
        out.push_str(
            "| scenario | baseline | ours | peer | ours cost | peer cost | total ours/peer | paired ours/peer | cost ours/peer | allocations |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (scenario, _) in SCENARIOS {
            let t = |variant| times.get(framework, scenario, variant);
            let (Some(base), Some(ours), Some(peer)) = (t("baseline"), t("ours"), t("peer")) else {
                let _ = writeln!(out, "| {scenario} | (not measured) ||||||||");
                misses.push(Miss(format!("{framework} {scenario}: not measured")));
                continue;
            };
            let (ours_cost, peer_cost) = (ours - base, peer - base);
            let total = times
                .ratio(framework, scenario, "ours", "peer")
                .unwrap_or(Spread {
                    median: ours / peer,
                    low: ours / peer,
                    high: ours / peer,
                    runs: 1,
                });
            let total_ratio = total.median;
            checked += 1;
            if total_ratio > 1.0 {
                misses.push(Miss(format!(
                    "{framework} {scenario}: total ours/peer {total_ratio:.2} > 1.0"
                )));
            }
            let paired = paired_cell(
                times,
                (framework, scenario, "peer"),
                1.0,
                &mut misses,
                &mut checked,
            );
            let measurable = peer_cost > MEASURABLE_NS && peer_cost > MEASURABLE_SHARE * base;
            let cost_ratio = if !measurable {
                "n/m".to_owned()
            } else {
                let ratio = ours_cost / peer_cost;
                checked += 1;
                if ratio > 0.5 {
                    misses.push(Miss(format!(
                        "{framework} {scenario}: cost ours/peer {ratio:.2} > 0.5"
                    )));
                }
                if ratio <= 0.0 {
                    format!("{ratio:.2} ✓")
                } else {
                    format!("{ratio:.2} {}", mark(ratio <= 0.5))
                }
            };
            let a = |variant| records.allocations(framework, scenario, variant);
            let allocations = match (a("baseline"), a("ours"), a("peer")) {
                (Some(b), Some(o), Some(p)) => {
                    checked += 1;
                    if o.0 > p.0 {
                        misses.push(Miss(format!(
                            "{framework} {scenario}: {} allocations per request, peer {}",
                            count(o.0),
                            count(p.0)
                        )));
                    }
                    format!(
                        "{} / {} / {} {}",
                        count(b.0),
                        count(o.0),
                        count(p.0),
                        mark(o.0 <= p.0)
                    )
                }
                _ => "?".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {scenario} | {} | {} | {} | {} | {} | {} | {paired} | {cost_ratio} | {allocations} |",
                duration(base),
                duration(ours),
                duration(peer),
                duration(ours_cost),
                duration(peer_cost),
                total.show(1.0),
            );
        }
        out.push('\n');
        if framework == "warp" {
            floor_table(&mut out, records, times, &mut misses, &mut checked);
        }
        if framework == WARP_TOWER {
            out.push_str(
                "warp's other way in: the application served as a tower service \
                 (`warp::service(routes)`), under cors-axum's `CorsLayer`, which \
                 reads the request in place rather than through filters; the \
                 peer is `warp::service(routes.with(warp::cors()))` and the \
                 baseline `warp::service(routes)`.\n\n",
            );
        }
    }

    out.push_str(
        "### What each answered\n\n\
         Checked before timing, in both benches: every answer of ours and of \
         the peer must be what a browser needs (an allowed request passes \
         its CORS check with credentials and the exposed header, an allowed \
         preflight grants `PUT`, the three headers and max age 600, a refused \
         request or preflight fails the check). Status, then the \
         `Access-Control-*` headers present (`allow-` omitted), then `Vary`:\n\n\
         | framework | scenario | ours | peer |\n|---|---|---|---|\n",
    );
    for (framework, _, _) in FRAMEWORKS {
        for (scenario, _) in SCENARIOS {
            let show = |variant| {
                records
                    .answer(framework, scenario, variant)
                    .replace("allow-", "")
            };
            let _ = writeln!(
                out,
                "| {framework} | {scenario} | {} | {} |",
                show("ours"),
                show("peer")
            );
        }
    }
    out.push('\n');

    out.push_str("Scenarios:\n\n");
    for (scenario, what) in SCENARIOS {
        let _ = writeln!(out, "- `{scenario}`: {what}");
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "## Engine: `Policy::evaluate` as the allowlist grows

One call, on a policy with N exact origins, 1,000 subdomain patterns
(`https://*.tenantN.example.net`), one regex, 4 methods, 3 headers and
credentials. The exact origin requested is the allowlist's last, the
subdomain the last pattern's.

| case | N = 1 | N = 100 | N = 10,000 | 10,000 / 1 | allocations |
|---|---:|---:|---:|---:|---:|"
    );
    for (case, what) in ENGINE_CASES {
        let t: Vec<Option<f64>> = ENGINE_SIZES
            .iter()
            .map(|size| times.get("evaluate", case, size))
            .collect();
        let shown: Vec<String> = t
            .iter()
            .map(|t| t.map_or("?".to_owned(), duration))
            .collect();
        let ratio = match (t[0], t[2]) {
            (Some(small), Some(large)) => {
                let ratio = large / small;
                checked += 1;
                if ratio > 1.5 {
                    misses.push(Miss(format!(
                        "evaluate {case}: 10,000 origins / 1 origin = {ratio:.2} > 1.5"
                    )));
                }
                format!("{ratio:.2} {}", mark(ratio <= 1.5))
            }
            _ => "?".to_owned(),
        };
        let most = ENGINE_SIZES
            .iter()
            .filter_map(|size| records.engine.get(&(case.to_owned(), (*size).to_owned())))
            .fold(None, |most: Option<f64>, &n| {
                Some(most.map_or(n, |m| m.max(n)))
            });
        let allocations = match most {
            Some(n) => {
                checked += 1;
                if n > 0.0 {
                    misses.push(Miss(format!("evaluate {case}: {n} allocations per call")));
                }
                format!("{} {}", count(n), mark(n == 0.0))
            }
            None => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | {ratio} | {allocations} |",
            shown[0], shown[1], shown[2]
        );
    }
    out.push('\n');

    engine_routes_and_loads(&mut out, times);
    lookup_table(&mut out, records, times);

    let _ = writeln!(
        out,
        "## Targets

- total time ours/peer ≤ 1.0 in every scenario of every framework, both
  from criterion's times and paired;
- middleware cost ours/peer ≤ 0.5 wherever the peer's cost is measurable;
- allocations per request: ours ≤ peer in every scenario;
- `evaluate`: no allocation, and within 1.5× between 1 and 10,000 origins.
"
    );
    if misses.is_empty() {
        let _ = writeln!(out, "All {checked} checks met in this run.");
    } else {
        let _ = writeln!(
            out,
            "{} of {checked} checks missed in this run:\n",
            misses.len()
        );
        for Miss(what) in &misses {
            let _ = writeln!(out, "- {what}");
        }
    }
    out
}

/// The same allowed request through each adapter: its origin allowed by
/// a static rule, or by the origin lookup whose cache holds the verdict.
fn lookup_table(out: &mut String, records: &Records, times: &Times) {
    let _ = writeln!(
        out,
        "## Origin lookups

`GET /items` from the allowed origin through this project's adapter, the
origin allowed by a static rule (`allow_origins`), or referred to the
origin lookup (`allow_origin_lookup`) whose `VerdictCache` already holds
the verdict (`benches/src/lookup.rs`; policies otherwise identical).
Without a lookup configured, the adapters take the same path as in the
tables above.

| framework | static | cached lookup | time ratio | allocations static | allocations cached | extra |
|---|---:|---:|---:|---:|---:|---:|"
    );
    for framework in LOOKUP_FRAMEWORKS {
        let fixed = times.get("lookup", framework, "static");
        let cached = times.get("lookup", framework, "cached_lookup");
        let ratio = match (fixed, cached) {
            (Some(fixed), Some(cached)) => format!("{:.2}", cached / fixed),
            _ => "?".to_owned(),
        };
        let allocations = |rule: &str| {
            records
                .lookup
                .get(&(framework.to_owned(), rule.to_owned()))
                .copied()
        };
        let (a, b) = (allocations("static"), allocations("cached_lookup"));
        let extra = match (a, b) {
            (Some(a), Some(b)) => format!("{:+}", b - a),
            _ => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {framework} | {} | {} | {ratio} | {} | {} | {extra} |",
            fixed.map_or("?".to_owned(), duration),
            cached.map_or("?".to_owned(), duration),
            a.map_or("?".to_owned(), count),
            b.map_or("?".to_owned(), count),
        );
    }
    out.push('\n');
}

/// The paired ratio ours/`against` of one cell, checked against `limit`.
fn paired_cell(
    times: &Times,
    (framework, scenario, against): (&str, &str, &str),
    limit: f64,
    misses: &mut Vec<Miss>,
    checked: &mut usize,
) -> String {
    let Some(paired) = times.paired(framework, scenario, "ours", against) else {
        return "?".to_owned();
    };
    *checked += 1;
    if paired.median > limit {
        misses.push(Miss(format!(
            "{framework} {scenario}: paired ours/{against} {:.2} > {limit:.2}",
            paired.median
        )));
    }
    paired.show(limit)
}

/// How far above the floor this project's warp adapter may be.
const FLOOR_LIMIT: f64 = 1.10;

/// warp's floors against ours: the cheapest wrapper its public API allows,
/// and the cheapest that answers CORS correctly.
fn floor_table(
    out: &mut String,
    records: &Records,
    times: &Times,
    misses: &mut Vec<Miss>,
    checked: &mut usize,
) {
    let _ = writeln!(
        out,
        "#### warp: the floors of its public API

warp lends a request's headers only to its own filters: `warp::cors()`
reads them in place, while a wrapper outside warp gets each header through
a filter that copies it (`warp::header::*`), and must turn a rejection into
a response itself to put a header on it. The **floor**
(`cors_benches::apps::warp::floor`) does only that: it reads `Origin` and
sets one header on the reply or on the response made from a rejection, with
no policy. Ratios are ours/floor, from criterion's times and from the
paired bench; target: at most {FLOOR_LIMIT:.2}.

The **conforming** floor (`cors_benches::apps::warp::conforming_floor`) is
the least such a wrapper does to answer CORS correctly, with the benchmark
policy written into its code instead of evaluated: it reads every `Origin`
line (warp's header filters give only the first, so it clones the header
map), validates a preflight's method and headers, and sets the headers a
browser needs and `Vary` on every response. Its paired ratio to the peer
is what any conforming wrapper outside warp starts from; ours/conforming is
what this project's engine and filters add to it (reported, no target).
Allocations: floor / conforming / ours.

| scenario | floor | conforming | ours | ours/floor | paired ours/floor | paired ours/conforming | paired conforming/peer | allocations |
|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (scenario, _) in SCENARIOS {
        let t = |variant| times.get("warp", scenario, variant);
        let (Some(floor), Some(ours)) = (t("floor"), t("ours")) else {
            let _ = writeln!(out, "| {scenario} | (not measured) ||||||||");
            continue;
        };
        let Some(ratio) = times.ratio("warp", scenario, "ours", "floor") else {
            continue;
        };
        *checked += 1;
        if ratio.median > FLOOR_LIMIT {
            misses.push(Miss(format!(
                "warp {scenario}: ours/floor {:.2} > {FLOOR_LIMIT:.2}",
                ratio.median
            )));
        }
        let paired = paired_cell(
            times,
            ("warp", scenario, "floor"),
            FLOOR_LIMIT,
            misses,
            checked,
        );
        let reported = |a, b| {
            times
                .paired("warp", scenario, a, b)
                .map_or("?".to_owned(), Spread::plain)
        };
        let a = |variant| records.allocations("warp", scenario, variant);
        let allocations = match (a("floor"), a("conforming"), a("ours")) {
            (Some(f), Some(c), Some(o)) => {
                format!("{} / {} / {}", count(f.0), count(c.0), count(o.0))
            }
            _ => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {scenario} | {} | {} | {} | {} | {paired} | {} | {} | {allocations} |",
            duration(floor),
            t("conforming").map_or("?".to_owned(), duration),
            duration(ours),
            ratio.show(FLOOR_LIMIT),
            reported("ours", "conforming"),
            reported("conforming", "peer"),
        );
    }
    out.push('\n');
}

/// The engine's route and shared-policy rows: reported, not targets.
fn engine_routes_and_loads(out: &mut String, times: &Times) {
    let _ = writeln!(
        out,
        "### Routes

The same request (`GET` from the allowlist's origin) on the N = 1 policy
without routes, with one route (`/public/*`, any origin), and with 1,000
(`/public/*`, then `/sectionI/*` and `/sectionI/status` for each other
route).

| request | no routes | 1 route | 1,000 routes | 1,000 / 1 |
|---|---:|---:|---:|---:|"
    );
    for (case, what) in ROUTE_CASES {
        let t: Vec<Option<f64>> = ROUTE_COUNTS
            .iter()
            .map(|count| times.get("evaluate", case, count))
            .collect();
        let shown: Vec<String> = t
            .iter()
            .map(|t| t.map_or("?".to_owned(), duration))
            .collect();
        let ratio = match (t[1], t[2]) {
            (Some(one), Some(many)) => format!("{:.2}", many / one),
            _ => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | {ratio} |",
            shown[0], shown[1], shown[2]
        );
    }

    let _ = writeln!(
        out,
        "
### Shared policies

The `actual_exact` request at N = 1, evaluated on a policy read each
time as an adapter reads it.

| policy read through | time | / plain `Policy` |
|---|---:|---:|"
    );
    let plain = times.get("evaluate", "load", LOADS[0].0);
    for (parameter, what) in LOADS {
        let time = times.get("evaluate", "load", parameter);
        let ratio = match (time, plain) {
            (Some(time), Some(plain)) => format!("{:.2}", time / plain),
            _ => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {what} | {} | {ratio} |",
            time.map_or("?".to_owned(), duration)
        );
    }
    let _ = writeln!(
        out,
        "
None of these allocates: `cors-core`'s allocation tests count every
route, lookup and shared-policy path (after a thread's first
`SharedPolicy` read, which may register the thread with `arc-swap` once).
"
    );
}

/// `cargo xtask bench --e2e`: the release `cors-demo` against the same
/// application served with the peer crate (`peer-demo`, in `cors-benches`),
/// over real sockets on 127.0.0.1, measured with `wrk`: every request kind,
/// every framework, the two servers alternating (ours first in odd rounds,
/// the peer first in even ones), both configured to the benchmark policy.
/// Writes its section of `BENCHMARKS.md`, keeping the rest.
pub(crate) mod e2e {
    use std::fmt::Write as _;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::{E2E_HEADING, FRAMEWORKS, cargo_stdout, command_line, load_average, mark, median};

    /// How long and how often each pair is measured.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Options {
        /// Seconds per `wrk` run.
        pub(crate) seconds: u64,
        /// Runs of each server per request kind.
        pub(crate) rounds: usize,
    }

    impl Default for Options {
        // Many short pairs rather than a few long ones: this machine's
        // speed drifts over seconds, and a pair run a second apart sees
        // the same drift. Three 5 s rounds once had cors-axum serve 0.83
        // of tower-http's rate on requests without `Origin`, where in
        // process it takes 0.56 of its time; eleven 1 s rounds agreed in
        // direction with the in-process table on every row.
        fn default() -> Self {
            Options {
                seconds: 1,
                rounds: 11,
            }
        }
    }

    /// The policy both servers apply: the framework bench's.
    const POLICY: &str = r#"allow_origins = ["https://app0.example.com"]
allow_methods = ["GET", "POST", "PUT", "DELETE"]
allow_headers = ["authorization", "x-request-id", "x-api-key"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 600
"#;

    /// A request kind: name, method, headers, and what the answer shows
    /// (status class, whether `Access-Control-Allow-Origin` is present) for
    /// ours; the peer's answer is only required to be an HTTP answer.
    struct Kind {
        name: &'static str,
        method: &'static str,
        headers: &'static [(&'static str, &'static str)],
        ours_status: u16,
        ours_allows: bool,
    }

    impl Kind {
        /// The headers to send: all but `Host`, which the client sets to
        /// the server's address (a second `Host` line is a bad request).
        fn sent_headers(&self) -> impl Iterator<Item = &(&'static str, &'static str)> {
            self.headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
        }
    }

    /// Chromium's `fetch` headers, the list the in-process
    /// `browser_allowed` scenario sends.
    mod chromium {
        include!("../../benches/src/apps/chromium_fetch.rs");
    }

    const KINDS: [Kind; 6] = [
        Kind {
            name: "non_cors",
            method: "GET",
            headers: &[],
            ours_status: 200,
            ours_allows: false,
        },
        Kind {
            name: "actual_allowed",
            method: "GET",
            headers: &[("Origin", "https://app0.example.com")],
            ours_status: 200,
            ours_allows: true,
        },
        Kind {
            name: "actual_refused",
            method: "GET",
            headers: &[("Origin", "https://evil.example")],
            ours_status: 200,
            ours_allows: false,
        },
        Kind {
            name: "preflight_allowed",
            method: "OPTIONS",
            headers: &[
                ("Origin", "https://app0.example.com"),
                ("Access-Control-Request-Method", "PUT"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,x-request-id,x-api-key",
                ),
            ],
            ours_status: 204,
            ours_allows: true,
        },
        Kind {
            name: "preflight_refused",
            method: "OPTIONS",
            headers: &[
                ("Origin", "https://app0.example.com"),
                ("Access-Control-Request-Method", "PATCH"),
            ],
            ours_status: 403,
            ours_allows: false,
        },
        Kind {
            name: "browser_allowed",
            method: "GET",
            headers: &chromium::CHROMIUM_FETCH,
            ours_status: 200,
            ours_allows: true,
        },
    ];

    /// A server this command started, killed when dropped.
    struct Server {
        child: Child,
        address: SocketAddr,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// A free port on 127.0.0.1, released for the server to bind.
    fn free_address() -> Result<SocketAddr, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
        listener.local_addr().map_err(|e| format!("bind: {e}"))
    }

    /// Starts `program` with `args` and waits until `address` accepts.
    fn start(
        program: &Path,
        args: &[String],
        address: SocketAddr,
        pinned: bool,
    ) -> Result<Server, String> {
        let child = pin(program.as_os_str(), SERVER_CPU, pinned)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let mut server = Server { child, address };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(address).is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{} exited: {status}", program.display()));
            }
            if Instant::now() > deadline {
                return Err(format!("{} never listened on {address}", program.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One request over a fresh connection: the status and the header
    /// names (lower case).
    fn ask(address: SocketAddr, kind: &Kind) -> Result<(u16, Vec<String>), String> {
        let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut request = format!(
            "{} /echo HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n",
            kind.method
        );
        for (name, value) in kind.sent_headers() {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        let head = answer.split("\r\n\r\n").next().unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("no HTTP answer from {address}"))?;
        let names = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, _)| name.trim().to_ascii_lowercase())
            .collect();
        Ok((status, names))
    }

    /// The CPU the servers run on, and the one `wrk` runs on, when pinned.
    const SERVER_CPU: &str = "0";
    const CLIENT_CPU: &str = "1";

    /// Whether to pin: with two CPUs or more and `taskset`, the servers get
    /// one CPU and `wrk` another, so that the client never competes with
    /// the server it measures (unpinned, the scheduler mixes them, and a
    /// round's rate depends on where the threads happened to land).
    fn pinning() -> bool {
        std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
            && Command::new("taskset")
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
    }

    /// `program`, run on `cpu` when `pinned`.
    fn pin(program: &std::ffi::OsStr, cpu: &str, pinned: bool) -> Command {
        if pinned {
            let mut command = Command::new("taskset");
            command.args(["-c", cpu]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// `wrk`'s requests per second for `kind` against `address`.
    fn wrk(address: SocketAddr, script: &Path, seconds: u64, pinned: bool) -> Result<f64, String> {
        let url = format!("http://{address}/echo");
        let duration = format!("{seconds}s");
        let script = script.display().to_string();
        let args = ["-t1", "-c16", "-d", &duration, "-s", &script, &url];
        let output = pin("wrk".as_ref(), CLIENT_CPU, pinned)
            .args(args)
            .output()
            .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!("wrk {}: {text}", args.join(" ")));
        }
        if text.contains("Socket errors") {
            return Err(format!("wrk {}: socket errors:\n{text}", args.join(" ")));
        }
        text.lines()
            .find_map(|line| line.strip_prefix("Requests/sec:"))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| format!("wrk {}: no Requests/sec in:\n{text}", args.join(" ")))
    }

    /// The `wrk` script sending `kind`'s request.
    fn script(kind: &Kind) -> String {
        let mut script = format!("wrk.method = \"{}\"\n", kind.method);
        for (name, value) in kind.sent_headers() {
            // Lua's quoted strings take `\"` and `\\` as in Rust's.
            let value = value.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(script, "wrk.headers[\"{name}\"] = \"{value}\"");
        }
        script
    }

    /// One row of the table.
    struct Row {
        framework: &'static str,
        kind: &'static str,
        ours: Vec<f64>,
        peer: Vec<f64>,
    }

    pub(crate) fn run(root: &Path, options: &Options) -> Result<(), String> {
        Command::new("wrk")
            .arg("--version")
            .output()
            .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"))?;
        cargo_stdout(&[
            "build",
            "--release",
            "-p",
            "cors-examples",
            "--bin",
            "cors-demo",
        ])?;
        cargo_stdout(&[
            "build",
            "--release",
            "-p",
            "cors-benches",
            "--bin",
            "peer-demo",
        ])?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join("target"), PathBuf::from)
            .join("release");
        let scratch = std::env::temp_dir().join(format!("cors-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
        let result = measure(&target, &scratch, options);
        let _ = std::fs::remove_dir_all(&scratch);
        let (rows, load_before, load_after, pinned) = result?;

        let section = report(&rows, options, (&load_before, &load_after), pinned);
        super::write_section(root, E2E_HEADING, &section, "--e2e")
    }

    /// The rows, the load average before and after, and whether pinned.
    type Measured = (Vec<Row>, String, String, bool);

    fn measure(target: &Path, scratch: &Path, options: &Options) -> Result<Measured, String> {
        let pinned = pinning();
        let policy = scratch.join("policy.toml");
        std::fs::write(&policy, POLICY).map_err(|e| format!("{}: {e}", policy.display()))?;
        let mut scripts = Vec::new();
        for kind in &KINDS {
            let path = scratch.join(format!("{}.lua", kind.name));
            std::fs::write(&path, script(kind)).map_err(|e| format!("{}: {e}", path.display()))?;
            scripts.push(path);
        }
        let load_before = load_average();
        let mut rows = Vec::new();
        for (framework, _, _) in FRAMEWORKS {
            let (api, page, peer_address) = (free_address()?, free_address()?, free_address()?);
            let ours = start(
                &target.join("cors-demo"),
                &[
                    "--framework".into(),
                    framework.into(),
                    "--policy".into(),
                    policy.display().to_string(),
                    "--listen".into(),
                    api.to_string(),
                    "--page-listen".into(),
                    page.to_string(),
                ],
                api,
                pinned,
            )?;
            let peer = start(
                &target.join("peer-demo"),
                &[framework.into(), peer_address.to_string()],
                peer_address,
                pinned,
            )?;
            for (kind, script) in KINDS.iter().zip(&scripts) {
                let (status, names) = ask(ours.address, kind)?;
                let allows = names.iter().any(|n| n == "access-control-allow-origin");
                let varies = names.iter().any(|n| n == "vary");
                if status != kind.ours_status || allows != kind.ours_allows || !varies {
                    return Err(format!(
                        "{framework} {}: cors-demo answered {status} with {names:?}",
                        kind.name
                    ));
                }
                ask(peer.address, kind)?;
                let mut row = Row {
                    framework,
                    kind: kind.name,
                    ours: Vec::new(),
                    peer: Vec::new(),
                };
                for round in 0..options.rounds {
                    println!("==> {framework} {} round {}", kind.name, round + 1);
                    let order = if round % 2 == 0 {
                        [&ours, &peer]
                    } else {
                        [&peer, &ours]
                    };
                    for server in order {
                        let rate = wrk(server.address, script, options.seconds, pinned)?;
                        if std::ptr::eq(server, &ours) {
                            row.ours.push(rate);
                        } else {
                            row.peer.push(rate);
                        }
                    }
                }
                rows.push(row);
            }
        }
        Ok((rows, load_before, load_average(), pinned))
    }

    fn report(
        rows: &[Row],
        options: &Options,
        (before, after): (&str, &str),
        pinned: bool,
    ) -> String {
        let placement = if pinned {
            "the servers on CPU 0 and `wrk` on CPU 1 (`taskset`), so that the client never takes \
             the server's CPU"
        } else {
            "unpinned (one CPU, or no `taskset`): the client and the server share the CPUs"
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{E2E_HEADING}

Written by `cargo xtask bench --e2e` on {date}; {rustc}; load average
before: {before}, after: {after}. The release `cors-demo` (this project's
adapter, `--policy` with the framework bench's policy) against `peer-demo`
(`cors-benches`: the demo's own routes, runtime and serving shape, with
the crate the adapter replaces, configured to the same policy, in the
adapter's place), both on
127.0.0.1, each request kind sent by `wrk -t1 -c16 -d{seconds}s` (keep-alive)
to `/echo`, {placement}; {rounds} rounds per kind, the two servers alternating (ours
first in odd rounds). Requests per second: the median of the rounds;
ours/peer: the median of the rounds' ratios (lowest–highest). Target: at
least 1.0. The same request kinds as the in-process scenarios (without the
1,000-origin allowlist). warp-tower: the routes served as a tower service
on hyper (`cors-demo --framework warp-tower`), under cors-axum's layer,
against `warp::cors()` inside the same service. To reproduce: `cargo xtask bench --e2e`
(`--seconds S`, `--rounds R`; `wrk` must be installed).

| framework | request | ours (req/s) | peer (req/s) | ours/peer |
|---|---|---:|---:|---:|",
            date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            rustc = command_line("rustc", &["--version"]),
            seconds = options.seconds,
            rounds = options.rounds,
        );
        let mut misses = Vec::new();
        for row in rows {
            let ratios: Vec<f64> = row
                .ours
                .iter()
                .zip(&row.peer)
                .map(|(ours, peer)| ours / peer)
                .collect();
            let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ratio = median(ratios).unwrap_or(f64::NAN);
            if ratio.is_nan() || ratio < 1.0 {
                misses.push(format!(
                    "{} {}: ours/peer {ratio:.2} < 1.0",
                    row.framework, row.kind
                ));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {ratio:.2} {} ({low:.2}–{high:.2}) |",
                row.framework,
                row.kind,
                median(row.ours.clone()).unwrap_or(f64::NAN),
                median(row.peer.clone()).unwrap_or(f64::NAN),
                mark(ratio >= 1.0),
            );
        }
        out.push('\n');
        if misses.is_empty() {
            let _ = writeln!(out, "All {} rows at least 1.0.", rows.len());
        } else {
            let _ = writeln!(out, "{} of {} rows below 1.0:\n", misses.len(), rows.len());
            for miss in misses {
                let _ = writeln!(out, "- {miss}");
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn scripts_quote_values_for_lua_and_leave_host_to_wrk() {
            let browser = KINDS
                .iter()
                .find(|kind| kind.name == "browser_allowed")
                .expect("the browser kind");
            let script = script(browser);
            assert!(script.starts_with("wrk.method = \"GET\"\n"), "{script}");
            let quoted =
                r#"wrk.headers["sec-ch-ua"] = "\"Chromium\";v=\"156\", \"Not-A.Brand\";v=\"24\"""#;
            assert!(script.contains(quoted), "{script}");
            let origin = r#"wrk.headers["origin"] = "https://app0.example.com""#;
            assert!(script.contains(origin), "{script}");
            assert!(
                !script.to_ascii_lowercase().contains("\"host\""),
                "{script}"
            );
        }

        #[test]
        fn pins_a_command_to_a_cpu_only_when_asked() {
            let pinned = pin("wrk".as_ref(), CLIENT_CPU, true);
            assert_eq!(pinned.get_program(), "taskset");
            assert_eq!(pinned.get_args().collect::<Vec<_>>(), ["-c", "1", "wrk"]);
            let plain = pin("wrk".as_ref(), CLIENT_CPU, false);
            assert_eq!(plain.get_program(), "wrk");
            assert_eq!(plain.get_args().count(), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_median_point_estimate() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1234.5e-1,"standard_error":0.1},"median_abs_dev":{"point_estimate":9.0}}"#;
        assert_eq!(median_point_estimate(json), Some(123.45));
        assert_eq!(median_point_estimate("{}"), None);
    }

    #[test]
    fn parses_allocation_records() {
        let output = "table line\n\
                      engine\tnon_cors\t1\t0\n\
                      alloc\taxum\tnon_cors\tours\t12\t1024.5\n\
                      answer\taxum\tnon_cors\tours\t200 no CORS headers (vary: origin)\n";
        let records = Records::parse(output);
        assert_eq!(
            records.engine[&("non_cors".to_owned(), "1".to_owned())],
            0.0
        );
        assert_eq!(
            records.allocations("axum", "non_cors", "ours"),
            Some((12.0, 1024.5))
        );
        assert_eq!(
            records.answer("axum", "non_cors", "ours"),
            "200 no CORS headers (vary: origin)"
        );
    }

    #[test]
    fn reports_the_lookup_rows() {
        let records = Records::parse(
            "lookup\taxum\tstatic\t24\t2365\nlookup\taxum\tcached_lookup\t25\t2445\n",
        );
        let mut times = BTreeMap::new();
        times.insert("lookup/axum/static".to_owned(), 2000.0);
        times.insert("lookup/axum/cached_lookup".to_owned(), 2200.0);
        let mut out = String::new();
        lookup_table(
            &mut out,
            &records,
            &Times {
                once: times,
                runs: Vec::new(),
            },
        );
        assert!(
            out.contains("| axum | 2.00 µs | 2.20 µs | 1.10 | 24 | 25 | +1 |"),
            "{out}"
        );
        assert!(out.contains("| warp | ? | ? | ? | ? | ? | ? |"), "{out}");
    }

    #[test]
    fn reports_warps_floors() {
        let records = Records::parse(
            "alloc\twarp\tnon_cors\tfloor\t6\t900\n\
             alloc\twarp\tnon_cors\tconforming\t6\t950\n\
             alloc\twarp\tnon_cors\tours\t7\t990\n",
        );
        let mut run = BTreeMap::new();
        run.insert("warp/non_cors/floor".to_owned(), 1000.0);
        run.insert("warp/non_cors/conforming".to_owned(), 1150.0);
        run.insert("warp/non_cors/ours".to_owned(), 1200.0);
        run.extend(parse_paired(
            "paired warp non_cors ours/floor 1.2500 1.2 1.3 41\n\
             paired warp non_cors ours/conforming 1.0400 1 1.1 41\n\
             paired warp non_cors conforming/peer 1.1500 1.1 1.2 41\n",
        ));
        let mut times = Times::default();
        times.add_run(Times {
            once: run,
            runs: Vec::new(),
        });
        let (mut out, mut misses, mut checked) = (String::new(), Vec::new(), 0);
        floor_table(&mut out, &records, &times, &mut misses, &mut checked);
        assert!(
            out.contains(
                "| non_cors | 1.00 µs | 1.15 µs | 1.20 µs | 1.20 ✗ | 1.25 ✗ | 1.04 | 1.15 | 6 / 6 / 7 |"
            ),
            "{out}"
        );
        // Only the two ratios to the floor have a target.
        assert_eq!(checked, 2);
        let missed: Vec<&str> = misses.iter().map(|Miss(what)| what.as_str()).collect();
        assert_eq!(
            missed,
            [
                "warp non_cors: ours/floor 1.20 > 1.10",
                "warp non_cors: paired ours/floor 1.25 > 1.10"
            ]
        );
        assert!(
            out.contains("| actual_allowed | (not measured) ||||||||"),
            "{out}"
        );
    }

    #[test]
    fn reports_the_route_and_shared_policy_rows() {
        let mut times = BTreeMap::new();
        for (case, base) in [("routes_prefix_hit", 40.0), ("routes_fallthrough", 50.0)] {
            for (count, extra) in [("0", 0.0), ("1", 40.0), ("1000", 60.0)] {
                times.insert(format!("evaluate/{case}/{count}"), base + extra);
            }
        }
        times.insert("evaluate/load/policy".to_owned(), 40.0);
        times.insert("evaluate/load/shared_policy".to_owned(), 50.0);
        let mut out = String::new();
        engine_routes_and_loads(
            &mut out,
            &Times {
                once: times,
                runs: Vec::new(),
            },
        );
        assert!(
            out.contains("| `GET /public/assets/app.js`: the `/public/*` route | 40 ns | 80 ns | 100 ns | 1.25 |"),
            "{out}"
        );
        assert!(
            out.contains("| `GET /v1/users/42/orders`: no route, the top level | 50 ns | 90 ns | 110 ns | 1.22 |"),
            "{out}"
        );
        assert!(out.contains("| a plain `Policy` | 40 ns | 1.00 |"), "{out}");
        assert!(
            out.contains("| `SharedPolicy::load()` | 50 ns | 1.25 |"),
            "{out}"
        );
        // Not measured: shown as such, not dropped.
        assert!(
            out.contains("| `PolicySource::load()` of a `SharedPolicy` | ? | ? |"),
            "{out}"
        );
    }

    #[test]
    fn framework_cells_are_medians_of_runs_and_ratios_medians_of_ratios() {
        let mut times = Times::default();
        for (ours, peer) in [(90.0, 100.0), (120.0, 100.0), (100.0, 125.0)] {
            let mut run = BTreeMap::new();
            run.insert("warp/non_cors/ours".to_owned(), ours);
            run.insert("warp/non_cors/peer".to_owned(), peer);
            times.add_run(Times {
                once: run,
                runs: Vec::new(),
            });
        }
        assert_eq!(times.get("warp", "non_cors", "ours"), Some(100.0));
        assert_eq!(times.get("warp", "non_cors", "peer"), Some(100.0));
        let ratio = times.ratio("warp", "non_cors", "ours", "peer").unwrap();
        assert_eq!(ratio.median, 0.9);
        assert_eq!((ratio.low, ratio.high, ratio.runs), (0.8, 1.2, 3));
        assert_eq!(ratio.show(1.0), "0.90 ✓ (0.80–1.20)");
        assert_eq!(times.ratio("warp", "non_cors", "ours", "floor"), None);
        assert_eq!(median(vec![3.0, 1.0]), Some(2.0));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn paired_ratios_are_read_per_run_and_reported_as_their_median() {
        let mut times = Times::default();
        for median in ["0.9700", "1.0300", "0.9900"] {
            let output = format!(
                "Running benches/paired.rs\n\
                 paired actix non_cors ours/peer {median} 0.9500 1.0100 41\n\
                 paired warp non_cors ours/floor 1.2000 1.1000 1.3000 41\n\
                 paired broken line\n"
            );
            let run = parse_paired(&output);
            assert_eq!(run.len(), 2, "{run:?}");
            times.add_run(Times {
                once: run,
                runs: Vec::new(),
            });
        }
        let paired = times.paired("actix", "non_cors", "ours", "peer").unwrap();
        assert_eq!((paired.median, paired.low, paired.high), (0.99, 0.97, 1.03));
        assert_eq!(paired.show(1.0), "0.99 ✓ (0.97–1.03)");
        let floor = times.paired("warp", "non_cors", "ours", "floor").unwrap();
        assert_eq!(floor.show(1.10), "1.20 ✗ (1.20–1.20)");
        assert_eq!(floor.plain(), "1.20 (1.20–1.20)");
        assert_eq!(times.paired("axum", "non_cors", "ours", "peer"), None);

        let (mut misses, mut checked) = (Vec::new(), 0);
        let cell = |cell, limit, misses: &mut Vec<Miss>, checked: &mut usize| {
            paired_cell(&times, cell, limit, misses, checked)
        };
        let shown = cell(
            ("actix", "non_cors", "peer"),
            1.0,
            &mut misses,
            &mut checked,
        );
        assert_eq!(
            (shown.as_str(), checked, misses.len()),
            ("0.99 ✓ (0.97–1.03)", 1, 0)
        );
        let shown = cell(
            ("warp", "non_cors", "floor"),
            1.10,
            &mut misses,
            &mut checked,
        );
        assert_eq!((shown.as_str(), checked), ("1.20 ✗ (1.20–1.20)", 2));
        let missed: Vec<&str> = misses.iter().map(|Miss(what)| what.as_str()).collect();
        assert_eq!(missed, ["warp non_cors: paired ours/floor 1.20 > 1.10"]);
        let shown = cell(("axum", "non_cors", "peer"), 1.0, &mut misses, &mut checked);
        assert_eq!((shown.as_str(), checked, misses.len()), ("?", 2, 1));
    }

    #[test]
    fn parses_the_options() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            Options::parse(&[]).unwrap(),
            Options {
                runs: DEFAULT_RUNS,
                e2e: None,
                instructions: false,
            }
        );
        assert_eq!(Options::parse(&args(&["--runs", "5"])).unwrap().runs, 5);
        assert!(
            Options::parse(&args(&["--instructions"]))
                .unwrap()
                .instructions
        );
        let e2e = Options::parse(&args(&["--e2e", "--seconds", "2", "--rounds", "4"]))
            .unwrap()
            .e2e
            .unwrap();
        assert_eq!((e2e.seconds, e2e.rounds), (2, 4));
        assert!(Options::parse(&args(&["--runs", "0"])).is_err());
        assert!(Options::parse(&args(&["--runs"])).is_err());
        assert!(Options::parse(&args(&["--fast"])).is_err());
    }

    #[test]
    fn finds_the_end_to_end_section() {
        let text = format!("# B\n\n## Machine\n\nx\n\n{E2E_HEADING}\n\n| a |\n\n## Targets\n\ny\n");
        assert_eq!(
            section(&text, E2E_HEADING),
            Some(&*format!("{E2E_HEADING}\n\n| a |\n\n"))
        );
        let last = format!("# B\n\n{E2E_HEADING}\n\n| a |\n");
        assert_eq!(
            section(&last, E2E_HEADING),
            Some(&*format!("{E2E_HEADING}\n\n| a |\n"))
        );
        assert_eq!(section("# B\n", E2E_HEADING), None);
        assert_eq!(
            replace_section(&text, E2E_HEADING, &format!("{E2E_HEADING}\n\n| b |\n\n")),
            format!("# B\n\n## Machine\n\nx\n\n{E2E_HEADING}\n\n| b |\n\n## Targets\n\ny\n")
        );
        assert_eq!(
            replace_section("# B\n", E2E_HEADING, "## End\n"),
            "# B\n\n## End\n"
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(duration(950.4), "950 ns");
        assert_eq!(duration(12_345.0), "12.35 µs");
        assert_eq!(count(3.0), "3");
        assert_eq!(count(2.5), "2.5");
    }
}
