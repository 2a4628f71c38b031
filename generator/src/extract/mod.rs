//! Stage one: pages → [`Document`]s.
//!
//! A page is read as bytes, its form (markdown or rendered text) is detected
//! from its content, it is reduced to [`blocks`], damaged rendered pages get
//! their missing headings recovered, and the interpreter turns the blocks into
//! a schema document; [`resolve`] then adds what needs the whole set of
//! pages and what only the samples show ([`shapes`]).

pub mod blocks;
pub mod interpret;
pub mod markdown;
pub mod recover;
pub mod rendered;
pub mod resolve;
pub mod samples;
pub mod sections;
pub mod shapes;
pub mod text;
pub mod types;

use crate::error::{Error, Warning};
use crate::schema::{Document, PageFormat};
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
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::page(path, line, "expected UTF-8 text, found invalid UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(Error::page(
            path,
            1,
            "expected a UCWA reference page, found an empty file",
        ));
    }
    if text.contains('\0') {
        let line = text[..text.find('\0').unwrap_or(0)].matches('\n').count() + 1;
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
    interpret::document(path, format, &blocks, inferred)
}
