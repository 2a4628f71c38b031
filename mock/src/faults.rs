//! Faults the mock injects between documented steps, so that a client's
//! recovery can be tested without a Skype for Business server: what stops
//! real UCWA applications (the application dropped, the event channel taken
//! over, a token refused mid-session, a dropped connection, a busy server,
//! a restart).
//!
//! A fault is armed with [`crate::MockServer::inject`] (or scheduled before
//! the Nth request with `ucwa-mock serve --fault KIND@N`) and meets the next
//! request it applies to; the documented step that request was for stays
//! pending, so the client's retry gets it. From the first fault on, a
//! command the client sends again exactly as before (the application
//! created again, a token renewed, a subscription set up again) is answered
//! as it was then, without moving the replay.
//!
//! | fault | meets | answer |
//! |---|---|---|
//! | `application-expired` | every request under the application, until it is created again | `404 NotFound/ApplicationNotFound` (held pending GETs too) |
//! | `pget-replaced` | the next pending GET | `409 Conflict/PGetReplaced` |
//! | `token-challenged` | the next request with a token | the transcript's `401` challenge |
//! | `token-refused` | the next request with a token | `403 Forbidden/InvalidToken`, `X-Ms-diagnostics: 28055` |
//! | `connection-dropped` | the next pending GET | the connection closed unanswered |
//! | `service-unavailable` | the next request with a token | `503 ServiceUnavailable`, `Retry-After: 1` |
//! | `restart` | everything | `application-expired` and `token-challenged` at once |
//!
//! Session mode ([`crate::MockConfig::sessions`]) takes the faults that
//! keep no per-client state (`pget-replaced`, `connection-dropped`,
//! `service-unavailable`) and `restart`, which forgets every session; the
//! others are refused there with [`crate::Error::Config`].

use crate::server::{error_response, HttpResponse};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A fault the mock can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fault {
    /// The application is gone: `404 ApplicationNotFound` under it until a
    /// `POST` on the applications resource creates it again.
    ApplicationExpired,
    /// The next pending GET is released with `409 Conflict/PGetReplaced`.
    PGetReplaced,
    /// The next request with a token gets the `401` challenge.
    TokenChallenged,
    /// The next request with a token gets `403 InvalidToken` (28055).
    TokenRefused,
    /// The next pending GET's connection is closed without an answer.
    ConnectionDropped,
    /// The next request with a token gets `503` with `Retry-After: 1`.
    ServiceUnavailable,
    /// The server restarted: the application and the token are forgotten.
    Restart,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 7] = [
        Fault::ApplicationExpired,
        Fault::PGetReplaced,
        Fault::TokenChallenged,
        Fault::TokenRefused,
        Fault::ConnectionDropped,
        Fault::ServiceUnavailable,
        Fault::Restart,
    ];

    /// The name the CLI takes: `application-expired`, `pget-replaced`, …
    pub fn name(self) -> &'static str {
        match self {
            Fault::ApplicationExpired => "application-expired",
            Fault::PGetReplaced => "pget-replaced",
            Fault::TokenChallenged => "token-challenged",
            Fault::TokenRefused => "token-refused",
            Fault::ConnectionDropped => "connection-dropped",
            Fault::ServiceUnavailable => "service-unavailable",
            Fault::Restart => "restart",
        }
    }

    /// Whether it keeps no per-client state, so session mode takes it.
    pub fn works_in_session_mode(self) -> bool {
        matches!(
            self,
            Fault::PGetReplaced
                | Fault::ConnectionDropped
                | Fault::ServiceUnavailable
                | Fault::Restart
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Fault, String> {
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|fault| fault.name()).collect();
                format!("{text:?} is not a fault; one of {}", names.join(", "))
            })
    }
}

/// A fault that met a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredFault {
    /// Which.
    pub fault: Fault,
    /// The request it met (`GET /ucwa/…/events`), without its query.
    pub request: String,
}

/// What the mock does with a request instead of the replay.
pub(crate) enum Intercept {
    Answer(HttpResponse),
    /// Close the connection unanswered.
    Drop,
}

