//! The demo application in axum, with [`cors_axum::CorsLayer`].

use axum::Router;
use axum::extract::Json;
use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue, VARY};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cors_axum::CorsLayer;
use cors_core::{OriginLookup, PolicySource};
use serde::Deserialize;

use crate::Routes;

const X_HANDLER: HeaderName = HeaderName::from_static("x-handler");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The demo routes (see the [crate docs](crate)) behind a [`CorsLayer`]
/// applying `policy`: a [`Policy`](cors_core::Policy), or a
/// [`SharedPolicy`](cors_core::SharedPolicy) that may be replaced while
/// serving.
///
/// The layer is added last, so it wraps every route *and* the fallback:
/// preflights to any path, routed or not, are answered, and the router's
/// own 404 and 405 responses get the policy's headers.
pub fn router(policy: impl Into<PolicySource>, routes: Routes) -> Router {
    unlayered(routes).layer(CorsLayer::new(policy))
}

/// [`router`], with `lookup` as the layer's
/// [origin lookup](CorsLayer::origin_lookup).
pub fn router_with_lookup(
    policy: impl Into<PolicySource>,
    routes: Routes,
    lookup: OriginLookup,
) -> Router {
    unlayered(routes).layer(CorsLayer::new(policy).origin_lookup(lookup))
}

/// The routes, without CORS (the end-to-end benchmark serves them with
/// the crate the adapter replaces).
pub fn unlayered(routes: Routes) -> Router {
    let echo = || {
        get(echo)
            .post(echo)
            .put(echo)
            .patch(echo)
            .delete(echo)
            .options(echo)
    };
    // `/public/echo` is `/echo` under another path, for per-path policies
    // (`[[routes]] paths = ["/public/*"]`).
    let mut router = Router::new()
        .route("/echo", echo())
        .route("/public/echo", echo())
        .route("/fail", get(fail));
    if routes == Routes::Conformance {
        router = router
            .route("/own-cors", get(own_cors))
            .route("/vary-star", get(vary_star))
            .route("/json", post(json));
    }
    router
}

/// `/echo`: 200, `ok`, and the contract's headers.
async fn echo() -> impl IntoResponse {
    (
        [
            (X_HANDLER, HeaderValue::from_static("ran")),
            (VARY, HeaderValue::from_static("Accept-Encoding")),
            (X_REQUEST_ID, HeaderValue::from_static("1")),
        ],
        "ok",
    )
}

/// The error `/fail` returns, which axum turns into a 500 response.
#[derive(Debug)]
struct Failure;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, "the handler failed\n").into_response()
    }
}

/// `/fail`: a handler that fails through axum's error mechanism, a
/// `Result` whose error implements `IntoResponse`.
async fn fail() -> Result<&'static str, Failure> {
    Err(Failure)
}

/// `GET /own-cors`: CORS headers of the handler's own, which the policy
/// replaces.
async fn own_cors() -> impl IntoResponse {
    (
        [
            ("access-control-allow-origin", "https://handler.example"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-secret"),
            ("vary", "Origin"),
            ("x-handler", "ran"),
        ],
        "ok",
    )
}

/// `GET /vary-star`: `Vary: *`.
async fn vary_star() -> impl IntoResponse {
    ([("vary", "*"), ("x-handler", "ran")], "ok")
}

/// The body `POST /json` takes.
#[derive(Debug, Deserialize)]
struct Number {
    #[allow(dead_code)]
    n: i64,
}

/// `POST /json`: axum's `Json` extractor; a body that does not parse gets
/// axum's own 4xx rejection.
async fn json(Json(_number): Json<Number>) -> impl IntoResponse {
    ([("x-handler", "ran")], "ok")
}
