//! The demo page: an HTML page on its own origin whose script calls the API
//! with `fetch()` and shows what the browser let through.
//!
//! When the API's policy has per-path routes, the page makes each call to
//! `/public/...` as well and shows both answers side by side, with what the
//! demo policy's `/public/*` route should let through.

use std::net::TcpListener;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use cors_core::Policy;

/// The page, with `__API__` standing for the API's URL and `__ROUTES__`
/// for whether its policy has routes.
const PAGE: &str = include_str!("../page/index.html");

/// The page for an API at `api_url` (`http://host:port`) whose policy has no
/// routes.
pub fn html(api_url: &str) -> String {
    page(api_url, false)
}

/// The page for an API at `api_url` serving `policy`.
///
/// ```
/// let policy: cors_core::Policy = toml::from_str(r#"
///     allow_origins = ["http://127.0.0.1:3000"]
///     [[routes]]
///     paths = ["/public/*"]
///     allow_origins = ["*"]
/// "#).unwrap();
/// let html = cors_examples::demo::page::html_for("http://127.0.0.1:3001", &policy);
/// assert!(html.contains("const ROUTES = true;"));
/// assert!(html.contains(r#"const API = "http://127.0.0.1:3001";"#));
/// ```
pub fn html_for(api_url: &str, policy: &Policy) -> String {
    page(api_url, policy.has_routes())
}

fn page(api_url: &str, routes: bool) -> String {
    PAGE.replace("__API__", api_url)
        .replace("__ROUTES__", if routes { "true" } else { "false" })
}

/// Serves [`html`]'s page at `/` on `listener`, from a thread of its own,
/// until the process ends.
pub fn spawn(listener: TcpListener, api_url: &str) -> std::io::Result<()> {
    serve(listener, html(api_url))
}

/// Serves [`html_for`]'s page for `policy` at `/` on `listener`, from a
/// thread of its own, until the process ends.
pub fn spawn_for(listener: TcpListener, api_url: &str, policy: &Policy) -> std::io::Result<()> {
    serve(listener, html_for(api_url, policy))
}

fn serve(listener: TcpListener, page: String) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("cors-demo-page".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let app = Router::new().route("/", get(move || async move { Html(page) }));
                axum::serve(listener, app).await
            })
        })?;
    Ok(())
}
