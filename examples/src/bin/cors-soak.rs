//! A bounded load and soak run of `cors-demo`, one framework after the
//! other, over loopback. `cargo xtask soak` builds both programs in release
//! mode and runs this one.
//!
//! ```text
//! cors-soak [--reload [--reloads R]] [--requests N] [--framework axum|actix|rocket|warp]
//!     [--seconds S] [--server PATH]
//! ```
//!
//! For each framework it starts `cors-demo` (the sibling of this program
//! unless `--server` says otherwise) with a policy allowing one origin, and
//! sends `N` requests from a few threads, each over one keep-alive
//! connection: requests without `Origin`, actual requests from the allowed
//! origin and from another one, and preflights that are allowed, refused
//! for their method and refused for their origin. Every answer is checked
//! (status, `Access-Control-Allow-Origin` or its absence, whether the
//! handler ran, the body). The server's resident memory (`VmRSS`) is read
//! after a warm-up and at the end.
//!
//! The run fails (exit status 1) on any wrong answer, on memory growth of
//! 10% or more between the two readings, or when `N` requests were not
//! answered within `S` seconds (default 120). Linux only (`/proc`).
//!
//! With `--reload`, the policy is replaced `R` times (default 1,000) while
//! `N` requests (default 100,000) are answered: `cors-demo --watch` serves
//! a policy file that this program rewrites, alternating between two
//! policies A and B that answer every CORS request differently (each allows
//! the origin the other refuses, with other preflight caching, exposed
//! headers and credentials). Each rewrite is a new file renamed over the
//! old one, so the server never reads half a policy, and the next one waits
//! until the server has printed `cors-demo: policy reloaded`; the reloads
//! are spread evenly over the requests (the clients never run more than
//! one interval ahead of them). The exact answers of A and B to each
//! request (status, every header but `Date`, body) are first taken from
//! the server under each policy and checked against what the policy says;
//! then every answer under load must be exactly A's or exactly B's, and a
//! request sent and answered while no rewrite was under way must get the
//! policy last acknowledged. Any other answer, a reload not acknowledged
//! within 10 s, anything on the server's stderr, or memory growth of 10%
//! or more fails the run.
//!
//! Why the file and not a hook of the server's own: it drives the real
//! `--watch` path (file system events, parsing, `SharedPolicy::replace`)
//! and needs nothing in the server that only a test would use; waiting for
//! each acknowledgement makes the count of replacements exact instead of
//! depending on how the file system coalesces events.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cors-soak [--reload [--reloads R]] [--requests N] [--framework axum|actix|rocket|warp] [--seconds S] [--server PATH]

  --reload     replace the policy while serving (cors-demo --watch), checking
               that every answer is exactly one of the two policies'
  --reloads    how many replacements with --reload (default 1000)
  --requests   requests per framework (default 200000; 100000 with --reload)
  --framework  run only this framework (default: all four)
  --seconds    time limit per framework (default 120)
  --server     the cors-demo program (default: next to this one)";

const FRAMEWORKS: [&str; 4] = ["axum", "actix", "rocket", "warp"];

/// The origin the policy allows, and one it does not.
const ALLOWED: &str = "https://app.example";
const OTHER: &str = "https://other.example";

const POLICY: &str = r#"allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
allow_headers = ["x-custom"]
"#;

/// Client threads, each with one keep-alive connection.
const CONNECTIONS: usize = 4;
/// The warm-up: memory is read once this many requests were answered (or a
/// tenth of the run, when that is less).
const WARM_UP: u64 = 20_000;
/// The largest memory growth accepted, in percent.
const MAX_GROWTH_PERCENT: f64 = 10.0;
/// How many wrong answers are shown in full.
const SHOWN_FAILURES: usize = 5;

