//! Origin lookups as a continuation: `evaluate_with_lookup` asks only when
//! the lookup alone could allow the origin, and `resolve_lookup` finishes
//! the decision with the lookup's verdict, checking everything else as
//! `evaluate` would.

use cors_core::{
    Action, Decision, Policy, PolicyBuilder, Refusal, RequestKind, RequestParts, ResponseHeader,
    RouteConfig, Vary,
};

fn build(builder: PolicyBuilder) -> Policy {
    builder.build().expect("valid policy")
}

fn actual<'a>(path: &'a str, origin: &'a [u8]) -> RequestParts<'a> {
    let mut parts = RequestParts::new("GET").with_path(path);
    parts.add_header("origin", origin);
    parts
}

fn preflight<'a>(path: &'a str, origin: &'a [u8], method: &'a [u8]) -> RequestParts<'a> {
    let mut parts = RequestParts::new("OPTIONS").with_path(path);
    parts.add_header("origin", origin);
    parts.add_header("access-control-request-method", method);
    parts
}

/// Allows `https://app.example` statically and refers other origins to
/// the lookup; `PUT` and `x-token` allowed, credentials, an exposed header.
fn lookup_policy() -> PolicyBuilder {
    Policy::builder()
        .allow_origins(["https://app.example"])
        .allow_origin_lookup(true)
        .allow_methods(["PUT"])
        .allow_headers(["x-token"])
        .expose_headers(["x-id"])
        .allow_credentials(true)
}

/// Asserts that `decision` asks the lookup about `origin`, and nothing else.
#[track_caller]
fn assert_asks(decision: &Decision<'_>, origin: &str, method: &str, path: &str) {
    assert_eq!(decision.action(), Action::Lookup, "{decision:?}");
    let query = decision.lookup().expect("a question");
    assert_eq!(
        (query.origin(), query.method(), query.path()),
        (origin, method, path)
    );
    assert!(decision.headers().is_empty(), "{decision:?}");
    assert!(decision.refusal().is_none());
    assert!(!decision.is_allowed());
    assert!(
        decision.vary().names().any(|name| name == "Origin"),
        "{decision:?}"
    );
}

/// Asserts that `decision` does not ask.
#[track_caller]
fn assert_does_not_ask(decision: &Decision<'_>) {
    assert_ne!(decision.action(), Action::Lookup, "{decision:?}");
    assert!(decision.lookup().is_none(), "{decision:?}");
}

// ---------------------------------------------------------------- when it asks

#[test]
fn asks_about_an_origin_only_the_lookup_could_allow() {
    let policy = build(lookup_policy());
    assert!(policy.uses_origin_lookup());
    let parts = actual("/api/items", b"https://tenant.example");
    let decision = policy.evaluate_with_lookup(&parts);
    assert_asks(&decision, "https://tenant.example", "GET", "/api/items");
    assert_eq!(decision.kind(), RequestKind::Actual);
    assert_eq!(decision.vary(), Vary::ORIGIN);

    let parts = preflight("/api/items", b"https://tenant.example", b"PUT");
    let decision = policy.evaluate_with_lookup(&parts);
    assert_asks(&decision, "https://tenant.example", "OPTIONS", "/api/items");
    assert_eq!(decision.kind(), RequestKind::Preflight);
    assert_eq!(decision.vary(), Vary::PREFLIGHT);
}

#[test]
fn asks_before_checking_the_preflight_method() {
    // The origin is checked first; a method the policy refuses is refused
    // after the lookup, by `resolve_lookup`.
    let policy = build(lookup_policy());
    let parts = preflight("/p", b"https://tenant.example", b"PATCH");
    assert_asks(
        &policy.evaluate_with_lookup(&parts),
        "https://tenant.example",
        "OPTIONS",
        "/p",
    );
}

#[test]
fn never_asks_about_a_request_without_origin() {
    let policy = build(lookup_policy());
    let decision = policy.evaluate_with_lookup(&RequestParts::new("GET").with_path("/p"));
    assert_does_not_ask(&decision);
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert!(decision.headers().is_empty());
}

