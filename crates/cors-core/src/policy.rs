//! The policy: validated once, then asked about every request.

use std::fmt;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Deserializer};

use crate::config::{PolicyConfig, RouteConfig};
use crate::decision::{Decision, Refusal, RequestKind, ResponseHeader, Vary};
use crate::error::{ANY_WITH_LOOKUP, ANY_WITH_PREDICATE, ConfigError, ConfigErrors};
use crate::header_list::{self, ListError};
use crate::matcher::{OriginMatcher, OriginPredicate, OriginRegexes};
use crate::origin;
use crate::request::{Field, PrivateNetwork, RequestParts};
use crate::route::{PathPattern, RouteTable, Selected};
use crate::set::{ByteKeyedSet, CaseInsensitiveSet};
use crate::token;

/// A validated CORS policy.
///
/// Build it with [`Policy::builder`], or deserialize it (any serde format)
/// from the keys described in [`PolicyConfig`]; either way every problem is
/// reported before the policy exists. A policy is immutable, `Send + Sync`,
/// and cloning it only bumps a reference count, so one policy can serve
/// every thread and service.
///
/// ```
/// use cors_core::{Action, Policy, RequestParts};
///
/// let policy = Policy::builder()
///     .allow_origins(["https://app.example.com"])
///     .allow_methods(["GET", "PUT"])
///     .allow_headers(["x-api-key"])
///     .build()?;
///
/// let mut preflight = RequestParts::new("OPTIONS");
/// preflight.add_header("origin", b"https://app.example.com");
/// preflight.add_header("access-control-request-method", b"PUT");
/// preflight.add_header("access-control-request-headers", b"x-api-key");
/// let decision = policy.evaluate(&preflight);
/// assert_eq!(decision.action(), Action::Respond { status: 204, body: "" });
/// # Ok::<(), cors_core::ConfigErrors>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Compiled>,
}

/// The compiled policy: the top-level rules, and the routes' own.
struct Compiled {
    top: Inner,
    routes: Option<Routes>,
    /// The headers for every request without `Origin`, when the policy
    /// has no routes (see [`Policy::not_cors_headers`]).
    #[cfg(feature = "http")]
    not_cors: Option<crate::ForwardHeaders>,
    /// The same, in `http` 0.2 types.
    #[cfg(feature = "http02")]
    not_cors_http02: Option<crate::ForwardHeaders02>,
}

impl Compiled {
    fn new(top: Inner, routes: Option<Routes>) -> Compiled {
        // Without routes, one decision answers every request without
        // `Origin`.
        #[cfg(feature = "http")]
        let decided = routes.is_none().then(|| top.not_cors());
        #[cfg(feature = "http")]
        let not_cors = decided.as_ref().and_then(|d| d.forward_headers());
        #[cfg(feature = "http02")]
        let not_cors_http02 = decided
            .as_ref()
            .and_then(|d| d.forward_headers_http02(|_, _| None));
        Compiled {
            top,
            routes,
            #[cfg(feature = "http")]
            not_cors,
            #[cfg(feature = "http02")]
            not_cors_http02,
        }
    }
}

/// Per-path policies.
struct Routes {
    table: RouteTable,
    /// Each route's patterns as written, for `Debug`.
    paths: Vec<Vec<String>>,
    policies: Vec<Inner>,
}

/// Which part of a policy answers a path: see [`Policy::route_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMatch {
    /// The top-level rules: the policy has no routes, or none names the
    /// path.
    TopLevel,
    /// The route at this index of `routes`.
    Route(usize),
    /// An ambiguous path (see the README's per-path policies) in a policy
    /// with routes: no CORS grant at all.
    Ambiguous,
}

/// How `evaluate` treats an origin that only the lookup could allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// No lookup: refused.
    Absent,
    /// Ask: the decision says so.
    Ask,
    /// The lookup answered.
    Answered(bool),
}

