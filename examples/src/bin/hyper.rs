//! cors-core embedded in a plain hyper 1 server, with no adapter: what a
//! framework author writes.
//!
//! ```sh
//! cargo run -p cors-examples --bin hyper
//! curl -i http://127.0.0.1:3001/ -H 'Origin: https://app.example.com'
//! ```
//!
//! Per request: read the CORS headers ([`RequestParts::from_http`]), ask the
//! policy ([`Policy::evaluate`]), then either answer now
//! ([`Decision::to_http_response`], for preflights and refusals) or run the
//! handler and add the decision's headers to its response, whatever its
//! status ([`Decision::forward_headers`]).
//!
//! [`Decision::to_http_response`]: cors_core::Decision::to_http_response
//! [`Decision::forward_headers`]: cors_core::Decision::forward_headers

use std::convert::Infallible;

use bytes::Bytes;
use cors_core::{Policy, RequestParts};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The application: what runs when CORS lets the request through.
async fn handler(request: Request<Incoming>) -> Response<Full<Bytes>> {
    match request.uri().path() {
        "/" => Response::new(Full::from("hello\n")),
        _ => {
            let mut response = Response::new(Full::from("not found\n"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}

/// CORS around the handler.
async fn serve(
    policy: Policy,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let headers = {
        let decision = policy.evaluate(&RequestParts::from_http(&parts));
        if let Some(refusal) = decision.refusal() {
            eprintln!(
                "CORS refused {} {}: {refusal}",
                parts.method,
                parts.uri.path()
            );
        }
        // A preflight, or a refusal under `block_disallowed_origins`: answer
        // now, the handler never runs.
        if let Some(response) = decision.to_http_response(Full::from) {
            return Ok(response);
        }
        // The decision borrows the request, which the handler takes: keep
        // only the headers to add, detached from it.
        decision.forward_headers(parts.headers.get(hyper::header::ORIGIN))
    };
    let mut response = handler(Request::from_parts(parts, body)).await;
    // On every response the handler gives, whatever its status.
    if let Some(headers) = headers {
        headers.apply(response.headers_mut());
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::builder()
        .allow_origins(["https://app.example.com", "http://localhost:*"])
        .allow_methods(["GET", "PUT"])
        .allow_headers(["content-type"])
        .build()?;

    let listener = TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let policy = policy.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| serve(policy.clone(), request));
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {error}");
            }
        });
    }
}
