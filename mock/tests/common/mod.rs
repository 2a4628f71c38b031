//! Helpers shared by the mock's integration tests: fixture paths, a plain
//! HTTP client, and sending a step's documented request the way a client would.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use ucwa_mock::{Body, MockConfig, MockServer, Request, Step, StepId};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `../shared/ucwa-tasks` beside the repository, if it is there.
pub fn shared_tasks() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/ucwa-tasks");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("{} not found: test skipped", dir.display());
        None
    }
}

/// Every `*.md` page of a directory, sorted.
pub fn pages_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages
}

/// Short waits: tests must end quickly whatever happens.
pub fn config() -> MockConfig {
    MockConfig {
        hold_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(3),
        ..MockConfig::default()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// The URL a client would use for a documented request: its host's listener, its path and query.
pub fn url_for(mock: &MockServer, request: &Request) -> String {
    let base = request
        .target
        .authority
        .as_deref()
        .and_then(|authority| mock.base_url(authority))
        .unwrap_or(&mock.hosts()[0].base_url);
    format!("{base}{}", request.target.path_and_query())
}

/// The transcript's steps, owned, in replay order.
pub fn owned_steps(mock: &MockServer) -> Vec<(StepId, Step)> {
    mock.transcript()
        .steps()
        .map(|(id, step)| (id, step.clone()))
        .collect()
}

/// Sends a step's documented request (for an event shown alone, a GET on its `self` href).
pub async fn send_step(
    client: &reqwest::Client,
    mock: &MockServer,
    step: &Step,
) -> reqwest::Response {
    let Some(request) = &step.request else {
        let href = step
            .response
            .as_ref()
            .and_then(|response| match &response.body {
                Body::Json(value) => value
                    .pointer("/_links/self/href")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                _ => None,
            })
            .unwrap_or_else(|| "/events".to_string());
        let url = format!("{}{href}", mock.hosts()[0].base_url);
        return client.get(url).send().await.expect("the mock answers");
    };
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("a method");
    let mut builder = client.request(method, url_for(mock, request));
    for (name, value) in &request.headers {
        if ["content-type", "authorization", "accept"].contains(&name.to_ascii_lowercase().as_str())
        {
            builder = builder.header(name, value);
        }
    }
    let body = request.body.to_bytes();
    if !body.is_empty() {
        builder = builder.body(body);
    }
    builder.send().await.expect("the mock answers")
}

/// `text` with every `http(s)://documented-host` replaced by the mock's base URL
/// (an implementation independent of the mock's own rewriting).
pub fn with_local_hosts(mock: &MockServer, text: &str) -> String {
    let mut out = text.to_string();
    for binding in mock.hosts().iter().filter(|b| !b.authority.is_empty()) {
        for scheme in ["https://", "http://"] {
            let needle = format!("{scheme}{}", binding.authority);
            loop {
                let lower = out.to_ascii_lowercase();
                let Some(at) = lower.find(&needle) else { break };
                let end = at + needle.len();
                let continues = out[end..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                if continues {
                    // A longer host that starts the same: leave it (mark it so the loop moves on).
                    out.replace_range(at..at + scheme.len(), &scheme.to_ascii_uppercase());
                    continue;
                }
                out.replace_range(at..end, &binding.base_url);
            }
        }
    }
    // Undo the marks left on longer hosts.
    out.replace("HTTPS://", "https://")
        .replace("HTTP://", "http://")
}

/// The documented JSON with hosts rewritten, as the mock must serve it.
pub fn expected_json(mock: &MockServer, value: &Value) -> Value {
    serde_json::from_str(&with_local_hosts(mock, &value.to_string())).expect("still JSON")
}
