//! The schema as JSON Schema (draft-07), for other ecosystems' generators
//! (typify, quicktype): one definition per resource, its links and embedded
//! resources, request body and enumeration, named as the Rust crate names
//! them. Made from the same model as the crate, so both describe the same
//! types; what JSON Schema cannot say (open enums, unknown keys kept for the
//! round trip, the XML form) is left to the generated crate.

use super::model::{Field, FieldType, Model, Resource};
use crate::error::Error;
use crate::schema::Document;
use serde_json::{json, Map, Value};

/// The whole schema, deterministic: definitions in the model's order.
pub fn json_schema(documents: &[Document]) -> Result<Value, Error> {
    let model = Model::build(documents)?;
    let mut definitions = Map::new();
    definitions.insert(
        "Link".into(),
        json!({
            "description": "A link: where a related resource lives.",
            "type": "object",
            "required": ["href"],
            "properties": {
                "href": {"type": "string"},
                "title": {"type": "string"}
            }
        }),
    );
    definitions.insert(
        "Links".into(),
        json!({
            "description": "The links under one rel: one, or an array when the rel can repeat.",
            "anyOf": [
                {"$ref": "#/definitions/Link"},
                {"type": "array", "items": {"$ref": "#/definitions/Link"}}
            ]
        }),
    );
    for enumeration in &model.enums {
        let values: Vec<&str> = enumeration
            .members
            .iter()
            .map(|m| m.value.as_str())
            .collect();
        definitions.insert(
            enumeration.ident.clone(),
            described(
                &enumeration.description,
                json!({"type": "string", "enum": values}),
            ),
        );
    }
    for resource in &model.resources {
        add_resource(resource, &mut definitions);
    }
    Ok(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "UCWA 2.0 resources",
        "definitions": definitions,
    }))
}

fn add_resource(resource: &Resource, definitions: &mut Map<String, Value>) {
    let reference = |name: &str| json!({"$ref": format!("#/definitions/{name}")});
    let mut properties = Map::new();
    properties.insert("rel".into(), json!({"type": "string"}));
    for field in &resource.properties {
        properties.insert(field.serde.clone(), field_schema(field));
    }
    properties.insert("_links".into(), reference(&resource.links_ident));
    if let Some(embedded) = &resource.embedded_ident {
        properties.insert("_embedded".into(), reference(embedded));
    }
    definitions.insert(
        resource.ident.clone(),
        described(
            &resource.description,
            json!({"type": "object", "properties": properties}),
        ),
    );

    let links: Map<String, Value> = resource
        .links
        .iter()
        .map(|link| {
            (
                link.rel.clone(),
                described(&link.description, reference("Links")),
            )
        })
        .collect();
    definitions.insert(
        resource.links_ident.clone(),
        json!({"type": "object", "properties": links}),
    );

    if let Some(name) = &resource.embedded_ident {
        let embedded: Map<String, Value> = resource
            .embedded
            .iter()
            .map(|e| {
                let one = reference(&e.target);
                let schema = match resource.arrays.contains(&e.rel) {
                    true => json!({"type": "array", "items": one}),
                    false => one,
                };
                (e.rel.clone(), schema)
            })
            .collect();
        definitions.insert(
            name.clone(),
            json!({"type": "object", "properties": embedded}),
        );
    }

    for request in resource
        .operations
        .iter()
        .filter_map(|o| o.request.as_ref())
    {
        let properties: Map<String, Value> = request
            .fields
            .iter()
            .map(|f| (f.field.serde.clone(), field_schema(&f.field)))
            .collect();
        let required: Vec<&str> = request
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.field.serde.as_str())
            .collect();
        let mut schema = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        definitions.insert(
            request.ident.clone(),
            described(&request.description, schema),
        );
    }
}

fn field_schema(field: &Field) -> Value {
    described(&field.description, type_schema(&field.ty))
}

fn type_schema(ty: &FieldType) -> Value {
    match ty {
        FieldType::String => json!({"type": "string"}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Json => json!({}),
        FieldType::Enum(name) => json!({"$ref": format!("#/definitions/{name}")}),
        FieldType::Array(item) => json!({"type": "array", "items": type_schema(item)}),
    }
}

/// `schema` with the page's description, when it has one. A `$ref` stays
/// bare: draft-07 ignores its siblings, and wrapping it in `allOf` would make
/// generators declare a type per use.
fn described(description: &str, mut schema: Value) -> Value {
    let description = description.trim();
    if !description.is_empty() && schema.get("$ref").is_none() {
        schema["description"] = json!(description);
    }
    schema
}

/// The schema as the text `export-json-schema` writes.
pub fn json_schema_text(documents: &[Document]) -> Result<String, Error> {
    let schema = json_schema(documents)?;
    Ok(serde_json::to_string_pretty(&schema).expect("a JSON value always serialises") + "\n")
}
