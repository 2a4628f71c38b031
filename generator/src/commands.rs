//! What each CLI subcommand does, as library functions the binary, the
//! build.rs [`Builder`](crate::Builder) and the tests share. Nothing here
//! prints; callers decide how to show results.

use crate::emit::{self, CrateOptions};
use crate::error::{Error, Warning};
use crate::output::{self, Contents, FileTree, StagedTree, Target};
use crate::overrides::{Applied, Overrides};
use crate::pipeline::{self, Extraction, Skipped};
use crate::schema::Document;
use crate::workspace;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Extracts `inputs` into `out`. Pages that fail are reported in the result
/// and their earlier schema files are kept; every other page is written.
/// `force` writes into a directory ucwa-codegen does not own (see
/// [`output`]).
pub fn extract(
    inputs: &[PathBuf],
    transcripts: &[PathBuf],
    out: &Path,
    force: bool,
) -> Result<Extraction, Error> {
    let pages = pipeline::collect_pages(inputs)?;
    let transcripts = pipeline::read_transcripts(transcripts)?;
    let extraction = pipeline::extract_pages(&pages, &transcripts);
    let mut staged = StagedTree::begin(Target {
        dir: out,
        contents: Contents::Schema,
        force,
    })?;
    pipeline::write_schema_files(&extraction.documents, &mut staged)?;
    if extraction.errors.is_empty() {
        staged.commit()?;
    } else {
        staged.commit_keeping_previous()?;
    }
    Ok(extraction)
}

/// Where a run's documents come from: a schema directory and/or pages (a
/// page describing the same resource as a schema file wins), then an
/// overrides file. The CLI and the build.rs builder both load through
/// [`load`], so they cannot drift apart.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    pub schema: Option<&'a Path>,
    pub pages: &'a [PathBuf],
    /// Task pages whose HTTP transcripts are evidence for the pages' shapes
    /// (see [`crate::extract::transcripts`]); used only with `pages`.
    pub transcripts: &'a [PathBuf],
    pub overrides: Option<&'a Path>,
}

/// What [`load`] made of the sources.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Schema documents in file order, then documents of new pages by name.
    pub documents: Vec<Document>,
    pub applied: Vec<Applied>,
    pub warnings: Vec<Warning>,
    /// Pages found in a directory that are not reference pages.
    pub skipped: Vec<Skipped>,
}

