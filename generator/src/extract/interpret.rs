//! Blocks → schema document.
//!
//! Both page forms arrive here as the same blocks, their headings already
//! typed as sections by the [`vocabulary`](super::vocabulary) and, for event
//! headings, by [`recover`](super::recover): never by their level (real pages
//! put `## GET` next to `### POST`, and rendered text has no levels at all).
//! A table's header is evidence of what it lists even when its heading is
//! missing or misspelt.

use super::blocks::{Block, Row, Table};
use super::samples::{self, parse_example};
use super::vocabulary::{
    is_applies_to, is_none, is_web_link_intro, is_web_link_row, is_web_link_table, name_from_title,
    Section, TableKind,
};
use super::Extracted;
use super::{numbers, types};
use crate::error::{Error, Warning};
use crate::schema::{
    BodyField, Direction, Document, ErrorRow, Event, Example, Kind, Link, Member, Operation,
    PageFormat, Property, QueryParameter, ResponseItem, SampleFormat, Scope, Source,
};
use std::path::Path;

pub fn document(
    path: &Path,
    format: PageFormat,
    blocks: &[Block],
    inferred: Vec<String>,
) -> Result<Extracted, Error> {
    let (title_at, title, title_line) = blocks
        .iter()
        .enumerate()
        .find_map(|(at, block)| match block {
            Block::Heading {
                level: 1, text, line, ..
            } => Some((at, text.as_str(), *line)),
            _ => None,
        })
        .ok_or_else(|| {
            let line = blocks.first().map_or(1, Block::line);
            Error::page(path, line, "expected a UCWA reference page starting with a title heading (`# name`), found none")
        })?;
    let name = name_from_title(title).ok_or_else(|| {
        Error::page(
            path,
            title_line,
            format!("expected a resource or enumeration name in the title, found `{title}`"),
        )
    })?;

    let mut page = Page::new(path);
    page.document.name = name;
    page.document.inferred = inferred;
    page.document.source = Some(Source {
        file: path
            .file_name()
            .map(|file| file.to_string_lossy().into_owned())
            .unwrap_or_default(),
        format,
    });
    for block in &blocks[title_at + 1..] {
        page.block(block);
    }
    page.close_section();

    if !page.recognised {
        return Err(Error::page(
            path,
            title_line,
            format!("expected UCWA sections (Properties, Links, Events, Operations or Members) after the title `{title}`, found none"),
        ));
    }
    let mut document = page.document;
    document.description = page.description.join(" ");
    if page.saw_members
        && document.operations.is_empty()
        && document.properties.is_empty()
        && document.links.is_empty()
    {
        document.kind = Kind::Enumeration;
    }
    for operation in &mut document.operations {
        let hints: Vec<String> = operation
            .request_body
            .iter_mut()
            .filter_map(|field| {
                let hint = types::apply_body_hint(field)?;
                Some(format!("{} `{hint}`", field.name))
            })
            .collect();
        if !hints.is_empty() {
            document.inferred.push(format!(
                "{} request body: the type hint glued to the end of each description (no type column) read as the field's type and taken out of the description: {}",
                operation.method.as_str(),
                hints.join(", ")
            ));
        }
    }
    numbers::type_numbers(&mut document.operations);
    types::infer_property_types(&mut document);
    Ok(Extracted {
        document,
        warnings: page.warnings,
    })
}

struct Page<'a> {
    path: &'a Path,
    document: Document,
    description: Vec<String>,
    warnings: Vec<Warning>,
    section: Section,
    section_line: usize,
    /// The current section got a table or said `None`.
    section_filled: bool,
    /// The latest event heading, for event tables and samples under it.
    event_type: Option<String>,
    /// Events of the latest event table still waiting for their sample.
    events_awaiting_sample: Vec<usize>,
    pending_example: Option<(SampleFormat, Direction)>,
    saw_members: bool,
    /// A heading or table the page format defines was seen.
    recognised: bool,
}

