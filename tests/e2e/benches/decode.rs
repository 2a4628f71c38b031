//! Typed decoding against the untyped floor (issue 23, item 4), in one run
//! on the same bytes: `cargo bench -p ucwa-e2e --bench decode`.
//!
//! The bodies: every valid JSON response sample of the committed schema
//! (`schema/*.yaml`) that decodes as its resource, and, when `../shared` is
//! beside the repository, every JSON answer of the task transcripts
//! (`../shared/ucwa-tasks`) that names a resource this crate knows or is an
//! event channel answer. Each is decoded as
//! - `typed`: `ucwa::decode_json` / `ucwa::Events::from_json`, what a user
//!   calls (the decoding budget's pass over the bytes included);
//! - `serde_json::Value`: `serde_json::from_str::<Value>`.
//!
//! Best of 5 rounds; each round decodes the whole set `PASSES` times.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PASSES: usize = 200;
const ROUNDS: usize = 5;

enum Kind {
    Resource(String),
    Events,
}

struct Body {
    kind: Kind,
    text: String,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `dir` whose name ends in `.{extension}`, sorted; `None`
/// when `dir` cannot be read.
fn files_in(dir: &Path, extension: &str) -> Option<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect();
    files.sort();
    Some(files)
}

/// The valid JSON response samples of the schema, with their resource.
fn schema_bodies(skipped: &mut usize) -> Vec<Body> {
    let files = files_in(&repository().join("schema"), "yaml").expect("schema/ is there");
    let mut bodies = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable schema");
        let document: serde_yaml::Value = serde_yaml::from_str(&text).expect("schema YAML");
        let Some(name) = document["name"].as_str() else {
            continue;
        };
        let operations = document["operations"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        for example in operations
            .iter()
            .filter_map(|operation| operation["examples"].as_sequence())
            .flatten()
        {
            let response = example["format"].as_str() == Some("json")
                && example["direction"].as_str() == Some("response")
                && example["valid"].as_bool() != Some(false);
            let Some(body) = example["body"].as_str().filter(|_| response) else {
                continue;
            };
            match resource_of(name, body) {
                Some(rel) => bodies.push(Body {
                    kind: Kind::Resource(rel),
                    text: body.to_owned(),
                }),
                None => *skipped += 1,
            }
        }
    }
    bodies
}

/// The rel the body decodes as: the page's own, or the body's `rel`.
fn resource_of(page: &str, body: &str) -> Option<String> {
    let own: Option<String> = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value["rel"].as_str().map(str::to_owned));
    [Some(page.to_owned()), own]
        .into_iter()
        .flatten()
        .find(|rel| matches!(ucwa::decode_json(rel, body), Some(Ok(_))))
}

/// The transcripts' JSON answers that are a known resource or an event
/// channel answer.
fn transcript_bodies(skipped: &mut usize) -> Option<Vec<Body>> {
    let pages = files_in(&repository().join("../shared/ucwa-tasks"), "md")?;
    let mut bodies = Vec::new();
    for page in pages {
        let transcript = ucwa_mock::Transcript::read([&page]).expect("a readable page");
        for (_, step) in transcript.steps() {
            let Some(ucwa_mock::Body::Json(value)) = step.response.as_ref().map(|r| &r.body) else {
                continue;
            };
            let text = serde_json::to_string(value).expect("JSON");
            if value.get("sender").is_some() && ucwa::Events::from_json(&text).is_ok() {
                bodies.push(Body {
                    kind: Kind::Events,
                    text,
                });
            } else if let Some(rel) = value["rel"]
                .as_str()
                .filter(|rel| matches!(ucwa::decode_json(rel, &text), Some(Ok(_))))
            {
                bodies.push(Body {
                    kind: Kind::Resource(rel.to_owned()),
                    text,
                });
            } else {
                *skipped += 1;
            }
        }
    }
    Some(bodies)
}

fn best_of(mut round: impl FnMut()) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            round();
            start.elapsed()
        })
        .min()
        .expect("rounds")
}

fn typed(bodies: &[Body]) {
    for body in bodies {
        match &body.kind {
            Kind::Resource(rel) => {
                let decoded = ucwa::decode_json(rel, &body.text);
                assert!(matches!(decoded, Some(Ok(_))), "{rel} decodes");
                std::hint::black_box(decoded);
            }
            Kind::Events => {
                std::hint::black_box(ucwa::Events::from_json(&body.text).expect("events"));
            }
        }
    }
}

fn untyped(bodies: &[Body]) {
    for body in bodies {
        let value: serde_json::Value = serde_json::from_str(&body.text).expect("JSON");
        std::hint::black_box(value);
    }
}

fn measure(label: &str, bodies: &[Body]) {
    let bytes: usize = bodies.iter().map(|body| body.text.len()).sum();
    let typed_time = best_of(|| (0..PASSES).for_each(|_| typed(bodies)));
    let value_time = best_of(|| (0..PASSES).for_each(|_| untyped(bodies)));
    let per_pass = |time: Duration| time.as_secs_f64() * 1e3 / PASSES as f64;
    let throughput = |time: Duration| bytes as f64 * PASSES as f64 / time.as_secs_f64() / 1e6;
    println!(
        "{label}: {} bodies, {:.1} KB; typed {:.3} ms/pass ({:.0} MB/s), serde_json::Value {:.3} ms/pass ({:.0} MB/s); typed/Value time ratio {:.2}",
        bodies.len(),
        bytes as f64 / 1e3,
        per_pass(typed_time),
        throughput(typed_time),
        per_pass(value_time),
        throughput(value_time),
        typed_time.as_secs_f64() / value_time.as_secs_f64(),
    );
}

fn main() {
    let mut skipped = 0;
    let samples = schema_bodies(&mut skipped);
    println!(
        "schema samples: {} bodies, {skipped} that decode as no resource left out",
        samples.len()
    );
    measure("schema samples", &samples);
    let mut skipped = 0;
    match transcript_bodies(&mut skipped) {
        Some(transcripts) => {
            println!("transcripts: {} bodies, {skipped} that are no known resource or event channel left out", transcripts.len());
            measure("transcript bodies", &transcripts);
            let all: Vec<Body> = samples.into_iter().chain(transcripts).collect();
            measure("all", &all);
        }
        None => println!("transcripts: ../shared/ucwa-tasks is absent; skipped"),
    }
}
