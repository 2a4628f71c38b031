//! Rendered page text: blocks from hand-written fixtures in both table
//! renderings, recovery of a damaged page, and whole-page extraction of the
//! rendered seeds.

use std::path::{Path, PathBuf};
mod extract_support;

use extract_support::{corpus_pages, facts, shared};
use ucwa_codegen::extract::blocks::{Block, Table};
use ucwa_codegen::extract::{extract_page, markdown, recover, rendered};
use ucwa_codegen::schema::{Document, Kind, Method};

fn fixture(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rendered")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

fn seed(prefix: &str) -> Option<PathBuf> {
    let dir = shared("seeds")?;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    paths.into_iter().find(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
    })
}

fn extract(path: &Path) -> Document {
    let bytes = std::fs::read(path).unwrap();
    extract_page(path, &bytes)
        .unwrap_or_else(|e| panic!("{e}"))
        .document
}

fn tables(blocks: &[Block]) -> Vec<&Table> {
    blocks
        .iter()
        .filter_map(|b| {
            if let Block::Table(t) = b {
                Some(t)
            } else {
                None
            }
        })
        .collect()
}

fn cells(table: &Table, row: usize) -> Vec<&str> {
    table.rows[row]
        .cells
        .iter()
        .map(|c| c.text.as_str())
        .collect()
}

fn headings(blocks: &[Block]) -> Vec<(u8, &str)> {
    blocks
        .iter()
        .filter_map(|b| {
            if let Block::Heading { level, text, .. } = b {
                Some((*level, text.as_str()))
            } else {
                None
            }
        })
        .collect()
}

fn codes(blocks: &[Block]) -> Vec<(&str, usize)> {
    blocks
        .iter()
        .filter_map(|b| {
            if let Block::Code { text, line } = b {
                Some((text.as_str(), *line))
            } else {
                None
            }
        })
        .collect()
}

/// The blocks as the reader gave them, without the sections recovery types.
fn untyped(blocks: &[Block]) -> Vec<(usize, String)> {
    blocks
        .iter()
        .map(|block| match block {
            Block::Heading { level, text, .. } => (block.line(), format!("h{level} {text}")),
            other => (other.line(), format!("{other:?}")),
        })
        .collect()
}

fn all_text(blocks: &[Block]) -> String {
    format!("{blocks:?}")
}

#[test]
fn spaced_tables_of_every_resource_kind_are_split_by_the_rendering_rule() {
    let (_, text) = fixture("resource_spaced.txt");
    let blocks = rendered::blocks(&text);
    let tables = tables(&blocks);
    let headers: Vec<Vec<&str>> = tables
        .iter()
        .map(|t| t.header.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        headers,
        vec![
            vec!["Name", "Description"],
            vec!["Name", "Description"],
            vec!["Link", "Description"],
            vec!["Scope", "Permission", "Description"],
            vec!["Resource", "Priority", "Sender", "Reason"],
            vec!["Resource", "Priority", "Sender", "Reason"],
            vec!["Name", "Description", "Required?"],
            vec!["Item", "Description"],
            vec!["Error", "Code", "Subcode", "Description"],
        ]
    );
    let properties = tables[1];
    assert_eq!(properties.line, 23);
    assert_eq!(properties.rows.len(), 3);
    assert_eq!(
        cells(properties, 2),
        ["type", "The kind of contact (ContactType)."]
    );
    assert_eq!(properties.rows[2].line, 26);
    assert_eq!(
        cells(tables[2], 1),
        ["contactPhoto", "The photo of the contact."]
    );
    // Permission is several words; the description is the sentence that follows.
    assert_eq!(
        cells(tables[3], 0),
        ["Contacts.ReadWrite", "Read/write Skype user contacts and groups", "Allows the app to read and write Skype user contacts and groups on behalf of the signed-in user"]
    );
    assert_eq!(cells(tables[3], 1)[1], "Create Skype Meetings");
    assert_eq!(
        cells(tables[4], 0),
        [
            "contact",
            "Medium",
            "people",
            "Delivered when a contact is added."
        ]
    );
    assert_eq!(
        cells(tables[6], 0),
        ["fields", "The fields to return, separated by commas.", "No"]
    );
    assert_eq!(
        cells(tables[6], 1),
        ["culture", "The culture of the answer.", "Yes"]
    );
    assert_eq!(
        cells(tables[7], 0),
        ["contact", "Represents a person in the user's address book."]
    );
    assert_eq!(
        cells(tables[8], 0),
        ["NotFound", "404", "None", "The contact was not found."]
    );
    assert!(tables
        .iter()
        .all(|t| t.rows.iter().all(|r| r.cells.len() == t.header.len())));
}

