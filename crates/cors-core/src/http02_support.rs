//! Conversions for `http` 0.2 (feature `http02`), the types of actix-web 4
//! and Rocket 0.5: the one copy both adapters use.
//!
//! Neither framework hands out an `http` 0.2 `HeaderMap` (actix-web has its
//! own multimap, Rocket its own typed headers), so requests are read
//! through a lookup function, [`RequestParts::from_http02_lookup`], and a
//! decision's headers come out as `http` 0.2 names and values
//! ([`Decision::http02_headers`], [`Decision::forward_headers_http02`]),
//! with the policy's own values converted once, when it was built.

use http02::header::{self, HeaderName, HeaderValue};

use crate::decision::{Action, Decision, ResponseHeader};
use crate::request::RequestParts;

/// The policy's fixed header values as `http` 0.2 values, converted once.
#[derive(Debug)]
pub(crate) struct PolicyValues02 {
    expose: Option<HeaderValue>,
    max_age: HeaderValue,
}

impl PolicyValues02 {
    pub(crate) fn new(expose: Option<&str>, max_age: &str) -> Self {
        PolicyValues02 {
            // Both were validated as tokens and digits.
            expose: expose.and_then(|v| HeaderValue::from_str(v).ok()),
            max_age: HeaderValue::from_str(max_age).unwrap_or(HeaderValue::from_static("0")),
        }
    }
}

/// `Access-Control-Request-Private-Network`, which `http` 0.2 does not name.
pub const ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");

/// `Access-Control-Allow-Private-Network`, which `http` 0.2 does not name.
const ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

impl ResponseHeader {
    /// The header name as an `http` 0.2 [`HeaderName`], without parsing or
    /// allocating.
    ///
    /// ```
    /// use cors_core::ResponseHeader;
    ///
    /// assert_eq!(ResponseHeader::AllowOrigin.to_http02().as_str(), "access-control-allow-origin");
    /// ```
    pub fn to_http02(self) -> HeaderName {
        match self {
            ResponseHeader::AllowOrigin => header::ACCESS_CONTROL_ALLOW_ORIGIN,
            ResponseHeader::AllowCredentials => header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            ResponseHeader::AllowMethods => header::ACCESS_CONTROL_ALLOW_METHODS,
            ResponseHeader::AllowHeaders => header::ACCESS_CONTROL_ALLOW_HEADERS,
            ResponseHeader::MaxAge => header::ACCESS_CONTROL_MAX_AGE,
            ResponseHeader::AllowPrivateNetwork => ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK,
            ResponseHeader::ExposeHeaders => header::ACCESS_CONTROL_EXPOSE_HEADERS,
            ResponseHeader::ContentType => header::CONTENT_TYPE,
        }
    }
}

impl<'a> RequestParts<'a> {
    /// Reads a request through `values`, which gives every value of a
    /// header (`http` 0.2 names: actix-web's `get_all`, or Rocket's `get`
    /// with [`HeaderName::as_str`]). `Origin` is always asked for; the
    /// preflight headers only when the request may be a preflight.
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let mut headers = http02::HeaderMap::new();
    /// headers.insert("origin", "https://a.example".parse().unwrap());
    /// let request = RequestParts::from_http02_lookup("GET", "/items", |name| {
    ///     headers.get_all(name).iter().map(|v| v.as_bytes())
    /// });
    /// assert_eq!(request.path(), "/items");
    /// assert!(!request.reads_preflight_headers());
    /// ```
    pub fn from_http02_lookup<I>(
        method: &'a str,
        path: &'a str,
        mut values: impl FnMut(&HeaderName) -> I,
    ) -> Self
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut parts = RequestParts::new(method).with_path(path);
        for value in values(&header::ORIGIN) {
            parts.add_http02_header(&header::ORIGIN, value);
        }
        if !parts.reads_preflight_headers() {
            return parts;
        }
        for name in [
            header::ACCESS_CONTROL_REQUEST_METHOD,
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK,
        ] {
            for value in values(&name) {
                parts.add_http02_header(&name, value);
            }
        }
        parts
    }

    /// Records one header line by its `http` 0.2 name: the same as
    /// [`add_header`](RequestParts::add_header), comparing names rather
    /// than texts. For an adapter that walks a request's lines once
    /// instead of looking each CORS header up (a lookup hashes the name).
    ///
    /// ```
    /// use cors_core::RequestParts;
    /// use http02::header::{ACCEPT, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};
    ///
    /// let mut request = RequestParts::new("OPTIONS");
    /// request.add_http02_header(&ORIGIN, b"https://a.example");
    /// request.add_http02_header(&ACCEPT, b"*/*"); // not read
    /// assert!(!request.is_preflight());
    /// request.add_http02_header(&ACCESS_CONTROL_REQUEST_METHOD, b"PUT");
    /// assert!(request.is_preflight());
    /// ```
    pub fn add_http02_header(&mut self, name: &HeaderName, value: &'a [u8]) {
        if *name == header::ORIGIN {
            self.origin.push(value);
        } else if *name == header::ACCESS_CONTROL_REQUEST_METHOD {
            self.request_method.push(value);
        } else if *name == header::ACCESS_CONTROL_REQUEST_HEADERS {
            self.request_headers.push(value);
        } else if *name == ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK {
            self.request_private_network.push(value);
        }
    }
}