impl<'a> Page<'a> {
    fn new(path: &'a Path) -> Page<'a> {
        Page {
            path,
            document: Document::default(),
            description: Vec::new(),
            warnings: Vec::new(),
            section: Section::Intro,
            section_line: 1,
            section_filled: false,
            event_type: None,
            events_awaiting_sample: Vec::new(),
            pending_example: None,
            saw_members: false,
            recognised: false,
        }
    }

    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { section, line, .. } => self.heading(section, *line),
            Block::Paragraph { text, .. } => self.paragraph(text),
            Block::Table(table) => self.table(table),
            Block::Code { text, line } => self.code(text, *line),
        }
    }

    fn close_section(&mut self) {
        if self.section.expects_table() && !self.section_filled {
            let what = match &self.section {
                Section::Event(kind) => format!("`{kind}` event"),
                Section::QueryParameters => "Query parameters".to_string(),
                Section::RequestBody => "Request body".to_string(),
                Section::Errors => "Synchronous errors".to_string(),
                other => format!("{other:?}"),
            };
            self.warn(
                self.section_line,
                format!("expected a table (or `None`) under the {what} heading, found none"),
            );
        }
    }

    fn heading(&mut self, section: &Section, line: usize) {
        self.close_section();
        let section = section.clone();
        if !matches!(section, Section::Other(_)) {
            self.recognised = true;
        }
        match &section {
            Section::Operation(method) => {
                self.document.operations.push(Operation {
                    method: *method,
                    ..Operation::default()
                });
            }
            Section::Event(kind) => {
                self.event_type = Some(kind.clone());
                self.events_awaiting_sample.clear();
            }
            Section::Members => self.saw_members = true,
            _ => {}
        }
        self.pending_example = match section {
            Section::Example(format, direction) => Some((format, direction)),
            _ => None,
        };
        self.section = section;
        self.section_line = line;
        self.section_filled = false;
    }

    fn paragraph(&mut self, text: &str) {
        if is_none(text) {
            self.section_filled = true;
            return;
        }
        match self.section {
            // "The errors below (if any) are ..." is a complete answer on its own.
            Section::Errors => self.section_filled = true,
            // Rendered text loses the Web Link heading; its first sentence, or
            // one of its rows where the page begins in that table, marks the section.
            Section::Intro if is_web_link_intro(text) || is_web_link_row(text) => {
                self.section = Section::WebLink
            }
            Section::Intro if !is_applies_to(text) => self.description.push(text.to_string()),
            Section::Operation(_) => {
                if let Some(operation) = self.document.operations.last_mut() {
                    append_sentence(&mut operation.description, text);
                }
            }
            _ => {}
        }
    }

    fn table(&mut self, table: &Table) {
        self.section_filled = true;
        for row in &table.rows {
            if row.cells.len() < table.header.len() {
                let message = format!(
                    "table row cut off: expected {} cells ({}), found {}",
                    table.header.len(),
                    table.header.join(", "),
                    row.cells.len()
                );
                self.warn(row.line, message);
            }
        }
        let Some(kind) = TableKind::of(&table.header) else {
            let message = format!(
                "table with header `{}` is not one of the UCWA table kinds; skipped",
                table.header.join(" | ")
            );
            self.warn(table.line, message);
            return;
        };
        self.recognised = true;
        match kind {
            TableKind::ErrorCodeSubcodeDescription => self.errors(table),
            TableKind::ResourcePrioritySenderReason => self.events(table),
            TableKind::ScopePermissionDescription => {
                let scopes = table.rows.iter().map(|row| Scope {
                    name: cell(row, 0),
                    permission: cell(row, 1),
                    description: cell(row, 2),
                });
                self.document.scopes.extend(scopes);
            }
            TableKind::LinkDescription => self.links(table),
            TableKind::ItemDescription => {
                let items: Vec<_> = table
                    .rows
                    .iter()
                    .map(|row| ResponseItem {
                        item: cell(row, 0),
                        description: cell(row, 1),
                    })
                    .collect();
                if let Some(operation) = self.operation(table.line, "response body") {
                    operation.response_body.extend(items);
                }
            }
            TableKind::NameDescriptionRequired => self.name_description_required(table),
            TableKind::NameDescription => self.name_description(table),
        }
    }

    /// The operation a table or sample belongs to; warns when there is none.
    fn operation(&mut self, line: usize, what: &str) -> Option<&mut Operation> {
        if self.document.operations.is_empty() {
            self.warn(line, format!("expected a method heading (GET, POST, PUT, DELETE, OPTIONS) before this {what}, found none; skipped"));
        }
        self.document.operations.last_mut()
    }

    fn errors(&mut self, table: &Table) {
        let rows: Vec<ErrorRow> = table
            .rows
            .iter()
            .map(|row| ErrorRow {
                error: cell(row, 0),
                code: cell(row, 1).parse().ok(),
                subcode: cell(row, 2),
                description: cell(row, 3),
            })
            .collect();
        for (row, error) in table.rows.iter().zip(&rows) {
            if error.code.is_none() {
                let message = format!(
                    "expected an HTTP status code in the Code column, found `{}`",
                    cell(row, 1)
                );
                self.warn(row.line, message);
            }
        }
        if let Some(operation) = self.operation(table.line, "errors table") {
            operation.errors.extend(rows);
        }
    }

    fn events(&mut self, table: &Table) {
        let event_type = match &self.event_type {
            Some(kind) => kind.clone(),
            None => {
                self.warn(table.line, "expected an event type heading (Added, Updated, ...) before this events table, found none");
                String::new()
            }
        };
        self.events_awaiting_sample.clear();
        for row in &table.rows {
            self.events_awaiting_sample.push(self.document.events.len());
            self.document.events.push(Event {
                event_type: event_type.clone(),
                resource: cell(row, 0),
                priority: cell(row, 1),
                sender: cell(row, 2),
                reason: cell(row, 3),
                sample: None,
            });
        }
    }

    fn links(&mut self, table: &Table) {
        let links = table.rows.iter().map(|row| {
            let rel = cell(row, 0);
            let target = row
                .cells
                .first()
                .and_then(|rel| rel.link_targets.first())
                .and_then(|target| resource_of_target(target, &rel));
            Link {
                rel,
                description: cell(row, 1),
                target,
                source: String::new(),
            }
        });
        self.document.links.extend(links);
    }

    fn name_description_required(&mut self, table: &Table) {
        let required = |row: &Row| {
            cell(row, 2)
                .trim_end_matches('.')
                .eq_ignore_ascii_case("yes")
        };
        let section = self.section.clone();
        let Some(operation) = self.operation(table.line, "parameter table") else {
            return;
        };
        if section == Section::QueryParameters {
            let parameters = table.rows.iter().map(|row| QueryParameter {
                name: cell(row, 0),
                description: cell(row, 1),
                required: required(row),
                ..QueryParameter::default()
            });
            operation.query_parameters.extend(parameters);
        } else {
            let fields = table.rows.iter().map(|row| BodyField {
                name: cell(row, 0),
                description: cell(row, 1),
                required: required(row),
                ..BodyField::default()
            });
            operation.request_body.extend(fields);
        }
    }

    fn name_description(&mut self, table: &Table) {
        let pairs = table.rows.iter().map(|row| (cell(row, 0), cell(row, 1)));
        match self.section.clone() {
            Section::WebLink => {}
            Section::Properties => {
                self.document
                    .properties
                    .extend(pairs.map(|(name, description)| Property {
                        name,
                        description,
                        ..Property::default()
                    }))
            }
            Section::Members => self
                .document
                .members
                .extend(pairs.map(|(name, description)| Member { name, description })),
            Section::Links => self.links(table),
            Section::QueryParameters | Section::RequestBody | Section::ResponseBody => {
                let section = self.section.clone();
                let Some(operation) = self.operation(table.line, "table") else {
                    return;
                };
                for (name, description) in pairs {
                    match section {
                        Section::QueryParameters => {
                            operation.query_parameters.push(QueryParameter {
                                name,
                                description,
                                required: false,
                                ..QueryParameter::default()
                            })
                        }
                        Section::RequestBody => operation.request_body.push(BodyField {
                            name,
                            description,
                            ..BodyField::default()
                        }),
                        _ => operation.response_body.push(ResponseItem {
                            item: name,
                            description,
                        }),
                    }
                }
            }
            // The web-link table lists the two JSON keys of every resource.
            _ if is_web_link_table(table, None) => {}
            other => {
                let message = format!("expected a Properties, Links or Members heading before this Name/Description table, found {other:?}; skipped");
                self.warn(table.line, message);
            }
        }
    }

    fn code(&mut self, text: &str, line: usize) {
        if let Some((format, direction)) = self.pending_example.take() {
            let example = parse_example(text, format, direction);
            if let Some(operation) = self.operation(line, "sample") {
                operation.examples.push(example);
            }
            return;
        }
        if !self.events_awaiting_sample.is_empty() {
            let format = if text.trim_start().starts_with('<') {
                SampleFormat::Xml
            } else {
                SampleFormat::Json
            };
            let sample = parse_example(text, format, Direction::Response);
            for at in std::mem::take(&mut self.events_awaiting_sample) {
                if let Some(event) = self.document.events.get_mut(at) {
                    event.sample = Some(sample.clone());
                }
            }
            if self.event_type.as_deref() == Some("") || self.event_type.is_none() {
                self.fill_event_type_from(&sample);
            }
            return;
        }
        self.warn(
            line,
            "sample with no JSON/XML Request/Response heading or event table before it; skipped",
        );
    }

    /// An events table with no heading: the sample's `"type"` says which event it is.
    fn fill_event_type_from(&mut self, sample: &Example) {
        let Some(value) = samples::json_value(&sample.body) else {
            return;
        };
        let Some(kind) = find_event_type(&value) else {
            return;
        };
        for event in &mut self.document.events {
            if event.event_type.is_empty() && event.sample.as_ref() == Some(sample) {
                event.event_type = kind.clone();
            }
        }
        self.document.inferred.push(format!(
            "event type `{kind}` read from the event sample, not a heading"
        ));
    }
}

