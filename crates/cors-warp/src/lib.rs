//! CORS for warp 0.4, decided by [`cors_core`], on every response:
//! replies, recovered errors, and the responses warp makes from
//! rejections (404, 405, a body that does not deserialize, ...).
//!
//! ```
//! use cors_core::Policy;
//! use warp::Filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cors_core::ConfigErrors> {
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .allow_headers(["x-api-key"])
//!     .build()?;
//!
//! let items = warp::path("items").and(warp::get()).map(|| "items");
//! let routes = cors_warp::cors(policy).wrap(items);
//! // The same, in `with` form:
//! // let cors = cors_warp::cors(policy);
//! // let routes = items.with(warp::wrap_fn(move |items| cors.wrap(items)));
//!
//! // A preflight, answered for any path, matched or not.
//! let response = warp::test::request()
//!     .method("OPTIONS")
//!     .path("/anything")
//!     .header("origin", "https://app.example.com")
//!     .header("access-control-request-method", "PUT")
//!     .header("access-control-request-headers", "x-api-key")
//!     .reply(&routes)
//!     .await;
//! assert_eq!(response.status(), 204);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//!
//! // A reply gets the headers...
//! let response = warp::test::request()
//!     .path("/items")
//!     .header("origin", "https://app.example.com")
//!     .reply(&routes)
//!     .await;
//! assert_eq!(response.body(), "items");
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! assert_eq!(response.headers()["vary"], "Origin");
//!
//! // ...and so does a rejection: the page can read this 405.
//! let response = warp::test::request()
//!     .method("DELETE")
//!     .path("/items")
//!     .header("origin", "https://app.example.com")
//!     .reply(&routes)
//!     .await;
//! assert_eq!(response.status(), 405);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//!
//! // To serve it (warp's `server` feature):
//! // warp::serve(routes).run(([127, 0, 0, 1], 3001)).await;
//! # Ok(())
//! # }
//! ```
//!
//! # How it works
//!
//! The wrapper runs first, before any of the wrapped routes:
//!
//! 1. It reads the policy (once per request), the request's method, path
//!    and headers, and evaluates the policy. A preflight, or a refusal with
//!    `block_disallowed_origins`, is answered right there; the wrapped
//!    filter never runs. So preflights to any path are answered, even where
//!    no route matches.
//! 2. Otherwise the wrapped filter runs. Its reply, or its rejection turned
//!    into the response warp would have sent (see [`rejection_response`]),
//!    gets the decision's headers with
//!    [`Decision::apply_to_http`](cors_core::Decision::apply_to_http).
//!
//! The path is the one warp received, without the query: a policy's
//! `[[routes]]` are selected by it.
//!
//! The result never rejects: its error type is [`Infallible`]. Put
//! [`Filter::recover`] *inside* the wrapper (`routes.recover(handle)` then
//! `.with(...)`), so recovered errors get the headers too; rejections it
//! passes on are turned into warp's own responses by the wrapper.
//!
//! Why not warp's own `warp::cors()`: it decorates replies only. A
//! rejection leaves the wrapper untouched and warp turns it into a response
//! afterwards, outside it, so a browser sees a CORS error instead of the
//! 404 or 400 (warp issue #518).
//!
//! # Origins from a database
//!
//! A policy with `allow_origin_lookup = true` refers the origins none of
//! its rules allow to the application, through an
//! [`OriginLookup`] given to [`Cors::origin_lookup`]. The lookup is asked
//! only for CORS requests whose origin is well-formed and not allowed
//! statically, once per request (at most once per origin while a
//! [`VerdictCache`](cors_core::VerdictCache) remembers it); an error, a
//! timeout or a panic refuses the origin (a preflight gets 403, an actual
//! request runs without CORS headers) and is logged at `WARN`, and the
//! server goes on serving.
//!
//! ```
//! use std::time::Duration;
//!
//! use cors_core::{OriginLookup, Policy, VerdictCache};
//! use warp::Filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cors_core::ConfigErrors> {
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
//! let items = warp::path("items").map(|| "items");
//! let routes = cors_warp::cors(policy).origin_lookup(lookup).wrap(items);
//!
//! let response = warp::test::request()
//!     .path("/items")
//!     .header("origin", "https://shop.tenant.example")
//!     .reply(&routes)
//!     .await;
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://shop.tenant.example");
//! assert_eq!(response.headers()["vary"], "Origin");
//!
//! let response = warp::test::request()
//!     .path("/items")
//!     .header("origin", "https://evil.example")
//!     .reply(&routes)
//!     .await;
//! assert!(response.headers().get("access-control-allow-origin").is_none());
//! # Ok(())
//! # }
//! ```
//!
//! The lookup's timeout uses `tokio::time`: the runtime needs its timer
//! (`#[tokio::main]` enables it).
//!
//! # Changing the policy while serving
//!
//! [`cors`] takes a [`Policy`] or a
//! [`SharedPolicy`](cors_core::SharedPolicy). Every clone of a
//! `SharedPolicy` sees its `replace` at once; each request reads the policy
//! once, without a lock, and is answered by that policy from start to end.
//!
//! ```
//! use cors_core::{Policy, SharedPolicy};
//! use warp::Filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cors_core::ConfigErrors> {
//! let shared = SharedPolicy::new(Policy::builder().allow_origins(["https://a.example"]).build()?);
//! let routes = cors_warp::cors(&shared).wrap(warp::any().map(|| "hello"));
//!
//! let request = || warp::test::request().header("origin", "https://b.example");
//! let response = request().reply(&routes).await;
//! assert!(response.headers().get("access-control-allow-origin").is_none());
//!
//! // e.g. after the configuration file changed:
//! shared.replace(Policy::builder().allow_origins(["https://b.example"]).build()?);
//! let response = request().reply(&routes).await;
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://b.example");
//! # Ok(())
//! # }
//! ```
//!
//! # Cost
//!
//! warp gives filters no borrowed access to the request, so the wrapper
//! clones the header map of a CORS request (one with `Origin`) once, to
//! decide. A request without `Origin` costs one header lookup when the
//! policy is a fixed one without routes (its headers are decided once,
//! when the wrapper is built); otherwise the policy is read and evaluated
//! for its method and path. The
//! decision is made once, before the wrapped filter runs: what its
//! response needs is kept
//! ([`ForwardHeaders`](cors_core::ForwardHeaders): reference-counted
//! values, the request's own `Origin` among them) and the header map
//! dropped. warp clones, for every request, each closure of the filters
//! it starts and the whole of each branch it may fall back to; the
//! wrapper keeps that small: under a fixed policy without routes the
//! common path holds one policy handle (a reference count, two atomic
//! operations per clone), and everything else (the answers the wrapper
//! gives itself, and the general path for shared policies, routes,
//! lookups and origin predicates) is one boxed branch, which clones as one
//! pointer and costs one allocation for the future of a request that goes
//! in. An answer the wrapper decides where the wrapped filter would
//! otherwise run (a refusal with `block_disallowed_origins` from a shared
//! policy, a policy with routes or a lookup) leaves that branch as a
//! rejection, which warp boxes.
//!
//! Counted in instructions, an allowed request costs this wrapper about
//! 2,800 more than the floor of warp's public API (a filter that reads
//! `Origin` and sets one header, the project's `BENCHMARKS.md`): about 850
//! for the decision (reading the request's headers, evaluating, and
//! converting the headers to add), 700 for the three headers and `Vary`
//! the floor does not set, and the rest for copying and dropping the
//! header map and for the filters that tell the request's kind apart.
//! Against the least a wrapper that answers CORS correctly must do on
//! warp's public API (the same benchmark's conforming floor, its policy
//! written into its code), the difference is about 900: the price of a
//! general policy engine over a fixed comparison, and of telling more
//! kinds of request apart.
//!
//! The copy grows with the request. A browser's `fetch` carries a dozen
//! headers besides `Origin`, and names `http` does not know (Chromium's
//! `sec-ch-ua*` client hints, `sec-fetch-*`, `priority`) are each an
//! allocation when a map is cloned: with the 14 headers Chromium sends,
//! the wrapper costs about 9,000 instructions over the bare application
//! where `warp::cors()` costs 1,500 (and the conforming floor, which must
//! copy the map too, 8,200). Served through tower (below), nothing is
//! cloned and no filter runs: the same request costs about 2,000.
//!
//! # Serving through tower
//!
//! A server that runs tower services (hyper-util's, or any built on
//! tower) can serve `warp::service(routes)` under cors-axum's
//! [`CorsLayer`](https://docs.rs/cors-axum), a tower layer that is not tied
//! to axum. It reads the request in place instead of through filters, and
//! sees every response, rejections included (warp's service has already
//! made them responses), so nothing is lost: it passes the same
//! conformance table. It is the cheaper way in: counted in instructions
//! (`cargo xtask bench --instructions` in the project's repository), its
//! cost over the bare application is 45% (no `Origin`) to 77% (an allowed
//! request with Chromium's headers) below the filter wrapper's, and a
//! refused preflight costs less than the bare application's own answer;
//! `BENCHMARKS.md` times it as `warp-tower`, and `cors-demo --framework
//! warp-tower` serves it.
//!
//! ```
//! use cors_core::Policy;
//! use tower::{Layer, ServiceExt};
//! use warp::Filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .build()?;
//! let items = warp::path("items").and(warp::get()).map(|| "items");
//! let service = cors_axum::CorsLayer::new(policy).layer(warp::service(items));
//!
//! // A path no route matches: warp's 404, with the CORS headers.
//! let request = http::Request::get("/nothing")
//!     .header("origin", "https://app.example.com")
//!     .body(String::new())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.status(), 404);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! assert_eq!(response.headers()["vary"], "Origin");
//! # Ok(())
//! # }
//! ```
//!
//! # Logging
//!
//! Refused CORS requests are logged with `tracing` at `DEBUG` level, with
//! the engine's typed reason in the `refusal` field (request bytes escaped).
//! Failed origin lookups are logged at `WARN` (origin and reason).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::sync::Mutex;

