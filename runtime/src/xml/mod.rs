//! The UCWA XML format (PayloadFormat.md), read into and written from the
//! JSON value shape, so one set of serde types serves both formats.
//!
//! XML carries no types and cannot tell one link from a one-element array,
//! so decoding is guided by a [`Shape`]: property types, which rels are
//! arrays, and the shapes of embedded resources.

mod tree;
mod write;

pub(crate) use tree::{parse, parse_within, Element};
pub use write::{from_json_value, input_from_json_value};

use crate::DecodeError;
use serde_json::{Map, Number, Value};

/// The namespace of UCWA XML elements.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/rtc/2012/03/ucwa";

/// The type of a property value, which XML text does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Text (also dates, URIs and enumeration values).
    String,
    /// `true` or `false` (any letter case).
    Bool,
    /// A whole number.
    Integer,
    /// A number that may have a fraction.
    Number,
    /// A `propertyList` of text.
    StringList,
    /// A `propertyList` of booleans.
    BoolList,
    /// A `propertyList` of whole numbers.
    IntegerList,
    /// A `propertyList` of numbers.
    NumberList,
}

impl Scalar {
    /// The type of one item: a list kind gives its element kind.
    pub fn item(self) -> Scalar {
        match self {
            Scalar::StringList => Scalar::String,
            Scalar::BoolList => Scalar::Bool,
            Scalar::IntegerList => Scalar::Integer,
            Scalar::NumberList => Scalar::Number,
            single => single,
        }
    }

    /// True for the `propertyList` kinds.
    pub fn is_list(self) -> bool {
        self.item() != self
    }
}

/// Gives the shape of an embedded resource type, e.g. `Phone::xml_shape`.
pub type ShapeFn = fn() -> &'static Shape;

/// How to read one resource's XML: the generated code provides one per
/// resource type (see [`crate::Resource::XML_SHAPE`]).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Documented properties and their types; others are read as text.
    pub properties: &'static [(&'static str, Scalar)],
    /// Documented embedded resources: rel → its shape.
    pub embedded: &'static [(&'static str, ShapeFn)],
    /// Link and embedded rels documented as arrays: they decode to a JSON
    /// array even when the XML has a single element.
    pub arrays: &'static [&'static str],
}

impl Shape {
    /// No documented properties: everything reads as text.
    pub const EMPTY: Shape = Shape {
        properties: &[],
        embedded: &[],
        arrays: &[],
    };

    /// The documented type of a property, if any.
    pub fn property(&self, name: &str) -> Option<Scalar> {
        self.properties
            .iter()
            .find(|(property, _)| *property == name)
            .map(|(_, kind)| *kind)
    }

    /// The shape of an embedded resource; [`Shape::EMPTY`] when undocumented.
    pub fn embedded(&self, rel: &str) -> &'static Shape {
        self.embedded
            .iter()
            .find(|(embedded, _)| *embedded == rel)
            .map_or(&Shape::EMPTY, |(_, shape)| shape())
    }

    fn is_array(&self, rel: &str) -> bool {
        self.arrays.contains(&rel)
    }
}

/// Reads a UCWA XML resource (`<resource rel href>` root) into the JSON value
/// the same resource has in JSON: `rel`, properties, `_links`, `_embedded`.
pub fn to_json_value(xml: &str, shape: &Shape) -> Result<Value, DecodeError> {
    let root = parse(xml)?;
    resource_value(&root, shape)
}

/// Reads a POST/PUT input body (`<input>` root with `<property>` elements)
/// into its JSON object.
pub fn input_to_json_value(xml: &str, shape: &Shape) -> Result<Value, DecodeError> {
    let root = parse(xml)?;
    expect_name(&root, "input")?;
    resource_value(
        &Element {
            name: "resource".into(),
            ..root
        },
        shape,
    )
}

pub(crate) fn expect_name(element: &Element, name: &str) -> Result<(), DecodeError> {
    if element.name == name {
        Ok(())
    } else {
        Err(structure(format!("<{name}>"), element.describe()))
    }
}

fn structure(expected: impl Into<String>, found: impl Into<String>) -> DecodeError {
    DecodeError::Structure {
        expected: expected.into(),
        found: found.into(),
    }
}

pub(crate) fn required<'a>(element: &'a Element, attribute: &str) -> Result<&'a str, DecodeError> {
    element
        .attribute(attribute)
        .ok_or_else(|| structure(format!("a `{attribute}` attribute"), element.describe()))
}

/// Collects values per rel in document order, then applies the array rule.
/// Each group is a JSON array under its rel, so finding a rel's group is a
/// map lookup: a body with many distinct rels stays linear.
#[derive(Default)]
pub(crate) struct RelGroups(Map<String, Value>);

