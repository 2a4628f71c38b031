//! Named repairs of damaged transcript text, and the lenient JSON reader that
//! applies the body repairs.
//!
//! The pages are documentation, not captures: bodies have `{...}` and `.`
//! elisions, trailing commas, a quote in the wrong place, a stray `'` where a
//! comma belongs, one `}` too many. The mock serves and compares what the page
//! meant, and says so: every repair is a [`Repair`] with the page, the line
//! and its [`RepairKind`] name, listed at start-up. Nothing is repaired
//! silently; a body no repair fixes is served and compared as text, and that
//! is listed too ([`RepairKind::ServedAsText`]).

use crate::transcript::Location;
use serde_json::{Map, Value};
use std::fmt;

mod layout;
mod tolerant;

/// One repair applied to a page, or one page defect the mock works around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The page and the line the repair applies to.
    pub location: Location,
    /// What was repaired.
    pub kind: RepairKind,
    /// The repair in words (what was dropped, added or assumed).
    pub detail: String,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.location,
            self.kind.name(),
            self.detail
        )
    }
}

/// The named repairs. [`RepairKind::name`] is what start-up prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RepairKind {
    // Bodies (JSON).
    /// `.`, `...` or `…` where members or items were left out: skipped; an
    /// array item that holds nothing but such an elision (`{` `.` `.` `.` `}`
    /// over several lines, as SendAnIM's events list ends) stands for items
    /// left out and is dropped, not served as an empty object.
    Elision,
    /// `{...}` or `[...]`: an empty object or array.
    ElidedContainer,
    /// `...` where a value was left out: `null`.
    ElidedValue,
    /// A comma before `}` or `]`: dropped.
    TrailingComma,
    /// Two members or items with no comma between them: one assumed.
    MissingComma,
    /// A character that belongs nowhere (`'` after a value, a second comma): dropped.
    StrayCharacter,
    /// A string that runs into the next line where a member starts: closed at the line end;
    /// or a key missing its opening quote.
    MissingQuote,
    /// A raw line break or tab inside a string: the line break dropped, the tab kept.
    ControlCharacterInString,
    /// An escape JSON does not know (`\d`): the character kept as written.
    InvalidEscape,
    /// A key without quotes: read as a string.
    UnquotedKey,
    /// A `}` or `]` that closes the body before its end: the rest is kept in the outer value.
    ExtraClosingBracket,
    /// The body ends with objects or arrays still open: closed.
    UnclosedBrackets,
    /// A structural token (`{ } [ ] , : "`) the body lacks, found by the
    /// tolerant search ([`read_json`]): added where the fewest edits make the
    /// body JSON that agrees with its own indentation.
    MissingToken,
    /// A structural token too many, found the same way: dropped.
    ExtraToken,
    /// A structural token in the wrong place, found the same way: moved.
    MisplacedToken,
    /// No repair makes the body JSON: it is served and compared as text.
    ServedAsText,
    // Messages.
    /// `.`/`...` lines among the headers: skipped.
    ElidedHeaders,
    /// A header value broken by a blank line (`secure;` / blank / `HttpOnly`): rejoined.
    SplitHeader,
    /// A request line broken over several lines (a long query): joined.
    WrappedRequestLine,
    /// The body follows the headers with no blank line between.
    BodyWithoutBlankLine,
    /// The body is a placeholder (`<Photo data in body not shown>`): served empty.
    PlaceholderBody,
    /// A request's body shown in a block of its own after the request (whose
    /// headers name a `Content-Type`): read as that request's body.
    BodyInNextBlock,
    /// A request or status line written twice: the copy dropped.
    RepeatedStartLine,
    /// A response shown without its status line (a body alone, or headers
    /// alone): the status its evidence implies (`201` with a `Location`, the
    /// status of a UCWA error body's `code`, `401` with `WWW-Authenticate`,
    /// `200` with a body, `204` with none).
    ImpliedStatusLine,
    /// A status given in the prose instead of a response ("a successful
    /// response is '204 No Content'"): that status, with no headers or body.
    ResponseInWords,
    /// "Same as the response for …": the earlier response to the same request is reused.
    ResponseByReference,
    /// An answer shown with no request before it (a page that starts in the
    /// middle of a flow): served to a `GET` of the href its own `self` link
    /// names.
    RequestFromSelf,
}

