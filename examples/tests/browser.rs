//! Real browsers are the judges: headless Chromium and headless Firefox
//! ESR run `fetch()` from a page on one origin against `cors-demo` on
//! another, in each of the four frameworks and under several policies, and
//! the suite checks what each browser let the page see against what the
//! engine intends. It also counts, at the server, which requests reached
//! it (`--log-requests`), so "this was preflighted", "the refused request
//! was never sent" and "`max_age` spared the second preflight" are
//! measured, not assumed.
//!
//! One test function per engine (`browser_e2e_chromium`,
//! `browser_e2e_firefox`) runs every scenario. The framework scenarios
//! state one expectation: both engines agree on every answer the engine
//! gives. After them, the edge scenarios probe the browsers themselves: a
//! raw HTTP server in the test answers with fixed bytes per path, the way
//! real (sometimes non-conforming) servers do (`Allow-Credentials: True`,
//! two `Allow-Origin` lines, a preflight answered 299 or 302, garbage
//! `Max-Age`, redirects after a preflight...). Each edge states its outcome
//! once when the engines agree, and per engine, by name, where they differ;
//! comments say where both depart from the Fetch standard's text.
//!
//! Needs `chromium` and `chromedriver`, and `firefox-esr` and
//! `geckodriver` (or the `CHROMIUM`, `CHROMEDRIVER`, `FIREFOX` and
//! `GECKODRIVER` variables); without them the suite fails with the command
//! that installs them. Run it with `cargo xtask browser [--browser
//! chromium|firefox]`.
//!
//! # Why fantoccini and WebDriver
//!
//! The client is `fantoccini`, a maintained WebDriver client, talking to
//! `chromedriver` or `geckodriver`. WebDriver is a W3C standard, and
//! Debian ships `chromium-driver` built from the same sources as
//! `chromium`, so the driver always matches the browser: nothing here
//! depends on a copy of the DevTools protocol frozen at some older
//! Chromium revision, as the CDP clients (`chromiumoxide`,
//! `headless_chrome`) do with their generated protocol types. geckodriver
//! speaks to Firefox through Marionette, which ships inside Firefox. The
//! suite only needs what WebDriver has: navigate, run an async script in
//! the page, take a screenshot.
//!
//! The suite starts Chromium itself, with exactly the flags below, a fresh
//! profile and `--remote-debugging-port=0` (Debian's `chromium` launcher
//! adds its packaged defaults from `/etc/chromium.d`), and `chromedriver`
//! attaches to it (`debuggerAddress`). Firefox is started by geckodriver,
//! headless, on a fresh profile with preferences that keep it from
//! reaching out (updates, telemetry, captive-portal probes). The processes
//! are the suite's children and are killed when it ends, even on a panic,
//! and no browser is left running.
//!
//! # `cors check` against each judge
//!
//! After each `fetch()`, the suite runs `cors check --json` (through
//! `cors_cli::cli::run`, the command's whole path from its arguments to
//! its output) with the same URL, origin, method, headers and credentials
//! mode, and asserts that it reached the browser's verdict: allowed or
//! blocked, the same readable response headers and status, and the same
//! requests at the server (preflight or not, `Origin`,
//! `Access-Control-Request-*`). This runs for the framework scenarios, the
//! edges, and the peers: small apps built on other crates' CORS
//! middleware (tower-http's `CorsLayer`, `actix-cors`), configured well and
//! deliberately badly (see `peers/mod.rs`). Where Chromium and Firefox
//! differ, `cors check` follows Chromium; in Firefox the suite asserts the
//! known difference by name ([`Difference`]).

#![forbid(unsafe_code)]

mod peers;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The two judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// Debian's Chromium, driven through chromedriver.
    Chromium,
    /// Debian's Firefox ESR, driven through geckodriver.
    Firefox,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
        }
    }

    /// How to get the browser and its driver on Debian (and CI).
    fn install(self) -> &'static str {
        match self {
            Engine::Chromium => "apt-get update && apt-get install -y chromium chromium-driver",
            Engine::Firefox => {
                "apt-get update && apt-get install -y firefox-esr && cargo install --locked geckodriver"
            }
        }
    }
}

/// Firefox preferences: no update checks, telemetry, captive-portal or
/// connectivity probes, safe-browsing lists or remote settings, which would
/// otherwise try to reach the outside from a machine without internet.
const FIREFOX_PREFS: [(&str, bool); 9] = [
    ("app.update.auto", false),
    ("app.update.disabledForTesting", true),
    ("network.captive-portal-service.enabled", false),
    ("network.connectivity-service.enabled", false),
    ("browser.safebrowsing.malware.enabled", false),
    ("browser.safebrowsing.phishing.enabled", false),
    ("datareporting.policy.dataSubmissionEnabled", false),
    ("toolkit.telemetry.enabled", false),
    ("services.settings.server.disabled", true),
];

/// Chromium's flags. Without the network ones, Chromium tries to reach
/// the outside (component updates, sync, QUIC probes) and, on a machine
/// with no internet, stalls.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

const FRAMEWORKS: [&str; 4] = ["axum", "actix", "rocket", "warp"];

/// How long any one thing (a process starting, a page loading, a log line
/// arriving) may take before the suite gives up on it.
const PATIENCE: Duration = Duration::from_secs(30);

/// The page the scenarios' scripts run in; only its origin matters.
const BLANK_PAGE: &str =
    "<!doctype html><html><head><title>cors browser test</title></head><body>page</body></html>";

/// Runs one `fetch()` in the page and reports what the page could see.
const FETCH: &str = r#"
const [url, init, done] = arguments;
fetch(url, init).then(
  async (response) => done({
    blocked: false,
    status: response.status,
    body: await response.text(),
    headers: [...response.headers.keys()],
  }),
  (error) => done({ blocked: true, error: String(error) }),
);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_e2e_chromium() {
    every_framework_and_policy(Engine::Chromium).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_e2e_firefox() {
    every_framework_and_policy(Engine::Firefox).await;
}

/// Every scenario, in every framework, judged by `engine`.
async fn every_framework_and_policy(engine: Engine) {
    let started = Instant::now();
    let work = TempDir::new();
    let page_port = serve_blank_page().await;
    let browser = Browser::start(engine, &work).await;
    let name = engine.name();
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp")
        .join("browser");
    std::fs::create_dir_all(&screenshots).expect("creating target/browser");

    let mut failures = Vec::new();
    let mut summary = String::new();
    let mut framework_checks = Agreement::default();
    for framework in FRAMEWORKS {
        let clock = Instant::now();
        let (mut count, failed_before) = (0, failures.len());
        for case in policy_cases(page_port) {
            let policy = work
                .path()
                .join(format!("{framework}-{}.toml", case.name.replace(' ', "-")));
            std::fs::write(&policy, &case.toml).expect("writing a policy file");
            let mut api = Api::start(framework, Some(&policy));
            for (index, scenario) in case.scenarios.iter().enumerate() {
                count += 1;
                let repeats = case.scenarios[..index]
                    .iter()
                    .any(|earlier| earlier.path == scenario.path && earlier.page == scenario.page);
                if let Err(message) = run_scenario(
                    engine,
                    &browser.client,
                    &mut api,
                    page_port,
                    scenario,
                    repeats,
                    &mut framework_checks,
                )
                .await
                {
                    failures.push(format!(
                        "{framework}, policy `{}`, {}: {message}",
                        case.name, scenario.name
                    ));
                }
            }
        }
        let png = screenshots.join(format!("demo-{framework}-{name}.png"));
        count += 1;
        if let Err(message) = demo_page(&browser.client, framework, None, &png).await {
            failures.push(format!("{framework}, demo page: {message}"));
        }
        let routed = work.path().join(format!("{framework}-routed-demo.toml"));
        std::fs::write(&routed, ROUTED_DEMO_POLICY).expect("writing a policy file");
        let routed_png = screenshots.join(format!("demo-{framework}-routes-{name}.png"));
        count += 1;
        if let Err(message) =
            demo_page(&browser.client, framework, Some(&routed), &routed_png).await
        {
            failures.push(format!("{framework}, demo page with routes: {message}"));
        }
        let _ = writeln!(
            summary,
            "{name}, {framework}: {} of {count} scenarios as intended ({:.1} s), screenshot {}",
            count - (failures.len() - failed_before),
            clock.elapsed().as_secs_f64(),
            png.display()
        );
    }
    let clock = Instant::now();
    let failed_before = failures.len();
    let page_origin = Page::Ip.origin(page_port);
    let raw = RawServer::start(&page_origin).await;
    let mut edge_checks = Agreement::default();
    let count = run_edges(
        engine,
        &browser.client,
        &raw,
        &page_origin,
        &mut edge_checks,
        &mut failures,
    )
    .await;
    let _ = writeln!(
        summary,
        "{name}, edges of the standard (raw server): {} of {count} scenarios as intended ({:.1} s)",
        count - (failures.len() - failed_before),
        clock.elapsed().as_secs_f64(),
    );

    let clock = Instant::now();
    let failed_before = failures.len();
    let mut peer_checks = Agreement::default();
    let count = peers::run(
        engine,
        &browser.client,
        page_port,
        &mut peer_checks,
        &mut failures,
    )
    .await;
    let _ = writeln!(
        summary,
        "{name}, peers (tower-http CorsLayer, actix-cors): {} of {count} scenarios as intended ({:.1} s)",
        count - (failures.len() - failed_before),
        clock.elapsed().as_secs_f64(),
    );
    for (part, checks) in [
        ("framework scenarios", &framework_checks),
        ("edges", &edge_checks),
        ("peers", &peer_checks),
    ] {
        let _ = writeln!(
            summary,
            "{name}, cors check on the {part}: {}",
            checks.report(engine)
        );
    }
    browser.close().await;
    println!(
        "{summary}browser suite in {name}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{name} disagreed with the engine {} time(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// The scenarios

/// The host the page is loaded from; its port is the page server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// `127.0.0.1`, the origin most policies list.
    Ip,
    /// `localhost`: the same server under an origin most policies do not
    /// list.
    Localhost,
    /// `www.app.localhost` (Chromium resolves `*.localhost` to loopback).
    Sub,
    /// `a.b.app.localhost`: two labels under `app.localhost`.
    DeepSub,
    /// `app.localhost`, the apex, which `*.app.localhost` never matches.
    Apex,
}

impl Page {
    fn origin(self, port: u16) -> String {
        let host = match self {
            Page::Ip => "127.0.0.1",
            Page::Localhost => "localhost",
            Page::Sub => "www.app.localhost",
            Page::DeepSub => "a.b.app.localhost",
            Page::Apex => "app.localhost",
        };
        format!("http://{host}:{port}")
    }
}

/// What the page may see of a response.
#[derive(Debug)]
enum Expect {
    /// `fetch()` rejects: the browser kept the response from the page.
    Blocked,
    /// The page reads the status (and body), the `readable` response
    /// headers, and none of the `hidden` ones.
    Readable {
        status: u16,
        body: Option<&'static str>,
        readable: &'static [&'static str],
        hidden: &'static [&'static str],
    },
}

/// The headers the policies expose, and a header they never expose.
const EXPOSED: &[&str] = &["x-request-id"];
const UNEXPOSED: &[&str] = &["x-handler"];

/// `/echo`'s answer when the page may read it.
const ECHO_OK: Expect = Expect::Readable {
    status: 200,
    body: Some("ok"),
    readable: &[],
    hidden: &[],
};

/// One `fetch()` and what must come of it, in the browser and at the
/// server.
struct Scenario {
    name: &'static str,
    page: Page,
    /// The API path; each scenario of a case has its own query string, so
    /// Chromium's preflight cache (keyed by URL) never answers for one
    /// scenario with another's preflight, except where a scenario repeats
    /// one on purpose.
    path: &'static str,
    /// `fetch()`'s second argument.
    init: Value,
    expect: Expect,
    /// The requests (`METHOD PATH`) that must reach the server, in order.
    server_saw: &'static [&'static str],
}

