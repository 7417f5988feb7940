//! Heap allocations per request, counted by a counting global allocator:
//! `Policy::evaluate` for every engine case and allowlist size, and every
//! cell of the framework comparison (baseline, ours, peer).
//!
//! `cargo bench --bench allocations -- axum/preflight` counts only the
//! cells whose `framework/scenario/variant` contains the filter (`engine`
//! for the engine's).
//!
//! Every runtime here is single-threaded, so every allocation a request
//! causes is made while it is being counted. Output, one record a line,
//! tab-separated, after a human-readable table:
//!
//! ```text
//! engine  <case>  <size>  <allocations per evaluate>
//! alloc   <framework>  <scenario>  <variant>  <allocations per request>  <bytes per request>
//! lookup  <framework>  <static|cached_lookup>  <allocations per request>  <bytes per request>
//! answer  <framework>  <scenario>  <variant>  <status and CORS headers>
//! ```

// The one `unsafe` of the workspace's benchmarks: a `GlobalAlloc` that
// counts and forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use cors_benches::apps::{Framework, Scenario, actix, axum, rocket, warp, warp_tower};
use cors_benches::lookup::{LookupFramework, Rule};
use cors_benches::{ENGINE_SIZES, ENGINE_SUBDOMAINS, check_engine_case, engine_cases, policy};

/// Counts allocations (and reallocations) and their bytes.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// which the caller guarantees valid; counting touches only atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Requests run before counting (first-request caches fill).
const WARM_UP: u64 = 50;
/// Requests counted.
const COUNTED: u64 = 500;

/// Runs `f` [`WARM_UP`] times, then [`COUNTED`] times counting, and
/// returns the allocations and bytes per call.
fn per_call(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..WARM_UP {
        f();
    }
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    );
    for _ in 0..COUNTED {
        f();
    }
    let (a1, b1) = (
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    );
    (
        (a1 - a0) as f64 / COUNTED as f64,
        (b1 - b0) as f64 / COUNTED as f64,
    )
}

fn engine() {
    if !selected("engine") {
        return;
    }
    println!("Policy::evaluate, allocations per call");
    for size in ENGINE_SIZES {
        let policy = policy(size, ENGINE_SUBDOMAINS);
        for case in engine_cases(size) {
            check_engine_case(&policy, &case);
            let request = case.parts();
            let (allocations, _) = per_call(|| {
                black_box(policy.evaluate(black_box(&request)).headers().len());
            });
            println!("  {:<24} {size:>6} origins  {allocations}", case.name);
            println!("engine\t{}\t{size}\t{allocations}", case.name);
        }
    }
}

/// Whether the cell `id` (`framework/scenario/variant`, or `engine`) is
/// selected by the command line's filter (its first argument that is not
/// a flag; none selects every cell), as criterion filters its benchmarks.
fn selected(id: &str) -> bool {
    match std::env::args().skip(1).find(|arg| !arg.starts_with('-')) {
        Some(filter) => id.contains(&filter),
        None => true,
    }
}

/// Builds a framework's applications with `build`, unless the filter
/// selects none of its cells, and counts its cells.
fn framework<F: Framework>(build: impl FnOnce() -> F) {
    let any_cell = Scenario::ALL.iter().any(|scenario| {
        F::VARIANTS
            .iter()
            .any(|variant| selected(&format!("{}/{scenario}/{variant}", F::NAME)))
    });
    if !any_cell {
        return;
    }
    let mut framework = build();
    framework.check();
    println!(
        "{}: allocations (bytes) per request; peer: {}",
        F::NAME,
        F::PEER
    );
    for scenario in Scenario::ALL {
        for &variant in F::VARIANTS {
            if !selected(&format!("{}/{scenario}/{variant}", F::NAME)) {
                continue;
            }
            let (allocations, bytes) = per_call(|| {
                black_box(framework.status(variant, black_box(scenario)));
            });
            println!(
                "  {:<18} {:<8} {allocations:>7.1} ({bytes:.0} B)",
                scenario.name(),
                variant.name()
            );
            println!(
                "alloc\t{}\t{scenario}\t{variant}\t{allocations}\t{bytes}",
                F::NAME
            );
            let answer = framework.observe(variant, scenario).summary();
            println!("answer\t{}\t{scenario}\t{variant}\t{answer}", F::NAME);
        }
    }
}

/// Counts an allowed request whose origin the lookup's cache allows, and
/// the same request allowed by a static rule, through the adapter.
fn lookup<F: LookupFramework>(build: impl FnOnce() -> F) {
    if !Rule::ALL
        .iter()
        .any(|rule| selected(&format!("lookup/{}/{}", F::NAME, rule.name())))
    {
        return;
    }
    let mut framework = build();
    framework.check();
    println!(
        "{}: origin lookup, allocations (bytes) per request",
        F::NAME
    );
    for rule in Rule::ALL {
        let (allocations, bytes) = per_call(|| {
            black_box(framework.send(black_box(rule)));
        });
        println!("  {:<14} {allocations:>7.1} ({bytes:.0} B)", rule.name());
        println!(
            "lookup\t{}\t{}\t{allocations}\t{bytes}",
            F::NAME,
            rule.name()
        );
    }
}

fn main() {
    engine();
    framework(axum::Axum::new);
    framework(actix::build);
    framework(rocket::RocketApps::new);
    framework(warp::build);
    framework(warp_tower::build);
    lookup(cors_benches::lookup::Axum::new);
    lookup(cors_benches::lookup::actix);
    lookup(cors_benches::lookup::Rocket::new);
    lookup(cors_benches::lookup::warp);
}
