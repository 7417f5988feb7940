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
//! middleware copies no header value in the common cases. Only a request
//! that waits for an [origin lookup](#origins-from-a-database) boxes its
//! future.
//!
//! # Replacing the policy while serving
//!
//! [`Cors::new`] takes a [`Policy`] or a [`SharedPolicy`]. With a
//! `SharedPolicy`, keep a clone of the handle and call
//! [`replace`](SharedPolicy::replace) (after reading a changed file, say):
//! every request that starts afterwards is answered by the new policy,
//! and a request under way finishes with the one it read.
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use cors_actix::Cors;
//! use cors_core::{Policy, SharedPolicy};
//!
//! let first = Policy::builder().allow_origins(["https://a.example"]).build().unwrap();
//! let shared = SharedPolicy::new(first);
//!
//! actix_web::rt::System::new().block_on(async {
//!     let app = test::init_service(
//!         App::new()
//!             .wrap(Cors::new(shared.clone()))
//!             .route("/", web::get().to(HttpResponse::Ok)),
//!     )
//!     .await;
//!     let from_b = || test::TestRequest::get().insert_header(("Origin", "https://b.example"));
//!
//!     let response = test::call_service(&app, from_b().to_request()).await;
//!     assert!(!response.headers().contains_key("access-control-allow-origin"));
//!
//!     shared.replace(Policy::builder().allow_origins(["https://b.example"]).build().unwrap());
//!     let response = test::call_service(&app, from_b().to_request()).await;
//!     let origin = response.headers().get("access-control-allow-origin").unwrap();
//!     assert_eq!(origin, "https://b.example");
//! });
//! ```
//!
//! # Origins from a database
//!
//! When the allowed origins live in a database (a tenant's own domain,
//! say), set `allow_origin_lookup` in the policy and give the middleware an
//! [`OriginLookup`] with [`Cors::origin_lookup`]. The lookup is asked only
//! about an origin that no rule of the policy allows, and never for
//! requests without `Origin`, for malformed origins or for `null` (unless
//! the policy sets `lookup_null_origin`). A [`VerdictCache`] keeps its
//! verdicts, so that an origin's requests do not each query the database:
//! a cached verdict is used at once, without boxing or awaiting.
//!
//! The lookup fails closed: an error, a timeout or a panic refuses the
//! origin (a preflight gets 403, an actual request runs without CORS
//! headers), is logged with `tracing::warn!`, and the server keeps serving.
//!
//! [`VerdictCache`]: cors_core::VerdictCache
//!
//! ```
//! use std::time::Duration;
//!
//! use actix_web::{App, HttpResponse, test, web};
//! use cors_actix::Cors;
//! use cors_core::{OriginLookup, Policy, VerdictCache};
//!
//! /// Stands in for `SELECT 1 FROM tenants WHERE origin = $1`.
//! async fn tenant_exists(origin: &str) -> Result<bool, std::io::Error> {
//!     Ok(origin == "https://shop.tenant.example")
//! }
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_origin_lookup(true)
//!     .build()
//!     .unwrap();
//! let lookup = OriginLookup::new(|origin: String, _request| async move {
//!     tenant_exists(&origin).await
//! })
//! .timeout(Duration::from_millis(500))
//! .cache(VerdictCache::new(10_000).allowed_for(Duration::from_secs(300)));
//!
//! actix_web::rt::System::new().block_on(async {
//!     let app = test::init_service(
//!         App::new()
//!             .wrap(Cors::new(policy).origin_lookup(lookup))
//!             .route("/", web::get().to(HttpResponse::Ok)),
//!     )
//!     .await;
//!     let request = test::TestRequest::get()
//!         .insert_header(("Origin", "https://shop.tenant.example"))
//!         .to_request();
//!     let response = test::call_service(&app, request).await;
//!     let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
//!     assert_eq!(header("access-control-allow-origin"), Some("https://shop.tenant.example"));
//!     assert_eq!(header("vary"), Some("Origin"));
//! });
//! ```

