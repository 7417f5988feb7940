//! The demo application in warp, with [`cors_warp::Cors`].

use std::future::ready;

use cors_core::{OriginLookup, PolicySource};
use serde::Deserialize;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use crate::Routes;

/// The demo routes (see the [crate docs](crate)) wrapped in
/// [`cors_warp::Cors`] applying `policy`: a [`Policy`](cors_core::Policy),
/// or a [`SharedPolicy`](cors_core::SharedPolicy) that may be replaced
/// while serving.
///
/// The result is a [`BoxedFilter`], which both `warp::serve` and
/// `warp::test::request().reply(..)` take, whatever the `routes`. The
/// wrapper wraps all the routes and the recovery of `/fail`'s rejection,
/// so preflights to any path are answered and every response, including
/// warp's own 404 and 405, gets the policy's headers.
pub fn filter(policy: impl Into<PolicySource>, routes: Routes) -> BoxedFilter<(Response,)> {
    cors_warp::cors(policy).wrap(unwrapped(routes)).boxed()
}

/// [`filter`], with `lookup` as the wrapper's
/// [origin lookup](cors_warp::Cors::origin_lookup).
pub fn filter_with_lookup(
    policy: impl Into<PolicySource>,
    routes: Routes,
    lookup: OriginLookup,
) -> BoxedFilter<(Response,)> {
    cors_warp::cors(policy)
        .origin_lookup(lookup)
        .wrap(unwrapped(routes))
        .boxed()
}

/// The routes, without CORS (the end-to-end benchmark serves them with
/// the crate the adapter replaces).
pub fn unwrapped(
    routes: Routes,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    let echo = || methods().map(|| reply(&[("vary", "Accept-Encoding"), ("x-request-id", "1")]));
    // `/public/echo` is `/echo` under another path, for per-path policies
    // (`[[routes]] paths = ["/public/*"]`).
    let echo = warp::path!("echo")
        .and(echo())
        .or(warp::path!("public" / "echo").and(echo()))
        .unify();
    let fail = warp::path!("fail")
        .and(warp::get())
        .and_then(|| ready(Err::<Response, _>(warp::reject::custom(Failed))));

    // The conformance routes, which reject as not found in the demo.
    let conformance = warp::any()
        .and_then(move || {
            ready(match routes {
                Routes::Conformance => Ok(()),
                Routes::Demo => Err(warp::reject::not_found()),
            })
        })
        .untuple_one();
    let own_cors = warp::path!("own-cors").and(warp::get()).map(|| {
        reply(&[
            ("access-control-allow-origin", "https://handler.example"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-secret"),
            ("vary", "Origin"),
        ])
    });
    let vary_star = warp::path!("vary-star")
        .and(warp::get())
        .map(|| reply(&[("vary", "*")]));
    let json = warp::path!("json")
        .and(warp::post())
        .and(warp::body::json())
        .map(|_: Number| reply(&[]));
    let conformance = conformance.and(own_cors.or(vary_star).unify().or(json).unify());

    echo.or(fail)
        .unify()
        .or(conformance)
        .unify()
        .recover(recover_failure)
        .unify()
}

/// The methods `/echo` answers.
fn methods() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::get()
        .or(warp::head())
        .unify()
        .or(warp::post())
        .unify()
        .or(warp::put())
        .unify()
        .or(warp::patch())
        .unify()
        .or(warp::delete())
        .unify()
        .or(warp::options())
        .unify()
}

/// 200, `ok`, `X-Handler: ran` and `headers`.
fn reply(headers: &[(&'static str, &'static str)]) -> Response {
    let mut response = Response::new("ok".into());
    let map = response.headers_mut();
    map.append("x-handler", "ran".parse().expect("valid value"));
    for (name, value) in headers {
        map.append(*name, value.parse().expect("valid value"));
    }
    response
}

/// The custom rejection `/fail` fails with.
#[derive(Debug)]
struct Failed;

impl warp::reject::Reject for Failed {}

/// Recovers `/fail`'s rejection into a 500; passes every other rejection
/// on (the CORS wrapper turns it into warp's own response).
async fn recover_failure(rejection: Rejection) -> Result<Response, Rejection> {
    if rejection.find::<Failed>().is_some() {
        let text = "the handler failed\n";
        Ok(warp::reply::with_status(text, StatusCode::INTERNAL_SERVER_ERROR).into_response())
    } else {
        Err(rejection)
    }
}

/// The body `POST /json` takes.
#[derive(Debug, Deserialize)]
struct Number {
    #[allow(dead_code)]
    n: i64,
}
