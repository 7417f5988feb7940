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

    /// `preflight_status` other than 200 or 204.
    #[error(
        "preflight_status: {value} is not allowed; use 204 (No Content, the default) or 200 (for old clients that mishandle 204)"
    )]
    InvalidPreflightStatus {
        /// The value as written.
        value: u16,
    },
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