#![forbid(unsafe_code)]

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, ORIGIN, VARY};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse, ResponseError};
use cors_core::{
    Action, Decision, ForwardHeaders02, OriginLookup, OriginQuery, Policy, PolicyGuard,
    PolicySource, RequestParts, ResponseHeader, SharedPolicy, Vary, Verdict,
};
use pin_project_lite::pin_project;

pub use cors_core;

/// The CORS middleware: a [`Transform`] for `App::wrap`, `Scope::wrap` and
/// `Resource::wrap`.
///
/// Cloning is cheap (the policy and the lookup are shared).
#[derive(Debug, Clone)]
pub struct Cors {
    source: PolicySource,
    lookup: Option<OriginLookup>,
}

impl Cors {
    /// A middleware applying `policy`: a [`Policy`], or a [`SharedPolicy`]
    /// that may be replaced while serving (each request reads it once and
    /// is answered by what it read).
    pub fn new(policy: impl Into<PolicySource>) -> Self {
        Cors {
            source: policy.into(),
            lookup: None,
        }
    }

    /// Asks `lookup` about the origins the policy refers to it
    /// (`allow_origin_lookup`); see [Origins from a
    /// database](crate#origins-from-a-database). Without it, such origins
    /// are refused.
    #[must_use]
    pub fn origin_lookup(mut self, lookup: OriginLookup) -> Self {
        self.lookup = Some(lookup);
        self
    }

    /// The policy in force now.
    pub fn policy(&self) -> PolicyGuard<'_> {
        self.source.load()
    }

    /// Where the middleware reads the policy.
    pub fn source(&self) -> &PolicySource {
        &self.source
    }
}

impl From<Policy> for Cors {
    fn from(policy: Policy) -> Self {
        Cors::new(policy)
    }
}

impl From<SharedPolicy> for Cors {
    fn from(policy: SharedPolicy) -> Self {
        Cors::new(policy)
    }
}

impl<S, B> Transform<S, ServiceRequest> for Cors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CorsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<CorsMiddleware<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CorsMiddleware {
            service: Rc::new(service),
            source: self.source.clone(),
            lookup: self.lookup.clone(),
        }))
    }
}

/// The service [`Cors`] wraps around the inner service.
#[derive(Debug)]
pub struct CorsMiddleware<S> {
    // Shared with a request's future only while it waits for the origin
    // lookup, which calls the service afterwards.
    service: Rc<S>,
    source: PolicySource,
    lookup: Option<OriginLookup>,
}

impl<S, B> Service<ServiceRequest> for CorsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = CorsFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        // Read once: everything below uses this one policy.
        let policy = self.source.load();
        let mut parts = parts_of(&req);
        let origin = read_request(&req, &mut parts);
        // Not a CORS request: headers decided as the policy was built.
        if let Some(headers) = policy.not_cors_headers_http02(&parts) {
            return CorsFuture {
                state: State::Forward {
                    future: self.service.call(req),
                    pending: Some(Headers(Some(headers.clone()))),
                },
            };
        }
        let decision = match &self.lookup {
            None => policy.evaluate(&parts),
            Some(lookup) => {
                let decision = policy.evaluate_with_lookup(&parts);
                match decision.lookup() {
                    None => decision,
                    Some(query) => match lookup.cached(query.origin()) {
                        Some(verdict) => {
                            warn_if_failed(&verdict, query);
                            policy.resolve_lookup(&parts, verdict.is_allowed())
                        }
                        None => {
                            let future = ask_then_answer(
                                Rc::clone(&self.service),
                                req,
                                Policy::clone(&policy),
                                lookup.clone(),
                            );
                            return CorsFuture {
                                state: State::Lookup {
                                    future: Box::pin(future),
                                },
                            };
                        }
                    },
                }
            }
        };
        log_refusal(&decision, &req);
        match Next::from_decision(&decision, &req, origin) {
            Next::Respond(response) => CorsFuture {
                state: State::Ready {
                    response: Some(req.into_response(response).map_into_right_body()),
                },
            },
            Next::Forward(headers) => CorsFuture {
                state: State::Forward {
                    future: self.service.call(req),
                    pending: Some(headers),
                },
            },
        }
    }
}

