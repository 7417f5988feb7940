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
//! A failed check panics, which is what a fuzzer reports as a crash.

#![forbid(unsafe_code)]

mod evaluate;
mod invariants;
mod origin_pattern;
mod policy;
mod request_headers;

pub use evaluate::evaluate;
pub use origin_pattern::origin_pattern;
pub use policy::policy;
pub use request_headers::request_headers;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name, as the corpus directories are named.
pub const TARGETS: [(&str, Target); 4] = [
    ("evaluate", evaluate),
    ("policy", policy),
    ("origin_pattern", origin_pattern),
    ("request_headers", request_headers),
];
