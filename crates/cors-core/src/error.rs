//! Configuration errors.
//!
//! A policy that could be wrong is refused before it serves a request, and
//! all its problems are reported at once: fixing one and restarting to find
//! the next is the slow way to configure anything. Each error names the key
//! and the value, and says what to write instead.

use std::fmt;

use crate::origin::OriginProblem;

/// One problem with a policy's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key that is not a configuration key.
    #[error("unknown key `{key}`{}", match suggestion {
        Some(s) => format!(": did you mean `{s}`?"),
        None => format!("; the keys are {}", crate::config::KEYS.join(", ")),
    })]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The closest known key, when one is close.
        suggestion: Option<&'static str>,
    },

    /// `allow_origins` has a value that is not an origin or origin pattern.
    #[error("allow_origins: \"{value}\" is not a valid origin: {}", problem.explain(value))]
    InvalidOrigin {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        problem: OriginProblem,
    },

    /// `"*"` listed together with other origin rules.
    #[error(
        "allow_origins: \"*\" already allows every origin, so \"{other}\" would have no effect; remove \"*\" to allow only the listed origins, or remove the others"
    )]
    AnyOriginWithOthers {
        /// One of the other rules.
        other: String,
    },

    /// `allow_credentials = true` with `allow_origins = ["*"]`.
    #[error(
        "allow_credentials = true cannot be combined with allow_origins = [\"*\"]: that would let every website read your users' authenticated responses, and browsers reject `*` with credentials anyway; list the trusted origins exactly"
    )]
    CredentialsWithAnyOrigin,

    /// `allow_credentials = true` with `"null"` in `allow_origins`.
    #[error(
        "allow_credentials = true cannot be combined with \"null\" in allow_origins: any website can produce the `null` origin (from a sandboxed iframe), so it would read your users' authenticated responses; remove \"null\" or set allow_credentials = false"
    )]
    CredentialsWithNullOrigin,

    /// `allow_credentials = true` with `"*"` in `expose_headers`.
    #[error(
        "allow_credentials = true cannot be combined with expose_headers = [\"*\"]: browsers treat `*` as a header literally named `*` on credentialed requests; list the headers to expose"
    )]
    CredentialsWithExposeAll,

    /// `allow_private_network = true` with `allow_origins = ["*"]`.
    #[error(
        "allow_private_network = true cannot be combined with allow_origins = [\"*\"]: that would let every website on the internet reach this private-network server; list the trusted origins exactly"
    )]
    PrivateNetworkWithAnyOrigin,

    /// A regex the `regex` crate cannot compile.
    #[error("allow_origin_regex: \"{pattern}\" is not a valid regex: {message}")]
    InvalidRegex {
        /// The pattern as written.
        pattern: String,
        /// The `regex` crate's message.
        message: String,
    },

    /// A method name that is not an HTTP token.
    #[error(
        "allow_methods: \"{value}\" is not a method name; a method is a token such as \"PUT\" or \"PATCH\" (letters, digits and !#$%&'*+-.^_`|~), or \"*\" for any method"
    )]
    InvalidMethod {
        /// The value as written.
        value: String,
    },

    /// CONNECT, TRACE or TRACK.
    #[error(
        "allow_methods: \"{value}\" is a forbidden method that browsers never send from a page; remove it"
    )]
    ForbiddenMethod {
        /// The value as written.
        value: String,
    },

    /// A standard method written in a case browsers never send.
    #[error("allow_methods: \"{value}\" would never match, because browsers upper-case this method whatever case a script uses; write \"{}\"", value.to_ascii_uppercase())]
    MethodCase {
        /// The value as written.
        value: String,
    },

    /// A header name that is not an HTTP token.
    #[error(
        "{key}: \"{value}\" is not a header name; a header name is a token such as \"x-request-id\" (letters, digits and !#$%&'*+-.^_`|~), or \"*\""
    )]
    InvalidHeaderName {
        /// `allow_headers` or `expose_headers`.
        key: &'static str,
        /// The value as written.
        value: String,
    },

    /// A forbidden request-header name in `allow_headers`.
    #[error(
        "allow_headers: \"{value}\" is a forbidden request header that a page's script can never set, so it never needs to be allowed; remove it"
    )]
    ForbiddenRequestHeader {
        /// The value as written.
        value: String,
    },

    /// `Set-Cookie` in `expose_headers`.
    #[error(
        "expose_headers: \"{value}\" can never be exposed to a page (browsers filter it out of every response); remove it"
    )]
    ForbiddenResponseHeader {
        /// The value as written.
        value: String,
    },

    /// `max_age` above a day.
    #[error(
        "max_age: {value} is out of range; use 0 to 86400 seconds (browsers cap it anyway: Chromium at 7200, Firefox at 86400)"
    )]
    MaxAgeOutOfRange {
        /// The value as written.
        value: u64,
    },

    /// `lookup_null_origin = true` without `allow_origin_lookup = true`.
    #[error(
        "lookup_null_origin = true has no effect without allow_origin_lookup = true; set allow_origin_lookup = true, or remove lookup_null_origin"
    )]
    NullLookupWithoutLookup,

    /// `lookup_null_origin = true` with `allow_credentials = true`.
    #[error(
        "allow_credentials = true cannot be combined with lookup_null_origin = true: any website can produce the `null` origin (from a sandboxed iframe), so a lookup that allows it would let every site read your users' authenticated responses; remove lookup_null_origin or set allow_credentials = false"
    )]
    CredentialsWithNullLookup,

    /// A route path pattern that is not valid.
    #[error("paths: \"{value}\" is not a valid path pattern: {}", problem.explain(value))]
    InvalidPath {
        /// The pattern as written.
        value: String,
        /// What is wrong with it.
        problem: crate::route::PathProblem,
    },

    /// A route with no paths.
    #[error("paths: a route needs at least one path pattern, such as \"/api/*\" or \"/metrics\"")]
    NoPaths,

    /// The same path pattern in two routes (or twice in one).
    #[error(
        "paths: \"{value}\" is also in routes[{other}]; a path can have only one route, so merge the two or remove one"
    )]
    DuplicatePath {
        /// The pattern as written.
        value: String,
        /// The index of the route that has it first.
        other: usize,
    },

    /// A problem in one route's policy (its own keys over the top-level
    /// ones).
    #[error("{}", route_message(*index, error, inherited))]
    Route {
        /// The route's index in `routes`.
        index: usize,
        /// The problem.
        error: Box<ConfigError>,
        /// The keys involved that the route inherited from the top level.
        inherited: Vec<&'static str>,
    },

    /// `preflight_status` other than 200 or 204.
    #[error(
        "preflight_status: {value} is not allowed; use 204 (No Content, the default) or 200 (for old clients that mishandle 204)"
    )]
    InvalidPreflightStatus {
        /// The value as written.
        value: u16,
    },
}

