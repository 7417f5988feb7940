//! Arbitrary Access-Control-Request-Headers lines in preflights.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::request_headers`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::request_headers(data));
