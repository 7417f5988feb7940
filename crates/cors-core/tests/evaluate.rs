//! One focused test per behaviour rule of `Policy::evaluate`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cors_core::{
    Action, Decision, MAX_REQUEST_HEADER_LINES, MAX_REQUEST_HEADERS, Policy, PolicyBuilder,
    Refusal, RequestKind, RequestParts, ResponseHeader, Vary,
};

// ---------------------------------------------------------------- helpers

fn build(builder: PolicyBuilder) -> Policy {
    builder.build().expect("valid policy")
}

/// A policy allowing one exact origin.
fn app_policy() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["GET", "PUT", "DELETE"])
            .allow_headers(["x-request-id", "authorization"])
            .expose_headers(["x-request-id"]),
    )
}

fn request<'a>(method: &'a str, origin: Option<&'a [u8]>) -> RequestParts<'a> {
    let mut parts = RequestParts::new(method);
    if let Some(origin) = origin {
        parts.add_header("Origin", origin);
    }
    parts
}

fn preflight<'a>(origin: &'a [u8], method: &'a [u8]) -> RequestParts<'a> {
    let mut parts = RequestParts::new("OPTIONS");
    parts.add_header("Origin", origin);
    parts.add_header("Access-Control-Request-Method", method);
    parts
}

fn values<'a>(decision: &Decision<'a>, name: ResponseHeader) -> Vec<&'a str> {
    decision
        .headers()
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .collect()
}

fn names(decision: &Decision<'_>) -> Vec<ResponseHeader> {
    decision.headers().iter().map(|(n, _)| *n).collect()
}

fn has_allow_header(decision: &Decision<'_>) -> bool {
    decision
        .headers()
        .iter()
        .any(|(n, _)| n.as_str().starts_with("access-control-allow-"))
}

/// Checks everything a refused preflight must be, and that the body does not
/// echo any of `request_bytes`.
fn assert_refused_preflight(
    decision: &Decision<'_>,
    refusal: Refusal<'_>,
    request_bytes: &[&[u8]],
) {
    assert_eq!(decision.kind(), RequestKind::Preflight);
    let Action::Respond { status, body } = decision.action() else {
        panic!(
            "refused preflight must be answered, got {:?}",
            decision.action()
        );
    };
    assert_eq!(status, 403);
    assert!(!body.is_empty());
    for bytes in request_bytes {
        let text = String::from_utf8_lossy(bytes);
        if !text.is_empty() {
            assert!(!body.contains(&*text), "body {body:?} echoes {text:?}");
        }
    }
    assert!(!has_allow_header(decision), "{:?}", decision.headers());
    assert!(
        decision
            .headers()
            .iter()
            .all(|(n, _)| !ResponseHeader::CORS.contains(n))
    );
    assert_eq!(
        decision.header(ResponseHeader::ContentType),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(decision.refusal(), Some(refusal));
    assert!(!decision.is_allowed());
}

fn assert_allowed_preflight(decision: &Decision<'_>) {
    assert_eq!(decision.kind(), RequestKind::Preflight);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 204,
            body: ""
        },
        "{:?}",
        decision.refusal()
    );
    assert_eq!(decision.refusal(), None);
    assert!(decision.is_allowed());
}

// ---------------------------------------------------------------- no Origin

#[test]
fn no_origin_runs_the_handler_as_a_non_cors_request() {
    let policy = app_policy();
    let decision = policy.evaluate(&request("GET", None));
    assert_eq!(decision.action(), Action::Forward);
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert_eq!(decision.refusal(), None);
    assert!(!decision.is_allowed());
}

#[test]
fn no_origin_options_with_request_method_is_not_a_preflight() {
    let policy = app_policy();
    let mut parts = RequestParts::new("OPTIONS");
    parts.add_header("Access-Control-Request-Method", b"PUT");
    let decision = policy.evaluate(&parts);
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert_eq!(decision.action(), Action::Forward);
}

#[test]
fn no_origin_with_origin_dependent_policy_varies_on_origin_without_headers() {
    let policy = app_policy();
    let decision = policy.evaluate(&request("GET", None));
    assert!(decision.headers().is_empty(), "{:?}", decision.headers());
    assert_eq!(decision.vary(), Vary::ORIGIN);
    assert_eq!(decision.vary().as_str(), "Origin");
}

#[test]
fn no_origin_with_any_origin_policy_gets_wildcard_and_expose_and_no_vary() {
    let policy = build(
        Policy::builder()
            .allow_origins(["*"])
            .expose_headers(["x-total", "X-Page"]),
    );
    let decision = policy.evaluate(&request("GET", None));
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert_eq!(decision.action(), Action::Forward);
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("*"));
    assert_eq!(
        decision.header(ResponseHeader::ExposeHeaders),
        Some("x-total, x-page")
    );
    assert_eq!(decision.header(ResponseHeader::AllowCredentials), None);
    assert!(decision.vary().is_empty());
    assert_eq!(decision.vary().as_str(), "");

    let plain = build(Policy::builder().allow_origins(["*"]));
    let decision = plain.evaluate(&request("GET", None));
    assert_eq!(names(&decision), [ResponseHeader::AllowOrigin]);
}

// ---------------------------------------------------------------- preflight: allowed

#[test]
fn preflight_allowed_responds_204_with_empty_body() {
    let policy = app_policy();
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"PUT"));
    assert_allowed_preflight(&decision);
    assert_eq!(
        names(&decision),
        [
            ResponseHeader::AllowOrigin,
            ResponseHeader::AllowMethods,
            ResponseHeader::MaxAge
        ]
    );
}

#[test]
fn preflight_status_200_when_configured() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .preflight_status(200),
    );
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"GET"));
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 200,
            body: ""
        }
    );
    assert!(decision.is_allowed());
}

