//! Which resource an href is, by its shape: for a request no served link
//! leads to (a page that starts in the middle of a flow), and for the mock's
//! default answer to a step the page shows no answer for, the resource comes
//! from the paths the reference samples (`ucwa::SAMPLE_HREFS`) and every
//! page of the run show for each resource, never from the path's last
//! segment (`…/presenceSubscriptions/97b6bd66` is a `presenceSubscription`,
//! not a resource named `97b6bd66`).
//!
//! Shapes are compared from `applications` on (`/ucwa/v1/` and
//! `/ucwa/oauth/v1/` are the same API), segment by segment, case-folded:
//! an id the run's [`IdSlots`] know, or a segment that looks generated
//! (digits, long hex, a SIP address), is a wildcard. The shape that matches
//! with the most literal segments wins; several resources at that rank are
//! an ambiguity, reported, not guessed.

use crate::body::Body;
use crate::ids::IdSlots;
use crate::transcript::Transcript;
use serde_json::Value;

/// A segment of a known shape.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// An id: matches any one segment.
    Any,
}

#[derive(Debug, Clone)]
struct Known {
    segments: Vec<Segment>,
    rel: String,
    /// The href is the resource's own `self`, not a link to it under a role.
    own: bool,
}

/// What a path's shape says about its resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourceOf {
    One(String),
    /// Shapes of several resources match equally well.
    Ambiguous(Vec<String>),
    Unknown,
}

/// The shapes known for a run.
#[derive(Debug, Default)]
pub(crate) struct HrefShapes {
    known: Vec<Known>,
}

impl HrefShapes {
    /// The reference samples' hrefs, then every href the run's pages show
    /// with the resource it leads to.
    pub(crate) fn read(slots: &IdSlots, transcript: &Transcript) -> HrefShapes {
        let mut pairs: Vec<(String, String, bool)> = ucwa::SAMPLE_HREFS
            .iter()
            .map(|(path, rel, own)| (path.to_string(), rel.to_string(), *own))
            .collect();
        for (_, step) in transcript.steps() {
            if let Some(Body::Json(value)) = step.response.as_ref().map(|r| &r.body) {
                hrefs_in(value, &mut pairs);
            }
        }
        HrefShapes::from_pairs(slots, pairs)
    }

    fn from_pairs(slots: &IdSlots, pairs: Vec<(String, String, bool)>) -> HrefShapes {
        let mut known: Vec<Known> = Vec::new();
        for (path, rel, own) in pairs {
            let segments = pattern(slots, &path);
            match known
                .iter_mut()
                .find(|k| k.segments == segments && k.rel == rel)
            {
                Some(seen) => seen.own |= own,
                None => known.push(Known { segments, rel, own }),
            }
        }
        HrefShapes { known }
    }

    /// The resource of `path`, by the best-matching shapes.
    pub(crate) fn resource_of(&self, slots: &IdSlots, path: &str) -> ResourceOf {
        let asked = pattern(slots, path);
        let mut best: Option<usize> = None;
        let mut rels: Vec<(String, bool)> = Vec::new();
        for known in self
            .known
            .iter()
            .filter(|k| k.segments.len() == asked.len())
        {
            let Some(literal) = matches(&known.segments, &asked) else {
                continue;
            };
            match best {
                Some(score) if literal < score => continue,
                Some(score) if literal == score => {
                    match rels.iter_mut().find(|(rel, _)| *rel == known.rel) {
                        Some((_, own)) => *own |= known.own,
                        None => rels.push((known.rel.clone(), known.own)),
                    }
                }
                _ => {
                    best = Some(literal);
                    rels = vec![(known.rel.clone(), known.own)];
                }
            }
        }
        // Of resources sharing a shape, the one whose own `self` it is wins
        // over roles linking to it (`contact` over `to`, `acceptedByContact`).
        let owners: Vec<&String> = rels
            .iter()
            .filter(|(_, own)| *own)
            .map(|(rel, _)| rel)
            .collect();
        if rels.len() > 1 && owners.len() == 1 {
            return ResourceOf::One(owners[0].clone());
        }
        let mut rels: Vec<String> = rels.into_iter().map(|(rel, _)| rel).collect();
        match rels.len() {
            0 => ResourceOf::Unknown,
            1 => ResourceOf::One(rels.remove(0)),
            _ => {
                rels.sort();
                ResourceOf::Ambiguous(rels)
            }
        }
    }
}

/// What the mock answers to a step whose page shows no answer at all: a
/// plain `204 No Content` where the schema's operation on the href's
/// resource documents no response body (a POST action, a DELETE, a PUT);
/// nothing where it documents one or is unknown, since a body cannot be
/// made up.
#[derive(Debug)]
pub(crate) struct DefaultAnswers {
    slots: std::sync::Arc<IdSlots>,
    shapes: HrefShapes,
}

