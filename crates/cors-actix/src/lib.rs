//! CORS for actix-web 4, decided by [`cors_core`].
//!
//! [`Cors`] is a middleware: wrap an `App`, a `Scope` or a `Resource` with
//! it. It answers preflights (and, with `block_disallowed_origins`, refused
//! requests) itself, so the handler never runs for them; every other
//! response, error responses included, gets the policy's headers.
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use cors_actix::Cors;
//! use cors_core::Policy;
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .build()
//!     .expect("valid policy");
//!
//! actix_web::rt::System::new().block_on(async {
//!     let app = test::init_service(
//!         App::new()
//!             .wrap(Cors::new(policy))
//!             .route("/items", web::get().to(|| async { HttpResponse::Ok().body("items") })),
//!     )
//!     .await;
//!
//!     // A preflight is answered by the middleware, even though `/items` has
//!     // no OPTIONS route.
//!     let request = test::TestRequest::default()
//!         .method(actix_web::http::Method::OPTIONS)
//!         .uri("/items")
//!         .insert_header(("Origin", "https://app.example.com"))
//!         .insert_header(("Access-Control-Request-Method", "PUT"))
//!         .to_request();
//!     let response = test::call_service(&app, request).await;
//!     assert_eq!(response.status(), 204);
//!     let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
//!     assert_eq!(header("access-control-allow-methods"), Some("PUT"));
//!
//!     // An actual request runs the handler and gets the headers.
//!     let request = test::TestRequest::get()
//!         .uri("/items")
//!         .insert_header(("Origin", "https://app.example.com"))
//!         .to_request();
//!     let response = test::call_service(&app, request).await;
//!     assert_eq!(response.status(), 200);
//!     let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
//!     assert_eq!(header("access-control-allow-origin"), Some("https://app.example.com"));
//!     assert_eq!(header("vary"), Some("Origin"));
//! });
//! ```
//!
//! # What the middleware does
//!
//! For each request it builds [`cors_core::RequestParts`] from the method,
//! the path and the `Origin` and `Access-Control-Request-*` header lines,
//! and asks the policy. Then, mechanically:
//!
//! - **Answer now** ([`Action::Respond`]): the status, the plain-text body
//!   and the decision's headers; the inner service is not called.
//! - **Forward**: the inner service runs. Whatever it returns gets the
//!   decision applied: CORS headers the handler set are removed (the policy
//!   is their only source), the decision's headers are appended, and the
//!   `Vary` names are merged into the response's `Vary`. That includes
//!   handler errors, extractor rejections and the 404/405 of the router,
//!   which actix delivers as responses. An inner service can also fail with
//!   `Err(actix_web::Error)` (an inner middleware does that); actix turns
//!   such an error into its response only after every middleware has seen
//!   it, so the middleware passes the error on wrapped in a [`CorsError`],
//!   whose response is the original error's response with the decision
//!   applied. (The middleware cannot build that response itself: it would
//!   need a second handle on the request while the inner service runs, and
//!   actix's router requires the request to be unshared.)
//!
//! Refusals are logged with `tracing::debug!` (field `reason`).
//!
//! The service future is a named type, [`CorsFuture`], rather than a boxed
//! one, and the headers kept for the handler's response are a fixed-size
//! array: the request's `Origin` and `Access-Control-Request-Headers`
//! values are shared (a reference count) when echoed, the policy's values
//! are converted once per worker, and header names are constants, so the
//! middleware copies no header value in the common cases.

#![forbid(unsafe_code)]

use std::cell::OnceCell;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, CONTENT_TYPE, HeaderMap,
    HeaderName, HeaderValue, ORIGIN, VARY,
};
use actix_web::{Error, HttpResponse, ResponseError};
use cors_core::{Action, Decision, Policy, RequestParts, ResponseHeader, Vary};
use pin_project_lite::pin_project;

pub use cors_core;

/// The CORS middleware: a [`Transform`] for `App::wrap`, `Scope::wrap` and
/// `Resource::wrap`.
///
/// Cloning is cheap (the policy is shared).
#[derive(Debug, Clone)]
pub struct Cors {
    policy: Policy,
}

impl Cors {
    /// A middleware applying `policy`.
    pub fn new(policy: Policy) -> Self {
        Cors { policy }
    }

    /// The policy this middleware applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl From<Policy> for Cors {
    fn from(policy: Policy) -> Self {
        Cors::new(policy)
    }
}

impl<S, B> Transform<S, ServiceRequest> for Cors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CorsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<CorsMiddleware<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CorsMiddleware {
            service,
            policy: self.policy.clone(),
            values: PolicyValues::default(),
        }))
    }
}

/// The service [`Cors`] wraps around the inner service.
#[derive(Debug)]
pub struct CorsMiddleware<S> {
    service: S,
    policy: Policy,
    values: PolicyValues,
}

