//! Blocks → schema document.
use super::blocks::Block;
use super::Extracted;
use crate::error::Error;
use crate::schema::PageFormat;
use std::path::Path;

pub fn document(path: &Path, _format: PageFormat, _blocks: &[Block], _inferred: Vec<String>) -> Result<Extracted, Error> {
    Err(Error::page(path, 1, "not implemented"))
}
