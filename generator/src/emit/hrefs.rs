//! The hrefs the reference pages' samples show, each with the resource it
//! leads to: what a client or a mock reads to tell which resource a path is
//! when no link it followed says so (a page that starts in the middle of a
//! flow, a `DELETE` on an href no earlier step linked). By path shape, never
//! by the last segment: `…/people/282` is a `contact`, `…/conversations/137`
//! a `conversation`.

use crate::schema::{Direction, Document, SampleFormat};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `(path, rel, own)` triples, sorted and distinct: the path without
/// scheme, host or query, the rel of the resource as the crate names
/// resources, and whether the href is the resource's own (a body's `self`
/// for its own `rel`) rather than a link to it under a role's rel (`to`,
/// `acceptedByContact` to a contact's href). A link counts when its rel is
/// a resource's, or the document's Links table names its target.
pub fn sample_hrefs(docs: &[&Document]) -> Vec<(String, String, bool)> {
    let resources: BTreeSet<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    let targets: BTreeMap<(&str, &str), &str> = docs
        .iter()
        .flat_map(|d| {
            d.links.iter().filter_map(move |link| {
                Some((
                    (d.name.as_str(), link.rel.as_str()),
                    link.target.as_deref()?,
                ))
            })
        })
        .collect();
    let mut pairs = BTreeSet::new();
    for doc in docs {
        let resource_of = |rel: &str| -> Option<String> {
            if let Some(target) = targets.get(&(doc.name.as_str(), rel)) {
                return Some(target.to_string());
            }
            resources.contains(rel).then(|| rel.to_string())
        };
        for body in json_samples(doc) {
            let Ok(value) = serde_json::from_str::<Value>(body) else {
                continue;
            };
            walk(&value, &resource_of, &resources, &mut pairs);
        }
    }
    pairs.into_iter().collect()
}

/// The document's valid JSON samples: operations' requests and responses,
/// and events'.
fn json_samples(doc: &Document) -> impl Iterator<Item = &str> {
    let operations = doc
        .operations
        .iter()
        .flat_map(|o| &o.examples)
        .filter(|e| e.valid && e.format == SampleFormat::Json)
        .filter(|e| matches!(e.direction, Direction::Request | Direction::Response))
        .map(|e| e.body.as_str());
    let events = doc
        .events
        .iter()
        .filter_map(|e| e.sample.as_ref())
        .filter(|s| s.valid && s.format == SampleFormat::Json)
        .map(|s| s.body.as_str());
    operations.chain(events)
}

fn walk(
    value: &Value,
    resource_of: &dyn Fn(&str) -> Option<String>,
    resources: &BTreeSet<&str>,
    into: &mut BTreeSet<(String, String, bool)>,
) {
    match value {
        Value::Object(members) => {
            let rel = members.get("rel").and_then(Value::as_str);
            let href = members.get("href").and_then(Value::as_str);
            // `{"rel": "contact", "href": "…"}` in an event's `link`, `in`, `sender`.
            if let (Some(rel), Some(href)) = (rel, href) {
                if resources.contains(rel) {
                    into.extend(path_of(href).map(|path| (path, rel.to_string(), false)));
                }
            }
            let own = rel
                .filter(|_| href.is_none())
                .filter(|rel| resources.contains(rel));
            if let Some(links) = members.get("_links").and_then(Value::as_object) {
                for (link_rel, item) in links {
                    let (resource, is_own) = match (link_rel.as_str(), own) {
                        ("self", Some(own)) => (Some(own.to_string()), true),
                        ("self", None) => (None, false),
                        (other, _) => (resource_of(other), false),
                    };
                    let Some(resource) = resource else { continue };
                    let items = match item {
                        Value::Array(items) => items.iter().collect(),
                        item => vec![item],
                    };
                    for item in items {
                        if let Some(path) =
                            item.get("href").and_then(Value::as_str).and_then(path_of)
                        {
                            into.insert((path, resource.clone(), is_own));
                        }
                    }
                }
            }
            for member in members.values() {
                walk(member, resource_of, resources, into);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, resource_of, resources, into);
            }
        }
        _ => {}
    }
}

/// `/ucwa/v1/applications/192/people/282` from any href a sample shows:
/// scheme, host and query dropped; none for `data:` and other non-paths.
fn path_of(href: &str) -> Option<String> {
    let without_scheme = match href.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => href,
    };
    let path = without_scheme.split(['?', '#']).next().unwrap_or_default();
    path.starts_with('/').then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Example, Link, Operation};

    fn doc(name: &str, links: &[(&str, Option<&str>)], body: &str) -> Document {
        Document {
            name: name.into(),
            links: links
                .iter()
                .map(|(rel, target)| Link {
                    rel: (*rel).into(),
                    target: target.map(Into::into),
                    ..Link::default()
                })
                .collect(),
            operations: vec![Operation {
                examples: vec![Example {
                    format: SampleFormat::Json,
                    direction: Direction::Response,
                    body: body.into(),
                    valid: true,
                    ..Example::default()
                }],
                ..Operation::default()
            }],
            ..Document::default()
        }
    }

    #[test]
    fn each_href_is_paired_with_the_resource_it_leads_to() {
        let people = doc(
            "people",
            &[("myContacts", Some("contacts"))],
            r#"{"rel":"people","_links":{"self":{"href":"https://fe1.contoso.com:443/ucwa/v1/applications/192/people?x=1"},
                "myContacts":{"href":"/ucwa/v1/applications/192/people/contacts"},
                "unknownRel":{"href":"/ucwa/v1/applications/192/people/unknown"},
                "photo":{"href":"data:image/png;base64,AA=="}},
               "_embedded":{"contact":[{"rel":"contact","_links":{"self":{"href":"/ucwa/v1/applications/192/people/282"}}}]},
               "sender":[{"rel":"contact","href":"/ucwa/v1/applications/192/people/283"}]}"#,
        );
        let contacts = doc("contacts", &[], "{}");
        let contact = doc("contact", &[], "{}");
        let pairs = sample_hrefs(&[&people, &contacts, &contact]);
        let shown: Vec<(&str, &str, bool)> = pairs
            .iter()
            .map(|(p, r, own)| (p.as_str(), r.as_str(), *own))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("/ucwa/v1/applications/192/people", "people", true),
                ("/ucwa/v1/applications/192/people/282", "contact", true),
                ("/ucwa/v1/applications/192/people/283", "contact", false),
                (
                    "/ucwa/v1/applications/192/people/contacts",
                    "contacts",
                    false
                ),
            ]
        );
    }
}
