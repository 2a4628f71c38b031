//! Staying signed in: the application gone (expired, the server restarted)
//! is created again and what the session set up is restored; links of the
//! old one are refused; a token the server refuses mid-session is renewed.
//!
//! `Pool` is a small UCWA pool on 127.0.0.1 that numbers its applications
//! (`/ucwa/applications/1`, `/2`, …), forgets them on demand, and sends one
//! numbered event per pending GET, so that each test can tell which
//! application a request went to and whether an event was lost or repeated.

mod common;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::{bounded, builder, fast_retry, fast_timeouts, Fake, Reply, APP};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ucwa_client::{ChannelItem, Error, Recovery, Session, Token};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: Vec<u8>,
    at: tokio::time::Instant,
}

#[derive(Default)]
struct PoolState {
    /// The application alive now (0: none).
    current: u64,
    /// Applications created.
    created: u64,
    /// Forget every new application at once (a server that keeps none).
    keeps_none: bool,
    /// Says why an application is gone: `InactiveApplicationExpired`
    /// instead of `ApplicationNotFound`.
    inactive: bool,
    log: Vec<Seen>,
    /// The event each (application, ack) carries, so that a repeated ack
    /// gets the same event again.
    events: HashMap<(u64, u64), u64>,
    next_event: u64,
    /// The next events answer says the presence subscription is about to
    /// expire (an `updated` event for it), as the server does.
    subscription_expiring: bool,
    /// Fails over with no backup: `410 CannotRedirect` for the
    /// application and for creating one.
    cannot_redirect: bool,
    /// Where the user resource's `applications` link points (default: here).
    applications_at: Option<String>,
    /// How long a pending GET is held before its event (default 20 ms; a
    /// quiet channel holds it as a real server does, for minutes).
    event_every: Option<Duration>,
}

struct Pool {
    base: String,
    state: Mutex<PoolState>,
}

impl Pool {
    async fn start() -> Arc<Pool> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let pool = Arc::new(Pool {
            base: format!("http://{}", listener.local_addr().expect("address")),
            state: Mutex::new(PoolState::default()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&pool));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        pool
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().expect("pool state")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server forgets every application (an expiry, a restart).
    fn forget_applications(&self) {
        self.state().current = 0;
    }

    fn requests(&self, method: &str, path_end: &str) -> Vec<Seen> {
        self.state()
            .log
            .iter()
            .filter(|seen| seen.method == method && seen.path.ends_with(path_end))
            .cloned()
            .collect()
    }

    fn session(&self) -> ucwa_client::SessionBuilder {
        self.builder()
            .applications_url(self.url("/ucwa/applications"))
    }

    /// A session of this pool's user, not told where applications are.
    fn builder(&self) -> ucwa_client::SessionBuilder {
        Session::builder("lenea@contoso.com")
            .bearer_token(Token::bearer("pool-token"))
            .endpoint_id("d2f4a1c6-0000-4000-8000-000000000001")
            .user_agent("recovery-tests")
            .timeouts(fast_timeouts())
            .retry(fast_retry())
            .reconnect(fast_retry())
            .keep_alive(None)
    }
}

fn application(n: u64) -> Value {
    let app = format!("/ucwa/applications/{n}");
    json!({
        "culture": "en-US", "userAgent": "recovery-tests",
        "_links": {"self": {"href": app}, "events": {"href": format!("{app}/events?ack=1")}},
        "_embedded": {
            "me": {"name": "Lenea", "_links": {"self": {"href": format!("{app}/me")},
                "makeMeAvailable": {"href": format!("{app}/me/makeMeAvailable")}}},
            "people": {"_links": {"self": {"href": format!("{app}/people")},
                "presenceSubscriptions": {"href": format!("{app}/people/presenceSubscriptions")}}},
            "communication": {"_links": {"self": {"href": format!("{app}/communication")},
                "startMessaging": {"href": format!("{app}/communication/messagingInvitations")}}}
        }
    })
}

fn gone(inactive: bool) -> Response {
    let subcode = match inactive {
        true => "InactiveApplicationExpired",
        false => "ApplicationNotFound",
    };
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"code": "NotFound", "subcode": subcode})),
    )
        .into_response()
}

