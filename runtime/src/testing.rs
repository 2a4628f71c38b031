//! What the sample tests of a generated crate check, shared instead of
//! copied into every crate: each documented sample decodes into its type and
//! encodes back without loss, and each sample recorded as damaged is still
//! rejected. These panic with the reason, as test helpers do.

use crate::events::EventChannel;
use crate::operation::{Delete, Get, NoBody, Outcome, Payload, Post, Put};
use crate::{xml, Format, Link, RequestBody, Resource};
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// `field` serialises to exactly the JSON text `expected`.
pub fn holds<V: Serialize>(field: &V, expected: &str) {
    let expected: Value = serde_json::from_str(expected).expect("the expected value is JSON");
    assert_eq!(
        serde_json::to_value(field).expect("the field encodes"),
        expected
    );
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the body is JSON")
}

/// Decodes a JSON body and checks that encoding gives back the same JSON value.
pub fn json_round_trip<T: Resource>(body: &str) -> T {
    let decoded = T::from_json(body).expect("the body decodes");
    assert_eq!(json(&decoded.to_json().expect("encodes")), json(body));
    decoded
}

/// The JSON value of `value` without the keys `drop`.
fn without<T: Serialize>(value: &T, drop: &[&str]) -> Value {
    let mut value = serde_json::to_value(value).expect("encodes");
    if let Some(object) = value.as_object_mut() {
        for key in drop {
            object.remove(*key);
        }
    }
    value
}

/// Decodes an XML body and checks that its XML encoding decodes to the same
/// value, apart from `rel`, which the encoder always writes as the documented one.
pub fn xml_round_trip<T: Resource>(body: &str) -> T {
    let decoded = T::from_xml(body).expect("the body decodes");
    let again = T::from_xml(&decoded.to_xml().expect("encodes")).expect("decodes again");
    assert_eq!(without(&again, &["rel"]), without(&decoded, &["rel"]));
    decoded
}

/// Decodes a JSON request body and checks that encoding gives back the same JSON value.
pub fn request_json_round_trip<T: RequestBody>(body: &str) -> T {
    let decoded = T::from_json(body).expect("the body decodes");
    assert_eq!(json(&decoded.to_json().expect("encodes")), json(body));
    decoded
}

/// Decodes an XML `<input>` body and checks that its XML encoding decodes to the same value.
pub fn request_xml_round_trip<T: RequestBody>(body: &str) -> T {
    let decoded = T::from_xml(body).expect("the body decodes");
    let again = T::from_xml(&decoded.to_xml().expect("encodes")).expect("decodes again");
    assert_eq!(without(&again, &[]), without(&decoded, &[]));
    decoded
}

/// Reads a request body sent as an XML `<resource>` (what a GET gave, sent
/// back by a PUT) into `T`.
fn request_from_resource_xml<T: RequestBody>(body: &str) -> Result<T, crate::DecodeError> {
    let value = xml::to_json_value(body, T::xml_shape())?;
    Ok(serde_json::from_value(value)?)
}

/// Decodes a request body sent as an XML `<resource>` and checks that its
/// `<input>` encoding decodes to the same value, apart from what `<input>`
/// does not carry: `rel`, and the links and embedded resources the server
/// ignores in input (PayloadFormat.md, "Input formats").
pub fn request_resource_xml_round_trip<T: RequestBody>(body: &str) -> T {
    let decoded: T = request_from_resource_xml(body).expect("the body decodes");
    let again = T::from_xml(&decoded.to_xml().expect("encodes")).expect("decodes again");
    let input_part = ["rel", "_links", "_embedded"];
    assert_eq!(without(&again, &input_part), without(&decoded, &input_part));
    decoded
}

/// The top-level keys, sorted, of a JSON request body read as a plain UCWA input.
pub fn json_input_keys(body: &str) -> Vec<String> {
    let object: Map<String, Value> = serde_json::from_str(body).expect("a JSON object");
    sorted_keys(object)
}

