//! The session's HTTP core: the security check, tokens (attached, renewed on
//! expiry and on 401), bounded retries, and error statuses turned into
//! [`Error::Http`] with the UCWA error body.

use crate::auth::{self, GrantPoster, Token, TokenRequest, TokenSource};
use crate::error::{AuthError, Error, HttpError};
use crate::options::{Limits, RetryPolicy, Timeouts};
use crate::security::HostPolicy;
use crate::transport::{Outgoing, Transport};
use bytes::Bytes;
use futures_core::future::BoxFuture;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use ucwa_runtime::{ErrorBody, SyncError};
use url::Url;

/// Whether a renewal answers a `401`'s challenge, or a refused token (`403`)
/// whose challenge may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Challenged {
    Yes,
    MaybeNot,
}

/// Renew a token this long before it expires.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(60);
/// Origins with a token kept at once (a session talks to a handful).
const MAX_TOKEN_ORIGINS: usize = 32;

pub(crate) const JSON: &str = "application/json";

/// A JSON answer's text, without a byte order mark; a body that is not
/// UTF-8 is [`Error::Protocol`] naming the `expected` resource.
pub(crate) fn json_text<'a>(url: &str, body: &'a [u8], expected: &str) -> Result<&'a str, Error> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::protocol(url, format!("expected {expected}: the body is not UTF-8")))?;
    Ok(text.trim_start_matches('\u{feff}'))
}

/// A request ready for [`Core::execute`].
#[derive(Clone)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Prepared {
    pub(crate) fn new(method: Method, url: Url) -> Prepared {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(JSON));
        Prepared {
            method,
            url,
            headers,
            body: Bytes::new(),
        }
    }

    pub(crate) fn json(mut self, body: Vec<u8>) -> Prepared {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        self.body = body.into();
        self
    }
}

/// How [`Core::execute`] treats one request.
#[derive(Clone, Copy)]
pub(crate) struct Exec {
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    /// Attach a token (after the security check) and answer 401 challenges.
    pub(crate) authorize: bool,
    /// The operation's documented errors, to name the one a failure is.
    pub(crate) documented: Option<&'static [SyncError]>,
    /// Hand 3xx answers to the caller (discovery follows them after its
    /// security check; [`crate::Session::send`] returns them). Otherwise a
    /// 3xx is [`Error::Protocol`]: nothing else follows redirects, and no
    /// other UCWA request expects one.
    pub(crate) returns_redirects: bool,
}

pub(crate) struct Core {
    pub(crate) transport: Transport,
    pub(crate) policy: HostPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) limits: Limits,
    pub(crate) retry: RetryPolicy,
    token_source: Arc<dyn TokenSource>,
    /// Held only to read or replace an entry, never across an await: a
    /// request that holds a valid token is never held up by a fetch.
    tokens: std::sync::Mutex<HashMap<String, TokenEntry>>,
    /// One token fetch at a time; a request whose token is still valid
    /// does not wait for it.
    fetching: tokio::sync::Mutex<()>,
    /// A token given up front: sent to an origin that has issued none yet.
    initial_token: Option<Token>,
}

/// The token for one origin, the challenge it answered, and a counter that
/// tells concurrent requests whether someone renewed it meanwhile.
#[derive(Clone)]
struct TokenEntry {
    token: Token,
    challenges: Vec<auth::Challenge>,
    generation: u64,
}

impl Core {
    pub(crate) fn new(
        transport: Transport,
        policy: HostPolicy,
        timeouts: Timeouts,
        limits: Limits,
        retry: RetryPolicy,
        token_source: Arc<dyn TokenSource>,
    ) -> Core {
        Core {
            transport,
            policy,
            timeouts,
            limits,
            retry,
            token_source,
            tokens: std::sync::Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
            initial_token: None,
        }
    }

    /// Sends `token` to every origin that has not issued its own (the
    /// security check still decides where it may go).
    pub(crate) fn with_initial_token(mut self, token: Option<Token>) -> Core {
        self.initial_token = token;
        self
    }

