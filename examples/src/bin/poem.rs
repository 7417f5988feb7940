//! cors-core embedded in poem 3, a framework this project has no adapter
//! for, in one middleware; it passes the whole conformance kit
//! (`tests/conformance_poem.rs`). Run it with `cargo run -p cors-examples
//! --bin poem` (it listens on 127.0.0.1:3002).
//!
//! poem's request and response carry `http` 1.x's method, URI and header
//! map, so the engine's `http` conversions apply as they are; and
//! `Endpoint::get_response` turns every error (404, 405, extractor
//! rejections, failing handlers) into a response, to which the middleware
//! then adds the CORS headers.

use cors_core::{OriginLookup, Policy, PolicySource, RequestParts, Verdict};
use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::Json;
use poem::{Endpoint, EndpointExt, Middleware, Request, Response, Result, Route, Server, handler};

/// The CORS middleware: `Route::new().at(..).with(Cors { .. })`.
#[derive(Clone)]
pub struct Cors {
    /// The policy, fixed or replaceable at run time (`SharedPolicy`).
    pub policy: PolicySource,
    /// Asked about the origins the policy refers to a lookup; without one,
    /// those origins are refused.
    pub lookup: Option<OriginLookup>,
}

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> CorsEndpoint<E> {
        CorsEndpoint(inner, self.clone())
    }
}

/// An endpoint wrapped by [`Cors`].
pub struct CorsEndpoint<E>(E, Cors);

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        // Read once: this request sees one policy from start to end.
        let (inner, cors) = (&self.0, &self.1);
        let policy: Policy = cors.policy.current();
        let forward = {
            let (method, path) = (request.method(), request.uri().path());
            let parts = RequestParts::from_http_headers(method, path, request.headers());
            let mut decision = policy.evaluate_with_lookup(&parts);
            if let Some(query) = decision.lookup() {
                // No lookup configured: nobody to ask, the origin is refused.
                let verdict = match &cors.lookup {
                    Some(lookup) => lookup.decide(query, tokio::time::sleep).await,
                    None => Verdict::Refused,
                };
                if let Verdict::Failed(error) = &verdict {
                    eprintln!("CORS lookup for {} failed: {error}", query.origin());
                }
                decision = policy.resolve_lookup(&parts, verdict.is_allowed());
            }
            // A preflight or a blocked request, before routing: the handler
            // never runs, and an unrouted path is answered too.
            if let Some(answer) = decision.to_http_response(|text| text) {
                let (answer, body) = answer.into_parts();
                let mut response = Response::builder().status(answer.status).body(body);
                *response.headers_mut() = answer.headers;
                return Ok(response);
            }
            decision.forward_headers()
        };
        // Errors become responses here, so they get the headers too.
        let mut response = inner.get_response(request).await;
        if let Some(forward) = forward {
            forward.apply(response.headers_mut());
        }
        Ok(response)
    }
}

/// A 200 `ok` marked as the handler's, with `headers`.
fn ran(headers: &[(&str, &str)]) -> Response {
    let response = Response::builder().header("x-handler", "ran");
    let response = headers.iter().fold(response, |r, (n, v)| r.header(*n, *v));
    response.body("ok")
}

/// `/echo` and `/public/echo`.
#[handler]
fn echo() -> Response {
    ran(&[("vary", "Accept-Encoding"), ("x-request-id", "1")])
}

/// Fails through poem's error type, which answers 500.
#[handler]
fn fail() -> Result<Response> {
    Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// Sets CORS headers of its own, which the middleware replaces.
#[handler]
fn own_cors() -> Response {
    ran(&[
        ("access-control-allow-origin", "https://handler.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-secret"),
        ("vary", "Origin"),
    ])
}

/// The body `/json` takes, through poem's `Json` extractor (a body that
/// does not parse gets its 400).
#[derive(serde::Deserialize)]
struct Payload {
    n: i64,
}

#[handler]
fn json(Json(payload): Json<Payload>) -> Response {
    ran(&[("x-n", &payload.n.to_string())])
}

/// The conformance kit's routes behind the middleware.
pub fn app(cors: Cors) -> impl Endpoint<Output = Response> {
    let echo_route = || {
        let route = poem::get(echo).head(echo).post(echo).put(echo);
        route.patch(echo).delete(echo).options(echo)
    };
    let vary_star = poem::endpoint::make_sync(|_| ran(&[("vary", "*")]));
    Route::new()
        .at("/echo", echo_route())
        .at("/public/echo", echo_route())
        .at("/fail", fail)
        .at("/own-cors", poem::get(own_cors))
        .at("/vary-star", poem::get(vary_star))
        .at("/json", poem::post(json))
        .with(cors)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let policy = Policy::builder().allow_origins(["https://app.example.com", "http://localhost:*"]);
    let policy = policy.build().map_err(std::io::Error::other)?.into();
    let app = app(Cors {
        policy,
        lookup: None,
    });
    let server = Server::new(TcpListener::bind("127.0.0.1:3002"));
    server.run(app).await
}
