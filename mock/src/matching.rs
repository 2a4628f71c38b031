//! A received request against the documented one.
//!
//! Compared: the method; the host (the listener it arrived at must stand for
//! the documented host, or, for a path under the application, for the host
//! that handed the application out: see [`crate::ids`]); the path, segment by
//! segment, percent-decoded and ASCII case-insensitively (IIS, which serves
//! UCWA, treats paths so, and CreateAnApplication's challenge names
//! `/WebTicket/oauthtoken` where its next request posts
//! `/webticket/oauthtoken`), with generated ids as [`crate::ids`] says; the
//! query and the body by keys and values; the `Content-Type` media type when
//! there is a body; and that an `Authorization` header with the documented
//! scheme is present (its value is never compared: tokens are elided on the
//! pages and never printed).
//!
//! Not compared, because a client that is not the browser the pages were
//! captured in sends them otherwise and the server does not act on them:
//! `Accept` (a Rust client asks for `application/json`, GetMyPhoto's browser
//! for `*/*`), `X-Ms-Origin`, `X-Requested-With`, `Referer`, `User-Agent`,
//! `Accept-Language`, `Accept-Encoding`, `DNT`, `Cache-Control`, cookies and
//! the transport headers (`Host` stands for the listener, `Content-Length`,
//! `Connection`). `Content-Type` is compared by format, not by name or
//! parameters: `application/json` and any `…+json`
//! (`application/vnd.microsoft.com.ucwa+json`) are one, `application/xml`,
//! `text/xml` and any `…+xml` another (UCWA accepts both the plain and the
//! vendor names; a charset changes nothing once the body is read).
//!
//! Keys (JSON members, query and form names) are compared ASCII
//! case-insensitively, as the server binds them (CreateAnApplication sends
//! `UserAgent` where the reference page says `userAgent`); a member whose
//! value is `null` counts as absent. Values must be equal, except these,
//! which a client generates or a clock decides:
//! - values of the keys in [`GENERATED_KEYS`] (`operationId`, `sessionContext`,
//!   `threadId`, `endpointId`, `telemetryId`, `instanceId`, `OperationContext`):
//!   any value;
//! - a documented GUID (`8-4-4-4-12` hex, braces optional, or 32 hex digits):
//!   any GUID;
//! - a documented date (HTTP date, ISO 8601 date-time, or `/Date(ms)/`):
//!   any date of those shapes;
//! - a value the page elides or stands in for (`cwt=AAEB...buHc`, `<access-token>`):
//!   any value.
//!
//! A key of [`GENERATED_KEYS`] may also be missing or extra, in the query, a
//! form or a JSON body: a client adds its own `operationId` to the requests
//! that start operations (as a query parameter where the body is not JSON,
//! such as SendAnIM's message), and leaves out the `OperationContext` or
//! `sessionContext` a browser library added.
//!
//! A tolerated value the client chose differently is learned: later responses
//! carry the client's value where the page has the documented one, so an
//! `operationId` in the event channel is the one the client sent.
//! Passwords and tokens (see [`is_sensitive`]) are never printed, in a
//! difference or anywhere else.

use crate::body::{self, Body};
use crate::ids::{Binding, IdMap};
use crate::message::{self, header, Request};
use crate::transcript::{Location, StepId};
use serde_json::Value;
use std::fmt;

/// Keys whose values the client generates: any value matches.
pub const GENERATED_KEYS: [&str; 7] = [
    "operationId",
    "sessionContext",
    "threadId",
    "endpointId",
    "telemetryId",
    "instanceId",
    "OperationContext",
];

/// Keys whose values are credentials: never printed.
const SENSITIVE_KEYS: [&str; 9] = [
    "password",
    "access_token",
    "refresh_token",
    "id_token",
    "ms_rtc_renew",
    "client_secret",
    "assertion",
    "token",
    "code",
];

/// True for keys whose values are credentials (compared, never printed).
pub fn is_sensitive(key: &str) -> bool {
    SENSITIVE_KEYS
        .iter()
        .any(|sensitive| sensitive.eq_ignore_ascii_case(key))
}

/// A request as the mock received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The documented authority of the listener it arrived at.
    pub authority: String,
    /// The path as received (percent-encoded).
    pub path: String,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body, read by its content type.
    pub body: Body,
}

