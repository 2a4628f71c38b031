//! Task pages → steps: every shared page against an independent count of its
//! fenced messages, and fixture pages against lines stated by hand.

mod common;

use common::{fixture, shared_tasks};
use std::collections::BTreeSet;
use ucwa_mock::{Page, RepairKind, StepKind, Transcript};

/// Lines of fenced blocks whose first non-blank line is a request line or a
/// status line, by a plain line scan (no markdown parser).
fn scan_fenced_messages(text: &str) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let (mut requests, mut statuses) = (BTreeSet::new(), BTreeSet::new());
    let mut in_fence = false;
    let mut first_pending = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            first_pending = in_fence;
            continue;
        }
        if !in_fence || !first_pending || trimmed.is_empty() {
            continue;
        }
        first_pending = false;
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let is_request = words.len() >= 2
            && ["GET", "POST", "PUT", "DELETE"].contains(&words[0])
            && (words[1].starts_with('/') || words[1].starts_with("http"));
        let is_status = words.len() >= 2
            && words[0].starts_with("HTTP/")
            && words[1].len() == 3
            && words[1].chars().all(|c| c.is_ascii_digit());
        if is_request {
            requests.insert(index + 1);
        }
        if is_status {
            statuses.insert(index + 1);
        }
    }
    (requests, statuses)
}

fn parsed_lines(page: &Page) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let requests = page
        .steps
        .iter()
        .filter_map(|step| step.request.as_ref().map(|r| r.location.line))
        .collect();
    let implied: BTreeSet<usize> = page
        .repairs
        .iter()
        .filter(|r| r.kind == RepairKind::ImpliedStatusLine)
        .map(|r| r.location.line)
        .collect();
    let mut statuses: BTreeSet<usize> = page
        .steps
        .iter()
        .filter_map(|step| step.response.as_ref().map(|r| r.location.line))
        .filter(|line| !implied.contains(line))
        .collect();
    statuses.extend(
        page.skipped
            .iter()
            .filter(|s| s.reason.contains("response with no request"))
            .map(|s| s.location.line),
    );
    (requests, statuses)
}

#[test]
fn every_shared_page_agrees_with_an_independent_count_of_its_messages() {
    let Some(dir) = shared_tasks() else { return };
    let mut total_steps = 0;
    for path in common::pages_in(&dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let page = Page::read(&path).unwrap();
        let (requests, statuses) = scan_fenced_messages(&text);
        let (parsed_requests, parsed_statuses) = parsed_lines(&page);
        assert_eq!(
            parsed_requests,
            requests,
            "{}: request lines",
            path.display()
        );
        assert_eq!(
            parsed_statuses,
            statuses,
            "{}: status lines",
            path.display()
        );
        let by_reference = page
            .repairs
            .iter()
            .filter(|r| r.kind == RepairKind::ResponseByReference)
            .count();
        let answered = page
            .steps
            .iter()
            .filter(|s| s.request.is_some() && s.response.is_some())
            .count();
        let unanswered = page
            .steps
            .iter()
            .filter(|s| s.request.is_some() && s.response.is_none())
            .count();
        assert_eq!(answered + unanswered, requests.len(), "{}", path.display());
        assert!(by_reference <= answered, "{}", path.display());
        total_steps += page.steps.len();
    }
    assert!(
        total_steps >= 40,
        "the shared pages hold {total_steps} steps"
    );
}

#[test]
fn shared_pages_keep_their_shape() {
    let Some(dir) = shared_tasks() else { return };
    let read = |name: &str| Page::read(&dir.join(name)).unwrap();
    let send_im = read("SendAnIM.md");
    let shape: Vec<(usize, StepKind, Option<u16>)> = send_im
        .steps
        .iter()
        .map(|s| {
            (
                s.location.line,
                s.kind,
                s.response.as_ref().map(|r| r.status),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (22, StepKind::Command, Some(201)),
            (65, StepKind::Event, Some(200)),
            (225, StepKind::Event, Some(200)),
            (433, StepKind::Command, Some(200)),
            (491, StepKind::Command, Some(201)),
            (527, StepKind::Event, Some(200)),
            (592, StepKind::Command, Some(204)),
        ]
    );
    // Events shown with no request (a status line, then a bare body) are event steps.
    let subscribe = read("SubscribeToThePresenceOfSelectedContacts.md");
    let events: Vec<usize> = subscribe
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Event)
        .map(|s| s.location.line)
        .collect();
    assert_eq!(events, vec![112, 136]);
    // "Same as the response for the password grant type."
    let auth = read("AuthenticationInUCWA.md");
    let windows = &auth.steps[1];
    assert_eq!(windows.location.line, 107);
    assert_eq!(windows.response.as_ref().unwrap().location.line, 90);
    assert_eq!(auth.steps.last().unwrap().response, None);
}

