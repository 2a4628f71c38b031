//! The generated crate's rel-indexed entry to its typed operations
//! (`operation`, `build_request`, `read_response`), as a tool replaying
//! documented transcripts uses it, on the committed corpus crate.

use ucwa::AnyResource;
use ucwa_runtime::http;
use ucwa_runtime::{DynamicError, Format, Method, Outcome, ResponseError};

const START_MESSAGING_XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
  <property name="operationId">74cb7404e0a247d5a2d4eb0376a47dbf</property>
  <property name="to">sip:john@contoso.com</property>
  <property name="importance">Urgent</property>
</input>"#;

const HREF: &str =
    "https://fe1.contoso.com:443/ucwa/v1/applications/192/communication/startMessaging";

#[test]
fn a_documented_request_body_becomes_the_typed_request() {
    let request = ucwa::build_request(
        "startMessaging",
        Method::Post,
        HREF,
        Format::Xml,
        Some(START_MESSAGING_XML),
    )
    .expect("builds");
    let request = request.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), HREF);
    assert_eq!(request.headers()["content-type"], "application/xml");
    assert_eq!(request.headers()["accept"], "application/xml");
    let sent = std::str::from_utf8(request.body()).expect("utf-8");
    let decoded =
        <ucwa::resources::StartMessagingRequest as ucwa_runtime::RequestBody>::from_xml(sent)
            .expect("the built body decodes");
    assert_eq!(decoded.to, "sip:john@contoso.com");
    assert_eq!(
        decoded.importance.map(|i| i.to_string()).as_deref(),
        Some("Urgent")
    );

    let json = ucwa::build_request(
        "startMessaging",
        Method::Post,
        HREF,
        Format::Json,
        Some(r#"{"to":"sip:a@b","sessionContext":"x"}"#),
    )
    .expect("builds");
    let sent: serde_json::Value = serde_json::from_slice(json.request().body()).expect("json");
    assert_eq!(
        sent,
        serde_json::json!({"to":"sip:a@b","sessionContext":"x"}),
        "undocumented keys travel"
    );
    let get = ucwa::build_request(
        "me",
        "get".parse().expect("a method"),
        "/ucwa/me",
        Format::Json,
        None,
    )
    .expect("builds");
    assert_eq!(get.request().method(), http::Method::GET);
    assert!(get.request().body().is_empty());
}

#[test]
fn why_not_is_said() {
    let unknown = ucwa::build_request("noSuchThing", Method::Get, "/x", Format::Json, None);
    assert!(
        matches!(unknown, Err(DynamicError::UnknownRel { .. })),
        "{unknown:?}"
    );
    let no_get = ucwa::build_request("startMessaging", Method::Get, "/x", Format::Json, None);
    assert!(
        matches!(no_get, Err(DynamicError::NoSuchOperation { .. })),
        "{no_get:?}"
    );
    assert!(matches!(
        ucwa::operation("applications", Method::Options),
        Err(DynamicError::NoSuchOperation { .. })
    ));
    match ucwa::build_request(
        "startMessaging",
        Method::Post,
        HREF,
        Format::Json,
        Some(r#"{"to":5}"#),
    ) {
        Err(DynamicError::Body(error)) => {
            assert_eq!(error.path.as_deref(), Some("to"));
            assert!(error.to_string().contains("(at `to`)"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    match ucwa::build_request(
        "startMessaging",
        Method::Post,
        HREF,
        Format::Json,
        Some("{}"),
    ) {
        Err(DynamicError::Body(error)) => assert_eq!(error.path.as_deref(), Some("to")),
        other => panic!("{other:?}"),
    }
    // A PUT sends the resource: a nested field names its whole path.
    let put = ucwa::build_request(
        "callForwardingSettings",
        Method::Put,
        "/s",
        Format::Json,
        Some(r#"{"_links":{"self":5}}"#),
    );
    match put {
        Err(DynamicError::Body(error)) => assert_eq!(error.path.as_deref(), Some("_links.self")),
        other => panic!("{other:?}"),
    }
    let body_on_get = ucwa::build_request("me", Method::Get, "/me", Format::Json, Some("{}"));
    assert!(matches!(body_on_get, Err(DynamicError::Body(_))));
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut response = http::Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(body.as_bytes().to_vec()).expect("a response")
}

#[test]
fn documented_answers_read_into_any_resource() {
    let created = ucwa::read_response(
        "startMessaging",
        Method::Post,
        &response(
            201,
            &[(
                "Location",
                "/ucwa/v1/applications/192/communication/invitations/602",
            )],
            "",
        ),
    )
    .expect("reads");
    assert_eq!(
        created.location().map(|link| link.href()),
        Some("/ucwa/v1/applications/192/communication/invitations/602")
    );
    let messaging = ucwa::read_response(
        "messaging",
        Method::Get,
        &response(
            200,
            &[("Content-Type", "application/json")],
            r#"{"rel":"messaging","state":"Connected"}"#,
        ),
    )
    .expect("reads");
    match messaging {
        Outcome::Resource(AnyResource::Messaging(messaging)) => {
            assert_eq!(messaging.state.as_deref(), Some("Connected"))
        }
        other => panic!("{other:?}"),
    }
    let conflict = ucwa::read_response(
        "startMessaging",
        Method::Post,
        &response(
            409,
            &[("Content-Type", "application/json")],
            r#"{"code":"Conflict","subcode":"AlreadyExists"}"#,
        ),
    );
    match conflict {
        Err(DynamicError::Response(ResponseError::Status(error))) => {
            assert_eq!(error.documented.map(|e| e.subcode), Some("AlreadyExists"))
        }
        other => panic!("{other:?}"),
    }
    let request = ucwa::build_request("stopMessaging", Method::Post, "/t", Format::Json, None)
        .expect("builds");
    let stopped = request
        .reader()
        .read(&response(204, &[], ""))
        .expect("reads");
    assert_eq!(stopped, Outcome::NoContent);
}
