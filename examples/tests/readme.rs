//! The README's policy files are real: each TOML block is a valid policy,
//! or a `Rocket.toml` whose `cors` table is one. (Its Rust blocks run as
//! doctests of this package.)

use cors_core::Policy;

#[test]
fn every_toml_block_in_the_readme_is_a_valid_policy() {
    let readme = include_str!("../../README.md");
    let mut blocks = 0;
    let mut rocket_tables = 0;
    let mut rest = readme;
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + "```toml\n".len()..];
        let end = body.find("```").expect("unterminated toml block");
        let text = &body[..end];
        let table: toml::Table = toml::from_str(text).expect("README TOML block parses");
        let policy: Result<Policy, _> = match table.get("default").and_then(|d| d.get("cors")) {
            Some(cors) => {
                rocket_tables += 1;
                cors.clone().try_into()
            }
            None => toml::from_str(text),
        };
        if let Err(error) = policy {
            panic!("README TOML block {blocks} is not a valid policy: {error}");
        }
        blocks += 1;
        rest = &body[end..];
    }
    assert!(
        blocks >= 2,
        "the README shows a policy file and a Rocket.toml"
    );
    assert_eq!(rocket_tables, 1, "the README shows one Rocket.toml");
}
