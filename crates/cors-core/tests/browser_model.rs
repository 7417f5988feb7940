//! A model of the browser side of CORS (WHATWG Fetch), written from the
//! standard independently of the engine, and a property tying the two
//! together: a browser accepts the engine's answers exactly when the policy,
//! read plainly, allows the request.
//!
//! The model decides whether a request needs a preflight, builds the
//! preflight as a browser does, applies the CORS-preflight fetch checks to
//! the engine's answer, and applies the CORS check to the engine's answer to
//! the actual request. It reads only the response headers and status a
//! browser sees.

use cors_core::{Action, Policy, RequestParts};
use proptest::prelude::*;

// ---------------------------------------------------------------- the browser

/// A request as a page's script makes it with `fetch()`.
#[derive(Debug, Clone)]
struct BrowserRequest {
    /// The page's serialized origin.
    origin: &'static str,
    /// The method as the script wrote it.
    method: &'static str,
    /// The author request headers, names distinct case-insensitively.
    headers: Vec<(&'static str, String)>,
    /// Credentials mode "include" (otherwise "same-origin" or "omit", which
    /// a cross-origin request treats alike).
    credentials: bool,
}

/// A response as the browser sees it.
#[derive(Debug, Clone)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Response {
    /// Fetch's "get": every value of `name`, combined with `, `.
    fn get(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Fetch, "normalize a method": only these six are upper-cased.
fn normalize_method(method: &str) -> String {
    const NORMALIZED: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
    match NORMALIZED.iter().find(|m| m.eq_ignore_ascii_case(method)) {
        Some(m) => (*m).to_owned(),
        None => method.to_owned(),
    }
}

fn is_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// Fetch, "forbidden request-header": a script's attempt to set one is
/// ignored.
fn is_forbidden_request_header(name: &str) -> bool {
    const FORBIDDEN: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}

/// Fetch, "CORS-unsafe request-header byte".
fn is_cors_unsafe_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b"\"():<>?@[\\]{}".contains(&b) || b == 0x7f
}

/// Fetch, "CORS-safelisted request-header".
fn is_safelisted_request_header(name: &str, value: &str) -> bool {
    if value.len() > 128 {
        return false;
    }
    let bytes = value.as_bytes();
    match name.to_ascii_lowercase().as_str() {
        "accept" => !bytes.iter().any(|&b| is_cors_unsafe_byte(b)),
        "accept-language" | "content-language" => bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b" *,-.;=".contains(&b)),
        "content-type" => {
            if bytes.iter().any(|&b| is_cors_unsafe_byte(b)) {
                return false;
            }
            // The MIME type's essence, lower-cased.
            let essence = value.split(';').next().unwrap_or_default();
            let essence = essence
                .trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                .to_ascii_lowercase();
            matches!(
                essence.as_str(),
                "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
            )
        }
        "range" => is_simple_range(value),
        _ => false,
    }
}

/// `bytes=N-` or `bytes=N-M` with N <= M: the one range form safelisted.
fn is_simple_range(value: &str) -> bool {
    let Some(range) = value.strip_prefix("bytes=") else {
        return false;
    };
    let Some((start, end)) = range.split_once('-') else {
        return false;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (number(start), end) {
        (Some(_), "") => true,
        (Some(start), end) => number(end).is_some_and(|end| start <= end),
        (None, _) => false,
    }
}

/// Fetch, "CORS-unsafe request-header names": sorted, lower-cased, without
/// duplicates.
fn cors_unsafe_names(headers: &[(&str, String)]) -> Vec<String> {
    let mut unsafe_names = Vec::new();
    let mut safelisted = Vec::new();
    let mut safelist_size = 0;
    for (name, value) in headers {
        if is_safelisted_request_header(name, value) {
            safelisted.push(name.to_ascii_lowercase());
            safelist_size += value.len();
        } else {
            unsafe_names.push(name.to_ascii_lowercase());
        }
    }
    if safelist_size > 1024 {
        unsafe_names.extend(safelisted);
    }
    unsafe_names.sort();
    unsafe_names.dedup();
    unsafe_names
}

/// Fetch, "extract header list values" for a `#token` list: `None` when
/// absent, `Err` when an element is not a token.
fn extract_list(response: &Response, name: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = response.get(name) else {
        return Ok(None);
    };
    let mut items = Vec::new();
    for item in value.split(',') {
        let item = item.trim_matches(|c| matches!(c, ' ' | '\t'));
        if item.is_empty() {
            continue;
        }
        let token = item
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(format!("{name}: {item:?} is not a token"));
        }
        items.push(item.to_owned());
    }
    Ok(Some(items))
}

