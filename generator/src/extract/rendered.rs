//! Rendered page text → blocks, by line shapes.
//!
//! A rendered page is what a browser shows: headings are bare lines, tables
//! are a header line of column names followed by rows of whitespace-separated
//! cells (or the `Name | Description |` rendering with a `---|---|` rule, or
//! tab-separated cells as a browser copies them), and samples are runs of
//! JSON/XML/HTTP lines. Nothing is invented here: a heading the page does not
//! show is left to [`super::recover`].
//!
//! Splitting a spaced row: the first cell is one token, the last column is
//! free text, middle columns are one token each except the free-text ones
//! (Description, Reason, Permission); see `split_row` and, for the Scope
//! table's Permission/Description pair, `free_text_split`.
//!
//! Page chrome (share buttons, feedback prompts, tables of contents) in any
//! language is dropped by position and shape: everything before the title
//! (or, without a title, before the `Applies to:` line), everything between
//! the title and `Applies to:`, and a trailing feedback section that starts at
//! a question to the reader after the last table or sample.

use super::blocks::{Block, Row, Table};
use super::run_together::{split_row as split_run_together, KnownNames};
use super::vocabulary::{
    inline_sample_at, is_applies_to, is_chrome, is_contents_caption, is_fence, is_free_text_column,
    is_header_line, is_heading_shaped, is_http_start_line, is_identifier_with_noise, is_none,
    is_spaced_header, is_title_shaped, names_section, run_together_header, sample_start,
    starts_like_prose, word_count, JsonDepth, SampleStart, TableKind, COLUMN_WORDS,
};

/// Reduces rendered page text to blocks. Never panics; unrecognised lines
/// become paragraphs.
pub fn blocks(text: &str) -> Vec<Block> {
    read(text).0
}

/// The blocks, and one note per fact the reading had to guess (a split of
/// run-together table cells).
pub fn read(text: &str) -> (Vec<Block>, Vec<String>) {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect();
    let page = PageSpan::find(&lines);
    let mut reader = Reader {
        lines: &lines,
        end: page.end,
        blocks: Vec::new(),
        text,
        known_names: None,
        notes: Vec::new(),
    };
    let mut index = page.start;
    if let Some(title) = page.title {
        reader
            .blocks
            .push(Block::heading(1, normalise(lines[title]), title + 1));
        index = page.after_title;
    }
    reader.read_from(index);
    (reader.blocks, reader.notes)
}

/// The part of the input that is page content.
struct PageSpan {
    title: Option<usize>,
    /// Where content resumes after the title (the `Applies to:` line, or the next line).
    after_title: usize,
    start: usize,
    end: usize,
}

impl PageSpan {
    fn find(lines: &[&str]) -> PageSpan {
        let applies_to = lines.iter().position(|line| is_applies_to(line));
        let title = match applies_to {
            Some(applies) => title_before(&lines[..applies]),
            None => lines
                .iter()
                .position(|line| !line.trim().is_empty() && !is_chrome(line))
                .filter(|&i| is_title_shaped(lines[i])),
        };
        let after_title = match (title, applies_to) {
            (Some(_), Some(applies)) => applies,
            (Some(title), None) => title + 1,
            _ => 0,
        };
        let start = title.or(applies_to).unwrap_or(0);
        PageSpan {
            title,
            after_title,
            start,
            end: trailing_chrome_start(lines),
        }
    }
}

/// The title above the `Applies to:` line: the nearest title-shaped line,
/// passing over section names a table of contents may list in between; a
/// section name itself only when nothing else is there (a resource called `events`).
fn title_before(lines: &[&str]) -> Option<usize> {
    // The list of sections under "In this article" names no title.
    let lines = match lines.iter().position(|line| is_contents_caption(line)) {
        Some(caption) => &lines[..caption],
        None => lines,
    };
    let candidate = |line: &&str| is_identifier_with_noise(line) && !is_chrome(line);
    lines
        .iter()
        .rposition(|line| candidate(line) && !names_section(line))
        .or_else(|| lines.iter().rposition(candidate))
}

/// Where the feedback section after the page's last table or sample begins:
/// at a standalone question to the reader, taking a short standalone line
/// right before it (its caption, e.g. "Feedback") along.
fn trailing_chrome_start(lines: &[&str]) -> usize {
    let last_content = lines
        .iter()
        .rposition(|line| {
            let trimmed = line.trim();
            is_spaced_header(trimmed)
                || sample_start(trimmed).is_some()
                || inline_sample_at(trimmed).is_some()
        })
        .unwrap_or(0);
    let Some(question) = (last_content + 1..lines.len()).find(|&i| {
        let trimmed = lines[i].trim();
        trimmed.ends_with('?')
            && (2..=12).contains(&word_count(trimmed))
            && !trimmed.starts_with('{')
    }) else {
        return lines.len();
    };
    let caption = (last_content + 1..question)
        .rev()
        .find(|&i| !lines[i].trim().is_empty());
    match caption {
        Some(i) if word_count(lines[i]) <= 3 && !names_section(lines[i]) => i,
        _ => question,
    }
}

