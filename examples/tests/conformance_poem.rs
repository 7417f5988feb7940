//! The conformance kit through the poem example (`src/bin/poem.rs`),
//! cors-core embedded in a framework this project has no adapter for: each
//! case's request goes through the example's application, middleware and
//! routes, as poem's server would call it.

#[path = "../src/bin/poem.rs"]
// The example's `main` is not run here.
#[allow(dead_code)]
mod example;

use cors_conformance::Setup;
use poem::Endpoint;

#[tokio::test]
async fn poem_example_conforms() {
    let report = cors_conformance::run(
        "poem",
        |setup: Setup, request: http::Request<Vec<u8>>| async move {
            let app = example::app(example::Cors {
                policy: setup.policy.into(),
                lookup: Some(setup.lookup),
            });
            let (parts, body) = request.into_parts();
            let mut poem_request = poem::Request::builder()
                .method(parts.method)
                .uri(parts.uri)
                .body(body);
            *poem_request.headers_mut() = parts.headers;
            let response = app.get_response(poem_request).await;
            let mut collected = http::Response::new(Vec::new());
            *collected.status_mut() = response.status();
            *collected.headers_mut() = response.headers().clone();
            *collected.body_mut() = response
                .into_body()
                .into_vec()
                .await
                .expect("a readable body");
            collected
        },
    )
    .await;
    report.assert_passed();
}
