//! The bodies of the `cors-core` fuzz targets.
//!
//! The cargo-fuzz binaries in `fuzz/fuzz_targets/` call these functions, and
//! `tests/replay.rs` runs every corpus and regression file through them on
//! stable Rust. Each target checks the engine's safety invariants on every
//! decision it provokes, not only that nothing panics:
//!
//! - `Access-Control-Allow-Origin` is `*` (only under an any-origin policy)
//!   or exactly the request's single `Origin`, which some rule of the policy
//!   allows;
//! - never `*` with `Access-Control-Allow-Credentials`;
//! - a refusal carries no CORS header;
//! - a preflight is answered, with the configured status when allowed and
//!   403 when refused; an allowed one grants only the requested method and
//!   echoes only request-header lines the policy allows;
//! - header values are visible ASCII, spaces and tabs only;
//! - `Vary` names `Origin` whenever the answer depends on the origin.
//!
//! The targets:
//!
//! - `evaluate`: a policy made from the input (built per distinct policy
//!   line, so slow), and a request;
//! - `requests`: a fixed set of representative policies built once (every
//!   rule kind, routes, the origin lookup); the input is only the request,
//!   decided by `evaluate`, `evaluate_with_lookup` and `resolve_lookup`;
//! - `browser`: differential, the engine's answers judged by the browser
//!   model of `cors_cli::fetch` against a plain reading of the policy;
//! - `routes`: random route sets and paths, the engine's route selection
//!   (and validation of the patterns) against a reference matcher;
//! - `policy`, `origin_pattern`, `request_headers`: policy files, origin
//!   patterns and `Access-Control-Request-Headers` lines.
//!
//! A failed check panics, which is what a fuzzer reports as a crash.

#![forbid(unsafe_code)]

mod browser;
mod evaluate;
mod invariants;
mod origin_pattern;
mod policy;
mod request_headers;
mod requests;
mod routes;

pub use browser::browser;
pub use evaluate::evaluate;
pub use origin_pattern::origin_pattern;
pub use policy::policy;
pub use request_headers::request_headers;
pub use requests::requests;
pub use routes::routes;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name, as the corpus directories are named.
pub const TARGETS: [(&str, Target); 7] = [
    ("evaluate", evaluate),
    ("policy", policy),
    ("origin_pattern", origin_pattern),
    ("request_headers", request_headers),
    ("requests", requests),
    ("browser", browser),
    ("routes", routes),
];
