//! The HTTP side: one loopback listener per documented host (see
//! [`crate::hosts`]), hyper on tokio, and the [`MockServer`] handle.
//!
//! Every wait is bounded: reading a request's headers and body
//! ([`MockConfig::read_timeout`]), holding a pending GET
//! ([`MockConfig::hold_timeout`]). Request bodies larger than
//! [`MockConfig::body_limit`] are refused with `413`, and at most
//! [`MockConfig::max_connections`] connections are served at once.
//!
//! One script is replayed for everyone, unless [`MockConfig::sessions`] asks
//! for one replay per signed-in client ([`crate::sessions`]).

use crate::body;
use crate::connections::Connections;
use crate::events::{self, PendingGet};
use crate::faults::{Fault, Faults, FiredFault, Intercept, Met};
use crate::hosts::{self, HostBinding, HostMap};
use crate::ids::IdSlots;
use crate::matching::{Mismatch, ReceivedRequest};
use crate::message::{header, is_events_path, Response};
use crate::repair::Repair;
use crate::replay::{Decision, Replay, Script, Unscripted};
use crate::sessions::{SessionConfig, SessionCounts, Sessions};
use crate::shapes::DefaultAnswers;
use crate::transcript::{StepId, Transcript};
use crate::Error;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use crate::replay::StepOutcome;

pub(crate) type HttpResponse = http::Response<Full<Bytes>>;

/// How the mock listens and how long it waits.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The first documented host's address; each further host gets the next
    /// port, or an ephemeral one when this port is 0. Must be a loopback address.
    pub listen: SocketAddr,
    /// How long a pending GET is held when no event is due.
    pub hold_timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long reading a request's headers, and then its body, may take.
    pub read_timeout: Duration,
    /// Connections served at once. When all are taken, a new connection
    /// closes the one idle the longest, so that idle sockets of one process
    /// cannot lock other clients out.
    pub max_connections: usize,
    /// Connections one peer address may hold (clients that bind their own
    /// loopback address, 127.0.0.2, …); past it the peer's own longest-idle
    /// one is closed, or the new one refused when all are busy. Default:
    /// as many as `max_connections`.
    pub max_connections_per_peer: usize,
    /// `None` (the default): one script, replayed in order for every client.
    /// `Some`: each client that signs in gets its own replay of the
    /// transcript, keyed by the token the mock issues it ([`crate::sessions`]).
    pub sessions: Option<SessionConfig>,
}

/// The longest wait a setting may ask for: a day. Longer ones are a
/// mistake (or `u64::MAX` seconds), and would overflow a deadline.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

impl MockConfig {
    /// Every duration within `(0, MAX_WAIT]`, every size at least 1.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, wait) in [
            ("hold_timeout", self.hold_timeout),
            ("read_timeout", self.read_timeout),
        ] {
            if wait.is_zero() || wait > MAX_WAIT {
                return Err(Error::Config(format!(
                    "{name} = {wait:?}: it is more than zero and at most {MAX_WAIT:?}"
                )));
            }
        }
        for (name, size) in [
            ("body_limit", self.body_limit),
            ("max_connections", self.max_connections),
            ("max_connections_per_peer", self.max_connections_per_peer),
        ] {
            if size == 0 {
                return Err(Error::Config(format!("{name} = 0: it is at least 1")));
            }
        }
        Ok(())
    }
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            hold_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            max_connections: 512,
            // Every local client shares 127.0.0.1 unless it binds another
            // loopback address: by default the one limit is the global one.
            max_connections_per_peer: 512,
            sessions: None,
        }
    }
}

pub(crate) struct Shared {
    /// The one script everyone shares (unused in session mode).
    pub script: Script,
    /// Session mode: a script per signed-in client.
    pub sessions: Option<Sessions>,
    pub config: MockConfig,
    pub hosts: HostMap,
    /// The plain answers for steps the pages show no answer for.
    pub defaults: DefaultAnswers,
    /// Faults to inject ([`crate::faults`]).
    pub faults: Faults,
}

