//! Stage two: schema → Rust crate.

pub mod names;
