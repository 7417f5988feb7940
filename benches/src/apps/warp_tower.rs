//! warp 0.4 served as a tower service: cors-axum's [`CorsLayer`] around
//! `warp::service(routes)` (the service-level way in that cors-warp
//! documents) against `warp::service(routes.with(warp::cors()))`, both
//! called with `oneshot` on a current-thread tokio runtime. The baseline
//! is `warp::service(routes)`.
//!
//! [`CorsLayer`]: cors_axum::CorsLayer

use std::convert::Infallible;

use ::warp::Filter;
use ::warp::http::{Request, Response};
use tower::{Layer, Service, ServiceExt};

use super::warp::{peer_cors, routes};
use super::{Framework, LARGE_ALLOWLIST, Observed, SMALL_ALLOWLIST, Scenario, Variant, our_policy};

/// The three applications, as tower services.
pub struct WarpTower<B, O, P> {
    runtime: tokio::runtime::Runtime,
    baseline: B,
    /// Small and large allowlist.
    ours: [O; 2],
    peer: [P; 2],
}

/// A tower service taking the benchmark's requests (a `String` body).
pub trait App:
    Service<Request<String>, Response = Response<Self::Body>, Error = Infallible> + Clone
{
    /// The response body.
    type Body;
}

impl<S, X> App for S
where
    S: Service<Request<String>, Response = Response<X>, Error = Infallible> + Clone,
{
    type Body = X;
}

/// Builds every application.
pub fn build() -> WarpTower<impl App, impl App, impl App> {
    let sizes = [SMALL_ALLOWLIST, LARGE_ALLOWLIST];
    WarpTower {
        runtime: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime"),
        baseline: ::warp::service(routes()),
        ours: sizes
            .map(|n| cors_axum::CorsLayer::new(our_policy(n)).layer(::warp::service(routes()))),
        peer: sizes.map(|n| ::warp::service(routes().with(peer_cors(n)))),
    }
}

/// `scenario`'s request.
fn request(scenario: Scenario) -> Request<String> {
    let mut request = Request::builder()
        .method(scenario.method())
        .uri(scenario.path());
    for (name, value) in scenario.served_headers() {
        request = request.header(name, value);
    }
    request.body(String::new()).expect("request")
}

/// `app`'s answer to `scenario`, without its body (the bodies differ in
/// type; status and headers are all a benchmark looks at).
fn answer<A: App>(runtime: &tokio::runtime::Runtime, app: &A, scenario: Scenario) -> Response<()> {
    match runtime.block_on(app.clone().oneshot(request(scenario))) {
        Ok(response) => response.map(drop),
        Err(never) => match never {},
    }
}

impl<B: App, O: App, P: App> WarpTower<B, O, P> {
    /// `variant`'s answer to `scenario`.
    fn respond(&mut self, variant: Variant, scenario: Scenario) -> Response<()> {
        let i = usize::from(scenario.large());
        let runtime = &self.runtime;
        match variant {
            Variant::Baseline => answer(runtime, &self.baseline, scenario),
            Variant::Ours => answer(runtime, &self.ours[i], scenario),
            Variant::Peer => answer(runtime, &self.peer[i], scenario),
            Variant::Floor | Variant::Conforming => panic!("warp-tower has no floor variants"),
        }
    }
}

impl<B: App, O: App, P: App> Framework for WarpTower<B, O, P> {
    const NAME: &'static str = "warp-tower";
    const PEER: &'static str = "`warp::cors()` through `warp::service`";

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.respond(variant, scenario).status().as_u16()
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        Observed::of_http(&self.respond(variant, scenario))
    }
}
