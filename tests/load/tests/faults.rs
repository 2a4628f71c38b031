//! ucwa-client against the mock injecting each fault kind in the middle of
//! the numbered feed (`pages/event_feed.md`, one script): the session stays
//! signed in, gets every note once and in order, and the mock sees no
//! mismatch. Each fault must have met a request (`fired_faults`), and the
//! ones that take the application away must have been told as
//! `ChannelItem::Recovered`.

use futures_util::StreamExt;
use std::time::Duration;
use ucwa_client::{ChannelItem, Error, Recovery};
use ucwa_load::{expected_feed, feed_page, sign_in, DISCOVERY_HOST, FEED_EVENTS};
use ucwa_mock::{Fault, MockConfig, MockServer, SessionConfig, Transcript};

async fn bounded<T>(test: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the fault test ends within 60 s")
}

async fn start(sessions: Option<SessionConfig>) -> (MockServer, String) {
    let transcript = Transcript::read([feed_page()]).expect("the feed page");
    let config = MockConfig {
        hold_timeout: Duration::from_secs(5),
        sessions,
        ..MockConfig::default()
    };
    let mock = MockServer::start(transcript, config)
        .await
        .expect("the mock starts");
    let discovery = format!("{}/", mock.base_url(DISCOVERY_HOST).expect("the host"));
    (mock, discovery)
}

/// What the session saw of one feed with `fault` injected after `after` notes.
struct Seen {
    notes: Vec<String>,
    recovered: Vec<(Recovery, usize)>,
    /// The application's URL before the fault and after the feed.
    applications: (String, String),
}

