//! One resource module: the resource struct, its `_links` and `_embedded`
//! structs, request bodies, and the static tables of operations and events.
//!
//! Each construct is a small struct implementing [`ToTokens`]; all behaviour
//! (decoding, XML, links) lives in `ucwa_runtime`, so per-type output is
//! definitions, attributes and tables only.

use super::docs::{code, doc, doc_or, trusted};
use super::model::{EmbeddedField, Field, FieldType, LinkField, RequestBody, Resource};
use super::names::ident;
use proc_macro2::{Ident, TokenStream};
use quote::{quote, ToTokens};

/// Fields and types in a resource module refer to other items by relative
/// paths, so the code works both as a crate and `include!`d into any module.
pub fn type_tokens(ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote!(::std::string::String),
        FieldType::Bool => quote!(bool),
        FieldType::Integer => quote!(i64),
        FieldType::Number => quote!(f64),
        FieldType::Json => quote!(::serde_json::Value),
        FieldType::Enum(name) => {
            let name = id(name);
            quote!(super::super::enums::#name)
        }
        FieldType::Array(item) => {
            let item = type_tokens(item);
            quote!(::std::vec::Vec<#item>)
        }
    }
}

fn scalar_tokens(ty: &FieldType) -> TokenStream {
    let (list, item) = match ty {
        FieldType::Array(item) => (true, item.as_ref()),
        other => (false, other),
    };
    let scalar = match (list, item) {
        (false, FieldType::Bool) => quote!(Bool),
        (false, FieldType::Integer) => quote!(Integer),
        (false, FieldType::Number) => quote!(Number),
        (false, _) => quote!(String),
        (true, FieldType::Bool) => quote!(BoolList),
        (true, FieldType::Integer) => quote!(IntegerList),
        (true, FieldType::Number) => quote!(NumberList),
        (true, _) => quote!(StringList),
    };
    quote!(::ucwa_runtime::xml::Scalar::#scalar)
}

/// Names in the model were checked when it was built; this cannot fail.
pub fn id(name: &str) -> Ident {
    ident(name).unwrap_or_else(|_| {
        proc_macro2::Ident::new("invalid_identifier", proc_macro2::Span::call_site())
    })
}

fn optional_field(field: &Field) -> TokenStream {
    let docs = doc_or(
        &field.description,
        &format!("The {} property.", code(&field.serde)),
    );
    let serde = &field.serde;
    let name = id(&field.ident);
    let ty = type_tokens(&field.ty);
    quote! {
        #docs
        #[serde(rename = #serde, skip_serializing_if = "::std::option::Option::is_none")]
        pub #name: ::std::option::Option<#ty>,
    }
}

fn extra_field(what: &str) -> TokenStream {
    let docs = trusted(&format!(
        "{what} this version of the docs does not list, kept so that encoding gives them back."
    ));
    quote! {
        #docs
        #[serde(flatten)]
        pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
    }
}

/// How one field is read from the object: by its JSON key, or as the rest.
enum Read<'a> {
    Optional(&'a str, TokenStream),
    Required(&'a str, TokenStream),
    Rest,
}

/// `Deserialize` through the crate's one generic object reader (`__Fields`
/// in the index) instead of a derived impl per type: the derive with
/// `flatten` buffers the object anyway, and per type it expands to hundreds
/// of lines that dominate the generated crate's compile time. The body sits in
/// a nested fn, which is not generic, so it is compiled once per type.
fn deserialize_impl(name: &Ident, reads: &[Read<'_>]) -> TokenStream {
    let inits = reads.iter().map(|read| match read {
        Read::Optional(key, field) => quote!(#field: fields.optional(#key)?),
        Read::Required(key, field) => quote!(#field: fields.required(#key)?),
        Read::Rest => quote!(extra: fields.rest()),
    });
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<__D: ::serde::Deserializer<'de>>(deserializer: __D) -> ::std::result::Result<Self, __D::Error> {
                fn read(mut fields: super::super::__Fields) -> ::std::result::Result<#name, ::serde_json::Error> {
                    ::std::result::Result::Ok(#name { #(#inits),* })
                }
                read(super::super::__Fields::read(deserializer)?).map_err(<__D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}

pub struct ResourceModule<'a>(pub &'a Resource);

impl ToTokens for ResourceModule<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let resource = self.0;
        ResourceStruct(resource).to_tokens(tokens);
        LinksStruct(resource).to_tokens(tokens);
        if let Some(name) = &resource.embedded_ident {
            EmbeddedStruct { resource, name }.to_tokens(tokens);
        }
        Accessors(resource).to_tokens(tokens);
        ResourceImpl(resource).to_tokens(tokens);
        for request in resource
            .operations
            .iter()
            .filter_map(|o| o.request.as_ref())
        {
            RequestStruct(request).to_tokens(tokens);
        }
    }
}

struct ResourceStruct<'a>(&'a Resource);

impl ToTokens for ResourceStruct<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let r = self.0;
        let docs = doc_or(&r.description, &format!("The {} resource.", code(&r.rel)));
        let name = id(&r.ident);
        let links = id(&r.links_ident);
        let properties = r.properties.iter().map(optional_field);
        let embedded_ty = match &r.embedded_ident {
            // Boxed: resources can embed each other, directly or in a cycle.
            Some(embedded) => {
                let embedded = id(embedded);
                quote!(::std::boxed::Box<#embedded>)
            }
            None => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
        };
        let extra = extra_field("Properties");
        let mut reads = vec![Read::Optional("rel", quote!(rel))];
        reads.extend(
            r.properties
                .iter()
                .map(|p| Read::Optional(&p.serde, id(&p.ident).into_token_stream())),
        );
        reads.extend([
            Read::Optional("_links", quote!(links)),
            Read::Optional("_embedded", quote!(embedded)),
            Read::Rest,
        ]);
        let deserialize = deserialize_impl(&name, &reads);
        tokens.extend(quote! {
            #docs
            #[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize)]
            pub struct #name {
                /// The rel as the server sent it; usually the documented one.
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub rel: ::std::option::Option<::std::string::String>,
                #(#properties)*
                /// The links of this resource (`_links`).
                #[serde(rename = "_links", skip_serializing_if = "::std::option::Option::is_none")]
                pub links: ::std::option::Option<#links>,
                /// Resources sent inside this one (`_embedded`).
                #[serde(rename = "_embedded", skip_serializing_if = "::std::option::Option::is_none")]
                pub embedded: ::std::option::Option<#embedded_ty>,
                #extra
            }
            #deserialize
        });
    }
}

fn link_type(link: &LinkField) -> TokenStream {
    match &link.target {
        Some(target) => {
            let target = id(target);
            quote!(super::#target)
        }
        None => quote!(::ucwa_runtime::Untyped),
    }
}

struct LinksStruct<'a>(&'a Resource);

impl ToTokens for LinksStruct<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let r = self.0;
        let docs = trusted(&format!("The documented links of [`{}`], by rel.", r.ident));
        let name = id(&r.links_ident);
        let fields = r.links.iter().map(|link| {
            let docs = doc_or(&link.description, &format!("The {} link.", code(&link.rel)));
            let rel = &link.rel;
            let field = id(&link.ident);
            let target = link_type(link);
            quote! {
                #docs
                #[serde(rename = #rel, skip_serializing_if = "::std::option::Option::is_none")]
                pub #field: ::std::option::Option<::ucwa_runtime::Links<#target>>,
            }
        });
        let keys = r
            .links
            .iter()
            .map(|link| (link.rel.as_str(), link.ident.as_str()));
        tokens.extend(by_rel_struct(docs, &name, fields, keys, "Links"));
    }
}

