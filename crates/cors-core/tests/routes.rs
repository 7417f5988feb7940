//! Per-path routes: which policy each path gets, what a route inherits, and
//! what an ambiguous path gets (nothing).

use cors_core::{
    Action, Decision, Policy, PolicyBuilder, PolicyConfig, Refusal, RequestKind, RequestParts,
    ResponseHeader, RouteConfig, Vary, is_ambiguous_path,
};

// ---------------------------------------------------------------- helpers

fn build(builder: PolicyBuilder) -> Policy {
    builder.build().expect("valid policy")
}

fn actual<'a>(path: &'a str, origin: &'a str) -> RequestParts<'a> {
    let mut parts = RequestParts::new("GET").with_path(path);
    parts.add_header("origin", origin.as_bytes());
    parts
}

fn preflight<'a>(path: &'a str, origin: &'a str, method: &'a str) -> RequestParts<'a> {
    let mut parts = RequestParts::new("OPTIONS").with_path(path);
    parts.add_header("origin", origin.as_bytes());
    parts.add_header("access-control-request-method", method.as_bytes());
    parts
}

/// The decision's headers, owned, in order.
fn headers(decision: &Decision<'_>) -> Vec<(ResponseHeader, String)> {
    decision
        .headers()
        .iter()
        .map(|(name, value)| (*name, (*value).to_owned()))
        .collect()
}

/// The top level allows `https://app.example` with credentials; `/public/*`
/// allows every origin; `/metrics` none; `/internal/*` only
/// `https://admin.example`.
fn site() -> Policy {
    build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_credentials(true)
            .allow_methods(["PUT"])
            .expose_headers(["x-id"])
            .route(
                RouteConfig::new(["/public/*"])
                    .allow_origins(["*"])
                    .allow_credentials(false),
            )
            .route(RouteConfig::new(["/metrics"]).allow_origins(Vec::<String>::new()))
            .route(RouteConfig::new(["/internal/*"]).allow_origins(["https://admin.example"])),
    )
}

/// Which of the site's policies `path` got, seen from outside: `"public"`
/// (any origin), `"metrics"` (no origin), `"internal"` (the admin origin
/// only), `"top"` (the app origin, with credentials).
fn site_policy_for(policy: &Policy, path: &str) -> &'static str {
    let allows = |origin| policy.evaluate(&actual(path, origin)).is_allowed();
    match (
        allows("https://app.example"),
        allows("https://admin.example"),
        allows("https://other.example"),
    ) {
        (true, true, true) => "public",
        (false, false, false) => "metrics",
        (false, true, false) => "internal",
        (true, false, false) => "top",
        other => panic!("{path:?}: no policy of the site allows exactly {other:?}"),
    }
}

/// Asserts that `path` gets no grant at all: an actual request runs the
/// handler without CORS headers, a preflight is refused, both naming the
/// path; a request without `Origin` gets no header either.
#[track_caller]
fn assert_no_grant(policy: &Policy, path: &str) {
    for origin in [
        "https://app.example",
        "https://admin.example",
        "https://other.example",
    ] {
        let decision = policy.evaluate(&actual(path, origin));
        assert_eq!(decision.kind(), RequestKind::Actual, "{path:?}");
        assert_eq!(decision.action(), Action::Forward, "{path:?}");
        assert!(decision.headers().is_empty(), "{path:?}: {decision:?}");
        assert_eq!(
            decision.refusal(),
            Some(Refusal::AmbiguousPath(path.as_bytes())),
            "{path:?}"
        );
        assert!(!decision.is_allowed());
        assert_eq!(decision.vary(), Vary::ORIGIN, "{path:?}");

        let decision = policy.evaluate(&preflight(path, origin, "GET"));
        assert_eq!(decision.kind(), RequestKind::Preflight, "{path:?}");
        assert_eq!(
            decision.action(),
            Action::Respond {
                status: 403,
                body: "CORS request refused: ambiguous path\n"
            },
            "{path:?}"
        );
        assert_eq!(
            decision.refusal(),
            Some(Refusal::AmbiguousPath(path.as_bytes()))
        );
        assert!(
            decision
                .headers()
                .iter()
                .all(|(name, _)| *name == ResponseHeader::ContentType),
            "{path:?}: {decision:?}"
        );
        assert_eq!(decision.vary(), Vary::PREFLIGHT, "{path:?}");
    }
    let decision = policy.evaluate(&RequestParts::new("GET").with_path(path));
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert!(decision.headers().is_empty(), "{path:?}: {decision:?}");
    assert!(decision.refusal().is_none());
}

// ---------------------------------------------------------------- patterns

#[test]
fn exact_pattern_covers_the_path_and_its_trailing_slash_only() {
    let policy = site();
    assert_eq!(site_policy_for(&policy, "/metrics"), "metrics");
    assert_eq!(site_policy_for(&policy, "/metrics/"), "metrics");
    assert_eq!(site_policy_for(&policy, "/metrics/x"), "top");
    assert_eq!(site_policy_for(&policy, "/metricsx"), "top");
    assert_eq!(site_policy_for(&policy, "/metric"), "top");
    assert_eq!(site_policy_for(&policy, "/x/metrics"), "top");
}

