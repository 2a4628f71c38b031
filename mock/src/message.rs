//! HTTP messages written in a code block: a request line or status line,
//! headers, a blank line, a body. Read by hand, leniently, because the pages
//! elide headers (`.`/`...`), wrap long request lines, split a header with a
//! blank line and start bodies with no blank line; each of those is a named
//! [`Repair`].

use crate::body::{self, Body};
use crate::repair::{Repair, RepairKind};
use crate::transcript::Location;
use std::sync::Arc;

/// The request methods a transcript's request line may start with.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"];
/// A wrapped request line continues for at most this many lines.
const MAX_WRAPPED_LINES: usize = 32;

/// A documented request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The page and line of the request line.
    pub location: Location,
    /// `GET`, `POST`, …
    pub method: String,
    /// Where it goes.
    pub target: Target,
    /// Headers as written, in order (elisions dropped).
    pub headers: Vec<(String, String)>,
    /// The body, repaired where the page damaged it.
    pub body: Body,
}

/// A documented response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The page and line of the status line (or of the body, when the page shows no status line).
    pub location: Location,
    /// The status code.
    pub status: u16,
    /// Headers as written, in order (elisions dropped).
    pub headers: Vec<(String, String)>,
    /// The body, repaired where the page damaged it.
    pub body: Body,
}

/// A request target, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host[:port]`, lowercased, from the absolute URL or else the `Host` header.
    pub authority: Option<String>,
    /// The path as written (percent-encoded), `/` when empty.
    pub path: String,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
}

impl Target {
    /// Path and query, as a request line shows them.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.query)
            .finish();
        format!("{}?{query}", self.path)
    }
}

/// The value of the first header called `name` (case-insensitive).
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl Request {
    /// True for the event channel's pending GET: a GET on an `events` resource.
    pub fn is_event_channel(&self) -> bool {
        self.method == "GET" && is_events_path(&self.target.path)
    }
}

/// True when the last path segment is `events` (any case).
pub(crate) fn is_events_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(|segment| segment.eq_ignore_ascii_case("events"))
}

/// What a code block holds.
#[derive(Debug)]
pub(crate) enum Parsed {
    Request(Request),
    Response(Response),
    /// Not an HTTP message: only a body (`{...}`, `<events ...>`), starting at `line`.
    BodyOnly {
        text: String,
        line: usize,
    },
    /// Headers (and maybe a body) with no start line, starting at `line`:
    /// a response whose status line the page lost, when a request awaits one.
    Headless {
        headers: Vec<(String, String)>,
        body: Body,
        line: usize,
    },
    /// A block with nothing in it: under a request awaiting its answer, an
    /// answer whose status line, headers and body are all gone.
    Empty,
    NotHttp(String),
}

/// Headers a response carries and a request does not: evidence that
/// headers with no start line are an answer.
const RESPONSE_HEADERS: [&str; 15] = [
    "content-type",
    "content-length",
    "location",
    "date",
    "server",
    "cache-control",
    "etag",
    "expires",
    "set-cookie",
    "www-authenticate",
    "x-aspnet-version",
    "x-powered-by",
    "x-content-type-options",
    "transfer-encoding",
    "p3p",
];

/// Headers only a request carries: headers with no start line that hold
/// one are no answer.
pub(crate) const REQUEST_HEADERS: [&str; 8] = [
    "authorization",
    "host",
    "accept",
    "user-agent",
    "referer",
    "x-requested-with",
    "x-ms-origin",
    "cookie",
];

/// True when the block opens with header fields (or `...` where the page
/// left them out), one of them a header a response carries, or with nothing
/// but the elision before a body. What follows them is the body, blank line
/// or not ([`headers_and_body`] names the missing blank line).
fn starts_headers(lines: &[(usize, &str)]) -> bool {
    let head: Vec<&str> = lines
        .iter()
        .map(|(_, line)| *line)
        .take_while(|line| header_field(line).is_some() || is_elision(line))
        .collect();
    let body_follows = lines[head.len()..]
        .iter()
        .any(|(_, line)| !line.trim().is_empty());
    let of_response = head
        .iter()
        .any(|line| header_field(line).is_some_and(|(name, _)| is_response_header(name)));
    let only_elided = head.iter().all(|line| is_elision(line));
    !head.is_empty() && (of_response || (only_elided && body_follows))
}

