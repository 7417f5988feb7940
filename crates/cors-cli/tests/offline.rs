//! `cors explain` and `cors validate` on policy files.

mod common;

use std::path::PathBuf;

use common::cors;

/// A policy file in a directory of its own, removed when dropped.
struct PolicyFile(PathBuf);

impl PolicyFile {
    fn new(name: &str, text: &str) -> PolicyFile {
        let dir = std::env::temp_dir().join(format!(
            "cors-cli-test-{}-{}",
            std::process::id(),
            name.replace('.', "-")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        PolicyFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for PolicyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

const POLICY: &str = r#"
allow_origins = ["https://app.example.com"]
allow_methods = ["GET", "POST", "PUT"]
allow_headers = ["content-type"]
expose_headers = ["x-total"]

[[routes]]
paths = ["/public/*"]
allow_origins = ["*"]

[[routes]]
paths = ["/admin/*"]
allow_methods = ["DELETE"]
"#;

fn explain(policy: &PolicyFile, args: &[&str]) -> (i32, String) {
    let mut all = vec!["explain", "--policy", policy.path()];
    all.extend_from_slice(args);
    let output = cors(&all);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn explain_an_allowed_request() {
    let policy = PolicyFile::new("allowed.toml", POLICY);
    let (status, text) = explain(
        &policy,
        &[
            "--origin",
            "https://app.example.com",
            "--method",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "--path",
            "/items",
        ],
    );
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("path /items selects no route: the top level applies"),
        "{text}"
    );
    assert!(
        text.contains("> Access-Control-Request-Headers: content-type\n"),
        "{text}"
    );
    assert!(text.contains("engine: answer 204 now\n"), "{text}");
    assert!(
        text.contains("< access-control-allow-methods: PUT\n"),
        "{text}"
    );
    assert!(text.contains("engine: run the handler (200)\n"), "{text}");
    assert!(
        text.ends_with("allowed: a browser allows it\nreadable response headers: none\n"),
        "{text}"
    );
}

#[test]
fn explain_sends_the_path_a_browser_sends() {
    let policy = PolicyFile::new("dots.toml", POLICY);
    // A browser resolves dot segments before sending: the server sees
    // /admin/x, under the top level, which does not list this origin.
    let (status, text) = explain(
        &policy,
        &[
            "--origin",
            "https://anyone.example",
            "--path",
            "/public/../admin/x",
        ],
    );
    assert_eq!(status, 1, "{text}");
    assert!(
        text.contains("a browser sends the path /public/../admin/x as /admin/x"),
        "{text}"
    );
    assert!(
        text.contains("selects the [[routes]] entry with paths = [\"/admin/*\"]"),
        "{text}"
    );
    assert!(
        text.contains("> GET https://server.test/admin/x\n"),
        "{text}"
    );
    // The same origin is allowed on the path the pattern really covers.
    let (status, text) = explain(
        &policy,
        &["--origin", "https://anyone.example", "--path", "/public/x"],
    );
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("selects the [[routes]] entry with paths = [\"/public/*\"]"),
        "{text}"
    );
}

#[test]
fn explain_names_each_policy_fix() {
    let policy = PolicyFile::new("fixes.toml", POLICY);
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &[
                "--origin",
                "https://app.example.com",
                "--method",
                "PUT",
                "-H",
                "X-Api-Key: 1",
            ],
            "engine's reason: request header \"x-api-key\" not allowed\n",
            "policy fix: add \"x-api-key\" to allow_headers\n",
        ),
        (
            &["--origin", "https://app.example.com", "--method", "PATCH"],
            "engine's reason: method \"PATCH\" not allowed\n",
            "policy fix: add \"PATCH\" to allow_methods\n",
        ),
        (
            &["--origin", "https://evil.example"],
            "engine's reason: origin \"https://evil.example\" not allowed\n",
            "policy fix: add \"https://evil.example\" to allow_origins\n",
        ),
        (
            &["--origin", "https://app.example.com", "--credentials"],
            "blocked: the response has no Access-Control-Allow-Credentials, and the request has credentials\n",
            "policy fix: set allow_credentials = true\n",
        ),
        (
            &[
                "--origin",
                "https://app.example.com",
                "--method",
                "PUT",
                "--path",
                "/admin/users",
            ],
            "engine's reason: method \"PUT\" not allowed\n",
            "policy fix: add \"PUT\" to allow_methods in the [[routes]] entry with paths = [\"/admin/*\"]\n",
        ),
    ];
    for (args, reason, fix) in cases {
        let (status, text) = explain(&policy, args);
        assert_eq!(status, 1, "{args:?}\n{text}");
        assert!(text.contains(reason), "{args:?}\n{text}");
        assert!(text.ends_with(fix), "{args:?}\n{text}");
    }
    // A route that inherits the key: the fix goes to the top level.
    let (status, text) = explain(
        &policy,
        &[
            "--origin",
            "https://app.example.com",
            "--method",
            "PUT",
            "-H",
            "X-Api-Key: 1",
            "--path",
            "/admin/x",
        ],
    );
    assert_eq!(status, 1);
    assert!(
        text.contains("selects the [[routes]] entry with paths = [\"/admin/*\"]"),
        "{text}"
    );
    // PUT is not allowed in that route either: the first refusal is the method.
    assert!(text.ends_with("policy fix: add \"PUT\" to allow_methods in the [[routes]] entry with paths = [\"/admin/*\"]\n"), "{text}");
    let (_, text) = explain(
        &policy,
        &[
            "--origin",
            "https://app.example.com",
            "--method",
            "DELETE",
            "-H",
            "X-Api-Key: 1",
            "--path",
            "/admin/x",
        ],
    );
    assert!(text.ends_with("policy fix: add \"x-api-key\" to allow_headers at the top level (the [[routes]] entry with paths = [\"/admin/*\"] inherits it)\n"), "{text}");
    // `*` with credentials in a route.
    let (status, text) = explain(
        &policy,
        &[
            "--origin",
            "https://app.example.com",
            "--credentials",
            "--path",
            "/public/logo.png",
        ],
    );
    assert_eq!(status, 1);
    assert!(text.ends_with("policy fix: replace \"*\" in allow_origins with \"https://app.example.com\" and set allow_credentials = true in the [[routes]] entry with paths = [\"/public/*\"]\n"), "{text}");
}

#[test]
fn explain_shows_both_lookup_outcomes() {
    let policy = PolicyFile::new(
        "lookup.json",
        r#"{"allow_origins": ["https://app.example.com"], "allow_origin_lookup": true}"#,
    );
    let (status, text) = explain(&policy, &["--origin", "https://tenant.example"]);
    assert_eq!(status, 0, "{text}");
    let allows = text
        .find("== if the lookup allows https://tenant.example\n")
        .unwrap();
    let refuses = text
        .find("== if the lookup refuses https://tenant.example\n")
        .unwrap();
    assert!(allows < refuses);
    assert!(
        text[allows..refuses].contains("allowed: a browser allows it\n"),
        "{text}"
    );
    assert!(
        text[refuses..].contains("blocked: the response has no Access-Control-Allow-Origin\n"),
        "{text}"
    );
    assert!(text.ends_with("policy fix: the application's origin lookup must allow https://tenant.example, or add \"https://tenant.example\" to allow_origins\n"), "{text}");
    // A listed origin never asks.
    let (status, text) = explain(&policy, &["--origin", "https://app.example.com"]);
    assert_eq!(status, 0);
    assert!(
        !text.contains("origin lookup") && !text.contains("== if"),
        "{text}"
    );
}

#[test]
fn validate_lists_every_problem() {
    let good = PolicyFile::new("good.toml", POLICY);
    let bad = PolicyFile::new(
        "bad.toml",
        "allow_origins = [\"https://a.example/\"]\nallow_methodz = []\n",
    );
    let bad_json = PolicyFile::new(
        "bad.json",
        r#"{"allow_origins": ["*"], "allow_credentials": true}"#,
    );

    let output = cors(&["validate", good.path()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{}: valid\n", good.path())
    );

    let output = cors(&["validate", good.path(), bad.path(), bad_json.path()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let expected_bad = format!(
        "{}: invalid CORS policy (2 problems):\n  - unknown key `allow_methodz`: did you mean `allow_methods`?\n  - allow_origins: \"https://a.example/\" is not a valid origin: an origin has no trailing slash, so it would never match; write \"https://a.example\"\n",
        bad.path()
    );
    assert!(
        text.starts_with(&format!("{}: valid\n{expected_bad}", good.path())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: invalid CORS policy (1 problem):\n  - ",
            bad_json.path()
        )),
        "{text}"
    );

    // A file that cannot be read is an error of its own.
    let output = cors(&["validate", "/nonexistent/cors.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .starts_with("cors: cannot read /nonexistent/cors.toml:")
    );
}
