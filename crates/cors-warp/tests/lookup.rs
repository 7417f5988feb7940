//! `Cors::origin_lookup` and `SharedPolicy`: what the lookup's verdicts do
//! to preflights and actual requests, when the lookup is asked, and that
//! its failures are contained.

mod log;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cors_core::{OriginLookup, Policy, RouteConfig, SharedPolicy, VerdictCache};
use warp::http::Response;
use warp::hyper::body::Bytes;
use warp::reply::Reply;
use warp::test::RequestBuilder;
use warp::{Filter, Rejection};

const STATIC: &str = "https://static.example";
const ALLOWED: &str = "https://allowed.example";
const REFUSED: &str = "https://refused.example";
const ERROR: &str = "https://error.example";
const SLOW: &str = "https://slow.example";
const PANIC: &str = "https://panic.example";
/// The engine's body for a refused origin.
const REFUSED_BODY: &str = "CORS request refused: origin not allowed\n";
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

fn policy() -> Policy {
    Policy::builder()
        .allow_origins([STATIC])
        .allow_origin_lookup(true)
        .allow_methods(["GET", "PUT"])
        .allow_headers(["x-api-key"])
        .build()
        .expect("valid policy")
}

/// The test lookup, counting its calls: allows [`ALLOWED`], fails for
/// [`ERROR`], never answers for [`SLOW`] (50 ms timeout), panics for
/// [`PANIC`], refuses everything else.
fn lookup(calls: &Arc<AtomicUsize>) -> OriginLookup {
    let calls = calls.clone();
    OriginLookup::new(move |origin: String, _request| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            match origin.as_str() {
                ALLOWED => Ok(true),
                ERROR => Err("tenant database unavailable".to_owned()),
                SLOW => std::future::pending().await,
                PANIC => panic!("the lookup panicked on purpose"),
                _ => Ok(false),
            }
        }
    })
    .timeout(Duration::from_millis(50))
}

/// `GET /items`, counting the handler's runs.
fn routes(
    handled: &Arc<AtomicUsize>,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone + Send + Sync + 'static {
    let handled = handled.clone();
    warp::path!("items").and(warp::get()).map(move || {
        handled.fetch_add(1, Ordering::SeqCst);
        "items"
    })
}

fn preflight(origin: &str) -> RequestBuilder {
    warp::test::request()
        .method("OPTIONS")
        .path("/items")
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "x-api-key")
}

fn actual(origin: &str) -> RequestBuilder {
    warp::test::request()
        .path("/items")
        .header("origin", origin)
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("visible ASCII"))
}

#[tokio::test]
async fn verdicts_decide_preflights() {
    let cases = [
        (ALLOWED, 204, ""),
        (REFUSED, 403, REFUSED_BODY),
        (ERROR, 403, REFUSED_BODY),
        (SLOW, 403, REFUSED_BODY),
        (PANIC, 403, REFUSED_BODY),
    ];
    for (origin, status, body) in cases {
        let (calls, handled) = (Arc::default(), Arc::default());
        let filter = cors_warp::cors(policy())
            .origin_lookup(lookup(&calls))
            .wrap(routes(&handled));
        let response = preflight(origin).reply(&filter).await;
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), 0, "{origin}");
        let allowed = status == 204;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allowed.then_some(origin),
            "{origin}"
        );
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            allowed.then_some("PUT")
        );
        assert_eq!(header(&response, "vary"), Some(PREFLIGHT_VARY), "{origin}");
        assert_eq!(response.body(), body, "{origin}");
    }
}

#[tokio::test]
async fn verdicts_decide_actual_requests_and_the_handler_always_runs() {
    for (origin, allowed) in [
        (ALLOWED, true),
        (REFUSED, false),
        (ERROR, false),
        (SLOW, false),
        (PANIC, false),
    ] {
        let (calls, handled) = (Arc::default(), Arc::default());
        let filter = cors_warp::cors(policy())
            .origin_lookup(lookup(&calls))
            .wrap(routes(&handled));
        let response = actual(origin).reply(&filter).await;
        assert_eq!(response.status(), 200, "{origin}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allowed.then_some(origin),
            "{origin}"
        );
        assert_eq!(header(&response, "vary"), Some("Origin"), "{origin}");
        assert_eq!(response.body(), "items");
    }
}

