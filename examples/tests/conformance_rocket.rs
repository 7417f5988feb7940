//! The conformance kit through the Rocket demo application, sent with
//! Rocket's asynchronous local client. Rocket has its own header types: the
//! request and the response are translated name by name and byte for byte.

use std::str::FromStr;

use cors_conformance::Setup;
use cors_examples::Routes;
use cors_rocket::Cors;
use rocket::config::LogLevel;
use rocket::http::{Header, Method};
use rocket::local::asynchronous::Client;

/// Builds the demo application for the case and sends it the request.
async fn send(setup: Setup, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    // Rocket's configuration with its per-request log lines turned off.
    let figment = rocket::Config::figment().merge(("log_level", LogLevel::Off));
    let cors = Cors::new(setup.policy).origin_lookup(setup.lookup);
    let rocket = cors_examples::demo::rocket::with_cors(rocket::build(), cors, Routes::Conformance)
        .configure(figment);
    let client = Client::untracked(rocket).await.expect("a valid rocket");
    let (parts, body) = request.into_parts();
    let method = Method::from_str(parts.method.as_str()).expect("a method Rocket knows");
    let mut local = client.req(method, parts.uri.to_string());
    for (name, value) in &parts.headers {
        let value = value.to_str().expect("the table's values are text");
        local.add_header(Header::new(name.as_str().to_owned(), value.to_owned()));
    }
    if !body.is_empty() {
        local.set_body(body);
    }
    let response = local.dispatch().await;
    let mut collected = http::Response::new(Vec::new());
    *collected.status_mut() =
        http::StatusCode::from_u16(response.status().code).expect("a valid status");
    for header in response.headers().iter() {
        collected.headers_mut().append(
            http::HeaderName::from_bytes(header.name().as_str().as_bytes()).expect("a valid name"),
            http::HeaderValue::from_str(header.value()).expect("a valid value"),
        );
    }
    *collected.body_mut() = response.into_bytes().await.unwrap_or_default();
    collected
}

#[rocket::async_test]
async fn rocket_conforms() {
    cors_conformance::run("rocket", send).await.assert_passed();
}
