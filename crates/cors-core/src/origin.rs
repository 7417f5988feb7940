//! Serialized origins: the one syntax the engine compares.
//!
//! A browser sends the *serialization* of an origin: a lower-case scheme,
//! `://`, a lower-case ASCII host, and a port only when it is not the
//! scheme's default; never a path, a trailing slash or user information.
//! Configuration is held to the same syntax (with two wildcards on top), so
//! that a configured origin and a request's origin can be compared byte for
//! byte. Anything else in a request is not an origin a browser produced and
//! is refused; anything else in configuration could never match and is
//! reported with the fix.

use std::fmt;

/// The longest `Origin` value the engine reads. A DNS name is at most 253
/// bytes; this leaves room for any scheme and port and refuses megabyte
/// values before looking at them.
pub(crate) const MAX_ORIGIN_LEN: usize = 512;

/// A parsed origin (or configured origin pattern), borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin<'a> {
    /// `https`, `http`, ...
    pub scheme: &'a str,
    /// The host as written; for a subdomain pattern, the parent domain
    /// (`example.com` for `*.example.com`).
    pub host: &'a str,
    /// The port.
    pub port: Port<'a>,
    /// Whether the host is a domain name (as opposed to an IP address).
    pub is_domain: bool,
    /// Whether the host was written `*.parent` (configuration only).
    pub any_subdomain: bool,
}

/// The port part of an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Port<'a> {
    /// No port: the scheme's default.
    Default,
    /// An explicit, non-default port, as written.
    Number(&'a str),
    /// `:*`, any port including the default (configuration only).
    Any,
}

/// Why a string is not a serialized origin (or origin pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginProblem {
    /// The value is empty.
    Empty,
    /// The value is longer than any origin a browser sends.
    TooLong,
    /// There is no `scheme://`.
    MissingScheme,
    /// The scheme has characters outside `a-z 0-9 + - .` or does not start
    /// with a letter.
    InvalidScheme,
    /// The value has upper-case letters; browsers send origins in lower case.
    UpperCase,
    /// The value has `user@` before the host.
    Userinfo,
    /// The value ends with `/`.
    TrailingSlash,
    /// The value has a path.
    Path,
    /// The value has a `?query`.
    Query,
    /// The value has a `#fragment`.
    Fragment,
    /// The host is empty.
    EmptyHost,
    /// The host has non-ASCII characters; browsers send the punycode form.
    NonAsciiHost,
    /// The host has a character that no serialized host contains, or an
    /// empty label.
    InvalidHost,
    /// The port is not a number from 0 to 65535 written without leading
    /// zeros.
    InvalidPort,
    /// The port is the scheme's default, which browsers leave out.
    DefaultPort,
    /// A `*` somewhere other than a leading `*.` label or a `:*` port.
    MisplacedWildcard,
    /// `*.` directly over a top-level domain (or any single label).
    WildcardOverTopLevelDomain,
    /// `*.` over an IP address.
    WildcardOverIpAddress,
}

