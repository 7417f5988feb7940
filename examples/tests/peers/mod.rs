//! Servers this project did not write: small apps on other crates' CORS
//! middleware, tower-http's `CorsLayer` (under axum) and `actix-cors`,
//! each configured several ways, some deliberately broken the way real
//! deployments are (a refused preflight answered 200 with headers, `*`
//! with credentials, no `Access-Control-Allow-Headers`, a redirect in
//! front of the middleware, a 500 from outside it). Every scenario is one
//! `fetch()` from the page, judged by the browser against a stated
//! expectation, then `cors check` for the same call, which must reach the
//! browser's verdict and send the server the same requests.
//!
//! Both apps run in the test's process on ports they pick (127.0.0.1:0),
//! and stop with the test: the axum app with the test's runtime, the
//! actix app (its own thread and runtime) when its handle drops. Every
//! scenario has its own query string, so no preflight cache entry of one
//! answers for another.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use fantoccini::Client;
use serde_json::{Value, json};

use super::{
    Agreement, Engine, Expect, PATIENCE, Page, check_page, cors_check, header, json_body,
    load_page, run_fetch, verdict_differences,
};

/// The requests a peer received, one line each: `METHOD PATH` (no query),
/// then `origin=`, `acrm=` and `acrh=` with the `Origin` and
/// `Access-Control-Request-*` values when sent.
type Log = Arc<Mutex<Vec<String>>>;

fn log_line(log: &Log, method: &str, path: &str, header: impl Fn(&str) -> Option<String>) {
    let mut line = format!("{method} {path}");
    for (name, short) in [
        ("origin", "origin"),
        ("access-control-request-method", "acrm"),
        ("access-control-request-headers", "acrh"),
    ] {
        if let Some(value) = header(name) {
            line.push_str(&format!(" {short}={value}"));
        }
    }
    log.lock().expect("peer log").push(line);
}

/// Which app a scenario calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// axum with tower-http's `CorsLayer`.
    TowerHttp,
    /// actix-web with `actix-cors`.
    ActixCors,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::TowerHttp => "tower-http",
            Peer::ActixCors => "actix-cors",
        }
    }
}

/// One `fetch()` against a peer and what the page must see of it.
struct PeerScenario {
    name: &'static str,
    peer: Peer,
    page: Page,
    /// The path; the suite adds a query string of the scenario's own.
    path: &'static str,
    init: Value,
    /// What the page must see, and what `cors check` must say besides.
    expect: (Expect, Says),
}

/// What `cors check` must say of a scenario, besides reaching the
/// browser's verdict: the code of the reason it blocks, or the codes of
/// the warnings it gives when allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    Blocked(&'static str),
    Warnings(&'static [&'static str]),
}

/// Blocked, and `cors check` says why with the reason `code`.
fn blocked(code: &'static str) -> (Expect, Says) {
    (Expect::Blocked, Says::Blocked(code))
}

/// Readable as `expect` says, and `cors check` warns of nothing.
fn allowed(expect: Expect) -> (Expect, Says) {
    (expect, Says::Warnings(&[]))
}

/// Readable as `expect` says, and `cors check` warns of `code`.
fn warned(expect: Expect, code: &'static str) -> (Expect, Says) {
    let codes: &'static [&'static str] = match code {
        "authorization-wildcard" => &["authorization-wildcard"],
        other => unreachable!("no scenario expects the warning {other}"),
    };
    (expect, Says::Warnings(codes))
}

/// `ok` from `/echo`, `readable` names readable, `hidden` ones not.
const fn echo(readable: &'static [&'static str], hidden: &'static [&'static str]) -> Expect {
    Expect::Readable {
        status: 200,
        body: Some("ok"),
        readable,
        hidden,
    }
}

/// The headers every peer handler answers with: one the configurations
/// expose and one they expose only with "expose everything".
const REQUEST_ID: &[&str] = &["x-request-id"];
const HANDLER: &[&str] = &["x-handler"];
const BOTH: &[&str] = &["x-request-id", "x-handler"];

fn credentialed(mut init: Value) -> Value {
    init["credentials"] = json!("include");
    init
}

