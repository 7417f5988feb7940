//! Collecting an `http` 1.x response into the `Response<Vec<u8>>` the
//! conformance kit reads, for the adapters tested through a tower service
//! (axum, warp).

use http_body_util::BodyExt;

/// The response with its whole body read.
pub async fn collect<B>(response: http::Response<B>) -> http::Response<Vec<u8>>
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a readable body").to_bytes();
    http::Response::from_parts(parts, body.to_vec())
}
