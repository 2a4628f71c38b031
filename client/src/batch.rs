//! `multipart/batching` (BatchingRequests, GroupingRequestsInABatch): many
//! requests in one POST to the application's `batch` link, one response per
//! request in the same order.

use crate::error::Error;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

/// One request of a batch: method, absolute URL, headers, body.
pub(crate) struct Part<'a> {
    pub(crate) method: &'a Method,
    pub(crate) url: &'a Url,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// The batch body for `parts` with `boundary`, each part an
/// `application/http; msgtype=request` message. Authorization stays on the
/// outer request; parts never carry it.
pub(crate) fn encode(parts: &[Part<'_>], boundary: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(b"Content-Type: application/http; msgtype=request\r\n\r\n");
        let target = match part.url.query() {
            Some(query) => format!("{}?{query}", part.url.path()),
            None => part.url.path().to_owned(),
        };
        body.extend_from_slice(format!("{} {target} HTTP/1.1\r\n", part.method).as_bytes());
        let host = match part.url.port() {
            Some(port) => format!("{}:{port}", part.url.host_str().unwrap_or_default()),
            None => part.url.host_str().unwrap_or_default().to_owned(),
        };
        body.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        for (name, value) in part.headers {
            if name == AUTHORIZATION || name == HOST || name == CONTENT_LENGTH {
                continue;
            }
            body.extend_from_slice(name.as_str().as_bytes());
            body.extend_from_slice(b": ");
            body.extend_from_slice(value.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        if !part.body.is_empty() {
            body.extend_from_slice(format!("Content-Length: {}\r\n", part.body.len()).as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// The `boundary` parameter of a `multipart/batching` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/batching") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 200).then(|| value.to_owned())
    })
}

/// Splits a `multipart/batching` response into its HTTP responses, which
/// must number `expected`.
pub(crate) fn decode(
    url: &str,
    content_type: &str,
    body: &[u8],
    expected: usize,
) -> Result<Vec<http::Response<Bytes>>, Error> {
    let boundary = boundary(content_type).ok_or_else(|| {
        Error::protocol(
            url,
            format!("expected a multipart/batching body with a boundary, got {content_type:?}"),
        )
    })?;
    let parts = split_parts(body, &boundary)
        .ok_or_else(|| Error::protocol(url, "the batch response has no closing boundary"))?;
    if parts.len() != expected {
        return Err(Error::protocol(
            url,
            format!(
                "the batch response has {} parts for {expected} requests",
                parts.len()
            ),
        ));
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(index, part)| {
            parse_part(part).map_err(|reason| {
                Error::protocol(url, format!("batch response part {}: {reason}", index + 1))
            })
        })
        .collect()
}

/// The parts between `--boundary` lines, up to `--boundary--`. `None` when
/// the closing delimiter is missing (a truncated body).
fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<&'a [u8]>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut position = 0;
    while position < body.len() {
        let line_end = body[position..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(body.len(), |offset| position + offset + 1);
        let line = trim_line_end(&body[position..line_end]);
        if let Some(rest) = line.strip_prefix(delimiter) {
            let rest = trim_spaces(rest);
            if let Some(start) = current {
                parts.push(trim_line_end(&body[start..position]));
            }
            if rest == b"--" {
                return Some(parts);
            }
            if rest.is_empty() {
                current = Some(line_end);
            }
        }
        position = line_end;
    }
    None
}

fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |end| end + 1);
    &bytes[start..end.max(start)]
}

/// The next line of `bytes` and what follows it.
fn next_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&byte| byte == b'\n') {
        Some(end) => (trim_line_end(&bytes[..=end]), &bytes[end + 1..]),
        None => (bytes, &[]),
    }
}

/// Header lines up to the first blank line.
fn headers(mut bytes: &[u8]) -> (HeaderMap, &[u8]) {
    let mut map = HeaderMap::new();
    while !bytes.is_empty() {
        let (line, rest) = next_line(bytes);
        bytes = rest;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(trim_spaces(&line[..colon]));
        let value = HeaderValue::from_bytes(trim_spaces(&line[colon + 1..]));
        if let (Ok(name), Ok(value)) = (name, value) {
            map.append(name, value);
        }
    }
    (map, bytes)
}

