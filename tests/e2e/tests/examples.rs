//! The client's examples (`client/examples/*.rs`), each against the mock
//! serving the task page it performs (after CreateAnApplication for the ones
//! that sign in through discovery), over loopback. The examples' own files
//! are compiled here: the function a user reads is the one that runs; only
//! their `main` (reading the environment, printing) is not called.
//!
//! Every request must be accepted and every documented step served, but the
//! ones the test names with the reason. Needs `../shared/ucwa-tasks`; each
//! test says it skipped when the pages are not there.

#![allow(dead_code)] // the examples' `main`s

#[path = "../../../client/examples/azure_ad.rs"]
mod azure_ad;
#[path = "../../../client/examples/batch.rs"]
mod batch;
#[path = "../../../client/examples/get_a_contact.rs"]
mod get_a_contact;
#[path = "../../../client/examples/get_a_token.rs"]
mod get_a_token;
#[path = "../../../client/examples/get_my_note.rs"]
mod get_my_note;
#[path = "../../../client/examples/get_my_photo.rs"]
mod get_my_photo;
#[path = "../../../client/examples/get_my_presence.rs"]
mod get_my_presence;
#[path = "../../../client/examples/multi_tab.rs"]
mod multi_tab;
#[path = "../../../client/examples/send_an_im.rs"]
mod send_an_im;
#[path = "../../../client/examples/set_my_note.rs"]
mod set_my_note;
#[path = "../../../client/examples/set_my_presence.rs"]
mod set_my_presence;
#[path = "../../../client/examples/sign_in.rs"]
mod sign_in;
#[path = "../../../client/examples/subscribe_to_presence.rs"]
mod subscribe_to_presence;

use std::path::{Path, PathBuf};
use std::time::Duration;
use ucwa::enums::PreferredAvailability;
use ucwa_client::{AuthError, Error, FormGrant, RetryPolicy, Session, SessionBuilder, Timeouts};
use ucwa_mock::{MockConfig, MockServer, StepKind, StepOutcome, Transcript};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The mock serving these pages of `../shared/ucwa-tasks`, one script;
/// `None`, said, when the pages are not there.
async fn serving(pages: &[&str]) -> Option<MockServer> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ucwa-tasks");
    if !dir.is_dir() {
        eprintln!("{} not found: test skipped", dir.display());
        return None;
    }
    let transcript = Transcript::read(pages.iter().map(|page| dir.join(page))).expect("the pages");
    let config = MockConfig {
        hold_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        ..MockConfig::default()
    };
    let mock = MockServer::start(transcript, config)
        .await
        .expect("the mock starts");
    Some(mock)
}

/// The mock serving CreateAnApplication, then `task`: the examples that sign
/// in through discovery.
async fn after_sign_in(task: &str) -> Option<MockServer> {
    serving(&["CreateAnApplication.md", task]).await
}

/// A builder as `Session::builder_from_env` gives one, for CreateAnApplication's user.
fn builder(mock: &MockServer) -> SessionBuilder {
    let root = mock
        .base_url("lyncdiscover.contoso.com")
        .expect("the discovery host");
    bounded_builder(Session::builder("lenea@contoso.com").password("pass@word1"))
        .discovery_url(format!("{root}/"))
        .user_agent("UCWA Samples")
}

/// Short timeouts, no retries, no keep-alive: a test ends quickly whatever happens.
fn bounded_builder(builder: SessionBuilder) -> SessionBuilder {
    builder
        .keep_alive(None)
        .retry(RetryPolicy::NONE)
        .timeouts(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(10),
            event_wait: Duration::from_secs(10),
            operation: Duration::from_secs(10),
            shutdown: Duration::from_secs(5),
        })
}

async fn within<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), work)
        .await
        .expect("the example ends in time")
}

/// The event steps after the page's last served step that are not served:
/// an example that signs out once it has what it wanted ends its event
/// channel, and whether the channel's next pending GET went out before the
/// `DELETE` is a race the page does not decide (a loaded machine loses it).
/// Any other unserved step is still reported by [`assert_all_served`].
fn trailing_events(mock: &MockServer) -> Vec<String> {
    let outcomes = mock.outcomes();
    let last_served = outcomes
        .iter()
        .rposition(|(_, outcome)| *outcome == StepOutcome::Served)
        .unwrap_or(0);
    outcomes[last_served..]
        .iter()
        .filter(|(_, outcome)| *outcome == StepOutcome::Pending)
        .filter_map(|(id, _)| {
            let step = mock.transcript().step(*id)?;
            (step.kind == StepKind::Event).then(|| shown(&step.location))
        })
        .collect()
}

