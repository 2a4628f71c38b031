//! Re-reads: a `GET` on a resource of the application the mock served
//! before, when it is not the next documented request.
//!
//! A client reads a resource again whenever it needs to (`GET` is safe and
//! changes nothing): ucwa-client reads `me` after `makeMeAvailable` to learn
//! the links it gained, and refreshes the application. The pages document one
//! path through a task, not these reads. So a `GET` that does not match the
//! next step, on the path of a resource the mock served (a JSON body with a
//! `self` link, or a resource embedded in one, as served: ids rewritten), is
//! answered `200` with that resource and leaves the replay where it was; it is
//! traced, not a mismatch. Only resources under the application
//! (`…/applications/{id}/…`) are kept: discovery and sign-in stay strict, and
//! a path the mock never served is still a mismatch. At most
//! [`MAX_RESOURCES`] are kept per replay, as compact JSON text (a parsed
//! value takes several times the memory, and a session keeps them while
//! idle); the oldest goes first.

use crate::ids::{decoded_segments, IdMap};
use serde_json::Value;
use std::collections::VecDeque;

/// Resources kept per replay.
pub const MAX_RESOURCES: usize = 128;

/// The resources a replay served, by `self` path.
#[derive(Debug, Default, Clone)]
pub(crate) struct Served {
    /// (the decoded, lowercased path, the resource as JSON text), oldest first.
    resources: VecDeque<(String, String)>,
}

/// A path as resources are kept by: decoded, lowercased, no trailing `/`.
fn key(path: &str) -> String {
    decoded_segments(path).join("/")
}

impl Served {
    /// Keeps every resource of a served body (after its ids were rewritten).
    pub fn remember(&mut self, body: &Value, ids: &IdMap) {
        match body {
            Value::Object(members) => {
                let path = body
                    .pointer("/_links/self/href")
                    .and_then(Value::as_str)
                    .map(self_path);
                if let Some(path) = path.filter(|path| keeps(path, ids)) {
                    self.keep(key(&path), body.to_string());
                }
                for member in members.values() {
                    self.remember(member, ids);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.remember(item, ids)),
            _ => {}
        }
    }

    fn keep(&mut self, path: String, resource: String) {
        self.resources.retain(|(known, _)| *known != path);
        if self.resources.len() >= MAX_RESOURCES {
            self.resources.pop_front();
        }
        self.resources.push_back((path, resource));
    }

    /// The resource served at `path`, if any.
    pub fn get(&self, path: &str) -> Option<Value> {
        let path = key(path);
        self.resources
            .iter()
            .rev()
            .find(|(known, _)| *known == path)
            .and_then(|(_, resource)| serde_json::from_str(resource).ok())
    }
}

/// The path of an href: no scheme and host, no query.
fn self_path(href: &str) -> String {
    let without_host = match href.find("://") {
        Some(scheme_end) => href[scheme_end + 3..]
            .find('/')
            .map_or("/", |at| &href[scheme_end + 3 + at..]),
        None => href,
    };
    without_host
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Resources of the application, but not its event channel.
fn keeps(path: &str, ids: &IdMap) -> bool {
    ids.is_under_application(path) && !crate::message::is_events_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdSlots;
    use std::sync::Arc;

    #[test]
    fn embedded_resources_of_the_application_are_kept_by_their_self_path() {
        let ids = IdMap::new(Arc::new(IdSlots::read(&crate::Transcript::default())));
        let mut served = Served::default();
        let application = serde_json::json!({
            "_links": {"self": {"href": "/u/applications/105"}, "events": {"href": "/u/applications/105/events?ack=1"}},
            "_embedded": {"me": {"name": "Lene", "_links": {"self": {"href": "https://h.example/u/applications/105/me?x=1"}}, "rel": "me"}},
            "rel": "application"
        });
        served.remember(&application, &ids);
        served.remember(
            &serde_json::json!({"_links": {"self": {"href": "/Autodiscover/root/oauth/user"}}}),
            &ids,
        );
        served.remember(
            &serde_json::json!({"_links": {"self": {"href": "/u/applications/105/events?ack=2"}}}),
            &ids,
        );
        assert_eq!(served.get("/u/Applications/105"), Some(application));
        assert_eq!(
            served
                .get("/u/applications/105/me/")
                .map(|me| me["name"].clone()),
            Some(serde_json::json!("Lene"))
        );
        assert_eq!(served.get("/Autodiscover/root/oauth/user"), None);
        assert_eq!(served.get("/u/applications/105/events"), None);
        assert_eq!(served.get("/u/applications/105/people"), None);
        for index in 0..MAX_RESOURCES + 1 {
            served.keep(index.to_string(), "null".into());
        }
        assert_eq!(served.resources.len(), MAX_RESOURCES);
    }
}
