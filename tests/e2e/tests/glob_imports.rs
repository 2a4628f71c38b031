//! User code that imports the whole generated crate by glob, next to std's
//! prelude: no generated name may shadow a prelude item (a glob import beats
//! the prelude, so a resource named `From` would make the `impl From` below
//! an error, E0404). This file compiling is half the test; the assertions
//! check the surface a user writes against: `Default` request bodies, `new`
//! with the required fields, embedded lists by value, typed links from events.

use ucwa::enums::*;
use ucwa::resources::*;

/// A user's own type, converted with the prelude's `From`/`Into`/`TryFrom`.
#[derive(Debug, PartialEq)]
struct Minutes(u32);

impl From<u32> for Minutes {
    fn from(value: u32) -> Self {
        Minutes(value)
    }
}

impl TryFrom<i64> for Minutes {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u32::try_from(value)
            .map(Minutes)
            .map_err(|error| error.to_string())
    }
}

/// The prelude's `Result` and `Box`, under the glob imports.
type Outcome<T> = Result<Vec<T>, Box<dyn ToString>>;

/// Every prelude trait and type a user meets, spelled as the prelude gives it.
fn prelude_items_still_mean_std<T: Clone + Default + Send + Sync + Sized + Unpin>(
    value: T,
) -> (Option<T>, Outcome<T>) {
    let many: Vec<T> = std::iter::repeat_n(value.clone(), 2).collect();
    let doubled: Vec<T> = many.into_iter().chain(Some(T::default())).collect();
    (Some(value), Ok(doubled))
}

#[test]
fn prelude_names_mean_what_std_says_under_glob_imports() {
    let minutes: Minutes = 11u32.into();
    assert_eq!(minutes, Minutes(11));
    assert_eq!(
        Minutes::try_from(-1i64).unwrap_err(),
        "out of range integral type conversion attempted"
    );
    let (some, ok) = prelude_items_still_mean_std(String::from("x"));
    assert_eq!(some.as_deref(), Some("x"));
    assert_eq!(ok.map(|all| all.len()).ok(), Some(3));
    // The generated `from` resource is there, under its renamed type.
    assert_eq!(<FromResource as ucwa_runtime::Resource>::REL, "from");
}

#[test]
fn request_bodies_name_only_what_they_set() {
    let available = MakeMeAvailableRequest {
        sign_in_as: Some(PreferredAvailability::Online),
        supported_modalities: Some(vec![ModalityType::Messaging]),
        ..Default::default()
    };
    let json = serde_json::to_value(&available).expect("encode");
    assert_eq!(
        json,
        serde_json::json!({"signInAs": "Online", "supportedModalities": ["Messaging"]})
    );
    let start = StartMessagingRequest {
        subject: Some("Lunch?".into()),
        ..StartMessagingRequest::new("sip:bob@example.com".into())
    };
    let json = serde_json::to_value(&start).expect("encode");
    assert_eq!(
        json,
        serde_json::json!({"to": "sip:bob@example.com", "subject": "Lunch?"})
    );
}

#[test]
fn embedded_lists_iterate_by_value_and_events_give_typed_links() {
    let body = r#"{
        "rel": "myContacts",
        "_embedded": {"contact": [
            {"rel": "contact", "name": "Bob", "_links": {"self": {"href": "/people/bob"}}},
            {"rel": "contact", "name": "Eve", "_links": {"self": {"href": "/people/eve"}}}
        ]},
        "_links": {"self": {"href": "/people/contacts"}}
    }"#;
    let contacts: MyContacts = serde_json::from_str(body).expect("decode");
    let names: Vec<String> = contacts
        .embedded
        .and_then(|embedded| embedded.contact)
        .into_iter()
        .flatten()
        .filter_map(|contact: Contact| contact.name)
        .collect();
    assert_eq!(names, ["Bob", "Eve"]);

    let events: ucwa::Events = serde_json::from_str(
        r#"{"_links": {"next": {"href": "/events?ack=2"}}, "sender": [{"rel": "me", "href": "/me",
            "events": [{"link": {"rel": "presence", "href": "/me/presence"}, "type": "updated"}]}]}"#,
    )
    .expect("events");
    let event = &events.sender[0].events[0];
    let presence = ucwa_runtime::Link::<Presence>::from_event(event).expect("a presence event");
    assert_eq!(presence.href(), "/me/presence");
    assert!(ucwa_runtime::Link::<Note>::from_event(event).is_none());
}
