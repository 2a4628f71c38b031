//! `tests/samples.rs` of the generated crate: one test per sample body in
//! the schema, and one test listing every sample recorded as damaged.
//!
//! Which type a sample must decode into, and which field values it must
//! show, is decided here in the generator (it can read the sample); the
//! generated tests only state the facts.

use super::model::{Decoder, FieldType, Model, Resource, Sample, SampleCheck};
use super::names::{self, Scope};
use super::resource::id;
use crate::schema::{Direction, Document, Example, Kind, SampleFormat};
use proc_macro2::{Literal, TokenStream};
use quote::{quote, ToTokens};
use std::collections::BTreeMap;

/// Fields asserted per response sample: enough to catch a wrong mapping,
/// few enough to keep the test file readable.
const CHECKED_FIELDS: usize = 6;

/// How many samples went where; the lead reports these numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleCounts {
    pub tested: usize,
    pub rejected: usize,
    pub untested: usize,
}

pub fn classify(documents: &[Document], model: &Model) -> (Vec<Sample>, SampleCounts) {
    let by_rel: BTreeMap<&str, &Resource> = model
        .resources
        .iter()
        .map(|r| (r.rel.as_str(), r))
        .collect();
    let mut docs: Vec<&Document> = documents
        .iter()
        .filter(|d| d.kind == Kind::Resource)
        .collect();
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tests = Scope::with_reserved(&[
        "damaged_samples_are_still_rejected",
        "holds",
        "json_round_trip",
        "xml_round_trip",
    ]);
    let mut samples = Vec::new();
    let mut counts = SampleCounts::default();
    for doc in docs {
        let Some(resource) = by_rel.get(doc.name.as_str()) else {
            continue;
        };
        for (op, model_op) in doc.operations.iter().zip(&resource.operations) {
            for example in op.examples.iter().filter(|e| !e.body.trim().is_empty()) {
                let direction = match example.direction {
                    Direction::Request => "request",
                    Direction::Response => "response",
                };
                let format = match example.format {
                    SampleFormat::Json => "json",
                    SampleFormat::Xml => "xml",
                };
                let origin = format!("{} {} {format} {direction}", doc.name, op.method.as_str());
                let request = model_op.request.as_ref().map(|r| r.ident.clone());
                let check = match (example.direction, request) {
                    (Direction::Response, _) => response_check(example, resource, &by_rel),
                    (Direction::Request, Some(body)) if example.format == SampleFormat::Json => {
                        request_check(example, resource, &body)
                    }
                    // No body type to decode into, or an XML `input` body, which the runtime only writes.
                    (Direction::Request, _) => None,
                };
                push(
                    &mut samples,
                    &mut counts,
                    &mut tests,
                    &origin,
                    example,
                    check,
                );
            }
        }
        for event in &doc.events {
            let Some(example) = event.sample.as_ref().filter(|e| !e.body.trim().is_empty()) else {
                continue;
            };
            let origin = format!("{} {} event", doc.name, event.event_type);
            let check = if example.format == SampleFormat::Json {
                Some(event_check(example))
            } else {
                None
            };
            push(
                &mut samples,
                &mut counts,
                &mut tests,
                &origin,
                example,
                check,
            );
        }
    }
    (samples, counts)
}

fn event_check(example: &Example) -> SampleCheck {
    let senders = serde_json::from_str::<serde_json::Value>(&example.body)
        .ok()
        .and_then(|v| v.get("sender").and_then(|s| s.as_array()).map(Vec::len));
    match senders {
        Some(senders) if example.valid => SampleCheck::Event { senders },
        _ => rejected(Decoder::Event, example),
    }
}

fn push(
    samples: &mut Vec<Sample>,
    counts: &mut SampleCounts,
    tests: &mut Scope,
    origin: &str,
    example: &Example,
    check: Option<SampleCheck>,
) {
    let Some(check) = check else {
        counts.untested += 1;
        return;
    };
    match check {
        SampleCheck::Rejected { .. } => counts.rejected += 1,
        _ => counts.tested += 1,
    }
    samples.push(Sample {
        test: tests.claim(names::snake(origin)),
        origin: origin.to_string(),
        body: example.body.clone(),
        check,
    });
}

