//! Rendered page text → blocks, by line shapes.
use super::blocks::Block;

pub fn blocks(_text: &str) -> Vec<Block> {
    Vec::new()
}
