//! Hostile requests through every adapter, over real sockets.
//!
//! Each test starts the `cors-demo` binary with one framework, a policy
//! allowing the one origin `https://app.example`, and sends hand-written
//! HTTP/1.1 requests over `TcpStream`, so that duplicated headers, raw
//! non-UTF-8 bytes and oversized heads reach the server exactly as written.
//! Every answer must refuse CORS (no `Access-Control-Allow-Origin`) and must
//! not be a 5xx; after each one, an ordinary allowed request must still get
//! its `Access-Control-Allow-Origin`.
//!
//! Some requests never reach the CORS middleware: the framework's HTTP
//! parser answers them itself. The limits, read in the sources of the
//! versions in `Cargo.lock`:
//!
//! - **hyper 1.x** (axum, warp): a request head may fill the read buffer up
//!   to `DEFAULT_MAX_BUFFER_SIZE` = 8192 + 4096 × 100 = 417,792 bytes
//!   (`proto/h1/io.rs`), with at most `DEFAULT_MAX_HEADERS` = 100 header
//!   lines (`proto/h1/role.rs`); beyond either, 431. A header value with a
//!   control byte (below 0x20 except tab, or 0x7f) fails `httparse`'s value
//!   check: 400. Bytes 0x80 to 0xff are allowed and reach the middleware.
//! - **hyper 0.14** (Rocket 0.5.1, which sets no limit of its own): the same
//!   417,792 bytes and 100 header lines, the same `httparse`. Rocket then
//!   copies the headers into its own `HeaderMap` of strings and *drops*
//!   every value that is not UTF-8 (`Request::from_hyp`, "Rocket only
//!   supports UTF-8 header values. Dropping header."), so the fairing never
//!   sees them.
//! - **actix-http 3** (actix-web): a head up to `MAX_BUFFER_SIZE` = 131,072
//!   bytes, at most `MAX_HEADERS` = 96 header lines (`h1/decoder.rs`);
//!   beyond either, 431. Control bytes: 400, as `httparse` is the parser
//!   here too.
//!
//! So a 64 KiB `Access-Control-Request-Headers` reaches the engine in all
//! four, a 160 KiB one is refused by actix alone, and a 512 KiB one by all
//! four; 100 `Origin` lines (plus `Host`) exceed every framework's header
//! count, so 90 are sent as well, which all four pass on to the engine.
//!
//! A second set of tests serves a policy with routes (the top level for one
//! origin with credentials, `/public/*` for every origin without, nothing
//! on `/internal/*` and `/metrics`) and sends each hostile path (dot
//! segments, encoded dots, slashes and letters, empty segments, `;`, `+`,
//! a query naming another route, paths of 60 and 64 KiB) as a GET and as a
//! preflight, from the allowed origin and from another: each answer must be
//! exactly what the routes grant that path, or, where the framework itself
//! rejects or reroutes the target, what that framework is documented below
//! to do, never with a wider grant.
//!
//! The engine's side of "linear in size" is asserted in
//! `crates/cors-core/tests/hostile.rs`; here the response times are only
//! printed (run with `--nocapture` to see them), never asserted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cors_examples::Framework;

/// The one origin the test policy allows.
const ALLOWED: &str = "https://app.example";

const POLICY: &str = r#"allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
allow_headers = ["x-custom"]
"#;

/// How long a server may take to start, and a response to arrive.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The refusal bodies `cors-core` answers refused preflights with.
const MALFORMED_ORIGIN: &str = "CORS request refused: malformed Origin header\n";
const MULTIPLE_ORIGINS: &str = "CORS request refused: more than one Origin header\n";
const MALFORMED_ACRM: &str =
    "CORS preflight refused: malformed Access-Control-Request-Method header\n";
const MALFORMED_ACRH: &str =
    "CORS preflight refused: malformed Access-Control-Request-Headers header\n";
const TOO_MANY_ACRH: &str =
    "CORS preflight refused: too many names in Access-Control-Request-Headers\n";

/// A scratch directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "cors-adversarial-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("creating a scratch directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `cors-demo`, killed when dropped (a failing test included).
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    _dir: TempDir,
}

