//! The conformance kit through the axum demo application, sent with
//! `tower::ServiceExt::oneshot` on the `Router`: the layer has the kit's
//! origin lookup for every case (cases whose policy refers no origin to it
//! never ask it).

#[path = "common/tower.rs"]
mod common;

use axum::body::Body;
use cors_conformance::Setup;
use cors_examples::Routes;
use tower::ServiceExt;

#[tokio::test]
async fn axum_conforms() {
    let report = cors_conformance::run(
        "axum",
        |setup: Setup, request: http::Request<Vec<u8>>| async move {
            let app = cors_examples::demo::axum::router_with_lookup(
                setup.policy,
                Routes::Conformance,
                setup.lookup,
            );
            let response = app
                .oneshot(request.map(Body::from))
                .await
                .expect("infallible");
            common::collect(response).await
        },
    )
    .await;
    report.assert_passed();
}
