//! Which href a documented request goes to, and by which rel: the links the
//! mock served so far, paired with the links the pages document at the same
//! place.
//!
//! Every response a step gets is laid over its documented response, member by
//! member: each `href` served is recorded with the documented `href` at the
//! same place and its rel (the key under `_links`, the object's own `rel` for
//! `self`, the `rel` beside it in an event's `link` or a `sender`). A
//! documented request then goes where the served link of its documented
//! target points, with the mock's id aliasing in mind: paths are compared as
//! [`IdSlots::shape`]s, so `applications/102/…` on one page and
//! `applications/105/…` on another are the same link.
//!
//! A request path is resolved, first match wins:
//! 1. a documented link with the same shape: its served href (the most recent);
//! 2. a link of the same collection whose rel the last segment names
//!    (SendAnIM posts to `…/communication/startmessaging`, the
//!    `startMessaging` link, which CreateAnApplication serves as
//!    `…/communication/messagingInvitations`);
//! 3. the longest documented link whose shape begins the path's: its served
//!    href and the rest of the documented path (GetAContactData reads
//!    `people/lenea@contoso.com@contoso.com`, under the served `people`).
//!
//! The query is the documented request's, unless the link's documented query
//! is the same: then the served one (ids in queries stay the mock's).

use crate::ids::IdSlots;
use serde_json::Value;
use std::collections::VecDeque;
use url::Url;

/// Links remembered at most: later ones replace the oldest.
const MAX_LINKS: usize = 4096;

/// One served link with the documented one it stands for.
#[derive(Debug, Clone)]
struct Pair {
    rel: String,
    /// The documented href's path and query pairs.
    documented_path: String,
    documented_query: Vec<(String, String)>,
    served: Url,
}

/// Where a documented request goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    /// The URL to send to.
    pub url: Url,
    /// Rels of the links it was found by, most likely first.
    pub rels: Vec<String>,
}

/// The links served so far.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pairs: VecDeque<Pair>,
    /// The event channel's next URL.
    pub events: Option<Url>,
}

impl Links {
    /// Records the links of a served JSON body (`served`, read at `base`)
    /// against its documented body.
    /// `resource` is the rel the answer was read as, for a body that does
    /// not name its own: its `self` link leads to that resource.
    pub fn learn(
        &mut self,
        documented: &Value,
        served: &Value,
        resource: Option<&str>,
        base: &Url,
    ) {
        walk(
            documented,
            served,
            resource,
            &mut |rel, documented, served| self.add(rel, documented, served, base),
        );
    }

    /// Records one served href (`Location`, an application's link) against the documented one.
    pub fn add(&mut self, rel: &str, documented: &str, served: &str, base: &Url) {
        let Ok(served) = base.join(served) else {
            return;
        };
        let Ok(documented) =
            Url::parse("http://documented.invalid/").and_then(|at| at.join(documented))
        else {
            return;
        };
        if self.pairs.len() >= MAX_LINKS {
            self.pairs.pop_front();
        }
        self.pairs.push_back(Pair {
            rel: rel.to_string(),
            documented_path: documented.path().to_string(),
            documented_query: documented.query_pairs().into_owned().collect(),
            served,
        });
    }

    /// The application moved from `old` to `new` (created again): every
    /// link at or under `old` now leads to the same place under `new`.
    pub fn moved(&mut self, old: &Url, new: &Url) {
        for pair in &mut self.pairs {
            if let Some(moved) = moved(&pair.served, old, new) {
                pair.served = moved;
            }
        }
        if let Some(moved) = self
            .events
            .as_ref()
            .and_then(|events| moved(events, old, new))
        {
            self.events = Some(moved);
        }
    }

