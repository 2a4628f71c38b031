//! Which pages are UCWA reference pages.
//!
//! Microsoft's documentation directory mixes the reference pages (one per
//! resource or enumeration) with concept and task pages, and some of those
//! have tables, `GET`/`POST` headings and HTTP samples that the extractor
//! would read as a resource. So no single clue decides. A page is judged on
//! three pieces of evidence, each read the way extraction reads the page
//! (damaged pages' lost headings recovered first):
//!
//! - its sections: a heading [`Section`] knows (Properties, Links, Events,
//!   Operations, Members, Request body, Synchronous errors, …) holding a
//!   table of one of the kinds reference pages have, or the word `None`;
//! - its title: a resource or enumeration name, alone or followed by
//!   `reference …` or `: applies to …`, not a phrase like `Query Parameters`;
//!   a page with no title heading has nothing to contradict it, so a missing
//!   title counts for the page;
//! - its file name: `*_ref.md`, in any case, as the docs name reference pages.
//!
//! Two of the three make a reference page, and only a page with its sections
//! ever becomes a document. So a reference page saved as `me.md` or copied
//! from a browser into `page.txt` is read (sections and title); a concept
//! page named `x_ref.md` is skipped (its title is a phrase and it has no
//! reference section); a concept page whose tables look like UCWA's is
//! skipped (its title is a phrase and its name lacks `_ref`); and a page named
//! and titled as a reference page without its sections is an error, since it
//! is a damaged reference page or a misnamed one and either way should not
//! vanish silently.

use super::{Origin, PagePath, Skipped};
use crate::error::Error;
use crate::extract::blocks::Block;
use crate::extract::vocabulary::{name_from_title, Section, TableKind};
use crate::extract::{self, ReadPage};
use std::fs;
use std::path::Path;

/// What became of a page before it is interpreted.
#[derive(Debug)]
pub enum Selected {
    /// A reference page, read and ready to interpret.
    Page(ReadPage),
    /// Found in a directory, and not a reference page.
    Skipped(Skipped),
}

/// Reads a page and judges it: a reference page is handed on; any other page
/// found in a directory is skipped; an error names a page that cannot be
/// read, a page the user named that is not a reference page, and a page
/// named and titled as one that lacks its sections.
pub fn select_page(page: &PagePath) -> Result<Selected, Error> {
    let path = &page.path;
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let read = extract::read_page(path, &bytes)?;
    let evidence = Evidence::of(path, &read);
    match (evidence.verdict(), page.origin) {
        (Verdict::Reference, _) => Ok(Selected::Page(read)),
        // An empty page the user asked for, or one named as a reference
        // page: extraction's "found an empty file" says it most plainly.
        (Verdict::Unsectioned, _) | (Verdict::Other, Origin::Named) if read.blank => {
            Ok(Selected::Page(read))
        }
        (Verdict::Unsectioned, _) => Err(evidence.without_sections(path)),
        (Verdict::Other, Origin::Named) => Err(evidence.not_a_reference_page(path)),
        (Verdict::Other, Origin::Found) => Ok(Selected::Skipped(Skipped {
            path: path.clone(),
            reason: evidence.against(),
        })),
    }
}

/// What a page shows of being a reference page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The file name ends in `_ref` before its extension, in any case.
    pub named_ref: bool,
    pub title: Title,
    /// The first reference section holding a table or `None`: its heading.
    pub section: Option<String>,
    /// The title's line, else 1: where an error about the page points.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Two pieces of evidence or three, the sections among them: extracted.
    Reference,
    /// Named and titled as a reference page but without its sections: a
    /// damaged reference page, or a page misnamed. Never a document; an error.
    Unsectioned,
    /// Not a reference page: skipped when found in a directory, an error when named.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Title {
    /// A resource or enumeration name (`me`, `me reference for Skype for Business 2015`).
    Name(String),
    /// Anything else (`Query Parameters`, `Send an IM`): what concept and task pages have.
    Phrase(String),
    /// No title heading at all.
    Missing,
}

