//! The origin lookup and the shared policy through the middleware: what is
//! asked, how often, what the verdicts become, and that failures refuse
//! without stopping the server.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::{App, HttpResponse, HttpServer, test, web};
use cors_actix::Cors;
use cors_core::{LookupRequest, OriginLookup, Policy, RouteConfig, SharedPolicy, VerdictCache};

const APP: &str = "https://app.example";
const TENANT: &str = "https://tenant.example";
const REFUSED: &str = "https://refused.example";
const FAILS: &str = "https://fails.example";
const SLOW: &str = "https://slow.example";
const PANICS: &str = "https://panics.example";

/// Every origin the test lookup knows, and whether it ends up allowed.
const VERDICTS: [(&str, bool); 5] = [
    (TENANT, true),
    (REFUSED, false),
    (FAILS, false),
    (SLOW, false),
    (PANICS, false),
];

fn lookup_policy() -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .allow_origin_lookup(true)
        .build()
        .expect("valid policy")
}

/// A lookup that counts its calls and records what it was asked: allows
/// [`TENANT`], fails for [`FAILS`], never answers for [`SLOW`], panics
/// for [`PANICS`], refuses everything else.
fn lookup(calls: &Arc<AtomicUsize>, asked: &Arc<Mutex<Vec<LookupRequest>>>) -> OriginLookup {
    let (calls, asked) = (Arc::clone(calls), Arc::clone(asked));
    OriginLookup::new(move |origin: String, request: LookupRequest| {
        calls.fetch_add(1, Ordering::SeqCst);
        asked.lock().expect("not poisoned").push(request);
        async move {
            match origin.as_str() {
                TENANT => Ok(true),
                FAILS => Err("tenant database unavailable".to_owned()),
                SLOW => std::future::pending().await,
                PANICS => panic!("the lookup panicked on purpose"),
                _ => Ok(false),
            }
        }
    })
    .timeout(Duration::from_millis(50))
}

/// A lookup that allows every origin it is asked about, so that a request
/// that should not reach it shows if it does.
fn allow_all(calls: &Arc<AtomicUsize>) -> OriginLookup {
    let calls = Arc::clone(calls);
    OriginLookup::new(move |_origin, _request| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, String>(true) }
    })
}

/// A handler that counts its calls.
fn counting(
    calls: &Arc<AtomicUsize>,
) -> impl Fn() -> std::future::Ready<HttpResponse> + Clone + use<> {
    let calls = Arc::clone(calls);
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(HttpResponse::Ok().body("ran"))
    }
}

/// What came back.
#[derive(Debug)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn has_cors_headers(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.starts_with("access-control-"))
    }

    /// Whether `Vary` names `Origin`.
    fn varies_on_origin(&self) -> bool {
        self.values("vary")
            .iter()
            .flat_map(|line| line.split(','))
            .any(|name| name.trim().eq_ignore_ascii_case("origin"))
    }
}

async fn send<S, R, B>(app: &S, request: R) -> Seen
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, request).await;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().expect("ASCII").to_owned()))
        .collect();
    let body = test::read_body(response).await;
    Seen {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).expect("UTF-8"),
    }
}

fn get(origin: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri("/items")
        .insert_header(("Origin", origin))
}

fn preflight(origin: &str) -> test::TestRequest {
    test::TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/items?page=2")
        .insert_header(("Origin", origin))
        .insert_header(("Access-Control-Request-Method", "PUT"))
}

#[actix_web::test]
async fn preflights_are_answered_by_the_verdict() {
    let (calls, asked, ran) = Default::default();
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(lookup(&calls, &asked)))
            .route("/items", web::put().to(counting(&ran))),
    )
    .await;
    for (origin, allowed) in VERDICTS {
        let seen = send(&app, preflight(origin).to_request()).await;
        assert!(seen.varies_on_origin(), "{origin}: {seen:?}");
        if allowed {
            assert_eq!(seen.status, 204, "{origin}");
            assert_eq!(seen.values("access-control-allow-origin"), [origin]);
            assert_eq!(seen.values("access-control-allow-methods"), ["PUT"]);
        } else {
            assert_eq!(seen.status, 403, "{origin}");
            assert!(!seen.has_cors_headers(), "{origin}: {seen:?}");
            assert_eq!(seen.body, "CORS request refused: origin not allowed\n");
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), VERDICTS.len());
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "a preflight never runs the handler"
    );
    let asked = asked.lock().expect("not poisoned");
    assert!(
        asked
            .iter()
            .all(|r| r.method == "OPTIONS" && r.path == "/items"),
        "{asked:?}"
    );
}

