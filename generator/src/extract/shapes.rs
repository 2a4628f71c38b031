//! What only a page's response samples show about its resource's shape:
//! which rels come embedded (`_embedded`), which rels come as arrays, and
//! which properties without a type are lists.
//!
//! Inferred here, once, and written into the schema with the sample that
//! shows it, so the emitter reads every fact from the YAML and an override
//! can correct any of them.

use crate::schema::{ArrayRel, Direction, Document, Embedded, Example, SampleFormat, TypeRef};
use serde_json::Value;

/// Records the embedded rels, the array rels and the untyped list properties
/// that the page's valid response samples show, then those the transcripts
/// show for this resource (`observed`: bodies with where they were read).
/// Runs after every other kind of type evidence: a property already typed
/// keeps its type, and a fact the reference samples show keeps their source.
pub fn from_samples(document: &mut Document, observed: &[(&Value, &str)]) {
    let mut embedded: Vec<Embedded> = Vec::new();
    let mut array_rels: Vec<ArrayRel> = Vec::new();
    let mut lists: Vec<(String, String)> = Vec::new();
    let samples: Vec<(Value, String)> = responses(document, SampleFormat::Json)
        .filter_map(|(example, origin)| Some((serde_json::from_str(&example.body).ok()?, origin)))
        .collect();
    let transcripts: Vec<(Value, String)> = observed
        .iter()
        .map(|(body, origin)| ((*body).clone(), format!("transcript {origin}")))
        .collect();
    for (value, origin) in samples.iter().chain(&transcripts) {
        for key in ["_links", "_embedded"] {
            let Some(rels) = value.get(key).and_then(Value::as_object) else {
                continue;
            };
            for (rel, item) in rels {
                if key == "_embedded" && !embedded.iter().any(|e| &e.rel == rel) {
                    embedded.push(Embedded {
                        rel: rel.clone(),
                        target: None,
                        source: origin.clone(),
                    });
                }
                if item.is_array() && !array_rels.iter().any(|a| &a.rel == rel) {
                    array_rels.push(ArrayRel {
                        rel: rel.clone(),
                        source: origin.clone(),
                    });
                }
            }
        }
        for (name, item) in value.as_object().into_iter().flatten() {
            if item.is_array() {
                lists.push((name.clone(), format!("{origin} shows a list")));
            }
        }
    }
    for (example, origin) in responses(document, SampleFormat::Xml) {
        for name in property_lists(&example.body) {
            lists.push((name, format!("{origin} shows a propertyList")));
        }
    }
    for property in document.properties.iter_mut().filter(|p| p.ty.is_none()) {
        if let Some((_, why)) = lists.iter().find(|(name, _)| *name == property.name) {
            // Untyped, but sent as a list: a string would reject it.
            property.ty = Some(TypeRef::Array(Box::new(TypeRef::String)));
            property.type_source = Some(why.clone());
        }
    }
    document.embedded = embedded;
    document.array_rels = array_rels;
    let mut own = own_bodies(document);
    own.extend(transcripts);
    data_links(document, &own);
    carried_members(document, &own);
}

/// Scalar members the bodies of this resource carry that no table lists
/// (`etag` on `communication` and `contact`, needed for `If-Match`): typed
/// properties with the body that shows each, recorded under `inferred`.
/// Left out, they would only be reachable through `extra`. A member shown
/// with two JSON types is noted and left to `extra`.
fn carried_members(document: &mut Document, bodies: &[(Value, String)]) {
    let mut found: Vec<(String, Option<TypeRef>, String)> = Vec::new();
    let mut not_names: Vec<String> = Vec::new();
    for (value, origin) in bodies {
        for (name, item) in value.as_object().into_iter().flatten() {
            let ty = match item {
                Value::String(_) => TypeRef::String,
                Value::Bool(_) => TypeRef::Boolean,
                Value::Number(number) if number.is_f64() => TypeRef::Number,
                Value::Number(_) => TypeRef::Integer,
                _ => continue,
            };
            let listed = name.starts_with('_')
                || name == "rel"
                || document.properties.iter().any(|p| &p.name == name)
                || document.links.iter().any(|l| &l.rel == name);
            if listed {
                continue;
            }
            if !looks_like_a_property_name(name) {
                // `"4d221db7-...": "please pass this in a PUT request"` on
                // communication: a key the server makes up, not a field.
                if !not_names.contains(name) {
                    not_names.push(name.clone());
                }
                continue;
            }
            match found.iter_mut().find(|(known, ..)| known == name) {
                Some((_, seen, _)) if seen.as_ref() != Some(&ty) => *seen = None,
                Some(_) => {}
                None => found.push((name.clone(), Some(ty), origin.clone())),
            }
        }
    }
    let mut added = Vec::new();
    let mut mixed = Vec::new();
    for (name, ty, origin) in found {
        let Some(ty) = ty else {
            mixed.push(format!("`{name}`"));
            continue;
        };
        added.push(format!("`{name}` ({origin})"));
        document.properties.push(crate::schema::Property {
            name,
            description: String::new(),
            type_source: Some(format!("{origin} carries it as {ty}")),
            ty: Some(ty),
        });
    }
    if !added.is_empty() {
        document.inferred.push(format!(
            "{}: not in the Properties table, but bodies of this resource carry them: typed properties",
            added.join(", ")
        ));
    }
    if !mixed.is_empty() {
        document.inferred.push(format!(
            "{}: carried by bodies of this resource with different JSON types: left to `extra`",
            mixed.join(", ")
        ));
    }
    if !not_names.is_empty() {
        let shown: Vec<String> = not_names.iter().map(|name| format!("`{name}`")).collect();
        document.inferred.push(format!(
            "{}: carried by bodies of this resource, but not shaped like a property name (letters and digits, a letter first): left to `extra`",
            shown.join(", ")
        ));
    }
}

