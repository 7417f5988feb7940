//! Hostile input: how far the engine reads into an oversized or malformed
//! request, asserted without a clock.
//!
//! Each test appends tails of up to 1 MiB (junk, non-UTF-8 bytes, more
//! valid names) after the point where the engine must stop, and checks that
//! the verdict, including the position of any name it reports, does not
//! change: what lies beyond that point is never looked up. The requests
//! `examples/tests/adversarial.rs` sends over sockets are these same shapes.

use cors_core::{
    Escaped, MAX_REQUEST_HEADER_LINES, MAX_REQUEST_HEADERS, Policy, Refusal, RequestParts,
    ResponseHeader,
};

const ALLOWED: &[u8] = b"https://app.example";
const MIB: usize = 1024 * 1024;

fn policy() -> Policy {
    Policy::builder()
        .allow_origins(["https://app.example"])
        .allow_methods(["PUT"])
        .allow_headers(["x-custom"])
        .build()
        .expect("a valid policy")
}

/// What may follow the point where the engine stops: nothing, or a MiB of
/// something it would refuse, or allow, if it read it.
fn tails() -> Vec<(&'static str, Vec<u8>)> {
    let repeat = |unit: &[u8]| unit.iter().copied().cycle().take(MIB).collect::<Vec<u8>>();
    vec![
        ("nothing", Vec::new()),
        ("empty elements", repeat(b", ,,\t,")),
        ("allowed names", repeat(b"x-custom,")),
        ("refused names", repeat(b"x-refused,")),
        ("non-UTF-8", repeat(b"\xff\x80")),
        ("control bytes", repeat(b"\x01\x7f")),
    ]
}

/// Where `part` begins inside `whole`, which it borrows from.
fn offset(whole: &[u8], part: &[u8]) -> usize {
    let start = whole.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    assert!(at >= start && at + part.len() <= start + whole.len());
    at - start
}

fn preflight_refusal<'a>(policy: &'a Policy, request_headers: &'a [u8]) -> Option<Refusal<'a>> {
    let mut request = RequestParts::new("OPTIONS");
    request.add_header("origin", ALLOWED);
    request.add_header("access-control-request-method", b"PUT");
    request.add_header("access-control-request-headers", request_headers);
    policy.evaluate(&request).refusal()
}

#[test]
fn request_headers_stop_at_the_first_empty_element() {
    let policy = policy();
    for (what, tail) in tails() {
        let list = [&b"x-custom, ,"[..], &tail].concat();
        assert_eq!(
            preflight_refusal(&policy, &list),
            Some(Refusal::MalformedRequestHeaders),
            "then {what}"
        );
    }
}

#[test]
fn request_headers_stop_at_the_first_refused_name() {
    let policy = policy();
    for (what, tail) in tails() {
        let list = [&b"x-custom,x-custom , x-refused-here,"[..], &tail].concat();
        match preflight_refusal(&policy, &list) {
            Some(Refusal::HeaderNotAllowed(name)) => {
                assert_eq!(name, "x-refused-here", "then {what}");
                // The third element, not a like-named one further on.
                assert_eq!(offset(&list, name.as_bytes()), 20, "then {what}");
            }
            other => panic!("then {what}: {other:?}"),
        }
    }
}

#[test]
fn request_headers_stop_after_the_maximum_number_of_names() {
    let policy = policy();
    // One name too many, then anything: the extra name is never looked up
    // (a lookup would refuse `x-refused`) and the tail never parsed.
    let mut prefix = b"x-custom,".repeat(MAX_REQUEST_HEADERS);
    prefix.extend_from_slice(b"x-refused,");
    for (what, tail) in tails() {
        let list = [&prefix[..], &tail].concat();
        assert_eq!(
            preflight_refusal(&policy, &list),
            Some(Refusal::TooManyRequestHeaders),
            "then {what}"
        );
    }
    // The most an allowed preflight makes the engine do: the maximum of
    // names, every one looked up, echoed back as sent.
    let list = vec!["x-custom"; MAX_REQUEST_HEADERS].join(",");
    let mut request = RequestParts::new("OPTIONS");
    request.add_header("origin", ALLOWED);
    request.add_header("access-control-request-method", b"PUT");
    request.add_header("access-control-request-headers", list.as_bytes());
    let decision = policy.evaluate(&request);
    assert!(decision.is_allowed());
    assert_eq!(
        decision.header(ResponseHeader::AllowHeaders),
        Some(list.as_str())
    );
}

#[test]
fn request_header_lines_beyond_the_maximum_are_not_kept() {
    let policy = policy();
    // Ten thousand lines cost what one too many does.
    for lines in [MAX_REQUEST_HEADER_LINES + 1, 10_000] {
        let mut request = RequestParts::new("OPTIONS");
        request.add_header("origin", ALLOWED);
        request.add_header("access-control-request-method", b"PUT");
        for _ in 0..lines {
            request.add_header("access-control-request-headers", b"x-custom");
        }
        assert_eq!(
            policy.evaluate(&request).refusal(),
            Some(Refusal::MalformedRequestHeaders),
            "{lines} lines"
        );
    }
}

