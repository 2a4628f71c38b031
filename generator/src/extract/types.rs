//! Value types from the evidence a page gives, each with the reason it was chosen.
//!
//! Evidence, most precise first: an enumeration the description names, a
//! request-body type hint at the end of a description, a value in a JSON
//! sample. No evidence leaves the type unknown.

use crate::schema::{BodyField, Document, Example, SampleFormat, TypeRef};
use serde_json::Value;

/// Reads the type hint the pages append to request-body descriptions:
/// `...server.String`, `...offers.ExternalResource`, `Nullable Boolean`,
/// `Array of String`, `Nullable (ErrorCode)A, B, or C`,
/// `(Importance)Normal, Urgent, or Emergency`, and
/// `The maximum length is 50 characters.`
///
/// The hint is a column the page glued onto the description (the request-body
/// table has no type column), so it leaves the description once it is read:
/// the type, the nullability and the listed values carry it from then on.
/// Returns the hint as the page wrote it, for the document's `inferred` notes.
pub fn apply_body_hint(field: &mut BodyField) -> Option<String> {
    let description = field.description.trim_end_matches('.').trim_end();
    field.max_length = max_length(description);
    let hint_at = if let Some((hint, at)) = enum_hint(description) {
        field.nullable = hint.nullable;
        field.values = hint.values;
        field.ty = Some(array_if(hint.array, TypeRef::Enum(hint.name.clone())));
        field.type_source = Some(format!(
            "request body hint ({}) listing its values",
            hint.name
        ));
        at
    } else if let Some((word, array, nullable, at)) = scalar_hint(description) {
        field.nullable = nullable;
        let ty = scalar_type(word);
        let hint = [(nullable, "Nullable "), (array, "Array of ")]
            .iter()
            .filter(|(present, _)| *present)
            .map(|(_, words)| *words)
            .rev()
            .collect::<String>()
            + word;
        field.type_source = Some(match ty {
            Some(_) => format!("request body hint {hint}"),
            None => format!("request body hint {hint}, which has no schema type"),
        });
        field.ty = ty.map(|ty| array_if(array, ty));
        at
    } else {
        return None;
    };
    let hint = description[hint_at..].to_string();
    field.description = description[..hint_at].trim_end().to_string();
    Some(hint)
}

/// The enumeration a description names in parentheses: `([Role](Role_ref.md))`
/// in markdown and `(Role)` in rendered text both clean to `(Role)`.
pub fn enum_named_in(description: &str) -> Option<String> {
    let mut rest = description;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let close = after.find(')')?;
        let name = &after[..close];
        if is_pascal_case(name) {
            return Some(name.to_string());
        }
        rest = after;
    }
    None
}

/// The type a JSON sample value shows; `None` for `null` or an empty array.
pub fn sample_value_type(value: &Value) -> Option<TypeRef> {
    match value {
        Value::Bool(_) => Some(TypeRef::Boolean),
        Value::Number(number) if number.is_f64() => Some(TypeRef::Number),
        Value::Number(_) => Some(TypeRef::Integer),
        Value::String(text) if text.starts_with("/Date(") => Some(TypeRef::DateTime),
        Value::String(_) => Some(TypeRef::String),
        Value::Array(items) => items
            .first()
            .and_then(sample_value_type)
            .map(|item| TypeRef::Array(Box::new(item))),
        Value::Object(_) | Value::Null => None,
    }
}

/// Gives each property of `document` a type from its description or from the
/// page's JSON samples, unless it already has one.
pub fn infer_property_types(document: &mut Document) {
    let samples = json_objects_of(document);
    for property in &mut document.properties {
        if property.ty.is_some() {
            continue;
        }
        let sampled = samples.iter().find_map(|(object, whence)| {
            let value = object.get(&property.name)?;
            Some((sample_value_type(value)?, compact(value), *whence))
        });
        if let Some(name) = enum_named_in(&property.description) {
            let is_array = matches!(sampled, Some((TypeRef::Array(_), _, _)));
            property.ty = Some(array_if(is_array, TypeRef::Enum(name.clone())));
            property.type_source = Some(match is_array {
                true => format!("description names enumeration {name}; sample value is an array"),
                false => format!("description names enumeration {name}"),
            });
        } else if let Some((ty, shown, whence)) = sampled {
            property.ty = Some(ty);
            property.type_source = Some(format!("sample value {shown} in {whence}"));
        }
    }
}

