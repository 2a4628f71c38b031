//! The crate-wide pieces: open enums (enumeration pages, resource kinds,
//! error subcodes) and the index that decodes a body of any known rel.

use super::docs::{code, doc_or, trusted};
use super::model::{Enumeration, Member, Model, Resource};
use super::output::Segment;
use super::resource::id;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// An enum as `open_enum!` takes it: `Variant = "documented string"` rows.
/// Written as a plain enum item so it can be formatted on its own; see
/// [`OpenEnum::invocation`] for the macro call around it.
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

    pub fn invocation(&self) -> TokenStream {
        quote! { ::ucwa_runtime::open_enum! { #self } }
    }
}

impl ToTokens for OpenEnum<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = id(self.ident);
        let docs = &self.description;
        let variants = self.members.iter().map(|m| {
            let docs = doc_or(&m.description, &format!("{}.", code(&m.value)));
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
            description: r.description.clone(),
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
                Segment::MoreItems(self.shared_items())
            }))
            .chain(std::iter::once_with(move || {
                Segment::MoreItems(decoder_table(&self.0.resources))
            }))
            .chain(std::iter::once_with(move || {
                Segment::MoreItems(self.decoding())
            }))
    }

    fn any_resource(&self) -> TokenStream {
        let variants = self.0.resources.iter().map(|r| {
            let variant = id(&r.kind_variant);
            let ty = id(&r.ident);
            let docs = trusted(&format!("A [`resources::{}`].", r.ident));
            quote! { #docs #variant(::std::boxed::Box<resources::#ty>), }
        });
        quote! {
            /// A resource of any kind, as [`decode_json`] and [`decode_xml`] return it (boxed: resources are large).
            #[derive(Debug, Clone, PartialEq)]
            pub enum AnyResource { #(#variants)* }
        }
    }

    fn shared_items(&self) -> TokenStream {
        quote! {

            /// The event channel's response body, with senders and targets as [`ResourceKind`]s.
            pub type Events = ::ucwa_runtime::events::EventChannel<ResourceKind>;

            /// A UCWA error response body, with the subcodes these pages document.
            pub type ErrorResponse = ::ucwa_runtime::error::ErrorBody<::ucwa_runtime::error::ErrorCode, ErrorSubcode>;

            /// A JSON object being read into a generated type: each documented key is taken
            /// out by name and what is left is the type's `extra`. One reader shared by every
            /// type, instead of a derived `Deserialize` per type.
            #[doc(hidden)]
            #[allow(dead_code)]
            pub struct __Fields(::serde_json::Map<::std::string::String, ::serde_json::Value>);

            #[allow(dead_code)]
            impl __Fields {
                pub fn read<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    ::serde::Deserialize::deserialize(deserializer).map(__Fields)
                }

                /// A key the object may lack; absent reads as the default (`None`).
                pub fn optional<T: ::serde::de::DeserializeOwned + ::std::default::Default>(&mut self, key: &str) -> ::std::result::Result<T, ::serde_json::Error> {
                    match self.0.remove(key) {
                        ::std::option::Option::Some(value) => ::serde_json::from_value(value),
                        ::std::option::Option::None => ::std::result::Result::Ok(T::default()),
                    }
                }

                /// A key the object must have.
                pub fn required<T: ::serde::de::DeserializeOwned>(&mut self, key: &'static str) -> ::std::result::Result<T, ::serde_json::Error> {
                    match self.0.remove(key) {
                        ::std::option::Option::Some(value) => ::serde_json::from_value(value),
                        ::std::option::Option::None => ::std::result::Result::Err(<::serde_json::Error as ::serde::de::Error>::missing_field(key)),
                    }
                }

                /// The keys no field took, kept so that encoding gives them back.
                pub fn rest(&mut self) -> ::serde_json::Map<::std::string::String, ::serde_json::Value> {
                    ::std::mem::take(&mut self.0)
                }
            }

            type Decoder = fn(&str, bool) -> ::std::result::Result<AnyResource, ::ucwa_runtime::DecodeError>;
        }
    }

    fn decoding(&self) -> TokenStream {
        quote! {

            fn decode<T: ::ucwa_runtime::Resource>(body: &str, xml: bool) -> ::std::result::Result<T, ::ucwa_runtime::DecodeError> {
                if xml { T::from_xml(body) } else { T::from_json(body) }
            }

            fn decode_rel(rel: &str, body: &str, xml: bool) -> ::std::option::Option<::std::result::Result<AnyResource, ::ucwa_runtime::DecodeError>> {
                let index = DECODERS.binary_search_by(|(known, _)| (*known).cmp(rel)).ok()?;
                ::std::option::Option::Some((DECODERS[index].1)(body, xml))
            }

            /// Decodes a JSON body of the resource with this rel; `None` when this crate does not know the rel.
            pub fn decode_json(rel: &str, body: &str) -> ::std::option::Option<::std::result::Result<AnyResource, ::ucwa_runtime::DecodeError>> {
                decode_rel(rel, body, false)
            }

            /// Decodes an XML body of the resource with this rel; `None` when this crate does not know the rel.
            pub fn decode_xml(rel: &str, body: &str) -> ::std::option::Option<::std::result::Result<AnyResource, ::ucwa_runtime::DecodeError>> {
                decode_rel(rel, body, true)
            }
        }
    }
}

/// The index as one token stream, for the single-file output.
impl ToTokens for Index<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.any_resource());
        tokens.extend(self.shared_items());
        tokens.extend(decoder_table(&self.0.resources));
        tokens.extend(self.decoding());
    }
}

/// The `DECODERS` table over these resources.
fn decoder_table(resources: &[Resource]) -> TokenStream {
    let decoders = resources.iter().map(|r| {
        let variant = id(&r.kind_variant);
        let ty = id(&r.ident);
        let rel = &r.rel;
        quote! { (#rel, |body, xml| decode::<resources::#ty>(body, xml).map(::std::boxed::Box::new).map(AnyResource::#variant)) }
    });
    quote! {
        /// Sorted by rel, for binary search.
        static DECODERS: &[(&str, Decoder)] = &[#(#decoders),*];
    }
}
