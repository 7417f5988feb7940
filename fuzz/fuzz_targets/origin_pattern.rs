//! Arbitrary strings as allow_origins entries.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::origin_pattern`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::origin_pattern(data));
