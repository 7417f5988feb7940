//! The README's policy files are real: each TOML block parses into a valid
//! policy. (Its Rust blocks run as doctests of the crate.)

use cors_core::Policy;

#[test]
fn every_toml_block_in_the_readme_is_a_valid_policy() {
    let readme = include_str!("../../../README.md");
    let mut blocks = 0;
    let mut rest = readme;
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + "```toml\n".len()..];
        let end = body.find("```").expect("unterminated toml block");
        let policy: Result<Policy, _> = toml::from_str(&body[..end]);
        assert!(
            policy.is_ok(),
            "README policy block {blocks} is invalid: {}",
            policy.unwrap_err()
        );
        blocks += 1;
        rest = &body[end..];
    }
    assert!(
        blocks >= 1,
        "the README should show at least one policy file"
    );
}
