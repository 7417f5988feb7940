//! The demo page: an HTML page on its own origin whose script calls the API
//! with `fetch()` and shows what the browser let through.

use std::net::TcpListener;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

/// The page, with `__API__` standing for the API's URL.
const PAGE: &str = include_str!("../page/index.html");

/// The page for an API at `api_url` (`http://host:port`).
pub fn html(api_url: &str) -> String {
    PAGE.replace("__API__", api_url)
}

/// Serves the page at `/` on `listener`, from a thread of its own, until the
/// process ends.
pub fn spawn(listener: TcpListener, api_url: &str) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let page = html(api_url);
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
