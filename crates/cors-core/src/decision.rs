//! What the engine tells an adapter to do with a request.
//!
//! A [`Decision`] is plain data borrowed from the policy and the request:
//! whether to answer now or run the handler, which headers to put on the
//! response, which names to add to `Vary`, and, for a refusal, why. An
//! adapter applies it mechanically; it never needs to know the policy.

use std::fmt;

use crate::request::MAX_REQUEST_HEADER_LINES;

/// What the adapter must do with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer now with this status and body; the handler never runs.
    ///
    /// The body is plain text (its `Content-Type` is among the decision's
    /// headers) and empty for an allowed preflight.
    Respond {
        /// The response status: 200 or 204 for an allowed preflight, 403
        /// for a refusal.
        status: u16,
        /// The response body, a fixed text that never contains request bytes.
        body: &'static str,
    },
    /// Run the handler, then add the decision's headers to its response
    /// (including error responses the framework builds itself).
    Forward,
    /// Ask the application's origin lookup about [`Decision::lookup`]'s
    /// origin, then call [`Policy::resolve_lookup`](crate::Policy::resolve_lookup)
    /// with its verdict. Only [`Policy::evaluate_with_lookup`](crate::Policy::evaluate_with_lookup)
    /// returns this; the decision has no headers yet.
    Lookup,
}

/// What an origin lookup is asked: a decision's question, from
/// [`Decision::lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginQuery<'a> {
    origin: &'a str,
    method: &'a str,
    path: &'a str,
}

impl<'a> OriginQuery<'a> {
    /// The origin, serialized and validated (`https://tenant.example`, or
    /// `null` when the policy refers `null` to the lookup).
    pub fn origin(&self) -> &'a str {
        self.origin
    }

    /// The request's method (for a preflight, `OPTIONS`).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request's path.
    pub fn path(&self) -> &'a str {
        self.path
    }
}

/// What kind of request the engine saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// No `Origin` header: not a CORS request.
    NotCors,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight,
    /// Any other request with `Origin`.
    Actual,
}

/// A response header the engine sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseHeader {
    /// `Access-Control-Allow-Origin`
    AllowOrigin,
    /// `Access-Control-Allow-Credentials`
    AllowCredentials,
    /// `Access-Control-Allow-Methods`
    AllowMethods,
    /// `Access-Control-Allow-Headers`
    AllowHeaders,
    /// `Access-Control-Max-Age`
    MaxAge,
    /// `Access-Control-Allow-Private-Network`
    AllowPrivateNetwork,
    /// `Access-Control-Expose-Headers`
    ExposeHeaders,
    /// `Content-Type`, on the engine's own refusal responses.
    ContentType,
}

impl ResponseHeader {
    /// Every CORS response header. An adapter removes these from a
    /// handler's response before applying a decision, so the policy is the
    /// only source of CORS headers.
    pub const CORS: [ResponseHeader; 7] = [
        ResponseHeader::AllowOrigin,
        ResponseHeader::AllowCredentials,
        ResponseHeader::AllowMethods,
        ResponseHeader::AllowHeaders,
        ResponseHeader::MaxAge,
        ResponseHeader::AllowPrivateNetwork,
        ResponseHeader::ExposeHeaders,
    ];

    /// Whether a response header named `name` (in any case) may be one of
    /// [`CORS`](ResponseHeader::CORS): it starts with `Access-Control-`.
    /// Adapters test each name of a handler's response once with it, and
    /// remove the CORS headers only from a response where one matched.
    ///
    /// ```
    /// use cors_core::ResponseHeader;
    ///
    /// assert!(ResponseHeader::may_be_cors(b"Access-Control-Allow-Origin"));
    /// assert!(ResponseHeader::may_be_cors(b"access-control-max-age"));
    /// assert!(!ResponseHeader::may_be_cors(b"vary"));
    /// assert!(!ResponseHeader::may_be_cors(b"access-control"));
    /// ```
    pub fn may_be_cors(name: &[u8]) -> bool {
        name.get(..15)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"access-control-"))
    }

    /// The header name in lower case, as HTTP/2 writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResponseHeader::AllowOrigin => "access-control-allow-origin",
            ResponseHeader::AllowCredentials => "access-control-allow-credentials",
            ResponseHeader::AllowMethods => "access-control-allow-methods",
            ResponseHeader::AllowHeaders => "access-control-allow-headers",
            ResponseHeader::MaxAge => "access-control-max-age",
            ResponseHeader::AllowPrivateNetwork => "access-control-allow-private-network",
            ResponseHeader::ExposeHeaders => "access-control-expose-headers",
            ResponseHeader::ContentType => "content-type",
        }
    }
}

