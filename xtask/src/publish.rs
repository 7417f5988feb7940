//! Release readiness, run by `cargo xtask ci`:
//!
//! - [`package`]: `cargo package` for every published crate (each one built
//!   from its packaged files alone, as the registry builds it), the files
//!   of each package listed once with their sizes, then every package's
//!   doctests run from the unpacked `.crate` files in a scratch workspace
//!   where the crates depend on each other's packaged copies;
//! - [`msrv`]: no dependency of a published crate (normal or build, any
//!   feature, any target) declares a `rust-version` newer than the crate's;
//! - [`deny`]: `cargo deny check licenses bans sources` with `deny.toml`,
//!   installing cargo-deny when it is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The largest `.crate` file accepted: the biggest package is well under
/// it; a package that grows past it has picked up something it should not
/// ship.
const MAX_CRATE_BYTES: u64 = 512 * 1024;

/// The largest single packaged file accepted.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The `cargo` running xtask.
fn cargo_command() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Runs `command`, failing with `line` unless it succeeds; returns stdout.
fn output(mut command: Command, line: &str) -> Result<String, String> {
    let output = command.output().map_err(|e| format!("{line}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{line}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{line}: {e}"))
}

/// `cargo metadata` for the whole workspace, every feature on.
fn metadata() -> Result<Value, String> {
    let mut command = cargo_command();
    command
        .args(["metadata", "--format-version", "1", "--all-features"])
        .current_dir(root());
    let text = output(command, "cargo metadata")?;
    serde_json::from_str(&text).map_err(|e| format!("cargo metadata: {e}"))
}

/// A workspace package that may be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The package name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its `rust-version`, if declared.
    pub rust_version: Option<String>,
    /// Its package id in the resolve graph.
    pub id: String,
}

