//! The stages joined up: page paths → documents → schema files, and schema
//! files → documents. The CLI and the build.rs [`Builder`](crate::Builder)
//! both go through here so they cannot drift apart.

use crate::error::{Error, Warning};
use crate::extract;
pub use crate::extract::transcripts::Transcripts;
use crate::output::{FileTree, StagedTree};
use crate::schema::{Document, PageFormat};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

mod select;

pub use select::{select_page, Evidence, Selected, Title, Verdict};

/// A page to read, and how it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePath {
    pub path: PathBuf,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named by the user: a page that is not a reference page is an error.
    Named,
    /// Found in a directory: a page that is not a reference page is skipped.
    Found,
}

/// Expands files and directories into the list of pages to read: a file
/// stands for itself; a directory means every `*.md` and `*.txt` file under
/// it, searched recursively (so the repository's root works as well as its
/// `Skype/UCWA/`), sorted by path. Hidden directories (`.git`) and symbolic
/// links to directories are not entered.
pub fn collect_pages(inputs: &[PathBuf]) -> Result<Vec<PagePath>, Error> {
    let mut pages = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            pages_under(input, &mut found)?;
            found.sort();
            pages.extend(found.into_iter().map(|path| PagePath {
                path,
                origin: Origin::Found,
            }));
        } else {
            pages.push(PagePath {
                path: input.clone(),
                origin: Origin::Named,
            });
        }
    }
    Ok(pages)
}

/// Reads the task pages of `inputs` as [`collect_pages`] finds them (only
/// `*.md` in a directory: transcripts are code blocks), in path order, so
/// the evidence does not depend on the order the file system lists them in.
pub fn read_transcripts(inputs: &[PathBuf]) -> Result<Transcripts, Error> {
    let mut transcripts = Transcripts::default();
    for input in inputs {
        for page in collect_pages(std::slice::from_ref(input))? {
            let markdown = page
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"));
            if page.origin == Origin::Found && !markdown {
                continue;
            }
            let bytes = fs::read(&page.path).map_err(|e| Error::io(&page.path, e))?;
            let name = extract::transcripts::shown_name(input, &page.path);
            match String::from_utf8(bytes) {
                Ok(text) => {
                    extract::transcripts::read_page(&page.path, &name, &text, &mut transcripts)
                }
                Err(_) => transcripts.warnings.push(Warning {
                    file: page.path.clone(),
                    line: 1,
                    message: "not UTF-8: this transcript is not used as evidence".into(),
                }),
            }
            transcripts.files.push(page.path);
        }
    }
    Ok(transcripts)
}

fn pages_under(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Error> {
    let listing = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if kind.is_dir() {
            if !hidden {
                pages_under(&path, found)?;
            }
        } else if is_page_file(&path) && path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

fn is_page_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("txt"))
}

/// Everything an extraction run produced. Errors do not stop other pages.
#[derive(Debug, Default)]
pub struct Extraction {
    /// One per resource or enumeration, sorted by name.
    pub documents: Vec<Document>,
    pub warnings: Vec<Warning>,
    pub errors: Vec<Error>,
    /// Pages found in a directory that are not reference pages, in the order read.
    pub skipped: Vec<Skipped>,
    /// Every page that was read, skipped ones included, for `cargo:rerun-if-changed`.
    pub pages: Vec<PathBuf>,
}

/// A page that was found in a directory and judged not to be a reference page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    /// The evidence against it, e.g. "the title `HTTP`, … and a file name without `_ref`".
    pub reason: String,
}

