//! Conversions for `http` 1.x (feature `http`).
//!
//! The axum and warp adapters, and anything built on hyper or tower, hold
//! `http::request::Parts` and `http::HeaderMap`; these functions read the
//! four CORS request headers from the map (`Origin` by lookup, all four
//! of an `OPTIONS` request in one walk over its lines) and apply a
//! decision to a response's map, sharing the request's values where the
//! decision echoes them.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::decision::{Action, Decision, ResponseHeader};
use crate::request::RequestParts;

/// The policy's fixed header values, converted once.
#[derive(Debug)]
pub(crate) struct PolicyValues {
    expose: Option<HeaderValue>,
    max_age: HeaderValue,
    /// The same, as `http` 0.2 values.
    #[cfg(feature = "http02")]
    pub(crate) http02: crate::http02_support::PolicyValues02,
}

impl PolicyValues {
    pub(crate) fn new(expose: Option<&str>, max_age: &str) -> Self {
        PolicyValues {
            // Both were validated as tokens and digits.
            expose: expose.and_then(|v| HeaderValue::from_str(v).ok()),
            max_age: HeaderValue::from_str(max_age).unwrap_or(HeaderValue::from_static("0")),
            #[cfg(feature = "http02")]
            http02: crate::http02_support::PolicyValues02::new(expose, max_age),
        }
    }
}

/// The request's own values for the headers a decision echoes (its
/// `Origin`, and its `Access-Control-Request-Headers` line), kept by
/// [`RequestParts::from_http_headers`]: a response shares their bytes (a
/// reference count) instead of copying and checking them again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Echoes<'a> {
    origin: Option<&'a HeaderValue>,
    /// The first line; a list split over more lines (by an intermediary)
    /// has the others copied.
    request_headers: Option<&'a HeaderValue>,
}

impl<'a> Echoes<'a> {
    pub(crate) const NONE: Echoes<'static> = Echoes {
        origin: None,
        request_headers: None,
    };

    /// The request's value for `name`, if it is `text`.
    fn get(&self, name: ResponseHeader, text: &str) -> Option<HeaderValue> {
        let value = match name {
            ResponseHeader::AllowOrigin => self.origin,
            ResponseHeader::AllowHeaders => self.request_headers,
            _ => None,
        }?;
        (value.as_bytes() == text.as_bytes()).then(|| value.clone())
    }
}

const ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");
const ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");