#[test]
fn prefix_pattern_covers_its_base_and_below_never_a_longer_segment() {
    let policy = site();
    for path in [
        "/public",
        "/public/",
        "/public/x",
        "/public/x/",
        "/public/a/b/c.css",
        "/public/...",
        "/public/.well-known",
        "/public/%20",
    ] {
        assert_eq!(site_policy_for(&policy, path), "public", "{path:?}");
    }
    for path in [
        "/publicity",
        "/public+x",
        "/public;x",
        "/publi",
        "/x/public",
    ] {
        assert_eq!(site_policy_for(&policy, path), "top", "{path:?}");
    }
}

#[test]
fn paths_are_case_sensitive() {
    let policy = site();
    assert_eq!(site_policy_for(&policy, "/PUBLIC/x"), "top");
    assert_eq!(site_policy_for(&policy, "/Public"), "top");
    assert_eq!(site_policy_for(&policy, "/METRICS"), "top");
    assert_eq!(site_policy_for(&policy, "/Internal/x"), "top");
}

#[test]
fn paths_no_route_names_get_the_top_level_policy() {
    let policy = site();
    for path in ["/", "/api", "/api/users/1", "/a%20b", "/%C3%A9t%C3%A9"] {
        assert_eq!(site_policy_for(&policy, path), "top", "{path:?}");
    }
    // The top level's own keys apply in full.
    let decision = policy.evaluate(&actual("/api", "https://app.example"));
    assert_eq!(
        headers(&decision),
        [
            (
                ResponseHeader::AllowOrigin,
                "https://app.example".to_owned()
            ),
            (ResponseHeader::AllowCredentials, "true".to_owned()),
            (ResponseHeader::ExposeHeaders, "x-id".to_owned()),
        ]
    );
}

#[test]
fn most_specific_pattern_wins_whatever_the_order() {
    // (pattern, origin of its route)
    let routes = [
        ("/*", "https://root.example"),
        ("/a/*", "https://a.example"),
        ("/a/b/*", "https://ab.example"),
        ("/a/b", "https://ab-exact.example"),
        ("/a/b/c", "https://abc.example"),
    ];
    let cases = [
        ("/", "https://root.example"),
        ("/x", "https://root.example"),
        ("/ab", "https://root.example"),
        ("/a", "https://a.example"),
        ("/a/", "https://a.example"),
        ("/a/x", "https://a.example"),
        ("/a/bc", "https://a.example"),
        ("/a/b", "https://ab-exact.example"),
        ("/a/b/", "https://ab-exact.example"),
        ("/a/b/x", "https://ab.example"),
        ("/a/b/c/d", "https://ab.example"),
        ("/a/b/c", "https://abc.example"),
        ("/a/b/c/", "https://abc.example"),
    ];
    let all_origins: Vec<&str> = routes.iter().map(|(_, origin)| *origin).collect();
    // Every order of the five routes.
    let mut order: Vec<usize> = (0..routes.len()).collect();
    let mut orders = 0;
    permutations(&mut order, 0, &mut |order| {
        orders += 1;
        let mut builder = Policy::builder().allow_origins(["https://top.example"]);
        for &i in order {
            let (pattern, origin) = routes[i];
            builder = builder.route(RouteConfig::new([pattern]).allow_origins([origin]));
        }
        let policy = build(builder);
        for (path, expected) in cases {
            for origin in all_origins.iter().chain(&["https://top.example"]) {
                let allowed = policy.evaluate(&actual(path, origin)).is_allowed();
                assert_eq!(
                    allowed,
                    *origin == expected,
                    "order {order:?}, {path:?} from {origin}"
                );
            }
        }
    });
    assert_eq!(orders, 120);
}

/// Calls `f` with every permutation of `items[k..]` (after `items[..k]`).
fn permutations(items: &mut [usize], k: usize, f: &mut impl FnMut(&[usize])) {
    if k == items.len() {
        f(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, f);
        items.swap(k, i);
    }
}

#[test]
fn one_route_may_name_several_patterns() {
    let policy = build(
        Policy::builder()
            .route(RouteConfig::new(["/a", "/b/*", "/c"]).allow_origins(["https://r.example"])),
    );
    for path in ["/a", "/a/", "/b", "/b/x", "/c"] {
        assert!(
            policy
                .evaluate(&actual(path, "https://r.example"))
                .is_allowed(),
            "{path:?}"
        );
    }
    for path in ["/a/x", "/d", "/bb"] {
        assert!(
            !policy
                .evaluate(&actual(path, "https://r.example"))
                .is_allowed(),
            "{path:?}"
        );
    }
}

