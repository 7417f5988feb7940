//! The `request_headers` target: arbitrary `Access-Control-Request-Headers`
//! lines in an otherwise allowed preflight.
//!
//! The first byte picks one of four policies (`byte % 4`: listed names,
//! `*`, `*` with credentials, only the always-allowed names); the rest is
//! split on line feeds into up to twelve header lines.

use cors_core::{Policy, PolicyConfig, Refusal};

use crate::invariants::{self, Facts, ORIGIN, REQUEST_HEADERS, REQUEST_METHOD, Sent};

fn config(choice: u8) -> PolicyConfig {
    let mut config = PolicyConfig::default();
    config.allow_origins = vec!["https://a.example".into()];
    config.allow_methods = vec!["PUT".into()];
    config.allow_headers = match choice % 4 {
        0 => vec!["x-a", "X-B", "authorization", "x-request-id"],
        1 | 2 => vec!["*"],
        _ => vec![],
    }
    .into_iter()
    .map(String::from)
    .collect();
    config.allow_credentials = choice % 4 == 2;
    config
}

/// Runs one input.
pub fn request_headers(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let config = config(choice);
    let policy: Policy = config.clone().build().expect("a valid policy");
    let facts = Facts::new(&config);

    let lines: Vec<&[u8]> = rest.split(|&b| b == b'\n').take(12).collect();
    let mut sent = Sent::new("OPTIONS")
        .with(ORIGIN, b"https://a.example")
        .with(REQUEST_METHOD, b"PUT");
    for line in &lines {
        sent = sent.with(REQUEST_HEADERS, line);
    }
    let parts = sent.parts();
    let decision = policy.evaluate(&parts);
    invariants::check(&facts, &sent, &decision);

    // Allowed exactly when every line is a list of tokens the policy allows.
    let expected = lines.len() <= cors_core::MAX_REQUEST_HEADER_LINES
        && invariants::list_elements(&lines).is_some_and(|names| {
            names.len() <= cors_core::MAX_REQUEST_HEADERS
                && names.iter().all(|n| facts.allows_header(n))
        });
    assert_eq!(
        decision.is_allowed(),
        expected,
        "{lines:?}: {:?}",
        decision.refusal()
    );
    if let Some(refusal) = decision.refusal() {
        match refusal {
            Refusal::MalformedRequestHeaders | Refusal::TooManyRequestHeaders => {}
            Refusal::HeaderNotAllowed(name) => {
                assert!(invariants::is_token(name.as_bytes()), "{name:?}");
                assert!(!facts.allows_header(name.as_bytes()), "{name:?}");
            }
            other => panic!("refused for {other:?}"),
        }
    }
}