    /// A token from the token source for `challenge`, as if a `401` had sent it.
    pub(crate) async fn answer(&self, challenge: &auth::MsRtcOAuth) -> Result<Token, Error> {
        let challenges = [auth::Challenge {
            scheme: "MsRtcOAuth".into(),
            params: vec![
                ("href".into(), challenge.token_url.to_string()),
                ("grant_type".into(), challenge.grant_types.join(",")),
            ],
            token68: None,
        }];
        self.fetch_token(&challenge.token_url, &challenges, None)
            .await
    }

    /// An ordinary request: the request timeout and the retry policy.
    pub(crate) fn exec(&self) -> Exec {
        Exec {
            timeout: self.timeouts.request,
            retry: self.retry,
            authorize: true,
            documented: None,
            returns_redirects: false,
        }
    }

    /// Sends `request` with retries; 2xx answers are returned, 3xx too when
    /// [`Exec::returns_redirects`] (else [`Error::Protocol`]), 4xx and 5xx
    /// are [`Error::Http`].
    pub(crate) async fn execute(
        &self,
        request: Prepared,
        exec: Exec,
    ) -> Result<http::Response<Bytes>, Error> {
        if exec.authorize {
            self.policy.check_credentials(&request.url)?;
        }
        let idempotent = request.method != Method::POST && request.method != Method::PATCH;
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let mut headers = request.headers.clone();
            headers.remove(AUTHORIZATION);
            let mut generation = None;
            if exec.authorize {
                if let Some((token, seen)) = self.current_token(&request.url).await? {
                    headers.insert(AUTHORIZATION, token.authorization()?);
                    generation = Some(seen);
                }
            }
            let outcome = self
                .transport
                .execute(Outgoing {
                    method: request.method.clone(),
                    url: request.url.clone(),
                    headers,
                    body: request.body.clone(),
                    timeout: exec.timeout,
                })
                .await;
            let outcome = match outcome {
                Ok(response)
                    if exec.authorize && response.status() == http::StatusCode::UNAUTHORIZED =>
                {
                    if renewed {
                        return Err(Error::Auth(AuthError::Unauthorized {
                            url: request.url.to_string(),
                        }));
                    }
                    let challenges = auth::parse_challenges(
                        response
                            .headers()
                            .get_all(WWW_AUTHENTICATE)
                            .iter()
                            .filter_map(|value| value.to_str().ok()),
                    );
                    self.renew_token(&request.url, challenges, generation, Challenged::Yes)
                        .await?;
                    renewed = true;
                    attempt -= 1; // answering a challenge is not a retry
                    continue;
                }
                Ok(response) if response.status().is_redirection() && !exec.returns_redirects => {
                    Err(unexpected_redirect(&request.url, &response))
                }
                Ok(response) => {
                    check_status(&request.method, &request.url, response, exec.documented)
                }
                Err(error) => Err(error),
            };
            // A token the server no longer takes (403 InvalidToken, an
            // outage's 28055) is replaced once, with the challenge that
            // first asked for it; the request goes again only when repeating
            // it is harmless: a POST fails as refused, later ones get the
            // new token.
            if let Err(error) = &outcome {
                if exec.authorize && !renewed && error.is_token_refused() {
                    let challenges = self
                        .token_entry(&request.url.origin().ascii_serialization())
                        .map(|entry| entry.challenges)
                        .unwrap_or_default();
                    match self
                        .renew_token(&request.url, challenges, generation, Challenged::MaybeNot)
                        .await
                    {
                        Ok(()) => {
                            tracing::info!(method = %request.method, url = %request.url, "the server refused the token: renewed");
                            renewed = true;
                            if idempotent {
                                attempt -= 1;
                                continue;
                            }
                        }
                        Err(renewal) => {
                            tracing::warn!(url = %request.url, error = %renewal, "the server refused the token and it could not be renewed");
                        }
                    }
                }
            }
            match outcome {
                Err(error) if attempt < exec.retry.attempts && error.is_retryable(idempotent) => {
                    let delay = error
                        .retry_after()
                        .map(|after| after.min(exec.retry.max_delay))
                        .unwrap_or_else(|| exec.retry.delay(attempt));
                    tracing::warn!(method = %request.method, url = %request.url, attempt, ?delay, %error, "retrying");
                    tokio::time::sleep(delay).await;
                }
                outcome => return outcome,
            }
        }
    }

    fn token_entry(&self, origin: &str) -> Option<TokenEntry> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(origin)
            .cloned()
    }

    fn store_token(&self, origin: String, entry: TokenEntry) {
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tokens.len() >= MAX_TOKEN_ORIGINS && !tokens.contains_key(&origin) {
            tokens.clear();
        }
        tokens.insert(origin, entry);
    }

    /// The token for `url`'s origin, renewed first when it is about to
    /// expire and the challenge it answered is known. While one request
    /// renews it, others whose token is still valid go on with it.
    async fn current_token(&self, url: &Url) -> Result<Option<(Token, u64)>, Error> {
        let origin = url.origin().ascii_serialization();
        let Some(entry) = self.token_entry(&origin) else {
            // Generation 0: a 401 to it renews, as for a token of the origin's own.
            return Ok(self.initial_token.clone().map(|token| (token, 0)));
        };
        if !entry.token.needs_renewal(RENEW_BEFORE_EXPIRY) {
            return Ok(Some((entry.token, entry.generation)));
        }
        let still_valid = entry.token.remaining().is_some_and(|left| !left.is_zero());
        let _fetching = match self.fetching.try_lock() {
            Ok(guard) => guard,
            // Someone is fetching: a valid token is used meanwhile.
            Err(_) if still_valid => return Ok(Some((entry.token, entry.generation))),
            Err(_) => self.fetching.lock().await,
        };
        // Renewed while this request waited?
        let entry = match self.token_entry(&origin) {
            Some(now) if now.generation != entry.generation => {
                return Ok(Some((now.token, now.generation)))
            }
            Some(now) => now,
            None => return Ok(None),
        };
        tracing::debug!(%origin, "renewing a token before it expires");
        match self
            .fetch_token(url, &entry.challenges, Some(&entry.token))
            .await
        {
            Ok(token) => {
                let generation = entry.generation + 1;
                self.store_token(
                    origin,
                    TokenEntry {
                        token: token.clone(),
                        challenges: entry.challenges,
                        generation,
                    },
                );
                Ok(Some((token, generation)))
            }
            Err(error) if still_valid => {
                tracing::warn!(%origin, %error, "could not renew an expiring token; using it while it lasts");
                Ok(Some((entry.token, entry.generation)))
            }
            Err(error) => {
                // Send without it; the server's 401 will say what it wants.
                tracing::warn!(%origin, %error, "could not renew an expiring token");
                self.tokens
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&origin);
                Ok(None)
            }
        }
    }

    /// After a 401: a new token for `url`'s origin, unless another request
    /// renewed it since this one was sent with generation `seen`.
    async fn renew_token(
        &self,
        url: &Url,
        challenges: Vec<auth::Challenge>,
        seen: Option<u64>,
        challenged: Challenged,
    ) -> Result<(), Error> {
        let offers_a_scheme = challenges
            .iter()
            .any(|challenge| challenge.is("MsRtcOAuth") || challenge.is("Bearer"));
        // After a 403 the token source is asked even when no challenge is
        // known (a token given up front): a custom source may have a new one.
        if !offers_a_scheme && challenged == Challenged::Yes {
            return Err(Error::Auth(AuthError::NoChallenge {
                url: url.to_string(),
            }));
        }
        let origin = url.origin().ascii_serialization();
        let _fetching = self.fetching.lock().await;
        let current = self.token_entry(&origin);
        if let Some(entry) = &current {
            if Some(entry.generation) != seen {
                return Ok(()); // renewed by a concurrent request
            }
        }
        let previous = current.as_ref().map(|entry| entry.token.clone());
        let generation = current.map_or(0, |entry| entry.generation) + 1;
        let token = self
            .fetch_token(url, &challenges, previous.as_ref())
            .await?;
        self.store_token(
            origin,
            TokenEntry {
                token,
                challenges,
                generation,
            },
        );
        Ok(())
    }

    async fn fetch_token(
        &self,
        url: &Url,
        challenges: &[auth::Challenge],
        previous: Option<&Token>,
    ) -> Result<Token, Error> {
        let request = TokenRequest {
            challenges,
            resource: url,
            previous,
            poster: self,
        };
        // A custom source gets the same bound as a request, twice over (it
        // may make two round trips of its own).
        let bound = self.timeouts.request.saturating_mul(2);
        tokio::time::timeout(bound, self.token_source.token(request))
            .await
            .map_err(|_| Error::Timeout {
                what: format!("getting a token for {}", url.origin().ascii_serialization()),
                after: bound,
            })?
    }
}

