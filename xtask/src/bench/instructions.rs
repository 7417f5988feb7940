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

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{FRAMEWORKS, SCENARIOS, WARP_TOWER, cargo_stdout, command_line};

/// The heading of this section, which the other runs keep.
pub(crate) const HEADING: &str = "## Instructions per request (callgrind)";

/// The two request counts whose difference is measured.
const LOW: u64 = 200;
const HIGH: u64 = 1200;

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
    let mut rows = Vec::new();
    for (framework, _, _) in FRAMEWORKS {
        for (scenario, _) in SCENARIOS {
            let mut counts = Vec::new();
            for variant in variants(framework) {
                println!("==> {framework} {scenario} {variant}");
                counts.push(per_request(&cell, framework, scenario, variant)?);
            }
            rows.push((framework, scenario, counts));
        }
    }
    super::write_section(root, HEADING, &report(&rows), "--instructions")
}

/// The variants counted for `framework`: warp's floors too.
fn variants(framework: &str) -> &'static [&'static str] {
    if framework == "warp" {
        &["baseline", "ours", "peer", "floor", "conforming"]
    } else {
        &["baseline", "ours", "peer"]
    }
}

/// Instructions per request of one cell.
fn per_request(cell: &Path, framework: &str, scenario: &str, variant: &str) -> Result<u64, String> {
    let count = |requests: u64| -> Result<u64, String> {
        let output = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
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
        collected(&stderr).ok_or_else(|| format!("no instruction count in:\n{stderr}"))
    };
    let (low, high) = (count(LOW)?, count(HIGH)?);
    Ok(high.saturating_sub(low) / (HIGH - LOW))
}

/// The total in callgrind's `Collected : N` line.
fn collected(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|line| line.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

/// The section: one table per framework.
fn report(rows: &[(&str, &str, Vec<u64>)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{HEADING}

Written by `cargo xtask bench --instructions` on {date}; {rustc}. Each
cell's request sent {LOW} and {HIGH} times by `cargo run --profile bench
--bin cell` under `valgrind --tool=callgrind`; the difference of the two
totals over {diff} requests. Deterministic for a given build: these explain
the timed tables above (where the instructions go), they do not replace
them. Cost: instructions over the baseline's. Ratios ours/peer.",
        date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        rustc = command_line("rustc", &["--version"]),
        diff = HIGH - LOW,
    );
    for (framework, _, _) in FRAMEWORKS {
        let floor = framework == "warp";
        let _ = writeln!(out, "\n### {framework}\n");
        out.push_str("| scenario | baseline | ours | peer | ours/peer | ours cost | peer cost |");
        out.push_str(if floor {
            " floor | ours/floor | conforming | ours/conforming | conforming/peer |\n"
        } else {
            "\n"
        });
        out.push_str("|---|---:|---:|---:|---:|---:|---:|");
        out.push_str(if floor {
            "---:|---:|---:|---:|---:|\n"
        } else {
            "\n"
        });
        for (_, scenario, counts) in rows.iter().filter(|(f, ..)| *f == framework) {
            let [baseline, ours, peer] = [counts[0], counts[1], counts[2]].map(|n| n as f64);
            let _ = write!(
                out,
                "| {scenario} | {baseline:.0} | {ours:.0} | {peer:.0} | {:.2} | {:.0} | {:.0} |",
                ours / peer,
                ours - baseline,
                peer - baseline,
            );
            if let Some(&floor) = counts.get(3) {
                let _ = write!(out, " {floor} | {:.2} |", ours / floor as f64);
            }
            if let Some(&conforming) = counts.get(4) {
                let conforming_f = conforming as f64;
                let _ = write!(
                    out,
                    " {conforming} | {:.2} | {:.2} |",
                    ours / conforming_f,
                    conforming_f / peer,
                );
            }
            out.push('\n');
        }
        if floor {
            out.push_str(
                "\nwarp: floor, the least a wrapper on warp's public API does (reads \
                 `Origin`, sets one header); conforming, the least such a wrapper does \
                 to answer CORS correctly, the policy written into its code.\n",
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

    #[test]
    fn report_has_a_row_per_cell_and_warps_floor() {
        let rows = vec![
            ("axum", "non_cors", vec![1000, 1500, 3000]),
            ("warp", "non_cors", vec![1000, 1200, 1100, 1150, 1125]),
        ];
        let text = report(&rows);
        assert!(text.starts_with(HEADING), "{text}");
        assert!(
            text.contains("| non_cors | 1000 | 1500 | 3000 | 0.50 | 500 | 2000 |\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "| non_cors | 1000 | 1200 | 1100 | 1.09 | 200 | 100 | 1150 | 1.04 | 1125 | 1.07 | 1.02 |\n"
            ),
            "{text}"
        );
    }
}
