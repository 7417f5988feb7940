//! `Access-Control-Request-Headers`, read in one pass.
//!
//! Browsers send the list lower-cased, sorted and joined by `,` on one line.
//! Intermediaries may split it over several lines or add optional
//! whitespace around the commas; nothing else produces other shapes. So the
//! reader accepts exactly `token *( OWS "," OWS token )` per line, refuses
//! empty elements and anything that is not a token, and stops at the first
//! problem or after [`MAX_REQUEST_HEADERS`] elements. It never allocates and
//! looks at each byte a bounded number of times.

use crate::request::Lines;
use crate::token::TCHAR;

/// How many names `Access-Control-Request-Headers` may list. A browser lists
/// only the non-safelisted headers a script set; a request with more is
/// refused before its names are looked up.
pub const MAX_REQUEST_HEADERS: usize = 64;

/// Why a request-headers list was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListError<'a> {
    /// Not a list of tokens, or more lines than are kept.
    Malformed,
    /// More than [`MAX_REQUEST_HEADERS`] names.
    TooMany,
    /// A well-formed name that the policy does not allow.
    NotAllowed(&'a [u8]),
}

/// Checks every name of the list with `allowed`; returns how many there are.
pub(crate) fn check<'a>(
    lines: &Lines<'a>,
    mut allowed: impl FnMut(&[u8]) -> bool,
) -> Result<usize, ListError<'a>> {
    if lines.overflow {
        return Err(ListError::Malformed);
    }
    let mut count = 0;
    for line in lines.iter() {
        let mut at = skip_ows(line, 0);
        if at == line.len() {
            // An empty value is an empty list.
            continue;
        }
        // One pass: OWS, a token, OWS, then a comma or the end of the line.
        loop {
            let start = at;
            while line.get(at).is_some_and(|&b| TCHAR[usize::from(b)]) {
                at += 1;
            }
            let name = &line[start..at];
            at = skip_ows(line, at);
            let last = match line.get(at) {
                None => true,
                Some(b',') => false,
                Some(_) => return Err(ListError::Malformed),
            };
            if name.is_empty() {
                return Err(ListError::Malformed);
            }
            count += 1;
            if count > MAX_REQUEST_HEADERS {
                return Err(ListError::TooMany);
            }
            if !allowed(name) {
                return Err(ListError::NotAllowed(name));
            }
            if last {
                break;
            }
            at = skip_ows(line, at + 1);
        }
    }
    Ok(count)
}

/// The index of the first byte at or after `at` that is not a space or a
/// tab (`bytes.len()` if none is).
fn skip_ows(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// `bytes` without leading and trailing spaces and tabs.
pub(crate) fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| matches!(b, b' ' | b'\t');
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestParts;

    fn lines(values: &[&'static str]) -> Lines<'static> {
        let mut parts = RequestParts::new("OPTIONS");
        for v in values {
            parts.add_header("access-control-request-headers", v.as_bytes());
        }
        parts.request_headers
    }

    fn names(values: &[&'static str]) -> Result<Vec<String>, ListError<'static>> {
        let mut seen = Vec::new();
        check(&lines(values), |n| {
            seen.push(String::from_utf8(n.to_vec()).unwrap());
            true
        })
        .map(|count| {
            assert_eq!(count, seen.len());
            seen
        })
    }

    #[test]
    fn browser_shape() {
        assert_eq!(
            names(&["content-type,x-a"]).unwrap(),
            ["content-type", "x-a"]
        );
    }

    #[test]
    fn whitespace_and_several_lines() {
        assert_eq!(
            names(&[" x-a ,\tx-b", "x-c"]).unwrap(),
            ["x-a", "x-b", "x-c"]
        );
        assert_eq!(names(&["", "  "]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn refuses_empty_elements_and_non_tokens() {
        for bad in [
            "x-a,",
            ",x-a",
            "x-a,,x-b",
            "x-a, ,x-b",
            "x a",
            "x-\u{e9}",
            "x-a;q=1",
            ",",
        ] {
            assert_eq!(names(&[bad]), Err(ListError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn bounds_the_element_count() {
        let ok = vec!["x"; MAX_REQUEST_HEADERS].join(",");
        let ok: &'static str = Box::leak(ok.into_boxed_str());
        assert_eq!(names(&[ok]).unwrap().len(), MAX_REQUEST_HEADERS);
        let too_many = vec!["x"; MAX_REQUEST_HEADERS + 1].join(",");
        let too_many: &'static str = Box::leak(too_many.into_boxed_str());
        assert_eq!(names(&[too_many]), Err(ListError::TooMany));
    }

    #[test]
    fn stops_at_the_first_refused_name() {
        let mut calls = 0;
        let result = check(&lines(&["a,b,c"]), |n| {
            calls += 1;
            n != b"b"
        });
        assert_eq!(result, Err(ListError::NotAllowed(b"b")));
        assert_eq!(calls, 2);
    }

    #[test]
    fn too_many_lines_is_malformed() {
        let many = [&"x"; crate::MAX_REQUEST_HEADER_LINES + 1].map(|s| *s);
        assert_eq!(names(&many), Err(ListError::Malformed));
    }

    #[test]
    fn trims_only_ows() {
        assert_eq!(trim_ows(b" \tx y\t "), b"x y");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\r\nx"), b"\r\nx");
    }
}
