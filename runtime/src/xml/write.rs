//! Writing the JSON value shape back as UCWA XML.

use super::NAMESPACE;
use crate::{EncodeError, MAX_XML_DEPTH};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::{Map, Value};

/// Writes a resource in its JSON value shape as a UCWA XML `<resource>`:
/// the self link becomes `href`, other links `<link>`, arrays
/// `<propertyList>`, and `_embedded` nested `<resource>` elements. `rel` is
/// used when the value has no `"rel"` key.
pub fn from_json_value(value: &Value, rel: &str) -> Result<String, EncodeError> {
    let mut writer = start_document()?;
    write_resource(&mut writer, value, rel, true, 1)?;
    finish(writer)
}

/// Writes a POST/PUT input body: `<input>` with the value's properties.
/// Links and embedded resources are left out because UCWA ignores them in
/// input (PayloadFormat.md, "Input formats").
pub fn input_from_json_value(value: &Value) -> Result<String, EncodeError> {
    let object = as_object(value, "input")?;
    let mut writer = start_document()?;
    let root = BytesStart::new("input").with_attributes([("xmlns", NAMESPACE)]);
    emit(&mut writer, Event::Start(root))?;
    write_properties(&mut writer, object, false)?;
    emit(&mut writer, Event::End(BytesEnd::new("input")))?;
    finish(writer)
}

type XmlWriter = Writer<Vec<u8>>;

fn start_document() -> Result<XmlWriter, EncodeError> {
    let mut writer = Writer::new(Vec::new());
    emit(
        &mut writer,
        Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)),
    )?;
    Ok(writer)
}

fn finish(writer: XmlWriter) -> Result<String, EncodeError> {
    String::from_utf8(writer.into_inner()).map_err(|error| EncodeError::Xml(error.to_string()))
}

fn emit(writer: &mut XmlWriter, event: Event<'_>) -> Result<(), EncodeError> {
    writer
        .write_event(event)
        .map_err(|error| EncodeError::Xml(error.to_string()))
}

fn as_object<'a>(value: &'a Value, name: &str) -> Result<&'a Map<String, Value>, EncodeError> {
    value
        .as_object()
        .ok_or_else(|| EncodeError::Unrepresentable {
            name: name.to_owned(),
            reason: "a resource must be a JSON object",
        })
}

/// Both forms a rel can take in `_links`/`_embedded`, as a list.
fn one_or_many(value: &Value) -> &[Value] {
    match value {
        Value::Array(values) => values,
        single => std::slice::from_ref(single),
    }
}

fn write_resource(
    writer: &mut XmlWriter,
    value: &Value,
    rel: &str,
    root: bool,
    depth: usize,
) -> Result<(), EncodeError> {
    if depth > MAX_XML_DEPTH {
        return Err(EncodeError::Unrepresentable {
            name: rel.to_owned(),
            reason: "embedded resources nest deeper than the XML depth limit",
        });
    }
    let object = as_object(value, rel)?;
    // The attribute names the rel the resource is embedded under (which is
    // its own rel at the root); a different own rel goes in a property, as
    // UCWA writes `<resource rel="from">..<property name="rel">participant`.
    let own_rel = object.get("rel").and_then(Value::as_str);
    let rel = if root { own_rel.unwrap_or(rel) } else { rel };
    let links = object.get("_links").and_then(Value::as_object);
    let mut start = BytesStart::new("resource");
    if !rel.is_empty() {
        start.push_attribute(("rel", rel));
    }
    // The self link is the resource element itself (PayloadFormat.md): its
    // href and its other attributes, e.g. `revision` (Versioning.md), go on
    // `<resource>`. Without an href there is no self link to write.
    let self_link = links
        .and_then(|links| links.get("self"))
        .and_then(Value::as_object)
        .filter(|link| link.get("href").is_some_and(Value::is_string));
    if let Some(link) = self_link {
        push_link_attributes(&mut start, "self", link)?;
    }
    if root {
        start.push_attribute(("xmlns", NAMESPACE));
    }
    emit(writer, Event::Start(start))?;
    for (link_rel, value) in links.into_iter().flatten() {
        if link_rel != "self" {
            for link in one_or_many(value) {
                write_link(writer, link_rel, link)?;
            }
        }
    }
    write_properties(writer, object, own_rel.filter(|own| *own != rel).is_some())?;
    let embedded = object.get("_embedded").and_then(Value::as_object);
    for (embedded_rel, value) in embedded.into_iter().flatten() {
        for resource in one_or_many(value) {
            write_resource(writer, resource, embedded_rel, false, depth + 1)?;
        }
    }
    emit(writer, Event::End(BytesEnd::new("resource")))
}

fn write_link(writer: &mut XmlWriter, rel: &str, link: &Value) -> Result<(), EncodeError> {
    let link = as_object(link, rel)?;
    let mut element = BytesStart::new("link").with_attributes([("rel", rel)]);
    push_link_attributes(&mut element, rel, link)?;
    emit(writer, Event::Empty(element))
}

/// A link's keys (`href`, `title`, `revision`, ...) as attributes of `element`.
fn push_link_attributes(
    element: &mut BytesStart<'_>,
    rel: &str,
    link: &Map<String, Value>,
) -> Result<(), EncodeError> {
    for (key, value) in link {
        let unrepresentable = |reason| EncodeError::Unrepresentable {
            name: format!("{rel}.{key}"),
            reason,
        };
        // The element writes these itself; a second copy would not be XML.
        if matches!(key.as_str(), "rel" | "xmlns") {
            return Err(unrepresentable(
                "`rel` and `xmlns` are the element's own attributes, not a link's",
            ));
        }
        let text = scalar_text(value).ok_or_else(|| {
            unrepresentable("a link attribute must be a string, number or boolean")
        })?;
        element.push_attribute((key.as_str(), text.as_str()));
    }
    Ok(())
}

fn write_properties(
    writer: &mut XmlWriter,
    object: &Map<String, Value>,
    rel_is_property: bool,
) -> Result<(), EncodeError> {
    for (name, value) in object {
        if matches!(name.as_str(), "_links" | "_embedded") || (name == "rel" && !rel_is_property) {
            continue;
        }
        match value {
            Value::Array(items) => {
                let list =
                    BytesStart::new("propertyList").with_attributes([("name", name.as_str())]);
                emit(writer, Event::Start(list))?;
                for item in items {
                    write_value(writer, "item", None, name, item)?;
                }
                emit(writer, Event::End(BytesEnd::new("propertyList")))?;
            }
            single => write_value(writer, "property", Some(name), name, single)?,
        }
    }
    Ok(())
}

/// `<property name>text</property>` or `<item>text</item>`; null is `<x/>`.
fn write_value(
    writer: &mut XmlWriter,
    tag: &str,
    name_attribute: Option<&str>,
    property: &str,
    value: &Value,
) -> Result<(), EncodeError> {
    let mut start = BytesStart::new(tag);
    if let Some(name) = name_attribute {
        start.push_attribute(("name", name));
    }
    if value.is_null() {
        return emit(writer, Event::Empty(start));
    }
    let text = scalar_text(value).ok_or_else(|| EncodeError::Unrepresentable {
        name: property.to_owned(),
        reason: "UCWA XML properties hold text, numbers, booleans or lists of them",
    })?;
    emit(writer, Event::Start(start))?;
    emit(writer, Event::Text(BytesText::new(&text)))?;
    emit(writer, Event::End(BytesEnd::new(tag)))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
