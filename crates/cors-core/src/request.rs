//! What the engine reads of a request.
//!
//! Only the method, the path (for origin predicates) and four headers matter
//! to CORS. [`RequestParts`] borrows them from whatever the framework holds,
//! in fixed-size storage, so building it never allocates whatever the request
//! contains.

/// How many `Access-Control-Request-Headers` lines are read. Browsers send
/// one; intermediaries may split it. A request with more is refused.
pub const MAX_REQUEST_HEADER_LINES: usize = 8;

/// The CORS-relevant parts of a request, borrowed from the framework's own
/// request type.
///
/// Build it with [`RequestParts::new`] and feed it headers with
/// [`add_header`](RequestParts::add_header) (any header may be passed; the
/// ones CORS does not read are ignored), or with [`from_headers`](RequestParts::from_headers).
///
/// ```
/// use cors_core::RequestParts;
///
/// let mut request = RequestParts::new("OPTIONS");
/// request.add_header("Origin", b"https://app.example.com");
/// request.add_header("Access-Control-Request-Method", b"PUT");
/// request.add_header("Content-Length", b"0"); // not read
/// assert!(request.is_preflight());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    method: &'a str,
    path: &'a str,
    pub(crate) origin: Field<'a>,
    pub(crate) request_method: Field<'a>,
    pub(crate) request_headers: Lines<'a>,
    pub(crate) request_private_network: PrivateNetwork,
    /// The `http` values a decision may echo, when the parts were read
    /// from an `http` header map.
    #[cfg(feature = "http")]
    pub(crate) echoes: crate::http_support::Echoes<'a>,
}

/// A header that may appear at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    Absent,
    One(&'a [u8]),
    Many,
}

impl<'a> Field<'a> {
    pub(crate) fn push(&mut self, value: &'a [u8]) {
        *self = match self {
            Field::Absent => Field::One(value),
            _ => Field::Many,
        };
    }
}

/// `Access-Control-Request-Private-Network`: only whether it is one line
/// reading `true` matters, so its bytes are not kept (the parts, copied
/// whole on their way through an adapter, stay small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateNetwork {
    Absent,
    /// One line, `true`.
    True,
    /// Any other value, or more than one line.
    Other,
}

impl PrivateNetwork {
    pub(crate) fn push(&mut self, value: &[u8]) {
        *self = match self {
            PrivateNetwork::Absent if value == b"true" => PrivateNetwork::True,
            _ => PrivateNetwork::Other,
        };
    }
}

/// The lines of a list-valued header, up to [`MAX_REQUEST_HEADER_LINES`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lines<'a> {
    // `None` rather than an empty slice in the free slots: a value of all
    // zero bytes is set with a few stores, where empty slices (a dangling,
    // non-null pointer each) were copied from a constant with `memcpy`.
    lines: [Option<&'a [u8]>; MAX_REQUEST_HEADER_LINES],
    len: usize,
    /// More lines arrived than are kept.
    pub(crate) overflow: bool,
}

impl<'a> Lines<'a> {
    const EMPTY: Lines<'static> = Lines {
        lines: [None; MAX_REQUEST_HEADER_LINES],
        len: 0,
        overflow: false,
    };

    pub(crate) fn push(&mut self, value: &'a [u8]) {
        match self.lines.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(value);
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// The lines kept, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.lines[..self.len]
            .iter()
            .map(|line| line.unwrap_or_default())
    }
}

impl<'a> RequestParts<'a> {
    /// Starts a request with its method, as sent (methods are case-sensitive).
    pub fn new(method: &'a str) -> Self {
        RequestParts {
            method,
            path: "",
            origin: Field::Absent,
            request_method: Field::Absent,
            request_headers: Lines::EMPTY,
            request_private_network: PrivateNetwork::Absent,
            #[cfg(feature = "http")]
            echoes: crate::http_support::Echoes::NONE,
        }
    }

    /// Sets the request path, which origin predicates may read.
    pub fn with_path(mut self, path: &'a str) -> Self {
        self.path = path;
        self
    }

