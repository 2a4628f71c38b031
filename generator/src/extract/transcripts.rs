//! What the task walkthroughs' HTTP transcripts show about resources: the
//! JSON bodies they carry, each resource in them (an object with a `rel`
//! and no `href`: the top of a response, an `_embedded` item, an event's
//! embedded resource) with the file and line it was read from.
//!
//! These are evidence of the same kind as the reference pages' samples
//! (see [`super::shapes`]): which rels come embedded, which links carry
//! `data:` hrefs, which scalar members bodies carry. Only bodies that parse
//! as strict JSON count; the others are named in one warning per page, so
//! nothing is used or dropped unseen.
//!
//! No I/O here: [`crate::pipeline::read_transcripts`] finds and reads the
//! pages, as it does the reference pages.

use crate::error::Warning;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A resource a transcript shows: its `rel`, its body and where it is
/// (`GetAContactData.md:69`).
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub rel: String,
    pub body: Value,
    pub origin: String,
}

/// Everything read from a set of transcript pages.
#[derive(Debug, Default, Clone)]
pub struct Transcripts {
    pub observed: Vec<Observed>,
    pub warnings: Vec<Warning>,
    /// The pages read, in the order read, for `cargo:rerun-if-changed`.
    pub files: Vec<PathBuf>,
}

impl Transcripts {
    /// The bodies observed for the resource `name`, with where.
    pub fn bodies_of<'a>(
        &'a self,
        named: impl Fn(&str) -> Option<String> + 'a,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Value, &'a str)> + 'a {
        self.observed
            .iter()
            .filter(move |seen| named(&seen.rel).as_deref() == Some(name))
            .map(|seen| (&seen.body, seen.origin.as_str()))
    }
}

