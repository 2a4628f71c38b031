//! Schema → emit model: every name resolved, every type decided, every
//! sample classified, before a single token is written. The token-writing
//! modules only read this model, so all decisions that could fail or collide
//! are made (and tested) here.

use super::names::{self, Scope};
use crate::error::Error;
use crate::schema::{self, Document, Kind, TypeRef};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// JSON keys every resource has as fixed fields; a property of that name is the same key.
const RESOURCE_KEYS: &[&str] = &["rel", "_links", "_embedded"];
/// Rust names the resource struct uses for its fixed fields.
const RESOURCE_FIELDS: &[&str] = &["rel", "links", "embedded", "extra"];
/// Variant names an open enum cannot use: `Other` is the fallback.
const RESERVED_VARIANTS: &[&str] = &["Other"];

#[derive(Debug, Clone)]
pub struct Model {
    pub resources: Vec<Resource>,
    pub enums: Vec<Enumeration>,
    /// Every subcode the pages document, for the crate's `ErrorSubcode`.
    pub subcodes: Vec<Member>,
    /// `(path, rel, own)`: the hrefs the samples show, the resources they
    /// lead to, and whether each is the resource's own `self`.
    pub sample_hrefs: Vec<(String, String, bool)>,
}

#[derive(Debug, Clone)]
pub struct Enumeration {
    pub name: String,
    pub ident: String,
    pub description: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub value: String,
    pub ident: String,
    pub description: String,
}

/// A field's Rust type, with names already resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    String,
    Bool,
    Integer,
    Number,
    /// Any JSON value: the page gives no type at all.
    Json,
    /// An enumeration of this crate, by its resolved type name.
    Enum(String),
    Array(Box<FieldType>),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub serde: String,
    pub ident: String,
    pub description: String,
    pub ty: FieldType,
}

#[derive(Debug, Clone)]
pub struct LinkField {
    pub rel: String,
    pub ident: String,
    pub accessor: String,
    pub description: String,
    /// The resolved type name of the target resource, when it is known.
    pub target: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EmbeddedField {
    pub rel: String,
    pub ident: String,
    pub target: String,
}

#[derive(Debug, Clone)]
pub struct RequestBody {
    pub ident: String,
    pub description: String,
    pub fields: Vec<RequestField>,
}

#[derive(Debug, Clone)]
pub struct RequestField {
    pub field: Field,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub source: schema::Operation,
    pub request: Option<RequestBody>,
    /// Whether this operation has the typed API of its method (`impl Post
    /// for ...`): the first GET, POST, PUT and DELETE of a page; OPTIONS
    /// and a repeated method do not.
    pub typed: bool,
    /// The resolved type of the resource a POST gives (its documented
    /// response body), when the page names one of the set.
    pub output: Option<String>,
    /// The typed query parameters, when the page lists some.
    pub query: Option<QueryParameters>,
}

impl Operation {
    /// A POST that can go with no body: it takes none, or the page shows it
    /// sent without one (`body_optional`); it gets `impl PostEmpty`.
    pub fn may_post_empty(&self) -> bool {
        self.source.method == schema::Method::Post
            && (self.request.is_none() || self.source.body_optional.is_some())
    }
}

/// A struct of an operation's documented query parameters.
#[derive(Debug, Clone)]
pub struct QueryParameters {
    pub ident: String,
    pub fields: Vec<RequestField>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub rel: String,
    pub description: String,
    pub module: String,
    pub ident: String,
    /// The variant of `ResourceKind` and `AnyResource` (never `Other`).
    pub kind_variant: String,
    pub links_ident: String,
    pub embedded_ident: Option<String>,
    pub properties: Vec<Field>,
    pub links: Vec<LinkField>,
    pub embedded: Vec<EmbeddedField>,
    /// Link and embedded rels the samples show as arrays (XML needs telling).
    pub arrays: Vec<String>,
    pub operations: Vec<Operation>,
    pub events: Vec<schema::Event>,
}

/// The operation as the resource's static table shows it. Sample bodies are
/// left out: the tests read them from the documents, and a copy here would
/// double the largest part of the schema in memory.
fn without_examples(op: &schema::Operation) -> schema::Operation {
    schema::Operation {
        method: op.method,
        description: op.description.clone(),
        query_parameters: op.query_parameters.clone(),
        request_body: op.request_body.clone(),
        body_optional: op.body_optional.clone(),
        response_body: op.response_body.clone(),
        errors: op.errors.clone(),
        examples: Vec::new(),
    }
}

/// The event as the resource's static table shows it, without its sample (see [`without_examples`]).
fn without_sample(event: &schema::Event) -> schema::Event {
    schema::Event {
        event_type: event.event_type.clone(),
        resource: event.resource.clone(),
        priority: event.priority.clone(),
        sender: event.sender.clone(),
        reason: event.reason.clone(),
        sample: None,
    }
}

pub fn generate_error(message: impl Into<String>) -> Error {
    Error::Generate {
        file: PathBuf::from("schema"),
        message: message.into(),
    }
}

fn checked(name: String) -> Result<String, Error> {
    if names::is_valid(&name) {
        Ok(name)
    } else {
        Err(generate_error(format!(
            "internal: made the invalid identifier `{name}`"
        )))
    }
}

/// The documents [`Model::build`] reads: borrowed, or owned by a caller
/// that wants each resource document's tables freed as soon as its resource
/// is built, so the model grows into their memory instead of beside it.
trait Documents {
    fn all(&self) -> &[Document];
    /// The resource of `all()[index]` is built: nothing reads its tables again.
    fn built(&mut self, index: usize);
}

impl Documents for &[Document] {
    fn all(&self) -> &[Document] {
        self
    }

