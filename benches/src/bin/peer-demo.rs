//! The demo's `/echo` served with the crate each adapter replaces, for the
//! end-to-end comparison (`cargo xtask bench --e2e`) against the release
//! `cors-demo`: same answer as the demo's (`200`, `ok`, `X-Handler: ran`,
//! `Vary: Accept-Encoding`, `X-Request-Id: 1`; `GET HEAD POST PUT PATCH
//! DELETE OPTIONS`), same runtime shape (two workers), and the peer
//! configured to the benchmark policy ([`cors_benches::apps`]).
//!
//! `peer-demo <axum|actix|rocket|warp> <127.0.0.1:PORT>`: serves until
//! killed. Prints `peer-demo: listening` once it accepts connections.

use std::net::SocketAddr;
use std::process::ExitCode;

use cors_benches::apps::{SMALL_ALLOWLIST, actix, axum, rocket, warp};

/// The demo's `/echo` headers, besides its `X-Handler: ran`.
const ECHO_HEADERS: [(&str, &str); 2] = [("vary", "Accept-Encoding"), ("x-request-id", "1")];

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
    use ::axum::routing::MethodFilter;
    use ::axum::routing::on;

    let echo = || async {
        let mut response = ::axum::response::Response::new(::axum::body::Body::from("ok"));
        let map = response.headers_mut();
        map.append("x-handler", http::HeaderValue::from_static("ran"));
        for (name, value) in ECHO_HEADERS {
            map.append(name, http::HeaderValue::from_static(value));
        }
        response
    };
    let methods = MethodFilter::GET
        .or(MethodFilter::HEAD)
        .or(MethodFilter::POST)
        .or(MethodFilter::PUT)
        .or(MethodFilter::PATCH)
        .or(MethodFilter::DELETE)
        .or(MethodFilter::OPTIONS);
    let app = ::axum::Router::new()
        .route("/echo", on(methods, echo))
        .layer(axum::peer_layer(SMALL_ALLOWLIST));
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await?;
        ready();
        ::axum::serve(listener, app).await
    })
}

fn serve_actix(address: SocketAddr) -> std::io::Result<()> {
    use actix_web::{App, HttpResponse, HttpServer, web};

    async fn echo() -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response.append_header(("x-handler", "ran"));
        for header in ECHO_HEADERS {
            response.append_header(header);
        }
        response.body("ok")
    }
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| {
            App::new()
                .wrap(actix::peer_cors(SMALL_ALLOWLIST))
                .route("/echo", web::route().to(echo))
        })
        .workers(2)
        .bind(address)?
        .run();
        ready();
        server.await
    })
}

use ::rocket::http::Header;

/// The demo's `/echo` answer, in Rocket.
struct Echo;

impl<'r> ::rocket::response::Responder<'r, 'static> for Echo {
    fn respond_to(self, _: &'r ::rocket::Request<'_>) -> ::rocket::response::Result<'static> {
        let mut response = ::rocket::Response::build();
        response.sized_body(2, std::io::Cursor::new("ok"));
        response.header_adjoin(Header::new("x-handler", "ran"));
        for (name, value) in ECHO_HEADERS {
            response.header_adjoin(Header::new(name, value));
        }
        Ok(response.finalize())
    }
}

#[::rocket::route(GET, uri = "/echo")]
fn get() -> Echo {
    Echo
}
#[::rocket::route(HEAD, uri = "/echo")]
fn head() -> Echo {
    Echo
}
#[::rocket::route(POST, uri = "/echo")]
fn post() -> Echo {
    Echo
}
#[::rocket::route(PUT, uri = "/echo")]
fn put() -> Echo {
    Echo
}
#[::rocket::route(PATCH, uri = "/echo")]
fn patch() -> Echo {
    Echo
}
#[::rocket::route(DELETE, uri = "/echo")]
fn delete() -> Echo {
    Echo
}
#[::rocket::route(OPTIONS, uri = "/echo")]
fn options() -> Echo {
    Echo
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
        let rocket = ::rocket::custom(config)
            .mount(
                "/",
                ::rocket::routes![get, head, post, put, patch, delete, options],
            )
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

    let methods = ::warp::get()
        .or(::warp::head())
        .unify()
        .or(::warp::post())
        .unify()
        .or(::warp::put())
        .unify()
        .or(::warp::patch())
        .unify()
        .or(::warp::delete())
        .unify()
        .or(::warp::options())
        .unify();
    let echo = ::warp::path!("echo").and(methods).map(|| {
        let mut response = ::warp::reply::Response::new("ok".into());
        let map = response.headers_mut();
        map.append("x-handler", http::HeaderValue::from_static("ran"));
        for (name, value) in ECHO_HEADERS {
            map.append(name, http::HeaderValue::from_static(value));
        }
        response
    });
    let routes = echo.with(warp::peer_cors(SMALL_ALLOWLIST));
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await?;
        ready();
        ::warp::serve(routes).incoming(listener).run().await;
        Ok(())
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [framework, address] = args.as_slice() else {
        eprintln!("usage: peer-demo <axum|actix|rocket|warp> <127.0.0.1:PORT>");
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
