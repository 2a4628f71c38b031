//! Shared by the emit tests: loading fixture schemas and writing crates.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ucwa_codegen::emit::CrateOptions;
use ucwa_codegen::schema::Document;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema")
        .join(name)
}

/// The documents of one fixture directory, in file-name order.
pub fn load_fixture(name: &str) -> Vec<Document> {
    let dir = fixture_dir(name);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            Document::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

pub fn options_for(dir: &Path) -> CrateOptions {
    let runtime = workspace_root().join("runtime").canonicalize().unwrap();
    let _ = dir;
    CrateOptions {
        crate_name: "ucwa-fixture".into(),
        runtime_dependency: format!("{{ path = {:?} }}", runtime.display().to_string()),
        provenance: "tests/fixtures/schema".into(),
        command: "cargo test -p ucwa-codegen --test emit_snapshots".into(),
    }
}

pub fn write_files(dir: &Path, files: &BTreeMap<String, String>) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
