//! The browser side of CORS (`cors_cli::fetch`, written from the Fetch
//! standard independently of the engine) against the engine: a browser
//! accepts the engine's answers exactly when the policy, read plainly,
//! allows the request, and then lets the page read exactly the exposed
//! headers.
//!
//! The browser decides whether a request needs a preflight, builds the
//! preflight, applies the CORS-preflight fetch checks to the engine's
//! answer, and applies the CORS check to the engine's answer to the actual
//! request. It reads only the status and headers a browser sees.

use cors_cli::fetch::{
    BlockedKind, Fetch, Request, Response, Stage, Verdict, Warning, cors_check, cors_unsafe_names,
    is_forbidden_request_header, is_safelisted_method, is_safelisted_request_header,
    normalize_method, preflight_check,
};
use cors_core::{Action, Policy, RequestParts};
use proptest::prelude::*;

// ---------------------------------------------------------------- the server

/// Headers the handler behind the policy sets on every response.
const HANDLER_HEADERS: [(&str, &str); 4] = [
    ("x-a", "1"),
    ("x-total", "2"),
    ("x-request-id", "3"),
    ("etag", "\"4\""),
];

/// What the server answers, given the engine's decision: the engine's own
/// answer, or the handler's (200 and [`HANDLER_HEADERS`]) with the
/// decision's headers added.
fn serve(policy: &Policy, method: &str, headers: &[(String, String)]) -> Response {
    let mut request = RequestParts::new(method).with_path("/items");
    for (name, value) in headers {
        request.add_header(name, value.as_bytes());
    }
    let decision = policy.evaluate(&request);
    let mut response = match decision.action() {
        Action::Respond { status, .. } => Response::new(status),
        Action::Forward => HANDLER_HEADERS
            .iter()
            .fold(Response::new(200), |r, (n, v)| r.header(*n, *v)),
        Action::Lookup => unreachable!("evaluate never asks the origin lookup"),
    };
    for (name, value) in decision.headers() {
        response = response.header(name.as_str(), *value);
    }
    response
}

/// What a browser's `fetch()` does with `request` against a server running
/// `policy`, and every request it sent.
fn fetch(policy: &Policy, request: &BrowserRequest) -> (Verdict, Vec<Stage>) {
    let mut fetch = Fetch::new("https://api.example/items", request.to_fetch())
        .expect("the strategy makes requests a script can make");
    let mut stages = Vec::new();
    loop {
        let outgoing = fetch.next_request();
        stages.push(outgoing.stage);
        let response = serve(policy, &outgoing.method, &outgoing.headers);
        if let Some(verdict) = fetch.receive(&response) {
            return (verdict, stages);
        }
    }
}

/// A request as a page's script makes it with `fetch()`.
#[derive(Debug, Clone)]
struct BrowserRequest {
    origin: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    credentials: bool,
}

impl BrowserRequest {
    fn to_fetch(&self) -> Request {
        self.headers.iter().fold(
            Request::new(self.origin, self.method).credentials(self.credentials),
            |r, (n, v)| r.header(*n, v.clone()),
        )
    }
}

// ---------------------------------------------------------------- the browser's own checks

fn response(status: u16, headers: &[(&str, &str)]) -> Response {
    headers
        .iter()
        .fold(Response::new(status), |r, (n, v)| r.header(*n, *v))
}

