//! The event channel: the pending GET (P-GET) on an `events` URL.
//!
//! A P-GET is held until the transcript's next event step is due (every
//! request documented before it has arrived), then answered with that step's
//! response. Nothing due within the hold time (the configured
//! [`crate::MockConfig::hold_timeout`], or the request's `timeout=` seconds if
//! shorter) answers as UCWA does when nothing happened: `200` with no events
//! and just the `next` link (same `ack`). The special responses of
//! EventChannelDetails:
//! - a newer P-GET releases the one held before it with `409 Conflict`,
//!   subcode `PGetReplaced`;
//! - an `ack` lower than one already sent on the same events URL answers `200`
//!   with only a `resync` link to the highest `ack` (and is reported as a
//!   mismatch: it "usually indicates a client bug").
//!
//! The path and the `ack` value are otherwise not compared: the pages'
//! event URLs disagree with each other (SendAnIM's `next` says `ack=4` and its
//! next P-GET asks `ack=6`; SubscribeToThePresenceOfSelectedContacts moves from
//! `/ucwa/oauth/v1/` to `/ucwa/v1/`), and several pages show event responses
//! with no request at all. For the same reason the `self` and `next` links of
//! an events answer to a P-GET with an `ack` are the mock's own, as a server
//! numbers them: the path the P-GET asked on, `ack` as asked for `self` and
//! one more for `next` (other query parameters as the page shows them). A
//! client that follows `next` through several pages, whose numbers restart on
//! each, thus never goes back.

use crate::body::Body;
use crate::matching::{Difference, Mismatch};
use crate::message::Response;
use crate::replay::Script;
use crate::server::{error_response, served_step, HttpResponse, Shared};
use crate::transcript::StepId;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// Events URLs whose highest `ack` is remembered (a client cannot grow this without bound).
const MAX_CHANNELS: usize = 256;

const UCWA_NAMESPACE: &str = "http://schemas.microsoft.com/rtc/2012/03/ucwa";

/// What a pending GET asked for.
pub(crate) struct PendingGet {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub wants_xml: bool,
}

impl PendingGet {
    pub fn ack(&self) -> Option<u64> {
        self.query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("ack"))
            .and_then(|(_, value)| value.trim().parse().ok())
    }

    /// The `timeout=` the client asked for, in seconds.
    fn timeout(&self) -> Option<Duration> {
        self.query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("timeout"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .map(Duration::from_secs)
    }

    fn channel(&self) -> String {
        self.path.to_ascii_lowercase()
    }
}

/// How a pending GET ends.
pub(crate) enum Held {
    /// With this event step, now taken (marked served).
    Event(StepId),
    /// With anything else: no events, `resync`, `PGetReplaced`, the application gone.
    Answer(HttpResponse),
}

/// Answers one pending GET on `script`.
pub(crate) async fn pending_get(
    shared: &Shared,
    script: &Script,
    request: PendingGet,
) -> HttpResponse {
    match hold(shared, script, &request).await {
        Held::Event(step) => event_response(shared, script, step, &request),
        Held::Answer(response) => response,
    }
}

/// An event step's response as served to `request`: the events links the mock's own.
pub(crate) fn event_response(
    shared: &Shared,
    script: &Script,
    step: StepId,
    request: &PendingGet,
) -> HttpResponse {
    served_step(shared, script, step, |response| {
        own_links(response, request)
    })
}

/// `self` and `next` of an events body: the P-GET's path, its `ack` and one more.
fn own_links(response: &mut Response, request: &PendingGet) {
    let Some(asked) = request.ack() else {
        return;
    };
    let Body::Json(Value::Object(members)) = &mut response.body else {
        return;
    };
    let Some(Value::Object(links)) = members.get_mut("_links") else {
        return;
    };
    for (rel, ack) in [("self", asked), ("next", asked.saturating_add(1))] {
        let Some(Value::Object(link)) = links.get_mut(rel) else {
            continue;
        };
        let documented = link.get("href").and_then(Value::as_str).unwrap_or_default();
        let others = documented
            .split_once('?')
            .map(|(_, query)| crate::body::form_pairs(query))
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| !key.eq_ignore_ascii_case("ack"));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("ack", &ack.to_string())
            .extend_pairs(others)
            .finish();
        link.insert(
            "href".into(),
            Value::String(format!("{}?{query}", request.path)),
        );
    }
}

