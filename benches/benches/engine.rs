//! `Policy::evaluate` on every kind of request, at allowlists of 1, 100 and
//! 10,000 exact origins (each with 1,000 subdomain patterns and a regex);
//! with no route, 1 route and 1,000 routes; and through `SharedPolicy` and
//! `PolicySource` against a plain `Policy`.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use cors_benches::{
    ENGINE_SIZES, ENGINE_SUBDOMAINS, actual, check_engine_case, engine_cases, exact_origin, policy,
};
use cors_core::{Policy, PolicySource, RequestParts, RouteConfig, SharedPolicy};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn evaluate(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    for size in ENGINE_SIZES {
        let policy = policy(size, ENGINE_SUBDOMAINS);
        for case in engine_cases(size) {
            check_engine_case(&policy, &case);
            let request = case.parts();
            group.bench_with_input(BenchmarkId::new(case.name, size), &request, |b, request| {
                b.iter(|| {
                    let decision = policy.evaluate(black_box(request));
                    black_box(decision.headers().len())
                })
            });
        }
    }
    group.finish();
}

/// The route counts `evaluate` is measured at; 0 is the same top level
/// without routes.
const ROUTE_COUNTS: [usize; 3] = [0, 1, 1000];

/// The path a prefix route covers, in every routed policy.
const ROUTE_HIT_PATH: &str = "/public/assets/app.js";

/// A path no route covers, a few segments deep.
const ROUTE_FALLTHROUGH_PATH: &str = "/v1/users/42/orders";

/// The engine policy of allowlist size 1, with `routes` routes: always
/// `/public/*` (which allows any origin) and, beyond the first, prefixes
/// `/section{i}/*` and exact paths `/section{i}/status` of their own.
fn routed_policy(routes: usize) -> Policy {
    let mut builder = Policy::builder()
        .allow_origins([exact_origin(0)])
        .allow_methods(["GET", "POST", "PUT", "DELETE"])
        .allow_headers(["authorization", "x-request-id", "x-api-key"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true);
    if routes > 0 {
        builder = builder.route(
            RouteConfig::new(["/public/*"])
                .allow_origins(["*"])
                .allow_credentials(false),
        );
    }
    for i in 1..routes {
        builder = builder.route(
            RouteConfig::new([format!("/section{i}/*"), format!("/section{i}/status")])
                .allow_methods(["GET", "PUT"]),
        );
    }
    builder.build().expect("benchmark policy is valid")
}

fn routes(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    let origin = exact_origin(0);
    for count in ROUTE_COUNTS {
        let policy = routed_policy(count);
        for (name, path) in [
            ("routes_prefix_hit", ROUTE_HIT_PATH),
            ("routes_fallthrough", ROUTE_FALLTHROUGH_PATH),
        ] {
            let request = actual(origin.as_bytes()).with_path(path);
            let decision = policy.evaluate(&request);
            assert!(decision.is_allowed(), "{name} {count}: {decision:?}");
            // The hit is the route's answer (`*`) wherever there is one.
            let any = decision.header(cors_core::ResponseHeader::AllowOrigin) == Some("*");
            assert_eq!(
                any,
                name == "routes_prefix_hit" && count > 0,
                "{name} {count}"
            );
            group.bench_with_input(BenchmarkId::new(name, count), &request, |b, request| {
                b.iter(|| {
                    let decision = policy.evaluate(black_box(request));
                    black_box(decision.headers().len())
                })
            });
        }
    }
    group.finish();
}

fn shared(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    let plain = policy(1, ENGINE_SUBDOMAINS);
    let shared = SharedPolicy::new(plain.clone());
    let source = PolicySource::from(&shared);
    let origin = exact_origin(0);
    let request: RequestParts<'_> = actual(origin.as_bytes());
    for decided in [
        plain.evaluate(&request).is_allowed(),
        shared.load().evaluate(&request).is_allowed(),
        source.load().evaluate(&request).is_allowed(),
    ] {
        assert!(decided);
    }
    group.bench_with_input(
        BenchmarkId::new("load", "policy"),
        &request,
        |b, request| {
            b.iter(|| {
                let decision = black_box(&plain).evaluate(black_box(request));
                black_box(decision.headers().len())
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("load", "shared_policy"),
        &request,
        |b, request| {
            b.iter(|| {
                let policy = shared.load();
                let decision = policy.evaluate(black_box(request));
                black_box(decision.headers().len())
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("load", "policy_source"),
        &request,
        |b, request| {
            b.iter(|| {
                let policy = source.load();
                let decision = policy.evaluate(black_box(request));
                black_box(decision.headers().len())
            })
        },
    );
    group.finish();
}

criterion_group!(benches, evaluate, routes, shared);
criterion_main!(benches);