impl GrantPoster for Core {
    fn post_grant<'a>(
        &'a self,
        token_url: &'a Url,
        form: String,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            self.policy.check_credentials(token_url)?;
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static(JSON));
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded;charset=UTF-8"),
            );
            tracing::debug!(url = %token_url, "requesting a token");
            let response = self
                .transport
                .execute(Outgoing {
                    method: Method::POST,
                    url: token_url.clone(),
                    headers,
                    body: Bytes::from(form),
                    timeout: self.timeouts.request,
                })
                .await?;
            let status = response.status();
            if status.is_success() {
                return Token::from_oauth_json(response.body()).map_err(|reason| {
                    Error::Auth(AuthError::InvalidToken {
                        url: token_url.to_string(),
                        reason,
                    })
                });
            }
            let body: serde_json::Value = ucwa_runtime::DecodeBudget::ERROR_BODY
                .decode_json_bytes(response.body())
                .unwrap_or_default();
            let field = |name: &str| {
                body.get(name)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            };
            Err(Error::Auth(AuthError::Rejected {
                url: token_url.to_string(),
                status: status.as_u16(),
                error: field("error"),
                description: field("error_description"),
                passive_auth_uri: field("ms_rtc_passiveauthuri"),
            }))
        })
    }
}

/// A 3xx where none is followed: [`Error::Protocol`] naming where it pointed.
fn unexpected_redirect(url: &Url, response: &http::Response<Bytes>) -> Error {
    let target = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(|location| format!(" to {location}"))
        .unwrap_or_default();
    Error::protocol(
        url.as_str(),
        format!(
            "redirected ({}{target}); the client follows redirects only during discovery",
            response.status()
        ),
    )
}

