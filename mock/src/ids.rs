//! Generated ids in paths and hrefs: one id per object, across pages.
//!
//! Each task page was captured in its own session, so one object has another
//! id on every page: CreateAnApplication creates application `105`, SendAnIM
//! then posts to `/applications/102/…`, GetMyNoteInformation reads
//! `/applications/101970941658/me/note`. A client follows the hrefs the mock
//! served it, so the mock keeps one id per object, rewrites the pages' other
//! ids to it in what it serves, and accepts it where a page documents another.
//!
//! **Which path segments are ids.** A segment is a generated id when the
//! segment before it names a collection whose members the server creates:
//! - the UCWA collections of [`GENERATED_COLLECTIONS`] (`applications`,
//!   `conversations`, `messagingInvitations`, `participants`, …);
//! - the collection of every `Location` that a documented `201 Created`
//!   names: its last segment is the new member's id (SendAnIM's
//!   `…/messaging/messages/2` makes `messages` one).
//!
//! Nothing else is tolerated: fixed resources (`me`, `communication`,
//! `people/contacts`), people and photos (`people/lenea@contoso.com`: a SIP
//! address, not a generated id), the segments before and between ids, and
//! query values are compared as written. An id's **slot** is its collection's
//! path from `applications` on, with the ids before it as `*`
//! (`applications/*/communication/conversations`): `/ucwa/oauth/v1/` and
//! `/ucwa/v1/` are the same API under two authentication schemes, and pages
//! mix them (SubscribeToThePresenceOfSelectedContacts).
//!
//! **Handing out.** Every URL the mock serves (`Location`,
//! `Content-Location`, `Set-Cookie` paths, JSON `href`s, `href`s in XML and
//! text bodies) is rewritten id by id, in the order served. A documented id
//! - already bound stands for the id it is bound to;
//! - in the `applications` slot stands for the first application handed out:
//!   a replay has one application (the pages' `101`, `102`, `103`, `105`,
//!   `101970941658`, … are all the client's application);
//! - of 3 or more characters that begins exactly one handed-out id of 16 or
//!   more characters in its slot stands for that id: pages shorten long ids
//!   (SendAnIM's event names `messagingInvitations/60c` after its `Location`
//!   named `messagingInvitations/60c6490148e84972a18ac13d601f29ec`);
//! - is otherwise handed out as it is: a new object.
//!
//! **Accepting.** Where a documented request path has an id, the received
//! segment must be the id that documented id is bound to; or, when it is not
//! bound yet, an id handed out in that slot (the application, in
//! `applications`), which binds it; or, outside `applications`, the
//! documented id itself (the page starts from an object created before it,
//! as SendAnIM served alone does, or names one beside those it creates, as a
//! page in the middle of a flow does), which is then handed out. Anything
//! else is a mismatch naming the id the mock expects and saying that the
//! received one was never handed out.
//!
//! **One API, two schemes.** `/ucwa/oauth/v1/…` and `/ucwa/v1/…` are
//! compared as the same path when they differ only there: a client follows
//! the hrefs it was served, whichever scheme the page's request line shows.
//!
//! Two more things a client that follows hrefs does differently from a page:
//! - **a path that names a link relation.** SendAnIM posts to
//!   `…/communication/startmessaging`, the name of the `startMessaging` link,
//!   where CreateAnApplication's link says `…/communication/messagingInvitations`.
//!   When a documented path's last segment is the name of a link relation the
//!   mock served (case-insensitively), the href it served for that relation is
//!   accepted, provided the rest of the path matches by the rules above.
//! - **the application's host.** A path under an application is accepted at
//!   the host where the mock handed the application out (its hrefs are
//!   relative to it), besides the documented host: SetMyPresenceInformation
//!   posts to `contoso.com` for an application that `lyncweb.contoso.com`
//!   serves.
//!
//! Bounded: at most [`MAX_SLOTS`] slots of [`MAX_IDS_PER_SLOT`] ids and
//! [`MAX_RELATIONS`] link relations are remembered per replay; beyond that,
//! ids are served as documented and not remembered.

use crate::message::header;
use crate::transcript::{Location, Transcript};
use crate::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// UCWA collections whose members' ids the server generates.
pub const GENERATED_COLLECTIONS: [&str; 12] = [
    "applications",
    "conversations",
    "messagingInvitations",
    "audioVideoInvitations",
    "phoneAudioInvitations",
    "onlineMeetingInvitations",
    "participantInvitations",
    "participants",
    "messages",
    "presenceSubscriptions",
    "myOnlineMeetings",
    "mediaRenegotiations",
];

/// The slot where a replay has exactly one member: its application.
const APPLICATIONS: &str = "applications";

/// Slots remembered per replay.
pub const MAX_SLOTS: usize = 64;
/// Ids remembered per slot.
pub const MAX_IDS_PER_SLOT: usize = 256;
/// Link relations remembered per replay.
pub const MAX_RELATIONS: usize = 512;

/// The shortest documented id taken for a shortened one, and the shortest id it may shorten.
const MIN_SHORTENED: usize = 3;
const MIN_SHORTENED_FROM: usize = 16;

/// Which path segments are generated ids: the collections they follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSlots {
    /// Collection names, lowercased, in the order found.
    collections: Vec<String>,
    /// The collections learned from documented `201` `Location`s (not in [`GENERATED_COLLECTIONS`]).
    from_locations: Vec<(String, Location)>,
}

