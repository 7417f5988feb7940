//! `CorsLayer::origin_lookup` and `SharedPolicy`: what the lookup's
//! verdicts do to preflights and actual requests, when the lookup is asked,
//! and that its failures are contained.

mod log;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::routing::get;
use cors_axum::{Cors, CorsLayer};
use cors_core::{OriginLookup, Policy, RouteConfig, SharedPolicy, VerdictCache};
use http_body_util::BodyExt;
use tower::{Service, ServiceExt};

const STATIC: &str = "https://static.example";
const ALLOWED: &str = "https://allowed.example";
const REFUSED: &str = "https://refused.example";
const ERROR: &str = "https://error.example";
const SLOW: &str = "https://slow.example";
const PANIC: &str = "https://panic.example";
/// The engine's body for a refused origin.
const REFUSED_BODY: &str = "CORS request refused: origin not allowed\n";

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

/// `GET /items` (counting the handler's runs) behind the layer.
fn app(layer: CorsLayer<OriginLookup>, handled: &Arc<AtomicUsize>) -> Router {
    let handled = handled.clone();
    Router::new()
        .route(
            "/items",
            get(move || {
                handled.fetch_add(1, Ordering::SeqCst);
                async { "items" }
            }),
        )
        .layer(layer)
}

fn preflight(origin: &str) -> Request<Body> {
    Request::options("/items")
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "x-api-key")
        .body(Body::empty())
        .expect("valid request")
}

fn actual(origin: &str) -> Request<Body> {
    Request::get("/items")
        .header("origin", origin)
        .body(Body::empty())
        .expect("valid request")
}

fn header<'a>(response: &'a Response<impl Sized>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("visible ASCII"))
}

async fn text<B>(response: Response<B>) -> String
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("readable")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

#[tokio::test]
async fn verdicts_decide_preflights() {
    let cases = [
        (ALLOWED, StatusCode::NO_CONTENT, ""),
        (REFUSED, StatusCode::FORBIDDEN, REFUSED_BODY),
        (ERROR, StatusCode::FORBIDDEN, REFUSED_BODY),
        (SLOW, StatusCode::FORBIDDEN, REFUSED_BODY),
        (PANIC, StatusCode::FORBIDDEN, REFUSED_BODY),
    ];
    for (origin, status, body) in cases {
        let (calls, handled) = (Arc::default(), Arc::default());
        let app = app(
            CorsLayer::new(policy()).origin_lookup(lookup(&calls)),
            &handled,
        );
        let response = app.oneshot(preflight(origin)).await.expect("infallible");
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), 0, "{origin}");
        let allowed = status == StatusCode::NO_CONTENT;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allowed.then_some(origin),
            "{origin}"
        );
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            allowed.then_some("PUT")
        );
        assert_eq!(
            header(&response, "vary"),
            Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            "{origin}"
        );
        assert_eq!(text(response).await, body, "{origin}");
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
        let app = app(
            CorsLayer::new(policy()).origin_lookup(lookup(&calls)),
            &handled,
        );
        let response = app.oneshot(actual(origin)).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{origin}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), 1, "{origin}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allowed.then_some(origin),
            "{origin}"
        );
        assert_eq!(header(&response, "vary"), Some("Origin"), "{origin}");
        assert_eq!(text(response).await, "items");
    }
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
        let app = app(
            CorsLayer::new(policy.clone()).origin_lookup(lookup(&calls)),
            &handled,
        );
        let response = app.oneshot(actual(origin)).await.expect("infallible");
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(handled.load(Ordering::SeqCst), usize::from(status == 200));
        assert_eq!(header(&response, "vary"), Some("Origin"), "{origin}");
    }
}

#[tokio::test]
async fn the_lookup_is_asked_only_about_origins_no_rule_allows() {
    let (calls, handled) = (Arc::default(), Arc::default());
    let app = app(
        CorsLayer::new(policy()).origin_lookup(lookup(&calls)),
        &handled,
    );
    let not_cors = Request::get("/items").body(Body::empty()).expect("valid");
    let not_asked = [
        not_cors,
        actual(STATIC),
        preflight(STATIC),
        actual("null"),
        preflight("null"),
        actual("https://bad example"),
        actual("https://a.example/path"),
        preflight("not an origin"),
    ];
    for request in not_asked {
        let shown = format!("{:?}", request.headers().get("origin"));
        app.clone().oneshot(request).await.expect("infallible");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{shown}");
    }
    // Without a cache, once per request.
    for n in 1..=3 {
        app.clone()
            .oneshot(actual(ALLOWED))
            .await
            .expect("infallible");
        assert_eq!(calls.load(Ordering::SeqCst), 2 * n - 1);
        app.clone()
            .oneshot(preflight(REFUSED))
            .await
            .expect("infallible");
        assert_eq!(calls.load(Ordering::SeqCst), 2 * n);
    }
}