#[test]
fn preflight_allow_origin_is_the_request_origin_byte_for_byte() {
    let policy = build(
        Policy::builder().allow_origins(["https://app.example.com:8443", "https://*.example.org"]),
    );
    let decision = policy.evaluate(&preflight(b"https://app.example.com:8443", b"GET"));
    assert_eq!(
        decision.header(ResponseHeader::AllowOrigin),
        Some("https://app.example.com:8443")
    );
    // A pattern match answers with the request's origin, not the pattern.
    let decision = policy.evaluate(&preflight(b"https://eu.api.example.org", b"GET"));
    assert_eq!(
        decision.header(ResponseHeader::AllowOrigin),
        Some("https://eu.api.example.org")
    );
}

#[test]
fn preflight_any_origin_policy_answers_wildcard() {
    let policy = build(
        Policy::builder()
            .allow_origins(["*"])
            .allow_methods(["PUT"]),
    );
    let decision = policy.evaluate(&preflight(b"https://anyone.example", b"PUT"));
    assert_allowed_preflight(&decision);
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("*"));
    assert_eq!(decision.header(ResponseHeader::AllowCredentials), None);
}

#[test]
fn preflight_allow_credentials_only_with_credentials() {
    let with = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_credentials(true),
    );
    let decision = with.evaluate(&preflight(b"https://app.example.com", b"GET"));
    assert_eq!(
        values(&decision, ResponseHeader::AllowCredentials),
        ["true"]
    );

    let without = build(Policy::builder().allow_origins(["https://app.example.com"]));
    let decision = without.evaluate(&preflight(b"https://app.example.com", b"GET"));
    assert_allowed_preflight(&decision);
    assert!(values(&decision, ResponseHeader::AllowCredentials).is_empty());
}

#[test]
fn preflight_allow_methods_echoes_the_requested_method() {
    let policy = app_policy();
    for method in ["PUT", "DELETE", "GET"] {
        let decision = policy.evaluate(&preflight(b"https://app.example.com", method.as_bytes()));
        assert_eq!(values(&decision, ResponseHeader::AllowMethods), [method]);
    }
}

#[test]
fn preflight_allow_headers_echoes_request_lines_only_when_headers_requested() {
    let policy = app_policy();
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header(
        "Access-Control-Request-Headers",
        b"authorization,x-request-id",
    );
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["authorization,x-request-id"]
    );

    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"PUT"));
    assert!(values(&decision, ResponseHeader::AllowHeaders).is_empty());

    // An empty Access-Control-Request-Headers is an empty list.
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("Access-Control-Request-Headers", b"");
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert!(values(&decision, ResponseHeader::AllowHeaders).is_empty());
}

#[test]
fn preflight_max_age_defaults_to_600() {
    let policy = app_policy();
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"GET"));
    assert_eq!(values(&decision, ResponseHeader::MaxAge), ["600"]);
}

#[test]
fn preflight_max_age_uses_configured_value() {
    for (seconds, text) in [(0, "0"), (7200, "7200"), (86_400, "86400")] {
        let policy = build(
            Policy::builder()
                .allow_origins(["https://app.example.com"])
                .max_age(seconds),
        );
        let decision = policy.evaluate(&preflight(b"https://app.example.com", b"GET"));
        assert_eq!(values(&decision, ResponseHeader::MaxAge), [text]);
    }
}

fn private_network_policy(enabled: bool) -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_private_network(enabled),
    )
}

fn private_network_preflight(value: Option<&'static [u8]>) -> RequestParts<'static> {
    let mut parts = preflight(b"https://app.example.com", b"GET");
    if let Some(value) = value {
        parts.add_header("Access-Control-Request-Private-Network", value);
    }
    parts
}

#[test]
fn preflight_allow_private_network_when_asked_with_true_and_enabled() {
    let policy = private_network_policy(true);
    let decision = policy.evaluate(&private_network_preflight(Some(b"true")));
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowPrivateNetwork),
        ["true"]
    );
}

#[test]
fn preflight_no_allow_private_network_when_not_asked() {
    let policy = private_network_policy(true);
    for value in [None, Some(&b"false"[..]), Some(b"TRUE"), Some(b"")] {
        let decision = policy.evaluate(&private_network_preflight(value));
        assert_allowed_preflight(&decision);
        assert!(
            values(&decision, ResponseHeader::AllowPrivateNetwork).is_empty(),
            "{value:?}"
        );
    }
    // Without private network access, a preflight that does not ask is fine.
    let policy = private_network_policy(false);
    let decision = policy.evaluate(&private_network_preflight(Some(b"false")));
    assert_allowed_preflight(&decision);
    assert!(values(&decision, ResponseHeader::AllowPrivateNetwork).is_empty());
}

#[test]
fn preflight_vary_is_the_preflight_set_when_allowed_and_refused() {
    let policy = app_policy();
    let allowed = policy.evaluate(&preflight(b"https://app.example.com", b"PUT"));
    assert!(allowed.is_allowed());
    assert_eq!(allowed.vary(), Vary::PREFLIGHT);
    assert_eq!(
        allowed.vary().as_str(),
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    );
    let refused = policy.evaluate(&preflight(b"https://evil.example", b"PUT"));
    assert!(!refused.is_allowed());
    assert_eq!(refused.vary(), Vary::PREFLIGHT);
    let refused = policy.evaluate(&preflight(b"https://app.example.com", b"PATCH"));
    assert_eq!(refused.vary(), Vary::PREFLIGHT);
}

#[test]
fn preflight_vary_includes_private_network_when_enabled() {
    let policy = private_network_policy(true);
    let allowed = policy.evaluate(&private_network_preflight(None));
    assert_eq!(allowed.vary(), Vary::PREFLIGHT_PRIVATE_NETWORK);
    let refused = policy.evaluate(&preflight(b"https://evil.example", b"GET"));
    assert!(!refused.is_allowed());
    assert_eq!(refused.vary(), Vary::PREFLIGHT_PRIVATE_NETWORK);
    assert!(
        refused
            .vary()
            .names()
            .any(|n| n == "Access-Control-Request-Private-Network")
    );
}

#[test]
fn preflight_safelisted_methods_are_always_allowed() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PUT"]),
    );
    for method in ["GET", "HEAD", "POST", "PUT"] {
        let decision = policy.evaluate(&preflight(b"https://app.example.com", method.as_bytes()));
        assert_allowed_preflight(&decision);
    }
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"DELETE"));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MethodNotAllowed("DELETE"))
    );
}