struct Reader<'a> {
    lines: &'a [&'a str],
    end: usize,
    blocks: Vec<Block>,
    text: &'a str,
    /// Names the page's samples use, to split run-together table cells:
    /// read once, when the first such table is met.
    known_names: Option<KnownNames>,
    notes: Vec<String>,
}

impl Reader<'_> {
    fn read_from(&mut self, mut index: usize) {
        // The first standalone line after "Applies to:" or a method heading is a
        // description, whatever its shape, unless it names a section.
        let mut description_pending = false;
        while index < self.end {
            let trimmed = self.lines[index].trim();
            if is_contents_caption(trimmed) {
                index = self.after_contents_list(index + 1);
                continue;
            }
            // A code fence is markup a rendering left behind, never prose.
            if trimmed.is_empty() || is_chrome(trimmed) || is_fence(trimmed) {
                index += 1;
                continue;
            }
            if is_applies_to(trimmed) {
                self.blocks.push(Block::Paragraph {
                    text: normalise(trimmed),
                    line: index + 1,
                });
                description_pending = true;
                index += 1;
                continue;
            }
            if let Some(next) = self.table_at(index) {
                description_pending = false;
                index = next;
                continue;
            }
            if sample_start(trimmed).is_some() {
                description_pending = false;
                index = self.sample_at(index, trimmed);
                continue;
            }
            index = self.text_at(index, &mut description_pending);
        }
    }

    /// Past the list of the page's own sections that follows "In this
    /// article": the run of lines naming sections, when it is a list (two or
    /// more) or its one entry is followed by prose rather than a table. A
    /// single section name over a table is the section's real heading.
    fn after_contents_list(&self, start: usize) -> usize {
        let non_blank = |from: usize| (from..self.end).find(|&i| !self.lines[i].trim().is_empty());
        let mut entries = Vec::new();
        let mut index = start;
        while let Some(next) = non_blank(index) {
            let entry = self.lines[next]
                .trim()
                .trim_start_matches(['-', '*', '•', '·'])
                .trim_start();
            if !names_section(entry) {
                break;
            }
            entries.push(next);
            index = next + 1;
        }
        let after = non_blank(index);
        let is_list = entries.len() >= 2
            || after.is_some_and(|i| {
                table_header_at(self.lines, i, self.end).is_none()
                    && sample_start(self.lines[i].trim()).is_none()
            });
        match entries.first() {
            Some(_) if is_list => index,
            _ => start,
        }
    }

    /// A paragraph (possibly ending in an inline sample) or a heading line.
    fn text_at(&mut self, start: usize, description_pending: &mut bool) -> usize {
        let mut parts = Vec::new();
        let mut index = start;
        while index < self.end {
            let trimmed = self.lines[index].trim();
            // A section name is a heading even where the rendering left no
            // blank line around it.
            // Without blank lines between them, paragraphs are told apart by
            // the sentence that ends a line.
            let sentence_ended = parts
                .last()
                .is_some_and(|part: &&str| part.ends_with(['.', '!', '?']) || is_none(part));
            if trimmed.is_empty()
                || (index > start
                    && (sentence_ended
                        || starts_like_prose(trimmed)
                        || is_none(trimmed)
                        || self.table_at_peek(index)
                        || sample_start(trimmed).is_some()
                        || is_applies_to(trimmed)
                        || names_section(trimmed)))
            {
                break;
            }
            if index == start && names_section(trimmed) {
                parts.push(trimmed);
                index += 1;
                break;
            }
            if let Some(at) = inline_sample_at(trimmed) {
                let sentence = trimmed[..at].trim();
                if !sentence.is_empty() {
                    parts.push(sentence);
                }
                self.push_paragraph(&parts, start);
                *description_pending = false;
                return self.inline_sample(index, at);
            }
            parts.push(trimmed);
            index += 1;
        }
        if let [single] = parts.as_slice() {
            let forced_paragraph = *description_pending && !names_section(single);
            if !forced_paragraph && is_heading_shaped(single) {
                // What follows a method heading is the operation's description.
                *description_pending = crate::schema::Method::parse(single).is_some();
                self.blocks
                    .push(Block::heading(0, normalise(single), start + 1));
                return index;
            }
        }
        *description_pending = false;
        self.push_paragraph(&parts, start);
        index
    }

    fn push_paragraph(&mut self, parts: &[&str], start: usize) {
        if !parts.is_empty() {
            self.blocks.push(Block::Paragraph {
                text: normalise(&parts.join(" ")),
                line: start + 1,
            });
        }
    }

    fn inline_sample(&mut self, index: usize, at: usize) -> usize {
        let first = self.lines[index].trim_start();
        let offset = self.lines[index].len() - first.len();
        let mut text = self.lines[index][offset + at..].trim_end().to_string();
        let next = self.continuation(index + 1, &mut text);
        self.blocks.push(Block::Code {
            text,
            line: index + 1,
        });
        next
    }

    fn sample_at(&mut self, start: usize, trimmed: &str) -> usize {
        let mut text = self.lines[start].trim_end().to_string();
        let mut index = start + 1;
        let mut boundary = None;
        if sample_start(trimmed) == Some(SampleStart::Http) {
            while index < self.end && is_header_field(self.lines[index]) {
                boundary = boundary.or_else(|| multipart_boundary(self.lines[index]));
                text.push('\n');
                text.push_str(self.lines[index].trim_end());
                index += 1;
            }
        }
        // Prose right after the header fields (no blank line, no body) is not the sample's.
        let prose_follows = sample_start(trimmed) == Some(SampleStart::Http)
            && index < self.end
            && !self.lines[index].trim().is_empty()
            && is_prose_line(self.lines[index]);
        let next = match boundary {
            Some(boundary) => self.multipart_body(index, &mut text, &boundary),
            None if prose_follows => index,
            None => self.continuation(index, &mut text),
        };
        self.blocks.push(Block::Code {
            text,
            line: start + 1,
        });
        next
    }

    /// A multipart body holds blank lines and whole HTTP messages of its
    /// own: it runs to its closing `--boundary--` line, or, when that line
    /// was lost, to the first line after a blank that no part would hold.
    fn multipart_body(&self, mut index: usize, text: &mut String, boundary: &str) -> usize {
        let closing = format!("--{boundary}--");
        let part = format!("--{boundary}");
        let mut last_part_line = index;
        let mut pending_blanks = 0;
        while index < self.end {
            let line = self.lines[index].trim_end();
            if line.trim().is_empty() {
                pending_blanks += 1;
                index += 1;
                continue;
            }
            // After blank lines the body goes on only with what a part holds:
            // a boundary, header fields, a message start line or sample text.
            let part_like = line.starts_with(&part)
                || is_header_field(line)
                || sample_start(line.trim()).is_some()
                || is_sample_continuation(line);
            if pending_blanks > 0 && !part_like {
                break;
            }
            for _ in 0..pending_blanks {
                text.push('\n');
            }
            pending_blanks = 0;
            text.push('\n');
            text.push_str(line);
            index += 1;
            last_part_line = index;
            if line.contains(&closing) {
                return index;
            }
        }
        last_part_line
    }

    /// Appends the sample's remaining lines: everything up to a blank line,
    /// and past blank lines while what follows is still indented or closing
    /// sample text. A code fence inside the sample means the page's markdown
    /// fence broke and the browser showed what followed as code too: the
    /// sample then runs on until a line naming a section or a new request.
    fn continuation(&self, mut index: usize, text: &mut String) -> usize {
        let mut broken_fence = false;
        let mut depth = JsonDepth::of(text);
        loop {
            while index < self.end && !self.lines[index].trim().is_empty() {
                let trimmed = self.lines[index].trim();
                if broken_fence && ends_verbatim_run(trimmed) {
                    return index;
                }
                // A JSON body that closed, followed by prose with no blank line between.
                // A body that closed (JSON brackets, an XML end tag), then prose.
                let closed = depth.closed() || text.trim_end().ends_with('>');
                if !broken_fence && closed && is_prose_line(self.lines[index]) {
                    return index;
                }
                // The next sample's request or status line, where no blank line came between.
                if !broken_fence && is_http_start_line(trimmed) {
                    return index;
                }
                depth.add(self.lines[index]);
                // A bare fence closes a sample whose fences a rendering kept;
                // one with an info string (```` ```json ````) cannot close it.
                if trimmed == "```" && !broken_fence {
                    return index;
                }
                broken_fence |= is_fence(trimmed);
                text.push('\n');
                text.push_str(self.lines[index].trim_end());
                index += 1;
            }
            let after_blanks = (index..self.end).find(|&i| !self.lines[i].trim().is_empty());
            match after_blanks {
                Some(next)
                    if is_sample_continuation(self.lines[next])
                        || (broken_fence && !ends_verbatim_run(self.lines[next].trim())) =>
                {
                    for _ in index..next {
                        text.push('\n');
                    }
                    index = next;
                }
                _ => return index,
            }
        }
    }

    fn table_at_peek(&self, index: usize) -> bool {
        table_header_at(self.lines, index, self.end).is_some()
    }

    /// A table of the old MSDN layout: every line up to a blank line (or
    /// prose, a sample, a section name) is a row whose cells run together.
    fn run_together_table(&mut self, start: usize, header: Vec<String>) -> (Table, usize) {
        let mut guessed = Vec::new();
        let text = self.text;
        let known = self
            .known_names
            .get_or_insert_with(|| KnownNames::of_page(text));
        let (table, next) = table_rows(
            self.lines,
            start,
            start + 1,
            self.end,
            header,
            |header, line| {
                let line = line.trim();
                if line.is_empty()
                    || sample_start(line).is_some()
                    || starts_like_prose(line)
                    || names_section(line)
                {
                    return None;
                }
                let split = split_run_together(header, line, known);
                if split.guessed {
                    guessed.push(split.cells.first().cloned().unwrap_or_default());
                }
                Some(split.cells)
            },
        );
        if !guessed.is_empty() {
            self.notes.push(format!(
                "cells of the {} table at line {} run together; split at the first capitalised word, a guess, in the rows {}",
                table.header.join("/"),
                table.line,
                guessed.join(", ")
            ));
        }
        (table, next)
    }

    /// Reads a table starting at `index`; returns the index after it.
    fn table_at(&mut self, index: usize) -> Option<usize> {
        let header = table_header_at(self.lines, index, self.end)?;
        let (table, next) = match header {
            HeaderForm::Spaced(columns) => spaced_table(self.lines, index, self.end, columns),
            HeaderForm::Piped(columns) => {
                delimited_table(self.lines, index, self.end, columns, '|')
            }
            HeaderForm::Tabbed(columns) => {
                delimited_table(self.lines, index, self.end, columns, '\t')
            }
            HeaderForm::Vertical { columns, piped } => {
                vertical_table(self.lines, index, self.end, columns, piped)
            }
            HeaderForm::RunTogether(columns) => self.run_together_table(index, columns),
        };
        self.blocks.push(Block::Table(table));
        Some(next)
    }
}