use bytes::Bytes;
use cors_core::{Decision, OriginLookup, Policy, PolicySource, RequestParts, Verdict};
use http::{HeaderMap, Method, StatusCode};
use warp::filters::path::FullPath;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// The lookup slot of a [`Cors`] without an origin lookup (the default):
/// every decision is made at once, as it always was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoLookup;

/// Applies a CORS [`Policy`] to a warp filter. See the [crate docs](crate).
///
/// `L` is [`NoLookup`] unless [`origin_lookup`](Cors::origin_lookup) gave
/// it an [`OriginLookup`].
#[derive(Debug, Clone)]
pub struct Cors<L = NoLookup> {
    source: PolicySource,
    lookup: L,
}

impl Cors {
    /// A wrapper applying `policy`: a [`Policy`], or a
    /// [`SharedPolicy`](cors_core::SharedPolicy) that may be replaced while
    /// serving.
    pub fn new(policy: impl Into<PolicySource>) -> Self {
        Cors {
            source: policy.into(),
            lookup: NoLookup,
        }
    }

    /// Wraps `filter`: the result answers preflights and refusals itself,
    /// runs `filter` for every other request, and adds the policy's headers
    /// to its reply or to the response warp makes from its rejection.
    ///
    /// `filter` may reject ([`Rejection`]) or not ([`Infallible`], e.g.
    /// after a [`Filter::recover`] that handles everything).
    pub fn wrap<F, R, E>(
        &self,
        filter: F,
    ) -> impl Filter<Extract = (Response,), Error = Infallible>
    + Clone
    + Send
    + Sync
    + 'static
    + use<F, R, E>
    where
        F: Filter<Extract = (R,), Error = E> + Clone + Send + Sync + 'static,
        R: Reply,
        E: FilterError,
    {
        wrap(&self.source, NoLookup, filter)
    }
}

