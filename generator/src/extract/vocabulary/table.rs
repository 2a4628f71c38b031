//! What a table looks like: the kinds of table the pages have, told apart by
//! their header cells, the words a rendered header is made of, and the
//! web-link table every resource page opens with.

use crate::extract::blocks::Table;

/// The kinds of table the pages have, told apart by their header cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Properties, links (under a Links heading), members, the web-link table.
    NameDescription,
    /// Query parameters and request bodies.
    NameDescriptionRequired,
    LinkDescription,
    /// Response bodies.
    ItemDescription,
    ScopePermissionDescription,
    ResourcePrioritySenderReason,
    ErrorCodeSubcodeDescription,
}

impl TableKind {
    /// The kind of a header, ignoring case, bold, and a trailing `?` or `:`.
    pub fn of(header: &[String]) -> Option<TableKind> {
        let words: Vec<String> = header
            .iter()
            .map(|cell| {
                cell.trim()
                    .trim_end_matches(['?', ':'])
                    .trim()
                    .to_lowercase()
            })
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["name", "description"] => Some(TableKind::NameDescription),
            ["name", "description", "required"] => Some(TableKind::NameDescriptionRequired),
            ["link", "description"] => Some(TableKind::LinkDescription),
            ["item", "description"] => Some(TableKind::ItemDescription),
            ["scope", "permission", "description"] => Some(TableKind::ScopePermissionDescription),
            ["resource", "priority", "sender", "reason"] => {
                Some(TableKind::ResourcePrioritySenderReason)
            }
            ["error", "code", "subcode", "description"] => {
                Some(TableKind::ErrorCodeSubcodeDescription)
            }
            _ => None,
        }
    }

    pub fn of_table(table: &Table) -> Option<TableKind> {
        TableKind::of(&table.header)
    }
}

/// Column names that appear in UCWA table headers. The page content is
/// English even when the chrome around it is not, so this list is evidence,
/// not a translation table.
pub const COLUMN_WORDS: &[&str] = &[
    "Name",
    "Description",
    "Required?",
    "Required",
    "Link",
    "Error",
    "Code",
    "Subcode",
    "Resource",
    "Priority",
    "Sender",
    "Reason",
    "Scope",
    "Permission",
    "Item",
    "Value",
    "Type",
    "Parameter",
    "Member",
    "Property",
    "Default",
];

/// Columns whose cells are free text and may hold spaces; every other column
/// holds a single token in the rendered form.
const FREE_TEXT_COLUMNS: &[&str] = &["Description", "Reason", "Permission"];

pub fn is_free_text_column(column: &str) -> bool {
    FREE_TEXT_COLUMNS.contains(&column)
}

/// A rendered table header: two to six column words, one of them free text
/// (`Name Description`, `Error Code Subcode Description`).
pub fn is_spaced_header(trimmed: &str) -> bool {
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    (2..=6).contains(&words.len())
        && words.iter().all(|word| COLUMN_WORDS.contains(word))
        && words.iter().any(|word| is_free_text_column(word))
}

/// A header whose column words are run together, as the old MSDN layout
/// shows them (`NameDescription`, `ErrorCodeSubcodeDescription`): the words,
/// when they make a known kind of table.
pub fn run_together_header(line: &str) -> Option<Vec<String>> {
    let mut rest = line.trim();
    if rest.contains(char::is_whitespace) {
        return None;
    }
    let mut columns = Vec::new();
    while !rest.is_empty() {
        // The longest column word first: `Required?` before `Required`.
        let word = COLUMN_WORDS
            .iter()
            .filter(|word| rest.starts_with(**word))
            .max_by_key(|word| word.len())?;
        columns.push(word.to_string());
        rest = &rest[word.len()..];
    }
    (columns.len() >= 2 && TableKind::of(&columns).is_some()).then_some(columns)
}

/// The rel/href table every resource page opens with ("Web Link"): it lists
/// the two JSON keys of every resource, not the resource's properties. Told
/// by its rows, or by the sentence right above it.
pub fn is_web_link_table(table: &Table, sentence_before: Option<&str>) -> bool {
    sentence_before.is_some_and(is_web_link_intro)
        || !table.rows.is_empty()
            && table.rows.iter().all(|row| {
                row.cells
                    .first()
                    .is_some_and(|cell| matches!(cell.text.as_str(), "rel" | "href"))
            })
}

/// "For more on web links, see Web links.": the sentence above the web-link table.
pub fn is_web_link_intro(text: &str) -> bool {
    let words = text.trim_start().to_lowercase();
    words.starts_with("for more") && words.contains("web link")
}

/// A row of the web-link table read as prose, where a page begins in the
/// middle of that table: `href The location of this resource on the server,
/// ...` (or `|href|The location ...|` in markdown).
pub fn is_web_link_row(text: &str) -> bool {
    let cells: Vec<&str> = text
        .split(['|', ' '])
        .filter(|word| !word.is_empty())
        .collect();
    let description = cells.get(1..).unwrap_or_default().join(" ").to_lowercase();
    matches!(cells.first(), Some(&("rel" | "href")))
        && (description.starts_with("the resource that this link points to")
            || description.starts_with("the location of this resource"))
}

/// "This resource can have the following relationships.": the sentence above the links table.
pub fn is_relationships_sentence(text: &str) -> bool {
    text.to_lowercase()
        .contains("can have the following relationships")
}

/// "The errors below (if any) are specific to this resource. ..."
pub fn is_errors_sentence(text: &str) -> bool {
    text.to_lowercase().starts_with("the errors below")
}

/// "The response from a GET request contains the properties and links ..."
pub fn is_response_sentence(text: &str) -> bool {
    text.to_lowercase().starts_with("the response from a")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_kinds_ignore_bold_case_and_question_marks() {
        let header = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            TableKind::of(&header(&["Name", "Description", "Required?"])),
            Some(TableKind::NameDescriptionRequired)
        );
        assert_eq!(
            TableKind::of(&header(&["error", "Code", "Subcode", "Description"])),
            Some(TableKind::ErrorCodeSubcodeDescription)
        );
        assert_eq!(TableKind::of(&header(&["Name"])), None);
    }

    #[test]
    fn web_link_rows_are_known_by_their_descriptions() {
        assert!(is_web_link_row(
            "href The location of this resource on the server, and the target of an HTTP operation."
        ));
        assert!(is_web_link_row(
            "|rel|The resource that this link points to. In JSON, this is the outer container.|"
        ));
        assert!(!is_web_link_row("rel The relationship of the contact."));
    }

    #[test]
    fn run_together_headers_split_into_column_words() {
        assert_eq!(
            run_together_header("NameDescriptionRequired?").unwrap(),
            ["Name", "Description", "Required?"]
        );
        assert_eq!(
            run_together_header("ResourcePrioritySenderReason").unwrap(),
            ["Resource", "Priority", "Sender", "Reason"]
        );
        assert_eq!(run_together_header("NameValue"), None);
        assert_eq!(run_together_header("Name Description"), None);
    }

    #[test]
    fn spaced_headers_are_column_words_with_free_text() {
        assert!(is_spaced_header("Scope Permission Description"));
        assert!(!is_spaced_header("Name Value"));
        assert!(!is_spaced_header("Description"));
    }
}
