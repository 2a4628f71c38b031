//! The soak: one session for 24 simulated hours (tokio's paused clock, so
//! the run takes seconds), events flowing, and every fault the session
//! recovers from at seeded times: the application forgotten, a restart,
//! `409 PGetReplaced`, a `401` challenge, `403 InvalidToken`, a dropped
//! connection, `503`. It prints one line
//!
//! `soak: H simulated hours, F faults (K kinds), E events delivered, L lost, D duplicated, session alive: yes|no`
//!
//! and fails unless nothing is lost or duplicated and the session is alive.
//!
//! The pool on 127.0.0.1 numbers its events and answers each pending GET
//! with the next one when it is due (one every 5 simulated minutes) or
//! empty after its hold. A fault strikes when a pending GET arrives, after
//! its `ack` has acknowledged what came before, so that nothing is in
//! flight: an event handed out and then lost to a fault would be the
//! server's loss, not the client's. A dropped answer is sent again to the
//! retry with the same `ack`, as UCWA does.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use ucwa_client::{ChannelItem, RetryPolicy, Session, Timeouts, Token};

/// Simulated hours: 24, or `UCWA_SOAK_HOURS` (for a longer run by hand).
fn simulated() -> Duration {
    let hours = std::env::var("UCWA_SOAK_HOURS")
        .ok()
        .and_then(|hours| hours.parse::<u64>().ok())
        .filter(|hours| (1..=24 * 30).contains(hours))
        .unwrap_or(24);
    Duration::from_secs(hours * 60 * 60)
}
const EVENT_EVERY: Duration = Duration::from_secs(5 * 60);
const HOLD: Duration = Duration::from_secs(60);
const FAULTS_PER_HOUR: u64 = 2;
const SEED: u64 = 20261207;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    ApplicationExpired,
    Restart,
    PGetReplaced,
    TokenChallenged,
    TokenRefused,
    ConnectionDropped,
    ServiceUnavailable,
}

const KINDS: [Fault; 7] = [
    Fault::ApplicationExpired,
    Fault::Restart,
    Fault::PGetReplaced,
    Fault::TokenChallenged,
    Fault::TokenRefused,
    Fault::ConnectionDropped,
    Fault::ServiceUnavailable,
];

/// SplitMix64: the fault times and kinds from the seed alone.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Faults at seeded offsets from the start; every kind at least once.
fn schedule(seed: u64) -> Vec<(Duration, Fault)> {
    let mut state = seed;
    let count = simulated().as_secs() / 3600 * FAULTS_PER_HOUR;
    let mut faults: Vec<(Duration, Fault)> = (0..count)
        .map(|index| {
            let at = Duration::from_secs(splitmix(&mut state) % simulated().as_secs());
            let kind = match index {
                // The first seven: one of each kind.
                index if (index as usize) < KINDS.len() => KINDS[index as usize],
                _ => KINDS[(splitmix(&mut state) % KINDS.len() as u64) as usize],
            };
            (at, kind)
        })
        .collect();
    faults.sort();
    faults
}

#[derive(Default)]
struct PoolState {
    current: u64,
    created: u64,
    /// The token accepted now; a challenge or a refusal changes it, so the
    /// client must get the next from its source.
    token: u64,
    /// Event numbers handed to (application, ack), sent again to a retry.
    answers: BTreeMap<(u64, u64), Vec<u64>>,
    next_event: u64,
    next_due: Option<Instant>,
    schedule: Vec<(Duration, Fault)>,
    fired: Vec<Fault>,
    restart_pending_challenge: bool,
}

struct Pool {
    base: String,
    started: Instant,
    state: Mutex<PoolState>,
}

impl Pool {
    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().expect("pool state")
    }
}

fn app_json(n: u64) -> serde_json::Value {
    let app = format!("/ucwa/applications/{n}");
    json!({
        "culture": "en-US", "userAgent": "soak",
        "_links": {"self": {"href": app}, "events": {"href": format!("{app}/events?ack=1")}},
        "_embedded": {"me": {"name": "Soak", "_links": {"self": {"href": format!("{app}/me")},
            "makeMeAvailable": {"href": format!("{app}/me/makeMeAvailable")},
            "reportMyActivity": {"href": format!("{app}/me/reportMyActivity")}}}}
    })
}

fn error(status: StatusCode, code: &str, subcode: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "subcode": subcode})),
    )
        .into_response()
}

fn challenge() -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "Unauthorized", "InvalidToken");
    response.headers_mut().insert(
        "www-authenticate",
        "Bearer realm=\"soak\"".parse().expect("header"),
    );
    response
}

