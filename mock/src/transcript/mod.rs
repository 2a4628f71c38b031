//! The transcript model: task pages → ordered steps, each a documented
//! request and its documented response, with the page file and line.
//!
//! A page is read with pulldown-cmark into code blocks and the prose between
//! them (`markdown`); each block is read as an HTTP message
//! ([`crate::message`]); requests are paired with the response that follows
//! them. What the pairing understands of the page format:
//! - `**Request**` / `**Response**` labels (and `Sample Request`/`Sample Response`);
//! - a response given in words after a `Response` label: "Same as the response
//!   for …" reuses the latest earlier response to the same method and path
//!   ([`RepairKind::ResponseByReference`]); anything else leaves the step with
//!   no response and keeps the words in [`Step::response_note`];
//! - an event channel response shown with no request before it, or only as a
//!   body (`{"_links":…,"sender":[…]}`), is an event step: the protocol says
//!   which request it answers (the pending GET);
//! - blocks that are no HTTP message (JavaScript, a lone header, a JSON
//!   fragment) are kept in [`Page::skipped`] with the reason.

mod markdown;
mod words;

use crate::body::Body;
use crate::message::{self, Parsed, Request, Response, REQUEST_HEADERS};
use crate::repair::{Repair, RepairKind};
use crate::Error;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Pages larger than this are refused: a transcript page is a few tens of KiB.
pub const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;

/// A place on a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The page's path as given.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Task pages, in the order they are replayed.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    pages: Vec<Page>,
}

/// A step's position: page index and step index within the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId {
    /// Index into [`Transcript::pages`].
    pub page: usize,
    /// Index into [`Page::steps`].
    pub step: usize,
}

/// One page's steps.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's path as given.
    pub file: Arc<str>,
    /// Request/response pairs in page order.
    pub steps: Vec<Step>,
    /// Code blocks that are no step, with the reason.
    pub skipped: Vec<Skipped>,
    /// Every repair applied to this page's messages.
    pub repairs: Vec<Repair>,
}

/// A code block that is no step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where the block starts.
    pub location: Location,
    /// Why it is no step.
    pub reason: String,
}

/// Whether a step is a command (the client's request decides when it is
/// answered) or an event channel response (answered to the pending GET once
/// every request documented before it has arrived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A request on the command channel.
    Command,
    /// A response on the event channel.
    Event,
}

/// One documented exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Where the step starts: its request line, or its response when the page shows no request.
    pub location: Location,
    /// Command or event.
    pub kind: StepKind,
    /// The documented request; `None` for an event response shown alone.
    pub request: Option<Request>,
    /// The documented response; `None` when the page shows none.
    pub response: Option<Response>,
    /// What the page says in words instead of showing the response.
    pub response_note: Option<String>,
}

impl Step {
    /// `METHOD path?query` of the request (credentials in the query redacted),
    /// or `GET (event channel)` for an event shown alone.
    pub fn summary(&self) -> String {
        match &self.request {
            Some(request) => crate::matching::summary(
                &request.method,
                &request.target.path,
                &request.target.query,
            ),
            None => "GET (event channel)".to_string(),
        }
    }
}

impl Transcript {
    /// Reads pages from files, in order. An unreadable or oversized page is an error naming it.
    pub fn read<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Transcript, Error> {
        let pages = paths
            .into_iter()
            .map(|path| Page::read(path.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Transcript { pages })
    }

    /// A transcript of pages already read.
    pub fn from_pages(pages: Vec<Page>) -> Transcript {
        Transcript { pages }
    }

    /// The pages, in replay order.
    pub fn pages(&self) -> &[Page] {
        &self.pages
    }

    /// Every step in replay order (page by page).
    pub fn steps(&self) -> impl Iterator<Item = (StepId, &Step)> {
        self.pages
            .iter()
            .enumerate()
            .flat_map(|(page_index, page)| {
                page.steps
                    .iter()
                    .enumerate()
                    .map(move |(step_index, step)| {
                        let id = StepId {
                            page: page_index,
                            step: step_index,
                        };
                        (id, step)
                    })
            })
    }

    /// The step `id` names.
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.pages.get(id.page)?.steps.get(id.step)
    }

    /// Every repair, page by page.
    pub fn repairs(&self) -> impl Iterator<Item = &Repair> {
        self.pages.iter().flat_map(|page| &page.repairs)
    }
}

