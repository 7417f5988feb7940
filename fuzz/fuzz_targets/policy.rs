//! Arbitrary bytes as a TOML and a JSON policy.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::policy`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::policy(data));
