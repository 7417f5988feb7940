//! A small actix-web service with CORS: a JSON API that the page at
//! `http://localhost:8080` may call, with credentials, from the browser.
//!
//! ```text
//! cargo run -p cors-examples --bin actix
//! curl -i http://127.0.0.1:3001/api/greeting -H 'Origin: http://localhost:8080'
//! curl -i -X OPTIONS http://127.0.0.1:3001/api/greeting \
//!     -H 'Origin: http://localhost:8080' -H 'Access-Control-Request-Method: PUT'
//! ```

use actix_web::{App, HttpResponse, HttpServer, web};
use cors_actix::Cors;
use cors_core::Policy;

async fn greeting() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"greeting":"hello"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let policy = Policy::builder()
        .allow_origins(["http://localhost:8080"])
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["authorization", "content-type"])
        .allow_credentials(true)
        .max_age(3600)
        .build()
        .expect("a valid CORS policy");

    println!("listening on http://127.0.0.1:3001");
    HttpServer::new(move || {
        App::new()
            // Outermost, so that it also sees actix's own 404 and 405.
            .wrap(Cors::new(policy.clone()))
            .route("/api/greeting", web::get().to(greeting))
    })
    .bind(("127.0.0.1", 3001))?
    .run()
    .await
}
