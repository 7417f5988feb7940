//! `cargo xtask bench --instructions`: instructions per request of every
//! in-process cell, counted by callgrind, written into their section of
//! `BENCHMARKS.md`.
//!
//! Times on a shared two-core machine move by tens of percent from run to
//! run; an instruction count does not: the same binary, request and count
//! give the same total, whatever else the machine is doing. The `cell`
//! program (`cors-benches`) sends one cell's request `n` times after
//! checking its answer; the count for `LOW` requests is taken from the
//! count for `HIGH`, so that building the applications and the first
//! requests' one-time work drop out, and divided by the difference.
//! Instructions are not time (a cache miss or an atomic costs more than an
//! add), so this table explains the timed one rather than replacing it.
//!
//! One cause of such a difference is counted too: how much machine code a
//! request runs. A processor keeps recently run code in a first-level
//! instruction cache (commonly 32 KiB: 512 lines of 64 bytes; the report
//! gives the measuring machine's); a request whose code does not fit there
//! fetches lines again on
//! every request, a cost that the instruction count does not show (a
//! middleware can run fewer instructions than another and take as long).
//! So the same runs, with `--dump-instr=yes`, also give each cell's *hot
//! code*: the 64-byte lines holding an instruction run by at least nine
//! requests in ten.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{FRAMEWORKS, SCENARIOS, WARP_TOWER, cargo_stdout, command_line};

/// The heading of this section, which the other runs keep.
pub(crate) const HEADING: &str = "## Instructions per request (callgrind)";

/// The two request counts whose difference is measured.
const LOW: u64 = 200;
const HIGH: u64 = 1200;

/// The size of a line of the instruction cache, in bytes.
const CACHE_LINE: u64 = 64;

/// How many times each instruction ran, by object (the file's path: two
/// profiles number their objects in the order they met them) and address.
type Counts = HashMap<String, HashMap<u64, u64>>;

/// A table row: framework, scenario and each variant's counts.
type Row = (&'static str, &'static str, Vec<Count>);

/// One cell's counts per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Count {
    /// Instructions run.
    instructions: u64,
    /// Lines of machine code run by nine requests in ten or more.
    hot_lines: usize,
}

/// Counts every cell and writes the section.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .map_err(|e| format!("valgrind: {e} (install it: apt-get install valgrind)"))?;
    cargo_stdout(&[
        "build",
        "--profile",
        "bench",
        "-p",
        "cors-benches",
        "--bin",
        "cell",
    ])?;
    let cell = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), Into::into)
        .join("release")
        .join("cell");
    let scratch = std::env::temp_dir().join(format!("cors-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let rows = count_all(&cell, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let report = report(&rows?, instruction_cache());
    super::write_section(root, HEADING, &report, "--instructions")
}

/// Every cell's counts, in table order.
fn count_all(cell: &Path, scratch: &Path) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (framework, _, _) in FRAMEWORKS {
        for (scenario, _) in SCENARIOS {
            let mut counts = Vec::new();
            for variant in variants(framework) {
                println!("==> {framework} {scenario} {variant}");
                counts.push(per_request(cell, scratch, framework, scenario, variant)?);
            }
            rows.push((framework, scenario, counts));
        }
    }
    Ok(rows)
}

/// The variants counted for `framework`: warp's floors too.
fn variants(framework: &str) -> &'static [&'static str] {
    if framework == "warp" {
        &["baseline", "ours", "peer", "floor", "conforming"]
    } else {
        &["baseline", "ours", "peer"]
    }
}