impl Page {
    /// Reads a page file. The file is named as given in every location.
    pub fn read(path: &Path) -> Result<Page, Error> {
        let io_error = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        // The bytes read are counted, not the file's stated size: a device
        // or a FIFO says 0 and never ends.
        use std::io::Read as _;
        let file = std::fs::File::open(path).map_err(io_error)?;
        let mut bytes = Vec::new();
        file.take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if bytes.len() as u64 > MAX_PAGE_BYTES {
            return Err(Error::PageTooLarge {
                path: path.to_path_buf(),
                size: bytes.len() as u64,
            });
        }
        let text = String::from_utf8_lossy(&bytes);
        Ok(Page::parse(&path.display().to_string(), &text))
    }

    /// Reads page text; `file` is how locations name it. Never fails: what is
    /// not a step is in [`Page::skipped`].
    pub fn parse(file: &str, text: &str) -> Page {
        let file: Arc<str> = Arc::from(file);
        let mut pairing = Pairing {
            page: Page {
                file: file.clone(),
                steps: Vec::new(),
                skipped: Vec::new(),
                repairs: Vec::new(),
            },
            pending: None,
            after_response_label: false,
            response_words: None,
            status_words: None,
        };
        for block in markdown::blocks(text) {
            match block {
                markdown::Block::Prose { text, line } => pairing.prose(text, line),
                markdown::Block::Code { text, line } => pairing.code(&text, line),
            }
        }
        pairing.finish_pending();
        // Repairs are found block by block; list them in page order.
        pairing
            .page
            .repairs
            .sort_by_key(|repair| repair.location.line);
        pairing.page
    }
}

enum Label {
    Request,
    Response,
}

/// `Request`, `**Response**`, `Sample Request:` → the label.
fn label(prose: &str) -> Option<Label> {
    let words = prose.trim().trim_end_matches(':').to_ascii_lowercase();
    let words = words.strip_prefix("sample ").unwrap_or(&words);
    match words {
        "request" => Some(Label::Request),
        "response" => Some(Label::Response),
        _ => None,
    }
}

struct Pairing {
    page: Page,
    pending: Option<Request>,
    after_response_label: bool,
    /// Words after a `Response` label, with their line.
    response_words: Option<(String, usize)>,
    /// A status the prose after the pending request gives, with its line.
    status_words: Option<(words::StatusInWords, usize)>,
}

impl Pairing {
    fn prose(&mut self, text: String, line: usize) {
        match label(&text) {
            Some(Label::Response) => self.after_response_label = true,
            Some(Label::Request) => self.after_response_label = false,
            None => {
                if self.pending.is_some() && self.status_words.is_none() {
                    self.status_words = words::status_in_words(&text).map(|found| (found, line));
                }
                if self.after_response_label
                    && self.pending.is_some()
                    && self.response_words.is_none()
                {
                    self.response_words = Some((text, line));
                }
            }
        }
    }

    fn code(&mut self, text: &str, line: usize) {
        let file = self.page.file.clone();
        match message::parse_block(text, line, &file, &mut self.page.repairs) {
            Parsed::Request(request) => {
                self.finish_pending();
                self.pending = Some(request);
            }
            Parsed::Response(response) => self.response(response),
            Parsed::BodyOnly { text, line } => self.body_only(&text, line),
            Parsed::Headless {
                headers,
                body,
                line,
            } => self.headless(headers, body, line),
            Parsed::Empty => self.empty(line),
            Parsed::NotHttp(reason) => self.skip(line, reason),
        }
    }

    fn skip(&mut self, line: usize, reason: String) {
        let location = Location {
            file: self.page.file.clone(),
            line,
        };
        self.page.skipped.push(Skipped { location, reason });
    }

    fn response(&mut self, response: Response) {
        // The prose already answered the request with another status ("a
        // successful response is '204 No Content'"): this block answers
        // something else, a request the page does not show.
        let answered_in_words = self
            .status_words
            .as_ref()
            .is_some_and(|(found, _)| found.status != response.status);
        if answered_in_words {
            self.finish_pending();
        }
        self.after_response_label = false;
        self.response_words = None;
        self.status_words = None;
        match self.pending.take() {
            Some(request) => {
                let kind = if request.is_event_channel() {
                    StepKind::Event
                } else {
                    StepKind::Command
                };
                self.page.steps.push(Step {
                    location: request.location.clone(),
                    kind,
                    request: Some(request),
                    response: Some(response),
                    response_note: None,
                });
            }
            None if is_events_body(&response.body) => self.page.steps.push(Step {
                location: response.location.clone(),
                kind: StepKind::Event,
                request: None,
                response: Some(response),
                response_note: None,
            }),
            None => match self_href(&response.body) {
                Some(href) => {
                    let line = response.location.line;
                    let target = message::parse_target(&href, None);
                    self.note(
                        line,
                        RepairKind::RequestFromSelf,
                        format!(
                            "an answer with no request before it: served to GET {}, the href of its `self` link",
                            target.path_and_query()
                        ),
                    );
                    self.page.steps.push(Step {
                        location: response.location.clone(),
                        kind: StepKind::Command,
                        request: Some(Request {
                            location: response.location.clone(),
                            method: "GET".into(),
                            target,
                            headers: Vec::new(),
                            body: Body::Empty,
                        }),
                        response: Some(response),
                        response_note: None,
                    });
                }
                None => {
                    let line = response.location.line;
                    self.skip(
                        line,
                        "a response with no request before it, and no `self` link to tell which request it answers".into(),
                    );
                }
            },
        }
    }

