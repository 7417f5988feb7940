//! The origin lookup and the shared policy through the fairing: what is
//! asked, how often, what the verdicts become, that `on_request` and
//! `on_response` use one policy, and that failures refuse without stopping
//! the server.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cors_core::{LookupRequest, OriginLookup, Policy, RouteConfig, SharedPolicy, VerdictCache};
use cors_rocket::Cors;
use rocket::fairing::AdHoc;
use rocket::http::{Header, Status};
use rocket::local::blocking::{Client, LocalRequest, LocalResponse};
use rocket::{Build, Rocket, State, get, put, routes};

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

/// Counts handler runs.
#[derive(Default)]
struct Ran(AtomicUsize);

#[get("/items")]
fn items(ran: &State<Ran>) -> &'static str {
    ran.0.fetch_add(1, Ordering::SeqCst);
    "ran"
}

#[put("/items")]
fn put_items(ran: &State<Ran>) -> &'static str {
    ran.0.fetch_add(1, Ordering::SeqCst);
    "ran"
}

#[get("/<_path..>", rank = 100)]
fn anything(_path: std::path::PathBuf) -> &'static str {
    "anything"
}

fn lookup_policy() -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .allow_origin_lookup(true)
        .build()
        .expect("valid policy")
}

/// What a lookup was asked, and how often.
#[derive(Default, Clone)]
struct Asked {
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<LookupRequest>>>,
}

impl Asked {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A lookup that allows [`TENANT`], fails for [`FAILS`], never answers
    /// for [`SLOW`], panics for [`PANICS`] and refuses everything else.
    fn lookup(&self) -> OriginLookup {
        let asked = self.clone();
        OriginLookup::new(move |origin: String, request: LookupRequest| {
            asked.calls.fetch_add(1, Ordering::SeqCst);
            asked.requests.lock().expect("not poisoned").push(request);
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

    /// A lookup that allows every origin, so that a request that should
    /// not reach it shows if it does.
    fn allow_all(&self) -> OriginLookup {
        let calls = Arc::clone(&self.calls);
        OriginLookup::new(move |_origin, _request| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, String>(true) }
        })
    }
}

fn quiet(rocket: Rocket<Build>) -> Rocket<Build> {
    let figment = rocket.figment().clone().merge(("log_level", "off"));
    rocket.configure(figment)
}

fn serve(cors: Cors) -> Client {
    let rocket = rocket::build()
        .manage(Ran::default())
        .mount("/", routes![items, put_items, anything])
        .attach(cors);
    Client::tracked(quiet(rocket)).expect("valid rocket")
}

fn ran(client: &Client) -> usize {
    client
        .rocket()
        .state::<Ran>()
        .expect("managed")
        .0
        .load(Ordering::SeqCst)
}

fn values(response: &LocalResponse<'_>, name: &str) -> Vec<String> {
    response.headers().get(name).map(str::to_owned).collect()
}

fn has_cors_headers(response: &LocalResponse<'_>) -> bool {
    response.headers().iter().any(|h| {
        h.name()
            .as_str()
            .to_ascii_lowercase()
            .starts_with("access-control-")
    })
}

/// Whether `Vary` names `Origin`.
fn varies_on_origin(response: &LocalResponse<'_>) -> bool {
    response
        .headers()
        .get("vary")
        .flat_map(|line| line.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("origin"))
}

fn get<'c>(client: &'c Client, origin: &str) -> LocalRequest<'c> {
    client
        .get("/items")
        .header(Header::new("Origin", origin.to_owned()))
}

fn preflight<'c>(client: &'c Client, origin: &str) -> LocalRequest<'c> {
    client
        .options("/items?page=2")
        .header(Header::new("Origin", origin.to_owned()))
        .header(Header::new("Access-Control-Request-Method", "PUT"))
}

