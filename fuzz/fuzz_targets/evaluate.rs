//! `evaluate` on arbitrary request headers under a fixed policy: never
//! panics, and never lets a refused origin through.

#![no_main]

use std::sync::OnceLock;

use cors_core::{Policy, RequestParts, ResponseHeader};
use libfuzzer_sys::fuzz_target;

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        Policy::builder()
            .allow_origins(["https://app.example.com", "https://*.example.org", "http://localhost:*"])
            .allow_origin_regex([r"https://pr-[0-9]+\.preview\.example\.dev"])
            .allow_methods(["GET", "PUT", "PATCH"])
            .allow_headers(["authorization", "x-request-id"])
            .allow_credentials(true)
            .build()
            .expect("valid policy")
    })
}

const NAMES: [&str; 4] = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
];

fuzz_target!(|data: &[u8]| {
    // First byte picks the method; then NUL-separated header values, each
    // prefixed by a byte that picks the name.
    let Some((&first, rest)) = data.split_first() else { return };
    let method = if first & 1 == 0 { "OPTIONS" } else { "GET" };
    let mut request = RequestParts::new(method);
    for field in rest.split(|&b| b == 0) {
        if let Some((&which, value)) = field.split_first() {
            request.add_header(NAMES[usize::from(which) % NAMES.len()], value);
        }
    }
    let decision = policy().evaluate(&request);
    if let Some(origin) = decision.header(ResponseHeader::AllowOrigin) {
        assert_eq!(Some(origin.as_bytes()), request.origin());
        assert!(decision.refusal().is_none());
    }
});
