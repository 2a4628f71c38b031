//! Server responses are untrusted: deep nesting, document type declarations,
//! entities and huge bodies must come back as errors (or inert text), never
//! as a stack overflow, an expanded entity or an unbounded allocation.
//! Runs in the default (debug) test profile, where stack frames are largest.

use serde::{Deserialize, Serialize};
use ucwa_runtime::error::ErrorBody;
use ucwa_runtime::events::EventChannel;
use ucwa_runtime::xml::{Scalar, Shape};
use ucwa_runtime::{
    DataUriError, DecodeError, Link, RequestBody, Resource, MAX_BODY_BYTES, MAX_DATA_URI_BYTES,
};

const DEPTH: usize = 10_000;

/// A resource as the generator writes one: known fields, links, and the rest kept.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Contact {
    rel: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "_links", default)]
    links: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

const CONTACT: Shape = Shape {
    properties: &[("emailAddresses", Scalar::StringList)],
    embedded: &[],
    arrays: &[],
};

impl Resource for Contact {
    const REL: &'static str = "contact";
    const XML_SHAPE: &'static Shape = &CONTACT;
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SendMessage {
    message: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl RequestBody for SendMessage {}

type Events = EventChannel<String>;
type Error = ErrorBody<String, String>;

/// Runs every decoder on `body` and returns their errors; panics if one succeeds.
fn every_decoder_refuses(body: &str, xml: bool) -> Vec<DecodeError> {
    let results: Vec<(&str, Result<(), DecodeError>)> = if xml {
        vec![
            ("resource", Contact::from_xml(body).map(drop)),
            ("request body", SendMessage::from_xml(body).map(drop)),
            ("events", Events::from_xml(body).map(drop)),
            ("error body", Error::from_xml(body).map(drop)),
            (
                "link",
                Link::<Contact>::new("/contact").decode_xml(body).map(drop),
            ),
        ]
    } else {
        vec![
            ("resource", Contact::from_json(body).map(drop)),
            ("request body", SendMessage::from_json(body).map(drop)),
            ("events", Events::from_json(body).map(drop)),
            ("error body", Error::from_json(body).map(drop)),
            (
                "link",
                Link::<Contact>::new("/contact").decode_json(body).map(drop),
            ),
        ]
    };
    results
        .into_iter()
        .map(|(decoder, result)| match result {
            Ok(()) => panic!("{decoder} decoder accepted a hostile body"),
            Err(error) => error,
        })
        .collect()
}

#[test]
fn ten_thousand_nested_json_arrays_are_an_error() {
    let arrays = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let in_unknown_key = format!(
        r#"{{"rel":"contact","message":"m","href":"/x","code":"c","_links":{{}},"sender":[],"junk":{arrays}}}"#
    );
    for body in [arrays.clone(), in_unknown_key] {
        for error in every_decoder_refuses(&body, false) {
            // Refused by the decoding budget's nesting bound, before
            // serde_json's own recursion limit is reached.
            assert!(
                matches!(
                    error,
                    DecodeError::OverBudget {
                        what: "nesting",
                        ..
                    }
                ),
                "{error}"
            );
        }
    }
    let objects = format!("{}{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH));
    every_decoder_refuses(&objects, false);
    // Unterminated: the parser must give up on depth before reaching the end.
    every_decoder_refuses(&"[".repeat(DEPTH), false);
}

#[test]
fn ten_thousand_nested_xml_elements_are_an_error() {
    let nested = |root: &str, open: &str, close: &str| {
        format!(
            "<{root}>{}{}</{}>",
            open.repeat(DEPTH),
            close.repeat(DEPTH),
            root.split(' ').next().unwrap_or(root)
        )
    };
    let bodies = [
        nested(r#"resource rel="contact" href="/contact""#, "<a>", "</a>"),
        nested(
            r#"resource rel="contact" href="/contact""#,
            r#"<resource rel="x" href="/x">"#,
            "</resource>",
        ),
        nested("input", "<property name=\"message\">", "</property>"),
        nested(
            r#"events href="/events""#,
            r#"<sender rel="me" href="/me">"#,
            "</sender>",
        ),
        nested("error", "<reason>", "</reason>"),
        // Never closed: the depth limit must trip before the missing end tags are noticed.
        format!(
            r#"<resource rel="contact" href="/c">{}"#,
            "<a>".repeat(DEPTH)
        ),
    ];
    for body in &bodies {
        for error in every_decoder_refuses(body, true) {
            assert!(!error.to_string().is_empty());
        }
        let error = Contact::from_xml(body).expect_err("too deep");
        assert!(
            matches!(
                error,
                DecodeError::TooDeep { .. } | DecodeError::Structure { .. }
            ),
            "{error}"
        );
    }
    let error = Contact::from_xml(&bodies[0]).expect_err("too deep");
    assert!(matches!(error, DecodeError::TooDeep { .. }), "{error}");
}

const SECRET: &str = "entity-was-expanded";

#[test]
fn xml_document_types_and_entities_are_never_expanded() {
    let resource = |prolog: &str, value: &str| {
        format!(
            r#"<?xml version="1.0"?>{prolog}<resource rel="contact" href="/contact"><property name="rel">contact</property><property name="name">{value}</property></resource>"#
        )
    };
    let secret_file = std::env::temp_dir().join(format!("ucwa-hostile-{}.txt", std::process::id()));
    std::fs::write(&secret_file, SECRET).expect("temp file");
    let file_url = format!("file://{}", secret_file.display());
    let laughs: String = (1..10)
        .map(|n| format!(r#"<!ENTITY l{n} "{}">"#, format!("&l{};", n - 1).repeat(10)))
        .collect();
    let hostile = [
        resource(&format!(r#"<!DOCTYPE r [<!ENTITY x "{SECRET}">]>"#), "&x;"),
        resource(
            &format!(r#"<!DOCTYPE r [<!ENTITY l0 "{SECRET}">{laughs}]>"#),
            "&l9;",
        ),
        resource(
            &format!(r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "{file_url}">]>"#),
            "&xxe;",
        ),
        resource(&format!(r#"<!DOCTYPE r SYSTEM "{file_url}">"#), "plain"),
        resource(
            &format!(r#"<!DOCTYPE r [<!ENTITY % p SYSTEM "{file_url}"> %p;]>"#),
            "&x;",
        ),
    ];
    for body in &hostile {
        let error = Contact::from_xml(body).expect_err("document types are refused");
        assert!(matches!(error, DecodeError::DocumentType), "{error}");
        for error in every_decoder_refuses(body, true) {
            assert!(!error.to_string().contains(SECRET), "{error}");
        }
    }
    // Without a declaration an unknown entity is malformed XML, or at most literal text.
    for value in ["&x;", "&xxe;", "&#x26;x;"] {
        match Contact::from_xml(&resource("", value)) {
            Ok(contact) => assert!(!contact.name.unwrap_or_default().contains(SECRET)),
            Err(error) => assert!(!error.to_string().contains(SECRET), "{error}"),
        }
    }
    // The five predefined entities and character references still decode.
    let contact =
        Contact::from_xml(&resource("", "a &amp; b &lt;c&gt; &#65;")).expect("ordinary escapes");
    assert_eq!(contact.name.as_deref(), Some("a & b <c> A"));
    let _ = std::fs::remove_file(secret_file);
}

#[test]
fn huge_data_uris_are_refused_beyond_the_limit() {
    let base64_over = format!(
        "data:text/plain;base64,{}",
        "QUJD".repeat(MAX_DATA_URI_BYTES / 3 + 8)
    );
    let error = Link::<Contact>::new(base64_over)
        .data()
        .expect("is a data URI")
        .expect_err("too large");
    assert!(
        matches!(error, DataUriError::TooLarge { limit } if limit == MAX_DATA_URI_BYTES),
        "{error}"
    );

    let plain_over = format!("data:,{}", "A".repeat(MAX_DATA_URI_BYTES + 1));
    let error = Link::<Contact>::new(plain_over)
        .data()
        .expect("is a data URI")
        .expect_err("too large");
    assert!(matches!(error, DataUriError::TooLarge { .. }), "{error}");

    let escaped_over = format!("data:,{}", "%41".repeat(MAX_DATA_URI_BYTES + 1));
    assert!(matches!(
        Link::<Contact>::new(escaped_over).data(),
        Some(Err(DataUriError::TooLarge { .. }))
    ));

    // Just under the limit still decodes, so the bound is the limit and not something smaller.
    let under = format!("data:text/plain;base64,{}", "QUJD".repeat(1024));
    let data = Link::<Contact>::new(under)
        .data()
        .expect("is a data URI")
        .expect("decodes");
    assert_eq!(data.text().map(str::len), Some(3 * 1024));
}

#[test]
fn bodies_beyond_the_size_limit_are_refused_before_parsing() {
    let padding = " ".repeat(MAX_BODY_BYTES);
    let json = format!(r#"{{"rel":"contact"}}{padding}"#);
    let xml = format!(r#"<resource rel="contact" href="/c"/>{padding}"#);
    for error in every_decoder_refuses(&json, false)
        .into_iter()
        .chain(every_decoder_refuses(&xml, true))
    {
        assert!(
            matches!(error, DecodeError::TooLarge { limit } if limit == MAX_BODY_BYTES),
            "{error}"
        );
    }
    // The same bodies without the padding are fine, so the padding is what was refused.
    assert!(Contact::from_json(r#"{"rel":"contact"}"#).is_ok());
    assert!(Contact::from_xml(r#"<resource rel="contact" href="/c"/>"#).is_ok());
}

/// The shapes of the issue 21 audit: bodies within the byte limit whose
/// decoded form is a hundred times their size. Each is refused by the
/// decoding budget's pass over its bytes, before anything is built (the
/// memory each would have taken, and takes now, is in BENCHMARKS.md).
#[test]
fn bodies_that_would_decode_to_many_small_values_are_refused_before_decoding() {
    let many = |count: usize| vec![r#"{"a":0}"#; count].join(",");
    // A 14 MB error body of small objects: 1.4 GB as `Value`s before.
    let error_body = format!(r#"{{"code":"BadRequest","x":[{}]}}"#, many(1_750_000));
    assert!(error_body.len() > 14_000_000 && error_body.len() < MAX_BODY_BYTES);
    assert!(matches!(
        Error::from_json(&error_body),
        Err(DecodeError::OverBudget {
            what: "values",
            limit: 4_096
        })
    ));
    assert!(Error::from_bytes(error_body.as_bytes()).is_none());
    // An XML `<reason>` with 1.5 million empty elements: 626 MB before.
    let reason = format!(
        "<reason code=\"BadRequest\">{}</reason>",
        "<x/>".repeat(1_500_000)
    );
    assert!(matches!(
        Error::from_xml(&reason),
        Err(DecodeError::OverBudget {
            what: "elements and attributes",
            ..
        })
    ));
    // A resource holding such an array (an application kept for the whole
    // session: 889 MB before) and an event channel answer.
    let resource = format!(r#"{{"rel":"contact","junk":[{}]}}"#, many(1_750_000));
    for error in every_decoder_refuses(&resource, false) {
        assert!(
            matches!(error, DecodeError::OverBudget { what: "values", .. }),
            "{error}"
        );
    }
    // Within the budget, a large but ordinary body still decodes.
    let contacts = format!(r#"{{"rel":"contact","junk":[{}]}}"#, many(60_000));
    assert!(Contact::from_json(&contacts).is_ok());
}
