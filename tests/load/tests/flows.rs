//! ucwa-client against the mock serving Microsoft's task pages as one flow:
//! the client signs in through discovery and the MsRtcOAuth challenge as
//! CreateAnApplication shows, creates its application, and then performs
//! each task page by following the links it was handed, with the client's
//! own API (`make_me_available`, `start_operation`, `batch`, the event
//! stream, `send` for the rest). The mock must accept every request: no
//! mismatch, in single-script and in session mode.
//!
//! Where a page cannot be followed as written, the test says so:
//! - GetAContactData.md:96 asks for `people/lenea@contoso.com@contoso.com`,
//!   which no served href names; the client follows the listed contact (a
//!   re-read of what the list showed) and then sends the documented path.
//! - In the long flow, the pages after the first each start with
//!   `makeMeAvailable`, whose link a server drops once the user is available
//!   (the pages' later application bodies have none): the client posts to
//!   the href it was given with the application it created.
//! - AuthenticationInUCWA and MultiTabSupport are not flows a signed-in
//!   client performs (token requests of every grant, some failing; another
//!   tab's application at another host): the plain-client replays of the
//!   mock's own tests cover them.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use ucwa_client::{Application, ChannelItem, Event, EventStream, RetryPolicy, Session, Timeouts};
use ucwa_mock::{MockConfig, MockServer, SessionConfig, StepOutcome, Transcript};

/// The task pages that follow CreateAnApplication.
const PAGES: [&str; 9] = [
    "GetMyPresenceInformation.md",
    "SetMyPresenceInformation.md",
    "GetMyNoteInformation.md",
    "Setmynoteinformation.md",
    "GetMyPhoto.md",
    "GetAContactData.md",
    "SubscribeToThePresenceOfSelectedContacts.md",
    "SendAnIM.md",
    "GroupingRequestsInABatch.md",
];

fn shared_tasks() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ucwa-tasks");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("{} not found: test skipped", dir.display());
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    SingleScript,
    Sessions,
}

async fn start_mock(dir: &Path, pages: &[&str], mode: Mode) -> MockServer {
    let mut paths = vec![dir.join("CreateAnApplication.md")];
    paths.extend(pages.iter().map(|page| dir.join(page)));
    let transcript = Transcript::read(&paths).expect("the pages");
    let config = MockConfig {
        hold_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        sessions: (mode == Mode::Sessions).then(SessionConfig::default),
        ..MockConfig::default()
    };
    MockServer::start(transcript, config)
        .await
        .expect("the mock starts")
}

async fn sign_in(mock: &MockServer) -> Session {
    let discovery = format!("{}/", mock.base_url("lyncdiscover.contoso.com").unwrap());
    Session::builder("lenea@contoso.com")
        .password("pass@word1")
        .discovery_url(discovery)
        .user_agent("UCWA Samples")
        .keep_alive(None)
        .retry(RetryPolicy::NONE)
        .timeouts(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(10),
            event_wait: Duration::from_secs(10),
            operation: Duration::from_secs(10),
            shutdown: Duration::from_secs(5),
        })
        .sign_in()
        .await
        .expect("signed in as CreateAnApplication shows")
}

fn request(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(method).uri(url);
    if let Some(content_type) = content_type {
        builder = builder.header("Content-Type", content_type);
    }
    builder.body(body).expect("a request")
}

fn get(url: &str) -> http::Request<Vec<u8>> {
    request("GET", url, None, Vec::new())
}

fn post_json(url: &str, body: Value) -> http::Request<Vec<u8>> {
    request(
        "POST",
        url,
        Some("application/json"),
        body.to_string().into_bytes(),
    )
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {value}"))
}

/// A signed-in application, its event stream, and the application as created.
struct Flow {
    session: Session,
    events: EventStream,
    created: Arc<Application>,
}

impl Flow {
    async fn new(mock: &MockServer) -> Flow {
        let session = sign_in(mock).await;
        let events = session.events();
        let created = session.application();
        Flow {
            session,
            events,
            created,
        }
    }

    /// A link of the application's `me`, as last read or else as created.
    fn me_link(&self, rel: &str) -> String {
        let find = |application: &Application| {
            let me = application.embedded.as_ref()?.me.as_ref()?.first()?;
            let link = match rel {
                "self" => me.self_link().map(|l| l.href().to_owned()),
                "makeMeAvailable" => me.make_me_available_link().map(|l| l.href().to_owned()),
                "presence" => me.presence_link().map(|l| l.href().to_owned()),
                "note" => me.note_link().map(|l| l.href().to_owned()),
                "photo" => me.photo_link().map(|l| l.href().to_owned()),
                other => panic!("no {other} link here"),
            };
            link
        };
        find(&self.session.application())
            .or_else(|| find(&self.created))
            .unwrap_or_else(|| panic!("the {rel} link of me"))
    }