/// A running mock: its listeners, and what it has seen.
///
/// Dropping it stops the listeners; [`MockServer::shutdown`] also waits for them.
pub struct MockServer {
    shared: Arc<Shared>,
    transcript: Arc<Transcript>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl MockServer {
    /// The resource an href is by its shape ([`crate::shapes`]): what the
    /// default answers use, shared with `conform` so the shapes are read once.
    pub(crate) fn resource_of(&self, path: &str) -> crate::shapes::ResourceOf {
        self.shared.defaults.resource_of(path)
    }

    /// Binds one listener per documented host and starts serving `transcript`.
    pub async fn start(transcript: Transcript, config: MockConfig) -> Result<MockServer, Error> {
        if !config.listen.ip().is_loopback() {
            return Err(Error::NotLoopback(config.listen));
        }
        config.validate()?;
        if transcript.steps().next().is_none() {
            return Err(Error::NothingToServe);
        }
        let mut authorities = hosts::documented_authorities(&transcript);
        if authorities.is_empty() {
            // Only relative requests without `Host`: one listener stands for "any host".
            authorities.push(String::new());
        }
        if authorities.len() > hosts::MAX_HOSTS {
            return Err(Error::TooManyHosts(authorities.len()));
        }
        let mut listeners = Vec::new();
        let mut bindings = Vec::new();
        for (index, authority) in authorities.into_iter().enumerate() {
            let port = match config.listen.port() {
                0 => 0,
                first => first
                    .checked_add(index as u16)
                    .ok_or(Error::TooManyHosts(index + 1))?,
            };
            let addr = SocketAddr::new(config.listen.ip(), port);
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| Error::Bind { addr, source })?;
            bindings.push(HostBinding {
                authority,
                local,
                base_url: format!("http://{local}"),
            });
            listeners.push(listener);
        }
        let slots = Arc::new(IdSlots::read(&transcript));
        let transcript = Arc::new(transcript);
        let sessions = match &config.sessions {
            Some(session_config) => {
                Some(Sessions::new(&transcript, &slots, session_config.clone())?)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            script: Script::new(Replay::new(transcript.clone(), slots.clone())),
            sessions,
            hosts: HostMap {
                bindings: bindings.clone(),
            },
            defaults: DefaultAnswers::new(slots.clone(), &transcript),
            config,
            faults: Faults::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let connections = Connections::new(
            shared.config.max_connections,
            shared.config.max_connections_per_peer,
        );
        let mut tasks = JoinSet::new();
        for (listener, binding) in listeners.into_iter().zip(bindings) {
            tracing::info!(host = %binding.authority, url = %binding.base_url, "listening");
            tasks.spawn(accept_loop(
                listener,
                binding.authority,
                shared.clone(),
                connections.clone(),
                stopped.clone(),
            ));
        }
        if shared.sessions.is_some() {
            tasks.spawn(crate::sessions::sweep(shared.clone(), stopped.clone()));
        }
        Ok(MockServer {
            shared,
            transcript,
            stop,
            tasks,
        })
    }

    /// Each documented host and where the mock listens for it, in order of first appearance.
    pub fn hosts(&self) -> &[HostBinding] {
        &self.shared.hosts.bindings
    }

    /// `http://127.0.0.1:PORT` for a documented host (`lyncweb.contoso.com`).
    pub fn base_url(&self, authority: &str) -> Option<&str> {
        self.shared.hosts.base_url(authority)
    }

    /// A documented URL with its host replaced by the mock's (`https://lyncdiscover.contoso.com/`
    /// → `http://127.0.0.1:PORT/`); URLs of other hosts come back unchanged.
    pub fn local_url(&self, documented: &str) -> String {
        self.shared.hosts.rewrite_text(documented)
    }

    /// The transcript being served.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Every repair applied to the pages (the list start-up prints).
    pub fn repairs(&self) -> Vec<Repair> {
        self.transcript.repairs().cloned().collect()
    }

    /// Every mismatch so far (at most 1000 are kept), in arrival order; in
    /// session mode, those of every session.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        match &self.shared.sessions {
            Some(sessions) => sessions.mismatches(),
            None => self.shared.script.lock().mismatches().to_vec(),
        }
    }

    /// What became of a step (of the one shared script: in session mode each
    /// session keeps its own, see [`MockServer::session_counts`]).
    pub fn outcome(&self, step: StepId) -> Option<StepOutcome> {
        self.shared.script.lock().outcome(step)
    }