#[tokio::test]
async fn rejections_get_the_lookups_answer_too() {
    let calls = Arc::default();
    let filter = cors_warp::cors(policy())
        .origin_lookup(lookup(&calls))
        .wrap(routes(&Arc::default()));
    let response = warp::test::request()
        .path("/nowhere")
        .header("origin", ALLOWED)
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_blocking_policy_answers_refused_lookups_with_403() {
    let policy = Policy::builder()
        .allow_origin_lookup(true)
        .block_disallowed_origins(true)
        .build()
        .expect("valid policy");
    for (origin, status) in [(ALLOWED, 200), (REFUSED, 403), (ERROR, 403)] {
        let (calls, handled) = (Arc::default(), Arc::default());
        let filter = cors_warp::cors(policy.clone())
            .origin_lookup(lookup(&calls))
            .wrap(routes(&handled));
        let response = actual(origin).reply(&filter).await;
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), usize::from(status == 200));
        assert_eq!(header(&response, "vary"), Some("Origin"), "{origin}");
        if status == 403 {
            assert_eq!(response.body(), REFUSED_BODY);
        }
    }
}

#[tokio::test]
async fn the_lookup_is_asked_only_about_origins_no_rule_allows() {
    let (calls, handled) = (Arc::default(), Arc::default());
    let filter = cors_warp::cors(policy())
        .origin_lookup(lookup(&calls))
        .wrap(routes(&handled));
    let not_asked = [
        warp::test::request().path("/items"),
        actual(STATIC),
        preflight(STATIC),
        actual("null"),
        preflight("null"),
        actual("https://bad example"),
        actual("https://a.example/path"),
        preflight("not an origin"),
    ];
    for (n, request) in not_asked.into_iter().enumerate() {
        request.reply(&filter).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0, "request {n}");
    }
    // Without a cache, once per request.
    for n in 1..=3 {
        actual(ALLOWED).reply(&filter).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2 * n - 1);
        preflight(REFUSED).reply(&filter).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2 * n);
    }
}

#[tokio::test]
async fn a_cached_verdict_is_used_within_its_lifetime() {
    let calls = Arc::default();
    let lookup = lookup(&calls).cache(
        VerdictCache::new(100)
            .allowed_for(Duration::from_millis(300))
            .refused_for(Duration::from_secs(60)),
    );
    let filter = cors_warp::cors(policy())
        .origin_lookup(lookup)
        .wrap(routes(&Arc::default()));
    for _ in 0..5 {
        let response = actual(ALLOWED).reply(&filter).await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(ALLOWED)
        );
        assert_eq!(header(&response, "vary"), Some("Origin"));
        let response = preflight(REFUSED).reply(&filter).await;
        assert_eq!(response.status(), 403);
        assert_eq!(header(&response, "vary"), Some(PREFLIGHT_VARY));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_millis(350)).await;
    actual(ALLOWED).reply(&filter).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn failures_are_logged_at_warn_with_origin_and_reason() {
    let events = log::capture();
    let calls = Arc::default();
    let filter = cors_warp::cors(policy())
        .origin_lookup(lookup(&calls))
        .wrap(routes(&Arc::default()));
    for origin in [ERROR, SLOW, PANIC, ALLOWED, REFUSED] {
        actual(origin).reply(&filter).await;
    }
    let warnings = events.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (warning, (origin, reason)) in warnings.iter().zip([
        (
            ERROR,
            "the origin lookup failed: tenant database unavailable",
        ),
        (SLOW, "the origin lookup timed out after 50ms"),
        (
            PANIC,
            "the origin lookup panicked: the lookup panicked on purpose",
        ),
    ]) {
        assert_eq!(warning.message, "CORS origin lookup failed; origin refused");
        assert_eq!(warning.field("origin"), Some(origin));
        assert_eq!(warning.field("reason"), Some(reason));
    }
}

