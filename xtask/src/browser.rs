//! `cargo xtask browser`: the end-to-end suite in headless Chromium
//! (`examples/tests/browser.rs`, behind cors-examples' `browser` feature).
//!
//! The suite needs `chromium` and `chromedriver`; without them it fails
//! with the command that installs them (CI's `.ci/run` installs them
//! first).
//!
//! `ci` runs it exactly once: its workspace test step turns every feature
//! on, `browser` included, so that step skips the suite by name
//! ([`TEST_NAME`]) and `ci` then runs it as a step of its own, through
//! [`run`]. Both use `--workspace --all-features`, so the suite reuses what
//! the workspace step built.

/// The suite's test function, by a name no other test contains.
pub const TEST_NAME: &str = "browser_e2e_";

/// Runs the browser suite, printing its per-framework summary.
pub fn run() -> Result<(), String> {
    super::cargo(
        &[
            "test",
            "--workspace",
            "--all-features",
            "--test",
            "browser",
            "--",
            "--nocapture",
        ],
        &[],
    )
}
