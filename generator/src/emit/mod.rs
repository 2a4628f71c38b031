//! Stage two: schema → Rust crate.
//!
//! [`model`] resolves every name and type from the schema; [`resource`],
//! [`index`] and [`samples`] turn the model into token streams with quote;
//! [`output`] formats them with prettyplease and adds the headers. The
//! generated code leans on `ucwa_runtime` for behaviour, so what is emitted
//! per resource is definitions, attributes and small static tables.

mod docs;
mod index;
pub mod model;
pub mod names;
mod output;
mod resource;
mod samples;

pub use samples::SampleCounts;

use crate::error::Error;
use crate::output::StagedTree;
use crate::schema::Document;
use index::{Index, OpenEnum};
use model::{generate_error, Model, Resource};
pub use output::Segment;
use output::{format_segments, format_segments_into, header};
use proc_macro2::TokenStream;
use quote::quote;
use resource::{id, ResourceModule};
use std::collections::BTreeMap;

/// How the generated crate is named and what its headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateOptions {
    /// Package name, e.g. `ucwa`.
    pub crate_name: String,
    /// The TOML value for the `ucwa-runtime` dependency, e.g. `{ path = "../runtime" }`.
    pub runtime_dependency: String,
    /// What the code was generated from, for file headers.
    pub provenance: String,
    /// The command that regenerates the code, for file headers.
    pub command: String,
}

impl Default for CrateOptions {
    fn default() -> Self {
        CrateOptions {
            crate_name: "ucwa".into(),
            runtime_dependency: "{ path = \"../runtime\" }".into(),
            provenance: "schema/".into(),
            command: "cargo run -p ucwa-codegen".into(),
        }
    }
}

/// All files of the generated crate, keyed by path relative to the crate root.
pub fn crate_files(
    documents: &[Document],
    options: &CrateOptions,
) -> Result<BTreeMap<String, String>, Error> {
    let mut files = BTreeMap::new();
    // A copy, because preparing takes the sample bodies out of the documents.
    build_crate(prepare(&mut documents.to_vec())?, options, |path, file| {
        let mut text = String::new();
        write_file(file, &mut |piece| {
            text.push_str(piece);
            Ok(())
        })?;
        files.insert(path, text);
        Ok(())
    })?;
    Ok(files)
}

/// [`crate_files`] written into `out` as each file is formatted, so neither
/// the documents (dropped once the model is built) nor the text of more than
/// one file are held: what keeps a large schema within bounded memory.
pub fn write_crate(
    mut documents: Vec<Document>,
    options: &CrateOptions,
    out: &mut StagedTree,
) -> Result<(), Error> {
    let prepared = prepare(&mut documents)?;
    drop(documents);
    build_crate(prepared, options, |path, file| {
        out.start(&path)?;
        write_file(file, &mut |piece| out.push(piece))
    })
}

/// One file of the generated crate before formatting: finished text, or the
/// token streams of a Rust file and its header comment.
pub enum Source {
    Text(String),
    Rust {
        header: String,
        segments: Vec<Segment>,
    },
}

/// A file as [`build_crate`] hands it over: the segments of a Rust file are
/// made only as they are formatted.
enum Lazy<'a> {
    Text(String),
    Rust {
        header: String,
        segments: Box<dyn Iterator<Item = Segment> + 'a>,
    },
}

fn write_file(
    file: Lazy<'_>,
    push: &mut dyn FnMut(&str) -> Result<(), Error>,
) -> Result<(), Error> {
    match file {
        Lazy::Text(text) => push(&text),
        Lazy::Rust { header, segments } => format_segments_into(&header, segments, push),
    }
}

/// The generated crate as token streams: [`crate_files`] without the
/// prettyplease step, so the two stages can be timed apart.
pub fn crate_sources(
    documents: &[Document],
    options: &CrateOptions,
) -> Result<BTreeMap<String, Source>, Error> {
    let mut sources = BTreeMap::new();
    build_crate(prepare(&mut documents.to_vec())?, options, |path, file| {
        let source = match file {
            Lazy::Text(text) => Source::Text(text),
            Lazy::Rust { header, segments } => Source::Rust {
                header,
                segments: segments.collect(),
            },
        };
        sources.insert(path, source);
        Ok(())
    })?;
    Ok(sources)
}

/// What the files are made from: everything [`build_crate`] needs from the
/// documents, so they can be dropped before any file is made.
struct Prepared {
    model: Model,
    samples: Vec<samples::Sample>,
}

/// Takes the sample bodies out of `documents` (see [`samples::classify`]).
fn prepare(documents: &mut [Document]) -> Result<Prepared, Error> {
    documents.iter_mut().for_each(forget_what_code_never_shows);
    let model = Model::build(documents)?;
    keep_only_the_samples(documents);
    let (samples, _) = samples::classify(documents, &model);
    Ok(Prepared { model, samples })
}