impl Cors<OriginLookup> {
    /// Like [`Cors::wrap`]; a request whose origin the policy refers to the
    /// lookup waits for its verdict (or the cached one) before `filter`
    /// runs or the wrapper answers.
    pub fn wrap<F, R, E>(
        &self,
        filter: F,
    ) -> impl Filter<Extract = (Response,), Error = Infallible>
    + Clone
    + Send
    + Sync
    + 'static
    + use<F, R, E>
    where
        F: Filter<Extract = (R,), Error = E> + Clone + Send + Sync + 'static,
        R: Reply,
        E: FilterError,
    {
        wrap(&self.source, self.lookup.clone(), filter)
    }
}

impl<L> Cors<L> {
    /// Asks `lookup` about the origins the policy refers to it
    /// (`allow_origin_lookup`). See
    /// [Origins from a database](crate#origins-from-a-database).
    pub fn origin_lookup(self, lookup: OriginLookup) -> Cors<OriginLookup> {
        Cors {
            source: self.source,
            lookup,
        }
    }

    /// The policy in force now.
    pub fn policy(&self) -> Policy {
        self.source.current()
    }
}

/// The wrapper, for either kind of lookup slot.
fn wrap<D, F, R, E>(
    source: &PolicySource,
    decide: D,
    filter: F,
) -> impl Filter<Extract = (Response,), Error = Infallible>
+ Clone
+ Send
+ Sync
+ 'static
+ use<D, F, R, E>
where
    D: Decide,
    F: Filter<Extract = (R,), Error = E> + Clone + Send + Sync + 'static,
    R: Reply,
    E: FilterError,
{
    // A fixed policy without routes answers every request without
    // `Origin` alike, and answers actual requests itself either always or
    // never: both are decided once, here.
    let fixed = match source.shared() {
        None => Some(source.current()).filter(|policy| !policy.has_routes()),
        Some(_) => None,
    };
    // A request without `Origin` is not a CORS request; what its response
    // gets depends on the policy and the path alone.
    let not_cors = fixed
        .as_ref()
        .map(|policy| Forward(policy.not_cors_headers(&RequestParts::new("GET")).cloned()));
    // A fixed policy without routes, no lookup and no origin predicate
    // (which reads the path): the wrapper decides from the method and the
    // headers alone, the policy read once, here.
    let quick = fixed.filter(|policy| !D::ASKS && !policy.uses_origin_predicate());
    // Which requests the wrapper answers itself: preflights, and, with
    // `block_disallowed_origins`, refused actual requests.
    let answers_actual = quick
        .as_ref()
        .is_some_and(Policy::answers_refused_actual_requests);
    let is_quick = quick.is_some();

    // The common path, for a fixed policy: one filter decides a request
    // without `Origin` (the headers decided above); a CORS request that
    // the wrapper does not answer is decided from the method and one
    // header map (every line of each header: two `Origin` lines are
    // refused, and only the map shows them). Both then run the wrapped
    // filter.
    let fixed_plain =
        warp::header::optional::<Present>("origin").and_then(move |origin: Option<Present>| {
            ready(match (origin, &not_cors) {
                (None, Some(forward)) => Ok(forward.clone()),
                _ => Err(warp::reject::not_found()),
            })
        });
    let forwarding_policy = quick.clone();
    let quick_cors = warp::method()
        .and_then(move |method: Method| {
            let forwards = is_quick && method != Method::OPTIONS && !answers_actual;
            ready(if forwards {
                Ok(method)
            } else {
                Err(warp::reject::not_found())
            })
        })
        .and(warp::header::headers_cloned())
        .and_then(move |method: Method, headers: HeaderMap| {
            let forward = forwarding_policy.as_ref().and_then(|policy| {
                let mut request = RequestParts::new(method.as_str());
                request.add_http_headers(&headers);
                let decision = policy.evaluate(&request);
                log_refusal(&decision, &method);
                decision.forward_headers()
            });
            ready(
                forward
                    .map(|headers| Forward(Some(headers)))
                    .ok_or_else(warp::reject::not_found),
            )
        });
    let fast = fixed_plain
        .or(quick_cors)
        .unify()
        .and(E::into_responses(filter.clone()))
        .map(|forward: Forward, response| forward.apply(response));

    // What the wrapper answers itself under a fixed policy: whatever the
    // common path handed on (an `OPTIONS` request, or any CORS request when
    // refused ones are answered).
    let answering_policy = quick;
    let quick_answered = warp::method()
        .and_then(move |method: Method| {
            ready(if is_quick {
                Ok(method)
            } else {
                Err(warp::reject::not_found())
            })
        })
        .and(warp::header::headers_cloned())
        .and_then(move |method: Method, headers: HeaderMap| {
            let response = answering_policy.as_ref().and_then(|policy| {
                let mut request = RequestParts::new(method.as_str());
                request.add_http_headers(&headers);
                let decision = policy.evaluate(&request);
                let response = decision.to_http_response(|text| text);
                if response.is_some() {
                    log_refusal(&decision, &method);
                }
                response
            });
            ready(
                response
                    .map(answer_response)
                    .ok_or_else(warp::reject::not_found),
            )
        });

    // Any other policy (shared, with routes, with a lookup), and the rare
    // requests the paths above hand on (an `OPTIONS` request from an
    // origin that is not a preflight): the policy and the path are read
    // per request.
    let plain_source = source.clone();
    let plain = warp::header::optional::<Present>("origin")
        .and_then(|origin: Option<Present>| {
            ready(match origin {
                None => Ok(()),
                Some(Present) => Err(warp::reject::not_found()),
            })
        })
        .untuple_one()
        .and(warp::method())
        .and(warp::path::full())
        .map(move |method: Method, path: FullPath| {
            let policy = plain_source.load();
            let request = RequestParts::new(method.as_str()).with_path(path.as_str());
            Forward(policy.evaluate(&request).forward_headers())
        })
        .and(E::into_responses(filter.clone()))
        .map(|forward: Forward, response| forward.apply(response));

    // The policy is read once per CORS request, and that policy decides
    // everything about it.
    let source = source.clone();
    let request = warp::any()
        .map(move || source.current())
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::header::headers_cloned().map(Some))
        .map(Incoming::new);
    // Which requests the wrapper answers before running the filter:
    // preflights (`plain` took every request without `Origin`). Any other
    // answer is found by `forwarded` and carried out of it as a rejection.
    let answerable = warp::method()
        .and(present("access-control-request-method"))
        .and_then(move |method: Method, request_method| {
            let preflight = method == Method::OPTIONS && request_method;
            ready(if preflight {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            })
        })
        .untuple_one();
    let answering = decide.clone();
    let answered = answerable
        .and(request.clone())
        .and_then(move |incoming: Incoming| {
            let pending = answering.now(&incoming);
            D::answer(pending, incoming)
        });
    let forwarded = request
        .and_then(move |incoming: Incoming| {
            let pending = decide.now(&incoming);
            D::forward(pending, incoming)
        })
        .and(E::into_responses(filter))
        .map(|forward: Forward, response| forward.apply(response))
        .or_else(answered_later);
    // Nested to the right, so that the common path's response passes
    // through as few combinators as possible.
    let general = plain.or(answered).unify().or(forwarded).unify();
    // warp clones the second branch of an `or` for every request, and
    // cloning a branch clones each closure in it (a policy handle is two
    // atomic operations): boxed, all of this clones as one pointer, at the
    // cost of one allocation for the future of a request that goes in.
    let slow = quick_answered
        .or(general)
        .unify()
        .boxed()
        .or_else(|rejection: Rejection| {
            // Never taken: `general` answers every request it gets.
            ready(Ok::<_, Infallible>((rejection_response(&rejection),)))
        });
    fast.or(slow).unify()
}

