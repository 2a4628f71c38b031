//! Typed operations through the session: a typed link and a method in, the
//! documented type out; documented errors named; requests as the typed
//! builder makes them, against the fake server on 127.0.0.1.

mod common;

use common::{bounded, builder, Fake, Reply, APP};
use serde_json::json;
use ucwa::resources::{
    CallForwardingSettings, Messaging, Note, NoteQuery, PresenceSubscription,
    PresenceSubscriptionQuery, SendMessage, StartMessaging, StartMessagingRequest, StopMessaging,
};
use ucwa_client::{Error, Link, NoBody, Outcome};
use ucwa_runtime::Format;

fn start_request() -> StartMessagingRequest {
    StartMessagingRequest {
        to: "sip:bob@contoso.com".into(),
        subject: Some("Hi".into()),
        importance: None,
        operation_id: Some("op-1".into()),
        thread_id: None,
        message: None,
        extra: Default::default(),
    }
}

#[tokio::test]
async fn get_post_put_delete_read_their_documented_types() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let messaging_path = format!("{APP}/conversations/1/messaging");
        fake.push(
            "GET",
            &messaging_path,
            Reply::Json(
                200,
                json!({"rel":"messaging","state":"Connected",
                "_links":{"sendMessage":{"href":format!("{messaging_path}/messages")}}}),
            ),
        );
        let messaging = session
            .get(&Link::<Messaging>::new(messaging_path.clone()))
            .await
            .expect("a Messaging");
        assert_eq!(messaging.state.as_deref(), Some("Connected"));
        let send: &Link<SendMessage> = messaging.send_message_link().expect("typed link");
        assert_eq!(send.href(), format!("{messaging_path}/messages"));

        let start = format!("{APP}/communication/messagingInvitations");
        fake.push(
            "POST",
            &start,
            Reply::Raw {
                status: 201,
                headers: vec![("location", format!("{start}/60c"))],
                body: Vec::new(),
            },
        );
        let outcome = session
            .post(
                &Link::<StartMessaging>::new(start.clone()),
                &start_request(),
            )
            .await
            .expect("created");
        let location = outcome.location().expect("Created").href().to_owned();
        assert_eq!(location, format!("{start}/60c"));
        let sent = fake.requests_to("POST", &start).pop().expect("sent");
        assert_eq!(sent.headers["content-type"], "application/json");
        let body: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
        assert_eq!(
            body,
            json!({"operationId":"op-1","to":"sip:bob@contoso.com","subject":"Hi"})
        );

        let stop = format!("{messaging_path}/terminate");
        fake.push("POST", &stop, Reply::status(204));
        let stopped = session
            .post(&Link::<StopMessaging>::new(stop.clone()), &NoBody)
            .await
            .expect("stopped");
        assert!(matches!(stopped, Outcome::NoContent));
        assert!(fake.requests_to("POST", &stop)[0].body.is_empty());

        let settings_path = format!("{APP}/me/callForwardingSettings");
        let settings: CallForwardingSettings = serde_json::from_value(
            json!({"rel":"callForwardingSettings","activeSetting":"Off","unknown":1}),
        )
        .expect("settings");
        fake.push(
            "PUT",
            &settings_path,
            Reply::Json(200, json!({"rel":"callForwardingSettings"})),
        );
        let put = session
            .put(&Link::new(settings_path.clone()), &settings)
            .await
            .expect("put");
        assert!(matches!(put, Outcome::Resource(_)));
        let sent = fake.requests_to("PUT", &settings_path).pop().expect("sent");
        let body: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
        assert_eq!(body["unknown"], 1, "a PUT sends back what it does not know");

        fake.push("DELETE", &settings_path, Reply::status(204));
        session
            .delete(&Link::<ucwa::resources::Application>::new(
                settings_path.clone(),
            ))
            .await
            .expect("deleted");
        assert_eq!(fake.requests_to("DELETE", &settings_path).len(), 1);

        // Any builder: XML on request.
        fake.push("POST", &start, Reply::status(204));
        let link = Link::<StartMessaging>::new(start.clone());
        session
            .call(link.post(&start_request()).format(Format::Xml))
            .await
            .expect("sent as XML");
        let sent = fake.requests_to("POST", &start).pop().expect("sent");
        assert_eq!(sent.headers["content-type"], "application/xml");
        assert!(String::from_utf8_lossy(&sent.body).contains("<input"));
    })
    .await;
}

/// Resetting the note and extending a presence subscription are POSTs with
/// their parameters in the query and no body: the wire shows
/// `Content-Length: 0` and no `Content-Type`, as the pages' samples do.
#[tokio::test]
async fn bodyless_posts_send_no_body_and_no_content_type() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let note = format!("{APP}/me/note");
        fake.push("POST", &note, Reply::status(204));
        let reset = NoteQuery {
            message: Some(String::new()),
            ..NoteQuery::default()
        };
        let outcome = session
            .post_empty(&Link::<Note>::new(note.clone()), &reset)
            .await
            .expect("reset");
        assert!(matches!(outcome, Outcome::NoContent));
        let sent = fake.requests_to("POST", &note).pop().expect("sent");
        assert_eq!(sent.query.as_deref(), Some("message="));
        assert_eq!(sent.headers["content-length"], "0");
        assert!(sent.headers.get("content-type").is_none(), "{sent:?}");
        assert!(sent.body.is_empty());

        let subscription = format!("{APP}/people/presenceSubscriptions/2");
        fake.push("POST", &subscription, Reply::status(204));
        let link = Link::<PresenceSubscription>::new(subscription.clone());
        let extend = PresenceSubscriptionQuery::new(30);
        session
            .call(link.post_empty().query(&extend))
            .await
            .expect("extended");
        let sent = fake.requests_to("POST", &subscription).pop().expect("sent");
        assert_eq!(sent.query.as_deref(), Some("duration=30"));
        assert_eq!(sent.headers["content-length"], "0");
        assert!(sent.headers.get("content-type").is_none());
    })
    .await;
}

#[tokio::test]
async fn documented_errors_and_undocumented_bodies_are_typed_errors() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let start = format!("{APP}/communication/messagingInvitations");
        let link = Link::<StartMessaging>::new(start.clone());
        fake.push(
            "POST",
            &start,
            Reply::error(409, "Conflict", "AlreadyExists"),
        );
        match session.post(&link, &start_request()).await {
            Err(Error::Http(error)) => {
                assert_eq!(error.status, 409);
                let documented = error.documented.expect("a documented error");
                assert_eq!(
                    (documented.error, documented.subcode),
                    ("Conflict", "AlreadyExists")
                );
            }
            other => panic!("expected the documented 409: {other:?}"),
        }
        fake.push(
            "POST",
            &start,
            Reply::error(409, "Conflict", "SomethingNew"),
        );
        match session.start(&link, &start_request()).await {
            Err(Error::Http(error)) => {
                let documented = error.documented.expect("the least specific match");
                assert_eq!(documented.subcode, "None");
            }
            other => panic!("expected a 409: {other:?}"),
        }

        let messaging = format!("{APP}/conversations/1/messaging");
        fake.push("GET", &messaging, Reply::Json(200, json!({"state": 5})));
        match session
            .get(&Link::<Messaging>::new(messaging.clone()))
            .await
        {
            Err(Error::Decode { expected, .. }) => assert_eq!(expected, "messaging"),
            other => panic!("expected a decoding error: {other:?}"),
        }
        fake.push("GET", &messaging, Reply::status(204));
        assert!(matches!(
            session.get(&Link::<Messaging>::new(messaging)).await,
            Err(Error::Protocol { .. })
        ));
    })
    .await;
}
