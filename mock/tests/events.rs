//! The event channel: the pending GET is held until its event is due, times
//! out with an empty response, is replaced by a newer one, and answers
//! `resync` to an `ack` that goes back.

mod common;

use common::{client, config, fixture, send_step};
use std::time::{Duration, Instant};
use ucwa_mock::{MockConfig, MockServer, Transcript};

const EVENTS: &str = "/ucwa/v1/applications/1/events";

async fn start(config: MockConfig) -> MockServer {
    let transcript = Transcript::read([fixture("presence_events.md")]).unwrap();
    MockServer::start(transcript, config).await.unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

#[tokio::test]
async fn a_pending_get_is_held_until_the_requests_documented_before_its_event_arrive() {
    let mock = start(config()).await;
    let url = format!("{}{EVENTS}?ack=1", mock.hosts()[0].base_url);
    let mut pending = tokio::spawn(client().get(url).send());
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut pending)
            .await
            .is_err(),
        "the P-GET must be held while makeMeAvailable has not arrived"
    );
    let (_, make_me_available) = mock
        .transcript()
        .steps()
        .next()
        .map(|(id, s)| (id, s.clone()))
        .unwrap();
    let answered = send_step(&client(), &mock, &make_me_available).await;
    assert_eq!(answered.status(), 204);
    let events = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("released")
        .unwrap()
        .unwrap();
    assert_eq!(events.status(), 200);
    let body = json(&events.bytes().await.unwrap());
    assert_eq!(body["sender"][0]["events"][0]["link"]["rel"], "presence");
    assert_eq!(
        body["_links"]["next"]["href"],
        "/ucwa/v1/applications/1/events?ack=2"
    );
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    mock.shutdown().await;
}

#[tokio::test]
async fn a_pending_get_with_nothing_due_answers_with_no_events_after_the_hold_time() {
    let hold = Duration::from_millis(250);
    let mock = start(MockConfig {
        hold_timeout: hold,
        ..config()
    })
    .await;
    let base = mock.hosts()[0].base_url.clone();
    let started = Instant::now();
    let answer = client()
        .get(format!("{base}{EVENTS}?ack=1"))
        .send()
        .await
        .unwrap();
    let held = started.elapsed();
    assert_eq!(answer.status(), 200);
    assert!(
        held >= hold && held < Duration::from_secs(3),
        "held {held:?}"
    );
    let body = json(&answer.bytes().await.unwrap());
    assert_eq!(
        body,
        serde_json::json!({"_links": {"self": {"href": format!("{EVENTS}?ack=1")}, "next": {"href": format!("{EVENTS}?ack=1")}}})
    );
    // A shorter `timeout=` from the client is honoured; XML when the client asks for it.
    let started = Instant::now();
    let answer = client()
        .get(format!("{base}{EVENTS}?ack=1&timeout=0"))
        .header("Accept", "application/vnd.microsoft.com.ucwa+xml")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < hold, "timeout=0 answers at once");
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("<link rel=\"next\" href=\"/ucwa/v1/applications/1/events?ack=1\" />"),
        "{text}"
    );
    assert!(mock.mismatches().is_empty());
    mock.shutdown().await;
}

#[tokio::test]
async fn a_newer_pending_get_releases_the_held_one_with_pget_replaced() {
    let mock = start(MockConfig {
        hold_timeout: Duration::from_millis(500),
        ..config()
    })
    .await;
    let url = format!("{}{EVENTS}?ack=1", mock.hosts()[0].base_url);
    let first = tokio::spawn(client().get(url.clone()).send());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = tokio::spawn(client().get(url).send());
    let first = tokio::time::timeout(Duration::from_secs(2), first)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.status(), 409);
    let body = json(&first.bytes().await.unwrap());
    assert_eq!(
        (body["code"].as_str(), body["subcode"].as_str()),
        (Some("Conflict"), Some("PGetReplaced"))
    );
    let second = tokio::time::timeout(Duration::from_secs(2), second)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        second.status(),
        200,
        "the newer one is held to its own timeout"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn an_ack_that_goes_back_is_answered_with_resync_and_reported() {
    let mock = start(config()).await;
    let base = mock.hosts()[0].base_url.clone();
    let answer = client()
        .get(format!("{base}{EVENTS}?ack=5&timeout=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer = client()
        .get(format!("{base}{EVENTS}?ack=3"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body = json(&answer.bytes().await.unwrap());
    assert_eq!(body["_links"]["resync"]["href"], format!("{EVENTS}?ack=5"));
    assert!(body.get("sender").is_none());
    let mismatches = mock.mismatches();
    assert_eq!(mismatches.len(), 1);
    assert_eq!(
        mismatches[0].differences[0].to_string(),
        "query.ack: expected 5 or more, received 3"
    );
    mock.shutdown().await;
}