impl RepairKind {
    /// The repair's name, as start-up prints it.
    pub fn name(self) -> &'static str {
        match self {
            RepairKind::Elision => "elision",
            RepairKind::ElidedContainer => "elided-container",
            RepairKind::ElidedValue => "elided-value",
            RepairKind::TrailingComma => "trailing-comma",
            RepairKind::MissingComma => "missing-comma",
            RepairKind::StrayCharacter => "stray-character",
            RepairKind::MissingQuote => "missing-quote",
            RepairKind::ControlCharacterInString => "control-character-in-string",
            RepairKind::InvalidEscape => "invalid-escape",
            RepairKind::UnquotedKey => "unquoted-key",
            RepairKind::ExtraClosingBracket => "extra-closing-bracket",
            RepairKind::UnclosedBrackets => "unclosed-brackets",
            RepairKind::MissingToken => "missing-token",
            RepairKind::ExtraToken => "extra-token",
            RepairKind::MisplacedToken => "misplaced-token",
            RepairKind::ServedAsText => "served-as-text",
            RepairKind::ElidedHeaders => "elided-headers",
            RepairKind::SplitHeader => "split-header",
            RepairKind::WrappedRequestLine => "wrapped-request-line",
            RepairKind::BodyWithoutBlankLine => "body-without-blank-line",
            RepairKind::PlaceholderBody => "placeholder-body",
            RepairKind::BodyInNextBlock => "body-in-next-block",
            RepairKind::RepeatedStartLine => "repeated-start-line",
            RepairKind::ImpliedStatusLine => "implied-status-line",
            RepairKind::ResponseInWords => "response-in-words",
            RepairKind::ResponseByReference => "response-by-reference",
            RepairKind::RequestFromSelf => "request-from-self",
        }
    }
}

/// A repair found inside a body, before it is placed on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRepair {
    /// 0-based line within the body text.
    pub line: usize,
    /// Which repair.
    pub kind: RepairKind,
    /// The repair in words.
    pub detail: String,
}

/// Why a body is not JSON even after every repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepairable {
    /// 0-based line within the body text.
    pub line: usize,
    /// What was expected there.
    pub message: String,
}

/// Containers nest at most this deep, so a hostile page cannot overflow the stack.
const MAX_DEPTH: usize = 128;
/// More stray characters than this in one body means it is not damaged JSON but something else.
const MAX_STRAY: usize = 8;

/// Reads `text` as JSON, repairing what the pages damage. Valid JSON comes
/// back unchanged with no repairs; anything else comes back with at least
/// one repair, or as [`Unrepairable`] with the line where reading stopped.
///
/// Two layers: `Lenient` reads through the damage the pages are known for
/// (elisions, trailing commas, a quote left open at a line end), and where
/// it fails, or succeeds only with guesses the body's own indentation
/// contradicts, `tolerant::search` looks for the fewest structural tokens
/// to add or drop near the trouble.
pub fn read_json(text: &str) -> Result<(Value, Vec<BodyRepair>), Unrepairable> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok((value, Vec::new()));
    }
    let (value, mut repairs) = tolerant::search(text)?;
    if repairs.is_empty() {
        // serde_json refused the text, so something was read leniently: say so.
        repairs.push(BodyRepair {
            line: 0,
            kind: RepairKind::StrayCharacter,
            detail: "read leniently: the text is not strict JSON".into(),
        });
    }
    Ok((value, repairs))
}