impl<S, B> Service<ServiceRequest> for CorsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = CorsFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let decision = evaluate(&self.policy, &req);
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(
                reason = %refusal,
                method = %req.method(),
                path = req.path(),
                "CORS request refused"
            );
        }
        let converter = Converter {
            request: req.headers(),
            values: &self.values,
        };
        match decision.action() {
            Action::Respond { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
                let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
                let map = response.headers_mut();
                let pairs = decision
                    .headers()
                    .iter()
                    .filter_map(|&(name, value)| converter.convert(name, value));
                apply(map, pairs, decision.vary());
                CorsFuture {
                    state: State::Ready {
                        response: Some(req.into_response(response).map_into_right_body()),
                    },
                }
            }
            Action::Forward => {
                let headers = Headers::from_decision(&decision, &converter);
                CorsFuture {
                    state: State::Forward {
                        future: self.service.call(req),
                        pending: Some(headers),
                    },
                }
            }
        }
    }
}

/// `Access-Control-Request-Private-Network`, which actix does not name.
const ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");

/// Asks the policy about a request.
fn evaluate<'a>(policy: &'a Policy, req: &'a ServiceRequest) -> Decision<'a> {
    let mut parts = RequestParts::new(req.method().as_str()).with_path(req.path());
    let headers = req.headers();
    for value in headers.get_all(ORIGIN) {
        parts.add_header("origin", value.as_bytes());
    }
    if parts.reads_preflight_headers() {
        for (name, key) in [
            (
                "access-control-request-method",
                &ACCESS_CONTROL_REQUEST_METHOD,
            ),
            (
                "access-control-request-headers",
                &ACCESS_CONTROL_REQUEST_HEADERS,
            ),
            (
                "access-control-request-private-network",
                &ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK,
            ),
        ] {
            for value in headers.get_all(key) {
                parts.add_header(name, value.as_bytes());
            }
        }
    }
    policy.evaluate(&parts)
}

/// The policy's own header values (`Access-Control-Expose-Headers`,
/// `Access-Control-Max-Age`), converted once, on first use, and shared by
/// every response after that.
#[derive(Debug, Default)]
struct PolicyValues {
    expose: OnceCell<HeaderValue>,
    max_age: OnceCell<HeaderValue>,
}

/// Turns a decision's values into actix header values without copying
/// what can be shared: the request's own `Origin` and
/// `Access-Control-Request-Headers` values when echoed, the policy's
/// values, and fixed texts.
struct Converter<'a> {
    request: &'a HeaderMap,
    values: &'a PolicyValues,
}

impl Converter<'_> {
    fn convert(&self, name: ResponseHeader, value: &str) -> Option<(HeaderName, HeaderValue)> {
        let echoed = |request_name: &HeaderName| {
            self.request
                .get_all(request_name)
                .find(|line| line.as_bytes() == value.as_bytes())
                .cloned()
        };
        let cached = |cell: &OnceCell<HeaderValue>| {
            let cached = cell.get_or_init(|| {
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""))
            });
            (cached.as_bytes() == value.as_bytes()).then(|| cached.clone())
        };
        let shared = match (name, value) {
            (_, "*") => Some(HeaderValue::from_static("*")),
            (_, "true") => Some(HeaderValue::from_static("true")),
            (_, "null") => Some(HeaderValue::from_static("null")),
            (ResponseHeader::ContentType, "text/plain; charset=utf-8") => {
                Some(HeaderValue::from_static("text/plain; charset=utf-8"))
            }
            (ResponseHeader::AllowMethods, "GET") => Some(HeaderValue::from_static("GET")),
            (ResponseHeader::AllowMethods, "POST") => Some(HeaderValue::from_static("POST")),
            (ResponseHeader::AllowMethods, "PUT") => Some(HeaderValue::from_static("PUT")),
            (ResponseHeader::AllowMethods, "DELETE") => Some(HeaderValue::from_static("DELETE")),
            (ResponseHeader::AllowMethods, "PATCH") => Some(HeaderValue::from_static("PATCH")),
            (ResponseHeader::AllowOrigin, _) => echoed(&ORIGIN),
            (ResponseHeader::AllowHeaders, _) => echoed(&ACCESS_CONTROL_REQUEST_HEADERS),
            (ResponseHeader::ExposeHeaders, _) => cached(&self.values.expose),
            (ResponseHeader::MaxAge, _) => cached(&self.values.max_age),
            _ => None,
        };
        // Every value is a validated token list, origin or number; one
        // that still does not convert is left out rather than sent
        // malformed.
        let value = match shared {
            Some(value) => value,
            None => HeaderValue::from_str(value).ok()?,
        };
        Some((header_name(name), value))
    }
}

/// How many headers a decision that lets the handler run sets at most:
/// `Access-Control-Allow-Origin`, `-Allow-Credentials`, `-Expose-Headers`.
const FORWARD_HEADERS: usize = 3;

/// A decision's headers for the handler's response, converted to actix
/// types so that they outlive the request they were computed from.
#[derive(Debug, Clone)]
struct Headers {
    pairs: [Option<(HeaderName, HeaderValue)>; FORWARD_HEADERS],
    vary: Vary,
}

