//! Choosing the policy for a request's path.
//!
//! A policy may hold routes: path patterns with policies of their own. Two
//! kinds of pattern exist, and nothing else:
//!
//! - exact, `/metrics`: that path, and `/metrics/` (many stacks route both
//!   to one handler);
//! - prefix, `/public/*`: `/public`, and every path under `/public/`, never
//!   `/publicity`.
//!
//! The most specific pattern wins, whatever the order of the routes: an
//! exact pattern before any prefix, a longer prefix before a shorter one.
//! Two routes with the same pattern are refused when the policy is built,
//! so no two patterns ever tie.
//!
//! Paths are compared byte for byte, case-sensitively, and never decoded.
//! That is only safe if the path cannot mean something else to the
//! framework or a proxy in front of it, so a path that could (a dot
//! segment, an encoded slash, a backslash, an empty segment, a
//! percent-encoded character that needs no encoding, or a broken escape)
//! is *ambiguous*: it gets no CORS grant at all. Browsers normalize URLs
//! before `fetch()` sends them, so they never send such paths.
//!
//! Selection is a hash lookup for the exact patterns and one per `/` of the
//! path for the prefixes (skipping prefixes longer than any configured):
//! no allocation, and a cost that does not grow with the number of routes.

use std::fmt;

use crate::set::StrMap;

/// A route's path pattern, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathPattern {
    /// The path, without a trailing `/` (except the root, `/`).
    Exact(Box<str>),
    /// What precedes `/*`: `""` for `/*`, `/public` for `/public/*`.
    Prefix(Box<str>),
}

/// What is wrong with a path pattern, with the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// The pattern does not start with `/`.
    NoLeadingSlash,
    /// A `?` or `#`: patterns match the path only.
    QueryOrFragment,
    /// `*` somewhere other than a final `/*` segment.
    MisplacedWildcard,
    /// A trailing `/` on an exact pattern.
    TrailingSlash,
    /// An ambiguous construct (see the module docs), which no request
    /// that reaches a route can contain.
    Ambiguous,
    /// A byte that is not allowed in a path (space, control, non-ASCII).
    InvalidByte,
}

impl PathProblem {
    /// The problem and its fix, for `pattern`.
    pub(crate) fn explain(self, pattern: &str) -> String {
        match self {
            PathProblem::NoLeadingSlash => format!("a path pattern starts with \"/\"; write \"/{pattern}\""),
            PathProblem::QueryOrFragment => {
                "patterns match the path only, never the query or fragment; remove what follows ? or #".to_owned()
            }
            PathProblem::MisplacedWildcard => {
                "\"*\" is only allowed as the last segment, \"/prefix/*\" (that prefix and every path under it)".to_owned()
            }
            PathProblem::TrailingSlash => format!(
                "write \"{}\", which also covers the path with a trailing slash, or \"{}*\" for every path under it",
                pattern.trim_end_matches('/'),
                pattern
            ),
            PathProblem::Ambiguous => "it has a dot segment, an empty segment, a backslash or a percent-encoded character; requests with such paths get no CORS grant, so write the path as a browser sends it (normalized, unreserved characters unencoded)".to_owned(),
            PathProblem::InvalidByte => "a path has only visible ASCII characters; percent-encode the others as browsers do".to_owned(),
        }
    }
}

impl PathPattern {
    /// Parses a pattern as written in `paths`.
    pub(crate) fn parse(text: &str) -> Result<PathPattern, PathProblem> {
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'/') {
            return Err(PathProblem::NoLeadingSlash);
        }
        if bytes.iter().any(|&b| b == b'?' || b == b'#') {
            return Err(PathProblem::QueryOrFragment);
        }
        if bytes.iter().any(|&b| !(0x21..=0x7e).contains(&b)) {
            return Err(PathProblem::InvalidByte);
        }
        let (body, prefix) = match text.strip_suffix("/*") {
            Some(body) => (body, true),
            None => (text, false),
        };
        if body.contains('*') {
            return Err(PathProblem::MisplacedWildcard);
        }
        // `%` is refused outright: an encoded character in a pattern either
        // needs no encoding (ambiguous) or is one a browser may send either
        // way; neither can be matched byte for byte with confidence.
        let empty_segment = prefix && body.ends_with('/');
        if body.contains('%') || empty_segment || (!body.is_empty() && is_ambiguous(body)) {
            return Err(PathProblem::Ambiguous);
        }
        if prefix {
            return Ok(PathPattern::Prefix(body.into()));
        }
        if body.len() > 1 && body.ends_with('/') {
            return Err(PathProblem::TrailingSlash);
        }
        Ok(PathPattern::Exact(body.into()))
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathPattern::Exact(path) => f.write_str(path),
            PathPattern::Prefix(prefix) => write!(f, "{prefix}/*"),
        }
    }
}

