//! Message bodies: what a documented (or received) body is, read by its
//! content type or, when the page gives none, by its shape.

use crate::repair::{read_json, BodyRepair, RepairKind};
use serde_json::Value;

/// A body as the mock serves and compares it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// No body (or a placeholder such as `<Photo data in body not shown>`).
    Empty,
    /// JSON, repaired where the page damaged it; compared by keys and values.
    Json(Value),
    /// Well-formed XML text; compared as a tree of elements, attributes and text.
    Xml(String),
    /// `application/x-www-form-urlencoded` pairs, decoded; compared by keys and values.
    Form(Vec<(String, String)>),
    /// `multipart/*` (batches): each part's text; compared part by part.
    Multipart {
        /// The boundary the page uses.
        boundary: String,
        /// The parts' text, without boundaries.
        parts: Vec<String>,
    },
    /// Anything else, or a body no repair makes JSON/XML: compared as text.
    Text(String),
}

impl Body {
    /// True for [`Body::Empty`].
    pub fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }

    /// The body as it goes on the wire: compact JSON, the form encoded, the
    /// multipart parts between CRLF boundaries, text as it is.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Empty => Vec::new(),
            Body::Json(value) => value.to_string().into_bytes(),
            Body::Xml(text) | Body::Text(text) => text.clone().into_bytes(),
            Body::Form(pairs) => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes(),
            Body::Multipart { boundary, parts } => {
                let mut text = String::new();
                for part in parts {
                    text.push_str(&format!(
                        "--{boundary}\r\n{}\r\n",
                        part.replace('\n', "\r\n")
                    ));
                }
                text.push_str(&format!("--{boundary}--\r\n"));
                text.into_bytes()
            }
        }
    }
}

/// The media type of a `Content-Type` value, lowercased, without parameters.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The `boundary` parameter of a `Content-Type` value.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// What kind of body a text is, from its content type or else its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Json,
    Xml,
    Form,
    Multipart,
    Text,
}

pub(crate) fn shape(text: &str, content_type: Option<&str>) -> Shape {
    let declared = content_type.map(media_type).unwrap_or_default();
    if declared.contains("json") {
        return Shape::Json;
    }
    if declared.contains("xml") {
        return Shape::Xml;
    }
    if declared.starts_with("multipart/") {
        return Shape::Multipart;
    }
    if declared == "application/x-www-form-urlencoded" {
        return Shape::Form;
    }
    if declared.starts_with("text/") || !declared.is_empty() {
        return Shape::Text;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with(['{', '[']) {
        Shape::Json
    } else if trimmed.starts_with('<') {
        Shape::Xml
    } else if trimmed.starts_with("--") {
        Shape::Multipart
    } else if trimmed.contains('=') && !trimmed.contains(char::is_whitespace) {
        Shape::Form
    } else {
        Shape::Text
    }
}

/// A one-line `<...>` in words (`<Photo data in body not shown>`) stands for a body the page leaves out.
fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    !text.contains('\n')
        && text.starts_with('<')
        && text.ends_with('>')
        && !text.starts_with("<?")
        && !text.contains(['=', '/'])
        && text.contains(' ')
}

/// Reads a documented body. Repairs are returned with body-relative lines.
pub(crate) fn documented(text: &str, content_type: Option<&str>) -> (Body, Vec<BodyRepair>) {
    if text.trim().is_empty() {
        return (Body::Empty, Vec::new());
    }
    if is_placeholder(text) {
        let repair = BodyRepair {
            line: 0,
            kind: RepairKind::PlaceholderBody,
            detail: format!("`{}` served as an empty body", text.trim()),
        };
        return (Body::Empty, vec![repair]);
    }
    match shape(text, content_type) {
        Shape::Json => match read_json(text) {
            Ok((value, repairs)) => (Body::Json(value), repairs),
            Err(unrepairable) => {
                let repair = BodyRepair {
                    line: unrepairable.line,
                    kind: RepairKind::ServedAsText,
                    detail: format!("not JSON after every repair ({})", unrepairable.message),
                };
                (Body::Text(text.to_string()), vec![repair])
            }
        },
        Shape::Xml => match xml_problem(text) {
            None => (Body::Xml(text.to_string()), Vec::new()),
            Some(problem) => {
                let repair = BodyRepair {
                    line: 0,
                    kind: RepairKind::ServedAsText,
                    detail: format!("not well-formed XML ({problem})"),
                };
                (Body::Text(text.to_string()), vec![repair])
            }
        },
        Shape::Form => (Body::Form(form_pairs(text)), Vec::new()),
        Shape::Multipart => {
            let declared = content_type.and_then(boundary);
            (multipart(text, declared), Vec::new())
        }
        Shape::Text => (Body::Text(text.to_string()), Vec::new()),
    }
}

