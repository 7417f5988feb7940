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
//! 1. It reads the request's method, path and headers and evaluates the
//!    policy. A preflight, or a refusal with `block_disallowed_origins`, is
//!    answered right there; the wrapped filter never runs. So preflights to
//!    any path are answered, even where no route matches.
//! 2. Otherwise the wrapped filter runs. Its reply, or its rejection turned
//!    into the response warp would have sent (see [`rejection_response`]),
//!    gets the decision's headers with
//!    [`Decision::apply_to_http`](cors_core::Decision::apply_to_http).
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
//! # Cost
//!
//! warp gives filters no borrowed access to the request, so the wrapper
//! clones the header map of a CORS request (one with `Origin`) once, to
//! decide; a request without `Origin` costs one header lookup (its
//! headers are decided once, when the wrapper is built). The
//! decision is made once, before the wrapped filter runs: what its
//! response needs is kept
//! ([`ForwardHeaders`](cors_core::ForwardHeaders): reference-counted
//! values, the request's own `Origin` among them) and the header map
//! dropped. Per request the policy handle is cloned (a reference count);
//! nothing is boxed.
//!
//! # Logging
//!
//! Refused CORS requests are logged with `tracing` at `DEBUG` level, with
//! the engine's typed reason in the `refusal` field (request bytes escaped).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::convert::Infallible;
use std::future::{Ready, ready};

use cors_core::{Policy, RequestParts};
use http::{HeaderMap, Method, StatusCode};
use warp::filters::path::FullPath;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Applies a CORS [`Policy`] to a warp filter. See the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct Cors {
    policy: Policy,
}

impl Cors {
    /// A wrapper applying `policy`.
    pub fn new(policy: Policy) -> Self {
        Cors { policy }
    }

    /// The policy this wrapper applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
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
        // A request without `Origin` is not a CORS request; what its
        // response gets depends on the policy alone, so it is decided once,
        // here, and such a request costs a header lookup.
        let not_cors = self
            .policy
            .evaluate(&RequestParts::new("GET"))
            .forward_headers(None);
        let plain = warp::header::optional::<Present>("origin")
            .and_then(|origin: Option<Present>| {
                ready(match origin {
                    None => Ok(()),
                    Some(Present) => Err(warp::reject::not_found()),
                })
            })
            .untuple_one()
            .and(E::into_responses(filter.clone()))
            .map(move |response| Forward(not_cors.clone()).apply(response));
        let policy = self.policy.clone();
        let request = warp::any()
            .map(move || policy.clone())
            .and(warp::method())
            .and(warp::path::full())
            .and(warp::header::headers_cloned().map(Some))
            .map(Incoming::new);
        // Which requests the engine may answer itself: preflights, and
        // with `block_disallowed_origins` any CORS request. The others are
        // not read twice: they go straight to `forwarded`.
        let answers_actual = answers_actual_requests(&self.policy);
        let answerable = warp::method()
            .and(present("origin"))
            .and(present("access-control-request-method"))
            .and_then(move |method: Method, origin, request_method| {
                let preflight = method == Method::OPTIONS && origin && request_method;
                ready(if preflight || (origin && answers_actual) {
                    Ok(())
                } else {
                    Err(warp::reject::not_found())
                })
            })
            .untuple_one();
        let answered = answerable.and(request.clone()).and_then(Incoming::answer);
        let forwarded = request
            .map(Incoming::forward)
            .and(E::into_responses(filter))
            .map(|forward: Forward, response| forward.apply(response));
        plain.or(answered).unify().or(forwarded).unify()
    }
}

/// Whether `policy` answers some actual (not preflight) requests itself:
/// refused ones, with `block_disallowed_origins`. Asked once, with a
/// request every policy but one allowing any origin refuses (two `Origin`
/// lines).
fn answers_actual_requests(policy: &Policy) -> bool {
    let mut probe = RequestParts::new("GET");
    probe.add_header("origin", b"https://a.example");
    probe.add_header("origin", b"https://b.example");
    policy.evaluate(&probe).action() != cors_core::Action::Forward
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

/// Shorthand for [`Cors::new`]: `cors_warp::cors(policy).wrap(routes)`.
///
/// warp 0.4 seals its `Wrap` trait, so a crate outside warp cannot offer a
/// value for [`Filter::with`] directly; through [`warp::wrap_fn`] it reads
/// `routes.with(warp::wrap_fn(move |routes| cors.wrap(routes)))`.
pub fn cors(policy: Policy) -> Cors {
    Cors::new(policy)
}

/// The request as the wrapper reads it: what the engine reads.
struct Incoming {
    policy: Policy,
    method: Method,
    path: FullPath,
    /// For a CORS request only.
    headers: Option<HeaderMap>,
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

    fn decide(&self) -> cors_core::Decision<'_> {
        let decision = self.policy.evaluate(&self.parts());
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(%refusal, method = %self.method, "CORS request refused");
        }
        decision
    }

    /// The wrapper's own answer, or a not-found rejection to run the
    /// wrapped filter (which `or` then tries).
    fn answer(self) -> Ready<Result<Response, Rejection>> {
        let decision = self.decide();
        let response = match &self.headers {
            Some(headers) => decision.to_http_response_sharing(headers, |text| text),
            None => decision.to_http_response(|text| text),
        };
        ready(
            response
                .map(Reply::into_response)
                .ok_or_else(warp::reject::not_found),
        )
    }

    /// The headers for the wrapped filter's response, decided before it
    /// runs; the request's headers are dropped here.
    fn forward(self) -> Forward {
        let decision = self.decide();
        let origin = self
            .headers
            .as_ref()
            .and_then(|headers| headers.get(http::header::ORIGIN));
        Forward(decision.forward_headers(origin))
    }
}

/// What goes on the wrapped filter's response.
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
/// - Between two reasons of the same status warp prefers the first route's;
///   this function prefers the one listed first above.
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
        ];
        // Each filter alone, and the first two combined (405 over 404).
        let [a, post, custom] = filters;
        let combined = a.clone().or(post.clone()).unify().boxed();
        for (filter, status) in [(a, 404), (post, 405), (custom, 500), (combined, 405)] {
            let warps = warp::test::request().path("/b").reply(&filter).await;
            let rejection = warp::test::request()
                .path("/b")
                .filter(&filter)
                .await
                .unwrap_err();
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
