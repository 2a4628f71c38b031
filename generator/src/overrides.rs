//! Hand-written corrections for what the pages do not say.
//!
//! The schema stays faithful to the pages; overrides live in their own file
//! and are applied in memory just before generation, so re-extracting the
//! pages never loses them. An override that names nothing is an error: a
//! silent no-op would hide a typo or a page that changed underneath it.
//!
//! ```yaml
//! - resource: audioVideo
//!   property: state
//!   type: enum CallState
//! - resource: audioVideo
//!   link: conversation
//!   target: conversation
//! - resource: audioVideo
//!   property: supportsReplaces
//!   rename: supportsReplace
//! - resource: audioVideo
//!   link: audioVideoPolicies
//!   description: The audio/video policies that may apply to UCWA clients.
//! - resource: conversation
//!   embedded: participant
//!   target: participant
//!   array: true
//! ```

use crate::error::Error;
use crate::schema::{ArrayRel, Document, Embedded, Kind, TypeRef};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The resource or enumeration the override is about.
    pub resource: String,
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    /// The property's type, e.g. `enum CallState` or `array of string`.
    #[serde(default, rename = "type")]
    pub ty: Option<TypeRef>,
    /// A link's target resource.
    #[serde(default)]
    pub target: Option<String>,
    /// A new wire name for a property or link rel (the docs name it wrongly),
    /// or a new name for the resource itself.
    #[serde(default)]
    pub rename: Option<String>,
    /// A rel under `_embedded`: added when the samples do not show it.
    #[serde(default)]
    pub embedded: Option<String>,
    /// With `link` or `embedded`: whether the rel comes as an array.
    #[serde(default)]
    pub array: Option<bool>,
    /// A corrected description of the property, link or (alone) the resource.
    #[serde(default)]
    pub description: Option<String>,
}

/// A parsed overrides file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub file: PathBuf,
    entries: Vec<(usize, Override)>,
}

/// One override that took effect, for `report`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl Overrides {
    pub fn load(path: &Path) -> Result<Overrides, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Overrides::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Overrides, Error> {
        let entries: Vec<Override> = if text.trim().is_empty() {
            Vec::new()
        } else {
            serde_yaml::from_str(text).map_err(|e| Error::Override {
                file: path.to_path_buf(),
                line: e.location().map(|l| l.line()),
                message: format!("expected a list of overrides ({e})"),
            })?
        };
        let lines = item_lines(text);
        let entries = entries
            .into_iter()
            .enumerate()
            .map(|(i, o)| (lines.get(i).copied().unwrap_or(1), o))
            .collect();
        Ok(Overrides {
            file: path.to_path_buf(),
            entries,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Applies every override to `documents`, or fails on the first one that
    /// names something the schema does not have.
    pub fn apply(&self, documents: &mut [Document]) -> Result<Vec<Applied>, Error> {
        let mut applied = Vec::new();
        for (line, entry) in &self.entries {
            let what = apply_one(entry, documents).map_err(|message| Error::Override {
                file: self.file.clone(),
                line: Some(*line),
                message,
            })?;
            applied.push(Applied { line: *line, what });
        }
        Ok(applied)
    }
}

/// Line of each top-level `- ` list item, so errors can point at the entry.
fn item_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("- ") || *line == "-")
        .map(|(i, _)| i + 1)
        .collect()
}

