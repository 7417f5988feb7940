//! CORS for Rocket 0.5, decided by [`cors_core`].
//!
//! [`Cors`] is a fairing. Attach it with a policy built in code,
//! [`Cors::new`], or let it read the policy from Rocket's own configuration,
//! [`Cors::fairing`] (a `cors` table in `Rocket.toml` or `ROCKET_CORS`).
//!
//! ```
//! use cors_core::Policy;
//! use cors_rocket::Cors;
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//!
//! #[rocket::get("/items")]
//! fn items() -> &'static str {
//!     "items"
//! }
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .build()
//!     .expect("valid policy");
//! let rocket = rocket::build()
//!     .mount("/", rocket::routes![items])
//!     .attach(Cors::new(policy));
//! let client = Client::tracked(rocket).expect("valid rocket");
//!
//! // A preflight is answered by the fairing, even though `/items` has no
//! // OPTIONS route.
//! let response = client
//!     .options("/items")
//!     .header(Header::new("Origin", "https://app.example.com"))
//!     .header(Header::new("Access-Control-Request-Method", "PUT"))
//!     .dispatch();
//! assert_eq!(response.status(), Status::NoContent);
//! assert_eq!(response.headers().get_one("access-control-allow-methods"), Some("PUT"));
//!
//! // An actual request runs the handler and gets the headers.
//! let response = client
//!     .get("/items")
//!     .header(Header::new("Origin", "https://app.example.com"))
//!     .dispatch();
//! assert_eq!(
//!     response.headers().get_one("access-control-allow-origin"),
//!     Some("https://app.example.com")
//! );
//! assert_eq!(response.headers().get_one("vary"), Some("Origin"));
//! assert_eq!(response.into_string().as_deref(), Some("items"));
//! ```
//!
//! # How it works
//!
//! - **On ignite**, the fairing mounts one internal route, for every method,
//!   at [`Cors::ANSWER_PATH`].
//! - **On request**, it builds [`cors_core::RequestParts`] from the method,
//!   the path and the `Origin` and `Access-Control-Request-*` header lines,
//!   and asks the policy. When the engine answers now (a preflight, or a
//!   refusal with `block_disallowed_origins`), the fairing keeps the
//!   answer in the request-local cache and rewrites the request's URI to
//!   the internal route, which produces that answer; no
//!   application route or catcher runs, so a preflight never meets a 404
//!   or a 405, and the method is left as sent, so `HEAD` is still answered
//!   without a body.
//! - **On response**, which Rocket runs for every response, catchers'
//!   included, it removes CORS headers the handler set (the policy is their
//!   only source), appends the decision's headers, and merges its names
//!   into `Vary`. For a request it did not reroute it asks the policy
//!   again (the same request, so the same decision): evaluating allocates
//!   nothing, and costs less than keeping the decision in the request-local
//!   cache; the request's `Origin` is echoed without a copy.
//!
//! A request to the internal path that the fairing did not reroute is
//! forwarded, so it meets the application's routes or its 404 as any
//! unknown path would.
//!
//! Refusals are logged at debug level through `tracing` (which hands them
//! to Rocket's `log` logger when no `tracing` subscriber is installed).
//!
//! Requests Rocket cannot parse at all (an unknown method, say) are
//! answered by Rocket's 400 catcher before any fairing runs, so they carry
//! no CORS headers.
//!
//! # Configuration
//!
//! With [`Cors::fairing`], the policy is the `cors` table of Rocket's
//! configuration, with the keys of [`cors_core::PolicyConfig`]:
//!
//! ```toml
//! [default.cors]
//! allow_origins = ["https://app.example.com"]
//! allow_methods = ["GET", "POST", "PUT"]
//! allow_credentials = true
//! ```
//!
//! or, from the environment, `ROCKET_CORS='{allow_origins=["https://app.example.com"]}'`.
//! A missing table or an invalid policy stops the launch, with every
//! problem logged.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::io::Cursor;

use cors_core::{Action, Decision, Policy, PolicyConfig, RequestParts, ResponseHeader, Vary};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::figment::Figment;
use rocket::http::uri::Origin;
use rocket::http::{Header, Method, Status};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Request, Response, Rocket};

pub use cors_core;

/// The CORS fairing.
///
/// Cloning is cheap (the policy is shared).
#[derive(Debug, Clone)]
pub struct Cors {
    policy: Policy,
}

impl Cors {
    /// The path of the internal route that answers preflights and refusals.
    pub const ANSWER_PATH: &'static str = "/__cors-rocket/answer";

    /// The rank of the internal route: ahead of every default rank, so an
    /// application's catch-all route cannot shadow it.
    pub const ANSWER_RANK: isize = -1000;

    /// The configuration key [`Cors::fairing`] reads.
    pub const CONFIG_KEY: &'static str = "cors";

    /// A fairing applying `policy`.
    pub fn new(policy: Policy) -> Self {
        Cors { policy }
    }

