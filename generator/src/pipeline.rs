//! The stages joined up: page paths → documents → schema files, and schema
//! files → documents. The CLI and the build.rs [`Builder`](crate::Builder)
//! both go through here so they cannot drift apart.

use crate::error::{Error, Warning};
use crate::extract;
use crate::output::{FileTree, StagedTree};
use crate::schema::{Document, PageFormat};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Expands files and directories into the sorted list of pages to read: a
/// directory means every `*.md` and `*.txt` directly in it.
pub fn collect_pages(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut pages = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let listing = fs::read_dir(input).map_err(|e| Error::io(input, e))?;
            let mut found = Vec::new();
            for entry in listing {
                let path = entry.map_err(|e| Error::io(input, e))?.path();
                let is_page = path.extension().is_some_and(|e| e == "md" || e == "txt");
                if is_page && path.is_file() {
                    found.push(path);
                }
            }
            found.sort();
            pages.extend(found);
        } else {
            pages.push(input.clone());
        }
    }
    Ok(pages)
}

/// Everything an extraction run produced. Errors do not stop other pages.
#[derive(Debug, Default)]
pub struct Extraction {
    /// One per resource or enumeration, sorted by name.
    pub documents: Vec<Document>,
    pub warnings: Vec<Warning>,
    pub errors: Vec<Error>,
    /// Every page that was read, for `cargo:rerun-if-changed`.
    pub pages: Vec<PathBuf>,
}

pub fn extract_pages(pages: &[PathBuf]) -> Extraction {
    let mut run = Extraction {
        pages: pages.to_vec(),
        ..Extraction::default()
    };
    let mut by_name: BTreeMap<String, (Document, PathBuf)> = BTreeMap::new();
    for path in pages {
        let extracted = fs::read(path)
            .map_err(|e| Error::io(path, e))
            .and_then(|bytes| extract::extract_page(path, &bytes));
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
    extract::resolve::across(&mut documents);
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
        let run = extract_pages(&collect_pages(&[dir.path().to_path_buf()]).unwrap());
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
