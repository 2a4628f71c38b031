//! A status the prose gives instead of a response block: "A successful
//! response (not shown) is '204 No Content'", "The server returns 200 OK".
//!
//! A sentence counts when it speaks of an answer (`response`, `responds`,
//! `returns`, `returned`, `answer`, `result`) and names a status as a code
//! with words after it (`204 No Content`, `201 Created`, also `204 OK`),
//! and does not tell the reader to send something (`Send a GET ...` is the
//! next step, not this one's answer). The first such sentence wins.

/// A status found in words: the code and the words as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusInWords {
    pub status: u16,
    pub quoted: String,
}

const ANSWER_WORDS: [&str; 6] = ["response", "respond", "return", "answer", "result", "reply"];
const INSTRUCTIONS: [&str; 6] = ["send", "make", "issue", "post", "get", "create"];

/// The status the prose gives, if a sentence gives one.
pub(crate) fn status_in_words(prose: &str) -> Option<StatusInWords> {
    prose
        .split_inclusive(['.', '!', '?', '\n'])
        .filter(|sentence| speaks_of_an_answer(sentence))
        .find_map(status_in_sentence)
}

fn speaks_of_an_answer(sentence: &str) -> bool {
    let lower = sentence.to_ascii_lowercase();
    let first = lower
        .split_whitespace()
        .find(|word| word.chars().any(char::is_alphabetic))
        .map(|word| word.trim_matches(|c: char| !c.is_alphabetic()))
        .unwrap_or_default();
    ANSWER_WORDS.iter().any(|word| lower.contains(word)) && !INSTRUCTIONS.contains(&first)
}

fn status_in_sentence(sentence: &str) -> Option<StatusInWords> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let clean = |word: &str| {
        word.trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_string()
    };
    words.iter().enumerate().find_map(|(at, word)| {
        let code = clean(word);
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let status: u16 = code.parse().ok()?;
        let reason = http::StatusCode::from_u16(status)
            .ok()?
            .canonical_reason()?;
        // The words after the code: as many as the reason phrase has, or `OK`.
        let wanted = reason.split_whitespace().count();
        let after: Vec<String> = words[at + 1..]
            .iter()
            .take(wanted)
            .map(|word| clean(word))
            .collect();
        let matches_reason = after.join(" ").eq_ignore_ascii_case(reason);
        let ok = after
            .first()
            .is_some_and(|word| word.eq_ignore_ascii_case("ok"));
        if !matches_reason && !ok {
            return None;
        }
        let taken = if matches_reason { wanted } else { 1 };
        let quoted = std::iter::once(code)
            .chain(after.into_iter().take(taken))
            .collect::<Vec<_>>()
            .join(" ");
        Some(StatusInWords { status, quoted })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_words() {
        let cases: &[(&str, Option<(u16, &str)>)] = &[
            (
                "A successful response (not shown) is '204 No Content'.",
                Some((204, "204 No Content")),
            ),
            (
                "The response you receive should be 204 No content, as shown here.",
                Some((204, "204 No content")),
            ),
            (
                "The response you receive should be 204 OK.",
                Some((204, "204 OK")),
            ),
            (
                "If it works, the server returns \"201 Created\" and a Location.",
                Some((201, "201 Created")),
            ),
            (
                "The result is a 409 Conflict when the user is not available.",
                Some((409, "409 Conflict")),
            ),
            // The next step's instruction, not this step's answer.
            ("Send a GET request; the response is 200 OK.", None),
            // A number that is no status, and a status no sentence answers with.
            ("The response lists 250 contacts.", None),
            ("See RFC 2616 section 404 Not Found for details.", None),
            ("The token lasts 8 hours.", None),
        ];
        for (prose, expected) in cases {
            let found = status_in_words(prose).map(|found| (found.status, found.quoted));
            let expected = expected.map(|(status, quoted)| (status, quoted.to_string()));
            assert_eq!(found, expected, "{prose}");
        }
    }
}
