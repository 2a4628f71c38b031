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

/// The shared task pages with a transcript today; tests that run every page
/// of the directory with steps check that these are among them.
pub const TASK_PAGES: [&str; 13] = [
    "AuthenticationInUCWA.md",
    "AuthenticationUsingAzureAD.md",
    "CreateAnApplication.md",
    "SendAnIM.md",
    "GetMyPresenceInformation.md",
    "SetMyPresenceInformation.md",
    "GetMyNoteInformation.md",
    "Setmynoteinformation.md",
    "GetAContactData.md",
    "GetMyPhoto.md",
    "SubscribeToThePresenceOfSelectedContacts.md",
    "GroupingRequestsInABatch.md",
    "MultiTabSupport.md",
];

/// The task pages that follow CreateAnApplication, in the order of the long flow.
pub const FLOW_AFTER_SIGN_IN: [&str; 9] = [
    "GetMyPresenceInformation.md",
    "SetMyPresenceInformation.md",
    "GetMyNoteInformation.md",
    "Setmynoteinformation.md",
    "GetMyPhoto.md",
    "GetAContactData.md",
    "SubscribeToThePresenceOfSelectedContacts.md",
    "SendAnIM.md",
    "GroupingRequestsInABatch.md",
];

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
    url_at(mock, request, &request.target.path_and_query())
}

/// The documented request's host's listener, with another path and query.
pub fn url_at(mock: &MockServer, request: &Request, path_and_query: &str) -> String {
    let base = request
        .target
        .authority
        .as_deref()
        .and_then(|authority| mock.base_url(authority))
        .unwrap_or(&mock.hosts()[0].base_url);
    format!("{base}{path_and_query}")
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
    let path_and_query = step
        .request
        .as_ref()
        .map(|request| request.target.path_and_query())
        .unwrap_or_default();
    send_step_at(client, mock, step, &path_and_query).await
}

