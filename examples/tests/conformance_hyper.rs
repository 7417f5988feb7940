//! The conformance kit through the plain hyper example (`src/bin/hyper.rs`),
//! cors-core embedded without an adapter: its `serve` function, the one its
//! server runs for every request, gets each case's request.

#[path = "../src/bin/hyper.rs"]
// The example's `main` is not run here.
#[allow(dead_code)]
mod example;

use std::sync::Arc;

use bytes::Bytes;
use cors_conformance::Setup;
use http_body_util::{BodyExt, Full};

#[tokio::test]
async fn hyper_example_conforms() {
    let report = cors_conformance::run(
        "hyper",
        |setup: Setup, request: http::Request<Vec<u8>>| async move {
            let cors = Arc::new(example::Cors {
                policy: setup.policy,
                lookup: Some(setup.lookup),
            });
            let request = request.map(|body| Full::new(Bytes::from(body)));
            let response = example::serve(cors, request).await.expect("infallible");
            let (parts, body) = response.into_parts();
            let body = body.collect().await.expect("a full body").to_bytes();
            http::Response::from_parts(parts, body.to_vec())
        },
    )
    .await;
    report.assert_passed();
}
