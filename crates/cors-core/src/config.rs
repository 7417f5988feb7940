//! The configuration a policy is built from.
//!
//! The keys follow Starlette's `CORSMiddleware` (`allow_origins`,
//! `allow_methods`, ...), which many users already know. A key that is not
//! one of them is an error, not something silently ignored: a misspelt
//! `allowed_origins` would otherwise leave the policy denying everything,
//! or allowing more than intended, with no hint why.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny};

use crate::error::ConfigError;

/// Every configuration key, in documentation order.
pub(crate) const KEYS: [&str; 13] = [
    "allow_origins",
    "allow_origin_regex",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "preflight_status",
    "block_disallowed_origins",
    "allow_origin_lookup",
    "lookup_null_origin",
    "routes",
];

/// The keys of a route: its `paths`, and every policy key but `routes`.
pub(crate) const ROUTE_KEYS: [&str; 13] = [
    "paths",
    "allow_origins",
    "allow_origin_regex",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "preflight_status",
    "block_disallowed_origins",
    "allow_origin_lookup",
    "lookup_null_origin",
];

/// The raw configuration of a [`Policy`](crate::Policy), as read from a file.
///
/// Deserialize it with any serde format (TOML, JSON, ...) and turn it into a
/// policy with [`PolicyConfig::build`], which reports every problem as a
/// typed [`ConfigError`]. In code, [`Policy::builder`](crate::Policy::builder)
/// is more convenient. Unset keys take their defaults.
///
/// ```
/// use cors_core::PolicyConfig;
///
/// let config: PolicyConfig = serde_json::from_str(r#"{
///     "allow_origins": ["https://app.example.com"],
///     "allow_credentials": true
/// }"#).unwrap();
/// let policy = config.build().unwrap();
/// assert!(policy.allows_credentials());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PolicyConfig {
    /// Allowed origins: exact (`https://example.com`), `*` for any,
    /// `https://*.example.com` for any subdomain, `http://localhost:*` for
    /// any port, `null` for the opaque origin. Default: none.
    pub allow_origins: Vec<String>,
    /// Regexes matched against the whole origin. Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub allow_origin_regex: Vec<String>,
    /// Allowed methods, case-sensitive; `*` for any.
    /// Default: `GET`, `HEAD`, `POST`.
    ///
    /// `GET`, `HEAD` and `POST` are always allowed, whatever this lists:
    /// browsers send them without a preflight (with safelisted headers), so
    /// a server cannot refuse them through CORS; `allow_methods =
    /// ["DELETE"]` allows DELETE *in addition*. To refuse a POST, refuse
    /// its origin or answer it with an error in the handler.
    pub allow_methods: Vec<String>,
    /// Allowed request headers, case-insensitive; `*` for any. Default: none
    /// beyond the always-allowed `accept`, `accept-language`,
    /// `content-language` and `content-type`.
    pub allow_headers: Vec<String>,
    /// Response headers a page may read; `*` for all. Default: none.
    pub expose_headers: Vec<String>,
    /// Whether pages may send cookies and read credentialed responses.
    /// Default: `false`.
    pub allow_credentials: bool,
    /// How long browsers may cache a preflight answer, in seconds, 0 to
    /// 86400. Default: 600.
    pub max_age: u64,
    /// Whether to answer Private Network Access preflights. Default: `false`.
    pub allow_private_network: bool,
    /// The status of an allowed preflight: 204 or 200. Default: 204.
    pub preflight_status: u16,
    /// Whether to answer actual requests from disallowed origins with 403
    /// instead of running the handler. Default: `false`.
    pub block_disallowed_origins: bool,
    /// Whether origins that no other rule allows are referred to the
    /// application's origin lookup (an async function given to the
    /// adapter), which decides at run time. Without a lookup in the
    /// adapter, such origins are refused. `null` and malformed origins are
    /// never referred (but see `lookup_null_origin`). Default: `false`.
    pub allow_origin_lookup: bool,
    /// Whether the `null` origin is referred to the origin lookup too.
    /// Needs `allow_origin_lookup`; refused with `allow_credentials`, as a
    /// listed `"null"` is. Default: `false`.
    pub lookup_null_origin: bool,
    /// Per-path policies: each route names `paths` (exact, `/metrics`, or
    /// prefix, `/public/*`) and any policy key, the others taking their
    /// top-level values. The most specific pattern wins; see
    /// [`RouteConfig`]. Default: none.
    pub routes: Vec<RouteConfig>,
    /// Keys that are not configuration keys, reported by `build`.
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            allow_origins: Vec::new(),
            allow_origin_regex: Vec::new(),
            allow_methods: ["GET", "HEAD", "POST"].map(String::from).to_vec(),
            allow_headers: Vec::new(),
            expose_headers: Vec::new(),
            allow_credentials: false,
            max_age: 600,
            allow_private_network: false,
            preflight_status: 204,
            block_disallowed_origins: false,
            allow_origin_lookup: false,
            lookup_null_origin: false,
            routes: Vec::new(),
            unknown: BTreeMap::new(),
        }
    }
}

