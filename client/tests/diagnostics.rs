//! Diagnostics never show a secret. In a test binary of its own: `tracing`
//! caches per call site whether anyone listens, and a test running beside
//! it on another thread can fix that answer before this test's subscriber
//! exists (the `retrying` line then went missing now and then).

mod common;

use common::{bounded, builder, Fake, Reply, APP, PASSWORD};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path).body(Vec::new()).expect("request")
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
