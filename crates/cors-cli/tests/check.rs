//! `cors check` against small servers answering fixed headers: exit
//! status, `--json`, and what reached the server.

mod common;

use common::{Server, check_json, cors, headers};
use serde_json::json;

const ORIGIN: &str = "https://app.example";

/// A server whose answers depend on the path only, the way a
/// misconfigured server's do.
fn fixed() -> Server {
    Server::http(|seen, addr| {
        let preflight = seen.method == "OPTIONS";
        let path = seen.path.as_str();
        let h = |pairs: &[(&str, &str)]| headers(pairs);
        match (path, preflight) {
            ("/allowed", _) => (
                200,
                h(&[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-expose-headers", "x-total"),
                    ("x-total", "5"),
                    ("x-hidden", "1"),
                    ("content-type", "text/plain"),
                    ("set-cookie", "s=1"),
                ]),
            ),
            ("/no-acao", _) => (200, h(&[("content-type", "text/plain")])),
            ("/wrong-origin", _) => (
                200,
                h(&[("access-control-allow-origin", "https://other.example")]),
            ),
            ("/star", _) => (200, h(&[("access-control-allow-origin", "*")])),
            ("/no-acac", _) => (200, h(&[("access-control-allow-origin", ORIGIN)])),
            ("/preflight-403", true) => (403, h(&[("content-type", "text/plain")])),
            ("/preflight-redirect", true) => (
                307,
                h(&[
                    ("location", "/elsewhere"),
                    ("access-control-allow-origin", ORIGIN),
                ]),
            ),
            ("/methods", true) => (
                204,
                h(&[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-allow-methods", "GET, POST, PUT"),
                ]),
            ),
            ("/headers", true) => (
                204,
                h(&[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-allow-methods", "PUT"),
                    ("access-control-allow-headers", "x-a"),
                ]),
            ),
            ("/methods" | "/headers", false) => {
                (200, h(&[("access-control-allow-origin", ORIGIN)]))
            }
            ("/star-headers", true) => (
                204,
                h(&[
                    ("access-control-allow-origin", "*"),
                    ("access-control-allow-methods", "PUT"),
                    ("access-control-allow-headers", "*"),
                ]),
            ),
            ("/star-headers", false) => (200, h(&[("access-control-allow-origin", "*")])),
            ("/star-headers-credentials", true) => (
                204,
                h(&[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-allow-credentials", "true"),
                    ("access-control-allow-methods", "PUT"),
                    ("access-control-allow-headers", "*"),
                ]),
            ),
            ("/redirect-same", false) => (
                302,
                h(&[
                    ("location", "/target"),
                    ("access-control-allow-origin", ORIGIN),
                ]),
            ),
            ("/redirect-cross", false) => {
                // Another origin: same port, host `localhost`.
                let location = format!("http://localhost:{}/target", addr.port());
                (
                    307,
                    vec![
                        ("location".to_owned(), location),
                        ("access-control-allow-origin".to_owned(), ORIGIN.to_owned()),
                    ],
                )
            }
            ("/redirect-without-acao", false) => (302, h(&[("location", "/target")])),
            ("/target", false) => {
                // Echoes the origin, as many servers do.
                let origin = seen.header("origin").unwrap_or("").to_owned();
                (
                    200,
                    vec![("access-control-allow-origin".to_owned(), origin)],
                )
            }
            _ => (404, h(&[])),
        }
    })
}

fn str_list(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn allowed_lists_the_readable_headers() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/allowed"), "--origin", ORIGIN]);
    assert_eq!(status, 0, "{out:#}");
    assert_eq!(out["allowed"], true);
    assert_eq!(out["preflight"], json!(null));
    assert_eq!(out["status"], 200);
    assert_eq!(out["reason"], json!(null));
    assert_eq!(out["fix"], json!(null));
    assert_eq!(out["warnings"], json!([]));
    // Safelisted and exposed names; never `x-hidden` or `set-cookie`.
    assert_eq!(
        str_list(&out["readable_headers"]),
        ["content-length", "content-type", "x-total"]
    );
    // A simple GET: no preflight reached the server, and the request
    // carried the origin.
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].header("origin"), Some(ORIGIN));
}

