//! Session mode ([`crate::MockConfig::sessions`]): each client that signs in
//! gets its own replay of the transcript, so many clients can run the same
//! task at once (a load test, parallel tests sharing one mock).
//!
//! The transcript must document a token request (a form `POST` with
//! `grant_type`). It splits the transcript in three:
//! - the command steps **before the first token request** (discovery, the
//!   `401` challenge) are served to anyone, in any order and as often as
//!   asked: each request without a token is matched against them, nothing is
//!   remembered;
//! - a request that matches **the token request** starts a session: the mock
//!   answers the documented response with a token of its own
//!   (`access_token`), distinct per session;
//! - **the rest** is replayed per session, as the single-script mode
//!   replays it for everyone: requests carrying the session's token
//!   (`Authorization: Bearer …`) must arrive in order, the event channel
//!   holds its pending GET until that session's next event is due, values
//!   the client chose (`operationId`, `endpointId`, …) are learned and
//!   substituted in that session's responses only, the generated ids it is
//!   handed ([`crate::ids`]) and the resources it may read again
//!   ([`crate::rereads`]) are its own, and `ack`s are tracked per session.
//!   Later token requests (renewals) are skipped in each
//!   session: a renewal carries no token to find its session by.
//!
//! A token the mock does not know (a session ended, or never started) gets
//! the transcript's first documented `401` (its challenge), or a bare `401`.
//!
//! Events are delivered **at least once per `ack`**: when a pending GET
//! repeats the `ack` of the last events answer (the client did not get it:
//! a timeout, a dropped connection), the same events are sent again; a GET
//! with another `ack` acknowledges them. (Not when the answer's `next` link
//! repeats the `ack` it was asked with: then a repeat is not a retry.)
//!
//! Bounded: at most [`SessionConfig::max_sessions`] sessions; a token request
//! beyond that, once idle sessions are swept, is answered `503`. A session is
//! freed by `DELETE …/applications/{id}` (answered `204`, documented or
//! not; a held pending GET then answers `404 ApplicationNotFound`) or after
//! [`SessionConfig::idle_timeout`] with no request in progress or arriving.
//! Mismatches of every session go to one list, capped like the
//! single-script one. Tokens are never logged; sessions are named by number.

use crate::body::Body;
use crate::events::{self, event_response, served_next_ack, Held, PendingGet};
use crate::ids::{IdMap, IdSlots};
use crate::matching::{self, Mismatch, ReceivedRequest};
use crate::message::{header, Response};
use crate::replay::{Decision, Replay, Script, MAX_MISMATCHES};
use crate::server::{
    answer, documented_response, error_response, mismatch_response, render, HttpResponse, Shared,
};
use crate::transcript::{StepId, StepKind, Transcript};
use crate::Error;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Session mode's bounds, and a fault it can inject for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Sessions open at once; a token request beyond that is answered `503`.
    pub max_sessions: usize,
    /// A session with no request in progress and none arriving for this long
    /// is freed. Keep it above [`crate::MockConfig::hold_timeout`], so that a
    /// client that keeps its event channel open keeps its session.
    pub idle_timeout: Duration,
    /// Fault injection: every Nth events answer of each session is taken and
    /// then lost on the way (answered `503` instead), so that the client's
    /// retry with the same `ack` gets the same events again. `0`: never.
    pub lose_every_nth_event_answer: u32,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            max_sessions: 1024,
            idle_timeout: Duration::from_secs(300),
            lose_every_nth_event_answer: 0,
        }
    }
}

/// What session mode has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Sessions open now.
    pub open: usize,
    /// Sessions started (token requests answered).
    pub started: u64,
    /// Sessions ended by `DELETE` of their application.
    pub deleted: u64,
    /// Sessions freed after their idle timeout.
    pub expired: u64,
    /// Token requests refused because [`SessionConfig::max_sessions`] were open.
    pub refused: u64,
    /// Events answers lost on purpose ([`SessionConfig::lose_every_nth_event_answer`]).
    pub lost_event_answers: u64,
    /// Events answers sent again to a pending GET that repeated their `ack`.
    pub redelivered_event_answers: u64,
}

/// What the transcript says about signing in, read once.
struct Plan {
    /// Command steps before the first token request: served to anyone.
    anonymous: Vec<StepId>,
    /// The first token request: each match starts a session.
    grant: StepId,
    /// Every token request: skipped in each session's replay.
    grants: Vec<StepId>,
    /// The first documented `401`: the answer to a token nobody issued.
    challenge: Option<StepId>,
}

