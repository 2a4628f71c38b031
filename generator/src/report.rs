//! What a schema covers, in figures: the `report` subcommand.

use crate::overrides::Applied;
use crate::schema::{Document, Kind};
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub resources: usize,
    pub enumerations: usize,
    pub members: usize,
    pub properties_typed: usize,
    pub properties_untyped: usize,
    pub links_known_target: usize,
    pub links_unknown_target: usize,
    pub events: usize,
    pub operations: usize,
    pub request_body_fields: usize,
    pub errors: usize,
    pub samples_valid: usize,
    pub samples_damaged: usize,
    pub inferred_facts: usize,
    pub overrides: Vec<Applied>,
}

impl Coverage {
    pub fn of(documents: &[Document], overrides: Vec<Applied>) -> Coverage {
        let resources: BTreeSet<&str> = documents
            .iter()
            .filter(|d| d.kind == Kind::Resource)
            .map(|d| d.name.as_str())
            .collect();
        let mut coverage = Coverage {
            overrides,
            ..Coverage::default()
        };
        for document in documents {
            match document.kind {
                Kind::Resource => coverage.resources += 1,
                Kind::Enumeration => coverage.enumerations += 1,
            }
            coverage.members += document.members.len();
            coverage.inferred_facts += document.inferred.len();
            for property in &document.properties {
                if property.ty.is_some() {
                    coverage.properties_typed += 1;
                } else {
                    coverage.properties_untyped += 1;
                }
            }
            for link in &document.links {
                let target = link.target.as_deref().unwrap_or(&link.rel);
                if resources.contains(target) {
                    coverage.links_known_target += 1;
                } else {
                    coverage.links_unknown_target += 1;
                }
            }
            coverage.events += document.events.len();
            let samples = document
                .events
                .iter()
                .filter_map(|e| e.sample.as_ref())
                .chain(document.operations.iter().flat_map(|o| &o.examples))
                .filter(|s| !s.body.trim().is_empty());
            for sample in samples {
                if sample.valid {
                    coverage.samples_valid += 1;
                } else {
                    coverage.samples_damaged += 1;
                }
            }
            for operation in &document.operations {
                coverage.operations += 1;
                coverage.request_body_fields += operation.request_body.len();
                coverage.errors += operation.errors.len();
            }
        }
        coverage
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = [
            ("resources", self.resources),
            ("enumerations", self.enumerations),
            ("enumeration members", self.members),
            ("properties typed", self.properties_typed),
            ("properties untyped", self.properties_untyped),
            ("links with a known target", self.links_known_target),
            ("links with an unknown target", self.links_unknown_target),
            ("events", self.events),
            ("operations", self.operations),
            ("request body fields", self.request_body_fields),
            ("synchronous errors", self.errors),
            ("samples valid", self.samples_valid),
            ("samples damaged", self.samples_damaged),
            ("facts inferred", self.inferred_facts),
        ];
        for (label, count) in rows {
            writeln!(f, "{label:<30}{count:>6}")?;
        }
        if self.overrides.is_empty() {
            writeln!(f, "overrides applied                  none")?;
        } else {
            writeln!(f, "overrides applied{:>19}", self.overrides.len())?;
            for applied in &self.overrides {
                writeln!(f, "  {applied}")?;
            }
        }
        Ok(())
    }
}