enum HeaderForm {
    /// `Name Description`: cells told apart by the rendering rule.
    Spaced(Vec<String>),
    /// `Name | Description |` over a `---|---|` rule.
    Piped(Vec<String>),
    /// `Name<TAB>Description`, as a browser copies a table: cells are exact.
    Tabbed(Vec<String>),
    /// `NameDescription` over rows like `stateThe state.`: the old MSDN layout.
    RunTogether(Vec<String>),
    /// One cell per line (`Name`, `Description`, then `state`, `The state.`),
    /// each ending in ` |` when `piped`; the header's cell count is the row width.
    Vertical { columns: Vec<String>, piped: bool },
}

fn table_header_at(lines: &[&str], index: usize, end: usize) -> Option<HeaderForm> {
    let trimmed = lines.get(index)?.trim();
    if let Some(vertical) = vertical_header(lines, index, end) {
        return Some(vertical);
    }
    if let Some(columns) = run_together_header(trimmed) {
        return Some(HeaderForm::RunTogether(columns));
    }
    if trimmed.contains('|') {
        let rule = lines.get(index + 1).filter(|_| index + 1 < end)?;
        let columns = pipe_cells(trimmed);
        let columns: Vec<String> = columns
            .iter()
            .map(|cell| cell.replace("**", "").trim().to_string())
            .collect();
        return (columns.len() >= 2 && columns.iter().all(|c| !c.is_empty()) && is_pipe_rule(rule))
            .then_some(HeaderForm::Piped(columns));
    }
    // A markdown header whose pipes were stripped keeps its bold marks.
    let plain = trimmed.replace("**", "");
    if !is_spaced_header(&plain) {
        return None;
    }
    if plain.contains('\t') {
        return Some(HeaderForm::Tabbed(
            plain
                .split('\t')
                .map(normalise)
                .filter(|c| !c.is_empty())
                .collect(),
        ));
    }
    Some(HeaderForm::Spaced(
        plain.split_whitespace().map(str::to_string).collect(),
    ))
}

