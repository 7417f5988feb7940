//! The fairing's Rocket-specific behaviour: rerouting answered requests,
//! catchers, the internal route, and the policy from configuration.

use std::sync::atomic::{AtomicUsize, Ordering};

use cors_core::Policy;
use cors_rocket::{ConfigError, Cors};
use rocket::figment::Figment;
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::http::{Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use rocket::{Build, Request, Rocket, State, catch, catchers, get, post, routes};

const APP: &str = "https://app.example";

/// Counts handler runs.
#[derive(Default)]
struct Calls(AtomicUsize);

#[get("/items")]
fn items(calls: &State<Calls>) -> &'static str {
    calls.0.fetch_add(1, Ordering::SeqCst);
    "items"
}

#[post("/items")]
fn create(calls: &State<Calls>) -> &'static str {
    calls.0.fetch_add(1, Ordering::SeqCst);
    "created"
}

/// A catch-all that would shadow a less careful internal route.
#[get("/<_path..>", rank = 100)]
fn anything(_path: std::path::PathBuf, calls: &State<Calls>) -> &'static str {
    calls.0.fetch_add(1, Ordering::SeqCst);
    "anything"
}

#[catch(404)]
fn not_found(_request: &Request<'_>) -> &'static str {
    "custom 404"
}

fn policy() -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .allow_credentials(true)
        .block_disallowed_origins(true)
        .build()
        .expect("valid policy")
}

fn quiet(rocket: Rocket<Build>) -> Rocket<Build> {
    let figment = rocket.figment().clone().merge(("log_level", "off"));
    rocket.configure(figment)
}

fn app(catch_all: bool) -> Client {
    let mut rocket = rocket::build()
        .manage(Calls::default())
        .mount("/", routes![items, create])
        .register("/", catchers![not_found])
        .attach(Cors::new(policy()));
    if catch_all {
        rocket = rocket.mount("/", routes![anything]);
    }
    Client::tracked(quiet(rocket)).expect("valid rocket")
}

fn calls(client: &Client) -> usize {
    client
        .rocket()
        .state::<Calls>()
        .expect("managed")
        .0
        .load(Ordering::SeqCst)
}

fn values(response: &LocalResponse<'_>, name: &str) -> Vec<String> {
    response.headers().get(name).map(str::to_owned).collect()
}

/// The address of `name`'s value in `response`.
fn address(response: &LocalResponse<'_>, name: &str) -> *const u8 {
    let value = response.headers().get_one(name);
    value.unwrap_or_else(|| panic!("no {name}")).as_ptr()
}

/// A client with `policy` in front of `GET /items`.
fn client_for(policy: Policy) -> Client {
    let rocket = rocket::build()
        .manage(Calls::default())
        .mount("/", routes![items])
        .attach(Cors::new(policy));
    Client::tracked(quiet(rocket)).expect("valid rocket")
}

#[test]
fn echoed_origins_and_fixed_values_are_shared_not_copied() {
    // A forwarded request's answer borrows the request's own `Origin`.
    let client = app(false);
    let request = client.get("/items").header(Header::new("Origin", APP));
    let sent = request.inner().headers().get_one("origin").expect("sent");
    let sent = sent.as_ptr();
    let actual = [
        request.dispatch(),
        client
            .get("/items")
            .header(Header::new("Origin", APP))
            .dispatch(),
    ];
    assert_eq!(values(&actual[0], "access-control-allow-origin"), [APP]);
    assert_eq!(address(&actual[0], "access-control-allow-origin"), sent);

    // Fixed values are borrowed from one static: two live responses show
    // the same address, where copies would each have their own.
    let preflight = |origin: &str, method: &str| {
        client
            .options("/items")
            .header(Header::new("Origin", origin.to_owned()))
            .header(Header::new(
                "Access-Control-Request-Method",
                method.to_owned(),
            ))
            .dispatch()
    };
    let allowed = [preflight(APP, "PUT"), preflight(APP, "PUT")];
    let refused = [preflight(APP, "DELETE"), preflight(APP, "DELETE")];
    assert_eq!(refused[0].status(), Status::Forbidden);
    for (pair, name, value) in [
        (&actual, "access-control-allow-credentials", "true"),
        (&allowed, "access-control-allow-credentials", "true"),
        (&refused, "content-type", "text/plain; charset=utf-8"),
    ] {
        assert_eq!(values(&pair[0], name), [value]);
        assert_eq!(address(&pair[0], name), address(&pair[1], name), "{name}");
    }

    let any = client_for(
        Policy::builder()
            .allow_origins(["*"])
            .build()
            .expect("valid"),
    );
    let null = client_for(
        Policy::builder()
            .allow_origins(["null"])
            .build()
            .expect("valid"),
    );
    fn dispatch<'c>(
        client: &'c Client,
        origin: &'static str,
        preflight: bool,
    ) -> LocalResponse<'c> {
        let request = if preflight {
            client
                .options("/items")
                .header(Header::new("Access-Control-Request-Method", "GET"))
        } else {
            client.get("/items")
        };
        request.header(Header::new("Origin", origin)).dispatch()
    }
    for (client, origin, value) in [(&any, APP, "*"), (&null, "null", "null")] {
        for preflight in [true, false] {
            let pair = [
                dispatch(client, origin, preflight),
                dispatch(client, origin, preflight),
            ];
            let name = "access-control-allow-origin";
            assert_eq!(values(&pair[0], name), [value]);
            if preflight || value == "*" {
                assert_eq!(address(&pair[0], name), address(&pair[1], name), "{value}");
            }
        }
    }
}