impl Decision<'_> {
    /// The decision's headers as `http` 0.2 names and values. The values
    /// the decision echoes from the request (`Access-Control-Allow-Origin`
    /// from `Origin`, `Access-Control-Allow-Headers` from
    /// `Access-Control-Request-Headers`) are first asked of `request`
    /// (the request header's name and the value wanted), so that an
    /// adapter can share the request's own value instead of copying it;
    /// the policy's values are shared, fixed texts are static.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://a.example");
    /// let decision = policy.evaluate(&request);
    /// let headers: Vec<_> = decision.http02_headers(|_, _| None).collect();
    /// assert_eq!(headers[0].0, "access-control-allow-origin");
    /// assert_eq!(headers[0].1, "https://a.example");
    /// ```
    pub fn http02_headers<'s>(
        &'s self,
        mut request: impl FnMut(&HeaderName, &[u8]) -> Option<HeaderValue> + 's,
    ) -> impl Iterator<Item = (HeaderName, HeaderValue)> + 's {
        self.headers().iter().filter_map(move |&(name, value)| {
            let echoed = match name {
                ResponseHeader::AllowOrigin => request(&header::ORIGIN, value.as_bytes()),
                ResponseHeader::AllowHeaders => {
                    request(&header::ACCESS_CONTROL_REQUEST_HEADERS, value.as_bytes())
                }
                _ => None,
            };
            let value = echoed.or_else(|| self.http02_value(name, value))?;
            Some((name.to_http02(), value))
        })
    }

    /// For a decision that lets the handler run, its headers detached from
    /// the request and the policy (see [`Decision::http02_headers`] for
    /// `request`); `None` for a decision that answers now.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://a.example");
    /// let mut forward = policy.evaluate(&request).forward_headers_http02(|_, _| None).unwrap();
    /// let mut count = 0;
    /// let vary = forward.take(|_, _| count += 1);
    /// assert_eq!(count, 1);
    /// assert_eq!(vary.merge([]), Some("Origin"));
    /// ```
    pub fn forward_headers_http02(
        &self,
        mut request: impl FnMut(&HeaderName, &[u8]) -> Option<HeaderValue>,
    ) -> Option<ForwardHeaders02> {
        if self.action() != Action::Forward {
            return None;
        }
        let mut forward = ForwardHeaders02 {
            allow_origin: None,
            expose: None,
            credentials: false,
            vary: self.vary(),
        };
        for &(name, value) in self.headers() {
            match name {
                ResponseHeader::AllowOrigin => {
                    forward.allow_origin = request(&header::ORIGIN, value.as_bytes())
                        .or_else(|| self.http02_value(name, value));
                }
                ResponseHeader::AllowCredentials => forward.credentials = true,
                ResponseHeader::ExposeHeaders => forward.expose = self.http.http02.expose.clone(),
                // A decision that lets the handler run sets no other
                // header (the engine's tests check it).
                _ => {}
            }
        }
        Some(forward)
    }

    /// The value of one header, reusing the policy's converted values.
    fn http02_value(&self, name: ResponseHeader, value: &str) -> Option<HeaderValue> {
        let policy = &self.http.http02;
        match name {
            ResponseHeader::ExposeHeaders => policy.expose.clone(),
            ResponseHeader::MaxAge => Some(policy.max_age.clone()),
            _ => Some(match value {
                "*" => fixed::STAR,
                "true" => fixed::TRUE,
                "null" => fixed::NULL,
                "text/plain; charset=utf-8" => fixed::TEXT_PLAIN,
                // The methods an `Access-Control-Allow-Methods` echoes most.
                "GET" => fixed::GET,
                "POST" => fixed::POST,
                "PUT" => fixed::PUT,
                "PATCH" => fixed::PATCH,
                "DELETE" => fixed::DELETE,
                // Request values echoed back were validated (origin, token,
                // list of tokens), so this conversion cannot fail; one that
                // did would be left out rather than sent malformed.
                _ => HeaderValue::from_str(value).ok()?,
            }),
        }
    }
}

