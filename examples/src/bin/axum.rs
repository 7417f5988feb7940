//! CORS in an axum application: a policy, a route, the layer.
//!
//! ```sh
//! cargo run -p cors-examples --bin axum
//! curl -i -X OPTIONS http://127.0.0.1:3001/api/items \
//!     -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT'
//! ```

use axum::Router;
use axum::routing::get;
use cors_axum::CorsLayer;
use cors_core::Policy;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::builder()
        .allow_origins(["https://app.example.com", "http://localhost:*"])
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["authorization", "content-type"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .build()?;

    let app = Router::new()
        .route(
            "/api/items",
            get(|| async { "[]" }).put(|| async { "saved" }),
        )
        // Last, so it wraps every route and the fallback (the 404).
        .layer(CorsLayer::new(policy));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