#[test]
fn headings_title_and_chrome_of_a_french_framed_page() {
    let (_, text) = fixture("resource_spaced.txt");
    let blocks = rendered::blocks(&text);
    let found = headings(&blocks);
    assert_eq!(found[0], (1, "contact reference"));
    assert_eq!(blocks[0].line(), 7);
    assert!(found[1..].iter().all(|(level, _)| *level == 0));
    let words: Vec<&str> = found.iter().map(|(_, t)| *t).collect();
    assert_eq!(
        words[1..],
        [
            "Properties",
            "Links",
            "Azure Active Directory scopes for online applications",
            "Events",
            "Added",
            "Started",
            "Operations",
            "GET",
            "Query parameters",
            "Request body",
            "Response body",
            "Synchronous errors",
            "Examples",
            "JSON Request",
            "JSON Response"
        ]
    );
    let everything = all_text(&blocks);
    for chrome in [
        "Partager",
        "Passer au contenu",
        "Référence",
        "contributeurs",
        "Feedback",
        "helpful",
        "Yes No",
        "Provide product",
    ] {
        assert!(!everything.contains(chrome), "chrome {chrome:?} was kept");
    }
    assert!(
        matches!(&blocks[1], Block::Paragraph { text, line: 11 } if text == "Applies to: Skype for Business 2015")
    );
    assert!(
        matches!(&blocks[2], Block::Paragraph { text, .. } if text == "Represents a person in the user's address book.")
    );
    assert!(blocks
        .iter()
        .any(|b| matches!(b, Block::Paragraph { text, .. } if text == "None")));
}

#[test]
fn samples_are_code_blocks_with_exact_text() {
    let (_, text) = fixture("resource_spaced.txt");
    let blocks = rendered::blocks(&text);
    let samples = codes(&blocks);
    assert_eq!(samples.len(), 4);
    // A sample sharing a line with the sentence before it is split off.
    assert_eq!(
        samples[0].0,
        r#"{ "sender" : [ { "rel" : "people", "events" : [ { "link" : { "rel" : "contact" }, "type" : "added" } ] } ] }"#
    );
    let before = blocks
        .iter()
        .position(|b| matches!(b, Block::Code { .. }))
        .unwrap()
        - 1;
    assert!(
        matches!(&blocks[before], Block::Paragraph { text, .. } if text.ends_with("to a valid scenario."))
    );
    // A blank line inside a sample stays in it.
    assert_eq!(samples[1].0, "{\n  \"sender\" : [\n    {\n      \"rel\" : \"people\",\n\n      \"type\" : \"started\"\n    }\n  ]\n}");
    assert_eq!(
        samples[2].0,
        "Get https://fe1.contoso.com:443/ucwa/v1/applications/192/people/contacts/sip:a@contoso.com HTTP/1.1\nAuthorization: Bearer cwt=abc\nAccept: application/json"
    );
    assert_eq!(samples[3].0, "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 80\n{\n  \"rel\" : \"contact\",\n  \"displayName\" : \"Ann\"\n}");
    assert_eq!(samples[3].1, 114);
}

#[test]
fn piped_rendering_gives_the_same_tables() {
    let (_, text) = fixture("operations_piped.txt");
    let blocks = rendered::blocks(&text);
    assert_eq!(
        headings(&blocks)[0],
        (1, "startCall reference for Skype for Business 2015")
    );
    let tables = tables(&blocks);
    assert_eq!(tables.len(), 4);
    assert_eq!(tables[0].header, ["Name", "Description", "Required?"]);
    assert_eq!(
        cells(tables[0], 0),
        ["mode", "How the call is placed.", "No"]
    );
    assert_eq!(
        cells(tables[1], 1),
        [
            "importance",
            "The importance of the call.(Importance)Normal, Urgent, or Emergency",
            "No"
        ]
    );
    assert_eq!(tables[2].header, ["Item", "Description"]);
    // A pipe inside the free-text last cell is kept in it.
    assert_eq!(
        cells(tables[3], 0),
        [
            "Forbidden",
            "403",
            "None",
            "Calls are not allowed | not even on Sundays."
        ]
    );
    assert_eq!(codes(&blocks)[0].0, "Post https://fe1.contoso.com:443/ucwa/v1/applications/192/startCall HTTP/1.1\nContent-Type: application/json\nContent-Length: 30\n{\n  \"to\" : \"sip:b@contoso.com\"\n}");
    let everything = all_text(&blocks);
    for chrome in ["Share via", "In this article", "Expand table", "\"Copy\""] {
        assert!(!everything.contains(chrome), "chrome {chrome:?} was kept");
    }
    // The button line between a heading and its table does not come between them.
    let query = blocks
        .iter()
        .position(|b| matches!(b, Block::Heading { text, .. } if text == "Query parameters"))
        .unwrap();
    assert!(matches!(&blocks[query + 1], Block::Table(table) if table.header[0] == "Name"));
}

