//! The session's resource cache, kept current by the event channel, as
//! Microsoft's Cache.js keeps one for its users: a typed read
//! ([`crate::Session::cached`]) returns the latest the session knows
//! without a GET.
//!
//! - It keeps each resource the session read with a `GET` and each one an
//!   event embeds, by href (its path and query), and the application's own
//!   (`me`, `presence`, `note`, `location`, `people`, `communication`, …) by
//!   rel too.
//! - `added`/`updated` with the resource embedded replace it; `updated`
//!   without it drops it (the server says it changed, not to what);
//!   `deleted` drops it.
//! - `resync`, `resume` and a re-created application empty it: events were
//!   missed, or the application's resources are new ones.
//! - It holds [`crate::Limits::cache_entries`] resources; past it the one
//!   stored longest ago goes. `0` turns the cache off.

use crate::channel::Event;
use crate::operation::href_key;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use ucwa_runtime::events::EventType;
use url::Url;

/// The application's own resources: one of each, so a rel names it.
const SINGLE_RELS: [&str; 9] = [
    "me",
    "presence",
    "note",
    "location",
    "people",
    "communication",
    "onlineMeetings",
    "myGroups",
    "callForwardingSettings",
];

#[derive(Default)]
struct State {
    by_href: HashMap<String, Value>,
    /// Hrefs in the order they were first stored, for eviction.
    order: VecDeque<String>,
    by_rel: HashMap<String, String>,
}

pub(crate) struct ResourceCache {
    state: Mutex<State>,
    capacity: usize,
}

impl ResourceCache {
    pub(crate) fn new(capacity: usize) -> ResourceCache {
        ResourceCache {
            state: Mutex::new(State::default()),
            capacity,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `resource` as the latest of `href` (resolved against `base`).
    pub(crate) fn store(&self, base: &Url, href: &str, rel: Option<&str>, resource: Value) {
        if self.capacity == 0 {
            return;
        }
        let Some(key) = href_key(base, href) else {
            return;
        };
        let rel = rel
            .or_else(|| resource.get("rel").and_then(Value::as_str))
            .filter(|rel| SINGLE_RELS.contains(rel))
            .map(str::to_owned);
        let mut state = self.state();
        if state.by_href.insert(key.clone(), resource).is_none() {
            state.order.push_back(key.clone());
        }
        if let Some(rel) = rel {
            state.by_rel.insert(rel, key);
        }
        while state.by_href.len() > self.capacity {
            let Some(oldest) = state.order.pop_front() else {
                break;
            };
            state.by_href.remove(&oldest);
            state.by_rel.retain(|_, href| *href != oldest);
        }
    }

    pub(crate) fn remove(&self, base: &Url, href: &str) {
        let Some(key) = href_key(base, href) else {
            return;
        };
        let mut state = self.state();
        if state.by_href.remove(&key).is_some() {
            state.order.retain(|kept| *kept != key);
        }
    }

    pub(crate) fn clear(&self) {
        let mut state = self.state();
        state.by_href.clear();
        state.order.clear();
        state.by_rel.clear();
    }

    pub(crate) fn get(&self, base: &Url, href: &str) -> Option<Value> {
        let key = href_key(base, href)?;
        self.state().by_href.get(&key).cloned()
    }

    pub(crate) fn get_rel(&self, rel: &str) -> Option<Value> {
        let state = self.state();
        let key = state.by_rel.get(rel)?;
        state.by_href.get(key).cloned()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().by_href.len()
    }

    /// Brings the cache up to date with one event of the channel.
    pub(crate) fn observe(&self, event: &Event, base: &Url) {
        let rel = event.target().rel.as_str();
        let embedded = event
            .raw
            .embedded
            .as_ref()
            .and_then(|embedded| embedded.get(rel).or_else(|| embedded.values().next()));
        match (event.event_type(), embedded) {
            (EventType::Deleted, _) => self.remove(base, event.href()),
            (_, Some(resource)) => self.store(base, event.href(), Some(rel), resource.clone()),
            (EventType::Updated, None) => self.remove(base, event.href()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://pool/ucwa/oauth/v1/applications/1").expect("url")
    }

    #[test]
    fn the_oldest_goes_past_the_capacity_and_rels_follow() {
        let cache = ResourceCache::new(2);
        cache.store(&base(), "/a/me", None, json!({"rel": "me", "name": "Lene"}));
        cache.store(&base(), "/a/people/1", None, json!({"name": "one"}));
        assert_eq!(cache.get_rel("me").expect("me")["name"], "Lene");
        cache.store(&base(), "/a/people/2", None, json!({"name": "two"}));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&base(), "/a/me").is_none());
        assert!(cache.get_rel("me").is_none());
        // Replacing one does not count twice.
        cache.store(&base(), "/a/people/2", None, json!({"name": "two again"}));
        assert_eq!(cache.len(), 2);
        assert_eq!(
            cache.get(&base(), "https://pool/a/people/2").expect("kept")["name"],
            "two again"
        );
    }

    #[test]
    fn a_capacity_of_zero_keeps_nothing() {
        let cache = ResourceCache::new(0);
        cache.store(&base(), "/a/me", None, json!({"rel": "me"}));
        assert_eq!(cache.len(), 0);
    }
}