impl ReceivedRequest {
    /// `METHOD path?query`, credentials in the query redacted.
    pub fn summary(&self) -> String {
        summary(&self.method, &self.path, &self.query)
    }
}

/// `METHOD path?query` with credentials in the query redacted.
pub(crate) fn summary(method: &str, path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return format!("{method} {path}");
    }
    let shown: Vec<(String, String)> = query
        .iter()
        .map(|(key, value)| (key.clone(), shown(key, value)))
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&shown)
        .finish();
    format!("{method} {path}?{query}")
}

/// One way the received request differs from the documented one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `method`, `host`, `path`, `query.ack`, `body.to`, `header Content-Type`, …
    pub at: String,
    /// What the page documents (credentials redacted).
    pub expected: String,
    /// What arrived (credentials redacted).
    pub received: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, received {}",
            self.at, self.expected, self.received
        )
    }
}

/// A request that does not match the step the mock expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The step that was expected, if any was left.
    pub step: Option<StepId>,
    /// Where the page documents it.
    pub expected_at: Option<Location>,
    /// The documented request, `METHOD path?query`.
    pub expected: String,
    /// The received request, `METHOD path?query` (credentials redacted).
    pub received: String,
    /// How they differ.
    pub differences: Vec<Difference>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expected_at {
            Some(location) => write!(
                f,
                "{location}: expected {}, received {}",
                self.expected, self.received
            )?,
            None => write!(f, "expected {}, received {}", self.expected, self.received)?,
        }
        for difference in &self.differences {
            write!(f, "; {difference}")?;
        }
        Ok(())
    }
}

/// The outcome of comparing one request.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub differences: Vec<Difference>,
    /// Tolerated values the client chose differently: (documented, received).
    pub learned: Vec<(String, String)>,
    /// Documented ids bound to the ids the client used (see [`crate::ids`]).
    pub bindings: Vec<Binding>,
}

impl Comparison {
    /// Records a difference in how many `what` there are; true when they differ.
    fn counts_differ(&mut self, at: &str, what: &str, expected: usize, actual: usize) -> bool {
        if expected != actual {
            self.differ(at, format!("{expected} {what}"), format!("{actual} {what}"));
        }
        expected != actual
    }

    fn differ(
        &mut self,
        at: impl Into<String>,
        expected: impl Into<String>,
        received: impl Into<String>,
    ) {
        // The one place a difference is recorded: whatever it quotes (a
        // form or JSON compared as text, an odd header), no credential
        // reaches a log, a mismatch list or an error body.
        self.differences.push(Difference {
            at: at.into(),
            expected: crate::redact::scrub(&expected.into()),
            received: crate::redact::scrub(&received.into()),
        });
    }
}

/// Compares `received` with the documented `documented`, with the ids the
/// replay handed out so far.
pub(crate) fn compare(documented: &Request, received: &ReceivedRequest, ids: &IdMap) -> Comparison {
    let mut comparison = Comparison::default();
    if documented.method != received.method {
        comparison.differ("method", &documented.method, &received.method);
    }
    if let Some(authority) = &documented.target.authority {
        if *authority != received.authority
            && !ids.is_application_host(&documented.target.path, &received.authority)
        {
            comparison.differ("host", authority, &received.authority);
        }
    }
    match ids.compare_path(&documented.target.path, &received.path) {
        Ok(bindings) => comparison.bindings = bindings,
        Err(difference) => {
            comparison.differ(difference.at, difference.expected, difference.received)
        }
    }
    compare_pairs(
        &mut comparison,
        "query",
        &documented.target.query,
        &received.query,
    );
    compare_headers(
        &mut comparison,
        documented,
        &received.headers,
        &received.body,
    );
    compare_bodies(
        &mut comparison,
        "body",
        &documented.body,
        &received.body,
        ids,
    );
    comparison
}

/// `json`, `xml`, or the media type itself: what a `Content-Type` says the body is.
fn media_format(content_type: &str) -> String {
    let media_type = body::media_type(content_type);
    let subtype = media_type.rsplit(['/', '+']).next().unwrap_or_default();
    match subtype {
        "json" | "xml" => subtype.to_string(),
        _ => media_type,
    }
}