/// The keys, sorted, an XML `<input>` body reads as (its properties,
/// `_links`, `_embedded`).
pub fn xml_input_keys(body: &str) -> Vec<String> {
    let value = xml::input_to_json_value(body, &xml::Shape::EMPTY).expect("an XML <input>");
    let Value::Object(object) = value else {
        panic!("not an object: {value}");
    };
    sorted_keys(object)
}

fn sorted_keys(object: Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = object.into_iter().map(|(key, _)| key).collect();
    keys.sort();
    keys
}

/// Decodes a JSON event channel body, checks that encoding gives back the
/// same JSON value, and that it has `senders` sender blocks.
pub fn json_events<K: Serialize + DeserializeOwned>(body: &str, senders: usize) -> EventChannel<K> {
    let events = EventChannel::<K>::from_json(body).expect("the body decodes");
    assert_eq!(events.sender.len(), senders);
    assert_eq!(serde_json::to_value(&events).expect("encodes"), json(body));
    events
}

/// Decodes an XML event channel body with `senders` sender blocks.
pub fn xml_events<K: DeserializeOwned>(body: &str, senders: usize) -> EventChannel<K> {
    let events = EventChannel::<K>::from_xml(body).expect("the body decodes");
    assert_eq!(events.sender.len(), senders);
    events
}

/// The method and URL of a documented request line (`Post https://... HTTP/1.1`).
fn request_line(line: &str) -> (&str, &str) {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some(method), Some(url)) => (method, url),
        _ => panic!("not a request line: {line:?}"),
    }
}

/// The format of a documented `Content-Type`.
fn format_of(content_type: &str) -> Format {
    Format::from_media_type(content_type)
        .unwrap_or_else(|| panic!("{content_type:?} is neither JSON nor XML"))
}

/// The built request has the documented request line, and `Accept` and
/// `Content-Type` of the documented format (no `Content-Type` without a body).
fn same_request_line(request: &http::Request<Vec<u8>>, line: &str, format: Format) {
    let (method, url) = request_line(line);
    assert!(
        request.method().as_str().eq_ignore_ascii_case(method),
        "{line}: built {}",
        request.method()
    );
    assert_eq!(request.uri().to_string(), url, "{line}");
    assert_eq!(request.headers()[ACCEPT], format.media_type(), "{line}");
    match request.body().is_empty() {
        true => assert!(!request.headers().contains_key(CONTENT_TYPE), "{line}"),
        false => assert_eq!(
            request.headers()[CONTENT_TYPE],
            format.media_type(),
            "{line}"
        ),
    }
}

/// The text of a built body.
fn text(request: &http::Request<Vec<u8>>) -> &str {
    std::str::from_utf8(request.body()).expect("the built body is UTF-8")
}

/// A documented GET request line is what the typed builder makes of its URL.
pub fn requests_get<T: Get>(line: &str) {
    requests_plain(line, |url| Link::<T>::new(url).get().build());
}

/// A documented DELETE request line is what the typed builder makes of its URL.
pub fn requests_delete<T: Delete>(line: &str) {
    requests_plain(line, |url| Link::<T>::new(url).delete().build());
}

/// A request without a body, built from the URL of `line`, is `line`.
fn requests_plain<Out>(
    line: &str,
    build: impl Fn(&str) -> Result<crate::OperationRequest<Out>, crate::RequestError>,
) {
    let request = build(request_line(line).1).expect("the request builds");
    same_request_line(request.request(), line, Format::Json);
}

/// The typed builder sends `body` (a documented request body, decoded) as
/// the documented request does: its request line, the documented
/// `Content-Type`, and a body that decodes back to `body`.
pub fn requests_post<T: Post>(body: &T::Body, line: &str, content_type: &str)
where
    T::Body: PartialEq + std::fmt::Debug,
{
    let (_, url) = request_line(line);
    let format = format_of(content_type);
    let link = Link::<T>::new(url);
    let request = link
        .post(body)
        .format(format)
        .build()
        .expect("the request builds");
    same_request_line(request.request(), line, format);
    let sent = T::Body::decode(format, text(request.request())).expect("the built body decodes");
    assert_eq!(&sent, body, "{line}");
}

