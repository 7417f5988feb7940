//! Running a demo application on a bound listener, one function per
//! framework. Each blocks until the server stops, calling `ready` once it
//! accepts connections.

use std::io;
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

/// Serves the axum demo.
pub fn axum(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready();
        axum::serve(listener, super::axum::router(policy, routes)).await
    })
}

/// Serves the warp demo.
pub fn warp(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready();
        warp::serve(super::warp::filter(policy, routes))
            .incoming(listener)
            .run()
            .await;
        Ok(())
    })
}

/// Serves the actix-web demo.
pub fn actix(
    listener: TcpListener,
    policy: Policy,
    routes: Routes,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .wrap(cors_actix::Cors::new(policy.clone()))
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
    let rocket = super::rocket::rocket(policy, routes)
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
