//! The `http` 1.x conversions cors-core exports for adapters (feature
//! `http`): reading `http::request::Parts` and header maps into
//! `RequestParts`, and writing a decision onto a response's header map
//! (`apply_to_http`, `forward_headers`, `forward_headers_with`,
//! `ForwardHeaders::apply`, `to_http_response`, `to_http_response_with`),
//! with exact names, values, statuses, bodies and `Vary` lines for every
//! kind of decision.
//!
//! Values are also checked for where their bytes live: the documented
//! promise is that values echoed from a request read from an `http` map
//! are shared with it (a reference-count increment), that the policy's own values are converted
//! once and shared, and that fixed texts are static, so that two responses
//! carrying the same such value point at the same bytes rather than at two
//! copies.

#![cfg(feature = "http")]

use cors_core::{
    Action, Decision, Policy, PolicyBuilder, Refusal, RequestKind, RequestParts, ResponseHeader,
    Vary,
};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

// ---------------------------------------------------------------- helpers

fn build(builder: PolicyBuilder) -> Policy {
    builder.build().expect("valid policy")
}

/// One exact origin, a few methods and headers, exposed headers.
fn app_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
            .allow_headers(["x-a", "x-b"])
            .expose_headers(["x-total", "x-request-id"]),
    )
}

/// `app_policy` with credentials.
fn credentials_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["x-a"])
            .allow_credentials(true),
    )
}

fn any_origin_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["*"])
            .expose_headers(["x-total"]),
    )
}

/// The parts of an `http` request with these header lines, in order.
fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).expect("valid request").into_parts().0
}

fn header_map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_static(value));
    }
    map
}

/// Every line of `map` as (name, value), grouped by name in name order,
/// each name's lines in the order they were appended.
fn lines(map: &HeaderMap) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = map
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().expect("visible ASCII").to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
}

fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
}

/// Where a value's bytes live.
fn ptr(value: &HeaderValue) -> *const u8 {
    value.as_bytes().as_ptr()
}

/// The one line of `name` in `map`.
fn one<'m>(map: &'m HeaderMap, name: &str) -> &'m HeaderValue {
    let mut all = map.get_all(name).iter();
    let value = all.next().unwrap_or_else(|| panic!("no {name} in {map:?}"));
    assert!(all.next().is_none(), "{name} twice in {map:?}");
    value
}

/// `decision` applied to an empty map.
fn applied(decision: &Decision<'_>) -> HeaderMap {
    let mut map = HeaderMap::new();
    decision.apply_to_http(&mut map);
    map
}

const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const PRIVATE_NETWORK_VARY: &str = "Origin, Access-Control-Request-Method, \
     Access-Control-Request-Headers, Access-Control-Request-Private-Network";

// ---------------------------------------------------------------- names

#[test]
fn response_header_names_convert_to_http_names() {
    let all = [
        (
            ResponseHeader::AllowOrigin,
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
        ),
        (
            ResponseHeader::AllowCredentials,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        ),
        (
            ResponseHeader::AllowMethods,
            header::ACCESS_CONTROL_ALLOW_METHODS,
        ),
        (
            ResponseHeader::AllowHeaders,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
        ),
        (ResponseHeader::MaxAge, header::ACCESS_CONTROL_MAX_AGE),
        (
            ResponseHeader::AllowPrivateNetwork,
            HeaderName::from_static("access-control-allow-private-network"),
        ),
        (
            ResponseHeader::ExposeHeaders,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
        ),
        (ResponseHeader::ContentType, header::CONTENT_TYPE),
    ];
    for (name, http_name) in all {
        assert_eq!(name.to_http(), http_name, "{name}");
        assert_eq!(name.to_http().as_str(), name.as_str());
    }
}

// ---------------------------------------------------------------- reading requests

#[test]
fn from_http_reads_method_path_without_query_and_origin() {
    let parts = parts(
        "GET",
        "https://api.example.com/items/7?page=2",
        &[("origin", "https://app.example.com"), ("accept", "*/*")],
    );
    let request = RequestParts::from_http(&parts);
    assert_eq!(request.method(), "GET");
    assert_eq!(request.path(), "/items/7");
    assert_eq!(request.origin(), Some(&b"https://app.example.com"[..]));
    assert!(!request.reads_preflight_headers());
    assert!(!request.is_preflight());

    let policy = app_policy();
    let decision = policy.evaluate(&request);
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert!(decision.is_allowed());
}

