//! `Policy::evaluate` on every kind of request, and its scaling with the
//! size of the allowlist.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use cors_benches::{actual, exact_origin, many_header_names, policy, preflight};
use cors_core::RequestParts;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn scenarios(c: &mut Criterion) {
    let policy = policy(100, 10);
    let many = many_header_names(1000);
    let exact = exact_origin(42);
    let requests: Vec<(&str, RequestParts<'_>)> = vec![
        ("non_cors", RequestParts::new("GET")),
        ("actual_allowed_exact", actual(exact.as_bytes())),
        (
            "actual_allowed_subdomain",
            actual(b"https://eu.tenant7.example.net"),
        ),
        (
            "actual_allowed_regex",
            actual(b"https://pr-1234.preview.example.dev"),
        ),
        ("actual_refused", actual(b"https://evil.example")),
        (
            "preflight_allowed_3_headers",
            preflight(
                exact.as_bytes(),
                b"PUT",
                b"authorization,content-type,x-request-id",
            ),
        ),
        (
            "preflight_refused_method",
            preflight(exact.as_bytes(), b"PATCH", b""),
        ),
        (
            "preflight_refused_header",
            preflight(exact.as_bytes(), b"PUT", b"x-debug"),
        ),
        (
            "preflight_1000_headers",
            preflight(exact.as_bytes(), b"PUT", many.as_bytes()),
        ),
    ];
    let mut group = c.benchmark_group("evaluate");
    for (name, request) in &requests {
        group.bench_with_input(BenchmarkId::from_parameter(name), request, |b, request| {
            b.iter(|| {
                let decision = policy.evaluate(black_box(request));
                black_box(decision.headers().len())
            })
        });
    }
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("allowlist");
    for size in [1, 100, 10_000] {
        let policy = policy(size, 1000);
        let last = exact_origin(size - 1);
        let cases = [
            ("exact_allowed", actual(last.as_bytes())),
            (
                "subdomain_allowed",
                actual(b"https://a.b.tenant999.example.net"),
            ),
            ("refused", actual(b"https://app.example.com.evil.net")),
        ];
        for (name, request) in &cases {
            group.bench_with_input(BenchmarkId::new(*name, size), request, |b, request| {
                b.iter(|| {
                    let decision = policy.evaluate(black_box(request));
                    black_box(decision.headers().len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, scenarios, scaling);
criterion_main!(benches);
