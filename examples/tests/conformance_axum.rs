//! The conformance table through the axum demo application, sent with
//! `tower::ServiceExt::oneshot` on the `Router`.

use axum::body::Body;
use axum::http::Request;
use cors_conformance::{Observed, Report, cases};
use cors_examples::Routes;
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::test]
async fn axum_conforms() {
    let mut report = Report::new("axum");
    for case in cases() {
        let app = cors_examples::demo::axum::router(case.policy(), Routes::Conformance);
        let mut request = Request::builder().method(case.method).uri(case.path);
        for (name, value) in &case.headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Body::from(case.body))
            .expect("a valid request");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a readable body")
            .to_bytes()
            .to_vec();
        report.record(
            &case,
            Observed {
                status,
                headers,
                body,
            },
        );
    }
    report.finish();
}
