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
//!   without a body. Under a fixed policy without
//!   `block_disallowed_origins`, only an `OPTIONS` request can be answered
//!   now, so any other is left to `on_response` without being read.
//! - **On response**, which Rocket runs for every response, catchers'
//!   included, it removes CORS headers the handler set (the policy is their
//!   only source), appends the decision's headers, and merges its names
//!   into `Vary`. For a request it did not reroute it asks the policy
//!   again (the same request, so the same decision): evaluating allocates
//!   nothing, and costs less than keeping the decision in the request-local
//!   cache; the request's `Origin` is echoed without a copy. (Under a
//!   fixed policy without routes, the headers for a request without
//!   `Origin` were decided once, when the fairing was made.) When the
//!   policy is a [`SharedPolicy`], or an [origin
//!   lookup](#origins-from-a-database) is configured, `on_request` keeps
//!   the policy it read (and the lookup's verdict) in the request-local
//!   cache, and `on_response` decides with those, so that a policy
//!   replaced in between never mixes into the request's answer.
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
//! problem logged. Per-path rules are `routes` of the same table:
//!
//! ```toml
//! [[default.cors.routes]]
//! paths = ["/public/*"]
//! allow_origins = ["*"]
//! ```
//!
//! # Replacing the policy while serving
//!
//! [`Cors::new`] takes a [`Policy`] or a [`SharedPolicy`]. To reload the
//! `cors` table while serving, read it with [`Cors::policy_from_figment`]
//! (the reading [`Cors::fairing`] does), attach `Cors::new(shared.clone())`
//! instead of `Cors::fairing()`, manage the handle, and call
//! [`replace`](SharedPolicy::replace) from an endpoint or a task: every
//! request that starts afterwards is answered by the new policy, and a
//! request under way finishes with the one it read.
//!
//! ```
//! use cors_core::SharedPolicy;
//! use cors_rocket::Cors;
//! use rocket::figment::Figment;
//! use rocket::figment::providers::{Format, Toml};
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//! use rocket::State;
//!
//! /// The configuration as it is now. An application reads its sources
//! /// again: `rocket::Config::figment()` (Rocket.toml and `ROCKET_*`).
//! fn configuration(origin: &str) -> Figment {
//!     let table = format!("[default.cors]\nallow_origins = [\"{origin}\"]");
//!     rocket::Config::figment().merge(Toml::string(&table).nested())
//! }
//!
//! #[rocket::post("/admin/reload-cors")]
//! fn reload(shared: &State<SharedPolicy>) -> Result<&'static str, (Status, String)> {
//!     let figment = configuration("https://b.example");
//!     let policy = Cors::policy_from_figment(&figment)
//!         .map_err(|error| (Status::InternalServerError, error.to_string()))?;
//!     shared.replace(policy);
//!     Ok("reloaded")
//! }
//!
//! #[rocket::get("/")]
//! fn index() -> &'static str {
//!     "index"
//! }
//!
//! let figment = configuration("https://a.example");
//! let policy = Cors::policy_from_figment(&figment).expect("a valid cors table");
//! let shared = SharedPolicy::new(policy);
//! let rocket = rocket::custom(figment)
//!     .manage(shared.clone())
//!     .attach(Cors::new(shared))
//!     .mount("/", rocket::routes![index, reload]);
//! let client = Client::tracked(rocket).expect("valid rocket");
//!
//! let from_b = || client.get("/").header(Header::new("Origin", "https://b.example"));
//! assert!(!from_b().dispatch().headers().contains("access-control-allow-origin"));
//! assert_eq!(client.post("/admin/reload-cors").dispatch().status(), Status::Ok);
//! let response = from_b().dispatch();
//! assert_eq!(
//!     response.headers().get_one("access-control-allow-origin"),
//!     Some("https://b.example")
//! );
//! ```
//!
//! # Origins from a database
//!
//! When the allowed origins live in a database (a tenant's own domain,
//! say), set `allow_origin_lookup` in the policy and give the fairing an
//! [`OriginLookup`] with [`Cors::origin_lookup`] (or
//! [`FromConfig::origin_lookup`] with [`Cors::fairing`]). The lookup is
//! asked in `on_request` only about an origin that no rule of the policy
//! allows, and never for requests without `Origin`, for malformed origins
//! or for `null` (unless the policy sets `lookup_null_origin`). A
//! [`VerdictCache`] keeps its verdicts, so that an origin's requests do not
//! each query the database; a cached verdict is used without awaiting.
//!
//! The lookup fails closed: an error, a timeout or a panic refuses the
//! origin (a preflight gets 403, an actual request runs without CORS
//! headers), is logged with `tracing::warn!`, and the server keeps serving.
//!
//! [`VerdictCache`]: cors_core::VerdictCache
//!
//! ```
//! use std::time::Duration;
//!
//! use cors_core::{OriginLookup, Policy, VerdictCache};
//! use cors_rocket::Cors;
//! use rocket::http::Header;
//! use rocket::local::blocking::Client;
//!
//! /// Stands in for `SELECT 1 FROM tenants WHERE origin = $1`.
//! async fn tenant_exists(origin: &str) -> Result<bool, std::io::Error> {
//!     Ok(origin == "https://shop.tenant.example")
//! }
//!
//! #[rocket::get("/")]
//! fn index() -> &'static str {
//!     "index"
//! }
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_origin_lookup(true)
//!     .build()
//!     .unwrap();
//! let lookup = OriginLookup::new(|origin: String, _request| async move {
//!     tenant_exists(&origin).await
//! })
//! .timeout(Duration::from_millis(500))
//! .cache(VerdictCache::new(10_000).allowed_for(Duration::from_secs(300)));
//!
//! let rocket = rocket::build()
//!     .mount("/", rocket::routes![index])
//!     .attach(Cors::new(policy).origin_lookup(lookup));
//! let client = Client::tracked(rocket).expect("valid rocket");
//! let response = client
//!     .get("/")
//!     .header(Header::new("Origin", "https://shop.tenant.example"))
//!     .dispatch();
//! assert_eq!(
//!     response.headers().get_one("access-control-allow-origin"),
//!     Some("https://shop.tenant.example")
//! );
//! assert_eq!(response.headers().get_one("vary"), Some("Origin"));
//! ```

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