/// An answer the wrapper gives itself, as warp's response. warp boxes
/// every body but its empty one: an answer without text (an allowed
/// preflight) gets that, which costs no allocation where `""` would cost
/// one. Converted last: the answer moves through the filters smaller.
#[inline]
fn answer_response(response: http::Response<&'static str>) -> Response {
    if response.body().is_empty() {
        response.map(|_| None::<Bytes>).into_response()
    } else {
        response.into_response()
    }
}

/// Logs a refusal at debug level.
fn log_refusal(decision: &Decision<'_>, method: &Method) {
    // Asked only when it is logged: telling a malformed origin from
    // one not allowed means parsing it.
    if tracing::enabled!(tracing::Level::DEBUG) {
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(%refusal, method = %method, "CORS request refused");
        }
    }
}

/// Whether the request has a `name` header, read without copying it.
fn present(
    name: &'static str,
) -> impl Filter<Extract = (bool,), Error = Infallible> + Copy + Send + Sync + 'static {
    warp::header::optional::<Present>(name)
        .map(|value: Option<Present>| value.is_some())
        // warp rejects a value that is not visible ASCII: present all
        // the same.
        .or(warp::any().map(|| true))
        .unify()
}

/// A header's presence; its value is not kept.
struct Present;

impl std::str::FromStr for Present {
    type Err = Infallible;