#[actix_web::test]
async fn actual_requests_run_the_handler_with_or_without_headers() {
    let (calls, asked, ran) = Default::default();
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(lookup(&calls, &asked)))
            .route("/items", web::get().to(counting(&ran))),
    )
    .await;
    for (origin, allowed) in VERDICTS {
        let seen = send(&app, get(origin).to_request()).await;
        assert_eq!(seen.status, 200, "{origin}");
        assert_eq!(seen.body, "ran", "{origin}");
        assert_eq!(seen.values("vary"), ["Origin"], "{origin}");
        if allowed {
            assert_eq!(seen.values("access-control-allow-origin"), [origin]);
        } else {
            assert!(!seen.has_cors_headers(), "{origin}: {seen:?}");
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), VERDICTS.len());
    assert_eq!(ran.load(Ordering::SeqCst), VERDICTS.len());
    let asked = asked.lock().expect("not poisoned");
    assert!(
        asked
            .iter()
            .all(|r| r.method == "GET" && r.path == "/items"),
        "{asked:?}"
    );
}

#[actix_web::test]
async fn blocked_refusals_never_reach_the_handler() {
    let (calls, asked, ran) = Default::default();
    let policy = Policy::builder()
        .allow_origins([APP])
        .allow_origin_lookup(true)
        .block_disallowed_origins(true)
        .build()
        .expect("valid policy");
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy).origin_lookup(lookup(&calls, &asked)))
            .route("/items", web::get().to(counting(&ran))),
    )
    .await;
    for origin in [REFUSED, FAILS, PANICS] {
        let seen = send(&app, get(origin).to_request()).await;
        assert_eq!(seen.status, 403, "{origin}");
        assert!(!seen.has_cors_headers(), "{origin}: {seen:?}");
        assert_eq!(seen.values("vary"), ["Origin"], "{origin}");
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let seen = send(&app, get(TENANT).to_request()).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[actix_web::test]
async fn the_lookup_is_not_asked_when_the_policy_decides_alone() {
    let calls = Arc::default();
    let ran = Arc::default();
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(allow_all(&calls)))
            .route("/items", web::get().to(counting(&ran))),
    )
    .await;

    // Not a CORS request.
    let seen = send(&app, test::TestRequest::get().uri("/items").to_request()).await;
    assert!(!seen.has_cors_headers(), "{seen:?}");
    // Allowed by the policy's own rule.
    let seen = send(&app, get(APP).to_request()).await;
    assert_eq!(seen.values("access-control-allow-origin"), [APP]);
    // Malformed origins and `null` are refused without asking.
    for origin in [
        "null",
        "https://a b.example",
        "tenant.example",
        "https://x.example/",
    ] {
        let seen = send(&app, get(origin).to_request()).await;
        assert!(!seen.has_cors_headers(), "{origin}: {seen:?}");
        let seen = send(&app, preflight(origin).to_request()).await;
        assert_eq!(seen.status, 403, "{origin}");
    }
    // Two `Origin` headers.
    let request = get(TENANT).append_header(("Origin", APP)).to_request();
    assert!(!send(&app, request).await.has_cors_headers());

    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(ran.load(Ordering::SeqCst), 7);
}

#[actix_web::test]
async fn null_is_asked_about_when_the_policy_refers_it() {
    let calls = Arc::default();
    let policy = Policy::builder()
        .allow_origin_lookup(true)
        .lookup_null_origin(true)
        .build()
        .expect("valid policy");
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy).origin_lookup(allow_all(&calls)))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let seen = send(&app, get("null").to_request()).await;
    assert_eq!(seen.values("access-control-allow-origin"), ["null"]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn without_a_lookup_referred_origins_are_refused() {
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let seen = send(&app, get(TENANT).to_request()).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.has_cors_headers(), "{seen:?}");
    let seen = send(&app, preflight(TENANT).to_request()).await;
    assert_eq!(seen.status, 403);
}