#[test]
fn enumeration_page_keeps_its_short_description_as_a_paragraph() {
    let (_, text) = fixture("enumeration.txt");
    let blocks = rendered::blocks(&text);
    assert_eq!(headings(&blocks), [(1, "Ringtone"), (0, "Members")]);
    assert!(
        matches!(&blocks[2], Block::Paragraph { text, .. } if text == "Represents the ringtone played on incoming calls")
    );
    let members = tables(&blocks)[0];
    assert_eq!(members.rows.len(), 3);
    assert_eq!(cells(members, 1), ["Silent", "No sound at all."]);
    let everything = all_text(&blocks);
    assert!(
        !everything.contains("utile")
            && !everything.contains("Oui Non")
            && !everything.contains("Table of contents")
    );
}

#[test]
fn damaged_page_gets_its_headings_back_with_a_note_for_each() {
    let (_, text) = fixture("damaged.txt");
    let mut blocks = rendered::blocks(&text);
    assert!(
        headings(&blocks).iter().all(|(level, _)| *level == 0),
        "the damaged page has no title"
    );
    let notes = recover::missing_headings(&mut blocks);
    let words: Vec<(u8, &str)> = headings(&blocks);
    assert_eq!(
        words,
        [
            (1, "phoneCall"),
            (0, "Properties"),
            (0, "Links"),
            (0, "Events"),
            (0, "Completed"),
            (0, "Operations"),
            (0, "POST"),
            (0, "Request body"),
            (0, "Synchronous errors"),
            (0, "JSON Request"),
            (0, "JSON Response")
        ]
    );
    assert_eq!(notes.len(), 5, "{notes:#?}");
    assert!(notes[0].starts_with(
        "title: resource name phoneCall inferred from the resource of the event table"
    ));
    assert!(notes[1]
        .starts_with("Properties heading inferred from a Name/Description table at line 16"));
    assert!(notes[2].starts_with(
        "Links heading inferred from 'This resource can have the following relationships.'"
    ));
    assert!(
        notes[3].contains("event type completed")
            && notes[3].contains("'completed' in the event's reason")
    );
    assert!(notes[4].contains("operation POST") && notes[4].contains("'Post HTTP/1.1'"));
    // The method heading goes before the operation's description.
    let post = blocks
        .iter()
        .position(|b| matches!(b, Block::Heading { text, .. } if text == "POST"))
        .unwrap();
    assert!(
        matches!(&blocks[post + 1], Block::Paragraph { text, .. } if text == "Ends the phone call.")
    );

    let document = extract(&fixture("damaged.txt").0);
    assert_eq!(document.name, "phoneCall");
    assert_eq!(document.properties.len(), 2);
    assert_eq!(document.links.len(), 2);
    assert_eq!(document.events.len(), 1);
    assert_eq!(document.events[0].event_type, "completed");
    assert_eq!(document.operations.len(), 1);
    assert_eq!(document.operations[0].method, Method::Post);
    assert_eq!(document.operations[0].errors.len(), 1);
    assert_eq!(document.inferred, notes);
}

#[test]
fn intact_pages_are_left_alone() {
    for name in [
        "resource_spaced.txt",
        "operations_piped.txt",
        "enumeration.txt",
    ] {
        let (_, text) = fixture(name);
        let mut blocks = rendered::blocks(&text);
        let before = blocks.clone();
        assert_eq!(
            recover::missing_headings(&mut blocks),
            Vec::<String>::new(),
            "{name}"
        );
        // Recovery types the event headings it finds; it inserts nothing.
        assert_eq!(untyped(&blocks), untyped(&before), "{name}");
    }
    let Some(mut pages) = corpus_pages() else {
        return;
    };
    pages.extend(["000", "004"].iter().filter_map(|prefix| seed(prefix)));
    let mut changed = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let mut blocks = markdown::blocks(&text);
        let notes = recover::missing_headings(&mut blocks);
        if !notes.is_empty() {
            changed.push(format!("{}: {notes:?}", page.display()));
        }
    }
    assert!(pages.len() > 200);
    assert!(
        changed.is_empty(),
        "recovery changed intact markdown pages:\n{}",
        changed.join("\n")
    );
}

#[test]
fn fixtures_extract_to_the_documents_they_describe() {
    let contact = extract(&fixture("resource_spaced.txt").0);
    assert_eq!(contact.name, "contact");
    assert_eq!(contact.kind, Kind::Resource);
    assert_eq!(
        contact.description,
        "Represents a person in the user's address book."
    );
    assert_eq!(
        contact
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["displayName", "emailAddresses", "type"]
    );
    assert_eq!(contact.links.len(), 3);
    assert_eq!(contact.scopes.len(), 2);
    assert_eq!(
        contact
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["added", "started"]
    );
    assert!(contact
        .events
        .iter()
        .all(|e| e.sample.as_ref().is_some_and(|s| s.valid)));
    assert!(contact.inferred.is_empty());
    let get = &contact.operations[0];
    assert_eq!(get.method, Method::Get);
    assert_eq!(get.query_parameters.len(), 2);
    assert!(!get.query_parameters[0].required && get.query_parameters[1].required);
    assert_eq!(get.response_body.len(), 1);
    assert_eq!(
        get.errors.iter().map(|e| e.code).collect::<Vec<_>>(),
        [Some(404), Some(500)]
    );
    assert_eq!(get.examples.len(), 2);
    assert_eq!(get.examples[1].start_line, "HTTP/1.1 200 OK");
    assert!(get.examples[1].valid);

    let start_call = extract(&fixture("operations_piped.txt").0);
    assert_eq!(start_call.name, "startCall");
    let post = &start_call.operations[0];
    assert_eq!(post.method, Method::Post);
    assert_eq!(post.request_body.len(), 2);
    assert!(post.request_body[0].required);
    assert_eq!(post.errors[0].code, Some(403));
    assert_eq!(
        post.examples[0].body,
        "{\n  \"to\" : \"sip:b@contoso.com\"\n}"
    );

    let ringtone = extract(&fixture("enumeration.txt").0);
    assert_eq!(ringtone.kind, Kind::Enumeration);
    assert_eq!(ringtone.members.len(), 3);
}

