//! One resource module: the resource struct, its `_links` and `_embedded`
//! structs, request bodies, and the static tables of operations and events.
//!
//! Each construct is a small struct implementing [`ToTokens`] (or giving the
//! [`Segment`]s of a struct and its `impl_serde!` call). What the types
//! share lives in `ucwa_runtime`: encoding and decoding go through its
//! object writer and reader, and per type the module lists each field's key
//! once, in `impl_serde!`; XML, links and the tables are runtime types
//! filled with constants. The module imports what it uses ([`Imports`]) and writes
//! plain names; [`super::names`] made sure no generated type shadows one.

use super::docs::{code, doc, doc_or, trusted};
use super::model::{
    EmbeddedField, Field, FieldType, LinkField, Model, Operation, QueryParameters, RequestBody,
    RequestField, Resource,
};
use super::names::ident;
use super::output::Segment;
use crate::schema::{self, Method};
use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::BTreeSet;

/// Names in the model were checked when it was built; this cannot fail.
pub fn id(name: &str) -> Ident {
    ident(name).unwrap_or_else(|_| {
        proc_macro2::Ident::new("invalid_identifier", proc_macro2::Span::call_site())
    })
}

/// A field's type as a resource module writes it: enums and other
/// resources by their imported names.
pub fn type_tokens(ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote!(String),
        FieldType::Bool => quote!(bool),
        FieldType::Integer => quote!(i64),
        FieldType::Number => quote!(f64),
        FieldType::Json => quote!(Value),
        FieldType::Enum(name) => id(name).into_token_stream(),
        FieldType::Array(item) => {
            let item = type_tokens(item);
            quote!(Vec<#item>)
        }
    }
}

