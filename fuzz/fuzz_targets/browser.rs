//! Differential: the engine's answers to a page's `fetch()`, judged by the
//! browser model, against a plain reading of the policy.
//!
//! The body, with the invariants it checks, is
//! `cors_fuzz_harness::browser`; see `fuzz/harness`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cors_fuzz_harness::browser(data));
