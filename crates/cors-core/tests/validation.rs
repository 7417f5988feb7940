//! One test per configuration error: the exact variant, and a message that
//! names the offending value and says how to fix it.

use cors_core::{
    ConfigError, ConfigErrors, OriginProblem, PathProblem, Policy, PolicyBuilder, PolicyConfig,
    RouteConfig,
};

/// The single error of an invalid builder.
fn only_error(builder: PolicyBuilder) -> ConfigError {
    let errors = builder.build().expect_err("the policy must be refused");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    errors.errors()[0].clone()
}

/// The single error of an invalid configuration, read from TOML through
/// `PolicyConfig::build`.
fn only_config_error(toml_text: &str) -> ConfigError {
    let config: PolicyConfig = toml::from_str(toml_text).expect("parses");
    let errors = config.build().expect_err("the policy must be refused");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    errors.errors()[0].clone()
}

fn assert_mentions(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} does not mention {needle:?}"
        );
    }
}

fn origin_problem(value: &str) -> (OriginProblem, String) {
    match only_error(Policy::builder().allow_origins([value])) {
        error @ ConfigError::InvalidOrigin { .. } => {
            let ConfigError::InvalidOrigin { value: v, problem } = &error else {
                unreachable!()
            };
            assert_eq!(v, value);
            (*problem, error.to_string())
        }
        other => panic!("{value}: expected InvalidOrigin, got {other:?}"),
    }
}

// ---------------------------------------------------------------- valid policies

#[test]
fn defaults_and_reasonable_policies_build() {
    Policy::builder().build().unwrap();
    let config: PolicyConfig = toml::from_str("").unwrap();
    config.build().unwrap();
    Policy::builder()
        .allow_origins([
            "https://a.example",
            "https://*.b.example",
            "http://localhost:*",
            "null",
        ])
        .allow_origin_regex([r"https://[a-z]+\.c\.example"])
        .allow_methods(["GET", "PUT", "PATCH", "patch", "PURGE"])
        .allow_headers(["authorization", "X-Request-Id"])
        .expose_headers(["x-request-id"])
        .max_age(0)
        .preflight_status(200)
        .build()
        .unwrap();
}

// ---------------------------------------------------------------- credentials and private network

#[test]
fn credentials_with_any_origin() {
    let error = only_error(
        Policy::builder()
            .allow_origins(["*"])
            .allow_credentials(true),
    );
    assert_eq!(error, ConfigError::CredentialsWithAnyOrigin);
    assert_mentions(
        &error.to_string(),
        &["allow_credentials", "\"*\"", "list the trusted origins"],
    );
}

#[test]
fn credentials_with_null_origin() {
    let error = only_error(
        Policy::builder()
            .allow_origins(["https://a.example", "null"])
            .allow_credentials(true),
    );
    assert_eq!(error, ConfigError::CredentialsWithNullOrigin);
    assert_mentions(
        &error.to_string(),
        &["\"null\"", "remove \"null\"", "allow_credentials = false"],
    );
}

#[test]
fn credentials_with_expose_all() {
    let error = only_error(
        Policy::builder()
            .allow_origins(["https://a.example"])
            .expose_headers(["*"])
            .allow_credentials(true),
    );
    assert_eq!(error, ConfigError::CredentialsWithExposeAll);
    assert_mentions(
        &error.to_string(),
        &["expose_headers", "\"*\"", "list the headers"],
    );
    // Without credentials, `*` is fine.
    Policy::builder()
        .allow_origins(["https://a.example"])
        .expose_headers(["*"])
        .build()
        .unwrap();
}

#[test]
fn private_network_with_any_origin() {
    let error = only_error(
        Policy::builder()
            .allow_origins(["*"])
            .allow_private_network(true),
    );
    assert_eq!(error, ConfigError::PrivateNetworkWithAnyOrigin);
    assert_mentions(
        &error.to_string(),
        &["allow_private_network", "\"*\"", "list the trusted origins"],
    );
}