impl ResponseHeader {
    /// The header name as an `http` 1.x [`HeaderName`].
    pub fn to_http(self) -> HeaderName {
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
    /// Reads the parts of an `http` 1.x request.
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let request = http::Request::get("/api")
    ///     .header("origin", "https://app.example.com")
    ///     .body(())
    ///     .unwrap();
    /// let (parts, _body) = request.into_parts();
    /// let request = RequestParts::from_http(&parts);
    /// assert_eq!(request.path(), "/api");
    /// ```
    pub fn from_http(parts: &'a http::request::Parts) -> Self {
        Self::from_http_headers(&parts.method, parts.uri.path(), &parts.headers)
    }

    /// Reads a method, a path and an `http` 1.x header map. The parts keep
    /// the map's `Origin` value and first `Access-Control-Request-Headers`
    /// line, so that a decision that echoes them shares their bytes.
    pub fn from_http_headers(
        method: &'a http::Method,
        path: &'a str,
        headers: &'a HeaderMap,
    ) -> Self {
        let mut parts = RequestParts::new(method.as_str()).with_path(path);
        parts.add_http_headers(headers);
        parts
    }

    /// Reads the CORS headers of an `http` 1.x header map into parts
    /// started with [`new`](RequestParts::new): what
    /// [`from_http_headers`](RequestParts::from_http_headers) does, for an
    /// adapter that keeps the parts in a place of its own (returned, the
    /// parts, about 250 bytes, are copied once more).
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let request = http::Request::options("/items")
    ///     .header("origin", "https://a.example")
    ///     .header("access-control-request-method", "PUT")
    ///     .body(())
    ///     .unwrap();
    /// let mut parts = RequestParts::new(request.method().as_str());
    /// parts.add_http_headers(request.headers());
    /// assert!(parts.is_preflight());
    /// assert_eq!(parts.origin(), Some(&b"https://a.example"[..]));
    /// ```
    pub fn add_http_headers(&mut self, headers: &'a HeaderMap) {
        if self.method() != "OPTIONS" {
            // Only `Origin` is read: one lookup.
            for value in headers.get_all(header::ORIGIN) {
                self.origin.push(value.as_bytes());
                self.echoes.origin.get_or_insert(value);
            }
            return;
        }
        // A preflight's four headers in one walk over the lines rather
        // than four lookups, each of which hashes its name (the
        // private-network one, not a standard name, byte by byte). The
        // walk keeps each name's lines in order.
        for (name, value) in headers {
            if name == header::ORIGIN {
                self.origin.push(value.as_bytes());
                self.echoes.origin.get_or_insert(value);
            } else if name == header::ACCESS_CONTROL_REQUEST_METHOD {
                self.request_method.push(value.as_bytes());
            } else if name == header::ACCESS_CONTROL_REQUEST_HEADERS {
                self.request_headers.push(value.as_bytes());
                self.echoes.request_headers.get_or_insert(value);
            } else if name == ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK {
                self.request_private_network.push(value.as_bytes());
            }
        }
    }
}

impl Decision<'_> {
    /// Applies the decision to a response's headers: removes any CORS
    /// header already there (the policy is their only source), appends the
    /// decision's headers, and merges its names into `Vary`.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let request = http::Request::get("/").header("origin", "https://a.example").body(()).unwrap();
    /// let (parts, _) = request.into_parts();
    /// let request = RequestParts::from_http(&parts);
    ///
    /// let mut response = http::HeaderMap::new();
    /// response.insert("vary", "accept-encoding".parse().unwrap());
    /// policy.evaluate(&request).apply_to_http(&mut response);
    /// assert_eq!(response["access-control-allow-origin"], "https://a.example");
    /// let vary: Vec<_> = response.get_all("vary").iter().collect();
    /// assert_eq!(vary, ["accept-encoding", "Origin"]);
    /// ```
    pub fn apply_to_http(&self, headers: &mut HeaderMap) {
        let values = self
            .headers()
            .iter()
            .filter_map(|&(name, value)| Some((name, self.value(name, value)?)));
        apply(headers, values, self.vary());
    }

    /// For a decision that lets the handler run, the headers to add to its
    /// response as owned `http` values, so that the request can be handed
    /// to the handler (a tower service takes it by value) and the decision
    /// dropped. An echoed `Origin` read by
    /// [`RequestParts::from_http`] shares the request's value (a
    /// reference-count increment) rather than copying it. `None` for a
    /// decision that answers now.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let request = http::Request::get("/").header("origin", "https://a.example").body(()).unwrap();
    /// let (parts, body) = request.into_parts();
    /// let forward = policy
    ///     .evaluate(&RequestParts::from_http(&parts))
    ///     .forward_headers()
    ///     .expect("an actual request runs the handler");
    /// let request = http::Request::from_parts(parts, body); // free to move on
    ///
    /// let mut response = http::Response::new(());
    /// forward.apply(response.headers_mut());
    /// assert_eq!(response.headers()["access-control-allow-origin"], "https://a.example");
    /// assert_eq!(response.headers()["vary"], "Origin");
    /// # drop(request);
    /// ```
    pub fn forward_headers(&self) -> Option<ForwardHeaders> {
        if self.action() != Action::Forward {
            return None;
        }
        Some(self.forward_headers_from(|name, value| self.value(name, value)))
    }

