//! The tolerant search: the fewest structural tokens to add or drop so that
//! a damaged body reads as JSON that agrees with its own layout.
//!
//! [`attempt`] reads a text with the named repairs and says what it had to
//! guess (a cost) and where (suspects). Where the cost is not zero, the
//! search tries single edits near the earliest suspects and where the
//! reading failed (add one of `{ } [ ] , : "` at a token boundary, drop one
//! of them, or move one to a boundary up to a line away), keeps the edit
//! that lowers the cost most, and goes on from the edited text, a few rounds
//! at most. An edit costs as much as a guess, so the search only replaces
//! the named repairs where they explain the body worse. Every edit kept is a
//! [`RepairKind::MissingToken`], [`RepairKind::ExtraToken`] or
//! [`RepairKind::MisplacedToken`] with its line.
//!
//! Bounded: bodies over [`MAX_SEARCH_BYTES`] get the named repairs only,
//! one body gets at most [`MAX_RUNS`] readings, one suspect in one round
//! [`RUNS_PER_SUSPECT`].

use super::{attempt, Attempt, BodyRepair, RepairKind, Unrepairable};
use serde_json::Value;

/// Longer bodies are read with the named repairs alone.
const MAX_SEARCH_BYTES: usize = 64 * 1024;
/// Readings of one body, all rounds together.
const MAX_RUNS: usize = 6_000;
/// Readings around one suspect in one round, so that a suspect with many
/// candidate edits leaves the others theirs.
const RUNS_PER_SUSPECT: usize = 1_000;
/// Edits kept in one body.
const MAX_EDITS: usize = 4;
/// Suspects tried per round, earliest first, when nearer ones give nothing.
const SUSPECTS_PER_ROUND: usize = 3;
/// What an edit of the search costs, as much as a named guess.
const EDIT_COST: u32 = 2;
/// Lines before a suspect's own that its window takes in.
const LINES_BEFORE: usize = 2;
/// Lines after a suspect's own that a move's window takes in: a token
/// moved up shows where it was missing, before the line it went to.
const MOVE_LINES_AFTER: usize = 1;
/// On a long line, bytes either side of the suspect.
const WINDOW_BYTES: usize = 64;

/// The tokens the search adds or drops.
const STRUCTURAL: [char; 7] = ['"', '{', '}', '[', ']', ',', ':'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    /// The character at the first offset taken out and put back at the
    /// second (an offset in the text before the move).
    Move(usize, usize),
}

impl Edit {
    fn apply(self, text: &str) -> String {
        let mut edited = String::with_capacity(text.len() + 1);
        match self {
            Edit::Insert(at, c) => {
                edited.push_str(&text[..at]);
                edited.push(c);
                edited.push_str(&text[at..]);
            }
            Edit::Delete(at) => {
                let width = text[at..].chars().next().map_or(0, char::len_utf8);
                edited.push_str(&text[..at]);
                edited.push_str(&text[at + width..]);
            }
            Edit::Move(from, to) => {
                let c = text[from..].chars().next().unwrap_or(' ');
                let without = Edit::Delete(from).apply(text);
                let to = if to > from { to - c.len_utf8() } else { to };
                return Edit::Insert(to, c).apply(&without);
            }
        }
        edited
    }

    /// True for dropping a token written twice (`[[`, `}}`): of two edits
    /// that read as well, the likelier slip.
    fn undoubles(self, text: &str) -> bool {
        let Edit::Delete(at) = self else {
            return false;
        };
        let Some(c) = text[at..].chars().next() else {
            return false;
        };
        text[..at].ends_with(c) || text[at + c.len_utf8()..].starts_with(c)
    }

    fn repair(self, text: &str) -> BodyRepair {
        let (at, kind, detail) = match self {
            Edit::Insert(at, c) => (
                at,
                RepairKind::MissingToken,
                format!("added `{c}` {}", context(text, at)),
            ),
            Edit::Delete(at) => {
                let c = text[at..].chars().next().unwrap_or('?');
                (
                    at,
                    RepairKind::ExtraToken,
                    format!("dropped `{c}` {}", context(text, at + c.len_utf8())),
                )
            }
            Edit::Move(from, to) => {
                let c = text[from..].chars().next().unwrap_or('?');
                let line = text[..to].matches('\n').count() + 1;
                (
                    from,
                    RepairKind::MisplacedToken,
                    format!(
                        "moved `{c}` {} to line {line} {}",
                        context(text, from + c.len_utf8()),
                        context(text, to)
                    ),
                )
            }
        };
        BodyRepair {
            line: text[..at].matches('\n').count(),
            kind,
            detail,
        }
    }
}

