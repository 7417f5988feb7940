//! The browser side of CORS, from the WHATWG Fetch standard, with the
//! places where today's browsers are laxer than it.
//!
//! Everything a browser decides about a cross-origin `fetch()` lives here,
//! without I/O and without the engine: which headers a script may set,
//! whether a preflight is needed and what it carries, the checks on the
//! preflight's answer and on the actual response, which response headers
//! the page may read, and what a redirect does. [`Fetch`] runs the whole
//! exchange as a state machine: it says which request to send next and
//! takes the answer, until it reaches a [`Verdict`]. Whatever sends the
//! requests (a network client, or a policy engine run in memory) is the
//! caller's.
//!
//! ```
//! use cors_cli::fetch::{Fetch, Request, Response, Stage};
//!
//! let request = Request::new("https://app.example.com", "PUT").header("X-Api-Key", "k");
//! let mut fetch = Fetch::new("https://api.example.com/items", request)?;
//!
//! let preflight = fetch.next_request();
//! assert_eq!(preflight.stage, Stage::Preflight);
//! assert_eq!(preflight.header("access-control-request-headers"), Some("x-api-key"));
//!
//! let answer = Response::new(204)
//!     .header("Access-Control-Allow-Origin", "https://app.example.com")
//!     .header("Access-Control-Allow-Methods", "PUT");
//! let verdict = fetch.receive(&answer).expect("a failed preflight ends the fetch");
//! let blocked = verdict.blocked.unwrap();
//! assert_eq!(blocked.reason(), "the preflight answer does not allow the request header `x-api-key` (Access-Control-Allow-Headers is absent)");
//! assert_eq!(blocked.fix(), "add `x-api-key` to Access-Control-Allow-Headers in the answer to OPTIONS");
//! # Ok::<(), cors_cli::fetch::InvalidRequest>(())
//! ```

use std::fmt;

use crate::url::{Url, UrlError, parse_origin};

/// How many redirects a browser follows before giving up.
pub const MAX_REDIRECTS: usize = 20;

/// The safelisted request headers' values may add up to this many bytes.
pub const SAFELIST_TOTAL_LIMIT: usize = 1024;

/// A safelisted request header's value has at most this many bytes.
pub const SAFELIST_VALUE_LIMIT: usize = 128;

// ---------------------------------------------------------------- request rules

/// Fetch, "normalize a method": `DELETE`, `GET`, `HEAD`, `OPTIONS`,
/// `POST` and `PUT` are upper-cased; every other method is sent as written.
///
/// ```
/// use cors_cli::fetch::normalize_method;
///
/// assert_eq!(normalize_method("delete"), "DELETE");
/// assert_eq!(normalize_method("patch"), "patch");
/// ```
pub fn normalize_method(method: &str) -> String {
    const NORMALIZED: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
    match NORMALIZED.iter().find(|m| m.eq_ignore_ascii_case(method)) {
        Some(m) => (*m).to_owned(),
        None => method.to_owned(),
    }
}

/// Fetch, "CORS-safelisted method": `GET`, `HEAD` and `POST` (after
/// normalization).
pub fn is_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// Fetch, "forbidden method": `CONNECT`, `TRACE` and `TRACK`, in any case;
/// `fetch()` throws for them.
pub fn is_forbidden_method(method: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Whether `text` is an HTTP token (a method or a header name).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Fetch, "forbidden request-header": a header a script cannot set; the
/// browser silently leaves it out (it sets some of them itself).
///
/// ```
/// use cors_cli::fetch::is_forbidden_request_header;
///
/// assert!(is_forbidden_request_header("Cookie", "a=b"));
/// assert!(is_forbidden_request_header("Sec-Fetch-Site", "none"));
/// assert!(is_forbidden_request_header("X-HTTP-Method-Override", "TRACE"));
/// assert!(!is_forbidden_request_header("X-HTTP-Method-Override", "PATCH"));
/// assert!(!is_forbidden_request_header("Authorization", "Bearer t"));
/// ```
pub fn is_forbidden_request_header(name: &str, value: &str) -> bool {
    const FORBIDDEN: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN.contains(&lower.as_str())
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
    {
        return true;
    }
    // A method override naming a forbidden method.
    matches!(
        lower.as_str(),
        "x-http-method" | "x-http-method-override" | "x-method-override"
    ) && value
        .split(',')
        .any(|m| is_forbidden_method(m.trim_matches([' ', '\t'])))
}

/// Fetch, "CORS-unsafe request-header byte".
pub fn is_cors_unsafe_byte(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || b"\"():<>?@[\\]{}".contains(&byte) || byte == 0x7f
}

/// Fetch, "CORS-safelisted request-header": `Accept`, `Accept-Language`,
/// `Content-Language`, `Content-Type` and `Range`, each with the value
/// rules, and never longer than 128 bytes.
///
/// ```
/// use cors_cli::fetch::is_safelisted_request_header;
///
/// assert!(is_safelisted_request_header("Content-Type", "text/plain;charset=UTF-8"));
/// assert!(!is_safelisted_request_header("Content-Type", "application/json"));
/// assert!(is_safelisted_request_header("Range", "bytes=0-499"));
/// assert!(!is_safelisted_request_header("Range", "bytes=-500"));
/// assert!(!is_safelisted_request_header("Accept", &"a".repeat(129)));
/// ```
pub fn is_safelisted_request_header(name: &str, value: &str) -> bool {
    if value.len() > SAFELIST_VALUE_LIMIT {
        return false;
    }
    let bytes = value.as_bytes();
    match name.to_ascii_lowercase().as_str() {
        "accept" => !bytes.iter().any(|&b| is_cors_unsafe_byte(b)),
        "accept-language" | "content-language" => bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b" *,-.;=".contains(&b)),
        "content-type" => {
            if bytes.iter().any(|&b| is_cors_unsafe_byte(b)) {
                return false;
            }
            // The MIME type's essence, lower-cased; a value that does not
            // parse as a MIME type has none of the three essences either.
            let essence = value.split(';').next().unwrap_or_default();
            let essence = essence
                .trim_matches([' ', '\t', '\r', '\n'])
                .to_ascii_lowercase();
            matches!(
                essence.as_str(),
                "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
            )
        }
        "range" => is_simple_range(value),
        _ => false,
    }
}