async fn feed_with(fault: Fault, after: usize) -> (MockServer, Seen) {
    let (mock, discovery) = start(None).await;
    let session = sign_in(&discovery, 0).await.expect("signs in");
    let mut events = session.events();
    let mut seen = Seen {
        notes: Vec::new(),
        recovered: Vec::new(),
        applications: (session.application_url().to_string(), String::new()),
    };
    while seen.notes.len() < FEED_EVENTS {
        if seen.notes.len() == after && mock.fired_faults().is_empty() {
            mock.inject(fault).expect("injected");
        }
        let item = tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .unwrap_or_else(|_| panic!("{fault}: no item after {} notes", seen.notes.len()))
            .unwrap_or_else(|| panic!("{fault}: the stream ended"))
            .unwrap_or_else(|error: Error| panic!("{fault}: the channel failed: {error}"));
        match item {
            ChannelItem::Event(event) => {
                let note = event
                    .raw
                    .embedded
                    .as_ref()
                    .and_then(|embedded| embedded.get("note")?.get("message")?.as_str())
                    .unwrap_or_else(|| panic!("{fault}: an event without a note"))
                    .to_owned();
                seen.notes.push(note);
            }
            ChannelItem::Recovered { what, restored, .. } => seen.recovered.push((what, restored)),
            other => panic!("{fault}: unexpected {other:?}"),
        }
    }
    seen.applications.1 = session.application_url().to_string();
    session.sign_out().await.expect("signs out");
    (mock, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_mid_feed_loses_and_repeats_nothing() {
    bounded(async {
        for fault in Fault::ALL {
            let (mock, seen) = feed_with(fault, 5).await;
            assert_eq!(
                seen.notes,
                expected_feed(0),
                "{fault}: every note once, in order"
            );
            let fired: Vec<Fault> = mock
                .fired_faults()
                .iter()
                .map(|fired| fired.fault)
                .collect();
            let expected = match fault {
                Fault::Restart => vec![Fault::ApplicationExpired, Fault::TokenChallenged],
                other => vec![other],
            };
            assert_eq!(fired, expected, "{fault}: {:?}", mock.fired_faults());
            let takes_the_application = matches!(fault, Fault::ApplicationExpired | Fault::Restart);
            assert_eq!(
                seen.recovered.len(),
                usize::from(takes_the_application),
                "{fault}: {:?}",
                seen.recovered
            );
            for (what, _) in &seen.recovered {
                let Recovery::ApplicationRecreated { cause, application } = what else {
                    panic!("{fault}: {what:?}");
                };
                assert!(cause.contains("ApplicationNotFound"), "{fault}: {cause}");
                // The mock hands a re-created application a new id; the
                // session went on with it (with the old one the rest of the
                // feed would have been mismatches).
                assert_eq!(application.as_str(), seen.applications.1, "{fault}");
            }
            let (before, after) = &seen.applications;
            assert_eq!(
                before != after,
                takes_the_application,
                "{fault}: application {before} -> {after}"
            );
            assert!(
                mock.mismatches().is_empty(),
                "{fault}: {:#?}",
                mock.mismatches()
            );
            mock.shutdown().await;
        }
    })
    .await;
}

#[tokio::test]
async fn session_mode_takes_the_stateless_faults_and_a_restart_forgets_every_session() {
    bounded(async {
        let (mock, discovery) = start(Some(SessionConfig::default())).await;
        for fault in [
            Fault::ApplicationExpired,
            Fault::TokenChallenged,
            Fault::TokenRefused,
        ] {
            let error = mock.inject(fault).expect_err("per-client state");
            assert!(error.to_string().contains("session mode"), "{error}");
        }
        let session = sign_in(&discovery, 0).await.expect("signs in");
        assert_eq!(mock.session_counts().open, 1);
        mock.inject(Fault::Restart).expect("a restart");
        assert_eq!(mock.session_counts().open, 0);
        drop(session);
        // A client signing in after the restart starts a session of its own.
        let again = sign_in(&discovery, 1).await.expect("signs in again");
        assert_eq!(mock.session_counts().open, 1);
        again.sign_out().await.expect("signs out");
        mock.shutdown().await;
    })
    .await;
}

/// The feed page with a presence subscription made after the application is
/// created: a standing request the session must make again on a new one.
fn subscribed_feed_page() -> ucwa_mock::Page {
    let feed = std::fs::read_to_string(feed_page()).expect("the feed page");
    let subscribe = r#"## Subscribe to a contact's presence

```
POST https://pool.load.example/ucwa/oauth/v1/applications/900/people/presenceSubscriptions HTTP/1.1
Content-Type: application/json
Authorization: Bearer cwt=AAEB...feed

{"duration":11,"uris":["sip:friend@load.example"]}
```

```
HTTP/1.1 201 Created
Content-Type: application/json
Location: https://pool.load.example/ucwa/oauth/v1/applications/900/people/presenceSubscriptions/77

{"id":"77","_links":{"self":{"href":"/ucwa/oauth/v1/applications/900/people/presenceSubscriptions/77"}},"rel":"presenceSubscription"}
```

## Read the event channel"#;
    assert!(feed.contains("## Read the event channel"));
    let text = feed.replacen("## Read the event channel", subscribe, 1);
    ucwa_mock::Page::parse("subscribed_feed.md", &text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_application_comes_back_with_a_new_id_and_its_subscription() {
    bounded(async {
        let transcript = Transcript::from_pages(vec![subscribed_feed_page()]);
        let config = MockConfig {
            hold_timeout: Duration::from_secs(5),
            ..MockConfig::default()
        };
        let mock = MockServer::start(transcript, config)
            .await
            .expect("the mock starts");
        let discovery = format!("{}/", mock.base_url(DISCOVERY_HOST).expect("the host"));
        let session = sign_in(&discovery, 0).await.expect("signs in");
        let first = session.application_url();
        let subscriptions = first
            .join(&format!("{}/people/presenceSubscriptions", first.path()))
            .expect("url");
        let request = http::Request::post(subscriptions.as_str())
            .header("content-type", "application/json")
            .body(br#"{"duration":11,"uris":["sip:friend@load.example"]}"#.to_vec())
            .expect("request");
        let answer = session.send_standing(request).await.expect("subscribed");
        assert_eq!(answer.status(), http::StatusCode::CREATED);

        let mut events = session.events();
        let mut notes = Vec::new();
        let mut recovered = Vec::new();
        while notes.len() < FEED_EVENTS {
            if notes.len() == 5 && mock.fired_faults().is_empty() {
                mock.inject(Fault::ApplicationExpired).expect("injected");
            }
            let item = tokio::time::timeout(Duration::from_secs(20), events.next())
                .await
                .expect("an item in time")
                .expect("the stream goes on")
                .expect("the channel stays up");
            match item {
                ChannelItem::Event(event) => notes.push(
                    event
                        .raw
                        .embedded
                        .as_ref()
                        .and_then(|embedded| embedded.get("note")?.get("message")?.as_str())
                        .expect("a note")
                        .to_owned(),
                ),
                ChannelItem::Recovered { what, restored, .. } => recovered.push((what, restored)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(notes, expected_feed(0), "every note once, in order");
        let now = session.application_url();
        assert_ne!(now, first, "the mock handed out a new application id");
        let [(Recovery::ApplicationRecreated { application, .. }, restored)] = &recovered[..]
        else {
            panic!("one recovery: {recovered:?}");
        };
        assert_eq!(application, &now);
        assert_eq!(*restored, 1, "the subscription was made again");
        // The mock took the subscription again under the new application:
        // a request under the old id, or a body unlike the page's, would be
        // a mismatch.
        assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
        session.sign_out().await.expect("signs out");
        mock.shutdown().await;
    })
    .await;
}
