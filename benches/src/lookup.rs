//! Origin lookups in each framework: an allowed request whose verdict the
//! lookup's cache already holds, against the same request allowed by a
//! static rule, both through this project's adapter.
//!
//! The two policies differ only in how the origin is allowed: the static
//! one lists [`ALLOWED_ORIGIN`]; the lookup one lists another origin and
//! refers the rest to an [`OriginLookup`] (with a [`VerdictCache`]) that
//! allows [`ALLOWED_ORIGIN`]. [`LookupFramework::check`] sends the request
//! once through each (which fills the cache) and checks both answers.

use std::convert::Infallible;
use std::time::Duration;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::routing::get;
use ::warp::Filter;
use ::warp::reply::Reply;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::rt::SystemRunner;
use actix_web::{App, Error, test, web};
use cors_core::{OriginLookup, Policy, VerdictCache};
use tower::ServiceExt;

use crate::apps::{ALLOWED_ORIGIN, EXPOSED, HEADERS, MAX_AGE, METHODS, our_policy};

/// The lookup policy's only static origin; no request sends it.
pub const STATIC_ONLY: &str = "https://static.example.com";

/// How the request's origin is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Listed in `allow_origins`.
    Static,
    /// Allowed by the origin lookup, its verdict cached.
    CachedLookup,
}

impl Rule {
    /// Both, in table order.
    pub const ALL: [Rule; 2] = [Rule::Static, Rule::CachedLookup];

    /// The name in benchmark ids and records.
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Static => "static",
            Rule::CachedLookup => "cached_lookup",
        }
    }
}

/// The benchmark policy with the origin left to the lookup.
pub fn lookup_policy() -> Policy {
    Policy::builder()
        .allow_origins([STATIC_ONLY])
        .allow_origin_lookup(true)
        .allow_methods(METHODS)
        .allow_headers(HEADERS)
        .expose_headers([EXPOSED])
        .allow_credentials(true)
        .max_age(MAX_AGE)
        .build()
        .expect("the lookup benchmark policy is valid")
}

/// A lookup that allows [`ALLOWED_ORIGIN`], with a cache that keeps its
/// verdicts for an hour.
pub fn lookup() -> OriginLookup {
    OriginLookup::new(|origin: String, _request| async move {
        Ok::<_, Infallible>(origin == ALLOWED_ORIGIN)
    })
    .cache(VerdictCache::new(1024).allowed_for(Duration::from_secs(3600)))
}

/// One framework's pair of applications.
pub trait LookupFramework {
    /// The framework's name.
    const NAME: &'static str;

    /// Sends `GET /items` from [`ALLOWED_ORIGIN`] through the application
    /// for `rule`; the status and `Access-Control-Allow-Origin`.
    fn send(&mut self, rule: Rule) -> (u16, Option<String>);

    /// Sends the request through both applications (filling the lookup's
    /// cache) and checks that both allowed it.
    fn check(&mut self) {
        for rule in Rule::ALL {
            let answer = self.send(rule);
            assert_eq!(
                answer,
                (200, Some(ALLOWED_ORIGIN.to_owned())),
                "{} {}: the request must be allowed",
                Self::NAME,
                rule.name()
            );
        }
    }
}

/// A current-thread runtime with a timer: a lookup that is not cached yet
/// is awaited with a deadline.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

/// The axum applications.
pub struct Axum {
    runtime: tokio::runtime::Runtime,
    fixed: Router,
    looked_up: Router,
}

impl Axum {
    /// Builds both.
    pub fn new() -> Self {
        let routes = || Router::new().route("/items", get(|| async { "items" }));
        Axum {
            runtime: runtime(),
            fixed: routes().layer(cors_axum::CorsLayer::new(our_policy(1))),
            looked_up: routes()
                .layer(cors_axum::CorsLayer::new(lookup_policy()).origin_lookup(lookup())),
        }
    }
}

impl Default for Axum {
    fn default() -> Self {
        Axum::new()
    }
}

impl LookupFramework for Axum {
    const NAME: &'static str = "axum";

    fn send(&mut self, rule: Rule) -> (u16, Option<String>) {
        let app = match rule {
            Rule::Static => &self.fixed,
            Rule::CachedLookup => &self.looked_up,
        };
        let request = http::Request::get("/items")
            .header("origin", ALLOWED_ORIGIN)
            .body(Body::empty())
            .expect("request");
        let response = match self.runtime.block_on(app.clone().oneshot(request)) {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let acao = response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), acao)
    }
}

type ActixRequest = actix_http::Request;

/// The actix-web applications.
pub struct Actix<F, L> {
    system: SystemRunner,
    fixed: F,
    looked_up: L,
}

/// Builds the actix-web applications.
pub fn actix() -> Actix<
    impl Service<
        ActixRequest,
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = Error,
    >,
    impl Service<
        ActixRequest,
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = Error,
    >,
