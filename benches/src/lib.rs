//! Shared fixtures for the benchmarks: policies of a given size and the
//! requests they are measured against.

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
