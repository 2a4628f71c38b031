//! A small, hardened XML element tree: the one place that reads XML text.
//!
//! Parsing is iterative (no recursion on input depth), bounded in depth and
//! size, and refuses document type declarations, so no entity can be
//! declared; quick-xml itself only knows the predefined entities.

use crate::{DecodeError, MAX_BODY_BYTES, MAX_XML_DEPTH};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element: local name, attributes (namespace declarations dropped),
/// child elements and the text directly inside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    /// Written as `<name/>`, which UCWA uses for "no value".
    pub self_closing: bool,
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A description for error messages, e.g. `<link rel="next">`.
    pub fn describe(&self) -> String {
        match self.attribute("rel").or_else(|| self.attribute("name")) {
            Some(label) => format!("<{} \"{label}\">", self.name),
            None => format!("<{}>", self.name),
        }
    }
}

/// Parses `body` into its root element.
pub(crate) fn parse(body: &str) -> Result<Element, DecodeError> {
    parse_within(body, &crate::DecodeBudget::DEFAULT)
}

/// [`parse`] within `budget`: elements and attributes are counted as they
/// are read, and the parse stops at the first over the budget.
pub(crate) fn parse_within(
    body: &str,
    budget: &crate::DecodeBudget,
) -> Result<Element, DecodeError> {
    let mut nodes = 0usize;
    if body.len() > MAX_BODY_BYTES {
        return Err(DecodeError::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let mut reader = Reader::from_str(body);
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|error| xml_error(position, error))?;
        match event {
            Event::Start(start) => {
                if open.len() >= MAX_XML_DEPTH {
                    return Err(DecodeError::TooDeep {
                        limit: MAX_XML_DEPTH,
                    });
                }
                let opened = element(&start, position)?;
                budget.count_xml(&mut nodes, 1 + opened.attributes.len(), open.len() + 1)?;
                open.push(opened);
            }
            Event::Empty(start) => {
                let mut leaf = element(&start, position)?;
                budget.count_xml(&mut nodes, 1 + leaf.attributes.len(), open.len() + 1)?;
                leaf.self_closing = true;
                close(leaf, &mut open, &mut root, position)?;
            }
            Event::End(_) => {
                // quick-xml has already checked that the end tag matches.
                let finished = open
                    .pop()
                    .ok_or_else(|| unexpected(position, "an end tag with no open element"))?;
                close(finished, &mut open, &mut root, position)?;
            }
            Event::Text(text) => {
                let text = text
                    .unescape()
                    .map_err(|error| xml_error(position, error))?;
                append_text(&mut open, &text, position)?;
            }
            Event::CData(data) => {
                let text =
                    std::str::from_utf8(&data).map_err(|error| xml_error(position, error))?;
                append_text(&mut open, text, position)?;
            }
            Event::DocType(_) => return Err(DecodeError::DocumentType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !open.is_empty() {
        return Err(unexpected(
            reader.buffer_position(),
            "the end of the body inside an open element",
        ));
    }
    root.ok_or_else(|| unexpected(0, "a body without any element"))
}

fn element(start: &BytesStart<'_>, position: u64) -> Result<Element, DecodeError> {
    let name = utf8(start.local_name().as_ref(), position)?;
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| xml_error(position, error))?;
        let key = attribute.key;
        if key.as_ref() == b"xmlns"
            || key
                .prefix()
                .is_some_and(|prefix| prefix.as_ref() == b"xmlns")
        {
            continue;
        }
        let value = attribute
            .unescape_value()
            .map_err(|error| xml_error(position, error))?;
        attributes.push((
            utf8(key.local_name().as_ref(), position)?,
            value.into_owned(),
        ));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

fn close(
    finished: Element,
    open: &mut [Element],
    root: &mut Option<Element>,
    position: u64,
) -> Result<(), DecodeError> {
    match open.last_mut() {
        Some(parent) => parent.children.push(finished),
        None if root.is_none() => *root = Some(finished),
        None => return Err(unexpected(position, "a second root element")),
    }
    Ok(())
}

fn append_text(open: &mut [Element], text: &str, position: u64) -> Result<(), DecodeError> {
    match open.last_mut() {
        Some(current) => current.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(unexpected(position, "text outside the root element")),
    }
    Ok(())
}

fn utf8(bytes: &[u8], position: u64) -> Result<String, DecodeError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|error| xml_error(position, error))
}

fn xml_error(position: u64, error: impl std::fmt::Display) -> DecodeError {
    DecodeError::Xml {
        position,
        message: error.to_string(),
    }
}

fn unexpected(position: u64, found: &str) -> DecodeError {
    DecodeError::Xml {
        position,
        message: format!("unexpected {found}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_text_and_children_without_namespaces() {
        let root = parse(
            r#"<?xml version="1.0"?><resource xmlns="urn:x" xmlns:xsi="urn:y" rel="me" href="/me">
              <property name="a">x &amp; y</property><link rel="b" href="/b"/></resource>"#,
        )
        .expect("valid");
        assert_eq!(root.name, "resource");
        assert_eq!(
            root.attributes,
            [("rel".into(), "me".into()), ("href".into(), "/me".into())]
        );
        assert_eq!(root.children[0].text, "x & y");
        assert!(root.children[1].self_closing);
    }

    #[test]
    fn hostile_inputs_are_errors() {
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        assert!(matches!(
            parse(&deep),
            Err(DecodeError::TooDeep {
                limit: MAX_XML_DEPTH
            })
        ));
        let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><resource>&lol2;</resource>"#;
        assert!(matches!(
            parse(billion_laughs),
            Err(DecodeError::DocumentType)
        ));
        assert!(matches!(
            parse("<resource>&custom;</resource>"),
            Err(DecodeError::Xml { .. })
        ));
        assert!(matches!(parse("<a></b>"), Err(DecodeError::Xml { .. })));
        assert!(matches!(parse("<a>"), Err(DecodeError::Xml { .. })));
        assert!(matches!(parse("<a/><b/>"), Err(DecodeError::Xml { .. })));
        assert!(matches!(parse(""), Err(DecodeError::Xml { .. })));
        assert!(matches!(parse("text"), Err(DecodeError::Xml { .. })));
    }
}