fn compare_headers(
    comparison: &mut Comparison,
    documented: &Request,
    received: &[(String, String)],
    received_body: &Body,
) {
    if let Some(expected) = header(&documented.headers, "authorization") {
        // The scheme is shown only when there is one: a value of one word
        // is the credential itself.
        let scheme = |value: &str| {
            let mut words = value.split_whitespace();
            match (words.next(), words.next()) {
                (Some(scheme), Some(_)) => scheme.to_string(),
                _ => "<redacted>".to_string(),
            }
        };
        let expected_scheme = scheme(expected);
        match header(received, "authorization") {
            None => comparison.differ(
                "header Authorization",
                format!("{expected_scheme} …"),
                "none",
            ),
            Some(value)
                if !is_elided(&expected_scheme)
                    && !scheme(value).eq_ignore_ascii_case(&expected_scheme) =>
            {
                comparison.differ(
                    "header Authorization",
                    format!("{expected_scheme} …"),
                    format!("{} …", scheme(value)),
                )
            }
            Some(_) => {}
        }
    }
    let has_body = !documented.body.is_empty() || !received_body.is_empty();
    if let (true, Some(expected)) = (has_body, header(&documented.headers, "content-type")) {
        let actual = header(received, "content-type");
        if actual.map(media_format) != Some(media_format(expected)) {
            comparison.differ(
                "header Content-Type",
                body::media_type(expected),
                actual.map_or_else(|| "none".into(), body::media_type),
            );
        }
    }
}

fn compare_bodies(
    comparison: &mut Comparison,
    at: &str,
    documented: &Body,
    received: &Body,
    ids: &IdMap,
) {
    match (documented, received) {
        (Body::Empty, Body::Empty) => {}
        (Body::Json(expected), Body::Json(actual)) => {
            compare_json(comparison, at, None, expected, actual)
        }
        (Body::Form(expected), Body::Form(actual)) => {
            compare_pairs(comparison, at, expected, actual)
        }
        (Body::Xml(expected), Body::Xml(actual)) => match (xml_tree(expected), xml_tree(actual)) {
            (Some(expected), Some(actual)) => compare_xml(comparison, at, &expected, &actual),
            _ => compare_text(comparison, at, expected, actual),
        },
        (
            Body::Multipart {
                parts: expected, ..
            },
            Body::Multipart { parts: actual, .. },
        ) => compare_parts(comparison, at, expected, actual, ids),
        (Body::Text(expected), Body::Text(actual)) => {
            compare_text(comparison, at, expected, actual)
        }
        // A body served as text (no repair made it JSON) is compared as text.
        (Body::Text(expected), actual) => {
            compare_text(comparison, at, expected, &received_text(actual))
        }
        (expected, actual) => comparison.differ(at, describe(expected), describe(actual)),
    }
}

fn received_text(body: &Body) -> String {
    match body {
        Body::Empty => String::new(),
        Body::Json(value) => value.to_string(),
        Body::Xml(text) | Body::Text(text) => text.clone(),
        Body::Form(pairs) => form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish(),
        Body::Multipart { parts, .. } => parts.join("\n"),
    }
}

fn describe(body: &Body) -> String {
    match body {
        Body::Empty => "no body".into(),
        Body::Json(_) => "a JSON body".into(),
        Body::Xml(_) => "an XML body".into(),
        Body::Form(_) => "a form body".into(),
        Body::Multipart { parts, .. } => format!("a multipart body of {} parts", parts.len()),
        Body::Text(_) => "a text body".into(),
    }
}

fn compare_text(comparison: &mut Comparison, at: &str, expected: &str, actual: &str) {
    let normalise = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (expected, actual) = (normalise(expected), normalise(actual));
    if expected != actual && !is_elided(&expected) {
        comparison.differ(at, quote(&expected), quote(&actual));
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", shorten(text))
}

/// Text past 80 characters cut, with `…`.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.chars().count() > SHOWN {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    } else {
        text.to_string()
    }
}

/// How a documented value is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tolerance {
    Exact,
    /// The client generates it: any value.
    Generated,
    /// Any GUID.
    Guid,
    /// Any date.
    Date,
    /// Elided or a placeholder: any value.
    Any,
}