impl ConfigError {
    /// The configuration keys whose values make up this problem.
    pub(crate) fn keys(&self) -> &'static [&'static str] {
        match self {
            ConfigError::UnknownKey { .. } => &[],
            ConfigError::InvalidOrigin { .. } => &["allow_origins"],
            // A route inherits the origin rules as a whole or not at all,
            // so one of their keys stands for all of them.
            ConfigError::AnyOriginWithOthers { .. } => &["allow_origins"],
            ConfigError::CredentialsWithAnyOrigin | ConfigError::CredentialsWithNullOrigin => {
                &["allow_credentials", "allow_origins"]
            }
            ConfigError::CredentialsWithExposeAll => &["allow_credentials", "expose_headers"],
            ConfigError::PrivateNetworkWithAnyOrigin => &["allow_private_network", "allow_origins"],
            ConfigError::InvalidRegex { .. } => &["allow_origin_regex"],
            ConfigError::InvalidMethod { .. }
            | ConfigError::ForbiddenMethod { .. }
            | ConfigError::MethodCase { .. } => &["allow_methods"],
            ConfigError::InvalidHeaderName { key, .. } => {
                if *key == "allow_headers" {
                    &["allow_headers"]
                } else {
                    &["expose_headers"]
                }
            }
            ConfigError::ForbiddenRequestHeader { .. } => &["allow_headers"],
            ConfigError::ForbiddenResponseHeader { .. } => &["expose_headers"],
            ConfigError::MaxAgeOutOfRange { .. } => &["max_age"],
            ConfigError::InvalidPreflightStatus { .. } => &["preflight_status"],
            ConfigError::NullLookupWithoutLookup => &["lookup_null_origin", "allow_origin_lookup"],
            ConfigError::CredentialsWithNullLookup => &["allow_credentials", "lookup_null_origin"],
            ConfigError::InvalidPath { .. }
            | ConfigError::NoPaths
            | ConfigError::DuplicatePath { .. } => &["paths"],
            ConfigError::Route { .. } => &[],
        }
    }
}

/// The `other` of `AnyOriginWithOthers` when the other rule is the origin
/// lookup.
pub(crate) const ANY_WITH_LOOKUP: &str = "allow_origin_lookup = true";
/// The `other` of `AnyOriginWithOthers` when it is the origin predicate.
pub(crate) const ANY_WITH_PREDICATE: &str = "an origin predicate";

/// A route's error: `routes[0].allow_origins: ...` when the message starts
/// with the key, `routes[0]: ...` otherwise; and which keys the route
/// inherited.
fn route_message(index: usize, error: &ConfigError, inherited: &[&'static str]) -> String {
    // Two texts differ inside a route: the keys a route may have, and a
    // pattern repeated within the route itself.
    let text = match error {
        ConfigError::UnknownKey {
            key,
            suggestion: None,
        } => format!(
            "unknown key `{key}`; a route's keys are {}",
            crate::config::ROUTE_KEYS.join(", ")
        ),
        ConfigError::DuplicatePath { value, other } if *other == index => {
            format!("paths: \"{value}\" is listed twice; remove one")
        }
        _ => error.to_string(),
    };
    let starts_with_key = crate::config::ROUTE_KEYS.iter().any(|key| {
        text.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(' '))
    });
    let separator = if starts_with_key { "." } else { ": " };
    format!(
        "routes[{index}]{separator}{text}{}",
        inherited_note(error, inherited)
    )
}

/// For a route's error, which of its keys came from the top level.
fn inherited_note(error: &ConfigError, inherited: &[&'static str]) -> String {
    let involved: Vec<&str> = error
        .keys()
        .iter()
        .copied()
        .filter(|k| inherited.contains(k))
        .collect();
    if involved.is_empty() {
        String::new()
    } else {
        format!(
            " ({} inherited from the top level; set {} in this route to override)",
            involved.join(", "),
            if involved.len() == 1 { "it" } else { "them" }
        )
    }
}

/// Every problem found in a policy's configuration.
///
/// `Display` lists them one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub(crate) Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in the order of the configuration keys.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid CORS policy ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for error in &self.0 {
            // Regex errors span several lines (the pattern, a caret line):
            // keep them inside their item.
            let text = error.to_string().replace('\n', "\n    ");
            write!(f, "\n  - {text}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
