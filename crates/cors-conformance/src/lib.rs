//! A conformance kit for CORS integrations of the `cors-core` engine.
//!
//! The table ([`cases`]) holds 150-odd cases: a policy, a request, and what
//! must come back (the status, whether the handler ran, headers that must
//! have an exact value or be absent, the names `Vary` must and must not
//! list). The four adapters of this project (`cors-axum`, `cors-actix`,
//! `cors-rocket`, `cors-warp`) pass all of it; an integration that embeds
//! `cors-core` in another framework proves it behaves the same by passing
//! it too.
//!
//! # Running the kit
//!
//! Give [`run`] (async) or [`run_sync`] a function that builds your stack
//! for one case from a [`Setup`] (the case's policy and the kit's origin
//! [`lookup`]), sends it an `http::Request<Vec<u8>>` and returns the
//! `http::Response<Vec<u8>>` a client would receive. The kit runs the
//! whole table, checks each response against its case and against the
//! invariants every response must keep (see [`check`]), and returns a
//! [`Report`] listing every failing case: its name, the request, what was
//! expected and what came back. [`Report::assert_passed`] fails a test
//! with all of that.
//!
//! # The application under test
//!
//! The stack under test serves these routes behind its CORS integration,
//! each through the framework's own routing and error handling (that is
//! what the cases exercise):
//!
//! - `/echo` answers `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` and
//!   `OPTIONS` with 200, body `ok`, and the headers `X-Handler: ran`,
//!   `Vary: Accept-Encoding` and `X-Request-Id: 1`; any other method gets
//!   the framework's own 4xx;
//! - `/public/echo` answers exactly like `/echo`;
//! - `/fail` fails through the framework's own error mechanism, giving
//!   500 (without `X-Handler: ran`);
//! - `GET /own-cors` sets CORS headers of its own, which the policy must
//!   replace: `Access-Control-Allow-Origin: https://handler.example`,
//!   `Access-Control-Allow-Credentials: true`,
//!   `Access-Control-Expose-Headers: x-secret`, `Vary: Origin`, plus
//!   `X-Handler: ran`, 200, body `ok`;
//! - `GET /vary-star` answers 200, body `ok`, `Vary: *`, `X-Handler: ran`;
//! - `POST /json` reads a JSON body `{"n": <integer>}` through the
//!   framework's own JSON extractor and answers 200 with `X-Handler: ran`;
//!   a body that does not parse gets the framework's own 4xx;
//! - every other path is the framework's own 404.
//!
//! # Example
//!
//! `cors-core` embedded by hand around a plain function that serves the
//! routes above, run through the whole kit. A real integration does the
//! same inside its framework's middleware.
//!
//! ```
//! use cors_conformance::Setup;
//! use cors_core::RequestParts;
//! use http::{Request, Response, request::Parts};
//!
//! /// The application: the routes of the contract.
//! fn app(parts: &Parts, body: &[u8]) -> Response<Vec<u8>> {
//!     let answer = |status: u16, headers: &[(&str, &str)]| {
//!         let mut response = Response::builder().status(status);
//!         for (name, value) in headers {
//!             response = response.header(*name, *value);
//!         }
//!         let ran = status == 200;
//!         let response = if ran { response.header("x-handler", "ran") } else { response };
//!         response.body(if ran { b"ok".to_vec() } else { Vec::new() }).unwrap()
//!     };
//!     let echo = [("vary", "Accept-Encoding"), ("x-request-id", "1")];
//!     match (parts.uri.path(), parts.method.as_str()) {
//!         ("/echo" | "/public/echo", "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => {
//!             answer(200, &echo)
//!         }
//!         ("/echo" | "/public/echo", _) => answer(405, &[]),
//!         ("/fail", _) => answer(500, &[]),
//!         ("/own-cors", "GET") => answer(200, &[
//!             ("access-control-allow-origin", "https://handler.example"),
//!             ("access-control-allow-credentials", "true"),
//!             ("access-control-expose-headers", "x-secret"),
//!             ("vary", "Origin"),
//!         ]),
//!         ("/vary-star", "GET") => answer(200, &[("vary", "*")]),
//!         ("/json", "POST") => {
//!             let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
//!             let parsed = json.as_ref().and_then(|v| v.get("n")?.as_i64()).is_some();
//!             answer(if parsed { 200 } else { 400 }, &[])
//!         }
//!         _ => answer(404, &[]),
//!     }
//! }
//!
//! /// CORS around the application: the integration under test.
//! fn serve(setup: &Setup, runtime: &tokio::runtime::Runtime, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
//!     let (parts, body) = request.into_parts();
//!     let cors_request = RequestParts::from_http(&parts);
//!     let mut decision = setup.policy.evaluate_with_lookup(&cors_request);
//!     if let Some(query) = decision.lookup() {
//!         let verdict = runtime.block_on(setup.lookup.decide(query, tokio::time::sleep));
//!         decision = setup.policy.resolve_lookup(&cors_request, verdict.is_allowed());
//!     }
//!     if let Some(response) = decision.to_http_response(|text| text.as_bytes().to_vec()) {
//!         return response; // a preflight or a blocked request: the handler never runs
//!     }
//!     let mut response = app(&parts, &body);
//!     decision.apply_to_http(response.headers_mut()); // on every status
//!     response
//! }
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
//! let report = cors_conformance::run_sync("plain http", |setup, request| {
//!     serve(&setup, &runtime, request)
//! });
//! report.assert_passed();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! An integration that forgot part of the job fails the cases that show
//! it, all of them listed in the report:
//!
//! ```
//! use cors_core::RequestParts;
//! use http::Response;
//!
//! // Headers for an allowed origin, but no preflight answer and no Vary.
//! let report = cors_conformance::run_sync("careless", |setup, request| {
//!     let (parts, _) = request.into_parts();
//!     let decision = setup.policy.evaluate(&RequestParts::from_http(&parts));
//!     let mut response = Response::builder().header("x-handler", "ran");
//!     for (name, value) in decision.headers() {
//!         response = response.header(name.as_str(), *value);
//!     }
//!     response.body(b"ok".to_vec()).unwrap()
//! });
//! assert!(!report.passed());
//! let failed: Vec<&str> = report.failures().iter().map(|f| f.case).collect();
//! assert!(failed.contains(&"preflight for PUT with a JSON content type"));
//! assert!(failed.contains(&"framework 404 carries CORS headers"));
//! // Each failure shows the request, what was expected and what came back.
//! let text = report.to_string();
//! assert!(text.contains("[preflight for PUT with a JSON content type]"));
//! assert!(text.contains("expected: status 204"));
//! assert!(text.contains("got:      status 200"));
//! ```

mod kit;

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use kit::{Failure, Observed, Report, Setup, check, run, run_sync};

use cors_core::{OriginLookup, Policy};

const ACAO: &str = "access-control-allow-origin";
const ACAC: &str = "access-control-allow-credentials";
const ACAM: &str = "access-control-allow-methods";
const ACAH: &str = "access-control-allow-headers";
const ACMA: &str = "access-control-max-age";
const ACAPN: &str = "access-control-allow-private-network";
const ACEH: &str = "access-control-expose-headers";