/// [`send_step`] with another path and query (the ids a client was handed).
pub async fn send_step_at(
    client: &reqwest::Client,
    mock: &MockServer,
    step: &Step,
    path_and_query: &str,
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
    let mut builder = client.request(method, url_at(mock, request, path_and_query));
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

/// The generated ids a client has been handed, by the rule the README
/// states (one application per replay; other ids as first served, a
/// shortened id standing for the one it begins), kept apart from the
/// mock's own implementation so that each checks the other.
#[derive(Debug, Default)]
pub struct IdsSeen {
    application: Option<String>,
    /// Documented id (lowercased) → the id served for it.
    pairs: Vec<(String, String)>,
}

/// Segments that are ids: those after a collection the mock names.
fn is_collection(segment: &str) -> bool {
    ucwa_mock::ids::GENERATED_COLLECTIONS
        .iter()
        .any(|name| name.eq_ignore_ascii_case(segment))
}

fn split_query(href: &str) -> (&str, &str) {
    match href.find(['?', '#']) {
        Some(at) => href.split_at(at),
        None => (href, ""),
    }
}

impl IdsSeen {
    /// A documented path and query as a client that follows the served hrefs sends it.
    pub fn path(&mut self, documented: &str) -> String {
        let (path, query) = split_query(documented);
        let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
        for index in 1..segments.len() {
            if !is_collection(&segments[index - 1]) || segments[index].is_empty() {
                continue;
            }
            let documented_id = segments[index].clone();
            segments[index] = if segments[index - 1].eq_ignore_ascii_case("applications") {
                self.application.get_or_insert(documented_id).clone()
            } else {
                self.served_for(&documented_id).unwrap_or(documented_id)
            };
        }
        format!("{}{query}", segments.join("/"))
    }

    fn served_for(&self, documented: &str) -> Option<String> {
        let documented = documented.to_ascii_lowercase();
        self.pairs
            .iter()
            .find(|(known, _)| *known == documented)
            .map(|(_, served)| served.clone())
    }

    /// A served href against the documented one: equal but for ids, each
    /// documented id always served as the same id.
    pub fn check_href(&mut self, served: &str, documented: &str) -> Result<(), String> {
        let (served_path, served_query) = split_query(served);
        let (documented_path, documented_query) = split_query(documented);
        let served_segments: Vec<&str> = served_path.split('/').collect();
        let documented_segments: Vec<&str> = documented_path.split('/').collect();
        let differ = || format!("served {served}, documented {documented}");
        if served_query != documented_query || served_segments.len() != documented_segments.len() {
            return Err(differ());
        }
        for index in 0..served_segments.len() {
            let (got, expected) = (served_segments[index], documented_segments[index]);
            let after_collection = index > 0 && is_collection(documented_segments[index - 1]);
            if !after_collection {
                if got != expected {
                    return Err(differ());
                }
                continue;
            }
            if documented_segments[index - 1].eq_ignore_ascii_case("applications") {
                let application = self.application.get_or_insert(got.to_string());
                if got != application.as_str() {
                    return Err(format!(
                        "{}: application {got}, not {application}",
                        differ()
                    ));
                }
                continue;
            }
            match self.served_for(expected) {
                Some(known) if known != got => {
                    return Err(format!("{}: {expected} was served as {known}", differ()))
                }
                Some(_) => {}
                None if got == expected
                    || got
                        .to_ascii_lowercase()
                        .starts_with(&expected.to_ascii_lowercase()) =>
                {
                    self.pairs
                        .push((expected.to_ascii_lowercase(), got.to_string()));
                }
                None => return Err(format!("{}: {expected} served as {got}", differ())),
            }
        }
        Ok(())
    }

    /// A served JSON body against the documented one: equal but for the ids in hrefs.
    pub fn check_json(&mut self, served: &Value, documented: &Value) -> Result<(), String> {
        match (served, documented) {
            (Value::Object(served), Value::Object(documented)) => {
                if served.len() != documented.len() {
                    return Err(format!(
                        "members: served {served:?}, documented {documented:?}"
                    ));
                }
                for ((served_key, served_value), (key, value)) in served.iter().zip(documented) {
                    if served_key != key {
                        return Err(format!("member {served_key}, documented {key}"));
                    }
                    match (served_value, value) {
                        (Value::String(got), Value::String(expected)) if key == "href" => {
                            self.check_href(got, expected)?
                        }
                        _ => self.check_json(served_value, value)?,
                    }
                }
                Ok(())
            }
            (Value::Array(served), Value::Array(documented))
                if served.len() == documented.len() =>
            {
                served
                    .iter()
                    .zip(documented)
                    .try_for_each(|(got, expected)| self.check_json(got, expected))
            }
            (got, expected) if got == expected => Ok(()),
            (got, expected) => Err(format!("served {got}, documented {expected}")),
        }
    }
}

pub type Rendering = fn(&str) -> String;

/// The same content written otherwise: hrefs of another URL scheme, the
/// `200 OK` status lines dropped, the page started in the middle (its first
/// two fenced blocks removed).
pub const RENDERINGS: [(&str, Rendering); 3] = [
    ("other-scheme", |text| {
        text.lines()
            .map(|line| match line.contains("\"href\"") {
                true => line.replace("/ucwa/oauth/v1/", "/ucwa/v1/"),
                false => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }),
    ("no-200-lines", |text| {
        text.lines()
            .filter(|line| line.trim_end() != "HTTP/1.1 200 OK")
            .collect::<Vec<_>>()
            .join("\n")
    }),
    ("mid-flow", |text| {
        let (mut fences, mut kept) = (0, Vec::new());
        for line in text.lines() {
            let fence = line.trim_start().starts_with("```");
            if fences < 4 && (fence || fences % 2 == 1) {
                fences += usize::from(fence);
                continue;
            }
            kept.push(line);
        }
        kept.join("\n")
    }),
];
