//! `Policy::evaluate` never touches the heap, with or without routes; nor
//! do `evaluate_with_lookup`, `resolve_lookup`, reading a policy through
//! `SharedPolicy` or `PolicySource`, or a cached lookup verdict.
//!
//! A counting global allocator counts the allocations made by the current
//! thread while a flag is set, so the tests can run in parallel threads.
//! Policies and requests are built before counting starts; only
//! `evaluate` and reading its decision are counted.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cors_core::{
    Action, Decision, MAX_REQUEST_HEADER_LINES, MAX_REQUEST_HEADERS, Policy, PolicyBuilder,
    PolicySource, Refusal, RequestParts, ResponseHeader, RouteConfig, SharedPolicy,
};

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

/// How many allocations `f` made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    (COUNT.with(Cell::get), result)
}

/// Everything an adapter reads of a decision, folded into a value so that
/// the reads are not optimized away.
fn read(decision: &Decision<'_>) -> usize {
    let mut sum = 0;
    for (name, value) in decision.headers() {
        sum += name.as_str().len() + value.len();
    }
    sum += decision.vary().as_str().len();
    sum += decision.vary().names().count();
    sum += usize::from(decision.refusal().is_some());
    sum += usize::from(decision.is_allowed());
    sum += decision
        .header(ResponseHeader::AllowOrigin)
        .map_or(0, str::len);
    sum += match decision.action() {
        Action::Respond { status, body } => usize::from(status) + body.len(),
        Action::Forward => 1,
        Action::Lookup => 2,
    };
    sum
}

/// Asserts that evaluating `request` allocates nothing, and checks the
/// outcome with `check` (outside the count).
#[track_caller]
fn assert_no_alloc(policy: &Policy, request: &RequestParts<'_>, check: impl FnOnce(&Decision<'_>)) {
    let (count, decision) = allocations(|| {
        let decision = policy.evaluate(request);
        std::hint::black_box(read(&decision));
        decision
    });
    check(&decision);
    assert_eq!(count, 0, "evaluate allocated {count} times for {request:?}");
}

fn build(builder: PolicyBuilder) -> Policy {
    builder.build().expect("valid policy")
}

fn actual(origin: &[u8]) -> RequestParts<'_> {
    let mut parts = RequestParts::new("GET");
    parts.add_header("origin", origin);
    parts
}

fn preflight<'a>(origin: &'a [u8], method: &'a [u8]) -> RequestParts<'a> {
    let mut parts = RequestParts::new("OPTIONS");
    parts.add_header("origin", origin);
    parts.add_header("access-control-request-method", method);
    parts
}

fn allowed(d: &Decision<'_>) {
    assert!(d.is_allowed(), "{:?}", d.refusal());
}

fn refused(expected: Refusal<'static>) -> impl FnOnce(&Decision<'_>) {
    move |d| assert_eq!(d.refusal(), Some(expected))
}

/// A policy with every cheap kind of origin rule (no regex).
fn plain_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins([
                "https://app.example.com",
                "https://*.example.org",
                "http://localhost:*",
                "null",
            ])
            .allow_origin_predicate(|origin, request| {
                origin == "https://predicate.example" && request.path() == "/ok"
            })
            .allow_methods(["GET", "PUT", "DELETE"])
            .allow_headers(["x-a", "x-b", "authorization"])
            .expose_headers(["x-request-id"])
            .allow_private_network(true),
    )
}

/// A policy whose origin check reaches a regex (and then a predicate).
fn regex_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_origin_regex([r"https://[a-z]+\.regex\.example"])
            .allow_origin_predicate(|origin, request| {
                origin == "https://predicate.example" && request.path() == "/ok"
            }),
    )
}

#[test]
fn counter_counts() {
    // The harness itself must be able to fail.
    let (count, v) = allocations(|| vec![1u8; 16]);
    assert!(count >= 1);
    drop(v);
    let (count, ()) = allocations(|| ());
    assert_eq!(count, 0);
}

// ---------------------------------------------------------------- not CORS

#[test]
fn non_cors_request() {
    let policy = plain_policy();
    assert_no_alloc(&policy, &RequestParts::new("GET"), |d| {
        assert!(!d.is_allowed())
    });
}

