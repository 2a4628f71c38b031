//! An in-process fake UCWA server on 127.0.0.1 for the client's tests:
//! discovery, the MsRtcOAuth challenge and token service, the application,
//! the event channel (scripted), batches, and scripted faults per path.
#![allow(dead_code)] // each test binary uses a part of it

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use ucwa_client::{Error, RetryPolicy, Session, SessionBuilder, Timeouts};

pub const USER: &str = "lenea@contoso.com";
pub const PASSWORD: &str = "p&ss=w0rd +secret%";
pub const APP: &str = "/ucwa/applications/1";

/// What the fake answers to one request.
#[derive(Clone)]
pub enum Reply {
    Json(u16, Value),
    Raw {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Never answers (well, after a minute).
    Stall,
    /// Sends the headers and `bytes` of the body, then breaks the connection.
    Cut(Vec<u8>),
    /// Reads the request and closes the connection without an answer.
    Drop,
}

/// Marks a response whose connection is to be closed unanswered instead.
#[derive(Clone, Copy)]
struct DropConnection;

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Raw {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn error(status: u16, code: &str, subcode: &str) -> Reply {
        Reply::Json(
            status,
            json!({"code": code, "subcode": subcode, "message": "from the fake"}),
        )
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Raw {
            status,
            headers: vec![("location", location.to_owned())],
            body: Vec::new(),
        }
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
    }
}

pub struct Fake {
    pub base: String,
    log: Mutex<Vec<Recorded>>,
    /// Scripted answers by "METHOD path", used before the default behaviour.
    script: Mutex<HashMap<String, VecDeque<Reply>>>,
    scripted: Notify,
    /// The token the fake accepts now (`None`: none, every request is 401).
    token: Mutex<Option<String>>,
    pub grants: AtomicUsize,
    /// `expires_in` of the tokens it gives.
    pub expires_in: Mutex<u64>,
    /// The token URL its challenge names.
    pub token_url: Mutex<Option<String>>,
    /// How long a P-GET with nothing scripted is held before an empty answer.
    pub hold: Mutex<Duration>,
}

impl Fake {
    /// Starts a fake on 127.0.0.1 with an ephemeral port.
    pub async fn start() -> Arc<Fake> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let fake = Arc::new(Fake {
            base,
            log: Mutex::new(Vec::new()),
            script: Mutex::new(HashMap::new()),
            scripted: Notify::new(),
            token: Mutex::new(None),
            grants: AtomicUsize::new(0),
            expires_in: Mutex::new(28_800),
            token_url: Mutex::new(None),
            hold: Mutex::new(Duration::from_secs(2)),
        });
        tokio::spawn(serve(listener, Arc::clone(&fake)));
        fake
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Queues `reply` for the next `method path` (path without query).
    pub fn push(&self, method: &str, path: &str, reply: Reply) {
        self.script
            .lock()
            .expect("script")
            .entry(format!("{method} {path}"))
            .or_default()
            .push_back(reply);
        self.scripted.notify_waiters();
    }

    /// Queues an event channel answer.
    pub fn push_events(&self, body: Value) {
        self.push("GET", &format!("{APP}/events"), Reply::Json(200, body));
    }

    pub fn log(&self) -> Vec<Recorded> {
        self.log.lock().expect("log").clone()
    }

    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Recorded> {
        self.log()
            .into_iter()
            .filter(|request| request.method.as_str() == method && request.path == path)
            .collect()
    }

    /// Forgets the current token: the next request gets a 401.
    pub fn revoke(&self) {
        *self.token.lock().expect("token") = None;
    }

    /// Accepts `token` from now on, as if the fake had issued it.
    pub fn accept(&self, token: &str) {
        *self.token.lock().expect("token") = Some(token.to_owned());
    }

    fn pop(&self, method: &Method, path: &str) -> Option<Reply> {
        self.script
            .lock()
            .expect("script")
            .get_mut(&format!("{method} {path}"))
            .and_then(VecDeque::pop_front)
    }

    fn authorized(&self, request: &Recorded) -> bool {
        let token = self.token.lock().expect("token").clone();
        match (token, request.authorization()) {
            (Some(token), Some(header)) => header == format!("Bearer {token}"),
            _ => false,
        }
    }

