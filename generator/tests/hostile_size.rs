//! Oversized pages, generated here at run time: they are read completely,
//! without panicking, and every row ends up in the schema. (Time and memory
//! are measured on the release binary by generator/fuzz/size.sh; see FUZZING.md.)

use std::fmt::Write;
use std::path::Path;
use ucwa_codegen::extract::extract_page;

fn markdown_table(rows: usize) -> String {
    let mut page = String::from(
        "# bigTable\n\nA resource with a very long properties table.\n\n## Properties\n\n\
         |**Name**|**Description**|\n|:-----|:-----|\n",
    );
    for row in 0..rows {
        let _ = writeln!(page, "|property{row}|Property number {row} of the table.|");
    }
    page
}

fn rendered_table(rows: usize) -> String {
    let mut page = String::from(
        "bigTable\n\nApplies to: Skype for Business 2015\n\n\
         A resource with a very long properties table.\n\nProperties\n\nName Description\n",
    );
    for row in 0..rows {
        let _ = writeln!(page, "property{row} Property number {row} of the table.");
    }
    page
}

#[test]
fn a_rendered_page_with_100_000_rows_is_read_completely() {
    let rows = 100_000;
    let extracted =
        extract_page(Path::new("big.txt"), rendered_table(rows).as_bytes()).expect("extracts");
    assert_eq!(extracted.document.properties.len(), rows);
    assert_eq!(
        extracted.document.properties[rows - 1].name,
        format!("property{}", rows - 1)
    );
}

// Finding 1 in FUZZING.md: the markdown reader re-read the page from its
// start for every row, so this page took minutes.
#[test]
fn a_markdown_page_with_100_000_rows_is_read_completely() {
    let rows = 100_000;
    let extracted =
        extract_page(Path::new("big.md"), markdown_table(rows).as_bytes()).expect("extracts");
    assert_eq!(extracted.document.properties.len(), rows);
    assert_eq!(
        extracted.document.properties[rows - 1].name,
        format!("property{}", rows - 1)
    );
}

#[test]
fn a_page_of_one_50_megabyte_line_is_an_error_not_a_crash() {
    let mut page = String::from("# bigText\n\n");
    page.push_str(&"a".repeat(50 * 1024 * 1024));
    let error = extract_page(Path::new("line.md"), page.as_bytes()).expect_err("no UCWA sections");
    assert!(error.to_string().starts_with("line.md:"), "{error}");
}

// Finding 2 in FUZZING.md: each blank-line fragment of a sample written
// without a fence copied the whole sample again.
#[test]
fn an_unfenced_sample_split_by_100_000_blank_lines_is_one_valid_sample() {
    let fragments = 100_000;
    let mut page = String::from(
        "# bigSample\n\nA resource with a huge sample.\n\n## Operations\n\n### GET\n\n\
         Gets it.\n\n#### Examples\n\nThe body:\n{\n  \"key0\" : 0",
    );
    for fragment in 1..fragments {
        let _ = write!(page, "\n\n,  \"key{fragment}\" : {fragment}");
    }
    page.push_str("\n}\n");
    let extracted = extract_page(Path::new("loose.md"), page.as_bytes()).expect("extracts");
    let examples = &extracted.document.operations[0].examples;
    assert_eq!(examples.len(), 1);
    assert!(examples[0].valid, "{:?}", examples[0].problem);
    let body: serde_json::Value = serde_json::from_str(&examples[0].body).expect("JSON body");
    assert_eq!(body.as_object().map(|keys| keys.len()), Some(fragments));
}