#[test]
fn browser_needs_a_preflight_exactly_for_unsafe_methods_and_headers() {
    let names = |headers: &[(&str, &str)]| cors_unsafe_names(headers.iter().copied());
    assert!(names(&[("Content-Type", "text/plain;charset=UTF-8")]).is_empty());
    assert!(names(&[("Accept", "application/json"), ("Range", "bytes=0-99")]).is_empty());
    assert_eq!(
        names(&[
            ("X-B", "1"),
            ("Content-Type", "application/json"),
            ("x-a", "1"),
            ("Range", "bytes=-500"),
            ("Accept-Language", "en_US"),
        ]),
        ["accept-language", "content-type", "range", "x-a", "x-b"]
    );
    assert_eq!(names(&[("Accept", &"a".repeat(129))]), ["accept"]);
    // Nine safelisted values of 120 bytes: 1,080 bytes in all, over 1,024,
    // so every one of them needs the server's consent.
    let long = "a".repeat(120);
    let many: Vec<(&str, &str)> = vec![("accept", long.as_str()); 9];
    assert_eq!(names(&many), ["accept"]);
    assert!(names(&many[..8]).is_empty());
    assert_eq!(normalize_method("delete"), "DELETE");
    assert_eq!(normalize_method("patch"), "patch");

    // The preflight as Chromium and Firefox send it.
    let request = Request::new("https://app.example", "put")
        .header("X-B", "1")
        .header("x-a", "2")
        .header("Cookie", "c=1")
        .header("Accept", "text/html");
    let fetch = Fetch::new("https://api.example/items", request).unwrap();
    let preflight = fetch.next_request();
    assert_eq!(preflight.stage, Stage::Preflight);
    assert_eq!(preflight.method, "OPTIONS");
    assert_eq!(preflight.header("origin"), Some("https://app.example"));
    assert_eq!(
        preflight.header("access-control-request-method"),
        Some("PUT")
    );
    assert_eq!(
        preflight.header("access-control-request-headers"),
        Some("x-a,x-b")
    );
    assert_eq!(preflight.header("cookie"), None);
    assert_eq!(preflight.header("x-a"), None);
}

#[test]
fn browser_refuses_what_browsers_refuse() {
    let origin = "https://app.example";
    let names = ["authorization".to_owned(), "x-a".to_owned()];

    // `*` is never enough with credentials, and ACAC must be exactly `true`.
    let star = response(200, &[("access-control-allow-origin", "*")]);
    assert_eq!(
        cors_check(origin, true, &star, Stage::Actual),
        Err(BlockedKind::WildcardOriginWithCredentials {
            stage: Stage::Actual
        })
    );
    assert_eq!(cors_check(origin, false, &star, Stage::Actual), Ok(()));
    let exact = response(200, &[("access-control-allow-origin", origin)]);
    assert_eq!(
        cors_check(origin, true, &exact, Stage::Actual),
        Err(BlockedKind::CredentialsNotAllowed {
            stage: Stage::Actual,
            value: None
        })
    );
    let upper = response(
        200,
        &[
            ("access-control-allow-origin", origin),
            ("access-control-allow-credentials", "TRUE"),
        ],
    );
    assert_eq!(
        cors_check(origin, true, &upper, Stage::Actual),
        Err(BlockedKind::CredentialsNotAllowed {
            stage: Stage::Actual,
            value: Some("TRUE".to_owned())
        })
    );
    // Two allow-origin lines combine into a value that matches nothing.
    let twice = response(
        200,
        &[
            ("access-control-allow-origin", origin),
            ("access-control-allow-origin", origin),
        ],
    );
    assert!(matches!(
        cors_check(origin, false, &twice, Stage::Actual),
        Err(BlockedKind::MultipleAllowOrigin { .. })
    ));

    // A preflight needs an ok status, the method, and every unsafe name.
    let preflight = |status, methods: &str, headers: &str| {
        response(
            status,
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", methods),
                ("access-control-allow-headers", headers),
            ],
        )
    };
    let check = |response: &Response| preflight_check(origin, false, "PUT", &names, response);
    assert_eq!(
        check(&preflight(204, "PUT", "authorization, x-a")),
        Ok(vec![])
    );
    assert_eq!(check(&preflight(204, "*", "Authorization,*")), Ok(vec![]));
    assert_eq!(
        check(&preflight(403, "PUT", "authorization, x-a")),
        Err(BlockedKind::PreflightStatus {
            status: 403,
            requested_headers: names.to_vec()
        })
    );
    assert!(matches!(
        check(&preflight(204, "put", "authorization, x-a")),
        Err(BlockedKind::MethodNotAllowed { .. })
    ));
    // The standard keeps `authorization` out of `*`; Chromium 156 and
    // Firefox 153 let `*` cover it. The verdict follows the browsers, with
    // a warning.
    assert_eq!(
        check(&preflight(204, "PUT", "*")),
        Ok(vec![Warning::authorization_wildcard()])
    );
    assert!(matches!(
        check(&preflight(204, "PUT", "authorization")),
        Err(BlockedKind::HeaderNotAllowed { name, .. }) if name == "x-a"
    ));
    // With credentials `*` is a header named `*`, not a wildcard.
    assert!(matches!(
        preflight_check(origin, true, "PUT", &names, &response(204, &[
            ("access-control-allow-origin", origin),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "*"),
        ])),
        Err(BlockedKind::HeaderNotAllowed { name, wildcard_with_credentials: true, .. }) if name == "authorization"
    ));
}