#[test]
fn preflights_are_answered_by_the_verdict() {
    let asked = Asked::default();
    let client = serve(Cors::new(lookup_policy()).origin_lookup(asked.lookup()));
    for (origin, allowed) in VERDICTS {
        let response = preflight(&client, origin).dispatch();
        assert!(varies_on_origin(&response), "{origin}");
        if allowed {
            assert_eq!(response.status(), Status::NoContent, "{origin}");
            assert_eq!(values(&response, "access-control-allow-origin"), [origin]);
            assert_eq!(values(&response, "access-control-allow-methods"), ["PUT"]);
        } else {
            assert_eq!(response.status(), Status::Forbidden, "{origin}");
            assert!(!has_cors_headers(&response), "{origin}");
            assert_eq!(
                response.into_string().as_deref(),
                Some("CORS request refused: origin not allowed\n")
            );
        }
    }
    assert_eq!(asked.calls(), VERDICTS.len());
    assert_eq!(ran(&client), 0, "a preflight never runs the handler");
    let requests = asked.requests.lock().expect("not poisoned");
    assert!(
        requests
            .iter()
            .all(|r| r.method == "OPTIONS" && r.path == "/items"),
        "{requests:?}"
    );
}

#[test]
fn actual_requests_run_the_handler_with_or_without_headers() {
    let asked = Asked::default();
    let client = serve(Cors::new(lookup_policy()).origin_lookup(asked.lookup()));
    for (origin, allowed) in VERDICTS {
        let response = get(&client, origin).dispatch();
        assert_eq!(response.status(), Status::Ok, "{origin}");
        assert_eq!(values(&response, "vary"), ["Origin"], "{origin}");
        if allowed {
            assert_eq!(values(&response, "access-control-allow-origin"), [origin]);
        } else {
            assert!(!has_cors_headers(&response), "{origin}");
        }
        assert_eq!(response.into_string().as_deref(), Some("ran"));
    }
    assert_eq!(asked.calls(), VERDICTS.len());
    assert_eq!(ran(&client), VERDICTS.len());
    let requests = asked.requests.lock().expect("not poisoned");
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.path == "/items"),
        "{requests:?}"
    );
}

#[test]
fn blocked_refusals_never_reach_the_handler() {
    let asked = Asked::default();
    let policy = Policy::builder()
        .allow_origins([APP])
        .allow_origin_lookup(true)
        .block_disallowed_origins(true)
        .build()
        .expect("valid policy");
    let client = serve(Cors::new(policy).origin_lookup(asked.lookup()));
    for origin in [REFUSED, FAILS, PANICS] {
        let response = get(&client, origin).dispatch();
        assert_eq!(response.status(), Status::Forbidden, "{origin}");
        assert!(!has_cors_headers(&response), "{origin}");
        assert_eq!(values(&response, "vary"), ["Origin"], "{origin}");
    }
    assert_eq!(ran(&client), 0);
    let response = get(&client, TENANT).dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
    assert_eq!(ran(&client), 1);
    assert_eq!(asked.calls(), 4);
}

#[test]
fn the_lookup_is_not_asked_when_the_policy_decides_alone() {
    let asked = Asked::default();
    let client = serve(Cors::new(lookup_policy()).origin_lookup(asked.allow_all()));

    // Not a CORS request.
    let response = client.get("/items").dispatch();
    assert!(!has_cors_headers(&response));
    // Allowed by the policy's own rule.
    let response = get(&client, APP).dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    // Malformed origins and `null` are refused without asking.
    for origin in [
        "null",
        "https://a b.example",
        "tenant.example",
        "https://x.example/",
    ] {
        let response = get(&client, origin).dispatch();
        assert!(!has_cors_headers(&response), "{origin}");
        let response = preflight(&client, origin).dispatch();
        assert_eq!(response.status(), Status::Forbidden, "{origin}");
    }
    // Two `Origin` headers.
    let response = get(&client, TENANT)
        .header(Header::new("Origin", APP))
        .dispatch();
    assert!(!has_cors_headers(&response));

    assert_eq!(asked.calls(), 0);
    assert_eq!(ran(&client), 7);
}