// ---------------------------------------------------------------- actual, allowed

#[test]
fn actual_allowed_exact() {
    assert_no_alloc(
        &plain_policy(),
        &actual(b"https://app.example.com"),
        allowed,
    );
}

#[test]
fn actual_allowed_subdomain() {
    assert_no_alloc(
        &plain_policy(),
        &actual(b"https://a.b.example.org"),
        allowed,
    );
}

#[test]
fn actual_allowed_port_wildcard() {
    assert_no_alloc(&plain_policy(), &actual(b"http://localhost:3000"), allowed);
}

#[test]
fn actual_allowed_predicate() {
    let parts = actual(b"https://predicate.example").with_path("/ok");
    assert_no_alloc(&plain_policy(), &parts, allowed);
}

#[test]
fn actual_allowed_null() {
    assert_no_alloc(&plain_policy(), &actual(b"null"), allowed);
}

#[test]
fn actual_allowed_regex() {
    let policy = regex_policy();
    assert_no_alloc(&policy, &actual(b"https://abc.regex.example"), allowed);
}

#[test]
fn regexes_on_many_different_origins() {
    // Lazy regex engines allocate on a thread's first search and whenever
    // they meet new states; every one of these first-time searches counts.
    let policy = build(Policy::builder().allow_origin_regex([
        r"https://([a-z0-9-]+\.)*(foo|bar|baz)[0-9]{1,3}\.example\.(com|org|net)",
        r"https://[a-z]+-(dev|staging|prod)\.internal\.(io|dev)(:[0-9]{2,5})?",
    ]));
    for (origin, expected) in [
        (&b"https://foo1.example.com"[..], true),
        (b"https://a.b.c.bar22.example.org", true),
        (b"https://xyz-prod.internal.io:8443", true),
        (b"https://q-staging.internal.dev", true),
        (b"https://zz.baz999.example.net", true),
        (b"https://nomatch.example", false),
        (b"https://foo1.example.com.evil.net", false),
        (b"https://aaaa.bbbb.cccc.dddd.foo7.example.com", true),
    ] {
        assert_no_alloc(&policy, &actual(origin), |d| {
            assert_eq!(d.is_allowed(), expected)
        });
    }
}

#[test]
fn actual_allowed_predicate_after_regex() {
    let policy = regex_policy();
    let parts = actual(b"https://predicate.example").with_path("/ok");
    assert_no_alloc(&policy, &parts, allowed);
}

// ---------------------------------------------------------------- actual, refused

#[test]
fn actual_refused_origin() {
    assert_no_alloc(
        &plain_policy(),
        &actual(b"https://evil.example"),
        refused(Refusal::OriginNotAllowed("https://evil.example")),
    );
}

#[test]
fn actual_refused_after_regex() {
    let policy = regex_policy();
    assert_no_alloc(
        &policy,
        &actual(b"https://a.regex.example.evil"),
        refused(Refusal::OriginNotAllowed("https://a.regex.example.evil")),
    );
}

#[test]
fn actual_refused_malformed_and_multiple_origins() {
    let policy = plain_policy();
    let long = format!("https://{}.example.org", "a".repeat(10 * 1024));
    for bytes in [
        &b"https://app.example.com/"[..],
        b"https://APP.example.com",
        b"\xff\xfe",
        long.as_bytes(),
    ] {
        assert_no_alloc(&policy, &actual(bytes), |d| {
            assert_eq!(d.refusal(), Some(Refusal::MalformedOrigin(bytes)));
        });
    }
    let mut parts = actual(b"https://app.example.com");
    parts.add_header("origin", b"https://app.example.com");
    assert_no_alloc(&policy, &parts, refused(Refusal::MultipleOrigins));
}

#[test]
fn actual_blocked() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .block_disallowed_origins(true),
    );
    assert_no_alloc(&policy, &actual(b"https://evil.example"), |d| {
        assert!(matches!(d.action(), Action::Respond { status: 403, .. }));
    });
}

// ---------------------------------------------------------------- preflight, allowed

