//! The generated types, used the way a UCWA client would.

use ucwa_downstream_example::enums::{Importance, PresenceNoteKind};
use ucwa_downstream_example::resources::{Communication, Me, PresenceNote, StartMessagingRequest};
use ucwa_downstream_example::{decode_json, AnyResource, ResourceKind};
use ucwa_runtime::{Link, RequestBody, Resource};

const RESPONSE: &str = r#"{
  "rel": "presenceNote",
  "message": "Back at 3",
  "kind": "outOfOffice",
  "pinned": false,
  "colour": "blue",
  "_links": { "self": { "href": "/ucwa/v1/applications/1/me/note" } }
}"#;

#[test]
fn a_response_decodes_into_the_generated_type_and_back() {
    let note = PresenceNote::from_json(RESPONSE).expect("the sample decodes");
    assert_eq!(note.message.as_deref(), Some("Back at 3"));
    assert_eq!(note.kind, Some(PresenceNoteKind::OutOfOffice));
    assert_eq!(note.pinned, Some(false));
    assert_eq!(
        note.self_link().map(|link| link.href()),
        Some("/ucwa/v1/applications/1/me/note")
    );

    let again: serde_json::Value = serde_json::from_str(&note.to_json().unwrap()).unwrap();
    let original: serde_json::Value = serde_json::from_str(RESPONSE).unwrap();
    assert_eq!(
        again, original,
        "an undocumented property survives the round trip"
    );
}

#[test]
fn an_unknown_body_decodes_by_its_rel() {
    let kind: ResourceKind = "presenceNote".parse().unwrap();
    assert_eq!(kind, ResourceKind::PresenceNote);
    assert!(
        decode_json("noSuchResource", RESPONSE).is_none(),
        "an unknown rel is not guessed"
    );
    match decode_json("presenceNote", RESPONSE)
        .expect("a known rel")
        .unwrap()
    {
        AnyResource::PresenceNote(note) => {
            assert_eq!(note.kind, Some(PresenceNoteKind::OutOfOffice))
        }
        other => panic!("decoded as {other:?}"),
    }
}

const ME: &str = r#"{
  "rel": "me",
  "name": "Ann Doe",
  "uri": "sip:ann@contoso.com",
  "_links": {
    "self": { "href": "/ucwa/oauth/v1/applications/102/me" },
    "note": { "href": "/ucwa/oauth/v1/applications/102/me/note" },
    "presence": { "href": "/ucwa/oauth/v1/applications/102/me/presence" }
  }
}"#;

#[test]
fn the_whole_api_comes_from_the_committed_schema() {
    let me = Me::from_json(ME).expect("the me resource decodes");
    assert_eq!(me.name.as_deref(), Some("Ann Doe"));
    assert_eq!(
        me.presence_link().map(|link| link.href()),
        Some("/ucwa/oauth/v1/applications/102/me/presence")
    );
    match decode_json("me", ME).expect("a known rel").unwrap() {
        AnyResource::Me(decoded) => assert_eq!(*decoded, me),
        other => panic!("decoded as {other:?}"),
    }

    let start: Link<Communication> = Link::new("/ucwa/oauth/v1/applications/102/communication");
    let communication = start
        .decode_json(r#"{"rel":"communication","_links":{"startMessaging":{"href":"/im"}}}"#)
        .expect("a followed link decodes as its target");
    assert_eq!(
        communication.start_messaging_link().map(|l| l.href()),
        Some("/im")
    );

    let request: StartMessagingRequest = RequestBody::from_json(
        r#"{"to":"sip:john@contoso.com","importance":"Urgent","operationId":"5"}"#,
    )
    .expect("a request body decodes");
    assert_eq!(request.importance, Some(Importance::Urgent));
    assert_eq!(
        "messagingInvitation".parse::<ResourceKind>().unwrap(),
        ResourceKind::MessagingInvitation
    );
}
