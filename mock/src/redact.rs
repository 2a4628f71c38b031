//! Credentials out of anything the mock prints or answers: whatever shape a
//! body or a header has, the value after a credential's name (`password=…`
//! in a form, `"access_token": "…"` in JSON, `<password>…</password>` in
//! XML, `Bearer …`, `cwt=…`) is replaced with `<redacted>`. Matching still
//! compares the real values; only what is shown is scrubbed, at the one
//! place a difference is recorded.

use crate::matching::is_sensitive;

/// Schemes whose next word is a credential.
const SCHEMES: [&str; 5] = ["bearer", "basic", "negotiate", "ntlm", "msrtcoauth"];

const REDACTED: &str = "<redacted>";

/// `text` with every credential value replaced by `<redacted>`.
pub(crate) fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = next_secret(rest) {
        out.push_str(&rest[..start]);
        out.push_str(REDACTED);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The byte range of the first credential value in `text`.
fn next_secret(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut word_start = None;
    for (index, &byte) in bytes
        .iter()
        .enumerate()
        .chain(std::iter::once((bytes.len(), &b' ')))
    {
        let in_word = byte.is_ascii_alphanumeric() || byte == b'_';
        match (in_word, word_start) {
            (true, None) => word_start = Some(index),
            (false, Some(start)) => {
                word_start = None;
                let word = &text[start..index];
                if let Some(range) = value_after(text, word, index) {
                    return Some(range);
                }
            }
            _ => {}
        }
    }
    None
}

/// The value that follows `word` (ending at `at`), when `word` names a
/// credential: a sensitive key followed by `=`, `:` or `>`, or a scheme
/// (`Bearer`) followed by a space, or `cwt=`. A quoted value ends at its
/// closing quote; another at a space or a delimiter of forms, JSON or XML.
fn value_after(text: &str, word: &str, at: usize) -> Option<(usize, usize)> {
    let after = &text[at..];
    let is_scheme = |w: &str| SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(w));
    let key = is_sensitive(word)
        || word.eq_ignore_ascii_case("cwt")
        || word.eq_ignore_ascii_case("authorization");
    let value = if key {
        // `key=`, `key:`, `"key": "`, `key>` (an XML element), `key="` (an attribute).
        let trimmed = after.trim_start_matches(['"', '\'']).trim_start();
        let separator = trimmed
            .chars()
            .next()
            .filter(|c| matches!(c, '=' | ':' | '>'))?;
        let value = trimmed[separator.len_utf8()..].trim_start();
        // An Authorization header's scheme stays: the word after it goes.
        if word.eq_ignore_ascii_case("authorization")
            && value.split_whitespace().next().is_some_and(is_scheme)
            && value.split_whitespace().nth(1).is_some()
        {
            return None;
        }
        value
    } else if is_scheme(word) && after.starts_with(' ') {
        after.trim_start()
    } else {
        return None;
    };
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''));
    let start = text.len() - value.len() + quote.map_or(0, char::len_utf8);
    let rest = &text[start..];
    let length = match quote {
        Some(quote) => rest.find(quote),
        None => rest.find(|c: char| {
            c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | '<' | '}' | ';' | ']')
        }),
    }
    .unwrap_or(rest.len());
    let end = start + length;
    let value = &text[start..end];
    // An elision (`Bearer …`) hides nothing.
    let elided = value.chars().all(|c| matches!(c, '.' | '…'));
    (!value.is_empty() && !elided && value != REDACTED).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed_whatever_the_shape() {
        let cases = [
            (
                "grant_type=password&username=a@b.c&password=hunter2",
                "grant_type=password&username=a@b.c&password=<redacted>",
            ),
            (
                r#"{"access_token": "eyJ0eXAi", "expires_in": 3600}"#,
                r#"{"access_token": "<redacted>", "expires_in": 3600}"#,
            ),
            (r#"{"Password":"x y"}"#, r#"{"Password":"<redacted>"}"#),
            (
                "<password>hunter2</password>",
                "<password><redacted></password>",
            ),
            (
                "Authorization: Bearer cwt=AAEBHAAA",
                "Authorization: Bearer <redacted>",
            ),
            (
                "Authorization: s3cretWithoutScheme",
                "Authorization: <redacted>",
            ),
            (
                "token=abc&ms_rtc_renew=def",
                "token=<redacted>&ms_rtc_renew=<redacted>",
            ),
            ("cwt=AAEB...buHC", "cwt=<redacted>"),
            ("a password is needed", "a password is needed"),
            ("Basic dXNlcjpwYXNz", "Basic <redacted>"),
            ("nothing here", "nothing here"),
            ("", ""),
            ("password=", "password="),
            ("<redacted>", "<redacted>"),
            ("Bearer …", "Bearer …"),
            ("Bearer cwt=AAEB...buHC", "Bearer <redacted>"),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub(text), expected, "{text}");
        }
    }

    #[test]
    fn scrubbing_never_panics_on_odd_text() {
        for text in [
            "password",
            "password:",
            "Bearer",
            "Bearer ",
            "é password=é",
            "\"password\":\"",
            "password=ü&x",
        ] {
            let scrubbed = scrub(text);
            assert!(!scrubbed.contains('ü'), "{text}: {scrubbed}");
        }
    }
}
