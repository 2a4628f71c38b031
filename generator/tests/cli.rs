//! The binary as a user meets it: subcommands, exit codes, one-line errors,
//! staleness detection and atomic output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use ucwa_codegen::commands::Layout;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ucwa-codegen"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const PAGE: &str = "# widget\n\n_**Applies to:** Skype for Business 2015_\n\nRepresents a widget.\n\n### Properties\n\n|**Name**|**Description**|\n|:-----|:-----|\n|size|The size.|\n\n### Links\n\nNone\n";

/// `dir/schema`, extracted from a `dir/pages` holding the widget page.
fn extracted_widget(dir: &Path) -> PathBuf {
    let pages = dir.join("pages");
    let schema = dir.join("schema");
    fs::create_dir_all(&pages).unwrap();
    fs::write(pages.join("widget_ref.md"), PAGE).unwrap();
    let output = run(&[
        "extract",
        pages.to_str().unwrap(),
        "--out",
        schema.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    schema
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_schema_and_generated_crate_are_fresh() {
    let layout = Layout::repository();
    if !layout.pages.iter().any(|p| p.exists()) {
        println!("skipped the schema/ half: ../shared/ucwa is absent; generated/ is still checked against schema/");
    }
    let stale = layout.check().expect("check runs");
    assert!(
        stale.is_empty(),
        "stale output, run `cargo run -p ucwa-codegen`: {stale:#?}"
    );
}

#[test]
fn the_committed_schema_is_the_whole_published_api() {
    // All 294 published reference pages (2026-11-29), so a clone without
    // ../shared still has every resource a client needs.
    let (documents, _) =
        ucwa_codegen::commands::load_documents(&Layout::repository().schema, None, |_| {})
            .expect("the committed schema reads");
    let count = |kind| documents.iter().filter(|d| d.kind == kind).count();
    assert_eq!(
        (
            documents.len(),
            count(ucwa_codegen::schema::Kind::Resource),
            count(ucwa_codegen::schema::Kind::Enumeration)
        ),
        (294, 238, 56)
    );
    for name in [
        "application",
        "me",
        "communication",
        "startMessaging",
        "messagingInvitation",
        "events",
    ] {
        assert!(
            documents.iter().any(|d| d.name == name),
            "{name} is missing"
        );
    }
}

#[test]
fn check_names_a_hand_edited_generated_file() {
    // A crate kept in step with a small fixture schema: the rule is the same
    // for the repository's generated/, which is too big to regenerate here
    // more than the freshness test does.
    let dir = tempfile::tempdir().unwrap();
    let schema = repository().join("generator/tests/fixtures/schema/seeds");
    let generated = dir.path().join("generated");
    let layout = Layout {
        pages: Vec::new(),
        schema: schema.clone(),
        generated: generated.clone(),
        ..Layout::repository()
    };
    let outcome = layout.regenerate().unwrap();
    assert_eq!(
        outcome.schema_documents, None,
        "no pages: the schema is taken as it is"
    );
    assert_eq!(
        layout.check().unwrap(),
        Vec::<PathBuf>::new(),
        "what was just written is not stale"
    );

    let lib = generated.join("src/lib.rs");
    let edited = fs::read_to_string(&lib).unwrap() + "\n// hand edit\n";
    fs::write(&lib, edited).unwrap();
    assert_eq!(layout.check().unwrap(), vec![lib]);

    let output = run(&[
        "check",
        "--pages",
        "/nonexistent",
        "--schema",
        schema.to_str().unwrap(),
        "--generated",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let named: Vec<&str> = std::str::from_utf8(&output.stderr)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("  "))
        .collect();
    assert_eq!(named.len(), 1, "{}", text(&output));
    assert!(named[0].ends_with("src/lib.rs"), "{}", text(&output));
}

#[test]
fn a_broken_page_fails_the_run_but_not_the_others_and_keeps_its_old_schema() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    let out = dir.path().join("schema");
    fs::create_dir_all(&pages).unwrap();
    fs::write(pages.join("widget_ref.md"), PAGE).unwrap();
    fs::write(
        pages.join("gadget_ref.md"),
        PAGE.replace("widget", "gadget"),
    )
    .unwrap();
    let first = run(&[
        "extract",
        pages.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(first.status.success(), "{}", text(&first));
    let gadget_before = fs::read(out.join("gadget.yaml")).unwrap();

    fs::write(pages.join("gadget_ref.md"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    fs::write(
        pages.join("widget_ref.md"),
        PAGE.replace("The size.", "The size in pixels."),
    )
    .unwrap();
    let second = run(&[
        "extract",
        pages.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(second.status.code(), Some(1));
    let said = text(&second);
    assert!(
        said.contains("gadget_ref.md:1:") && said.contains("UTF-8"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(
        fs::read(out.join("gadget.yaml")).unwrap(),
        gadget_before,
        "the broken page's schema is kept"
    );
    assert!(
        fs::read_to_string(out.join("widget.yaml"))
            .unwrap()
            .contains("in pixels"),
        "the good page is updated"
    );
}

#[test]
fn a_broken_schema_file_leaves_the_generated_crate_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let schema = extracted_widget(dir.path());
    let krate = dir.path().join("crate");
    let generate = [
        "generate",
        "--schema",
        schema.to_str().unwrap(),
        "--out",
        krate.to_str().unwrap(),
    ];
    let first = run(&generate);
    assert!(first.status.success(), "{}", text(&first));
    let before = fs::read(krate.join("src/lib.rs")).unwrap();

    fs::write(
        schema.join("widget.yaml"),
        "name: widget\nkind: resource\nproperties:\n- name: size\n  type: colour\n",
    )
    .unwrap();
    let second = run(&generate);
    assert_eq!(second.status.code(), Some(1));
    let said = text(&second);
    assert!(
        said.contains("widget.yaml:4:") && said.contains("unknown type `colour`"),
        "{said}"
    );
    assert_eq!(
        said.trim().lines().count(),
        1,
        "one line, no backtrace: {said}"
    );
    assert_eq!(fs::read(krate.join("src/lib.rs")).unwrap(), before);
}

#[test]
fn every_subcommand_explains_its_flags() {
    for (subcommand, flags) in [
        ("extract", &["--out", "--transcripts", "--force"][..]),
        (
            "generate",
            &[
                "--schema",
                "--out",
                "--crate-name",
                "--overrides",
                "--runtime",
                "--force",
            ][..],
        ),
        (
            "check",
            &[
                "--pages",
                "--transcripts",
                "--schema",
                "--generated",
                "--overrides",
            ][..],
        ),
        ("report", &["--schema", "--overrides"][..]),
    ] {
        let help = text(&run(&[subcommand, "--help"]));
        for flag in flags {
            assert!(
                help.contains(flag),
                "{subcommand} --help lacks {flag}:\n{help}"
            );
        }
    }
}

#[test]
fn report_lists_the_overrides_that_applied() {
    let dir = tempfile::tempdir().unwrap();
    let schema = extracted_widget(dir.path());
    let overrides = dir.path().join("overrides.yaml");
    fs::write(
        &overrides,
        "- resource: widget\n  property: size\n  type: integer\n",
    )
    .unwrap();
    let output = run(&[
        "report",
        "--schema",
        schema.to_str().unwrap(),
        "--overrides",
        overrides.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("line 1: widget.size: type integer"), "{said}");
    assert!(
        said.contains("properties typed                   1"),
        "{said}"
    );

    fs::write(
        &overrides,
        "- resource: widget\n  property: colour\n  type: integer\n",
    )
    .unwrap();
    let output = run(&[
        "report",
        "--schema",
        schema.to_str().unwrap(),
        "--overrides",
        overrides.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("overrides.yaml:1: expected a property `colour`"),
        "{}",
        text(&output)
    );
}