impl Server {
    /// Starts `cors-demo` with `framework` and the policy `policy` (TOML),
    /// written to a scratch directory.
    fn start(framework: Framework, label: &str, policy: &str) -> Server {
        let dir = TempDir::new(&format!("{label}-{}", framework.name()));
        let policy_file = dir.0.join("policy.toml");
        std::fs::write(&policy_file, policy).expect("writing the policy file");
        let policy = policy_file;
        let mut child = Command::new(env!("CARGO_BIN_EXE_cors-demo"))
            .args(["--framework", framework.name(), "--policy"])
            .arg(&policy)
            .args(["--listen", "127.0.0.1:0", "--page-listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting cors-demo");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
                sink.push_str(&line);
                sink.push('\n');
            }
        });
        // Read stdout to its end in a thread (so the child never blocks on
        // a full pipe), passing the announced address on.
        let out = child.stdout.take().expect("piped stdout");
        let prefix = format!("cors-demo: {} API on http://", framework.name());
        let (tx, rx) = mpsc::channel();
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
            stderr,
            _dir: dir,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => server.addr = addr.parse().expect("an address in the announcement"),
            Err(_) => panic!(
                "{} did not announce its address; stderr:\n{}",
                framework.name(),
                server.stderr()
            ),
        }
        server
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response as read off the socket.
#[derive(Debug)]
struct Response {
    status: u16,
    /// Names lower-cased, values as sent.
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    elapsed: Duration,
}

impl Response {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// A request for `/echo` with `headers`, each line written as given, then
/// `Connection: close`.
fn request(method: &str, headers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    request_to(method, "/echo", headers)
}

/// A request for `target` (written as given) with `headers`, each line
/// written as given, then `Connection: close`.
fn request_to(method: &str, target: &str, headers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n").into_bytes();
    for (name, value) in headers {
        raw.extend_from_slice(name.as_bytes());
        raw.extend_from_slice(b": ");
        raw.extend_from_slice(value);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"Connection: close\r\n\r\n");
    raw
}

/// Sends `raw` on a new connection and reads the response. The request is
/// written from a second thread, so a server that answers before reading
/// all of it (a head too large) is read all the same.
fn exchange(addr: SocketAddr, raw: &[u8]) -> Result<Response, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    std::thread::scope(|scope| {
        // A write error after the server has answered (it closed early) is
        // expected; the response decides.
        scope.spawn(move || {
            let _ = writer.write_all(raw);
        });
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = find(&received, b"\r\n\r\n") {
                break i;
            }
            match stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(format!(
                        "connection closed after {} bytes, before a response head",
                        received.len()
                    ));
                }
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    return Err(format!(
                        "reading the response head ({} bytes so far): {e}",
                        received.len()
                    ));
                }
            }
        };
        let elapsed = started.elapsed();
        let head = &received[..head_end];
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let status_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP/1.1 status line: {status_line:?}"))?;
        let mut headers = Vec::new();
        for line in lines {
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .ok_or_else(|| format!("not a header line: {:?}", String::from_utf8_lossy(line)))?;
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii().to_vec();
            headers.push((name, value));
        }
        let mut response = Response {
            status,
            headers,
            body: received[head_end + 4..].to_vec(),
            elapsed,
        };
        // The body: by Content-Length, else to the end (the request asked
        // for `Connection: close`). A reset after the head is not an error.
        let length = response
            .header("content-length")
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<usize>().ok());
        while length.is_none_or(|n| response.body.len() < n) {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => response.body.extend_from_slice(&chunk[..n]),
            }
        }
        if let Some(n) = length {
            response.body.truncate(n);
        }
        Ok(response)
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What a framework must answer to a case.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The framework's own parser refused the request before any
    /// middleware: this status, no CORS header, no handler.
    Parser(u16),
    /// The engine refused the preflight: 403 with this body.
    Refused(&'static str),
    /// An actual request the engine did not allow (or a request that is not
    /// CORS): the handler ran, 200, no `Access-Control-Allow-Origin`.
    HandlerWithoutCors,
    /// What reached the handler was an actual request from the allowed
    /// origin (a header the framework dropped made it one): the handler ran,
    /// 200, `Access-Control-Allow-Origin` is the origin, and nothing of a
    /// preflight answer.
    HandlerAllowed,
    /// An allowed preflight, without `Access-Control-Allow-Headers` or
    /// `Access-Control-Allow-Private-Network`: what remains of the request
    /// once the hostile header is dropped or ignored.
    PreflightAllowedBare,
}

