//! The `evaluate` target: arbitrary requests under arbitrary valid policies.
//!
//! The input is text-like, so seeds can be written by hand:
//!
//! ```text
//! <policy line>\n<method line>\n<header line>\n<header line>...
//! ```
//!
//! Each byte of the policy line adds one [`ATOMS`] entry to the policy: the
//! byte's position in [`ALPHABET`] picks it (`0` is the first atom, `a` the
//! tenth, `A` the thirty-sixth), and any other byte picks `byte % 64`. An
//! input whose policy does not validate is skipped. The method line is the
//! request method as sent. Each header line starts with a byte naming the
//! header (`o` Origin, `m` Access-Control-Request-Method, `h`
//! Access-Control-Request-Headers, `p` Access-Control-Request-Private-Network;
//! upper case for the same names spelt in mixed case; any other byte picks
//! one by `byte % 4`), and the rest of the line is its value, any bytes but
//! a line feed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cors_core::{Policy, PolicyConfig};

use crate::invariants::{
    self, Facts, ORIGIN, REQUEST_HEADERS, REQUEST_METHOD, REQUEST_PRIVATE_NETWORK, Sent,
};

/// What one policy byte can add.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Atom {
    Origin(&'static str),
    Regex(&'static str),
    Method(&'static str),
    Header(&'static str),
    Expose(&'static str),
    Credentials,
    PrivateNetwork,
    Block,
    Status200,
    MaxAge(u64),
    NoMethods,
}

/// The characters that name [`ATOMS`] entries, in order.
pub(crate) const ALPHABET: &[u8; 64] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// The policy building blocks, named by [`ALPHABET`].
pub(crate) const ATOMS: [Atom; 64] = {
    use Atom::*;
    [
        // 0-9
        Origin("https://a.example"),
        Origin("https://b.example:8443"),
        Origin("http://localhost:3000"),
        Origin("http://localhost:*"),
        Origin("https://*.example.com"),
        Origin("https://*.foo.com"),
        Origin("https://*.example.com:*"),
        Origin("http://*.dev.test:8080"),
        Origin("http://127.0.0.1:8000"),
        Origin("http://[::1]:3000"),
        // a-j
        Origin("null"),
        Origin("*"),
        Origin("https://xn--bcher-kva.example"),
        Origin("chrome-extension://abcdefghijklmnop"),
        Origin("https://a.b.c.example.org"),
        Regex(r"https://pr-[0-9]+\.preview\.example\.dev"),
        Regex(r"https://[a-z]+\.example\.net|http://localhost:\d+"),
        Regex("(?x) https://x\\.example # a comment"),
        Method("GET"),
        Method("PUT"),
        // k-t
        Method("PATCH"),
        Method("patch"),
        Method("DELETE"),
        Method("OPTIONS"),
        Method("PURGE"),
        Method("*"),
        Method("POST"),
        Method("HEAD"),
        Header("x-a"),
        Header("X-B"),
        // u-D
        Header("authorization"),
        Header("x-request-id"),
        Header("content-type"),
        Header("range"),
        Header("*"),
        Header("Accept"),
        Header("if-match"),
        Header("x-custom_1"),
        Expose("x-a"),
        Expose("x-total"),
        // E-N
        Expose("*"),
        Expose("X-Request-Id"),
        Expose("content-length"),
        Expose("etag"),
        Credentials,
        PrivateNetwork,
        Block,
        Status200,
        MaxAge(0),
        MaxAge(86_400),
        // O-X
        MaxAge(7_200),
        NoMethods,
        // Invalid on purpose: such inputs are skipped.
        Origin("https://bad.example/"),
        Method("get"),
        Header("cookie"),
        Origin("https://app.example.com"),
        Origin("http://localhost"),
        Origin("https://*.a.example"),
        Origin("ftp://files.example:2121"),
        Origin("http://192.168.1.1"),
        // Y-Z, -, _
        Origin("https://*.co.uk"),
        Origin("http://a_b.example"),
        Origin("https://example.com:0"),
        Origin("https://[2001:db8::1]"),
    ]
};

/// The atom a policy byte names.
pub(crate) fn atom(byte: u8) -> Atom {
    let index = ALPHABET
        .iter()
        .position(|&c| c == byte)
        .unwrap_or(usize::from(byte) % ATOMS.len());
    ATOMS[index]
}

/// The configuration a policy line describes.
pub(crate) fn config(line: &[u8]) -> PolicyConfig {
    let mut config = PolicyConfig::default();
    let mut methods: Option<Vec<String>> = None;
    for &byte in line {
        match atom(byte) {
            Atom::Origin(o) => config.allow_origins.push(o.into()),
            Atom::Regex(r) => config.allow_origin_regex.push(r.into()),
            Atom::Method(m) => methods.get_or_insert_with(Vec::new).push(m.into()),
            Atom::NoMethods => methods = Some(Vec::new()),
            Atom::Header(h) => config.allow_headers.push(h.into()),
            Atom::Expose(e) => config.expose_headers.push(e.into()),
            Atom::Credentials => config.allow_credentials ^= true,
            Atom::PrivateNetwork => config.allow_private_network ^= true,
            Atom::Block => config.block_disallowed_origins ^= true,
            Atom::Status200 => {
                config.preflight_status = if config.preflight_status == 200 {
                    204
                } else {
                    200
                };
            }
            Atom::MaxAge(seconds) => config.max_age = seconds,
        }
    }
    if let Some(methods) = methods {
        config.allow_methods = methods;
    }
    config
}

/// The header a header line's first byte names.
pub(crate) fn header_name(byte: u8) -> &'static str {
    match byte {
        b'o' => ORIGIN,
        b'm' => REQUEST_METHOD,
        b'h' => REQUEST_HEADERS,
        b'p' => REQUEST_PRIVATE_NETWORK,
        b'O' => "Origin",
        b'M' => "Access-Control-Request-Method",
        b'H' => "Access-Control-Request-Headers",
        b'P' => "ACCESS-CONTROL-REQUEST-PRIVATE-NETWORK",
        _ => [
            ORIGIN,
            REQUEST_METHOD,
            REQUEST_HEADERS,
            REQUEST_PRIVATE_NETWORK,
        ][usize::from(byte) % 4],
    }
}

/// A built policy and its facts, or `None` when the line does not validate.
type Built = Option<(Policy, Arc<Facts>)>;

/// Policies by policy line. Building one (regexes into a DFA) costs far more
/// than evaluating a request, and fuzzed inputs share few policy lines, so
/// they are built once; the cache is emptied when it grows large.
fn build(line: &[u8]) -> Built {
    static CACHE: Mutex<Option<HashMap<Vec<u8>, Built>>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(built) = cache.get(line) {
        return built.clone();
    }
    if cache.len() >= 4096 {
        cache.clear();
    }
    let config = config(line);
    let built = config
        .clone()
        .build()
        .ok()
        .map(|policy| (policy, Arc::new(Facts::new(&config))));
    cache.insert(line.to_vec(), built.clone());
    built
}

/// Runs one input.
pub fn evaluate(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let Some((policy, facts)) = build(lines.next().unwrap_or_default()) else {
        return;
    };
    let method = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let mut sent = Sent::new(&method);
    for line in lines {
        if let Some((&which, value)) = line.split_first() {
            sent.headers.push((header_name(which), value));
        }
    }
    let parts = sent.parts();
    let decision = policy.evaluate(&parts);
    invariants::check(&facts, &sent, &decision);
}
