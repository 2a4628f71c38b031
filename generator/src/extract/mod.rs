//! Stage one: pages → [`Document`]s.
//!
//! A page is read as bytes, its form (markdown or rendered text) is detected
//! from its content, it is reduced to [`blocks`], damaged rendered pages get
//! their missing headings recovered, and the interpreter turns the blocks into
//! a schema document.

pub mod blocks;
pub mod interpret;
pub mod markdown;
pub mod recover;
pub mod rendered;
pub mod resolve;
pub mod samples;
pub mod sections;
pub mod text;
pub mod types;

use crate::error::{Error, Warning};
use crate::schema::{Document, PageFormat};
use blocks::Block;
use std::path::Path;

/// What one page gave.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub document: Document,
    pub warnings: Vec<Warning>,
}

/// Markdown pages have `#` headings or `|---|` table rules; rendered text has neither.
pub fn detect_format(text: &str) -> PageFormat {
    let markdown = text.lines().any(|line| {
        let line = line.trim_start();
        (line.starts_with('#') && line.trim_start_matches('#').starts_with(' '))
            || line.starts_with("|:--")
            || line.starts_with("|**")
    });
    if markdown {
        PageFormat::Markdown
    } else {
        PageFormat::Rendered
    }
}

/// Extracts one page. `path` is used for diagnostics and, by file name only, as the schema's source.
pub fn extract_page(path: &Path, bytes: &[u8]) -> Result<Extracted, Error> {
    interpret_page(path, read_page(path, bytes)?)
}

/// A page read as text and reduced to blocks, with the headings a damaged
/// page lost recovered: what page selection ([`crate::pipeline::Evidence`])
/// judges before the page is interpreted.
#[derive(Debug, Clone)]
pub struct ReadPage {
    pub format: PageFormat,
    pub blocks: Vec<Block>,
    /// What [`recover`] inferred, one sentence each.
    pub inferred: Vec<String>,
    /// The file holds nothing but whitespace.
    pub blank: bool,
}

/// The first half of [`extract_page`]: bytes that are not text are an error
/// whatever the page turns out to be, since nothing can be judged from them.
pub fn read_page(path: &Path, bytes: &[u8]) -> Result<ReadPage, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::page(path, line, "expected UTF-8 text, found invalid UTF-8")
    })?;
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(Error::page(
            path,
            line,
            "expected a UCWA reference page, found binary data (NUL byte)",
        ));
    }
    let format = detect_format(text);
    let mut blocks = match format {
        PageFormat::Markdown => markdown::blocks(text),
        PageFormat::Rendered => rendered::blocks(text),
    };
    let inferred = recover::missing_headings(&mut blocks);
    Ok(ReadPage {
        format,
        blocks,
        inferred,
        blank: text.trim().is_empty(),
    })
}

/// The second half of [`extract_page`]: the blocks interpreted as a reference page.
pub fn interpret_page(path: &Path, page: ReadPage) -> Result<Extracted, Error> {
    let ReadPage {
        format,
        blocks,
        inferred,
        blank,
    } = page;
    if blank {
        return Err(Error::page(
            path,
            1,
            "expected a UCWA reference page, found an empty file",
        ));
    }
    interpret::document(path, format, &blocks, inferred)
}
