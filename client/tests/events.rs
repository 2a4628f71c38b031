//! The event channel and operations against the fake server: next, resync,
//! resume, stalls, reconnection, a lost application, typed events, and
//! operations resolved by id and by Location.

mod common;

use common::{bounded, builder, Fake, Reply, APP};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use ucwa_client::{AnyResource, ChannelItem, Error, EventChannelOptions, EventStream, EventType};

fn events_href(ack: u32) -> String {
    format!("{APP}/events?ack={ack}")
}

/// A P-GET answer with `next` = ack and one `updated` event per href.
fn page(next: u32, hrefs: &[&str]) -> Value {
    let events: Vec<Value> = hrefs
        .iter()
        .map(|href| json!({"link": {"rel": "note", "href": href}, "type": "updated"}))
        .collect();
    json!({
        "_links": {"self": {"href": events_href(next - 1)}, "next": {"href": events_href(next)}},
        "sender": [{"rel": "me", "href": format!("{APP}/me"), "events": events}]
    })
}

async fn next_event(stream: &mut EventStream) -> ChannelItem {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an item within 10 s")
        .expect("the stream is open")
        .expect("not an error")
}

async fn next_href(stream: &mut EventStream) -> String {
    match next_event(stream).await {
        ChannelItem::Event(event) => event.href().to_owned(),
        other => panic!("expected an event, got {other:?}"),
    }
}

fn event_queries(fake: &Fake) -> Vec<String> {
    fake.requests_to("GET", &format!("{APP}/events"))
        .iter()
        .filter(|request| request.authorization().is_some())
        .map(|request| request.query.clone().unwrap_or_default())
        .collect()
}