#[test]
fn preflight_allowed_simple() {
    let policy = plain_policy();
    assert_no_alloc(
        &policy,
        &preflight(b"https://app.example.com", b"PUT"),
        allowed,
    );
}

#[test]
fn preflight_allowed_with_headers() {
    let policy = plain_policy();
    let mut parts = preflight(b"https://x.example.org", b"DELETE");
    parts.add_header(
        "access-control-request-headers",
        b"authorization,content-type,x-a",
    );
    assert_no_alloc(&policy, &parts, |d| {
        assert!(d.is_allowed());
        assert_eq!(
            d.header(ResponseHeader::AllowHeaders),
            Some("authorization,content-type,x-a")
        );
    });
}

#[test]
fn preflight_allowed_with_headers_on_several_lines() {
    let policy = plain_policy();
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    for _ in 0..MAX_REQUEST_HEADER_LINES {
        parts.add_header("access-control-request-headers", b" x-a ,\tX-B ");
    }
    assert_no_alloc(&policy, &parts, |d| {
        assert!(d.is_allowed());
        let lines = d
            .headers()
            .iter()
            .filter(|(n, _)| *n == ResponseHeader::AllowHeaders)
            .count();
        assert_eq!(lines, MAX_REQUEST_HEADER_LINES);
    });
}

#[test]
fn preflight_allowed_private_network() {
    let policy = plain_policy();
    let mut parts = preflight(b"http://localhost:8080", b"GET");
    parts.add_header("access-control-request-private-network", b"true");
    assert_no_alloc(&policy, &parts, |d| {
        assert_eq!(d.header(ResponseHeader::AllowPrivateNetwork), Some("true"));
    });
}

#[test]
fn credentialed_requests() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["*"])
            .expose_headers(["x-a", "x-b"])
            .allow_credentials(true),
    );
    let check =
        |d: &Decision<'_>| assert_eq!(d.header(ResponseHeader::AllowCredentials), Some("true"));
    assert_no_alloc(&policy, &actual(b"https://app.example.com"), check);
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("access-control-request-headers", b"authorization");
    assert_no_alloc(&policy, &parts, check);
}

#[test]
fn preflight_allowed_regex() {
    let policy = regex_policy();
    assert_no_alloc(
        &policy,
        &preflight(b"https://xyz.regex.example", b"POST"),
        allowed,
    );
}

// ---------------------------------------------------------------- preflight, refused

#[test]
fn preflight_refused_origin() {
    assert_no_alloc(
        &plain_policy(),
        &preflight(b"https://evil.example", b"PUT"),
        refused(Refusal::OriginNotAllowed("https://evil.example")),
    );
}

#[test]
fn preflight_refused_malformed_origin() {
    assert_no_alloc(
        &plain_policy(),
        &preflight(b"https://app.example.com:443", b"PUT"),
        refused(Refusal::MalformedOrigin(b"https://app.example.com:443")),
    );
}

#[test]
fn preflight_refused_multiple_origins() {
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("origin", b"https://evil.example");
    assert_no_alloc(&plain_policy(), &parts, refused(Refusal::MultipleOrigins));
}

#[test]
fn preflight_refused_method() {
    assert_no_alloc(
        &plain_policy(),
        &preflight(b"https://app.example.com", b"PATCH"),
        refused(Refusal::MethodNotAllowed("PATCH")),
    );
}

#[test]
fn preflight_refused_malformed_method() {
    assert_no_alloc(
        &plain_policy(),
        &preflight(b"https://app.example.com", b"PU T"),
        refused(Refusal::MalformedRequestMethod(b"PU T")),
    );
}

#[test]
fn preflight_refused_header() {
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("access-control-request-headers", b"x-a,x-nope");
    assert_no_alloc(
        &plain_policy(),
        &parts,
        refused(Refusal::HeaderNotAllowed("x-nope")),
    );
}

#[test]
fn preflight_refused_malformed_headers() {
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("access-control-request-headers", b"x-a,,x-b");
    assert_no_alloc(
        &plain_policy(),
        &parts,
        refused(Refusal::MalformedRequestHeaders),
    );
}