/// `bytes=N-` or `bytes=N-M` with N <= M: the one range form safelisted.
fn is_simple_range(value: &str) -> bool {
    let Some(range) = value.strip_prefix("bytes=") else {
        return false;
    };
    let Some((start, end)) = range.split_once('-') else {
        return false;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (number(start), end) {
        (Some(_), "") => true,
        (Some(start), end) => number(end).is_some_and(|end| start <= end),
        (None, _) => false,
    }
}

/// Fetch, "CORS-unsafe request-header names": the names that need the
/// server's consent in a preflight, lower-case, sorted, without
/// duplicates. Safelisted headers count too once their values add up to
/// more than 1,024 bytes.
///
/// ```
/// use cors_cli::fetch::cors_unsafe_names;
///
/// let headers = [("X-B", "1"), ("Content-Type", "application/json"), ("Accept", "*/*"), ("x-a", "1")];
/// assert_eq!(cors_unsafe_names(headers), ["content-type", "x-a", "x-b"]);
/// ```
pub fn cors_unsafe_names<'h>(headers: impl IntoIterator<Item = (&'h str, &'h str)>) -> Vec<String> {
    let mut unsafe_names = Vec::new();
    let mut safelisted = Vec::new();
    let mut safelist_size = 0;
    for (name, value) in headers {
        if is_safelisted_request_header(name, value) {
            safelisted.push(name.to_ascii_lowercase());
            safelist_size += value.len();
        } else {
            unsafe_names.push(name.to_ascii_lowercase());
        }
    }
    if safelist_size > SAFELIST_TOTAL_LIMIT {
        unsafe_names.extend(safelisted);
    }
    unsafe_names.sort();
    unsafe_names.dedup();
    unsafe_names
}

/// Fetch, "CORS-safelisted response-header name": the response headers a
/// page reads without `Access-Control-Expose-Headers`.
pub const SAFELISTED_RESPONSE_HEADERS: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

// ---------------------------------------------------------------- requests and responses

/// A request as a page's script makes it: `fetch(url, {method, headers,
/// credentials})` from a page at `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The page's origin, serialized (`https://app.example.com`) or `null`.
    pub origin: String,
    /// The method as the script wrote it.
    pub method: String,
    /// The headers the script set, in order.
    pub headers: Vec<(String, String)>,
    /// Credentials mode `include` (cookies and HTTP authentication are
    /// sent, and the response must allow them).
    pub credentials: bool,
}

impl Request {
    /// A request without headers or credentials.
    pub fn new(origin: impl Into<String>, method: impl Into<String>) -> Request {
        Request {
            origin: origin.into(),
            method: method.into(),
            headers: Vec::new(),
            credentials: false,
        }
    }

    /// Adds a header, as `headers.append(name, value)` does.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the credentials mode: `true` for `credentials: "include"`.
    pub fn credentials(mut self, include: bool) -> Request {
        self.credentials = include;
        self
    }
}

/// Why `fetch()` would throw before sending anything: the request a script
/// cannot make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest(pub String);

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidRequest {}

/// Which of the two requests a request or a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The `OPTIONS` preflight the browser sends first.
    Preflight,
    /// The request the script asked for.
    Actual,
}

/// A request the browser sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Preflight or actual request.
    pub stage: Stage,
    /// The method on the request line.
    pub method: String,
    /// The URL.
    pub url: Url,
    /// The headers that matter for CORS, in the order a browser sends them
    /// (the transport adds `Host` and the rest).
    pub headers: Vec<(String, String)>,
}

impl Outgoing {
    /// The value of `name` (case-insensitive), when present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response as the browser sees it: status and header lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header lines, names as received, in order.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// A response without headers.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
        }
    }

    /// Adds a header line.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Fetch's "get": every value of `name` (case-insensitive) combined
    /// with `, `, or `None` when absent.
    pub fn get(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |mut all, v| {
            all.push_str(", ");
            all.push_str(v);
            all
        }))
    }

    fn lines(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
}

/// Whether a status is a redirect status (301, 302, 303, 307, 308).
pub fn is_redirect_status(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Fetch, "extract header list values" for a list of tokens: `Ok(None)`
/// when absent, `Err(value)` when an element is not a token.
pub fn extract_list(response: &Response, name: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = response.get(name) else {
        return Ok(None);
    };
    let mut items = Vec::new();
    for item in value.split(',') {
        let item = item.trim_matches([' ', '\t']);
        if item.is_empty() {
            continue;
        }
        if !is_token(item) {
            return Err(value);
        }
        items.push(item.to_owned());
    }
    Ok(Some(items))
}

// ---------------------------------------------------------------- verdicts

/// Why a browser gives the page a network error instead of the response.
///
/// [`Blocked::reason`] says it in plain words; [`Blocked::fix`] says what
/// the server must do; [`Blocked::code`] is a stable identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// What failed.
    pub kind: BlockedKind,
    /// The origin the browser sent (`null` after a cross-origin redirect).
    pub origin: String,
    /// The method of the request the failure belongs to (for a preflight,
    /// the method it asked about).
    pub method: String,
    /// The URL of the request the failure belongs to.
    pub url: String,
    /// Whether the origin is `null` because a cross-origin redirect tainted
    /// it.
    pub tainted: bool,
}

/// What failed, with the values involved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockedKind {
    /// The preflight was answered with a redirect.
    PreflightRedirect {
        /// The status.
        status: u16,
        /// The `Location`, when present.
        location: Option<String>,
    },
    /// The preflight's status is not 200-299.
    PreflightStatus {
        /// The status.
        status: u16,
        /// The CORS-unsafe request-header names the preflight asked about.
        requested_headers: Vec<String>,
    },
    /// No `Access-Control-Allow-Origin`.
    NoAllowOrigin {
        /// Which answer.
        stage: Stage,
    },
    /// `Access-Control-Allow-Origin` on several lines or with several
    /// values.
    MultipleAllowOrigin {
        /// Which answer.
        stage: Stage,
        /// The combined value.
        value: String,
    },
    /// `Access-Control-Allow-Origin: *` for a request with credentials.
    WildcardOriginWithCredentials {
        /// Which answer.
        stage: Stage,
    },
    /// `Access-Control-Allow-Origin` names another origin.
    OriginMismatch {
        /// Which answer.
        stage: Stage,
        /// The value.
        value: String,
    },
    /// A request with credentials and no `Access-Control-Allow-Credentials:
    /// true`.
    CredentialsNotAllowed {
        /// Which answer.
        stage: Stage,
        /// The value, when present.
        value: Option<String>,
    },
    /// `Access-Control-Allow-Methods` is not a list of methods.
    InvalidAllowMethods {
        /// The value.
        value: String,
    },
    /// `Access-Control-Allow-Headers` is not a list of header names.
    InvalidAllowHeaders {
        /// The value.
        value: String,
    },
    /// The preflight answer does not allow the method.
    MethodNotAllowed {
        /// `Access-Control-Allow-Methods`, when present.
        allowed: Option<String>,
        /// Whether the list has `*`, which does not count with credentials.
        wildcard_with_credentials: bool,
    },
    /// The preflight answer does not allow a request header.
    HeaderNotAllowed {
        /// The header name, lower-case.
        name: String,
        /// `Access-Control-Allow-Headers`, when present.
        allowed: Option<String>,
        /// Whether the list has `*`, which does not count with credentials.
        wildcard_with_credentials: bool,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    TooManyRedirects,
    /// A redirect whose `Location` is not a URL.
    InvalidRedirect {
        /// The `Location`.
        location: String,
        /// Why it is not a URL.
        problem: String,
    },
    /// A redirect to a scheme other than `http` or `https`.
    RedirectScheme {
        /// The `Location`.
        location: String,
    },
    /// A redirect to a URL with a user name or password.
    RedirectUserinfo {
        /// The `Location`.
        location: String,
    },
    /// Redirects are not followed (`--no-follow`): the check stops here.
    RedirectNotFollowed {
        /// The URL the browser would request next.
        next: String,
        /// The method it would use.
        next_method: String,
        /// The origin it would send.
        next_origin: String,
    },
}

