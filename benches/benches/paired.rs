//! The time ratio of two variants of one framework, measured side by side:
//! `ours` against `peer` (and, for warp, `ours` against both floors and
//! the conforming floor against `peer`), in alternating chunks of requests.
//!
//! Why not only criterion: it times one benchmark, then the next, seconds
//! later. On a shared machine the speed of the machine itself moves by 10-30%
//! from one second to the next, so the ratio of two such medians moves as
//! much, and "ours at most the peer's time" cannot be told apart from noise.
//! Here each pair of chunks (one of each variant, in alternating order) runs
//! within a few milliseconds; the ratio of a pair is barely touched by drift,
//! and the median of the pairs' ratios is the figure reported.
//!
//! Output, one line per comparison, for `cargo xtask bench` to read:
//! `paired <framework> <scenario> <a>/<b> <median> <first quartile> <third quartile> <pairs>`.

// A benchmark binary, not a library: no public items to document.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use cors_benches::apps::{Framework, Scenario, Variant, actix, axum, rocket, warp, warp_tower};

/// How many pairs of chunks are timed per comparison.
const PAIRS: usize = 41;

/// How long one chunk should take: long enough that the clock's resolution
/// does not matter, short enough that the machine's speed does not move
/// within a pair.
const CHUNK: Duration = Duration::from_millis(4);

/// Times `n` requests of `scenario` to `variant`.
fn chunk<F: Framework>(framework: &mut F, variant: Variant, scenario: Scenario, n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box(framework.status(variant, black_box(scenario)));
    }
    start.elapsed().as_secs_f64()
}

/// The ratio a/b of one scenario: median and quartiles of the pairs'
/// ratios.
fn compare<F: Framework>(framework: &mut F, scenario: Scenario, a: Variant, b: Variant) {
    // Warm both up, and size a chunk from `a`'s speed.
    let mut n = 64u32;
    loop {
        let took = chunk(framework, a, scenario, n);
        chunk(framework, b, scenario, n);
        if took >= CHUNK.as_secs_f64() / 4.0 || n >= 1 << 20 {
            let per_request = took / f64::from(n);
            n = ((CHUNK.as_secs_f64() / per_request) as u32).max(1);
            break;
        }
        n *= 2;
    }
    let mut ratios: Vec<f64> = (0..PAIRS)
        .map(|pair| {
            // Alternate which goes first, so that neither always meets a
            // cache the other warmed.
            let (ta, tb) = if pair % 2 == 0 {
                let ta = chunk(framework, a, scenario, n);
                (ta, chunk(framework, b, scenario, n))
            } else {
                let tb = chunk(framework, b, scenario, n);
                (chunk(framework, a, scenario, n), tb)
            };
            ta / tb
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: usize| ratios[(ratios.len() - 1) * q / 4];
    println!(
        "paired {} {} {}/{} {:.4} {:.4} {:.4} {}",
        F::NAME,
        scenario.name(),
        a.name(),
        b.name(),
        at(2),
        at(1),
        at(3),
        ratios.len()
    );
}

/// Builds the framework's apps if `wanted`, checks their answers (as the
/// criterion bench does), then compares.
fn run<F: Framework>(wanted: &[String], build: impl FnOnce() -> F) {
    if !wanted.is_empty() && !wanted.iter().any(|name| name == F::NAME) {
        return;
    }
    let mut framework = build();
    framework.check();
    for scenario in Scenario::ALL {
        compare(&mut framework, scenario, Variant::Ours, Variant::Peer);
        if F::VARIANTS.contains(&Variant::Floor) {
            compare(&mut framework, scenario, Variant::Ours, Variant::Floor);
        }
        if F::VARIANTS.contains(&Variant::Conforming) {
            compare(&mut framework, scenario, Variant::Ours, Variant::Conforming);
            compare(&mut framework, scenario, Variant::Conforming, Variant::Peer);
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments name frameworks.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    run(&wanted, axum::Axum::new);
    run(&wanted, actix::build);
    run(&wanted, rocket::RocketApps::new);
    run(&wanted, warp::build);
    run(&wanted, warp_tower::build);
}
