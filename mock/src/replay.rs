//! Which step is due: the replay's state, without I/O.
//!
//! Steps are replayed in transcript order (page by page). Command requests
//! must arrive in that order: each is compared with the next pending command
//! step, served when it matches, and reported as a [`Mismatch`] (the step stays
//! pending) when it does not. An event step is due once every command step
//! documented before it has been served or skipped; the pending GET takes due
//! event steps one at a time, in order.
//!
//! A `GET` that does not match the next step but matches one of the next
//! few pending steps of the page, with only `GET`s between, is served as that
//! step ([`Replay::get_ahead`]): a client reads a resource when an event names
//! it, which may be before reads the page shows first.
//!
//! A request that does not match the next step is still not a mismatch when
//! it is one a client makes on its own and the pages do not show: a re-read
//! of a resource served before ([`crate::rereads`]), the `DELETE` of the
//! application the mock handed out (signing out), and a `POST` on its
//! `me/reportMyActivity` (keep-alive). These leave the replay where it is and
//! are answered as a server would: the resource, `204`, `204`.

use crate::body::Body;
use crate::ids::{IdMap, IdSlots};
use crate::matching::{self, Mismatch, ReceivedRequest};
use crate::message::Response;
use crate::rereads::Served;
use crate::transcript::{StepId, StepKind, Transcript};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// What became of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Not reached yet.
    Pending,
    /// Its request matched (or, for an event, the pending GET took it) and its response went out.
    Served,
    /// Passed over by [`crate::MockServer::expect`].
    Skipped,
}

/// At most this many mismatches are kept; later ones are counted only.
pub(crate) const MAX_MISMATCHES: usize = 1000;

pub(crate) struct Replay {
    pub transcript: Arc<Transcript>,
    order: Vec<(StepId, StepKind)>,
    outcomes: Vec<StepOutcome>,
    mismatches: Vec<Mismatch>,
    pub dropped_mismatches: usize,
    /// Tolerated values the client chose: (documented, received), applied to later responses.
    pub substitutions: Vec<(String, String)>,
    /// The highest `ack` a pending GET has sent, by events path (lowercased).
    pub highest_acks: std::collections::HashMap<String, u64>,
    /// The generated ids handed out and bound ([`crate::ids`]).
    pub ids: IdMap,
    /// The resources served, for re-reads.
    served: Served,
    /// Set once a fault was injected ([`crate::faults`]): a client that
    /// recovers sends again what it sent before, and is answered as then.
    pub resends_allowed: bool,
}

/// What to do with a command request.
pub(crate) enum Decision {
    /// Serve this step's response.
    Serve(StepId),
    /// Answer with the mismatch.
    Mismatch(Mismatch),
    /// A re-read: answer `200` with this resource, as served before.
    Reread(serde_json::Value),
    /// A request the pages do not show that a client makes on its own: `204`.
    Unscripted(Unscripted),
    /// A command served before, sent again after an injected fault (a
    /// re-created application, a renewed token, what it set up again):
    /// answered as then, the replay not moved.
    Resent(StepId),
}

/// The requests a client makes on its own schedule, answered `204` when the
/// transcript does not document them next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unscripted {
    /// `DELETE` of the application the mock handed out: held pending GETs
    /// then answer `404 ApplicationNotFound`.
    ApplicationDeleted,
    /// `POST …/me/reportMyActivity` on that application.
    ActivityReported,
}

/// Substitutions are bounded: a client cannot grow them without limit.
const MAX_SUBSTITUTIONS: usize = 256;
/// Pending `GET` steps a request may be served as ahead of the next one.
const MAX_GETS_AHEAD: usize = 4;

