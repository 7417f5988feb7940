//! CORS for axum, and for any tower or hyper service, decided by
//! [`cors_core`].
//!
//! [`CorsLayer`] wraps a service in [`Cors`]. Every request is evaluated by
//! the policy: preflights and refusals are answered by the layer itself
//! (the inner service never sees them), and every other response gets the
//! decision's headers, whatever its status, including the router's own 404
//! and 405 answers and handler errors.
//!
//! ```
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use axum::routing::get;
//! use axum::Router;
//! use cors_axum::CorsLayer;
//! use cors_core::Policy;
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .allow_headers(["x-api-key"])
//!     .build()?;
//!
//! let app = Router::new()
//!     .route("/items", get(|| async { "items" }))
//!     // Last: the layer wraps every route and the fallback.
//!     .layer(CorsLayer::new(policy));
//!
//! // A preflight, answered by the layer, for any path.
//! let preflight = Request::options("/items")
//!     .header("origin", "https://app.example.com")
//!     .header("access-control-request-method", "PUT")
//!     .header("access-control-request-headers", "x-api-key")
//!     .body(Body::empty())?;
//! let response = app.clone().oneshot(preflight).await?;
//! assert_eq!(response.status(), StatusCode::NO_CONTENT);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! assert_eq!(response.headers()["access-control-allow-methods"], "PUT");
//!
//! // An actual request: the handler runs, the layer adds the headers.
//! let request = Request::get("/items")
//!     .header("origin", "https://app.example.com")
//!     .body(Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! assert_eq!(response.headers()["vary"], "Origin");
//!
//! // The router's own 404 gets them too, so the page can read it.
//! let request = Request::get("/nowhere")
//!     .header("origin", "https://app.example.com")
//!     .body(Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::NOT_FOUND);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//!
//! // To serve it:
//! // let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
//! // axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Where to put the layer
//!
//! A preflight is an `OPTIONS` request, usually to a path whose route has
//! no `OPTIONS` handler, and sometimes to a path with no route at all. The
//! layer must therefore see requests *before* routing decides they have no
//! handler:
//!
//! - Call [`Router::layer`](https://docs.rs/axum/0.8/axum/struct.Router.html#method.layer)
//!   **last**, after every `route`, `nest`, `merge` and `fallback`. axum
//!   applies a layer only to what the router holds when `layer` is called:
//!   routes added afterwards are not wrapped, and their preflights get a 405.
//! - Do **not** use `Router::route_layer`: it wraps matched routes only, so
//!   preflights and requests to unrouted paths (the fallback's 404) get no
//!   CORS answer, and the browser reports a CORS error instead of the 404.
//! - Alternatively wrap the finished router as a whole,
//!   `CorsLayer::new(policy).layer(router)`, and serve that service.
//!
//! The layer reads the request's path from its URI, and a policy's
//! `[[routes]]` are selected by that path: under
//! [`Router::nest`](https://docs.rs/axum/0.8/axum/struct.Router.html#method.nest)
//! a nested router sees the path without its prefix, so put the layer on
//! the outermost router.
//!
//! # Origins from a database
//!
//! A policy with `allow_origin_lookup = true` refers the origins none of
//! its rules allow to the application, through an [`OriginLookup`] given
//! to [`CorsLayer::origin_lookup`]. The lookup is asked only for CORS
//! requests whose origin is well-formed and not allowed statically, once
//! per request (at most once per origin while a [`VerdictCache`] remembers
//! it); an error, a timeout or a panic refuses the origin (a preflight gets
//! 403, an actual request runs without CORS headers) and is logged at
//! `WARN`, and the server goes on serving.
//!
//! ```
//! use std::time::Duration;
//!
//! use axum::body::Body;
//! use axum::http::Request;
//! use axum::routing::get;
//! use axum::Router;
//! use cors_axum::CorsLayer;
//! use cors_core::{OriginLookup, Policy, VerdictCache};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_origin_lookup(true)
//!     .build()?;
//! // In an application: a query on the tenants table.
//! let lookup = OriginLookup::new(|origin: String, _request| async move {
//!     Ok::<_, std::io::Error>(origin.ends_with(".tenant.example"))
//! })
//! .timeout(Duration::from_millis(200))
//! .cache(VerdictCache::new(10_000).allowed_for(Duration::from_secs(300)));
//!
//! let app = Router::new()
//!     .route("/items", get(|| async { "items" }))
//!     .layer(CorsLayer::new(policy).origin_lookup(lookup));
//!
//! let request = |origin: &str| {
//!     Request::get("/items").header("origin", origin).body(Body::empty())
//! };
//! let response = app.clone().oneshot(request("https://shop.tenant.example")?).await?;
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://shop.tenant.example");
//! assert_eq!(response.headers()["vary"], "Origin");
//!
//! let response = app.oneshot(request("https://evil.example")?).await?;
//! assert!(response.headers().get("access-control-allow-origin").is_none());
//! # Ok(())
//! # }
//! ```
//!
//! Without a lookup the layer is `CorsLayer<NoLookup>` and its service
//! [`Cors<S>`](Cors): nothing is boxed and the inner service needs no
//! extra bounds. With one it is `CorsLayer<OriginLookup>`; a request that
//! waits for the lookup boxes one future and moves a clone of the inner
//! service into it, so the inner service must be `Clone + Send + 'static`
//! (axum's routers are). The lookup's timeout uses `tokio::time`: the
//! runtime needs its timer (`#[tokio::main]` enables it).
//!
//! # Changing the policy while serving
//!
//! [`CorsLayer::new`] takes a [`Policy`] or a [`SharedPolicy`]. Every
//! clone of a `SharedPolicy` sees [`SharedPolicy::replace`] at once; each
//! request reads the policy once, without a lock, and is answered by that
//! policy from start to end.
//!
//! ```
//! use axum::body::Body;
//! use axum::http::Request;
//! use axum::routing::get;
//! use axum::Router;
//! use cors_axum::CorsLayer;
//! use cors_core::{Policy, SharedPolicy};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shared = SharedPolicy::new(Policy::builder().allow_origins(["https://a.example"]).build()?);
//! let app = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(CorsLayer::new(&shared));
//!
//! let request = || Request::get("/").header("origin", "https://b.example").body(Body::empty());
//! let response = app.clone().oneshot(request()?).await?;
//! assert!(response.headers().get("access-control-allow-origin").is_none());
//!
//! // e.g. after the configuration file changed:
//! shared.replace(Policy::builder().allow_origins(["https://b.example"]).build()?);
//! let response = app.oneshot(request()?).await?;
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://b.example");
//! # Ok(())
//! # }
//! ```
//!
//! # Responses and their body
//!
//! The layer's response body is [`CorsBody`]: either the inner service's
//! body, passed through untouched, or the fixed text of an answer the layer
//! gave itself (empty for an allowed preflight, a one-line reason for a
//! 403 refusal). This keeps the layer generic over the inner body type
//! (axum's `Body`, hyper's `Incoming`, tonic's body, ...) without boxing.
//! `CorsBody<B>` is an `http_body::Body` whenever `B` is one with
//! `Data = Bytes`; axum turns it into a response like any other body.
//!
//! # Logging
//!
//! Refused CORS requests are logged with `tracing` at `DEBUG` level, with
//! the engine's typed reason in the `refusal` field (request bytes escaped,
//! so the line is safe to log).
//!
//! Failed origin lookups are logged at `WARN` (origin and reason).
//!
//! # Cost
//!
//! The service holds one clone of the policy handle. Per request it reads
//! the policy (a lock-free load for a [`SharedPolicy`]), reads
//! the CORS headers without copying them and evaluates the policy once;
//! for a request the inner service handles, the response future keeps only
//! the headers to add
//! ([`ForwardHeaders`]: the policy's values and
//! the request's own `Origin` value, all reference-counted, none copied) and
//! applies them when the response arrives. Nothing is boxed, except, with
//! an origin lookup, the future of a request that waits for it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use cors_core::{
    Decision, ForwardHeaders, OriginLookup, Policy, PolicySource, RequestParts, Verdict,
};
#[cfg(doc)]
use cors_core::{SharedPolicy, VerdictCache};
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