#[test]
fn never_asks_about_a_statically_allowed_origin() {
    let policy = build(
        lookup_policy()
            .allow_origins(["https://app.example", "https://*.static.example"])
            .allow_origin_regex([r"https://[a-z]+\.regex\.example"])
            .allow_origin_predicate(|origin, _| origin == "https://predicate.example"),
    );
    for origin in [
        &b"https://app.example"[..],
        b"https://a.static.example",
        b"https://abc.regex.example",
        b"https://predicate.example",
    ] {
        let decision = policy.evaluate_with_lookup(&actual("/p", origin));
        assert_does_not_ask(&decision);
        assert!(decision.is_allowed(), "{decision:?}");
        assert_eq!(
            decision
                .header(ResponseHeader::AllowOrigin)
                .map(str::as_bytes),
            Some(origin)
        );
    }
    let decision = policy.evaluate_with_lookup(&preflight("/p", b"https://app.example", b"PUT"));
    assert_does_not_ask(&decision);
    assert!(decision.is_allowed());
}

#[test]
fn never_asks_about_a_malformed_origin_or_several() {
    let policy = build(lookup_policy());
    for origin in [
        &b"https://tenant.example/"[..],
        b"https://TENANT.example",
        b"https://tenant.example:443",
        b"tenant.example",
        b"",
        b"\xff",
    ] {
        let decision = policy.evaluate_with_lookup(&actual("/p", origin));
        assert_does_not_ask(&decision);
        assert_eq!(decision.refusal(), Some(Refusal::MalformedOrigin(origin)));
        let decision = policy.evaluate_with_lookup(&preflight("/p", origin, b"PUT"));
        assert_does_not_ask(&decision);
        assert!(matches!(
            decision.action(),
            Action::Respond { status: 403, .. }
        ));
    }
    let mut parts = actual("/p", b"https://tenant.example");
    parts.add_header("origin", b"https://other.example");
    let decision = policy.evaluate_with_lookup(&parts);
    assert_does_not_ask(&decision);
    assert_eq!(decision.refusal(), Some(Refusal::MultipleOrigins));
}

#[test]
fn asks_about_null_only_when_told_to() {
    let policy = build(lookup_policy());
    let decision = policy.evaluate_with_lookup(&actual("/p", b"null"));
    assert_does_not_ask(&decision);
    assert_eq!(decision.refusal(), Some(Refusal::OriginNotAllowed("null")));
    // ... and a yes from a lookup it never asked does not allow it.
    assert!(
        !policy
            .resolve_lookup(&actual("/p", b"null"), true)
            .is_allowed()
    );

    let policy = build(
        lookup_policy()
            .allow_credentials(false)
            .lookup_null_origin(true),
    );
    let decision = policy.evaluate_with_lookup(&actual("/p", b"null"));
    assert_asks(&decision, "null", "GET", "/p");
    let decision = policy.resolve_lookup(&actual("/p", b"null"), true);
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("null"));

    // A listed `null` is allowed without asking.
    let policy = build(
        lookup_policy()
            .allow_credentials(false)
            .allow_origins(["null"])
            .lookup_null_origin(true),
    );
    let decision = policy.evaluate_with_lookup(&actual("/p", b"null"));
    assert_does_not_ask(&decision);
    assert!(decision.is_allowed());
}

#[test]
fn never_asks_for_an_any_origin_policy() {
    let policy = build(Policy::builder().allow_origins(["*"]));
    assert!(!policy.uses_origin_lookup());
    for parts in [
        actual("/p", b"https://tenant.example"),
        actual("/p", b"null"),
        preflight("/p", b"https://tenant.example", b"GET"),
    ] {
        let decision = policy.evaluate_with_lookup(&parts);
        assert_does_not_ask(&decision);
        assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("*"));
    }
}

