//! Properties over random policies and random requests.
//!
//! Origins are drawn from a fixed pool, each labelled with the configured
//! rules that allow it, so that whether a request should be allowed is
//! computed here, independently of the engine.

use cors_core::{
    Action, Decision, Policy, PolicyBuilder, Refusal, RequestKind, RequestParts, ResponseHeader,
    RouteConfig,
};
use proptest::prelude::*;

/// Origin rules a policy may list (besides `"*"`).
const ORIGIN_RULES: [&str; 8] = [
    "https://a.example",
    "https://b.example:8443",
    "https://*.example.com",
    "http://localhost:*",
    "http://localhost:3000",
    "http://*.dev.test:*",
    "https://*.example.com:8443",
    "null",
];

/// Request origins, with the rules of [`ORIGIN_RULES`] that allow each one;
/// `None` for values a browser never sends (refused as malformed).
const ORIGIN_POOL: [(&[u8], Option<&[&str]>); 24] = [
    (b"https://a.example", Some(&["https://a.example"])),
    (b"https://b.example:8443", Some(&["https://b.example:8443"])),
    (b"https://b.example", Some(&[])),
    (b"https://x.example.com", Some(&["https://*.example.com"])),
    (b"https://x.y.example.com", Some(&["https://*.example.com"])),
    (
        b"https://x.example.com:8443",
        Some(&["https://*.example.com:8443"]),
    ),
    (b"https://example.com", Some(&[])),
    (b"http://x.example.com", Some(&[])),
    (b"https://evilexample.com", Some(&[])),
    (b"https://a.example.evil.com", Some(&[])),
    (
        b"http://localhost:3000",
        Some(&["http://localhost:*", "http://localhost:3000"]),
    ),
    (b"http://localhost", Some(&["http://localhost:*"])),
    (b"https://localhost:3000", Some(&[])),
    (b"http://a.dev.test:99", Some(&["http://*.dev.test:*"])),
    (b"http://a.dev.test", Some(&["http://*.dev.test:*"])),
    (b"http://dev.test", Some(&[])),
    (b"null", Some(&["null"])),
    (b"https://A.example", None),
    (b"https://a.example/", None),
    (b"https://a.example:443", None),
    (b"", None),
    (b"https://a.ex\xffample", None),
    (b"*", None),
    (b"https://*.example.com", None),
];

const METHOD_RULES: [&str; 7] = ["PUT", "PATCH", "patch", "DELETE", "GET", "PURGE", "*"];
const REQUEST_METHODS: [&[u8]; 11] = [
    b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"patch", b"DELETE", b"PURGE", b"get", b"PU T", b"",
];
const HEADER_RULES: [&str; 5] = ["x-a", "X-B", "authorization", "x-request-id", "*"];
const REQUEST_HEADER_NAMES: [&str; 8] = [
    "x-a",
    "X-A",
    "x-b",
    "authorization",
    "content-type",
    "Accept",
    "x-c",
    "x-request-id",
];
const BAD_HEADER_NAMES: [&str; 3] = ["bad name", "", "x-\u{e9}"];
const EXPOSE_RULES: [&str; 3] = ["x-a", "x-total", "*"];

#[derive(Debug, Clone)]
struct PolicySpec {
    any_origin: bool,
    origins: Vec<&'static str>,
    credentials: bool,
    methods: Vec<&'static str>,
    headers: Vec<&'static str>,
    expose: Vec<&'static str>,
    private_network: bool,
    block: bool,
}

