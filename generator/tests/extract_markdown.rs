//! Markdown pages through the whole extract stage: each table kind, the
//! irregularities real pages have, and bad input.

use std::path::{Path, PathBuf};
use ucwa_codegen::extract::{extract_page, Extracted};
use ucwa_codegen::schema::{Direction, Document, Kind, Method, SampleFormat};
use ucwa_codegen::Error;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/md")
        .join(name)
}

fn extract(name: &str) -> Result<Extracted, Error> {
    let path = fixture(name);
    let bytes = std::fs::read(&path).expect("fixture exists");
    extract_page(&path, &bytes)
}

fn page(name: &str) -> Document {
    match extract(name) {
        Ok(extracted) => extracted.document,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn title_noise_front_matter_and_description() {
    let document = page("irregular_resource.md");
    assert_eq!(document.name, "meetingRoom");
    assert_eq!(document.kind, Kind::Resource);
    assert_eq!(
        document.description,
        "Represents a room where \"people\" meet. Second line of the same paragraph."
    );
}

#[test]
fn misspelt_properties_heading_and_plain_table_header() {
    let document = page("irregular_resource.md");
    let names: Vec<&str> = document
        .properties
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["capacity", "isLocked", "state", "tags"]);
    let types: Vec<String> = document
        .properties
        .iter()
        .map(|p| p.ty.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        ["integer", "boolean", "enum RoomState", "array of string"]
    );
    assert_eq!(
        document.properties[1].type_source.as_deref(),
        Some("sample value false in JSON response")
    );
    assert_eq!(
        document.properties[2].type_source.as_deref(),
        Some("description names enumeration RoomState")
    );
}

#[test]
fn links_keep_repeated_rows_and_targets_from_ref_links() {
    let document = page("irregular_resource.md");
    let links: Vec<(&str, Option<&str>)> = document
        .links
        .iter()
        .map(|l| (l.rel.as_str(), l.target.as_deref()))
        .collect();
    assert_eq!(
        links,
        [("self", None), ("from", Some("contact")), ("from", None)],
        "web link rows are not links"
    );
}

#[test]
fn operations_from_headings_at_any_level() {
    let document = page("irregular_resource.md");
    let methods: Vec<Method> = document.operations.iter().map(|o| o.method).collect();
    assert_eq!(methods, [Method::Get, Method::Post]);
    let get = &document.operations[0];
    assert_eq!(get.description, "Returns the room.");
    assert_eq!(get.query_parameters.len(), 1);
    assert!(get.query_parameters[0].required);
    assert!(get.request_body.is_empty(), "`None` is an empty section");
    let errors: Vec<(&str, Option<u16>, &str)> = get
        .errors
        .iter()
        .map(|e| (e.error.as_str(), e.code, e.subcode.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            ("NotFound", Some(404), "None"),
            ("Gone", Some(410), "CannotRedirect")
        ]
    );
}

#[test]
fn examples_record_damage_without_repairing() {
    let document = page("irregular_resource.md");
    let get = &document.operations[0];
    let json = &get.examples[0];
    assert_eq!(
        (json.format, json.direction, json.valid),
        (SampleFormat::Json, Direction::Response, true)
    );
    assert_eq!(json.start_line, "HTTP/1.1 200 OK");
    let xml = &get.examples[1];
    assert_eq!(xml.format, SampleFormat::Xml);
    assert!(
        xml.body
            .starts_with("<?xml version=\"1.0\"?>\n<resource rel=\"meetingRoom\">"),
        "entities decoded: {}",
        xml.body
    );
    assert_eq!(
        xml.problem.as_deref(),
        Some("truncated: element <resource> is never closed")
    );
    let request = &document.operations[1].examples[0];
    assert_eq!(request.direction, Direction::Request);
    assert!(!request.valid);
    assert_eq!(
        request.problem.as_deref(),
        Some("raw newline inside a JSON string at body line 2")
    );
    assert!(request.body.contains("\"one\ntwo\""));
}

#[test]
fn request_body_type_hints_and_response_items() {
    let document = page("irregular_resource.md");
    let post = &document.operations[1];
    let fields: Vec<(&str, String, bool, Option<u32>)> = post
        .request_body
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.ty.as_ref().map(ToString::to_string).unwrap_or_default(),
                f.nullable,
                f.max_length,
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("operationId", "string".to_string(), false, Some(50)),
            ("importance", "enum Importance".to_string(), false, None),
            ("mute", "boolean".to_string(), true, None),
            ("offer", String::new(), false, None),
        ]
    );
    assert_eq!(
        post.request_body[1].values,
        ["Normal", "Urgent", "Emergency"]
    );
    assert!(post.request_body[1].required);
    assert_eq!(post.response_body[0].item, "booking");
}