#[derive(Debug)]
struct Options {
    requests: u64,
    frameworks: Vec<&'static str>,
    seconds: u64,
    server: Option<PathBuf>,
    /// With `--reload`: how many times the policy is replaced.
    reloads: Option<u64>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        requests: 0,
        frameworks: Vec::new(),
        seconds: 120,
        server: None,
        reloads: None,
    };
    let (mut requests, mut reload, mut reloads) = (None, false, None);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "--reload" {
            reload = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let positive = |value: &str| {
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{flag}: {value:?} is not a positive number"))
        };
        match flag.as_str() {
            "--requests" => requests = Some(positive(value)?),
            "--reloads" => reloads = Some(positive(value)?),
            "--seconds" => options.seconds = positive(value)?,
            "--framework" => {
                let name = FRAMEWORKS.iter().find(|f| **f == value).ok_or_else(|| {
                    format!("unknown framework {value:?}; choose one of {FRAMEWORKS:?}")
                })?;
                if !options.frameworks.contains(name) {
                    options.frameworks.push(name);
                }
            }
            "--server" => options.server = Some(PathBuf::from(value)),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.frameworks.is_empty() {
        options.frameworks = FRAMEWORKS.to_vec();
    }
    if reloads.is_some() && !reload {
        return Err("--reloads needs --reload".to_owned());
    }
    options.reloads = reload.then(|| reloads.unwrap_or(1_000));
    let default_requests = if reload { 100_000 } else { 200_000 };
    options.requests = requests.unwrap_or(default_requests);
    Ok(options)
}

/// One kind of request in the mix, and the answer it must get.
struct Kind {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    /// The `Access-Control-Allow-Origin` value, or `None` for its absence.
    allow_origin: Option<&'static str>,
    /// Whether the handler ran (`X-Handler: ran`).
    handler: bool,
    body: &'static [u8],
    /// For an allowed preflight: `Access-Control-Allow-Methods` and
    /// `Access-Control-Allow-Headers`.
    preflight: Option<(&'static str, &'static str)>,
}

fn request(method: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("{method} /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// The mix, sent in turn: three actual requests, three preflights.
fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "GET without Origin",
            request: request("GET", &[]),
            status: 200,
            allow_origin: None,
            handler: true,
            body: b"ok",
            preflight: None,
        },
        Kind {
            name: "GET from the allowed origin",
            request: request("GET", &[("Origin", ALLOWED)]),
            status: 200,
            allow_origin: Some(ALLOWED),
            handler: true,
            body: b"ok",
            preflight: None,
        },
        Kind {
            name: "GET from another origin",
            request: request("GET", &[("Origin", OTHER)]),
            status: 200,
            allow_origin: None,
            handler: true,
            body: b"ok",
            preflight: None,
        },
        Kind {
            name: "preflight, allowed",
            request: request(
                "OPTIONS",
                &[
                    ("Origin", ALLOWED),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "x-custom"),
                ],
            ),
            status: 204,
            allow_origin: Some(ALLOWED),
            handler: false,
            body: b"",
            preflight: Some(("PUT", "x-custom")),
        },
        Kind {
            name: "preflight, method refused",
            request: request(
                "OPTIONS",
                &[
                    ("Origin", ALLOWED),
                    ("Access-Control-Request-Method", "DELETE"),
                ],
            ),
            status: 403,
            allow_origin: None,
            handler: false,
            body: b"CORS preflight refused: method not allowed\n",
            preflight: None,
        },
        Kind {
            name: "preflight, origin refused",
            request: request(
                "OPTIONS",
                &[("Origin", OTHER), ("Access-Control-Request-Method", "PUT")],
            ),
            status: 403,
            allow_origin: None,
            handler: false,
            body: b"CORS request refused: origin not allowed\n",
            preflight: None,
        },
    ]
}

/// What the client reads of a response.
#[derive(Default)]
struct Answer {
    status: u16,
    /// Every header but `Date`, names lower-cased, in name order (the
    /// values of one name in the order received).
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    allow_origin: Vec<Vec<u8>>,
    handler: bool,
    allow_methods: Option<Vec<u8>>,
    allow_headers: Option<Vec<u8>>,
    body: Vec<u8>,
    close: bool,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, v)| format!("{}: {}", text(n), text(v)))
                    .collect::<Vec<_>>(),
            )
            .field(
                "allow_origin",
                &self
                    .allow_origin
                    .iter()
                    .map(|v| text(v))
                    .collect::<Vec<_>>(),
            )
            .field("handler", &self.handler)
            .field("allow_methods", &self.allow_methods.as_deref().map(text))
            .field("allow_headers", &self.allow_headers.as_deref().map(text))
            .field("body", &text(&self.body))
            .field("close", &self.close)
            .finish()
    }
}

impl Kind {
    /// Why `answer` is wrong, if it is.
    fn wrong(&self, answer: &Answer) -> Option<String> {
        let allow_origin: Vec<&[u8]> = self.allow_origin.iter().map(|o| o.as_bytes()).collect();
        let preflight = answer
            .allow_methods
            .as_deref()
            .zip(answer.allow_headers.as_deref());
        let expected = self.preflight.map(|(m, h)| (m.as_bytes(), h.as_bytes()));
        let right = answer.status == self.status
            && answer.allow_origin == allow_origin
            && answer.handler == self.handler
            && answer.body == self.body
            && (self.preflight.is_none() || preflight == expected);
        (!right).then(|| format!("{}: got {answer:?}", self.name))
    }
}

/// One keep-alive connection and what it has read but not used.
struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
}