impl Replay {
    pub fn new(transcript: Arc<Transcript>, slots: Arc<IdSlots>) -> Replay {
        let order: Vec<(StepId, StepKind)> = transcript
            .steps()
            .map(|(id, step)| (id, step.kind))
            .collect();
        let outcomes = vec![StepOutcome::Pending; order.len()];
        Replay {
            transcript,
            order,
            outcomes,
            mismatches: Vec::new(),
            dropped_mismatches: 0,
            substitutions: Vec::new(),
            highest_acks: std::collections::HashMap::new(),
            ids: IdMap::new(slots),
            served: Served::default(),
            resends_allowed: false,
        }
    }

    fn index_of(&self, id: StepId) -> Option<usize> {
        self.order.iter().position(|(step, _)| *step == id)
    }

    pub fn outcome(&self, id: StepId) -> Option<StepOutcome> {
        self.index_of(id).map(|index| self.outcomes[index])
    }

    pub fn outcomes(&self) -> Vec<(StepId, StepOutcome)> {
        self.order
            .iter()
            .map(|(id, _)| *id)
            .zip(self.outcomes.iter().copied())
            .collect()
    }

    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// Hands over the mismatches recorded so far (and how many were dropped), keeping none.
    pub fn take_mismatches(&mut self) -> (Vec<Mismatch>, usize) {
        let dropped = std::mem::take(&mut self.dropped_mismatches);
        (std::mem::take(&mut self.mismatches), dropped)
    }

    pub fn record(&mut self, mismatch: Mismatch) {
        if self.mismatches.len() < MAX_MISMATCHES {
            self.mismatches.push(mismatch);
        } else {
            self.dropped_mismatches += 1;
        }
    }

    /// The next pending command step.
    fn next_command(&self) -> Option<usize> {
        (0..self.order.len()).find(|&index| {
            self.order[index].1 == StepKind::Command && self.outcomes[index] == StepOutcome::Pending
        })
    }

    pub fn on_command(&mut self, received: &ReceivedRequest) -> Decision {
        let Some(index) = self.next_command() else {
            if let Some(decision) = self.unscripted(received) {
                return decision;
            }
            if let Some(resent) = self.resent(received) {
                return Decision::Resent(resent);
            }
            let mismatch = Mismatch {
                step: None,
                expected_at: None,
                expected: "no further request (every documented request has been served)".into(),
                received: received.summary(),
                differences: Vec::new(),
            };
            self.record(mismatch.clone());
            return Decision::Mismatch(mismatch);
        };
        let id = self.order[index].0;
        let transcript = self.transcript.clone();
        let step = transcript
            .step(id)
            .expect("the order lists the transcript's steps");
        let documented = step.request.as_ref().expect("a command step has a request");
        self.ids.enter_page(id.page);
        let comparison = matching::compare(documented, received, &self.ids);
        if comparison.differences.is_empty() {
            self.serve_as(index, comparison, received);
            return Decision::Serve(id);
        }
        if let Some(ahead) = self.get_ahead(index, received) {
            return Decision::Serve(ahead);
        }
        if let Some(decision) = self.unscripted(received) {
            return decision;
        }
        if let Some(resent) = self.resent(received) {
            return Decision::Resent(resent);
        }
        let mismatch = Mismatch {
            step: Some(id),
            expected_at: Some(step.location.clone()),
            expected: step.summary(),
            received: received.summary(),
            differences: comparison.differences,
        };
        self.record(mismatch.clone());
        Decision::Mismatch(mismatch)
    }

