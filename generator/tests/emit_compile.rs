//! The fixture schemas generate crates that build outside the workspace with
//! no warnings, pass clippy and rustdoc, and whose generated tests pass.
//! Slow the first time (it builds serde in a shared target dir under the
//! system temp dir); incremental afterwards.

mod emit_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use ucwa_codegen::emit::crate_files;

fn shared_target() -> PathBuf {
    std::env::temp_dir().join("ucwa-codegen-emit-target")
}

fn cargo(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target())
        .env("RUSTFLAGS", "-D warnings")
        .env("RUSTDOCFLAGS", "-D warnings")
        .output()
        .unwrap_or_else(|e| panic!("running cargo {args:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo {args:?} in {} failed:\n{stderr}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !stderr.contains("warning:"),
        "cargo {args:?} in {} warned:\n{stderr}",
        dir.display()
    );
}

fn clippy_available() -> bool {
    Command::new(env!("CARGO"))
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn generate_and_test(fixture: &str) {
    let docs = emit_support::load_fixture(fixture);
    let dir = std::env::temp_dir().join(format!("ucwa-codegen-emit-{fixture}"));
    assert!(
        !dir.starts_with(emit_support::workspace_root().canonicalize().unwrap()),
        "must build outside the workspace"
    );
    for stale in ["src", "tests", "Cargo.toml"] {
        let path = dir.join(stale);
        let _ = std::fs::remove_dir_all(&path);
        let _ = std::fs::remove_file(&path);
    }
    let files = crate_files(&docs, &emit_support::options_for(&dir)).unwrap();
    emit_support::write_files(&dir, &files);
    // The workspace's lock file pins the same dependency versions the runtime is tested with.
    std::fs::copy(
        emit_support::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();

    cargo(&dir, &["test", "--quiet"]);
    cargo(&dir, &["doc", "--no-deps", "--quiet"]);
    if clippy_available() {
        cargo(
            &dir,
            &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
        );
    } else {
        eprintln!(
            "cargo clippy is not installed; skipping the clippy check of the {fixture} crate"
        );
    }
    for (path, text) in &files {
        let code = text
            .lines()
            .filter(|l| !l.contains("unsafe_code"))
            .collect::<String>();
        assert!(
            !code.contains("unsafe"),
            "{path} mentions unsafe outside the unsafe_code lint"
        );
    }
}

#[test]
fn seed_fixture_crate_builds_and_its_tests_pass() {
    generate_and_test("seeds");
}

#[test]
fn hostile_fixture_crate_builds_and_its_tests_pass() {
    generate_and_test("hostile");
}