#[test]
fn root_patterns() {
    let exact_root = build(
        Policy::builder()
            .allow_origins(["https://top.example"])
            .route(RouteConfig::new(["/"]).allow_origins(["https://root.example"])),
    );
    assert!(
        exact_root
            .evaluate(&actual("/", "https://root.example"))
            .is_allowed()
    );
    assert!(
        exact_root
            .evaluate(&actual("/x", "https://top.example"))
            .is_allowed()
    );
    assert!(
        !exact_root
            .evaluate(&actual("/x", "https://root.example"))
            .is_allowed()
    );
}

// ---------------------------------------------------------------- inheritance

/// A top level that sets every key away from its default.
fn rich_top() -> PolicyBuilder {
    Policy::builder()
        .allow_origins(["https://app.example"])
        .allow_credentials(true)
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["x-top"])
        .expose_headers(["x-id"])
        .max_age(100)
        .allow_private_network(true)
        .preflight_status(200)
        .block_disallowed_origins(true)
}

#[test]
fn a_route_setting_only_origins_inherits_every_other_key() {
    let policy =
        build(rich_top().route(RouteConfig::new(["/r/*"]).allow_origins(["https://r.example"])));

    let mut parts = preflight("/r/x", "https://r.example", "DELETE");
    parts.add_header("access-control-request-headers", b"x-top");
    parts.add_header("access-control-request-private-network", b"true");
    let decision = policy.evaluate(&parts);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 200,
            body: ""
        }
    );
    assert_eq!(
        headers(&decision),
        [
            (ResponseHeader::AllowOrigin, "https://r.example".to_owned()),
            (ResponseHeader::AllowCredentials, "true".to_owned()),
            (ResponseHeader::AllowMethods, "DELETE".to_owned()),
            (ResponseHeader::AllowHeaders, "x-top".to_owned()),
            (ResponseHeader::MaxAge, "100".to_owned()),
            (ResponseHeader::AllowPrivateNetwork, "true".to_owned()),
        ]
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT_PRIVATE_NETWORK);

    // Methods and headers the top level does not allow stay refused.
    let decision = policy.evaluate(&preflight("/r/x", "https://r.example", "PATCH"));
    assert_eq!(decision.refusal(), Some(Refusal::MethodNotAllowed("PATCH")));
    let mut parts = preflight("/r/x", "https://r.example", "PUT");
    parts.add_header("access-control-request-headers", b"x-other");
    assert_eq!(
        policy.evaluate(&parts).refusal(),
        Some(Refusal::HeaderNotAllowed("x-other"))
    );

    let decision = policy.evaluate(&actual("/r/x", "https://r.example"));
    assert_eq!(
        headers(&decision),
        [
            (ResponseHeader::AllowOrigin, "https://r.example".to_owned()),
            (ResponseHeader::AllowCredentials, "true".to_owned()),
            (ResponseHeader::ExposeHeaders, "x-id".to_owned()),
        ]
    );

    // The route's origins replace the top level's: they are not added.
    let decision = policy.evaluate(&actual("/r/x", "https://app.example"));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::OriginNotAllowed("https://app.example"))
    );
    // ... and block_disallowed_origins is inherited: the refusal is a 403.
    assert!(matches!(
        decision.action(),
        Action::Respond { status: 403, .. }
    ));
}

#[test]
fn a_route_overrides_each_key_it_sets() {
    let policy = build(
        rich_top().route(
            RouteConfig::new(["/r/*"])
                .allow_credentials(false)
                .allow_methods(["PATCH"])
                .allow_headers(["x-route"])
                .expose_headers(["x-route-id"])
                .max_age(5)
                .allow_private_network(false)
                .preflight_status(204)
                .block_disallowed_origins(false),
        ),
    );
    // Origins inherited.
    let mut parts = preflight("/r/x", "https://app.example", "PATCH");
    parts.add_header("access-control-request-headers", b"x-route");
    let decision = policy.evaluate(&parts);
    assert_eq!(
        decision.action(),
        Action::Respond {
            status: 204,
            body: ""
        }
    );
    assert_eq!(
        headers(&decision),
        [
            (
                ResponseHeader::AllowOrigin,
                "https://app.example".to_owned()
            ),
            (ResponseHeader::AllowMethods, "PATCH".to_owned()),
            (ResponseHeader::AllowHeaders, "x-route".to_owned()),
            (ResponseHeader::MaxAge, "5".to_owned()),
        ]
    );
    assert_eq!(decision.vary(), Vary::PREFLIGHT);

    let decision = policy.evaluate(&preflight("/r/x", "https://app.example", "DELETE"));
    assert_eq!(
        decision.refusal(),
        Some(Refusal::MethodNotAllowed("DELETE"))
    );
    let mut parts = preflight("/r/x", "https://app.example", "PATCH");
    parts.add_header("access-control-request-headers", b"x-top");
    assert_eq!(
        policy.evaluate(&parts).refusal(),
        Some(Refusal::HeaderNotAllowed("x-top"))
    );
    let mut parts = preflight("/r/x", "https://app.example", "PATCH");
    parts.add_header("access-control-request-private-network", b"true");
    assert_eq!(
        policy.evaluate(&parts).refusal(),
        Some(Refusal::PrivateNetworkNotAllowed)
    );

    let decision = policy.evaluate(&actual("/r/x", "https://app.example"));
    assert_eq!(
        headers(&decision),
        [
            (
                ResponseHeader::AllowOrigin,
                "https://app.example".to_owned()
            ),
            (ResponseHeader::ExposeHeaders, "x-route-id".to_owned()),
        ]
    );
    let decision = policy.evaluate(&actual("/r/x", "https://evil.example"));
    assert_eq!(decision.action(), Action::Forward);
    assert!(decision.headers().is_empty());

    // The top level is untouched by its route.
    let decision = policy.evaluate(&actual("/other", "https://evil.example"));
    assert!(matches!(
        decision.action(),
        Action::Respond { status: 403, .. }
    ));
}

