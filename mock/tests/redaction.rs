//! Credentials are never printed: not in tracing, not in the error body, not
//! in the mismatch list. Its own test binary, so the global tracing
//! subscriber sees every event of this one test and nothing else.

mod common;

use common::{client, config, fixture, send_step, url_for};
use std::io::Write;
use std::sync::{Arc, Mutex};
use ucwa_mock::{MockServer, Transcript};

/// Collects what tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_and_tokens_are_never_printed() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber of this binary");

    let transcript = Transcript::read([fixture("sign_in_and_im.md")]).unwrap();
    let mock = MockServer::start(transcript, config()).await.unwrap();
    let steps: Vec<_> = mock.transcript().steps().map(|(_, s)| s.clone()).collect();
    for step in &steps[..2] {
        send_step(&client(), &mock, step).await;
    }
    let token = steps[2].request.as_ref().unwrap();
    let answer = client()
        .post(url_for(&mock, token))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", "Bearer bearer-token-never-shown")
        .body("grant_type=password&username=alice@example.com&password=password-never-shown")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let error_body = answer.text().await.unwrap();
    let mismatch = mock.mismatches()[0].to_string();
    assert_eq!(
        mismatch,
        format!("{}:46: expected POST /WebTicket/oauthtoken, received POST /WebTicket/oauthtoken; body.password: expected \"<redacted>\", received \"<redacted>\"", steps[2].location.file)
    );
    mock.shutdown().await;

    // Issue 21: an Authorization value with no scheme, and a JSON or form
    // body compared with a documented text body, were printed whole.
    let transcript = Transcript::read([fixture("text_message.md")]).unwrap();
    let mock = MockServer::start(transcript, config()).await.unwrap();
    let step = mock.transcript().steps().next().unwrap().1.clone();
    let message = step.request.as_ref().unwrap();
    let mut error_bodies = vec![error_body];
    let sent = [
        (
            "application/json",
            "s3cret-no-scheme-never-shown",
            r#"{"access_token":"json-token-never-shown","message":"hi"}"#.to_string(),
        ),
        (
            "application/x-www-form-urlencoded",
            "Bearer cwt=header-token-never-shown",
            "grant_type=password&password=form-password-never-shown".to_string(),
        ),
        (
            "application/xml",
            "Bearer x",
            "<input><password>xml-password-never-shown</password></input>".to_string(),
        ),
    ];
    for (content_type, authorization, body) in sent {
        let answer = client()
            .post(url_for(&mock, message))
            .header("Content-Type", content_type)
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{content_type}");
        error_bodies.push(answer.text().await.unwrap());
    }
    let mismatches: Vec<String> = mock.mismatches().iter().map(ToString::to_string).collect();
    assert_eq!(mismatches.len(), 3, "{mismatches:#?}");
    assert!(
        mismatches.iter().all(|m| m.contains("<redacted>")),
        "{mismatches:#?}"
    );
    mock.shutdown().await;
    let mismatch = [mismatch, mismatches.join("\n")].join("\n");
    let error_body = error_bodies.join("\n");
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("sign_in_and_im.md:46"),
        "the mismatch is traced: {log}"
    );
    for secret in [
        "password-never-shown",
        "bearer-token-never-shown",
        "fixture-secret-1",
        "s3cret-no-scheme-never-shown",
        "json-token-never-shown",
        "header-token-never-shown",
        "form-password-never-shown",
        "xml-password-never-shown",
    ] {
        for (what, text) in [
            ("log", &log),
            ("error body", &error_body),
            ("mismatch", &mismatch),
        ] {
            assert!(
                !text.contains(secret),
                "{secret} printed in the {what}: {text}"
            );
        }
    }
}