/// Every JSON object in the page's samples that represents this resource
/// (its `rel` is the page's name), with where it was found, in page order.
fn json_objects_of(document: &Document) -> Vec<(serde_json::Map<String, Value>, &'static str)> {
    let mut samples: Vec<(&Example, &'static str)> = Vec::new();
    for operation in &document.operations {
        for example in &operation.examples {
            samples.push((example, "JSON response"));
        }
    }
    for event in &document.events {
        if let Some(sample) = &event.sample {
            samples.push((sample, "event sample"));
        }
    }
    let mut objects = Vec::new();
    for (example, whence) in samples {
        if example.format != SampleFormat::Json || !example.valid || example.body.is_empty() {
            continue;
        }
        let whence = if example.direction == crate::schema::Direction::Request {
            "JSON request"
        } else {
            whence
        };
        if let Some(value) = super::samples::json_value(&example.body) {
            collect_objects(&value, &document.name, whence, &mut objects);
        }
    }
    objects
}

fn collect_objects(
    value: &Value,
    rel: &str,
    whence: &'static str,
    into: &mut Vec<(serde_json::Map<String, Value>, &'static str)>,
) {
    match value {
        Value::Object(object) => {
            if object.get("rel").and_then(Value::as_str) == Some(rel) {
                into.push((object.clone(), whence));
            }
            object
                .values()
                .for_each(|inner| collect_objects(inner, rel, whence, into));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|inner| collect_objects(inner, rel, whence, into)),
        _ => {}
    }
}

/// A short rendering of a sample value for `type_source`.
fn compact(value: &Value) -> String {
    match value {
        Value::Array(items) => match items.first() {
            Some(first) => format!("[{}, ...]", compact(first)),
            None => "[]".to_string(),
        },
        Value::String(text) if text.chars().count() > 24 => {
            format!("\"{}...\"", text.chars().take(24).collect::<String>())
        }
        other => other.to_string(),
    }
}

struct EnumHint {
    name: String,
    values: Vec<String>,
    nullable: bool,
    array: bool,
}

/// `[Array of ][Nullable ](Name)A, B, or C` at the end of a description,
/// with the byte offset where the hint (its prefix included) starts.
fn enum_hint(description: &str) -> Option<(EnumHint, usize)> {
    let open = description.rfind('(')?;
    let after = &description[open + 1..];
    let close = after.find(')')?;
    let name = &after[..close];
    let listed = after[close + 1..].trim();
    if !is_pascal_case(name) || listed.is_empty() {
        return None;
    }
    let values: Vec<String> = listed
        .split(',')
        .map(|value| value.trim().trim_start_matches("or ").trim())
        .map(str::to_string)
        .collect();
    if !values
        .iter()
        .all(|value| value.chars().all(|c| c.is_ascii_alphanumeric()) && !value.is_empty())
    {
        return None;
    }
    let (array, nullable, at) = hint_prefix(&description[..open]);
    let hint = EnumHint {
        name: name.to_string(),
        values,
        nullable,
        array,
    };
    Some((hint, at))
}

const SCALAR_HINTS: [&str; 10] = [
    "ExternalResource",
    "String",
    "Boolean",
    "Int32",
    "Int64",
    "Double",
    "DateTime",
    "TimeSpan",
    "Byte",
    "Uri",
];

/// A scalar type word glued to the end of the description (`...server.String`),
/// with whether `Array of` and `Nullable` precede it and the byte offset where
/// the hint (its prefix included) starts.
fn scalar_hint(description: &str) -> Option<(&'static str, bool, bool, usize)> {
    let word = SCALAR_HINTS
        .into_iter()
        .find(|word| description.ends_with(word))?;
    let (array, nullable, at) = hint_prefix(&description[..description.len() - word.len()]);
    Some((word, array, nullable, at))
}

/// Whether the text before a type hint ends in `Array of` and/or `Nullable`
/// (`Array of Nullable`), as `(array, nullable, where that prefix starts)`.
fn hint_prefix(before: &str) -> (bool, bool, usize) {
    let mut rest = before.trim_end();
    let nullable = rest.ends_with("Nullable");
    if nullable {
        rest = rest[..rest.len() - "Nullable".len()].trim_end();
    }
    let array = rest.ends_with("Array of");
    if array {
        rest = &rest[..rest.len() - "Array of".len()];
    }
    let at = if nullable || array {
        rest.len()
    } else {
        before.len()
    };
    (array, nullable, at)
}

fn array_if(array: bool, ty: TypeRef) -> TypeRef {
    if array {
        TypeRef::Array(Box::new(ty))
    } else {
        ty
    }
}

fn scalar_type(word: &str) -> Option<TypeRef> {
    match word {
        "String" | "Uri" => Some(TypeRef::String),
        "Boolean" => Some(TypeRef::Boolean),
        "Int32" | "Int64" | "Byte" => Some(TypeRef::Integer),
        "Double" => Some(TypeRef::Number),
        "DateTime" => Some(TypeRef::DateTime),
        _ => None,
    }
}

fn max_length(description: &str) -> Option<u32> {
    let (_, after) = description.split_once("maximum length is ")?;
    after
        .split_whitespace()
        .next()?
        .trim_end_matches(['.', ','])
        .parse()
        .ok()
}

/// `VideoSourcesAllowed`: starts upper-case, letters and digits only, not all capitals.
fn is_pascal_case(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.chars().any(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Direction, Operation, Property};

    fn hinted(description: &str) -> BodyField {
        let mut field = BodyField {
            name: "f".into(),
            description: description.into(),
            ..BodyField::default()
        };
        apply_body_hint(&mut field);
        field
    }

    #[test]
    fn string_hint_glued_to_the_sentence() {
        let field = hinted("An identifier.The maximum length is 50 characters. String");
        assert_eq!(field.ty, Some(TypeRef::String));
        assert_eq!(field.max_length, Some(50));
        assert_eq!(
            field.type_source.as_deref(),
            Some("request body hint String")
        );
        assert_eq!(
            field.description,
            "An identifier.The maximum length is 50 characters."
        );
        assert_eq!(hinted("CityString").ty, Some(TypeRef::String));
    }

    #[test]
    fn the_hint_leaves_the_description() {
        let cases = [
            (
                "The contact that this invitation is to be sent to.String",
                "The contact that this invitation is to be sent to.",
                "String",
            ),
            (
                "Distribution group SMTP addressString",
                "Distribution group SMTP address",
                "String",
            ),
            (
                "Sets the mute status.Nullable Boolean",
                "Sets the mute status.",
                "Nullable Boolean",
            ),
            (
                "The values.Array of String.",
                "The values.",
                "Array of String",
            ),
            (
                "The importance.(Importance)Normal, Urgent, or Emergency",
                "The importance.",
                "(Importance)Normal, Urgent, or Emergency",
            ),
            (
                "Formats.Array of (MessageFormat)Plain, or Html",
                "Formats.",
                "Array of (MessageFormat)Plain, or Html",
            ),
            ("Int32", "", "Int32"),
        ];
        for (description, kept, hint) in cases {
            let mut field = BodyField {
                description: description.into(),
                ..BodyField::default()
            };
            assert_eq!(
                apply_body_hint(&mut field).as_deref(),
                Some(hint),
                "{description}"
            );
            assert_eq!(field.description, kept, "{description}");
            assert!(field.type_source.is_some());
        }
        let mut plain = BodyField {
            description: "Gets whether to set the location".into(),
            ..BodyField::default()
        };
        assert_eq!(apply_body_hint(&mut plain), None);
        assert_eq!(plain.description, "Gets whether to set the location");
    }

    #[test]
    fn nullable_and_array_scalars() {
        let field = hinted("Sets the mute status.Nullable Boolean");
        assert_eq!((field.ty, field.nullable), (Some(TypeRef::Boolean), true));
        assert_eq!(
            hinted("The values.Array of String").ty,
            Some(TypeRef::Array(Box::new(TypeRef::String)))
        );
        let external = hinted("Gets and sets the sdp offers.ExternalResource");
        assert_eq!(external.ty, None);
        assert!(external.type_source.unwrap().contains("ExternalResource"));
    }

    #[test]
    fn enumeration_hints_list_their_values() {
        let field = hinted("The importance.(Importance)Normal, Urgent, or Emergency");
        assert_eq!(field.ty, Some(TypeRef::Enum("Importance".into())));
        assert_eq!(field.values, ["Normal", "Urgent", "Emergency"]);
        assert!(!field.nullable);
        let field = hinted("Code.Nullable (ErrorCode)BadRequest, Forbidden, or Informational");
        assert!(field.nullable);
        assert_eq!(field.values.len(), 3);
        let field = hinted("Formats.Array of (MessageFormat)Plain, or Html");
        assert_eq!(field.ty.unwrap().to_string(), "array of enum MessageFormat");
    }

    #[test]
    fn no_hint_leaves_the_type_unknown() {
        let field = hinted("Gets whether to set the user's endpoint location");
        assert_eq!((field.ty, field.type_source), (None, None));
    }

    #[test]
    fn enumerations_named_in_parentheses() {
        assert_eq!(
            enum_named_in("The role (Role), such as Attendee."),
            Some("Role".into())
        );
        assert_eq!(enum_named_in("Gets ipv6 (only applicable) (SIP)"), None);
    }

    #[test]
    fn property_types_prefer_enumerations_over_sample_values() {
        let body = r#"{"rel":"x","muted":false,"count":0,"role":"Leader","formats":["Plain"]}"#;
        let example = Example {
            body: body.into(),
            valid: true,
            format: SampleFormat::Json,
            direction: Direction::Response,
            ..Example::default()
        };
        let mut document = Document {
            name: "x".into(),
            properties: ["muted", "count", "role", "formats", "absent"]
                .map(|name| Property {
                    name: name.into(),
                    ..Property::default()
                })
                .into(),
            operations: vec![Operation {
                examples: vec![example],
                ..Operation::default()
            }],
            ..Document::default()
        };
        document.properties[2].description = "The role (Role).".into();
        document.properties[3].description = "Formats (MessageFormat).".into();
        infer_property_types(&mut document);
        let types: Vec<String> = document
            .properties
            .iter()
            .map(|p| p.ty.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(
            types,
            [
                "boolean",
                "integer",
                "enum Role",
                "array of enum MessageFormat",
                ""
            ]
        );
        assert_eq!(
            document.properties[0].type_source.as_deref(),
            Some("sample value false in JSON response")
        );
        assert_eq!(
            document.properties[2].type_source.as_deref(),
            Some("description names enumeration Role")
        );
    }
}
