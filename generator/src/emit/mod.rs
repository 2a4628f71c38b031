//! Stage two: schema → Rust crate.
//!
//! [`model`] resolves every name and type from the schema; `resource`,
//! `index` and `samples` turn the model into token streams with quote;
//! one module tree (`crate_modules`) orders them into the crate's files or
//! the single file for `include!`; `output` formats each file with
//! prettyplease and adds the headers. The generated code leans on
//! `ucwa_runtime` for behaviour (its object reader and writer, links, XML,
//! test helpers), so what is emitted per resource is its types, their field
//! lists, one accessor per link and constant tables. [`json_schema`] writes
//! the same model as JSON Schema.

mod docs;
mod exchanges;
mod hrefs;
mod index;
mod json_schema;
pub mod model;
pub mod names;
mod output;
mod resource;
mod samples;

pub use json_schema::{json_schema, json_schema_text};
pub use samples::SampleCounts;

use crate::error::Error;
use crate::output::StagedTree;
use crate::schema::Document;
use index::{Index, OpenEnum};
use model::{generate_error, Model};
pub use output::Segment;
use output::{format_segments, format_segments_into, header};
use proc_macro2::TokenStream;
use quote::quote;
use resource::{id, ResourceModule};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

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
    build_crate(prepare(documents.to_vec())?, options, |path, file| {
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
    documents: Vec<Document>,
    options: &CrateOptions,
    out: &mut StagedTree,
) -> Result<(), Error> {
    let prepared = prepare(documents)?;
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
    build_crate(prepare(documents.to_vec())?, options, |path, file| {
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
fn prepare(mut documents: Vec<Document>) -> Result<Prepared, Error> {
    documents.iter_mut().for_each(forget_what_code_never_shows);
    let model = Model::build_releasing(&mut documents)?;
    // The resource documents were cleared as each was built; `classify`
    // drops the enumerations as it starts.
    let (samples, _) = samples::classify(documents, &model);
    Ok(Prepared { model, samples })
}

/// Clears the parts of a schema document that are provenance for a reader
/// of the YAML, not input to the code (page source, inference notes, scopes,
/// why a type was chosen, sample HTTP headers other than the `Content-Type`
/// and `Location` the sample tests send and read), so their memory is reused.
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
            example.headers.retain(|header| {
                let name = header.split(':').next().unwrap_or_default().trim();
                name.eq_ignore_ascii_case("content-type") || name.eq_ignore_ascii_case("location")
            });
        }
    }
    for sample in document.events.iter_mut().filter_map(|e| e.sample.as_mut()) {
        sample.start_line = String::new();
        sample.headers = Vec::new();
    }
}

/// Once the model is built, a document matters only for its samples (see
/// [`samples::classify`]); the rest is cleared so the samples reuse its
/// memory. [`Model::build_releasing`] does it to each resource document once
/// its resource is built.
fn keep_only_its_samples(document: &mut Document) {
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

/// One module of the generated crate, made lazily: the crate writes it as
/// its own file, the single-file output as an inline `mod`. Both are made
/// from this one tree ([`crate_modules`]), so they cannot drift apart.
struct Module<'a> {
    /// Its name in the parent; empty for the crate root.
    name: String,
    public: bool,
    /// One line of documentation.
    doc: String,
    /// Whether it declares modules of its own (a directory with `mod.rs`).
    has_children: bool,
    entries: Box<dyn Iterator<Item = Entry<'a>> + 'a>,
}

enum Entry<'a> {
    Items(Segment),
    Module(Module<'a>),
}

/// The crate's modules: the root, `enums`, `resources` and one module per resource.
fn crate_modules<'a>(model: &'a Model, provenance: &str) -> Module<'a> {
    let resources = Module {
        name: "resources".into(),
        public: true,
        doc: " One module per resource page; the types are re-exported here.".into(),
        has_children: true,
        entries: Box::new(
            model
                .resources
                .iter()
                .map(move |resource| {
                    // Private, so no module documentation: the type's is what a reader sees.
                    Entry::Module(Module {
                        name: resource.module.clone(),
                        public: false,
                        doc: String::new(),
                        has_children: false,
                        // Made only when the module is written, one module at a time.
                        entries: Box::new(std::iter::once(()).flat_map(move |()| {
                            ResourceModule { resource, model }
                                .segments()
                                .into_iter()
                                .map(Entry::Items)
                        })),
                    })
                })
                .chain(in_chunks(model.resources.iter().map(|r| {
                    let module = id(&r.module);
                    quote!(pub use #module::*;)
                }))),
        ),
    };
    let enums = Module {
        name: "enums".into(),
        public: true,
        doc: " One open enum per enumeration page. Each keeps values the docs do not list in `Other`."
            .into(),
        has_children: false,
        entries: Box::new(model.enums.iter().map(|e| {
            let item = OpenEnum::from_page(e);
            Entry::Items(Segment::OpenEnum(quote!(#item)))
        })),
    };
    let kinds = std::iter::once_with(move || {
        let kinds = index::resource_kinds(model);
        let item = index::kind_enum(&kinds);
        Entry::Items(Segment::OpenEnum(quote!(#item)))
    });
    let subcodes = std::iter::once_with(move || {
        let item = index::subcode_enum(model);
        Entry::Items(Segment::OpenEnum(quote!(#item)))
    });
    Module {
        name: String::new(),
        public: true,
        doc: format!(
            " Typed UCWA 2.0 resources, generated from {}.",
            output::one_line(provenance)
        ),
        has_children: true,
        entries: Box::new(
            [Entry::Module(enums), Entry::Module(resources)]
                .into_iter()
                .chain(kinds)
                .chain(subcodes)
                .chain(Index(model).segments().map(Entry::Items)),
        ),
    }
}

/// Hands each module of the tree to `sink` as a file of the crate, the
/// parent before its children; a module's segments are made as it is written.
fn module_files<'a>(
    module: Module<'a>,
    dir: &str,
    header: &str,
    sink: &mut impl FnMut(String, Lazy<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    let is_root = module.name.is_empty();
    let path = match (is_root, module.has_children) {
        (true, _) => format!("{dir}lib.rs"),
        (false, true) => format!("{dir}{}/mod.rs", module.name),
        (false, false) => format!("{dir}{}.rs", module.name),
    };
    let children_dir = match is_root {
        true => dir.to_string(),
        false => format!("{dir}{}/", module.name),
    };
    let doc = (!module.doc.is_empty()).then(|| {
        let doc = &module.doc;
        quote!(#![doc = #doc])
    });
    let attributes = match is_root {
        true => quote!(#doc #![forbid(unsafe_code)]),
        false => quote!(#doc),
    };
    // The segments are made as the file is formatted, one at a time; the
    // modules it declares are set aside and written after it.
    let children = Rc::new(RefCell::new(Vec::new()));
    let found = Rc::clone(&children);
    let segments = module.entries.map(move |entry| match entry {
        Entry::Items(segment) => segment,
        Entry::Module(child) => {
            let name = id(&child.name);
            let visibility = child.public.then(|| quote!(pub));
            found.borrow_mut().push(child);
            Segment::Items(quote!(#visibility mod #name;))
        }
    });
    let segments = std::iter::once(Segment::Items(attributes)).chain(segments);
    sink(path, rust_file(header, Box::new(segments)))?;
    let children = std::mem::take(&mut *children.borrow_mut());
    for child in children {
        module_files(child, &children_dir, header, sink)?;
    }
    Ok(())
}

/// Items that are one line each, a few dozen to a segment: one segment each
/// would cost more in parsing than it saves in memory.
fn in_chunks<'a>(
    mut items: impl Iterator<Item = TokenStream> + 'a,
) -> impl Iterator<Item = Entry<'a>> + 'a {
    const ITEMS_PER_SEGMENT: usize = 64;
    std::iter::from_fn(move || {
        let chunk: TokenStream = items.by_ref().take(ITEMS_PER_SEGMENT).collect();
        (!chunk.is_empty()).then_some(Entry::Items(Segment::Items(chunk)))
    })
}

/// The tree as one token stream of inline modules, for `include!`: no inner
/// attributes, since the file's content lands inside the includer's module.
fn inline_tokens(module: Module<'_>) -> TokenStream {
    module
        .entries
        .map(|entry| match entry {
            Entry::Items(segment) => segment.into_tokens(),
            Entry::Module(child) => {
                let name = id(&child.name);
                let doc = (!child.doc.is_empty()).then(|| {
                    let doc = &child.doc;
                    quote!(#[doc = #doc])
                });
                let visibility = child.public.then(|| quote!(pub));
                let content = inline_tokens(child);
                quote! {
                    #doc
                    #visibility mod #name { #content }
                }
            }
        })
        .collect()
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
    module_files(
        crate_modules(&model, &options.provenance),
        "src/",
        &rust_header,
        &mut sink,
    )
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

/// The same API as one self-contained source file, for `include!`: the
/// crate's module tree with every module inline.
pub fn single_file(documents: &[Document], options: &CrateOptions) -> Result<String, Error> {
    let model = Model::build(documents)?;
    let tokens = inline_tokens(crate_modules(&model, &options.provenance));
    format_segments(
        &header("//", &options.provenance, &options.command),
        vec![Segment::Items(tokens)],
    )
}

/// How many samples the generated tests exercise, reject, or cannot test.
pub fn sample_counts(documents: &[Document]) -> Result<SampleCounts, Error> {
    let model = Model::build(documents)?;
    Ok(samples::classify(documents.to_vec(), &model).1)
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
         [dependencies]\nserde = \"1\"\nserde_json = \"1\"\nucwa-runtime = {}\n\n\
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
