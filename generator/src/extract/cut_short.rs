//! A page cut short: a truncated download or a partial copy ends mid-line,
//! without the final newline every published page has.
//!
//! What the last line began is not trusted: a table row or a paragraph it
//! holds is left out (a cut row or sentence would be a wrong fact, not a
//! partial one), and a warning names the file and line. Rows and paragraphs
//! before it are kept as they are. A last line that is evidently whole (a
//! markdown row closed by its `|`, a section heading in full words, a sample
//! line that closes its structure) is kept; markdown pages, which always end
//! in a newline, still get the warning.

use super::blocks::Block;
use super::text;
use super::vocabulary::{is_chrome, is_none, JsonDepth, Section};
use crate::schema::PageFormat;

/// Drops what the cut left incomplete; returns the line and what to warn.
pub fn drop_cut_line(
    source: &str,
    format: PageFormat,
    blocks: &mut Vec<Block>,
) -> Option<(usize, String)> {
    if source.is_empty() || source.ends_with('\n') {
        return None;
    }
    // Lines counted as `str::lines` counts them, the last without its newline.
    let line = source.bytes().filter(|&byte| byte == b'\n').count() + 1;
    // A cut after a line's indentation leaves the text of the line before as the last there is.
    let content = source.trim_end();
    let content_start = content.rfind('\n').map_or(0, |at| at + 1);
    let content_line = content[..content_start]
        .bytes()
        .filter(|&byte| byte == b'\n')
        .count()
        + 1;
    let last_line = content[content_start..].trim();
    let markdown = format == PageFormat::Markdown;
    let ends_mid_line = |what: &str| {
        Some((line, format!("the page ends in the middle of {what} (no final newline): it is cut short here; {what} is left out")))
    };
    let no_newline = || {
        markdown.then(|| {
            (
                line,
                "the page ends without a final newline: it may be cut short here".to_string(),
            )
        })
    };
    match blocks.last_mut()? {
        // The last row holds the last line: as a whole, or as its last cell
        // where a table is written one cell per line.
        Block::Table(table)
            if table.rows.last().is_some_and(|row| {
                row.line == content_line
                    || row.cells.last().is_some_and(|cell| {
                        let last_cell = last_line.trim_end_matches('|').trim_end();
                        !last_cell.is_empty() && cell.text.ends_with(&text::clean(last_cell))
                    })
            }) =>
        {
            // A row closed by its `|` with every cell, markdown or rendered
            // pipe text, is whole, and so is a row written a cell per line
            // whose last cell the closing `|` ends; any other last row may be cut.
            let columns = table.header.len();
            let spans_lines = table
                .rows
                .last()
                .is_some_and(|row| row.line != content_line && row.cells.len() >= columns);
            if is_closed_row(last_line, if spans_lines { 1 } else { columns }) {
                return no_newline();
            }
            table.rows.pop();
            ends_mid_line("a table row")
        }
        Block::Paragraph {
            text: paragraph, ..
        } if paragraph.ends_with(&text::clean(last_line)) && !last_line.is_empty() => {
            if is_none(paragraph) || is_chrome(last_line) {
                return no_newline();
            }
            blocks.pop();
            ends_mid_line("a paragraph")
        }
        Block::Heading { text, line: at, .. } if *at == content_line => {
            if markdown || !Section::named_in_full(text) {
                return Some((
                    line,
                    format!("the page ends at the heading `{text}` (no final newline): it may be cut short here"),
                ));
            }
            None
        }
        // The sample holds the last line, or its end (a sample sharing its
        // line with the sentence before it).
        Block::Code { text, .. }
            if text
                .lines()
                .last()
                .is_some_and(|code_line| last_line.ends_with(code_line.trim())) =>
        {
            let closed = last_line.ends_with(['>', '}', ']'])
                && !json_left_open(text)
                && !xml_left_open(text);
            if markdown || !closed {
                return Some((
                    line,
                    "the page ends inside a sample (no final newline): it may be cut short here"
                        .to_string(),
                ));
            }
            None
        }
        // Anything else but chrome (a table rule, say) may be where the cut fell.
        _ if markdown || !is_chrome(last_line) => Some((
            line,
            "the page ends without a final newline: it may be cut short here".to_string(),
        )),
        _ => None,
    }
}

/// `|a|b|` or `a | b |`: a row ending in the `|` that closes its last cell,
/// with as many cells as the header. Cells are counted on the line, since
/// pulldown-cmark pads a short row; an escaped `\|` inside a cell is text.
fn is_closed_row(line: &str, columns: usize) -> bool {
    let Some(open) = line.strip_suffix('|') else {
        return false;
    };
    if open.ends_with('\\') {
        return false;
    }
    let open = open.strip_prefix('|').unwrap_or(open);
    let cells = 1 + open.matches('|').count() - open.matches("\\|").count();
    cells >= columns
}