    /// A link of the application's `people`, as created.
    fn people_link(&self, rel: &str) -> String {
        let people = self
            .created
            .embedded
            .as_ref()
            .and_then(|embedded| embedded.people.as_ref()?.first())
            .expect("people");
        let link = match rel {
            "myContacts" => people.my_contacts_link().map(|l| l.href().to_owned()),
            "presenceSubscriptions" => people
                .presence_subscriptions_link()
                .map(|l| l.href().to_owned()),
            other => panic!("no {other} link here"),
        };
        link.unwrap_or_else(|| panic!("the {rel} link of people"))
    }

    fn start_messaging_link(&self) -> String {
        self.created
            .embedded
            .as_ref()
            .and_then(|embedded| {
                embedded
                    .communication
                    .as_ref()?
                    .first()?
                    .start_messaging_link()
            })
            .map(|link| link.href().to_owned())
            .expect("the startMessaging link")
    }

    async fn next_event(&mut self) -> Event {
        match tokio::time::timeout(Duration::from_secs(10), self.events.next()).await {
            Ok(Some(Ok(ChannelItem::Event(event)))) => *event,
            other => panic!("an event expected: {other:?}"),
        }
    }

    /// Sends a request; the mock must accept it with `status`; the body, as JSON when it is.
    async fn send(&self, request: http::Request<Vec<u8>>, status: u16) -> Value {
        let what = format!("{} {}", request.method(), request.uri());
        let response = self
            .session
            .send(request)
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        assert_eq!(response.status().as_u16(), status, "{what}");
        serde_json::from_slice(response.body()).unwrap_or(Value::Null)
    }

    /// `makeMeAvailable` (with ucwa-client's own call the first time, which
    /// also reads `me` again), then the application read again.
    async fn available_and_read(&self, first: bool) {
        let body = json!({"SupportedModalities": ["Messaging"]});
        if first {
            self.session
                .make_me_available(&body)
                .await
                .expect("makeMeAvailable");
        } else {
            self.send(post_json(&self.me_link("makeMeAvailable"), body), 204)
                .await;
        }
        self.session
            .refresh_application()
            .await
            .expect("the application read again");
    }

    /// One page's task.
    async fn perform(&mut self, page: &str, first_available: &mut bool) {
        let mut available = || std::mem::replace(first_available, false);
        match page {
            "GetMyPresenceInformation.md" => {
                self.available_and_read(available()).await;
                let presence = self.send(get(&self.me_link("presence")), 200).await;
                assert_eq!(presence["availability"], "Online");
            }
            "SetMyPresenceInformation.md" => {
                self.available_and_read(available()).await;
                let presence = self.me_link("presence");
                self.send(post_json(&presence, json!({"availability": "Online"})), 204)
                    .await;
            }
            "GetMyNoteInformation.md" => {
                self.available_and_read(available()).await;
                let note = self.send(get(&self.me_link("note")), 200).await;
                assert_eq!(note["type"], "Personal");
            }
            "Setmynoteinformation.md" => {
                self.available_and_read(available()).await;
                let note = self.me_link("note");
                self.send(
                    post_json(&note, json!({"message": "working working working"})),
                    204,
                )
                .await;
            }
            "GetMyPhoto.md" => {
                self.available_and_read(available()).await;
                let photo = self
                    .session
                    .send(get(&self.me_link("photo")))
                    .await
                    .expect("the photo");
                assert_eq!(photo.headers()["content-type"], "image/jpeg");
            }
            "GetAContactData.md" => {
                let contacts = self.send(get(&self.people_link("myContacts")), 200).await;
                let lenea = text(&contacts, "/_embedded/contact/1/_links/self/href").to_string();
                let listed = self.send(get(&lenea), 200).await;
                assert_eq!(listed["name"], "Lene Aaling");
                // GetAContactData.md:96: the path no served href names.
                let contact = self.send(get(&format!("{lenea}@contoso.com")), 200).await;
                assert_eq!(contact["uri"], "sip:lenea@contoso.com@contoso.com");
            }
            "SubscribeToThePresenceOfSelectedContacts.md" => {
                let subscriptions = self.people_link("presenceSubscriptions");
                let body = json!({"duration": 11, "Uris": ["sip:SaraD@contoso.com"]});
                self.send(post_json(&subscriptions, body), 201).await;
                let mut presence = None;
                // Two events answers of one event each: contactPresence, presenceSubscription.
                for _ in 0..2 {
                    let event = self.next_event().await;
                    if event.target().rel.to_string() == "contactPresence" {
                        presence = Some(event.href().to_owned());
                    }
                }
                let presence = self
                    .send(get(&presence.expect("a contactPresence event")), 200)
                    .await;
                assert_eq!(presence["availability"], "Offline");
            }
            "SendAnIM.md" => self.send_an_im().await,
            "GroupingRequestsInABatch.md" => {
                let parts = vec![
                    get(&self.people_link("myContacts")),
                    get(&self.me_link("self")),
                ];
                match self.session.batch(parts).await {
                    // Accepted; the page shows no response to it.
                    Err(error) => {
                        assert_eq!(error.status().map(|s| s.as_u16()), Some(501), "{error}")
                    }
                    Ok(answers) => panic!("the page documents no answer, got {answers:?}"),
                }
            }
            other => panic!("no flow for {other}"),
        }
    }