#[test]
fn preflight_safelisted_headers_are_always_allowed() {
    let policy = build(Policy::builder().allow_origins(["https://app.example.com"]));
    let mut parts = preflight(b"https://app.example.com", b"POST");
    parts.add_header(
        "Access-Control-Request-Headers",
        b"accept,accept-language,content-language,content-type",
    );
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["accept,accept-language,content-language,content-type"]
    );
}

#[test]
fn preflight_any_header_allows_authorization_and_echoes_it() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["*"])
            .allow_credentials(true),
    );
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header(
        "Access-Control-Request-Headers",
        b"authorization,x-anything",
    );
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    // Echoed, never `*`: with credentials browsers read `*` literally, and
    // `*` never covers Authorization.
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["authorization,x-anything"]
    );
}

#[test]
fn preflight_any_method_allows_any_token_method() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["*"]),
    );
    for method in ["PATCH", "PURGE", "patch", "M-SEARCH", "X~Y"] {
        let decision = policy.evaluate(&preflight(b"https://app.example.com", method.as_bytes()));
        assert_allowed_preflight(&decision);
        assert_eq!(values(&decision, ResponseHeader::AllowMethods), [method]);
    }
    // Still a token.
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"GET /"));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MalformedRequestMethod(b"GET /"))
    );
}

// ---------------------------------------------------------------- preflight: refused

#[test]
fn preflight_refused_origin() {
    let policy = app_policy();
    let decision = policy.evaluate(&preflight(b"https://evil.example", b"PUT"));
    assert_refused_preflight(
        &decision,
        Refusal::OriginNotAllowed("https://evil.example"),
        &[b"https://evil.example", b"evil"],
    );
}

#[test]
fn preflight_refused_method() {
    let policy = app_policy();
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"PATCH"));
    assert_refused_preflight(&decision, Refusal::MethodNotAllowed("PATCH"), &[b"PATCH"]);
}

#[test]
fn preflight_refused_header() {
    let policy = app_policy();
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header(
        "Access-Control-Request-Headers",
        b"x-request-id,x-secret-thing",
    );
    let decision = policy.evaluate(&parts);
    assert_refused_preflight(
        &decision,
        Refusal::HeaderNotAllowed("x-secret-thing"),
        &[b"x-secret-thing", b"x-request-id"],
    );
}

#[test]
fn preflight_refused_private_network() {
    let policy = private_network_policy(false);
    let decision = policy.evaluate(&private_network_preflight(Some(b"true")));
    assert_refused_preflight(&decision, Refusal::PrivateNetworkNotAllowed, &[]);
    assert_eq!(decision.vary(), Vary::PREFLIGHT);
}

#[test]
fn preflight_refused_malformed_request_method() {
    let policy = app_policy();
    for bad in [
        &b"PU T"[..],
        b"",
        b"PUT,GET",
        b"P\xffT",
        b"PUT\r\nX-Evil: 1",
    ] {
        let decision = policy.evaluate(&preflight(b"https://app.example.com", bad));
        assert_refused_preflight(&decision, Refusal::MalformedRequestMethod(bad), &[bad]);
    }
    // Sent twice.
    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("Access-Control-Request-Method", b"PUT");
    let decision = policy.evaluate(&parts);
    assert!(matches!(
        decision.refusal(),
        Some(Refusal::MalformedRequestMethod(_))
    ));
    assert_refused_preflight(&decision, decision.refusal().unwrap(), &[b"PUT"]);
}

#[test]
fn preflight_refused_malformed_request_headers() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["*"]),
    );
    for bad in [&b"x-a;q=1"[..], b"x a", b"x-\xc3\xa9", b"x-a\r\nx-b"] {
        let mut parts = preflight(b"https://app.example.com", b"GET");
        parts.add_header("Access-Control-Request-Headers", bad);
        let decision = policy.evaluate(&parts);
        assert_refused_preflight(&decision, Refusal::MalformedRequestHeaders, &[bad]);
    }
}

#[test]
fn preflight_refused_too_many_request_header_names() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["*"]),
    );
    let names_at_limit: Vec<String> = (0..MAX_REQUEST_HEADERS)
        .map(|i| format!("x-h{i}"))
        .collect();
    let at_limit = names_at_limit.join(",");
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header("Access-Control-Request-Headers", at_limit.as_bytes());
    assert_allowed_preflight(&policy.evaluate(&parts));

    let over = format!("{at_limit},x-one-more");
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header("Access-Control-Request-Headers", over.as_bytes());
    let decision = policy.evaluate(&parts);
    assert_refused_preflight(
        &decision,
        Refusal::TooManyRequestHeaders,
        &[b"x-h0", b"x-one-more"],
    );
}

#[test]
fn preflight_refused_too_many_request_header_lines() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["*"]),
    );
    let mut parts = preflight(b"https://app.example.com", b"GET");
    for _ in 0..MAX_REQUEST_HEADER_LINES {
        parts.add_header("Access-Control-Request-Headers", b"x-a");
    }
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders).len(),
        MAX_REQUEST_HEADER_LINES
    );

    parts.add_header("Access-Control-Request-Headers", b"x-a");
    let decision = policy.evaluate(&parts);
    assert_refused_preflight(&decision, Refusal::MalformedRequestHeaders, &[b"x-a"]);
}

#[test]
fn preflight_refusals_are_checked_origin_first() {
    // A bad origin with a bad method is reported as the origin.
    let policy = app_policy();
    let decision = policy.evaluate(&preflight(b"https://evil.example", b"PATCH"));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://evil.example"))
    );
}

// ---------------------------------------------------------------- actual requests

#[test]
fn actual_allowed_forwards_with_allow_origin_credentials_and_expose() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_credentials(true)
            .expose_headers(["x-request-id", "x-total"]),
    );
    let decision = policy.evaluate(&request("GET", Some(b"https://app.example.com")));
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "https://app.example.com"),
            (ResponseHeader::AllowCredentials, "true"),
            (ResponseHeader::ExposeHeaders, "x-request-id, x-total"),
        ]
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);
}