    /// What became of every step, in replay order (of the one shared script).
    pub fn outcomes(&self) -> Vec<(StepId, StepOutcome)> {
        self.shared.script.lock().outcomes()
    }

    /// Makes `step` the next expected one: pending command steps before it are
    /// skipped (so a step a client cannot perform does not hold up the rest).
    /// Returns false when there is no such step. Steers the one shared
    /// script, not the sessions of session mode.
    pub fn expect(&self, step: StepId) -> bool {
        let found = self.shared.script.lock().expect(step);
        self.shared.script.changed.notify_waiters();
        found
    }

    /// Injects `fault` ([`crate::faults`]): it meets the next request it
    /// applies to (an expiry and a restart start at once). In session mode
    /// only the faults that keep no per-client state and `restart` (every
    /// session forgotten) are taken; the others are [`Error::Config`].
    pub fn inject(&self, fault: Fault) -> Result<(), Error> {
        inject(&self.shared, fault)
    }

    /// Injects `fault` just before the `request`th request the mock receives
    /// (counting from 1), as `serve --fault KIND@N` does.
    pub fn schedule_fault(&self, request: u64, fault: Fault) -> Result<(), Error> {
        check_fault_mode(&self.shared, fault)?;
        self.shared.faults.schedule(request, fault);
        Ok(())
    }

    /// Drops the faults armed and not met yet (an expiry under way stays:
    /// the application is gone until it is created again).
    pub fn disarm_faults(&self) {
        self.shared.faults.disarm();
    }

    /// Every fault that met a request so far, in order (at most 1000).
    pub fn fired_faults(&self) -> Vec<FiredFault> {
        self.shared.faults.fired()
    }

    /// Session mode: how many sessions are open, started and ended; all
    /// zero when the mock replays one script for everyone.
    pub fn session_counts(&self) -> SessionCounts {
        self.shared
            .sessions
            .as_ref()
            .map(Sessions::counts)
            .unwrap_or_default()
    }

    /// Stops the listeners and open connections, and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.tasks.abort_all();
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    authority: String,
    shared: Arc<Shared>,
    connections: Arc<Connections>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut open = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Waiting for a permit holds up this listener's next accept, as
        // the bounded backlog did before; the wait is bounded.
        let admitted = tokio::select! {
            admitted = connections.admit(peer.ip(), shared.config.read_timeout) => admitted,
            _ = stopped.changed() => break,
        };
        let Some(admitted) = admitted else {
            drop(stream); // Refused: closed at once.
            continue;
        };
        let shared = shared.clone();
        let authority = authority.clone();
        let mut stopped = stopped.clone();
        while open.try_join_next().is_some() {}
        open.spawn(async move {
            let read_timeout = shared.config.read_timeout;
            let tracker = admitted.tracker();
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                let authority = authority.clone();
                let busy = tracker.request();
                async move {
                    let answer = handle(shared, authority, request).await;
                    drop(busy);
                    answer
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(read_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(connection);
            let ended = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = admitted.close.notified() => None,
                _ = stopped.changed() => return,
            };
            let result = match ended {
                Some(result) => result,
                None => {
                    // Another connection needs the permit: an idle one
                    // closes at once, a request in progress is finished.
                    tracing::debug!(%peer, "closing an idle connection for a new one");
                    connection.as_mut().graceful_shutdown();
                    match tokio::time::timeout(read_timeout, connection.as_mut()).await {
                        Ok(result) => result,
                        Err(_) => return,
                    }
                }
            };
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(admitted);
        });
    }
    open.abort_all();
}

fn check_fault_mode(shared: &Shared, fault: Fault) -> Result<(), Error> {
    if shared.sessions.is_some() && !fault.works_in_session_mode() {
        return Err(Error::Config(format!(
            "the fault {fault} keeps per-client state: it works with one script, not in session mode"
        )));
    }
    Ok(())
}

/// Arms `fault` and starts what starts at once: an expiry answers held
/// pending GETs that the application is gone; a restart in session mode
/// forgets every session.
pub(crate) fn inject(shared: &Shared, fault: Fault) -> Result<(), Error> {
    check_fault_mode(shared, fault)?;
    match &shared.sessions {
        Some(sessions) => {
            if fault == Fault::Restart {
                sessions.forget_all();
            } else {
                shared.faults.arm(fault);
            }
        }
        None => {
            shared.faults.arm(fault);
            shared.script.lock().resends_allowed = true;
            if matches!(fault, Fault::ApplicationExpired | Fault::Restart) {
                shared.script.close();
            }
            shared.script.changed.notify_waiters();
        }
    }
    Ok(())
}