/// Loads `sources`, handing each document to `trim` as it is read. Every
/// schema file and page that fails is reported at once (an
/// [`Error::Several`] when more than one), and then the overrides are not
/// applied. Every directory and file read is pushed onto `inputs` as it is
/// read, also when loading fails, for `cargo:rerun-if-changed`.
pub fn load(
    sources: &Sources<'_>,
    mut trim: impl FnMut(&mut Document),
    inputs: &mut Vec<PathBuf>,
) -> Result<Loaded, Error> {
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    if let Some(dir) = sources.schema {
        inputs.push(dir.to_path_buf());
        match pipeline::load_schema_with(dir, &mut trim) {
            Ok(documents) => {
                for (path, document) in documents {
                    inputs.push(path);
                    position.insert(document.name.clone(), loaded.documents.len());
                    loaded.documents.push(document);
                }
            }
            Err(error) => errors.extend(error.into_each()),
        }
    }
    if !sources.pages.is_empty() {
        inputs.extend(sources.pages.iter().filter(|p| p.is_dir()).cloned());
        let transcripts = match pipeline::read_transcripts(sources.transcripts) {
            Ok(transcripts) => transcripts,
            Err(error) => {
                errors.push(error);
                Default::default()
            }
        };
        inputs.extend(sources.transcripts.iter().filter(|p| p.is_dir()).cloned());
        inputs.extend(transcripts.files.iter().cloned());
        match pipeline::collect_pages(sources.pages) {
            Ok(pages) => {
                let extraction = pipeline::extract_pages(&pages, &transcripts);
                inputs.extend(extraction.pages);
                errors.extend(extraction.errors);
                loaded.warnings.extend(extraction.warnings);
                loaded.skipped.extend(extraction.skipped);
                for mut document in extraction.documents {
                    trim(&mut document);
                    match position.get(&document.name) {
                        Some(&index) => loaded.documents[index] = document,
                        None => loaded.documents.push(document),
                    }
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if let Some(file) = sources.overrides {
        inputs.push(file.to_path_buf());
        match Overrides::load(file) {
            Ok(overrides) if errors.is_empty() => {
                loaded.applied = overrides.apply(&mut loaded.documents)?;
            }
            Ok(_) => {}
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Error::several(errors))
    }
}

/// How a generated crate is described and wired.
#[derive(Debug, Clone)]
pub struct GenerateRequest<'a> {
    pub schema: &'a Path,
    pub overrides: Option<&'a Path>,
    pub out: &'a Path,
    pub crate_name: &'a str,
    /// The runtime crate; defaults to the one beside this generator.
    pub runtime: Option<&'a Path>,
    /// The command that regenerates this output, for file headers.
    pub command: String,
    /// Write into a directory ucwa-codegen does not own (see [`output`]).
    pub force: bool,
}

/// The files `generate` would write, and the overrides that applied.
pub fn crate_tree(request: &GenerateRequest<'_>) -> Result<(FileTree, Vec<Applied>), Error> {
    let (documents, applied, options) = crate_input(request)?;
    let mut files =
        emit::crate_files(&documents, &options).map_err(|e| e.naming(request.schema))?;
    files.insert("rustfmt.toml".into(), RUSTFMT_TOML.into());
    Ok((files, applied))
}

/// The documents with the overrides applied, and how the crate is described.
fn crate_input(
    request: &GenerateRequest<'_>,
) -> Result<(Vec<Document>, Vec<Applied>, CrateOptions), Error> {
    let (documents, applied) = load_documents(
        request.schema,
        request.overrides,
        emit::forget_what_code_never_shows,
    )?;
    let runtime = request
        .runtime
        .map(Path::to_path_buf)
        .unwrap_or_else(workspace::runtime_dir);
    let options = CrateOptions {
        crate_name: request.crate_name.to_string(),
        runtime_dependency: workspace::runtime_dependency(request.out, &runtime),
        // Relative inside this repository, so the committed output is the same on every machine.
        provenance: format!(
            "{} ({} documents)",
            display_relative(request.schema),
            documents.len()
        ),
        command: request.command.clone(),
    };
    Ok((documents, applied, options))
}

/// The documents of a schema directory (each handed to `trim` as it is
/// read), with the overrides file applied; and the overrides that applied.
pub fn load_documents(
    schema: &Path,
    overrides: Option<&Path>,
    trim: impl FnMut(&mut Document),
) -> Result<(Vec<Document>, Vec<Applied>), Error> {
    let sources = Sources {
        schema: Some(schema),
        overrides,
        ..Sources::default()
    };
    let loaded = load(&sources, trim, &mut Vec::new())?;
    Ok((loaded.documents, loaded.applied))
}

/// Writes the crate `crate_tree` describes, each file staged on disk as soon
/// as it is formatted; returns the overrides that applied and the file count.
fn write_crate(request: &GenerateRequest<'_>) -> Result<(Vec<Applied>, usize), Error> {
    let (documents, applied, options) = crate_input(request)?;
    let mut staged = StagedTree::begin(Target {
        dir: request.out,
        contents: Contents::Crate,
        force: request.force,
    })?;
    emit::write_crate(documents, &options, &mut staged).map_err(|e| e.naming(request.schema))?;
    staged.file("rustfmt.toml", RUSTFMT_TOML)?;
    let count = staged.commit()?;
    Ok((applied, count))
}

/// prettyplease lays the generated code out; rustfmt would lay it out
/// differently, so `cargo fmt` in a workspace holding the crate must leave it be.
const RUSTFMT_TOML: &str = "# @generated by ucwa-codegen: the code is laid out by prettyplease, not rustfmt.\ndisable_all_formatting = true\n";

/// What `check` calls stale in a crate directory beyond the files its
/// manifest lists: nothing; `target/` and `Cargo.lock` beside them are the
/// user's build state.
fn nothing_else_is_stale(_path: &Path) -> bool {
    false
}

pub fn generate(request: &GenerateRequest<'_>) -> Result<Vec<Applied>, Error> {
    Ok(write_crate(request)?.0)
}

/// A schema directory kept in step with its pages, and a crate kept in step
/// with the schema: what `cargo run` regenerates and `check` verifies.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Pages the schema is extracted from; when none exist, the schema is taken as committed.
    pub pages: Vec<PathBuf>,
    /// Task pages whose transcripts are evidence too; those that do not exist are left out.
    pub transcripts: Vec<PathBuf>,
    pub schema: PathBuf,
    pub generated: PathBuf,
    pub overrides: Option<PathBuf>,
    pub crate_name: String,
    pub command: String,
    /// Write into directories ucwa-codegen does not own (see [`output`]).
    pub force: bool,
}

impl Layout {
    /// This repository: `schema/` from all published reference pages in
    /// `../shared/ucwa`, `generated/` from `schema/`. The seed pages stay
    /// test fixtures: they are a subset of the corpus, and in rendered form.
    pub fn repository() -> Layout {
        let root = workspace::repository_root();
        Layout {
            pages: vec![workspace::corpus_dir()],
            transcripts: vec![workspace::tasks_dir()],
            schema: root.join("schema"),
            generated: root.join("generated"),
            overrides: None,
            crate_name: "ucwa".into(),
            command: "cargo run -p ucwa-codegen".into(),
            force: false,
        }
    }

    fn request(&self) -> GenerateRequest<'_> {
        GenerateRequest {
            schema: &self.schema,
            overrides: self.overrides.as_deref(),
            out: &self.generated,
            crate_name: &self.crate_name,
            runtime: None,
            command: self.command.clone(),
            force: self.force,
        }
    }

    /// Schema files from the pages, or None when no page input exists. Any
    /// page error stops the run before anything is written; all are reported.
    fn schema_from_pages(&self) -> Result<Option<(FileTree, Loaded)>, Error> {
        let present: Vec<PathBuf> = self.pages.iter().filter(|p| p.exists()).cloned().collect();
        if present.is_empty() {
            return Ok(None);
        }
        let transcripts: Vec<PathBuf> = self
            .transcripts
            .iter()
            .filter(|p| p.exists())
            .cloned()
            .collect();
        let sources = Sources {
            pages: &present,
            transcripts: &transcripts,
            ..Sources::default()
        };
        let loaded = load(&sources, |_| {}, &mut Vec::new())?;
        Ok(Some((pipeline::schema_files(&loaded.documents), loaded)))
    }

    /// Regenerates the schema (when pages exist) and the crate.
    pub fn regenerate(&self) -> Result<RegenerateOutcome, Error> {
        let mut outcome = RegenerateOutcome::default();
        if let Some((files, loaded)) = self.schema_from_pages()? {
            outcome.warnings = loaded.warnings.iter().map(ToString::to_string).collect();
            outcome.schema_documents = Some(loaded.documents.len());
            let schema = Target {
                dir: &self.schema,
                contents: Contents::Schema,
                force: self.force,
            };
            output::write_tree(schema, &files)?;
        }
        outcome.generated_files = write_crate(&self.request())?.1;
        Ok(outcome)
    }

    /// Files whose committed contents differ from what regeneration would write.
    pub fn check(&self) -> Result<Vec<PathBuf>, Error> {
        let mut stale = Vec::new();
        if let Some((files, _)) = self.schema_from_pages()? {
            stale.extend(output::differences(
                &self.schema,
                &files,
                Contents::Schema,
                pipeline::is_schema_file,
            ));
        }
        let (files, _) = crate_tree(&self.request())?;
        stale.extend(output::differences(
            &self.generated,
            &files,
            Contents::Crate,
            nothing_else_is_stale,
        ));
        Ok(stale)
    }
}

#[derive(Debug, Default)]
pub struct RegenerateOutcome {
    /// None when no pages were present and `schema/` was used as committed.
    pub schema_documents: Option<usize>,
    pub generated_files: usize,
    pub warnings: Vec<String>,
}

/// Paths shown relative to the repository, as a reviewer would type them.
pub fn display_relative(path: &Path) -> String {
    let root = workspace::absolute(&workspace::repository_root());
    let absolute = workspace::absolute(path);
    match absolute.strip_prefix(&root) {
        Ok(inside) => inside.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// Writes one file (`export-json-schema --out`) under the rules of every
/// output: recorded in the manifest of its directory, never replacing a file
/// ucwa-codegen did not write unless `force`, and not rewritten when unchanged.
pub fn write_single_file(file: &Path, contents: String, force: bool) -> Result<(), Error> {
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Refused {
            file: file.to_path_buf(),
            message: "names no file: give a file name to write".into(),
        })?;
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    write_file_into(dir, name, contents, force)
}

/// Writes the file `name` in `dir` as [`write_single_file`] does; the
/// build.rs [`Builder`](crate::Builder) writes its file through this too.
pub(crate) fn write_file_into(
    dir: &Path,
    name: String,
    contents: String,
    force: bool,
) -> Result<(), Error> {
    let target = Target {
        dir,
        contents: Contents::Files,
        force,
    };
    output::write_tree(target, &FileTree::from([(name, contents)]))?;
    Ok(())
}