    /// Where a documented request to `path` with `query` goes, or `None` when
    /// no served link leads there.
    pub fn resolve(
        &self,
        slots: &IdSlots,
        path: &str,
        query: &[(String, String)],
    ) -> Option<Resolved> {
        let (start, shape) = slots.shape(path);
        let raw: Vec<&str> = raw_segments(path);
        let recent = || self.pairs.iter().rev();
        let same: Vec<&Pair> = recent()
            .filter(|pair| slots.shape(&pair.documented_path).1 == shape)
            .collect();
        if let Some(first) = same.first() {
            let mut rels: Vec<String> = Vec::new();
            for pair in &same {
                if !rels.contains(&pair.rel) {
                    rels.push(pair.rel.clone());
                }
            }
            return Some(Resolved {
                url: with_query(first, query, None),
                rels,
            });
        }
        if let Some((last, collection)) = shape.split_last() {
            let named = recent().find(|pair| {
                let (_, other) = slots.shape(&pair.documented_path);
                pair.rel.eq_ignore_ascii_case(last)
                    && other
                        .split_last()
                        .is_some_and(|(_, parent)| parent == collection)
            });
            if let Some(pair) = named {
                return Some(Resolved {
                    url: with_query(pair, query, None),
                    rels: vec![pair.rel.clone()],
                });
            }
        }
        let prefix = recent()
            .map(|pair| (pair, slots.shape(&pair.documented_path).1))
            .filter(|(_, other)| other.len() < shape.len() && shape.starts_with(other))
            .max_by_key(|(_, other)| other.len())?;
        let rest = raw.get(start + prefix.1.len()..).unwrap_or_default();
        Some(Resolved {
            url: with_query(prefix.0, query, Some(rest)),
            rels: Vec::new(),
        })
    }
}

/// `url` under `new` where it is at or under `old`: same origin, and
/// `old`'s path followed by nothing or by `/…`, or, where the API is served
/// under two schemes (`/ucwa/oauth/v1/…` and `/ucwa/v1/…`), the same
/// `applications/{old id}` segments in another prefix.
fn moved(url: &Url, old: &Url, new: &Url) -> Option<Url> {
    if url.origin() != old.origin() {
        return None;
    }
    let old_path = old.path().trim_end_matches('/');
    let mut moved = url.clone();
    if let Some(rest) = url
        .path()
        .strip_prefix(old_path)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        moved.set_path(&format!("{}{rest}", new.path().trim_end_matches('/')));
        return Some(moved);
    }
    let last = |url: &Url| {
        url.path()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .map(str::to_owned)
    };
    let (old_id, new_id) = (last(old)?, last(new)?);
    let segments: Vec<&str> = url.path().split('/').collect();
    let at = segments.windows(2).position(|pair| {
        pair[0].eq_ignore_ascii_case("applications") && pair[1].eq_ignore_ascii_case(&old_id)
    })?;
    let mut segments: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    segments[at + 1] = new_id;
    moved.set_path(&segments.join("/"));
    Some(moved)
}

/// The served URL of `pair`, with `rest` (raw segments) appended to its
/// path, and the documented query unless the pair documents the same one.
fn with_query(pair: &Pair, query: &[(String, String)], rest: Option<&[&str]>) -> Url {
    let mut url = pair.served.clone();
    if let Some(rest) = rest.filter(|rest| !rest.is_empty()) {
        let path = format!("{}/{}", url.path().trim_end_matches('/'), rest.join("/"));
        url.set_path(&path);
    }
    let same_query = rest.is_none() && same_pairs(&pair.documented_query, query);
    if !same_query {
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
    }
    url
}

fn same_pairs(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let sorted = |pairs: &[(String, String)]| {
        let mut pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(key, value)| (key.to_ascii_lowercase(), value.clone()))
            .collect();
        pairs.sort();
        pairs
    };
    sorted(a) == sorted(b)
}

fn raw_segments(path: &str) -> Vec<&str> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|path| !path.is_empty())
        .unwrap_or(path);
    trimmed.split('/').collect()
}

