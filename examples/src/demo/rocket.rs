//! The demo application in Rocket, with [`cors_rocket::Cors`].
//!
//! ```
//! use cors_examples::Routes;
//! use rocket::http::Header;
//! use rocket::local::blocking::Client;
//!
//! let policy = cors_core::Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .build()
//!     .expect("valid policy");
//! let client = Client::tracked(cors_examples::demo::rocket::rocket(policy, Routes::Demo))
//!     .expect("valid rocket");
//! let response = client
//!     .get("/fail")
//!     .header(Header::new("Origin", "https://app.example.com"))
//!     .dispatch();
//! assert_eq!(response.status().code, 500);
//! assert!(response.headers().contains("access-control-allow-origin"));
//! ```

use cors_core::PolicySource;
use cors_rocket::Cors;
use rocket::http::Status;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{Build, Request, Rocket, routes};
use serde::Deserialize;

use crate::Routes;

/// The demo routes (see the [crate docs](crate)) with the [`Cors`] fairing
/// applying `policy`, a [`Policy`](cors_core::Policy) or a
/// [`SharedPolicy`](cors_core::SharedPolicy).
///
/// The fairing answers preflights to any path, routed or not, and adds
/// the policy's headers to every response, Rocket's catchers' (404, 500)
/// included. The application reads Rocket's usual configuration
/// (`Rocket.toml`, `ROCKET_*`).
pub fn rocket(policy: impl Into<PolicySource>, routes: Routes) -> Rocket<Build> {
    rocket_on(rocket::build(), policy, routes)
}

/// [`rocket()`] on a `base` instance, whose fairings run before the
/// [`Cors`] fairing: a fairing attached to `base` sees each request as it
/// arrived, before [`Cors`] reroutes the preflights it answers.
pub fn rocket_on(
    base: Rocket<Build>,
    policy: impl Into<PolicySource>,
    routes: Routes,
) -> Rocket<Build> {
    with_cors(base, Cors::new(policy), routes)
}

/// The demo routes on `base` with `cors` as it is configured (an origin
/// lookup, say):
///
/// ```
/// use cors_examples::Routes;
/// use cors_rocket::Cors;
///
/// let policy = cors_core::Policy::builder()
///     .allow_origin_lookup(true)
///     .build()
///     .expect("valid policy");
/// let lookup = cors_core::OriginLookup::new(|origin: String, _request| async move {
///     Ok::<_, std::io::Error>(origin.ends_with(".tenant.example"))
/// });
/// let cors = Cors::new(policy).origin_lookup(lookup);
/// let rocket = cors_examples::demo::rocket::with_cors(rocket::build(), cors, Routes::Demo);
/// # drop(rocket);
/// ```
pub fn with_cors(base: Rocket<Build>, cors: Cors, routes: Routes) -> Rocket<Build> {
    mounted(base, routes).attach(cors)
}

/// The demo routes on `base`, without CORS (the end-to-end benchmark
/// serves them with the crate the adapter replaces).
pub fn mounted(base: Rocket<Build>, routes: Routes) -> Rocket<Build> {
    let echo = routes![
        echo_get,
        echo_head,
        echo_post,
        echo_put,
        echo_patch,
        echo_delete,
        echo_options,
    ];
    let mut rocket = base
        // `/public/echo` is `/echo` under another path, for per-path
        // policies (`[[routes]] paths = ["/public/*"]`).
        .mount("/", echo.clone())
        .mount("/public", echo)
        .mount("/", routes![fail]);
    if routes == Routes::Conformance {
        rocket = rocket.mount("/", routes![own_cors, vary_star, json]);
    }
    rocket
}

/// A plain-text `ok` with `X-Handler: ran` and more headers.
struct Plain(&'static [(&'static str, &'static str)]);

impl<'r> Responder<'r, 'static> for Plain {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build_from("ok".respond_to(request)?);
        response.raw_header("X-Handler", "ran");
        for &(name, value) in self.0 {
            response.raw_header_adjoin(name, value);
        }
        response.ok()
    }
}

/// `/echo`'s answer.
fn echo() -> Plain {
    Plain(&[("Vary", "Accept-Encoding"), ("X-Request-Id", "1")])
}

#[rocket::get("/echo")]
fn echo_get() -> Plain {
    echo()
}

#[rocket::head("/echo")]
fn echo_head() -> Plain {
    echo()
}

#[rocket::post("/echo")]
fn echo_post() -> Plain {
    echo()
}

#[rocket::put("/echo")]
fn echo_put() -> Plain {
    echo()
}

#[rocket::patch("/echo")]
fn echo_patch() -> Plain {
    echo()
}

#[rocket::delete("/echo")]
fn echo_delete() -> Plain {
    echo()
}

#[rocket::options("/echo")]
fn echo_options() -> Plain {
    echo()
}

/// `/fail`: a handler that fails through Rocket's error mechanism, an
/// `Err(Status)`, which Rocket's 500 catcher turns into the response.
#[rocket::get("/fail")]
fn fail() -> Result<&'static str, Status> {
    Err(Status::InternalServerError)
}

/// `GET /own-cors`: CORS headers of the handler's own, which the policy
/// replaces.
#[rocket::get("/own-cors")]
fn own_cors() -> Plain {
    Plain(&[
        ("Access-Control-Allow-Origin", "https://handler.example"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "x-secret"),
        ("Vary", "Origin"),
    ])
}

/// `GET /vary-star`: `Vary: *`.
#[rocket::get("/vary-star")]
fn vary_star() -> Plain {
    Plain(&[("Vary", "*")])
}

/// The body `POST /json` takes.
#[derive(Debug, Deserialize)]
struct Number {
    #[allow(dead_code)]
    n: i64,
}

/// `POST /json`: Rocket's `Json` data guard; a body that does not parse
/// gets Rocket's own 4xx catcher.
#[rocket::post("/json", data = "<_number>")]
fn json(_number: Json<Number>) -> Plain {
    Plain(&[])
}
