//! Subscriptions the server keeps for a time it was told: refreshed before
//! they lapse, from what the server said, not on a fixed beat.
//!
//! A presence subscription (and the contacts-and-groups subscription) is
//! made with a `duration` in minutes; the server keeps it that long unless
//! it is extended, and says on the event channel when one is about to
//! expire (an `updated` event for it). The session, for each standing
//! request whose JSON body has a `duration` and whose answer names the
//! subscription (`Location`, or the body's `self` link):
//! - extends it with `POST {href} {"duration": d}` when four fifths of `d`
//!   have passed, and at once when an event says it is about to expire;
//! - forgets it when the server says it is gone (`404`/`410`) or it was
//!   deleted, and when the application is created again (the standing
//!   request makes a new subscription there, which becomes the new lease).
//!
//! Bounded: [`MAX_LEASES`] at most; the documented `duration` is clamped to
//! 10–30 minutes as the server clamps it.

use crate::operation::href_key;
use bytes::Bytes;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

/// Subscriptions kept current at most.
pub(crate) const MAX_LEASES: usize = 64;
/// The `duration` range the server takes, in minutes.
const MINUTES: std::ops::RangeInclusive<u64> = 10..=30;

/// One subscription and when to extend it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) href: Url,
    pub(crate) minutes: u64,
    pub(crate) due: Instant,
}

impl Lease {
    /// Extended at four fifths of its time, so the request has a fifth
    /// (two minutes at least) to arrive.
    fn due_after(minutes: u64) -> Duration {
        Duration::from_secs(minutes * 60 * 4 / 5)
    }

    /// The body that extends it.
    pub(crate) fn body(&self) -> Vec<u8> {
        format!("{{\"duration\":{}}}", self.minutes).into_bytes()
    }
}

/// The session's leases.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    leases: Mutex<Vec<Lease>>,
    /// Woken when a lease is added or comes due early.
    pub(crate) changed: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Leases {
    /// Keeps the subscription a standing request made, when its body asks
    /// for a `duration` and its answer names it. `base`: the request's URL.
    pub(crate) fn made(&self, request_body: &[u8], answer: &http::Response<Bytes>, base: &Url) {
        let Some(minutes) = duration_minutes(request_body) else {
            return;
        };
        let Some(href) = subscription_href(answer, base) else {
            tracing::debug!("a subscription's answer names no href: it is not extended");
            return;
        };
        let lease = Lease {
            href,
            minutes,
            due: Instant::now() + Lease::due_after(minutes),
        };
        let mut leases = lock(&self.leases);
        leases.retain(|known| known.href != lease.href);
        if leases.len() >= MAX_LEASES {
            tracing::warn!(
                max = MAX_LEASES,
                "too many subscriptions to keep: the oldest is no longer extended"
            );
            leases.remove(0);
        }
        leases.push(lease);
        drop(leases);
        self.changed.notify_one();
    }

    /// When the next lease comes due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        lock(&self.leases).iter().map(|lease| lease.due).min()
    }

    /// The leases due at `now`, each moved on by its own time.
    pub(crate) fn take_due(&self, now: Instant) -> Vec<Lease> {
        let mut due = Vec::new();
        for lease in lock(&self.leases)
            .iter_mut()
            .filter(|lease| lease.due <= now)
        {
            due.push(lease.clone());
            lease.due = now + Lease::due_after(lease.minutes);
        }
        due
    }

    /// An event names `href` (`updated`: about to expire; `deleted`: gone).
    /// True when it is a lease.
    pub(crate) fn event(&self, href: &str, base: &Url, deleted: bool) -> bool {
        let Some(key) = href_key(base, href) else {
            return false;
        };
        let mut leases = lock(&self.leases);
        let Some(at) = leases
            .iter()
            .position(|lease| href_key(base, lease.href.as_str()).as_ref() == Some(&key))
        else {
            return false;
        };
        if deleted {
            leases.remove(at);
        } else {
            leases[at].due = Instant::now();
            drop(leases);
            self.changed.notify_one();
        }
        true
    }

    /// The server said the subscription is gone.
    pub(crate) fn forget(&self, href: &Url) {
        lock(&self.leases).retain(|lease| &lease.href != href);
    }

    /// The application was created again: its subscriptions went with it.
    pub(crate) fn clear(&self) {
        lock(&self.leases).clear();
    }

    #[cfg(test)]
    fn hrefs(&self) -> Vec<String> {
        lock(&self.leases)
            .iter()
            .map(|lease| lease.href.to_string())
            .collect()
    }
}

