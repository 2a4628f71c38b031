//! The README's first example, "sign in and send an IM", compiled and run
//! against the mock UCWA server over loopback, replaying a transcript of our
//! own (`tests/e2e/pages/send_an_im.md`); and a check that the README shows
//! exactly this code.

use std::path::PathBuf;
use std::time::Duration;
use ucwa::enums::Importance;
use ucwa::resources::{MessagingInvitation, StartMessagingRequest};
use ucwa_client::{Outcome, Session};
use ucwa_mock::{MockConfig, MockServer, Transcript};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The README's example; what it prints is returned.
async fn sign_in_and_send_an_im(
    discovery_url: &str,
    password: &str,
) -> Result<Vec<String>, Failure> {
    let mut printed = Vec::new();
    // --- the README's lines, verbatim but for `println!` → `printed.push` ---
    let session = Session::builder("alice@example.com")
        .password(password)
        .discovery_url(discovery_url) // leave it out to find the server by autodiscovery
        .user_agent("readme/1.0")
        .sign_in() // discovery, MsRtcOAuth, POST applications
        .await?;
    let application = session.application();
    let communication = application
        .embedded
        .as_ref()
        .and_then(|embedded| embedded.communication.as_ref()?.first())
        .unwrap(); // embedded in the application
    let start_messaging = communication.start_messaging_link().unwrap(); // a Link<StartMessaging>
                                                                         // `new` takes the required fields; `operationId` is left out: the session
                                                                         // adds one and follows it on the event channel.
    let request = StartMessagingRequest {
        subject: Some("Lunch?".into()),
        importance: Some(Importance::Normal),
        ..StartMessagingRequest::new("sip:bob@example.com".into())
    };
    let invitation = session.start(start_messaging, &request).await?; // POST: 201 Created
    let completed = invitation.completed().await?.unwrap(); // its `completed` event
    let invitation: MessagingInvitation = completed.resource_as().unwrap()?;
    let messaging = session.get(invitation.messaging_link().unwrap()).await?; // GET: a Messaging
    let send_message = messaging.send_message_link().unwrap(); // a Link<SendMessage>
    let sent = session
        .start_request(send_message.post_text("Hello, Bob"))
        .await?;
    if let Outcome::Created { location, .. } = sent.outcome() {
        printed.push(format!("sent {}", location.href())); // sent /ucwa/…/messages/1
    }
    sent.completed().await?; // delivered
    session.sign_out().await?; // DELETE the application

    // --- end of the README's lines ---
    Ok(printed)
}

fn page(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("pages")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_signs_in_and_sends_an_im_against_the_mock() -> Result<(), Failure> {
    let transcript = Transcript::read([page("send_an_im.md")])?;
    let config = MockConfig {
        hold_timeout: Duration::from_secs(5),
        ..MockConfig::default()
    };
    let mock = MockServer::start(transcript, config).await?;
    let discovery = mock
        .base_url("lyncdiscover.example.com")
        .unwrap()
        .to_owned();
    let run = sign_in_and_send_an_im(&discovery, "readme-fixture-secret");
    let printed = tokio::time::timeout(Duration::from_secs(60), run).await??;
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    assert_eq!(
        printed,
        ["sent /ucwa/oauth/v1/applications/7/communication/conversations/21a1/messaging/messages/1"]
    );
    let served = mock.outcomes();
    assert!(
        served
            .iter()
            .all(|(_, outcome)| *outcome == ucwa_mock::StepOutcome::Served),
        "every documented step was served: {served:?}"
    );
    mock.shutdown().await;
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
        .take_while(|line| !line.starts_with("type"))
        .filter(|line| line.starts_with("use ucwa::") || line.starts_with("use ucwa_client::"))
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
        if path.extension().is_none_or(|e| e != "yaml") {
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