#[test]
fn any_origin_with_other_origins() {
    let error = only_error(Policy::builder().allow_origins(["*", "https://a.example"]));
    assert_eq!(
        error,
        ConfigError::AnyOriginWithOthers {
            other: "https://a.example".into()
        }
    );
    assert_mentions(
        &error.to_string(),
        &["\"https://a.example\"", "remove \"*\""],
    );

    let error = only_error(Policy::builder().allow_origins(["null", "*"]));
    assert_eq!(
        error,
        ConfigError::AnyOriginWithOthers {
            other: "null".into()
        }
    );

    let error = only_error(
        Policy::builder()
            .allow_origins(["*"])
            .allow_origin_regex(["https://x"]),
    );
    assert_eq!(
        error,
        ConfigError::AnyOriginWithOthers {
            other: "https://x".into()
        }
    );

    let error = only_error(
        Policy::builder()
            .allow_origins(["*"])
            .allow_origin_predicate(|_, _| true),
    );
    assert!(
        matches!(error, ConfigError::AnyOriginWithOthers { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------- origin problems

#[test]
fn origin_missing_scheme() {
    let (problem, message) = origin_problem("app.example.com");
    assert_eq!(problem, OriginProblem::MissingScheme);
    assert_mentions(
        &message,
        &["\"app.example.com\"", "\"https://app.example.com\""],
    );
}

#[test]
fn origin_with_path() {
    let (problem, message) = origin_problem("https://app.example.com/api");
    assert_eq!(problem, OriginProblem::Path);
    assert_mentions(
        &message,
        &[
            "\"https://app.example.com/api\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_with_trailing_slash() {
    let (problem, message) = origin_problem("https://app.example.com/");
    assert_eq!(problem, OriginProblem::TrailingSlash);
    assert_mentions(
        &message,
        &[
            "\"https://app.example.com/\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_with_query() {
    let (problem, message) = origin_problem("https://app.example.com?x=1");
    assert_eq!(problem, OriginProblem::Query);
    assert_mentions(
        &message,
        &[
            "\"https://app.example.com?x=1\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_with_fragment() {
    let (problem, message) = origin_problem("https://app.example.com#top");
    assert_eq!(problem, OriginProblem::Fragment);
    assert_mentions(
        &message,
        &[
            "\"https://app.example.com#top\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_with_userinfo() {
    let (problem, message) = origin_problem("https://me@app.example.com");
    assert_eq!(problem, OriginProblem::Userinfo);
    assert_mentions(&message, &["\"https://me@app.example.com\"", "remove it"]);
}

#[test]
fn origin_with_default_https_port() {
    let (problem, message) = origin_problem("https://app.example.com:443");
    assert_eq!(problem, OriginProblem::DefaultPort);
    assert_mentions(
        &message,
        &[
            "\"https://app.example.com:443\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_with_default_http_port() {
    let (problem, message) = origin_problem("http://app.example.com:80");
    assert_eq!(problem, OriginProblem::DefaultPort);
    assert_mentions(
        &message,
        &[
            "\"http://app.example.com:80\"",
            "write \"http://app.example.com\"",
        ],
    );
    // A non-default port is fine, and so is 443 on http.
    Policy::builder()
        .allow_origins(["http://app.example.com:443", "https://app.example.com:80"])
        .build()
        .unwrap();
}

#[test]
fn origin_with_misplaced_wildcard() {
    for value in [
        "https://ex*ample.com",
        "https://a.*.example.com",
        "https://*example.com",
        "https://example.com:8*",
    ] {
        let (problem, message) = origin_problem(value);
        assert_eq!(problem, OriginProblem::MisplacedWildcard, "{value}");
        assert_mentions(&message, &[value, "allow_origin_regex"]);
    }
    // A wildcard scheme is not a scheme.
    assert_eq!(
        origin_problem("*://example.com").0,
        OriginProblem::InvalidScheme
    );
}

#[test]
fn origin_wildcard_over_top_level_domain() {
    let (problem, message) = origin_problem("https://*.com");
    assert_eq!(problem, OriginProblem::WildcardOverTopLevelDomain);
    assert_mentions(&message, &["\"https://*.com\"", "https://*.example.com"]);
}

#[test]
fn origin_wildcard_over_ip_address() {
    let (problem, message) = origin_problem("https://*.10.0.0.1");
    assert_eq!(problem, OriginProblem::WildcardOverIpAddress);
    assert_mentions(&message, &["\"https://*.10.0.0.1\"", "exact origin"]);
}

#[test]
fn origin_upper_case_with_lowercase_hint() {
    let (problem, message) = origin_problem("https://App.Example.COM");
    assert_eq!(problem, OriginProblem::UpperCase);
    assert_mentions(
        &message,
        &[
            "\"https://App.Example.COM\"",
            "write \"https://app.example.com\"",
        ],
    );
}

#[test]
fn origin_non_ascii_host() {
    let (problem, message) = origin_problem("https://bücher.example");
    assert_eq!(problem, OriginProblem::NonAsciiHost);
    assert_mentions(
        &message,
        &["\"https://bücher.example\"", "punycode", "xn--"],
    );
}

#[test]
fn origin_empty_too_long_and_other_syntax() {
    assert_eq!(origin_problem("").0, OriginProblem::Empty);
    let long = format!("https://{}.example", "a".repeat(600));
    assert_eq!(origin_problem(&long).0, OriginProblem::TooLong);
    assert_eq!(
        origin_problem("1https://a.example").0,
        OriginProblem::InvalidScheme
    );
    assert_eq!(origin_problem("https://").0, OriginProblem::EmptyHost);
    assert_eq!(
        origin_problem("https://a..example").0,
        OriginProblem::InvalidHost
    );
    assert_eq!(
        origin_problem("https://a.example:0443").0,
        OriginProblem::InvalidPort
    );
    assert_eq!(
        origin_problem("https://a.example:65536").0,
        OriginProblem::InvalidPort
    );
}

// ---------------------------------------------------------------- regex

#[test]
fn invalid_regex_carries_the_regex_crate_message() {
    let pattern = r"https://(unclosed\.example";
    let error = only_error(Policy::builder().allow_origin_regex([pattern]));
    let regex_message = regex::Regex::new(pattern).unwrap_err().to_string();
    let ConfigError::InvalidRegex {
        pattern: p,
        message,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(p, pattern);
    assert_eq!(message, &regex_message);
    assert_mentions(
        &error.to_string(),
        &[pattern, "allow_origin_regex", &regex_message],
    );
}

// ---------------------------------------------------------------- methods

#[test]
fn invalid_method_token() {
    for value in ["GET POST", "", "PUT,", "DÉLÉTÉ"] {
        let error = only_error(Policy::builder().allow_methods([value]));
        assert_eq!(
            error,
            ConfigError::InvalidMethod {
                value: value.into()
            }
        );
        assert_mentions(
            &error.to_string(),
            &[&format!("\"{value}\""), "token", "\"*\""],
        );
    }
}

#[test]
fn forbidden_methods_in_any_case() {
    for value in ["CONNECT", "TRACE", "TRACK", "connect", "Trace", "track"] {
        let error = only_error(Policy::builder().allow_methods([value]));
        assert_eq!(
            error,
            ConfigError::ForbiddenMethod {
                value: value.into()
            }
        );
        assert_mentions(&error.to_string(), &[&format!("\"{value}\""), "remove it"]);
    }
}

#[test]
fn lowercase_standard_method_is_refused_with_uppercase_hint() {
    let error = only_error(Policy::builder().allow_methods(["get"]));
    assert_eq!(
        error,
        ConfigError::MethodCase {
            value: "get".into()
        }
    );
    assert_mentions(&error.to_string(), &["\"get\"", "write \"GET\""]);
    for value in ["delete", "Put", "options", "head", "post"] {
        let error = only_error(Policy::builder().allow_methods([value]));
        assert_eq!(
            error,
            ConfigError::MethodCase {
                value: value.into()
            }
        );
    }
    // `patch` is not normalized by browsers, so it is a distinct method.
    Policy::builder()
        .allow_methods(["patch", "PATCH"])
        .build()
        .unwrap();
}

// ---------------------------------------------------------------- headers

#[test]
fn invalid_header_names() {
    let error = only_error(Policy::builder().allow_headers(["x request id"]));
    assert_eq!(
        error,
        ConfigError::InvalidHeaderName {
            key: "allow_headers",
            value: "x request id".into()
        }
    );
    assert_mentions(
        &error.to_string(),
        &["allow_headers", "\"x request id\"", "x-request-id"],
    );

    let error = only_error(Policy::builder().expose_headers(["x-total:"]));
    assert_eq!(
        error,
        ConfigError::InvalidHeaderName {
            key: "expose_headers",
            value: "x-total:".into()
        }
    );
    assert_mentions(&error.to_string(), &["expose_headers", "\"x-total:\""]);
}

#[test]
fn forbidden_request_headers_in_allow_headers() {
    for value in [
        "cookie",
        "Host",
        "origin",
        "sec-fetch-mode",
        "Proxy-Authorization",
        "content-length",
    ] {
        let error = only_error(Policy::builder().allow_headers([value]));
        assert_eq!(
            error,
            ConfigError::ForbiddenRequestHeader {
                value: value.into()
            }
        );
        assert_mentions(
            &error.to_string(),
            &["allow_headers", &format!("\"{value}\""), "remove it"],
        );
    }
    // `authorization` can be set by a script, so it may be allowed.
    Policy::builder()
        .allow_headers(["authorization"])
        .build()
        .unwrap();
}

#[test]
fn set_cookie_in_expose_headers() {
    for value in ["set-cookie", "Set-Cookie", "set-cookie2"] {
        let error = only_error(Policy::builder().expose_headers([value]));
        assert_eq!(
            error,
            ConfigError::ForbiddenResponseHeader {
                value: value.into()
            }
        );
        assert_mentions(
            &error.to_string(),
            &["expose_headers", &format!("\"{value}\""), "remove it"],
        );
    }
}

// ---------------------------------------------------------------- numbers

#[test]
fn max_age_above_a_day() {
    let error = only_error(Policy::builder().max_age(86_401));
    assert_eq!(error, ConfigError::MaxAgeOutOfRange { value: 86_401 });
    assert_mentions(&error.to_string(), &["max_age", "86401", "0 to 86400"]);
    Policy::builder().max_age(86_400).build().unwrap();
    Policy::builder().max_age(0).build().unwrap();
}

#[test]
fn preflight_status_other_than_200_or_204() {
    let error = only_error(Policy::builder().preflight_status(201));
    assert_eq!(error, ConfigError::InvalidPreflightStatus { value: 201 });
    assert_mentions(
        &error.to_string(),
        &["preflight_status", "201", "204", "200"],
    );
    let error = only_config_error("preflight_status = 404");
    assert_eq!(error, ConfigError::InvalidPreflightStatus { value: 404 });
    Policy::builder().preflight_status(200).build().unwrap();
    Policy::builder().preflight_status(204).build().unwrap();
}

// ---------------------------------------------------------------- unknown keys

#[test]
fn unknown_key_from_toml_suggests_the_key() {
    let error = only_config_error(r#"allowed_origins = ["https://a.example"]"#);
    assert_eq!(
        error,
        ConfigError::UnknownKey {
            key: "allowed_origins".into(),
            suggestion: Some("allow_origins")
        }
    );
    assert_mentions(
        &error.to_string(),
        &["`allowed_origins`", "did you mean `allow_origins`?"],
    );
}

#[test]
fn unknown_key_from_json_suggests_the_key() {
    let config: PolicyConfig =
        serde_json::from_str(r#"{"allowedOrigins": ["https://a.example"], "maxAge": 60}"#).unwrap();
    let errors = config.build().unwrap_err();
    assert_eq!(
        errors.errors(),
        [
            ConfigError::UnknownKey {
                key: "allowedOrigins".into(),
                suggestion: Some("allow_origins")
            },
            ConfigError::UnknownKey {
                key: "maxAge".into(),
                suggestion: Some("max_age")
            },
        ]
    );
    assert_mentions(
        &errors.to_string(),
        &["did you mean `allow_origins`?", "did you mean `max_age`?"],
    );
}

#[test]
fn unknown_key_without_suggestion_lists_the_keys() {
    let error = only_config_error(r#"database_url = "postgres://""#);
    assert_eq!(
        error,
        ConfigError::UnknownKey {
            key: "database_url".into(),
            suggestion: None
        }
    );
    assert_mentions(
        &error.to_string(),
        &[
            "`database_url`",
            "allow_origins",
            "block_disallowed_origins",
        ],
    );
}

// ---------------------------------------------------------------- all at once

const FIVE_PROBLEMS: &str = r#"
allowed_methods = ["GET"]
allow_origins = ["https://a.example/"]
allow_methods = ["TRACE"]
allow_headers = ["cookie"]
max_age = 100000
"#;

#[test]
fn every_problem_is_reported_at_once() {
    let config: PolicyConfig = toml::from_str(FIVE_PROBLEMS).unwrap();
    let errors: ConfigErrors = config.build().unwrap_err();
    let errors = errors.errors();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors.contains(&ConfigError::UnknownKey {
        key: "allowed_methods".into(),
        suggestion: Some("allow_methods"),
    }));
    assert!(errors.contains(&ConfigError::InvalidOrigin {
        value: "https://a.example/".into(),
        problem: OriginProblem::TrailingSlash,
    }));
    assert!(errors.contains(&ConfigError::ForbiddenMethod {
        value: "TRACE".into()
    }));
    assert!(errors.contains(&ConfigError::ForbiddenRequestHeader {
        value: "cookie".into()
    }));
    assert!(errors.contains(&ConfigError::MaxAgeOutOfRange { value: 100_000 }));
}

#[test]
fn builder_reports_every_problem_at_once() {
    let errors = Policy::builder()
        .allow_origins(["*", "null"])
        .allow_credentials(true)
        .allow_private_network(true)
        .allow_methods(["get"])
        .expose_headers(["*", "set-cookie"])
        .max_age(86_401)
        .preflight_status(201)
        .build()
        .unwrap_err();
    assert_eq!(
        errors.errors(),
        [
            ConfigError::AnyOriginWithOthers {
                other: "null".into()
            },
            ConfigError::CredentialsWithAnyOrigin,
            ConfigError::PrivateNetworkWithAnyOrigin,
            ConfigError::CredentialsWithNullOrigin,
            ConfigError::MethodCase {
                value: "get".into()
            },
            ConfigError::ForbiddenResponseHeader {
                value: "set-cookie".into()
            },
            ConfigError::CredentialsWithExposeAll,
            ConfigError::MaxAgeOutOfRange { value: 86_401 },
            ConfigError::InvalidPreflightStatus { value: 201 },
        ]
    );
    let text = errors.to_string();
    assert!(
        text.starts_with("invalid CORS policy (9 problems):"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 10, "{text}");
}

#[test]
fn toml_policy_error_lists_every_problem() {
    let error = toml::from_str::<Policy>(FIVE_PROBLEMS)
        .unwrap_err()
        .to_string();
    assert_mentions(
        &error,
        &[
            "5 problems",
            "`allowed_methods`",
            "did you mean `allow_methods`?",
            "\"https://a.example/\"",
            "\"TRACE\"",
            "\"cookie\"",
            "max_age: 100000",
        ],
    );
}

#[test]
fn json_policy_error_lists_every_problem() {
    let error = serde_json::from_str::<Policy>(
        r#"{"allow_origins": ["https://A.example"], "allow_credentials": true, "expose_headers": ["*"]}"#,
    )
    .unwrap_err()
    .to_string();
    assert_mentions(
        &error,
        &[
            "2 problems",
            "\"https://A.example\"",
            "write \"https://a.example\"",
            "expose_headers",
        ],
    );
}

#[test]
fn valid_toml_policy_deserializes() {
    let policy: Policy = toml::from_str(
        r#"
allow_origins = ["https://a.example"]
allow_origin_regex = 'https://[a-z]+\.b\.example'
allow_credentials = true
max_age = 60
"#,
    )
    .unwrap();
    assert!(policy.allows_credentials());
    assert!(!policy.allows_any_origin());
}

#[test]
fn unicode_regex_class_is_refused_with_the_ascii_hint() {
    // Origins are ASCII, so the regexes are compiled without Unicode
    // classes; a pattern the `regex` crate accepts can still be refused.
    let pattern = r"https://\p{L}+\.example";
    let error = only_error(Policy::builder().allow_origin_regex([pattern]));
    let ConfigError::InvalidRegex { pattern: p, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(p, pattern);
    assert_mentions(&error.to_string(), &[pattern, "ASCII"]);
    // ASCII classes are fine.
    Policy::builder()
        .allow_origin_regex([r"https://\w+\.example", r"http://localhost:\d+"])
        .build()
        .unwrap();
}

// ---------------------------------------------------------------- origin lookups

#[test]
fn null_lookup_without_lookup() {
    let error = only_error(Policy::builder().lookup_null_origin(true));
    assert_eq!(error, ConfigError::NullLookupWithoutLookup);
    assert_mentions(
        &error.to_string(),
        &[
            "lookup_null_origin = true",
            "set allow_origin_lookup = true",
        ],
    );
    Policy::builder()
        .allow_origin_lookup(true)
        .lookup_null_origin(true)
        .build()
        .unwrap();
}

#[test]
fn credentials_with_null_lookup() {
    let error = only_error(
        Policy::builder()
            .allow_origin_lookup(true)
            .lookup_null_origin(true)
            .allow_credentials(true),
    );
    assert_eq!(error, ConfigError::CredentialsWithNullLookup);
    assert_mentions(
        &error.to_string(),
        &[
            "allow_credentials = true",
            "lookup_null_origin",
            "sandboxed",
        ],
    );
    // Credentials with a lookup that never sees `null` are fine.
    Policy::builder()
        .allow_origin_lookup(true)
        .allow_credentials(true)
        .build()
        .unwrap();
}

#[test]
fn any_origin_with_an_origin_lookup() {
    let error = only_error(
        Policy::builder()
            .allow_origins(["*"])
            .allow_origin_lookup(true),
    );
    assert_eq!(
        error,
        ConfigError::AnyOriginWithOthers {
            other: "allow_origin_lookup = true".into()
        }
    );
    assert_mentions(&error.to_string(), &["\"*\"", "allow_origin_lookup = true"]);
}

// ---------------------------------------------------------------- routes

/// The single error of a policy, which must be a route's: its index, the
/// problem, and its message.
fn only_route_error(builder: PolicyBuilder) -> (usize, ConfigError, String) {
    match only_error(builder) {
        error @ ConfigError::Route { .. } => {
            let text = error.to_string();
            let ConfigError::Route { index, error, .. } = error else {
                unreachable!()
            };
            (index, *error, text)
        }
        other => panic!("expected a route's error, got {other:?}"),
    }
}

#[test]
fn invalid_path_for_each_problem() {
    for (pattern, problem, hint) in [
        ("metrics", PathProblem::NoLeadingSlash, "write \"/metrics\""),
        ("/a?b", PathProblem::QueryOrFragment, "never the query"),
        ("/a#b", PathProblem::QueryOrFragment, "never the query"),
        ("/a*", PathProblem::MisplacedWildcard, "\"/prefix/*\""),
        ("/*/a", PathProblem::MisplacedWildcard, "\"/prefix/*\""),
        ("/a/**", PathProblem::MisplacedWildcard, "\"/prefix/*\""),
        ("/a/", PathProblem::TrailingSlash, "write \"/a\""),
        ("/a/../b", PathProblem::Ambiguous, "dot segment"),
        ("/a//b", PathProblem::Ambiguous, "empty segment"),
        ("/a%2Fb", PathProblem::Ambiguous, "percent-encoded"),
        ("/a\\b", PathProblem::Ambiguous, "backslash"),
        ("/a b", PathProblem::InvalidByte, "visible ASCII"),
        ("/caf\u{e9}", PathProblem::InvalidByte, "visible ASCII"),
    ] {
        let (index, error, text) =
            only_route_error(Policy::builder().route(RouteConfig::new([pattern])));
        assert_eq!(index, 0);
        assert_eq!(
            error,
            ConfigError::InvalidPath {
                value: pattern.into(),
                problem
            },
            "{pattern:?}"
        );
        assert!(
            text.starts_with(&format!("routes[0].paths: \"{pattern}\"")),
            "{text}"
        );
        assert_mentions(&text, &["not a valid path pattern", hint]);
        // A path problem involves no inherited key.
        assert!(!text.contains("inherited"), "{text}");
    }
}

#[test]
fn a_route_without_paths() {
    let (index, error, text) = only_route_error(
        Policy::builder()
            .route(RouteConfig::new(["/a"]))
            .route(RouteConfig::new(Vec::<String>::new()).allow_credentials(true)),
    );
    assert_eq!((index, error), (1, ConfigError::NoPaths));
    assert!(text.starts_with("routes[1].paths: "), "{text}");
    assert_mentions(&text, &["at least one path pattern"]);

    let config: PolicyConfig = toml::from_str("[[routes]]\nallow_origins = []\n").unwrap();
    let errors = config.build().unwrap_err();
    assert_eq!(errors.errors().len(), 1, "{errors}");
    assert_mentions(&errors.to_string(), &["routes[0].paths: "]);
}

#[test]
fn duplicate_path_names_the_other_route() {
    let (index, error, text) = only_route_error(
        Policy::builder()
            .route(RouteConfig::new(["/a/*", "/b"]))
            .route(RouteConfig::new(["/c"]))
            .route(RouteConfig::new(["/a/*"])),
    );
    assert_eq!(
        (index, error),
        (
            2,
            ConfigError::DuplicatePath {
                value: "/a/*".into(),
                other: 0
            }
        )
    );
    assert!(text.starts_with("routes[2].paths: \"/a/*\""), "{text}");
    assert_mentions(&text, &["also in routes[0]", "merge"]);

    // Twice in one route.
    let (index, error, text) =
        only_route_error(Policy::builder().route(RouteConfig::new(["/x", "/x"])));
    assert_eq!(
        (index, error),
        (
            0,
            ConfigError::DuplicatePath {
                value: "/x".into(),
                other: 0
            }
        )
    );
    assert_eq!(
        text, "routes[0].paths: \"/x\" is listed twice; remove one",
        "{text}"
    );

    // An exact pattern and the prefix of the same path are different
    // patterns.
    Policy::builder()
        .route(RouteConfig::new(["/a"]))
        .route(RouteConfig::new(["/a/*"]))
        .build()
        .unwrap();
}

#[test]
fn unknown_key_in_a_route_suggests_the_route_key() {
    let config: PolicyConfig = toml::from_str(
        r#"
        [[routes]]
        paths = ["/a"]
        allowed_origins = ["https://a.example"]
        "#,
    )
    .unwrap();
    let errors = config.build().unwrap_err();
    assert_eq!(
        errors.errors(),
        [ConfigError::Route {
            index: 0,
            error: Box::new(ConfigError::UnknownKey {
                key: "allowed_origins".into(),
                suggestion: Some("allow_origins"),
            }),
            inherited: errors_inherited(&errors),
        }]
    );
    assert_mentions(
        &errors.to_string(),
        &["routes[0]: unknown key `allowed_origins`: did you mean `allow_origins`?"],
    );

    // `path` is a route key's slip; `routes` is no route key.
    let config: PolicyConfig =
        serde_json::from_str(r#"{"routes": [{"paths": ["/a"]}, {"path": ["/b"], "routes": []}]}"#)
            .unwrap();
    let errors = config.build().unwrap_err();
    let texts: Vec<String> = errors.errors().iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert_eq!(
        texts[0], "routes[1]: unknown key `path`: did you mean `paths`?",
        "{texts:#?}"
    );
    assert!(
        texts[1].starts_with("routes[1]: unknown key `routes`; a route's keys are paths, "),
        "{texts:#?}"
    );
    assert!(!texts[1].ends_with("routes"), "{texts:#?}");
    assert_eq!(
        texts[2],
        "routes[1].paths: a route needs at least one path pattern, such as \"/api/*\" or \"/metrics\""
    );
}

/// The `inherited` list of a policy's single route error.
fn errors_inherited(errors: &ConfigErrors) -> Vec<&'static str> {
    match &errors.errors()[0] {
        ConfigError::Route { inherited, .. } => inherited.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn route_errors_name_the_route_and_the_inherited_keys() {
    // The route sets "*"; credentials come from the top level.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .allow_credentials(true)
            .route(RouteConfig::new(["/a"]))
            .route(RouteConfig::new(["/public/*"]).allow_origins(["*"])),
    );
    assert_eq!((index, error), (1, ConfigError::CredentialsWithAnyOrigin));
    assert!(
        text.starts_with("routes[1].allow_credentials = true cannot be combined"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "(allow_credentials inherited from the top level; set it in this route to override)"
        ),
        "{text}"
    );

    // The route sets credentials; "*" comes from the top level.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .allow_origins(["*"])
            .route(RouteConfig::new(["/private/*"]).allow_credentials(true)),
    );
    assert_eq!((index, error), (0, ConfigError::CredentialsWithAnyOrigin));
    assert_mentions(
        &text,
        &["routes[0].allow_credentials", "(allow_origins inherited"],
    );

    // Both from the route: nothing inherited to mention.
    let (_, _, text) = only_route_error(
        Policy::builder().route(
            RouteConfig::new(["/a"])
                .allow_origins(["*"])
                .allow_credentials(true),
        ),
    );
    assert!(!text.contains("inherited"), "{text}");

    // A route's own invalid value.
    let (index, error, text) = only_route_error(
        Policy::builder().route(RouteConfig::new(["/a"]).allow_origins(["https://a.example/"])),
    );
    assert_eq!(index, 0);
    assert!(
        matches!(error, ConfigError::InvalidOrigin { .. }),
        "{error:?}"
    );
    assert!(
        text.starts_with("routes[0].allow_origins: \"https://a.example/\""),
        "{text}"
    );
}

#[test]
fn a_route_with_its_own_origin_rules_inherits_none_of_the_others() {
    // The top level's lookup does not come along to conflict with `*`.
    let policy = Policy::builder()
        .allow_origins(["https://app.example"])
        .allow_origin_lookup(true)
        .lookup_null_origin(true)
        .route(RouteConfig::new(["/public/*"]).allow_origins(["*"]))
        .route(RouteConfig::new(["/a"]).allow_origin_lookup(false))
        .build()
        .unwrap();
    assert!(policy.uses_origin_lookup());
    // Within the route's own keys, the conflict is still refused, and
    // nothing is said to be inherited.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .allow_origins(["https://app.example"])
            .route(
                RouteConfig::new(["/public/*"])
                    .allow_origins(["*"])
                    .allow_origin_lookup(true),
            ),
    );
    assert_eq!(
        (index, error),
        (
            0,
            ConfigError::AnyOriginWithOthers {
                other: "allow_origin_lookup = true".into()
            }
        )
    );
    assert!(text.starts_with("routes[0].allow_origins"), "{text}");
    assert!(!text.contains("inherited"), "{text}");
}

#[test]
fn route_lookup_errors() {
    let (index, error, text) = only_route_error(
        Policy::builder().route(RouteConfig::new(["/a"]).lookup_null_origin(true)),
    );
    assert_eq!((index, error), (0, ConfigError::NullLookupWithoutLookup));
    assert_mentions(&text, &["routes[0]", "allow_origin_lookup = true"]);

    // The route inherits the lookup of `null` and sets credentials itself.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .allow_origin_lookup(true)
            .lookup_null_origin(true)
            .route(RouteConfig::new(["/a"]).allow_credentials(true)),
    );
    assert_eq!((index, error), (0, ConfigError::CredentialsWithNullLookup));
    assert_mentions(&text, &["routes[0]", "(lookup_null_origin inherited"]);
}

#[test]
fn a_problem_made_only_of_inherited_values_is_reported_once() {
    let errors = Policy::builder()
        .allow_origins(["*", "https://a.example/"])
        .allow_credentials(true)
        .route(RouteConfig::new(["/a"]))
        .route(RouteConfig::new(["/b/*"]).allow_methods(["PUT"]))
        .route(RouteConfig::new(["/c"]).max_age(5))
        .build()
        .unwrap_err();
    assert_eq!(
        errors.errors(),
        [
            ConfigError::InvalidOrigin {
                value: "https://a.example/".into(),
                problem: OriginProblem::TrailingSlash,
            },
            ConfigError::AnyOriginWithOthers {
                other: "https://a.example/".into()
            },
            ConfigError::CredentialsWithAnyOrigin,
        ],
        "{errors}"
    );
    assert!(!errors.to_string().contains("routes["), "{errors}");
}

#[test]
fn every_route_problem_is_listed_at_once() {
    let config: PolicyConfig = toml::from_str(
        r#"
        allow_origins = ["https://app.example"]

        [[routes]]
        paths = ["/a/"]

        [[routes]]
        paths = ["/b"]
        alow_methods = ["PUT"]

        [[routes]]
        paths = ["/c"]
        max_age = 100000
        "#,
    )
    .unwrap();
    let errors = config.build().unwrap_err();
    let indices: Vec<usize> = errors
        .errors()
        .iter()
        .map(|error| match error {
            ConfigError::Route { index, .. } => *index,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(indices, [0, 1, 2], "{errors}");
    let text = errors.to_string();
    assert!(
        text.starts_with("invalid CORS policy (3 problems):"),
        "{text}"
    );
    assert_mentions(
        &text,
        &[
            "routes[0].paths: \"/a/\"",
            "routes[1]: unknown key `alow_methods`: did you mean `allow_methods`?",
            "routes[2].max_age: 100000 is out of range",
        ],
    );

    // Through serde, the same list.
    let error = toml::from_str::<Policy>(
        r#"
        allow_origins = ["https://app.example/"]
        [[routes]]
        paths = ["a"]
        [[routes]]
        paths = ["/b"]
        allow_methods = ["get"]
        "#,
    )
    .unwrap_err()
    .to_string();
    assert_mentions(
        &error,
        &[
            "3 problems",
            "allow_origins: \"https://app.example/\"",
            "routes[0].paths: \"a\"",
            "routes[1].allow_methods: \"get\"",
        ],
    );
}

#[test]
fn a_routes_own_invalid_header_name_is_reported_whichever_list_it_is_in() {
    // Its own expose list, the allow list inherited.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .allow_headers(["x-ok"])
            .route(RouteConfig::new(["/a"]).expose_headers(["bad header"])),
    );
    assert_eq!(index, 0);
    assert!(
        matches!(
            error,
            ConfigError::InvalidHeaderName {
                key: "expose_headers",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!text.contains("inherited"), "{text}");

    // Its own allow list, the expose list inherited.
    let (index, error, text) = only_route_error(
        Policy::builder()
            .expose_headers(["x-ok"])
            .route(RouteConfig::new(["/a"]).allow_headers(["bad header"])),
    );
    assert_eq!(index, 0);
    assert!(
        matches!(
            error,
            ConfigError::InvalidHeaderName {
                key: "allow_headers",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!text.contains("inherited"), "{text}");
}

#[test]
fn config_errors_iterate_in_order() {
    let errors = Policy::builder()
        .allow_origins(["https://a.example/"])
        .allow_methods(["get"])
        .max_age(100_000)
        .build()
        .expect_err("three problems");
    let listed: Vec<ConfigError> = errors.errors().to_vec();
    assert_eq!(listed.len(), 3, "{errors}");
    let iterated: Vec<ConfigError> = errors.into_iter().collect();
    assert_eq!(iterated, listed);
}

#[test]
fn the_hint_for_a_path_query_or_fragment_keeps_exactly_the_authority() {
    // Short schemes and several path segments: the hint cuts at the first
    // `/`, `?` or `#` after `://`, not anywhere else.
    for (value, problem, fixed) in [
        ("http://a.b/x/y", OriginProblem::Path, "http://a.b"),
        (
            "ws://h.example/a/b/c",
            OriginProblem::Path,
            "ws://h.example",
        ),
        ("http://a.b:8080/x", OriginProblem::Path, "http://a.b:8080"),
        ("http://a.b?q=/x", OriginProblem::Query, "http://a.b"),
        ("http://a.b#/x", OriginProblem::Fragment, "http://a.b"),
    ] {
        let (found, message) = origin_problem(value);
        assert_eq!(found, problem, "{value}");
        assert_mentions(&message, &[&format!("write \"{fixed}\"")]);
    }
}

#[test]
fn origin_problems_display_their_explanation() {
    assert_eq!(OriginProblem::EmptyHost.to_string(), "the host is empty");
    assert_eq!(
        OriginProblem::Userinfo.to_string(),
        "an origin has no `user@` part; remove it"
    );
    assert_mentions(&OriginProblem::TooLong.to_string(), &["512 bytes"]);
    // The Display of a problem is the sentence the configuration error
    // carries for the same value-free problems.
    let (problem, message) = origin_problem("https://");
    assert_eq!(problem, OriginProblem::EmptyHost);
    assert_mentions(&message, &[&problem.to_string()]);
}

#[test]
fn an_origin_pattern_of_exactly_the_length_limit_is_accepted() {
    // 512 bytes is the limit, for configured origins as for requests.
    let origin_of = |len: usize| {
        let label = "a".repeat(len - "https://".len() - ".example".len());
        format!("https://{label}.example")
    };
    let longest = origin_of(512);
    assert_eq!(longest.len(), 512);
    let policy = Policy::builder()
        .allow_origins([longest.as_str()])
        .build()
        .expect("512 bytes is not too long");
    let mut request = cors_core::RequestParts::new("GET");
    request.add_header("origin", longest.as_bytes());
    assert!(policy.evaluate(&request).is_allowed());

    let (problem, message) = origin_problem(&origin_of(513));
    assert_eq!(problem, OriginProblem::TooLong);
    assert_mentions(&message, &["longer than 512 bytes"]);
}

#[test]
fn origin_with_the_default_ftp_port() {
    // ftp is one of the schemes whose default port browsers leave out.
    let (problem, message) = origin_problem("ftp://files.example:21");
    assert_eq!(problem, OriginProblem::DefaultPort);
    assert_mentions(&message, &["write \"ftp://files.example\""]);
    // Any other port is kept, and the default of other schemes is not 21.
    Policy::builder()
        .allow_origins(["ftp://files.example:2121", "https://files.example:21"])
        .build()
        .expect("non-default ports are valid");
}

#[test]
fn a_policy_with_routes_and_an_unknown_top_level_key_is_refused() {
    let config: PolicyConfig = toml::from_str(
        r#"
        allowed_origins = ["https://a.example"]
        [[routes]]
        paths = ["/a"]
        allow_origins = ["https://b.example"]
        "#,
    )
    .unwrap();
    let errors = config
        .build()
        .expect_err("the unknown key refuses the policy");
    assert_eq!(
        errors.errors(),
        [ConfigError::UnknownKey {
            key: "allowed_origins".into(),
            suggestion: Some("allow_origins"),
        }]
    );
}

#[test]
fn allows_credentials_only_when_set() {
    let plain = Policy::builder()
        .allow_origins(["https://a.example"])
        .build()
        .unwrap();
    assert!(!plain.allows_credentials());
    let with = Policy::builder()
        .allow_origins(["https://a.example"])
        .allow_credentials(true)
        .build()
        .unwrap();
    assert!(with.allows_credentials());
    // The top level's setting, whatever a route says.
    let routed = Policy::builder()
        .allow_origins(["https://a.example"])
        .route(RouteConfig::new(["/login"]).allow_credentials(true))
        .build()
        .unwrap();
    assert!(!routed.allows_credentials());
}