/// The `duration` (minutes) a JSON body asks for, clamped as the server does.
fn duration_minutes(body: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let duration = value.as_object()?.iter().find_map(|(key, value)| {
        key.eq_ignore_ascii_case("duration").then(|| {
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
        })
    })??;
    Some(duration.clamp(*MINUTES.start(), *MINUTES.end()))
}

/// The subscription an answer names: its `Location`, else its body's `self`.
fn subscription_href(answer: &http::Response<Bytes>, base: &Url) -> Option<Url> {
    if !answer.status().is_success() {
        return None;
    }
    let location = answer
        .headers()
        .get(http::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let own = || {
        let body: serde_json::Value = serde_json::from_slice(answer.body()).ok()?;
        body.pointer("/_links/self/href")?
            .as_str()
            .map(str::to_owned)
    };
    base.join(&location.or_else(own)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://pool/ucwa/v1/applications/1/people/presenceSubscriptions").expect("url")
    }

    fn created(location: &str) -> http::Response<Bytes> {
        http::Response::builder()
            .status(201)
            .header("location", location)
            .body(Bytes::new())
            .expect("response")
    }

    #[test]
    fn a_subscription_with_a_duration_is_extended_at_four_fifths_of_it() {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(async {
                let leases = Leases::default();
                leases.made(
                    br#"{"duration":11,"uris":["sip:a@b"]}"#,
                    &created("presenceSubscriptions/7"),
                    &base(),
                );
                // No duration, or an answer naming nothing: nothing to extend.
                leases.made(
                    br#"{"uris":["sip:a@b"]}"#,
                    &created("presenceSubscriptions/8"),
                    &base(),
                );
                let named_nothing = http::Response::builder()
                    .status(201)
                    .body(Bytes::new())
                    .expect("response");
                leases.made(br#"{"duration":11}"#, &named_nothing, &base());
                assert_eq!(
                    leases.hrefs(),
                    ["https://pool/ucwa/v1/applications/1/people/presenceSubscriptions/7"]
                );
                let start = Instant::now();
                assert_eq!(leases.next_due(), Some(start + Duration::from_secs(528)));
                assert!(leases.take_due(start + Duration::from_secs(527)).is_empty());
                let due = leases.take_due(start + Duration::from_secs(528));
                assert_eq!(due.len(), 1);
                assert_eq!(due[0].body(), br#"{"duration":11}"#);
                assert_eq!(leases.next_due(), Some(start + Duration::from_secs(1056)));
            });
    }

    #[test]
    fn durations_are_clamped_as_the_server_clamps_them() {
        assert_eq!(duration_minutes(br#"{"duration":5}"#), Some(10));
        assert_eq!(duration_minutes(br#"{"Duration":"45"}"#), Some(30));
        assert_eq!(duration_minutes(br#"{"duration":-1}"#), None);
        assert_eq!(duration_minutes(b"not json"), None);
    }

    #[test]
    fn an_event_brings_a_lease_forward_or_ends_it() {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(async {
                let leases = Leases::default();
                leases.made(
                    br#"{"duration":30}"#,
                    &created("/ucwa/v1/applications/1/people/presenceSubscriptions/7"),
                    &base(),
                );
                assert!(!leases.event(
                    "/ucwa/v1/applications/1/people/presenceSubscriptions/9",
                    &base(),
                    false
                ));
                assert!(leases.event(
                    "/ucwa/v1/applications/1/people/presenceSubscriptions/7",
                    &base(),
                    false
                ));
                assert_eq!(
                    leases.take_due(Instant::now()).len(),
                    1,
                    "about to expire: extended now"
                );
                assert!(leases.event(
                    "/ucwa/v1/applications/1/people/presenceSubscriptions/7",
                    &base(),
                    true
                ));
                assert!(leases.hrefs().is_empty());
            });
    }
}