/// Faults fired are kept up to this many.
const MAX_FIRED: usize = 1000;

/// Armed, scheduled and fired faults, and the application's state.
#[derive(Default)]
pub(crate) struct Faults {
    armed: Mutex<VecDeque<Fault>>,
    /// (before this request, fault), from `--fault KIND@N`.
    scheduled: Mutex<Vec<(u64, Fault)>>,
    requests: AtomicU64,
    /// The application is gone until it is created again.
    expired: AtomicBool,
    /// Whether the expiry has been met by a request yet (fired once).
    expiry_met: AtomicBool,
    fired: Mutex<Vec<FiredFault>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The request, as the fired log and the CLI name it.
pub(crate) struct Met<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub has_token: bool,
    pub pending_get: bool,
    /// Under the application the mock handed out.
    pub within_application: bool,
}

impl Faults {
    /// Arms `fault`; `ApplicationExpired` (and `Restart`'s) starts at once.
    pub(crate) fn arm(&self, fault: Fault) {
        match fault {
            Fault::ApplicationExpired => self.expire(),
            Fault::Restart => {
                self.expire();
                lock(&self.armed).push_front(Fault::TokenChallenged);
            }
            other => lock(&self.armed).push_back(other),
        }
    }

    fn expire(&self) {
        self.expired.store(true, Ordering::SeqCst);
        self.expiry_met.store(false, Ordering::SeqCst);
    }

    pub(crate) fn disarm(&self) {
        lock(&self.armed).clear();
    }

    pub(crate) fn schedule(&self, before_request: u64, fault: Fault) {
        lock(&self.scheduled).push((before_request, fault));
    }

    pub(crate) fn is_expired(&self) -> bool {
        self.expired.load(Ordering::SeqCst)
    }

    /// The application was created again.
    pub(crate) fn recreated(&self) {
        self.expired.store(false, Ordering::SeqCst);
    }

    pub(crate) fn fired(&self) -> Vec<FiredFault> {
        lock(&self.fired).clone()
    }

    fn record(&self, fault: Fault, met: &Met<'_>) {
        tracing::info!(
            fault = fault.name(),
            method = met.method,
            path = met.path,
            "fault injected"
        );
        let mut fired = lock(&self.fired);
        if fired.len() < MAX_FIRED {
            fired.push(FiredFault {
                fault,
                request: format!("{} {}", met.method, met.path),
            });
        }
    }

    /// Counts the request; the scheduled faults due before it, taken from
    /// the schedule, for the caller to inject.
    pub(crate) fn count_request(&self) -> Vec<Fault> {
        let number = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let mut due = Vec::new();
        lock(&self.scheduled).retain(|(before, fault)| {
            let now = *before <= number;
            if now {
                due.push(*fault);
            }
            !now
        });
        due
    }

    /// What to answer `met` with instead of the replay, if a fault meets it.
    pub(crate) fn intercept(
        &self,
        met: &Met<'_>,
        challenge: impl FnOnce() -> HttpResponse,
    ) -> Option<Intercept> {
        if self.is_expired() && met.within_application {
            if !self.expiry_met.swap(true, Ordering::SeqCst) {
                self.record(Fault::ApplicationExpired, met);
            }
            return Some(Intercept::Answer(application_gone()));
        }
        let mut armed = lock(&self.armed);
        let fault = *armed.front()?;
        let meets = match fault {
            Fault::PGetReplaced | Fault::ConnectionDropped => met.pending_get,
            Fault::TokenChallenged | Fault::TokenRefused | Fault::ServiceUnavailable => {
                met.has_token
            }
            // Started when armed; never queued.
            Fault::ApplicationExpired | Fault::Restart => false,
        };
        if !meets {
            return None;
        }
        armed.pop_front();
        drop(armed);
        self.record(fault, met);
        Some(match fault {
            Fault::PGetReplaced => Intercept::Answer(error_response(
                409,
                "Conflict",
                "PGetReplaced",
                "another pending GET replaced this one",
                None,
            )),
            Fault::ConnectionDropped => Intercept::Drop,
            Fault::TokenChallenged => Intercept::Answer(challenge()),
            Fault::TokenRefused => {
                let mut response = error_response(
                    403,
                    "Forbidden",
                    "InvalidToken",
                    "the token is no longer valid",
                    None,
                );
                response.headers_mut().insert(
                    "x-ms-diagnostics",
                    http::HeaderValue::from_static("28055;reason=\"Invalid or expired token\""),
                );
                Intercept::Answer(response)
            }
            Fault::ServiceUnavailable => {
                let mut response = error_response(
                    503,
                    "ServiceFailure",
                    "ServiceUnavailable",
                    "the server is busy",
                    None,
                );
                response.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("1"),
                );
                Intercept::Answer(response)
            }
            Fault::ApplicationExpired | Fault::Restart => return None,
        })
    }
}