/// The lookup slot of a [`CorsLayer`] or [`Cors`] without an origin
/// lookup: the default, whose service is exactly the plain one (no
/// boxing, no extra bounds on the inner service).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoLookup;

/// A tower [`Layer`] that applies a CORS [`Policy`] to a service.
///
/// `L` is [`NoLookup`] unless [`origin_lookup`](CorsLayer::origin_lookup)
/// gave the layer an [`OriginLookup`].
///
/// See the [crate docs](crate) for an example and for where to put it.
#[derive(Debug, Clone)]
pub struct CorsLayer<L = NoLookup> {
    source: PolicySource,
    lookup: L,
}

impl CorsLayer {
    /// A layer applying `policy`: a [`Policy`], or a
    /// [`SharedPolicy`] that may be replaced while
    /// serving.
    pub fn new(policy: impl Into<PolicySource>) -> Self {
        CorsLayer {
            source: policy.into(),
            lookup: NoLookup,
        }
    }
}

impl<L> CorsLayer<L> {
    /// Asks `lookup` about the origins the policy refers to it
    /// (`allow_origin_lookup`). See
    /// [Origins from a database](crate#origins-from-a-database).
    pub fn origin_lookup(self, lookup: OriginLookup) -> CorsLayer<OriginLookup> {
        CorsLayer {
            source: self.source,
            lookup,
        }
    }