/// `before `"href"``: the text that follows an edit, so that the line can be found.
fn context(text: &str, at: usize) -> String {
    let rest = text[at..].trim_start();
    let shown: String = rest.chars().take_while(|&c| c != '\n').take(24).collect();
    if shown.is_empty() {
        "at the end of the line".into()
    } else {
        format!("before `{}`", shown.trim_end())
    }
}

/// Reads `text` with the named repairs, and searches for fewer guesses where
/// they leave it unread or contradicted by its layout.
pub(crate) fn search(text: &str) -> Result<(Value, Vec<BodyRepair>), Unrepairable> {
    search_counting(text).0
}

/// [`search`], and how many readings it took.
fn search_counting(text: &str) -> (Result<(Value, Vec<BodyRepair>), Unrepairable>, usize) {
    let first = attempt(text);
    if first.cost == Some(0) || text.len() > MAX_SEARCH_BYTES {
        return (first.outcome, 1);
    }
    let mut current = text.to_string();
    let mut best = first;
    let mut edits: Vec<BodyRepair> = Vec::new();
    let mut runs = 0usize;
    while edits.len() < MAX_EDITS && best.cost != Some(0) && runs < MAX_RUNS {
        let base = rank(&current, &best, edits.len());
        let mut found: Option<(Rank, Edit, String, Attempt)> = None;
        'suspects: for &suspect in suspects_in_order(&current, &best).iter() {
            let mut runs_here = 0usize;
            // Moves are tried only where no single addition or drop reads perfectly.
            for edits_of_a_kind in [candidates(&current, suspect), moves(&current, suspect)] {
                for edit in edits_of_a_kind {
                    if runs >= MAX_RUNS {
                        break 'suspects;
                    }
                    if runs_here >= RUNS_PER_SUSPECT {
                        break;
                    }
                    runs += 1;
                    runs_here += 1;
                    let edited = edit.apply(&current);
                    let tried = attempt(&edited);
                    let score = rank(&edited, &tried, edits.len() + 1);
                    let better = |(lowest, chosen, ..): &(Rank, Edit, String, Attempt)| {
                        score < *lowest
                            || (score == *lowest
                                && edit.undoubles(&current)
                                && !chosen.undoubles(&current))
                    };
                    if score < base && found.as_ref().is_none_or(better) {
                        let perfect = tried.cost == Some(0);
                        found = Some((score, edit, edited, tried));
                        if perfect {
                            break 'suspects;
                        }
                    }
                }
            }
            if found.is_some() {
                break;
            }
        }
        let Some((_, edit, edited, tried)) = found else {
            break;
        };
        edits.push(edit.repair(&current));
        current = edited;
        best = tried;
    }
    let outcome = best.outcome.map(|(value, mut repairs)| {
        edits.append(&mut repairs);
        (value, edits)
    });
    (outcome, runs + 1)
}

/// Lower is better: a reading that ends beats one that fails, a failure on
/// a later line beats an earlier one, then the fewer guesses and edits (for
/// a failure, the guesses on the way to it), then a failure further along
/// its line. Lines before guesses: an edit that gets a byte further by
/// reading the text as something else (`"rel" : ["contact", ...`) guesses
/// much more on the way.
type Rank = (bool, usize, u32, usize);

fn rank(text: &str, attempt: &Attempt, edits: usize) -> Rank {
    let edits = EDIT_COST * edits as u32;
    match attempt.cost {
        Some(cost) => (false, 0, cost + edits, 0),
        None => {
            let reached = attempt.reached.min(text.len());
            let lines_left = text[reached..].matches('\n').count();
            (
                true,
                lines_left,
                attempt.guessed + edits,
                text.len() - reached,
            )
        }
    }
}

/// Where a round searches, earliest first: the earliest suspects, one per
/// line, and always where the reading failed, if it did (the damage that
/// stops it is there or just before, while an earlier suspect may be one
/// the named repairs already read well).
fn suspects_in_order(text: &str, attempt: &Attempt) -> Vec<usize> {
    let mut chosen = first_lines(text, &attempt.suspects);
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count();
    let failed_at = attempt.reached.min(text.len());
    if attempt.cost.is_none() && !chosen.iter().any(|&at| line(at) == line(failed_at)) {
        chosen.truncate(SUSPECTS_PER_ROUND - 1);
        chosen.push(failed_at);
        chosen.sort_unstable();
    }
    chosen
}

