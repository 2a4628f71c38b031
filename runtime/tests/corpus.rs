//! Every response sample in the reference pages decodes with the runtime.
//!
//! Reads `../shared/ucwa` next to the workspace; skips with a notice when
//! the corpus is absent.

use std::path::Path;
use ucwa_runtime::xml::{self, Shape};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/ucwa");

/// One fenced sample: the page, the heading above it, and its body text
/// (HTTP start line and headers dropped, HTML escapes undone).
struct Sample {
    page: String,
    heading: String,
    body: String,
}

fn samples() -> Option<Vec<Sample>> {
    let directory = Path::new(CORPUS);
    if !directory.is_dir() {
        eprintln!("skipping: corpus not found at {CORPUS}");
        return None;
    }
    let mut pages: Vec<_> = std::fs::read_dir(directory)
        .expect("corpus directory readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    pages.sort();
    let mut samples = Vec::new();
    for path in pages {
        let text = std::fs::read_to_string(&path).expect("page readable");
        let page = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut heading = String::new();
        let mut block: Option<Vec<&str>> = None;
        let mut loose: Option<Vec<&str>> = None;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                match block.take() {
                    Some(lines) => samples.push(Sample {
                        page: page.clone(),
                        heading: heading.clone(),
                        body: sample_body(&lines),
                    }),
                    None => block = Some(Vec::new()),
                }
            } else if let Some(lines) = block.as_mut() {
                lines.push(line);
            } else if let Some(lines) = loose.as_mut() {
                // Some pages give event samples as plain lines, not fenced.
                lines.push(line);
                if line.trim_end() == "}" {
                    samples.push(Sample {
                        page: page.clone(),
                        heading: heading.clone(),
                        body: lines.join("\n"),
                    });
                    loose = None;
                }
            } else if line.trim_end() == "{" {
                loose = Some(vec![line]);
            } else if line.starts_with('#') {
                heading = line.trim_start_matches('#').trim().to_owned();
            }
        }
    }
    Some(samples)
}

/// The payload of a sample, or empty when the block is not one JSON or XML
/// document after the HTTP start line and headers (e.g. multipart batches).
fn sample_body(lines: &[&str]) -> String {
    let joined = lines.join("\n");
    let joined = if joined.contains("&lt;") {
        joined
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    } else {
        joined
    };
    let mut rest = joined.as_str();
    while let Some(line) = rest.lines().next() {
        let trimmed = line.trim();
        if trimmed.starts_with(['<', '{', '[']) {
            return rest.trim().to_owned();
        }
        let is_header = trimmed
            .split_once(':')
            .is_some_and(|(name, _)| !name.is_empty() && !name.contains(' '));
        if !(trimmed.is_empty() || trimmed.contains("HTTP/") || is_header) {
            break;
        }
        rest = rest.get(line.len() + 1..).unwrap_or_default();
    }
    String::new()
}

#[test]
fn xml_response_samples_decode() {
    let Some(samples) = samples() else { return };
    let mut decoded = 0;
    let mut failures = Vec::new();
    for sample in samples
        .iter()
        .filter(|sample| sample.heading.contains("XML Response"))
    {
        if !sample.body.contains("<resource") {
            continue;
        }
        match xml::to_json_value(&sample.body, &Shape::EMPTY) {
            Ok(_) => decoded += 1,
            Err(error) => failures.push(format!("{}: {error}", sample.page)),
        }
    }
    println!("decoded {decoded} XML response samples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A resource read with the runtime's link and embedding types only.
#[derive(serde::Serialize, serde::Deserialize)]
struct AnyResource {
    #[serde(rename = "_links")]
    links: std::collections::BTreeMap<String, ucwa_runtime::Links>,
    #[serde(
        rename = "_embedded",
        default,
        skip_serializing_if = "std::collections::BTreeMap::is_empty"
    )]
    embedded: std::collections::BTreeMap<String, ucwa_runtime::Embedded<AnyResource>>,
    #[serde(flatten)]
    properties: serde_json::Map<String, serde_json::Value>,
}

