//! `cors-demo --watch` in each framework, over real sockets: the policy
//! file is rewritten (in place and by rename), made invalid, deleted and
//! written again while the server runs, and each time the API must answer
//! with the policy the brief promises: the new one within two seconds, or
//! the old one when the new file is invalid or gone.
//!
//! And the API's port in each framework: a client that connects from the
//! moment the process starts is either refused (nothing listens yet) or
//! answered, never accepted and then reset. Rocket binds its own socket,
//! which is where that used to go wrong.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use cors_examples::Framework;

/// The origin the first policy allows, and the one the second allows.
const ONE: &str = "https://one.example";
const TWO: &str = "https://two.example";

const POLICY_ONE: &str = r#"allow_origins = ["https://one.example"]
expose_headers = ["x-request-id"]
"#;

const POLICY_TWO: &str = r#"allow_origins = ["https://two.example"]
max_age = 60
"#;

/// Two problems in one file: an origin without a scheme and a method with
/// a space in it.
const INVALID: &str = r#"allow_origins = ["one.example"]
allow_methods = ["GET POST"]
"#;

/// What `--watch` prints after replacing the policy.
const RELOADED: &str = "cors-demo: policy reloaded";

/// How long a server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How soon a rewritten policy must be the one answering.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(2);
/// How soon a message about the file must be printed.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one response may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The lines of one of a child's output streams, as they arrive.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    grown: Condvar,
    /// Set once the stream has ended.
    closed: AtomicBool,
}