// ---------------------------------------------------------------- the property

const ORIGIN_RULES: [&str; 8] = [
    "https://app.example",
    "https://app.example:8443",
    "https://*.example.com",
    "https://*.example.com:*",
    "http://localhost:*",
    "http://localhost:3000",
    "null",
    "http://[::1]:8080",
];
const METHOD_RULES: [&str; 8] = [
    "PUT", "PATCH", "patch", "DELETE", "OPTIONS", "PURGE", "*", "GET",
];
const HEADER_RULES: [&str; 7] = [
    "x-a",
    "X-B",
    "authorization",
    "x-request-id",
    "range",
    "*",
    "content-type",
];
const EXPOSE_RULES: [&str; 4] = ["x-a", "x-total", "X-Request-Id", "*"];
/// Response header names whose readability the property checks.
const RESPONSE_NAMES: [&str; 4] = ["x-a", "x-total", "x-request-id", "etag"];

/// Origins as browsers serialize them.
const ORIGINS: [&str; 16] = [
    "https://app.example",
    "https://app.example:8443",
    "https://a.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "https://a.example.com:8443",
    "http://a.example.com",
    "https://barexample.com",
    "https://a.example.com.evil.net",
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:5173",
    "https://localhost:3000",
    "null",
    "http://[::1]:8080",
    "https://evil.example",
];
const METHODS: [&str; 14] = [
    "GET", "get", "HEAD", "POST", "post", "PUT", "put", "PATCH", "patch", "DELETE", "Delete",
    "OPTIONS", "options", "PURGE",
];
const HEADER_NAMES: [&str; 13] = [
    "X-A",
    "x-b",
    "Authorization",
    "X-Request-Id",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Range",
    "x-c",
    "Cookie",
    "Sec-Fetch-Mode",
    "x-request-id",
];
const HEADER_VALUES: [&str; 14] = [
    "text/plain",
    "application/json",
    "multipart/form-data; boundary=x",
    "Text/Plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "*/*",
    "en-US,en;q=0.9",
    "en_US",
    "bytes=0-100",
    "bytes=-500",
    "bytes=0-",
    "bytes=5-1",
    "x(1)",
    "1",
];

#[derive(Debug, Clone)]
struct PolicySpec {
    any_origin: bool,
    origins: Vec<&'static str>,
    credentials: bool,
    methods: Vec<&'static str>,
    headers: Vec<&'static str>,
    expose: Vec<&'static str>,
}

impl PolicySpec {
    fn build(&self) -> Policy {
        let origins = if self.any_origin {
            vec!["*"]
        } else {
            self.origins.clone()
        };
        Policy::builder()
            .allow_origins(origins)
            .allow_credentials(self.credentials)
            .allow_methods(self.methods.clone())
            .allow_headers(self.headers.clone())
            .expose_headers(self.expose.clone())
            .build()
            .unwrap_or_else(|e| panic!("the strategy makes valid policies only: {e}\n{self:?}"))
    }
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    use proptest::sample::subsequence;
    (
        any::<bool>(),
        subsequence(ORIGIN_RULES.to_vec(), 0..=ORIGIN_RULES.len()),
        any::<bool>(),
        subsequence(METHOD_RULES.to_vec(), 0..=METHOD_RULES.len()),
        subsequence(HEADER_RULES.to_vec(), 0..=HEADER_RULES.len()),
        subsequence(EXPOSE_RULES.to_vec(), 0..=EXPOSE_RULES.len()),
    )
        .prop_map(
            |(any_origin, origins, credentials, methods, headers, expose)| {
                let credentials = credentials
                    && !any_origin
                    && !origins.contains(&"null")
                    && !expose.contains(&"*");
                PolicySpec {
                    any_origin,
                    origins,
                    credentials,
                    methods,
                    headers,
                    expose,
                }
            },
        )
}

fn browser_request() -> impl Strategy<Value = BrowserRequest> {
    use proptest::sample::select;
    let long = "a".repeat(129);
    let value = prop_oneof![
        12 => select(HEADER_VALUES.to_vec()).prop_map(String::from),
        1 => Just(long),
    ];
    (
        select(ORIGINS.to_vec()),
        select(METHODS.to_vec()),
        proptest::collection::vec((select(HEADER_NAMES.to_vec()), value), 0..5),
        any::<bool>(),
    )
        .prop_map(|(origin, method, mut headers, credentials)| {
            // A script's `Headers` holds each name once.
            let mut seen: Vec<String> = Vec::new();
            headers.retain(|(name, _)| {
                let lower = name.to_ascii_lowercase();
                let new = !seen.contains(&lower);
                seen.push(lower);
                new
            });
            BrowserRequest {
                origin,
                method,
                headers,
                credentials,
            }
        })
}

// ---------------------------------------------------------------- the policy, read plainly

/// Whether `rule` (an `allow_origins` entry other than `*`) names `origin`.
fn rule_names(rule: &str, origin: &str) -> bool {
    if rule == "null" || origin == "null" || !rule.contains('*') {
        return rule == origin;
    }
    let split = |text: &'static str| {
        let (scheme, authority) = text.split_once("://").unwrap();
        match authority.rsplit_once(':') {
            Some((host, port)) if !authority.ends_with(']') => (scheme, host, Some(port)),
            _ => (scheme, authority, None),
        }
    };
    let rule: &'static str = ORIGIN_RULES.iter().find(|r| **r == rule).unwrap();
    let origin: &'static str = ORIGINS.iter().find(|o| **o == origin).unwrap();
    let (rule_scheme, rule_host, rule_port) = split(rule);
    let (scheme, host, port) = split(origin);
    let host_ok = match rule_host.strip_prefix("*.") {
        Some(parent) => host
            .strip_suffix(parent)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == rule_host,
    };
    let port_ok = rule_port == Some("*") || rule_port == port;
    scheme == rule_scheme && host_ok && port_ok
}

/// Does the policy allow this origin, this method, these headers, with
/// these credentials? Headers a browser sends without asking (safelisted
/// by name and value) need no grant; `content-type` and the other
/// always-allowed names never do.
fn policy_allows(policy: &PolicySpec, request: &BrowserRequest) -> bool {
    let origin = policy.any_origin || policy.origins.iter().any(|r| rule_names(r, request.origin));
    let credentials = !request.credentials || policy.credentials;
    let method = normalize_method(request.method);
    let method =
        is_safelisted_method(&method) || policy.methods.iter().any(|m| *m == "*" || *m == method);
    let always = [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    ];
    let headers = request.headers.iter().all(|(name, value)| {
        is_forbidden_request_header(name, value)
            || is_safelisted_request_header(name, value)
            || policy
                .headers
                .iter()
                .chain(&always)
                .any(|h| *h == "*" || h.eq_ignore_ascii_case(name))
    });
    origin && credentials && method && headers
}

/// The response headers the policy lets a page read.
fn policy_exposes(policy: &PolicySpec, request: &BrowserRequest) -> Vec<String> {
    RESPONSE_NAMES
        .iter()
        .filter(|name| {
            policy.expose.iter().any(|e| e.eq_ignore_ascii_case(name))
                || (policy.expose.contains(&"*") && !request.credentials)
        })
        .map(|name| (*name).to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// A browser accepts the engine's answers exactly when the policy allows
    /// the request, and then lets the page read exactly the exposed headers.
    #[test]
    fn browser_accepts_iff_policy_allows(policy in policy_spec(), request in browser_request()) {
        let built = policy.build();
        let (verdict, stages) = fetch(&built, &request);
        let allowed = policy_allows(&policy, &request);
        prop_assert_eq!(verdict.allowed(), allowed, "browser: {:?}", verdict);
        // Nothing the engine answers needs the Authorization laxity: it
        // names each allowed header.
        prop_assert!(
            !verdict.warnings.iter().any(|w| w.code == "authorization-wildcard"),
            "{:?}", verdict
        );
        let preflighted = stages.first() == Some(&Stage::Preflight);
        prop_assert_eq!(verdict.preflight.is_some(), preflighted);
        if verdict.allowed() {
            prop_assert_eq!(stages.last(), Some(&Stage::Actual));
            let readable: Vec<String> = verdict
                .readable_headers
                .into_iter()
                .filter(|n| RESPONSE_NAMES.contains(&n.as_str()))
                .collect();
            let mut exposed = policy_exposes(&policy, &request);
            exposed.sort();
            prop_assert_eq!(readable, exposed);
        }
    }
}
