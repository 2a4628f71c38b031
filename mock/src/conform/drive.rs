//! Performing each step with the client against the in-process mock.

use super::chaos::{self, ChaosPlan, FaultReport};
use super::links::Links;
use super::plan::{self, Credentials, Plan, Role, SignIn, Start};
use super::{Report, StepReport, Verdict};
use crate::body::Body;
use crate::ids::IdSlots;
use crate::message::{self, header, Request, Response, Target};
use crate::shapes::ResourceOf;
use crate::transcript::{Step, StepId, Transcript};
use crate::{Error, MockConfig, MockServer, StepOutcome};
use bytes::Bytes;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use ucwa::AnyResource;
use ucwa_client::{
    Error as ClientError, FormGrant, MsRtcOAuth, RetryPolicy, Session, SessionBuilder, Timeouts,
    Token,
};
use ucwa_runtime::http::header::{HeaderValue, LOCATION};
use ucwa_runtime::operation::{Answer, ReadInfo};
use ucwa_runtime::{
    DynamicError, Format, Method, OperationRequest, Outcome, ResponseError, ResponseReader,
};
use url::Url;

/// The client's bounds: every request and token request within `request`.
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(5),
    request: Duration::from_secs(10),
    event_wait: Duration::from_secs(15),
    operation: Duration::from_secs(10),
    shutdown: Duration::from_secs(5),
};
/// One step as a whole (a batch, an event answer) ends within this.
const STEP_BOUND: Duration = Duration::from_secs(30);
/// Signing in (discovery, the token, the application) ends within this.
const SIGN_IN_BOUND: Duration = Duration::from_secs(60);
/// How long the mock holds a pending GET when no event is due: an events
/// answer the run asks for is always due, so this only bounds a wrong one.
const HOLD: Duration = Duration::from_secs(2);
/// Retries with `--chaos`, and re-creations of a lost application: quick,
/// bounded, within a step's bound.
const CHAOS_RETRY: RetryPolicy = RetryPolicy {
    attempts: 3,
    base_delay: Duration::from_millis(50),
    max_delay: Duration::from_secs(1),
};
/// The `userAgent` of the application the run creates when the pages create none.
const USER_AGENT: &str = "ucwa-mock conform";
/// The token held up front when the pages document no token request (the
/// mock never compares tokens).
const STAND_IN_TOKEN: &str = "ucwa-mock-conform-token";

const NO_RESPONSE: &str = "the page documents no response to check";
const NO_SESSION: &str = "no signed-in application to perform it with";