impl Connection {
    fn new(addr: SocketAddr) -> Connection {
        Connection {
            addr,
            stream: None,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// Sends `request` and reads its answer.
    fn exchange(&mut self, request: &[u8]) -> Result<Answer, String> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).map_err(|e| format!("connect: {e}"))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            self.stream = Some(stream);
            self.buffer.clear();
        }
        let result = self.round_trip(request);
        if result.as_ref().map_or(true, |a| a.close) {
            self.stream = None;
        }
        result
    }

    fn round_trip(&mut self, request: &[u8]) -> Result<Answer, String> {
        let stream = self.stream.as_mut().expect("connected");
        stream
            .write_all(request)
            .map_err(|e| format!("write: {e}"))?;
        let head_end = loop {
            if let Some(i) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            fill(stream, &mut self.buffer)?;
        };
        let mut answer = Answer::default();
        let mut length = None;
        let mut chunked = false;
        let head = &self.buffer[..head_end];
        let mut lines = head.split(|&b| b == b'\n');
        let status_line = lines.next().unwrap_or_default();
        answer.status = status_line
            .strip_prefix(b"HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| std::str::from_utf8(code).ok()?.parse().ok())
            .ok_or_else(|| format!("bad status line {:?}", String::from_utf8_lossy(status_line)))?;
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Err(format!(
                    "bad header line {:?}",
                    String::from_utf8_lossy(line)
                ));
            };
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            if !is("date") {
                answer
                    .headers
                    .push((name.to_ascii_lowercase(), value.to_vec()));
            }
            if is("access-control-allow-origin") {
                answer.allow_origin.push(value.to_vec());
            } else if is("access-control-allow-methods") {
                answer.allow_methods = Some(value.to_vec());
            } else if is("access-control-allow-headers") {
                answer.allow_headers = Some(value.to_vec());
            } else if is("x-handler") {
                answer.handler = value == b"ran";
            } else if is("content-length") {
                length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            } else if is("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case(b"chunked");
            } else if is("connection") {
                answer.close = value.eq_ignore_ascii_case(b"close");
            }
        }
        answer.headers.sort_by(|a, b| a.0.cmp(&b.0));
        self.buffer.drain(..head_end + 4);
        if chunked {
            answer.body = self.read_chunked()?;
        } else {
            let length = length.unwrap_or(0);
            while self.buffer.len() < length {
                fill(self.stream.as_mut().expect("connected"), &mut self.buffer)?;
            }
            answer.body = self.buffer.drain(..length).collect();
        }
        Ok(answer)
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                fill(self.stream.as_mut().expect("connected"), &mut self.buffer)?;
            };
            let size_text = String::from_utf8_lossy(&self.buffer[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            // The size line, the data and its CRLF (after the last chunk,
            // the empty trailer's CRLF).
            let need = line_end + 2 + size + 2;
            while self.buffer.len() < need {
                fill(self.stream.as_mut().expect("connected"), &mut self.buffer)?;
            }
            body.extend_from_slice(&self.buffer[line_end + 2..line_end + 2 + size]);
            self.buffer.drain(..need);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// Reads more of the response into `buffer`.
fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk) {
        Ok(0) => Err("the server closed the connection mid-response".to_owned()),
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) => Err(format!("read: {e}")),
    }
}