/// The typed builder sends a POST documented without a body as it is documented.
pub fn requests_without_body<T: Post<Body = NoBody>>(line: &str) {
    let (_, url) = request_line(line);
    let request = Link::<T>::new(url)
        .post(&NoBody)
        .build()
        .expect("the request builds");
    same_request_line(request.request(), line, Format::Json);
    assert!(request.request().body().is_empty());
}

/// The builder sends a POST body it has no type for (text, SDP, a multipart
/// batch, an input the page documents no fields of) as documented.
pub fn requests_content<T: Post>(line: &str, content_type: &str, body: &str) {
    let (method, url) = request_line(line);
    let value = HeaderValue::from_str(content_type).expect("a header value");
    let request = Link::<T>::new(url)
        .post_content(value, body.as_bytes().to_vec())
        .build()
        .expect("the request builds");
    let request = request.request();
    assert!(
        request.method().as_str().eq_ignore_ascii_case(method),
        "{line}"
    );
    assert_eq!(request.uri().to_string(), url, "{line}");
    assert_eq!(request.headers()[CONTENT_TYPE], content_type, "{line}");
    assert_eq!(request.body(), body.as_bytes());
}

/// A documented PUT (the resource sent back) is what the typed builder makes
/// of its body: the request line, the `Content-Type`, the same resource.
pub fn requests_put<T: Put>(line: &str, content_type: &str, body: &str) {
    let (_, url) = request_line(line);
    let format = format_of(content_type);
    // An XML PUT may send the resource as an `<input>` (PayloadFormat.md).
    let as_input = || -> Result<T, crate::DecodeError> {
        let value = xml::input_to_json_value(body, T::xml_shape())?;
        Ok(serde_json::from_value(value)?)
    };
    let resource = match format {
        Format::Xml => T::from_xml(body).or_else(|_| as_input()),
        Format::Json => T::from_json(body),
    }
    .expect("the documented body decodes");
    let link = Link::<T>::new(url);
    let request = link
        .put(&resource)
        .format(format)
        .build()
        .expect("the request builds");
    same_request_line(request.request(), line, format);
    let sent: T = format
        .decode(text(request.request()))
        .expect("the built body decodes");
    // `rel` is written as the documented one in XML.
    assert_eq!(
        without(&sent, &["rel"]),
        without(&resource, &["rel"]),
        "{line}"
    );
}

/// A documented response: its status line, headers (`Location`,
/// `Content-Type`) and body.
fn response(line: &str, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {line:?}"));
    let mut response = http::Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(body.as_bytes().to_vec()).expect("a response")
}

/// The outcome is what the status says: `201` with its `Location`, `204` (or
/// no body) nothing, a body the resource (or, untyped, the content).
fn outcome_fits<T>(outcome: &Outcome<T>, line: &str, headers: &[(&str, &str)], body: &str) {
    let location = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
        .map(|(_, value)| *value);
    match outcome {
        Outcome::Created { location: link, .. } => {
            assert!(line.contains(" 201"), "{line}: read as Created");
            assert_eq!(Some(link.href()), location, "{line}");
        }
        Outcome::NoContent => assert!(body.trim().is_empty(), "{line}: read as NoContent"),
        Outcome::Resource(_) | Outcome::Content { .. } => {
            let created_at = line.contains(" 201") && location.is_some();
            assert!(!created_at, "{line}: a body read instead of Created");
            assert!(!body.trim().is_empty(), "{line}");
        }
    }
}

/// The typed reader of a GET reads the documented answer as the resource.
pub fn reads_get<T: Get>(line: &str, headers: &[(&str, &str)], body: &str) -> T {
    T::read_get(&response(line, headers, body)).expect("the documented answer reads")
}

/// The typed reader of a POST reads the documented answer as its status says.
pub fn reads_post<T: Post>(line: &str, headers: &[(&str, &str)], body: &str) -> Outcome<T::Output> {
    let outcome =
        T::read_post(&response(line, headers, body)).expect("the documented answer reads");
    outcome_fits(&outcome, line, headers, body);
    outcome
}

