//! The demo server: the API under a CORS policy in the framework of your
//! choice, and a page on another origin whose script calls it.
//!
//! ```text
//! cargo run --release --bin cors-demo -- [--framework axum|actix|rocket|warp|warp-tower]
//!     [--policy FILE [--watch]] [--listen ADDR] [--page-listen ADDR] [--log-requests]
//! ```
//!
//! Open the page's URL in a browser to watch the policy at work. An invalid
//! policy file ends the program with status 2 and every problem on stderr,
//! before anything is served.
//!
//! With `--watch`, the policy file is read again whenever it changes, and
//! the new policy replaces the old one for every request that starts after
//! it (through a [`SharedPolicy`]); requests under way finish with the
//! policy they started with. The file's directory is watched rather than
//! the file, so an editor that saves by writing a new file and renaming it
//! over the old one is followed too. Then:
//!
//! - a valid file: `cors-demo: policy reloaded` on stdout;
//! - an invalid file: every problem on stderr, as at start-up, then
//!   `cors-demo: keeping the current policy`; the old policy keeps serving;
//! - a deleted file: `cors-demo: FILE was removed; keeping the current
//!   policy` on stderr; the file is picked up again once it is written.
//!
//! The API's port accepts connections only once the API answers, in every
//! framework: a client that connects earlier is refused, never accepted
//! and then dropped.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cors_core::{Policy, PolicySource, SharedPolicy};
use cors_examples::demo::serve::Reservation;
use cors_examples::{Framework, Routes, demo};

const USAGE: &str = "usage: cors-demo [--framework axum|actix|rocket|warp|warp-tower] [--policy FILE [--watch]] [--listen ADDR] [--page-listen ADDR] [--log-requests]

  --framework    the framework serving the API (default: axum)
  --policy       a policy file, TOML (JSON when the name ends in .json);
                 default: a demo policy allowing the page's origin
  --watch        reload the policy file whenever it changes, printing
                 `cors-demo: policy reloaded`; an invalid or deleted file
                 keeps the current policy (the problems go to stderr)
  --listen       the API's address (default: 127.0.0.1:3001)
  --page-listen  the page's address (default: 127.0.0.1:3000)
  --log-requests print `cors-demo: request METHOD PATH` for every request
                 the API receives, preflights included";

/// How long a policy file written in place must stay unchanged before it
/// is read, unless the writer closes it sooner: a half-written file is not
/// taken for the new policy.
const SETTLE: Duration = Duration::from_millis(20);
/// The longest a stream of changes delays a reload.
const SETTLE_AT_MOST: Duration = Duration::from_millis(500);

#[derive(Debug)]
struct Args {
    framework: Framework,
    policy: Option<String>,
    listen: SocketAddr,
    page_listen: SocketAddr,
    log_requests: bool,
    watch: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        framework: Framework::Axum,
        policy: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 3001)),
        page_listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
        log_requests: false,
        watch: false,
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        if flag == "--log-requests" {
            parsed.log_requests = true;
            continue;
        }
        if flag == "--watch" {
            parsed.watch = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let address = |value: &str| {
            value
                .parse::<SocketAddr>()
                .map_err(|e| format!("{flag} {value}: {e} (write it as 127.0.0.1:3001)"))
        };
        match flag.as_str() {
            "--framework" => parsed.framework = Framework::from_name(&value).ok_or_else(|| {
                format!(
                    "unknown framework {value:?}: choose axum, actix, rocket, warp or warp-tower"
                )
            })?,
            "--policy" => parsed.policy = Some(value),
            "--listen" => parsed.listen = address(&value)?,
            "--page-listen" => parsed.page_listen = address(&value)?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if parsed.watch && parsed.policy.is_none() {
        return Err("--watch needs --policy FILE".to_owned());
    }
    Ok(parsed)
}

/// Reads a policy file: TOML, or JSON when the name ends in `.json`. Also
/// returns the text, which `--watch` compares later versions with.
fn read_policy(path: &str) -> Result<(Policy, String), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok((parse_policy(path, &text)?, text))
}

/// Builds the policy in `text`, read from `path`; the error names the file
/// and lists every problem.
fn parse_policy(path: &str, text: &str) -> Result<Policy, String> {
    if path.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
    } else {
        toml::from_str(text).map_err(|e| format!("{path}: {e}"))
    }
}