impl DefaultAnswers {
    pub(crate) fn new(slots: std::sync::Arc<IdSlots>, transcript: &Transcript) -> DefaultAnswers {
        let shapes = HrefShapes::read(&slots, transcript);
        DefaultAnswers { slots, shapes }
    }

    /// The resource of `path` by its shape, with the replay's id slots.
    pub(crate) fn resource_of(&self, path: &str) -> ResourceOf {
        self.shapes.resource_of(&self.slots, path)
    }

    /// The default status for `method` on `path`, and why; `None` when the
    /// schema does not say that nothing comes back.
    pub(crate) fn answer(&self, method: &str, path: &str) -> Option<(u16, String)> {
        let method: ucwa_runtime::Method = method.parse().ok()?;
        if method == ucwa_runtime::Method::Get {
            return None;
        }
        let candidates = match self.resource_of(path) {
            ResourceOf::One(rel) => vec![rel],
            ResourceOf::Ambiguous(candidates) => candidates,
            ResourceOf::Unknown => return None,
        };
        // An href of several resources' shape: nothing comes back only when
        // every one of them that has the operation says so.
        let mut having = Vec::new();
        for rel in &candidates {
            let Ok(operation) = ucwa::operation(rel, method) else {
                continue;
            };
            let info = operation.info();
            let documented = info.info?;
            if info.output.is_some() || !documented.response_body.is_empty() {
                return None;
            }
            having.push(format!("`{rel}`"));
        }
        (!having.is_empty()).then(|| {
            (
                204,
                format!(
                    "the schema's {method} on {} documents no response body",
                    having.join(", ")
                ),
            )
        })
    }
}

/// How many literal segments agree, when every segment matches.
fn matches(known: &[Segment], asked: &[Segment]) -> Option<usize> {
    let mut literal = 0;
    for (known, asked) in known.iter().zip(asked) {
        match (known, asked) {
            (Segment::Any, _) => {}
            (Segment::Literal(a), Segment::Literal(b)) if a == b => literal += 1,
            _ => return None,
        }
    }
    Some(literal)
}

/// A path's shape from `applications` on, ids as [`Segment::Any`].
fn pattern(slots: &IdSlots, path: &str) -> Vec<Segment> {
    let (_, shape) = slots.shape(path);
    shape
        .into_iter()
        .map(
            |segment| match segment == "*" || looks_generated(&segment) {
                true => Segment::Any,
                false => Segment::Literal(segment),
            },
        )
        .collect()
}

/// A segment a server makes up, or a person's address: all digits, a long
/// run of hex digits and dashes (a GUID, a shortened one), a SIP address.
fn looks_generated(segment: &str) -> bool {
    let all = |test: fn(char) -> bool| !segment.is_empty() && segment.chars().all(test);
    all(|c| c.is_ascii_digit())
        || (segment.len() >= 8
            && all(|c| c.is_ascii_hexdigit() || c == '-')
            && segment.chars().any(|c| c.is_ascii_digit()))
        || segment.contains('@')
}

/// Every `(path, rel)` a documented body shows: a body's own `rel` with
/// its `self` href, an event's `{rel, href}`, and a `_links` rel that is a
/// resource's name.
fn hrefs_in(value: &Value, into: &mut Vec<(String, String, bool)>) {
    match value {
        Value::Object(members) => {
            let rel = members.get("rel").and_then(Value::as_str);
            let href = members.get("href").and_then(Value::as_str);
            if let (Some(rel), Some(href)) = (rel, href) {
                push(into, href, rel, false);
            }
            if let Some(links) = members.get("_links").and_then(Value::as_object) {
                for (link_rel, item) in links {
                    let (resource, own) = match (link_rel.as_str(), rel.filter(|_| href.is_none()))
                    {
                        ("self", Some(own)) => (own, true),
                        ("self", None) => continue,
                        (other, _) => (other, false),
                    };
                    let items = match item {
                        Value::Array(items) => items.iter().collect(),
                        item => vec![item],
                    };
                    for item in items {
                        if let Some(href) = item.get("href").and_then(Value::as_str) {
                            push(into, href, resource, own);
                        }
                    }
                }
            }
            members.values().for_each(|member| hrefs_in(member, into));
        }
        Value::Array(items) => items.iter().for_each(|item| hrefs_in(item, into)),
        _ => {}
    }
}

