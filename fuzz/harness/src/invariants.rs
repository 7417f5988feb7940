//! What every decision must satisfy, checked against facts read from the
//! policy's configuration rather than from the engine.

use cors_core::{Action, Decision, PolicyConfig, RequestKind, RequestParts, ResponseHeader};
use regex::Regex;

/// The request-header names a policy always allows.
const SAFELISTED_HEADERS: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// One request, as the harness sent it: the method and every header line,
/// in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sent<'a> {
    pub(crate) method: &'a str,
    pub(crate) headers: Vec<(&'a str, &'a [u8])>,
}

pub(crate) const ORIGIN: &str = "origin";
pub(crate) const REQUEST_METHOD: &str = "access-control-request-method";
pub(crate) const REQUEST_HEADERS: &str = "access-control-request-headers";
pub(crate) const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";

impl<'a> Sent<'a> {
    pub(crate) fn new(method: &'a str) -> Self {
        Sent {
            method,
            headers: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, name: &'a str, value: &'a [u8]) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The request as the engine reads it.
    pub(crate) fn parts(&self) -> RequestParts<'a> {
        RequestParts::from_headers(self.method, self.headers.iter().copied())
    }

    /// Every value of one of the four CORS request headers, in order.
    pub(crate) fn values(&self, name: &str) -> Vec<&'a [u8]> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
            .collect()
    }
}

/// The port part of an origin or origin pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortRule {
    Default,
    Exact(String),
    Any,
}

/// An `allow_origins` entry other than `*` and `null`, parsed loosely: the
/// policy validated it already, so this only needs to tell the parts apart.
#[derive(Debug, Clone)]
struct Pattern {
    scheme: String,
    /// The host, or for `*.parent` the parent.
    host: String,
    any_subdomain: bool,
    port: PortRule,
}

/// Splits `scheme://host[:port]`; `None` for anything with more in it.
fn split_origin(text: &str) -> Option<(&str, &str, PortRule)> {
    let (scheme, authority) = text.split_once("://")?;
    if authority.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => PortRule::Default,
        Some("*") => PortRule::Any,
        Some(p) => PortRule::Exact(p.to_owned()),
    };
    Some((scheme, host, port))
}

impl Pattern {
    fn parse(text: &str) -> Option<Pattern> {
        let (scheme, host, port) = split_origin(text)?;
        let (host, any_subdomain) = match host.strip_prefix("*.") {
            Some(parent) => (parent, true),
            None => (host, false),
        };
        Some(Pattern {
            scheme: scheme.to_owned(),
            host: host.to_owned(),
            any_subdomain,
            port,
        })
    }

    /// Whether the pattern covers `origin` (a request's origin text).
    fn matches(&self, origin: &str) -> bool {
        let Some((scheme, host, port)) = split_origin(origin) else {
            return false;
        };
        let host_ok = if self.any_subdomain {
            host.len() > self.host.len() + 1
                && host.ends_with(self.host.as_str())
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        };
        let port_ok = match &self.port {
            PortRule::Any => port != PortRule::Any,
            rule => *rule == port,
        };
        scheme == self.scheme && host_ok && port_ok
    }
}

/// What a policy allows, read from its configuration.
#[derive(Debug)]
pub(crate) struct Facts {
    pub(crate) any_origin: bool,
    null: bool,
    patterns: Vec<Pattern>,
    /// Each `allow_origin_regex` entry anchored, or `None` when the harness
    /// cannot anchor it by text (an `(?x)` comment, say): such a policy's
    /// regex matches are not second-guessed.
    regexes: Vec<Option<Regex>>,
    pub(crate) credentials: bool,
    any_method: bool,
    methods: Vec<String>,
    any_header: bool,
    /// Lower case, the always-allowed names included.
    headers: Vec<String>,
    expose: bool,
    pub(crate) private_network: bool,
    pub(crate) preflight_status: u16,
    pub(crate) block: bool,
    /// Origins no rule allows go to the origin lookup.
    pub(crate) lookup: bool,
    /// So does `null`, when no rule allows it.
    pub(crate) lookup_null: bool,
}

impl Facts {
    /// The facts of a configuration that built.
    pub(crate) fn new(config: &PolicyConfig) -> Facts {
        let entries = &config.allow_origins;
        let any = |list: &[String]| list.iter().any(|v| v == "*");
        Facts {
            any_origin: any(entries),
            null: entries.iter().any(|v| v == "null"),
            patterns: entries
                .iter()
                .filter(|v| *v != "*" && *v != "null")
                .map(|v| Pattern::parse(v).unwrap_or_else(|| panic!("built with {v:?}")))
                .collect(),
            regexes: config
                .allow_origin_regex
                .iter()
                .map(|r| Regex::new(&format!("^(?:{r})$")).ok())
                .collect(),
            credentials: config.allow_credentials,
            any_method: any(&config.allow_methods),
            methods: config.allow_methods.clone(),
            any_header: any(&config.allow_headers),
            headers: config
                .allow_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .chain(SAFELISTED_HEADERS.map(String::from))
                .collect(),
            expose: !config.expose_headers.is_empty(),
            private_network: config.allow_private_network,
            preflight_status: config.preflight_status,
            block: config.block_disallowed_origins,
            lookup: config.allow_origin_lookup,
            lookup_null: config.allow_origin_lookup && config.lookup_null_origin,
        }
    }