    /// A `GET` the page documents a little later, served now: a client that
    /// reads a resource as soon as an event names it may send the read
    /// before requests the page shows first. Only over other `GET`s (a
    /// read after a change documents the changed state) and at most
    /// [`MAX_GETS_AHEAD`] steps; the step is then served, the skipped ones
    /// stay expected.
    fn get_ahead(&mut self, next: usize, received: &ReceivedRequest) -> Option<StepId> {
        if received.method != "GET" {
            return None;
        }
        let transcript = self.transcript.clone();
        let page = self.order[next].0.page;
        let is_get = |id: StepId| {
            transcript
                .step(id)
                .and_then(|step| step.request.as_ref())
                .is_some_and(|request| request.method.eq_ignore_ascii_case("GET"))
        };
        if !is_get(self.order[next].0) {
            return None;
        }
        let mut looked = 0;
        for index in next + 1..self.order.len() {
            let (id, kind) = self.order[index];
            if kind != StepKind::Command || self.outcomes[index] != StepOutcome::Pending {
                continue;
            }
            looked += 1;
            let documented = transcript.step(id)?.request.as_ref()?;
            // Not into another page: its ids are bound afresh (IdMap::enter_page).
            let same_page = id.page == page;
            if looked > MAX_GETS_AHEAD
                || !same_page
                || !documented.method.eq_ignore_ascii_case("GET")
            {
                return None;
            }
            let comparison = matching::compare(documented, received, &self.ids);
            if comparison.differences.is_empty() {
                tracing::info!(step = %transcript.step(id)?.location, "a GET documented later, served before the steps the page shows first");
                self.serve_as(index, comparison, received);
                return Some(id);
            }
        }
        None
    }

    /// After a fault: the latest served command `received` repeats exactly.
    fn resent(&mut self, received: &ReceivedRequest) -> Option<StepId> {
        if !self.resends_allowed {
            return None;
        }
        let transcript = self.transcript.clone();
        for index in (0..self.order.len()).rev() {
            let (id, kind) = self.order[index];
            if kind != StepKind::Command || self.outcomes[index] != StepOutcome::Served {
                continue;
            }
            let Some(documented) = transcript.step(id).and_then(|step| step.request.as_ref())
            else {
                continue;
            };
            // Compared with the ids bound now: entering the step's page
            // would unbind the current page's ones.
            if matching::compare(documented, received, &self.ids)
                .differences
                .is_empty()
            {
                tracing::info!(step = %transcript.step(id)?.location, "sent again after a fault: answered as before");
                return Some(id);
            }
        }
        None
    }

    /// A request a client makes on its own that the pages do not show, if `received` is one.
    fn unscripted(&self, received: &ReceivedRequest) -> Option<Decision> {
        let on_application = |tail: &[&str]| self.ids.is_application_path(&received.path, tail);
        match received.method.as_str() {
            "GET" => {
                let resource = self.served.get(&received.path)?;
                tracing::info!(path = %received.path, "a re-read of a resource served before");
                Some(Decision::Reread(resource))
            }
            "DELETE" if on_application(&[]) => {
                Some(Decision::Unscripted(Unscripted::ApplicationDeleted))
            }
            "POST" if on_application(&["me", "reportMyActivity"]) => {
                Some(Decision::Unscripted(Unscripted::ActivityReported))
            }
            _ => None,
        }
    }

    /// A step's documented response as this replay serves it: ids rewritten
    /// and handed out, its resources kept for re-reads. `None` when the step
    /// has no documented response.
    pub fn served_response(&mut self, id: StepId) -> Option<Response> {
        let transcript = Arc::clone(&self.transcript);
        let step = transcript.step(id)?;
        let mut response = step.response.clone()?;
        self.ids.enter_page(id.page);
        let authority = step
            .request
            .as_ref()
            .and_then(|request| request.target.authority.as_deref());
        self.ids.hand_out(&mut response, authority);
        if let Body::Json(value) = &response.body {
            self.served.remember(value, &self.ids);
        }
        Some(response)
    }

    /// The application is being created again after an injected expiry: a
    /// new id for it ([`IdMap::recreate_application`]), and nothing kept of
    /// the old one: its resources (for rereads) and its event channel's acks
    /// (a new channel starts afresh at its first ack). (old id, new id).
    pub fn application_recreated(&mut self) -> Option<(String, String)> {
        self.served = Served::default();
        self.highest_acks.clear();
        self.ids.recreate_application()
    }