/// Only for rels the generated crate knows as resources, and hrefs that are paths.
fn push(into: &mut Vec<(String, String, bool)>, href: &str, rel: &str, own: bool) {
    if matches!(ucwa::ResourceKind::from(rel), ucwa::ResourceKind::Other(_)) {
        return;
    }
    let path = match href.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|at| &rest[at..]),
        None => Some(href),
    };
    if let Some(path) = path.filter(|p| p.starts_with('/')) {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        into.push((path.to_string(), rel.to_string(), own));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs seen as a link to the resource (not its own `self`).
    fn shapes(pairs: &[(&str, &str)]) -> (IdSlots, HrefShapes) {
        let slots = IdSlots::read(&Transcript::default());
        let pairs = pairs
            .iter()
            .map(|(p, r)| (p.to_string(), r.to_string(), false))
            .collect();
        let shapes = HrefShapes::from_pairs(&slots, pairs);
        (slots, shapes)
    }

    #[test]
    fn a_member_of_a_collection_is_its_resource_not_its_last_segment() {
        let (slots, shapes) = shapes(&[
            (
                "/ucwa/v1/applications/192/people/presenceSubscriptions/ads-bes2asd",
                "presenceSubscription",
            ),
            (
                "/ucwa/v1/applications/192/people/presenceSubscriptions",
                "presenceSubscriptions",
            ),
            ("/ucwa/v1/applications/192/people/282", "contact"),
            ("/ucwa/v1/applications/192/people/contacts", "myContacts"),
        ]);
        let of = |path: &str| shapes.resource_of(&slots, path);
        // Another id, another host, `/ucwa/oauth/v1/` instead of `/ucwa/v1/`.
        assert_eq!(
            of("https://fe2.contoso.com/ucwa/oauth/v1/applications/101/people/presenceSubscriptions/97b6bd66"),
            ResourceOf::One("presenceSubscription".into())
        );
        assert_eq!(
            of("/ucwa/oauth/v1/applications/101/people/presenceSubscriptions"),
            ResourceOf::One("presenceSubscriptions".into())
        );
        // A literal beats a wildcard: `contacts` is not a contact's id.
        assert_eq!(
            of("/ucwa/v1/applications/7/people/contacts"),
            ResourceOf::One("myContacts".into())
        );
        assert_eq!(
            of("/ucwa/v1/applications/7/people/lenea@contoso.com"),
            ResourceOf::One("contact".into())
        );
        assert_eq!(
            of("/ucwa/v1/applications/7/nothing/here"),
            ResourceOf::Unknown
        );
    }

    #[test]
    fn two_resources_of_one_shape_are_an_ambiguity() {
        let (slots, shapes) = shapes(&[
            (
                "/ucwa/v1/applications/192/onlineMeetings/myOnlineMeetings/600",
                "myOnlineMeeting",
            ),
            (
                "/ucwa/v1/applications/192/onlineMeetings/myOnlineMeetings/601",
                "onlineMeeting",
            ),
        ]);
        assert_eq!(
            shapes.resource_of(
                &slots,
                "/ucwa/v1/applications/1/onlineMeetings/myOnlineMeetings/9"
            ),
            ResourceOf::Ambiguous(vec!["myOnlineMeeting".into(), "onlineMeeting".into()])
        );
    }

    #[test]
    fn of_resources_sharing_a_shape_the_one_whose_self_it_is_wins() {
        let slots = IdSlots::read(&Transcript::default());
        let pairs = [
            ("/ucwa/v1/applications/192/people/282", "contact", true),
            ("/ucwa/v1/applications/192/people/107", "to", false),
            (
                "/ucwa/v1/applications/192/people/169",
                "acceptedByContact",
                false,
            ),
        ]
        .map(|(p, r, own)| (p.to_string(), r.to_string(), own))
        .to_vec();
        let shapes = HrefShapes::from_pairs(&slots, pairs);
        assert_eq!(
            shapes.resource_of(
                &slots,
                "/ucwa/oauth/v1/applications/1/people/lenea@contoso.com"
            ),
            ResourceOf::One("contact".into())
        );
    }

    #[test]
    fn documented_bodies_give_their_own_rel_and_their_events_links() {
        let body = serde_json::json!({
            "rel": "contact",
            "_links": {"self": {"href": "/ucwa/v1/applications/1/people/9"},
                       "contactPhoto": {"href": "/ucwa/v1/applications/1/people/9/contactPhoto"},
                       "notAResource": {"href": "/x"}},
            "sender": [{"rel": "conversation", "href": "/ucwa/v1/applications/1/communication/conversations/4"}]
        });
        let mut pairs = Vec::new();
        hrefs_in(&body, &mut pairs);
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                (
                    "/ucwa/v1/applications/1/communication/conversations/4".to_string(),
                    "conversation".to_string(),
                    false
                ),
                (
                    "/ucwa/v1/applications/1/people/9".into(),
                    "contact".into(),
                    true
                ),
                (
                    "/ucwa/v1/applications/1/people/9/contactPhoto".into(),
                    "contactPhoto".into(),
                    false
                ),
            ]
        );
    }
}
