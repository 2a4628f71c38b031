//! What each CLI subcommand does, as library functions the binary and the
//! tests share. Nothing here prints; callers decide how to show results.

use crate::emit::{self, CrateOptions};
use crate::error::Error;
use crate::output::{self, FileTree};
use crate::overrides::{Applied, Overrides};
use crate::pipeline::{self, Extraction};
use crate::schema::Document;
use crate::workspace;
use std::path::{Path, PathBuf};

/// Extracts `inputs` into `out`. Pages that fail are reported in the result
/// and their earlier schema files are kept; every other page is written.
pub fn extract(inputs: &[PathBuf], out: &Path) -> Result<Extraction, Error> {
    let pages = pipeline::collect_pages(inputs)?;
    let extraction = pipeline::extract_pages(&pages);
    let files = pipeline::schema_files(&extraction.documents);
    let failed = !extraction.errors.is_empty();
    output::write_tree(out, &files, |path| !failed && pipeline::is_schema_file(path))?;
    Ok(extraction)
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
}

/// The files `generate` would write, and the overrides that applied.
pub fn crate_tree(request: &GenerateRequest<'_>) -> Result<(FileTree, Vec<Applied>), Error> {
    let mut documents: Vec<Document> = pipeline::load_schema(request.schema)?.into_iter().map(|(_, d)| d).collect();
    let applied = match request.overrides {
        Some(file) => Overrides::load(file)?.apply(&mut documents)?,
        None => Vec::new(),
    };
    let runtime = request.runtime.map(Path::to_path_buf).unwrap_or_else(workspace::runtime_dir);
    let options = CrateOptions {
        crate_name: request.crate_name.to_string(),
        runtime_dependency: workspace::runtime_dependency(request.out, &runtime),
        // Relative inside this repository, so the committed output is the same on every machine.
        provenance: format!("{} ({} documents)", display_relative(request.schema), documents.len()),
        command: request.command.clone(),
    };
    Ok((emit::crate_files(&documents, &options)?, applied))
}

/// A generated crate owns its manifest, `src/` and `tests/`; `target/` and
/// `Cargo.lock` beside them are the user's build state and are left alone.
pub fn is_crate_file(_path: &Path) -> bool {
    false
}

pub fn generate(request: &GenerateRequest<'_>) -> Result<Vec<Applied>, Error> {
    let (files, applied) = crate_tree(request)?;
    output::write_tree(request.out, &files, is_crate_file)?;
    Ok(applied)
}

/// A schema directory kept in step with its pages, and a crate kept in step
/// with the schema: what `cargo run` regenerates and `check` verifies.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Pages the schema is extracted from; when none exist, the schema is taken as committed.
    pub pages: Vec<PathBuf>,
    pub schema: PathBuf,
    pub generated: PathBuf,
    pub overrides: Option<PathBuf>,
    pub crate_name: String,
    pub command: String,
}

impl Layout {
    /// This repository: `schema/` from `../shared/seeds`, `generated/` from `schema/`.
    pub fn repository() -> Layout {
        let root = workspace::repository_root();
        Layout {
            pages: vec![workspace::seeds_dir()],
            schema: root.join("schema"),
            generated: root.join("generated"),
            overrides: None,
            crate_name: "ucwa".into(),
            command: "cargo run -p ucwa-codegen".into(),
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
        }
    }

    /// Schema files from the pages, or None when no page input exists. Any
    /// page error stops the run before anything is written.
    fn schema_from_pages(&self) -> Result<Option<(FileTree, Extraction)>, Error> {
        let present: Vec<PathBuf> = self.pages.iter().filter(|p| p.exists()).cloned().collect();
        if present.is_empty() {
            return Ok(None);
        }
        let pages = pipeline::collect_pages(&present)?;
        let mut extraction = pipeline::extract_pages(&pages);
        if !extraction.errors.is_empty() {
            return Err(extraction.errors.remove(0));
        }
        Ok(Some((pipeline::schema_files(&extraction.documents), extraction)))
    }

    /// Regenerates the schema (when pages exist) and the crate.
    pub fn regenerate(&self) -> Result<RegenerateOutcome, Error> {
        let mut outcome = RegenerateOutcome::default();
        if let Some((files, extraction)) = self.schema_from_pages()? {
            outcome.warnings = extraction.warnings.iter().map(ToString::to_string).collect();
            outcome.schema_documents = Some(extraction.documents.len());
            output::write_tree(&self.schema, &files, pipeline::is_schema_file)?;
        }
        let (files, _) = crate_tree(&self.request())?;
        outcome.generated_files = files.len();
        output::write_tree(&self.generated, &files, is_crate_file)?;
        Ok(outcome)
    }

    /// Files whose committed contents differ from what regeneration would write.
    pub fn check(&self) -> Result<Vec<PathBuf>, Error> {
        let mut stale = Vec::new();
        if let Some((files, _)) = self.schema_from_pages()? {
            stale.extend(output::differences(&self.schema, &files, pipeline::is_schema_file));
        }
        let (files, _) = crate_tree(&self.request())?;
        stale.extend(output::differences(&self.generated, &files, is_crate_file));
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
