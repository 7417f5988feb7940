//! `Policy::evaluate` on every kind of request, at allowlists of 1, 100 and
//! 10,000 exact origins (each with 1,000 subdomain patterns and a regex).

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use cors_benches::{ENGINE_SIZES, ENGINE_SUBDOMAINS, check_engine_case, engine_cases, policy};
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

criterion_group!(benches, evaluate);
criterion_main!(benches);