    fn built(&mut self, _index: usize) {}
}

impl Documents for &mut [Document] {
    fn all(&self) -> &[Document] {
        self
    }

    fn built(&mut self, index: usize) {
        super::keep_only_its_samples(&mut self[index]);
    }
}

impl Model {
    pub fn build(documents: &[Document]) -> Result<Model, Error> {
        Model::build_from(documents)
    }

    /// [`Model::build`], clearing each resource document down to what
    /// `keep_only_its_samples` keeps as soon as its resource is built: the
    /// documents and the model are then never both whole in memory.
    pub(super) fn build_releasing(documents: &mut [Document]) -> Result<Model, Error> {
        Model::build_from(documents)
    }

    fn build_from(mut documents: impl Documents) -> Result<Model, Error> {
        let docs = documents.all();
        let mut sorted: Vec<usize> = (0..docs.len()).collect();
        sorted.sort_by(|&a, &b| {
            let (a, b) = (&docs[a], &docs[b]);
            (a.kind, &a.name).cmp(&(b.kind, &b.name))
        });
        let mut seen = BTreeSet::new();
        for &index in &sorted {
            if !seen.insert(docs[index].name.as_str()) {
                return Err(generate_error(format!(
                    "two schema documents are both named `{}`",
                    docs[index].name
                )));
            }
        }
        let (resource_docs, enum_docs): (Vec<usize>, Vec<usize>) = sorted
            .into_iter()
            .partition(|&index| docs[index].kind == Kind::Resource);
        let of = |indices: &[usize]| indices.iter().map(|&i| &docs[i]).collect::<Vec<_>>();

        // One namespace for enums and resources: a resource module imports
        // the enums its fields use next to the resources its links point to.
        let mut types = Scope::with_reserved(names::USED_NAMES);
        let enums = build_enums(&of(&enum_docs), &mut types)?;
        let enum_types: BTreeMap<&str, &str> = enums
            .iter()
            .map(|e| (e.name.as_str(), e.ident.as_str()))
            .collect();

        let mut modules = Scope::with_reserved(&[&["mod"], names::USED_MODULES].concat());
        let mut resource_types = BTreeMap::new();
        let mut skeletons = Vec::new();
        for &index in &resource_docs {
            let name = &docs[index].name;
            let ident = checked(types.claim(names::type_name(name, "Resource")))?;
            let module = checked(modules.claim(names::module(name)))?;
            resource_types.insert(name.clone(), ident.clone());
            skeletons.push((index, ident, module));
        }
        // Before any document is cleared; its error still comes after theirs.
        let subcodes = subcodes(&of(&resource_docs));
        let sample_hrefs = super::hrefs::sample_hrefs(&of(&resource_docs));
        let lookup = TypeLookup::new(&resource_types, &enum_types);
        let mut kinds = Scope::with_reserved(RESERVED_VARIANTS);
        let mut resources = Vec::new();
        for (index, ident, module) in skeletons {
            let doc = &documents.all()[index];
            let mut resource = build_resource(doc, ident, module, &mut types, &lookup)?;
            resource.kind_variant = checked(kinds.claim(names::camel(&doc.name)))?;
            resources.push(resource);
            documents.built(index);
        }
        Ok(Model {
            resources,
            enums,
            subcodes: subcodes?,
            sample_hrefs,
        })
    }