impl IdSlots {
    /// [`GENERATED_COLLECTIONS`] and the collections of the transcript's `201` `Location`s.
    pub fn read(transcript: &Transcript) -> IdSlots {
        let mut slots = IdSlots {
            collections: GENERATED_COLLECTIONS
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
            from_locations: Vec::new(),
        };
        for (_, step) in transcript.steps() {
            let Some(response) = step.response.as_ref().filter(|r| r.status == 201) else {
                continue;
            };
            let Some(location) = header(&response.headers, "location") else {
                continue;
            };
            let segments = decoded_segments(split_url(location).path);
            if let [.., collection, id] = segments.as_slice() {
                if !id.is_empty() && !collection.is_empty() && !slots.is_collection(collection) {
                    slots.collections.push(collection.clone());
                    slots
                        .from_locations
                        .push((collection.clone(), response.location.clone()));
                }
            }
        }
        slots
    }

    /// The collections learned from documented `Location`s, with where.
    pub fn from_locations(&self) -> &[(String, Location)] {
        &self.from_locations
    }

    /// Every collection whose members' ids are generated, as [`GENERATED_COLLECTIONS`]
    /// writes them, then those learned from `Location`s (lowercased).
    pub fn collections(&self) -> Vec<&str> {
        GENERATED_COLLECTIONS
            .iter()
            .copied()
            .chain(self.from_locations.iter().map(|(name, _)| name.as_str()))
            .collect()
    }

    fn is_collection(&self, lowercase: &str) -> bool {
        self.collections.iter().any(|name| name == lowercase)
    }

    /// A path as the mock compares it across pages: from its last
    /// `applications` segment on (`/ucwa/oauth/v1/` and `/ucwa/v1/` are one
    /// API), percent-decoded and lowercased, every generated id as `*`; the
    /// whole path when it names no `applications`. With it, how many of the
    /// path's `/`-separated segments (the empty one before the first `/`
    /// included) come before the shape.
    pub fn shape(&self, path: &str) -> (usize, Vec<String>) {
        let raw = raw_segments(path);
        let ids: Vec<usize> = self
            .positions(&raw)
            .into_iter()
            .map(|position| position.index)
            .collect();
        let start = raw
            .iter()
            .rposition(|segment| decoded(segment) == APPLICATIONS)
            .unwrap_or(0);
        let shape = raw
            .iter()
            .enumerate()
            .skip(start)
            .map(|(index, segment)| match ids.contains(&index) {
                true => "*".to_string(),
                false => decoded(segment),
            })
            .collect();
        (start, shape)
    }

    /// The ids of a path's raw segments.
    fn positions(&self, raw: &[&str]) -> Vec<Position> {
        let mut positions = Vec::new();
        let mut slot: Vec<String> = Vec::new();
        let mut shown: Vec<&str> = Vec::new();
        let mut previous_is_collection = false;
        for (index, segment) in raw.iter().enumerate() {
            let lowercase = decoded(segment);
            if previous_is_collection && !lowercase.is_empty() {
                positions.push(Position {
                    index,
                    slot: slot.join("/"),
                    shown: shown.join("/"),
                });
                slot.push("*".into());
                shown.push("*");
                previous_is_collection = false;
                continue;
            }
            if lowercase == APPLICATIONS {
                slot.clear();
                shown.clear();
            }
            previous_is_collection = self.is_collection(&lowercase);
            slot.push(lowercase);
            shown.push(segment);
        }
        positions
    }
}

/// `path` with the authentication scheme's segment after `ucwa` dropped
/// (`/ucwa/oauth/v1/…` → `/ucwa/v1/…`): one API under two schemes, and
/// pages mix them.
fn one_api(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let scheme = segments.windows(3).position(|w| {
        w[0].eq_ignore_ascii_case("ucwa")
            && w[1].eq_ignore_ascii_case("oauth")
            && w[2].eq_ignore_ascii_case("v1")
    });
    match scheme {
        Some(at) => segments
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != at + 1)
            .map(|(_, segment)| *segment)
            .collect::<Vec<_>>()
            .join("/"),
        None => path.to_string(),
    }
}

/// Where a path has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    /// The segment's index.
    index: usize,
    /// Its slot, lowercased: `applications/*/communication/conversations`.
    slot: String,
    /// Its slot as the page writes it, for messages.
    shown: String,
}

/// A path split for rewriting: what comes before it, the path, what follows.
struct SplitUrl<'a> {
    prefix: &'a str,
    path: &'a str,
    rest: &'a str,
}

/// `https://host/a/b?c` → (`https://host`, `/a/b`, `?c`); `path=/a/b` → (`path=`, `/a/b`, ``).
fn split_url(text: &str) -> SplitUrl<'_> {
    let path_start = match text.find("://") {
        Some(scheme_end) => text[scheme_end + 3..]
            .find('/')
            .map(|at| scheme_end + 3 + at),
        None => text.find('/'),
    };
    let Some(start) = path_start else {
        return SplitUrl {
            prefix: text,
            path: "",
            rest: "",
        };
    };
    let end = text[start..]
        .find(['?', '#'])
        .map_or(text.len(), |at| start + at);
    SplitUrl {
        prefix: &text[..start],
        path: &text[start..end],
        rest: &text[end..],
    }
}

/// A path's segments, percent-decoded and lowercased, a trailing `/` dropped.
pub(crate) fn decoded_segments(path: &str) -> Vec<String> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    trimmed.split('/').map(decoded).collect()
}

/// A segment percent-decoded, its case kept: an id as the client sent it.
fn as_sent(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

fn decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .to_ascii_lowercase()
}

fn raw_segments(path: &str) -> Vec<&str> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    trimmed.split('/').collect()
}

