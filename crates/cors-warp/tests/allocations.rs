//! The fixed-policy paths are worth having: under a fixed policy (no
//! routes, no lookup, no origin predicate) every kind of request costs
//! fewer allocations than the same policy read through a `SharedPolicy`,
//! which takes the general path; and neither path costs more than the
//! budget measured when they were built.
//!
//! A counting global allocator counts the allocations made by the current
//! thread while a flag is set; the runtime is single-threaded, so a
//! request's whole journey through the filter is counted.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cors_core::{Policy, SharedPolicy};
use warp::Filter;
use warp::test::RequestBuilder;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator also runs while thread locals are torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counting only
// touches `const`-initialized thread locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const APP: &str = "https://app.example";
const OTHER: &str = "https://other.example";

fn policy(block: bool) -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .allow_credentials(true)
        .block_disallowed_origins(block)
        .build()
        .expect("valid policy")
}

/// The kinds of request: name, whether the policy blocks refused
/// origins, the request, and the most allocations it may cost under a
/// fixed policy and through the general path (measured: lower them when a
/// change does better). What the wrapper answers itself and the general
/// path run boxed, one allocation for the future: warp clones that branch
/// for every request, and a box clones as one pointer where the branch
/// itself cloned every closure and policy handle in it (fewer
/// instructions and atomic operations on every request under a fixed
/// policy, and no slower through the general path).
fn requests() -> Vec<(&'static str, bool, RequestBuilder, [usize; 2])> {
    // Every request carries another header, as real ones do: a path that
    // copies the header map then shows in the count.
    let get = |origin: Option<&str>| {
        let request = warp::test::request().path("/items").header("accept", "*/*");
        match origin {
            Some(origin) => request.header("origin", origin),
            None => request,
        }
    };
    let preflight = |method: &str| {
        warp::test::request()
            .method("OPTIONS")
            .path("/items")
            .header("accept", "*/*")
            .header("origin", APP)
            .header("access-control-request-method", method)
    };
    // An actual request that carries a preflight's header is still
    // decided once.
    let lookalike = get(Some(APP)).header("access-control-request-method", "PUT");
    vec![
        ("no origin", false, get(None), [5, 7]),
        (
            "actual request with a preflight's header",
            false,
            lookalike,
            [10, 12],
        ),
        ("allowed", false, get(Some(APP)), [9, 11]),
        ("refused", false, get(Some(OTHER)), [9, 11]),
        ("blocked", true, get(Some(OTHER)), [10, 13]),
        ("allowed preflight", false, preflight("PUT"), [9, 10]),
        ("refused preflight", false, preflight("DELETE"), [11, 12]),
    ]
}

/// The allocations of the request at `index` of [`requests`] through
/// `cors(source).wrap(..)`.
async fn count(source: impl Into<cors_core::PolicySource>, index: usize) -> usize {
    let filter = cors_warp::cors(source).wrap(warp::path!("items").map(|| "items"));
    // Every kind once first, so that lazily built state is not counted.
    for (_, _, request, _) in requests() {
        let _ = request.reply(&filter).await;
    }
    let request = requests().swap_remove(index).2;
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let response = request.reply(&filter).await;
    COUNTING.with(|c| c.set(false));
    assert!(response.status().as_u16() < 500, "{response:?}");
    COUNT.with(Cell::get)
}

#[tokio::test(flavor = "current_thread")]
async fn fixed_policy_paths_allocate_less_than_the_general_path() {
    for (index, (name, block, _, budget)) in requests().into_iter().enumerate() {
        let fixed = count(policy(block), index).await;
        let shared = count(SharedPolicy::new(policy(block)), index).await;
        assert!(
            fixed < shared,
            "{name}: {fixed} allocations under a fixed policy, {shared} through the general path"
        );
        for (path, count, budget) in [("fixed", fixed, budget[0]), ("general", shared, budget[1])] {
            assert!(
                count <= budget,
                "{name}, {path} path: {count} allocations, over the budget of {budget}"
            );
        }
    }
}