impl crate::Vary {
    /// [`Vary::merge`](crate::Vary::merge) for `http` 0.2 values: the
    /// value to append as a new `Vary` line, given the lines present.
    ///
    /// ```
    /// use cors_core::Vary;
    ///
    /// let existing = http02::HeaderValue::from_static("accept-encoding");
    /// assert_eq!(Vary::ORIGIN.merge_http02([&existing]).unwrap(), "Origin");
    /// assert!(Vary::ORIGIN.merge_http02([&http02::HeaderValue::from_static("*")]).is_none());
    /// ```
    pub fn merge_http02<'v>(
        self,
        existing: impl IntoIterator<Item = &'v HeaderValue>,
    ) -> Option<HeaderValue> {
        self.missing(existing.into_iter().map(HeaderValue::as_bytes))
            .map(fixed::vary)
    }
}

/// The `http` 0.2 headers for the response of a request the handler ran,
/// detached from the request: see [`Decision::forward_headers_http02`].
///
/// A decision that lets the handler run sets at most
/// `Access-Control-Allow-Origin`, `-Allow-Credentials` (always `true`) and
/// `-Expose-Headers`: kept as two values and a flag, so that this set,
/// which travels with the handler's future, stays small.
#[derive(Debug, Clone)]
pub struct ForwardHeaders02 {
    allow_origin: Option<HeaderValue>,
    expose: Option<HeaderValue>,
    credentials: bool,
    vary: crate::Vary,
}

impl ForwardHeaders02 {
    /// Takes the headers out of the set, leaving it empty: hands each to
    /// `append`, in order, and returns the names to merge into `Vary`.
    /// (A callback rather than an iterator: the three are handed on
    /// without an iterator's state between them.)
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://a.example");
    /// let mut forward = policy
    ///     .evaluate(&request)
    ///     .forward_headers_http02(|_, _| None)
    ///     .unwrap();
    /// let mut names = Vec::new();
    /// let vary = forward.take(|name, _| names.push(name));
    /// assert_eq!(names, ["access-control-allow-origin"]);
    /// assert_eq!(vary.merge_http02([]).unwrap(), "Origin");
    /// let mut again = 0;
    /// forward.take(|_, _| again += 1);
    /// assert_eq!(again, 0);
    /// ```
    pub fn take(&mut self, mut append: impl FnMut(HeaderName, HeaderValue)) -> crate::Vary {
        if let Some(value) = self.allow_origin.take() {
            append(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        if std::mem::take(&mut self.credentials) {
            append(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, fixed::TRUE);
        }
        if let Some(value) = self.expose.take() {
            append(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
        }
        self.vary
    }
}

/// The fixed values, built at compile time (`from_static` checks its text
/// byte by byte when called at run time).
mod fixed {
    use super::HeaderValue;
    use crate::Vary;

    pub(super) const STAR: HeaderValue = HeaderValue::from_static("*");
    pub(super) const TRUE: HeaderValue = HeaderValue::from_static("true");
    pub(super) const NULL: HeaderValue = HeaderValue::from_static("null");
    pub(super) const TEXT_PLAIN: HeaderValue =
        HeaderValue::from_static("text/plain; charset=utf-8");
    pub(super) const GET: HeaderValue = HeaderValue::from_static("GET");
    pub(super) const POST: HeaderValue = HeaderValue::from_static("POST");
    pub(super) const PUT: HeaderValue = HeaderValue::from_static("PUT");
    pub(super) const PATCH: HeaderValue = HeaderValue::from_static("PATCH");
    pub(super) const DELETE: HeaderValue = HeaderValue::from_static("DELETE");

    /// Names to add to `Vary`, as a header value: the common ones built at
    /// compile time, picked by their set rather than by comparing texts.
    pub(super) fn vary(names: Vary) -> HeaderValue {
        const VARY_ORIGIN: HeaderValue = HeaderValue::from_static(Vary::ORIGIN.as_str());
        const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(Vary::PREFLIGHT.as_str());
        match names {
            Vary::ORIGIN => VARY_ORIGIN,
            Vary::PREFLIGHT => VARY_PREFLIGHT,
            other => HeaderValue::from_static(other.as_str()),
        }
    }
}
