//! The event channel: the body of a pending GET on the `events` resource
//! (EventChannelDetails.md), in JSON and XML.
//!
//! `K` is the generated crate's resource-kind enumeration (an `open_enum!`
//! of all rels), so senders and event targets are typed but never rejected.

use crate::xml::{self, Element, RelGroups, Shape};
use crate::{DecodeError, ErrorBody, Link, Resource};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

crate::open_enum! {
    /// What happened to the event's target.
    pub enum EventType {
        /// A resource was added (or appeared in a collection).
        Added = "added",
        /// A resource changed, or an operation progressed.
        Updated = "updated",
        /// A resource was removed.
        Deleted = "deleted",
        /// An operation started.
        Started = "started",
        /// An operation completed (successfully or with a `reason`).
        Completed = "completed",
    }
}

/// One event channel response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: DeserializeOwned"))]
pub struct EventChannel<K> {
    /// `self`, `next` (the URL of the next pending GET), or `resync`/`resume`.
    #[serde(rename = "_links", default)]
    pub links: ChannelLinks,
    /// Event blocks per sender, in delivery order (a sender may repeat).
    /// An absent list reads as empty and is not written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sender: Vec<Sender<K>>,
    /// Keys the docs do not describe.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The links of an event channel response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelLinks {
    /// This response's own URL.
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
    /// The URL for the next pending GET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
    /// Sent alone when the acknowledgement was out of order: clear caches and follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resync: Option<Link>,
    /// Sent after the channel was re-created: resend the query parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Link>,
    /// Other links, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The events one resource sent, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: DeserializeOwned"))]
pub struct Sender<K> {
    /// The kind of the sending resource, e.g. `communication`.
    pub rel: K,
    /// The URL of the sending resource.
    pub href: String,
    /// Its events.
    #[serde(default)]
    pub events: Vec<Event<K>>,
    /// Keys the docs do not describe.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: DeserializeOwned"))]
pub struct Event<K> {
    /// The resource the event is about.
    pub link: EventLink<K>,
    /// What happened to it.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The updated resource, by rel, when the server embedded it.
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<Map<String, Value>>,
    /// Other keys, e.g. the `in` link or a `reason` block.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The target of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: DeserializeOwned"))]
pub struct EventLink<K> {
    /// The kind of the target, e.g. `presence`.
    pub rel: K,
    /// The URL of the target.
    pub href: String,
    /// A human-readable name of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Keys the docs do not describe.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T: Resource> Link<T> {
    /// The resource an event is about, as a typed link, when the event names
    /// a `T` (its `link.rel` is `T::REL`); `None` for an event about another
    /// kind of resource. The link keeps the event's `href` and `title`.
    ///
    /// ```
    /// # use ucwa_runtime::{events::Event, xml::Shape, Link, Resource};
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Presence;
    /// # impl Resource for Presence { const REL: &'static str = "presence"; const XML_SHAPE: &'static Shape = &Shape::EMPTY; }
    /// let event: Event<String> = serde_json::from_str(
    ///     r#"{"link":{"rel":"presence","href":"/ucwa/v1/applications/1/me/presence"},"type":"updated"}"#,
    /// ).unwrap();
    /// let presence = Link::<Presence>::from_event(&event).unwrap();
    /// assert_eq!(presence.href(), "/ucwa/v1/applications/1/me/presence");
    /// ```
    pub fn from_event<K: AsRef<str>>(event: &Event<K>) -> Option<Link<T>> {
        let target = &event.link;
        if target.rel.as_ref() != T::REL {
            return None;
        }
        let mut link = Link::new(target.href.clone());
        link.title = target.title.clone();
        Some(link)
    }
}

impl<K> Event<K> {
    /// The embedded resource of type `T` (looked up by `T::REL`), decoded,
    /// or `None` when the event carries none.
    pub fn embedded_resource<T: Resource>(&self) -> Option<Result<T, DecodeError>> {
        let value = self.embedded.as_ref()?.get(T::REL)?;
        Some(T::deserialize(value).map_err(DecodeError::from))
    }