    /// A served step's response again ([`Decision::Resent`]): ids as bound
    /// now, without entering the step's page (that would unbind the
    /// current page's ids).
    pub fn resent_response(&mut self, id: StepId) -> Option<Response> {
        let transcript = Arc::clone(&self.transcript);
        let step = transcript.step(id)?;
        let mut response = step.response.clone()?;
        let authority = step
            .request
            .as_ref()
            .and_then(|request| request.target.authority.as_deref());
        self.ids.hand_out(&mut response, authority);
        Some(response)
    }

    /// Marks the step at `index` served by `received`, keeping what the
    /// comparison learned and the ids it bound.
    fn serve_as(
        &mut self,
        index: usize,
        comparison: matching::Comparison,
        received: &ReceivedRequest,
    ) {
        self.outcomes[index] = StepOutcome::Served;
        for (documented, received) in comparison.learned {
            self.learn(documented, received);
        }
        self.ids.bind(comparison.bindings, &received.authority);
    }

    fn learn(&mut self, documented: String, received: String) {
        if let Some(entry) = self
            .substitutions
            .iter_mut()
            .find(|(known, _)| *known == documented)
        {
            entry.1 = received;
        } else if self.substitutions.len() < MAX_SUBSTITUTIONS {
            self.substitutions.push((documented, received));
        }
    }

    /// The first pending event step, if every command step before it is done.
    fn due_event(&self) -> Option<usize> {
        let index = (0..self.order.len()).find(|&index| {
            self.order[index].1 == StepKind::Event && self.outcomes[index] == StepOutcome::Pending
        })?;
        let commands_done = (0..index).all(|before| {
            self.order[before].1 == StepKind::Event || self.outcomes[before] != StepOutcome::Pending
        });
        commands_done.then_some(index)
    }

    /// Takes the due event step, marking it served.
    pub fn take_due_event(&mut self) -> Option<StepId> {
        let index = self.due_event()?;
        self.outcomes[index] = StepOutcome::Served;
        Some(self.order[index].0)
    }

    /// Makes `id` the next expected step: pending command steps before it are skipped.
    /// Returns false when the transcript has no such step.
    pub fn expect(&mut self, id: StepId) -> bool {
        let Some(target) = self.index_of(id) else {
            return false;
        };
        for index in 0..target {
            if self.order[index].1 == StepKind::Command
                && self.outcomes[index] == StepOutcome::Pending
            {
                self.outcomes[index] = StepOutcome::Skipped;
            }
        }
        true
    }

    /// Marks the pending command steps `skip` picks as skipped.
    pub fn skip_commands(&mut self, skip: impl Fn(StepId) -> bool) {
        for (index, (id, kind)) in self.order.iter().enumerate() {
            if *kind == StepKind::Command
                && self.outcomes[index] == StepOutcome::Pending
                && skip(*id)
            {
                self.outcomes[index] = StepOutcome::Skipped;
            }
        }
    }
}

/// One replay as the connections that serve it share it: the state, a
/// notifier woken whenever a step is served or skipped and when a P-GET
/// arrives, and the count of P-GETs (a held one that is no longer the latest
/// is released). The mock has one for everyone, or one per session
/// ([`crate::sessions`]).
pub(crate) struct Script {
    replay: Mutex<Replay>,
    pub changed: Notify,
    pub pending_gets: AtomicU64,
    /// Set when the client's application is gone: a held P-GET answers `404`.
    closed: AtomicBool,
}

