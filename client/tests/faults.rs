//! Faults against the fake server, path by path: every fault a server can
//! commit (it stalls, drops the connection, cuts a body short, sends
//! truncated JSON, an oversized or a non-UCWA body, loops a redirect, or
//! answers 503 every time) on each of the client's paths (discovery,
//! creating the application, a plain request, the event channel and the
//! operations it completes, starting an operation) gives one exact typed
//! error after a bounded number of attempts, within a bounded time. Also:
//! 5xx retries in detail, and batches.

mod common;

use common::{bounded, builder, quick_reconnect, Fake, Reply, APP, PASSWORD};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use ucwa_client::{Error, Limits, Session, SessionBuilder, Timeouts, TransportErrorKind};
use ucwa_runtime::SyncError;

fn get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path).body(Vec::new()).expect("request")
}

async fn signed_in(fake: &Fake) -> Session {
    builder(fake).sign_in().await.expect("signs in")
}

/// One way a server fails, as the fake plays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Never answers.
    Stall,
    /// Reads the request and closes the connection without an answer.
    Drop,
    /// Sends the headers and part of the body, then breaks the connection.
    Cut,
    /// A whole answer whose JSON stops short.
    Truncated,
    /// A body larger than the client reads (announced by Content-Length).
    Oversized,
    /// An HTML page where a UCWA resource should be.
    NotUcwa,
    /// `503 Service Unavailable`, every time.
    ServerError,
    /// A redirect to the same URL.
    RedirectLoop,
}

const FAULTS: [Fault; 8] = [
    Fault::Stall,
    Fault::Drop,
    Fault::Cut,
    Fault::Truncated,
    Fault::Oversized,
    Fault::NotUcwa,
    Fault::ServerError,
    Fault::RedirectLoop,
];

/// The body limit of the matrix's sessions.
const BODY_LIMIT: usize = 64 * 1024;
/// Attempts of every retry policy in the matrix (`common::fast_retry` and the reconnection).
const ATTEMPTS: usize = 3;