/// Checks `response` against `expect`.
fn check(response: &Response, expect: Expect) -> Result<(), String> {
    let mut problems = Vec::new();
    let acao = response.header("access-control-allow-origin");
    if response.status >= 500 {
        problems.push(format!("a server error, {}", response.status));
    }
    let ran = response.header("x-handler") == Some(b"ran");
    let mut want = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_owned());
        }
    };
    match expect {
        Expect::Parser(status) => {
            want(response.status == status, &format!("status {status}"));
            want(acao.is_none(), "no access-control-allow-origin");
            want(!ran, "no handler");
        }
        Expect::Refused(body) => {
            want(response.status == 403, "status 403");
            want(acao.is_none(), "no access-control-allow-origin");
            want(!ran, "no handler");
            want(response.body == body.as_bytes(), &format!("body {body:?}"));
        }
        Expect::HandlerWithoutCors => {
            want(response.status == 200, "status 200");
            want(ran, "the handler ran");
            want(acao.is_none(), "no access-control-allow-origin");
            want(
                !response.has("access-control-allow-methods"),
                "no access-control-allow-methods",
            );
        }
        Expect::HandlerAllowed => {
            want(response.status == 200, "status 200");
            want(ran, "the handler ran");
            want(
                acao == Some(ALLOWED.as_bytes()),
                "access-control-allow-origin: https://app.example",
            );
            want(
                !response.has("access-control-allow-methods"),
                "no access-control-allow-methods",
            );
        }
        Expect::PreflightAllowedBare => {
            want(response.status == 204, "status 204");
            want(!ran, "no handler");
            want(
                acao == Some(ALLOWED.as_bytes()),
                "access-control-allow-origin: https://app.example",
            );
            want(
                response.header("access-control-allow-methods") == Some(b"PUT"),
                "access-control-allow-methods: PUT",
            );
            want(
                !response.has("access-control-allow-headers"),
                "no access-control-allow-headers",
            );
            want(
                !response.has("access-control-allow-private-network"),
                "no access-control-allow-private-network",
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected {}; got {response:?}",
            problems.join(", ")
        ))
    }
}

/// One hostile request and what each framework must answer.
struct Case {
    name: String,
    request: Vec<u8>,
    expect: fn(Framework) -> Expect,
}

fn h(name: &'static str, value: impl Into<Vec<u8>>) -> (&'static str, Vec<u8>) {
    (name, value.into())
}

