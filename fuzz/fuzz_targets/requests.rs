//! Arbitrary requests (method, path, CORS header lines, an origin lookup
//! verdict) under a fixed set of representative policies built once.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::requests`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::requests(data));