impl Script {
    pub fn new(replay: Replay) -> Script {
        Script {
            replay: Mutex::new(replay),
            changed: Notify::new(),
            pending_gets: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Ends the script: held P-GETs answer that the application is gone.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// The application is back (created again after a fault): held P-GETs wait again.
    pub fn reopen(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub fn lock(&self) -> MutexGuard<'_, Replay> {
        // A panic while holding the lock cannot leave the replay half-updated in
        // a way that matters more than stopping would: keep serving.
        self.replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;
    use crate::transcript::Page;

    const PAGE: &str = "
```
POST https://h.example/a HTTP/1.1
```

```
HTTP/1.1 204 No Content
```

```
GET https://h.example/app/events?ack=1 HTTP/1.1
```

```
HTTP/1.1 200 OK

{\"_links\":{\"next\":{\"href\":\"/app/events?ack=2\"}},\"sender\":[]}
```

```
POST https://h.example/b HTTP/1.1
```

```
HTTP/1.1 204 No Content
```
";

    fn post(path: &str) -> ReceivedRequest {
        ReceivedRequest {
            method: "POST".into(),
            authority: "h.example".into(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    fn replay() -> Replay {
        let transcript = Transcript::from_pages(vec![Page::parse("p.md", PAGE)]);
        let slots = Arc::new(IdSlots::read(&transcript));
        Replay::new(Arc::new(transcript), slots)
    }

    #[test]
    fn commands_are_served_in_order_and_an_event_is_due_after_the_commands_before_it() {
        let mut replay = replay();
        assert_eq!(replay.take_due_event(), None);
        assert!(matches!(
            replay.on_command(&post("/b")),
            Decision::Mismatch(_)
        ));
        assert_eq!(replay.mismatches().len(), 1);
        assert!(matches!(
            replay.on_command(&post("/a")),
            Decision::Serve(StepId { page: 0, step: 0 })
        ));
        assert_eq!(replay.take_due_event(), Some(StepId { page: 0, step: 1 }));
        assert_eq!(replay.take_due_event(), None);
        assert!(matches!(replay.on_command(&post("/b")), Decision::Serve(_)));
        let Decision::Mismatch(finished) = replay.on_command(&post("/c")) else {
            panic!()
        };
        assert_eq!(finished.step, None);
    }

    const READS: &str = "
```
GET https://h.example/me HTTP/1.1
```

```
HTTP/1.1 200 OK

{\"rel\":\"me\"}
```

```
GET https://h.example/me/presence HTTP/1.1
```

```
HTTP/1.1 200 OK

{\"rel\":\"presence\"}
```

```
POST https://h.example/me/note HTTP/1.1
```

```
HTTP/1.1 204 No Content
```

```
GET https://h.example/me/note HTTP/1.1
```

```
HTTP/1.1 200 OK

{\"rel\":\"note\"}
```
";

    #[test]
    fn a_get_documented_a_little_later_is_served_as_that_step_but_not_past_a_change() {
        let transcript = Transcript::from_pages(vec![Page::parse("p.md", READS)]);
        let slots = Arc::new(IdSlots::read(&transcript));
        let mut replay = Replay::new(Arc::new(transcript), slots);
        let get = |path: &str| ReceivedRequest {
            method: "GET".into(),
            ..post(path)
        };
        // Presence before me: served as its own step; me is still expected.
        assert!(matches!(
            replay.on_command(&get("/me/presence")),
            Decision::Serve(StepId { page: 0, step: 1 })
        ));
        assert!(matches!(
            replay.on_command(&get("/me")),
            Decision::Serve(StepId { page: 0, step: 0 })
        ));
        // The note read comes after a change: not served ahead of it.
        assert!(matches!(
            replay.on_command(&get("/me/note")),
            Decision::Mismatch(_)
        ));
        assert!(matches!(
            replay.on_command(&post("/me/note")),
            Decision::Serve(_)
        ));
        assert!(matches!(
            replay.on_command(&get("/me/note")),
            Decision::Serve(StepId { page: 0, step: 3 })
        ));
    }

    #[test]
    fn expect_skips_the_commands_before_a_step() {
        let mut replay = replay();
        assert!(replay.expect(StepId { page: 0, step: 2 }));
        assert_eq!(
            replay.outcome(StepId { page: 0, step: 0 }),
            Some(StepOutcome::Skipped)
        );
        assert_eq!(replay.take_due_event(), Some(StepId { page: 0, step: 1 }));
        assert!(matches!(replay.on_command(&post("/b")), Decision::Serve(_)));
        assert!(!replay.expect(StepId { page: 3, step: 0 }));
    }
}
