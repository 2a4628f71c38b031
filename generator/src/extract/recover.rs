//! Recovers headings that a damaged rendered page lost, from the evidence left.
//!
//! A damaged page can lose its title and section headings while its tables,
//! sentences and samples survive. Each table kind has a distinctive header, the
//! links table is introduced by "This resource can have the following
//! relationships.", samples carry the resource's `rel` and the event's `type`,
//! and a request line names its method. From that evidence this module
//! inserts the headings the interpreter needs, with the words it recognises,
//! and says what it inferred. A page whose headings are all there is left
//! untouched: every rule below fires only where its heading is missing.
//!
//! The rules, each firing only where its heading is missing:
//! - title: the last path segment of a sample request URL, else the least
//!   indented `rel` of a response sample (JSON, or XML `<resource rel>`), else
//!   the event table's resource when all its rows agree;
//! - Properties: the first Name/Description table that is not the rel/href
//!   web-link table and sits in no section (or under "Resource description");
//!   on a page with no resource evidence at all it is Members instead;
//! - Links: a Link/Description table, placed before the relationships sentence;
//! - Events and the event type: an event table; the type from the `"type"` of
//!   its sample, else from its reason ("is added", "... when it completes");
//! - an operation's subsections: Query parameters / Request body from a
//!   Name/Description/Required table (two in a row: the query parameters
//!   first; one alone: a request body when its rows give types), Response
//!   body from an Item/Description table or "The response from a GET request
//!   ...", Synchronous errors from "The errors below ..." or an errors table;
//! - the method (and Operations): an operation's subsections with no method
//!   heading; the method from its sample request line, else from "a GET request";
//! - JSON/XML Request/Response: an operation's HTTP sample or bare body; the
//!   format from its headers or body, else from its place (JSON pair first).
//!
//! Last, headings under Events that the vocabulary does not know (`Added`)
//! are typed as event headings, so the interpreter gets typed sections only.
//!
//! Samples of a damaged page may not parse (lost braces), so they are scanned
//! as text, never parsed.

use super::blocks::{Block, Table};
use super::vocabulary::{
    is_errors_sentence, is_http_start_line, is_relationships_sentence, is_response_sentence,
    is_web_link_table, Section, TableKind,
};
use crate::schema::{Method, SampleFormat};

/// Inserts the headings that evidence shows are missing; returns one note per inferred fact.
pub fn missing_headings(blocks: &mut Vec<Block>) -> Vec<String> {
    let mut notes = Vec::new();
    recover_title(blocks, &mut notes);
    recover_properties(blocks, &mut notes);
    recover_links(blocks, &mut notes);
    recover_events(blocks, &mut notes);
    recover_operation_subsections(blocks, &mut notes);
    recover_operations(blocks, &mut notes);
    recover_sample_headings(blocks, &mut notes);
    type_event_headings(blocks);
    notes
}

/// Types the headings under Events that the vocabulary does not know
/// (`Added`, `completed`, ...) as event headings, up to the operations.
/// The title is not a section, even when it reads `events`.
fn type_event_headings(blocks: &mut [Block]) {
    let title = blocks
        .iter()
        .position(|block| matches!(block, Block::Heading { level: 1, .. }));
    let mut in_events = false;
    for (at, block) in blocks.iter_mut().enumerate() {
        let Block::Heading { section, .. } = block else {
            continue;
        };
        if Some(at) <= title {
            continue;
        }
        match section {
            Section::Events => in_events = true,
            Section::Operations | Section::Operation(_) => in_events = false,
            Section::Other(words) if in_events => *section = Section::Event(words.clone()),
            _ => {}
        }
    }
}

fn heading(text: &str, line: usize) -> Block {
    Block::heading(0, text, line)
}

/// Section headings other than the page title.
fn section_of(block: &Block) -> Option<Section> {
    match block {
        Block::Heading { level, section, .. } if *level != 1 => Some(section.clone()),
        _ => None,
    }
}

/// Each block with its position and the position of the nearest section
/// heading before it, found in one pass: scanning back from every table made
/// pages with many tables quadratic.
fn with_heading_before(blocks: &[Block]) -> impl Iterator<Item = (usize, &Block, Option<usize>)> {
    let mut last_heading = None;
    blocks.iter().enumerate().map(move |(at, block)| {
        let heading_before = last_heading;
        if matches!(block, Block::Heading { level, .. } if *level != 1) {
            last_heading = Some(at);
        }
        (at, block, heading_before)
    })
}

fn is_kind(table: &Table, kind: TableKind) -> bool {
    TableKind::of_table(table) == Some(kind)
}