#[test]
fn actual_allowed_without_credentials_or_expose_sets_only_allow_origin() {
    let policy = build(Policy::builder().allow_origins(["https://app.example.com"]));
    let decision = policy.evaluate(&request("DELETE", Some(b"https://app.example.com")));
    assert_eq!(
        decision.headers(),
        [(ResponseHeader::AllowOrigin, "https://app.example.com")]
    );
}

#[test]
fn actual_any_origin_answers_wildcard_without_vary() {
    let policy = build(Policy::builder().allow_origins(["*"]).expose_headers(["*"]));
    let decision = policy.evaluate(&request("GET", Some(b"https://anyone.example")));
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "*"),
            (ResponseHeader::ExposeHeaders, "*")
        ]
    );
    assert!(decision.vary().is_empty());
}

#[test]
fn actual_refused_forwards_without_headers_and_varies_on_origin() {
    let policy = app_policy();
    let decision = policy.evaluate(&request("GET", Some(b"https://evil.example")));
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.headers().is_empty(), "{:?}", decision.headers());
    assert_eq!(decision.vary(), Vary::ORIGIN);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://evil.example"))
    );
    assert!(!decision.is_allowed());
}

#[test]
fn actual_refused_with_block_disallowed_origins_responds_403() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .block_disallowed_origins(true),
    );
    let decision = policy.evaluate(&request("POST", Some(b"https://evil.example")));
    let Action::Respond { status, body } = decision.action() else {
        panic!("expected a 403, got {:?}", decision.action());
    };
    assert_eq!(status, 403);
    assert!(!body.is_empty() && !body.contains("evil"));
    assert_eq!(
        decision.headers(),
        [(ResponseHeader::ContentType, "text/plain; charset=utf-8")]
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://evil.example"))
    );

    // Allowed origins and non-CORS requests still reach the handler.
    let decision = policy.evaluate(&request("POST", Some(b"https://app.example.com")));
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.is_allowed());
    assert_eq!(
        policy.evaluate(&request("POST", None)).action(),
        Action::Forward
    );
}

#[test]
fn options_without_request_method_is_an_actual_request() {
    let policy = app_policy();
    let decision = policy.evaluate(&request("OPTIONS", Some(b"https://app.example.com")));
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert_eq!(decision.action(), Action::Forward);
    assert_eq!(
        decision.header(ResponseHeader::AllowOrigin),
        Some("https://app.example.com")
    );
    assert_eq!(decision.header(ResponseHeader::AllowMethods), None);
    assert_eq!(decision.vary(), Vary::ORIGIN);
}

// ---------------------------------------------------------------- origin input

#[test]
fn two_origin_headers_are_refused() {
    let policy = app_policy();
    let mut parts = request("GET", Some(b"https://app.example.com"));
    parts.add_header("origin", b"https://app.example.com");
    let decision = policy.evaluate(&parts);
    assert_eq!(decision.refusal(), Some(Refusal::MultipleOrigins));
    assert!(decision.headers().is_empty());

    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("ORIGIN", b"https://evil.example");
    let decision = policy.evaluate(&parts);
    assert_refused_preflight(
        &decision,
        Refusal::MultipleOrigins,
        &[b"https://evil.example"],
    );
}

#[test]
fn malformed_origins_are_refused() {
    let policy = build(
        Policy::builder()
            .allow_origins([
                "https://example.com",
                "https://*.example.org",
                "http://localhost:*",
            ])
            .allow_origin_predicate(|_, _| true),
    );
    let long = format!("https://{}.example.com", "a".repeat(10 * 1024));
    let bad: Vec<&[u8]> = vec![
        b"https://example.com/path",
        b"https://example.com/",
        b"https://example.com ",
        b" https://example.com",
        b"https://exa mple.com",
        b"https://Example.com",
        b"HTTPS://example.com",
        b"https://ex\xffample.com",
        b"https://caf\xc3\xa9.example.org",
        b"https://example.com:443",
        b"http://localhost:80",
        b"https://example.com:",
        b"https://user@example.com",
        b"https://example.com?x=1",
        b"https://*.example.org",
        b"example.com",
        b"",
        long.as_bytes(),
    ];
    for bytes in bad {
        let decision = policy.evaluate(&request("GET", Some(bytes)));
        assert_eq!(
            decision.refusal(),
            Some(Refusal::MalformedOrigin(bytes)),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert!(decision.headers().is_empty());
        let decision = policy.evaluate(&preflight(bytes, b"GET"));
        assert_refused_preflight(&decision, Refusal::MalformedOrigin(bytes), &[bytes]);
    }
}

#[test]
fn null_origin_is_allowed_only_when_configured() {
    let without = app_policy();
    let decision = without.evaluate(&request("GET", Some(b"null")));
    assert_eq!(decision.refusal(), Some(Refusal::OriginNotAllowed("null")));
    assert!(decision.headers().is_empty());

    let with = build(Policy::builder().allow_origins(["https://app.example.com", "null"]));
    let decision = with.evaluate(&request("GET", Some(b"null")));
    assert!(decision.is_allowed());
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("null"));
    assert_eq!(decision.vary(), Vary::ORIGIN);
    let decision = with.evaluate(&preflight(b"null", b"GET"));
    assert_allowed_preflight(&decision);
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("null"));
    // `NULL` is not `null`.
    let decision = with.evaluate(&request("GET", Some(b"NULL")));
    assert_eq!(decision.refusal(), Some(Refusal::MalformedOrigin(b"NULL")));
}

// ---------------------------------------------------------------- matching

fn allowed(policy: &Policy, origin: &str) -> bool {
    let decision = policy.evaluate(&request("GET", Some(origin.as_bytes())));
    let ok = decision.is_allowed();
    if ok {
        assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some(origin));
    } else {
        assert!(decision.headers().is_empty());
    }
    ok
}