pub(super) async fn run(transcript: Transcript, chaos: Option<u64>) -> Result<Report, Error> {
    if transcript.steps().next().is_none() {
        return Err(Error::NothingToServe);
    }
    let mut plan = Plan::read(&transcript);
    let mut notes = Vec::new();
    let mut transcript = transcript;
    let builtin = plan.needs_application();
    if builtin {
        let sign_in = plan::builtin_sign_in(&transcript, USER_AGENT);
        notes.push(format!(
            "the pages create no application: the client signs in with the run's own `POST applications` ({}), not counted",
            sign_in.steps.first().map(Step::summary).unwrap_or_default()
        ));
        let mut pages = vec![sign_in];
        pages.extend(transcript.pages().iter().cloned());
        transcript = Transcript::from_pages(pages);
        plan = Plan::read(&transcript);
    }
    let config = MockConfig {
        hold_timeout: HOLD,
        read_timeout: Duration::from_secs(5),
        ..MockConfig::default()
    };
    let mock = MockServer::start(transcript, config).await?;
    let mut run = Run {
        slots: IdSlots::read(mock.transcript()),
        mock: &mock,
        links: Links::default(),
        session: None,
        application: None,
        sign_in_failure: None,
        chaos: chaos.is_some(),
    };
    // Every run can renew its token: by the documented grant, or the
    // stand-in token again from its token source.
    let renewable = true;
    let chaos_plan = chaos.map(|seed| ChaosPlan::new(seed, &plan.roles, renewable));
    if let Some(chaos_plan) = &chaos_plan {
        let seed = chaos.unwrap_or_default();
        notes.push(format!(
            "chaos: seed {seed}: {} faults planned between the steps",
            chaos_plan.len()
        ));
        if !chaos_plan.left_out.is_empty() {
            let names: Vec<&str> = chaos_plan
                .left_out
                .iter()
                .map(|fault| fault.name())
                .collect();
            notes.push(format!(
                "chaos: left out, no step can meet them{}: {}",
                match renewable {
                    true => "",
                    false => " or the pages document no token request to renew one with",
                },
                names.join(", ")
            ));
        }
    }
    let mut verdicts = Vec::new();
    let mut faults = Vec::new();
    if let Some(sign_in) = &plan.sign_in {
        verdicts.extend(run.sign_in(sign_in).await);
    }
    for (index, (id, role)) in plan.roles.iter().enumerate() {
        let planned = chaos_plan
            .as_ref()
            .and_then(|chaos_plan| chaos_plan.before.get(&index))
            .cloned()
            .unwrap_or_default();
        let fired_before = mock.fired_faults().len();
        for fault in &planned {
            if let Err(error) = mock.inject(*fault) {
                notes.push(format!("chaos: {fault} not injected: {error}"));
            }
        }
        let application_before = run.application.clone();
        let mut verdict = match role {
            Role::SignIn => continue,
            Role::Token => run.token(*id).await,
            Role::Event => run.event(*id).await,
            Role::Command => run.command(*id).await,
        };
        if planned.is_empty() {
            verdicts.push((*id, verdict));
            continue;
        }
        // A fault that kept the step from being served: the application's
        // answer to a typed failure is to send it again, once per fault
        // injected before it (each may cost one attempt).
        let first = verdict.clone();
        let mut again = false;
        for _ in 0..planned.len() {
            if mock.outcome(*id) == Some(StepOutcome::Served) {
                break;
            }
            again = true;
            verdict = match role {
                Role::Event => run.event(*id).await,
                _ => run.command(*id).await,
            };
        }
        mock.disarm_faults();
        if let Some(session) = run.session.clone() {
            run.follow_recovery(&session);
        }
        let recreated = match (application_before, &run.application) {
            (Some(before), Some(now)) if before != *now => Some(format!(
                "application created again: {} -> {}",
                before.path(),
                now.path()
            )),
            _ => None,
        };
        let fired = mock.fired_faults();
        let fired = fired.get(fired_before..).unwrap_or_default();
        let Some(location) = mock
            .transcript()
            .step(*id)
            .map(|step| step.location.clone())
        else {
            verdicts.push((*id, verdict));
            continue;
        };
        for fault in &planned {
            faults.push(FaultReport {
                location: location.clone(),
                fault: *fault,
                outcome: chaos::outcome(
                    *fault,
                    fired,
                    &first,
                    again.then_some(&verdict),
                    recreated.as_deref(),
                ),
            });
        }
        verdicts.push((*id, verdict));
    }
    if let Some(failure) = run.sign_in_failure.as_ref().filter(|_| builtin) {
        notes.push(format!("the run's own sign-in failed: {failure}"));
    }
    if let Some(session) = run.session.take() {
        // Not a documented step: the mock answers it whatever is next.
        let _ = tokio::time::timeout(TIMEOUTS.shutdown, session.sign_out()).await;
    }
    let steps = verdicts
        .into_iter()
        .filter(|(id, _)| !(builtin && id.page == 0))
        .filter_map(|(id, verdict)| {
            let step = mock.transcript().step(id)?;
            Some(StepReport {
                location: step.location.clone(),
                summary: step.summary(),
                verdict,
            })
        })
        .collect();
    mock.shutdown().await;
    Ok(Report {
        steps,
        notes,
        faults,
    })
}

struct Run<'m> {
    mock: &'m MockServer,
    slots: IdSlots,
    links: Links,
    session: Option<Session>,
    /// The application the links were learned under: a session that
    /// recovered from a lost application has another one.
    application: Option<Url>,
    /// Why sign-in failed, when it did.
    sign_in_failure: Option<String>,
    /// `--chaos`: the client retries as an application would (the faults
    /// include a busy server and a dropped connection).
    chaos: bool,
}

/// What the mock made of a request: the step served, or why not.
fn refused(mock: &MockServer, id: StepId, mismatches_before: usize, what: &str) -> Option<Verdict> {
    if mock.outcome(id) == Some(StepOutcome::Served) {
        return None;
    }
    let found: Vec<String> = mock
        .mismatches()
        .into_iter()
        .skip(mismatches_before)
        .map(|mismatch| mismatch.to_string())
        .collect();
    Some(Verdict::Mismatch(match found.is_empty() {
        true => format!("the mock did not take the {what} as this step"),
        false => found.join("; "),
    }))
}

/// Why the client did not get its answer.
#[derive(Debug)]
enum Failed {
    Client(ClientError),
    Timeout(Duration),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Client(error) => write!(f, "{error}"),
            Failed::Timeout(bound) => write!(f, "no answer within {} s", bound.as_secs()),
        }
    }
}

impl Failed {
    /// The HTTP status of an error answer.
    fn status(&self) -> Option<u16> {
        match self {
            Failed::Client(error) => error.status().map(|status| status.as_u16()),
            Failed::Timeout(_) => None,
        }
    }
}

