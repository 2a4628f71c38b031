//! Sign-in against the fake server: discovery and its redirects, the
//! MsRtcOAuth challenge and the password grant, token renewal, the
//! application, the security check, keep-alive and sign-out.

mod common;

use common::{bounded, builder, fast_timeouts, Fake, Reply, APP, PASSWORD, USER};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use ucwa_client::{ApplicationsRequest, AuthError, Error, Limits, MsRtcOAuth, Session, Token};

#[tokio::test]
async fn discovery_challenge_token_and_application() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");

        // root (no token) -> user (401, token, again) -> POST applications.
        let steps: Vec<String> = fake
            .log()
            .iter()
            .map(|request| {
                format!(
                    "{} {} {}",
                    request.method,
                    request.path,
                    request.authorization().is_some()
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                "GET /autodiscover/root false",
                "GET /autodiscover/user false",
                "POST /WebTicket/oauthtoken false",
                "GET /autodiscover/user true",
                "POST /ucwa/applications true",
            ]
        );
        let grant = &fake.requests_to("POST", "/WebTicket/oauthtoken")[0];
        assert_eq!(
            grant
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/x-www-form-urlencoded;charset=UTF-8")
        );
        // Form-encoded and escaped: '&', '=', '+', '%' and '@' survive.
        assert_eq!(
            String::from_utf8(grant.body.clone()).expect("text"),
            "grant_type=password&username=lenea%40contoso.com&password=p%26ss%3Dw0rd+%2Bsecret%25"
        );
        let create = &fake.requests_to("POST", "/ucwa/applications")[0];
        assert_eq!(create.authorization(), Some("Bearer cwt=SECRET-TOKEN-1"));
        let body: serde_json::Value = serde_json::from_slice(&create.body).expect("json body");
        assert_eq!(body["userAgent"], "tests");
        assert_eq!(body["culture"], "en-US");
        assert_eq!(body["endpointId"].as_str().map(str::len), Some(36));

        assert_eq!(session.application_url().as_str(), fake.url(APP));
        assert_eq!(session.application().user_agent.as_deref(), Some("tests"));
        // The resources embedded in the application.
        let me = session.me().expect("me");
        assert_eq!(me.name.as_deref(), Some("Lene Aaling"));
        let start = session
            .communication()
            .and_then(|communication| communication.start_messaging_link().cloned())
            .expect("startMessaging");
        assert_eq!(
            start.href(),
            format!("{APP}/communication/messagingInvitations")
        );
        assert!(session.people().is_none(), "the fake embeds no people");
        session.sign_out().await.expect("signs out");
        assert_eq!(fake.requests_to("DELETE", APP).len(), 1);
    })
    .await;
}

#[tokio::test]
async fn http_redirects_and_redirect_links_are_followed_within_bounds() {
    bounded(async {
        let fake = Fake::start().await;
        fake.push("GET", "/r/start", Reply::redirect(302, "/r/moved"));
        fake.push(
            "GET",
            "/r/moved",
            Reply::Json(
                200,
                json!({"_links": {"redirect": {"href": fake.url("/autodiscover/root")}}}),
            ),
        );
        let session = builder(&fake)
            .discovery_url(fake.url("/r/start"))
            .sign_in()
            .await
            .expect("follows both kinds of redirect");
        drop(session);

        // A loop: /r/a -> /r/b -> /r/a.
        let fake = Fake::start().await;
        fake.push("GET", "/r/a", Reply::redirect(301, "/r/b"));
        fake.push(
            "GET",
            "/r/b",
            Reply::Json(200, json!({"_links": {"redirect": {"href": "/r/a"}}})),
        );
        let error = builder(&fake)
            .discovery_url(fake.url("/r/a"))
            .sign_in()
            .await
            .expect_err("a loop");
        assert!(
            matches!(
                common::first_discovery_failure(&error),
                Error::RedirectLoop { .. }
            ),
            "{error}"
        );

        // A chain longer than the limit.
        let fake = Fake::start().await;
        for hop in 0..10 {
            fake.push(
                "GET",
                &format!("/r/{hop}"),
                Reply::redirect(307, &format!("/r/{}", hop + 1)),
            );
        }
        let error = builder(&fake)
            .discovery_url(fake.url("/r/0"))
            .limits(Limits {
                max_redirects: 3,
                ..Limits::default()
            })
            .sign_in()
            .await
            .expect_err("too long");
        assert!(
            matches!(
                common::first_discovery_failure(&error),
                Error::TooManyRedirects { limit: 3, .. }
            ),
            "{error}"
        );
        assert_eq!(fake.log().len(), 4, "stops at the limit");
    })
    .await;
}