/// A policy file and the scenarios run under it, against one `cors-demo`.
struct PolicyCase {
    name: &'static str,
    toml: String,
    scenarios: Vec<Scenario>,
}

fn json_body(method: &str) -> Value {
    json!({
        "method": method,
        "headers": { "Content-Type": "application/json" },
        "body": "{\"n\":1}",
    })
}

fn header(name: &str, value: &str) -> Value {
    json!({ "headers": { name: value } })
}

/// What the server receives of a preflighted request to `/echo`.
fn preflighted(method: &str) -> &'static [&'static str] {
    match method {
        "PUT" => &["OPTIONS /echo", "PUT /echo"],
        "DELETE" => &["OPTIONS /echo", "DELETE /echo"],
        "PATCH" => &["OPTIONS /echo", "PATCH /echo"],
        "GET" => &["OPTIONS /echo", "GET /echo"],
        other => unreachable!("no scenario preflights {other}"),
    }
}

/// Every policy and its scenarios, for a page served on `page_port`.
fn policy_cases(page_port: u16) -> Vec<PolicyCase> {
    let scenario = |name, page, path, init, expect, server_saw| Scenario {
        name,
        page,
        path,
        init,
        expect,
        server_saw,
    };
    let get = || json!({});
    let exact = PolicyCase {
        name: "exact origin",
        toml: format!(
            r#"allow_origins = ["http://127.0.0.1:{page_port}"]
allow_methods = ["GET", "PUT", "DELETE"]
allow_headers = ["content-type", "x-custom"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 600
"#
        ),
        scenarios: vec![
            // First on a fresh server: nothing is in the preflight cache yet.
            scenario(
                "max_age = 600: a preflighted PUT",
                Page::Ip,
                "/echo?max-age",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "max_age = 600: the same PUT again sends no new preflight",
                Page::Ip,
                "/echo?max-age",
                json_body("PUT"),
                ECHO_OK,
                &["PUT /echo"],
            ),
            scenario(
                "simple GET",
                Page::Ip,
                "/echo?simple",
                get(),
                ECHO_OK,
                &["GET /echo"],
            ),
            scenario(
                "preflighted PUT with a JSON body",
                Page::Ip,
                "/echo?put",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "preflighted DELETE with a JSON body",
                Page::Ip,
                "/echo?delete",
                json_body("DELETE"),
                ECHO_OK,
                preflighted("DELETE"),
            ),
            scenario(
                "allowed custom header X-Custom",
                Page::Ip,
                "/echo?x-custom",
                header("X-Custom", "1"),
                ECHO_OK,
                preflighted("GET"),
            ),
            scenario(
                "refused custom header X-Debug: preflight refused, request never sent",
                Page::Ip,
                "/echo?x-debug",
                header("X-Debug", "1"),
                Expect::Blocked,
                &["OPTIONS /echo"],
            ),
            scenario(
                "refused method PATCH: preflight refused, request never sent",
                Page::Ip,
                "/echo?patch",
                json!({ "method": "PATCH" }),
                Expect::Blocked,
                &["OPTIONS /echo"],
            ),
            scenario(
                "credentials: include with an exact origin",
                Page::Ip,
                "/echo?credentials",
                json!({ "credentials": "include" }),
                ECHO_OK,
                &["GET /echo"],
            ),
            scenario(
                "credentials: include on a preflighted PUT",
                Page::Ip,
                "/echo?credentials-put",
                json!({
                    "method": "PUT",
                    "credentials": "include",
                    "headers": { "Content-Type": "application/json" },
                    "body": "{\"n\":1}",
                }),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "exposed X-Request-Id is readable",
                Page::Ip,
                "/echo?exposed",
                get(),
                Expect::Readable {
                    status: 200,
                    body: Some("ok"),
                    readable: EXPOSED,
                    hidden: &[],
                },
                &["GET /echo"],
            ),
            scenario(
                "unexposed X-Handler is hidden",
                Page::Ip,
                "/echo?unexposed",
                get(),
                Expect::Readable {
                    status: 200,
                    body: Some("ok"),
                    readable: &[],
                    hidden: UNEXPOSED,
                },
                &["GET /echo"],
            ),
            scenario(
                "the handler's 500 is readable",
                Page::Ip,
                "/fail",
                get(),
                Expect::Readable {
                    status: 500,
                    body: None,
                    readable: &[],
                    hidden: &[],
                },
                &["GET /fail"],
            ),
            scenario(
                "the framework's 404 is readable",
                Page::Ip,
                "/no-such-path",
                get(),
                Expect::Readable {
                    status: 404,
                    body: None,
                    readable: &[],
                    hidden: &[],
                },
                &["GET /no-such-path"],
            ),
            scenario(
                "page origin not listed: the simple GET runs, the browser hides it",
                Page::Localhost,
                "/echo?other-origin",
                get(),
                Expect::Blocked,
                &["GET /echo"],
            ),
            scenario(
                "page origin not listed: the PUT is never sent",
                Page::Localhost,
                "/echo?other-origin-put",
                json_body("PUT"),
                Expect::Blocked,
                &["OPTIONS /echo"],
            ),
        ],
    };
    let any = PolicyCase {
        name: "any origin",
        toml: r#"allow_origins = ["*"]
allow_methods = ["*"]
allow_headers = ["*"]
expose_headers = ["*"]
max_age = 0
"#
        .to_owned(),
        scenarios: vec![
            scenario(
                "max_age = 0: a preflighted PUT",
                Page::Ip,
                "/echo?max-age",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "max_age = 0: the same PUT again is preflighted again",
                Page::Ip,
                "/echo?max-age",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "simple GET under *, every header exposed",
                Page::Ip,
                "/echo?simple",
                get(),
                Expect::Readable {
                    status: 200,
                    body: Some("ok"),
                    readable: &["x-request-id", "x-handler"],
                    hidden: &[],
                },
                &["GET /echo"],
            ),
            scenario(
                "allow_methods = [\"*\"]: PATCH",
                Page::Ip,
                "/echo?patch",
                json!({ "method": "PATCH" }),
                ECHO_OK,
                preflighted("PATCH"),
            ),
            scenario(
                "credentials: include under * is blocked by the browser",
                Page::Ip,
                "/echo?credentials",
                json!({ "credentials": "include" }),
                Expect::Blocked,
                &["GET /echo"],
            ),
            scenario(
                "Authorization under allow_headers = [\"*\"]",
                Page::Ip,
                "/echo?authorization",
                header("Authorization", "Bearer token"),
                ECHO_OK,
                preflighted("GET"),
            ),
        ],
    };
    // Browsers read `*` in the preflight's Allow-Methods and Allow-Headers
    // literally on a credentialed request: the engine must name what was
    // asked for.
    let credentialed_wildcards = PolicyCase {
        name: "wildcard methods and headers with credentials",
        toml: format!(
            r#"allow_origins = ["http://127.0.0.1:{page_port}"]
allow_methods = ["*"]
allow_headers = ["*"]
allow_credentials = true
"#
        ),
        scenarios: vec![
            scenario(
                "credentialed PATCH",
                Page::Ip,
                "/echo?patch",
                json!({ "method": "PATCH", "credentials": "include" }),
                ECHO_OK,
                preflighted("PATCH"),
            ),
            scenario(
                "credentialed X-Anything and Authorization",
                Page::Ip,
                "/echo?headers",
                json!({
                    "credentials": "include",
                    "headers": { "X-Anything": "1", "Authorization": "Bearer token" },
                }),
                ECHO_OK,
                preflighted("GET"),
            ),
        ],
    };
    let regex = PolicyCase {
        name: "regex",
        toml: r#"allow_origin_regex = ['http://127\.0\.0\.1:[0-9]+']
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
"#
        .to_owned(),
        scenarios: vec![
            scenario(
                "a matching page origin: preflighted PUT",
                Page::Ip,
                "/echo?match",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "a page origin the regex does not match is blocked",
                Page::Localhost,
                "/echo?no-match",
                get(),
                Expect::Blocked,
                &["GET /echo"],
            ),
        ],
    };
    let any_port = PolicyCase {
        name: "port wildcard",
        toml: r#"allow_origins = ["http://127.0.0.1:*"]
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
"#
        .to_owned(),
        scenarios: vec![
            scenario(
                "any port of 127.0.0.1: preflighted PUT",
                Page::Ip,
                "/echo?match",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "another host on the same port is blocked",
                Page::Localhost,
                "/echo?no-match",
                get(),
                Expect::Blocked,
                &["GET /echo"],
            ),
        ],
    };
    let subdomains = PolicyCase {
        name: "subdomain wildcard",
        toml: r#"allow_origins = ["http://*.app.localhost:*"]
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
"#
        .to_owned(),
        scenarios: vec![
            scenario(
                "a subdomain: preflighted PUT",
                Page::Sub,
                "/echo?sub",
                json_body("PUT"),
                ECHO_OK,
                preflighted("PUT"),
            ),
            scenario(
                "a subdomain two labels down: simple GET",
                Page::DeepSub,
                "/echo?deep-sub",
                get(),
                ECHO_OK,
                &["GET /echo"],
            ),
            scenario(
                "the apex is not a subdomain: blocked",
                Page::Apex,
                "/echo?apex",
                get(),
                Expect::Blocked,
                &["GET /echo"],
            ),
        ],
    };
    // Two routes answering one page differently: the page on `localhost` is
    // not listed at the top level but `/public/*` allows every origin, and
    // a credentialed call is allowed on `/echo` (exact origin, credentials)
    // but blocked on `/public/echo` (`*`, no credentials).
    let routes = PolicyCase {
        name: "per-path routes",
        toml: format!(
            r#"allow_origins = ["http://127.0.0.1:{page_port}"]
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
expose_headers = ["x-request-id"]
allow_credentials = true

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false

[[routes]]
paths = ["/fail"]
allow_origins = []
"#
        ),
        scenarios: vec![
            scenario(
                "unlisted page: simple GET to /echo is hidden by the browser",
                Page::Localhost,
                "/echo?top",
                get(),
                Expect::Blocked,
                &["GET /echo"],
            ),
            scenario(
                "unlisted page: simple GET to /public/echo is readable",
                Page::Localhost,
                "/public/echo?public",
                get(),
                Expect::Readable {
                    status: 200,
                    body: Some("ok"),
                    readable: EXPOSED,
                    hidden: UNEXPOSED,
                },
                &["GET /public/echo"],
            ),
            scenario(
                "unlisted page: preflighted PUT to /echo is never sent",
                Page::Localhost,
                "/echo?top-put",
                json_body("PUT"),
                Expect::Blocked,
                &["OPTIONS /echo"],
            ),
            scenario(
                "unlisted page: preflighted PUT to /public/echo inherits the methods",
                Page::Localhost,
                "/public/echo?public-put",
                json_body("PUT"),
                ECHO_OK,
                &["OPTIONS /public/echo", "PUT /public/echo"],
            ),
            scenario(
                "unlisted page: the framework's 404 under /public/ is readable",
                Page::Localhost,
                "/public/no-such-path",
                get(),
                Expect::Readable {
                    status: 404,
                    body: None,
                    readable: &[],
                    hidden: &[],
                },
                &["GET /public/no-such-path"],
            ),
            scenario(
                "listed page: credentialed GET to /echo is readable",
                Page::Ip,
                "/echo?credentials",
                json!({ "credentials": "include" }),
                ECHO_OK,
                &["GET /echo"],
            ),
            scenario(
                "listed page: credentialed GET to /public/echo is blocked (*)",
                Page::Ip,
                "/public/echo?credentials",
                json!({ "credentials": "include" }),
                Expect::Blocked,
                &["GET /public/echo"],
            ),
            scenario(
                "listed page: credentialed PUT to /public/echo: preflight refused by the browser",
                Page::Ip,
                "/public/echo?credentials-put",
                json!({
                    "method": "PUT",
                    "credentials": "include",
                    "headers": { "Content-Type": "application/json" },
                    "body": "{\"n\":1}",
                }),
                Expect::Blocked,
                &["OPTIONS /public/echo"],
            ),
            scenario(
                "listed page: an exact route allowing no origin hides /fail",
                Page::Ip,
                "/fail",
                get(),
                Expect::Blocked,
                &["GET /fail"],
            ),
        ],
    };
    vec![
        exact,
        any,
        credentialed_wildcards,
        regex,
        any_port,
        subdomains,
        routes,
    ]
}

/// Runs one scenario: loads the page from its origin if needed, runs the
/// `fetch()`, and compares what the page saw and what the server received
/// with what the scenario expects; then runs `cors check` for the same
/// call, unless the scenario `repeats` an earlier one (see below), and
/// compares it with what the browser did.
async fn run_scenario(
    engine: Engine,
    client: &Client,
    api: &mut Api,
    page_port: u16,
    scenario: &Scenario,
    repeats: bool,
    agreement: &mut Agreement,
) -> Result<(), String> {
    let origin = scenario.page.origin(page_port);
    load_page(engine, client, &origin).await?;
    let mark = api.mark();
    let url = format!("{}{}", api.url, scenario.path);
    let seen = run_fetch(client, &url, &scenario.init).await?;
    let server_saw = api.requests_since(mark);

    let mut problems = Vec::new();
    check_page(&scenario.expect, &seen, &mut problems);
    if server_saw != scenario.server_saw {
        problems.push(format!(
            "expected the server to receive {:?}, it received {server_saw:?}",
            scenario.server_saw
        ));
    }
    // A repeat of an earlier scenario's call is answered (or not) from the
    // browser's preflight cache: a single `cors check` has no equivalent,
    // so only the first call of each is compared.
    if !repeats {
        let mark = api.mark();
        let check = cors_check(&url, &origin, &scenario.init).await?;
        let check_saw = api.requests_since(mark);
        let mut differences = verdict_differences(&seen, &check);
        if check_saw != server_saw {
            differences.push(format!(
                "cors check sent {check_saw:?}, the browser {server_saw:?}"
            ));
        }
        agreement.count(engine, differences, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Makes sure the browser shows a page of `origin`, loading it if needed.
async fn load_page(engine: Engine, client: &Client, origin: &str) -> Result<(), String> {
    let here = client
        .current_url()
        .await
        .map_err(|e| format!("reading the page's URL: {e}"))?;
    if here.origin().ascii_serialization() != origin {
        let url = format!("{origin}/");
        client
            .goto(&url)
            .await
            .map_err(|e| format!("loading {url}: {e}"))?;
        let loaded = client
            .current_url()
            .await
            .map_err(|e| format!("reading the page's URL: {e}"))?;
        if loaded.origin().ascii_serialization() != origin {
            return Err(format!(
                "{} did not load {url} (it shows {loaded})",
                engine.name()
            ));
        }
    }
    Ok(())
}

/// Runs [`FETCH`] in the page and returns what the page saw.
async fn run_fetch(client: &Client, url: &str, init: &Value) -> Result<Value, String> {
    client
        .execute_async(FETCH, vec![json!(url), init.clone()])
        .await
        .map_err(|e| format!("running fetch({url}) in the page: {e}"))
}

/// Compares what the page saw of a response with `expect`.
fn check_page(expect: &Expect, seen: &Value, problems: &mut Vec<String>) {
    let blocked = seen["blocked"].as_bool() == Some(true);
    match *expect {
        Expect::Blocked => {
            if !blocked {
                problems.push(format!(
                    "expected the browser to block it, the page read {seen}"
                ));
            }
        }
        Expect::Readable {
            status,
            body,
            readable,
            hidden,
        } => {
            if blocked {
                problems.push(format!(
                    "expected {status} readable by the page, the browser blocked it ({})",
                    seen["error"]
                ));
            } else {
                if seen["status"].as_u64() != Some(u64::from(status)) {
                    problems.push(format!("expected status {status}, the page read {seen}"));
                }
                if let Some(body) = body.filter(|body| seen["body"].as_str() != Some(body)) {
                    problems.push(format!("expected body {body:?}, the page read {seen}"));
                }
                let names: Vec<&str> = seen["headers"]
                    .as_array()
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for name in readable {
                    if !names.contains(name) {
                        problems.push(format!(
                            "expected {name} readable, the page read only {names:?}"
                        ));
                    }
                }
                for name in hidden {
                    if names.contains(name) {
                        problems.push(format!("expected {name} hidden, the page read it"));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The edges of the standard: a raw server answering as real servers do

/// An edge scenario's outcome, once when both engines agree, and each by
/// name when they differ.
enum Judged {
    /// Chromium and Firefox behave alike.
    Both(Outcome),
    /// Chromium and Firefox differ; each one's behaviour.
    Differ { chromium: Outcome, firefox: Outcome },
}

impl Judged {
    fn of(&self, engine: Engine) -> &Outcome {
        match (self, engine) {
            (Judged::Both(outcome), _) => outcome,
            (Judged::Differ { chromium, .. }, Engine::Chromium) => chromium,
            (Judged::Differ { firefox, .. }, Engine::Firefox) => firefox,
        }
    }
}

/// What the page sees of each `fetch()` of the scenario (one expectation
/// for all of them, or one each) and what reaches the raw server, as
/// [`RawServer`] writes its requests.
struct Outcome {
    pages: Vec<Expect>,
    server_saw: &'static [&'static str],
}

/// Both engines: `page` for every `fetch()`.
fn both(page: Expect, server_saw: &'static [&'static str]) -> Judged {
    Judged::Both(outcome(page, server_saw))
}

/// One engine: `page` for every `fetch()`.
fn outcome(page: Expect, server_saw: &'static [&'static str]) -> Outcome {
    Outcome {
        pages: vec![page],
        server_saw,
    }
}

/// A fixed answer of the raw server, sent byte for byte as written:
/// header names keep their case, a header listed twice is sent as two
/// lines, and any status code goes.
#[derive(Clone)]
struct Answer {
    /// The status line after `HTTP/1.1 `, e.g. `299 Odd`.
    status: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn new(status: &'static str, headers: &[(&'static str, &str)]) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
        }
    }

    /// The response's bytes; `ok` as the body, except for the statuses
    /// that have none.
    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {}\r\n", self.status);
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let bodiless = self.status.starts_with("204") || self.status.starts_with("304");
        if !bodiless {
            head.push_str("Content-Length: 2\r\n");
        }
        head.push_str("\r\n");
        if !bodiless {
            head.push_str("ok");
        }
        head.into_bytes()
    }
}

/// What the raw server answers at one path: `preflight` to `OPTIONS`
/// (none: a bare 404), `actual` to every other method.
#[derive(Clone)]
struct Route {
    path: &'static str,
    preflight: Option<Answer>,
    actual: Answer,
}

/// One edge scenario: a `fetch()` from the page on `127.0.0.1` to the raw
/// server called as `localhost`, `times` times in a row (a repeat shows
/// whether the preflight was cached), and its outcome in each engine.
struct Edge {
    name: &'static str,
    /// The scenario's own path (no other scenario uses it, so no preflight
    /// cache entry of another scenario can answer for it), and what the
    /// raw server answers there.
    route: Route,
    /// Where `cors check` (which follows Chromium) must differ from
    /// Firefox on the first `fetch()`, by name; `None`: it agrees with both.
    difference: Option<Difference>,
    /// Further paths answered for this scenario: redirect targets.
    targets: Vec<Route>,
    /// `fetch()`'s second argument, one per call, in order.
    fetches: Vec<Value>,
    judged: Judged,
}

/// The preflight answer most edges vary from: 204, no body.
fn preflight(headers: &[(&'static str, &str)]) -> Option<Answer> {
    Some(Answer::new("204 No Content", headers))
}

/// An actual response: 200 with `ok`.
fn actual(headers: &[(&'static str, &str)]) -> Answer {
    Answer::new("200 OK", headers)
}

/// `ok` readable with `readable` names and without `hidden` ones.
const fn readable(readable: &'static [&'static str], hidden: &'static [&'static str]) -> Expect {
    Expect::Readable {
        status: 200,
        body: Some("ok"),
        readable,
        hidden,
    }
}

const OK: Expect = readable(&[], &[]);

const ACAO: &str = "Access-Control-Allow-Origin";
const ACAC: &str = "Access-Control-Allow-Credentials";
const ACAM: &str = "Access-Control-Allow-Methods";
const ACAH: &str = "Access-Control-Allow-Headers";
const ACEH: &str = "Access-Control-Expose-Headers";
const ACMA: &str = "Access-Control-Max-Age";
const ACAPN: &str = "Access-Control-Allow-Private-Network";

/// Every edge scenario, for the page's origin `page` and `other`, another
/// origin of the raw server (redirect targets).
fn edges(page: &str, other: &str) -> Vec<Edge> {
    let edge = |name, route: Route, init, judged| Edge {
        name,
        route,
        difference: None,
        targets: Vec::new(),
        fetches: vec![init],
        judged,
    };
    let route = |path, preflight, actual| Route {
        path,
        preflight,
        actual,
    };
    let get = || json!({});
    let credentialed = |init: Value| {
        let mut init = init;
        init["credentials"] = json!("include");
        init
    };
    let mut all = vec![
        // --- Access-Control-Allow-Headers: * and Authorization (CORS-preflight fetch)
        edge(
            "ACAH: * covers X-Custom without credentials",
            route(
                "/h-star-custom",
                preflight(&[(ACAO, "*"), (ACAH, "*")]),
                actual(&[(ACAO, "*")]),
            ),
            header("X-Custom", "1"),
            both(
                OK,
                &[
                    "OPTIONS /h-star-custom acrm=GET acrh=x-custom",
                    "GET /h-star-custom",
                ],
            ),
        ),
        edge(
            "ACAH: * and a request setting Authorization",
            route(
                "/h-star-authorization",
                preflight(&[(ACAO, "*"), (ACAH, "*")]),
                actual(&[(ACAO, "*")]),
            ),
            header("Authorization", "Bearer t"),
            // The standard: the wildcard never covers Authorization. Both
            // engines let it through (a laxity).
            both(
                OK,
                &[
                    "OPTIONS /h-star-authorization acrm=GET acrh=authorization",
                    "GET /h-star-authorization",
                ],
            ),
        ),
        edge(
            "ACAH: *, Authorization names it",
            route(
                "/h-star-named-authorization",
                preflight(&[(ACAO, "*"), (ACAH, "*, Authorization")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "headers": { "Authorization": "Bearer t", "X-Custom": "1" } }),
            both(
                OK,
                &[
                    "OPTIONS /h-star-named-authorization acrm=GET acrh=authorization,x-custom",
                    "GET /h-star-named-authorization",
                ],
            ),
        ),
        // --- Access-Control-Allow-Credentials (CORS check)
        edge(
            "ACAC: true on a credentialed GET",
            route("/c-true", None, actual(&[(ACAO, page), (ACAC, "true")])),
            credentialed(get()),
            both(OK, &["GET /c-true"]),
        ),
        edge(
            "ACAC: True (capital T) on a credentialed GET",
            route(
                "/c-capital-true",
                None,
                actual(&[(ACAO, page), (ACAC, "True")]),
            ),
            credentialed(get()),
            both(Expect::Blocked, &["GET /c-capital-true"]),
        ),
        edge(
            "ACAC: True (capital T) on a credentialed preflight",
            route(
                "/c-capital-true-preflight",
                preflight(&[(ACAO, page), (ACAC, "True"), (ACAH, "x-custom")]),
                actual(&[(ACAO, page), (ACAC, "true")]),
            ),
            credentialed(header("X-Custom", "1")),
            both(
                Expect::Blocked,
                &["OPTIONS /c-capital-true-preflight acrm=GET acrh=x-custom"],
            ),
        ),
        // --- Access-Control-Allow-Methods case (CORS-preflight fetch)
        edge(
            "ACAM: put (lower case) for a PUT",
            route(
                "/m-put-lower",
                preflight(&[(ACAO, "*"), (ACAM, "put")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PUT" }),
            both(Expect::Blocked, &["OPTIONS /m-put-lower acrm=PUT"]),
        ),
        edge(
            "ACAM: patch (lower case) for a PATCH",
            route(
                "/m-patch-lower",
                preflight(&[(ACAO, "*"), (ACAM, "patch")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PATCH" }),
            both(Expect::Blocked, &["OPTIONS /m-patch-lower acrm=PATCH"]),
        ),
        edge(
            "fetch method `patch` (not normalized) and ACAM: PATCH",
            route(
                "/m-patch-request-lower",
                preflight(&[(ACAO, "*"), (ACAM, "PATCH")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "patch" }),
            both(
                Expect::Blocked,
                &["OPTIONS /m-patch-request-lower acrm=patch"],
            ),
        ),
        edge(
            "fetch method `put` (normalized to PUT) and ACAM: PUT",
            route(
                "/m-put-request-lower",
                preflight(&[(ACAO, "*"), (ACAM, "PUT")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "put" }),
            both(
                OK,
                &[
                    "OPTIONS /m-put-request-lower acrm=PUT",
                    "PUT /m-put-request-lower",
                ],
            ),
        ),
        // --- Access-Control-Allow-Headers list syntax (CORS-preflight fetch)
        edge(
            "ACAH: `x-a,, x-b ` (empty element, spaces)",
            route(
                "/h-empty-element",
                preflight(&[(ACAO, "*"), (ACAH, "x-a,, x-b ")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "headers": { "X-B": "1", "X-A": "1" } }),
            both(
                OK,
                &[
                    "OPTIONS /h-empty-element acrm=GET acrh=x-a,x-b",
                    "GET /h-empty-element",
                ],
            ),
        ),
        edge(
            "ACAH: X-A, X-B in upper case",
            route(
                "/h-upper",
                preflight(&[(ACAO, "*"), (ACAH, "X-A, X-B")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "headers": { "x-a": "1", "x-b": "1" } }),
            both(
                OK,
                &["OPTIONS /h-upper acrm=GET acrh=x-a,x-b", "GET /h-upper"],
            ),
        ),
        edge(
            "ACAH on two lines: x-a, then x-b",
            route(
                "/h-two-lines",
                preflight(&[(ACAO, "*"), (ACAH, "x-a"), (ACAH, "x-b")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "headers": { "X-A": "1", "X-B": "1" } }),
            both(
                OK,
                &[
                    "OPTIONS /h-two-lines acrm=GET acrh=x-a,x-b",
                    "GET /h-two-lines",
                ],
            ),
        ),
        // --- Access-Control-Request-Headers as sent (CORS-preflight fetch)
        edge(
            "ACRH of Content-Type: application/json, X-B and X-A",
            route(
                "/acrh-sorted",
                preflight(&[(ACAO, "*"), (ACAM, "PUT"), (ACAH, "content-type, x-a, x-b")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({
                "method": "PUT",
                "headers": { "X-B": "1", "Content-Type": "application/json", "X-A": "1" },
                "body": "{}",
            }),
            both(
                OK,
                &[
                    "OPTIONS /acrh-sorted acrm=PUT acrh=content-type,x-a,x-b",
                    "PUT /acrh-sorted",
                ],
            ),
        ),
        edge(
            "ACRH leaves out a safelisted Accept",
            route(
                "/acrh-safelisted",
                preflight(&[(ACAO, "*"), (ACAH, "x-a")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "headers": { "Accept": "text/plain", "X-A": "1" } }),
            both(
                OK,
                &[
                    "OPTIONS /acrh-safelisted acrm=GET acrh=x-a",
                    "GET /acrh-safelisted",
                ],
            ),
        ),
        // --- CORS-safelisted request headers (main fetch: preflight or not)
        edge(
            "Range: bytes=0- (a simple range) is safelisted",
            route("/safelisted-range", None, actual(&[(ACAO, "*")])),
            header("Range", "bytes=0-"),
            both(OK, &["GET /safelisted-range"]),
        ),
        edge(
            "Accept-Language with a byte outside the safelist needs a preflight",
            route(
                "/accept-language-unsafe",
                preflight(&[(ACAO, "*"), (ACAH, "accept-language")]),
                actual(&[(ACAO, "*")]),
            ),
            header("Accept-Language", "en!"),
            both(
                OK,
                &[
                    "OPTIONS /accept-language-unsafe acrm=GET acrh=accept-language",
                    "GET /accept-language-unsafe",
                ],
            ),
        ),
        edge(
            "Accept longer than 128 bytes needs a preflight",
            route(
                "/accept-long",
                preflight(&[(ACAO, "*"), (ACAH, "accept")]),
                actual(&[(ACAO, "*")]),
            ),
            header("Accept", &"a".repeat(129)),
            both(
                OK,
                &[
                    "OPTIONS /accept-long acrm=GET acrh=accept",
                    "GET /accept-long",
                ],
            ),
        ),
        edge(
            "Content-Type: text/plain;charset=utf-8 is safelisted",
            route("/content-type-charset", None, actual(&[(ACAO, "*")])),
            json!({
                "method": "POST",
                "headers": { "Content-Type": "text/plain;charset=utf-8" },
                "body": "x",
            }),
            both(OK, &["POST /content-type-charset"]),
        ),
        // --- Access-Control-Allow-Origin oddities (CORS check)
        edge(
            "ACAO with two values",
            route(
                "/o-two-values",
                None,
                actual(&[(ACAO, &format!("{page}, {page}"))]),
            ),
            get(),
            both(Expect::Blocked, &["GET /o-two-values"]),
        ),
        edge(
            "ACAO sent twice, as two lines",
            route("/o-two-lines", None, actual(&[(ACAO, page), (ACAO, page)])),
            get(),
            both(Expect::Blocked, &["GET /o-two-lines"]),
        ),
        edge(
            "ACAO with a trailing slash",
            route(
                "/o-trailing-slash",
                None,
                actual(&[(ACAO, &format!("{page}/"))]),
            ),
            get(),
            both(Expect::Blocked, &["GET /o-trailing-slash"]),
        ),
        edge(
            "ACAO in upper case",
            route(
                "/o-upper",
                None,
                actual(&[(ACAO, &page.to_ascii_uppercase())]),
            ),
            get(),
            both(Expect::Blocked, &["GET /o-upper"]),
        ),
        edge(
            "ACAO padded with spaces",
            route("/o-padded", None, actual(&[(ACAO, &format!("  {page} "))])),
            get(),
            both(OK, &["GET /o-padded"]),
        ),
        edge(
            "ACAO: null",
            route("/o-null", None, actual(&[(ACAO, "null")])),
            get(),
            both(Expect::Blocked, &["GET /o-null"]),
        ),
        edge(
            "ACAO: * on a credentialed GET",
            route(
                "/o-star-credentialed",
                None,
                actual(&[(ACAO, "*"), (ACAC, "true")]),
            ),
            credentialed(get()),
            both(Expect::Blocked, &["GET /o-star-credentialed"]),
        ),
        // --- The preflight's status (CORS-preflight fetch: ok status)
    ];
    for (path, status, pass) in [
        ("/p-200", "200 OK", true),
        ("/p-204", "204 No Content", true),
        ("/p-299", "299 Odd", true),
        ("/p-301", "301 Moved Permanently", false),
        ("/p-302", "302 Found", false),
        ("/p-403", "403 Forbidden", false),
        ("/p-500", "500 Internal Server Error", false),
    ] {
        let mut headers = vec![(ACAO, "*"), (ACAH, "x-custom")];
        let location = format!("{other}/p-redirect-target");
        if status.starts_with('3') {
            headers.push(("Location", &location));
        }
        let saw: &'static [&'static str] = match (pass, path) {
            (true, "/p-200") => &["OPTIONS /p-200 acrm=GET acrh=x-custom", "GET /p-200"],
            (true, "/p-204") => &["OPTIONS /p-204 acrm=GET acrh=x-custom", "GET /p-204"],
            (true, _) => &["OPTIONS /p-299 acrm=GET acrh=x-custom", "GET /p-299"],
            (false, "/p-301") => &["OPTIONS /p-301 acrm=GET acrh=x-custom"],
            (false, "/p-302") => &["OPTIONS /p-302 acrm=GET acrh=x-custom"],
            (false, "/p-403") => &["OPTIONS /p-403 acrm=GET acrh=x-custom"],
            (false, _) => &["OPTIONS /p-500 acrm=GET acrh=x-custom"],
        };
        all.push(edge(
            match status {
                "200 OK" => "a preflight answered 200",
                "204 No Content" => "a preflight answered 204",
                "299 Odd" => "a preflight answered 299",
                "301 Moved Permanently" => "a preflight answered 301 (redirect)",
                "302 Found" => "a preflight answered 302 (redirect)",
                "403 Forbidden" => "a preflight answered 403 with CORS headers",
                _ => "a preflight answered 500 with CORS headers",
            },
            route(
                path,
                Some(Answer::new(status, &headers)),
                actual(&[(ACAO, "*")]),
            ),
            header("X-Custom", "1"),
            both(if pass { OK } else { Expect::Blocked }, saw),
        ));
    }
    all.extend([
        // --- Literal `*` with credentials (CORS-preflight fetch, CORS filtered response)
        edge(
            "ACAM: * without credentials allows PATCH",
            route(
                "/m-star",
                preflight(&[(ACAO, "*"), (ACAM, "*")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PATCH" }),
            both(OK, &["OPTIONS /m-star acrm=PATCH", "PATCH /m-star"]),
        ),
        edge(
            "ACAM: * with credentials is literal: PATCH refused",
            route(
                "/m-star-credentialed",
                preflight(&[(ACAO, page), (ACAC, "true"), (ACAM, "*")]),
                actual(&[(ACAO, page), (ACAC, "true")]),
            ),
            credentialed(json!({ "method": "PATCH" })),
            both(
                Expect::Blocked,
                &["OPTIONS /m-star-credentialed acrm=PATCH"],
            ),
        ),
        edge(
            "ACAH: * with credentials is literal: X-Custom refused",
            route(
                "/h-star-credentialed",
                preflight(&[(ACAO, page), (ACAC, "true"), (ACAH, "*")]),
                actual(&[(ACAO, page), (ACAC, "true")]),
            ),
            credentialed(header("X-Custom", "1")),
            both(
                Expect::Blocked,
                &["OPTIONS /h-star-credentialed acrm=GET acrh=x-custom"],
            ),
        ),
        edge(
            "ACEH: * without credentials exposes X-Secret",
            route(
                "/e-star",
                None,
                actual(&[(ACAO, "*"), (ACEH, "*"), ("X-Secret", "1")]),
            ),
            get(),
            both(readable(&["x-secret"], &[]), &["GET /e-star"]),
        ),
        edge(
            "ACEH: * with credentials is literal: X-Secret hidden",
            route(
                "/e-star-credentialed",
                None,
                actual(&[(ACAO, page), (ACAC, "true"), (ACEH, "*"), ("X-Secret", "1")]),
            ),
            credentialed(get()),
            both(readable(&[], &["x-secret"]), &["GET /e-star-credentialed"]),
        ),
        // --- Private Network Access (ignored outside a private-network request)
        edge(
            "ACAPN: true on a preflight that did not ask for it",
            route(
                "/pna-unasked",
                preflight(&[(ACAO, "*"), (ACAM, "PUT"), (ACAPN, "true")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PUT" }),
            both(OK, &["OPTIONS /pna-unasked acrm=PUT", "PUT /pna-unasked"]),
        ),
    ]);

    // --- Redirects of an actual request (main fetch, HTTP-redirect fetch:
    // a cross-origin redirect taints the origin, which becomes `null`).
    let redirect =
        |name, path: &'static str, cors: bool, target: &'static str, target_acao: &str, judged| {
            let location = if target.starts_with("/same-") {
                target.to_owned()
            } else {
                format!("{other}{target}")
            };
            let mut headers = vec![("Location", location.as_str())];
            if cors {
                headers.push((ACAO, "*"));
            }
            Edge {
                name,
                route: route(path, None, Answer::new("302 Found", &headers)),
                difference: None,
                targets: vec![route(target, None, actual(&[(ACAO, target_acao)]))],
                fetches: vec![get()],
                judged,
            }
        };
    all.extend([
        redirect(
            "a cross-origin 302, the target answers ACAO: *",
            "/r-star",
            true,
            "/t-star",
            "*",
            both(OK, &["GET /r-star", "GET /t-star origin=null"]),
        ),
        redirect(
            "a cross-origin 302, the target answers ACAO: null",
            "/r-null",
            true,
            "/t-null",
            "null",
            both(OK, &["GET /r-null", "GET /t-null origin=null"]),
        ),
        redirect(
            "a cross-origin 302, the target answers the page's origin",
            "/r-page",
            true,
            "/t-page",
            page,
            both(Expect::Blocked, &["GET /r-page", "GET /t-page origin=null"]),
        ),
        redirect(
            "a cross-origin 302 without ACAO",
            "/r-bare",
            false,
            "/t-bare",
            "*",
            both(Expect::Blocked, &["GET /r-bare"]),
        ),
        redirect(
            "a same-origin 302, the target answers the page's origin",
            "/r-same",
            true,
            "/same-target",
            page,
            both(OK, &["GET /r-same", "GET /same-target"]),
        ),
    ]);

    // --- The preflight cache (CORS-preflight cache: max-age, default 5 s)
    let cached = |name, path, max_age: Option<&str>, judged| {
        let mut headers = vec![(ACAO, "*"), (ACAM, "PUT")];
        if let Some(max_age) = max_age {
            headers.push((ACMA, max_age));
        }
        Edge {
            name,
            route: route(path, preflight(&headers), actual(&[(ACAO, "*")])),
            difference: None,
            targets: Vec::new(),
            fetches: vec![json!({ "method": "PUT" }); 2],
            judged,
        }
    };
    all.extend([
        cached(
            "no Max-Age: the same PUT twice",
            "/cache-none",
            None,
            both(
                OK,
                &[
                    "OPTIONS /cache-none acrm=PUT",
                    "PUT /cache-none",
                    "PUT /cache-none",
                ],
            ),
        ),
        cached(
            "Max-Age: 600: the same PUT twice",
            "/cache-600",
            Some("600"),
            both(
                OK,
                &[
                    "OPTIONS /cache-600 acrm=PUT",
                    "PUT /cache-600",
                    "PUT /cache-600",
                ],
            ),
        ),
        cached(
            "Max-Age: 0: the same PUT twice",
            "/cache-0",
            Some("0"),
            both(
                OK,
                &[
                    "OPTIONS /cache-0 acrm=PUT",
                    "PUT /cache-0",
                    "OPTIONS /cache-0 acrm=PUT",
                    "PUT /cache-0",
                ],
            ),
        ),
        cached(
            "Max-Age: +600 (a sign): the same PUT twice",
            "/cache-plus",
            Some("+600"),
            // The standard: not a delta-seconds, so 5 s; Chromium caches,
            // Firefox does not.
            Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-plus acrm=PUT",
                        "PUT /cache-plus",
                        "PUT /cache-plus",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-plus acrm=PUT",
                        "PUT /cache-plus",
                        "OPTIONS /cache-plus acrm=PUT",
                        "PUT /cache-plus",
                    ],
                ),
            },
        ),
        cached(
            "Max-Age: +0 (a sign): the same PUT twice",
            "/cache-plus-zero",
            Some("+0"),
            // The standard: not a delta-seconds, so 5 s. Chromium reads the
            // sign (0: no cache, as it reads +600 as 600), Firefox does not
            // cache an invalid value.
            both(
                OK,
                &[
                    "OPTIONS /cache-plus-zero acrm=PUT",
                    "PUT /cache-plus-zero",
                    "OPTIONS /cache-plus-zero acrm=PUT",
                    "PUT /cache-plus-zero",
                ],
            ),
        ),
        cached(
            "Max-Age: -1: the same PUT twice",
            "/cache-negative",
            Some("-1"),
            // The standard: not a delta-seconds, so a failure, so 5 s.
            // Neither caches: Chromium reads the number (below 0), Firefox
            // drops an invalid value.
            both(
                OK,
                &[
                    "OPTIONS /cache-negative acrm=PUT",
                    "PUT /cache-negative",
                    "OPTIONS /cache-negative acrm=PUT",
                    "PUT /cache-negative",
                ],
            ),
        ),
        cached(
            "Max-Age: soon (garbage): the same PUT twice",
            "/cache-garbage",
            Some("soon"),
            // The standard: a failure, so 5 s; Chromium follows it, Firefox
            // does not cache.
            Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-garbage acrm=PUT",
                        "PUT /cache-garbage",
                        "PUT /cache-garbage",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-garbage acrm=PUT",
                        "PUT /cache-garbage",
                        "OPTIONS /cache-garbage acrm=PUT",
                        "PUT /cache-garbage",
                    ],
                ),
            },
        ),
    ]);

    // --- List syntax, response-header exposure, safelisted request headers,
    // the cache's key and redirects after a preflight
    all.extend([
        edge(
            "ACAH with an invalid token (`x-a, in valid`)",
            route(
                "/h-invalid-token",
                preflight(&[(ACAO, "*"), (ACAH, "x-a, in valid")]),
                actual(&[(ACAO, "*")]),
            ),
            header("X-A", "1"),
            both(
                Expect::Blocked,
                &["OPTIONS /h-invalid-token acrm=GET acrh=x-a"],
            ),
        ),
        edge(
            "ACAM with a trailing comma (`PUT,`)",
            route(
                "/m-trailing-comma",
                preflight(&[(ACAO, "*"), (ACAM, "PUT,")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PUT" }),
            both(
                OK,
                &[
                    "OPTIONS /m-trailing-comma acrm=PUT",
                    "PUT /m-trailing-comma",
                ],
            ),
        ),
        edge(
            "ACAO with a trailing comma",
            route(
                "/o-trailing-comma",
                None,
                actual(&[(ACAO, &format!("{page},"))]),
            ),
            get(),
            both(Expect::Blocked, &["GET /o-trailing-comma"]),
        ),
        Edge {
            name: "a cross-origin 303 of a POST: the target receives a GET",
            route: route(
                "/r-303",
                None,
                Answer::new(
                    "303 See Other",
                    &[(ACAO, "*"), ("Location", &format!("{other}/t-303"))],
                ),
            ),
            difference: None,
            targets: vec![route("/t-303", None, actual(&[(ACAO, "*")]))],
            fetches: vec![json!({ "method": "POST", "body": "x" })],
            judged: both(OK, &["POST /r-303", "GET /t-303 origin=null"]),
        },
        edge(
            "ACAM with an invalid token (`PUT, GE T`)",
            route(
                "/m-invalid-token",
                preflight(&[(ACAO, "*"), (ACAM, "PUT, GE T")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "PUT" }),
            both(Expect::Blocked, &["OPTIONS /m-invalid-token acrm=PUT"]),
        ),
        edge(
            "ACEH with an invalid token (`x-secret, in valid`)",
            route(
                "/e-invalid-token",
                None,
                actual(&[(ACAO, "*"), (ACEH, "x-secret, in valid"), ("X-Secret", "1")]),
            ),
            get(),
            both(readable(&[], &["x-secret"]), &["GET /e-invalid-token"]),
        ),
        edge(
            "ACEH: *, X-Secret with credentials names it",
            route(
                "/e-star-named-credentialed",
                None,
                actual(&[
                    (ACAO, page),
                    (ACAC, "true"),
                    (ACEH, "*, X-Secret"),
                    ("X-Secret", "1"),
                    ("X-Other", "1"),
                ]),
            ),
            credentialed(get()),
            both(
                readable(&["x-secret"], &["x-other"]),
                &["GET /e-star-named-credentialed"],
            ),
        ),
        edge(
            "safelisted response headers without ACEH",
            route(
                "/e-safelisted",
                None,
                actual(&[
                    (ACAO, "*"),
                    ("Cache-Control", "no-store"),
                    ("Content-Language", "en"),
                    ("Content-Type", "text/plain"),
                    ("Expires", "0"),
                    ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
                    ("Pragma", "no-cache"),
                    ("X-Secret", "1"),
                ]),
            ),
            get(),
            both(
                readable(
                    &[
                        "cache-control",
                        "content-language",
                        "content-length",
                        "content-type",
                        "expires",
                        "last-modified",
                        "pragma",
                    ],
                    &["x-secret"],
                ),
                &["GET /e-safelisted"],
            ),
        ),
        edge(
            "ACEH: set-cookie never exposes Set-Cookie",
            route(
                "/e-set-cookie",
                None,
                actual(&[(ACAO, "*"), (ACEH, "set-cookie"), ("Set-Cookie", "a=b")]),
            ),
            get(),
            both(readable(&[], &["set-cookie"]), &["GET /e-set-cookie"]),
        ),
        edge(
            "ACAC sent twice (`true` on two lines)",
            route(
                "/c-two-lines",
                None,
                actual(&[(ACAO, page), (ACAC, "true"), (ACAC, "true")]),
            ),
            credentialed(get()),
            both(Expect::Blocked, &["GET /c-two-lines"]),
        ),
        edge(
            "ACAM: * without credentials and fetch method `patch`",
            route(
                "/m-star-lower-request",
                preflight(&[(ACAO, "*"), (ACAM, "*")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({ "method": "patch" }),
            both(
                OK,
                &[
                    "OPTIONS /m-star-lower-request acrm=patch",
                    "patch /m-star-lower-request",
                ],
            ),
        ),
        edge(
            "Range with two ranges needs a preflight",
            route(
                "/range-two",
                preflight(&[(ACAO, "*"), (ACAH, "range")]),
                actual(&[(ACAO, "*")]),
            ),
            header("Range", "bytes=0-1,3-4"),
            both(
                OK,
                &["OPTIONS /range-two acrm=GET acrh=range", "GET /range-two"],
            ),
        ),
        edge(
            "Content-Type with a quote needs a preflight",
            route(
                "/content-type-quote",
                preflight(&[(ACAO, "*"), (ACAH, "content-type")]),
                actual(&[(ACAO, "*")]),
            ),
            json!({
                "method": "POST",
                "headers": { "Content-Type": "text/plain; charset=\"utf-8\"" },
                "body": "x",
            }),
            both(
                OK,
                &[
                    "OPTIONS /content-type-quote acrm=POST acrh=content-type",
                    "POST /content-type-quote",
                ],
            ),
        ),
        Edge {
            name: "a non-credentialed preflight is not reused for a credentialed PUT",
            route: route(
                "/cache-credentials",
                preflight(&[(ACAO, page), (ACAC, "true"), (ACAM, "PUT"), (ACMA, "600")]),
                actual(&[(ACAO, page), (ACAC, "true")]),
            ),
            difference: None,
            targets: Vec::new(),
            fetches: vec![
                json!({ "method": "PUT" }),
                credentialed(json!({ "method": "PUT" })),
            ],
            judged: both(
                OK,
                &[
                    "OPTIONS /cache-credentials acrm=PUT",
                    "PUT /cache-credentials",
                    "OPTIONS /cache-credentials acrm=PUT",
                    "PUT /cache-credentials",
                ],
            ),
        },
        Edge {
            name: "a cached preflight does not cover a header it did not allow",
            route: route(
                "/cache-headers",
                preflight(&[(ACAO, "*"), (ACAH, "x-a"), (ACMA, "600")]),
                actual(&[(ACAO, "*")]),
            ),
            difference: None,
            targets: Vec::new(),
            fetches: vec![
                header("X-A", "1"),
                json!({ "headers": { "X-A": "1", "X-B": "1" } }),
            ],
            judged: Judged::Both(Outcome {
                pages: vec![OK, Expect::Blocked],
                server_saw: &[
                    "OPTIONS /cache-headers acrm=GET acrh=x-a",
                    "GET /cache-headers",
                    "OPTIONS /cache-headers acrm=GET acrh=x-a,x-b",
                ],
            }),
        },
        Edge {
            name: "Max-Age sent twice (0 on two lines): the same PUT twice",
            route: route(
                "/cache-two-zeros",
                preflight(&[(ACAO, "*"), (ACAM, "PUT"), (ACMA, "0"), (ACMA, "0")]),
                actual(&[(ACAO, "*")]),
            ),
            difference: None,
            targets: Vec::new(),
            fetches: vec![json!({ "method": "PUT" }); 2],
            // The standard: one value only, so a failure, so 5 s; Chromium
            // follows it, Firefox does not cache.
            judged: Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-two-zeros acrm=PUT",
                        "PUT /cache-two-zeros",
                        "PUT /cache-two-zeros",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-two-zeros acrm=PUT",
                        "PUT /cache-two-zeros",
                        "OPTIONS /cache-two-zeros acrm=PUT",
                        "PUT /cache-two-zeros",
                    ],
                ),
            },
        },
        Edge {
            name: "Max-Age sent twice (600 on two lines): the same PUT twice",
            route: route(
                "/cache-two-lines",
                preflight(&[(ACAO, "*"), (ACAM, "PUT"), (ACMA, "600"), (ACMA, "600")]),
                actual(&[(ACAO, "*")]),
            ),
            difference: None,
            targets: Vec::new(),
            fetches: vec![json!({ "method": "PUT" }); 2],
            // The standard: one value only, so a failure, so 5 s; Chromium
            // caches, Firefox does not.
            judged: Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-two-lines acrm=PUT",
                        "PUT /cache-two-lines",
                        "PUT /cache-two-lines",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /cache-two-lines acrm=PUT",
                        "PUT /cache-two-lines",
                        "OPTIONS /cache-two-lines acrm=PUT",
                        "PUT /cache-two-lines",
                    ],
                ),
            },
        },
        Edge {
            name: "a preflighted PUT redirected (307) to another origin",
            route: route(
                "/r-preflighted",
                preflight(&[(ACAO, "*"), (ACAM, "PUT")]),
                Answer::new(
                    "307 Temporary Redirect",
                    &[(ACAO, "*"), ("Location", &format!("{other}/t-preflighted"))],
                ),
            ),
            difference: Some(Difference::PreflightOriginAfterRedirect),
            targets: vec![route(
                "/t-preflighted",
                preflight(&[(ACAO, "*"), (ACAM, "PUT")]),
                actual(&[(ACAO, "*")]),
            )],
            fetches: vec![json!({ "method": "PUT" })],
            // The redirected PUT carries `Origin: null` in both (tainted
            // origin); its new preflight carries `null` in Chromium and the
            // page's origin in Firefox.
            judged: Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /r-preflighted acrm=PUT",
                        "PUT /r-preflighted",
                        "OPTIONS /t-preflighted origin=null acrm=PUT",
                        "PUT /t-preflighted origin=null",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /r-preflighted acrm=PUT",
                        "PUT /r-preflighted",
                        "OPTIONS /t-preflighted acrm=PUT",
                        "PUT /t-preflighted origin=null",
                    ],
                ),
            },
        },
        Edge {
            name: "a redirected preflighted PUT: the target's preflight allows the page's origin",
            route: route(
                "/r-preflight-page",
                preflight(&[(ACAO, "*"), (ACAM, "PUT")]),
                Answer::new(
                    "307 Temporary Redirect",
                    &[
                        (ACAO, "*"),
                        ("Location", &format!("{other}/t-preflight-page")),
                    ],
                ),
            ),
            difference: Some(Difference::PreflightOriginAfterRedirect),
            targets: vec![route(
                "/t-preflight-page",
                preflight(&[(ACAO, page), (ACAM, "PUT")]),
                actual(&[(ACAO, "*")]),
            )],
            fetches: vec![json!({ "method": "PUT" })],
            judged: Judged::Differ {
                chromium: outcome(
                    Expect::Blocked,
                    &[
                        "OPTIONS /r-preflight-page acrm=PUT",
                        "PUT /r-preflight-page",
                        "OPTIONS /t-preflight-page origin=null acrm=PUT",
                    ],
                ),
                firefox: outcome(
                    OK,
                    &[
                        "OPTIONS /r-preflight-page acrm=PUT",
                        "PUT /r-preflight-page",
                        "OPTIONS /t-preflight-page acrm=PUT",
                        "PUT /t-preflight-page origin=null",
                    ],
                ),
            },
        },
        Edge {
            name: "a redirected preflighted PUT: the target's preflight allows `null`",
            route: route(
                "/r-preflight-null",
                preflight(&[(ACAO, "*"), (ACAM, "PUT")]),
                Answer::new(
                    "307 Temporary Redirect",
                    &[
                        (ACAO, "*"),
                        ("Location", &format!("{other}/t-preflight-null")),
                    ],
                ),
            ),
            difference: Some(Difference::PreflightOriginAfterRedirect),
            targets: vec![route(
                "/t-preflight-null",
                preflight(&[(ACAO, "null"), (ACAM, "PUT")]),
                actual(&[(ACAO, "*")]),
            )],
            fetches: vec![json!({ "method": "PUT" })],
            judged: Judged::Differ {
                chromium: outcome(
                    OK,
                    &[
                        "OPTIONS /r-preflight-null acrm=PUT",
                        "PUT /r-preflight-null",
                        "OPTIONS /t-preflight-null origin=null acrm=PUT",
                        "PUT /t-preflight-null origin=null",
                    ],
                ),
                firefox: outcome(
                    Expect::Blocked,
                    &[
                        "OPTIONS /r-preflight-null acrm=PUT",
                        "PUT /r-preflight-null",
                        "OPTIONS /t-preflight-null acrm=PUT",
                    ],
                ),
            },
        },
        Edge {
            name: "a cross-origin 302 to a URL with credentials (user:pass@)",
            route: route(
                "/r-userinfo",
                None,
                Answer::new(
                    "302 Found",
                    &[
                        (ACAO, "*"),
                        (
                            "Location",
                            &format!("{}/t-userinfo", other.replace("://", "://user:pass@")),
                        ),
                    ],
                ),
            ),
            difference: None,
            targets: vec![route("/t-userinfo", None, actual(&[(ACAO, "*")]))],
            fetches: vec![get()],
            judged: both(Expect::Blocked, &["GET /r-userinfo"]),
        },
    ]);
    all
}

/// Runs every edge scenario against `raw`, from the page on `page_origin`;
/// returns how many ran, and pushes a message per failure.
async fn run_edges(
    engine: Engine,
    client: &Client,
    raw: &RawServer,
    page_origin: &str,
    agreement: &mut Agreement,
    failures: &mut Vec<String>,
) -> usize {
    let mut count = 0;
    for edge in &raw.edges {
        count += 1;
        if let Err(message) = run_edge(engine, client, raw, page_origin, edge, agreement).await {
            failures.push(format!("edge `{}`: {message}", edge.name));
        }
    }
    // No request asked for private-network access (every scenario's
    // expected requests say so too; this names the header if one did).
    let asked: Vec<String> = raw
        .log
        .lock()
        .expect("raw log")
        .iter()
        .filter(|line| line.contains("acrpn="))
        .cloned()
        .collect();
    if !asked.is_empty() {
        failures.push(format!(
            "edges: {} sent Access-Control-Request-Private-Network: {asked:?}",
            engine.name()
        ));
    }
    count
}

async fn run_edge(
    engine: Engine,
    client: &Client,
    raw: &RawServer,
    page_origin: &str,
    edge: &Edge,
    agreement: &mut Agreement,
) -> Result<(), String> {
    load_page(engine, client, page_origin).await?;
    let expected = edge.judged.of(engine);
    let mark = raw.log.lock().expect("raw log").len();
    let url = format!("{}{}", raw.url, edge.route.path);
    let mut problems = Vec::new();
    let mut first = None;
    for (index, init) in edge.fetches.iter().enumerate() {
        let seen = run_fetch(client, &url, init).await?;
        let page = expected
            .pages
            .get(index)
            .or_else(|| expected.pages.first().filter(|_| expected.pages.len() == 1))
            .ok_or_else(|| format!("no expectation for fetch number {}", index + 1))?;
        let mut seen_problems = Vec::new();
        check_page(page, &seen, &mut seen_problems);
        problems.extend(
            seen_problems
                .into_iter()
                .map(|problem| format!("fetch {}: {problem}", index + 1)),
        );
        if index == 0 {
            let sent = raw.log.lock().expect("raw log")[mark..].to_vec();
            first = Some((seen, sent));
        }
    }
    // The server logs a request before it answers it: every request the
    // browser waited on is in the log by now.
    let server_saw: Vec<String> = raw.log.lock().expect("raw log")[mark..].to_vec();
    if server_saw != expected.server_saw {
        problems.push(format!(
            "expected the server to receive {:?}, it received {server_saw:?}",
            expected.server_saw
        ));
    }

    // `cors check` for the first `fetch()` only: the later ones of an edge
    // probe the browser's preflight cache, which one run of the command
    // has no equivalent of.
    let (seen, browser_sent) = first.ok_or("an edge without a fetch()")?;
    let init = &edge.fetches[0];
    let mark = raw.log.lock().expect("raw log").len();
    let check = cors_check(&url, page_origin, init).await?;
    let check_sent: Vec<String> = raw.log.lock().expect("raw log")[mark..].to_vec();
    match (engine, edge.difference, &edge.judged) {
        (Engine::Firefox, Some(difference), Judged::Differ { chromium, .. }) => {
            // `cors check` follows Chromium here: it must reach Chromium's
            // outcome (verdict and requests), which the edge states, and
            // not Firefox's.
            let mut differences = Vec::new();
            check_verdict(&chromium.pages[0], &check, &mut differences);
            let chromium_sent: Vec<String> = chromium
                .server_saw
                .iter()
                .map(|line| (*line).to_owned())
                .collect();
            if check_sent != chromium_sent {
                differences.push(format!(
                    "cors check sent {check_sent:?}, Chromium sends {chromium_sent:?}"
                ));
            }
            if verdict_differences(&seen, &check).is_empty() && check_sent == browser_sent {
                differences.push(format!(
                    "the known difference `{}` did not show: Firefox did as cors check",
                    difference.name()
                ));
            }
            agreement.count_known(difference, differences, &mut problems);
        }
        (_, Some(difference), Judged::Both(_)) => problems.push(format!(
            "the edge names the difference `{}` but states one outcome for both engines",
            difference.name()
        )),
        _ => {
            let mut differences = verdict_differences(&seen, &check);
            if check_sent != browser_sent {
                differences.push(format!(
                    "cors check sent {check_sent:?}, the browser {browser_sent:?}"
                ));
            }
            agreement.count(engine, differences, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", engine.name(), problems.join("; ")))
    }
}

/// A raw HTTP/1.1 server on 127.0.0.1 with fixed answers per path (the
/// edges' routes), logging each request it receives as one line:
/// `METHOD PATH` (no query), then `origin=VALUE` when the Origin header is
/// missing (`origin=none`) or is not the page's origin, `acrm=`, `acrh=`
/// and `acrpn=` with the values of the `Access-Control-Request-Method`,
/// `-Headers` and `-Private-Network` headers when sent.
struct RawServer {
    /// How the page calls it: `http://localhost:<port>`.
    url: String,
    edges: Vec<Edge>,
    log: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Binds a port, builds the edges for it and serves them until the
    /// test's runtime ends.
    async fn start(page_origin: &str) -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the raw server");
        let port = listener.local_addr().expect("raw server address").port();
        let edges = edges(page_origin, &format!("http://127.0.0.1:{port}"));
        let routes: Arc<Vec<Route>> = Arc::new(
            edges
                .iter()
                .flat_map(|edge| std::iter::once(&edge.route).chain(&edge.targets))
                .cloned()
                .collect(),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let server_log = Arc::clone(&log);
        let page_origin = page_origin.to_owned();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(raw_connection(
                    stream,
                    Arc::clone(&routes),
                    Arc::clone(&server_log),
                    page_origin.clone(),
                ));
            }
        });
        RawServer {
            url: format!("http://localhost:{port}"),
            edges,
            log,
        }
    }
}

/// Serves one connection: request after request (keep-alive), each read
/// whole (head up to 64 KiB, body by Content-Length up to 1 MiB), logged,
/// then answered; gives up on a connection idle for [`PATIENCE`].
async fn raw_connection(
    mut stream: tokio::net::TcpStream,
    routes: Arc<Vec<Route>>,
    log: Arc<Mutex<Vec<String>>>,
    page_origin: String,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if buffer.len() > 64 * 1024 {
                return;
            }
            match tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await {
                Ok(Ok(read)) if read > 0 => buffer.extend_from_slice(&chunk[..read]),
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let length: usize = value("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if length > 1024 * 1024 {
            return;
        }
        while buffer.len() < head_end + length {
            match tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await {
                Ok(Ok(read)) if read > 0 => buffer.extend_from_slice(&chunk[..read]),
                _ => return,
            }
        }
        buffer.drain(..head_end + length);

        let mut line = format!("{method} {path}");
        match value("origin") {
            Some(origin) if origin == page_origin => {}
            Some(origin) => {
                let _ = write!(line, " origin={origin}");
            }
            None => line.push_str(" origin=none"),
        }
        for (name, short) in [
            ("access-control-request-method", "acrm"),
            ("access-control-request-headers", "acrh"),
            ("access-control-request-private-network", "acrpn"),
        ] {
            if let Some(v) = value(name) {
                let _ = write!(line, " {short}={v}");
            }
        }
        log.lock().expect("raw log").push(line);

        let route = routes.iter().find(|route| route.path == path);
        let answer = match (route, method.as_str()) {
            (Some(route), "OPTIONS") => route.preflight.clone(),
            (Some(route), _) => Some(route.actual.clone()),
            (None, _) => None,
        }
        .unwrap_or_else(|| Answer::new("404 Not Found", &[]));
        if stream.write_all(&answer.to_bytes()).await.is_err() {
            return;
        }
    }
}

/// The demo policy with a `/public/*` route open to every origin without
/// credentials, for the page's side-by-side mode. Port wildcards, because
/// the page's port is picked when `cors-demo` starts.
const ROUTED_DEMO_POLICY: &str = r#"allow_origins = ["http://127.0.0.1:*", "http://localhost:*"]
allow_methods = ["GET", "POST", "PUT", "DELETE"]
allow_headers = ["content-type", "x-custom"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 600

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false
"#;

/// The demo page's calls: ten to `/echo` and its neighbours, nine of which
/// it repeats under `/public/` when the policy has routes.
const PAGE_CALLS: usize = 10;
const PAGE_PUBLIC_CALLS: usize = 9;

/// Loads the demo page for an API serving `policy`: without a file,
/// cors-demo's own page under its built-in policy; with one, the page the
/// demo's page server builds for that policy. Waits for its calls, checks
/// that each behaved as the page expects and that it made the `/public/`
/// calls exactly when the policy has routes, and writes a screenshot to
/// `png`.
async fn demo_page(
    client: &Client,
    framework: &str,
    policy: Option<&Path>,
    png: &Path,
) -> Result<(), String> {
    let api = Api::start(framework, policy);
    // With a policy file, the page is served here, from the policy, by the
    // demo's own page server (`page::spawn_for`); without, cors-demo's page.
    let page_url = match policy {
        None => api.page_url.clone(),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("reading {}: {e}", file.display()))?;
            let parsed: cors_core::Policy =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let listener = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| format!("binding the page server: {e}"))?;
            let address = listener
                .local_addr()
                .map_err(|e| format!("the page server's address: {e}"))?;
            let api_url = format!("http://{}", api.address);
            cors_examples::demo::page::spawn_for(listener, &api_url, &parsed)
                .map_err(|e| format!("serving the page: {e}"))?;
            format!("http://{address}/")
        }
    };
    client
        .goto(&page_url)
        .await
        .map_err(|e| format!("loading {page_url}: {e}"))?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done = client
            .execute("return document.body.dataset.done === 'true';", vec![])
            .await
            .map_err(|e| format!("reading the page: {e}"))?;
        if done == json!(true) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the page did not finish its calls in {PATIENCE:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let screenshot = client
        .screenshot()
        .await
        .map_err(|e| format!("taking a screenshot: {e}"))?;
    std::fs::write(png, screenshot).map_err(|e| format!("writing {}: {e}", png.display()))?;

    // Read after the page's calls, once the whole start-up announcement is
    // surely in the log.
    let routes = match policy {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("reading {}: {e}", file.display()))?;
            toml::from_str::<cors_core::Policy>(&text)
                .map_err(|e| format!("{}: {e}", file.display()))?
                .has_routes()
        }
        None => api.built_in_policy()?.has_routes(),
    };
    let page_routes = client
        .execute("return window.demoRoutes;", vec![])
        .await
        .map_err(|e| format!("reading window.demoRoutes: {e}"))?;
    if page_routes != json!(routes) {
        return Err(format!(
            "the policy {} routes, the page's window.demoRoutes is {page_routes}",
            if routes { "has" } else { "has no" }
        ));
    }
    let results = client
        .execute("return window.demoResults;", vec![])
        .await
        .map_err(|e| format!("reading window.demoResults: {e}"))?;
    let results = results.as_array().cloned().unwrap_or_default();
    let public = results
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/public/"))
        })
        .count();
    let expected_public = if routes { PAGE_PUBLIC_CALLS } else { 0 };
    if results.len() != PAGE_CALLS + expected_public || public != expected_public {
        return Err(format!(
            "expected {} results in window.demoResults, {expected_public} of them under /public/; \
             found {}, {public} under /public/",
            PAGE_CALLS + expected_public,
            results.len()
        ));
    }
    let unexpected: Vec<String> = results
        .iter()
        .filter(|r| r["ok"] != json!(true))
        .map(Value::to_string)
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("calls not as expected: {}", unexpected.join(", ")));
    }
    // Under routes, the two answers to one credentialed call differ.
    if routes {
        let credentialed = |path: &str| {
            results
                .iter()
                .find(|r| r["name"] == json!("credentials: include") && r["path"] == json!(path))
                .map(|r| r["blocked"].clone())
        };
        if credentialed("/echo") != Some(json!(false))
            || credentialed("/public/echo") != Some(json!(true))
        {
            return Err(format!(
                "credentials: include should pass on /echo and be blocked on /public/echo: {results:?}"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// `cors check` next to the browser

/// A known difference between Chromium and Firefox that `cors check`
/// (which follows Chromium) cannot share with both, asserted by name in
/// Firefox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Difference {
    /// After a cross-origin redirect of a preflighted request, the new
    /// preflight carries `Origin: null` in Chromium (the tainted origin,
    /// as the request itself) and the page's origin in Firefox; so a
    /// target that allows only one of them answers the two differently.
    PreflightOriginAfterRedirect,
}

impl Difference {
    fn name(self) -> &'static str {
        match self {
            Difference::PreflightOriginAfterRedirect => {
                "the Origin of a preflight after a redirect"
            }
        }
    }
}

/// How often `cors check` reached what the browser did.
#[derive(Debug, Default)]
struct Agreement {
    compared: usize,
    agreed: usize,
    /// Calls where `cors check` differs from Firefox as a named
    /// [`Difference`] says it must, and did exactly that.
    known: usize,
    known_asserted: usize,
}

impl Agreement {
    /// Counts one comparison; `differences` empty means agreement, else
    /// they become a problem of the scenario.
    fn count(&mut self, engine: Engine, differences: Vec<String>, problems: &mut Vec<String>) {
        self.compared += 1;
        if differences.is_empty() {
            self.agreed += 1;
        } else {
            problems.push(format!(
                "cors check disagrees with {}: {}",
                engine.name(),
                differences.join("; ")
            ));
        }
    }

    /// Counts one call where the named `difference` applies; `differences`
    /// empty means `cors check` did what Chromium does and Firefox did not.
    fn count_known(
        &mut self,
        difference: Difference,
        differences: Vec<String>,
        problems: &mut Vec<String>,
    ) {
        self.known += 1;
        if differences.is_empty() {
            self.known_asserted += 1;
        } else {
            problems.push(format!(
                "known difference `{}`: {}",
                difference.name(),
                differences.join("; ")
            ));
        }
    }

    fn report(&self, engine: Engine) -> String {
        let mut text = format!(
            "agrees with {} in {} of {} calls compared",
            engine.name(),
            self.agreed,
            self.compared
        );
        if self.known > 0 {
            let _ = write!(
                text,
                ", and differs as named (follows Chromium) in {} of {} calls",
                self.known_asserted, self.known
            );
        }
        text
    }
}

/// What `cors check --json` says of `fetch(url, init)` from a page at
/// `origin`: the command's own entry point (`cors_cli::cli::run`, which
/// parses the same arguments the binary gets and prints the same JSON),
/// on a blocking thread, as it runs a runtime of its own. Its exit status
/// must match its verdict (0 allowed, 1 blocked).
async fn cors_check(url: &str, origin: &str, init: &Value) -> Result<Value, String> {
    let mut args: Vec<String> = [
        "check",
        url,
        "--origin",
        origin,
        "--json",
        "--timeout",
        "10",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect();
    let fields = init
        .as_object()
        .ok_or_else(|| format!("fetch()'s init is not an object: {init}"))?;
    for (field, value) in fields {
        match (field.as_str(), value) {
            ("method", Value::String(method)) => {
                args.extend(["--method".to_owned(), method.clone()]);
            }
            ("headers", Value::Object(headers)) => {
                for (name, value) in headers {
                    let value = value
                        .as_str()
                        .ok_or_else(|| format!("header {name} is not a string: {value}"))?;
                    args.extend(["-H".to_owned(), format!("{name}: {value}")]);
                }
            }
            ("credentials", Value::String(mode)) if mode == "include" => {
                args.push("--credentials".to_owned());
            }
            // The body changes nothing CORS decides.
            ("body", _) => {}
            _ => {
                return Err(format!(
                    "no cors check option for fetch()'s {field}: {value}"
                ));
            }
        }
    }
    let shown = args.join(" ");
    let (status, out, err) = tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = cors_cli::cli::run(args, &mut out, &mut err);
        (status, out, err)
    })
    .await
    .map_err(|e| format!("cors {shown}: {e}"))?;
    let err = String::from_utf8_lossy(&err);
    let check: Value = serde_json::from_slice(&out)
        .map_err(|e| format!("cors {shown} (exit {status}, {err}): not JSON: {e}"))?;
    let allowed = check["allowed"]
        .as_bool()
        .ok_or_else(|| format!("cors {shown}: no `allowed` in {check}"))?;
    if status != if allowed { 0 } else { 1 } {
        return Err(format!(
            "cors {shown}: exit status {status} for allowed = {allowed}"
        ));
    }
    Ok(check)
}

/// Compares `cors check`'s verdict with `expect`, as [`check_page`] does
/// what a page saw, except for the body, which the command does not read.
fn check_verdict(expect: &Expect, check: &Value, problems: &mut Vec<String>) {
    let mut seen = json!({
        "blocked": check["allowed"] != json!(true),
        "status": check["status"],
        "headers": check["readable_headers"],
        "error": check["reason"],
    });
    if let Expect::Readable {
        body: Some(body), ..
    } = expect
    {
        seen["body"] = json!(body);
    }
    check_page(expect, &seen, problems);
}

/// Where `cors check`'s verdict differs from what the page saw: allowed
/// or blocked, and when readable, the status and the readable response
/// header names (the page's `[...response.headers.keys()]`).
fn verdict_differences(seen: &Value, check: &Value) -> Vec<String> {
    let browser_allowed = seen["blocked"] != json!(true);
    let check_allowed = check["allowed"] == json!(true);
    if browser_allowed != check_allowed {
        let word = |allowed| if allowed { "allowed" } else { "blocked" };
        return vec![format!(
            "the browser {} it ({}), cors check says {}: {} (code {})",
            word(browser_allowed),
            seen["error"].as_str().unwrap_or("readable"),
            word(check_allowed),
            check["reason"],
            check["code"],
        )];
    }
    let mut differences = Vec::new();
    if browser_allowed {
        let names = |list: &Value| {
            let mut names: Vec<String> = list
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        let (page, command) = (names(&seen["headers"]), names(&check["readable_headers"]));
        if page != command {
            differences.push(format!(
                "the page reads the headers {page:?}, cors check says {command:?}"
            ));
        }
        if seen["status"] != check["status"] {
            differences.push(format!(
                "the page reads status {}, cors check says {}",
                seen["status"], check["status"]
            ));
        }
    }
    differences
}

// ---------------------------------------------------------------------------
// The processes

/// A child process, killed (and reaped) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("cors-browser-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("creating a scratch directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Chromium's helper processes outlive the browser process by a
        // moment and may still write to the profile: try a few times.
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The lines a child writes to a pipe, gathered by a thread of their own.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    grew: Condvar,
}

impl Lines {
    fn gather(stream: impl Read + Send + 'static) -> Arc<Lines> {
        let lines = Arc::new(Lines::default());
        let writer = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                writer.lines.lock().expect("lines").push(line);
                writer.grew.notify_all();
            }
        });
        lines
    }

    /// Waits up to [`PATIENCE`] for `find` to find something in the lines.
    fn wait_for<T>(&self, mut find: impl FnMut(&[String]) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + PATIENCE;
        let mut lines = self.lines.lock().expect("lines");
        loop {
            if let Some(found) = find(&lines) {
                return Some(found);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = self.grew.wait_timeout(lines, left).expect("lines").0;
        }
    }

    fn text(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }
}

/// Finds a program: the environment variable's value, or `name` on PATH.
fn program(engine: Engine, variable: &str, names: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let mut dirs: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
    // Where `cargo install` puts geckodriver, when that is not on the PATH.
    if let Some(home) = std::env::var_os("CARGO_HOME").or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo").into_os_string())
    }) {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    dirs.iter()
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{}` was not found on the PATH (nor set in ${variable}). The browser \
                 tests in {} need it; install it with:\n\n    {}\n",
                names[0],
                engine.name(),
                engine.install()
            )
        })
}

/// A headless browser with its WebDriver driver, and a session. Fields
/// drop in order: the session, the driver, then the browser (Firefox is
/// geckodriver's own child, ended with the session).
struct Browser {
    client: Client,
    _driver: Process,
    _browser: Option<Process>,
}

impl Browser {
    async fn start(engine: Engine, work: &TempDir) -> Browser {
        match engine {
            Engine::Chromium => Browser::chromium(work).await,
            Engine::Firefox => Browser::firefox(work).await,
        }
    }

    /// Chromium, started here with [`CHROMIUM_FLAGS`]; chromedriver
    /// attaches to it.
    async fn chromium(work: &TempDir) -> Browser {
        let engine = Engine::Chromium;
        let chromium_path = program(engine, "CHROMIUM", &["chromium"]);
        let driver_path = program(engine, "CHROMEDRIVER", &["chromedriver"]);

        let profile = work.path().join("profile");
        let log_path = work.path().join("chromium.log");
        let log = File::create(&log_path).expect("creating chromium.log");
        let mut chromium = Process(
            Command::new(&chromium_path)
                .args(CHROMIUM_FLAGS)
                .arg(format!("--user-data-dir={}", profile.display()))
                // Only for chromedriver to attach to; on 127.0.0.1.
                .arg("--remote-debugging-port=0")
                .arg("about:blank")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("chromium.log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {}: {e}; install Chromium with:\n\n    {}\n",
                        chromium_path.display(),
                        engine.install()
                    )
                }),
        );
        // Chromium writes the port it picked to DevToolsActivePort.
        let deadline = Instant::now() + PATIENCE;
        let devtools_port: u16 = loop {
            let text = std::fs::read_to_string(profile.join("DevToolsActivePort"));
            if let Some(port) = text
                .ok()
                .and_then(|t| t.lines().next()?.trim().parse().ok())
            {
                break port;
            }
            let exited = chromium.0.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("Chromium did not start ({exited:?}); its output:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };

        let (driver, driver_port) = start_driver(engine, &driver_path, &["--port=0"], |line| {
            let rest = line.split("started successfully on port ").nth(1)?;
            rest.trim_end_matches('.').parse().ok()
        });

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "debuggerAddress": format!("127.0.0.1:{devtools_port}") }),
        );
        Browser::session(engine, capabilities, driver_port, driver, Some(chromium)).await
    }

    /// Firefox ESR, started by geckodriver, headless, with a fresh profile
    /// and [`FIREFOX_PREFS`].
    async fn firefox(work: &TempDir) -> Browser {
        let engine = Engine::Firefox;
        let firefox_path = program(engine, "FIREFOX", &["firefox-esr", "firefox"]);
        let driver_path = program(engine, "GECKODRIVER", &["geckodriver"]);
        let profile = work.path().join("firefox-profile");
        std::fs::create_dir_all(&profile).expect("creating the Firefox profile");

        let (driver, driver_port) = start_driver(
            engine,
            &driver_path,
            &["--port", "0", "--host", "127.0.0.1"],
            |line| {
                let rest = line.split("Listening on 127.0.0.1:").nth(1)?;
                rest.trim().parse().ok()
            },
        );
        let prefs: serde_json::Map<String, Value> = FIREFOX_PREFS
            .iter()
            .map(|(name, value)| ((*name).to_owned(), json!(value)))
            .collect();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("firefox"));
        capabilities.insert(
            "moz:firefoxOptions".into(),
            json!({
                "binary": firefox_path,
                "args": ["-headless", "-profile", profile],
                "prefs": prefs,
            }),
        );
        Browser::session(engine, capabilities, driver_port, driver, None).await
    }

    async fn session(
        engine: Engine,
        capabilities: serde_json::Map<String, Value>,
        driver_port: u16,
        driver: Process,
        browser: Option<Process>,
    ) -> Browser {
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .unwrap_or_else(|e| panic!("the {} driver refused a session: {e}", engine.name()));
        client
            .set_window_size(1200, 1600)
            .await
            .expect("sizing the window");
        Browser {
            client,
            _driver: driver,
            _browser: browser,
        }
    }

    /// Ends the WebDriver session; the processes are killed on drop.
    async fn close(self) {
        let Browser {
            client,
            _driver,
            _browser,
        } = self;
        let _ = client.close().await;
    }
}

/// Starts a WebDriver driver and reads the port it listens on from its
/// output (both drivers print it on stdout).
fn start_driver(
    engine: Engine,
    path: &Path,
    args: &[&str],
    port: impl Fn(&str) -> Option<u16>,
) -> (Process, u16) {
    let mut driver = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; install it with:\n\n    {}\n",
                path.display(),
                engine.install()
            )
        });
    let output = Lines::gather(driver.stdout.take().expect("piped stdout"));
    let driver = Process(driver);
    let port = output
        .wait_for(|lines| lines.iter().find_map(|line| port(line)))
        .unwrap_or_else(|| panic!("{} did not start:\n{}", path.display(), output.text()));
    (driver, port)
}

/// Serves [`BLANK_PAGE`] on 127.0.0.1 at every path, until the test ends;
/// returns its port.
async fn serve_blank_page() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the page server");
    let port = listener.local_addr().expect("page server address").port();
    let app = axum::Router::new().fallback(|| async { axum::response::Html(BLANK_PAGE) });
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// A running `cors-demo`, logging the requests it receives.
struct Api {
    _process: Process,
    stdout: Arc<Lines>,
    address: SocketAddr,
    /// The API's origin as the page calls it: `http://localhost:<port>`,
    /// another host than the page's `127.0.0.1`.
    url: String,
    page_url: String,
    fences: u32,
}

impl Api {
    /// Starts `cors-demo` with `framework` and `policy` (or its demo
    /// policy), on ports it picks, and waits until it listens.
    fn start(framework: &str, policy: Option<&Path>) -> Api {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cors-demo"));
        command.args([
            "--framework",
            framework,
            "--listen",
            "127.0.0.1:0",
            "--page-listen",
            "127.0.0.1:0",
            "--log-requests",
        ]);
        if let Some(policy) = policy {
            command.arg("--policy").arg(policy);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting cors-demo");
        let stdout = Lines::gather(child.stdout.take().expect("piped stdout"));
        let stderr = Lines::gather(child.stderr.take().expect("piped stderr"));
        let process = Process(child);
        let found = stdout.wait_for(|lines| {
            let after = |prefix: &str| {
                lines.iter().find_map(|line| {
                    let rest = line.strip_prefix(prefix)?;
                    Some(rest.split_whitespace().next()?.to_owned())
                })
            };
            let api = after(&format!("cors-demo: {framework} API on http://"))?;
            let page = after("cors-demo: page on ")?;
            Some((api, page))
        });
        let Some((api, page_url)) = found else {
            panic!(
                "cors-demo --framework {framework} did not start:\n{}\n{}",
                stdout.text(),
                stderr.text()
            );
        };
        let address: SocketAddr = api.parse().expect("cors-demo prints its address");
        Api {
            _process: process,
            stdout,
            address,
            url: format!("http://localhost:{}", address.port()),
            page_url,
            fences: 0,
        }
    }

    /// The built-in policy `cors-demo` printed when it started: the longest
    /// run of lines after its heading that parses (the framework may print
    /// lines of its own after the announcement).
    fn built_in_policy(&self) -> Result<cors_core::Policy, String> {
        let lines = self.stdout.lines.lock().expect("lines");
        let start = lines
            .iter()
            .position(|l| l == "cors-demo: policy: built-in demo policy:")
            .ok_or_else(|| {
                format!(
                    "cors-demo printed no built-in policy:\n{}",
                    lines.join("\n")
                )
            })?;
        let after: Vec<&str> = lines[start + 1..]
            .iter()
            .map(String::as_str)
            .take_while(|l| !l.starts_with("cors-demo: "))
            .collect();
        (1..=after.len())
            .rev()
            .find_map(|end| toml::from_str(&after[..end].join("\n")).ok())
            .ok_or_else(|| {
                format!(
                    "the printed built-in policy does not parse:\n{}",
                    after.join("\n")
                )
            })
    }

    /// Where the request log stands now.
    fn mark(&self) -> usize {
        self.stdout.lines.lock().expect("lines").len()
    }

    /// The requests the server received since `mark`, in order.
    ///
    /// The suite sends a request of its own (a fence) and waits until the
    /// server has logged it: the requests the browser made before have been
    /// logged before it.
    fn requests_since(&mut self, mark: usize) -> Vec<String> {
        self.fences += 1;
        let fence = format!("/__fence/{}", self.fences);
        let mut stream = TcpStream::connect(self.address).expect("connecting to cors-demo");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("setting a timeout");
        write!(
            stream,
            "GET {fence} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .expect("sending the fence");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let fence_line = format!("cors-demo: request GET {fence}");
        self.stdout
            .wait_for(|lines| {
                let end = lines.iter().skip(mark).position(|l| *l == fence_line)?;
                Some(
                    lines[mark..mark + end]
                        .iter()
                        .filter_map(|line| line.strip_prefix("cors-demo: request "))
                        .map(str::to_owned)
                        .collect(),
                )
            })
            .unwrap_or_else(|| panic!("cors-demo never logged {fence}:\n{}", self.stdout.text()))
    }
}
