//! What a section heading announces, judged by its words. One classifier
//! serves the interpreter and the recovery of damaged rendered pages, so the
//! two never disagree about a heading.

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
    Operation,
    QueryParameters,
    RequestBody,
    ResponseBody,
    Errors,
    Examples,
    Example(SampleFormat, Direction),
    Other(String),
}

impl Section {
    pub fn of_heading(text: &str) -> Section {
        let words = text.trim().trim_end_matches(':').trim().to_lowercase();
        if Method::parse(&words).is_some() {
            return Section::Operation;
        }
        let example = |format, direction| Section::Example(format, direction);
        match words.as_str() {
            "json request" => return example(SampleFormat::Json, Direction::Request),
            "json response" => return example(SampleFormat::Json, Direction::Response),
            "xml request" => return example(SampleFormat::Xml, Direction::Request),
            "xml response" => return example(SampleFormat::Xml, Direction::Response),
            "events" => return Section::Events,
            "operations" => return Section::Operations,
            "resource description" => return Section::ResourceDescription,
            _ => {}
        }
        if words.starts_with("web link") {
            Section::WebLink
        } else if words.starts_with("propert") {
            Section::Properties
        } else if words.starts_with("link") {
            Section::Links
        } else if words.contains("scope") {
            Section::Scopes
        } else if words.starts_with("member") {
            Section::Members
        } else if words.contains("query param") {
            Section::QueryParameters
        } else if words.contains("request body") {
            Section::RequestBody
        } else if words.contains("response body") {
            Section::ResponseBody
        } else if words.contains("error") {
            Section::Errors
        } else if words.starts_with("example") {
            Section::Examples
        } else {
            Section::Other(words)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_judged_by_their_words() {
        let cases = [
            ("Propertie", Section::Properties),
            ("Web link", Section::WebLink),
            ("GET", Section::Operation),
            ("Post", Section::Operation),
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