#[test]
fn preflight_refused_too_many_header_names() {
    let list = vec!["x-a"; MAX_REQUEST_HEADERS + 1].join(",");
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("access-control-request-headers", list.as_bytes());
    assert_no_alloc(
        &plain_policy(),
        &parts,
        refused(Refusal::TooManyRequestHeaders),
    );
}

#[test]
fn preflight_refused_too_many_header_lines() {
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    for _ in 0..=MAX_REQUEST_HEADER_LINES {
        parts.add_header("access-control-request-headers", b"x-a");
    }
    assert_no_alloc(
        &plain_policy(),
        &parts,
        refused(Refusal::MalformedRequestHeaders),
    );
}

#[test]
fn preflight_refused_private_network() {
    let policy = build(Policy::builder().allow_origins(["https://app.example.com"]));
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header("access-control-request-private-network", b"true");
    assert_no_alloc(&policy, &parts, refused(Refusal::PrivateNetworkNotAllowed));
}

// ---------------------------------------------------------------- other policies

#[test]
fn any_origin_policy() {
    let policy = build(
        Policy::builder()
            .allow_origins(["*"])
            .allow_methods(["*"])
            .allow_headers(["*"])
            .expose_headers(["*"]),
    );
    assert_no_alloc(&policy, &RequestParts::new("GET"), |d| {
        assert_eq!(d.header(ResponseHeader::AllowOrigin), Some("*"));
    });
    assert_no_alloc(&policy, &actual(b"https://anyone.example"), allowed);
    let mut parts = preflight(b"https://anyone.example", b"PURGE");
    parts.add_header(
        "access-control-request-headers",
        b"authorization,x-whatever",
    );
    assert_no_alloc(&policy, &parts, allowed);
}

#[test]
fn ten_thousand_origin_policy() {
    let origins: Vec<String> = (0..10_000)
        .map(|i| format!("https://app{i}.example.com"))
        .collect();
    let policy = build(
        Policy::builder()
            .allow_origins(origins)
            .allow_methods(["PUT"]),
    );
    assert_no_alloc(&policy, &actual(b"https://app9876.example.com"), allowed);
    assert_no_alloc(
        &policy,
        &actual(b"https://app10000.example.com"),
        refused(Refusal::OriginNotAllowed("https://app10000.example.com")),
    );
    assert_no_alloc(
        &policy,
        &preflight(b"https://app42.example.com", b"PUT"),
        allowed,
    );
}

// ---------------------------------------------------------------- routes

/// Counts the allocations of `decide` and of reading its decision.
#[track_caller]
fn assert_no_alloc_in<'p>(
    what: &str,
    decide: impl FnOnce() -> Decision<'p>,
    check: impl FnOnce(&Decision<'p>),
) {
    let (count, decision) = allocations(|| {
        let decision = decide();
        std::hint::black_box(read(&decision));
        std::hint::black_box(decision.lookup().map(|q| q.origin().len() + q.path().len()));
        decision
    });
    check(&decision);
    assert_eq!(count, 0, "{what} allocated {count} times");
}

/// A policy with `n` prefix routes `/api{i}/*` and `n` exact routes
/// `/status{i}`, route `i` allowing `https://r{i}.example`; the top level
/// allows `https://top.example`.
fn routed_policy(n: usize) -> Policy {
    let mut builder = Policy::builder()
        .allow_origins(["https://top.example"])
        .allow_methods(["PUT"]);
    for i in 0..n {
        builder = builder.route(
            RouteConfig::new([format!("/api{i}/*"), format!("/status{i}")])
                .allow_origins([format!("https://r{i}.example")]),
        );
    }
    build(builder)
}

#[test]
fn routes_one_and_a_thousand() {
    for n in [1, 1000] {
        let policy = routed_policy(n);
        let last = n - 1;
        let origin = format!("https://r{last}.example");
        let prefix_path = format!("/api{last}/items/42");
        let exact_path = format!("/status{last}/");
        for path in [&prefix_path, &exact_path] {
            assert_no_alloc(&policy, &actual(origin.as_bytes()).with_path(path), allowed);
            assert_no_alloc(
                &policy,
                &preflight(origin.as_bytes(), b"PUT").with_path(path),
                allowed,
            );
            assert_no_alloc(
                &policy,
                &actual(b"https://top.example").with_path(path),
                refused(Refusal::OriginNotAllowed("https://top.example")),
            );
        }
        // No route: the top level.
        for path in ["/other/x", "/", "/api", &format!("/api{n}/x")] {
            assert_no_alloc(
                &policy,
                &actual(b"https://top.example").with_path(path),
                allowed,
            );
        }
        assert_no_alloc(
            &policy,
            &RequestParts::new("GET").with_path("/api0/x"),
            |d| assert!(!d.is_allowed()),
        );
    }
}

