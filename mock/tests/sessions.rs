//! Session mode: each client that signs in gets its own token and its own
//! replay (cursor, learned values, event channel, acks); sessions end on
//! DELETE of the application or when idle, and are capped; a repeated `ack`
//! gets the same events again, also after an injected lost answer.

mod common;

use common::{client, config, fixture, owned_steps, url_for};
use serde_json::{json, Value};
use std::time::Duration;
use ucwa_mock::{Body, Error, MockConfig, MockServer, SessionConfig, Step, Transcript};

/// The steps of `sign_in_and_im.md`, by index.
const ROOT: usize = 0;
const USER: usize = 1;
const TOKEN: usize = 2;
const APPLICATIONS: usize = 3;
const START_MESSAGING: usize = 4;
const SEND_MESSAGE: usize = 6;
const EVENTS: &str = "/ucwa/oauth/v1/applications/7/events";
const APPLICATION: &str = "/ucwa/oauth/v1/applications/7";

async fn start(sessions: SessionConfig) -> (MockServer, Vec<Step>) {
    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let mock = MockServer::start(
        transcript,
        MockConfig {
            sessions: Some(sessions),
            ..config()
        },
    )
    .await
    .unwrap();
    let steps = owned_steps(&mock)
        .into_iter()
        .map(|(_, step)| step)
        .collect();
    (mock, steps)
}

/// Sends a documented request with `token` instead of the documented
/// `Authorization`, and `body` instead of the documented body when given.
async fn send(
    mock: &MockServer,
    step: &Step,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let request = step.request.as_ref().expect("a documented request");
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
    let mut builder = client().request(method, url_for(mock, request));
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("content-type") {
            builder = builder.header(name, value);
        }
    }
    if let Some(token) = token {
        builder = builder.header("Authorization", format!("Bearer {token}"));
    }
    let bytes = match body {
        Some(body) => body.to_string().into_bytes(),
        None => request.body.to_bytes(),
    };
    if !bytes.is_empty() {
        builder = builder.body(bytes);
    }
    builder.send().await.expect("the mock answers")
}

/// The documented JSON body of a step with `changes` merged in.
fn body_with(step: &Step, changes: Value) -> Value {
    let Some(Body::Json(Value::Object(mut members))) =
        step.request.as_ref().map(|request| request.body.clone())
    else {
        panic!("a JSON request body");
    };
    members.extend(changes.as_object().unwrap().clone());
    Value::Object(members)
}