#[tokio::test]
async fn a_cached_verdict_is_used_within_its_lifetime_without_boxing() {
    let calls = Arc::default();
    let lookup = lookup(&calls).cache(
        VerdictCache::new(100)
            .allowed_for(Duration::from_millis(300))
            .refused_for(Duration::from_secs(60)),
    );
    let handled = Arc::default();
    let app = app(
        CorsLayer::new(policy()).origin_lookup(lookup.clone()),
        &handled,
    );
    for _ in 0..5 {
        let response = app
            .clone()
            .oneshot(actual(ALLOWED))
            .await
            .expect("infallible");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(ALLOWED)
        );
        assert_eq!(header(&response, "vary"), Some("Origin"));
        let response = app
            .clone()
            .oneshot(preflight(REFUSED))
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            header(&response, "vary"),
            Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Answered from the cache: the plain response future, not the boxed one.
    let mut service = Cors::new(
        tower::service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        }),
        policy(),
    )
    .origin_lookup(lookup.clone());
    let future = service.ready().await.expect("ready").call(actual(ALLOWED));
    assert!(format!("{future:?}").contains("settled"), "{future:?}");
    future.await.expect("infallible");
    let future = service
        .ready()
        .await
        .expect("ready")
        .call(actual("https://new.example"));
    assert!(format!("{future:?}").contains("asking"), "{future:?}");
    future.await.expect("infallible");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Past the allowed lifetime the lookup is asked again.
    tokio::time::sleep(Duration::from_millis(350)).await;
    app.clone()
        .oneshot(actual(ALLOWED))
        .await
        .expect("infallible");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn failures_are_logged_at_warn_with_origin_and_reason() {
    let events = log::capture();
    let calls = Arc::default();
    let app = app(
        CorsLayer::new(policy()).origin_lookup(lookup(&calls)),
        &Arc::default(),
    );
    for origin in [ERROR, SLOW, PANIC, ALLOWED, REFUSED] {
        app.clone()
            .oneshot(actual(origin))
            .await
            .expect("infallible");
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
    let app = app(
        CorsLayer::new(&shared).origin_lookup(lookup(&calls)),
        &Arc::default(),
    );
    let response = app
        .clone()
        .oneshot(actual(ALLOWED))
        .await
        .expect("infallible");
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
    let response = app
        .clone()
        .oneshot(actual(REFUSED))
        .await
        .expect("infallible");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(REFUSED)
    );
    let response = app
        .clone()
        .oneshot(actual(ALLOWED))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Without a lookup, too: the plain layer reads the shared policy.
    let plain = Router::new()
        .route("/items", get(|| async { "items" }))
        .layer(CorsLayer::new(shared.clone()));
    let response = plain
        .clone()
        .oneshot(actual(STATIC))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    shared.replace(policy());
    let response = plain.oneshot(actual(STATIC)).await.expect("infallible");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(STATIC)
    );
}

#[tokio::test]
async fn routes_select_their_policy_by_the_request_path() {
    let policy = Policy::builder()
        .allow_origins([STATIC])
        .route(RouteConfig::new(["/public/*"]).allow_origins(["*"]))
        .build()
        .expect("valid policy");
    let app = Router::new()
        .route("/public/a", get(|| async { "a" }))
        .route("/items", get(|| async { "items" }))
        .layer(CorsLayer::new(policy));
    let get = |path: &str| {
        Request::get(path)
            .header("origin", "https://other.example")
            .body(Body::empty())
            .expect("valid")
    };
    let response = app
        .clone()
        .oneshot(get("/public/a?x=1"))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let response = app
        .clone()
        .oneshot(get("/items"))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let response = app
        .oneshot(get("/public/../items"))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_lookup_does_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let calls = Arc::default();
    let app = app(
        CorsLayer::new(policy()).origin_lookup(lookup(&calls)),
        &Arc::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

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

/// A service that is not `Clone`: `Cors` without a lookup wraps it as it
/// is.
struct NotClone;

impl Service<Request<Body>> for NotClone {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Body>) -> Self::Future {
        std::future::ready(Ok(Response::new(Body::from("plain"))))
    }
}

#[tokio::test]
async fn without_a_lookup_the_inner_service_needs_no_clone() {
    let response = Cors::new(NotClone, policy())
        .oneshot(actual(STATIC))
        .await
        .expect("infallible");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(STATIC)
    );
    // Never asked: the policy refers origins to a lookup there is none of.
    let response = Cors::new(NotClone, policy())
        .oneshot(actual(ALLOWED))
        .await
        .expect("infallible");
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(text(response).await, "plain");
}
