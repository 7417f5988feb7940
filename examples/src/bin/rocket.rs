//! A small Rocket service with CORS, its policy read from Rocket's own
//! configuration: the `cors` table of `Rocket.toml`,
//!
//! ```toml
//! [default.cors]
//! allow_origins = ["http://localhost:8080"]
//! allow_methods = ["GET", "PUT", "DELETE"]
//! allow_headers = ["authorization", "content-type"]
//! allow_credentials = true
//! ```
//!
//! or `ROCKET_CORS='{allow_origins=["http://localhost:8080"]}'`. This
//! program carries the table above as its default, so it runs without a
//! `Rocket.toml`; one that has a `cors` table overrides it.
//!
//! ```text
//! cargo run -p cors-examples --bin rocket
//! curl -i http://127.0.0.1:3001/api/greeting -H 'Origin: http://localhost:8080'
//! ```

use cors_rocket::Cors;
use rocket::figment::providers::{Env, Format, Toml};
use rocket::figment::{Figment, Profile};
use rocket::serde::json::{Json, Value, json};
use rocket::{Build, Rocket, get, launch, routes};

/// This program's configuration where `Rocket.toml` and the environment
/// say nothing.
const DEFAULTS: &str = r#"
[default]
address = "127.0.0.1"
port = 3001

[default.cors]
allow_origins = ["http://localhost:8080"]
allow_methods = ["GET", "PUT", "DELETE"]
allow_headers = ["authorization", "content-type"]
allow_credentials = true
"#;

#[get("/api/greeting")]
fn greeting() -> Json<Value> {
    Json(json!({ "greeting": "hello" }))
}

#[launch]
fn rocket() -> Rocket<Build> {
    // Rocket's own sources, with this program's defaults slotted in between
    // Rocket's defaults and what Rocket.toml and ROCKET_* set.
    let figment = Figment::from(rocket::Config::default())
        .merge(Toml::string(DEFAULTS).nested())
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ));
    rocket::custom(figment)
        .mount("/", routes![greeting])
        // Reads `cors`; refuses to launch, listing every problem, if the
        // table is missing or the policy is invalid.
        .attach(Cors::fairing())
}