/// Puts each block before the block now at its position (after the last block
/// when past the end), equal positions in the order given. One merge pass:
/// inserting one by one shifts the rest of the page each time.
fn inserting(blocks: &mut Vec<Block>, mut insertions: Vec<(usize, Block)>) {
    if insertions.is_empty() {
        return;
    }
    insertions.sort_by_key(|(at, _)| *at);
    let mut insertions = insertions.into_iter().peekable();
    let mut merged = Vec::with_capacity(blocks.len() + insertions.len());
    for (at, block) in std::mem::take(blocks).into_iter().enumerate() {
        while let Some((_, inserted)) = insertions.next_if(|(position, _)| *position <= at) {
            merged.push(inserted);
        }
        merged.push(block);
    }
    merged.extend(insertions.map(|(_, inserted)| inserted));
    *blocks = merged;
}

// ---------------------------------------------------------------- title

fn recover_title(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    if blocks.is_empty()
        || blocks
            .iter()
            .any(|block| matches!(block, Block::Heading { level: 1, .. }))
    {
        return;
    }
    let Some((name, evidence)) = resource_name_evidence(blocks) else {
        return;
    };
    let line = blocks[0].line();
    blocks.insert(0, Block::heading(1, name.clone(), line));
    notes.push(format!(
        "title: resource name {name} inferred from {evidence}"
    ));
}

/// The resource's own name, from the best evidence there is: the last path
/// segment of a sample request's URL, else the top-level `rel` of a response
/// sample, else the resource of the event table when all its rows agree.
fn resource_name_evidence(blocks: &[Block]) -> Option<(String, String)> {
    let samples = || {
        blocks.iter().filter_map(|block| match block {
            Block::Code { text, line } => Some((text.as_str(), *line)),
            _ => None,
        })
    };
    let from_url = samples().find_map(|(text, line)| {
        let name = request_url_name(text)?;
        Some((
            name.to_string(),
            format!("the URL of the sample request at line {line}"),
        ))
    });
    let from_rel = || {
        samples().find_map(|(text, line)| {
            if !text.trim_start().starts_with("HTTP/") {
                return None;
            }
            // The resource's own rel is the least indented one; nested links are deeper.
            let json_rel = text
                .lines()
                .filter_map(|l| {
                    string_values(l, "rel")
                        .first()
                        .map(|value| (l.len() - l.trim_start().len(), *value))
                })
                .min_by_key(|(indent, _)| *indent)
                .map(|(_, rel)| (rel, "JSON"));
            let (rel, form) = json_rel.or_else(|| {
                text.lines()
                    .find_map(xml_resource_rel)
                    .map(|rel| (rel, "XML"))
            })?;
            Some((
                rel.to_string(),
                format!("the rel of the {form} response sample at line {line}"),
            ))
        })
    };
    from_url
        .or_else(from_rel)
        .or_else(|| event_table_resource(blocks))
}

/// `Post https://host/ucwa/v1/applications/192/invitations/665/acceptWithAnswer HTTP/1.1` → `acceptWithAnswer`.
fn request_url_name(sample: &str) -> Option<&str> {
    let first = sample.lines().next()?.trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let [method, url, version] = words.as_slice() else {
        return None;
    };
    if Method::parse(method).is_none() || !version.starts_with("HTTP/") {
        return None;
    }
    let path = url.split(['?', '#']).next()?.trim_end_matches('/');
    let segment = path.rsplit('/').next()?;
    let identifier = segment.starts_with(|c: char| c.is_ascii_alphabetic())
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    (identifier && path.contains('/')).then_some(segment)
}

fn event_table_resource(blocks: &[Block]) -> Option<(String, String)> {
    let event_resources: Vec<(&str, usize)> = blocks
        .iter()
        .filter_map(|block| match block {
            Block::Table(table) if is_kind(table, TableKind::ResourcePrioritySenderReason) => {
                Some(table)
            }
            _ => None,
        })
        .flat_map(|table| {
            table
                .rows
                .iter()
                .filter_map(|row| row.cells.first().map(|cell| (cell.text.as_str(), row.line)))
        })
        .collect();
    let (first, line) = *event_resources.first()?;
    (!first.is_empty() && event_resources.iter().all(|(name, _)| *name == first)).then(|| {
        (
            first.to_string(),
            format!("the resource of the event table at line {line}"),
        )
    })
}

/// Every string value of `"key" : "value"` in a (possibly damaged, possibly
/// one-line) JSON text, in order, read as text rather than parsed.
fn string_values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let quoted_key = format!("\"{key}\"");
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&quoted_key) {
        rest = &rest[at + quoted_key.len()..];
        let value = rest
            .trim_start()
            .strip_prefix(':')
            .map(str::trim_start)
            .and_then(|after| after.strip_prefix('"'))
            .and_then(|after| after.find('"').map(|end| &after[..end]));
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            values.push(value);
        }
    }
    values
}