/// Whether frameworks or proxies may read `path` differently from its
/// bytes (see the module docs). A path must start with `/`.
pub fn is_ambiguous(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return true;
    }
    let mut i = 0;
    // Each segment follows a `/`.
    while i < bytes.len() {
        // bytes[i] == b'/'
        let start = i + 1;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |n| start + n);
        if segment_is_ambiguous(&bytes[start..end], end == bytes.len()) {
            return true;
        }
        i = end;
    }
    false
}

/// Whether one segment makes a path ambiguous; `last` allows the empty
/// segment of a trailing `/`.
fn segment_is_ambiguous(segment: &[u8], last: bool) -> bool {
    if segment.is_empty() {
        return !last;
    }
    let mut dots = 0;
    let mut only_dots = true;
    let mut i = 0;
    while i < segment.len() {
        match segment[i] {
            b'\\' => return true,
            b'%' => {
                let (Some(&hi), Some(&lo)) = (segment.get(i + 1), segment.get(i + 2)) else {
                    return true;
                };
                let (Some(hi), Some(lo)) = (hex(hi), hex(lo)) else {
                    return true;
                };
                let byte = hi << 4 | lo;
                // Encoded slash or backslash, or an unreserved character
                // that needs no encoding (`%2e` among them).
                if matches!(byte, b'/' | b'\\') || is_unreserved(byte) {
                    return true;
                }
                only_dots = false;
                i += 3;
                continue;
            }
            b'.' => dots += 1,
            _ => only_dots = false,
        }
        i += 1;
    }
    only_dots && dots <= 2
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986's unreserved characters.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Which policy a path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selected {
    /// The top-level policy: no route names the path.
    Default,
    /// The route at this index.
    Route(usize),
    /// The path is ambiguous: no CORS grant.
    Ambiguous,
}

/// The routes' patterns, indexed for selection.
#[derive(Debug, Default, Clone)]
pub(crate) struct RouteTable {
    exact: StrMap<usize>,
    prefixes: StrMap<usize>,
    longest_prefix: usize,
}

impl RouteTable {
    /// Adds `pattern` for route `index`; `Err` with the index of the route
    /// that already has it.
    pub(crate) fn insert(&mut self, pattern: &PathPattern, index: usize) -> Result<(), usize> {
        let (map, key) = match pattern {
            PathPattern::Exact(path) => (&mut self.exact, path),
            PathPattern::Prefix(prefix) => {
                self.longest_prefix = self.longest_prefix.max(prefix.len());
                (&mut self.prefixes, prefix)
            }
        };
        match map.get(&**key) {
            Some(&other) => Err(other),
            None => {
                map.insert(key.clone(), index);
                Ok(())
            }
        }
    }