/// Why `check_origin` did not allow an origin.
enum Denied<'a> {
    Refused(Refusal<'a>),
    /// The lookup must decide this origin.
    Ask(&'a str),
    /// An origin no rule allows, not yet told malformed from not allowed
    /// ([`Refusal::unlisted`]).
    Unlisted(&'a [u8]),
    /// A requested method (a token) the policy does not allow, not yet
    /// read as text.
    MethodNotAllowed(&'a [u8]),
}

impl<'a> From<Refusal<'a>> for Denied<'a> {
    fn from(refusal: Refusal<'a>) -> Self {
        Denied::Refused(refusal)
    }
}

/// The compiled rules of one policy (the top level, or a route's).
pub(crate) struct Inner {
    /// `"*"`: every origin, answered with `Access-Control-Allow-Origin: *`.
    any_origin: bool,
    origins: OriginMatcher,
    credentials: bool,
    any_method: bool,
    methods: ByteKeyedSet,
    any_header: bool,
    headers: CaseInsensitiveSet,
    /// The `Access-Control-Expose-Headers` value, when there is one.
    expose: Option<Box<str>>,
    /// The `Access-Control-Max-Age` value.
    max_age: Box<str>,
    private_network: bool,
    preflight_status: u16,
    block_disallowed: bool,
    /// Origins no rule allows go to the lookup.
    lookup: bool,
    /// So does `null`, when no rule allows it.
    lookup_null: bool,
    /// Only the exact list can allow an origin, and no lookup can: an
    /// origin the list lacks is refused without being parsed.
    exact_only: bool,
    #[cfg(feature = "http")]
    pub(crate) http: crate::http_support::PolicyValues,
}

/// Builds a [`Policy`] in code. Each method mirrors the configuration key of
/// the same name (see [`PolicyConfig`]) and replaces its value; unset keys
/// keep their defaults.
///
/// ```
/// use cors_core::Policy;
///
/// let errors = Policy::builder()
///     .allow_origins(["*"])
///     .allow_credentials(true)
///     .max_age(100_000)
///     .build()
///     .unwrap_err();
/// assert_eq!(errors.errors().len(), 2);
/// ```
#[derive(Default)]
#[must_use]
pub struct PolicyBuilder {
    config: PolicyConfig,
    predicate: Option<OriginPredicate>,
}

impl RouteConfig {
    /// Overrides `allow_origins` (see [`PolicyBuilder::allow_origins`]).
    pub fn allow_origins<I: IntoIterator<Item = S>, S: Into<String>>(mut self, origins: I) -> Self {
        self.allow_origins = Some(strings(origins));
        self
    }

    /// Overrides `allow_origin_regex`.
    pub fn allow_origin_regex<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        regexes: I,
    ) -> Self {
        self.allow_origin_regex = Some(strings(regexes));
        self
    }

    /// Overrides `allow_methods`.
    pub fn allow_methods<I: IntoIterator<Item = S>, S: Into<String>>(mut self, methods: I) -> Self {
        self.allow_methods = Some(strings(methods));
        self
    }

    /// Overrides `allow_headers`.
    pub fn allow_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, headers: I) -> Self {
        self.allow_headers = Some(strings(headers));
        self
    }

    /// Overrides `expose_headers`.
    pub fn expose_headers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        headers: I,
    ) -> Self {
        self.expose_headers = Some(strings(headers));
        self
    }

    /// Overrides `allow_credentials`.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.allow_credentials = Some(allow);
        self
    }

    /// Overrides `max_age`.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Overrides `allow_private_network`.
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.allow_private_network = Some(allow);
        self
    }

    /// Overrides `preflight_status`.
    pub fn preflight_status(mut self, status: u16) -> Self {
        self.preflight_status = Some(status);
        self
    }

    /// Overrides `block_disallowed_origins`.
    pub fn block_disallowed_origins(mut self, block: bool) -> Self {
        self.block_disallowed_origins = Some(block);
        self
    }

    /// Overrides `allow_origin_lookup`.
    pub fn allow_origin_lookup(mut self, allow: bool) -> Self {
        self.allow_origin_lookup = Some(allow);
        self
    }

    /// Overrides `lookup_null_origin`.
    pub fn lookup_null_origin(mut self, lookup: bool) -> Self {
        self.lookup_null_origin = Some(lookup);
        self
    }
}

/// Collects `items` into strings.
fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl PolicyBuilder {
    /// Allowed origins: exact (`https://example.com`), `*` for any,
    /// `https://*.example.com` for any subdomain, `http://localhost:*` for
    /// any port, `null` for the opaque origin.
    pub fn allow_origins<I: IntoIterator<Item = S>, S: Into<String>>(mut self, origins: I) -> Self {
        self.config.allow_origins = strings(origins);
        self
    }

    /// Regexes matched against the whole serialized origin (anchored for
    /// you: `https://.*\.example\.com` cannot match
    /// `https://a.example.com.evil.net`).
    pub fn allow_origin_regex<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        regexes: I,
    ) -> Self {
        self.config.allow_origin_regex = strings(regexes);
        self
    }

    /// Allows the origins for which `predicate` returns `true`, given the
    /// request's serialized origin and the request. It runs after every
    /// other origin rule failed, and never for `null` or a malformed origin.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let tenants = ["https://a.example", "https://b.example"];
    /// let policy = Policy::builder()
    ///     .allow_origin_predicate(move |origin, _request| tenants.contains(&origin))
    ///     .build()
    ///     .unwrap();
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://b.example");
    /// assert!(policy.evaluate(&request).is_allowed());
    /// ```
    pub fn allow_origin_predicate<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&str, &RequestParts<'_>) -> bool + Send + Sync + 'static,
    {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Allowed methods, case-sensitive; `*` for any.
    pub fn allow_methods<I: IntoIterator<Item = S>, S: Into<String>>(mut self, methods: I) -> Self {
        self.config.allow_methods = strings(methods);
        self
    }

    /// Allowed request headers, case-insensitive; `*` for any (including
    /// `Authorization`).
    pub fn allow_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, headers: I) -> Self {
        self.config.allow_headers = strings(headers);
        self
    }

    /// Response headers a page may read; `*` for all (without credentials).
    pub fn expose_headers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        headers: I,
    ) -> Self {
        self.config.expose_headers = strings(headers);
        self
    }

    /// Whether pages may send credentials and read credentialed responses.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.config.allow_credentials = allow;
        self
    }

    /// How long browsers may cache a preflight answer, in seconds (0 to 86400).
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.config.max_age = seconds;
        self
    }

    /// Whether to answer Private Network Access preflights.
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.config.allow_private_network = allow;
        self
    }

    /// The status of an allowed preflight: 204 or 200.
    pub fn preflight_status(mut self, status: u16) -> Self {
        self.config.preflight_status = status;
        self
    }

    /// Whether to answer actual requests from disallowed origins with 403
    /// instead of running the handler. Browsers send `Origin` on same-origin
    /// `POST`s too, so list your own origin when you turn this on.
    pub fn block_disallowed_origins(mut self, block: bool) -> Self {
        self.config.block_disallowed_origins = block;
        self
    }

    /// Refers origins that no other rule allows to the application's
    /// origin lookup, given to the adapter (see
    /// [`PolicyConfig::allow_origin_lookup`]).
    pub fn allow_origin_lookup(mut self, allow: bool) -> Self {
        self.config.allow_origin_lookup = allow;
        self
    }

    /// Refers the `null` origin to the lookup too (see
    /// [`PolicyConfig::lookup_null_origin`]).
    pub fn lookup_null_origin(mut self, lookup: bool) -> Self {
        self.config.lookup_null_origin = lookup;
        self
    }

    /// Adds a route: a policy for the paths it names, its keys over this
    /// builder's. The most specific pattern wins, whatever the order.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts, RouteConfig};
    ///
    /// let policy = Policy::builder()
    ///     .allow_origins(["https://app.example.com"])
    ///     .route(RouteConfig::new(["/public/*"]).allow_origins(["*"]))
    ///     .build()?;
    /// let mut request = RequestParts::new("GET").with_path("/public/a.css");
    /// request.add_header("origin", b"https://other.example");
    /// assert!(policy.evaluate(&request).is_allowed());
    /// # Ok::<(), cors_core::ConfigErrors>(())
    /// ```
    pub fn route(mut self, route: RouteConfig) -> Self {
        self.config.routes.push(route);
        self
    }

    /// Validates the configuration and builds the policy, or returns every
    /// problem found.
    pub fn build(self) -> Result<Policy, ConfigErrors> {
        Policy::from_config(self.config, self.predicate)
    }
}