/// One slot's ids.
#[derive(Debug, Default, Clone)]
struct SlotIds {
    /// As the page first wrote it, for messages (`applications/*/communication/conversations`).
    shown: String,
    /// Ids handed out, as served.
    handed_out: Vec<String>,
    /// Documented id (lowercased) → the id it stands for.
    bound: Vec<(String, String)>,
}

impl SlotIds {
    fn bound_to(&self, documented: &str) -> Option<&str> {
        let documented = documented.to_ascii_lowercase();
        self.bound
            .iter()
            .find(|(known, _)| *known == documented)
            .map(|(_, served)| served.as_str())
    }

    fn handed_out(&self, id: &str) -> Option<&str> {
        self.handed_out
            .iter()
            .find(|known| known.eq_ignore_ascii_case(id))
            .map(String::as_str)
    }

    /// The one handed-out id that `documented` shortens, if it shortens exactly one.
    fn shortened(&self, documented: &str) -> Option<&str> {
        if documented.len() < MIN_SHORTENED {
            return None;
        }
        let documented = documented.to_ascii_lowercase();
        let mut found = self.handed_out.iter().filter(|id| {
            id.len() >= MIN_SHORTENED_FROM && id.to_ascii_lowercase().starts_with(&documented)
        });
        match (found.next(), found.next()) {
            (Some(only), None) => Some(only.as_str()),
            _ => None,
        }
    }
}

/// A documented id bound to the id the client gets, learned from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    slot: String,
    shown_slot: String,
    documented: String,
    received: String,
}

/// Why a received path does not match the documented one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathDifference {
    /// `path`, or `path id (applications/{id})`.
    pub at: String,
    pub expected: String,
    pub received: String,
}

/// A documented id the mock rewrites to another, as found by [`aliases`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdAlias {
    /// The collection path, ids before it as `*` (`applications/*/communication/messagingInvitations`).
    pub slot: String,
    /// The id the page documents.
    pub documented: String,
    /// Where the page first shows it (a request line or a response's status line).
    pub documented_at: Location,
    /// The id the mock hands out for it.
    pub stands_for: String,
    /// Where the mock first hands that id out.
    pub handed_out_at: Location,
}

impl fmt::Display for IdAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{{id}}: {} ({}) is served and accepted as {} ({})",
            self.slot, self.documented, self.documented_at, self.stands_for, self.handed_out_at
        )
    }
}

/// The aliases a client that follows the served hrefs meets, in transcript
/// order: each step's documented request and then its response go through
/// the rules above as the mock serves them. Start-up prints them.
pub fn aliases(transcript: &Transcript) -> Vec<IdAlias> {
    let mut ids = IdMap::new(Arc::new(IdSlots::read(transcript)));
    ids.trace = Some(Trace::default());
    for (id, step) in transcript.steps() {
        ids.enter_page(id.page);
        if let Some(request) = &step.request {
            ids.at = Some(request.location.clone());
            ids.rewrite_url(&request.target.path);
        }
        if let Some(response) = &step.response {
            ids.at = Some(response.location.clone());
            let mut response = response.clone();
            ids.hand_out(&mut response, None);
        }
    }
    ids.trace.map(|trace| trace.aliases).unwrap_or_default()
}

/// Where ids were handed out, for [`aliases`].
#[derive(Debug, Default, Clone)]
struct Trace {
    handed_out_at: HashMap<(String, String), Location>,
    aliases: Vec<IdAlias>,
}

/// One replay's ids: what the mock handed out, which documented id stands
/// for which, the link relations it served, and the application's host.
#[derive(Debug, Clone)]
pub(crate) struct IdMap {
    slots: Arc<IdSlots>,
    by_slot: HashMap<String, SlotIds>,
    relations: HashMap<String, String>,
    application_authority: Option<String>,
    /// The page whose ids are bound now (see [`IdMap::enter_page`]).
    page: Option<usize>,
    /// For [`aliases`]: where the message being read is.
    at: Option<Location>,
    trace: Option<Trace>,
}

impl IdMap {
    pub fn new(slots: Arc<IdSlots>) -> IdMap {
        IdMap {
            slots,
            by_slot: HashMap::new(),
            relations: HashMap::new(),
            application_authority: None,
            page: None,
            at: None,
            trace: None,
        }
    }

    /// The replay moves on to page `page`: pages are captured separately, so
    /// the ids one page generated (a conversation, a meeting) say nothing of
    /// another's, and binding them across pages would refuse the next page's
    /// own. Every id but the application's (one per replay) starts afresh.
    pub fn enter_page(&mut self, page: usize) {
        if self.page.replace(page).is_some_and(|was| was != page) {
            self.by_slot.retain(|slot, _| slot == APPLICATIONS);
        }
    }

    fn slot(&self, slot: &str) -> Option<&SlotIds> {
        self.by_slot.get(slot)
    }

    /// The slot's ids, made if there is room.
    fn slot_mut(&mut self, slot: &str, shown: &str) -> Option<&mut SlotIds> {
        if !self.by_slot.contains_key(slot) && self.by_slot.len() >= MAX_SLOTS {
            return None;
        }
        let ids = self.by_slot.entry(slot.to_string()).or_default();
        if ids.shown.is_empty() {
            ids.shown = shown.to_string();
        }
        Some(ids)
    }