impl OriginProblem {
    /// A sentence saying what is wrong with `value` and how to fix it.
    pub(crate) fn explain(self, value: &str) -> String {
        use OriginProblem::*;
        match self {
            Empty => "an empty string is not an origin; remove it".to_owned(),
            TooLong => format!(
                "it is longer than {MAX_ORIGIN_LEN} bytes, longer than any origin a browser sends"
            ),
            MissingScheme => format!(
                "it has no scheme; write it as a browser sends it, e.g. \"https://{}\"",
                value.trim_end_matches('/')
            ),
            InvalidScheme => "the scheme must start with a letter and contain only a-z, 0-9, `+`, `-` and `.`".to_owned(),
            UpperCase => format!(
                "browsers send origins in lower case, so it would never match; write \"{}\"",
                value.to_ascii_lowercase()
            ),
            Userinfo => "an origin has no `user@` part; remove it".to_owned(),
            TrailingSlash => format!(
                "an origin has no trailing slash, so it would never match; write \"{}\"",
                value.trim_end_matches('/')
            ),
            Path => format!(
                "an origin has no path, so it would never match; write \"{}\"",
                strip_after_authority(value)
            ),
            Query => format!(
                "an origin has no query, so it would never match; write \"{}\"",
                strip_after_authority(value)
            ),
            Fragment => format!(
                "an origin has no fragment, so it would never match; write \"{}\"",
                strip_after_authority(value)
            ),
            EmptyHost => "the host is empty".to_owned(),
            NonAsciiHost => "browsers send internationalized hosts in their ASCII (punycode) form, e.g. \"https://xn--bcher-kva.example\"; write that form".to_owned(),
            InvalidHost => "the host may contain only a-z, 0-9, `-`, `_` and dots between non-empty labels, or be a bracketed IPv6 address".to_owned(),
            InvalidPort => "the port must be a number from 0 to 65535 without leading zeros, or `*` for any port".to_owned(),
            DefaultPort => format!(
                "browsers leave out the scheme's default port, so it would never match; write \"{}\"",
                value.rsplit_once(':').map_or(value, |(head, _)| head)
            ),
            MisplacedWildcard => "`*` may only stand alone (any origin), as the whole first label of the host (`https://*.example.com`, any subdomain) or as the port (`http://localhost:*`); use allow_origin_regex for anything else".to_owned(),
            WildcardOverTopLevelDomain => "a subdomain wildcard must sit below a registrable domain (`https://*.example.com`), never directly over a top-level domain".to_owned(),
            WildcardOverIpAddress => "an IP address has no subdomains; list the exact origin instead".to_owned(),
        }
    }
}

impl fmt::Display for OriginProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain(""))
    }
}

/// Everything of `value` up to the end of its authority.
fn strip_after_authority(value: &str) -> &str {
    let start = value.find("://").map_or(0, |i| i + 3);
    match value[start..].find(['/', '?', '#']) {
        Some(end) => &value[..start + end],
        None => value,
    }
}

/// Parses an `Origin` request value into its text and parts. `None` for
/// anything a browser would not send, including `null` (handled by the
/// caller).
///
/// This is the per-request path, so it reads the bytes once, left to
/// right; it accepts exactly what [`parse_pattern`] accepts without
/// wildcards (a test holds the two together), but says only yes or no.
pub(crate) fn parse_request_origin(bytes: &[u8]) -> Option<(&str, Origin<'_>)> {
    if bytes.len() > MAX_ORIGIN_LEN {
        return None;
    }
    let at = |i: usize| bytes.get(i).copied();
    // scheme = lower *( lower / digit / "+" / "-" / "." ), then "://"
    if !at(0)?.is_ascii_lowercase() {
        return None;
    }
    let mut i = 1;
    while let Some(b'a'..=b'z' | b'0'..=b'9' | b'+' | b'-' | b'.') = at(i) {
        i += 1;
    }
    let scheme_end = i;
    if bytes.get(i..i + 3)? != b"://" {
        return None;
    }
    i += 3;
    let host_start = i;
    let is_domain = if at(i) == Some(b'[') {
        i += 1;
        let inner = i;
        while let Some(b'0'..=b'9' | b'a'..=b'f' | b':' | b'.') = at(i) {
            i += 1;
        }
        if i == inner || at(i) != Some(b']') {
            return None;
        }
        i += 1;
        false
    } else {
        // Non-empty labels of a-z 0-9 - _, separated by single dots.
        let mut label_len = 0;
        let mut numeric = true;
        loop {
            match at(i) {
                Some(b'a'..=b'z' | b'-' | b'_') => {
                    label_len += 1;
                    numeric = false;
                }
                Some(b'0'..=b'9') => label_len += 1,
                Some(b'.') if label_len > 0 => {
                    label_len = 0;
                    numeric = true;
                }
                _ => break,
            }
            i += 1;
        }
        if label_len == 0 {
            return None;
        }
        // A host whose last label is numeric is parsed as IPv4 by browsers.
        !numeric
    };
    let host_end = i;
    let port_digits = match at(i) {
        None => None,
        Some(b':') => Some(&bytes[i + 1..]),
        Some(_) => return None,
    };
    // Everything up to here was ASCII, and the port is checked below.
    let text = std::str::from_utf8(bytes).ok()?;
    let scheme = &text[..scheme_end];
    let port = match port_digits {
        None => Port::Default,
        Some(digits) => {
            let valid = (1..=5).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && (digits == b"0" || digits[0] != b'0')
                && digits
                    .iter()
                    .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
                    <= 65535;
            let port = &text[host_end + 1..];
            if !valid || default_port(scheme) == Some(port) {
                return None;
            }
            Port::Number(port)
        }
    };
    let origin = Origin {
        scheme,
        host: &text[host_start..host_end],
        port,
        is_domain,
        any_subdomain: false,
    };
    Some((text, origin))
}