#[test]
fn from_http_without_origin_is_not_cors() {
    let parts = parts(
        "OPTIONS",
        "/items",
        &[("access-control-request-method", "PUT")],
    );
    let request = RequestParts::from_http(&parts);
    assert_eq!(request.origin(), None);
    assert!(!request.reads_preflight_headers());
    assert!(!request.is_preflight());
    let policy = app_policy();
    assert_eq!(policy.evaluate(&request).kind(), RequestKind::NotCors);
}

#[test]
fn from_http_reads_every_origin_line() {
    let parts = parts(
        "GET",
        "/",
        &[
            ("origin", "https://app.example.com"),
            ("origin", "https://app.example.com"),
        ],
    );
    let request = RequestParts::from_http(&parts);
    assert_eq!(request.origin(), None);
    let policy = app_policy();
    assert_eq!(
        policy.evaluate(&request).refusal(),
        Some(Refusal::MultipleOrigins)
    );
}

#[test]
fn from_http_reads_the_preflight_headers_of_an_options_request() {
    let parts = parts(
        "OPTIONS",
        "/items",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-a"),
            ("access-control-request-headers", "x-b"),
        ],
    );
    let request = RequestParts::from_http(&parts);
    assert!(request.reads_preflight_headers());
    assert!(request.is_preflight());
    let policy = app_policy();
    let decision = policy.evaluate(&request);
    assert_eq!(decision.kind(), RequestKind::Preflight);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "https://app.example.com"),
            (ResponseHeader::AllowMethods, "PUT"),
            (ResponseHeader::AllowHeaders, "x-a"),
            (ResponseHeader::AllowHeaders, "x-b"),
            (ResponseHeader::MaxAge, "600"),
        ]
    );
}

#[test]
fn from_http_keeps_a_preflights_lines_in_order_among_other_headers() {
    let parts = parts(
        "OPTIONS",
        "/items",
        &[
            ("access-control-request-headers", "x-b"),
            ("accept", "*/*"),
            ("origin", "https://app.example.com"),
            ("x-a", "not read"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-a"),
        ],
    );
    let policy = app_policy();
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert!(decision.is_allowed());
    // The request-headers lines echoed in the order they came.
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "https://app.example.com"),
            (ResponseHeader::AllowMethods, "PUT"),
            (ResponseHeader::AllowHeaders, "x-b"),
            (ResponseHeader::AllowHeaders, "x-a"),
            (ResponseHeader::MaxAge, "600"),
        ]
    );
}

#[test]
fn from_http_reads_every_request_method_line() {
    let parts = parts(
        "OPTIONS",
        "/",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-method", "PUT"),
        ],
    );
    let policy = app_policy();
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MalformedRequestMethod(b""))
    );
}

#[test]
fn from_http_reads_the_private_network_header() {
    let parts = parts(
        "OPTIONS",
        "/",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
            ("access-control-request-private-network", "true"),
        ],
    );
    let request = RequestParts::from_http(&parts);
    let refusing = app_policy();
    assert_eq!(
        refusing.evaluate(&request).refusal(),
        Some(Refusal::PrivateNetworkNotAllowed)
    );
    let allowing = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_private_network(true),
    );
    let decision = allowing.evaluate(&request);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.header(ResponseHeader::AllowPrivateNetwork),
        Some("true")
    );
}

#[test]
fn from_http_headers_takes_method_path_and_map() {
    let method = http::Method::OPTIONS;
    let headers = header_map(&[
        ("Origin", "https://app.example.com"),
        ("Access-Control-Request-Method", "DELETE"),
        ("Access-Control-Request-Headers", "X-A"),
    ]);
    let request = RequestParts::from_http_headers(&method, "/v1/x", &headers);
    assert_eq!(request.method(), "OPTIONS");
    assert_eq!(request.path(), "/v1/x");
    assert!(request.is_preflight());
    let policy = app_policy();
    let decision = policy.evaluate(&request);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.header(ResponseHeader::AllowMethods),
        Some("DELETE")
    );
    assert_eq!(decision.header(ResponseHeader::AllowHeaders), Some("X-A"));
}

// ---------------------------------------------------------------- apply_to_http

