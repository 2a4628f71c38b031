//! Markdown pages → blocks, with pulldown-cmark.
//!
//! The structure (headings, tables, fences) comes from pulldown-cmark's
//! events. Two page defects need the source text itself, taken through the
//! events' byte ranges:
//! - samples written as plain lines right after a table or a sentence (no
//!   fence): GFM folds such lines into the table as rows, or into a paragraph
//!   where `_links` turns into emphasis, so their exact text is cut from the
//!   source instead;
//! - table rows cut off mid-row, which pulldown-cmark silently pads.

use super::blocks::{Block, Cell, Row, Table};
use super::text;
use super::vocabulary::{is_furniture, is_in_page_link_line, starts_loose_markdown_sample};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

pub fn blocks(source: &str) -> Vec<Block> {
    let mut reader = Reader::new(source);
    let options = Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        reader.event(event, range);
    }
    reader.finish_loose_sample();
    reader.blocks
}

/// Maps byte offsets to 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(source: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// The text of a 1-based line, without its line ending.
    fn text<'s>(&self, source: &'s str, line: usize) -> &'s str {
        let Some(&start) = line.checked_sub(1).and_then(|index| self.starts.get(index)) else {
            return "";
        };
        source[start..].lines().next().unwrap_or_default()
    }
}

/// Where inline text is currently being collected.
enum Inline {
    Heading { level: u8, start: usize },
    Paragraph { start: usize },
    Cell,
}

struct TableInProgress {
    header: Vec<String>,
    rows: Vec<Row>,
    start: usize,
    /// The header line ends with `|`; rows that do not are cut off.
    header_closed: bool,
    /// Set once a row turns out to be plain text GFM folded into the table.
    spill_from: Option<usize>,
    in_head: bool,
    row: Option<(Vec<Cell>, usize)>,
}

struct Reader<'a> {
    source: &'a str,
    lines: Lines,
    blocks: Vec<Block>,
    inline: Option<Inline>,
    text: String,
    link_targets: Vec<String>,
    table: Option<TableInProgress>,
    code: Option<(String, usize)>,
    in_metadata: bool,
    /// The last block is a sample cut from these loose source lines; its text
    /// is taken once the sample can grow no more, so a sample split by many
    /// blank lines is still copied once.
    loose_sample: Option<Range<usize>>,
}