/// Fetch, "CORS check".
fn cors_check(request: &BrowserRequest, response: &Response) -> Result<(), String> {
    let Some(origin) = response.get("access-control-allow-origin") else {
        return Err("no Access-Control-Allow-Origin".into());
    };
    if !request.credentials && origin == "*" {
        return Ok(());
    }
    if origin != request.origin {
        return Err(format!(
            "Access-Control-Allow-Origin {origin:?} is not {:?}",
            request.origin
        ));
    }
    if !request.credentials {
        return Ok(());
    }
    match response.get("access-control-allow-credentials") {
        Some(value) if value == "true" => Ok(()),
        other => Err(format!("Access-Control-Allow-Credentials is {other:?}")),
    }
}

/// The checks of a "CORS-preflight fetch" on the answer to a preflight.
fn preflight_check(
    request: &BrowserRequest,
    method: &str,
    unsafe_names: &[String],
    response: &Response,
) -> Result<(), String> {
    if !(200..=299).contains(&response.status) {
        return Err(format!("preflight status {}", response.status));
    }
    cors_check(request, response)?;
    let methods = extract_list(response, "access-control-allow-methods")?.unwrap_or_default();
    let header_names = extract_list(response, "access-control-allow-headers")?.unwrap_or_default();
    let star = |list: &[String]| list.iter().any(|i| i == "*");
    if !methods.iter().any(|m| m == method)
        && !is_safelisted_method(method)
        && (request.credentials || !star(&methods))
    {
        return Err(format!("method {method} not in {methods:?}"));
    }
    let listed = |name: &str| header_names.iter().any(|h| h.eq_ignore_ascii_case(name));
    // `Authorization` is the "CORS non-wildcard request-header name".
    for (name, _) in &request.headers {
        if name.eq_ignore_ascii_case("authorization") && !listed(name) {
            return Err("authorization not listed explicitly".into());
        }
    }
    for name in unsafe_names {
        if !listed(name) && (request.credentials || !star(&header_names)) {
            return Err(format!("header {name} not in {header_names:?}"));
        }
    }
    Ok(())
}

/// The response header names a page may read, among `candidates`: Fetch's
/// "CORS-exposed header-name list".
fn exposed(request: &BrowserRequest, response: &Response, candidates: &[&str]) -> Vec<String> {
    let list = extract_list(response, "access-control-expose-headers")
        .ok()
        .flatten()
        .unwrap_or_default();
    let all = !request.credentials && list.iter().any(|n| n == "*");
    candidates
        .iter()
        .filter(|c| all || list.iter().any(|n| n.eq_ignore_ascii_case(c)))
        .map(|c| (*c).to_owned())
        .collect()
}

