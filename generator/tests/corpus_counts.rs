//! Every real page extracts, and the schema holds as many properties, links,
//! events, operations, errors, request-body fields and members as the page
//! lists. The expected counts come from a plain line counter written here,
//! independent of the extractor: it sees only `#` lines, `|` lines and fences.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ucwa_codegen::extract::extract_page;
use ucwa_codegen::schema::{Document, Method};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/ucwa");
const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/seeds");

type Counts = BTreeMap<&'static str, usize>;

/// Counts table rows by the heading above them and the table's header line.
fn count_by_lines(page: &str) -> Counts {
    let mut counts: Counts = [
        "properties",
        "links",
        "events",
        "operations",
        "errors",
        "request body fields",
        "members",
    ]
    .into_iter()
    .map(|key| (key, 0))
    .collect();
    let mut heading = String::new();
    let mut table_header: Option<String> = None;
    let mut in_fence = false;
    let mut lines = page.lines().peekable();
    if lines.peek().map(|line| line.trim_end()) == Some("---") {
        lines.next();
        for line in lines.by_ref() {
            if line.trim_end() == "---" {
                break;
            }
        }
    }
    for line in lines {
        let line = line.trim_end();
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if !line.starts_with('|') {
            table_header = None;
        }
        if let Some(text) = line.strip_prefix('#') {
            heading = text.trim_start_matches('#').trim().to_lowercase();
            if Method::ALL
                .iter()
                .any(|method| method.as_str().eq_ignore_ascii_case(&heading))
            {
                *counts.entry("operations").or_default() += 1;
            }
            continue;
        }
        if !line.starts_with('|') {
            continue;
        }
        let Some(header) = &table_header else {
            table_header = Some(line.replace(['*', ' '], "").to_lowercase());
            continue;
        };
        let compact = line.replace(' ', "");
        if compact.starts_with("|:-") || compact.starts_with("|-") {
            continue;
        }
        let key = match header.as_str() {
            "|resource|priority|sender|reason|" => "events",
            "|error|code|subcode|description|" => "errors",
            "|link|description|" => "links",
            "|name|description|required?|" if heading.contains("request body") => {
                "request body fields"
            }
            "|name|description|" if heading.starts_with("propert") => "properties",
            "|name|description|" if heading.starts_with("link") => "links",
            "|name|description|" if heading.starts_with("member") => "members",
            _ => continue,
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn count_in_schema(document: &Document) -> Counts {
    let operations = &document.operations;
    BTreeMap::from([
        ("properties", document.properties.len()),
        ("links", document.links.len()),
        ("events", document.events.len()),
        ("operations", operations.len()),
        (
            "errors",
            operations
                .iter()
                .map(|operation| operation.errors.len())
                .sum(),
        ),
        (
            "request body fields",
            operations
                .iter()
                .map(|operation| operation.request_body.len())
                .sum(),
        ),
        ("members", document.members.len()),
    ])
}

fn markdown_pages(dir: &str, only_markdown: bool) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut pages: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    pages.sort();
    pages.retain(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        !only_markdown || text.lines().any(|line| line.starts_with("# "))
    });
    Some(pages)
}

fn compare(pages: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for path in pages {
        let bytes = std::fs::read(path).expect("readable page");
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let document = match extract_page(Path::new(path), &bytes) {
            Ok(extracted) => extracted.document,
            Err(error) => {
                failures.push(format!("{name}: {error}"));
                continue;
            }
        };
        let expected = count_by_lines(&String::from_utf8_lossy(&bytes));
        let found = count_in_schema(&document);
        for (field, want) in &expected {
            let got = found.get(field).copied().unwrap_or_default();
            if got != *want {
                failures.push(format!(
                    "{name}: {field}: page lists {want}, schema has {got}"
                ));
            }
        }
    }
    failures
}

#[test]
fn every_corpus_page_extracts_with_the_counts_the_page_lists() {
    let Some(pages) = markdown_pages(CORPUS, false) else {
        eprintln!("skipped: corpus {CORPUS} is absent");
        return;
    };
    assert!(
        pages.len() >= 294,
        "expected the full corpus, found {} pages",
        pages.len()
    );
    let failures = compare(&pages);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn markdown_seeds_extract_with_the_counts_the_page_lists() {
    let Some(pages) = markdown_pages(SEEDS, true) else {
        eprintln!("skipped: seeds {SEEDS} are absent");
        return;
    };
    let failures = compare(&pages);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_line_counter_counts() {
    let page = "---\ntitle: x\n---\n# x\n### Properties\n|**Name**|**Description**|\n|:--|:--|\n|a|b|\n|c|d|\n## GET\n#### Request body\n|Name|Description|Required?|\n|:--|:--|:--|\n|f|g|No|\n```\n# not a heading\n|x|y|\n```\n### Synchronous errors\n|Error|Code|Subcode|Description|\n|:-|:-|:-|:-|\n|A|1|B|C|\n## Events\n### Added\n| **Resource** | **Priority** | **Sender** | **Reason** |\n| ----- | ----- | ----- | ----- |\n| r | High | s | t |\n";
    let counts = count_by_lines(page);
    assert_eq!(counts["properties"], 2);
    assert_eq!(counts["operations"], 1);
    assert_eq!(counts["request body fields"], 1);
    assert_eq!(counts["errors"], 1);
    assert_eq!(counts["links"], 0);
    assert_eq!(counts["events"], 1);
}
