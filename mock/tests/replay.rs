//! Replays transcripts over real HTTP with a plain client: the mock accepts
//! each documented request and answers the documented status, headers and
//! body, with documented hosts rewritten to its own listeners and the
//! generated ids the page disagrees on made one (the client sends the ids it
//! was handed).

mod common;

use common::{
    client, config, expected_json, fixture, owned_steps, send_step, send_step_at, shared_tasks,
    with_local_hosts, IdsSeen,
};
use ucwa_mock::{Body, MockServer, StepKind, StepOutcome, Transcript};

/// Sends every step of `transcript` in order and checks each answer.
async fn replay_and_check(transcript: Transcript) -> MockServer {
    let mock = MockServer::start(transcript, config())
        .await
        .expect("the mock starts");
    let client = client();
    let steps = owned_steps(&mock);
    let mut ids = IdsSeen::default();
    for (id, step) in steps {
        let path = step
            .request
            .as_ref()
            .map(|request| ids.path(&request.target.path_and_query()))
            .unwrap_or_default();
        let answer = send_step_at(&client, &mock, &step, &path).await;
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let bytes = answer.bytes().await.expect("a body");
        let Some(response) = &step.response else {
            // Unless the schema says nothing comes back (see no_answers.md).
            assert!(
                status == 501 || (status == 204 && bytes.is_empty()),
                "{}: no documented response is answered 501, or a plain 204: {status}",
                step.location
            );
            continue;
        };
        assert_eq!(
            status,
            response.status,
            "{}: {}",
            step.location,
            String::from_utf8_lossy(&bytes)
        );
        match &response.body {
            Body::Json(documented) => {
                let served: serde_json::Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{}: served JSON: {e}", step.location));
                if let Err(difference) = ids.check_json(&served, &expected_json(&mock, documented))
                {
                    panic!("{}: {difference}", step.location);
                }
            }
            Body::Empty => assert!(bytes.is_empty(), "{}", step.location),
            Body::Text(text) | Body::Xml(text) => {
                assert_eq!(
                    String::from_utf8_lossy(&bytes),
                    with_local_hosts(&mock, text),
                    "{}",
                    step.location
                )
            }
            other => panic!("{}: unexpected documented body {other:?}", step.location),
        }
        for name in ["location", "www-authenticate"] {
            let documented = response
                .headers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| with_local_hosts(&mock, value))
                .collect::<Vec<_>>();
            let served = headers
                .get_all(name)
                .iter()
                .map(|value| value.to_str().expect("ASCII").to_string())
                .collect::<Vec<_>>();
            assert_eq!(served.len(), documented.len(), "{}: {name}", step.location);
            for (served, documented) in served.iter().zip(&documented) {
                if let Err(difference) = ids.check_href(served, documented) {
                    panic!("{}: {name}: {difference}", step.location);
                }
            }
        }
        assert_eq!(
            mock.outcome(id),
            Some(StepOutcome::Served),
            "{}",
            step.location
        );
    }
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    mock
}

#[tokio::test]
async fn every_shared_transcript_replays_with_its_documented_requests() {
    let Some(dir) = shared_tasks() else { return };
    let mut replayed = Vec::new();
    for page in common::pages_in(&dir) {
        let transcript = Transcript::read([&page]).expect("readable page");
        if transcript.steps().next().is_none() {
            continue;
        }
        let steps = transcript.steps().count();
        let mock = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            replay_and_check(transcript),
        )
        .await
        .expect("a replay ends in time");
        replayed.push((
            page.file_name().unwrap().to_string_lossy().into_owned(),
            steps,
        ));
        mock.shutdown().await;
    }
    let names: Vec<&str> = replayed.iter().map(|(name, _)| name.as_str()).collect();
    for expected in common::TASK_PAGES {
        assert!(
            names.contains(&expected),
            "{expected} was not replayed: {names:?}"
        );
    }
}

