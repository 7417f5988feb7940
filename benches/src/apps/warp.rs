//! warp 0.4: [`cors_warp::Cors::wrap`] against `warp::cors()` applied with
//! `Filter::with`, called through `warp::test` on a current-thread tokio
//! runtime.

use ::warp::Filter;
use ::warp::http::Response;
use ::warp::reply::Reply;
use bytes::Bytes;

use super::{
    EXPOSED, Framework, HEADERS, LARGE_ALLOWLIST, MAX_AGE, METHODS, Observed, SMALL_ALLOWLIST,
    Scenario, Variant, origins, our_policy,
};

/// The routes every application serves: `GET /items`.
fn routes() -> impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + 'static {
    ::warp::path("items")
        .and(::warp::path::end())
        .and(::warp::get())
        .map(|| "items")
}

/// warp's own CORS filter for an allowlist of `n` origins.
pub fn peer_cors(n: usize) -> ::warp::cors::Cors {
    let origins = origins(n);
    ::warp::cors()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods(METHODS)
        .allow_headers(HEADERS)
        .expose_headers([EXPOSED])
        .allow_credentials(true)
        .max_age(u32::try_from(MAX_AGE).expect("max age"))
        .build()
}

/// The warp applications.
pub struct Warp<B, O, P> {
    runtime: tokio::runtime::Runtime,
    baseline: B,
    /// Small and large allowlist.
    ours: [O; 2],
    peer: [P; 2],
}

/// Builds every application.
pub fn build() -> Warp<
    impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static,
    impl Filter<Extract = (impl Reply,), Error = std::convert::Infallible>
    + Clone
    + Send
    + Sync
    + 'static,
    impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static,
> {
    let sizes = [SMALL_ALLOWLIST, LARGE_ALLOWLIST];
    Warp {
        runtime: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime"),
        baseline: routes(),
        ours: sizes.map(|n| cors_warp::cors(our_policy(n)).wrap(routes())),
        peer: sizes.map(|n| routes().with(peer_cors(n))),
    }
}

impl<B, O, P> Warp<B, O, P>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
{
    fn respond(&mut self, variant: Variant, scenario: Scenario) -> Response<Bytes> {
        let i = usize::from(scenario.large());
        let mut request = ::warp::test::request()
            .method(scenario.method())
            .path(scenario.path());
        for (name, value) in scenario.headers() {
            request = request.header(*name, *value);
        }
        let runtime = &self.runtime;
        match variant {
            Variant::Baseline => runtime.block_on(request.reply(&self.baseline)),
            Variant::Ours => runtime.block_on(request.reply(&self.ours[i])),
            Variant::Peer => runtime.block_on(request.reply(&self.peer[i])),
        }
    }
}

impl<B, O, P> Framework for Warp<B, O, P>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
{
    const NAME: &'static str = "warp";
    const PEER: &'static str = "`warp::cors()`";

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.respond(variant, scenario).status().as_u16()
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        let response = self.respond(variant, scenario);
        Observed::new(
            response.status().as_u16(),
            response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        )
    }
}
