//! Tables that a page ran together: two tables with no line between them.
//!
//! A page whose headings were stripped, or copied without its blank lines,
//! can put one table straight under another. Markdown then reads the second
//! table's header and its `|:--|:--|` rule as rows of the first; rendered
//! pipe text drops the rule and keeps the header as a row. Either way the
//! rows of the second table would be read as the first table's (or dropped
//! with it, when the first is the web-link table). A row that is the header
//! of a known table kind, or that a rule row follows, starts a new table; the
//! split is recorded as an inferred fact, never made silently.

use super::blocks::{Block, Row, Table};
use super::vocabulary::TableKind;

/// Splits every table at the header rows inside it; one note per split.
pub fn split(blocks: &mut Vec<Block>) -> Vec<String> {
    let mut notes = Vec::new();
    if !blocks
        .iter()
        .any(|block| matches!(block, Block::Table(table) if has_inner_header(table)))
    {
        return notes;
    }
    let mut split_blocks = Vec::with_capacity(blocks.len() + 1);
    for block in std::mem::take(blocks) {
        match block {
            Block::Table(table) if has_inner_header(&table) => {
                for part in split_table(table, &mut notes) {
                    split_blocks.push(Block::Table(part));
                }
            }
            other => split_blocks.push(other),
        }
    }
    *blocks = split_blocks;
    notes
}

fn has_inner_header(table: &Table) -> bool {
    (0..table.rows.len()).any(|at| starts_table(&table.rows, at))
}

/// Whether the row at `at` is the header of another table: the header of a
/// known kind, or any row with a rule row under it.
fn starts_table(rows: &[Row], at: usize) -> bool {
    let row = &rows[at];
    if is_rule(row) {
        return false;
    }
    let texts: Vec<String> = row.cells.iter().map(|cell| cell.text.clone()).collect();
    TableKind::of(&texts).is_some() || rows.get(at + 1).is_some_and(is_rule)
}

/// `:-----`, `---`, `:---:` in every cell: a markdown table's rule row.
fn is_rule(row: &Row) -> bool {
    !row.cells.is_empty()
        && row.cells.iter().all(|cell| {
            let text = cell.text.trim();
            let dashes = text.trim_start_matches(':').trim_end_matches(':');
            !dashes.is_empty() && dashes.chars().all(|c| c == '-')
        })
}

fn split_table(table: Table, notes: &mut Vec<String>) -> Vec<Table> {
    let first_line = table.line;
    let mut parts = vec![Table {
        header: table.header,
        rows: Vec::new(),
        line: table.line,
    }];
    let rows = table.rows;
    let starts: Vec<bool> = (0..rows.len()).map(|at| starts_table(&rows, at)).collect();
    for (row, starts_here) in rows.into_iter().zip(starts) {
        let current = parts.last_mut().expect("parts starts with one table");
        if starts_here {
            let header: Vec<String> = row.cells.into_iter().map(|cell| cell.text).collect();
            notes.push(format!(
                "table at line {first_line} split at line {}: the row `{}` is the header of another table run into it",
                row.line,
                header.join(" | ")
            ));
            parts.push(Table {
                header,
                rows: Vec::new(),
                line: row.line,
            });
        } else if is_rule(&row) && current.rows.is_empty() && current.line != first_line {
            // The rule right under a split header belongs to that header.
        } else {
            current.rows.push(row);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::blocks::Row;

    fn row(texts: &[&str], line: usize) -> Row {
        Row::of_texts(texts.iter().map(|text| text.to_string()), line)
    }

    fn table(header: &[&str], rows: Vec<Row>) -> Block {
        Block::Table(Table {
            header: header.iter().map(|text| text.to_string()).collect(),
            rows,
            line: 1,
        })
    }

    fn shape(blocks: &[Block]) -> Vec<(Vec<String>, Vec<String>)> {
        blocks
            .iter()
            .filter_map(|block| match block {
                Block::Table(table) => Some((
                    table.header.clone(),
                    table
                        .rows
                        .iter()
                        .map(|row| row.cells[0].text.clone())
                        .collect(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_markdown_header_and_rule_inside_a_table_start_another() {
        let mut blocks = vec![table(
            &["Name", "Description"],
            vec![
                row(&["rel", "The resource."], 3),
                row(&["href", "The location."], 4),
                row(&["Name", "Description"], 5),
                row(&[":-----", ":-----"], 6),
                row(&["message", "The note text."], 7),
            ],
        )];
        let notes = split(&mut blocks);
        assert_eq!(
            shape(&blocks),
            [
                (
                    vec!["Name".into(), "Description".into()],
                    vec!["rel".into(), "href".into()]
                ),
                (
                    vec!["Name".into(), "Description".into()],
                    vec!["message".into()]
                ),
            ]
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("line 5"), "{notes:?}");
    }

    #[test]
    fn a_row_with_a_rule_under_it_is_a_header_of_any_words() {
        let mut blocks = vec![table(
            &["Name", "Description"],
            vec![
                row(&["rel", "The resource."], 3),
                row(&["Column", "Other"], 4),
                row(&["---", "---"], 5),
                row(&["x", "y"], 6),
            ],
        )];
        split(&mut blocks);
        assert_eq!(shape(&blocks)[1].0, ["Column", "Other"]);
        assert_eq!(shape(&blocks)[1].1, ["x"]);
    }

    #[test]
    fn a_table_without_inner_headers_is_left_alone() {
        let original = vec![table(
            &["Name", "Description"],
            vec![
                row(&["name", "The display name."], 3),
                row(&["description", "Text."], 4),
            ],
        )];
        let mut blocks = original.clone();
        assert!(split(&mut blocks).is_empty());
        assert_eq!(blocks, original);
    }
}