impl PolicySpec {
    fn builder(&self) -> PolicyBuilder {
        let origins: Vec<&str> = if self.any_origin {
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
            .allow_private_network(self.private_network)
            .block_disallowed_origins(self.block)
    }

    fn build(&self) -> Policy {
        Self::built(self.builder(), self)
    }

    fn built(builder: PolicyBuilder, spec: &PolicySpec) -> Policy {
        builder
            .build()
            .unwrap_or_else(|e| panic!("the strategy makes valid policies only: {e}\n{spec:?}"))
    }
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        any::<bool>(),
        proptest::sample::subsequence(ORIGIN_RULES.to_vec(), 0..=ORIGIN_RULES.len()),
        any::<bool>(),
        proptest::sample::subsequence(METHOD_RULES.to_vec(), 0..=METHOD_RULES.len()),
        proptest::sample::subsequence(HEADER_RULES.to_vec(), 0..=HEADER_RULES.len()),
        proptest::sample::subsequence(EXPOSE_RULES.to_vec(), 0..=EXPOSE_RULES.len()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                any_origin,
                origins,
                credentials,
                methods,
                headers,
                expose,
                private_network,
                block,
            )| {
                let any_origin = any_origin && origins.len() < 2;
                // Credentials only where valid: not with `*`, `null` or expose `*`.
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
                    private_network: private_network && !any_origin,
                    block,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct RequestSpec {
    method: &'static str,
    /// Indexes into [`ORIGIN_POOL`], one per `Origin` line.
    origins: Vec<usize>,
    request_method: Option<&'static [u8]>,
    /// `Access-Control-Request-Headers` lines.
    header_lines: Vec<String>,
    private_network: Option<&'static [u8]>,
}

impl RequestSpec {
    fn parts(&self) -> RequestParts<'_> {
        let mut parts = RequestParts::new(self.method);
        for &i in &self.origins {
            parts.add_header("Origin", ORIGIN_POOL[i].0);
        }
        if let Some(method) = self.request_method {
            parts.add_header("Access-Control-Request-Method", method);
        }
        for line in &self.header_lines {
            parts.add_header("Access-Control-Request-Headers", line.as_bytes());
        }
        if let Some(value) = self.private_network {
            parts.add_header("Access-Control-Request-Private-Network", value);
        }
        parts
    }

    /// The single origin sent, if exactly one was.
    fn origin(&self) -> Option<&'static [u8]> {
        match self.origins[..] {
            [i] => Some(ORIGIN_POOL[i].0),
            _ => None,
        }
    }
}

fn header_line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        9 => proptest::sample::select(REQUEST_HEADER_NAMES.to_vec()),
        1 => proptest::sample::select(BAD_HEADER_NAMES.to_vec()),
    ];
    (
        proptest::collection::vec(name, 0..4),
        proptest::sample::select(vec![",", ", ", " ,\t", ","]),
        proptest::sample::select(vec!["", " ", "\t"]),
    )
        .prop_map(|(names, separator, padding)| {
            format!("{padding}{}{padding}", names.join(separator))
        })
}

fn request_spec() -> impl Strategy<Value = RequestSpec> {
    // Mostly well-formed origins (the first 17 of the pool).
    let origin = prop_oneof![4 => 0..17_usize, 1 => 17..ORIGIN_POOL.len()];
    let origins = prop_oneof![
        8 => origin.clone().prop_map(|i| vec![i]),
        1 => Just(Vec::new()),
        1 => proptest::collection::vec(origin, 2),
    ];
    let method = prop_oneof![
        3 => Just("OPTIONS"),
        1 => proptest::sample::select(vec!["GET", "POST", "PUT", "options"]),
    ];
    (
        method,
        origins,
        proptest::option::weighted(0.9, proptest::sample::select(REQUEST_METHODS.to_vec())),
        proptest::collection::vec(header_line(), 0..=3),
        proptest::option::weighted(0.3, proptest::sample::select(vec![&b"true"[..], b"false"])),
    )
        .prop_map(
            |(method, origins, request_method, header_lines, private_network)| RequestSpec {
                method,
                origins,
                request_method,
                header_lines,
                private_network,
            },
        )
}

// ---------------------------------------------------------------- the oracle

fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Whether the policy allows the request's origin.
fn origin_allowed(policy: &PolicySpec, request: &RequestSpec) -> bool {
    if policy.any_origin {
        return true;
    }
    let [i] = request.origins[..] else {
        return false;
    };
    match ORIGIN_POOL[i].1 {
        Some(rules) => rules.iter().any(|rule| policy.origins.contains(rule)),
        None => false,
    }
}

