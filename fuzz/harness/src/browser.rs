//! The `browser` target: the engine's answers run through the browser
//! model (`cors_cli::fetch`, the Fetch standard's client side, written
//! independently of the engine), which must let the page have the response
//! exactly when a plain reading of the policy, written here, allows the
//! request.
//!
//! The input is text-like, so seeds can be written by hand:
//!
//! ```text
//! <policy byte><path byte><credentials byte>\n<page origin>\n<method>\n<Name>: <value>\n...
//! ```
//!
//! - The first line has up to three bytes: the policy (one of [`SPECS`],
//!   `0` to `9`, any other byte by `byte % 10`), the path requested (one of
//!   [`PATHS`], the same way; absent, the first), and `c` for a fetch with
//!   `credentials: "include"` (anything else, or nothing, for without).
//! - The page's origin, as the script's page has it (`https://app.example`,
//!   `null`). An input whose origin is not an origin as a browser
//!   serializes it (lower case, no default port, a host of dot-separated
//!   labels or a bracketed IPv6 address) is skipped.
//! - The method as the script writes it (`fetch(url, {method})`).
//! - Each further line is a header the script sets, `Name: value`; a later
//!   line with a name already set is dropped (a script's `Headers` holds
//!   each name once), a line without `:` sets an empty value, and empty
//!   lines are ignored.
//!
//! Requests `fetch()` would throw for (a forbidden method, a name that is
//! not a header name, a value with NUL or CR) are skipped. The browser model
//! decides whether a preflight is needed, sends it, checks the answer,
//! sends the actual request and checks that; the server is the engine
//! (`evaluate_with_lookup`, the lookup answered by [`lookup_allows`]) in
//! front of a handler that sets [`HANDLER_HEADERS`]. The checks:
//!
//! - the browser's verdict is "allowed" exactly when the plain reading
//!   ([`plainly_allows`]) is;
//! - nothing passes only through a browser laxity (`*` covering
//!   `Authorization`): the engine names each header it allows;
//! - an allowed cross-origin response lets the page read exactly the
//!   handler's headers the policy exposes.

use std::sync::LazyLock;

use cors_cli::fetch::{
    Fetch, Request, Response, Stage, is_forbidden_request_header, is_safelisted_request_header,
    normalize_method,
};
use cors_core::{Action, Policy, PolicyConfig, RequestParts, RouteConfig, RouteMatch};
use regex::Regex;

use crate::routes::{self, Pattern};

/// The origin of the server: a page there makes same-origin requests.
const SERVER: &str = "https://api.example";

/// The paths a page may request, by the first line's second byte.
pub(crate) const PATHS: [&str; 10] = [
    "/items",
    "/public/a.css",
    "/public",
    "/metrics",
    "/metrics/",
    "/internal/x",
    "/api/v1/users",
    "/api/v1",
    "/",
    "/items/7/",
];

/// Headers the handler behind the policy sets on every response.
const HANDLER_HEADERS: [(&str, &str); 4] = [
    ("x-a", "1"),
    ("x-total", "2"),
    ("x-request-id", "3"),
    ("etag", "\"4\""),
];

/// The handler's header names, whose readability is checked.
const HANDLER_NAMES: [&str; 4] = ["etag", "x-a", "x-request-id", "x-total"];

/// The request-header names every policy allows.
const ALWAYS_ALLOWED: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// What the application's origin lookup says: yes to `null` and to
/// origins whose host starts with `tenant`.
pub(crate) fn lookup_allows(origin: &str) -> bool {
    origin == "null"
        || origin
            .split_once("://")
            .is_some_and(|(_, host)| host.starts_with("tenant"))
}

/// One policy (the top level, or a route's), as plain data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    any_origin: bool,
    /// `allow_origins` entries other than `*`.
    origins: &'static [&'static str],
    regexes: &'static [&'static str],
    lookup: bool,
    lookup_null: bool,
    credentials: bool,
    methods: &'static [&'static str],
    headers: &'static [&'static str],
    expose: &'static [&'static str],
    block: bool,
    preflight_status: u16,
    max_age: u64,
}

impl Spec {
    const CLOSED: Spec = Spec {
        any_origin: false,
        origins: &[],
        regexes: &[],
        lookup: false,
        lookup_null: false,
        credentials: false,
        methods: &[],
        headers: &[],
        expose: &[],
        block: false,
        preflight_status: 204,
        max_age: 600,
    };

