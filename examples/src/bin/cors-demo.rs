//! The demo server: the API under a CORS policy in the framework of your
//! choice, and a page on another origin whose script calls it.
//!
//! ```text
//! cargo run --release --bin cors-demo -- [--framework axum|actix|rocket|warp]
//!     [--policy FILE] [--listen ADDR] [--page-listen ADDR] [--log-requests]
//! ```
//!
//! Open the page's URL in a browser to watch the policy at work. An invalid
//! policy file ends the program with status 2 and every problem on stderr,
//! before anything is served.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use cors_core::Policy;
use cors_examples::{Framework, Routes, demo};

const USAGE: &str = "usage: cors-demo [--framework axum|actix|rocket|warp] [--policy FILE] [--listen ADDR] [--page-listen ADDR] [--log-requests]

  --framework    the framework serving the API (default: axum)
  --policy       a policy file, TOML (JSON when the name ends in .json);
                 default: a demo policy allowing the page's origin
  --listen       the API's address (default: 127.0.0.1:3001)
  --page-listen  the page's address (default: 127.0.0.1:3000)
  --log-requests print `cors-demo: request METHOD PATH` for every request
                 the API receives, preflights included";

#[derive(Debug)]
struct Args {
    framework: Framework,
    policy: Option<String>,
    listen: SocketAddr,
    page_listen: SocketAddr,
    log_requests: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        framework: Framework::Axum,
        policy: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 3001)),
        page_listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
        log_requests: false,
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        if flag == "--log-requests" {
            parsed.log_requests = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let address = |value: &str| {
            value
                .parse::<SocketAddr>()
                .map_err(|e| format!("{flag} {value}: {e} (write it as 127.0.0.1:3001)"))
        };
        match flag.as_str() {
            "--framework" => {
                parsed.framework = Framework::from_name(&value).ok_or_else(|| {
                    format!("unknown framework {value:?}: choose axum, actix, rocket or warp")
                })?
            }
            "--policy" => parsed.policy = Some(value),
            "--listen" => parsed.listen = address(&value)?,
            "--page-listen" => parsed.page_listen = address(&value)?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(parsed)
}

/// Reads a policy file: TOML, or JSON when the name ends in `.json`.
fn read_policy(path: &str) -> Result<Policy, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if path.ends_with(".json") {
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    } else {
        toml::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }
}

/// The demo policy: the page's origin (under both of its usual host names)
/// may call the API with credentials, a JSON body and `X-Custom`, and read
/// `X-Request-Id`.
fn demo_policy(page: SocketAddr) -> String {
    let port = page.port();
    let mut origins = vec![format!("\"http://{page}\"")];
    if page.ip().is_loopback() {
        origins.push(format!("\"http://localhost:{port}\""));
        origins.push(format!("\"http://127.0.0.1:{port}\""));
    }
    origins.dedup();
    format!(
        r#"allow_origins = [{}]
allow_methods = ["GET", "POST", "PUT", "DELETE"]
allow_headers = ["content-type", "x-custom"]
expose_headers = ["x-request-id"]
allow_credentials = true
max_age = 600
"#,
        origins.join(", ")
    )
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("cors-demo: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // A policy file is checked before anything is bound or served.
    let file_policy = match args.policy.as_deref().map(read_policy).transpose() {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("cors-demo: {message}");
            return ExitCode::from(2);
        }
    };
    let bind = |addr: SocketAddr| {
        TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))
    };
    let (api, page) = match (bind(args.listen), bind(args.page_listen)) {
        (Ok(api), Ok(page)) => (api, page),
        (Err(message), _) | (_, Err(message)) => {
            eprintln!("cors-demo: {message}");
            return ExitCode::FAILURE;
        }
    };
    let (api_addr, page_addr) = match (api.local_addr(), page.local_addr()) {
        (Ok(a), Ok(p)) => (a, p),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("cors-demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (policy, source) = match file_policy {
        Some(policy) => (policy, args.policy.clone().unwrap_or_default()),
        None => {
            let text = demo_policy(page_addr);
            let policy = toml::from_str(&text).expect("the demo policy is valid");
            (policy, format!("built-in demo policy:\n{text}"))
        }
    };

    let api_url = format!("http://{api_addr}");
    if let Err(e) = demo::page::spawn(page, &api_url) {
        eprintln!("cors-demo: cannot serve the page: {e}");
        return ExitCode::FAILURE;
    }
    let announce = move || {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "cors-demo: {} API on {api_url}\ncors-demo: page on http://{page_addr} (open it in a browser)\ncors-demo: policy: {source}",
            args.framework.name()
        );
        let _ = out.flush();
    };
    let log = args.log_requests;
    let served = match args.framework {
        Framework::Axum => demo::serve::axum(api, policy, Routes::Demo, log, announce),
        Framework::Actix => demo::serve::actix(api, policy, Routes::Demo, log, announce),
        Framework::Rocket => demo::serve::rocket(api, policy, Routes::Demo, log, announce),
        Framework::Warp => demo::serve::warp(api, policy, Routes::Demo, log, announce),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cors-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let args = parse_args(
            [
                "--framework",
                "rocket",
                "--listen",
                "127.0.0.1:0",
                "--policy",
                "p.json",
                "--log-requests",
            ]
            .map(String::from)
            .into_iter(),
        )
        .unwrap();
        assert_eq!(args.framework, Framework::Rocket);
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.policy.as_deref(), Some("p.json"));
        assert!(args.log_requests);
        assert!(parse_args(["--framework", "gin"].map(String::from).into_iter()).is_err());
        assert!(parse_args(["--listen"].map(String::from).into_iter()).is_err());
        assert!(parse_args(["--listen", "3001"].map(String::from).into_iter()).is_err());
    }

    #[test]
    fn demo_policy_allows_the_page_on_both_host_names() {
        let policy: Policy =
            toml::from_str(&demo_policy(SocketAddr::from(([127, 0, 0, 1], 3000)))).unwrap();
        for origin in ["http://127.0.0.1:3000", "http://localhost:3000"] {
            let mut request = cors_core::RequestParts::new("GET");
            request.add_header("origin", origin.as_bytes());
            assert!(policy.evaluate(&request).is_allowed(), "{origin}");
        }
        let mut request = cors_core::RequestParts::new("GET");
        request.add_header("origin", b"http://127.0.0.1:3001");
        assert!(!policy.evaluate(&request).is_allowed());
    }
}