impl fmt::Display for ResponseHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request-header names a response varies on, to be merged into the
/// response's `Vary` header.
///
/// [`Vary::merge`] gives the one value to *append* as a new `Vary` line given
/// the lines already present, so that every name appears once and `Vary: *`
/// is left alone, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vary(u8);

const VARY_NAMES: [&str; 4] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
];

/// Every subset of [`VARY_NAMES`] joined by `, `, indexed by bit set.
const VARY_VALUES: [&str; 16] = [
    "",
    "Origin",
    "Access-Control-Request-Method",
    "Origin, Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Origin, Access-Control-Request-Headers",
    "Access-Control-Request-Method, Access-Control-Request-Headers",
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
    "Origin, Access-Control-Request-Private-Network",
    "Access-Control-Request-Method, Access-Control-Request-Private-Network",
    "Origin, Access-Control-Request-Method, Access-Control-Request-Private-Network",
    "Access-Control-Request-Headers, Access-Control-Request-Private-Network",
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
    "Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
];

impl Vary {
    /// No names.
    pub const NONE: Vary = Vary(0);
    /// `Origin`.
    pub const ORIGIN: Vary = Vary(0b0001);
    /// `Origin, Access-Control-Request-Method, Access-Control-Request-Headers`.
    pub const PREFLIGHT: Vary = Vary(0b0111);
    /// The preflight names plus `Access-Control-Request-Private-Network`.
    pub const PREFLIGHT_PRIVATE_NETWORK: Vary = Vary(0b1111);

    /// Whether there are no names.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names joined by `, `, e.g. `"Origin"`; `""` when empty.
    pub const fn as_str(self) -> &'static str {
        VARY_VALUES[self.0 as usize]
    }

    /// The names one by one.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        VARY_NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, name)| *name)
    }

    /// Given the response's existing `Vary` lines, the value to append as a
    /// new `Vary` line: the names not yet present (compared
    /// case-insensitively), or `None` when all are present, when there are
    /// none, or when an existing line is `*` (which already varies on
    /// everything).
    ///
    /// ```
    /// use cors_core::Vary;
    ///
    /// let existing: [&[u8]; 1] = [b"accept-encoding, origin"];
    /// assert_eq!(
    ///     Vary::PREFLIGHT.merge(existing),
    ///     Some("Access-Control-Request-Method, Access-Control-Request-Headers"),
    /// );
    /// assert_eq!(Vary::ORIGIN.merge([&b"*"[..]]), None);
    /// ```
    pub fn merge<'v>(self, existing: impl IntoIterator<Item = &'v [u8]>) -> Option<&'static str> {
        self.missing(existing).map(Vary::as_str)
    }

    /// [`Vary::merge`]'s names as a set, for the adapters' header values.
    pub(crate) fn missing<'v>(self, existing: impl IntoIterator<Item = &'v [u8]>) -> Option<Vary> {
        let mut missing = self.0;
        for line in existing {
            for name in line.split(|&b| b == b',') {
                let name = crate::header_list::trim_ows(name);
                if name == b"*" {
                    return None;
                }
                for (i, known) in VARY_NAMES.iter().enumerate() {
                    if known.as_bytes().eq_ignore_ascii_case(name) {
                        missing &= !(1 << i);
                    }
                }
            }
        }
        (missing != 0).then_some(Vary(missing))
    }
}