/// The counts per request of one cell.
fn per_request(
    cell: &Path,
    scratch: &Path,
    framework: &str,
    scenario: &str,
    variant: &str,
) -> Result<Count, String> {
    let run = |requests: u64| -> Result<(u64, Counts), String> {
        let profile = scratch.join(format!("{requests}.out"));
        let output = Command::new("valgrind")
            .args([
                "--tool=callgrind",
                "--dump-instr=yes",
                "--compress-pos=no",
                "--compress-strings=no",
            ])
            .arg(format!("--callgrind-out-file={}", profile.display()))
            .arg(cell)
            .args([framework, scenario, variant, &requests.to_string()])
            .output()
            .map_err(|e| format!("valgrind: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!(
                "cell {framework} {scenario} {variant} {requests} failed:\n{stderr}"
            ));
        }
        let total =
            collected(&stderr).ok_or_else(|| format!("no instruction count in:\n{stderr}"))?;
        let text = std::fs::read_to_string(&profile)
            .map_err(|e| format!("reading {}: {e}", profile.display()))?;
        Ok((total, instruction_counts(&text)))
    };
    let (low, high) = (run(LOW)?, run(HIGH)?);
    Ok(Count {
        instructions: high.0.saturating_sub(low.0) / (HIGH - LOW),
        hot_lines: hot_lines(&low.1, &high.1, (HIGH - LOW) * 9 / 10),
    })
}

/// How many times each instruction ran, by object and address, from a
/// callgrind profile written with `--dump-instr=yes --compress-pos=no
/// --compress-strings=no`: cost lines read `<address> <line> <count>`; the
/// one after a `calls=` line is the call's inclusive cost and is skipped.
fn instruction_counts(profile: &str) -> Counts {
    let mut counts: HashMap<&str, HashMap<u64, u64>> = HashMap::new();
    let mut object = "";
    let mut call_cost_next = false;
    for line in profile.lines() {
        if let Some(name) = line.strip_prefix("ob=") {
            object = name;
        } else if line.starts_with("calls=") {
            call_cost_next = true;
        } else if let Some(hex) = line.strip_prefix("0x") {
            if std::mem::take(&mut call_cost_next) {
                continue;
            }
            let mut fields = hex.split_whitespace();
            let address = fields.next().and_then(|a| u64::from_str_radix(a, 16).ok());
            let count = fields.last().and_then(|c| c.parse::<u64>().ok());
            if let (Some(address), Some(count)) = (address, count) {
                *counts
                    .entry(object)
                    .or_default()
                    .entry(address)
                    .or_insert(0) += count;
            }
        }
    }
    counts
        .into_iter()
        .map(|(object, counts)| (object.to_owned(), counts))
        .collect()
}

/// The lines of code holding an instruction that ran at least `threshold`
/// times more in `high` than in `low`.
fn hot_lines(low: &Counts, high: &Counts, threshold: u64) -> usize {
    let none = HashMap::new();
    high.iter()
        .map(|(object, counts)| {
            let before = low.get(object).unwrap_or(&none);
            counts
                .iter()
                .filter(|(at, count)| {
                    count.saturating_sub(before.get(at).copied().unwrap_or(0)) >= threshold
                })
                .map(|(address, _)| address / CACHE_LINE)
                .collect::<HashSet<_>>()
                .len()
        })
        .sum()
}

/// The total in callgrind's `Collected : N` line.
fn collected(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|line| line.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

/// The size in bytes of this machine's first-level instruction cache, as
/// Linux reports it for the first CPU (`None` where it does not).
fn instruction_cache() -> Option<u64> {
    let caches = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    caches.flatten().find_map(|index| {
        let read = |file: &str| std::fs::read_to_string(index.path().join(file)).ok();
        let is_instruction = read("type")?.trim() == "Instruction" && read("level")?.trim() == "1";
        is_instruction.then(|| cache_size(&read("size")?)).flatten()
    })
}

/// A cache size as sysfs writes it (`32K`, `1M`, or bytes), in bytes.
fn cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.strip_suffix('K') {
        Some(digits) => (digits, 1024),
        None => match text.strip_suffix('M') {
            Some(digits) => (digits, 1024 * 1024),
            None => (text, 1),
        },
    };
    digits.parse::<u64>().ok().map(|n| n * unit)
}

/// What the report says of the instruction cache of size `cache`.
fn cache_sentence(cache: Option<u64>) -> String {
    match cache {
        Some(bytes) => format!(
            "The first-level instruction cache of this machine's cores holds
{} such lines ({} KiB)",
            bytes / CACHE_LINE,
            bytes / 1024
        ),
        None => "This machine did not report its instruction cache; a common
first-level one holds 512 such lines (32 KiB)"
            .to_owned(),
    }
}