#[test]
fn subdomain_pattern_matches_subdomains_at_any_depth() {
    let policy = build(Policy::builder().allow_origins(["https://*.example.com"]));
    assert!(allowed(&policy, "https://a.example.com"));
    assert!(allowed(&policy, "https://a.b.example.com"));
}

#[test]
fn subdomain_pattern_does_not_match_the_parent_other_scheme_port_or_suffix() {
    let policy = build(Policy::builder().allow_origins(["https://*.example.com"]));
    for origin in [
        "https://example.com",
        "http://a.example.com",
        "https://a.example.com:8443",
        "https://evilexample.com",
        "https://a.evilexample.com",
        "https://a.example.com.evil.net",
        "https://example.com.evil.net",
    ] {
        assert!(!allowed(&policy, origin), "{origin}");
        let decision = policy.evaluate(&request("GET", Some(origin.as_bytes())));
        assert_eq!(decision.refusal(), Some(Refusal::OriginNotAllowed(origin)));
    }
}

#[test]
fn exact_origins_do_not_match_by_substring() {
    // GHSA-style regression: suffix/prefix/contains matching.
    let policy = build(Policy::builder().allow_origins(["https://foo.com", "https://bar.com"]));
    assert!(allowed(&policy, "https://foo.com"));
    assert!(allowed(&policy, "https://bar.com"));
    for origin in [
        "https://barfoo.com",
        "https://foo.com.evil.com",
        "https://evil.foo.com",
        "https://foo.co",
        "http://foo.com",
        "https://foo.com:444",
    ] {
        assert!(!allowed(&policy, origin), "{origin}");
    }
}

#[test]
fn port_wildcard_matches_any_port_of_that_scheme_and_host() {
    let policy = build(Policy::builder().allow_origins(["http://localhost:*"]));
    assert!(allowed(&policy, "http://localhost:3000"));
    assert!(allowed(&policy, "http://localhost:1"));
    assert!(allowed(&policy, "http://localhost"));
    assert!(!allowed(&policy, "https://localhost:3000"));
    assert!(!allowed(&policy, "http://localhost.evil.com:3000"));
    assert!(!allowed(&policy, "http://a.localhost:3000"));
}

#[test]
fn subdomain_pattern_with_port_wildcard() {
    let policy = build(Policy::builder().allow_origins(["https://*.example.com:*"]));
    assert!(allowed(&policy, "https://a.example.com:8443"));
    assert!(allowed(&policy, "https://a.example.com"));
    assert!(!allowed(&policy, "https://example.com:8443"));
    assert!(!allowed(&policy, "http://a.example.com:8443"));
}

#[test]
fn regexes_are_anchored() {
    let policy = build(Policy::builder().allow_origin_regex([r"https://.*\.example\.com"]));
    assert!(allowed(&policy, "https://a.example.com"));
    assert!(!allowed(&policy, "https://a.example.com.evil.net"));
    assert!(!allowed(&policy, "xhttps://a.example.com"));
    // An alternation is anchored as a whole.
    let policy =
        build(Policy::builder().allow_origin_regex([r"https://a\.example|https://b\.example"]));
    assert!(allowed(&policy, "https://a.example"));
    assert!(allowed(&policy, "https://b.example"));
    assert!(!allowed(&policy, "https://a.example.evil"));
    assert!(!allowed(&policy, "https://evil.https://b.example"));
}

#[test]
fn regexes_see_only_well_formed_origins() {
    let policy = build(Policy::builder().allow_origin_regex([r"https://.*"]));
    assert!(allowed(&policy, "https://a.example"));
    let decision = policy.evaluate(&request("GET", Some(b"https://a.example/path")));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MalformedOrigin(b"https://a.example/path"))
    );
}

#[test]
fn predicate_receives_origin_and_request_parts() {
    let policy = build(Policy::builder().allow_origin_predicate(|origin, request| {
        origin == "https://tenant.example"
            && request.path().starts_with("/public/")
            && request.method() == "GET"
    }));
    let parts = request("GET", Some(b"https://tenant.example")).with_path("/public/x");
    assert!(policy.evaluate(&parts).is_allowed());
    let parts = request("GET", Some(b"https://tenant.example")).with_path("/private/x");
    assert!(!policy.evaluate(&parts).is_allowed());
    let parts = request("PUT", Some(b"https://tenant.example")).with_path("/public/x");
    assert!(!policy.evaluate(&parts).is_allowed());
    let parts = request("GET", Some(b"https://other.example")).with_path("/public/x");
    assert!(!policy.evaluate(&parts).is_allowed());
}

#[test]
fn predicate_runs_only_for_well_formed_non_null_origins() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let policy = build(
        Policy::builder()
            .allow_origins(["https://listed.example"])
            .allow_origin_predicate(move |_, _| {
                seen.fetch_add(1, Ordering::SeqCst);
                true
            }),
    );
    for bytes in [
        &b"null"[..],
        b"https://a.example/",
        b"https://A.example",
        b"\xff",
        b"",
    ] {
        let decision = policy.evaluate(&request("GET", Some(bytes)));
        assert!(!decision.is_allowed(), "{bytes:?}");
    }
    let mut twice = request("GET", Some(b"https://a.example"));
    twice.add_header("origin", b"https://b.example");
    assert!(!policy.evaluate(&twice).is_allowed());
    assert!(policy.evaluate(&request("GET", None)).kind() == RequestKind::NotCors);
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    // Listed origins do not need the predicate.
    assert!(
        policy
            .evaluate(&request("GET", Some(b"https://listed.example")))
            .is_allowed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    assert!(
        policy
            .evaluate(&request("GET", Some(b"https://a.example")))
            .is_allowed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn ten_thousand_exact_origins_still_match_exactly() {
    let origins: Vec<String> = (0..10_000)
        .map(|i| format!("https://app{i}.example.com"))
        .collect();
    let policy = build(Policy::builder().allow_origins(origins.clone()));
    for origin in origins
        .iter()
        .step_by(97)
        .chain([&origins[0], &origins[9_999]])
    {
        assert!(allowed(&policy, origin), "{origin}");
    }
    for origin in [
        "https://app10000.example.com",
        "https://app1.example.co",
        "https://app.example.com",
        "http://app1.example.com",
        "https://app1.example.com:8443",
        "https://xapp1.example.com",
    ] {
        assert!(!allowed(&policy, origin), "{origin}");
    }
}

// ---------------------------------------------------------------- methods and header names

#[test]
fn methods_compare_case_sensitively() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_methods(["PATCH"]),
    );
    assert_allowed_preflight(&policy.evaluate(&preflight(b"https://app.example.com", b"PATCH")));
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"patch"));
    assert_refused_preflight(&decision, Refusal::MethodNotAllowed("patch"), &[b"patch"]);
    // The safelisted methods are safelisted only in upper case.
    let decision = policy.evaluate(&preflight(b"https://app.example.com", b"get"));
    assert_eq!(decision.refusal(), Some(Refusal::MethodNotAllowed("get")));
}