    /// A body with no start line: an event channel response, a response
    /// right after a `Response` label, or the answer shown under its request;
    /// the status its evidence implies is assumed ([`message::implied_status`]).
    /// Under a request that names a body type and shows none, it is that
    /// request's body.
    fn body_only(&mut self, text: &str, line: usize) {
        let answers_label = self.after_response_label && self.pending.is_some();
        let awaiting = self
            .pending
            .as_ref()
            .filter(|request| !request.is_event_channel());
        let content_type = awaiting
            .filter(|request| request.body.is_empty())
            .and_then(|request| message::header(&request.headers, "content-type"))
            .map(str::to_owned);
        if let (Some(content_type), false) = (content_type, answers_label) {
            return self.request_body(text, line, &content_type);
        }
        let (body, body_repairs) = crate::body::documented(text, None);
        let under_request = awaiting.is_some() && !is_events_body(&body);
        if !answers_label && !under_request {
            if !is_events_body(&body) {
                self.skip(
                    line,
                    "a body with no start line and no request or `Response` label before it".into(),
                );
                return;
            }
            if self
                .pending
                .as_ref()
                .is_some_and(|request| !request.is_event_channel())
            {
                // Events shown after an unanswered command: the command stays unanswered.
                self.finish_pending();
            }
        }
        self.place_repairs(line, body_repairs);
        self.answer_without_status_line(
            line,
            "a body shown without its status line",
            Vec::new(),
            body,
        );
    }

    /// The body of the pending request, shown in a block of its own.
    fn request_body(&mut self, text: &str, line: usize, content_type: &str) {
        let (body, body_repairs) = crate::body::documented(text, Some(content_type));
        self.place_repairs(line, body_repairs);
        self.note(
            line,
            RepairKind::BodyInNextBlock,
            "the request's body is shown in a block of its own (its headers name a Content-Type): read as the request's body".into(),
        );
        if let Some(request) = self.pending.as_mut() {
            request.body = body;
        }
    }

