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
//!    replaces, and no CORS at all, in process.
//!
//! Times are criterion's median point estimates, read from
//! `target/criterion/<group>/<function>/<parameter>/new/estimates.json`.
//! The report compares numbers from this one run only: the results of
//! earlier runs are removed first.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The frameworks, in report order, with the crate each adapter replaces.
const FRAMEWORKS: [(&str, &str, &str); 4] = [
    ("axum", "cors-axum", "tower-http `CorsLayer` (0.7)"),
    ("actix", "cors-actix", "`actix-cors` (0.7)"),
    ("rocket", "cors-rocket", "`rocket_cors` fairing (0.6)"),
    ("warp", "cors-warp", "`warp::cors()` (warp 0.4)"),
];

/// The scenarios, in report order, with what each request is.
const SCENARIOS: [(&str, &str); 6] = [
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

/// Runs everything and writes `BENCHMARKS.md`.
pub fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let criterion = target.join("criterion");
    for group in ["evaluate", "axum", "actix", "rocket", "warp"] {
        let dir = criterion.join(group);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("removing {}: {e}", dir.display()))?;
        }
    }

    let load_before = load_average();
    let allocations = cargo_stdout(&["bench", "-p", "cors-benches", "--bench", "allocations"])?;
    let criterion_args = [
        "--warm-up-time",
        WARM_UP_SECONDS,
        "--measurement-time",
        MEASUREMENT_SECONDS,
        "--noplot",
    ];
    for bench in ["engine", "frameworks"] {
        let mut args = vec!["bench", "-p", "cors-benches", "--bench", bench, "--"];
        args.extend(criterion_args);
        cargo_stdout(&args)?;
    }
    let load_after = load_average();

    let records = Records::parse(&allocations);
    let times = Times::read(&criterion)?;
    let machine = Machine {
        cpu: cpu_model(),
        cores: core_count(),
        rustc: command_line("rustc", &["--version"]),
        date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        load_before,
        load_after,
    };
    let report = report(&records, &times, &machine);
    let path = root.join("BENCHMARKS.md");
    std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("\n{report}");
    println!("xtask bench: wrote BENCHMARKS.md");
    Ok(())
}

/// Runs `cargo` with `args`, passing its output through, and returns its
/// standard output.
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

/// criterion's median estimates, in nanoseconds, by `group/function/parameter`.
struct Times(BTreeMap<String, f64>);

impl Times {
    fn read(criterion: &Path) -> Result<Times, String> {
        let mut times = BTreeMap::new();
        let groups = ["evaluate", "axum", "actix", "rocket", "warp"];
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
        Ok(Times(times))
    }

    fn get(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        self.0
            .get(&format!("{group}/{function}/{parameter}"))
            .copied()
    }
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
that one run on one machine. Times are criterion's **median** point
estimates for one request (or one `evaluate` call), {WARM_UP_SECONDS} s warm-up
and {MEASUREMENT_SECONDS} s measurement per benchmark; allocations are counted per
request by a counting global allocator (the `allocations` bench, all
runtimes single-threaded), averaged over 500 requests after 50 of warm-up.

## Machine

- CPU: {cpu}, {cores} cores
- {rustc}
- load average (1, 5, 15 min) before the run: {before}; after: {after}
  (other work on the machine makes times noisier, not the ratios unfair:
  each scenario's three variants run one right after the other)

To reproduce: `cargo xtask bench` (about 10 minutes on 2 cores). The
benchmarks live in `benches/` (package `cors-benches`): `engine`,
`frameworks` (criterion) and `allocations`.
",
        date = machine.date,
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
`warp::test::request().reply`), on a current-thread runtime.

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
            "| scenario | baseline | ours | peer | ours cost | peer cost | total ours/peer | cost ours/peer | allocations |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (scenario, _) in SCENARIOS {
            let t = |variant| times.get(framework, scenario, variant);
            let (Some(base), Some(ours), Some(peer)) = (t("baseline"), t("ours"), t("peer")) else {
                let _ = writeln!(out, "| {scenario} | (not measured) |||||||");
                misses.push(Miss(format!("{framework} {scenario}: not measured")));
                continue;
            };
            let (ours_cost, peer_cost) = (ours - base, peer - base);
            let total_ratio = ours / peer;
            checked += 1;
            if total_ratio > 1.0 {
                misses.push(Miss(format!(
                    "{framework} {scenario}: total ours/peer {total_ratio:.2} > 1.0"
                )));
            }
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
                "| {scenario} | {} | {} | {} | {} | {} | {total_ratio:.2} {} | {cost_ratio} | {allocations} |",
                duration(base),
                duration(ours),
                duration(peer),
                duration(ours_cost),
                duration(peer_cost),
                mark(total_ratio <= 1.0),
            );
        }
        out.push('\n');
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

    let _ = writeln!(
        out,
        "## Targets

- total time ours/peer ≤ 1.0 in every scenario of every framework;
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
        engine_routes_and_loads(&mut out, &Times(times));
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
    fn formats_numbers() {
        assert_eq!(duration(950.4), "950 ns");
        assert_eq!(duration(12_345.0), "12.35 µs");
        assert_eq!(count(3.0), "3");
        assert_eq!(count(2.5), "2.5");
    }
}