const ORIGIN: &str = "origin";
const ACRM: &str = "access-control-request-method";
const ACRH: &str = "access-control-request-headers";
const ACRPN: &str = "access-control-request-private-network";

const PREFLIGHT_VARY: &[&str] = &[
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
];

/// The allowed origin of most cases.
const APP: &str = "https://app.example";

/// Exact origin, credentials, a few methods and headers.
const EXACT: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
allow_headers = ["x-custom", "content-type"]
expose_headers = ["x-request-id"]
allow_credentials = true
"#;

/// Any origin, method and header, without credentials.
const ANY: &str = r#"
allow_origins = ["*"]
allow_methods = ["*"]
allow_headers = ["*"]
expose_headers = ["x-request-id"]
"#;

/// Subdomain, port and regex patterns.
const PATTERNS: &str = r#"
allow_origins = ["https://*.example.com", "http://localhost:*"]
allow_origin_regex = 'https://pr-[0-9]+\.preview\.example'
allow_methods = ["GET", "PUT"]
max_age = 7200
"#;

/// The opaque origin.
const NULL: &str = r#"
allow_origins = ["null"]
"#;

/// Private Network Access enabled.
const PRIVATE_NETWORK: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["PUT"]
allow_private_network = true
"#;

/// Preflights answered with 200.
const STATUS_200: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["PUT"]
preflight_status = 200
"#;

/// Disallowed origins refused before the handler.
const BLOCK: &str = r#"
allow_origins = ["https://app.example"]
block_disallowed_origins = true
"#;

/// Every header, with credentials (so the names must be echoed).
const ANY_HEADER_CREDENTIALS: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["PUT"]
allow_headers = ["*"]
allow_credentials = true
"#;

/// The per-path example: the app's origin with credentials at the top
/// level, anyone without credentials under `/public/*`, no one on
/// `/internal/*` and `/metrics`. Routes inherit what they do not set.
const ROUTES: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT", "DELETE"]
allow_headers = ["x-custom"]
expose_headers = ["x-request-id"]
allow_credentials = true

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false

[[routes]]
paths = ["/internal/*", "/metrics"]
allow_origins = []
"#;

/// Overlapping patterns: an exact route inside a longer prefix inside a
/// shorter one, each with an origin of its own. Each inherits from the top
/// level, never from a less specific route.
const ROUTES_SPECIFIC: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 300

[[routes]]
paths = ["/public/*"]
allow_origins = ["https://public.example"]
allow_methods = ["GET", "DELETE"]
allow_credentials = false

[[routes]]
paths = ["/public/echo/*"]
allow_origins = ["https://deeper.example"]

[[routes]]
paths = ["/public/echo"]
allow_origins = ["https://exact.example"]
allow_methods = ["PATCH"]
"#;

/// An origin only the `/public/*` route of [`ROUTES`] allows.
const ANYONE: &str = "https://anyone.example";
/// The origins of [`ROUTES_SPECIFIC`]'s routes.
const PUBLIC: &str = "https://public.example";
const DEEPER: &str = "https://deeper.example";
const EXACT_ROUTE: &str = "https://exact.example";

/// Origins no rule allows referred to the [`lookup`], with credentials.
const LOOKUP: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
expose_headers = ["x-request-id"]
allow_credentials = true
allow_origin_lookup = true
"#;

/// The lookup asked about `null` too (which needs no credentials).
const LOOKUP_NULL: &str = r#"
allow_methods = ["GET", "PUT"]
allow_origin_lookup = true
lookup_null_origin = true
"#;

/// The lookup asked on `/public/*` only.
const ROUTE_LOOKUP: &str = r#"
allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]

[[routes]]
paths = ["/public/*"]
allow_origin_lookup = true
"#;

/// An origin the [`lookup`] allows.
pub const LOOKUP_ALLOWED: &str = "https://tenant-allowed.example";
/// An origin the [`lookup`] refuses.
pub const LOOKUP_REFUSED: &str = "https://tenant-refused.example";
/// An origin for which the [`lookup`] returns an error.
pub const LOOKUP_ERROR: &str = "https://tenant-error.example";
/// An origin for which the [`lookup`] never answers (so it times out).
pub const LOOKUP_SLOW: &str = "https://tenant-slow.example";
/// An origin for which the [`lookup`] panics.
pub const LOOKUP_PANIC: &str = "https://tenant-panic.example";

/// The origin lookup every runner gives its adapter, for the cases whose
/// policy sets `allow_origin_lookup`: it allows [`LOOKUP_ALLOWED`] and
/// `null`, refuses [`LOOKUP_REFUSED`] and every other origin, fails for
/// [`LOOKUP_ERROR`], never answers for [`LOOKUP_SLOW`] (its timeout is
/// 50 ms), and panics for [`LOOKUP_PANIC`]. Policies without
/// `allow_origin_lookup` never ask it.
pub fn lookup() -> OriginLookup {
    OriginLookup::new(|origin: String, _request| async move {
        match origin.as_str() {
            LOOKUP_ALLOWED | "null" => Ok(true),
            LOOKUP_ERROR => Err("tenant database unavailable".to_owned()),
            LOOKUP_SLOW => std::future::pending().await,
            LOOKUP_PANIC => panic!("the lookup panicked on purpose"),
            _ => Ok(false),
        }
    })
    .timeout(std::time::Duration::from_millis(50))
}

/// What status a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exactly this status.
    Is(u16),
    /// Any 4xx: for responses the framework builds itself, whose exact
    /// status is the framework's choice (404 or 405 for a method a route
    /// does not answer, 400 or 415 or 422 for a body it cannot parse).
    ClientError,
}

/// One request and what must come back.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the case checks, unique in the table.
    pub name: &'static str,
    /// The request method.
    pub method: &'static str,
    /// The request path.
    pub path: &'static str,
    /// The request headers, one entry per header line, in order.
    pub headers: Vec<(&'static str, &'static str)>,
    /// The request body.
    pub body: &'static str,
    policy: &'static str,
    status: Status,
    handler_ran: bool,
    expected_headers: Vec<(&'static str, Option<&'static str>)>,
    no_cors_headers: bool,
    vary: Vec<&'static str>,
    not_vary: Vec<&'static str>,
}

impl Case {
    fn new(
        name: &'static str,
        policy: &'static str,
        method: &'static str,
        path: &'static str,
    ) -> Self {
        Case {
            name,
            method,
            path,
            headers: Vec::new(),
            body: "",
            policy,
            status: Status::Is(200),
            handler_ran: true,
            expected_headers: Vec::new(),
            no_cors_headers: false,
            vary: Vec::new(),
            not_vary: Vec::new(),
        }
    }

    /// The case's policy.
    pub fn policy(&self) -> Policy {
        toml::from_str(self.policy).unwrap_or_else(|e| panic!("case {}: {e}", self.name))
    }