/// `404 NotFound/ApplicationNotFound`, as UCWA answers for an application it does not have.
pub(crate) fn application_gone() -> HttpResponse {
    error_response(
        404,
        "NotFound",
        "ApplicationNotFound",
        "the application does not exist (a fault the mock injected)",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn met(pending_get: bool, has_token: bool) -> Met<'static> {
        Met {
            method: if pending_get { "GET" } else { "POST" },
            path: "/ucwa/oauth/v1/applications/1/events",
            has_token,
            pending_get,
            within_application: true,
        }
    }

    fn status(intercept: Option<Intercept>) -> Option<u16> {
        match intercept? {
            Intercept::Answer(response) => Some(response.status().as_u16()),
            Intercept::Drop => Some(0),
        }
    }

    fn challenge() -> HttpResponse {
        error_response(401, "Unauthorized", "Challenge", "", None)
    }

    #[test]
    fn names_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        }
        assert!("nope".parse::<Fault>().is_err());
    }

    #[test]
    fn a_fault_waits_for_a_request_it_applies_to_and_fires_once() {
        let faults = Faults::default();
        faults.arm(Fault::PGetReplaced);
        assert_eq!(status(faults.intercept(&met(false, true), challenge)), None);
        assert_eq!(
            status(faults.intercept(&met(true, true), challenge)),
            Some(409)
        );
        assert_eq!(status(faults.intercept(&met(true, true), challenge)), None);
        faults.arm(Fault::ConnectionDropped);
        assert_eq!(
            status(faults.intercept(&met(true, true), challenge)),
            Some(0)
        );
        faults.arm(Fault::TokenRefused);
        assert_eq!(
            status(faults.intercept(&met(false, false), challenge)),
            None
        );
        assert_eq!(
            status(faults.intercept(&met(false, true), challenge)),
            Some(403)
        );
        let fired: Vec<Fault> = faults.fired().iter().map(|fired| fired.fault).collect();
        assert_eq!(
            fired,
            [
                Fault::PGetReplaced,
                Fault::ConnectionDropped,
                Fault::TokenRefused
            ]
        );
    }

    #[test]
    fn an_expiry_answers_everything_under_the_application_until_it_is_recreated() {
        let faults = Faults::default();
        faults.arm(Fault::Restart);
        assert_eq!(
            status(faults.intercept(&met(true, true), challenge)),
            Some(404)
        );
        assert_eq!(
            status(faults.intercept(&met(false, true), challenge)),
            Some(404)
        );
        faults.recreated();
        // Then the restart's challenge.
        assert_eq!(
            status(faults.intercept(&met(false, true), challenge)),
            Some(401)
        );
        assert_eq!(faults.fired().len(), 2, "the expiry is recorded once");
    }

    #[test]
    fn scheduled_faults_arm_before_their_request() {
        let faults = Faults::default();
        faults.schedule(3, Fault::ServiceUnavailable);
        assert!(faults.count_request().is_empty());
        assert!(faults.count_request().is_empty());
        assert_eq!(faults.count_request(), [Fault::ServiceUnavailable]);
        faults.arm(Fault::ServiceUnavailable);
        assert_eq!(
            status(faults.intercept(&met(false, true), challenge)),
            Some(503)
        );
    }
}
