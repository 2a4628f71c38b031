//! What a sample's HTTP message must do with its typed operation, in the
//! generated `tests/samples.rs`: a documented request is what the typed
//! builder makes (request line, `Content-Type`, a body that decodes back the
//! same), and a documented response reads with the operation's typed reader
//! as its status line says (`201` with its `Location`, `204`, the resource).
//!
//! Decided here from the sample; the generated test only states it, through
//! the runtime's `testing` helpers.

use super::model::{Operation, Resource};
use super::resource::id;
use crate::schema::{Direction, Example, Method, SampleFormat};
use proc_macro2::TokenStream;
use quote::quote;

/// The helpers of `ucwa_runtime::testing` an exchange calls (no sample's test
/// may take these names).
pub const HELPERS: &[&str] = &[
    "reads_delete",
    "reads_get",
    "reads_post",
    "reads_put",
    "requests_content",
    "requests_delete",
    "requests_get",
    "requests_post",
    "requests_put",
    "requests_without_body",
];

/// How a sample's message goes through its typed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The page's resource type, the one the operation is on.
    pub resource: String,
    /// The request line or the status line.
    pub line: String,
    pub kind: ExchangeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeKind {
    /// A GET or DELETE request line.
    Plain(Method),
    /// A POST whose body decoded into the request-body type (bound as
    /// `decoded` in the test) is sent with this `Content-Type`.
    Typed { content_type: String },
    /// A POST documented with neither a body type nor a body.
    WithoutBody,
    /// A POST body the operation has no type for, sent as it is.
    Content { content_type: String },
    /// A PUT of the resource.
    Put { content_type: String },
    /// A response, read by the method's reader with these headers.
    Read {
        method: Method,
        headers: Vec<(String, String)>,
    },
}

/// Whether the sample's body check decoded it into the request-body type,
/// into a resource (by its type), was valid otherwise, or was rejected as damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCheck<'a> {
    Typed,
    Resource(&'a str),
    Valid,
    Rejected,
}

fn header<'a>(example: &'a Example, name: &str) -> Option<&'a str> {
    example.headers.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// The format a `Content-Type` names, as the runtime's `Format::from_media_type` reads it.
fn media_format(content_type: &str) -> Option<SampleFormat> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let subtype = media_type.rsplit(['/', '+']).next().unwrap_or_default();
    if subtype.eq_ignore_ascii_case("json") {
        Some(SampleFormat::Json)
    } else if subtype.eq_ignore_ascii_case("xml") {
        Some(SampleFormat::Xml)
    } else {
        None
    }
}

fn media_type(format: SampleFormat) -> &'static str {
    match format {
        SampleFormat::Json => "application/json",
        SampleFormat::Xml => "application/xml",
    }
}

/// `METHOD URL [HTTP/x.y]` with the operation's method; the URL plain ASCII.
fn is_request_line(line: &str, method: Method) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [word, url] | [word, url, _] => {
            Method::parse(word) == Some(method)
                && url.bytes().all(|b| b.is_ascii_graphic())
                && !url.contains(['"', '<', '>', '\\', '^', '`', '{', '|', '}'])
        }
        _ => false,
    }
}

/// `HTTP/x.y NNN Reason`.
fn is_status_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next().is_some_and(|word| word.starts_with("HTTP/"))
        && words
            .next()
            .is_some_and(|code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
}

