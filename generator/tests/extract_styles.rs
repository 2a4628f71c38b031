//! The renderings the web serves UCWA pages in, each read back to the schema
//! of its markdown twin. The twins (`fixtures/md/twins`) are abridged
//! published pages; each style directory under `fixtures/rendered` (and
//! `fixtures/md/no_title`) renders them the way that style does:
//! - `no_title`: the text begins at "Applies to", at the description, or in
//!   the middle of the web-link table; the name comes from the file name;
//! - `no_headings`: every section heading is gone, with blank lines
//!   (`startMessaging`, `AccessLevel`) or without (`contactNote`), or from
//!   the markdown source with its pipes stripped (`startMessaging_ref.md`);
//! - `cell_per_line`: each table cell on its own line, ending in ` |`
//!   (`contactNote`) or bare;
//! - `msdn`: the old MSDN layout, with its furniture and table cells run
//!   together (`NameDescription`, `EveryoneEveryone is admitted ...`);
//! - `joined_tables`: every heading but the title gone and the web-link table
//!   run into the properties table with no line between, in markdown and in
//!   rendered pipe text;
//! - and every twin and rendering cut short at arbitrary points, and at the
//!   end of each complete table row without its final newline.

mod extract_support;

use extract_support::facts;
use std::path::{Path, PathBuf};
use ucwa_codegen::extract::{extract_page, Extracted};
use ucwa_codegen::schema::Document;