use cors_core::{
    Action, Decision, OriginLookup, OriginQuery, Policy, PolicyConfig, PolicyGuard, PolicySource,
    RequestParts, ResponseHeader, SharedPolicy, Vary, Verdict,
};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::figment::Figment;
use rocket::http::uri::Origin;
use rocket::http::{Header, Method, Status};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Request, Response, Rocket};

pub use cors_core;

/// The CORS fairing.
///
/// Cloning is cheap (the policy and the lookup are shared).
#[derive(Debug, Clone)]
pub struct Cors {
    source: PolicySource,
    lookup: Option<OriginLookup>,
    /// A fixed policy that forwards every actual request: `on_request`
    /// then has nothing to do for a method other than `OPTIONS`.
    forwards_actual: bool,
    /// A fixed policy without routes: what every response to a request
    /// without `Origin` gets, decided once.
    not_cors: Option<Arc<Stash>>,
}

impl Cors {
    /// The path of the internal route that answers preflights and refusals.
    pub const ANSWER_PATH: &'static str = "/__cors-rocket/answer";

    /// The rank of the internal route: ahead of every default rank, so an
    /// application's catch-all route cannot shadow it.
    pub const ANSWER_RANK: isize = -1000;

    /// The configuration key [`Cors::fairing`] reads.
    pub const CONFIG_KEY: &'static str = "cors";

