//! Shared by the extract tests: the corpus pages, and the facts a rendering
//! of a page can carry.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use ucwa_codegen::schema::Document;

/// `../shared/<dir>`, or `None` (saying so) where it is absent.
pub fn shared(dir: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(dir);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

/// Every page of `../shared/ucwa`, sorted; `None` where it is absent.
pub fn corpus_pages() -> Option<Vec<PathBuf>> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(shared("ucwa")?)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    pages.sort();
    Some(pages)
}

/// The facts a rendering can carry: everything but where the page came
/// from, what had to be inferred, and the samples (renderings may drop them).
pub fn facts(mut document: Document) -> Document {
    document.source = None;
    document.inferred.clear();
    for operation in &mut document.operations {
        operation.examples.clear();
    }
    for event in &mut document.events {
        event.sample = None;
    }
    document
}