/// Everything but the samples and the source, which differ by form.
fn without_samples(mut document: Document) -> Document {
    document.source = None;
    for event in &mut document.events {
        event.sample = None;
    }
    for operation in &mut document.operations {
        operation.examples.clear();
    }
    document
}

#[test]
fn seed_pair_agrees() {
    let (Some(markdown_page), Some(rendered_page)) = (seed("000"), seed("001")) else {
        return;
    };
    let from_markdown = without_samples(extract(&markdown_page));
    let from_rendered = without_samples(extract(&rendered_page));
    assert_eq!(from_rendered.to_yaml(), from_markdown.to_yaml());
    assert_eq!(from_markdown.events.len(), 3);
}

#[test]
fn seed_002_extracts_sensibly() {
    let Some(page) = seed("002") else { return };
    let document = extract(&page);
    assert_eq!(document.name, "audioVideoSession");
    assert_eq!(
        document.description,
        "Represents a session in an audioVideo call."
    );
    assert_eq!(
        document
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["remoteEndpoint", "sessionContext", "state"]
    );
    assert_eq!(document.links.len(), 9);
    assert_eq!(document.scopes.len(), 2);
    assert_eq!(document.operations.len(), 1);
    let get = &document.operations[0];
    assert_eq!(get.method, Method::Get);
    assert_eq!(get.errors.len(), 5);
    assert_eq!(get.examples.len(), 4);
    assert!(get.examples.iter().all(|e| e.valid), "{:#?}", get.examples);
}

#[test]
fn seed_003_is_recovered_from_its_evidence() {
    let Some(page) = seed("003") else { return };
    let document = extract(&page);
    assert_eq!(document.name, "audioVideo");
    assert_eq!(
        document
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["state", "supportsReplaces", "videoSourcesAllowed"]
    );
    assert_eq!(document.links.len(), 16);
    assert_eq!(document.events.len(), 1);
    assert_eq!(document.events[0].event_type, "updated");
    assert_eq!(document.events[0].resource, "audioVideo");
    let sample = document.events[0]
        .sample
        .as_ref()
        .expect("the damaged event sample is recorded");
    assert!(!sample.valid && sample.problem.is_some());
    assert_eq!(document.operations.len(), 1);
    let get = &document.operations[0];
    assert_eq!(get.method, Method::Get);
    assert_eq!(get.errors.len(), 5);
    assert_eq!(get.examples.len(), 4);
    assert!(get
        .examples
        .iter()
        .filter(|e| !e.body.is_empty())
        .all(|e| !e.valid && e.problem.is_some()));
    assert_eq!(document.inferred.len(), 5, "{:#?}", document.inferred);
    for fact in [
        "title",
        "Properties",
        "Links",
        "event type updated",
        "operation GET",
    ] {
        assert!(
            document.inferred.iter().any(|note| note.contains(fact)),
            "no note about {fact}: {:#?}",
            document.inferred
        );
    }
}

/// The text a browser shows for a markdown page, as the rendered seeds have
/// it: headings and paragraphs as bare lines, table cells separated by
/// spaces (empty cells vanish), code blocks line for line, HTML dropped.
/// `drop_headings` leaves out headings the rendering is known to omit;
/// `tabs` separates cells by tabs, as a browser copies a table, keeping empty ones.
fn browser_text(markdown: &str, drop_headings: &[&str], tabs: bool) -> String {
    let cells = if tabs { Cells::Tabbed } else { Cells::Spaced };
    render(
        markdown,
        &Style {
            drop_headings,
            cells,
            ..Style::default()
        },
    )
}

/// How a rendering shows table cells.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Cells {
    #[default]
    Spaced,
    Tabbed,
    /// One cell per line, each ending in ` |` or bare.
    PerLine {
        piped: bool,
    },
    /// The old MSDN layout: cells run together with no separator.
    RunTogether,
}