    /// The `reason` block of a failed operation or server-initiated change.
    pub fn reason<C: DeserializeOwned, S: DeserializeOwned>(
        &self,
    ) -> Option<Result<ErrorBody<C, S>, DecodeError>> {
        let value = self.extra.get("reason")?;
        Some(ErrorBody::deserialize(value).map_err(DecodeError::from))
    }
}

impl<K: DeserializeOwned> EventChannel<K> {
    /// Decodes a JSON event channel response.
    pub fn from_json(body: &str) -> Result<Self, DecodeError> {
        crate::json_from_str(body)
    }

    /// Decodes an XML event channel response, reading embedded resources as
    /// text-only properties. See [`EventChannel::from_xml_with`].
    pub fn from_xml(body: &str) -> Result<Self, DecodeError> {
        Self::from_xml_with(body, |_| None)
    }

    /// Decodes an XML event channel response; `shape_of` gives the XML shape
    /// for an embedded resource's rel (typically a generated lookup).
    pub fn from_xml_with(
        body: &str,
        shape_of: impl Fn(&str) -> Option<&'static Shape>,
    ) -> Result<Self, DecodeError> {
        let value = channel_value(&xml::parse(body)?, &shape_of)?;
        Ok(serde_json::from_value(value)?)
    }
}

/// A part of an event channel answer that does not decode: an event (or a
/// whole sender block) that breaks the format, kept as text so that the
/// reader can log or report it while every valid event of the same answer
/// is still delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedEvent {
    /// The sender block's `href`, when it has one.
    pub sender_href: Option<String>,
    /// The part as sent (compact JSON), cut at [`MalformedEvent::MAX_RAW`]
    /// bytes on a character boundary.
    pub raw: String,
    /// Why it does not decode.
    pub error: String,
}

impl MalformedEvent {
    /// The longest `raw` kept: a hostile answer cannot make a report large.
    pub const MAX_RAW: usize = 1024;

    fn new(sender_href: Option<&str>, value: &Value, error: impl ToString) -> MalformedEvent {
        let mut raw = value.to_string();
        if raw.len() > Self::MAX_RAW {
            let mut end = Self::MAX_RAW;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            raw.truncate(end);
        }
        MalformedEvent {
            sender_href: sender_href.map(str::to_owned),
            raw,
            error: error.to_string(),
        }
    }
}

impl<K: DeserializeOwned> EventChannel<K> {
    /// Decodes a JSON event channel response event by event: an event or
    /// sender block that does not decode is returned apart, with why,
    /// instead of failing the whole answer; links that do not decode read
    /// as none. Only a body that is not a JSON object is an error.
    pub fn from_json_lenient(body: &str) -> Result<(Self, Vec<MalformedEvent>), DecodeError> {
        let value: Value = crate::json_from_str(body)?;
        Self::from_value_lenient(value)
    }

    /// As [`EventChannel::from_json_lenient`], for an XML answer.
    pub fn from_xml_lenient(
        body: &str,
        shape_of: impl Fn(&str) -> Option<&'static Shape>,
    ) -> Result<(Self, Vec<MalformedEvent>), DecodeError> {
        Self::from_value_lenient(channel_value(&xml::parse(body)?, &shape_of)?)
    }

