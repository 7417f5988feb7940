//! A failed origin lookup is logged at WARN, naming the origin and why;
//! a refusal is not, but at DEBUG, with its reason, method and path. (Its
//! own test binary: it installs a global `tracing` subscriber.)

use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cors_core::{OriginLookup, Policy};
use cors_rocket::Cors;
use rocket::http::{Header, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

const TENANT: &str = "https://tenant.example";
const REFUSED: &str = "https://refused.example";
const FAILS: &str = "https://fails.example";
const SLOW: &str = "https://slow.example";
const PANICS: &str = "https://panics.example";

/// A `tracing` subscriber that keeps every event's level and fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(Level, String)>>>);

impl Capture {
    /// The events at `level`, each as `name=value` fields.
    fn at(&self, level: Level) -> Vec<String> {
        let events = self.0.lock().expect("not poisoned");
        events
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, text)| text.clone())
            .collect()
    }
}

/// An event's fields as text.
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let level = *event.metadata().level();
        self.0.lock().expect("not poisoned").push((level, fields.0));
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

/// Checks the WARN lines: one per failed lookup, naming the origin and why.
fn check_warnings(capture: &Capture) {
    let warnings = capture.at(Level::WARN);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (origin, reason) in [
        (
            FAILS,
            "the origin lookup failed: tenant database unavailable",
        ),
        (SLOW, "the origin lookup timed out after 50ms"),
        (
            PANICS,
            "the origin lookup panicked: the lookup panicked on purpose",
        ),
    ] {
        let parts = [
            "message=CORS origin lookup failed; origin refused ".to_owned(),
            format!("origin={origin} "),
            format!("reason={reason} "),
        ];
        assert!(
            warnings
                .iter()
                .any(|w| parts.iter().all(|part| w.contains(part.as_str()))),
            "{parts:?}\n{warnings:?}"
        );
    }
}

fn lookup() -> OriginLookup {
    OriginLookup::new(|origin: String, _request| async move {
        match origin.as_str() {
            TENANT => Ok(true),
            FAILS => Err("tenant database unavailable".to_owned()),
            SLOW => std::future::pending().await,
            PANICS => panic!("the lookup panicked on purpose"),
            _ => Ok(false),
        }
    })
    .timeout(Duration::from_millis(50))
}

#[get("/items")]
fn items() -> &'static str {
    "items"
}

#[test]
fn failed_lookups_warn_and_refusals_log_at_debug() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("the only subscriber");
    let policy = Policy::builder()
        .allow_origin_lookup(true)
        .build()
        .expect("valid policy");
    let rocket = rocket::build()
        .mount("/", routes![items])
        .attach(Cors::new(policy).origin_lookup(lookup()));
    let figment = rocket.figment().clone().merge(("log_level", "off"));
    let client = Client::tracked(rocket.configure(figment)).expect("valid rocket");
    for origin in [TENANT, REFUSED, FAILS, SLOW, PANICS] {
        let response = client
            .get("/items")
            .header(Header::new("Origin", origin))
            .dispatch();
        assert_eq!(response.status(), Status::Ok, "{origin}");
    }
    check_warnings(&capture);

    // The fixed-policy path (no lookup) logs its refusals as well.
    let policy = Policy::builder()
        .allow_origins([TENANT])
        .build()
        .expect("valid policy");
    let rocket = rocket::build()
        .mount("/fixed", routes![items])
        .attach(Cors::new(policy));
    let figment = rocket.figment().clone().merge(("log_level", "off"));
    let client = Client::tracked(rocket.configure(figment)).expect("valid rocket");
    let response = client
        .get("/fixed/items")
        .header(Header::new("Origin", REFUSED))
        .dispatch();
    assert_eq!(response.status(), Status::Ok);
    for path in ["/items", "/fixed/items"] {
        check_refusal_logged(&capture, path);
    }
}

/// The refused origin's DEBUG line for `path`, once: why, and which
/// request.
fn check_refusal_logged(capture: &Capture, path: &str) {
    let debug = capture.at(Level::DEBUG);
    let parts = [
        "message=CORS request refused ".to_owned(),
        format!("reason=origin \"{REFUSED}\" not allowed "),
        "method=\"GET\" ".to_owned(),
        format!("path=\"{path}\" "),
    ];
    let lines = debug
        .iter()
        .filter(|d| parts.iter().all(|part| d.contains(part.as_str())))
        .count();
    assert_eq!(lines, 1, "{parts:?}\n{debug:?}");
}