fn tolerance(key: Option<&str>, documented: &str) -> Tolerance {
    if is_elided(documented) {
        Tolerance::Any
    } else if key.is_some_and(|key| GENERATED_KEYS.iter().any(|g| g.eq_ignore_ascii_case(key))) {
        Tolerance::Generated
    } else if is_guid(documented) {
        Tolerance::Guid
    } else if is_date(documented) {
        Tolerance::Date
    } else {
        Tolerance::Exact
    }
}

/// `cwt=AAEB...buHc`, `…`, `<access-token>`: text the page shortened or stands in for.
fn is_elided(text: &str) -> bool {
    let text = text.trim();
    text.contains("...")
        || text.contains('…')
        || (text.starts_with('<') && text.ends_with('>') && text.len() > 2)
}

/// `33dc0ef6-0570-4467-bb7e-49fcbea8e944`, `{…}`-braced, or 32 hex digits.
pub(crate) fn is_guid(text: &str) -> bool {
    let text = text.trim_start_matches('{').trim_end_matches('}');
    let hex =
        |part: &str, len: usize| part.len() == len && part.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [a, b, c, d, e] => hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12),
        [whole] => hex(whole, 32),
        _ => false,
    }
}

/// `Sat, 12 Jan 2013 01:00:47 GMT`, `2013-01-12T01:00:47Z`, `/Date(1358827096000)/`.
pub(crate) fn is_date(text: &str) -> bool {
    let text = text.trim();
    let asp_net = text
        .strip_prefix("/Date(")
        .and_then(|rest| rest.strip_suffix(")/"))
        .is_some_and(|ms| {
            let digits = ms.trim_start_matches('-');
            let digits = digits.split(['+', '-']).next().unwrap_or_default();
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        });
    let iso = text.len() >= 19 && {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        digits(0..4)
            && bytes[4] == b'-'
            && digits(5..7)
            && bytes[7] == b'-'
            && digits(8..10)
            && matches!(bytes[10], b'T' | b' ')
            && digits(11..13)
            && bytes[13] == b':'
    };
    let http = text.ends_with(" GMT") && {
        let words: Vec<&str> = text.split_whitespace().collect();
        words.len() == 6 && words[0].ends_with(',') && words[4].matches(':').count() == 2
    };
    asp_net || iso || http
}

/// A value for printing: credentials redacted.
fn shown(key: &str, value: &str) -> String {
    if is_sensitive(key) {
        "<redacted>".to_string()
    } else {
        value.to_string()
    }
}

/// Compares one documented string with one received string under its tolerance.
fn compare_value(
    comparison: &mut Comparison,
    at: &str,
    key: Option<&str>,
    expected: &str,
    actual: &str,
) {
    let matches = match tolerance(key, expected) {
        Tolerance::Exact => expected == actual,
        Tolerance::Any => true,
        Tolerance::Generated => true,
        Tolerance::Guid => is_guid(actual),
        Tolerance::Date => is_date(actual),
    };
    let learnable = matches!(
        tolerance(key, expected),
        Tolerance::Generated | Tolerance::Guid
    );
    if !matches {
        let key = key.unwrap_or_default();
        comparison.differ(at, quote(&shown(key, expected)), quote(&shown(key, actual)));
    } else if learnable && expected != actual && !expected.is_empty() {
        comparison
            .learned
            .push((expected.to_string(), actual.to_string()));
    }
}

/// Query or form pairs: by key (ASCII case-insensitive), any order.
fn compare_pairs(
    comparison: &mut Comparison,
    at: &str,
    expected: &[(String, String)],
    actual: &[(String, String)],
) {
    let mut unmatched: Vec<&(String, String)> = actual.iter().collect();
    for (key, value) in expected {
        let found = unmatched
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key));
        let path = format!("{at}.{key}");
        match found {
            Some(index) => {
                let (_, actual_value) = unmatched.remove(index);
                compare_value(comparison, &path, Some(key), value, actual_value);
            }
            None if is_generated(key) => {}
            None => comparison.differ(path, quote(&shown(key, value)), "nothing"),
        }
    }
    for (key, value) in unmatched {
        if !is_generated(key) {
            comparison.differ(format!("{at}.{key}"), "nothing", quote(&shown(key, value)));
        }
    }
}

