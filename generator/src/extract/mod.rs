//! Stage one: pages → [`Document`]s.
//!
//! A page is read as bytes, its form (markdown or rendered text) is detected
//! from its content, it is reduced to [`blocks`], damaged rendered pages get
//! their missing headings recovered, and the interpreter turns the blocks into
//! a schema document; [`resolve`] then adds what needs the whole set of
//! pages and what only the samples show ([`shapes`]). What every part of a
//! page looks like is decided in one place, the [`vocabulary`].

pub mod blocks;
pub mod bodyless;
pub mod cut_short;
pub mod interpret;
pub mod joined_tables;
pub mod markdown;
pub mod numbers;
pub mod recover;
pub mod rendered;
pub mod resolve;
pub mod run_together;
pub mod samples;
pub mod shapes;
pub mod text;
pub mod transcripts;
pub mod types;
pub mod vocabulary;

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

/// Markdown pages have `#` headings and `|:--|` table rules; rendered text
/// has bare lines naming its sections instead. A rendered page may still
/// carry a markdown-looking line inside a sample (a `#### JSON Response` that
/// a broken fence swallowed), so the form with more such lines wins.
pub fn detect_format(text: &str) -> PageFormat {
    // One pass: a line is asked each question once.
    let (mut markdown, mut section_names) = (0usize, 0usize);
    for line in text.lines() {
        if vocabulary::is_markdown_structure(line) {
            markdown += 1;
        } else if vocabulary::Section::of_line(line).is_some() {
            section_names += 1;
        }
    }
    if markdown > section_names {
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
    /// What reading and [`recover`] inferred, one sentence each.
    pub inferred: Vec<String>,
    /// The file holds nothing but whitespace.
    pub blank: bool,
    /// The page had no title and was named from its file name: the line the title stands for.
    pub named_by_file: Option<usize>,
    /// The page ends in the middle of a line: where, and what was dropped.
    pub cut: Option<(usize, String)>,
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
    let (mut blocks, reading_notes) = match format {
        PageFormat::Markdown => (markdown::blocks(text), Vec::new()),
        PageFormat::Rendered => rendered::read(text),
    };
    let cut = cut_short::drop_cut_line(text, format, &mut blocks);
    let split_notes = joined_tables::split(&mut blocks);
    // The file name of a published page (`invitation_ref.md`) names it better
    // than any sample; a plain file stem only when nothing else does.
    let mut named_by_file = title_from_file_name(path, &mut blocks, FileName::PageName);
    let mut inferred = recover::missing_headings(&mut blocks);
    named_by_file =
        named_by_file.or_else(|| title_from_file_name(path, &mut blocks, FileName::Stem));
    inferred.splice(0..0, named_by_file.iter().map(|(note, _)| note.clone()));
    inferred.extend(split_notes);
    inferred.extend(reading_notes);
    Ok(ReadPage {
        format,
        blocks,
        inferred,
        blank: text.trim().is_empty(),
        named_by_file: named_by_file.map(|(_, line)| line),
        cut,
    })
}

/// The second half of [`extract_page`]: the blocks interpreted as a reference page.
pub fn interpret_page(path: &Path, page: ReadPage) -> Result<Extracted, Error> {
    let ReadPage {
        format,
        blocks,
        inferred,
        blank,
        named_by_file,
        cut,
    } = page;
    if blank {
        return Err(Error::page(
            path,
            1,
            "expected a UCWA reference page, found an empty file",
        ));
    }
    let mut extracted = interpret::document(path, format, &blocks, inferred)?;
    // What a sample lacks is evidence only when the whole sample is there:
    // on a page cut short, the last operation's samples may end at the cut.
    let operations = &mut extracted.document.operations;
    let whole = match cut {
        Some(_) => operations.len().saturating_sub(1),
        None => operations.len(),
    };
    bodyless::mark(&mut operations[..whole]);
    if let Some(line) = named_by_file {
        extracted.warnings.insert(
            0,
            Warning {
                file: path.to_path_buf(),
                line,
                message: format!(
                    "expected a title heading, found none; named the page {} from the file name",
                    extracted.document.name
                ),
            },
        );
    }
    if let Some((line, message)) = cut {
        extracted.warnings.push(Warning {
            file: path.to_path_buf(),
            line,
            message,
        });
    }
    Ok(extracted)
}

/// Which file names name a page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FileName {
    /// `invitation_ref.md`, `invitation_ref.txt`: the published page's own name.
    PageName,
    /// `invitation.txt`: any identifier.
    Stem,
}

/// Gives a page with no title one from its file name; returns the note for
/// `inferred` and the line the title stands for.
fn title_from_file_name(
    path: &Path,
    blocks: &mut Vec<Block>,
    accepted: FileName,
) -> Option<(String, usize)> {
    let has_title = blocks
        .iter()
        .any(|block| matches!(block, Block::Heading { level: 1, .. }));
    if has_title || blocks.is_empty() {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let name = match stem.len().checked_sub(4).map(|at| stem.split_at(at)) {
        Some((name, suffix)) if suffix.eq_ignore_ascii_case("_ref") => name,
        _ if accepted == FileName::Stem => stem,
        _ => return None,
    };
    let name = vocabulary::name_from_title(name).filter(|found| found == name)?;
    let line = blocks[0].line();
    blocks.insert(0, Block::heading(1, name.clone(), line));
    let file = path.file_name()?.to_string_lossy();
    Some((
        format!("title: resource name {name} taken from the file name {file}"),
        line,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_line_inside_a_rendered_sample_does_not_make_the_page_markdown() {
        let rendered = "startVideo\n\nApplies to: Skype\n\nPropertie\n\nNone\n\nOperations\n\nPOST\n\nJSON Request\n\nPost https://x/startVideo HTTP/1.1\n```json\n\n#### JSON Response\n";
        assert_eq!(detect_format(rendered), PageFormat::Rendered);
        let markdown = "# x\n\n## Web Link\n\n|**Name**|**Description**|\n|:--|:--|\n";
        assert_eq!(detect_format(markdown), PageFormat::Markdown);
        assert_eq!(detect_format("just words"), PageFormat::Rendered);
    }
}