/// The rest of a request whose origin only the lookup can allow: ask it
/// (bounded by its timeout, a panic caught), finish the decision with
/// `policy`, the one the request read, then answer or call `service`.
async fn ask_then_answer<S, B>(
    service: Rc<S>,
    req: ServiceRequest,
    policy: Policy,
    lookup: OriginLookup,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let next = {
        let mut parts = parts_of(&req);
        let origin = read_request(&req, &mut parts);
        // The same policy and request as in `call`, so the same question.
        let asked = policy.evaluate_with_lookup(&parts);
        let decision = match asked.lookup() {
            Some(query) => {
                let verdict = lookup.decide(query, tokio::time::sleep).await;
                warn_if_failed(&verdict, query);
                policy.resolve_lookup(&parts, verdict.is_allowed())
            }
            None => asked,
        };
        log_refusal(&decision, &req);
        Next::from_decision(&decision, &req, origin)
    };
    match next {
        Next::Respond(response) => Ok(req.into_response(response).map_into_right_body()),
        Next::Forward(mut headers) => finish(service.call(req).await, &mut headers),
    }
}

/// Logs a lookup that failed (the origin is refused).
fn warn_if_failed(verdict: &Verdict, query: OriginQuery<'_>) {
    if let Verdict::Failed(error) = verdict {
        tracing::warn!(
            origin = %query.origin(),
            reason = %error,
            "CORS origin lookup failed; origin refused"
        );
    }
}

/// Logs a refusal at debug level.
fn log_refusal(decision: &Decision<'_>, req: &ServiceRequest) {
    // Asked only when it is logged: telling a malformed origin from
    // one not allowed means parsing it.
    if tracing::enabled!(tracing::Level::DEBUG) {
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(
                reason = %refusal,
                method = %req.method(),
                path = req.path(),
                "CORS request refused"
            );
        }
    }
}

/// A decision in actix types, owning everything, so that the request can
/// be moved on.
enum Next {
    /// The engine's own answer.
    Respond(HttpResponse),
    /// Call the inner service, then apply these headers.
    Forward(Headers),
}

impl Next {
    fn from_decision(
        decision: &Decision<'_>,
        req: &ServiceRequest,
        origin: Option<&HeaderValue>,
    ) -> Next {
        let echoed = shared_from(req.headers(), origin);
        match decision.action() {
            Action::Respond { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
                let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
                // A response of our own: no header to replace, no `Vary`
                // to merge with.
                let map = response.headers_mut();
                for (name, value) in decision.http02_headers(echoed) {
                    map.append(name, value);
                }
                if let Some(vary) = decision.vary().merge_http02([]) {
                    map.append(VARY, vary);
                }
                Next::Respond(response)
            }
            // A decision still asking has no headers: the handler runs
            // without CORS headers (never reached: only an adapter with a
            // lookup asks, and it resolves first).
            Action::Forward | Action::Lookup => {
                Next::Forward(Headers(decision.forward_headers_http02(echoed)))
            }
        }
    }
}

/// The request's own value of `name` equal to `value`, shared (a
/// reference count) rather than copied, for the values a decision echoes;
/// `origin` is the request's `Origin` line, already found.
fn shared_from<'h>(
    headers: &'h HeaderMap,
    origin: Option<&'h HeaderValue>,
) -> impl Fn(&HeaderName, &[u8]) -> Option<HeaderValue> + 'h {
    move |name, value| {
        if *name == ORIGIN {
            return origin.filter(|line| line.as_bytes() == value).cloned();
        }
        headers
            .get_all(name)
            .find(|line| line.as_bytes() == value)
            .cloned()
    }
}

/// The inner service's result with the decision's headers applied (taken
/// out of `headers`, which is left empty, rather than moved whole).
fn finish<B>(
    result: Result<ServiceResponse<B>, Error>,
    headers: &mut Headers,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    match result {
        Ok(mut response) => {
            headers.apply(response.headers_mut());
            Ok(response.map_into_left_body())
        }
        Err(error) => Err(CorsError {
            error,
            headers: std::mem::take(headers),
        }
        .into()),
    }
}

