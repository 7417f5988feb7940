//! Running a demo application on a bound listener, one function per
//! framework. Each blocks until the server stops, calling `ready` once it
//! accepts connections.
//!
//! With `log_requests`, each prints `cors-demo: request METHOD PATH` on
//! stdout for every request that reaches the server, from the outermost
//! layer, so preflights the CORS layer answers are counted too (the
//! browser tests count preflights this way).

use std::io::{self, Write};
use std::net::TcpListener;

use cors_core::Policy;

use crate::Routes;

/// The runtime the tokio-based frameworks run on: two workers, one per core
/// of a small machine.
fn tokio_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Prints one request's line.
fn log_request(method: &str, path: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "cors-demo: request {method} {path}");
    let _ = out.flush();
}

/// Serves the axum demo.
pub fn axum(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut app = super::axum::router(policy, routes);
    if log_requests {
        // Added after the CORS layer, so it wraps it.
        app = app.layer(axum::middleware::map_request(
            |request: axum::extract::Request| async move {
                log_request(request.method().as_str(), request.uri().path());
                request
            },
        ));
    }
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready();
        axum::serve(listener, app).await
    })
}

/// Serves the warp demo.
pub fn warp(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    use warp::Filter;

    listener.set_nonblocking(true)?;
    let mut filter = super::warp::filter(policy, routes);
    if log_requests {
        // In front of the CORS-wrapped routes; neither part rejects.
        filter = warp::method()
            .and(warp::path::full())
            .map(|method: warp::http::Method, path: warp::path::FullPath| {
                log_request(method.as_str(), path.as_str());
            })
            .untuple_one()
            .and(filter)
            .boxed();
    }
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready();
        warp::serve(filter).incoming(listener).run().await;
        Ok(())
    })
}

/// Serves the actix-web demo.
pub fn actix(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    use actix_web::dev::Service;

    actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .wrap(cors_actix::Cors::new(policy.clone()))
                // The last `wrap` is the outermost.
                .wrap_fn(move |request, service| {
                    if log_requests {
                        log_request(request.method().as_str(), request.path());
                    }
                    service.call(request)
                })
                .configure(super::actix::configure(routes))
        })
        .workers(2)
        .listen(listener)?
        .run();
        ready();
        server.await
    })
}

/// Serves the Rocket demo. Rocket 0.5 binds its own socket, so the
/// listener only reserves the address until Rocket takes it over.
pub fn rocket(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + Sync + 'static,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    drop(listener);
    let config = rocket::Config {
        address: address.ip(),
        port: address.port(),
        workers: 2,
        log_level: rocket::config::LogLevel::Critical,
        cli_colors: false,
        ..rocket::Config::release_default()
    };
    let ready = std::sync::Mutex::new(Some(ready));
    // Fairings run in the order they are attached: this one, attached
    // before the CORS fairing, sees preflights before it reroutes them.
    let mut base = rocket::build();
    if log_requests {
        base = base.attach(rocket::fairing::AdHoc::on_request("log", |request, _| {
            Box::pin(async move {
                log_request(request.method().as_str(), request.uri().path().as_str())
            })
        }));
    }
    let rocket = super::rocket::rocket_on(base, policy, routes)
        .configure(config)
        .attach(rocket::fairing::AdHoc::on_liftoff("announce", move |_| {
            Box::pin(async move {
                if let Some(ready) = ready.lock().ok().and_then(|mut r| r.take()) {
                    ready();
                }
            })
        }));
    rocket::execute(rocket.launch())
        .map(drop)
        .map_err(|e| io::Error::other(e.to_string()))
}
