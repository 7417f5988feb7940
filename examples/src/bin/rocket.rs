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
use rocket::figment::providers::{Format, Toml};
use rocket::serde::json::{Json, Value, json};
use rocket::{Build, Rocket, get, launch, routes};

/// The configuration used where `Rocket.toml` and the environment say
/// nothing.
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
    // `join` keeps what Rocket.toml and ROCKET_* set, and adds the defaults.
    let figment = rocket::Config::figment().join(Toml::string(DEFAULTS).nested());
    rocket::custom(figment)
        .mount("/", routes![greeting])
        // Reads `cors`; refuses to launch, listing every problem, if the
        // table is missing or the policy is invalid.
        .attach(Cors::fairing())
}