/// 4xx and 5xx become [`Error::Http`], with the UCWA error body when the
/// answer has one (JSON or XML).
pub(crate) fn check_status(
    method: &Method,
    url: &Url,
    response: http::Response<Bytes>,
    documented: Option<&'static [SyncError]>,
) -> Result<http::Response<Bytes>, Error> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let diagnostics = response
        .headers()
        .get("x-ms-diagnostics")
        .and_then(|value| value.to_str().ok())
        .map(|text| text.chars().take(256).collect());
    let body = ErrorBody::from_bytes(response.body());
    let mut error = HttpError {
        method: method.clone(),
        url: url.to_string(),
        status,
        body,
        documented: None,
        retry_after,
        diagnostics,
    };
    error.documented = documented.and_then(|errors| error.documented_in(errors));
    Err(Error::Http(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content: &str) -> http::Response<Bytes> {
        http::Response::builder()
            .status(status)
            .header(RETRY_AFTER, "7")
            .body(Bytes::from(content.to_owned()))
            .expect("response")
    }

    #[test]
    fn error_statuses_carry_the_ucwa_body_in_either_format() {
        let url = Url::parse("https://pool.contoso.com/ucwa/x").expect("url");
        let json = check_status(
            &Method::GET,
            &url,
            response(
                404,
                r#"{"code":"NotFound","subcode":"ApplicationNotFound"}"#,
            ),
            None,
        )
        .expect_err("404");
        let error = json.http().expect("http error");
        assert_eq!(
            error.subcode().map(|s| s.as_str()),
            Some("ApplicationNotFound")
        );
        assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
        let xml = check_status(
            &Method::GET,
            &url,
            response(
                409,
                "<reason><code>Conflict</code><subcode>PGetReplaced</subcode></reason>",
            ),
            None,
        )
        .expect_err("409");
        assert_eq!(
            xml.http()
                .and_then(|error| error.subcode())
                .map(|s| s.as_str()),
            Some("PGetReplaced")
        );
        let html = check_status(&Method::GET, &url, response(500, "<html><body>oops"), None)
            .expect_err("500");
        assert!(html.http().is_some_and(|error| error.body.is_none()));
        assert!(check_status(&Method::GET, &url, response(204, ""), None).is_ok());
        assert!(check_status(&Method::GET, &url, response(302, ""), None).is_ok());
    }
}