#[test]
fn null_is_asked_about_when_the_policy_refers_it() {
    let asked = Asked::default();
    let policy = Policy::builder()
        .allow_origin_lookup(true)
        .lookup_null_origin(true)
        .build()
        .expect("valid policy");
    let client = serve(Cors::new(policy).origin_lookup(asked.allow_all()));
    let response = get(&client, "null").dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), ["null"]);
    assert_eq!(asked.calls(), 1);
}

#[test]
fn without_a_lookup_referred_origins_are_refused() {
    let client = serve(Cors::new(lookup_policy()));
    let response = get(&client, TENANT).dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert!(!has_cors_headers(&response));
    let response = preflight(&client, TENANT).dispatch();
    assert_eq!(response.status(), Status::Forbidden);
}

#[test]
fn every_request_asks_once_without_a_cache_and_once_per_origin_with_one() {
    let asked = Asked::default();
    let client = serve(Cors::new(lookup_policy()).origin_lookup(asked.lookup()));
    for _ in 0..3 {
        let response = get(&client, TENANT).dispatch();
        assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
    }
    // Once per request: `on_response` does not ask again.
    assert_eq!(asked.calls(), 3);

    let asked = Asked::default();
    let cached = asked.lookup().cache(
        VerdictCache::new(100)
            .allowed_for(Duration::from_secs(60))
            .refused_for(Duration::from_secs(60)),
    );
    let client = serve(Cors::new(lookup_policy()).origin_lookup(cached));
    for _ in 0..3 {
        let response = get(&client, TENANT).dispatch();
        assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
        assert_eq!(values(&response, "vary"), ["Origin"]);
        let response = preflight(&client, TENANT).dispatch();
        assert_eq!(response.status(), Status::NoContent);
        assert!(varies_on_origin(&response));
    }
    assert_eq!(asked.calls(), 1);
    for _ in 0..3 {
        let response = get(&client, REFUSED).dispatch();
        assert!(!has_cors_headers(&response));
        assert_eq!(values(&response, "vary"), ["Origin"]);
    }
    assert_eq!(asked.calls(), 2);
    // A failure is remembered briefly, and still refuses.
    for _ in 0..3 {
        let response = preflight(&client, FAILS).dispatch();
        assert_eq!(response.status(), Status::Forbidden);
        assert!(varies_on_origin(&response));
    }
    assert_eq!(asked.calls(), 3);
}

#[test]
fn routes_refer_origins_on_their_paths_only() {
    let asked = Asked::default();
    let policy = Policy::builder()
        .allow_origins([APP])
        .route(RouteConfig::new(["/tenants/*"]).allow_origin_lookup(true))
        .build()
        .expect("valid policy");
    let client = serve(Cors::new(policy).origin_lookup(asked.allow_all()));
    let response = get(&client, TENANT).dispatch();
    assert!(!has_cors_headers(&response));
    assert_eq!(asked.calls(), 0);
    let response = client
        .get("/tenants/7?x=1")
        .header(Header::new("Origin", TENANT))
        .dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
    assert_eq!(response.into_string().as_deref(), Some("anything"));
    assert_eq!(asked.calls(), 1);
}

#[test]
fn replacing_the_shared_policy_changes_the_next_answer() {
    let asked = Asked::default();
    let shared = SharedPolicy::new(
        Policy::builder()
            .allow_origins([APP])
            .build()
            .expect("valid policy"),
    );
    let client = serve(Cors::new(&shared).origin_lookup(asked.allow_all()));
    let response = get(&client, TENANT).dispatch();
    assert!(!has_cors_headers(&response));
    assert_eq!(asked.calls(), 0, "the first policy never asks");

    shared.replace(lookup_policy());
    let response = get(&client, TENANT).dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
    assert_eq!(asked.calls(), 1);

    shared.replace(
        Policy::builder()
            .allow_origins([TENANT])
            .allow_credentials(true)
            .build()
            .expect("valid policy"),
    );
    let response = get(&client, TENANT).dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
    assert_eq!(
        values(&response, "access-control-allow-credentials"),
        ["true"]
    );
    let response = get(&client, APP).dispatch();
    assert!(!has_cors_headers(&response));
    assert_eq!(asked.calls(), 1);
}