#[test]
fn a_route_inherits_block_disallowed_origins_and_may_turn_it_off() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .block_disallowed_origins(true)
            .route(RouteConfig::new(["/inherits/*"]).allow_origins(["https://r.example"]))
            .route(RouteConfig::new(["/open/*"]).block_disallowed_origins(false)),
    );
    let blocked = policy.evaluate(&actual("/inherits/x", "https://evil.example"));
    assert_eq!(
        blocked.action(),
        Action::Respond {
            status: 403,
            body: "CORS request refused: origin not allowed\n"
        }
    );
    let forwarded = policy.evaluate(&actual("/open/x", "https://evil.example"));
    assert_eq!(forwarded.action(), Action::Forward);
    assert!(forwarded.headers().is_empty());
    assert_eq!(
        forwarded.refusal(),
        Some(Refusal::OriginNotAllowed("https://evil.example"))
    );
    assert!(
        policy
            .evaluate(&actual("/open/x", "https://app.example"))
            .is_allowed()
    );
}

#[test]
fn origin_rules_are_inherited_as_a_whole_or_not_at_all() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_origin_regex([r"https://[a-z]+\.top\.example"])
            .allow_origin_lookup(true)
            .route(RouteConfig::new(["/inherits/*"]).allow_methods(["PUT"]))
            .route(RouteConfig::new(["/origins/*"]).allow_origins(["https://r.example"]))
            .route(
                RouteConfig::new(["/own/*"]).allow_origin_regex([r"https://[a-z]+\.own\.example"]),
            )
            .route(RouteConfig::new(["/internal/*"]).allow_origins(Vec::<String>::new()))
            // `*` is accepted: the top level's regex and lookup do not come
            // along to conflict with it.
            .route(RouteConfig::new(["/public/*"]).allow_origins(["*"])),
    );
    let allows = |path, origin| policy.evaluate(&actual(path, origin)).is_allowed();
    let asks = |path, origin| {
        policy
            .evaluate_with_lookup(&actual(path, origin))
            .lookup()
            .is_some()
    };
    // A route that sets no origin rule takes all of them.
    assert!(allows("/inherits/x", "https://app.example"));
    assert!(allows("/inherits/x", "https://a.top.example"));
    assert!(asks("/inherits/x", "https://tenant.example"));
    // A route that sets one takes none of the others.
    assert!(allows("/origins/x", "https://r.example"));
    assert!(!allows("/origins/x", "https://a.top.example"));
    assert!(!allows("/origins/x", "https://app.example"));
    assert!(!asks("/origins/x", "https://tenant.example"));
    assert!(allows("/own/x", "https://a.own.example"));
    assert!(!allows("/own/x", "https://a.top.example"));
    assert!(!allows("/own/x", "https://app.example"));
    // `allow_origins = []` means no cross-origin access at all.
    for origin in [
        "https://app.example",
        "https://a.top.example",
        "https://tenant.example",
    ] {
        assert!(!allows("/internal/x", origin), "{origin}");
        assert!(!asks("/internal/x", origin), "{origin}");
    }
    assert!(allows("/public/x", "https://anyone.example"));
    assert!(allows("/x", "https://a.top.example"));
    assert!(!allows("/x", "https://r.example"));
}

#[test]
fn the_predicate_applies_to_routes_that_set_no_origin_rule() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_origin_predicate(|origin, _request| origin == "https://tenant.example")
            .route(RouteConfig::new(["/inherits/*"]).allow_methods(["PUT"]))
            .route(RouteConfig::new(["/origins/*"]).allow_origins(["https://r.example"]))
            .route(
                RouteConfig::new(["/regex/*"]).allow_origin_regex([r"https://[a-z]+\.r\.example"]),
            ),
    );
    let allows = |path, origin| policy.evaluate(&actual(path, origin)).is_allowed();
    assert!(allows("/x", "https://tenant.example"));
    assert!(allows("/inherits/x", "https://tenant.example"));
    assert!(allows("/inherits/x", "https://app.example"));
    // A route with its own origin rules does not get the predicate.
    assert!(!allows("/origins/x", "https://tenant.example"));
    assert!(allows("/origins/x", "https://r.example"));
    assert!(!allows("/regex/x", "https://tenant.example"));
    assert!(allows("/regex/x", "https://a.r.example"));
    assert!(policy.uses_origin_predicate());
    assert!(!site().uses_origin_predicate());
}