fn find_event_type(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(object) => {
            if let (Some(kind), true) = (
                object.get("type").and_then(|t| t.as_str()),
                object.contains_key("link"),
            ) {
                return Some(kind.to_string());
            }
            object.values().find_map(find_event_type)
        }
        serde_json::Value::Array(items) => items.iter().find_map(find_event_type),
        _ => None,
    }
}

fn cell(row: &Row, at: usize) -> String {
    row.cells
        .get(at)
        .map(|cell| cell.text.clone())
        .unwrap_or_default()
}

/// `contact_ref.md`, `Contact_Ref.md`, `../x/contact_ref.md` → the resource
/// name, spelt as the cell spells it when the two agree but for case.
fn resource_of_target(target: &str, cell_text: &str) -> Option<String> {
    let file = target.rsplit('/').next()?;
    let lower = file.to_ascii_lowercase();
    let stem_len = lower.strip_suffix("_ref.md")?.len();
    let stem = &file[..stem_len];
    if stem.eq_ignore_ascii_case(cell_text) {
        Some(cell_text.to_string())
    } else {
        Some(stem.to_string())
    }
}

fn append_sentence(into: &mut String, text: &str) {
    if !into.is_empty() {
        into.push(' ');
    }
    into.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_name_resources() {
        assert_eq!(
            resource_of_target("ParticipantInvitation_Ref.md", "participantInvitation").as_deref(),
            Some("participantInvitation")
        );
        assert_eq!(
            resource_of_target("contact_ref.md", "self").as_deref(),
            Some("contact")
        );
        assert_eq!(resource_of_target("WebLinks.md", "x"), None);
    }
}
