//! Proxies (issue 21): the proxy variables are never read, so plain HTTP to
//! loopback (and the password grant on it) cannot be routed elsewhere; a
//! proxy the user names carries HTTPS through `CONNECT` only, never
//! loopback, and is checked like a credential's destination. In a test
//! binary of its own because it sets process-wide environment variables.

mod common;

use common::{bounded, builder, Fake, PASSWORD};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ucwa_client::{Error, Session};

/// A loopback listener that records the first bytes of every connection
/// and answers `403` (a proxy that refuses to tunnel).
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 4096];
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(2), socket.read(&mut buffer))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
            record
                .lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&buffer[..read]).into_owned());
            let _ = socket
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn no_request_goes_through_a_proxy_the_user_did_not_name() {
    bounded(async {
        let (proxy, seen) = recording_proxy().await;
        // SAFETY (edition 2021: safe): this binary's only test sets them.
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            std::env::set_var(name, &proxy);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");

        // The variables are not read: sign-in over plain HTTP to loopback
        // reaches the server itself.
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in directly");
        drop(session);
        assert!(!fake.log().is_empty());
        assert_eq!(
            seen.lock().expect("lock").len(),
            0,
            "the proxy saw a request"
        );

        // A named proxy is not used for loopback either.
        let fake = Fake::start().await;
        let session = builder(&fake)
            .proxy(&proxy)
            .sign_in()
            .await
            .expect("signs in directly");
        drop(session);
        assert_eq!(
            seen.lock().expect("lock").len(),
            0,
            "loopback went through the proxy"
        );

        // Off this machine, a named proxy gets a CONNECT tunnel: the host
        // name, never the credentials.
        let error = Session::builder("lenea@contoso.test")
            .password(PASSWORD)
            .discovery_url("https://lyncdiscover.contoso.test/autodiscover/root")
            .proxy(&proxy)
            .timeouts(common::fast_timeouts())
            .retry(ucwa_client::RetryPolicy::NONE)
            .keep_alive(None)
            .sign_in()
            .await
            .expect_err("the proxy refuses to tunnel");
        let seen = seen.lock().expect("lock").clone();
        assert!(!seen.is_empty(), "the named proxy was not used: {error}");
        for request in &seen {
            assert!(
                request.starts_with("CONNECT lyncdiscover.contoso.test:443 "),
                "{request}"
            );
            assert!(
                !request.to_ascii_lowercase().contains("authorization"),
                "{request}"
            );
            assert!(!request.contains(PASSWORD), "{request}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_proxy_is_checked_as_a_credentials_destination() {
    bounded(async {
        let refused = [
            ("ftp://proxy.corp:21", "not http or https"),
            ("http://user:s3cret@proxy.corp:3128", "in clear"),
            ("not a url", "relative URL"),
        ];
        for (proxy, why) in refused {
            let error = Session::builder("lenea@contoso.test")
                .password(PASSWORD)
                .proxy(proxy)
                .sign_in()
                .await
                .err();
            match error {
                Some(Error::Config(message)) => {
                    assert!(message.contains(why), "{proxy}: {message}");
                    assert!(!message.contains("s3cret"), "{message}");
                }
                other => panic!("{proxy}: {other:?}"),
            }
        }
    })
    .await;
}