fn rejected(decoder: Decoder, example: &Example) -> SampleCheck {
    let reason = example
        .problem
        .clone()
        .unwrap_or_else(|| "recorded as damaged".to_string());
    SampleCheck::Rejected { decoder, reason }
}

fn response_check(
    example: &Example,
    page: &Resource,
    by_rel: &BTreeMap<&str, &Resource>,
) -> Option<SampleCheck> {
    let parsed = match example.format {
        SampleFormat::Json => serde_json::from_str::<serde_json::Value>(&example.body).ok(),
        SampleFormat::Xml => None,
    };
    // A response may carry another resource (a POST answering with what it created).
    let resource = parsed
        .as_ref()
        .and_then(|v| v.get("rel"))
        .and_then(|rel| rel.as_str())
        .and_then(|rel| by_rel.get(rel).copied())
        .unwrap_or(page);
    if !example.valid {
        return Some(rejected(
            Decoder::Resource {
                ident: resource.ident.clone(),
                format: example.format,
            },
            example,
        ));
    }
    if example.format == SampleFormat::Xml {
        // OPTIONS answers `<optionsMetadata>`, some pages show HTML: valid XML, but no resource.
        match xml_root(&example.body) {
            Some(root) if root == "resource" => {}
            root => {
                let reason = format!(
                    "valid XML, but its root is <{}>, not <resource>",
                    root.unwrap_or_default()
                );
                let decoder = Decoder::Resource {
                    ident: resource.ident.clone(),
                    format: example.format,
                };
                return Some(SampleCheck::Rejected { decoder, reason });
            }
        }
    }
    let fields = match (example.format, parsed) {
        (SampleFormat::Json, Some(serde_json::Value::Object(object))) => resource
            .properties
            .iter()
            .filter_map(|p| {
                let value = object.get(&p.serde)?;
                matches!(
                    value,
                    serde_json::Value::String(_)
                        | serde_json::Value::Bool(_)
                        | serde_json::Value::Number(_)
                )
                .then(|| (p.ident.clone(), value.clone()))
            })
            .take(CHECKED_FIELDS)
            .collect(),
        (SampleFormat::Json, _) => {
            return Some(rejected(
                Decoder::Resource {
                    ident: resource.ident.clone(),
                    format: example.format,
                },
                example,
            ))
        }
        (SampleFormat::Xml, _) => xml_properties(&example.body)
            .into_iter()
            .filter_map(|(name, text)| {
                let property = resource.properties.iter().find(|p| p.serde == name)?;
                matches!(property.ty, FieldType::String | FieldType::Enum(_))
                    .then(|| (property.ident.clone(), serde_json::Value::String(text)))
            })
            .take(CHECKED_FIELDS)
            .collect(),
    };
    Some(SampleCheck::Response {
        resource: resource.ident.clone(),
        format: example.format,
        fields,
    })
}

/// A request sample must carry every required field at the top level to
/// decode; one that does not contradicts its page and is listed as rejected.
fn request_check(example: &Example, resource: &Resource, body: &str) -> Option<SampleCheck> {
    let decoder = Decoder::Request {
        resource: resource.ident.clone(),
        body: body.to_string(),
    };
    if !example.valid {
        return Some(rejected(decoder, example));
    }
    let parsed = serde_json::from_str::<serde_json::Value>(&example.body).ok();
    let request = resource
        .operations
        .iter()
        .filter_map(|o| o.request.as_ref())
        .find(|r| r.ident == body)?;
    let missing: Vec<&str> = request
        .fields
        .iter()
        .filter(|f| {
            f.required
                && parsed
                    .as_ref()
                    .and_then(|v| v.get(&f.field.serde))
                    .is_none()
        })
        .map(|f| f.field.serde.as_str())
        .collect();
    if missing.is_empty() {
        Some(SampleCheck::Request {
            resource: resource.ident.clone(),
            body: body.to_string(),
        })
    } else {
        Some(SampleCheck::Rejected {
            decoder,
            reason: format!("lacks the required {}", missing.join(", ")),
        })
    }
}

