//! Shared fixtures for the benchmarks: policies of a given size and the
//! requests they are measured against ([`policy`], [`actual`],
//! [`preflight`]), and the applications that compare each adapter with the
//! crate it replaces ([`apps`]).

pub mod apps;
pub mod lookup;

use cors_core::{Policy, RequestParts};

/// The `n`th generated exact origin.
pub fn exact_origin(n: usize) -> String {
    format!("https://app{n}.example.com")
}

/// A policy with `exact` exact origins, `subdomains` subdomain patterns
/// (`https://*.tenantN.example.net`), one regex, the methods and headers the
/// scenarios use, and credentials.
pub fn policy(exact: usize, subdomains: usize) -> Policy {
    let mut origins: Vec<String> = (0..exact).map(exact_origin).collect();
    origins.extend((0..subdomains).map(|n| format!("https://*.tenant{n}.example.net")));
    Policy::builder()
        .allow_origins(origins)
        .allow_origin_regex([r"https://[a-z0-9-]+\.preview\.example\.dev"])
        .allow_methods(["GET", "POST", "PUT", "DELETE"])
        .allow_headers(["authorization", "x-request-id", "x-api-key"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .build()
        .expect("benchmark policy is valid")
}

/// An actual request (`GET`) from `origin`.
pub fn actual(origin: &[u8]) -> RequestParts<'_> {
    let mut request = RequestParts::new("GET");
    request.add_header("origin", origin);
    request
}

/// A preflight from `origin` for `method` with `headers` requested.
pub fn preflight<'a>(origin: &'a [u8], method: &'a [u8], headers: &'a [u8]) -> RequestParts<'a> {
    let mut request = RequestParts::new("OPTIONS");
    request.add_header("origin", origin);
    request.add_header("access-control-request-method", method);
    if !headers.is_empty() {
        request.add_header("access-control-request-headers", headers);
    }
    request
}

/// An `Access-Control-Request-Headers` value listing `n` names.
pub fn many_header_names(n: usize) -> String {
    (0..n)
        .map(|i| format!("x-h{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The allowlist sizes the engine is measured at: exact origins, each with
/// 1,000 subdomain patterns besides.
pub const ENGINE_SIZES: [usize; 3] = [1, 100, 10_000];

/// The subdomain patterns of every engine policy.
pub const ENGINE_SUBDOMAINS: usize = 1000;

/// What the engine must decide for an [`EngineCase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Not a CORS request.
    NotCors,
    /// An allowed CORS request.
    Allowed,
    /// A refused CORS request.
    Refused,
}

/// One request the engine is measured on, for an allowlist of a given size.
#[derive(Debug, Clone)]
pub struct EngineCase {
    /// The case's name in benchmark ids and reports.
    pub name: &'static str,
    /// What the engine must decide.
    pub expect: Expect,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl EngineCase {
    /// The request, borrowed from the case.
    pub fn parts(&self) -> RequestParts<'_> {
        let mut parts = RequestParts::new(self.method);
        for (name, value) in &self.headers {
            parts.add_header(name, value.as_bytes());
        }
        parts
    }
}

/// Every engine case against [`policy`]`(size, ENGINE_SUBDOMAINS)`: the
/// exact origin requested is the allowlist's last, the subdomain the last
/// pattern's.
pub fn engine_cases(size: usize) -> Vec<EngineCase> {
    let exact = exact_origin(size - 1);
    let case = |name, expect, method, headers: &[(&'static str, &str)]| EngineCase {
        name,
        expect,
        method,
        headers: headers.iter().map(|&(n, v)| (n, v.to_owned())).collect(),
    };
    let many = many_header_names(1000);
    let origin = "origin";
    let method = "access-control-request-method";
    let headers = "access-control-request-headers";
    vec![
        case("non_cors", Expect::NotCors, "GET", &[]),
        case("actual_exact", Expect::Allowed, "GET", &[(origin, &exact)]),
        case(
            "actual_subdomain",
            Expect::Allowed,
            "GET",
            &[(origin, "https://eu.tenant999.example.net")],
        ),
        case(
            "actual_regex",
            Expect::Allowed,
            "GET",
            &[(origin, "https://pr-1234.preview.example.dev")],
        ),
        case(
            "actual_refused",
            Expect::Refused,
            "GET",
            &[(origin, "https://app.example.com.evil.net")],
        ),
        case(
            "preflight_3_headers",
            Expect::Allowed,
            "OPTIONS",
            &[
                (origin, &exact),
                (method, "PUT"),
                (headers, "authorization,x-request-id,x-api-key"),
            ],
        ),
        case(
            "preflight_refused",
            Expect::Refused,
            "OPTIONS",
            &[(origin, &exact), (method, "PATCH")],
        ),
        case(
            "preflight_1000_headers",
            Expect::Refused,
            "OPTIONS",
            &[(origin, &exact), (method, "PUT"), (headers, &many)],
        ),
    ]
}

/// Panics unless `policy` decides `case` as expected.
pub fn check_engine_case(policy: &Policy, case: &EngineCase) {
    let decision = policy.evaluate(&case.parts());
    let got = if decision.kind() == cors_core::RequestKind::NotCors {
        Expect::NotCors
    } else if decision.is_allowed() {
        Expect::Allowed
    } else {
        Expect::Refused
    };
    assert_eq!(got, case.expect, "{}: {decision:?}", case.name);
}