/// The section: one table per framework; `cache` is the instruction
/// cache's size in bytes, when known.
fn report(rows: &[Row], cache: Option<u64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{HEADING}

Written by `cargo xtask bench --instructions` on {date}; {rustc}. Each
cell's request sent {LOW} and {HIGH} times by `cargo run --profile bench
--bin cell` under `valgrind --tool=callgrind`; the difference of the two
totals over {diff} requests. Deterministic for a given build: these explain
the timed tables above (where the instructions go), they do not replace
them. Cost: instructions over the baseline's. Ratios ours/peer.

**Hot code**: the {CACHE_LINE}-byte lines of machine code that at least nine
requests in ten run, for the baseline, ours and the peer (and warp's two
floors). {cache}; a request whose hot code is larger fetches lines
again each time, which costs time that the instruction count does not
show: a middleware that runs fewer instructions than another but more
distinct code can take as long.",
        date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        rustc = command_line("rustc", &["--version"]),
        diff = HIGH - LOW,
        cache = cache_sentence(cache),
    );
    for (framework, _, _) in FRAMEWORKS {
        let floor = framework == "warp";
        let _ = writeln!(out, "\n### {framework}\n");
        out.push_str("| scenario | baseline | ours | peer | ours/peer | ours cost | peer cost |");
        out.push_str(if floor {
            " floor | ours/floor | conforming | ours/conforming | conforming/peer |"
        } else {
            ""
        });
        out.push_str(" hot code (lines) |\n|---|---:|---:|---:|---:|---:|---:|");
        out.push_str(if floor {
            "---:|---:|---:|---:|---:|"
        } else {
            ""
        });
        out.push_str("---:|\n");
        for (_, scenario, counts) in rows.iter().filter(|(f, ..)| *f == framework) {
            let [baseline, ours, peer] =
                [counts[0], counts[1], counts[2]].map(|c| c.instructions as f64);
            let _ = write!(
                out,
                "| {scenario} | {baseline:.0} | {ours:.0} | {peer:.0} | {:.2} | {:.0} | {:.0} |",
                ours / peer,
                ours - baseline,
                peer - baseline,
            );
            if let Some(floor) = counts.get(3) {
                let _ = write!(
                    out,
                    " {} | {:.2} |",
                    floor.instructions,
                    ours / floor.instructions as f64
                );
            }
            if let Some(conforming) = counts.get(4) {
                let conforming_f = conforming.instructions as f64;
                let _ = write!(
                    out,
                    " {} | {:.2} | {:.2} |",
                    conforming.instructions,
                    ours / conforming_f,
                    conforming_f / peer,
                );
            }
            let hot: Vec<String> = counts.iter().map(|c| c.hot_lines.to_string()).collect();
            let _ = writeln!(out, " {} |", hot.join(" / "));
        }
        if floor {
            out.push_str(
                "\nwarp: floor, the least a wrapper on warp's public API does (reads \
                 `Origin`, sets one header); conforming, the least such a wrapper does \
                 to answer CORS correctly, the policy written into its code. Hot code: \
                 baseline / ours / peer / floor / conforming.\n",
            );
        }
        if framework == WARP_TOWER {
            out.push_str(
                "\nwarp-tower: warp's routes as a tower service (`warp::service`), under \
                 cors-axum's layer; the peer is `warp::cors()` inside the service.\n",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrinds_total() {
        let stderr = "==1== Events    : Ir\n==1== Collected : 11384072\n==1==\n==1== I   refs:      11,384,072\n";
        assert_eq!(collected(stderr), Some(11_384_072));
        assert_eq!(collected("==1== I   refs: 5\n"), None);
    }

    /// A count with `hot_lines` lines of hot code.
    fn count(instructions: u64, hot_lines: usize) -> Count {
        Count {
            instructions,
            hot_lines,
        }
    }

    #[test]
    fn report_has_a_row_per_cell_and_warps_floor() {
        let rows = vec![
            (
                "axum",
                "non_cors",
                vec![count(1000, 400), count(1500, 450), count(3000, 500)],
            ),
            (
                "warp",
                "non_cors",
                vec![
                    count(1000, 300),
                    count(1200, 320),
                    count(1100, 310),
                    count(1150, 305),
                    count(1125, 315),
                ],
            ),
        ];
        let text = report(&rows, Some(32 * 1024));
        assert!(
            text.contains("holds\n512 such lines (32 KiB); a request"),
            "{text}"
        );
        assert!(text.starts_with(HEADING), "{text}");
        assert!(
            text.contains(
                "| non_cors | 1000 | 1500 | 3000 | 0.50 | 500 | 2000 | 400 / 450 / 500 |\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| non_cors | 1000 | 1200 | 1100 | 1.09 | 200 | 100 | 1150 | 1.04 | 1125 | 1.07 | 1.02 | 300 / 320 / 310 / 305 / 315 |\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn reads_each_instructions_count_and_skips_call_costs() {
        // Two objects with an instruction at the same address; a call
        // line's inclusive cost (5000) is not an instruction's count.
        let profile = "positions: instr line\nevents: Ir\n\nob=/bin/a\nfl=x.rs\nfn=f\n\
                       0x1000 3 10\n0x1004 3 7\ncalls=1 0x2000 9\n0x1004 3 5000\n\
                       0x1008 4 2\nob=/lib/b\nfn=g\n0x1000 1 4\nob=/bin/a\nfn=h\n0x1000 3 1\n";
        let counts = instruction_counts(profile);
        assert_eq!(
            counts["/bin/a"],
            HashMap::from([(0x1000, 11), (0x1004, 7), (0x1008, 2)])
        );
        assert_eq!(counts["/lib/b"], HashMap::from([(0x1000, 4)]));
        assert_eq!(counts.len(), 2);
    }

    /// Counts for one object.
    fn of(object: &str, counts: &[(u64, u64)]) -> (String, HashMap<u64, u64>) {
        (object.to_owned(), counts.iter().copied().collect())
    }

    #[test]
    fn hot_lines_are_the_lines_that_each_request_runs() {
        let low = Counts::from([of("a", &[(0x1000, 200), (0x1040, 200), (0x2000, 5)])]);
        let high = Counts::from([
            of(
                "a",
                &[
                    // Run by every request: the same line counts once.
                    (0x1000, 1200),
                    (0x1010, 1000),
                    // Run by every request, the next line.
                    (0x1040, 1200),
                    // Run by half the requests: not hot.
                    (0x2000, 505),
                    // Run five times by every request (a loop).
                    (0x3000, 5000),
                ],
            ),
            // Another object's line at the same address.
            of("b", &[(0x1000, 900)]),
        ]);
        assert_eq!(hot_lines(&low, &high, 900), 4);
        assert_eq!(hot_lines(&low, &high, 1000), 3);
    }

    #[test]
    fn reads_sysfs_cache_sizes_and_says_when_there_is_none() {
        assert_eq!(cache_size("32K\n"), Some(32 * 1024));
        assert_eq!(cache_size("2M"), Some(2 * 1024 * 1024));
        assert_eq!(cache_size("49152"), Some(49152));
        assert_eq!(cache_size("big"), None);
        assert!(cache_sentence(Some(48 * 1024)).ends_with("768 such lines (48 KiB)"));
        assert!(cache_sentence(None).contains("did not report"));
    }

    #[test]
    fn objects_are_matched_by_name_whatever_order_the_profiles_met_them() {
        // In the shorter run the library came first; the lengthened run
        // ran one more line of the binary a thousand times, and nothing
        // else more.
        let low = instruction_counts("ob=/lib/b\n0x10 1 7000\nob=/bin/a\n0x10 1 200\n0x40 1 200\n");
        let high =
            instruction_counts("ob=/bin/a\n0x10 1 300\n0x40 1 1200\nob=/lib/b\n0x10 1 7000\n");
        assert_eq!(hot_lines(&low, &high, 900), 1);
    }
}
