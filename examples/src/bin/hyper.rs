//! cors-core embedded in a plain hyper 1 server, with no adapter: what a
//! framework author writes. It serves the conformance kit's routes and
//! passes the whole kit (`tests/conformance_hyper.rs`).
//!
//! ```sh
//! cargo run -p cors-examples --bin hyper
//! curl -i http://127.0.0.1:3001/echo -H 'Origin: https://app.example.com'
//! ```
//!
//! Per request: read the CORS headers ([`RequestParts::from_http`]), ask the
//! policy ([`Policy::evaluate_with_lookup`], and the origin lookup when the
//! policy refers the origin to it), then either answer now
//! ([`Decision::to_http_response`], for preflights and refusals) or run the
//! handler and add the decision's headers to its response, whatever its
//! status ([`Decision::forward_headers`]).
//!
//! [`Decision::to_http_response`]: cors_core::Decision::to_http_response
//! [`Decision::forward_headers`]: cors_core::Decision::forward_headers

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use cors_core::{OriginLookup, Policy, RequestParts, Verdict};
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the CORS layer is configured with.
#[derive(Clone)]
pub struct Cors {
    /// The policy.
    pub policy: Policy,
    /// Asked about the origins the policy refers to a lookup; without one,
    /// those origins are refused.
    pub lookup: Option<OriginLookup>,
}

/// A response with `status`, the demo marker and `headers`.
fn answer(
    status: StatusCode,
    body: &'static str,
    headers: &[(&str, &str)],
) -> Response<Full<Bytes>> {
    let mut response = Response::builder().status(status);
    if status == StatusCode::OK {
        response = response.header("x-handler", "ran");
    }
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response
        .body(Full::from(body))
        .expect("valid static headers")
}

/// The application, the kit's routes: what runs when CORS lets the request
/// through.
async fn handler<B: Body>(method: &Method, path: &str, body: B) -> Response<Full<Bytes>> {
    let echo = [("vary", "Accept-Encoding"), ("x-request-id", "1")];
    let answers_echo = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .contains(method);
    match (path, method) {
        ("/echo" | "/public/echo", _) if answers_echo => answer(StatusCode::OK, "ok", &echo),
        ("/echo" | "/public/echo", _) => answer(StatusCode::METHOD_NOT_ALLOWED, "", &[]),
        ("/fail", _) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the handler failed\n",
            &[],
        ),
        ("/own-cors", &Method::GET) => answer(
            StatusCode::OK,
            "ok",
            &[
                ("access-control-allow-origin", "https://handler.example"),
                ("access-control-allow-credentials", "true"),
                ("access-control-expose-headers", "x-secret"),
                ("vary", "Origin"),
            ],
        ),
        ("/vary-star", &Method::GET) => answer(StatusCode::OK, "ok", &[("vary", "*")]),
        ("/json", &Method::POST) => {
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            match json.as_ref().and_then(|v| v.get("n")?.as_i64()) {
                Some(_) => answer(StatusCode::OK, "ok", &[]),
                None => answer(
                    StatusCode::BAD_REQUEST,
                    "expected {\"n\": <integer>}\n",
                    &[],
                ),
            }
        }
        _ => answer(StatusCode::NOT_FOUND, "not found\n", &[]),
    }
}

/// CORS around the handler.
pub async fn serve<B: Body>(
    cors: Arc<Cors>,
    request: Request<B>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let headers = {
        let request = RequestParts::from_http(&parts);
        let mut decision = cors.policy.evaluate_with_lookup(&request);
        // Only when no static rule allows the origin and the policy refers
        // it to the lookup; fail closed if there is none or it fails.
        if let Some(query) = decision.lookup() {
            let verdict = match &cors.lookup {
                Some(lookup) => match lookup.cached(query.origin()) {
                    Some(verdict) => verdict,
                    None => lookup.decide(query, tokio::time::sleep).await,
                },
                None => Verdict::Refused,
            };
            if let Verdict::Failed(error) = &verdict {
                eprintln!(
                    "CORS origin lookup failed for {}: {error}; origin refused",
                    query.origin()
                );
            }
            decision = cors.policy.resolve_lookup(&request, verdict.is_allowed());
        }
        if let Some(refusal) = decision.refusal() {
            eprintln!(
                "CORS refused {} {}: {refusal}",
                parts.method,
                parts.uri.path()
            );
        }
        // A preflight, or a refusal under `block_disallowed_origins`: answer
        // now, the handler never runs (whatever the route).
        if let Some(response) = decision.to_http_response(Full::from) {
            return Ok(response);
        }
        // The decision borrows the request: keep only the headers to add,
        // detached from it.
        decision.forward_headers()
    };
    let mut response = handler(&parts.method, parts.uri.path(), body).await;
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
    let cors = Arc::new(Cors {
        policy,
        lookup: None,
    });

    let listener = TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let cors = cors.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| serve(cors.clone(), request));
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {error}");
            }
        });
    }
}