    /// Whether some rule of the policy could allow `origin`. The engine
    /// allowing an origin this says no to is a hole.
    pub(crate) fn may_allow_origin(&self, origin: &str) -> bool {
        self.any_origin
            || (origin == "null" && self.null)
            || self.patterns.iter().any(|p| p.matches(origin))
            || self
                .regexes
                .iter()
                .any(|r| r.as_ref().is_none_or(|r| r.is_match(origin)))
    }

    pub(crate) fn allows_method(&self, method: &[u8]) -> bool {
        self.any_method
            || matches!(method, b"GET" | b"HEAD" | b"POST")
            || self.methods.iter().any(|m| m.as_bytes() == method)
    }

    pub(crate) fn allows_header(&self, name: &[u8]) -> bool {
        self.any_header
            || self
                .headers
                .iter()
                .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
    }
}

pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The elements of `Access-Control-Request-Headers` lines, when every one
/// is a token: what a conforming reader accepts.
pub(crate) fn list_elements<'a>(lines: &[&'a [u8]]) -> Option<Vec<&'a [u8]>> {
    let mut names = Vec::new();
    for line in lines {
        if trim(line).is_empty() {
            continue;
        }
        for element in line.split(|&b| b == b',') {
            let name = trim(element);
            if !is_token(name) {
                return None;
            }
            names.push(name);
        }
    }
    Some(names)
}

fn values<'a>(decision: &Decision<'a>, name: ResponseHeader) -> Vec<&'a str> {
    decision
        .headers()
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .collect()
}

/// Asserts the safety invariants of `decision`, the engine's answer to
/// `sent` under the policy `facts` describes.
pub(crate) fn check(facts: &Facts, sent: &Sent<'_>, decision: &Decision<'_>) {
    check_resolved(facts, sent, decision, None);
}

/// [`check`] for a decision that may rest on the origin lookup's verdict:
/// `looked_up` is the origin the lookup allowed (a decision finished by
/// `resolve_lookup(.., true)`), which the policy must refer to the lookup;
/// `None` when no lookup allowed anything.
pub(crate) fn check_resolved(
    facts: &Facts,
    sent: &Sent<'_>,
    decision: &Decision<'_>,
    looked_up: Option<&str>,
) {
    let context = || {
        format!(
            "request {sent:?}\ndecision {decision:?}\npolicy {facts:?}\nlookup allowed {looked_up:?}"
        )
    };
    if let Some(origin) = looked_up {
        let referred = if origin == "null" {
            facts.lookup_null
        } else {
            facts.lookup
        };
        assert!(
            referred,
            "the lookup was asked about {origin:?}\n{}",
            context()
        );
    }
    assert_ne!(decision.action(), Action::Lookup, "{}", context());
    let origins = sent.values(ORIGIN);
    let request_methods = sent.values(REQUEST_METHOD);
    let header_lines = sent.values(REQUEST_HEADERS);
    let private_network = sent.values(REQUEST_PRIVATE_NETWORK);

    // Every value is a header value a server may send as is.
    for (name, value) in decision.headers() {
        assert!(!value.is_empty(), "empty {name}\n{}", context());
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b)),
            "{name}: {value:?} is not visible ASCII\n{}",
            context()
        );
    }

    let kind = if origins.is_empty() {
        RequestKind::NotCors
    } else if sent.method == "OPTIONS" && !request_methods.is_empty() {
        RequestKind::Preflight
    } else {
        RequestKind::Actual
    };
    assert_eq!(decision.kind(), kind, "{}", context());

    let allow_origin = values(decision, ResponseHeader::AllowOrigin);
    let credentials = values(decision, ResponseHeader::AllowCredentials);
    let varies_on_origin = decision.vary().names().any(|n| n == "Origin");
    assert!(allow_origin.len() <= 1, "{}", context());
    match allow_origin.first() {
        Some(&"*") => assert!(facts.any_origin, "{}", context()),
        Some(&value) => {
            assert_eq!(origins, [value.as_bytes()], "{}", context());
            assert!(varies_on_origin, "{}", context());
            assert!(
                facts.may_allow_origin(value) || looked_up == Some(value),
                "no rule allows {value:?}\n{}",
                context()
            );
        }
        None => {}
    }
    if !facts.any_origin {
        assert!(varies_on_origin, "{}", context());
    }
    if !credentials.is_empty() {
        assert_eq!(credentials, ["true"], "{}", context());
        assert!(facts.credentials, "{}", context());
        assert_ne!(allow_origin, ["*"], "* with credentials\n{}", context());
    }

    let is_cors = |name: &ResponseHeader| ResponseHeader::CORS.contains(name);
    if decision.refusal().is_some() {
        assert_ne!(kind, RequestKind::NotCors, "{}", context());
        assert!(
            !decision.headers().iter().any(|(n, _)| is_cors(n)),
            "a refusal with CORS headers\n{}",
            context()
        );
    } else if kind != RequestKind::NotCors {
        assert_eq!(allow_origin.len(), 1, "{}", context());
        assert_eq!(
            credentials.len(),
            usize::from(facts.credentials),
            "{}",
            context()
        );
        if !facts.any_origin {
            assert_eq!(origins.len(), 1, "{}", context());
        }
    }

    match kind {
        RequestKind::NotCors => {
            assert_eq!(decision.action(), Action::Forward, "{}", context());
            assert_eq!(
                allow_origin.len(),
                usize::from(facts.any_origin),
                "{}",
                context()
            );
        }
        RequestKind::Actual => {
            let blocked = !decision.is_allowed() && facts.block;
            match decision.action() {
                Action::Forward => assert!(!blocked, "{}", context()),
                Action::Respond { status: 403, .. } => assert!(blocked, "{}", context()),
                other => panic!("{other:?}\n{}", context()),
            }
            let expose = values(decision, ResponseHeader::ExposeHeaders);
            assert_eq!(
                expose.len(),
                usize::from(decision.is_allowed() && facts.expose),
                "{}",
                context()
            );
        }
        RequestKind::Preflight => {
            check_preflight(
                facts,
                decision,
                &request_methods,
                &header_lines,
                &private_network,
            )
            .unwrap_or_else(|problem| panic!("{problem}\n{}", context()));
        }
    }
}