    /// A fairing that reads the policy from the `cors` table of Rocket's
    /// configuration when Rocket ignites, and stops the launch, logging
    /// every problem, when the table is missing or the policy invalid.
    ///
    /// ```
    /// use rocket::figment::providers::{Format, Toml};
    ///
    /// let figment = rocket::Config::figment().merge(Toml::string(r#"
    ///     [default.cors]
    ///     allow_origins = ["https://app.example.com/"]
    ///     allow_credentials = true
    ///     maxAge = 60
    /// "#).nested());
    /// let rocket = rocket::custom(figment).attach(cors_rocket::Cors::fairing());
    /// // Both problems, the trailing slash and the misspelt key, are logged.
    /// let error = rocket::local::blocking::Client::tracked(rocket).unwrap_err();
    /// assert!(matches!(error.kind(), rocket::error::ErrorKind::FailedFairings(_)));
    /// ```
    pub fn fairing() -> FromConfig {
        FromConfig { _private: () }
    }

    /// Reads and validates the `cors` table of `figment`.
    ///
    /// ```
    /// use rocket::figment::Figment;
    /// use rocket::figment::providers::{Format, Toml};
    ///
    /// let figment = Figment::from(Toml::string(r#"
    ///     [cors]
    ///     allow_origins = ["*"]
    ///     allow_credentials = true
    /// "#));
    /// let error = cors_rocket::Cors::from_figment(&figment).unwrap_err();
    /// assert_eq!(error.problems().len(), 1);
    /// assert!(error.problems()[0].contains("allow_credentials"));
    /// ```
    pub fn from_figment(figment: &Figment) -> Result<Cors, ConfigError> {
        if !figment.contains(Self::CONFIG_KEY) {
            return Err(ConfigError::Missing);
        }
        let config: PolicyConfig = figment
            .extract_inner(Self::CONFIG_KEY)
            .map_err(|e| ConfigError::Extract(Box::new(e)))?;
        config.build().map(Cors::new).map_err(ConfigError::Policy)
    }

    /// The policy this fairing applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The internal route, for every method Rocket knows.
    fn answer_routes() -> Vec<Route> {
        [
            Method::Get,
            Method::Put,
            Method::Post,
            Method::Delete,
            Method::Options,
            Method::Head,
            Method::Trace,
            Method::Connect,
            Method::Patch,
        ]
        .into_iter()
        .map(|method| {
            let mut route = Route::ranked(Self::ANSWER_RANK, method, Self::ANSWER_PATH, Answer);
            route.name = Some("cors-rocket answer".into());
            route
        })
        .collect()
    }
}

impl From<Policy> for Cors {
    fn from(policy: Policy) -> Self {
        Cors::new(policy)
    }
}