#[test]
fn preflights_are_answered_without_a_route_and_without_the_handler() {
    for catch_all in [false, true] {
        let client = app(catch_all);
        for path in ["/items", "/nowhere", "/a/b?c=d"] {
            let response = client
                .options(path)
                .header(Header::new("Origin", APP))
                .header(Header::new("Access-Control-Request-Method", "PUT"))
                .dispatch();
            assert_eq!(response.status(), Status::NoContent, "{path}");
            assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
            assert_eq!(values(&response, "access-control-allow-methods"), ["PUT"]);
            assert_eq!(
                values(&response, "vary"),
                ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"]
            );
        }
        assert_eq!(calls(&client), 0);
    }
}

#[test]
fn blocked_requests_never_reach_the_handler() {
    let client = app(true);
    let response = client
        .post("/items")
        .header(Header::new("Origin", "https://evil.example"))
        .body("side effect")
        .dispatch();
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(
        values(&response, "content-type"),
        ["text/plain; charset=utf-8"]
    );
    assert!(values(&response, "access-control-allow-origin").is_empty());
    assert_eq!(
        response.into_string().as_deref(),
        Some("CORS request refused: origin not allowed\n")
    );

    // HEAD keeps its method, so Rocket strips the body.
    let response = client
        .head("/items")
        .header(Header::new("Origin", "https://evil.example"))
        .dispatch();
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(response.into_string().unwrap_or_default(), "");
    assert_eq!(calls(&client), 0);
}

#[test]
fn catchers_get_the_headers() {
    let client = app(false);
    let response = client
        .get("/nowhere")
        .header(Header::new("Origin", APP))
        .dispatch();
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    assert_eq!(
        values(&response, "access-control-allow-credentials"),
        ["true"]
    );
    assert_eq!(values(&response, "vary"), ["Origin"]);
    assert_eq!(response.into_string().as_deref(), Some("custom 404"));
}

#[test]
fn the_internal_path_is_an_ordinary_404_when_not_rerouted() {
    let client = app(false);
    let response = client
        .get(Cors::ANSWER_PATH)
        .header(Header::new("Origin", APP))
        .dispatch();
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    assert_eq!(response.into_string().as_deref(), Some("custom 404"));
}

/// Rocket's defaults, without `Rocket.toml` or the environment (which
/// `policy_from_the_environment` sets while other tests run).
fn base() -> Figment {
    Figment::from(rocket::Config::debug_default())
}

fn launch(figment: Figment) -> Result<Client, Box<rocket::Error>> {
    let figment = figment.merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .manage(Calls::default())
        .mount("/", routes![items])
        .attach(Cors::fairing());
    Client::tracked(rocket).map_err(Box::new)
}

#[test]
fn policy_from_rocket_toml() {
    let figment = base().merge(
        Toml::string(
            r#"
            [default.cors]
            allow_origins = ["https://app.example"]
            allow_methods = ["GET", "PUT"]
            max_age = 60
            "#,
        )
        .nested(),
    );
    let client = launch(figment).expect("a valid policy");
    let response = client
        .options("/items")
        .header(Header::new("Origin", APP))
        .header(Header::new("Access-Control-Request-Method", "PUT"))
        .dispatch();
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(values(&response, "access-control-max-age"), ["60"]);
}

#[test]
#[allow(clippy::result_large_err)] // `Jail`'s closure returns figment's error
fn policy_from_the_environment() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "ROCKET_CORS",
            r#"{allow_origins=["https://app.example"], allow_credentials=true}"#,
        );
        let client = launch(rocket::Config::figment()).expect("a valid policy");
        let response = client
            .get("/items")
            .header(Header::new("Origin", APP))
            .dispatch();
        assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
        assert_eq!(
            values(&response, "access-control-allow-credentials"),
            ["true"]
        );
        Ok(())
    });
}

#[test]
fn policy_from_an_environment_style_dict() {
    // What `ROCKET_CORS='{allow_origins=["https://app.example"]}'` gives.
    let value = rocket::figment::value::Value::from(
        rocket::figment::util::map!["allow_origins" => vec![APP]],
    );
    let figment = base().merge(Serialized::global("cors", value));
    let client = launch(figment).expect("a valid policy");
    let response = client
        .get("/items")
        .header(Header::new("Origin", APP))
        .dispatch();
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
}

