//! Load runs of `ucwa-client` against `ucwa-mock` in session mode, over
//! loopback: many applications sign in at once, each opens its event channel
//! and reads a feed of numbered events, and each feed is checked to hold
//! every event of that application once, in order.
//!
//! The feed is `pages/event_feed.md`, a task page written for this crate:
//! [`FEED_EVENTS`] note events in 16 answers, each naming its number and the
//! application's `endpointId` (which the mock learns per session and
//! substitutes), so an event that went to the wrong application, was lost,
//! repeated or reordered shows in [`check_feed`].
//!
//! Used by `tests/load.rs` (bounded: 50 applications, part of `cargo test`)
//! and `benches/load.rs` (200 applications, with the mock in its own process
//! so that each process's memory can be read).

use futures_util::StreamExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use ucwa_client::{ChannelItem, Error, EventStream, RetryPolicy, Session, Timeouts};
use ucwa_mock::{MockConfig, SessionConfig};

/// Note events on the feed page.
pub const FEED_EVENTS: usize = 32;
/// The feed page's discovery host; `ucwa_mock::MockServer::base_url` gives its listener.
pub const DISCOVERY_HOST: &str = "lyncdiscover.load.example";
const USER: &str = "feed@load.example";
const PASSWORD: &str = "load-fixture-secret";

/// `pages/event_feed.md`.
pub fn feed_page() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pages/event_feed.md")
}

/// The mock's configuration for `applications` clients at once, losing
/// every `lose_every_nth_event_answer`th events answer of each (0: none).
pub fn mock_config(applications: usize, lose_every_nth_event_answer: u32) -> MockConfig {
    MockConfig {
        hold_timeout: Duration::from_secs(30),
        // Each client keeps up to three connections: discovery, commands, the event channel.
        max_connections: applications * 4 + 64,
        sessions: Some(SessionConfig {
            max_sessions: applications + 16,
            idle_timeout: Duration::from_secs(300),
            lose_every_nth_event_answer,
        }),
        ..MockConfig::default()
    }
}

/// The `endpointId` of application number `index`: a GUID that says its number.
pub fn endpoint_id(index: usize) -> String {
    format!("00000000-0000-4000-8000-{index:012x}")
}

/// The notes application `index` must get, in order, once each.
pub fn expected_feed(index: usize) -> Vec<String> {
    let endpoint = endpoint_id(index);
    (1..=FEED_EVENTS)
        .map(|number| format!("note {number} of {FEED_EVENTS} for {endpoint}"))
        .collect()
}

/// Signs in application `index` through discovery at `discovery_url`
/// (the mock's `lyncdiscover` listener). No keep-alive: the feed page does
/// not document `reportMyActivity`.
pub async fn sign_in(discovery_url: &str, index: usize) -> Result<Session, Error> {
    Session::builder(USER)
        .password(PASSWORD)
        .discovery_url(discovery_url)
        .user_agent("ucwa-load")
        .endpoint_id(endpoint_id(index))
        .timeouts(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(20),
            event_wait: Duration::from_secs(60),
            operation: Duration::from_secs(20),
            shutdown: Duration::from_secs(10),
        })
        .reconnect(RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        })
        .keep_alive(None)
        .sign_in()
        .await
}

/// One application that signed in and read its feed; its session stays
/// open (idle, its pending GET held) until signed out.
pub struct Run {
    /// Which application.
    pub index: usize,
    /// The signed-in session.
    pub session: Session,
    /// Its event stream, drained of the feed.
    pub events: EventStream,
    /// From the builder's `sign_in` to the application created.
    pub sign_in: Duration,
    /// From the event channel's start to the feed's last event.
    pub feed: Duration,
    /// The note messages received, in order.
    pub notes: Vec<String>,
}

/// Signs in application `index`, opens its event channel and reads
/// [`FEED_EVENTS`] notes, each within `wait`.
pub async fn run_one(discovery_url: &str, index: usize, wait: Duration) -> Result<Run, String> {
    let started = Instant::now();
    let session = sign_in(discovery_url, index)
        .await
        .map_err(|error| format!("sign-in: {error}"))?;
    let sign_in = started.elapsed();
    let started = Instant::now();
    let mut events = session.events();
    let mut notes = Vec::with_capacity(FEED_EVENTS);
    while notes.len() < FEED_EVENTS {
        let item = tokio::time::timeout(wait, events.next())
            .await
            .map_err(|_| format!("no event within {wait:?} after {} notes", notes.len()))?;
        notes.push(note(item)?);
    }
    Ok(Run {
        index,
        session,
        events,
        sign_in,
        feed: started.elapsed(),
        notes,
    })
}

/// The note message of a channel item; anything else is a failure.
fn note(item: Option<Result<ChannelItem, Error>>) -> Result<String, String> {
    match item {
        None => Err("the event stream ended".into()),
        Some(Err(error)) => Err(format!("the event channel failed: {error}")),
        Some(Ok(ChannelItem::Event(event))) => event
            .raw
            .embedded
            .as_ref()
            .and_then(|embedded| embedded.get("note")?.get("message")?.as_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "an event without a note: {} {}",
                    event.event_type(),
                    event.href()
                )
            }),
        Some(Ok(other)) => Err(format!("unexpected {other:?}")),
    }
}