/// A header written one cell per line: the longest run of column words (at
/// most six, each alone on its line, all with or all without a closing ` |`)
/// that makes a known kind of table.
fn vertical_header(lines: &[&str], index: usize, end: usize) -> Option<HeaderForm> {
    let first = lines.get(index)?.trim();
    if !COLUMN_WORDS.contains(&first.trim_end_matches('|').trim_end()) {
        return None;
    }
    let piped = first.ends_with('|');
    let words: Vec<String> = lines[index..end.min(lines.len())]
        .iter()
        .take(6)
        .map_while(|line| {
            let cell = line.trim();
            let word = cell.strip_suffix('|').map(str::trim_end);
            let word = if piped { word? } else { cell };
            (word.split_whitespace().count() == 1 && COLUMN_WORDS.contains(&word))
                .then(|| word.to_string())
        })
        .collect();
    (2..=words.len())
        .rev()
        .map(|width| words[..width].to_vec())
        .find(|columns| TableKind::of(columns).is_some())
        .map(|columns| HeaderForm::Vertical { columns, piped })
}

/// A table written one cell per line: each row takes as many lines as the
/// header has cells. With ` |` endings the table ends at the first line
/// without one; without them, at a blank line or a line that cannot start a
/// row (prose, a sample, a section name). A row cut short keeps its cells.
fn vertical_table(
    lines: &[&str],
    start: usize,
    end: usize,
    header: Vec<String>,
    piped: bool,
) -> (Table, usize) {
    let width = header.len();
    let cell_of = |index: usize| -> Option<String> {
        let line = lines.get(index).filter(|_| index < end)?.trim();
        match line.strip_suffix('|') {
            Some(cell) if piped => Some(normalise(cell)),
            None if !piped && !line.is_empty() => Some(normalise(line)),
            _ => None,
        }
    };
    let mut rows = Vec::new();
    let mut index = start + width;
    while let Some(first) = cell_of(index) {
        // A section heading is capitalised; a row named `events` is not one.
        let heading = names_section(&first) && first.starts_with(char::is_uppercase);
        let starts_row = piped
            || (first.split_whitespace().count() == 1
                && !heading
                && sample_start(&first).is_none());
        if !starts_row {
            break;
        }
        let row_line = index + 1;
        let mut cells = vec![first];
        index += 1;
        while cells.len() < width {
            let Some(cell) = cell_of(index) else { break };
            cells.push(cell);
            index += 1;
        }
        rows.push(Row::of_texts(cells, row_line));
    }
    (
        Table {
            header,
            rows,
            line: start + 1,
        },
        index,
    )
}