const TWINS: [&str; 3] = ["contactNote_ref", "startMessaging_ref", "AccessLevel_ref"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn extract_text(path: &Path, text: &str) -> Extracted {
    extract_page(path, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn twin(name: &str) -> Document {
    let path = fixtures().join("md/twins").join(format!("{name}.md"));
    extract_text(&path, &read(&path)).document
}

/// Extracts every fixture of a style and compares it with its twin.
fn style_agrees_with_twins(style: &str, extension: &str) -> Vec<Extracted> {
    let mut found = Vec::new();
    for name in TWINS {
        let path = fixtures().join(style).join(format!("{name}.{extension}"));
        if !path.exists() {
            continue;
        }
        let extracted = extract_text(&path, &read(&path));
        let expected = facts(twin(name));
        let found_facts = facts(extracted.document.clone());
        // A page that begins inside its web-link table lost the description above it.
        if found_facts.description.is_empty() && style.ends_with("no_title") {
            assert_subset(&found_facts, &expected, &path.display().to_string());
        } else {
            assert_same_yaml(&found_facts, &expected, &path.display().to_string());
        }
        found.push(extracted);
    }
    assert!(!found.is_empty(), "no fixtures for {style}");
    found
}

/// Equal schemas; on a difference, the lines each side has alone.
fn assert_same_yaml(found: &Document, expected: &Document, what: &str) {
    let (found, expected) = (found.to_yaml(), expected.to_yaml());
    if found != expected {
        let only = |a: &str, b: &str| -> Vec<String> {
            let b: Vec<&str> = b.lines().collect();
            a.lines()
                .filter(|line| !b.contains(line))
                .map(str::to_string)
                .collect()
        };
        panic!(
            "{what} differs from its twin\nonly extracted:\n{}\nonly in the twin:\n{}",
            only(&found, &expected).join("\n"),
            only(&expected, &found).join("\n")
        );
    }
}

/// Every fact of `found` is one of `expected`'s, and the twin has more.
fn assert_subset(found: &Document, expected: &Document, what: &str) {
    assert_subset_or_equal(found, expected, what);
    assert_ne!(
        found.to_yaml(),
        expected.to_yaml(),
        "{what}: not a true subset"
    );
}

/// Every fact of `found` is one of `expected`'s: each YAML line of the
/// extracted facts appears among the twin's, in order.
fn assert_subset_or_equal(found: &Document, expected: &Document, what: &str) {
    assert_eq!(found.name, expected.name, "{what}");
    let (found_yaml, expected_yaml) = (found.to_yaml(), expected.to_yaml());
    let mut twin_lines = expected_yaml.lines();
    // An empty value (`type: ''`, an event whose type nothing showed) is no fact.
    for line in found_yaml.lines().filter(|line| !line.ends_with(": ''")) {
        // A list item's first key starts with `- `; it matches the same line of the twin.
        assert!(
            twin_lines.any(|twin_line| twin_line == line),
            "{what}: `{line}` is not among the twin's facts (in order)\n{found_yaml}"
        );
    }
}

#[test]
fn twins_are_complete_pages() {
    let contact_note = twin("contactNote_ref");
    assert_eq!(contact_note.properties.len(), 2);
    assert_eq!(contact_note.links.len(), 2);
    assert_eq!(contact_note.events.len(), 1);
    let start_messaging = twin("startMessaging_ref");
    assert_eq!(start_messaging.operations[0].query_parameters.len(), 1);
    assert_eq!(start_messaging.operations[0].request_body.len(), 3);
    assert_eq!(twin("AccessLevel_ref").members.len(), 5);
}

#[test]
fn pages_without_a_title_are_named_by_their_file() {
    let mut found = style_agrees_with_twins("rendered/no_title", "txt");
    found.extend(style_agrees_with_twins("md/no_title", "md"));
    for extracted in &found {
        let document = &extracted.document;
        assert!(
            document
                .inferred
                .iter()
                .any(|note| note.contains("from the file name")),
            "{:?}",
            document.inferred
        );
        assert!(
            extracted
                .warnings
                .iter()
                .any(|warning| warning.message.contains("file name")),
            "{:?}",
            extracted.warnings
        );
    }
}

#[test]
fn a_page_without_title_or_name_in_its_file_name_is_an_error() {
    let path = fixtures().join("rendered/no_title/AccessLevel_ref.txt");
    let text = read(&path);
    let error = extract_page(Path::new("2017 copy.txt"), text.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("title"), "{error}");
}

#[test]
fn pages_without_section_headings_agree_with_their_twins() {
    style_agrees_with_twins("rendered/no_headings", "txt");
    // The markdown source with its headings and table pipes stripped.
    style_agrees_with_twins("rendered/no_headings", "md");
}
/// The web-link table and the properties under it with nothing between:
/// the second table's header is a row of the first to the parser, and
/// both were dropped as the web-link table before.
#[test]
fn tables_run_together_agree_with_their_twins() {
    let found = [
        style_agrees_with_twins("md/joined_tables", "md"),
        style_agrees_with_twins("rendered/joined_tables", "txt"),
    ];
    for extracted in found.iter().flatten() {
        assert!(
            extracted
                .document
                .inferred
                .iter()
                .any(|note| note.contains("Properties heading inferred")),
            "{:?}",
            extracted.document.inferred
        );
    }
}

/// A page copied from a browser often has no final newline. Cut right after
/// any line that closes a table row with its `|`, each fixture gives the
/// same facts as the same text with its newline, and no warning says a row
/// was left out; cut inside such a row, the row is left out with a warning
/// (the test above).
#[test]
fn a_closed_last_row_without_a_final_newline_is_kept() {
    let mut cuts = 0;
    for (path, _) in all_fixtures() {
        let text = read(&path);
        let mut end = 0;
        for line in text.split_inclusive('\n') {
            end += line.len();
            let row = line.trim_end();
            // A header line is no row: without the rule under it, no table.
            let rule_below = text[end..]
                .trim_start_matches(['\r', '\n'])
                .starts_with(['|', '-'])
                && text[end..]
                    .lines()
                    .next()
                    .is_some_and(|next| next.contains("--"));
            let is_rule = row
                .trim_start()
                .trim_start_matches(['|', ':'])
                .starts_with("--");
            // One cell on the line is a table written a cell per line, whose
            // rows span lines (the unit tests cover those).
            let one_cell = row
                .trim_start_matches('|')
                .trim_end_matches('|')
                .matches('|')
                .count()
                == 0;
            if !row.ends_with('|') || is_rule || rule_below || one_cell || !line.ends_with('\n') {
                continue;
            }
            let (with_newline, without) =
                (&text[..end], text[..end].trim_end_matches(['\n', '\r']));
            let (Ok(whole), Ok(cut)) = (
                extract_page(&path, with_newline.as_bytes()),
                extract_page(&path, without.as_bytes()),
            ) else {
                continue;
            };
            cuts += 1;
            let what = format!(
                "{} cut after line {}",
                path.display(),
                without.lines().count()
            );
            assert_same_yaml(&facts(cut.document), &facts(whole.document), &what);
            assert!(
                !cut.warnings
                    .iter()
                    .any(|warning| warning.message.contains("left out")),
                "{what}: {:?}",
                cut.warnings
            );
        }
    }
    println!("{cuts} pages cut after a closed row");
    assert!(cuts > 40, "{cuts}");
}

#[test]
fn tables_with_one_cell_per_line_agree_with_their_twins() {
    style_agrees_with_twins("rendered/cell_per_line", "txt");
}
#[test]
fn old_msdn_pages_agree_with_their_twins() {
    let found = style_agrees_with_twins("rendered/msdn", "txt");
    let access_level = found
        .iter()
        .find(|extracted| extracted.document.name == "AccessLevel")
        .expect("AccessLevel");
    // "InvitedOnly invited …" splits at the capital only: a guess, said so.
    assert!(
        access_level
            .document
            .inferred
            .iter()
            .any(|note| note.contains("a guess") && note.contains("Invited")),
        "{:?}",
        access_level.document.inferred
    );
    // "EveryoneEveryone is admitted": the description repeats the name, no guess.
    assert!(access_level
        .document
        .inferred
        .iter()
        .all(|note| !note.contains("Everyone")));
    for extracted in &found {
        let yaml = extracted.document.to_yaml();
        for furniture in [
            "Contributors",
            "Last Updated",
            "©",
            "TOC",
            "table of content",
        ] {
            assert!(!yaml.contains(furniture), "{furniture} in\n{yaml}");
        }
    }
}

/// Every twin and every rendering of it, with the twin it renders.
fn all_fixtures() -> Vec<(PathBuf, &'static str)> {
    let mut found = Vec::new();
    for dir in [
        "md/twins",
        "md/no_title",
        "rendered/no_title",
        "rendered/no_headings",
        "rendered/cell_per_line",
        "rendered/msdn",
        "md/furniture",
        "rendered/furniture",
        "md/joined_tables",
        "rendered/joined_tables",
    ] {
        for name in TWINS {
            for extension in ["md", "txt"] {
                let path = fixtures().join(dir).join(format!("{name}.{extension}"));
                if path.exists() {
                    found.push((path, name));
                }
            }
        }
    }
    found
}

/// Cut anywhere inside a line, each fixture gives a subset of its twin's
/// facts and a warning naming the file and the line of the cut, or an error
/// when too little is left to be a page. Cuts right at a line's end are
/// left out: such a page is whole but for its newline.
#[test]
fn pages_cut_short_give_a_subset_of_their_facts_with_a_warning() {
    let mut extracted = 0;
    let mut strict = 0;
    for (path, name) in all_fixtures() {
        let text = read(&path);
        let expected = facts(twin(name));
        let cuts = (1..text.len())
            .step_by(23)
            .filter(|&at| text.is_char_boundary(at))
            .filter(|&at| !text[..at].ends_with('\n') && !text[at..].starts_with('\n'))
            .take(200);
        for at in cuts {
            let cut = &text[..at];
            let what = format!("{} cut at byte {at}", path.display());
            let Ok(found) = extract_page(&path, cut.as_bytes()) else {
                continue;
            };
            extracted += 1;
            let line = cut.lines().count();
            assert!(
                found
                    .warnings
                    .iter()
                    .any(|warning| warning.line == line && warning.file == path),
                "{what}: no warning at line {line}: {:?}",
                found.warnings
            );
            let found = facts(found.document);
            assert_subset_or_equal(&found, &expected, &what);
            if found.to_yaml() != expected.to_yaml() {
                strict += 1;
            }
        }
    }
    println!("{extracted} cut pages extracted, {strict} with strictly fewer facts");
    assert!(extracted > 300, "{extracted}");
    assert!(strict * 10 > extracted * 8, "{strict} of {extracted}");
}

/// The example: a markdown page that ends in the middle of its last
/// table row, with no closing `|` and no final newline.
#[test]
fn a_markdown_page_ending_mid_row_warns_and_keeps_the_rows_before() {
    let path = fixtures().join("md/cut_short_row.md");
    let text = read(&path);
    assert!(!text.ends_with('\n') && !text.ends_with('|'));
    let extracted = extract_text(&path, &text);
    let line = text.lines().count();
    let warning = extracted
        .warnings
        .iter()
        .find(|warning| warning.line == line)
        .unwrap_or_else(|| panic!("{:?}", extracted.warnings));
    assert_eq!(warning.file, path);
    assert!(warning.message.contains("table row"), "{warning}");
    let expected = twin("AccessLevel_ref");
    assert_eq!(extracted.document.members, expected.members[..4]);
}

/// Older revisions of the published pages carry page furniture: a "Last
/// modified" line, an "In this article" list of links to the page's own
/// sections, and HTML anchors. None of it enters a description or any other
/// text field, in markdown or rendered.
#[test]
fn page_furniture_never_enters_a_text_field() {
    let mut found = style_agrees_with_twins("md/furniture", "md");
    found.extend(style_agrees_with_twins("rendered/furniture", "txt"));
    assert_eq!(found.len(), 3);
    for extracted in &found {
        let yaml = extracted.document.to_yaml();
        for furniture in [
            "Last modified",
            "July 15",
            "In this article",
            "sectionSection",
            "<a",
        ] {
            assert!(!yaml.contains(furniture), "{furniture} in\n{yaml}");
        }
    }
}