fn method_allowed(policy: &PolicySpec, method: &[u8]) -> bool {
    is_token(method)
        && (matches!(method, b"GET" | b"HEAD" | b"POST")
            || policy.methods.contains(&"*")
            || policy.methods.iter().any(|m| m.as_bytes() == method))
}

fn header_allowed(policy: &PolicySpec, name: &[u8]) -> bool {
    const SAFELISTED: [&str; 4] = [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    ];
    policy.headers.contains(&"*")
        || SAFELISTED
            .iter()
            .chain(&policy.headers)
            .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
}

/// Whether every requested header is well-formed and allowed.
fn headers_allowed(policy: &PolicySpec, request: &RequestSpec) -> bool {
    if request.header_lines.len() > cors_core::MAX_REQUEST_HEADER_LINES {
        return false;
    }
    let mut count = 0;
    for line in &request.header_lines {
        if trim(line.as_bytes()).is_empty() {
            continue;
        }
        for name in line.as_bytes().split(|&b| b == b',') {
            let name = trim(name);
            count += 1;
            if !is_token(name) || !header_allowed(policy, name) {
                return false;
            }
        }
    }
    count <= cors_core::MAX_REQUEST_HEADERS
}

fn is_origin_refusal(refusal: Option<Refusal<'_>>) -> bool {
    matches!(
        refusal,
        Some(Refusal::MultipleOrigins | Refusal::MalformedOrigin(_) | Refusal::OriginNotAllowed(_))
    )
}

