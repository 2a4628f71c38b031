//! The crate-wide pieces: open enums (enumeration pages, resource kinds,
//! error subcodes) and the index that decodes a body of any known rel.

use super::docs::{code, doc, doc_or, trusted};
use super::model::{Enumeration, Member, Model};
use super::output::Segment;
use super::resource::id;
use crate::schema::Method;
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
            .chain(std::iter::once_with(move || {
                Segment::Items(self.sample_hrefs())
            }))
            .chain(std::iter::once_with(move || {
                Segment::Items(self.operations())
            }))
            .chain(std::iter::once_with(
                move || Segment::Items(dynamic_entry()),
            ))
    }

    /// `operation(rel, method)`: one match arm per typed operation.
    fn operations(&self) -> TokenStream {
        let arms: Vec<TokenStream> = self
            .0
            .resources
            .iter()
            .flat_map(|r| r.operations.iter().filter(|o| o.typed).map(move |o| (r, o)))
            .filter_map(|(r, o)| {
                let (variant, constructor) = match o.source.method {
                    Method::Get => (quote!(Get), quote!(get)),
                    Method::Post if o.may_post_empty() => (quote!(Post), quote!(post_or_empty)),
                    Method::Post => (quote!(Post), quote!(post)),
                    Method::Put => (quote!(Put), quote!(put)),
                    Method::Delete => (quote!(Delete), quote!(delete)),
                    Method::Options => return None,
                };
                let (rel, ty) = (&r.rel, id(&r.ident));
                Some(quote! {
                    (#rel, Method::#variant) => Op::#constructor::<#ty>(),
                })
            })
            .collect();
        let missing = quote! {
            ucwa_runtime::DynamicError::missing(rel, method, !matches!(ResourceKind::from(rel), ResourceKind::Other(_)))
        };
        // Without a typed operation, a match of one arm would make `Ok` unreachable.
        let body = match arms.is_empty() {
            true => quote!(Err(#missing)),
            // Short names, so that each arm is one line.
            false => quote! {
                use resources::*;
                use ucwa_runtime::{DynOperation as Op, Method};
                let found = match (rel, method) {
                    #(#arms)*
                    _ => return Err(#missing),
                };
                Ok(found)
            },
        };
        quote! {
            /// The typed operation `method` on the resource with this rel, chosen at run time:
            /// what [`build_request`] and [`read_response`] use. Unknown rels, and methods the
            /// page does not document (or OPTIONS), are errors that say which.
            pub fn operation(rel: &str, method: ucwa_runtime::Method) -> Result<ucwa_runtime::DynOperation, ucwa_runtime::DynamicError> {
                #body
            }
        }
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

    /// `SAMPLE_HREFS`: which resource each href of the samples leads to.
    fn sample_hrefs(&self) -> TokenStream {
        let pairs = self
            .0
            .sample_hrefs
            .iter()
            .map(|(path, rel, own)| quote! { (#path, #rel, #own), });
        quote! {
            /// The hrefs the reference pages' samples show, each with the rel of the
            /// resource it leads to, as `(path, rel, own)` sorted: the path without
            /// scheme, host or query, and `own` when the href is the resource's own
            /// `self` rather than a link to it under a role (`to`). Ids in them are the
            /// samples' own (`applications/192`); compare paths by shape, with ids as
            /// wildcards, to tell which resource an href no followed link names is.
            pub const SAMPLE_HREFS: &[(&str, &str, bool)] = &[#(#pairs)*];
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

/// `build_request`, `read_response` and the reader they share: the same for
/// every crate, so written once here rather than per operation.
fn dynamic_entry() -> TokenStream {
    quote! {
        /// Builds the request of a documented operation, for tools that replay transcripts:
        /// `body` (a documented request body in `format`, `None` for none) is decoded into the
        /// operation's request-body type (the resource itself for a PUT) and the request to `href`
        /// is built with the typed builder, `Accept` and `Content-Type` of `format`. The error
        /// says why not: an unknown rel, no such operation, or a body that does not decode, with
        /// the path of keys where it failed.
        pub fn build_request(rel: &str, method: ucwa_runtime::Method, href: &str, format: ucwa_runtime::Format, body: Option<&str>) -> Result<ucwa_runtime::OperationRequest<ucwa_runtime::Outcome<AnyResource>>, ucwa_runtime::DynamicError> {
            operation(rel, method)?.request(href, format, body, read_any)
        }

        /// Reads the answer to the operation `method` on the resource with this rel: the
        /// resource it carries decoded by its rel (a GET's or PUT's own, a POST's documented
        /// response body), `201 Created` with its `Location`, `204 No Content`; an error status
        /// names the documented error it matches.
        pub fn read_response<B: AsRef<[u8]>>(rel: &str, method: ucwa_runtime::Method, response: &ucwa_runtime::http::Response<B>) -> Result<ucwa_runtime::Outcome<AnyResource>, ucwa_runtime::DynamicError> {
            Ok(operation(rel, method)?.reader(read_any).read(response)?)
        }

        fn read_any(answer: &ucwa_runtime::operation::Answer<'_>, info: &ucwa_runtime::operation::ReadInfo) -> Result<ucwa_runtime::Outcome<AnyResource>, ucwa_runtime::ResponseError> {
            answer.outcome(info, |format, body| AnyResource::decode(info.output?, body, format))
        }
    }
}
