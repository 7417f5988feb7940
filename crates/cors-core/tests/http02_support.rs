//! The `http` 0.2 conversions cors-core exports for the actix-web and
//! Rocket adapters (feature `http02`): `RequestParts::from_http02_lookup`
//! and `RequestParts::add_http02_header`,
//! `Decision::http02_headers`, `Decision::forward_headers_http02` with
//! `ForwardHeaders02::take`, and `Vary::merge_http02`, with exact
//! names, values and `Vary` values for every kind of decision, and what
//! each asks of the adapter's lookup functions.
//!
//! As for `http` 1.x, values are also checked for where their bytes live:
//! the values the decision echoes come from the adapter when it has them,
//! the policy's values are converted once and shared, fixed texts are
//! static; so two results carrying the same such value point at the same
//! bytes rather than at two copies.

#![cfg(feature = "http02")]

use cors_core::{
    ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK, Action, Decision, Policy, PolicyBuilder, Refusal,
    RequestKind, RequestParts, ResponseHeader, Vary,
};
use http02::header::{self, HeaderMap, HeaderName, HeaderValue};

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

fn credentials_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_credentials(true)
            .expose_headers(["x-total"]),
    )
}

fn any_origin_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["*"])
            .expose_headers(["x-total"]),
    )
}

/// A request's header map, each value copied (as a framework's parser
/// would), in order.
fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
        map.append(name, HeaderValue::from_str(value).expect("header value"));
    }
    map
}

/// The request as an adapter reads it: every line of each header asked.
fn request<'a>(method: &'a str, path: &'a str, headers: &'a HeaderMap) -> RequestParts<'a> {
    RequestParts::from_http02_lookup(method, path, |name| {
        headers.get_all(name).iter().map(HeaderValue::as_bytes)
    })
}

fn preflight_map(origin: &str, method: &str, lines: &[&str]) -> HeaderMap {
    let mut pairs = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    for line in lines {
        pairs.push(("access-control-request-headers", line));
    }
    header_map(&pairs)
}

/// What an adapter gives `http02_headers` and `forward_headers_http02`:
/// the request's own line with the value wanted, shared.
fn from_map(headers: &HeaderMap) -> impl FnMut(&HeaderName, &[u8]) -> Option<HeaderValue> + '_ {
    |name, wanted| {
        headers
            .get_all(name)
            .iter()
            .find(|line| line.as_bytes() == wanted)
            .cloned()
    }
}

/// Pairs as text, in order.
fn text(pairs: &[(HeaderName, HeaderValue)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().expect("visible ASCII").to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Where a value's bytes live.
fn ptr(value: &HeaderValue) -> *const u8 {
    value.as_bytes().as_ptr()
}

/// The one value of `name` among `pairs`.
fn one<'p>(pairs: &'p [(HeaderName, HeaderValue)], name: &str) -> &'p HeaderValue {
    let mut all = pairs.iter().filter(|(n, _)| n == name);
    let (_, value) = all.next().unwrap_or_else(|| panic!("no {name}"));
    assert!(all.next().is_none(), "{name} twice");
    value
}

/// A decision's headers, nothing asked of the request.
fn headers(decision: &Decision<'_>) -> Vec<(HeaderName, HeaderValue)> {
    decision.http02_headers(|_, _| None).collect()
}

/// A forwarded decision's headers and `Vary`, nothing asked of the request.
fn forwarded(decision: &Decision<'_>) -> (Vec<(HeaderName, HeaderValue)>, Vary) {
    let mut forward = decision
        .forward_headers_http02(|_, _| None)
        .expect("the handler runs");
    let mut headers = Vec::new();
    let vary = forward.take(|name, value| headers.push((name, value)));
    (headers, vary)
}

type Asked = Vec<(String, Vec<u8>)>;

