//! `cors explain`: what a policy answers to the requests a browser would
//! send, and what the browser makes of the answers, offline.
//!
//! The requests come from [`Fetch`], the engine (`cors-core`) answers
//! them, and [`Fetch`] judges the answers, exactly as `cors check` judges a
//! live server's.
//!
//! ```
//! use cors_cli::explain::explain;
//! use cors_cli::fetch::Request;
//!
//! let policy = cors_core::Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .allow_methods(["PUT"])
//!     .build()?;
//! let request = Request::new("https://app.example.com", "PUT").header("X-Api-Key", "k");
//! let run = explain(&policy, "/items", request, false).unwrap();
//! assert!(!run.verdict.allowed());
//! assert_eq!(run.steps[0].refusal.as_deref(), Some("request header \"x-api-key\" not allowed"));
//! # Ok::<(), cors_core::ConfigErrors>(())
//! ```

use cors_core::{Action, Policy, PolicyConfig, Refusal, RequestParts, RouteMatch};

use crate::fetch::{
    Blocked, BlockedKind, Fetch, InvalidRequest, Outgoing, Request, Response, Verdict,
};

/// The origin of the imaginary server a policy runs on.
const SERVER: &str = "https://server.test";
/// The same, for the rare page that claims [`SERVER`]'s origin.
const OTHER_SERVER: &str = "https://other-server.test";

/// One request and the engine's answer.
#[derive(Debug, Clone)]
pub struct Step {
    /// The request the browser sends.
    pub request: Outgoing,
    /// The engine's action, in words: `answer 204 now`, `run the handler`.
    pub action: String,
    /// The answer the browser gets (a forwarded request's handler answers
    /// 200 with no headers of its own).
    pub response: Response,
    /// The engine's typed refusal, displayed, when it refused.
    pub refusal: Option<String>,
    /// The fix in policy terms for that refusal, when there is one.
    pub refusal_fix: Option<String>,
    /// Whether the engine referred the origin to the application's lookup.
    pub asked_lookup: bool,
}

/// A whole exchange: the steps and the browser's verdict.
#[derive(Debug, Clone)]
pub struct Run {
    /// Each request and its answer.
    pub steps: Vec<Step>,
    /// What the browser decides.
    pub verdict: Verdict,
}

impl Run {
    /// Whether some step asked the origin lookup.
    pub fn asked_lookup(&self) -> bool {
        self.steps.iter().any(|s| s.asked_lookup)
    }
}

/// Runs `request` for `path` against `policy` as a browser would, the
/// engine answering each request; `lookup_allows` is the application's
/// origin lookup's answer, should the engine ask.
pub fn explain(
    policy: &Policy,
    path: &str,
    request: Request,
    lookup_allows: bool,
) -> Result<Run, InvalidRequest> {
    let server = if request.origin == SERVER {
        OTHER_SERVER
    } else {
        SERVER
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let mut fetch = Fetch::new(&format!("{server}{path}"), request)?;
    let mut steps = Vec::new();
    loop {
        let outgoing = fetch.next_request();
        let step = serve(policy, outgoing, lookup_allows);
        let verdict = fetch.receive(&step.response);
        steps.push(step);
        if let Some(verdict) = verdict {
            return Ok(Run { steps, verdict });
        }
    }
}

fn serve(policy: &Policy, outgoing: Outgoing, lookup_allows: bool) -> Step {
    let mut parts = RequestParts::new(&outgoing.method).with_path(outgoing.url.path());
    for (name, value) in &outgoing.headers {
        parts.add_header(name, value.as_bytes());
    }
    let mut decision = policy.evaluate_with_lookup(&parts);
    let asked_lookup = decision.action() == Action::Lookup;
    if asked_lookup {
        decision = policy.resolve_lookup(&parts, lookup_allows);
    }
    let (action, status) = match decision.action() {
        Action::Respond { status, .. } => (format!("answer {status} now"), status),
        // `resolve_lookup` never asks again; a handler answers 200.
        Action::Forward | Action::Lookup => ("run the handler (200)".to_owned(), 200),
    };
    let refusal = decision.refusal();
    let mut headers: Vec<(String, String)> = decision
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), (*v).to_owned()))
        .collect();
    if !decision.vary().is_empty() {
        headers.push(("vary".to_owned(), decision.vary().as_str().to_owned()));
    }
    let response = Response { status, headers };
    let refusal_fix = refusal.map(|r| refusal_fix(&r, asked_lookup));
    let refusal = refusal.map(|r| r.to_string());
    Step {
        request: outgoing,
        action,
        response,
        refusal,
        refusal_fix,
        asked_lookup,
    }
}