/// The transcript's first documented `401` (its challenge), else the
/// standard `Bearer` challenge (RFC 6750), with which a client renews its
/// token from its own source.
fn challenge(shared: &Shared) -> HttpResponse {
    let transcript = shared.script.lock().transcript.clone();
    let step = transcript
        .steps()
        .find(|(_, step)| step.response.as_ref().is_some_and(|r| r.status == 401))
        .map(|(id, _)| id);
    match step {
        Some(step) => documented_response(shared, &transcript, step, &[]),
        None => {
            let mut response = error_response(
                401,
                "Unauthorized",
                "InvalidToken",
                "a token is needed",
                None,
            );
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"ucwa-mock\""),
            );
            response
        }
    }
}

/// The connection is to be closed without an answer (an injected fault).
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// Answers one request, or drops its connection for an injected fault.
async fn handle(
    shared: Arc<Shared>,
    authority: String,
    request: http::Request<Incoming>,
) -> Result<HttpResponse, Dropped> {
    let (parts, incoming) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    for due in shared.faults.count_request() {
        if let Err(error) = inject(&shared, due) {
            tracing::warn!(%error, "a scheduled fault was not injected");
        }
    }
    let pending_get = method == "GET" && is_events_path(&path);
    let met = Met {
        method: &method,
        path: &path,
        has_token: header(&headers, "authorization").is_some(),
        pending_get,
        within_application: shared.sessions.is_none()
            && shared.faults.is_expired()
            && shared.script.lock().ids.is_within_application(&path),
    };
    match shared.faults.intercept(&met, || challenge(&shared)) {
        Some(Intercept::Answer(response)) => return Ok(response),
        Some(Intercept::Drop) => return Err(Dropped),
        None => {}
    }
    let recreating = shared.sessions.is_none()
        && shared.faults.is_expired()
        && method == "POST"
        && path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .is_some_and(|last| last.eq_ignore_ascii_case("applications"));
    if recreating {
        // Before answering: the answer must already name the new id.
        let ids = shared.script.lock().application_recreated();
        if let Some((old, new)) = ids {
            tracing::info!(
                old,
                new,
                "the application is created again after an injected expiry, with a new id"
            );
        }
    }
    let response = answer_request(&shared, authority, parts, incoming, method, path, headers).await;
    if recreating && response.status().is_success() {
        shared.faults.recreated();
        shared.script.reopen();
    }
    Ok(response)
}