/// A running `cors-demo`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// One message per `cors-demo: policy reloaded` line (with `--watch`).
    reloaded: Option<Mutex<mpsc::Receiver<()>>>,
    /// What the server wrote on stderr.
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(
        program: &PathBuf,
        framework: &str,
        policy: &Path,
        watch: bool,
    ) -> Result<Server, String> {
        let mut command = Command::new(program);
        command
            .args(["--framework", framework, "--policy"])
            .arg(policy)
            .args(["--listen", "127.0.0.1:0", "--page-listen", "127.0.0.1:0"]);
        if watch {
            command.arg("--watch");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let prefix = format!("cors-demo: {framework} API on http://");
        let (tx, rx) = mpsc::channel();
        let (reload_tx, reload_rx) = mpsc::channel();
        // Keeps reading stdout, so the server never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix(&prefix) {
                    let _ = tx.send(addr.trim().to_owned());
                } else if line == "cors-demo: policy reloaded" {
                    let _ = reload_tx.send(());
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("{line}");
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            reloaded: watch.then(|| Mutex::new(reload_rx)),
            stderr,
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("{framework}: cors-demo did not announce its address"))?;
        server.addr = addr
            .parse()
            .map_err(|e| format!("{framework}: address {addr:?}: {e}"))?;
        Ok(server)
    }

    /// How many lines the server wrote on stderr.
    fn stderr_lines(&self) -> usize {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The server's resident memory, in KiB.
    fn rss_kib(&self) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
            .ok_or_else(|| format!("{path}: no VmRSS"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One framework's results.
struct Run {
    framework: &'static str,
    answered: u64,
    wrong: u64,
    failures: Vec<String>,
    elapsed: Duration,
    rss_warm: u64,
    rss_final: u64,
}

impl Run {
    fn growth_percent(&self) -> f64 {
        (self.rss_final as f64 - self.rss_warm as f64) * 100.0 / self.rss_warm.max(1) as f64
    }

    fn per_second(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn soak(server: &Server, framework: &'static str, options: &Options) -> Result<Run, String> {
    let kinds = kinds();
    let target = options.requests;
    let warm_up = WARM_UP.min(target / 10).max(1);
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let claimed = AtomicU64::new(0);
    let answered = AtomicU64::new(0);
    let wrong = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();

    let mut rss_warm = None;
    std::thread::scope(|scope| -> Result<(), String> {
        for _ in 0..CONNECTIONS {
            scope.spawn(|| {
                let mut connection = Connection::new(server.addr);
                loop {
                    let n = claimed.fetch_add(1, Ordering::Relaxed);
                    if n >= target || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if Instant::now() >= deadline {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    let kind = &kinds[(n % kinds.len() as u64) as usize];
                    let problem = match connection.exchange(&kind.request) {
                        Ok(answer) => kind.wrong(&answer),
                        Err(e) => Some(format!("{}: {e}", kind.name)),
                    };
                    if let Some(problem) = problem {
                        wrong.fetch_add(1, Ordering::Relaxed);
                        let mut failures = failures.lock().unwrap_or_else(|e| e.into_inner());
                        if failures.len() < SHOWN_FAILURES {
                            failures.push(problem);
                        }
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Memory after the warm-up, read while the load runs.
        while rss_warm.is_none() && !stop.load(Ordering::Relaxed) {
            let done = answered.load(Ordering::Relaxed);
            if done >= warm_up {
                rss_warm = Some(server.rss_kib()?);
            } else if done >= target || Instant::now() >= deadline {
                break;
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Ok(())
    })?;
    let elapsed = started.elapsed();
    let rss_final = server.rss_kib()?;
    Ok(Run {
        framework,
        answered: answered.into_inner(),
        wrong: wrong.into_inner(),
        failures: failures.into_inner().unwrap_or_else(|e| e.into_inner()),
        elapsed,
        rss_warm: rss_warm.unwrap_or(0),
        rss_final,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("cors-soak: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("cors-soak: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The `cors-demo` program to run.
fn server_program(options: &Options) -> Result<PathBuf, String> {
    match &options.server {
        Some(path) => Ok(path.clone()),
        None => Ok(std::env::current_exe()
            .map_err(|e| format!("locating cors-soak: {e}"))?
            .with_file_name("cors-demo")),
    }
}

/// Runs every framework; `Ok(false)` when one failed its checks.
fn run(options: &Options) -> Result<bool, String> {
    if let Some(reloads) = options.reloads {
        return reload::run(options, reloads);
    }
    let program = server_program(options)?;
    let policy = std::env::temp_dir().join(format!("cors-soak-{}.toml", std::process::id()));
    std::fs::write(&policy, POLICY).map_err(|e| format!("{}: {e}", policy.display()))?;
    let mut runs = Vec::new();
    let mut result = Ok(());
    for &framework in &options.frameworks {
        println!(
            "cors-soak: {framework}: {} requests over {CONNECTIONS} connections (at most {} s)",
            options.requests, options.seconds
        );
        let outcome = Server::start(&program, framework, &policy, false)
            .and_then(|server| soak(&server, framework, options));
        match outcome {
            Ok(run) => runs.push(run),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&policy);
    result?;

    let mut passed = true;
    println!(
        "\n{:<8} {:>9} {:>7} {:>9} {:>8} {:>11} {:>11} {:>7}  verdict",
        "", "requests", "wrong", "seconds", "req/s", "RSS warm", "RSS final", "growth"
    );
    for run in &runs {
        let mut problems = Vec::new();
        if run.wrong > 0 {
            problems.push(format!("{} wrong answers", run.wrong));
        }
        if run.answered < options.requests {
            problems.push(format!(
                "only {} of {} requests within {} s",
                run.answered, options.requests, options.seconds
            ));
        }
        if run.rss_warm == 0 {
            problems.push("no memory reading after the warm-up".to_owned());
        } else if run.growth_percent() >= MAX_GROWTH_PERCENT {
            problems.push(format!(
                "memory grew by {:.1}% (limit {MAX_GROWTH_PERCENT}%)",
                run.growth_percent()
            ));
        }
        println!(
            "{:<8} {:>9} {:>7} {:>9.1} {:>8.0} {:>7} KiB {:>7} KiB {:>6.1}%  {}",
            run.framework,
            run.answered,
            run.wrong,
            run.elapsed.as_secs_f64(),
            run.per_second(),
            run.rss_warm,
            run.rss_final,
            run.growth_percent(),
            if problems.is_empty() {
                "ok".to_owned()
            } else {
                format!("FAILED: {}", problems.join("; "))
            }
        );
        for failure in &run.failures {
            println!("           {failure}");
        }
        passed &= problems.is_empty();
    }
    Ok(passed)
}

/// `--reload`: the policy replaced while serving.
mod reload {
    use super::*;

    /// The two policies. Each allows the origin the other refuses; A
    /// exposes `X-Request-Id` and lets preflights be cached for 600 s, B
    /// allows credentials and 60 s.
    const POLICY_A: &str = r#"allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
allow_headers = ["x-custom"]
expose_headers = ["x-request-id"]
max_age = 600
"#;
    const POLICY_B: &str = r#"allow_origins = ["https://other.example"]
allow_methods = ["GET", "PUT"]
allow_headers = ["x-custom"]
allow_credentials = true
max_age = 60
"#;

    /// How long the server may take to acknowledge a rewrite.
    const ACKNOWLEDGE_TIMEOUT: Duration = Duration::from_secs(10);

    const ORIGIN_REFUSED: &[u8] = b"CORS request refused: origin not allowed\n";
    const METHOD_REFUSED: &[u8] = b"CORS preflight refused: method not allowed\n";

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Which {
        A,
        B,
    }

    /// What one policy must answer: the status, the body, these headers
    /// with these values, and `Access-Control-Allow-Origin` only when
    /// listed.
    struct Expect {
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
    }

    impl Expect {
        fn check(&self, answer: &Answer) -> Result<(), String> {
            let value = |name: &str| {
                answer
                    .headers
                    .iter()
                    .filter(|(n, _)| n == name.as_bytes())
                    .map(|(_, v)| v.as_slice())
                    .collect::<Vec<_>>()
            };
            let mut right = answer.status == self.status && answer.body == self.body;
            for (name, expected) in self.headers {
                right &= value(name) == [expected.as_bytes()];
            }
            if !self
                .headers
                .iter()
                .any(|(n, _)| *n == "access-control-allow-origin")
            {
                right &= value("access-control-allow-origin").is_empty();
            }
            if right {
                Ok(())
            } else {
                Err(format!("got {answer:?}"))
            }
        }
    }

    /// One kind of request in the mix, and what each policy answers.
    struct Kind {
        name: &'static str,
        request: Vec<u8>,
        a: Expect,
        b: Expect,
    }

    impl Kind {
        fn expect(&self, which: Which) -> &Expect {
            match which {
                Which::A => &self.a,
                Which::B => &self.b,
            }
        }
    }

    const RAN: (&str, &str) = ("x-handler", "ran");

    fn kinds() -> Vec<Kind> {
        let preflight = |origin, method| {
            request(
                "OPTIONS",
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", method),
                    ("Access-Control-Request-Headers", "x-custom"),
                ],
            )
        };
        vec![
            Kind {
                name: "GET without Origin",
                request: request("GET", &[]),
                a: Expect {
                    status: 200,
                    headers: &[RAN],
                    body: b"ok",
                },
                b: Expect {
                    status: 200,
                    headers: &[RAN],
                    body: b"ok",
                },
            },
            Kind {
                name: "GET from https://app.example",
                request: request("GET", &[("Origin", ALLOWED)]),
                a: Expect {
                    status: 200,
                    headers: &[
                        ("access-control-allow-origin", ALLOWED),
                        ("access-control-expose-headers", "x-request-id"),
                        RAN,
                    ],
                    body: b"ok",
                },
                b: Expect {
                    status: 200,
                    headers: &[RAN],
                    body: b"ok",
                },
            },
            Kind {
                name: "GET from https://other.example",
                request: request("GET", &[("Origin", OTHER)]),
                a: Expect {
                    status: 200,
                    headers: &[RAN],
                    body: b"ok",
                },
                b: Expect {
                    status: 200,
                    headers: &[
                        ("access-control-allow-origin", OTHER),
                        ("access-control-allow-credentials", "true"),
                        RAN,
                    ],
                    body: b"ok",
                },
            },
            Kind {
                name: "preflight from https://app.example",
                request: preflight(ALLOWED, "PUT"),
                a: Expect {
                    status: 204,
                    headers: &[
                        ("access-control-allow-origin", ALLOWED),
                        ("access-control-allow-methods", "PUT"),
                        ("access-control-allow-headers", "x-custom"),
                        ("access-control-max-age", "600"),
                    ],
                    body: b"",
                },
                b: Expect {
                    status: 403,
                    headers: &[],
                    body: ORIGIN_REFUSED,
                },
            },
            Kind {
                name: "preflight from https://other.example",
                request: preflight(OTHER, "PUT"),
                a: Expect {
                    status: 403,
                    headers: &[],
                    body: ORIGIN_REFUSED,
                },
                b: Expect {
                    status: 204,
                    headers: &[
                        ("access-control-allow-origin", OTHER),
                        ("access-control-allow-methods", "PUT"),
                        ("access-control-allow-headers", "x-custom"),
                        ("access-control-allow-credentials", "true"),
                        ("access-control-max-age", "60"),
                    ],
                    body: b"",
                },
            },
            Kind {
                name: "preflight from https://app.example for DELETE",
                request: preflight(ALLOWED, "DELETE"),
                a: Expect {
                    status: 403,
                    headers: &[],
                    body: METHOD_REFUSED,
                },
                b: Expect {
                    status: 403,
                    headers: &[],
                    body: ORIGIN_REFUSED,
                },
            },
        ]
    }

    /// Whether two answers are the same: status, headers, body.
    fn same(x: &Answer, y: &Answer) -> bool {
        x.status == y.status && x.headers == y.headers && x.body == y.body
    }

    /// The policy file `cors-demo --watch` serves.
    struct PolicyFile {
        directory: PathBuf,
        path: PathBuf,
        temporary: PathBuf,
    }

    impl PolicyFile {
        /// A directory of its own, so no other file's events reach the
        /// server's watch.
        fn create(text: &str) -> Result<PolicyFile, String> {
            let directory = std::env::temp_dir().join(format!("cors-soak-{}", std::process::id()));
            std::fs::create_dir_all(&directory)
                .map_err(|e| format!("{}: {e}", directory.display()))?;
            let file = PolicyFile {
                path: directory.join("policy.toml"),
                temporary: directory.join("policy.toml.new"),
                directory,
            };
            std::fs::write(&file.path, text)
                .map_err(|e| format!("{}: {e}", file.path.display()))?;
            Ok(file)
        }

        /// Replaces the file with one holding `text`, by rename: the server
        /// reads either the old policy or the new one, never a mix.
        fn replace(&self, text: &str) -> Result<(), String> {
            std::fs::write(&self.temporary, text)
                .map_err(|e| format!("{}: {e}", self.temporary.display()))?;
            std::fs::rename(&self.temporary, &self.path)
                .map_err(|e| format!("{}: {e}", self.path.display()))
        }
    }

    impl Drop for PolicyFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }

    /// Installs policy `which` and waits for the server's acknowledgement.
    fn switch(
        file: &PolicyFile,
        reloaded: &Mutex<mpsc::Receiver<()>>,
        which: Which,
    ) -> Result<(), String> {
        let reloaded = reloaded.lock().unwrap_or_else(|e| e.into_inner());
        file.replace(match which {
            Which::A => POLICY_A,
            Which::B => POLICY_B,
        })?;
        reloaded.recv_timeout(ACKNOWLEDGE_TIMEOUT).map_err(|_| {
            format!("the server did not report reloading policy {which:?} within {ACKNOWLEDGE_TIMEOUT:?}")
        })
    }

    /// The answers of the policy in force (`which`) to every kind, checked
    /// against what that policy says.
    fn sample(server: &Server, kinds: &[Kind], which: Which) -> Result<Vec<Answer>, String> {
        let mut connection = Connection::new(server.addr);
        kinds
            .iter()
            .map(|kind| {
                let answer = connection
                    .exchange(&kind.request)
                    .map_err(|e| format!("{}: {e}", kind.name))?;
                kind.expect(which)
                    .check(&answer)
                    .map_err(|e| format!("policy {which:?}, {}: {e}", kind.name))?;
                Ok(answer)
            })
            .collect()
    }

    /// One framework's results.
    struct Run {
        framework: &'static str,
        answered: u64,
        wrong: u64,
        failures: Vec<String>,
        elapsed: Duration,
        reloads: u64,
        /// Answers that were A's and not B's, B's and not A's, and the
        /// same under both (requests without `Origin`).
        answers_a: u64,
        answers_b: u64,
        answers_both: u64,
        rss_warm: u64,
        rss_final: u64,
        stderr_lines: usize,
    }

    /// Counters the client threads and the reloader share.
    #[derive(Default)]
    struct Shared {
        claimed: AtomicU64,
        answered: AtomicU64,
        wrong: AtomicU64,
        answers_a: AtomicU64,
        answers_b: AtomicU64,
        answers_both: AtomicU64,
        /// `2k`: `k` reloads acknowledged and no rewrite under way;
        /// `2k + 1`: rewrite `k + 1` under way.
        state: AtomicU64,
        stop: AtomicBool,
        failures: Mutex<Vec<String>>,
    }

    impl Shared {
        fn fail(&self, problem: String) {
            self.wrong.fetch_add(1, Ordering::Relaxed);
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            if failures.len() < SHOWN_FAILURES {
                failures.push(problem);
            }
        }

        fn reloads(&self) -> u64 {
            self.state.load(Ordering::SeqCst) / 2
        }
    }

    /// The policy in force after `k` reloads (A first).
    fn after_reloads(k: u64) -> Which {
        match k % 2 {
            0 => Which::A,
            _ => Which::B,
        }
    }

    fn soak(
        server: &Server,
        framework: &'static str,
        file: &PolicyFile,
        options: &Options,
        reloads: u64,
    ) -> Result<Run, String> {
        let reloaded = server.reloaded.as_ref().expect("started with --watch");
        let kinds = kinds();
        let answers_a = sample(server, &kinds, Which::A)?;
        switch(file, reloaded, Which::B)?;
        let answers_b = sample(server, &kinds, Which::B)?;
        switch(file, reloaded, Which::A)?;
        let again = sample(server, &kinds, Which::A)?;
        if let Some((kind, _)) = kinds
            .iter()
            .zip(answers_a.iter().zip(&again))
            .find(|(_, (first, second))| !same(first, second))
        {
            return Err(format!(
                "policy A answered {} differently after B",
                kind.name
            ));
        }

        let target = options.requests;
        // Requests per reload; the reloads are spread evenly over them.
        let interval = (target / reloads).max(1);
        let warm_up = WARM_UP.min(target / 10).max(1);
        let deadline = Instant::now() + Duration::from_secs(options.seconds);
        let shared = Shared::default();
        let mut reload_error = None;
        let mut rss_warm = None;
        let started = Instant::now();
        std::thread::scope(|scope| -> Result<(), String> {
            let reloader = scope.spawn(|| -> Result<(), String> {
                for k in 1..=reloads {
                    // Halfway through the interval the reload belongs to.
                    let due = (k - 1) * interval + interval / 2;
                    while shared.answered.load(Ordering::Relaxed) < due {
                        if shared.stop.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    shared.state.store(2 * k - 1, Ordering::SeqCst);
                    if let Err(e) = switch(file, reloaded, after_reloads(k)) {
                        shared.stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    shared.state.store(2 * k, Ordering::SeqCst);
                }
                Ok(())
            });
            for _ in 0..CONNECTIONS {
                scope.spawn(|| {
                    let mut connection = Connection::new(server.addr);
                    loop {
                        let n = shared.claimed.fetch_add(1, Ordering::Relaxed);
                        if n >= target {
                            break;
                        }
                        // At most one interval ahead of the reloads.
                        while shared.reloads() + 1 < n / interval
                            && shared.reloads() < reloads
                            && !shared.stop.load(Ordering::Relaxed)
                        {
                            if Instant::now() >= deadline {
                                shared.stop.store(true, Ordering::Relaxed);
                            }
                            std::thread::sleep(Duration::from_micros(100));
                        }
                        if shared.stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if Instant::now() >= deadline {
                            shared.stop.store(true, Ordering::Relaxed);
                            break;
                        }
                        let index = (n % kinds.len() as u64) as usize;
                        let kind = &kinds[index];
                        let before = shared.state.load(Ordering::SeqCst);
                        let answer = connection.exchange(&kind.request);
                        let after = shared.state.load(Ordering::SeqCst);
                        match answer {
                            Err(e) => shared.fail(format!("{}: {e}", kind.name)),
                            Ok(answer) => {
                                let is_a = same(&answer, &answers_a[index]);
                                let is_b = same(&answer, &answers_b[index]);
                                let counter = match (is_a, is_b) {
                                    (true, true) => Some(&shared.answers_both),
                                    (true, false) => Some(&shared.answers_a),
                                    (false, true) => Some(&shared.answers_b),
                                    (false, false) => None,
                                };
                                // Sent and answered while no rewrite was
                                // under way: only the acknowledged policy
                                // may answer.
                                let settled = (before == after && before & 1 == 0)
                                    .then(|| after_reloads(before / 2));
                                let stale = match settled {
                                    Some(Which::A) => !is_a,
                                    Some(Which::B) => !is_b,
                                    None => false,
                                };
                                match counter {
                                    None => shared.fail(format!(
                                        "{}: neither policy's answer: {answer:?}",
                                        kind.name
                                    )),
                                    Some(_) if stale => shared.fail(format!(
                                        "{}: not the answer of policy {:?}, in force since reload {}: {answer:?}",
                                        kind.name,
                                        settled.expect("stale only when settled"),
                                        before / 2
                                    )),
                                    Some(counter) => {
                                        counter.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            }
                        }
                        shared.answered.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            // Memory after the warm-up, read while the load runs.
            while rss_warm.is_none() && !shared.stop.load(Ordering::Relaxed) {
                let done = shared.answered.load(Ordering::Relaxed);
                if done >= warm_up {
                    rss_warm = Some(server.rss_kib()?);
                } else if done >= target || Instant::now() >= deadline {
                    break;
                } else {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            if let Err(e) = reloader.join().expect("the reloader does not panic") {
                reload_error = Some(e);
            }
            Ok(())
        })?;
        let elapsed = started.elapsed();
        if let Some(e) = reload_error {
            return Err(format!("{framework}: {e}"));
        }
        let rss_final = server.rss_kib()?;
        // Every rewrite was acknowledged once: no acknowledgement is left.
        let extra = reloaded.lock().unwrap_or_else(|e| e.into_inner());
        if extra.recv_timeout(Duration::from_millis(200)).is_ok() {
            return Err(format!("{framework}: more reloads reported than rewrites"));
        }
        Ok(Run {
            framework,
            answered: shared.answered.into_inner(),
            wrong: shared.wrong.into_inner(),
            failures: shared
                .failures
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            elapsed,
            reloads: shared.state.into_inner() / 2,
            answers_a: shared.answers_a.into_inner(),
            answers_b: shared.answers_b.into_inner(),
            answers_both: shared.answers_both.into_inner(),
            rss_warm: rss_warm.unwrap_or(0),
            rss_final,
            stderr_lines: server.stderr_lines(),
        })
    }

    /// Runs every framework; `Ok(false)` when one failed its checks.
    pub(super) fn run(options: &Options, reloads: u64) -> Result<bool, String> {
        let program = server_program(options)?;
        let mut runs = Vec::new();
        for &framework in &options.frameworks {
            println!(
                "cors-soak: {framework}: {} requests over {CONNECTIONS} connections while the policy is replaced {reloads} times (at most {} s)",
                options.requests, options.seconds
            );
            let file = PolicyFile::create(POLICY_A)?;
            let server = Server::start(&program, framework, &file.path, true)?;
            runs.push(soak(&server, framework, &file, options, reloads)?);
        }

        let mut passed = true;
        println!(
            "\n{:<8} {:>9} {:>7} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>11} {:>11} {:>7}  verdict",
            "",
            "requests",
            "wrong",
            "seconds",
            "req/s",
            "reloads",
            "A",
            "B",
            "A and B",
            "RSS warm",
            "RSS final",
            "growth"
        );
        for run in &runs {
            let growth =
                (run.rss_final as f64 - run.rss_warm as f64) * 100.0 / run.rss_warm.max(1) as f64;
            let mut problems = Vec::new();
            if run.wrong > 0 {
                problems.push(format!("{} wrong answers", run.wrong));
            }
            if run.answered < options.requests {
                problems.push(format!(
                    "only {} of {} requests within {} s",
                    run.answered, options.requests, options.seconds
                ));
            }
            if run.reloads < reloads {
                problems.push(format!("only {} of {reloads} reloads", run.reloads));
            }
            if run.stderr_lines > 0 {
                problems.push(format!("{} lines on the server's stderr", run.stderr_lines));
            }
            if run.rss_warm == 0 {
                problems.push("no memory reading after the warm-up".to_owned());
            } else if growth >= MAX_GROWTH_PERCENT {
                problems.push(format!(
                    "memory grew by {growth:.1}% (limit {MAX_GROWTH_PERCENT}%)"
                ));
            }
            println!(
                "{:<8} {:>9} {:>7} {:>8.1} {:>8.0} {:>7} {:>8} {:>8} {:>8} {:>7} KiB {:>7} KiB {:>6.1}%  {}",
                run.framework,
                run.answered,
                run.wrong,
                run.elapsed.as_secs_f64(),
                run.answered as f64 / run.elapsed.as_secs_f64().max(1e-9),
                run.reloads,
                run.answers_a,
                run.answers_b,
                run.answers_both,
                run.rss_warm,
                run.rss_final,
                growth,
                if problems.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("FAILED: {}", problems.join("; "))
                }
            );
            for failure in &run.failures {
                println!("           {failure}");
            }
            passed &= problems.is_empty();
        }
        Ok(passed)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
            Answer {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                    .collect(),
                body: body.to_vec(),
                ..Answer::default()
            }
        }

        #[test]
        fn each_policy_is_told_by_its_headers() {
            let kinds = kinds();
            let from_app = &kinds[1];
            let a = answer(
                200,
                &[
                    ("access-control-allow-origin", ALLOWED),
                    ("access-control-expose-headers", "x-request-id"),
                    ("x-handler", "ran"),
                ],
                b"ok",
            );
            assert!(from_app.a.check(&a).is_ok());
            assert!(from_app.b.check(&a).is_err());
            let b = answer(200, &[("x-handler", "ran")], b"ok");
            assert!(from_app.b.check(&b).is_ok());
            assert!(from_app.a.check(&b).is_err());
            // A's origin with B's missing exposed header is neither.
            let mixed = answer(
                200,
                &[
                    ("access-control-allow-origin", ALLOWED),
                    ("x-handler", "ran"),
                ],
                b"ok",
            );
            assert!(from_app.a.check(&mixed).is_err() && from_app.b.check(&mixed).is_err());
            assert!(!same(&a, &mixed) && same(&a, &a));
        }

        #[test]
        fn the_policies_alternate() {
            assert_eq!(after_reloads(0), Which::A);
            assert_eq!(after_reloads(1), Which::B);
            assert_eq!(after_reloads(1000), Which::A);
            let allows = |policy: &str, origin: &str| {
                let policy: cors_core::Policy = toml::from_str(policy).unwrap();
                let mut request = cors_core::RequestParts::new("GET");
                request.add_header("origin", origin.as_bytes());
                policy.evaluate(&request).is_allowed()
            };
            assert!(allows(POLICY_A, ALLOWED) && !allows(POLICY_A, OTHER));
            assert!(allows(POLICY_B, OTHER) && !allows(POLICY_B, ALLOWED));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options() {
        let o = parse_options(&[]).unwrap();
        assert_eq!((o.requests, o.seconds), (200_000, 120));
        assert_eq!(o.frameworks, FRAMEWORKS);
        assert_eq!(o.reloads, None);
        let o = parse_options(&args(&["--requests", "5000", "--framework", "warp"])).unwrap();
        assert_eq!((o.requests, o.frameworks), (5000, vec!["warp"]));
        let o = parse_options(&args(&["--reload"])).unwrap();
        assert_eq!((o.requests, o.reloads), (100_000, Some(1000)));
        let o = parse_options(&args(&["--reload", "--reloads", "10", "--requests", "99"])).unwrap();
        assert_eq!((o.requests, o.reloads), (99, Some(10)));
        assert!(parse_options(&args(&["--reloads", "10"])).is_err());
        assert!(parse_options(&args(&["--requests", "0"])).is_err());
        assert!(parse_options(&args(&["--framework", "gin"])).is_err());
        assert!(parse_options(&args(&["--seconds"])).is_err());
    }

    #[test]
    fn a_missing_or_extra_allow_origin_is_wrong() {
        let kinds = kinds();
        let allowed = &kinds[1];
        let right = Answer {
            status: 200,
            allow_origin: vec![ALLOWED.as_bytes().to_vec()],
            handler: true,
            body: b"ok".to_vec(),
            ..Answer::default()
        };
        assert_eq!(allowed.wrong(&right), None);
        let missing = Answer {
            allow_origin: Vec::new(),
            ..right
        };
        assert!(allowed.wrong(&missing).is_some());
        // The refused origin must get none.
        assert!(kinds[2].wrong(&missing).is_none());
        let leaked = Answer {
            allow_origin: vec![OTHER.as_bytes().to_vec()],
            ..missing
        };
        assert!(kinds[2].wrong(&leaked).is_some());
    }
}
