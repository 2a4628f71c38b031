//! Facts that need the whole set of pages: which rels name resources, and
//! which words in a description name enumerations. Applied after every page
//! is extracted; the result depends only on the documents, not their order.

use super::shapes;
use super::transcripts::Transcripts;
use super::types::enum_named_in;
use crate::schema::{Document, Kind, TypeRef};
use std::collections::{BTreeMap, BTreeSet};

pub fn across(documents: &mut [Document], transcripts: &Transcripts) {
    let resources = ResourceNames::of(documents);
    let enumerations: BTreeSet<String> = documents
        .iter()
        .filter(|document| document.kind == Kind::Enumeration)
        .map(|document| document.name.clone())
        .collect();

    for document in documents.iter_mut() {
        for link in document
            .links
            .iter_mut()
            .filter(|link| link.target.is_none())
        {
            link.target = resources.named(&link.rel);
        }
        for property in document
            .properties
            .iter_mut()
            .filter(|property| property.ty.is_none())
        {
            if let Some(name) = enumeration_in(&property.description, &enumerations) {
                property.type_source = Some(format!("description names enumeration {name}"));
                property.ty = Some(TypeRef::Enum(name));
            }
        }
        // After the enumeration names: a list in a sample is weaker evidence.
        let name = document.name.clone();
        let observed: Vec<(&serde_json::Value, &str)> = transcripts
            .bodies_of(|rel| resources.named(rel), &name)
            .collect();
        shapes::from_samples(document, &observed);
        for embedded in document.embedded.iter_mut() {
            embedded.target = resources.named(&embedded.rel);
        }
    }
}

/// The resource a rel names: the one with exactly that name, else the one
/// name equal to it without case; none when several names fold to it, rather
/// than a guess that depends on which was seen first.
struct ResourceNames {
    exact: BTreeSet<String>,
    folded: BTreeMap<String, Option<String>>,
}

impl ResourceNames {
    fn of(documents: &[Document]) -> ResourceNames {
        let mut names = ResourceNames {
            exact: BTreeSet::new(),
            folded: BTreeMap::new(),
        };
        for document in documents.iter().filter(|d| d.kind == Kind::Resource) {
            names.exact.insert(document.name.clone());
            names
                .folded
                .entry(document.name.to_ascii_lowercase())
                .and_modify(|unique| *unique = None)
                .or_insert_with(|| Some(document.name.clone()));
        }
        names
    }

    fn named(&self, rel: &str) -> Option<String> {
        if self.exact.contains(rel) {
            return Some(rel.to_string());
        }
        self.folded
            .get(&rel.to_ascii_lowercase())
            .cloned()
            .flatten()
    }
}

/// A parenthesised enumeration name first, else any word that is the name of
/// an enumeration page in the set.
fn enumeration_in(description: &str, enumerations: &BTreeSet<String>) -> Option<String> {
    if let Some(name) = enum_named_in(description).filter(|name| enumerations.contains(name)) {
        return Some(name);
    }
    description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| enumerations.contains(*word))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Link, Property};

    fn resource(name: &str) -> Document {
        Document {
            name: name.into(),
            ..Document::default()
        }
    }

    #[test]
    fn rels_that_name_resources_get_targets_and_others_do_not() {
        let mut page = resource("conversation");
        page.links = ["self", "Participant", "nowhere"]
            .map(|rel| Link {
                rel: rel.into(),
                ..Link::default()
            })
            .into();
        page.links.push(Link {
            rel: "x".into(),
            target: Some("kept".into()),
            ..Link::default()
        });
        let mut documents = vec![page, resource("participant")];
        across(&mut documents, &Transcripts::default());
        let targets: Vec<Option<&str>> = documents[0]
            .links
            .iter()
            .map(|link| link.target.as_deref())
            .collect();
        assert_eq!(targets, [None, Some("participant"), None, Some("kept")]);
    }

    #[test]
    fn descriptions_naming_enumerations_in_the_set_give_enum_types() {
        let mut page = resource("call");
        page.properties = vec![
            Property {
                name: "state".into(),
                description: "The CallState of the call.".into(),
                ..Property::default()
            },
            Property {
                name: "other".into(),
                description: "Not an Enumeration name.".into(),
                ..Property::default()
            },
            Property {
                name: "typed".into(),
                description: "The CallState.".into(),
                ty: Some(TypeRef::String),
                ..Property::default()
            },
        ];
        let enumeration = Document {
            name: "CallState".into(),
            kind: Kind::Enumeration,
            ..Document::default()
        };
        let mut documents = vec![page, enumeration];
        across(&mut documents, &Transcripts::default());
        let types: Vec<Option<String>> = documents[0]
            .properties
            .iter()
            .map(|p| p.ty.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(
            types,
            [Some("enum CallState".into()), None, Some("string".into())]
        );
        assert_eq!(
            documents[0].properties[0].type_source.as_deref(),
            Some("description names enumeration CallState")
        );
    }

    #[test]
    fn a_rel_that_folds_to_several_resources_gets_no_target_and_embedded_rels_get_theirs() {
        let mut page = resource("conversation");
        page.links = ["me", "ME", "contact"]
            .map(|rel| Link {
                rel: rel.into(),
                ..Link::default()
            })
            .into();
        page.operations = vec![crate::schema::Operation {
            examples: vec![crate::schema::Example {
                body: r#"{"_embedded":{"Contact":{},"ME":{},"nobody":{}}}"#.into(),
                valid: true,
                ..crate::schema::Example::default()
            }],
            ..crate::schema::Operation::default()
        }];
        let mut documents = vec![page, resource("me"), resource("Me"), resource("contact")];
        across(&mut documents, &Transcripts::default());
        let links: Vec<Option<&str>> = documents[0]
            .links
            .iter()
            .map(|link| link.target.as_deref())
            .collect();
        assert_eq!(links, [Some("me"), None, Some("contact")]);
        let embedded: Vec<(&str, Option<&str>)> = documents[0]
            .embedded
            .iter()
            .map(|e| (e.rel.as_str(), e.target.as_deref()))
            .collect();
        assert_eq!(
            embedded,
            [("Contact", Some("contact")), ("ME", None), ("nobody", None)]
        );
    }
}