    async fn send_an_im(&mut self) {
        let start = self.start_messaging_link();
        let body = json!({"importance": "Normal", "subject": "Task Sample", "to": "sip:lenea@contoso.com"});
        let operation = self
            .session
            .start_operation(post_json(&start, body))
            .await
            .expect("startMessaging");
        let invitation = operation
            .completed()
            .await
            .expect("the invitation completes")
            .expect("a completed event");
        let conversation = invitation
            .raw
            .embedded
            .as_ref()
            .and_then(|embedded| embedded.get("messagingInvitation"))
            .map(|resource| text(resource, "/_links/conversation/href").to_owned())
            .expect("the conversation link");
        // The stream saw the same events: read up to messaging with its sendMessage link.
        let mut messaging = None;
        while messaging.is_none() {
            let event = self.next_event().await;
            messaging = event
                .raw
                .embedded
                .as_ref()
                .and_then(|embedded| embedded.get("messaging"))
                .filter(|messaging| messaging.pointer("/_links/sendMessage").is_some())
                .cloned();
        }
        let messaging = messaging.expect("messaging");
        let conversation = self.send(get(&conversation), 200).await;
        assert_eq!(conversation["state"], "Connected");
        let message = request(
            "POST",
            text(&messaging, "/_links/sendMessage/href"),
            Some("text/plain"),
            b"What's up?".to_vec(),
        );
        let sent = self
            .session
            .start_operation(message)
            .await
            .expect("sendMessage");
        sent.completed()
            .await
            .expect("the message is delivered")
            .expect("a completed event");
        let stop = text(&messaging, "/_links/stopMessaging/href");
        self.send(request("POST", stop, None, Vec::new()), 204)
            .await;
    }
}

/// Signs in, performs `pages` after CreateAnApplication, signs out; no mismatch.
async fn flow(dir: &Path, pages: &[&str], mode: Mode) {
    let mock = start_mock(dir, pages, mode).await;
    let mut flow = Flow::new(&mock).await;
    assert!(
        flow.session
            .application_url()
            .path()
            .ends_with("/applications/105"),
        "{}",
        flow.session.application_url()
    );
    let mut first_available = true;
    for page in pages {
        flow.perform(page, &mut first_available).await;
    }
    flow.session
        .sign_out()
        .await
        .expect("the application deleted");
    let mismatches = mock.mismatches();
    assert!(
        mismatches.is_empty(),
        "{pages:?} in {mode:?}: {mismatches:#?}"
    );
    if mode == Mode::SingleScript {
        let unserved: Vec<String> = mock
            .outcomes()
            .into_iter()
            .filter(|(_, outcome)| *outcome != StepOutcome::Served)
            .filter_map(|(id, _)| mock.transcript().step(id).map(|s| s.location.to_string()))
            .collect();
        assert!(unserved.is_empty(), "steps not served: {unserved:?}");
    } else {
        let counts = mock.session_counts();
        assert_eq!((counts.started, counts.deleted, counts.open), (1, 1, 0));
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_signs_in_and_performs_each_task_page_after_create_an_application() {
    let Some(dir) = shared_tasks() else { return };
    for mode in [Mode::SingleScript, Mode::Sessions] {
        for page in PAGES {
            tokio::time::timeout(Duration::from_secs(60), flow(&dir, &[page], mode))
                .await
                .unwrap_or_else(|_| panic!("{page} in {mode:?}: the flow ends in time"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_performs_every_task_page_in_one_flow() {
    let Some(dir) = shared_tasks() else { return };
    for mode in [Mode::SingleScript, Mode::Sessions] {
        tokio::time::timeout(Duration::from_secs(90), flow(&dir, &PAGES, mode))
            .await
            .unwrap_or_else(|_| panic!("{mode:?}: the flow ends in time"));
    }
}
