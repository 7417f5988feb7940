//! warp 0.4: [`cors_warp::Cors::wrap`] against `warp::cors()` applied with
//! `Filter::with`, called through `warp::test` on a current-thread tokio
//! runtime; and the [`floor`], the least any wrapper built on warp's public
//! API does.

use ::warp::Filter;
use ::warp::http::Response;
use ::warp::reply::Reply;
use bytes::Bytes;

use super::{
    EXPOSED, Framework, HEADERS, LARGE_ALLOWLIST, MAX_AGE, METHODS, Observed, SMALL_ALLOWLIST,
    Scenario, Variant, origins, our_policy,
};

/// The routes every application serves: `GET /items`.
pub(super) fn routes()
-> impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + 'static {
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

/// The cheapest wrapper warp's public API allows: it reads `Origin` (one
/// header filter) and sets one header on the reply, or on the response made
/// from a rejection, with no policy at all. Everything an adapter built on
/// the public API must do and nothing else: warp lends the request's
/// headers to its own filters only (`warp::cors()` reads them in place), so
/// a wrapper gets a header's value as an owned copy, and it must turn a
/// rejection into a response itself to put a header on it. It answers no
/// preflight (the routes' 405 gets the header) and rejects an `Origin`
/// that is not visible ASCII; it is a measure, not CORS.
pub fn floor<F, R>(
    routes: F,
) -> impl Filter<Extract = (::warp::reply::Response,), Error = std::convert::Infallible>
+ Clone
+ Send
+ Sync
+ 'static
where
    F: Filter<Extract = (R,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static,
    R: Reply + 'static,
{
    use ::warp::http::HeaderValue;
    use ::warp::http::header::ACCESS_CONTROL_ALLOW_ORIGIN;

    let responses = routes.map(Reply::into_response).or_else(|rejection| {
        std::future::ready(Ok::<_, std::convert::Infallible>((
            cors_warp::rejection_response(&rejection),
        )))
    });
    ::warp::header::optional::<HeaderValue>("origin")
        .or(::warp::any().map(|| None))
        .unify()
        .and(responses)
        .map(
            |origin: Option<HeaderValue>, mut response: ::warp::reply::Response| {
                if let Some(origin) = origin {
                    response
                        .headers_mut()
                        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                }
                response
            },
        )
}

/// The warp applications.
pub struct Warp<B, O, P, F> {
    runtime: tokio::runtime::Runtime,
    baseline: B,
    /// Small and large allowlist.
    ours: [O; 2],
    peer: [P; 2],
    floor: F,
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
    impl Filter<Extract = (impl Reply,), Error = std::convert::Infallible>
    + Clone
    + Send
    + Sync
    + 'static,
> {
    let sizes = [SMALL_ALLOWLIST, LARGE_ALLOWLIST];
    Warp {
        runtime: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime"),
        baseline: routes(),
        ours: sizes.map(|n| cors_warp::cors(our_policy(n)).wrap(routes())),
        peer: sizes.map(|n| routes().with(peer_cors(n))),
        floor: floor(routes()),
    }
}

impl<B, O, P, F> Warp<B, O, P, F>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
    F: Filter<Error = std::convert::Infallible> + 'static,
    F::Extract: Reply + Send,
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
            Variant::Floor => runtime.block_on(request.reply(&self.floor)),
        }
    }
}

impl<B, O, P, F> Framework for Warp<B, O, P, F>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
    F: Filter<Error = std::convert::Infallible> + 'static,
    F::Extract: Reply + Send,
{
    const NAME: &'static str = "warp";
    const PEER: &'static str = "`warp::cors()`";
    const VARIANTS: &'static [Variant] = &Variant::EVERY;

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.respond(variant, scenario).status().as_u16()
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        Observed::of_http(&self.respond(variant, scenario))
    }
}
