//! `cargo xtask browser [--browser chromium|firefox]`: the end-to-end
//! suite (`examples/tests/browser.rs`, behind cors-examples' `browser`
//! feature) in headless Chromium and in headless Firefox ESR, one after the
//! other, each timed.
//!
//! The suite needs `chromium` and `chromedriver`, and `firefox-esr` and
//! `geckodriver`; without them it fails with the commands that install
//! them (CI's `.ci/run` installs them first).
//!
//! `ci` runs each engine exactly once: its workspace test step turns every
//! feature on, `browser` included, so that step skips the suite by name
//! ([`TEST_NAME`]) and `ci` then runs it as steps of its own, through
//! [`run`]. Both use `--workspace --all-features`, so the suite reuses what
//! the workspace step built.

use std::time::Instant;

/// The prefix of the suite's test functions, which no other test has.
pub const TEST_NAME: &str = "browser_e2e_";

/// The engines, in the order they run; each is a test function
/// `browser_e2e_<engine>`.
const ENGINES: [&str; 2] = ["chromium", "firefox"];

/// Runs the suite in the engines named by `--browser` among the command's
/// arguments (after `browser`), or in both, printing how long each took.
pub fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let engines = engines(std::env::args().nth(1).as_deref(), &args)?;
    let mut times = Vec::new();
    for engine in engines {
        let test = format!("{TEST_NAME}{engine}");
        let clock = Instant::now();
        super::cargo(
            &[
                "test",
                "--workspace",
                "--all-features",
                "--test",
                "browser",
                "--",
                &test,
                "--exact",
                "--nocapture",
            ],
            &[],
        )?;
        times.push((engine, clock.elapsed()));
    }
    for (engine, time) in times {
        println!("xtask browser: {engine} took {:.1} s", time.as_secs_f64());
    }
    Ok(())
}

/// The engines to run: both, unless the `browser` command names one.
fn engines(command: Option<&str>, args: &[String]) -> Result<Vec<&'static str>, String> {
    if command != Some("browser") {
        return Ok(ENGINES.to_vec());
    }
    match args {
        [] => Ok(ENGINES.to_vec()),
        [flag, name] if flag == "--browser" => ENGINES
            .iter()
            .find(|engine| *engine == name)
            .map(|engine| vec![*engine])
            .ok_or_else(|| format!("--browser: {name:?} is not chromium or firefox")),
        _ => Err(format!(
            "usage: cargo xtask browser [--browser chromium|firefox]; got {args:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn both_engines_unless_one_is_named() {
        assert_eq!(engines(Some("ci"), &[]), Ok(vec!["chromium", "firefox"]));
        assert_eq!(
            engines(Some("browser"), &[]),
            Ok(vec!["chromium", "firefox"])
        );
        assert_eq!(
            engines(Some("browser"), &strings(&["--browser", "firefox"])),
            Ok(vec!["firefox"])
        );
        assert_eq!(
            engines(Some("browser"), &strings(&["--browser", "chromium"])),
            Ok(vec!["chromium"])
        );
        assert!(engines(Some("browser"), &strings(&["--browser", "safari"])).is_err());
        assert!(engines(Some("browser"), &strings(&["--browser"])).is_err());
    }
}