/// A struct of optional fields keyed by rel (links, embedded resources), with
/// the rels nobody documented kept in `extra`.
fn by_rel_struct<'a>(
    docs: TokenStream,
    name: &Ident,
    fields: impl Iterator<Item = TokenStream>,
    keys: impl Iterator<Item = (&'a str, &'a str)>,
    extra_what: &str,
) -> TokenStream {
    let extra = extra_field(extra_what);
    let mut reads: Vec<Read> = keys
        .map(|(rel, ident)| Read::Optional(rel, id(ident).into_token_stream()))
        .collect();
    reads.push(Read::Rest);
    let deserialize = deserialize_impl(name, &reads);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize)]
        pub struct #name {
            #(#fields)*
            #extra
        }
        #deserialize
    }
}

struct EmbeddedStruct<'a> {
    resource: &'a Resource,
    name: &'a str,
}

impl ToTokens for EmbeddedStruct<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let docs = trusted(&format!(
            "Resources embedded in [`{}`], by rel.",
            self.resource.ident
        ));
        let name = id(self.name);
        let fields = self
            .resource
            .embedded
            .iter()
            .map(|EmbeddedField { rel, ident, target }| {
                let docs = trusted(&format!("Embedded {} resources.", code(rel)));
                let field = id(ident);
                let target = id(target);
                quote! {
                    #docs
                    #[serde(rename = #rel, skip_serializing_if = "::std::option::Option::is_none")]
                    pub #field: ::std::option::Option<::ucwa_runtime::Embedded<super::#target>>,
                }
            });
        let keys = self
            .resource
            .embedded
            .iter()
            .map(|embedded| (embedded.rel.as_str(), embedded.ident.as_str()));
        tokens.extend(by_rel_struct(
            docs,
            &name,
            fields,
            keys,
            "Embedded resources",
        ));
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
                pub fn #accessor(&self) -> ::std::option::Option<&::ucwa_runtime::Link<#target>> {
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
        let mut properties: Vec<(&str, TokenStream)> = r
            .properties
            .iter()
            .map(|p| (p.serde.as_str(), scalar_tokens(&p.ty)))
            .collect();
        properties.sort_by(|a, b| a.0.cmp(b.0));
        let properties = properties
            .iter()
            .map(|(name, scalar)| quote!((#name, #scalar)));
        let mut embedded: Vec<&EmbeddedField> = r.embedded.iter().collect();
        embedded.sort_by(|a, b| a.rel.cmp(&b.rel));
        let embedded = embedded.iter().map(|e| {
            let rel = &e.rel;
            let target = id(&e.target);
            quote!((#rel, <super::#target as ::ucwa_runtime::Resource>::xml_shape))
        });
        let arrays = &r.arrays;
        let operations = r.operations.iter().map(|op| OperationRow(&op.source));
        let events = r.events.iter().map(EventRow);
        tokens.extend(quote! {
            impl ::ucwa_runtime::Resource for #name {
                const REL: &'static str = #rel;

                fn xml_shape() -> &'static ::ucwa_runtime::xml::Shape {
                    static SHAPE: ::ucwa_runtime::xml::Shape = ::ucwa_runtime::xml::Shape {
                        properties: &[#(#properties),*],
                        embedded: &[#(#embedded),*],
                        arrays: &[#(#arrays),*],
                    };
                    &SHAPE
                }
            }

            impl ::ucwa_runtime::Documented for #name {
                const OPERATIONS: &'static [::ucwa_runtime::OperationInfo] = &[#(#operations),*];
                const EVENTS: &'static [::ucwa_runtime::EventInfo] = &[#(#events),*];
            }
        });
    }
}

struct OperationRow<'a>(&'a crate::schema::Operation);

impl ToTokens for OperationRow<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let op = self.0;
        let method = id(match op.method {
            crate::schema::Method::Get => "Get",
            crate::schema::Method::Post => "Post",
            crate::schema::Method::Put => "Put",
            crate::schema::Method::Delete => "Delete",
            crate::schema::Method::Options => "Options",
        });
        let description = &op.description;
        let parameter = |name: &str, required: bool, description: &str| quote!(::ucwa_runtime::ParameterInfo { name: #name, required: #required, description: #description });
        let query = op
            .query_parameters
            .iter()
            .map(|q| parameter(&q.name, q.required, &q.description));
        let body = op
            .request_body
            .iter()
            .map(|f| parameter(&f.name, f.required, &f.description));
        let response = op.response_body.iter().map(|r| &r.item);
        let errors = op.errors.iter().map(|e| {
            let error = &e.error;
            let subcode = &e.subcode;
            let code = match e.code {
                Some(code) => quote!(::std::option::Option::Some(#code)),
                None => quote!(::std::option::Option::None),
            };
            quote!(::ucwa_runtime::SyncError { error: #error, code: #code, subcode: #subcode })
        });
        tokens.extend(quote! {
            ::ucwa_runtime::OperationInfo {
                method: ::ucwa_runtime::Method::#method,
                description: #description,
                query_parameters: &[#(#query),*],
                request_body: &[#(#body),*],
                response_body: &[#(#response),*],
                errors: &[#(#errors),*],
            }
        });
    }
}

struct EventRow<'a>(&'a crate::schema::Event);

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
            ::ucwa_runtime::EventInfo {
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

impl ToTokens for RequestStruct<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let request = self.0;
        let docs = doc(&request.description);
        let name = id(&request.ident);
        let fields = request.fields.iter().map(|f| {
            if !f.required {
                return optional_field(&f.field);
            }
            let docs = doc_or(
                &f.field.description,
                &format!("The {} parameter.", code(&f.field.serde)),
            );
            let serde = &f.field.serde;
            let field = id(&f.field.ident);
            let ty = type_tokens(&f.field.ty);
            quote! {
                #docs
                #[serde(rename = #serde)]
                pub #field: #ty,
            }
        });
        let extra = extra_field("Parameters and links");
        let mut typed: Vec<(&str, TokenStream)> = request
            .fields
            .iter()
            .filter(|f| {
                !matches!(
                    f.field.ty,
                    FieldType::String | FieldType::Enum(_) | FieldType::Json
                )
            })
            .map(|f| (f.field.serde.as_str(), scalar_tokens(&f.field.ty)))
            .collect();
        typed.sort_by(|a, b| a.0.cmp(b.0));
        // Text fields read as text anyway; only typed ones need a shape for XML input.
        let shape = (!typed.is_empty()).then(|| {
            let properties = typed.iter().map(|(name, scalar)| quote!((#name, #scalar)));
            quote! {
                fn xml_shape() -> &'static ::ucwa_runtime::xml::Shape {
                    static SHAPE: ::ucwa_runtime::xml::Shape = ::ucwa_runtime::xml::Shape {
                        properties: &[#(#properties),*],
                        embedded: &[],
                        arrays: &[],
                    };
                    &SHAPE
                }
            }
        });
        let mut reads: Vec<Read> = request
            .fields
            .iter()
            .map(|f| {
                let field = id(&f.field.ident).into_token_stream();
                if f.required {
                    Read::Required(&f.field.serde, field)
                } else {
                    Read::Optional(&f.field.serde, field)
                }
            })
            .collect();
        reads.push(Read::Rest);
        let deserialize = deserialize_impl(&name, &reads);
        tokens.extend(quote! {
            #docs
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
            pub struct #name {
                #(#fields)*
                #extra
            }
            #deserialize

            impl ::ucwa_runtime::RequestBody for #name { #shape }
        });
    }
}
