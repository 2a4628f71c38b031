//! Stage two: schema → Rust crate.