impl<'a> Reader<'a> {
    fn new(source: &'a str) -> Reader<'a> {
        Reader {
            source,
            lines: Lines::new(source),
            blocks: Vec::new(),
            inline: None,
            text: String::new(),
            link_targets: Vec::new(),
            table: None,
            code: None,
            in_metadata: false,
            loose_sample: None,
        }
    }

    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if self.in_metadata {
            self.in_metadata = !matches!(event, Event::End(TagEnd::MetadataBlock(_)));
            return;
        }
        if let Some((code, _)) = &mut self.code {
            match event {
                Event::Text(text) => code.push_str(&text),
                Event::End(TagEnd::CodeBlock) => self.finish_code(),
                _ => {}
            }
            return;
        }
        if self
            .table
            .as_ref()
            .is_some_and(|table| table.spill_from.is_some())
        {
            if let Event::End(TagEnd::Table) = event {
                self.finish_table(range);
            }
            return;
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => self.in_metadata = true,
            Event::Start(Tag::Heading { level, .. }) => self.begin_inline(Inline::Heading {
                level: level as u8,
                start: range.start,
            }),
            Event::End(TagEnd::Heading(_)) => self.finish_heading(),
            Event::Start(Tag::Paragraph) => {
                self.begin_inline(Inline::Paragraph { start: range.start })
            }
            Event::End(TagEnd::Paragraph) => self.finish_paragraph(range),
            // Tight list items carry their text without a paragraph.
            Event::Start(Tag::Item) => self.begin_inline(Inline::Paragraph { start: range.start }),
            Event::End(TagEnd::Item) => self.finish_paragraph(range),
            Event::Start(Tag::CodeBlock(_)) => {
                self.code = Some((String::new(), self.lines.line_of(range.start)))
            }
            Event::Start(Tag::Table(_)) => self.begin_table(range),
            Event::End(TagEnd::Table) => self.finish_table(range),
            Event::Start(Tag::TableHead) => self.with_table(|table| table.in_head = true),
            Event::End(TagEnd::TableHead) => self.with_table(|table| table.in_head = false),
            Event::Start(Tag::TableRow) => self.begin_row(range),
            Event::End(TagEnd::TableRow) => self.finish_row(),
            Event::Start(Tag::TableCell) => self.begin_inline(Inline::Cell),
            Event::End(TagEnd::TableCell) => self.finish_cell(),
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.link_targets.push(dest_url.to_string())
            }
            Event::Text(text) | Event::Code(text) => self.text.push_str(&text),
            Event::SoftBreak | Event::HardBreak => self.text.push(' '),
            // Inline HTML (`</p><p></p>`) is not text, but it separates words.
            Event::InlineHtml(_) => self.text.push(' '),
            // An HTML block (`<a name=...>`) runs to the next blank line and
            // can swallow prose written right under it.
            Event::Html(html) => self.loose_html(&html, range),
            _ => {}
        }
    }

    fn begin_inline(&mut self, inline: Inline) {
        // A paragraph inside a list item supersedes the item's own collector.
        self.inline = Some(inline);
        self.text.clear();
        self.link_targets.clear();
    }

    fn take_text(&mut self) -> String {
        let text = text::normalise_whitespace(&self.text);
        self.text.clear();
        text
    }

    fn push(&mut self, block: Block) {
        self.finish_loose_sample();
        self.blocks.push(block);
    }

    fn finish_heading(&mut self) {
        if let Some(Inline::Heading { level, start }) = self.inline.take() {
            let text = self.take_text();
            // "In this article" as a heading is furniture, not a section.
            if is_furniture(&text) {
                return;
            }
            let line = self.lines.line_of(start);
            self.push(Block::heading(level, text, line));
        }
    }

    fn finish_paragraph(&mut self, range: Range<usize>) {
        let Some(Inline::Paragraph { start }) = self.inline.take() else {
            return;
        };
        let raw = &self.source[start..range.end.min(self.source.len())];
        if self.continues_loose_sample(raw) {
            self.extend_loose_sample(range.end);
            self.text.clear();
            return;
        }
        if raw.lines().any(starts_loose_markdown_sample) {
            self.text.clear();
            self.loose_text(start, range.end);
            return;
        }
        // Furniture lines ("Last modified: ...", "In this article" and its
        // links to the page's own sections) leave the paragraph; what remains
        // is taken from the source lines, as loose prose is.
        let furniture = |line: &str| is_furniture(line) || is_in_page_link_line(line);
        if raw.lines().any(furniture) {
            self.text.clear();
            let rest: Vec<&str> = raw.lines().filter(|line| !furniture(line)).collect();
            let line =
                self.lines.line_of(start) + raw.lines().take_while(|line| furniture(line)).count();
            let text = text::clean(&rest.join("\n").replace("**", ""));
            if !text.is_empty() {
                self.push(Block::Paragraph { text, line });
            }
            return;
        }
        let text = self.take_text();
        if !text.is_empty() {
            let line = self.lines.line_of(start);
            self.push(Block::Paragraph { text, line });
        }
    }

    fn finish_code(&mut self) {
        if let Some((code, line)) = self.code.take() {
            let text = text::decode_entities(code.trim_end_matches(['\n', '\r']));
            self.push(Block::Code { text, line });
        }
    }

    fn with_table(&mut self, change: impl FnOnce(&mut TableInProgress)) {
        if let Some(table) = &mut self.table {
            change(table);
        }
    }

    fn begin_table(&mut self, range: Range<usize>) {
        let header_line = self.source_line_at(range.start);
        self.table = Some(TableInProgress {
            header: Vec::new(),
            rows: Vec::new(),
            start: range.start,
            header_closed: header_line.trim_end().ends_with('|'),
            spill_from: None,
            in_head: false,
            row: None,
        });
    }

    fn begin_row(&mut self, range: Range<usize>) {
        let row_line = self.source_line_at(range.start).trim();
        let line = self.lines.line_of(range.start);
        if let Some(table) = &mut self.table {
            if !row_line.starts_with('|') && (!row_line.contains('|') || table.header_closed) {
                table.spill_from = Some(range.start);
                return;
            }
            table.row = Some((Vec::new(), line));
        }
    }

    fn finish_cell(&mut self) {
        self.inline = None;
        let text = self.take_text();
        let cell = Cell {
            text,
            link_targets: std::mem::take(&mut self.link_targets),
        };
        if let Some(table) = &mut self.table {
            match &mut table.row {
                Some((cells, _)) if !table.in_head => cells.push(cell),
                _ => table.header.push(strip_bold(&cell.text)),
            }
        }
    }

    fn finish_row(&mut self) {
        let Some(table) = &mut self.table else { return };
        let Some((mut cells, line)) = table.row.take() else {
            return;
        };
        let raw_line = self.lines.text(self.source, line);
        // pulldown-cmark pads short rows with empty cells; a row that lost its
        // end must show as short so the interpreter can warn about it.
        if table.header_closed && !raw_line.trim_end().ends_with('|') {
            cells.truncate(raw_cell_count(raw_line));
        }
        table.rows.push(Row { cells, line });
    }

    fn finish_table(&mut self, range: Range<usize>) {
        let Some(table) = self.table.take() else {
            return;
        };
        let line = self.lines.line_of(table.start);
        self.push(Block::Table(Table {
            header: table.header,
            rows: table.rows,
            line,
        }));
        if let Some(spill) = table.spill_from {
            self.loose_text(spill, range.end);
        }
    }

    /// Prose lines and a sample that pulldown-cmark did not see as a fence:
    /// prose becomes a paragraph, everything from the sample's first line on is
    /// taken verbatim from the source.
    fn loose_text(&mut self, start: usize, end: usize) {
        let end = end.min(self.source.len());
        let mut offset = start;
        let mut prose: Vec<&str> = Vec::new();
        let mut prose_line = self.lines.line_of(start);
        for line in self.source[start..end].split_inclusive('\n') {
            if starts_loose_markdown_sample(line) {
                self.flush_prose(&mut prose, prose_line);
                let line_number = self.lines.line_of(offset);
                self.push(Block::Code {
                    text: String::new(),
                    line: line_number,
                });
                self.loose_sample = Some(offset..end);
                return;
            }
            if prose.is_empty() {
                prose_line = self.lines.line_of(offset);
            }
            prose.push(line);
            offset += line.len();
        }
        self.flush_prose(&mut prose, prose_line);
    }

    fn flush_prose(&mut self, prose: &mut Vec<&str>, line: usize) {
        let text = text::clean(&prose.concat().replace("**", ""));
        prose.clear();
        if !text.is_empty() {
            self.push(Block::Paragraph { text, line });
        }
    }

    fn loose_html(&mut self, html: &str, range: Range<usize>) {
        let prose = text::clean(html);
        if !prose.is_empty() {
            let line = self.lines.line_of(range.start);
            self.push(Block::Paragraph { text: prose, line });
        }
    }

    /// A blank line inside an unfenced sample splits it into paragraphs; the
    /// part after the blank line starts like the middle of a JSON document.
    fn continues_loose_sample(&self, raw: &str) -> bool {
        self.loose_sample.is_some()
            && raw.trim_start().starts_with(['}', ']', '"', ','])
            && matches!(self.blocks.last(), Some(Block::Code { .. }))
    }

    fn extend_loose_sample(&mut self, end: usize) {
        if let Some(sample) = &mut self.loose_sample {
            sample.end = end.min(self.source.len());
        }
    }

    fn finish_loose_sample(&mut self) {
        let Some(sample) = self.loose_sample.take() else {
            return;
        };
        let text = text::decode_entities(self.source[sample].trim_end());
        if let Some(Block::Code { text: code, .. }) = self.blocks.last_mut() {
            *code = text;
        }
    }

    fn source_line_at(&self, offset: usize) -> &'a str {
        self.lines.text(self.source, self.lines.line_of(offset))
    }
}