impl Policy {
    /// Starts a policy with every key at its default (which allows no
    /// origin).
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    pub(crate) fn from_config(
        config: PolicyConfig,
        predicate: Option<OriginPredicate>,
    ) -> Result<Policy, ConfigErrors> {
        let mut errors: Vec<ConfigError> = config.unknown_key_errors().collect();
        let top = Inner::compile(&config, predicate.clone(), &mut errors);
        let routes = (!config.routes.is_empty())
            .then(|| Routes::compile(&config, predicate.as_ref(), &mut errors));
        match (top, routes) {
            (Some(top), None) if errors.is_empty() => Ok(Policy {
                inner: Arc::new(Compiled::new(top, None)),
            }),
            (Some(top), Some(Some(routes))) if errors.is_empty() => Ok(Policy {
                inner: Arc::new(Compiled::new(top, Some(routes))),
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    /// Whether the policy allows every origin (`allow_origins = ["*"]`), so
    /// that responses carry `Access-Control-Allow-Origin: *` and do not vary
    /// on `Origin`.
    pub fn allows_any_origin(&self) -> bool {
        self.inner.top.any_origin
    }

    /// Whether the policy allows credentials (at the top level; routes may
    /// differ).
    pub fn allows_credentials(&self) -> bool {
        self.inner.top.credentials
    }

    /// Whether the policy answers refused actual requests itself (403,
    /// `block_disallowed_origins`) rather than forwarding them: at the top
    /// level or in any route. An adapter that answers preflights before
    /// routing uses this to know whether actual requests may be answered
    /// early too.
    pub fn answers_refused_actual_requests(&self) -> bool {
        let compiled = &*self.inner;
        compiled.top.block_disallowed
            || compiled
                .routes
                .as_ref()
                .is_some_and(|r| r.policies.iter().any(|p| p.block_disallowed))
    }

    /// Whether the policy has routes (per-path policies).
    pub fn has_routes(&self) -> bool {
        self.inner.routes.is_some()
    }

    /// For a request without `Origin` (not a CORS request), the headers
    /// for its response when the policy decided them once, for all such
    /// requests, as it was built: the same as
    /// `evaluate(request).forward_headers()`, without building a
    /// [`Decision`]. `None` for a CORS request, and for every request under
    /// a policy with routes (where they depend on the path): evaluate
    /// those.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build()?;
    /// let plain = RequestParts::new("GET");
    /// let mut response = http::Response::new(());
    /// policy.not_cors_headers(&plain).expect("no routes").clone().apply(response.headers_mut());
    /// assert_eq!(response.headers()["vary"], "Origin");
    /// assert!(!response.headers().contains_key("access-control-allow-origin"));
    ///
    /// let mut cors = RequestParts::new("GET");
    /// cors.add_header("origin", b"https://a.example");
    /// assert!(policy.not_cors_headers(&cors).is_none());
    /// # Ok::<(), cors_core::ConfigErrors>(())
    /// ```
    #[cfg(feature = "http")]
    pub fn not_cors_headers(&self, request: &RequestParts<'_>) -> Option<&crate::ForwardHeaders> {
        match request.origin {
            Field::Absent => self.inner.not_cors.as_ref(),
            _ => None,
        }
    }

    /// [`not_cors_headers`](Policy::not_cors_headers) in `http` 0.2 types:
    /// the same as `evaluate(request).forward_headers_http02(..)` for a
    /// request without `Origin`, decided once as the policy was built.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build()?;
    /// let plain = RequestParts::new("GET");
    /// let mut forward = policy.not_cors_headers_http02(&plain).expect("no routes").clone();
    /// let mut count = 0;
    /// let vary = forward.take(|_, _| count += 1);
    /// assert_eq!(count, 0);
    /// assert_eq!(vary.merge_http02([]).unwrap(), "Origin");
    ///
    /// let mut cors = RequestParts::new("GET");
    /// cors.add_header("origin", b"https://a.example");
    /// assert!(policy.not_cors_headers_http02(&cors).is_none());
    /// # Ok::<(), cors_core::ConfigErrors>(())
    /// ```
    #[cfg(feature = "http02")]
    pub fn not_cors_headers_http02(
        &self,
        request: &RequestParts<'_>,
    ) -> Option<&crate::ForwardHeaders02> {
        match request.origin {
            Field::Absent => self.inner.not_cors_http02.as_ref(),
            _ => None,
        }
    }

    /// Which part of the policy answers requests to `path`: the top level,
    /// a route (by its index in `routes`), or nothing, for an ambiguous
    /// path in a policy with routes. This is the selection
    /// [`evaluate`](Policy::evaluate) makes; tools use it to say which rules
    /// applied.
    ///
    /// ```
    /// use cors_core::{Policy, RouteConfig, RouteMatch};
    ///
    /// let policy = Policy::builder()
    ///     .route(RouteConfig::new(["/public/*"]).allow_origins(["*"]))
    ///     .route(RouteConfig::new(["/public/admin/*"]).allow_origins(Vec::<String>::new()))
    ///     .build()?;
    /// assert_eq!(policy.route_for("/public/logo.png"), RouteMatch::Route(0));
    /// assert_eq!(policy.route_for("/public/admin/users"), RouteMatch::Route(1));
    /// assert_eq!(policy.route_for("/api"), RouteMatch::TopLevel);
    /// assert_eq!(policy.route_for("/public/../api"), RouteMatch::Ambiguous);
    /// # Ok::<(), cors_core::ConfigErrors>(())
    /// ```
    pub fn route_for(&self, path: &str) -> RouteMatch {
        match &self.inner.routes {
            None => RouteMatch::TopLevel,
            Some(routes) => match routes.table.select(path) {
                Selected::Default => RouteMatch::TopLevel,
                Selected::Route(index) => RouteMatch::Route(index),
                Selected::Ambiguous => RouteMatch::Ambiguous,
            },
        }
    }

    /// Decides what to do with a request. Pure, allocation-free (see the
    /// [crate docs](crate#cost)), and linear in the size of the request's
    /// CORS headers and path.
    ///
    /// An origin that only the application's origin lookup could allow
    /// (`allow_origin_lookup`) is refused here; an adapter that has a
    /// lookup calls [`evaluate_with_lookup`](Policy::evaluate_with_lookup)
    /// instead.
    pub fn evaluate<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        self.decide(request, Lookup::Absent)
    }

    /// Like [`evaluate`](Policy::evaluate), but an origin that only the
    /// origin lookup could allow is not refused: the decision's action is
    /// [`Action::Lookup`](crate::Action::Lookup), and
    /// [`Decision::lookup`] names the origin to ask about. The caller asks
    /// its lookup (the engine never does: it has no I/O), then finishes
    /// with [`resolve_lookup`](Policy::resolve_lookup), on the same policy
    /// and request.
    ///
    /// ```
    /// use cors_core::{Action, Policy, RequestParts};
    ///
    /// let policy = Policy::builder()
    ///     .allow_origins(["https://app.example.com"])
    ///     .allow_origin_lookup(true)
    ///     .build()?;
    /// let mut request = RequestParts::new("GET").with_path("/api");
    /// request.add_header("origin", b"https://tenant.example");
    ///
    /// let decision = policy.evaluate_with_lookup(&request);
    /// assert_eq!(decision.action(), Action::Lookup);
    /// let query = decision.lookup().unwrap();
    /// assert_eq!((query.origin(), query.method(), query.path()), ("https://tenant.example", "GET", "/api"));
    ///
    /// // ... the application's lookup says yes:
    /// let decision = policy.resolve_lookup(&request, true);
    /// assert_eq!(decision.action(), Action::Forward);
    /// assert!(decision.is_allowed());
    /// # Ok::<(), cors_core::ConfigErrors>(())
    /// ```
    pub fn evaluate_with_lookup<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        self.decide(request, Lookup::Ask)
    }

    /// Finishes a decision that asked the origin lookup, given its verdict
    /// on [`Decision::lookup`]'s origin (`false` for a refusal, and for a
    /// lookup that failed or timed out). Never asks again.
    pub fn resolve_lookup<'a>(&'a self, request: &RequestParts<'a>, allowed: bool) -> Decision<'a> {
        self.decide(request, Lookup::Answered(allowed))
    }

    /// Whether the policy has an origin predicate
    /// ([`allow_origin_predicate`](PolicyBuilder::allow_origin_predicate)).
    /// A predicate sees the whole request, its path included, so an
    /// adapter that decides without reading the path must not use such a
    /// policy.
    pub fn uses_origin_predicate(&self) -> bool {
        // Routes inherit the predicate from the top level or drop it:
        // none has one of its own.
        self.inner.top.origins.predicate.is_some()
    }

    /// Whether some part of the policy (the top level or a route) refers
    /// origins to the origin lookup.
    pub fn uses_origin_lookup(&self) -> bool {
        let compiled = &*self.inner;
        compiled.top.lookup
            || compiled
                .routes
                .as_ref()
                .is_some_and(|r| r.policies.iter().any(|p| p.lookup))
    }

    fn decide<'a>(&'a self, request: &RequestParts<'a>, lookup: Lookup) -> Decision<'a> {
        let mut decision = self.decide_for(request, lookup);
        decision.echo_from(request);
        decision
    }

    /// The decision, without the request's values to echo.
    fn decide_for<'a>(&'a self, request: &RequestParts<'a>, lookup: Lookup) -> Decision<'a> {
        let compiled: &'a Compiled = &self.inner;
        let inner = match &compiled.routes {
            None => &compiled.top,
            Some(routes) => match routes.table.select(request.path()) {
                Selected::Default => &compiled.top,
                Selected::Route(index) => &routes.policies[index],
                Selected::Ambiguous => return compiled.top.ambiguous(request),
            },
        };
        if request.origin == Field::Absent {
            return inner.not_cors();
        }
        if request.is_preflight() {
            inner.preflight(request, lookup)
        } else {
            inner.actual(request, lookup)
        }
    }
}

impl Inner {
    /// Compiles one policy's rules, adding its problems to `errors`;
    /// `None` when there were any.
    fn compile(
        config: &PolicyConfig,
        predicate: Option<OriginPredicate>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Inner> {
        let errors_before = errors.len();
        let mut any_origin = false;
        let mut other_origin_rule: Option<String> = None;
        let mut origins = OriginMatcher::default();
        for value in &config.allow_origins {
            match value.as_str() {
                "*" => any_origin = true,
                "null" => origins.null = true,
                text => match origin::parse_pattern(text) {
                    Ok(pattern) => origins.insert(text, pattern),
                    Err(problem) => errors.push(ConfigError::InvalidOrigin {
                        value: value.clone(),
                        problem,
                    }),
                },
            }
            if value != "*" && other_origin_rule.is_none() {
                other_origin_rule = Some(value.clone());
            }
        }

        let mut regexes_valid = true;
        for pattern in &config.allow_origin_regex {
            if let Err(e) = Regex::new(pattern) {
                regexes_valid = false;
                errors.push(ConfigError::InvalidRegex {
                    pattern: pattern.clone(),
                    message: e.to_string(),
                });
            }
        }
        if regexes_valid && !config.allow_origin_regex.is_empty() {
            match OriginRegexes::new(&config.allow_origin_regex) {
                Ok(regexes) => origins.set_regex(regexes),
                // Each pattern parsed; together, in ASCII mode, they did not
                // compile.
                Err(message) => errors.push(ConfigError::InvalidRegex {
                    pattern: config.allow_origin_regex.join(" | "),
                    message,
                }),
            }
        }
        if other_origin_rule.is_none() {
            other_origin_rule = config
                .allow_origin_regex
                .first()
                .cloned()
                .or_else(|| predicate.as_ref().map(|_| ANY_WITH_PREDICATE.to_owned()))
                .or_else(|| {
                    config
                        .allow_origin_lookup
                        .then(|| ANY_WITH_LOOKUP.to_owned())
                });
        }
        origins.predicate = predicate;

        if any_origin {
            if let Some(other) = other_origin_rule {
                errors.push(ConfigError::AnyOriginWithOthers { other });
            }
            if config.allow_credentials {
                errors.push(ConfigError::CredentialsWithAnyOrigin);
            }
            if config.allow_private_network {
                errors.push(ConfigError::PrivateNetworkWithAnyOrigin);
            }
        }
        if config.allow_credentials && origins.null {
            errors.push(ConfigError::CredentialsWithNullOrigin);
        }

        let mut any_method = false;
        let mut methods = ByteKeyedSet::default();
        for method in &config.allow_methods {
            if method == "*" {
                any_method = true;
            } else if !token::is_token(method.as_bytes()) {
                errors.push(ConfigError::InvalidMethod {
                    value: method.clone(),
                });
            } else if token::FORBIDDEN_METHODS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(method))
            {
                errors.push(ConfigError::ForbiddenMethod {
                    value: method.clone(),
                });
            } else if token::NORMALIZED_METHODS
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method) && m != method)
            {
                errors.push(ConfigError::MethodCase {
                    value: method.clone(),
                });
            } else {
                methods.insert(method);
            }
        }

        let mut any_header = false;
        let mut headers = CaseInsensitiveSet::default();
        for name in token::SAFELISTED_REQUEST_HEADERS {
            headers.insert(name);
        }
        for name in &config.allow_headers {
            let lower = name.to_ascii_lowercase();
            if name == "*" {
                any_header = true;
            } else if !token::is_token(name.as_bytes()) {
                errors.push(ConfigError::InvalidHeaderName {
                    key: "allow_headers",
                    value: name.clone(),
                });
            } else if token::is_forbidden_request_header(&lower) {
                errors.push(ConfigError::ForbiddenRequestHeader {
                    value: name.clone(),
                });
            } else {
                headers.insert(&lower);
            }
        }

        let mut expose_all = false;
        let mut exposed: Vec<String> = Vec::new();
        for name in &config.expose_headers {
            let lower = name.to_ascii_lowercase();
            if name == "*" {
                expose_all = true;
            } else if !token::is_token(name.as_bytes()) {
                errors.push(ConfigError::InvalidHeaderName {
                    key: "expose_headers",
                    value: name.clone(),
                });
            } else if token::is_forbidden_response_header(&lower) {
                errors.push(ConfigError::ForbiddenResponseHeader {
                    value: name.clone(),
                });
            } else if !exposed.contains(&lower) {
                exposed.push(lower);
            }
        }
        if expose_all && config.allow_credentials {
            errors.push(ConfigError::CredentialsWithExposeAll);
        }

        if config.max_age > 86_400 {
            errors.push(ConfigError::MaxAgeOutOfRange {
                value: config.max_age,
            });
        }
        if !matches!(config.preflight_status, 200 | 204) {
            errors.push(ConfigError::InvalidPreflightStatus {
                value: config.preflight_status,
            });
        }

        if config.lookup_null_origin && !config.allow_origin_lookup {
            errors.push(ConfigError::NullLookupWithoutLookup);
        }
        if config.lookup_null_origin && config.allow_credentials {
            errors.push(ConfigError::CredentialsWithNullLookup);
        }

        if errors.len() > errors_before {
            return None;
        }

        let expose: Option<Box<str>> = if expose_all {
            Some("*".into())
        } else if exposed.is_empty() {
            None
        } else {
            Some(exposed.join(", ").into())
        };
        let max_age: Box<str> = config.max_age.to_string().into();
        let exact_only = !config.allow_origin_lookup && origins.is_exact_only();
        Some(Inner {
            any_origin,
            origins,
            credentials: config.allow_credentials,
            any_method,
            methods,
            any_header,
            headers,
            #[cfg(feature = "http")]
            http: crate::http_support::PolicyValues::new(expose.as_deref(), &max_age),
            expose,
            max_age,
            private_network: config.allow_private_network,
            preflight_status: config.preflight_status,
            block_disallowed: config.block_disallowed_origins,
            lookup: config.allow_origin_lookup,
            lookup_null: config.allow_origin_lookup && config.lookup_null_origin,
            exact_only,
        })
    }
}

