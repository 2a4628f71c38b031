//! Sample requests, responses and event payloads → [`Example`].
//!
//! A sample is recorded as the page gives it: the HTTP start line, the
//! headers, and the body verbatim. Whether the body parses is a finding about
//! the page, reported in `valid`/`problem`; a broken body is never repaired.

use super::text;
use super::vocabulary::{is_header_line, is_message_start_line};
use crate::schema::{Direction, Example, SampleFormat};

pub fn parse_example(sample: &str, format: SampleFormat, direction: Direction) -> Example {
    let decoded = text::decode_entities(sample);
    let mut lines = decoded.lines().peekable();
    while lines.next_if(|line| line.trim().is_empty()).is_some() {}

    let start_line = match lines.peek() {
        Some(line) if is_message_start_line(line) => {
            lines.next().unwrap_or_default().trim().to_string()
        }
        _ => String::new(),
    };
    let mut headers = Vec::new();
    if !start_line.is_empty() {
        while let Some(line) = lines.next_if(|line| is_header_line(line)) {
            headers.push(line.trim().to_string());
        }
    }
    while lines.next_if(|line| line.trim().is_empty()).is_some() {}
    let body = lines.collect::<Vec<_>>().join("\n").trim_end().to_string();

    let problem = match format {
        SampleFormat::Json => json_problem(&body),
        SampleFormat::Xml => xml_problem(&body),
    };
    Example {
        format,
        direction,
        start_line,
        headers,
        valid: problem.is_none(),
        problem,
        body,
    }
}

/// Samples larger than this still get their validity checked, but are not
/// read into a JSON tree for type evidence: a tree costs ~20 times the text,
/// and real samples are a few kilobytes.
pub const SAMPLE_VALUE_LIMIT: usize = 1 << 20;

/// A sample body as a JSON tree, when it is JSON and small enough to be evidence.
pub fn json_value(body: &str) -> Option<serde_json::Value> {
    if body.len() > SAMPLE_VALUE_LIMIT {
        return None;
    }
    serde_json::from_str(body).ok()
}

fn json_problem(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    // Validity only: no tree is built, so any size costs no more than the text.
    let error = serde_json::from_str::<serde::de::IgnoredAny>(body).err()?;
    if let Some(line) = raw_newline_in_string(body) {
        return Some(format!(
            "raw newline inside a JSON string at body line {line}"
        ));
    }
    let (opened, closed) = bracket_balance(body);
    if opened != closed {
        return Some(format!(
            "unbalanced brackets: {opened} opened but {closed} closed, so lines are missing or the body is truncated (serde_json: {error})"
        ));
    }
    if error.is_eof() {
        return Some(format!(
            "truncated: the body ends before the JSON value is complete ({error})"
        ));
    }
    Some(format!(
        "invalid JSON at body line {} column {}: {error}",
        error.line(),
        error.column()
    ))
}

