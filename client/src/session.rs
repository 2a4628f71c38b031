//! The signed-in session: the builder, sign-in (discovery, token, the
//! application), keep-alive, and the requests a UCWA application makes.

use crate::auth::{FormGrant, MsRtcOAuth, Token, TokenSource};
use crate::batch;
use crate::cache::ResourceCache;
use crate::channel::{self, Channel, EventStream};
use crate::core::{Core, Exec, Prepared, JSON};
use crate::discovery::{self, Start};
use crate::error::Error;
use crate::id::uuid_v4;
use crate::leases::Leases;
use crate::operation::{href_key, Operation, OperationRegistry};
use crate::options::{EventChannelOptions, Limits, RetryPolicy, Timeouts, MAX_WAIT};
use crate::recovery::{Recipe, Recovery, Rediscovery};
use crate::security::{HostPattern, HostPolicy};
use crate::transport::Transport;
use crate::typed::{self, Application, ApplicationHrefs, ApplicationsRequest};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use ucwa_runtime::SyncError;
use url::Url;

/// Configures and signs in a [`Session`].
///
/// ```no_run
/// # async fn example() -> Result<(), ucwa_client::Error> {
/// let session = ucwa_client::Session::builder("lenea@contoso.com")
///     .password("pass@word1")
///     .user_agent("my-app/1.0")
///     .sign_in()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `sign_in` is awaited"]
pub struct SessionBuilder {
    sign_in_address: String,
    token_source: Option<Arc<dyn TokenSource>>,
    username: Option<String>,
    password: Option<String>,
    allowed_hosts: Vec<String>,
    discovery_url: Option<String>,
    applications_url: Option<String>,
    http_discovery: bool,
    user_agent: String,
    culture: String,
    endpoint_id: Option<String>,
    instance_id: Option<String>,
    timeouts: Timeouts,
    limits: Limits,
    retry: RetryPolicy,
    reconnect: RetryPolicy,
    event_channel: EventChannelOptions,
    keep_alive: Option<Duration>,
    root_certificates: Vec<Vec<u8>>,
    proxy: Option<String>,
    initial_token: Option<Token>,
    application_request: Option<ApplicationsRequest>,
}

/// What signing in starts from: the HTTP core, the sign-in domain, and the
/// URLs the builder was given.
struct Connection {
    core: Core,
    domain: String,
    discovery_url: Option<Url>,
    applications_url: Option<Url>,
}

impl std::fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("sign_in_address", &self.sign_in_address)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field(
                "token_source",
                &self.token_source.as_ref().map(|_| "<custom>"),
            )
            .field("bearer_token", &self.initial_token)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("discovery_url", &self.discovery_url)
            .field("applications_url", &self.applications_url)
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

/// The default `keep_alive`: reportMyActivity wants one at least every four
/// minutes.
const KEEP_ALIVE: Duration = Duration::from_secs(180);

impl SessionBuilder {
    fn new(sign_in_address: &str) -> SessionBuilder {
        SessionBuilder {
            sign_in_address: sign_in_address.trim().to_owned(),
            token_source: None,
            username: None,
            password: None,
            allowed_hosts: Vec::new(),
            discovery_url: None,
            applications_url: None,
            http_discovery: true,
            user_agent: concat!("ucwa-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            culture: "en-US".to_owned(),
            endpoint_id: None,
            instance_id: None,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            reconnect: RetryPolicy {
                attempts: 6,
                base_delay: Duration::from_millis(500),
                max_delay: Duration::from_secs(30),
            },
            event_channel: EventChannelOptions::default(),
            keep_alive: Some(KEEP_ALIVE),
            root_certificates: Vec::new(),
            proxy: None,
            initial_token: None,
            application_request: None,
        }
    }

    /// Signs in with the password grant, as the sign-in address (without
    /// `sip:`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Signs in with the password grant as `username`.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Gets tokens from `source` instead ([`FormGrant`] for the other
    /// MsRtcOAuth grants, [`crate::token_fn`] for Azure AD and the like, a
    /// [`crate::Token`] for a fixed one).
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
        self.token_source = Some(Arc::new(source));
        self
    }

    /// Trusts one more host with tokens and passwords, and with discovery
    /// redirects read over HTTP: a name (`webpool1.infra.lync.com`, an IP
    /// address) or every name in a domain (`*.online.lync.com`). The
    /// sign-in domain and its subdomains are always trusted.
    pub fn allow_host(mut self, pattern: impl Into<String>) -> Self {
        self.allowed_hosts.push(pattern.into());
        self
    }

    /// Starts discovery at this root URL instead of
    /// `lyncdiscover[internal].<domain>`; its host is trusted like
    /// [`SessionBuilder::allow_host`]. This is how tests and the mock server
    /// point the client at a loopback address.
    pub fn discovery_url(mut self, url: impl Into<String>) -> Self {
        self.discovery_url = Some(url.into());
        self
    }

    /// Skips discovery: the `applications` URL is known. Its host is trusted
    /// like [`SessionBuilder::allow_host`].
    pub fn applications_url(mut self, url: impl Into<String>) -> Self {
        self.applications_url = Some(url.into());
        self
    }

    /// Whether discovery falls back to plain HTTP after HTTPS (default: yes,
    /// as RootURL allows; credentials never follow over HTTP).
    pub fn http_discovery(mut self, allowed: bool) -> Self {
        self.http_discovery = allowed;
        self
    }

    /// The application's `userAgent` and the HTTP `User-Agent`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The application's `culture` (default `en-US`).
    pub fn culture(mut self, culture: impl Into<String>) -> Self {
        self.culture = culture.into();
        self
    }

