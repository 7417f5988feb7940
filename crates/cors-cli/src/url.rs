//! The few URL operations a CORS check needs: parsing an `http`/`https`
//! URL, its origin, and resolving a redirect's `Location` against it.

use std::fmt;

/// An absolute `http` or `https` URL, without its fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    host: String,
    port: Option<u16>,
    path_and_query: String,
    userinfo: bool,
}

/// Why a text is not an `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL at all (the text says why).
    Invalid(String),
    /// A URL whose scheme is not `http` or `https`.
    Scheme(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Invalid(why) => f.write_str(why),
            UrlError::Scheme(scheme) => write!(f, "the scheme {scheme:?} is not http or https"),
        }
    }
}

impl std::error::Error for UrlError {}

/// The longest URL read, as browsers cap them too.
const MAX_URL_LEN: usize = 8192;

fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some((scheme, rest))
}

impl Url {
    /// Parses an absolute `http` or `https` URL; a fragment is dropped, as
    /// browsers never send it.
    ///
    /// ```
    /// use cors_cli::url::Url;
    ///
    /// let url = Url::parse("https://API.example.com:443/v1/items?x=1#top")?;
    /// assert_eq!(url.origin(), "https://api.example.com");
    /// assert_eq!(url.path_and_query(), "/v1/items?x=1");
    /// assert_eq!(url.to_string(), "https://api.example.com/v1/items?x=1");
    /// # Ok::<(), cors_cli::url::UrlError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        if text.len() > MAX_URL_LEN {
            return Err(UrlError::Invalid(format!(
                "longer than {MAX_URL_LEN} bytes"
            )));
        }
        if text.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::Invalid(
                "has spaces or control characters".to_owned(),
            ));
        }
        let text = text.split('#').next().unwrap_or_default();
        let Some((scheme, rest)) = split_scheme(text) else {
            return Err(UrlError::Invalid(
                "has no scheme (write it as https://host/path)".to_owned(),
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(UrlError::Scheme(scheme));
        }
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(UrlError::Invalid(format!(
                "has no host (write it as {scheme}://host/path)"
            )));
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(end);
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((_, host_port)) => (true, host_port),
            None => (false, authority),
        };
        let (host, port) = if host_port.starts_with('[') {
            let close = host_port
                .find(']')
                .ok_or_else(|| UrlError::Invalid("has an unclosed [ in its host".to_owned()))?;
            let (host, after) = host_port.split_at(close + 1);
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(UrlError::Invalid("has junk after its host".to_owned())),
                },
            }
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        };
        if host.is_empty()
            || host
                .bytes()
                .any(|b| !(b.is_ascii_alphanumeric() || b"-._~[]:%".contains(&b)))
        {
            return Err(UrlError::Invalid(format!("has an invalid host {host:?}")));
        }
        let port = match port {
            None | Some("") => None,
            Some(port) => {
                let number = port
                    .parse::<u16>()
                    .ok()
                    .filter(|_| port.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| UrlError::Invalid(format!("has an invalid port {port:?}")))?;
                let default = if scheme == "https" { 443 } else { 80 };
                (number != default).then_some(number)
            }
        };
        let path_and_query = match path_and_query {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => remove_dot_segments(p),
        };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path_and_query,
            userinfo,
        })
    }

    /// Resolves `reference` (a redirect's `Location`: absolute, `//host`,
    /// `/path`, `?query` or relative) against this URL.
    ///
    /// ```
    /// use cors_cli::url::Url;
    ///
    /// let base = Url::parse("https://a.example/v1/items/7")?;
    /// assert_eq!(base.join("../users")?.to_string(), "https://a.example/v1/users");
    /// assert_eq!(base.join("//b.example/x")?.to_string(), "https://b.example/x");
    /// assert_eq!(base.join("http://c.example")?.origin(), "http://c.example");
    /// # Ok::<(), cors_cli::url::UrlError>(())
    /// ```
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        let reference = reference.trim_matches(|c| matches!(c, ' ' | '\t'));
        let reference = reference.split('#').next().unwrap_or_default();
        if split_scheme(reference).is_some() {
            return Url::parse(reference);
        }
        if reference.starts_with("//") {
            return Url::parse(&format!("{}:{reference}", self.scheme));
        }
        let path_and_query = if reference.is_empty() {
            self.path_and_query.clone()
        } else if reference.starts_with('/') {
            reference.to_owned()
        } else if reference.starts_with('?') {
            format!("{}{reference}", self.path())
        } else {
            let path = self.path();
            let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{directory}{reference}")
        };
        Url::parse(&format!("{}{path_and_query}", self.origin()))
    }

    /// The scheme, `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lower-case (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// The path and query, starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split('?')
            .next()
            .unwrap_or(&self.path_and_query)
    }

    /// Whether the URL names a user or password (`https://user@host`).
    pub fn has_userinfo(&self) -> bool {
        self.userinfo
    }

    /// The host and, when not the default, the port: the `Host` header.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The serialized origin, as a browser writes it in `Origin`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path_and_query)
    }
}