    /// Like [`forward_headers`](Decision::forward_headers), with the value
    /// the decision echoes from the request (`Access-Control-Allow-Origin`)
    /// given by `echo` (the response header and the value wanted; `None`,
    /// or another value, falls back to what `forward_headers` uses): an
    /// adapter that holds the request's values, owned, moves them in
    /// rather than cloning them. `echo` is not asked about the policy's own
    /// values.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts, ResponseHeader};
    /// use http::HeaderValue;
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut origin = Some(HeaderValue::from_static("https://a.example"));
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://a.example");
    /// let forward = policy
    ///     .evaluate(&request)
    ///     .forward_headers_with(|name, _| match name {
    ///         ResponseHeader::AllowOrigin => origin.take(),
    ///         _ => None,
    ///     })
    ///     .unwrap();
    /// assert!(origin.is_none()); // moved into `forward`
    /// let mut response = http::HeaderMap::new();
    /// forward.apply(&mut response);
    /// assert_eq!(response["access-control-allow-origin"], "https://a.example");
    /// ```
    pub fn forward_headers_with(
        &self,
        mut echo: impl FnMut(ResponseHeader, &str) -> Option<HeaderValue>,
    ) -> Option<ForwardHeaders> {
        if self.action() != Action::Forward {
            return None;
        }
        Some(self.forward_headers_from(|name, value| {
            echo(name, value)
                .filter(|echoed| echoed.as_bytes() == value.as_bytes())
                .or_else(|| self.value(name, value))
        }))
    }

    /// The forward headers of a decision that forwards, with `value`
    /// giving the echoed ones.
    fn forward_headers_from(
        &self,
        mut value: impl FnMut(ResponseHeader, &str) -> Option<HeaderValue>,
    ) -> ForwardHeaders {
        let mut forward = ForwardHeaders {
            allow_origin: None,
            expose: None,
            credentials: false,
            vary: self.vary(),
        };
        for &(name, text) in self.headers() {
            match name {
                ResponseHeader::AllowOrigin => forward.allow_origin = value(name, text),
                ResponseHeader::AllowCredentials => forward.credentials = true,
                ResponseHeader::ExposeHeaders => forward.expose = self.http.expose.clone(),
                // A decision that lets the handler run sets no other
                // header (the engine's tests check it).
                _ => {}
            }
        }
        forward
    }

    /// Like [`to_http_response`](Decision::to_http_response), with the
    /// values the decision echoes from the request given by `echo`, as in
    /// [`forward_headers_with`](Decision::forward_headers_with).
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts, ResponseHeader};
    /// use http::HeaderValue;
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut origin = Some(HeaderValue::from_static("https://a.example"));
    /// let mut request = RequestParts::new("OPTIONS");
    /// request.add_header("origin", b"https://a.example");
    /// request.add_header("access-control-request-method", b"GET");
    /// let response = policy
    ///     .evaluate(&request)
    ///     .to_http_response_with(|name, _| match name {
    ///         ResponseHeader::AllowOrigin => origin.take(),
    ///         _ => None,
    ///     }, |_| ())
    ///     .unwrap();
    /// assert_eq!(response.status(), 204);
    /// assert_eq!(response.headers()["access-control-allow-origin"], "https://a.example");
    /// ```
    pub fn to_http_response_with<B>(
        &self,
        mut echo: impl FnMut(ResponseHeader, &str) -> Option<HeaderValue>,
        body: impl FnOnce(&'static str) -> B,
    ) -> Option<http::Response<B>> {
        let Action::Respond { status, body: text } = self.action() else {
            return None;
        };
        let mut response = self.answer(status, body(text));
        let values = self.headers().iter().filter_map(|&(name, value)| {
            let value = echo(name, value)
                .filter(|echoed| echoed.as_bytes() == value.as_bytes())
                .or_else(|| self.value(name, value))?;
            Some((name, value))
        });
        apply(response.headers_mut(), values, self.vary());
        Some(response)
    }

    /// For a decision that answers now, the complete response, with `body`
    /// turning the decision's text into the body type; `None` when the
    /// handler should run. Values echoed from a request read by
    /// [`RequestParts::from_http`] (`Access-Control-Allow-Origin`,
    /// `Access-Control-Allow-Headers`) share the request's bytes (a
    /// reference-count increment) rather than copying them.
    ///
    /// ```
    /// use cors_core::{Policy, RequestParts};
    ///
    /// let policy = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
    /// let mut request = RequestParts::new("OPTIONS");
    /// request.add_header("origin", b"https://evil.example");
    /// request.add_header("access-control-request-method", b"GET");
    /// let response = policy.evaluate(&request).to_http_response(String::from).unwrap();
    /// assert_eq!(response.status(), 403);
    /// assert!(response.headers().get("access-control-allow-origin").is_none());
    /// ```
    pub fn to_http_response<B>(
        &self,
        body: impl FnOnce(&'static str) -> B,
    ) -> Option<http::Response<B>> {
        let Action::Respond { status, body: text } = self.action() else {
            return None;
        };
        let mut response = self.answer(status, body(text));
        self.apply_to_http(response.headers_mut());
        Some(response)
    }

    /// The response of a decision that answers, without its headers yet.
    /// (Its map is not sized ahead: a table with room for a preflight's
    /// headers is larger than a first one, and cost more than it saved.)
    fn answer<B>(&self, status: u16, body: B) -> http::Response<B> {
        let mut response = http::Response::new(body);
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::FORBIDDEN);
        response
    }

    /// The value of one header: the request's own, when the decision
    /// echoes it and has it; otherwise converted.
    fn value(&self, name: ResponseHeader, text: &str) -> Option<HeaderValue> {
        self.echoes
            .get(name, text)
            .or_else(|| self.http_value(name, text))
    }

    /// The value of one header, reusing the policy's converted values.
    fn http_value(&self, name: ResponseHeader, value: &str) -> Option<HeaderValue> {
        match name {
            ResponseHeader::ExposeHeaders => self.http.expose.clone(),
            ResponseHeader::MaxAge => Some(self.http.max_age.clone()),
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
                // list of tokens), so this conversion cannot fail.
                _ => HeaderValue::from_str(value).ok()?,
            }),
        }
    }
}