    /// The application's `endpointId` (default: a new UUID per session).
    pub fn endpoint_id(mut self, endpoint_id: impl Into<String>) -> Self {
        self.endpoint_id = Some(endpoint_id.into());
        self
    }

    /// The application's `instanceId` (MultiTabSupport: one event channel
    /// per instance of a shared application).
    pub fn instance_id(mut self, instance_id: impl Into<String>) -> Self {
        self.instance_id = Some(instance_id.into());
        self
    }

    /// Timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Size and count limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Retries of failed requests (timeouts, transport failures, 429, 5xx;
    /// only those a server cannot have acted on for a POST).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Reconnection of the event channel: consecutive failed pending GETs
    /// before it gives up, and the backoff between them.
    pub fn reconnect(mut self, reconnect: RetryPolicy) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// The event channel's query parameters (`timeout`, `medium`, `low`).
    /// With a server `timeout`, the client waits for a pending GET at least
    /// that long plus the request timeout.
    pub fn event_channel(mut self, options: EventChannelOptions) -> Self {
        self.event_channel = options;
        self
    }

    /// How often, at most, to report activity (`reportMyActivity`) so that
    /// the user stays available and the application does not expire;
    /// `None` turns it off. Default 3 minutes (the reference asks for one
    /// at least every four). The session reports sooner when its
    /// `makeMeAvailable` sent an `inactiveTimeout` (at four fifths of it)
    /// and after each `InactiveApplicationExpired` (half as long, down to
    /// 30 s).
    pub fn keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.keep_alive = interval;
        self
    }

    /// Sends every request that leaves this machine through the proxy at
    /// `url` (`http://proxy.corp:3128` or `https://…`). Without it no proxy
    /// is used, whatever `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` say:
    /// the proxy variables are not read. Loopback never goes through the
    /// proxy; UCWA traffic is HTTPS tunnelled through it (`CONNECT`), so it
    /// sees host names, not tokens. A plain-HTTP proxy elsewhere than this
    /// machine may not carry credentials in its URL ([`Error::Config`]).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Trusts one more root certificate (PEM), e.g. an on-premises CA.
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Sends `token` from the first request on to the hosts trusted with
    /// credentials, instead of waiting for a `401` to ask for one: an Azure AD
    /// application holds a token before it calls UCWA
    /// (AuthenticationUsingAzureAD). A `401` then asks the token source for a
    /// new one (this token itself when no other source or password is given).
    pub fn bearer_token(mut self, token: Token) -> Self {
        self.initial_token = Some(token);
        self
    }

    /// The body of `POST applications` as a whole: its `userAgent`,
    /// `endpointId`, `culture` and `instanceId` replace those of
    /// [`SessionBuilder::user_agent`] (which still names the HTTP
    /// `User-Agent`), [`SessionBuilder::endpoint_id`],
    /// [`SessionBuilder::culture`] and [`SessionBuilder::instance_id`], and
    /// its `extra` properties are sent too (MultiTabSupport's `type`).
    pub fn application_request(mut self, request: ApplicationsRequest) -> Self {
        self.application_request = Some(request);
        self
    }

    /// Answers an MsRtcOAuth challenge without signing in: the token source
    /// (or the password grant) posts its grant to `challenge.token_url`, after
    /// the security check, and the token comes back (AuthenticationInUCWA's
    /// grants; an anonymous meeting join). A refused grant is
    /// [`Error::Auth`] with the OAuth `error`.
    pub async fn request_token(mut self, challenge: &MsRtcOAuth) -> Result<Token, Error> {
        let connection = self.connect()?;
        connection.core.answer(challenge).await
    }

    /// Every duration within `(0, MAX_WAIT]` (the event channel's query
    /// values may be absent), every count at least 1: a setting out of
    /// range is [`Error::Config`], never an overflow later.
    fn validate(&self) -> Result<(), Error> {
        let out_of_range = |name: &str, value: &dyn std::fmt::Debug, rule: &str| {
            Err(Error::Config(format!("{name} = {value:?}: {rule}")))
        };
        let within = format!("it is more than zero and at most {MAX_WAIT:?}");
        let t = &self.timeouts;
        // Retry delays may be zero (retry at once); no other wait may.
        let waits = [
            ("timeouts.connect", Some(t.connect), false),
            ("timeouts.request", Some(t.request), false),
            ("timeouts.event_wait", Some(t.event_wait), false),
            ("timeouts.operation", Some(t.operation), false),
            ("timeouts.shutdown", Some(t.shutdown), false),
            ("keep_alive", self.keep_alive, false),
            ("event_channel.timeout", self.event_channel.timeout, false),
            ("event_channel.medium", self.event_channel.medium, false),
            ("event_channel.low", self.event_channel.low, false),
            ("retry delays", Some(self.retry.base_delay), true),
            ("retry delays", Some(self.retry.max_delay), true),
            ("reconnect delays", Some(self.reconnect.base_delay), true),
            ("reconnect delays", Some(self.reconnect.max_delay), true),
        ];
        for (name, wait, zero_allowed) in waits {
            let Some(wait) = wait else { continue };
            if (wait.is_zero() && !zero_allowed) || wait > MAX_WAIT {
                return out_of_range(name, &wait, &within);
            }
        }
        let l = &self.limits;
        for (name, count) in [
            ("limits.max_body_bytes", l.max_body_bytes),
            ("limits.event_buffer", l.event_buffer),
            ("limits.max_pending_operations", l.max_pending_operations),
            ("limits.batch_size", l.batch_size),
            ("retry.attempts", self.retry.attempts as usize),
            ("reconnect.attempts", self.reconnect.attempts as usize),
        ] {
            if count == 0 {
                return out_of_range(name, &count, "it is at least 1");
            }
        }
        Ok(())
    }

    /// The HTTP core (transport, security check, token source) and where sign-in starts.
    fn connect(&mut self) -> Result<Connection, Error> {
        self.validate()?;
        let address = self
            .sign_in_address
            .strip_prefix("sip:")
            .unwrap_or(&self.sign_in_address)
            .to_owned();
        let domain = sign_in_domain(&address)?;
        let token_source: Arc<dyn TokenSource> = match (
            self.token_source.take(),
            self.password.take(),
            &self.initial_token,
        ) {
            (Some(source), _, _) => source,
            (None, Some(password), _) => Arc::new(FormGrant::password(
                self.username.take().unwrap_or_else(|| address.clone()),
                password,
            )),
            (None, None, Some(token)) => Arc::new(token.clone()),
            (None, None, None) => {
                return Err(Error::Config(
                    "no credentials: give a password, a token source or a token".into(),
                ))
            }
        };
        let parse_url = |text: &str| {
            Url::parse(text).map_err(|error| Error::Config(format!("the URL {text:?}: {error}")))
        };
        let discovery_url = self.discovery_url.as_deref().map(parse_url).transpose()?;
        let applications_url = self
            .applications_url
            .as_deref()
            .map(parse_url)
            .transpose()?;
        let mut allowed = self
            .allowed_hosts
            .iter()
            .map(|pattern| HostPattern::parse(pattern))
            .collect::<Result<Vec<_>, _>>()?;
        for url in discovery_url.iter().chain(&applications_url) {
            let host = url
                .host_str()
                .ok_or_else(|| Error::Config(format!("the URL {url} has no host")))?;
            allowed.push(HostPattern::parse(host)?);
        }
        let certificates = self
            .root_certificates
            .iter()
            .map(|pem| {
                reqwest::Certificate::from_pem(pem)
                    .map_err(|error| Error::Config(format!("a root certificate: {error}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let proxy = self
            .proxy
            .as_deref()
            .map(crate::security::check_proxy)
            .transpose()?;
        let transport = Transport::new(
            &self.timeouts,
            &self.limits,
            &self.user_agent,
            &certificates,
            proxy.as_ref(),
        )?;
        let core = Core::new(
            transport,
            HostPolicy::new(&domain, allowed),
            self.timeouts,
            self.limits,
            self.retry,
            token_source,
        )
        .with_initial_token(self.initial_token.take());
        Ok(Connection {
            core,
            domain,
            discovery_url,
            applications_url,
        })
    }

    /// Discovers the server, signs in, and creates the application.
    pub async fn sign_in(mut self) -> Result<Session, Error> {
        let Connection {
            core,
            domain,
            discovery_url,
            applications_url,
        } = self.connect()?;
        let (applications, rediscovery) = match applications_url {
            Some(url) => (url, None),
            None => {
                let start = match discovery_url {
                    Some(url) => Start::Url(url),
                    None => Start::Domain {
                        allow_http: self.http_discovery,
                    },
                };
                let found = discovery::applications_url(&core, &domain, &start).await?;
                (found, Some(Rediscovery { domain, start }))
            }
        };
        let request = self.application_request.unwrap_or_else(|| {
            typed::application_request(
                &self.user_agent,
                &self.endpoint_id.unwrap_or_else(uuid_v4),
                &self.culture,
                self.instance_id.as_deref(),
            )
        });
        let body = serde_json::to_vec(&request)
            .map_err(|error| Error::InvalidRequest(format!("the application request: {error}")))?;
        let recipe = Recipe::new(applications, body, rediscovery);
        let created = recipe.create(&core).await?;
        // A server timeout asked for holds the P-GET that long: wait for it.
        let event_wait = match self.event_channel.timeout {
            // Both within MAX_WAIT (validated): no overflow.
            Some(timeout) => self
                .timeouts
                .event_wait
                .max(timeout.saturating_add(self.timeouts.request)),
            None => self.timeouts.event_wait,
        };
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            operations: Arc::new(OperationRegistry::new(self.limits.max_pending_operations)),
            core,
            app: RwLock::new(AppState {
                url: created.url,
                hrefs: created.hrefs,
                application: Arc::new(created.application),
                generation: 0,
            }),
            recipe,
            cache: ResourceCache::new(self.limits.cache_entries),
            leases: Leases::default(),
            inactive_expiries: std::sync::atomic::AtomicU32::new(0),
            channel: Channel::default(),
            shutdown,
            options: Options {
                reconnect: self.reconnect,
                event_channel: self.event_channel,
                event_wait,
            },
        });
        if let Some(interval) = self.keep_alive {
            tokio::spawn(keep_alive(Arc::clone(&shared), interval));
        }
        tokio::spawn(keep_leases(Arc::clone(&shared)));
        Ok(Session {
            _guard: Arc::new(Guard {
                shared: Arc::clone(&shared),
            }),
            shared,
        })
    }
}

/// The domain of a sign-in address (`user@contoso.com`) or a bare domain,
/// checked to be a host name so that it can go into `lyncdiscover.<domain>`.
fn sign_in_domain(address: &str) -> Result<String, Error> {
    let domain = address
        .rsplit_once('@')
        .map_or(address, |(_, domain)| domain);
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    // A last label of digits makes the URL parser read the name as an IPv4
    // address (`x@0.1`, `x@127.0.0.1`): an address is not a sign-in domain.
    let address_like = domain
        .rsplit('.')
        .next()
        .is_some_and(|label| label.chars().all(|c| c.is_ascii_digit()));
    if valid && !address_like {
        Ok(domain)
    } else {
        Err(Error::Config(format!(
            "{address:?} is not a sign-in address (user@domain) or a domain"
        )))
    }
}

pub(crate) fn location(response: &http::Response<Bytes>) -> Option<String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// What the session's tasks share.
pub(crate) struct Shared {
    pub(crate) core: Core,
    app: RwLock<AppState>,
    pub(crate) channel: Channel,
    pub(crate) operations: Arc<OperationRegistry>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) options: Options,
    /// How to create the application again and what to restore.
    pub(crate) recipe: Recipe,
    /// The resources read and embedded in events ([`crate::cache`]).
    pub(crate) cache: ResourceCache,
    /// Subscriptions extended before they lapse ([`crate::leases`]).
    pub(crate) leases: Leases,
    /// How many times the server said `InactiveApplicationExpired`: the
    /// keep-alive shortens its interval after each.
    pub(crate) inactive_expiries: std::sync::atomic::AtomicU32,
}

pub(crate) struct Options {
    pub(crate) reconnect: RetryPolicy,
    pub(crate) event_channel: EventChannelOptions,
    pub(crate) event_wait: Duration,
}

struct AppState {
    url: Url,
    hrefs: ApplicationHrefs,
    application: Arc<Application>,
    /// How many times the application was created again.
    generation: u64,
}

impl Shared {
    fn app(&self) -> std::sync::RwLockReadGuard<'_, AppState> {
        self.app.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The application URL and one of its links, or a protocol error naming
    /// the missing link.
    pub(crate) fn application_link(
        &self,
        pick: impl Fn(&ApplicationHrefs) -> Option<String>,
    ) -> Result<(Url, String), Error> {
        let app = self.app();
        match pick(&app.hrefs) {
            Some(href) => Ok((app.url.clone(), href)),
            None => Err(Error::protocol(
                app.url.as_str(),
                "the application does not have the link this needs",
            )),
        }
    }

    /// How many times the application was created again; a recovery
    /// started from an older one finds it done.
    pub(crate) fn generation(&self) -> u64 {
        self.app().generation
    }

    /// After `cause` showed the application gone (seen at `generation`):
    /// creates it again, unless another task did since, and restores what
    /// the session had set up (see [`crate::recovery`]). `Err` when it
    /// cannot be created again; the caller ends what it was doing with it.
    pub(crate) async fn recover(
        self: &Arc<Self>,
        generation: u64,
        cause: &Error,
    ) -> Result<(), Error> {
        let _running = self.recipe.running.lock().await;
        if self.generation() != generation {
            return Ok(()); // another task recovered it meanwhile
        }
        if self.ended() {
            return Err(Error::SessionEnded);
        }
        let reconnect = self.options.reconnect;
        self.recipe.admit(reconnect.attempts)?;
        if cause.is_inactive_expiry() {
            self.inactive_expiries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let cause = cause.to_string();
        tracing::warn!(%cause, "the application is gone: creating it again");
        self.operations.fail_pending(&Error::ApplicationLost {
            cause: cause.clone(),
        });
        let mut attempt = 0;
        let mut rediscovered = false;
        let created = loop {
            attempt += 1;
            match self.recipe.create(&self.core).await {
                Ok(created) => break created,
                // The pool will not have the application back (it fails
                // over, or the user moved): once, find where discovery
                // leads now and create it there.
                Err(error) if !rediscovered && self.recipe.may_rediscover(&error) => {
                    rediscovered = true;
                    tracing::warn!(%error, "the pool refused the application: discovering again");
                    self.recipe.rediscover(&self.core).await?;
                }
                // Creating it again is harmless to repeat: the same
                // endpointId gets the same application. A refused token was
                // renewed by the failed attempt.
                Err(error)
                    if attempt < reconnect.attempts
                        && (error.is_retryable(true) || error.is_token_refused()) =>
                {
                    let delay = reconnect.delay(attempt);
                    tracing::warn!(attempt, ?delay, %error, "creating the application again failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(error) => return Err(error),
            }
        };
        let url = created.url.clone();
        {
            let mut app = self.app.write().unwrap_or_else(PoisonError::into_inner);
            let old = std::mem::replace(
                &mut *app,
                AppState {
                    url: created.url,
                    hrefs: created.hrefs,
                    application: Arc::new(created.application),
                    generation: generation + 1,
                },
            );
            if old.url != url {
                self.recipe.retire(old.url);
            }
        }
        // The old application's resources are not the new one's, nor its
        // subscriptions: the standing requests make new ones.
        self.cache.clear();
        self.leases.clear();
        // The event channel moves to the new application at once; what the
        // session had set up follows in the background, so that the pending
        // GET is there before makeMeAvailable, as the server wants.
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let restored = shared.restore().await;
            shared.channel.broadcast(crate::ChannelItem::Recovered {
                what: Recovery::ApplicationRecreated {
                    cause,
                    application: url,
                },
                restored,
            });
        });
        Ok(())
    }

    /// `makeMeAvailable` again with the user's body, then every standing
    /// request under the new application; how many went through.
    async fn restore(&self) -> usize {
        let mut restored = 0;
        if let Some(body) = self.recipe.make_me_available() {
            match self.post_make_me_available(body).await {
                Ok(()) => restored += 1,
                Err(error) => tracing::warn!(%error, "makeMeAvailable again failed"),
            }
        }
        let application = self.app().url.clone();
        for request in self.recipe.standing_for(&application) {
            let what = format!("{} {}", request.method, request.url);
            let (body, url) = (request.body.clone(), request.url.clone());
            match self.core.execute(request, self.core.exec()).await {
                Ok(answer) => {
                    self.leases.made(&body, &answer, &url);
                    restored += 1;
                }
                Err(error) => {
                    tracing::warn!(request = %what, %error, "a standing request failed after the application was created again")
                }
            }
        }
        restored
    }

    /// POSTs `makeMeAvailable` (its link read from `me` when not known yet),
    /// then reads `me` again for the links it brings (reportMyActivity).
    async fn post_make_me_available(&self, body: Vec<u8>) -> Result<(), Error> {
        if self.app().hrefs.make_me_available.is_none() {
            self.refresh_me().await?;
        }
        let url = self.link_url(|hrefs| hrefs.make_me_available.clone())?;
        self.core
            .execute(
                Prepared::new(Method::POST, url).json(body),
                self.core.exec(),
            )
            .await?;
        if let Err(error) = self.refresh_me().await {
            tracing::debug!(%error, "could not read me after makeMeAvailable");
        }
        Ok(())
    }

    fn resolve(&self, target: &str) -> Result<Url, Error> {
        let base = self.app().url.clone();
        base.join(target)
            .map_err(|error| Error::InvalidRequest(format!("the URI {target:?}: {error}")))
    }

    fn link_url(&self, pick: impl Fn(&ApplicationHrefs) -> Option<String>) -> Result<Url, Error> {
        let (base, href) = self.application_link(pick)?;
        channel::join(&base, &href)
    }

    fn ended(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// POSTs reportMyActivity; learns its link from `me` first if needed.
    async fn report_my_activity(&self) -> Result<(), Error> {
        if self.app().hrefs.report_my_activity.is_none() {
            self.refresh_me().await?;
        }
        let url = self.link_url(|hrefs| hrefs.report_my_activity.clone())?;
        self.core
            .execute(Prepared::new(Method::POST, url), self.core.exec())
            .await?;
        Ok(())
    }

    /// GETs `me` and keeps its links.
    async fn refresh_me(&self) -> Result<(), Error> {
        let url = self.link_url(|hrefs| hrefs.me.clone())?;
        let response = self
            .core
            .execute(Prepared::new(Method::GET, url.clone()), self.core.exec())
            .await?;
        let me = typed::decode_me(url.as_str(), response.body())?;
        let mut app = self.app.write().unwrap_or_else(PoisonError::into_inner);
        typed::merge_me(&mut app.hrefs, &me);
        Ok(())
    }

    /// Ends the tasks and DELETEs the application.
    async fn end(&self) -> Result<(), Error> {
        if self.shutdown.send_replace(true) {
            return Ok(()); // already ended
        }
        self.operations.close(Error::SessionEnded);
        let url = self.app().url.clone();
        let exec = Exec {
            timeout: self.core.timeouts.shutdown,
            retry: RetryPolicy::NONE,
            ..self.core.exec()
        };
        match self
            .core
            .execute(Prepared::new(Method::DELETE, url), exec)
            .await
        {
            Ok(_) => Ok(()),
            // Already gone is as good as deleted.
            Err(error) if matches!(error.status().map(|s| s.as_u16()), Some(404 | 410)) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// Reports activity until the session ends, at the interval
/// [`crate::activity::report_interval`] gives from what was said so far.
async fn keep_alive(shared: Arc<Shared>, configured: Duration) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut last = configured;
    loop {
        let expiries = shared
            .inactive_expiries
            .load(std::sync::atomic::Ordering::Relaxed);
        let interval = crate::activity::report_interval(
            configured,
            shared.recipe.make_me_available().as_deref(),
            expiries,
        );
        if interval != last {
            tracing::info!(
                from = ?last,
                to = ?interval,
                inactivity_expiries = expiries,
                "keep-alive interval changed (the inactivity timeout sent, or the server expired the application)"
            );
            last = interval;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => return,
        }
        if shared.ended() {
            return;
        }
        let generation = shared.generation();
        match shared.report_my_activity().await {
            Ok(()) => tracing::debug!("reported activity"),
            Err(error)
                if error.is_application_gone()
                    || error.status() == Some(http::StatusCode::NOT_FOUND) =>
            {
                if let Err(failure) = shared.recover(generation, &error).await {
                    tracing::warn!(%failure, "the application is gone and could not be created again; keep-alive stops");
                    return;
                }
            }
            Err(error) => tracing::warn!(%error, "keep-alive failed"),
        }
    }
}

/// Extends each subscription the server keeps for a time before it lapses
/// ([`crate::leases`]), until the session ends.
async fn keep_leases(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let next = shared.leases.next_due();
        tokio::select! {
            _ = async {
                match next {
                    Some(due) => tokio::time::sleep_until(due).await,
                    None => std::future::pending().await,
                }
            } => {}
            _ = shared.leases.changed.notified() => continue,
            _ = shutdown.changed() => return,
        }
        if shared.ended() {
            return;
        }
        for lease in shared.leases.take_due(tokio::time::Instant::now()) {
            let request = Prepared::new(Method::POST, lease.href.clone()).json(lease.body());
            match shared.core.execute(request, shared.core.exec()).await {
                Ok(_) => tracing::debug!(minutes = lease.minutes, "extended a subscription"),
                Err(error)
                    if matches!(
                        error.status(),
                        Some(http::StatusCode::NOT_FOUND | http::StatusCode::GONE)
                    ) =>
                {
                    tracing::info!(%error, "a subscription is gone: it is no longer extended");
                    shared.leases.forget(&lease.href);
                }
                Err(error) => {
                    tracing::warn!(%error, "extending a subscription failed; tried again at its next time")
                }
            }
        }
    }
}

/// Ends the session when the last [`Session`] clone is dropped.
struct Guard {
    shared: Arc<Shared>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.shared.ended() {
            return;
        }
        // Dropped without `sign_out`: delete the application in the
        // background if a runtime is there to do it, within the shutdown
        // timeout; otherwise it expires on the server by itself.
        let shared = Arc::clone(&self.shared);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = shared.end().await {
                        tracing::warn!(%error, "deleting the application failed");
                    }
                });
            }
            Err(_) => {
                shared.shutdown.send_replace(true);
            }
        }
    }
}