#[tokio::test]
async fn the_fixture_replays_and_its_hosts_are_distinct_loopback_listeners() {
    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let mock = replay_and_check(transcript).await;
    let hosts: Vec<&str> = mock.hosts().iter().map(|h| h.authority.as_str()).collect();
    assert_eq!(hosts, ["lyncdiscover.example.com", "pool.example.com"]);
    assert!(mock.hosts().iter().all(|h| h.local.ip().is_loopback()));
    assert_ne!(mock.hosts()[0].local, mock.hosts()[1].local);
    assert_eq!(
        mock.local_url("https://pool.example.com/ucwa/x"),
        format!("{}/ucwa/x", mock.hosts()[1].base_url)
    );
    let outcomes = mock.outcomes();
    assert_eq!(outcomes.len(), 10);
    assert!(outcomes
        .iter()
        .all(|(_, outcome)| *outcome == StepOutcome::Served));
    mock.shutdown().await;
}

#[tokio::test]
async fn a_request_at_the_wrong_host_is_a_mismatch() {
    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let mock = MockServer::start(transcript, config()).await.unwrap();
    // The discovery request belongs to lyncdiscover.example.com, not to the pool.
    let pool = mock.base_url("pool.example.com").unwrap().to_string();
    let answer = client().get(format!("{pool}/")).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let mismatches = mock.mismatches();
    assert_eq!(mismatches.len(), 1);
    assert_eq!(
        mismatches[0].differences[0].to_string(),
        "host: expected lyncdiscover.example.com, received pool.example.com"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn values_the_client_generates_are_tolerated_and_echoed_in_later_responses() {
    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let mock = MockServer::start(transcript, config()).await.unwrap();
    let client = client();
    let steps = owned_steps(&mock);
    // Perform everything up to starting the conversation as documented.
    let start = steps
        .iter()
        .position(|(_, step)| {
            step.summary()
                .ends_with("/communication/messagingInvitations")
        })
        .unwrap();
    for (_, step) in &steps[..start] {
        send_step(&client, &mock, step).await;
    }
    let request = steps[start].1.request.as_ref().unwrap();
    let answer = client
        .post(common::url_for(&mock, request))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Authorization", "Bearer my-own-token")
        .body(r#"{"OperationId":"11111111-2222-3333-4444-555555555555","to":"sip:bob@example.com","subject":"Fixture","sessionContext":"my-session"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
    let (event_id, event) = &steps[start + 1];
    assert_eq!(event.kind, StepKind::Event);
    let events: serde_json::Value = serde_json::from_slice(
        &send_step(&client, &mock, event)
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(mock.outcome(*event_id), Some(StepOutcome::Served));
    let operation = events.pointer("/sender/0/events/0/_embedded/messagingInvitation/operationId");
    assert_eq!(
        operation.and_then(|v| v.as_str()),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    mock.shutdown().await;
}

/// A step the page shows no answer for gets a plain `204 No Content` where
/// the schema's operation on the href's resource documents no response body
/// (leaving a conversation), and `501 ResponseNotDocumented` where it would
/// have to make a body up (reading presence).
#[tokio::test]
async fn a_step_with_no_answer_gets_the_schemas_plain_default_or_501() {
    let transcript = Transcript::read([fixture("no_answers.md")]).expect("the fixture");
    let mock = MockServer::start(transcript, config())
        .await
        .expect("the mock starts");
    let client = client();
    let mut answers = Vec::new();
    for (_, step) in owned_steps(&mock) {
        let answer = send_step(&client, &mock, &step).await;
        let status = answer.status().as_u16();
        let body = answer.text().await.expect("a body");
        answers.push((
            step.summary(),
            status,
            body.contains("ResponseNotDocumented"),
        ));
    }
    assert_eq!(
        answers,
        vec![
            (
                "DELETE /ucwa/oauth/v1/applications/101/communication/conversations/c0ffee42"
                    .to_string(),
                204,
                false
            ),
            (
                "GET /ucwa/oauth/v1/applications/101/me/presence".to_string(),
                501,
                true
            ),
        ]
    );
    mock.shutdown().await;
}
