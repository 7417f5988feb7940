//! The same small application in each framework, three times: with no CORS
//! middleware (the baseline), with this project's adapter, and with the
//! crate it replaces (the peer), configured to the same policy meaning.
//!
//! Every application serves `GET /items` with the text `items`. A
//! [`Framework`] holds all of its applications, built once, and sends one
//! [`Scenario`]'s request through the framework's in-process client.

pub mod actix;
pub mod axum;
pub mod rocket;
pub mod warp;
pub mod warp_tower;

use std::fmt;

/// The origins of the small allowlist (every scenario but
/// [`Scenario::Allowlist1000`]).
pub const SMALL_ALLOWLIST: usize = 1;

/// The origins of the large allowlist ([`Scenario::Allowlist1000`]).
pub const LARGE_ALLOWLIST: usize = 1000;

/// The methods every policy allows.
pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// The request headers every policy allows.
pub const HEADERS: [&str; 3] = ["authorization", "x-request-id", "x-api-key"];

/// The response header every policy exposes.
pub const EXPOSED: &str = "x-request-id";

/// The preflight cache lifetime every policy sets, in seconds.
pub const MAX_AGE: u64 = 600;

/// The allowed origin of the small allowlist's requests.
pub const ALLOWED_ORIGIN: &str = "https://app0.example.com";

/// The last origin of the large allowlist.
pub const LAST_OF_1000: &str = "https://app999.example.com";

/// An origin no policy allows.
pub const REFUSED_ORIGIN: &str = "https://evil.example";

/// The allowlist of `n` exact origins, `https://app{i}.example.com`.
pub fn origins(n: usize) -> Vec<String> {
    (0..n).map(crate::exact_origin).collect()
}

/// This project's policy for an allowlist of `n` origins.
pub fn our_policy(n: usize) -> cors_core::Policy {
    cors_core::Policy::builder()
        .allow_origins(origins(n))
        .allow_methods(METHODS)
        .allow_headers(HEADERS)
        .expose_headers([EXPOSED])
        .allow_credentials(true)
        .max_age(MAX_AGE)
        .build()
        .expect("the benchmark policy is valid")
}

/// One request, the same in every framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /items` without `Origin`.
    NonCors,
    /// `GET /items` from the allowed origin.
    ActualAllowed,
    /// `GET /items` from an origin not allowed.
    ActualRefused,
    /// A preflight for `PUT` with three allowed request headers.
    PreflightAllowed,
    /// A preflight for `PATCH`, a method not allowed.
    PreflightRefused,
    /// `GET /items` from the last of 1,000 allowed origins, against the
    /// applications with the large allowlist.
    Allowlist1000,
    /// `GET /items` from the allowed origin with the headers Chromium
    /// sends with a `fetch` ([`CHROMIUM_FETCH`]): what a middleware that
    /// copies the request's headers pays for in real traffic.
    BrowserAllowed,
}

