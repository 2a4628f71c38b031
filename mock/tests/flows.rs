//! Multi-page flows with a plain HTTP client that behaves as an application
//! does: it signs in as CreateAnApplication shows, creates its application,
//! and from then on sends only to hrefs the mock served it (never a path from
//! a page). The mock serves CreateAnApplication followed by each task page,
//! and by all of them in one transcript; every step must be accepted, no
//! mismatch recorded, and every href served must name the one application
//! the client created; in single-script and in session mode.
//!
//! One step no client can follow is sent as the page documents it:
//! GetAContactData.md:96 asks for `people/lenea@contoso.com@contoso.com`,
//! a contact no response names (the contact list served just before links
//! `people/lenea@contoso.com`). Following the listed href is answered as a
//! re-read (the contact as listed) and leaves that step expected.
//!
//! In the long flow, each page after the first starts with `makeMeAvailable`
//! again, whose link a server drops once the user is available (the pages'
//! applications read after it have none, and elide `people` and
//! `communication`): the client keeps the hrefs of the application it
//! created, as a client that remembers links does.

mod common;

use common::{client, config, shared_tasks, FLOW_AFTER_SIGN_IN};
use reqwest::{StatusCode, Url};
use serde_json::{json, Value};
use std::time::Duration;
use ucwa_mock::{MockConfig, MockServer, SessionConfig, StepOutcome, Transcript};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    SingleScript,
    Sessions,
}

/// A signed-in application as a plain client keeps it.
struct App {
    mock: MockServer,
    http: reqwest::Client,
    token: String,
    /// Where relative hrefs resolve: the applications resource.
    base: Url,
    /// The application as last read.
    application: Value,
    /// The application as created (its `makeMeAvailable` link is kept).
    created: Value,
    /// The event channel's next URL.
    events: Url,
    /// The application id the mock handed out.
    id: String,
}

async fn json(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("a body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {value}"))
}

/// Every `…/applications/{id}` in the hrefs of `value`.
fn application_ids(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match member {
                    Value::String(href) if key == "href" => {
                        let segments: Vec<&str> = href.split(['/', '?']).collect();
                        for pair in segments.windows(2) {
                            if pair[0].eq_ignore_ascii_case("applications") {
                                found.push(pair[1].to_string());
                            }
                        }
                    }
                    other => application_ids(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| application_ids(item, found)),
        _ => {}
    }
}

