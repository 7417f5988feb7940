//! Evaluates a handful of requests against a policy and prints what the
//! engine decided: the quickest way to see the rules at work.
//!
//! ```text
//! cargo run -p cors-examples --bin evaluate [POLICY.toml]
//! ```

use std::process::ExitCode;

use cors_core::{Action, Policy, RequestParts};

/// The policy used when no file is given.
const DEFAULT_POLICY: &str = r#"
allow_origins = ["https://app.example.com", "https://*.example.org", "http://localhost:*"]
allow_methods = ["GET", "POST", "PUT", "DELETE"]
allow_headers = ["authorization", "x-request-id"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 3600
"#;

/// (description, method, headers)
type Example = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const EXAMPLES: &[Example] = &[
    ("same-origin GET (no Origin)", "GET", &[]),
    (
        "cross-origin GET from an allowed origin",
        "GET",
        &[("origin", "https://app.example.com")],
    ),
    (
        "GET from a subdomain",
        "GET",
        &[("origin", "https://eu.example.org")],
    ),
    (
        "GET from a dev server on any port",
        "GET",
        &[("origin", "http://localhost:5173")],
    ),
    (
        "GET from an unknown origin",
        "GET",
        &[("origin", "https://evil.example")],
    ),
    (
        "preflight for PUT with a JSON body and a token",
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            (
                "access-control-request-headers",
                "authorization,content-type",
            ),
        ],
    ),
    (
        "preflight for a method the policy does not allow",
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PATCH"),
        ],
    ),
    (
        "preflight with a header the policy does not allow",
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-debug"),
        ],
    ),
    (
        "OPTIONS without Access-Control-Request-Method (not a preflight)",
        "OPTIONS",
        &[("origin", "https://app.example.com")],
    ),
];

fn main() -> ExitCode {
    let (source, text) = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => (path, text),
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => ("the built-in policy".to_owned(), DEFAULT_POLICY.to_owned()),
    };
    let policy: Policy = match toml::from_str(&text) {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("{source}: {e}");
            return ExitCode::from(2);
        }
    };
    println!("Policy: {source}\n{}", text.trim());

    for (description, method, headers) in EXAMPLES {
        let request =
            RequestParts::from_headers(method, headers.iter().map(|(n, v)| (*n, v.as_bytes())));
        let decision = policy.evaluate(&request);
        println!("\n{description}");
        println!("  request:  {method} {}", render(headers));
        match decision.action() {
            Action::Respond { status, .. } => println!("  decision: answer now with {status}"),
            Action::Forward => println!("  decision: run the handler, then add headers"),
            Action::Lookup => println!("  decision: ask the origin lookup"),
        }
        for (name, value) in decision.headers() {
            println!("  {name}: {value}");
        }
        if !decision.vary().is_empty() {
            println!("  vary: {}", decision.vary().as_str());
        }
        if let Some(refusal) = decision.refusal() {
            println!("  refused:  {refusal}");
        }
    }
    ExitCode::SUCCESS
}

fn render(headers: &[(&str, &str)]) -> String {
    let parts: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    if parts.is_empty() {
        "(no headers)".to_owned()
    } else {
        parts.join(", ")
    }
}