/// Reads a received body strictly: no repairs for what a client sends.
pub(crate) fn received(bytes: &[u8], content_type: Option<&str>) -> Body {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Body::Text(String::from_utf8_lossy(bytes).into_owned());
    };
    if text.trim().is_empty() {
        return Body::Empty;
    }
    match shape(text, content_type) {
        // Measured before it is built: a received body of many small
        // objects is kept as text, not as a map per object.
        Shape::Json => ucwa_runtime::DecodeBudget::DEFAULT
            .decode_json(text)
            .map(Body::Json)
            .unwrap_or_else(|_| Body::Text(text.to_string())),
        Shape::Xml if xml_problem(text).is_none() => Body::Xml(text.to_string()),
        Shape::Form => Body::Form(form_pairs(text)),
        Shape::Multipart => multipart(text, content_type.and_then(boundary)),
        Shape::Xml | Shape::Text => Body::Text(text.to_string()),
    }
}

pub(crate) fn form_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.trim().as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// Splits a multipart body on its boundary (declared, or the first `--` line).
fn multipart(text: &str, declared: Option<String>) -> Body {
    let boundary = declared.or_else(|| {
        text.lines().map(str::trim).find_map(|line| {
            line.strip_prefix("--")
                .map(|b| b.trim_end_matches("--").to_string())
        })
    });
    let Some(boundary) = boundary.filter(|b| !b.is_empty()) else {
        return Body::Text(text.to_string());
    };
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\n").trim().to_string());
            }
            if trimmed == delimiter {
                current = Some(Vec::new());
            }
        } else if let Some(lines) = &mut current {
            lines.push(line);
        }
    }
    if let Some(lines) = current.take() {
        let part = lines.join("\n").trim().to_string();
        if !part.is_empty() {
            parts.push(part);
        }
    }
    parts.retain(|part| !part.is_empty());
    Body::Multipart { boundary, parts }
}

/// Why `text` is not well-formed XML, if it is not.
fn xml_problem(text: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Eof) => {
                return match (depth, roots) {
                    (0, 1) => None,
                    (0, _) => Some("not exactly one root element".to_string()),
                    _ => Some("elements left open".to_string()),
                };
            }
            Ok(_) => {}
            Err(error) => return Some(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_read_by_content_type_then_by_shape() {
        assert_eq!(documented("{\"a\":1}", None).0, Body::Json(json!({"a": 1})));
        assert_eq!(
            documented("grant_type=password&username=x", None).0,
            Body::Form(vec![
                ("grant_type".into(), "password".into()),
                ("username".into(), "x".into())
            ])
        );
        assert_eq!(
            documented("What's up?", Some("text/plain")).0,
            Body::Text("What's up?".into())
        );
        assert_eq!(
            documented("<a href=\"/x\"><b/></a>", None).0,
            Body::Xml("<a href=\"/x\"><b/></a>".into())
        );
    }

    #[test]
    fn a_placeholder_body_is_served_empty_and_said_so() {
        let (body, repairs) = documented("<Photo data in body not shown>", Some("image/jpeg"));
        assert_eq!(body, Body::Empty);
        assert_eq!(repairs[0].kind, RepairKind::PlaceholderBody);
    }

    #[test]
    fn an_unrepairable_json_body_is_text_and_said_so() {
        let (body, repairs) = documented("{\n a b c\n d e f\n g h i\n j k l\n m n o\n}", None);
        assert!(matches!(body, Body::Text(_)));
        assert_eq!(repairs[0].kind, RepairKind::ServedAsText);
    }

    #[test]
    fn multipart_parts_are_split_on_the_declared_or_first_boundary() {
        let text = "--b1\nContent-Type: application/http\n\nGET /a HTTP/1.1\n\n--b1\nX: y\n\nGET /b HTTP/1.1\n--b1--\n";
        let expected = Body::Multipart {
            boundary: "b1".into(),
            parts: vec![
                "Content-Type: application/http\n\nGET /a HTTP/1.1".into(),
                "X: y\n\nGET /b HTTP/1.1".into(),
            ],
        };
        assert_eq!(
            documented(text, Some("multipart/batching;boundary=b1")).0,
            expected
        );
        assert_eq!(documented(text, None).0, expected);
    }
}