    /// The id a documented id is served as (binding it, or handing it out).
    fn stands_for(&mut self, slot: &str, shown: &str, documented: &str) -> String {
        let at = self.at.clone();
        let Some(ids) = self.slot_mut(slot, shown) else {
            return documented.to_string();
        };
        if let Some(served) = ids.bound_to(documented) {
            return served.to_string();
        }
        let alias = if slot == APPLICATIONS {
            ids.handed_out.first().cloned()
        } else {
            ids.shortened(documented).map(str::to_string)
        };
        let served = alias.clone().unwrap_or_else(|| documented.to_string());
        if ids.bound.len() < MAX_IDS_PER_SLOT {
            ids.bound
                .push((documented.to_ascii_lowercase(), served.clone()));
        }
        if alias.is_none() && ids.handed_out.len() < MAX_IDS_PER_SLOT {
            ids.handed_out.push(served.clone());
        }
        if let (Some(trace), Some(at)) = (&mut self.trace, at) {
            let key = (slot.to_string(), served.to_ascii_lowercase());
            let handed_out_at = trace.handed_out_at.entry(key).or_insert(at.clone()).clone();
            if alias.is_some() {
                trace.aliases.push(IdAlias {
                    slot: shown.to_string(),
                    documented: documented.to_string(),
                    documented_at: at,
                    stands_for: served.clone(),
                    handed_out_at,
                });
            }
        }
        served
    }

    /// A URL or href with each documented id replaced by the id it is served as.
    pub fn rewrite_url(&mut self, url: &str) -> String {
        let split = split_url(url);
        if split.path.is_empty() {
            return url.to_string();
        }
        let raw = raw_segments(split.path);
        let positions = self.slots.positions(&raw);
        if positions.is_empty() {
            return url.to_string();
        }
        let mut segments: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        for position in positions {
            segments[position.index] =
                self.stands_for(&position.slot, &position.shown, raw[position.index]);
        }
        let trailing = if split.path.len() > 1 && split.path.ends_with('/') {
            "/"
        } else {
            ""
        };
        format!(
            "{}{}{trailing}{}",
            split.prefix,
            segments.join("/"),
            split.rest
        )
    }