impl Output {
    /// Reads `stream` to its end in a thread (so the child never blocks on
    /// a full pipe).
    fn gather(stream: impl Read + Send + 'static) -> Arc<Output> {
        let output = Arc::new(Output::default());
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                sink.lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
                sink.grown.notify_all();
            }
            let _lines = sink.lines.lock().unwrap_or_else(|e| e.into_inner());
            sink.closed.store(true, Ordering::SeqCst);
            sink.grown.notify_all();
        });
        output
    }

    /// The number of lines so far, to look only at what comes after.
    fn mark(&self) -> usize {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The lines after `mark`, joined.
    fn text_since(&self, mark: usize) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.get(mark..).unwrap_or_default().join("\n")
    }

    fn text(&self) -> String {
        self.text_since(0)
    }

    /// Waits until `found` finds something in the lines after `mark`.
    fn wait_for<T>(
        &self,
        mark: usize,
        timeout: Duration,
        mut found: impl FnMut(&[String]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(value) = found(lines.get(mark..).unwrap_or_default()) {
                return Some(value);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = self
                .grown
                .wait_timeout(lines, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until the stream has ended.
    fn wait_closed(&self) -> bool {
        self.wait_for(0, MESSAGE_TIMEOUT, |_| {
            self.closed.load(Ordering::SeqCst).then_some(())
        })
        .is_some()
    }

    /// Waits until the text after `mark` contains `needle`.
    fn wait_for_text(&self, mark: usize, needle: &str) -> bool {
        self.wait_for(mark, MESSAGE_TIMEOUT, |lines| {
            lines.join("\n").contains(needle).then_some(())
        })
        .is_some()
    }

    /// How many lines after `mark` are exactly `line`.
    fn count_since(&self, mark: usize, line: &str) -> usize {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .filter(|l| *l == line)
            .count()
    }
}

/// A running `cors-demo`, killed when dropped (a failing test included).
struct Demo {
    child: Child,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
}

impl Demo {
    /// Starts `cors-demo` for `framework` with the policy file `policy`,
    /// the API on `listen`, and `extra` arguments; returns at once.
    fn spawn(framework: Framework, policy: &Path, listen: SocketAddr, extra: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cors-demo"))
            .args(["--framework", framework.name(), "--policy"])
            .arg(policy)
            .arg("--listen")
            .arg(listen.to_string())
            // Any free port for the page, unless the caller names one.
            .args(
                ["--page-listen", "127.0.0.1:0"]
                    .iter()
                    .filter(|_| !extra.contains(&"--page-listen")),
            )
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting cors-demo");
        let stdout = Output::gather(child.stdout.take().expect("piped stdout"));
        let stderr = Output::gather(child.stderr.take().expect("piped stderr"));
        Demo {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the API's address in the announcement.
    fn announced(&self, framework: Framework) -> Option<SocketAddr> {
        let prefix = format!("cors-demo: {} API on http://", framework.name());
        self.stdout.wait_for(0, START_TIMEOUT, |lines| {
            lines
                .iter()
                .find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
        })
    }

    /// Both streams, for a failure's message.
    fn output(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.stdout.text(),
            self.stderr.text()
        )
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory for one test's policy file.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the test directory");
    dir
}

/// Writes `text` to `path` the way editors that save by rename do: a new
/// file next to it, renamed over it.
fn replace_by_rename(path: &Path, text: &str) {
    let temporary = path.with_extension("toml.new");
    std::fs::write(&temporary, text).expect("writing the new policy");
    std::fs::rename(&temporary, path).expect("renaming the new policy into place");
}

/// A response as read off the socket: the status and the headers, names
/// lower-cased.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `GET /echo` on `stream` (from `origin`, if any) and reads the
/// whole response.
fn get_on(mut stream: TcpStream, origin: Option<&str>) -> Result<Response, String> {
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    write!(
        stream,
        "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n{origin}Connection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e} (after {} bytes)", raw.len()))?;
    let text = String::from_utf8_lossy(&raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .filter(|_| text.contains("\r\n\r\n"))
        .ok_or_else(|| format!("no complete response: {text:?}"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .ok_or_else(|| format!("bad status line in {text:?}"))?;
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect();
    Ok(Response { status, headers })
}

fn get(addr: SocketAddr, origin: &str) -> Result<Response, String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    get_on(stream, Some(origin))
}

/// Which of the two policies answers: `ONE` or `TWO`, told apart by which
/// origin gets `Access-Control-Allow-Origin` (and, for the first, its
/// exposed header).
fn policy_in_force(addr: SocketAddr) -> Result<&'static str, String> {
    let one = get(addr, ONE)?;
    let two = get(addr, TWO)?;
    let allowed =
        |r: &Response, origin: &str| r.header("access-control-allow-origin") == Some(origin);
    let refused = |r: &Response| r.header("access-control-allow-origin").is_none();
    if one.status != 200 || two.status != 200 {
        return Err(format!("not 200: {one:?} {two:?}"));
    }
    if allowed(&one, ONE)
        && refused(&two)
        && one.header("access-control-expose-headers") == Some("x-request-id")
    {
        Ok(ONE)
    } else if allowed(&two, TWO) && refused(&one) {
        Ok(TWO)
    } else {
        Err(format!("neither policy: {one:?} {two:?}"))
    }
}

/// Polls until `want` answers, within [`RELOAD_TIMEOUT`].
fn wait_until_serving(demo: &Demo, addr: SocketAddr, want: &str, after: &str) {
    let started = Instant::now();
    let mut last;
    loop {
        last = policy_in_force(addr);
        if last.as_deref() == Ok(want) {
            return;
        }
        if started.elapsed() > RELOAD_TIMEOUT {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "{after}: the policy allowing {want} did not answer within {RELOAD_TIMEOUT:?} (last: {last:?})\n{}",
        demo.output()
    );
}

/// The whole `--watch` story for one framework.
fn watch(framework: Framework) {
    let dir = scratch_dir(&format!("watch-{}", framework.name()));
    let policy = dir.join("policy.toml");
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));

    // How an invalid file is reported at start-up: the text a reload must
    // print too.
    std::fs::write(&policy, INVALID).expect("writing the invalid policy");
    let mut refused = Demo::spawn(framework, &policy, any_port, &["--watch"]);
    let status = refused.child.wait().expect("waiting for cors-demo");
    assert_eq!(status.code(), Some(2), "{}", refused.output());
    assert!(refused.stderr.wait_closed(), "{}", refused.output());
    let start_up_problems = refused.stderr.text();
    for problem in ["one.example", "GET POST"] {
        assert!(
            start_up_problems.contains(problem),
            "start-up names {problem:?}: {start_up_problems}"
        );
    }

    std::fs::write(&policy, POLICY_ONE).expect("writing the first policy");
    let demo = Demo::spawn(framework, &policy, any_port, &["--watch"]);
    let addr = demo
        .announced(framework)
        .unwrap_or_else(|| panic!("cors-demo did not start\n{}", demo.output()));
    assert_eq!(policy_in_force(addr), Ok(ONE), "{}", demo.output());

    // Rewritten in place.
    let out = demo.stdout.mark();
    std::fs::write(&policy, POLICY_TWO).expect("rewriting the policy");
    wait_until_serving(&demo, addr, TWO, "rewritten in place");
    assert!(
        demo.stdout.wait_for_text(out, RELOADED),
        "{}",
        demo.output()
    );

    // Replaced by rename.
    let out = demo.stdout.mark();
    replace_by_rename(&policy, POLICY_ONE);
    wait_until_serving(&demo, addr, ONE, "replaced by rename");
    assert!(
        demo.stdout.wait_for_text(out, RELOADED),
        "{}",
        demo.output()
    );

    // Invalid: the problems as at start-up, and the old policy serving.
    let out = demo.stdout.mark();
    let err = demo.stderr.mark();
    replace_by_rename(&policy, INVALID);
    assert!(
        demo.stderr.wait_for_text(err, start_up_problems.trim_end()),
        "the problems, as at start-up:\n{start_up_problems}\n{}",
        demo.output()
    );
    assert!(
        demo.stderr
            .wait_for_text(err, "cors-demo: keeping the current policy"),
        "{}",
        demo.output()
    );
    assert_eq!(policy_in_force(addr), Ok(ONE), "{}", demo.output());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(policy_in_force(addr), Ok(ONE), "{}", demo.output());
    assert_eq!(
        demo.stdout.count_since(out, RELOADED),
        0,
        "{}",
        demo.output()
    );

    // Deleted: said so, and the old policy serving.
    let err = demo.stderr.mark();
    std::fs::remove_file(&policy).expect("deleting the policy");
    let removed = format!(
        "cors-demo: {} was removed; keeping the current policy",
        policy.display()
    );
    assert!(
        demo.stderr.wait_for_text(err, &removed),
        "{removed}\n{}",
        demo.output()
    );
    assert_eq!(policy_in_force(addr), Ok(ONE), "{}", demo.output());
    assert_eq!(
        demo.stdout.count_since(out, RELOADED),
        0,
        "{}",
        demo.output()
    );

    // Written again: the watch goes on.
    let out = demo.stdout.mark();
    std::fs::write(&policy, POLICY_TWO).expect("writing the policy again");
    wait_until_serving(&demo, addr, TWO, "written again after removal");
    assert!(
        demo.stdout.wait_for_text(out, RELOADED),
        "{}",
        demo.output()
    );
}

#[test]
fn watch_axum() {
    watch(Framework::Axum);
}

#[test]
fn watch_actix() {
    watch(Framework::Actix);
}

#[test]
fn watch_rocket() {
    watch(Framework::Rocket);
}

#[test]
fn watch_warp() {
    watch(Framework::Warp);
}

#[test]
fn watch_warp_tower() {
    watch(Framework::WarpTower);
}

/// Connects to the API's port again and again from the moment `cors-demo`
/// starts: each attempt must be refused (nothing listens yet) or, once
/// accepted, answered in full. Accepted and then reset or closed is the
/// failure.
///
/// The API's port is picked before the server starts (the client must know
/// it from the first moment), so another process may bind it between the
/// pick and `cors-demo`'s own bind. That is a lost race of the test, not
/// the behaviour under test: when `cors-demo` says it cannot listen, the
/// check starts again on fresh ports, a few times at most.
fn accepts_only_when_serving(framework: Framework) {
    const ATTEMPTS: u32 = 5;
    for attempt in 1..=ATTEMPTS {
        match accepted_connections_answered(framework) {
            Ok(()) => return,
            Err(taken) if attempt < ATTEMPTS => {
                println!("{}: port taken, starting again: {taken}", framework.name());
            }
            Err(taken) => panic!("{ATTEMPTS} attempts, every port taken; last: {taken}"),
        }
    }
}

/// One run of [`accepts_only_when_serving`]: `Err` (with `cors-demo`'s
/// output) only when `cors-demo` could not listen on the ports it was
/// given; any other failure panics.
fn accepted_connections_answered(framework: Framework) -> Result<(), String> {
    let dir = scratch_dir(&format!("listen-{}", framework.name()));
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, POLICY_ONE).expect("writing the policy");
    // Ports nobody listens on, known before the server starts; held
    // together while picked so that the API and the page get different
    // ones.
    let (addr, page_addr) = {
        let pick = || {
            TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| Ok((listener.local_addr()?, listener)))
                .expect("picking a port")
        };
        let ((api, _held_api), (page, _held_page)) = (pick(), pick());
        (api, page)
    };
    let page_listen = page_addr.to_string();
    let mut demo = Demo::spawn(
        framework,
        &policy,
        addr,
        &["--page-listen", page_listen.as_str()],
    );
    // Whether cors-demo ended because a port was taken: then the run is
    // void. Anything else that went wrong is the failure.
    let port_taken = |demo: &mut Demo| -> Option<String> {
        let deadline = Instant::now() + MESSAGE_TIMEOUT;
        while Instant::now() < deadline {
            if demo.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let exited = demo.child.try_wait().ok().flatten().is_some();
        (exited && demo.stderr.wait_for_text(0, "cors-demo: cannot listen on "))
            .then(|| demo.output())
    };
    let started = Instant::now();
    let (mut refused, mut answered, mut answered_before_announcement) = (0u32, 0u32, 0u32);
    let mut announced = false;
    while !(announced && answered >= 20) {
        assert!(
            started.elapsed() < START_TIMEOUT,
            "no answer after {START_TIMEOUT:?} ({refused} refused)\n{}",
            demo.output()
        );
        if let Some(status) = demo.child.try_wait().expect("polling cors-demo") {
            if let Some(output) = port_taken(&mut demo) {
                return Err(output);
            }
            panic!("cors-demo exited early: {status}\n{}", demo.output());
        }
        // Read before connecting: a connection the server answered must
        // not count as answered before the announcement.
        announced = demo.stdout.text().contains(" API on http://");
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                refused += 1;
                std::thread::sleep(Duration::from_micros(100));
            }
            Err(e) => {
                if let Some(output) = port_taken(&mut demo) {
                    return Err(output);
                }
                panic!(
                    "{}: connecting {:?} after start: {e}\n{}",
                    framework.name(),
                    started.elapsed(),
                    demo.output()
                );
            }
            Ok(stream) => {
                let at = started.elapsed();
                match get_on(stream, Some(ONE)) {
                    Ok(response) if response.status == 200 => {}
                    other => {
                        if let Some(output) = port_taken(&mut demo) {
                            return Err(output);
                        }
                        panic!(
                            "{}: a connection accepted {at:?} after start was not answered: {other:?}\n{}",
                            framework.name(),
                            demo.output()
                        );
                    }
                }
                answered += 1;
                answered_before_announcement += u32::from(!announced);
            }
        }
    }
    println!(
        "{}: {refused} attempts refused, {answered} answered ({answered_before_announcement} before the announcement)",
        framework.name()
    );
    Ok(())
}

#[test]
fn rocket_accepts_only_when_serving() {
    accepts_only_when_serving(Framework::Rocket);
}

#[test]
fn axum_accepts_only_when_serving() {
    accepts_only_when_serving(Framework::Axum);
}

#[test]
fn actix_accepts_only_when_serving() {
    accepts_only_when_serving(Framework::Actix);
}

#[test]
fn warp_accepts_only_when_serving() {
    accepts_only_when_serving(Framework::Warp);
}

#[test]
fn warp_tower_accepts_only_when_serving() {
    accepts_only_when_serving(Framework::WarpTower);
}