impl Fault {
    /// The fake's answer to a request for `path`.
    fn reply(self, path: &str) -> Reply {
        let body = |content_type: &str, body: Vec<u8>| Reply::Raw {
            status: 200,
            headers: vec![("content-type", content_type.to_owned())],
            body,
        };
        match self {
            Fault::Stall => Reply::Stall,
            Fault::Drop => Reply::Drop,
            Fault::Cut => Reply::Cut(br#"{"_links":{"self":{"href":"#.to_vec()),
            Fault::Truncated => body("application/json", br#"{"_links":{"self""#.to_vec()),
            Fault::Oversized => body("application/json", vec![b' '; 4 * BODY_LIMIT]),
            Fault::NotUcwa => body("text/html", b"<html>captive portal</html>".to_vec()),
            Fault::ServerError => Reply::error(503, "ServiceUnavailable", "ServiceFailure"),
            Fault::RedirectLoop => Reply::redirect(302, path),
        }
    }
}

/// What the client must say, by variant (and the detail that matters).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Timeout,
    Transport(TransportErrorKind),
    Decode(&'static str),
    TooLarge,
    Status(u16),
    RedirectLoop,
    /// `Error::Protocol`: redirected where the client follows no redirects.
    Redirected,
    /// `Error::Discovery` whose one attempt failed so.
    Discovery(Box<Expected>),
    /// `Error::ChannelClosed` after the reconnection attempts, the last failure so.
    Closed(Box<Expected>),
}

/// The error, read back into an [`Expected`]; `None` for anything else.
fn observed(error: &Error) -> Option<Expected> {
    Some(match error {
        Error::Timeout { .. } => Expected::Timeout,
        Error::Transport { kind, .. } => Expected::Transport(*kind),
        Error::Decode { expected, .. } => Expected::Decode(expected),
        Error::BodyTooLarge { limit, .. } if *limit == BODY_LIMIT => Expected::TooLarge,
        Error::Http(http) => Expected::Status(http.status.as_u16()),
        Error::RedirectLoop { .. } => Expected::RedirectLoop,
        Error::Protocol { reason, .. } if reason.starts_with("redirected (302 Found") => {
            Expected::Redirected
        }
        Error::Discovery { attempts, .. } if attempts.len() == 1 => {
            Expected::Discovery(Box::new(observed(&attempts[0].error)?))
        }
        Error::ChannelClosed { reason } => {
            let last =
                reason.strip_prefix(&format!("gave up after {ATTEMPTS} failed attempts: "))?;
            Expected::Closed(Box::new(observed_in_text(last)?))
        }
        _ => return None,
    })
}

/// The same, from an error's text (the channel keeps only that).
fn observed_in_text(text: &str) -> Option<Expected> {
    let kinds = [
        (" timed out after ", Expected::Timeout),
        (
            ": connection failed: ",
            Expected::Transport(TransportErrorKind::Connection),
        ),
        (
            ": incomplete body: ",
            Expected::Transport(TransportErrorKind::Body),
        ),
        (
            ": expected an event channel response: ",
            Expected::Decode("an event channel response"),
        ),
        (
            ": the response body exceeds the limit of 65536 bytes",
            Expected::TooLarge,
        ),
        (
            ": 503 Service Unavailable (ServiceUnavailable/ServiceFailure",
            Expected::Status(503),
        ),
        (": redirected (302 Found", Expected::Redirected),
    ];
    kinds
        .into_iter()
        .find(|(marker, _)| text.contains(marker))
        .map(|(_, expected)| expected)
}

/// The error `fault` gives where the client reads `resource` and follows no
/// redirect.
fn error_for(fault: Fault, resource: &'static str) -> Expected {
    match fault {
        Fault::Stall => Expected::Timeout,
        Fault::Drop => Expected::Transport(TransportErrorKind::Connection),
        Fault::Cut => Expected::Transport(TransportErrorKind::Body),
        Fault::Truncated | Fault::NotUcwa => Expected::Decode(resource),
        Fault::Oversized => Expected::TooLarge,
        Fault::ServerError => Expected::Status(503),
        Fault::RedirectLoop => Expected::Redirected,
    }
}

/// How often a request is sent when `fault` answers it every time: a GET
/// again after timeouts, transport failures and 5xx; a POST only after a
/// 503 (the server did not act on it).
fn attempts_for(fault: Fault, method: &str) -> usize {
    let retried = match fault {
        Fault::ServerError => true,
        Fault::Stall | Fault::Drop | Fault::Cut => method == "GET",
        _ => false,
    };
    if retried {
        ATTEMPTS
    } else {
        1
    }
}

/// A fake whose idle P-GETs answer at once.
async fn matrix_fake() -> Arc<Fake> {
    let fake = Fake::start().await;
    *fake.hold.lock().expect("hold") = Duration::from_millis(100);
    fake
}

/// Short bounds, so that a stall costs half a second per attempt.
fn matrix_builder(fake: &Fake) -> SessionBuilder {
    builder(fake)
        .timeouts(Timeouts {
            request: Duration::from_millis(500),
            event_wait: Duration::from_millis(500),
            operation: Duration::from_secs(10),
            ..common::fast_timeouts()
        })
        .limits(Limits {
            max_body_bytes: BODY_LIMIT,
            ..Limits::default()
        })
        .reconnect(quick_reconnect(ATTEMPTS as u32))
}

/// Asserts one case: the exact error, how often the fake saw `method path`,
/// the time it took since `started`, and that the error names the URL.
fn check(
    fake: &Fake,
    (method, path): (&str, &str),
    fault: Fault,
    error: &Error,
    expected: (Expected, usize),
    started: Instant,
) {
    let attempts = fake.requests_to(method, path).len();
    assert_eq!(
        (observed(error), attempts),
        (Some(expected.0), expected.1),
        "{path}, {fault:?}: {error}"
    );
    assert!(
        error.to_string().contains(path),
        "{path}, {fault:?}: {error}"
    );
    // Stalls cost 0.5 s an attempt; everything else answers at once.
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(4),
        "{path}, {fault:?}: {elapsed:?}"
    );
}

#[tokio::test]
async fn every_fault_in_discovery_is_a_discovery_error_naming_it() {
    let root = "/autodiscover/root";
    for fault in FAULTS {
        // Discovery follows redirects: a loop is seen as such.
        let expected = match fault {
            Fault::RedirectLoop => Expected::RedirectLoop,
            other => error_for(other, "the autodiscover root resource"),
        };
        bounded(async {
            let fake = matrix_fake().await;
            // A root that fails is a failed candidate: tried once, then the next one (none here).
            fake.push("GET", root, fault.reply(root));
            let started = Instant::now();
            let error = matrix_builder(&fake).sign_in().await.expect_err("fails");
            let expected = (Expected::Discovery(Box::new(expected)), 1);
            check(&fake, ("GET", root), fault, &error, expected, started);
        })
        .await;
    }
}

#[tokio::test]
async fn every_fault_in_creating_the_application_is_an_error_after_bounded_retries() {
    let applications = "/ucwa/applications";
    for fault in FAULTS {
        let expected = (
            error_for(fault, "the application resource"),
            attempts_for(fault, "POST"),
        );
        bounded(async {
            let fake = matrix_fake().await;
            for _ in 0..ATTEMPTS {
                fake.push("POST", applications, fault.reply(applications));
            }
            let started = Instant::now();
            let error = matrix_builder(&fake).sign_in().await.expect_err("fails");
            check(
                &fake,
                ("POST", applications),
                fault,
                &error,
                expected,
                started,
            );
        })
        .await;
    }
}

#[tokio::test]
async fn every_fault_in_a_plain_request_is_an_error_after_bounded_retries() {
    for fault in FAULTS {
        let expected = (
            error_for(fault, "the application resource"),
            attempts_for(fault, "GET"),
        );
        bounded(async {
            let fake = matrix_fake().await;
            let session = matrix_builder(&fake).sign_in().await.expect("signs in");
            // As many as it may try: one more would be answered, and would pass.
            for _ in 0..expected.1 {
                fake.push("GET", APP, fault.reply(APP));
            }
            let started = Instant::now();
            let error = session.refresh_application().await.expect_err("fails");
            check(&fake, ("GET", APP), fault, &error, expected, started);
            // The session is still usable.
            assert_eq!(session.send(get(APP)).await.expect("works").status(), 200);
        })
        .await;
    }
}

#[tokio::test]
async fn a_plain_request_hands_over_bodies_and_redirects_as_they_came_and_bounds_the_rest() {
    bounded(async {
        let fake = matrix_fake().await;
        let session = matrix_builder(&fake).sign_in().await.expect("signs in");
        let path = format!("{APP}/me/note");
        // `send` does not decode: the caller gets the bytes, and a redirect as such.
        fake.push("GET", &path, Fault::NotUcwa.reply(&path));
        let html = session.send(get(&path)).await.expect("an answer");
        assert_eq!(html.body().as_ref(), b"<html>captive portal</html>");
        fake.push("GET", &path, Fault::RedirectLoop.reply(&path));
        assert_eq!(
            session.send(get(&path)).await.expect("an answer").status(),
            302
        );
        // Too large with no Content-Length: reading stops at the limit.
        fake.push("GET", &path, Reply::Cut(vec![b'x'; 2 * BODY_LIMIT]));
        assert!(matches!(
            session.send(get(&path)).await,
            Err(Error::BodyTooLarge {
                limit: BODY_LIMIT,
                ..
            })
        ));
        // An error status with an HTML body: the status, and no UCWA body.
        for _ in 0..ATTEMPTS {
            fake.push(
                "GET",
                &path,
                Reply::Raw {
                    status: 502,
                    headers: vec![],
                    body: b"<html>Bad Gateway</html>".to_vec(),
                },
            );
        }
        let error = session.send(get(&path)).await.expect_err("502");
        assert!(error
            .http()
            .is_some_and(|http| http.status == 502 && http.body.is_none()));
        // Nothing listens: a connection error.
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
async fn every_fault_in_the_event_channel_closes_it_and_fails_pending_operations() {
    let events_path = format!("{APP}/events");
    let start = format!("{APP}/communication/messagingInvitations");
    for fault in FAULTS {
        // The channel tries again after any failure, up to its reconnection attempts.
        let last = error_for(fault, "an event channel response");
        bounded(async {
            let fake = matrix_fake().await;
            for _ in 0..ATTEMPTS {
                fake.push("GET", &events_path, fault.reply(&events_path));
            }
            fake.push(
                "POST",
                &start,
                Reply::Raw {
                    status: 201,
                    headers: vec![("location", format!("{start}/1"))],
                    body: Vec::new(),
                },
            );
            let session = matrix_builder(&fake).sign_in().await.expect("signs in");
            let started = Instant::now();
            let mut events = session.events();
            let request = http::Request::post(start.as_str())
                .header("content-type", "application/json")
                .body(br#"{"to":"sip:toshm@contoso.com"}"#.to_vec())
                .expect("request");
            let operation = session.start_operation(request).await.expect("started");
            let closed = events
                .recv()
                .await
                .expect("the stream says why")
                .expect_err("the channel closed");
            let expected = (Expected::Closed(Box::new(last)), ATTEMPTS);
            let request = ("GET", events_path.as_str());
            check(&fake, request, fault, &closed, expected.clone(), started);
            assert!(events.recv().await.is_none(), "then the stream ends");
            // The operation it would have completed fails with the same error.
            let failed = operation.completed().await.expect_err("no completion");
            check(&fake, request, fault, &failed, expected, started);
        })
        .await;
    }
}

#[tokio::test]
async fn every_fault_in_starting_an_operation_is_an_error_and_the_post_is_not_repeated() {
    let start = format!("{APP}/communication/messagingInvitations");
    for fault in FAULTS {
        // The answer to an operation's POST is not read as a resource: a
        // 200 says it completed at once, whatever its body.
        if matches!(fault, Fault::Truncated | Fault::NotUcwa) {
            continue;
        }
        let expected = (error_for(fault, "no resource"), attempts_for(fault, "POST"));
        bounded(async {
            let fake = matrix_fake().await;
            let session = matrix_builder(&fake).sign_in().await.expect("signs in");
            for _ in 0..ATTEMPTS {
                fake.push("POST", &start, fault.reply(&start));
            }
            let request = http::Request::post(start.as_str())
                .header("content-type", "application/json")
                .body(br#"{"to":"sip:toshm@contoso.com"}"#.to_vec())
                .expect("request");
            let started = Instant::now();
            let error = session.start_operation(request).await.expect_err("fails");
            check(&fake, ("POST", &start), fault, &error, expected, started);
        })
        .await;
    }
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