/// More `{`/`[` than closing brackets, from the body's first bracket on.
fn json_left_open(text: &str) -> bool {
    text.find(['{', '['])
        .is_some_and(|at| JsonDepth::of(&text[at..]).left_open())
}

/// More XML elements opened than closed: a body whose root never closes.
fn xml_left_open(text: &str) -> bool {
    let opened = text
        .match_indices('<')
        .filter(|(at, _)| text[at + 1..].starts_with(|c: char| c.is_ascii_alphabetic()))
        .count();
    let closed = text.matches("</").count() + text.matches("/>").count();
    opened > closed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{markdown, rendered};

    #[test]
    fn a_markdown_row_cut_mid_cell_is_left_out() {
        let page = "|Name|Description|\n|:--|:--|\n|a|One.|\n|b|Tw";
        let mut blocks = markdown::blocks(page);
        let (line, message) = drop_cut_line(page, PageFormat::Markdown, &mut blocks).unwrap();
        assert_eq!(line, 4);
        assert!(message.contains("table row"), "{message}");
        let [Block::Table(table)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.rows.len(), 1);
    }

    #[test]
    fn a_closed_last_row_is_kept_and_a_row_cut_in_a_cell_is_not() {
        let rendered_page =
            "x\n\nProperties\n\nName | Description |\n---|---|\na | One. |\nb | Two. |";
        let mut blocks = rendered::blocks(rendered_page);
        assert_eq!(
            drop_cut_line(rendered_page, PageFormat::Rendered, &mut blocks),
            None
        );
        let Some(Block::Table(table)) = blocks.last() else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.rows.len(), 2);
        let markdown_page = "|Name|Description|\n|:--|:--|\n|a|One.|\n|b|Two.|";
        let mut blocks = markdown::blocks(markdown_page);
        let (_, message) = drop_cut_line(markdown_page, PageFormat::Markdown, &mut blocks).unwrap();
        assert!(message.contains("may be cut short"), "{message}");
        let [Block::Table(table)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.rows.len(), 2);
        let per_line = "x\n\nProperties\n\nName |\nDescription |\na |\nOne. |\nb |\nTwo. |";
        let mut blocks = rendered::blocks(per_line);
        assert_eq!(
            drop_cut_line(per_line, PageFormat::Rendered, &mut blocks),
            None,
            "{blocks:?}"
        );
        let Some(Block::Table(table)) = blocks.last() else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.rows.len(), 2);
        let per_line_cut = "x\n\nProperties\n\nName |\nDescription |\na |\nOne. |\nb |";
        let mut blocks = rendered::blocks(per_line_cut);
        assert!(drop_cut_line(per_line_cut, PageFormat::Rendered, &mut blocks).is_some());
        for cut in ["b | Tw", "b | Two.", "b |", "b | Two. \\|"] {
            let page =
                format!("x\n\nProperties\n\nName | Description |\n---|---|\na | One. |\n{cut}");
            let mut blocks = rendered::blocks(&page);
            let (_, message) = drop_cut_line(&page, PageFormat::Rendered, &mut blocks)
                .unwrap_or_else(|| panic!("{cut}: no warning"));
            assert!(message.contains("table row"), "{cut}: {message}");
        }
    }

    #[test]
    fn a_whole_rendered_last_line_is_kept_without_warning() {
        for page in [
            "x\n\nApplies to: y\n\nOperations",
            "x\n\nGET\n\nHTTP/1.1 200 OK\n<resource rel=\"x\">\n</resource>",
        ] {
            let mut blocks = rendered::blocks(page);
            let before = blocks.clone();
            assert_eq!(drop_cut_line(page, PageFormat::Rendered, &mut blocks), None);
            assert_eq!(blocks, before);
        }
    }

    #[test]
    fn a_rendered_paragraph_or_sample_cut_mid_line_warns() {
        let page = "x\n\nApplies to: y\n\nRepresents a thi";
        let mut blocks = rendered::blocks(page);
        assert!(drop_cut_line(page, PageFormat::Rendered, &mut blocks).is_some());
        assert!(!format!("{blocks:?}").contains("Represents"));
        let page = "x\n\nGET\n\n{\n  \"a\" : {\n  }";
        let mut blocks = rendered::blocks(page);
        assert!(drop_cut_line(page, PageFormat::Rendered, &mut blocks).is_some());
    }
}