/// One run of [`Lenient`] over a text, with what the tolerant search weighs.
pub(crate) struct Attempt {
    pub outcome: Result<(Value, Vec<BodyRepair>), Unrepairable>,
    /// What the run had to guess: [`guess_cost`] of its repairs plus one per
    /// line whose indentation disagrees with the depth it was read at;
    /// `None` when it failed.
    pub cost: Option<u32>,
    /// Byte offsets worth searching around, earliest first: where it failed,
    /// where it guessed, where the layout disagrees.
    pub suspects: Vec<usize>,
    /// How far the reading got: the end of the text, or where it failed.
    pub reached: usize,
    /// What the run guessed before it ended or failed, weighed as `cost`:
    /// of two readings that fail at the same place, the one that guessed
    /// less on the way read the text before it better.
    pub guessed: u32,
}

/// What a repair says about the text: 0 for the pages' conventions
/// (elisions), more for what may hide damage elsewhere.
fn guess_cost(kind: RepairKind) -> u32 {
    match kind {
        RepairKind::Elision | RepairKind::ElidedContainer | RepairKind::ElidedValue => 0,
        RepairKind::TrailingComma
        | RepairKind::ControlCharacterInString
        | RepairKind::InvalidEscape => 1,
        _ => 2,
    }
}

/// What a token in the wrong place makes, not what servers send, each
/// weighed more than an edit: a key with a space at either end or JSON's
/// punctuation inside (`"rel :` read as the key `rel `, `"title,"`), a
/// string that starts with a space or a closing token, ends with a space or
/// an opening one (`"href" ": /ucwa..."`, `"/people/282{"`), or spans lines.
const IMPLAUSIBLE_STRING_COST: u32 = 3;

fn implausible_key(key: &str) -> bool {
    key.trim() != key || key.contains([':', ',', '{', '}', '[', ']', '"', '\n'])
}

fn implausible_value(text: &str) -> bool {
    text.starts_with([' ', ':', ',', '}', ']'])
        || text.ends_with([' ', ',', '{', '[', ':'])
        || text.contains('\n')
}

/// Reads `text` with the named repairs once.
pub(crate) fn attempt(text: &str) -> Attempt {
    let mut reader = Lenient {
        text,
        newlines: text.match_indices('\n').map(|(at, _)| at).collect(),
        pos: 0,
        repairs: Vec::new(),
        positions: Vec::new(),
        layout: Vec::new(),
        unlisted: 0,
        first_unlisted: None,
        stray: 0,
        comma_in_string: false,
        elided_only: false,
        implausible: Vec::new(),
    };
    let value = match reader.document() {
        Ok(value) => value,
        Err(error) => {
            let (guessed, _) = reader.weighed();
            let mut suspects = reader.guessed_at();
            suspects.push(reader.pos);
            suspects.extend_from_slice(&reader.implausible);
            suspects.sort_unstable();
            return Attempt {
                outcome: Err(error),
                cost: None,
                suspects,
                reached: reader.pos,
                guessed,
            };
        }
    };
    if !(value.is_object() || value.is_array()) {
        // A UCWA body is an object or an array; a bare string or number is
        // what a repair made of text that is not JSON.
        return Attempt {
            outcome: Err(Unrepairable {
                line: 0,
                message: "not an object or an array".into(),
            }),
            cost: None,
            suspects: Vec::new(),
            reached: 0,
            guessed: 0,
        };
    }
    let (cost, layout) = reader.weighed();
    let mut suspects = reader.guessed_at();
    suspects.extend(layout.turns);
    suspects.extend_from_slice(&reader.implausible);
    suspects.sort_unstable();
    if let Some((first_line, first_kind)) = reader.first_unlisted {
        reader.repairs.push(BodyRepair {
            line: first_line,
            kind: first_kind,
            detail: format!(
                "this and {} more repairs from here on in this body are not listed one by one",
                reader.unlisted - 1
            ),
        });
    }
    Attempt {
        outcome: Ok((value, reader.repairs)),
        cost: Some(cost),
        suspects,
        reached: text.len(),
        guessed: cost,
    }
}

/// Repairs listed one by one per body; a hostile page cannot make the list unbounded.
const MAX_LISTED_REPAIRS: usize = 200;