#[test]
fn the_transcript_shows_both_requests_and_the_verdict() {
    let server = fixed();
    let output = cors(&[
        "check",
        &server.url("/headers"),
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "X-A: 1",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "no colour when not a terminal: {text}"
    );
    assert!(text.starts_with("# preflight\n> OPTIONS http://"), "{text}");
    assert!(
        text.contains("> Access-Control-Request-Method: PUT\n"),
        "{text}"
    );
    assert!(
        text.contains("> Access-Control-Request-Headers: x-a\n"),
        "{text}"
    );
    assert!(text.contains("< 204 No Content\n"), "{text}");
    assert!(text.contains("# request\n> PUT http://"), "{text}");
    assert!(
        text.ends_with("allowed: a browser allows it\nreadable response headers: content-length\n"),
        "{text}"
    );
}

#[test]
fn missing_allow_origin() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/no-acao"), "--origin", ORIGIN]);
    assert_eq!(status, 1);
    assert_eq!(out["allowed"], false);
    assert_eq!(out["code"], "no-allow-origin");
    assert_eq!(out["status"], 200);
    assert_eq!(out["readable_headers"], json!([]));
    assert_eq!(
        out["reason"],
        "the response has no Access-Control-Allow-Origin"
    );
    assert_eq!(
        out["fix"],
        "the server must answer GET from https://app.example with Access-Control-Allow-Origin: https://app.example"
    );
}

#[test]
fn wrong_origin() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/wrong-origin"), "--origin", ORIGIN]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "origin-mismatch");
    assert_eq!(
        out["reason"],
        "the response has Access-Control-Allow-Origin: https://other.example, which is not the request's origin https://app.example"
    );
}

#[test]
fn star_with_credentials() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/star"), "--origin", ORIGIN]);
    assert_eq!((status, &out["allowed"]), (0, &json!(true)));
    let (status, out) = check_json(&[&server.url("/star"), "--origin", ORIGIN, "--credentials"]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "wildcard-origin-with-credentials");
    assert_eq!(
        out["fix"],
        "answer GET with Access-Control-Allow-Origin: https://app.example (the request's origin, not `*`) and Access-Control-Allow-Credentials: true"
    );
}

#[test]
fn credentials_without_allow_credentials() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/no-acac"),
        "--origin",
        ORIGIN,
        "--credentials",
        "--cookie",
        "session=1",
    ]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "credentials-not-allowed");
    assert_eq!(
        out["reason"],
        "the response has no Access-Control-Allow-Credentials, and the request has credentials"
    );
    // The cookie went with the actual request.
    assert_eq!(server.seen()[0].header("cookie"), Some("session=1"));
}

#[test]
fn preflight_refused_with_403() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/preflight-403"),
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "X-Api-Key: k",
        "--credentials",
        "--cookie",
        "session=1",
    ]);
    assert_eq!(status, 1);
    assert_eq!(out["preflight"], json!({"status": 403, "ok": false}));
    assert_eq!(out["status"], json!(null));
    assert_eq!(out["code"], "preflight-status");
    assert_eq!(
        out["reason"],
        "the preflight was answered 403; a browser needs a 2xx status (200-299) for a preflight"
    );
    assert_eq!(
        out["fix"],
        "the server must answer OPTIONS from https://app.example with a 2xx status (200 or 204) and the CORS headers, before any authentication or routing that refuses OPTIONS; if its CORS configuration refused the preflight, allow the method PUT and the request header x-api-key there"
    );
    // Only the preflight was sent, without cookies or the header itself.
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "OPTIONS");
    assert_eq!(seen[0].header("access-control-request-method"), Some("PUT"));
    assert_eq!(
        seen[0].header("access-control-request-headers"),
        Some("x-api-key")
    );
    assert_eq!(seen[0].header("cookie"), None);
    assert_eq!(seen[0].header("x-api-key"), None);
}

#[test]
fn preflight_redirect() {
    let server = fixed();
    let url = server.url("/preflight-redirect");
    let (status, out) = check_json(&[&url, "--origin", ORIGIN, "--method", "DELETE"]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "preflight-redirect");
    assert_eq!(out["preflight"], json!({"status": 307, "ok": false}));
    assert_eq!(
        out["reason"],
        "the preflight was answered with a redirect (307 to /elsewhere); browsers never follow a redirect for a preflight"
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn actual_redirect_same_origin_is_followed() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/redirect-same"), "--origin", ORIGIN]);
    assert_eq!(status, 0, "{out:#}");
    assert_eq!(out["url"], server.url("/target"));
    assert_eq!(out["warnings"], json!([]));
    let seen = server.seen();
    assert_eq!(seen[1].path, "/target");
    assert_eq!(seen[1].header("origin"), Some(ORIGIN));
}

#[test]
fn actual_redirect_cross_origin_taints_the_origin() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/redirect-cross"), "--origin", ORIGIN]);
    assert_eq!(status, 0, "{out:#}");
    assert_eq!(out["warnings"][0]["code"], "tainted-origin");
    // The second request carried Origin: null, and the echoing server
    // allowed it.
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("origin"), Some("null"));
    assert_eq!(out["exchanges"][1]["response"]["headers"][0][1], "null");
}