#[tokio::test]
async fn the_security_check_keeps_credentials_in_the_trusted_hosts() {
    bounded(async {
        // A redirect read over plain HTTP to a host outside the sign-in domain.
        let fake = Fake::start().await;
        fake.push(
            "GET",
            "/r/start",
            Reply::Json(
                200,
                json!({"_links": {"redirect": {"href": "https://evil.example.org/root"}}}),
            ),
        );
        let error = builder(&fake)
            .discovery_url(fake.url("/r/start"))
            .sign_in()
            .await
            .expect_err("refused");
        assert!(
            matches!(
                common::first_discovery_failure(&error),
                Error::Security { .. }
            ),
            "{error}"
        );

        // A challenge naming an untrusted token service: the password is not sent.
        let fake = Fake::start().await;
        *fake.token_url.lock().expect("url") =
            Some("https://login.evil.example.org/oauthtoken".into());
        let error = builder(&fake).sign_in().await.expect_err("refused");
        assert!(
            matches!(
                common::first_discovery_failure(&error),
                Error::Security { .. }
            ),
            "{error}"
        );
        // Another loopback address is still another host, and plain HTTP.
        let other_port = fake
            .url("/WebTicket/oauthtoken")
            .replace("127.0.0.1", "127.0.0.2");
        *fake.token_url.lock().expect("url") = Some(other_port);
        let error = builder(&fake).sign_in().await.expect_err("refused");
        assert!(
            error.to_string().contains("security check failed"),
            "{error}"
        );
        assert!(fake.requests_to("POST", "/WebTicket/oauthtoken").is_empty());
        assert_eq!(fake.grants.load(Ordering::SeqCst), 0);

        // An applications link outside the trusted hosts is not followed with a token.
        let fake = Fake::start().await;
        let error = builder(&fake)
            .applications_url("https://pool.elsewhere.example.net/ucwa/applications")
            .discovery_url(fake.url("/autodiscover/root"))
            .sign_in()
            .await;
        // (The URL given by the user is trusted: this reaches out, and fails to connect.)
        assert!(error.is_err());
    })
    .await;
}