#[test]
fn never_asks_for_a_policy_without_the_lookup() {
    let policy = build(lookup_policy().allow_origin_lookup(false));
    assert!(!policy.uses_origin_lookup());
    let parts = actual("/p", b"https://tenant.example");
    let decision = policy.evaluate_with_lookup(&parts);
    assert_does_not_ask(&decision);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://tenant.example"))
    );
    // A yes it never asked for allows nothing.
    assert!(!policy.resolve_lookup(&parts, true).is_allowed());
}

#[test]
fn routes_with_and_without_the_lookup() {
    let policy = build(
        lookup_policy()
            .route(RouteConfig::new(["/static/*"]).allow_origin_lookup(false))
            .route(
                RouteConfig::new(["/public/*"])
                    .allow_origins(["*"])
                    .allow_credentials(false)
                    .allow_origin_lookup(false),
            )
            .route(RouteConfig::new(["/inherits/*"]).allow_methods(["DELETE"])),
    );
    let origin = b"https://tenant.example";
    // A route that turns the lookup off never asks, and a yes allows nothing.
    let parts = actual("/static/x", origin);
    let decision = policy.evaluate_with_lookup(&parts);
    assert_does_not_ask(&decision);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://tenant.example"))
    );
    assert!(!policy.resolve_lookup(&parts, true).is_allowed());
    // An any-origin route never asks.
    let decision = policy.evaluate_with_lookup(&actual("/public/x", origin));
    assert_does_not_ask(&decision);
    assert!(decision.is_allowed());
    // The top level and a route that inherits the lookup ask.
    assert_asks(
        &policy.evaluate_with_lookup(&actual("/x", origin)),
        "https://tenant.example",
        "GET",
        "/x",
    );
    let parts = preflight("/inherits/x", origin, b"DELETE");
    assert_asks(
        &policy.evaluate_with_lookup(&parts),
        "https://tenant.example",
        "OPTIONS",
        "/inherits/x",
    );
    // ... and the route's own rules apply after a yes.
    let decision = policy.resolve_lookup(&parts, true);
    assert_eq!(
        decision.header(ResponseHeader::AllowMethods),
        Some("DELETE")
    );
    // An ambiguous path never asks.
    let parts = actual("/inherits/../x", origin);
    let decision = policy.evaluate_with_lookup(&parts);
    assert_does_not_ask(&decision);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::AmbiguousPath(b"/inherits/../x"))
    );
    assert!(!policy.resolve_lookup(&parts, true).is_allowed());
}

#[test]
fn a_route_may_turn_the_lookup_on() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .route(RouteConfig::new(["/tenant/*"]).allow_origin_lookup(true)),
    );
    assert!(policy.uses_origin_lookup());
    let origin = b"https://tenant.example";
    assert_asks(
        &policy.evaluate_with_lookup(&actual("/tenant/x", origin)),
        "https://tenant.example",
        "GET",
        "/tenant/x",
    );
    assert_does_not_ask(&policy.evaluate_with_lookup(&actual("/x", origin)));
}

#[test]
fn evaluate_never_asks() {
    let policy = build(
        lookup_policy()
            .allow_credentials(false)
            .lookup_null_origin(true)
            .route(RouteConfig::new(["/r/*"]).allow_methods(["DELETE"])),
    );
    for path in ["/x", "/r/x"] {
        for origin in [&b"https://tenant.example"[..], b"null"] {
            for parts in [actual(path, origin), preflight(path, origin, b"PUT")] {
                let decision = policy.evaluate(&parts);
                assert_does_not_ask(&decision);
                assert!(
                    matches!(decision.refusal(), Some(Refusal::OriginNotAllowed(_))),
                    "{decision:?}"
                );
                assert!(
                    decision
                        .headers()
                        .iter()
                        .all(|(name, _)| *name == ResponseHeader::ContentType)
                );
            }
        }
    }
}

// ---------------------------------------------------------------- the verdict

