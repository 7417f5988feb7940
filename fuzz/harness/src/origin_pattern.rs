//! The `origin_pattern` target: arbitrary strings as `allow_origins`
//! entries.
//!
//! The input is read as UTF-8 (invalid sequences replaced) and split on line
//! feeds into up to four entries. Each entry alone either fails with one
//! error naming it, or builds a policy that allows exactly what the pattern
//! says; all entries together fail exactly when one of them fails alone.

use cors_core::{ConfigError, Policy, PolicyConfig};

use crate::invariants::{self, Facts, ORIGIN, Sent};

/// Runs one input.
pub fn origin_pattern(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let entries: Vec<&str> = text.split('\n').take(4).collect();
    let mut valid = Vec::new();
    for entry in &entries {
        valid.push(alone(entry));
    }

    let mut config = PolicyConfig::default();
    config.allow_origins = entries.iter().map(|e| (*e).to_owned()).collect();
    match config.clone().build() {
        Ok(policy) => {
            assert!(valid.iter().all(|v| *v), "{entries:?} built together");
            let facts = Facts::new(&config);
            for entry in &entries {
                let sent = Sent::new("GET").with(ORIGIN, entry.as_bytes());
                invariants::check(&facts, &sent, &policy.evaluate(&sent.parts()));
            }
        }
        Err(errors) => {
            for error in errors.errors() {
                match error {
                    ConfigError::InvalidOrigin { value, .. } => {
                        let i = entries.iter().position(|e| e == value);
                        assert!(i.is_some_and(|i| !valid[i]), "{error}");
                    }
                    ConfigError::AnyOriginWithOthers { other } => {
                        assert!(entries.contains(&"*") && entries.contains(&other.as_str()));
                    }
                    other => panic!("unexpected error {other}"),
                }
            }
            for (entry, valid) in entries.iter().zip(&valid) {
                let named = errors.errors().iter().any(
                    |e| matches!(e, ConfigError::InvalidOrigin { value, .. } if value == entry),
                );
                assert_eq!(named, !valid, "{entry:?}: {errors}");
            }
        }
    }
}

/// Builds a policy with `entry` alone and checks it; returns whether it
/// built.
fn alone(entry: &str) -> bool {
    let built = Policy::builder().allow_origins([entry]).build();
    let policy = match built {
        Ok(policy) => policy,
        Err(errors) => {
            assert!(entry != "*" && entry != "null", "{errors}");
            let [ConfigError::InvalidOrigin { value, .. }] = errors.errors() else {
                panic!("{entry:?}: {errors}");
            };
            assert_eq!(value, entry);
            assert!(errors.to_string().contains(entry), "{errors}");
            return false;
        }
    };
    let mut config = PolicyConfig::default();
    config.allow_origins = vec![entry.to_owned()];
    let facts = Facts::new(&config);
    let expect = |origin: &str, allowed: bool| {
        let sent = Sent::new("GET").with(ORIGIN, origin.as_bytes());
        let decision = policy.evaluate(&sent.parts());
        invariants::check(&facts, &sent, &decision);
        assert_eq!(
            decision.is_allowed(),
            allowed,
            "pattern {entry:?}, origin {origin:?}: {:?}",
            decision.refusal()
        );
        if allowed && entry != "*" {
            assert_eq!(
                decision.header(cors_core::ResponseHeader::AllowOrigin),
                Some(origin)
            );
        }
    };
    if entry == "*" {
        expect("https://anything.example", true);
        return true;
    }
    let (scheme, authority) = entry.split_once("://").unwrap_or(("", entry));
    let subdomain = authority.strip_prefix("*.");
    let any_port = authority.ends_with(":*");
    if subdomain.is_none() && !any_port {
        // An exact origin (or `null`): itself and nothing near it.
        expect(entry, true);
        let first_upper = entry.replacen(|c: char| c.is_ascii_lowercase(), "X", 1);
        let near = [
            format!("{entry}/"),
            format!("{entry}x"),
            format!("{entry}.evil"),
            format!("{scheme}://a.{authority}"),
            format!("x{entry}"),
            entry[..entry.len() - 1].to_owned(),
            first_upper,
        ];
        for origin in near.iter().filter(|o| o.as_str() != entry) {
            expect(origin, false);
        }
        return true;
    }
    let host_port = subdomain.unwrap_or(authority);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host_port.ends_with(']') => (host, Some(port)),
        _ => (host_port, None),
    };
    let fixed_port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let ports: Vec<&str> = if any_port {
        vec!["", ":8080", ":1"]
    } else {
        vec![fixed_port.as_str()]
    };
    let fits = |o: &String| o.len() <= 512;
    for p in ports {
        if let Some(parent) = subdomain.map(|_| host) {
            for origin in [
                format!("{scheme}://a.{parent}{p}"),
                format!("{scheme}://x.y.{parent}{p}"),
            ]
            .iter()
            .filter(|o| fits(o))
            {
                expect(origin, true);
            }
            // The apex, a name ending in the parent (the `barfoo.com` case),
            // a subdomain of another domain, another scheme.
            expect(&format!("{scheme}://{parent}{p}"), false);
            expect(&format!("{scheme}://bar{parent}{p}"), false);
            expect(&format!("{scheme}://a.{parent}.evil{p}"), false);
            expect(&format!("{scheme}x://a.{parent}{p}"), false);
        } else {
            let origin = format!("{scheme}://{host}{p}");
            if fits(&origin) {
                expect(&origin, true);
            }
            expect(&format!("{scheme}://{host}x{p}"), false);
            expect(&format!("{scheme}://a.{host}{p}"), false);
        }
    }
    if !any_port {
        // A subdomain pattern with a fixed port (or none) allows no other.
        expect(&format!("{scheme}://a.{host}:8081"), port == Some("8081"));
    }
    true
}