#[test]
fn an_oversized_origin_is_refused_whatever_it_holds() {
    let policy = policy();
    for (what, tail) in tails()
        .into_iter()
        .chain([("10 KiB", vec![b'a'; 10 * 1024])])
    {
        if tail.is_empty() {
            continue;
        }
        // Starts with the allowed origin, so only its length refuses it.
        let origin = [ALLOWED, &tail].concat();
        for method in ["GET", "OPTIONS"] {
            let mut request = RequestParts::new(method);
            request.add_header("origin", &origin);
            request.add_header("access-control-request-method", b"PUT");
            let decision = policy.evaluate(&request);
            assert_eq!(
                decision.refusal(),
                Some(Refusal::MalformedOrigin(&origin)),
                "{method}, {what}"
            );
            assert!(decision.header(ResponseHeader::AllowOrigin).is_none());
            // And the log line stays short.
            let logged = decision.refusal().unwrap().to_string();
            assert!(
                logged.len() <= 4 * Escaped::LIMIT + 64,
                "{method}, {what}: {} bytes logged",
                logged.len()
            );
        }
    }
}

#[test]
fn many_origins_are_refused_whatever_they_hold() {
    let policy = policy();
    for (what, value) in [
        ("allowed", ALLOWED.to_vec()),
        ("non-UTF-8", b"https://\xff\x80".to_vec()),
        ("1 MiB", vec![b'a'; MIB]),
    ] {
        let mut request = RequestParts::new("GET");
        request.add_header("origin", ALLOWED);
        for _ in 0..99 {
            request.add_header("origin", &value);
        }
        assert_eq!(
            policy.evaluate(&request).refusal(),
            Some(Refusal::MultipleOrigins),
            "{what}"
        );
    }
}

#[test]
fn non_utf8_and_control_bytes_in_every_cors_header_are_refused() {
    let policy = policy();
    for bad in [&b"\xff"[..], b"\x80", b"\x00", b"\x01", b"\x7f"] {
        let origin = [&b"https://app."[..], bad, b"example"].concat();
        let method = [&b"PU"[..], bad, b"T"].concat();
        let list = [&b"x-custom,x-"[..], bad].concat();

        let mut request = RequestParts::new("OPTIONS");
        request.add_header("origin", &origin);
        request.add_header("access-control-request-method", b"PUT");
        assert_eq!(
            policy.evaluate(&request).refusal(),
            Some(Refusal::MalformedOrigin(&origin)),
            "{bad:?}"
        );

        let mut request = RequestParts::new("OPTIONS");
        request.add_header("origin", ALLOWED);
        request.add_header("access-control-request-method", &method);
        assert_eq!(
            policy.evaluate(&request).refusal(),
            Some(Refusal::MalformedRequestMethod(&method)),
            "{bad:?}"
        );

        assert_eq!(
            preflight_refusal(&policy, &list),
            Some(Refusal::MalformedRequestHeaders),
            "{bad:?}"
        );

        // Only `true` asks for private network access; anything else is
        // no such request, and grants nothing.
        let flag = [&b"true"[..], bad].concat();
        let mut request = RequestParts::new("OPTIONS");
        request.add_header("origin", ALLOWED);
        request.add_header("access-control-request-method", b"PUT");
        request.add_header("access-control-request-private-network", &flag);
        let decision = policy.evaluate(&request);
        assert!(decision.is_allowed(), "{bad:?}");
        assert!(
            decision
                .header(ResponseHeader::AllowPrivateNetwork)
                .is_none(),
            "{bad:?}"
        );
    }
}

#[test]
fn an_origin_of_exactly_the_length_limit_is_read_one_byte_more_is_not() {
    // The limit is 512 bytes. A subdomain pattern makes the engine parse
    // the value (an exact origin is only looked up), so the length check
    // is what decides.
    const LIMIT: usize = 512;
    let policy = Policy::builder()
        .allow_origins(["https://*.app.example"])
        .build()
        .expect("a valid policy");
    let origin_of = |len: usize| {
        let label = "a".repeat(len - "https://".len() - ".app.example".len());
        format!("https://{label}.app.example").into_bytes()
    };
    let longest = origin_of(LIMIT);
    assert_eq!(longest.len(), LIMIT);
    let mut request = RequestParts::new("GET");
    request.add_header("origin", &longest);
    let decision = policy.evaluate(&request);
    assert!(decision.is_allowed(), "{:?}", decision.refusal());
    assert_eq!(
        decision.header(ResponseHeader::AllowOrigin),
        Some(std::str::from_utf8(&longest).unwrap())
    );

    let too_long = origin_of(LIMIT + 1);
    let mut request = RequestParts::new("GET");
    request.add_header("origin", &too_long);
    assert_eq!(
        policy.evaluate(&request).refusal(),
        Some(Refusal::MalformedOrigin(&too_long))
    );
}