/// Why the engine refused a CORS request: for logs and metrics.
///
/// Values taken from the request are kept as raw bytes; `Display` escapes
/// them and cuts them short, so a refusal can be logged as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal<'a> {
    /// More than one `Origin` header.
    MultipleOrigins,
    /// An `Origin` value that is not `null` or a serialized origin.
    MalformedOrigin(&'a [u8]),
    /// A well-formed origin the policy does not allow.
    OriginNotAllowed(&'a str),
    /// `Access-Control-Request-Method` sent more than once, or not a method.
    MalformedRequestMethod(&'a [u8]),
    /// A method the policy does not allow.
    MethodNotAllowed(&'a str),
    /// `Access-Control-Request-Headers` that is not a list of header names.
    MalformedRequestHeaders,
    /// `Access-Control-Request-Headers` listing more names than the engine
    /// reads ([`MAX_REQUEST_HEADERS`](crate::MAX_REQUEST_HEADERS)).
    TooManyRequestHeaders,
    /// A request header the policy does not allow.
    HeaderNotAllowed(&'a str),
    /// A Private Network Access preflight, and the policy does not allow
    /// private network access.
    PrivateNetworkNotAllowed,
    /// A path that frameworks or proxies may read as another path (a dot
    /// segment, an encoded slash, ...), in a policy with routes: no grant.
    AmbiguousPath(&'a [u8]),
}

/// Why a request was refused, as far as the engine looked.
#[derive(Debug, Clone, Copy)]
enum Why<'a> {
    Known(Refusal<'a>),
    /// An `Origin` value not on the exact list, where nothing else could
    /// allow it: [`Refusal::unlisted`] tells which refusal it is.
    Unlisted(&'a [u8]),
    /// A requested method the policy does not allow: a token (so ASCII),
    /// read as text only when the refusal is asked for.
    MethodNotAllowed(&'a [u8]),
}

impl<'a> Refusal<'a> {
    /// The refusal of an `Origin` value that no rule allows: malformed, or
    /// a well-formed origin not allowed.
    pub(crate) fn unlisted(origin: &'a [u8]) -> Self {
        match crate::origin::parse_request_origin(origin) {
            Some((text, _)) => Refusal::OriginNotAllowed(text),
            None => Refusal::MalformedOrigin(origin),
        }
    }
}

impl Refusal<'_> {
    /// The fixed text of a refusal response body.
    pub const fn body(&self) -> &'static str {
        match self {
            Refusal::MultipleOrigins => "CORS request refused: more than one Origin header\n",
            Refusal::MalformedOrigin(_) => "CORS request refused: malformed Origin header\n",
            Refusal::OriginNotAllowed(_) => "CORS request refused: origin not allowed\n",
            Refusal::MalformedRequestMethod(_) => {
                "CORS preflight refused: malformed Access-Control-Request-Method header\n"
            }
            Refusal::MethodNotAllowed(_) => "CORS preflight refused: method not allowed\n",
            Refusal::MalformedRequestHeaders => {
                "CORS preflight refused: malformed Access-Control-Request-Headers header\n"
            }
            Refusal::TooManyRequestHeaders => {
                "CORS preflight refused: too many names in Access-Control-Request-Headers\n"
            }
            Refusal::HeaderNotAllowed(_) => "CORS preflight refused: request header not allowed\n",
            Refusal::PrivateNetworkNotAllowed => {
                "CORS preflight refused: private network access not allowed\n"
            }
            Refusal::AmbiguousPath(_) => "CORS request refused: ambiguous path\n",
        }
    }
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::MultipleOrigins => f.write_str("more than one Origin header"),
            Refusal::MalformedOrigin(v) => write!(f, "malformed Origin \"{}\"", Escaped(v)),
            Refusal::OriginNotAllowed(v) => {
                write!(f, "origin \"{}\" not allowed", Escaped(v.as_bytes()))
            }
            Refusal::MalformedRequestMethod(v) => {
                write!(
                    f,
                    "malformed Access-Control-Request-Method \"{}\"",
                    Escaped(v)
                )
            }
            Refusal::MethodNotAllowed(v) => {
                write!(f, "method \"{}\" not allowed", Escaped(v.as_bytes()))
            }
            Refusal::MalformedRequestHeaders => {
                f.write_str("malformed Access-Control-Request-Headers")
            }
            Refusal::TooManyRequestHeaders => write!(
                f,
                "more than {} names in Access-Control-Request-Headers",
                crate::MAX_REQUEST_HEADERS
            ),
            Refusal::HeaderNotAllowed(v) => {
                write!(
                    f,
                    "request header \"{}\" not allowed",
                    Escaped(v.as_bytes())
                )
            }
            Refusal::PrivateNetworkNotAllowed => f.write_str("private network access not allowed"),
            Refusal::AmbiguousPath(v) => write!(f, "ambiguous path \"{}\"", Escaped(v)),
        }
    }
}

/// Request bytes made safe for a log line: printable ASCII as is (with `"`
/// and `\` escaped), everything else as `\xNN`, and at most
/// [`Escaped::LIMIT`] bytes followed by `...`.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a [u8]);

impl Escaped<'_> {
    /// How many bytes are shown.
    pub const LIMIT: usize = 128;
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for &b in self.0.iter().take(Self::LIMIT) {
            match b {
                b'"' | b'\\' => {
                    f.write_char('\\')?;
                    f.write_char(char::from(b))?;
                }
                0x20..=0x7e => f.write_char(char::from(b))?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        if self.0.len() > Self::LIMIT {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// At most this many headers: the preflight set plus one
/// `Access-Control-Allow-Headers` line per request line.
const MAX_HEADERS: usize = 6 + MAX_REQUEST_HEADER_LINES;

/// The free header slots of a new decision, copied from memory: written
/// out in place, as a constant array is, they took three stores a slot,
/// some 450 bytes of code that every request ran (see the hot code in
/// BENCHMARKS.md).
static NO_HEADERS: [(ResponseHeader, &str); MAX_HEADERS] =
    [(ResponseHeader::AllowOrigin, ""); MAX_HEADERS];

/// The engine's answer for one request. See the [crate docs](crate) for how
/// an adapter applies it.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub(crate) kind: RequestKind,
    pub(crate) action: Action,
    headers: [(ResponseHeader, &'a str); MAX_HEADERS],
    len: usize,
    pub(crate) vary: Vary,
    refusal: Option<Why<'a>>,
    lookup: Option<OriginQuery<'a>>,
    #[cfg(feature = "http")]
    pub(crate) http: &'a crate::http_support::PolicyValues,
    /// The request's values this decision may echo (feature `http`).
    #[cfg(feature = "http")]
    pub(crate) echoes: crate::http_support::Echoes<'a>,
}

impl<'a> Decision<'a> {
    /// Lets the responses the decision builds share the values of
    /// `request` it echoes (with feature `http`; set in place: a decision
    /// is large to move).
    #[inline]
    pub(crate) fn echo_from(&mut self, request: &crate::RequestParts<'a>) {
        #[cfg(feature = "http")]
        {
            self.echoes = request.echoes;
        }
        #[cfg(not(feature = "http"))]
        let _ = request;
    }

    pub(crate) fn new(
        kind: RequestKind,
        vary: Vary,
        #[cfg(feature = "http")] http: &'a crate::http_support::PolicyValues,
    ) -> Self {
        Decision {
            kind,
            action: Action::Forward,
            headers: NO_HEADERS,
            len: 0,
            vary,
            refusal: None,
            lookup: None,
            #[cfg(feature = "http")]
            http,
            #[cfg(feature = "http")]
            echoes: crate::http_support::Echoes::NONE,
        }
    }

    /// Turns the decision into a question for the origin lookup.
    pub(crate) fn ask(&mut self, origin: &'a str, request: &crate::RequestParts<'a>) {
        self.len = 0;
        self.action = Action::Lookup;
        self.lookup = Some(OriginQuery {
            origin,
            method: request.method(),
            path: request.path(),
        });
    }

    pub(crate) fn push(&mut self, name: ResponseHeader, value: &'a str) {
        // The capacity covers every header the engine sets; the bound is
        // checked by the type's users in tests.
        if let Some(slot) = self.headers.get_mut(self.len) {
            *slot = (name, value);
            self.len += 1;
        }
    }

    pub(crate) fn refuse(&mut self, refusal: Refusal<'a>, respond: bool) {
        self.len = 0;
        self.refusal = Some(Why::Known(refusal));
        if respond {
            self.action = Action::Respond {
                status: 403,
                body: refusal.body(),
            };
            self.push(ResponseHeader::ContentType, "text/plain; charset=utf-8");
        }
    }

    /// Refuses a request from `origin`, a value that no rule but
    /// the exact list could allow and that the list does not hold. Whether
    /// it is malformed or only not allowed changes nothing in the answer
    /// unless the engine responds itself, so the value is parsed only then,
    /// or when [`refusal`](Self::refusal) is asked.
    pub(crate) fn refuse_unlisted(&mut self, origin: &'a [u8], respond: bool) {
        if respond {
            self.refuse(Refusal::unlisted(origin), true);
        } else {
            self.len = 0;
            self.refusal = Some(Why::Unlisted(origin));
        }
    }

    /// Refuses a preflight for its requested `method`, a token the policy
    /// does not allow. The answer does not show the method, so its bytes
    /// are read as text only when [`refusal`](Self::refusal) is asked.
    pub(crate) fn refuse_method(&mut self, method: &'a [u8], respond: bool) {
        self.refuse(Refusal::MethodNotAllowed(""), respond);
        self.refusal = Some(Why::MethodNotAllowed(method));
    }

    /// What kind of request this was.
    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    /// Whether to answer now or run the handler.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The headers to set, in order. A name may repeat
    /// (`Access-Control-Allow-Headers` echoes each request line): append
    /// every pair rather than replacing.
    pub fn headers(&self) -> &[(ResponseHeader, &'a str)] {
        &self.headers[..self.len]
    }

    /// The value of `name`, when set once or more (the first).
    pub fn header(&self, name: ResponseHeader) -> Option<&'a str> {
        self.headers()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The names to merge into the response's `Vary` header, with
    /// [`Vary::merge`].
    pub fn vary(&self) -> Vary {
        self.vary
    }

    /// Why the request was refused, if it was. `None` for allowed CORS
    /// requests and for requests that are not CORS requests.
    pub fn refusal(&self) -> Option<Refusal<'a>> {
        self.refusal.map(|why| match why {
            Why::Known(refusal) => refusal,
            Why::Unlisted(origin) => Refusal::unlisted(origin),
            Why::MethodNotAllowed(method) => {
                Refusal::MethodNotAllowed(std::str::from_utf8(method).unwrap_or_default())
            }
        })
    }

    /// Whether the CORS request was allowed (`false` for a request that is
    /// not a CORS request, and for one waiting on the origin lookup).
    pub fn is_allowed(&self) -> bool {
        self.kind != RequestKind::NotCors && self.refusal.is_none() && self.lookup.is_none()
    }

    /// For a decision whose action is [`Action::Lookup`], what to ask the
    /// origin lookup; `None` otherwise.
    pub fn lookup(&self) -> Option<OriginQuery<'a>> {
        self.lookup
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_values_match_their_bits() {
        for bits in 0..16u8 {
            let joined: Vec<_> = Vary(bits).names().collect();
            assert_eq!(Vary(bits).as_str(), joined.join(", "), "{bits:#06b}");
        }
    }

    #[test]
    fn vary_merge() {
        assert_eq!(Vary::ORIGIN.merge([]), Some("Origin"));
        assert_eq!(
            Vary::ORIGIN.merge([&b"Accept-Encoding"[..]]),
            Some("Origin")
        );
        assert_eq!(Vary::ORIGIN.merge([&b"accept-encoding,ORIGIN"[..]]), None);
        assert_eq!(Vary::ORIGIN.merge([&b"accept-encoding"[..], b" * "]), None);
        assert_eq!(Vary::NONE.merge([]), None);
        assert_eq!(
            Vary::PREFLIGHT_PRIVATE_NETWORK.merge([&b"access-control-request-method"[..]]),
            Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Private-Network")
        );
        // A name that merely contains a known one is not that name.
        assert_eq!(Vary::ORIGIN.merge([&b"x-origin"[..]]), Some("Origin"));
    }

    #[test]
    fn escaped_is_printable_and_bounded() {
        assert_eq!(
            Escaped(b"a\"b\\c\r\n\xff").to_string(),
            "a\\\"b\\\\c\\x0d\\x0a\\xff"
        );
        let long = Escaped(&[b'a'; 1000]).to_string();
        assert_eq!(long.len(), Escaped::LIMIT + 3);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn refusal_display_escapes_request_bytes() {
        let shown = Refusal::MalformedOrigin(b"https://a\r\nSet-Cookie: x").to_string();
        assert!(!shown.contains('\r') && !shown.contains('\n'), "{shown}");
        assert!(Refusal::MethodNotAllowed("PATCH").body().ends_with('\n'));
    }
}
