//! Documented hosts → loopback listeners, and URLs in responses rewritten to them.
//!
//! Every host a transcript names (request URLs and `Host` headers, absolute
//! hrefs, `Location`/`Content-Location` and `WWW-Authenticate` URLs) gets its
//! own listener on the loopback address, in order of first appearance:
//! `lyncdiscover.contoso.com` → `http://127.0.0.1:P1`, `lyncweb.contoso.com`
//! → `http://127.0.0.1:P2`, `contoso.com` → `http://127.0.0.1:P3`. Hosts
//! stay distinct origins, so a client's security check (tokens go only to the
//! sign-in domain's hosts) still has something to check, and a request that
//! arrives at the wrong host is a mismatch. Hosts are compared lowercased,
//! with the default port dropped; the scheme is not part of the identity
//! (the mock speaks plain HTTP: loopback needs no TLS).

use crate::body::Body;
use crate::message::header;
use crate::transcript::Transcript;
use serde_json::Value;
use std::net::SocketAddr;

/// The mock opens at most this many listeners.
pub const MAX_HOSTS: usize = 64;

/// A documented host and the loopback address that stands for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBinding {
    /// The documented authority, `host[:port]` lowercased (`lyncweb.contoso.com`);
    /// empty when the pages name no host at all.
    pub authority: String,
    /// Where the mock listens for it.
    pub local: SocketAddr,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
}

/// The documented authorities of a transcript, in order of first appearance.
pub(crate) fn documented_authorities(transcript: &Transcript) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |authority: String| {
        if !authority.is_empty() && !found.contains(&authority) {
            found.push(authority);
        }
    };
    for (_, step) in transcript.steps() {
        if let Some(authority) = step
            .request
            .as_ref()
            .and_then(|r| r.target.authority.clone())
        {
            add(authority);
        }
        let Some(response) = &step.response else {
            continue;
        };
        for name in URL_HEADERS {
            if let Some(value) = header(&response.headers, name) {
                urls_in(value).for_each(|(_, _, authority)| add(authority));
            }
        }
        match &response.body {
            Body::Json(value) => hrefs(value, &mut |href| {
                urls_in(href).for_each(|(_, _, authority)| add(authority.clone()))
            }),
            Body::Xml(text) => xml_hrefs(text).into_iter().for_each(|href| {
                urls_in(&href).for_each(|(_, _, authority)| add(authority.clone()))
            }),
            _ => {}
        }
    }
    found
}

/// Response headers whose URLs point at documented hosts.
const URL_HEADERS: [&str; 3] = ["location", "content-location", "www-authenticate"];

/// True for headers whose URLs the mock rewrites.
pub(crate) fn is_url_header(name: &str) -> bool {
    URL_HEADERS
        .iter()
        .any(|header| header.eq_ignore_ascii_case(name))
}

fn hrefs(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match member {
                    Value::String(href) if key == "href" => visit(href),
                    other => hrefs(other, visit),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| hrefs(item, visit)),
        _ => {}
    }
}

fn xml_hrefs(text: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut found = Vec::new();
    while let Ok(event) = reader.read_event() {
        match event {
            quick_xml::events::Event::Start(element) | quick_xml::events::Event::Empty(element) => {
                for attribute in element.attributes().flatten() {
                    if attribute.key.as_ref() == b"href" {
                        if let Ok(value) = attribute.unescape_value() {
                            found.push(value.into_owned());
                        }
                    }
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    found
}

/// Every `http(s)://authority` in `text`: (start, end of authority, normalised authority).
fn urls_in(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let lower = text.to_ascii_lowercase();
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find("://") {
        let separator = from + found;
        let scheme_start = if lower[..separator].ends_with("https") {
            Some(separator - 5)
        } else if lower[..separator].ends_with("http") {
            Some(separator - 4)
        } else {
            None
        };
        let authority_start = separator + 3;
        let authority_end = text[authority_start..]
            .find(|c: char| "/\"',;?#<>()\\ \t\r\n".contains(c))
            .map_or(text.len(), |end| authority_start + end);
        if let Some(scheme_start) = scheme_start {
            // `xhttps://` is not a URL start.
            let starts_word = scheme_start == 0
                || !text[..scheme_start].ends_with(|c: char| c.is_ascii_alphanumeric());
            if starts_word && authority_end > authority_start {
                let authority =
                    crate::message::normalise_authority(&text[authority_start..authority_end]);
                starts.push((scheme_start, authority_end, authority));
            }
        }
        from = authority_end.max(authority_start);
    }
    starts.into_iter()
}

/// The bindings, and rewriting documented URLs to them.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostMap {
    pub bindings: Vec<HostBinding>,
}

impl HostMap {
    pub fn base_url(&self, authority: &str) -> Option<&str> {
        let authority = crate::message::normalise_authority(authority);
        self.bindings
            .iter()
            .find(|binding| binding.authority == authority)
            .map(|binding| binding.base_url.as_str())
    }

    /// Every `http(s)://documented-host` in `text` replaced by its listener's base URL.
    pub fn rewrite_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end, authority) in urls_in(text) {
            if let Some(base) = self.base_url(&authority) {
                out.push_str(&text[copied..start]);
                out.push_str(base);
                copied = end;
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// [`HostMap::rewrite_text`] on every string in a JSON value.
    pub fn rewrite_json(&self, value: &mut Value) {
        match value {
            Value::String(text) if text.contains("://") => *text = self.rewrite_text(text),
            Value::Object(members) => members
                .values_mut()
                .for_each(|member| self.rewrite_json(member)),
            Value::Array(items) => items.iter_mut().for_each(|item| self.rewrite_json(item)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> HostMap {
        let binding = |authority: &str, port: u16| HostBinding {
            authority: authority.into(),
            local: SocketAddr::from(([127, 0, 0, 1], port)),
            base_url: format!("http://127.0.0.1:{port}"),
        };
        HostMap {
            bindings: vec![
                binding("contoso.com", 1001),
                binding("lyncweb.contoso.com", 1002),
            ],
        }
    }

    #[test]
    fn documented_hosts_are_rewritten_and_others_are_left_alone() {
        let text = r#"MsRtcOAuth href="https://LyncWeb.contoso.com:443/WebTicket/oauthtoken",x https://contoso.com http://schemas.microsoft.com/rtc xhttps://contoso.com/"#;
        assert_eq!(
            map().rewrite_text(text),
            r#"MsRtcOAuth href="http://127.0.0.1:1002/WebTicket/oauthtoken",x http://127.0.0.1:1001 http://schemas.microsoft.com/rtc xhttps://contoso.com/"#
        );
    }

    #[test]
    fn json_strings_are_rewritten_wherever_they_are() {
        let mut value = serde_json::json!({"_links": {"self": {"href": "https://contoso.com/a?b=c"}}, "list": ["http://lyncweb.contoso.com"], "n": 1});
        map().rewrite_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"_links": {"self": {"href": "http://127.0.0.1:1001/a?b=c"}}, "list": ["http://127.0.0.1:1002"], "n": 1})
        );
    }
}