/// A rendering style of the web, as issue 11 lists them.
#[derive(Clone, Copy, Default)]
struct Style<'a> {
    drop_headings: &'a [&'a str],
    /// Every heading but the title is gone.
    no_headings: bool,
    /// The text begins at "Applies to": no title line.
    no_title: bool,
    /// No blank lines between blocks.
    no_blank_lines: bool,
    cells: Cells,
    /// The old MSDN furniture around the page.
    furniture: bool,
    /// An older revision's furniture under the title: "Last modified", an
    /// "In this article" list of the page's sections, an anchor line.
    older_revision: bool,
    /// Inline HTML in the markdown becomes a space, as a browser's line break
    /// does when copied; the seeds' renderings glue the words instead.
    breaks_at_html: bool,
}

fn render(markdown: &str, style: &Style) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out: Vec<String> = if style.furniture {
        [
            "Table of contents",
            "TOC",
            "Collapse the table of content",
            "",
        ]
        .map(String::from)
        .to_vec()
    } else {
        vec!["Share via".into(), String::new()]
    };
    let mut line = String::new();
    let mut row: Vec<String> = Vec::new();
    let mut in_front_matter = false;
    let mut title_seen = false;
    let cells = style.cells;
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS,
    ) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_front_matter = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_front_matter = false,
            Event::End(TagEnd::CodeBlock) => {
                out.extend(line.trim_end_matches('\n').lines().map(str::to_string));
                out.push(String::new());
                line.clear();
            }
            Event::Text(text) | Event::Code(text) if !in_front_matter => line.push_str(&text),
            Event::SoftBreak | Event::HardBreak => line.push(' '),
            // A browser breaks the line at `<br/>` or `</p><p>` in a cell.
            Event::InlineHtml(_) if style.breaks_at_html => line.push(' '),
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut line).trim().to_string()),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let kept = row
                    .iter()
                    .filter(|c| cells == Cells::Tabbed || !c.is_empty());
                match cells {
                    Cells::Spaced => out.push(kept.cloned().collect::<Vec<_>>().join(" ")),
                    Cells::Tabbed => out.push(kept.cloned().collect::<Vec<_>>().join("\t")),
                    Cells::RunTogether => out.push(kept.cloned().collect::<Vec<_>>().concat()),
                    Cells::PerLine { piped } => out.extend(row.iter().map(|cell| {
                        if piped {
                            format!("{cell} |")
                        } else {
                            cell.clone()
                        }
                    })),
                }
                row.clear();
            }
            Event::End(TagEnd::Table) => out.push(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let text = std::mem::take(&mut line).trim().to_string();
                let is_title = !title_seen;
                title_seen = true;
                let dropped = if is_title {
                    style.no_title
                } else {
                    style.no_headings || style.drop_headings.contains(&text.as_str())
                };
                if !dropped {
                    out.push(text);
                    out.push(String::new());
                    if is_title && style.older_revision {
                        out.extend(
                            [
                                "Last modified: July 15, 2015",
                                "",
                                "In this article",
                                "",
                                "Web Link",
                                "Properties",
                                "Operations",
                                "",
                                "<a name=\"sectionSection0\"> </a>",
                                "",
                            ]
                            .map(String::from),
                        );
                    }
                    if is_title && style.furniture {
                        out.extend(
                            [
                                "Dan Roberts | Last Updated: 6/21/2017",
                                "",
                                "3 Contributors",
                                "",
                            ]
                            .map(String::from),
                        );
                    }
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                let text = std::mem::take(&mut line);
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let text = if style.furniture && text.starts_with("Applies to:") {
                    text.replacen("Applies to:", "** Applies to: **", 1)
                } else {
                    text
                };
                out.push(text);
                out.push(String::new());
            }
            _ => {}
        }
    }
    if style.furniture {
        out.push("© 2017 Microsoft".into());
    } else {
        out.extend(["Feedback", "", "Was this page helpful?", "", "Yes No"].map(String::from));
    }
    if style.no_blank_lines {
        out.retain(|line| !line.trim().is_empty());
    }
    out.join("\n")
}

fn counts(document: &Document) -> Vec<(&'static str, usize)> {
    let operations = &document.operations;
    vec![
        ("properties", document.properties.len()),
        ("links", document.links.len()),
        ("events", document.events.len()),
        ("scopes", document.scopes.len()),
        ("operations", operations.len()),
        ("errors", operations.iter().map(|o| o.errors.len()).sum()),
        (
            "request body",
            operations.iter().map(|o| o.request_body.len()).sum(),
        ),
        (
            "query parameters",
            operations.iter().map(|o| o.query_parameters.len()).sum(),
        ),
        (
            "response body",
            operations.iter().map(|o| o.response_body.len()).sum(),
        ),
        (
            "examples",
            operations.iter().map(|o| o.examples.len()).sum(),
        ),
        ("members", document.members.len()),
    ]
}