    /// [`IdMap::rewrite_url`] on every URL-like word of a text (headers, XML, text bodies).
    pub fn rewrite_text(&mut self, text: &str) -> String {
        const DELIMITERS: &[char] = &[
            '"', '\'', '<', '>', '(', ')', ',', ';', ' ', '\t', '\r', '\n',
        ];
        let mut out = String::with_capacity(text.len());
        let mut word_start = 0;
        for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
            if !DELIMITERS.contains(&c) {
                continue;
            }
            let word = &text[word_start..at];
            if word.contains('/') {
                out.push_str(&self.rewrite_url(word));
            } else {
                out.push_str(word);
            }
            if at < text.len() {
                out.push(c);
            }
            word_start = at + c.len_utf8();
        }
        out
    }

    /// Every `href` of a JSON body rewritten, in order, and the link relations remembered.
    pub fn rewrite_json(&mut self, value: &mut Value) {
        match value {
            Value::Object(members) => {
                let rel = members
                    .get("rel")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                for (key, member) in members.iter_mut() {
                    match member {
                        Value::String(href) if key == "href" => {
                            *href = self.rewrite_url(href);
                            if let Some(rel) = &rel {
                                self.remember_relation(rel, href);
                            }
                        }
                        Value::Object(links) if key == "_links" => {
                            for (rel, link) in links.iter_mut() {
                                self.rewrite_json(link);
                                if let Some(href) = link.get("href").and_then(Value::as_str) {
                                    let href = href.to_string();
                                    self.remember_relation(rel, &href);
                                }
                            }
                        }
                        other => self.rewrite_json(other),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.rewrite_json(item)),
            _ => {}
        }
    }

    fn remember_relation(&mut self, rel: &str, href: &str) {
        let rel = rel.to_ascii_lowercase();
        if self.relations.contains_key(&rel) || self.relations.len() < MAX_RELATIONS {
            self.relations.insert(rel, split_url(href).path.to_string());
        }
    }

    /// Rewrites a response the mock is about to serve: `Location` and
    /// `Content-Location` first, then the body, then `Set-Cookie` paths.
    /// `authority`: the documented host of the request it answers.
    pub fn hand_out(&mut self, response: &mut Response, authority: Option<&str>) {
        let had_application = self.application().is_some();
        for name in ["location", "content-location"] {
            for (_, value) in response
                .headers
                .iter_mut()
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            {
                *value = self.rewrite_url(value.trim());
            }
        }
        match &mut response.body {
            crate::Body::Json(value) => self.rewrite_json(value),
            crate::Body::Xml(text) | crate::Body::Text(text) => *text = self.rewrite_text(text),
            crate::Body::Multipart { parts, .. } => {
                for part in parts {
                    *part = self.rewrite_text(part);
                }
            }
            _ => {}
        }
        for (_, value) in response
            .headers
            .iter_mut()
            .filter(|(key, _)| key.eq_ignore_ascii_case("set-cookie"))
        {
            *value = self.rewrite_text(value);
        }
        if !had_application && self.application().is_some() {
            self.application_authority = authority.map(str::to_string);
        }
    }

    /// The application handed out, if any.
    pub fn application(&self) -> Option<&str> {
        self.slot(APPLICATIONS)?
            .handed_out
            .first()
            .map(String::as_str)
    }

    /// True when `path` is the application the mock handed out (`…/applications/{id}`),
    /// or `…/applications/{id}/{tail…}` when `tail` is given.
    pub fn is_application_path(&self, path: &str, tail: &[&str]) -> bool {
        let segments = decoded_segments(path);
        let Some(application) = self.application() else {
            return false;
        };
        let Some(at) = segments.iter().rposition(|s| s == APPLICATIONS) else {
            return false;
        };
        let rest = &segments[at + 1..];
        rest.len() == tail.len() + 1
            && rest[0].eq_ignore_ascii_case(application)
            && rest[1..]
                .iter()
                .zip(tail)
                .all(|(segment, expected)| segment.eq_ignore_ascii_case(expected))
    }

    /// The application was created again after an injected expiry: it gets
    /// a new id, as a server's new application does, so a client that goes
    /// on with the old one's hrefs is caught. Every documented application id
    /// stands for the new id from now on, the link relations served under the
    /// old one are rewritten to it, and the ids of objects under the old
    /// application (conversations, subscriptions) are forgotten: they went
    /// with it. Returns (old id, new id).
    pub fn recreate_application(&mut self) -> Option<(String, String)> {
        let ids = self.by_slot.get_mut(APPLICATIONS)?;
        let old = ids.handed_out.first()?.clone();
        // `105` → `105r2` → `105r3`: same shape, never one handed out before.
        let (base, generation) = match old.rsplit_once('r') {
            Some((base, n)) if !base.is_empty() && n.parse::<u32>().is_ok() => {
                (base.to_string(), n.parse::<u32>().unwrap_or(1))
            }
            _ => (old.clone(), 1),
        };
        let new = format!("{base}r{}", generation.saturating_add(1));
        ids.handed_out = vec![new.clone()];
        for (_, served) in &mut ids.bound {
            *served = new.clone();
        }
        self.by_slot.retain(|slot, _| slot == APPLICATIONS);
        for href in self.relations.values_mut() {
            *href = replace_application_id(href, &old, &new);
        }
        Some((old, new))
    }

    /// True when `path` is the application the mock handed out or any
    /// resource under it (`…/applications/{id}/…`).
    pub fn is_within_application(&self, path: &str) -> bool {
        let segments = decoded_segments(path);
        let Some(application) = self.application() else {
            return false;
        };
        segments
            .iter()
            .rposition(|s| s == APPLICATIONS)
            .and_then(|at| segments.get(at + 1))
            .is_some_and(|id| id.eq_ignore_ascii_case(application))
    }

    /// True when a documented path lies under an application and `authority`
    /// is where the mock handed that application out.
    pub fn is_application_host(&self, documented_path: &str, authority: &str) -> bool {
        self.is_under_application(documented_path)
            && self.application_authority.as_deref() == Some(authority)
    }

    /// True when a path has an application id (`…/applications/{id}…`).
    pub fn is_under_application(&self, path: &str) -> bool {
        self.slots
            .positions(&raw_segments(path))
            .iter()
            .any(|position| position.slot == APPLICATIONS)
    }

    /// Compares a received path with the documented one under the rules above;
    /// the bindings it makes, or why it does not match.
    pub fn compare_path(
        &self,
        documented: &str,
        received: &str,
    ) -> Result<Vec<Binding>, PathDifference> {
        let (documented_api, received_api) = (one_api(documented), one_api(received));
        match self.compare_segments(documented, received) {
            Ok(bindings) => Ok(bindings),
            Err(difference) => self
                .by_relation_name(documented, received)
                .or_else(|| {
                    // `/ucwa/oauth/v1/…` where the client followed a `/ucwa/v1/…` href, or back.
                    let differs = documented_api != documented || received_api != received;
                    differs
                        .then(|| self.compare_segments(&documented_api, &received_api).ok())
                        .flatten()
                })
                .ok_or(difference),
        }
    }

    /// A documented path whose last segment names a link relation the mock served.
    fn by_relation_name(&self, documented: &str, received: &str) -> Option<Vec<Binding>> {
        let documented_raw = raw_segments(documented);
        let received_raw = raw_segments(received);
        let (name, documented_parent) = documented_raw.split_last()?;
        let (_, received_parent) = received_raw.split_last()?;
        let served = self.relations.get(&decoded(name))?;
        if decoded_segments(served) != decoded_segments(received) {
            return None;
        }
        self.compare_segments(&documented_parent.join("/"), &received_parent.join("/"))
            .ok()
    }

    fn compare_segments(
        &self,
        documented: &str,
        received: &str,
    ) -> Result<Vec<Binding>, PathDifference> {
        let documented_raw = raw_segments(documented);
        let documented_decoded: Vec<String> = documented_raw
            .iter()
            .map(|segment| decoded(segment))
            .collect();
        let received_decoded = decoded_segments(received);
        // Ids are compared without case but named and bound as sent.
        let received_as_sent: Vec<String> = raw_segments(received)
            .iter()
            .map(|segment| as_sent(segment))
            .collect();
        let positions = self.slots.positions(&documented_raw);
        let plain = || PathDifference {
            at: "path".into(),
            expected: self.expected_path(documented),
            received: received.to_string(),
        };
        if documented_decoded.len() != received_decoded.len() {
            return Err(plain());
        }
        let mut bindings = Vec::new();
        for (index, (expected, actual)) in
            documented_decoded.iter().zip(&received_decoded).enumerate()
        {
            match positions.iter().find(|position| position.index == index) {
                Some(position) => {
                    let binding = self.accept(
                        &position.slot,
                        &position.shown,
                        documented_raw[index],
                        &received_as_sent[index],
                    )?;
                    bindings.extend(binding);
                }
                None if expected != actual => return Err(plain()),
                None => {}
            }
        }
        Ok(bindings)
    }

    /// Whether `received` may stand where the page documents `documented`.
    fn accept(
        &self,
        slot: &str,
        shown: &str,
        documented: &str,
        received: &str,
    ) -> Result<Option<Binding>, PathDifference> {
        let ids = self.slot(slot);
        let at = format!("path id ({shown}/{{id}})");
        let binding = |received: &str| Binding {
            slot: slot.to_string(),
            shown_slot: shown.to_string(),
            documented: documented.to_string(),
            received: received.to_string(),
        };
        let never = |expected: String| {
            let handed_out = ids.map(|ids| ids.handed_out.join(", ")).unwrap_or_default();
            let received = if ids.and_then(|ids| ids.handed_out(received)).is_some() {
                format!("{received} (handed out for another object)")
            } else if handed_out.is_empty() {
                format!("{received} (never handed out)")
            } else {
                format!("{received} (never handed out; handed out: {handed_out})")
            };
            Err(PathDifference {
                at: at.clone(),
                expected,
                received,
            })
        };
        if let Some(served) = ids.and_then(|ids| ids.bound_to(documented)) {
            if served.eq_ignore_ascii_case(received) {
                return Ok(None);
            }
            return never(stands_for_text(served, documented));
        }
        let handed_out = ids.map(|ids| ids.handed_out.as_slice()).unwrap_or_default();
        if slot == APPLICATIONS {
            if let Some(application) = handed_out.first() {
                if application.eq_ignore_ascii_case(received) {
                    return Ok(Some(binding(application)));
                }
                return never(stands_for_text(application, documented));
            }
        } else if let Some(known) = handed_out
            .iter()
            .find(|id| id.eq_ignore_ascii_case(received))
        {
            return Ok(Some(binding(known)));
        } else if !handed_out.is_empty() && !documented.eq_ignore_ascii_case(received) {
            // The documented id itself stays acceptable: an object the page
            // starts from, distinct from the ones handed out in its slot
            // (a page in the middle of a flow names two conversations).
            return never(format!("an id handed out for the documented {documented}"));
        }
        if documented.eq_ignore_ascii_case(received) {
            Ok(Some(binding(documented)))
        } else {
            never(documented.to_string())
        }
    }

    /// Keeps the bindings of a request that matched; `authority`: where it arrived.
    pub fn bind(&mut self, bindings: Vec<Binding>, authority: &str) {
        for binding in bindings {
            let first_application = binding.slot == APPLICATIONS && self.application().is_none();
            let Some(ids) = self.slot_mut(&binding.slot, &binding.shown_slot) else {
                continue;
            };
            if ids.bound_to(&binding.documented).is_none() && ids.bound.len() < MAX_IDS_PER_SLOT {
                ids.bound.push((
                    binding.documented.to_ascii_lowercase(),
                    binding.received.clone(),
                ));
            }
            if ids.handed_out(&binding.received).is_none()
                && ids.handed_out.len() < MAX_IDS_PER_SLOT
            {
                ids.handed_out.push(binding.received);
            }
            if first_application {
                self.application_authority = Some(authority.to_string());
            }
        }
    }

    /// The documented path with the ids already bound replaced, for messages.
    fn expected_path(&self, documented: &str) -> String {
        let raw = raw_segments(documented);
        let mut segments: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        for Position { index, slot, .. } in self.slots.positions(&raw) {
            let ids = self.slot(&slot);
            let served = ids.and_then(|ids| ids.bound_to(raw[index])).or_else(|| {
                (slot == APPLICATIONS)
                    .then(|| ids.and_then(|ids| ids.handed_out.first().map(String::as_str)))
                    .flatten()
            });
            if let Some(served) = served {
                segments[index] = served.to_string();
            }
        }
        segments.join("/")
    }
}

/// `105 (the page's 102 stands for it)`, or just the id when they are the same.
fn stands_for_text(served: &str, documented: &str) -> String {
    if served.eq_ignore_ascii_case(documented) {
        served.to_string()
    } else {
        format!("{served} (handed out; the page's {documented} stands for it)")
    }
}

/// `path` with the segment after `applications` replaced when it is `old`.
fn replace_application_id(path: &str, old: &str, new: &str) -> String {
    let mut after_applications = false;
    path.split('/')
        .map(|segment| {
            let replace = after_applications && decoded(segment).eq_ignore_ascii_case(old);
            after_applications = segment.eq_ignore_ascii_case(APPLICATIONS);
            if replace {
                new.to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Page;

    fn ids() -> IdMap {
        IdMap::new(Arc::new(IdSlots::read(&Transcript::default())))
    }

    #[test]
    fn one_api_drops_only_the_oauth_scheme_after_ucwa() {
        assert_eq!(
            one_api("/ucwa/oauth/v1/applications/7"),
            "/ucwa/v1/applications/7"
        );
        assert_eq!(one_api("/UCWA/OAuth/V1/x"), "/UCWA/V1/x");
        assert_eq!(
            one_api("/ucwa/v1/applications/7"),
            "/ucwa/v1/applications/7"
        );
        // Elsewhere `oauth` is a segment like any other.
        assert_eq!(
            one_api("/Autodiscover/root/oauth/user"),
            "/Autodiscover/root/oauth/user"
        );
        let ids = IdMap::new(Arc::new(IdSlots::read(&Transcript::default())));
        assert!(ids
            .compare_path(
                "/ucwa/oauth/v1/applications/7/me",
                "/ucwa/v1/applications/7/me"
            )
            .is_ok());
        assert!(ids
            .compare_path(
                "/ucwa/oauth/v1/applications/7/me",
                "/ucwa/v2/applications/7/me"
            )
            .is_err());
    }

    #[test]
    fn shapes_start_at_applications_and_hide_ids() {
        let slots = IdSlots::read(&Transcript::default());
        let shape = |path: &str| {
            let (start, shape) = slots.shape(path);
            (start, shape.join("/"))
        };
        assert_eq!(
            shape("/ucwa/oauth/v1/applications/102/communication/conversations/21a1/messaging"),
            (
                4,
                "applications/*/communication/conversations/*/messaging".into()
            )
        );
        assert_eq!(
            shape("/ucwa/v1/Applications/7/people/lenea%40contoso.com"),
            (3, "applications/*/people/lenea@contoso.com".into())
        );
        assert_eq!(
            shape("/WebTicket/oauthtoken/"),
            (0, "/webticket/oauthtoken".into())
        );
    }

    #[test]
    fn ids_follow_collections_and_their_slot_starts_at_applications() {
        let slots = IdSlots::read(&Transcript::default());
        let at = |path: &str| -> Vec<(usize, String, String)> {
            slots
                .positions(&raw_segments(path))
                .into_iter()
                .map(|p| (p.index, p.slot, p.shown))
                .collect()
        };
        let slot = |text: &str| text.to_string();
        assert_eq!(
            at("/ucwa/oauth/v1/Applications/102/communication/conversations/21a1/participants/toshm@contoso.com/messaging"),
            vec![
                (5, slot("applications"), slot("Applications")),
                (
                    8,
                    slot("applications/*/communication/conversations"),
                    slot("Applications/*/communication/conversations")
                ),
                (
                    10,
                    slot("applications/*/communication/conversations/*/participants"),
                    slot("Applications/*/communication/conversations/*/participants")
                ),
            ]
        );
        assert_eq!(
            at("/ucwa/v1/applications/101/people/sarad@contoso.com"),
            vec![(4, slot("applications"), slot("applications"))]
        );
        assert!(at("/ucwa/oauth/v1/applications").is_empty());
    }

    #[test]
    fn one_application_per_replay_and_shortened_ids_stand_for_the_long_one() {
        let mut ids = ids();
        assert_eq!(
            ids.rewrite_url("/ucwa/oauth/v1/applications/105/me"),
            "/ucwa/oauth/v1/applications/105/me"
        );
        assert_eq!(
            ids.rewrite_url("https://h.example/ucwa/oauth/v1/applications/102/communication/messagingInvitations/60c6490148e84972a18ac13d601f29ec?x=1"),
            "https://h.example/ucwa/oauth/v1/applications/105/communication/messagingInvitations/60c6490148e84972a18ac13d601f29ec?x=1"
        );
        assert_eq!(
            ids.rewrite_url("/ucwa/oauth/v1/applications/102/communication/messagingInvitations/60c"),
            "/ucwa/oauth/v1/applications/105/communication/messagingInvitations/60c6490148e84972a18ac13d601f29ec"
        );
        // Another short id is another object.
        assert_eq!(
            ids.rewrite_url("/ucwa/v1/applications/9/communication/messagingInvitations/61a"),
            "/ucwa/v1/applications/105/communication/messagingInvitations/61a"
        );
        assert_eq!(
            ids.rewrite_text("a; path=/ucwa/oauth/v1/applications/104082042405/photos; <x href=\"/ucwa/v1/applications/7\"/>"),
            "a; path=/ucwa/oauth/v1/applications/105/photos; <x href=\"/ucwa/v1/applications/105\"/>"
        );
        assert_eq!(ids.application(), Some("105"));
    }

    #[test]
    fn requests_must_use_the_ids_handed_out() {
        let mut ids = ids();
        ids.rewrite_url("/a/applications/105/communication/conversations/21a1");
        assert_eq!(
            ids.compare_path("/a/applications/102/me", "/a/Applications/105/me/"),
            Ok(vec![Binding {
                slot: "applications".into(),
                shown_slot: "applications".into(),
                documented: "102".into(),
                received: "105".into(),
            }])
        );
        let refused = ids
            .compare_path("/a/applications/102/me", "/a/applications/102/me")
            .unwrap_err();
        assert_eq!(refused.at, "path id (applications/{id})");
        assert_eq!(
            refused.expected,
            "105 (handed out; the page's 102 stands for it)"
        );
        assert_eq!(refused.received, "102 (never handed out; handed out: 105)");
        let conversation = ids
            .compare_path(
                "/a/applications/105/communication/conversations/99",
                "/a/applications/105/communication/conversations/98",
            )
            .unwrap_err();
        assert_eq!(
            conversation.received,
            "98 (never handed out; handed out: 21a1)"
        );
        assert!(ids
            .compare_path(
                "/a/applications/105/communication/conversations/99",
                "/a/applications/105/communication/conversations/21A1",
            )
            .is_ok());
        // Another page's own ids: pages are captured separately, so its
        // documented conversation is not held to the first page's.
        let mut next_page = ids.clone();
        next_page.enter_page(0);
        next_page.enter_page(1);
        assert_eq!(
            next_page
                .compare_path(
                    "/a/applications/105/communication/conversations/77",
                    "/a/applications/105/communication/conversations/77",
                )
                .map(|bindings| bindings.len()),
            Ok(1)
        );
        // On the same page too: an object the page starts from (a page in
        // the middle of a flow), sent as documented, beside the ones handed
        // out; an id neither documented nor handed out is still refused.
        assert!(ids
            .compare_path(
                "/a/applications/105/communication/conversations/77",
                "/a/applications/105/communication/conversations/77",
            )
            .is_ok());
        // The application stays the replay's one application.
        assert!(next_page
            .compare_path("/a/applications/102/me", "/a/applications/102/me")
            .is_err());
        // An id the client was never handed is named as it sent it.
        let sent = ids
            .compare_path(
                "/a/applications/105/communication/conversations/99",
                "/a/applications/105/communication/conversations/AbC%2Fx9",
            )
            .unwrap_err();
        assert_eq!(sent.received, "AbC/x9 (never handed out; handed out: 21a1)");
        let fixed = ids
            .compare_path(
                "/a/applications/102/me/note",
                "/a/applications/105/me/notes",
            )
            .unwrap_err();
        assert_eq!(
            (fixed.at.as_str(), fixed.expected.as_str()),
            ("path", "/a/applications/105/me/note")
        );
    }

    #[test]
    fn nothing_handed_out_yet_accepts_the_documented_id_which_binds() {
        let mut ids = ids();
        let bindings = ids
            .compare_path("/u/applications/101/me", "/u/applications/101/me")
            .unwrap();
        ids.bind(bindings, "lyncweb.contoso.com");
        assert_eq!(ids.application(), Some("101"));
        assert!(ids.is_application_host("/u/applications/103/me/presence", "lyncweb.contoso.com"));
        assert!(!ids.is_application_host("/u/applications/103/me/presence", "contoso.com"));
        assert!(!ids.is_application_host("/WebTicket/oauthtoken", "lyncweb.contoso.com"));
        assert!(ids.is_application_path("/u/applications/101", &[]));
        assert!(ids.is_application_path(
            "/u/applications/101/me/reportMyActivity",
            &["me", "reportmyactivity"]
        ));
        assert!(!ids.is_application_path("/u/applications/7", &[]));
        let mut fresh = self::ids();
        assert!(fresh
            .compare_path("/u/applications/101/me", "/u/applications/7/me")
            .is_err());
        fresh.rewrite_url("/x");
        assert_eq!(fresh.application(), None);
    }

    #[test]
    fn a_path_that_names_a_link_relation_accepts_the_served_href() {
        let mut ids = ids();
        let mut body = serde_json::json!({"_links": {"self": {"href": "/u/applications/105/communication"},
            "startMessaging": {"href": "/u/applications/105/communication/messagingInvitations"}}});
        ids.rewrite_json(&mut body);
        assert!(ids
            .compare_path(
                "/u/applications/102/communication/startmessaging",
                "/u/applications/105/communication/messagingInvitations"
            )
            .is_ok());
        assert!(ids
            .compare_path(
                "/u/applications/102/communication/startmessaging",
                "/u/applications/105/communication/startMessaging"
            )
            .is_ok());
        assert!(ids
            .compare_path(
                "/u/applications/102/communication/startmessaging",
                "/u/applications/105/people/messagingInvitations"
            )
            .is_err());
    }

    #[test]
    fn locations_of_201_name_more_collections_and_aliases_are_listed() {
        let page = Page::parse(
            "p.md",
            "
```
POST https://h.example/u/applications/7/things HTTP/1.1
```

```
HTTP/1.1 201 Created
Location: /u/applications/7/things/abc
```

```
GET https://h.example/u/applications/8/things/abc HTTP/1.1
```

```
HTTP/1.1 200 OK
Content-Type: application/json

{\"_links\":{\"self\":{\"href\":\"/u/applications/9/things/abc\"}}}
```
",
        );
        let transcript = Transcript::from_pages(vec![page]);
        let slots = IdSlots::read(&transcript);
        assert_eq!(slots.from_locations().len(), 1);
        assert_eq!(slots.from_locations()[0].0, "things");
        let shown: Vec<String> = aliases(&transcript)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "applications/{id}: 8 (p.md:12) is served and accepted as 7 (p.md:3)",
                "applications/{id}: 9 (p.md:16) is served and accepted as 7 (p.md:3)",
            ]
        );
    }

    #[test]
    fn a_recreated_application_has_a_new_id_and_the_old_one_is_refused() {
        let mut ids = ids();
        assert_eq!(
            ids.rewrite_url("/ucwa/v1/applications/105/me"),
            "/ucwa/v1/applications/105/me"
        );
        assert!(ids.is_within_application("/ucwa/v1/applications/105/me"));
        assert_eq!(
            ids.recreate_application(),
            Some(("105".to_string(), "105r2".to_string()))
        );
        // Every documented application id now stands for the new one ...
        assert_eq!(
            ids.rewrite_url("/ucwa/v1/applications/105/me"),
            "/ucwa/v1/applications/105r2/me"
        );
        assert_eq!(
            ids.rewrite_url("/ucwa/v1/applications/102/me"),
            "/ucwa/v1/applications/105r2/me"
        );
        assert!(ids.is_within_application("/ucwa/v1/applications/105r2/events"));
        assert!(!ids.is_within_application("/ucwa/v1/applications/105/events"));
        // ... a request with the old one is refused ...
        assert!(ids
            .compare_path(
                "/ucwa/v1/applications/105/me",
                "/ucwa/v1/applications/105/me"
            )
            .is_err());
        assert!(ids
            .compare_path(
                "/ucwa/v1/applications/105/me",
                "/ucwa/v1/applications/105r2/me"
            )
            .is_ok());
        // ... and the next re-creation counts on.
        assert_eq!(
            ids.recreate_application(),
            Some(("105r2".to_string(), "105r3".to_string()))
        );
        assert_eq!(
            replace_application_id("/a/applications/105r3/x/105r3", "105r3", "9"),
            "/a/applications/9/x/105r3"
        );
    }
}