fn parse_part(part: &[u8]) -> Result<http::Response<Bytes>, String> {
    let (part_headers, message) = headers(part);
    let message_type = part_headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !message_type.starts_with("application/http") {
        return Err(format!("expected application/http, got {message_type:?}"));
    }
    // Blank lines before the status line are tolerated.
    let mut message = message;
    let status_line = loop {
        let (line, rest) = next_line(message);
        message = rest;
        if !line.is_empty() || message.is_empty() {
            break line;
        }
    };
    let status_line =
        std::str::from_utf8(status_line).map_err(|_| "the status line is not text")?;
    let mut words = status_line.split_whitespace();
    let version = words.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(format!("expected an HTTP status line, got {status_line:?}"));
    }
    let status = words
        .next()
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| format!("no status code in {status_line:?}"))?;
    let (response_headers, body) = headers(message);
    let declared = response_headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<usize>().ok());
    let body = match declared {
        Some(length) if length <= body.len() => &body[..length],
        _ => body,
    };
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut response = http::Response::new(Bytes::copy_from_slice(body));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_body_is_the_documented_form() {
        let contacts = Url::parse(
            "https://lyncweb.contoso.com/ucwa/oauth/v1/applications/103/people/contacts",
        )
        .expect("url");
        let note = Url::parse(
            "https://lyncweb.contoso.com:4443/ucwa/oauth/v1/applications/103/me/note?x=1",
        )
        .expect("url");
        let mut json = HeaderMap::new();
        json.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        json.insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
        let mut put = json.clone();
        put.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let body = encode(
            &[
                Part {
                    method: &Method::GET,
                    url: &contacts,
                    headers: &json,
                    body: b"",
                },
                Part {
                    method: &Method::PUT,
                    url: &note,
                    headers: &put,
                    body: br#"{"message":"hi"}"#,
                },
            ],
            "77f2569d",
        );
        let text = String::from_utf8(body).expect("text");
        assert_eq!(
            text,
            "--77f2569d\r\nContent-Type: application/http; msgtype=request\r\n\r\n\
             GET /ucwa/oauth/v1/applications/103/people/contacts HTTP/1.1\r\nHost: lyncweb.contoso.com\r\naccept: application/json\r\n\r\n\r\n\
             --77f2569d\r\nContent-Type: application/http; msgtype=request\r\n\r\n\
             PUT /ucwa/oauth/v1/applications/103/me/note?x=1 HTTP/1.1\r\nHost: lyncweb.contoso.com:4443\r\naccept: application/json\r\ncontent-type: application/json\r\nContent-Length: 16\r\n\r\n{\"message\":\"hi\"}\r\n\
             --77f2569d--\r\n"
        );
        assert!(!text.contains("secret"));
    }

    const RESPONSE: &str = "--3968fb75\r\nContent-Type: application/http; msgtype=response\r\n\r\n\
        HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nContent-Type: application/json; charset=utf-8\r\n\r\n\
        \u{feff}{\"rel\":\"myContacts\"}\r\n\
        --3968fb75\nContent-Type: application/http; msgtype=response\n\n\
        HTTP/1.1 404 Not Found\nContent-Type: application/json\n\n{\"code\":\"NotFound\"}\n\
        --3968fb75--\r\n";

    #[test]
    fn the_response_splits_into_responses_in_order() {
        let responses = decode(
            "/batch",
            r#"multipart/batching; boundary="3968fb75""#,
            RESPONSE.as_bytes(),
            2,
        )
        .expect("two responses");
        assert_eq!(responses[0].status(), StatusCode::OK);
        assert_eq!(responses[0].body().as_ref(), br#"{"rel":"myContacts"}"#);
        assert_eq!(
            responses[0]
                .headers()
                .get("content-type")
                .map(HeaderValue::as_bytes),
            Some(&b"application/json; charset=utf-8"[..])
        );
        assert_eq!(responses[1].status(), StatusCode::NOT_FOUND);
        assert_eq!(responses[1].body().as_ref(), br#"{"code":"NotFound"}"#);
    }

    #[test]
    fn malformed_batches_are_errors() {
        let content_type = "multipart/batching;boundary=3968fb75";
        assert!(
            decode("/b", content_type, RESPONSE.as_bytes(), 3).is_err(),
            "count"
        );
        let truncated = &RESPONSE[..RESPONSE.len() - 20];
        assert!(
            decode("/b", content_type, truncated.as_bytes(), 2).is_err(),
            "truncated"
        );
        assert!(
            decode("/b", "application/json", RESPONSE.as_bytes(), 2).is_err(),
            "not multipart"
        );
        assert!(
            decode("/b", "multipart/batching", RESPONSE.as_bytes(), 2).is_err(),
            "no boundary"
        );
        let not_http = "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
        assert!(decode(
            "/b",
            "multipart/batching;boundary=b",
            not_http.as_bytes(),
            1
        )
        .is_err());
        let no_status =
            "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 abc\r\n\r\n--b--\r\n";
        assert!(decode(
            "/b",
            "multipart/batching;boundary=b",
            no_status.as_bytes(),
            1
        )
        .is_err());
        for junk in [&b""[..], b"--b--", b"--b\r\n", &[0xff; 64]] {
            let _ = decode("/b", "multipart/batching;boundary=b", junk, 1);
        }
        assert_eq!(
            boundary("Multipart/Batching; charset=x; Boundary=\"q\"").as_deref(),
            Some("q")
        );
    }
}