/// Replaces the shared policy while the handler runs, between the
/// fairing's `on_request` and `on_response`.
#[get("/replace")]
fn replace(shared: &State<SharedPolicy>) -> &'static str {
    shared.replace(
        Policy::builder()
            .allow_origins([TENANT])
            .allow_credentials(true)
            .expose_headers(["x-new"])
            .build()
            .expect("valid policy"),
    );
    "replaced"
}

#[test]
fn a_replace_during_a_request_does_not_change_its_answer() {
    for lookup in [false, true] {
        let asked = Asked::default();
        let first = Policy::builder()
            .allow_origins([APP])
            .allow_origin_lookup(true)
            .expose_headers(["x-old"])
            .build()
            .expect("valid policy");
        let shared = SharedPolicy::new(first.clone());
        let mut cors = Cors::new(shared.clone());
        if lookup {
            cors = cors.origin_lookup(asked.lookup());
        }
        let rocket = rocket::build()
            .manage(shared.clone())
            .mount("/", routes![replace])
            .attach(cors);
        let client = Client::tracked(quiet(rocket)).expect("valid rocket");

        let response = client
            .get("/replace")
            .header(Header::new("Origin", APP))
            .dispatch();
        // Answered by the policy the request read: APP, no credentials.
        assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
        assert_eq!(
            values(&response, "access-control-expose-headers"),
            ["x-old"]
        );
        assert!(values(&response, "access-control-allow-credentials").is_empty());

        if lookup {
            shared.replace(first);
            let response = client
                .get("/replace")
                .header(Header::new("Origin", TENANT))
                .dispatch();
            // Allowed by the lookup under the first policy, whose
            // headers it gets (the new one would add credentials).
            assert_eq!(values(&response, "access-control-allow-origin"), [TENANT]);
            assert_eq!(
                values(&response, "access-control-expose-headers"),
                ["x-old"]
            );
            assert!(values(&response, "access-control-allow-credentials").is_empty());
            assert_eq!(asked.calls(), 1);
        }
        // The next request reads the new policy.
        let response = client
            .get("/nowhere")
            .header(Header::new("Origin", APP))
            .dispatch();
        assert_eq!(response.status(), Status::NotFound);
        assert!(!has_cors_headers(&response));
    }
}

/// One HTTP/1.1 request on a new connection; the raw response.
fn raw_request(address: SocketAddr, origin: &str) -> String {
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

#[rocket::async_test]
async fn a_panicking_lookup_does_not_stop_the_server() {
    let asked = Asked::default();
    let (sender, bound) = rocket::tokio::sync::oneshot::channel();
    let sender = Mutex::new(Some(sender));
    let config = rocket::Config {
        address: std::net::Ipv4Addr::LOCALHOST.into(),
        port: 0,
        workers: 2,
        log_level: rocket::config::LogLevel::Off,
        shutdown: rocket::config::Shutdown {
            ctrlc: false,
            grace: 1,
            mercy: 1,
            ..Default::default()
        },
        ..rocket::Config::debug_default()
    };
    let rocket = rocket::custom(config)
        .manage(Ran::default())
        .mount("/", routes![items])
        .attach(Cors::new(lookup_policy()).origin_lookup(asked.lookup()))
        .attach(AdHoc::on_liftoff("port", move |rocket| {
            let port = rocket.config().port;
            Box::pin(async move {
                if let Some(sender) = sender.lock().expect("not poisoned").take() {
                    let _ = sender.send(port);
                }
            })
        }))
        .ignite()
        .await
        .expect("ignites");
    let shutdown = rocket.shutdown();
    let server = rocket::tokio::spawn(rocket.launch());
    let port = bound.await.expect("lifted off");
    let address = SocketAddr::from(([127, 0, 0, 1], port));

    let responses = rocket::tokio::task::spawn_blocking(move || {
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
    assert_eq!(asked.calls(), 3);
    shutdown.notify();
    server
        .await
        .expect("the server task ended")
        .expect("a clean shutdown");
}
