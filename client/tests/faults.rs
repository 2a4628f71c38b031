//! Faults and the rest of the request surface against the fake server:
//! 5xx with bounded retries, a stalled server, a dropped connection,
//! truncated, oversized and non-UCWA bodies, batches, and diagnostics that
//! never show a secret.

mod common;

use common::{bounded, builder, Fake, Reply, APP, PASSWORD};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ucwa_client::{Error, Limits, Session, TransportErrorKind};
use ucwa_runtime::SyncError;

fn get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path).body(Vec::new()).expect("request")
}

async fn signed_in(fake: &Fake) -> Session {
    builder(fake).sign_in().await.expect("signs in")
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    bounded(async {
        let fake = Fake::start().await;
        let session = signed_in(&fake).await;
        let path = format!("{APP}/people/contacts");
        // Two 503s, then success: three attempts.
        fake.push("GET", &path, Reply::error(503, "ServiceUnavailable", ""));
        fake.push("GET", &path, Reply::status(502));
        fake.push("GET", &path, Reply::Json(200, json!({"rel": "myContacts"})));
        let response = session.send(get(&path)).await.expect("third time lucky");
        assert_eq!(response.status(), 200);
        assert_eq!(fake.requests_to("GET", &path).len(), 3);

        // 500 every time: the last one is the error, after exactly three attempts.
        for _ in 0..3 {
            fake.push(
                "GET",
                &path,
                Reply::error(500, "ServiceFailure", "ServiceTimeout"),
            );
        }
        let error = session.send(get(&path)).await.expect_err("gives up");
        let http = error.http().expect("an HTTP error");
        assert_eq!(http.status, 500);
        assert_eq!(
            http.code().map(|code| code.as_str()),
            Some("ServiceFailure")
        );
        assert_eq!(fake.requests_to("GET", &path).len(), 6);

        // A POST is not repeated after a 500 (the server may have acted on it)...
        let post = format!("{APP}/communication/messagingInvitations");
        fake.push("POST", &post, Reply::error(500, "ServiceFailure", ""));
        let request = http::Request::post(post.as_str())
            .body(b"{}".to_vec())
            .expect("request");
        assert_eq!(
            session
                .send(request)
                .await
                .expect_err("500")
                .status()
                .map(|s| s.as_u16()),
            Some(500)
        );
        assert_eq!(fake.requests_to("POST", &post).len(), 1);
        // ... but is after a 429 or 503, which say it was not processed.
        fake.push(
            "POST",
            &post,
            Reply::Raw {
                status: 429,
                headers: vec![("retry-after", "0".into())],
                body: Vec::new(),
            },
        );
        fake.push(
            "POST",
            &post,
            Reply::Raw {
                status: 204,
                headers: vec![],
                body: Vec::new(),
            },
        );
        let request = http::Request::post(post.as_str())
            .body(b"{}".to_vec())
            .expect("request");
        assert_eq!(session.send(request).await.expect("retried").status(), 204);
        assert_eq!(fake.requests_to("POST", &post).len(), 3);

        // Client errors are not retried, and carry the documented error when asked.
        static ERRORS: &[SyncError] = &[SyncError {
            error: "Conflict",
            code: Some(409),
            subcode: "AlreadyExists",
        }];
        fake.push("GET", &path, Reply::error(409, "Conflict", "AlreadyExists"));
        let error = session
            .send_documented(get(&path), ERRORS)
            .await
            .expect_err("409");
        assert_eq!(
            error
                .http()
                .and_then(|http| http.documented)
                .map(|e| e.subcode),
            Some("AlreadyExists")
        );
        assert_eq!(fake.requests_to("GET", &path).len(), 7);
    })
    .await;
}