impl Plan {
    fn read(transcript: &Transcript) -> Result<Plan, Error> {
        let grants: Vec<StepId> = transcript
            .steps()
            .filter(|(_, step)| step.request.as_ref().is_some_and(is_token_request))
            .map(|(id, _)| id)
            .collect();
        let grant = *grants.first().ok_or(Error::NoTokenRequest)?;
        let anonymous = transcript
            .steps()
            .take_while(|(id, _)| *id != grant)
            .filter(|(_, step)| step.kind == StepKind::Command)
            .map(|(id, _)| id)
            .collect();
        let challenge = transcript
            .steps()
            .find(|(_, step)| step.response.as_ref().is_some_and(|r| r.status == 401))
            .map(|(id, _)| id);
        Ok(Plan {
            anonymous,
            grant,
            grants,
            challenge,
        })
    }
}

/// A form `POST` with a `grant_type`: an OAuth token request.
fn is_token_request(request: &crate::Request) -> bool {
    request.method == "POST" && has_grant_type(&request.body)
}

fn has_grant_type(body: &Body) -> bool {
    matches!(body, Body::Form(pairs) if pairs.iter().any(|(key, _)| key.eq_ignore_ascii_case("grant_type")))
}

/// `…/applications/{id}`: deleting it ends the session.
fn is_application_path(path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next().unwrap_or_default();
    !id.is_empty()
        && segments
            .next()
            .is_some_and(|parent| parent.eq_ignore_ascii_case("applications"))
}

/// One signed-in client's replay.
struct Session {
    /// Names the session in diagnostics (tokens are never logged).
    id: u64,
    script: Script,
    activity: Mutex<Activity>,
    /// Events answers taken so far (first deliveries), for the injected fault.
    event_answers: AtomicU64,
    /// The last events answer and the `ack` it was asked with, until a P-GET
    /// with another `ack` acknowledges it.
    unacknowledged: Mutex<Option<(u64, StepId)>>,
}

struct Activity {
    in_progress: usize,
    last_seen: Instant,
}

impl Session {
    fn activity(&self) -> MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request in progress until the guard drops (also when the
    /// connection goes away and hyper drops the handler).
    fn enter(self: &Arc<Session>) -> InProgress {
        let mut activity = self.activity();
        activity.in_progress += 1;
        activity.last_seen = Instant::now();
        InProgress(Arc::clone(self))
    }

    fn is_idle(&self, idle_timeout: Duration, now: Instant) -> bool {
        let activity = self.activity();
        activity.in_progress == 0 && now.duration_since(activity.last_seen) >= idle_timeout
    }

    fn unacknowledged(&self) -> MutexGuard<'_, Option<(u64, StepId)>> {
        self.unacknowledged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

struct InProgress(Arc<Session>);

impl Drop for InProgress {
    fn drop(&mut self) {
        let mut activity = self.0.activity();
        activity.in_progress -= 1;
        activity.last_seen = Instant::now();
    }
}

/// Who a request comes from.
enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A token the mock did not issue, or whose session has ended.
    Unknown,
    /// A session's token.
    Session(String, Arc<Session>),
}

#[derive(Default)]
struct Counters {
    started: AtomicU64,
    deleted: AtomicU64,
    expired: AtomicU64,
    refused: AtomicU64,
    lost: AtomicU64,
    redelivered: AtomicU64,
}

#[derive(Default)]
struct MismatchLog {
    kept: Vec<Mismatch>,
    dropped: usize,
}

/// The sessions of a mock in session mode.
pub(crate) struct Sessions {
    transcript: Arc<Transcript>,
    /// Which path segments are generated ids: each session's replay hands out its own.
    slots: Arc<IdSlots>,
    /// No id handed out: how requests without a token (discovery) are compared.
    anonymous_ids: IdMap,
    plan: Plan,
    config: SessionConfig,
    /// By token.
    table: Mutex<HashMap<String, Arc<Session>>>,
    mismatches: Mutex<MismatchLog>,
    counters: Counters,
    next_id: AtomicU64,
    /// Keys the token text: tokens differ between mock runs.
    token_hasher: RandomState,
}

impl Sessions {
    pub fn new(
        transcript: &Arc<Transcript>,
        slots: &Arc<IdSlots>,
        config: SessionConfig,
    ) -> Result<Sessions, Error> {
        Ok(Sessions {
            transcript: Arc::clone(transcript),
            slots: Arc::clone(slots),
            anonymous_ids: IdMap::new(Arc::clone(slots)),
            plan: Plan::read(transcript)?,
            config,
            table: Mutex::new(HashMap::new()),
            mismatches: Mutex::new(MismatchLog::default()),
            counters: Counters::default(),
            next_id: AtomicU64::new(1),
            token_hasher: RandomState::new(),
        })
    }