    fn from_str(_: &str) -> Result<Self, Infallible> {
        Ok(Present)
    }
}

/// Shorthand for [`Cors::new`]: `cors_warp::cors(policy).wrap(routes)`,
/// with a [`Policy`] or a [`SharedPolicy`](cors_core::SharedPolicy).
///
/// warp 0.4 seals its `Wrap` trait, so a crate outside warp cannot offer a
/// value for [`Filter::with`] directly; through [`warp::wrap_fn`] it reads
/// `routes.with(warp::wrap_fn(move |routes| cors.wrap(routes)))`.
pub fn cors(policy: impl Into<PolicySource>) -> Cors {
    Cors::new(policy)
}

/// How a wrapper decides: at once ([`NoLookup`]), or asking an
/// [`OriginLookup`] when the policy refers the origin to it.
trait Decide: Clone + Send + Sync + 'static {
    /// Whether a decision may wait for a lookup.
    const ASKS: bool;

    /// What a decision may wait for: nothing ([`Infallible`]) or a lookup.
    type Wait: Send + 'static;

    /// The decision, when it can be made at once.
    fn now(&self, incoming: &Incoming) -> Pending<Self::Wait>;

    /// The wrapper's own answer, or a not-found rejection to run the
    /// wrapped filter (which `or` then tries).
    fn answer(
        pending: Pending<Self::Wait>,
        incoming: Incoming,
    ) -> impl Future<Output = Result<Response, Rejection>> + Send + 'static;

    /// The headers for the wrapped filter's response, decided before it
    /// runs; or, when the wrapper answers after all, that answer as an
    /// [`Answered`] rejection.
    fn forward(
        pending: Pending<Self::Wait>,
        incoming: Incoming,
    ) -> impl Future<Output = Result<Forward, Rejection>> + Send + 'static;
}

impl Decide for NoLookup {
    const ASKS: bool = false;
    type Wait = Infallible;

    fn now(&self, incoming: &Incoming) -> Pending<Infallible> {
        Pending::Decided(incoming.decide())
    }

    fn answer(
        pending: Pending<Infallible>,
        _: Incoming,
    ) -> impl Future<Output = Result<Response, Rejection>> + Send + 'static {
        ready(pending.decided().into_answer())
    }

    fn forward(
        pending: Pending<Infallible>,
        _: Incoming,
    ) -> impl Future<Output = Result<Forward, Rejection>> + Send + 'static {
        ready(pending.decided().into_forward())
    }
}

impl Decide for OriginLookup {
    const ASKS: bool = true;
    type Wait = OriginLookup;

    fn now(&self, incoming: &Incoming) -> Pending<OriginLookup> {
        incoming.decide_now(self)
    }

    async fn answer(
        pending: Pending<OriginLookup>,
        incoming: Incoming,
    ) -> Result<Response, Rejection> {
        pending.finish(incoming).await.into_answer()
    }

    async fn forward(
        pending: Pending<OriginLookup>,
        incoming: Incoming,
    ) -> Result<Forward, Rejection> {
        pending.finish(incoming).await.into_forward()
    }
}

/// A decision made at once, or what to wait for.
enum Pending<W> {
    Decided(Outcome),
    Ask(W),
}

impl Pending<Infallible> {
    fn decided(self) -> Outcome {
        match self {
            Pending::Decided(outcome) => outcome,
            Pending::Ask(never) => match never {},
        }
    }
}

impl Pending<OriginLookup> {
    async fn finish(self, incoming: Incoming) -> Outcome {
        match self {
            Pending::Decided(outcome) => outcome,
            Pending::Ask(lookup) => incoming.decide_asking(&lookup).await,
        }
    }
}

/// Logs a lookup that gave no verdict (the origin is refused).
fn warn_if_failed(origin: &str, verdict: &Verdict) {
    if let Verdict::Failed(error) = verdict {
        tracing::warn!(origin = %origin, reason = %error, "CORS origin lookup failed; origin refused");
    }
}

/// The request as the wrapper reads it: what the engine reads.
struct Incoming {
    policy: Policy,
    method: Method,
    path: FullPath,
    /// For a CORS request only.
    headers: Option<HeaderMap>,
}

/// What the wrapper does with a request.
enum Outcome {
    /// Answers it; the wrapped filter does not run.
    Answer(http::Response<&'static str>),
    /// Runs the wrapped filter, and puts these on its response.
    Forward(Forward),
}

impl Outcome {
    fn into_answer(self) -> Result<Response, Rejection> {
        match self {
            Outcome::Answer(response) => Ok(answer_response(response)),
            Outcome::Forward(_) => Err(warp::reject::not_found()),
        }
    }