/// Answers one request from the replay.
async fn answer_request(
    shared: &Arc<Shared>,
    authority: String,
    parts: http::request::Parts,
    incoming: Incoming,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
) -> HttpResponse {
    let query = body::form_pairs(parts.uri.query().unwrap_or_default());
    if method == "GET" && is_events_path(&path) {
        let wants_xml = header(&headers, "accept").is_some_and(|accept| accept.contains("xml"));
        let pending = PendingGet {
            path,
            query,
            wants_xml,
        };
        return match &shared.sessions {
            Some(sessions) => sessions.pending_get(shared, &headers, pending).await,
            None => events::pending_get(shared, &shared.script, pending).await,
        };
    }
    let limited = Limited::new(incoming, shared.config.body_limit);
    let bytes = match tokio::time::timeout(shared.config.read_timeout, limited.collect()).await {
        Err(_) => {
            return error_response(
                408,
                "ClientTimeout",
                "BodyTimeout",
                "the request body did not arrive in time",
                None,
            )
        }
        Ok(Err(error))
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            let message = format!(
                "the request body is larger than {} bytes",
                shared.config.body_limit
            );
            return error_response(413, "EntityTooLarge", "BodyTooLarge", &message, None);
        }
        Ok(Err(_)) => {
            return error_response(
                400,
                "BadRequest",
                "BodyUnreadable",
                "the request body could not be read",
                None,
            )
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let received = ReceivedRequest {
        body: body::received(&bytes, header(&headers, "content-type")),
        method,
        authority,
        path,
        query,
        headers,
    };
    if let Some(sessions) = &shared.sessions {
        return sessions.command(shared, &received);
    }
    let decision = shared.script.lock().on_command(&received);
    answer(shared, &shared.script, decision)
}

/// Answers a command request as the replay of `script` decided.
pub(crate) fn answer(shared: &Shared, script: &Script, decision: Decision) -> HttpResponse {
    match decision {
        Decision::Serve(step) => {
            script.changed.notify_waiters();
            step_response(shared, script, step)
        }
        Decision::Mismatch(mismatch) => mismatch_response(&mismatch),
        Decision::Resent(step) => resent_step(shared, script, step),
        Decision::Reread(resource) => {
            let substitutions = script.lock().substitutions.clone();
            let (body, _) = render_body(&body::Body::Json(resource), &shared.hosts, &substitutions);
            plain_response(200, "application/json", body)
        }
        Decision::Unscripted(unscripted) => {
            if unscripted == Unscripted::ApplicationDeleted {
                tracing::info!("the application was deleted; the event channel ends");
                script.close();
            } else {
                tracing::info!("activity reported");
            }
            let mut no_content = HttpResponse::new(Default::default());
            *no_content.status_mut() = http::StatusCode::NO_CONTENT;
            no_content
        }
    }
}

/// `400` with a UCWA error body saying what was expected and what arrived.
pub(crate) fn mismatch_response(mismatch: &Mismatch) -> HttpResponse {
    tracing::warn!("mismatch: {mismatch}");
    let debug = serde_json::json!({
        "expected": mismatch.expected_at.as_ref().map(|at| format!("{at} {}", mismatch.expected)).unwrap_or_else(|| mismatch.expected.clone()),
        "received": mismatch.received,
        "differences": mismatch.differences.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    error_response(
        400,
        "BadRequest",
        "TranscriptMismatch",
        &mismatch.to_string(),
        Some(debug),
    )
}

/// A UCWA error body (`code`, `subcode`, `message`, `debugInfo`).
pub(crate) fn error_response(
    status: u16,
    code: &str,
    subcode: &str,
    message: &str,
    debug: Option<Value>,
) -> HttpResponse {
    let mut body = serde_json::json!({"code": code, "subcode": subcode, "message": message});
    if let Some(debug) = debug {
        body["debugInfo"] = debug;
    }
    plain_response(status, "application/json", body.to_string().into_bytes())
}

pub(crate) fn plain_response(status: u16, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}

/// Headers the mock computes itself, whatever the page says.
const TRANSPORT_HEADERS: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "content-encoding",
];

/// A step's documented response as `script` serves it: its ids handed out,
/// hosts and the script's learned values rewritten.
pub(crate) fn step_response(shared: &Shared, script: &Script, step: StepId) -> HttpResponse {
    served_step(shared, script, step, |_| {})
}

/// [`step_response`], with `adjust` applied to the response before it is rendered.
pub(crate) fn served_step(
    shared: &Shared,
    script: &Script,
    step: StepId,
    adjust: impl FnOnce(&mut Response),
) -> HttpResponse {
    let (transcript, response, substitutions) = {
        let mut replay = script.lock();
        let mut response = replay.served_response(step);
        if let Some(response) = &mut response {
            adjust(response);
        }
        (
            replay.transcript.clone(),
            response,
            replay.substitutions.clone(),
        )
    };
    match (response, transcript.step(step)) {
        (Some(response), Some(documented)) => {
            tracing::info!(
                "{}: {}: {}",
                documented.location,
                documented.summary(),
                response.status
            );
            render(&response, &shared.hosts, &substitutions)
        }
        // No such step, or no documented response: say so.
        _ => documented_response(shared, &transcript, step, &substitutions),
    }
}

/// A served step's response again, for a request sent again after a fault.
pub(crate) fn resent_step(shared: &Shared, script: &Script, step: StepId) -> HttpResponse {
    let (transcript, response, substitutions) = {
        let mut replay = script.lock();
        let response = replay.resent_response(step);
        (
            replay.transcript.clone(),
            response,
            replay.substitutions.clone(),
        )
    };
    match response {
        Some(response) => render(&response, &shared.hosts, &substitutions),
        None => documented_response(shared, &transcript, step, &substitutions),
    }
}

/// A step's documented response, hosts and `substitutions` rewritten.
pub(crate) fn documented_response(
    shared: &Shared,
    transcript: &Transcript,
    step: StepId,
    substitutions: &[(String, String)],
) -> HttpResponse {
    let Some(documented) = transcript.step(step) else {
        return error_response(
            500,
            "ServiceFailure",
            "NoSuchStep",
            "the step is not in the transcript",
            None,
        );
    };
    let location = documented.location.clone();
    let summary = documented.summary();
    let Some(response) = &documented.response else {
        let note = documented
            .response_note
            .as_deref()
            .map(|note| format!(" (the page says: {note})"))
            .unwrap_or_default();
        let default = documented.request.as_ref().and_then(|request| {
            shared
                .defaults
                .answer(&request.method, &request.target.path)
        });
        if let Some((status, why)) = default {
            tracing::info!(
                "{location}: {summary}: the page documents no response; {why}: {status}"
            );
            let mut plain = http::Response::new(Full::new(Bytes::new()));
            *plain.status_mut() =
                http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::NO_CONTENT);
            return plain;
        }
        let message = format!("{location}: the page documents no response to {summary}{note}");
        tracing::warn!("{message}");
        return error_response(
            501,
            "ServiceFailure",
            "ResponseNotDocumented",
            &message,
            None,
        );
    };
    tracing::info!("{location}: {summary}: {}", response.status);
    render(response, &shared.hosts, substitutions)
}

pub(crate) fn render(
    response: &Response,
    hosts: &HostMap,
    substitutions: &[(String, String)],
) -> HttpResponse {
    let (body, inferred_type) = render_body(&response.body, hosts, substitutions);
    let mut rendered = http::Response::new(Full::new(Bytes::from(body)));
    *rendered.status_mut() =
        http::StatusCode::from_u16(response.status).unwrap_or(http::StatusCode::OK);
    let headers = rendered.headers_mut();
    for (name, value) in &response.headers {
        if TRANSPORT_HEADERS
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let value = if hosts::is_url_header(name) {
            substitute(&hosts.rewrite_text(value), substitutions)
        } else {
            value.clone()
        };
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                tracing::debug!(header = %name, "a documented header that HTTP cannot carry was left out")
            }
        }
    }
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        if let Some(inferred) = inferred_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(inferred),
            );
        }
    }
    rendered
}

