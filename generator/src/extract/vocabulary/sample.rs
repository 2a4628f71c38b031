//! What the first line of a sample looks like: an HTTP start line, a JSON
//! value or member, an XML element; in markdown, the stricter shapes that
//! mark a sample written without a fence.

use crate::schema::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleStart {
    Http,
    Json,
    Xml,
}

/// Whether a trimmed line starts a sample: an HTTP start line, the start of a
/// JSON value, a JSON member line of a damaged sample (`"rel" : "x",`), or XML.
pub fn sample_start(trimmed: &str) -> Option<SampleStart> {
    if is_http_start_line(trimmed) {
        return Some(SampleStart::Http);
    }
    if trimmed.starts_with('{') || is_json_array_start(trimmed) || is_json_member_line(trimmed) {
        return Some(SampleStart::Json);
    }
    if trimmed.starts_with("<?xml")
        || (trimmed.starts_with('<')
            && trimmed[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/'))
    {
        return Some(SampleStart::Xml);
    }
    None
}

/// `HTTP/1.1 200 OK`, `Get https://... HTTP/1.1`, `Post HTTP/1.1` (a damaged request line).
pub fn is_http_start_line(trimmed: &str) -> bool {
    // Both forms start with a letter; sample body lines mostly do not.
    if !trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return false;
    }
    let mut words = trimmed.split_whitespace();
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return false;
    };
    if is_http_version(first) {
        return second.chars().all(|c| c.is_ascii_digit());
    }
    let last = words.next_back().unwrap_or(second);
    Method::parse(first).is_some() && is_http_version(last)
}

fn is_http_version(word: &str) -> bool {
    word.strip_prefix("HTTP/")
        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
}

/// `[`, `[ {`, `["a"`, `[1`: not `[text](link)`, which a broken markdown link leaves behind.
fn is_json_array_start(trimmed: &str) -> bool {
    trimmed.strip_prefix('[').is_some_and(|rest| {
        let rest = rest.trim_start();
        rest.is_empty()
            || rest.starts_with(['{', '[', '"', ']', '-'])
            || rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

fn is_json_member_line(trimmed: &str) -> bool {
    trimmed.starts_with('"') && (trimmed.contains("\" :") || trimmed.contains("\":"))
}

/// A markdown code fence (```` ``` ````, ```` ```json ````) left in rendered text,
/// typically inside a sample whose markdown fence was broken.
pub fn is_fence(trimmed: &str) -> bool {
    trimmed.starts_with("```")
}

/// Byte offset of a sample that shares a line with the sentence before it
/// (`...valid scenario. { "_links" : ...`): a `{`/`[` opening a JSON member
/// after whitespace, or an XML declaration.
pub fn inline_sample_at(trimmed: &str) -> Option<usize> {
    let json = trimmed
        .match_indices([' ', '\t'])
        .map(|(at, _)| at + 1)
        .find(|&at| {
            let rest = &trimmed[at..];
            (rest.starts_with('{') || rest.starts_with('['))
                && rest[1..].trim_start().starts_with(['"', '{'])
        });
    json.filter(|&at| at > 0)
        .or_else(|| trimmed.find(" <?xml").map(|at| at + 1))
}

/// The first line of a sample written without a fence: a JSON document, an
/// XML declaration or element, or an HTTP request/status line.
pub fn starts_loose_markdown_sample(line: &str) -> bool {
    let line = line.trim();
    if line.starts_with('{') || line.starts_with("<?xml") || line.starts_with("HTTP/") {
        return true;
    }
    if let Some(element) = line.strip_prefix('<') {
        // An XML element, not inline HTML the page uses for layout.
        let name: String = element
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        return line.contains("xmlns") || name == "resource";
    }
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or_default();
    Method::parse(first).is_some()
        && words
            .next()
            .is_some_and(|target| target.starts_with("http") || target.starts_with('/'))
}

/// The start line of an HTTP message inside a sample, `POST https://... HTTP/1.1`
/// or `HTTP/1.1 200 OK`: looser than a line that starts a sample in running
/// text, since inside a sample the first line can only be this or the body.
pub fn is_message_start_line(line: &str) -> bool {
    let line = line.trim();
    if line.starts_with("HTTP/") {
        return true;
    }
    let mut words = line.split_whitespace();
    words.next().and_then(Method::parse).is_some() && words.next().is_some()
}

/// How deep a JSON body's brackets are open, counted outside strings, to
/// tell where a body that no blank line ends closes.
pub struct JsonDepth {
    depth: i64,
    opened: bool,
}

impl JsonDepth {
    pub fn of(text: &str) -> JsonDepth {
        let mut depth = JsonDepth {
            depth: 0,
            opened: false,
        };
        text.lines().for_each(|line| depth.add(line));
        depth
    }

    pub fn add(&mut self, line: &str) {
        let mut in_string = false;
        let mut escaped = false;
        // The brackets, quotes and escapes are ASCII: bytes are enough.
        for byte in line.bytes() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' if in_string => escaped = true,
                b'"' => in_string = !in_string,
                b'{' | b'[' if !in_string => {
                    self.depth += 1;
                    self.opened = true;
                }
                b'}' | b']' if !in_string => self.depth -= 1,
                _ => {}
            }
        }
    }

    pub fn closed(&self) -> bool {
        self.opened && self.depth <= 0
    }
}

impl JsonDepth {
    /// More brackets opened than closed: a body cut short.
    pub fn left_open(&self) -> bool {
        self.depth > 0
    }
}

/// An HTTP header line, `Content-Type: application/json`: a name of letters,
/// digits and `-`, a colon, a value. Some pages indent a whole sample by a
/// space, so indentation is allowed.
pub fn is_header_line(line: &str) -> bool {
    match line.trim_start().split_once(':') {
        Some((name, _)) => {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_start_lines() {
        for line in [
            "HTTP/1.1 200 OK",
            "Get https://x/y HTTP/1.1",
            "Post HTTP/1.1",
            "DELETE https://x HTTP/2",
        ] {
            assert!(is_http_start_line(line), "{line}");
        }
        for line in [
            "HTTP/1.1",
            "Get the resource",
            "HTTP/x 200",
            "Fetch https://x HTTP/1.1",
            "",
        ] {
            assert!(!is_http_start_line(line), "{line}");
        }
    }
}
