//! Task transcripts as evidence for the schema (issue 20, item 3): a rel a
//! transcript shows under `_embedded` is embeddable, a scalar member its
//! bodies carry (`etag`) is a typed property, each with the file and line;
//! a body that is not strict JSON is named, not used. Through the CLI
//! (`extract --transcripts`) and the build.rs builder (`.transcripts()`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use ucwa_codegen::schema::Document;
use ucwa_codegen::Builder;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts")
}

fn extract(out: &Path, transcripts: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ucwa-codegen"));
    command
        .arg("extract")
        .arg(fixtures().join("pages"))
        .arg("--out")
        .arg(out);
    if transcripts {
        command.arg("--transcripts").arg(fixtures().join("tasks"));
    }
    let output = command.output().expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

fn document(schema: &Path, name: &str) -> Document {
    let yaml = fs::read_to_string(schema.join(format!("{name}.yaml"))).expect("schema file");
    serde_yaml::from_str(&yaml).expect("schema parses")
}

#[test]
fn embedded_rels_and_carried_members_come_from_the_transcripts_with_their_lines() {
    let work = tempfile::tempdir().expect("tempdir");
    let without = work.path().join("without");
    let with = work.path().join("with");
    extract(&without, false);
    let output = extract(&with, true);

    // Without transcripts the page alone says nothing of either.
    let alone = document(&without, "myGroups");
    assert!(alone.embedded.is_empty());
    assert!(alone.properties.is_empty());

    let groups = document(&with, "myGroups");
    let embedded: Vec<(&str, Option<&str>, &str)> = groups
        .embedded
        .iter()
        .map(|e| (e.rel.as_str(), e.target.as_deref(), e.source.as_str()))
        .collect();
    assert_eq!(
        embedded,
        vec![
            (
                "pinnedGroup",
                Some("pinnedGroup"),
                "transcript GetMyGroups.md:31"
            ),
            (
                "defaultGroup",
                Some("defaultGroup"),
                "transcript GetMyGroups.md:31"
            ),
        ]
    );
    let etag = groups
        .properties
        .iter()
        .find(|p| p.name == "etag")
        .expect("etag is a property");
    assert_eq!(
        etag.ty.as_ref().map(ToString::to_string).as_deref(),
        Some("string")
    );
    assert_eq!(
        etag.type_source.as_deref(),
        Some("transcript GetMyGroups.md:31 carries it as string")
    );
    assert!(
        groups.inferred.iter().any(|note| note.contains("`etag`")),
        "{:?}",
        groups.inferred
    );

    // The embedded resource is a resource the transcript shows too; what its
    // table lists (`name`) stays as the table says.
    let pinned = document(&with, "pinnedGroup");
    let names: Vec<&str> = pinned.properties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["name", "etag"]);
    assert_eq!(pinned.properties[0].type_source, None);

    // The damaged body is named with its line and not used: its `etag` is a
    // number, which would otherwise have made the member's type ambiguous.
    assert!(
        output.contains("GetMyGroups.md:60: warning: 1 JSON bodies of this transcript are not strict JSON (lines 60)"),
        "{output}"
    );
}

#[test]
fn the_same_transcripts_give_the_same_schema_byte_for_byte() {
    let work = tempfile::tempdir().expect("tempdir");
    let (first, second) = (work.path().join("a"), work.path().join("b"));
    extract(&first, true);
    extract(&second, true);
    for name in ["myGroups", "pinnedGroup", "defaultGroup"] {
        let file = format!("{name}.yaml");
        assert_eq!(
            fs::read(first.join(&file)).unwrap(),
            fs::read(second.join(&file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn the_builder_reads_transcripts_and_reruns_when_they_change() {
    let work = tempfile::tempdir().expect("tempdir");
    let generated = Builder::new()
        .pages(fixtures().join("pages"))
        .transcripts(fixtures().join("tasks"))
        .out_dir(work.path())
        .rerun_directives(false)
        .generate()
        .expect("generates");
    let task = fixtures().join("tasks/GetMyGroups.md");
    assert!(generated.inputs.contains(&task), "{:?}", generated.inputs);
    assert!(generated
        .warnings
        .iter()
        .any(|w| w.file == task && w.line == 60));
    let code = fs::read_to_string(&generated.path).expect("generated file");
    // The embedded groups are typed, and so is the etag.
    assert!(
        code.contains("pub pinned_group: Option<"),
        "no embedded pinned_group"
    );
    assert!(code.contains("pub etag: Option<String>"), "no typed etag");
}
