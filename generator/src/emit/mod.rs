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
use crate::schema::Document;
use index::{Index, OpenEnum};
use model::{generate_error, Model, Resource};
pub use output::Segment;
use output::{format_segments, header};
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
    // Each file is formatted as soon as it is built, so only one file's token
    // streams are alive at a time.
    build_crate(documents, options, |path, source| {
        files.insert(path, format_source(source)?);
        Ok(())
    })?;
    Ok(files)
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

/// The generated crate as token streams: [`crate_files`] without the
/// prettyplease step, so the two stages can be timed apart.
pub fn crate_sources(
    documents: &[Document],
    options: &CrateOptions,
) -> Result<BTreeMap<String, Source>, Error> {
    let mut sources = BTreeMap::new();
    build_crate(documents, options, |path, source| {
        sources.insert(path, source);
        Ok(())
    })?;
    Ok(sources)
}

/// Builds every file of the crate in turn and hands it to `sink`.
fn build_crate(
    documents: &[Document],
    options: &CrateOptions,
    mut sink: impl FnMut(String, Source) -> Result<(), Error>,
) -> Result<(), Error> {
    let model = Model::build(documents)?;
    let crate_ident = crate_ident(&options.crate_name)?;
    let rust_header = header("//", &options.provenance, &options.command);
    sink("Cargo.toml".to_string(), Source::Text(cargo_toml(options)))?;

    let modules = model.resources.iter().map(|r| {
        let module = id(&r.module);
        quote!(mod #module;)
    });
    let reexports = model.resources.iter().map(reexport);
    sink(
        "src/resources/mod.rs".to_string(),
        Source::Rust {
            header: rust_header.clone(),
            segments: vec![Segment::Items(quote! {
                //! One module per resource page; the types are re-exported here.
                #(#modules)*
                #(#reexports)*
            })],
        },
    )?;
    for resource in &model.resources {
        let module = ResourceModule(resource);
        let rel = format!(" The `{}` resource.", resource.rel);
        sink(
            format!("src/resources/{}.rs", resource.module),
            Source::Rust {
                header: rust_header.clone(),
                segments: vec![Segment::Items(quote! { #![doc = #rel] #module })],
            },
        )?;
    }

    let mut enum_segments = vec![Segment::Items(quote! {
        //! One open enum per enumeration page. Each keeps values the docs do not list in `Other`.
    })];
    enum_segments.extend(model.enums.iter().map(|e| {
        let item = OpenEnum::from_page(e);
        Segment::OpenEnum(quote!(#item))
    }));
    sink(
        "src/enums.rs".to_string(),
        Source::Rust {
            header: rust_header.clone(),
            segments: enum_segments,
        },
    )?;

    let kinds = index::resource_kinds(&model);
    let (kind_enum, subcode_enum, index) = (
        index::kind_enum(&kinds),
        index::subcode_enum(&model),
        Index(&model),
    );
    let crate_doc = format!(
        " Typed UCWA 2.0 resources, generated from {}.",
        output::one_line(&options.provenance)
    );
    let lib = vec![
        Segment::Items(quote! {
            #![doc = #crate_doc]
            #![deny(warnings)]
            #![forbid(unsafe_code)]

            pub mod enums;
            pub mod resources;
        }),
        Segment::OpenEnum(quote!(#kind_enum)),
        Segment::OpenEnum(quote!(#subcode_enum)),
        Segment::Items(quote!(#index)),
    ];
    sink(
        "src/lib.rs".to_string(),
        Source::Rust {
            header: rust_header.clone(),
            segments: lib,
        },
    )?;

    let (samples, _) = samples::classify(documents, &model);
    let tests = samples::SamplesFile {
        crate_ident: &crate_ident,
        samples: &samples,
    };
    sink(
        "tests/samples.rs".to_string(),
        Source::Rust {
            header: rust_header.clone(),
            segments: vec![Segment::Items(quote!(#tests))],
        },
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
    Ok(samples::classify(documents, &model).1)
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