#[actix_web::test]
async fn every_request_asks_once_without_a_cache_and_once_per_origin_with_one() {
    let (calls, asked) = Default::default();
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(lookup(&calls, &asked)))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    for _ in 0..3 {
        send(&app, get(TENANT).to_request()).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (calls, asked) = Default::default();
    let cached = lookup(&calls, &asked).cache(
        VerdictCache::new(100)
            .allowed_for(Duration::from_secs(60))
            .refused_for(Duration::from_secs(60)),
    );
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(cached))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    for _ in 0..3 {
        let seen = send(&app, get(TENANT).to_request()).await;
        assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
        assert_eq!(seen.values("vary"), ["Origin"]);
        let seen = send(&app, preflight(TENANT).to_request()).await;
        assert_eq!(seen.status, 204);
        assert!(seen.varies_on_origin());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for _ in 0..3 {
        let seen = send(&app, get(REFUSED).to_request()).await;
        assert!(!seen.has_cors_headers(), "{seen:?}");
        assert_eq!(seen.values("vary"), ["Origin"]);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // A failure is remembered briefly, and still refuses.
    for _ in 0..3 {
        let seen = send(&app, preflight(FAILS).to_request()).await;
        assert_eq!(seen.status, 403);
        assert!(seen.varies_on_origin());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn routes_refer_origins_on_their_paths_only() {
    let calls = Arc::default();
    let policy = Policy::builder()
        .allow_origins([APP])
        .route(RouteConfig::new(["/tenants/*"]).allow_origin_lookup(true))
        .build()
        .expect("valid policy");
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy).origin_lookup(allow_all(&calls)))
            .default_service(web::to(HttpResponse::Ok)),
    )
    .await;
    let request = |path| {
        test::TestRequest::get()
            .uri(path)
            .insert_header(("Origin", TENANT))
            .to_request()
    };
    let seen = send(&app, request("/items")).await;
    assert!(!seen.has_cors_headers(), "{seen:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let seen = send(&app, request("/tenants/7?x=1")).await;
    assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn replacing_the_shared_policy_changes_the_next_answer() {
    let calls = Arc::default();
    let shared = SharedPolicy::new(
        Policy::builder()
            .allow_origins([APP])
            .build()
            .expect("valid policy"),
    );
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(&shared).origin_lookup(allow_all(&calls)))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let seen = send(&app, get(TENANT).to_request()).await;
    assert!(!seen.has_cors_headers(), "{seen:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the first policy never asks"
    );

    shared.replace(lookup_policy());
    let seen = send(&app, get(TENANT).to_request()).await;
    assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    shared.replace(
        Policy::builder()
            .allow_origins([TENANT])
            .allow_credentials(true)
            .build()
            .expect("valid policy"),
    );
    let seen = send(&app, get(TENANT).to_request()).await;
    assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
    assert_eq!(seen.values("access-control-allow-credentials"), ["true"]);
    let seen = send(&app, get(APP).to_request()).await;
    assert!(!seen.has_cors_headers(), "{seen:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_shared_policy_without_a_lookup() {
    let shared = SharedPolicy::new(
        Policy::builder()
            .allow_origins([APP])
            .expose_headers(["x-a"])
            .build()
            .expect("valid policy"),
    );
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(shared.clone()))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let seen = send(&app, get(APP).to_request()).await;
    assert_eq!(seen.values("access-control-expose-headers"), ["x-a"]);
    shared.replace(
        Policy::builder()
            .allow_origins([TENANT])
            .expose_headers(["x-b"])
            .build()
            .expect("valid policy"),
    );
    let seen = send(&app, get(APP).to_request()).await;
    assert!(!seen.has_cors_headers(), "{seen:?}");
    let seen = send(&app, get(TENANT).to_request()).await;
    assert_eq!(seen.values("access-control-allow-origin"), [TENANT]);
    assert_eq!(seen.values("access-control-expose-headers"), ["x-b"]);
    let seen = send(&app, preflight(TENANT).to_request()).await;
    assert_eq!(seen.status, 403, "PUT is not allowed by the new policy");
}

/// One HTTP/1.1 request on a new connection; the raw response.
fn raw_request(address: std::net::SocketAddr, origin: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET /items HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response.to_ascii_lowercase()
}

#[actix_web::test]
async fn a_panicking_lookup_does_not_stop_the_server() {
    let (calls, asked) = Default::default();
    let lookup = lookup(&calls, &asked);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let server = HttpServer::new(move || {
        App::new()
            .wrap(Cors::new(lookup_policy()).origin_lookup(lookup.clone()))
            .route("/items", web::get().to(|| async { "ran" }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let responses = actix_web::rt::task::spawn_blocking(move || {
        [PANICS, PANICS, TENANT].map(|origin| raw_request(address, origin))
    })
    .await
    .expect("the client ran");
    for response in &responses[..2] {
        assert!(response.starts_with("http/1.1 200"), "{response}");
        assert!(!response.contains("access-control-"), "{response}");
        assert!(response.ends_with("ran"), "{response}");
    }
    assert!(responses[2].starts_with("http/1.1 200"), "{}", responses[2]);
    assert!(
        responses[2].contains(&format!("access-control-allow-origin: {TENANT}")),
        "{}",
        responses[2]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    handle.stop(true).await;
}