    fn origins(&self) -> Vec<String> {
        let any = self.any_origin.then_some("*");
        any.into_iter()
            .chain(self.origins.iter().copied())
            .map(String::from)
            .collect()
    }

    fn config(&self) -> PolicyConfig {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        let mut config = PolicyConfig::default();
        config.allow_origins = self.origins();
        config.allow_origin_regex = strings(self.regexes);
        config.allow_origin_lookup = self.lookup;
        config.lookup_null_origin = self.lookup_null;
        config.allow_credentials = self.credentials;
        config.allow_methods = strings(self.methods);
        config.allow_headers = strings(self.headers);
        config.expose_headers = strings(self.expose);
        config.block_disallowed_origins = self.block;
        config.preflight_status = self.preflight_status;
        config.max_age = self.max_age;
        config
    }

    /// A route for `paths` that sets every key to this spec's value.
    fn route(&self, paths: &[&str]) -> RouteConfig {
        let config = self.config();
        let mut route = RouteConfig::new(paths.iter().copied());
        route.allow_origins = Some(config.allow_origins);
        route.allow_origin_regex = Some(config.allow_origin_regex);
        route.allow_origin_lookup = Some(config.allow_origin_lookup);
        route.lookup_null_origin = Some(config.lookup_null_origin);
        route.allow_credentials = Some(config.allow_credentials);
        route.allow_methods = Some(config.allow_methods);
        route.allow_headers = Some(config.allow_headers);
        route.expose_headers = Some(config.expose_headers);
        route.block_disallowed_origins = Some(config.block_disallowed_origins);
        route.preflight_status = Some(config.preflight_status);
        route.max_age = Some(config.max_age);
        route
    }
}