fn is_pipe_rule(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.contains('-')
        && trimmed.contains('|')
        && trimmed.chars().all(|c| matches!(c, '-' | '|' | ':' | ' '))
}

/// Cells of a `a | b | c |` line: outer pipes are optional.
fn pipe_cells(line: &str) -> Vec<String> {
    let trimmed = line.trim();
    let trimmed = trimmed.strip_prefix('|').unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix('|').unwrap_or(trimmed);
    trimmed.split('|').map(normalise).collect()
}

/// A table whose cells are delimited (by pipes or tabs), so empty cells are
/// explicit: a row with fewer cells than the header was cut off and keeps
/// only the cells it has.
fn delimited_table(
    lines: &[&str],
    start: usize,
    end: usize,
    header: Vec<String>,
    delimiter: char,
) -> (Table, usize) {
    // Pipe tables have a `---|---|` rule under the header.
    let first_row = if delimiter == '|' {
        start + 2
    } else {
        start + 1
    };
    // A line with a rule under it is the header of the next table, run into
    // this one with no blank line between: this table ends above it.
    let end = if delimiter == '|' {
        (first_row..end)
            .find(|&index| {
                !lines[index].trim().is_empty()
                    && lines.get(index + 1).is_some_and(|next| is_pipe_rule(next))
            })
            .unwrap_or(end)
    } else {
        end
    };
    table_rows(lines, start, first_row, end, header, |header, line| {
        // Only spaces are trimmed: a trailing tab still delimits an empty last cell.
        let line = line.trim_matches(' ');
        if line.trim().is_empty() || !line.contains(delimiter) || is_pipe_rule(line) {
            return None;
        }
        let mut cells = if delimiter == '|' {
            pipe_cells(line)
        } else {
            line.split('\t').map(normalise).collect()
        };
        // A delimiter inside the last (free text) cell splits it: join it back.
        if cells.len() > header.len() && !header.is_empty() {
            let joint = if delimiter == '|' { " | " } else { " " };
            let rest = cells.split_off(header.len() - 1).join(joint);
            cells.push(normalise(&rest));
        }
        Some(cells)
    })
}

fn spaced_table(lines: &[&str], start: usize, end: usize, header: Vec<String>) -> (Table, usize) {
    let mut first_cells: Vec<NameShape> = Vec::new();
    // A markdown rule left without its pipes (`:----- :-----`) is no row.
    let dash_rule = lines.get(start + 1).is_some_and(|line| {
        let rule = line.trim();
        rule.contains('-') && rule.chars().all(|c| matches!(c, '-' | ':' | ' ' | '|'))
    });
    let first_row = if dash_rule { start + 2 } else { start + 1 };
    table_rows(lines, start, first_row, end, header, |header, line| {
        let line = line.trim();
        if line.is_empty()
            || is_spaced_header(line)
            || sample_start(line).is_some()
            || starts_like_prose(line)
        {
            return None;
        }
        // Where no blank line ends the table, a capitalised word where the
        // rows so far had names of another shape starts the next sentence
        // ("Returns a representation ..." after `Contacts.ReadWrite` rows).
        let shape = NameShape::of(line.split_whitespace().next().unwrap_or_default());
        if shape == NameShape::Capitalised
            && !first_cells.is_empty()
            && !first_cells.contains(&shape)
        {
            return None;
        }
        first_cells.push(shape);
        // Cells as the markdown reader gives them: a link left in a cell becomes its text.
        split_row(header, line).map(|cells| cells.iter().map(|cell| normalise(cell)).collect())
    })
}

/// The shape of a name in a table's first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameShape {
    /// `Contacts.ReadWrite`, `sip:x`: punctuation inside.
    Dotted,
    /// `audioVideo`, `self`.
    Lower,
    /// `Everyone`, `Forbidden`: or the first word of a sentence.
    Capitalised,
}

impl NameShape {
    fn of(word: &str) -> NameShape {
        if word.contains(|c: char| !c.is_alphanumeric()) {
            NameShape::Dotted
        } else if word.starts_with(char::is_uppercase) {
            NameShape::Capitalised
        } else {
            NameShape::Lower
        }
    }
}

