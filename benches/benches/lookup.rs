//! An allowed request whose origin the lookup's cache allows, against the
//! same request allowed by a static rule, through this project's adapter
//! in each framework: `lookup/<framework>/<static|cached_lookup>`.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use cors_benches::lookup::{self, LookupFramework, Rule};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn compare<F: LookupFramework>(c: &mut Criterion, mut framework: F) {
    // Both allowed, and the lookup's verdict cached before timing.
    framework.check();
    let mut group = c.benchmark_group("lookup");
    for rule in Rule::ALL {
        group.bench_function(BenchmarkId::new(F::NAME, rule.name()), |b| {
            b.iter(|| framework.send(rule).0)
        });
    }
    group.finish();
}

fn lookups(c: &mut Criterion) {
    compare(c, lookup::Axum::new());
    compare(c, lookup::actix());
    compare(c, lookup::Rocket::new());
    compare(c, lookup::warp());
}

criterion_group!(benches, lookups);
criterion_main!(benches);