/// The body line on which a string literal runs over a line end, if any.
fn raw_newline_in_string(body: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    let mut line = 1;
    for c in body.chars() {
        if c == '\n' {
            if in_string {
                return Some(line);
            }
            line += 1;
            continue;
        }
        if in_string {
            match c {
                '\\' => escaped = !escaped,
                '"' if !escaped => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
        }
    }
    None
}

/// Counts `{`/`[` and `}`/`]` outside strings.
fn bracket_balance(body: &str) -> (usize, usize) {
    let (mut opened, mut closed) = (0, 0);
    let mut in_string = false;
    let mut escaped = false;
    for c in body.chars() {
        if in_string {
            match c {
                '\\' => escaped = !escaped,
                '"' if !escaped => in_string = false,
                '\n' => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => opened += 1,
            '}' | ']' => closed += 1,
            _ => {}
        }
    }
    (opened, closed)
}

fn xml_problem(body: &str) -> Option<String> {
    use quick_xml::events::Event;
    if body.trim().is_empty() {
        return None;
    }
    let mut reader = quick_xml::Reader::from_str(body);
    let mut open: Vec<String> = Vec::new();
    let mut elements = 0usize;
    loop {
        let event = reader.read_event();
        let line = || line_at(body, reader.buffer_position() as usize);
        match event {
            Ok(Event::Start(start)) => {
                elements += 1;
                open.push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
            }
            Ok(Event::Empty(_)) => elements += 1,
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Text(text))
                if open.is_empty() && !text.iter().all(u8::is_ascii_whitespace) =>
            {
                return Some(format!(
                    "text outside the root element at body line {}",
                    line()
                ));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Some(format!("invalid XML at body line {}: {error}", line())),
        }
    }
    match open.last() {
        Some(name) => Some(format!("truncated: element <{name}> is never closed")),
        None if elements == 0 => Some("no XML element in the body".to_string()),
        None => None,
    }
}

fn line_at(body: &str, offset: usize) -> usize {
    body.as_bytes()[..offset.min(body.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_split_into_start_line_headers_and_body() {
        let sample = "Post https://h/x HTTP/1.1\nHost: h\nContent-Type: application/json\n{\n  &quot;to&quot; : &quot;sip:a&quot;\n}";
        let example = parse_example(sample, SampleFormat::Json, Direction::Request);
        assert_eq!(example.start_line, "Post https://h/x HTTP/1.1");
        assert_eq!(
            example.headers,
            ["Host: h", "Content-Type: application/json"]
        );
        assert_eq!(example.body, "{\n  \"to\" : \"sip:a\"\n}");
        assert!(example.valid, "{:?}", example.problem);
    }

    #[test]
    fn indented_samples_keep_their_headers() {
        let example = parse_example(
            " Get https://h/x HTTP/1.1\n Host: h\n Accept: application/xml\n \n",
            SampleFormat::Xml,
            Direction::Request,
        );
        assert_eq!(example.headers, ["Host: h", "Accept: application/xml"]);
        assert_eq!((example.body.as_str(), example.valid), ("", true));
    }

    #[test]
    fn empty_body_is_valid() {
        let example = parse_example(
            "HTTP/1.1 201 Created\nLocation: /x\n\n",
            SampleFormat::Json,
            Direction::Response,
        );
        assert_eq!(example.body, "");
        assert!(example.valid);
    }

    #[test]
    fn raw_newline_in_a_string_is_named() {
        let example = parse_example(
            "{\n  \"a\" : \"one\ntwo\"\n}",
            SampleFormat::Json,
            Direction::Response,
        );
        assert!(!example.valid);
        assert_eq!(
            example.problem.as_deref(),
            Some("raw newline inside a JSON string at body line 2")
        );
        assert_eq!(
            example.body, "{\n  \"a\" : \"one\ntwo\"\n}",
            "never repaired"
        );
    }

    #[test]
    fn lost_lines_show_as_unbalanced_brackets() {
        let example = parse_example(
            "{\n  \"a\" : {\n    \"b\" : 1\n}",
            SampleFormat::Json,
            Direction::Response,
        );
        assert!(example
            .problem
            .as_deref()
            .unwrap()
            .starts_with("unbalanced brackets: 2 opened but 1 closed"));
    }

    #[test]
    fn event_sample_has_no_start_line() {
        let example = parse_example(
            "{\n  \"type\" : \"added\"\n}",
            SampleFormat::Json,
            Direction::Response,
        );
        assert_eq!(example.start_line, "");
        assert!(example.headers.is_empty());
        assert!(example.valid);
    }

    #[test]
    fn xml_is_checked_for_well_formedness_and_truncation() {
        let good = "HTTP/1.1 200 OK\n<?xml version=\"1.0\"?>\n<resource rel=\"x\"><link rel=\"a\" /></resource>";
        assert!(parse_example(good, SampleFormat::Xml, Direction::Response).valid);
        let cut = parse_example(
            "<resource rel=\"x\">\n  <property name=\"a\">1</property>",
            SampleFormat::Xml,
            Direction::Response,
        );
        assert_eq!(
            cut.problem.as_deref(),
            Some("truncated: element <resource> is never closed")
        );
        let crossed = parse_example("<a><b></a></b>", SampleFormat::Xml, Direction::Response);
        assert!(crossed
            .problem
            .unwrap()
            .starts_with("invalid XML at body line 1"));
    }
}