#[test]
fn header_names_compare_case_insensitively() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["x-custom", "X-Other"]),
    );
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header(
        "Access-Control-Request-Headers",
        b"X-Custom,x-other,CONTENT-TYPE",
    );
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["X-Custom,x-other,CONTENT-TYPE"]
    );
}

#[test]
fn request_headers_on_several_lines_with_whitespace_are_echoed_line_by_line() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["x-a", "x-b", "x-c"]),
    );
    let mut parts = preflight(b"https://app.example.com", b"GET");
    parts.add_header("Access-Control-Request-Headers", b" x-a ,\tx-b ");
    parts.add_header("Access-Control-Request-Headers", b"x-c");
    parts.add_header("Access-Control-Request-Headers", b"   ");
    let decision = policy.evaluate(&parts);
    assert_allowed_preflight(&decision);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["x-a ,\tx-b", "x-c"]
    );
    // Every name is checked, on every line.
    parts.add_header("Access-Control-Request-Headers", b"x-d");
    let decision = policy.evaluate(&parts);
    assert_eq!(decision.refusal(), Some(Refusal::HeaderNotAllowed("x-d")));
}

#[test]
fn request_headers_with_empty_elements_are_refused() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example.com"])
            .allow_headers(["*"]),
    );
    for bad in [&b"x-a,"[..], b",x-a", b"x-a,,x-b", b"x-a, ,x-b", b","] {
        let mut parts = preflight(b"https://app.example.com", b"GET");
        parts.add_header("Access-Control-Request-Headers", bad);
        let decision = policy.evaluate(&parts);
        assert_refused_preflight(&decision, Refusal::MalformedRequestHeaders, &[]);
    }
}

// ---------------------------------------------------------------- Vary

#[test]
fn vary_merge_adds_only_missing_names() {
    assert_eq!(Vary::ORIGIN.merge([]), Some("Origin"));
    assert_eq!(
        Vary::ORIGIN.merge([&b"Accept-Encoding"[..]]),
        Some("Origin")
    );
    assert_eq!(Vary::ORIGIN.merge([&b"accept-encoding, origin"[..]]), None);
    assert_eq!(
        Vary::ORIGIN.merge([&b"accept-encoding"[..], b"\tORIGIN "]),
        None
    );
    assert_eq!(
        Vary::PREFLIGHT.merge([&b"Origin"[..]]),
        Some("Access-Control-Request-Method, Access-Control-Request-Headers")
    );
    assert_eq!(
        Vary::PREFLIGHT.merge([&b"access-control-request-headers,origin"[..]]),
        Some("Access-Control-Request-Method")
    );
    assert_eq!(
        Vary::ORIGIN.merge([&b"x-origin, origins"[..]]),
        Some("Origin")
    );
    assert_eq!(Vary::NONE.merge([&b"accept"[..]]), None);
}

#[test]
fn vary_merge_leaves_star_alone() {
    assert_eq!(Vary::ORIGIN.merge([&b"*"[..]]), None);
    assert_eq!(
        Vary::PREFLIGHT_PRIVATE_NETWORK.merge([&b"accept, *"[..]]),
        None
    );
    assert_eq!(Vary::PREFLIGHT.merge([&b"accept"[..], b" * "]), None);
}

// ---------------------------------------------------------------- http

#[cfg(feature = "http")]
mod http_support {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    fn header_map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn all(map: &HeaderMap, name: &str) -> Vec<String> {
        map.get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn apply_to_http_replaces_handler_cors_headers() {
        let policy = build(
            Policy::builder()
                .allow_origins(["https://app.example.com"])
                .expose_headers(["x-total"]),
        );
        let decision = policy.evaluate(&request("GET", Some(b"https://app.example.com")));
        let mut map = header_map(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-origin", "https://other.example"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "set-cookie"),
            ("access-control-max-age", "99999"),
            ("content-type", "application/json"),
        ]);
        decision.apply_to_http(&mut map);
        assert_eq!(
            all(&map, "access-control-allow-origin"),
            ["https://app.example.com"]
        );
        assert!(all(&map, "access-control-allow-credentials").is_empty());
        assert_eq!(all(&map, "access-control-expose-headers"), ["x-total"]);
        assert!(all(&map, "access-control-max-age").is_empty());
        assert_eq!(all(&map, "content-type"), ["application/json"]);
        assert_eq!(all(&map, "vary"), ["Origin"]);
    }