/// Runs `work` within `bound`.
async fn bounded<T>(
    bound: Duration,
    work: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, Failed> {
    match tokio::time::timeout(bound, work).await {
        Ok(result) => result.map_err(Failed::Client),
        Err(_) => Err(Failed::Timeout(bound)),
    }
}

impl Run<'_> {
    fn step(&self, id: StepId) -> Option<Step> {
        self.mock.transcript().step(id).cloned()
    }

    /// A documented target at the mock: its host's listener, or the first one.
    fn documented_url(&self, target: &Target) -> Option<Url> {
        let base = match &target.authority {
            Some(authority) => self.mock.base_url(authority),
            None => self
                .mock
                .hosts()
                .first()
                .map(|binding| binding.base_url.as_str()),
        }?;
        Url::parse(&format!("{base}{}", target.path_and_query())).ok()
    }

    /// A builder with the run's bounds, no retries and no keep-alive, trusting the mock's address.
    fn builder(&self, address: &str) -> SessionBuilder {
        let retry = match self.chaos {
            true => CHAOS_RETRY,
            false => RetryPolicy::NONE,
        };
        let mut builder = Session::builder(address)
            .keep_alive(None)
            .retry(retry)
            .reconnect(CHAOS_RETRY)
            .timeouts(TIMEOUTS)
            .user_agent(USER_AGENT);
        if let Some(binding) = self.mock.hosts().first() {
            builder = builder.allow_host(binding.local.ip().to_string());
        }
        builder
    }

    async fn sign_in(&mut self, plan: &SignIn) -> Vec<(StepId, Verdict)> {
        self.mock.expect(plan.first);
        let mut builder = self.builder(&plan.address);
        let start = match &plan.start {
            Start::Discovery(target) | Start::Applications(target) => self.documented_url(target),
        };
        builder = match (&plan.start, start) {
            (Start::Discovery(_), Some(url)) => builder.discovery_url(url.as_str()),
            (Start::Applications(_), Some(url)) => builder.applications_url(url.as_str()),
            (_, None) => builder,
        };
        builder = match &plan.credentials {
            Credentials::Password { username, password } => builder.credentials(username, password),
            Credentials::Grant { grant_type, params } => {
                builder.token_source(grant(grant_type, params))
            }
            // The stand-in again when the server refuses it: a token the
            // run holds up front is renewed from this source.
            Credentials::Bearer => builder
                .bearer_token(Token::bearer(STAND_IN_TOKEN))
                .token_source(ucwa_client::token_fn(|_| async {
                    Ok(Token::bearer(STAND_IN_TOKEN))
                })),
        };
        if let Ok(request) = &plan.application {
            builder = builder
                .user_agent(&request.user_agent)
                .application_request(request.clone());
        }
        let before = self.mock.mismatches().len();
        let signed_in = bounded(SIGN_IN_BOUND, builder.sign_in()).await;
        let failure = signed_in.as_ref().err().map(ToString::to_string);
        if let Ok(session) = signed_in {
            self.learn_application(plan, &session);
            self.session = Some(session);
        }
        let first = plan
            .steps
            .iter()
            .position(|id| *id == plan.first)
            .unwrap_or(0);
        let first_line = self.step(plan.first).map_or(0, |step| step.location.line);
        let blamed = failure.as_ref().and_then(|_| {
            let mismatched = self
                .mock
                .mismatches()
                .into_iter()
                .skip(before)
                .find_map(|mismatch| mismatch.step.filter(|step| plan.steps.contains(step)));
            let last_served = plan.steps[first..]
                .iter()
                .rev()
                .find(|id| self.mock.outcome(**id) == Some(StepOutcome::Served))
                .copied();
            mismatched.or(last_served).or(Some(plan.first))
        });
        self.sign_in_failure = failure.clone();
        plan.steps
            .iter()
            .enumerate()
            .map(|(index, id)| {
                let step = self.step(*id);
                let documented = step.as_ref().and_then(|step| step.response.as_ref());
                let served = self.mock.outcome(*id) == Some(StepOutcome::Served);
                let verdict = if index < first {
                    Verdict::Skipped(match documented {
                        // A browser's step (an Azure AD sign-in page) or a
                        // hop the client's discovery takes its own way.
                        None => format!(
                            "{NO_RESPONSE}, and it comes before the client's sign-in, which starts at line {first_line}"
                        ),
                        Some(_) => not_the_clients(plan, first_line),
                    })
                } else if Some(*id) == blamed {
                    let failure = failure.clone().unwrap_or_default();
                    match refused(self.mock, *id, before, "request") {
                        Some(Verdict::Mismatch(why)) if !served => {
                            Verdict::Mismatch(format!("{why} (sign-in failed: {failure})"))
                        }
                        _ if documented.is_none() => Verdict::Skipped(format!(
                            "{NO_RESPONSE} (the client's sign-in stopped here: {failure})"
                        )),
                        _ => Verdict::Mismatch(format!("the client's sign-in failed: {failure}")),
                    }
                } else if failure.is_some() && !served {
                    Verdict::Skipped(format!(
                        "the client's sign-in stopped before it: {}",
                        failure.clone().unwrap_or_default()
                    ))
                } else if !served {
                    Verdict::Mismatch("the client's sign-in did not send this request".into())
                } else if documented.is_none() {
                    Verdict::OkNoAnswer
                } else if *id == plan.application_step && plan.application.is_err() {
                    Verdict::Mismatch(format!(
                        "the documented body does not decode as the applications request body: {}",
                        plan.application.as_ref().err().cloned().unwrap_or_default()
                    ))
                } else {
                    Verdict::Ok
                };
                (*id, verdict)
            })
            .collect()
    }

    /// The new application's links, against the documented one's.
    fn learn_application(&mut self, plan: &SignIn, session: &Session) {
        let application = session.application();
        let url = session.application_url();
        self.application = Some(url.clone());
        if let Some(href) = application.events_link().map(|link| link.href().to_owned()) {
            self.links.events = url.join(&href).ok();
        }
        let documented = self
            .step(plan.application_step)
            .and_then(|step| step.response)
            .map(|response| response.body);
        if let (Some(Body::Json(documented)), Ok(served)) =
            (documented, serde_json::to_value(&*application))
        {
            self.links
                .learn(&documented, &served, Some("application"), &url);
        }
    }

    async fn token(&mut self, id: StepId) -> Verdict {
        let Some(step) = self.step(id) else {
            return Verdict::Skipped("no such step".into());
        };
        let (Some(request), Some(form)) = (step.request.as_ref(), plan::token_form(&step)) else {
            return Verdict::Skipped("not a token request".into());
        };
        let Some(token_url) = self.documented_url(&request.target) else {
            return Verdict::Skipped("its URL is not one the mock serves".into());
        };
        let credentials = Credentials::from_form(form);
        let builder = match &credentials {
            Credentials::Password { username, password } => self
                .builder(if username.contains('@') {
                    username
                } else {
                    "conform@ucwa-mock.invalid"
                })
                .credentials(username, password),
            Credentials::Grant { grant_type, params } => self
                .builder("conform@ucwa-mock.invalid")
                .token_source(grant(grant_type, params)),
            Credentials::Bearer => return Verdict::Skipped("not a token request".into()),
        };
        // The challenge it answers: the documented token URL, any grant.
        let challenge = MsRtcOAuth {
            token_url,
            grant_types: Vec::new(),
        };
        self.mock.expect(id);
        let before = self.mock.mismatches().len();
        let answer = bounded(TIMEOUTS.request * 2, builder.request_token(&challenge)).await;
        if let Some(verdict) = refused(self.mock, id, before, "token request") {
            return verdict;
        }
        let Some(documented) = &step.response else {
            return Verdict::OkNoAnswer;
        };
        match answer {
            Ok(_) if is_success(documented.status) => Verdict::Ok,
            Ok(_) => Verdict::Mismatch(format!(
                "the client took a token where the page documents {}",
                documented.status
            )),
            Err(_) if !is_success(documented.status) => Verdict::Ok,
            Err(error) => Verdict::Mismatch(format!("the client: {error}")),
        }
    }

    /// The session created its application again (a fault took the old
    /// one): the links learned under the old application lead under the
    /// new one, and its event channel starts at the new one's `events` link,
    /// as an application told `ChannelItem::Recovered` follows them.
    fn follow_recovery(&mut self, session: &Session) {
        let now = session.application_url();
        let Some(before) = self.application.replace(now.clone()) else {
            return;
        };
        if before != now {
            self.links.moved(&before, &now);
            if let Some(href) = session
                .application()
                .events_link()
                .map(|link| link.href().to_owned())
            {
                self.links.events = now.join(&href).ok();
            }
        }
    }

    async fn event(&mut self, id: StepId) -> Verdict {
        let (Some(session), Some(step)) = (self.session.clone(), self.step(id)) else {
            return Verdict::Skipped(self.no_session());
        };
        self.follow_recovery(&session);
        let Some(url) = self.links.events.clone() else {
            return Verdict::Skipped("no events link was served before it".into());
        };
        let format = step.request.as_ref().map_or(Format::Json, accepted_format);
        let operation = match ucwa::operation("events", Method::Get) {
            Ok(operation) => operation,
            Err(error) => return Verdict::Skipped(error.to_string()),
        };
        let built = match operation.request(url.as_str(), format, None, read_any) {
            Ok(built) => built,
            Err(error) => return Verdict::Skipped(error.to_string()),
        };
        self.mock.expect(id);
        let before = self.mock.mismatches().len();
        let (request, reader) = built.into_parts();
        let sent = bounded(STEP_BOUND, session.send(request)).await;
        if let Some(verdict) = refused(self.mock, id, before, "pending GET") {
            return verdict;
        }
        let Some(documented) = &step.response else {
            // The mock took the pending GET as this step: a match with
            // nothing documented to check its answer against.
            return Verdict::OkNoAnswer;
        };
        let response = match sent {
            Ok(response) => response,
            Err(error) => return Verdict::Mismatch(format!("the client: {error}")),
        };
        if let Err(error) = reader.read(&response) {
            return Verdict::Mismatch(format!("the answer does not decode: {error}"));
        }
        let served = serde_json::from_slice::<Value>(response.body()).ok();
        if let Some(served) = &served {
            if let Some(next) = ["next", "resume", "resync"]
                .iter()
                .find_map(|rel| served.pointer(&format!("/_links/{rel}/href"))?.as_str())
            {
                self.links.events = url.join(next).ok();
            }
            if let Body::Json(documented) = &documented.body {
                self.links.learn(documented, served, Some("events"), &url);
            }
        }
        match events_problem(response.body()) {
            Some(problem) => Verdict::Mismatch(problem),
            None => Verdict::Ok,
        }
    }

    fn no_session(&self) -> String {
        match &self.sign_in_failure {
            Some(failure) => format!("{NO_SESSION} (sign-in failed: {failure})"),
            None => NO_SESSION.into(),
        }
    }

    async fn command(&mut self, id: StepId) -> Verdict {
        let (Some(session), Some(step)) = (self.session.clone(), self.step(id)) else {
            return Verdict::Skipped(self.no_session());
        };
        self.follow_recovery(&session);
        let Some(request) = &step.request else {
            return Verdict::Skipped("the page shows no request".into());
        };
        let prepared = match self.prepare(&session, request, step.response.as_ref()) {
            Ok(prepared) => prepared,
            Err(verdict) => return verdict,
        };
        if prepared.rel == "batch" {
            if let Body::Multipart { parts, .. } = &request.body {
                return self.batch(&session, id, &step, parts).await;
            }
        }
        let (http_request, reader) = prepared.request.into_parts();
        let sent = self.send(id, &step, "request", session.send(http_request));
        let (response, documented) = match sent.await {
            Ok(sent) => sent,
            Err(verdict) => return verdict,
        };
        if response.status().as_u16() != documented.status {
            return Verdict::Mismatch(format!(
                "answered {} where the page documents {}",
                response.status(),
                documented.status
            ));
        }
        let (reader, outcome) = match read_as_any(reader, &prepared.alternatives, &response) {
            Ok(read) => read,
            Err(error) => return Verdict::Mismatch(format!("the answer does not decode: {error}")),
        };
        let output = reader.info().output;
        self.learn_response(documented, &response, &prepared.url, output);
        self.learn_alternatives(documented, &response, &prepared.url, &prepared.alternatives);
        if let Some(problem) = unlabelled_body(&response) {
            return Verdict::Mismatch(problem);
        }
        match untyped_problem(&outcome) {
            Some(problem) => Verdict::Mismatch(problem),
            None => Verdict::Ok,
        }
    }

    /// Sends a step's request (or batch) as the mock expects that step: the
    /// answer with the documented one, or the verdict when the mock refused
    /// it, the page documents no answer, or the client got none the page
    /// documents.
    async fn send<'s, T>(
        &self,
        id: StepId,
        step: &'s Step,
        what: &str,
        sending: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<(T, &'s Response), Verdict> {
        self.mock.expect(id);
        let before = self.mock.mismatches().len();
        let sent = bounded(STEP_BOUND, sending).await;
        if let Some(verdict) = refused(self.mock, id, before, what) {
            return Err(verdict);
        }
        let Some(documented) = &step.response else {
            return Err(Verdict::OkNoAnswer);
        };
        match sent {
            Ok(sent) => Ok((sent, documented)),
            Err(failed) => Err(documented_error(&failed, documented)),
        }
    }

    /// The links of an answer, against the documented answer's.
    fn learn_response(
        &mut self,
        documented: &Response,
        response: &ucwa_runtime::http::Response<Bytes>,
        url: &Url,
        output: Option<&'static str>,
    ) {
        if let Body::Json(documented) = &documented.body {
            if let Ok(served) = serde_json::from_slice::<Value>(response.body()) {
                self.links.learn(documented, &served, output, url);
            }
        }
        let served_location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok());
        if let (Some(documented), Some(served), Some(rel)) = (
            header(&documented.headers, "location"),
            served_location,
            output,
        ) {
            self.links.add(rel, documented, served, url);
        }
    }

    /// An answer read as one of several resources its href may be: its
    /// `self` leads to each of them it also decodes as, so a later request
    /// to it is tried as each (and a refusal names them all).
    fn learn_alternatives(
        &mut self,
        documented: &Response,
        response: &ucwa_runtime::http::Response<Bytes>,
        url: &Url,
        alternatives: &[(String, ResponseReader<Outcome<AnyResource>>)],
    ) {
        let own = |body: &Value| {
            body.pointer("/_links/self/href")?
                .as_str()
                .map(str::to_owned)
        };
        let (Body::Json(documented), Ok(served)) = (
            &documented.body,
            serde_json::from_slice::<Value>(response.body()),
        ) else {
            return;
        };
        let (Some(documented), Some(served)) = (own(documented), own(&served)) else {
            return;
        };
        for (rel, reader) in alternatives {
            if reader.read(response).is_ok() {
                self.links.add(rel, &documented, &served, url);
            }
        }
    }

    /// Where a documented request goes, by which typed operation, built.
    fn prepare(
        &self,
        session: &Session,
        request: &Request,
        documented: Option<&Response>,
    ) -> Result<Prepared, Verdict> {
        let method: Method = request.method.parse().map_err(|_| {
            Verdict::Skipped(format!("UCWA documents no {} operation", request.method))
        })?;
        let resolved = self
            .links
            .resolve(&self.slots, &request.target.path, &request.target.query);
        let (url, mut rels) = match resolved {
            Some(resolved) => (resolved.url, resolved.rels),
            None => {
                let url = self
                    .documented_url(&request.target)
                    .map_or_else(|| session.resolve(&request.target.path_and_query()), Ok)
                    .map_err(|error| Verdict::Skipped(error.to_string()))?;
                (url, Vec::new())
            }
        };
        // Not found by a link: the rel the documented answer or the path names.
        if let Some(rel) = documented.and_then(|response| plan::own_rel(&response.body)) {
            if method != Method::Post && !rels.contains(&rel) {
                rels.push(rel);
            }
        }
        // Then the resource the href's shape is, never its last segment.
        match self.mock.resource_of(&request.target.path) {
            ResourceOf::One(rel) if !rels.contains(&rel) => rels.push(rel),
            ResourceOf::Ambiguous(candidates) if rels.is_empty() => {
                return by_what_the_candidates_allow(&candidates, method, &url, request);
            }
            _ => {}
        }
        let mut why_not = Vec::new();
        let found = rels
            .iter()
            .find_map(|rel| match ucwa::operation(rel, method) {
                Ok(operation) => Some((rel.clone(), operation)),
                Err(error) => {
                    why_not.push(error.to_string());
                    None
                }
            });
        let Some((rel, operation)) = found else {
            return Err(Verdict::Skipped(match why_not.is_empty() {
                true => {
                    "no served link leads to it, its answer names no rel, and no sample or page shows an href of its shape"
                        .into()
                }
                false => format!("no typed operation for it: {}", why_not.join("; ")),
            }));
        };
        let built = build(&operation, url.as_str(), request)?;
        Ok(Prepared::new(built, url, rel))
    }

    /// A batch: each part a typed operation, sent with the client's batching.
    async fn batch(
        &mut self,
        session: &Session,
        id: StepId,
        step: &Step,
        parts: &[String],
    ) -> Verdict {
        let mut requests = Vec::new();
        let mut readers = Vec::new();
        for part in parts {
            let Some(request) = message::part_request(part, &step.location) else {
                return Verdict::Skipped("a part of the batch is not an HTTP request".into());
            };
            match self.prepare(session, &request, None) {
                Ok(prepared) => {
                    let (request, reader) = prepared.request.into_parts();
                    requests.push(request);
                    readers.push(reader);
                }
                Err(verdict) => return verdict,
            }
        }
        let answers = match self.send(id, step, "batch", session.batch(requests)).await {
            Ok((answers, _)) => answers,
            Err(verdict) => return verdict,
        };
        for (answer, reader) in answers.iter().zip(&readers) {
            let read = answer
                .as_ref()
                .map_err(ToString::to_string)
                .and_then(|response| reader.read(response).map_err(|error| error.to_string()));
            if let Err(error) = read {
                return Verdict::Mismatch(format!("a part's answer: {error}"));
            }
        }
        Verdict::Ok
    }
}