#[test]
fn the_predicate_sees_the_request_path_on_a_route() {
    let policy = build(
        Policy::builder()
            .allow_origin_predicate(|origin, request| {
                origin == "https://tenant.example" && request.path().ends_with("/ok")
            })
            .route(RouteConfig::new(["/r/*"]).allow_credentials(true)),
    );
    let decision = policy.evaluate(&actual("/r/ok", "https://tenant.example"));
    assert!(decision.is_allowed());
    assert_eq!(
        decision.header(ResponseHeader::AllowCredentials),
        Some("true")
    );
    assert!(
        !policy
            .evaluate(&actual("/r/no", "https://tenant.example"))
            .is_allowed()
    );
}

// ---------------------------------------------------------------- the issue's paths

#[test]
fn the_issue_paths_get_what_the_rules_say() {
    let policy = site();
    let long_public = format!("/public/{}", "a".repeat(64 * 1024));
    let long_other = format!("/{}", "seg/".repeat(16 * 1024));
    for (path, expected) in [
        ("/publicity", "top"),
        ("/PUBLIC/x", "top"),
        ("/public/x", "public"),
        ("/public;x", "top"),
        ("/metrics/", "metrics"),
        ("/metrics/x", "top"),
        ("/public+x", "top"),
        (&long_public, "public"),
        (&long_other, "top"),
    ] {
        assert!(!is_ambiguous_path(path), "{path:?}");
        assert_eq!(site_policy_for(&policy, path), expected, "{path:?}");
    }
    let long_ambiguous = format!("/public/{}../internal", "a/".repeat(32 * 1024));
    for path in [
        "/public/../internal/x",
        "/public/%2e%2e/internal/x",
        "/public/%2E%2E/internal/x",
        "/public/.%2e/internal/x",
        "/public/./x",
        "/public%2Finternal",
        "/public%2finternal",
        "/public%5Cinternal",
        "/public\\..\\internal",
        "//public/x",
        "/public//x",
        "/public/%78",
        "/public/x%",
        "/public/x%2",
        "/public/x%gg",
        "public/x",
        "",
        "*",
        &long_ambiguous,
    ] {
        assert!(is_ambiguous_path(path), "{path:?}");
        assert_no_grant(&policy, path);
    }
}

#[test]
fn an_ambiguous_path_gets_no_grant_even_where_every_route_allows_any_origin() {
    let policy = build(
        Policy::builder()
            .allow_origins(["*"])
            .route(RouteConfig::new(["/*"]).allow_origins(["*"])),
    );
    assert_no_grant(&policy, "/a/../b");
    // The same path without the dot segment is granted, without `Origin` too.
    let decision = policy.evaluate(&RequestParts::new("GET").with_path("/b"));
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("*"));
}

#[test]
fn a_policy_without_routes_never_treats_a_path_as_ambiguous() {
    let policy = build(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_methods(["PUT"]),
    );
    assert!(!policy.has_routes());
    for path in [
        "/public/../internal/x",
        "/public/%2e%2e/internal/x",
        "/public%2Finternal",
        "//public/x",
        "a\\b",
        "",
        "*",
    ] {
        let decision = policy.evaluate(&actual(path, "https://app.example"));
        assert!(decision.is_allowed(), "{path:?}: {:?}", decision.refusal());
        let decision = policy.evaluate(&preflight(path, "https://app.example", "PUT"));
        assert_eq!(
            decision.action(),
            Action::Respond {
                status: 204,
                body: ""
            },
            "{path:?}"
        );
    }
}

#[test]
fn a_request_with_no_path_set_is_ambiguous_in_a_policy_with_routes() {
    // Adapters must set the path; an unset path is "", which names nothing.
    let policy = site();
    assert!(policy.has_routes());
    let mut parts = RequestParts::new("GET");
    parts.add_header("origin", b"https://app.example");
    assert_eq!(
        policy.evaluate(&parts).refusal(),
        Some(Refusal::AmbiguousPath(b""))
    );
}

// ---------------------------------------------------------------- requests without Origin

