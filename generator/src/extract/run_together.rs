//! Table rows of the old MSDN layout, whose cells are run together with no
//! separator: `EveryoneEveryone is admitted…`, `Forbidden403NoneThe user…`,
//! `contactNoteMediumpeopleIndicates…`, `toThe target.StringYes`.
//!
//! Each row is split where the next cell starts, using every fact there is:
//! - the header's columns: a code is digits, a priority is High/Medium/Low,
//!   Required? is Yes/No at the very end;
//! - names the page itself uses elsewhere: JSON keys, `rel`s and XML
//!   `name`/`rel` attributes of its samples;
//! - the description conventions: a description starts with a capitalised
//!   English word (`The`, `Represents`, `A`, `SIP`), not a camel-case
//!   identifier, and often repeats the name (`EveryoneEveryone is …`).
//!
//! A split that rests on the capitalisation convention alone is a guess and
//! is reported, so the schema can say so under `inferred`.

use super::text;
use std::collections::BTreeSet;

/// Names the page uses outside its tables, read from sample text.
pub struct KnownNames(BTreeSet<String>);

impl KnownNames {
    /// JSON keys (`"message" :`), `rel` values and XML `name="…"`/`rel="…"` in `text`.
    pub fn of_page(text: &str) -> KnownNames {
        let mut names = BTreeSet::new();
        for (at, _) in text.match_indices('"') {
            let rest = &text[at + 1..];
            let Some(end) = rest.find('"') else { continue };
            let word = &rest[..end];
            let after = rest[end + 1..].trim_start();
            let before = text[..at].trim_end();
            let is_key = after.starts_with(':');
            let is_value = before.ends_with(':') || before.ends_with('=');
            if (is_key || is_value) && is_name(word) {
                names.insert(word.to_string());
            }
        }
        KnownNames(names)
    }

    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// One row split into cells, and whether a split was a guess.
pub struct Split {
    pub cells: Vec<String>,
    pub guessed: bool,
}

const PRIORITIES: &[&str] = &["High", "Medium", "Low"];

/// Splits a run-together row into the header's columns. Never fails: a row
/// that cannot be split keeps what it has as its first cell.
pub fn split_row(header: &[String], row: &str, known: &KnownNames) -> Split {
    let columns: Vec<String> = header
        .iter()
        .map(|column| column.trim_end_matches('?').to_lowercase())
        .collect();
    let mut cells = Vec::new();
    let mut guessed = false;
    let mut rest = row.trim();
    for (at, column) in columns.iter().enumerate() {
        let last = at + 1 == columns.len();
        if last {
            cells.push(text::normalise_whitespace(rest));
            break;
        }
        let next = columns[at + 1].as_str();
        // A trailing Yes/No column is read from the end.
        if next == "required" && at + 2 == columns.len() {
            let (text, required) = strip_required(rest);
            cells.push(text::normalise_whitespace(text));
            cells.push(required.to_string());
            break;
        }
        let cut = match (column.as_str(), next) {
            (_, "code") => rest.find(|c: char| c.is_ascii_digit()),
            ("code", _) => Some(
                rest.find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len()),
            ),
            (_, "priority") => PRIORITIES
                .iter()
                .filter_map(|priority| rest.find(priority).filter(|&at| at > 0))
                .min(),
            ("priority", _) => PRIORITIES
                .iter()
                .find(|priority| rest.starts_with(*priority))
                .map(|priority| priority.len()),
            ("permission", _) => sentence_after_word(rest),
            _ => {
                let (cut, sure) = name_end(rest, known);
                guessed |= !sure;
                cut
            }
        };
        let Some(cut) = cut.filter(|&cut| cut <= rest.len() && rest.is_char_boundary(cut)) else {
            cells.push(text::normalise_whitespace(rest));
            break;
        };
        cells.push(text::normalise_whitespace(&rest[..cut]));
        rest = &rest[cut..];
    }
    Split { cells, guessed }
}