/// The workspace members whose `publish` is not `false` (cargo metadata
/// gives `publish: []` for `publish = false`, `null` for no restriction).
pub fn published(metadata: &Value) -> Vec<Published> {
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut packages: Vec<Published> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .filter(|p| p["publish"].as_array().is_none_or(|to| !to.is_empty()))
        .map(|p| Published {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            version: p["version"].as_str().unwrap_or_default().to_owned(),
            rust_version: p["rust_version"].as_str().map(str::to_owned),
            id: p["id"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}

/// The three steps, in order.
pub fn check() -> Result<(), String> {
    package()?;
    msrv()?;
    deny()
}

/// `cargo package` for every published crate, the file list and sizes,
/// then the doctests of every package from its packaged files.
pub fn package() -> Result<(), String> {
    let metadata = metadata()?;
    let packages = published(&metadata);
    if packages.is_empty() {
        return Err("no package to publish".to_owned());
    }
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    println!("\npublished packages: {}", names.join(", "));

    // Every packaged file, listed once, with its size.
    let mut problems = Vec::new();
    for package in &packages {
        let mut command = cargo_command();
        command
            .args(["package", "--list", "--allow-dirty", "-p", &package.name])
            .current_dir(root());
        let list = output(
            command,
            &format!("cargo package --list -p {}", package.name),
        )?;
        let dir = package_dir(&metadata, &package.id)?;
        println!("\n{} {}:", package.name, package.version);
        let mut total = 0;
        for file in list.lines() {
            // Files cargo writes itself (Cargo.toml.orig, .cargo_vcs_info.json,
            // the normalised Cargo.toml) are not in the source tree.
            let size = fs::metadata(dir.join(file)).map(|m| m.len()).ok();
            match size {
                Some(size) => {
                    total += size;
                    println!("  {size:>9}  {file}");
                    if size > MAX_FILE_BYTES {
                        problems.push(format!("{}: {file} is {size} bytes", package.name));
                    }
                }
                None => println!("  {:>9}  {file}", "(cargo)"),
            }
        }
        println!("  {total:>9}  bytes of sources");
        for required in ["LICENSE-MIT", "LICENSE-APACHE", "README.md"] {
            if !list.lines().any(|file| file == required) {
                problems.push(format!("{}: the package lacks {required}", package.name));
            }
        }
    }

    // The `.crate` files. They are built below from their unpacked
    // contents rather than by `cargo package`'s own verification, which
    // resolves a sibling crate's version requirement against crates.io as
    // well as the local packages: a registry crate of the same name (there
    // is one called `cors-core`) would be picked over ours.
    let mut args = vec!["package", "--allow-dirty", "--no-verify"];
    for name in &names {
        args.extend(["-p", name]);
    }
    crate::cargo(&args, &[])?;

    let target = target_dir(&metadata)?;
    let scratch = target.join("package-doctests");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    }
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    println!("\npackages:");
    for package in &packages {
        let file = target
            .join("package")
            .join(format!("{}-{}.crate", package.name, package.version));
        let size = fs::metadata(&file)
            .map_err(|e| format!("{}: {e}", file.display()))?
            .len();
        println!("  {size:>9}  {}", file.display());
        if size > MAX_CRATE_BYTES {
            problems.push(format!("{} is {size} bytes", file.display()));
        }
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&file).arg("-C").arg(&scratch);
        output(tar, &format!("tar -xzf {}", file.display()))?;
    }
    if !problems.is_empty() {
        return Err(format!(
            "packages too large or incomplete: {}",
            problems.join("; ")
        ));
    }

    fs::write(scratch.join("Cargo.toml"), scratch_manifest(&packages))
        .map_err(|e| format!("{}: {e}", scratch.display()))?;
    // The workspace's lock file: the same versions as every other step.
    fs::copy(root().join("Cargo.lock"), scratch.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let manifest = scratch.join("Cargo.toml").display().to_string();
    let target = target.display().to_string();
    let scratch_args = ["--manifest-path", &manifest, "--target-dir", &target];
    // Default features, as the registry's own build; then every feature,
    // with the doctests.
    let build = ["build", "--workspace"];
    crate::cargo(&[&build[..], &scratch_args[..]].concat(), &[])?;
    let doctests = ["test", "--doc", "--workspace", "--all-features"];
    crate::cargo(&[&doctests[..], &scratch_args[..]].concat(), &[])
}

/// A workspace of the unpacked packages, each published crate resolved to
/// its packaged copy wherever another one depends on it.
fn scratch_manifest(packages: &[Published]) -> String {
    let mut manifest = String::from(
        "# Written by `cargo xtask ci`: the packaged crates, as the registry would see them.\n\
         [workspace]\nresolver = \"3\"\nmembers = [\n",
    );
    for p in packages {
        manifest.push_str(&format!("    \"{}-{}\",\n", p.name, p.version));
    }
    manifest.push_str("]\n\n[patch.crates-io]\n");
    for p in packages {
        manifest.push_str(&format!(
            "{} = {{ path = \"{}-{}\" }}\n",
            p.name, p.name, p.version
        ));
    }
    manifest
}

/// The directory of the package with `id`.
fn package_dir(metadata: &Value, id: &str) -> Result<PathBuf, String> {
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"].as_str() == Some(id))
        .and_then(|p| p["manifest_path"].as_str())
        .and_then(|path| Path::new(path).parent())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no manifest for {id}"))
}

/// The workspace's target directory.
fn target_dir(metadata: &Value) -> Result<PathBuf, String> {
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata: no target_directory".to_owned())
}

/// A `rust-version` as numbers: `1.85` is `[1, 85, 0]`.
fn version_numbers(version: &str) -> Option<[u64; 3]> {
    let mut numbers = [0; 3];
    let mut parts = version.split('.');
    for slot in &mut numbers {
        match parts.next() {
            Some(part) => *slot = part.parse().ok()?,
            None => break,
        }
    }
    parts.next().is_none().then_some(numbers)
}

/// A dependency that needs a newer Rust than the crate that uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooNew {
    /// The published crate.
    pub crate_name: String,
    /// The dependency, as `name version`.
    pub dependency: String,
    /// The dependency's `rust-version`.
    pub needs: String,
}

/// Every normal or build dependency, direct or not, of each published
/// crate whose `rust-version` is newer than that crate's. A published crate
/// without a `rust-version` is an error.
pub fn too_new(metadata: &Value) -> Result<Vec<TooNew>, String> {
    let packages: BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let mut found = Vec::new();
    for crate_ in published(metadata) {
        let declared = crate_
            .rust_version
            .as_deref()
            .ok_or_else(|| format!("{} declares no rust-version", crate_.name))?;
        let msrv = version_numbers(declared)
            .ok_or_else(|| format!("{}: rust-version {declared:?}", crate_.name))?;
        let mut seen = BTreeSet::new();
        let mut stack = vec![crate_.id.as_str()];
        while let Some(id) = stack.pop() {
            let Some(node) = nodes.get(id) else { continue };
            for dep in node["deps"].as_array().into_iter().flatten() {
                // Dev-dependencies are not built for the crate's users.
                let used = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].as_str() != Some("dev"));
                let Some(dep_id) = dep["pkg"].as_str() else {
                    continue;
                };
                if used && seen.insert(dep_id) {
                    stack.push(dep_id);
                }
            }
        }
        for id in seen {
            let Some(package) = packages.get(id) else {
                continue;
            };
            let Some(needs) = package["rust_version"].as_str() else {
                continue;
            };
            if version_numbers(needs).is_some_and(|needs| needs > msrv) {
                found.push(TooNew {
                    crate_name: crate_.name.clone(),
                    dependency: format!(
                        "{} {}",
                        package["name"].as_str().unwrap_or("?"),
                        package["version"].as_str().unwrap_or("?")
                    ),
                    needs: needs.to_owned(),
                });
            }
        }
    }
    Ok(found)
}