    fn table(&self) -> MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn log(&self) -> MutexGuard<'_, MismatchLog> {
        self.mismatches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn mismatches(&self) -> Vec<Mismatch> {
        self.log().kept.clone()
    }

    pub fn counts(&self) -> SessionCounts {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SessionCounts {
            open: self.table().len(),
            started: count(&self.counters.started),
            deleted: count(&self.counters.deleted),
            expired: count(&self.counters.expired),
            refused: count(&self.counters.refused),
            lost_event_answers: count(&self.counters.lost),
            redelivered_event_answers: count(&self.counters.redelivered),
        }
    }

    fn record(&self, mismatches: Vec<Mismatch>, dropped: usize) {
        let mut log = self.log();
        log.dropped += dropped;
        for mismatch in mismatches {
            if log.kept.len() < MAX_MISMATCHES {
                log.kept.push(mismatch);
            } else {
                log.dropped += 1;
            }
        }
    }

    /// Moves what a session's replay recorded into the one list.
    fn collect(&self, session: &Session) {
        let (mismatches, dropped) = session.script.lock().take_mismatches();
        if !mismatches.is_empty() || dropped > 0 {
            self.record(mismatches, dropped);
        }
    }

    fn caller(&self, headers: &[(String, String)]) -> Caller {
        let Some(authorization) = header(headers, "authorization") else {
            return Caller::Anonymous;
        };
        let token = authorization
            .trim()
            .split_once(' ')
            .map_or("", |(_, credentials)| credentials.trim());
        match self.table().get(token) {
            Some(session) => Caller::Session(token.to_string(), Arc::clone(session)),
            None => Caller::Unknown,
        }
    }

    /// Answers a request that is not a pending GET.
    pub fn command(&self, shared: &Shared, received: &ReceivedRequest) -> HttpResponse {
        match self.caller(&received.headers) {
            Caller::Session(token, session) => {
                let _in_progress = session.enter();
                if received.method == "DELETE" && is_application_path(&received.path) {
                    self.end(&token, &self.counters.deleted);
                    tracing::info!(session = session.id, "session ended: application deleted");
                    let mut deleted = HttpResponse::new(Default::default());
                    *deleted.status_mut() = http::StatusCode::NO_CONTENT;
                    return deleted;
                }
                let decision = session.script.lock().on_command(received);
                self.collect(&session);
                if matches!(decision, Decision::Mismatch(_)) {
                    tracing::warn!(session = session.id, "mismatch in a session");
                }
                answer(shared, &session.script, decision)
            }
            Caller::Unknown => self.unauthorized(shared),
            Caller::Anonymous if received.method == "POST" && has_grant_type(&received.body) => {
                self.start(shared, received)
            }
            Caller::Anonymous => self.anonymous(shared, received),
        }
    }

    /// A request without a token: the first step before the token request it matches.
    fn anonymous(&self, shared: &Shared, received: &ReceivedRequest) -> HttpResponse {
        let mut closest: Option<Mismatch> = None;
        for &id in self.plan.anonymous.iter().chain([&self.plan.grant]) {
            let Some(step) = self.transcript.step(id) else {
                continue;
            };
            let Some(documented) = &step.request else {
                continue;
            };
            let comparison = matching::compare(documented, received, &self.anonymous_ids);
            if comparison.differences.is_empty() && id != self.plan.grant {
                return documented_response(shared, &self.transcript, id, &[]);
            }
            if closest
                .as_ref()
                .is_none_or(|best| comparison.differences.len() < best.differences.len())
            {
                closest = Some(Mismatch {
                    step: Some(id),
                    expected_at: Some(step.location.clone()),
                    expected: step.summary(),
                    received: received.summary(),
                    differences: comparison.differences,
                });
            }
        }
        let mismatch = closest.unwrap_or_else(|| Mismatch {
            step: None,
            expected_at: None,
            expected: "a request documented before the token request".into(),
            received: received.summary(),
            differences: Vec::new(),
        });
        self.record(vec![mismatch.clone()], 0);
        mismatch_response(&mismatch)
    }

