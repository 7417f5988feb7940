//! actix-web 4: [`cors_actix::Cors`] against `actix-cors`, each wrapping
//! the `App`, called with `actix_web::test::call_service` on actix's
//! single-threaded system runner.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::rt::SystemRunner;
use actix_web::{App, Error, test, web};

use super::{
    EXPOSED, Framework, HEADERS, LARGE_ALLOWLIST, MAX_AGE, METHODS, Observed, SMALL_ALLOWLIST,
    Scenario, Variant, origins, our_policy,
};

/// actix-cors's middleware for an allowlist of `n` origins, with
/// `block_on_origin_mismatch(false)`: like this project's default, an
/// actual request from another origin runs the handler and gets no CORS
/// headers (actix-cors's default answers it with an error instead).
pub fn peer_cors(n: usize) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default();
    for origin in origins(n) {
        cors = cors.allowed_origin(&origin);
    }
    cors.allowed_methods(METHODS)
        .allowed_headers(HEADERS)
        .expose_headers([EXPOSED])
        .supports_credentials()
        .max_age(usize::try_from(MAX_AGE).ok())
        .block_on_origin_mismatch(false)
}

/// A response an actix service gave.
pub trait Answer {
    /// Its status code.
    fn status_code(&self) -> u16;
    /// What it shows a browser.
    fn observed(&self) -> Observed;
}

impl<B> Answer for ServiceResponse<B> {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }

    fn observed(&self) -> Observed {
        Observed::new(
            self.status().as_u16(),
            self.headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        )
    }
}

/// The actix-web applications.
pub struct Actix<B, O, P> {
    system: SystemRunner,
    baseline: B,
    /// Small and large allowlist.
    ours: [O; 2],
    peer: [P; 2],
}

type Request = actix_http::Request;

/// Builds every application.
pub fn build() -> Actix<
    impl Service<Request, Response = impl Answer, Error = Error>,
    impl Service<Request, Response = impl Answer, Error = Error>,
    impl Service<Request, Response = impl Answer, Error = Error>,
> {
    let system = actix_web::rt::System::new();
    let handler = || async { "items" };
    let baseline = system.block_on(test::init_service(
        App::new().route("/items", web::get().to(handler)),
    ));
    let ours = [SMALL_ALLOWLIST, LARGE_ALLOWLIST].map(|n| {
        system.block_on(test::init_service(
            App::new()
                .wrap(cors_actix::Cors::new(our_policy(n)))
                .route("/items", web::get().to(handler)),
        ))
    });
    let peer = [SMALL_ALLOWLIST, LARGE_ALLOWLIST].map(|n| {
        system.block_on(test::init_service(
            App::new()
                .wrap(peer_cors(n))
                .route("/items", web::get().to(handler)),
        ))
    });
    Actix {
        system,
        baseline,
        ours,
        peer,
    }
}

fn request(scenario: Scenario) -> Request {
    let method = Method::from_bytes(scenario.method().as_bytes()).expect("method");
    let mut request = test::TestRequest::default()
        .method(method)
        .uri(scenario.path());
    for header in scenario.headers() {
        request = request.insert_header(*header);
    }
    request.to_request()
}

fn call<S>(system: &SystemRunner, app: &S, scenario: Scenario) -> S::Response
where
    S: Service<Request, Error = Error>,
{
    match system.block_on(app.call(request(scenario))) {
        Ok(response) => response,
        Err(error) => panic!("{scenario}: the service failed: {error}"),
    }
}

impl<B, O, P> Actix<B, O, P>
where
    B: Service<Request, Error = Error>,
    B::Response: Answer,
    O: Service<Request, Error = Error>,
    O::Response: Answer,
    P: Service<Request, Error = Error>,
    P::Response: Answer,
{
    fn with<T>(
        &self,
        variant: Variant,
        scenario: Scenario,
        then: impl FnOnce(&dyn Answer) -> T,
    ) -> T {
        let i = usize::from(scenario.large());
        match variant {
            Variant::Baseline => then(&call(&self.system, &self.baseline, scenario)),
            Variant::Ours => then(&call(&self.system, &self.ours[i], scenario)),
            Variant::Peer => then(&call(&self.system, &self.peer[i], scenario)),
            Variant::Floor | Variant::Conforming => panic!("actix has no floor variants"),
        }
    }
}

impl<B, O, P> Framework for Actix<B, O, P>
where
    B: Service<Request, Error = Error>,
    B::Response: Answer,
    O: Service<Request, Error = Error>,
    O::Response: Answer,
    P: Service<Request, Error = Error>,
    P::Response: Answer,
{
    const NAME: &'static str = "actix";
    const PEER: &'static str = "`actix-cors`";

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.with(variant, scenario, |r| r.status_code())
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        self.with(variant, scenario, |r| r.observed())
    }
}