/// Watches the policy file `path`, last read as `text`, replacing `shared`
/// when it changes; the watch lasts as long as the returned watcher.
fn watch(
    path: &str,
    text: String,
    shared: SharedPolicy,
) -> Result<notify::RecommendedWatcher, String> {
    use notify::Watcher;

    let file = Path::new(path);
    let name = file
        .file_name()
        .ok_or_else(|| format!("--watch: {path} does not name a file"))?
        .to_owned();
    // The directory, not the file: a file replaced by rename is a new file,
    // which a watch on the old one would never report.
    let directory = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (events, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = events.send(event);
    })
    .map_err(|e| format!("--watch: {e}"))?;
    watcher
        .watch(&directory, notify::RecursiveMode::NonRecursive)
        .map_err(|e| format!("--watch: {}: {e}", directory.display()))?;
    let mut reloader = Reloader {
        path: path.to_owned(),
        last_text: Some(text),
        shared,
    };
    std::thread::Builder::new()
        .name("cors-demo-watch".into())
        .spawn(move || {
            // A change between the first read and the start of the watch.
            reloader.check();
            while let Ok(event) = changes.recv() {
                match change(&event, &name) {
                    Change::None => continue,
                    Change::Complete => {}
                    Change::Partial => {
                        // Wait for the writer to finish: its closing the
                        // file, or a quiet moment.
                        let first = Instant::now();
                        loop {
                            match changes.recv_timeout(SETTLE) {
                                Ok(event) => {
                                    let complete =
                                        matches!(change(&event, &name), Change::Complete);
                                    if complete || first.elapsed() >= SETTLE_AT_MOST {
                                        break;
                                    }
                                }
                                Err(mpsc::RecvTimeoutError::Timeout) => break,
                                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                            }
                        }
                    }
                }
                reloader.check();
            }
        })
        .map_err(|e| format!("--watch: {e}"))?;
    Ok(watcher)
}

/// What a file system event in the policy file's directory says about the
/// file.
enum Change {
    /// Nothing: another file, or a read (the watcher's own included).
    None,
    /// A change that may be followed by more: a write in place, a removal.
    Partial,
    /// A finished change: the file renamed into place (a rename is
    /// atomic), or closed after writing.
    Complete,
}

fn change(event: &notify::Result<notify::Event>, name: &std::ffi::OsStr) -> Change {
    use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};

    let event = match event {
        Ok(event) => event,
        Err(e) => {
            eprintln!("cors-demo: --watch: {e}");
            return Change::Partial;
        }
    };
    let is_file = |path: &PathBuf| path.file_name() == Some(name);
    match event.kind {
        _ if event.need_rescan() => Change::Partial,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            if event.paths.iter().any(is_file) =>
        {
            Change::Complete
        }
        EventKind::Access(_) => Change::None,
        // The last path of a rename is where the file went.
        EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            if event.paths.last().is_some_and(is_file) =>
        {
            Change::Complete
        }
        _ if event.paths.iter().any(is_file) => Change::Partial,
        _ => Change::None,
    }
}

/// What `--watch` knows of the policy file.
struct Reloader {
    path: String,
    /// The text last read, valid or not; `None` once the file is gone.
    last_text: Option<String>,
    shared: SharedPolicy,
}

impl Reloader {
    /// Reads the file and acts on what changed since the last read.
    fn check(&mut self) {
        let path = &self.path;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.last_text.take().is_some() {
                    eprintln!("cors-demo: {path} was removed; keeping the current policy");
                }
                return;
            }
            Err(e) => {
                eprintln!(
                    "cors-demo: cannot read {path}: {e}\ncors-demo: keeping the current policy"
                );
                return;
            }
        };
        if self.last_text.as_deref() == Some(text.as_str()) {
            return;
        }
        match parse_policy(path, &text) {
            Ok(policy) => {
                self.shared.replace(policy);
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "cors-demo: policy reloaded");
                let _ = out.flush();
            }
            Err(message) => {
                let message = message.trim_end();
                eprintln!("cors-demo: {message}\ncors-demo: keeping the current policy");
            }
        }
        self.last_text = Some(text);
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

# Public assets: any origin, without credentials.
[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false
"#,
        origins.join(", ")
    )
}

/// Where the API is served: a listening socket, or for Rocket, which binds
/// its own, an address reserved until it does.
enum ApiSocket {
    Listener(TcpListener),
    Reserved(Reservation),
}

