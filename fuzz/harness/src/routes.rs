//! The `routes` target: random route sets and random paths, the route
//! [`cors_core::Policy::route_for`] (and `evaluate`) picks against a plain reference
//! matcher written here from the documented rules, not from the engine's
//! code.
//!
//! The input is text-like, so seeds can be written by hand:
//!
//! ```text
//! <route digit><pattern>\n<route digit><pattern>\n...\n\n<path>\n<path>...
//! ```
//!
//! Up to the first empty line, each line is one path pattern: its first
//! byte names the route it belongs to (`0` to `7`; any other byte by
//! `byte % 8`), the rest is the pattern as written in `paths`. Routes are
//! numbered in the order their first pattern appears; the top level allows
//! only `https://top.example` and route `i` only `https://r{i}.example`.
//! Every line after the empty one is a path to select for, as the
//! framework gives it (without the query). Bytes that are not UTF-8 become
//! U+FFFD.
//!
//! The checks:
//!
//! - the configuration builds exactly when every pattern is valid by the
//!   reference's reading of the rules (a leading `/`; visible ASCII only;
//!   no `?`, `#` or `%`; `*` only as a final `/*`; no dot segment, empty
//!   segment or backslash; no trailing `/` on an exact pattern but the
//!   root) and no pattern appears twice, in one route or two;
//! - for each path, `route_for` names the part the reference picks: nothing
//!   (ambiguous) for a path that is; else the route of the most specific
//!   pattern covering it (an exact pattern, `/m`, covers `/m` and `/m/`; a
//!   prefix, `/p/*`, covers `/p` and everything under `/p/`, never `/pX`;
//!   exact beats any prefix, a longer prefix a shorter one); else the top
//!   level. A policy without routes answers every path at the top level;
//! - `evaluate` agrees: an actual request from the chosen part's origin is
//!   allowed, and for an ambiguous path refused as ambiguous.

use cors_core::{PolicyConfig, Refusal, RequestParts, RouteConfig, RouteMatch};

/// A valid pattern, as the reference reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `/m`: the path, and the path with one trailing `/` (the root only
    /// itself).
    Exact(String),
    /// `/p/*`: what precedes `/*` (empty for `/*`), which covers itself and
    /// everything under it.
    Prefix(String),
}

impl Pattern {
    /// Reads `text` as written in `paths`; `None` when it is not a valid
    /// pattern.
    pub(crate) fn read(text: &str) -> Option<Pattern> {
        if !text.starts_with('/')
            || !text.bytes().all(|b| b.is_ascii_graphic())
            || text.contains(['?', '#', '%'])
        {
            return None;
        }
        if let Some(base) = text.strip_suffix("/*") {
            // `/*` itself, or a path without `*`, ambiguity or an empty
            // last segment.
            let valid = base.is_empty()
                || (!base.contains('*') && !base.ends_with('/') && !is_ambiguous(base));
            return valid.then(|| Pattern::Prefix(base.to_owned()));
        }
        let valid =
            text == "/" || (!text.contains('*') && !text.ends_with('/') && !is_ambiguous(text));
        valid.then(|| Pattern::Exact(text.to_owned()))
    }

    /// Whether the pattern covers `path` (a path that is not ambiguous).
    pub(crate) fn covers(&self, path: &str) -> bool {
        match self {
            Pattern::Exact(exact) => {
                path == exact
                    || (exact != "/"
                        && path.len() == exact.len() + 1
                        && path.starts_with(exact.as_str())
                        && path.ends_with('/'))
            }
            Pattern::Prefix(base) => {
                path == base
                    || (path.starts_with(base.as_str()) && path[base.len()..].starts_with('/'))
            }
        }
    }

    /// Higher wins: any exact pattern, then prefixes by length.
    fn rank(&self) -> usize {
        match self {
            Pattern::Exact(_) => usize::MAX,
            Pattern::Prefix(base) => base.len(),
        }
    }
}

/// The reference's reading of an ambiguous path: not starting with `/`, or
/// with a segment that a framework or proxy may read otherwise: `.` or
/// `..`, empty (except the last, a trailing `/`), holding a backslash, a
/// `%` not followed by two hex digits, or an escape of `/`, `\` or of a
/// character that needs no escaping (letters, digits, `-._~`).
pub(crate) fn is_ambiguous(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return true;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().any(|(i, segment)| {
        (segment.is_empty() && i != last)
            || *segment == "."
            || *segment == ".."
            || segment.contains('\\')
            || bad_escape(segment)
    })
}