    #[test]
    fn apply_to_http_on_refusal_strips_every_cors_header() {
        let policy = app_policy();
        let decision = policy.evaluate(&request("GET", Some(b"https://evil.example")));
        let mut map = header_map(&[
            ("access-control-allow-origin", "https://evil.example"),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "*"),
            ("access-control-allow-headers", "*"),
            ("access-control-allow-private-network", "true"),
        ]);
        decision.apply_to_http(&mut map);
        for name in ResponseHeader::CORS {
            assert!(map.get(name.to_http()).is_none(), "{name}");
        }
        assert_eq!(all(&map, "vary"), ["Origin"]);
    }

    #[test]
    fn apply_to_http_appends_every_allow_headers_line() {
        let policy = build(
            Policy::builder()
                .allow_origins(["https://app.example.com"])
                .allow_headers(["x-a", "x-b"])
                .allow_credentials(true),
        );
        let mut parts = preflight(b"https://app.example.com", b"GET");
        parts.add_header("Access-Control-Request-Headers", b"x-a");
        parts.add_header("Access-Control-Request-Headers", b"x-b");
        let decision = policy.evaluate(&parts);
        let mut map = HeaderMap::new();
        decision.apply_to_http(&mut map);
        assert_eq!(all(&map, "access-control-allow-headers"), ["x-a", "x-b"]);
        assert_eq!(
            all(&map, "access-control-allow-origin"),
            ["https://app.example.com"]
        );
        assert_eq!(all(&map, "access-control-allow-credentials"), ["true"]);
        assert_eq!(all(&map, "access-control-allow-methods"), ["GET"]);
        assert_eq!(all(&map, "access-control-max-age"), ["600"]);
    }

    #[test]
    fn apply_to_http_merges_vary_without_duplicates() {
        let policy = app_policy();
        let decision = policy.evaluate(&preflight(b"https://app.example.com", b"PUT"));
        let mut map = header_map(&[("vary", "accept-encoding, origin")]);
        decision.apply_to_http(&mut map);
        assert_eq!(
            all(&map, "vary"),
            [
                "accept-encoding, origin",
                "Access-Control-Request-Method, Access-Control-Request-Headers"
            ]
        );
        // Applying twice adds nothing more.
        decision.apply_to_http(&mut map);
        assert_eq!(all(&map, "vary").len(), 2);
    }

    #[test]
    fn apply_to_http_leaves_vary_star_alone() {
        let policy = app_policy();
        let decision = policy.evaluate(&request("GET", Some(b"https://app.example.com")));
        let mut map = header_map(&[("vary", "*")]);
        decision.apply_to_http(&mut map);
        assert_eq!(all(&map, "vary"), ["*"]);
        assert_eq!(
            all(&map, "access-control-allow-origin"),
            ["https://app.example.com"]
        );
    }

    #[test]
    fn to_http_response_builds_preflight_and_refusal_answers() {
        let policy = build(
            Policy::builder()
                .allow_origins(["https://app.example.com"])
                .allow_methods(["PUT"])
                .max_age(42),
        );
        let response = policy
            .evaluate(&preflight(b"https://app.example.com", b"PUT"))
            .to_http_response(String::from)
            .expect("a preflight is answered");
        assert_eq!(response.status(), 204);
        assert_eq!(response.body(), "");
        let headers = response.headers();
        assert_eq!(
            all(headers, "access-control-allow-origin"),
            ["https://app.example.com"]
        );
        assert_eq!(all(headers, "access-control-allow-methods"), ["PUT"]);
        assert_eq!(all(headers, "access-control-max-age"), ["42"]);
        assert_eq!(
            all(headers, "vary"),
            ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"]
        );

        let response = policy
            .evaluate(&preflight(b"https://evil.example", b"PUT"))
            .to_http_response(String::from)
            .expect("a refusal is answered");
        assert_eq!(response.status(), 403);
        assert!(!response.body().is_empty() && !response.body().contains("evil"));
        assert_eq!(
            all(response.headers(), "content-type"),
            ["text/plain; charset=utf-8"]
        );
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );

        let actual = policy.evaluate(&request("GET", Some(b"https://app.example.com")));
        assert!(actual.to_http_response(String::from).is_none());
    }

    #[test]
    fn from_http_reads_the_cors_headers() {
        let policy = app_policy();
        let request = http::Request::builder()
            .method("OPTIONS")
            .uri("/api/x")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "x-request-id")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let parts = RequestParts::from_http(&parts);
        assert_eq!(parts.path(), "/api/x");
        let decision = policy.evaluate(&parts);
        assert_allowed_preflight(&decision);
        assert_eq!(
            values(&decision, ResponseHeader::AllowHeaders),
            ["x-request-id"]
        );
    }
}

/// The names adapters write: each header's exact lower-case name, through
/// `as_str` and `Display`, and `Vary`'s emptiness and text.
#[test]
fn response_header_names_and_vary_values() {
    let names = [
        (ResponseHeader::AllowOrigin, "access-control-allow-origin"),
        (
            ResponseHeader::AllowCredentials,
            "access-control-allow-credentials",
        ),
        (ResponseHeader::AllowMethods, "access-control-allow-methods"),
        (ResponseHeader::AllowHeaders, "access-control-allow-headers"),
        (ResponseHeader::MaxAge, "access-control-max-age"),
        (
            ResponseHeader::AllowPrivateNetwork,
            "access-control-allow-private-network",
        ),
        (
            ResponseHeader::ExposeHeaders,
            "access-control-expose-headers",
        ),
        (ResponseHeader::ContentType, "content-type"),
    ];
    for (header, name) in names {
        assert_eq!(header.as_str(), name);
        assert_eq!(header.to_string(), name);
    }
    assert_eq!(ResponseHeader::CORS.len(), 7);
    assert!(!ResponseHeader::CORS.contains(&ResponseHeader::ContentType));
    // Adapters remove the CORS headers only from a response where a name
    // passed `may_be_cors`: every one of them must, in any case.
    for header in ResponseHeader::CORS {
        let name = header.as_str();
        assert!(ResponseHeader::may_be_cors(name.as_bytes()), "{name}");
        assert!(
            ResponseHeader::may_be_cors(name.to_ascii_uppercase().as_bytes()),
            "{name}"
        );
    }
    assert!(!ResponseHeader::may_be_cors(
        ResponseHeader::ContentType.as_str().as_bytes()
    ));

    assert!(Vary::NONE.is_empty());
    assert_eq!(Vary::NONE.as_str(), "");
    for vary in [
        Vary::ORIGIN,
        Vary::PREFLIGHT,
        Vary::PREFLIGHT_PRIVATE_NETWORK,
    ] {
        assert!(!vary.is_empty(), "{vary:?}");
    }
    assert_eq!(Vary::ORIGIN.as_str(), "Origin");
    assert_eq!(
        Vary::PREFLIGHT.as_str(),
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    );
    assert_eq!(
        Vary::PREFLIGHT_PRIVATE_NETWORK.as_str(),
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
         Access-Control-Request-Private-Network"
    );
}

