//! What prose lines look like: the "Applies to" line, page chrome, a title,
//! a heading line of rendered text, the word `None` an empty section says.

use super::section::Section;
use crate::extract::text;

/// Chrome lines seen on rendered documentation pages, in a few languages. Only
/// supporting evidence: most chrome is removed by position (see module docs).
const CHROME_LINES: &[&str] = &[
    "share via",
    "partager via",
    "compartir a través de",
    "teilen über",
    "feedback",
    "commentaires",
    "comentarios",
    "in this article",
    "dans cet article",
    "en este artículo",
    "in diesem artikel",
    "table of contents",
    "table des matières",
    "yes no",
    "oui non",
    "sí no",
    "ja nein",
    "learn",
    "print",
    "save",
    "edit",
    "article",
    "additional resources",
    "ressources supplémentaires",
    // Buttons a documentation site puts above tables and code samples.
    "expand table",
    "développer le tableau",
    "tabelle erweitern",
    "expandir tabla",
    "copy",
    "copier",
    "kopieren",
    "copiar",
];

/// `Applies to: ...`, also with the emphasis marks a rendering may leave (`** Applies to: **`).
pub fn is_applies_to(line: &str) -> bool {
    line.trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
        .starts_with("applies to")
}

/// A title: an identifier, optionally followed by the noise UCWA titles carry
/// (`reference`, `reference for Skype for Business 2015`, `: applies to ...`).
pub fn is_title_shaped(line: &str) -> bool {
    is_identifier_with_noise(line) && !names_section(line) && !is_chrome(line)
}

pub fn is_identifier_with_noise(line: &str) -> bool {
    let trimmed = line.trim();
    let mut words = trimmed.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    let identifier = first.starts_with(|c: char| c.is_ascii_alphabetic())
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let noise = match rest.first() {
        None => true,
        Some(word) => {
            word.eq_ignore_ascii_case("reference") || word.starts_with(':') || word.starts_with('(')
        }
    };
    identifier && noise
}

/// A line naming a section is content, never chrome, never a title.
/// A line naming a section is content, never chrome, never a title.
pub fn names_section(line: &str) -> bool {
    Section::of_line(&text::clean(line)).is_some()
}

pub fn is_chrome(line: &str) -> bool {
    CHROME_LINES.contains(&text::clean(line).to_lowercase().as_str())
}

/// `None`: what an empty section says instead of a table.
pub fn is_none(text: &str) -> bool {
    text.trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case("none")
}

/// A standalone line that reads as a heading: short, no sentence punctuation
/// at its end, and not the word `None` that empty sections say.
pub fn is_heading_shaped(trimmed: &str) -> bool {
    let ends_sentence = trimmed.ends_with(['.', ',', ';', ':', '!', '?', '…', ')']);
    let none = matches!(trimmed.to_lowercase().as_str(), "none" | "n/a" | "-");
    !ends_sentence
        && !none
        && !reads_as_sentence(trimmed)
        && word_count(trimmed) <= 8
        && trimmed.chars().count() <= 80
}

/// "Returns the transcripts of a conversation log", "Represents a session":
/// a verb followed by a determiner starts a sentence, whatever its punctuation;
/// so does "Sample of ...".
/// Headings are noun phrases ("Request body", "Azure Active Directory scopes ...").
pub fn reads_as_sentence(text: &str) -> bool {
    const DETERMINERS: &[&str] = &[
        "the", "a", "an", "this", "that", "these", "all", "any", "your", "its", "their", "one",
        "whether",
    ];
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default();
    // "Sample of returned event data" introduces every event sample, in bold
    // on some pages, which a rendering shows as a bare line.
    first.eq_ignore_ascii_case("sample")
        || words
            .next()
            .is_some_and(|second| DETERMINERS.contains(&second))
}

/// A sentence of the page's prose: a capitalised word that opens English
/// sentences and is never a name in a table's first column ("This resource
/// can have ...", "Sample of returned event data.", "The errors below ...").
/// Ends a table that no blank line ends.
pub fn starts_like_prose(line: &str) -> bool {
    const OPENERS: &[&str] = &[
        "The", "This", "These", "A", "An", "For", "Only", "Sample", "If", "When", "Each",
    ];
    let first = line.split_whitespace().next().unwrap_or_default();
    OPENERS.contains(&first) && word_count(line) >= 4
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A line only markdown has: an ATX heading (`## GET`) or a table's header
/// or rule row (`|**Name**|`, `|:--|`).
pub fn is_markdown_structure(line: &str) -> bool {
    let line = line.trim_start();
    (line.starts_with('#') && line.trim_start_matches('#').starts_with(' '))
        || line.starts_with("|:--")
        || line.starts_with("|**")
}

/// `X`, `X reference`, `X reference for Skype for Business 2015` and
/// `X : applies to ...` all name `X`.
pub fn name_from_title(title: &str) -> Option<String> {
    let before_colon = title.split(':').next().unwrap_or_default();
    let name = before_colon.split_whitespace().next()?;
    let is_identifier = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    is_identifier.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_identifiers_with_optional_noise() {
        for line in [
            "audioVideoSessions",
            "user reference for Skype for Business 2015",
            "Status : applies to Skype",
            "myGroups2",
        ] {
            assert!(is_title_shaped(line), "{line}");
        }
        for line in [
            "Partager via",
            "Share via",
            "Feedback",
            "Operations",
            "Web Link",
            "05/21/2018",
            "Table of contents",
            "",
        ] {
            assert!(!is_title_shaped(line), "{line}");
        }
    }

    #[test]
    fn title_noise_is_removed() {
        for title in [
            "presence",
            "presence reference",
            "presence reference for Skype for Business 2015",
            "presence : applies to Skype",
            "presence:",
        ] {
            assert_eq!(
                name_from_title(title).as_deref(),
                Some("presence"),
                "{title}"
            );
        }
        assert_eq!(name_from_title("2015 notes"), None);
    }
}