/// The earliest suspects, one per line.
fn first_lines(text: &str, suspects: &[usize]) -> Vec<usize> {
    let mut lines_seen: Vec<usize> = Vec::new();
    let mut chosen = Vec::new();
    for &suspect in suspects {
        let line = text[..suspect.min(text.len())].matches('\n').count();
        if !lines_seen.contains(&line) {
            lines_seen.push(line);
            chosen.push(suspect.min(text.len()));
        }
        if chosen.len() == SUSPECTS_PER_ROUND {
            break;
        }
    }
    chosen
}

/// The edits tried around `suspect`, nearest first: in its line and the
/// [`LINES_BEFORE`] non-blank lines above (damage shows where it is read,
/// at or after where it is), drop a structural character, or add one at a
/// token boundary.
fn candidates(text: &str, suspect: usize) -> Vec<Edit> {
    let mut positions = boundaries(text, suspect, 0);
    // Nearest first; before the suspect ahead of after it at the same distance.
    positions.sort_by_key(|&at| (at.abs_diff(suspect), at > suspect));
    let mut edits = Vec::new();
    for &at in &positions {
        if starts_structural(text, at) {
            edits.push(Edit::Delete(at));
        }
        edits.extend(STRUCTURAL.iter().map(|&c| Edit::Insert(at, c)));
    }
    // A token written twice first: the search stops at the first edit that
    // reads perfectly, and of equals this is the likelier slip.
    edits.sort_by_key(|edit| !edit.undoubles(text));
    edits
}

/// Each structural character of the window moved to each boundary of the
/// window: a token written one place too early or too late.
fn moves(text: &str, suspect: usize) -> Vec<Edit> {
    let positions = boundaries(text, suspect, MOVE_LINES_AFTER);
    let mut sources: Vec<usize> = positions
        .iter()
        .copied()
        .filter(|&at| starts_structural(text, at))
        .collect();
    sources.sort_by_key(|&at| at.abs_diff(suspect));
    let mut edits = Vec::new();
    for from in sources {
        let width = text[from..].chars().next().map_or(1, char::len_utf8);
        let mut targets: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&to| to != from && to != from + width)
            .collect();
        targets.sort_by_key(|&to| to.abs_diff(from));
        edits.extend(targets.into_iter().map(|to| Edit::Move(from, to)));
    }
    edits
}

/// The token boundaries of the window around `suspect`, in text order.
fn boundaries(text: &str, suspect: usize, lines_after: usize) -> Vec<usize> {
    let (start, end) = window(text, suspect, lines_after);
    (start..=end)
        .filter(|&at| text.is_char_boundary(at) && is_boundary(text, at))
        .collect()
}

/// True when one of `{ } [ ] , : "` starts at `at`.
fn starts_structural(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| STRUCTURAL.contains(&c))
}

/// The bytes around `suspect` the search looks at: its line, the
/// [`LINES_BEFORE`] non-blank lines above and `lines_after` lines below.
fn window(text: &str, suspect: usize, lines_after: usize) -> (usize, usize) {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let mut start = line_start(suspect);
    let mut taken = 0;
    while start > 0 && taken < LINES_BEFORE {
        start = line_start(start - 1);
        if !text[start..]
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .is_empty()
        {
            taken += 1;
        }
    }
    let line_end = |at: usize| {
        text[at..]
            .find('\n')
            .map_or(text.len(), |newline| at + newline)
    };
    let mut end = line_end(suspect);
    for _ in 0..lines_after {
        if end < text.len() {
            end = line_end(end + 1);
        }
    }
    let mut start = start.max(suspect.saturating_sub(WINDOW_BYTES));
    let reach = WINDOW_BYTES * (1 + lines_after);
    let mut end = end.min(suspect + reach).min(text.len());
    while !text.is_char_boundary(start) {
        start += 1;
    }
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (start, end)
}