    fn from_value_lenient(value: Value) -> Result<(Self, Vec<MalformedEvent>), DecodeError> {
        let Value::Object(mut members) = value else {
            return Err(DecodeError::from(
                <serde_json::Error as serde::de::Error>::custom(
                    "an event channel answer is a JSON object",
                ),
            ));
        };
        let mut malformed = Vec::new();
        let links = match members.remove("_links") {
            None => ChannelLinks::default(),
            Some(links) => ChannelLinks::deserialize(&links).unwrap_or_else(|error| {
                malformed.push(MalformedEvent::new(
                    None,
                    &links,
                    format!("_links: {error}"),
                ));
                ChannelLinks::default()
            }),
        };
        let mut senders = Vec::new();
        let blocks = match members.remove("sender") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(blocks)) => blocks,
            Some(other) => vec![other],
        };
        for block in blocks {
            let href = block.get("href").and_then(Value::as_str).map(str::to_owned);
            let Value::Object(mut block_members) = block else {
                malformed.push(MalformedEvent::new(
                    None,
                    &block,
                    "a sender is a JSON object",
                ));
                continue;
            };
            let events = match block_members.remove("events") {
                Some(Value::Array(events)) => events,
                None | Some(Value::Null) => Vec::new(),
                Some(other) => vec![other],
            };
            block_members.insert("events".into(), Value::Array(Vec::new()));
            let block = Value::Object(block_members);
            let mut sender = match Sender::<K>::deserialize(&block) {
                Ok(sender) => sender,
                Err(error) => {
                    malformed.push(MalformedEvent::new(
                        href.as_deref(),
                        &block,
                        format!("sender: {error}"),
                    ));
                    continue;
                }
            };
            for event in events {
                match Event::<K>::deserialize(&event) {
                    Ok(event) => sender.events.push(event),
                    Err(error) => {
                        malformed.push(MalformedEvent::new(href.as_deref(), &event, error))
                    }
                }
            }
            senders.push(sender);
        }
        Ok((
            EventChannel {
                links,
                sender: senders,
                extra: members,
            },
            malformed,
        ))
    }
}

/// XML: `<events href>` with `<link>`s and `<sender rel href>` blocks whose
/// children are named by event type (`<updated rel href>`), each optionally
/// holding the embedded `<resource>`, further `<link>`s and a `<reason>`.
fn channel_value(
    root: &Element,
    shape_of: &dyn Fn(&str) -> Option<&'static Shape>,
) -> Result<Value, DecodeError> {
    xml::expect_name(root, "events")?;
    let mut links = RelGroups::default();
    if let Some(href) = root.attribute("href") {
        links.push("self", serde_json::json!({ "href": href }));
    }
    let mut senders = Vec::new();
    for child in &root.children {
        match child.name.as_str() {
            "link" => links.push(xml::required(child, "rel")?, xml::link_value(child)?),
            "sender" => senders.push(sender_value(child, shape_of)?),
            _ => {}
        }
    }
    let mut object = Map::new();
    // No links at all reads as empty links, as an absent `_links` does in JSON.
    if let Some(links) = links.into_object(&Shape::EMPTY) {
        object.insert("_links".into(), links);
    }
    object.insert("sender".into(), Value::Array(senders));
    Ok(Value::Object(object))
}