/// The page's name as the schema shows it: relative to the directory given,
/// with `/`, so that the schema is the same on every machine.
pub fn shown_name(input: &Path, file: &Path) -> String {
    let relative = file
        .strip_prefix(input)
        .ok()
        .filter(|r| !r.as_os_str().is_empty());
    let shown = relative.unwrap_or_else(|| Path::new(file.file_name().unwrap_or_default()));
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads the bodies of one page's code blocks into `into`.
pub fn read_page(file: &Path, name: &str, text: &str, into: &mut Transcripts) {
    let mut unread: Vec<usize> = Vec::new();
    for (first_line, block) in code_blocks(text) {
        for (offset, body) in json_bodies(&block) {
            let line = first_line + offset;
            match body {
                Some(value) => resources_in(&value, &format!("{name}:{line}"), &mut into.observed),
                None => unread.push(line),
            }
        }
    }
    if !unread.is_empty() {
        let lines: Vec<String> = unread.iter().map(ToString::to_string).collect();
        into.warnings.push(Warning {
            file: file.to_path_buf(),
            line: unread[0],
            message: format!(
                "{} JSON bodies of this transcript are not strict JSON (lines {}): their shapes are not used as evidence",
                unread.len(),
                lines.join(", ")
            ),
        });
    }
}

/// Each fenced or indented code block's text, with the line it starts on.
fn code_blocks(text: &str) -> Vec<(usize, String)> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_) | CodeBlockKind::Indented)) => {
                current = Some((0, String::new()));
            }
            Event::Text(content) => {
                if let Some((first_line, block)) = current.as_mut() {
                    if block.is_empty() {
                        *first_line = line_of(range.start);
                    }
                    block.push_str(&content);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// The JSON bodies of a block, each with the offset of its first line in
/// the block: a body starts on a line that opens an object or an array and
/// is the block's first such line or follows a blank line (as a message's
/// body follows its headers). `None` for a body that is not strict JSON.
fn json_bodies(block: &str) -> Vec<(usize, Option<Value>)> {
    let mut bodies = Vec::new();
    let mut offset = 0usize;
    let mut after_blank = true;
    let mut resume_at = 0usize;
    for (index, line) in block.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if start < resume_at {
            continue;
        }
        let opens = trimmed.starts_with(['{', '[']);
        if opens && (after_blank || bodies.is_empty()) {
            let mut values =
                serde_json::Deserializer::from_str(&block[start..]).into_iter::<Value>();
            match values.next() {
                Some(Ok(value)) => {
                    resume_at = start + values.byte_offset();
                    bodies.push((index, Some(value)));
                }
                _ => bodies.push((index, None)),
            }
        }
        after_blank = trimmed.is_empty();
    }
    bodies
}

/// Every resource in `value`: an object with a string `rel` and no `href`
/// (an object with an `href` is a link to a resource, not the resource).
fn resources_in(value: &Value, origin: &str, into: &mut Vec<Observed>) {
    match value {
        Value::Object(members) => {
            if let Some(rel) = members.get("rel").and_then(Value::as_str) {
                if !members.contains_key("href") {
                    into.push(Observed {
                        rel: rel.to_string(),
                        body: value.clone(),
                        origin: origin.to_string(),
                    });
                }
            }
            for member in members.values() {
                resources_in(member, origin, into);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| resources_in(item, origin, into)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAGE: &str = "# Get a contact\n\nThe request:\n\n```\nGET /ucwa/v1/people/282 HTTP/1.1\nHost: fe1\n```\n\nThe response:\n\n```\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\n  \"rel\" : \"contact\",\n  \"etag\" : \"1486\",\n  \"_links\" : {\"self\" : {\"href\" : \"/p/282\"}},\n  \"_embedded\" : {\"contactPresence\" : {\"rel\" : \"contactPresence\", \"availability\" : \"Online\"}}\n}\n```\n\n```\nHTTP/1.1 200 OK\n\n{\"rel\":\"contact\",,}\n```\n";

    fn read_fixture() -> Transcripts {
        let mut transcripts = Transcripts::default();
        read_page(
            Path::new("tasks/GetAContact.md"),
            "GetAContact.md",
            PAGE,
            &mut transcripts,
        );
        transcripts
    }

    #[test]
    fn resources_are_read_with_their_file_and_line() {
        let transcripts = read_fixture();
        let seen: Vec<(&str, &str)> = transcripts
            .observed
            .iter()
            .map(|o| (o.rel.as_str(), o.origin.as_str()))
            .collect();
        // The body opens on line 16; the embedded resource is in it.
        assert_eq!(
            seen,
            vec![
                ("contact", "GetAContact.md:16"),
                ("contactPresence", "GetAContact.md:16")
            ]
        );
        assert_eq!(transcripts.observed[0].body["etag"], json!("1486"));
    }

    #[test]
    fn a_body_that_is_not_strict_json_is_named_not_used() {
        let transcripts = read_fixture();
        assert_eq!(transcripts.warnings.len(), 1);
        let warning = &transcripts.warnings[0];
        assert_eq!(warning.line, 27);
        assert!(warning.message.contains("lines 27"), "{}", warning.message);
        assert!(transcripts
            .observed
            .iter()
            .all(|o| !o.origin.ends_with(":27")));
    }

    #[test]
    fn links_are_not_resources_and_two_bodies_in_a_block_are_both_read() {
        let block = "POST /x HTTP/1.1\n\n{\"rel\":\"a\",\"in\":{\"rel\":\"b\",\"href\":\"/b\"}}\nHTTP/1.1 201 Created\n\n[{\"rel\":\"c\"}]\n";
        let bodies = json_bodies(block);
        assert_eq!(
            bodies.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            vec![2, 5]
        );
        let mut observed = Vec::new();
        for (_, body) in &bodies {
            resources_in(body.as_ref().unwrap(), "p.md:1", &mut observed);
        }
        let rels: Vec<&str> = observed.iter().map(|o| o.rel.as_str()).collect();
        assert_eq!(rels, vec!["a", "c"]);
    }

    #[test]
    fn names_are_relative_to_the_directory_given_with_slashes() {
        assert_eq!(
            shown_name(Path::new("/t"), Path::new("/t/a/B.md")),
            "a/B.md"
        );
        assert_eq!(
            shown_name(Path::new("/t/B.md"), Path::new("/t/B.md")),
            "B.md"
        );
    }
}