/// The table whose header is at `start`: one row per line from `first_row`
/// on, until `row_cells` finds a line that is not a row. Returns the index
/// after the table.
fn table_rows(
    lines: &[&str],
    start: usize,
    first_row: usize,
    end: usize,
    header: Vec<String>,
    mut row_cells: impl FnMut(&[String], &str) -> Option<Vec<String>>,
) -> (Table, usize) {
    let mut rows = Vec::new();
    let mut index = first_row;
    while index < end {
        let Some(cells) = row_cells(&header, lines[index]) else {
            break;
        };
        rows.push(Row::of_texts(cells, index + 1));
        index += 1;
    }
    (
        Table {
            header,
            rows,
            line: start + 1,
        },
        index,
    )
}

/// Splits one rendered row into one cell per column. Single-token columns
/// before the first free-text column take a token each from the left, those
/// after the last free-text column take one each from the right, and the free
/// text gets the rest. Returns `None` for a line that cannot be a row (a
/// numeric column holding a word), which ends the table.
fn split_row(header: &[String], line: &str) -> Option<Vec<String>> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let is_free = |column: &String| is_free_text_column(column);
    let first_free = header.iter().position(is_free).unwrap_or(header.len() - 1);
    let last_free = header.iter().rposition(is_free).unwrap_or(first_free);
    let mut cells = vec![String::new(); header.len()];
    let mut left = 0;
    for (slot, token) in cells.iter_mut().take(first_free).zip(&tokens) {
        *slot = (*token).to_string();
        left += 1;
    }
    let trailing = header.len() - 1 - last_free;
    let mut right = tokens.len();
    for column in (last_free + 1..header.len()).rev() {
        if right <= left || tokens.len() < first_free + trailing {
            break;
        }
        right -= 1;
        cells[column] = tokens[right].to_string();
    }
    let free: &[&str] = tokens.get(left..right).unwrap_or(&[]);
    if first_free == last_free {
        cells[first_free] = free.join(" ");
    } else {
        let split = free_text_split(free);
        cells[first_free] = free[..split].join(" ");
        cells[last_free] = free[split..].join(" ");
    }
    let numeric_ok = header.iter().zip(&cells).all(|(column, text)| {
        column != "Code" || text.is_empty() || text.chars().all(|c| c.is_ascii_digit())
    });
    // Free text may be empty, but a single-token column never is: fewer
    // tokens than those columns means the row was cut off, and the row keeps
    // only the cells it has so the interpreter can say so.
    if tokens.len() < first_free + trailing {
        cells.truncate(tokens.len());
    }
    (numeric_ok && !tokens.is_empty()).then_some(cells)
}

/// Where the second of two adjacent free-text columns starts, in practice the
/// Scope table's Permission ("Initiate conversations and join meetings") and
/// Description ("Allows the app to ..."). Rule: the description is a sentence,
/// so it starts at the first capitalised word (after the permission's first
/// word) that is followed by a determiner or pronoun ("Allows the", "Lets
/// you"); failing that, at the first capitalised word ending in "s" (a
/// third-person verb); failing that, after the first word.
fn free_text_split(tokens: &[&str]) -> usize {
    const SENTENCE_OBJECTS: &[&str] = &[
        "the",
        "a",
        "an",
        "you",
        "your",
        "users",
        "this",
        "any",
        "apps",
        "applications",
    ];
    let capitalised = |word: &str| word.chars().next().is_some_and(char::is_uppercase);
    let by_object = (1..tokens.len()).find(|&i| {
        capitalised(tokens[i])
            && tokens
                .get(i + 1)
                .is_some_and(|next| SENTENCE_OBJECTS.contains(&next.to_lowercase().as_str()))
    });
    let by_verb = || {
        (1..tokens.len()).find(|&i| {
            capitalised(tokens[i])
                && tokens[i].ends_with('s')
                && tokens[i].chars().all(char::is_alphabetic)
        })
    };
    by_object.or_else(by_verb).unwrap_or(tokens.len().min(1))
}

/// `boundary="0cac9abd"` of a `Content-Type: multipart/...` header.
fn multipart_boundary(header: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    if !lower.trim_start().starts_with("content-type:") || !lower.contains("multipart/") {
        return None;
    }
    let at = lower.find("boundary=")? + "boundary=".len();
    let value = header
        .get(at..)?
        .split(';')
        .next()?
        .trim()
        .trim_matches('"');
    (!value.is_empty()).then(|| value.to_string())
}

/// A header field of a rendered sample: never indented there, unlike a
/// body line.
fn is_header_field(line: &str) -> bool {
    !line.starts_with(char::is_whitespace) && is_header_line(line)
}

/// A line that, after blank lines, still belongs to the sample before it:
/// indented, or closing a JSON/XML structure.
fn is_sample_continuation(line: &str) -> bool {
    let trimmed = line.trim_start();
    (line.starts_with(char::is_whitespace)
        && (trimmed.starts_with('"')
            || trimmed.starts_with('<')
            || trimmed.starts_with(['{', '}', '[', ']'])))
        || trimmed.starts_with(['}', ']'])
        || trimmed.starts_with("</")
        || is_fence(trimmed)
}