impl RelGroups {
    pub(crate) fn push(&mut self, rel: &str, value: Value) {
        match self.0.get_mut(rel) {
            Some(Value::Array(values)) => values.push(value),
            _ => {
                self.0.insert(rel.to_owned(), Value::Array(vec![value]));
            }
        }
    }

    pub(crate) fn into_object(self, shape: &Shape) -> Option<Value> {
        if self.0.is_empty() {
            return None;
        }
        let object = self
            .0
            .into_iter()
            .map(|(rel, group)| {
                let value = match group {
                    Value::Array(mut values) if values.len() == 1 && !shape.is_array(&rel) => {
                        values.pop().unwrap_or(Value::Null)
                    }
                    group => group,
                };
                (rel, value)
            })
            .collect();
        Some(Value::Object(object))
    }
}

/// The JSON form of a `<link>`: every attribute but `rel` becomes a key.
pub(crate) fn link_value(element: &Element) -> Result<Value, DecodeError> {
    required(element, "href")?;
    let object = element
        .attributes
        .iter()
        .filter(|(key, _)| key != "rel")
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    Ok(Value::Object(object))
}

pub(crate) fn resource_value(element: &Element, shape: &Shape) -> Result<Value, DecodeError> {
    expect_name(element, "resource")?;
    let mut object = Map::new();
    if let Some(rel) = element.attribute("rel") {
        object.insert("rel".into(), Value::String(rel.into()));
    }
    let mut links = RelGroups::default();
    // The element is its own self link: `rel` names the resource, and `href`
    // with every other attribute (`revision`, `title`) belongs to the link.
    if element.attribute("href").is_some() {
        links.push("self", link_value(element)?);
    }
    let mut embedded = RelGroups::default();
    for child in &element.children {
        match child.name.as_str() {
            "link" => links.push(required(child, "rel")?, link_value(child)?),
            "property" => {
                let name = required(child, "name")?;
                let kind = shape.property(name).unwrap_or(Scalar::String);
                let value = if kind.is_list() && !child.self_closing {
                    Value::Array(vec![scalar(name, child, kind.item())?])
                } else {
                    scalar(name, child, kind)?
                };
                object.insert(name.into(), value);
            }
            "propertyList" => {
                let name = required(child, "name")?;
                let kind = shape.property(name).unwrap_or(Scalar::StringList).item();
                let items = child
                    .children
                    .iter()
                    .filter(|item| item.name == "item")
                    .map(|item| scalar(name, item, kind))
                    .collect::<Result<_, _>>()?;
                object.insert(name.into(), Value::Array(items));
            }
            "resource" => {
                let rel = required(child, "rel")?;
                embedded.push(rel, resource_value(child, shape.embedded(rel))?);
            }
            // Elements the format does not define carry nothing we can place.
            _ => {}
        }
    }
    if let Some(links) = links.into_object(shape) {
        object.insert("_links".into(), links);
    }
    if let Some(embedded) = embedded.into_object(shape) {
        object.insert("_embedded".into(), embedded);
    }
    Ok(Value::Object(object))
}

/// Types the text of a `<property>` or `<item>`; `<x/>` means no value.
fn scalar(name: &str, element: &Element, kind: Scalar) -> Result<Value, DecodeError> {
    if element.self_closing {
        return Ok(Value::Null);
    }
    let text = element.text.as_str();
    let wrong = |expected| DecodeError::Property {
        name: name.to_owned(),
        expected,
        value: text.to_owned(),
    };
    let trimmed = text.trim();
    let value = match kind.item() {
        Scalar::Bool if trimmed.eq_ignore_ascii_case("true") => Value::Bool(true),
        Scalar::Bool if trimmed.eq_ignore_ascii_case("false") => Value::Bool(false),
        Scalar::Bool => return Err(wrong("true or false")),
        Scalar::Integer => match (trimmed.parse::<i64>(), trimmed.parse::<u64>()) {
            (Ok(signed), _) => Value::from(signed),
            (_, Ok(unsigned)) => Value::from(unsigned),
            _ => return Err(wrong("a whole number")),
        },
        Scalar::Number => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("a number"))?,
        _ => Value::String(text.to_owned()),
    };
    Ok(value)
}

