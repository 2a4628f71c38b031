//! The README's example, compiled and run against the committed `generated/`
//! crate (the whole UCWA 2.0 API), so the first code a new user reads is
//! known to work; and a check that the README shows exactly this code.

use ucwa::enums::Importance;
use ucwa::resources::{Application, MessagingInvitation, StartMessagingRequest};
use ucwa::{Events, ResourceKind};
use ucwa_runtime::DecodeError;
use ucwa_runtime::{RequestBody, Resource};

const APPLICATION: &str = r#"{"rel":"application","id":"1","userAgent":"readme/1.0",
  "_links":{"self":{"href":"/ucwa/oauth/v1/applications/102"},
    "communication":{"href":"/ucwa/oauth/v1/applications/102/communication"},
    "events":{"href":"/ucwa/oauth/v1/applications/102/events?ack=1"}}}"#;
const COMMUNICATION: &str = r#"{"rel":"communication",
  "_links":{"self":{"href":"/ucwa/oauth/v1/applications/102/communication"},
    "startMessaging":{"href":"/ucwa/oauth/v1/applications/102/communication/messagingInvitations"}}}"#;
const EVENTS: &str = r#"{"_links":{"self":{"href":"/events?ack=2"},"next":{"href":"/events?ack=3"}},
  "sender":[{"rel":"communication","href":"/ucwa/oauth/v1/applications/102/communication",
    "events":[{"link":{"rel":"messagingInvitation","href":"/c/messagingInvitations/60c"},
      "_embedded":{"messagingInvitation":{"rel":"messagingInvitation","state":"Connecting",
        "subject":"Lunch?","_links":{"self":{"href":"/c/messagingInvitations/60c"}}}},
      "type":"started"}]}]}"#;

fn http_get(href: &str) -> Result<String, DecodeError> {
    assert!(href.ends_with("/communication"), "followed {href}");
    Ok(COMMUNICATION.to_string())
}

#[test]
fn the_readme_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let (application_body, event_channel_body) = (APPLICATION.to_string(), EVENTS.to_string());
    let mut posted = Vec::new();
    let mut http_post = |href: &str, body: &str| -> Result<(), DecodeError> {
        posted.push((href.to_string(), body.to_string()));
        Ok(())
    };
    let mut printed = Vec::new();

    // --- the README's lines, verbatim but for `println!` → `printed.push` ---
    let application = Application::from_json(&application_body)?; // POST /ucwa/oauth/v1/applications
    let communication = application.communication_link().unwrap(); // a Link<Communication>
    let communication = communication.decode_json(&http_get(communication.href())?)?; // follow it
    let request = StartMessagingRequest {
        to: "sip:john@contoso.com".into(),
        subject: Some("Lunch?".into()),
        importance: Some(Importance::Normal),
        operation_id: None,
        thread_id: None,
        message: None,
        extra: Default::default(), // properties the docs do not list
    };
    let start = communication.start_messaging_link().unwrap();
    http_post(start.href(), &request.to_json()?)?; // start an IM conversation
    let events = Events::from_json(&event_channel_body)?; // GET the event channel
    for event in events.sender.iter().flat_map(|sender| &sender.events) {
        if event.link.rel == ResourceKind::MessagingInvitation {
            let invitation: MessagingInvitation = event.embedded_resource().unwrap()?;
            let state = invitation.state.unwrap_or_default();
            printed.push(format!("{} {state}", event.event_type)); // started Connecting
        }
    }
    // --- end of the README's lines ---

    assert_eq!(application.user_agent.as_deref(), Some("readme/1.0"));
    assert_eq!(
        posted,
        [(
            "/ucwa/oauth/v1/applications/102/communication/messagingInvitations".to_string(),
            r#"{"to":"sip:john@contoso.com","importance":"Normal","subject":"Lunch?"}"#.to_string()
        )]
    );
    assert_eq!(printed, ["started Connecting"]);
    Ok(())
}

/// Lines with their whitespace collapsed, blank lines and the test's
/// markers dropped, and `printed.push(format!(..))` read as `println!(..)`.
fn normalised(code: &str) -> Vec<String> {
    code.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty() && !line.starts_with("// ---"))
        .map(|line| match line.split_once("printed.push(format!(") {
            Some((before, after)) => format!("{before}println!({}", after.replacen("));", ");", 1)),
            None => line,
        })
        .collect()
}

#[test]
fn the_readme_shows_exactly_the_code_that_runs() {
    let readme = include_str!("../../../README.md");
    let this = include_str!("readme.rs");
    let example = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README starts with a rust example");
    let uses: String = this
        .lines()
        .take_while(|line| !line.starts_with("const"))
        .filter(|line| line.starts_with("use ") && !line.contains("DecodeError"))
        .map(|line| format!("{line}\n"))
        .collect();
    let body = this
        .split("// --- the README's lines")
        .nth(1)
        .and_then(|rest| rest.split("// --- end of the README's lines").next())
        .expect("the marked lines");
    let body = body.split_once('\n').map_or(body, |(_, rest)| rest);
    let expected = normalised(&format!("{uses}\n{body}"));
    assert_eq!(normalised(example), expected);
}

/// `n` with thousands separated by commas, as the README writes figures.
fn grouped(n: usize) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|group| group.iter().collect())
        .collect();
    groups.join(",")
}

/// The `*.rs` files under `dir`, recursively.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_readme_states_the_size_of_the_committed_crate() {
    // Generated size drives compile time: when it changes, the README's
    // figure is updated with it.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut kinds = (0, 0);
    for entry in std::fs::read_dir(root.join("schema")).expect("schema/") {
        let path = entry.expect("entry").path();
        if path.extension() != Some(std::ffi::OsStr::new("yaml")) {
            continue; // the writer's manifest
        }
        let text = std::fs::read_to_string(&path).expect("schema file");
        match text.lines().find(|line| line.starts_with("kind: ")) {
            Some("kind: resource") => kinds.0 += 1,
            Some("kind: enumeration") => kinds.1 += 1,
            other => panic!("a schema file of kind {other:?}"),
        }
    }
    let text_of = |dir: &str| -> String {
        rust_files(&root.join("generated").join(dir))
            .iter()
            .map(|file| std::fs::read_to_string(file).expect("generated file"))
            .collect()
    };
    let (src, tests) = (text_of("src"), text_of("tests"));
    let figure = format!(
        "| the generated crate `generated/` | {} resources, {} enumerations; {} lines in `src/`, {} in `tests/`; {} tests |",
        kinds.0,
        kinds.1,
        grouped(src.lines().count()),
        grouped(tests.lines().count()),
        tests.matches("#[test]").count(),
    );
    let readme = include_str!("../../../README.md");
    assert!(readme.contains(&figure), "the README should say:\n{figure}");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(grouped(999), "999");
}