fn apply_one(entry: &Override, documents: &mut [Document]) -> Result<String, String> {
    let has = |kind: Kind, name: &str| documents.iter().any(|d| d.kind == kind && d.name == name);
    if let Some(target) = &entry.target {
        if !has(Kind::Resource, target) {
            return Err(format!("target `{target}` is not a resource in the schema"));
        }
    }
    if let Some(TypeRef::Enum(name)) = entry.ty.as_ref().map(innermost) {
        if !has(Kind::Enumeration, name) {
            return Err(format!(
                "type names enumeration `{name}`, which is not in the schema"
            ));
        }
    }
    let document = documents
        .iter_mut()
        .find(|d| d.name == entry.resource)
        .ok_or_else(|| {
            format!(
                "expected a resource or enumeration named `{}`; the schema has none",
                entry.resource
            )
        })?;
    let mut said = Vec::new();
    let subject = match (&entry.property, &entry.link, &entry.embedded) {
        (Some(name), None, None) => {
            if entry.target.is_some() || entry.array.is_some() {
                return Err("`target` and `array` apply to links and embedded rels; use `type` for a property".into());
            }
            let property = document
                .properties
                .iter_mut()
                .find(|p| &p.name == name)
                .ok_or_else(|| {
                    format!(
                        "expected a property `{name}` on `{}`; it has none",
                        entry.resource
                    )
                })?;
            if let Some(ty) = &entry.ty {
                property.ty = Some(ty.clone());
                property.type_source = Some("override".into());
                said.push(format!("type {ty}"));
            }
            describe(&mut property.description, entry, &mut said);
            rename(&mut property.name, entry, &mut said);
            format!("{}.{name}", entry.resource)
        }
        (None, Some(rel), None) => {
            if entry.ty.is_some() {
                return Err("`type` applies to properties; use `target` for a link".into());
            }
            let link = document
                .links
                .iter_mut()
                .find(|l| &l.rel == rel)
                .ok_or_else(|| {
                    format!(
                        "expected a link `{rel}` on `{}`; it has none",
                        entry.resource
                    )
                })?;
            if let Some(target) = &entry.target {
                link.target = Some(target.clone());
                said.push(format!("target {target}"));
            }
            describe(&mut link.description, entry, &mut said);
            rename(&mut link.rel, entry, &mut said);
            let rel = link.rel.clone();
            set_array(document, &rel, entry.array, &mut said);
            format!("{} link {rel}", entry.resource)
        }
        (None, None, Some(rel)) => {
            if entry.ty.is_some() || entry.rename.is_some() || entry.description.is_some() {
                return Err("an embedded rel takes `target` and `array` only".into());
            }
            if let Some(target) = &entry.target {
                match document.embedded.iter_mut().find(|e| &e.rel == rel) {
                    Some(embedded) => embedded.target = Some(target.clone()),
                    None => document.embedded.push(Embedded {
                        rel: rel.clone(),
                        target: Some(target.clone()),
                        source: "override".into(),
                    }),
                }
                said.push(format!("target {target}"));
            } else if !document.embedded.iter().any(|e| &e.rel == rel) {
                return Err(format!(
                    "expected an embedded rel `{rel}` on `{}`; it has none (give a `target` to add one)",
                    entry.resource
                ));
            }
            set_array(document, rel, entry.array, &mut said);
            format!("{} embedded {rel}", entry.resource)
        }
        (None, None, None) => {
            if entry.ty.is_some() || entry.target.is_some() || entry.array.is_some() {
                return Err(
                    "`type` needs a `property`; `target` and `array` need a `link` or `embedded`"
                        .into(),
                );
            }
            describe(&mut document.description, entry, &mut said);
            rename(&mut document.name, entry, &mut said);
            entry.resource.clone()
        }
        _ => {
            return Err(
                "an override names one of `property`, `link` and `embedded`, not several".into(),
            )
        }
    };
    nothing_said(&said)?;
    Ok(format!("{subject}: {}", said.join(", ")))
}

fn describe(description: &mut String, entry: &Override, said: &mut Vec<String>) {
    if let Some(text) = &entry.description {
        description.clone_from(text);
        said.push("description corrected".into());
    }
}

fn rename(name: &mut String, entry: &Override, said: &mut Vec<String>) {
    if let Some(new) = &entry.rename {
        name.clone_from(new);
        said.push(format!("renamed to {new}"));
    }
}

/// Records (or removes) `rel` as a rel that comes as an array.
fn set_array(document: &mut Document, rel: &str, array: Option<bool>, said: &mut Vec<String>) {
    let Some(array) = array else { return };
    document.array_rels.retain(|a| a.rel != rel);
    if array {
        document.array_rels.push(ArrayRel {
            rel: rel.to_string(),
            source: "override".into(),
        });
    }
    said.push(format!("array {array}"));
}

fn nothing_said(said: &[String]) -> Result<(), String> {
    if said.is_empty() {
        Err("the override says nothing to change (expected `type`, `target`, `array`, `description` or `rename`)".into())
    } else {
        Ok(())
    }
}