#[tokio::test]
async fn a_stalled_server_is_a_timeout() {
    bounded(async {
        let fake = Fake::start().await;
        let mut timeouts = common::fast_timeouts();
        timeouts.request = Duration::from_millis(300);
        let session = builder(&fake)
            .timeouts(timeouts)
            .sign_in()
            .await
            .expect("signs in");
        let path = format!("{APP}/me/presence");
        for _ in 0..3 {
            fake.push("GET", &path, Reply::Stall);
        }
        let started = tokio::time::Instant::now();
        let error = session.send(get(&path)).await.expect_err("stalls");
        assert!(error.is_timeout(), "{error}");
        assert!(error.to_string().contains("/me/presence"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bounded: {:?}",
            started.elapsed()
        );
        assert_eq!(fake.requests_to("GET", &path).len(), 3, "retried, bounded");
    })
    .await;
}

#[tokio::test]
async fn dropped_truncated_oversized_and_foreign_bodies_are_clear_errors() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake)
            .limits(Limits {
                max_body_bytes: 64 * 1024,
                ..Limits::default()
            })
            .retry(ucwa_client::RetryPolicy::NONE)
            .sign_in()
            .await
            .expect("signs in");
        let path = format!("{APP}/me/note");

        // The connection breaks in the middle of the body.
        fake.push("GET", &path, Reply::Cut(b"{\"message\":\"half".to_vec()));
        match session.send(get(&path)).await {
            Err(Error::Transport { kind, .. }) => assert_eq!(kind, TransportErrorKind::Body),
            other => panic!("expected a transport error, got {other:?}"),
        }

        // Too large, announced by Content-Length: refused before reading.
        fake.push(
            "GET",
            &path,
            Reply::Raw {
                status: 200,
                headers: vec![],
                body: vec![b' '; 200 * 1024],
            },
        );
        assert!(matches!(
            session.send(get(&path)).await,
            Err(Error::BodyTooLarge { limit: 65536, .. })
        ));
        // Too large, chunked (no length): stopped at the limit.
        fake.push("GET", &path, Reply::Cut(vec![b'x'; 100 * 1024]));
        assert!(matches!(
            session.send(get(&path)).await,
            Err(Error::BodyTooLarge { .. })
        ));

        // Truncated JSON or HTML where the application resource should be.
        fake.push(
            "GET",
            APP,
            Reply::Raw {
                status: 200,
                headers: vec![],
                body: br#"{"_links":{"self""#.to_vec(),
            },
        );
        assert!(matches!(
            session.refresh_application().await,
            Err(Error::Decode { .. })
        ));
        fake.push(
            "GET",
            APP,
            Reply::Raw {
                status: 200,
                headers: vec![("content-type", "text/html".into())],
                body: b"<html>captive portal</html>".to_vec(),
            },
        );
        let error = session.refresh_application().await.expect_err("not UCWA");
        assert!(
            matches!(
                error,
                Error::Decode {
                    expected: "the application resource",
                    ..
                }
            ),
            "{error}"
        );

        // An error status with an HTML body: the status, and no UCWA body.
        fake.push(
            "GET",
            &path,
            Reply::Raw {
                status: 502,
                headers: vec![],
                body: b"<html>Bad Gateway</html>".to_vec(),
            },
        );
        let error = session.send(get(&path)).await.expect_err("502");
        assert!(error
            .http()
            .is_some_and(|http| http.status == 502 && http.body.is_none()));

        // Nothing listens: a connection error, and the session still works.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("address")
        };
        let error = Session::builder("lenea@contoso.com")
            .password(PASSWORD)
            .applications_url(format!("http://{closed}/ucwa/applications"))
            .timeouts(common::fast_timeouts())
            .retry(ucwa_client::RetryPolicy::NONE)
            .keep_alive(None)
            .sign_in()
            .await
            .expect_err("nobody there");
        assert!(
            matches!(
                error,
                Error::Transport {
                    kind: TransportErrorKind::Connect,
                    ..
                }
            ),
            "{error}"
        );
        assert!(session.send(get(APP)).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn a_connection_dropped_before_any_answer_is_a_transport_error() {
    bounded(async {
        // A raw server that reads each request and closes without answering.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            for _ in 0..8 {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut buffer = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
                drop(socket);
            }
        });
        let error = Session::builder("lenea@contoso.com")
            .password(PASSWORD)
            .discovery_url(format!("http://{address}/autodiscover/root"))
            .timeouts(common::fast_timeouts())
            .retry(common::fast_retry())
            .keep_alive(None)
            .sign_in()
            .await
            .expect_err("dropped");
        assert!(
            matches!(
                common::first_discovery_failure(&error),
                Error::Transport {
                    kind: TransportErrorKind::Connection,
                    ..
                }
            ),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn batches_go_out_as_multipart_and_come_back_in_order() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake)
            .limits(Limits {
                batch_size: 2,
                ..Limits::default()
            })
            .sign_in()
            .await
            .expect("signs in");
        let requests = vec![
            get(&format!("{APP}/people/contacts")),
            get(&format!("{APP}/me")),
            get(&format!("{APP}/missing")),
        ];
        let results = session
            .batch(requests)
            .await
            .expect("the batches went through");
        assert_eq!(results.len(), 3);
        let body = |result: &Result<http::Response<bytes::Bytes>, Error>| -> serde_json::Value {
            serde_json::from_slice(result.as_ref().expect("ok").body()).expect("json")
        };
        assert_eq!(body(&results[0])["path"], format!("{APP}/people/contacts"));
        assert_eq!(body(&results[1])["path"], format!("{APP}/me"));
        let missing = results[2].as_ref().expect_err("404 part");
        assert_eq!(
            missing
                .http()
                .and_then(|http| http.subcode())
                .map(|s| s.as_str()),
            Some("ResourceNotFound")
        );

        let batches = fake.requests_to("POST", &format!("{APP}/batch"));
        assert_eq!(batches.len(), 2, "split by batch_size");
        let content_type = batches[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .expect("type");
        assert!(
            content_type.starts_with("multipart/batching;boundary="),
            "{content_type}"
        );
        assert_eq!(
            batches[0]
                .headers
                .get("accept")
                .and_then(|v| v.to_str().ok()),
            Some("multipart/batching")
        );
        let text = String::from_utf8(batches[0].body.clone()).expect("text");
        assert!(text.contains("Content-Type: application/http; msgtype=request"));
        assert!(text.contains(&format!("GET {APP}/people/contacts HTTP/1.1")));
        assert!(
            !text.to_ascii_lowercase().contains("authorization"),
            "parts carry no token"
        );

        // A batch answer that is not multipart is an error for the whole batch.
        fake.push(
            "POST",
            &format!("{APP}/batch"),
            Reply::Json(200, json!({"rel": "batch"})),
        );
        let error = session
            .batch(vec![get(APP)])
            .await
            .expect_err("not multipart");
        assert!(matches!(error, Error::Protocol { .. }), "{error}");
    })
    .await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// One thread, so that the subscriber set here sees the session's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn diagnostics_never_show_tokens_passwords_or_authorization() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    bounded(async {
        let fake = Fake::start().await;
        fake.push_events(json!({"_links": {"next": {"href": format!("{APP}/events?ack=2")}}}));
        let session = builder(&fake).sign_in().await.expect("signs in");
        let mut events = session.events();
        session
            .make_me_available(&json!({"signInAs": "Online"}))
            .await
            .expect("available");
        fake.revoke();
        session.send(get(APP)).await.expect("renewed");
        fake.push("GET", APP, Reply::error(500, "ServiceFailure", ""));
        session.send(get(APP)).await.expect("retried");
        let _ = tokio::time::timeout(
            Duration::from_millis(100),
            futures_util::StreamExt::next(&mut events),
        )
        .await;
        let debug = format!(
            "{session:?} {:?}",
            ucwa_client::Token::bearer("cwt=SECRET-TOKEN-1")
        );
        session.sign_out().await.expect("signed out");
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
    })
    .await;
    let logs = String::from_utf8(captured.0.lock().expect("buffer").clone()).expect("text");
    assert!(
        logs.contains("request")
            && logs.contains("retrying")
            && logs.contains("application created"),
        "the test saw the diagnostics:\n{logs}"
    );
    for secret in ["SECRET-TOKEN", PASSWORD, "p%26ss", "Bearer", "uthorization"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} appears in the diagnostics:\n{logs}"
        );
    }
}