#[tokio::test]
async fn wrong_credentials_and_missing_challenges_are_auth_errors() {
    bounded(async {
        let fake = Fake::start().await;
        let error = builder(&fake)
            .password("wrong")
            .sign_in()
            .await
            .expect_err("refused");
        match error {
            Error::Auth(AuthError::Rejected { status, error, .. }) => {
                assert_eq!(status, 400);
                assert_eq!(error.as_deref(), Some("invalid_grant"));
            }
            other => panic!("expected a rejected grant, got {other}"),
        }

        let fake = Fake::start().await;
        let error = builder(&fake)
            .token_source(Token::bearer("not-accepted"))
            .sign_in()
            .await
            .expect_err("still 401");
        assert!(
            matches!(error, Error::Auth(AuthError::Unauthorized { .. })),
            "{error}"
        );

        let fake = Fake::start().await;
        fake.push("GET", "/r/user", Reply::status(401));
        fake.push(
            "GET",
            "/r/root",
            Reply::Json(200, json!({"_links": {"user": {"href": "/r/user"}}})),
        );
        let error = builder(&fake)
            .discovery_url(fake.url("/r/root"))
            .sign_in()
            .await
            .expect_err("no challenge");
        // Authentication failures end discovery at once: no other host would do better.
        assert!(
            matches!(error, Error::Auth(AuthError::NoChallenge { .. })),
            "{error}"
        );

        assert!(matches!(
            Session::builder(USER).sign_in().await,
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Session::builder("nobody@").password("x").sign_in().await,
            Err(Error::Config(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn tokens_are_renewed_before_expiry_and_after_a_401() {
    bounded(async {
        // Issue 21: `expires_in: 0` made a grant before nearly every
        // request. A service's lifetime below the floor is the floor.
        let fake = Fake::start().await;
        *fake.expires_in.lock().expect("expiry") = 0;
        let session = builder(&fake).sign_in().await.expect("signs in");
        assert_eq!(fake.grants.load(Ordering::SeqCst), 1);
        for _ in 0..3 {
            session.refresh_application().await.expect("get");
        }
        assert_eq!(
            fake.grants.load(Ordering::SeqCst),
            1,
            "no grant per request"
        );
        drop(session);

        // A short-lived token (a source's own, not clamped) is renewed
        // before it expires, without a 401.
        let fake = Fake::start().await;
        let issuer = std::sync::Arc::clone(&fake);
        let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&issued);
        let session = builder(&fake)
            .token_source(ucwa_client::token_fn(move |_| {
                let issuer = std::sync::Arc::clone(&issuer);
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    let secret = format!("cwt=SHORT-{n}");
                    issuer.accept(&secret);
                    Ok::<_, Error>(Token::bearer(secret).expiring_in(Duration::from_secs(1)))
                }
            }))
            .sign_in()
            .await
            .expect("signs in");
        assert_eq!(issued.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        session.refresh_application().await.expect("get");
        assert_eq!(issued.load(Ordering::SeqCst), 2, "renewed");
        assert_eq!(fake.requests_to("GET", APP).len(), 1, "no 401 round trip");
        drop(session);

        // A fresh token is kept.
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        session.refresh_application().await.expect("get");
        assert_eq!(
            fake.grants.load(Ordering::SeqCst),
            1,
            "a fresh token is kept"
        );

        // The server forgets the token: a 401 brings a new one, and the request is retried.
        fake.revoke();
        let response = session
            .send(http::Request::get(APP).body(Vec::new()).expect("request"))
            .await
            .expect("retried with a new token");
        assert_eq!(response.status(), 200);
        assert_eq!(fake.grants.load(Ordering::SeqCst), 2);
        let last = fake.log().last().cloned().expect("logged");
        assert_eq!(last.authorization(), Some("Bearer cwt=SECRET-TOKEN-2"));
    })
    .await;
}

#[tokio::test]
async fn a_custom_token_source_gets_the_challenge_and_the_resource() {
    bounded(async {
        let fake = Fake::start().await;
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = std::sync::Arc::clone(&seen);
        let session = builder(&fake)
            .token_source(ucwa_client::token_fn(move |context| {
                let record = std::sync::Arc::clone(&record);
                async move {
                    let oauth = context
                        .challenges
                        .iter()
                        .find(|challenge| challenge.is("MsRtcOAuth"))
                        .and_then(|challenge| challenge.param("href"))
                        .map(str::to_owned);
                    record
                        .lock()
                        .expect("record")
                        .push((context.resource.path().to_owned(), oauth));
                    Err::<Token, _>(Error::Auth(AuthError::Source("no Azure AD here".into())))
                }
            }))
            .sign_in()
            .await;
        assert!(matches!(session, Err(Error::Auth(AuthError::Source(_)))));
        let seen = seen.lock().expect("seen").clone();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, "/autodiscover/user");
        assert_eq!(
            seen[0].1.as_deref(),
            Some(fake.url("/WebTicket/oauthtoken").as_str())
        );
        assert_eq!(PASSWORD.len(), 18);
    })
    .await;
}

#[tokio::test]
async fn make_me_available_keep_alive_and_sign_out() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake)
            .keep_alive(Some(Duration::from_millis(150)))
            .sign_in()
            .await
            .expect("signs in");
        let _events = session.events();
        session
            .make_me_available(&json!({"signInAs": "Online", "supportedModalities": ["Messaging"]}))
            .await
            .expect("available");
        let available = fake.requests_to("POST", &format!("{APP}/me/makeMeAvailable"));
        assert_eq!(available.len(), 1);
        let body: serde_json::Value = serde_json::from_slice(&available[0].body).expect("json");
        assert_eq!(body["signInAs"], "Online");
        // The event channel runs before makeMeAvailable is posted.
        let log = fake.log();
        let first_pget = log.iter().position(|r| r.path.ends_with("/events"));
        let make = log
            .iter()
            .position(|r| r.path.ends_with("/makeMeAvailable"));
        assert!(first_pget.is_some() && make.is_some());

        tokio::time::sleep(Duration::from_millis(500)).await;
        let reports = fake
            .requests_to("POST", &format!("{APP}/reportMyActivity"))
            .len();
        assert!(reports >= 2, "keep-alive reported {reports} times");

        session.sign_out().await.expect("signed out");
        assert_eq!(fake.requests_to("DELETE", APP).len(), 1);
        let after = fake
            .requests_to("POST", &format!("{APP}/reportMyActivity"))
            .len();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            fake.requests_to("POST", &format!("{APP}/reportMyActivity"))
                .len(),
            after,
            "stopped"
        );
    })
    .await;
}

