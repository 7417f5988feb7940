//! Each adapter against the crate it replaces and against no CORS at all,
//! in process, one request at a time through the framework's own client:
//! `<framework>/<scenario>/<baseline|ours|peer>`.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use cors_benches::apps::{Framework, Scenario, actix, axum, rocket, warp, warp_tower};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Checks every answer once, then times every scenario, the three variants
/// one after the other so that they meet the same machine.
fn compare<F: Framework>(c: &mut Criterion, mut framework: F) {
    framework.check();
    let mut group = c.benchmark_group(F::NAME);
    for scenario in Scenario::ALL {
        for &variant in F::VARIANTS {
            let id = BenchmarkId::new(scenario.name(), variant.name());
            group.bench_function(id, |b| {
                b.iter(|| framework.status(variant, black_box(scenario)))
            });
        }
    }
    group.finish();
}

fn on_axum(c: &mut Criterion) {
    compare(c, axum::Axum::new());
}

fn on_actix(c: &mut Criterion) {
    compare(c, actix::build());
}

fn on_rocket(c: &mut Criterion) {
    compare(c, rocket::RocketApps::new());
}

fn on_warp(c: &mut Criterion) {
    compare(c, warp::build());
}

fn on_warp_tower(c: &mut Criterion) {
    compare(c, warp_tower::build());
}

criterion_group!(
    benches,
    on_axum,
    on_actix,
    on_rocket,
    on_warp,
    on_warp_tower
);
criterion_main!(benches);