fn innermost(ty: &TypeRef) -> &TypeRef {
    match ty {
        TypeRef::Array(item) => innermost(item),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Link, Property};

    fn schema() -> Vec<Document> {
        vec![
            Document {
                name: "audioVideo".into(),
                properties: vec![Property {
                    name: "state".into(),
                    ..Property::default()
                }],
                links: vec![Link {
                    rel: "conversation".into(),
                    ..Link::default()
                }],
                ..Document::default()
            },
            Document {
                name: "conversation".into(),
                ..Document::default()
            },
            Document {
                name: "CallState".into(),
                kind: Kind::Enumeration,
                ..Document::default()
            },
        ]
    }

    #[test]
    fn overrides_set_types_targets_and_names() {
        let text = "- resource: audioVideo\n  property: state\n  type: enum CallState\n- resource: audioVideo\n  link: conversation\n  target: conversation\n";
        let overrides = Overrides::parse(Path::new("o.yaml"), text).unwrap();
        let mut documents = schema();
        let applied = overrides.apply(&mut documents).unwrap();
        assert_eq!(applied.len(), 2);
        assert_eq!(applied[1].line, 4);
        assert_eq!(
            documents[0].properties[0].ty,
            Some(TypeRef::Enum("CallState".into()))
        );
        assert_eq!(
            documents[0].links[0].target.as_deref(),
            Some("conversation")
        );
    }

    #[test]
    fn an_override_that_names_nothing_is_an_error_with_its_line() {
        for (text, expected) in [
            (
                "- resource: audioVideo\n  property: stat\n  type: string\n",
                "property `stat`",
            ),
            ("- resource: nothing\n  rename: x\n", "named `nothing`"),
            (
                "- resource: audioVideo\n  link: conversation\n  target: nowhere\n",
                "`nowhere`",
            ),
            (
                "- resource: audioVideo\n  property: state\n  type: enum Missing\n",
                "`Missing`",
            ),
            (
                "- resource: audioVideo\n  property: state\n",
                "nothing to change",
            ),
        ] {
            let overrides = Overrides::parse(Path::new("o.yaml"), text).unwrap();
            let error = overrides.apply(&mut schema()).unwrap_err();
            assert_eq!(error.line(), Some(1), "{text}");
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn overrides_correct_descriptions_and_add_embedded_and_array_rels() {
        let text = "\
- resource: audioVideo
  description: The audio/video modality.
- resource: audioVideo
  link: conversation
  description: The conversation it belongs to.
  array: true
- resource: audioVideo
  property: state
  description: The state of the modality.
- resource: audioVideo
  embedded: conversation
  target: conversation
- resource: audioVideo
  link: conversation
  array: false
";
        let overrides = Overrides::parse(Path::new("o.yaml"), text).unwrap();
        let mut documents = schema();
        let applied = overrides.apply(&mut documents).unwrap();
        let said: Vec<String> = applied.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "line 1: audioVideo: description corrected",
                "line 3: audioVideo link conversation: description corrected, array true",
                "line 7: audioVideo.state: description corrected",
                "line 10: audioVideo embedded conversation: target conversation",
                "line 13: audioVideo link conversation: array false",
            ]
        );
        let page = &documents[0];
        assert_eq!(page.description, "The audio/video modality.");
        assert_eq!(page.links[0].description, "The conversation it belongs to.");
        assert_eq!(page.properties[0].description, "The state of the modality.");
        assert_eq!(page.embedded[0].target.as_deref(), Some("conversation"));
        assert_eq!(page.embedded[0].source, "override");
        assert!(page.array_rels.is_empty(), "{:?}", page.array_rels);
    }

    #[test]
    fn embedded_and_array_overrides_that_make_no_sense_are_errors() {
        for (text, expected) in [
            (
                "- resource: audioVideo\n  embedded: nothing\n  array: true\n",
                "give a `target`",
            ),
            (
                "- resource: audioVideo\n  embedded: x\n  target: nowhere\n",
                "`nowhere`",
            ),
            (
                "- resource: audioVideo\n  property: state\n  array: true\n",
                "`array`",
            ),
            ("- resource: audioVideo\n  array: true\n", "`array` need"),
            (
                "- resource: audioVideo\n  link: conversation\n  embedded: x\n",
                "not several",
            ),
            (
                "- resource: audioVideo\n  embedded: x\n  target: conversation\n  description: d\n",
                "`target` and `array` only",
            ),
        ] {
            let overrides = Overrides::parse(Path::new("o.yaml"), text).unwrap();
            let error = overrides.apply(&mut schema()).unwrap_err();
            assert!(error.to_string().contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn malformed_files_report_the_line() {
        let error =
            Overrides::parse(Path::new("o.yaml"), "- resource: a\n  colour: red\n").unwrap_err();
        assert_eq!(error.line(), Some(2));
    }
}
