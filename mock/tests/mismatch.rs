//! Mismatches: a wrong body or path is answered `400` with a UCWA error body
//! naming the page, the line, what was expected and what was received; it is
//! in the mock's list. (Tracing and credentials: `redaction.rs`.)

mod common;

use common::{client, config, fixture, send_step, url_for};
use ucwa_mock::{MockServer, StepOutcome, Transcript};

async fn start(page: &str) -> MockServer {
    let transcript = Transcript::read([fixture(page)]).unwrap();
    MockServer::start(transcript, config()).await.unwrap()
}

#[tokio::test]
async fn a_wrong_body_gets_expected_versus_received_with_file_and_line() {
    let mock = start("presence_events.md").await;
    let step = mock.transcript().pages()[0].steps[0].clone();
    let url = url_for(&mock, step.request.as_ref().unwrap());
    let answer = client()
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer t")
        .body(r#"{"SupportedModalities":["Audio"],"signInAs":"Online"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "BadRequest");
    assert_eq!(body["subcode"], "TranscriptMismatch");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("presence_events.md:4: expected POST /ucwa/v1/applications/1/me/makeMeAvailable, received POST /ucwa/v1/applications/1/me/makeMeAvailable"), "{message}");
    assert!(
        message
            .ends_with("body.SupportedModalities[0]: expected \"Messaging\", received \"Audio\""),
        "{message}"
    );
    assert_eq!(
        body["debugInfo"]["differences"],
        serde_json::json!([
            "body.SupportedModalities[0]: expected \"Messaging\", received \"Audio\""
        ])
    );
    let mismatches = mock.mismatches();
    assert_eq!(mismatches.len(), 1);
    assert_eq!(mismatches[0].expected_at.as_ref().unwrap().line, 4);
    // The step is still expected: the documented request is accepted next.
    let (id, _) = mock.transcript().steps().next().unwrap();
    assert_eq!(mock.outcome(id), Some(StepOutcome::Pending));
    assert_eq!(send_step(&client(), &mock, &step).await.status(), 204);
    assert_eq!(mock.outcome(id), Some(StepOutcome::Served));
    mock.shutdown().await;
}

#[tokio::test]
async fn a_wrong_path_or_method_and_a_request_past_the_end_are_mismatches() {
    let mock = start("presence_events.md").await;
    let base = mock.hosts()[0].base_url.clone();
    let answer = client()
        .post(format!(
            "{base}/ucwa/v1/applications/1/me/makeMeUnavailable"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let answer = client()
        .delete(format!("{base}/ucwa/v1/applications/1/me/makeMeAvailable"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let shown: Vec<Vec<String>> = mock
        .mismatches()
        .iter()
        .map(|m| m.differences.iter().map(|d| d.at.clone()).collect())
        .collect();
    assert_eq!(
        shown,
        vec![
            vec![
                "path".to_string(),
                "header Authorization".into(),
                "header Content-Type".into(),
                "body".into()
            ],
            vec![
                "method".to_string(),
                "header Authorization".into(),
                "header Content-Type".into(),
                "body".into()
            ],
        ]
    );
    // Skip to the last step and serve it; anything after that is past the end.
    let last = mock
        .transcript()
        .steps()
        .last()
        .map(|(id, step)| (id, step.clone()))
        .unwrap();
    assert!(mock.expect(last.0));
    let answer = client()
        .post(url_for(&mock, last.1.request.as_ref().unwrap()))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer t")
        .body(r#"{"message":   @@@@@@, "b": ######, "c": !!!!!!, "d": %%%%%%}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        204,
        "a body served as text is compared as text"
    );
    let answer = client()
        .get(format!("{base}/ucwa/v1/applications/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let last_mismatch = mock.mismatches().pop().unwrap();
    assert_eq!(last_mismatch.step, None);
    assert!(
        last_mismatch
            .to_string()
            .starts_with("expected no further request"),
        "{last_mismatch}"
    );
    mock.shutdown().await;
}

/// Empty matches empty: a JSON body sent where the page sends none is a
/// mismatch, and the documented empty request is served.
#[tokio::test]
async fn a_body_where_the_page_sends_none_is_a_mismatch() {
    let mock = start("bodyless_posts.md").await;
    let steps = common::owned_steps(&mock);
    let at = steps
        .iter()
        .position(|(_, step)| {
            step.request.as_ref().is_some_and(|request| {
                request
                    .target
                    .path_and_query()
                    .ends_with("/me/note?message=")
            })
        })
        .expect("the reset step");
    let url = url_for(&mock, steps[at].1.request.as_ref().unwrap());
    for (id, step) in &steps[..at] {
        let status = send_step(&client(), &mock, step).await.status();
        assert!(status.is_success(), "{id:?}: {status}");
    }
    let answer = client()
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer t")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let differences = &mock.mismatches()[0].differences;
    assert!(
        differences
            .iter()
            .any(|d| d.to_string().contains("expected no body")),
        "{differences:?}"
    );
    let answer = client()
        .post(&url)
        .header("Authorization", "Bearer t")
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    mock.shutdown().await;
}