fn sender_value(
    sender: &Element,
    shape_of: &dyn Fn(&str) -> Option<&'static Shape>,
) -> Result<Value, DecodeError> {
    let mut events = Vec::new();
    for event in &sender.children {
        let mut link = Map::new();
        link.insert("rel".into(), xml::required(event, "rel")?.into());
        for (key, value) in event.attributes.iter().filter(|(key, _)| key != "rel") {
            link.insert(key.clone(), value.as_str().into());
        }
        let mut object = Map::new();
        object.insert("link".into(), Value::Object(link));
        object.insert("type".into(), event.name.as_str().into());
        let mut embedded = Map::new();
        for part in &event.children {
            match part.name.as_str() {
                "resource" => {
                    let rel = xml::required(part, "rel")?;
                    let shape = shape_of(rel).unwrap_or(&Shape::EMPTY);
                    embedded.insert(rel.to_owned(), xml::resource_value(part, shape)?);
                }
                "link" => {
                    object.insert(
                        xml::required(part, "rel")?.to_owned(),
                        xml::link_value(part)?,
                    );
                }
                "reason" => {
                    object.insert("reason".into(), xml::error_value(part)?);
                }
                _ => {}
            }
        }
        if !embedded.is_empty() {
            object.insert("_embedded".into(), Value::Object(embedded));
        }
        events.push(Value::Object(object));
    }
    Ok(serde_json::json!({
        "rel": xml::required(sender, "rel")?,
        "href": xml::required(sender, "href")?,
        "events": events,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Scalar;

    crate::open_enum! {
        /// The rels these tests know.
        pub enum Kind {
            /// communication
            Communication = "communication",
            /// me
            Me = "me",
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Communication {
        #[serde(rename = "supportedModalities")]
        supported_modalities: Vec<String>,
        etag: String,
    }

    const COMMUNICATION: Shape = Shape {
        properties: &[("supportedModalities", Scalar::StringList)],
        embedded: &[],
        arrays: &[],
    };

    impl Resource for Communication {
        const REL: &'static str = "communication";
        const XML_SHAPE: &'static Shape = &COMMUNICATION;
    }

    #[test]
    fn an_event_gives_a_typed_link_to_the_resource_it_names() {
        let event: Event<Kind> = serde_json::from_str(
            r#"{"link":{"rel":"communication","href":"/communication","title":"c"},"type":"updated"}"#,
        )
        .expect("event");
        let link = Link::<Communication>::from_event(&event).expect("a communication event");
        assert_eq!((link.href(), link.title()), ("/communication", Some("c")));
        let other: Event<Kind> =
            serde_json::from_str(r#"{"link":{"rel":"me","href":"/me"},"type":"updated"}"#)
                .expect("event");
        assert!(Link::<Communication>::from_event(&other).is_none());
        assert_eq!(Kind::Me.as_ref(), "me");
    }

    const JSON: &str = r#"{
      "_links": {"self": {"href": "/events?ack=1"}, "next": {"href": "/events?ack=2"}},
      "sender": [{
        "rel": "communication", "href": "/communication",
        "events": [{
          "link": {"rel": "communication", "href": "/communication"},
          "_embedded": {"communication": {
            "56de7bbf": "please pass this in a PUT request",
            "supportedModalities": ["Messaging"], "etag": "2943169141",
            "_links": {"self": {"href": "/communication"}}, "rel": "communication"}},
          "type": "updated"}]
      }, {
        "rel": "me", "href": "/me",
        "events": [
          {"link": {"rel": "presence", "href": "/me/presence"}, "type": "added"},
          {"link": {"rel": "note", "href": "/me/note", "title": "Note"}, "type": "moved",
           "in": {"rel": "me", "href": "/me"},
           "reason": {"code": "Informational", "subcode": "Removed"}}]
      }]
    }"#;

    #[test]
    fn a_malformed_event_is_set_apart_and_the_valid_ones_kept() {
        let body = r#"{"_links": {"next": {"href": "/events?ack=3"}},
          "sender": [{"rel": "me", "href": "/me", "events": [
            {"link": {"rel": "presence", "href": "/me/presence"}, "type": "updated"},
            {"link": {"rel": "note"}, "type": "updated"},
            {"link": {"rel": "note", "href": "/me/note"}, "type": "added"}]},
            {"href": "/nameless", "events": []},
            "not a sender"]}"#;
        let (channel, malformed) =
            EventChannel::<Kind>::from_json_lenient(body).expect("an object");
        let hrefs: Vec<&str> = channel
            .sender
            .iter()
            .flat_map(|sender| &sender.events)
            .map(|event| event.link.href.as_str())
            .collect();
        assert_eq!(hrefs, ["/me/presence", "/me/note"]);
        assert_eq!(
            channel.links.next.as_ref().map(Link::href),
            Some("/events?ack=3")
        );
        let reported: Vec<(Option<&str>, bool)> = malformed
            .iter()
            .map(|m| {
                (
                    m.sender_href.as_deref(),
                    m.error.contains("href")
                        || m.error.contains("rel")
                        || m.error.contains("object"),
                )
            })
            .collect();
        assert_eq!(
            reported,
            [(Some("/me"), true), (Some("/nameless"), true), (None, true)]
        );
        assert!(
            malformed[0].raw.contains(r#""rel":"note""#),
            "{:?}",
            malformed[0]
        );
        // Strictly read, the same body is an error as a whole.
        assert!(EventChannel::<Kind>::from_json(body).is_err());
        // Links that do not decode read as none, reported; a raw part is bounded.
        let long = format!(
            r#"{{"_links": {{"next": 7}}, "sender": [{{"rel":"me","href":"/me","events":[{{"x":"{}"}}]}}]}}"#,
            "é".repeat(5000)
        );
        let (channel, malformed) =
            EventChannel::<Kind>::from_json_lenient(&long).expect("an object");
        assert!(channel.links.next.is_none());
        assert_eq!(malformed.len(), 2);
        assert!(malformed
            .iter()
            .all(|m| m.raw.len() <= MalformedEvent::MAX_RAW));
        assert!(EventChannel::<Kind>::from_json_lenient("[1]").is_err());
    }

    #[test]
    fn json_channel_decodes_typed_and_round_trips() {
        let channel = EventChannel::<Kind>::from_json(JSON).expect("valid");
        assert_eq!(
            channel.links.next.as_ref().map(Link::href),
            Some("/events?ack=2")
        );
        assert_eq!(channel.sender[0].rel, Kind::Communication);
        let update = &channel.sender[0].events[0];
        assert_eq!(update.event_type, EventType::Updated);
        let communication = update
            .embedded_resource::<Communication>()
            .expect("embedded")
            .expect("valid");
        assert_eq!(communication.supported_modalities, ["Messaging"]);
        let note = &channel.sender[1].events[1];
        assert_eq!(note.link.rel, Kind::Other("note".into()));
        assert_eq!(note.event_type.as_str(), "moved");
        assert!(note.embedded_resource::<Communication>().is_none());
        let reason: crate::ErrorBody = note.reason().expect("has a reason").expect("valid");
        assert_eq!(
            reason.subcode.map(|subcode| subcode.to_string()).as_deref(),
            Some("Removed")
        );
        let original: Value = serde_json::from_str(JSON).expect("json");
        assert_eq!(serde_json::to_value(&channel).expect("encode"), original);
    }

    #[test]
    fn resync_response_has_only_a_link() {
        let channel =
            EventChannel::<Kind>::from_json(r#"{"_links":{"resync":{"href":"/events?ack=1"}}}"#)
                .expect("valid");
        assert!(channel.sender.is_empty() && channel.links.next.is_none());
        assert_eq!(
            channel.links.resync.map(|link| link.href),
            Some("/events?ack=1".to_owned())
        );
    }

    #[test]
    fn xml_channel_from_the_guide_matches_the_json_form() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<events href="/events?ack=1" xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
 <link rel="next" href="/events?ack=2" />
 <sender rel="communication" href="/communication">
  <updated rel="communication" href="/communication">
   <resource rel="communication" href="/communication">
    <property name="56de7bbf">please pass this in a PUT request</property>
    <propertyList name="supportedModalities"><item>Messaging</item></propertyList>
    <property name="etag">2943169141</property>
   </resource>
  </updated>
 </sender>
 <sender rel="me" href="/me">
  <added rel="presence" href="/me/presence" />
  <moved rel="note" href="/me/note" title="Note">
   <link rel="in" href="/me" />
   <reason><code>Informational</code><subcode>Removed</subcode></reason>
  </moved>
 </sender>
</events>"#;
        let channel = EventChannel::<Kind>::from_xml_with(xml, |rel| {
            (rel == "communication").then_some(&COMMUNICATION)
        })
        .expect("valid");
        let json = EventChannel::<Kind>::from_json(JSON).expect("valid");
        assert_eq!(channel.links, json.links);
        assert_eq!(channel.sender[0].events[0], json.sender[0].events[0]);
        assert_eq!(channel.sender[1].events[0], json.sender[1].events[0]);
        let note = &channel.sender[1].events[1];
        assert_eq!(note.link.title.as_deref(), Some("Note"));
        assert_eq!(
            note.extra.get("in"),
            Some(&serde_json::json!({"href": "/me"}))
        );
        assert!(note
            .reason::<crate::ErrorCode, crate::ErrorSubcode>()
            .is_some_and(|reason| reason.is_ok()));

        let without_links =
            EventChannel::<Kind>::from_xml(r#"<events><sender rel="me" href="/me"/></events>"#)
                .expect("links are optional, as in JSON");
        assert_eq!(without_links.links, ChannelLinks::default());
        let untyped = EventChannel::<String>::from_xml(xml).expect("valid without shapes");
        assert_eq!(untyped.sender.len(), 2);
        assert!(EventChannel::<Kind>::from_xml("<resource/>").is_err());
        assert!(EventChannel::<Kind>::from_xml("<events><sender rel='me'/></events>").is_err());
    }
}
