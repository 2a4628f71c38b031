//! Authentication: the `WWW-Authenticate` challenge, OAuth tokens, and the
//! sources they come from.
//!
//! UCWA answers an unauthenticated request with `401` and a challenge
//! (AuthenticationInUCWA):
//!
//! ```text
//! WWW-Authenticate: MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"
//! ```
//!
//! A [`TokenSource`] turns the challenge into a [`Token`]: [`FormGrant`] posts
//! one of the MsRtcOAuth grants (password, anonymous meeting, ...) to the
//! challenge's token URL; [`token_fn`] wraps any async function (an Azure AD
//! library, a token cache); a [`Token`] is itself a source that always gives
//! the same token.

use crate::error::{AuthError, Error};
use futures_core::future::BoxFuture;
use http::HeaderValue;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};
use url::Url;

/// One challenge of a `WWW-Authenticate` header: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, as sent (compare case-insensitively), e.g. `MsRtcOAuth`.
    pub scheme: String,
    /// `name=value` parameters in order, names as sent, values unquoted.
    pub params: Vec<(String, String)>,
    /// A bare token after the scheme (`Negotiate abc==`), if any.
    pub token68: Option<String>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether this is the challenge of `scheme` (case-insensitive).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// The MsRtcOAuth challenge: where to get a token and which grants it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsRtcOAuth {
    /// The token service URL (`href`), resolved against the URL that answered 401.
    pub token_url: Url,
    /// The grant types offered (`grant_type`), e.g. `password`,
    /// `urn:microsoft.rtc:windows`, `urn:microsoft.rtc:anonmeeting`.
    pub grant_types: Vec<String>,
}

impl MsRtcOAuth {
    /// Finds the MsRtcOAuth challenge among `challenges`; its `href` is
    /// resolved against `base`. `None` when there is none or its `href` is not
    /// a URL.
    pub fn find(challenges: &[Challenge], base: &Url) -> Option<MsRtcOAuth> {
        let challenge = challenges.iter().find(|c| c.is("MsRtcOAuth"))?;
        let token_url = base.join(challenge.param("href")?.trim()).ok()?;
        let grant_types = challenge
            .param("grant_type")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|grant| !grant.is_empty())
            .map(str::to_owned)
            .collect();
        Some(MsRtcOAuth {
            token_url,
            grant_types,
        })
    }

    /// Whether `grant_type` is offered; an empty list offers anything.
    pub fn offers(&self, grant_type: &str) -> bool {
        self.grant_types.is_empty()
            || self
                .grant_types
                .iter()
                .any(|offered| offered.eq_ignore_ascii_case(grant_type))
    }
}

/// Reads every challenge of one or more `WWW-Authenticate` header values
/// (RFC 7235, leniently: unquoted values may hold `:` and `/`, as UCWA's
/// `href=https://...` does; junk is skipped, never an error).
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    for value in values {
        ChallengeParser {
            text: value.as_bytes(),
            position: 0,
        }
        .parse_into(&mut challenges);
    }
    challenges
}

struct ChallengeParser<'a> {
    text: &'a [u8],
    position: usize,
}

/// Bounds what one header can make the parser build.
const MAX_CHALLENGES: usize = 16;
const MAX_PARAMS: usize = 32;