impl Blocked {
    /// A stable identifier for the failure, e.g. `no-allow-origin`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            BlockedKind::PreflightRedirect { .. } => "preflight-redirect",
            BlockedKind::PreflightStatus { .. } => "preflight-status",
            BlockedKind::NoAllowOrigin { .. } => "no-allow-origin",
            BlockedKind::MultipleAllowOrigin { .. } => "multiple-allow-origin",
            BlockedKind::WildcardOriginWithCredentials { .. } => "wildcard-origin-with-credentials",
            BlockedKind::OriginMismatch { .. } => "origin-mismatch",
            BlockedKind::CredentialsNotAllowed { .. } => "credentials-not-allowed",
            BlockedKind::InvalidAllowMethods { .. } => "invalid-allow-methods",
            BlockedKind::InvalidAllowHeaders { .. } => "invalid-allow-headers",
            BlockedKind::MethodNotAllowed { .. } => "method-not-allowed",
            BlockedKind::HeaderNotAllowed { .. } => "header-not-allowed",
            BlockedKind::TooManyRedirects => "too-many-redirects",
            BlockedKind::InvalidRedirect { .. } => "invalid-redirect",
            BlockedKind::RedirectScheme { .. } => "redirect-scheme",
            BlockedKind::RedirectUserinfo { .. } => "redirect-userinfo",
            BlockedKind::RedirectNotFollowed { .. } => "redirect-not-followed",
        }
    }

    /// Which request failed.
    pub fn stage(&self) -> Stage {
        match &self.kind {
            BlockedKind::PreflightRedirect { .. }
            | BlockedKind::PreflightStatus { .. }
            | BlockedKind::InvalidAllowMethods { .. }
            | BlockedKind::InvalidAllowHeaders { .. }
            | BlockedKind::MethodNotAllowed { .. }
            | BlockedKind::HeaderNotAllowed { .. } => Stage::Preflight,
            BlockedKind::NoAllowOrigin { stage }
            | BlockedKind::MultipleAllowOrigin { stage, .. }
            | BlockedKind::WildcardOriginWithCredentials { stage }
            | BlockedKind::OriginMismatch { stage, .. }
            | BlockedKind::CredentialsNotAllowed { stage, .. } => *stage,
            BlockedKind::TooManyRedirects
            | BlockedKind::InvalidRedirect { .. }
            | BlockedKind::RedirectScheme { .. }
            | BlockedKind::RedirectUserinfo { .. }
            | BlockedKind::RedirectNotFollowed { .. } => Stage::Actual,
        }
    }

    fn answer(stage: Stage) -> &'static str {
        match stage {
            Stage::Preflight => "the preflight answer",
            Stage::Actual => "the response",
        }
    }

    /// The method the server must answer for this stage: `OPTIONS` for the
    /// preflight.
    fn answered_method(&self, stage: Stage) -> &str {
        match stage {
            Stage::Preflight => "OPTIONS",
            Stage::Actual => &self.method,
        }
    }

    /// The reason in plain words.
    pub fn reason(&self) -> String {
        let null_note = if self.tainted {
            " (after a cross-origin redirect the browser sends Origin: null)"
        } else {
            ""
        };
        match &self.kind {
            BlockedKind::PreflightRedirect { status, location } => format!(
                "the preflight was answered with a redirect ({status}{}); browsers never follow a redirect for a preflight",
                location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            ),
            BlockedKind::PreflightStatus { status, .. } => format!(
                "the preflight was answered {status}; a browser needs a 2xx status (200-299) for a preflight"
            ),
            BlockedKind::NoAllowOrigin { stage } => format!(
                "{} has no Access-Control-Allow-Origin",
                Self::answer(*stage)
            ),
            BlockedKind::MultipleAllowOrigin { stage, value } => format!(
                "{} has several Access-Control-Allow-Origin values ({value}); a browser needs exactly one",
                Self::answer(*stage)
            ),
            BlockedKind::WildcardOriginWithCredentials { stage } => format!(
                "{} has Access-Control-Allow-Origin: *, which a browser refuses for a request with credentials",
                Self::answer(*stage)
            ),
            BlockedKind::OriginMismatch { stage, value } => format!(
                "{} has Access-Control-Allow-Origin: {value}, which is not the request's origin {}{null_note}",
                Self::answer(*stage),
                self.origin
            ),
            BlockedKind::CredentialsNotAllowed { stage, value: None } => format!(
                "{} has no Access-Control-Allow-Credentials, and the request has credentials",
                Self::answer(*stage)
            ),
            BlockedKind::CredentialsNotAllowed {
                stage,
                value: Some(value),
            } => format!(
                "{} has Access-Control-Allow-Credentials: {value}, and a request with credentials needs exactly `true`",
                Self::answer(*stage)
            ),
            BlockedKind::InvalidAllowMethods { value } => format!(
                "the preflight answer's Access-Control-Allow-Methods ({value}) is not a comma-separated list of methods"
            ),
            BlockedKind::InvalidAllowHeaders { value } => format!(
                "the preflight answer's Access-Control-Allow-Headers ({value}) is not a comma-separated list of header names"
            ),
            BlockedKind::MethodNotAllowed {
                allowed,
                wildcard_with_credentials,
            } => format!(
                "the preflight answer does not allow the method {} ({}){}",
                self.method,
                listed("Access-Control-Allow-Methods", allowed.as_deref()),
                if *wildcard_with_credentials {
                    "; `*` does not count for a request with credentials"
                } else {
                    ""
                }
            ),
            BlockedKind::HeaderNotAllowed {
                name,
                allowed,
                wildcard_with_credentials,
            } => format!(
                "the preflight answer does not allow the request header `{name}` ({}){}",
                listed("Access-Control-Allow-Headers", allowed.as_deref()),
                if *wildcard_with_credentials {
                    "; `*` does not count for a request with credentials"
                } else {
                    ""
                }
            ),
            BlockedKind::TooManyRedirects => {
                format!("the request was redirected more than {MAX_REDIRECTS} times")
            }
            BlockedKind::InvalidRedirect { location, problem } => {
                format!("the response redirects to {location:?}, which is not a URL: it {problem}")
            }
            BlockedKind::RedirectScheme { location } => {
                format!("the response redirects to {location}, which is not an http or https URL")
            }
            BlockedKind::RedirectUserinfo { location } => format!(
                "the response redirects to {location}, a URL with a user name or password, which a browser refuses for a CORS request"
            ),
            BlockedKind::RedirectNotFollowed {
                next, next_origin, ..
            } => format!(
                "the response redirects to {next}; a browser follows it as a CORS request from origin {next_origin}, which this check did not follow"
            ),
        }
    }

    /// What the server (or the page) must change.
    pub fn fix(&self) -> String {
        let origin = &self.origin;
        match &self.kind {
            BlockedKind::PreflightRedirect { .. } => format!(
                "answer OPTIONS at {} itself with a 2xx status and the CORS headers (no redirect), or make the page call the URL the redirect points to",
                self.url
            ),
            BlockedKind::PreflightStatus {
                requested_headers, ..
            } => {
                let mut asked = Vec::new();
                if !is_safelisted_method(&self.method) {
                    asked.push(format!("the method {}", self.method));
                }
                if !requested_headers.is_empty() {
                    asked.push(format!(
                        "the request header{} {}",
                        if requested_headers.len() == 1 { "" } else { "s" },
                        requested_headers.join(", ")
                    ));
                }
                let allow = if asked.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; if its CORS configuration refused the preflight, allow {} there",
                        asked.join(" and ")
                    )
                };
                format!(
                    "the server must answer OPTIONS from {origin} with a 2xx status (200 or 204) and the CORS headers, before any authentication or routing that refuses OPTIONS{allow}"
                )
            }
            BlockedKind::NoAllowOrigin { stage } => format!(
                "the server must answer {} from {origin} with Access-Control-Allow-Origin: {origin}",
                self.answered_method(*stage)
            ),
            BlockedKind::MultipleAllowOrigin { .. } => format!(
                "send one Access-Control-Allow-Origin line with one value, {origin} (a proxy or a second CORS layer may be adding another)"
            ),
            BlockedKind::WildcardOriginWithCredentials { stage } => format!(
                "answer {} with Access-Control-Allow-Origin: {origin} (the request's origin, not `*`) and Access-Control-Allow-Credentials: true",
                self.answered_method(*stage)
            ),
            BlockedKind::OriginMismatch { stage, .. } => format!(
                "answer {} from {origin} with Access-Control-Allow-Origin: {origin}, exactly (scheme, host and port, no trailing slash)",
                self.answered_method(*stage)
            ),
            BlockedKind::CredentialsNotAllowed { stage, .. } => format!(
                "answer {} from {origin} with Access-Control-Allow-Credentials: true, or make the request without credentials",
                self.answered_method(*stage)
            ),
            BlockedKind::InvalidAllowMethods { .. } => {
                "send method names separated by commas, e.g. Access-Control-Allow-Methods: GET, POST, PUT".to_owned()
            }
            BlockedKind::InvalidAllowHeaders { .. } => {
                "send header names separated by commas, e.g. Access-Control-Allow-Headers: content-type, x-api-key".to_owned()
            }
            BlockedKind::MethodNotAllowed { .. } => format!(
                "add `{}` to Access-Control-Allow-Methods in the answer to OPTIONS",
                self.method
            ),
            BlockedKind::HeaderNotAllowed { name, .. } => {
                format!("add `{name}` to Access-Control-Allow-Headers in the answer to OPTIONS")
            }
            BlockedKind::TooManyRedirects => {
                "end the redirect loop: the chain must reach a response within 20 redirects".to_owned()
            }
            BlockedKind::InvalidRedirect { .. } => {
                "send a valid absolute or relative URL in Location".to_owned()
            }
            BlockedKind::RedirectScheme { .. } => {
                "redirect to an http or https URL".to_owned()
            }
            BlockedKind::RedirectUserinfo { .. } => {
                "redirect to a URL without a user name or password".to_owned()
            }
            BlockedKind::RedirectNotFollowed {
                next,
                next_method,
                next_origin,
            } => format!(
                "check the next URL: cors check {next} --origin {next_origin} --method {next_method} (with the same headers), or follow redirects"
            ),
        }
    }
}

