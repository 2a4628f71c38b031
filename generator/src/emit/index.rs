//! The crate-wide pieces: open enums (enumeration pages, resource kinds,
//! error subcodes) and the index that decodes a body of any known rel.

use super::docs::{code, doc, doc_or, trusted};
use super::model::{Enumeration, Member, Model};
use super::output::Segment;
use super::resource::id;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// An enum as `open_enum!` takes it: `Variant = "documented string"` rows.
/// Written as a plain enum item so it can be formatted on its own; a
/// [`Segment::OpenEnum`] puts the macro call around it.
pub struct OpenEnum<'a> {
    pub ident: &'a str,
    pub description: TokenStream,
    pub members: &'a [Member],
}

impl<'a> OpenEnum<'a> {
    pub fn from_page(e: &'a Enumeration) -> OpenEnum<'a> {
        OpenEnum {
            ident: &e.ident,
            description: doc_or(
                &e.description,
                &format!("The {} enumeration.", code(&e.name)),
            ),
            members: &e.members,
        }
    }
}

impl ToTokens for OpenEnum<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = id(self.ident);
        let docs = &self.description;
        let variants = self.members.iter().map(|m| {
            // The value is the documentation when the page says no more.
            let docs = doc(&m.description);
            let variant = id(&m.ident);
            let value = &m.value;
            quote! { #docs #variant = #value, }
        });
        tokens.extend(quote! {
            #docs
            pub enum #name { #(#variants)* }
        });
    }
}

/// The `ResourceKind` rows: one per resource, variant named like its type.
pub fn resource_kinds(model: &Model) -> Vec<Member> {
    model
        .resources
        .iter()
        .map(|r| Member {
            value: r.rel.clone(),
            ident: r.kind_variant.clone(),
            // The type's own documentation says what the resource is.
            description: String::new(),
        })
        .collect()
}

pub fn kind_enum(kinds: &[Member]) -> OpenEnum<'_> {
    OpenEnum {
        ident: "ResourceKind",
        description: trusted("Every resource of this crate, by its documented rel."),
        members: kinds,
    }
}

pub fn subcode_enum(model: &Model) -> OpenEnum<'_> {
    OpenEnum {
        ident: "ErrorSubcode",
        description: trusted("Every error subcode the pages document, for [`ErrorResponse`]."),
        members: &model.subcodes,
    }
}

/// `lib.rs` items after the enums: the decoding index and the type aliases.
#[derive(Clone, Copy)]
pub struct Index<'a>(pub &'a Model);

impl<'a> Index<'a> {
    /// The items one at a time, so the two that list every resource are never
    /// alive (as tokens and as a syntax tree) together.
    pub fn segments(self) -> impl Iterator<Item = Segment> + 'a {
        std::iter::once_with(move || Segment::Items(self.any_resource()))
            .chain(std::iter::once_with(move || {
                Segment::Items(self.decoding())
            }))
            .chain(std::iter::once_with(move || Segment::Items(self.aliases())))
    }

    fn any_resource(&self) -> TokenStream {
        let variants = self.0.resources.iter().map(|r| {
            let variant = id(&r.kind_variant);
            let ty = id(&r.ident);
            quote! { #variant(Box<resources::#ty>), }
        });
        quote! {
            /// A resource of any kind, as [`decode_json`] and [`decode_xml`] return it (boxed: resources are large).
            #[derive(Debug, Clone, PartialEq)]
            pub enum AnyResource { #(#variants)* }
        }
    }

    /// Decoding by rel: one match arm per resource.
    fn decoding(&self) -> TokenStream {
        let arms = self.0.resources.iter().map(|r| {
            let variant = id(&r.kind_variant);
            let rel = &r.rel;
            quote! { #rel => format.decode_as(body, Self::#variant), }
        });
        quote! {
            impl AnyResource {
                /// Decodes a body of the resource with this rel; `None` when this crate does not know the rel.
                pub fn decode(rel: &str, body: &str, format: ucwa_runtime::Format) -> Option<Result<Self, ucwa_runtime::DecodeError>> {
                    let decoded = match rel {
                        #(#arms)*
                        _ => return None,
                    };
                    Some(decoded)
                }
            }
        }
    }

    fn aliases(&self) -> TokenStream {
        quote! {
            /// The event channel's response body, with senders and targets as [`ResourceKind`]s.
            pub type Events = ucwa_runtime::events::EventChannel<ResourceKind>;

            /// A UCWA error response body, with the subcodes these pages document.
            pub type ErrorResponse = ucwa_runtime::error::ErrorBody<ucwa_runtime::error::ErrorCode, ErrorSubcode>;

            /// Decodes a JSON body of the resource with this rel; `None` when this crate does not know the rel.
            pub fn decode_json(rel: &str, body: &str) -> Option<Result<AnyResource, ucwa_runtime::DecodeError>> {
                AnyResource::decode(rel, body, ucwa_runtime::Format::Json)
            }

            /// Decodes an XML body of the resource with this rel; `None` when this crate does not know the rel.
            pub fn decode_xml(rel: &str, body: &str) -> Option<Result<AnyResource, ucwa_runtime::DecodeError>> {
                AnyResource::decode(rel, body, ucwa_runtime::Format::Xml)
            }
        }
    }
}