    /// Builds the parts from a method and every header line of the request.
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let headers = [("origin", &b"https://a.example"[..]), ("accept", b"*/*")];
    /// let request = RequestParts::from_headers("GET", headers);
    /// assert_eq!(request.origin(), Some(&b"https://a.example"[..]));
    /// ```
    pub fn from_headers<I, N>(method: &'a str, headers: I) -> Self
    where
        I: IntoIterator<Item = (N, &'a [u8])>,
        N: AsRef<str>,
    {
        let mut parts = RequestParts::new(method);
        for (name, value) in headers {
            parts.add_header(name.as_ref(), value);
        }
        parts
    }

    /// Records one header line. Call it once per line, in order: a header
    /// sent twice counts twice. Names compare case-insensitively; headers
    /// CORS does not read are ignored.
    pub fn add_header(&mut self, name: &str, value: &'a [u8]) {
        // All four names start with a letter that no other common header
        // shares at their length, but the full comparison is cheap enough.
        match name.len() {
            6 if name.eq_ignore_ascii_case("origin") => self.origin.push(value),
            29 if name.eq_ignore_ascii_case("access-control-request-method") => {
                self.request_method.push(value)
            }
            30 if name.eq_ignore_ascii_case("access-control-request-headers") => {
                self.request_headers.push(value)
            }
            38 if name.eq_ignore_ascii_case("access-control-request-private-network") => {
                self.request_private_network.push(value)
            }
            _ => {}
        }
    }

    /// The request method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request path, or `""` when the adapter did not set it.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The `Origin` value, when exactly one was sent.
    pub fn origin(&self) -> Option<&'a [u8]> {
        match self.origin {
            Field::One(value) => Some(value),
            _ => None,
        }
    }

    /// Whether this is a CORS request: one with `Origin` (one line or
    /// more). The engine never answers a request without it, so an adapter
    /// may let such a request through without evaluating it first.
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let mut request = RequestParts::new("GET");
    /// assert!(!request.is_cors());
    /// request.add_header("origin", b"https://a.example");
    /// assert!(request.is_cors());
    /// ```
    pub fn is_cors(&self) -> bool {
        self.origin != Field::Absent
    }

    /// Whether the engine reads this request's
    /// `Access-Control-Request-*` headers: only for an `OPTIONS` request
    /// with `Origin` (a preflight candidate). An adapter that looks headers
    /// up one by one can skip those three lookups when this is `false`,
    /// after adding `Origin`.
    ///
    /// ```
    /// use cors_core::RequestParts;
    ///
    /// let mut request = RequestParts::new("GET");
    /// request.add_header("origin", b"https://a.example");
    /// assert!(!request.reads_preflight_headers());
    /// ```
    pub fn reads_preflight_headers(&self) -> bool {
        self.method == "OPTIONS" && self.is_cors()
    }

    /// Whether this is a CORS-preflight request: `OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`. An `OPTIONS` request without
    /// `Access-Control-Request-Method` is an ordinary request.
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.is_cors() && self.request_method != Field::Absent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_cors_headers_in_any_case() {
        let mut r = RequestParts::new("OPTIONS").with_path("/x");
        r.add_header("ORIGIN", b"https://a.example");
        r.add_header("Access-Control-Request-Method", b"PUT");
        r.add_header("access-control-request-headers", b"a");
        r.add_header("Access-Control-Request-Headers", b"b");
        r.add_header("Access-Control-Request-Private-Network", b"true");
        r.add_header("origin-x", b"ignored");
        assert_eq!(r.origin(), Some(&b"https://a.example"[..]));
        assert_eq!(r.request_method, Field::One(b"PUT"));
        assert_eq!(
            r.request_headers.iter().collect::<Vec<_>>(),
            [&b"a"[..], b"b"]
        );
        assert_eq!(r.request_private_network, PrivateNetwork::True);
        assert_eq!(r.path(), "/x");
        assert!(r.is_preflight());
    }

    #[test]
    fn private_network_is_true_only_for_one_line_reading_true() {
        let lines_of = |values: &[&'static [u8]]| {
            let mut r = RequestParts::new("OPTIONS");
            for v in values {
                r.add_header("access-control-request-private-network", v);
            }
            r.request_private_network
        };
        assert_eq!(lines_of(&[]), PrivateNetwork::Absent);
        assert_eq!(lines_of(&[b"true"]), PrivateNetwork::True);
        assert_eq!(lines_of(&[b"TRUE"]), PrivateNetwork::Other);
        assert_eq!(lines_of(&[b"false"]), PrivateNetwork::Other);
        assert_eq!(lines_of(&[b"true", b"true"]), PrivateNetwork::Other);
        assert_eq!(lines_of(&[b"false", b"true"]), PrivateNetwork::Other);
    }

    #[test]
    fn repeated_single_headers_are_many() {
        let mut r = RequestParts::new("GET");
        r.add_header("origin", b"https://a.example");
        r.add_header("origin", b"https://a.example");
        assert_eq!(r.origin, Field::Many);
        assert_eq!(r.origin(), None);
    }

    #[test]
    fn keeps_a_bounded_number_of_lines() {
        let mut r = RequestParts::new("OPTIONS");
        for _ in 0..MAX_REQUEST_HEADER_LINES {
            r.add_header("access-control-request-headers", b"x");
        }
        assert!(!r.request_headers.overflow);
        r.add_header("access-control-request-headers", b"x");
        assert!(r.request_headers.overflow);
        assert_eq!(r.request_headers.iter().count(), MAX_REQUEST_HEADER_LINES);
    }

    #[test]
    fn preflight_needs_options_origin_and_request_method() {
        let mut r = RequestParts::new("OPTIONS");
        r.add_header("origin", b"https://a.example");
        assert!(!r.is_preflight());
        let mut r = RequestParts::new("options");
        r.add_header("origin", b"https://a.example");
        r.add_header("access-control-request-method", b"PUT");
        assert!(!r.is_preflight());
    }
}