/// A signed-in UCWA application.
///
/// Cheap to clone; the application is deleted by [`Session::sign_out`], or in
/// the background when the last clone is dropped.
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
    _guard: Arc<Guard>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("application", &self.shared.app().url.as_str())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A builder for `sign_in_address` (`user@contoso.com`, `sip:` optional).
    pub fn builder(sign_in_address: &str) -> SessionBuilder {
        SessionBuilder::new(sign_in_address)
    }

    /// A builder from the environment, as the examples take it:
    /// `UCWA_USER` (the sign-in address) and `UCWA_PASSWORD`, and when set
    /// `UCWA_DISCOVERY_URL` (a known root URL, e.g. `ucwa-mock serve`'s;
    /// otherwise autodiscovery) and `UCWA_USER_AGENT` (the application's
    /// `userAgent`: a transcript's, for the mock). A missing variable is
    /// [`Error::Config`] naming it.
    pub fn builder_from_env() -> Result<SessionBuilder, Error> {
        let variable = |name: &str| {
            std::env::var(name)
                .map_err(|error| Error::Config(format!("the environment variable {name}: {error}")))
        };
        let mut builder =
            Session::builder(&variable("UCWA_USER")?).password(variable("UCWA_PASSWORD")?);
        if let Ok(url) = std::env::var("UCWA_DISCOVERY_URL") {
            builder = builder.discovery_url(url);
        }
        if let Ok(user_agent) = std::env::var("UCWA_USER_AGENT") {
            builder = builder.user_agent(user_agent);
        }
        Ok(builder)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Keeps a resource read with a GET in the session's cache.
    pub(crate) fn remember_read(&self, url: &str, body: &[u8]) {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            if value.is_object() {
                let base = self.application_url();
                self.shared.cache.store(&base, url, None, value);
            }
        }
    }

    /// The application resource as the server created it (or as
    /// [`Session::refresh_application`] last read it).
    pub fn application(&self) -> Arc<Application> {
        Arc::clone(&self.shared.app().application)
    }

    /// The application's URL; relative hrefs resolve against it.
    pub fn application_url(&self) -> Url {
        self.shared.app().url.clone()
    }

    /// Resolves an href the server sent (`/ucwa/oauth/v1/...`).
    pub fn resolve(&self, href: &str) -> Result<Url, Error> {
        self.shared.resolve(href)
    }

    /// GETs the application again and keeps it.
    pub async fn refresh_application(&self) -> Result<Arc<Application>, Error> {
        let url = self.application_url();
        let response = self
            .recovering(self.shared.core.execute(
                Prepared::new(Method::GET, url.clone()),
                self.shared.core.exec(),
            ))
            .await?;
        let application = Arc::new(typed::decode_application(url.as_str(), response.body())?);
        let mut app = self
            .shared
            .app
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let previous_me = app.hrefs.clone();
        app.hrefs = typed::application_hrefs(&application);
        if app.hrefs.report_my_activity.is_none() {
            app.hrefs.report_my_activity = previous_me.report_my_activity;
        }
        app.application = Arc::clone(&application);
        Ok(application)
    }

    /// A stream of the application's events from now on, and the event
    /// channel started if it was not. Make it before starting what you want
    /// to watch: events that arrive while no stream exists are not kept
    /// (operations still see them).
    pub fn events(&self) -> EventStream {
        let stream = self
            .shared
            .channel
            .subscribe(self.shared.core.limits.event_buffer);
        self.shared.channel.start(&self.shared);
        stream
    }

    /// POSTs `makeMeAvailable` with `body` (e.g. the generated
    /// `MakeMeAvailableRequest`: `signInAs`, `supportedModalities`...),
    /// starting the event channel first as the server requires.
    pub async fn make_me_available(&self, body: &impl serde::Serialize) -> Result<(), Error> {
        self.shared.channel.start(&self.shared);
        let body = serde_json::to_vec(body)
            .map_err(|error| Error::InvalidRequest(format!("the makeMeAvailable body: {error}")))?;
        self.recovering(self.shared.post_make_me_available(body.clone()))
            .await?;
        // Made available again whenever the application is created again.
        self.shared.recipe.remember_make_me_available(body);
        Ok(())
    }

    /// POSTs `reportMyActivity` now (the session also does it every
    /// keep-alive interval).
    pub async fn report_my_activity(&self) -> Result<(), Error> {
        self.recovering(self.shared.report_my_activity()).await
    }

    /// Sends any request: the token attached, the security check, retries,
    /// the body bounded. A relative URI resolves against the application URL.
    /// 2xx and 3xx answers are returned; 4xx and 5xx are [`Error::Http`].
    /// `Accept` defaults to `application/json`.
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Error> {
        self.send_with(request, None).await
    }

    /// [`Session::send`] for an operation whose documented synchronous errors
    /// are `errors` (a generated `OPERATIONS` table's): a failure names the
    /// one it is in [`crate::HttpError::documented`].
    pub async fn send_documented(
        &self,
        request: http::Request<Vec<u8>>,
        errors: &'static [SyncError],
    ) -> Result<http::Response<Bytes>, Error> {
        self.send_with(request, Some(errors)).await
    }

    pub(crate) async fn send_with(
        &self,
        request: http::Request<Vec<u8>>,
        documented: Option<&'static [SyncError]>,
    ) -> Result<http::Response<Bytes>, Error> {
        if self.shared.ended() {
            return Err(Error::SessionEnded);
        }
        let prepared = self.prepare(request)?;
        let exec = Exec {
            documented,
            returns_redirects: true,
            ..self.shared.core.exec()
        };
        let idempotent = prepared.method != Method::POST && prepared.method != Method::PATCH;
        let again = idempotent.then(|| prepared.clone());
        let outcome = self
            .recovering(self.shared.core.execute(prepared, exec))
            .await;
        match (outcome, again) {
            // The server handed the same application back (UCWA keeps one
            // per endpointId): the request's URL is still good, and a read
            // or a PUT may be sent again, once.
            (Err(Error::ApplicationLost { cause }), Some(again))
                if self.shared.recipe.check_current(&again.url).is_ok() =>
            {
                tracing::info!(url = %again.url, %cause, "sent again to the application created again");
                self.shared.core.execute(again, exec).await
            }
            (outcome, _) => outcome,
        }
    }

    /// What `work` gives, unless it shows the application gone: then the
    /// session creates it again and the caller gets
    /// [`Error::ApplicationLost`] (or why it could not be created again).
    /// The application is read before `work` starts, so that a recovery
    /// another task made meanwhile is not made twice.
    async fn recovering<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let generation = self.shared.generation();
        match work.await {
            Err(error) if error.is_application_gone() => {
                self.shared.recover(generation, &error).await?;
                Err(Error::ApplicationLost {
                    cause: error.to_string(),
                })
            }
            outcome => outcome,
        }
    }

    /// Sends a request that sets something up on the application (a
    /// presence subscription, the contacts-and-groups subscription, a note)
    /// as [`Session::send`] does, and, once it succeeded, sends it again at
    /// the same place whenever the session creates the application again.
    /// The URL must be under the application; the same method and URL
    /// replace an earlier standing request.
    pub async fn send_standing(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Error> {
        if self.shared.ended() {
            return Err(Error::SessionEnded);
        }
        let prepared = self.prepare(request)?;
        let application = self.application_url();
        // Refused before anything is sent when it could not be restored.
        self.shared
            .recipe
            .remember_standing(&application, &prepared)?;
        self.recovering(async {
            let outcome = self
                .shared
                .core
                .execute(prepared.clone(), self.shared.core.exec())
                .await;
            match &outcome {
                Ok(answer) => self
                    .shared
                    .leases
                    .made(&prepared.body, answer, &prepared.url),
                Err(_) => self.shared.recipe.forget_standing(&application, &prepared),
            }
            outcome
        })
        .await
    }

    fn prepare(&self, request: http::Request<Vec<u8>>) -> Result<Prepared, Error> {
        let (parts, body) = request.into_parts();
        let url = self.shared.resolve(&parts.uri.to_string())?;
        self.shared.recipe.check_current(&url)?;
        let mut headers = parts.headers;
        headers.remove(AUTHORIZATION);
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static(JSON));
        }
        Ok(Prepared {
            method: parts.method,
            url,
            headers,
            body: Bytes::from(body),
        })
    }

    /// Starts an operation (startMessaging, sendMessage, addParticipant...):
    /// gives the request an `operationId` (in a JSON body, else as a query
    /// parameter; one already there is kept), tracks it before sending, and
    /// returns a handle that resolves from the event channel, which this
    /// starts if needed.
    pub async fn start_operation(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<Operation, Error> {
        self.start_with(request, None).await
    }

    /// [`Session::start_operation`], naming the documented error a failure is.
    pub(crate) async fn start_with(
        &self,
        request: http::Request<Vec<u8>>,
        documented: Option<&'static [SyncError]>,
    ) -> Result<Operation, Error> {
        if self.shared.ended() {
            return Err(Error::SessionEnded);
        }
        let mut prepared = self.prepare(request)?;
        let id = with_operation_id(&mut prepared)?;
        self.shared.channel.start(&self.shared);
        let tracking = self.shared.operations.register(&id)?;
        let exec = Exec {
            documented,
            ..self.shared.core.exec()
        };
        let response = match self
            .recovering(self.shared.core.execute(prepared, exec))
            .await
        {
            Ok(response) => response,
            Err(error) => {
                self.shared.operations.forget(&id);
                return Err(error);
            }
        };
        let (location, tracking) = if response.status() == http::StatusCode::CREATED {
            let location = location(&response)
                .map(|href| self.shared.resolve(&href))
                .transpose()?;
            if let Some(key) = location
                .as_ref()
                .and_then(|url| href_key(url, url.as_str()))
            {
                self.shared.operations.locate(&id, key);
            }
            (location, Some(tracking))
        } else {
            // Done synchronously: no operation resource to wait for.
            self.shared.operations.forget(&id);
            (None, None)
        };
        Ok(Operation::new(
            id,
            location,
            response,
            tracking,
            self.shared.core.timeouts.operation,
            &self.shared.operations,
        ))
    }

    /// Sends `requests` as `multipart/batching` POSTs to the application's
    /// `batch` link ([`crate::Limits::batch_size`] requests per batch) and
    /// returns one result per request, in order: the response, or
    /// [`Error::Http`] for a 4xx/5xx part. The outer `Err` is for a batch
    /// that failed as a whole.
    pub async fn batch(
        &self,
        requests: Vec<http::Request<Vec<u8>>>,
    ) -> Result<Vec<Result<http::Response<Bytes>, Error>>, Error> {
        if self.shared.ended() {
            return Err(Error::SessionEnded);
        }
        let batch_url = self.shared.link_url(|hrefs| hrefs.batch.clone())?;
        let prepared = requests
            .into_iter()
            .map(|request| self.prepare(request))
            .collect::<Result<Vec<_>, _>>()?;
        for request in &prepared {
            self.shared.core.policy.check_credentials(&request.url)?;
        }
        let mut results = Vec::with_capacity(prepared.len());
        for chunk in prepared.chunks(self.shared.core.limits.batch_size.max(1)) {
            let responses = self.recovering(self.send_batch(&batch_url, chunk)).await?;
            for (request, response) in chunk.iter().zip(responses) {
                results.push(crate::core::check_status(
                    &request.method,
                    &request.url,
                    response,
                    None,
                ));
            }
        }
        Ok(results)
    }

    async fn send_batch(
        &self,
        batch_url: &Url,
        chunk: &[Prepared],
    ) -> Result<Vec<http::Response<Bytes>>, Error> {
        let parts: Vec<batch::Part<'_>> = chunk
            .iter()
            .map(|request| batch::Part {
                method: &request.method,
                url: &request.url,
                headers: &request.headers,
                body: &request.body,
            })
            .collect();
        let boundary = uuid_v4();
        let body = batch::encode(&parts, &boundary);
        let mut request = Prepared::new(Method::POST, batch_url.clone());
        request
            .headers
            .insert(ACCEPT, HeaderValue::from_static("multipart/batching"));
        let content_type =
            HeaderValue::from_str(&format!("multipart/batching;boundary={boundary}"))
                .map_err(|error| Error::InvalidRequest(error.to_string()))?;
        request.headers.insert(CONTENT_TYPE, content_type);
        request.body = body.into();
        let response = self
            .shared
            .core
            .execute(request, self.shared.core.exec())
            .await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        batch::decode(
            batch_url.as_str(),
            content_type,
            response.body(),
            chunk.len(),
        )
    }

    /// Stops the event channel and keep-alive, fails pending operations, and
    /// DELETEs the application (within the shutdown timeout).
    pub async fn sign_out(self) -> Result<(), Error> {
        self.shared.end().await
    }
}

