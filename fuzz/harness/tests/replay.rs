//! Replays every checked-in fuzz input on stable Rust: the seed corpora
//! (`fuzz/corpus/<target>/`) and the crashes found so far
//! (`fuzz/regressions/<target>/`).

use std::fs;
use std::path::{Path, PathBuf};

use cors_fuzz_harness::TARGETS;

/// At least this many seeds per target, so a corpus that went missing fails
/// the test instead of passing it vacuously.
const MIN_SEEDS: usize = 25;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files of `dir`, sorted, without dotfiles (`.gitkeep`).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs every file of `kind/<target>/` through its target; returns how
/// many ran per target.
fn replay(kind: &str) -> Vec<(&'static str, usize)> {
    let root = fuzz_dir().join(kind);
    for entry in fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|(target, _)| *target == name),
            "{kind}/{name} is not a fuzz target"
        );
    }
    TARGETS
        .iter()
        .map(|&(target, run)| {
            let files = inputs(&root.join(target));
            for file in &files {
                let data = fs::read(file).unwrap();
                eprintln!("{}", file.display());
                run(&data);
            }
            (target, files.len())
        })
        .collect()
}

#[test]
fn every_seed_passes() {
    for (target, count) in replay("corpus") {
        assert!(
            count >= MIN_SEEDS,
            "fuzz/corpus/{target} has {count} inputs, expected at least {MIN_SEEDS}"
        );
    }
}

#[test]
fn every_regression_passes() {
    let root = fuzz_dir().join("regressions");
    for (target, _) in TARGETS {
        assert!(
            root.join(target).is_dir(),
            "fuzz/regressions/{target} is missing"
        );
    }
    replay("regressions");
}