impl Evidence {
    pub fn of(path: &Path, page: &ReadPage) -> Evidence {
        let title = page
            .blocks
            .iter()
            .enumerate()
            .find_map(|(at, block)| match block {
                Block::Heading {
                    level: 1,
                    text,
                    line,
                    ..
                } => Some((at, text, *line)),
                _ => None,
            });
        let (title, line, body) = match title {
            Some((at, text, line)) => (title_shape(text), line, &page.blocks[at + 1..]),
            None => (Title::Missing, 1, &page.blocks[..]),
        };
        Evidence {
            named_ref: named_ref(path),
            title,
            section: reference_section(body),
            line,
        }
    }

    /// What the evidence adds up to.
    pub fn verdict(&self) -> Verdict {
        let votes = [
            self.section.is_some(),
            !matches!(self.title, Title::Phrase(_)),
            self.named_ref,
        ];
        match (
            votes.into_iter().filter(|&vote| vote).count(),
            &self.section,
        ) {
            (0 | 1, _) => Verdict::Other,
            (_, Some(_)) => Verdict::Reference,
            (_, None) => Verdict::Unsectioned,
        }
    }

    /// The evidence that speaks against the page, `;`-separated.
    pub fn against(&self) -> String {
        let mut against = Vec::new();
        if let Title::Phrase(text) = &self.title {
            against.push(format!("title `{text}` is not a name"));
        }
        if self.section.is_none() {
            against.push(NO_SECTION.to_string());
        }
        if !self.named_ref {
            against.push("file name lacks `_ref`".to_string());
        }
        against.join("; ")
    }

    /// The error for a page named and titled as a reference page that has none of its sections.
    pub fn without_sections(&self, path: &Path) -> Error {
        Error::page(
            path,
            self.line,
            format!("expected the sections of a reference page, as its name and title promise, found {NO_SECTION}"),
        )
    }

    /// The error for a page the user named that is not a reference page.
    pub fn not_a_reference_page(&self, path: &Path) -> Error {
        Error::page(
            path,
            self.line,
            format!(
                "expected a UCWA reference page (two of: a UCWA section holding a reference table or `None`, a name for a title, a `*_ref` file name), found: {}",
                self.against()
            ),
        )
    }
}

const NO_SECTION: &str = "no UCWA section holding a reference table or `None`";

/// `me_ref.md`, `resumePhoneAudio_Ref.md`, `ME_REF.txt`.
fn named_ref(path: &Path) -> bool {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| {
            stem.len() > 4
                && stem
                    .get(stem.len() - 4..)
                    .is_some_and(|end| end.eq_ignore_ascii_case("_ref"))
        })
}

/// A name, alone or followed by `reference …`; anything after a `:` is noise.
fn title_shape(title: &str) -> Title {
    let before_colon = title.split(':').next().unwrap_or_default();
    let after_name = before_colon.split_whitespace().nth(1);
    let rest_is_noise = after_name.is_none_or(|word| word.eq_ignore_ascii_case("reference"));
    match name_from_title(title) {
        Some(name) if rest_is_noise => Title::Name(name),
        _ => Title::Phrase(title.trim().to_string()),
    }
}

