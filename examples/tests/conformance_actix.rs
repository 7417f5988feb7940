//! The conformance kit through the actix-web demo application, sent with
//! `actix_web::test::init_service` and the service's own `call`. actix-web
//! 4 speaks `http` 0.2: the request and the response are translated name by
//! name and byte for byte.

use actix_web::body::MessageBody;
use actix_web::dev::Service;
use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::{App, HttpResponse, test};
use cors_actix::Cors;
use cors_conformance::Setup;
use cors_examples::Routes;
use cors_examples::demo::actix::configure;

/// The response as the kit reads it: status, every header line, the body.
async fn collect<B: MessageBody>(response: HttpResponse<B>) -> http::Response<Vec<u8>> {
    let mut collected = http::Response::new(Vec::new());
    *collected.status_mut() =
        http::StatusCode::from_u16(response.status().as_u16()).expect("a valid status");
    for (name, value) in response.headers() {
        collected.headers_mut().append(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).expect("a valid name"),
            http::HeaderValue::from_bytes(value.as_bytes()).expect("a valid value"),
        );
    }
    *collected.body_mut() = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_else(|_| panic!("a readable body"))
        .to_vec();
    collected
}

/// Builds the demo application for the case and sends it the request.
async fn send(setup: Setup, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(setup.policy).origin_lookup(setup.lookup))
            .configure(configure(Routes::Conformance)),
    )
    .await;
    let (parts, body) = request.into_parts();
    let method = Method::from_bytes(parts.method.as_str().as_bytes()).expect("a valid method");
    let mut test_request = test::TestRequest::default()
        .method(method)
        .uri(&parts.uri.to_string());
    for (name, value) in &parts.headers {
        let value = HeaderValue::from_bytes(value.as_bytes()).expect("a valid header value");
        test_request = test_request.append_header((name.as_str(), value));
    }
    if !body.is_empty() {
        test_request = test_request.set_payload(body);
    }
    // An `Err` is what the server would turn into its response, as
    // `call_service` would not.
    match app.call(test_request.to_request()).await {
        Ok(response) => collect(response.into_parts().1).await,
        Err(error) => collect(error.error_response()).await,
    }
}

#[actix_web::test]
async fn actix_conforms() {
    cors_conformance::run("actix", send).await.assert_passed();
}
