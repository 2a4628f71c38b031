//! Names taken from pages or schema files never become raw paths: the real
//! binary is run on hostile titles and names, and the whole temporary tree is
//! listed before and after to prove nothing lands outside `--out`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use ucwa_codegen::schema::{Document, Kind, Property};

const BIN: &str = env!("CARGO_BIN_EXE_ucwa-codegen");

/// Every file and directory under `root`, relative to it.
fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("listable") {
            let path = entry.expect("entry").path();
            found.insert(path.strip_prefix(root).expect("inside root").to_path_buf());
            if path.is_dir() && !path.is_symlink() {
                pending.push(path);
            }
        }
    }
    found
}

/// What appeared under `root` outside `inside` while `run` ran.
fn escaped_while(root: &Path, inside: &Path, run: impl FnOnce()) -> Vec<PathBuf> {
    let before = tree(root);
    run();
    let inside = inside.strip_prefix(root).expect("out is under root");
    tree(root)
        .difference(&before)
        .filter(|p| !p.starts_with(inside))
        .cloned()
        .collect()
}

fn resource_page(title: &str) -> String {
    format!(
        "# {title}\n\nA resource with a hostile title.\n\n## Properties\n\n\
         |**Name**|**Description**|\n|:-----|:-----|\n|state|The state.|\n"
    )
}

/// Titles a page could carry to steer a name into a path.
const HOSTILE_TITLES: &[&str] = &[
    "../x",
    "../../etc/passwd",
    "/abs",
    "a/b",
    "a\\b",
    "..",
    ".",
    "bell\u{7}name",
    "esc\u{1b}[31mred",
    "tab\tname",
    "CON",
    "me",
    "Me",
    "ME",
];

#[test]
fn page_titles_never_write_outside_out() {
    let root = tempfile::tempdir().expect("tempdir");
    let pages = root.path().join("pages");
    fs::create_dir(&pages).expect("pages dir");
    for (index, title) in HOSTILE_TITLES.iter().enumerate() {
        fs::write(
            pages.join(format!("page{index:02}.md")),
            resource_page(title),
        )
        .expect("page");
    }
    // A NUL byte cannot be in a markdown page the extractor accepts; it must be refused, not used.
    fs::write(pages.join("nul.md"), resource_page("nul\0name")).expect("page");
    // The parent of --out exists beforehand: staging happens beside out/ and must be cleaned up.
    fs::create_dir(root.path().join("work")).expect("work dir");
    let out = root.path().join("work").join("out");

    let mut status = None;
    let escaped = escaped_while(root.path(), &out, || {
        let output = Command::new(BIN)
            .arg("extract")
            .arg(&pages)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("runs");
        status = Some(output);
    });
    let output = status.expect("ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        escaped.is_empty(),
        "written outside --out: {escaped:?}\n{stderr}"
    );
    assert!(!root.path().join("x").exists() && !root.path().join("work").join("x").exists());
    assert!(
        stderr.contains("nul.md"),
        "the NUL page is reported: {stderr}"
    );

    // Every document that was written has a file of its own, inside out/, with a plain name;
    // beside them only the manifest that records them.
    let mut files = tree(&out);
    assert!(
        files.remove(Path::new(".ucwa-codegen-manifest")),
        "{files:?}"
    );
    let mut names = BTreeSet::new();
    for file in &files {
        let stem = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        assert_eq!(file.components().count(), 1, "nested path {file:?}");
        assert!(
            stem.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-~".contains(c)),
            "unsafe file name {file:?}"
        );
        let document = Document::from_yaml(&fs::read_to_string(out.join(file)).expect("readable"))
            .expect("schema");
        assert!(
            names.insert(document.name.clone()),
            "{} written twice",
            document.name
        );
    }
    for same_but_case in ["me", "Me", "ME"] {
        assert!(
            names.contains(same_but_case),
            "{same_but_case} lost: {names:?}\n{stderr}"
        );
    }
    let lowercase: BTreeSet<String> = files
        .iter()
        .map(|f| f.to_string_lossy().to_lowercase())
        .collect();
    assert_eq!(
        lowercase.len(),
        files.len(),
        "files collide on a case-insensitive file system: {files:?}"
    );
}

fn resource(name: &str) -> Document {
    Document {
        name: name.to_string(),
        kind: Kind::Resource,
        description: format!("Named {}.", name.escape_debug()),
        properties: vec![Property {
            name: "state".into(),
            ..Property::default()
        }],
        ..Document::default()
    }
}

/// A hand-edited schema can name a document anything at all.
const HOSTILE_NAMES: &[&str] = &[
    "../x",
    "/abs",
    "a/b",
    "a\\b",
    "..",
    "nul\0name",
    "bell\u{7}",
    "esc\u{1b}[0m",
    "me",
    "Me",
    "ME",
    "",
    "CON",
];

#[test]
fn schema_names_never_write_outside_the_crate() {
    let root = tempfile::tempdir().expect("tempdir");
    let schema = root.path().join("schema");
    fs::create_dir(&schema).expect("schema dir");
    for (index, name) in HOSTILE_NAMES.iter().enumerate() {
        fs::write(
            schema.join(format!("doc{index:02}.yaml")),
            resource(name).to_yaml(),
        )
        .expect("yaml");
    }
    fs::create_dir(root.path().join("work")).expect("work dir");
    let out = root.path().join("work").join("crate");
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");

    let mut ran = None;
    let escaped = escaped_while(root.path(), &out, || {
        let output = Command::new(BIN)
            .args(["generate", "--schema"])
            .arg(&schema)
            .arg("--out")
            .arg(&out)
            .arg("--runtime")
            .arg(&runtime)
            .output()
            .expect("runs");
        ran = Some(output);
    });
    let output = ran.expect("ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        escaped.is_empty(),
        "written outside --out: {escaped:?}\n{stderr}"
    );
    assert!(
        output.status.success(),
        "hostile names are mapped, not fatal: {stderr}"
    );

    // One module file per document, all distinct even ignoring case.
    let modules: Vec<PathBuf> = tree(&out.join("src/resources"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && p != Path::new("mod.rs"))
        .collect();
    assert_eq!(modules.len(), HOSTILE_NAMES.len(), "{modules:?}");
    let lowercase: BTreeSet<String> = modules
        .iter()
        .map(|m| m.to_string_lossy().to_lowercase())
        .collect();
    assert_eq!(
        lowercase.len(),
        modules.len(),
        "modules collide ignoring case: {modules:?}"
    );
    for module in &modules {
        assert_eq!(module.components().count(), 1, "nested module {module:?}");
        let stem = module
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        assert!(
            stem.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{module:?}"
        );
    }
}
