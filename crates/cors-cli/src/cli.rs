//! The `cors` command: argument parsing, the three subcommands, and what
//! they print.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::Client;
use crate::explain::{self, Run};
use crate::fetch::{Fetch, Outgoing, Request, Response, Stage, Verdict, Warning};
use crate::policy_file::{self, Validation};

/// `cors --help`.
pub const USAGE: &str = "cors: checks CORS as a browser would, and says why

usage:
  cors check URL --origin ORIGIN [--method M] [-H 'Name: value']... [--credentials]
             [--cookie VALUE] [--no-follow] [--json] [--timeout SECS] [--cacert FILE]
  cors explain --policy FILE --origin ORIGIN [--method M] [-H 'Name: value']...
             [--credentials] [--path P]
  cors validate FILE...

check     sends what a browser sends for fetch(URL, {method, headers, credentials})
          from a page at ORIGIN (the preflight when one is needed, then the
          request), applies the browser's checks to the answers, and prints the
          exchange and the verdict: the response headers the page can read, or
          why the browser blocks it and the fix.
explain   the same against a cors-core policy file, offline: the engine's answers,
          the browser's verdict, the engine's refusal and the fix in policy keys.
validate  lists every problem in each policy file (TOML, or JSON by extension).

options:
  --origin ORIGIN   the page's origin, e.g. https://app.example.com (or null)
  --method M        the request's method (default: GET)
  -H, --header 'Name: value'
                    a header the page's script sets (repeatable)
  --credentials     credentials: \"include\" (cookies, HTTP authentication)
  --cookie VALUE    a Cookie header for the actual request, sent with --credentials
                    only, as a browser sends its cookies (never on the preflight)
  --no-follow       stop at a redirect of the actual request and name the URL to
                    check next, instead of following it as a browser does
  --json            check: print one JSON object instead of the transcript
  --timeout SECS    check: the longest wait for each answer (default: 10)
  --cacert FILE     check: also trust the CA certificates in this PEM file
  --policy FILE     explain: the policy file (TOML, or JSON by extension)
  --path P          explain: the request's path (default: /), which selects the route

exit status: 0 a browser allows it (validate: every file is valid), 1 a browser
blocks it (validate: a file is invalid), 2 usage, network or file error.";

/// The parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `--help`.
    Help,
    /// `--version`.
    Version,
    /// `cors check`.
    Check(CheckArgs),
    /// `cors explain`.
    Explain(ExplainArgs),
    /// `cors validate`.
    Validate(Vec<String>),
}

/// What `check` and `explain` share: the request a page's script makes.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestArgs {
    /// `--origin`.
    pub origin: String,
    /// `--method`.
    pub method: String,
    /// `-H`, split at the first `:`.
    pub headers: Vec<(String, String)>,
    /// `--credentials`.
    pub credentials: bool,
}

