//! `tests/samples.rs` of the generated crate: one test per sample body in
//! the schema, and one test listing every sample recorded as damaged.
//!
//! Which type a sample must decode into, and which field values it must
//! show, is decided here in the generator (it can read the sample); the
//! generated tests only state the facts.

use super::exchanges::{self, BodyCheck, Exchange};
use super::model::{FieldType, Model, Operation, Resource};
use super::names::{self, Scope};
use super::output::Segment;
use super::resource::id;
use crate::schema::{Direction, Document, Example, Kind, Method, SampleFormat};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{quote, ToTokens};
use std::collections::{BTreeMap, BTreeSet};

/// Fields asserted per sample: enough to catch a wrong mapping, few enough
/// to keep the test file readable.
const CHECKED_FIELDS: usize = 6;

/// What the tests call from `ucwa_runtime::testing`, and the one test that is
/// not a sample's: no sample's test may take these names.
const HELPERS: &[&str] = &[
    "damaged_samples_are_still_rejected",
    "decodes_json",
    "decodes_xml",
    "events_decode_json",
    "events_decode_xml",
    "holds",
    "input_decodes_json",
    "input_decodes_xml",
    "json_events",
    "json_input_keys",
    "json_round_trip",
    "request_decodes_json",
    "request_decodes_resource_xml",
    "request_decodes_xml",
    "request_json_round_trip",
    "request_resource_xml_round_trip",
    "request_xml_round_trip",
    "still_rejected",
    "xml_events",
    "xml_input_keys",
    "xml_round_trip",
];

/// How many samples went where; the lead reports these numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleCounts {
    /// Valid samples with a test that decodes them.
    pub tested: usize,
    /// Samples recorded as damaged (or contradicting their page), asserted to
    /// still fail to decode.
    pub rejected: usize,
    /// Samples no generated test looks at. Every sample has a decoder now, so
    /// this stays 0; it is kept so a regression shows up as a number.
    pub untested: usize,
    /// Documented requests built with the typed builder and documented
    /// responses read with the typed reader (with a body or without).
    pub exchanges: usize,
}

/// What one sample body must do in the generated tests.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Test function name, unique in the test file.
    pub test: String,
    pub origin: String,
    pub body: String,
    pub check: SampleCheck,
    /// What the sample's request or response does with its typed operation.
    pub exchange: Option<Exchange>,
}

#[derive(Debug, Clone)]
pub enum SampleCheck {
    /// Decodes into the resource (a response, or a request that sends a
    /// resource back, as a PUT does); the listed fields hold these JSON values.
    Resource {
        resource: String,
        format: SampleFormat,
        fields: Vec<(String, serde_json::Value)>,
    },
    /// Decodes into a request body type, and encodes back to the same value;
    /// the listed fields hold these JSON values.
    Request {
        body: String,
        form: RequestForm,
        fields: Vec<(String, serde_json::Value)>,
    },
    /// A request body of an operation that documents none: it reads as a UCWA
    /// input (a JSON object, or an XML `<input>`) with exactly these keys.
    Input {
        format: SampleFormat,
        keys: Vec<String>,
    },
    /// Decodes into the crate's `Events` with this many senders.
    Event {
        format: SampleFormat,
        senders: usize,
    },
    /// Must still be rejected by the decoder this sample would go to.
    Rejected { decoder: Decoder, reason: String },
    /// A message without a body: only its exchange is checked.
    NoBody,
}

#[derive(Debug, Clone)]
pub enum Decoder {
    Resource { ident: String, format: SampleFormat },
    Request { body: String, form: RequestForm },
    Input { format: SampleFormat },
    Event { format: SampleFormat },
}

/// How a request body is written. PayloadFormat.md accepts the resource
/// formats as input, so besides `<input>` an XML body may be a `<resource>`:
/// a PUT sending back what a GET gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestForm {
    Json,
    XmlInput,
    XmlResource,
}