    fn into_forward(self) -> Result<Forward, Rejection> {
        match self {
            Outcome::Forward(forward) => Ok(forward),
            Outcome::Answer(response) => {
                Err(warp::reject::custom(Answered(Mutex::new(Some(response)))))
            }
        }
    }
}

/// An answer decided where the wrapped filter was about to run, carried
/// out as a rejection to [`answered_later`].
#[derive(Debug)]
struct Answered(Mutex<Option<http::Response<&'static str>>>);

impl warp::reject::Reject for Answered {}

/// The answer an [`Answered`] rejection carries. The wrapped filter's own
/// rejections never get here: they became responses inside.
fn answered_later(rejection: Rejection) -> Ready<Result<(Response,), Infallible>> {
    let answer = rejection
        .find::<Answered>()
        .and_then(|answered| answered.0.lock().ok()?.take());
    ready(Ok((match answer {
        Some(response) => answer_response(response),
        None => rejection_response(&rejection),
    },)))
}

impl Incoming {
    fn new(policy: Policy, method: Method, path: FullPath, headers: Option<HeaderMap>) -> Self {
        Incoming {
            policy,
            method,
            path,
            headers,
        }
    }

    fn parts(&self) -> RequestParts<'_> {
        match &self.headers {
            Some(headers) => {
                RequestParts::from_http_headers(&self.method, self.path.as_str(), headers)
            }
            None => RequestParts::new(self.method.as_str()).with_path(self.path.as_str()),
        }
    }

    /// What a final decision means for this request.
    fn settle(&self, decision: &Decision<'_>) -> Outcome {
        log_refusal(decision, &self.method);
        match decision.to_http_response(|text| text) {
            Some(response) => Outcome::Answer(response),
            None => Outcome::Forward(Forward(decision.forward_headers())),
        }
    }

    /// The decision, without a lookup.
    fn decide(&self) -> Outcome {
        self.settle(&self.policy.evaluate(&self.parts()))
    }

    /// The decision when it needs no lookup or the lookup's verdict is
    /// cached; otherwise the lookup to wait for.
    fn decide_now(&self, lookup: &OriginLookup) -> Pending<OriginLookup> {
        let request = self.parts();
        let decision = self.policy.evaluate_with_lookup(&request);
        let Some(query) = decision.lookup() else {
            return Pending::Decided(self.settle(&decision));
        };
        match lookup.cached(query.origin()) {
            Some(verdict) => {
                warn_if_failed(query.origin(), &verdict);
                let decision = self.policy.resolve_lookup(&request, verdict.is_allowed());
                Pending::Decided(self.settle(&decision))
            }
            None => Pending::Ask(lookup.clone()),
        }
    }

    /// The decision after waiting for the lookup's verdict.
    async fn decide_asking(&self, lookup: &OriginLookup) -> Outcome {
        let request = self.parts();
        // The same policy and request as in `decide_now`: the same question.
        let asked = self.policy.evaluate_with_lookup(&request);
        let decision = match asked.lookup() {
            Some(query) => {
                let verdict = lookup.decide(query, tokio::time::sleep).await;
                warn_if_failed(query.origin(), &verdict);
                self.policy.resolve_lookup(&request, verdict.is_allowed())
            }
            None => asked,
        };
        self.settle(&decision)
    }
}

/// What goes on the wrapped filter's response.
#[derive(Clone)]
struct Forward(Option<cors_core::ForwardHeaders>);

impl Forward {
    fn apply(self, mut response: Response) -> Response {
        if let Some(headers) = self.0 {
            headers.apply(response.headers_mut());
        }
        response
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for warp::Rejection {}
    impl Sealed for std::convert::Infallible {}
}

/// The error type of a filter [`Cors`] can wrap: [`Rejection`] or
/// [`Infallible`] (warp's two). Sealed.
pub trait FilterError: sealed::Sealed + Sized {
    /// `filter` with its replies and rejections turned into responses.
    #[doc(hidden)]
    fn into_responses<F, R>(
        filter: F,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
    where
        F: Filter<Extract = (R,), Error = Self> + Clone + Send + Sync + 'static,
        R: Reply;
}

impl FilterError for Rejection {
    fn into_responses<F, R>(
        filter: F,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
    where
        F: Filter<Extract = (R,), Error = Self> + Clone + Send + Sync + 'static,
        R: Reply,
    {
        filter
            .map(|reply: R| reply.into_response())
            .or_else(|rejection: Rejection| {
                ready(Ok::<_, Infallible>((rejection_response(&rejection),)))
            })
    }
}

impl FilterError for Infallible {
    fn into_responses<F, R>(
        filter: F,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
    where
        F: Filter<Extract = (R,), Error = Self> + Clone + Send + Sync + 'static,
        R: Reply,
    {
        filter.map(|reply: R| reply.into_response())
    }
}

/// The response warp 0.4 sends for a rejection that nothing recovered.
///
/// warp keeps this conversion private (its `IsReject` trait is sealed), so
/// this reproduces it from warp 0.4.3's source, through the public
/// [`Rejection::find`]:
///
/// | rejection | status | body |
/// |---|---|---|
/// | not found ([`warp::reject::not_found`], no route matched) | 404 | empty |
/// | `MethodNotAllowed` | 405 | its message, `text/plain; charset=utf-8` |
/// | `InvalidHeader`, `MissingHeader`, `MissingCookie`, `InvalidQuery`, `BodyDeserializeError` | 400 | same |
/// | `CorsForbidden` (warp's own CORS filter) | 403 | same |
/// | `LengthRequired` | 411 | same |
/// | `PayloadTooLarge` | 413 | same |
/// | `UnsupportedMediaType` | 415 | same |
/// | `MissingExtension` | 500 | same |
/// | anything else (a custom rejection) | 500 | `Unhandled rejection: ` and its `Debug`, logged at `ERROR` as warp does |
///
/// When routes rejected for several reasons, warp answers the preferred
/// one: 404 least, then 405, then the highest status. Known differences,
/// none of which concern the rejections routing produces:
///
/// - warp's private rejections (a body read error, 400; `warp::fs` open and
///   permission errors, 500 and 403; a body taken twice, 500; the
///   `websocket` feature's missing upgrade, 400) cannot be found from
///   outside warp and get the custom answer, 500.
/// - Between two reasons of the same status warp prefers the later
///   route's; this function prefers the one listed first above.
/// - A custom rejection combined with one of the listed reasons: warp
///   answers 500 for the custom one (the higher status); this function,
///   which cannot see custom causes, answers the listed reason. Recover
///   your custom rejections (a custom rejection nothing recovers is a bug
///   warp reports as 500 anyway).
pub fn rejection_response(rejection: &Rejection) -> Response {
    use warp::filters::body::BodyDeserializeError;
    use warp::filters::cors::CorsForbidden;
    use warp::filters::ext::MissingExtension;
    use warp::reject::{
        InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingCookie,
        MissingHeader, PayloadTooLarge, UnsupportedMediaType,
    };

    if rejection.is_not_found() {
        return StatusCode::NOT_FOUND.into_response();
    }
    fn found<T: std::fmt::Display + 'static>(
        rejection: &Rejection,
        status: StatusCode,
    ) -> Option<(StatusCode, String)> {
        rejection
            .find::<T>()
            .map(|cause| (status, cause.to_string()))
    }
    let known = [
        found::<MethodNotAllowed>(rejection, StatusCode::METHOD_NOT_ALLOWED),
        found::<InvalidHeader>(rejection, StatusCode::BAD_REQUEST),
        found::<MissingHeader>(rejection, StatusCode::BAD_REQUEST),
        found::<MissingCookie>(rejection, StatusCode::BAD_REQUEST),
        found::<InvalidQuery>(rejection, StatusCode::BAD_REQUEST),
        found::<BodyDeserializeError>(rejection, StatusCode::BAD_REQUEST),
        found::<CorsForbidden>(rejection, StatusCode::FORBIDDEN),
        found::<LengthRequired>(rejection, StatusCode::LENGTH_REQUIRED),
        found::<PayloadTooLarge>(rejection, StatusCode::PAYLOAD_TOO_LARGE),
        found::<UnsupportedMediaType>(rejection, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        found::<MissingExtension>(rejection, StatusCode::INTERNAL_SERVER_ERROR),
    ];
    // warp's preference: 405 below every other status, then the highest;
    // the first of equals.
    let rank = |status: StatusCode| match status {
        StatusCode::METHOD_NOT_ALLOWED => 0,
        other => other.as_u16(),
    };
    let preferred = known
        .into_iter()
        .flatten()
        .reduce(|a, b| if rank(b.0) > rank(a.0) { b } else { a });
    let (status, text) = match preferred {
        Some(known) => known,
        None => {
            tracing::error!(
                "unhandled custom rejection, returning 500 response: {:?}",
                rejection
            );
            let debug = format!("{rejection:?}");
            let cause = debug
                .strip_prefix("Rejection(")
                .and_then(|d| d.strip_suffix(')'))
                .unwrap_or(&debug);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Unhandled rejection: {cause}"),
            )
        }
    };
    warp::reply::with_status(text, status).into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn policy() -> Policy {
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_methods(["GET", "PUT"])
            .allow_credentials(true)
            .build()
            .unwrap()
    }