/// The `ack` of the `next` link an events answer to a P-GET asking `asked`
/// is served with ([`own_links`]), when the documented answer has one.
pub(crate) fn served_next_ack(documented: &Response, asked: Option<u64>) -> Option<u64> {
    let Body::Json(value) = &documented.body else {
        return None;
    };
    let href = value.pointer("/_links/next/href")?.as_str()?;
    if let Some(asked) = asked {
        return Some(asked.saturating_add(1));
    }
    let url = url::Url::parse("http://events.invalid/")
        .ok()?
        .join(href)
        .ok()?;
    let (_, ack) = url
        .query_pairs()
        .find(|(key, _)| key.eq_ignore_ascii_case("ack"))?;
    ack.trim().parse().ok()
}

/// Holds a pending GET on `script` until an event step is due, the hold time
/// passes, a newer P-GET replaces it or the script is closed.
pub(crate) async fn hold(shared: &Shared, script: &Script, request: &PendingGet) -> Held {
    let generation = script.pending_gets.fetch_add(1, Ordering::SeqCst) + 1;
    // Release the P-GET held before this one.
    script.changed.notify_waiters();
    let ack = request.ack();
    if let Some(ack) = ack {
        let mut replay = script.lock();
        let channel = request.channel();
        if !replay.highest_acks.contains_key(&channel) && replay.highest_acks.len() >= MAX_CHANNELS
        {
            // Bounded: past this many events URLs, new ones are not tracked for resync.
            replay.highest_acks.clear();
        }
        let highest = replay.highest_acks.entry(channel).or_insert(ack);
        if ack < *highest {
            let highest = *highest;
            replay.record(Mismatch {
                step: None,
                expected_at: None,
                expected: format!("GET {}?ack={highest} or later", request.path),
                received: format!("GET {}?ack={ack}", request.path),
                differences: vec![Difference {
                    at: "query.ack".into(),
                    expected: format!("{highest} or more"),
                    received: ack.to_string(),
                }],
            });
            drop(replay);
            tracing::warn!(path = %request.path, ack, highest, "event channel: ack went back; answering resync");
            return Held::Answer(events_body(request, "resync", highest));
        }
        *highest = ack;
    }
    let hold = request
        .timeout()
        .map_or(shared.config.hold_timeout, |asked| {
            asked.min(shared.config.hold_timeout)
        });
    let deadline = Instant::now() + hold;
    loop {
        let notified = script.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if script.is_closed() {
            return Held::Answer(error_response(
                404,
                "NotFound",
                "ApplicationNotFound",
                "the application was deleted",
                None,
            ));
        }
        if script.pending_gets.load(Ordering::SeqCst) != generation {
            tracing::info!(path = %request.path, "event channel: P-GET replaced by a newer one");
            return Held::Answer(error_response(
                409,
                "Conflict",
                "PGetReplaced",
                "a newer pending GET replaced this one",
                None,
            ));
        }
        let due = script.lock().take_due_event();
        if let Some(step) = due {
            script.changed.notify_waiters();
            return Held::Event(step);
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {
                tracing::info!(path = %request.path, held_ms = hold.as_millis() as u64, "event channel: nothing due; empty response");
                return Held::Answer(events_body(request, "next", ack.unwrap_or(1)));
            }
        }
    }
}

/// An events response with no events and one link (`next` or `resync`).
fn events_body(request: &PendingGet, rel: &str, ack: u64) -> HttpResponse {
    let self_href = match request.ack() {
        Some(asked) => format!("{}?ack={asked}", request.path),
        None => request.path.clone(),
    };
    let href = format!("{}?ack={ack}", request.path);
    if request.wants_xml {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><events href=\"{}\" xmlns=\"{UCWA_NAMESPACE}\"><link rel=\"{rel}\" href=\"{}\" /></events>",
            quick_xml::escape::escape(&self_href),
            quick_xml::escape::escape(&href)
        );
        return crate::server::plain_response(
            200,
            "application/vnd.microsoft.com.ucwa+xml",
            body.into_bytes(),
        );
    }
    let body = serde_json::json!({
        "_links": {
            "self": {"href": self_href},
            rel: {"href": href},
        }
    });
    crate::server::plain_response(200, "application/json", body.to_string().into_bytes())
}
