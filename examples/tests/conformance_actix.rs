//! The conformance table through the actix-web demo application, sent with
//! `actix_web::test::init_service` and the service's own `call`.

use actix_web::body::MessageBody;
use actix_web::dev::Service;
use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::{App, HttpResponse, test};
use cors_actix::Cors;
use cors_conformance::{Observed, Report, cases, lookup};
use cors_examples::Routes;
use cors_examples::demo::actix::configure;

/// Reads a response into what the conformance check needs.
async fn observe<B: MessageBody>(response: HttpResponse<B>) -> Observed {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_else(|_| panic!("a readable body"))
        .to_vec();
    Observed {
        status,
        headers,
        body,
    }
}

#[actix_web::test]
async fn actix_conforms() {
    let mut report = Report::new("actix");
    for case in cases() {
        let app = test::init_service(
            App::new()
                .wrap(Cors::new(case.policy()).origin_lookup(lookup()))
                .configure(configure(Routes::Conformance)),
        )
        .await;
        let method = Method::from_bytes(case.method.as_bytes()).expect("a valid method");
        let mut request = test::TestRequest::default().method(method).uri(case.path);
        for (name, value) in &case.headers {
            let value = HeaderValue::from_bytes(value.as_bytes()).expect("a valid header value");
            request = request.append_header((*name, value));
        }
        if !case.body.is_empty() {
            request = request.set_payload(case.body);
        }
        // An `Err` is what the server would turn into its response, as
        // `call_service` would not.
        let observed = match app.call(request.to_request()).await {
            Ok(response) => observe(response.into_parts().1).await,
            Err(error) => observe(error.error_response()).await,
        };
        report.record(&case, observed);
    }
    report.finish();
}