fn listed(name: &str, value: Option<&str>) -> String {
    match value {
        Some(value) => format!("{name}: {value}"),
        None => format!("{name} is absent"),
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.reason(), self.fix())
    }
}

/// Something that works in today's browsers but is fragile: a laxity of
/// the browsers over the standard, or a header the browser drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// A stable identifier, e.g. `authorization-wildcard`.
    pub code: &'static str,
    /// What is fragile.
    pub text: String,
    /// How to make it solid.
    pub fix: String,
}

impl Warning {
    /// `Access-Control-Allow-Headers: *` covering `Authorization`.
    /// Chromium and Firefox accept it; the Fetch standard does not.
    pub fn authorization_wildcard() -> Warning {
        Warning {
            code: "authorization-wildcard",
            text: "`Access-Control-Allow-Headers: *` covers `authorization` only because Chromium and Firefox are laxer than the Fetch standard; this relies on a laxity browsers may drop".to_owned(),
            fix: "name `authorization` explicitly in Access-Control-Allow-Headers".to_owned(),
        }
    }

    /// A header a script cannot set, which the browser leaves out.
    pub fn forbidden_header(name: &str) -> Warning {
        Warning {
            code: "forbidden-header",
            text: format!(
                "a browser does not let a script set `{name}` (a forbidden request header); it was left out"
            ),
            fix: format!(
                "do not rely on `{name}` from a script; the browser sets it, or nothing does"
            ),
        }
    }

    /// A cross-origin redirect that made the origin `null`.
    pub fn tainted_origin(url: &str) -> Warning {
        Warning {
            code: "tainted-origin",
            text: format!(
                "a cross-origin redirect to {url} made the browser send Origin: null from there on (Chromium also on the new preflight; Firefox sends the page's origin on it), so the server there must allow the origin `null`"
            ),
            fix: "let the page call the final URL directly, so that its requests keep their origin"
                .to_owned(),
        }
    }

    /// A method that is not upper-case and not one of the six a browser
    /// normalizes: sent as written and compared case-sensitively.
    pub fn method_case(method: &str) -> Warning {
        Warning {
            code: "method-case",
            text: format!(
                "the method `{method}` is sent as written (browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST and PUT), and servers compare methods case-sensitively"
            ),
            fix: format!("write the method as `{}`", method.to_ascii_uppercase()),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.text, self.fix)
    }
}

/// The answer to a preflight, in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreflightSummary {
    /// Its status.
    pub status: u16,
    /// Whether it passed the CORS-preflight checks.
    pub ok: bool,
}

/// How a fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Why the browser blocks it; `None` when the page gets the response.
    pub blocked: Option<Blocked>,
    /// The response header names the page can read (what
    /// `[...response.headers.keys()]` lists): lower-case, sorted, only
    /// those present. Empty when blocked.
    pub readable_headers: Vec<String>,
    /// The last actual response's status, `None` when none was received.
    pub status: Option<u16>,
    /// The last preflight's answer, `None` when no preflight was sent.
    pub preflight: Option<PreflightSummary>,
    /// Fragile things that do not block today.
    pub warnings: Vec<Warning>,
    /// The URL of the last request.
    pub url: String,
    /// Whether CORS applied at all (`false` for a same-origin request
    /// that was never redirected to another origin).
    pub cors: bool,
}

