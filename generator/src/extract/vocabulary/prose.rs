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
    // A section name is a short phrase: a long line or a sentence is none.
    let trimmed = line.trim();
    trimmed.len() <= 100
        && trimmed.starts_with(|c: char| c.is_alphabetic() || c == '*' || c == '_')
        && !trimmed.ends_with('.')
        && Section::of_line(&text::clean(trimmed)).is_some()
}

/// Chrome around the page, or furniture inside it: never content.
pub fn is_chrome(line: &str) -> bool {
    // Every chrome line is a few words; longer lines need no cleaning.
    let trimmed = line.trim();
    let short = trimmed.len() <= 60 && trimmed.starts_with(char::is_alphabetic);
    (short && CHROME_LINES.contains(&text::clean(line).to_lowercase().as_str()))
        || is_furniture(line)
}

/// Page furniture older revisions and the old MSDN layout carry: a "Last
/// modified:" or "Last Updated:" line (after an author, too), "N
/// Contributors", a "© 2017 Microsoft" footer, the table of contents
/// controls, the "In this article" caption, and a bare HTML anchor
/// (`<a name="sectionSection0"> </a>`), in markdown or as a rendering shows it.
pub fn is_furniture(line: &str) -> bool {
    let trimmed = line.trim();
    if is_html_anchor(trimmed) {
        return true;
    }
    // Furniture is a short line with one of a few words; most lines are
    // not, and need no cleaning.
    let has = |needle: &str| {
        trimmed
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
    };
    if trimmed.len() > 100 {
        return false;
    }
    let candidate = trimmed.eq_ignore_ascii_case("toc")
        || trimmed.contains('©')
        || [
            "last modified",
            "last updated",
            "contributor",
            "table of content",
            "in this article",
        ]
        .iter()
        .any(|needle| has(needle));
    if !candidate {
        return false;
    }
    let words = text::clean(&trimmed.replace(['*', '_'], " ")).to_lowercase();
    let contributors = words.split_once(' ').is_some_and(|(count, rest)| {
        count.chars().all(|c| c.is_ascii_digit()) && rest.starts_with("contributor")
    });
    words.starts_with("last modified")
        || words.starts_with("last updated")
        || words.contains("| last updated")
        || contributors
        || (words.starts_with('©') && words.contains("microsoft"))
        || matches!(
            words.as_str(),
            "toc"
                | "in this article"
                | "collapse the table of content"
                | "collapse the table of contents"
                | "expand the table of content"
                | "expand the table of contents"
        )
}

/// "In this article", the caption of a list of the page's own sections.
pub fn is_contents_caption(line: &str) -> bool {
    line.len() <= 40
        && line.to_ascii_lowercase().contains("in this article")
        && text::clean(&line.replace(['*', '_'], " ")).eq_ignore_ascii_case("in this article")
}

/// `<a name="x"> </a>`, `<a name = "x"></a>`, `<a id="x"/>`: an anchor alone on its line.
pub fn is_html_anchor(line: &str) -> bool {
    let Some(rest) = line.trim().strip_prefix("<a ") else {
        return false;
    };
    let attribute = rest.trim_start();
    (attribute.starts_with("name") || attribute.starts_with("id"))
        && (rest.ends_with("</a>") || rest.ends_with("/>") || rest.ends_with('>'))
        && rest.matches('<').count() <= 1
}

/// A line that only links to the page's own sections: an entry of an "In
/// this article" list (`[Web Link](#sectionSection0)`, `- [Members](#members)`).
pub fn is_in_page_link_line(line: &str) -> bool {
    let mut rest = line.trim().trim_start_matches(['-', '*', '+']).trim_start();
    let mut links = 0;
    while let Some(after) = rest.strip_prefix('[') {
        let Some((_, target)) = after.split_once("](#") else {
            return false;
        };
        let Some((_, after_link)) = target.split_once(')') else {
            return false;
        };
        rest = after_link.trim_start_matches([' ', '|', ',']);
        links += 1;
    }
    links > 0 && rest.trim().is_empty()
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
    fn furniture_is_known_in_every_form() {
        for line in [
            " **Last modified:** July 15, 2015",
            "Last modified: July 15, 2015",
            "Dan Roberts | Last Updated: 6/21/2017",
            "3 Contributors",
            "© 2017 Microsoft",
            "TOC",
            "Collapse the table of content",
            "**In this article**",
            "<a name=\"sectionSection0\"> </a>",
            "<a name = \"sectionSection0\"></a>",
        ] {
            assert!(is_furniture(line), "{line}");
        }
        for line in [
            "Represents the last modified time of the note.",
            "<a href=\"x\">link</a> text",
            "Contributors",
        ] {
            assert!(!is_furniture(line), "{line}");
        }
        assert!(is_in_page_link_line("[Web Link](#sectionSection0)  "));
        assert!(is_in_page_link_line("- [Members](#sectionSection0)"));
        assert!(!is_in_page_link_line("[contact](contact_ref.md)"));
        assert!(!is_in_page_link_line("See [Members](#members) below."));
    }

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
