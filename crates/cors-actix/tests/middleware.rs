//! The middleware's actix-specific behaviour: where it can be wrapped,
//! that the handler never runs for answered requests, and errors that
//! inner services return as `Err`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::Transform;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::VARY;
use actix_web::{App, HttpMessage, HttpResponse, ResponseError, error, test, web};
use cors_actix::{Cors, CorsError};
use cors_core::Policy;

const APP: &str = "https://app.example";

fn policy() -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .allow_headers(["x-a", "x-b"])
        .allow_credentials(true)
        .block_disallowed_origins(true)
        .build()
        .expect("valid policy")
}

fn values<B>(response: &ServiceResponse<B>, name: &str) -> Vec<String> {
    response
        .headers()
        .get_all(name)
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect()
}

fn preflight(path: &str) -> test::TestRequest {
    test::TestRequest::default()
        .method(Method::OPTIONS)
        .uri(path)
        .insert_header(("Origin", APP))
        .insert_header(("Access-Control-Request-Method", "PUT"))
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

#[actix_web::test]
async fn resource_wrap_answers_preflights_instead_of_405() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new().service(
            web::resource("/items")
                .wrap(Cors::new(policy()))
                .route(web::get().to(counting(&calls))),
        ),
    )
    .await;
    let response = test::call_service(&app, preflight("/items").to_request()).await;
    assert_eq!(response.status(), 204);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    assert_eq!(values(&response, "access-control-allow-methods"), ["PUT"]);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn scope_wrap_covers_the_scope_only() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/api")
                    .wrap(Cors::new(policy()))
                    .route("/items", web::get().to(counting(&calls))),
            )
            .route("/other", web::get().to(counting(&calls))),
    )
    .await;

    // Inside the scope, routed or not.
    for path in ["/api/items", "/api/nowhere"] {
        let response = test::call_service(&app, preflight(path).to_request()).await;
        assert_eq!(response.status(), 204, "{path}");
    }
    let request = test::TestRequest::get()
        .uri("/api/nowhere")
        .insert_header(("Origin", APP))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 404);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);

    // Outside the scope, the middleware is not there.
    let request = test::TestRequest::get()
        .uri("/other")
        .insert_header(("Origin", APP))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 200);
    assert!(values(&response, "access-control-allow-origin").is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn blocked_requests_never_reach_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy()))
            .route("/items", web::post().to(counting(&calls))),
    )
    .await;
    let request = test::TestRequest::post()
        .uri("/items")
        .insert_header(("Origin", "https://evil.example"))
        .set_payload("side effect")
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        values(&response, "content-type"),
        ["text/plain; charset=utf-8"]
    );
    assert!(values(&response, "access-control-allow-origin").is_empty());
    let body = test::read_body(response).await;
    assert_eq!(body, "CORS request refused: origin not allowed\n");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn request_header_lines_are_echoed_line_by_line() {
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy()))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let request = preflight("/items")
        .append_header(("Access-Control-Request-Headers", "x-a"))
        .append_header(("Access-Control-Request-Headers", "x-b"))
        .to_request();
    // Each line is echoed as the request's own value, shared, not copied.
    let sent: Vec<_> = request
        .headers()
        .get_all("access-control-request-headers")
        .map(|line| line.as_bytes().as_ptr())
        .collect();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        values(&response, "access-control-allow-headers"),
        ["x-a", "x-b"]
    );
    let echoed: Vec<_> = response
        .headers()
        .get_all("access-control-allow-headers")
        .map(|line| line.as_bytes().as_ptr())
        .collect();
    assert_eq!(echoed, sent);
    assert_eq!(
        values(&response, "vary"),
        ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"]
    );
}

#[actix_web::test]
async fn handler_vary_is_kept_and_merged() {
    let app = test::init_service(App::new().wrap(Cors::new(policy())).route(
        "/items",
        web::get().to(|| async {
            HttpResponse::Ok()
                .append_header((VARY, "accept-encoding"))
                .append_header(("access-control-allow-origin", "*"))
                .finish()
        }),
    ))
    .await;
    let request = test::TestRequest::get()
        .uri("/items")
        .insert_header(("Origin", APP))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(values(&response, "vary"), ["accept-encoding", "Origin"]);
    assert_eq!(values(&response, "access-control-allow-origin"), [APP]);
    assert_eq!(
        values(&response, "access-control-allow-credentials"),
        ["true"]
    );
}