impl Verdict {
    /// Whether the page gets the response.
    pub fn allowed(&self) -> bool {
        self.blocked.is_none()
    }
}

// ---------------------------------------------------------------- checks

/// Fetch, "CORS check": whether `response` lets a page at `origin` (the
/// origin the request carried) read it.
pub fn cors_check(
    origin: &str,
    credentials: bool,
    response: &Response,
    stage: Stage,
) -> Result<(), BlockedKind> {
    let Some(value) = response.get("access-control-allow-origin") else {
        return Err(BlockedKind::NoAllowOrigin { stage });
    };
    if response.lines("access-control-allow-origin") > 1 || value.contains(',') {
        return Err(BlockedKind::MultipleAllowOrigin { stage, value });
    }
    if value == "*" {
        return if credentials {
            Err(BlockedKind::WildcardOriginWithCredentials { stage })
        } else {
            Ok(())
        };
    }
    if value != origin {
        return Err(BlockedKind::OriginMismatch { stage, value });
    }
    if !credentials {
        return Ok(());
    }
    match response.get("access-control-allow-credentials") {
        Some(value) if value == "true" => Ok(()),
        value => Err(BlockedKind::CredentialsNotAllowed { stage, value }),
    }
}

/// The checks of a "CORS-preflight fetch" on the preflight's answer, for
/// a request with `method` (normalized) and `unsafe_names`
/// ([`cors_unsafe_names`]), sent with `origin`. `Ok` carries the warnings
/// for what passes only through a browser laxity.
pub fn preflight_check(
    origin: &str,
    credentials: bool,
    method: &str,
    unsafe_names: &[String],
    response: &Response,
) -> Result<Vec<Warning>, BlockedKind> {
    if is_redirect_status(response.status) {
        return Err(BlockedKind::PreflightRedirect {
            status: response.status,
            location: response.get("location"),
        });
    }
    if !(200..=299).contains(&response.status) {
        return Err(BlockedKind::PreflightStatus {
            status: response.status,
            requested_headers: unsafe_names.to_vec(),
        });
    }
    cors_check(origin, credentials, response, Stage::Preflight)?;
    let methods = extract_list(response, "access-control-allow-methods")
        .map_err(|value| BlockedKind::InvalidAllowMethods { value })?;
    let names = extract_list(response, "access-control-allow-headers")
        .map_err(|value| BlockedKind::InvalidAllowHeaders { value })?;
    let methods = methods.unwrap_or_default();
    let names = names.unwrap_or_default();
    let star = |list: &[String]| list.iter().any(|i| i == "*");
    if !methods.iter().any(|m| m == method)
        && !is_safelisted_method(method)
        && (credentials || !star(&methods))
    {
        return Err(BlockedKind::MethodNotAllowed {
            allowed: response.get("access-control-allow-methods"),
            wildcard_with_credentials: credentials && star(&methods),
        });
    }
    let listed = |name: &str| names.iter().any(|h| h.eq_ignore_ascii_case(name));
    let mut warnings = Vec::new();
    for name in unsafe_names {
        if listed(name) {
            continue;
        }
        if credentials || !star(&names) {
            return Err(BlockedKind::HeaderNotAllowed {
                name: name.clone(),
                allowed: response.get("access-control-allow-headers"),
                wildcard_with_credentials: credentials && star(&names),
            });
        }
        // The standard: `authorization` is a "CORS non-wildcard
        // request-header name", never covered by `*`. Chromium and Firefox
        // let `*` cover it all the same; follow them, and warn.
        if name == "authorization" {
            warnings.push(Warning::authorization_wildcard());
        }
    }
    Ok(warnings)
}

