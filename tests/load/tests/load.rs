//! The bounded load test: 50 applications sign in to the mock in session
//! mode at once over loopback, each reads its own feed of 32 numbered events
//! while the mock loses every 4th events answer, and each gets every event
//! of its own once and in order. The 200-application run with memory
//! figures is `cargo bench -p ucwa-load --bench load`.

use std::time::Duration;
use ucwa_client::{AuthError, Error};
use ucwa_load::{
    check_feed, check_quiet, feed_page, mock_config, run_all, sign_in, sign_out_all,
    DISCOVERY_HOST, FEED_EVENTS,
};
use ucwa_mock::{MockServer, Transcript};

const APPLICATIONS: usize = 50;
/// Answers per feed on the page, and the share of them the mock loses.
const FEED_ANSWERS: u64 = 16;
const LOSE_EVERY: u32 = 4;

async fn start_mock(applications: usize, lose_every: u32) -> (MockServer, String) {
    let transcript = Transcript::read([feed_page()]).expect("the feed page");
    let mock = MockServer::start(transcript, mock_config(applications, lose_every))
        .await
        .expect("the mock starts");
    let discovery = format!(
        "{}/",
        mock.base_url(DISCOVERY_HOST).expect("the discovery host")
    );
    (mock, discovery)
}

/// Whatever happens, the test ends within a minute.
async fn bounded<T>(test: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the load test ends within 60 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_applications_each_get_their_own_events_once_and_in_order() {
    bounded(async {
        let (mock, discovery) = start_mock(APPLICATIONS, LOSE_EVERY).await;
        let mut outcome = run_all(&discovery, APPLICATIONS, Duration::from_secs(20)).await;
        assert!(outcome.failures.is_empty(), "{:#?}", outcome.failures);
        assert_eq!(outcome.runs.len(), APPLICATIONS);
        for run in &outcome.runs {
            check_feed(run.index, &run.notes).unwrap();
        }
        // Nothing more arrives on any channel: no event came twice.
        let quiet = futures_util::future::join_all(
            outcome
                .runs
                .iter_mut()
                .map(|run| check_quiet(run.index, &mut run.events, Duration::from_millis(300))),
        )
        .await;
        assert!(quiet.iter().all(Result::is_ok), "{quiet:?}");
        assert!(mock.mismatches().is_empty(), "{:#?}", mock.mismatches());
        let counts = mock.session_counts();
        assert_eq!(
            (counts.open, counts.started),
            (APPLICATIONS, APPLICATIONS as u64)
        );
        // Every 4th answer of each feed was lost; each came again to the retry.
        let lost = APPLICATIONS as u64 * (FEED_ANSWERS / u64::from(LOSE_EVERY));
        assert_eq!(counts.lost_event_answers, lost);
        assert!(counts.redelivered_event_answers >= lost, "{counts:?}");
        eprintln!(
            "{APPLICATIONS} applications, {} events each, in {:?}",
            FEED_EVENTS, outcome.wall
        );

        let failures = sign_out_all(outcome.runs).await;
        assert!(failures.is_empty(), "{failures:#?}");
        let counts = mock.session_counts();
        assert_eq!((counts.open, counts.deleted), (0, APPLICATIONS as u64));
        mock.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn an_application_beyond_the_mocks_session_cap_is_refused_with_a_clear_error() {
    bounded(async {
        let (mock, discovery) = start_mock(2, 0).await;
        // mock_config keeps 16 sessions beyond the applications it expects.
        let mut sessions = Vec::new();
        for index in 0..18 {
            sessions.push(sign_in(&discovery, index).await.expect("room for it"));
        }
        let refused = sign_in(&discovery, 18).await.expect_err("no room");
        match &refused {
            Error::Auth(AuthError::Rejected { status: 503, .. }) => {}
            other => panic!("expected the token request refused with 503, got {other}"),
        }
        assert_eq!(mock.session_counts().refused, 1);
        // A session signed out makes room.
        sessions
            .pop()
            .expect("a session")
            .sign_out()
            .await
            .expect("signed out");
        sessions.push(sign_in(&discovery, 18).await.expect("room again"));
        assert_eq!(mock.session_counts().open, 18);
        mock.shutdown().await;
    })
    .await;
}