/// A policy: its top level and its routes (patterns and spec).
pub(crate) struct PolicySpec {
    top: Spec,
    routes: &'static [(&'static [&'static str], Spec)],
}

/// The policies, by the first byte.
pub(crate) const SPECS: [PolicySpec; 10] = [
    // 0: exact origins, credentials, listed methods, headers and exposed
    // headers.
    PolicySpec {
        top: Spec {
            origins: &[
                "https://app.example",
                "https://app.example:8443",
                "http://localhost:3000",
                "http://[::1]:8080",
            ],
            credentials: true,
            methods: &["PUT", "PATCH", "DELETE"],
            headers: &["x-a", "Authorization", "x-request-id"],
            expose: &["x-total", "ETag"],
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 1: subdomain and port wildcards and null; any method and header.
    PolicySpec {
        top: Spec {
            origins: &[
                "https://*.example.com",
                "https://*.example.com:*",
                "http://localhost:*",
                "null",
            ],
            methods: &["*"],
            headers: &["*"],
            expose: &["*"],
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 2: wildcards with credentials; a lower-case method; refusals
    // answered 403; preflight status 200.
    PolicySpec {
        top: Spec {
            origins: &["https://*.example.com:*", "http://*.dev.test:8080"],
            credentials: true,
            methods: &["patch", "OPTIONS"],
            headers: &["X-B", "range", "content-type"],
            expose: &["X-Request-Id"],
            block: true,
            preflight_status: 200,
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 3: any origin, any method, any header, every header exposed.
    PolicySpec {
        top: Spec {
            any_origin: true,
            methods: &["*"],
            headers: &["*"],
            expose: &["*"],
            max_age: 86_400,
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 4: any origin, nothing more.
    PolicySpec {
        top: Spec {
            any_origin: true,
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 5: regexes beside an exact origin.
    PolicySpec {
        top: Spec {
            origins: &["https://app.example"],
            regexes: &[
                r"https://pr-[0-9]+\.preview\.example\.dev",
                r"https://[a-z]+\.example\.net|http://localhost:\d+",
            ],
            methods: &["PURGE"],
            headers: &["x-a"],
            expose: &["x-a"],
            max_age: 0,
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 6: the origin lookup, for null too.
    PolicySpec {
        top: Spec {
            origins: &["https://app.example"],
            lookup: true,
            lookup_null: true,
            methods: &["PUT"],
            headers: &["x-a"],
            block: true,
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 7: the origin lookup with credentials.
    PolicySpec {
        top: Spec {
            origins: &["https://*.example.com"],
            lookup: true,
            credentials: true,
            headers: &["authorization"],
            expose: &["x-total"],
            ..Spec::CLOSED
        },
        routes: &[],
    },
    // 8: routes.
    PolicySpec {
        top: Spec {
            origins: &["https://app.example"],
            credentials: true,
            methods: &["PUT"],
            headers: &["x-a"],
            expose: &["x-a"],
            ..Spec::CLOSED
        },
        routes: &[
            (
                &["/public/*"],
                Spec {
                    any_origin: true,
                    expose: &["etag"],
                    ..Spec::CLOSED
                },
            ),
            (&["/metrics", "/internal/*"], Spec::CLOSED),
            (
                &["/api/v1/*"],
                Spec {
                    origins: &["https://*.example.com", "https://app.example"],
                    lookup: true,
                    methods: &["*"],
                    headers: &["*"],
                    ..Spec::CLOSED
                },
            ),
        ],
    },
    // 9: the defaults: no origin.
    PolicySpec {
        top: Spec::CLOSED,
        routes: &[],
    },
];

/// A policy built, with what the plain reading needs.
struct Built {
    policy: Policy,
    /// Each route's patterns, read by the reference, with the route's index.
    patterns: Vec<(Pattern, usize)>,
    /// The anchored regexes of the top level, then of each route.
    regexes: Vec<Vec<Regex>>,
}

static BUILT: LazyLock<Vec<Built>> = LazyLock::new(|| {
    SPECS
        .iter()
        .map(|spec| {
            let mut config = spec.top.config();
            config.routes = spec
                .routes
                .iter()
                .map(|(paths, route)| route.route(paths))
                .collect();
            let policy = config
                .build()
                .unwrap_or_else(|e| panic!("the browser target's policies are valid: {e}"));
            let patterns = spec
                .routes
                .iter()
                .enumerate()
                .flat_map(|(index, (paths, _))| {
                    paths
                        .iter()
                        .map(move |p| (Pattern::read(p).expect("a valid pattern"), index))
                })
                .collect();
            let anchored = |spec: &Spec| {
                spec.regexes
                    .iter()
                    .map(|r| Regex::new(&format!("^(?:{r})$")).expect("a valid regex"))
                    .collect()
            };
            let regexes = std::iter::once(&spec.top)
                .chain(spec.routes.iter().map(|(_, s)| s))
                .map(anchored)
                .collect();
            Built {
                policy,
                patterns,
                regexes,
            }
        })
        .collect()
});

/// Whether `origin` is an origin as a browser serializes it: `null`, or
/// `http`/`https`, `://`, a host of non-empty dot-separated labels of
/// `a-z 0-9 - _` (or a bracketed IPv6 address of hex digits, `:` and `.`),
/// and a port only when it is not the default (1 to 65535, no leading
/// zero). At most 300 bytes (a DNS name has at most 253).
fn is_serialized_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    if origin.len() > 300 {
        return false;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let port = match authority.strip_prefix('[') {
        Some(rest) => {
            let Some((inside, after)) = rest.split_once(']') else {
                return false;
            };
            let ipv6 =
                |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b":.".contains(&b);
            if inside.is_empty() || !inside.bytes().all(ipv6) {
                return false;
            }
            match after {
                "" => None,
                _ => match after.strip_prefix(':') {
                    Some(port) => Some(port),
                    None => return false,
                },
            }
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let label_ok = |label: &str| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b))
            };
            if !host.split('.').all(label_ok) {
                return false;
            }
            port
        }
    };
    match port {
        None => true,
        Some(port) => {
            !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && !port.starts_with('0')
                && port.parse::<u32>().is_ok_and(|n| n <= 65_535)
                && port != default_port
        }
    }
}

/// Whether the `allow_origins` entry `rule` (not `*`) names `origin`, a
/// serialized origin: the same text, or for `scheme://*.parent[:port]` a
/// host with at least one label before `.parent`, and for `:*` any port
/// (the default included).
fn rule_names(rule: &str, origin: &str) -> bool {
    if rule == origin {
        return true;
    }
    if rule == "null" || origin == "null" || !rule.contains('*') {
        return false;
    }
    let (Some((rule_scheme, rule_host, rule_port)), Some((scheme, host, port))) =
        (split_origin(rule), split_origin(origin))
    else {
        return false;
    };
    let host_ok = match rule_host.strip_prefix("*.") {
        Some(parent) => host
            .strip_suffix(parent)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == rule_host,
    };
    let port_ok = rule_port == Some("*") || rule_port == port;
    scheme == rule_scheme && host_ok && port_ok
}

/// `scheme://host[:port]` in its three parts.
fn split_origin(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let (scheme, authority) = text.split_once("://")?;
    Some(match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => (scheme, host, Some(port)),
        _ => (scheme, authority, None),
    })
}

/// The part of the policy that answers `path`, by the reference matcher.
fn part(spec: &PolicySpec, built: &Built, path: &str) -> (Spec, usize) {
    if spec.routes.is_empty() {
        return (spec.top, 0);
    }
    match routes::select(&built.patterns, path) {
        RouteMatch::Route(index) => (spec.routes[index].1, index + 1),
        RouteMatch::TopLevel => (spec.top, 0),
        RouteMatch::Ambiguous => unreachable!("the target's paths are normalized"),
    }
}

/// The script's request, cleaned as `fetch()` cleans it.
#[derive(Debug)]
struct Script {
    origin: String,
    method: String,
    /// Names as written, values trimmed; forbidden ones left out.
    headers: Vec<(String, String)>,
    credentials: bool,
}

/// Whether the policy, read plainly, lets a page at the script's origin
/// have the response: a same-origin request always; otherwise the origin
/// is allowed (`*`, listed, matched by a wildcard rule or a regex, or
/// referred to the lookup, which says yes), credentials are allowed when
/// sent, the method is safelisted or allowed (`*` or listed, case-sensitive,
/// after the browser's normalization), and every header that needs the
/// server's consent is allowed (`*`, listed, or always allowed), at most
/// `MAX_REQUEST_HEADERS` of them. A header needs consent unless it is
/// safelisted by name and value and the safelisted values add up to at
/// most 1,024 bytes.
fn plainly_allows(part: &Spec, regexes: &[Regex], script: &Script) -> bool {
    let origin = script.origin.as_str();
    if origin == SERVER {
        return true;
    }
    let origin_ok = part.any_origin
        || part.origins.iter().any(|rule| rule_names(rule, origin))
        || (origin != "null" && regexes.iter().any(|r| r.is_match(origin)))
        || (origin != "null" && part.lookup && lookup_allows(origin))
        || (origin == "null" && part.lookup_null && lookup_allows(origin));
    let credentials_ok = !script.credentials || part.credentials;
    let method = normalize_method(&script.method);
    let method_ok = matches!(method.as_str(), "GET" | "HEAD" | "POST")
        || part.methods.iter().any(|m| *m == "*" || *m == method);

    let safelisted: Vec<bool> = script
        .headers
        .iter()
        .map(|(name, value)| is_safelisted_request_header(name, value))
        .collect();
    let safelisted_size: usize = script
        .headers
        .iter()
        .zip(&safelisted)
        .filter(|(_, s)| **s)
        .map(|((_, value), _)| value.len())
        .sum();
    let mut needing_consent: Vec<String> = script
        .headers
        .iter()
        .zip(&safelisted)
        .filter(|(_, s)| !**s || safelisted_size > 1024)
        .map(|((name, _), _)| name.to_ascii_lowercase())
        .collect();
    needing_consent.sort();
    needing_consent.dedup();
    let headers_ok = needing_consent.len() <= cors_core::MAX_REQUEST_HEADERS
        && needing_consent.iter().all(|name| {
            ALWAYS_ALLOWED.contains(&name.as_str())
                || part
                    .headers
                    .iter()
                    .any(|h| *h == "*" || h.eq_ignore_ascii_case(name))
        });
    origin_ok && credentials_ok && method_ok && headers_ok
}

/// The handler's headers the policy lets the page read.
fn plainly_exposed(part: &Spec, credentials: bool) -> Vec<String> {
    HANDLER_NAMES
        .iter()
        .filter(|name| {
            part.expose
                .iter()
                .any(|e| e.eq_ignore_ascii_case(name) || (*e == "*" && !credentials))
        })
        .map(|name| (*name).to_owned())
        .collect()
}

/// What the server answers: the engine's own answer, or the handler's
/// (200 and [`HANDLER_HEADERS`]) with the decision's headers added.
fn serve(policy: &Policy, path: &str, method: &str, headers: &[(String, String)]) -> Response {
    let mut request = RequestParts::new(method).with_path(path);
    for (name, value) in headers {
        request.add_header(name, value.as_bytes());
    }
    let mut decision = policy.evaluate_with_lookup(&request);
    if let Some(query) = decision.lookup() {
        decision = policy.resolve_lookup(&request, lookup_allows(query.origin()));
    }
    let mut response = match decision.action() {
        Action::Respond { status, .. } => Response::new(status),
        Action::Forward => HANDLER_HEADERS
            .iter()
            .fold(Response::new(200), |r, (n, v)| r.header(*n, *v)),
        Action::Lookup => panic!("asked the lookup again: {decision:?}"),
    };
    for (name, value) in decision.headers() {
        response = response.header(name.as_str(), *value);
    }
    response
}

/// Reads the script's request; `None` when the input is skipped.
fn script(
    origin: &[u8],
    method: &[u8],
    header_lines: &[&[u8]],
    credentials: bool,
) -> Option<Script> {
    let origin = std::str::from_utf8(origin).ok()?;
    if !is_serialized_origin(origin) {
        return None;
    }
    let method = String::from_utf8_lossy(method).into_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in header_lines.iter().filter(|l| !l.is_empty()) {
        let line = String::from_utf8_lossy(line);
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        // As `Headers` does: trimmed, and each name once here.
        let value = value.trim_matches([' ', '\t', '\r', '\n']);
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    Some(Script {
        origin: origin.to_owned(),
        method,
        headers,
        credentials,
    })
}

/// Runs one input.
pub fn browser(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let pick = |byte: Option<&u8>, n: usize| match byte {
        Some(&b @ b'0'..=b'9') => usize::from(b - b'0') % n,
        Some(&b) => usize::from(b) % n,
        None => 0,
    };
    let index = pick(first.first(), SPECS.len());
    let path = PATHS[pick(first.get(1), PATHS.len())];
    let credentials = first.get(2) == Some(&b'c');
    let origin = lines.next().unwrap_or_default();
    let method = lines.next().unwrap_or_default();
    let header_lines: Vec<&[u8]> = lines.collect();
    let Some(script) = script(origin, method, &header_lines, credentials) else {
        return;
    };

    let request = script.headers.iter().fold(
        Request::new(script.origin.as_str(), script.method.as_str())
            .credentials(script.credentials),
        |r, (n, v)| r.header(n.as_str(), v.as_str()),
    );
    let Ok(mut fetch) = Fetch::new(&format!("{SERVER}{path}"), request) else {
        return;
    };
    // The browser leaves out what a script may not set; so does the
    // reading.
    let script = Script {
        headers: script
            .headers
            .into_iter()
            .filter(|(n, v)| !is_forbidden_request_header(n, v))
            .collect(),
        ..script
    };

    let spec = &SPECS[index];
    let built = &BUILT[index];
    let mut stages = Vec::new();
    let verdict = loop {
        let outgoing = fetch.next_request();
        stages.push(outgoing.stage);
        assert!(stages.len() <= 2, "more than two requests: {stages:?}");
        let response = serve(&built.policy, path, &outgoing.method, &outgoing.headers);
        if let Some(verdict) = fetch.receive(&response) {
            break verdict;
        }
    };

    let (part, part_index) = part(spec, built, path);
    let allowed = plainly_allows(&part, &built.regexes[part_index], &script);
    let context = || {
        format!(
            "policy {index}, path {path:?}, part {part:?}\nscript {script:?}\nstages {stages:?}\nverdict {verdict:?}"
        )
    };
    assert_eq!(verdict.allowed(), allowed, "{}", context());
    assert!(
        !verdict
            .warnings
            .iter()
            .any(|w| w.code == "authorization-wildcard"),
        "{}",
        context()
    );
    if verdict.allowed() {
        assert_eq!(stages.last(), Some(&Stage::Actual), "{}", context());
        if verdict.cors {
            let readable: Vec<String> = verdict
                .readable_headers
                .iter()
                .filter(|n| HANDLER_NAMES.contains(&n.as_str()))
                .cloned()
                .collect();
            assert_eq!(
                readable,
                plainly_exposed(&part, script.credentials),
                "{}",
                context()
            );
        }
    }
}
