//! The YAML schema: one [`Document`] per resource or enumeration page.
//!
//! This is the contract between the two stages. `extract` fills it from pages,
//! a person may edit it by hand, and `generate` reads it. Field order here is
//! the key order in the YAML files, and lists keep the order of the page, so a
//! diff between two versions of the docs reads like a diff of the docs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One schema file: everything one page says about one resource or enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub name: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Where the page came from, so a reader can go back to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Facts that were recovered from indirect evidence rather than read from
    /// a heading or title (damaged rendered pages), one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inferred: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Rels the page's samples show under `_embedded`: resources sent inside this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedded: Vec<Embedded>,
    /// Rels the page's samples show as arrays under `_links` or `_embedded`.
    /// XML cannot tell one element from a list of one, so decoding needs to know.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub array_rels: Vec<ArrayRel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Resource,
    Enumeration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// File name only: a full path would differ between machines.
    pub file: String,
    pub format: PageFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageFormat {
    Markdown,
    Rendered,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<TypeRef>,
    /// Why `type` is what it is, e.g. `sample value false` or `description names CallState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub rel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The resource this link points to, when the page says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where a link the Links table does not list was seen, e.g. `GET JSON
    /// response sample shows a data: href`; empty for a row of the table.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// A rel under `_embedded` in the page's samples.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embedded {
    pub rel: String,
    /// The resource embedded under this rel, when the rel names one in the set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where the page shows it, e.g. `GET JSON response sample`; `override` when added by hand.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// A rel (of a link or an embedded resource) that comes as an array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayRel {
    pub rel: String,
    /// Where the page shows it, e.g. `GET JSON response sample`; `override` when added by hand.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// As the heading says: added, updated, deleted, started, completed, ...
    #[serde(rename = "type")]
    pub event_type: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sender: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Example>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub permission: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub method: Method,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_parameters: Vec<QueryParameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_body: Vec<BodyField>,
    /// Why the operation may also be sent with no body at all (a POST whose
    /// parameters travel in the query), e.g. `the request samples send no
    /// body`; `None` when the body is required. Set by extraction from the
    /// page's own evidence; a person may set or clear it by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_optional: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_body: Vec<ResponseItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Post,
    Put,
    Delete,
    Options,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Options,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// Case-insensitive: pages write `Post https://...` in request lines.
    pub fn parse(word: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(word))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParameter {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// The value's type when the page says (query parameters are text otherwise).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<TypeRef>,
    /// Why `type` is what it is, e.g. `description says "maximum value is 100"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyField {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<TypeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_source: Option<String>,
    /// Allowed values when the hint lists them, e.g. `(Importance)Normal, Urgent, or Emergency`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseItem {
    pub item: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRow {
    pub error: String,
    /// HTTP status; absent when the page's cell is not a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subcode: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub format: SampleFormat,
    pub direction: Direction,
    /// The HTTP request or status line, e.g. `HTTP/1.1 200 OK`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub start_line: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// Whether `body` parses as `format`; an empty body is valid.
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SampleFormat {
    #[default]
    Json,
    Xml,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Request,
    #[default]
    Response,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A value type as the schema knows it, written in YAML as plain words so a
/// person can edit it: `string`, `boolean`, `integer`, `number`, `date-time`,
/// `enum CallState`, `array of string`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeRef {
    String,
    Boolean,
    Integer,
    Number,
    DateTime,
    Enum(String),
    Array(Box<TypeRef>),
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::String => f.write_str("string"),
            TypeRef::Boolean => f.write_str("boolean"),
            TypeRef::Integer => f.write_str("integer"),
            TypeRef::Number => f.write_str("number"),
            TypeRef::DateTime => f.write_str("date-time"),
            TypeRef::Enum(name) => write!(f, "enum {name}"),
            TypeRef::Array(item) => write!(f, "array of {item}"),
        }
    }
}

impl FromStr for TypeRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Iterative, and bounded: the types built from here are recursive
        // (Display, Drop), so a hand-edited `array of array of ...` must not
        // become deep enough to overflow the stack.
        let mut text = text.trim();
        let mut depth = 0;
        while let Some(item) = text.strip_prefix("array of ") {
            depth += 1;
            if depth > MAX_ARRAY_DEPTH {
                return Err(format!(
                    "arrays nest deeper than {MAX_ARRAY_DEPTH} levels of `array of`"
                ));
            }
            text = item.trim();
        }
        let mut ty = TypeRef::from_innermost(text)?;
        for _ in 0..depth {
            ty = TypeRef::Array(Box::new(ty));
        }
        Ok(ty)
    }
}

/// How many `array of` a type may nest; UCWA's deepest is one.
pub const MAX_ARRAY_DEPTH: usize = 32;

impl TypeRef {
    fn from_innermost(text: &str) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix("enum ") {
            let name = name.trim();
            if name.is_empty() {
                return Err("`enum` needs the enumeration's name, e.g. `enum CallState`".into());
            }
            return Ok(TypeRef::Enum(name.to_string()));
        }
        match text {
            "string" => Ok(TypeRef::String),
            "boolean" => Ok(TypeRef::Boolean),
            "integer" => Ok(TypeRef::Integer),
            "number" => Ok(TypeRef::Number),
            "date-time" => Ok(TypeRef::DateTime),
            other => Err(format!(
                "unknown type `{other}`: expected string, boolean, integer, number, date-time, `enum NAME` or `array of TYPE`"
            )),
        }
    }
}

impl Serialize for TypeRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TypeRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Document {
    /// The YAML text of this document, exactly as `extract` writes it:
    /// serde_yaml's, with the strings that a YAML 1.1 reader would type as
    /// booleans, nulls, numbers or dates quoted (`'On'`, `'No'`), so every
    /// YAML tool reads the same schema.
    pub fn to_yaml(&self) -> String {
        let yaml = serde_yaml::to_string(self).expect("a schema document always serialises");
        crate::yaml_1_1::quote_lookalikes(&yaml)
    }

    /// Reads one schema file's text; errors carry serde_yaml's line and column.
    pub fn from_yaml(text: &str) -> Result<Document, serde_yaml::Error> {
        serde_yaml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_arrays_are_bounded_not_a_stack_overflow() {
        let deepest = format!("{}string", "array of ".repeat(MAX_ARRAY_DEPTH));
        let parsed: TypeRef = deepest.parse().expect("within the limit");
        assert_eq!(parsed.to_string(), deepest);
        let hostile = format!("{}string", "array of ".repeat(100_000));
        let error = hostile.parse::<TypeRef>().expect_err("beyond the limit");
        assert!(error.contains("deeper than 32"), "{error}");
    }

    #[test]
    fn type_refs_read_back_what_they_write() {
        for text in [
            "string",
            "boolean",
            "integer",
            "number",
            "date-time",
            "enum CallState",
            "array of string",
            "array of enum Role",
        ] {
            let ty: TypeRef = text.parse().unwrap();
            assert_eq!(ty.to_string(), text);
        }
        assert!("strin".parse::<TypeRef>().is_err());
        assert!("enum ".parse::<TypeRef>().is_err());
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_line() {
        let err = Document::from_yaml("name: x\nkind: resource\nproprties: []\n").unwrap_err();
        assert_eq!(err.location().unwrap().line(), 3);
    }
}
