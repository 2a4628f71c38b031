//! A schema full of hostile names and text still generates a crate that
//! builds without warnings and decodes its own samples; nothing written in a
//! description, sample or name becomes code; serde names stay exactly as
//! documented; and malformed schema files are errors naming file and line.

mod emit_support;

use proc_macro2::{TokenStream, TokenTree};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use ucwa_codegen::emit::crate_files;
use ucwa_codegen::schema::Document;
use ucwa_codegen::{pipeline, Error};

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

fn hostile_documents() -> Vec<Document> {
    pipeline::load_schema(&hostile_dir().join("schema"))
        .unwrap_or_else(|e| panic!("hostile fixture: {e}"))
        .into_iter()
        .map(|(_, document)| document)
        .collect()
}

fn hostile_crate() -> BTreeMap<String, String> {
    let documents = hostile_documents();
    crate_files(&documents, &emit_support::options_for(Path::new("unused")))
        .unwrap_or_else(|e| panic!("generate: {e}"))
}

/// Every identifier of a token stream, including inside groups, in order.
/// Doc comments and string literals are literals, so text in them never shows up here.
fn identifiers(tokens: TokenStream, into: &mut Vec<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => into.push(ident.to_string()),
            TokenTree::Group(group) => identifiers(group.stream(), into),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// Words planted in descriptions, samples and names that would only appear as
/// identifiers if text had been spliced into code.
const PLANTED: &[&str] = &["pwned", "injected", "evil", "exit", "x", "y", "inner"];

#[test]
fn hostile_text_never_becomes_code() {
    let files = hostile_crate();
    for (path, text) in files.iter().filter(|(path, _)| path.ends_with(".rs")) {
        let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        assert!(file.shebang.is_none(), "{path}");
        let tokens: TokenStream = text.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut idents = Vec::new();
        identifiers(tokens, &mut idents);
        for planted in PLANTED {
            assert!(
                !idents.iter().any(|i| i == planted),
                "{path}: text became code: identifier `{planted}`"
            );
        }
        // Crate-level attributes only come from the emitter, never from a description.
        let deny_count = text.matches("#![deny(").count();
        assert!(
            deny_count <= 1,
            "{path}: {deny_count} crate-level deny attributes"
        );
        assert!(!file
            .items
            .iter()
            .any(|item| matches!(item, syn::Item::Macro(m) if m.mac.path.is_ident("cfg"))));
    }
    let manifest = &files["Cargo.toml"];
    for planted in ["pwned", "} fn"] {
        assert!(
            !manifest.contains(planted),
            "Cargo.toml carries page text: {manifest}"
        );
    }
}

/// The fixture of resources and enumerations named like what the generated
/// code writes unqualified (`Option`, `String`, `Vec`, `Box`, `Some`, `None`,
/// `Ok`, `Err`, `Default`, `Link`, `Value`, ...).
fn prelude_fixture() -> BTreeMap<String, String> {
    let documents = emit_support::load_fixture("hostile");
    crate_files(&documents, &emit_support::options_for(Path::new("unused")))
        .unwrap_or_else(|e| panic!("generate: {e}"))
}

#[test]
fn types_named_like_the_prelude_get_distinct_names_and_the_code_keeps_plain_ones() {
    let files = prelude_fixture();
    let mut defined = Vec::new();
    // The types made from names in the schema (the crate root's own are fixed).
    let from_schema = files
        .iter()
        .filter(|(path, _)| path.starts_with("src/resources/") || *path == "src/enums.rs");
    for (path, text) in from_schema {
        let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        for item in &file.items {
            match item {
                syn::Item::Struct(item) => defined.push(item.ident.to_string()),
                syn::Item::Enum(item) => defined.push(item.ident.to_string()),
                syn::Item::Macro(item) => {
                    // `open_enum! { ... pub enum Name { ... } }`
                    let tokens: Vec<String> = item
                        .mac
                        .tokens
                        .clone()
                        .into_iter()
                        .map(|t| t.to_string())
                        .collect();
                    if let Some(at) = tokens.iter().position(|t| t == "enum") {
                        defined.push(tokens[at + 1].clone());
                    }
                }
                _ => {}
            }
        }
    }
    for used in ucwa_codegen::emit::names::USED_NAMES {
        assert!(
            !defined.iter().any(|d| d == used),
            "a generated type is named {used}: {defined:?}"
        );
    }
    for renamed in [
        "VecResource",
        "BoxResource",
        "SomeResource",
        "NoneResource",
        "OkResource",
        "ErrResource",
        "DefaultResource",
        "LinkResource",
        "StringResource",
        "OptionEnum",
        "ResultEnum",
        "ValueEnum",
    ] {
        assert!(
            defined.iter().any(|d| d == renamed),
            "{renamed} missing: {defined:?}"
        );
    }
    let vec = &files["src/resources/vec.rs"];
    for plain in [
        "pub items: Option<Vec<String>>",
        "pub choice: Option<OptionEnum>",
        "pub embedded: Option<Box<VecResourceEmbedded>>",
        "pub extra: Map<String, Value>",
        "impl_serde!(VecResource {",
        "pub fn box_link(&self) -> Option<&Link<BoxResource>>",
    ] {
        assert!(vec.contains(plain), "`{plain}` missing from vec.rs:\n{vec}");
    }
    assert!(
        !vec.contains("::std::"),
        "vec.rs spells out a std path:\n{vec}"
    );
}

#[test]
fn hostile_serde_names_stay_exact() {
    let files = hostile_crate();
    let source: String = files
        .iter()
        .filter(|(p, _)| p.ends_with(".rs"))
        .map(|(_, t)| t.as_str())
        .collect();
    for documented in [
        "fn",
        "Fn",
        "f_n",
        "self",
        "super",
        "_",
        "__",
        "123",
        "9lives",
        "naïve-name",
        "with space",
        "r#type",
        "@odata.type",
        "größe",
        "1x",
        "a/b",
    ] {
        let literal = format!("{documented:?}");
        assert!(
            source.contains(&literal),
            "serde name {literal} missing from the generated code"
        );
    }
}

/// Decodes JSON bodies with the hostile keys through the generated crate:
/// a typed key with a value of the wrong type must fail (so the key reached
/// its field and not the catch-all map), and a good body must round-trip.
const KEYS_TEST: &str = r##"
use ucwa_fixture::{decode_json, decode_xml};

#[test]
fn hostile_keys_reach_their_fields() {
    let good = r#"{"rel":"crate","fn":"text","Fn":1,"f_n":true,"123":5,"9lives":"cat","naïve-name":"ü","r#type":"raw","_":"u","self":"s","super":1.5,"_links":{"self":{"href":"/crate"},"größe":{"href":"/g"},"a/b":{"href":"/ab"}}}"#;
    assert!(decode_json("crate", good).expect("known rel").is_ok());
    for (key, wrong) in [("Fn", "\"one\""), ("f_n", "\"yes\""), ("123", "\"five\""), ("super", "\"high\""), ("fn", "7"), ("9lives", "[]"), ("naïve-name", "{}"), ("r#type", "false"), ("_", "1")] {
        let body = format!(r#"{{"rel":"crate","{key}":{wrong}}}"#);
        assert!(decode_json("crate", &body).expect("known rel").is_err(), "{key} did not reach its typed field: {body}");
    }
    assert!(decode_json("größe", r#"{"rel":"größe","größe":["Connected","Self","*/"]}"#).expect("known rel").is_ok());
    assert!(decode_json("größe", r#"{"rel":"größe","größe":"Connected"}"#).expect("known rel").is_err());
    let xml = "<resource rel=\"crate\" href=\"/crate\"><property name=\"Fn\">two</property></resource>";
    assert!(decode_xml("crate", xml).expect("known rel").is_err(), "XML property Fn is typed too");
}
"##;

fn cargo_in(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        // Shared with emit_compile, so serde is built once for both.
        .env(
            "CARGO_TARGET_DIR",
            std::env::temp_dir().join("ucwa-codegen-emit-target"),
        )
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .unwrap_or_else(|e| panic!("cargo {args:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo {args:?} in {} failed:\n{stderr}",
        dir.display()
    );
    assert!(
        !stderr.contains("warning:"),
        "cargo {args:?} warned:\n{stderr}"
    );
}

#[test]
fn hostile_schema_crate_builds_and_behaves() {
    let dir = std::env::temp_dir().join("ucwa-codegen-hostile-schema");
    let _ = fs::remove_dir_all(dir.join("src"));
    let _ = fs::remove_dir_all(dir.join("tests"));
    let mut files = hostile_crate();
    files.insert("tests/hostile_keys.rs".into(), KEYS_TEST.into());
    emit_support::write_files(&dir, &files);
    fs::copy(
        emit_support::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .expect("lock file");
    cargo_in(&dir, &["test", "--quiet"]);
}

/// Malformed or wrong-shaped schema files, and the line serde_yaml blames.
const MALFORMED: &[(&str, &str, usize)] = &[
    ("syntax", "name: x\nkind: resource\ndescription: a\n- stray item\n", 4),
    ("wrong_item_type", "name: x\nkind: resource\nproperties:\n- name: [a, list]\n", 4),
    ("wrong_shape_list", "name: x\nkind: resource\nproperties: not a list\n", 3),
    ("wrong_kind", "name: x\nkind: widget\n", 2),
    // A value rejected after parsing is blamed on its item's first line; the message names `properties[0]`.
    ("bad_type", "name: x\nkind: resource\nproperties:\n- name: a\n  type: strin\n", 4),
    ("unknown_key", "name: x\nkind: resource\nlnks: []\n", 3),
    ("code_overflow", "name: x\nkind: resource\noperations:\n- method: GET\n  errors:\n  - error: E\n    code: 70000\n", 7),
    ("bad_method", "name: x\nkind: resource\noperations:\n- method: PATCH\n", 4),
    ("top_level_list", "- name: x\n", 1),
    ("tab_indent", "name: x\nkind: resource\nproperties:\n\t- name: a\n", 4),
    ("alias_bomb", "name: &a x\nkind: resource\nproperties: &p [*p]\n", 3),
];

#[test]
fn malformed_schema_files_are_errors_with_file_and_line() {
    for (name, text, line) in MALFORMED {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(format!("{name}.yaml"));
        fs::write(&file, text).expect("write");
        match pipeline::load_schema(dir.path()) {
            Err(Error::Schema {
                file: blamed,
                line: Some(found),
                message,
            }) => {
                assert_eq!(blamed, file, "{name}");
                assert_eq!(found, *line, "{name}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("{name}: expected a schema error at line {line}, got {other:?}"),
        }
    }
}

#[test]
fn pathological_schema_files_are_errors_not_crashes() {
    let deep = format!(
        "name: x\nkind: resource\nproperties: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let laughs: String = (1..10)
        .map(|n| {
            format!(
                "l{n}: &l{n} [{}]\n",
                vec![format!("*l{}", n - 1); 9].join(",")
            )
        })
        .collect();
    let bomb = format!("name: x\nkind: resource\nl0: &l0 [lol]\n{laughs}");
    for (name, text) in [
        ("deep", deep.as_bytes()),
        ("bomb", bomb.as_bytes()),
        ("empty", b"".as_slice()),
        // serde_yaml gives no location for a second document; the file is still named.
        (
            "two_documents",
            b"name: a\nkind: resource\n---\nname: b\nkind: resource\n".as_slice(),
        ),
        ("binary", b"name: \xff\xfe\n"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(format!("{name}.yaml"));
        fs::write(&file, text).expect("write");
        let error = pipeline::load_schema(dir.path()).expect_err(name);
        assert_eq!(error.file(), file, "{name}: {error}");
        assert!(
            matches!(error, Error::Schema { .. } | Error::Io { .. }),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn the_binary_reports_a_malformed_schema_as_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("schema");
    fs::create_dir(&schema).expect("dir");
    fs::write(
        schema.join("bad.yaml"),
        "name: x\nkind: resource\nproperties: 3\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_ucwa-codegen"))
        .args(["generate", "--schema"])
        .arg(&schema)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("bad.yaml:3"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !dir.path().join("out").exists(),
        "nothing is written from a broken schema"
    );
}