#[actix_web::test]
async fn an_inner_err_gets_the_headers_in_its_response() {
    // An inner middleware that fails with `Err` instead of an error response.
    let app = test::init_service(
        App::new()
            .wrap_fn(|_req, _srv| async {
                Err::<ServiceResponse, _>(error::ErrorUnauthorized("no token"))
            })
            .wrap(Cors::new(policy()))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let request = test::TestRequest::get()
        .uri("/items")
        .insert_header(("Origin", APP))
        .to_request();
    let Err(error) = app.call(request).await else {
        panic!("expected the inner error");
    };
    let cors = error
        .as_error::<CorsError>()
        .expect("wrapped by the middleware");
    assert_eq!(cors.inner().to_string(), "no token");
    // The wrapper reads as the error it carries.
    assert_eq!(cors.to_string(), "no token");
    assert_eq!(error.to_string(), "no token");
    assert_eq!(cors.status_code(), 401);
    let debug = format!("{cors:?}");
    assert!(
        debug.starts_with("CorsError { error: ") && debug.contains("headers: "),
        "{debug}"
    );

    // What the server sends for it.
    let response = error.error_response();
    assert_eq!(response.status(), 401);
    let origin = response.headers().get("access-control-allow-origin");
    assert_eq!(origin.map(|v| v.as_bytes()), Some(APP.as_bytes()));
    let vary = response.headers().get("vary");
    assert_eq!(vary.map(|v| v.as_bytes()), Some(&b"Origin"[..]));
}

#[actix_web::test]
async fn handler_errors_and_extractor_rejections_get_the_headers() {
    #[derive(serde::Deserialize)]
    struct Query {
        #[allow(dead_code)]
        n: u32,
    }
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy()))
            .route(
                "/fail",
                web::get().to(|| async {
                    Err::<HttpResponse, _>(error::ErrorInternalServerError("boom"))
                }),
            )
            .route(
                "/query",
                web::get().to(|_: web::Query<Query>| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    for (path, status) in [("/fail", 500), ("/query?n=x", 400)] {
        let request = test::TestRequest::get()
            .uri(path)
            .insert_header(("Origin", APP))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            values(&response, "access-control-allow-origin"),
            [APP],
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_future_names_its_state() {
    let middleware = Cors::new(policy())
        .new_transform(test::ok_service())
        .await
        .expect("the middleware");
    let answered = middleware.call(preflight("/items").to_srv_request());
    assert_eq!(format!("{answered:?}"), r#"CorsFuture { state: "Ready" }"#);
    let forwarded = middleware.call(
        test::TestRequest::get()
            .uri("/items")
            .insert_header(("Origin", APP))
            .to_srv_request(),
    );
    assert_eq!(
        format!("{forwarded:?}"),
        r#"CorsFuture { state: "Forward" }"#
    );
    assert_eq!(answered.await.expect("answered").status(), 204);
    assert_eq!(forwarded.await.expect("forwarded").status(), 200);
}

#[actix_web::test]
async fn the_echoed_origin_shares_the_request_s_bytes() {
    // The answer echoes the request's own `Origin` value (a reference
    // count) rather than a copy: same bytes, same address.
    let app = test::init_service(
        App::new()
            .wrap(Cors::new(policy()))
            .route("/items", web::get().to(HttpResponse::Ok)),
    )
    .await;
    for request in [
        preflight("/items").to_request(),
        test::TestRequest::get()
            .uri("/items")
            .insert_header(("Origin", APP))
            .to_request(),
    ] {
        let sent = request.headers().get("origin").expect("origin").as_bytes();
        let sent = (sent.as_ptr(), sent.len());
        let response = test::call_service(&app, request).await;
        let echoed = response
            .headers()
            .get("access-control-allow-origin")
            .expect("allowed")
            .as_bytes();
        assert_eq!(echoed, APP.as_bytes());
        assert_eq!((echoed.as_ptr(), echoed.len()), sent);
    }
}
