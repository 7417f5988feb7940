//! Random route sets and paths: the route the engine picks against a
//! reference matcher.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::routes`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::routes(data));