impl Headers {
    fn from_decision(decision: &Decision<'_>, converter: &Converter<'_>) -> Self {
        debug_assert!(decision.headers().len() <= FORWARD_HEADERS);
        let mut pairs: [Option<(HeaderName, HeaderValue)>; FORWARD_HEADERS] = Default::default();
        for (slot, &(name, value)) in pairs.iter_mut().zip(decision.headers()) {
            *slot = converter.convert(name, value);
        }
        Headers {
            pairs,
            vary: decision.vary(),
        }
    }

    /// Removes the CORS headers already present, appends the decision's
    /// headers and merges `Vary`.
    fn apply(self, map: &mut HeaderMap) {
        apply(map, self.pairs.into_iter().flatten(), self.vary);
    }
}

/// Removes the CORS headers already present, appends `pairs` and merges
/// `vary` into `Vary`.
fn apply(map: &mut HeaderMap, pairs: impl Iterator<Item = (HeaderName, HeaderValue)>, vary: Vary) {
    // One pass over the names present, usually none of them CORS headers,
    // rather than a lookup for each CORS name.
    if map
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
    {
        for name in ResponseHeader::CORS {
            map.remove(header_name(name));
        }
    }
    for (name, value) in pairs {
        map.append(name, value);
    }
    let existing = map.get_all(VARY).map(HeaderValue::as_bytes);
    if let Some(add) = vary.merge(existing) {
        map.append(VARY, HeaderValue::from_static(add));
    }
}

/// The actix name of a response header, without parsing or allocating.
fn header_name(name: ResponseHeader) -> HeaderName {
    const ALLOW_PRIVATE_NETWORK: HeaderName =
        HeaderName::from_static("access-control-allow-private-network");
    match name {
        ResponseHeader::AllowOrigin => ACCESS_CONTROL_ALLOW_ORIGIN,
        ResponseHeader::AllowCredentials => ACCESS_CONTROL_ALLOW_CREDENTIALS,
        ResponseHeader::AllowMethods => ACCESS_CONTROL_ALLOW_METHODS,
        ResponseHeader::AllowHeaders => ACCESS_CONTROL_ALLOW_HEADERS,
        ResponseHeader::MaxAge => ACCESS_CONTROL_MAX_AGE,
        ResponseHeader::AllowPrivateNetwork => ALLOW_PRIVATE_NETWORK,
        ResponseHeader::ExposeHeaders => ACCESS_CONTROL_EXPOSE_HEADERS,
        ResponseHeader::ContentType => CONTENT_TYPE,
        // `as_str` is a lower-case token for every variant.
        other => HeaderName::from_static(other.as_str()),
    }
}

pin_project! {
    /// The future of [`CorsMiddleware`]: either the engine's own answer,
    /// ready at once, or the inner service's future followed by applying
    /// the decision to its response.
    pub struct CorsFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        // The engine answered; the inner service was not called.
        Ready {
            response: Option<ServiceResponse<EitherBody<B>>>,
        },
        // The inner service is running.
        Forward {
            #[pin]
            future: F,
            pending: Option<Headers>,
        },
    }
}

impl<F, B> std::fmt::Debug for CorsFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Ready { .. } => "Ready",
            State::Forward { .. } => "Forward",
        };
        f.debug_struct("CorsFuture").field("state", &state).finish()
    }
}

impl<F, B> std::future::Future for CorsFuture<F, B>
where
    F: std::future::Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Ready { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => panic!("CorsFuture polled after completion"),
            },
            StateProj::Forward { future, pending } => {
                let result = std::task::ready!(future.poll(cx));
                let Some(headers) = pending.take() else {
                    panic!("CorsFuture polled after completion");
                };
                match result {
                    Ok(mut response) => {
                        headers.apply(response.headers_mut());
                        Poll::Ready(Ok(response.map_into_left_body()))
                    }
                    Err(error) => Poll::Ready(Err(CorsError { error, headers }.into())),
                }
            }
        }
    }
}

/// An error of the inner service, passed on with the CORS headers its
/// response must carry.
///
/// actix-web builds the response of an error that a service returns as
/// `Err` (rather than as an error response) only at the top of the
/// middleware stack; this wrapper's [`ResponseError::error_response`] is
/// the original error's response with the decision applied. An outer
/// middleware that downcasts errors finds the original with
/// [`CorsError::inner`].
pub struct CorsError {
    error: Error,
    headers: Headers,
}

impl CorsError {
    /// The inner service's error.
    pub fn inner(&self) -> &Error {
        &self.error
    }

    /// The inner service's error, without the CORS headers.
    pub fn into_inner(self) -> Error {
        self.error
    }
}

impl std::fmt::Debug for CorsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorsError")
            .field("error", &self.error)
            .field("headers", &self.headers)
            .finish()
    }
}

impl std::fmt::Display for CorsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for CorsError {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = self.error.error_response();
        self.headers.clone().apply(response.headers_mut());
        response
    }
}