    pub fn resource_by_ident(&self, ident: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.ident == ident)
    }
}

struct TypeLookup<'a> {
    resources: &'a BTreeMap<String, String>,
    /// Lowercased name → the resource's ident, or None when several names fold to it.
    /// Built once, so a lookup that misses the exact name is not a scan of every resource.
    folded: BTreeMap<String, Option<&'a str>>,
    enums: &'a BTreeMap<&'a str, &'a str>,
}

impl<'a> TypeLookup<'a> {
    fn new(resources: &'a BTreeMap<String, String>, enums: &'a BTreeMap<&'a str, &'a str>) -> Self {
        let mut folded = BTreeMap::new();
        for (name, ident) in resources {
            folded
                .entry(name.to_ascii_lowercase())
                .and_modify(|unique: &mut Option<&str>| *unique = None)
                .or_insert(Some(ident.as_str()));
        }
        TypeLookup {
            resources,
            folded,
            enums,
        }
    }

    /// A resource by exact name, else by the one name equal without case.
    fn resource(&self, name: &str) -> Option<String> {
        if let Some(ident) = self.resources.get(name) {
            return Some(ident.clone());
        }
        let unique = self.folded.get(&name.to_ascii_lowercase())?;
        unique.map(str::to_string)
    }

    fn field_type(&self, ty: Option<&TypeRef>) -> FieldType {
        match ty {
            None => FieldType::String,
            Some(ty) => self.known_type(ty),
        }
    }

    fn known_type(&self, ty: &TypeRef) -> FieldType {
        match ty {
            TypeRef::String | TypeRef::DateTime => FieldType::String,
            TypeRef::Boolean => FieldType::Bool,
            TypeRef::Integer => FieldType::Integer,
            TypeRef::Number => FieldType::Number,
            TypeRef::Enum(name) => {
                let found = self.enums.get(name.as_str()).copied().or_else(|| {
                    let mut matches = self
                        .enums
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name));
                    match (matches.next(), matches.next()) {
                        (Some((_, ident)), None) => Some(*ident),
                        _ => None,
                    }
                });
                found.map_or(FieldType::String, |ident| {
                    FieldType::Enum(ident.to_string())
                })
            }
            TypeRef::Array(item) => FieldType::Array(Box::new(self.known_type(item))),
        }
    }
}

fn build_enums(docs: &[&Document], types: &mut Scope) -> Result<Vec<Enumeration>, Error> {
    let mut enums = Vec::new();
    for doc in docs {
        let mut variants = Scope::with_reserved(RESERVED_VARIANTS);
        let mut values = BTreeSet::new();
        let mut members = Vec::new();
        for member in &doc.members {
            // A repeated row adds nothing; two variants for one string could not both deserialise.
            if !values.insert(member.name.as_str()) {
                continue;
            }
            members.push(Member {
                value: member.name.clone(),
                ident: checked(variants.claim(names::camel(&member.name)))?,
                description: member.description.clone(),
            });
        }
        enums.push(Enumeration {
            name: doc.name.clone(),
            ident: checked(types.claim(names::type_name(&doc.name, "Enum")))?,
            description: doc.description.clone(),
            members,
        });
    }
    Ok(enums)
}

