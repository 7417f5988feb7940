//! The `policy` target: arbitrary bytes read as a TOML and as a JSON policy.

use cors_core::{Policy, PolicyConfig};

use crate::invariants::{self, Facts, ORIGIN, REQUEST_HEADERS, REQUEST_METHOD, Sent};

/// Runs one input, as TOML and as JSON.
pub fn policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    compare(
        toml::from_str::<PolicyConfig>(&text).map_err(|e| e.to_string()),
        toml::from_str::<Policy>(&text).map_err(|e| e.to_string()),
    );
    compare(
        serde_json::from_slice::<PolicyConfig>(data).map_err(|e| e.to_string()),
        serde_json::from_slice::<Policy>(data).map_err(|e| e.to_string()),
    );
}

/// Deserializing a `Policy` must succeed exactly when deserializing a
/// `PolicyConfig` and building it does, and report the same problems.
fn compare(config: Result<PolicyConfig, String>, direct: Result<Policy, String>) {
    let Ok(config) = config else {
        assert!(direct.is_err(), "a Policy from input its config refused");
        return;
    };
    match (config.clone().build(), direct) {
        (Ok(built), Ok(direct)) => {
            exercise(&built, &config);
            exercise(&direct, &config);
        }
        (Err(errors), Err(message)) => {
            assert!(!errors.errors().is_empty());
            let first = errors.errors()[0].to_string();
            let first_line = first.lines().next().unwrap_or_default();
            assert!(
                message.contains(first_line),
                "{message:?} does not report {first_line:?}"
            );
        }
        (built, direct) => panic!(
            "build and deserialize disagree: {:?} vs {:?}\n{config:?}",
            built.err(),
            direct.err()
        ),
    }
}

/// Evaluates fixed requests, and requests from origins the policy lists,
/// checking the invariants; a listed origin must be allowed.
fn exercise(policy: &Policy, config: &PolicyConfig) {
    let facts = Facts::new(config);
    let method = config
        .allow_methods
        .iter()
        .find(|m| *m != "*")
        .map_or("GET", String::as_str);
    let header_line = config
        .allow_headers
        .iter()
        .filter(|h| *h != "*")
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(",");

    let fixed = ["https://a.example", "null", "https://evil.example", "*"];
    let listed: Vec<String> = config
        .allow_origins
        .iter()
        .take(4)
        .map(|entry| entry.replacen("*.", "a.", 1).replacen(":*", ":8080", 1))
        .collect();
    for (origin, must_allow) in fixed
        .iter()
        .map(|o| (*o, false))
        .chain(listed.iter().map(|o| (o.as_str(), o.len() <= 512)))
    {
        let actual = Sent::new("GET").with(ORIGIN, origin.as_bytes());
        let preflight = Sent::new("OPTIONS")
            .with(ORIGIN, origin.as_bytes())
            .with(REQUEST_METHOD, method.as_bytes())
            .with(REQUEST_HEADERS, header_line.as_bytes());
        for sent in [actual, preflight] {
            let parts = sent.parts();
            let decision = policy.evaluate(&parts);
            invariants::check(&facts, &sent, &decision);
            if must_allow {
                assert!(
                    decision.is_allowed(),
                    "the listed origin {origin:?} was refused: {:?}\n{config:?}",
                    decision.refusal()
                );
            }
        }
    }
    let not_cors = Sent::new("POST");
    invariants::check(&facts, &not_cors, &policy.evaluate(&not_cors.parts()));
}