/// How XML text reads as this type; `None` for text, which needs no entry
/// in a shape (undocumented properties read as text too).
fn scalar(ty: &FieldType) -> Option<TokenStream> {
    let scalar = match ty {
        FieldType::Bool => quote!(Bool),
        FieldType::Integer => quote!(Integer),
        FieldType::Number => quote!(Number),
        FieldType::Array(item) => match item.as_ref() {
            FieldType::Bool => quote!(BoolList),
            FieldType::Integer => quote!(IntegerList),
            FieldType::Number => quote!(NumberList),
            _ => quote!(StringList),
        },
        FieldType::String | FieldType::Json | FieldType::Enum(_) => return None,
    };
    Some(quote!(Scalar::#scalar))
}

/// `&Shape { properties: &[..], .. }` for these typed properties and rels.
fn shape(properties: &[&Field], embedded: &[&EmbeddedField], arrays: &[String]) -> TokenStream {
    let mut typed: Vec<(&str, TokenStream)> = properties
        .iter()
        .filter_map(|p| Some((p.serde.as_str(), scalar(&p.ty)?)))
        .collect();
    typed.sort_by(|a, b| a.0.cmp(b.0));
    let mut fields = Vec::new();
    if !typed.is_empty() {
        let rows = typed.iter().map(|(name, scalar)| quote!((#name, #scalar)));
        fields.push(quote!(properties: &[#(#rows),*]));
    }
    if !embedded.is_empty() {
        let rows = embedded.iter().map(|e| {
            let rel = &e.rel;
            let target = id(&e.target);
            quote!((#rel, #target::xml_shape))
        });
        fields.push(quote!(embedded: &[#(#rows),*]));
    }
    if !arrays.is_empty() {
        fields.push(quote!(arrays: &[#(#arrays),*]));
    }
    match fields.len() {
        0 => quote!(&Shape::EMPTY),
        // Every field given: a base would have no effect (and clippy says so).
        3 => quote!(&Shape { #(#fields),* }),
        _ => quote!(&Shape { #(#fields,)* ..Shape::EMPTY }),
    }
}

/// One field of a generated struct: its doc, its name, its type, and how
/// it is written and read under its wire name.
struct StructField<'a> {
    docs: TokenStream,
    ident: Ident,
    ty: TokenStream,
    key: &'a str,
    required: bool,
}

impl<'a> StructField<'a> {
    fn optional(docs: TokenStream, ident: Ident, ty: TokenStream, key: &'a str) -> Self {
        StructField {
            docs,
            ident,
            ty: quote!(Option<#ty>),
            key,
            required: false,
        }
    }

    /// A request body field or query parameter: required ones are not `Option`.
    fn parameter(f: &'a RequestField) -> Self {
        if !f.required {
            return StructField::property(&f.field);
        }
        let docs = doc_or(
            &f.field.description,
            &format!("The {} parameter.", code(&f.field.serde)),
        );
        StructField {
            docs,
            ident: id(&f.field.ident),
            ty: type_tokens(&f.field.ty),
            key: &f.field.serde,
            required: true,
        }
    }

    fn property(field: &'a Field) -> Self {
        let docs = doc_or(
            &field.description,
            &format!("The {} property.", code(&field.serde)),
        );
        StructField::optional(docs, id(&field.ident), type_tokens(&field.ty), &field.serde)
    }
}

/// A struct of documented fields plus `extra` (what the docs do not list,
/// kept so encoding gives it back), with `Serialize` and `Deserialize` by the
/// runtime's `impl_serde!`: each wire name once, no derive per type.
struct ObjectStruct<'a> {
    docs: TokenStream,
    name: Ident,
    derives: TokenStream,
    fields: Vec<StructField<'a>>,
    extra_what: &'a str,
    /// Whether the type is also read (`Deserialize`); query parameters are only written.
    reads: bool,
}

impl ObjectStruct<'_> {
    /// The struct, the macro call that implements serde for it, and, where
    /// some fields are required, a constructor taking those.
    fn segments(&self) -> Vec<Segment> {
        let ObjectStruct {
            docs,
            name,
            derives,
            fields,
            extra_what,
            reads,
        } = self;
        let extra = trusted(&format!(
            "{extra_what} this version of the docs does not list, kept so that encoding gives them back."
        ));
        let definitions = fields.iter().map(|f| {
            let (docs, ident, ty) = (&f.docs, &f.ident, &f.ty);
            quote!(#docs pub #ident: #ty,)
        });
        let definition = quote! {
            #docs
            #[derive(#derives)]
            pub struct #name {
                #(#definitions)*
                #extra
                pub extra: Map<String, Value>,
            }
        };
        // `field` where the key is the field's name, `field: "key"` where it
        // is not, `field: required("key")` for a field that is no `Option`.
        let keys = fields.iter().map(|f| {
            let (ident, key) = (&f.ident, f.key);
            match f.required {
                true => quote!(#ident: required(#key)),
                false if *ident == key => quote!(#ident),
                false => quote!(#ident: #key),
            }
        });
        let call = match reads {
            true => "impl_serde",
            false => "impl_serialize",
        };
        let mut segments = vec![
            Segment::Items(definition),
            Segment::Call {
                name: id(call),
                argument: quote!(#name { #(#keys,)* ..extra }),
            },
        ];
        segments.extend(self.constructor().map(Segment::Items));
        segments
    }

    /// `X::new(required, ...)`: the one obvious way to build a value whose
    /// required fields have no default; every optional field starts absent.
    /// (A type with no required field derives `Default` instead.)
    fn constructor(&self) -> Option<TokenStream> {
        let required: Vec<&StructField> = self.fields.iter().filter(|f| f.required).collect();
        if required.is_empty() {
            return None;
        }
        let name = &self.name;
        let parameters = required.iter().map(|f| {
            let (ident, ty) = (&f.ident, &f.ty);
            quote!(#ident: #ty)
        });
        let values = self.fields.iter().map(|f| {
            let ident = &f.ident;
            match f.required {
                true => quote!(#ident),
                false => quote!(#ident: None),
            }
        });
        let allow = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        let docs = trusted(&format!(
            "[`{name}`] with its required fields; the others are absent."
        ));
        Some(quote! {
            impl #name {
                #docs
                #allow
                pub fn new(#(#parameters),*) -> Self {
                    #name {
                        #(#values,)*
                        extra: Map::new(),
                    }
                }
            }
        })
    }
}

/// Whether a struct of these fields can derive `Default`: a required field
/// has no sensible default.
fn default_derives(fields: &[StructField]) -> TokenStream {
    match fields.iter().any(|f| f.required) {
        true => quote!(Debug, Clone, PartialEq),
        false => quote!(Debug, Clone, PartialEq, Default),
    }
}

/// What a resource module is made of, an item (or a few) per segment so that
/// each top-level item stands apart as a reader expects.
pub struct ResourceModule<'a> {
    pub resource: &'a Resource,
    pub model: &'a Model,
}

impl<'a> ResourceModule<'a> {
    /// The module's items, imports first.
    pub fn segments(&self) -> Vec<Segment> {
        let r = self.resource;
        let mut items = Vec::new();
        items.extend(ResourceStruct(r).object().segments());
        items.extend(LinksStruct(r).object().segments());
        if let Some(name) = &r.embedded_ident {
            items.extend(EmbeddedStruct { resource: r, name }.object().segments());
        }
        items.push(Segment::Items(Accessors(r).to_token_stream()));
        items.push(Segment::Items(ResourceImpl(r).to_token_stream()));
        for request in r.operations.iter().filter_map(|o| o.request.as_ref()) {
            let request = RequestStruct(request);
            items.extend(request.object().segments());
            items.push(Segment::Items(request.request_body_impl()));
        }
        for op in r.operations.iter().filter(|o| o.typed) {
            if let Some(query) = &op.query {
                let query = QueryStruct {
                    resource: r,
                    op,
                    query,
                };
                items.extend(query.object().segments());
            }
            items.push(Segment::Items(
                OperationImpl { resource: r, op }.to_token_stream(),
            ));
        }
        let imports = Imports::of(self.model, r).used_by(&items);
        std::iter::once(Segment::Items(imports))
            .chain(items)
            .collect()
    }
}

/// What a resource module may import, and from where.
struct Imports<'a> {
    /// The resource's own types: defined here, never imported.
    local: BTreeSet<&'a str>,
    /// Every enum type, and every resource type (defined in another module).
    enums: BTreeSet<&'a str>,
    resources: BTreeSet<&'a str>,
}

impl<'a> Imports<'a> {
    fn of(model: &'a Model, resource: &'a Resource) -> Imports<'a> {
        let mut local = BTreeSet::from([resource.ident.as_str(), resource.links_ident.as_str()]);
        local.extend(resource.embedded_ident.as_deref());
        local.extend(
            resource
                .operations
                .iter()
                .filter_map(|o| o.request.as_ref())
                .map(|r| r.ident.as_str()),
        );
        local.extend(
            resource
                .operations
                .iter()
                .filter_map(|o| o.query.as_ref())
                .map(|q| q.ident.as_str()),
        );
        Imports {
            local,
            enums: model.enums.iter().map(|e| e.ident.as_str()).collect(),
            resources: model.resources.iter().map(|r| r.ident.as_str()).collect(),
        }
    }

    /// The `use` items: the runtime's prelude, and the other resources and
    /// the enums that `items` mention, found in the tokens themselves so an
    /// import is there exactly when the code needs it.
    fn used_by(&self, items: &[Segment]) -> TokenStream {
        let mut used = BTreeSet::new();
        for segment in items {
            identifiers(segment.tokens().clone(), &mut used);
        }
        let mut uses = vec![quote!(
            use ucwa_runtime::prelude::*;
        )];
        let of = |set: &BTreeSet<&str>| -> Vec<Ident> {
            used.iter()
                .filter(|name| set.contains(name.as_str()) && !self.local.contains(name.as_str()))
                .map(|name| id(name))
                .collect()
        };
        let (resources, enums) = (of(&self.resources), of(&self.enums));
        uses.extend(use_item(quote!(super), &resources));
        uses.extend(use_item(quote!(super::super::enums), &enums));
        uses.into_iter().collect()
    }
}

/// `use path::name;`, or `use path::{a, b};` for several; nothing for none.
fn use_item(path: TokenStream, names: &[Ident]) -> Option<TokenStream> {
    match names {
        [] => None,
        [one] => Some(quote!(use #path::#one;)),
        many => Some(quote!(use #path::{#(#many),*};)),
    }
}

/// Every identifier in `tokens` that can name an import (groups included):
/// a path segment after `::`, as `Get` in `Method::Get`, is not one.
fn identifiers(tokens: TokenStream, into: &mut BTreeSet<String>) {
    let mut colons = 0;
    for token in tokens {
        let colon = matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ':');
        match token {
            TokenTree::Ident(ident) if colons < 2 => {
                into.insert(ident.to_string());
            }
            TokenTree::Group(group) => identifiers(group.stream(), into),
            _ => {}
        }
        colons = if colon { colons + 1 } else { 0 };
    }
}

struct ResourceStruct<'a>(&'a Resource);

impl ResourceStruct<'_> {
    fn object(&self) -> ObjectStruct<'_> {
        let r = self.0;
        let links = id(&r.links_ident);
        let mut fields = vec![StructField::optional(
            trusted("The rel as the server sent it; usually the documented one."),
            id("rel"),
            quote!(String),
            "rel",
        )];
        fields.extend(r.properties.iter().map(StructField::property));
        fields.push(StructField::optional(
            trusted("The links of this resource (`_links`)."),
            id("links"),
            links.into_token_stream(),
            "_links",
        ));
        // Without a documented embedded resource, `_embedded` is kept in `extra`.
        if let Some(embedded) = &r.embedded_ident {
            // Boxed: resources can embed each other, directly or in a cycle.
            let embedded = id(embedded);
            fields.push(StructField::optional(
                trusted("Resources sent inside this one (`_embedded`)."),
                id("embedded"),
                quote!(Box<#embedded>),
                "_embedded",
            ));
        }
        ObjectStruct {
            docs: doc_or(&r.description, &format!("The {} resource.", code(&r.rel))),
            name: id(&r.ident),
            derives: quote!(Debug, Clone, PartialEq, Default),
            fields,
            extra_what: "Properties",
            reads: true,
        }
    }
}

fn link_type(link: &LinkField) -> TokenStream {
    match &link.target {
        Some(target) => {
            let target = id(target);
            quote!(<#target>)
        }
        None => TokenStream::new(),
    }
}

struct LinksStruct<'a>(&'a Resource);

impl LinksStruct<'_> {
    fn object(&self) -> ObjectStruct<'_> {
        let r = self.0;
        let fields = r
            .links
            .iter()
            .map(|link| {
                let docs = doc_or(&link.description, &format!("The {} link.", code(&link.rel)));
                let target = link_type(link);
                StructField::optional(docs, id(&link.ident), quote!(Links #target), &link.rel)
            })
            .collect();
        ObjectStruct {
            docs: trusted(&format!("The documented links of [`{}`], by rel.", r.ident)),
            name: id(&r.links_ident),
            derives: quote!(Debug, Clone, PartialEq, Default),
            fields,
            extra_what: "Links",
            reads: true,
        }
    }
}

struct EmbeddedStruct<'a> {
    resource: &'a Resource,
    name: &'a str,
}

impl EmbeddedStruct<'_> {
    fn object(&self) -> ObjectStruct<'_> {
        let fields = self
            .resource
            .embedded
            .iter()
            .map(|EmbeddedField { rel, ident, target }| {
                let docs = trusted(&format!("Embedded {} resources.", code(rel)));
                let target = id(target);
                StructField::optional(docs, id(ident), quote!(Embedded<#target>), rel)
            })
            .collect();
        ObjectStruct {
            docs: trusted(&format!(
                "Resources embedded in [`{}`], by rel.",
                self.resource.ident
            )),
            name: id(self.name),
            derives: quote!(Debug, Clone, PartialEq, Default),
            fields,
            extra_what: "Embedded resources",
            reads: true,
        }
    }
}

struct Accessors<'a>(&'a Resource);

impl ToTokens for Accessors<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let r = self.0;
        let name = id(&r.ident);
        let methods = r.links.iter().map(|link| {
            let docs = trusted(&format!(
                "The first {} link, if any; `links.{}` holds all of them when the rel repeats.",
                code(&link.rel),
                link.ident
            ));
            let accessor = id(&link.accessor);
            let field = id(&link.ident);
            let target = link_type(link);
            quote! {
                #docs
                pub fn #accessor(&self) -> Option<&Link #target> {
                    self.links.as_ref()?.#field.as_ref()?.first()
                }
            }
        });
        tokens.extend(quote! {
            impl #name {
                #(#methods)*
            }
        });
    }
}

struct ResourceImpl<'a>(&'a Resource);

impl ToTokens for ResourceImpl<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let r = self.0;
        let name = id(&r.ident);
        let rel = &r.rel;
        let properties: Vec<&Field> = r.properties.iter().collect();
        let embedded: Vec<&EmbeddedField> = r.embedded.iter().collect();
        let shape = shape(&properties, &embedded, &r.arrays);
        // The operations and events the page documents, as constants: the
        // data typed operations are made from.
        let operations = (!r.operations.is_empty()).then(|| {
            let rows = r.operations.iter().map(|op| OperationRow(&op.source));
            quote!(const OPERATIONS: &'static [OperationInfo] = &[#(#rows),*];)
        });
        let events = (!r.events.is_empty()).then(|| {
            let rows = r.events.iter().map(EventRow);
            quote!(const EVENTS: &'static [EventInfo] = &[#(#rows),*];)
        });
        tokens.extend(quote! {
            impl Resource for #name {
                const REL: &'static str = #rel;
                const XML_SHAPE: &'static Shape = #shape;
                #operations
                #events
            }
        });
    }
}

struct OperationRow<'a>(&'a schema::Operation);

impl ToTokens for OperationRow<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let op = self.0;
        let method = id(match op.method {
            Method::Get => "Get",
            Method::Post => "Post",
            Method::Put => "Put",
            Method::Delete => "Delete",
            Method::Options => "Options",
        });
        let mut fields = Vec::new();
        let description = &op.description;
        if !description.is_empty() {
            fields.push(quote!(description: #description));
        }
        if !op.query_parameters.is_empty() {
            let rows = op.query_parameters.iter().map(|q| {
                let (name, required, description) = (&q.name, q.required, &q.description);
                quote!(ParameterInfo { name: #name, required: #required, description: #description })
            });
            fields.push(quote!(query_parameters: &[#(#rows),*]));
        }
        if !op.response_body.is_empty() {
            let items = op.response_body.iter().map(|r| &r.item);
            fields.push(quote!(response_body: &[#(#items),*]));
        }
        if !op.errors.is_empty() {
            let rows = op.errors.iter().map(|e| {
                let (error, subcode) = (&e.error, &e.subcode);
                match e.code.map(proc_macro2::Literal::u16_unsuffixed) {
                    Some(code) => quote!(SyncError::new(#code, #error, #subcode)),
                    None => quote!(SyncError { error: #error, code: None, subcode: #subcode }),
                }
            });
            fields.push(quote!(errors: &[#(#rows),*]));
        }
        tokens.extend(quote! {
            OperationInfo {
                #(#fields,)*
                ..OperationInfo::new(Method::#method)
            }
        });
    }
}

struct EventRow<'a>(&'a schema::Event);

impl ToTokens for EventRow<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let e = self.0;
        let (event_type, resource, priority, sender, reason) = (
            &e.event_type,
            &e.resource,
            &e.priority,
            &e.sender,
            &e.reason,
        );
        tokens.extend(quote! {
            EventInfo {
                event_type: #event_type,
                resource: #resource,
                priority: #priority,
                sender: #sender,
                reason: #reason,
            }
        });
    }
}

struct RequestStruct<'a>(&'a RequestBody);

impl RequestStruct<'_> {
    fn object(&self) -> ObjectStruct<'_> {
        let request = self.0;
        let fields: Vec<StructField> = request.fields.iter().map(StructField::parameter).collect();
        ObjectStruct {
            docs: doc(&request.description),
            name: id(&request.ident),
            derives: default_derives(&fields),
            fields,
            extra_what: "Parameters and links",
            reads: true,
        }
    }

    /// `impl RequestBody`, with the XML shape of the typed fields: text
    /// fields read as text anyway.
    fn request_body_impl(&self) -> TokenStream {
        let request = self.0;
        let name = id(&request.ident);
        let typed: Vec<&Field> = request.fields.iter().map(|f| &f.field).collect();
        let shape = (typed.iter().any(|f| scalar(&f.ty).is_some())).then(|| {
            let shape = shape(&typed, &[], &[]);
            quote!(const XML_SHAPE: &'static Shape = #shape;)
        });
        quote! {
            impl RequestBody for #name { #shape }
        }
    }
}

/// The documented query parameters of one operation, as a struct the
/// request builder writes into the query (`extra` for undocumented ones).
struct QueryStruct<'a> {
    resource: &'a Resource,
    op: &'a Operation,
    query: &'a QueryParameters,
}

impl QueryStruct<'_> {
    fn object(&self) -> ObjectStruct<'_> {
        let fields: Vec<StructField> = self
            .query
            .fields
            .iter()
            .map(StructField::parameter)
            .collect();
        let derives = default_derives(&fields);
        ObjectStruct {
            docs: trusted(&format!(
                "The query parameters of a {} on [`{}`].",
                self.op.source.method.as_str(),
                self.resource.ident
            )),
            name: id(&self.query.ident),
            derives,
            fields,
            extra_what: "Parameters",
            reads: false,
        }
    }
}

/// `impl Get for X`, `impl Post for X { type Body = ...; ... }`, ...: the
/// types of one operation; the runtime does the rest.
struct OperationImpl<'a> {
    resource: &'a Resource,
    op: &'a Operation,
}

impl ToTokens for OperationImpl<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = id(&self.resource.ident);
        let query = match &self.op.query {
            Some(query) => id(&query.ident).into_token_stream(),
            None => quote!(()),
        };
        tokens.extend(match self.op.source.method {
            Method::Get => quote! {
                impl Get for #name {
                    type Query = #query;
                }
            },
            Method::Post => {
                let body = match &self.op.request {
                    Some(request) => id(&request.ident).into_token_stream(),
                    None => quote!(NoBody),
                };
                let output = match &self.op.output {
                    Some(output) => id(output).into_token_stream(),
                    None => quote!(Untyped),
                };
                let empty = self
                    .op
                    .may_post_empty()
                    .then(|| quote!(impl PostEmpty for #name {}));
                quote! {
                    impl Post for #name {
                        type Body = #body;
                        type Output = #output;
                        type Query = #query;
                    }
                    #empty
                }
            }
            Method::Put => quote!(impl Put for #name {}),
            Method::Delete => quote!(impl Delete for #name {}),
            Method::Options => TokenStream::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_is_made_exactly_for_the_names_the_code_uses() {
        let model = Model {
            resources: Vec::new(),
            enums: Vec::new(),
            subcodes: Vec::new(),
            sample_hrefs: Vec::new(),
        };
        let resource = Resource {
            rel: "note".into(),
            description: String::new(),
            module: "note".into(),
            ident: "Note".into(),
            kind_variant: "Note".into(),
            links_ident: "NoteLinks".into(),
            embedded_ident: None,
            properties: Vec::new(),
            links: Vec::new(),
            embedded: Vec::new(),
            arrays: Vec::new(),
            operations: Vec::new(),
            events: Vec::new(),
        };
        let mut imports = Imports::of(&model, &resource);
        imports.resources.insert("Other");
        imports.enums.insert("Colour");
        let uses = imports
            .used_by(&[Segment::Items(quote!(struct Note { a: Map<String, Value>, b: Other, c: Colour, d: Links<Note>, e: Method::Get, f: Scalar::Colour } impl Resource for Note {}))])
            .to_string();
        assert_eq!(
            uses,
            quote! {
                use ucwa_runtime::prelude::*;
                use super::Other;
                use super::super::enums::Colour;
            }
            .to_string()
        );
    }
}