/// One route of a [`PolicyConfig`]: the paths it covers and the keys it
/// sets; every key it does not set takes the top-level value, with one
/// exception: the origin rules (`allow_origins`, `allow_origin_regex`,
/// `allow_origin_lookup`, `lookup_null_origin`, and a builder's origin
/// predicate) are inherited as a whole or not at all. A route that sets any
/// of them gets the defaults for the others, so `allow_origins = []` in a
/// route means no cross-origin access, whatever regexes or lookup the top
/// level has.
///
/// ```
/// use cors_core::{PolicyConfig, RequestParts};
///
/// let config: PolicyConfig = toml::from_str(r#"
///     allow_origins = ["https://app.example.com"]
///     allow_credentials = true
///
///     [[routes]]
///     paths = ["/public/*"]
///     allow_origins = ["*"]
///     allow_credentials = false
///
///     [[routes]]
///     paths = ["/internal/*", "/metrics"]
///     allow_origins = []
/// "#).unwrap();
/// let policy = config.build().unwrap();
///
/// let mut request = RequestParts::new("GET").with_path("/public/logo.png");
/// request.add_header("origin", b"https://anyone.example");
/// assert!(policy.evaluate(&request).is_allowed());
///
/// let mut request = RequestParts::new("GET").with_path("/internal/users");
/// request.add_header("origin", b"https://app.example.com");
/// assert!(!policy.evaluate(&request).is_allowed());
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RouteConfig {
    /// Path patterns: exact (`/metrics`, which also covers `/metrics/`) or
    /// prefix (`/public/*`: `/public` and every path under `/public/`).
    pub paths: Vec<String>,
    /// Overrides `allow_origins`.
    pub allow_origins: Option<Vec<String>>,
    /// Overrides `allow_origin_regex`.
    #[serde(deserialize_with = "some_one_or_many")]
    pub allow_origin_regex: Option<Vec<String>>,
    /// Overrides `allow_methods`.
    pub allow_methods: Option<Vec<String>>,
    /// Overrides `allow_headers`.
    pub allow_headers: Option<Vec<String>>,
    /// Overrides `expose_headers`.
    pub expose_headers: Option<Vec<String>>,
    /// Overrides `allow_credentials`.
    pub allow_credentials: Option<bool>,
    /// Overrides `max_age`.
    pub max_age: Option<u64>,
    /// Overrides `allow_private_network`.
    pub allow_private_network: Option<bool>,
    /// Overrides `preflight_status`.
    pub preflight_status: Option<u16>,
    /// Overrides `block_disallowed_origins`.
    pub block_disallowed_origins: Option<bool>,
    /// Overrides `allow_origin_lookup`.
    pub allow_origin_lookup: Option<bool>,
    /// Overrides `lookup_null_origin`.
    pub lookup_null_origin: Option<bool>,
    /// Keys that are not route keys, reported by `build`.
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl RouteConfig {
    /// A route covering `paths`, with every key inherited.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(paths: I) -> Self {
        RouteConfig {
            paths: paths.into_iter().map(Into::into).collect(),
            ..RouteConfig::default()
        }
    }

    /// The route's whole configuration: its keys over `top`'s, and the
    /// names of the keys it inherited.
    pub(crate) fn resolve(&self, top: &PolicyConfig) -> (PolicyConfig, Vec<&'static str>) {
        let mut inherited = Vec::new();
        fn pick<T: Clone>(
            own: &Option<T>,
            top: &T,
            key: &'static str,
            inherited: &mut Vec<&'static str>,
        ) -> T {
            own.clone().unwrap_or_else(|| {
                inherited.push(key);
                top.clone()
            })
        }
        // The origin rules are inherited as a whole or not at all: a route
        // that writes `allow_origins = []` means "no cross-origin access",
        // which an inherited regex or lookup would quietly contradict.
        let sets_origin_rules = self.allow_origins.is_some()
            || self.allow_origin_regex.is_some()
            || self.allow_origin_lookup.is_some()
            || self.lookup_null_origin.is_some();
        let defaults = PolicyConfig::default();
        let origin_top = if sets_origin_rules { &defaults } else { top };
        let mut own_rules = Vec::new();
        let o = if sets_origin_rules {
            &mut own_rules
        } else {
            &mut inherited
        };
        let allow_origins = pick(
            &self.allow_origins,
            &origin_top.allow_origins,
            "allow_origins",
            o,
        );
        let allow_origin_regex = pick(
            &self.allow_origin_regex,
            &origin_top.allow_origin_regex,
            "allow_origin_regex",
            o,
        );
        let allow_origin_lookup = pick(
            &self.allow_origin_lookup,
            &origin_top.allow_origin_lookup,
            "allow_origin_lookup",
            o,
        );
        let lookup_null_origin = pick(
            &self.lookup_null_origin,
            &origin_top.lookup_null_origin,
            "lookup_null_origin",
            o,
        );
        let i = &mut inherited;
        let config = PolicyConfig {
            allow_origins,
            allow_origin_regex,
            allow_methods: pick(&self.allow_methods, &top.allow_methods, "allow_methods", i),
            allow_headers: pick(&self.allow_headers, &top.allow_headers, "allow_headers", i),
            expose_headers: pick(
                &self.expose_headers,
                &top.expose_headers,
                "expose_headers",
                i,
            ),
            allow_credentials: pick(
                &self.allow_credentials,
                &top.allow_credentials,
                "allow_credentials",
                i,
            ),
            max_age: pick(&self.max_age, &top.max_age, "max_age", i),
            allow_private_network: pick(
                &self.allow_private_network,
                &top.allow_private_network,
                "allow_private_network",
                i,
            ),
            preflight_status: pick(
                &self.preflight_status,
                &top.preflight_status,
                "preflight_status",
                i,
            ),
            block_disallowed_origins: pick(
                &self.block_disallowed_origins,
                &top.block_disallowed_origins,
                "block_disallowed_origins",
                i,
            ),
            allow_origin_lookup,
            lookup_null_origin,
            routes: Vec::new(),
            unknown: BTreeMap::new(),
        };
        (config, inherited)
    }

    /// The errors for keys that are not route keys.
    pub(crate) fn unknown_key_errors(&self) -> impl Iterator<Item = ConfigError> + '_ {
        self.unknown.keys().map(|key| ConfigError::UnknownKey {
            key: key.clone(),
            suggestion: suggest(key).filter(|s| ROUTE_KEYS.contains(s)),
        })
    }
}