    fn challenge(&self) -> Response {
        let token_url = self
            .token_url
            .lock()
            .expect("token url")
            .clone()
            .unwrap_or_else(|| self.url("/WebTicket/oauthtoken"));
        let mut response = (StatusCode::UNAUTHORIZED, "<html>401</html>").into_response();
        let headers = response.headers_mut();
        headers.append(
            "www-authenticate",
            HeaderValue::from_static(r#"Bearer trusted_issuers="", client_id="00000004""#),
        );
        headers.append(
            "www-authenticate",
            HeaderValue::from_str(&format!(
                r#"MsRtcOAuth href="{token_url}",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password""#
            ))
            .expect("header"),
        );
        response
    }

    fn grant(&self, request: &Recorded) -> Response {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let ok = form.get("grant_type").map(String::as_str) == Some("password")
            && form.get("username").map(String::as_str) == Some(USER)
            && form.get("password").map(String::as_str) == Some(PASSWORD);
        if !ok {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant"})),
            )
                .into_response();
        }
        let count = self.grants.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("cwt=SECRET-TOKEN-{count}");
        *self.token.lock().expect("token") = Some(token.clone());
        let expires_in = *self.expires_in.lock().expect("expiry");
        axum::Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "ms_rtc_identityscope": "local"}))
            .into_response()
    }

    fn application(&self) -> Value {
        json!({
            "culture": "en-US", "userAgent": "tests",
            "_links": {
                "self": {"href": APP},
                "batch": {"href": format!("{APP}/batch")},
                "events": {"href": format!("{APP}/events?ack=1")}
            },
            "_embedded": {
                "me": {"name": "Lene Aaling", "uri": "sip:lenea@contoso.com",
                    "_links": {"self": {"href": format!("{APP}/me")},
                        "makeMeAvailable": {"href": format!("{APP}/me/makeMeAvailable")}},
                    "rel": "me"},
                "communication": {"supportedModalities": [],
                    "_links": {"self": {"href": format!("{APP}/communication")},
                        "startMessaging": {"href": format!("{APP}/communication/messagingInvitations")}},
                    "rel": "communication"}
            },
            "rel": "application"
        })
    }

    async fn default_reply(&self, request: &Recorded) -> Response {
        let path = request.path.as_str();
        match (request.method.as_str(), path) {
            ("GET", "/autodiscover/root") => axum::Json(json!({"_links": {
                "self": {"href": self.url("/autodiscover/root")},
                "user": {"href": self.url("/autodiscover/user")},
                "xframe": {"href": self.url("/xframe")}}}))
            .into_response(),
            ("POST", "/WebTicket/oauthtoken") => self.grant(request),
            _ if !self.authorized(request) => self.challenge(),
            ("GET", "/autodiscover/user") => axum::Json(json!({"_links": {
                "self": {"href": self.url("/autodiscover/user")},
                "applications": {"href": self.url("/ucwa/applications")}}}))
            .into_response(),
            ("POST", "/ucwa/applications") => {
                (StatusCode::CREATED, axum::Json(self.application())).into_response()
            }
            ("GET", APP) => axum::Json(self.application()).into_response(),
            ("DELETE", APP) => StatusCode::NO_CONTENT.into_response(),
            ("GET", p) if p == format!("{APP}/me") => axum::Json(json!({
                "name": "Lene Aaling",
                "_links": {"self": {"href": format!("{APP}/me")},
                    "makeMeAvailable": {"href": format!("{APP}/me/makeMeAvailable")},
                    "reportMyActivity": {"href": format!("{APP}/reportMyActivity")}},
                "rel": "me"}))
            .into_response(),
            ("POST", p)
                if p == format!("{APP}/me/makeMeAvailable")
                    || p == format!("{APP}/reportMyActivity") =>
            {
                StatusCode::NO_CONTENT.into_response()
            }
            ("GET", p) if p == format!("{APP}/events") => self.hold_events(request).await,
            ("POST", p) if p == format!("{APP}/batch") => batch_reply(request),
            _ => Reply::error(404, "NotFound", "ResourceNotFound").into_response(),
        }
    }

    /// A P-GET with nothing scripted: waits for a scripted answer, else
    /// answers empty with the same ack after the hold time.
    async fn hold_events(&self, request: &Recorded) -> Response {
        let path = format!("{APP}/events");
        let hold = *self.hold.lock().expect("hold");
        let deadline = tokio::time::Instant::now() + hold;
        loop {
            let notified = self.scripted.notified();
            if let Some(reply) = self.pop(&Method::GET, &path) {
                return reply.into_response();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let query = request.query.clone().unwrap_or_default();
                return axum::Json(
                    json!({"_links": {"next": {"href": format!("{path}?{query}")}}}),
                )
                .into_response();
            }
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => (
                StatusCode::from_u16(status).expect("status"),
                axum::Json(body),
            )
                .into_response(),
            Reply::Raw {
                status,
                headers,
                body,
            } => {
                let mut response = Response::new(Body::from(body));
                *response.status_mut() = StatusCode::from_u16(status).expect("status");
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .append(name, HeaderValue::from_str(&value).expect("header"));
                }
                response
            }
            Reply::Stall => unreachable!("handled before"),
            Reply::Drop => {
                let mut response = Response::new(Body::empty());
                response.extensions_mut().insert(DropConnection);
                response
            }
            Reply::Cut(bytes) => {
                // The first bytes go out; a moment later the connection breaks.
                let chunks = futures_util::stream::unfold(Some(bytes), |state| async move {
                    match state {
                        Some(bytes) => Some((Ok::<_, std::io::Error>(bytes), None)),
                        None => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            let cut =
                                std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut");
                            Some((Err(cut), None))
                        }
                    }
                });
                let mut response = Response::new(Body::from_stream(chunks));
                response
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static("application/json"));
                response
            }
        }
    }
}

