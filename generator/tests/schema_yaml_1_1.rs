//! The schema reads the same in every YAML tool: no plain scalar that a YAML
//! 1.1 reader would type differently from serde_yaml.
//!
//! The files are read as PyYAML's C loader reads them: libyaml's parser (the
//! one serde_yaml is built on) gives each scalar with its style, and the
//! plain ones are resolved with the YAML 1.1 type repository's patterns
//! (yaml.org/type: bool, null, int, float, timestamp, merge, value), joined
//! with PyYAML's variants of them, written out here independently of the
//! generator's own recogniser.

use regex::Regex;
use std::path::Path;
use std::sync::OnceLock;
use ucwa_codegen::schema::{BodyField, Document, Example, Kind, Member, Operation, Property};

/// The schema fields whose plain values are meant to be booleans or integers.
const TYPED_FIELDS: [&str; 5] = ["required", "valid", "nullable", "code", "max_length"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Str,
    Bool,
    Null,
    Int,
    Float,
    Timestamp,
    Merge,
    Value,
}

/// The YAML 1.1 implicit type of a plain scalar.
fn yaml_1_1_type(plain: &str) -> Type {
    static PATTERNS: OnceLock<Vec<(Type, Regex)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let whole = |pattern: &str| Regex::new(&format!("^(?:{pattern})$")).expect("pattern");
        vec![
            (
                Type::Bool,
                whole(
                    "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
                ),
            ),
            (Type::Null, whole("~|null|Null|NULL|")),
            (
                Type::Int,
                whole(concat!(
                    "[-+]?0b[0-1_]+",
                    "|[-+]?0[0-7_]+",
                    "|[-+]?(?:0|[1-9][0-9_]*)",
                    "|[-+]?0x[0-9a-fA-F_]+",
                    "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
                )),
            ),
            (
                Type::Float,
                whole(concat!(
                    // yaml.org/type/float.html
                    "[-+]?(?:[0-9][0-9_]*)?\\.[0-9.]*(?:[eE][-+][0-9]+)?",
                    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*",
                    "|[-+]?\\.(?:inf|Inf|INF)",
                    "|\\.(?:nan|NaN|NAN)",
                    // PyYAML's resolver
                    "|[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?",
                    "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
                )),
            ),
            (
                Type::Timestamp,
                whole(concat!(
                    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
                    "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
                    "(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?",
                    // the time zone as PyYAML reads it: the type page's own
                    // example `2001-12-14 21:59:43.10 -5` has a space before it
                    "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
                )),
            ),
            (Type::Merge, whole("<<")),
            (Type::Value, whole("=")),
        ]
    });
    patterns
        .iter()
        .find(|(_, pattern)| pattern.is_match(plain))
        .map_or(Type::Str, |(kind, _)| *kind)
}

/// How serde_yaml types the same plain scalar.
fn serde_yaml_type(plain: &str) -> Type {
    match serde_yaml::from_str::<serde_yaml::Value>(plain) {
        Ok(serde_yaml::Value::Bool(_)) => Type::Bool,
        Ok(serde_yaml::Value::Null) => Type::Null,
        Ok(serde_yaml::Value::Number(number)) if number.is_f64() => Type::Float,
        Ok(serde_yaml::Value::Number(_)) => Type::Int,
        _ => Type::Str,
    }
}

/// A plain scalar: its line, the mapping key it is (or holds it, directly
/// or as an item of a list), and its text.
#[derive(Debug)]
struct Plain {
    line: usize,
    key: String,
    text: String,
}