#[test]
fn invalid_or_missing_configuration_stops_the_launch() {
    let figment = base().merge(
        Toml::string(
            r#"
            [default.cors]
            allowed_origins = ["https://app.example"]
            allow_origins = ["*"]
            allow_credentials = true
            "#,
        )
        .nested(),
    );
    let error = launch(figment.clone()).expect_err("refused");
    assert!(matches!(
        error.kind(),
        rocket::error::ErrorKind::FailedFairings(_)
    ));
    let problems = Cors::from_figment(&figment.select("default"))
        .expect_err("invalid")
        .problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("did you mean `allow_origins`"))
    );

    let error = Cors::from_figment(&base()).err();
    assert!(matches!(error, Some(ConfigError::Missing)));
    let error = launch(base()).expect_err("refused");
    assert!(matches!(
        error.kind(),
        rocket::error::ErrorKind::FailedFairings(_)
    ));

    let figment = Figment::from(Toml::string("[cors]\nallow_origins = 3"));
    let error = Cors::from_figment(&figment).expect_err("a type error");
    assert!(matches!(error, ConfigError::Extract(_)));
    assert!(error.to_string().contains("allow_origins"), "{error}");
}

#[get("/public/<_path..>")]
fn public(_path: std::path::PathBuf) -> &'static str {
    "public"
}

#[test]
fn routes_from_rocket_toml() {
    let figment = base()
        .merge(
            Toml::string(
                r#"
                [default.cors]
                allow_origins = ["https://app.example"]
                allow_credentials = true

                [[default.cors.routes]]
                paths = ["/public/*"]
                allow_origins = ["*"]
                allow_credentials = false
                "#,
            )
            .nested(),
        )
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .manage(Calls::default())
        .mount("/", routes![items, public])
        .attach(Cors::fairing());
    let client = Client::tracked(rocket).expect("a valid policy");
    let get = |path, origin| {
        client
            .get(path)
            .header(Header::new("Origin", origin))
            .dispatch()
    };

    // The route's own rule.
    let response = get("/public/logo.png", "https://other.example");
    assert_eq!(values(&response, "access-control-allow-origin"), ["*"]);
    assert!(values(&response, "access-control-allow-credentials").is_empty());
    assert_eq!(response.into_string().as_deref(), Some("public"));
    // Elsewhere, the top-level rule.
    let response = get("/items", "https://other.example");
    assert!(values(&response, "access-control-allow-origin").is_empty());
    let response = get("/items", APP);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    assert_eq!(
        values(&response, "access-control-allow-credentials"),
        ["true"]
    );
    // A path that may mean another one gets no grant under routes.
    let response = get("/public/%2e%2e/items", APP);
    assert!(values(&response, "access-control-allow-origin").is_empty());
    // Preflights follow the same selection.
    let response = client
        .options("/public/x")
        .header(Header::new("Origin", "https://other.example"))
        .header(Header::new("Access-Control-Request-Method", "GET"))
        .dispatch();
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(values(&response, "access-control-allow-origin"), ["*"]);
    let response = client
        .options("/items")
        .header(Header::new("Origin", "https://other.example"))
        .header(Header::new("Access-Control-Request-Method", "GET"))
        .dispatch();
    assert_eq!(response.status(), Status::Forbidden);
}

#[test]
fn an_invalid_route_stops_the_launch() {
    let figment = base().merge(
        Toml::string(
            r#"
            [default.cors]
            allow_origins = ["https://app.example"]

            [[default.cors.routes]]
            paths = ["/public/*"]
            allow_origins = ["*"]

            [[default.cors.routes]]
            paths = ["/public/*"]
            allow_origins = ["https://app.example"]
            "#,
        )
        .nested(),
    );
    let error = launch(figment.clone()).expect_err("refused");
    assert!(matches!(
        error.kind(),
        rocket::error::ErrorKind::FailedFairings(_)
    ));
    let problems = Cors::from_figment(&figment.select("default"))
        .expect_err("invalid")
        .problems();
    assert!(
        problems.iter().any(|p| p.contains("/public/*")),
        "{problems:?}"
    );
}

#[test]
fn a_configured_lookup_comes_from_code() {
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let lookup = cors_core::OriginLookup::new(move |origin: String, _request| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move { Ok::<_, String>(origin == "https://tenant.example") }
    });
    let figment = base()
        .merge(
            Toml::string(
                r#"
                [default.cors]
                allow_origins = ["https://app.example"]
                allow_origin_lookup = true
                "#,
            )
            .nested(),
        )
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .manage(Calls::default())
        .mount("/", routes![items])
        .attach(Cors::fairing().origin_lookup(lookup));
    let client = Client::tracked(rocket).expect("a valid policy");
    for (origin, allowed) in [
        ("https://tenant.example", true),
        ("https://other.example", false),
    ] {
        let response = client
            .get("/items")
            .header(Header::new("Origin", origin))
            .dispatch();
        let expected: &[&str] = if allowed { &[origin] } else { &[] };
        assert_eq!(values(&response, "access-control-allow-origin"), expected);
        assert_eq!(values(&response, "vary"), ["Origin"]);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        client
            .rocket()
            .state::<Calls>()
            .expect("managed")
            .0
            .load(Ordering::SeqCst),
        2
    );
}