/// Every corpus page, shown as a browser would, extracts to the same names,
/// kinds and counts as its markdown: the rendered reader is general, not
/// fitted to the seeds. Both with every heading shown and with the headings
/// the rendered seeds omit ("Web Link", "Links").
#[test]
fn corpus_pages_as_a_browser_shows_them_agree_with_their_markdown() {
    let Some(pages) = corpus_pages() else { return };
    let mut differences = Vec::new();
    for page in &pages {
        let markdown_text = std::fs::read_to_string(page).unwrap();
        let Ok(from_markdown) = extract_page(page, markdown_text.as_bytes()) else {
            continue;
        };
        let expected = &from_markdown.document;
        for (dropped, tabs) in [
            (&[][..], false),
            (&["Web Link", "Links"][..], false),
            (&[][..], true),
        ] {
            let text = browser_text(&markdown_text, dropped, tabs);
            let rendered_path = page.with_extension("txt");
            let found = match extract_page(&rendered_path, text.as_bytes()) {
                Ok(found) => found.document,
                Err(error) => {
                    differences.push(format!("{}: {error}", page.display()));
                    continue;
                }
            };
            let mismatch: Vec<String> = counts(expected)
                .into_iter()
                .zip(counts(&found))
                .filter(|(a, b)| a != b)
                .map(|((field, a), (_, b))| format!("{field} {a} vs {b}"))
                .collect();
            if found.name != expected.name || found.kind != expected.kind || !mismatch.is_empty() {
                differences.push(format!(
                    "{} (dropping {dropped:?}, tabs {tabs}): name {} vs {}; {}",
                    page.file_name().unwrap().to_string_lossy(),
                    expected.name,
                    found.name,
                    mismatch.join(", ")
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// What a damaged rendering keeps of `text`: no title, and none of the
/// headings for properties, links, events, event types, operations, methods
/// and samples.
fn damaged(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut title_dropped = false;
    let kept = lines.iter().enumerate().filter(|(at, line)| {
        let next_non_blank = lines[at + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .copied()
            .unwrap_or("");
        let is_event_type =
            next_non_blank == "Resource Priority Sender Reason" && !line.trim().is_empty();
        let is_title = !title_dropped
            && next_non_blank.starts_with("Applies to")
            && !line.trim().is_empty()
            && line.trim() != "Share via";
        if is_title {
            title_dropped = true;
        }
        let lost = [
            "Properties",
            "Links",
            "Events",
            "Operations",
            "GET",
            "POST",
            "PUT",
            "DELETE",
            "JSON Request",
            "JSON Response",
            "XML Request",
            "XML Response",
        ]
        .contains(&line.trim());
        !(is_title || is_event_type || lost)
    });
    kept.map(|(_, line)| *line).collect::<Vec<_>>().join("\n")
}

fn event_types(document: &Document) -> Vec<&str> {
    document
        .events
        .iter()
        .map(|e| e.event_type.as_str())
        .collect()
}

fn methods(document: &Document) -> Vec<Method> {
    document.operations.iter().map(|o| o.method).collect()
}

/// Corpus pages with their headings and title knocked out are recovered:
/// same counts, event types and methods as the markdown, a note for each
/// inference. The name comes from the samples, so it is compared where the
/// page's own response sample carries it.
#[test]
fn corpus_pages_damaged_like_seed_003_are_recovered() {
    let Some(pages) = corpus_pages() else { return };
    let mut differences = Vec::new();
    let mut names_recovered = 0;
    let mut resource_pages = 0;
    let mut nameless = Vec::new();
    for page in &pages {
        let markdown_text = std::fs::read_to_string(page).unwrap();
        let Ok(from_markdown) = extract_page(page, markdown_text.as_bytes()) else {
            continue;
        };
        let expected = &from_markdown.document;
        if expected.kind != Kind::Resource {
            continue;
        }
        resource_pages += 1;
        let text = damaged(&browser_text(&markdown_text, &["Web Link"], false));
        // A file name that names no page, so the name can only come from the text.
        let found = match extract_page(Path::new("003 damaged.txt"), text.as_bytes()) {
            Ok(found) => found.document,
            // Without a title, a request URL, a response rel or an event
            // table, nothing on the page names the resource.
            Err(error) if error.to_string().contains("title") && !names_itself(&text) => {
                nameless.push(page.file_name().unwrap().to_string_lossy().to_string());
                continue;
            }
            Err(error) => {
                differences.push(format!("{}: {error}", page.display()));
                continue;
            }
        };
        if found.name == expected.name {
            names_recovered += 1;
        }
        let name = page.file_name().unwrap().to_string_lossy().to_string();
        let mismatch: Vec<String> = counts(expected)
            .into_iter()
            .zip(counts(&found))
            .filter(|(a, b)| a != b)
            .map(|((field, a), (_, b))| format!("{field} {a} vs {b}"))
            .collect();
        if !mismatch.is_empty()
            || event_types(expected) != event_types(&found)
            || methods(expected) != methods(&found)
        {
            differences.push(format!(
                "{name}: {}; events {:?} vs {:?}; methods {:?} vs {:?}",
                mismatch.join(", "),
                event_types(expected),
                event_types(&found),
                methods(expected),
                methods(&found)
            ));
        }
        if found.inferred.is_empty() {
            differences.push(format!("{name}: nothing recorded as inferred"));
        }
    }
    println!(
        "names recovered from samples: {names_recovered} of {resource_pages} resource pages; no evidence of a name: {nameless:?}"
    );
    assert!(
        names_recovered * 10 >= resource_pages * 8,
        "only {names_recovered} of {resource_pages} names recovered"
    );
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Whether a damaged page still carries its resource's name somewhere: a
/// sample request URL ending in a name, a `rel` in a response, or an event table.
fn names_itself(text: &str) -> bool {
    let url_name = text.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        matches!(words.as_slice(), [method, url, version]
            if Method::parse(method).is_some() && version.starts_with("HTTP/")
                && url.rsplit('/').next().is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic())))
    });
    url_name
        || text.contains("Resource Priority Sender Reason")
        || text.contains("<resource rel=")
        || text.contains("\"rel\"")
}

#[test]
fn a_rendered_row_cut_off_mid_row_is_a_warning_with_its_line() {
    let text = "thing\n\nApplies to: Skype for Business 2015\n\nA thing.\n\nOperations\n\nGET\n\nReturns it.\n\nSynchronous errors\n\nError Code Subcode Description\nConflict 409 None Already there.\nGone 410";
    let path = Path::new("cut.txt");
    let extracted = extract_page(path, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let warning = extracted
        .warnings
        .iter()
        .find(|w| w.line == 17)
        .unwrap_or_else(|| panic!("{:?}", extracted.warnings));
    assert_eq!(warning.file, path);
    assert!(warning.message.contains("cut short"), "{warning}");
    // The cut row is left out; the row before it is kept as it is.
    let errors = &extracted.document.operations[0].errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].description, "Already there.");
    // Cut off in the middle of the page (the last line still ends), the short row stays with a warning.
    let text = format!("{text}\n\nExamples\n");
    let extracted = extract_page(path, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(extracted
        .warnings
        .iter()
        .any(|w| w.line == 17 && w.message.contains("cut off")));
    assert_eq!(extracted.document.operations[0].errors.len(), 2);
}

/// The markdown of an older revision: a "Last modified" line, an "In this
/// article" list of links to the page's sections and an anchor under the title.
fn with_furniture(markdown: &str) -> String {
    let Some(title) = markdown.find("\n# ") else {
        return markdown.to_string();
    };
    let title_end = markdown[title + 1..]
        .find('\n')
        .map_or(markdown.len(), |end| title + 1 + end + 1);
    format!(
        "{} **Last modified:** July 15, 2015\n\n **In this article**  \n[Web Link](#sectionSection0)  \n[Operations](#sectionSection2)  \n\n<a name=\"top\"> </a>\n\n{}",
        &markdown[..title_end],
        &markdown[title_end..]
    )
}

fn rendered_facts(document: Document) -> String {
    facts(document).to_yaml()
}

/// Every corpus page rendered in each style of the web (issue 11) gives the
/// schema of its markdown, samples aside: without a title (named by its
/// file), without section headings or blank lines, one table cell per line,
/// and in the old MSDN layout with its furniture and run-together cells.
/// At most one rendering in a hundred may differ, for the reasons below.
#[test]
fn corpus_pages_in_every_rendering_style_agree_with_their_markdown() {
    let Some(pages) = corpus_pages() else { return };
    let styles: [(&str, Style); 6] = [
        (
            "no title",
            Style {
                no_title: true,
                ..Style::default()
            },
        ),
        (
            "no headings, no blank lines",
            Style {
                no_headings: true,
                no_blank_lines: true,
                ..Style::default()
            },
        ),
        (
            "one cell per line, piped",
            Style {
                cells: Cells::PerLine { piped: true },
                ..Style::default()
            },
        ),
        (
            "one cell per line",
            Style {
                cells: Cells::PerLine { piped: false },
                ..Style::default()
            },
        ),
        (
            "old MSDN",
            Style {
                cells: Cells::RunTogether,
                furniture: true,
                ..Style::default()
            },
        ),
        (
            "older revision",
            Style {
                older_revision: true,
                ..Style::default()
            },
        ),
    ];
    let mut differences: Vec<String> = Vec::new();
    let mut baseline_differs = Vec::new();
    let mut compared = 0;
    for page in &pages {
        let markdown_text = std::fs::read_to_string(page).unwrap();
        let Ok(from_markdown) = extract_page(page, markdown_text.as_bytes()) else {
            continue;
        };
        let expected = rendered_facts(from_markdown.document);
        // The older revision of the markdown itself: furniture under its title.
        let older = with_furniture(&markdown_text);
        match extract_page(page, older.as_bytes()) {
            Ok(found) if rendered_facts(found.document.clone()) == expected => {}
            Ok(_) => differences.push(format!(
                "{} (older markdown revision): differs",
                page.display()
            )),
            Err(error) => differences.push(format!(
                "{} (older markdown revision): {error}",
                page.display()
            )),
        }
        // What the plain rendering cannot carry (an empty cell, a heading
        // the page writes as bold text) no style can: compare where it agrees.
        let plain = Style {
            breaks_at_html: true,
            ..Style::default()
        };
        let plain_text = render(&markdown_text, &plain);
        let plain_agrees = extract_page(&page.with_extension("txt"), plain_text.as_bytes())
            .is_ok_and(|found| rendered_facts(found.document) == expected);
        if !plain_agrees {
            baseline_differs.push(page.file_name().unwrap().to_string_lossy().to_string());
            continue;
        }
        for (name, style) in &styles {
            let style = Style {
                breaks_at_html: true,
                ..*style
            };
            let style = &style;
            let text = render(&markdown_text, style);
            let path = page.with_extension("txt");
            compared += 1;
            match extract_page(&path, text.as_bytes()) {
                Ok(found) if rendered_facts(found.document.clone()) == expected => {}
                Ok(found) => {
                    let found = rendered_facts(found.document);
                    let expected_lines: Vec<&str> = expected.lines().collect();
                    let found_lines: Vec<&str> = found.lines().collect();
                    let only_found: Vec<&str> = found_lines
                        .iter()
                        .filter(|l| !expected_lines.contains(l))
                        .copied()
                        .take(3)
                        .collect();
                    let only_expected: Vec<&str> = expected_lines
                        .iter()
                        .filter(|l| !found_lines.contains(l))
                        .copied()
                        .take(3)
                        .collect();
                    differences.push(format!(
                        "{} ({name}): extracted {only_found:?}, markdown {only_expected:?}",
                        page.file_name().unwrap().to_string_lossy()
                    ))
                }
                Err(error) => differences.push(format!("{} ({name}): {error}", page.display())),
            }
        }
    }
    println!(
        "{compared} renderings compared, {} differ; the plain rendering already differs on {} pages: {baseline_differs:?}\n{}",
        differences.len(),
        baseline_differs.len(),
        differences.join("\n")
    );
    assert!(
        baseline_differs.len() * 10 < pages.len(),
        "{baseline_differs:?}"
    );
    // What no reading can know stays: a description that itself starts with
    // a camel-case word (`UnknownResponseCode was …`) or in lower case, run
    // into its name (noted under `inferred` as a guess); an empty cell shown
    // one cell per line as a blank line; an operation whose only evidence is
    // a sentence without a full stop.
    assert!(
        differences.len() * 100 <= compared,
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Corpus pages, as markdown and as a browser shows them, cut inside a line
/// at a few places each: every property, link, member and error kept is one
/// of the whole page's, never a cut one, and a warning names the line of the cut.
#[test]
fn corpus_pages_cut_short_keep_only_whole_facts_and_warn() {
    let Some(pages) = corpus_pages() else { return };
    let mut problems = Vec::new();
    let mut extracted = 0;
    for page in &pages {
        let markdown_text = std::fs::read_to_string(page).unwrap();
        let pairs = |document: &Document| -> Vec<String> {
            let mut facts: Vec<String> = document
                .properties
                .iter()
                .map(|p| format!("property {} {}", p.name, p.description))
                .chain(
                    document
                        .links
                        .iter()
                        .map(|l| format!("link {} {}", l.rel, l.description)),
                )
                .chain(
                    document
                        .members
                        .iter()
                        .map(|m| format!("member {} {}", m.name, m.description)),
                )
                .collect();
            for operation in &document.operations {
                facts.extend(
                    operation
                        .errors
                        .iter()
                        .map(|e| format!("error {} {}", e.error, e.description)),
                );
                facts.extend(
                    operation
                        .request_body
                        .iter()
                        .map(|f| format!("field {} {}", f.name, f.description)),
                );
            }
            facts
        };
        let rendered_text = browser_text(&markdown_text, &[], false);
        for (text, path) in [
            (markdown_text.as_str(), page.clone()),
            (rendered_text.as_str(), page.with_extension("txt")),
        ] {
            // The whole page in the same form: a rendering may glue words its markdown keeps apart.
            let Ok(whole) = extract_page(&path, text.as_bytes()) else {
                continue;
            };
            let whole_facts = pairs(&whole.document);
            for fraction in [3, 5, 7] {
                let mut at = text.len() * fraction / 10;
                while !text.is_char_boundary(at)
                    || text[..at].ends_with('\n')
                    || text[at..].starts_with('\n')
                {
                    at += 1;
                }
                let cut = &text[..at];
                let Ok(found) = extract_page(&path, cut.as_bytes()) else {
                    continue;
                };
                extracted += 1;
                let line = cut.lines().count();
                if !found.warnings.iter().any(|w| w.line == line) {
                    problems.push(format!(
                        "{} cut at {at}: no warning at line {line}",
                        path.display()
                    ));
                }
                for fact in pairs(&found.document) {
                    if !whole_facts.contains(&fact) {
                        problems.push(format!(
                            "{} cut at {at}: `{fact}` is not the whole page's",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    println!("{extracted} cut corpus pages extracted");
    assert!(extracted > pages.len(), "{extracted}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