impl PolicyConfig {
    /// Validates the configuration and builds the policy, or returns every
    /// problem found.
    pub fn build(self) -> Result<crate::Policy, crate::ConfigErrors> {
        crate::Policy::from_config(self, None)
    }

    /// The errors for keys that are not configuration keys.
    pub(crate) fn unknown_key_errors(&self) -> impl Iterator<Item = ConfigError> + '_ {
        self.unknown.keys().map(|key| ConfigError::UnknownKey {
            key: key.clone(),
            suggestion: suggest(key).filter(|s| KEYS.contains(s)),
        })
    }
}

/// Accepts a string or a list of strings.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(deserializer) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(de::Error::custom(
            "allow_origin_regex must be a string or a list of strings",
        )),
    }
}

/// [`one_or_many`], for a key that may be absent.
fn some_one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    one_or_many(deserializer).map(Some)
}

/// Names other CORS libraries use for our keys, normalized (lower case, no
/// `_` or `-`).
const ALIASES: [(&str, &str); 27] = [
    ("allowedorigins", "allow_origins"),
    ("origins", "allow_origins"),
    ("origin", "allow_origins"),
    ("corsallowedorigins", "allow_origins"),
    ("alloworigin", "allow_origins"),
    ("allowedoriginregexes", "allow_origin_regex"),
    ("alloworiginregexes", "allow_origin_regex"),
    ("corsallowedoriginregexes", "allow_origin_regex"),
    ("originregex", "allow_origin_regex"),
    ("allowedmethods", "allow_methods"),
    ("methods", "allow_methods"),
    ("allowedheaders", "allow_headers"),
    ("headers", "allow_headers"),
    ("exposedheaders", "expose_headers"),
    ("exposeheader", "expose_headers"),
    ("credentials", "allow_credentials"),
    ("supportscredentials", "allow_credentials"),
    ("corsallowcredentials", "allow_credentials"),
    ("maxageseconds", "max_age"),
    ("corspreflightmaxage", "max_age"),
    ("preflightmaxage", "max_age"),
    ("privatenetwork", "allow_private_network"),
    ("optionssuccessstatus", "preflight_status"),
    ("blocknonallowedorigins", "block_disallowed_origins"),
    ("resources", "routes"),
    ("urls", "routes"),
    ("path", "paths"),
];

