//! `export-json-schema`: the resources as JSON Schema, as other ecosystems'
//! generators read it, from the same model as the crate, deterministic.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn seeds() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema/seeds")
}

fn export(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ucwa-codegen"))
        .arg("export-json-schema")
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn every_resource_its_links_request_bodies_and_enumerations_are_definitions() {
    let output = export(&["--schema".as_ref(), seeds().as_os_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let schema: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let definitions = schema["definitions"].as_object().expect("definitions");
    let names: Vec<&str> = definitions.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Link",
            "Links",
            "CallState",
            "Importance",
            "AudioVideoNegotiation",
            "AudioVideoNegotiationLinks",
            "StartAudioVideo",
            "StartAudioVideoLinks",
            "StartAudioVideoRequest"
        ]
    );
    let negotiation = &definitions["AudioVideoNegotiation"];
    assert_eq!(
        negotiation["properties"]["state"]["$ref"],
        "#/definitions/CallState"
    );
    assert_eq!(
        negotiation["properties"]["_links"]["$ref"],
        "#/definitions/AudioVideoNegotiationLinks"
    );
    let links = &definitions["AudioVideoNegotiationLinks"]["properties"];
    assert_eq!(links["startAudioVideo"]["$ref"], "#/definitions/Links");
    assert_eq!(
        definitions["Importance"]["enum"],
        serde_json::json!(["Normal", "Urgent", "Emergency"])
    );
    let request = &definitions["StartAudioVideoRequest"];
    assert_eq!(request["required"], serde_json::json!(["to"]));
    assert_eq!(request["properties"]["joinAudioMuted"]["type"], "boolean");
}

#[test]
fn the_file_is_the_same_on_every_run_and_stdout_gives_the_same_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ucwa.schema.json");
    let mut texts = Vec::new();
    for _ in 0..2 {
        let output = export(&[
            "--schema".as_ref(),
            seeds().as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert!(output.status.success());
        assert!(output.stdout.is_empty());
        texts.push(std::fs::read(&out).expect("written"));
    }
    assert_eq!(texts[0], texts[1]);
    assert_eq!(
        export(&["--schema".as_ref(), seeds().as_os_str()]).stdout,
        texts[0]
    );
}

#[test]
fn a_broken_schema_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: x\nkind: resource\nlinks: 3\n",
    )
    .unwrap();
    let output = export(&["--schema".as_ref(), dir.path().as_os_str()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:3"), "{stderr}");
}
