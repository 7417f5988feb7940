//! The demo application served with the crate each adapter replaces, for
//! the end-to-end comparison (`cargo xtask bench --e2e`) against the
//! release `cors-demo`: the demo's own routes (`cors_examples::demo`, built
//! without CORS), the same serving shape as `cors-demo` (two workers;
//! warp's filter boxed, actix's pass-through outer layer), and the peer
//! configured to the benchmark policy ([`cors_benches::apps`]) where the
//! demo has its adapter. Only the CORS layer differs.
//!
//! `peer-demo <axum|actix|rocket|warp|warp-tower> <127.0.0.1:PORT>`: serves until
//! killed. Prints `peer-demo: listening` once it accepts connections.

use std::net::SocketAddr;
use std::process::ExitCode;

use cors_benches::apps::{SMALL_ALLOWLIST, actix, axum, rocket, warp};
use cors_examples::Routes;
use cors_examples::demo;

fn ready() {
    println!("peer-demo: listening");
}

fn tokio_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

fn serve_axum(address: SocketAddr) -> std::io::Result<()> {
    let app = demo::axum::unlayered(Routes::Demo).layer(axum::peer_layer(SMALL_ALLOWLIST));
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await?;
        ready();
        ::axum::serve(listener, app).await
    })
}

fn serve_actix(address: SocketAddr) -> std::io::Result<()> {
    use actix_web::dev::Service;
    use actix_web::{App, HttpServer};

    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| {
            App::new()
                .wrap(actix::peer_cors(SMALL_ALLOWLIST))
                // `cors-demo`'s outer layer, which logs only when asked.
                .wrap_fn(|request, service| service.call(request))
                .configure(demo::actix::configure(Routes::Demo))
        })
        .workers(2)
        .bind(address)?
        .run();
        ready();
        server.await
    })
}

fn serve_rocket(address: SocketAddr) -> std::io::Result<()> {
    let config = ::rocket::Config {
        address: address.ip(),
        port: address.port(),
        workers: 2,
        log_level: ::rocket::config::LogLevel::Off,
        ..::rocket::Config::release_default()
    };
    tokio_runtime()?.block_on(async move {
        let rocket = demo::rocket::mounted(::rocket::custom(config), Routes::Demo)
            .attach(rocket::peer_cors(SMALL_ALLOWLIST))
            .ignite()
            .await
            .map_err(std::io::Error::other)?;
        ready();
        rocket
            .launch()
            .await
            .map(drop)
            .map_err(std::io::Error::other)
    })
}

fn serve_warp(address: SocketAddr) -> std::io::Result<()> {
    use ::warp::Filter;

    let routes = demo::warp::unwrapped(Routes::Demo)
        .with(warp::peer_cors(SMALL_ALLOWLIST))
        .boxed();
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await?;
        ready();
        ::warp::serve(routes).incoming(listener).run().await;
        Ok(())
    })
}

/// `cors-demo --framework warp-tower`'s shape: the routes as a tower
/// service on hyper, here with `warp::cors()` inside the service.
fn serve_warp_tower(address: SocketAddr) -> std::io::Result<()> {
    use ::warp::Filter;

    let routes = demo::warp::unwrapped(Routes::Demo).with(warp::peer_cors(SMALL_ALLOWLIST));
    let listener = std::net::TcpListener::bind(address)?;
    demo::serve::tower(listener, ::warp::service(routes), false, ready)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [framework, address] = args.as_slice() else {
        eprintln!("usage: peer-demo <axum|actix|rocket|warp|warp-tower> <127.0.0.1:PORT>");
        return ExitCode::FAILURE;
    };
    let Ok(address) = address.parse::<SocketAddr>() else {
        eprintln!("peer-demo: not an address: {address}");
        return ExitCode::FAILURE;
    };
    let served = match framework.as_str() {
        "axum" => serve_axum(address),
        "actix" => serve_actix(address),
        "rocket" => serve_rocket(address),
        "warp" => serve_warp(address),
        "warp-tower" => serve_warp_tower(address),
        other => {
            eprintln!("peer-demo: unknown framework {other}");
            return ExitCode::FAILURE;
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peer-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