/// Records what a lookup function is asked, answering from `headers`.
fn recording<'m>(
    asked: &'m mut Asked,
    headers: &'m HeaderMap,
) -> impl FnMut(&HeaderName, &[u8]) -> Option<HeaderValue> + 'm {
    let mut answer = from_map(headers);
    move |name, wanted| {
        asked.push((name.as_str().to_owned(), wanted.to_vec()));
        answer(name, wanted)
    }
}

fn asked(pairs: &[(&str, &str)]) -> Asked {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect()
}

const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const PRIVATE_NETWORK_VARY: &str = "Origin, Access-Control-Request-Method, \
     Access-Control-Request-Headers, Access-Control-Request-Private-Network";

// ---------------------------------------------------------------- names

#[test]
fn response_header_names_convert_to_http02_names() {
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
        assert_eq!(name.to_http02(), http_name, "{name}");
        assert_eq!(name.to_http02().as_str(), name.as_str());
    }
    assert_eq!(
        ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK.as_str(),
        "access-control-request-private-network"
    );
}

// ---------------------------------------------------------------- reading requests

/// The names `from_http02_lookup` asks for, in order.
fn names_asked(method: &str, headers: &HeaderMap) -> Vec<String> {
    let mut names = Vec::new();
    let parts = RequestParts::from_http02_lookup(method, "/", |name| {
        names.push(name.as_str().to_owned());
        headers.get_all(name).iter().map(HeaderValue::as_bytes)
    });
    assert_eq!(parts.method(), method);
    names
}

#[test]
fn from_http02_lookup_asks_for_the_preflight_headers_only_of_a_preflight_candidate() {
    let origin = header_map(&[("origin", "https://app.example.com")]);
    let preflight = preflight_map("https://app.example.com", "PUT", &["x-a"]);
    let no_origin = header_map(&[("access-control-request-method", "PUT")]);
    assert_eq!(names_asked("GET", &origin), ["origin"]);
    assert_eq!(names_asked("GET", &preflight), ["origin"]);
    assert_eq!(names_asked("OPTIONS", &no_origin), ["origin"]);
    let all = [
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "access-control-request-private-network",
    ];
    assert_eq!(names_asked("OPTIONS", &origin), all);
    assert_eq!(names_asked("OPTIONS", &preflight), all);
}

#[test]
fn from_http02_lookup_reads_an_actual_request() {
    let headers = header_map(&[("origin", "https://app.example.com"), ("accept", "*/*")]);
    let parts = request("GET", "/items/7", &headers);
    assert_eq!(parts.method(), "GET");
    assert_eq!(parts.path(), "/items/7");
    assert_eq!(parts.origin(), Some(&b"https://app.example.com"[..]));
    assert!(!parts.is_preflight());
    let policy = app_policy();
    let decision = policy.evaluate(&parts);
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert!(decision.is_allowed());

    let headers = header_map(&[]);
    let parts = request("GET", "/", &headers);
    assert_eq!(policy.evaluate(&parts).kind(), RequestKind::NotCors);
}

#[test]
fn from_http02_lookup_reads_every_line() {
    let policy = app_policy();
    let headers = header_map(&[
        ("origin", "https://app.example.com"),
        ("origin", "https://app.example.com"),
    ]);
    assert_eq!(
        policy.evaluate(&request("GET", "/", &headers)).refusal(),
        Some(Refusal::MultipleOrigins)
    );
    let headers = header_map(&[
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-method", "PUT"),
    ]);
    assert_eq!(
        policy
            .evaluate(&request("OPTIONS", "/", &headers))
            .refusal(),
        Some(Refusal::MalformedRequestMethod(b""))
    );
    let headers = preflight_map("https://app.example.com", "PUT", &["x-a", "x-b"]);
    let parts = request("OPTIONS", "/items", &headers);
    assert!(parts.is_preflight());
    let decision = policy.evaluate(&parts);
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
fn from_http02_lookup_reads_the_private_network_header() {
    let headers = header_map(&[
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "GET"),
        ("access-control-request-private-network", "true"),
    ]);
    let parts = request("OPTIONS", "/", &headers);
    assert_eq!(
        app_policy().evaluate(&parts).refusal(),
        Some(Refusal::PrivateNetworkNotAllowed)
    );
    let allowing = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_private_network(true),
    );
    let decision = allowing.evaluate(&parts);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.header(ResponseHeader::AllowPrivateNetwork),
        Some("true")
    );
}