impl ChallengeParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.position).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.position += 1;
        }
    }

    fn skip_spaces_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.position += 1;
        }
    }

    fn token(&mut self) -> String {
        let start = self.position;
        while self.peek().is_some_and(is_token_byte) {
            self.position += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.position]).into_owned()
    }

    fn quoted(&mut self) -> String {
        self.position += 1; // the opening quote
        let mut value = Vec::new();
        while let Some(byte) = self.peek() {
            self.position += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        value.push(escaped);
                        self.position += 1;
                    }
                }
                _ => value.push(byte),
            }
        }
        String::from_utf8_lossy(&value).into_owned()
    }

    fn unquoted(&mut self) -> String {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|byte| !matches!(byte, b',' | b' ' | b'\t'))
        {
            self.position += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.position]).into_owned()
    }

    /// After a name: is this `name =`? Leaves the position after the `=`.
    fn equals(&mut self) -> bool {
        let start = self.position;
        self.skip_spaces();
        if self.peek() == Some(b'=') {
            self.position += 1;
            true
        } else {
            self.position = start;
            false
        }
    }

    fn parse_into(&mut self, challenges: &mut Vec<Challenge>) {
        loop {
            self.skip_spaces_and_commas();
            if self.peek().is_none() || challenges.len() >= MAX_CHALLENGES {
                return;
            }
            let scheme = self.token();
            if scheme.is_empty() {
                self.position += 1; // not a token character: skip it
                continue;
            }
            let mut challenge = Challenge {
                scheme,
                params: Vec::new(),
                token68: None,
            };
            self.parse_params(&mut challenge);
            challenges.push(challenge);
        }
    }

    fn parse_params(&mut self, challenge: &mut Challenge) {
        self.skip_spaces();
        if self.try_token68(challenge) {
            return;
        }
        while challenge.params.len() < MAX_PARAMS {
            let start = self.position;
            self.skip_spaces_and_commas();
            let name = self.token();
            if name.is_empty() || !self.equals() {
                // The next challenge's scheme (or the end): leave it.
                self.position = start;
                return;
            }
            self.skip_spaces();
            let value = if self.peek() == Some(b'"') {
                self.quoted()
            } else {
                self.unquoted()
            };
            challenge.params.push((name, value));
        }
    }

    /// `Scheme token68`: a bare token, possibly ending in `=`s, then the end
    /// or a comma.
    fn try_token68(&mut self, challenge: &mut Challenge) -> bool {
        let start = self.position;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        }) {
            self.position += 1;
        }
        let body_end = self.position;
        while self.peek() == Some(b'=') {
            self.position += 1;
        }
        let padded = self.position > body_end;
        let after = self.position;
        self.skip_spaces();
        // A token68 is padded with `=` or ends the header; a lone token
        // before a comma is the next challenge's scheme.
        let token68 = body_end > start
            && match self.peek() {
                None => true,
                Some(b',') => padded,
                Some(_) => false,
            };
        if token68 {
            let bare = &self.text[start..after];
            challenge.token68 = Some(String::from_utf8_lossy(bare).into_owned());
            return true;
        }
        self.position = start;
        false
    }
}

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The shortest lifetime a token service's `expires_in` is taken as: two
/// minutes. Shorter would make the client ask for a token before nearly
/// every request.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(120);

/// An OAuth access token. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Token {
    access_token: String,
    token_type: String,
    expires_at: Option<Instant>,
    lifetime: Option<Duration>,
}

impl Token {
    /// A bearer token, e.g. one an Azure AD library obtained.
    pub fn bearer(access_token: impl Into<String>) -> Token {
        Token {
            access_token: access_token.into(),
            token_type: "Bearer".into(),
            expires_at: None,
            lifetime: None,
        }
    }

    /// The same token, known to expire after `lifetime` from now.
    pub fn expiring_in(mut self, lifetime: Duration) -> Token {
        self.expires_at = Instant::now().checked_add(lifetime);
        self.lifetime = Some(lifetime);
        self
    }

