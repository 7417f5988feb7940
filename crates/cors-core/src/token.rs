//! HTTP tokens and the fixed name lists of the Fetch standard.
//!
//! Method and header names are `token`s (RFC 9110, section 5.6.2). The lists
//! below are the ones a browser applies: a name a script cannot set never
//! reaches a preflight, and a name the browser always sends needs no grant.

/// Whether `b` may appear in an HTTP token (`tchar`).
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// [`is_tchar`] for every byte: one load per byte where the `matches!`
/// takes a chain of comparisons (preflights check every requested name).
pub(crate) const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_tchar(b as u8);
        b += 1;
    }
    table
};

/// Whether `bytes` is a non-empty HTTP token.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| TCHAR[usize::from(b)])
}

/// Methods a browser never lets a script send.
pub(crate) const FORBIDDEN_METHODS: [&str; 3] = ["CONNECT", "TRACE", "TRACK"];

/// Methods a browser upper-cases whatever case a script wrote them in, so the
/// lower-case spelling never arrives.
pub(crate) const NORMALIZED_METHODS: [&str; 6] =
    ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/// CORS-safelisted methods: allowed without being named.
pub(crate) const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// Request headers always allowed (the CORS-safelisted request-header names
/// that can still appear in `Access-Control-Request-Headers` when their value
/// breaks a safelist rule).
pub(crate) const SAFELISTED_REQUEST_HEADERS: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// Request-header names a script cannot set (Fetch, "forbidden request-header").
const FORBIDDEN_REQUEST_HEADERS: [&str; 21] = [
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

/// Whether a (lower-case) header name is a forbidden request-header name.
pub(crate) fn is_forbidden_request_header(lower: &str) -> bool {
    FORBIDDEN_REQUEST_HEADERS.contains(&lower)
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
}

/// Whether a (lower-case) response-header name can never be exposed.
pub(crate) fn is_forbidden_response_header(lower: &str) -> bool {
    matches!(lower, "set-cookie" | "set-cookie2")
}

/// Whether a method is CORS-safelisted (case-sensitive, as browsers compare).
pub(crate) fn is_safelisted_method(method: &[u8]) -> bool {
    SAFELISTED_METHODS.iter().any(|m| m.as_bytes() == method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(is_token(b"X-Custom_1"));
        assert!(is_token(b"*"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(!is_token(b"caf\xc3\xa9"));
    }

    #[test]
    fn forbidden_request_headers() {
        for name in [
            "cookie",
            "host",
            "origin",
            "sec-fetch-mode",
            "proxy-authorization",
        ] {
            assert!(is_forbidden_request_header(name), "{name}");
        }
        assert!(!is_forbidden_request_header("authorization"));
        assert!(!is_forbidden_request_header("x-cookie"));
    }

    #[test]
    fn safelists_are_case_sensitive_where_browsers_are() {
        assert!(is_safelisted_method(b"GET"));
        assert!(!is_safelisted_method(b"get"));
    }
}
