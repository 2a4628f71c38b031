//! The README's example, compiled and run against the committed `generated/`
//! crate, so the first code a new user reads is known to work.

use ucwa::resources::{AudioVideo, AudioVideoSession};
use ucwa::{Events, ResourceKind};
use ucwa_runtime::{DecodeError, Link, Resource};

const AUDIO_VIDEO: &str = r#"{"rel":"audioVideo","state":"Connected","_links":{
  "self":{"href":"/ucwa/v1/applications/192/communication/conversations/137/audioVideo"},
  "audioVideoSession":{"href":"/ucwa/v1/applications/192/communication/conversations/137/audioVideo/audioVideoSession"}}}"#;
const SESSION: &str =
    r#"{"rel":"audioVideoSession","state":"Connected","_links":{"self":{"href":"/s"}}}"#;
const EVENTS: &str = r#"{"_links":{"self":{"href":"/events?ack=1"},"next":{"href":"/events?ack=2"}},
  "sender":[{"rel":"conversation","href":"/c/137","events":[
    {"link":{"rel":"audioVideo","href":"/c/137/audioVideo"},"type":"updated"}]}]}"#;

fn http_get(href: &str) -> Result<String, DecodeError> {
    assert!(href.ends_with("/audioVideoSession"), "followed {href}");
    Ok(SESSION.to_string())
}

#[test]
fn the_readme_example_runs() -> Result<(), DecodeError> {
    let (response_body, event_channel_body) = (AUDIO_VIDEO.to_string(), EVENTS.to_string());
    let mut printed = Vec::new();

    // --- the README's lines, verbatim but for `println!` → `printed.push` ---
    let modality = AudioVideo::from_json(&response_body)?; // decode a GET response
    let session: &Link<AudioVideoSession> = modality.audio_video_session_link().unwrap();
    let session = session.decode_json(&http_get(session.href())?)?; // follow a typed link
    let events = Events::from_json(&event_channel_body)?; // decode the event channel
    for event in events.sender.iter().flat_map(|sender| &sender.events) {
        if event.link.rel == ResourceKind::AudioVideo {
            printed.push(format!("audioVideo {}", event.event_type));
        }
    }
    // --- end of the README's lines ---

    assert_eq!(modality.state.as_deref(), Some("Connected"));
    assert_eq!(session.state.as_deref(), Some("Connected"));
    assert_eq!(printed, ["audioVideo updated"]);
    Ok(())
}
