//! Arbitrary requests (method, any number of Origin and Access-Control-Request-* lines) under arbitrary valid policies.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::evaluate`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::evaluate(data));
