//! The policy: validated once, then asked about every request.

use std::fmt;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Deserializer};

use crate::config::PolicyConfig;
use crate::decision::{Decision, Refusal, RequestKind, ResponseHeader, Vary};
use crate::error::{ConfigError, ConfigErrors};
use crate::header_list::{self, ListError};
use crate::matcher::{OriginMatcher, OriginPredicate, OriginRegexes};
use crate::origin;
use crate::request::{Field, RequestParts};
use crate::set::{CaseInsensitiveSet, StrSet};
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
    inner: Arc<Inner>,
}

/// The compiled policy.
pub(crate) struct Inner {
    /// `"*"`: every origin, answered with `Access-Control-Allow-Origin: *`.
    any_origin: bool,
    origins: OriginMatcher,
    credentials: bool,
    any_method: bool,
    methods: StrSet,
    any_header: bool,
    headers: CaseInsensitiveSet,
    /// The `Access-Control-Expose-Headers` value, when there is one.
    expose: Option<Box<str>>,
    /// The `Access-Control-Max-Age` value.
    max_age: Box<str>,
    private_network: bool,
    preflight_status: u16,
    block_disallowed: bool,
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
                .or_else(|| predicate.as_ref().map(|_| "an origin predicate".to_owned()));
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
        let mut methods = StrSet::default();
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
                methods.insert(method.as_str().into());
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

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }

        let expose: Option<Box<str>> = if expose_all {
            Some("*".into())
        } else if exposed.is_empty() {
            None
        } else {
            Some(exposed.join(", ").into())
        };
        let max_age: Box<str> = config.max_age.to_string().into();
        Ok(Policy {
            inner: Arc::new(Inner {
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
            }),
        })
    }

    /// Whether the policy allows every origin (`allow_origins = ["*"]`), so
    /// that responses carry `Access-Control-Allow-Origin: *` and do not vary
    /// on `Origin`.
    pub fn allows_any_origin(&self) -> bool {
        self.inner.any_origin
    }

    /// Whether the policy allows credentials.
    pub fn allows_credentials(&self) -> bool {
        self.inner.credentials
    }

    /// Decides what to do with a request. Pure, allocation-free (see the
    /// [crate docs](crate#cost)), and linear in the size of the request's
    /// CORS headers.
    pub fn evaluate<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        let inner: &'a Inner = &self.inner;
        if request.origin == Field::Absent {
            return inner.not_cors();
        }
        if request.is_preflight() {
            inner.preflight(request)
        } else {
            inner.actual(request)
        }
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

    fn actual<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        let mut decision = self.decision(RequestKind::Actual, self.actual_vary());
        match self.check_origin(request) {
            Ok(allow_origin) => self.push_actual_headers(&mut decision, allow_origin),
            Err(refusal) => decision.refuse(refusal, self.block_disallowed),
        }
        decision
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

    fn preflight<'a>(&'a self, request: &RequestParts<'a>) -> Decision<'a> {
        let vary = if self.private_network {
            Vary::PREFLIGHT_PRIVATE_NETWORK
        } else {
            Vary::PREFLIGHT
        };
        let mut decision = self.decision(RequestKind::Preflight, vary);
        if let Err(refusal) = self.check_preflight(request, &mut decision) {
            decision.refuse(refusal, true);
        }
        decision
    }

    /// Checks a preflight in the order a reader would: origin, method,
    /// headers, private network; fills in the headers of an allowed answer.
    fn check_preflight<'a>(
        &'a self,
        request: &RequestParts<'a>,
        decision: &mut Decision<'a>,
    ) -> Result<(), Refusal<'a>> {
        let allow_origin = self.check_origin(request)?;

        let method = match request.request_method {
            Field::One(bytes) if token::is_token(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| Refusal::MalformedRequestMethod(bytes))?
            }
            Field::One(bytes) => return Err(Refusal::MalformedRequestMethod(bytes)),
            _ => return Err(Refusal::MalformedRequestMethod(b"")),
        };
        if !(self.any_method
            || token::is_safelisted_method(method)
            || self.methods.contains(method))
        {
            return Err(Refusal::MethodNotAllowed(method));
        }

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

        let private_network = request.request_private_network == Field::One(b"true");
        if private_network && !self.private_network {
            return Err(Refusal::PrivateNetworkNotAllowed);
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
            for line in lines.as_slice() {
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
    fn check_origin<'a>(&'a self, request: &RequestParts<'a>) -> Result<&'a str, Refusal<'a>> {
        if self.any_origin {
            // The answer does not depend on the origin, whatever was sent.
            return Ok(ANY);
        }
        let bytes = match request.origin {
            Field::One(bytes) => bytes,
            _ => return Err(Refusal::MultipleOrigins),
        };
        if bytes == b"null" {
            return if self.origins.null {
                Ok("null")
            } else {
                Err(Refusal::OriginNotAllowed("null"))
            };
        }
        if self.origins.is_exact(bytes) {
            // Configured origins are serialized origins, so this is one.
            return std::str::from_utf8(bytes).map_err(|_| Refusal::MalformedOrigin(bytes));
        }
        let Some((text, parsed)) = origin::parse_request_origin(bytes) else {
            return Err(Refusal::MalformedOrigin(bytes));
        };
        if self.origins.allows(text, &parsed, request) {
            Ok(text)
        } else {
            Err(Refusal::OriginNotAllowed(text))
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut methods: Vec<&str> = inner.methods.iter().map(|m| &**m).collect();
        methods.sort_unstable();
        let mut headers: Vec<&str> = inner.headers.iter().collect();
        headers.sort_unstable();
        f.debug_struct("Policy")
            .field("any_origin", &inner.any_origin)
            .field("origins", &inner.origins)
            .field("credentials", &inner.credentials)
            .field("any_method", &inner.any_method)
            .field("methods", &methods)
            .field("any_header", &inner.any_header)
            .field("headers", &headers)
            .field("expose", &inner.expose)
            .field("max_age", &inner.max_age)
            .field("private_network", &inner.private_network)
            .field("preflight_status", &inner.preflight_status)
            .field("block_disallowed", &inner.block_disallowed)
            .finish()
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