impl RequestArgs {
    /// The script's request.
    pub fn request(&self) -> Request {
        Request {
            origin: self.origin.clone(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            credentials: self.credentials,
        }
    }
}

/// `cors check`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckArgs {
    /// The URL.
    pub url: String,
    /// The request.
    pub request: RequestArgs,
    /// `--cookie`.
    pub cookie: Option<String>,
    /// `--no-follow`.
    pub no_follow: bool,
    /// `--json`.
    pub json: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--cacert`.
    pub cacert: Option<PathBuf>,
}

/// `cors explain`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainArgs {
    /// `--policy`.
    pub policy: String,
    /// The request.
    pub request: RequestArgs,
    /// `--path`.
    pub path: String,
}

/// Parses the arguments after the program name; the error is a usage
/// message.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err("missing command: check, explain or validate".to_owned());
    };
    match command.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "-V" | "--version" => return Ok(Command::Version),
        "validate" => {
            let files: Vec<String> = args.collect();
            if files.iter().any(|f| f == "-h" || f == "--help") {
                return Ok(Command::Help);
            }
            if files.is_empty() {
                return Err("validate needs at least one FILE".to_owned());
            }
            return Ok(Command::Validate(files));
        }
        "check" | "explain" => {}
        other => {
            return Err(format!(
                "unknown command {other:?}: use check, explain or validate"
            ));
        }
    }
    let check = command == "check";
    let mut url = None;
    let mut origin = None;
    let mut method = "GET".to_owned();
    let mut headers = Vec::new();
    let mut credentials = false;
    let mut cookie = None;
    let mut no_follow = false;
    let mut json = false;
    let mut timeout = Duration::from_secs(10);
    let mut cacert = None;
    let mut policy = None;
    let mut path = "/".to_owned();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        let only = |allowed: bool| {
            if allowed {
                Ok(())
            } else {
                Err(format!("{arg} is not an option of cors {command}"))
            }
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--origin" => origin = Some(value(&arg)?),
            "--method" | "-X" => method = value(&arg)?,
            "-H" | "--header" => {
                let header = value(&arg)?;
                let (name, v) = header
                    .split_once(':')
                    .ok_or_else(|| format!("{arg} {header:?}: write a header as 'Name: value'"))?;
                headers.push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "--credentials" => credentials = true,
            "--cookie" => {
                only(check)?;
                cookie = Some(value(&arg)?);
            }
            "--no-follow" => {
                only(check)?;
                no_follow = true;
            }
            "--json" => {
                only(check)?;
                json = true;
            }
            "--timeout" => {
                only(check)?;
                let text = value(&arg)?;
                let seconds: f64 = text
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("--timeout {text:?}: give seconds, e.g. 10 or 0.5"))?;
                timeout = Duration::from_secs_f64(seconds);
            }
            "--cacert" => {
                only(check)?;
                cacert = Some(PathBuf::from(value(&arg)?));
            }
            "--policy" => {
                only(!check)?;
                policy = Some(value(&arg)?);
            }
            "--path" => {
                only(!check)?;
                path = value(&arg)?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag:?}"));
            }
            _ if check && url.is_none() => url = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let origin = origin.ok_or("--origin ORIGIN is required (the page's origin)")?;
    let request = RequestArgs {
        origin,
        method,
        headers,
        credentials,
    };
    if check {
        Ok(Command::Check(CheckArgs {
            url: url.ok_or("cors check needs a URL")?,
            request,
            cookie,
            no_follow,
            json,
            timeout,
            cacert,
        }))
    } else {
        Ok(Command::Explain(ExplainArgs {
            policy: policy.ok_or("--policy FILE is required")?,
            request,
            path,
        }))
    }
}

/// Runs the command line `args` (without the program name), writing to
/// `out` and `err`; returns the exit status.
pub fn run(args: impl IntoIterator<Item = String>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let command = match parse(args) {
        Ok(command) => command,
        Err(message) => {
            let _ = writeln!(err, "cors: {message}\n\n{USAGE}");
            return 2;
        }
    };
    let colour = std::io::stdout().is_terminal();
    let result = match command {
        Command::Help => writeln!(out, "{USAGE}")
            .map(|_| 0)
            .map_err(|e| e.to_string()),
        Command::Version => writeln!(out, "cors {}", env!("CARGO_PKG_VERSION"))
            .map(|_| 0)
            .map_err(|e| e.to_string()),
        Command::Check(args) => check(&args, colour, out),
        Command::Explain(args) => explain_command(&args, out),
        Command::Validate(files) => validate(&files, out, err),
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(err, "cors: {message}");
            2
        }
    }
}

/// One request and its answer, as `check` saw them.
pub type Exchange = (Outgoing, Response);

/// Runs `fetch` over the network: the verdict and every exchange.
pub async fn run_fetch(
    client: &Client,
    mut fetch: Fetch,
    cookie: Option<&str>,
    credentials: bool,
) -> Result<(Verdict, Vec<Exchange>), String> {
    let mut exchanges = Vec::new();
    loop {
        let outgoing = fetch.next_request();
        // A browser sends its cookies with the actual request only.
        let extra: Vec<(String, String)> = match cookie {
            Some(cookie) if credentials && outgoing.stage == Stage::Actual => {
                vec![("Cookie".to_owned(), cookie.to_owned())]
            }
            _ => Vec::new(),
        };
        let response = client.send(&outgoing, &extra).await?;
        let verdict = fetch.receive(&response);
        exchanges.push((outgoing, response));
        if let Some(verdict) = verdict {
            return Ok((verdict, exchanges));
        }
    }
}

fn check(args: &CheckArgs, colour: bool, out: &mut dyn Write) -> Result<u8, String> {
    let mut fetch = Fetch::new(&args.url, args.request.request()).map_err(|e| e.to_string())?;
    if args.no_follow {
        fetch = fetch.no_follow();
    }
    let client = Client::new(args.cacert.as_deref(), args.timeout)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (verdict, exchanges) = runtime.block_on(run_fetch(
        &client,
        fetch,
        args.cookie.as_deref(),
        args.request.credentials,
    ))?;
    let text = if args.json {
        format!("{:#}\n", verdict_json(&args.request, &verdict, &exchanges))
    } else {
        let mut text = String::new();
        for (request, response) in &exchanges {
            text.push_str(&transcript(request, response, colour));
            text.push('\n');
        }
        text.push_str(&verdict_text(&verdict, colour));
        text
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(if verdict.allowed() { 0 } else { 1 })
}

/// Whether a header name is one CORS reads or sets.
fn is_cors_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("access-control-")
        || lower == "origin"
        || lower == "vary"
        || lower == "location"
}

/// Values from a server are shown printable and cut short.
fn shown(value: &str) -> String {
    let mut text: String = value
        .chars()
        .take(300)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if value.chars().count() > 300 {
        text.push_str("...");
    }
    text
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// One request and its response, CORS headers highlighted.
pub fn transcript(request: &Outgoing, response: &Response, colour: bool) -> String {
    let mut text = String::new();
    let label = match request.stage {
        Stage::Preflight => "preflight",
        Stage::Actual => "request",
    };
    text.push_str(&format!(
        "{}\n> {} {}\n",
        paint(&format!("# {label}"), "1", colour),
        request.method,
        request.url
    ));
    for (name, value) in &request.headers {
        let line = format!("{name}: {}", shown(value));
        let line = if is_cors_header(name) {
            paint(&line, "1;36", colour)
        } else {
            line
        };
        text.push_str(&format!("> {line}\n"));
    }
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    text.push_str(&format!("< {} {reason}\n", response.status));
    for (name, value) in &response.headers {
        let line = format!("{name}: {}", shown(value));
        let line = if is_cors_header(name) {
            paint(&line, "1;33", colour)
        } else {
            line
        };
        text.push_str(&format!("< {line}\n"));
    }
    text
}

fn warnings_text(warnings: &[Warning], colour: bool) -> String {
    let mut text = String::new();
    for warning in warnings {
        text.push_str(&format!(
            "{} {}\n  fix: {}\n",
            paint("warning:", "1;33", colour),
            warning.text,
            warning.fix
        ));
    }
    text
}

/// The verdict in words.
pub fn verdict_text(verdict: &Verdict, colour: bool) -> String {
    let mut text = match &verdict.blocked {
        None => {
            let readable = if verdict.readable_headers.is_empty() {
                "none".to_owned()
            } else {
                verdict.readable_headers.join(", ")
            };
            let what = if verdict.cors {
                "a browser allows it"
            } else {
                "a same-origin request: CORS does not apply"
            };
            format!(
                "{} {what}\nreadable response headers: {readable}\n",
                paint("allowed:", "1;32", colour)
            )
        }
        Some(blocked) => format!(
            "{} {}\nfix: {}\n",
            paint("blocked:", "1;31", colour),
            blocked.reason(),
            blocked.fix()
        ),
    };
    text.push_str(&warnings_text(&verdict.warnings, colour));
    text
}

fn headers_json(headers: &[(String, String)]) -> Value {
    Value::Array(headers.iter().map(|(n, v)| json!([n, v])).collect())
}

fn warnings_json(warnings: &[Warning]) -> Value {
    Value::Array(
        warnings
            .iter()
            .map(|w| json!({"code": w.code, "text": w.text, "fix": w.fix}))
            .collect(),
    )
}

/// `cors check --json`'s object.
pub fn verdict_json(request: &RequestArgs, verdict: &Verdict, exchanges: &[Exchange]) -> Value {
    let blocked = verdict.blocked.as_ref();
    json!({
        "allowed": verdict.allowed(),
        "origin": request.origin,
        "method": request.method,
        "credentials": request.credentials,
        "url": verdict.url,
        "cors": verdict.cors,
        "preflight": verdict.preflight.map(|p| json!({"status": p.status, "ok": p.ok})),
        "status": verdict.status,
        "readable_headers": verdict.readable_headers,
        "code": blocked.map(|b| b.code()),
        "reason": blocked.map(|b| b.reason()),
        "fix": blocked.map(|b| b.fix()),
        "warnings": warnings_json(&verdict.warnings),
        "exchanges": exchanges.iter().map(|(request, response)| json!({
            "stage": match request.stage { Stage::Preflight => "preflight", Stage::Actual => "actual" },
            "request": {
                "method": request.method,
                "url": request.url.to_string(),
                "headers": headers_json(&request.headers),
            },
            "response": {
                "status": response.status,
                "headers": headers_json(&response.headers),
            },
        })).collect::<Vec<_>>(),
    })
}

fn explain_command(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8, String> {
    let text = policy_file::read(&args.policy)?;
    let policy = policy_file::parse_policy(&args.policy, &text)?;
    let config = policy_file::parse_config(&args.policy, &text)?;
    let route = explain::selected_route(&policy, &config, &args.path);
    let refused = explain::explain(&policy, &args.path, args.request.request(), false)
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    text.push_str(&format!("policy: {}", args.policy));
    let sent = explain::browser_path(&args.path);
    if sent != args.path.split('?').next().unwrap_or(&args.path) {
        text.push_str(&format!(
            " (a browser sends the path {} as {sent}, which is what the server sees)",
            args.path
        ));
    }
    match route {
        Ok(Some(route)) => text.push_str(&format!(
            " (path {} selects the [[routes]] entry with paths = {:?})\n",
            args.path, route.paths
        )),
        Ok(None) if config.routes.is_empty() => text.push('\n'),
        Ok(None) => text.push_str(&format!(
            " (path {} selects no route: the top level applies)\n",
            args.path
        )),
        Err(()) => text.push_str(&format!(
            " (path {} is ambiguous: a dot or empty segment, an encoded slash, backslash or \
             unreserved character; in a policy with routes it gets no CORS grant, and \
             browsers never send such a path)\n",
            args.path
        )),
    }
    let route = route.ok().flatten();
    let status = if refused.asked_lookup() {
        let origin = &args.request.origin;
        let allowed = explain::explain(&policy, &args.path, args.request.request(), true)
            .map_err(|e| e.to_string())?;
        text.push_str(&format!(
            "\nthe verdict depends on the application's origin lookup, which the policy asks about {origin}\n"
        ));
        text.push_str(&format!("\n== if the lookup allows {origin}\n"));
        text.push_str(&run_text(&allowed, route));
        text.push_str(&format!("\n== if the lookup refuses {origin}\n"));
        text.push_str(&run_text(&refused, route));
        if allowed.verdict.allowed() { 0 } else { 1 }
    } else {
        text.push('\n');
        text.push_str(&run_text(&refused, route));
        if refused.verdict.allowed() { 0 } else { 1 }
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(status)
}

/// `explain`'s account of one run.
pub fn run_text(run: &Run, route: Option<&cors_core::RouteConfig>) -> String {
    let mut text = String::new();
    for step in &run.steps {
        text.push_str(&transcript(&step.request, &step.response, false));
        text.push_str(&format!("engine: {}", step.action));
        if let Some(refusal) = &step.refusal {
            text.push_str(&format!(", refused: {refusal}"));
        }
        text.push_str("\n\n");
    }
    text.push_str(&verdict_text(&run.verdict, false));
    if let Some(blocked) = &run.verdict.blocked {
        let refusal = run.steps.iter().rev().find_map(|s| {
            s.refusal
                .as_ref()
                .map(|r| (r.clone(), s.refusal_fix.clone().unwrap_or_default()))
        });
        let fix = match refusal {
            Some((reason, fix)) => {
                text.push_str(&format!("engine's reason: {reason}\n"));
                fix
            }
            None => explain::policy_fix(blocked),
        };
        let note = route
            .map(|r| explain::route_note(r, &fix))
            .unwrap_or_default();
        text.push_str(&format!("policy fix: {fix}{note}\n"));
    }
    text
}

fn validate(files: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, String> {
    let mut status = 0;
    for file in files {
        match policy_file::validate(file) {
            Validation::Valid => {
                writeln!(out, "{file}: valid").map_err(|e| e.to_string())?;
            }
            Validation::Invalid(problems) => {
                writeln!(out, "{problems}").map_err(|e| e.to_string())?;
                status = status.max(1);
            }
            Validation::Unreadable(message) => {
                writeln!(err, "cors: {message}").map_err(|e| e.to_string())?;
                status = 2;
            }
        }
    }
    Ok(status)
}