#[test]
fn non_cors_requests_on_routes() {
    let policy = site();
    // An any-origin route answers every request alike, so that a cache may
    // serve the response to a CORS request.
    let decision = policy.evaluate(&RequestParts::new("GET").with_path("/public/logo.png"));
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert_eq!(
        headers(&decision),
        [
            (ResponseHeader::AllowOrigin, "*".to_owned()),
            (ResponseHeader::ExposeHeaders, "x-id".to_owned()),
        ]
    );
    assert_eq!(decision.vary(), Vary::NONE);
    assert!(decision.refusal().is_none());

    // A route that varies on the origin sets nothing, and says it varies.
    for path in ["/internal/x", "/metrics", "/api"] {
        let decision = policy.evaluate(&RequestParts::new("GET").with_path(path));
        assert_eq!(decision.kind(), RequestKind::NotCors);
        assert!(decision.headers().is_empty(), "{path:?}");
        assert_eq!(decision.vary(), Vary::ORIGIN, "{path:?}");
    }

    // An ambiguous path gets nothing, even under the any-origin prefix.
    let decision = policy.evaluate(&RequestParts::new("GET").with_path("/public/../x"));
    assert_eq!(decision.kind(), RequestKind::NotCors);
    assert!(decision.headers().is_empty());
}

#[test]
fn any_origin_route_under_a_specific_top_level_and_the_reverse() {
    let policy = build(
        Policy::builder()
            .allow_origins(["*"])
            .route(RouteConfig::new(["/private/*"]).allow_origins(["https://app.example"])),
    );
    let decision = policy.evaluate(&actual("/x", "https://any.example"));
    assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("*"));
    assert_eq!(decision.vary(), Vary::NONE);
    let decision = policy.evaluate(&actual("/private/x", "https://app.example"));
    assert_eq!(
        decision.header(ResponseHeader::AllowOrigin),
        Some("https://app.example")
    );
    assert_eq!(decision.vary(), Vary::ORIGIN);
    assert!(
        !policy
            .evaluate(&actual("/private/x", "https://any.example"))
            .is_allowed()
    );
    // `allows_any_origin` describes the top level.
    assert!(policy.allows_any_origin());
}

// ---------------------------------------------------------------- configuration formats

const TOML_SITE: &str = r#"
allow_origins = ["https://app.example"]
allow_credentials = true
allow_methods = ["PUT"]
expose_headers = ["x-id"]

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false

[[routes]]
paths = ["/metrics"]
allow_origins = []

[[routes]]
paths = ["/internal/*"]
allow_origins = ["https://admin.example"]
"#;

const JSON_SITE: &str = r#"{
    "allow_origins": ["https://app.example"],
    "allow_credentials": true,
    "allow_methods": ["PUT"],
    "expose_headers": ["x-id"],
    "routes": [
        {"paths": ["/public/*"], "allow_origins": ["*"], "allow_credentials": false},
        {"paths": ["/metrics"], "allow_origins": []},
        {"paths": ["/internal/*"], "allow_origins": ["https://admin.example"]}
    ]
}"#;

/// The same answers as [`site`] on every path of the issue.
fn assert_is_the_site(policy: &Policy) {
    let reference = site();
    for path in [
        "/",
        "/api",
        "/public",
        "/public/x",
        "/publicity",
        "/PUBLIC/x",
        "/metrics",
        "/metrics/",
        "/metrics/x",
        "/internal",
        "/internal/x",
        "/public;x",
    ] {
        assert_eq!(
            site_policy_for(policy, path),
            site_policy_for(&reference, path),
            "{path:?}"
        );
        for origin in [
            "https://app.example",
            "https://admin.example",
            "https://x.example",
        ] {
            let parts = preflight(path, origin, "PUT");
            assert_eq!(
                headers(&policy.evaluate(&parts)),
                headers(&reference.evaluate(&parts)),
                "{path:?} {origin}"
            );
            let parts = actual(path, origin);
            assert_eq!(
                headers(&policy.evaluate(&parts)),
                headers(&reference.evaluate(&parts)),
                "{path:?} {origin}"
            );
        }
    }
    assert_no_grant(policy, "/public/../internal/x");
}

#[test]
fn routes_from_toml() {
    let policy: Policy = toml::from_str(TOML_SITE).expect("valid policy");
    assert_is_the_site(&policy);
    let config: PolicyConfig = toml::from_str(TOML_SITE).unwrap();
    assert_eq!(config.routes.len(), 3);
    assert_eq!(config.routes[0].paths, ["/public/*"]);
    assert_eq!(config.routes[0].allow_credentials, Some(false));
    assert_eq!(config.routes[0].allow_methods, None);
    assert_is_the_site(&config.build().unwrap());
}

#[test]
fn routes_from_json() {
    let policy: Policy = serde_json::from_str(JSON_SITE).expect("valid policy");
    assert_is_the_site(&policy);
}

#[test]
fn routes_from_the_builder() {
    assert_is_the_site(&site());
    // A route's regex may be one string in a file, as at the top level.
    let config: PolicyConfig = toml::from_str(
        r#"
        [[routes]]
        paths = ["/r/*"]
        allow_origin_regex = 'https://[a-z]+\.r\.example'
        "#,
    )
    .unwrap();
    let policy = config.build().unwrap();
    assert!(
        policy
            .evaluate(&actual("/r/x", "https://a.r.example"))
            .is_allowed()
    );
    assert!(
        !policy
            .evaluate(&actual("/x", "https://a.r.example"))
            .is_allowed()
    );
}