/// Reads the pages, keeps the reference pages (see [`Evidence`]) and
/// extracts them; one document per name, then cross-page resolution, with
/// what the `transcripts` show about the resources (their warnings join
/// the run's).
pub fn extract_pages(pages: &[PagePath], transcripts: &Transcripts) -> Extraction {
    let mut run = Extraction {
        pages: pages.iter().map(|page| page.path.clone()).collect(),
        ..Extraction::default()
    };
    let mut by_name: BTreeMap<String, (Document, PathBuf)> = BTreeMap::new();
    for page in pages {
        let path = &page.path;
        let extracted = match select_page(page) {
            Ok(Selected::Page(read)) => extract::interpret_page(path, read),
            Ok(Selected::Skipped(skipped)) => {
                run.skipped.push(skipped);
                continue;
            }
            Err(error) => Err(error),
        };
        let extracted = match extracted {
            Ok(extracted) => extracted,
            Err(error) => {
                run.errors.push(error);
                continue;
            }
        };
        run.warnings.extend(extracted.warnings);
        let document = extracted.document;
        match by_name.get(&document.name) {
            Some((kept, kept_path)) => {
                let replace = is_markdown(&document) && !is_markdown(kept);
                let formats_differ = is_markdown(&document) != is_markdown(kept);
                let (winner, loser) = if replace {
                    (path, kept_path)
                } else {
                    (kept_path, path)
                };
                run.warnings.push(Warning {
                    file: loser.clone(),
                    line: 1,
                    message: format!(
                        "`{}` is also described by {}; keeping that one{}",
                        document.name,
                        winner.display(),
                        if formats_differ {
                            " (markdown wins over rendered text)"
                        } else {
                            ""
                        }
                    ),
                });
                if replace {
                    by_name.insert(document.name.clone(), (document, path.clone()));
                }
            }
            None => {
                by_name.insert(document.name.clone(), (document, path.clone()));
            }
        }
    }
    let mut documents: Vec<Document> = by_name
        .into_values()
        .map(|(document, _)| document)
        .collect();
    extract::resolve::across(&mut documents, transcripts);
    run.warnings.extend(transcripts.warnings.iter().cloned());
    run.documents = documents;
    run
}

fn is_markdown(document: &Document) -> bool {
    document
        .source
        .as_ref()
        .is_some_and(|s| s.format == PageFormat::Markdown)
}

/// The schema directory's files: `<name>.yaml` per document. Names come from
/// pages, so they are made safe as file names first, and names that would
/// collide on a case-insensitive file system get a numbered suffix.
pub fn schema_files(documents: &[Document]) -> FileTree {
    schema_file_names(documents)
        .into_iter()
        .map(|(name, document)| (name, document.to_yaml()))
        .collect()
}

/// [`schema_files`] written into `out` one document at a time, so only one
/// document's YAML text is in memory.
pub fn write_schema_files(documents: &[Document], out: &mut StagedTree) -> Result<(), Error> {
    for (name, document) in schema_file_names(documents) {
        out.file(&name, &document.to_yaml())?;
    }
    Ok(())
}

/// Each document with its file name, sorted by document name.
fn schema_file_names(documents: &[Document]) -> Vec<(String, &Document)> {
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let mut sorted: Vec<&Document> = documents.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
        .into_iter()
        .map(|document| {
            let stem = file_stem(&document.name);
            let count = taken.entry(stem.to_lowercase()).or_insert(0);
            *count += 1;
            let name = if *count == 1 {
                format!("{stem}.yaml")
            } else {
                format!("{stem}~{count}.yaml")
            };
            (name, document)
        })
        .collect()
}

/// Keeps ASCII letters, digits, `_` and `-`; anything else (path separators,
/// dots, NUL, control and non-ASCII characters) becomes `_`.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "_".to_string()
    } else {
        stem
    }
}

pub fn is_schema_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml")
}

/// Loads every `*.yaml` in `dir`, sorted by file name.
pub fn load_schema(dir: &Path) -> Result<Vec<(PathBuf, Document)>, Error> {
    load_schema_with(dir, |_| {})
}