fn compare_json(
    comparison: &mut Comparison,
    at: &str,
    key: Option<&str>,
    expected: &Value,
    actual: &Value,
) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            let present = |members: &serde_json::Map<String, Value>| {
                members
                    .iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>()
            };
            let mut unmatched = present(actual);
            for (name, value) in present(expected) {
                let path = format!("{at}.{name}");
                match unmatched
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(&name))
                {
                    Some(index) => {
                        let (_, actual_value) = unmatched.remove(index);
                        compare_json(comparison, &path, Some(&name), &value, &actual_value);
                    }
                    None if is_generated(&name) => {}
                    None => comparison.differ(path, json_shown(&name, &value), "nothing"),
                }
            }
            for (name, value) in unmatched {
                if !is_generated(&name) {
                    comparison.differ(format!("{at}.{name}"), "nothing", json_shown(&name, &value));
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if comparison.counts_differ(at, "items", expected.len(), actual.len()) {
                return;
            }
            for (index, (expected, actual)) in expected.iter().zip(actual).enumerate() {
                compare_json(comparison, &format!("{at}[{index}]"), key, expected, actual);
            }
        }
        (Value::String(expected), Value::String(actual)) => {
            compare_value(comparison, at, key, expected, actual)
        }
        (Value::Number(expected), Value::Number(actual))
            if expected.as_f64() != actual.as_f64() =>
        {
            comparison.differ(at, expected.to_string(), actual.to_string());
        }
        (Value::Number(_), Value::Number(_)) => {}
        (Value::String(expected), actual)
            if key.is_some_and(is_generated) || is_elided(expected) =>
        {
            let _ = actual;
        }
        (expected, actual) if expected != actual => {
            let key = key.unwrap_or_default();
            comparison.differ(at, json_shown(key, expected), json_shown(key, actual));
        }
        _ => {}
    }
}

fn is_generated(key: &str) -> bool {
    GENERATED_KEYS.iter().any(|g| g.eq_ignore_ascii_case(key))
}

fn json_shown(key: &str, value: &Value) -> String {
    if is_sensitive(key) {
        return "<redacted>".into();
    }
    shorten(&value.to_string())
}

/// Batch parts: each part's embedded request against the documented one.
fn compare_parts(
    comparison: &mut Comparison,
    at: &str,
    expected: &[String],
    actual: &[String],
    ids: &IdMap,
) {
    if comparison.counts_differ(at, "parts", expected.len(), actual.len()) {
        return;
    }
    let at_part = Location {
        file: std::sync::Arc::from("part"),
        line: 1,
    };
    let part = |text: &str| message::part_request(text, &at_part);
    for (index, (expected, actual)) in expected.iter().zip(actual).enumerate() {
        let at = format!("{at}.part[{index}]");
        match (part(expected), part(actual)) {
            (Some(expected), Some(actual)) => {
                let received = ReceivedRequest {
                    method: actual.method.clone(),
                    authority: expected.target.authority.clone().unwrap_or_default(),
                    path: actual.target.path.clone(),
                    query: actual.target.query.clone(),
                    headers: actual.headers.clone(),
                    body: actual.body.clone(),
                };
                let inner = compare(&expected, &received, ids);
                comparison.learned.extend(inner.learned);
                comparison.bindings.extend(inner.bindings);
                for difference in inner.differences {
                    comparison.differ(
                        format!("{at}.{}", difference.at),
                        difference.expected,
                        difference.received,
                    );
                }
            }
            _ => compare_text(comparison, &at, expected, actual),
        }
    }
}

/// An XML element as compared: local name, attributes (namespaces aside), children, text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