    /// The policy in force now.
    pub fn policy(&self) -> Policy {
        self.source.current()
    }
}

impl<S, L: Clone> Layer<S> for CorsLayer<L> {
    type Service = Cors<S, L>;

    fn layer(&self, inner: S) -> Cors<S, L> {
        Cors {
            inner,
            source: self.source.clone(),
            lookup: self.lookup.clone(),
        }
    }
}

/// A service that applies a CORS [`Policy`] to the requests of an inner
/// service and to its responses. Built by [`CorsLayer`].
///
/// `Cors<S>` (that is, `Cors<S, NoLookup>`) asks nothing of `S` beyond
/// being a service, and its future is [`ResponseFuture`], never boxed.
/// `Cors<S, OriginLookup>` may have to wait for the lookup before calling
/// `S`: for that it boxes one future per request that waits (one answered
/// from the verdict cache does not), and it needs `S: Clone + Send +
/// 'static` to move a ready clone of `S` into that future.
#[derive(Debug, Clone)]
pub struct Cors<S, L = NoLookup> {
    inner: S,
    source: PolicySource,
    lookup: L,
}

impl<S> Cors<S> {
    /// Wraps `inner` in `policy` (a [`Policy`] or a
    /// [`SharedPolicy`]).
    pub fn new(inner: S, policy: impl Into<PolicySource>) -> Self {
        Cors {
            inner,
            source: policy.into(),
            lookup: NoLookup,
        }
    }
}

impl<S, L> Cors<S, L> {
    /// Asks `lookup` about the origins the policy refers to it. See
    /// [`CorsLayer::origin_lookup`].
    pub fn origin_lookup(self, lookup: OriginLookup) -> Cors<S, OriginLookup> {
        Cors {
            inner: self.inner,
            source: self.source,
            lookup,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The policy in force now.
    pub fn policy(&self) -> Policy {
        self.source.current()
    }
}

/// What a final decision (one that does not ask the lookup) means for the
/// request.
enum Settled<B> {
    /// The layer answers; the inner service is not called.
    Answer(Response<CorsBody<B>>),
    /// The inner service answers; these headers go on its response.
    Forward(Option<ForwardHeaders>),
}

fn settle<B, R>(decision: &Decision<'_>, request: &Request<R>) -> Settled<B> {
    // Asked only when it is logged: telling a malformed origin from
    // one not allowed means parsing it.
    if tracing::enabled!(tracing::Level::DEBUG) {
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(%refusal, method = %request.method(), "CORS request refused");
        }
    }
    match decision.to_http_response(CorsBody::text) {
        Some(response) => Settled::Answer(response),
        None => Settled::Forward(decision.forward_headers()),
    }
}

/// What the engine reads of a request before its headers, borrowed from
/// it (not taken apart: moving the parts out and back costs two copies of
/// them). The headers are read into the caller's own value
/// ([`RequestParts::add_http_headers`]): returned, the parts were copied
/// once more.
#[inline(always)]
fn parts_of<R>(request: &Request<R>) -> RequestParts<'_> {
    RequestParts::new(request.method().as_str()).with_path(request.uri().path())
}