#[test]
fn debug_names_every_route() {
    let text = format!("{:?}", site());
    for needle in ["/public/*", "/metrics", "/internal/*", "routes"] {
        assert!(text.contains(needle), "{text}");
    }
}

// ---------------------------------------------------------------- property: selection

mod selection {
    //! Random route sets and random paths: the route `evaluate` picks is
    //! the one a plain reference matcher picks. Route `i` allows only
    //! `https://r{i}.example` and the top level only `https://top.example`,
    //! so the route chosen shows in which origin is allowed.

    use super::actual;
    use cors_core::{Policy, Refusal, RouteConfig};
    use proptest::prelude::*;

    /// Segments of patterns, and of paths.
    const SEGMENTS: [&str; 4] = ["a", "b", "ab", "x"];

    /// Path segments that make a path ambiguous wherever they are.
    const AMBIGUOUS_SEGMENTS: [&str; 12] = [
        ".", "..", "%2e", "%2E%2e", ".%2e", "a%2Fb", "%5c", "%61", "a\\b", "%", "x%zz", "%7E",
    ];

    /// Path segments that are unusual but not ambiguous.
    const ODD_SEGMENTS: [&str; 7] = ["...", ".a", "a;b", "a+b", "%20", "A", "ab%3B"];

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Pattern {
        /// Segments of an exact pattern (none: `/`).
        Exact(Vec<&'static str>),
        /// Segments before `/*` (none: `/*`).
        Prefix(Vec<&'static str>),
    }

    impl Pattern {
        fn text(&self) -> String {
            match self {
                Pattern::Exact(segments) => format!("/{}", segments.join("/")),
                Pattern::Prefix(segments) if segments.is_empty() => "/*".to_owned(),
                Pattern::Prefix(segments) => format!("/{}/*", segments.join("/")),
            }
        }

        /// Whether the pattern covers `path`, by the documented rules,
        /// checked on whole strings.
        fn matches(&self, path: &str) -> bool {
            match self {
                Pattern::Exact(segments) => {
                    let exact = format!("/{}", segments.join("/"));
                    path == exact || (exact != "/" && path == format!("{exact}/"))
                }
                Pattern::Prefix(segments) => {
                    let base = if segments.is_empty() {
                        String::new()
                    } else {
                        format!("/{}", segments.join("/"))
                    };
                    path == base || path.starts_with(&format!("{base}/"))
                }
            }
        }

        /// Higher is more specific: any exact pattern, then prefixes by
        /// length.
        fn specificity(&self) -> usize {
            match self {
                Pattern::Exact(_) => usize::MAX,
                Pattern::Prefix(segments) => segments.iter().map(|s| s.len() + 1).sum(),
            }
        }
    }

    #[derive(Debug, Clone)]
    struct Spec {
        /// Distinct patterns, each with the index of its route.
        patterns: Vec<(Pattern, usize)>,
        routes: usize,
    }

    impl Spec {
        fn policy(&self) -> Policy {
            let mut builder = Policy::builder().allow_origins(["https://top.example"]);
            for route in 0..self.routes {
                let paths: Vec<String> = self
                    .patterns
                    .iter()
                    .filter(|(_, r)| *r == route)
                    .map(|(p, _)| p.text())
                    .collect();
                builder = builder.route(
                    RouteConfig::new(paths).allow_origins([format!("https://r{route}.example")]),
                );
            }
            builder.build().expect("distinct, valid patterns")
        }

        /// The reference: every matching pattern, the most specific one's
        /// route; `None` for the top level.
        fn expected_route(&self, path: &str) -> Option<usize> {
            self.patterns
                .iter()
                .filter(|(pattern, _)| pattern.matches(path))
                .max_by_key(|(pattern, _)| pattern.specificity())
                .map(|(_, route)| *route)
        }
    }

    fn segments() -> impl Strategy<Value = Vec<&'static str>> {
        prop::collection::vec(prop::sample::select(&SEGMENTS[..]), 0..4)
    }

    fn pattern() -> impl Strategy<Value = Pattern> {
        prop_oneof![
            segments().prop_map(Pattern::Exact),
            segments().prop_map(Pattern::Prefix),
        ]
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (prop::collection::vec(pattern(), 1..12), 1usize..5)
            .prop_flat_map(|(mut patterns, routes)| {
                let mut seen = Vec::new();
                patterns.retain(|p| {
                    let fresh = !seen.contains(p);
                    seen.push(p.clone());
                    fresh
                });
                let n = patterns.len();
                (Just(patterns), prop::collection::vec(0..routes, n))
            })
            .prop_map(|(patterns, owners)| {
                // Routes numbered densely, so that none is left without paths.
                let mut order: Vec<usize> = Vec::new();
                for owner in &owners {
                    if !order.contains(owner) {
                        order.push(*owner);
                    }
                }
                let routes = order.len();
                let patterns = patterns
                    .into_iter()
                    .zip(owners)
                    .map(|(p, owner)| (p, order.iter().position(|&o| o == owner).unwrap()))
                    .collect();
                Spec { patterns, routes }
            })
    }

    /// A path and whether it is ambiguous, decided from how it was made.
    #[derive(Debug, Clone)]
    struct PathSpec {
        path: String,
        ambiguous: bool,
    }

    #[derive(Debug, Clone, Copy)]
    enum Segment {
        Plain(&'static str),
        Odd(&'static str),
        Ambiguous(&'static str),
        Empty,
    }

    fn path() -> impl Strategy<Value = PathSpec> {
        let segment = prop_oneof![
            8 => prop::sample::select(&SEGMENTS[..]).prop_map(Segment::Plain),
            1 => prop::sample::select(&ODD_SEGMENTS[..]).prop_map(Segment::Odd),
            1 => prop::sample::select(&AMBIGUOUS_SEGMENTS[..]).prop_map(Segment::Ambiguous),
            1 => Just(Segment::Empty),
        ];
        (
            prop::collection::vec(segment, 0..6),
            any::<bool>(),
            prop::bool::weighted(0.05),
        )
            .prop_map(|(segments, trailing_slash, no_leading_slash)| {
                let texts: Vec<&str> = segments
                    .iter()
                    .map(|s| match s {
                        Segment::Plain(t) | Segment::Odd(t) | Segment::Ambiguous(t) => *t,
                        Segment::Empty => "",
                    })
                    .collect();
                let mut path = format!("/{}", texts.join("/"));
                if trailing_slash && !segments.is_empty() {
                    path.push('/');
                }
                // An empty segment is ambiguous unless it is the path's last
                // (a trailing slash, or the root's).
                let last_is_empty_ok = !trailing_slash || segments.is_empty();
                let ambiguous = segments.iter().enumerate().any(|(i, s)| match s {
                    Segment::Ambiguous(_) => true,
                    Segment::Empty => !(i + 1 == segments.len() && last_is_empty_ok),
                    _ => false,
                });
                if no_leading_slash {
                    // `x/a/b`: a relative path, which names nothing.
                    path.insert(0, 'x');
                    return PathSpec {
                        path,
                        ambiguous: true,
                    };
                }
                PathSpec { path, ambiguous }
            })
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn evaluate_picks_the_reference_route(spec in spec(), path in path()) {
            let policy = spec.policy();
            prop_assert_eq!(cors_core::is_ambiguous_path(&path.path), path.ambiguous, "{:?}", path.path);
            let origins: Vec<String> = (0..spec.routes)
                .map(|i| format!("https://r{i}.example"))
                .chain(["https://top.example".to_owned()])
                .collect();
            let allowed: Vec<usize> = origins
                .iter()
                .enumerate()
                .filter(|(_, origin)| policy.evaluate(&actual(&path.path, origin)).is_allowed())
                .map(|(i, _)| i)
                .collect();
            if path.ambiguous {
                prop_assert!(allowed.is_empty(), "{:?} allowed {:?}", path.path, allowed);
                let decision = policy.evaluate(&actual(&path.path, &origins[0]));
                prop_assert_eq!(decision.refusal(), Some(Refusal::AmbiguousPath(path.path.as_bytes())));
                return Ok(());
            }
            // The route of the allowed origin; `spec.routes` is the top level.
            prop_assert_eq!(allowed.len(), 1, "{:?} allowed {:?}", path.path, allowed);
            let chosen = allowed[0];
            let expected = spec.expected_route(&path.path).unwrap_or(spec.routes);
            prop_assert_eq!(chosen, expected, "{:?}", path.path);
            // Never a route none of whose patterns covers the path.
            if chosen < spec.routes {
                prop_assert!(
                    spec.patterns.iter().any(|(p, r)| *r == chosen && p.matches(&path.path)),
                    "{:?} got route {} which does not cover it", path.path, chosen
                );
            }
        }
    }
}

#[test]
fn every_percent_escape_is_decoded_in_either_case_of_hex() {
    // An escape makes a path ambiguous exactly when it encodes `/`, `\` or
    // a character that needs no encoding; every other byte may be encoded,
    // with upper- or lower-case hex digits alike.
    let policy = site();
    for byte in 0..=u8::MAX {
        let needless = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
        let ambiguous = needless || byte == b'/' || byte == b'\\';
        for path in [
            format!("/public/a%{byte:02X}b"),
            format!("/public/a%{byte:02x}b"),
            format!("/public/%{byte:02x}%{byte:02X}"),
        ] {
            assert_eq!(is_ambiguous_path(&path), ambiguous, "{path:?}");
            if ambiguous {
                assert_no_grant(&policy, &path);
            } else {
                assert_eq!(site_policy_for(&policy, &path), "public", "{path:?}");
            }
        }
    }
}