/// Clears the parts of a schema document that are provenance for a reader
/// of the YAML, not input to the code (page source, inference notes, scopes,
/// why a type was chosen, sample HTTP headers), so their memory is reused.
/// [`crate_files`] and [`write_crate`] do it themselves, so output that came
/// to depend on one of these would show in the snapshot tests; a loader may
/// do it earlier, as each document is read.
pub fn forget_what_code_never_shows(document: &mut Document) {
    document.source = None;
    document.inferred = Vec::new();
    document.scopes = Vec::new();
    for property in &mut document.properties {
        property.type_source = None;
    }
    for embedded in &mut document.embedded {
        embedded.source = String::new();
    }
    for array in &mut document.array_rels {
        array.source = String::new();
    }
    for operation in &mut document.operations {
        for field in &mut operation.request_body {
            field.type_source = None;
        }
        for example in &mut operation.examples {
            example.start_line = String::new();
            example.headers = Vec::new();
        }
    }
    for sample in document.events.iter_mut().filter_map(|e| e.sample.as_mut()) {
        sample.start_line = String::new();
        sample.headers = Vec::new();
    }
}

/// Once the model is built, the documents matter only for their samples
/// (see [`samples::classify`]); the rest is cleared so the samples reuse
/// its memory.
fn keep_only_the_samples(documents: &mut [Document]) {
    for document in documents {
        document.description = String::new();
        document.properties = Vec::new();
        document.links = Vec::new();
        document.embedded = Vec::new();
        document.array_rels = Vec::new();
        document.members = Vec::new();
        for operation in &mut document.operations {
            operation.description = String::new();
            operation.query_parameters = Vec::new();
            operation.request_body = Vec::new();
            operation.response_body = Vec::new();
            operation.errors = Vec::new();
        }
        for event in &mut document.events {
            event.resource = String::new();
            event.priority = String::new();
            event.sender = String::new();
            event.reason = String::new();
        }
    }
}

/// Items formatted a few dozen at a time: one line each, so a segment per
/// item would cost more in parsing than it saves in memory.
fn in_chunks<'a>(
    mut items: impl Iterator<Item = TokenStream> + 'a,
) -> impl Iterator<Item = Segment> + 'a {
    const ITEMS_PER_SEGMENT: usize = 64;
    std::iter::from_fn(move || {
        let chunk: TokenStream = items.by_ref().take(ITEMS_PER_SEGMENT).collect();
        (!chunk.is_empty()).then_some(Segment::MoreItems(chunk))
    })
}

fn rust_file<'a>(header: &str, segments: Box<dyn Iterator<Item = Segment> + 'a>) -> Lazy<'a> {
    Lazy::Rust {
        header: header.to_string(),
        segments,
    }
}