/// Logs a lookup that gave no verdict (the origin is refused).
fn warn_if_failed(origin: &str, verdict: &Verdict) {
    if let Verdict::Failed(error) = verdict {
        tracing::warn!(origin = %origin, reason = %error, "CORS origin lookup failed; origin refused");
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S, NoLookup>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<CorsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let headers = {
            let policy = self.source.load();
            let mut parts = parts_of(&request);
            parts.add_http_headers(request.headers());
            match policy.not_cors_headers(&parts) {
                Some(headers) => Some(headers.clone()),
                None => match settle(&policy.evaluate(&parts), &request) {
                    Settled::Forward(headers) => headers,
                    Settled::Answer(response) => {
                        return ResponseFuture {
                            state: State::Answered {
                                response: Some(response),
                            },
                        };
                    }
                },
            }
        };
        // Built where it is returned: the inner future may be large.
        ResponseFuture {
            state: State::Forwarded {
                future: self.inner.call(request),
                headers,
            },
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S, OriginLookup>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<CorsBody<ResBody>>;
    type Error = S::Error;
    type Future = LookupResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The policy is read once; when the lookup must be awaited, the
        // future keeps that same policy (owned) for the rest of the request.
        let settled = 'settled: {
            let policy = self.source.load();
            let mut parts = parts_of(&request);
            parts.add_http_headers(request.headers());
            if let Some(headers) = policy.not_cors_headers(&parts) {
                break 'settled Ok(Settled::Forward(Some(headers.clone())));
            }
            let decision = policy.evaluate_with_lookup(&parts);
            match decision.lookup() {
                None => Ok(settle(&decision, &request)),
                Some(query) => match self.lookup.cached(query.origin()) {
                    Some(verdict) => {
                        warn_if_failed(query.origin(), &verdict);
                        let decision = policy.resolve_lookup(&parts, verdict.is_allowed());
                        Ok(settle(&decision, &request))
                    }
                    None => Err(Policy::clone(&policy)),
                },
            }
        };
        let policy = match settled {
            Ok(settled) => {
                let future = ResponseFuture::new(settled, || self.inner.call(request));
                return LookupResponseFuture {
                    kind: LookupKind::Settled { future },
                };
            }
            Err(policy) => policy,
        };
        // The inner service was made ready by `poll_ready`: that instance
        // goes into the future, a clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = mem::replace(&mut self.inner, clone);
        let lookup = self.lookup.clone();
        let future = async move {
            let settled = {
                let mut parts = parts_of(&request);
                parts.add_http_headers(request.headers());
                // The same policy and request as in `call`: the same
                // question.
                let asked = policy.evaluate_with_lookup(&parts);
                let decision = match asked.lookup() {
                    Some(query) => {
                        let verdict = lookup.decide(query, tokio::time::sleep).await;
                        warn_if_failed(query.origin(), &verdict);
                        policy.resolve_lookup(&parts, verdict.is_allowed())
                    }
                    None => asked,
                };
                settle(&decision, &request)
            };
            match settled {
                Settled::Answer(response) => Ok(response),
                Settled::Forward(headers) => {
                    let mut response = inner.call(request).await?;
                    if let Some(headers) = headers {
                        headers.apply(response.headers_mut());
                    }
                    Ok(response.map(CorsBody::inner))
                }
            }
        };
        LookupResponseFuture {
            kind: LookupKind::Asking {
                future: Box::pin(future),
            },
        }
    }
}

pin_project! {
    /// The response future of [`Cors`].
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        // The layer answered; the inner service was not called.
        Answered {
            response: Option<Response<CorsBody<B>>>,
        },
        // The inner service is answering; these headers go on its response.
        Forwarded {
            #[pin]
            future: F,
            headers: Option<ForwardHeaders>,
        },
    }
}

impl<F, B> ResponseFuture<F, B> {
    /// The future for a settled decision; `call` calls the inner service,
    /// only when the decision forwards.
    fn new(settled: Settled<B>, call: impl FnOnce() -> F) -> Self {
        let state = match settled {
            Settled::Answer(response) => State::Answered {
                response: Some(response),
            },
            Settled::Forward(headers) => State::Forwarded {
                future: call(),
                headers,
            },
        };
        ResponseFuture { state }
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Answered { .. } => "answered",
            State::Forwarded { .. } => "forwarded",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CorsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => panic!("cors_axum::ResponseFuture polled after completion"),
            },
            StateProj::Forwarded { future, headers } => {
                let mut response = match future.poll(cx) {
                    Poll::Ready(Ok(response)) => response,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                };
                if let Some(headers) = headers.take() {
                    headers.apply(response.headers_mut());
                }
                Poll::Ready(Ok(response.map(CorsBody::inner)))
            }
        }
    }
}