/// The body bytes, and a content type for a page that gives none.
fn render_body(
    body: &body::Body,
    hosts: &HostMap,
    substitutions: &[(String, String)],
) -> (Vec<u8>, Option<&'static str>) {
    let inferred = match body {
        body::Body::Json(_) => Some("application/json"),
        body::Body::Xml(_) => Some("application/xml"),
        body::Body::Form(_) => Some("application/x-www-form-urlencoded"),
        _ => None,
    };
    let bytes = match body {
        body::Body::Json(value) => {
            let mut value = value.clone();
            substitute_json(&mut value, substitutions);
            hosts.rewrite_json(&mut value);
            body::Body::Json(value).to_bytes()
        }
        // Forms carry no URLs to rewrite; their values were compared, not generated.
        body::Body::Form(_) | body::Body::Empty => body.to_bytes(),
        _ => {
            let text = String::from_utf8_lossy(&body.to_bytes()).into_owned();
            substitute(&hosts.rewrite_text(&text), substitutions).into_bytes()
        }
    };
    (bytes, inferred)
}

/// Learned values at least this long also replace occurrences inside longer
/// text (an id in an href); shorter ones replace whole values only.
const MIN_SUBSTRING_SUBSTITUTION: usize = 8;

fn substitute(text: &str, substitutions: &[(String, String)]) -> String {
    substitutions
        .iter()
        .filter(|(documented, _)| documented.len() >= MIN_SUBSTRING_SUBSTITUTION)
        .fold(text.to_string(), |text, (documented, received)| {
            text.replace(documented, received)
        })
}

fn substitute_json(value: &mut Value, substitutions: &[(String, String)]) {
    match value {
        Value::String(text) => {
            if let Some((_, received)) = substitutions
                .iter()
                .find(|(documented, _)| documented == text)
            {
                *text = received.clone();
            } else {
                *text = substitute(text, substitutions);
            }
        }
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| substitute_json(member, substitutions)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| substitute_json(item, substitutions)),
        _ => {}
    }
}