/// The known key closest to `key`, when one is close enough to be a slip.
pub(crate) fn suggest(key: &str) -> Option<&'static str> {
    let normalized: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == normalized) {
        return Some(to);
    }
    KEYS.iter()
        .chain(&["paths"])
        .map(|known| {
            let known_normalized: String = known.chars().filter(|&c| c != '_').collect();
            (edit_distance(&normalized, &known_normalized), *known)
        })
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance, for suggestions on short keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("allowed_origins"), Some("allow_origins"));
        assert_eq!(suggest("allowedOrigins"), Some("allow_origins"));
        assert_eq!(suggest("allow_origin"), Some("allow_origins"));
        assert_eq!(suggest("supports_credentials"), Some("allow_credentials"));
        assert_eq!(suggest("exposedHeaders"), Some("expose_headers"));
        assert_eq!(suggest("max-age"), Some("max_age"));
        assert_eq!(suggest("maxage"), Some("max_age"));
        assert_eq!(suggest("alow_methods"), Some("allow_methods"));
        assert_eq!(suggest("prefligt_status"), Some("preflight_status"));
        assert_eq!(suggest("database_url"), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("abcd", "b"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn regex_accepts_one_or_many() {
        let one: PolicyConfig = serde_json::from_str(r#"{"allow_origin_regex": "a"}"#).unwrap();
        assert_eq!(one.allow_origin_regex, ["a"]);
        let many: PolicyConfig =
            serde_json::from_str(r#"{"allow_origin_regex": ["a", "b"]}"#).unwrap();
        assert_eq!(many.allow_origin_regex, ["a", "b"]);
        let err = serde_json::from_str::<PolicyConfig>(r#"{"allow_origin_regex": 3}"#).unwrap_err();
        assert!(err.to_string().contains("string or a list"), "{err}");
    }

    #[test]
    fn defaults() {
        let config: PolicyConfig = toml::from_str("").unwrap();
        assert_eq!(config.allow_methods, ["GET", "HEAD", "POST"]);
        assert_eq!(config.max_age, 600);
        assert_eq!(config.preflight_status, 204);
        assert!(!config.allow_credentials && !config.allow_private_network);
        assert!(config.allow_origins.is_empty());
    }
}