pin_project! {
    /// The response future of `Cors<S, OriginLookup>`: a [`ResponseFuture`]
    /// when the decision was made at once (no lookup asked, or its verdict
    /// cached), a boxed future when the lookup is awaited.
    pub struct LookupResponseFuture<F, B, E> {
        #[pin]
        kind: LookupKind<F, B, E>,
    }
}

type Asking<B, E> = Pin<Box<dyn Future<Output = Result<Response<CorsBody<B>>, E>> + Send>>;

pin_project! {
    #[project = LookupKindProj]
    enum LookupKind<F, B, E> {
        Settled {
            #[pin]
            future: ResponseFuture<F, B>,
        },
        Asking {
            future: Asking<B, E>,
        },
    }
}

impl<F, B, E> fmt::Debug for LookupResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            LookupKind::Settled { .. } => "settled",
            LookupKind::Asking { .. } => "asking the origin lookup",
        };
        f.debug_struct("LookupResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}

impl<F, B, E> Future for LookupResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CorsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            LookupKindProj::Settled { future } => future.poll(cx),
            LookupKindProj::Asking { future } => future.as_mut().poll(cx),
        }
    }
}

pin_project! {
    /// The response body of [`Cors`]: the inner service's body, untouched,
    /// or the fixed text of an answer the layer gave itself (a preflight or
    /// a refusal).
    pub struct CorsBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner {
            #[pin]
            body: B,
        },
        Text {
            text: Option<&'static str>,
        },
    }
}

impl<B> CorsBody<B> {
    /// The inner service's body.
    pub fn inner(body: B) -> Self {
        CorsBody {
            kind: Kind::Inner { body },
        }
    }

    /// A fixed text, for an answer given without the inner service.
    pub fn text(text: &'static str) -> Self {
        CorsBody {
            kind: Kind::Text {
                text: (!text.is_empty()).then_some(text),
            },
        }
    }

    /// The inner service's body, if this is one.
    pub fn into_inner(self) -> Option<B> {
        match self.kind {
            Kind::Inner { body } => Some(body),
            Kind::Text { .. } => None,
        }
    }
}

impl<B> fmt::Debug for CorsBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("CorsBody::Inner(..)"),
            Kind::Text { text } => f
                .debug_tuple("CorsBody::Text")
                .field(&text.unwrap_or(""))
                .finish(),
        }
    }
}