/// `rel` of a `<resource rel="x" ...>` element.
fn xml_resource_rel(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("<resource")?;
    let rest = &rest[rest.find(" rel=\"")? + 6..];
    let value = &rest[..rest.find('"')?];
    (!value.is_empty()).then_some(value)
}

// ---------------------------------------------------------------- properties

fn recover_properties(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let resource_page = is_resource_page(blocks);
    let found = with_heading_before(blocks).find_map(|(at, block, heading_before)| match block {
        Block::Table(table)
            if is_kind(table, TableKind::NameDescription)
                && !is_web_link_table_at(blocks, at, table) =>
        {
            let owner = heading_before.and_then(|heading| section_of(&blocks[heading]));
            matches!(
                owner,
                None | Some(Section::ResourceDescription | Section::WebLink)
            )
            .then_some((at, table.line))
        }
        _ => None,
    });
    let Some((at, line)) = found else { return };
    if resource_page {
        blocks.insert(at, heading("Properties", line));
        notes.push(format!(
            "Properties heading inferred from a Name/Description table at line {line} on a page with resource sections"
        ));
    } else {
        blocks.insert(at, heading("Members", line));
        notes.push(format!(
            "Members heading inferred from a Name/Description table at line {line} on a page with no resource sections"
        ));
    }
}

/// The web-link table, by its rows or the sentence right above it.
fn is_web_link_table_at(blocks: &[Block], at: usize, table: &Table) -> bool {
    let sentence_before = at.checked_sub(1).and_then(|before| match &blocks[before] {
        Block::Paragraph { text, .. } => Some(text.as_str()),
        _ => None,
    });
    is_web_link_table(table, sentence_before)
}

fn is_resource_page(blocks: &[Block]) -> bool {
    blocks.iter().enumerate().any(|(at, block)| match block {
        Block::Table(table) => {
            is_web_link_table_at(blocks, at, table)
                || is_kind(table, TableKind::LinkDescription)
                || is_kind(table, TableKind::ScopePermissionDescription)
                || is_kind(table, TableKind::ResourcePrioritySenderReason)
                || is_kind(table, TableKind::ErrorCodeSubcodeDescription)
        }
        Block::Paragraph { text, .. } => is_relationships_sentence(text),
        Block::Code { text, .. } => text.lines().next().is_some_and(is_http_start_line),
        Block::Heading { .. } => false,
    })
}

// ---------------------------------------------------------------- links

fn recover_links(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let mut insertions = Vec::new();
    for (at, block, heading_before) in with_heading_before(blocks) {
        let Block::Table(table) = block else { continue };
        if !is_kind(table, TableKind::LinkDescription) {
            continue;
        }
        if heading_before.and_then(|heading| section_of(&blocks[heading])) == Some(Section::Links) {
            continue;
        }
        let sentence = at.checked_sub(1).and_then(|before| match &blocks[before] {
            Block::Paragraph { text, line } if is_relationships_sentence(text) => {
                Some((before, text.clone(), *line))
            }
            _ => None,
        });
        match sentence {
            Some((before, text, line)) => {
                insertions.push((before, heading("Links", line)));
                notes.push(format!(
                    "Links heading inferred from '{text}' at line {line}"
                ));
            }
            None => {
                insertions.push((at, heading("Links", table.line)));
                notes.push(format!(
                    "Links heading inferred from a Link/Description table at line {}",
                    table.line
                ));
            }
        }
    }
    inserting(blocks, insertions);
}

// ---------------------------------------------------------------- events

fn recover_events(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let mut insertions = Vec::new();
    // Set by an Events heading on the page before this table, or one inserted for an earlier table.
    let mut has_events = false;
    for (at, block, heading_before) in with_heading_before(blocks) {
        if section_of(block) == Some(Section::Events) {
            has_events = true;
        }
        let Block::Table(table) = block else { continue };
        if !is_kind(table, TableKind::ResourcePrioritySenderReason) {
            continue;
        }
        // Event types are one word: Added, Updated, started, completed ...
        let has_type = heading_before.is_some_and(|heading| {
            matches!(section_of(&blocks[heading]), Some(Section::Other(_)))
                && matches!(&blocks[heading], Block::Heading { text, .. } if text.split_whitespace().count() == 1)
        });
        if has_type && has_events {
            continue;
        }
        let mut facts = Vec::new();
        if !has_events {
            insertions.push((at, heading("Events", table.line)));
            has_events = true;
            facts.push("Events heading".to_string());
        }
        let mut evidence = vec![format!("the event table at line {}", table.line)];
        if !has_type {
            if let Some((event_type, source)) = event_type_evidence(blocks, at, table) {
                insertions.push((at, heading(&capitalised(&event_type), table.line)));
                facts.push(format!("event type {event_type}"));
                evidence.push(source);
            }
        }
        if !facts.is_empty() {
            notes.push(format!(
                "{} inferred from {}",
                facts.join(" and "),
                evidence.join(" and ")
            ));
        }
    }
    inserting(blocks, insertions);
}