#[test]
fn json_samples_survive_a_round_trip_and_events_decode() {
    use ucwa_runtime::events::EventChannel;
    let Some(samples) = samples() else { return };
    let mut counts = (0, 0, 0);
    let mut failures = Vec::new();
    for sample in samples.iter().filter(|sample| sample.body.starts_with('{')) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&sample.body) else {
            counts.2 += 1;
            continue;
        };
        if value.get("sender").is_some() {
            match EventChannel::<String>::from_json(&sample.body) {
                Ok(channel) => {
                    counts.1 += 1;
                    let again = serde_json::to_value(&channel).expect("encode");
                    if again != value {
                        failures.push(format!(
                            "{} ({}): event round trip differs",
                            sample.page, sample.heading
                        ));
                    }
                }
                Err(error) => {
                    failures.push(format!("{} ({}): {error}", sample.page, sample.heading))
                }
            }
        } else if value.get("_links").is_some() {
            counts.0 += 1;
            let decoded: AnyResource =
                serde_json::from_value(value.clone()).expect("links and embedded decode");
            let again = serde_json::to_value(&decoded).expect("encode");
            if again != value {
                failures.push(format!(
                    "{} ({}): resource round trip differs",
                    sample.page, sample.heading
                ));
            }
        }
    }
    println!(
        "{} JSON resources, {} event channels, {} not JSON (e.g. unquoted keys)",
        counts.0, counts.1, counts.2
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The shape a generator would derive for this JSON value: property types
/// from the values, array rels, embedded shapes. Leaked: tests only.
fn shape_of(value: &serde_json::Value) -> &'static Shape {
    use serde_json::Value;
    use ucwa_runtime::xml::Scalar;
    let kind = |value: &Value| match value {
        Value::Bool(_) => Some(Scalar::Bool),
        Value::Number(number) if number.is_f64() => Some(Scalar::Number),
        Value::Number(_) => Some(Scalar::Integer),
        Value::String(_) => Some(Scalar::String),
        _ => None,
    };
    let mut properties = Vec::new();
    let mut arrays = Vec::new();
    for (name, property) in value.as_object().into_iter().flatten() {
        let name: &'static str = Box::leak(name.clone().into_boxed_str());
        match (name, property) {
            ("_links", Value::Object(links)) => {
                for (rel, link) in links {
                    if link.is_array() {
                        arrays.push(&*Box::leak(rel.clone().into_boxed_str()));
                    }
                }
            }
            ("_embedded", Value::Object(resources)) => {
                // A `ShapeFn` cannot capture, so embedded shapes stay empty here.
                for (rel, resource) in resources {
                    if resource.is_array() {
                        arrays.push(&*Box::leak(rel.clone().into_boxed_str()));
                    }
                }
            }
            (_, Value::Array(items)) => {
                let item = items.iter().find_map(kind).unwrap_or(Scalar::String);
                let list = match item {
                    Scalar::Bool => Scalar::BoolList,
                    Scalar::Integer => Scalar::IntegerList,
                    Scalar::Number => Scalar::NumberList,
                    _ => Scalar::StringList,
                };
                properties.push((name, list));
            }
            (_, scalar) => properties.push((name, kind(scalar).unwrap_or(Scalar::String))),
        }
    }
    Box::leak(Box::new(Shape {
        properties: Box::leak(properties.into_boxed_slice()),
        embedded: &[],
        arrays: Box::leak(arrays.into_boxed_slice()),
    }))
}

#[test]
fn json_response_samples_round_trip_through_xml() {
    let Some(samples) = samples() else { return };
    let mut checked = 0;
    let mut failures = Vec::new();
    for sample in samples
        .iter()
        .filter(|sample| sample.heading.contains("JSON Response"))
    {
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&sample.body) else {
            continue;
        };
        if value.get("rel").is_none() {
            continue;
        }
        let rel = value["rel"].as_str().unwrap_or_default().to_owned();
        let written = match xml::from_json_value(&value, &rel) {
            Ok(written) => written,
            Err(error) => {
                failures.push(format!("{}: encode: {error}", sample.page));
                continue;
            }
        };
        let shape = shape_of(&value);
        match xml::to_json_value(&written, shape) {
            Ok(mut read) => {
                // Embedded resources were read as text only: compare their rels and counts.
                let embedded = value
                    .as_object_mut()
                    .and_then(|object| object.remove("_embedded"));
                let read_embedded = read
                    .as_object_mut()
                    .and_then(|object| object.remove("_embedded"));
                if read != value
                    || rel_counts(embedded.as_ref()) != rel_counts(read_embedded.as_ref())
                {
                    failures.push(format!(
                        "{}: XML round trip differs:\n{value}\n{read}",
                        sample.page
                    ));
                }
                checked += 1;
            }
            Err(error) => failures.push(format!("{}: decode: {error}", sample.page)),
        }
    }
    println!("{checked} JSON response samples round-tripped through XML");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn rel_counts(embedded: Option<&serde_json::Value>) -> Vec<(String, usize)> {
    let objects = embedded
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten();
    objects
        .map(|(rel, value)| (rel.clone(), value.as_array().map_or(1, Vec::len)))
        .collect()
}

#[test]
fn xml_response_samples_are_stable_through_json() {
    let Some(samples) = samples() else { return };
    for sample in samples
        .iter()
        .filter(|sample| sample.body.contains("<resource"))
    {
        let Ok(first) = xml::to_json_value(&sample.body, &Shape::EMPTY) else {
            continue;
        };
        let rel = first["rel"].as_str().unwrap_or_default().to_owned();
        let written = xml::from_json_value(&first, &rel).expect("every decoded value encodes");
        let second = xml::to_json_value(&written, &Shape::EMPTY).expect("written XML decodes");
        assert_eq!(
            first, second,
            "{}: XML -> JSON -> XML changed the value",
            sample.page
        );
    }
}
