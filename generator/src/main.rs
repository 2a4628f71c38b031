//! The command line: a thin clap front end over the library.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use ucwa_codegen::commands::{self, display_relative, GenerateRequest, Layout};
use ucwa_codegen::report::Coverage;
use ucwa_codegen::Error;

/// Turns UCWA 2.0 reference pages into a YAML schema and a typed Rust crate.
///
/// With no subcommand, regenerates this repository's `schema/` (from the
/// published pages in `../shared/ucwa` when present) and `generated/` (from
/// `schema/`).
///
/// Every output directory gets a `.ucwa-codegen-manifest` listing the files
/// written there: a rerun replaces and deletes only those. A directory that
/// is not empty and has no manifest, or a file to write that exists and is
/// not listed, is refused unless `--force` is given.
#[derive(Debug, Parser)]
#[command(name = "ucwa-codegen", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    force: Force,
}

#[derive(Debug, Args)]
struct Force {
    /// Write even where ucwa-codegen did not write before: into a directory
    /// that is not empty and has no `.ucwa-codegen-manifest`, replacing files
    /// of the same names. Files it did not write are still never deleted.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reads reference pages (markdown or rendered text) and writes one YAML schema file per resource or enumeration.
    Extract {
        /// Page files, or directories searched recursively for reference pages among their `*.md` and `*.txt` files; other pages found there are skipped.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Directory for the `<name>.yaml` files; created if missing. Schema files of pages that failed are kept.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Task pages (files, or directories searched recursively for `*.md`) whose HTTP transcripts are evidence for the resources' shapes: embedded rels, `data:` links, members like `etag` (repeatable; each fact records the file and line).
        #[arg(long, value_name = "PATH")]
        transcripts: Vec<PathBuf>,
        /// Name each page skipped as not a reference page, and why.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        force: Force,
    },
    /// Writes a standalone Rust crate (Cargo.toml, src/, tests/) from a schema directory.
    Generate {
        /// Directory of `*.yaml` schema files, as written by `extract`.
        #[arg(long, value_name = "DIR")]
        schema: PathBuf,
        /// Directory of the crate to write; created if missing. Only files ucwa-codegen wrote there are replaced or deleted.
        #[arg(long, value_name = "CRATE_DIR")]
        out: PathBuf,
        /// Package name of the generated crate.
        #[arg(long, value_name = "NAME", default_value = "ucwa")]
        crate_name: String,
        #[command(flatten)]
        common: GenerateFlags,
    },
    /// Exits non-zero and names the files that differ when the schema or generated crate is stale.
    Check {
        #[command(flatten)]
        layout: LayoutFlags,
    },
    /// Writes the resources as JSON Schema (draft-07) for other ecosystems' generators (typify, quicktype).
    ExportJsonSchema {
        /// Directory of `*.yaml` schema files; defaults to this repository's `schema/`.
        #[arg(long, value_name = "DIR")]
        schema: Option<PathBuf>,
        /// Overrides file to apply first.
        #[arg(long, value_name = "FILE")]
        overrides: Option<PathBuf>,
        /// File to write; standard output when absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        force: Force,
    },
    /// Prints what a schema covers: resources, enumerations, typed properties, link targets, events, operations, errors, samples.
    Report {
        /// Directory of `*.yaml` schema files; defaults to this repository's `schema/`.
        #[arg(long, value_name = "DIR")]
        schema: Option<PathBuf>,
        /// Overrides file to apply; the report lists which overrides applied.
        #[arg(long, value_name = "FILE")]
        overrides: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct GenerateFlags {
    /// Overrides file (YAML) applied to the schema before generation.
    #[arg(long, value_name = "FILE")]
    overrides: Option<PathBuf>,
    /// The `ucwa-runtime` crate the generated crate depends on; defaults to the one in this repository.
    #[arg(long, value_name = "DIR")]
    runtime: Option<PathBuf>,
    #[command(flatten)]
    force: Force,
}

#[derive(Debug, Args)]
struct LayoutFlags {
    /// Pages the schema is extracted from (repeatable); defaults to `../shared/ucwa`. Skipped when absent.
    #[arg(long, value_name = "PATH")]
    pages: Vec<PathBuf>,
    /// Task pages whose transcripts are evidence too (repeatable); defaults to `../shared/ucwa-tasks`. Skipped when absent.
    #[arg(long, value_name = "PATH")]
    transcripts: Vec<PathBuf>,
    /// Schema directory to compare; defaults to this repository's `schema/`.
    #[arg(long, value_name = "DIR")]
    schema: Option<PathBuf>,
    /// Generated crate to compare; defaults to this repository's `generated/`.
    #[arg(long, value_name = "CRATE_DIR")]
    generated: Option<PathBuf>,
    /// Overrides file applied before generation.
    #[arg(long, value_name = "FILE")]
    overrides: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, cli.force.force) {
        Ok(code) => code,
        Err(error) => {
            for error in error.each() {
                eprintln!("error: {error}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(command: Option<Command>, force: bool) -> Result<ExitCode, Error> {
    match command {
        None => {
            let layout = Layout {
                force,
                ..Layout::repository()
            };
            let outcome = layout.regenerate()?;
            for warning in &outcome.warnings {
                eprintln!("{warning}");
            }
            match outcome.schema_documents {
                Some(count) => println!("schema/: {count} documents"),
                None => println!("schema/: pages not found, used as committed"),
            }
            println!("generated/: {} files", outcome.generated_files);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Extract {
            paths,
            out,
            transcripts,
            verbose,
            force: force_here,
        }) => {
            let extraction =
                commands::extract(&paths, &transcripts, &out, force || force_here.force)?;
            for warning in &extraction.warnings {
                eprintln!("{warning}");
            }
            for error in &extraction.errors {
                eprintln!("error: {error}");
            }
            if verbose {
                for skipped in &extraction.skipped {
                    println!("skipped {}: {}", skipped.path.display(), skipped.reason);
                }
            }
            let skipped = match (extraction.skipped.len(), verbose) {
                (0, _) => String::new(),
                (count, true) => format!(", {count} skipped as not reference pages (listed above)"),
                (count, false) => format!(
                    ", {count} skipped as not reference pages (`extract --verbose` names them)"
                ),
            };
            println!(
                "{} pages read, {} documents written to {}{skipped}, {} failed",
                extraction.pages.len(),
                extraction.documents.len(),
                out.display(),
                extraction.errors.len()
            );
            Ok(if extraction.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Generate {
            schema,
            out,
            crate_name,
            common,
        }) => {
            let command = format!(
                "ucwa-codegen generate --schema {} --out {}",
                schema.display(),
                out.display()
            );
            let request = GenerateRequest {
                schema: &schema,
                overrides: common.overrides.as_deref(),
                out: &out,
                crate_name: &crate_name,
                runtime: common.runtime.as_deref(),
                command,
                force: force || common.force.force,
            };
            let applied = commands::generate(&request)?;
            for applied in applied {
                println!("override {applied}");
            }
            println!("crate written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Check { layout }) => {
            let mut checked = Layout::repository();
            if !layout.pages.is_empty() {
                checked.pages = layout.pages;
            }
            if !layout.transcripts.is_empty() {
                checked.transcripts = layout.transcripts;
            }
            checked.schema = layout.schema.unwrap_or(checked.schema);
            checked.generated = layout.generated.unwrap_or(checked.generated);
            checked.overrides = layout.overrides;
            let stale = checked.check()?;
            if stale.is_empty() {
                println!("up to date");
                return Ok(ExitCode::SUCCESS);
            }
            eprintln!("stale: regenerate with `cargo run -p ucwa-codegen`; these files differ:");
            for path in stale {
                eprintln!("  {}", display_relative(&path));
            }
            Ok(ExitCode::FAILURE)
        }
        Some(Command::ExportJsonSchema {
            schema,
            overrides,
            out,
            force: force_here,
        }) => {
            let schema = schema.unwrap_or_else(|| Layout::repository().schema);
            let (documents, _) = commands::load_documents(&schema, overrides.as_deref(), |_| {})?;
            let text = ucwa_codegen::emit::json_schema_text(&documents)?;
            match out {
                Some(file) => commands::write_single_file(&file, text, force || force_here.force)?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Report { schema, overrides }) => {
            let schema = schema.unwrap_or_else(|| Layout::repository().schema);
            let (documents, applied) =
                commands::load_documents(&schema, overrides.as_deref(), |_| {})?;
            print!("{}", Coverage::of(&documents, applied));
            Ok(ExitCode::SUCCESS)
        }
    }
}