/// `…by the server.StringYes` → (`…by the server.String`, `Yes`).
fn strip_required(text: &str) -> (&str, &str) {
    let trimmed = text.trim_end();
    for answer in ["Yes", "No"] {
        if let Some(before) = trimmed.strip_suffix(answer) {
            return (before, answer);
        }
    }
    (trimmed, "")
}

/// Where a name cell ends and its description starts, and whether that is
/// sure rather than read from capitalisation alone. Sure: the description
/// repeats the name (`EveryoneEveryone is`, `VoipAudioVoIP audio`), or the
/// name is one the page's samples use and the description starts with a
/// word. Else the first place where a description-like word starts: a
/// capitalised word (`The`, `Represents`, `A`) before an acronym (`SIP`).
fn name_end(text: &str, known: &KnownNames) -> (Option<usize>, bool) {
    let first_word_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let candidates: Vec<usize> = text[..first_word_end]
        .char_indices()
        .filter(|&(at, c)| at > 0 && c.is_uppercase())
        .map(|(at, _)| at)
        .filter(|&at| is_name(&text[..at]))
        .collect();
    let squashed = |part: &str| -> String {
        part.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let sure = candidates.iter().copied().find(|&at| {
        let (name, description) = text.split_at(at);
        let repeats = squashed(description).starts_with(&squashed(name));
        repeats || (known.contains(name) && description_word(description).is_some())
    });
    if sure.is_some() {
        return (sure, true);
    }
    let by = |wanted: DescriptionWord| {
        candidates
            .iter()
            .copied()
            .find(|&at| description_word(&text[at..]) == Some(wanted))
    };
    let by_capital = by(DescriptionWord::Capitalised).or_else(|| by(DescriptionWord::Acronym));
    // One word left with no sentence in it (`CallbackChannelError` over an
    // empty description) is the end of the name, not a description.
    let rest = by_capital.map(|at| &text[at..]);
    if rest.is_some_and(|rest| !rest.contains(char::is_whitespace) && !rest.ends_with('.')) {
        return (Some(text.len()), false);
    }
    (by_capital, false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DescriptionWord {
    /// `The`, `Represents`, `A`.
    Capitalised,
    /// `SIP`, `URL`.
    Acronym,
}

/// What the first word of `text` is, when it could start a description: a
/// capitalised word or an acronym, ending where the word does; not a
/// camel-case identifier (`VideoSession…`, `Pv6NotSupported…`).
fn description_word(text: &str) -> Option<DescriptionWord> {
    let word: String = text.chars().take_while(|c| c.is_alphanumeric()).collect();
    let mut chars = word.chars();
    let first = chars.next().filter(|c| c.is_uppercase())?;
    let tail: String = chars.collect();
    if tail.is_empty() {
        return matches!(first, 'A' | 'I').then_some(DescriptionWord::Capitalised);
    }
    if tail.chars().all(char::is_lowercase) {
        Some(DescriptionWord::Capitalised)
    } else if tail.chars().all(char::is_uppercase) {
        Some(DescriptionWord::Acronym)
    } else {
        None
    }
}

/// Where the sentence after a free-text cell starts: at a word whose
/// lower-case start runs into a capitalised word (`…and groupsAllows the app`).
fn sentence_after_word(text: &str) -> Option<usize> {
    let mut offset = 0;
    for word in text.split_inclusive(' ') {
        let inner = word
            .char_indices()
            .skip(1)
            .find(|&(at, c)| {
                c.is_uppercase()
                    && word[..at].ends_with(|p: char| p.is_lowercase())
                    && description_word(&word[at..]) == Some(DescriptionWord::Capitalised)
            })
            .map(|(at, _)| at);
        if let Some(at) = inner {
            return Some(offset + at);
        }
        offset += word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(columns: &[&str]) -> Vec<String> {
        columns.iter().map(|c| c.to_string()).collect()
    }

    fn cells(columns: &[&str], row: &str, known: &str) -> (Vec<String>, bool) {
        let split = split_row(&header(columns), row, &KnownNames::of_page(known));
        (split.cells, split.guessed)
    }

    #[test]
    fn names_end_where_the_description_starts() {
        let columns = ["Name", "Description"];
        assert_eq!(
            cells(&columns, "EveryoneEveryone is admitted.", ""),
            (
                vec!["Everyone".into(), "Everyone is admitted.".into()],
                false
            )
        );
        assert_eq!(
            cells(&columns, "InvitedOnly invited participants.", ""),
            (
                vec!["Invited".into(), "Only invited participants.".into()],
                true
            )
        );
        assert_eq!(
            cells(&columns, "audioVideoSessionRepresents a session.", "").0,
            ["audioVideoSession", "Represents a session."]
        );
        assert_eq!(
            cells(&columns, "messageA string.", r#"{ "message" : "hi" }"#),
            (vec!["message".into(), "A string.".into()], false)
        );
        assert_eq!(
            cells(&columns, "sipUriSIP URI of the user.", "").0,
            ["sipUri", "SIP URI of the user."]
        );
    }

    #[test]
    fn names_known_or_repeated_are_sure_and_acronyms_come_after_words() {
        let columns = ["Name", "Description"];
        // `contact` is a name the page uses, but "PhotoThe" is not a word.
        assert_eq!(
            cells(
                &columns,
                "contactPhotoThe photo of a contact.",
                r#""rel" : "contact""#
            )
            .0,
            ["contactPhoto", "The photo of a contact."]
        );
        assert_eq!(
            cells(&columns, "VoipAudioVoIP audio is preferred.", ""),
            (
                vec!["VoipAudio".into(), "VoIP audio is preferred.".into()],
                false
            )
        );
        assert_eq!(
            cells(&columns, "PCA desktop or laptop.", "").0,
            ["PC", "A desktop or laptop."]
        );
        assert_eq!(
            cells(&columns, "IPv6NotSupportedThe call is declined.", "").0,
            ["IPv6NotSupported", "The call is declined."]
        );
        assert_eq!(
            cells(&columns, "GatewayTimeoutGatewayTimeout.", "").0,
            ["GatewayTimeout", "GatewayTimeout."]
        );
    }

    #[test]
    fn every_column_kind_is_split_by_what_it_holds() {
        assert_eq!(
            cells(
                &["Error", "Code", "Subcode", "Description"],
                "ServiceFailure500InvalidExchangeServerVersionInvalid exchange server version.",
                ""
            )
            .0,
            [
                "ServiceFailure",
                "500",
                "InvalidExchangeServerVersion",
                "Invalid exchange server version."
            ]
        );
        assert_eq!(
            cells(
                &["Resource", "Priority", "Sender", "Reason"],
                "contactNoteMediumpeopleIndicates the note has changed.",
                ""
            )
            .0,
            [
                "contactNote",
                "Medium",
                "people",
                "Indicates the note has changed."
            ]
        );
        assert_eq!(
            cells(
                &["Scope", "Permission", "Description"],
                "Contacts.ReadWriteRead/write Skype user contacts and groupsAllows the app to read",
                ""
            )
            .0,
            [
                "Contacts.ReadWrite",
                "Read/write Skype user contacts and groups",
                "Allows the app to read"
            ]
        );
        assert_eq!(
            cells(
                &["Name", "Description", "Required?"],
                "toThe contact to invite.StringYes",
                ""
            )
            .0,
            ["to", "The contact to invite.String", "Yes"]
        );
    }

    #[test]
    fn rows_that_cannot_be_split_keep_their_text() {
        assert_eq!(
            cells(&["Name", "Description"], "lowercase only", "").0,
            ["lowercase only"]
        );
        assert_eq!(
            cells(&["Error", "Code", "Subcode", "Description"], "", "").0,
            [""]
        );
    }
}