/// A preflight from the allowed origin for `PUT`, plus `extra`.
fn preflight(extra: &[(&'static str, Vec<u8>)]) -> Vec<u8> {
    let mut headers = vec![
        h("Origin", ALLOWED),
        h("Access-Control-Request-Method", "PUT"),
    ];
    headers.extend_from_slice(extra);
    request("OPTIONS", &headers)
}

/// `len` bytes of an `Access-Control-Request-Headers` value full of commas,
/// spaces and empty elements, starting with an allowed name.
fn junk_list(len: usize) -> Vec<u8> {
    let unit = b"x-custom, , ,,  ,x-custom ,, ";
    unit.iter().copied().cycle().take(len).collect()
}

/// `len` bytes of well-formed, allowed names: far more than the engine reads.
fn long_list(len: usize) -> Vec<u8> {
    let mut list: Vec<u8> = b"x-custom,".iter().copied().cycle().take(len).collect();
    // End on a whole name.
    while list.last().is_some_and(|&b| b != b',') {
        list.pop();
    }
    list.pop();
    list
}

const KIB: usize = 1024;

fn cases() -> Vec<Case> {
    use Expect::*;
    let mut cases = vec![
        Case {
            name: "ACRH, 8 KiB of commas, spaces, empty elements".into(),
            request: preflight(&[h("Access-Control-Request-Headers", junk_list(8 * KIB))]),
            expect: |_| Refused(MALFORMED_ACRH),
        },
        Case {
            name: "ACRH, 64 KiB of commas, spaces, empty elements".into(),
            request: preflight(&[h("Access-Control-Request-Headers", junk_list(64 * KIB))]),
            expect: |_| Refused(MALFORMED_ACRH),
        },
        Case {
            name: "ACRH, 64 KiB of allowed names".into(),
            request: preflight(&[h("Access-Control-Request-Headers", long_list(64 * KIB))]),
            expect: |_| Refused(TOO_MANY_ACRH),
        },
        Case {
            // More lines than the engine keeps (MAX_REQUEST_HEADER_LINES),
            // fewer than any framework's header count.
            name: "ACRH on 50 lines".into(),
            request: preflight(&vec![h("Access-Control-Request-Headers", "x-custom"); 50]),
            expect: |_| Refused(MALFORMED_ACRH),
        },
        Case {
            // Over actix's 131,072-byte head, under hyper's 417,792.
            name: "ACRH, 160 KiB".into(),
            request: preflight(&[h("Access-Control-Request-Headers", junk_list(160 * KIB))]),
            expect: |fw| match fw {
                Framework::Actix => Parser(431),
                _ => Refused(MALFORMED_ACRH),
            },
        },
        Case {
            // Over every framework's head limit.
            name: "ACRH, 512 KiB".into(),
            request: preflight(&[h("Access-Control-Request-Headers", junk_list(512 * KIB))]),
            expect: |_| Parser(431),
        },
        Case {
            // 102 header lines: over hyper's 100 and actix's 96.
            name: "100 Origin headers (GET)".into(),
            request: request("GET", &vec![h("Origin", ALLOWED); 100]),
            expect: |_| Parser(431),
        },
        Case {
            name: "100 Origin headers (preflight)".into(),
            request: preflight(&vec![h("Origin", ALLOWED); 99]),
            expect: |_| Parser(431),
        },
        Case {
            // 92 header lines: within every framework's count.
            name: "90 Origin headers (GET)".into(),
            request: request("GET", &vec![h("Origin", ALLOWED); 90]),
            expect: |_| HandlerWithoutCors,
        },
        Case {
            name: "90 Origin headers (preflight)".into(),
            request: preflight(&vec![h("Origin", ALLOWED); 89]),
            expect: |_| Refused(MULTIPLE_ORIGINS),
        },
        Case {
            name: "Origin of 10 KiB (GET)".into(),
            request: request("GET", &[h("Origin", ten_kib_origin())]),
            expect: |_| HandlerWithoutCors,
        },
        Case {
            name: "Origin of 10 KiB (preflight)".into(),
            request: request(
                "OPTIONS",
                &[
                    h("Origin", ten_kib_origin()),
                    h("Access-Control-Request-Method", "PUT"),
                ],
            ),
            expect: |_| Refused(MALFORMED_ORIGIN),
        },
        // Non-UTF-8 bytes. Rocket drops such a header before the fairing
        // runs, so it answers what is left of the request.
        Case {
            name: "Origin with 0xff 0x80 (GET)".into(),
            request: request("GET", &[h("Origin", &b"https://app.\xff\x80example"[..])]),
            expect: |_| HandlerWithoutCors,
        },
        Case {
            name: "Origin with 0xff 0x80 (preflight)".into(),
            request: request(
                "OPTIONS",
                &[
                    h("Origin", &b"https://app.\xff\x80example"[..]),
                    h("Access-Control-Request-Method", "PUT"),
                ],
            ),
            // Without its Origin, Rocket's OPTIONS is not a preflight.
            expect: |fw| match fw {
                Framework::Rocket => HandlerWithoutCors,
                _ => Refused(MALFORMED_ORIGIN),
            },
        },
        Case {
            name: "Origin allowed, and a second one with 0xff (GET)".into(),
            request: request(
                "GET",
                &[h("Origin", ALLOWED), h("Origin", &b"https://\xff"[..])],
            ),
            // Rocket passes on one Origin, the allowed one.
            expect: |fw| match fw {
                Framework::Rocket => HandlerAllowed,
                _ => HandlerWithoutCors,
            },
        },
        Case {
            name: "ACRM with 0xff".into(),
            request: request(
                "OPTIONS",
                &[
                    h("Origin", ALLOWED),
                    h("Access-Control-Request-Method", &b"PU\xffT"[..]),
                ],
            ),
            // Without its ACRM, Rocket's OPTIONS is an actual request from
            // the allowed origin.
            expect: |fw| match fw {
                Framework::Rocket => HandlerAllowed,
                _ => Refused(MALFORMED_ACRM),
            },
        },
        Case {
            name: "ACRH with 0xff 0x80".into(),
            request: preflight(&[h(
                "Access-Control-Request-Headers",
                &b"x-custom,x-\xff\x80"[..],
            )]),
            expect: |fw| match fw {
                Framework::Rocket => PreflightAllowedBare,
                _ => Refused(MALFORMED_ACRH),
            },
        },
        Case {
            // The engine reads only `true` as a Private Network Access
            // request; anything else is no such request, in all four.
            name: "ACRPN with 0xff".into(),
            request: preflight(&[h(
                "Access-Control-Request-Private-Network",
                &b"\xfftrue"[..],
            )]),
            expect: |_| PreflightAllowedBare,
        },
    ];
    // Control bytes (not CR or LF) in each CORS header: every parser
    // refuses the head.
    for byte in [0x00u8, 0x01, 0x1b, 0x7f] {
        for (header, value) in [
            ("Origin", format!("https://app.{}example", byte as char)),
            (
                "Access-Control-Request-Method",
                format!("PU{}T", byte as char),
            ),
            (
                "Access-Control-Request-Headers",
                format!("x-custom,x{}y", byte as char),
            ),
            (
                "Access-Control-Request-Private-Network",
                format!("true{}", byte as char),
            ),
        ] {
            let mut headers = vec![
                h("Origin", ALLOWED),
                h("Access-Control-Request-Method", "PUT"),
            ];
            match headers.iter_mut().find(|(n, _)| *n == header) {
                Some(slot) => slot.1 = value.into_bytes(),
                None => headers.push(h(header, value)),
            }
            cases.push(Case {
                name: format!("{header} with 0x{byte:02x}"),
                request: request("OPTIONS", &headers),
                expect: |_| Parser(400),
            });
        }
    }
    cases
}

/// A syntactically plausible origin of 10 KiB.
fn ten_kib_origin() -> Vec<u8> {
    let mut origin = b"https://".to_vec();
    origin.resize(10 * KIB - ".example".len(), b'a');
    origin.extend_from_slice(b".example");
    origin
}

/// The request every server must keep answering with its allow-origin.
fn normal_request() -> Vec<u8> {
    request("GET", &[h("Origin", ALLOWED)])
}

fn run(framework: Framework) {
    let mut server = Server::start(framework, "headers", POLICY);
    let mut failures = Vec::new();
    let mut times = Vec::new();
    for case in cases() {
        let expect = (case.expect)(framework);
        let size = case.request.len();
        match exchange(server.addr, &case.request) {
            Ok(response) => {
                times.push((case.name.clone(), size, response.status, response.elapsed));
                if let Err(problem) = check(&response, expect) {
                    failures.push(format!("{}: {problem}", case.name));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
        match exchange(server.addr, &normal_request()) {
            Ok(r)
                if r.status == 200
                    && r.header("access-control-allow-origin") == Some(ALLOWED.as_bytes()) => {}
            other => failures.push(format!(
                "after {}: the allowed request got {other:?}",
                case.name
            )),
        }
    }
    if let Ok(Some(status)) = server.child.try_wait() {
        failures.push(format!("the server exited: {status}"));
    }
    let mut table = format!("{} response times:\n", framework.name());
    for (name, size, status, elapsed) in &times {
        table.push_str(&format!(
            "  {name:<52} {size:>7} B  {status}  {:>8.2} ms\n",
            elapsed.as_secs_f64() * 1000.0
        ));
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "{}: {} problem(s):\n{}\nserver stderr:\n{}",
        framework.name(),
        failures.len(),
        failures.join("\n"),
        server.stderr()
    );
}

#[test]
fn axum_withstands_hostile_requests() {
    run(Framework::Axum);
}

#[test]
fn actix_withstands_hostile_requests() {
    run(Framework::Actix);
}

#[test]
fn rocket_withstands_hostile_requests() {
    run(Framework::Rocket);
}

#[test]
fn warp_withstands_hostile_requests() {
    run(Framework::Warp);
}

#[test]
fn warp_tower_withstands_hostile_requests() {
    run(Framework::WarpTower);
}

// ---------------------------------------------------------------------------
// Hostile paths under a policy with routes.
//
// The engine compares paths byte for byte and gives an ambiguous path (a dot
// segment, an encoded dot, slash or unreserved character, an empty segment)
// no grant at all, so that no spelling of a path can borrow a more
// permissive route's grant. What each framework itself does with a request
// target, read in the sources of the versions in `Cargo.lock`:
//
// - **hyper** (axum, warp; Rocket through hyper 0.14) and **actix-http**
//   parse the target into an `http::Uri`, which refuses more than 65,534
//   bytes: hyper answers 414, actix-http 400. None of them decodes or
//   normalizes the path; every adapter passes on the path as received,
//   without the query.
// - **axum** (matchit) and **warp** match the raw path: `%65cho` is not
//   `echo`, and `//public/echo` has an empty first segment, so both are 404.
// - **actix-web** matches a copy of the path in which percent-encoded bytes
//   other than `/`, `+` and `%` are decoded (`actix-router`'s `Url`), so
//   `/public/%65cho` runs the `/public/echo` handler, while `req.path()`,
//   which the adapter reads, keeps `%65`.
// - **Rocket** matches decoded segments and skips empty ones, so
//   `/public/%65cho` and `//public/echo` both run the `/public/echo`
//   handler; `req.uri().path()`, which the adapter reads, is the raw path.
//
// In each of those, the handler runs *without* CORS headers: the framework
// served the resource, the browser is not allowed to read it. That is the
// ambiguous path's rule, and never more than the strictest route's grant.

/// The per-path policy of the path tests: the app's origin with
/// credentials at the top level, anyone without credentials under
/// `/public/*`, no one on `/internal/*` and `/metrics`.
const ROUTES_POLICY: &str = r#"allow_origins = ["https://app.example"]
allow_methods = ["GET", "PUT"]
allow_headers = ["x-custom"]
allow_credentials = true

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]
allow_credentials = false

[[routes]]
paths = ["/internal/*", "/metrics"]
allow_origins = []
"#;

/// An origin only the `/public/*` route allows.
const STRANGER: &str = "https://stranger.example";

const ORIGIN_NOT_ALLOWED: &str = "CORS request refused: origin not allowed\n";
const AMBIGUOUS_PATH: &str = "CORS request refused: ambiguous path\n";

/// What the routes grant a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// The top level: [`ALLOWED`] only, with credentials.
    Top,
    /// `/public/*`: every origin, `*`, without credentials.
    Public,
    /// A route that allows no origin (`/internal/*`, `/metrics`).
    NoOrigin,
    /// An ambiguous path: no grant at all.
    Ambiguous,
}

/// What a framework does with a request target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// The middleware sees it: `handler` when a demo route serves the path,
    /// else the framework's 404.
    Routed { handler: bool },
    /// The framework refuses the target before any middleware, with this
    /// status.
    Rejected(u16),
}

const NOT_FOUND: Fate = Fate::Routed { handler: false };
const HANDLER: Fate = Fate::Routed { handler: true };

/// One request target, what the rules grant it, and what each framework
/// does with it.
struct PathCase {
    name: &'static str,
    target: String,
    grant: Grant,
    fate: fn(Framework) -> Fate,
}

/// `/public/` followed by `a`s, `len` bytes in all.
fn long_public_path(len: usize) -> String {
    let mut path = String::from("/public/");
    path.extend(std::iter::repeat_n('a', len - path.len()));
    path
}

fn path_cases() -> Vec<PathCase> {
    let case = |name, target: &str, grant, fate| PathCase {
        name,
        target: target.to_owned(),
        grant,
        fate,
    };
    vec![
        case("/echo, the top level", "/echo", Grant::Top, |_| HANDLER),
        case(
            "/public/echo, the prefix route",
            "/public/echo",
            Grant::Public,
            |_| HANDLER,
        ),
        case(
            "/publicity is not under /public/*",
            "/publicity",
            Grant::Top,
            |_| NOT_FOUND,
        ),
        case(
            "/PUBLIC/x: patterns are case-sensitive",
            "/PUBLIC/x",
            Grant::Top,
            |_| NOT_FOUND,
        ),
        case(
            "/public/../internal/x: a dot-dot segment",
            "/public/../internal/x",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "/internal/../public/echo: a dot-dot segment into /public",
            "/internal/../public/echo",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "/public/%2e%2e/internal/x: an encoded dot-dot segment",
            "/public/%2e%2e/internal/x",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "/public/./echo: a dot segment",
            "/public/./echo",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "/public%2Finternal: an encoded slash",
            "/public%2Finternal",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "//public/x: an empty first segment",
            "//public/x",
            Grant::Ambiguous,
            |_| NOT_FOUND,
        ),
        case(
            "//public/echo: an empty first segment before a route",
            "//public/echo",
            Grant::Ambiguous,
            |fw| match fw {
                Framework::Rocket => HANDLER,
                _ => NOT_FOUND,
            },
        ),
        case(
            "/public/%65cho: an encoded unreserved character",
            "/public/%65cho",
            Grant::Ambiguous,
            |fw| match fw {
                Framework::Actix | Framework::Rocket => HANDLER,
                _ => NOT_FOUND,
            },
        ),
        case(
            "/public/x?y=/internal: the query is not the path",
            "/public/x?y=/internal",
            Grant::Public,
            |_| NOT_FOUND,
        ),
        case(
            "/public/echo?y=/internal: the query is not the path",
            "/public/echo?y=/internal",
            Grant::Public,
            |_| HANDLER,
        ),
        case(
            "/internal/x?y=/public/: the query is not the path",
            "/internal/x?y=/public/",
            Grant::NoOrigin,
            |_| NOT_FOUND,
        ),
        case(
            "/public;x is not under /public/*",
            "/public;x",
            Grant::Top,
            |_| NOT_FOUND,
        ),
        case(
            "/public+x is not under /public/*",
            "/public+x",
            Grant::Top,
            |_| NOT_FOUND,
        ),
        case(
            "/metrics, an exact route",
            "/metrics",
            Grant::NoOrigin,
            |_| NOT_FOUND,
        ),
        case(
            "/metrics/: an exact route covers its trailing slash",
            "/metrics/",
            Grant::NoOrigin,
            |_| NOT_FOUND,
        ),
        case(
            "/metrics/x: an exact route covers nothing below it",
            "/metrics/x",
            Grant::Top,
            |_| NOT_FOUND,
        ),
        case(
            "/internal/x, a prefix route",
            "/internal/x",
            Grant::NoOrigin,
            |_| NOT_FOUND,
        ),
        PathCase {
            // Under `http::Uri`'s 65,534 bytes: the engine reads it all.
            name: "a path of 60 KiB under /public/",
            target: long_public_path(60 * KIB),
            grant: Grant::Public,
            fate: |_| NOT_FOUND,
        },
        PathCase {
            // Over `http::Uri`'s limit: every framework refuses the target.
            name: "a path of 64 KiB under /public/",
            target: long_public_path(64 * KIB),
            grant: Grant::Public,
            fate: |fw| match fw {
                Framework::Actix => Fate::Rejected(400),
                _ => Fate::Rejected(414),
            },
        },
    ]
}

/// Checks one answer to `case`, a GET or a preflight for `PUT` from
/// `origin`, given the framework's `fate` for the target.
fn check_path(
    response: &Response,
    case: &PathCase,
    fate: Fate,
    origin: &str,
    preflight: bool,
) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut want = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    let cors: Vec<&str> = response
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("access-control-"))
        .collect();
    let ran = response.header("x-handler") == Some(b"ran");
    // The grant this origin gets: the allow-origin value and credentials.
    let granted = match case.grant {
        Grant::Top if origin == ALLOWED => Some((ALLOWED, true)),
        Grant::Public => Some(("*", false)),
        _ => None,
    };
    match fate {
        Fate::Rejected(status) => {
            want(response.status == status, format!("status {status}"));
            want(cors.is_empty(), "no CORS header".into());
            want(!ran, "no handler".into());
        }
        Fate::Routed { handler } => {
            if preflight {
                want(!ran, "no handler".into());
            } else {
                let status = if handler { 200 } else { 404 };
                want(response.status == status, format!("status {status}"));
                want(ran == handler, format!("handler ran: {handler}"));
            }
            match granted {
                Some((allow_origin, credentials)) => {
                    want(
                        response.header("access-control-allow-origin")
                            == Some(allow_origin.as_bytes()),
                        format!("access-control-allow-origin: {allow_origin}"),
                    );
                    want(
                        response.has("access-control-allow-credentials") == credentials,
                        format!("access-control-allow-credentials present: {credentials}"),
                    );
                    if preflight {
                        want(response.status == 204, "status 204".into());
                        want(
                            response.header("access-control-allow-methods") == Some(b"PUT"),
                            "access-control-allow-methods: PUT".into(),
                        );
                    }
                }
                None => {
                    want(cors.is_empty(), "no CORS header".into());
                    if preflight {
                        let body = if case.grant == Grant::Ambiguous {
                            AMBIGUOUS_PATH
                        } else {
                            ORIGIN_NOT_ALLOWED
                        };
                        want(response.status == 403, "status 403".into());
                        want(response.body == body.as_bytes(), format!("body {body:?}"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let mut shown = format!("{response:?}");
        if shown.len() > 2000 {
            shown.truncate(2000);
            shown.push_str("...");
        }
        Err(format!("expected {}; got {shown}", problems.join(", ")))
    }
}

fn run_paths(framework: Framework) {
    let mut server = Server::start(framework, "paths", ROUTES_POLICY);
    let mut failures = Vec::new();
    let mut sent = 0;
    for case in path_cases() {
        let fate = (case.fate)(framework);
        for origin in [ALLOWED, STRANGER] {
            for preflight in [false, true] {
                let raw = if preflight {
                    request_to(
                        "OPTIONS",
                        &case.target,
                        &[
                            h("Origin", origin),
                            h("Access-Control-Request-Method", "PUT"),
                        ],
                    )
                } else {
                    request_to("GET", &case.target, &[h("Origin", origin)])
                };
                let what = format!(
                    "{} ({} from {origin})",
                    case.name,
                    if preflight { "preflight" } else { "GET" }
                );
                sent += 1;
                match exchange(server.addr, &raw) {
                    Ok(response) => {
                        if let Err(problem) = check_path(&response, &case, fate, origin, preflight)
                        {
                            failures.push(format!("{what}: {problem}"));
                        }
                    }
                    Err(e) => failures.push(format!("{what}: {e}")),
                }
            }
        }
    }
    match exchange(server.addr, &normal_request()) {
        Ok(r)
            if r.status == 200
                && r.header("access-control-allow-origin") == Some(ALLOWED.as_bytes()) => {}
        other => failures.push(format!(
            "after the paths, the allowed request got {other:?}"
        )),
    }
    if let Ok(Some(status)) = server.child.try_wait() {
        failures.push(format!("the server exited: {status}"));
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {sent} path requests not as the routes say:\n{}\nserver stderr:\n{}",
        framework.name(),
        failures.len(),
        failures.join("\n"),
        server.stderr()
    );
    println!(
        "{}: {sent} path requests as the routes say",
        framework.name()
    );
}

#[test]
fn axum_paths_get_their_routes_grant() {
    run_paths(Framework::Axum);
}

#[test]
fn actix_paths_get_their_routes_grant() {
    run_paths(Framework::Actix);
}

#[test]
fn rocket_paths_get_their_routes_grant() {
    run_paths(Framework::Rocket);
}

#[test]
fn warp_paths_get_their_routes_grant() {
    run_paths(Framework::Warp);
}

#[test]
fn warp_tower_paths_get_their_routes_grant() {
    run_paths(Framework::WarpTower);
}