/// The `"type"` of the event sample that follows the table (when all agree),
/// else a past participle in the table's reason ("... was updated.").
fn event_type_evidence(blocks: &[Block], at: usize, table: &Table) -> Option<(String, String)> {
    let samples = blocks[at + 1..]
        .iter()
        .take_while(|block| !matches!(block, Block::Heading { .. } | Block::Table(_)));
    for block in samples {
        let Block::Code { text, line } = block else {
            continue;
        };
        let mut types: Vec<&str> = text
            .lines()
            .flat_map(|l| string_values(l, "type"))
            .collect();
        types.dedup();
        if let [event_type] = types.as_slice() {
            return Some((
                event_type.to_lowercase(),
                format!("the sample's \"type\" at line {line}"),
            ));
        }
    }
    let reason = &table.rows.first()?.cells.last()?.text;
    let (event_type, word) = reason_participle(reason)?;
    Some((
        event_type,
        format!("the word '{word}' in the event's reason"),
    ))
}

fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphabetic())
}

/// The event kind a reason states: the participle after a form of "to be"
/// ("... is added.", "... was updated"), else the verb that ends the reason's
/// first sentence after "when" ("... when the invitation completes." → completed).
fn reason_participle(reason: &str) -> Option<(String, &str)> {
    let words: Vec<&str> = reason.split_whitespace().collect();
    let lowercase_word =
        |word: &str| word.len() > 3 && word.chars().all(|c| c.is_ascii_lowercase());
    let after_be = words.windows(2).find_map(|pair| {
        let (be, word) = (bare(pair[0]), bare(pair[1]));
        (matches!(be, "is" | "was" | "are" | "were" | "been")
            && lowercase_word(word)
            && word.ends_with("ed"))
        .then(|| (word.to_string(), word))
    });
    let sentence_end = || {
        let when = words
            .iter()
            .position(|word| word.eq_ignore_ascii_case("when"))?;
        let last = words[when..]
            .iter()
            .find(|word| word.ends_with('.'))
            .or(words.last())?;
        let verb = bare(last);
        let stem = verb
            .strip_suffix('s')
            .filter(|stem| lowercase_word(verb) && !stem.ends_with('s'))?;
        let participle = if stem.ends_with('e') {
            format!("{stem}d")
        } else {
            format!("{stem}ed")
        };
        Some((participle, verb))
    };
    after_be.or_else(sentence_end)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- operation subsections

/// Gives the tables and sentences of an operation that lost their subsection
/// headings one, judged by the table's header or the sentence's words.
fn recover_operation_subsections(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let mut insertions = Vec::new();
    // The section of the nearest heading before, real or inserted.
    let mut owner: Option<Section> = None;
    let mut inferred_parameters = false;
    for (at, block) in blocks.iter().enumerate() {
        if let Some(section) = section_of(block) {
            owner = Some(section);
            inferred_parameters = false;
            continue;
        }
        // Samples close an operation's subsections: what follows them belongs to the next one.
        if matches!(block, Block::Code { .. })
            && owner.as_ref().is_some_and(|o| o.operation_rank().is_some())
        {
            owner = None;
        }
        let (wanted, evidence) = match block {
            Block::Table(table) => match TableKind::of_table(table) {
                Some(TableKind::ErrorCodeSubcodeDescription) => {
                    (Section::Errors, "an Error/Code/Subcode/Description table")
                }
                Some(TableKind::ItemDescription) => {
                    (Section::ResponseBody, "an Item/Description table")
                }
                Some(TableKind::NameDescriptionRequired) => {
                    let section = match &owner {
                        // Under a query parameters heading this recovery gave, a second table is the body.
                        Some(Section::QueryParameters) if inferred_parameters => {
                            Section::RequestBody
                        }
                        Some(section @ (Section::QueryParameters | Section::RequestBody)) => {
                            section.clone()
                        }
                        _ => parameters_or_body(blocks, at, table),
                    };
                    (section, "a Name/Description/Required table")
                }
                _ => continue,
            },
            Block::Paragraph { text, .. } if is_errors_sentence(text) => {
                (Section::Errors, "the sentence 'The errors below ...'")
            }
            Block::Paragraph { text, .. } if is_response_sentence(text) => (
                Section::ResponseBody,
                "the sentence 'The response from ...'",
            ),
            _ => continue,
        };
        if owner.as_ref() == Some(&wanted) {
            continue;
        }
        let line = block.line();
        let text = subsection_heading(&wanted);
        insertions.push((at, heading(text, line)));
        notes.push(format!(
            "{text} heading inferred from {evidence} at line {line}"
        ));
        inferred_parameters = wanted == Section::QueryParameters;
        owner = Some(wanted);
    }
    inserting(blocks, insertions);
}

fn subsection_heading(section: &Section) -> &'static str {
    match section {
        Section::QueryParameters => "Query parameters",
        Section::RequestBody => "Request body",
        Section::ResponseBody => "Response body",
        _ => "Synchronous errors",
    }
}