/// Calls `found(rel, documented href, served href)` for every href the two
/// bodies have at the same place. `rel` is the rel the place gives: the key
/// of a link under `_links` or of a resource under `_embedded`.
fn walk(
    documented: &Value,
    served: &Value,
    rel: Option<&str>,
    found: &mut impl FnMut(&str, &str, &str),
) {
    match (documented, served) {
        (Value::Object(documented), Value::Object(served)) => {
            let own_rel = documented.get("rel").and_then(Value::as_str).or(rel);
            if let (
                Some(Value::String(documented_href)),
                Some(Value::String(served_href)),
                Some(rel),
            ) = (documented.get("href"), served.get("href"), own_rel)
            {
                found(rel, documented_href, served_href);
            }
            for (key, documented_member) in documented {
                let Some(served_member) = served.get(key) else {
                    continue;
                };
                match key.as_str() {
                    "_links" | "_embedded" => {
                        walk_named(documented_member, served_member, own_rel, found)
                    }
                    "href" | "rel" => {}
                    _ => walk(documented_member, served_member, None, found),
                }
            }
        }
        (Value::Array(documented), Value::Array(served)) => {
            for (documented, served) in documented.iter().zip(served) {
                walk(documented, served, rel, found);
            }
        }
        // A resource embedded once is sometimes written as a list of one.
        (Value::Object(_), Value::Array(served)) => {
            if let Some(first) = served.first() {
                walk(documented, first, rel, found);
            }
        }
        (Value::Array(documented), Value::Object(_)) => {
            if let Some(first) = documented.first() {
                walk(first, served, rel, found);
            }
        }
        _ => {}
    }
}