/// Every sample of the resource pages with its test. The bodies are moved
/// out of `documents` into the samples, not copied: with a large schema, a
/// second copy of every body is the difference that matters; and each
/// document is freed as soon as its samples are taken. Build the model
/// first; it reads the samples too.
pub fn classify(documents: Vec<Document>, model: &Model) -> (Vec<Sample>, SampleCounts) {
    let by_rel: BTreeMap<&str, &Resource> = model
        .resources
        .iter()
        .map(|r| (r.rel.as_str(), r))
        .collect();
    let mut docs: Vec<Document> = documents
        .into_iter()
        .filter(|d| d.kind == Kind::Resource)
        .collect();
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tests = Scope::with_reserved(&[HELPERS, exchanges::HELPERS].concat());
    let mut samples = Vec::new();
    let mut counts = SampleCounts::default();
    for doc in docs {
        // The rest of the document is freed as this iteration ends, so the
        // samples grow into its memory.
        let Document {
            name,
            mut operations,
            mut events,
            ..
        } = doc;
        let Some(resource) = by_rel.get(name.as_str()) else {
            // Not expected: the model has a resource for every resource page.
            let examples = operations.iter().flat_map(|o| &o.examples);
            let events = events.iter().filter_map(|e| e.sample.as_ref());
            counts.untested += examples
                .chain(events)
                .filter(|e| !e.body.trim().is_empty())
                .count();
            continue;
        };
        for (op, model_op) in operations.iter_mut().zip(&resource.operations) {
            for example in op.examples.iter_mut() {
                let has_body = !example.body.trim().is_empty();
                let direction = match example.direction {
                    Direction::Request => "request",
                    Direction::Response => "response",
                };
                let origin = format!(
                    "{} {} {} {direction}",
                    name,
                    op.method.as_str(),
                    format_name(example.format)
                );
                let check = match (has_body, example.direction) {
                    (false, _) => SampleCheck::NoBody,
                    (true, Direction::Response) => response_check(example, resource, &by_rel),
                    (true, Direction::Request) => {
                        request_check(example, resource, model_op, &by_rel)
                    }
                };
                let body = match &check {
                    SampleCheck::Request { .. } => BodyCheck::Typed,
                    SampleCheck::Resource { resource, .. } => BodyCheck::Resource(resource),
                    SampleCheck::Rejected { .. } => BodyCheck::Rejected,
                    _ => BodyCheck::Valid,
                };
                let exchange = exchanges::exchange(example, resource, model_op, body);
                if !has_body && exchange.is_none() {
                    continue;
                }
                let sample = (check, exchange);
                push(
                    &mut samples,
                    &mut counts,
                    &mut tests,
                    &origin,
                    example,
                    sample,
                );
            }
        }
        for event in events.iter_mut() {
            let Some(example) = event.sample.as_mut().filter(|e| !e.body.trim().is_empty()) else {
                continue;
            };
            let origin = format!("{} {} event", name, event.event_type);
            let check = event_check(example);
            push(
                &mut samples,
                &mut counts,
                &mut tests,
                &origin,
                example,
                (check, None),
            );
        }
    }
    (samples, counts)
}

fn format_name(format: SampleFormat) -> &'static str {
    match format {
        SampleFormat::Json => "json",
        SampleFormat::Xml => "xml",
    }
}

fn event_check(example: &Example) -> SampleCheck {
    let decoder = Decoder::Event {
        format: example.format,
    };
    if !example.valid {
        return rejected(decoder, example);
    }
    let senders = match example.format {
        SampleFormat::Json => serde_json::from_str::<serde_json::Value>(&example.body)
            .ok()
            .and_then(|v| v.get("sender").and_then(|s| s.as_array()).map(Vec::len)),
        SampleFormat::Xml => xml_elements(&example.body).map(|elements| {
            elements
                .iter()
                .filter(|e| e.depth == 2 && e.name == "sender")
                .count()
        }),
    };
    match senders {
        Some(senders) => SampleCheck::Event {
            format: example.format,
            senders,
        },
        None => SampleCheck::Rejected {
            decoder,
            reason: "valid, but not an event channel body".into(),
        },
    }
}