/// A Name/Description/Required table with no heading: the first of two in
/// a row lists query parameters and the second the request body; one alone is
/// a request body when its rows end in type hints ("...String"), else query
/// parameters.
fn parameters_or_body(blocks: &[Block], at: usize, table: &Table) -> Section {
    // Only up to the next table, so a page of many tables stays linear.
    let another_follows = blocks[at + 1..]
        .iter()
        .take_while(|block| !matches!(block, Block::Heading { .. } | Block::Code { .. }))
        .find_map(|block| match block {
            Block::Table(next) => Some(next),
            _ => None,
        })
        .is_some_and(|next| TableKind::of_table(next) == Some(TableKind::NameDescriptionRequired));
    let typed_rows = table.rows.iter().any(|row| {
        let mut field = crate::schema::BodyField {
            description: row
                .cells
                .get(1)
                .map(|cell| cell.text.clone())
                .unwrap_or_default(),
            ..Default::default()
        };
        super::types::apply_body_hint(&mut field);
        field.ty.is_some()
    });
    if another_follows || !typed_rows {
        Section::QueryParameters
    } else {
        Section::RequestBody
    }
}

// ---------------------------------------------------------------- operations

/// One operation's run of blocks, as far as its subsection headings show it.
struct OperationGroup {
    /// Where its method heading belongs: before its description paragraphs.
    start: usize,
    has_method: bool,
    last_rank: u8,
    /// The method of its sample request line, with the evidence.
    request: Option<(Method, String)>,
    /// The method a sentence names ("The response from a GET request ..."), weaker evidence.
    sentence: Option<(Method, String)>,
}

fn recover_operations(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let groups = operation_groups(blocks);
    let mut insertions = Vec::new();
    let mut operations_heading_needed = !blocks
        .iter()
        .any(|block| section_of(block) == Some(Section::Operations));
    for group in groups.into_iter().filter(|group| !group.has_method) {
        let Some((method, evidence)) = group.request.or(group.sentence) else {
            continue;
        };
        let line = blocks.get(group.start).map_or(0, Block::line);
        let mut fact = format!("operation {}", method.as_str());
        if operations_heading_needed {
            insertions.push((group.start, heading("Operations", line)));
            operations_heading_needed = false;
            fact = format!("Operations heading and {fact}");
        }
        insertions.push((group.start, heading(method.as_str(), line)));
        notes.push(format!("{fact} inferred from {evidence}"));
    }
    inserting(blocks, insertions);
}

fn operation_groups(blocks: &[Block]) -> Vec<OperationGroup> {
    let mut groups: Vec<OperationGroup> = Vec::new();
    let mut open = false;
    for (at, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading { level, section, .. } if *level != 1 => {
                if matches!(section, Section::Operation(_)) {
                    groups.push(OperationGroup {
                        start: at,
                        has_method: true,
                        last_rank: 0,
                        request: None,
                        sentence: None,
                    });
                    open = true;
                } else if let Some(rank) = section.operation_rank() {
                    let repeats = groups.last().is_some_and(|group| {
                        rank < group.last_rank || (rank == group.last_rank && rank < 5)
                    });
                    if !open || repeats {
                        groups.push(OperationGroup {
                            start: description_start(blocks, at),
                            has_method: false,
                            last_rank: rank,
                            request: None,
                            sentence: None,
                        });
                        open = true;
                    } else if let Some(group) = groups.last_mut() {
                        group.last_rank = rank;
                    }
                } else if section.ends_operations() {
                    open = false;
                }
            }
            Block::Code { text, line } if open => {
                if let Some(group) = groups.last_mut().filter(|group| group.request.is_none()) {
                    group.request = request_line_method(text).map(|(method, start)| {
                        (
                            method,
                            format!("the sample request line '{start}' at line {line}"),
                        )
                    });
                }
            }
            Block::Paragraph { text, line } if open => {
                if let Some(group) = groups.last_mut().filter(|group| group.sentence.is_none()) {
                    group.sentence = method_named_in(text)
                        .map(|method| (method, format!("the sentence '{text}' at line {line}")));
                }
            }
            _ => {}
        }
    }
    groups
}