#[tokio::test]
async fn a_shared_policy_replaced_between_requests_changes_the_answer() {
    let shared = SharedPolicy::new(policy());
    let calls = Arc::default();
    let filter = cors_warp::cors(&shared)
        .origin_lookup(lookup(&calls))
        .wrap(routes(&Arc::default()));
    let response = actual(ALLOWED).reply(&filter).await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The new policy allows the origin statically and no longer asks.
    shared.replace(
        Policy::builder()
            .allow_origins([REFUSED])
            .build()
            .expect("valid policy"),
    );
    let response = actual(REFUSED).reply(&filter).await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(REFUSED)
    );
    let response = actual(ALLOWED).reply(&filter).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Without a lookup, too, for CORS requests and the others.
    let any = Policy::builder()
        .allow_origins(["*"])
        .build()
        .expect("valid policy");
    let plain = cors_warp::cors(shared.clone()).wrap(routes(&Arc::default()));
    let response = actual(STATIC).reply(&plain).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let response = warp::test::request().path("/items").reply(&plain).await;
    assert_eq!(header(&response, "vary"), Some("Origin"));
    shared.replace(any);
    let response = actual(STATIC).reply(&plain).await;
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let response = warp::test::request().path("/items").reply(&plain).await;
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "vary"), None);

    // A blocking policy swapped in answers refusals itself.
    shared.replace(
        Policy::builder()
            .allow_origins([STATIC])
            .block_disallowed_origins(true)
            .build()
            .expect("valid policy"),
    );
    let response = actual(REFUSED).reply(&plain).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.body(), REFUSED_BODY);
    let response = actual(STATIC).reply(&plain).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(STATIC)
    );
}

#[tokio::test]
async fn routes_select_their_policy_by_the_request_path() {
    let policy = Policy::builder()
        .allow_origins([STATIC])
        .block_disallowed_origins(true)
        .route(
            RouteConfig::new(["/public/*"])
                .allow_origins(["*"])
                .block_disallowed_origins(false),
        )
        .build()
        .expect("valid policy");
    let public = warp::path!("public" / "a").map(|| "a");
    let filter = cors_warp::cors(policy).wrap(public.or(routes(&Arc::default())));
    let response = warp::test::request()
        .path("/public/a?x=1")
        .header("origin", "https://other.example")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    // Without `Origin`, the route's answer: `*`, no `Vary`.
    let response = warp::test::request().path("/public/a").reply(&filter).await;
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "vary"), None);
    let response = warp::test::request().path("/items").reply(&filter).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(header(&response, "vary"), Some("Origin"));
    // Elsewhere the top level blocks.
    let response = actual("https://other.example").reply(&filter).await;
    assert_eq!(response.status(), 403);
    let response = warp::test::request()
        .path("/public/../items")
        .header("origin", STATIC)
        .reply(&filter)
        .await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_lookup_does_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let calls = Arc::default();
    let filter = cors_warp::cors(policy())
        .origin_lookup(lookup(&calls))
        .wrap(routes(&Arc::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(warp::serve(filter).incoming(listener).run());

    let exchange = |origin: &'static str| async move {
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let request = format!(
            "GET /items HTTP/1.1\r\nhost: localhost\r\norigin: {origin}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer.to_ascii_lowercase()
    };
    for _ in 0..3 {
        let answer = exchange(PANIC).await;
        assert!(answer.starts_with("http/1.1 200"), "{answer}");
        assert!(!answer.contains("access-control-allow-origin"), "{answer}");
        let answer = exchange(ALLOWED).await;
        assert!(answer.starts_with("http/1.1 200"), "{answer}");
        assert!(
            answer.contains("access-control-allow-origin: https://allowed.example"),
            "{answer}"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    server.abort();
}