/// Whether `segment` has a broken escape, or one that hides a character.
fn bad_escape(segment: &str) -> bool {
    let mut pieces = segment.split('%');
    pieces.next();
    pieces.any(|after| {
        let Some(hex) = after.get(..2) else {
            return true;
        };
        let Ok(byte) = u8::from_str_radix(hex, 16) else {
            return true;
        };
        // `from_str_radix` takes a sign; an escape does not.
        hex.starts_with('+')
            || matches!(byte, b'/' | b'\\' | b'-' | b'.' | b'_' | b'~')
            || byte.is_ascii_alphanumeric()
    })
}

/// The part the reference picks for `path` among `patterns` (each with its
/// route's index).
pub(crate) fn select(patterns: &[(Pattern, usize)], path: &str) -> RouteMatch {
    if is_ambiguous(path) {
        return RouteMatch::Ambiguous;
    }
    patterns
        .iter()
        .filter(|(pattern, _)| pattern.covers(path))
        .max_by_key(|(pattern, _)| pattern.rank())
        .map_or(RouteMatch::TopLevel, |(_, route)| RouteMatch::Route(*route))
}

/// The origin the part allows.
fn origin_of(part: RouteMatch) -> String {
    match part {
        RouteMatch::Route(index) => format!("https://r{index}.example"),
        _ => "https://top.example".to_owned(),
    }
}

/// Runs one input.
pub fn routes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    // (route number as written, pattern text)
    let mut written: Vec<(u8, &str)> = Vec::new();
    for line in lines.by_ref() {
        let Some(&first) = line.as_bytes().first() else {
            break;
        };
        let number = match first {
            b'0'..=b'9' => (first - b'0') % 8,
            _ => first % 8,
        };
        // The first byte of a line may start a multi-byte U+FFFD.
        let pattern = line.get(1..).unwrap_or("");
        written.push((number, pattern));
    }
    let paths: Vec<&str> = lines.collect();

    // Routes in order of first appearance.
    let mut numbers: Vec<u8> = Vec::new();
    for (number, _) in &written {
        if !numbers.contains(number) {
            numbers.push(*number);
        }
    }
    let index_of = |number: u8| numbers.iter().position(|&n| n == number).unwrap();

    let mut config = PolicyConfig::default();
    config.allow_origins = vec![origin_of(RouteMatch::TopLevel)];
    config.routes = numbers
        .iter()
        .enumerate()
        .map(|(index, &number)| {
            let paths = written
                .iter()
                .filter(|(n, _)| *n == number)
                .map(|(_, p)| *p);
            RouteConfig::new(paths).allow_origins([origin_of(RouteMatch::Route(index))])
        })
        .collect();

    let read: Vec<Option<Pattern>> = written.iter().map(|(_, p)| Pattern::read(p)).collect();
    let repeated = written
        .iter()
        .enumerate()
        .any(|(i, (_, p))| written[..i].iter().any(|(_, q)| q == p));
    let valid = read.iter().all(Option::is_some) && !repeated;
    let built = config.build();
    assert_eq!(
        built.is_ok(),
        valid,
        "patterns {written:?} read as {read:?}, repeated: {repeated}\nbuilt: {built:?}"
    );
    let Ok(policy) = built else {
        return;
    };
    let patterns: Vec<(Pattern, usize)> = read
        .into_iter()
        .zip(&written)
        .map(|(pattern, (number, _))| (pattern.unwrap(), index_of(*number)))
        .collect();

    for path in paths {
        let expected = if patterns.is_empty() {
            RouteMatch::TopLevel
        } else {
            select(&patterns, path)
        };
        let context = || format!("path {path:?}\npatterns {patterns:?}");
        assert_eq!(policy.route_for(path), expected, "{}", context());

        let origin = origin_of(expected);
        let mut request = RequestParts::new("GET").with_path(path);
        request.add_header("origin", origin.as_bytes());
        let decision = policy.evaluate(&request);
        if expected == RouteMatch::Ambiguous {
            assert_eq!(
                decision.refusal(),
                Some(Refusal::AmbiguousPath(path.as_bytes())),
                "{}",
                context()
            );
        } else {
            assert!(
                decision.is_allowed(),
                "{origin} refused\n{decision:?}\n{}",
                context()
            );
        }
    }
}
