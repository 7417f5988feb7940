//! The conformance kit through warp served as a tower service under
//! cors-axum's layer: `CorsLayer` around `warp::service(routes)`, the
//! service-level way to put CORS on a warp application (see cors-warp's
//! "Serving through tower"). The routes are the warp demo's, without the
//! filter wrapper; warp turns rejections into responses inside its service,
//! so the layer sees (and decorates) those too.

#[path = "common/tower.rs"]
mod common;

use bytes::Bytes;
use cors_conformance::Setup;
use cors_examples::Routes;
use http_body_util::Full;
use tower::{Layer, ServiceExt};

#[tokio::test]
async fn warp_under_the_tower_layer_conforms() {
    let report = cors_conformance::run(
        "warp (tower layer)",
        |setup: Setup, request: http::Request<Vec<u8>>| async move {
            let routes = cors_examples::demo::warp::unwrapped(Routes::Conformance);
            let service = cors_axum::CorsLayer::new(setup.policy)
                .origin_lookup(setup.lookup)
                .layer(warp::service(routes));
            let request = request.map(|body| Full::new(Bytes::from(body)));
            let response = service.oneshot(request).await.expect("infallible");
            common::collect(response).await
        },
    )
    .await;
    report.assert_passed();
}