async fn handle(State(pool): State<Arc<Pool>>, request: Request) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let token = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer soak-"))
        .and_then(|number| number.parse::<u64>().ok());
    {
        let mut state = pool.state();
        if token != Some(state.token) {
            return challenge();
        }
        if state.restart_pending_challenge {
            state.restart_pending_challenge = false;
            state.token += 1;
            return challenge();
        }
    }
    if method == "POST" && path == "/ucwa/applications" {
        let mut state = pool.state();
        state.created += 1;
        state.current = state.created;
        return (StatusCode::CREATED, axum::Json(app_json(state.current))).into_response();
    }
    let Some(rest) = path.strip_prefix("/ucwa/applications/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (number, under) = rest.split_once('/').unwrap_or((rest, ""));
    let n: u64 = number.parse().unwrap_or(0);
    if n != pool.state().current {
        return error(StatusCode::NOT_FOUND, "NotFound", "ApplicationNotFound");
    }
    let app = format!("/ucwa/applications/{n}");
    match (method.as_str(), under) {
        ("GET", "events") => {
            let ack: u64 = query
                .strip_prefix("ack=")
                .and_then(|ack| ack.split('&').next())
                .and_then(|ack| ack.parse().ok())
                .unwrap_or(1);
            events(&pool, n, ack, &app).await
        }
        ("GET", "me") => axum::Json(app_json(n)["_embedded"]["me"].clone()).into_response(),
        ("POST", "me/makeMeAvailable") | ("POST", "me/reportMyActivity") => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("DELETE", "") => StatusCode::NO_CONTENT.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A pending GET: a fault if one is due, else the next event when due.
async fn events(pool: &Arc<Pool>, n: u64, ack: u64, app: &str) -> Response {
    let answer = |events: &[u64]| {
        let events: Vec<serde_json::Value> = events
            .iter()
            .map(|event| json!({"link": {"rel": "note", "href": format!("{app}/me/note/{event}")}, "type": "updated"}))
            .collect();
        axum::Json(json!({
            "_links": {"next": {"href": format!("{app}/events?ack={}", ack + 1)}},
            "sender": [{"rel": "me", "href": format!("{app}/me"), "events": events}]
        }))
        .into_response()
    };
    {
        let mut state = pool.state();
        // The ack acknowledges what came before: forget it.
        state
            .answers
            .retain(|(app, asked), _| *app != n || *asked >= ack);
        if let Some(events) = state.answers.get(&(n, ack)).cloned() {
            // A retry of an answer that did not arrive: the same events.
            return answer(&events);
        }
        let elapsed = pool.started.elapsed();
        if let Some(&(at, fault)) = state.schedule.first() {
            if at <= elapsed {
                state.schedule.remove(0);
                state.fired.push(fault);
                match fault {
                    Fault::ApplicationExpired => {
                        state.current = 0;
                        return error(StatusCode::NOT_FOUND, "NotFound", "ApplicationNotFound");
                    }
                    Fault::Restart => {
                        state.current = 0;
                        state.restart_pending_challenge = true;
                        return error(StatusCode::NOT_FOUND, "NotFound", "ApplicationNotFound");
                    }
                    Fault::PGetReplaced => {
                        return error(StatusCode::CONFLICT, "Conflict", "PGetReplaced")
                    }
                    Fault::TokenChallenged => {
                        state.token += 1;
                        return challenge();
                    }
                    Fault::TokenRefused => {
                        state.token += 1;
                        let mut response =
                            error(StatusCode::FORBIDDEN, "Forbidden", "InvalidToken");
                        response.headers_mut().insert(
                            "x-ms-diagnostics",
                            "28055;reason=\"expired\"".parse().expect("header"),
                        );
                        return response;
                    }
                    Fault::ServiceUnavailable => {
                        let mut response = error(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "ServiceFailure",
                            "ServiceUnavailable",
                        );
                        response
                            .headers_mut()
                            .insert("retry-after", "1".parse().expect("header"));
                        return response;
                    }
                    Fault::ConnectionDropped => {
                        // Hand out the next event, then lose the answer on the way.
                        state.next_event += 1;
                        let event = state.next_event;
                        state.answers.insert((n, ack), vec![event]);
                        let broken = futures_util::stream::once(async {
                            Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("dropped"))
                        });
                        return Response::new(Body::from_stream(broken));
                    }
                }
            }
        }
    }
    let due = {
        let mut state = pool.state();
        *state
            .next_due
            .get_or_insert_with(|| Instant::now() + EVENT_EVERY)
    };
    let now = Instant::now();
    if due > now + HOLD {
        tokio::time::sleep(HOLD).await;
        return answer(&[]);
    }
    tokio::time::sleep_until(due).await;
    let mut state = pool.state();
    if state.current != n {
        return error(StatusCode::NOT_FOUND, "NotFound", "ApplicationNotFound");
    }
    state.next_event += 1;
    let event = state.next_event;
    state.next_due = Some(due + EVENT_EVERY);
    state.answers.insert((n, ack), vec![event]);
    answer(&[event])
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[tokio::test(start_paused = true)]
async fn a_session_stays_signed_in_for_a_simulated_day_of_faults() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let pool = Arc::new(Pool {
        base: format!("http://{}", listener.local_addr().expect("address")),
        started: Instant::now(),
        state: Mutex::new(PoolState {
            schedule: schedule(SEED),
            ..PoolState::default()
        }),
    });
    let router = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&pool));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // The token service: it hands out the token the pool takes now.
    let source = {
        let pool = Arc::clone(&pool);
        ucwa_client::token_fn(move |_| {
            let number = pool.state().token;
            async move { Ok(Token::bearer(format!("soak-{number}"))) }
        })
    };
    let quick = RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(5),
    };
    let session = Session::builder("soak@contoso.com")
        .bearer_token(Token::bearer("soak-0"))
        .token_source(source)
        .applications_url(format!("{}/ucwa/applications", pool.base))
        .endpoint_id("5a5a5a5a-0000-4000-8000-000000000001")
        .timeouts(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(10),
            event_wait: HOLD + Duration::from_secs(30),
            operation: Duration::from_secs(10),
            shutdown: Duration::from_secs(5),
        })
        .retry(quick)
        .reconnect(quick)
        .keep_alive(Some(Duration::from_secs(180)))
        .sign_in()
        .await
        .expect("signs in");
    let rss_start = rss_kib();
    let mut events = session.events();
    session
        .make_me_available(&json!({"signInAs": "Online"}))
        .await
        .expect("available");
    let mut received: Vec<u64> = Vec::new();
    let mut recoveries = 0;
    let mut alive = true;
    let started = Instant::now();
    let simulated = simulated();
    while started.elapsed() < simulated {
        match tokio::time::timeout(Duration::from_secs(3600), events.next()).await {
            Ok(Some(Ok(ChannelItem::Event(event)))) => {
                let number = event
                    .href()
                    .rsplit('/')
                    .next()
                    .and_then(|number| number.parse().ok())
                    .expect("a numbered event");
                received.push(number);
            }
            Ok(Some(Ok(ChannelItem::Recovered { .. }))) => recoveries += 1,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => {
                eprintln!("the channel failed: {error}");
                alive = false;
                break;
            }
            Ok(None) | Err(_) => {
                alive = false;
                break;
            }
        }
    }
    let rss_end = rss_kib();
    let handed_out = pool.state().next_event;
    let distinct: BTreeSet<u64> = received.iter().copied().collect();
    let duplicated = received.len() - distinct.len();
    // The last event may still be on its way when the day ends.
    let lost = (1..handed_out)
        .filter(|number| !distinct.contains(number))
        .count();
    let fired = pool.state().fired.clone();
    let kinds: BTreeSet<Fault> = fired.iter().copied().collect();
    alive &= session
        .application_url()
        .as_str()
        .contains("/ucwa/applications/");
    println!(
        "soak: {} simulated hours, {} faults ({} kinds), {} events delivered, {lost} lost, {duplicated} duplicated, session alive: {}",
        started.elapsed().as_secs() / 3600,
        fired.len(),
        kinds.len(),
        received.len(),
        if alive { "yes" } else { "no" }
    );
    println!(
        "soak: {recoveries} recoveries, {} applications created, client RSS {} KiB at the start, {} KiB at the end",
        pool.state().created,
        rss_start.unwrap_or_default(),
        rss_end.unwrap_or_default()
    );
    assert!(alive, "the session ended");
    assert_eq!(lost, 0, "events lost");
    assert_eq!(duplicated, 0, "events duplicated");
    assert_eq!(
        kinds.len(),
        KINDS.len(),
        "every kind of fault struck: {fired:?}"
    );
    if let (Some(start), Some(end)) = (rss_start, rss_end) {
        assert!(
            end < start + 32 * 1024,
            "memory grew from {start} KiB to {end} KiB"
        );
    }
    session.sign_out().await.expect("signs out");
}