    /// Reads a token service's JSON answer (`access_token`, `token_type`,
    /// `expires_in` as a number or a string of seconds; below
    /// [`MIN_TOKEN_LIFETIME`] it is taken as the floor).
    pub fn from_oauth_json(body: &[u8]) -> Result<Token, String> {
        let value: serde_json::Value = ucwa_runtime::DecodeBudget::ERROR_BODY
            .decode_json_bytes(body)
            .map_err(|error| format!("not JSON: {error}"))?;
        let access_token = value
            .get("access_token")
            .and_then(serde_json::Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or("no access_token")?;
        let token_type = value
            .get("token_type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("Bearer");
        let expires_in = match value.get("expires_in") {
            Some(serde_json::Value::Number(number)) => number.as_u64(),
            Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
            _ => None,
        };
        let mut token = Token {
            access_token: access_token.to_owned(),
            token_type: token_type.to_owned(),
            expires_at: None,
            lifetime: None,
        };
        if let Some(seconds) = expires_in {
            // `expires_in: 0` (or 1) would renew before nearly every request:
            // a token is used for at least the floor, and a server that
            // really ends it sooner says so with a 401, which renews it.
            let lifetime = Duration::from_secs(seconds);
            if lifetime < MIN_TOKEN_LIFETIME {
                tracing::warn!(
                    expires_in = seconds,
                    floor = MIN_TOKEN_LIFETIME.as_secs(),
                    "a token lifetime below the floor is taken as the floor"
                );
            }
            token = token.expiring_in(lifetime.max(MIN_TOKEN_LIFETIME));
        }
        Ok(token)
    }

    /// The access token itself; handle with care.
    pub fn secret(&self) -> &str {
        &self.access_token
    }

    /// The token type, e.g. `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// Time left before it expires, when known (zero once expired).
    pub fn remaining(&self) -> Option<Duration> {
        self.expires_at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether it is time to renew it: it expires within `margin`, or within
    /// a quarter of its lifetime for tokens that live less than four margins.
    pub(crate) fn needs_renewal(&self, margin: Duration) -> bool {
        let margin = self
            .lifetime
            .map_or(margin, |lifetime| margin.min(lifetime / 4));
        self.remaining().is_some_and(|left| left <= margin)
    }

    /// The `Authorization` header value, marked sensitive so that `http`'s
    /// `Debug` hides it.
    pub(crate) fn authorization(&self) -> Result<HeaderValue, Error> {
        let scheme = if self.token_type.bytes().all(is_token_byte) && !self.token_type.is_empty() {
            self.token_type.as_str()
        } else {
            "Bearer"
        };
        let mut value =
            HeaderValue::from_str(&format!("{scheme} {}", self.access_token)).map_err(|_| {
                Error::Auth(AuthError::Source(
                    "the access token has characters a header cannot carry".into(),
                ))
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .field("access_token", &"<redacted>")
            .field("remaining", &self.remaining())
            .finish()
    }
}

/// What a [`TokenSource`] is asked for a token with.
pub struct TokenRequest<'a> {
    pub(crate) challenges: &'a [Challenge],
    pub(crate) resource: &'a Url,
    pub(crate) previous: Option<&'a Token>,
    pub(crate) poster: &'a (dyn GrantPoster + 'a),
}

impl TokenRequest<'_> {
    /// The challenges of the 401 that asked for a token (empty when the
    /// token is renewed before expiry without one).
    pub fn challenges(&self) -> &[Challenge] {
        self.challenges
    }

    /// The MsRtcOAuth challenge, if the server sent one.
    pub fn ms_rtc_oauth(&self) -> Option<MsRtcOAuth> {
        MsRtcOAuth::find(self.challenges, self.resource)
    }

    /// The URL that needs the token; its origin is the token's audience
    /// (Azure AD's `resource`, e.g. `https://webdir0a.online.lync.com`).
    pub fn resource(&self) -> &Url {
        self.resource
    }

    /// The token this one replaces, if any (for `ms_rtc_renew`).
    pub fn previous(&self) -> Option<&Token> {
        self.previous
    }

    /// Posts an MsRtcOAuth grant (`grant_type` and form `params`, URL-encoded)
    /// to the challenge's token URL, after the security check, and reads the
    /// token from the answer.
    pub async fn grant(&self, grant_type: &str, params: &[(&str, &str)]) -> Result<Token, Error> {
        let challenge = self.ms_rtc_oauth().ok_or_else(|| {
            Error::Auth(AuthError::NoChallenge {
                url: self.resource.to_string(),
            })
        })?;
        if !challenge.offers(grant_type) {
            return Err(Error::Auth(AuthError::UnsupportedGrant {
                grant_type: grant_type.to_owned(),
                offered: challenge.grant_types,
            }));
        }
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", grant_type);
            for (name, value) in params {
                form.append_pair(name, value);
            }
            form.finish()
        };
        self.poster.post_grant(&challenge.token_url, form).await
    }
}

/// The session's side of [`TokenRequest::grant`]: sends the form.
pub(crate) trait GrantPoster: Send + Sync {
    fn post_grant<'a>(
        &'a self,
        token_url: &'a Url,
        form: String,
    ) -> BoxFuture<'a, Result<Token, Error>>;
}

/// Where the session gets tokens from.
///
/// Implement it for the grants and identity providers this crate does not
/// know; [`FormGrant`] covers MsRtcOAuth's own grants, [`token_fn`] wraps an
/// async function, and a [`Token`] is a source of itself.
pub trait TokenSource: Send + Sync {
    /// A new token for `request.resource()`.
    fn token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<Token, Error>>;
}

impl TokenSource for Token {
    fn token<'a>(&'a self, _request: TokenRequest<'a>) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move { Ok(self.clone()) })
    }
}

/// An MsRtcOAuth grant posted as a form: `password`,
/// `urn:microsoft.rtc:windows`, `urn:microsoft.rtc:anonmeeting`,
/// `urn:microsoft.rtc:passive`, or any other. Its `Debug` shows the grant
/// type and parameter names, never the values.
#[derive(Clone)]
pub struct FormGrant {
    grant_type: String,
    params: Vec<(String, String)>,
}

