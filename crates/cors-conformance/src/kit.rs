//! Running the table against an application under test, and the report.

use std::fmt::{self, Write as _};
use std::future::Future;

use cors_core::{OriginLookup, Policy};
use http::{HeaderName, HeaderValue, Method, Request, Response};

use crate::{ACAC, ACAO, Case, Status, cases, lookup};

/// What the application under test is built with for one case.
///
/// Build a fresh application for every case: its CORS integration uses
/// [`policy`](Setup::policy), and asks [`lookup`](Setup::lookup) whenever
/// the engine refers an origin to it (`Action::Lookup`). Policies that do
/// not set `allow_origin_lookup` never ask, so attaching the lookup to
/// every case is correct.
#[derive(Debug)]
#[non_exhaustive]
pub struct Setup {
    /// The case's name, for the application's own logs.
    pub case: &'static str,
    /// The policy the integration must apply.
    pub policy: Policy,
    /// The kit's origin lookup (see [`lookup`]).
    pub lookup: OriginLookup,
}

/// Runs every case of the table through `send`, an async function that
/// builds the application under test from a [`Setup`], sends it the
/// request and returns its complete response, and reports every failing
/// case.
///
/// The request is an `http` 1.x request whose URI is the path alone, with
/// one header entry per header line (repeated lines appended, in order)
/// and the whole body. The response must be what a client would receive:
/// the status, every header line, the whole body. Any executor runs the
/// returned future; the lookup's timeout needs the timer the integration
/// gives `OriginLookup::decide`.
///
/// ```
/// use cors_conformance::{Report, Setup};
///
/// async fn send(setup: Setup, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
///     // Build the stack with `setup.policy` and `setup.lookup`, send it
///     // `request`, and collect its response. This stub answers 200 to all.
///     let _ = (setup, request);
///     http::Response::new(b"ok".to_vec())
/// }
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
/// let report: Report = runtime.block_on(cors_conformance::run("stub", send));
/// assert_eq!(report.ran(), cors_conformance::cases().len());
/// assert!(!report.passed());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn run<F, Fut>(framework: &str, mut send: F) -> Report
where
    F: FnMut(Setup, Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Response<Vec<u8>>>,
{
    let mut report = Report::new(framework);
    for case in cases() {
        let response = send(case.setup(), case.request()).await;
        report.record(&case, &Observed::from_response(&response));
    }
    report
}

/// [`run`] for an application that answers synchronously (a blocking
/// server, or a test client that drives its own runtime).
///
/// See the crate documentation for a complete example.
pub fn run_sync<F>(framework: &str, mut send: F) -> Report
where
    F: FnMut(Setup, Request<Vec<u8>>) -> Response<Vec<u8>>,
{
    let mut report = Report::new(framework);
    for case in cases() {
        let response = send(case.setup(), case.request());
        report.record(&case, &Observed::from_response(&response));
    }
    report
}

impl Case {
    /// What the application under test is built with for this case: its
    /// policy and the kit's [`lookup`].
    pub fn setup(&self) -> Setup {
        Setup {
            case: self.name,
            policy: self.policy(),
            lookup: lookup(),
        }
    }

    /// The case's request: method, path (the URI has no scheme or
    /// authority), one header entry per header line in order, and body.
    pub fn request(&self) -> Request<Vec<u8>> {
        let mut request = Request::new(self.body.as_bytes().to_vec());
        *request.method_mut() = Method::from_bytes(self.method.as_bytes())
            .unwrap_or_else(|e| panic!("case {}: method: {e}", self.name));
        *request.uri_mut() = self
            .path
            .parse()
            .unwrap_or_else(|e| panic!("case {}: path: {e}", self.name));
        for (name, value) in &self.headers {
            let value = HeaderValue::from_str(value)
                .unwrap_or_else(|e| panic!("case {}: {name}: {e}", self.name));
            request
                .headers_mut()
                .append(HeaderName::from_static(name), value);
        }
        request
    }

    /// The request as text: the request line, then one header line each,
    /// then the body if any.
    fn request_text(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        for (name, value) in &self.headers {
            let _ = write!(text, "\n{name}: {value}");
        }
        if !self.body.is_empty() {
            let _ = write!(text, "\n\n{}", self.body);
        }
        text
    }

    /// What the case expects, one item a line.
    fn expectation(&self) -> String {
        let mut lines = vec![match self.status {
            Status::Is(status) => format!("status {status}"),
            Status::ClientError => "a 4xx status".to_owned(),
        }];
        lines.push(
            if self.handler_ran {
                "the handler runs (X-Handler: ran)"
            } else {
                "the handler does not run"
            }
            .to_owned(),
        );
        for (name, value) in &self.expected_headers {
            lines.push(match value {
                Some(value) => format!("{name}: {value}"),
                None => format!("no {name}"),
            });
        }
        if self.no_cors_headers {
            lines.push("no Access-Control-* header".to_owned());
        }
        if !self.vary.is_empty() {
            lines.push(format!("Vary lists {}", self.vary.join(", ")));
        }
        if !self.not_vary.is_empty() {
            lines.push(format!("Vary does not list {}", self.not_vary.join(", ")));
        }
        lines.join("\n")
    }
}

/// A response as the application under test gave it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The status code.
    pub status: u16,
    /// The headers: lower-case name and value, one entry per header line.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Observed {
    /// The status, every header line (in the map's order) and the body of
    /// an `http` 1.x response.
    pub fn from_response(response: &Response<Vec<u8>>) -> Self {
        Observed {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect(),
            body: response.body().clone(),
        }
    }

    /// Every value of `name`, in order.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The values of `name` joined by `, ` (how a browser combines lines).
    fn joined(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .values(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The response as text: status, header lines, body (cut after 200
    /// bytes).
    fn text(&self) -> String {
        let mut text = format!("status {}", self.status);
        for (name, value) in &self.headers {
            let _ = write!(text, "\n{name}: {}", String::from_utf8_lossy(value));
        }
        if !self.body.is_empty() {
            let shown = &self.body[..self.body.len().min(200)];
            let _ = write!(text, "\n\n{}", String::from_utf8_lossy(shown));
            if shown.len() < self.body.len() {
                let _ = write!(text, "... ({} bytes)", self.body.len());
            }
        }
        text
    }
}

/// Checks a response against a case: what the case expects, then the
/// invariants every response must keep whatever the case. The error lists
/// every problem, separated by `; `; an invariant's starts with
/// `invariant:`.
///
/// The invariants: at most one `Access-Control-Allow-Origin` line; never
/// `Access-Control-Allow-Origin: *` with credentials;
/// `Access-Control-Allow-Credentials` only as `true`; no other
/// `Access-Control-*` header without `Access-Control-Allow-Origin`; no name
/// listed twice in `Vary`; no body on an answered preflight.
pub fn check(case: &Case, observed: &Observed) -> Result<(), String> {
    let problems = problems(case, observed);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Every way `observed` departs from `case` and from the invariants.
fn problems(case: &Case, observed: &Observed) -> Vec<String> {
    let mut problems = Vec::new();
    match case.status {
        Status::Is(status) if observed.status != status => {
            problems.push(format!("status {} (expected {status})", observed.status));
        }
        Status::ClientError if !(400..500).contains(&observed.status) => {
            problems.push(format!("status {} (expected a 4xx)", observed.status));
        }
        _ => {}
    }
    let ran = observed.joined("x-handler").as_deref() == Some("ran");
    if ran != case.handler_ran {
        problems.push(format!(
            "handler {} (expected it {})",
            if ran { "ran" } else { "did not run" },
            if case.handler_ran {
                "to run"
            } else {
                "not to run"
            }
        ));
    }
    for (name, expected) in &case.expected_headers {
        let actual = observed.joined(name);
        if actual.as_deref() != *expected {
            problems.push(format!("{name}: {actual:?} (expected {expected:?})"));
        }
    }
    if case.no_cors_headers {
        for (name, _) in &observed.headers {
            if name.to_ascii_lowercase().starts_with("access-control-") {
                problems.push(format!("unexpected CORS header {name}"));
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    for line in observed.values("vary") {
        for name in String::from_utf8_lossy(line).split(',') {
            let name = name.trim().to_ascii_lowercase();
            if names.contains(&name) {
                problems.push(format!("invariant: Vary lists {name} twice"));
            }
            names.push(name);
        }
    }
    for name in &case.vary {
        if !names.iter().any(|n| n == name) {
            problems.push(format!("Vary lacks {name} (has {names:?})"));
        }
    }
    for name in &case.not_vary {
        if names.iter().any(|n| n == name) {
            problems.push(format!("Vary lists {name}"));
        }
    }
    invariants(case, observed, &mut problems);
    problems
}

/// The invariants of every response, whatever the case.
fn invariants(case: &Case, observed: &Observed, problems: &mut Vec<String>) {
    let origin_lines = observed.values(ACAO).count();
    if origin_lines > 1 {
        problems.push("invariant: more than one Access-Control-Allow-Origin line".to_owned());
    }
    let credentials = observed.joined(ACAC);
    if observed.joined(ACAO).as_deref() == Some("*") && credentials.is_some() {
        problems.push(
            "invariant: Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials"
                .to_owned(),
        );
    }
    if credentials.as_deref().is_some_and(|value| value != "true") {
        problems.push(format!(
            "invariant: Access-Control-Allow-Credentials is {credentials:?}, not \"true\""
        ));
    }
    if origin_lines == 0 {
        for (name, _) in &observed.headers {
            if name.to_ascii_lowercase().starts_with("access-control-") {
                problems.push(format!(
                    "invariant: {name} without Access-Control-Allow-Origin"
                ));
            }
        }
    }
    if case.method == "OPTIONS"
        && !case.handler_ran
        && matches!(case.status, Status::Is(200 | 204))
        && !observed.body.is_empty()
    {
        problems.push(format!(
            "invariant: the preflight answer has a body: {:?}",
            String::from_utf8_lossy(&observed.body)
        ));
    }
}

/// One case the application under test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The case's name.
    pub case: &'static str,
    /// The request sent, as text.
    pub request: String,
    /// What the case expects, one item a line.
    pub expected: String,
    /// The response received, as text.
    pub got: String,
    /// Every mismatch, one entry each.
    pub problems: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}]", self.case)?;
        block(f, "request", &self.request)?;
        block(f, "expected", &self.expected)?;
        block(f, "got", &self.got)?;
        block(f, "problems", &self.problems.join("\n"))
    }
}

/// `label:` then `text`, every line indented under the first.
fn block(f: &mut fmt::Formatter<'_>, label: &str, text: &str) -> fmt::Result {
    let mut lines = text.lines();
    writeln!(
        f,
        "  {:<10}{}",
        format!("{label}:"),
        lines.next().unwrap_or("")
    )?;
    for line in lines {
        if line.is_empty() {
            writeln!(f)?;
        } else {
            writeln!(f, "            {line}")?;
        }
    }
    Ok(())
}

/// The outcome of a run: how many cases ran, and every failure.
///
/// Its `Display` lists every failing case with its request, what was
/// expected and what came back.
#[derive(Debug, Clone)]
pub struct Report {
    framework: String,
    ran: usize,
    total: usize,
    failures: Vec<Failure>,
}

impl Report {
    fn new(framework: &str) -> Self {
        Report {
            framework: framework.to_owned(),
            ran: 0,
            total: cases().len(),
            failures: Vec::new(),
        }
    }

    /// Checks one case's response.
    fn record(&mut self, case: &Case, observed: &Observed) {
        self.ran += 1;
        let problems = problems(case, observed);
        if !problems.is_empty() {
            self.failures.push(Failure {
                case: case.name,
                request: case.request_text(),
                expected: case.expectation(),
                got: observed.text(),
                problems,
            });
        }
    }

    /// The name given to [`run`] or [`run_sync`].
    pub fn framework(&self) -> &str {
        &self.framework
    }

    /// How many cases ran (the whole table).
    pub fn ran(&self) -> usize {
        self.ran
    }

    /// Every failing case, in the table's order.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Whether every case of the table ran and passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.ran == self.total
    }

    /// Panics with the whole report unless [`passed`](Report::passed);
    /// otherwise prints the count of passing cases.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "{self}");
        println!("{}: {} conformance cases passed", self.framework, self.ran);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ran != self.total {
            writeln!(
                f,
                "{}: ran {} of the table's {} cases",
                self.framework, self.ran, self.total
            )?;
        }
        if self.failures.is_empty() {
            return writeln!(
                f,
                "{}: {} conformance cases passed",
                self.framework, self.ran
            );
        }
        writeln!(
            f,
            "{}: {} of {} conformance cases failed",
            self.framework,
            self.failures.len(),
            self.ran
        )?;
        for failure in &self.failures {
            writeln!(f)?;
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}