/// The members of `_links` or `_embedded`: each key is a rel (`self` stands
/// for the owner's own rel).
fn walk_named(
    documented: &Value,
    served: &Value,
    owner: Option<&str>,
    found: &mut impl FnMut(&str, &str, &str),
) {
    let (Value::Object(documented), Value::Object(served)) = (documented, served) else {
        return;
    };
    for (key, documented_member) in documented {
        let Some(served_member) = served.get(key) else {
            continue;
        };
        // A `self` of a resource nothing names says nothing of where it leads.
        let rel = match (key.as_str(), owner) {
            ("self", Some(owner)) => owner,
            ("self", None) => continue,
            (key, _) => key,
        };
        walk(documented_member, served_member, Some(rel), found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transcript;
    use serde_json::json;

    fn slots() -> IdSlots {
        IdSlots::read(&Transcript::default())
    }

    fn base() -> Url {
        Url::parse("http://127.0.0.1:9/ucwa/oauth/v1/applications").expect("url")
    }

    fn learned() -> Links {
        let documented = json!({
            "_links": {"self": {"href": "/ucwa/oauth/v1/applications/105"},
                       "events": {"href": "/ucwa/oauth/v1/applications/105/events?ack=1"}},
            "_embedded": {
                "communication": {"_links": {
                    "self": {"href": "/ucwa/oauth/v1/applications/105/communication"},
                    "startMessaging": {"href": "/ucwa/oauth/v1/applications/105/communication/messagingInvitations"},
                    "conversations": {"href": "/ucwa/oauth/v1/applications/105/communication/conversations?filter=active"}},
                    "rel": "communication"},
                "people": {"_links": {"self": {"href": "/ucwa/oauth/v1/applications/105/people"}}}
            },
            "rel": "application"
        });
        let served = json!({
            "_links": {"self": {"href": "/ucwa/oauth/v1/applications/7"},
                       "events": {"href": "/ucwa/oauth/v1/applications/7/events?ack=1"}},
            "_embedded": {
                "communication": [{"_links": {
                    "self": {"href": "/ucwa/oauth/v1/applications/7/communication"},
                    "startMessaging": {"href": "/ucwa/oauth/v1/applications/7/communication/messagingInvitations"},
                    "conversations": {"href": "/ucwa/oauth/v1/applications/7/communication/conversations?filter=active"}},
                    "rel": "communication"}],
                "people": {"_links": {"self": {"href": "/ucwa/oauth/v1/applications/7/people"}}}
            },
            "rel": "application"
        });
        let mut links = Links::default();
        links.learn(&documented, &served, None, &base());
        links
    }

    fn resolve(links: &Links, path: &str, query: &[(&str, &str)]) -> Option<(String, Vec<String>)> {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        links
            .resolve(&slots(), path, &query)
            .map(|resolved| (resolved.url.to_string(), resolved.rels))
    }

    #[test]
    fn a_documented_link_of_another_page_resolves_to_the_served_one() {
        let links = learned();
        assert_eq!(
            resolve(&links, "/ucwa/oauth/v1/applications/101", &[]),
            Some((
                "http://127.0.0.1:9/ucwa/oauth/v1/applications/7".into(),
                vec!["application".into()]
            ))
        );
        assert_eq!(
            resolve(&links, "/ucwa/v1/applications/102/communication/conversations", &[("filter", "active")]),
            Some((
                "http://127.0.0.1:9/ucwa/oauth/v1/applications/7/communication/conversations?filter=active".into(),
                vec!["conversations".into()]
            ))
        );
    }

    #[test]
    fn a_path_that_names_a_rel_and_a_path_under_a_link_resolve_too() {
        let links = learned();
        assert_eq!(
            resolve(&links, "/ucwa/oauth/v1/applications/102/communication/startmessaging", &[("x", "1")]),
            Some((
                "http://127.0.0.1:9/ucwa/oauth/v1/applications/7/communication/messagingInvitations?x=1".into(),
                vec!["startMessaging".into()]
            ))
        );
        assert_eq!(
            resolve(&links, "/ucwa/oauth/v1/applications/101/people/lenea@contoso.com@contoso.com", &[]),
            Some((
                "http://127.0.0.1:9/ucwa/oauth/v1/applications/7/people/lenea@contoso.com@contoso.com".into(),
                vec![]
            ))
        );
        assert_eq!(resolve(&links, "/Autodiscover/root", &[]), None);
    }

    #[test]
    fn event_links_and_senders_carry_their_own_rels() {
        let documented = json!({"sender": [{"rel": "communication", "href": "/a/101/communication",
            "events": [{"link": {"rel": "messagingInvitation", "href": "/a/101/inv/60c"}, "type": "started"}]}]});
        let served = json!({"sender": [{"rel": "communication", "href": "/a/7/communication",
            "events": [{"link": {"rel": "messagingInvitation", "href": "/a/7/inv/60c6490148e8"}, "type": "started"}]}]});
        let mut links = Links::default();
        links.learn(&documented, &served, None, &base());
        assert_eq!(
            resolve(&links, "/a/101/inv/60c", &[]),
            Some((
                "http://127.0.0.1:9/a/7/inv/60c6490148e8".into(),
                vec!["messagingInvitation".into()]
            ))
        );
        assert_eq!(
            resolve(&links, "/a/101/communication", &[]).map(|(_, rels)| rels),
            Some(vec!["communication".into()])
        );
    }

    #[test]
    fn links_under_a_recreated_application_move_to_the_new_one() {
        let base = Url::parse("http://127.0.0.1:9/").expect("url");
        let mut links = Links::default();
        links.add(
            "me",
            "/ucwa/v1/applications/105/me",
            "/ucwa/v1/applications/7/me",
            &base,
        );
        links.add(
            "applications",
            "/ucwa/v1/applications",
            "/ucwa/v1/applications",
            &base,
        );
        links.add(
            "other",
            "/ucwa/v1/applications/105",
            "/ucwa/v1/applications/70/x",
            &base,
        );
        links.add(
            "scheme",
            "/ucwa/v1/applications/105/people",
            "/ucwa/oauth/v1/applications/7/people",
            &base,
        );
        links.events = base.join("/ucwa/v1/applications/7/events?ack=4").ok();
        let old = base.join("/ucwa/v1/applications/7").expect("url");
        let new = base.join("/ucwa/v1/applications/7r2").expect("url");
        links.moved(&old, &new);
        let served: Vec<&str> = links
            .pairs
            .iter()
            .map(|pair| pair.served.as_str())
            .collect();
        assert_eq!(
            served,
            [
                "http://127.0.0.1:9/ucwa/v1/applications/7r2/me",
                "http://127.0.0.1:9/ucwa/v1/applications",
                "http://127.0.0.1:9/ucwa/v1/applications/70/x",
                "http://127.0.0.1:9/ucwa/oauth/v1/applications/7r2/people",
            ]
        );
        assert_eq!(
            links.events.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:9/ucwa/v1/applications/7r2/events?ack=4")
        );
    }
}