/// [`load_schema`], handing each document to `trim` as soon as it is read:
/// what the caller never uses is freed before the next one is read. Every
/// file that fails is reported, not only the first; two files naming the
/// same document are an error naming both.
pub fn load_schema_with(
    dir: &Path,
    mut trim: impl FnMut(&mut Document),
) -> Result<Vec<(PathBuf, Document)>, Error> {
    let listing = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in listing {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if is_schema_file(&path) && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut documents = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    let mut first_file: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        let loaded = fs::read_to_string(&path)
            .map_err(|e| Error::io(&path, e))
            .and_then(|text| Document::from_yaml(&text).map_err(|e| Error::schema_yaml(&path, &e)));
        let mut document = match loaded {
            Ok(document) => document,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        if let Some(first) = first_file.get(&document.name) {
            errors.push(Error::Schema {
                file: path,
                line: None,
                message: format!(
                    "`{}` is also the name in {}; each document needs a name of its own",
                    document.name.escape_debug(),
                    first.display()
                ),
            });
            continue;
        }
        first_file.insert(document.name.clone(), path.clone());
        trim(&mut document);
        documents.push((path, document));
    }
    if errors.is_empty() {
        Ok(documents)
    } else {
        Err(Error::several(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_never_leave_the_directory() {
        for (name, stem) in [
            ("audioVideo", "audioVideo"),
            ("../x", "___x"),
            ("/abs", "_abs"),
            ("a/b", "a_b"),
            ("nul\0", "nul_"),
            ("", "_"),
            ("héllo", "h_llo"),
        ] {
            assert_eq!(file_stem(name), stem);
        }
    }

    #[test]
    fn markdown_wins_over_rendered_text_of_the_same_resource_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let markdown = dir.path().join("b_widget_ref.md");
        let rendered = dir.path().join("a_widget.txt");
        std::fs::write(
            &markdown,
            "# widget\n\n_**Applies to:** Skype for Business 2015_\n\nA widget.\n\n### Properties\n\n|**Name**|**Description**|\n|:--|:--|\n|size|The size.|\n",
        )
        .unwrap();
        std::fs::write(
            &rendered,
            "widget\n\nApplies to: Skype for Business 2015\n\nA widget.\n\nProperties\n\nName Description\nsize The size.\n",
        )
        .unwrap();
        let run = extract_pages(
            &collect_pages(&[dir.path().to_path_buf()]).unwrap(),
            &Transcripts::default(),
        );
        assert!(run.errors.is_empty(), "{:?}", run.errors);
        assert_eq!(run.documents.len(), 1);
        let source = run.documents[0].source.as_ref().unwrap();
        assert_eq!(source.format, PageFormat::Markdown);
        let warning = run
            .warnings
            .iter()
            .find(|w| w.message.contains("also described by"))
            .unwrap();
        assert_eq!(warning.file, rendered);
        assert!(
            warning.message.contains("markdown wins"),
            "{}",
            warning.message
        );
    }

    #[test]
    fn a_directory_is_searched_recursively_and_a_named_file_stands_for_itself() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "README.md",
            "Skype/UCWA/me_ref.md",
            "Skype/UCWA/copied.TXT",
            "Skype/UCWA/images/diagram.png",
            "Skype/UCWA/error.err",
            ".git/hidden_ref.md",
            "elsewhere/named.md",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let pages = collect_pages(&[root.to_path_buf(), root.join("elsewhere/named.md")]).unwrap();
        let found = |file: &str| PagePath {
            path: root.join(file),
            origin: Origin::Found,
        };
        assert_eq!(
            pages,
            [
                found("README.md"),
                found("Skype/UCWA/copied.TXT"),
                found("Skype/UCWA/me_ref.md"),
                found("elsewhere/named.md"),
                PagePath {
                    path: root.join("elsewhere/named.md"),
                    origin: Origin::Named,
                },
            ]
        );
    }

    #[test]
    fn an_empty_page_is_skipped_unless_named_or_named_as_a_reference_page() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir(&docs).unwrap();
        for file in ["notes.md", "lamp_ref.md"] {
            std::fs::write(docs.join(file), "\n  \n").unwrap();
        }
        let named = dir.path().join("asked.md");
        std::fs::write(&named, "").unwrap();
        let run = extract_pages(
            &collect_pages(&[docs.clone(), named.clone()]).unwrap(),
            &Transcripts::default(),
        );
        let skipped: Vec<&Path> = run.skipped.iter().map(|s| s.path.as_path()).collect();
        assert_eq!(skipped, [docs.join("notes.md")]);
        let errors: Vec<String> = run.errors.iter().map(ToString::to_string).collect();
        for page in [docs.join("lamp_ref.md"), named] {
            let expected = format!(
                "{}:1: expected a UCWA reference page, found an empty file",
                page.display()
            );
            assert!(errors.contains(&expected), "{expected} in {errors:?}");
        }
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn names_differing_only_in_case_get_distinct_files() {
        let doc = |name: &str| Document {
            name: name.into(),
            ..Document::default()
        };
        let files = schema_files(&[doc("me"), doc("Me"), doc("ME")]);
        let names: Vec<_> = files.keys().cloned().collect();
        assert_eq!(names, ["ME.yaml", "Me~2.yaml", "me~3.yaml"]);
    }
}