/// Back over the paragraphs before a subsection heading: they describe the operation.
fn description_start(blocks: &[Block], at: usize) -> usize {
    let mut start = at;
    while start > 0 && matches!(blocks[start - 1], Block::Paragraph { .. }) {
        start -= 1;
    }
    start
}

fn request_line_method(text: &str) -> Option<(Method, &str)> {
    let first = text.lines().next()?.trim();
    if !is_http_start_line(first) || first.starts_with("HTTP/") {
        return None;
    }
    Some((Method::parse(first.split_whitespace().next()?)?, first))
}

/// "The response from a GET request contains ...": an upper-case method
/// named as the kind of request.
fn method_named_in(text: &str) -> Option<Method> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|pair| match pair {
        [word, "request"] if word.chars().all(|c| c.is_ascii_uppercase()) => Method::parse(word),
        _ => None,
    })
}

// ---------------------------------------------------------------- sample headings

/// Gives an operation's HTTP sample that lost its "JSON Request" / "XML
/// Response" heading one, from its start line (request or status) and the
/// format its headers or body show.
fn recover_sample_headings(blocks: &mut Vec<Block>, notes: &mut Vec<String>) {
    let mut insertions = Vec::new();
    // Per operation: how many request and response samples came before.
    let mut requests = 0;
    let mut responses = 0;
    let mut in_operation = false;
    // The format of the request a response answers: the sample right before it.
    let mut request_before: Option<&'static str> = None;
    for (at, block) in blocks.iter().enumerate() {
        match section_of(block) {
            Some(Section::Operation(_)) => {
                (requests, responses, in_operation) = (0, 0, true);
                request_before = None;
            }
            Some(section) if section.ends_operations() => in_operation = false,
            _ => {}
        }
        let Block::Code { text, line } = block else {
            continue;
        };
        let Some(first) = text.lines().next().map(str::trim) else {
            continue;
        };
        // A bare JSON or XML body in an operation is what it answers.
        let bare_body = first.starts_with(['{', '<']);
        if !in_operation || !(bare_body || is_http_start_line(first)) {
            continue;
        }
        let is_response = bare_body || first.starts_with("HTTP/");
        let seen = if is_response {
            &mut responses
        } else {
            &mut requests
        };
        let place = *seen;
        *seen += 1;
        let answered = if is_response {
            request_before.take()
        } else {
            None
        };
        let intro_start = description_start(blocks, at);
        let heading_format = intro_start
            .checked_sub(1)
            .and_then(|before| section_of(&blocks[before]))
            .and_then(|section| match section {
                Section::Example(SampleFormat::Json, _) => Some("JSON"),
                Section::Example(SampleFormat::Xml, _) => Some("XML"),
                _ => None,
            });
        if let Some(format) = heading_format {
            if !is_response {
                request_before = Some(format);
            }
            continue;
        }
        let direction = if is_response { "Response" } else { "Request" };
        // Pages show each operation's JSON pair, then its XML pair.
        let (format, evidence) = match (sample_format(text), place) {
            (Some(format), _) => (format, format!("its {format} content")),
            (None, _) if answered.is_some() => {
                let format = answered.unwrap_or_default();
                (format, format!("the {format} request it answers"))
            }
            (None, 0) => (
                "JSON",
                format!(
                    "its place: the first {} of the operation",
                    direction.to_lowercase()
                ),
            ),
            (None, 1) => (
                "XML",
                format!(
                    "its place: the second {} of the operation",
                    direction.to_lowercase()
                ),
            ),
            (None, _) => continue,
        };
        if !is_response {
            request_before = Some(format);
        }
        let heading_text = format!("{format} {direction}");
        insertions.push((intro_start, heading(&heading_text, *line)));
        notes.push(format!("{heading_text} heading inferred from the sample's start line at line {line} and {evidence}"));
    }
    inserting(blocks, insertions);
}