/// The local name of the XML document's root element.
fn xml_root(body: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start) | Event::Empty(start)) => {
                return Some(String::from_utf8_lossy(start.local_name().as_ref()).into_owned())
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Top-level `<property name="...">text</property>` pairs of an XML resource.
fn xml_properties(body: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    let mut found = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                depth += 1;
                if depth == 2 && start.local_name().as_ref() == b"property" {
                    current = start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"name")
                        .and_then(|a| a.unescape_value().ok())
                        .map(|v| v.into_owned());
                }
            }
            Ok(Event::Text(text)) => {
                if let (Some(name), Ok(text)) = (current.take(), text.unescape()) {
                    found.push((name, text.into_owned()));
                }
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                current = None;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    found
}

/// A string literal for a sample body: a raw string when possible, so the
/// generated test shows the body as it is on the page.
fn body_literal(body: &str) -> TokenStream {
    if !body.contains('\r') {
        let hashes = (1..)
            .map(|n| "#".repeat(n))
            .find(|h| !body.contains(&format!("\"{h}")))
            .unwrap_or_default();
        if let Ok(tokens) = format!("r{hashes}\"{body}\"{hashes}").parse::<TokenStream>() {
            let mut iter = tokens.clone().into_iter();
            if let (Some(proc_macro2::TokenTree::Literal(_)), None) = (iter.next(), iter.next()) {
                return tokens;
            }
        }
    }
    Literal::string(body).into_token_stream()
}

pub struct SamplesFile<'a> {
    pub crate_ident: &'a str,
    pub samples: &'a [Sample],
}