/// What the engine reads of a request, and its `Origin` line (kept
/// for the answer, which may echo it, so that it is looked up once).
// Built in the caller's frame and filled through a reference: returned,
// even inlined, the parts (about 250 bytes) were built in one place and
// copied to another with a `memcpy` call.
#[inline(always)]
fn read_request<'r>(
    req: &'r ServiceRequest,
    parts: &mut RequestParts<'r>,
) -> Option<&'r HeaderValue> {
    let headers = req.headers();
    let mut origin = None;
    if req.method() == Method::OPTIONS {
        // A preflight candidate: one walk over its few lines rather than
        // four lookups, each of which hashes its name.
        for (name, line) in headers.iter() {
            if *name == ORIGIN {
                origin = Some(line);
            }
            parts.add_http02_header(name, line.as_bytes());
        }
        return origin;
    }
    for line in headers.get_all(ORIGIN) {
        parts.add_http02_header(&ORIGIN, line.as_bytes());
        // With more than one line the engine refuses the request, and
        // nothing is echoed: which line is kept is moot.
        origin = Some(line);
    }
    origin
}

/// The parts of `req` the engine reads, before its headers.
#[inline(always)]
fn parts_of(req: &ServiceRequest) -> RequestParts<'_> {
    RequestParts::new(req.method().as_str()).with_path(req.path())
}

/// A decision's headers for the handler's response, in actix types, so
/// that they outlive the request they were computed from (none for a
/// decision that does not forward).
#[derive(Debug, Clone, Default)]
struct Headers(Option<ForwardHeaders02>);

impl Headers {
    /// Removes the CORS headers already present, appends the decision's
    /// headers (taken out of `self`) and merges `Vary`.
    fn apply(&mut self, map: &mut HeaderMap) {
        if let Some(forward) = &mut self.0 {
            apply(map, |map| {
                forward.take(|name, value| map.append(name, value))
            });
        }
    }
}

/// Removes the CORS headers already present, lets `append` add the
/// decision's headers, and merges the `Vary` names it returns.
fn apply(map: &mut HeaderMap, append: impl FnOnce(&mut HeaderMap) -> Vary) {
    // One pass over the names present (usually a few, none of them CORS
    // headers nor `Vary`) rather than a lookup for each name: each lookup
    // hashes the name.
    let (mut has_cors, mut has_vary) = (false, false);
    for name in map.keys() {
        has_cors |= ResponseHeader::may_be_cors(name.as_str().as_bytes());
        has_vary |= name == VARY;
    }
    if has_cors {
        for name in ResponseHeader::CORS {
            map.remove(name.to_http02());
        }
    }
    let vary = append(map);
    let merged = if has_vary {
        vary.merge_http02(map.get_all(VARY))
    } else {
        vary.merge_http02([])
    };
    if let Some(add) = merged {
        map.append(VARY, add);
    }
}

pin_project! {
    /// The future of [`CorsMiddleware`]: either the engine's own answer,
    /// ready at once, or the inner service's future followed by applying
    /// the decision to its response, or (boxed) the origin lookup followed
    /// by either of those.
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
        // The origin lookup is running; the inner service may run after.
        Lookup {
            future: Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>,
        },
    }
}

impl<F, B> std::fmt::Debug for CorsFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Ready { .. } => "Ready",
            State::Forward { .. } => "Forward",
            State::Lookup { .. } => "Lookup",
        };
        f.debug_struct("CorsFuture").field("state", &state).finish()
    }
}

impl<F, B> Future for CorsFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
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
                let Some(headers) = pending.as_mut() else {
                    panic!("CorsFuture polled after completion");
                };
                let output = finish(result, headers);
                *pending = None;
                Poll::Ready(output)
            }
            StateProj::Lookup { future } => future.as_mut().poll(cx),
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