#[test]
fn ambiguous_and_long_paths() {
    let policy = routed_policy(1000);
    let long = format!("/api999/{}", "a/".repeat(32 * 1024));
    let long_ambiguous = format!("{long}../x");
    for path in [
        "/api999/../x",
        "/api999/%2e%2e/x",
        "/api999%2Fx",
        "//api999/x",
        long_ambiguous.as_str(),
    ] {
        let ambiguous = |d: &Decision<'_>| {
            assert_eq!(d.refusal(), Some(Refusal::AmbiguousPath(path.as_bytes())));
        };
        assert_no_alloc(
            &policy,
            &actual(b"https://r999.example").with_path(path),
            ambiguous,
        );
        assert_no_alloc(
            &policy,
            &preflight(b"https://r999.example", b"PUT").with_path(path),
            ambiguous,
        );
    }
    assert!(long.len() >= 64 * 1024);
    assert_no_alloc(
        &policy,
        &actual(b"https://r999.example").with_path(&long),
        allowed,
    );
    let long_other = format!("/{}", "b".repeat(64 * 1024));
    assert_no_alloc(
        &policy,
        &actual(b"https://top.example").with_path(&long_other),
        allowed,
    );
}

// ---------------------------------------------------------------- lookups

fn lookup_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_origin_lookup(true)
            .allow_methods(["PUT"])
            .allow_credentials(true)
            .route(RouteConfig::new(["/r/*"]).allow_headers(["x-a"])),
    )
}

#[test]
fn evaluate_with_lookup_asking() {
    let policy = lookup_policy();
    for path in ["/x", "/r/x"] {
        for parts in [
            actual(b"https://tenant.example").with_path(path),
            preflight(b"https://tenant.example", b"PUT").with_path(path),
        ] {
            assert_no_alloc_in(
                "evaluate_with_lookup",
                || policy.evaluate_with_lookup(&parts),
                |d| assert_eq!(d.action(), Action::Lookup),
            );
        }
    }
}

#[test]
fn resolve_lookup_both_ways() {
    let policy = lookup_policy();
    for path in ["/x", "/r/x"] {
        let mut with_headers = preflight(b"https://tenant.example", b"PUT").with_path(path);
        with_headers.add_header("access-control-request-headers", b"content-type");
        for parts in [
            actual(b"https://tenant.example").with_path(path),
            with_headers,
        ] {
            assert_no_alloc_in(
                "resolve_lookup(true)",
                || policy.resolve_lookup(&parts, true),
                allowed,
            );
            assert_no_alloc_in(
                "resolve_lookup(false)",
                || policy.resolve_lookup(&parts, false),
                refused(Refusal::OriginNotAllowed("https://tenant.example")),
            );
        }
    }
}

// ---------------------------------------------------------------- shared policies

/// Counts the allocations of loading `policy`'s guard, evaluating `parts`
/// with it and reading the decision.
#[track_caller]
fn assert_load_no_alloc<G: std::ops::Deref<Target = Policy>>(
    what: &str,
    load: impl FnOnce() -> G,
    parts: &RequestParts<'_>,
) {
    let (count, allowed) = allocations(|| {
        let guard = load();
        let decision = guard.evaluate(parts);
        std::hint::black_box(read(&decision));
        decision.is_allowed()
    });
    assert!(allowed, "{what}");
    assert_eq!(count, 0, "{what} allocated {count} times");
}

