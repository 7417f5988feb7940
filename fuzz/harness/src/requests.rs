//! The `requests` target: arbitrary requests under a fixed set of
//! representative policies, built once.
//!
//! `evaluate` builds a policy (and its regex DFA) for every input, which
//! caps it at a few hundred inputs a second. Here the policies are built
//! the first time the target runs, and an input is only a request, so the
//! fuzzer spends its time in [`Policy::evaluate`] and the checks.
//!
//! The input is text-like, so seeds can be written by hand:
//!
//! ```text
//! <policy byte><verdict byte>\n<method line>\n<path line>\n<header line>...
//! ```
//!
//! - The first byte picks one of the [`POLICIES`] (`0` to `7`; any other
//!   byte by `byte % 8`). An empty input takes the first.
//! - The second byte, when present, is the origin lookup's verdict when
//!   the engine asks it: its low bit, so `y` allows and `n` refuses. Absent,
//!   the lookup refuses.
//! - The method line is the request method as sent.
//! - The path line is the request path as the framework gives it (without
//!   the query); it selects the route in the policies that have routes.
//! - Each header line is as in the `evaluate` target: a byte naming the
//!   header (`o` Origin, `m` Access-Control-Request-Method, `h`
//!   Access-Control-Request-Headers, `p` Access-Control-Request-Private-Network,
//!   upper case for the same names in mixed case; any other byte by
//!   `byte % 4`), then the value, any bytes but a line feed.
//!
//! The policies cover every rule kind: exact origins (IPv4, IPv6, punycode,
//! non-default ports), subdomain and port wildcards, `null`, regexes, any
//! origin, credentials, private network access, `block_disallowed_origins`,
//! preflight status 200, every `max_age` bound, exposed headers (listed and
//! `*`), any method and any header, routes (exact and prefix, nested, with
//! a route that refuses every origin), and the origin lookup (with `null`
//! referred too, and in routes).
//!
//! Every request is decided three ways: [`Policy::evaluate`],
//! [`Policy::evaluate_with_lookup`] and, when that asks the lookup,
//! [`Policy::resolve_lookup`] with the input's verdict. The checks:
//!
//! - every decision satisfies the invariants of the crate docs, against
//!   the facts of the part of the policy that answers the path (the top
//!   level or the route [`Policy::route_for`] names), the lookup's origin
//!   counting as allowed only after the lookup allowed it;
//! - `evaluate_with_lookup` asks the lookup exactly when `evaluate` refuses
//!   an origin the answering part refers to the lookup (a well-formed
//!   origin, or `null` with `lookup_null_origin`), naming that origin, the
//!   method and the path, with no headers; otherwise it decides as
//!   `evaluate` does;
//! - a refusing verdict gives `evaluate`'s decision, an allowing one never
//!   refuses the origin, and neither asks again; a verdict on a request
//!   that did not ask changes nothing;
//! - an ambiguous path in a policy with routes gets no grant at all: no CORS
//!   header, the handler runs for an actual request, a preflight gets 403,
//!   the refusal names the path, and the lookup is never asked.

use std::sync::LazyLock;

use cors_core::{
    Action, Decision, Policy, PolicyConfig, Refusal, RequestKind, ResponseHeader, RouteConfig,
    RouteMatch,
};

use crate::evaluate::header_name;
use crate::invariants::{self, Facts, ORIGIN, REQUEST_METHOD, Sent};

/// A representative policy: built, with the facts of each part.
struct Representative {
    policy: Policy,
    /// The top level's facts.
    top: Facts,
    /// Each route's facts, in `routes` order.
    routes: Vec<Facts>,
}

impl Representative {
    /// Builds `top` with `routes`, each route given as its paths and its
    /// whole configuration (every key set, so that nothing is inherited and
    /// the facts are read from what the route means, not from how the
    /// engine resolves it).
    fn new(mut top: PolicyConfig, routes: Vec<(&[&str], PolicyConfig)>) -> Representative {
        let facts = routes
            .iter()
            .map(|(_, config)| Facts::new(config))
            .collect();
        top.routes = routes
            .into_iter()
            .map(|(paths, config)| route(paths, config))
            .collect();
        let top_facts = Facts::new(&top);
        let policy = top
            .build()
            .unwrap_or_else(|e| panic!("a representative policy is valid: {e}"));
        Representative {
            policy,
            top: top_facts,
            routes: facts,
        }
    }

