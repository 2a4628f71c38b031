//! `ucwa-mock conform`: ucwa-client driven through every documented request
//! with the typed operations, against the mock over loopback.
//!
//! Our own pages always run: `conform_flow.md` (one of each kind of step,
//! every one ok) and `conform_findings.md` (every way a step is not ok). The
//! shared task pages run when `../shared/ucwa-tasks` is there: each page on
//! its own and CreateAnApplication followed by the task pages as one flow,
//! every step ok but the ones [`NOT_OK`] lists with their reasons.

mod common;

use common::{fixture, pages_in, shared_tasks, FLOW_AFTER_SIGN_IN, RENDERINGS, TASK_PAGES};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use ucwa_mock::conform::{conform, Report, Verdict};
use ucwa_mock::{Page, Transcript};

const NO_RESPONSE: &str = "skipped: the page documents no response to check, and it comes before the client's sign-in, which starts at line 233";

/// The steps of the shared pages that are not ok, with why (the README lists them too).
const NOT_OK: [(&str, &str); 8] = [
    // The renewal with ms_rtc_renew: the page shows no answer.
    ("AuthenticationInUCWA.md:241", "ok (no documented answer)"),
    // Azure AD's authorize endpoint (a browser's job) and the discovery
    // requests whose answers the page gives in words.
    ("AuthenticationUsingAzureAD.md:56", NO_RESPONSE),
    ("AuthenticationUsingAzureAD.md:75", NO_RESPONSE),
    ("AuthenticationUsingAzureAD.md:84", NO_RESPONSE),
    ("AuthenticationUsingAzureAD.md:113", NO_RESPONSE),
    // The token response shown as a body under it is its answer, so the
    // step is judged as a request outside the client's sign-in.
    ("AuthenticationUsingAzureAD.md:129", "skipped: not a request of the client's sign-in, which starts at line 233 (the pages show no discovery root with a `user` link, so it is given the applications URL)"),
    // With no root shown, the client's discovery has nowhere to start: it is
    // given the applications URL, so it never reads the user resource.
    ("AuthenticationUsingAzureAD.md:196", "skipped: not a request of the client's sign-in, which starts at line 233 (the pages show no discovery root with a `user` link, so it is given the applications URL)"),
    // The batch is accepted; the page shows no answer to it.
    ("GroupingRequestsInABatch.md:22", "ok (no documented answer)"),
];

/// Runs the pages, bounded; the report.
async fn run(pages: &[PathBuf]) -> Report {
    tokio::time::timeout(Duration::from_secs(90), conform(pages))
        .await
        .expect("the run ends in time")
        .expect("the run starts")
}

/// `file:line` (the file name only) and the verdict as the report prints it.
fn not_ok(report: &Report) -> Vec<(String, String)> {
    report
        .steps
        .iter()
        .filter(|step| step.verdict != Verdict::Ok)
        .map(|step| {
            let line = step.to_string();
            let verdict = line
                .split_once(": ")
                .map(|(_, verdict)| verdict.to_string())
                .unwrap_or_default();
            let file = Path::new(&*step.location.file)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            (format!("{file}:{}", step.location.line), verdict)
        })
        .collect()
}