/// The typed reader of a PUT reads the documented answer as its status says.
pub fn reads_put<T: Put>(line: &str, headers: &[(&str, &str)], body: &str) -> Outcome<T> {
    let outcome = T::read_put(&response(line, headers, body)).expect("the documented answer reads");
    outcome_fits(&outcome, line, headers, body);
    outcome
}

/// The typed reader of a DELETE accepts the documented answer.
pub fn reads_delete<T: Delete>(line: &str, headers: &[(&str, &str)], body: &str) {
    T::read_delete(&response(line, headers, body)).expect("the documented answer reads");
}

/// Whether a body decodes; one per decoder a damaged sample would go to.
pub type Decodes = fn(&str) -> bool;

/// A JSON body of resource `T`.
pub fn decodes_json<T: Resource>(body: &str) -> bool {
    T::from_json(body).is_ok()
}

/// An XML body of resource `T`.
pub fn decodes_xml<T: Resource>(body: &str) -> bool {
    T::from_xml(body).is_ok()
}

/// A JSON request body `T`.
pub fn request_decodes_json<T: RequestBody>(body: &str) -> bool {
    T::from_json(body).is_ok()
}

/// An XML `<input>` request body `T`.
pub fn request_decodes_xml<T: RequestBody>(body: &str) -> bool {
    T::from_xml(body).is_ok()
}

/// An XML `<resource>` sent as request body `T`.
pub fn request_decodes_resource_xml<T: RequestBody>(body: &str) -> bool {
    request_from_resource_xml::<T>(body).is_ok()
}

/// A JSON request body of no documented type: any object.
pub fn input_decodes_json(body: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(body).is_ok()
}

/// An XML `<input>` request body of no documented type.
pub fn input_decodes_xml(body: &str) -> bool {
    xml::input_to_json_value(body, &xml::Shape::EMPTY).is_ok()
}

/// A JSON event channel body.
pub fn events_decode_json<K: DeserializeOwned>(body: &str) -> bool {
    EventChannel::<K>::from_json(body).is_ok()
}

/// An XML event channel body.
pub fn events_decode_xml<K: DeserializeOwned>(body: &str) -> bool {
    EventChannel::<K>::from_xml(body).is_ok()
}