/// Parses a configured origin pattern (not `*` or `null`, handled by the
/// caller).
pub(crate) fn parse_pattern(text: &str) -> Result<Origin<'_>, OriginProblem> {
    parse(text, true)
}

fn parse(text: &str, wildcards: bool) -> Result<Origin<'_>, OriginProblem> {
    use OriginProblem::*;
    if text.is_empty() {
        return Err(Empty);
    }
    if text.len() > MAX_ORIGIN_LEN {
        return Err(TooLong);
    }
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(UpperCase);
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(MissingScheme);
    };
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && scheme_bytes.all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')
        });
    if !scheme_ok {
        return Err(InvalidScheme);
    }
    // The authority ends at the first `/`, `?` or `#`.
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(Userinfo);
    }
    match tail.as_bytes().first() {
        None => {}
        Some(b'/') if tail == "/" => return Err(TrailingSlash),
        Some(b'/') => return Err(Path),
        Some(b'?') => return Err(Query),
        _ => return Err(Fragment),
    }
    let (host, port) = split_port(authority)?;
    let port = match port {
        None => Port::Default,
        Some("*") if wildcards => Port::Any,
        Some(p) if p.contains('*') => return Err(MisplacedWildcard),
        Some(p) => {
            let valid = !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
                && p.parse::<u32>().is_ok_and(|n| n <= 65535);
            if !valid {
                return Err(InvalidPort);
            }
            if default_port(scheme) == Some(p) {
                return Err(DefaultPort);
            }
            Port::Number(p)
        }
    };
    let (host, any_subdomain) = match host.strip_prefix("*.") {
        Some(parent) if wildcards => (parent, true),
        _ => (host, false),
    };
    if host.contains('*') {
        return Err(MisplacedWildcard);
    }
    let is_domain = check_host(host)?;
    if any_subdomain {
        if !is_domain {
            return Err(WildcardOverIpAddress);
        }
        if !host.contains('.') {
            return Err(WildcardOverTopLevelDomain);
        }
    }
    Ok(Origin {
        scheme,
        host,
        port,
        is_domain,
        any_subdomain,
    })
}