    /// The policy for `path` (the request's path, without the query).
    pub(crate) fn select(&self, path: &str) -> Selected {
        if is_ambiguous(path) {
            return Selected::Ambiguous;
        }
        // Exact: the path, or the path without its trailing slash.
        let trimmed = match path.strip_suffix('/') {
            Some(rest) if !rest.is_empty() => rest,
            _ => path,
        };
        if !self.exact.is_empty() {
            if let Some(&index) = self.exact.get(trimmed) {
                return Selected::Route(index);
            }
        }
        if self.prefixes.is_empty() {
            return Selected::Default;
        }
        // Prefixes, longest first: the path itself (`/public` for
        // `/public/*`), then what precedes each `/`.
        if trimmed.len() <= self.longest_prefix {
            if let Some(&index) = self.prefixes.get(trimmed) {
                return Selected::Route(index);
            }
        }
        let bytes = trimmed.as_bytes();
        let mut end = trimmed.len();
        while let Some(slash) = bytes[..end].iter().rposition(|&b| b == b'/') {
            end = slash;
            if end > self.longest_prefix {
                continue;
            }
            if let Some(&index) = self.prefixes.get(&trimmed[..end]) {
                return Selected::Route(index);
            }
        }
        Selected::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(patterns: &[&str]) -> RouteTable {
        let mut table = RouteTable::default();
        for (i, p) in patterns.iter().enumerate() {
            table.insert(&PathPattern::parse(p).unwrap(), i).unwrap();
        }
        table
    }

    #[test]
    fn exact_and_prefix_patterns() {
        let t = table(&["/metrics", "/public/*", "/public/admin/*", "/"]);
        assert_eq!(t.select("/metrics"), Selected::Route(0));
        assert_eq!(t.select("/metrics/"), Selected::Route(0));
        assert_eq!(t.select("/metrics/x"), Selected::Default);
        assert_eq!(t.select("/public"), Selected::Route(1));
        assert_eq!(t.select("/public/"), Selected::Route(1));
        assert_eq!(t.select("/public/x/y"), Selected::Route(1));
        assert_eq!(t.select("/publicity"), Selected::Default);
        assert_eq!(t.select("/PUBLIC/x"), Selected::Default);
        assert_eq!(t.select("/public/admin"), Selected::Route(2));
        assert_eq!(t.select("/public/admin/x"), Selected::Route(2));
        assert_eq!(t.select("/public/administrator"), Selected::Route(1));
        assert_eq!(t.select("/"), Selected::Route(3));
        assert_eq!(t.select("/other"), Selected::Default);
    }

    #[test]
    fn root_prefix_covers_everything_less_specific() {
        let t = table(&["/*", "/api/*", "/api/health"]);
        assert_eq!(t.select("/"), Selected::Route(0));
        assert_eq!(t.select("/x"), Selected::Route(0));
        assert_eq!(t.select("/api/x"), Selected::Route(1));
        assert_eq!(t.select("/api/health/"), Selected::Route(2));
    }

    #[test]
    fn ambiguous_paths() {
        for path in [
            "",
            "x",
            "*",
            "/a/../b",
            "/a/./b",
            "/a/..",
            "/.",
            "/a//b",
            "//a",
            "/a/%2e%2e/b",
            "/a/%2E./b",
            "/a%2Fb",
            "/a%2fb",
            "/a%5Cb",
            "/a\\b",
            "/%61",
            "/a%7E",
            "/a%",
            "/a%2",
            "/a%zz",
        ] {
            assert!(is_ambiguous(path), "{path:?}");
        }
        for path in [
            "/", "/a", "/a/", "/a/b.c", "/...", "/a/.b", "/a%20b", "/a%3Bb", "/a;x", "/a+b",
            "/%C3%A9",
        ] {
            assert!(!is_ambiguous(path), "{path:?}");
        }
    }

    #[test]
    fn pattern_problems() {
        use PathProblem::*;
        for (text, problem) in [
            ("metrics", NoLeadingSlash),
            ("", NoLeadingSlash),
            ("/a?b", QueryOrFragment),
            ("/a*", MisplacedWildcard),
            ("/*/a", MisplacedWildcard),
            ("/a/*/*", MisplacedWildcard),
            ("/a/", TrailingSlash),
            ("/a/../b", Ambiguous),
            ("/a//*", Ambiguous),
            ("/a%20b", Ambiguous),
            ("/a b", InvalidByte),
            ("/é", InvalidByte),
        ] {
            assert_eq!(PathPattern::parse(text), Err(problem), "{text:?}");
            assert!(!problem.explain(text).is_empty());
        }
        assert_eq!(PathPattern::parse("/"), Ok(PathPattern::Exact("/".into())));
        assert_eq!(PathPattern::parse("/*"), Ok(PathPattern::Prefix("".into())));
    }

    #[test]
    fn duplicate_patterns_are_reported() {
        let mut t = RouteTable::default();
        t.insert(&PathPattern::parse("/a/*").unwrap(), 0).unwrap();
        t.insert(&PathPattern::parse("/a").unwrap(), 1).unwrap();
        assert_eq!(t.insert(&PathPattern::parse("/a/*").unwrap(), 2), Err(0));
    }

    #[test]
    fn a_parsed_pattern_displays_as_written() {
        for text in ["/", "/*", "/metrics", "/api/v1", "/public/*", "/a/b/*"] {
            let pattern = PathPattern::parse(text).unwrap();
            assert_eq!(pattern.to_string(), text);
        }
    }
}