/// The first heading of a UCWA section (any heading [`Section`] knows) whose
/// content, before the next heading, is a table of a reference page's kind
/// (see [`TableKind`]) or says `None`.
fn reference_section(body: &[Block]) -> Option<String> {
    body.iter().enumerate().find_map(|(at, block)| {
        let Block::Heading { text, section, .. } = block else {
            return None;
        };
        if matches!(section, Section::Other(_) | Section::Intro) {
            return None;
        }
        let mut content = body[at + 1..]
            .iter()
            .take_while(|block| !matches!(block, Block::Heading { .. }));
        let filled = content.any(|block| match block {
            Block::Table(table) => TableKind::of_table(table).is_some(),
            Block::Paragraph { text, .. } => text
                .trim()
                .trim_end_matches('.')
                .eq_ignore_ascii_case("none"),
            _ => false,
        });
        filled.then(|| text.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(file: &str, text: &str) -> Evidence {
        let path = Path::new(file);
        let read = extract::read_page(path, text.as_bytes()).expect("text");
        Evidence::of(path, &read)
    }

    const TABLE: &str = "|**Name**|**Description**|\n|:--|:--|\n|size|The size.|\n";

    #[test]
    fn the_evidence_decides_when_it_disagrees() {
        let resource = format!("# lamp\n\nA lamp.\n\n### Properties\n\n{TABLE}");
        let rendered = "Share via\n\nlamp reference\n\nApplies to: Skype for Business 2015\n\nA lamp.\n\nProperties\n\nName Description\nsize The size.\n";
        let concept_with_table =
            format!("# Paging results\n\nHow to page.\n\n## Properties\n\n{TABLE}");
        let untitled = "Applies to: Skype for Business 2015\n\nA lamp.\n\nProperties\n\nName Description\nsize The size.\n";
        let http = "# HTTP\n\nThe verbs.\n\n### GET\n\nReads.\n\n### POST\n\nWrites.\n";
        let cases = [
            // A reference page saved without `_ref`: sections and title.
            ("lamp.md", resource.as_str(), Verdict::Reference),
            // Rendered text copied from a browser, under any name.
            ("copied.txt", rendered, Verdict::Reference),
            // A damaged copy that lost its title: nothing contradicts its sections.
            ("untitled.txt", untitled, Verdict::Reference),
            // A concept page misnamed `_ref`: a phrase for a title, no sections.
            (
                "Concepts_ref.md",
                "# Key concepts\n\nSome prose.\n",
                Verdict::Other,
            ),
            // A concept page with a table shaped like a reference page's.
            ("Paging.md", concept_with_table.as_str(), Verdict::Other),
            // A one-word title and GET/POST headings are not sections.
            ("HTTP.md", http, Verdict::Other),
            // Named and titled as a reference page, without its sections.
            ("HTTP_ref.md", http, Verdict::Unsectioned),
            ("blank.md", " \n", Verdict::Other),
            ("blank_ref.md", " \n", Verdict::Unsectioned),
        ];
        for (file, text, verdict) in cases {
            assert_eq!(evidence(file, text).verdict(), verdict, "{file}");
        }
    }

    #[test]
    fn the_evidence_against_a_page_is_named() {
        let concept = evidence("Concepts_ref.md", "# Key concepts\n\nSome prose.\n");
        assert_eq!(
            concept.against(),
            "title `Key concepts` is not a name; no UCWA section holding a reference table or `None`"
        );
        let error = concept
            .not_a_reference_page(Path::new("Concepts_ref.md"))
            .to_string();
        assert!(
            error.starts_with("Concepts_ref.md:1: expected a UCWA reference page"),
            "{error}"
        );
        let http = evidence("HTTP.md", "\n\n# HTTP\n\n### GET\n\nReads.\n");
        assert_eq!(
            http.against(),
            "no UCWA section holding a reference table or `None`; file name lacks `_ref`"
        );
        assert_eq!(http.line, 3, "errors point at the title");
    }

    #[test]
    fn reference_file_names_end_in_ref_in_any_case() {
        for (name, named) in [
            ("me_ref.md", true),
            ("resumePhoneAudio_Ref.md", true),
            ("ME_REF.txt", true),
            ("dir/x_ref.md", true),
            ("_ref.md", false),
            ("me.md", false),
            ("preferences.md", false),
            ("me_ref_notes.md", false),
        ] {
            assert_eq!(named_ref(Path::new(name)), named, "{name}");
        }
    }

    #[test]
    fn titles_are_names_or_phrases() {
        let name = |n: &str| Title::Name(n.to_string());
        let phrase = |p: &str| Title::Phrase(p.to_string());
        for (title, shape) in [
            ("me", name("me")),
            (
                "unansweredCallSettings reference ",
                name("unansweredCallSettings"),
            ),
            ("user reference for Skype for Business 2015", name("user")),
            (
                "status : applies to Skype for Business 2015",
                name("status"),
            ),
            ("HTTP", name("HTTP")),
            ("Query Parameters", phrase("Query Parameters")),
            ("Operation resource", phrase("Operation resource")),
            ("Multi-Tab Support", phrase("Multi-Tab Support")),
            ("../x", phrase("../x")),
        ] {
            assert_eq!(title_shape(title), shape, "{title}");
        }
    }
}
