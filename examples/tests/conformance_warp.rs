//! The conformance kit through the warp demo application, the wrapper
//! with the kit's origin lookup for every case.
//!
//! Requests go through `warp::service(filter)`, warp's own tower service
//! (what `warp::serve` runs for each request), rather than
//! `warp::test::request()`: the test builder *replaces* a header set twice,
//! and the table sends repeated header lines (two `Origin`s, several
//! `Access-Control-Request-Headers`) that must arrive as sent.

#[path = "common/tower.rs"]
mod common;

use bytes::Bytes;
use cors_conformance::Setup;
use cors_examples::Routes;
use http_body_util::Full;
use tower::ServiceExt;

#[tokio::test]
async fn warp_conforms() {
    let report = cors_conformance::run(
        "warp",
        |setup: Setup, request: http::Request<Vec<u8>>| async move {
            let filter = cors_examples::demo::warp::filter_with_lookup(
                setup.policy,
                Routes::Conformance,
                setup.lookup,
            );
            let request = request.map(|body| Full::new(Bytes::from(body)));
            let response = warp::service(filter)
                .oneshot(request)
                .await
                .expect("infallible");
            common::collect(response).await
        },
    )
    .await;
    report.assert_passed();
}

/// The demo filter also works with warp's test client, for requests
/// without repeated headers.
#[tokio::test]
async fn warp_test_client_sees_the_same_answers() {
    let filter = cors_examples::demo::warp::filter(
        cors_core::Policy::builder()
            .allow_origins(["https://app.example"])
            .build()
            .expect("valid policy"),
        Routes::Demo,
    );
    let response = warp::test::request()
        .path("/nowhere")
        .header("origin", "https://app.example")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let response = warp::test::request()
        .method("OPTIONS")
        .path("/fail")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 204);
    assert!(response.body().is_empty());
}