struct Prepared {
    request: OperationRequest<Outcome<AnyResource>>,
    url: Url,
    rel: String,
    /// Other resources the href may be (its shape is theirs too) whose
    /// operation sends the very same request: the answer is read as the
    /// first of them it decodes as when it does not decode as `rel`.
    alternatives: Vec<(String, ResponseReader<Outcome<AnyResource>>)>,
}

impl Prepared {
    fn new(request: OperationRequest<Outcome<AnyResource>>, url: Url, rel: String) -> Prepared {
        Prepared {
            request,
            url,
            rel,
            alternatives: Vec::new(),
        }
    }
}

/// A request whose href has the shape of several resources and that no link
/// or documented answer names: a client that holds such an href sends what
/// the schema lets it send there. When the candidates that have the
/// method's operation all build the same request (the usual case: a GET of
/// `people/{id}`, which is a `contact`, a `to`, a `delegator`, …), it is sent
/// once and its answer is read as any of them; when only one candidate has
/// the operation or takes the documented body, it is that one. Otherwise the
/// ambiguity is reported: which request to send depends on a resource no
/// step names.
fn by_what_the_candidates_allow(
    candidates: &[String],
    method: Method,
    url: &Url,
    request: &Request,
) -> Result<Prepared, Verdict> {
    let mut built: Vec<(String, OperationRequest<Outcome<AnyResource>>)> = Vec::new();
    let mut why_not = Vec::new();
    let mut body_refused = Vec::new();
    for rel in candidates {
        match ucwa::operation(rel, method).map_err(|error| error.to_string()) {
            Ok(operation) => match build(&operation, url.as_str(), request) {
                Ok(request) => built.push((rel.clone(), request)),
                Err(Verdict::Mismatch(why)) => body_refused.push(format!("`{rel}`: {why}")),
                Err(Verdict::Skipped(why)) => why_not.push(format!("`{rel}`: {why}")),
                Err(_) => {}
            },
            Err(error) => why_not.push(error),
        }
    }
    let shown = candidates.join(", ");
    let Some(((rel, first), others)) = built.split_first() else {
        // Every candidate that has the operation refuses the documented
        // body: the body is wrong whichever resource it is.
        if !body_refused.is_empty() {
            return Err(Verdict::Mismatch(body_refused.join("; ")));
        }
        return Err(Verdict::Skipped(format!(
            "its href has the shape of several resources ({shown}) and none can take it: {}",
            why_not.join("; ")
        )));
    };
    let differs = others
        .iter()
        .find(|(_, other)| !same_request(first.request(), other.request()));
    if let Some((other, _)) = differs {
        return Err(Verdict::Skipped(format!(
            "no served link leads to it, and its href has the shape of several resources ({shown}) whose {method} requests differ (`{rel}` and `{other}`): which to send depends on a resource no step names"
        )));
    }
    let alternatives = others
        .iter()
        .map(|(rel, request)| (rel.clone(), request.reader()))
        .collect();
    let (rel, first) = built.swap_remove(0);
    let mut prepared = Prepared::new(first, url.clone(), rel);
    prepared.alternatives = alternatives;
    Ok(prepared)
}