#[test]
fn events_of_any_kind_with_unfenced_samples() {
    let document = page("irregular_resource.md");
    let events: Vec<(&str, &str, &str)> = document
        .events
        .iter()
        .map(|e| {
            (
                e.event_type.as_str(),
                e.priority.as_str(),
                e.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("completed", "Low", "Delivered when booking completes."),
            ("added", "High", "Delivered when a room is added.")
        ]
    );
    let sample = document.events[0]
        .sample
        .as_ref()
        .expect("the unfenced sample belongs to the event");
    assert!(sample.valid, "{:?}", sample.problem);
    assert!(sample.body.starts_with("{\n  \"sender\" : [") && sample.body.ends_with("]\n}"));
    assert!(document.events[1].sample.is_none());
}

#[test]
fn scopes_after_events() {
    let document = page("irregular_resource.md");
    assert_eq!(document.scopes.len(), 1);
    assert_eq!(document.scopes[0].permission, "Read rooms");
    assert!(document
        .events
        .iter()
        .all(|e| e.event_type != "azure active directory scopes for online applications"));
}

#[test]
fn enumeration_members() {
    let document = page("enumeration.md");
    assert_eq!(document.name, "RoomState");
    assert_eq!(document.kind, Kind::Enumeration);
    assert_eq!(document.description, "Represents the state of a room.");
    let members: Vec<&str> = document.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(members, ["Free", "Busy"]);
}

#[test]
fn malformed_bold_applies_to_line_is_not_the_description() {
    let text = "# DeskState\n\n_** Applies to: **Skype for Business 2015_\n\nRepresents a desk.\n\n## Members\n\n|Name|Description|\n|:--|:--|\n|Free|Free.|\n";
    let extracted = extract_page(Path::new("DeskState_ref.md"), text.as_bytes()).unwrap();
    assert_eq!(extracted.document.description, "Represents a desk.");
}

#[test]
fn table_cut_off_mid_row_warns_with_its_line() {
    let extracted = extract("cut_off_row.md").expect("a cut-off row is a warning, not an error");
    assert_eq!(
        extracted.document.properties.len(),
        2,
        "the partial row is kept"
    );
    let [warning] = extracted.warnings.as_slice() else {
        panic!("{:?}", extracted.warnings)
    };
    assert_eq!(warning.line, 10);
    assert!(warning.message.contains("cut off"), "{warning}");
    assert!(warning.file.ends_with("cut_off_row.md"));
}

#[test]
fn heading_without_table_warns_with_its_line() {
    let extracted = extract("heading_without_table.md").expect("a missing table is a warning");
    let [warning] = extracted.warnings.as_slice() else {
        panic!("{:?}", extracted.warnings)
    };
    assert_eq!(warning.line, 5);
    assert!(warning.message.contains("Properties"), "{warning}");
    assert_eq!(extracted.document.links.len(), 1);
}

#[test]
fn not_a_ucwa_page_is_an_error_at_the_title() {
    let error = extract("not_a_ucwa_page.md").unwrap_err();
    assert_eq!(error.line(), Some(1));
    assert!(
        error
            .to_string()
            .contains("not_a_ucwa_page.md:1: expected UCWA sections"),
        "{error}"
    );
}

fn error_for(bytes: &[u8]) -> Error {
    match extract_page(Path::new("bad.md"), bytes) {
        Ok(extracted) => panic!("expected an error, got {:?}", extracted.document),
        Err(error) => error,
    }
}

#[test]
fn bad_input_is_an_error_naming_file_and_line() {
    assert_eq!(
        error_for(b"").to_string(),
        "bad.md:1: expected a UCWA reference page, found an empty file"
    );
    assert_eq!(error_for(b"# a\n\n\xff\xfe").line(), Some(3));
    assert!(error_for(b"# a\n\0\x01\x02").to_string().contains("binary"));
    assert!(error_for(b"just some words\nand more")
        .to_string()
        .starts_with("bad.md:1: expected"));
    // Without a title, the file name gives the name only when it is one.
    let untitled = b"## Properties\n|Name|Description|\n|:--|:--|\n|a|b|\n";
    let error = extract_page(Path::new("2015 notes.md"), untitled).unwrap_err();
    assert!(error.to_string().contains("title"), "{error}");
    let named = extract_page(Path::new("lamp_ref.md"), untitled).unwrap();
    assert_eq!(named.document.name, "lamp");
    assert_eq!(named.document.properties.len(), 1);
}

#[test]
fn arbitrary_input_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"# x\n|",
        b"# x\n### Properties\n|a|\n|-|\n|b|c|d|\n",
        b"# x\n## GET\n#### JSON Request\n",
        b"# x\n```\n{",
        b"---\n---\n# x\n## Events\n### Added\n|Resource|Priority|Sender|Reason|\n|-|-|-|-|\n{\n",
        b"# x\n## Operations\n### Synchronous errors\n|Error|Code|Subcode|Description|\n|-|-|-|-|\n|A|abc|\n",
        b"[[[(((<<<&&&#;",
        b"# \xc3\xa9\n<a name=x>\ntext",
    ];
    for input in inputs {
        let _ = extract_page(Path::new("fuzz.md"), input);
    }
}

#[test]
fn extracting_twice_gives_identical_yaml() {
    let once = page("irregular_resource.md").to_yaml();
    assert_eq!(once, page("irregular_resource.md").to_yaml());
    assert_eq!(
        Document::from_yaml(&once).expect("reads back").to_yaml(),
        once
    );
}

/// A page cut off anywhere (a truncated download) is extracted or rejected, never a panic.
#[test]
fn every_truncation_of_a_real_page_is_handled() {
    let path = fixture("irregular_resource.md");
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    let mut cut_points: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    cut_points.extend(text.char_indices().map(|(at, _)| at).step_by(7));
    let mut extracted = 0;
    for at in cut_points {
        if extract_page(&path, &text.as_bytes()[..at]).is_ok() {
            extracted += 1;
        }
    }
    assert!(extracted > 0);
}
