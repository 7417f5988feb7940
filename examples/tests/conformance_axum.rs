//! The conformance table through the axum demo application, sent with
//! `tower::ServiceExt::oneshot` on the `Router`; the layer has the table's
//! origin lookup for every case (cases whose policy refers no origin to it
//! never ask it).

#[path = "common/tower.rs"]
mod common;

use axum::body::Body;
use axum::http::Request;
use cors_conformance::{Report, cases, lookup};
use cors_examples::Routes;
use tower::ServiceExt;

#[tokio::test]
async fn axum_conforms() {
    let mut report = Report::new("axum");
    for case in cases() {
        let app = cors_examples::demo::axum::router_with_lookup(
            case.policy(),
            Routes::Conformance,
            lookup(),
        );
        let mut request = Request::builder().method(case.method).uri(case.path);
        for (name, value) in &case.headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Body::from(case.body))
            .expect("a valid request");
        let response = app.oneshot(request).await.expect("infallible");
        report.record(&case, common::observe(response).await);
    }
    report.finish();
}