#[test]
fn a_yes_on_an_actual_request_allows_it_with_the_policy_headers() {
    let policy = build(lookup_policy());
    let parts = actual("/p", b"https://tenant.example");
    let decision = policy.resolve_lookup(&parts, true);
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.is_allowed());
    assert!(decision.lookup().is_none());
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "https://tenant.example"),
            (ResponseHeader::AllowCredentials, "true"),
            (ResponseHeader::ExposeHeaders, "x-id"),
        ]
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);
}

#[test]
fn a_yes_on_a_preflight_still_checks_method_and_headers() {
    let policy = build(lookup_policy());
    let origin = b"https://tenant.example";

    let mut parts = preflight("/p", origin, b"PUT");
    parts.add_header("access-control-request-headers", b"x-token");
    let decision = policy.resolve_lookup(&parts, true);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 204,
            body: ""
        }
    );
    assert_eq!(
        decision.headers(),
        [
            (ResponseHeader::AllowOrigin, "https://tenant.example"),
            (ResponseHeader::AllowCredentials, "true"),
            (ResponseHeader::AllowMethods, "PUT"),
            (ResponseHeader::AllowHeaders, "x-token"),
            (ResponseHeader::MaxAge, "600"),
        ]
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT);

    let decision = policy.resolve_lookup(&preflight("/p", origin, b"PATCH"), true);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 403,
            body: "CORS preflight refused: method not allowed\n"
        }
    );
    assert_eq!(decision.refusal(), Some(Refusal::MethodNotAllowed("PATCH")));
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), None);
    assert_eq!(decision.vary(), Vary::PREFLIGHT);

    let mut parts = preflight("/p", origin, b"PUT");
    parts.add_header("access-control-request-headers", b"x-token,x-other");
    let decision = policy.resolve_lookup(&parts, true);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::HeaderNotAllowed("x-other"))
    );
    assert!(matches!(
        decision.action(),
        Action::Respond { status: 403, .. }
    ));

    let mut parts = preflight("/p", origin, b"PUT");
    parts.add_header("access-control-request-private-network", b"true");
    assert_eq!(
        policy.resolve_lookup(&parts, true).refusal(),
        Some(Refusal::PrivateNetworkNotAllowed)
    );
}

#[test]
fn a_no_refuses() {
    let policy = build(lookup_policy());
    let origin = b"https://tenant.example";

    let decision = policy.resolve_lookup(&preflight("/p", origin, b"PUT"), false);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 403,
            body: "CORS request refused: origin not allowed\n"
        }
    );
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://tenant.example"))
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT);
    assert!(decision.lookup().is_none());

    let decision = policy.resolve_lookup(&actual("/p", origin), false);
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.headers().is_empty());
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://tenant.example"))
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);

    let blocking = build(lookup_policy().block_disallowed_origins(true));
    let decision = blocking.resolve_lookup(&actual("/p", origin), false);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 403,
            body: "CORS request refused: origin not allowed\n"
        }
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);
    // A yes on a blocking policy runs the handler.
    let decision = blocking.resolve_lookup(&actual("/p", origin), true);
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.is_allowed());
}

#[test]
fn a_no_never_overrides_the_static_rules() {
    // The verdict is about the origin asked about; for a request that
    // would not have asked, it changes nothing.
    let policy = build(lookup_policy());
    for parts in [
        actual("/p", b"https://app.example"),
        preflight("/p", b"https://app.example", b"PUT"),
    ] {
        let with_no = policy.resolve_lookup(&parts, false);
        let evaluated = policy.evaluate(&parts);
        assert!(with_no.is_allowed());
        assert_eq!(with_no.headers(), evaluated.headers());
        assert_eq!(with_no.action(), evaluated.action());
    }
    // Nor does a yes allow what was refused for another reason.
    let decision = policy.resolve_lookup(&actual("/p", b"https://TENANT.example"), true);
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MalformedOrigin(b"https://TENANT.example"))
    );
}

