//! What a section heading announces, judged by its words: the one
//! classifier of headings for both readers, the recovery and the interpreter.

use crate::schema::{Direction, Method, SampleFormat};

/// What a heading says its section holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// Between the title and the first heading: the description.
    Intro,
    WebLink,
    ResourceDescription,
    Properties,
    Links,
    Scopes,
    Events,
    Event(String),
    Members,
    Operations,
    /// A method heading (`GET`, `Post`).
    Operation(Method),
    QueryParameters,
    RequestBody,
    ResponseBody,
    Errors,
    Examples,
    Example(SampleFormat, Direction),
    Other(String),
}

impl Section {
    /// Judges a heading by its words, each of which may be singular, plural
    /// or truncated (`Propertie`, `Event`, `Synchronous error:`).
    pub fn of_heading(text: &str) -> Section {
        Section::judge(text, true)
    }

    /// Whether `text` names its section exactly as pages write it:
    /// `Propertie` or `Event` name theirs, but may be cut short (a page that
    /// ends there may be cut there).
    pub fn named_in_full(text: &str) -> bool {
        let section = Section::judge(text, false);
        match section {
            Section::Other(_) => false,
            // Pages write method headings in capitals; `Get` starts a request line.
            Section::Operation(_) => text.trim() == text.trim().to_uppercase(),
            _ => section == Section::of_heading(text),
        }
    }

    fn judge(text: &str, variants: bool) -> Section {
        let word_is = |word: &str, plural: &str| word_is(word, plural, variants);
        let words = text.trim().trim_end_matches(':').trim().to_lowercase();
        if let Some(method) = Method::parse(&words) {
            return Section::Operation(method);
        }
        let list: Vec<&str> = words.split_whitespace().collect();
        let is = |phrase: &[&str]| {
            list.len() == phrase.len() && list.iter().zip(phrase).all(|(w, c)| word_is(w, c))
        };
        let first_is = |word: &str| list.first().is_some_and(|w| word_is(w, word));
        let has_pair = |first: &str, second: &str| {
            list.windows(2)
                .any(|pair| word_is(pair[0], first) && word_is(pair[1], second))
        };
        let example = |format, direction| Section::Example(format, direction);
        if is(&["json", "request"]) {
            example(SampleFormat::Json, Direction::Request)
        } else if is(&["json", "response"]) {
            example(SampleFormat::Json, Direction::Response)
        } else if is(&["xml", "request"]) {
            example(SampleFormat::Xml, Direction::Request)
        } else if is(&["xml", "response"]) {
            example(SampleFormat::Xml, Direction::Response)
        } else if is(&["events"]) {
            Section::Events
        } else if is(&["operations"]) {
            Section::Operations
        } else if is(&["resource", "description"]) {
            Section::ResourceDescription
        } else if first_is("web") && list.get(1).is_some_and(|w| word_is(w, "links")) {
            Section::WebLink
        } else if first_is("properties") {
            Section::Properties
        } else if first_is("links") {
            Section::Links
        } else if list.iter().any(|w| word_is(w, "scopes")) {
            Section::Scopes
        } else if first_is("members") {
            Section::Members
        } else if has_pair("query", "parameters") {
            Section::QueryParameters
        } else if has_pair("request", "body") {
            Section::RequestBody
        } else if has_pair("response", "body") {
            Section::ResponseBody
        } else if list.last().is_some_and(|w| word_is(w, "errors")) {
            Section::Errors
        } else if first_is("examples") {
            Section::Examples
        } else {
            Section::Other(words)
        }
    }