    /// The facts of the part that answers `route`.
    fn facts(&self, route: RouteMatch) -> &Facts {
        match route {
            RouteMatch::Route(index) => &self.routes[index],
            _ => &self.top,
        }
    }
}

/// A route for `paths` setting every key to `config`'s value.
fn route(paths: &[&str], config: PolicyConfig) -> RouteConfig {
    let mut route = RouteConfig::new(paths.iter().copied());
    route.allow_origins = Some(config.allow_origins);
    route.allow_origin_regex = Some(config.allow_origin_regex);
    route.allow_methods = Some(config.allow_methods);
    route.allow_headers = Some(config.allow_headers);
    route.expose_headers = Some(config.expose_headers);
    route.allow_credentials = Some(config.allow_credentials);
    route.max_age = Some(config.max_age);
    route.allow_private_network = Some(config.allow_private_network);
    route.preflight_status = Some(config.preflight_status);
    route.block_disallowed_origins = Some(config.block_disallowed_origins);
    route.allow_origin_lookup = Some(config.allow_origin_lookup);
    route.lookup_null_origin = Some(config.lookup_null_origin);
    route
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A configuration: the defaults, changed by `change`.
fn config(change: impl FnOnce(&mut PolicyConfig)) -> PolicyConfig {
    let mut config = PolicyConfig::default();
    change(&mut config);
    config
}

/// The policies, by their first input byte.
static POLICIES: LazyLock<[Representative; 8]> = LazyLock::new(|| {
    [
        // 0: exact origins, credentials, listed methods, headers and
        // exposed headers.
        Representative::new(
            config(|c| {
                c.allow_origins = strings(&[
                    "https://app.example",
                    "https://app.example:8443",
                    "http://localhost:3000",
                    "https://xn--bcher-kva.example",
                    "http://127.0.0.1:8000",
                    "http://[::1]:3000",
                    "https://a_b.example",
                ]);
                c.allow_methods = strings(&["PUT", "PATCH", "DELETE", "OPTIONS"]);
                c.allow_headers = strings(&["x-a", "Authorization", "x-request-id"]);
                c.expose_headers = strings(&["x-total", "ETag"]);
                c.allow_credentials = true;
                c.max_age = 7_200;
            }),
            vec![],
        ),
        // 1: subdomain and port wildcards, null, any method and header,
        // private network access, preflight status 200.
        Representative::new(
            config(|c| {
                c.allow_origins = strings(&[
                    "https://*.example.com",
                    "https://*.example.org:*",
                    "http://localhost:*",
                    "http://*.dev.test:8080",
                    "null",
                ]);
                c.allow_methods = strings(&["*"]);
                c.allow_headers = strings(&["*"]);
                c.expose_headers = strings(&["x-a"]);
                c.allow_private_network = true;
                c.preflight_status = 200;
            }),
            vec![],
        ),
        // 2: regexes beside an exact origin, refused requests answered
        // 403, every exposed header, max_age 0.
        Representative::new(
            config(|c| {
                c.allow_origins = strings(&["https://app.example"]);
                c.allow_origin_regex = strings(&[
                    r"https://pr-[0-9]+\.preview\.example\.dev",
                    r"https://[a-z]+\.example\.net|http://localhost:\d+",
                ]);
                c.allow_methods = strings(&["PURGE", "patch"]);
                c.allow_headers = strings(&["x-custom_1", "range"]);
                c.expose_headers = strings(&["*"]);
                c.block_disallowed_origins = true;
                c.max_age = 0;
            }),
            vec![],
        ),
        // 3: any origin, any method, any header, the longest max_age.
        Representative::new(
            config(|c| {
                c.allow_origins = strings(&["*"]);
                c.allow_methods = strings(&["*"]);
                c.allow_headers = strings(&["*"]);
                c.expose_headers = strings(&["*"]);
                c.max_age = 86_400;
            }),
            vec![],
        ),
        // 4: routes, exact and prefix, nested, one refusing every origin.
        {
            let top = config(|c| {
                c.allow_origins = strings(&["https://app.example"]);
                c.allow_credentials = true;
                c.allow_methods = strings(&["PUT"]);
                c.allow_headers = strings(&["x-top"]);
                c.expose_headers = strings(&["x-id"]);
            });
            let public = config(|c| {
                c.allow_origins = strings(&["*"]);
                c.allow_methods = strings(&["PUT"]);
                c.allow_headers = strings(&["x-top"]);
                c.expose_headers = strings(&["x-id"]);
            });
            let closed = config(|c| {
                c.allow_origins = Vec::new();
                c.block_disallowed_origins = true;
            });
            let admin = config(|c| {
                c.allow_origins = strings(&["https://admin.example"]);
                c.allow_credentials = true;
                c.allow_private_network = true;
                c.preflight_status = 200;
                c.allow_methods = strings(&["DELETE"]);
            });
            let api = config(|c| {
                c.allow_origin_regex = strings(&[r"https://[a-z0-9]+\.tenant\.example"]);
                c.allow_origins = strings(&["https://app.example"]);
                c.allow_methods = strings(&["*"]);
                c.allow_headers = strings(&["*"]);
            });
            let health = config(|c| {
                c.allow_origins = strings(&["*"]);
                c.max_age = 0;
            });
            Representative::new(
                top,
                vec![
                    (&["/public/*"], public),
                    (&["/metrics", "/internal/*"], closed),
                    (&["/internal/admin/*"], admin),
                    (&["/api/v1/*"], api),
                    (&["/api/v1/health", "/"], health),
                ],
            )
        },
        // 5: the origin lookup, for null too, with 403 refusals.
        Representative::new(
            config(|c| {
                c.allow_origins = strings(&["https://app.example"]);
                c.allow_origin_lookup = true;
                c.lookup_null_origin = true;
                c.allow_methods = strings(&["PUT"]);
                c.allow_headers = strings(&["x-a"]);
                c.block_disallowed_origins = true;
            }),
            vec![],
        ),
        // 6: the origin lookup with credentials, and routes with and
        // without it.
        {
            let top = config(|c| {
                c.allow_origins = strings(&["https://*.example.com"]);
                c.allow_origin_lookup = true;
                c.allow_credentials = true;
                c.expose_headers = strings(&["x-a"]);
            });
            let statics = config(|c| {
                c.allow_origins = strings(&["*"]);
                c.expose_headers = strings(&["x-a"]);
            });
            let admin = config(|c| {
                c.allow_origins = strings(&["https://admin.example"]);
                c.allow_credentials = true;
                c.expose_headers = strings(&["x-a"]);
            });
            let tenants = config(|c| {
                c.allow_origin_lookup = true;
                c.lookup_null_origin = true;
                c.allow_methods = strings(&["PUT", "DELETE"]);
                c.allow_private_network = true;
            });
            Representative::new(
                top,
                vec![
                    (&["/static/*"], statics),
                    (&["/admin/*"], admin),
                    (&["/tenant/*", "/tenants"], tenants),
                ],
            )
        },
        // 7: the defaults (no origin allowed), refusals answered 403.
        Representative::new(
            config(|c| {
                c.block_disallowed_origins = true;
            }),
            vec![],
        ),
    ]
});

/// Whether two decisions say the same thing.
fn same(a: &Decision<'_>, b: &Decision<'_>) -> bool {
    a.kind() == b.kind()
        && a.action() == b.action()
        && a.headers() == b.headers()
        && a.vary() == b.vary()
        && a.refusal() == b.refusal()
        && a.lookup() == b.lookup()
}

/// Runs one input.
pub fn requests(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let policies = &*POLICIES;
    let index = match first.first() {
        Some(&b @ b'0'..=b'9') => usize::from(b - b'0') % policies.len(),
        Some(&b) => usize::from(b) % policies.len(),
        None => 0,
    };
    let verdict = first.get(1).is_some_and(|b| b & 1 == 1);
    let representative = &policies[index];

    let method = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let path = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let mut sent = Sent::new(&method);
    for line in lines {
        if let Some((&which, value)) = line.split_first() {
            sent.headers.push((header_name(which), value));
        }
    }
    let parts = sent.parts().with_path(&path);
    let policy = &representative.policy;
    let route = policy.route_for(&path);
    let plain = policy.evaluate(&parts);
    let asked = policy.evaluate_with_lookup(&parts);
    let context = || {
        format!(
            "policy {index} ({route:?}), path {path:?}, verdict {verdict}\nrequest {sent:?}\n\
             evaluate {plain:?}\nevaluate_with_lookup {asked:?}"
        )
    };

    if route == RouteMatch::Ambiguous {
        check_ambiguous(&sent, &path, &plain);
        assert!(same(&plain, &asked), "{}", context());
        let resolved = policy.resolve_lookup(&parts, verdict);
        assert!(same(&plain, &resolved), "{}", context());
        return;
    }

    let facts = representative.facts(route);
    invariants::check(facts, &sent, &plain);

    let Some(query) = asked.lookup() else {
        assert_ne!(asked.action(), Action::Lookup, "{}", context());
        assert!(same(&plain, &asked), "{}", context());
        // A verdict nobody asked for changes nothing.
        let resolved = policy.resolve_lookup(&parts, verdict);
        assert!(same(&plain, &resolved), "{}", context());
        if let Some(Refusal::OriginNotAllowed(origin)) = plain.refusal() {
            let referred = if origin == "null" {
                facts.lookup_null
            } else {
                facts.lookup
            };
            assert!(!referred, "{origin:?} was not referred\n{}", context());
        }
        return;
    };

    // The lookup was asked: about the one origin sent, which `evaluate`
    // refused, the part referring it to the lookup.
    assert_eq!(asked.action(), Action::Lookup, "{}", context());
    assert!(asked.headers().is_empty(), "{}", context());
    assert!(!asked.is_allowed(), "{}", context());
    assert_eq!(asked.kind(), plain.kind(), "{}", context());
    assert_ne!(asked.kind(), RequestKind::NotCors, "{}", context());
    assert_eq!(
        sent.values(ORIGIN),
        [query.origin().as_bytes()],
        "{}",
        context()
    );
    assert_eq!(
        plain.refusal(),
        Some(Refusal::OriginNotAllowed(query.origin())),
        "{}",
        context()
    );
    let referred = if query.origin() == "null" {
        facts.lookup_null
    } else {
        facts.lookup
    };
    assert!(referred, "{}", context());
    assert_eq!(query.method(), &*method, "{}", context());
    assert_eq!(query.path(), &*path, "{}", context());

    let resolved = policy.resolve_lookup(&parts, verdict);
    let context = || format!("{}\nresolve_lookup {resolved:?}", context());
    assert!(resolved.lookup().is_none(), "asked again\n{}", context());
    if verdict {
        assert!(
            !matches!(resolved.refusal(), Some(Refusal::OriginNotAllowed(_))),
            "{}",
            context()
        );
        invariants::check_resolved(facts, &sent, &resolved, Some(query.origin()));
        if resolved.kind() == RequestKind::Actual {
            assert!(resolved.is_allowed(), "{}", context());
        }
    } else {
        assert!(same(&plain, &resolved), "{}", context());
    }
}

/// Asserts that `decision`, for a request to the ambiguous `path` of a
/// policy with routes, grants nothing.
fn check_ambiguous(sent: &Sent<'_>, path: &str, decision: &Decision<'_>) {
    let context = || format!("ambiguous path {path:?}\nrequest {sent:?}\ndecision {decision:?}");
    assert!(
        !decision
            .headers()
            .iter()
            .any(|(name, _)| ResponseHeader::CORS.contains(name)),
        "{}",
        context()
    );
    let origins = sent.values(ORIGIN);
    if origins.is_empty() {
        assert_eq!(decision.kind(), RequestKind::NotCors, "{}", context());
        assert_eq!(decision.action(), Action::Forward, "{}", context());
        assert!(decision.headers().is_empty(), "{}", context());
        assert_eq!(decision.refusal(), None, "{}", context());
        return;
    }
    assert_eq!(
        decision.refusal(),
        Some(Refusal::AmbiguousPath(path.as_bytes())),
        "{}",
        context()
    );
    if sent.method == "OPTIONS" && !sent.values(REQUEST_METHOD).is_empty() {
        assert_eq!(decision.kind(), RequestKind::Preflight, "{}", context());
        assert!(
            matches!(decision.action(), Action::Respond { status: 403, .. }),
            "{}",
            context()
        );
    } else {
        assert_eq!(decision.kind(), RequestKind::Actual, "{}", context());
        assert_eq!(decision.action(), Action::Forward, "{}", context());
        assert!(decision.headers().is_empty(), "{}", context());
    }
}