    /// A token request: a new session, when it matches and there is room.
    fn start(&self, shared: &Shared, received: &ReceivedRequest) -> HttpResponse {
        let mut replay = Replay::new(Arc::clone(&self.transcript), Arc::clone(&self.slots));
        replay.expect(self.plan.grant);
        if let Decision::Mismatch(mismatch) = replay.on_command(received) {
            self.record(vec![mismatch.clone()], 0);
            return mismatch_response(&mismatch);
        }
        let grant = self.plan.grant;
        replay.skip_commands(|id| id != grant && self.plan.grants.contains(&id));
        let substitutions = replay.substitutions.clone();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let token = format!("mock-session-{id}-{:016x}", self.token_hasher.hash_one(id));
        let session = Arc::new(Session {
            id,
            script: Script::new(replay),
            activity: Mutex::new(Activity {
                in_progress: 0,
                last_seen: Instant::now(),
            }),
            event_answers: AtomicU64::new(0),
            unacknowledged: Mutex::new(None),
        });
        {
            let mut table = self.table();
            if table.len() >= self.config.max_sessions {
                self.expire_idle_in(&mut table);
            }
            if table.len() >= self.config.max_sessions {
                drop(table);
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    max = self.config.max_sessions,
                    "token request refused: too many sessions"
                );
                return error_response(
                    503,
                    "ServiceFailure",
                    "TooManySessions",
                    &format!(
                        "{} sessions are open, the most the mock keeps",
                        self.config.max_sessions
                    ),
                    None,
                );
            }
            table.insert(token.clone(), session);
        }
        self.counters.started.fetch_add(1, Ordering::Relaxed);
        tracing::info!(session = id, "session started");
        self.token_response(shared, &token, &substitutions)
    }

    /// The documented token response, with this session's token in it.
    fn token_response(
        &self,
        shared: &Shared,
        token: &str,
        substitutions: &[(String, String)],
    ) -> HttpResponse {
        let Some(step) = self.transcript.step(self.plan.grant) else {
            return error_response(
                500,
                "ServiceFailure",
                "NoSuchStep",
                "no token request",
                None,
            );
        };
        // A page that shows no token response gets a plain one.
        let mut response = step.response.clone().unwrap_or_else(|| Response {
            location: step.location.clone(),
            status: 200,
            headers: Vec::new(),
            body: Body::Empty,
        });
        match &mut response.body {
            Body::Json(Value::Object(members)) => {
                members.insert("access_token".into(), token.into());
            }
            body => {
                *body = Body::Json(serde_json::json!({
                    "access_token": token, "token_type": "Bearer", "expires_in": 28800
                }));
            }
        }
        render(&response, &shared.hosts, substitutions)
    }

    /// `401` for a token the mock does not know: the documented challenge, if any.
    fn unauthorized(&self, shared: &Shared) -> HttpResponse {
        match self.plan.challenge {
            Some(step) => documented_response(shared, &self.transcript, step, &[]),
            None => error_response(
                401,
                "Unauthorized",
                "InvalidToken",
                "no session has this token",
                None,
            ),
        }
    }