/// Fails if any dependency of a published crate needs a newer Rust than
/// the crate's `rust-version`.
pub fn msrv() -> Result<(), String> {
    println!("\n==> MSRV: the rust-version of every dependency of the published crates");
    let metadata = metadata()?;
    for crate_ in published(&metadata) {
        println!(
            "  {} {}: rust-version {}",
            crate_.name,
            crate_.version,
            crate_.rust_version.as_deref().unwrap_or("(none)")
        );
    }
    let found = too_new(&metadata)?;
    if found.is_empty() {
        println!("  every dependency builds with the declared rust-version");
        return Ok(());
    }
    for f in &found {
        println!(
            "  {}: {} needs Rust {}",
            f.crate_name, f.dependency, f.needs
        );
    }
    Err(format!(
        "{} dependencies need a newer Rust than their crate's rust-version \
         (cargo update -p NAME --precise VERSION to an older release)",
        found.len()
    ))
}

/// `cargo deny check licenses bans sources`, installing cargo-deny first
/// when it is missing.
pub fn deny() -> Result<(), String> {
    let installed = cargo_command()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        crate::cargo(&["install", "--locked", "cargo-deny"], &[])?;
    }
    crate::cargo(&["deny", "check", "licenses", "bans", "sources"], &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A metadata document with a published crate `a` (rust-version 1.85)
    /// depending on `b` (1.88, normal), `c` (1.90, dev only) and `d`
    /// (1.70), `b` depending on `e` (1.86, build), and an unpublished `x`.
    fn sample() -> Value {
        serde_json::json!({
            "workspace_members": ["a", "x"],
            "packages": [
                {"id": "a", "name": "a", "version": "0.1.0", "rust_version": "1.85", "publish": null, "manifest_path": "/w/a/Cargo.toml"},
                {"id": "x", "name": "x", "version": "0.0.0", "rust_version": null, "publish": [], "manifest_path": "/w/x/Cargo.toml"},
                {"id": "b", "name": "b", "version": "2.0.0", "rust_version": "1.88", "publish": null},
                {"id": "c", "name": "c", "version": "1.0.0", "rust_version": "1.90", "publish": null},
                {"id": "d", "name": "d", "version": "1.0.0", "rust_version": "1.70", "publish": null},
                {"id": "e", "name": "e", "version": "0.3.1", "rust_version": "1.86.0", "publish": null}
            ],
            "resolve": {"nodes": [
                {"id": "a", "deps": [
                    {"pkg": "b", "dep_kinds": [{"kind": null}]},
                    {"pkg": "c", "dep_kinds": [{"kind": "dev"}]},
                    {"pkg": "d", "dep_kinds": [{"kind": null}, {"kind": "dev"}]}
                ]},
                {"id": "b", "deps": [{"pkg": "e", "dep_kinds": [{"kind": "build"}]}]},
                {"id": "c", "deps": []},
                {"id": "d", "deps": []},
                {"id": "e", "deps": []},
                {"id": "x", "deps": [{"pkg": "c", "dep_kinds": [{"kind": null}]}]}
            ]}
        })
    }

    #[test]
    fn finds_the_published_members() {
        let names: Vec<String> = published(&sample()).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["a"]);
    }

    #[test]
    fn reports_normal_and_build_dependencies_that_need_a_newer_rust() {
        let found = too_new(&sample()).unwrap();
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.dependency.as_str(), f.needs.as_str()))
            .collect();
        assert_eq!(found, [("b 2.0.0", "1.88"), ("e 0.3.1", "1.86.0")]);
    }

    #[test]
    fn a_published_crate_needs_a_rust_version() {
        let mut metadata = sample();
        metadata["packages"][0]["rust_version"] = Value::Null;
        assert_eq!(
            too_new(&metadata).unwrap_err(),
            "a declares no rust-version"
        );
    }

    #[test]
    fn compares_versions_as_numbers() {
        assert_eq!(version_numbers("1.85"), Some([1, 85, 0]));
        assert_eq!(version_numbers("1.9.2"), Some([1, 9, 2]));
        assert!(version_numbers("1.100").unwrap() > version_numbers("1.85").unwrap());
        assert_eq!(version_numbers("1.85.0.1"), None);
        assert_eq!(version_numbers("1.x"), None);
    }

    #[test]
    fn the_scratch_workspace_patches_every_package() {
        let packages = published(&sample());
        let manifest = scratch_manifest(&packages);
        assert!(
            manifest.contains("members = [\n    \"a-0.1.0\",\n]"),
            "{manifest}"
        );
        assert!(
            manifest.contains("[patch.crates-io]\na = { path = \"a-0.1.0\" }\n"),
            "{manifest}"
        );
    }
}
