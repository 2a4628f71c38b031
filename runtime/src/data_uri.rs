//! `data:` URIs (RFC 2397), which UCWA uses for content that is not a
//! resource, such as message text or SDP.
//!
//! `+` handling: PayloadFormat.md says "UCWA 2.0 always uses URL encoding in
//! data URIs" and gives `data:text/plain,Hello+World`, so the percent-encoded
//! form is read as form URL encoding: `+` is a space and `%2B` a plus. In
//! base64 data `+` is a base64 digit, and `%XX` escapes are undone first
//! because a URL-encoding server may have escaped `+`, `/` and `=`.

use base64::Engine;
use thiserror::Error;

/// The decoded content of a `data:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUri {
    /// The media type, e.g. `text/plain`; RFC 2397's default when absent.
    pub media_type: String,
    /// Parameters after the media type, e.g. `("charset", "utf-8")`, in order.
    pub parameters: Vec<(String, String)>,
    /// Whether the data was base64 encoded.
    pub base64: bool,
    /// The decoded bytes.
    pub data: Vec<u8>,
}

/// Why a `data:` URI could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DataUriError {
    /// The text does not start with `data:`.
    #[error("expected a URI starting with `data:`")]
    NotDataUri,
    /// There is no `,` between the header and the data.
    #[error("expected `,` between the media type and the data of a data URI")]
    MissingComma,
    /// A `%` escape is not followed by two hex digits.
    #[error("expected two hex digits after `%` at byte {offset} of the data")]
    BadPercentEncoding {
        /// Byte offset of the `%` within the data part.
        offset: usize,
    },
    /// The base64 data is not valid base64.
    #[error("invalid base64 data: {0}")]
    BadBase64(String),
    /// The decoded data would exceed the size limit.
    #[error("data URI content exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl DataUri {
    /// True when `text` is a `data:` URI (scheme compared case-insensitively).
    pub fn is_data_uri(text: &str) -> bool {
        text.get(..5)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
    }

    /// Decodes `uri`, bounded by [`crate::MAX_DATA_URI_BYTES`].
    pub fn parse(uri: &str) -> Result<DataUri, DataUriError> {
        Self::parse_with_limit(uri, crate::MAX_DATA_URI_BYTES)
    }

    /// Decodes `uri`, failing when the content would exceed `limit` bytes.
    pub fn parse_with_limit(uri: &str, limit: usize) -> Result<DataUri, DataUriError> {
        if !Self::is_data_uri(uri) {
            return Err(DataUriError::NotDataUri);
        }
        let (header, data) = uri[5..].split_once(',').ok_or(DataUriError::MissingComma)?;
        let mut parts = header.split(';');
        let media_type = parts.next().unwrap_or_default().trim();
        let mut parameters = Vec::new();
        let mut base64 = false;
        for part in parts {
            match part.split_once('=') {
                Some((name, value)) => {
                    parameters.push((name.trim().to_owned(), value.trim().to_owned()))
                }
                None if part.trim().eq_ignore_ascii_case("base64") => base64 = true,
                None => parameters.push((part.trim().to_owned(), String::new())),
            }
        }
        let media_type = if media_type.is_empty() {
            if parameters.is_empty() {
                parameters.push(("charset".to_owned(), "US-ASCII".to_owned()));
            }
            "text/plain".to_owned()
        } else {
            media_type.to_owned()
        };
        let data = if base64 {
            // Each 4 base64 characters give at most 3 bytes.
            if data.len() / 4 > limit / 3 + 1 {
                return Err(DataUriError::TooLarge { limit });
            }
            let digits: Vec<u8> = percent_decode(data, false)?
                .into_iter()
                .filter(|byte| !byte.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(digits)
                .map_err(|error| DataUriError::BadBase64(error.to_string()))?
        } else {
            if data.len() > limit.saturating_mul(3) {
                return Err(DataUriError::TooLarge { limit });
            }
            percent_decode(data, true)?
        };
        if data.len() > limit {
            return Err(DataUriError::TooLarge { limit });
        }
        Ok(DataUri {
            media_type,
            parameters,
            base64,
            data,
        })
    }

    /// The value of a parameter such as `charset`, compared case-insensitively.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The content as text when it is valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

fn percent_decode(text: &str, plus_is_space: bool) -> Result<Vec<u8>, DataUriError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let high = bytes.get(index + 1).and_then(|digit| hex_value(*digit));
                let low = bytes.get(index + 2).and_then(|digit| hex_value(*digit));
                match (high, low) {
                    (Some(high), Some(low)) => decoded.push(high << 4 | low),
                    _ => return Err(DataUriError::BadPercentEncoding { offset: index }),
                }
                index += 3;
            }
            b'+' if plus_is_space => {
                decoded.push(b' ');
                index += 1;
            }
            _ => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    Ok(decoded)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_text_follows_the_guide() {
        let uri = DataUri::parse("data:text/plain,Hello+World%21%2B").expect("valid");
        assert_eq!(uri.media_type, "text/plain");
        assert_eq!(uri.text(), Some("Hello World!+"));
        assert!(!uri.base64);
    }

    #[test]
    fn parameters_and_default_media_type() {
        let uri = DataUri::parse("data:text/plain;charset=utf8,caf%C3%A9").expect("valid");
        assert_eq!(uri.parameter("CHARSET"), Some("utf8"));
        assert_eq!(uri.text(), Some("café"));
        let bare = DataUri::parse("data:,x").expect("valid");
        assert_eq!(bare.media_type, "text/plain");
        assert_eq!(bare.parameter("charset"), Some("US-ASCII"));
    }

    #[test]
    fn base64_html_and_sdp() {
        let html = DataUri::parse("data:text/html;base64,PGI+aGk8L2I+").expect("valid");
        assert_eq!(html.text(), Some("<b>hi</b>"));
        // An SDP offer as UCWA sends it, with its base64 `+`/`=` escaped.
        let sdp = "v=0\r\no=- 0 0 IN IP4 10.0.0.1\r\nm=audio 5004 RTP/AVP 0\r\n";
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(sdp)
            .replace('=', "%3D");
        let uri = DataUri::parse(&format!("data:application/sdp;base64,{encoded}")).expect("valid");
        assert_eq!(uri.media_type, "application/sdp");
        assert_eq!(uri.text(), Some(sdp));
    }

    #[test]
    fn bad_uris_are_errors() {
        assert_eq!(DataUri::parse("http://x/"), Err(DataUriError::NotDataUri));
        assert_eq!(
            DataUri::parse("data:text/plain"),
            Err(DataUriError::MissingComma)
        );
        assert_eq!(
            DataUri::parse("data:,50%2"),
            Err(DataUriError::BadPercentEncoding { offset: 2 })
        );
        assert_eq!(
            DataUri::parse("data:,%zz"),
            Err(DataUriError::BadPercentEncoding { offset: 0 })
        );
        assert!(matches!(
            DataUri::parse("data:;base64,!!!!"),
            Err(DataUriError::BadBase64(_))
        ));
        assert!(DataUri::is_data_uri("DATA:,x"));
        assert!(!DataUri::is_data_uri("dat"));
    }

    #[test]
    fn huge_content_is_bounded() {
        let big = format!("data:text/plain;base64,{}", "QUFB".repeat(100));
        assert_eq!(
            DataUri::parse_with_limit(&big, 200),
            Err(DataUriError::TooLarge { limit: 200 })
        );
        assert_eq!(
            DataUri::parse_with_limit(&big, 300)
                .expect("fits")
                .data
                .len(),
            300
        );
        let text = format!("data:,{}", "a".repeat(1000));
        assert_eq!(
            DataUri::parse_with_limit(&text, 999),
            Err(DataUriError::TooLarge { limit: 999 })
        );
    }
}