    /// The policy's TOML text.
    pub fn policy_text(&self) -> &'static str {
        self.policy
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn origin(self, origin: &'static str) -> Self {
        self.header(ORIGIN, origin)
    }

    fn preflight(
        path: &'static str,
        name: &'static str,
        policy: &'static str,
        origin: &'static str,
        method: &'static str,
    ) -> Self {
        Case::new(name, policy, "OPTIONS", path)
            .origin(origin)
            .header(ACRM, method)
    }

    fn body(mut self, body: &'static str) -> Self {
        self.body = body;
        self
    }

    fn status(mut self, status: u16) -> Self {
        self.status = Status::Is(status);
        self
    }

    fn client_error(mut self) -> Self {
        self.status = Status::ClientError;
        self
    }

    fn not_ran(mut self) -> Self {
        self.handler_ran = false;
        self
    }

    fn has(mut self, name: &'static str, value: &'static str) -> Self {
        self.expected_headers.push((name, Some(value)));
        self
    }

    fn lacks(mut self, name: &'static str) -> Self {
        self.expected_headers.push((name, None));
        self
    }

    /// No `Access-Control-*` response header at all.
    fn no_cors(mut self) -> Self {
        self.no_cors_headers = true;
        self
    }

    fn vary(mut self, names: &[&'static str]) -> Self {
        self.vary.extend_from_slice(names);
        self
    }

    fn not_vary(mut self, names: &[&'static str]) -> Self {
        self.not_vary.extend_from_slice(names);
        self
    }

    /// An allowed actual request under [`EXACT`] from [`APP`].
    fn allowed_exact(self) -> Self {
        self.has(ACAO, APP)
            .has(ACAC, "true")
            .has(ACEH, "x-request-id")
            .vary(&["origin"])
    }

    /// A refused actual request (handler runs, no CORS header).
    fn refused_actual(self) -> Self {
        self.no_cors().vary(&["origin"])
    }

    /// A preflight the engine allowed.
    fn allowed_preflight(self, origin: &'static str, method: &'static str) -> Self {
        self.status(204)
            .not_ran()
            .has(ACAO, origin)
            .has(ACAM, method)
            .vary(PREFLIGHT_VARY)
    }

    /// A preflight the engine refused.
    fn refused_preflight(self) -> Self {
        self.status(403)
            .not_ran()
            .no_cors()
            .has("content-type", "text/plain; charset=utf-8")
            .vary(PREFLIGHT_VARY)
    }
}

/// Every case, in a stable order.
pub fn cases() -> Vec<Case> {
    let get = |name, policy, path| Case::new(name, policy, "GET", path);
    let mut cases = vec![
        // Not CORS requests.
        get(
            "no origin: handler runs, response varies on Origin",
            EXACT,
            "/echo",
        )
        .no_cors()
        .vary(&["origin", "accept-encoding"]),
        get(
            "no origin under any-origin: allow-origin * and no Vary: Origin",
            ANY,
            "/echo",
        )
        .has(ACAO, "*")
        .has(ACEH, "x-request-id")
        .lacks(ACAC)
        .vary(&["accept-encoding"])
        .not_vary(&["origin"]),
        Case::new(
            "OPTIONS with request-method but no Origin is not CORS",
            EXACT,
            "OPTIONS",
            "/echo",
        )
        .header(ACRM, "PUT")
        .no_cors()
        .vary(&["origin"]),
        get("no origin on the framework's 404", EXACT, "/nowhere")
            .status(404)
            .not_ran()
            .no_cors()
            .vary(&["origin"]),
        // Actual requests allowed.
        get("GET from the allowed origin", EXACT, "/echo")
            .origin(APP)
            .allowed_exact(),
        Case::new("POST from the allowed origin", EXACT, "POST", "/echo")
            .origin(APP)
            .header("content-type", "text/plain")
            .body("hello")
            .allowed_exact(),
        Case::new("PUT from the allowed origin", EXACT, "PUT", "/echo")
            .origin(APP)
            .allowed_exact(),
        Case::new("PATCH from the allowed origin", EXACT, "PATCH", "/echo")
            .origin(APP)
            .allowed_exact(),
        Case::new("DELETE from the allowed origin", EXACT, "DELETE", "/echo")
            .origin(APP)
            .allowed_exact(),
        Case::new("HEAD from the allowed origin", EXACT, "HEAD", "/echo")
            .origin(APP)
            .allowed_exact(),
        Case::new(
            "OPTIONS without request-method is an actual request",
            EXACT,
            "OPTIONS",
            "/echo",
        )
        .origin(APP)
        .allowed_exact(),
        get(
            "handler's Vary is kept and Origin appended once",
            EXACT,
            "/echo",
        )
        .origin(APP)
        .allowed_exact()
        .vary(&["accept-encoding"]),
        get("any-origin policy answers *", ANY, "/echo")
            .origin(APP)
            .has(ACAO, "*")
            .has(ACEH, "x-request-id")
            .lacks(ACAC)
            .not_vary(&["origin"]),
        get(
            "any-origin policy answers * whatever the Origin value",
            ANY,
            "/echo",
        )
        .origin("not an origin")
        .has(ACAO, "*")
        .not_vary(&["origin"]),
        get("subdomain pattern allows a subdomain", PATTERNS, "/echo")
            .origin("https://api.example.com")
            .has(ACAO, "https://api.example.com")
            .lacks(ACAC)
            .vary(&["origin"]),
        get(
            "subdomain pattern allows a deeper subdomain",
            PATTERNS,
            "/echo",
        )
        .origin("https://a.b.example.com")
        .has(ACAO, "https://a.b.example.com"),
        get("port wildcard allows any port", PATTERNS, "/echo")
            .origin("http://localhost:5173")
            .has(ACAO, "http://localhost:5173"),
        get("port wildcard allows the default port", PATTERNS, "/echo")
            .origin("http://localhost")
            .has(ACAO, "http://localhost"),
        get("regex allows a matching origin", PATTERNS, "/echo")
            .origin("https://pr-42.preview.example")
            .has(ACAO, "https://pr-42.preview.example"),
        get("null origin allowed when listed", NULL, "/echo")
            .origin("null")
            .has(ACAO, "null")
            .vary(&["origin"]),
        // Actual requests refused.
        get(
            "GET from an unknown origin: handler runs, no CORS header",
            EXACT,
            "/echo",
        )
        .origin("https://evil.example")
        .refused_actual(),
        Case::new("HEAD from an unknown origin", EXACT, "HEAD", "/echo")
            .origin("https://evil.example")
            .refused_actual(),
        get("origin with a trailing slash is refused", EXACT, "/echo")
            .origin("https://app.example/")
            .refused_actual(),
        get("origin with a path is refused", EXACT, "/echo")
            .origin("https://app.example/api")
            .refused_actual(),
        get("origin in upper case is refused", EXACT, "/echo")
            .origin("https://APP.example")
            .refused_actual(),
        get("origin with the default port is refused", EXACT, "/echo")
            .origin("https://app.example:443")
            .refused_actual(),
        get("origin with spaces is refused", EXACT, "/echo")
            .origin("https://app.example x")
            .refused_actual(),
        get("two Origin headers are refused", EXACT, "/echo")
            .origin(APP)
            .origin(APP)
            .refused_actual(),
        get("null origin refused unless listed", EXACT, "/echo")
            .origin("null")
            .refused_actual(),
        get("subdomain pattern never allows the apex", PATTERNS, "/echo")
            .origin("https://example.com")
            .refused_actual(),
        get(
            "subdomain pattern checks label boundaries",
            PATTERNS,
            "/echo",
        )
        .origin("https://evilexample.com")
        .refused_actual(),
        get("subdomain pattern checks the scheme", PATTERNS, "/echo")
            .origin("http://api.example.com")
            .refused_actual(),
        get(
            "a suffix of the origin does not fool the pattern",
            PATTERNS,
            "/echo",
        )
        .origin("https://api.example.com.evil.net")
        .refused_actual(),
        get("regex is anchored at the end", PATTERNS, "/echo")
            .origin("https://pr-42.preview.example.evil.net")
            .refused_actual(),
        get("regex is anchored at the start", PATTERNS, "/echo")
            .origin("xhttps://pr-42.preview.example")
            .refused_actual(),
        // Responses the framework or the handler's error builds.
        get("framework 404 carries CORS headers", EXACT, "/nowhere")
            .origin(APP)
            .status(404)
            .not_ran()
            .has(ACAO, APP)
            .has(ACAC, "true")
            .vary(&["origin"]),
        get(
            "framework 404 for a refused origin has none",
            EXACT,
            "/nowhere",
        )
        .origin("https://evil.example")
        .status(404)
        .not_ran()
        .refused_actual(),
        get("handler error (500) carries CORS headers", EXACT, "/fail")
            .origin(APP)
            .status(500)
            .not_ran()
            .has(ACAO, APP)
            .has(ACEH, "x-request-id")
            .vary(&["origin"]),
        get("any-origin policy on the framework's 404", ANY, "/nowhere")
            .origin(APP)
            .status(404)
            .not_ran()
            .has(ACAO, "*"),
        Case::new(
            "method the route does not answer: framework error with CORS headers",
            EXACT,
            "TRACE",
            "/echo",
        )
        .origin(APP)
        .client_error()
        .not_ran()
        .has(ACAO, APP)
        .vary(&["origin"]),
        Case::new(
            "extractor rejection carries CORS headers",
            EXACT,
            "POST",
            "/json",
        )
        .origin(APP)
        .header("content-type", "application/json")
        .body("{not json")
        .client_error()
        .not_ran()
        .has(ACAO, APP)
        .has(ACAC, "true")
        .vary(&["origin"]),
        Case::new("extractor success", EXACT, "POST", "/json")
            .origin(APP)
            .header("content-type", "application/json")
            .body("{\"n\": 7}")
            .allowed_exact(),
        // Headers the handler set itself.
        get(
            "handler-set CORS headers are replaced by the policy's",
            EXACT,
            "/own-cors",
        )
        .origin(APP)
        .allowed_exact(),
        get(
            "handler-set CORS headers are removed for a refused origin",
            EXACT,
            "/own-cors",
        )
        .origin("https://handler.example")
        .refused_actual(),
        get(
            "handler-set CORS headers are removed without Origin",
            EXACT,
            "/own-cors",
        )
        .no_cors()
        .vary(&["origin"]),
        get("Vary: * is left alone", EXACT, "/vary-star")
            .origin(APP)
            .has(ACAO, APP)
            .has("vary", "*"),
        // block_disallowed_origins.
        get(
            "blocked: disallowed origin gets 403 before the handler",
            BLOCK,
            "/echo",
        )
        .origin("https://evil.example")
        .status(403)
        .not_ran()
        .no_cors()
        .has("content-type", "text/plain; charset=utf-8")
        .vary(&["origin"]),
        Case::new(
            "blocked: disallowed POST never reaches the handler",
            BLOCK,
            "POST",
            "/echo",
        )
        .origin("https://evil.example")
        .header("content-type", "text/plain")
        .body("side effect")
        .status(403)
        .not_ran()
        .no_cors(),
        get(
            "blocked: allowed origin reaches the handler",
            BLOCK,
            "/echo",
        )
        .origin(APP)
        .has(ACAO, APP)
        .lacks(ACAC),
        get("blocked: no Origin reaches the handler", BLOCK, "/echo")
            .no_cors()
            .vary(&["origin"]),
        // Preflights allowed.
        Case::preflight(
            "/echo",
            "preflight for PUT with a JSON content type",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "content-type")
        .allowed_preflight(APP, "PUT")
        .has(ACAC, "true")
        .has(ACAH, "content-type")
        .has(ACMA, "600")
        .lacks(ACEH)
        .lacks(ACAPN),
        Case::preflight(
            "/echo",
            "preflight with an allowed custom header",
            EXACT,
            APP,
            "DELETE",
        )
        .header(ACRH, "x-custom")
        .allowed_preflight(APP, "DELETE")
        .has(ACAH, "x-custom"),
        Case::preflight(
            "/echo",
            "preflight header names compare case-insensitively",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "X-Custom")
        .allowed_preflight(APP, "PUT")
        .has(ACAH, "X-Custom"),
        Case::preflight(
            "/echo",
            "preflight without requested headers has no allow-headers",
            EXACT,
            APP,
            "PATCH",
        )
        .allowed_preflight(APP, "PATCH")
        .lacks(ACAH),
        Case::preflight(
            "/echo",
            "preflight for a safelisted method is allowed unlisted",
            PATTERNS,
            "https://a.example.com",
            "POST",
        )
        .allowed_preflight("https://a.example.com", "POST"),
        Case::preflight(
            "/echo",
            "preflight header list with optional whitespace",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "content-type , x-custom")
        .allowed_preflight(APP, "PUT")
        .has(ACAH, "content-type , x-custom"),
        Case::preflight(
            "/echo",
            "preflight header list split over two lines",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "content-type")
        .header(ACRH, "x-custom")
        .allowed_preflight(APP, "PUT")
        .has(ACAH, "content-type, x-custom"),
        Case::preflight(
            "/nowhere",
            "preflight to an unrouted path is answered",
            EXACT,
            APP,
            "PUT",
        )
        .allowed_preflight(APP, "PUT"),
        Case::preflight(
            "/fail",
            "preflight to a failing handler never runs it",
            EXACT,
            APP,
            "PUT",
        )
        .allowed_preflight(APP, "PUT"),
        Case::preflight(
            "/json",
            "preflight to a route without OPTIONS",
            EXACT,
            APP,
            "POST",
        )
        .header(ACRH, "content-type")
        .allowed_preflight(APP, "POST"),
        Case::preflight(
            "/echo",
            "preflight under any-origin answers * and names Authorization",
            ANY,
            APP,
            "PUT",
        )
        .header(ACRH, "authorization,x-anything")
        .allowed_preflight("*", "PUT")
        .has(ACAH, "authorization,x-anything")
        .lacks(ACAC),
        Case::preflight(
            "/echo",
            "any-method policy allows a custom method",
            ANY,
            APP,
            "PURGE",
        )
        .allowed_preflight("*", "PURGE"),
        Case::preflight(
            "/echo",
            "allow_headers * with credentials echoes Authorization",
            ANY_HEADER_CREDENTIALS,
            APP,
            "PUT",
        )
        .header(ACRH, "authorization")
        .allowed_preflight(APP, "PUT")
        .has(ACAC, "true")
        .has(ACAH, "authorization"),
        Case::preflight(
            "/echo",
            "preflight from a subdomain with the configured max-age",
            PATTERNS,
            "https://eu.example.com",
            "PUT",
        )
        .allowed_preflight("https://eu.example.com", "PUT")
        .has(ACMA, "7200")
        .lacks(ACAC),
        Case::preflight(
            "/echo",
            "preflight from a regex origin",
            PATTERNS,
            "https://pr-7.preview.example",
            "PUT",
        )
        .allowed_preflight("https://pr-7.preview.example", "PUT"),
        Case::preflight(
            "/echo",
            "preflight from the null origin when listed",
            NULL,
            "null",
            "GET",
        )
        .allowed_preflight("null", "GET"),
        Case::preflight(
            "/echo",
            "preflight answered with 200 when configured",
            STATUS_200,
            APP,
            "PUT",
        )
        .allowed_preflight(APP, "PUT")
        .status(200),
        Case::preflight(
            "/echo",
            "private network preflight allowed when enabled",
            PRIVATE_NETWORK,
            APP,
            "PUT",
        )
        .header(ACRPN, "true")
        .allowed_preflight(APP, "PUT")
        .has(ACAPN, "true")
        .vary(&["access-control-request-private-network"]),
        Case::preflight(
            "/echo",
            "no allow-private-network unless asked",
            PRIVATE_NETWORK,
            APP,
            "PUT",
        )
        .allowed_preflight(APP, "PUT")
        .lacks(ACAPN)
        .vary(&["access-control-request-private-network"]),
        // Preflights refused.
        Case::preflight(
            "/echo",
            "preflight from an unknown origin",
            EXACT,
            "https://evil.example",
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight for a method not allowed",
            EXACT,
            APP,
            "PURGE",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight methods compare case-sensitively",
            EXACT,
            APP,
            "patch",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with a header not allowed",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "content-type,x-other")
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with an empty element in the header list",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "content-type,,x-custom")
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with a header name that is not a token",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRH, "x custom")
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with too many requested headers",
            ANY,
            APP,
            "PUT",
        )
        .header(ACRH, TOO_MANY_HEADERS)
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with two request-method headers",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRM, "PUT")
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with a request-method that is not a token",
            EXACT,
            APP,
            "P UT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight from a malformed origin",
            EXACT,
            "https://app.example/",
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight with two Origin headers",
            EXACT,
            APP,
            "PUT",
        )
        .origin(APP)
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "preflight from the null origin unless listed",
            EXACT,
            "null",
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "private network preflight refused unless enabled",
            EXACT,
            APP,
            "PUT",
        )
        .header(ACRPN, "true")
        .refused_preflight(),
        Case::preflight(
            "/nowhere",
            "refused preflight to an unrouted path",
            EXACT,
            "https://evil.example",
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "malformed header list refused even under any-origin",
            ANY,
            APP,
            "PUT",
        )
        .header(ACRH, "x-a,")
        .refused_preflight(),
    ];
    cases.extend(route_cases());
    cases.extend(lookup_cases());
    cases
}

