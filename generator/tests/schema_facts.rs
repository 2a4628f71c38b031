//! The facts the emitter needs besides what the page's tables say (embedded
//! rels, array rels, untyped list properties) are in the extracted schema,
//! for every corpus page, and every document round-trips through serde_yaml
//! exactly. Skipped, with a message, where `../shared/ucwa` is absent.

use serde_json::Value;
use std::path::Path;
use ucwa_codegen::pipeline;
use ucwa_codegen::schema::{Direction, Document, SampleFormat, TypeRef};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/ucwa");

fn corpus() -> Option<Vec<Document>> {
    if !Path::new(CORPUS).is_dir() {
        eprintln!("{CORPUS} not found: skipped");
        return None;
    }
    let pages = pipeline::collect_pages(&[CORPUS.into()]).expect("corpus listing");
    let run = pipeline::extract_pages(&pages, &Default::default());
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    Some(run.documents)
}

/// Every valid JSON response sample of the page, parsed.
fn json_responses(document: &Document) -> impl Iterator<Item = Value> + '_ {
    document
        .operations
        .iter()
        .flat_map(|o| &o.examples)
        .filter(|e| e.valid && e.format == SampleFormat::Json && e.direction == Direction::Response)
        .filter_map(|e| serde_json::from_str(&e.body).ok())
}

#[test]
fn every_corpus_document_round_trips_through_yaml_exactly() {
    let Some(documents) = corpus() else { return };
    for document in &documents {
        let text = document.to_yaml();
        let read = Document::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", document.name));
        assert_eq!(&read, document, "{}", document.name);
        assert_eq!(read.to_yaml(), text, "{}", document.name);
    }
}

#[test]
fn what_the_samples_show_is_in_the_schema() {
    let Some(documents) = corpus() else { return };
    let (mut embedded, mut arrays, mut lists) = (0, 0, 0);
    for document in &documents {
        for value in json_responses(document) {
            for (rel, item) in value["_embedded"].as_object().into_iter().flatten() {
                let entry = document.embedded.iter().find(|e| &e.rel == rel);
                let entry = entry.unwrap_or_else(|| panic!("{}: _embedded {rel}", document.name));
                assert!(entry.source.ends_with("JSON response sample"), "{entry:?}");
                if entry.target.is_some() {
                    embedded += 1;
                }
                if item.is_array() {
                    assert!(document.array_rels.iter().any(|a| &a.rel == rel));
                }
            }
            for (rel, item) in value["_links"].as_object().into_iter().flatten() {
                if item.is_array() {
                    assert!(
                        document.array_rels.iter().any(|a| &a.rel == rel),
                        "{}: _links {rel} is an array",
                        document.name
                    );
                    arrays += 1;
                }
            }
            for (name, item) in value.as_object().into_iter().flatten() {
                let Some(property) = document.properties.iter().find(|p| &p.name == name) else {
                    continue;
                };
                if item.is_array() {
                    assert!(
                        matches!(property.ty, Some(TypeRef::Array(_) | TypeRef::Enum(_))),
                        "{}.{name}: a list in a sample, typed {:?}",
                        document.name,
                        property.ty
                    );
                    lists += 1;
                }
            }
        }
    }
    // The corpus has all three; a count of zero means the facts went missing.
    assert!(
        embedded > 50 && arrays > 0 && lists > 0,
        "{embedded} {arrays} {lists}"
    );
}

/// The overrides reach the generated code: the pages' own typos corrected,
/// an embedded rel and an array rel the samples do not show added.
#[test]
fn overrides_correct_descriptions_and_shapes_in_the_generated_code() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let dir = tempfile::tempdir().expect("tempdir");
    let overrides = dir.path().join("overrides.yaml");
    std::fs::write(
        &overrides,
        "\
- resource: audioVideo
  link: audioVideoPolicies
  description: The audio-video policies that may apply to UCWA clients.
- resource: audioVideo
  link: reportMediaDiagnostics
  description: Represents the reportMediaDiagnostics operation.
  array: true
- resource: audioVideo
  embedded: audioVideoSession
  target: audioVideoSession
",
    )
    .expect("write");
    let (documents, applied) =
        ucwa_codegen::commands::load_documents(&schema, Some(&overrides), |_| {})
            .expect("the overrides apply");
    assert_eq!(applied.len(), 3);
    let files =
        ucwa_codegen::emit::crate_files(&documents, &ucwa_codegen::emit::CrateOptions::default())
            .expect("generates");
    let module = &files["src/resources/audio_video.rs"];
    for corrected in [
        "/// The audio-video policies that may apply to UCWA clients.",
        "/// Represents the reportMediaDiagnostics operation.",
        "pub embedded: Option<Box<AudioVideoEmbedded>>",
        "arrays: &[\"reportMediaDiagnostics\"]",
        "embedded: &[(\"audioVideoSession\", AudioVideoSession::xml_shape)]",
    ] {
        assert!(
            module.contains(corrected),
            "`{corrected}` missing:\n{module}"
        );
    }
    assert!(!module.contains("applyto") && !module.contains("RreportMediaDiagnostics"));
}
