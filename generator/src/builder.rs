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
//!
//! The file is written like every output of ucwa-codegen (see
//! [`output`](crate::output)): it is recorded in the manifest in `OUT_DIR`,
//! a file of that name that ucwa-codegen did not write is refused rather
//! than replaced, nothing else in `OUT_DIR` is touched, and an unchanged
//! file is not rewritten, so cargo does not recompile the crate including it.

use crate::commands::{self, Sources};
use crate::emit::{self, CrateOptions};
use crate::error::{Error, Warning};
use crate::pipeline::Skipped;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Builder {
    pages: Vec<PathBuf>,
    transcripts: Vec<PathBuf>,
    schema: Option<PathBuf>,
    overrides: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    rerun_directives: bool,
    force: bool,
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
    /// Pages found in a `pages` directory that are not reference pages (concept and task pages), and why.
    pub skipped: Vec<Skipped>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            rerun_directives: true,
            ..Builder::default()
        }
    }

    /// A task page, or a directory searched recursively for `*.md` task
    /// pages, whose HTTP transcripts are evidence for the shapes of the
    /// resources read from [`pages`](Builder::pages): rels seen under
    /// `_embedded`, links with `data:` hrefs, scalar members no table lists
    /// (`etag`). Each fact records its file and line; a body that is not
    /// strict JSON is named in a warning and not used. None by default.
    /// May be called several times.
    pub fn transcripts(mut self, path: impl Into<PathBuf>) -> Builder {
        self.transcripts.push(path.into());
        self
    }

    /// A page file, or a directory searched recursively for reference pages
    /// among its `*.md` and `*.txt` files, judged as `ucwa-codegen extract`
    /// judges them: other pages found there are skipped (see
    /// [`Generated::skipped`]); a file named here that is not a reference page
    /// is an error. May be called several times.
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

    /// Replace the file even when ucwa-codegen did not write it (off by
    /// default: such a file is an error, and stays as it was).
    pub fn force(mut self, on: bool) -> Builder {
        self.force = on;
        self
    }

    pub fn generate(self) -> Result<Generated, Error> {
        let mut inputs = Vec::new();
        let sources = Sources {
            schema: self.schema.as_deref(),
            pages: &self.pages,
            transcripts: &self.transcripts,
            overrides: self.overrides.as_deref(),
        };
        let loaded = commands::load(&sources, |_| {}, &mut inputs);
        self.announce(&inputs);
        let loaded = loaded?;

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
        let read_from = self
            .schema
            .as_deref()
            .or(self.pages.first().map(PathBuf::as_path));
        let code = emit::single_file(&loaded.documents, &options)
            .map_err(|e| e.naming(read_from.unwrap_or(Path::new("(no input)"))))?;
        let file_name = self.file_name.as_deref().unwrap_or("ucwa.rs");
        commands::write_file_into(&out_dir, file_name.to_string(), code, self.force)?;
        for warning in &loaded.warnings {
            eprintln!("{warning}");
        }
        if !loaded.skipped.is_empty() {
            eprintln!(
                "{} pages skipped as not reference pages (Generated::skipped names them)",
                loaded.skipped.len()
            );
        }
        Ok(Generated {
            path: out_dir.join(file_name),
            documents: loaded.documents.len(),
            warnings: loaded.warnings,
            inputs,
            skipped: loaded.skipped,
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