async fn handle(State(pool): State<Arc<Pool>>, request: Request) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map(|bytes| bytes.to_vec())
        .unwrap_or_default();
    pool.state().log.push(Seen {
        method: method.clone(),
        path: path.clone(),
        body,
        at: tokio::time::Instant::now(),
    });
    match (method.as_str(), path.as_str()) {
        ("GET", "/autodiscover/root") => {
            return axum::Json(
                json!({"_links": {"user": {"href": pool.url("/autodiscover/user")}}}),
            )
            .into_response()
        }
        ("GET", "/autodiscover/user") => {
            let applications = pool
                .state()
                .applications_at
                .clone()
                .unwrap_or_else(|| pool.url("/ucwa/applications"));
            return axum::Json(json!({"_links": {"applications": {"href": applications}}}))
                .into_response();
        }
        _ => {}
    }
    if pool.state().cannot_redirect && path.starts_with("/ucwa/applications") {
        return (
            StatusCode::GONE,
            axum::Json(json!({"code": "Gone", "subcode": "CannotRedirect",
                "message": "Cannot redirect since there is no back up pool configured."})),
        )
            .into_response();
    }
    if method == "POST" && path == "/ucwa/applications" {
        let mut state = pool.state();
        state.created += 1;
        let n = state.created;
        state.current = if state.keeps_none { 0 } else { n };
        return (StatusCode::CREATED, axum::Json(application(n))).into_response();
    }
    let Some(rest) = path.strip_prefix("/ucwa/applications/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (number, under) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(n) = number.parse::<u64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let inactive = pool.state().inactive;
    if n != pool.state().current {
        return gone(inactive);
    }
    let app = format!("/ucwa/applications/{n}");
    match (method.as_str(), under) {
        ("GET", "events") => {
            let hold = pool.state().event_every;
            tokio::time::sleep(hold.unwrap_or(Duration::from_millis(20))).await;
            let ack = query
                .strip_prefix("ack=")
                .and_then(|ack| ack.split('&').next())
                .and_then(|ack| ack.parse::<u64>().ok())
                .unwrap_or(1);
            let mut state = pool.state();
            if state.current != n {
                return gone(state.inactive); // forgotten while the GET was held
            }
            if std::mem::take(&mut state.subscription_expiring) {
                return axum::Json(json!({
                    "_links": {"next": {"href": format!("{app}/events?ack={}", ack + 1)}},
                    "sender": [{"rel": "people", "href": format!("{app}/people"), "events": [
                        {"link": {"rel": "presenceSubscription", "href": format!("{app}/people/presenceSubscriptions/1")}, "type": "updated"}
                    ]}]
                }))
                .into_response();
            }
            let next_event = state.next_event + 1;
            let event = *state.events.entry((n, ack)).or_insert(next_event);
            state.next_event = state.next_event.max(event);
            axum::Json(json!({
                "_links": {"next": {"href": format!("{app}/events?ack={}", ack + 1)}},
                "sender": [{"rel": "people", "href": format!("{app}/people"), "events": [
                    {"link": {"rel": "contact", "href": format!("{app}/people/event{event}")}, "type": "updated"}
                ]}]
            }))
            .into_response()
        }
        ("GET", "me") => axum::Json(json!({"name": "Lenea", "_links": {
            "self": {"href": format!("{app}/me")},
            "makeMeAvailable": {"href": format!("{app}/me/makeMeAvailable")},
            "reportMyActivity": {"href": format!("{app}/me/reportMyActivity")}}}))
        .into_response(),
        ("POST", "me/makeMeAvailable") | ("POST", "me/reportMyActivity") => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", "people/presenceSubscriptions") => (
            StatusCode::CREATED,
            axum::Json(json!({"duration": 30, "_links": {"self": {"href": format!("{app}/people/presenceSubscriptions/1")}}})),
        )
            .into_response(),
        // Extending the subscription.
        ("POST", "people/presenceSubscriptions/1") => StatusCode::NO_CONTENT.into_response(),
        ("POST", "communication/messagingInvitations") => {
            let mut response = StatusCode::CREATED.into_response();
            response.headers_mut().insert(
                "location",
                format!("{app}/communication/messagingInvitations/7")
                    .parse()
                    .expect("header"),
            );
            response
        }
        ("GET", "people") => axum::Json(json!({"_links": {"self": {"href": format!("{app}/people")}}}))
            .into_response(),
        ("DELETE", "") => StatusCode::NO_CONTENT.into_response(),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .expect("response"),
    }
}