#[test]
fn resolve_lookup_never_asks_again() {
    let policy = build(lookup_policy());
    for allowed in [true, false] {
        for parts in [
            actual("/p", b"https://tenant.example"),
            preflight("/p", b"https://tenant.example", b"PUT"),
            preflight("/p", b"https://tenant.example", b"PATCH"),
        ] {
            assert_does_not_ask(&policy.resolve_lookup(&parts, allowed));
        }
    }
}

// ---------------------------------------------------------------- OriginLookup

/// The runner of an application's lookup (feature `lookup`): its settings,
/// verdicts and errors as the adapters and their logs see them.
#[cfg(feature = "lookup")]
mod origin_lookup {
    use std::time::Duration;

    use cors_core::{LookupError, OriginLookup, Verdict, VerdictCache};

    fn yes() -> OriginLookup {
        OriginLookup::new(|_origin, _request| async { Ok::<_, String>(true) })
    }

    #[test]
    fn the_timeout_is_one_second_unless_set() {
        assert_eq!(OriginLookup::DEFAULT_TIMEOUT, Duration::from_secs(1));
        assert_eq!(yes().timeout_duration(), Duration::from_secs(1));
        let lookup = yes().timeout(Duration::from_millis(250));
        assert_eq!(lookup.timeout_duration(), Duration::from_millis(250));
    }

    #[test]
    fn only_an_allowed_verdict_allows() {
        assert!(Verdict::Allowed.is_allowed());
        assert!(!Verdict::Refused.is_allowed());
        for error in [
            LookupError::Error("db down".into()),
            LookupError::Timeout(Duration::from_millis(5)),
            LookupError::Panic("boom".into()),
            LookupError::Recent,
        ] {
            assert!(!Verdict::Failed(error.clone()).is_allowed(), "{error:?}");
        }
    }

    #[test]
    fn lookup_errors_display_as_log_text() {
        assert_eq!(
            LookupError::Error("db down".into()).to_string(),
            "the origin lookup failed: db down"
        );
        assert_eq!(
            LookupError::Timeout(Duration::from_millis(250)).to_string(),
            "the origin lookup timed out after 250ms"
        );
        assert_eq!(
            LookupError::Panic("boom".into()).to_string(),
            "the origin lookup panicked: boom"
        );
        assert_eq!(
            LookupError::Recent.to_string(),
            "the origin lookup failed moments ago"
        );
    }

    #[tokio::test]
    async fn debug_shows_the_settings_and_the_cache() {
        let cache = VerdictCache::new(100)
            .allowed_for(Duration::from_secs(300))
            .refused_for(Duration::from_secs(30));
        let text = format!("{cache:?}");
        assert!(
            text.starts_with("VerdictCache { entries: 0, capacity: "),
            "{text}"
        );
        assert!(
            text.ends_with(", allowed_for: 300s, refused_for: 30s }"),
            "{text}"
        );

        let lookup = yes();
        assert_eq!(
            format!("{lookup:?}"),
            "OriginLookup { timeout: 1s, cache: None, .. }"
        );

        let lookup = yes().timeout(Duration::from_millis(250)).cache(cache);
        let policy = cors_core::Policy::builder()
            .allow_origin_lookup(true)
            .build()
            .expect("valid policy");
        let mut request = cors_core::RequestParts::new("GET").with_path("/p");
        request.add_header("origin", b"https://tenant.example");
        let decision = policy.evaluate_with_lookup(&request);
        let query = decision.lookup().expect("asks");
        assert_eq!(
            lookup.decide(query, tokio::time::sleep).await,
            Verdict::Allowed
        );
        let text = format!("{lookup:?}");
        assert!(
            text.starts_with(
                "OriginLookup { timeout: 250ms, cache: Some(VerdictCache { entries: 1, capacity: "
            ),
            "{text}"
        );
        assert!(
            text.ends_with(", allowed_for: 300s, refused_for: 30s }), .. }"),
            "{text}"
        );
    }
}