    /// A fairing applying `policy`: a [`Policy`], or a [`SharedPolicy`]
    /// that may be replaced while serving (each request reads it once and
    /// is answered by what it read; see [Replacing the
    /// policy](crate#replacing-the-policy-while-serving)).
    pub fn new(policy: impl Into<PolicySource>) -> Self {
        let source = policy.into();
        let fixed = source.shared().is_none().then(|| source.current());
        let forwards_actual = fixed
            .as_ref()
            .is_some_and(|policy| !policy.answers_refused_actual_requests());
        let not_cors = fixed.filter(|policy| !policy.has_routes()).map(|policy| {
            Arc::new(Stash::from_decision(
                &policy.evaluate(&RequestParts::new("GET")),
            ))
        });
        Cors {
            source,
            lookup: None,
            forwards_actual,
            not_cors,
        }
    }

    /// Asks `lookup` about the origins the policy refers to it
    /// (`allow_origin_lookup`); see [Origins from a
    /// database](crate#origins-from-a-database). Without it, such origins
    /// are refused.
    #[must_use]
    pub fn origin_lookup(mut self, lookup: OriginLookup) -> Self {
        self.lookup = Some(lookup);
        self
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
        FromConfig { lookup: None }
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
        Self::policy_from_figment(figment).map(Cors::new)
    }

    /// Reads and validates the `cors` table of `figment`, as
    /// [`Cors::fairing`] does: for an application that keeps the policy in
    /// a [`SharedPolicy`] and reads the table again to replace it (see
    /// [Replacing the policy](crate#replacing-the-policy-while-serving)).
    pub fn policy_from_figment(figment: &Figment) -> Result<Policy, ConfigError> {
        if !figment.contains(Self::CONFIG_KEY) {
            return Err(ConfigError::Missing);
        }
        let config: PolicyConfig = figment
            .extract_inner(Self::CONFIG_KEY)
            .map_err(|e| ConfigError::Extract(Box::new(e)))?;
        config.build().map_err(ConfigError::Policy)
    }