fn is_response_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    RESPONSE_HEADERS.contains(&name.as_str())
        || ["x-ms-", "x-exchange-", "access-control-"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// The status a response shown without its status line implies, and why:
/// `201` with a `Location`, `401` with `WWW-Authenticate`, the status a UCWA
/// error body's `code` names (`Conflict` → `409`, `ServiceFailure` → `500`),
/// `400` for an OAuth error (`{"error": "invalid_grant"}`), `201` for a POST
/// answered with another resource than the one posted to (its `self` link
/// differs: the resource it created), `200` with any other body, `204` with
/// none. `request` is the method and path answered, when known.
pub(crate) fn implied_status(
    headers: &[(String, String)],
    body: &Body,
    request: Option<(&str, &str)>,
) -> (u16, String) {
    if header(headers, "location").is_some() {
        return (201, "a Location header".into());
    }
    if header(headers, "www-authenticate").is_some() {
        return (401, "a WWW-Authenticate challenge".into());
    }
    if let Body::Json(value) = body {
        let text = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
        let error_shaped = value.get("subcode").is_some() || value.get("message").is_some();
        if let (Some(code), true) = (text("code"), error_shaped) {
            return match error_status(code) {
                Some(status) => (status, format!("an error body with code `{code}`")),
                None => (
                    400,
                    format!("an error body with code `{code}`, which names no status"),
                ),
            };
        }
        if let Some(error) = text("error") {
            return (400, format!("an OAuth error body (`{error}`)"));
        }
    }
    if let (Some(own), Some(("POST", path))) = (own_href(body), request) {
        let own_path = parse_target(&own, None).path;
        if !own_path.eq_ignore_ascii_case(path) {
            return (201, "a POST answered with the resource it created".into());
        }
    }
    match (body.is_empty(), request.map(|(method, _)| method)) {
        (false, _) => (200, "a body".into()),
        (true, Some(method @ ("GET" | "PUT"))) => (200, format!("a {method} with no body")),
        (true, _) => (204, "no body".into()),
    }
}

/// The href a body gives itself: JSON's `_links.self`, XML's root `href`.
fn own_href(body: &Body) -> Option<String> {
    match body {
        Body::Json(value) => value
            .pointer("/_links/self/href")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        Body::Xml(text) => {
            let mut reader = quick_xml::Reader::from_str(text);
            loop {
                match reader.read_event().ok()? {
                    quick_xml::events::Event::Start(root)
                    | quick_xml::events::Event::Empty(root) => {
                        let href = root.try_get_attribute("href").ok()??;
                        return Some(String::from_utf8_lossy(&href.value).into_owned());
                    }
                    quick_xml::events::Event::Eof => return None,
                    _ => {}
                }
            }
        }
        _ => None,
    }
}

/// The status of a UCWA error code: its reason phrase without spaces
/// (`NotFound`, `Conflict`, `PreconditionFailed`), or `ServiceFailure`.
fn error_status(code: &str) -> Option<u16> {
    if code.eq_ignore_ascii_case("ServiceFailure") {
        return Some(500);
    }
    (400..600u16).find(|&status| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .is_some_and(|reason| reason.replace(' ', "").eq_ignore_ascii_case(code))
    })
}

/// The reason phrase of a status, for messages.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("")
}

/// Skips start lines written again right after the first (`HTTP/1.1 200 OK`
/// twice): the first is kept, each copy is a named repair. Returns the index
/// of the first line after them.
fn skip_repeated(
    lines: &[(usize, &str)],
    from: usize,
    is_start: impl Fn(&str) -> bool,
    note: &mut impl FnMut(usize, RepairKind, String),
) -> usize {
    let mut at = from;
    while let Some(&(line_number, line)) = lines.get(at) {
        if !is_start(line) {
            break;
        }
        let first = lines[0].1.trim();
        let detail = format!(
            "dropped a second start line `{}` after `{first}`: the first is kept",
            line.trim()
        );
        note(line_number, RepairKind::RepeatedStartLine, detail);
        at += 1;
    }
    at
}