#[test]
fn evaluate_through_shared_policy_and_source() {
    let shared = SharedPolicy::new(plain_policy());
    let shared_source = PolicySource::from(&shared);
    let fixed_source = PolicySource::from(plain_policy());
    let routed = SharedPolicy::new(routed_policy(1000));
    let routed_source = PolicySource::from(routed.clone());
    let parts = actual(b"https://app.example.com");
    let mut preflight_parts = preflight(b"https://app.example.com", b"PUT");
    preflight_parts.add_header("access-control-request-headers", b"x-a");
    let routed_parts = actual(b"https://r7.example").with_path("/api7/x");
    // A thread's first arc-swap load may register the thread (once per
    // thread, see `a_thread_registers_with_arc_swap_once`).
    drop(std::hint::black_box(shared.load()));
    for parts in [&parts, &preflight_parts] {
        assert_load_no_alloc("SharedPolicy::load", || shared.load(), parts);
        assert_load_no_alloc(
            "PolicySource::load (shared)",
            || shared_source.load(),
            parts,
        );
        assert_load_no_alloc("PolicySource::load (fixed)", || fixed_source.load(), parts);
    }
    assert_load_no_alloc(
        "SharedPolicy::load, routes",
        || routed.load(),
        &routed_parts,
    );
    assert_load_no_alloc(
        "PolicySource::load, routes",
        || routed_source.load(),
        &routed_parts,
    );
    // After a replacement too.
    shared.replace(plain_policy());
    assert_load_no_alloc("SharedPolicy::load after replace", || shared.load(), &parts);
    assert_load_no_alloc(
        "PolicySource::load after replace",
        || shared_source.load(),
        &parts,
    );
}

#[test]
fn a_thread_registers_with_arc_swap_once() {
    let shared = SharedPolicy::new(plain_policy());
    let source = PolicySource::from(&shared);
    // On a thread of its own, so that the first load is that thread's
    // first: at most one allocation (arc-swap's per-thread node, reused by
    // later threads), then none, however many requests follow.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let parts = actual(b"https://app.example.com");
            let (first, ()) = allocations(|| drop(std::hint::black_box(shared.load())));
            assert!(first <= 1, "the first load allocated {first} times");
            let (count, allowed) = allocations(|| {
                let mut allowed = 0;
                for _ in 0..1000 {
                    allowed += usize::from(shared.load().evaluate(&parts).is_allowed());
                    allowed += usize::from(source.load().evaluate(&parts).is_allowed());
                }
                allowed
            });
            assert_eq!(allowed, 2000);
            assert_eq!(count, 0, "1,000 loads allocated {count} times");
        });
    });
}

// ---------------------------------------------------------------- the verdict cache

#[cfg(feature = "lookup")]
#[test]
fn cached_verdicts_are_read_without_allocating() {
    use cors_core::{OriginLookup, Verdict, VerdictCache};

    let lookup = OriginLookup::new(|origin: String, _request| async move {
        Ok::<_, std::convert::Infallible>(origin == "https://tenant.example")
    })
    .cache(VerdictCache::new(100));
    let policy = lookup_policy();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for origin in [&b"https://tenant.example"[..], b"https://refused.example"] {
        let parts = actual(origin).with_path("/x");
        let decision = policy.evaluate_with_lookup(&parts);
        let query = decision.lookup().expect("asks");
        runtime.block_on(lookup.decide(query, tokio::time::sleep));
    }

    let (count, verdicts) = allocations(|| {
        [
            lookup.cached("https://tenant.example"),
            lookup.cached("https://refused.example"),
            lookup.cached("https://unknown.example"),
        ]
    });
    assert_eq!(
        verdicts,
        [Some(Verdict::Allowed), Some(Verdict::Refused), None]
    );
    assert_eq!(count, 0, "cached allocated {count} times");

    // The adapter's whole fast path: ask, read the cache, resolve.
    let parts = actual(b"https://tenant.example").with_path("/r/x");
    let (count, allowed) = allocations(|| {
        let decision = policy.evaluate_with_lookup(&parts);
        let query = decision.lookup().expect("asks");
        let verdict = lookup.cached(query.origin()).expect("cached");
        let decision = policy.resolve_lookup(&parts, verdict.is_allowed());
        std::hint::black_box(read(&decision));
        decision.is_allowed()
    });
    assert!(allowed);
    assert_eq!(count, 0, "the cached fast path allocated {count} times");
}
