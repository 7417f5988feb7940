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

/// Routes a wrapper takes: warp's filters that extract one reply.
pub trait Routes<R>:
    Filter<Extract = (R,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static
{
}

impl<T, R> Routes<R> for T where
    T: Filter<Extract = (R,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static
{
}

/// What a wrapper built on warp's public API returns: a filter that
/// answers every request with a response.
pub trait Wrapper:
    Filter<Extract = (::warp::reply::Response,), Error = std::convert::Infallible>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> Wrapper for T where
    T: Filter<Extract = (::warp::reply::Response,), Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static
{
}

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
pub fn floor<F, R>(routes: F) -> impl Wrapper
where
    F: Routes<R>,
    R: Reply + 'static,
{
    use ::warp::http::HeaderValue;
    use ::warp::http::header::ACCESS_CONTROL_ALLOW_ORIGIN;

    ::warp::header::optional::<HeaderValue>("origin")
        .or(::warp::any().map(|| None))
        .unify()
        .and(responses(routes))
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

/// The least a wrapper on warp's public API must do to answer CORS
/// requests correctly, with the benchmark policy written into it instead
/// of evaluated: the [`floor`] plus what correctness adds. It sees every
/// `Origin` line (a request with two is refused), and so clones the header
/// map, since warp's header filters give the first line only; it validates
/// a preflight's method and each requested header; it sets the headers a
/// browser needs (three on an allowed request, five on an allowed
/// preflight) and `Vary` on every response, the routes' rejections
/// included. What it leaves out is the generality of a policy engine (the
/// origins, methods and headers are fixed, compared as bytes; a requested
/// header's name is not checked to be a token) and what this project adds
/// to the protocol (CORS headers the routes set are not replaced, `Vary`
/// is appended rather than merged, a refusal has no body).
pub fn conforming_floor<F, R>(routes: F, allowed: Vec<String>) -> impl Wrapper
where
    F: Routes<R>,
    R: Reply + 'static,
{
    use std::future::ready;
    use std::sync::Arc;

    use ::warp::http::{HeaderMap, HeaderValue, StatusCode, header};

    let origins = Arc::new(Origins::new(&allowed));
    // No `Origin` (one header lookup): the routes' response, with `Vary`.
    let plain =
        ::warp::header::optional::<Present>("origin").and_then(|origin: Option<Present>| {
            ready(match origin {
                None => Ok(None),
                Some(Present) => Err(::warp::reject::not_found()),
            })
        });
    // Any other request but a preflight: every `Origin` line is read.
    let actual_origins = Arc::clone(&origins);
    let actual = ::warp::header::headers_cloned()
        .map(move |headers: HeaderMap| actual_origins.single_allowed(&headers).cloned());
    let forward = plain.or(actual).unify().and(responses(routes)).map(
        |origin: Option<HeaderValue>, mut response: ::warp::reply::Response| {
            let headers = response.headers_mut();
            if let Some(origin) = origin {
                headers.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.append(
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
                headers.append(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static(EXPOSED),
                );
            }
            headers.append(header::VARY, HeaderValue::from_static("origin"));
            response
        },
    );
    // A preflight (`OPTIONS` with `Access-Control-Request-Method`),
    // answered without the routes.
    let preflight = ::warp::options()
        .and(::warp::header::optional::<Present>(
            "access-control-request-method",
        ))
        .and_then(|method: Option<Present>| {
            ready(match method {
                Some(Present) => Ok(()),
                None => Err(::warp::reject::not_found()),
            })
        })
        .untuple_one()
        .and(::warp::header::headers_cloned())
        .map(move |request: HeaderMap| {
            let mut response = ::warp::reply::Response::default();
            match origins.single_allowed(&request) {
                Some(origin) if preflight_allowed(&request) => {
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    let headers = response.headers_mut();
                    headers.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                    // The benchmark policy's grants (`METHODS`, `HEADERS`,
                    // `MAX_AGE`), written out.
                    for (name, value) in [
                        (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"),
                        (
                            header::ACCESS_CONTROL_ALLOW_METHODS,
                            "GET, POST, PUT, DELETE",
                        ),
                        (
                            header::ACCESS_CONTROL_ALLOW_HEADERS,
                            "authorization, x-request-id, x-api-key",
                        ),
                        (header::ACCESS_CONTROL_MAX_AGE, "600"),
                    ] {
                        headers.append(name, HeaderValue::from_static(value));
                    }
                }
                _ => *response.status_mut() = StatusCode::FORBIDDEN,
            }
            response.headers_mut().append(
                header::VARY,
                HeaderValue::from_static(
                    "origin, access-control-request-method, access-control-request-headers",
                ),
            );
            response
        });
    preflight.or(forward).unify()
}

/// `routes` with their replies and rejections made responses, as warp
/// would answer them: what a wrapper needs to put a header on either.
fn responses<F, R>(routes: F) -> impl Wrapper
where
    F: Routes<R>,
    R: Reply + 'static,
{
    routes.map(Reply::into_response).or_else(|rejection| {
        std::future::ready(Ok::<_, std::convert::Infallible>((
            cors_warp::rejection_response(&rejection),
        )))
    })
}

/// The allowed origins of [`conforming_floor`]: compared one by one when
/// there are a few, hashed when there are many.
struct Origins {
    few: Vec<Vec<u8>>,
    many: std::collections::HashSet<Vec<u8>>,
}

impl Origins {
    fn new(allowed: &[String]) -> Self {
        let all = allowed.iter().map(|origin| origin.as_bytes().to_vec());
        if allowed.len() <= 8 {
            Origins {
                few: all.collect(),
                many: Default::default(),
            }
        } else {
            Origins {
                few: Vec::new(),
                many: all.collect(),
            }
        }
    }

    /// The request's `Origin` when it has exactly one line and it is allowed.
    fn single_allowed<'h>(
        &self,
        headers: &'h ::warp::http::HeaderMap,
    ) -> Option<&'h ::warp::http::HeaderValue> {
        let mut lines = headers.get_all(::warp::http::header::ORIGIN).iter();
        let origin = lines.next()?;
        if lines.next().is_some() {
            return None;
        }
        let bytes = origin.as_bytes();
        let allowed = if self.many.is_empty() {
            self.few.iter().any(|o| o.as_slice() == bytes)
        } else {
            self.many.contains(bytes)
        };
        allowed.then_some(origin)
    }
}

/// Whether a preflight asks for one allowed method and only allowed
/// headers (every line, every comma-separated name, case-insensitively).
fn preflight_allowed(request: &::warp::http::HeaderMap) -> bool {
    use ::warp::http::header;

    let mut methods = request
        .get_all(header::ACCESS_CONTROL_REQUEST_METHOD)
        .iter();
    let method_ok = match (methods.next(), methods.next()) {
        (Some(method), None) => METHODS.iter().any(|m| m.as_bytes() == method.as_bytes()),
        _ => false,
    };
    method_ok
        && request
            .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .iter()
            .flat_map(|line| line.as_bytes().split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .all(|name| {
                name.is_empty()
                    || HEADERS
                        .iter()
                        .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
            })
}

/// A header that is present, whatever its value (which must be text for
/// warp to parse it at all).
struct Present;

impl std::str::FromStr for Present {
    type Err = std::convert::Infallible;

    fn from_str(_: &str) -> Result<Self, Self::Err> {
        Ok(Present)
    }
}

/// The warp applications.
pub struct Warp<B, O, P, F, C> {
    runtime: tokio::runtime::Runtime,
    baseline: B,
    /// Small and large allowlist.
    ours: [O; 2],
    peer: [P; 2],
    floor: F,
    /// Small and large allowlist.
    conforming: [C; 2],
}

/// Builds every application.
pub fn build() -> Warp<
    impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static,
    impl Wrapper,
    impl Filter<Extract = (impl Reply,), Error = ::warp::Rejection> + Clone + Send + Sync + 'static,
    impl Wrapper,
    impl Wrapper,
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
        conforming: sizes.map(|n| conforming_floor(routes(), origins(n))),
    }
}

impl<B, O, P, F, C> Warp<B, O, P, F, C>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
    F: Filter<Error = std::convert::Infallible> + 'static,
    F::Extract: Reply + Send,
    C: Filter<Error = std::convert::Infallible> + 'static,
    C::Extract: Reply + Send,
{
    fn respond(&mut self, variant: Variant, scenario: Scenario) -> Response<Bytes> {
        let i = usize::from(scenario.large());
        let mut request = ::warp::test::request()
            .method(scenario.method())
            .path(scenario.path());
        for (name, value) in scenario.served_headers() {
            request = request.header(name, value);
        }
        let runtime = &self.runtime;
        match variant {
            Variant::Baseline => runtime.block_on(request.reply(&self.baseline)),
            Variant::Ours => runtime.block_on(request.reply(&self.ours[i])),
            Variant::Peer => runtime.block_on(request.reply(&self.peer[i])),
            Variant::Floor => runtime.block_on(request.reply(&self.floor)),
            Variant::Conforming => runtime.block_on(request.reply(&self.conforming[i])),
        }
    }
}

impl<B, O, P, F, C> Framework for Warp<B, O, P, F, C>
where
    B: Filter<Error = ::warp::Rejection> + 'static,
    B::Extract: Reply + Send,
    O: Filter<Error = std::convert::Infallible> + 'static,
    O::Extract: Reply + Send,
    P: Filter<Error = ::warp::Rejection> + 'static,
    P::Extract: Reply + Send,
    F: Filter<Error = std::convert::Infallible> + 'static,
    F::Extract: Reply + Send,
    C: Filter<Error = std::convert::Infallible> + 'static,
    C::Extract: Reply + Send,
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