fn xml_tree(text: &str) -> Option<Element> {
    use quick_xml::events::{BytesStart, Event};
    let element = |start: &BytesStart| Element {
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        attributes: start
            .attributes()
            .flatten()
            .filter(|a| !a.key.as_ref().starts_with(b"xmlns"))
            .map(|a| {
                let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                let value = a
                    .unescape_value()
                    .map(|v| v.into_owned())
                    .unwrap_or_default();
                (key, value)
            })
            .collect(),
        ..Element::default()
    };
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => stack.push(element(&start)),
            Event::Empty(start) => {
                let done = element(&start);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Some(done),
                }
            }
            Event::Text(text) => {
                if let (Some(current), Ok(text)) = (stack.last_mut(), text.unescape()) {
                    current.text.push_str(text.trim());
                }
            }
            Event::End(_) => {
                let done = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Some(done),
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn compare_xml(comparison: &mut Comparison, at: &str, expected: &Element, actual: &Element) {
    let at = format!("{at}/{}", expected.name);
    if expected.name != actual.name {
        comparison.differ(
            &at,
            format!("<{}>", expected.name),
            format!("<{}>", actual.name),
        );
        return;
    }
    compare_pairs(
        comparison,
        &format!("{at}@"),
        &expected.attributes,
        &actual.attributes,
    );
    if !expected.text.is_empty() || !actual.text.is_empty() {
        let key = expected
            .attributes
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, name)| name.as_str())
            .unwrap_or(&expected.name);
        compare_value(comparison, &at, Some(key), &expected.text, &actual.text);
    }
    let (expected_children, actual_children) = (expected.children.len(), actual.children.len());
    if comparison.counts_differ(&at, "child elements", expected_children, actual_children) {
        return;
    }
    for (expected, actual) in expected.children.iter().zip(&actual.children) {
        compare_xml(comparison, &at, expected, actual);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Parsed;
    use serde_json::json;

    fn documented(text: &str) -> Request {
        let mut repairs = Vec::new();
        match message::parse_block(text, 1, &std::sync::Arc::from("p.md"), &mut repairs) {
            Parsed::Request(request) => request,
            other => panic!("{other:?}"),
        }
    }

    fn received(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Body,
    ) -> ReceivedRequest {
        ReceivedRequest {
            method: method.into(),
            authority: "lyncweb.contoso.com".into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        }
    }

    fn post(path: &str, content_type: &str, body: Body) -> ReceivedRequest {
        received("POST", path, &[], &[("Content-Type", content_type)], body)
    }

    /// Compares with no id handed out yet (ids are tested in `crate::ids`).
    fn compare(documented: &Request, received: &ReceivedRequest) -> Comparison {
        let slots = crate::ids::IdSlots::read(&crate::Transcript::default());
        super::compare(
            documented,
            received,
            &IdMap::new(std::sync::Arc::new(slots)),
        )
    }

    fn differences(documented: &Request, received: &ReceivedRequest) -> Vec<String> {
        let comparison = compare(documented, received);
        comparison
            .differences
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const START_MESSAGING: &str = "POST https://lyncweb.contoso.com/ucwa/oauth/v1/applications/102/communication/startmessaging HTTP/1.1\nContent-Type: application/json\nAuthorization: Bearer cwt=AAEB...buHc\n\n{\"importance\":\"Normal\",\"sessionContext\":\"33dc0ef6-0570-4467-bb7e-49fcbea8e944\",\"subject\":\"Task Sample\",\"telemetryId\":null,\"to\":\"sip:lenea@contoso.com\",\"operationId\":\"5028e824-2268-4b14-9e59-1abad65ff393\"}";

    #[test]
    fn generated_ids_keys_case_and_nulls_are_tolerated_and_learned() {
        let body = Body::Json(
            json!({"Importance": "Normal", "sessionContext": "s-1", "subject": "Task Sample", "to": "sip:lenea@contoso.com", "operationId": "op-1"}),
        );
        let request = received(
            "POST",
            "/ucwa/oauth/v1/applications/102/Communication/StartMessaging",
            &[],
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("Authorization", "Bearer xyz"),
            ],
            body,
        );
        let comparison = compare(&documented(START_MESSAGING), &request);
        assert_eq!(comparison.differences, vec![]);
        assert_eq!(
            comparison.learned,
            vec![
                (
                    "33dc0ef6-0570-4467-bb7e-49fcbea8e944".to_string(),
                    "s-1".to_string()
                ),
                (
                    "5028e824-2268-4b14-9e59-1abad65ff393".to_string(),
                    "op-1".to_string()
                )
            ]
        );
    }

    #[test]
    fn a_wrong_value_a_missing_token_and_an_extra_key_are_differences() {
        let body = Body::Json(
            json!({"importance": "Urgent", "subject": "Task Sample", "to": "sip:lenea@contoso.com", "extra": 1}),
        );
        let request = post(
            "/ucwa/oauth/v1/applications/102/communication/startmessaging",
            "application/json",
            body,
        );
        let shown: Vec<String> = compare(&documented(START_MESSAGING), &request)
            .differences
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            vec![
                "header Authorization: expected Bearer …, received none",
                "body.importance: expected \"Normal\", received \"Urgent\"",
                "body.extra: expected nothing, received 1",
            ]
        );
    }

    #[test]
    fn forms_compare_by_key_and_passwords_are_never_shown() {
        let doc = documented("POST https://contoso.com/WebTicket/oauthtoken HTTP/1.1\nContent-Type: application/x-www-form-urlencoded;charset=UTF-8\n\ngrant_type=password&username=johndoe&password=A3ddj3w");
        let mut request = received(
            "POST",
            "/webticket/OAuthToken",
            &[],
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Body::Form(vec![
                ("password".into(), "A3ddj3w".into()),
                ("username".into(), "johndoe".into()),
                ("grant_type".into(), "password".into()),
            ]),
        );
        request.authority = "contoso.com".into();
        assert_eq!(compare(&doc, &request).differences, vec![]);
        request.body = Body::Form(vec![
            ("grant_type".into(), "password".into()),
            ("username".into(), "johndoe".into()),
            ("password".into(), "hunter2".into()),
        ]);
        let Body::Form(pairs) = &mut request.body else {
            unreachable!()
        };
        pairs[2].1 = "wrong-secret".into();
        let differences = compare(&doc, &request).differences;
        assert_eq!(differences.len(), 1);
        let shown = differences[0].to_string();
        assert_eq!(
            shown,
            "body.password: expected \"<redacted>\", received \"<redacted>\""
        );
    }

    #[test]
    fn a_client_adds_its_own_operation_id_and_leaves_out_the_browser_s() {
        let doc = documented("POST https://lyncweb.contoso.com/a/messages?OperationContext=6b6ce55c-d4b9-4303-a61f-5813ecb2d7b1 HTTP/1.1\nContent-Type: text/plain\n\nWhat's up?");
        let request = received(
            "POST",
            "/a/messages",
            &[("operationId", "c4fd59c5-25fd-46ff-a106-d67fcda0e1b2")],
            &[("Content-Type", "text/plain; charset=utf-8")],
            Body::Text("What's up?".into()),
        );
        assert_eq!(compare(&doc, &request).differences, vec![]);
        let json = documented("POST https://lyncweb.contoso.com/a/me/makeMeAvailable HTTP/1.1\nContent-Type: application/json\n\n{\"SupportedModalities\":[\"Messaging\"]}");
        let body = Body::Json(json!({"supportedModalities": ["Messaging"], "operationId": "x"}));
        let request = post("/a/me/makeMeAvailable", "application/json", body);
        assert_eq!(compare(&json, &request).differences, vec![]);
        // Other extra keys still differ.
        let body = Body::Json(json!({"supportedModalities": ["Messaging"], "signInAs": "Busy"}));
        let request = post("/a/me/makeMeAvailable", "application/json", body);
        assert_eq!(
            differences(&json, &request),
            ["body.signInAs: expected nothing, received \"Busy\""]
        );
    }

    #[test]
    fn content_types_compare_by_format() {
        let doc = documented("POST https://lyncweb.contoso.com/a/me/note HTTP/1.1\nContent-Type: application/json\n\n{\"message\":\"hi\"}");
        let body = || Body::Json(json!({"message": "hi"}));
        for same in [
            "application/json",
            "application/json; charset=utf-8",
            "application/vnd.microsoft.com.ucwa+json",
            "Application/JSON",
        ] {
            let request = post("/a/me/note", same, body());
            assert_eq!(compare(&doc, &request).differences, vec![], "{same}");
        }
        let request = post("/a/me/note", "application/xml", body());
        assert_eq!(
            differences(&doc, &request),
            ["header Content-Type: expected application/json, received application/xml"]
        );
        assert_eq!(media_format("text/xml"), "xml");
        assert_eq!(
            media_format("application/vnd.microsoft.com.ucwa+xml"),
            "xml"
        );
        assert_eq!(
            media_format("application/x-www-form-urlencoded;charset='utf-8'"),
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn host_path_and_query_differences() {
        let doc = documented("POST https://lyncweb.contoso.com/a/messages?OperationContext=6b6ce55c-d4b9-4303-a61f-5813ecb2d7b1&x=1 HTTP/1.1\nContent-Type: text/plain\n\nWhat's up?");
        let mut request = received(
            "POST",
            "/a/messages",
            &[("operationcontext", "anything"), ("x", "1")],
            &[("Content-Type", "text/plain")],
            Body::Text("What's  up?\n".into()),
        );
        assert_eq!(compare(&doc, &request).differences, vec![]);
        request.authority = "contoso.com".into();
        request.path = "/a/message".into();
        request.query.push(("y".into(), "2".into()));
        let at: Vec<String> = compare(&doc, &request)
            .differences
            .into_iter()
            .map(|d| d.at)
            .collect();
        assert_eq!(at, vec!["host", "path", "query.y"]);
    }

    #[test]
    fn guids_dates_and_elisions_are_recognised() {
        assert!(is_guid("33dc0ef6-0570-4467-bb7e-49fcbea8e944"));
        assert!(is_guid("{33DC0EF6-0570-4467-BB7E-49FCBEA8E944}"));
        assert!(is_guid("0c7e9e90916041099ffd46075944f433"));
        assert!(!is_guid("102"));
        assert!(!is_guid("0c7e9e90916041099ffd46075944f43g"));
        assert!(is_date("Sat, 12 Jan 2013 01:00:47 GMT"));
        assert!(is_date("2013-01-12T01:00:47.123Z"));
        assert!(is_date("/Date(1358827096000)/"));
        assert!(!is_date("Online"));
        assert!(is_elided("cwt=AAEB...buHc"));
        assert!(is_elided("<access-token>"));
        assert!(!is_elided("<"));
    }

    #[test]
    fn xml_bodies_compare_as_trees() {
        let doc = documented("POST /x HTTP/1.1\nContent-Type: application/xml\n\n<input xmlns=\"urn:a\"><property name=\"operationId\">abc</property><property name=\"to\">sip:a</property></input>");
        let same = Body::Xml("<input xmlns=\"urn:a\">\n  <property name=\"operationId\">zzz</property>\n  <property name=\"to\">sip:a</property>\n</input>".into());
        let request = post("/x", "application/xml", same);
        let comparison = compare(&doc, &request);
        assert_eq!(comparison.differences, vec![]);
        assert_eq!(
            comparison.learned,
            vec![("abc".to_string(), "zzz".to_string())]
        );
        let other = Body::Xml("<input><property name=\"operationId\">zzz</property><property name=\"to\">sip:b</property></input>".into());
        let request = post("/x", "application/xml", other);
        let shown: Vec<String> = differences(&doc, &request);
        assert_eq!(
            shown,
            vec!["body/input/property: expected \"sip:a\", received \"sip:b\""]
        );
    }

    #[test]
    fn batch_parts_compare_their_embedded_requests() {
        let doc = documented("POST /app/batch HTTP/1.1\nContent-Type: multipart/batching;boundary=77f2569d\n\n--77f2569d\nContent-Type: application/http; msgtype=request\n\nGET /app/people/contacts HTTP/1.1\nHost: lyncweb.contoso.com\n\n--77f2569d\nContent-Type: application/http; msgtype=request\n\nGET /app/me HTTP/1.1\nHost: lyncweb.contoso.com\n--77f2569d--");
        let body = |second: &str| {
            body::received(format!("--zz\r\nContent-Type: application/http; msgtype=request\r\n\r\nGET /app/people/contacts HTTP/1.1\r\nHost: x\r\n\r\n--zz\r\nContent-Type: application/http; msgtype=request\r\n\r\nGET {second} HTTP/1.1\r\n\r\n--zz--\r\n").as_bytes(), Some("multipart/batching; boundary=zz"))
        };
        let request = post(
            "/app/batch",
            "multipart/batching; boundary=zz",
            body("/app/me"),
        );
        assert_eq!(compare(&doc, &request).differences, vec![]);
        let request = post(
            "/app/batch",
            "multipart/batching; boundary=zz",
            body("/app/you"),
        );
        let shown: Vec<String> = differences(&doc, &request);
        assert_eq!(
            shown,
            vec!["body.part[1].path: expected /app/me, received /app/you"]
        );
    }
}