impl App {
    /// Discovery, the challenge, the token and the application, as CreateAnApplication shows.
    async fn sign_in(pages: &[std::path::PathBuf], mode: Mode) -> App {
        let transcript = Transcript::read(pages).expect("the pages");
        let config = MockConfig {
            sessions: (mode == Mode::Sessions).then(SessionConfig::default),
            ..config()
        };
        let mock = MockServer::start(transcript, config)
            .await
            .expect("the mock");
        let http = client();
        let root = format!("{}/", mock.base_url("lyncdiscover.contoso.com").unwrap());
        let root = json(
            http.get(root)
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let user = text(&root, "/_links/user/href").to_string();
        let challenge = http.get(&user).send().await.unwrap();
        assert_eq!(challenge.status(), StatusCode::UNAUTHORIZED);
        let token_url = challenge
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| value.strip_prefix("MsRtcOAuth href=\""))
            .and_then(|rest| rest.split('"').next())
            .expect("an MsRtcOAuth challenge")
            .to_string();
        let granted = http
            .post(token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=password&username=lenea@contoso.com&password=pass@word1")
            .send()
            .await
            .unwrap();
        assert_eq!(granted.status(), StatusCode::OK);
        let token = text(&json(granted).await, "/access_token").to_string();
        let user = json(http.get(&user).bearer_auth(&token).send().await.unwrap()).await;
        let applications = Url::parse(text(&user, "/_links/applications/href")).unwrap();
        let created = http
            .post(applications.clone())
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(json!({"userAgent": "UCWA Samples", "endpointId": "0a1b2c3d-0000-4000-8000-00000000f10a", "culture": "en-US"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let application = json(created).await;
        let events = applications
            .join(text(&application, "/_links/events/href"))
            .unwrap();
        let self_href = text(&application, "/_links/self/href");
        let id = self_href.rsplit('/').next().unwrap().to_string();
        let mut app = App {
            mock,
            http,
            token,
            base: applications,
            application: Value::Null,
            created: Value::Null,
            events,
            id,
        };
        app.check_ids(&application);
        app.created = application.clone();
        app.application = application;
        app
    }

    fn url(&self, href: &str) -> Url {
        self.base.join(href).expect("an href")
    }

    /// Every href served names the client's application.
    fn check_ids(&self, served: &Value) {
        let mut found = Vec::new();
        application_ids(served, &mut found);
        assert!(
            found.iter().all(|id| *id == self.id),
            "application {} expected, served {found:?}",
            self.id
        );
    }

    /// The href of a link of the application (JSON pointer into it), as
    /// last read or else as created: the pages' later application bodies
    /// elide `people` and `communication` (`{...}`) and drop
    /// `makeMeAvailable`, and a client keeps the links it was given.
    fn link(&self, pointer: &str) -> Url {
        let href = self
            .application
            .pointer(pointer)
            .or_else(|| self.created.pointer(pointer))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} in {}", self.application));
        self.url(href)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        request
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the mock answers")
    }

    async fn get(&self, url: Url, status: StatusCode) -> Value {
        let response = self.send(self.http.get(url.clone())).await;
        assert_eq!(response.status(), status, "GET {url}");
        let served = json(response).await;
        self.check_ids(&served);
        served
    }

    async fn post_json(&self, url: Url, body: Value) -> reqwest::Response {
        let request = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        self.send(request).await
    }

    /// The next events answer (due at once), following its `next` link.
    async fn next_events(&mut self) -> Value {
        let events = tokio::time::timeout(
            Duration::from_secs(5),
            self.get(self.events.clone(), StatusCode::OK),
        )
        .await
        .expect("the events are due");
        assert!(events.get("sender").is_some(), "events expected: {events}");
        self.events = self.url(text(&events, "/_links/next/href"));
        events
    }

    /// makeMeAvailable, then `me` read again (as ucwa-client does), then the application.
    async fn available_and_read(&mut self) {
        let make_me_available = self.link("/_embedded/me/_links/makeMeAvailable/href");
        let answer = self
            .post_json(
                make_me_available,
                json!({"SupportedModalities": ["Messaging"]}),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        let me = self
            .get(self.link("/_embedded/me/_links/self/href"), StatusCode::OK)
            .await;
        assert_eq!(me["rel"], "me");
        self.application = self
            .get(self.link("/_links/self/href"), StatusCode::OK)
            .await;
    }

    /// One page's task, from the hrefs served so far.
    async fn perform(&mut self, page: &str) {
        match page {
            "GetMyPresenceInformation.md" => {
                self.available_and_read().await;
                let presence = self
                    .get(
                        self.link("/_embedded/me/_links/presence/href"),
                        StatusCode::OK,
                    )
                    .await;
                assert_eq!(presence["availability"], "Online");
            }
            "SetMyPresenceInformation.md" => {
                self.available_and_read().await;
                let presence = self.link("/_embedded/me/_links/presence/href");
                let answer = self
                    .post_json(presence, json!({"availability": "Online"}))
                    .await;
                assert_eq!(answer.status(), StatusCode::NO_CONTENT);
            }
            "GetMyNoteInformation.md" => {
                self.available_and_read().await;
                let note = self
                    .get(self.link("/_embedded/me/_links/note/href"), StatusCode::OK)
                    .await;
                assert_eq!(note["type"], "Personal");
            }
            "Setmynoteinformation.md" => {
                self.available_and_read().await;
                let note = self.link("/_embedded/me/_links/note/href");
                let answer = self
                    .post_json(note, json!({"message": "working working working"}))
                    .await;
                assert_eq!(answer.status(), StatusCode::NO_CONTENT);
            }
            "GetMyPhoto.md" => {
                self.available_and_read().await;
                let photo = self.link("/_embedded/me/_links/photo/href");
                let answer = self.send(self.http.get(photo)).await;
                assert_eq!(answer.status(), StatusCode::OK);
                assert_eq!(answer.headers()["content-type"], "image/jpeg");
            }
            "GetAContactData.md" => self.get_a_contact().await,
            "SubscribeToThePresenceOfSelectedContacts.md" => {
                let subscriptions =
                    self.link("/_embedded/people/_links/presenceSubscriptions/href");
                let answer = self
                    .post_json(
                        subscriptions,
                        json!({"duration": 11, "Uris": ["sip:SaraD@contoso.com"]}),
                    )
                    .await;
                assert_eq!(answer.status(), StatusCode::CREATED);
                self.check_ids(&json(answer).await);
                let first = self.next_events().await;
                let presence = text(&first, "/sender/0/events/0/link/href").to_string();
                self.next_events().await;
                let presence = self.get(self.url(&presence), StatusCode::OK).await;
                assert_eq!(presence["availability"], "Offline");
            }
            "SendAnIM.md" => self.send_an_im().await,
            "GroupingRequestsInABatch.md" => {
                let contacts = self.link("/_embedded/people/_links/myContacts/href");
                let me = self.link("/_embedded/me/_links/self/href");
                let body = format!(
                    "--b1\r\nContent-Type: application/http; msgtype=request\r\n\r\nGET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\r\n--b1\r\nContent-Type: application/http; msgtype=request\r\n\r\nGET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\r\n--b1--\r\n",
                    contacts.path(),
                    contacts.authority(),
                    me.path(),
                    me.authority()
                );
                let batch = self
                    .send(
                        self.http
                            .post(self.link("/_links/batch/href"))
                            .header("Content-Type", "multipart/batching;boundary=b1")
                            .body(body),
                    )
                    .await;
                // Accepted; the page shows no response to it.
                assert_eq!(batch.status(), StatusCode::NOT_IMPLEMENTED);
                assert_eq!(json(batch).await["subcode"], "ResponseNotDocumented");
            }
            other => panic!("no flow for {other}"),
        }
    }

    async fn get_a_contact(&mut self) {
        let contacts = self
            .get(
                self.link("/_embedded/people/_links/myContacts/href"),
                StatusCode::OK,
            )
            .await;
        let lenea = text(&contacts, "/_embedded/contact/1/_links/self/href").to_string();
        // A re-read of the contact as listed; the documented step stays expected.
        let listed = self.get(self.url(&lenea), StatusCode::OK).await;
        assert_eq!(listed, contacts["_embedded"]["contact"][1]);
        // GetAContactData.md:96 asks for a contact no served href names.
        let documented = self.url(&format!("{lenea}@contoso.com"));
        let contact = self.get(documented, StatusCode::OK).await;
        assert_eq!(contact["name"], "Lene Aaling");
    }

    async fn send_an_im(&mut self) {
        let start = self.link("/_embedded/communication/_links/startMessaging/href");
        let started = self
            .post_json(
                start,
                json!({"importance": "Normal", "subject": "Task Sample", "to": "sip:lenea@contoso.com",
                    "operationId": "f1a2b3c4-0000-4000-8000-000000000001"}),
            )
            .await;
        assert_eq!(started.status(), StatusCode::CREATED);
        let invitation = started.headers()["location"].to_str().unwrap().to_string();
        let first = self.next_events().await;
        let embedded = &first["sender"][0]["events"][0];
        // The shortened id of the event is the id of the Location.
        assert_eq!(
            self.url(text(embedded, "/link/href")),
            self.url(&invitation)
        );
        assert_eq!(
            text(embedded, "/_embedded/messagingInvitation/operationId"),
            "f1a2b3c4-0000-4000-8000-000000000001"
        );
        let conversation = text(
            embedded,
            "/_embedded/messagingInvitation/_links/conversation/href",
        )
        .to_string();
        let second = self.next_events().await;
        let messaging = second["sender"][1]["events"][3]["_embedded"]["messaging"].clone();
        let conversation = self.get(self.url(&conversation), StatusCode::OK).await;
        assert_eq!(conversation["state"], "Connected");
        let send_message = self.url(text(&messaging, "/_links/sendMessage/href"));
        let mut send_message_with_id = send_message.clone();
        send_message_with_id
            .query_pairs_mut()
            .append_pair("operationId", "f1a2b3c4-0000-4000-8000-000000000002");
        let sent = self
            .send(
                self.http
                    .post(send_message_with_id)
                    .header("Content-Type", "text/plain")
                    .body("What's up?"),
            )
            .await;
        assert_eq!(sent.status(), StatusCode::CREATED);
        let message = sent.headers()["location"].to_str().unwrap().to_string();
        let third = self.next_events().await;
        assert_eq!(
            self.url(text(&third, "/sender/0/events/0/link/href")),
            self.url(&message)
        );
        let stop = self.url(text(&messaging, "/_links/stopMessaging/href"));
        let stopped = self.send(self.http.post(stop)).await;
        assert_eq!(stopped.status(), StatusCode::NO_CONTENT);
    }

    /// Signs out (`DELETE` of the application, which no page shows) and checks the mock.
    async fn sign_out_and_check(self, mode: Mode) {
        let deleted = self
            .send(self.http.delete(self.link("/_links/self/href")))
            .await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let mismatches = self.mock.mismatches();
        assert!(mismatches.is_empty(), "{mismatches:#?}");
        if mode == Mode::Sessions {
            let counts = self.mock.session_counts();
            assert_eq!((counts.started, counts.deleted, counts.open), (1, 1, 0));
            self.mock.shutdown().await;
            return;
        }
        let unserved: Vec<String> = self
            .mock
            .outcomes()
            .into_iter()
            .filter(|(_, outcome)| *outcome != StepOutcome::Served)
            .filter_map(|(id, _)| {
                self.mock
                    .transcript()
                    .step(id)
                    .map(|s| s.location.to_string())
            })
            .collect();
        assert!(unserved.is_empty(), "steps not served: {unserved:?}");
        self.mock.shutdown().await;
    }
}

async fn flow(dir: &std::path::Path, pages: &[&str], mode: Mode) {
    let mut paths = vec![dir.join("CreateAnApplication.md")];
    paths.extend(pages.iter().map(|page| dir.join(page)));
    let mut app = App::sign_in(&paths, mode).await;
    assert_eq!(app.id, "105", "CreateAnApplication's application");
    for page in pages {
        app.perform(page).await;
    }
    app.sign_out_and_check(mode).await;
}

#[tokio::test]
async fn create_an_application_then_each_task_page_as_one_flow() {
    let Some(dir) = shared_tasks() else { return };
    for mode in [Mode::SingleScript, Mode::Sessions] {
        for page in FLOW_AFTER_SIGN_IN {
            tokio::time::timeout(Duration::from_secs(30), flow(&dir, &[page], mode))
                .await
                .unwrap_or_else(|_| panic!("{page} in {mode:?}: the flow ends in time"));
        }
    }
}

#[tokio::test]
async fn create_an_application_then_every_task_page_in_one_transcript() {
    let Some(dir) = shared_tasks() else { return };
    for mode in [Mode::SingleScript, Mode::Sessions] {
        tokio::time::timeout(
            Duration::from_secs(60),
            flow(&dir, &FLOW_AFTER_SIGN_IN, mode),
        )
        .await
        .unwrap_or_else(|_| panic!("{mode:?}: the flow ends in time"));
    }
}

#[tokio::test]
async fn an_id_the_mock_never_handed_out_is_a_clear_mismatch() {
    let Some(dir) = shared_tasks() else { return };
    let pages = [dir.join("CreateAnApplication.md"), dir.join("SendAnIM.md")];
    let app = App::sign_in(&pages, Mode::SingleScript).await;
    // SendAnIM's own application id, 102: the client was handed 105.
    let base = app
        .mock
        .base_url("lyncweb.contoso.com")
        .unwrap()
        .to_string();
    let answer = app
        .post_json(
            Url::parse(&format!("{base}/ucwa/oauth/v1/applications/102/communication/messagingInvitations")).unwrap(),
            json!({"importance": "Normal", "subject": "Task Sample", "to": "sip:lenea@contoso.com"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let differences = json(answer).await["debugInfo"]["differences"].clone();
    assert_eq!(
        differences,
        json!(["path id (applications/{id}): expected 105 (handed out; the page's 102 stands for it), received 102 (never handed out; handed out: 105)"])
    );
    app.mock.shutdown().await;
}

#[tokio::test]
async fn what_a_client_does_on_its_own_is_answered_and_nothing_else() {
    let Some(dir) = shared_tasks() else { return };
    let pages = [
        dir.join("CreateAnApplication.md"),
        dir.join("GetMyPresenceInformation.md"),
    ];
    let app = App::sign_in(&pages, Mode::SingleScript).await;
    let application = app.link("/_links/self/href");
    // A re-read of a resource served before, out of the pages' order.
    let me = app
        .get(app.link("/_embedded/me/_links/self/href"), StatusCode::OK)
        .await;
    assert_eq!(me["name"], "Lene Aaling");
    // Keep-alive, which no page shows.
    let activity = app.url(&format!("{}/me/reportMyActivity", application.path()));
    let reported = app.send(app.http.post(activity)).await;
    assert_eq!(reported.status(), StatusCode::NO_CONTENT);
    assert!(
        app.mock.mismatches().is_empty(),
        "{:#?}",
        app.mock.mismatches()
    );
    // A resource never served, and another application, are mismatches.
    let unknown = app.url(&format!("{}/me/location", application.path()));
    assert_eq!(
        app.send(app.http.get(unknown)).await.status(),
        StatusCode::BAD_REQUEST
    );
    let other = app.url("/ucwa/oauth/v1/applications/999");
    assert_eq!(
        app.send(app.http.delete(other)).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.mock.mismatches().len(), 2);
    // The pages' next step is still expected.
    let (next, _) = app
        .mock
        .transcript()
        .steps()
        .nth(5)
        .expect("makeMeAvailable");
    assert_eq!(app.mock.outcome(next), Some(StepOutcome::Pending));
    // Signing out ends the held pending GET: the application is gone.
    let held = app.send(app.http.get(app.events.clone()));
    let sign_out = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.send(app.http.delete(application.clone())).await
    };
    let (held, signed_out) = tokio::join!(held, sign_out);
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(held.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(held).await["subcode"], "ApplicationNotFound");
    app.mock.shutdown().await;
}