#[test]
fn apply_to_http_on_an_allowed_actual_request() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut map = header_map(&[("content-type", "application/json"), ("x-request-id", "1")]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        lines(&map),
        expected(&[
            ("content-type", "application/json"),
            ("x-request-id", "1"),
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-expose-headers", "x-total, x-request-id"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn apply_to_http_with_credentials() {
    let policy = credentials_policy();
    let parts = parts("POST", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert_eq!(
        lines(&applied(&decision)),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn apply_to_http_with_any_origin_adds_no_vary() {
    let policy = any_origin_policy();
    let parts = parts("GET", "/", &[("origin", "https://anyone.example")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut map = header_map(&[("vary", "Accept-Encoding")]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        lines(&map),
        expected(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-total"),
            ("vary", "Accept-Encoding"),
        ])
    );
}

#[test]
fn apply_to_http_on_a_request_that_is_not_cors() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert_eq!(decision.kind(), RequestKind::NotCors);
    let mut map = header_map(&[
        ("access-control-allow-origin", "https://app.example.com"),
        ("cache-control", "max-age=60"),
    ]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        lines(&map),
        expected(&[("cache-control", "max-age=60"), ("vary", "Origin")])
    );

    // With any origin, the answer a CORS request would get.
    let policy = any_origin_policy();
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert_eq!(
        lines(&applied(&decision)),
        expected(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
}

#[test]
fn apply_to_http_on_a_refused_actual_request_strips_every_cors_header() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[("origin", "https://evil.example")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    assert_eq!(decision.action(), Action::Forward);
    let mut map = header_map(&[
        ("access-control-allow-origin", "https://evil.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "*"),
        ("access-control-allow-headers", "*"),
        ("access-control-max-age", "86400"),
        ("access-control-allow-private-network", "true"),
        ("access-control-expose-headers", "*"),
        ("access-control-expose-headers", "set-cookie"),
        ("x-handler", "ran"),
        ("vary", "Accept-Encoding"),
    ]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        lines(&map),
        expected(&[
            ("x-handler", "ran"),
            ("vary", "Accept-Encoding"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn apply_to_http_replaces_the_handlers_cors_headers() {
    let policy = credentials_policy();
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut map = header_map(&[
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "false"),
        ("access-control-expose-headers", "set-cookie"),
    ]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        lines(&map),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn apply_to_http_merges_vary() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let vary_after = |existing: &[&'static str]| {
        let mut map = HeaderMap::new();
        for value in existing {
            map.append(header::VARY, HeaderValue::from_static(value));
        }
        decision.apply_to_http(&mut map);
        map.get_all(header::VARY)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(vary_after(&[]), ["Origin"]);
    assert_eq!(
        vary_after(&["Accept-Encoding"]),
        ["Accept-Encoding", "Origin"]
    );
    assert_eq!(
        vary_after(&["accept-encoding, ORIGIN"]),
        ["accept-encoding, ORIGIN"]
    );
    assert_eq!(vary_after(&["accept", "origin"]), ["accept", "origin"]);
    assert_eq!(vary_after(&["*"]), ["*"]);
    assert_eq!(vary_after(&["x-origin"]), ["x-origin", "Origin"]);
}

#[test]
fn apply_to_http_merges_the_preflight_vary_names() {
    let policy = app_policy();
    let parts = parts(
        "OPTIONS",
        "/",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
        ],
    );
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut map = HeaderMap::new();
    decision.apply_to_http(&mut map);
    assert_eq!(
        map.get_all(header::VARY).iter().collect::<Vec<_>>(),
        [PREFLIGHT_VARY]
    );
    let mut map = header_map(&[("vary", "Origin")]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        map.get_all(header::VARY).iter().collect::<Vec<_>>(),
        [
            "Origin",
            "Access-Control-Request-Method, Access-Control-Request-Headers"
        ]
    );
    let mut map = header_map(&[(
        "vary",
        "access-control-request-headers, access-control-request-method",
    )]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        map.get_all(header::VARY).iter().collect::<Vec<_>>(),
        [
            "access-control-request-headers, access-control-request-method",
            "Origin"
        ]
    );
}

// ---------------------------------------------------------------- to_http_response

fn preflight_parts(origin: &str, method: &str, headers: &[&str]) -> http::request::Parts {
    let mut lines = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    for line in headers {
        lines.push(("access-control-request-headers", line));
    }
    parts("OPTIONS", "/items", &lines)
}

#[test]
fn to_http_response_answers_an_allowed_preflight() {
    let policy = app_policy();
    let parts = preflight_parts("https://app.example.com", "PATCH", &["x-a, x-b"]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut texts = Vec::new();
    let response = decision
        .to_http_response(|text| {
            texts.push(text);
            format!("[{text}]")
        })
        .expect("a preflight is answered");
    assert_eq!(texts, [""]);
    assert_eq!(response.status(), 204);
    assert_eq!(response.body(), "[]");
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "PATCH"),
            ("access-control-allow-headers", "x-a, x-b"),
            ("access-control-max-age", "600"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
}

#[test]
fn to_http_response_answers_a_credentialed_preflight_with_its_status() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["x-a", "x-b"])
            .allow_credentials(true)
            .max_age(7200)
            .preflight_status(200),
    );
    let parts = preflight_parts("https://app.example.com", "PUT", &["x-a", "x-b"]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let response = decision.to_http_response(String::from).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), "");
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "x-a"),
            ("access-control-allow-headers", "x-b"),
            ("access-control-max-age", "7200"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
}

#[test]
fn to_http_response_answers_a_private_network_preflight() {
    let policy = build(
        Policy::builder()
            .allow_origins(["http://localhost:8080"])
            .allow_private_network(true)
            .max_age(0),
    );
    let parts = parts(
        "OPTIONS",
        "/",
        &[
            ("origin", "http://localhost:8080"),
            ("access-control-request-method", "GET"),
            ("access-control-request-private-network", "true"),
        ],
    );
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let response = decision.to_http_response(String::from).unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "http://localhost:8080"),
            ("access-control-allow-methods", "GET"),
            ("access-control-max-age", "0"),
            ("access-control-allow-private-network", "true"),
            ("vary", PRIVATE_NETWORK_VARY),
        ])
    );
}

#[test]
fn to_http_response_refuses_a_preflight() {
    let policy = app_policy();
    let cases = [
        (
            preflight_parts("https://evil.example", "PUT", &[]),
            "CORS request refused: origin not allowed\n",
        ),
        (
            preflight_parts("https://app.example.com", "PURGE", &[]),
            "CORS preflight refused: method not allowed\n",
        ),
        (
            preflight_parts("https://app.example.com", "PUT", &["x-c"]),
            "CORS preflight refused: request header not allowed\n",
        ),
    ];
    for (parts, body) in cases {
        let decision = policy.evaluate(&RequestParts::from_http(&parts));
        let response = decision.to_http_response(String::from).unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(response.body(), body);
        assert_eq!(
            lines(response.headers()),
            expected(&[
                ("content-type", "text/plain; charset=utf-8"),
                ("vary", PREFLIGHT_VARY),
            ])
        );
    }
}

#[test]
fn to_http_response_refuses_a_blocked_actual_request() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .block_disallowed_origins(true),
    );
    let parts = parts("POST", "/", &[("origin", "https://evil.example")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let response = decision.to_http_response(|text| text).unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        *response.body(),
        "CORS request refused: origin not allowed\n"
    );
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("content-type", "text/plain; charset=utf-8"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn nothing_to_answer_for_forwarded_and_lookup_decisions() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_origin_lookup(true),
    );
    let allowed = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let tenant = parts("GET", "/", &[("origin", "https://tenant.example")]);
    let tenant_preflight = preflight_parts("https://tenant.example", "GET", &[]);
    let no_origin = parts("GET", "/", &[]);

    let forwarded = [&allowed, &no_origin];
    for parts in forwarded {
        let decision = policy.evaluate_with_lookup(&RequestParts::from_http(parts));
        assert_eq!(decision.action(), Action::Forward);
        assert!(decision.to_http_response(|_| ()).is_none());
        assert!(
            decision
                .to_http_response_with(|_, _| None, |_| ())
                .is_none()
        );
    }
    for parts in [&tenant, &tenant_preflight] {
        let request = RequestParts::from_http(parts);
        let decision = policy.evaluate_with_lookup(&request);
        assert_eq!(decision.action(), Action::Lookup);
        let mut bodies = 0;
        assert!(decision.to_http_response(|_| bodies += 1).is_none());
        assert!(
            decision
                .to_http_response_with(|_, _| panic!("nothing to echo"), |_| ())
                .is_none()
        );
        assert_eq!(bodies, 0);
        assert!(decision.forward_headers().is_none());
        assert!(
            decision
                .forward_headers_with(|_, _| panic!("nothing to echo"))
                .is_none()
        );
    }

    // Once the lookup has answered, the preflight is answered.
    let request = RequestParts::from_http(&tenant_preflight);
    let decision = policy.resolve_lookup(&request, true);
    let response = decision.to_http_response(|_| ()).unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://tenant.example"),
            ("access-control-allow-methods", "GET"),
            ("access-control-max-age", "600"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
    let decision = policy.resolve_lookup(&request, false);
    let response = decision.to_http_response(|_| ()).unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("content-type", "text/plain; charset=utf-8"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
}

// ---------------------------------------------------------------- to_http_response_with

#[test]
fn to_http_response_with_asks_for_every_value_and_keeps_only_matching_ones() {
    let policy = app_policy();
    let parts = preflight_parts("https://app.example.com", "PUT", &["x-a", "x-b"]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let origin = parts.headers.get(header::ORIGIN).unwrap().clone();
    let mut asked = Vec::new();
    let response = decision
        .to_http_response_with(
            |name, value| {
                asked.push((name, value.to_owned()));
                match name {
                    // The request's own value: used as it is.
                    ResponseHeader::AllowOrigin => Some(origin.clone()),
                    // Not the value wanted: ignored.
                    ResponseHeader::AllowHeaders => Some(HeaderValue::from_static("x-c")),
                    _ => None,
                }
            },
            |text| text.len(),
        )
        .unwrap();
    assert_eq!(
        asked,
        [
            (
                ResponseHeader::AllowOrigin,
                "https://app.example.com".into()
            ),
            (ResponseHeader::AllowMethods, "PUT".into()),
            (ResponseHeader::AllowHeaders, "x-a".into()),
            (ResponseHeader::AllowHeaders, "x-b".into()),
            (ResponseHeader::MaxAge, "600".into()),
        ]
    );
    assert_eq!(response.status(), 204);
    assert_eq!(*response.body(), 0);
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "x-a"),
            ("access-control-allow-headers", "x-b"),
            ("access-control-max-age", "600"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
    let allow_origin = one(response.headers(), "access-control-allow-origin");
    assert_eq!(
        ptr(allow_origin),
        ptr(&origin),
        "the echoed value is moved in"
    );
}

#[test]
fn to_http_response_with_on_a_refusal() {
    let policy = app_policy();
    let parts = preflight_parts("https://evil.example", "PUT", &[]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut asked = Vec::new();
    let response = decision
        .to_http_response_with(
            |name, value| {
                asked.push((name, value.to_owned()));
                None
            },
            String::from,
        )
        .unwrap();
    assert_eq!(
        asked,
        [(
            ResponseHeader::ContentType,
            "text/plain; charset=utf-8".to_owned()
        )]
    );
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.body(),
        "CORS request refused: origin not allowed\n"
    );
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("content-type", "text/plain; charset=utf-8"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
}

// ---------------------------------------------------------------- sharing echoed values

#[test]
fn to_http_response_shares_the_echoed_values_with_the_request() {
    let policy = app_policy();
    let parts = preflight_parts("https://app.example.com", "PUT", &["x-a", "x-b"]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let response = decision.to_http_response(String::from).unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(response.body(), "");
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "x-a"),
            ("access-control-allow-headers", "x-b"),
            ("access-control-max-age", "600"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
    let request_origin = parts.headers.get(header::ORIGIN).unwrap();
    assert_eq!(
        ptr(one(response.headers(), "access-control-allow-origin")),
        ptr(request_origin)
    );
    // The list's first line is shared; a list split over more lines (by
    // an intermediary: browsers send one) has the others copied.
    let request_lines: Vec<_> = parts
        .headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .collect();
    let response_lines: Vec<_> = response
        .headers()
        .get_all(header::ACCESS_CONTROL_ALLOW_HEADERS)
        .iter()
        .collect();
    assert_eq!(ptr(response_lines[0]), ptr(request_lines[0]));
    assert_ne!(ptr(response_lines[1]), ptr(request_lines[1]));
    // So are the values of a decision applied to a response's map.
    let mut map = HeaderMap::new();
    decision.apply_to_http(&mut map);
    assert_eq!(
        ptr(one(&map, "access-control-allow-origin")),
        ptr(request_origin)
    );
    let applied_lines: Vec<_> = map
        .get_all(header::ACCESS_CONTROL_ALLOW_HEADERS)
        .iter()
        .map(ptr)
        .collect();
    assert_eq!(applied_lines[0], ptr(request_lines[0]));
}

#[test]
fn values_of_parts_not_read_from_an_http_map_are_copied() {
    let policy = app_policy();
    let parts = preflight_parts("https://app.example.com", "PUT", &["x-a"]);
    // The same lines, given one by one: the parts hold their bytes only.
    let mut request = RequestParts::new("OPTIONS");
    for (name, value) in &parts.headers {
        request.add_header(name.as_str(), value.as_bytes());
    }
    let decision = policy.evaluate(&request);
    let response = decision.to_http_response(String::from).unwrap();
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "x-a"),
            ("access-control-max-age", "600"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
    for (response_name, request_name) in [
        ("access-control-allow-origin", header::ORIGIN),
        (
            "access-control-allow-headers",
            header::ACCESS_CONTROL_REQUEST_HEADERS,
        ),
    ] {
        assert_ne!(
            ptr(one(response.headers(), response_name)),
            ptr(parts.headers.get(request_name).unwrap()),
            "{response_name}"
        );
    }
}

#[test]
fn to_http_response_on_a_refusal_read_from_an_http_map() {
    let policy = app_policy();
    let parts = preflight_parts("https://app.example.com", "PUT", &["x-c"]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let response = decision.to_http_response(String::from).unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.body(),
        "CORS preflight refused: request header not allowed\n"
    );
    assert_eq!(
        lines(response.headers()),
        expected(&[
            ("content-type", "text/plain; charset=utf-8"),
            ("vary", PREFLIGHT_VARY),
        ])
    );
}

// ---------------------------------------------------------------- forward_headers

/// What `forward` puts on a handler's response carrying `handler`'s lines.
fn forwarded(
    forward: cors_core::ForwardHeaders,
    handler: &[(&'static str, &'static str)],
) -> HeaderMap {
    let mut map = header_map(handler);
    forward.apply(&mut map);
    map
}

#[test]
fn forward_headers_for_an_allowed_actual_request_share_the_origin() {
    let policy = app_policy();
    let parts = parts("PUT", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let origin = parts.headers.get(header::ORIGIN);
    let forward = decision.forward_headers().expect("the handler runs");
    let map = forwarded(
        forward.clone(),
        &[
            ("access-control-allow-origin", "*"),
            ("x-handler", "ran"),
            ("vary", "Accept-Encoding"),
        ],
    );
    assert_eq!(
        lines(&map),
        expected(&[
            ("x-handler", "ran"),
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-expose-headers", "x-total, x-request-id"),
            ("vary", "Accept-Encoding"),
            ("vary", "Origin"),
        ])
    );
    assert_eq!(
        ptr(one(&map, "access-control-allow-origin")),
        ptr(origin.unwrap())
    );
    // From parts that hold the request's bytes only: the same headers,
    // copied.
    let mut request = RequestParts::new("PUT");
    request.add_header("origin", origin.unwrap().as_bytes());
    let decision = policy.evaluate(&request);
    let map = forwarded(decision.forward_headers().unwrap(), &[]);
    assert_eq!(
        lines(&map),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-expose-headers", "x-total, x-request-id"),
            ("vary", "Origin"),
        ])
    );
    assert_ne!(
        ptr(one(&map, "access-control-allow-origin")),
        ptr(origin.unwrap())
    );
}

#[test]
fn forward_headers_with_ignores_an_origin_value_the_decision_does_not_echo() {
    let policy = credentials_policy();
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let origin = parts.headers.get(header::ORIGIN).unwrap();
    for wrong in ["https://evil.example", "true", ""] {
        let wrong = HeaderValue::from_static(wrong);
        let forward = decision.forward_headers_with(|_, _| Some(wrong.clone()));
        let map = forwarded(forward.unwrap(), &[]);
        assert_eq!(
            lines(&map),
            expected(&[
                ("access-control-allow-origin", "https://app.example.com"),
                ("access-control-allow-credentials", "true"),
                ("vary", "Origin"),
            ]),
            "{wrong:?}"
        );
        // What `forward_headers` uses instead: the request's own value.
        assert_eq!(ptr(one(&map, "access-control-allow-origin")), ptr(origin));
    }
    // Only `Access-Control-Allow-Origin` echoes the origin, even when
    // another value has the same text (a value of its own: the static
    // text "true" may be the very bytes the engine uses).
    let wrong = HeaderValue::from_str("true").unwrap();
    let map = forwarded(
        decision
            .forward_headers_with(|_, _| Some(wrong.clone()))
            .unwrap(),
        &[],
    );
    assert_ne!(
        ptr(one(&map, "access-control-allow-credentials")),
        ptr(&wrong)
    );
}

#[test]
fn forward_headers_with_any_origin_keep_the_star() {
    let policy = any_origin_policy();
    let parts = parts("GET", "/", &[("origin", "https://anyone.example")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let forward = decision.forward_headers().unwrap();
    let map = forwarded(forward, &[("vary", "Accept-Encoding")]);
    assert_eq!(
        lines(&map),
        expected(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-total"),
            ("vary", "Accept-Encoding"),
        ])
    );
}

#[test]
fn forward_headers_for_a_refused_or_non_cors_request() {
    let policy = app_policy();
    let handler = [
        ("access-control-allow-origin", "https://evil.example"),
        ("access-control-allow-credentials", "true"),
        ("x-handler", "ran"),
    ];
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let headers: Vec<_> = origin.iter().map(|o| ("origin", *o)).collect();
        let parts = parts("GET", "/", &headers);
        let decision = policy.evaluate(&RequestParts::from_http(&parts));
        let forward = decision.forward_headers().expect("the handler runs");
        assert_eq!(
            lines(&forwarded(forward, &handler)),
            expected(&[("x-handler", "ran"), ("vary", "Origin")]),
            "{origin:?}"
        );
    }
}

#[test]
fn forward_headers_for_an_allowed_null_origin() {
    let policy = build(Policy::builder().allow_origins(["null"]));
    let parts = parts("GET", "/", &[("origin", "null")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let origin = parts.headers.get(header::ORIGIN).unwrap();
    let map = forwarded(decision.forward_headers().unwrap(), &[]);
    assert_eq!(
        lines(&map),
        expected(&[("access-control-allow-origin", "null"), ("vary", "Origin")])
    );
    assert_eq!(ptr(one(&map, "access-control-allow-origin")), ptr(origin));
}

#[test]
fn no_forward_headers_for_a_decision_that_answers() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .block_disallowed_origins(true),
    );
    let cases = [
        preflight_parts("https://app.example.com", "GET", &[]),
        preflight_parts("https://evil.example", "GET", &[]),
        parts("GET", "/", &[("origin", "https://evil.example")]),
    ];
    for parts in cases {
        let decision = policy.evaluate(&RequestParts::from_http(&parts));
        assert!(matches!(decision.action(), Action::Respond { .. }));
        assert!(decision.forward_headers().is_none());
        assert!(
            decision
                .forward_headers_with(|_, _| panic!("nothing to echo"))
                .is_none()
        );
    }
}

#[test]
fn forward_headers_with_moves_in_matching_values_only() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_credentials(true)
            .expose_headers(["x-total"]),
    );
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let mut origin = parts.headers.get(header::ORIGIN).cloned();
    let origin_ptr = ptr(origin.as_ref().unwrap());
    let mut asked = Vec::new();
    let forward = decision
        .forward_headers_with(|name, value| {
            asked.push((name, value.to_owned()));
            match name {
                ResponseHeader::AllowOrigin => origin.take(),
                _ => Some(HeaderValue::from_static("false")),
            }
        })
        .unwrap();
    // Only the value echoed from the request is asked for: the others are
    // the policy's.
    assert_eq!(
        asked,
        [(
            ResponseHeader::AllowOrigin,
            "https://app.example.com".into()
        )]
    );
    assert!(origin.is_none());
    let map = forwarded(forward, &[]);
    assert_eq!(
        lines(&map),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-total"),
            ("vary", "Origin"),
        ])
    );
    assert_eq!(ptr(one(&map, "access-control-allow-origin")), origin_ptr);

    // A wrong origin value is ignored too.
    let forward = decision
        .forward_headers_with(|_, _| Some(HeaderValue::from_static("https://evil.example")))
        .unwrap();
    assert_eq!(
        lines(&forwarded(forward, &[])),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-total"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn forward_headers_with_for_a_refused_request() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[("origin", "https://evil.example")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let forward = decision
        .forward_headers_with(|_, _| panic!("nothing to echo"))
        .unwrap();
    assert_eq!(
        lines(&forwarded(forward, &[("access-control-allow-origin", "*")])),
        expected(&[("vary", "Origin")])
    );
}

#[test]
fn forward_headers_apply_merges_vary() {
    let policy = app_policy();
    let parts = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&RequestParts::from_http(&parts));
    let forward = decision.forward_headers().unwrap();
    let vary = |handler: &[(&'static str, &'static str)]| {
        let map = forwarded(forward.clone(), handler);
        map.get_all(header::VARY)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(vary(&[]), ["Origin"]);
    assert_eq!(vary(&[("vary", "origin")]), ["origin"]);
    assert_eq!(vary(&[("vary", "Accept, *")]), ["Accept, *"]);
    assert_eq!(vary(&[("vary", "Accept")]), ["Accept", "Origin"]);
}

// ---------------------------------------------------------------- shared values

/// Two responses made by the same function from the same policy carry
/// `name` with the same bytes, not two copies.
fn assert_shared(a: &HeaderMap, b: &HeaderMap, name: &str, value: &str) {
    let (a, b) = (one(a, name), one(b, name));
    assert_eq!(a, value);
    assert_eq!(b, value);
    assert_eq!(ptr(a), ptr(b), "{name}: {value} copied");
}

#[test]
fn fixed_texts_and_the_policys_values_are_not_copied() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com", "null"])
            .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
            .expose_headers(["x-total"])
            .allow_private_network(true)
            .max_age(120),
    );
    let twice = |parts: &http::request::Parts| {
        let request = RequestParts::from_http(parts);
        let (a, b) = (policy.evaluate(&request), policy.evaluate(&request));
        (applied(&a), applied(&b))
    };

    let (a, b) = twice(&parts("GET", "/", &[("origin", "null")]));
    assert_shared(&a, &b, "access-control-allow-origin", "null");
    assert_shared(&a, &b, "access-control-expose-headers", "x-total");

    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let (a, b) = twice(&parts(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", method),
                ("access-control-request-private-network", "true"),
            ],
        ));
        assert_shared(&a, &b, "access-control-allow-methods", method);
        assert_shared(&a, &b, "access-control-max-age", "120");
        assert_shared(&a, &b, "access-control-allow-private-network", "true");
    }

    let credentials = credentials_policy();
    let request = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let request = RequestParts::from_http(&request);
    let (a, b) = (
        credentials.evaluate(&request),
        credentials.evaluate(&request),
    );
    let (a, b) = (
        forwarded(a.forward_headers().unwrap(), &[]),
        forwarded(b.forward_headers().unwrap(), &[]),
    );
    assert_shared(&a, &b, "access-control-allow-credentials", "true");

    let any = any_origin_policy();
    let request = parts("GET", "/", &[("origin", "https://anyone.example")]);
    let request = RequestParts::from_http(&request);
    let (a, b) = (any.evaluate(&request), any.evaluate(&request));
    let (a, b) = (
        forwarded(a.forward_headers().unwrap(), &[]),
        forwarded(b.forward_headers().unwrap(), &[]),
    );
    assert_shared(&a, &b, "access-control-allow-origin", "*");
    assert_shared(&a, &b, "access-control-expose-headers", "x-total");

    let request = preflight_parts("https://evil.example", "GET", &[]);
    let request = RequestParts::from_http(&request);
    let (a, b) = (policy.evaluate(&request), policy.evaluate(&request));
    let a = a.to_http_response(|_| ()).unwrap();
    let b = b.to_http_response(|_| ()).unwrap();
    assert_shared(
        a.headers(),
        b.headers(),
        "content-type",
        "text/plain; charset=utf-8",
    );
    assert_shared(a.headers(), b.headers(), "vary", PRIVATE_NETWORK_VARY);
}

#[test]
fn vary_values_are_not_copied() {
    let policy = app_policy();
    let actual = parts("GET", "/", &[("origin", "https://app.example.com")]);
    let preflight = preflight_parts("https://app.example.com", "GET", &[]);
    for (parts, vary) in [(actual, "Origin"), (preflight, PREFLIGHT_VARY)] {
        let request = RequestParts::from_http(&parts);
        let (a, b) = (policy.evaluate(&request), policy.evaluate(&request));
        assert_shared(&applied(&a), &applied(&b), "vary", vary);
    }
    // A value made of other names is exact too.
    let preflight = preflight_parts("https://app.example.com", "GET", &[]);
    let decision = policy.evaluate(&RequestParts::from_http(&preflight));
    assert_eq!(decision.vary(), Vary::PREFLIGHT);
    let mut map = header_map(&[("vary", "access-control-request-method")]);
    decision.apply_to_http(&mut map);
    assert_eq!(
        map.get_all(header::VARY).iter().collect::<Vec<_>>(),
        [
            "access-control-request-method",
            "Origin, Access-Control-Request-Headers"
        ]
    );
}