    /// The policy in force now.
    pub fn policy(&self) -> PolicyGuard<'_> {
        self.source.load()
    }

    /// Where the fairing reads the policy.
    pub fn source(&self) -> &PolicySource {
        &self.source
    }

    /// Whether `on_response` must use what `on_request` read rather than
    /// decide again: when the policy may be replaced in between, or the
    /// decision depended on the lookup.
    fn keeps_policy(&self) -> bool {
        self.lookup.is_some() || self.source.shared().is_some()
    }

    /// Whether `on_request` leaves `req` to `on_response` alone: under a
    /// fixed policy that forwards every actual request, only a preflight
    /// (`OPTIONS`) can be answered early.
    fn decides_late(&self, req: &Request<'_>) -> bool {
        // `forwards_actual` holds only for a fixed policy.
        self.forwards_actual && self.lookup.is_none() && req.method() != Method::Options
    }

    /// `on_request` under a fixed policy: reroutes a request the engine
    /// answers now.
    fn decide_fixed(&self, req: &mut Request<'_>) {
        let parts = request_parts(req);
        // Without `Origin` the engine never answers: `on_response`
        // alone decides.
        if !parts.is_cors() {
            return;
        }
        let policy = self.source.load();
        let decision = policy.evaluate(&parts);
        log_refusal(&decision, req);
        // Only an answer is kept: `on_response` decides a forwarded
        // request again, with the same fixed policy, which costs less
        // than keeping its decision.
        if let Action::Respond { .. } = decision.action() {
            let stash = Stash::from_decision(&decision);
            reroute(req, stash);
        }
    }

    /// `on_request` when the policy may be replaced or a lookup asked:
    /// reroutes a request the engine answers, and keeps what it read for
    /// `on_response` otherwise.
    async fn decide_keeping(&self, req: &mut Request<'_>) {
        // Read once, and kept for `on_response`: a `replace` in between
        // must not mix two policies in one answer.
        let policy = self.source.current();
        let (answer, verdict) = {
            let parts = request_parts(req);
            let (decision, verdict) = match &self.lookup {
                None => (policy.evaluate(&parts), None),
                Some(lookup) => {
                    let decision = policy.evaluate_with_lookup(&parts);
                    match decision.lookup() {
                        None => (decision, None),
                        Some(query) => {
                            let verdict = match lookup.cached(query.origin()) {
                                Some(verdict) => verdict,
                                None => lookup.decide(query, tokio::time::sleep).await,
                            };
                            warn_if_failed(&verdict, query);
                            let allowed = verdict.is_allowed();
                            (policy.resolve_lookup(&parts, allowed), Some(allowed))
                        }
                    }
                }
            };
            log_refusal(&decision, req);
            let answer = match decision.action() {
                Action::Respond { .. } => Some(Stash::from_decision(&decision)),
                Action::Forward | Action::Lookup => None,
            };
            (answer, verdict)
        };
        match answer {
            Some(stash) => reroute(req, stash),
            None => {
                req.local_cache(|| Kept(Some(Read { policy, verdict })));
            }
        }
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

impl From<SharedPolicy> for Cors {
    fn from(policy: SharedPolicy) -> Self {
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
        if self.decides_late(req) {
            return;
        }
        if self.keeps_policy() {
            // Boxed: Rocket boxes this future for every request, and the
            // lookup's state would make every one of them larger.
            Box::pin(self.decide_keeping(req)).await;
        } else {
            self.decide_fixed(req);
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // One pass over the names present, usually neither a CORS header
        // nor `Vary`, rather than a lookup for each CORS name and `Vary`.
        let (mut has_cors, mut has_vary) = (false, false);
        for name in res.headers().iter().map(|h| h.name) {
            let name = name.as_str().as_bytes();
            has_cors |= ResponseHeader::may_be_cors(name);
            has_vary |= name.eq_ignore_ascii_case(b"vary");
        }
        if has_cors {
            for name in ResponseHeader::CORS {
                res.remove_header(name.as_str());
            }
        }
        // Rerouted in `on_request`, which kept the answer's headers.
        if req.uri().path() == Self::ANSWER_PATH {
            if let Rerouted(Some(stash)) = req.local_cache(|| Rerouted(None)) {
                let headers = stash
                    .headers
                    .iter()
                    .map(|(name, value)| (*name, Cow::Borrowed(&**value)));
                add_headers(res, headers, stash.vary, has_vary);
                return;
            }
        }
        // Any other request: the same request as in `on_request`, with the
        // same policy (and the lookup's verdict), so the same decision.
        let kept = if self.keeps_policy() {
            req.local_cache(|| Kept(None)).0.as_ref()
        } else {
            None
        };
        let parts = request_parts(req);
        if let (Some(stash), false) = (&self.not_cors, parts.is_cors()) {
            // The response cannot borrow from the fairing: a value that is
            // not fixed text (an `allow_origins = ["*"]` policy's exposed
            // headers) is copied, as a decision's would be.
            let headers = stash
                .headers
                .iter()
                .map(|(name, value)| (*name, value.clone()));
            add_headers(res, headers, stash.vary, has_vary);
            return;
        }
        let guard;
        let decision = match kept {
            Some(Read {
                policy,
                verdict: Some(allowed),
            }) => policy.resolve_lookup(&parts, *allowed),
            Some(Read {
                policy,
                verdict: None,
            }) => policy.evaluate(&parts),
            // A fixed policy; or a request `on_request` never saw (Rocket
            // answered it before the fairings ran), decided without
            // asking the lookup.
            None => {
                guard = self.source.load();
                let decision = guard.evaluate(&parts);
                if self.decides_late(req) {
                    log_refusal(&decision, req);
                }
                decision
            }
        };
        // The request's own `Origin` is echoed without a copy; it is
        // looked up only for a response that gets headers.
        let mut origin = None;
        let headers = decision.headers().iter().map(|&(name, value)| {
            let value = match *origin.get_or_insert_with(|| req.headers().get_one("origin")) {
                Some(origin) if origin == value => Cow::Borrowed(origin),
                _ => owned(value),
            };
            (name, value)
        });
        add_headers(res, headers, decision.vary(), has_vary);
    }
}

/// Keeps `stash`, the engine's answer, and sends the request to the
/// internal route that answers it.
fn reroute(req: &mut Request<'_>, stash: Stash) {
    req.local_cache(|| Rerouted(Some(stash)));
    if let Ok(uri) = Origin::parse(Cors::ANSWER_PATH) {
        req.set_uri(uri);
    }
}

/// Logs a lookup that failed (the origin is refused).
fn warn_if_failed(verdict: &Verdict, query: OriginQuery<'_>) {
    if let Verdict::Failed(error) = verdict {
        tracing::warn!(
            origin = %query.origin(),
            reason = %error,
            "CORS origin lookup failed; origin refused"
        );
    }
}

/// Adds a decision's headers to a response and merges its `Vary` names
/// (the response has a `Vary` header when `has_vary`).
fn add_headers<'r>(
    res: &mut Response<'r>,
    headers: impl IntoIterator<Item = (ResponseHeader, Cow<'r, str>)>,
    vary: Vary,
    has_vary: bool,
) {
    for (name, value) in headers {
        let header = Header::new(name.as_str(), value);
        if name == ResponseHeader::ContentType {
            res.set_header(header);
        } else {
            res.adjoin_header(header);
        }
    }
    merge_vary(res, vary, has_vary);
}

/// Merges `vary`'s names into the response's `Vary`, which is read only
/// if the response has one (`has_vary`).
fn merge_vary(res: &mut Response<'_>, vary: Vary, has_vary: bool) {
    let add = if has_vary {
        vary.merge(res.headers().get("vary").map(str::as_bytes))
    } else {
        vary.merge(None)
    };
    if let Some(add) = add {
        res.adjoin_header(Header::new("Vary", add));
    }
}

/// In the request-local cache: the answer for a request `on_request`
/// rerouted to the internal route; `None` for a request to the internal
/// path that it did not reroute.
#[derive(Debug)]
struct Rerouted(Option<Stash>);

/// In the request-local cache, for a forwarded request when the fairing
/// [keeps the policy](Cors::keeps_policy): what `on_request` read; `None`
/// for a request it never saw.
#[derive(Debug)]
struct Kept(Option<Read>);

/// The policy a request read, and the lookup's verdict when it was asked.
#[derive(Debug)]
struct Read {
    policy: Policy,
    verdict: Option<bool>,
}

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
                Action::Forward | Action::Lookup => None,
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

/// What the engine reads of a request.
fn request_parts<'a>(req: &'a Request<'_>) -> RequestParts<'a> {
    let headers = req.headers();
    RequestParts::from_http02_lookup(req.method().as_str(), req.uri().path().as_str(), |name| {
        headers.get(name.as_str()).map(str::as_bytes)
    })
}

/// Logs a refusal at debug level.
fn log_refusal(decision: &Decision<'_>, req: &Request<'_>) {
    // Asked only when it is logged: telling a malformed origin from
    // one not allowed means parsing it.
    if tracing::enabled!(tracing::Level::DEBUG) {
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(
                reason = %refusal,
                method = req.method().as_str(),
                path = req.uri().path().as_str(),
                "CORS request refused"
            );
        }
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
            })) => {
                let mut response = Response::build();
                response.status(Status::new(*status));
                // Rocket boxes a body; an allowed preflight has none, and
                // the default body is already an empty one.
                if !body.is_empty() {
                    response.sized_body(body.len(), Cursor::new(*body));
                }
                Outcome::Success(response.finalize())
            }
            _ => Outcome::forward(data, Status::NotFound),
        }
    }
}

/// The fairing [`Cors::fairing`] returns: reads the policy from Rocket's
/// configuration on ignite, then attaches [`Cors`] with it.
#[derive(Debug)]
pub struct FromConfig {
    lookup: Option<OriginLookup>,
}

impl FromConfig {
    /// Gives the attached [`Cors`] an origin lookup, for a configuration
    /// that sets `allow_origin_lookup` (see [`Cors::origin_lookup`]).
    #[must_use]
    pub fn origin_lookup(mut self, lookup: OriginLookup) -> Self {
        self.lookup = Some(lookup);
        self
    }
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
            Ok(mut cors) => {
                cors.lookup = self.lookup.clone();
                Ok(rocket.attach(cors))
            }
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
