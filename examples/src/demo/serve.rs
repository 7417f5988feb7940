//! Running a demo application on a bound listener, one function per
//! framework. Each blocks until the server stops, calling `ready` once it
//! answers: from then on, every connection the port accepts is served.
//!
//! Each takes the policy as anything that converts into a
//! [`PolicySource`]: a fixed [`Policy`](cors_core::Policy), or a
//! [`SharedPolicy`](cors_core::SharedPolicy) that another thread may
//! replace while the server runs (`cors-demo --watch` does).
//!
//! With `log_requests`, each prints `cors-demo: request METHOD PATH` on
//! stdout for every request that reaches the server, from the outermost
//! layer, so preflights the CORS layer answers are counted too (the
//! browser tests count preflights this way).

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};

use cors_core::PolicySource;

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
    policy: impl Into<PolicySource>,
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
    policy: impl Into<PolicySource>,
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

/// Serves the warp demo's routes as a tower service
/// (`warp::service(routes)`) under cors-axum's
/// [`CorsLayer`](cors_axum::CorsLayer), on hyper: warp's other way in, for
/// applications that serve warp through tower (see cors-warp's docs).
pub fn warp_tower(
    listener: TcpListener,
    policy: impl Into<PolicySource>,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    use tower_layer::Layer;

    let service =
        cors_axum::CorsLayer::new(policy).layer(warp::service(super::warp::unwrapped(routes)));
    tower(listener, service, log_requests, ready)
}

/// Serves a tower service on hyper (HTTP/1.1, keep-alive), one task per
/// connection, on the demo's two-worker runtime; with `log_requests`, logs each request
/// before the service sees it.
pub fn tower<S, B>(
    listener: TcpListener,
    service: S,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()>
where
    S: tower_service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<B>,
            Error: Into<Box<dyn std::error::Error + Send + Sync>>,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static,
    B: hyper::body::Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + 'static,
{
    listener.set_nonblocking(true)?;
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready();
        loop {
            let (stream, _) = listener.accept().await?;
            let service = service.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let service = hyper_util::service::TowerToHyperService::new(service);
                let logging = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        if log_requests {
                            log_request(request.method().as_str(), request.uri().path());
                        }
                        hyper::service::Service::call(&service, request)
                    },
                );
                // A connection that fails ends alone; the server goes on.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, logging)
                    .await;
            });
        }
    })
}

/// Serves the actix-web demo.
pub fn actix(
    listener: TcpListener,
    policy: impl Into<PolicySource>,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    use actix_web::dev::Service;

    let policy = policy.into();
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

/// An address held for Rocket, which binds its own socket: bound, so that
/// the port is chosen and held (see [`Reservation::new`]), but not
/// listening, so that the port accepts no connection before Rocket serves
/// it.
///
/// ```
/// use cors_examples::demo::serve::Reservation;
///
/// let reservation = Reservation::new("127.0.0.1:0".parse().unwrap())?;
/// let address = reservation.address();
/// assert_ne!(address.port(), 0);
/// // Held, but nothing listens: a client is refused, not left waiting.
/// assert!(std::net::TcpStream::connect(address).is_err());
/// // A socket without `SO_REUSEADDR` cannot have it meanwhile.
/// let other = tokio::net::TcpSocket::new_v4()?;
/// assert!(other.bind(address).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Reservation {
    socket: tokio::net::TcpSocket,
    address: SocketAddr,
}

impl Reservation {
    /// Reserves `address` (port 0 picks a free port).
    ///
    /// The socket has `SO_REUSEADDR`, as Rocket's listener does: with the
    /// option on both and this socket never listening, the system lets
    /// Rocket bind the same port while the reservation still holds it. A
    /// socket without the option cannot bind it meanwhile; one with it
    /// could (the standard library's listeners set it), as it could take
    /// any port nobody listens on.
    pub fn new(address: SocketAddr) -> io::Result<Reservation> {
        let socket = match address {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        let address = socket.local_addr()?;
        Ok(Reservation { socket, address })
    }

    /// The address reserved, its port chosen.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Serves the Rocket demo on the reserved address.
///
/// Rocket 0.5 has no public way to serve on a listener bound elsewhere, so
/// it binds the address itself; the reservation keeps the port until then
/// and is let go once Rocket has lifted off. A client connecting earlier is
/// refused, never accepted and then dropped; `ready` runs from Rocket's
/// liftoff, after its listener is bound and just before it accepts.
pub fn rocket(
    reservation: Reservation,
    policy: impl Into<PolicySource>,
    routes: Routes,
    log_requests: bool,
    ready: impl FnOnce() + Send + Sync + 'static,
) -> io::Result<()> {
    let address = reservation.address;
    let config = rocket::Config {
        address: address.ip(),
        port: address.port(),
        workers: 2,
        log_level: rocket::config::LogLevel::Critical,
        cli_colors: false,
        ..rocket::Config::release_default()
    };
    let lifted_off = std::sync::Mutex::new(Some((reservation.socket, ready)));
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
                let taken = lifted_off.lock().ok().and_then(|mut r| r.take());
                if let Some((reserved, ready)) = taken {
                    drop(reserved);
                    ready();
                }
            })
        }));
    // On the demo's runtime, as the tokio-based frameworks: Rocket's own
    // (`rocket::execute`) sizes its workers from the environment, not from
    // `config`, so that under `taskset` it would run one worker.
    tokio_runtime()?
        .block_on(rocket.launch())
        .map(drop)
        .map_err(|e| io::Error::other(e.to_string()))
}
