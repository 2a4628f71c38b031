//! ucwa-codegen: UCWA 2.0 reference pages → YAML schema → typed Rust crate.
//!
//! The pipeline reads top to bottom: [`extract`] reads pages into the
//! [`schema`] model, which [`pipeline`] writes as YAML; [`overrides`] add what
//! the pages do not say; [`emit`] turns the schema into token streams and
//! formats them with prettyplease; [`output`] writes them, replacing and
//! deleting only files an earlier run wrote, so that no fault leaves a mix.

pub mod builder;
pub mod commands;
pub mod emit;
pub mod error;
pub mod extract;
mod fault;
pub mod output;
pub mod overrides;
pub mod pipeline;
pub mod report;
pub mod schema;
pub mod workspace;
mod yaml_1_1;

pub use builder::{Builder, Generated};
pub use error::{Error, Warning};
