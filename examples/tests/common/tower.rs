//! Collecting an `http` 1.x response into what the conformance table
//! checks, for the adapters tested through a tower service (axum, warp).

use cors_conformance::Observed;
use http_body_util::BodyExt;

/// The response's status, every header line and its whole body.
pub async fn observe<B>(response: hyper::Response<B>) -> Observed
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
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
    Observed {
        status,
        headers,
        body,
    }
}