fn all(decision: &Decision<'_>, name: ResponseHeader) -> Vec<String> {
    decision
        .headers()
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| (*v).to_owned())
        .collect()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config())]

    /// (a) `*` is never combined with credentials.
    #[test]
    fn wildcard_never_with_credentials(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        let wildcard = decision.header(ResponseHeader::AllowOrigin) == Some("*");
        let credentials = decision.header(ResponseHeader::AllowCredentials) == Some("true");
        prop_assert!(!(wildcard && credentials), "{:?}", decision.headers());
    }

    /// (b) `Access-Control-Allow-Origin` is `*` or the request's origin,
    /// byte for byte, and appears at most once.
    #[test]
    fn allow_origin_is_wildcard_or_the_request_origin(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        let values = all(&decision, ResponseHeader::AllowOrigin);
        prop_assert!(values.len() <= 1, "{values:?}");
        if let Some(value) = values.first() {
            if value != "*" {
                prop_assert_eq!(Some(value.as_bytes()), request.origin());
            } else {
                prop_assert!(policy.any_origin);
            }
        }
    }

    /// A decision that lets the handler run sets at most
    /// `Access-Control-Allow-Origin`, `-Allow-Credentials` and
    /// `-Expose-Headers`, in that order and once each: the forward header
    /// sets (`ForwardHeaders`, `ForwardHeaders02`) keep only those.
    #[test]
    fn forwarding_sets_only_the_actual_request_headers(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        for decision in [built.evaluate(&parts), built.resolve_lookup(&parts, true)] {
            if decision.action() == Action::Forward {
                let names: Vec<_> = decision.headers().iter().map(|(n, _)| *n).collect();
                let order = [
                    ResponseHeader::AllowOrigin,
                    ResponseHeader::AllowCredentials,
                    ResponseHeader::ExposeHeaders,
                ];
                let mut rest = order.iter();
                prop_assert!(
                    names.iter().all(|name| rest.any(|n| n == name)),
                    "{:?}", names
                );
                if decision.header(ResponseHeader::AllowCredentials).is_some() {
                    prop_assert_eq!(decision.header(ResponseHeader::AllowCredentials), Some("true"));
                }
            }
        }
    }

    /// (c) A refused origin never gets `Access-Control-Allow-Origin`, nor
    /// any other CORS header.
    #[test]
    fn refused_origin_gets_no_cors_header(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        if is_origin_refusal(decision.refusal()) {
            prop_assert!(!policy.any_origin);
            prop_assert_eq!(decision.header(ResponseHeader::AllowOrigin), None);
            prop_assert!(decision.headers().iter().all(|(n, _)| !ResponseHeader::CORS.contains(n)));
        }
        if decision.refusal().is_some() {
            prop_assert!(decision.headers().iter().all(|(n, _)| !ResponseHeader::CORS.contains(n)));
        }
    }

    /// (d) A response whose `Access-Control-Allow-Origin` depends on the
    /// origin varies on `Origin`.
    #[test]
    fn specific_allow_origin_varies_on_origin(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        if let Some(value) = decision.header(ResponseHeader::AllowOrigin) {
            if value != "*" {
                prop_assert!(decision.vary().names().any(|n| n == "Origin"), "{:?}", decision.vary());
            }
        }
        if !policy.any_origin {
            // Every answer of an origin-dependent policy varies on Origin.
            prop_assert!(decision.vary().names().any(|n| n == "Origin"));
        }
    }

    /// (e) A preflight is allowed exactly when its origin, method, headers
    /// and private-network request are all allowed, computed independently.
    #[test]
    fn preflight_allowed_iff_everything_requested_is_allowed(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        let is_preflight = request.method == "OPTIONS"
            && !request.origins.is_empty()
            && request.request_method.is_some();
        prop_assert_eq!(decision.kind() == RequestKind::Preflight, is_preflight);
        if !is_preflight {
            return Ok(());
        }
        let method = request.request_method.unwrap();
        let method_ok = method_allowed(&policy, method);
        let headers_ok = headers_allowed(&policy, &request);
        let private_network_ok = request.private_network != Some(b"true") || policy.private_network;
        let expected = origin_allowed(&policy, &request) && method_ok && headers_ok && private_network_ok;
        prop_assert_eq!(decision.is_allowed(), expected, "{:?}", decision.refusal());
        // In particular, allowed only if the method and every header are.
        if decision.is_allowed() {
            prop_assert!(method_ok && headers_ok);
            prop_assert_eq!(decision.action(), Action::Respond { status: 204, body: "" });
            prop_assert_eq!(all(&decision, ResponseHeader::AllowMethods), [String::from_utf8(method.to_vec()).unwrap()]);
            let echoed: Vec<String> = request
                .header_lines
                .iter()
                .map(|l| String::from_utf8(trim(l.as_bytes()).to_vec()).unwrap())
                .filter(|l| !l.is_empty())
                .collect();
            prop_assert_eq!(all(&decision, ResponseHeader::AllowHeaders), echoed);
        } else {
            let refused = matches!(decision.action(), Action::Respond { status: 403, .. });
            prop_assert!(refused, "{:?}", decision.action());
        }
    }

    /// Actual requests: allowed exactly when the origin is; a refusal runs
    /// the handler unless the policy blocks.
    #[test]
    fn actual_request_allowed_iff_origin_allowed(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let decision = built.evaluate(&parts);
        if decision.kind() != RequestKind::Actual {
            return Ok(());
        }
        let expected = origin_allowed(&policy, &request);
        prop_assert_eq!(decision.is_allowed(), expected, "{:?}", decision.refusal());
        let blocked = !expected && policy.block;
        prop_assert_eq!(decision.action() == Action::Forward, !blocked);
        prop_assert_eq!(
            decision.header(ResponseHeader::AllowCredentials).is_some(),
            expected && policy.credentials
        );
    }

    /// (f) Evaluation is deterministic.
    #[test]
    fn evaluation_is_deterministic(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let first = built.evaluate(&parts);
        let second = built.evaluate(&parts);
        prop_assert_eq!(first.headers(), second.headers());
        prop_assert_eq!(first.action(), second.action());
        prop_assert_eq!(first.vary(), second.vary());
        prop_assert_eq!(first.kind(), second.kind());
        prop_assert_eq!(first.refusal(), second.refusal());
        // A clone of the policy answers the same.
        let clone = built.clone();
        let third = clone.evaluate(&parts);
        prop_assert_eq!(first.headers(), third.headers());
        prop_assert_eq!(first.action(), third.action());
    }

    /// (g) Without `allow_origin_lookup`, the lookup entry points answer
    /// exactly as `evaluate`.
    #[test]
    fn without_the_lookup_every_entry_point_agrees(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let parts = request.parts();
        let evaluated = built.evaluate(&parts);
        for decision in [
            built.evaluate_with_lookup(&parts),
            built.resolve_lookup(&parts, true),
            built.resolve_lookup(&parts, false),
        ] {
            prop_assert!(decision.lookup().is_none());
            prop_assert_eq!(decision.headers(), evaluated.headers());
            prop_assert_eq!(decision.action(), evaluated.action());
            prop_assert_eq!(decision.vary(), evaluated.vary());
            prop_assert_eq!(decision.refusal(), evaluated.refusal());
        }
    }

    /// (h) With the lookup, `evaluate_with_lookup` asks exactly where
    /// `evaluate` refuses a well-formed origin no rule allows; a no gives
    /// `evaluate`'s answer, and a yes allows the origin if everything else
    /// is allowed.
    #[test]
    fn the_lookup_only_decides_the_origin(policy in policy_spec(), request in request_spec()) {
        prop_assume!(!policy.any_origin);
        let built = PolicySpec::built(policy.builder().allow_origin_lookup(true), &policy);
        let parts = request.parts();
        let evaluated = built.evaluate(&parts);
        prop_assert!(evaluated.lookup().is_none());
        let asked = built.evaluate_with_lookup(&parts);
        let origin_refused = matches!(evaluated.refusal(), Some(Refusal::OriginNotAllowed(o)) if o != "null");
        prop_assert_eq!(asked.action() == Action::Lookup, origin_refused, "{:?}", evaluated);
        if !origin_refused {
            prop_assert_eq!(asked.headers(), evaluated.headers());
            prop_assert_eq!(asked.action(), evaluated.action());
            return Ok(());
        }
        let query = asked.lookup().expect("a question");
        prop_assert_eq!(Some(Refusal::OriginNotAllowed(query.origin())), evaluated.refusal());
        prop_assert_eq!(query.method(), request.method);
        let no = built.resolve_lookup(&parts, false);
        prop_assert_eq!(no.headers(), evaluated.headers());
        prop_assert_eq!(no.action(), evaluated.action());
        prop_assert_eq!(no.refusal(), evaluated.refusal());
        // A yes: the same as a policy listing that origin.
        let mut origins = policy.origins.clone();
        origins.push(query.origin());
        let listing = PolicySpec::built(policy.builder().allow_origins(origins), &policy);
        let expected = listing.evaluate(&parts);
        let yes = built.resolve_lookup(&parts, true);
        prop_assert_eq!(yes.headers(), expected.headers());
        prop_assert_eq!(yes.action(), expected.action());
        prop_assert_eq!(yes.refusal(), expected.refusal());
        prop_assert_eq!(yes.vary(), expected.vary());
    }

    /// (i) Routes that set nothing change nothing: every path they cover,
    /// and every other path, is answered as by the policy without routes.
    #[test]
    fn routes_inheriting_everything_change_nothing(
        policy in policy_spec(),
        request in request_spec(),
        path in proptest::sample::select(vec!["/", "/a", "/a/", "/a/x/y", "/b", "/b/", "/b/x", "/c"]),
    ) {
        let plain = policy.build();
        let routed = PolicySpec::built(
            policy
                .builder()
                .route(RouteConfig::new(["/a/*", "/b"]))
                .route(RouteConfig::new(["/a/x/*"])),
            &policy,
        );
        let parts = request.parts().with_path(path);
        let expected = plain.evaluate(&parts);
        let got = routed.evaluate(&parts);
        prop_assert_eq!(got.headers(), expected.headers());
        prop_assert_eq!(got.action(), expected.action());
        prop_assert_eq!(got.vary(), expected.vary());
        prop_assert_eq!(got.refusal(), expected.refusal());
        prop_assert_eq!(got.kind(), expected.kind());
    }

    /// (l) An origin's refusal says which it is, whatever rules the policy
    /// lists (a policy of exact origins only parses a refused value when
    /// asked): malformed for a value a browser never sends, not allowed for
    /// a well-formed origin no rule allows. An answer the engine gives
    /// itself carries the same refusal's text.
    #[test]
    fn origin_refusals_say_which(policy in policy_spec(), request in request_spec()) {
        let built = policy.build();
        let decision = built.evaluate(&request.parts());
        let (Some(origin), Some(refusal)) = (request.origin(), decision.refusal()) else {
            return Ok(());
        };
        let label = ORIGIN_POOL.iter().find(|(o, _)| *o == origin).map(|(_, l)| *l);
        if origin_allowed(&policy, &request) {
            prop_assert!(!is_origin_refusal(Some(refusal)));
        } else if label.expect("every origin comes from the pool").is_none() {
            prop_assert_eq!(refusal, Refusal::MalformedOrigin(origin));
        } else {
            let text = std::str::from_utf8(origin).expect("pool origins are text");
            prop_assert_eq!(refusal, Refusal::OriginNotAllowed(text));
        }
        if let Action::Respond { body, .. } = decision.action() {
            prop_assert_eq!(body, refusal.body());
        }
    }
}

