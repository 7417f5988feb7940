//! The conformance table through the Rocket demo application, sent with
//! Rocket's asynchronous local client.

use std::str::FromStr;

use cors_conformance::{Observed, Report, cases, lookup};
use cors_examples::Routes;
use cors_rocket::Cors;
use rocket::config::LogLevel;
use rocket::http::{Header, Method};
use rocket::local::asynchronous::Client;

#[rocket::async_test]
async fn rocket_conforms() {
    let mut report = Report::new("rocket");
    // Rocket's configuration with its per-request log lines turned off.
    let figment = rocket::Config::figment().merge(("log_level", LogLevel::Off));
    for case in cases() {
        let cors = Cors::new(case.policy()).origin_lookup(lookup());
        let rocket =
            cors_examples::demo::rocket::with_cors(rocket::build(), cors, Routes::Conformance)
                .configure(figment.clone());
        let client = Client::untracked(rocket).await.expect("a valid rocket");
        let method = Method::from_str(case.method).expect("a method Rocket knows");
        let mut request = client.req(method, case.path);
        for (name, value) in &case.headers {
            request.add_header(Header::new(*name, *value));
        }
        if !case.body.is_empty() {
            request.set_body(case.body);
        }
        let response = request.dispatch().await;
        let status = response.status().code;
        let headers = response
            .headers()
            .iter()
            .map(|header| {
                (
                    header.name().as_str().to_ascii_lowercase(),
                    header.value().as_bytes().to_vec(),
                )
            })
            .collect();
        let body = response.into_bytes().await.unwrap_or_default();
        report.record(
            &case,
            Observed {
                status,
                headers,
                body,
            },
        );
    }
    report.finish();
}