/// The event numbers of `items`, by the application that sent each.
fn event_numbers(items: &[ChannelItem]) -> Vec<(u64, u64)> {
    items
        .iter()
        .filter_map(|item| match item {
            ChannelItem::Event(event) => {
                let href = event.href();
                let rest = href.strip_prefix("/ucwa/applications/")?;
                let (app, event) = rest.split_once("/people/event")?;
                Some((app.parse().ok()?, event.parse().ok()?))
            }
            _ => None,
        })
        .collect()
}

fn subscription_request(session: &Session) -> http::Request<Vec<u8>> {
    let url = session
        .resolve(&format!(
            "{}/people/presenceSubscriptions",
            session.application_url().path()
        ))
        .expect("url");
    http::Request::post(url.as_str())
        .header("content-type", "application/json")
        .body(br#"{"duration":30,"uris":["sip:bob@contoso.com"]}"#.to_vec())
        .expect("request")
}

#[tokio::test]
async fn an_application_gone_is_created_again_with_what_the_session_set_up() {
    bounded(async {
        let pool = Pool::start().await;
        let session = pool.session().sign_in().await.expect("signs in");
        let mut events = session.events();
        session
            .make_me_available(&json!({"signInAs": "Online", "supportedModalities": ["Messaging"]}))
            .await
            .expect("available");
        session
            .send_standing(subscription_request(&session))
            .await
            .expect("subscribed");
        let mut items = Vec::new();
        while event_numbers(&items).len() < 3 {
            items.push(events.next().await.expect("an item").expect("no error"));
        }
        pool.forget_applications();
        let (cause, application, restored) = loop {
            match events.next().await.expect("an item").expect("no error") {
                ChannelItem::Recovered {
                    what: Recovery::ApplicationRecreated { cause, application },
                    restored,
                    ..
                } => break (cause, application, restored),
                other => items.push(other),
            }
        };
        assert!(cause.contains("ApplicationNotFound"), "{cause}");
        assert_eq!(application.path(), "/ucwa/applications/2");
        assert_eq!(session.application_url().path(), "/ucwa/applications/2");
        assert_eq!(restored, 2, "makeMeAvailable and the subscription");
        // The same application request, so the same endpoint.
        let creations = pool.requests("POST", "/ucwa/applications");
        assert_eq!(creations.len(), 2);
        assert_eq!(creations[0].body, creations[1].body);
        // Set up again under the new application, with the same bodies.
        for (what, path) in [
            ("makeMeAvailable", "/me/makeMeAvailable"),
            ("the subscription", "/people/presenceSubscriptions"),
        ] {
            let sent = pool.requests("POST", path);
            assert_eq!(sent.len(), 2, "{what}: {sent:?}");
            assert!(sent[0].path.starts_with("/ucwa/applications/1/"), "{what}");
            assert!(sent[1].path.starts_with("/ucwa/applications/2/"), "{what}");
            assert_eq!(sent[0].body, sent[1].body, "{what}");
        }
        // Events flow from the new application; none twice, none skipped.
        while !event_numbers(&items).iter().any(|(app, _)| *app == 2) {
            items.push(events.next().await.expect("an item").expect("no error"));
        }
        let numbers = event_numbers(&items);
        for app in [1, 2] {
            let of_app: Vec<u64> = numbers
                .iter()
                .filter(|(from, _)| *from == app)
                .map(|(_, event)| *event)
                .collect();
            assert!(
                of_app.windows(2).all(|pair| pair[1] == pair[0] + 1),
                "application {app}: {of_app:?}"
            );
        }
        // Every pending GET after the recovery went to the new application.
        let gets = pool.requests("GET", "/events");
        let first_new = gets
            .iter()
            .position(|seen| seen.path.starts_with("/ucwa/applications/2/"))
            .expect("a GET on the new application");
        assert!(gets[first_new..]
            .iter()
            .all(|seen| seen.path.starts_with("/ucwa/applications/2/")));
        session.sign_out().await.expect("signs out");
    })
    .await;
}

#[tokio::test]
async fn links_of_the_old_application_are_refused_and_the_new_ones_work() {
    bounded(async {
        let pool = Pool::start().await;
        let session = pool.session().sign_in().await.expect("signs in");
        let old_people = session.resolve("/ucwa/applications/1/people").expect("url");
        pool.forget_applications();
        // The request that finds it gone recovers it and says so.
        let error = session
            .send(
                http::Request::get(old_people.as_str())
                    .body(Vec::new())
                    .expect("request"),
            )
            .await
            .expect_err("gone");
        assert!(matches!(error, Error::ApplicationLost { .. }), "{error}");
        assert_eq!(session.application_url().path(), "/ucwa/applications/2");
        let sent_before = pool.state().log.len();
        let error = session
            .send(
                http::Request::get(old_people.as_str())
                    .body(Vec::new())
                    .expect("request"),
            )
            .await
            .expect_err("stale");
        assert!(matches!(error, Error::StaleLink { .. }), "{error}");
        assert_eq!(
            pool.state().log.len(),
            sent_before,
            "nothing sent to a dead href"
        );
        let response = session
            .send(
                http::Request::get("/ucwa/applications/2/people")
                    .body(Vec::new())
                    .expect("request"),
            )
            .await
            .expect("the new application's link works");
        assert_eq!(response.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn operations_pending_when_the_application_goes_fail_with_the_cause() {
    bounded(async {
        let pool = Pool::start().await;
        let session = pool.session().sign_in().await.expect("signs in");
        let mut events = session.events();
        let request =
            http::Request::post("/ucwa/applications/1/communication/messagingInvitations")
                .header("content-type", "application/json")
                .body(br#"{"to":"sip:bob@contoso.com"}"#.to_vec())
                .expect("request");
        let operation = session.start_operation(request).await.expect("started");
        pool.forget_applications();
        let error = operation
            .completed()
            .await
            .expect_err("lost with its application");
        match &error {
            Error::ApplicationLost { cause } => {
                assert!(cause.contains("ApplicationNotFound"), "{cause}")
            }
            other => panic!("expected ApplicationLost, got {other}"),
        }
        // The session itself goes on.
        loop {
            if let ChannelItem::Recovered { restored, .. } =
                events.next().await.expect("an item").expect("no error")
            {
                assert_eq!(restored, 0, "nothing was set up");
                break;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_server_that_keeps_no_application_ends_the_session_after_bounded_attempts() {
    bounded(async {
        let pool = Pool::start().await;
        let session = pool.session().sign_in().await.expect("signs in");
        pool.state().keeps_none = true;
        pool.forget_applications();
        let mut events = session.events();
        let ended = loop {
            match events.next().await.expect("an item") {
                Ok(_) => continue,
                Err(error) => break error,
            }
        };
        assert!(
            matches!(&ended, Error::ChannelClosed { reason } if reason.contains("could not be created again") || reason.contains("keeps none")),
            "{ended}"
        );
        let attempts = fast_retry().attempts as usize;
        let creations = pool.requests("POST", "/ucwa/applications").len();
        assert!(
            creations <= 1 + attempts,
            "{creations} creations for {attempts} recoveries allowed"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_mid_session_is_renewed_and_an_idempotent_request_sent_again() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let grants = fake.grants.load(std::sync::atomic::Ordering::SeqCst);
        let people = format!("{APP}/me");
        fake.push(
            "GET",
            &people,
            Reply::error(403, "Forbidden", "InvalidToken"),
        );
        let response = session
            .send(
                http::Request::get(people.as_str())
                    .body(Vec::new())
                    .expect("request"),
            )
            .await
            .expect("sent again with a new token");
        assert_eq!(response.status(), 200);
        assert_eq!(
            fake.grants.load(std::sync::atomic::Ordering::SeqCst),
            grants + 1,
            "one new token"
        );
        let sent = fake.requests_to("GET", &people);
        assert_eq!(sent.len(), 2);
        assert_ne!(sent[0].authorization(), sent[1].authorization());
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_on_a_post_renews_it_but_does_not_repeat_the_post() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let grants = fake.grants.load(std::sync::atomic::Ordering::SeqCst);
        let start = format!("{APP}/communication/messagingInvitations");
        fake.push(
            "POST",
            &start,
            Reply::Raw {
                status: 403,
                headers: vec![("x-ms-diagnostics", "28055;reason=\"Token expired\"".into())],
                body: Vec::new(),
            },
        );
        let request = http::Request::post(start.as_str())
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .expect("request");
        let error = session
            .start_operation(request)
            .await
            .expect_err("the POST is not repeated");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(403), "{error}");
        assert_eq!(
            error.http().and_then(|http| http.diagnostics.as_deref()),
            Some("28055;reason=\"Token expired\"")
        );
        assert_eq!(fake.requests_to("POST", &start).len(), 1);
        assert_eq!(
            fake.grants.load(std::sync::atomic::Ordering::SeqCst),
            grants + 1,
            "the token was renewed for what follows"
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_inactivity_expiry_makes_keep_alive_come_sooner() {
    let pool = Pool::start().await;
    let session = pool
        .session()
        .keep_alive(Some(Duration::from_secs(100)))
        .sign_in()
        .await
        .expect("signs in");
    let start = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(150)).await;
    {
        let mut state = pool.state();
        state.inactive = true;
        state.current = 0;
    }
    tokio::time::sleep(Duration::from_secs(300)).await;
    let activity: Vec<(String, u64)> = pool
        .requests("POST", "/me/reportMyActivity")
        .into_iter()
        .map(|seen| (seen.path, seen.at.duration_since(start).as_secs()))
        .collect();
    // 100 s on the first application; the one at 200 s finds it expired;
    // then every 50 s on the new one.
    let on_new: Vec<u64> = activity
        .iter()
        .filter(|(path, _)| path.starts_with("/ucwa/applications/2/"))
        .map(|(_, at)| *at)
        .collect();
    assert!(
        activity
            .iter()
            .any(|(path, at)| path.starts_with("/ucwa/applications/1/") && *at == 100),
        "{activity:?}"
    );
    assert!(on_new.len() >= 4, "{activity:?}");
    assert!(
        on_new.windows(2).all(|pair| pair[1] - pair[0] == 50),
        "{activity:?}"
    );
    drop(session);
}

#[tokio::test(start_paused = true)]
async fn keep_alive_comes_before_the_inactivity_timeout_make_me_available_sent() {
    let pool = Pool::start().await;
    pool.state().event_every = Some(Duration::from_secs(60));
    let session = pool
        .session()
        .keep_alive(Some(Duration::from_secs(180)))
        .sign_in()
        .await
        .expect("signs in");
    let start = tokio::time::Instant::now();
    // The first report is due at 180 s; makeMeAvailable at 10 s says the
    // user goes inactive after two minutes, so the ones after come every
    // 96 s (four fifths of it).
    tokio::time::sleep(Duration::from_secs(10)).await;
    session
        .make_me_available(&json!({"signInAs": "Online", "inactiveTimeout": "00:02:00"}))
        .await
        .expect("available");
    tokio::time::sleep(Duration::from_secs(500)).await;
    let at: Vec<u64> = pool
        .requests("POST", "/me/reportMyActivity")
        .into_iter()
        .map(|seen| seen.at.duration_since(start).as_secs())
        .collect();
    assert_eq!(at, [180, 276, 372, 468], "reports at (s)");
    drop(session);
}

#[tokio::test]
async fn each_discovery_hop_asks_for_its_own_token_under_the_same_check() {
    bounded(async {
        // Two pools (two origins): the first's user resource, once signed
        // in there, sends the client on to the second's, which asks for a
        // token of its own, as Skype for Business Online's webdir hops do.
        let first = Fake::start().await;
        let second = Fake::start().await;
        let hop = Reply::Json(
            200,
            json!({"_links": {"redirect": {"href": second.url("/autodiscover/root")}}}),
        );
        first.accept("cwt=FIRST-POOL");
        let session = builder(&first)
            .bearer_token(Token::bearer("cwt=FIRST-POOL"))
            .password(common::PASSWORD)
            .sign_in();
        first.push("GET", "/autodiscover/user", hop);
        let session = session.await.expect("signs in at the second pool");
        assert!(
            session.application_url().as_str().starts_with(&second.base),
            "{}",
            session.application_url()
        );
        let second_grants = second.grants.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(second_grants, 1, "the second pool's own token");
        assert_eq!(
            first.grants.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the first pool's token was not asked again"
        );
        // A token given up front goes to any trusted origin that issued
        // none (README); the second pool refused it with its challenge, and
        // from then on got only its own.
        let log = second.log();
        let own = log
            .iter()
            .position(|seen| {
                seen.authorization()
                    .is_some_and(|auth| auth.contains("SECRET-TOKEN"))
            })
            .expect("the second pool's token used");
        assert!(log[own..]
            .iter()
            .filter(|seen| seen.path != "/WebTicket/oauthtoken")
            .all(|seen| seen
                .authorization()
                .is_some_and(|auth| auth.contains("SECRET-TOKEN"))));
    })
    .await;
}

#[tokio::test]
async fn another_reader_of_the_channel_gets_backoff_not_a_storm() {
    bounded(async {
        // Another process holds this application's pending GET: every one
        // of ours is released with 409 PGetReplaced.
        let fake = Fake::start().await;
        for _ in 0..20 {
            fake.push(
                "GET",
                &format!("{APP}/events"),
                Reply::error(409, "Conflict", "PGetReplaced"),
            );
        }
        let session = builder(&fake)
            .reconnect(common::quick_reconnect(4))
            .sign_in()
            .await
            .expect("signs in");
        let mut events = session.events();
        let ended = loop {
            match events.next().await.expect("an item") {
                Ok(_) => continue,
                Err(error) => break error,
            }
        };
        assert!(
            matches!(&ended, Error::ChannelClosed { reason } if reason.contains("PGetReplaced")),
            "{ended}"
        );
        let sent = fake.requests_to("GET", &format!("{APP}/events")).len();
        assert_eq!(
            sent, 4,
            "one pending GET per reconnect attempt, with backoff"
        );
        // The same ack each time: nothing was skipped.
        let queries: BTreeSet<Option<String>> = fake
            .requests_to("GET", &format!("{APP}/events"))
            .into_iter()
            .map(|seen| seen.query)
            .collect();
        assert_eq!(queries.len(), 1, "{queries:?}");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_subscription_is_extended_before_it_lapses_and_when_the_server_says_it_expires() {
    let pool = Pool::start().await;
    let session = pool
        .session()
        .keep_alive(None)
        .sign_in()
        .await
        .expect("signs in");
    let start = tokio::time::Instant::now();
    session
        .send_standing(subscription_request(&session))
        .await
        .expect("subscribed");
    let extensions = |pool: &Pool| -> Vec<(String, u64, String)> {
        pool.requests("POST", "/people/presenceSubscriptions/1")
            .into_iter()
            .map(|seen| {
                let at = seen.at.duration_since(start).as_secs();
                (
                    seen.path,
                    at,
                    String::from_utf8_lossy(&seen.body).into_owned(),
                )
            })
            .collect()
    };
    // Asked for 30 minutes: extended at 24, 48, ... by the same 30.
    tokio::time::sleep(Duration::from_secs(50 * 60)).await;
    let seen = extensions(&pool);
    assert_eq!(
        seen.iter().map(|(_, at, _)| *at / 60).collect::<Vec<_>>(),
        [24, 48],
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|(path, _, body)| path.starts_with("/ucwa/applications/1/")
                && body == r#"{"duration":30}"#),
        "{seen:?}"
    );

    // The server says it is about to expire: extended at once.
    pool.state().subscription_expiring = true;
    let mut events = session.events();
    let item = tokio::time::timeout(Duration::from_secs(5), events.next()).await;
    assert!(
        matches!(item, Ok(Some(Ok(ChannelItem::Event(ref event)))) if event.href().ends_with("/presenceSubscriptions/1")),
        "{item:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let now = tokio::time::Instant::now().duration_since(start).as_secs();
    let seen = extensions(&pool);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[2].1 >= 50 * 60 && seen[2].1 <= now, "{seen:?}");
    drop(events);
    drop(session);
}

#[tokio::test]
async fn a_pool_that_cannot_take_the_application_back_sends_the_session_where_discovery_leads() {
    bounded(async {
        let first = Pool::start().await;
        let second = Pool::start().await;
        let session = first
            .builder()
            .discovery_url(first.url("/autodiscover/root"))
            .sign_in()
            .await
            .expect("signs in at the first pool");
        assert!(session.application_url().as_str().starts_with(&first.base));
        let mut events = session.events();
        session
            .send_standing(subscription_request(&session))
            .await
            .expect("subscribed");

        // The first pool fails over with no backup; the user is homed on
        // the second now, as discovery says.
        {
            let mut state = first.state();
            state.cannot_redirect = true;
            state.applications_at = Some(second.url("/ucwa/applications"));
        }
        let recovered = loop {
            let item = tokio::time::timeout(Duration::from_secs(10), events.next())
                .await
                .expect("an item in time")
                .expect("the stream goes on")
                .expect("the channel stays up");
            if let ChannelItem::Recovered { what, restored, .. } = item {
                break (what, restored);
            }
        };
        let (Recovery::ApplicationRecreated { cause, application }, restored) = recovered else {
            panic!("{recovered:?}");
        };
        assert!(cause.contains("CannotRedirect"), "{cause}");
        assert!(
            application.as_str().starts_with(&second.base),
            "{application}"
        );
        assert_eq!(session.application_url(), application);
        assert_eq!(
            restored, 1,
            "the subscription made again on the second pool"
        );
        assert_eq!(
            second
                .requests("POST", "/people/presenceSubscriptions")
                .len(),
            1
        );
        assert_eq!(
            first.requests("GET", "/autodiscover/user").len(),
            2,
            "discovered again once"
        );
        drop(events);
        session
            .sign_out()
            .await
            .expect("signs out at the second pool");
        assert_eq!(second.requests("DELETE", "/ucwa/applications/1").len(), 1);
    })
    .await;
}