    /// Headers with no start line: the answer to the pending request, with
    /// the status they imply, when they are a response's (no header only a
    /// request carries); anything else is skipped with why.
    fn headless(&mut self, headers: Vec<(String, String)>, body: crate::body::Body, line: usize) {
        let of_request = headers
            .iter()
            .any(|(name, _)| REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
        let awaiting = self.pending.is_some();
        if of_request || !awaiting {
            let reason = match of_request {
                true => "headers of a request with no request line",
                false => "headers with no start line and no request before them",
            };
            self.skip(line, reason.into());
            return;
        }
        self.answer_without_status_line(
            line,
            "headers shown without their status line",
            headers,
            body,
        );
    }

    /// The pending request's answer shown without its status line (`what`
    /// says how): the status [`Pairing::implied_status`] gives, named as an
    /// [`RepairKind::ImpliedStatusLine`] at `line`.
    fn answer_without_status_line(
        &mut self,
        line: usize,
        what: &str,
        headers: Vec<(String, String)>,
        body: crate::body::Body,
    ) {
        let (status, why) = self.implied_status(&headers, &body);
        self.note(
            line,
            RepairKind::ImpliedStatusLine,
            format!(
                "{what}: {status} {} assumed ({why})",
                message::reason_phrase(status)
            ),
        );
        self.response(Response {
            location: self.at(line),
            status,
            headers,
            body,
        });
    }

    /// The status of an answer shown without its status line: the one the
    /// prose after the request gives, else what the answer implies
    /// ([`message::implied_status`]).
    fn implied_status(
        &mut self,
        headers: &[(String, String)],
        body: &crate::body::Body,
    ) -> (u16, String) {
        if let Some((found, _)) = self.status_words.take() {
            return (found.status, format!("the prose says '{}'", found.quoted));
        }
        let request = self
            .pending
            .as_ref()
            .map(|request| (request.method.as_str(), request.target.path.as_str()));
        message::implied_status(headers, body, request)
    }

    /// An empty block: the answer to the pending request with its status
    /// line, headers and body all gone (the status as the prose gives it, or
    /// as [`message::implied_status`] implies it); anything else is skipped.
    fn empty(&mut self, line: usize) {
        if self.pending.is_none() {
            self.skip(line, "an empty block".into());
            return;
        }
        self.answer_without_status_line(
            line,
            "an empty block under the request",
            Vec::new(),
            crate::body::Body::Empty,
        );
    }

    fn at(&self, line: usize) -> Location {
        Location {
            file: self.page.file.clone(),
            line,
        }
    }

    fn note(&mut self, line: usize, kind: RepairKind, detail: String) {
        let location = self.at(line);
        self.page.repairs.push(Repair {
            location,
            kind,
            detail,
        });
    }

    /// A body's repairs, placed on the page lines of a body starting at `line`.
    fn place_repairs(&mut self, line: usize, repairs: Vec<crate::repair::BodyRepair>) {
        for repair in repairs {
            self.note(line + repair.line, repair.kind, repair.detail);
        }
    }

    /// Ends the pending request's step with no response block.
    fn finish_pending(&mut self) {
        let Some(request) = self.pending.take() else {
            return;
        };
        let words = self.response_words.take();
        self.after_response_label = false;
        let by_reference = words
            .as_ref()
            .filter(|(text, _)| text.to_ascii_lowercase().starts_with("same as"))
            .and_then(|(_, line)| Some((self.earlier_response(&request)?, *line)));
        let kind = if request.is_event_channel() {
            StepKind::Event
        } else {
            StepKind::Command
        };
        let in_words = self.status_words.take();
        let (response, note) = match (by_reference, in_words) {
            (Some((response, line)), _) => {
                let said = words
                    .as_ref()
                    .map(|(text, _)| text.as_str())
                    .unwrap_or_default();
                let detail = format!(
                    "\"{said}\": reuses the response at line {}",
                    response.location.line
                );
                self.note(line, RepairKind::ResponseByReference, detail);
                (Some(response), None)
            }
            (None, Some((found, line))) => {
                self.note(
                    line,
                    RepairKind::ResponseInWords,
                    format!(
                        "the page gives the answer in words ('{}'): {} {} with no body",
                        found.quoted,
                        found.status,
                        message::reason_phrase(found.status)
                    ),
                );
                let response = Response {
                    location: self.at(line),
                    status: found.status,
                    headers: Vec::new(),
                    body: crate::body::Body::Empty,
                };
                (Some(response), None)
            }
            (None, None) => (None, words.map(|(text, _)| text)),
        };
        self.page.steps.push(Step {
            location: request.location.clone(),
            kind,
            request: Some(request),
            response,
            response_note: note,
        });
    }

    /// The latest earlier response to the same method and path.
    fn earlier_response(&self, request: &Request) -> Option<Response> {
        self.page.steps.iter().rev().find_map(|step| {
            let earlier = step.request.as_ref()?;
            let same = earlier.method == request.method
                && earlier
                    .target
                    .path
                    .eq_ignore_ascii_case(&request.target.path);
            same.then(|| step.response.clone()).flatten()
        })
    }
}

/// An event channel body: JSON with a `sender` list or a `next`/`resync`
/// link and nothing else, or XML whose root is `events`.
/// The href of a JSON body's own `self` link, when it is a path or a URL.
fn self_href(body: &Body) -> Option<String> {
    let Body::Json(value) = body else {
        return None;
    };
    let href = value.pointer("/_links/self/href")?.as_str()?;
    let lower = href.to_ascii_lowercase();
    let usable =
        href.starts_with('/') || lower.starts_with("http://") || lower.starts_with("https://");
    usable.then(|| href.to_string())
}

pub(crate) fn is_events_body(body: &Body) -> bool {
    match body {
        Body::Json(serde_json::Value::Object(members)) => {
            let links = members.get("_links").and_then(|links| links.as_object());
            members.contains_key("sender")
                || (links.is_some_and(|links| {
                    ["next", "resync", "resume"]
                        .iter()
                        .any(|rel| links.contains_key(*rel))
                }) && members.keys().all(|key| key == "_links"))
        }
        Body::Xml(text) => xml_root(text).is_some_and(|root| root == "events"),
        _ => false,
    }
}

fn xml_root(text: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(start) | quick_xml::events::Event::Empty(start) => {
                return Some(String::from_utf8_lossy(start.local_name().as_ref()).into_owned())
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}