/// The JSON form of an error body: text children become strings, `<link>`s
/// go to `_links`, and nested elements (property bags) become objects.
pub(crate) fn error_value(element: &Element) -> Result<Value, DecodeError> {
    let mut object = Map::new();
    let mut links = RelGroups::default();
    for child in &element.children {
        match child.name.as_str() {
            "link" => links.push(required(child, "rel")?, link_value(child)?),
            "property" => {
                let name = required(child, "name")?;
                object.insert(name.into(), scalar(name, child, Scalar::String)?);
            }
            "debugInfo" | "parameters" => {
                object.insert(child.name.clone(), error_value(child)?);
            }
            _ if child.children.is_empty() => {
                object.insert(
                    child.name.clone(),
                    scalar(&child.name, child, Scalar::String)?,
                );
            }
            _ => {
                object.insert(child.name.clone(), error_value(child)?);
            }
        }
    }
    if let Some(links) = links.into_object(&Shape::EMPTY) {
        object.insert("_links".into(), links);
    }
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static PHONE: Shape = Shape {
        properties: &[("includeInContactCard", Scalar::Bool)],
        embedded: &[],
        arrays: &[],
    };
    fn phone_shape() -> &'static Shape {
        &PHONE
    }
    static PHONES: Shape = Shape {
        properties: &[
            ("count", Scalar::Integer),
            ("ratio", Scalar::Number),
            ("modalities", Scalar::StringList),
            ("ports", Scalar::IntegerList),
        ],
        embedded: &[("phone", phone_shape)],
        arrays: &["phone", "contact"],
    };

    const PHONES_XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<resource rel="phones" href="/me/phones" xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
  <link rel="contact" href="/people/1" title="Ann &amp; Bob" />
  <link rel="group" href="/groups/1" />
  <link rel="group" href="/groups/2" />
  <property name="count">2</property>
  <property name="ratio">0.5</property>
  <property name="etag">2758999089</property>
  <property name="number"/>
  <property name="empty"></property>
  <propertyList name="modalities"><item>Messaging</item><item>Audio</item></propertyList>
  <propertyList name="ports"><item>5060</item></propertyList>
  <propertyList name="tags"/>
  <resource rel="phone" href="/me/phones/work">
    <property name="includeInContactCard">True</property>
  </resource>
  <resource rel="location" href="/me/location"/>