fn strip_bold(text: &str) -> String {
    text.replace("**", "").trim().to_string()
}

/// Cells on a raw table line, counting unescaped pipes.
fn raw_cell_count(line: &str) -> usize {
    let line = line.trim();
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut count = 1;
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '\\' => escaped = !escaped,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings(blocks: &[Block]) -> Vec<(u8, &str, usize)> {
        blocks
            .iter()
            .filter_map(|block| match block {
                Block::Heading {
                    level, text, line, ..
                } => Some((*level, text.as_str(), *line)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn front_matter_is_skipped_and_headings_keep_their_lines() {
        let page = "---\ntitle: X reference\n---\n# X\n\n## GET\n";
        let blocks = blocks(page);
        assert_eq!(headings(&blocks), vec![(1, "X", 4), (2, "GET", 6)]);
    }

    #[test]
    fn table_cells_are_clean_and_keep_link_targets() {
        let page = "|**Name**|**Description**|\n|:--|:--|\n|[a](a_ref.md)|One &quot;x&quot;.</p><p></p>|\n";
        let blocks = blocks(page);
        let [Block::Table(table)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.header, ["Name", "Description"]);
        assert_eq!(table.rows[0].cells[0].text, "a");
        assert_eq!(table.rows[0].cells[0].link_targets, ["a_ref.md"]);
        assert_eq!(table.rows[0].cells[1].text, "One \"x\".");
        assert_eq!(table.rows[0].line, 3);
    }

    #[test]
    fn sample_lines_after_a_table_become_exact_code() {
        let page = "|A|B|\n|:--|:--|\n|x|y|\nSample of returned event data.\n{\n  \"_links\" : {\n    \"a_b\" : 1\n  }\n}\n\n# Next\n";
        let blocks = blocks(page);
        let [Block::Table(table), Block::Paragraph { text, line: 4 }, Block::Code {
            text: code,
            line: 5,
        }, Block::Heading { .. }] = blocks.as_slice()
        else {
            panic!("{blocks:#?}")
        };
        assert_eq!(table.rows.len(), 1);
        assert_eq!(text, "Sample of returned event data.");
        assert_eq!(code, "{\n  \"_links\" : {\n    \"a_b\" : 1\n  }\n}");
    }

    #[test]
    fn unfenced_sample_split_by_a_blank_line_is_one_code_block() {
        let page = "Sample.\n{\n  \"a\" : 1,\n\n  \"b\" : 2\n}\n";
        let blocks = blocks(page);
        let [Block::Paragraph { .. }, Block::Code { text, .. }] = blocks.as_slice() else {
            panic!("{blocks:#?}")
        };
        assert_eq!(text, "{\n  \"a\" : 1,\n\n  \"b\" : 2\n}");
    }

    #[test]
    fn fenced_code_is_exact_with_entities_decoded() {
        let page = "```\nPost https://x HTTP/1.1\n{\n  &quot;a_b&quot; : 1\n}\n```\n";
        let blocks = blocks(page);
        assert_eq!(
            blocks,
            vec![Block::Code {
                text: "Post https://x HTTP/1.1\n{\n  \"a_b\" : 1\n}".into(),
                line: 1
            }]
        );
    }

    #[test]
    fn a_row_cut_off_mid_row_is_short() {
        let page = "|Name|Description|\n|:--|:--|\n|a|b|\n|c\n";
        let blocks = blocks(page);
        let [Block::Table(table)] = blocks.as_slice() else {
            panic!("{blocks:#?}")
        };
        assert_eq!(table.rows[0].cells.len(), 2);
        assert_eq!(table.rows[1].cells.len(), 1);
        assert_eq!(table.rows[1].line, 4);
    }

    #[test]
    fn html_anchors_are_ignored() {
        let page = "## Events\n<a name=\"sectionSection2\"></a>\n\n### Added\n";
        assert_eq!(headings(&blocks(page)).len(), 2);
        assert_eq!(blocks(page).len(), 2);
    }
}