/// The response header names a page may read: the safelisted ones and
/// those `Access-Control-Expose-Headers` names (all with `*` and no
/// credentials), among the names present, lower-case and sorted;
/// `Set-Cookie` never.
pub fn readable_headers(credentials: bool, response: &Response) -> Vec<String> {
    let exposed = extract_list(response, "access-control-expose-headers")
        .ok()
        .flatten()
        .unwrap_or_default();
    let all = !credentials && exposed.iter().any(|n| n == "*");
    let mut names: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "set-cookie" && n != "set-cookie2")
        .filter(|n| {
            all || SAFELISTED_RESPONSE_HEADERS.contains(&n.as_str())
                || exposed.iter().any(|e| e.eq_ignore_ascii_case(n))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The names of the headers the Fetch standard removes when a redirect
/// turns a request into a `GET`.
const REQUEST_BODY_HEADERS: [&str; 4] = [
    "content-encoding",
    "content-language",
    "content-location",
    "content-type",
];

// ---------------------------------------------------------------- the state machine

/// A cross-origin `fetch()` in progress: asks for requests, takes their
/// answers, ends with a [`Verdict`]. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Fetch {
    page_origin: String,
    method: String,
    headers: Vec<(String, String)>,
    credentials: bool,
    url: Url,
    cors: bool,
    tainted: bool,
    redirects: usize,
    stage: Stage,
    follow: bool,
    preflight: Option<PreflightSummary>,
    warnings: Vec<Warning>,
}

impl Fetch {
    /// Starts a fetch of `url` as `request` describes; fails as `fetch()`
    /// throws (a forbidden method, a header that is not a header) or when
    /// the URL or origin is not one.
    pub fn new(url: &str, request: Request) -> Result<Fetch, InvalidRequest> {
        let url = Url::parse(url).map_err(|e| InvalidRequest(format!("{url:?}: {e}")))?;
        let page_origin = parse_origin(&request.origin).map_err(InvalidRequest)?;
        if !is_token(&request.method) {
            return Err(InvalidRequest(format!(
                "{:?} is not a method",
                request.method
            )));
        }
        if is_forbidden_method(&request.method) {
            return Err(InvalidRequest(format!(
                "a browser refuses to send {} (a forbidden method)",
                request.method
            )));
        }
        let mut warnings = Vec::new();
        let method = normalize_method(&request.method);
        if method.bytes().any(|b| b.is_ascii_lowercase()) {
            warnings.push(Warning::method_case(&method));
        }
        let mut headers = Vec::new();
        for (name, value) in request.headers {
            if !is_token(&name) {
                return Err(InvalidRequest(format!("{name:?} is not a header name")));
            }
            // `Headers` strips leading and trailing whitespace and refuses
            // NUL, CR and LF.
            let value = value.trim_matches([' ', '\t', '\r', '\n']).to_owned();
            if value.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
                return Err(InvalidRequest(format!(
                    "the value of {name} has a NUL, CR or LF byte"
                )));
            }
            if is_forbidden_request_header(&name, &value) {
                let warning = Warning::forbidden_header(&name);
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
                continue;
            }
            headers.push((name, value));
        }
        let mut fetch = Fetch {
            cors: url.origin() != page_origin,
            page_origin,
            method,
            headers,
            credentials: request.credentials,
            url,
            tainted: false,
            redirects: 0,
            stage: Stage::Actual,
            follow: true,
            preflight: None,
            warnings,
        };
        fetch.stage = fetch.first_stage();
        Ok(fetch)
    }

    /// Stops at the first redirect of the actual request instead of
    /// following it, the verdict naming the URL to check next.
    pub fn no_follow(mut self) -> Fetch {
        self.follow = false;
        self
    }

    /// The origin the browser sends now: `null` once a redirect tainted it.
    pub fn origin(&self) -> &str {
        if self.tainted {
            "null"
        } else {
            &self.page_origin
        }
    }

    /// The CORS-unsafe request-header names of the request as it stands.
    pub fn unsafe_names(&self) -> Vec<String> {
        cors_unsafe_names(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// Whether the request (as it stands, after any redirect) needs a
    /// preflight.
    pub fn needs_preflight(&self) -> bool {
        self.cors && (!is_safelisted_method(&self.method) || !self.unsafe_names().is_empty())
    }

    fn first_stage(&self) -> Stage {
        if self.needs_preflight() {
            Stage::Preflight
        } else {
            Stage::Actual
        }
    }

    /// The request to send now.
    pub fn next_request(&self) -> Outgoing {
        let mut headers = Vec::new();
        match self.stage {
            Stage::Preflight => {
                let unsafe_names = self.unsafe_names();
                headers.push(("Accept".to_owned(), "*/*".to_owned()));
                headers.push((
                    "Access-Control-Request-Method".to_owned(),
                    self.method.clone(),
                ));
                if !unsafe_names.is_empty() {
                    headers.push((
                        "Access-Control-Request-Headers".to_owned(),
                        unsafe_names.join(","),
                    ));
                }
                headers.push(("Origin".to_owned(), self.origin().to_owned()));
                Outgoing {
                    stage: Stage::Preflight,
                    method: "OPTIONS".to_owned(),
                    url: self.url.clone(),
                    headers,
                }
            }
            Stage::Actual => {
                if !self
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
                {
                    headers.push(("Accept".to_owned(), "*/*".to_owned()));
                }
                headers.extend(self.headers.iter().cloned());
                // Browsers send Origin on every CORS request, and on
                // same-origin requests other than GET and HEAD.
                if self.cors || !matches!(self.method.as_str(), "GET" | "HEAD") {
                    headers.push(("Origin".to_owned(), self.origin().to_owned()));
                }
                Outgoing {
                    stage: Stage::Actual,
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers,
                }
            }
        }
    }

    fn blocked(&self, kind: BlockedKind, status: Option<u16>) -> Verdict {
        Verdict {
            blocked: Some(Blocked {
                kind,
                origin: self.origin().to_owned(),
                method: self.method.clone(),
                url: self.url.to_string(),
                tainted: self.tainted,
            }),
            readable_headers: Vec::new(),
            status,
            preflight: self.preflight,
            warnings: self.warnings.clone(),
            url: self.url.to_string(),
            cors: self.cors,
        }
    }

    /// Takes the answer to [`next_request`](Fetch::next_request): `None`
    /// when there is another request to send, the verdict otherwise.
    pub fn receive(&mut self, response: &Response) -> Option<Verdict> {
        match self.stage {
            Stage::Preflight => {
                let checked = preflight_check(
                    self.origin(),
                    self.credentials,
                    &self.method,
                    &self.unsafe_names(),
                    response,
                );
                self.preflight = Some(PreflightSummary {
                    status: response.status,
                    ok: checked.is_ok(),
                });
                match checked {
                    Ok(warnings) => {
                        for warning in warnings {
                            if !self.warnings.contains(&warning) {
                                self.warnings.push(warning);
                            }
                        }
                        self.stage = Stage::Actual;
                        None
                    }
                    Err(kind) => Some(self.blocked(kind, None)),
                }
            }
            Stage::Actual => self.receive_actual(response),
        }
    }

    fn receive_actual(&mut self, response: &Response) -> Option<Verdict> {
        let status = Some(response.status);
        if self.cors {
            if let Err(kind) = cors_check(self.origin(), self.credentials, response, Stage::Actual)
            {
                return Some(self.blocked(kind, status));
            }
        }
        let location = match response.get("location") {
            Some(location) if is_redirect_status(response.status) => location,
            _ => {
                return Some(Verdict {
                    blocked: None,
                    readable_headers: if self.cors {
                        readable_headers(self.credentials, response)
                    } else {
                        same_origin_headers(response)
                    },
                    status,
                    preflight: self.preflight,
                    warnings: self.warnings.clone(),
                    url: self.url.to_string(),
                    cors: self.cors,
                });
            }
        };
        if self.redirects == MAX_REDIRECTS {
            return Some(self.blocked(BlockedKind::TooManyRedirects, status));
        }
        let next = match self.url.join(&location) {
            Ok(next) => next,
            Err(UrlError::Scheme(_)) => {
                return Some(self.blocked(BlockedKind::RedirectScheme { location }, status));
            }
            Err(UrlError::Invalid(problem)) => {
                return Some(
                    self.blocked(BlockedKind::InvalidRedirect { location, problem }, status),
                );
            }
        };
        let next_cors = self.cors || next.origin() != self.page_origin;
        if next_cors && next.has_userinfo() {
            return Some(self.blocked(BlockedKind::RedirectUserinfo { location }, status));
        }
        let current_origin = self.url.origin();
        let cross_origin = current_origin != next.origin();
        let mut method = self.method.clone();
        let mut headers = self.headers.clone();
        if (matches!(response.status, 301 | 302) && method == "POST")
            || (response.status == 303 && !matches!(method.as_str(), "GET" | "HEAD"))
        {
            method = "GET".to_owned();
            headers
                .retain(|(n, _)| !REQUEST_BODY_HEADERS.contains(&n.to_ascii_lowercase().as_str()));
        }
        if cross_origin {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        }
        let tainted = self.tainted || (cross_origin && self.page_origin != current_origin);
        if !self.follow {
            let next_origin = if tainted { "null" } else { &self.page_origin };
            let kind = BlockedKind::RedirectNotFollowed {
                next: next.to_string(),
                next_method: method,
                next_origin: next_origin.to_owned(),
            };
            return Some(self.blocked(kind, status));
        }
        if tainted && !self.tainted {
            self.warnings
                .push(Warning::tainted_origin(&next.to_string()));
        }
        self.redirects += 1;
        self.method = method;
        self.headers = headers;
        self.tainted = tainted;
        self.cors = next_cors;
        self.url = next;
        self.stage = self.first_stage();
        None
    }
}

/// A same-origin response: every header but `Set-Cookie` is readable.
fn same_origin_headers(response: &Response) -> Vec<String> {
    let mut names: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "set-cookie" && n != "set-cookie2")
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(kind: BlockedKind) -> Blocked {
        Blocked {
            kind,
            origin: "https://app.example".to_owned(),
            method: "PUT".to_owned(),
            url: "https://api.example/items".to_owned(),
            tainted: false,
        }
    }

    /// Every reason and fix, word for word.
    #[test]
    fn every_blocked_reason_and_fix() {
        let cases: Vec<(BlockedKind, &str, &str, &str)> = vec![
            (
                BlockedKind::PreflightRedirect {
                    status: 301,
                    location: Some("/login".into()),
                },
                "preflight-redirect",
                "the preflight was answered with a redirect (301 to /login); browsers never follow a redirect for a preflight",
                "answer OPTIONS at https://api.example/items itself with a 2xx status and the CORS headers (no redirect), or make the page call the URL the redirect points to",
            ),
            (
                BlockedKind::PreflightStatus {
                    status: 401,
                    requested_headers: vec!["authorization".into(), "x-a".into()],
                },
                "preflight-status",
                "the preflight was answered 401; a browser needs a 2xx status (200-299) for a preflight",
                "the server must answer OPTIONS from https://app.example with a 2xx status (200 or 204) and the CORS headers, before any authentication or routing that refuses OPTIONS; if its CORS configuration refused the preflight, allow the method PUT and the request headers authorization, x-a there",
            ),
            (
                BlockedKind::NoAllowOrigin {
                    stage: Stage::Preflight,
                },
                "no-allow-origin",
                "the preflight answer has no Access-Control-Allow-Origin",
                "the server must answer OPTIONS from https://app.example with Access-Control-Allow-Origin: https://app.example",
            ),
            (
                BlockedKind::MultipleAllowOrigin {
                    stage: Stage::Actual,
                    value: "https://app.example, *".into(),
                },
                "multiple-allow-origin",
                "the response has several Access-Control-Allow-Origin values (https://app.example, *); a browser needs exactly one",
                "send one Access-Control-Allow-Origin line with one value, https://app.example (a proxy or a second CORS layer may be adding another)",
            ),
            (
                BlockedKind::WildcardOriginWithCredentials {
                    stage: Stage::Preflight,
                },
                "wildcard-origin-with-credentials",
                "the preflight answer has Access-Control-Allow-Origin: *, which a browser refuses for a request with credentials",
                "answer OPTIONS with Access-Control-Allow-Origin: https://app.example (the request's origin, not `*`) and Access-Control-Allow-Credentials: true",
            ),
            (
                BlockedKind::OriginMismatch {
                    stage: Stage::Actual,
                    value: "https://app.example/".into(),
                },
                "origin-mismatch",
                "the response has Access-Control-Allow-Origin: https://app.example/, which is not the request's origin https://app.example",
                "answer PUT from https://app.example with Access-Control-Allow-Origin: https://app.example, exactly (scheme, host and port, no trailing slash)",
            ),
            (
                BlockedKind::CredentialsNotAllowed {
                    stage: Stage::Actual,
                    value: None,
                },
                "credentials-not-allowed",
                "the response has no Access-Control-Allow-Credentials, and the request has credentials",
                "answer PUT from https://app.example with Access-Control-Allow-Credentials: true, or make the request without credentials",
            ),
            (
                BlockedKind::CredentialsNotAllowed {
                    stage: Stage::Preflight,
                    value: Some("True".into()),
                },
                "credentials-not-allowed",
                "the preflight answer has Access-Control-Allow-Credentials: True, and a request with credentials needs exactly `true`",
                "answer OPTIONS from https://app.example with Access-Control-Allow-Credentials: true, or make the request without credentials",
            ),
            (
                BlockedKind::InvalidAllowMethods {
                    value: "PUT DELETE".into(),
                },
                "invalid-allow-methods",
                "the preflight answer's Access-Control-Allow-Methods (PUT DELETE) is not a comma-separated list of methods",
                "send method names separated by commas, e.g. Access-Control-Allow-Methods: GET, POST, PUT",
            ),
            (
                BlockedKind::InvalidAllowHeaders {
                    value: "x-a; x-b".into(),
                },
                "invalid-allow-headers",
                "the preflight answer's Access-Control-Allow-Headers (x-a; x-b) is not a comma-separated list of header names",
                "send header names separated by commas, e.g. Access-Control-Allow-Headers: content-type, x-api-key",
            ),
            (
                BlockedKind::MethodNotAllowed {
                    allowed: None,
                    wildcard_with_credentials: false,
                },
                "method-not-allowed",
                "the preflight answer does not allow the method PUT (Access-Control-Allow-Methods is absent)",
                "add `PUT` to Access-Control-Allow-Methods in the answer to OPTIONS",
            ),
            (
                BlockedKind::MethodNotAllowed {
                    allowed: Some("*".into()),
                    wildcard_with_credentials: true,
                },
                "method-not-allowed",
                "the preflight answer does not allow the method PUT (Access-Control-Allow-Methods: *); `*` does not count for a request with credentials",
                "add `PUT` to Access-Control-Allow-Methods in the answer to OPTIONS",
            ),
            (
                BlockedKind::HeaderNotAllowed {
                    name: "x-api-key".into(),
                    allowed: Some("content-type".into()),
                    wildcard_with_credentials: false,
                },
                "header-not-allowed",
                "the preflight answer does not allow the request header `x-api-key` (Access-Control-Allow-Headers: content-type)",
                "add `x-api-key` to Access-Control-Allow-Headers in the answer to OPTIONS",
            ),
            (
                BlockedKind::TooManyRedirects,
                "too-many-redirects",
                "the request was redirected more than 20 times",
                "end the redirect loop: the chain must reach a response within 20 redirects",
            ),
            (
                BlockedKind::InvalidRedirect {
                    location: "http://".into(),
                    problem: "has an invalid host \"\"".into(),
                },
                "invalid-redirect",
                "the response redirects to \"http://\", which is not a URL: it has an invalid host \"\"",
                "send a valid absolute or relative URL in Location",
            ),
            (
                BlockedKind::RedirectScheme {
                    location: "data:text/plain,x".into(),
                },
                "redirect-scheme",
                "the response redirects to data:text/plain,x, which is not an http or https URL",
                "redirect to an http or https URL",
            ),
            (
                BlockedKind::RedirectUserinfo {
                    location: "https://u:p@b.example/".into(),
                },
                "redirect-userinfo",
                "the response redirects to https://u:p@b.example/, a URL with a user name or password, which a browser refuses for a CORS request",
                "redirect to a URL without a user name or password",
            ),
            (
                BlockedKind::RedirectNotFollowed {
                    next: "https://b.example/x".into(),
                    next_method: "GET".into(),
                    next_origin: "null".into(),
                },
                "redirect-not-followed",
                "the response redirects to https://b.example/x; a browser follows it as a CORS request from origin null, which this check did not follow",
                "check the next URL: cors check https://b.example/x --origin null --method GET (with the same headers), or follow redirects",
            ),
        ];
        for (kind, code, reason, fix) in cases {
            let blocked = blocked(kind);
            assert_eq!(blocked.code(), code);
            assert_eq!(blocked.reason(), reason, "{code}");
            assert_eq!(blocked.fix(), fix, "{code}");
            assert_eq!(blocked.to_string(), format!("{reason}; {fix}"));
        }
        let mut tainted = blocked(BlockedKind::OriginMismatch {
            stage: Stage::Actual,
            value: "https://app.example".into(),
        });
        tainted.origin = "null".into();
        tainted.tainted = true;
        assert_eq!(
            tainted.reason(),
            "the response has Access-Control-Allow-Origin: https://app.example, which is not the request's origin null (after a cross-origin redirect the browser sends Origin: null)"
        );
    }

    /// Every warning, word for word.
    #[test]
    fn every_warning() {
        let cases = [
            (
                Warning::authorization_wildcard(),
                "authorization-wildcard",
                "`Access-Control-Allow-Headers: *` covers `authorization` only because Chromium and Firefox are laxer than the Fetch standard; this relies on a laxity browsers may drop",
                "name `authorization` explicitly in Access-Control-Allow-Headers",
            ),
            (
                Warning::forbidden_header("Cookie"),
                "forbidden-header",
                "a browser does not let a script set `Cookie` (a forbidden request header); it was left out",
                "do not rely on `Cookie` from a script; the browser sets it, or nothing does",
            ),
            (
                Warning::tainted_origin("https://b.example/x"),
                "tainted-origin",
                "a cross-origin redirect to https://b.example/x made the browser send Origin: null from there on (Chromium also on the new preflight; Firefox sends the page's origin on it), so the server there must allow the origin `null`",
                "let the page call the final URL directly, so that its requests keep their origin",
            ),
            (
                Warning::method_case("patch"),
                "method-case",
                "the method `patch` is sent as written (browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST and PUT), and servers compare methods case-sensitively",
                "write the method as `PATCH`",
            ),
        ];
        for (warning, code, text, fix) in cases {
            assert_eq!(
                (warning.code, warning.text.as_str(), warning.fix.as_str()),
                (code, text, fix)
            );
        }
    }

    fn run(fetch: &mut Fetch, answers: &[Response]) -> Option<Verdict> {
        answers.iter().find_map(|answer| fetch.receive(answer))
    }

    #[test]
    fn the_state_machine_walks_preflight_actual_and_redirects() {
        let origin = "https://app.example";
        let request = Request::new(origin, "patch")
            .header("X-A", "1")
            .header("Cookie", "c=1");
        let mut fetch = Fetch::new("https://api.example/a", request).unwrap();
        assert_eq!(
            fetch.warnings,
            [
                Warning::method_case("patch"),
                Warning::forbidden_header("Cookie")
            ]
        );
        let preflight = fetch.next_request();
        assert_eq!(
            preflight.header("access-control-request-method"),
            Some("patch")
        );
        let ok = Response::new(200)
            .header("access-control-allow-origin", origin)
            .header("access-control-allow-methods", "patch")
            .header("access-control-allow-headers", "x-a");
        assert_eq!(fetch.receive(&ok), None);
        let actual = fetch.next_request();
        assert_eq!(
            (actual.stage, actual.method.as_str()),
            (Stage::Actual, "patch")
        );
        assert_eq!(actual.header("x-a"), Some("1"));
        assert_eq!(actual.header("cookie"), None);
        // A cross-origin 303: the method becomes GET and the origin `null`;
        // `x-a` still needs a preflight.
        let redirect = Response::new(303)
            .header("access-control-allow-origin", origin)
            .header("location", "https://b.example/done");
        assert_eq!(fetch.receive(&redirect), None);
        let next = fetch.next_request();
        assert_eq!(next.stage, Stage::Preflight);
        assert_eq!(next.header("origin"), Some("null"));
        assert_eq!(next.header("access-control-request-method"), Some("GET"));
        let verdict = run(
            &mut fetch,
            &[
                Response::new(204)
                    .header("access-control-allow-origin", "null")
                    .header("access-control-allow-headers", "x-a"),
                Response::new(200)
                    .header("access-control-allow-origin", "*")
                    .header("access-control-expose-headers", "*")
                    .header("x-b", "1")
                    .header("set-cookie", "s=1"),
            ],
        )
        .unwrap();
        assert!(verdict.allowed(), "{verdict:?}");
        assert_eq!(
            verdict.readable_headers,
            [
                "access-control-allow-origin",
                "access-control-expose-headers",
                "x-b"
            ]
        );
        assert_eq!(verdict.url, "https://b.example/done");
        assert_eq!(verdict.warnings.last().unwrap().code, "tainted-origin");
    }

    #[test]
    fn redirect_rules() {
        let origin = "https://app.example";
        let allow = |location: &str| {
            Response::new(302)
                .header("access-control-allow-origin", "*")
                .header("location", location)
        };
        let start = || Fetch::new("https://api.example/a", Request::new(origin, "GET")).unwrap();
        let code = |verdict: Option<Verdict>| verdict.unwrap().blocked.unwrap().code();
        assert_eq!(
            code(start().receive(&allow("ftp://x.example/"))),
            "redirect-scheme"
        );
        assert_eq!(
            code(start().receive(&allow("https://u@x.example/"))),
            "redirect-userinfo"
        );
        assert_eq!(
            code(start().receive(&allow("http://[::1/"))),
            "invalid-redirect"
        );
        let mut looping = start();
        let verdict = (0..=MAX_REDIRECTS).find_map(|_| looping.receive(&allow("/a")));
        assert_eq!(code(verdict), "too-many-redirects");
        // A same-origin request is no CORS request, until a redirect leaves.
        let mut same = Fetch::new("https://app.example/a", Request::new(origin, "PUT")).unwrap();
        assert!(!same.needs_preflight());
        assert_eq!(same.next_request().header("origin"), Some(origin));
        let verdict = same
            .receive(&Response::new(200).header("x-any", "1"))
            .unwrap();
        assert!(verdict.allowed() && !verdict.cors);
        assert_eq!(verdict.readable_headers, ["x-any"]);
        let mut leaving = Fetch::new("https://app.example/a", Request::new(origin, "GET")).unwrap();
        assert_eq!(leaving.next_request().header("origin"), None);
        assert_eq!(
            leaving.receive(&Response::new(302).header("location", "https://api.example/b")),
            None
        );
        let next = leaving.next_request();
        // Redirected from the page's own origin: not tainted.
        assert_eq!(next.header("origin"), Some(origin));
        assert_eq!(
            code(leaving.receive(&Response::new(200))),
            "no-allow-origin"
        );
    }

    #[test]
    fn scripts_cannot_send_everything() {
        let new = |method: &str, name: &str, value: &str| {
            Fetch::new(
                "https://api.example/",
                Request::new("https://app.example", method).header(name, value),
            )
        };
        assert!(new("TRACE", "x", "1").is_err());
        assert!(new("GE T", "x", "1").is_err());
        assert!(new("GET", "x y", "1").is_err());
        assert!(new("GET", "x", "a\nb").is_err());
        assert!(
            Fetch::new(
                "https://api.example/",
                Request::new("https://app.example/", "GET")
            )
            .is_err()
        );
        // A method override naming a forbidden method is left out.
        let fetch = new("POST", "X-HTTP-Method-Override", "TRACE").unwrap();
        assert!(!fetch.needs_preflight());
    }
}