/// The answer read by `reader`, else by the first alternative it decodes as;
/// the error is the one `reader` gave.
fn read_as_any(
    reader: ResponseReader<Outcome<AnyResource>>,
    alternatives: &[(String, ResponseReader<Outcome<AnyResource>>)],
    response: &ucwa_runtime::http::Response<Bytes>,
) -> Result<(ResponseReader<Outcome<AnyResource>>, Outcome<AnyResource>), ResponseError> {
    let error = match reader.read(response) {
        Ok(outcome) => return Ok((reader, outcome)),
        Err(error) => error,
    };
    alternatives
        .iter()
        .find_map(|(_, other)| other.read(response).ok().map(|outcome| (*other, outcome)))
        .ok_or(error)
}

/// The same method, URL, headers and body bytes.
fn same_request(
    a: &ucwa_runtime::http::Request<Vec<u8>>,
    b: &ucwa_runtime::http::Request<Vec<u8>>,
) -> bool {
    a.method() == b.method()
        && a.uri() == b.uri()
        && a.headers() == b.headers()
        && a.body() == b.body()
}

/// The documented request body decoded into the operation's body type and
/// built by the typed builder; bytes of other media types sent as they are.
fn build(
    operation: &ucwa_runtime::DynOperation,
    url: &str,
    request: &Request,
) -> Result<OperationRequest<Outcome<AnyResource>>, Verdict> {
    let content_type = header(&request.headers, "content-type");
    let declared = content_type.and_then(Format::from_media_type);
    let built =
        match &request.body {
            Body::Empty => operation.request(url, accepted_format(request), None, read_any),
            Body::Json(value) => plan::decode_json(value, |text| {
                operation.request(url, Format::Json, Some(text), read_any)
            }),
            Body::Xml(text) => operation.request(url, Format::Xml, Some(text), read_any),
            Body::Text(_) if declared.is_some() => return Err(Verdict::Skipped(
                "the documented body is damaged beyond repair (served as text, see the repairs)"
                    .into(),
            )),
            other => {
                let content_type = content_type
                    .and_then(|value| HeaderValue::from_str(value).ok())
                    .unwrap_or(HeaderValue::from_static("text/plain"));
                operation.content_request(url, content_type, other.to_bytes(), read_any)
            }
        };
    built.map_err(|error| match error {
        DynamicError::Body(error) => Verdict::Mismatch(format!(
            "the documented body does not decode into the typed body: {error}"
        )),
        other => Verdict::Skipped(format!("the typed operation cannot send it: {other}")),
    })
}