impl<B> Body for CorsBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Text { text } => Poll::Ready(
                text.take()
                    .map(|t| Ok(Frame::data(Bytes::from_static(t.as_bytes())))),
            ),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Text { text } => text.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Text { text } => SizeHint::with_exact(text.map_or(0, |t| t.len() as u64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::{BodyExt, Full};
    use tower::{ServiceExt, service_fn};

    use super::*;

    fn policy() -> Policy {
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_methods(["GET", "PUT"])
            .allow_headers(["x-api-key"])
            .allow_credentials(true)
            .expose_headers(["x-request-id"])
            .build()
            .unwrap()
    }

    /// A service answering `status` with CORS headers of its own and a
    /// `Vary`, counting its calls.
    fn handler(
        status: u16,
        calls: Arc<AtomicUsize>,
    ) -> impl Service<Request<Full<Bytes>>, Response = Response<Full<Bytes>>, Error = Infallible> + Clone
    {
        service_fn(move |_request: Request<Full<Bytes>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let response = Response::builder()
                    .status(status)
                    .header("access-control-allow-origin", "*")
                    .header("vary", "accept-encoding")
                    .body(Full::from("handled"))
                    .unwrap();
                Ok::<_, Infallible>(response)
            }
        })
    }

    async fn body(response: Response<CorsBody<Full<Bytes>>>) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    fn values<'a>(response: &'a Response<CorsBody<Full<Bytes>>>, name: &str) -> Vec<&'a [u8]> {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(http::HeaderValue::as_bytes)
            .collect()
    }

    #[tokio::test]
    async fn allowed_preflight_is_answered_without_the_inner_service() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let request = Request::options("/anything")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "x-api-key")
            .body(Full::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(response.status(), 204);
        assert_eq!(
            values(&response, "access-control-allow-origin"),
            [b"https://app.example"]
        );
        assert_eq!(values(&response, "access-control-allow-methods"), [b"PUT"]);
        assert_eq!(
            values(&response, "access-control-allow-headers"),
            [b"x-api-key"]
        );
        assert_eq!(
            values(&response, "access-control-allow-credentials"),
            [b"true"]
        );
        assert_eq!(
            values(&response, "vary"),
            [&b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"[..]]
        );
        assert!(response.body().is_end_stream());
        assert_eq!(body(response).await, "");
    }

    #[tokio::test]
    async fn refused_preflight_is_a_403_with_the_reason() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let request = Request::options("/")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "DELETE")
            .body(Full::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(response.status(), 403);
        assert!(values(&response, "access-control-allow-origin").is_empty());
        assert_eq!(
            values(&response, "content-type"),
            [b"text/plain; charset=utf-8"]
        );
        let text = "CORS preflight refused: method not allowed\n";
        assert_eq!(response.body().size_hint().exact(), Some(text.len() as u64));
        assert_eq!(body(response).await, text);
    }

    #[tokio::test]
    async fn actual_request_gets_the_policy_headers_on_any_status() {
        for status in [200, 404, 500] {
            let calls = Arc::new(AtomicUsize::new(0));
            let service = CorsLayer::new(policy()).layer(handler(status, calls.clone()));
            let request = Request::put("/x")
                .header("origin", "https://app.example")
                .body(Full::from("payload"))
                .unwrap();
            let response = service.oneshot(request).await.unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert_eq!(response.status(), status);
            // The handler's `*` is replaced by the policy's answer.
            assert_eq!(
                values(&response, "access-control-allow-origin"),
                [b"https://app.example"]
            );
            assert_eq!(
                values(&response, "access-control-allow-credentials"),
                [b"true"]
            );
            assert_eq!(
                values(&response, "access-control-expose-headers"),
                [b"x-request-id"]
            );
            assert_eq!(
                values(&response, "vary"),
                [&b"accept-encoding"[..], b"Origin"]
            );
            assert_eq!(body(response).await, "handled");
        }
    }

    #[tokio::test]
    async fn disallowed_origin_reaches_the_handler_without_cors_headers() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let request = Request::get("/")
            .header("origin", "https://evil.example")
            .body(Full::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(response.status(), 200);
        assert!(values(&response, "access-control-allow-origin").is_empty());
        assert_eq!(
            values(&response, "vary"),
            [&b"accept-encoding"[..], b"Origin"]
        );
    }

    #[tokio::test]
    async fn two_origin_lines_are_refused_on_the_response_path_too() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let request = Request::get("/")
            .header("origin", "https://app.example")
            .header("origin", "https://app.example")
            .body(Full::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(values(&response, "access-control-allow-origin").is_empty());
    }

    #[tokio::test]
    async fn blocked_origin_is_answered_with_403() {
        let policy = Policy::builder()
            .allow_origins(["https://app.example"])
            .block_disallowed_origins(true)
            .build()
            .unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy).layer(handler(200, calls.clone()));
        let request = Request::post("/")
            .header("origin", "https://evil.example")
            .body(Full::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(response.status(), 403);
        assert_eq!(
            body(response).await,
            "CORS request refused: origin not allowed\n"
        );
    }

    #[tokio::test]
    async fn request_without_origin_is_passed_through() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let request = Request::get("/").body(Full::default()).unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The handler's own CORS header is removed: the policy is their
        // only source.
        assert!(values(&response, "access-control-allow-origin").is_empty());
        assert_eq!(
            values(&response, "vary"),
            [&b"accept-encoding"[..], b"Origin"]
        );
    }

    #[tokio::test]
    async fn inner_errors_pass_through() {
        let service = CorsLayer::new(policy()).layer(service_fn(|_: Request<Full<Bytes>>| async {
            Err::<Response<Full<Bytes>>, _>("broken")
        }));
        let request = Request::get("/")
            .header("origin", "https://app.example")
            .body(Full::default())
            .unwrap();
        assert_eq!(service.oneshot(request).await.unwrap_err(), "broken");
    }

    #[tokio::test]
    async fn origin_predicate_sees_the_same_request_on_both_paths() {
        let policy = Policy::builder()
            .allow_origin_predicate(|_origin, request| {
                request.path().starts_with("/public") && request.method() == "GET"
            })
            .build()
            .unwrap();
        for (path, allowed) in [("/public/a", true), ("/private", false)] {
            let calls = Arc::new(AtomicUsize::new(0));
            let service = CorsLayer::new(policy.clone()).layer(handler(200, calls.clone()));
            let request = Request::get(path)
                .header("origin", "https://any.example")
                .body(Full::default())
                .unwrap();
            let response = service.oneshot(request).await.unwrap();
            assert_eq!(
                !values(&response, "access-control-allow-origin").is_empty(),
                allowed,
                "{path}"
            );
        }
    }

    /// An inner service that is never ready: its `poll_ready` fails.
    #[derive(Clone)]
    struct NeverReady;

    impl Service<Request<Full<Bytes>>> for NeverReady {
        type Response = Response<Full<Bytes>>;
        type Error = &'static str;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Err("inner service overloaded"))
        }

        fn call(&mut self, _request: Request<Full<Bytes>>) -> Self::Future {
            std::future::ready(Err("called before it was ready"))
        }
    }

    #[tokio::test]
    async fn readiness_is_the_inner_services_with_or_without_a_lookup() {
        let mut plain = Cors::new(NeverReady, policy());
        assert_eq!(plain.ready().await.err(), Some("inner service overloaded"));
        let lookup = OriginLookup::new(|_origin: String, _request| async { Ok::<_, String>(true) });
        let mut with_lookup = Cors::new(NeverReady, policy()).origin_lookup(lookup);
        assert_eq!(
            with_lookup.ready().await.err(),
            Some("inner service overloaded")
        );
    }

    #[tokio::test]
    async fn response_future_debug_names_its_state() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut service = CorsLayer::new(policy()).layer(handler(200, calls.clone()));
        let preflight = Request::options("/")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "PUT")
            .body(Full::default())
            .unwrap();
        let answered = service.ready().await.unwrap().call(preflight);
        assert_eq!(
            format!("{answered:?}"),
            r#"ResponseFuture { state: "answered" }"#
        );
        let actual = Request::get("/")
            .header("origin", "https://app.example")
            .body(Full::default())
            .unwrap();
        let forwarded = service.ready().await.unwrap().call(actual);
        assert_eq!(
            format!("{forwarded:?}"),
            r#"ResponseFuture { state: "forwarded" }"#
        );
        assert_eq!(answered.await.unwrap().status(), 204);
        assert_eq!(forwarded.await.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn cors_body_gives_back_the_inner_body_and_describes_itself() {
        let inner = CorsBody::inner(Full::from("handled"));
        assert_eq!(format!("{inner:?}"), "CorsBody::Inner(..)");
        assert!(!inner.is_end_stream());
        let body = inner.into_inner().expect("the inner body");
        assert_eq!(body.collect().await.unwrap().to_bytes(), "handled");

        let text = CorsBody::<Full<Bytes>>::text("refused\n");
        assert_eq!(format!("{text:?}"), r#"CorsBody::Text("refused\n")"#);
        assert!(!text.is_end_stream());
        assert!(text.into_inner().is_none());

        let empty = CorsBody::<Full<Bytes>>::text("");
        assert_eq!(format!("{empty:?}"), r#"CorsBody::Text("")"#);
        assert!(empty.is_end_stream());
    }

    #[tokio::test]
    async fn serves_hyper_through_tower_to_hyper_service() {
        use hyper::service::Service as _;

        let calls = Arc::new(AtomicUsize::new(0));
        let service = hyper_util::service::TowerToHyperService::new(
            CorsLayer::new(policy()).layer(handler(200, calls.clone())),
        );
        let request = Request::get("/")
            .header("origin", "https://app.example")
            .body(Full::default())
            .unwrap();
        let response = service.call(request).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            values(&response, "access-control-allow-origin"),
            [b"https://app.example"]
        );
    }
}

// The registry README's examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