async fn json(answer: reqwest::Response) -> Value {
    let bytes = answer.bytes().await.unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

/// Discovery and the challenge (anonymous), then a token of its own.
async fn sign_in(mock: &MockServer, steps: &[Step]) -> String {
    assert_eq!(send(mock, &steps[ROOT], None, None).await.status(), 200);
    let challenge = send(mock, &steps[USER], None, None).await;
    assert_eq!(challenge.status(), 401);
    assert!(challenge.headers().contains_key("www-authenticate"));
    let granted = send(mock, &steps[TOKEN], None, None).await;
    assert_eq!(granted.status(), 200);
    let token = json(granted).await["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    assert!(token.starts_with("mock-session-"), "{token}");
    token
}

/// A pending GET with `token`; a future of its own, so that it can be held in a task.
fn pending_get(
    mock: &MockServer,
    token: &str,
    ack: u32,
) -> impl std::future::Future<Output = reqwest::Response> + Send + 'static {
    let request = client()
        .get(format!("{}{EVENTS}?ack={ack}", mock.hosts()[1].base_url))
        .header("Authorization", format!("Bearer {token}"));
    async move { request.send().await.expect("the mock answers") }
}

/// The `operationId` of the embedded invitation in an events answer.
fn operation_id(events: &Value) -> &str {
    events["sender"][0]["events"][0]["_embedded"]["messagingInvitation"]["operationId"]
        .as_str()
        .expect("an operationId")
}

#[tokio::test]
async fn each_signed_in_client_gets_its_own_token_replay_and_learned_values() {
    let (mock, steps) = start(SessionConfig::default()).await;
    assert_eq!(mock.hosts()[1].authority, "pool.example.com");
    let alice = sign_in(&mock, &steps).await;
    let bob = sign_in(&mock, &steps).await;
    assert_ne!(alice, bob);
    // Interleaved: each session is at its own step.
    for (token, endpoint) in [(&alice, "e-alice"), (&bob, "e-bob")] {
        let body = body_with(&steps[APPLICATIONS], json!({"endpointId": endpoint}));
        let created = send(&mock, &steps[APPLICATIONS], Some(token), Some(body)).await;
        assert_eq!(created.status(), 201);
    }
    let held = tokio::spawn(pending_get(&mock, &alice, 1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!held.is_finished(), "alice's event is not due yet");
    for (token, operation) in [(&bob, "op-bob"), (&alice, "op-alice")] {
        let body = body_with(&steps[START_MESSAGING], json!({"operationId": operation}));
        let started = send(&mock, &steps[START_MESSAGING], Some(token), Some(body)).await;
        assert_eq!(started.status(), 201);
    }
    let alice_events = json(
        tokio::time::timeout(Duration::from_secs(3), held)
            .await
            .expect("released")
            .unwrap(),
    )
    .await;
    assert_eq!(operation_id(&alice_events), "op-alice");
    let bob_events = json(pending_get(&mock, &bob, 1).await).await;
    assert_eq!(operation_id(&bob_events), "op-bob");
    // A request out of order is a mismatch in that session only.
    let early = send(&mock, &steps[APPLICATIONS], Some(&alice), None).await;
    assert_eq!(early.status(), 400);
    assert_eq!(mock.mismatches().len(), 1);
    let sent = send(&mock, &steps[SEND_MESSAGE], Some(&bob), None).await;
    assert_eq!(sent.status(), 201);
    // A token nobody issued gets the documented challenge.
    let stranger = send(&mock, &steps[SEND_MESSAGE], Some("cwt=forged"), None).await;
    assert_eq!(stranger.status(), 401);
    assert!(stranger.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(&mock.hosts()[1].base_url));
    let counts = mock.session_counts();
    assert_eq!((counts.open, counts.started), (2, 2));
    mock.shutdown().await;
}

#[tokio::test]
async fn deleting_the_application_ends_the_session_and_its_pending_get() {
    let (mock, steps) = start(SessionConfig::default()).await;
    let token = sign_in(&mock, &steps).await;
    let held = tokio::spawn(pending_get(&mock, &token, 1));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let deleted = client()
        .delete(format!("{}{APPLICATION}", mock.hosts()[1].base_url))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let released = tokio::time::timeout(Duration::from_secs(2), held)
        .await
        .expect("released at once")
        .unwrap();
    assert_eq!(released.status(), 404);
    assert_eq!(json(released).await["subcode"], "ApplicationNotFound");
    assert_eq!(pending_get(&mock, &token, 1).await.status(), 401);
    let counts = mock.session_counts();
    assert_eq!((counts.open, counts.started, counts.deleted), (0, 1, 1));
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    mock.shutdown().await;
}

#[tokio::test]
async fn sessions_are_capped_and_idle_ones_are_freed() {
    let (mock, steps) = start(SessionConfig {
        max_sessions: 2,
        idle_timeout: Duration::from_millis(300),
        ..SessionConfig::default()
    })
    .await;
    let first = sign_in(&mock, &steps).await;
    sign_in(&mock, &steps).await;
    let refused = send(&mock, &steps[TOKEN], None, None).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(json(refused).await["subcode"], "TooManySessions");
    // Nobody asks anything: both expire, and there is room again.
    let mut counts = mock.session_counts();
    for _ in 0..100 {
        counts = mock.session_counts();
        if counts.expired == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!((counts.open, counts.expired, counts.refused), (0, 2, 1));
    assert_eq!(pending_get(&mock, &first, 1).await.status(), 401);
    sign_in(&mock, &steps).await;
    assert_eq!(mock.session_counts().open, 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_repeated_ack_gets_the_same_events_again_also_after_a_lost_answer() {
    let (mock, steps) = start(SessionConfig {
        lose_every_nth_event_answer: 1,
        ..SessionConfig::default()
    })
    .await;
    let token = sign_in(&mock, &steps).await;
    for step in [APPLICATIONS, START_MESSAGING] {
        assert_eq!(
            send(&mock, &steps[step], Some(&token), None).await.status(),
            201
        );
    }
    let lost = pending_get(&mock, &token, 1).await;
    assert_eq!(lost.status(), 503);
    let again = json(pending_get(&mock, &token, 1).await).await;
    assert_eq!(again["_links"]["next"]["href"], format!("{EVENTS}?ack=2"));
    assert!(operation_id(&again).contains('-'));
    let once_more = json(pending_get(&mock, &token, 1).await).await;
    assert_eq!(once_more, again, "still not acknowledged");
    assert_eq!(
        send(&mock, &steps[SEND_MESSAGE], Some(&token), None)
            .await
            .status(),
        201
    );
    // ack=2 acknowledges the first answer; the next one is lost, then resent.
    assert_eq!(pending_get(&mock, &token, 2).await.status(), 503);
    let second = json(pending_get(&mock, &token, 2).await).await;
    assert_eq!(second["_links"]["next"]["href"], format!("{EVENTS}?ack=3"));
    let counts = mock.session_counts();
    assert_eq!(
        (counts.lost_event_answers, counts.redelivered_event_answers),
        (2, 3)
    );
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    mock.shutdown().await;
}

#[tokio::test]
async fn session_mode_needs_a_transcript_that_signs_in() {
    let transcript = Transcript::read([fixture("presence_events.md")]).unwrap();
    let error = MockServer::start(
        transcript,
        MockConfig {
            sessions: Some(SessionConfig::default()),
            ..config()
        },
    )
    .await
    .err();
    assert!(matches!(error, Some(Error::NoTokenRequest)), "{error:?}");
}
