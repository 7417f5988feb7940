//! A bounded load and soak run of `cors-demo`, one framework after the
//! other, over loopback. `cargo xtask soak` builds both programs in release
//! mode and runs this one.
//!
//! ```text
//! cors-soak [--requests N] [--framework axum|actix|rocket|warp] [--seconds S] [--server PATH]
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

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cors-soak [--requests N] [--framework axum|actix|rocket|warp] [--seconds S] [--server PATH]

  --requests   requests per framework (default 200000)
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
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        requests: 200_000,
        frameworks: Vec::new(),
        seconds: 120,
        server: None,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let positive = |value: &str| {
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{flag}: {value:?} is not a positive number"))
        };
        match flag.as_str() {
            "--requests" => options.requests = positive(value)?,
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
}

impl Server {
    fn start(program: &PathBuf, framework: &str, policy: &PathBuf) -> Result<Server, String> {
        let mut child = Command::new(program)
            .args(["--framework", framework, "--policy"])
            .arg(policy)
            .args(["--listen", "127.0.0.1:0", "--page-listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        let out = child.stdout.take().expect("piped stdout");
        let prefix = format!("cors-demo: {framework} API on http://");
        let (tx, rx) = mpsc::channel();
        // Keeps reading stdout, so the server never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix(&prefix) {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("{framework}: cors-demo did not announce its address"))?;
        server.addr = addr
            .parse()
            .map_err(|e| format!("{framework}: address {addr:?}: {e}"))?;
        Ok(server)
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

/// Runs every framework; `Ok(false)` when one failed its checks.
fn run(options: &Options) -> Result<bool, String> {
    let program = match &options.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|e| format!("locating cors-soak: {e}"))?
            .with_file_name("cors-demo"),
    };
    let policy = std::env::temp_dir().join(format!("cors-soak-{}.toml", std::process::id()));
    std::fs::write(&policy, POLICY).map_err(|e| format!("{}: {e}", policy.display()))?;
    let mut runs = Vec::new();
    let mut result = Ok(());
    for &framework in &options.frameworks {
        println!(
            "cors-soak: {framework}: {} requests over {CONNECTIONS} connections (at most {} s)",
            options.requests, options.seconds
        );
        let outcome = Server::start(&program, framework, &policy)
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
        let o = parse_options(&args(&["--requests", "5000", "--framework", "warp"])).unwrap();
        assert_eq!((o.requests, o.frameworks), (5000, vec!["warp"]));
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