/// The plain scalars of a YAML text, as libyaml parses it.
fn plain_scalars(yaml: &str) -> Result<Vec<Plain>, String> {
    use std::mem::MaybeUninit;
    use unsafe_libyaml as unsafe_sys;

    /// Per open collection: for a mapping, the last key and whether the next scalar is a key.
    enum Frame {
        Mapping { key: String, next_is_key: bool },
        Sequence,
    }
    let mut frames: Vec<Frame> = Vec::new();
    let mut plains = Vec::new();
    // Boxed: libyaml keeps pointers into the parser, so it must not move.
    let mut parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>> = Box::new(MaybeUninit::uninit());
    let parser = parser.as_mut_ptr();
    // SAFETY: the parser is initialised before use and deleted once; each
    // event is initialised by a successful `yaml_parser_parse`, read only
    // while alive and deleted once; `yaml` outlives the parser.
    unsafe {
        if unsafe_sys::yaml_parser_initialize(parser).fail {
            return Err("libyaml could not allocate a parser".into());
        }
        unsafe_sys::yaml_parser_set_encoding(parser, unsafe_sys::YAML_UTF8_ENCODING);
        unsafe_sys::yaml_parser_set_input_string(parser, yaml.as_ptr(), yaml.len() as u64);
        let result = loop {
            let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
            if unsafe_sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                let mark = (&*parser).problem_mark;
                break Err(format!("libyaml: parse error at line {}", mark.line + 1));
            }
            let event = event.as_mut_ptr();
            let kind = (*event).type_;
            let mut is_value = false;
            match kind {
                unsafe_sys::YAML_STREAM_END_EVENT => {}
                unsafe_sys::YAML_MAPPING_START_EVENT => {
                    is_value = true;
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                    is_value = true;
                }
                unsafe_sys::YAML_MAPPING_END_EVENT | unsafe_sys::YAML_SEQUENCE_END_EVENT => {
                    frames.pop();
                }
                unsafe_sys::YAML_SCALAR_EVENT => {
                    let scalar = (*event).data.scalar;
                    let bytes = std::slice::from_raw_parts(scalar.value, scalar.length as usize);
                    let text = String::from_utf8_lossy(bytes).into_owned();
                    if scalar.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE {
                        let key = match frames.last() {
                            Some(Frame::Mapping { next_is_key, .. }) if *next_is_key => {
                                text.clone()
                            }
                            _ => frames
                                .iter()
                                .rev()
                                .find_map(|frame| match frame {
                                    Frame::Mapping { key, .. } => Some(key.clone()),
                                    Frame::Sequence => None,
                                })
                                .unwrap_or_default(),
                        };
                        plains.push(Plain {
                            line: (*event).start_mark.line as usize + 1,
                            key,
                            text: text.clone(),
                        });
                    }
                    match frames.last_mut() {
                        Some(Frame::Mapping { key, next_is_key }) if *next_is_key => {
                            *key = text;
                            *next_is_key = false;
                        }
                        _ => is_value = true,
                    }
                }
                _ => {}
            }
            // A value (or a collection, which is one) completes a mapping entry.
            if is_value {
                if let Some(Frame::Mapping { next_is_key, .. }) = frames.last_mut() {
                    *next_is_key = true;
                }
            }
            match kind {
                unsafe_sys::YAML_MAPPING_START_EVENT => frames.push(Frame::Mapping {
                    key: String::new(),
                    next_is_key: true,
                }),
                unsafe_sys::YAML_SEQUENCE_START_EVENT => frames.push(Frame::Sequence),
                _ => {}
            }
            unsafe_sys::yaml_event_delete(event);
            if kind == unsafe_sys::YAML_STREAM_END_EVENT {
                break Ok(plains);
            }
        };
        unsafe_sys::yaml_parser_delete(parser);
        result
    }
}

/// Every way `yaml` would read differently in YAML 1.1 than in serde_yaml,
/// and every typed plain scalar outside the schema's typed fields; and the
/// number of plain scalars checked.
fn disagreements(name: &str, yaml: &str) -> (Vec<String>, usize) {
    let plains = match plain_scalars(yaml) {
        Ok(plains) => plains,
        Err(error) => return (vec![format!("{name}: {error}")], 0),
    };
    let mut found = Vec::new();
    for plain in &plains {
        let (old, new) = (yaml_1_1_type(&plain.text), serde_yaml_type(&plain.text));
        if old != new {
            found.push(format!(
                "{name}:{}: `{}` is {old:?} in YAML 1.1 but {new:?} in serde_yaml",
                plain.line, plain.text
            ));
        } else if old != Type::Str && !TYPED_FIELDS.contains(&plain.key.as_str()) {
            found.push(format!(
                "{name}:{}: `{}: {}` is a plain {old:?} outside the typed fields",
                plain.line, plain.key, plain.text
            ));
        }
    }
    (found, plains.len())
}