/// The request inside a batch part (MIME headers, a blank line, the HTTP
/// request), read as a block starting at `at`; its repairs are not kept.
pub(crate) fn part_request(part: &str, at: &Location) -> Option<Request> {
    let text = part.replace("\r\n", "\n");
    let (_, message) = text.split_once("\n\n")?;
    match parse_block(message, at.line, &at.file, &mut Vec::new()) {
        Parsed::Request(request) => Some(request),
        _ => None,
    }
}

/// Reads a code block whose first content line is page line `first_line`.
pub(crate) fn parse_block(
    text: &str,
    first_line: usize,
    file: &Arc<str>,
    repairs: &mut Vec<Repair>,
) -> Parsed {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (first_line + index, line))
        .skip_while(|(_, line)| line.trim().is_empty())
        .collect();
    let Some(&(start_line, start)) = lines.first() else {
        return Parsed::Empty;
    };
    // A start line written twice: the copy goes before anything reads the
    // lines (a wrapped request line would take it for its continuation).
    let mut lines = lines;
    if is_start_line(start)
        && lines
            .get(1)
            .is_some_and(|(_, next)| next.trim() == start.trim())
    {
        repairs.push(Repair {
            location: Location {
                file: file.clone(),
                line: lines[1].0,
            },
            kind: RepairKind::RepeatedStartLine,
            detail: format!("dropped the start line `{}` written twice", start.trim()),
        });
        lines.remove(1);
    }
    let at = |line| Location {
        file: file.clone(),
        line,
    };
    let mut note = |line, kind, detail: String| {
        repairs.push(Repair {
            location: at(line),
            kind,
            detail,
        })
    };
    if let Some(status) = status_code(start) {
        let after = skip_repeated(&lines, 1, |line| status_code(line).is_some(), &mut note);
        let (headers, body_text) = headers_and_body(&lines[after..], &mut note);
        let content_type = header(&headers, "content-type").map(str::to_string);
        let body = read_body(body_text, content_type.as_deref(), &mut note);
        return Parsed::Response(Response {
            location: at(start_line),
            status,
            headers,
            body,
        });
    }
    if let Some((method, raw_target, consumed)) = request_line(&lines) {
        if consumed > 1 {
            note(
                start_line,
                RepairKind::WrappedRequestLine,
                format!("joined a request line written over {consumed} lines"),
            );
        }
        let after = skip_repeated(
            &lines,
            consumed,
            |line| request_line(&[(0, line)]).is_some(),
            &mut note,
        );
        let (headers, body_text) = headers_and_body(&lines[after..], &mut note);
        let content_type = header(&headers, "content-type").map(str::to_string);
        let body = read_body(body_text, content_type.as_deref(), &mut note);
        let target = parse_target(&raw_target, header(&headers, "host"));
        return Parsed::Request(Request {
            location: at(start_line),
            method,
            target,
            headers,
            body,
        });
    }
    if starts_headers(&lines) {
        let (headers, body_text) = headers_and_body(&lines, &mut note);
        let content_type = header(&headers, "content-type").map(str::to_string);
        let body = read_body(body_text, content_type.as_deref(), &mut note);
        return Parsed::Headless {
            headers,
            body,
            line: start_line,
        };
    }
    let trimmed = start.trim_start();
    if trimmed.starts_with(['{', '[', '<']) {
        let body: Vec<&str> = lines.iter().map(|(_, line)| *line).collect();
        return Parsed::BodyOnly {
            text: body.join("\n"),
            line: start_line,
        };
    }
    Parsed::NotHttp(format!(
        "not an HTTP message (starts `{}`)",
        trimmed.chars().take(40).collect::<String>()
    ))
}

/// A status line or a request line.
fn is_start_line(line: &str) -> bool {
    status_code(line).is_some() || request_line(&[(0, line)]).is_some()
}

/// `HTTP/1.1 201 Created` (also `HTTP/1.1 201 (or 200) OK`) → 201.
fn status_code(line: &str) -> Option<u16> {
    let mut words = line.split_whitespace();
    let version = words.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code: u16 = words.next()?.parse().ok()?;
    (100..=599).contains(&code).then_some(code)
}