#[rocket::async_trait]
impl Fairing for Cors {
    fn info(&self) -> Info {
        Info {
            name: "CORS",
            kind: Kind::Ignite | Kind::Request | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        Ok(rocket.mount("/", Self::answer_routes()))
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        let decision = evaluate(&self.policy, req);
        log_refusal(&decision, req);
        // Only an answer is kept: `on_response` decides a forwarded
        // request again, which costs less than keeping its decision.
        if let Action::Respond { .. } = decision.action() {
            let stash = Stash::from_decision(&decision);
            req.local_cache(|| Rerouted(Some(stash)));
            if let Ok(uri) = Origin::parse(Self::ANSWER_PATH) {
                req.set_uri(uri);
            }
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // One pass over the names present, usually none of them CORS
        // headers, rather than a lookup for each CORS name.
        let has_cors = res.headers().iter().any(|h| {
            let name = h.name.as_str().as_bytes();
            name.len() > 15 && name[..15].eq_ignore_ascii_case(b"access-control-")
        });
        if has_cors {
            for name in ResponseHeader::CORS {
                res.remove_header(name.as_str());
            }
        }
        // Rerouted in `on_request`, which kept the answer's headers.
        if req.uri().path() == Self::ANSWER_PATH {
            if let Rerouted(Some(stash)) = req.local_cache(|| Rerouted(None)) {
                for (name, value) in &stash.headers {
                    add_header(res, *name, Cow::Borrowed(&**value));
                }
                merge_vary(res, stash.vary);
                return;
            }
        }
        // Any other request: the same request as in `on_request`, so the
        // same decision. The request's own `Origin` is echoed without a
        // copy.
        let decision = evaluate(&self.policy, req);
        let origin = req.headers().get_one("origin");
        for &(name, value) in decision.headers() {
            let value = match origin {
                Some(origin) if origin == value => Cow::Borrowed(origin),
                _ => owned(value),
            };
            add_header(res, name, value);
        }
        merge_vary(res, decision.vary());
    }
}

/// Adds one of a decision's headers to a response.
fn add_header<'r>(res: &mut Response<'r>, name: ResponseHeader, value: Cow<'r, str>) {
    let header = Header::new(name.as_str(), value);
    if name == ResponseHeader::ContentType {
        res.set_header(header);
    } else {
        res.adjoin_header(header);
    }
}

/// Merges `vary`'s names into the response's `Vary`.
fn merge_vary(res: &mut Response<'_>, vary: Vary) {
    let add = vary.merge(res.headers().get("vary").map(str::as_bytes));
    if let Some(add) = add {
        res.adjoin_header(Header::new("Vary", add));
    }
}

/// In the request-local cache: the answer for a request `on_request`
/// rerouted to the internal route; `None` for a request to the internal
/// path that it did not reroute.
#[derive(Debug)]
struct Rerouted(Option<Stash>);

/// What the fairing keeps of an answer between the request and the
/// response.
#[derive(Debug)]
struct Stash {
    /// The answer, when the engine answers now.
    respond: Option<(u16, &'static str)>,
    headers: Vec<(ResponseHeader, Cow<'static, str>)>,
    vary: Vary,
}

impl Stash {
    fn from_decision(decision: &Decision<'_>) -> Stash {
        Stash {
            respond: match decision.action() {
                Action::Respond { status, body } => Some((status, body)),
                Action::Forward => None,
            },
            headers: decision
                .headers()
                .iter()
                .map(|&(name, value)| (name, owned(value)))
                .collect(),
            vary: decision.vary(),
        }
    }
}

/// Asks the policy about a request: pure, no allocation.
fn evaluate<'a>(policy: &'a Policy, req: &'a Request<'_>) -> Decision<'a> {
    let mut parts = RequestParts::new(req.method().as_str()).with_path(req.uri().path().as_str());
    let headers = req.headers();
    for value in headers.get("origin") {
        parts.add_header("origin", value.as_bytes());
    }
    if parts.reads_preflight_headers() {
        for name in [
            "access-control-request-method",
            "access-control-request-headers",
            "access-control-request-private-network",
        ] {
            for value in headers.get(name) {
                parts.add_header(name, value.as_bytes());
            }
        }
    }
    policy.evaluate(&parts)
}

/// Logs a refusal at debug level.
fn log_refusal(decision: &Decision<'_>, req: &Request<'_>) {
    if let Some(refusal) = decision.refusal() {
        tracing::debug!(
            reason = %refusal,
            method = req.method().as_str(),
            path = req.uri().path().as_str(),
            "CORS request refused"
        );
    }
}

/// A decision's header value, kept beyond the request: the fixed values
/// borrowed, the others (an echoed origin, the policy's lists) copied.
fn owned(value: &str) -> Cow<'static, str> {
    match value {
        "*" => Cow::Borrowed("*"),
        "true" => Cow::Borrowed("true"),
        "null" => Cow::Borrowed("null"),
        "text/plain; charset=utf-8" => Cow::Borrowed("text/plain; charset=utf-8"),
        _ => Cow::Owned(value.to_owned()),
    }
}

/// The handler of the internal route: the engine's answer for a rerouted
/// request, or a forward for anything else.
#[derive(Debug, Clone, Copy)]
struct Answer;

#[rocket::async_trait]
impl Handler for Answer {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match req.local_cache(|| Rerouted(None)) {
            Rerouted(Some(Stash {
                respond: Some((status, body)),
                ..
            })) => Outcome::Success(
                Response::build()
                    .status(Status::new(*status))
                    .sized_body(body.len(), Cursor::new(*body))
                    .finalize(),
            ),
            _ => Outcome::forward(data, Status::NotFound),
        }
    }
}

/// The fairing [`Cors::fairing`] returns: reads the policy from Rocket's
/// configuration on ignite, then attaches [`Cors`] with it.
#[derive(Debug)]
pub struct FromConfig {
    _private: (),
}

#[rocket::async_trait]
impl Fairing for FromConfig {
    fn info(&self) -> Info {
        Info {
            name: "CORS (from configuration)",
            kind: Kind::Ignite,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        match Cors::from_figment(rocket.figment()) {
            Ok(cors) => Ok(rocket.attach(cors)),
            Err(error) => {
                for problem in error.problems() {
                    tracing::error!("invalid CORS configuration: {problem}");
                }
                Err(rocket)
            }
        }
    }
}

/// Why the `cors` table of a configuration could not become a policy.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// There is no `cors` table.
    Missing,
    /// The table is not a table of the expected types (a number where a
    /// list belongs, say).
    Extract(Box<rocket::figment::Error>),
    /// The policy is invalid; every problem is listed.
    Policy(cors_core::ConfigErrors),
}

impl ConfigError {
    /// Every problem, one line each.
    pub fn problems(&self) -> Vec<String> {
        match self {
            ConfigError::Missing => vec![format!(
                "no `{}` table in the configuration (Rocket.toml `[default.{0}]`, \
                 or the ROCKET_{} environment variable)",
                Cors::CONFIG_KEY,
                Cors::CONFIG_KEY.to_ascii_uppercase(),
            )],
            ConfigError::Extract(error) => (**error)
                .clone()
                .into_iter()
                .map(|e| e.to_string())
                .collect(),
            ConfigError::Policy(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid CORS configuration: ")?;
        f.write_str(&self.problems().join("; "))
    }
}

impl std::error::Error for ConfigError {}