/// Builds every file of the crate in turn and hands it to `sink`.
fn build_crate(
    prepared: Prepared,
    options: &CrateOptions,
    mut sink: impl FnMut(String, Lazy<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let Prepared { model, samples } = prepared;
    let crate_ident = crate_ident(&options.crate_name)?;
    let rust_header = header("//", &options.provenance, &options.command);
    sink("Cargo.toml".to_string(), Lazy::Text(cargo_toml(options)))?;

    // First, so that each sample is freed as its test is written and the
    // memory is there again for the larger items of `lib.rs`.
    let tests = samples::SamplesFile {
        crate_ident: &crate_ident,
        samples,
    };
    sink(
        "tests/samples.rs".to_string(),
        rust_file(&rust_header, Box::new(tests.segments())),
    )?;

    let modules = model.resources.iter().map(|r| {
        let module = id(&r.module);
        quote!(mod #module;)
    });
    let reexports = model.resources.iter().map(reexport);
    let resources_doc = Segment::Items(quote! {
        //! One module per resource page; the types are re-exported here.
    });
    sink(
        "src/resources/mod.rs".to_string(),
        rust_file(
            &rust_header,
            Box::new(std::iter::once(resources_doc).chain(in_chunks(modules.chain(reexports)))),
        ),
    )?;
    for resource in &model.resources {
        let module = ResourceModule(resource);
        let rel = format!(" The `{}` resource.", resource.rel);
        sink(
            format!("src/resources/{}.rs", resource.module),
            rust_file(
                &rust_header,
                Box::new(std::iter::once(Segment::Items(
                    quote! { #![doc = #rel] #module },
                ))),
            ),
        )?;
    }

    let enums_doc = Segment::Items(quote! {
        //! One open enum per enumeration page. Each keeps values the docs do not list in `Other`.
    });
    let enums = model.enums.iter().map(|e| {
        let item = OpenEnum::from_page(e);
        Segment::OpenEnum(quote!(#item))
    });
    sink(
        "src/enums.rs".to_string(),
        rust_file(
            &rust_header,
            Box::new(std::iter::once(enums_doc).chain(enums)),
        ),
    )?;

    let kinds = index::resource_kinds(&model);
    let crate_doc = format!(
        " Typed UCWA 2.0 resources, generated from {}.",
        output::one_line(&options.provenance)
    );
    let attributes = Segment::Items(quote! {
        #![doc = #crate_doc]
        #![deny(warnings)]
        #![forbid(unsafe_code)]

        pub mod enums;
        pub mod resources;
    });
    let kind_enum = || {
        let item = index::kind_enum(&kinds);
        Segment::OpenEnum(quote!(#item))
    };
    let subcode_enum = || {
        let item = index::subcode_enum(&model);
        Segment::OpenEnum(quote!(#item))
    };
    let index = Index(&model);
    let lib = std::iter::once(attributes)
        .chain(std::iter::once_with(kind_enum))
        .chain(std::iter::once_with(subcode_enum))
        .chain(index.segments());
    sink(
        "src/lib.rs".to_string(),
        rust_file(&rust_header, Box::new(lib)),
    )?;
    Ok(())
}

/// Formats every Rust file with prettyplease and adds its header.
pub fn format_sources(
    sources: BTreeMap<String, Source>,
) -> Result<BTreeMap<String, String>, Error> {
    sources
        .into_iter()
        .map(|(path, source)| Ok((path, format_source(source)?)))
        .collect()
}

fn format_source(source: Source) -> Result<String, Error> {
    match source {
        Source::Text(text) => Ok(text),
        Source::Rust { header, segments } => format_segments(&header, segments),
    }
}

/// The syntax trees prettyplease formats, one per segment: the input of the
/// formatting floor in the pipeline benchmark.
pub fn syntax_trees(sources: &BTreeMap<String, Source>) -> Result<Vec<syn::File>, Error> {
    let segments = sources.values().flat_map(|source| match source {
        Source::Text(_) => [].iter(),
        Source::Rust { segments, .. } => segments.iter(),
    });
    segments.map(Segment::syntax_tree).collect()
}

/// The same API as one self-contained source file, for `include!`.
pub fn single_file(documents: &[Document], options: &CrateOptions) -> Result<String, Error> {
    let model = Model::build(documents)?;
    let modules = model.resources.iter().map(|r| {
        let module = id(&r.module);
        let rel = format!(" The `{}` resource.", r.rel);
        let body = ResourceModule(r);
        quote! {
            #[doc = #rel]
            pub mod #module { #body }
        }
    });
    let reexports = model.resources.iter().map(reexport);
    let enums = model
        .enums
        .iter()
        .map(|e| OpenEnum::from_page(e).invocation());
    let kinds = index::resource_kinds(&model);
    let kind_enum = index::kind_enum(&kinds).invocation();
    let subcode_enum = index::subcode_enum(&model).invocation();
    let index = Index(&model);
    let tokens: TokenStream = quote! {
        /// One open enum per enumeration page.
        pub mod enums { #(#enums)* }
        /// One module per resource page; the types are re-exported here.
        pub mod resources {
            #(#modules)*
            #(#reexports)*
        }
        #kind_enum
        #subcode_enum
        #index
    };
    Ok(format!(
        "{}{}",
        header("//", &options.provenance, &options.command),
        output::format_tokens(tokens)?
    ))
}

/// How many samples the generated tests exercise, reject, or cannot test.
pub fn sample_counts(documents: &[Document]) -> Result<SampleCounts, Error> {
    let model = Model::build(documents)?;
    Ok(samples::classify(&mut documents.to_vec(), &model).1)
}

fn reexport(resource: &Resource) -> TokenStream {
    let module = id(&resource.module);
    let mut types = vec![id(&resource.ident), id(&resource.links_ident)];
    types.extend(resource.embedded_ident.as_deref().map(id));
    types.extend(
        resource
            .operations
            .iter()
            .filter_map(|o| o.request.as_ref())
            .map(|r| id(&r.ident)),
    );
    quote!(pub use self::#module::{#(#types),*};)
}

fn crate_ident(crate_name: &str) -> Result<String, Error> {
    let valid = !crate_name.is_empty()
        && crate_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !crate_name.starts_with(|c: char| c.is_ascii_digit());
    let ident = crate_name.replace('-', "_");
    if valid && names::is_valid(&ident) {
        Ok(ident)
    } else {
        Err(generate_error(format!(
            "`{}` cannot be a crate name: use ASCII letters, digits, `-` and `_`, not starting with a digit",
            crate_name.escape_debug()
        )))
    }
}

fn cargo_toml(options: &CrateOptions) -> String {
    format!(
        "{}[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\nucwa-runtime = {}\n\n\
         [lints.rust]\nunsafe_code = \"forbid\"\n",
        header("#", &options.provenance, &options.command),
        options.crate_name,
        one_line_toml(&options.runtime_dependency),
    )
}

fn one_line_toml(value: &str) -> String {
    let value = output::one_line(value);
    if value.trim().is_empty() {
        "\"0.1\"".to_string()
    } else {
        value
    }
}