impl FormGrant {
    /// A grant of `grant_type` with no parameters.
    pub fn new(grant_type: impl Into<String>) -> FormGrant {
        FormGrant {
            grant_type: grant_type.into(),
            params: Vec::new(),
        }
    }

    /// The password grant.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> FormGrant {
        FormGrant::new("password")
            .param("username", username)
            .param("password", password)
    }

    /// The anonymous meeting grant: the conference URI
    /// (`sip:organizer@contoso.com;gruu;opaque=app:conf:focus:id:ID`) and the
    /// conference key.
    pub fn anonymous_meeting(
        conference_uri: impl Into<String>,
        key: impl Into<String>,
    ) -> FormGrant {
        FormGrant::new("urn:microsoft.rtc:anonmeeting")
            .param("password", key)
            .param("ms_rtc_conferenceuri", conference_uri)
    }

    /// Adds a form parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> FormGrant {
        self.params.push((name.into(), value.into()));
        self
    }
}

impl fmt::Debug for FormGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormGrant")
            .field("grant_type", &self.grant_type)
            .field(
                "params",
                &self.params.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TokenSource for FormGrant {
    fn token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let params: Vec<(&str, &str)> = self
                .params
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            request.grant(&self.grant_type, &params).await
        })
    }
}

/// What [`token_fn`]'s function is given: an owned copy of the request.
#[derive(Debug, Clone)]
pub struct TokenContext {
    /// The challenges of the 401 (empty for a renewal before expiry).
    pub challenges: Vec<Challenge>,
    /// The URL that needs the token.
    pub resource: Url,
    /// The token being replaced, if any.
    pub previous: Option<Token>,
}

/// A [`TokenSource`] from an async function, e.g. one that asks Azure AD for
/// a token for `context.resource.origin()`.
pub fn token_fn<F, Fut>(function: F) -> impl TokenSource
where
    F: Fn(TokenContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    FnSource(function)
}

struct FnSource<F>(F);