/// RFC 3986's "remove dot segments", on a path with its query.
fn remove_dot_segments(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let mut result = format!("/{}", out.join("/"));
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// Parses a page's origin (`--origin`): `null`, or a scheme, host and
/// port, returned serialized as a browser sends it (lower case, no default
/// port).
///
/// ```
/// use cors_cli::url::parse_origin;
///
/// assert_eq!(parse_origin("https://App.Example.com:443").unwrap(), "https://app.example.com");
/// assert_eq!(parse_origin("null").unwrap(), "null");
/// assert!(parse_origin("https://app.example.com/").is_err());
/// ```
pub fn parse_origin(text: &str) -> Result<String, String> {
    if text == "null" {
        return Ok(text.to_owned());
    }
    let hint = "write it as scheme://host[:port], e.g. https://app.example.com";
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not an origin: it {e}; {hint}"))?;
    let after_scheme = text.split_once("://").map_or("", |(_, rest)| rest);
    if after_scheme.contains(['/', '?', '#']) {
        return Err(format!(
            "{text:?} is not an origin: an origin has no path, query or trailing slash; {hint}"
        ));
    }
    if url.has_userinfo() {
        return Err(format!(
            "{text:?} is not an origin: an origin has no user name; {hint}"
        ));
    }
    Ok(url.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_serializes() {
        let url = Url::parse("http://[::1]:8080?q").unwrap();
        assert_eq!(url.origin(), "http://[::1]:8080");
        assert_eq!(url.path_and_query(), "/?q");
        assert_eq!(url.port(), 8080);
        assert_eq!(Url::parse("https://a.example").unwrap().port(), 443);
        assert!(Url::parse("https://u:p@a.example/").unwrap().has_userinfo());
        assert!(matches!(
            Url::parse("ftp://a.example/"),
            Err(UrlError::Scheme(_))
        ));
        assert!(Url::parse("https://a.example:99999/").is_err());
        assert!(Url::parse("https:///x").is_err());
        assert!(Url::parse("a.example/x").is_err());
        assert!(Url::parse("https://a b/").is_err());
    }

    #[test]
    fn joins_references() {
        let base = Url::parse("https://a.example/v1/items/7?x=1").unwrap();
        let join = |r: &str| base.join(r).unwrap().to_string();
        assert_eq!(join("8"), "https://a.example/v1/items/8");
        assert_eq!(join("./8/../9"), "https://a.example/v1/items/9");
        assert_eq!(join("/login?next=%2F"), "https://a.example/login?next=%2F");
        assert_eq!(join("?y=2"), "https://a.example/v1/items/7?y=2");
        assert_eq!(join(""), "https://a.example/v1/items/7?x=1");
        assert_eq!(join("../../../../x"), "https://a.example/x");
        assert_eq!(join("https://b.example"), "https://b.example/");
        assert!(matches!(
            base.join("javascript:alert(1)"),
            Err(UrlError::Scheme(_))
        ));
    }

    #[test]
    fn origins() {
        assert_eq!(
            parse_origin("HTTP://LOCALHOST:80").unwrap(),
            "http://localhost"
        );
        assert_eq!(
            parse_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        for bad in [
            "https://a.example/",
            "https://a.example/x",
            "a.example",
            "",
            "https://u@a.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
