//! The client's one error type.
//!
//! Every failure of the client is an [`Error`]: an HTTP status with the UCWA
//! error body ([`HttpError`]), a timeout, a transport failure, a body that is
//! too large or is not UCWA, a discovery, security or authentication failure,
//! or a failed operation. Errors are `Clone` (sources are shared) so that one
//! failure of the event channel can reach every stream.

use http::{Method, StatusCode};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use ucwa_runtime::{DecodeError, ErrorBody, ErrorCode, ErrorSubcode, SyncError};

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a UCWA server.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (4xx or 5xx).
    #[error("{0}")]
    Http(Box<HttpError>),
    /// No complete answer within the time allowed.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// The request or the wait, e.g. `GET https://host/ucwa/...`.
        what: String,
        /// The bound that ran out.
        after: Duration,
    },
    /// The connection failed, was refused, or was dropped mid-response.
    #[error("{method} {url}: {kind}: {source}")]
    Transport {
        /// The request method.
        method: Method,
        /// The request URL.
        url: String,
        /// What kind of failure.
        kind: TransportErrorKind,
        /// The underlying error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// The response body is larger than [`crate::Limits::max_body_bytes`];
    /// it was not read past the limit.
    #[error("{url}: the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The request URL.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not the UCWA document expected here (HTML, truncated or
    /// malformed JSON, the wrong resource).
    #[error("{url}: expected {expected}: {source}")]
    Decode {
        /// The request URL.
        url: String,
        /// What the body should have been, e.g. `the application resource`.
        expected: &'static str,
        /// Why it is not.
        #[source]
        source: Arc<DecodeError>,
    },
    /// The server broke the protocol in a way that is not a body decoding
    /// failure: a missing link or header, a malformed multipart body.
    #[error("{url}: {reason}")]
    Protocol {
        /// The request URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// No discovery URL led to a user resource.
    #[error("autodiscovery for {domain} failed: {}", DisplayAttempts(.attempts))]
    Discovery {
        /// The sign-in domain.
        domain: String,
        /// Each URL tried, with why it failed.
        attempts: Vec<DiscoveryAttempt>,
    },
    /// Discovery was redirected more often than [`crate::Limits::max_redirects`].
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects {
        /// The last URL redirected to.
        url: String,
        /// The limit.
        limit: u32,
    },
    /// Discovery was redirected to a URL it had already visited.
    #[error("{url}: redirect loop")]
    RedirectLoop {
        /// The URL visited twice.
        url: String,
    },
    /// RootURL's security check failed: the client refused to follow a link
    /// or to send a token or a password to this URL.
    #[error("security check failed for {url}: {reason}")]
    Security {
        /// The URL refused.
        url: String,
        /// Why.
        reason: String,
    },
    /// Signing in failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// An operation completed with a failure `reason`.
    #[error("operation {operation_id} failed: {}", DisplayReason(.reason))]
    OperationFailed {
        /// The operation id the client sent.
        operation_id: String,
        /// The `reason` block of the `completed` event.
        reason: Box<ErrorBody>,
    },
    /// The event channel stopped (after its reconnection attempts, or because
    /// the application is gone); pending operations fail with this.
    #[error("the event channel closed: {reason}")]
    ChannelClosed {
        /// Why.
        reason: String,
    },
    /// The application was lost (it expired, was deleted, or the server
    /// restarted) and the session created a new one: what was in flight on
    /// the old one (pending operations, the request that found it gone)
    /// fails with this. Take links from the current application.
    #[error("the application was lost ({cause}) and created again")]
    ApplicationLost {
        /// What showed it gone, e.g. `GET …/events: 404 Not Found (ApplicationNotFound)`.
        cause: String,
    },
    /// A link of an earlier application of this session (it was created
    /// again since): following it would reach a dead href.
    #[error("{url} belongs to an application this session no longer has; take the link from the current one")]
    StaleLink {
        /// The URL refused.
        url: String,
    },
    /// The session was signed out or dropped.
    #[error("the session has ended")]
    SessionEnded,
    /// The request cannot be sent as given (a URI that does not resolve, a
    /// body that cannot carry an operation id, a batch of batches...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The builder was given something unusable (an empty sign-in address, a
    /// malformed URL or host pattern).
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, TLS): nothing was sent.
    Connect,
    /// The connection closed or failed while sending or receiving.
    Connection,
    /// The body ended before its announced length, or could not be read.
    Body,
    /// Anything else from the HTTP stack.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Connection => "connection failed",
            TransportErrorKind::Body => "incomplete body",
            TransportErrorKind::Other => "request failed",
        })
    }
}