fn push(
    samples: &mut Vec<Sample>,
    counts: &mut SampleCounts,
    tests: &mut Scope,
    origin: &str,
    example: &mut Example,
    (check, exchange): (SampleCheck, Option<Exchange>),
) {
    match check {
        SampleCheck::Rejected { .. } => counts.rejected += 1,
        SampleCheck::NoBody => {}
        _ => counts.tested += 1,
    }
    counts.exchanges += usize::from(exchange.is_some());
    samples.push(Sample {
        test: tests.claim(names::snake(origin)),
        origin: origin.to_string(),
        body: std::mem::take(&mut example.body),
        check,
        exchange,
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
) -> SampleCheck {
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
    let decoder = Decoder::Resource {
        ident: resource.ident.clone(),
        format: example.format,
    };
    if !example.valid {
        return rejected(decoder, example);
    }
    let fields = match (example.format, parsed) {
        (SampleFormat::Json, Some(serde_json::Value::Object(object))) => {
            json_fields(&object, &resource.properties)
        }
        (SampleFormat::Json, _) => return rejected(decoder, example),
        (SampleFormat::Xml, _) => {
            // OPTIONS answers `<optionsMetadata>`, some pages show HTML: valid XML, but no resource.
            let elements = xml_elements(&example.body).unwrap_or_default();
            match elements.first().map(|root| root.name.as_str()) {
                Some("resource") => {}
                root => {
                    let reason = format!(
                        "valid XML, but its root is <{}>, not <resource>",
                        root.unwrap_or_default()
                    );
                    return SampleCheck::Rejected { decoder, reason };
                }
            }
            xml_fields(&elements, &resource.properties)
        }
    };
    SampleCheck::Resource {
        resource: resource.ident.clone(),
        format: example.format,
        fields,
    }
}

/// A request sample decodes into the operation's body type when it has one.
/// Without one, a PUT (or a body naming a resource) sends a resource back,
/// and anything else is checked as a plain UCWA input.
fn request_check(
    example: &Example,
    page: &Resource,
    operation: &Operation,
    by_rel: &BTreeMap<&str, &Resource>,
) -> SampleCheck {
    if let Some(request) = &operation.request {
        return typed_request_check(example, request);
    }
    let sends_resource = operation.source.method == Method::Put
        || match example.format {
            SampleFormat::Json => serde_json::from_str::<serde_json::Value>(&example.body)
                .ok()
                .and_then(|v| v.get("rel").and_then(|rel| rel.as_str()).map(str::to_owned))
                .is_some_and(|rel| by_rel.contains_key(rel.as_str())),
            SampleFormat::Xml => xml_elements(&example.body)
                .and_then(|e| e.into_iter().next())
                .is_some_and(|root| root.name == "resource"),
        };
    if sends_resource {
        return response_check(example, page, by_rel);
    }
    input_check(example)
}

fn typed_request_check(example: &Example, request: &super::model::RequestBody) -> SampleCheck {
    let elements = match example.format {
        SampleFormat::Json => Vec::new(),
        SampleFormat::Xml => xml_elements(&example.body).unwrap_or_default(),
    };
    let form = match (
        example.format,
        elements.first().map(|root| root.name.as_str()),
    ) {
        (SampleFormat::Json, _) => RequestForm::Json,
        (SampleFormat::Xml, Some("resource")) => RequestForm::XmlResource,
        (SampleFormat::Xml, _) => RequestForm::XmlInput,
    };
    let decoder = Decoder::Request {
        body: request.ident.clone(),
        form,
    };
    if !example.valid {
        return rejected(decoder, example);
    }
    let fields: Vec<super::model::Field> = request.fields.iter().map(|f| f.field.clone()).collect();
    let (present, checked) = match example.format {
        SampleFormat::Json => match serde_json::from_str::<serde_json::Value>(&example.body) {
            Ok(serde_json::Value::Object(object)) => (
                object.keys().cloned().collect::<BTreeSet<_>>(),
                // The round trip compares every value; no field checks needed.
                Vec::new(),
            ),
            _ => {
                let reason = "valid JSON, but not an object".to_string();
                return SampleCheck::Rejected { decoder, reason };
            }
        },
        SampleFormat::Xml => {
            match elements.first().map(|root| root.name.as_str()) {
                Some("input" | "resource") => {}
                root => {
                    let reason = format!(
                        "valid XML, but its root is <{}>, not <input> or <resource>",
                        root.unwrap_or_default()
                    );
                    return SampleCheck::Rejected { decoder, reason };
                }
            }
            (input_keys(&elements), xml_fields(&elements, &fields))
        }
    };
    // A request sample must carry every required field at the top level to
    // decode; one that does not contradicts its page and is listed as rejected.
    let missing: Vec<&str> = request
        .fields
        .iter()
        .filter(|f| f.required && !present.contains(&f.field.serde))
        .map(|f| f.field.serde.as_str())
        .collect();
    if !missing.is_empty() {
        let reason = format!("lacks the required {}", missing.join(", "));
        return SampleCheck::Rejected { decoder, reason };
    }
    SampleCheck::Request {
        body: request.ident.clone(),
        form,
        fields: checked,
    }
}

fn input_check(example: &Example) -> SampleCheck {
    let decoder = Decoder::Input {
        format: example.format,
    };
    if !example.valid {
        return rejected(decoder, example);
    }
    let keys = match example.format {
        SampleFormat::Json => match serde_json::from_str::<serde_json::Value>(&example.body) {
            Ok(serde_json::Value::Object(object)) => Some(object.keys().cloned().collect()),
            _ => None,
        },
        SampleFormat::Xml => xml_elements(&example.body)
            .filter(|e| e.first().is_some_and(|root| root.name == "input"))
            .map(|e| input_keys(&e)),
    };
    match keys {
        Some(keys) => SampleCheck::Input {
            format: example.format,
            keys: keys.into_iter().collect(),
        },
        None => SampleCheck::Rejected {
            decoder,
            reason: "valid, but neither a JSON object nor an XML <input>".into(),
        },
    }
}

/// Scalar top-level JSON values of the documented properties.
fn json_fields(
    object: &serde_json::Map<String, serde_json::Value>,
    properties: &[super::model::Field],
) -> Vec<(String, serde_json::Value)> {
    properties
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
        .collect()
}

/// Top-level XML `<property>` texts of the documented text properties.
fn xml_fields(
    elements: &[XmlElement],
    properties: &[super::model::Field],
) -> Vec<(String, serde_json::Value)> {
    elements
        .iter()
        .filter(|e| e.depth == 2 && e.name == "property")
        .filter_map(|e| {
            let name = e.name_attribute.as_deref()?;
            let property = properties.iter().find(|p| p.serde == name)?;
            matches!(property.ty, FieldType::String | FieldType::Enum(_)).then(|| {
                (
                    property.ident.clone(),
                    serde_json::Value::String(e.text.clone()),
                )
            })
        })
        .take(CHECKED_FIELDS)
        .collect()
}

/// The JSON keys an XML `<input>` (or `<resource>`) reads as: its
/// properties, `_links` for links and a `href` (the self link), `_embedded`
/// for embedded resources.
fn input_keys(elements: &[XmlElement]) -> BTreeSet<String> {
    let self_link = elements
        .first()
        .filter(|root| root.has_href)
        .map(|_| "_links".to_string());
    let children = elements
        .iter()
        .filter(|e| e.depth == 2)
        .filter_map(|e| match e.name.as_str() {
            "property" | "propertyList" => e.name_attribute.clone(),
            "link" => Some("_links".to_string()),
            "resource" => Some("_embedded".to_string()),
            _ => None,
        });
    children.chain(self_link).collect()
}

/// One element of an XML sample, in document order; the root has depth 1.
#[derive(Debug, Clone, Default)]
struct XmlElement {
    depth: usize,
    name: String,
    name_attribute: Option<String>,
    has_href: bool,
    text: String,
}

/// The elements of an XML body, or `None` when it does not parse.
fn xml_elements(body: &str) -> Option<Vec<XmlElement>> {
    use quick_xml::events::{BytesStart, Event};
    let element = |start: &BytesStart, depth| XmlElement {
        depth,
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        name_attribute: start
            .attributes()
            .flatten()
            .find(|a| a.key.as_ref() == b"name")
            .and_then(|a| a.unescape_value().ok())
            .map(|v| v.into_owned()),
        has_href: start
            .attributes()
            .flatten()
            .any(|a| a.key.as_ref() == b"href"),
        text: String::new(),
    };
    let mut reader = quick_xml::Reader::from_str(body);
    let mut open: Vec<usize> = Vec::new();
    let mut found = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                open.push(found.len());
                found.push(element(&start, open.len()));
            }
            Event::Empty(start) => found.push(element(&start, open.len() + 1)),
            Event::Text(text) => {
                if let Some(&index) = open.last() {
                    let text = text.unescape().ok()?;
                    if let Some(e) = found.get_mut(index) {
                        e.text.push_str(&text);
                    }
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(found)
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

/// The test file, made one test at a time: each sample is dropped as soon
/// as its test is built, and only one test is formatted at a time.
pub struct SamplesFile<'a> {
    pub crate_ident: &'a str,
    pub samples: Vec<Sample>,
}

impl SamplesFile<'_> {
    pub fn segments(self) -> impl Iterator<Item = Segment> {
        let krate = id(self.crate_ident);
        let (imports, damaged) = (self.imports(&krate), self.damaged_test());
        let tests = self.samples.into_iter().filter_map(|s| sample_test(&s));
        std::iter::once(Segment::Items(imports))
            .chain(tests.map(Segment::Items))
            .chain(std::iter::once(Segment::Items(damaged)))
    }

    /// The test of every damaged sample (it comes last in the file).
    fn damaged_test(&self) -> TokenStream {
        let damaged: Vec<TokenStream> = self
            .samples
            .iter()
            .filter_map(|s| match &s.check {
                SampleCheck::Rejected { decoder, reason } => {
                    let origin = format!("{}: {reason}", s.origin);
                    let body = body_literal(&s.body);
                    let decodes = decodes(decoder);
                    Some(quote! { (#origin, #decodes, #body) })
                }
                _ => None,
            })
            .collect();
        if damaged.is_empty() {
            return TokenStream::new();
        }
        quote! {
            /// Samples the schema records as damaged. Each must still fail to decode: if one
            /// starts decoding, the page or the schema changed and the sample deserves a real test.
            #[test]
            fn damaged_samples_are_still_rejected() {
                still_rejected(&[#(#damaged),*]);
            }
        }
    }

    /// The `use` items for what the tests name: the crate's types and the
    /// runtime's test helpers. Made from the checks before the first test,
    /// since the tests are made and dropped one at a time.
    fn imports(&self, krate: &Ident) -> TokenStream {
        let mut helpers = BTreeSet::new();
        let (mut types, mut kinds) = (false, false);
        for sample in &self.samples {
            let (uses_types, uses_kinds) = sample.check.helpers(&mut helpers);
            types |= uses_types;
            kinds |= uses_kinds;
            if let Some(exchange) = &sample.exchange {
                helpers.insert(exchange.helper());
                types = true;
            }
        }
        let helpers = helpers.into_iter().map(id);
        let types = types.then(|| quote!(use #krate::resources::*;));
        let kinds = kinds.then(|| quote!(use #krate::ResourceKind;));
        quote! {
            #![doc = " One test per documented sample: each decodes into its type and encodes back without loss."]
            #types
            #kinds
            use ucwa_runtime::testing::{#(#helpers),*};
        }
    }
}

impl SampleCheck {
    /// Adds the helpers this check's test calls to `into`; whether it names
    /// the crate's resource types, and its `ResourceKind`.
    fn helpers(&self, into: &mut BTreeSet<&'static str>) -> (bool, bool) {
        match self {
            SampleCheck::Resource { format, fields, .. } => {
                into.insert(match format {
                    SampleFormat::Json => "json_round_trip",
                    SampleFormat::Xml => "xml_round_trip",
                });
                if !fields.is_empty() {
                    into.insert("holds");
                }
                (true, false)
            }
            SampleCheck::Request { form, fields, .. } => {
                into.insert(request_round_trip(*form));
                if !fields.is_empty() {
                    into.insert("holds");
                }
                (true, false)
            }
            SampleCheck::Input { format, .. } => {
                into.insert(input_keys_helper(*format));
                (false, false)
            }
            SampleCheck::Event { format, .. } => {
                into.insert(events_helper(*format));
                (false, true)
            }
            SampleCheck::Rejected { decoder, .. } => {
                into.insert("still_rejected");
                let (name, types, kinds) = decoder_helper(decoder);
                into.insert(name);
                (types, kinds)
            }
            SampleCheck::NoBody => (false, false),
        }
    }
}

fn request_round_trip(form: RequestForm) -> &'static str {
    match form {
        RequestForm::Json => "request_json_round_trip",
        RequestForm::XmlInput => "request_xml_round_trip",
        RequestForm::XmlResource => "request_resource_xml_round_trip",
    }
}

fn input_keys_helper(format: SampleFormat) -> &'static str {
    match format {
        SampleFormat::Json => "json_input_keys",
        SampleFormat::Xml => "xml_input_keys",
    }
}

fn events_helper(format: SampleFormat) -> &'static str {
    match format {
        SampleFormat::Json => "json_events",
        SampleFormat::Xml => "xml_events",
    }
}

/// The `ucwa_runtime::testing` function telling whether `decoder` accepts a
/// body; whether it is generic over a resource type, or over `ResourceKind`.
fn decoder_helper(decoder: &Decoder) -> (&'static str, bool, bool) {
    match decoder {
        Decoder::Resource { format, .. } => match format {
            SampleFormat::Json => ("decodes_json", true, false),
            SampleFormat::Xml => ("decodes_xml", true, false),
        },
        Decoder::Request { form, .. } => match form {
            RequestForm::Json => ("request_decodes_json", true, false),
            RequestForm::XmlInput => ("request_decodes_xml", true, false),
            RequestForm::XmlResource => ("request_decodes_resource_xml", true, false),
        },
        Decoder::Input { format } => match format {
            SampleFormat::Json => ("input_decodes_json", false, false),
            SampleFormat::Xml => ("input_decodes_xml", false, false),
        },
        Decoder::Event { format } => match format {
            SampleFormat::Json => ("events_decode_json", false, true),
            SampleFormat::Xml => ("events_decode_xml", false, true),
        },
    }
}

/// The helper for `decoder`, as a `fn(&str) -> bool`.
fn decodes(decoder: &Decoder) -> TokenStream {
    let (name, _, kinds) = decoder_helper(decoder);
    let helper = id(name);
    match decoder {
        Decoder::Resource { ident, .. } | Decoder::Request { body: ident, .. } => {
            let ty = id(ident);
            quote!(#helper::<#ty>)
        }
        _ if kinds => quote!(#helper::<ResourceKind>),
        _ => quote!(#helper),
    }
}

fn field_checks(
    fields: &[(String, serde_json::Value)],
    used: bool,
) -> (TokenStream, Vec<TokenStream>) {
    let checks = fields
        .iter()
        .map(|(field, value)| {
            let field = id(field);
            let value = body_literal(&value.to_string());
            quote! { holds(&decoded.#field, #value); }
        })
        .collect();
    let binding = if fields.is_empty() && !used {
        quote!(_decoded)
    } else {
        quote!(decoded)
    };
    (binding, checks)
}

fn sample_test(sample: &Sample) -> Option<TokenStream> {
    let name = id(&sample.test);
    let literal = body_literal(&sample.body);
    // A body both decoded and sent or read is written once, as `body`.
    let shared = !matches!(
        sample.check,
        SampleCheck::NoBody | SampleCheck::Rejected { .. }
    ) && sample.exchange.as_ref().is_some_and(Exchange::uses_body);
    let (binding, body) = match shared {
        true => (Some(quote!(let body = #literal;)), quote!(body)),
        false => (None, literal),
    };
    let docs = super::docs::trusted(&format!(
        "The {} sample.",
        super::docs::escape(&sample.origin)
    ));
    let uses_decoded = sample.exchange.as_ref().is_some_and(Exchange::uses_decoded);
    let statements = match &sample.check {
        SampleCheck::Resource {
            resource,
            format,
            fields,
        } => {
            let ty = id(resource);
            let round_trip = id(match format {
                SampleFormat::Json => "json_round_trip",
                SampleFormat::Xml => "xml_round_trip",
            });
            let (binding, checks) = field_checks(fields, uses_decoded);
            quote! {
                let #binding: #ty = #round_trip(#body);
                #(#checks)*
            }
        }
        SampleCheck::Request {
            body: ty,
            form,
            fields,
        } => {
            let ty = id(ty);
            let round_trip = id(request_round_trip(*form));
            let (binding, checks) = field_checks(fields, uses_decoded);
            quote! {
                let #binding: #ty = #round_trip(#body);
                #(#checks)*
            }
        }
        SampleCheck::Input { format, keys } => {
            let read = id(input_keys_helper(*format));
            if keys.is_empty() {
                quote!(assert!(#read(#body).is_empty());)
            } else {
                quote!(assert_eq!(#read(#body), [#(#keys),*]);)
            }
        }
        SampleCheck::Event { format, senders } => {
            let read = id(events_helper(*format));
            quote!(#read::<ResourceKind>(#body, #senders);)
        }
        SampleCheck::NoBody => TokenStream::new(),
        // Only what its exchange does: the body is in the damaged samples' test.
        SampleCheck::Rejected { .. } if sample.exchange.is_some() => TokenStream::new(),
        SampleCheck::Rejected { .. } => return None,
    };
    let exchange = sample.exchange.as_ref().map(|e| e.statement(&body));
    Some(quote! {
        #docs
        #[test]
        fn #name() {
            #binding
            #statements
            #exchange
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"
name: note
kind: resource
description: A note.
properties:
- name: message
  description: The text.
  type: string
operations:
- method: POST
  description: Sends a note.
  request_body:
  - name: to
    description: Recipient.
    required: true
    type: string
  - name: urgent
    description: Whether it is urgent.
    type: boolean
  examples:
  - format: xml
    direction: request
    body: <input><property name="to">sip:a@b</property><property name="urgent">False</property></input>
    valid: true
  - format: xml
    direction: request
    body: <input><property name="urgent">true</property></input>
    valid: true
  - format: xml
    direction: request
    body: <resource rel="note"><property name="to">sip:a@b</property></resource>
    valid: true
  - format: xml
    direction: request
    body: <input><property name="to">
    valid: false
    problem: cut off
  - format: xml
    direction: request
    body: <html><p>sip:a@b</p></html>
    valid: true
- method: PUT
  description: Replaces the note.
  examples:
  - format: json
    direction: request
    body: '{"rel": "note", "message": "hi"}'
    valid: true
  - format: xml
    direction: request
    body: <resource rel="note"><property name="message">hi</property></resource>
    valid: true
---
name: clearNote
kind: resource
description: Clears a note.
operations:
- method: POST
  description: Clears it.
  examples:
  - format: json
    direction: request
    body: '{"reason": "done", "count": 2}'
    valid: true
  - format: xml
    direction: request
    body: <input><property name="reason">done</property><link rel="note" href="/n/1"/></input>
    valid: true
  - format: json
    direction: request
    body: '[1, 2]'
    valid: true
  - format: json
    direction: request
    body: 'reason=done'
    valid: false
"#;

    fn documents() -> Vec<Document> {
        serde_yaml::Deserializer::from_str(PAGE)
            .map(|d| serde::Deserialize::deserialize(d).expect("test page is a document"))
            .collect()
    }

    fn classified() -> (Vec<Sample>, SampleCounts) {
        let documents = documents();
        let model = Model::build(&documents).expect("model");
        classify(documents, &model)
    }

    #[test]
    fn sample_bodies_are_moved_out_of_the_documents_not_copied() {
        let original = documents();
        let documents = original.clone();
        let model = Model::build(&documents).expect("model");
        let (samples, _) = classify(documents, &model);
        let bodies = |docs: &[Document]| -> Vec<String> {
            docs.iter()
                .flat_map(|d| {
                    let examples = d.operations.iter().flat_map(|o| &o.examples);
                    examples.chain(d.events.iter().filter_map(|e| e.sample.as_ref()))
                })
                .map(|e| e.body.clone())
                .filter(|b| !b.trim().is_empty())
                .collect()
        };
        let mut moved: Vec<String> = samples.iter().map(|s| s.body.clone()).collect();
        let mut expected = bodies(&original);
        moved.sort();
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(moved, expected);
    }

    fn check<'a>(samples: &'a [Sample], origin: &str, nth: usize) -> &'a SampleCheck {
        &samples
            .iter()
            .filter(|s| s.origin == origin)
            .nth(nth)
            .unwrap_or_else(|| panic!("no sample {nth} of {origin}"))
            .check
    }

    fn reason(check: &SampleCheck) -> &str {
        match check {
            SampleCheck::Rejected { reason, .. } => reason,
            other => panic!("not rejected: {other:?}"),
        }
    }

    #[test]
    fn xml_request_samples_decode_into_the_body_type_when_complete() {
        let (samples, _) = classified();
        match check(&samples, "note POST xml request", 0) {
            SampleCheck::Request {
                body,
                form: RequestForm::XmlInput,
                fields,
            } => {
                assert_eq!(body, "NoteRequest");
                // Only text fields are compared as text; `urgent` is a bool.
                assert_eq!(fields, &[("to".to_string(), "sip:a@b".into())]);
            }
            other => panic!("{other:?}"),
        }
        let missing = check(&samples, "note POST xml request", 1);
        assert_eq!(reason(missing), "lacks the required to");
        // The input format accepts what a GET gave, sent back as is.
        match check(&samples, "note POST xml request", 2) {
            SampleCheck::Request { form, fields, .. } => {
                assert_eq!(*form, RequestForm::XmlResource);
                assert_eq!(fields, &[("to".to_string(), "sip:a@b".into())]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            reason(check(&samples, "note POST xml request", 4)),
            "valid XML, but its root is <html>, not <input> or <resource>"
        );
        assert_eq!(
            reason(check(&samples, "note POST xml request", 3)),
            "cut off"
        );
        assert!(matches!(
            check(&samples, "note POST xml request", 3),
            SampleCheck::Rejected {
                decoder: Decoder::Request {
                    form: RequestForm::XmlInput,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn a_put_without_a_body_type_sends_the_resource_back() {
        let (samples, _) = classified();
        for (origin, format) in [
            ("note PUT json request", SampleFormat::Json),
            ("note PUT xml request", SampleFormat::Xml),
        ] {
            match check(&samples, origin, 0) {
                SampleCheck::Resource {
                    resource,
                    format: f,
                    fields,
                } => {
                    assert_eq!((resource.as_str(), *f), ("Note", format));
                    assert_eq!(fields, &[("message".to_string(), "hi".into())]);
                }
                other => panic!("{origin}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_bodies_without_a_type_are_checked_as_plain_input() {
        let (samples, counts) = classified();
        let keys = |nth| match check(&samples, "clearNote POST json request", nth) {
            SampleCheck::Input { keys, .. } => keys.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(keys(0), ["count", "reason"]);
        match check(&samples, "clearNote POST xml request", 0) {
            SampleCheck::Input { keys, .. } => assert_eq!(keys, &["_links", "reason"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            reason(check(&samples, "clearNote POST json request", 1)),
            "valid, but neither a JSON object nor an XML <input>"
        );
        assert_eq!(
            reason(check(&samples, "clearNote POST json request", 2)),
            "recorded as damaged"
        );
        assert_eq!(
            counts,
            SampleCounts {
                tested: 6,
                rejected: 5,
                untested: 0,
                // The samples show no request or status lines.
                exchanges: 0,
            }
        );
    }
}