/// The request read as an adapter that walks its lines once would.
fn request_by_lines<'a>(method: &'a str, headers: &'a HeaderMap) -> RequestParts<'a> {
    let mut parts = RequestParts::new(method);
    for (name, value) in headers {
        parts.add_http02_header(name, value.as_bytes());
    }
    parts
}

#[test]
fn add_http02_header_reads_what_from_http02_lookup_reads() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["x-a", "x-b"])
            .allow_private_network(true),
    );
    let cases = [
        header_map(&[("origin", "https://app.example.com"), ("accept", "*/*")]),
        header_map(&[
            ("origin", "https://app.example.com"),
            ("origin", "https://app.example.com"),
        ]),
        header_map(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-method", "PUT"),
        ]),
        preflight_map("https://app.example.com", "PUT", &["x-b", "x-a"]),
        preflight_map("https://app.example.com", "PUT", &["x-a", "x-c"]),
        preflight_map("https://app.example.com", "PATCH", &[]),
        header_map(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-private-network", "true"),
            ("content-length", "0"),
        ]),
        header_map(&[("accept", "*/*")]),
    ];
    for headers in &cases {
        for method in ["GET", "OPTIONS"] {
            let looked_up = policy.evaluate(&request(method, "", headers));
            let walked = policy.evaluate(&request_by_lines(method, headers));
            assert_eq!(walked.kind(), looked_up.kind(), "{method} {headers:?}");
            assert_eq!(walked.action(), looked_up.action(), "{method} {headers:?}");
            assert_eq!(
                walked.refusal(),
                looked_up.refusal(),
                "{method} {headers:?}"
            );
            assert_eq!(
                walked.headers(),
                looked_up.headers(),
                "{method} {headers:?}"
            );
        }
    }
    // The lines of a split `Access-Control-Request-Headers` are echoed in
    // the order they came.
    let split = preflight_map("https://app.example.com", "PUT", &["x-b", "x-a"]);
    let decision = policy.evaluate(&request_by_lines("OPTIONS", &split));
    let echoed: Vec<_> = decision
        .headers()
        .iter()
        .filter(|(name, _)| *name == ResponseHeader::AllowHeaders)
        .map(|(_, value)| *value)
        .collect();
    assert_eq!(echoed, ["x-b", "x-a"]);
}

// ---------------------------------------------------------------- http02_headers

#[test]
fn http02_headers_of_an_allowed_preflight_ask_for_the_echoed_values() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["x-a", "x-b"])
            .allow_credentials(true)
            .max_age(7200),
    );
    let map = preflight_map("https://app.example.com", "PUT", &["x-a", "x-b"]);
    let decision = policy.evaluate(&request("OPTIONS", "/", &map));
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 204,
            body: ""
        }
    );
    let mut log = Asked::new();
    let pairs: Vec<_> = decision.http02_headers(recording(&mut log, &map)).collect();
    assert_eq!(
        log,
        asked(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-headers", "x-a"),
            ("access-control-request-headers", "x-b"),
        ])
    );
    let expected_pairs = expected(&[
        ("access-control-allow-origin", "https://app.example.com"),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "PUT"),
        ("access-control-allow-headers", "x-a"),
        ("access-control-allow-headers", "x-b"),
        ("access-control-max-age", "7200"),
    ]);
    assert_eq!(text(&pairs), expected_pairs);
    // The request's own values, shared.
    assert_eq!(
        ptr(one(&pairs, "access-control-allow-origin")),
        ptr(map.get("origin").unwrap())
    );
    let request_lines: Vec<_> = map
        .get_all("access-control-request-headers")
        .iter()
        .map(ptr)
        .collect();
    let echoed_lines: Vec<_> = pairs
        .iter()
        .filter(|(n, _)| n == "access-control-allow-headers")
        .map(|(_, v)| ptr(v))
        .collect();
    assert_eq!(echoed_lines, request_lines);

    // Without the request's values: the same headers, copied.
    let copied = headers(&decision);
    assert_eq!(text(&copied), expected_pairs);
    assert_ne!(
        ptr(one(&copied, "access-control-allow-origin")),
        ptr(map.get("origin").unwrap())
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT);
}