fn expected(pages: &[&str]) -> Vec<(String, String)> {
    NOT_OK
        .iter()
        .filter(|(at, _)| pages.iter().any(|page| at.starts_with(&format!("{page}:"))))
        .map(|(at, verdict)| (at.to_string(), verdict.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_step_of_our_flow_is_ok() {
    let report = run(&[fixture("conform_flow.md")]).await;
    assert_eq!(not_ok(&report), Vec::<(String, String)>::new());
    assert_eq!(report.steps.len(), 18);
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(report.summary(), "conformance: 18/18 steps ok");
    let lines: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert!(
        lines[0].ends_with("conform_flow.md:17 GET /: ok"),
        "{}",
        lines[0]
    );
    assert!(
        lines[11]
            .ends_with("conform_flow.md:211 GET /ucwa/oauth/v1/applications/11/events?ack=1: ok"),
        "{}",
        lines[11]
    );
}

/// A POST sent with no body (`Content-Length: 0`, the parameters in the
/// query) is driven as `post_empty()`: the client sends no body and no
/// `Content-Type`, and the mock matches the empty body to the documented one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bodyless_post_is_sent_empty_and_matched_empty() {
    let report = run(&[fixture("bodyless_posts.md")]).await;
    assert_eq!(not_ok(&report), Vec::<(String, String)>::new());
    assert_eq!(report.summary(), "conformance: 3/3 steps ok");
    let last = report.steps.last().expect("steps").to_string();
    assert!(
        last.ends_with(
            "bodyless_posts.md:72 POST /ucwa/oauth/v1/applications/101/me/note?message=: ok"
        ),
        "{last}"
    );
}

/// Answers written every way the task pages write them (in words, with the
/// status line twice, as headers alone, as a body alone, as an empty block)
/// are each read as the answer they stand for, with the repair named; a
/// step with no answer at all is `ok (no documented answer)` because the
/// mock took its request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_as_the_pages_write_them_are_read_and_named() {
    let path = fixture("answers_as_written.md");
    let report = run(std::slice::from_ref(&path)).await;
    assert_eq!(
        not_ok(&report),
        vec![(
            "answers_as_written.md:114".to_string(),
            "ok (no documented answer)".to_string()
        )]
    );
    assert_eq!(
        report.summary(),
        "conformance: 6/6 steps ok (1 with no documented answer)"
    );
    let page = Page::read(&path).expect("the fixture");
    let named: Vec<(usize, &str)> = page
        .repairs
        .iter()
        .map(|repair| (repair.location.line, repair.kind.name()))
        .collect();
    assert_eq!(
        named,
        [
            (25, "response-in-words"),
            (40, "repeated-start-line"),
            (76, "implied-status-line"),
            (91, "implied-status-line"),
            (109, "implied-status-line"),
        ]
    );
    let statuses: Vec<Option<u16>> = page
        .steps
        .iter()
        .map(|step| step.response.as_ref().map(|response| response.status))
        .collect();
    assert_eq!(
        statuses,
        [Some(204), Some(200), Some(204), Some(200), Some(204), None]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_starts_in_the_middle_of_a_flow_is_driven_by_href_shapes() {
    // A DELETE no step links to (its resource from the href's shape in the
    // samples, not from its last segment `a17c9e03`), an answer shown with no
    // request (served to a GET of its own `self`), and a request under
    // `/ucwa/oauth/v1/` for a resource served as `/ucwa/v1/`.
    let path = fixture("mid_flow.md");
    let report = run(std::slice::from_ref(&path)).await;
    assert_eq!(not_ok(&report), Vec::<(String, String)>::new());
    assert_eq!(report.summary(), "conformance: 3/3 steps ok");
    let page = Page::read(&path).expect("the fixture");
    let named: Vec<(usize, &str)> = page
        .repairs
        .iter()
        .map(|repair| (repair.location.line, repair.kind.name()))
        .collect();
    assert_eq!(
        named,
        [
            (22, "response-in-words"),
            (30, "request-from-self"),
            (54, "response-in-words"),
        ]
    );
    let requests: Vec<String> = page.steps.iter().map(|step| step.summary()).collect();
    assert_eq!(
        requests,
        [
            "DELETE /ucwa/oauth/v1/applications/101/communication/conversations/a17c9e03",
            "GET /ucwa/v1/applications/101/communication/conversations/b8e5a1c2",
            "DELETE /ucwa/oauth/v1/applications/101/communication/conversations/b8e5a1c2",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_href_of_several_resources_shape_is_sent_as_the_schema_allows() {
    // `people/{id}` is a contact, a `to`, a `delegator`, … in the samples,
    // and neither a link nor the answer names which. Their GETs are one and
    // the same request, so it is sent and its answer read as any of them;
    // its links are then followed; a DELETE none of them has is a skip
    // that names them all.
    let path = fixture("contact_by_href.md");
    let report = run(std::slice::from_ref(&path)).await;
    let lines: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert_eq!(report.summary(), "conformance: 2/3 steps ok", "{lines:#?}");
    let (location, why) = not_ok(&report).pop().expect("the DELETE");
    assert!(location.ends_with("contact_by_href.md:70"), "{location}");
    for rel in ["contact", "to", "delegator", "acceptedByContact"] {
        assert!(
            why.contains(&format!("`{rel}` documents no DELETE operation")),
            "{why}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_ok_is_a_mismatch_or_skipped_with_the_reason() {
    let report = run(&[fixture("conform_findings.md")]).await;
    let found = not_ok(&report);
    let expected: [(&str, &str); 10] = [
        ("conform_findings.md:9", "mismatch: the documented body does not decode into the typed body: the POST body of `startMessaging` does not decode as the request body (at `to`)"),
        ("conform_findings.md:24", "mismatch: the answer does not decode: 200 OK: the body is not me: JSON body: `name`"),
        ("conform_findings.md:38", "mismatch: conform_findings.md:38: expected GET /ucwa/v1/applications/3/people/contacts, received GET /ucwa/v1/applications/3/people/contacts; header Authorization: expected Basic …, received Bearer …"),
        ("conform_findings.md:52", "ok (no documented answer)"),
        ("conform_findings.md:66", "skipped: no typed operation for it: `me` documents no OPTIONS operation"),
        ("conform_findings.md:77", "skipped: UCWA documents no PATCH operation"),
        ("conform_findings.md:88", "skipped: no served link leads to it, its answer names no rel, and no sample or page shows an href of its shape"),
        ("conform_findings.md:102", "skipped: the documented body is damaged beyond repair"),
        ("conform_findings.md:116", "mismatch: the embedded note does not decode: JSON body: `message`"),
        ("conform_findings.md:131", "mismatch: the answer has a body (54 bytes) but no Content-Type"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((at, verdict), (expected_at, expected_verdict)) in found.iter().zip(expected) {
        assert_eq!(at, expected_at);
        // Mismatches quote the page by the path given: compare from the file name on.
        let verdict = verdict.replace(&fixture("").display().to_string(), "");
        assert!(
            verdict.starts_with(expected_verdict),
            "{at}: {verdict}\nexpected it to start with: {expected_verdict}"
        );
    }
    assert_eq!(
        report.summary(),
        "conformance: 2/11 steps ok (1 with no documented answer)"
    );
    assert_eq!(report.notes.len(), 1);
    assert!(
        report.notes[0].starts_with("the pages create no application: the client signs in with the run's own `POST applications` (POST /ucwa/v1/applications)"),
        "{}",
        report.notes[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_task_pages_conform_but_for_the_listed_steps() {
    let Some(dir) = shared_tasks() else { return };
    let with_transcript: Vec<PathBuf> = pages_in(&dir)
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("the page");
            !Page::parse(&path.display().to_string(), &text)
                .steps
                .is_empty()
        })
        .collect();
    let names: Vec<String> = with_transcript
        .iter()
        .filter_map(|path| Some(path.file_name()?.to_string_lossy().into_owned()))
        .collect();
    for page in TASK_PAGES {
        assert!(
            names.iter().any(|name| name == page),
            "{page}: no transcript found"
        );
    }
    // Each page on its own, as `ucwa-mock conform PAGE...` runs them.
    let (mut ok, mut steps, mut without) = (0, 0, 0);
    for (path, page) in with_transcript.iter().zip(&names) {
        let report = run(std::slice::from_ref(path)).await;
        assert_eq!(not_ok(&report), expected(&[page.as_str()]), "{page}");
        assert!(!report.steps.is_empty(), "{page}");
        ok += report.ok();
        steps += report.steps.len();
        without += report.ok_without_answer();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .arg("conform")
        .args(pages_in(&dir))
        .output()
        .expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let step_lines = stdout
        .lines()
        .filter(|line| !line.starts_with("note: ") && !line.starts_with("conformance: "))
        .count();
    assert_eq!(step_lines, steps, "one line per step:\n{stdout}");
    let summary =
        format!("conformance: {ok}/{steps} steps ok ({without} with no documented answer)");
    assert_eq!(stdout.lines().last(), Some(summary.as_str()), "{stdout}");
    assert_eq!(
        output.status.code(),
        Some(i32::from(ok != steps)),
        "{stdout}"
    );

    // CreateAnApplication and the tasks after it, as one flow.
    let mut flow = vec![dir.join("CreateAnApplication.md")];
    flow.extend(FLOW_AFTER_SIGN_IN.iter().map(|page| dir.join(page)));
    let report = run(&flow).await;
    assert_eq!(not_ok(&report), expected(&FLOW_AFTER_SIGN_IN));
    assert_eq!(
        report.summary(),
        "conformance: 34/34 steps ok (1 with no documented answer)"
    );
    assert!(report.notes.is_empty());
    // The command runs them as one only when asked to.
    let output = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .args(["conform", "--flow"])
        .args(&flow)
        .output()
        .expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("conformance: 34/34 steps ok (1 with no documented answer)"),
        "{stdout}"
    );
}

fn command(pages: &[impl AsRef<std::ffi::OsStr>]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .arg("conform")
        .args(pages)
        .env("RUST_LOG", "trace")
        .output()
        .expect("the command runs")
}

#[test]
fn the_command_prints_a_line_per_step_and_exits_by_the_count() {
    let output = command(&[fixture("conform_flow.md")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 19, "{stdout}");
    assert_eq!(lines[18], "conformance: 18/18 steps ok");
    for line in &lines[..18] {
        assert!(
            line.contains("conform_flow.md:") && line.ends_with(": ok"),
            "{line}"
        );
    }
    // The password and the tokens are the page's; neither is ever printed,
    // whatever the log level.
    for secret in ["fixture-secret-3", "cwt=AAEB", "ucwa-mock-conform-token"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed"
        );
    }

    let output = command(&[fixture("conform_findings.md")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    // Run on its own, the page is named in its notes.
    assert!(
        stdout.starts_with("note: ")
            && stdout.lines().next().is_some_and(|line| {
                line.contains("conform_findings.md: the pages create no application")
            }),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("conformance: 2/11 steps ok (1 with no documented answer)")
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.contains(": skipped: "))
            .count(),
        4
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.contains(": mismatch: "))
            .count(),
        5
    );

    // A page that documents nothing, and one that is not there: the run cannot start.
    let dir = tempfile_dir();
    let empty = dir.join("prose.md");
    std::fs::write(&empty, "# Nothing here\n\nOnly words.\n").expect("written");

    // Every page on its own (the default, and what the old `--each` asked
    // for); a page with no transcript is noted, not run.
    let output = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .arg("conform")
        .arg(fixture("conform_flow.md"))
        .arg(&empty)
        .output()
        .expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let notes: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("note: "))
        .collect();
    assert_eq!(notes.len(), 1, "{stdout}");
    assert!(
        notes[0].ends_with("prose.md: no request or event documented: not run"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("conformance: 18/18 steps ok"));
    let old_each = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"))
        .args(["conform", "--each"])
        .arg(fixture("conform_flow.md"))
        .arg(&empty)
        .output()
        .expect("the command runs");
    assert_eq!(old_each.stdout, output.stdout, "--each is the default now");
    let flow = std::ffi::OsString::from("--flow");
    for pages in [
        vec![empty.clone().into_os_string()],
        vec![dir.join("missing.md").into_os_string()],
        vec![flow.clone(), empty.into_os_string()],
        vec![flow, dir.join("missing.md").into_os_string()],
    ] {
        let output = command(&pages);
        assert_eq!(output.status.code(), Some(2));
        // No step and no count; a page left out is noted.
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.lines().all(|line| line.starts_with("note: ")),
            "{stdout}"
        );
        assert!(String::from_utf8_lossy(&output.stderr).starts_with("error: "));
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ucwa-mock-conform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Pages no one wrote for the run: they end in bounded time, every step
/// reported, nothing panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_pages_end_in_time_with_every_step_reported() {
    let flow = std::fs::read_to_string(fixture("conform_flow.md")).expect("the fixture");
    let findings = std::fs::read_to_string(fixture("conform_findings.md")).expect("the fixture");
    let steps_of = |text: &str| Page::parse("p.md", text).steps.len();
    let events_first: String = flow
        .split("12. The event channel.")
        .nth(1)
        .map(|rest| format!("{rest}\n{flow}"))
        .unwrap_or_default();
    let pages = [
        // Two sign-ins, the second one's requests after the first's application.
        format!("{flow}\n{flow}"),
        // Events and commands before any sign-in.
        events_first,
        // The findings after a sign-in of the page's own.
        format!("{flow}\n{findings}"),
        // Requests only, no responses at all.
        flow.lines()
            .filter(|line| !line.trim_start().starts_with("HTTP/1.1"))
            .collect::<Vec<_>>()
            .join("\n"),
        // Absolute junk around one request.
        "```\nGET /x HTTP/1.1\n```\n\n```\n{{{{\n```\n\n```\nHTTP/1.1 999 What\n```\n".to_string(),
    ];
    for text in pages {
        let transcript = Transcript::from_pages(vec![Page::parse("p.md", &text)]);
        let steps = steps_of(&text);
        let report =
            tokio::time::timeout(Duration::from_secs(90), ucwa_mock::conform::run(transcript))
                .await
                .expect("the run ends in time")
                .expect("the run starts");
        assert_eq!(
            report.steps.len(),
            steps,
            "every step reported once:\n{text}"
        );
    }
}

/// Issue 19 (5): the same page gives the same report on every run, whatever
/// the scheduling of the event channel against the commands: 50 runs of
/// each page with events, and of the page that starts in the middle of a
/// flow, each report equal to the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_page_gives_the_same_report_fifty_times() {
    const RUNS: usize = 50;
    for name in [
        "conform_flow.md",
        "presence_events.md",
        "mid_flow.md",
        "contact_by_href.md",
    ] {
        let page = [fixture(name)];
        let first = run(&page).await;
        let shown = |report: &Report| -> Vec<String> {
            let mut lines: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
            lines.push(report.summary());
            lines
        };
        let expected = shown(&first);
        for attempt in 1..RUNS {
            let again = run(&page).await;
            assert_eq!(
                shown(&again),
                expected,
                "{name}: run {} of {RUNS} differs",
                attempt + 1
            );
        }
    }
}

/// Other renderings of the same pages (issue 19: the class, not the page):
/// each shared page with its hrefs written under the other scheme
/// (`/ucwa/v1/` for `/ucwa/oauth/v1/`), with its `200 OK` status lines
/// dropped, and started in the middle (its first two blocks removed). The
/// first two give the same verdicts as the page; none gives a mismatch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_renderings_of_the_shared_pages_conform_alike() {
    let Some(dir) = shared_tasks() else { return };
    let work = tempfile::tempdir().expect("tempdir");
    let mut figures = Vec::new();
    for (name, render) in RENDERINGS {
        let (mut ok, mut steps, mut mismatches) = (0, 0, Vec::new());
        for page in TASK_PAGES {
            let text = std::fs::read_to_string(dir.join(page)).expect("the page");
            let variant = work.path().join(format!("{name}-{page}"));
            let rendered = render(&text);
            if Page::parse(page, &rendered).steps.is_empty() {
                continue; // A short page started in the middle has nothing left.
            }
            std::fs::write(&variant, rendered).expect("the variant");
            let report = run(std::slice::from_ref(&variant)).await;
            if name != "mid-flow" {
                // Lines move when lines are dropped: compare without numbers.
                let unnumbered = |verdict: String| -> String {
                    verdict.chars().filter(|c| !c.is_ascii_digit()).collect()
                };
                let verdicts: Vec<String> = not_ok(&report)
                    .into_iter()
                    .map(|(_, v)| unnumbered(v))
                    .collect();
                let original: Vec<String> = expected(&[page])
                    .into_iter()
                    .map(|(_, v)| unnumbered(v))
                    .collect();
                assert_eq!(verdicts, original, "{name} of {page}");
            }
            mismatches.extend(
                report
                    .steps
                    .iter()
                    .filter(|step| matches!(step.verdict, Verdict::Mismatch(_)))
                    .map(|step| format!("{name}: {step}")),
            );
            ok += report.ok();
            steps += report.steps.len();
        }
        figures.push(format!("{name}: {ok}/{steps} ok"));
        assert_eq!(mismatches, Vec::<String>::new());
    }
    println!("{}", figures.join("; "));
}