/// The P-GET queries once there are at least `count` (the channel sends the
/// next one right after delivering).
async fn wait_for_queries(fake: &Fake, count: usize) -> Vec<String> {
    for _ in 0..200 {
        let queries = event_queries(fake);
        if queries.len() >= count {
            return queries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {count} P-GETs: {:?}", event_queries(fake));
}

#[tokio::test]
async fn next_resync_and_resume_are_followed_in_order() {
    bounded(async {
        let fake = Fake::start().await;
        fake.push_events(page(2, &["/n/1", "/n/2"]));
        fake.push_events(json!({"_links": {"resync": {"href": events_href(2)}}}));
        fake.push_events(json!({
            "_links": {"resume": {"href": events_href(3)}},
            "sender": [{"rel": "me", "href": "/me", "events": [{"link": {"rel": "note", "href": "/n/3"}, "type": "added"}]}]
        }));
        fake.push_events(page(4, &["/n/4"]));
        let session = builder(&fake)
            .event_channel(EventChannelOptions {
                timeout: Some(Duration::from_secs(5)),
                ..EventChannelOptions::default()
            })
            .sign_in()
            .await
            .expect("signs in");
        let mut events = session.events();
        assert_eq!(next_href(&mut events).await, "/n/1");
        assert_eq!(next_href(&mut events).await, "/n/2");
        assert!(matches!(next_event(&mut events).await, ChannelItem::Resync));
        assert!(matches!(next_event(&mut events).await, ChannelItem::Resumed));
        assert_eq!(next_href(&mut events).await, "/n/3");
        assert_eq!(next_href(&mut events).await, "/n/4");
        let queries = wait_for_queries(&fake, 5).await;
        // The query parameters go with the first P-GET and again after resume.
        assert_eq!(
            &queries[..5],
            ["ack=1&timeout=5", "ack=2", "ack=2", "ack=3&timeout=5", "ack=4"]
        );
    })
    .await;
}

#[tokio::test]
async fn embedded_resources_arrive_decoded_to_their_type() {
    bounded(async {
        let fake = Fake::start().await;
        fake.push_events(json!({
            "_links": {"next": {"href": events_href(2)}},
            "sender": [{"rel": "conversation", "href": "/c/21a1", "events": [
                {"link": {"rel": "messaging", "href": "/c/21a1/messaging"},
                 "_embedded": {"messaging": {"state": "Connected", "negotiatedMessageFormats": ["Plain"],
                    "_links": {"self": {"href": "/c/21a1/messaging"}, "sendMessage": {"href": "/c/21a1/messaging/messages"}},
                    "rel": "messaging"}},
                 "type": "updated"},
                {"link": {"rel": "participant", "href": "/c/21a1/participants/lenea"},
                 "in": {"rel": "participants", "href": "/c/21a1/participants"}, "type": "added"},
                {"link": {"rel": "messaging", "href": "/c/21a1/messaging"},
                 "_embedded": {"messaging": {"negotiatedMessageFormats": "not a list"}}, "type": "updated"},
                {"link": {"rel": "brandNew", "href": "/x"}, "type": "moved"}
            ]}]
        }));
        let session = builder(&fake).sign_in().await.expect("signs in");
        let mut events = session.events();
        let ChannelItem::Event(updated) = next_event(&mut events).await else { panic!("event") };
        assert_eq!(updated.event_type(), &EventType::Updated);
        assert_eq!(updated.sender.as_str(), "conversation");
        match &updated.resource {
            Some(Ok(AnyResource::Messaging(messaging))) => {
                assert_eq!(
                    messaging.send_message_link().map(|link| link.href()),
                    Some("/c/21a1/messaging/messages")
                );
            }
            other => panic!("expected messaging, got {other:?}"),
        }
        let ChannelItem::Event(added) = next_event(&mut events).await else { panic!("event") };
        assert!(added.resource.is_none());
        assert_eq!(added.in_link().and_then(|link| link["href"].as_str()), Some("/c/21a1/participants"));
        let ChannelItem::Event(broken) = next_event(&mut events).await else { panic!("event") };
        assert!(matches!(&broken.resource, Some(Err(error)) if error.rel == "messaging"), "{:?}", broken.resource);
        let ChannelItem::Event(unknown) = next_event(&mut events).await else { panic!("event") };
        assert_eq!(unknown.event_type().as_str(), "moved");
    })
    .await;
}

#[tokio::test]
async fn stalls_and_failures_reconnect_without_losing_or_repeating_events() {
    bounded(async {
        let fake = Fake::start().await;
        let path = format!("{APP}/events");
        fake.push("GET", &path, Reply::Stall);
        fake.push("GET", &path, Reply::error(503, "ServiceUnavailable", ""));
        fake.push("GET", &path, Reply::Cut(b"{\"_links\":".to_vec()));
        fake.push(
            "GET",
            &path,
            Reply::Raw {
                status: 200,
                headers: vec![],
                body: b"<html>proxy</html>".to_vec(),
            },
        );
        fake.push("GET", &path, Reply::error(409, "Conflict", "PGetReplaced"));
        fake.push("GET", &path, Reply::Json(200, json!({"sender": []})));
        fake.push_events(page(2, &["/n/1"]));
        fake.push_events(page(3, &["/n/2"]));
        let mut timeouts = common::fast_timeouts();
        timeouts.event_wait = Duration::from_millis(300);
        let session = builder(&fake)
            .timeouts(timeouts)
            .reconnect(common::quick_reconnect(7))
            .sign_in()
            .await
            .expect("signs in");
        let mut events = session.events();
        // The answer with no link to follow starts the channel over.
        assert!(matches!(next_event(&mut events).await, ChannelItem::Resync));
        assert_eq!(next_href(&mut events).await, "/n/1");
        assert_eq!(next_href(&mut events).await, "/n/2");
        let queries = wait_for_queries(&fake, 8).await;
        assert_eq!(
            &queries[..8],
            ["ack=1", "ack=1", "ack=1", "ack=1", "ack=1", "ack=1", "ack=1", "ack=2"],
            "the same ack until answered"
        );
    })
    .await;
}

#[tokio::test]
async fn the_channel_gives_up_after_bounded_attempts_and_fails_operations() {
    bounded(async {
        let fake = Fake::start().await;
        let path = format!("{APP}/events");
        for _ in 0..3 {
            fake.push("GET", &path, Reply::error(500, "ServiceFailure", ""));
        }
        let session = builder(&fake)
            .reconnect(common::quick_reconnect(3))
            .sign_in()
            .await
            .expect("signs in");
        let mut events = session.events();
        let item = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("in time");
        assert!(
            matches!(item, Some(Err(Error::ChannelClosed { .. }))),
            "{item:?}"
        );
        assert!(tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("in time")
            .is_none());
        assert_eq!(event_queries(&fake).len(), 3, "three attempts, no more");
        // Later streams and operations learn it at once.
        let mut late = session.events();
        assert!(matches!(
            late.next().await,
            Some(Err(Error::ChannelClosed { .. }))
        ));
        let request = http::Request::post(format!("{APP}/communication/messagingInvitations"))
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .expect("request");
        assert!(matches!(
            session.start_operation(request).await,
            Err(Error::ChannelClosed { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_lost_application_is_created_again_not_retried_in_place() {
    bounded(async {
        let fake = Fake::start().await;
        fake.push(
            "GET",
            &format!("{APP}/events"),
            Reply::error(404, "NotFound", "ApplicationNotFound"),
        );
        let session = builder(&fake).sign_in().await.expect("signs in");
        let mut events = session.events();
        match events.next().await {
            Some(Ok(ChannelItem::Recovered { what, .. })) => {
                let ucwa_client::Recovery::ApplicationRecreated { cause, .. } = what else {
                    panic!("expected a re-created application, got {what:?}")
                };
                assert!(cause.contains("ApplicationNotFound"), "{cause}")
            }
            other => panic!("expected a recovery, got {other:?}"),
        }
        assert_eq!(fake.requests_to("POST", "/ucwa/applications").len(), 2);
        // The channel goes on, from the new application's events link.
        while event_queries(&fake).len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

fn invitation(ack: u32, operation_id: &str, event_type: &str, extra: Value) -> Value {
    let mut event = json!({
        "link": {"rel": "messagingInvitation", "href": format!("{APP}/communication/messagingInvitations/60c")},
        "_embedded": {"messagingInvitation": {"direction": "Outgoing", "state": "Connecting",
            "operationId": operation_id, "rel": "messagingInvitation"}},
        "type": event_type
    });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    json!({"_links": {"next": {"href": events_href(ack)}},
        "sender": [{"rel": "communication", "href": format!("{APP}/communication"), "events": [event]}]})
}

#[tokio::test]
async fn operations_resolve_from_the_channel_by_id_or_location() {
    bounded(async {
        let fake = Fake::start().await;
        *fake.hold.lock().expect("hold") = Duration::from_millis(200);
        let start = format!("{APP}/communication/messagingInvitations");
        fake.push("POST", &start, Reply::Raw {
            status: 201,
            headers: vec![("location", format!("{APP}/communication/messagingInvitations/60c"))],
            body: Vec::new(),
        });
        let session = builder(&fake).sign_in().await.expect("signs in");
        let mut events = session.events();
        let request = http::Request::post(start.as_str())
            .header("content-type", "application/json")
            .body(br#"{"to":"sip:toshm@contoso.com","subject":"Task Sample"}"#.to_vec())
            .expect("request");
        let mut operation = session.start_operation(request).await.expect("started");
        let id = operation.id().to_owned();
        let posted = &fake.requests_to("POST", &start)[0];
        let body: Value = serde_json::from_slice(&posted.body).expect("json");
        assert_eq!(body["operationId"], id.as_str());
        assert_eq!(body["to"], "sip:toshm@contoso.com");
        assert_eq!(operation.location().map(|url| url.path().to_owned()), Some(format!("{APP}/communication/messagingInvitations/60c")));

        fake.push_events(invitation(2, &id, "started", json!({})));
        fake.push_events(invitation(3, &id, "completed", json!({"status": "Success"})));
        let started = operation.next_update().await.expect("started event");
        assert_eq!(started.operation_id(), Some(id.as_str()));
        let completed = operation.completed().await.expect("succeeded").expect("an event");
        assert_eq!(completed.status(), Some("Success"));
        // The stream saw them too.
        let ChannelItem::Event(seen) = next_event(&mut events).await else { panic!("event") };
        assert_eq!(seen.event_type(), &EventType::Started);

        // sendMessage: text/plain, the id in the query, resolved by Location.
        let messages = format!("{APP}/communication/conversations/21a1/messaging/messages");
        fake.push("POST", &messages, Reply::Raw {
            status: 201,
            headers: vec![("location", format!("{messages}/2"))],
            body: Vec::new(),
        });
        let request = http::Request::post(messages.as_str())
            .header("content-type", "text/plain")
            .body(b"What's up?".to_vec())
            .expect("request");
        let operation = session.start_operation(request).await.expect("sent");
        let posted = fake.requests_to("POST", &messages);
        assert_eq!(posted[0].query.as_deref(), Some(format!("operationId={}", operation.id()).as_str()));
        assert_eq!(posted[0].body, b"What's up?");
        fake.push_events(json!({"_links": {"next": {"href": events_href(4)}},
            "sender": [{"rel": "conversation", "href": "/c", "events": [
                {"link": {"rel": "message", "href": format!("{messages}/2")}, "status": "Success",
                 "_embedded": {"message": {"direction": "Outgoing", "rel": "message"}}, "type": "completed"}]}]}));
        let completed = operation.completed().await.expect("ok").expect("event");
        assert!(matches!(completed.resource, Some(Ok(AnyResource::Message(_)))));

        // A failure reason, and an operation that never completes.
        fake.push("POST", &start, Reply::Raw { status: 201, headers: vec![("location", format!("{start}/61d"))], body: Vec::new() });
        let request = http::Request::post(start.as_str())
            .header("content-type", "application/json")
            .body(br#"{"to":"sip:nobody@contoso.com","operationId":"fixed-id"}"#.to_vec())
            .expect("request");
        let operation = session.start_operation(request).await.expect("started");
        assert_eq!(operation.id(), "fixed-id");
        fake.push_events(invitation(5, "fixed-id", "completed", json!({"status": "Failure",
            "reason": {"code": "NotFound", "subcode": "TargetNotFound", "message": "No such user."}})));
        match operation.completed().await {
            Err(Error::OperationFailed { operation_id, reason }) => {
                assert_eq!(operation_id, "fixed-id");
                assert_eq!(reason.subcode.map(|s| s.to_string()).as_deref(), Some("TargetNotFound"));
            }
            other => panic!("expected a failed operation, got {other:?}"),
        }
        fake.push("POST", &start, Reply::Raw { status: 201, headers: vec![("location", format!("{start}/62e"))], body: Vec::new() });
        let request = http::Request::post(start.as_str())
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .expect("request");
        let operation = session.start_operation(request).await.expect("started");
        let error = operation.completed_within(Duration::from_millis(200)).await.expect_err("times out");
        assert!(error.is_timeout(), "{error}");
        // A synchronous answer has nothing to wait for.
        fake.push("POST", &start, Reply::status(204));
        let request = http::Request::post(start.as_str()).body(Vec::new()).expect("request");
        let operation = session.start_operation(request).await.expect("done");
        assert!(operation.completed().await.expect("ok").is_none());
    })
    .await;
}

#[tokio::test]
async fn a_malformed_event_is_reported_and_the_valid_ones_delivered() {
    // Issue 21: an answer with two valid events and one without `href`, then
    // an answer with no link to follow: every valid event arrives, the bad
    // one is a `Malformed` item after them, and the linkless answer is a
    // resync from the application's `events` link, not the channel's end.
    bounded(async {
        let fake = Fake::start().await;
        fake.push_events(json!({
            "_links": {"next": {"href": events_href(2)}},
            "sender": [{"rel": "me", "href": format!("{APP}/me"), "events": [
                {"link": {"rel": "note", "href": "/n/1"}, "type": "updated"},
                {"link": {"rel": "note"}, "type": "updated"},
                {"link": {"rel": "note", "href": "/n/2"}, "type": "updated"}]}]
        }));
        fake.push_events(json!({"sender": []}));
        fake.push_events(page(3, &["/n/3"]));
        let session = builder(&fake).sign_in().await.expect("signs in");
        let mut events = session.events();
        assert_eq!(next_href(&mut events).await, "/n/1");
        assert_eq!(next_href(&mut events).await, "/n/2");
        let ChannelItem::Malformed {
            sender_href,
            raw,
            error,
        } = next_event(&mut events).await
        else {
            panic!("the malformed event is reported");
        };
        assert_eq!(sender_href.as_deref(), Some(format!("{APP}/me").as_str()));
        assert!(
            raw.contains("\"rel\":\"note\"") && error.contains("href"),
            "{raw} / {error}"
        );
        assert!(matches!(next_event(&mut events).await, ChannelItem::Resync));
        assert_eq!(next_href(&mut events).await, "/n/3");
        let queries = wait_for_queries(&fake, 3).await;
        // After the linkless answer, the channel starts over at the
        // application's `events` link (here `ack=1`).
        assert_eq!(&queries[..3], ["ack=1", "ack=2", "ack=1"], "{queries:?}");
    })
    .await;
}

#[tokio::test]
async fn a_stream_kept_but_not_read_drops_its_oldest_and_holds_up_nothing() {
    // Issue 21: an `EventStream` kept but not read stalled the session once
    // its buffer was full. Now it drops its oldest items and says so.
    bounded(async {
        let fake = Fake::start().await;
        fake.push_events(page(2, &["/n/1", "/n/2", "/n/3"]));
        fake.push_events(page(3, &["/n/4", "/n/5", "/n/6"]));
        fake.push_events(page(4, &["/n/7", "/n/8", "/n/9", "/n/10"]));
        let session = builder(&fake)
            .limits(ucwa_client::Limits {
                event_buffer: 4,
                ..ucwa_client::Limits::default()
            })
            .sign_in()
            .await
            .expect("signs in");
        let mut unread = session.events();
        let mut reader = session.events();
        let mut seen = Vec::new();
        for _ in 0..10 {
            seen.push(next_href(&mut reader).await);
        }
        let expected: Vec<String> = (1..=10).map(|n| format!("/n/{n}")).collect();
        assert_eq!(seen, expected, "the reader that keeps up gets everything");
        // The channel went on to its next pending GET regardless.
        wait_for_queries(&fake, 4).await;
        let ChannelItem::Lagged { missed } = next_event(&mut unread).await else {
            panic!("the lagging stream is told");
        };
        assert_eq!(missed, 6);
        let mut kept = Vec::new();
        for _ in 0..4 {
            kept.push(next_href(&mut unread).await);
        }
        assert_eq!(kept, ["/n/7", "/n/8", "/n/9", "/n/10"]);
    })
    .await;
}

#[tokio::test]
async fn pending_gets_answered_at_once_with_nothing_are_paced() {
    // Issue 21: a server that answers every pending GET at once got 5,263
    // requests in 3 s. Quick empty answers now back off (100 ms doubling to
    // 5 s) until an answer is held or carries something.
    bounded(async {
        let fake = Fake::start().await;
        *fake.hold.lock().expect("hold") = Duration::ZERO;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let _events = session.events();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let count = event_queries(&fake).len();
        // 0 + 100 + 200 + 400 + 800 ms: five within two seconds, six at most.
        assert!((3..=6).contains(&count), "{count} pending GETs in 2 s");
        // An answer with an event ends the pacing at once.
        *fake.hold.lock().expect("hold") = Duration::from_secs(2);
        fake.push_events(page(2, &["/n/1"]));
        let mut events = session.events();
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(5), next_href(&mut events))
                .await
                .expect("in time"),
            "/n/1"
        );
    })
    .await;
}