    /// Answers a pending GET on the caller's session.
    pub async fn pending_get(
        &self,
        shared: &Shared,
        headers: &[(String, String)],
        request: PendingGet,
    ) -> HttpResponse {
        let Caller::Session(_, session) = self.caller(headers) else {
            return self.unauthorized(shared);
        };
        let _in_progress = session.enter();
        let ack = request.ack();
        let retried = {
            let mut unacknowledged = session.unacknowledged();
            match *unacknowledged {
                Some((asked, step)) if Some(asked) == ack => Some(step),
                _ => {
                    *unacknowledged = None;
                    None
                }
            }
        };
        if let Some(step) = retried {
            self.counters.redelivered.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                session = session.id,
                ack,
                "event channel: the same ack again; the same events again"
            );
            return event_response(shared, &session.script, step, &request);
        }
        let held = events::hold(shared, &session.script, &request).await;
        self.collect(&session);
        let step = match held {
            Held::Answer(response) => return response,
            Held::Event(step) => step,
        };
        let next = self
            .transcript
            .step(step)
            .and_then(|step| step.response.as_ref())
            .and_then(|response| served_next_ack(response, ack));
        if let Some(ack) = ack.filter(|ack| next.is_some_and(|next| next != *ack)) {
            *session.unacknowledged() = Some((ack, step));
        }
        let answered = session.event_answers.fetch_add(1, Ordering::Relaxed) + 1;
        let every = u64::from(self.config.lose_every_nth_event_answer);
        if every > 0 && answered % every == 0 {
            self.counters.lost.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                session = session.id,
                ack,
                "event channel: answer lost on purpose"
            );
            return error_response(
                503,
                "ServiceFailure",
                "AnswerLost",
                "the events answer was lost on the way (a fault the mock injects)",
                None,
            );
        }
        event_response(shared, &session.script, step, &request)
    }

    /// Forgets every session, as a restarted server would: held P-GETs
    /// answer that the application is gone, tokens are unknown from now on.
    pub(crate) fn forget_all(&self) {
        let forgotten: Vec<Arc<Session>> =
            self.table().drain().map(|(_, session)| session).collect();
        for session in &forgotten {
            session.script.close();
        }
        self.counters
            .expired
            .fetch_add(forgotten.len() as u64, Ordering::Relaxed);
        tracing::info!(
            sessions = forgotten.len(),
            "restart: every session forgotten"
        );
    }

    /// Removes a session; its held P-GET answers that the application is gone.
    fn end(&self, token: &str, counter: &AtomicU64) {
        if let Some(session) = self.table().remove(token) {
            session.script.close();
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn expire_idle_in(&self, table: &mut HashMap<String, Arc<Session>>) {
        let now = Instant::now();
        table.retain(|_, session| {
            let idle = session.is_idle(self.config.idle_timeout, now);
            if idle {
                tracing::info!(session = session.id, "session expired: idle");
                session.script.close();
                self.counters.expired.fetch_add(1, Ordering::Relaxed);
            }
            !idle
        });
    }

    fn expire_idle(&self) {
        self.expire_idle_in(&mut self.table());
    }
}

/// Frees idle sessions until the mock stops.
pub(crate) async fn sweep(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let Some(sessions) = &shared.sessions else {
        return;
    };
    let period =
        (sessions.config.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => sessions.expire_idle(),
            _ = stopped.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Page;

    #[test]
    fn application_paths_end_in_applications_and_an_id() {
        assert!(is_application_path("/ucwa/oauth/v1/applications/7"));
        assert!(is_application_path("/ucwa/v1/Applications/102/"));
        assert!(!is_application_path("/ucwa/oauth/v1/applications"));
        assert!(!is_application_path("/ucwa/v1/applications/7/me"));
        assert!(!is_application_path("/"));
    }

    #[test]
    fn the_plan_splits_the_transcript_at_the_first_token_request() {
        let page = Page::parse(
            "p.md",
            "
```
GET https://h.example/root HTTP/1.1
```

```
HTTP/1.1 401 Unauthorized
WWW-Authenticate: MsRtcOAuth href=\"https://h.example/token\",grant_type=\"password\"
```

```
POST https://h.example/token HTTP/1.1
Content-Type: application/x-www-form-urlencoded

grant_type=password&username=u&password=p
```

```
HTTP/1.1 200 OK
Content-Type: application/json

{\"access_token\":\"cwt=AAEB...x\",\"_links\":{\"next\":{\"href\":\"/e?ack=2\"}}}
```

```
POST https://h.example/token HTTP/1.1
Content-Type: application/x-www-form-urlencoded

grant_type=password&username=u&password=p
```
",
        );
        let transcript = Transcript::from_pages(vec![page]);
        let plan = Plan::read(&transcript).unwrap();
        let id = |step| StepId { page: 0, step };
        assert_eq!(plan.anonymous, [id(0)]);
        assert_eq!(
            (plan.grant, plan.grants.clone()),
            (id(1), vec![id(1), id(2)])
        );
        assert_eq!(plan.challenge, Some(id(0)));
        let response = transcript.step(id(1)).unwrap().response.as_ref().unwrap();
        assert_eq!(served_next_ack(response, None), Some(2));
        assert_eq!(served_next_ack(response, Some(7)), Some(8));
        assert!(matches!(
            Plan::read(&Transcript::from_pages(vec![Page::parse(
                "q.md", "no steps"
            )])),
            Err(Error::NoTokenRequest)
        ));
    }
}