impl ToTokens for SamplesFile<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let krate = id(self.crate_ident);
        let tests = self.samples.iter().filter_map(|s| sample_test(&krate, s));
        let damaged = self.samples.iter().filter_map(|s| match &s.check {
            SampleCheck::Rejected { decoder, reason } => {
                let origin = format!("{}: {reason}", s.origin);
                let body = body_literal(&s.body);
                let decodes = match decoder {
                    Decoder::Resource { ident, format } => {
                        let ty = id(ident);
                        let method = format_method(*format);
                        quote!(|body| <#krate::resources::#ty as ::ucwa_runtime::Resource>::#method(body).is_ok())
                    }
                    Decoder::Request { body, .. } => {
                        let ty = id(body);
                        quote!(|body| <#krate::resources::#ty as ::ucwa_runtime::RequestBody>::from_json(body).is_ok())
                    }
                    Decoder::Event => quote!(|body| ::serde_json::from_str::<#krate::Events>(body).is_ok()),
                };
                Some(quote! { (#origin, #decodes, #body) })
            }
            _ => None,
        });
        let damaged: Vec<TokenStream> = damaged.collect();
        let damaged_test = (!damaged.is_empty()).then(|| {
            quote! {
                /// Samples the schema records as damaged. Each must still fail to decode: if one
                /// starts decoding, the page or the schema changed and the sample deserves a real test.
                #[test]
                fn damaged_samples_are_still_rejected() {
                    /// Where the sample is from and why it is damaged, whether a decoder accepts it, the body.
                    type Damaged = (&'static str, fn(&str) -> bool, &'static str);
                    let damaged: &[Damaged] = &[#(#damaged),*];
                    for (origin, decodes, body) in damaged {
                        assert!(!decodes(body), "{origin}: decodes now");
                    }
                }
            }
        });
        let uses =
            |wanted: &dyn Fn(&SampleCheck) -> bool| self.samples.iter().any(|s| wanted(&s.check));
        let json = uses(&|c| {
            matches!(
                c,
                SampleCheck::Response {
                    format: SampleFormat::Json,
                    ..
                }
            )
        });
        let xml = uses(&|c| {
            matches!(
                c,
                SampleCheck::Response {
                    format: SampleFormat::Xml,
                    ..
                }
            )
        });
        let fields =
            uses(&|c| matches!(c, SampleCheck::Response { fields, .. } if !fields.is_empty()));
        let import = (json || xml).then(|| {
            quote!(
                use ::ucwa_runtime::Resource;
            )
        });
        let holds = fields.then(|| {
            quote! {
                /// `field` serialises to exactly the JSON `expected`.
                fn holds<V: ::serde::Serialize>(field: &V, expected: &str) {
                    let expected: ::serde_json::Value = ::serde_json::from_str(expected).unwrap();
                    assert_eq!(::serde_json::to_value(field).unwrap(), expected);
                }
            }
        });
        let json = json.then(|| {
            quote! {
                /// Decodes a JSON body and checks that encoding gives back the same JSON value.
                fn json_round_trip<T: Resource>(body: &str) -> T {
                    let decoded = T::from_json(body).unwrap();
                    let encoded: ::serde_json::Value = ::serde_json::from_str(&decoded.to_json().unwrap()).unwrap();
                    let original: ::serde_json::Value = ::serde_json::from_str(body).unwrap();
                    assert_eq!(encoded, original);
                    decoded
                }
            }
        });
        let xml = xml.then(|| {
            quote! {
                /// Decodes an XML body and checks that its XML encoding decodes to the same
                /// value, apart from `rel`, which the encoder always writes as the documented one.
                fn xml_round_trip<T: Resource>(body: &str) -> T {
                    let decoded = T::from_xml(body).unwrap();
                    let again = T::from_xml(&decoded.to_xml().unwrap()).unwrap();
                    let without_rel = |resource: &T| {
                        let mut value = ::serde_json::to_value(resource).unwrap();
                        if let ::std::option::Option::Some(object) = value.as_object_mut() {
                            object.remove("rel");
                        }
                        value
                    };
                    assert_eq!(without_rel(&again), without_rel(&decoded));
                    decoded
                }
            }
        });
        tokens.extend(quote! {
            #import
            #holds
            #json
            #xml
            #(#tests)*
            #damaged_test
        });
    }
}

fn format_method(format: SampleFormat) -> TokenStream {
    match format {
        SampleFormat::Json => quote!(from_json),
        SampleFormat::Xml => quote!(from_xml),
    }
}

fn sample_test(krate: &proc_macro2::Ident, sample: &Sample) -> Option<TokenStream> {
    let name = id(&sample.test);
    let body = body_literal(&sample.body);
    let docs = super::docs::trusted(&format!(
        "The {} sample.",
        super::docs::escape(&sample.origin)
    ));
    let statements = match &sample.check {
        SampleCheck::Response {
            resource,
            format,
            fields,
        } => {
            let ty = id(resource);
            let round_trip = match format {
                SampleFormat::Json => quote!(json_round_trip),
                SampleFormat::Xml => quote!(xml_round_trip),
            };
            let checks = fields.iter().map(|(field, value)| {
                let field = id(field);
                let value = value.to_string();
                quote! { holds(&decoded.#field, #value); }
            });
            let binding = if fields.is_empty() {
                quote!(_decoded)
            } else {
                quote!(decoded)
            };
            quote! {
                let #binding: #krate::resources::#ty = #round_trip(#body);
                #(#checks)*
            }
        }
        SampleCheck::Request { body: ty, .. } => {
            let ty = id(ty);
            quote! {
                let body = #body;
                let decoded = <#krate::resources::#ty as ::ucwa_runtime::RequestBody>::from_json(body).unwrap();
                let encoded: ::serde_json::Value = ::serde_json::from_str(&::ucwa_runtime::RequestBody::to_json(&decoded).unwrap()).unwrap();
                let original: ::serde_json::Value = ::serde_json::from_str(body).unwrap();
                assert_eq!(encoded, original);
            }
        }
        SampleCheck::Event { senders } => quote! {
            let body = #body;
            let events: #krate::Events = ::serde_json::from_str(body).unwrap();
            assert_eq!(events.sender.len(), #senders);
            let original: ::serde_json::Value = ::serde_json::from_str(body).unwrap();
            assert_eq!(::serde_json::to_value(&events).unwrap(), original);
        },
        SampleCheck::Rejected { .. } => return None,
    };
    Some(quote! {
        #docs
        #[test]
        fn #name() {
            #statements
        }
    })
}