/// UCWA's property names are camelCase words: an ASCII letter, then ASCII
/// letters and digits.
fn looks_like_a_property_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Rels the samples send under `_links` with a `data:` href (message text,
/// SDP) are links, whatever the tables say: a rel the Links table lacks is
/// added with the sample that shows it, and a property of that name (the
/// Properties table lists `plainMessage` on `message`) becomes the link,
/// recorded under `inferred`: typed as a string it would never be filled.
fn data_links(document: &mut Document, bodies: &[(Value, String)]) {
    let mut found: Vec<(String, String)> = Vec::new();
    for (value, origin) in bodies {
        let Some(rels) = value.get("_links").and_then(Value::as_object) else {
            continue;
        };
        for (rel, item) in rels {
            let hrefs = match item {
                Value::Array(items) => items.iter().collect(),
                item => vec![item],
            };
            let data = hrefs.iter().any(|item| {
                item.get("href")
                    .and_then(Value::as_str)
                    .is_some_and(|href| {
                        href.get(..5)
                            .is_some_and(|s| s.eq_ignore_ascii_case("data:"))
                    })
            });
            if data && !found.iter().any(|(known, _)| known == rel) {
                found.push((rel.clone(), origin.clone()));
            }
        }
    }
    let mut became_links = Vec::new();
    for (rel, origin) in found {
        if document.links.iter().any(|link| link.rel == rel) {
            continue;
        }
        let property = document.properties.iter().position(|p| p.name == rel);
        let description = property
            .map(|at| document.properties.remove(at).description)
            .unwrap_or_default();
        if property.is_some() {
            became_links.push(format!("`{rel}`"));
        }
        document.links.push(crate::schema::Link {
            rel,
            description,
            target: None,
            source: format!("{origin} shows a data: href"),
        });
    }
    if !became_links.is_empty() {
        document.inferred.push(format!(
            "{}: listed as properties, but the samples send them under `_links` with a `data:` href: read as links",
            became_links.join(", ")
        ));
    }
}

/// The JSON bodies that show this page's own resource, with where: its
/// operations' valid response samples, and its events' samples where they
/// embed it (`_embedded.<name>`).
fn own_bodies(document: &Document) -> Vec<(Value, String)> {
    let mut bodies: Vec<(Value, String)> = responses(document, SampleFormat::Json)
        .filter_map(|(example, origin)| Some((serde_json::from_str(&example.body).ok()?, origin)))
        .collect();
    for event in &document.events {
        let Some(sample) = event.sample.as_ref().filter(|sample| sample.valid) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&sample.body) else {
            continue;
        };
        let origin = format!("{} event sample", event.event_type);
        let mut embedded = Vec::new();
        embedded_as(&value, &document.name, &mut embedded);
        bodies.extend(embedded.into_iter().map(|found| (found, origin.clone())));
    }
    bodies
}

/// Every value embedded under `rel` anywhere in `value`.
fn embedded_as(value: &Value, rel: &str, into: &mut Vec<Value>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "_embedded" {
                    if let Some(found) = member.get(rel) {
                        into.push(found.clone());
                    }
                }
                embedded_as(member, rel, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| embedded_as(item, rel, into)),
        _ => {}
    }
}

/// The page's valid response samples in `format`, each with where it is
/// (`GET JSON response sample`).
fn responses(
    document: &Document,
    format: SampleFormat,
) -> impl Iterator<Item = (&Example, String)> + '_ {
    document.operations.iter().flat_map(move |operation| {
        operation
            .examples
            .iter()
            .filter(move |e| e.valid && e.format == format && e.direction == Direction::Response)
            .map(move |e| {
                let format = match format {
                    SampleFormat::Json => "JSON",
                    SampleFormat::Xml => "XML",
                };
                (
                    e,
                    format!("{} {format} response sample", operation.method.as_str()),
                )
            })
    })
}