#[test]
fn http02_headers_of_a_private_network_preflight() {
    let policy = build(
        Policy::builder()
            .allow_origins(["http://localhost:8080"])
            .allow_methods(["DELETE"])
            .allow_private_network(true)
            .max_age(0),
    );
    let map = header_map(&[
        ("origin", "http://localhost:8080"),
        ("access-control-request-method", "DELETE"),
        ("access-control-request-private-network", "true"),
    ]);
    let decision = policy.evaluate(&request("OPTIONS", "/", &map));
    assert_eq!(
        text(&headers(&decision)),
        expected(&[
            ("access-control-allow-origin", "http://localhost:8080"),
            ("access-control-allow-methods", "DELETE"),
            ("access-control-max-age", "0"),
            ("access-control-allow-private-network", "true"),
        ])
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT_PRIVATE_NETWORK);
}

#[test]
fn http02_headers_of_an_allowed_actual_request() {
    let policy = credentials_policy();
    let map = header_map(&[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&request("POST", "/", &map));
    let mut log = Asked::new();
    let pairs: Vec<_> = decision.http02_headers(recording(&mut log, &map)).collect();
    assert_eq!(log, asked(&[("origin", "https://app.example.com")]));
    assert_eq!(
        text(&pairs),
        expected(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
    assert_eq!(
        ptr(one(&pairs, "access-control-allow-origin")),
        ptr(map.get("origin").unwrap())
    );
}

#[test]
fn http02_headers_of_refusals_and_requests_that_are_not_cors() {
    let policy = app_policy();

    let map = preflight_map("https://app.example.com", "PURGE", &[]);
    let decision = policy.evaluate(&request("OPTIONS", "/", &map));
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 403,
            body: "CORS preflight refused: method not allowed\n"
        }
    );
    let mut log = Asked::new();
    let pairs: Vec<_> = decision.http02_headers(recording(&mut log, &map)).collect();
    assert!(log.is_empty(), "{log:?}");
    assert_eq!(
        text(&pairs),
        expected(&[("content-type", "text/plain; charset=utf-8")])
    );

    for map in [
        header_map(&[("origin", "https://evil.example")]),
        header_map(&[]),
    ] {
        let decision = policy.evaluate(&request("GET", "/", &map));
        assert_eq!(decision.action(), Action::Forward);
        assert!(headers(&decision).is_empty());
        assert_eq!(decision.vary(), Vary::ORIGIN);
    }

    let any = any_origin_policy();
    let map = header_map(&[]);
    let decision = any.evaluate(&request("GET", "/", &map));
    assert_eq!(
        text(&headers(&decision)),
        expected(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
}

// ---------------------------------------------------------------- forward_headers_http02

#[test]
fn forward_headers_http02_of_an_allowed_actual_request() {
    let policy = credentials_policy();
    let map = header_map(&[("origin", "https://app.example.com")]);
    let decision = policy.evaluate(&request("GET", "/", &map));
    let mut log = Asked::new();
    let mut forward = decision
        .forward_headers_http02(recording(&mut log, &map))
        .expect("the handler runs");
    assert_eq!(log, asked(&[("origin", "https://app.example.com")]));
    let mut copy = forward.clone();
    let mut pairs = Vec::new();
    let vary = copy.take(|name, value| pairs.push((name, value)));
    let expected_pairs = expected(&[
        ("access-control-allow-origin", "https://app.example.com"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-total"),
    ]);
    assert_eq!(text(&pairs), expected_pairs);
    assert_eq!(vary, Vary::ORIGIN);
    assert_eq!(
        ptr(one(&pairs, "access-control-allow-origin")),
        ptr(map.get("origin").unwrap())
    );
    // The clone carries the same.
    let mut again = Vec::new();
    let vary = forward.take(|name, value| again.push((name, value)));
    assert_eq!(text(&again), expected_pairs);
    assert_eq!(vary, Vary::ORIGIN);

    // Without the request's values: the same headers, copied.
    let (copied, vary) = forwarded(&decision);
    assert_eq!(text(&copied), expected_pairs);
    assert_eq!(vary, Vary::ORIGIN);
    assert_ne!(
        ptr(one(&copied, "access-control-allow-origin")),
        ptr(map.get("origin").unwrap())
    );
}

#[test]
fn forward_headers_http02_with_any_origin() {
    let policy = any_origin_policy();
    let map = header_map(&[("origin", "https://anyone.example")]);
    let decision = policy.evaluate(&request("GET", "/", &map));
    let mut forward = decision.forward_headers_http02(from_map(&map)).unwrap();
    let mut pairs = Vec::new();
    let vary = forward.take(|name, value| pairs.push((name, value)));
    assert_eq!(
        text(&pairs),
        expected(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
    assert_eq!(vary, Vary::NONE);
}

#[test]
fn forward_headers_http02_of_refused_and_non_cors_requests() {
    let policy = app_policy();
    for map in [
        header_map(&[("origin", "https://evil.example")]),
        header_map(&[("origin", "null")]),
        header_map(&[]),
    ] {
        let decision = policy.evaluate(&request("GET", "/", &map));
        let mut log = Asked::new();
        let mut forward = decision
            .forward_headers_http02(recording(&mut log, &map))
            .expect("the handler runs");
        assert!(log.is_empty(), "{log:?}");
        let mut pairs = 0;
        let vary = forward.take(|_, _| pairs += 1);
        assert_eq!(pairs, 0);
        assert_eq!(vary, Vary::ORIGIN);
    }
}

#[test]
fn no_forward_headers_http02_for_a_decision_that_answers_or_asks() {
    let blocking = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .block_disallowed_origins(true)
            .allow_origin_lookup(true),
    );
    let maps = [
        preflight_map("https://app.example.com", "GET", &[]),
        preflight_map("https://evil.example", "GET", &[]),
    ];
    for map in &maps {
        let decision = blocking.evaluate(&request("OPTIONS", "/", map));
        assert!(matches!(decision.action(), Action::Respond { .. }));
        assert!(
            decision
                .forward_headers_http02(|_, _| panic!("nothing to echo"))
                .is_none()
        );
    }
    let map = header_map(&[("origin", "https://evil.example")]);
    let parts = request("GET", "/", &map);
    let decision = blocking.evaluate(&parts);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 403,
            body: "CORS request refused: origin not allowed\n"
        }
    );
    assert!(
        decision
            .forward_headers_http02(|_, _| panic!("nothing to echo"))
            .is_none()
    );
    assert_eq!(
        text(&headers(&decision)),
        expected(&[("content-type", "text/plain; charset=utf-8")])
    );

    let decision = blocking.evaluate_with_lookup(&parts);
    assert_eq!(decision.action(), Action::Lookup);
    assert!(
        decision
            .forward_headers_http02(|_, _| panic!("nothing to echo"))
            .is_none()
    );
    assert_eq!(decision.http02_headers(|_, _| None).count(), 0);
    // Once the lookup has answered yes, the handler runs.
    let decision = blocking.resolve_lookup(&parts, true);
    let (pairs, vary) = forwarded(&decision);
    assert_eq!(
        text(&pairs),
        expected(&[("access-control-allow-origin", "https://evil.example")])
    );
    assert_eq!(vary, Vary::ORIGIN);
}

// ---------------------------------------------------------------- Vary

#[test]
fn merge_http02_gives_the_value_to_append() {
    let value = |text: &'static str| HeaderValue::from_static(text);
    let merged = |vary: Vary, existing: &[HeaderValue]| {
        vary.merge_http02(existing)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(merged(Vary::ORIGIN, &[]).as_deref(), Some("Origin"));
    assert_eq!(
        merged(Vary::ORIGIN, &[value("Accept-Encoding")]).as_deref(),
        Some("Origin")
    );
    assert_eq!(merged(Vary::ORIGIN, &[value("accept, ORIGIN")]), None);
    assert_eq!(merged(Vary::ORIGIN, &[value("accept"), value("*")]), None);
    assert_eq!(merged(Vary::NONE, &[]), None);
    assert_eq!(
        merged(Vary::PREFLIGHT, &[]).as_deref(),
        Some(PREFLIGHT_VARY)
    );
    assert_eq!(
        merged(Vary::PREFLIGHT, &[value("origin")]).as_deref(),
        Some("Access-Control-Request-Method, Access-Control-Request-Headers")
    );
    assert_eq!(
        merged(Vary::PREFLIGHT_PRIVATE_NETWORK, &[]).as_deref(),
        Some(PRIVATE_NETWORK_VARY)
    );
    assert_eq!(
        merged(
            Vary::PREFLIGHT_PRIVATE_NETWORK,
            &[value("Access-Control-Request-Method")]
        )
        .as_deref(),
        Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Private-Network")
    );
}

// ---------------------------------------------------------------- shared values

/// Two results made by the same function from the same policy carry
/// `name` with the same bytes, not two copies.
fn assert_shared(
    a: &[(HeaderName, HeaderValue)],
    b: &[(HeaderName, HeaderValue)],
    name: &str,
    value: &str,
) {
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
    let twice = |map: &HeaderMap, method: &str| {
        let parts = request(method, "/", map);
        let (a, b) = (policy.evaluate(&parts), policy.evaluate(&parts));
        (headers(&a), headers(&b))
    };

    let (a, b) = twice(&header_map(&[("origin", "null")]), "GET");
    assert_shared(&a, &b, "access-control-allow-origin", "null");
    assert_shared(&a, &b, "access-control-expose-headers", "x-total");

    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let map = header_map(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", method),
            ("access-control-request-private-network", "true"),
        ]);
        let (a, b) = twice(&map, "OPTIONS");
        assert_shared(&a, &b, "access-control-allow-methods", method);
        assert_shared(&a, &b, "access-control-max-age", "120");
        assert_shared(&a, &b, "access-control-allow-private-network", "true");
    }

    let map = preflight_map("https://evil.example", "GET", &[]);
    let (a, b) = twice(&map, "OPTIONS");
    assert_shared(&a, &b, "content-type", "text/plain; charset=utf-8");

    let credentials = credentials_policy();
    let map = header_map(&[("origin", "https://app.example.com")]);
    let parts = request("GET", "/", &map);
    let (a, b) = (credentials.evaluate(&parts), credentials.evaluate(&parts));
    let ((a, _), (b, _)) = (forwarded(&a), forwarded(&b));
    assert_shared(&a, &b, "access-control-allow-credentials", "true");
    assert_shared(&a, &b, "access-control-expose-headers", "x-total");

    let any = any_origin_policy();
    let map = header_map(&[("origin", "https://anyone.example")]);
    let parts = request("GET", "/", &map);
    let (a, b) = (any.evaluate(&parts), any.evaluate(&parts));
    let ((a, _), (b, _)) = (forwarded(&a), forwarded(&b));
    assert_shared(&a, &b, "access-control-allow-origin", "*");
}

#[test]
fn merged_vary_values_are_not_copied() {
    for vary in [
        Vary::ORIGIN,
        Vary::PREFLIGHT,
        Vary::PREFLIGHT_PRIVATE_NETWORK,
    ] {
        let a = vary.merge_http02([]).unwrap();
        let b = vary.merge_http02([]).unwrap();
        assert_eq!(a, vary.as_str());
        assert_eq!(ptr(&a), ptr(&b), "{vary:?}");
    }
}
