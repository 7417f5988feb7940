//! CORS in a warp application: a policy, a route, the wrapper.
//!
//! ```sh
//! cargo run -p cors-examples --bin warp
//! curl -i http://127.0.0.1:3001/nowhere -H 'Origin: https://app.example.com'
//! ```

use cors_core::Policy;
use warp::Filter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::builder()
        .allow_origins(["https://app.example.com", "http://localhost:*"])
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["authorization", "content-type"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .build()?;

    let items = warp::path!("api" / "items").and(warp::get()).map(|| "[]");
    // Wrap all the routes: preflights to any path are answered, and warp's
    // own 404 and 405 get the CORS headers too.
    let routes = cors_warp::cors(policy).wrap(items);

    println!("listening on http://127.0.0.1:3001");
    warp::serve(routes).run(([127, 0, 0, 1], 3001)).await;
    Ok(())
}