/// The preflight half of [`check`].
fn check_preflight(
    facts: &Facts,
    decision: &Decision<'_>,
    request_methods: &[&[u8]],
    header_lines: &[&[u8]],
    private_network: &[&[u8]],
) -> Result<(), String> {
    let Action::Respond { status, body } = decision.action() else {
        return Err("a preflight was forwarded to the handler".into());
    };
    if !decision.is_allowed() {
        return if status == 403 && !body.is_empty() {
            Ok(())
        } else {
            Err(format!("a refused preflight answered {status}"))
        };
    }
    if status != facts.preflight_status || !body.is_empty() {
        return Err(format!("an allowed preflight answered {status} {body:?}"));
    }
    let [method] = request_methods else {
        return Err("allowed with several request methods".into());
    };
    if !is_token(method) || !facts.allows_method(method) {
        return Err(format!("allowed the method {method:?}"));
    }
    let allow_methods = values(decision, ResponseHeader::AllowMethods);
    if allow_methods.iter().map(|m| m.as_bytes()).ne([*method]) {
        return Err("Access-Control-Allow-Methods is not the requested method".into());
    }
    if header_lines.len() > cors_core::MAX_REQUEST_HEADER_LINES {
        return Err("allowed with too many request-header lines".into());
    }
    let Some(names) = list_elements(header_lines) else {
        return Err("allowed a malformed Access-Control-Request-Headers".into());
    };
    if names.len() > cors_core::MAX_REQUEST_HEADERS {
        return Err("allowed too many request headers".into());
    }
    if let Some(name) = names.iter().find(|n| !facts.allows_header(n)) {
        return Err(format!("allowed the request header {name:?}"));
    }
    let echoed: Vec<&[u8]> = if names.is_empty() {
        Vec::new()
    } else {
        header_lines
            .iter()
            .map(|l| trim(l))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let allow_headers = values(decision, ResponseHeader::AllowHeaders);
    if allow_headers.iter().map(|v| v.as_bytes()).ne(echoed) {
        return Err("Access-Control-Allow-Headers does not echo the request lines".into());
    }
    let asked = private_network == [b"true"];
    if asked && !facts.private_network {
        return Err("allowed private network access".into());
    }
    let expected: &[&str] = if asked { &["true"] } else { &[] };
    if values(decision, ResponseHeader::AllowPrivateNetwork) != expected {
        return Err("wrong Access-Control-Allow-Private-Network".into());
    }
    if values(decision, ResponseHeader::MaxAge).len() != 1
        || !values(decision, ResponseHeader::ExposeHeaders).is_empty()
    {
        return Err("wrong Max-Age or Expose-Headers on a preflight".into());
    }
    Ok(())
}