fn shown(location: &ucwa_mock::Location) -> String {
    let file = Path::new(&*location.file)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{file}:{}", location.line)
}

/// No mismatch, and every step served but those at `unserved` (`File.md:line`).
fn assert_all_served(mock: &MockServer, unserved: &[&str]) {
    assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
    let not_served: Vec<String> = mock
        .outcomes()
        .into_iter()
        .filter(|(_, outcome)| *outcome != StepOutcome::Served)
        .filter_map(|(id, _)| Some(shown(&mock.transcript().step(id)?.location)))
        .collect();
    assert_eq!(not_served, unserved);
}

/// Makes the step at `File.md:line` the next one the mock expects.
fn expect_step(mock: &MockServer, at: &str) {
    let step = mock
        .transcript()
        .steps()
        .find(|(_, step)| step.location.to_string().ends_with(at))
        .map(|(id, _)| id)
        .expect("the step");
    assert!(mock.expect(step));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in() -> Result<(), Failure> {
    let Some(mock) = serving(&["CreateAnApplication.md"]).await else {
        return Ok(());
    };
    let signed_in = within(sign_in::sign_in(builder(&mock))).await?;
    let application = format!(
        "{}/ucwa/oauth/v1/applications/105",
        mock.base_url("lyncweb.contoso.com").unwrap()
    );
    assert_eq!(
        signed_in,
        format!("Lene Aaling (sip:lenea@contoso.com) at {application}")
    );
    assert_all_served(&mock, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_a_token_with_each_grant() -> Result<(), Failure> {
    let Some(mock) = serving(&["AuthenticationInUCWA.md"]).await else {
        return Ok(());
    };
    let token_url = mock.local_url("https://contoso.com/WebTicket/oauthtoken");
    let builder =
        || bounded_builder(Session::builder("johndoe@contoso.com").allow_host("127.0.0.1"));
    let password = builder().credentials("johndoe", "A3ddj3w");
    let token = within(get_a_token::get_a_token(password, &token_url)).await?;
    assert_eq!(token.token_type(), "Bearer");
    let windows = builder().token_source(FormGrant::new("urn:microsoft.rtc:windows"));
    within(get_a_token::get_a_token(windows, &token_url)).await?;
    let meeting = "sip%John%contoso.com;gruu;opaque=app:conf:focus:id:G03W98W4";
    let anonymous = builder().token_source(FormGrant::anonymous_meeting(meeting, "G03W98W4"));
    within(get_a_token::get_a_token(anonymous, &token_url)).await?;
    // The passive grant is refused, with where to authenticate instead.
    let passive = builder().token_source(FormGrant::new("urn:microsoft.rtc:passive"));
    let refused = within(get_a_token::get_a_token(passive, &token_url))
        .await
        .expect_err("refused");
    match refused.downcast_ref::<Error>() {
        Some(Error::Auth(AuthError::Rejected {
            status: 400,
            error,
            passive_auth_uri,
            ..
        })) => {
            assert_eq!(error.as_deref(), Some("invalid_grant"));
            assert!(passive_auth_uri
                .as_deref()
                .is_some_and(|uri| uri.ends_with("/PassiveAuth/PassiveAuth.aspx")));
        }
        other => panic!("{other:?}"),
    }
    // The renewal with ms_rtc_renew (the page shows no answer) is not an example's.
    assert_all_served(&mock, &["AuthenticationInUCWA.md:241"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_azure_ad() -> Result<(), Failure> {
    let Some(mock) = serving(&["AuthenticationUsingAzureAD.md"]).await else {
        return Ok(());
    };
    // Azure AD's authorize endpoint and discovery come before (a browser's and
    // the page's words); the example starts at the applications URL.
    expect_step(&mock, "AuthenticationUsingAzureAD.md:233");
    let applications =
        mock.local_url("https://webpoolXY.infra.lync.com/ucwa/oauth/v1/applications");
    let builder = bounded_builder(Session::builder("lenea@contoso.com")).user_agent("UCWA Samples");
    let application = within(azure_ad::sign_in_with_azure_ad(
        builder,
        "an-azure-ad-token",
        &applications,
    ))
    .await?;
    assert!(
        application.ends_with("/ucwa/oauth/v1/applications/105"),
        "{application}"
    );
    let before: Vec<String> = [56, 75, 84, 113, 129, 196]
        .iter()
        .map(|line| format!("AuthenticationUsingAzureAD.md:{line}"))
        .collect();
    assert_all_served(
        &mock,
        &before.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_a_tab() -> Result<(), Failure> {
    let Some(mock) = serving(&["MultiTabSupport.md"]).await else {
        return Ok(());
    };
    let applications = mock.local_url("https://ext.vdomain.com:4443/ucwa/v1/applications");
    let builder = bounded_builder(Session::builder("user@vdomain.com").password("unused"))
        .applications_url(applications);
    let events = within(multi_tab::open_tab(builder, "foo", "123", "abc")).await?;
    assert!(events.ends_with("/events?ack=1&instanceId=abc"), "{events}");
    assert_all_served(&mock, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_an_im() -> Result<(), Failure> {
    let Some(mock) = after_sign_in("SendAnIM.md").await else {
        return Ok(());
    };
    let sent = send_an_im::send_an_im(
        builder(&mock),
        "sip:lenea@contoso.com",
        "Task Sample",
        "What's up?",
    );
    assert_eq!(within(sent).await?, "Connected");
    assert_all_served(&mock, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_note() -> Result<(), Failure> {
    let Some(mock1) = after_sign_in("GetMyPresenceInformation.md").await else {
        return Ok(());
    };
    let presence = within(get_my_presence::get_my_presence(builder(&mock1))).await?;
    assert_eq!(
        presence.availability.map(|a| a.to_string()).as_deref(),
        Some("Online")
    );
    assert_all_served(&mock1, &[]);

    let mock2 = after_sign_in("SetMyPresenceInformation.md")
        .await
        .expect("the pages");
    within(set_my_presence::set_my_presence(
        builder(&mock2),
        PreferredAvailability::Online,
    ))
    .await?;
    assert_all_served(&mock2, &[]);

    let mock3 = after_sign_in("GetMyNoteInformation.md")
        .await
        .expect("the pages");
    let note = within(get_my_note::get_my_note(builder(&mock3))).await?;
    assert_eq!(
        note.r#type.map(|t| t.to_string()).as_deref(),
        Some("Personal")
    );
    assert_all_served(&mock3, &[]);

    let mock4 = after_sign_in("Setmynoteinformation.md")
        .await
        .expect("the pages");
    within(set_my_note::set_my_note(
        builder(&mock4),
        "working working working",
    ))
    .await?;
    assert_all_served(&mock4, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_my_photo() -> Result<(), Failure> {
    let Some(mock) = after_sign_in("GetMyPhoto.md").await else {
        return Ok(());
    };
    let (content_type, _) = within(get_my_photo::get_my_photo(builder(&mock))).await?;
    assert_eq!(content_type, "image/jpeg");
    assert_all_served(&mock, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_a_contact() -> Result<(), Failure> {
    let Some(mock) = after_sign_in("GetAContactData.md").await else {
        return Ok(());
    };
    let contact = within(get_a_contact::get_a_contact(
        builder(&mock),
        "sip:lenea@contoso.com",
    ))
    .await?;
    assert_eq!(contact.name.as_deref(), Some("Lene Aaling"));
    // The page then reads `people/lenea@contoso.com@contoso.com`, which no
    // link names; the example reads the contact its list links (a re-read).
    assert_all_served(&mock, &["GetAContactData.md:96"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_to_presence() -> Result<(), Failure> {
    let Some(mock) = after_sign_in("SubscribeToThePresenceOfSelectedContacts.md").await else {
        return Ok(());
    };
    let uris = ["sip:SaraD@contoso.com".to_string()];
    let presences = within(subscribe_to_presence::subscribe_to_presence(
        builder(&mock),
        &uris,
    ))
    .await?;
    let availability: Vec<Option<String>> = presences
        .iter()
        .map(|presence| presence.availability.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(availability, [Some("Offline".to_string())]);
    let trailing = trailing_events(&mock);
    let trailing: Vec<&str> = trailing.iter().map(String::as_str).collect();
    assert!(trailing.len() <= 1, "{trailing:?}");
    assert_all_served(&mock, &trailing);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch() -> Result<(), Failure> {
    let Some(mock) = after_sign_in("GroupingRequestsInABatch.md").await else {
        return Ok(());
    };
    // The page shows no answer to the batch: the mock accepts it and says so.
    let error = within(batch::batch(builder(&mock)))
        .await
        .expect_err("no documented answer");
    let status = error
        .downcast_ref::<Error>()
        .and_then(Error::status)
        .map(|status| status.as_u16());
    assert_eq!(status, Some(501), "{error}");
    assert_all_served(&mock, &[]);
    Ok(())
}