    #[derive(Debug, serde::Deserialize)]
    struct Number {
        #[allow(dead_code)]
        n: i64,
    }

    /// `GET /items` and `POST /json`, counting the handler's runs.
    fn routes(
        calls: Arc<AtomicUsize>,
    ) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone + Send + Sync + 'static
    {
        let items = warp::path!("items").and(warp::get()).map(move || {
            calls.fetch_add(1, Ordering::SeqCst);
            warp::reply::with_header("items", "access-control-allow-origin", "*")
        });
        let json = warp::path!("json")
            .and(warp::post())
            .and(warp::body::json())
            .map(|_: Number| "ok");
        items.or(json)
    }

    #[tokio::test]
    async fn preflight_to_any_path_is_answered_without_the_routes() {
        let calls = Arc::new(AtomicUsize::new(0));
        let filter = cors(policy()).wrap(routes(calls.clone()));
        for path in ["/items", "/nowhere"] {
            let response = warp::test::request()
                .method("OPTIONS")
                .path(path)
                .header("origin", "https://app.example")
                .header("access-control-request-method", "PUT")
                .reply(&filter)
                .await;
            assert_eq!(response.status(), 204, "{path}");
            assert_eq!(
                response.headers()["access-control-allow-methods"],
                "PUT",
                "{path}"
            );
            assert!(response.body().is_empty());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        let response = warp::test::request()
            .method("OPTIONS")
            .path("/items")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "DELETE")
            .reply(&filter)
            .await;
        assert_eq!(response.status(), 403);
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        assert_eq!(
            response.body(),
            "CORS preflight refused: method not allowed\n"
        );
    }