/// What the server answers, given the engine's decision; a forwarded
/// request reaches a handler that answers 200.
fn serve(policy: &Policy, request: &RequestParts<'_>) -> Response {
    let decision = policy.evaluate(request);
    let status = match decision.action() {
        Action::Respond { status, .. } => status,
        Action::Forward => 200,
        Action::Lookup => unreachable!("evaluate never asks the origin lookup"),
    };
    Response {
        status,
        headers: decision
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// What a browser's `fetch()` does with `request` against a server running
/// `policy`: the readable response header names among `candidates`, or why
/// the page gets a network error instead.
fn fetch(
    policy: &Policy,
    request: &BrowserRequest,
    candidates: &[&str],
) -> Result<Vec<String>, String> {
    let method = normalize_method(request.method);
    let headers: Vec<(&str, String)> = request
        .headers
        .iter()
        .filter(|(n, _)| !is_forbidden_request_header(n))
        .cloned()
        .collect();
    let unsafe_names = cors_unsafe_names(&headers);
    let request = BrowserRequest {
        headers,
        ..request.clone()
    };
    if !is_safelisted_method(&method) || !unsafe_names.is_empty() {
        let acrh = unsafe_names.join(",");
        let mut preflight = RequestParts::new("OPTIONS");
        preflight.add_header("Accept", b"*/*");
        preflight.add_header("Origin", request.origin.as_bytes());
        preflight.add_header("Access-Control-Request-Method", method.as_bytes());
        if !unsafe_names.is_empty() {
            preflight.add_header("Access-Control-Request-Headers", acrh.as_bytes());
        }
        let answer = serve(policy, &preflight);
        preflight_check(&request, &method, &unsafe_names, &answer)
            .map_err(|e| format!("preflight: {e}"))?;
    }
    let mut actual = RequestParts::new(&method);
    actual.add_header("Origin", request.origin.as_bytes());
    for (name, value) in &request.headers {
        actual.add_header(name, value.as_bytes());
    }
    let answer = serve(policy, &actual);
    cors_check(&request, &answer).map_err(|e| format!("actual: {e}"))?;
    Ok(exposed(&request, &answer, candidates))
}

// ---------------------------------------------------------------- the model's own checks

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn request(credentials: bool, headers: &[(&'static str, &str)]) -> BrowserRequest {
    BrowserRequest {
        origin: "https://app.example",
        method: "PUT",
        headers: headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect(),
        credentials,
    }
}

#[test]
fn model_needs_a_preflight_exactly_for_unsafe_methods_and_headers() {
    let names = |headers: &[(&'static str, &str)]| {
        let headers: Vec<(&str, String)> =
            headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
        cors_unsafe_names(&headers)
    };
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
    assert_eq!(normalize_method("delete"), "DELETE");
    assert_eq!(normalize_method("patch"), "patch");
}

#[test]
fn model_refuses_what_browsers_refuse() {
    let ok = |status, headers: Vec<(String, String)>| Response { status, headers };
    let credentialed = request(true, &[]);
    let anonymous = request(false, &[("Authorization", "x"), ("X-A", "1")]);
    let names = ["authorization".to_owned(), "x-a".to_owned()];

    // `*` is never enough with credentials, and ACAC must be exactly `true`.
    let star = ok(200, vec![header("access-control-allow-origin", "*")]);
    assert!(cors_check(&credentialed, &star).is_err());
    assert!(cors_check(&request(false, &[]), &star).is_ok());
    let mut exact = ok(
        200,
        vec![header("access-control-allow-origin", "https://app.example")],
    );
    assert!(cors_check(&credentialed, &exact).is_err());
    exact
        .headers
        .push(header("access-control-allow-credentials", "TRUE"));
    assert!(cors_check(&credentialed, &exact).is_err());
    // Two allow-origin lines combine into a value that matches nothing.
    let twice = ok(
        200,
        vec![
            header("access-control-allow-origin", "https://app.example"),
            header("access-control-allow-origin", "https://app.example"),
        ],
    );
    assert!(cors_check(&request(false, &[]), &twice).is_err());

    // A preflight needs an ok status, the method, and every unsafe name,
    // with `authorization` never covered by `*`.
    let preflight = |status, methods: &str, headers: &str| {
        ok(
            status,
            vec![
                header("access-control-allow-origin", "*"),
                header("access-control-allow-methods", methods),
                header("access-control-allow-headers", headers),
            ],
        )
    };
    let check = |response: &Response| preflight_check(&anonymous, "PUT", &names, response);
    assert!(check(&preflight(204, "PUT", "authorization, x-a")).is_ok());
    assert!(check(&preflight(204, "*", "Authorization,*")).is_ok());
    assert!(check(&preflight(403, "PUT", "authorization, x-a")).is_err());
    assert!(check(&preflight(204, "put", "authorization, x-a")).is_err());
    assert!(check(&preflight(204, "PUT", "*")).is_err());
    assert!(check(&preflight(204, "PUT", "authorization")).is_err());
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
        is_forbidden_request_header(name)
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
        let outcome = fetch(&built, &request, &RESPONSE_NAMES);
        let allowed = policy_allows(&policy, &request);
        prop_assert_eq!(outcome.is_ok(), allowed, "browser: {:?}", outcome);
        if let Ok(readable) = outcome {
            prop_assert_eq!(readable, policy_exposes(&policy, &request));
        }
    }
}
