//! The generated types, used the way a UCWA client would.

use ucwa_downstream_example::enums::PresenceNoteKind;
use ucwa_downstream_example::resources::PresenceNote;
use ucwa_downstream_example::{decode_json, AnyResource, ResourceKind};
use ucwa_runtime::Resource;

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