/// One URL tried during discovery, and why it did not lead on.
#[derive(Debug, Clone)]
pub struct DiscoveryAttempt {
    /// The discovery URL.
    pub url: String,
    /// Why it failed.
    pub error: Box<Error>,
}

struct DisplayAttempts<'a>(&'a [DiscoveryAttempt]);

impl fmt::Display for DisplayAttempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no discovery URL to try");
        }
        for (index, attempt) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", attempt.url, attempt.error)?;
        }
        Ok(())
    }
}

struct DisplayReason<'a>(&'a ErrorBody);

impl fmt::Display for DisplayReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.code)?;
        if let Some(subcode) = &self.0.subcode {
            write!(f, "/{subcode}")?;
        }
        if let Some(message) = &self.0.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// Why signing in failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A 401 without a challenge the client understands (`MsRtcOAuth` or
    /// `Bearer`).
    #[error("{url}: 401 without an MsRtcOAuth or Bearer challenge")]
    NoChallenge {
        /// The URL that answered 401.
        url: String,
    },
    /// The server does not offer the grant type the token source uses.
    #[error("the server offers the grant types {offered:?}, not {grant_type}")]
    UnsupportedGrant {
        /// The grant type wanted.
        grant_type: String,
        /// The grant types of the challenge.
        offered: Vec<String>,
    },
    /// The token service refused the grant (OAuth `error`, e.g. `invalid_grant`).
    #[error("{url}: the token service answered {status}{}{}", .error.as_deref().map(|error| format!(": {error}")).unwrap_or_default(), .description.as_deref().map(|text| format!(" ({text})")).unwrap_or_default())]
    Rejected {
        /// The token URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: Option<String>,
        /// The OAuth `error_description`, if any.
        description: Option<String>,
        /// `ms_rtc_passiveauthuri`: where passive (browser) authentication
        /// would continue.
        passive_auth_uri: Option<String>,
    },
    /// The token response is not an OAuth token.
    #[error("{url}: the token response is not a token: {reason}")]
    InvalidToken {
        /// The token URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Still 401 with a token obtained just now.
    #[error("{url}: still unauthorized with a new token")]
    Unauthorized {
        /// The URL that refused it.
        url: String,
    },
    /// A custom [`crate::TokenSource`] failed.
    #[error("token source: {0}")]
    Source(String),
}

/// An error status from the server, with the UCWA error body when it sent one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpError {
    /// The request method.
    pub method: Method,
    /// The request URL.
    pub url: String,
    /// The response status.
    pub status: StatusCode,
    /// The UCWA error body (`code`, `subcode`, `message`...), when the body
    /// was one (JSON or XML).
    pub body: Option<ErrorBody>,
    /// The operation's documented error this one is, when the request was
    /// sent with its table ([`crate::Session::send_documented`]).
    pub documented: Option<&'static SyncError>,
    /// The server's `Retry-After`, when it sent one in seconds.
    pub retry_after: Option<Duration>,
    /// The server's `X-Ms-diagnostics` header (e.g. `28055;reason="…"` for
    /// a token that is no longer valid), cut to 256 bytes.
    pub diagnostics: Option<String>,
}