/// Splits `host[:port]`, minding the colons of a bracketed IPv6 address.
fn split_port(authority: &str) -> Result<(&str, Option<&str>), OriginProblem> {
    if authority.starts_with('[') {
        let Some(end) = authority.find(']') else {
            return Err(OriginProblem::InvalidHost);
        };
        let (host, after) = authority.split_at(end + 1);
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(OriginProblem::InvalidHost),
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// Checks a host; `Ok(true)` for a domain name, `Ok(false)` for an IP address.
fn check_host(host: &str) -> Result<bool, OriginProblem> {
    use OriginProblem::*;
    if host.is_empty() {
        return Err(EmptyHost);
    }
    if !host.is_ascii() {
        return Err(NonAsciiHost);
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(InvalidHost)?;
        let valid = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
        return if valid { Ok(false) } else { Err(InvalidHost) };
    }
    let mut last_label = "";
    for label in host.split('.') {
        let valid = !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'));
        if !valid {
            return Err(InvalidHost);
        }
        last_label = label;
    }
    // A host whose last label is numeric is parsed as IPv4 by browsers.
    Ok(!last_label.bytes().all(|b| b.is_ascii_digit()))
}

/// The default port of the schemes browsers treat as special.
fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "http" | "ws" => Some("80"),
        "https" | "wss" => Some("443"),
        "ftp" => Some("21"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OriginProblem::*;

    fn problem(text: &str) -> OriginProblem {
        parse_pattern(text).expect_err(text)
    }

    #[test]
    fn accepts_serialized_origins() {
        let (text, o) = parse_request_origin(b"https://api.example.com:8443").unwrap();
        assert_eq!(text, "https://api.example.com:8443");
        assert_eq!(
            (o.scheme, o.host, o.port),
            ("https", "api.example.com", Port::Number("8443"))
        );
        assert!(o.is_domain);
        let (_, o) = parse_request_origin(b"http://[::1]:3000").unwrap();
        assert_eq!(
            (o.host, o.port, o.is_domain),
            ("[::1]", Port::Number("3000"), false)
        );
        let (_, o) = parse_request_origin(b"http://127.0.0.1").unwrap();
        assert!(!o.is_domain);
        assert!(parse_request_origin(b"chrome-extension://abcdef").is_some());
    }

    #[test]
    fn refuses_what_browsers_never_send() {
        for bad in [
            &b""[..],
            b"https://example.com/",
            b"https://example.com/path",
            b"https://Example.com",
            b"HTTPS://example.com",
            b"https://example.com:443",
            b"http://example.com:80",
            b"https://example.com:0443",
            b"https://example.com:99999",
            b"https://example.com:",
            b"https://user@example.com",
            b"https://exa mple.com",
            b" https://example.com",
            b"https://example.com?x",
            b"https://example.com#x",
            b"https://example..com",
            b"https://.example.com",
            b"https://*.example.com",
            b"http://localhost:*",
            b"https://ex\xffample.com",
            b"https://caf\xc3\xa9.example",
            b"example.com",
            b"1http://example.com",
            b"http://[::1",
            b"http://[::1]x",
        ] {
            assert!(
                parse_request_origin(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!("https://{}.com", "a".repeat(MAX_ORIGIN_LEN));
        assert!(parse_request_origin(long.as_bytes()).is_none());
    }

    /// The one-pass request parser accepts exactly what the pattern parser
    /// accepts without wildcards, with the same parts.
    #[test]
    fn request_parser_agrees_with_pattern_parser() {
        use proptest::prelude::*;
        let alphabet = prop::sample::select(vec![
            "h",
            "t",
            "p",
            "s",
            ":",
            "/",
            "//",
            "://",
            "a",
            "Z",
            "0",
            "9",
            "8",
            ".",
            "-",
            "_",
            "[",
            "]",
            "::1",
            "@",
            "?",
            "#",
            "*",
            " ",
            "\u{e9}",
            "443",
            "80",
            "65535",
            "65536",
            "00",
            "example",
            "com",
            "localhost",
            "https://",
            "http://",
            "ws://",
            "+",
        ]);
        let strategy = prop::collection::vec(alphabet, 0..12).prop_map(|parts| parts.concat());
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(20_000));
        runner
            .run(&strategy, |text| {
                let fast = parse_request_origin(text.as_bytes()).map(|(_, o)| o);
                let slow = parse(&text, false).ok();
                prop_assert_eq!(fast, slow, "{:?}", text);
                Ok(())
            })
            .unwrap();
        for text in [
            "https://example.com",
            "http://[::1]:3000",
            "http://127.0.0.1:0",
            "https://a.b_c-d.e:65535",
            "https://example.com:443",
            "ws://x:80",
            "https://x:080",
            "https://x.:1",
            "https://1.2.3.4",
        ] {
            let fast = parse_request_origin(text.as_bytes()).map(|(_, o)| o);
            assert_eq!(fast, parse(text, false).ok(), "{text}");
        }
    }

    #[test]
    fn patterns() {
        let o = parse_pattern("https://*.example.com").unwrap();
        assert!(o.any_subdomain);
        assert_eq!(o.host, "example.com");
        let o = parse_pattern("http://localhost:*").unwrap();
        assert_eq!(o.port, Port::Any);
        let o = parse_pattern("https://*.example.com:*").unwrap();
        assert!(o.any_subdomain && o.port == Port::Any);
    }

    #[test]
    fn pattern_problems() {
        assert_eq!(problem(""), Empty);
        assert_eq!(problem("example.com"), MissingScheme);
        assert_eq!(problem("https://example.com/"), TrailingSlash);
        assert_eq!(problem("https://example.com/api"), Path);
        assert_eq!(problem("https://example.com?a=1"), Query);
        assert_eq!(problem("https://example.com#top"), Fragment);
        assert_eq!(problem("https://me@example.com"), Userinfo);
        assert_eq!(problem("https://example.com:443"), DefaultPort);
        assert_eq!(problem("http://example.com:80"), DefaultPort);
        assert_eq!(problem("https://example.com:x"), InvalidPort);
        assert_eq!(problem("https://Example.com"), UpperCase);
        assert_eq!(problem("https://ex*ample.com"), MisplacedWildcard);
        assert_eq!(problem("https://a.*.example.com"), MisplacedWildcard);
        assert_eq!(problem("https://*example.com"), MisplacedWildcard);
        assert_eq!(problem("https://example.com:8*"), MisplacedWildcard);
        assert_eq!(problem("https://*.com"), WildcardOverTopLevelDomain);
        assert_eq!(problem("https://*.10.0.0.1"), WildcardOverIpAddress);
        assert_eq!(problem("https://bücher.example"), NonAsciiHost);
        assert_eq!(problem("https://"), EmptyHost);
        assert_eq!(problem("ht_tp://example.com"), InvalidScheme);
    }

    #[test]
    fn hints_carry_the_fix() {
        assert!(
            Path.explain("https://example.com/api")
                .contains("\"https://example.com\"")
        );
        assert!(
            DefaultPort
                .explain("https://example.com:443")
                .contains("\"https://example.com\"")
        );
        assert!(
            UpperCase
                .explain("https://Example.COM")
                .contains("\"https://example.com\"")
        );
        assert!(
            MissingScheme
                .explain("example.com")
                .contains("\"https://example.com\"")
        );
    }

    #[test]
    fn without_wildcards_the_pattern_parser_refuses_them_as_requests_do() {
        // `parse(_, false)` is the request parser's oracle: wildcards are
        // patterns only, never a request's origin.
        for text in [
            "http://localhost:*",
            "https://*.example.com",
            "https://*.example.com:*",
            "https://*.example.com:8443",
        ] {
            assert!(parse_pattern(text).is_ok(), "{text}");
            assert_eq!(parse(text, false), Err(MisplacedWildcard), "{text}");
            assert!(parse_request_origin(text.as_bytes()).is_none(), "{text}");
        }
        // And both parsers take exactly MAX_ORIGIN_LEN bytes, no more.
        for len in [MAX_ORIGIN_LEN, MAX_ORIGIN_LEN + 1] {
            let text = format!("https://{}.com", "a".repeat(len - "https://.com".len()));
            assert_eq!(text.len(), len);
            let fast = parse_request_origin(text.as_bytes()).map(|(_, o)| o);
            assert_eq!(fast, parse(&text, false).ok(), "{len}");
            assert_eq!(fast.is_some(), len == MAX_ORIGIN_LEN, "{len}");
            assert_eq!(
                parse_pattern(&text).err(),
                (len > MAX_ORIGIN_LEN).then_some(TooLong),
                "{len}"
            );
        }
        // A bracketed IPv6 host with no port, in both parsers.
        let o = parse_pattern("http://[::1]").unwrap();
        assert_eq!(
            (o.host, o.port, o.is_domain),
            ("[::1]", Port::Default, false)
        );
        assert_eq!(
            parse_request_origin(b"http://[::1]").map(|(_, o)| o),
            Some(o)
        );
        assert_eq!(problem("http://[::1]x"), InvalidHost);
    }
}
