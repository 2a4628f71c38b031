//! The knobs of a session: timeouts, size limits, retries and the event
//! channel's query parameters. Every wait the client makes is bounded by one
//! of these.

use std::time::Duration;

/// The longest wait any setting may ask for: a day. A longer one is a
/// mistake (`Duration::MAX`) and would overflow a deadline; signing in
/// with one is [`crate::Error::Config`].
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long the client waits, per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a TCP (and TLS) connection.
    pub connect: Duration,
    /// One ordinary request, from sending it to the last byte of the body.
    pub request: Duration,
    /// One pending GET on the event channel. The server answers a quiet
    /// channel after its own timeout (180 s unless
    /// [`EventChannelOptions::timeout`] says otherwise); this bound is for a
    /// server that never answers. Defaults to 240 s.
    pub event_wait: Duration,
    /// An operation started with [`crate::Session::start_operation`], from the
    /// POST to its `completed` event.
    pub operation: Duration,
    /// Deleting the application when the session ends.
    pub shutdown: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
            event_wait: Duration::from_secs(240),
            operation: Duration::from_secs(120),
            shutdown: Duration::from_secs(10),
        }
    }
}

/// Bounded retries with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub base_delay: Duration,
    /// The longest wait between two attempts, also the cap on a server's
    /// `Retry-After`.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub const NONE: RetryPolicy = RetryPolicy {
        attempts: 1,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// The wait before attempt number `attempt` (1 for the first retry).
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Size and count limits on what the server sends and what the client keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest response body read, in bytes; a larger one is an error
    /// ([`crate::Error::BodyTooLarge`]) and is not buffered.
    pub max_body_bytes: usize,
    /// Redirects (HTTP 3xx and `redirect` links) followed during discovery.
    pub max_redirects: u32,
    /// Items buffered per event stream; past it the oldest is dropped and
    /// the reader told ([`crate::ChannelItem::Lagged`]): the channel never
    /// waits for a reader.
    pub event_buffer: usize,
    /// Operations tracked at once.
    pub max_pending_operations: usize,
    /// Requests per batch; longer lists are sent as several batches.
    pub batch_size: usize,
    /// Resources the session's cache keeps ([`crate::Session::cached`]);
    /// past it the one stored longest ago goes. `0` turns the cache off.
    pub cache_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_redirects: 10,
            event_buffer: 256,
            max_pending_operations: 1024,
            batch_size: 20,
            cache_entries: 1024,
        }
    }
}

/// Query parameters for the event channel (EventChannelDetails), sent with
/// the first pending GET and again after a `resume` link. `None` leaves the
/// server's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventChannelOptions {
    /// `timeout`: how long the server holds a quiet pending GET.
    pub timeout: Option<Duration>,
    /// `medium`: the aggregation interval of medium-priority events.
    pub medium: Option<Duration>,
    /// `low`: the aggregation interval of low-priority events.
    pub low: Option<Duration>,
}

impl EventChannelOptions {
    pub(crate) fn query_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("timeout", self.timeout),
            ("medium", self.medium),
            ("low", self.low),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value.as_secs().to_string())))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        let delays: Vec<u128> = (1..=6).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 700, 700, 700]);
        assert_eq!(policy.delay(200), Duration::from_millis(700));
        assert_eq!(RetryPolicy::NONE.delay(3), Duration::ZERO);
    }

    #[test]
    fn channel_options_become_query_pairs_in_seconds() {
        let options = EventChannelOptions {
            timeout: Some(Duration::from_secs(900)),
            medium: None,
            low: Some(Duration::from_secs(600)),
        };
        assert_eq!(
            options.query_pairs(),
            [("timeout", "900".to_owned()), ("low", "600".to_owned())]
        );
        assert!(EventChannelOptions::default().query_pairs().is_empty());
    }
}
