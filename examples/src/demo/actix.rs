//! The demo application in actix-web, with [`cors_actix::Cors`].
//!
//! [`configure`] registers the routes; the middleware is wrapped around the
//! whole `App`, so that preflights to any path, routed or not, are answered
//! and actix's own 404 and 405 responses get the policy's headers:
//!
//! ```
//! use actix_web::{App, test};
//! use cors_examples::Routes;
//! use cors_examples::demo::actix::configure;
//!
//! let policy = cors_core::Policy::builder()
//!     .allow_origins(["https://app.example.com"])
//!     .build()
//!     .expect("valid policy");
//! actix_web::rt::System::new().block_on(async {
//!     let app = App::new()
//!         .wrap(cors_actix::Cors::new(policy))
//!         .configure(configure(Routes::Demo));
//!     let app = test::init_service(app).await;
//!     let request = test::TestRequest::get()
//!         .uri("/fail")
//!         .insert_header(("Origin", "https://app.example.com"))
//!         .to_request();
//!     let response = test::call_service(&app, request).await;
//!     assert_eq!(response.status(), 500);
//!     assert!(response.headers().contains_key("access-control-allow-origin"));
//! });
//! ```

use actix_web::http::header::{CONTENT_TYPE, VARY};
use actix_web::{HttpResponse, error, guard, web};
use serde::Deserialize;

use crate::Routes;

/// The demo routes (see the [crate docs](crate)) as an `App::configure`
/// function: `App::new().wrap(Cors::new(policy)).configure(configure(routes))`,
/// where `policy` is a [`Policy`](cors_core::Policy) or a
/// [`SharedPolicy`](cors_core::SharedPolicy), and the middleware may have
/// an [origin lookup](cors_actix::Cors::origin_lookup).
pub fn configure(routes: Routes) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg| {
        let methods = guard::Any(guard::Get())
            .or(guard::Head())
            .or(guard::Post())
            .or(guard::Put())
            .or(guard::Patch())
            .or(guard::Delete())
            .or(guard::Options());
        // `/public/echo` is `/echo` under another path, for per-path
        // policies (`[[routes]] paths = ["/public/*"]`).
        cfg.service(
            web::resource(["/echo", "/public/echo"]).route(web::route().guard(methods).to(echo)),
        )
        .route("/fail", web::get().to(fail));
        if routes == Routes::Conformance {
            cfg.route("/own-cors", web::get().to(own_cors))
                .route("/vary-star", web::get().to(vary_star))
                .route("/json", web::post().to(json));
        }
    }
}

/// `/echo`: 200, `ok`, and the contract's headers.
async fn echo() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("x-handler", "ran"))
        .insert_header((VARY, "Accept-Encoding"))
        .insert_header(("x-request-id", "1"))
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body("ok")
}

/// `/fail`: a handler that fails through actix's error mechanism, an
/// `Err(actix_web::Error)`, which actix turns into a 500 response.
async fn fail() -> Result<HttpResponse, actix_web::Error> {
    Err(error::ErrorInternalServerError("the handler failed"))
}

/// `GET /own-cors`: CORS headers of the handler's own, which the policy
/// replaces.
async fn own_cors() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("access-control-allow-origin", "https://handler.example"))
        .insert_header(("access-control-allow-credentials", "true"))
        .insert_header(("access-control-expose-headers", "x-secret"))
        .insert_header((VARY, "Origin"))
        .insert_header(("x-handler", "ran"))
        .body("ok")
}

/// `GET /vary-star`: `Vary: *`.
async fn vary_star() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((VARY, "*"))
        .insert_header(("x-handler", "ran"))
        .body("ok")
}

/// The body `POST /json` takes.
#[derive(Debug, Deserialize)]
struct Number {
    #[allow(dead_code)]
    n: i64,
}

/// `POST /json`: actix's `Json` extractor; a body that does not parse gets
/// actix's own 400 rejection.
async fn json(_number: web::Json<Number>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("x-handler", "ran"))
        .body("ok")
}