/// Objects hold members, arrays hold items.
#[derive(Clone, Copy)]
enum Container {
    Object,
    Array,
}

impl Container {
    fn open(self) -> char {
        match self {
            Container::Object => '{',
            Container::Array => '[',
        }
    }

    fn close(self) -> char {
        match self {
            Container::Object => '}',
            Container::Array => ']',
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Container::Object => "member",
            Container::Array => "item",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Container::Object => "object",
            Container::Array => "array",
        }
    }

    /// True when `c` can start a member (a key, quoted or not) or an item (a value).
    fn starts_element(self, c: char) -> bool {
        match self {
            Container::Object => c == '"' || c == '_' || c == '$' || c.is_ascii_alphabetic(),
            Container::Array => "{[\"-".contains(c) || c.is_ascii_alphanumeric(),
        }
    }
}

struct Lenient<'t> {
    text: &'t str,
    /// Byte offsets of the text's line breaks, for line numbers.
    newlines: Vec<usize>,
    pos: usize,
    repairs: Vec<BodyRepair>,
    /// The byte offset of each listed repair, for the tolerant search.
    positions: Vec<usize>,
    /// Members, items and closing brackets that start a line: where, how
    /// deep, and how far indented ([`layout::disagreement`] compares them).
    layout: Vec<layout::Placed>,
    /// Repairs applied past [`MAX_LISTED_REPAIRS`], counted only, and the first of them.
    unlisted: usize,
    first_unlisted: Option<(usize, RepairKind)>,
    stray: usize,
    /// Set when [`RepairKind::MissingQuote`] closed a string before a comma
    /// that ended up inside it: the member or item after it is separated.
    comma_in_string: bool,
    /// Set when the object just read held nothing but an elision over
    /// several lines: as an array item it is dropped.
    elided_only: bool,
    /// Where each implausible key or string opens ([`implausible_key`],
    /// [`implausible_value`]): weighed, and searched around.
    implausible: Vec<usize>,
}