/// Every note of application `index`'s feed once, in order, and nobody
/// else's: the first difference otherwise.
pub fn check_feed(index: usize, notes: &[String]) -> Result<(), String> {
    let expected = expected_feed(index);
    if let Some(at) =
        (0..expected.len().max(notes.len())).find(|&at| expected.get(at) != notes.get(at))
    {
        return Err(format!(
            "application {index}: event {} is {:?}, expected {:?}",
            at + 1,
            notes.get(at),
            expected.get(at)
        ));
    }
    Ok(())
}

/// Nothing arrives on `events` within `quiet`: no event came twice.
pub async fn check_quiet(
    index: usize,
    events: &mut EventStream,
    quiet: Duration,
) -> Result<(), String> {
    match tokio::time::timeout(quiet, events.next()).await {
        Err(_) => Ok(()),
        Ok(item) => Err(format!("application {index}: after the feed, {item:?}")),
    }
}

/// The outcome of many applications at once.
pub struct Outcome {
    /// The applications that read their feed, by index.
    pub runs: Vec<Run>,
    /// The others, with what went wrong.
    pub failures: Vec<(usize, String)>,
    /// From the first sign-in to the last feed read.
    pub wall: Duration,
}

/// Runs `applications` applications at once: each signs in, opens its
/// event channel and reads its feed (each event within `wait`).
pub async fn run_all(discovery_url: &str, applications: usize, wait: Duration) -> Outcome {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..applications {
        let url = discovery_url.to_owned();
        tasks.spawn(async move { (index, run_one(&url, index, wait).await) });
    }
    let mut runs = Vec::with_capacity(applications);
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, Ok(run))) => runs.push(run),
            Ok((index, Err(failure))) => failures.push((index, failure)),
            Err(error) => failures.push((usize::MAX, format!("the task failed: {error}"))),
        }
    }
    runs.sort_by_key(|run| run.index);
    failures.sort();
    Outcome {
        runs,
        failures,
        wall: started.elapsed(),
    }
}

/// Signs every run out at once; the failures, by index.
pub async fn sign_out_all(runs: Vec<Run>) -> Vec<(usize, String)> {
    let mut tasks = tokio::task::JoinSet::new();
    for run in runs {
        tasks.spawn(async move { (run.index, run.session.sign_out().await) });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((index, Err(error))) => failures.push((index, error.to_string())),
            Err(error) => failures.push((usize::MAX, error.to_string())),
        }
    }
    failures.sort();
    failures
}

/// Median, 95th percentile, maximum and mean of some durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latencies {
    /// The median.
    pub p50: Duration,
    /// The 95th percentile (nearest rank).
    pub p95: Duration,
    /// The largest.
    pub max: Duration,
    /// The mean.
    pub mean: Duration,
}

impl Latencies {
    /// `None` for no durations.
    pub fn of(mut durations: Vec<Duration>) -> Option<Latencies> {
        if durations.is_empty() {
            return None;
        }
        durations.sort();
        let rank = |percent: usize| durations[(durations.len() * percent).div_ceil(100).max(1) - 1];
        let total: Duration = durations.iter().sum();
        Some(Latencies {
            p50: rank(50),
            p95: rank(95),
            max: durations[durations.len() - 1],
            mean: total / durations.len() as u32,
        })
    }
}

/// The resident set size of process `pid` (this one for `None`), in KiB,
/// from `/proc/<pid>/status` (`VmRSS`); `None` where there is no such file.
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_differ_per_application_and_differences_are_named() {
        let feed = expected_feed(7);
        assert_eq!(feed.len(), FEED_EVENTS);
        assert_eq!(
            feed[0],
            "note 1 of 32 for 00000000-0000-4000-8000-000000000007"
        );
        assert_eq!(check_feed(7, &feed), Ok(()));
        assert!(check_feed(8, &feed).is_err(), "another application's feed");
        let mut repeated = feed.clone();
        repeated.insert(3, feed[2].clone());
        assert_eq!(
            check_feed(7, &repeated),
            Err(format!(
                "application 7: event 4 is {:?}, expected {:?}",
                Some(&feed[2]),
                Some(&feed[3])
            ))
        );
        let mut swapped = feed.clone();
        swapped.swap(0, 1);
        assert!(check_feed(7, &swapped).is_err());
        assert!(check_feed(7, &feed[..31]).is_err(), "one lost");
    }

    #[test]
    fn latencies_are_nearest_rank() {
        let ms = Duration::from_millis;
        let figures = Latencies::of((1..=100).rev().map(ms).collect()).unwrap();
        assert_eq!(
            (figures.p50, figures.p95, figures.max),
            (ms(50), ms(95), ms(100))
        );
        assert_eq!(figures.mean, Duration::from_micros(50_500));
        assert_eq!(Latencies::of(vec![ms(3)]).map(|l| l.p95), Some(ms(3)));
        assert_eq!(Latencies::of(Vec::new()), None);
    }

    #[test]
    fn this_process_has_a_resident_set_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(rss_kib(None).is_some_and(|kib| kib > 0));
        }
        assert_eq!(rss_kib(Some(u32::MAX)), None);
    }
}