fn is_version(word: &str) -> bool {
    word.strip_prefix("HTTP/").is_some_and(|number| {
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// The request line: method, target, and how many lines it takes (more than
/// one when a long query is wrapped, as the Azure AD page does).
fn request_line(lines: &[(usize, &str)]) -> Option<(String, String, usize)> {
    let mut words = lines.first()?.1.split_whitespace();
    // The reference pages write `Post https://…`: the method in any case.
    let method = words.next()?.to_ascii_uppercase();
    let method = method.as_str();
    let target = words.next()?;
    if !METHODS.contains(&method) || !is_target(target) {
        return None;
    }
    let version = words.next();
    if version.is_some() || lines.len() < 2 {
        return Some((method.to_string(), target.to_string(), 1));
    }
    // No version on the first line: the target may continue until a line that ends with one.
    let mut joined = target.to_string();
    for (index, (_, line)) in lines.iter().enumerate().skip(1).take(MAX_WRAPPED_LINES) {
        let line = line.trim();
        if line.is_empty() || header_field(line).is_some() {
            break;
        }
        let (piece, ends) = match line.rsplit_once(char::is_whitespace) {
            Some((piece, last)) if is_version(last) => (piece.trim(), true),
            _ if is_version(line) => ("", true),
            _ => (line, false),
        };
        joined.push_str(piece);
        if ends {
            return Some((method.to_string(), joined, index + 1));
        }
    }
    Some((method.to_string(), target.to_string(), 1))
}

fn is_target(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    word.starts_with('/') || lower.starts_with("http://") || lower.starts_with("https://")
}

/// `Name: value` with a token name, or nothing.
fn header_field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.trim().split_once(':')?;
    let is_token = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    is_token.then(|| (name, value.trim()))
}

/// A line of dots or ellipses: headers left out.
fn is_elision(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.chars().all(|c| c == '.' || c == '…')
}

type Headers = Vec<(String, String)>;
/// A body's text and the page line it starts on.
type BodyText = (String, usize);

/// The headers after the start line, and the body text with its page line.
fn headers_and_body(
    lines: &[(usize, &str)],
    note: &mut impl FnMut(usize, RepairKind, String),
) -> (Headers, Option<BodyText>) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut index = 0;
    let mut in_elision = false;
    while let Some(&(line_number, line)) = lines.get(index) {
        if is_elision(line) {
            if !in_elision {
                note(
                    line_number,
                    RepairKind::ElidedHeaders,
                    "skipped `.`/`...` lines among the headers".into(),
                );
            }
            in_elision = true;
            index += 1;
            continue;
        }
        in_elision = false;
        if line.trim().is_empty() {
            // A header value split by a blank line: `secure;` / blank / `HttpOnly` / more headers.
            let next = lines[index + 1..]
                .iter()
                .position(|(_, l)| !l.trim().is_empty());
            if let Some(offset) = next {
                let continued = index + 1 + offset;
                let (continued_line, text) = lines[continued];
                let text = text.trim();
                let more_headers = lines
                    .get(continued + 1)
                    .is_some_and(|(_, after)| header_field(after).is_some());
                // Only a value left open (`...; secure;`) continues after a blank line.
                let open_value = headers
                    .last()
                    .is_some_and(|(_, value)| value.trim_end().ends_with([';', ',']));
                if open_value
                    && header_field(text).is_none()
                    && !text.starts_with(['{', '[', '<'])
                    && !text.contains(char::is_whitespace)
                    && more_headers
                {
                    if let Some((name, value)) = headers.last_mut() {
                        note(
                            continued_line,
                            RepairKind::SplitHeader,
                            format!("joined `{text}` to the {name} header"),
                        );
                        value.push(' ');
                        value.push_str(text);
                    }
                    index = continued + 1;
                    continue;
                }
            }
            let body = body_text(&lines[index..]);
            return (headers, body);
        }
        match header_field(line) {
            Some((name, value)) => headers.push((name.to_string(), value.to_string())),
            None => {
                note(
                    line_number,
                    RepairKind::BodyWithoutBlankLine,
                    "the body starts right after the headers".into(),
                );
                return (headers, body_text(&lines[index..]));
            }
        }
        index += 1;
    }
    (headers, None)
}

fn body_text(lines: &[(usize, &str)]) -> Option<BodyText> {
    let start = lines.iter().position(|(_, line)| !line.trim().is_empty())?;
    let text: Vec<&str> = lines[start..].iter().map(|(_, line)| *line).collect();
    Some((text.join("\n").trim_end().to_string(), lines[start].0))
}

fn read_body(
    text: Option<BodyText>,
    content_type: Option<&str>,
    note: &mut impl FnMut(usize, RepairKind, String),
) -> Body {
    let Some((text, first_line)) = text else {
        return Body::Empty;
    };
    let (body, repairs) = body::documented(&text, content_type);
    for repair in repairs {
        note(first_line + repair.line, repair.kind, repair.detail);
    }
    body
}

/// Splits a request target; a relative one takes its authority from `Host`.
pub(crate) fn parse_target(raw: &str, host: Option<&str>) -> Target {
    let base = url::Url::parse("http://target.invalid/").expect("a valid base URL");
    let lower = raw.to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    let parsed = if absolute {
        url::Url::parse(raw)
    } else {
        base.join(raw)
    };
    let Ok(url) = parsed else {
        let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
        return Target {
            authority: host.map(normalise_authority),
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query: body::form_pairs(query),
        };
    };
    let authority = if absolute {
        url.host_str().map(|host| match url.port() {
            Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
            None => host.to_ascii_lowercase(),
        })
    } else {
        host.map(normalise_authority)
    };
    Target {
        authority,
        path: url.path().to_string(),
        query: url
            .query_pairs()
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect(),
    }
}

/// `LyncWeb.Contoso.com:443` → `lyncweb.contoso.com` (default ports dropped).
pub(crate) fn normalise_authority(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    authority
        .strip_suffix(":443")
        .or_else(|| authority.strip_suffix(":80"))
        .unwrap_or(&authority)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> (Parsed, Vec<Repair>) {
        let mut repairs = Vec::new();
        let parsed = parse_block(text, 10, &Arc::from("page.md"), &mut repairs);
        (parsed, repairs)
    }

    fn kinds(repairs: &[Repair]) -> Vec<(usize, RepairKind)> {
        repairs.iter().map(|r| (r.location.line, r.kind)).collect()
    }

    #[test]
    fn a_request_with_elided_headers_and_an_absolute_target() {
        let (parsed, repairs) = parse(
            "\nPOST https://LyncWeb.contoso.com/ucwa/x?a=1&b=2 HTTP/1.1\nContent-Type: application/json\n.\n.\n\n{\"x\":1}",
        );
        let Parsed::Request(request) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(request.location.line, 11);
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.target.authority.as_deref(),
            Some("lyncweb.contoso.com")
        );
        assert_eq!(request.target.path, "/ucwa/x");
        assert_eq!(
            request.target.query,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(request.body, Body::Json(json!({"x": 1})));
        assert_eq!(kinds(&repairs), vec![(13, RepairKind::ElidedHeaders)]);
    }

    #[test]
    fn a_relative_target_takes_the_host_header() {
        let (parsed, _) = parse("GET /ucwa/me HTTP/1.1\nHost: LyncWeb.contoso.com:443\n");
        let Parsed::Request(request) = parsed else {
            panic!()
        };
        assert_eq!(
            request.target.authority.as_deref(),
            Some("lyncweb.contoso.com")
        );
    }

    #[test]
    fn a_wrapped_request_line_is_joined() {
        let (parsed, repairs) = parse("GET https://login.example.com/authorize?\nresponse_type=id_token\n&state=<x> \nHTTP/1.1\n");
        let Parsed::Request(request) = parsed else {
            panic!()
        };
        assert_eq!(
            request.target.query,
            vec![
                ("response_type".into(), "id_token".into()),
                ("state".into(), "<x>".into())
            ]
        );
        assert_eq!(kinds(&repairs), vec![(10, RepairKind::WrappedRequestLine)]);
    }

    #[test]
    fn a_header_split_by_a_blank_line_is_rejoined_and_a_body_without_blank_line_is_found() {
        let (parsed, repairs) = parse(
            "HTTP/1.1 201 Created\nSet-Cookie: a=b; secure; \n\nHttpOnly\nX-Other: 1\n{\"rel\":\"application\"}",
        );
        let Parsed::Response(response) = parsed else {
            panic!()
        };
        assert_eq!(response.status, 201);
        assert_eq!(
            header(&response.headers, "set-cookie"),
            Some("a=b; secure; HttpOnly")
        );
        assert_eq!(header(&response.headers, "x-other"), Some("1"));
        assert_eq!(response.body, Body::Json(json!({"rel": "application"})));
        assert_eq!(
            kinds(&repairs),
            vec![
                (13, RepairKind::SplitHeader),
                (15, RepairKind::BodyWithoutBlankLine)
            ]
        );
    }

    #[test]
    fn status_lines_with_asides_and_things_that_are_not_messages() {
        let (parsed, _) = parse("HTTP/1.1 201 (or 200) OK\n\n{}");
        assert!(matches!(
            parsed,
            Parsed::Response(Response { status: 201, .. })
        ));
        assert!(matches!(
            parse("HTTPS GET LyncDiscover.<domain>").0,
            Parsed::NotHttp(_)
        ));
        // A lone response header: headers with no start line (the pairing
        // decides whether a request awaits them).
        assert!(matches!(
            parse("WWW-Authenticate: MsRtcOAuth href=x").0,
            Parsed::Headless { line: 10, .. }
        ));
        // Header-like lines no response carries are no message.
        assert!(matches!(
            parse("Note: the token is elided").0,
            Parsed::NotHttp(_)
        ));
        assert!(matches!(parse("var x = 1;").0, Parsed::NotHttp(_)));
        assert!(matches!(
            parse("  {\"a\": 1}").0,
            Parsed::BodyOnly { line: 10, .. }
        ));
        assert!(matches!(
            parse("GET LyncDiscover.contoso.com").0,
            Parsed::NotHttp(_)
        ));
    }

    #[test]
    fn a_start_line_written_twice_is_dropped_by_name() {
        let (parsed, repairs) =
            parse("HTTP/1.1 200 OK\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"a\":1}");
        let Parsed::Response(response) = parsed else {
            panic!("a response")
        };
        assert_eq!(response.status, 200);
        assert_eq!(
            header(&response.headers, "content-type"),
            Some("application/json")
        );
        assert_eq!(response.body, Body::Json(json!({"a": 1})));
        assert_eq!(kinds(&repairs), vec![(11, RepairKind::RepeatedStartLine)]);
        assert!(
            repairs[0].detail.contains("written twice"),
            "{}",
            repairs[0].detail
        );

        let (parsed, repairs) =
            parse("POST /ucwa/x HTTP/1.1\nPOST /ucwa/x HTTP/1.1\nHost: a.b\n\n");
        let Parsed::Request(request) = parsed else {
            panic!("a request")
        };
        assert_eq!(request.target.path, "/ucwa/x");
        assert_eq!(header(&request.headers, "host"), Some("a.b"));
        assert_eq!(kinds(&repairs), vec![(11, RepairKind::RepeatedStartLine)]);
    }

    #[test]
    fn a_missing_status_line_is_implied_by_the_evidence() {
        let cases: &[(&str, u16)] = &[
            ("Location: /ucwa/x/1\nContent-Length: 0", 201),
            ("Content-Type: application/json\n\n{\"rel\":\"note\"}", 200),
            ("Content-Length: 0\nCache-Control: no-cache", 204),
            ("WWW-Authenticate: MsRtcOAuth href=x", 401),
            ("Content-Type: application/json\n\n{\"code\":\"Conflict\",\"subcode\":\"AlreadyExists\",\"message\":\"m\"}", 409),
            ("Content-Type: application/json\n\n{\"code\":\"ServiceFailure\",\"message\":\"m\"}", 500),
            ("Content-Type: application/json\n\n{\"code\":\"PreconditionFailed\",\"message\":\"m\"}", 412),
        ];
        for (text, status) in cases {
            let (parsed, _) = parse(text);
            let Parsed::Headless { headers, body, .. } = parsed else {
                panic!("headers with no start line: {text}")
            };
            assert_eq!(implied_status(&headers, &body, None).0, *status, "{text}");
        }
    }

    #[test]
    fn the_event_channel_request_is_a_get_on_events() {
        let (Parsed::Request(request), _) =
            parse("GET /ucwa/v1/applications/1/Events?ack=3 HTTP/1.1")
        else {
            panic!()
        };
        assert!(request.is_event_channel());
        let (Parsed::Request(request), _) = parse("POST /ucwa/v1/applications/1/events HTTP/1.1")
        else {
            panic!()
        };
        assert!(!request.is_event_channel());
    }
}