impl Routes {
    /// Compiles every route of `config`, adding their problems to
    /// `errors`, each naming its route; `None` when there were any.
    fn compile(
        config: &PolicyConfig,
        predicate: Option<&OriginPredicate>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Routes> {
        let errors_before = errors.len();
        let mut table = RouteTable::default();
        let mut policies = Vec::with_capacity(config.routes.len());
        let mut paths = Vec::with_capacity(config.routes.len());
        for (index, route) in config.routes.iter().enumerate() {
            let mut own: Vec<ConfigError> = route.unknown_key_errors().collect();
            if route.paths.is_empty() {
                own.push(ConfigError::NoPaths);
            }
            for value in &route.paths {
                match PathPattern::parse(value) {
                    Ok(pattern) => {
                        if let Err(other) = table.insert(&pattern, index) {
                            own.push(ConfigError::DuplicatePath {
                                value: value.clone(),
                                other,
                            });
                        }
                    }
                    Err(problem) => own.push(ConfigError::InvalidPath {
                        value: value.clone(),
                        problem,
                    }),
                }
            }
            let (resolved, inherited) = route.resolve(config);
            // The predicate goes with the origin rules: a route that sets
            // its own origins does not inherit it.
            let origins_inherited =
                inherited.contains(&"allow_origins") && inherited.contains(&"allow_origin_regex");
            let predicate = predicate.filter(|_| origins_inherited).cloned();
            let mut problems = Vec::new();
            let compiled = Inner::compile(&resolved, predicate, &mut problems);
            // A problem made only of inherited values is the top level's,
            // already reported there.
            own.extend(
                problems
                    .into_iter()
                    .filter(|problem| problem.keys().iter().any(|key| !inherited.contains(key))),
            );
            errors.extend(own.into_iter().map(|error| ConfigError::Route {
                index,
                error: Box::new(error),
                inherited: inherited.clone(),
            }));
            if let Some(compiled) = compiled {
                policies.push(compiled);
            }
            paths.push(route.paths.clone());
        }
        (errors.len() == errors_before).then_some(Routes {
            table,
            paths,
            policies,
        })
    }
}

/// The `Access-Control-Allow-Origin` value for an allowed origin.
const ANY: &str = "*";

impl Inner {
    fn decision<'a>(&'a self, kind: RequestKind, vary: Vary) -> Decision<'a> {
        Decision::new(
            kind,
            vary,
            #[cfg(feature = "http")]
            &self.http,
        )
    }

    /// The `Vary` names of responses to requests that are not preflights.
    fn actual_vary(&self) -> Vary {
        if self.any_origin {
            Vary::NONE
        } else {
            Vary::ORIGIN
        }
    }

    fn not_cors(&self) -> Decision<'_> {
        let mut decision = self.decision(RequestKind::NotCors, self.actual_vary());
        if self.any_origin {
            // Same answer as for a CORS request, so that a cache may hand
            // this response to one.
            self.push_actual_headers(&mut decision, ANY);
        }
        decision
    }

    fn actual<'a>(&'a self, request: &RequestParts<'a>, lookup: Lookup) -> Decision<'a> {
        let mut decision = self.decision(RequestKind::Actual, self.actual_vary());
        match self.check_origin(request, lookup) {
            Ok(allow_origin) => self.push_actual_headers(&mut decision, allow_origin),
            Err(Denied::Refused(refusal)) => decision.refuse(refusal, self.block_disallowed),
            Err(Denied::Unlisted(origin)) => {
                decision.refuse_unlisted(origin, self.block_disallowed)
            }
            Err(Denied::MethodNotAllowed(method)) => {
                decision.refuse_method(method, self.block_disallowed)
            }
            Err(Denied::Ask(origin)) => decision.ask(origin, request),
        }
        decision
    }

    /// The answer for a path that may mean another path: no grant. The
    /// answer does not depend on the origin.
    fn ambiguous<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        let refusal = Refusal::AmbiguousPath(request.path().as_bytes());
        if request.origin == Field::Absent {
            self.decision(RequestKind::NotCors, Vary::ORIGIN)
        } else if request.is_preflight() {
            let mut decision = self.decision(RequestKind::Preflight, Vary::PREFLIGHT);
            decision.refuse(refusal, true);
            decision
        } else {
            let mut decision = self.decision(RequestKind::Actual, Vary::ORIGIN);
            decision.refuse(refusal, false);
            decision
        }
    }

    fn push_actual_headers<'a>(&'a self, decision: &mut Decision<'a>, allow_origin: &'a str) {
        decision.push(ResponseHeader::AllowOrigin, allow_origin);
        if self.credentials {
            decision.push(ResponseHeader::AllowCredentials, "true");
        }
        if let Some(expose) = &self.expose {
            decision.push(ResponseHeader::ExposeHeaders, expose);
        }
    }

    fn preflight<'a>(&'a self, request: &RequestParts<'a>, lookup: Lookup) -> Decision<'a> {
        let vary = if self.private_network {
            Vary::PREFLIGHT_PRIVATE_NETWORK
        } else {
            Vary::PREFLIGHT
        };
        let mut decision = self.decision(RequestKind::Preflight, vary);
        match self.check_preflight(request, lookup, &mut decision) {
            Ok(()) => {}
            Err(Denied::Refused(refusal)) => decision.refuse(refusal, true),
            Err(Denied::Unlisted(origin)) => decision.refuse_unlisted(origin, true),
            Err(Denied::MethodNotAllowed(method)) => decision.refuse_method(method, true),
            Err(Denied::Ask(origin)) => decision.ask(origin, request),
        }
        decision
    }

    /// Checks a preflight in the order a reader would: origin, method,
    /// headers, private network; fills in the headers of an allowed answer.
    fn check_preflight<'a>(
        &'a self,
        request: &RequestParts<'a>,
        lookup: Lookup,
        decision: &mut Decision<'a>,
    ) -> Result<(), Denied<'a>> {
        let allow_origin = self.check_origin(request, lookup)?;

        let bytes = match request.request_method {
            Field::One(bytes) => bytes,
            _ => return Err(Refusal::MalformedRequestMethod(b"").into()),
        };
        // A configured method is a token: found by its bytes, it needs no
        // check, and the stored text is the one to echo.
        let method = match self.methods.get(bytes) {
            Some(method) => method,
            None => {
                if !token::is_token(bytes) {
                    return Err(Refusal::MalformedRequestMethod(bytes).into());
                }
                if !(self.any_method || token::is_safelisted_method(bytes)) {
                    // Refused: its text is read only if the refusal is.
                    return Err(Denied::MethodNotAllowed(bytes));
                }
                // A token is ASCII: this always reads it.
                match std::str::from_utf8(bytes) {
                    Ok(method) => method,
                    Err(_) => return Err(Refusal::MalformedRequestMethod(bytes).into()),
                }
            }
        };

        let lines = &request.request_headers;
        let requested =
            header_list::check(lines, |name| self.any_header || self.headers.contains(name))
                .map_err(|e| match e {
                    ListError::Malformed => Refusal::MalformedRequestHeaders,
                    ListError::TooMany => Refusal::TooManyRequestHeaders,
                    ListError::NotAllowed(name) => {
                        Refusal::HeaderNotAllowed(std::str::from_utf8(name).unwrap_or_default())
                    }
                })?;

        let private_network = request.request_private_network == PrivateNetwork::True;
        if private_network && !self.private_network {
            return Err(Refusal::PrivateNetworkNotAllowed.into());
        }

        decision.action = crate::Action::Respond {
            status: self.preflight_status,
            body: "",
        };
        decision.push(ResponseHeader::AllowOrigin, allow_origin);
        if self.credentials {
            decision.push(ResponseHeader::AllowCredentials, "true");
        }
        decision.push(ResponseHeader::AllowMethods, method);
        if requested > 0 {
            for line in lines.iter() {
                let line = header_list::trim_ows(line);
                if let (false, Ok(line)) = (line.is_empty(), std::str::from_utf8(line)) {
                    decision.push(ResponseHeader::AllowHeaders, line);
                }
            }
        }
        decision.push(ResponseHeader::MaxAge, &self.max_age);
        if private_network {
            decision.push(ResponseHeader::AllowPrivateNetwork, "true");
        }
        Ok(())
    }

    /// The `Access-Control-Allow-Origin` value for the request's origin, or
    /// why there is none.
    fn check_origin<'a>(
        &'a self,
        request: &RequestParts<'a>,
        lookup: Lookup,
    ) -> Result<&'a str, Denied<'a>> {
        if self.any_origin {
            // The answer does not depend on the origin, whatever was sent.
            return Ok(ANY);
        }
        let bytes = match request.origin {
            Field::One(bytes) => bytes,
            _ => return Err(Refusal::MultipleOrigins.into()),
        };
        if bytes == b"null" {
            return if self.origins.null {
                Ok("null")
            } else {
                self.refer("null", self.lookup_null, lookup)
            };
        }
        if let Some(origin) = self.origins.exact(bytes) {
            // Configured origins are serialized origins, so this is one.
            return Ok(origin);
        }
        if self.exact_only {
            // Nothing else could allow it: a refusal whichever it is, and
            // parsing it would only say which.
            return Err(Denied::Unlisted(bytes));
        }
        let Some((text, parsed)) = origin::parse_request_origin(bytes) else {
            return Err(Refusal::MalformedOrigin(bytes).into());
        };
        if self.origins.allows(text, &parsed, request) {
            Ok(text)
        } else {
            self.refer(text, self.lookup, lookup)
        }
    }

    /// An origin no rule allows: refused, unless `referred` to the lookup,
    /// which is asked or has answered.
    fn refer<'a>(
        &self,
        origin: &'a str,
        referred: bool,
        lookup: Lookup,
    ) -> Result<&'a str, Denied<'a>> {
        match (referred, lookup) {
            (true, Lookup::Ask) => Err(Denied::Ask(origin)),
            (true, Lookup::Answered(true)) => Ok(origin),
            _ => Err(Refusal::OriginNotAllowed(origin).into()),
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut methods: Vec<&str> = self.methods.iter().collect();
        methods.sort_unstable();
        let mut headers: Vec<&str> = self.headers.iter().collect();
        headers.sort_unstable();
        f.debug_struct("Policy")
            .field("any_origin", &self.any_origin)
            .field("origins", &self.origins)
            .field("credentials", &self.credentials)
            .field("any_method", &self.any_method)
            .field("methods", &methods)
            .field("any_header", &self.any_header)
            .field("headers", &headers)
            .field("expose", &self.expose)
            .field("max_age", &self.max_age)
            .field("private_network", &self.private_network)
            .field("preflight_status", &self.preflight_status)
            .field("block_disallowed", &self.block_disallowed)
            .field("origin_lookup", &self.lookup)
            .field("lookup_null_origin", &self.lookup_null)
            .finish()
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compiled = &*self.inner;
        match &compiled.routes {
            None => compiled.top.fmt(f),
            Some(routes) => {
                let routes: Vec<(&Vec<String>, &Inner)> =
                    routes.paths.iter().zip(&routes.policies).collect();
                f.debug_struct("Policy")
                    .field("top", &compiled.top)
                    .field("routes", &routes)
                    .finish()
            }
        }
    }
}