/// Request line, kind, `METHOD path`, and the response's line and status.
type StepShape = (usize, StepKind, String, Option<(usize, u16)>);

#[test]
fn the_fixture_is_read_step_by_step_with_file_and_line() {
    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let page = &transcript.pages()[0];
    assert!(page.file.ends_with("sign_in_and_im.md"));
    let steps: Vec<StepShape> = page
        .steps
        .iter()
        .map(|s| {
            let response = s.response.as_ref().map(|r| (r.location.line, r.status));
            (s.location.line, s.kind, s.summary(), response)
        })
        .collect();
    let app = "/ucwa/oauth/v1/applications/7";
    assert_eq!(
        steps,
        vec![
            (14, StepKind::Command, "GET /".into(), Some((21, 200))),
            (30, StepKind::Command, "GET /Autodiscover/root/oauth/user".into(), Some((37, 401))),
            (46, StepKind::Command, "POST /WebTicket/oauthtoken".into(), Some((57, 200))),
            (67, StepKind::Command, "POST /ucwa/oauth/v1/applications".into(), Some((76, 201))),
            (100, StepKind::Command, format!("POST {app}/communication/messagingInvitations"), Some((108, 201))),
            (115, StepKind::Event, format!("GET {app}/events?ack=1"), Some((120, 200))),
            (
                140,
                StepKind::Command,
                format!("POST {app}/communication/conversations/1/messaging/messages?OperationContext=6b6ce55c-d4b9-4303-a61f-5813ecb2d7b1"),
                Some((148, 201))
            ),
            (155, StepKind::Event, "GET (event channel)".into(), Some((155, 200))),
            (163, StepKind::Command, "POST /WebTicket/oauthtoken".into(), Some((57, 200))),
            (176, StepKind::Command, format!("POST {app}/communication/conversations/1/messaging/terminate"), None),
        ]
    );
    assert_eq!(
        page.steps[9].response_note.as_deref(),
        Some("The conversation ends (the response is not shown).")
    );
    // Entities inside fences are decoded.
    let token = page.steps[2].request.as_ref().unwrap();
    assert_eq!(
        token.body,
        ucwa_mock::Body::Form(vec![
            ("grant_type".into(), "password".into()),
            ("username".into(), "alice@example.com".into()),
            ("password".into(), "fixture-secret-1".into()),
        ])
    );
    assert_eq!(
        page.steps[6].request.as_ref().unwrap().body,
        ucwa_mock::Body::Text("Hello & welcome".into())
    );
}

#[test]
fn every_repair_is_listed_with_its_line_and_name() {
    let transcript =
        Transcript::read([fixture("sign_in_and_im.md"), fixture("presence_events.md")]).unwrap();
    let listed: Vec<String> = transcript
        .repairs()
        .map(|r| {
            format!(
                "{}:{}: {}",
                r.location.file.rsplit('/').next().unwrap(),
                r.location.line,
                r.kind.name()
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            "sign_in_and_im.md:48: elided-headers",
            "sign_in_and_im.md:51: body-without-blank-line",
            "sign_in_and_im.md:71: trailing-comma",
            "sign_in_and_im.md:86: elided-container",
            "sign_in_and_im.md:127: missing-quote",
            "sign_in_and_im.md:129: elision",
            "sign_in_and_im.md:155: implied-status-line",
            "sign_in_and_im.md:171: response-by-reference",
            "presence_events.md:32: served-as-text",
        ]
    );
    let shown = transcript
        .repairs()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        shown.contains(
            "sign_in_and_im.md:127: missing-quote: closed the string \"Connected\" at the line end"
        ),
        "{shown}"
    );
}

#[test]
fn pages_that_are_not_transcripts_give_no_steps_and_never_panic() {
    for text in [
        "",
        "# Title\n\nJust words.",
        "```\n\n```",
        "```\nHTTP/1.1 999999 Nope\n```",
        "```js\nvar a = 1;\n```",
        "```\nGET\n```",
        "```\nPOST https://[::1 HTTP/1.1\n\n{\n```",
    ] {
        let page = Page::parse("t.md", text);
        assert!(page.steps.iter().all(|s| s.request.is_some()), "{text:?}");
    }
    let oversized =
        std::env::temp_dir().join(format!("ucwa-mock-oversized-{}.md", std::process::id()));
    let file = std::fs::File::create(&oversized).unwrap();
    file.set_len(ucwa_mock::transcript::MAX_PAGE_BYTES + 1)
        .unwrap();
    let error = Transcript::read([&oversized]).unwrap_err().to_string();
    std::fs::remove_file(&oversized).unwrap();
    assert!(
        error.contains("ucwa-mock-oversized") && error.contains("more than a task page can be"),
        "{error}"
    );
    let missing = Transcript::read([fixture("no-such-page.md")])
        .unwrap_err()
        .to_string();
    assert!(missing.contains("no-such-page.md"), "{missing}");
}