#[test]
fn actual_redirect_without_allow_origin_is_blocked() {
    let server = fixed();
    let (status, out) = check_json(&[&server.url("/redirect-without-acao"), "--origin", ORIGIN]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "no-allow-origin");
    assert_eq!(out["status"], 302);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn no_follow_names_the_next_url() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/redirect-cross"),
        "--origin",
        ORIGIN,
        "--no-follow",
    ]);
    assert_eq!(status, 1);
    assert_eq!(out["allowed"], false);
    assert_eq!(out["code"], "redirect-not-followed");
    let next = format!("http://localhost:{}/target", server.addr.port());
    assert_eq!(
        out["fix"],
        format!(
            "check the next URL: cors check {next} --origin null --method GET (with the same headers), or follow redirects"
        )
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn method_not_allowed() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/methods"),
        "--origin",
        ORIGIN,
        "--method",
        "delete",
    ]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "method-not-allowed");
    assert_eq!(
        out["reason"],
        "the preflight answer does not allow the method DELETE (Access-Control-Allow-Methods: GET, POST, PUT)"
    );
    assert_eq!(
        out["fix"],
        "add `DELETE` to Access-Control-Allow-Methods in the answer to OPTIONS"
    );
    let (status, _) = check_json(&[
        &server.url("/methods"),
        "--origin",
        ORIGIN,
        "--method",
        "put",
    ]);
    assert_eq!(status, 0);
}

#[test]
fn header_not_allowed() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/headers"),
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "X-A: 1",
        "-H",
        "X-B: 2",
    ]);
    assert_eq!(status, 1);
    assert_eq!(out["code"], "header-not-allowed");
    assert_eq!(
        out["reason"],
        "the preflight answer does not allow the request header `x-b` (Access-Control-Allow-Headers: x-a)"
    );
    assert_eq!(
        server.seen()[0].header("access-control-request-headers"),
        Some("x-a,x-b")
    );
}

#[test]
fn star_covering_authorization_is_allowed_with_a_warning() {
    let server = fixed();
    let (status, out) = check_json(&[
        &server.url("/star-headers"),
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "Authorization: Bearer t",
    ]);
    assert_eq!(status, 0, "{out:#}");
    assert_eq!(out["allowed"], true);
    assert_eq!(
        out["warnings"],
        json!([{
            "code": "authorization-wildcard",
            "text": "`Access-Control-Allow-Headers: *` covers `authorization` only because Chromium and Firefox are laxer than the Fetch standard; this relies on a laxity browsers may drop",
            "fix": "name `authorization` explicitly in Access-Control-Allow-Headers",
        }])
    );
    // With credentials `*` is no wildcard at all.
    let (status, out) = check_json(&[
        &server.url("/star-headers-credentials"),
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "Authorization: Bearer t",
        "--credentials",
    ]);
    assert_eq!(status, 1);
    assert_eq!(
        out["reason"],
        "the preflight answer does not allow the request header `authorization` (Access-Control-Allow-Headers: *); `*` does not count for a request with credentials"
    );
}

#[test]
fn network_and_usage_errors_exit_2() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let output = cors(&["check", &url, "--origin", ORIGIN, "--json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("cors: GET {url}: cannot connect:")),
        "{stderr}"
    );

    for args in [
        &["check", "http://127.0.0.1:1/"][..],
        &["check", "--origin", ORIGIN],
        &[
            "check",
            "http://127.0.0.1:1/",
            "--origin",
            "https://app.example/",
        ],
        &[
            "check",
            "http://127.0.0.1:1/",
            "--origin",
            ORIGIN,
            "--method",
            "TRACE",
        ],
        &[
            "check",
            "http://127.0.0.1:1/",
            "--origin",
            ORIGIN,
            "-H",
            "no colon",
        ],
        &["frobnicate"],
    ] {
        let output = cors(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
    let help = cors(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(
        String::from_utf8(help.stdout)
            .unwrap()
            .contains("cors check URL --origin ORIGIN")
    );
}
