//! The demo application in warp, with [`cors_warp::Cors`].

use std::future::ready;

use cors_core::Policy;
use serde::Deserialize;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use crate::Routes;

/// The demo routes (see the [crate docs](crate)) wrapped in
/// [`cors_warp::Cors`] applying `policy`.
///
/// The result is a [`BoxedFilter`], which both `warp::serve` and
/// `warp::test::request().reply(..)` take, whatever the `routes`. The
/// wrapper wraps all the routes and the recovery of `/fail`'s rejection,
/// so preflights to any path are answered and every response, including
/// warp's own 404 and 405, gets the policy's headers.
pub fn filter(policy: Policy, routes: Routes) -> BoxedFilter<(Response,)> {
    let echo = warp::path!("echo")
        .and(methods())
        .map(|| reply(&[("vary", "Accept-Encoding"), ("x-request-id", "1")]));
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

    let routes = echo
        .or(fail)
        .unify()
        .or(conformance)
        .unify()
        .recover(recover_failure)
        .unify();
    cors_warp::cors(policy).wrap(routes).boxed()
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