impl ApiSocket {
    fn bind(framework: Framework, address: SocketAddr) -> Result<ApiSocket, String> {
        let failed = |e: std::io::Error| format!("cannot listen on {address}: {e}");
        match framework {
            Framework::Rocket => Reservation::new(address)
                .map(ApiSocket::Reserved)
                .map_err(failed),
            _ => TcpListener::bind(address)
                .map(ApiSocket::Listener)
                .map_err(failed),
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            ApiSocket::Listener(listener) => listener.local_addr(),
            ApiSocket::Reserved(reservation) => Ok(reservation.address()),
        }
    }
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
    let page = TcpListener::bind(args.page_listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.page_listen));
    let (api, page) = match (ApiSocket::bind(args.framework, args.listen), page) {
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
    let (policy, text, source) = match file_policy {
        Some((policy, text)) => (policy, text, args.policy.clone().unwrap_or_default()),
        None => {
            let text = demo_policy(page_addr);
            let policy = toml::from_str(&text).expect("the demo policy is valid");
            let source = format!("built-in demo policy:\n{text}");
            (policy, text, source)
        }
    };
    // Only a watched policy is shared: a policy that never changes is
    // served as it is, which lets the adapters decide what they can once,
    // at start-up (the shape an application without reloading has).
    let shared = SharedPolicy::new(policy.clone());
    let policy_source: PolicySource = if args.watch {
        shared.clone().into()
    } else {
        policy.into()
    };
    // Kept until the server stops: dropping it ends the watch.
    let _watcher = match args.policy.as_deref().filter(|_| args.watch) {
        Some(path) => match watch(path, text, shared.clone()) {
            Ok(watcher) => Some(watcher),
            Err(message) => {
                eprintln!("cors-demo: {message}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };

    let api_url = format!("http://{api_addr}");
    // The page shows the `/public/` calls when the policy it starts with
    // has routes.
    if let Err(e) = demo::page::spawn_for(page, &api_url, &shared.current()) {
        eprintln!("cors-demo: cannot serve the page: {e}");
        return ExitCode::FAILURE;
    }
    let watching = if args.watch {
        "\ncors-demo: watching the policy file for changes"
    } else {
        ""
    };
    let announce = move || {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "cors-demo: {} API on {api_url}\ncors-demo: page on http://{page_addr} (open it in a browser)\ncors-demo: policy: {source}{watching}",
            args.framework.name()
        );
        let _ = out.flush();
    };
    let log = args.log_requests;
    let served = match (args.framework, api) {
        (Framework::Rocket, ApiSocket::Reserved(reserved)) => {
            demo::serve::rocket(reserved, policy_source, Routes::Demo, log, announce)
        }
        (Framework::Axum, ApiSocket::Listener(api)) => {
            demo::serve::axum(api, policy_source, Routes::Demo, log, announce)
        }
        (Framework::Actix, ApiSocket::Listener(api)) => {
            demo::serve::actix(api, policy_source, Routes::Demo, log, announce)
        }
        (Framework::Warp, ApiSocket::Listener(api)) => {
            demo::serve::warp(api, policy_source, Routes::Demo, log, announce)
        }
        (Framework::WarpTower, ApiSocket::Listener(api)) => {
            demo::serve::warp_tower(api, policy_source, Routes::Demo, log, announce)
        }
        _ => unreachable!("ApiSocket::bind reserves for Rocket and listens for the others"),
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
        assert!(!args.watch);
        let watching = parse_args(
            ["--policy", "p.toml", "--watch"]
                .map(String::from)
                .into_iter(),
        );
        assert!(watching.unwrap().watch);
        let message = parse_args(["--watch"].map(String::from).into_iter()).unwrap_err();
        assert_eq!(message, "--watch needs --policy FILE");
    }

    #[test]
    fn demo_policy_allows_the_page_on_both_host_names() {
        let policy: Policy =
            toml::from_str(&demo_policy(SocketAddr::from(([127, 0, 0, 1], 3000)))).unwrap();
        let allows = |path, origin: &str| {
            let mut request = cors_core::RequestParts::new("GET").with_path(path);
            request.add_header("origin", origin.as_bytes());
            let decision = policy.evaluate(&request);
            decision.is_allowed().then(|| {
                decision
                    .header(cors_core::ResponseHeader::AllowCredentials)
                    .is_some()
            })
        };
        for origin in ["http://127.0.0.1:3000", "http://localhost:3000"] {
            assert_eq!(allows("/echo", origin), Some(true), "{origin}");
            // Under `/public/*`, without credentials.
            assert_eq!(allows("/public/echo", origin), Some(false), "{origin}");
        }
        assert_eq!(allows("/echo", "http://127.0.0.1:3001"), None);
        assert_eq!(allows("/public/echo", "http://127.0.0.1:3001"), Some(false));
    }
}