/// The headers for the response of a request the handler ran, detached from
/// the request: see [`Decision::forward_headers`].
///
/// A decision that lets the handler run sets at most
/// `Access-Control-Allow-Origin`, `-Allow-Credentials` (always `true`) and
/// `-Expose-Headers`: kept as two values and a flag, so that this set,
/// which travels with the handler's future, stays small.
#[derive(Debug, Clone)]
pub struct ForwardHeaders {
    allow_origin: Option<HeaderValue>,
    expose: Option<HeaderValue>,
    credentials: bool,
    vary: crate::Vary,
}

impl ForwardHeaders {
    /// Applies the headers to the handler's response, as
    /// [`Decision::apply_to_http`] does: removes any CORS header the
    /// handler set, appends these, and merges `Vary`.
    pub fn apply(mut self, headers: &mut HeaderMap) {
        let has_vary = remove_cors_headers(headers);
        if let Some(value) = self.allow_origin.take() {
            headers.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        if self.credentials {
            headers.append(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, fixed::TRUE);
        }
        if let Some(value) = self.expose.take() {
            headers.append(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
        }
        merge_vary(headers, self.vary, has_vary);
    }
}

/// Removes the handler's CORS headers, appends the decision's, and merges
/// `Vary`.
fn apply(
    headers: &mut HeaderMap,
    values: impl Iterator<Item = (ResponseHeader, HeaderValue)>,
    vary: crate::Vary,
) {
    let has_vary = remove_cors_headers(headers);
    for (name, value) in values {
        headers.append(name.to_http(), value);
    }
    merge_vary(headers, vary, has_vary);
}

/// Removes every CORS response header from `headers`, and tells whether
/// it has a `Vary` header.
fn remove_cors_headers(headers: &mut HeaderMap) -> bool {
    // One pass over the names present (usually a few, none of them CORS
    // headers) rather than a lookup for each name: each lookup hashes it.
    let (mut has_cors, mut has_vary) = (false, false);
    for name in headers.keys() {
        has_cors |= ResponseHeader::may_be_cors(name.as_str().as_bytes());
        has_vary |= name == header::VARY;
    }
    if has_cors {
        for name in ResponseHeader::CORS {
            headers.remove(name.to_http());
        }
    }
    has_vary
}

/// Merges `vary`'s names into the `Vary` header, which the response has
/// when `has_vary`.
fn merge_vary(headers: &mut HeaderMap, vary: crate::Vary, has_vary: bool) {
    let merged = if has_vary {
        vary.missing(
            headers
                .get_all(header::VARY)
                .iter()
                .map(HeaderValue::as_bytes),
        )
    } else {
        vary.missing([])
    };
    if let Some(add) = merged {
        headers.append(header::VARY, fixed::vary(add));
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
