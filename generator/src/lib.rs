//! ucwa-codegen: UCWA 2.0 reference pages → YAML schema → typed Rust crate.
//!
//! The pipeline reads top to bottom: [`extract`] reads pages into the
//! [`schema`] model, which is written as YAML; [`emit`] turns a schema into
//! token streams, formats them with prettyplease and [`output`] writes them
//! atomically. [`Builder`] drives it from a `build.rs`.

pub mod emit;
pub mod error;
pub mod extract;
pub mod output;
pub mod schema;

pub use error::{Error, Warning};