/// Serves each connection with hyper; a reply marked [`DropConnection`]
/// makes the service fail, and hyper then closes the connection unanswered.
async fn serve(listener: tokio::net::TcpListener, fake: Arc<Fake>) {
    while let Ok((stream, _)) = listener.accept().await {
        let fake = Arc::clone(&fake);
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let fake = Arc::clone(&fake);
                async move {
                    let response = handle(State(fake), request.map(Body::new)).await;
                    if response.extensions().get::<DropConnection>().is_some() {
                        return Err(std::io::Error::other("dropped on purpose"));
                    }
                    Ok(response)
                }
            });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: body.to_vec(),
    };
    fake.log.lock().expect("log").push(recorded.clone());
    let is_token = recorded.path == "/WebTicket/oauthtoken";
    // Scripted replies apply once the request is authorized (or to the token
    // service and discovery), so a script is not eaten by a 401 round trip.
    let open = is_token
        || recorded.path.starts_with("/autodiscover/root")
        || recorded.path.starts_with("/r/");
    if open || fake.authorized(&recorded) {
        if let Some(reply) = fake.pop(&recorded.method, &recorded.path) {
            if let Reply::Stall = reply {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return StatusCode::GATEWAY_TIMEOUT.into_response();
            }
            return reply.into_response();
        }
    }
    fake.default_reply(&recorded).await
}

/// Answers each part of a batch: JSON echoing the path, or 404 for paths
/// with "missing" in them.
fn batch_reply(request: &Recorded) -> Response {
    let text = String::from_utf8_lossy(&request.body);
    let targets: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let method = words.next()?;
            let target = words.next()?;
            (matches!(method, "GET" | "POST" | "PUT" | "DELETE")
                && words.next()?.starts_with("HTTP/"))
            .then(|| target.to_owned())
        })
        .collect();
    let mut body = String::new();
    for target in &targets {
        body.push_str("--b0undary\r\nContent-Type: application/http; msgtype=response\r\n\r\n");
        if target.contains("missing") {
            body.push_str("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"code\":\"NotFound\",\"subcode\":\"ResourceNotFound\"}\r\n");
        } else {
            body.push_str(&format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n\u{feff}{{\"rel\":\"echo\",\"path\":\"{target}\"}}\r\n"
            ));
        }
    }
    body.push_str("--b0undary--\r\n");
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("multipart/batching; boundary=\"b0undary\""),
    );
    response
}

/// Timeouts and retries short enough for tests.
pub fn fast_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(3),
        event_wait: Duration::from_secs(5),
        operation: Duration::from_secs(5),
        shutdown: Duration::from_secs(2),
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    }
}

/// A builder signed in against `fake` with the test credentials.
pub fn builder(fake: &Fake) -> SessionBuilder {
    Session::builder(USER)
        .password(PASSWORD)
        .discovery_url(fake.url("/autodiscover/root"))
        .user_agent("tests")
        .timeouts(fast_timeouts())
        .retry(fast_retry())
        .reconnect(fast_retry())
        .keep_alive(None)
}

/// Runs a test body with a hard bound, so that nothing can hang.
pub async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("the test finished within 20 s")
}

/// The error of the first (only) discovery URL tried.
pub fn first_discovery_failure(error: &Error) -> &Error {
    match error {
        Error::Discovery { attempts, .. } if !attempts.is_empty() => &attempts[0].error,
        other => panic!("expected a discovery failure, got {other}"),
    }
}

/// Event channel reconnection: `attempts` tries, milliseconds apart.
pub fn quick_reconnect(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}