include!("chromium_fetch.rs");

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 7] = [
        Scenario::NonCors,
        Scenario::ActualAllowed,
        Scenario::ActualRefused,
        Scenario::PreflightAllowed,
        Scenario::PreflightRefused,
        Scenario::Allowlist1000,
        Scenario::BrowserAllowed,
    ];

    /// The scenario's name in benchmark ids and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Scenario::NonCors => "non_cors",
            Scenario::ActualAllowed => "actual_allowed",
            Scenario::ActualRefused => "actual_refused",
            Scenario::PreflightAllowed => "preflight_allowed",
            Scenario::PreflightRefused => "preflight_refused",
            Scenario::Allowlist1000 => "allowlist_1000",
            Scenario::BrowserAllowed => "browser_allowed",
        }
    }

    /// The request method.
    pub const fn method(self) -> &'static str {
        match self {
            Scenario::PreflightAllowed | Scenario::PreflightRefused => "OPTIONS",
            _ => "GET",
        }
    }

    /// The request path.
    pub const fn path(self) -> &'static str {
        "/items"
    }

    /// The request headers, in order.
    pub const fn headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Scenario::NonCors => &[],
            Scenario::ActualAllowed => &[("origin", ALLOWED_ORIGIN)],
            Scenario::ActualRefused => &[("origin", REFUSED_ORIGIN)],
            Scenario::PreflightAllowed => &[
                ("origin", ALLOWED_ORIGIN),
                ("access-control-request-method", "PUT"),
                (
                    "access-control-request-headers",
                    "authorization,x-request-id,x-api-key",
                ),
            ],
            Scenario::PreflightRefused => &[
                ("origin", ALLOWED_ORIGIN),
                ("access-control-request-method", "PATCH"),
            ],
            Scenario::Allowlist1000 => &[("origin", LAST_OF_1000)],
            Scenario::BrowserAllowed => &CHROMIUM_FETCH,
        }
    }

    /// The request headers as a hyper server holds them: every value a
    /// slice of one buffer (the bytes it read), so that cloning a value
    /// counts a reference instead of copying it; names as `http` parses
    /// them. A test client that copies each value into its own buffer
    /// makes a middleware that clones the request's headers look costlier
    /// than it is when served.
    pub fn served_headers(self) -> impl Iterator<Item = (&'static str, http::HeaderValue)> {
        let headers = self.headers();
        let mut read = Vec::with_capacity(headers.iter().map(|(_, value)| value.len()).sum());
        for (_, value) in headers {
            read.extend_from_slice(value.as_bytes());
        }
        let read = bytes::Bytes::from(read);
        let mut at = 0;
        headers.iter().map(move |(name, value)| {
            let slice = read.slice(at..at + value.len());
            at += value.len();
            let value = http::HeaderValue::from_maybe_shared(slice).expect("a valid value");
            (*name, value)
        })
    }

    /// The request's `Origin`, if any.
    pub fn origin(self) -> Option<&'static str> {
        self.headers()
            .iter()
            .find(|(name, _)| *name == "origin")
            .map(|(_, value)| *value)
    }

    /// Whether the application with the large allowlist answers this one.
    pub const fn large(self) -> bool {
        matches!(self, Scenario::Allowlist1000)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which of a framework's applications answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// No CORS middleware at all.
    Baseline,
    /// This project's adapter.
    Ours,
    /// The crate the adapter replaces.
    Peer,
    /// The cheapest wrapper the framework's public API allows (warp only):
    /// what no adapter can undercut.
    Floor,
    /// The least a wrapper on the framework's public API must do to answer
    /// CORS requests correctly, with the policy fixed in its code rather
    /// than evaluated (warp only).
    Conforming,
}

impl Variant {
    /// The variants every framework has, in report order.
    pub const ALL: [Variant; 3] = [Variant::Baseline, Variant::Ours, Variant::Peer];

    /// Every variant, the floors included.
    pub const EVERY: [Variant; 5] = [
        Variant::Baseline,
        Variant::Ours,
        Variant::Peer,
        Variant::Floor,
        Variant::Conforming,
    ];

    /// The variant's name in benchmark ids and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Ours => "ours",
            Variant::Peer => "peer",
            Variant::Floor => "floor",
            Variant::Conforming => "conforming",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a response showed: its status and the headers a browser's CORS
/// check reads (lower-case names, every line, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The status code.
    pub status: u16,
    /// The `access-control-*` and `vary` lines.
    pub headers: Vec<(String, String)>,
}

impl Observed {
    /// Keeps the CORS-relevant lines of `(name, value)` pairs.
    pub fn new<'a>(status: u16, headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let headers = headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .filter(|(name, _)| name.starts_with("access-control-") || name == "vary")
            .map(|(name, value)| (name, String::from_utf8_lossy(value).into_owned()))
            .collect();
        Observed { status, headers }
    }

    /// Keeps the CORS-relevant lines of an `http` 1.x response.
    pub fn of_http<X>(response: &http::Response<X>) -> Self {
        Observed::new(
            response.status().as_u16(),
            response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every comma-separated item of every `name` line, lower-cased.
    pub fn items(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|item| item.trim().to_ascii_lowercase())
            .filter(|item| !item.is_empty())
            .collect()
    }

    /// A one-line summary: the status and the header names (and the
    /// values of `Vary`).
    pub fn summary(&self) -> String {
        let mut names: Vec<String> = Vec::new();
        for (name, _) in &self.headers {
            let short = name.strip_prefix("access-control-").unwrap_or(name);
            if !names.iter().any(|n| n == short) {
                names.push(short.to_owned());
            }
        }
        let vary = self.items("vary").join(", ");
        let names = if names.is_empty() {
            "no CORS headers".to_owned()
        } else {
            names.join(" ")
        };
        if vary.is_empty() {
            format!("{} {names}", self.status)
        } else {
            format!("{} {names} (vary: {vary})", self.status)
        }
    }
}