/// What a refusal says in a log line: every kind's text, request bytes
/// escaped, and long values cut at `Escaped::LIMIT` bytes.
#[test]
fn refusals_display_as_log_text() {
    let cases = [
        (Refusal::MultipleOrigins, "more than one Origin header"),
        (
            Refusal::MalformedOrigin(b"https://a\"b\\c\x01\xff"),
            r#"malformed Origin "https://a\"b\\c\x01\xff""#,
        ),
        (
            Refusal::OriginNotAllowed("https://evil.example"),
            r#"origin "https://evil.example" not allowed"#,
        ),
        (
            Refusal::MalformedRequestMethod(b"P T"),
            r#"malformed Access-Control-Request-Method "P T""#,
        ),
        (
            Refusal::MethodNotAllowed("DELETE"),
            r#"method "DELETE" not allowed"#,
        ),
        (
            Refusal::MalformedRequestHeaders,
            "malformed Access-Control-Request-Headers",
        ),
        (
            Refusal::TooManyRequestHeaders,
            "more than 64 names in Access-Control-Request-Headers",
        ),
        (
            Refusal::HeaderNotAllowed("x-secret"),
            r#"request header "x-secret" not allowed"#,
        ),
        (
            Refusal::PrivateNetworkNotAllowed,
            "private network access not allowed",
        ),
        (
            Refusal::AmbiguousPath(b"/a/../b"),
            r#"ambiguous path "/a/../b""#,
        ),
    ];
    for (refusal, text) in cases {
        assert_eq!(refusal.to_string(), text);
    }
    assert_eq!(MAX_REQUEST_HEADERS, 64);

    let exactly = vec![b'a'; cors_core::Escaped::LIMIT];
    assert_eq!(
        cors_core::Escaped(&exactly).to_string(),
        "a".repeat(cors_core::Escaped::LIMIT)
    );
    let longer = vec![b'a'; cors_core::Escaped::LIMIT + 1];
    assert_eq!(
        cors_core::Escaped(&longer).to_string(),
        format!("{}...", "a".repeat(cors_core::Escaped::LIMIT))
    );
}

// ---------------------------------------------------------------- Debug

#[test]
fn policy_debug_counts_each_kind_of_origin_rule() {
    let policy = build(
        Policy::builder()
            .allow_origins([
                "null",
                "https://a.example",
                "https://b.example",
                "https://a.example",
                "http://localhost:*",
                "http://127.0.0.1:*",
                "https://*.one.example",
                "http://*.one.example",
                "https://*.two.example",
                "https://*.one.example",
            ])
            .allow_origin_regex([r"https://[a-z]+\.r1\.example", r"https://r2\.example"])
            .allow_origin_predicate(|origin, _| origin == "https://p.example"),
    );
    let text = format!("{policy:?}");
    assert!(
        text.contains(
            "origins: OriginMatcher { null: true, exact: 2, any_port: 2, subdomain: 3, \
             regex: 2, predicate: true }"
        ),
        "{text}"
    );

    let policy = build(Policy::builder().allow_origins(["https://a.example"]));
    let text = format!("{policy:?}");
    assert!(
        text.contains(
            "origins: OriginMatcher { null: false, exact: 1, any_port: 0, subdomain: 0, \
             regex: 0, predicate: false }"
        ),
        "{text}"
    );
}

// ---------------------------------------------------------------- IP addresses

#[test]
fn a_bracketed_ipv6_origin_without_a_port_is_allowed_as_configured() {
    let policy = build(Policy::builder().allow_origins(["http://[::1]", "http://[fe80::2]:*"]));
    for (origin, allowed) in [
        (&b"http://[::1]"[..], true),
        (b"http://[::1]:8080", false),
        (b"https://[::1]", false),
        (b"http://[fe80::2]", true),
        (b"http://[fe80::2]:3000", true),
    ] {
        let decision = policy.evaluate(&request("GET", Some(origin)));
        assert_eq!(
            decision.is_allowed(),
            allowed,
            "{}",
            String::from_utf8_lossy(origin)
        );
    }
}

// ---------------------------------------------------------------- request headers

#[test]
fn other_headers_of_the_same_length_as_the_cors_ones_are_ignored() {
    let policy = app_policy();
    // Each lookalike has the length of one of the four headers CORS reads,
    // and a value that would change the verdict if it were read as that
    // header.
    let lookalikes: [(&str, &[u8]); 4] = [
        ("accept", b"https://evil.example"),
        ("access-control-expose-headers", b"PATCH"),
        ("access-control-response-header", b"x-refused"),
        ("x-access-control-allow-private-network", b"true"),
    ];
    let lengths: Vec<usize> = lookalikes.iter().map(|(name, _)| name.len()).collect();
    assert_eq!(lengths, [6, 29, 30, 38]);

    let mut parts = preflight(b"https://app.example.com", b"PUT");
    parts.add_header("Access-Control-Request-Headers", b"x-request-id");
    for (name, value) in lookalikes {
        parts.add_header(name, value);
    }
    assert_eq!(parts.origin(), Some(&b"https://app.example.com"[..]));
    let decision = policy.evaluate(&parts);
    assert!(decision.is_allowed(), "{:?}", decision.refusal());
    assert_eq!(values(&decision, ResponseHeader::AllowMethods), ["PUT"]);
    assert_eq!(
        values(&decision, ResponseHeader::AllowHeaders),
        ["x-request-id"]
    );
    assert!(
        decision
            .header(ResponseHeader::AllowPrivateNetwork)
            .is_none()
    );

    // An actual request with only a lookalike of `Origin` is not CORS.
    let mut parts = RequestParts::new("GET");
    parts.add_header("accept", b"https://app.example.com");
    assert_eq!(parts.origin(), None);
    assert_eq!(policy.evaluate(&parts).kind(), RequestKind::NotCors);
}