fn subcodes(docs: &[&Document]) -> Result<Vec<Member>, Error> {
    let values: BTreeSet<&str> = docs
        .iter()
        .flat_map(|d| &d.operations)
        .flat_map(|o| &o.errors)
        .map(|e| e.subcode.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let mut variants = Scope::with_reserved(RESERVED_VARIANTS);
    values
        .into_iter()
        .map(|value| {
            Ok(Member {
                value: value.to_string(),
                ident: checked(variants.claim(names::camel(value)))?,
                description: String::new(),
            })
        })
        .collect()
}

fn build_resource(
    doc: &Document,
    ident: String,
    module: String,
    types: &mut Scope,
    lookup: &TypeLookup<'_>,
) -> Result<Resource, Error> {
    let mut fields = Scope::with_reserved(RESOURCE_FIELDS);
    let mut serde_names: BTreeSet<&str> = RESOURCE_KEYS.iter().copied().collect();
    let mut properties = Vec::new();
    for property in &doc.properties {
        if !serde_names.insert(property.name.as_str()) {
            continue;
        }
        properties.push(Field {
            serde: property.name.clone(),
            ident: checked(fields.claim(names::snake(&property.name)))?,
            description: property.description.clone(),
            ty: lookup.field_type(property.ty.as_ref()),
        });
    }

    let mut link_fields = Scope::with_reserved(&["extra"]);
    let mut rels = BTreeSet::new();
    let mut links = Vec::new();
    let self_row = schema::Link {
        rel: "self".into(),
        description: "The link to the current resource.".into(),
        target: Some(doc.name.clone()),
        source: String::new(),
    };
    let documented_self = doc.links.iter().any(|l| l.rel == "self");
    for link in std::iter::once(&self_row)
        .filter(|_| !documented_self)
        .chain(&doc.links)
    {
        if !rels.insert(link.rel.as_str()) {
            continue;
        }
        let field = checked(link_fields.claim(names::snake(&link.rel)))?;
        let target = if link.rel == "self" {
            Some(ident.clone())
        } else {
            link.target.as_deref().and_then(|t| lookup.resource(t))
        };
        links.push(LinkField {
            rel: link.rel.clone(),
            accessor: checked(format!(
                "{}_link",
                field.trim_start_matches("r#").trim_end_matches('_')
            ))?,
            ident: field,
            description: link.description.clone(),
            target,
        });
    }

    let mut embedded_fields = Scope::with_reserved(&["extra"]);
    let mut embedded = Vec::new();
    // By rel, as the struct and the XML shape list them; a rel whose target
    // is not a resource of the set stays in `extra`.
    let by_rel: BTreeMap<&str, &str> = doc
        .embedded
        .iter()
        .filter_map(|e| Some((e.rel.as_str(), e.target.as_deref()?)))
        .collect();
    for (rel, target) in by_rel {
        if let Some(target) = lookup.resource(target) {
            embedded.push(EmbeddedField {
                ident: checked(embedded_fields.claim(names::snake(rel)))?,
                rel: rel.to_string(),
                target,
            });
        }
    }

    // `Self_` + `Links` would be `Self_Links`, which is not camel case.
    let base = ident.trim_end_matches('_');
    let links_ident = checked(types.claim(format!("{base}Links")))?;
    let embedded_ident = if embedded.is_empty() {
        None
    } else {
        Some(checked(types.claim(format!("{base}Embedded")))?)
    };
    let with_body = doc
        .operations
        .iter()
        .filter(|o| !o.request_body.is_empty())
        .count();
    let with_query = doc
        .operations
        .iter()
        .filter(|o| !o.query_parameters.is_empty())
        .count();
    let mut typed_methods = BTreeSet::new();
    let mut operations = Vec::new();
    for op in &doc.operations {
        let typed = op.method != schema::Method::Options && typed_methods.insert(op.method);
        let query = if op.query_parameters.is_empty() || !typed {
            None
        } else {
            let name = if with_query == 1 {
                format!("{base}Query")
            } else {
                format!(
                    "{base}{}Query",
                    names::camel(&op.method.as_str().to_ascii_lowercase())
                )
            };
            Some(build_query(op, checked(types.claim(name))?, lookup)?)
        };
        let output = match (op.method, op.response_body.first()) {
            (schema::Method::Post, Some(item)) => lookup.resource(&item.item),
            _ => None,
        };
        let request = if op.request_body.is_empty() {
            None
        } else {
            let name = if with_body == 1 {
                format!("{base}Request")
            } else {
                format!(
                    "{base}{}Request",
                    names::camel(&op.method.as_str().to_ascii_lowercase())
                )
            };
            Some(build_request(op, checked(types.claim(name))?, lookup)?)
        };
        operations.push(Operation {
            source: without_examples(op),
            request,
            typed,
            output,
            query,
        });
    }

    Ok(Resource {
        rel: doc.name.clone(),
        description: doc.description.clone(),
        module,
        ident,
        kind_variant: String::new(),
        links_ident,
        embedded_ident,
        properties,
        links,
        embedded,
        arrays: doc
            .array_rels
            .iter()
            .map(|a| a.rel.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        operations,
        events: doc.events.iter().map(without_sample).collect(),
    })
}

/// Query parameters are text unless the schema gives a type (a number the
/// description bounds).
fn build_query(
    op: &schema::Operation,
    ident: String,
    lookup: &TypeLookup<'_>,
) -> Result<QueryParameters, Error> {
    let rows = op.query_parameters.iter().map(|parameter| {
        let (name, description) = (&parameter.name, &parameter.description);
        let ty = parameter
            .ty
            .as_ref()
            .map_or(FieldType::String, |ty| lookup.known_type(ty));
        (name, description, parameter.required, ty)
    });
    Ok(QueryParameters {
        ident,
        fields: parameter_fields(rows)?,
    })
}

/// The fields of a request body or a query parameter set, from rows of
/// name, description, whether required and type: a repeated name adds
/// nothing, and each gets a field name of its own.
fn parameter_fields<'a>(
    rows: impl Iterator<Item = (&'a String, &'a String, bool, FieldType)>,
) -> Result<Vec<RequestField>, Error> {
    let mut scope = Scope::with_reserved(&["extra"]);
    let mut seen = BTreeSet::new();
    let mut fields = Vec::new();
    for (name, description, required, ty) in rows {
        if !seen.insert(name.as_str()) {
            continue;
        }
        fields.push(RequestField {
            field: Field {
                serde: name.clone(),
                ident: checked(scope.claim(names::snake(name)))?,
                description: description.clone(),
                ty,
            },
            required,
        });
    }
    Ok(fields)
}

fn build_request(
    op: &schema::Operation,
    ident: String,
    lookup: &TypeLookup<'_>,
) -> Result<RequestBody, Error> {
    let rows = op.request_body.iter().map(|field| {
        let ty = match &field.ty {
            Some(ty) => lookup.known_type(ty),
            None if field.values.is_empty() => FieldType::Json,
            None => FieldType::String,
        };
        (&field.name, &field.description, field.required, ty)
    });
    let fields = parameter_fields(rows)?;
    Ok(RequestBody {
        ident,
        description: format!("The body of a {} request.", op.method.as_str()),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_found_by_exact_name_then_by_the_one_name_equal_without_case() {
        let resources: BTreeMap<String, String> = [
            ("me", "Me"),
            ("audioVideo", "AudioVideo"),
            ("Contact", "Contact"),
            ("contact", "Contact2"),
        ]
        .into_iter()
        .map(|(name, ident)| (name.to_string(), ident.to_string()))
        .collect();
        let enums = BTreeMap::new();
        let lookup = TypeLookup::new(&resources, &enums);
        assert_eq!(lookup.resource("audioVideo").as_deref(), Some("AudioVideo"));
        assert_eq!(lookup.resource("AUDIOVIDEO").as_deref(), Some("AudioVideo"));
        assert_eq!(lookup.resource("Me").as_deref(), Some("Me"));
        assert_eq!(lookup.resource("contact").as_deref(), Some("Contact2"));
        // Two names fold to `contact`: without an exact match, neither is guessed.
        assert_eq!(lookup.resource("CONTACT"), None);
        assert_eq!(lookup.resource("people"), None);
    }

    #[test]
    fn building_while_releasing_the_documents_makes_the_same_model_and_keeps_the_samples() {
        let schema = crate::workspace::repository_root().join("schema");
        let mut documents: Vec<Document> = crate::pipeline::load_schema(&schema)
            .expect("the committed schema loads")
            .into_iter()
            .map(|(_, document)| document)
            .collect();
        let samples = |documents: &[Document]| -> Vec<String> {
            documents
                .iter()
                .flat_map(|d| d.operations.iter().flat_map(|o| &o.examples))
                .map(|e| e.body.clone())
                .collect()
        };
        let (model, kept) = (Model::build(&documents).unwrap(), samples(&documents));
        let released = Model::build_releasing(&mut documents).unwrap();
        assert_eq!(format!("{released:?}"), format!("{model:?}"));
        assert_eq!(samples(&documents), kept);
        let resources = documents.iter().filter(|d| d.kind == Kind::Resource);
        for document in resources {
            assert!(document.properties.is_empty() && document.links.is_empty());
            assert!(document
                .operations
                .iter()
                .all(|o| o.request_body.is_empty()));
        }
    }
}