    #[tokio::test]
    async fn replies_get_the_policy_headers_instead_of_their_own() {
        let calls = Arc::new(AtomicUsize::new(0));
        let filter = cors(policy()).wrap(routes(calls.clone()));
        let response = warp::test::request()
            .path("/items")
            .header("origin", "https://app.example")
            .reply(&filter)
            .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(response.body(), "items");
        let acao: Vec<_> = response
            .headers()
            .get_all("access-control-allow-origin")
            .iter()
            .collect();
        assert_eq!(acao, ["https://app.example"]);
        assert_eq!(
            response.headers()["access-control-allow-credentials"],
            "true"
        );
        assert_eq!(response.headers()["vary"], "Origin");
    }

    #[tokio::test]
    async fn origin_predicate_sees_the_request_path() {
        let policy = Policy::builder()
            .allow_origin_predicate(|_origin, request| request.path().starts_with("/public"))
            .build()
            .unwrap();
        let filter = cors(policy).wrap(warp::path::tail().map(|_| "ok"));
        for (path, allowed) in [("/public/a", true), ("/private", false)] {
            let response = warp::test::request()
                .path(path)
                .header("origin", "https://any.example")
                .reply(&filter)
                .await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(
                response
                    .headers()
                    .contains_key("access-control-allow-origin"),
                allowed,
                "{path}"
            );
            let preflight = warp::test::request()
                .method("OPTIONS")
                .path(path)
                .header("origin", "https://any.example")
                .header("access-control-request-method", "GET")
                .reply(&filter)
                .await;
            assert_eq!(
                preflight
                    .headers()
                    .contains_key("access-control-allow-origin"),
                allowed,
                "preflight {path}"
            );
        }
    }

    #[tokio::test]
    async fn rejections_become_warps_responses_with_cors_headers() {
        let filter = cors(policy()).wrap(routes(Arc::default()));
        let cases = [
            ("GET", "/nowhere", "", 404, ""),
            ("DELETE", "/items", "", 405, "HTTP method not allowed"),
            (
                "POST",
                "/json",
                "{not json",
                400,
                "Request body deserialize error: ",
            ),
        ];
        for (method, path, body, status, text) in cases {
            let response = warp::test::request()
                .method(method)
                .path(path)
                .header("origin", "https://app.example")
                .header("content-type", "application/json")
                .body(body)
                .reply(&filter)
                .await;
            assert_eq!(response.status(), status, "{method} {path}");
            let shown = String::from_utf8_lossy(response.body());
            assert!(shown.starts_with(text), "{method} {path}: {shown}");
            assert_eq!(
                response.headers()["access-control-allow-origin"],
                "https://app.example",
                "{method} {path}"
            );
            assert_eq!(response.headers()["vary"], "Origin");
        }
    }

    #[tokio::test]
    async fn recovered_filters_are_wrapped_too() {
        async fn recover(_: Rejection) -> Result<impl Reply, Infallible> {
            Ok(warp::reply::with_status("gone", StatusCode::GONE))
        }
        let filter = cors(policy()).wrap(routes(Arc::default()).recover(recover));
        let response = warp::test::request()
            .path("/nowhere")
            .header("origin", "https://app.example")
            .reply(&filter)
            .await;
        assert_eq!(response.status(), 410);
        assert_eq!(response.body(), "gone");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example"
        );
    }

    #[tokio::test]
    async fn rejection_response_matches_warps_own() {
        #[derive(Debug)]
        struct Custom;
        impl warp::reject::Reject for Custom {}

        let filters = [
            warp::path!("a").map(|| "a").boxed(),
            warp::post().map(|| "post").boxed(),
            warp::any()
                .and_then(|| ready(Err::<&str, _>(warp::reject::custom(Custom))))
                .boxed(),
            warp::header::<String>("x-a").map(|_| "header").boxed(),
            warp::query::<Number>().map(|_| "query").boxed(),
            warp::body::json().map(|_: Number| "json").boxed(),
        ];
        // Each filter alone; the first two combined (405 over 404); two
        // reasons of one status (warp prefers the later route's, here the
        // one listed first); 415 over 400.
        let [a, post, custom, header, query, json] = filters;
        let combined = a.clone().or(post.clone()).unify().boxed();
        let same_status = query.clone().or(header.clone()).unify().boxed();
        let higher_last = header.clone().or(json.clone()).unify().boxed();
        for (filter, status) in [
            (a, 404),
            (post, 405),
            (custom, 500),
            (combined, 405),
            (header, 400),
            (query, 400),
            (json, 415),
            (same_status, 400),
            (higher_last, 415),
        ] {
            let request = || {
                warp::test::request()
                    .path("/b?n=x")
                    .header("content-type", "text/plain")
            };
            let warps = request().reply(&filter).await;
            let rejection = request().filter(&filter).await.unwrap_err();
            let ours = rejection_response(&rejection);
            assert_eq!(warps.status(), status);
            assert_eq!(ours.status(), warps.status());
            assert_eq!(
                ours.headers().get("content-type"),
                warps.headers().get("content-type")
            );
            let body = http_body_util::BodyExt::collect(ours.into_body())
                .await
                .unwrap()
                .to_bytes();
            assert_eq!(body, warps.body());
        }
    }
}