impl Lenient<'_> {
    fn line_at(&self, pos: usize) -> usize {
        self.newlines.partition_point(|&newline| newline < pos)
    }

    fn repair(&mut self, pos: usize, kind: RepairKind, detail: impl Into<String>) {
        if self.repairs.len() >= MAX_LISTED_REPAIRS {
            if self.first_unlisted.is_none() {
                self.first_unlisted = Some((self.line_at(pos), kind));
            }
            self.unlisted += 1;
            return;
        }
        let line = self.line_at(pos);
        self.positions.push(pos);
        self.repairs.push(BodyRepair {
            line,
            kind,
            detail: detail.into(),
        });
    }

    /// What the run guessed so far, weighed (see [`Attempt::cost`]): its
    /// repairs, those past the listing bound, implausible strings and lines
    /// the layout contradicts; and that layout disagreement.
    fn weighed(&self) -> (u32, layout::Disagreement) {
        let layout = layout::disagreement(&self.layout);
        let cost = self.repairs.iter().map(|r| guess_cost(r.kind)).sum::<u32>()
            + 2 * self.unlisted as u32
            + IMPLAUSIBLE_STRING_COST * self.implausible.len() as u32
            + layout.lines;
        (cost, layout)
    }

    /// Where the run guessed (repairs that cost something), for the search.
    fn guessed_at(&self) -> Vec<usize> {
        self.repairs
            .iter()
            .zip(&self.positions)
            .filter(|(repair, _)| guess_cost(repair.kind) > 0)
            .map(|(_, &pos)| pos)
            .collect()
    }

    /// Records `pos` when it is the first thing on its line.
    fn place(&mut self, pos: usize, depth: usize) {
        let line_start = self.text[..pos].rfind('\n').map_or(0, |at| at + 1);
        let before = &self.text[line_start..pos];
        if before.chars().all(|c| c == ' ' || c == '\t') {
            self.layout.push(layout::Placed {
                pos,
                depth,
                indent: before.len(),
            });
        }
    }

    fn fail(&self, message: impl Into<String>) -> Unrepairable {
        Unrepairable {
            line: self.line_at(self.pos),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn stray(&mut self, what: &str) -> Result<(), Unrepairable> {
        self.stray += 1;
        if self.stray > MAX_STRAY {
            return Err(self.fail("too much text that is not JSON"));
        }
        let at = self.pos;
        self.bump();
        self.repair(at, RepairKind::StrayCharacter, format!("dropped {what}"));
        Ok(())
    }

    /// At `.` or `…`: true when a run of dots/ellipses (an elision) starts here.
    fn at_elision(&self) -> bool {
        matches!(self.peek(), Some('.' | '…'))
    }

    /// Skips a run of `.`/`…` with the whitespace between them; where members
    /// or items were elided, also the comma between the elision and what follows.
    fn skip_elision(&mut self, with_comma: bool) {
        while self.at_elision() {
            self.bump();
            self.skip_whitespace();
        }
        if with_comma && self.peek() == Some(',') {
            self.bump();
            self.skip_whitespace();
        }
    }

    fn document(&mut self) -> Result<Value, Unrepairable> {
        self.skip_whitespace();
        let mut root = self.value(0)?;
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Ok(root),
                Some('}' | ']') => {
                    let at = self.pos;
                    self.bump();
                    self.repair(
                        at,
                        RepairKind::ExtraClosingBracket,
                        "dropped a closing bracket after the end of the body",
                    );
                }
                Some(',' | '"') if root.is_object() => {
                    let at = self.pos.saturating_sub(1);
                    self.repair(
                        at,
                        RepairKind::ExtraClosingBracket,
                        "the body closed before its last members; they are kept in the outer object",
                    );
                    if self.peek() == Some(',') {
                        self.bump();
                    }
                    if let Value::Object(members) = &mut root {
                        self.sequence(Container::Object, 0, |reader| reader.member(members, 1))?;
                    }
                }
                Some(_) if self.at_elision() => {
                    let at = self.pos;
                    self.skip_elision(true);
                    self.repair(at, RepairKind::Elision, "skipped an elision after the body");
                }
                Some(_) => return Err(self.fail("text after the end of the body")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Unrepairable> {
        if depth > MAX_DEPTH {
            return Err(self.fail(format!("nested deeper than {MAX_DEPTH}")));
        }
        self.skip_whitespace();
        match self.peek() {
            Some('{') => {
                self.bump();
                let mut members = Map::new();
                self.sequence(Container::Object, depth, |reader| {
                    reader.member(&mut members, depth + 1)
                })?;
                Ok(Value::Object(members))
            }
            Some('[') => {
                self.bump();
                let mut items = Vec::new();
                self.sequence(Container::Array, depth, |reader| {
                    let at = reader.pos;
                    reader.elided_only = false;
                    let item = reader.value(depth + 1)?;
                    if std::mem::take(&mut reader.elided_only) {
                        let detail = "dropped an item that holds nothing but an elision: it stands for items left out";
                        reader.repair(at, RepairKind::Elision, detail);
                    } else {
                        items.push(item);
                    }
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Some('"') => {
                let open = self.pos;
                let text = self.string()?;
                if implausible_value(&text) {
                    self.implausible.push(open);
                }
                Ok(Value::String(text))
            }
            Some('.' | '…') => {
                let at = self.pos;
                self.skip_elision(false);
                self.repair(at, RepairKind::ElidedValue, "an elided value read as null");
                Ok(Value::Null)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() => {
                let word = self.identifier().to_string();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    _ => Err(self.fail(format!("expected a value, found `{word}`"))),
                }
            }
            Some(c) => Err(self.fail(format!("expected a value, found `{c}`"))),
            None => Err(self.fail("the body ends where a value is expected")),
        }
    }

    /// The loop objects and arrays share, from after the opening bracket up
    /// to and including the closing one: separators, elisions, stray
    /// characters and the end; `element` reads one member or item. The
    /// container itself is at `depth`, its members and items one deeper.
    fn sequence(
        &mut self,
        container: Container,
        depth: usize,
        mut element: impl FnMut(&mut Self) -> Result<(), Unrepairable>,
    ) -> Result<(), Unrepairable> {
        let open = self.pos;
        let (close, noun, name) = (container.close(), container.noun(), container.name());
        let mut count = 0usize;
        let mut need_separator = false;
        let mut elided = false;
        loop {
            self.skip_whitespace();
            let Some(c) = self.peek() else {
                let detail = format!("closed an {name} the body leaves open");
                self.repair(self.pos, RepairKind::UnclosedBrackets, detail);
                self.elided_only = false;
                return Ok(());
            };
            if c == close {
                self.place(self.pos, depth);
                self.bump();
                self.elided_only = count == 0 && elided && matches!(container, Container::Object);
                return Ok(());
            }
            let at = self.pos;
            if c == ',' {
                self.bump();
                if !need_separator {
                    let detail = format!("dropped a comma with no {noun} before it");
                    self.repair(at, RepairKind::StrayCharacter, detail);
                }
                need_separator = false;
                self.skip_whitespace();
                if self.peek() == Some(close) {
                    let detail = format!("dropped a comma before `{close}`");
                    self.repair(at, RepairKind::TrailingComma, detail);
                }
            } else if self.at_elision() {
                self.skip_elision(true);
                let whole = count == 0
                    && self.peek() == Some(close)
                    && self.line_at(open) == self.line_at(self.pos);
                let (kind, detail) = if whole {
                    let open_bracket = container.open();
                    let detail = format!("`{open_bracket}...{close}` read as an empty {name}");
                    (RepairKind::ElidedContainer, detail)
                } else {
                    elided = true;
                    (RepairKind::Elision, format!("skipped elided {noun}s"))
                };
                self.repair(at, kind, detail);
                need_separator = false;
            } else if container.starts_element(c) {
                if need_separator {
                    let detail = format!("assumed a comma between {noun}s");
                    self.repair(at, RepairKind::MissingComma, detail);
                }
                self.place(at, depth + 1);
                element(self)?;
                count += 1;
                need_separator = !std::mem::take(&mut self.comma_in_string);
            } else {
                self.stray(&format!("`{c}`"))?;
            }
        }
    }

    /// One member: a key (quoted, or repaired) and its value.
    fn member(
        &mut self,
        members: &mut Map<String, Value>,
        depth: usize,
    ) -> Result<(), Unrepairable> {
        let key = if self.peek() == Some('"') {
            let open = self.pos;
            let key = self.string()?;
            if implausible_key(&key) {
                self.implausible.push(open);
            }
            key
        } else {
            let at = self.pos;
            let key = self.identifier().to_string();
            if self.peek() == Some('"') {
                self.bump();
                let detail = format!("added the opening quote of `{key}`");
                self.repair(at, RepairKind::MissingQuote, detail);
            } else {
                let detail = format!("read `{key}` as a quoted key");
                self.repair(at, RepairKind::UnquotedKey, detail);
            }
            key
        };
        self.skip_whitespace();
        if self.peek() != Some(':') {
            return Err(self.fail(format!("expected `:` after the key `{key}`")));
        }
        self.bump();
        let value = self.value(depth)?;
        members.insert(key, value);
        Ok(())
    }

    fn identifier(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-' {
                self.bump();
            } else {
                break;
            }
        }
        &self.text[start..self.pos]
    }

    fn number(&mut self) -> Result<Value, Unrepairable> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                self.bump();
            } else {
                break;
            }
        }
        let literal = &self.text[start..self.pos];
        // A number followed by an elision (`29...41` outside quotes) is not a number.
        serde_json::from_str::<serde_json::Number>(literal)
            .map(Value::Number)
            .map_err(|_| self.fail(format!("`{literal}` is not a number")))
    }

    /// A string whose opening `"` is next.
    fn string(&mut self) -> Result<String, Unrepairable> {
        let open = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                self.pos = open;
                return Err(self.fail("a string that never ends"));
            };
            match c {
                '"' => return Ok(out),
                '\\' => match self.bump() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => out.push(self.unicode_escape()?),
                    Some(other) => {
                        let at = self.pos;
                        self.repair(
                            at,
                            RepairKind::InvalidEscape,
                            format!("kept `\\{other}` as `{other}`"),
                        );
                        out.push(other);
                    }
                    None => return Err(self.fail("a string that never ends")),
                },
                '\n' | '\r' => {
                    let newline = self.pos - 1;
                    let next_line = self.text[self.pos..].trim_start();
                    if next_line.starts_with(['"', '}', ']']) && !out.trim().is_empty() {
                        // The closing quote is missing at the end of the line.
                        let kept = out.trim_end();
                        let (kept, comma) = match kept.strip_suffix(',') {
                            Some(kept) => (kept.trim_end(), true),
                            None => (kept, false),
                        };
                        let value = kept.to_string();
                        self.repair(
                            newline,
                            RepairKind::MissingQuote,
                            format!("closed the string \"{value}\" at the line end"),
                        );
                        self.pos = newline;
                        self.comma_in_string = comma;
                        return Ok(value);
                    }
                    self.repair(
                        newline,
                        RepairKind::ControlCharacterInString,
                        "dropped a line break inside a string",
                    );
                    self.skip_whitespace();
                }
                '\t' => {
                    let at = self.pos;
                    self.repair(
                        at,
                        RepairKind::ControlCharacterInString,
                        "kept a tab inside a string",
                    );
                    out.push('\t');
                }
                other => out.push(other),
            }
        }
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, Unrepairable> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) && self.text[self.pos..].starts_with("\\u") {
            self.pos += 2;
            let low = self.hex4()?;
            let code = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
            return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
        }
        Ok(char::from_u32(high).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, Unrepairable> {
        let digits = self.text.get(self.pos..self.pos + 4);
        match digits.and_then(|hex| {
            u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.chars().all(|c| c.is_ascii_hexdigit()))
        }) {
            Some(code) => {
                self.pos += 4;
                Ok(code)
            }
            None => Err(self.fail("a \\u escape without four hex digits")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repaired(text: &str) -> (Value, Vec<(usize, &'static str)>) {
        let (value, repairs) = read_json(text).unwrap_or_else(|e| panic!("{e:?}"));
        (
            value,
            repairs.iter().map(|r| (r.line, r.kind.name())).collect(),
        )
    }

    #[test]
    fn valid_json_needs_no_repair() {
        assert_eq!(
            repaired("{\"a\": [1, \"x...y\"]}"),
            (json!({"a": [1, "x...y"]}), vec![])
        );
    }

    #[test]
    fn elisions_are_skipped_or_read_as_empty() {
        let (value, repairs) = repaired(
            "{\n\"me\":{...},\n\"people\": { … },\n\"list\":[...],\n.\n.\n.\n\"rel\":\"x\"\n}",
        );
        assert_eq!(
            value,
            json!({"me": {}, "people": {}, "list": [], "rel": "x"})
        );
        assert_eq!(
            repairs,
            vec![
                (1, "elided-container"),
                (2, "elided-container"),
                (3, "elided-container"),
                (4, "elision")
            ]
        );
        let (value, repairs) = repaired("{\"a\": ..., \"b\": [1, ..., 2], \"c\": {\n...\n}}");
        assert_eq!(value, json!({"a": null, "b": [1, 2], "c": {}}));
        assert_eq!(
            repairs,
            vec![(0, "elided-value"), (0, "elision"), (1, "elision")]
        );
        // An array item that is nothing but an elision stands for items left out.
        let (value, repairs) =
            repaired("{\"events\": [\n{\"a\": {\n.\n}},\n{\n.\n.\n}\n], \"b\": [{...}]}");
        assert_eq!(value, json!({"events": [{"a": {}}], "b": [{}]}));
        assert_eq!(
            repairs,
            vec![
                (2, "elision"),
                (5, "elision"),
                (4, "elision"),
                (8, "elided-container")
            ]
        );
    }

    #[test]
    fn commas_quotes_and_stray_characters() {
        let (value, repairs) = repaired("{\n\"a\":\"x\"'\n\"b\":[1,2,],\n\"c\":3,\n}");
        assert_eq!(value, json!({"a": "x", "b": [1, 2], "c": 3}));
        assert_eq!(
            repairs,
            vec![
                // `2,],`: the comma before `]` belongs after it.
                (2, "misplaced-token"),
                (1, "stray-character"),
                (3, "trailing-comma")
            ]
        );
        let (value, repairs) = repaired(
            "{\"userAgent\":\"UCWA\",\"\n_links\":{},\n\"name\":\"Lene,\n\"uri\":\"sip:x\"}",
        );
        assert_eq!(
            value,
            json!({"userAgent": "UCWA", "_links": {}, "name": "Lene", "uri": "sip:x"})
        );
        assert_eq!(
            repairs,
            vec![(0, "control-character-in-string"), (2, "missing-quote")]
        );
        let (value, repairs) = repaired("{name: \"x\", _links\": {}}");
        assert_eq!(value, json!({"name": "x", "_links": {}}));
        assert_eq!(repairs, vec![(0, "unquoted-key"), (0, "missing-quote")]);
    }

    #[test]
    fn a_closing_bracket_too_many_or_too_few() {
        // GetMyPresenceInformation: `"communication":{` elided, its `}` kept.
        let (value, repairs) = repaired("{\n\"_embedded\":{\n\"me\":{},\n\"rel\":\"communication\"}\n},\n\"rel\":\"application\"\n}");
        assert_eq!(
            value,
            json!({"_embedded": {"me": {}, "rel": "communication"}, "rel": "application"})
        );
        assert_eq!(repairs, vec![(4, "extra-closing-bracket")]);
        let (value, repairs) = repaired("{\"a\":[1,{\"b\":2");
        assert_eq!(value, json!({"a": [1, {"b": 2}]}));
        assert_eq!(
            repairs,
            vec![
                (0, "unclosed-brackets"),
                (0, "unclosed-brackets"),
                (0, "unclosed-brackets")
            ]
        );
    }

    #[test]
    fn repairs_past_the_listed_number_are_counted_in_one_more() {
        let body = format!("[1{}]", ",\n.".repeat(MAX_LISTED_REPAIRS + 50));
        let (value, repairs) = read_json(&body).unwrap();
        assert_eq!(value, json!([1]));
        assert_eq!(repairs.len(), MAX_LISTED_REPAIRS + 1);
        let last = repairs.last().unwrap();
        assert_eq!(last.line, MAX_LISTED_REPAIRS + 1);
        assert!(
            last.detail.starts_with("this and 49 more repairs"),
            "{}",
            last.detail
        );
    }

    #[test]
    fn what_no_repair_fixes_is_refused_with_its_line() {
        // Too long for the search: the named repairs alone, which stop at line 1.
        let long = format!("{{\n\"a\": nope\n{}}}", " ".repeat(64 * 1024));
        let error = read_json(&long).unwrap_err();
        assert_eq!(error.line, 1);
        // A word where a value belongs is a string with a quote missing, said so.
        let (value, repairs) = read_json("{\n\"a\": nope\n}").unwrap();
        assert_eq!(value, json!({"a": "nope"}));
        assert!(repairs.iter().all(|r| r.line == 1) && repairs.len() == 2);
        assert!(read_json("What's up?").is_err());
        // A string left open at the end is closed, and said so.
        let (value, repairs) = read_json("{\"a\": \"never ends").unwrap();
        assert_eq!(value, json!({"a": "never ends"}));
        assert!(repairs.iter().any(|r| r.kind == RepairKind::MissingToken));
        assert!(read_json("!!!!!!!!!!!!!!!!!!").is_err());
        let deep = "[".repeat(10_000);
        assert!(read_json(&deep).is_err());
    }
}