impl<F, Fut> TokenSource for FnSource<F>
where
    F: Fn(TokenContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    fn token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<Token, Error>> {
        let context = TokenContext {
            challenges: request.challenges.to_vec(),
            resource: request.resource.clone(),
            previous: request.previous.cloned(),
        };
        Box::pin((self.0)(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Vec<Challenge> {
        parse_challenges([value])
    }

    #[test]
    fn the_documented_challenge_with_an_unquoted_href() {
        let challenges = one(
            r#"MsRtcOAuth href=https://contoso.com/WebTicket/oauthtoken,grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password""#,
        );
        assert_eq!(challenges.len(), 1);
        let base = Url::parse("https://contoso.com/user").expect("url");
        let oauth = MsRtcOAuth::find(&challenges, &base).expect("MsRtcOAuth");
        assert_eq!(
            oauth.token_url.as_str(),
            "https://contoso.com/WebTicket/oauthtoken"
        );
        assert_eq!(
            oauth.grant_types,
            [
                "urn:microsoft.rtc:windows",
                "urn:microsoft.rtc:anonmeeting",
                "password"
            ]
        );
        assert!(oauth.offers("password") && oauth.offers("PASSWORD"));
        assert!(!oauth.offers("urn:microsoft.rtc:passive"));
    }

    #[test]
    fn two_headers_and_two_challenges_in_one_header() {
        let bearer = r#"Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000""#;
        let msrtc = r#"MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password""#;
        let separate = parse_challenges([bearer, msrtc]);
        let combined = one(&format!("{bearer}, {msrtc}"));
        assert_eq!(separate, combined);
        assert_eq!(combined.len(), 2);
        assert!(combined[0].is("bearer"));
        assert_eq!(
            combined[0].param("CLIENT_ID"),
            Some("00000004-0000-0ff1-ce00-000000000000")
        );
        assert_eq!(
            combined[0].param("trusted_issuers"),
            Some("00000002-0000-0ff1-ce00-000000000000@contoso.com")
        );
        let base = Url::parse("https://lyncweb.contoso.com/x").expect("url");
        assert_eq!(
            MsRtcOAuth::find(&combined, &base).map(|c| c.token_url.to_string()),
            Some("https://lyncweb.contoso.com/WebTicket/oauthtoken".to_owned())
        );
    }

    #[test]
    fn variants_spacing_case_escapes_and_relative_hrefs() {
        let challenges = one(
            r#"  msrtcoauth   HREF = "/WebTicket/oauthtoken?x=\"1\"" ,  Grant_Type = password , Negotiate oYIBhz+/abc==, Basic realm="a, b", NTLM"#,
        );
        let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["msrtcoauth", "Negotiate", "Basic", "NTLM"]);
        assert_eq!(
            challenges[0].param("href"),
            Some(r#"/WebTicket/oauthtoken?x="1""#)
        );
        assert_eq!(challenges[1].token68.as_deref(), Some("oYIBhz+/abc=="));
        assert_eq!(challenges[2].param("realm"), Some("a, b"));
        let base = Url::parse("https://pool.contoso.com/user").expect("url");
        let oauth = MsRtcOAuth::find(&challenges, &base).expect("found");
        assert_eq!(
            oauth.token_url.as_str(),
            "https://pool.contoso.com/WebTicket/oauthtoken?x=%221%22"
        );
        assert_eq!(oauth.grant_types, ["password"]);
    }

    #[test]
    fn junk_never_panics_and_yields_what_it_can() {
        for junk in [
            "",
            ",,,",
            "=",
            "\"",
            "MsRtcOAuth href=\"unterminated",
            "MsRtcOAuth href",
            "MsRtcOAuth href=",
            "\u{0}\u{1}ÿ",
            "Bearer ===",
            "a=b=c",
        ] {
            let _ = one(junk);
        }
        let unterminated = one("MsRtcOAuth href=\"https://x/oauthtoken");
        assert_eq!(unterminated[0].param("href"), Some("https://x/oauthtoken"));
        assert!(MsRtcOAuth::find(
            &one("MsRtcOAuth grant_type=password"),
            &Url::parse("https://x/").expect("url")
        )
        .is_none());
        let many = format!("Bearer {}", "a=1,".repeat(1000));
        let bounded = one(&many);
        assert!(bounded.len() <= MAX_CHALLENGES);
        assert!(bounded.iter().all(|c| c.params.len() <= MAX_PARAMS));
        assert_eq!(bounded[0].params.len(), MAX_PARAMS);
        let many_schemes = "A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S";
        assert!(one(many_schemes).len() <= 16);
    }

    #[test]
    fn tokens_read_from_oauth_answers_and_hide_their_secret() {
        let token = Token::from_oauth_json(
            br#"{"access_token":"cwt=2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#,
        )
        .expect("token");
        assert_eq!(token.secret(), "cwt=2YotnFZFEjr1zCsicMWpAA");
        let left = token.remaining().expect("expiry known");
        assert!(left > Duration::from_secs(3590) && left <= Duration::from_secs(3600));
        assert!(!format!("{token:?}").contains("2YotnFZ"));
        let header = token.authorization().expect("header");
        assert!(header.is_sensitive());
        assert_eq!(
            header.to_str().expect("ascii"),
            "Bearer cwt=2YotnFZFEjr1zCsicMWpAA"
        );
        assert!(!format!("{header:?}").contains("2YotnFZ"));

        let azure = Token::from_oauth_json(
            br#"{"access_token":"eyJ0","token_type":"Bearer","expires_in":"3599"}"#,
        )
        .expect("string expires_in");
        assert!(azure.remaining().is_some());
        let instant = Token::from_oauth_json(br#"{"access_token":"t","expires_in":0}"#)
            .expect("expires_in 0");
        let left = instant.remaining().expect("expiry known");
        assert!(
            left > MIN_TOKEN_LIFETIME - Duration::from_secs(5),
            "{left:?}: clamped to the floor"
        );
        assert!(Token::from_oauth_json(b"<html>").is_err());
        assert!(Token::from_oauth_json(br#"{"token_type":"Bearer"}"#).is_err());
        assert!(Token::from_oauth_json(br#"{"access_token":""}"#).is_err());
        assert!(Token::bearer("a\nb").authorization().is_err());
        assert!(Token::bearer("x")
            .expiring_in(Duration::ZERO)
            .needs_renewal(Duration::from_secs(1)));
        let short = Token::bearer("x").expiring_in(Duration::from_secs(30));
        assert!(
            !short.needs_renewal(Duration::from_secs(60)),
            "a quarter of 30 s is the margin"
        );
        assert!(
            !Token::bearer("x").needs_renewal(Duration::from_secs(60)),
            "no expiry known"
        );
    }

    #[test]
    fn grants_hide_their_values() {
        let grant = FormGrant::password("lenea@contoso.com", "pass@word1");
        let shown = format!("{grant:?}");
        assert!(shown.contains("password") && shown.contains("username"));
        assert!(!shown.contains("pass@word1") && !shown.contains("lenea"));
    }
}
