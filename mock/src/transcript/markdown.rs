//! A task page → its code blocks and the prose between them, with
//! pulldown-cmark.
//!
//! Code blocks are fenced or indented, at any list depth (transcripts are
//! often indented under numbered steps). Their text is exact, with HTML
//! entities decoded (the published pages write `&amp;` inside fences and mean
//! `&`). Every block keeps the 1-based source line of its first content line,
//! so every step and repair can point at the page.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// A code block; `line` is the source line of its first content line.
    Code { text: String, line: usize },
    /// A paragraph, list item text or heading, as plain words.
    Prose { text: String, line: usize },
}

pub(crate) fn blocks(source: &str) -> Vec<Block> {
    let lines = LineIndex::new(source);
    let mut reader = Reader {
        lines: &lines,
        blocks: Vec::new(),
        code: None,
        prose: String::new(),
        prose_line: None,
        in_metadata: false,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        reader.event(event, range);
    }
    reader.flush_prose();
    reader.blocks
}

/// Maps byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

struct CodeInProgress {
    text: String,
    /// Line of the first text event; the block's own start line otherwise.
    first_line: Option<usize>,
    block_line: usize,
}

struct Reader<'a> {
    lines: &'a LineIndex,
    blocks: Vec<Block>,
    code: Option<CodeInProgress>,
    prose: String,
    prose_line: Option<usize>,
    in_metadata: bool,
}

impl Reader<'_> {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if self.in_metadata {
            self.in_metadata = !matches!(event, Event::End(TagEnd::MetadataBlock(_)));
            return;
        }
        if let Some(code) = &mut self.code {
            match event {
                Event::Text(text) => {
                    code.first_line
                        .get_or_insert_with(|| self.lines.line_of(range.start));
                    code.text.push_str(&text);
                }
                Event::End(TagEnd::CodeBlock) => self.finish_code(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => self.in_metadata = true,
            Event::Start(Tag::CodeBlock(kind)) => {
                self.flush_prose();
                let fence_line = self.lines.line_of(range.start);
                // A fenced block's content starts on the line after its fence.
                let block_line = match kind {
                    pulldown_cmark::CodeBlockKind::Fenced(_) => fence_line + 1,
                    pulldown_cmark::CodeBlockKind::Indented => fence_line,
                };
                self.code = Some(CodeInProgress {
                    text: String::new(),
                    first_line: None,
                    block_line,
                });
            }
            Event::Text(text) | Event::Code(text) => {
                self.prose_line
                    .get_or_insert_with(|| self.lines.line_of(range.start));
                self.prose.push_str(&text);
            }
            Event::SoftBreak | Event::HardBreak => self.prose.push(' '),
            Event::Start(Tag::Item | Tag::Heading { .. } | Tag::Paragraph)
            | Event::End(TagEnd::Item | TagEnd::Heading(_) | TagEnd::Paragraph) => {
                self.flush_prose()
            }
            _ => {}
        }
    }

    fn finish_code(&mut self) {
        if let Some(code) = self.code.take() {
            let text = decode_entities(code.text.trim_end_matches(['\n', '\r']));
            let line = code.first_line.unwrap_or(code.block_line);
            self.blocks.push(Block::Code { text, line });
        }
    }

    fn flush_prose(&mut self) {
        let text = self.prose.split_whitespace().collect::<Vec<_>>().join(" ");
        self.prose.clear();
        if let Some(line) = self.prose_line.take() {
            if !text.is_empty() {
                self.blocks.push(Block::Prose { text, line });
            }
        }
    }
}

/// Decodes HTML entities (`&amp;`, `&lt;`, `&#39;`, `&#x27;`, `&nbsp;`, …);
/// an `&` that starts no known entity stays as written.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity_end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(at, _)| at + 1);
        let decoded = entity_end.and_then(|end| {
            let resolve = |name: &str| match name {
                "nbsp" => Some(" "),
                _ => quick_xml::escape::resolve_xml_entity(name),
            };
            quick_xml::escape::unescape_with(&rest[..end], resolve)
                .ok()
                .map(|decoded| (decoded.into_owned(), end))
        });
        match decoded {
            Some((decoded, end)) => {
                out.push_str(&decoded);
                rest = &rest[end..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_blocks(source: &str) -> Vec<(String, usize)> {
        blocks(source)
            .into_iter()
            .filter_map(|block| match block {
                Block::Code { text, line } => Some((text, line)),
                Block::Prose { .. } => None,
            })
            .collect()
    }

    #[test]
    fn fenced_indented_and_nested_blocks_keep_their_first_content_line() {
        let page = "# T\n\n1. Step one.\n\n   ```\n   GET /a HTTP/1.1\n   ```\n\nText.\n\n    GET /b HTTP/1.1\n    Host: x\n\n```\n\nPOST /c HTTP/1.1\n```\n";
        assert_eq!(
            code_blocks(page),
            vec![
                ("GET /a HTTP/1.1".to_string(), 6),
                ("GET /b HTTP/1.1\nHost: x".to_string(), 11),
                ("\nPOST /c HTTP/1.1".to_string(), 15),
            ]
        );
    }

    #[test]
    fn entities_inside_fences_are_decoded_and_stray_ampersands_kept() {
        let page = "```\na=1&amp;b=&lt;2&gt; &#39;x&#x27; & c &bogus; &amp\n```\n";
        assert_eq!(code_blocks(page)[0].0, "a=1&b=<2> 'x' & c &bogus; &amp");
    }

    #[test]
    fn prose_keeps_labels_as_words_and_front_matter_is_skipped() {
        let page =
            "---\ntitle: x\n---\n\n **Request**\n\n```\nGET / HTTP/1.1\n```\n\nSame as *that*.\n";
        let found = blocks(page);
        assert_eq!(
            found,
            vec![
                Block::Prose {
                    text: "Request".into(),
                    line: 5
                },
                Block::Code {
                    text: "GET / HTTP/1.1".into(),
                    line: 8
                },
                Block::Prose {
                    text: "Same as that.".into(),
                    line: 11
                },
            ]
        );
    }
}
