//! Rocket 0.5: [`cors_rocket::Cors`] against the `rocket_cors` fairing,
//! called through Rocket's asynchronous local client (untracked: no cookie
//! jar) on a current-thread tokio runtime.

use ::rocket::http::{Header, Method};
use ::rocket::local::asynchronous::{Client, LocalResponse};
use ::rocket::{Build, Rocket};
use rocket_cors::{AllowedHeaders, AllowedOrigins, CorsOptions};

use super::{
    EXPOSED, Framework, HEADERS, LARGE_ALLOWLIST, MAX_AGE, METHODS, Observed, SMALL_ALLOWLIST,
    Scenario, Variant, origins, our_policy,
};

#[::rocket::get("/items")]
fn items() -> &'static str {
    "items"
}

/// The application without CORS, logging nothing.
fn app() -> Rocket<Build> {
    let figment = ::rocket::Config::figment().merge(("log_level", "off"));
    ::rocket::custom(figment).mount("/", ::rocket::routes![items])
}

/// rocket_cors's fairing for an allowlist of `n` origins.
pub fn peer_cors(n: usize) -> rocket_cors::Cors {
    CorsOptions {
        allowed_origins: AllowedOrigins::some_exact(&origins(n)),
        allowed_methods: METHODS.iter().map(|m| m.parse().expect("method")).collect(),
        allowed_headers: AllowedHeaders::some(&HEADERS),
        expose_headers: [EXPOSED.to_owned()].into(),
        allow_credentials: true,
        max_age: usize::try_from(MAX_AGE).ok(),
        ..CorsOptions::default()
    }
    .to_cors()
    .expect("the rocket_cors options are valid")
}

/// The Rocket applications.
pub struct RocketApps {
    runtime: ::rocket::tokio::runtime::Runtime,
    baseline: Client,
    /// Small and large allowlist.
    ours: [Client; 2],
    peer: [Client; 2],
}

impl RocketApps {
    /// Builds every application.
    pub fn new() -> Self {
        let runtime = ::rocket::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let client = |rocket: Rocket<Build>| {
            runtime
                .block_on(Client::untracked(rocket))
                .expect("the application ignites")
        };
        let sizes = [SMALL_ALLOWLIST, LARGE_ALLOWLIST];
        let baseline = client(app());
        let ours = sizes.map(|n| client(app().attach(cors_rocket::Cors::new(our_policy(n)))));
        let peer = sizes.map(|n| client(app().attach(peer_cors(n))));
        RocketApps {
            runtime,
            baseline,
            ours,
            peer,
        }
    }

    fn with<T>(
        &self,
        variant: Variant,
        scenario: Scenario,
        then: impl FnOnce(&LocalResponse<'_>) -> T,
    ) -> T {
        let i = usize::from(scenario.large());
        let client = match variant {
            Variant::Baseline => &self.baseline,
            Variant::Ours => &self.ours[i],
            Variant::Peer => &self.peer[i],
            Variant::Floor | Variant::Conforming => panic!("rocket has no floor variants"),
        };
        let method = match scenario.method() {
            "OPTIONS" => Method::Options,
            _ => Method::Get,
        };
        let mut request = client.req(method, scenario.path());
        for (name, value) in scenario.headers() {
            request = request.header(Header::new(*name, *value));
        }
        self.runtime
            .block_on(async move { then(&request.dispatch().await) })
    }
}

impl Default for RocketApps {
    fn default() -> Self {
        RocketApps::new()
    }
}

impl Framework for RocketApps {
    const NAME: &'static str = "rocket";
    const PEER: &'static str = "`rocket_cors` fairing";

    fn status(&mut self, variant: Variant, scenario: Scenario) -> u16 {
        self.with(variant, scenario, |r| r.status().code)
    }

    fn observe(&mut self, variant: Variant, scenario: Scenario) -> Observed {
        self.with(variant, scenario, |r| {
            let headers: Vec<(String, String)> = r
                .headers()
                .iter()
                .map(|h| (h.name.to_string(), h.value.into_owned()))
                .collect();
            Observed::new(
                r.status().code,
                headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            )
        })
    }
}