#[tokio::test]
async fn dropping_the_session_deletes_the_application() {
    bounded(async {
        let fake = Fake::start().await;
        let session = builder(&fake).sign_in().await.expect("signs in");
        let clone = session.clone();
        drop(session);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            fake.requests_to("DELETE", APP).is_empty(),
            "a clone is still alive"
        );
        drop(clone);
        for _ in 0..50 {
            if !fake.requests_to("DELETE", APP).is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the application was not deleted");
    })
    .await;
}

/// "METHOD path authorization" of every request the fake received.
fn steps(fake: &Fake) -> Vec<String> {
    fake.log()
        .iter()
        .map(|request| {
            let authorization = request.authorization().unwrap_or("-");
            format!("{} {} {authorization}", request.method, request.path)
        })
        .collect()
}

#[tokio::test]
async fn a_token_held_up_front_goes_with_the_first_request_that_needs_one() {
    bounded(async {
        let fake = Fake::start().await;
        fake.accept("cwt=HELD");
        // AuthenticationUsingAzureAD: the token comes before UCWA is called.
        let session = builder(&fake)
            .bearer_token(Token::bearer("cwt=HELD"))
            .sign_in()
            .await
            .expect("signs in");
        assert_eq!(
            steps(&fake),
            [
                "GET /autodiscover/root -",
                "GET /autodiscover/user Bearer cwt=HELD",
                "POST /ucwa/applications Bearer cwt=HELD",
            ]
        );
        assert_eq!(fake.grants.load(Ordering::SeqCst), 0);
        // Refused later: the password grant gets a new one.
        fake.revoke();
        session.refresh_application().await.expect("a new token");
        assert_eq!(fake.grants.load(Ordering::SeqCst), 1);

        // A held token alone is credentials enough, and it is its own source.
        let fake = Fake::start().await;
        fake.accept("cwt=ALONE");
        let session = Session::builder(USER)
            .bearer_token(Token::bearer("cwt=ALONE"))
            .discovery_url(fake.url("/autodiscover/root"))
            .timeouts(fast_timeouts())
            .keep_alive(None)
            .sign_in()
            .await
            .expect("signs in");
        fake.revoke();
        let refused = session
            .refresh_application()
            .await
            .expect_err("no new token");
        assert!(
            matches!(refused, Error::Auth(AuthError::Unauthorized { .. })),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_application_request_is_sent_as_given() {
    bounded(async {
        let fake = Fake::start().await;
        let mut extra = serde_json::Map::new();
        extra.insert("type".into(), json!("Browser"));
        // MultiTabSupport's request: a `type` the reference page does not list.
        let request = ApplicationsRequest {
            culture: "en-GB".into(),
            endpoint_id: "123".into(),
            instance_id: Some("abc".into()),
            user_agent: "foo".into(),
            extra,
        };
        builder(&fake)
            .application_request(request)
            .sign_in()
            .await
            .expect("signs in");
        let create = &fake.requests_to("POST", "/ucwa/applications")[0];
        let body: serde_json::Value = serde_json::from_slice(&create.body).expect("json body");
        assert_eq!(
            body,
            json!({"culture": "en-GB", "endpointId": "123", "instanceId": "abc", "userAgent": "foo", "type": "Browser"})
        );
        assert_eq!(
            create.headers.get("user-agent").and_then(|v| v.to_str().ok()),
            Some("tests"),
            "the HTTP User-Agent stays the builder's"
        );
    })
    .await;
}

#[tokio::test]
async fn a_challenge_is_answered_without_signing_in() {
    bounded(async {
        let fake = Fake::start().await;
        let challenge = |grants: &[&str]| MsRtcOAuth {
            token_url: fake.url("/WebTicket/oauthtoken").parse().expect("url"),
            grant_types: grants.iter().map(|grant| grant.to_string()).collect(),
        };
        let builder = || {
            Session::builder(USER)
                .password(PASSWORD)
                .allow_host("127.0.0.1")
                .timeouts(fast_timeouts())
        };
        let token = builder()
            .request_token(&challenge(&["password"]))
            .await
            .expect("a token");
        assert_eq!(token.secret(), "cwt=SECRET-TOKEN-1");
        assert_eq!(steps(&fake), ["POST /WebTicket/oauthtoken -"]);

        let refused = builder()
            .password("wrong")
            .request_token(&challenge(&[]))
            .await
            .expect_err("refused");
        assert!(
            matches!(&refused, Error::Auth(AuthError::Rejected { status: 400, error: Some(error), .. }) if error == "invalid_grant"),
            "{refused}"
        );
        let not_offered = builder()
            .request_token(&challenge(&["urn:microsoft.rtc:windows"]))
            .await
            .expect_err("not offered");
        assert!(
            matches!(not_offered, Error::Auth(AuthError::UnsupportedGrant { .. })),
            "{not_offered}"
        );
        // The security check first: a token service outside the trusted hosts gets nothing.
        let elsewhere = MsRtcOAuth {
            token_url: "https://tokens.example.net/oauthtoken".parse().expect("url"),
            grant_types: Vec::new(),
        };
        let error = builder().request_token(&elsewhere).await.expect_err("refused");
        assert!(matches!(error, Error::Security { .. }), "{error}");
        assert_eq!(fake.log().len(), 2, "nothing more was sent");
    })
    .await;
}

#[tokio::test]
async fn every_duration_and_size_setting_is_checked_before_any_request() {
    // Issue 21: `EventChannelOptions { timeout: Some(Duration::MAX) }` made
    // `sign_in` panic on an overflow instead of returning `Error::Config`.
    use ucwa_client::{EventChannelOptions, RetryPolicy, MAX_WAIT};
    bounded(async {
        let fake = Fake::start().await;
        let huge = Some(Duration::MAX);
        let settings: Vec<(&str, ucwa_client::SessionBuilder)> = vec![
            (
                "event_channel.timeout",
                builder(&fake).event_channel(EventChannelOptions {
                    timeout: huge,
                    ..EventChannelOptions::default()
                }),
            ),
            (
                "event_channel.low",
                builder(&fake).event_channel(EventChannelOptions {
                    low: Some(MAX_WAIT + Duration::from_secs(1)),
                    ..EventChannelOptions::default()
                }),
            ),
            (
                "timeouts.request",
                builder(&fake).timeouts(ucwa_client::Timeouts {
                    request: Duration::MAX,
                    ..fast_timeouts()
                }),
            ),
            (
                "timeouts.connect",
                builder(&fake).timeouts(ucwa_client::Timeouts {
                    connect: Duration::ZERO,
                    ..fast_timeouts()
                }),
            ),
            (
                "keep_alive",
                builder(&fake).keep_alive(Some(Duration::ZERO)),
            ),
            (
                "retry delays",
                builder(&fake).retry(RetryPolicy {
                    attempts: 2,
                    base_delay: Duration::MAX,
                    max_delay: Duration::MAX,
                }),
            ),
            (
                "reconnect.attempts",
                builder(&fake).reconnect(RetryPolicy {
                    attempts: 0,
                    ..RetryPolicy::default()
                }),
            ),
            (
                "limits.event_buffer",
                builder(&fake).limits(Limits {
                    event_buffer: 0,
                    ..Limits::default()
                }),
            ),
            (
                "limits.max_body_bytes",
                builder(&fake).limits(Limits {
                    max_body_bytes: 0,
                    ..Limits::default()
                }),
            ),
        ];
        for (name, setting) in settings {
            match setting.sign_in().await {
                Err(Error::Config(why)) => assert!(why.starts_with(name), "{name}: {why}"),
                other => panic!("{name}: {:?}", other.map(|_| "signed in")),
            }
        }
        assert!(
            fake.log().is_empty(),
            "no request is sent with a bad setting"
        );
    })
    .await;
}

#[tokio::test]
async fn a_slow_token_fetch_does_not_hold_up_requests_whose_token_is_valid() {
    // Issue 21: the token lock was held during the fetch, so a slow token
    // service stalled every request of the session.
    bounded(async {
        let fake = Fake::start().await;
        let issuer = std::sync::Arc::clone(&fake);
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&calls);
        let session = builder(&fake)
            .token_source(ucwa_client::token_fn(move |_| {
                let issuer = std::sync::Arc::clone(&issuer);
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    if n > 1 {
                        tokio::time::sleep(Duration::from_secs(6)).await;
                    }
                    let secret = format!("cwt=SLOW-{n}");
                    issuer.accept(&secret);
                    Ok::<_, Error>(Token::bearer(secret).expiring_in(Duration::from_secs(4)))
                }
            }))
            .sign_in()
            .await
            .expect("signs in");
        // Within the last second of its 4 s the token is due for renewal,
        // and still valid.
        tokio::time::sleep(Duration::from_millis(3200)).await;
        let renewing = session.clone();
        let slow = tokio::spawn(async move { renewing.refresh_application().await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "the renewal is under way");
        tokio::time::timeout(Duration::from_secs(3), session.refresh_application())
            .await
            .expect("not held up by the 6 s fetch")
            .expect("served with the still-valid token");
        slow.await
            .expect("joins")
            .expect("served with the new token");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one fetch for both");
    })
    .await;
}