/// Every peer scenario. The page is on `127.0.0.1` ([`Page::Ip`]) unless
/// said otherwise; the peers are called as `localhost`.
fn scenarios() -> Vec<PeerScenario> {
    use Peer::{ActixCors, TowerHttp};
    let s = |name, peer, page, path, init, expect| PeerScenario {
        name,
        peer,
        page,
        path,
        init,
        expect,
    };
    let get = || json!({});
    vec![
        // --- tower-http: origin list, methods, headers, expose, max age, credentials
        s(
            "list: simple GET",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            get(),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: preflighted PUT with JSON",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            json_body("PUT"),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: preflighted DELETE with JSON",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            json_body("DELETE"),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: allowed X-Custom",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            header("X-Custom", "1"),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        // tower-http answers every OPTIONS 200 with its headers, allowed or
        // not: the browser reads the headers, not the status.
        s(
            "list: refused X-Debug, the preflight answered 200 with headers",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            header("X-Debug", "1"),
            blocked("header-not-allowed"),
        ),
        s(
            "list: refused PATCH, the preflight answered 200 with headers",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            json!({ "method": "PATCH" }),
            blocked("method-not-allowed"),
        ),
        s(
            "list: credentialed GET",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            credentialed(get()),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: credentialed PUT with JSON",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            credentialed(json_body("PUT")),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: Authorization not listed",
            TowerHttp,
            Page::Ip,
            "/list/echo",
            header("Authorization", "Bearer t"),
            blocked("header-not-allowed"),
        ),
        s(
            "list: unlisted page origin, simple GET",
            TowerHttp,
            Page::Localhost,
            "/list/echo",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "list: unlisted page origin, PUT with JSON",
            TowerHttp,
            Page::Localhost,
            "/list/echo",
            json_body("PUT"),
            blocked("no-allow-origin"),
        ),
        s(
            "list: the second listed origin",
            TowerHttp,
            Page::Sub,
            "/list/echo",
            get(),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: a same-server 302 inside the layer is followed",
            TowerHttp,
            Page::Ip,
            "/list/moved",
            get(),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "list: the handler's 500 carries the layer's headers",
            TowerHttp,
            Page::Ip,
            "/list/fail",
            get(),
            allowed(Expect::Readable {
                status: 500,
                body: Some("fail"),
                readable: REQUEST_ID,
                hidden: HANDLER,
            }),
        ),
        // --- tower-http: Any everywhere (`*`)
        s(
            "any: simple GET, every header exposed",
            TowerHttp,
            Page::Ip,
            "/any/echo",
            get(),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "any: PATCH under Allow-Methods *",
            TowerHttp,
            Page::Localhost,
            "/any/echo",
            json!({ "method": "PATCH" }),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "any: Authorization under Allow-Headers * (a browser laxity)",
            TowerHttp,
            Page::Ip,
            "/any/echo",
            header("Authorization", "Bearer t"),
            warned(echo(BOTH, &[]), "authorization-wildcard"),
        ),
        s(
            "any: credentialed GET under Allow-Origin *",
            TowerHttp,
            Page::Ip,
            "/any/echo",
            credentialed(get()),
            blocked("wildcard-origin-with-credentials"),
        ),
        s(
            "any: credentialed PUT under Allow-Origin *",
            TowerHttp,
            Page::Ip,
            "/any/echo",
            credentialed(json_body("PUT")),
            blocked("wildcard-origin-with-credentials"),
        ),
        // --- tower-http: everything mirrored, with credentials
        s(
            "mirror: credentialed GET from an origin nobody listed",
            TowerHttp,
            Page::Localhost,
            "/mirror/echo",
            credentialed(get()),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "mirror: credentialed PUT with JSON, Authorization and X-Anything",
            TowerHttp,
            Page::Ip,
            "/mirror/echo",
            json!({
                "method": "PUT",
                "credentials": "include",
                "headers": {
                    "Content-Type": "application/json",
                    "Authorization": "Bearer t",
                    "X-Anything": "1",
                },
                "body": "{}",
            }),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "mirror: PATCH",
            TowerHttp,
            Page::Sub,
            "/mirror/echo",
            json!({ "method": "PATCH" }),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        // --- tower-http: `*` with credentials (a credentials predicate
        // gets past the layer's check of Any with `true`)
        s(
            "star with credentials: GET without credentials",
            TowerHttp,
            Page::Ip,
            "/star-credentials/echo",
            get(),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "star with credentials: PUT with JSON without credentials",
            TowerHttp,
            Page::Ip,
            "/star-credentials/echo",
            json_body("PUT"),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "star with credentials: credentialed GET",
            TowerHttp,
            Page::Ip,
            "/star-credentials/echo",
            credentialed(get()),
            blocked("wildcard-origin-with-credentials"),
        ),
        s(
            "star with credentials: credentialed PUT with JSON",
            TowerHttp,
            Page::Ip,
            "/star-credentials/echo",
            credentialed(json_body("PUT")),
            blocked("wildcard-origin-with-credentials"),
        ),
        // --- tower-http: no Access-Control-Allow-Headers at all
        s(
            "no allow headers: simple GET",
            TowerHttp,
            Page::Ip,
            "/no-headers/echo",
            get(),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "no allow headers: PUT without headers",
            TowerHttp,
            Page::Ip,
            "/no-headers/echo",
            json!({ "method": "PUT" }),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "no allow headers: PUT with JSON",
            TowerHttp,
            Page::Ip,
            "/no-headers/echo",
            json_body("PUT"),
            blocked("header-not-allowed"),
        ),
        s(
            "no allow headers: X-Custom",
            TowerHttp,
            Page::Ip,
            "/no-headers/echo",
            header("X-Custom", "1"),
            blocked("header-not-allowed"),
        ),
        // --- tower-http: in front of and behind the layer
        s(
            "a redirect in front of the layer: the preflight of a PUT is redirected",
            TowerHttp,
            Page::Ip,
            "/redirect",
            json_body("PUT"),
            blocked("preflight-redirect"),
        ),
        s(
            "a redirect in front of the layer: a simple GET",
            TowerHttp,
            Page::Ip,
            "/redirect",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "a 500 from outside the layer: simple GET",
            TowerHttp,
            Page::Ip,
            "/crash",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "a 500 from outside the layer: the preflight of a PUT",
            TowerHttp,
            Page::Ip,
            "/crash",
            json_body("PUT"),
            blocked("preflight-status"),
        ),
        // --- actix-cors: strict list, blocking mismatched origins
        s(
            "strict: simple GET",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            get(),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "strict: credentialed PUT with JSON",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            credentialed(json_body("PUT")),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        s(
            "strict: allowed X-Custom",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            header("X-Custom", "1"),
            allowed(echo(REQUEST_ID, HANDLER)),
        ),
        // actix-cors refuses a preflight with 400 and no CORS headers.
        s(
            "strict: refused X-Debug, the preflight answered 400",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            header("X-Debug", "1"),
            blocked("preflight-status"),
        ),
        s(
            "strict: refused PATCH, the preflight answered 400",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            json!({ "method": "PATCH" }),
            blocked("preflight-status"),
        ),
        s(
            "strict: Authorization not listed",
            ActixCors,
            Page::Ip,
            "/strict/echo",
            header("Authorization", "Bearer t"),
            blocked("preflight-status"),
        ),
        s(
            "strict: unlisted page origin, simple GET answered 400",
            ActixCors,
            Page::Localhost,
            "/strict/echo",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "strict: a 500 raised behind the middleware, simple GET",
            ActixCors,
            Page::Ip,
            "/strict/crash",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "strict: a 500 raised behind the middleware, after an allowed preflight",
            ActixCors,
            Page::Ip,
            "/strict/crash",
            json_body("PUT"),
            blocked("no-allow-origin"),
        ),
        // --- actix-cors: permissive (mirrors origin and headers, with credentials)
        s(
            "permissive: credentialed GET from any page",
            ActixCors,
            Page::Localhost,
            "/permissive/echo",
            credentialed(get()),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "permissive: credentialed PUT with JSON, Authorization and X-Anything",
            ActixCors,
            Page::Ip,
            "/permissive/echo",
            json!({
                "method": "PUT",
                "credentials": "include",
                "headers": {
                    "Content-Type": "application/json",
                    "Authorization": "Bearer t",
                    "X-Anything": "1",
                },
                "body": "{}",
            }),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "permissive: PATCH",
            ActixCors,
            Page::Sub,
            "/permissive/echo",
            json!({ "method": "PATCH" }),
            allowed(echo(BOTH, &[])),
        ),
        // --- actix-cors: `*` sent (credentials cannot be configured with it)
        s(
            "wildcard: simple GET",
            ActixCors,
            Page::Ip,
            "/wildcard/echo",
            get(),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "wildcard: DELETE with JSON",
            ActixCors,
            Page::Localhost,
            "/wildcard/echo",
            json_body("DELETE"),
            allowed(echo(BOTH, &[])),
        ),
        s(
            "wildcard: credentialed GET",
            ActixCors,
            Page::Ip,
            "/wildcard/echo",
            credentialed(get()),
            blocked("wildcard-origin-with-credentials"),
        ),
        s(
            "wildcard: credentialed PUT with JSON",
            ActixCors,
            Page::Ip,
            "/wildcard/echo",
            credentialed(json_body("PUT")),
            blocked("wildcard-origin-with-credentials"),
        ),
        // --- actix-cors: origin list, no headers allowed, mismatches not blocked
        s(
            "lenient: unlisted page origin, the handler answers without CORS headers",
            ActixCors,
            Page::Localhost,
            "/lenient/echo",
            get(),
            blocked("no-allow-origin"),
        ),
        s(
            "lenient: the second listed origin",
            ActixCors,
            Page::Sub,
            "/lenient/echo",
            get(),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "lenient: PUT without headers",
            ActixCors,
            Page::Ip,
            "/lenient/echo",
            json!({ "method": "PUT" }),
            allowed(echo(&[], BOTH)),
        ),
        s(
            "lenient: PUT with JSON, no header allowed",
            ActixCors,
            Page::Ip,
            "/lenient/echo",
            json_body("PUT"),
            blocked("preflight-status"),
        ),
        s(
            "lenient: credentialed GET without Allow-Credentials",
            ActixCors,
            Page::Ip,
            "/lenient/echo",
            credentialed(get()),
            blocked("credentials-not-allowed"),
        ),
        // --- actix-cors: a redirect outside the middleware
        s(
            "a redirect outside the middleware: the preflight of a PUT is redirected",
            ActixCors,
            Page::Ip,
            "/redirect",
            json_body("PUT"),
            blocked("preflight-redirect"),
        ),
        s(
            "a redirect outside the middleware: a simple GET",
            ActixCors,
            Page::Ip,
            "/redirect",
            get(),
            blocked("no-allow-origin"),
        ),
    ]
}

/// Starts both peers, runs every scenario in `engine`, and stops the
/// peers; returns how many scenarios ran and pushes a message per failure.
pub(super) async fn run(
    engine: Engine,
    client: &Client,
    page_port: u16,
    agreement: &mut Agreement,
    failures: &mut Vec<String>,
) -> usize {
    let page = Page::Ip.origin(page_port);
    let sub = Page::Sub.origin(page_port);
    let tower_log = Log::default();
    let tower_port = serve_tower(&page, &sub, tower_log.clone()).await;
    let actix_log = Log::default();
    let actix = ActixPeer::start(&page, &sub, actix_log.clone());
    let mut count = 0;
    for (index, scenario) in scenarios().iter().enumerate() {
        count += 1;
        let (port, log) = match scenario.peer {
            Peer::TowerHttp => (tower_port, &tower_log),
            Peer::ActixCors => (actix.port, &actix_log),
        };
        let url = format!("http://localhost:{port}{}?peer-{index}", scenario.path);
        let origin = scenario.page.origin(page_port);
        if let Err(message) = run_one(engine, client, scenario, &url, &origin, log, agreement).await
        {
            failures.push(format!(
                "peer {}, `{}`: {}: {message}",
                scenario.peer.name(),
                scenario.name,
                engine.name()
            ));
        }
    }
    drop(actix);
    count
}

async fn run_one(
    engine: Engine,
    client: &Client,
    scenario: &PeerScenario,
    url: &str,
    origin: &str,
    log: &Log,
    agreement: &mut Agreement,
) -> Result<(), String> {
    load_page(engine, client, origin).await?;
    let mark = log.lock().expect("peer log").len();
    let seen = run_fetch(client, url, &scenario.init).await?;
    // A peer logs a request before answering it: the browser's requests
    // are all in the log once its fetch() settled.
    let browser_sent = log.lock().expect("peer log")[mark..].to_vec();
    let mut problems = Vec::new();
    let (expect, says) = &scenario.expect;
    check_page(expect, &seen, &mut problems);

    let mark = log.lock().expect("peer log").len();
    let check = cors_check(url, origin, &scenario.init).await?;
    let check_sent = log.lock().expect("peer log")[mark..].to_vec();
    let mut differences = verdict_differences(&seen, &check);
    if check_sent != browser_sent {
        differences.push(format!(
            "cors check sent {check_sent:?}, the browser {browser_sent:?}"
        ));
    }
    agreement.count(engine, differences, &mut problems);
    let codes = |list: &Value| -> Vec<String> {
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|w| w["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let said = match check["code"].as_str() {
        Some(code) => format!("blocked ({code})"),
        None => format!("allowed, warnings {:?}", codes(&check["warnings"])),
    };
    let expected = match *says {
        Says::Blocked(code) => format!("blocked ({code})"),
        Says::Warnings(warnings) => format!("allowed, warnings {warnings:?}"),
    };
    if said != expected {
        problems.push(format!(
            "expected cors check to say {expected}, it said {said}: {}",
            check["reason"]
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

// ---------------------------------------------------------------------------
// tower-http under axum

/// Serves the tower-http peer until the test's runtime ends; returns its
/// port. Each configuration is nested under its own prefix (`/list`,
/// `/any`, `/mirror`, `/star-credentials`, `/no-headers`) with the same
/// routes; `/redirect` and `/crash` sit outside every layer.
async fn serve_tower(page: &str, sub: &str, log: Log) -> u16 {
    use axum::Router;
    use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::any;
    use tower_http::cors::{
        AllowCredentials, AllowHeaders, AllowMethods, AllowOrigin, Any, CorsLayer,
    };

    let x_custom = HeaderName::from_static("x-custom");
    let x_request_id = HeaderName::from_static("x-request-id");
    let origin = |o: &str| HeaderValue::from_str(o).expect("an origin is a header value");
    let routes = |prefix: &'static str| {
        Router::new()
            .route(
                "/echo",
                any(|| async { ([("x-request-id", "1"), ("x-handler", "tower")], "ok") }),
            )
            .route(
                "/fail",
                any(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [("x-request-id", "1"), ("x-handler", "tower")],
                        "fail",
                    )
                }),
            )
            .route(
                "/moved",
                any(move || async move { Redirect::to(&format!("{prefix}/echo")).into_response() }),
            )
    };
    let list = CorsLayer::new()
        .allow_origin(AllowOrigin::list([origin(page), origin(sub)]))
        .allow_methods([Method::GET, Method::PUT, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, x_custom])
        .expose_headers([x_request_id.clone()])
        .max_age(Duration::from_secs(600))
        .allow_credentials(true);
    let any_layer = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers(Any);
    let mirror = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([x_request_id])
        .allow_credentials(true);
    // `allow_credentials(true)` with `Any` panics when the layer is first
    // used; a predicate answering yes gets the same header past that check.
    let star_credentials = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
        .allow_credentials(AllowCredentials::predicate(|_, _| true));
    let no_headers = CorsLayer::new()
        .allow_origin(origin(page))
        .allow_methods([Method::GET, Method::PUT]);

    let app = Router::new()
        .nest("/list", routes("/list").layer(list))
        .nest("/any", routes("/any").layer(any_layer))
        .nest("/mirror", routes("/mirror").layer(mirror))
        .nest(
            "/star-credentials",
            routes("/star-credentials").layer(star_credentials),
        )
        .nest("/no-headers", routes("/no-headers").layer(no_headers))
        // A trailing redirect and a failure in front of the CORS layer, as
        // an outer middleware or another router would answer them.
        .route(
            "/redirect",
            any(|| async { Redirect::temporary("/list/echo") }),
        )
        .route(
            "/crash",
            any(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "crash") }),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let headers = request.headers();
                log_line(
                    &log,
                    request.method().as_str(),
                    request.uri().path(),
                    |name| {
                        headers
                            .get(name)
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    },
                );
                next.run(request)
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the tower-http peer");
    let port = listener
        .local_addr()
        .expect("tower-http peer address")
        .port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

// ---------------------------------------------------------------------------
// actix-cors under actix-web

/// The actix-cors peer: actix-web on a thread of its own (it runs its own
/// single-threaded runtime), stopped and joined on drop.
struct ActixPeer {
    port: u16,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl ActixPeer {
    /// Each configuration is a scope (`/strict`, `/permissive`,
    /// `/wildcard`, `/lenient`) with the same routes; `/redirect` sits
    /// outside every scope and its middleware.
    fn start(page: &str, sub: &str, log: Log) -> ActixPeer {
        use actix_web::dev::Service;
        use actix_web::{App, HttpResponse, HttpServer, web};

        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the actix-cors peer");
        let port = listener
            .local_addr()
            .expect("actix-cors peer address")
            .port();
        let (page, sub) = (page.to_owned(), sub.to_owned());
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let echo = || {
                        web::route().to(|| async {
                            HttpResponse::Ok()
                                .insert_header(("x-request-id", "1"))
                                .insert_header(("x-handler", "actix"))
                                .body("ok")
                        })
                    };
                    let strict = actix_cors::Cors::default()
                        .allowed_origin(&page)
                        .allowed_methods(["GET", "PUT", "DELETE"])
                        .allowed_headers(["content-type", "x-custom"])
                        .expose_headers(["x-request-id"])
                        .max_age(600)
                        .supports_credentials()
                        .block_on_origin_mismatch(true);
                    let wildcard = actix_cors::Cors::default()
                        .allow_any_origin()
                        .send_wildcard()
                        .allow_any_method()
                        .allow_any_header()
                        .expose_any_header();
                    let lenient = actix_cors::Cors::default()
                        .allowed_origin(&page)
                        .allowed_origin(&sub)
                        .allowed_methods(["GET", "POST", "PUT"]);
                    let log = log.clone();
                    App::new()
                        .service(
                            web::scope("/strict")
                                .default_service(echo())
                                // Behind the middleware (the last `wrap` is
                                // the outermost): an error raised here
                                // reaches the client as a 500 the
                                // middleware never decorates.
                                .wrap_fn(|request, service| {
                                    let crash = request.path().ends_with("/crash");
                                    let answer = service.call(request);
                                    async move {
                                        if crash {
                                            Err(actix_web::error::ErrorInternalServerError("crash"))
                                        } else {
                                            answer.await
                                        }
                                    }
                                })
                                .wrap(strict),
                        )
                        .service(
                            web::scope("/permissive")
                                .default_service(echo())
                                .wrap(actix_cors::Cors::permissive()),
                        )
                        .service(
                            web::scope("/wildcard")
                                .default_service(echo())
                                .wrap(wildcard),
                        )
                        .service(web::scope("/lenient").default_service(echo()).wrap(lenient))
                        .route(
                            "/redirect",
                            web::route().to(|| async {
                                HttpResponse::TemporaryRedirect()
                                    .insert_header(("location", "/strict/echo"))
                                    .finish()
                            }),
                        )
                        .wrap_fn(move |request, service| {
                            let headers = request.headers();
                            log_line(&log, request.method().as_str(), request.path(), |name| {
                                headers
                                    .get(name)
                                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            });
                            service.call(request)
                        })
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .expect("serving the actix-cors peer")
                .run();
                let _ = sender.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = receiver
            .recv_timeout(PATIENCE)
            .expect("the actix-cors peer did not start");
        ActixPeer {
            port,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for ActixPeer {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits
        // for it to complete, which joining the thread does as well.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