/// The `name` of every `<propertyList>` in an XML body, up to where it stops parsing.
fn property_lists(body: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut names = Vec::new();
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) if start.local_name().as_ref() == b"propertyList" => {
                let name = start
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"name")
                    .and_then(|a| a.unescape_value().ok());
                names.extend(name.map(|n| n.into_owned()));
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Method, Operation, Property};

    fn response(method: Method, format: SampleFormat, body: &str, valid: bool) -> Operation {
        Operation {
            method,
            examples: vec![Example {
                format,
                direction: Direction::Response,
                body: body.into(),
                valid,
                ..Example::default()
            }],
            ..Operation::default()
        }
    }

    fn page() -> Document {
        Document {
            name: "conversation".into(),
            properties: ["participants", "tags", "state", "typed"]
                .map(|name| Property {
                    name: name.into(),
                    ty: (name == "typed").then_some(TypeRef::Boolean),
                    ..Property::default()
                })
                .into(),
            operations: vec![
                response(
                    Method::Get,
                    SampleFormat::Json,
                    r#"{"rel":"conversation","participants":[],"typed":[true],"state":"x",
                        "_links":{"self":{"href":"/c"},"participant":[{"href":"/p"}]},
                        "_embedded":{"me":{"rel":"me"},"contact":[{"rel":"contact"}]}}"#,
                    true,
                ),
                response(
                    Method::Post,
                    SampleFormat::Xml,
                    r#"<resource rel="conversation"><propertyList name="tags"><item>a</item></propertyList></resource>"#,
                    true,
                ),
                response(
                    Method::Put,
                    SampleFormat::Json,
                    r#"{"state":[1],"_embedded":{"ignored":{}}}"#,
                    false,
                ),
            ],
            ..Document::default()
        }
    }

    #[test]
    fn scalar_members_no_table_lists_become_typed_properties_with_their_body() {
        let mut document = Document {
            name: "contact".into(),
            properties: vec![Property {
                name: "name".into(),
                ..Property::default()
            }],
            links: vec![crate::schema::Link {
                rel: "contactPhoto".into(),
                ..crate::schema::Link::default()
            }],
            operations: vec![response(
                Method::Get,
                SampleFormat::Json,
                r#"{"rel":"contact","name":"Alex","etag":"1486","count":3,"ratio":0.5,
                    "local":true,"mixed":"a","nothing":null,"nested":{"a":1},
                    "contactPhoto":"x","4d221db7-4af0":"made up","_links":{}}"#,
                true,
            )],
            ..Document::default()
        };
        let transcript = serde_json::json!({"rel":"contact","mixed":2,"seen":"later"});
        from_samples(&mut document, &[(&transcript, "GetAContact.md:12")]);
        let added: Vec<(&str, String, &str)> = document
            .properties
            .iter()
            .skip(1)
            .map(|p| {
                (
                    p.name.as_str(),
                    p.ty.as_ref().map(ToString::to_string).unwrap_or_default(),
                    p.type_source.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            added,
            vec![
                (
                    "etag",
                    "string".into(),
                    "GET JSON response sample carries it as string"
                ),
                (
                    "count",
                    "integer".into(),
                    "GET JSON response sample carries it as integer"
                ),
                (
                    "ratio",
                    "number".into(),
                    "GET JSON response sample carries it as number"
                ),
                (
                    "local",
                    "boolean".into(),
                    "GET JSON response sample carries it as boolean"
                ),
                (
                    "seen",
                    "string".into(),
                    "transcript GetAContact.md:12 carries it as string"
                ),
            ]
        );
        // The listed property keeps its (absent) type; null, objects, links
        // and made-up keys are not properties; a member of two types is noted.
        assert_eq!(document.properties[0].ty, None);
        assert_eq!(document.inferred.len(), 3, "{:?}", document.inferred);
        assert!(document.inferred[1]
            .starts_with("`mixed`: carried by bodies of this resource with different JSON types"));
        assert!(document.inferred[2].starts_with("`4d221db7-4af0`: carried by bodies"));
    }

    #[test]
    fn a_transcript_shows_embedded_and_array_rels_with_its_line() {
        let mut document = page();
        let transcript: Value = serde_json::from_str(
            r#"{"rel":"conversation","_embedded":{"pinnedGroup":{"rel":"pinnedGroup"},"me":{}},
                "_links":{"participant":[{"href":"/p"}],"message":{"href":"data:text/plain,Hi"}}}"#,
        )
        .unwrap();
        from_samples(&mut document, &[(&transcript, "T.md:5")]);
        let embedded: Vec<(&str, &str)> = document
            .embedded
            .iter()
            .map(|e| (e.rel.as_str(), e.source.as_str()))
            .collect();
        // The reference sample's evidence for `me` is kept; the new rel has the transcript's.
        assert_eq!(
            embedded,
            vec![
                ("me", "GET JSON response sample"),
                ("contact", "GET JSON response sample"),
                ("pinnedGroup", "transcript T.md:5"),
            ]
        );
        let message = document
            .links
            .iter()
            .find(|l| l.rel == "message")
            .expect("a data link");
        assert_eq!(message.source, "transcript T.md:5 shows a data: href");
    }

    #[test]
    fn data_uri_links_are_links_even_where_the_tables_call_them_properties() {
        let mut document = Document {
            name: "message".into(),
            properties: ["direction", "plainMessage", "htmlMessage"]
                .map(|name| Property {
                    name: name.into(),
                    description: format!("The {name}."),
                    ..Property::default()
                })
                .into(),
            links: vec![crate::schema::Link {
                rel: "contact".into(),
                ..crate::schema::Link::default()
            }],
            operations: vec![response(
                Method::Get,
                SampleFormat::Json,
                r#"{"rel":"message","_links":{"self":{"href":"/m/1"},
                    "plainMessage":{"href":"data:text/plain,Hi"},
                    "contact":{"href":"/p/1"}}}"#,
                true,
            )],
            events: vec![crate::schema::Event {
                event_type: "completed".into(),
                sample: Some(Example {
                    valid: true,
                    body: r#"{"sender":[{"events":[{"_embedded":{"message":{"_links":{
                        "htmlMessage":{"href":"DATA:text/html;base64,SGk="},
                        "sdp":[{"href":"data:application/sdp,v=0"}]}}}}]}]}"#
                        .into(),
                    ..Example::default()
                }),
                ..crate::schema::Event::default()
            }],
            ..Document::default()
        };
        from_samples(&mut document, &[]);
        let properties: Vec<&str> = document
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(properties, ["direction"]);
        let links: Vec<(&str, &str, &str)> = document
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.description.as_str(), l.source.as_str()))
            .collect();
        assert_eq!(
            links,
            [
                ("contact", "", ""),
                (
                    "plainMessage",
                    "The plainMessage.",
                    "GET JSON response sample shows a data: href"
                ),
                (
                    "htmlMessage",
                    "The htmlMessage.",
                    "completed event sample shows a data: href"
                ),
                ("sdp", "", "completed event sample shows a data: href"),
            ]
        );
        assert_eq!(
            document.inferred,
            ["`plainMessage`, `htmlMessage`: listed as properties, but the samples send them under `_links` with a `data:` href: read as links"]
        );
    }

    #[test]
    fn embedded_rels_and_array_rels_are_recorded_with_their_sample_in_page_order() {
        let mut document = page();
        from_samples(&mut document, &[]);
        let embedded: Vec<(&str, &str)> = document
            .embedded
            .iter()
            .map(|e| (e.rel.as_str(), e.source.as_str()))
            .collect();
        assert_eq!(
            embedded,
            [
                ("me", "GET JSON response sample"),
                ("contact", "GET JSON response sample")
            ]
        );
        let arrays: Vec<&str> = document.array_rels.iter().map(|a| a.rel.as_str()).collect();
        assert_eq!(arrays, ["participant", "contact"]);
    }

    #[test]
    fn untyped_properties_a_sample_shows_as_a_list_become_lists_of_strings() {
        let mut document = page();
        from_samples(&mut document, &[]);
        let typed: Vec<(String, Option<&str>)> = document
            .properties
            .iter()
            .map(|p| {
                (
                    p.ty.as_ref().map(ToString::to_string).unwrap_or_default(),
                    p.type_source.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            typed,
            [
                (
                    "array of string".into(),
                    Some("GET JSON response sample shows a list")
                ),
                (
                    "array of string".into(),
                    Some("POST XML response sample shows a propertyList")
                ),
                // Only the damaged sample shows `state` as a list.
                (String::new(), None),
                // Typed by better evidence already.
                ("boolean".into(), None),
            ]
        );
    }

    #[test]
    fn the_recorded_facts_round_trip_through_yaml_exactly() {
        let mut document = page();
        from_samples(&mut document, &[]);
        document.embedded[0].target = Some("me".into());
        let text = document.to_yaml();
        let read = Document::from_yaml(&text).expect("reads back");
        assert_eq!(read, document);
        assert_eq!(read.to_yaml(), text);
        let embedded =
            text.find("\nembedded:\n- rel: me\n  target: me\n  source: GET JSON response sample\n");
        let arrays =
            text.find("\narray_rels:\n- rel: participant\n  source: GET JSON response sample\n");
        assert!(embedded.is_some() && arrays.is_some(), "{text}");
        assert!(
            embedded < arrays && arrays < text.find("\noperations:"),
            "{text}"
        );
    }
}
