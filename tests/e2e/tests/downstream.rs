//! A real downstream crate (`tests/downstream`) generates its types in
//! build.rs from pages and decodes a sample through them. Cargo must rerun
//! that build script when a page changes, and only then.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn cargo(args: &[&str], downstream: &Path, target: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .arg("--manifest-path")
        .arg(downstream.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        // Its own full build beside the workspace's: line tables only, as the
        // workspace builds, keep it from doubling the disk a CI run needs.
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn build_script_ran(log: &str) -> bool {
    log.lines()
        .any(|line| line.contains("Running") && line.contains("build-script-build"))
}

#[test]
fn downstream_crate_builds_decodes_and_reruns_only_when_a_page_changes() {
    let root = workspace_root();
    let downstream = root.join("tests/downstream");
    let target = root.join("target/downstream");

    let (ok, log) = cargo(&["test", "--quiet"], &downstream, &target);
    assert!(ok, "downstream tests failed:\n{log}");

    let (ok, log) = cargo(&["build", "-v"], &downstream, &target);
    assert!(ok, "{log}");
    assert!(
        !build_script_ran(&log),
        "an unchanged build reran the build script:\n{log}"
    );

    let page = downstream.join("pages/presenceNote_ref.md");
    let later = SystemTime::now() + Duration::from_secs(2);
    std::fs::File::options()
        .append(true)
        .open(&page)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (ok, log) = cargo(&["build", "-v"], &downstream, &target);
    assert!(ok, "{log}");
    assert!(
        build_script_ran(&log),
        "touching a page did not rerun the build script:\n{log}"
    );
}

#[test]
fn a_build_rs_user_compiles_no_command_line_parser() {
    let root = workspace_root();
    let downstream = root.join("tests/downstream");
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(downstream.join("Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        tree.lines().any(|line| line.starts_with("ucwa-codegen ")),
        "{tree}"
    );
    let clap: Vec<&str> = tree
        .lines()
        .filter(|line| line.starts_with("clap"))
        .collect();
    assert!(
        clap.is_empty(),
        "the library without its `cli` feature pulls in {clap:?}"
    );
}