impl HttpError {
    /// The UCWA error code, when the body had one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.body.as_ref().map(|body| &body.code)
    }

    /// The UCWA subcode, when the body had one.
    pub fn subcode(&self) -> Option<&ErrorSubcode> {
        self.body.as_ref().and_then(|body| body.subcode.as_ref())
    }

    /// Whether the code or the subcode is `name` (servers differ in which
    /// of the two carries it), whatever its case.
    pub(crate) fn names(&self, name: &str) -> bool {
        self.subcode()
            .is_some_and(|subcode| subcode.as_str().eq_ignore_ascii_case(name))
            || self
                .code()
                .is_some_and(|code| code.as_str().eq_ignore_ascii_case(name))
    }

    /// The entry of `errors` (an operation's documented synchronous errors)
    /// that this response is: same status, and same subcode when the entry
    /// names one (`None` in the docs means "no subcode").
    pub fn documented_in(&self, errors: &'static [SyncError]) -> Option<&'static SyncError> {
        let subcode = self.subcode().map(ErrorSubcode::as_str);
        SyncError::matching(errors, self.status.as_u16(), subcode)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.status)?;
        if let Some(body) = &self.body {
            write!(f, " ({})", DisplayReason(body))?;
        }
        Ok(())
    }
}

impl Error {
    /// The HTTP status, for [`Error::Http`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Http(error) => Some(error.status),
            _ => None,
        }
    }

    /// The HTTP error details, for [`Error::Http`].
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::Http(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the server says the application does not exist any more:
    /// `ApplicationNotFound` or `InactiveApplicationExpired` as the code or
    /// subcode (any status), or `410 Gone`.
    pub fn is_application_gone(&self) -> bool {
        self.http().is_some_and(|error| {
            error.status == StatusCode::GONE
                || error.names("ApplicationNotFound")
                || error.names("InactiveApplicationExpired")
        })
    }

    /// Whether the server said the application expired for inactivity
    /// (`InactiveApplicationExpired`): keep-alive came too late.
    pub(crate) fn is_inactive_expiry(&self) -> bool {
        self.http()
            .is_some_and(|error| error.names("InactiveApplicationExpired"))
    }

    /// Whether the server refused the token itself (`403` with
    /// `InvalidToken`, or the diagnostics code 28055 of an expired or
    /// revoked token), rather than what the request asked for.
    pub(crate) fn is_token_refused(&self) -> bool {
        self.http().is_some_and(|error| {
            error.status == StatusCode::FORBIDDEN
                && (error.names("InvalidToken")
                    || error
                        .diagnostics
                        .as_deref()
                        .is_some_and(|text| text.trim_start().starts_with("28055")))
        })
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether the same request may be sent again with a chance of success:
    /// timeouts, transport failures and 429/5xx statuses. `idempotent` is
    /// false for a POST: then only failures where the server cannot have
    /// acted on it count (no connection, 429, 503).
    pub(crate) fn is_retryable(&self, idempotent: bool) -> bool {
        match self {
            Error::Timeout { .. } => idempotent,
            Error::Transport { kind, .. } => idempotent || *kind == TransportErrorKind::Connect,
            Error::Http(error) => match error.status.as_u16() {
                429 | 503 => true,
                500 | 502 | 504 => idempotent,
                _ => false,
            },
            _ => false,
        }
    }

    /// The server's `Retry-After`, for [`Error::Http`].
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.http().and_then(|error| error.retry_after)
    }

    pub(crate) fn decode(url: &str, expected: &'static str, source: DecodeError) -> Error {
        Error::Decode {
            url: url.to_owned(),
            expected,
            source: Arc::new(source),
        }
    }

    pub(crate) fn protocol(url: &str, reason: impl Into<String>) -> Error {
        Error::Protocol {
            url: url.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_error(status: u16, body: Option<&str>) -> HttpError {
        HttpError {
            method: Method::POST,
            url: "https://pool.contoso.com/ucwa/me/makeMeAvailable".into(),
            status: StatusCode::from_u16(status).expect("valid status"),
            body: body.map(|body| ErrorBody::from_json(body).expect("error body")),
            documented: None,
            retry_after: None,
            diagnostics: None,
        }
    }

    static MAKE_ME_AVAILABLE: &[SyncError] = &[
        SyncError {
            error: "Conflict",
            code: Some(409),
            subcode: "AlreadyExists",
        },
        SyncError {
            error: "Forbidden",
            code: Some(403),
            subcode: "None",
        },
        SyncError {
            error: "Forbidden",
            code: Some(403),
            subcode: "AnonymousNotAllowed",
        },
    ];

    #[test]
    fn documented_errors_match_by_status_and_subcode() {
        let conflict = http_error(
            409,
            Some(r#"{"code":"Conflict","subcode":"AlreadyExists"}"#),
        );
        assert_eq!(
            conflict.documented_in(MAKE_ME_AVAILABLE).map(|e| e.subcode),
            Some("AlreadyExists")
        );
        let anonymous = http_error(
            403,
            Some(r#"{"code":"Forbidden","subcode":"AnonymousNotAllowed"}"#),
        );
        assert_eq!(
            anonymous
                .documented_in(MAKE_ME_AVAILABLE)
                .map(|e| e.subcode),
            Some("AnonymousNotAllowed")
        );
        let bare = http_error(403, Some(r#"{"code":"Forbidden"}"#));
        assert_eq!(
            bare.documented_in(MAKE_ME_AVAILABLE).map(|e| e.subcode),
            Some("None")
        );
        let unknown_subcode = http_error(403, Some(r#"{"code":"Forbidden","subcode":"New"}"#));
        assert_eq!(
            unknown_subcode
                .documented_in(MAKE_ME_AVAILABLE)
                .map(|e| e.subcode),
            Some("None")
        );
        assert!(http_error(500, None)
            .documented_in(MAKE_ME_AVAILABLE)
            .is_none());
        assert!(
            http_error(409, Some(r#"{"code":"Conflict","subcode":"Other"}"#))
                .documented_in(MAKE_ME_AVAILABLE)
                .is_none()
        );
    }

    #[test]
    fn errors_say_what_failed() {
        let error = Error::Http(Box::new(http_error(
            409,
            Some(r#"{"code":"Conflict","subcode":"AlreadyExists","message":"Already there."}"#),
        )));
        assert_eq!(
            error.to_string(),
            "POST https://pool.contoso.com/ucwa/me/makeMeAvailable: 409 Conflict (Conflict/AlreadyExists: Already there.)"
        );
        assert_eq!(error.status(), Some(StatusCode::CONFLICT));
        let rejected = Error::Auth(AuthError::Rejected {
            url: "https://contoso.com/WebTicket/oauthtoken".into(),
            status: 400,
            error: Some("invalid_grant".into()),
            description: None,
            passive_auth_uri: None,
        });
        assert_eq!(
            rejected.to_string(),
            "https://contoso.com/WebTicket/oauthtoken: the token service answered 400: invalid_grant"
        );
        let discovery = Error::Discovery {
            domain: "contoso.com".into(),
            attempts: vec![DiscoveryAttempt {
                url: "https://lyncdiscover.contoso.com/".into(),
                error: Box::new(Error::RedirectLoop {
                    url: "https://lyncdiscover.contoso.com/".into(),
                }),
            }],
        };
        assert_eq!(
            discovery.to_string(),
            "autodiscovery for contoso.com failed: https://lyncdiscover.contoso.com/: https://lyncdiscover.contoso.com/: redirect loop"
        );
    }

    #[test]
    fn only_safe_failures_are_retried() {
        let status = |code| Error::Http(Box::new(http_error(code, None)));
        assert!(status(503).is_retryable(false));
        assert!(status(429).is_retryable(false));
        assert!(!status(500).is_retryable(false));
        assert!(status(500).is_retryable(true));
        assert!(!status(404).is_retryable(true));
        let timeout = Error::Timeout {
            what: "GET /".into(),
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_retryable(true) && !timeout.is_retryable(false));
    }
}