/// JSON or XML, by a `Content-Type`/`Accept` header, else by the body's first character.
fn sample_format(text: &str) -> Option<&'static str> {
    let first = text.trim_start();
    if first.starts_with('{') {
        return Some("JSON");
    }
    if first.starts_with('<') {
        return Some("XML");
    }
    let mut lines = text.lines().skip(1);
    let mut body_start = None;
    for line in lines.by_ref() {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("content-type:") || lower.starts_with("accept:") {
            if lower.contains("json") {
                return Some("JSON");
            }
            if lower.contains("xml") {
                return Some("XML");
            }
        }
        if !line.contains(':') || line.trim_start().starts_with(['{', '[', '<', '"']) {
            body_start = Some(line.trim_start());
            break;
        }
    }
    match body_start?.chars().next()? {
        '{' | '[' | '"' => Some("JSON"),
        '<' => Some("XML"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::blocks::{Cell, Row};

    fn table(header: &[&str], rows: &[&[&str]], line: usize) -> Block {
        Block::Table(Table {
            header: header.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| Row {
                    cells: cells
                        .iter()
                        .map(|c| Cell {
                            text: c.to_string(),
                            link_targets: Vec::new(),
                        })
                        .collect(),
                    line: line + 1 + i,
                })
                .collect(),
            line,
        })
    }

    fn title(text: &str, line: usize) -> Block {
        Block::heading(1, text, line)
    }

    fn paragraph(text: &str, line: usize) -> Block {
        Block::Paragraph {
            text: text.to_string(),
            line,
        }
    }

    fn code(text: &str, line: usize) -> Block {
        Block::Code {
            text: text.to_string(),
            line,
        }
    }

    fn heading_texts(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level, text, .. } => Some(format!("{level}:{text}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn damaged_json_lines_are_read_as_text() {
        assert_eq!(
            string_values("  \"rel\" : \"audioVideo\",", "rel"),
            ["audioVideo"]
        );
        assert_eq!(string_values("\"type\":\"added\"", "type"), ["added"]);
        assert_eq!(
            string_values(
                r#"{ "link" : { "rel" : "a" }, "type" : "added" }, { "type" : "updated" "#,
                "type"
            ),
            ["added", "updated"]
        );
        assert!(string_values("  \"rel\" : \"", "rel").is_empty());
        assert!(string_values("  \"href\" : \"x\"", "rel").is_empty());
        assert_eq!(
            request_url_name("Post https://h/ucwa/v1/a/192/acceptWithAnswer HTTP/1.1\nHost: h"),
            Some("acceptWithAnswer")
        );
        assert_eq!(
            request_url_name("Get https://h/ucwa/v1/conversations/137 HTTP/1.1"),
            None
        );
        assert_eq!(request_url_name("Get HTTP/1.1"), None);
        assert_eq!(
            xml_resource_rel("<resource rel=\"note\" href=\"/n\">"),
            Some("note")
        );
    }

    #[test]
    fn a_lost_title_prefers_the_response_rel_over_the_event_table() {
        let mut blocks = vec![
            paragraph("Applies to: Skype for Business 2015", 3),
            table(&["Resource", "Priority", "Sender", "Reason"], &[&["other", "High", "x", "Delivered."]], 5),
            code("HTTP/1.1 200 OK\nContent-Type: application/json\n  \"_links\" : {\n      \"rel\" : \"inner\",\n  \"rel\" : \"note\",", 9),
        ];
        let notes = missing_headings(&mut blocks);
        assert_eq!(blocks[0], title("note", 3));
        assert_eq!(
            notes[0],
            "title: resource name note inferred from the rel of the JSON response sample at line 9"
        );
    }

    #[test]
    fn a_name_description_table_on_a_page_without_resource_sections_is_members() {
        let mut blocks = vec![
            title("Color", 1),
            paragraph("Represents a color.", 3),
            table(
                &["Name", "Description"],
                &[&["Red", "Red."], &["Blue", "Blue."]],
                5,
            ),
        ];
        let notes = missing_headings(&mut blocks);
        assert_eq!(heading_texts(&blocks), ["1:Color", "0:Members"]);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn each_operation_gets_the_method_of_its_own_request_line() {
        let mut blocks = vec![
            title("thing", 1),
            heading("Operations", 2),
            paragraph("Returns the thing.", 3),
            heading("Request body", 4),
            heading("JSON Request", 5),
            code("Get https://x HTTP/1.1\nAccept: application/json", 6),
            paragraph("Changes the thing.", 8),
            heading("Request body", 9),
            heading("Response body", 10),
            paragraph("The response from a PUT request is empty.", 11),
            heading("DELETE", 12),
            heading("Request body", 13),
        ];
        let notes = missing_headings(&mut blocks);
        assert_eq!(
            heading_texts(&blocks),
            [
                "1:thing",
                "0:Operations",
                "0:GET",
                "0:Request body",
                "0:JSON Request",
                "0:PUT",
                "0:Request body",
                "0:Response body",
                "0:DELETE",
                "0:Request body"
            ]
        );
        assert_eq!(notes.len(), 2);
        assert!(notes[1].contains("the sentence 'The response from a PUT request is empty.'"));
        let mut again = blocks.clone();
        assert!(
            missing_headings(&mut again).is_empty(),
            "recovery is idempotent"
        );
        assert_eq!(again, blocks);
    }

    #[test]
    fn event_kinds_stated_by_reasons() {
        let kind = |reason: &str| reason_participle(reason).map(|(kind, _)| kind);
        assert_eq!(
            kind("Delivered when a contact is added.").as_deref(),
            Some("added")
        );
        assert_eq!(
            kind("Indicates that the modality was updated. It has changed.").as_deref(),
            Some("updated")
        );
        assert_eq!(
            kind("Delivered when the messaging invitation completes.").as_deref(),
            Some("completed")
        );
        assert_eq!(
            kind("Delivered when the call starts. More text").as_deref(),
            Some("started")
        );
        assert_eq!(kind("Indicates a change."), None);
        assert_eq!(kind(""), None);
    }

    #[test]
    fn samples_that_lost_their_heading_get_one_from_their_shape() {
        let mut blocks = vec![
            title("thing", 1),
            heading("GET", 2),
            heading("JSON Request", 3),
            code("Get https://x/thing HTTP/1.1\nAccept: application/json", 4),
            paragraph(
                "This sample is given only as an illustration of response syntax.",
                6,
            ),
            code(
                "HTTP/1.1 200 OK\nContent-Length: 10\n<resource rel=\"thing\"/>",
                8,
            ),
            // No format shown: the request a response answers gives it, else its
            // place (each operation shows its JSON pair, then its XML pair).
            code("Post https://x/thing HTTP/1.1", 12),
            code("HTTP/1.1 204 No Content", 14),
            code(
                "Post https://x/thing HTTP/1.1\nContent-Type: application/json",
                15,
            ),
            code("HTTP/1.1 204 No Content", 16),
            heading("Events", 16),
            code("{ \"type\" : \"added\" }", 18),
        ];
        let notes = missing_headings(&mut blocks);
        assert_eq!(
            heading_texts(&blocks),
            [
                "1:thing",
                "0:GET",
                "0:JSON Request",
                "0:XML Response",
                "0:XML Request",
                "0:XML Response",
                "0:JSON Request",
                "0:JSON Response",
                "0:Events"
            ]
        );
        assert!(
            matches!(&blocks[5], Block::Paragraph { line: 6, .. }),
            "the heading goes before the sample's caption"
        );
        assert_eq!(notes.len(), 5, "{notes:#?}");
        assert!(
            notes[1].contains("its place: the second request"),
            "{}",
            notes[1]
        );
        assert!(
            notes[2].contains("the XML request it answers"),
            "{}",
            notes[2]
        );
        assert_eq!(sample_format("HTTP/1.1 204 No Content"), None);
    }

    #[test]
    fn insertions_go_before_their_position_in_the_order_given() {
        let mut blocks = vec![paragraph("a", 1), paragraph("b", 2)];
        inserting(
            &mut blocks,
            vec![
                (1, heading("second", 2)),
                (0, heading("first", 1)),
                (1, heading("third", 2)),
                (9, heading("last", 3)),
            ],
        );
        let order: Vec<&str> = blocks
            .iter()
            .map(|block| match block {
                Block::Heading { text, .. } | Block::Paragraph { text, .. } => text.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(order, ["first", "a", "second", "third", "b", "last"]);
    }

    #[test]
    fn headings_under_events_are_typed_as_events_up_to_the_operations() {
        let mut blocks = vec![
            title("events", 1),
            heading("Added", 2),
            heading("Events", 3),
            heading("Added", 4),
            heading("Operations", 5),
            heading("Added", 6),
        ];
        missing_headings(&mut blocks);
        let sections: Vec<Option<Section>> = blocks.iter().map(section_of).collect();
        assert_eq!(
            sections,
            [
                None,
                Some(Section::Other("added".into())),
                Some(Section::Events),
                Some(Section::Event("added".into())),
                Some(Section::Operations),
                Some(Section::Other("added".into())),
            ]
        );
    }

    #[test]
    fn nothing_to_recover_without_evidence() {
        let mut empty = Vec::new();
        assert!(missing_headings(&mut empty).is_empty());
        let mut prose = vec![paragraph("Just some text.", 1), paragraph("More text.", 3)];
        assert!(missing_headings(&mut prose).is_empty());
        assert_eq!(prose.len(), 2);
    }
}