</resource>"#;

    #[test]
    fn resource_xml_reads_as_the_json_shape() {
        let value = to_json_value(PHONES_XML, &PHONES).expect("valid");
        let expected = json!({
            "rel": "phones",
            "count": 2,
            "ratio": 0.5,
            "etag": "2758999089",
            "number": null,
            "empty": "",
            "modalities": ["Messaging", "Audio"],
            "ports": [5060],
            "tags": [],
            "_links": {
                "self": {"href": "/me/phones"},
                "contact": [{"href": "/people/1", "title": "Ann & Bob"}],
                "group": [{"href": "/groups/1"}, {"href": "/groups/2"}],
            },
            "_embedded": {
                "phone": [{
                    "rel": "phone",
                    "includeInContactCard": true,
                    "_links": {"self": {"href": "/me/phones/work"}},
                }],
                "location": {"rel": "location", "_links": {"self": {"href": "/me/location"}}},
            },
        });
        assert_eq!(value, expected);
    }

    #[test]
    fn xml_written_from_the_json_shape_reads_back_identically() {
        let value = to_json_value(PHONES_XML, &PHONES).expect("valid");
        let written = from_json_value(&value, "phones").expect("encodes");
        assert!(written.starts_with("<?xml"), "{written}");
        assert!(
            written.contains(r#"<link rel="contact" href="/people/1" title="Ann &amp; Bob"/>"#),
            "{written}"
        );
        assert_eq!(to_json_value(&written, &PHONES).expect("reads back"), value);
    }

    #[test]
    fn a_self_link_keeps_its_attributes_on_the_resource_element() {
        // Versioning.md: a link's revision is an attribute; PayloadFormat.md:
        // `<resource>`'s rel and href form the self link, so its revision
        // (and title) are attributes of `<resource>` too, at every level.
        let value = json!({
            "rel": "search",
            "_links": {"self": {"href": "/search", "revision": "2", "title": "Search"}},
            "_embedded": {"contact": {"rel": "contact",
                "_links": {"self": {"href": "/people/1", "revision": "3"}}}},
        });
        let written = from_json_value(&value, "search").expect("encodes");
        assert!(
            written.contains(
                r#"<resource rel="search" href="/search" revision="2" title="Search" xmlns="#
            ),
            "{written}"
        );
        assert!(
            written.contains(r#"<resource rel="contact" href="/people/1" revision="3">"#),
            "{written}"
        );
        assert_eq!(
            to_json_value(&written, &Shape::EMPTY).expect("reads back"),
            value
        );

        let read = to_json_value(
            r#"<resource rel="me" href="/me" revision="2" xmlns="urn:x"/>"#,
            &Shape::EMPTY,
        )
        .expect("valid");
        assert_eq!(
            read["_links"]["self"],
            json!({"href": "/me", "revision": "2"})
        );
    }

    #[test]
    fn link_keys_the_element_already_writes_are_encode_errors() {
        for key in ["rel", "xmlns"] {
            let value = json!({"rel": "me", "_links": {"self": {"href": "/me", key: "x"}}});
            let error = from_json_value(&value, "me").expect_err("would repeat an attribute");
            assert!(
                error.to_string().contains(&format!("self.{key}")),
                "{error}"
            );
        }
        let link = json!({"rel": "me", "_links": {"next": {"href": "/n", "rel": "x"}}});
        assert!(from_json_value(&link, "me").is_err());
    }

    #[test]
    fn interleaved_rels_group_in_order_of_first_appearance() {
        let xml = r#"<resource><link rel="b" href="/b1"/><link rel="a" href="/a"/><link rel="b" href="/b2"/></resource>"#;
        let links = &to_json_value(xml, &Shape::EMPTY).expect("valid")["_links"];
        let rels: Vec<&String> = links.as_object().expect("object").keys().collect();
        assert_eq!(rels, ["b", "a"]);
        assert_eq!(links["b"], json!([{"href": "/b1"}, {"href": "/b2"}]));
        assert_eq!(links["a"], json!({"href": "/a"}));
    }

    #[test]
    fn values_that_do_not_fit_their_type_name_the_property() {
        let xml = r#"<resource rel="phones"><property name="count">many</property></resource>"#;
        match to_json_value(xml, &PHONES) {
            Err(DecodeError::Property {
                name,
                expected,
                value,
            }) => {
                assert_eq!(
                    (name.as_str(), expected, value.as_str()),
                    ("count", "a whole number", "many")
                );
            }
            other => panic!("expected a property error, got {other:?}"),
        }
        let bad_item =
            r#"<resource><propertyList name="ports"><item>x</item></propertyList></resource>"#;
        assert!(matches!(
            to_json_value(bad_item, &PHONES),
            Err(DecodeError::Property { .. })
        ));
    }

    #[test]
    fn structure_errors_say_what_was_expected() {
        let wrong_root = to_json_value("<reason><code>x</code></reason>", &Shape::EMPTY);
        assert!(
            matches!(wrong_root, Err(DecodeError::Structure { ref expected, .. }) if expected == "<resource>")
        );
        let link_without_href =
            to_json_value(r#"<resource><link rel="a"/></resource>"#, &Shape::EMPTY);
        let message = link_without_href.expect_err("href is required").to_string();
        assert!(
            message.contains("`href`") && message.contains("<link \"a\">"),
            "{message}"
        );
        assert!(to_json_value(
            r#"<resource><property>x</property></resource>"#,
            &Shape::EMPTY
        )
        .is_err());
    }

    #[test]
    fn input_bodies_use_the_input_element_without_links() {
        static INPUT: Shape = Shape {
            properties: &[("joinAudioMuted", Scalar::Bool)],
            embedded: &[],
            arrays: &[],
        };
        let value = json!({"to": "sip:john@contoso.com", "joinAudioMuted": false,
            "_links": {"self": {"href": "/x"}}, "importance": null});
        let written = input_from_json_value(&value).expect("encodes");
        assert!(
            written.contains(r#"<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">"#)
        );
        assert!(!written.contains("link"), "{written}");
        let sample = r#"<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
            <property name="to">sip:john@contoso.com</property>
            <property name="joinAudioMuted">False</property>
            <property name="importance"/></input>"#;
        let read = input_to_json_value(sample, &INPUT).expect("valid");
        assert_eq!(
            read,
            json!({"to": "sip:john@contoso.com", "joinAudioMuted": false, "importance": null})
        );
        assert_eq!(
            input_to_json_value(&written, &INPUT).expect("reads back"),
            read
        );
    }

    #[test]
    fn values_without_an_xml_form_are_encode_errors() {
        let nested = json!({"rel": "x", "bag": {"a": 1}});
        let error = from_json_value(&nested, "x").expect_err("objects have no property form");
        assert!(error.to_string().contains("`bag`"), "{error}");
        assert!(from_json_value(&json!([1]), "x").is_err());
        assert!(from_json_value(&json!({"list": [[1]]}), "x").is_err());
        let mut deep = json!({"rel": "leaf"});
        for _ in 0..100 {
            deep = json!({"_embedded": {"child": deep}});
        }
        assert!(from_json_value(&deep, "root").is_err());
    }
}
