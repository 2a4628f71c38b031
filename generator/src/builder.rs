//! The library API for `build.rs`, in the style of typify's and progenitor's
//! builders: say where the pages and/or schema are, get one Rust file in
//! `OUT_DIR` to `include!`.
//!
//! In `build.rs`, with `include!(concat!(env!("OUT_DIR"), "/ucwa.rs"));` in `src/lib.rs`:
//!
//! ```no_run
//! if let Err(error) = ucwa_codegen::Builder::new().pages("docs/ucwa").generate() {
//!     eprintln!("error: {error}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! Cargo reads a build script's stdout: this prints `cargo:rerun-if-changed`
//! for every input it read and nothing else there, so an unchanged build does
//! not rerun it. Warnings go to stderr.

use crate::emit::{self, CrateOptions};
use crate::error::{Error, Warning};
use crate::overrides::Overrides;
use crate::pipeline;
use crate::schema::Document;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Builder {
    pages: Vec<PathBuf>,
    schema: Option<PathBuf>,
    overrides: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    rerun_directives: bool,
}

/// What a successful [`Builder::generate`] wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The file to `include!`.
    pub path: PathBuf,
    pub documents: usize,
    pub warnings: Vec<Warning>,
    /// Every file that was read, in the order read.
    pub inputs: Vec<PathBuf>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            rerun_directives: true,
            ..Builder::default()
        }
    }

    /// A page file, or a directory whose `*.md` and `*.txt` files are pages. May be called several times.
    pub fn pages(mut self, path: impl Into<PathBuf>) -> Builder {
        self.pages.push(path.into());
        self
    }

    /// A schema directory of `*.yaml` files, as written by `ucwa-codegen extract`.
    /// A page describing the same resource as a schema file wins.
    pub fn schema(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.schema = Some(dir.into());
        self
    }

    /// An overrides file (see the README for its format).
    pub fn overrides(mut self, file: impl Into<PathBuf>) -> Builder {
        self.overrides = Some(file.into());
        self
    }

    /// Where to write; defaults to `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The generated file's name; defaults to `ucwa.rs`.
    pub fn file_name(mut self, name: impl Into<String>) -> Builder {
        self.file_name = Some(name.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (on by default; off for use outside build scripts).
    pub fn rerun_directives(mut self, on: bool) -> Builder {
        self.rerun_directives = on;
        self
    }

    pub fn generate(self) -> Result<Generated, Error> {
        let mut inputs = Vec::new();
        let mut warnings = Vec::new();
        let mut by_name: BTreeMap<String, Document> = BTreeMap::new();

        if let Some(dir) = &self.schema {
            inputs.push(dir.clone());
            for (path, document) in pipeline::load_schema(dir)? {
                inputs.push(path);
                by_name.insert(document.name.clone(), document);
            }
        }
        if !self.pages.is_empty() {
            inputs.extend(self.pages.iter().filter(|p| p.is_dir()).cloned());
            let pages = pipeline::collect_pages(&self.pages)?;
            let extraction = pipeline::extract_pages(&pages);
            inputs.extend(extraction.pages);
            if let Some(error) = extraction.errors.into_iter().next() {
                self.announce(&inputs);
                return Err(error);
            }
            warnings.extend(extraction.warnings);
            for document in extraction.documents {
                by_name.insert(document.name.clone(), document);
            }
        }
        let mut documents: Vec<Document> = by_name.into_values().collect();
        if let Some(file) = &self.overrides {
            inputs.push(file.clone());
            let loaded = Overrides::load(file);
            let applied = loaded.and_then(|overrides| overrides.apply(&mut documents));
            if let Err(error) = applied {
                self.announce(&inputs);
                return Err(error);
            }
        }
        self.announce(&inputs);

        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error::Generate {
                    file: PathBuf::from("OUT_DIR"),
                    message:
                        "OUT_DIR is not set: call out_dir() when not running as a build script"
                            .into(),
                })?,
        };
        let options = CrateOptions {
            crate_name: "ucwa".into(),
            runtime_dependency: String::new(),
            provenance: describe_inputs(&self.pages, self.schema.as_deref()),
            command: "ucwa_codegen::Builder in build.rs".into(),
        };
        let code = emit::single_file(&documents, &options)?;
        let path = out_dir.join(self.file_name.as_deref().unwrap_or("ucwa.rs"));
        write_if_changed(&path, &code)?;
        for warning in &warnings {
            eprintln!("{warning}");
        }
        Ok(Generated {
            path,
            documents: documents.len(),
            warnings,
            inputs,
        })
    }

    fn announce(&self, inputs: &[PathBuf]) {
        if !self.rerun_directives {
            return;
        }
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for input in inputs {
            let _ = writeln!(out, "cargo:rerun-if-changed={}", input.display());
        }
    }
}

fn describe_inputs(pages: &[PathBuf], schema: Option<&Path>) -> String {
    let mut parts: Vec<String> = pages
        .iter()
        .map(|p| format!("pages {}", p.display()))
        .collect();
    if let Some(dir) = schema {
        parts.push(format!("schema {}", dir.display()));
    }
    parts.join(", ")
}

/// Rewriting an identical file would bump its mtime and make cargo recompile
/// the crate that includes it; a temporary file plus rename keeps a reader
/// from ever seeing half a file.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<(), Error> {
    if fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    fs::write(&temporary, contents).map_err(|e| Error::io(&temporary, e))?;
    fs::rename(&temporary, path).map_err(|e| {
        let _ = fs::remove_file(&temporary);
        Error::io(path, e)
    })
}