/// The fix for an engine refusal, in policy keys.
fn refusal_fix(refusal: &Refusal<'_>, asked_lookup: bool) -> String {
    match refusal {
        Refusal::OriginNotAllowed(origin) if asked_lookup => format!(
            "the application's origin lookup must allow {origin}, or add \"{origin}\" to allow_origins"
        ),
        Refusal::OriginNotAllowed(origin) => format!("add \"{origin}\" to allow_origins"),
        Refusal::MethodNotAllowed(method) => format!("add \"{method}\" to allow_methods"),
        Refusal::HeaderNotAllowed(name) => {
            format!("add \"{}\" to allow_headers", name.to_ascii_lowercase())
        }
        Refusal::PrivateNetworkNotAllowed => "set allow_private_network = true".to_owned(),
        Refusal::AmbiguousPath(_) => {
            "request the path in its plain form (no dot segments, encoded slashes or doubled slashes)"
                .to_owned()
        }
        Refusal::TooManyRequestHeaders => format!(
            "send at most {} request headers that need a preflight",
            cors_core::MAX_REQUEST_HEADERS
        ),
        _ => "the request is not one a browser sends; check --origin and -H".to_owned(),
    }
}

/// The fix for a browser's block that the engine did not refuse: the
/// engine's answer lacks something the request needs.
pub fn policy_fix(blocked: &Blocked) -> String {
    match &blocked.kind {
        BlockedKind::CredentialsNotAllowed { .. } => "set allow_credentials = true".to_owned(),
        BlockedKind::WildcardOriginWithCredentials { .. } => format!(
            "replace \"*\" in allow_origins with \"{}\" and set allow_credentials = true",
            blocked.origin
        ),
        _ => blocked.fix(),
    }
}

/// The path a browser sends for `path`: resolved against the server's URL,
/// so dot segments are gone (`/public/../admin` is sent as `/admin`), and
/// without the query.
pub fn browser_path(path: &str) -> String {
    let url = crate::url::Url::parse(SERVER).and_then(|server| server.join(path));
    match url {
        Ok(url) => url.path().to_owned(),
        Err(_) => path.split('?').next().unwrap_or(path).to_owned(),
    }
}

/// The route `policy` (built from `config`) selects for `path` as a browser
/// sends it ([`browser_path`]), as the engine selects it: `Ok(None)` for
/// the top level, `Err(())` for an ambiguous path, which gets no CORS
/// grant.
#[allow(clippy::result_unit_err)]
pub fn selected_route<'c>(
    policy: &Policy,
    config: &'c PolicyConfig,
    path: &str,
) -> Result<Option<&'c cors_core::RouteConfig>, ()> {
    match policy.route_for(&browser_path(path)) {
        RouteMatch::TopLevel => Ok(None),
        RouteMatch::Route(index) => Ok(config.routes.get(index)),
        RouteMatch::Ambiguous => Err(()),
    }
}

/// Where a policy-key fix goes when a route applied: `in the route for
/// paths [...]` when the route sets the key (or, for origins, any origin
/// rule), otherwise at the top level, which the route inherits.
pub fn route_note(route: &cors_core::RouteConfig, fix: &str) -> String {
    let paths = format!("{:?}", route.paths);
    let key_set = if fix.contains("allow_origins") {
        route.allow_origins.is_some()
            || route.allow_origin_regex.is_some()
            || route.allow_origin_lookup.is_some()
            || route.lookup_null_origin.is_some()
    } else if fix.contains("allow_methods") {
        route.allow_methods.is_some()
    } else if fix.contains("allow_headers") {
        route.allow_headers.is_some()
    } else if fix.contains("allow_credentials") {
        route.allow_credentials.is_some()
    } else if fix.contains("allow_private_network") {
        route.allow_private_network.is_some()
    } else {
        return String::new();
    };
    if key_set {
        format!(" in the [[routes]] entry with paths = {paths}")
    } else {
        format!(" at the top level (the [[routes]] entry with paths = {paths} inherits it)")
    }
}