/// Each damaged sample (where it is from and why it is damaged, the decoder
/// it would go to, the body) must still fail to decode: if one starts
/// decoding, the page or the schema changed and the sample deserves a real test.
pub fn still_rejected(damaged: &[(&str, Decodes, &str)]) {
    for (origin, decodes, body) in damaged {
        assert!(!decodes(body), "{origin}: decodes now");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Shape;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Note {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rel: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    }

    impl Resource for Note {
        const REL: &'static str = "note";
        const XML_SHAPE: &'static Shape = &Shape::EMPTY;
    }

    impl RequestBody for Note {}

    #[test]
    fn samples_round_trip_through_both_formats() {
        let note: Note = json_round_trip(r#"{"rel":"note","message":"hi"}"#);
        holds(&note.message, r#""hi""#);
        let xml =
            r#"<resource rel="note" href="/n"><property name="message">hi</property></resource>"#;
        let from_xml: Note = xml_round_trip(xml);
        assert_eq!(from_xml.message.as_deref(), Some("hi"));
        let request: Note = request_resource_xml_round_trip(xml);
        assert_eq!(request.message.as_deref(), Some("hi"));
        let input = r#"<input><property name="message">hi</property></input>"#;
        let _: Note = request_xml_round_trip(input);
        let _: Note = request_json_round_trip(r#"{"message":"hi"}"#);
        assert_eq!(xml_input_keys(input), ["message"]);
        assert_eq!(json_input_keys(r#"{"b":1,"a":2}"#), ["a", "b"]);
    }

    #[test]
    #[should_panic(expected = "assertion `left == right` failed")]
    fn a_sample_that_loses_a_value_fails_its_round_trip() {
        // `count` is not a field of Note and Note keeps no `extra`: encoding loses it.
        let _: Note = json_round_trip(r#"{"rel":"note","count":1}"#);
    }

    impl Get for Note {
        type Query = ();
    }
    impl Post for Note {
        type Body = Note;
        type Output = Note;
        type Query = ();
    }
    impl Put for Note {}
    impl Delete for Note {}

    #[test]
    fn documented_requests_are_built_and_documented_answers_read() {
        requests_get::<Note>("GET https://pool.contoso.com/ucwa/notes/1 HTTP/1.1");
        requests_delete::<Note>("Delete /ucwa/notes/1 HTTP/1.1");
        let note = Note {
            rel: None,
            message: Some("hi".into()),
        };
        requests_post::<Note>(
            &note,
            "Post https://h:443/ucwa/notes HTTP/1.1",
            "application/json",
        );
        requests_post::<Note>(
            &note,
            "POST /ucwa/notes",
            "application/vnd.microsoft.com.ucwa+xml",
        );
        requests_content::<Note>("POST /ucwa/notes?x=1 HTTP/1.1", "text/plain", "What's up?");
        let resource =
            r#"<resource rel="note" href="/n"><property name="message">hi</property></resource>"#;
        requests_put::<Note>("PUT /ucwa/notes/1 HTTP/1.1", "application/xml", resource);
        let input = r#"<input><property name="message">hi</property></input>"#;
        requests_put::<Note>("PUT /ucwa/notes/1 HTTP/1.1", "application/xml", input);
        requests_put::<Note>(
            "PUT /ucwa/notes/1 HTTP/1.1",
            "application/json",
            r#"{"message":"hi"}"#,
        );

        let created = reads_post::<Note>("HTTP/1.1 201 Created", &[("Location", "/n/2")], "");
        assert_eq!(created.location().map(Link::href), Some("/n/2"));
        let json = [("Content-Type", "application/json")];
        let read = reads_get::<Note>("HTTP/1.1 200 OK", &json, r#"{"message":"hi"}"#);
        assert_eq!(read.message.as_deref(), Some("hi"));
        assert_eq!(
            reads_put::<Note>("HTTP/1.1 204 No Content", &[], ""),
            Outcome::NoContent
        );
        reads_delete::<Note>("HTTP/1.1 204 No Content", &[], "");

        // What does not match the documented message fails the test.
        for wrong in [
            std::panic::catch_unwind(|| requests_get::<Note>("POST /ucwa/notes/1 HTTP/1.1")),
            std::panic::catch_unwind(|| {
                requests_post::<Note>(&Note::default(), "POST /n", "text/plain");
            }),
            std::panic::catch_unwind(|| {
                reads_post::<Note>("HTTP/1.1 OK", &[], "");
            }),
            std::panic::catch_unwind(|| {
                reads_get::<Note>("HTTP/1.1 404 Not Found", &[], "");
            }),
        ] {
            assert!(wrong.is_err());
        }
    }

    #[test]
    fn damaged_samples_pass_only_while_rejected() {
        let damaged: &[(&str, Decodes, &str)] = &[
            ("cut off", decodes_json::<Note>, r#"{"rel":"#),
            ("not XML", decodes_xml::<Note>, "<resource"),
            ("not an object", input_decodes_json, "[1]"),
            ("not input", input_decodes_xml, "<html/>"),
            ("events", events_decode_json::<String>, "{"),
            ("events", events_decode_xml::<String>, "<events"),
            ("request", request_decodes_json::<Note>, "{"),
            ("request", request_decodes_xml::<Note>, "<input"),
            ("request", request_decodes_resource_xml::<Note>, "<resource"),
        ];
        still_rejected(damaged);
        let decodes_now = std::panic::catch_unwind(|| {
            still_rejected(&[("fixed", decodes_json::<Note>, r#"{"rel":"note"}"#)])
        });
        assert!(decodes_now.is_err());
    }

    #[test]
    fn event_channel_samples_count_their_senders() {
        let body = r#"{"_links":{"next":{"href":"/e?ack=2"}},"sender":[{"rel":"me","href":"/me","events":[]}]}"#;
        let events: EventChannel<String> = json_events(body, 1);
        assert_eq!(events.sender[0].rel, "me");
        let xml = r#"<events href="/e"><sender rel="me" href="/me"/></events>"#;
        let _: EventChannel<String> = xml_events(xml, 1);
    }
}