/// Puts an operation id into the request: into a JSON object body, else as
/// the `operationId` query parameter; an id already there is used.
fn with_operation_id(request: &mut Prepared) -> Result<String, Error> {
    let is_json = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("json"));
    if is_json && !request.body.is_empty() {
        let mut body: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|error| Error::InvalidRequest(format!("the JSON body: {error}")))?;
        if let Some(object) = body.as_object_mut() {
            if let Some(id) = object
                .get("operationId")
                .and_then(serde_json::Value::as_str)
            {
                return Ok(id.to_owned());
            }
            let id = uuid_v4();
            object.insert("operationId".into(), id.clone().into());
            request.body = serde_json::to_vec(&body)
                .map_err(|error| Error::InvalidRequest(error.to_string()))?
                .into();
            return Ok(id);
        }
    }
    if let Some((_, id)) = request
        .url
        .query_pairs()
        .find(|(name, _)| name.eq_ignore_ascii_case("operationId"))
    {
        return Ok(id.into_owned());
    }
    let id = uuid_v4();
    request
        .url
        .query_pairs_mut()
        .append_pair("operationId", &id);
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_addresses_give_their_domain() {
        assert_eq!(
            sign_in_domain("lenea@Contoso.com").expect("ok"),
            "contoso.com"
        );
        assert_eq!(sign_in_domain("contoso.com.").expect("ok"), "contoso.com");
        assert_eq!(
            sign_in_domain("a@b@contoso.com").expect("ok"),
            "contoso.com"
        );
        for bad in [
            "",
            "lenea@",
            "lenea@contoso.com/evil",
            "x@-bad.com",
            "x@a..b",
            "x@evil.com#",
            "x@host:8080",
            "x@0.1",
            "x@127.0.0.1",
        ] {
            assert!(sign_in_domain(bad).is_err(), "{bad}");
        }
    }

    fn prepared(content_type: Option<&str>, url: &str, body: &[u8]) -> Prepared {
        let mut request = Prepared::new(Method::POST, Url::parse(url).expect("url"));
        if let Some(content_type) = content_type {
            request.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_str(content_type).expect("header"),
            );
        }
        request.body = Bytes::copy_from_slice(body);
        request
    }

    #[test]
    fn operation_ids_go_into_json_bodies_or_the_query() {
        let mut json = prepared(
            Some("application/json"),
            "https://h/start",
            br#"{"to":"sip:lenea@contoso.com"}"#,
        );
        let id = with_operation_id(&mut json).expect("id");
        let body: serde_json::Value = serde_json::from_slice(&json.body).expect("json");
        assert_eq!(body["operationId"], id.as_str());
        assert_eq!(body["to"], "sip:lenea@contoso.com");

        let mut given = prepared(
            Some("application/json"),
            "https://h/start",
            br#"{"operationId":"mine"}"#,
        );
        assert_eq!(with_operation_id(&mut given).expect("id"), "mine");

        let mut text = prepared(
            Some("text/plain"),
            "https://h/messages?OperationContext=1",
            b"What's up?",
        );
        let id = with_operation_id(&mut text).expect("id");
        assert_eq!(
            text.url.query(),
            Some(format!("OperationContext=1&operationId={id}").as_str())
        );
        assert_eq!(text.body.as_ref(), b"What's up?");

        let mut queried = prepared(None, "https://h/x?operationId=abc", b"");
        assert_eq!(with_operation_id(&mut queried).expect("id"), "abc");
        let mut bad = prepared(Some("application/json"), "https://h/x", b"{not json");
        assert!(matches!(
            with_operation_id(&mut bad),
            Err(Error::InvalidRequest(_))
        ));
    }
}
