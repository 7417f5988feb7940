//! The demo applications, one per framework, that the `cors-demo` server
//! serves and the conformance suite (`tests/conformance_*.rs`) drives
//! through each framework's in-process test client. All four expose the
//! same routes, so any difference in behaviour is a difference between
//! adapters.
//!
//! The routes (the contract other tests rely on):
//!
//! - `/echo` answers `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` and
//!   `OPTIONS` with 200, body `ok`, and the headers `X-Handler: ran`,
//!   `Vary: Accept-Encoding` and `X-Request-Id: 1`;
//! - `/public/echo` answers exactly like `/echo`, for per-path policies
//!   (a `/public/*` route);
//! - `/fail` is a handler that fails through the framework's own error
//!   mechanism, giving 500;
//! - every other path is the framework's own 404.
//!
//! With [`Routes::Conformance`], three more routes exercise what only a
//! test needs:
//!
//! - `GET /own-cors` sets CORS headers of its own (which the policy must
//!   replace): `Access-Control-Allow-Origin: https://handler.example`,
//!   `Access-Control-Allow-Credentials: true`,
//!   `Access-Control-Expose-Headers: x-secret`, `Vary: Origin`, plus
//!   `X-Handler: ran`, 200, body `ok`;
//! - `GET /vary-star` answers 200, body `ok`, `Vary: *`, `X-Handler: ran`;
//! - `POST /json` takes a JSON body `{"n": <integer>}` through the
//!   framework's own JSON extractor and answers 200 with `X-Handler: ran`;
//!   a body that does not parse gets the framework's own 4xx rejection.

pub mod demo;

/// The frameworks the demo applications are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// axum, through `cors-axum`.
    Axum,
    /// actix-web, through `cors-actix`.
    Actix,
    /// Rocket, through `cors-rocket`.
    Rocket,
    /// warp, through `cors-warp`.
    Warp,
    /// warp served as a tower service (`warp::service`), through
    /// `cors-axum`'s layer.
    WarpTower,
}

impl Framework {
    /// Every one, in the order the demo lists them.
    pub const ALL: [Framework; 5] = [
        Framework::Axum,
        Framework::Actix,
        Framework::Rocket,
        Framework::Warp,
        Framework::WarpTower,
    ];

    /// The name `cors-demo --framework` takes.
    pub fn name(self) -> &'static str {
        match self {
            Framework::Axum => "axum",
            Framework::Actix => "actix",
            Framework::Rocket => "rocket",
            Framework::Warp => "warp",
            Framework::WarpTower => "warp-tower",
        }
    }

    /// The framework called `name`.
    pub fn from_name(name: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Which routes a demo application serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routes {
    /// `/echo`, `/public/echo`, `/fail`, and the framework's 404 for
    /// everything else.
    Demo,
    /// The demo routes plus `/own-cors`, `/vary-star` and `/json`.
    Conformance,
}

// The README's Rust examples are compiled (and, where they do not serve,
// run) as doctests of this package, which depends on every adapter.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