/// Deserializes the keys of [`PolicyConfig`] and validates them; the error
/// lists every problem.
impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PolicyConfig::deserialize(deserializer)?
            .build()
            .map_err(serde::de::Error::custom)
    }
}

// A policy is shared between threads and services.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Policy>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_gives_nothing_exactly_when_it_found_a_problem() {
        let mut valid = PolicyConfig::default();
        valid.allow_origins = vec!["https://a.example".into()];
        let mut invalid = valid.clone();
        invalid.max_age = 86_401;
        let mut errors = Vec::new();
        assert!(Inner::compile(&invalid, None, &mut errors).is_none());
        assert_eq!(errors, [ConfigError::MaxAgeOutOfRange { value: 86_401 }]);
        // Problems found before, elsewhere in the configuration, are not
        // this policy's: it compiles, and they are left as they were.
        let mut errors = vec![ConfigError::NoPaths];
        assert!(Inner::compile(&valid, None, &mut errors).is_some());
        assert_eq!(errors, [ConfigError::NoPaths]);
        assert!(Inner::compile(&invalid, None, &mut errors).is_none());
        assert_eq!(
            errors,
            [
                ConfigError::NoPaths,
                ConfigError::MaxAgeOutOfRange { value: 86_401 }
            ]
        );
    }
}