/// Per-path policies: which route a path selects, what a route inherits,
/// and ambiguous paths, which get no grant. Only `/echo`, `/public/echo`
/// and `/fail` are routed by the demo applications; every other path gets
/// the framework's 404, which must carry the selected route's headers.
fn route_cases() -> Vec<Case> {
    let get = |name, policy, path| Case::new(name, policy, "GET", path);
    // The framework's 404 for a path no demo route serves.
    let not_found =
        |name, policy, path, origin| get(name, policy, path).origin(origin).status(404).not_ran();
    vec![
        // Selection among the rules of [`ROUTES`].
        get(
            "routes: a path no route names gets the top level",
            ROUTES,
            "/echo",
        )
        .origin(APP)
        .allowed_exact(),
        get(
            "routes: the top level refuses an origin only a route allows",
            ROUTES,
            "/echo",
        )
        .origin(ANYONE)
        .refused_actual(),
        get(
            "routes: a prefix route answers * below it",
            ROUTES,
            "/public/echo",
        )
        .origin(ANYONE)
        .has(ACAO, "*")
        .has(ACEH, "x-request-id")
        .lacks(ACAC)
        .not_vary(&["origin"]),
        get(
            "routes: a prefix route replaces the top level's credentials",
            ROUTES,
            "/public/echo",
        )
        .origin(APP)
        .has(ACAO, "*")
        .lacks(ACAC),
        not_found(
            "routes: a prefix pattern covers its base path",
            ROUTES,
            "/public",
            ANYONE,
        )
        .has(ACAO, "*")
        .lacks(ACAC),
        not_found(
            "routes: a prefix pattern covers its base with a trailing slash",
            ROUTES,
            "/public/",
            ANYONE,
        )
        .has(ACAO, "*"),
        not_found(
            "routes: a prefix pattern covers paths deeper below",
            ROUTES,
            "/public/a/b/c",
            ANYONE,
        )
        .has(ACAO, "*")
        .has(ACEH, "x-request-id"),
        not_found(
            "routes: /publicity is not under /public/*",
            ROUTES,
            "/publicity",
            ANYONE,
        )
        .refused_actual(),
        not_found(
            "routes: /publicity gets the top level",
            ROUTES,
            "/publicity",
            APP,
        )
        .has(ACAO, APP)
        .has(ACAC, "true")
        .vary(&["origin"]),
        not_found(
            "routes: patterns compare case-sensitively",
            ROUTES,
            "/PUBLIC/echo",
            ANYONE,
        )
        .refused_actual(),
        not_found("routes: an exact route", ROUTES, "/metrics", APP).refused_actual(),
        not_found(
            "routes: an exact route covers its path with a trailing slash",
            ROUTES,
            "/metrics/",
            APP,
        )
        .refused_actual(),
        not_found(
            "routes: an exact route does not cover paths below it",
            ROUTES,
            "/metrics/x",
            APP,
        )
        .has(ACAO, APP)
        .has(ACAC, "true")
        .vary(&["origin"]),
        not_found(
            "routes: a route's second pattern",
            ROUTES,
            "/internal/users",
            APP,
        )
        .refused_actual(),
        get(
            "routes: no Origin on a prefix route",
            ROUTES,
            "/public/echo",
        )
        .has(ACAO, "*")
        .lacks(ACAC)
        .not_vary(&["origin"]),
        Case::preflight(
            "/public/echo",
            "routes: preflight under a prefix route inherits methods and headers",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .header(ACRH, "x-custom")
        .allowed_preflight("*", "PUT")
        .has(ACAH, "x-custom")
        .has(ACMA, "600")
        .lacks(ACAC),
        Case::preflight(
            "/public/echo",
            "routes: preflight for a method the route inherits no grant for",
            ROUTES,
            ANYONE,
            "PATCH",
        )
        .refused_preflight(),
        Case::preflight(
            "/public/echo",
            "routes: preflight for a header the route inherits no grant for",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .header(ACRH, "x-other")
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "routes: preflight from an origin only a route allows",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/echo",
            "routes: preflight under the top level keeps credentials",
            ROUTES,
            APP,
            "DELETE",
        )
        .allowed_preflight(APP, "DELETE")
        .has(ACAC, "true"),
        Case::preflight(
            "/internal/users",
            "routes: preflight to a route allowing no origin",
            ROUTES,
            APP,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/metrics/",
            "routes: preflight to an exact route with a trailing slash",
            ROUTES,
            APP,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/publicity",
            "routes: preflight to /publicity gets the top level",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .refused_preflight(),
        // Most specific wins, and inheritance is from the top level.
        get(
            "routes: an exact pattern beats a prefix, and inherits credentials",
            ROUTES_SPECIFIC,
            "/public/echo",
        )
        .origin(EXACT_ROUTE)
        .has(ACAO, EXACT_ROUTE)
        .has(ACAC, "true")
        .has(ACEH, "x-request-id")
        .vary(&["origin"]),
        get(
            "routes: the longer prefix's origin is refused on the exact path",
            ROUTES_SPECIFIC,
            "/public/echo",
        )
        .origin(DEEPER)
        .refused_actual(),
        get(
            "routes: the shorter prefix's origin is refused on the exact path",
            ROUTES_SPECIFIC,
            "/public/echo",
        )
        .origin(PUBLIC)
        .refused_actual(),
        not_found(
            "routes: the longest prefix wins",
            ROUTES_SPECIFIC,
            "/public/echo/x",
            DEEPER,
        )
        .has(ACAO, DEEPER)
        .has(ACAC, "true")
        .vary(&["origin"]),
        not_found(
            "routes: the shorter prefix does not apply under the longer one",
            ROUTES_SPECIFIC,
            "/public/echo/x",
            PUBLIC,
        )
        .refused_actual(),
        not_found(
            "routes: the shorter prefix applies elsewhere",
            ROUTES_SPECIFIC,
            "/public/other",
            PUBLIC,
        )
        .has(ACAO, PUBLIC)
        .lacks(ACAC)
        .vary(&["origin"]),
        not_found(
            "routes: a prefix's base is not the path with that prefix",
            ROUTES_SPECIFIC,
            "/public/echoes",
            DEEPER,
        )
        .refused_actual(),
        Case::preflight(
            "/public/echo",
            "routes: preflight to an exact route with its own methods",
            ROUTES_SPECIFIC,
            EXACT_ROUTE,
            "PATCH",
        )
        .allowed_preflight(EXACT_ROUTE, "PATCH")
        .has(ACAC, "true")
        .has(ACMA, "300"),
        Case::preflight(
            "/public/echo/",
            "routes: preflight to an exact route's trailing slash beats the prefix",
            ROUTES_SPECIFIC,
            EXACT_ROUTE,
            "PATCH",
        )
        .allowed_preflight(EXACT_ROUTE, "PATCH"),
        Case::preflight(
            "/public/echo",
            "routes: an exact route's methods replace the top level's",
            ROUTES_SPECIFIC,
            EXACT_ROUTE,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/public/echo/x",
            "routes: the longest prefix inherits the top level's methods",
            ROUTES_SPECIFIC,
            DEEPER,
            "PUT",
        )
        .allowed_preflight(DEEPER, "PUT")
        .has(ACAC, "true"),
        Case::preflight(
            "/public/echo/x",
            "routes: the longest prefix does not inherit the shorter one's methods",
            ROUTES_SPECIFIC,
            DEEPER,
            "DELETE",
        )
        .refused_preflight(),
        Case::preflight(
            "/public/other",
            "routes: preflight under the shorter prefix",
            ROUTES_SPECIFIC,
            PUBLIC,
            "DELETE",
        )
        .allowed_preflight(PUBLIC, "DELETE")
        .lacks(ACAC),
        // Ambiguous paths: no grant, whatever the routes and the top level
        // would say. The frameworks answer all of these with their 404.
        not_found(
            "ambiguous: a dot-dot segment",
            ROUTES,
            "/public/../echo",
            APP,
        )
        .refused_actual(),
        not_found(
            "ambiguous: a percent-encoded dot-dot segment",
            ROUTES,
            "/public/%2e%2e/internal/x",
            ANYONE,
        )
        .refused_actual(),
        not_found("ambiguous: a dot segment", ROUTES, "/public/./x", ANYONE).refused_actual(),
        not_found("ambiguous: an encoded slash", ROUTES, "/public%2Fx", ANYONE).refused_actual(),
        not_found(
            "ambiguous: an encoded backslash",
            ROUTES,
            "/public%5Cx",
            APP,
        )
        .refused_actual(),
        not_found("ambiguous: an empty segment", ROUTES, "/public//x", ANYONE).refused_actual(),
        not_found(
            "ambiguous: an encoded unreserved character",
            ROUTES,
            "/public/%78",
            ANYONE,
        )
        .refused_actual(),
        not_found("ambiguous: a broken escape", ROUTES, "/public/x%zz", ANYONE).refused_actual(),
        Case::preflight(
            "/public/../echo",
            "ambiguous: preflight with a dot-dot segment",
            ROUTES,
            APP,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/public/%2e%2e/echo",
            "ambiguous: preflight with an encoded dot-dot segment",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/public%2Fecho",
            "ambiguous: preflight with an encoded slash",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .refused_preflight(),
        Case::preflight(
            "/public//echo",
            "ambiguous: preflight with an empty segment",
            ROUTES,
            ANYONE,
            "PUT",
        )
        .refused_preflight(),
        not_found(
            "without routes, paths are not examined",
            EXACT,
            "/public/../x",
            APP,
        )
        .has(ACAO, APP)
        .has(ACAC, "true"),
        // Origin lookups on one route only.
        get(
            "routes: a route refers origins to the lookup",
            ROUTE_LOOKUP,
            "/public/echo",
        )
        .origin(LOOKUP_ALLOWED)
        .has(ACAO, LOOKUP_ALLOWED)
        .lacks(ACAC)
        .vary(&["origin"]),
        get(
            "routes: the top level does not refer origins to the lookup",
            ROUTE_LOOKUP,
            "/echo",
        )
        .origin(LOOKUP_ALLOWED)
        .refused_actual(),
    ]
}

/// Origin lookups, through the [`lookup`] every runner attaches: what it
/// allows is allowed, and a refusal, an error, a timeout or a panic all
/// refuse (a preflight with 403, an actual request without CORS headers,
/// its handler run).
fn lookup_cases() -> Vec<Case> {
    let get = |name, policy| Case::new(name, policy, "GET", "/echo");
    let preflight = |name, policy, origin| Case::preflight("/echo", name, policy, origin, "PUT");
    vec![
        get("lookup: allowed origin", LOOKUP)
            .origin(LOOKUP_ALLOWED)
            .has(ACAO, LOOKUP_ALLOWED)
            .has(ACAC, "true")
            .has(ACEH, "x-request-id")
            .vary(&["origin"]),
        preflight(
            "lookup: preflight from an allowed origin",
            LOOKUP,
            LOOKUP_ALLOWED,
        )
        .allowed_preflight(LOOKUP_ALLOWED, "PUT")
        .has(ACAC, "true"),
        Case::new(
            "lookup: allowed origin on the framework's 404",
            LOOKUP,
            "GET",
            "/nowhere",
        )
        .origin(LOOKUP_ALLOWED)
        .status(404)
        .not_ran()
        .has(ACAO, LOOKUP_ALLOWED)
        .has(ACAC, "true")
        .vary(&["origin"]),
        Case::new(
            "lookup: allowed origin on the handler's error",
            LOOKUP,
            "GET",
            "/fail",
        )
        .origin(LOOKUP_ALLOWED)
        .status(500)
        .not_ran()
        .has(ACAO, LOOKUP_ALLOWED)
        .vary(&["origin"]),
        get("lookup: refused origin", LOOKUP)
            .origin(LOOKUP_REFUSED)
            .refused_actual(),
        preflight(
            "lookup: preflight from a refused origin",
            LOOKUP,
            LOOKUP_REFUSED,
        )
        .refused_preflight(),
        get("lookup: an error refuses", LOOKUP)
            .origin(LOOKUP_ERROR)
            .refused_actual(),
        preflight(
            "lookup: an error refuses the preflight",
            LOOKUP,
            LOOKUP_ERROR,
        )
        .refused_preflight(),
        get("lookup: a timeout refuses", LOOKUP)
            .origin(LOOKUP_SLOW)
            .refused_actual(),
        preflight(
            "lookup: a timeout refuses the preflight",
            LOOKUP,
            LOOKUP_SLOW,
        )
        .refused_preflight(),
        get("lookup: a panic refuses", LOOKUP)
            .origin(LOOKUP_PANIC)
            .refused_actual(),
        preflight(
            "lookup: a panic refuses the preflight",
            LOOKUP,
            LOOKUP_PANIC,
        )
        .refused_preflight(),
        get("lookup: a statically allowed origin", LOOKUP)
            .origin(APP)
            .allowed_exact(),
        preflight(
            "lookup: preflight from a statically allowed origin",
            LOOKUP,
            APP,
        )
        .allowed_preflight(APP, "PUT")
        .has(ACAC, "true"),
        get("lookup: no Origin", LOOKUP).no_cors().vary(&["origin"]),
        get("lookup: a malformed origin is refused", LOOKUP)
            .origin("https://tenant-allowed.example/")
            .refused_actual(),
        get("lookup: null is not referred by default", LOOKUP)
            .origin("null")
            .refused_actual(),
        preflight(
            "lookup: null preflight is not referred by default",
            LOOKUP,
            "null",
        )
        .refused_preflight(),
        get("lookup: null referred with lookup_null_origin", LOOKUP_NULL)
            .origin("null")
            .has(ACAO, "null")
            .lacks(ACAC)
            .vary(&["origin"]),
        preflight(
            "lookup: null preflight referred with lookup_null_origin",
            LOOKUP_NULL,
            "null",
        )
        .allowed_preflight("null", "PUT")
        .lacks(ACAC),
        get(
            "lookup: lookup_null_origin still refuses what the lookup refuses",
            LOOKUP_NULL,
        )
        .origin(LOOKUP_REFUSED)
        .refused_actual(),
    ]
}

/// An `Access-Control-Request-Headers` value with more names than the
/// engine reads.
const TOO_MANY_HEADERS: &str = "h0,h1,h2,h3,h4,h5,h6,h7,h8,h9,h10,h11,h12,h13,h14,h15,h16,h17,h18,h19,h20,h21,h22,h23,h24,h25,h26,h27,h28,h29,h30,h31,h32,h33,h34,h35,h36,h37,h38,h39,h40,h41,h42,h43,h44,h45,h46,h47,h48,h49,h50,h51,h52,h53,h54,h55,h56,h57,h58,h59,h60,h61,h62,h63,h64,h65";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_policies_valid() {
        let cases = cases();
        assert!(cases.len() >= 60, "{} cases", cases.len());
        let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "duplicate case names");
        for case in &cases {
            case.policy();
        }
    }

    #[test]
    fn too_many_headers_is_over_the_bound() {
        assert!(TOO_MANY_HEADERS.split(',').count() > cors_core::MAX_REQUEST_HEADERS);
    }

    /// The paths whose demo handler is `/echo`'s: 200, `ok`, `X-Handler:
    /// ran`, `Vary: Accept-Encoding` and `X-Request-Id: 1`.
    const ECHO_PATHS: [&str; 2] = ["/echo", "/public/echo"];

    /// Paths whose demo handler does something of its own (a rejection, its
    /// own CORS or `Vary` headers), which only the frameworks can tell.
    const SPECIAL_PATHS: [&str; 3] = ["/json", "/own-cors", "/vary-star"];

    /// The engine's final decision, asking [`lookup`] when it refers the
    /// origin, as every adapter does.
    fn decide<'a>(
        policy: &'a Policy,
        request: &cors_core::RequestParts<'a>,
        runtime: &tokio::runtime::Runtime,
    ) -> cors_core::Decision<'a> {
        let decision = policy.evaluate_with_lookup(request);
        let Some(query) = decision.lookup() else {
            assert_ne!(decision.action(), cors_core::Action::Lookup);
            return decision;
        };
        let verdict = runtime.block_on(lookup().decide(query, tokio::time::sleep));
        let decision = policy.resolve_lookup(request, verdict.is_allowed());
        assert_ne!(decision.action(), cors_core::Action::Lookup);
        decision
    }

    /// What a demo application would answer, by the engine alone: its
    /// answer for a preflight or a blocked request, else the demo
    /// handler's response (or the framework's 404, or `/fail`'s 500) with
    /// the decision's headers and `Vary` added as an adapter adds them.
    /// `None` for a response only a framework can build.
    fn simulate(case: &Case, runtime: &tokio::runtime::Runtime) -> Option<Observed> {
        let policy = case.policy();
        let mut request = cors_core::RequestParts::new(case.method).with_path(case.path);
        for (name, value) in &case.headers {
            request.add_header(name, value.as_bytes());
        }
        let decision = decide(&policy, &request, runtime);
        let (status, mut headers, body): (u16, Vec<(String, Vec<u8>)>, &str) =
            match decision.action() {
                cors_core::Action::Respond { status, body } => (status, Vec::new(), body),
                cors_core::Action::Lookup => unreachable!("resolved by decide"),
                cors_core::Action::Forward => {
                    if case.status == Status::ClientError || SPECIAL_PATHS.contains(&case.path) {
                        return None;
                    }
                    if ECHO_PATHS.contains(&case.path) {
                        let handler = [
                            ("x-handler", "ran"),
                            ("vary", "Accept-Encoding"),
                            ("x-request-id", "1"),
                        ];
                        let headers = handler
                            .iter()
                            .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                            .collect();
                        (200, headers, "ok")
                    } else if case.path == "/fail" {
                        (500, Vec::new(), "the handler failed\n")
                    } else {
                        (404, Vec::new(), "")
                    }
                }
            };
        let existing: Vec<Vec<u8>> = headers
            .iter()
            .filter(|(n, _)| n == "vary")
            .map(|(_, v)| v.clone())
            .collect();
        headers.extend(
            decision
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())),
        );
        if let Some(vary) = decision.vary().merge(existing.iter().map(Vec::as_slice)) {
            headers.push(("vary".to_owned(), vary.as_bytes().to_vec()));
        }
        Some(Observed {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        })
    }

    /// The engine alone, without any framework, agrees with every case but
    /// the few whose answer only a framework builds, so the table cannot
    /// drift from the engine. Lookup cases go through [`lookup`], as in
    /// the adapters.
    #[test]
    fn engine_agrees_with_the_table() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let cases = cases();
        let mut skipped = Vec::new();
        for case in &cases {
            match simulate(case, &runtime) {
                Some(observed) => assert_eq!(check(case, &observed), Ok(()), "[{}]", case.name),
                None => skipped.push(case.name),
            }
        }
        assert_eq!(skipped.len(), 7, "cases unchecked: {skipped:?}");
    }

    /// Every kind of case the table promises is there.
    #[test]
    fn route_and_lookup_cases_are_present() {
        let cases = cases();
        let count = |prefix: &str| cases.iter().filter(|c| c.name.starts_with(prefix)).count();
        assert!(count("routes: ") >= 20, "{}", count("routes: "));
        assert!(count("ambiguous: ") >= 8, "{}", count("ambiguous: "));
        assert!(count("lookup: ") >= 16, "{}", count("lookup: "));
        for origin in [
            LOOKUP_ALLOWED,
            LOOKUP_REFUSED,
            LOOKUP_ERROR,
            LOOKUP_SLOW,
            LOOKUP_PANIC,
        ] {
            for method in ["GET", "OPTIONS"] {
                assert!(
                    cases.iter().any(|c| c.method == method
                        && c.headers.contains(&(ORIGIN, origin))
                        && c.policy().uses_origin_lookup()),
                    "no {method} case from {origin}"
                );
            }
        }
    }

    #[test]
    fn check_reports_mismatches() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "GET from the allowed origin")
            .unwrap();
        let observed = Observed {
            status: 200,
            headers: vec![
                ("x-handler".into(), b"ran".to_vec()),
                ("access-control-allow-origin".into(), b"*".to_vec()),
                ("vary".into(), b"Origin, origin".to_vec()),
            ],
            body: Vec::new(),
        };
        let problems = check(&case, &observed).unwrap_err();
        assert!(
            problems.contains("access-control-allow-origin"),
            "{problems}"
        );
        assert!(problems.contains("Vary lists origin twice"), "{problems}");
        assert!(
            problems.contains("access-control-allow-credentials"),
            "{problems}"
        );
    }

    /// Every failing case is in the report, with its request, what was
    /// expected and what came back, in the table's order.
    #[test]
    fn report_lists_every_failure() {
        let report = run_sync("handler only", |_, _| {
            http::Response::builder()
                .header("x-handler", "ran")
                .body(b"ok".to_vec())
                .unwrap()
        });
        assert_eq!(report.ran(), cases().len());
        assert!(!report.passed());
        let failed: Vec<&str> = report.failures().iter().map(|f| f.case).collect();
        let expected: Vec<&str> = cases()
            .iter()
            .filter(|case| {
                let observed = Observed {
                    status: 200,
                    headers: vec![("x-handler".into(), b"ran".to_vec())],
                    body: b"ok".to_vec(),
                };
                check(case, &observed).is_err()
            })
            .map(|case| case.name)
            .collect();
        assert_eq!(failed, expected);
        assert!(failed.len() > 100, "{} failures", failed.len());
        let text = report.to_string();
        assert!(text.starts_with(&format!(
            "handler only: {} of {} conformance cases failed\n",
            failed.len(),
            cases().len()
        )));
        for failure in report.failures() {
            assert!(
                text.contains(&format!("[{}]", failure.case)),
                "{}",
                failure.case
            );
        }
        let preflight = report
            .failures()
            .iter()
            .find(|f| f.case == "preflight with an allowed custom header")
            .expect("a preflight answered 200 by the handler fails");
        assert_eq!(
            preflight.request,
            "OPTIONS /echo\norigin: https://app.example\naccess-control-request-method: DELETE\naccess-control-request-headers: x-custom"
        );
        assert!(
            preflight
                .expected
                .starts_with("status 204\nthe handler does not run\n")
        );
        assert_eq!(preflight.got, "status 200\nx-handler: ran\n\nok");
        assert!(
            preflight
                .problems
                .contains(&"status 200 (expected 204)".to_owned()),
            "{:?}",
            preflight.problems
        );
    }

    /// The invariants are checked on every response, whatever the case
    /// expects.
    #[test]
    fn invariants_apply_to_every_case() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "GET from an unknown origin: handler runs, no CORS header")
            .unwrap();
        let observed = |headers: &[(&str, &str)]| Observed {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .chain([("x-handler".to_owned(), b"ran".to_vec())])
                .collect(),
            body: Vec::new(),
        };
        let problems = check(
            &case,
            &observed(&[("access-control-expose-headers", "x-request-id")]),
        )
        .unwrap_err();
        assert!(
            problems.contains(
                "invariant: access-control-expose-headers without Access-Control-Allow-Origin"
            ),
            "{problems}"
        );
        let problems = check(
            &case,
            &observed(&[
                ("access-control-allow-origin", "https://evil.example"),
                ("access-control-allow-origin", "https://evil.example"),
                ("access-control-allow-credentials", "false"),
            ]),
        )
        .unwrap_err();
        assert!(
            problems.contains("invariant: more than one Access-Control-Allow-Origin line"),
            "{problems}"
        );
        assert!(
            problems.contains("invariant: Access-Control-Allow-Credentials is Some(\"false\")"),
            "{problems}"
        );
    }

    /// The request a case describes, as the kit sends it.
    #[test]
    fn requests_keep_repeated_lines_in_order() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "preflight header list split over two lines")
            .unwrap();
        let request = case.request();
        assert_eq!(request.method(), "OPTIONS");
        assert_eq!(request.uri(), "/echo");
        let lines: Vec<_> = request
            .headers()
            .get_all(ACRH)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(lines, ["content-type", "x-custom"]);
        let setup = case.setup();
        assert_eq!(setup.case, case.name);
        assert!(!setup.policy.uses_origin_lookup());
    }
}
