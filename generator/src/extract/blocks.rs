//! The page as a flat list of blocks: what both page forms have in common.
//!
//! Markdown (through pulldown-cmark) and rendered text (through line shapes)
//! are both reduced to this, and one interpreter turns blocks into a schema
//! [`Document`](crate::schema::Document). Lines are 1-based lines of the input
//! file, kept so every diagnostic can point at the page.

use super::vocabulary::Section;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading. `level` is 1..=6 for markdown; rendered text has no levels
    /// and uses 0. `section` is what its words announce, judged once by the
    /// [`vocabulary`](super::vocabulary) when the heading is made; recovery
    /// types event headings by their place (under Events).
    Heading {
        level: u8,
        text: String,
        line: usize,
        section: Section,
    },
    /// Running text, already cleaned (links reduced to their text, entities decoded).
    Paragraph {
        text: String,
        line: usize,
    },
    Table(Table),
    /// A fenced/indented code block in markdown, or a run of sample lines in
    /// rendered text. Text is exact, with entities decoded, no trailing newline.
    Code {
        text: String,
        line: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header cells as plain text (bold markers removed), e.g. `["Name", "Description"]`.
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub line: usize,
}

impl Row {
    /// A row of plain cells, as rendered text gives them (no link targets).
    pub fn of_texts(texts: impl IntoIterator<Item = String>, line: usize) -> Row {
        let cells = texts
            .into_iter()
            .map(|text| Cell {
                text,
                link_targets: Vec::new(),
            })
            .collect();
        Row { cells, line }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// Clean text of the cell.
    pub text: String,
    /// Targets of markdown links in the cell (`x_ref.md`), in order; empty for rendered text.
    pub link_targets: Vec<String>,
}

impl Block {
    /// A heading, typed by its words.
    pub fn heading(level: u8, text: impl Into<String>, line: usize) -> Block {
        let text = text.into();
        Block::Heading {
            level,
            section: Section::of_heading(&text),
            text,
            line,
        }
    }

    pub fn line(&self) -> usize {
        match self {
            Block::Heading { line, .. }
            | Block::Paragraph { line, .. }
            | Block::Code { line, .. } => *line,
            Block::Table(table) => table.line,
        }
    }
}