/// The format a request asks its answer in: by `Content-Type`, else `Accept`; JSON by default.
fn accepted_format(request: &Request) -> Format {
    ["content-type", "accept"]
        .iter()
        .find_map(|name| header(&request.headers, name).and_then(Format::from_media_type))
        .unwrap_or(Format::Json)
}

/// The generated crate's reader of any operation's answer: the resource it
/// carries decoded by its rel.
fn read_any(answer: &Answer<'_>, info: &ReadInfo) -> Result<Outcome<AnyResource>, ResponseError> {
    answer.outcome(info, |format, body| {
        AnyResource::decode(info.output?, body, format)
    })
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// An error answer is ok when the page documents that status.
fn documented_error(failed: &Failed, documented: &Response) -> Verdict {
    match failed.status() {
        Some(status) if status == documented.status => Verdict::Ok,
        _ => Verdict::Mismatch(format!("the client: {failed}")),
    }
}

/// An answer with a body and no `Content-Type`: a client cannot tell how to
/// read it (ucwa-client reads it as opaque bytes), so it is no answer a
/// client can use, whatever the mock matched.
fn unlabelled_body(response: &ucwa_runtime::http::Response<Bytes>) -> Option<String> {
    let labelled = response
        .headers()
        .contains_key(ucwa_runtime::http::header::CONTENT_TYPE);
    (!labelled && !response.body().is_empty()).then(|| {
        format!(
            "the answer has a body ({} bytes) but no Content-Type: a client cannot tell how to read it",
            response.body().len()
        )
    })
}

/// A JSON or XML answer the operation has no type for: it must be what its
/// `Content-Type` says, and decode as the resource its own `rel` names when
/// the crate knows that rel.
fn untyped_problem(outcome: &Outcome<AnyResource>) -> Option<String> {
    let Outcome::Content { content_type, body } = outcome else {
        return None;
    };
    let format = content_type.as_deref().and_then(Format::from_media_type)?;
    let Ok(text) = std::str::from_utf8(body) else {
        return Some("the answer is labelled JSON or XML but is not UTF-8 text".into());
    };
    let rel = match format {
        Format::Json => match serde_json::from_str::<Value>(text) {
            Ok(value) => value.get("rel")?.as_str()?.to_owned(),
            Err(error) => {
                return Some(format!(
                    "the answer is labelled {} but is not JSON: {error}",
                    content_type.as_deref().unwrap_or_default()
                ))
            }
        },
        Format::Xml => return None,
    };
    match AnyResource::decode(&rel, text, format)? {
        Ok(_) => None,
        Err(error) => Some(format!("the answer does not decode as {rel}: {error}")),
    }
}

/// An events answer whose events or embedded resources do not decode.
fn events_problem(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    if Format::sniff(text) != Some(Format::Json) {
        return None;
    }
    let events = match ucwa::Events::from_json(text) {
        Ok(events) => events,
        Err(error) => return Some(format!("the events do not decode: {error}")),
    };
    events
        .sender
        .iter()
        .flat_map(|sender| &sender.events)
        .flat_map(|event| event.embedded.iter().flatten())
        .find_map(|(rel, resource)| {
            let text = resource.to_string();
            match ucwa::decode_json(rel, &text)? {
                Ok(_) => None,
                Err(error) => Some(format!("the embedded {rel} does not decode: {error}")),
            }
        })
}

/// A form grant with the documented parameters.
fn grant(grant_type: &str, params: &[(String, String)]) -> FormGrant {
    params
        .iter()
        .fold(FormGrant::new(grant_type), |grant, (name, value)| {
            grant.param(name, value)
        })
}

fn not_the_clients(plan: &SignIn, first_line: usize) -> String {
    let why = match plan.start {
        Start::Discovery(_) => "",
        Start::Applications(_) => {
            " (the pages show no discovery root with a `user` link, so it is given the applications URL)"
        }
    };
    format!("not a request of the client's sign-in, which starts at line {first_line}{why}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::HrefShapes;
    use crate::transcript::Location;
    use std::collections::BTreeSet;

    fn request(method: &str, path: &str) -> Request {
        Request {
            location: Location {
                file: "test.md".into(),
                line: 1,
            },
            method: method.into(),
            target: message::parse_target(path, Some("lyncweb.contoso.com")),
            headers: vec![("Accept".into(), "application/json".into())],
            body: Body::Empty,
        }
    }

    /// Every shape the reference samples give to several resources: a GET
    /// of it is one request whichever it is, so a client holding such an
    /// href can always read it (issue 19: an ambiguity a client overcomes
    /// is not a skip).
    #[test]
    fn every_shape_several_samples_share_takes_a_get_as_any_of_them() {
        let slots = IdSlots::read(&Transcript::default());
        let shapes = HrefShapes::read(&slots, &Transcript::default());
        let mut groups = BTreeSet::new();
        for (path, _, _) in ucwa::SAMPLE_HREFS {
            if let ResourceOf::Ambiguous(candidates) = shapes.resource_of(&slots, path) {
                groups.insert((candidates, path.to_string()));
            }
        }
        assert!(groups.len() >= 3, "{groups:?}");
        for (candidates, path) in &groups {
            let url = Url::parse("https://lyncweb.contoso.com/")
                .and_then(|base| base.join(path))
                .expect("a sample href");
            let prepared =
                by_what_the_candidates_allow(candidates, Method::Get, &url, &request("GET", path))
                    .unwrap_or_else(|verdict| panic!("{path}: {verdict:?}"));
            let mut read_as = vec![prepared.rel.clone()];
            read_as.extend(prepared.alternatives.iter().map(|(rel, _)| rel.clone()));
            read_as.sort();
            let mut having: Vec<String> = candidates
                .iter()
                .filter(|rel| ucwa::operation(rel, Method::Get).is_ok())
                .cloned()
                .collect();
            having.sort();
            assert_eq!(read_as, having, "{path}");
        }
    }

    #[test]
    fn an_operation_none_of_the_candidates_has_is_a_skip_naming_them() {
        let candidates = ["contact".to_string(), "to".to_string()];
        let path = "/ucwa/v1/applications/1/people/9";
        let url =
            Url::parse("https://lyncweb.contoso.com/ucwa/v1/applications/1/people/9").expect("url");
        let Err(Verdict::Skipped(why)) = by_what_the_candidates_allow(
            &candidates,
            Method::Delete,
            &url,
            &request("DELETE", path),
        ) else {
            panic!("a DELETE on a contact is taken");
        };
        assert!(
            why.contains("(contact, to)") && why.contains("DELETE"),
            "{why}"
        );
    }
}