#[test]
fn every_plain_scalar_of_the_committed_schema_reads_the_same_in_yaml_1_1() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let mut files: Vec<_> = std::fs::read_dir(&schema)
        .expect("the committed schema/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no schema files in {}", schema.display());
    let (mut problems, mut plains, mut typed) = (Vec::new(), 0, 0);
    for file in &files {
        let yaml = std::fs::read_to_string(file).expect("readable schema file");
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let (found, count) = disagreements(&name, &yaml);
        problems.extend(found);
        plains += count;
        typed += yaml.matches(": true\n").count();
        // And serde_yaml reads back exactly what the writer writes.
        match Document::from_yaml(&yaml) {
            Ok(document) if document.to_yaml() == yaml => {}
            Ok(_) => problems.push(format!("{name}: not as the writer writes it")),
            Err(error) => problems.push(format!("{name}: {error}")),
        }
    }
    println!(
        "{} files, {plains} plain scalars, none typed differently by YAML 1.1",
        files.len()
    );
    assert!(plains > files.len() && typed > 0, "too little was checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Strings a YAML 1.1 reader types, each a trap for one pattern.
const LOOKALIKES: &[&str] = &[
    "On",
    "Off",
    "ON",
    "off",
    "Yes",
    "No",
    "yes",
    "NO",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "=",
    "<<",
    "0",
    "-0",
    "+12",
    "1_000",
    "0777",
    "0b1010",
    "-0b1",
    "0x1F",
    "0x_1f",
    "1:20",
    "-1:20:30",
    "190:20:30.15",
    "1.5",
    "1.",
    ".5",
    "-.5",
    "1.0e+3",
    "1._5",
    "6.8523015e+5",
    "1e3",
    ".inf",
    "-.Inf",
    "+.INF",
    ".NaN",
    ".nan",
    ".",
    "...",
    "2015-07-01",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-1-1T1:00:00Z",
    "2002-12-14 01:00:00 Z",
];

/// The same strings where they must stay as they are: inside longer text and
/// on their own lines of a multi-line body.
fn surroundings(lookalike: &str) -> Vec<String> {
    vec![
        lookalike.to_string(),
        format!("{lookalike} and more"),
        format!("{lookalike}\n"),
        format!("line\n{lookalike}\n- {lookalike}\nkey: {lookalike}"),
        format!("  {lookalike}\n{lookalike}"),
        format!("{lookalike}\u{2028}{lookalike}"),
        format!("it's {lookalike}"),
    ]
}

/// A document with `text` in every string position the schema has.
fn document_with(text: &str) -> Document {
    Document {
        name: text.into(),
        kind: Kind::Enumeration,
        description: text.into(),
        inferred: vec![text.into()],
        properties: vec![Property {
            name: text.into(),
            description: text.into(),
            type_source: Some(text.into()),
            ..Property::default()
        }],
        operations: vec![Operation {
            description: text.into(),
            request_body: vec![BodyField {
                name: text.into(),
                values: vec![text.into(), text.into()],
                required: true,
                max_length: Some(256),
                ..BodyField::default()
            }],
            examples: vec![Example {
                start_line: text.into(),
                headers: vec![text.into()],
                body: text.into(),
                valid: true,
                problem: Some(text.into()),
                ..Example::default()
            }],
            ..Operation::default()
        }],
        members: vec![Member {
            name: text.into(),
            description: text.into(),
        }],
        ..Document::default()
    }
}

#[test]
fn lookalikes_are_quoted_wherever_they_stand_and_read_back_exactly() {
    let mut problems = Vec::new();
    for text in LOOKALIKES
        .iter()
        .flat_map(|lookalike| surroundings(lookalike))
    {
        let document = document_with(&text);
        let yaml = document.to_yaml();
        problems.extend(disagreements(&format!("{text:?}"), &yaml).0);
        match Document::from_yaml(&yaml) {
            Ok(read) if read == document => {}
            Ok(_) => problems.push(format!("{text:?}: reads back differently:\n{yaml}")),
            Err(error) => problems.push(format!("{text:?}: does not read back: {error}\n{yaml}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let on = document_with("On").to_yaml();
    assert!(on.contains("name: 'On'\n"), "{on}");
}

#[test]
fn every_short_string_of_number_characters_reads_the_same_in_yaml_1_1() {
    // All strings of up to three characters over the alphabet YAML 1.1's
    // number, null and boolean patterns are made of: about 15,000 values,
    // written and parsed as one document.
    let alphabet: Vec<char> = "0159._:+-eExbfnyNY~".chars().collect();
    let mut values: Vec<String> = Vec::new();
    let mut previous = vec![String::new()];
    for _ in 0..3 {
        previous = previous
            .iter()
            .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
            .collect();
        values.extend(previous.iter().cloned());
    }
    let document = Document {
        name: "short".into(),
        members: values
            .iter()
            .map(|value| Member {
                name: value.clone(),
                description: String::new(),
            })
            .collect(),
        ..Document::default()
    };
    let yaml = document.to_yaml();
    let (problems, plains) = disagreements("short strings", &yaml);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(plains > values.len() / 2, "only {plains} plain scalars");
    assert_eq!(Document::from_yaml(&yaml).expect("reads back"), document);
}

#[test]
fn the_resolver_here_types_what_yaml_1_1_types() {
    for (text, expected) in [
        ("On", Type::Bool),
        ("n", Type::Bool),
        ("oN", Type::Str),
        ("~", Type::Null),
        ("0x1F", Type::Int),
        ("1_000", Type::Int),
        ("1:20", Type::Int),
        ("0o17", Type::Str),
        ("1e3", Type::Str),
        (".5", Type::Float),
        ("-.inf", Type::Float),
        ("190:20:30.15", Type::Float),
        ("2015-07-01", Type::Timestamp),
        ("2001-12-14 21:59:43.10 -5", Type::Timestamp),
        ("2015-7-1", Type::Str),
        ("<<", Type::Merge),
        ("Online", Type::Str),
    ] {
        assert_eq!(yaml_1_1_type(text), expected, "{text:?}");
    }
    let plains = plain_scalars("a: On\nb:\n- 'x'\n- y\nc: |-\n  On\n").expect("parses");
    let seen: Vec<(&str, &str)> = plains
        .iter()
        .map(|plain| (plain.key.as_str(), plain.text.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("a", "a"), ("a", "On"), ("b", "b"), ("b", "y"), ("c", "c")],
        "keys, and values with their key; quoted and block scalars are not plain"
    );
}