#[cfg(feature = "http")]
proptest! {
    /// (j) The headers a policy without routes decided once for requests
    /// without `Origin` are what `evaluate` decides for each of them,
    /// applied to responses with and without a `Vary` of their own, in
    /// `http` 1.x types and (with `http02`) in `http` 0.2 types. A CORS
    /// request gets none, nor does any request under a policy with routes.
    #[test]
    fn not_cors_headers_are_each_such_requests_decision(
        policy in policy_spec(),
        mut request in request_spec(),
        existing in proptest::sample::select(vec![None, Some("accept-encoding"), Some("Origin")]),
    ) {
        let built = policy.build();
        if !request.origins.is_empty() {
            prop_assert!(built.not_cors_headers(&request.parts()).is_none());
            #[cfg(feature = "http02")]
            prop_assert!(built.not_cors_headers_http02(&request.parts()).is_none());
        }
        request.origins.clear();
        let parts = request.parts();
        let decided = built.evaluate(&parts).forward_headers();
        let once = built.not_cors_headers(&parts).cloned();
        prop_assert!(decided.is_some() && once.is_some());
        let mut responses = [http::HeaderMap::new(), http::HeaderMap::new()];
        for (map, headers) in responses.iter_mut().zip([decided, once]) {
            if let Some(value) = existing {
                map.insert(http::header::VARY, http::HeaderValue::from_static(value));
            }
            headers.unwrap().apply(map);
        }
        prop_assert_eq!(&responses[0], &responses[1]);
        #[cfg(feature = "http02")]
        {
            // The same in `http` 0.2 types.
            let decided = built.evaluate(&parts).forward_headers_http02(|_, _| None);
            let once = built.not_cors_headers_http02(&parts).cloned();
            prop_assert!(decided.is_some() && once.is_some());
            let existing = existing.map(http02::HeaderValue::from_static);
            let [decided, once] = [decided, once].map(|forward| {
                let mut forward = forward.unwrap();
                let mut headers = Vec::new();
                let vary = forward.take(|name, value| headers.push((name, value)));
                (headers, vary.merge_http02(existing.iter()))
            });
            prop_assert_eq!(decided, once);
        }
        let routed = PolicySpec::built(policy.builder().route(RouteConfig::new(["/a/*"])), &policy);
        prop_assert!(routed.not_cors_headers(&parts).is_none());
        #[cfg(feature = "http02")]
        prop_assert!(routed.not_cors_headers_http02(&parts).is_none());
    }
}