/// The exchange of one sample of `op` on `page`; `None` when the sample
/// shows no message the typed operation can carry (no request or status
/// line, OPTIONS, a damaged response body, a GET answered without a body).
pub fn exchange(
    example: &Example,
    page: &Resource,
    op: &Operation,
    body: BodyCheck<'_>,
) -> Option<Exchange> {
    let method = op.source.method;
    if !op.typed {
        return None;
    }
    let has_body = !example.body.trim().is_empty();
    let content_type = header(example, "content-type").map(str::to_owned);
    let kind = match example.direction {
        Direction::Request => {
            if !is_request_line(&example.start_line, method) {
                return None;
            }
            let typed_content_type = || match content_type.as_deref() {
                Some(documented) => media_format(documented).map(|_| documented.to_owned()),
                None => Some(media_type(example.format).to_owned()),
            };
            match method {
                Method::Get | Method::Delete => ExchangeKind::Plain(method),
                Method::Post => match (body, has_body, &op.request) {
                    (BodyCheck::Typed, true, Some(_)) => ExchangeKind::Typed {
                        content_type: typed_content_type()?,
                    },
                    (_, false, None) => ExchangeKind::WithoutBody,
                    _ => ExchangeKind::Content {
                        content_type: content_type?,
                    },
                },
                Method::Put if has_body && body != BodyCheck::Rejected => ExchangeKind::Put {
                    content_type: typed_content_type()?,
                },
                Method::Put | Method::Options => return None,
            }
        }
        Direction::Response => {
            // What the reader decodes a body into: the page's resource for a
            // GET or PUT, the documented output for a POST.
            let read_as = match method {
                Method::Post => op.output.as_deref(),
                _ => Some(page.ident.as_str()),
            };
            let readable = match body {
                BodyCheck::Rejected => false,
                BodyCheck::Resource(ident) => read_as.is_none_or(|read_as| read_as == ident),
                _ => has_body || method != Method::Get,
            };
            if !readable || !is_status_line(&example.start_line) {
                return None;
            }
            let headers = ["Location", "Content-Type"]
                .into_iter()
                .filter_map(|name| Some((name.to_owned(), header(example, name)?.to_owned())))
                .collect();
            ExchangeKind::Read { method, headers }
        }
    };
    Some(Exchange {
        resource: page.ident.clone(),
        line: example.start_line.clone(),
        kind,
    })
}

impl Exchange {
    /// The helper the test calls.
    pub fn helper(&self) -> &'static str {
        match &self.kind {
            ExchangeKind::Plain(Method::Delete) => "requests_delete",
            ExchangeKind::Plain(_) => "requests_get",
            ExchangeKind::Typed { .. } => "requests_post",
            ExchangeKind::WithoutBody => "requests_without_body",
            ExchangeKind::Content { .. } => "requests_content",
            ExchangeKind::Put { .. } => "requests_put",
            ExchangeKind::Read { method, .. } => match method {
                Method::Get => "reads_get",
                Method::Post => "reads_post",
                Method::Put => "reads_put",
                _ => "reads_delete",
            },
        }
    }

    /// Whether the statement uses the test's `decoded` binding.
    pub fn uses_decoded(&self) -> bool {
        matches!(self.kind, ExchangeKind::Typed { .. })
    }

    /// Whether the statement sends or reads the sample's body.
    pub fn uses_body(&self) -> bool {
        matches!(
            self.kind,
            ExchangeKind::Content { .. } | ExchangeKind::Put { .. } | ExchangeKind::Read { .. }
        )
    }

    /// The test's statement; `body` is the sample body (its literal, or a binding).
    pub fn statement(&self, body: &TokenStream) -> TokenStream {
        let helper = id(self.helper());
        let ty = id(&self.resource);
        let line = &self.line;
        match &self.kind {
            ExchangeKind::Plain(_) | ExchangeKind::WithoutBody => {
                quote!(#helper::<#ty>(#line);)
            }
            ExchangeKind::Typed { content_type } => {
                quote!(#helper::<#ty>(&decoded, #line, #content_type);)
            }
            ExchangeKind::Content { content_type } | ExchangeKind::Put { content_type } => {
                quote!(#helper::<#ty>(#line, #content_type, #body);)
            }
            ExchangeKind::Read { headers, .. } => {
                let headers = headers.iter().map(|(name, value)| quote!((#name, #value)));
                quote!(#helper::<#ty>(#line, &[#(#headers),*], #body);)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_status_lines_are_recognised() {
        assert!(is_request_line(
            "Post https://fe1.contoso.com:443/ucwa/v1/x HTTP/1.1",
            Method::Post
        ));
        assert!(is_request_line("GET /ucwa/me", Method::Get));
        assert!(!is_request_line("GET /ucwa/me HTTP/1.1", Method::Post));
        assert!(!is_request_line("GET /a b HTTP/1.1", Method::Get));
        assert!(!is_request_line("GET /a{b} HTTP/1.1", Method::Get));
        assert!(is_status_line("HTTP/1.1 201 Created"));
        assert!(!is_status_line("HTTP/1.1 Created"));
        assert!(!is_status_line(""));
    }

    #[test]
    fn content_types_name_their_format() {
        assert_eq!(media_format("application/json"), Some(SampleFormat::Json));
        assert_eq!(
            media_format("application/vnd.microsoft.com.ucwa+xml; charset=utf-8"),
            Some(SampleFormat::Xml)
        );
        assert_eq!(media_format("text/plain"), None);
        assert_eq!(media_format("multipart/batching;boundary=\"x\""), None);
    }
}
