//! axum 0.8: [`cors_axum::CorsLayer`] against tower-http's `CorsLayer`,
//! each the last layer of a `Router`, called with `oneshot` on a
//! current-thread tokio runtime.

use std::time::Duration;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::http::{HeaderName, HeaderValue, Method, Request, Response};
use ::axum::routing::get;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::{
    EXPOSED, Framework, HEADERS, LARGE_ALLOWLIST, MAX_AGE, METHODS, Observed, SMALL_ALLOWLIST,
    Scenario, Variant, origins, our_policy,
};

/// The axum applications.
pub struct Axum {
    runtime: tokio::runtime::Runtime,
    baseline: Router,
    /// Small and large allowlist.
    ours: [Router; 2],
    peer: [Router; 2],
}

fn routes() -> Router {
    Router::new().route("/items", get(|| async { "items" }))
}

/// tower-http's layer for an allowlist of `n` origins.
pub fn peer_layer(n: usize) -> CorsLayer {
    let origins = origins(n)
        .into_iter()
        .map(|o| HeaderValue::from_str(&o).expect("origin"));
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(METHODS.map(|m| Method::from_bytes(m.as_bytes()).expect("method")))
        .allow_headers(HEADERS.map(HeaderName::from_static))
        .expose_headers([HeaderName::from_static(EXPOSED)])
        .allow_credentials(true)
        .max_age(Duration::from_secs(MAX_AGE))
}

impl Axum {
    /// Builds every application.
    pub fn new() -> Self {
        let sizes = [SMALL_ALLOWLIST, LARGE_ALLOWLIST];
        Axum {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("tokio runtime"),
            baseline: routes(),
            ours: sizes.map(|n| routes().layer(cors_axum::CorsLayer::new(our_policy(n)))),
            peer: sizes.map(|n| routes().layer(peer_layer(n))),
        }
    }

    fn respond(&mut self, variant: Variant, scenario: Scenario) -> Response<Body> {
        let i = usize::from(scenario.large());
        let app = match variant {
            Variant::Baseline => &self.baseline,
            Variant::Ours => &self.ours[i],
            Variant::Peer => &self.peer[i],
            Variant::Floor | Variant::Conforming => panic!("axum has no floor variants"),
        };
        let mut request = Request::builder()
            .method(scenario.method())
            .uri(scenario.path());
        for (name, value) in scenario.served_headers() {
            request = request.header(name, value);
        }
        let request = request.body(Body::empty()).expect("request");
        let response = self.runtime.block_on(app.clone().oneshot(request));
        match response {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

impl Default for Axum {
    fn default() -> Self {
        Axum::new()
    }
}

impl Framework for Axum {
    const NAME: &'static str = "axum";
    const PEER: &'static str = "tower-http `CorsLayer`";

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.respond(variant, scenario).status().as_u16()
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        Observed::of_http(&self.respond(variant, scenario))
    }
}
