//! Markdown pages → blocks, with pulldown-cmark.
use super::blocks::Block;

pub fn blocks(_text: &str) -> Vec<Block> {
    Vec::new()
}
