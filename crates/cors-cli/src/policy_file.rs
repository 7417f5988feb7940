//! Reading policy files (TOML, or JSON by extension) and `cors validate`.

use cors_core::{Policy, PolicyConfig};

/// Whether `path` names a JSON file (by its extension); otherwise TOML.
fn is_json(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".json")
}

/// Builds the policy in `text`, read from `path`: TOML, or JSON when the
/// name ends in `.json`. The error names the file and lists every problem,
/// in the words of [`cors_core::ConfigErrors`].
///
/// ```
/// use cors_cli::policy_file::parse_policy;
///
/// let error = parse_policy("cors.toml", "allowed_origins = []").unwrap_err();
/// assert!(error.starts_with("cors.toml: invalid CORS policy (1 problem):"));
/// assert!(error.contains("did you mean `allow_origins`?"));
/// ```
pub fn parse_policy(path: &str, text: &str) -> Result<Policy, String> {
    if is_json(path) {
        serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
    } else {
        toml::from_str(text).map_err(|e| format!("{path}: {e}"))
    }
}

/// The raw configuration in `text` (for what a policy does not tell:
/// which keys a route sets).
pub fn parse_config(path: &str, text: &str) -> Result<PolicyConfig, String> {
    if is_json(path) {
        serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
    } else {
        toml::from_str(text).map_err(|e| format!("{path}: {e}"))
    }
}

/// Reads a file's text; the error names the file.
pub fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// What `cors validate` found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// A valid policy.
    Valid,
    /// An invalid policy: every problem, as [`parse_policy`] words them.
    Invalid(String),
    /// The file could not be read.
    Unreadable(String),
}

/// Validates one policy file.
pub fn validate(path: &str) -> Validation {
    match read(path) {
        Err(e) => Validation::Unreadable(e),
        Ok(text) => match parse_policy(path, &text) {
            Ok(_) => Validation::Valid,
            Err(e) => Validation::Invalid(e),
        },
    }
}