    /// The section a bare line of rendered text names, if it names one: a
    /// short phrase, not a sentence, that [`Section::of_heading`] recognises.
    pub fn of_line(line: &str) -> Option<Section> {
        let text = line.trim();
        // Cheap tests first: this is asked of every line of every page.
        if text.len() > 100
            || !text.starts_with(char::is_alphabetic)
            || text.ends_with(['.', ',', ';', '!', '?'])
        {
            return None;
        }
        let words = text.split_whitespace().take(9).count();
        // Sample lines (`"_links" : {`) and markup are not phrases.
        let phrase = text.chars().all(|c| {
            c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '-' | ':' | '?' | '\'' | '(' | ')' | '/')
        });
        if words > 8 || !phrase {
            return None;
        }
        match Section::of_heading(text) {
            Section::Other(_) => None,
            section => Some(section),
        }
    }

    /// Order of an operation's subsections, to tell where the next operation
    /// starts on a page that lost its method headings.
    pub fn operation_rank(&self) -> Option<u8> {
        match self {
            Section::QueryParameters => Some(1),
            Section::RequestBody => Some(2),
            Section::ResponseBody => Some(3),
            Section::Errors => Some(4),
            Section::Examples => Some(5),
            Section::Example(..) => Some(6),
            _ => None,
        }
    }

    /// A section that cannot be part of an operation: a heading the page
    /// does not define (`Other`) leaves the operation open, since its words
    /// say nothing about where the operation ends.
    pub fn ends_operations(&self) -> bool {
        self.operation_rank().is_none()
            && !matches!(
                self,
                Section::Operations | Section::Operation(_) | Section::Other(_)
            )
    }

    /// Sections whose content is a table, or the word `None`.
    pub fn expects_table(&self) -> bool {
        matches!(
            self,
            Section::Properties
                | Section::Links
                | Section::Scopes
                | Section::Members
                | Section::QueryParameters
                | Section::RequestBody
                | Section::Errors
                | Section::Event(_)
        )
    }
}

/// A heading word is a section word in the singular (`property`,
/// `event`), the plural, or cut short after at least four letters
/// (`Propertie`, `param`); a longer word (`memberships`) is another word.
fn word_is(word: &str, plural: &str, variants: bool) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    if !variants {
        return word == plural;
    }
    let singular = match plural.strip_suffix("ies") {
        // `properties` → `property`
        Some(stem) => word.strip_prefix(stem) == Some("y"),
        None => Some(word) == plural.strip_suffix('s'),
    };
    singular || word == plural || (word.len() >= 4 && plural.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_judged_by_their_words() {
        let cases = [
            ("Propertie", Section::Properties),
            ("Web link", Section::WebLink),
            ("GET", Section::Operation(Method::Get)),
            ("Post", Section::Operation(Method::Post)),
            ("Synchronous errors", Section::Errors),
            ("Synchronous error:", Section::Errors),
            (
                "Azure Active Directory scopes for online applications",
                Section::Scopes,
            ),
            ("Query parameters", Section::QueryParameters),
            ("Links", Section::Links),
            (
                "XML Response",
                Section::Example(SampleFormat::Xml, Direction::Response),
            ),
            ("completed", Section::Other("completed".to_string())),
        ];
        for (heading, section) in cases {
            assert_eq!(Section::of_heading(heading), section, "{heading}");
        }
    }

    #[test]
    fn section_words_may_be_singular_plural_or_cut_short() {
        let cases = [
            ("Property", Section::Properties),
            ("Event", Section::Events),
            ("Operation", Section::Operations),
            ("Member:", Section::Members),
            ("Synchronous erro", Section::Errors),
            ("Query param", Section::QueryParameters),
            ("memberships", Section::Other("memberships".into())),
            ("Error Codes", Section::Other("error codes".into())),
            ("errorCode", Section::Other("errorcode".into())),
        ];
        for (heading, section) in cases {
            assert_eq!(Section::of_heading(heading), section, "{heading}");
        }
    }

    #[test]
    fn bare_lines_name_sections_only_as_short_phrases() {
        assert_eq!(Section::of_line("Propertie"), Some(Section::Properties));
        assert_eq!(
            Section::of_line("Azure Active Directory scopes for online applications"),
            Some(Section::Scopes)
        );
        for line in [
            "The errors below (if any) are specific to this resource.",
            "\"_links\" : {",
            "Error Codes",
            "state The state of the call",
            "",
        ] {
            assert_eq!(Section::of_line(line), None, "{line}");
        }
    }

    #[test]
    fn operation_subsections_are_ranked_in_page_order() {
        let ranks: Vec<_> = [
            "Query parameters",
            "Request body",
            "Response body",
            "Synchronous errors",
            "Examples",
            "JSON request",
        ]
        .into_iter()
        .map(|heading| Section::of_heading(heading).operation_rank())
        .collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6].map(Some));
        assert_eq!(Section::of_heading("Properties").operation_rank(), None);
    }
}