> {
    let system = actix_web::rt::System::new();
    let handler = || async { "items" };
    let fixed = system.block_on(test::init_service(
        App::new()
            .wrap(cors_actix::Cors::new(our_policy(1)))
            .route("/items", web::get().to(handler)),
    ));
    let looked_up = system.block_on(test::init_service(
        App::new()
            .wrap(cors_actix::Cors::new(lookup_policy()).origin_lookup(lookup()))
            .route("/items", web::get().to(handler)),
    ));
    Actix {
        system,
        fixed,
        looked_up,
    }
}

fn actix_answer<B>(
    system: &SystemRunner,
    app: &impl Service<ActixRequest, Response = ServiceResponse<B>, Error = Error>,
) -> (u16, Option<String>) {
    let request = test::TestRequest::get()
        .uri("/items")
        .insert_header(("origin", ALLOWED_ORIGIN))
        .to_request();
    let response = match system.block_on(app.call(request)) {
        Ok(response) => response,
        Err(error) => panic!("the service failed: {error}"),
    };
    let acao = response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), acao)
}

impl<F, L, FB, LB> LookupFramework for Actix<F, L>
where
    F: Service<ActixRequest, Response = ServiceResponse<FB>, Error = Error>,
    L: Service<ActixRequest, Response = ServiceResponse<LB>, Error = Error>,
{
    const NAME: &'static str = "actix";

    fn send(&mut self, rule: Rule) -> (u16, Option<String>) {
        match rule {
            Rule::Static => actix_answer(&self.system, &self.fixed),
            Rule::CachedLookup => actix_answer(&self.system, &self.looked_up),
        }
    }
}

/// The Rocket applications.
pub struct Rocket {
    runtime: ::rocket::tokio::runtime::Runtime,
    fixed: ::rocket::local::asynchronous::Client,
    looked_up: ::rocket::local::asynchronous::Client,
}

#[::rocket::get("/items")]
fn items() -> &'static str {
    "items"
}

impl Rocket {
    /// Builds both.
    pub fn new() -> Self {
        let runtime = ::rocket::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let app = || {
            let figment = ::rocket::Config::figment().merge(("log_level", "off"));
            ::rocket::custom(figment).mount("/", ::rocket::routes![items])
        };
        let client = |rocket| {
            runtime
                .block_on(::rocket::local::asynchronous::Client::untracked(rocket))
                .expect("the application ignites")
        };
        let fixed = client(app().attach(cors_rocket::Cors::new(our_policy(1))));
        let looked_up =
            client(app().attach(cors_rocket::Cors::new(lookup_policy()).origin_lookup(lookup())));
        Rocket {
            runtime,
            fixed,
            looked_up,
        }
    }
}

impl Default for Rocket {
    fn default() -> Self {
        Rocket::new()
    }
}

impl LookupFramework for Rocket {
    const NAME: &'static str = "rocket";

    fn send(&mut self, rule: Rule) -> (u16, Option<String>) {
        let client = match rule {
            Rule::Static => &self.fixed,
            Rule::CachedLookup => &self.looked_up,
        };
        let request = client
            .get("/items")
            .header(::rocket::http::Header::new("origin", ALLOWED_ORIGIN));
        self.runtime.block_on(async move {
            let response = request.dispatch().await;
            let acao = response
                .headers()
                .get_one("access-control-allow-origin")
                .map(str::to_owned);
            (response.status().code, acao)
        })
    }
}

/// The warp applications.
pub struct Warp<F, L> {
    runtime: tokio::runtime::Runtime,
    fixed: F,
    looked_up: L,
}

/// Builds the warp applications.
pub fn warp() -> Warp<
    impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone + Send + Sync + 'static,
    impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone + Send + Sync + 'static,
> {
    let routes = || {
        ::warp::path("items")
            .and(::warp::path::end())
            .and(::warp::get())
            .map(|| "items")
    };
    Warp {
        runtime: runtime(),
        fixed: cors_warp::cors(our_policy(1)).wrap(routes()),
        looked_up: cors_warp::cors(lookup_policy())
            .origin_lookup(lookup())
            .wrap(routes()),
    }
}

impl<F, L> LookupFramework for Warp<F, L>
where
    F: Filter<Error = Infallible> + 'static,
    F::Extract: Reply + Send,
    L: Filter<Error = Infallible> + 'static,
    L::Extract: Reply + Send,
{
    const NAME: &'static str = "warp";

    fn send(&mut self, rule: Rule) -> (u16, Option<String>) {
        let request = ::warp::test::request()
            .method("GET")
            .path("/items")
            .header("origin", ALLOWED_ORIGIN);
        let response = match rule {
            Rule::Static => self.runtime.block_on(request.reply(&self.fixed)),
            Rule::CachedLookup => self.runtime.block_on(request.reply(&self.looked_up)),
        };
        let acao = response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), acao)
    }
}