/// A sentence no sample body would hold: words starting with a capital, no
/// JSON, XML, entity or header punctuation.
fn is_prose_line(line: &str) -> bool {
    let trimmed = line.trim();
    !line.starts_with(char::is_whitespace)
        && trimmed.starts_with(|c: char| c.is_uppercase())
        && word_count(trimmed) >= 3
        && !trimmed.contains(['{', '}', '[', ']', '<', '>', '=', '&', ';', ':', '"'])
}

/// Where text swallowed by a broken fence ends: a line naming a section, or
/// the request line of the next sample.
fn ends_verbatim_run(trimmed: &str) -> bool {
    names_section(trimmed) || (is_http_start_line(trimmed) && !trimmed.starts_with("HTTP/"))
}

/// Clean text as the markdown reader gives it, so both forms of a page agree.
fn normalise(text: &str) -> String {
    super::text::clean(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(columns: &[&str]) -> Vec<String> {
        columns.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn rows_split_single_tokens_around_the_free_text() {
        let errors = header(&["Error", "Code", "Subcode", "Description"]);
        assert_eq!(
            split_row(
                &errors,
                "Conflict 409 None Un-supported Service/Resource/API error."
            )
            .unwrap(),
            [
                "Conflict",
                "409",
                "None",
                "Un-supported Service/Resource/API error."
            ]
        );
        // A word where the code belongs is not a row.
        assert_eq!(split_row(&errors, "Sample of returned event data."), None);
        let required = header(&["Name", "Description", "Required?"]);
        assert_eq!(
            split_row(&required, "to The SIP URI.String Yes").unwrap(),
            ["to", "The SIP URI.String", "Yes"]
        );
        // Too few tokens: a cut-off row, shorter than the header, never out of bounds.
        assert_eq!(split_row(&errors, "Gone").unwrap(), ["Gone"]);
        assert_eq!(
            split_row(&errors, "Conflict 409").unwrap(),
            ["Conflict", "409"]
        );
        assert_eq!(split_row(&required, "name").unwrap(), ["name"]);
        // An empty description is not a cut-off row.
        assert_eq!(
            split_row(&header(&["Name", "Description"]), "state").unwrap(),
            ["state", ""]
        );
    }

    #[test]
    fn permission_ends_where_the_description_sentence_starts() {
        let scope = header(&["Scope", "Permission", "Description"]);
        let cases = [
            (
                "A.B Receive conversation invites Allows the app to receive",
                "Receive conversation invites",
                "Allows the app to receive",
            ),
            (
                "A.B Create Skype Meetings Allows the app to create",
                "Create Skype Meetings",
                "Allows the app to create",
            ),
            (
                "A.B Read/write Skype user information Lets you read it",
                "Read/write Skype user information",
                "Lets you read it",
            ),
            (
                "A.B Read things Grants access",
                "Read things",
                "Grants access",
            ),
            ("A.B Read", "Read", ""),
        ];
        for (line, permission, description) in cases {
            let cells = split_row(&scope, line).unwrap();
            assert_eq!(
                (cells[1].as_str(), cells[2].as_str()),
                (permission, description),
                "{line}"
            );
        }
    }

    #[test]
    fn page_without_title_or_applies_to_keeps_every_line() {
        let blocks = blocks("Properties\n\nName Description\nstate The state.\n");
        assert!(
            matches!(&blocks[0], Block::Heading { level: 0, text, line: 1, .. } if text == "Properties")
        );
        assert!(
            matches!(&blocks[1], Block::Table(table) if table.rows.len() == 1 && table.rows[0].line == 4)
        );
    }

    #[test]
    fn truncated_tables_end_cleanly() {
        let text = "x\n\nApplies to: y\n\nError Code Subcode Description\nConflict 409\nGone";
        let blocks = blocks(text);
        let Some(Block::Table(table)) = blocks.iter().find(|b| matches!(b, Block::Table(_))) else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            table.rows[0].cells.len(),
            2,
            "a cut-off row keeps only its cells"
        );
        assert_eq!(table.rows[1].cells[0].text, "Gone");
        // A header as the last line: an empty table, not a panic.
        let blocks = super::blocks("x\n\nName | Description |");
        assert!(!blocks.is_empty());
        let blocks = super::blocks("x\n\nName Description");
        assert!(matches!(blocks.last(), Some(Block::Table(table)) if table.rows.is_empty()));
    }

    #[test]
    fn section_names_are_headings_without_blank_lines_around_them() {
        let text = "thing\nApplies to: x\nA thing.\nOperations\nGET\nReturns the thing.\nRequest body\nNone\nResponse body\nItem Description\nthing The thing.";
        let found = blocks(text);
        let kinds: Vec<String> = found
            .iter()
            .map(|b| match b {
                Block::Heading { level, text, .. } => format!("h{level} {text}"),
                Block::Paragraph { text, .. } => format!("p {text}"),
                Block::Table(table) => format!("table {}", table.rows.len()),
                Block::Code { .. } => "code".to_string(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "h1 thing",
                "p Applies to: x",
                "p A thing.",
                "h0 Operations",
                "h0 GET",
                "p Returns the thing.",
                "h0 Request body",
                "p None",
                "h0 Response body",
                "table 1"
            ]
        );
    }

    #[test]
    fn multipart_samples_keep_their_blank_lines_and_inner_messages() {
        let sample = "HTTP/1.1 200 OK\nContent-Type: multipart/batching; boundary=\"0c\"\nContent-Length: 9\n\n--0c\nContent-Type: application/http\n\nHTTP/1.1 200 OK\nCache-Control: no-cache\n\n<?xml version=\"1.0\"?><resource rel=\"a\"/>\n--0c--";
        let text = format!("x\n\nApplies to: y\n\nGET\n\nXML Response\n\n{sample}\n\nXML Request\n\nGet https://h/x HTTP/1.1\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nNext heading");
        let found = blocks(&text);
        let samples: Vec<&str> = found
            .iter()
            .filter_map(|b| {
                if let Block::Code { text, .. } = b {
                    Some(text.as_str())
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(samples[0], sample);
        // Without its closing line, the body ends at the first line no part would hold.
        assert_eq!(
            samples[1],
            "Get https://h/x HTTP/1.1\nContent-Type: multipart/mixed; boundary=b\n\n--b"
        );
        assert!(
            matches!(found.last(), Some(Block::Heading { text, .. }) if text == "Next heading")
        );
        assert_eq!(
            multipart_boundary("Content-Type: multipart/batching;boundary=\"EA37\""),
            Some("EA37".to_string())
        );
        assert_eq!(multipart_boundary("Content-Type: application/json"), None);
    }

    #[test]
    fn an_in_this_article_list_is_not_content_but_a_real_heading_is() {
        let list =
            "x\n\nApplies to: y\n\nIn this article\n\n• Web Link\n• Properties\n\nRepresents x.\n";
        let found = blocks(list);
        assert!(
            matches!(&found[2], Block::Paragraph { text, .. } if text == "Represents x."),
            "{found:?}"
        );
        assert_eq!(found.len(), 3, "{found:?}");
        // A single section name over its table is the section itself.
        let heading =
            "x\n\nApplies to: y\n\nIn this article\n\nMembers\n\nName Description\nA One.\n";
        let found = blocks(heading);
        assert!(
            found
                .iter()
                .any(|block| matches!(block, Block::Heading { text, .. } if text == "Members")),
            "{found:?}"
        );
    }

    #[test]
    fn tabbed_tables_keep_exact_cells() {
        let text = "x\n\nApplies to: y\n\nScope\tPermission\tDescription\nA.B\tRead Skype Things\tLets it read.\nC.D\tWrite\t\nE.F\n\nProperties";
        let blocks = blocks(text);
        let Some(Block::Table(table)) = blocks.iter().find(|b| matches!(b, Block::Table(_))) else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.header, ["Scope", "Permission", "Description"]);
        let rows: Vec<Vec<&str>> = table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            rows,
            [
                vec!["A.B", "Read Skype Things", "Lets it read."],
                vec!["C.D", "Write", ""]
            ]
        );
        assert!(matches!(blocks.last(), Some(Block::Heading { text, .. }) if text == "Properties"));
    }

    /// A small deterministic generator, so the fuzz inputs are the same on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    #[test]
    fn garbled_input_never_panics() {
        let mut random = Lcg(7);
        for _ in 0..300 {
            let length = (random.next() % 400) as usize;
            let bytes: Vec<u8> = (0..length).map(|_| random.next() as u8).collect();
            let text = String::from_utf8_lossy(&bytes);
            let mut found = blocks(&text);
            super::super::recover::missing_headings(&mut found);
        }
        let pieces = [
            "Name Description",
            "Name | Description |",
            "---|---|",
            "Scope Permission Description",
            "A.B",
            "Error Code Subcode Description",
            "Conflict 409",
            "{",
            "}",
            "  \"rel\" : \"x\",",
            "  \"type\" : \"",
            "HTTP/1.1 200 OK",
            "Get HTTP/1.1",
            "Content-Type:",
            "Applies to:",
            "",
            "",
            "Properties",
            "This resource can have the following relationships.",
            "Link Description",
            "self",
            "Resource Priority Sender Reason",
            "x High y was updated.",
            "Was this page helpful?",
            "<?xml",
            "|",
            " ",
            "é ü { \"",
            "Request body",
        ];
        for _ in 0..2000 {
            let count = (random.next() % 30) as usize;
            let lines: Vec<&str> = (0..count)
                .map(|_| pieces[(random.next() as usize) % pieces.len()])
                .collect();
            let text = lines.join("\n");
            let mut found = blocks(&text);
            super::super::recover::missing_headings(&mut found);
            for block in &found {
                assert!(
                    block.line() >= 1 && block.line() <= count.max(1),
                    "{text:?} gave {block:?}"
                );
            }
        }
    }
}