/// Checks what a browser would conclude from `observed`, the response to
/// `scenario`'s request under the benchmark policy: an allowed request
/// must pass the browser's CORS check with the policy's credentials and
/// exposed header, a preflight must grant the method, the headers and the
/// max age, and a refused request must fail the check.
pub fn verdict(scenario: Scenario, observed: &Observed) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{scenario}: {why}: {observed:?}"));
    let origin_ok = |origin: &str| observed.get("access-control-allow-origin") == Some(origin);
    match scenario {
        Scenario::NonCors => {
            if !(200..300).contains(&observed.status) {
                return fail("the handler's answer is not a success");
            }
        }
        Scenario::ActualAllowed | Scenario::Allowlist1000 | Scenario::BrowserAllowed => {
            let origin = scenario.origin().unwrap_or_default();
            if observed.status != 200 {
                return fail("the handler did not answer");
            }
            if !origin_ok(origin) {
                return fail("the origin is not allowed");
            }
            if observed.get("access-control-allow-credentials") != Some("true") {
                return fail("credentials are not allowed");
            }
            if !observed
                .items("access-control-expose-headers")
                .iter()
                .any(|h| h == EXPOSED)
            {
                return fail("x-request-id is not exposed");
            }
        }
        Scenario::ActualRefused => {
            if observed.get("access-control-allow-origin").is_some() {
                return fail("a refused origin is allowed");
            }
        }
        Scenario::PreflightAllowed => {
            if !(200..300).contains(&observed.status) {
                return fail("a browser needs an ok status");
            }
            if !origin_ok(ALLOWED_ORIGIN) {
                return fail("the origin is not allowed");
            }
            if observed.get("access-control-allow-credentials") != Some("true") {
                return fail("credentials are not allowed");
            }
            if !observed
                .items("access-control-allow-methods")
                .iter()
                .any(|m| m == "put")
            {
                return fail("PUT is not allowed");
            }
            let allowed = observed.items("access-control-allow-headers");
            if let Some(missing) = HEADERS.iter().find(|h| !allowed.iter().any(|a| a == *h)) {
                return fail(&format!("{missing} is not allowed"));
            }
            if observed.get("access-control-max-age") != Some(&MAX_AGE.to_string()) {
                return fail("the max age differs");
            }
        }
        Scenario::PreflightRefused => {
            let passes = (200..300).contains(&observed.status)
                && origin_ok(ALLOWED_ORIGIN)
                && observed
                    .items("access-control-allow-methods")
                    .iter()
                    .any(|m| m == "patch" || m == "*");
            if passes {
                return fail("a browser would send the PATCH");
            }
        }
    }
    Ok(())
}

/// One framework's applications and in-process client.
pub trait Framework {
    /// The framework, in benchmark ids and reports.
    const NAME: &'static str;
    /// The crate the adapter replaces, as a reader knows it.
    const PEER: &'static str;
    /// The variants this framework has.
    const VARIANTS: &'static [Variant] = &Variant::ALL;

    /// Sends `scenario`'s request to `variant`'s application and returns
    /// the status: what the timing loop runs.
    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16;

    /// Sends `scenario`'s request to `variant`'s application and returns
    /// what the response showed.
    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed;

    /// Checks every scenario of this project's adapter and of the peer
    /// against [`verdict`], that this project's answers to CORS requests
    /// vary on `Origin` (a peer's may not: the report shows it), and that
    /// the baseline's handler answers the actual requests; panics on the
    /// first failure.
    fn check(&mut self) {
        for scenario in Scenario::ALL {
            let checked = [Variant::Ours, Variant::Peer, Variant::Conforming];
            for variant in checked.into_iter().filter(|v| Self::VARIANTS.contains(v)) {
                let observed = self.observe(variant, scenario);
                if let Err(why) = verdict(scenario, &observed) {
                    panic!("{} {variant}: {why}", Self::NAME);
                }
                let varies = observed.items("vary").iter().any(|v| v == "origin");
                if variant != Variant::Peer && scenario.origin().is_some() && !varies {
                    panic!("{} {variant}: {scenario}: no Vary: Origin", Self::NAME);
                }
            }
            if scenario.method() == "GET" {
                let status = self.status(Variant::Baseline, scenario);
                assert_eq!(status, 200, "{} baseline {scenario}", Self::NAME);
            }
        }
    }
}