/// Where a token could be missing: between two characters of different
/// kinds (space, word, punctuation), or next to punctuation.
fn is_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    let class = |c: Option<char>| match c {
        None => 0,
        Some(c) if c.is_whitespace() => 1,
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => 2,
        Some(_) => 3,
    };
    class(before) != class(after) || class(before) == 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> (Value, Vec<(usize, &'static str)>) {
        let (value, repairs) = search(text).unwrap_or_else(|e| panic!("{e:?}"));
        let kinds = repairs.iter().map(|r| (r.line, r.kind.name())).collect();
        (value, kinds)
    }

    const LINK: &str = "{\n  \"_links\" : {\n    \"self\" : {\n      \"href\" : \"/ucwa/v1/me\"\n    },\n    \"note\" : {\n      \"href\" : \"/ucwa/v1/me/note\"\n    }\n  },\n  \"rel\" : \"me\"\n}";

    fn original() -> Value {
        serde_json::from_str(LINK).unwrap()
    }

    #[test]
    fn a_missing_opening_brace_is_added_where_the_key_is() {
        let damaged = LINK.replacen("\"self\" : {", "\"self\" : ", 1);
        let (value, repairs) = read(&damaged);
        assert_eq!(value, original());
        // Before `"href"`, on the line after `"self" :`: the same value.
        assert_eq!(repairs, vec![(3, "missing-token")]);
    }

    #[test]
    fn a_missing_closing_brace_goes_where_the_indentation_says() {
        // Without the layout the `}` would be added at the end, and `note`
        // would be read inside `self`.
        let damaged = LINK.replacen("    },", "    ,", 1);
        let (value, repairs) = read(&damaged);
        assert_eq!(value, original());
        assert_eq!(repairs, vec![(4, "missing-token")]);
    }

    #[test]
    fn a_key_without_its_colon_or_its_closing_quote() {
        let (value, repairs) = read(&LINK.replacen("\"self\" : {", "\"self\" {", 1));
        assert_eq!(value, original());
        assert_eq!(repairs, vec![(2, "missing-token")]);
        let (value, repairs) = read(&LINK.replacen("\"rel\" :", "\"rel :", 1));
        assert_eq!(value, original());
        assert_eq!(repairs, vec![(9, "missing-token")]);
    }

    #[test]
    fn a_doubled_token_is_dropped() {
        let (value, repairs) = read(&LINK.replacen(
            "\"href\" : \"/ucwa/v1/me\"",
            "\"href\" :: \"/ucwa/v1/me\"",
            1,
        ));
        assert_eq!(value, original());
        assert_eq!(repairs, vec![(3, "extra-token")]);
        let (value, _) = read(&LINK.replacen("    },", "    }},", 1));
        assert_eq!(value, original());
    }

    #[test]
    fn a_doubled_bracket_is_dropped_rather_than_matched() {
        // `[[` reads as well with a `]` added; the slip is the doubled one.
        let text = "{\n  \"a\" : [[\n    \"x\"\n  ],\n  \"b\" : 1\n}";
        let (value, repairs) = read(text);
        assert_eq!(value, json!({"a": ["x"], "b": 1}));
        assert_eq!(repairs, vec![(1, "extra-token")]);
    }

    #[test]
    fn two_damages_far_apart_are_both_repaired() {
        // A colon moved into the string after it, and a quote moved behind
        // the next string: the first failure is searched before the earlier
        // guesses, and a misread key or string weighs even where the
        // reading fails later.
        let text = "{\n  \"company\"  \"Contoso:\",\n  \"department\" : \"Engineering\",\n  \"title\" : \"Engineer\",\n  \"name : \"Alex Doe\"\",\n  \"type\" : \"User\"\n}";
        let (value, repairs) = read(text);
        assert_eq!(
            value,
            json!({"company": "Contoso", "department": "Engineering", "title": "Engineer", "name": "Alex Doe", "type": "User"})
        );
        assert_eq!(
            repairs,
            vec![(1, "misplaced-token"), (4, "misplaced-token")]
        );
    }

    #[test]
    fn what_the_named_repairs_read_well_is_left_to_them() {
        let (value, repairs) = read("{\"a\": [1, 2,], \"b\": {...}}");
        assert_eq!(value, json!({"a": [1, 2], "b": {}}));
        assert_eq!(
            repairs,
            vec![(0, "trailing-comma"), (0, "elided-container")]
        );
    }

    #[test]
    fn the_search_is_bounded() {
        // Every line wrong: no edit helps, and the readings stop at the bound.
        let hopeless = "{\n".to_string() + &"a b c d e\n".repeat(2_000);
        let (outcome, runs) = search_counting(&hopeless);
        assert!(outcome.is_err());
        assert!(runs <= MAX_RUNS + 1, "{runs} readings");
        assert!(runs > 1, "the search ran");
        let too_long = format!("[{}", "1,".repeat(MAX_SEARCH_BYTES));
        assert_eq!(search_counting(&too_long).1, 1);
        assert_eq!(Edit::Insert(0, '{').apply("}"), "{}");
        assert_eq!(Edit::Delete(1).apply("a…b"), "ab");
    }
}
