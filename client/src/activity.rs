//! When to report activity (`reportMyActivity`), from what the server and
//! the session said rather than a constant.
//!
//! Three things bound the interval:
//! - the interval the user configured ([`crate::SessionBuilder::keep_alive`]);
//! - the `inactiveTimeout` the session sent in `makeMeAvailable`: after that
//!   long without a report the server switches the user to inactive, so a
//!   report comes at four fifths of it;
//! - each `InactiveApplicationExpired` the server answered: it keeps idle
//!   applications for less time than the interval assumed, so the interval
//!   halves (down to [`FLOOR`]).

use std::time::Duration;

/// The shortest interval the session shortens to.
pub(crate) const FLOOR: Duration = Duration::from_secs(30);

/// The interval between two reports.
pub(crate) fn report_interval(
    configured: Duration,
    make_me_available: Option<&[u8]>,
    inactivity_expiries: u32,
) -> Duration {
    let mut interval = configured;
    if let Some(timeout) = make_me_available.and_then(inactive_timeout) {
        interval = interval
            .min(timeout.mul_f64(0.8))
            .max(FLOOR.min(configured));
    }
    for _ in 0..inactivity_expiries.min(16) {
        interval = (interval / 2).max(FLOOR.min(interval));
    }
    interval
}

/// The `inactiveTimeout` of a `makeMeAvailable` body: minutes as a number
/// (the reference's words) or a .NET TimeSpan text (`00:05:00`, `1.00:00:00`),
/// which is how the server's own JSON writes one. Anything else, zero or
/// negative is no timeout.
pub(crate) fn inactive_timeout(body: &[u8]) -> Option<Duration> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let value = body.get("inactiveTimeout")?;
    let seconds = match value {
        serde_json::Value::Number(minutes) => minutes.as_f64()? * 60.0,
        serde_json::Value::String(text) => time_span_seconds(text)?,
        _ => return None,
    };
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e9)
        .then(|| Duration::from_secs_f64(seconds))
}

/// `[d.]hh:mm[:ss[.fff]]` in seconds.
fn time_span_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.starts_with('-') {
        return None;
    }
    let (days, clock) = match text.split_once('.') {
        Some((days, clock)) if clock.contains(':') && !days.contains(':') => {
            (days.parse::<f64>().ok()?, clock)
        }
        _ => (0.0, text),
    };
    let mut parts = clock.split(':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next().map_or(Some(0.0), |s| s.parse().ok())?;
    if parts.next().is_some() || [days, hours, minutes, seconds].iter().any(|n| *n < 0.0) {
        return None;
    }
    Some(((days * 24.0 + hours) * 60.0 + minutes) * 60.0 + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn inactive_timeout_reads_minutes_and_time_spans() {
        let read = |body: &str| inactive_timeout(body.as_bytes());
        assert_eq!(read(r#"{"inactiveTimeout":2}"#), Some(2 * MINUTE));
        assert_eq!(
            read(r#"{"inactiveTimeout":1.5}"#),
            Some(90 * Duration::from_secs(1))
        );
        assert_eq!(read(r#"{"inactiveTimeout":"00:05:00"}"#), Some(5 * MINUTE));
        assert_eq!(read(r#"{"inactiveTimeout":"00:02"}"#), Some(2 * MINUTE));
        assert_eq!(
            read(r#"{"inactiveTimeout":"1.00:00:00"}"#),
            Some(24 * 60 * MINUTE)
        );
        assert_eq!(
            read(r#"{"inactiveTimeout":"00:00:30.5"}"#),
            Some(Duration::from_millis(30_500))
        );
        for none in [
            r#"{"signInAs":"Online"}"#,
            r#"{"inactiveTimeout":null}"#,
            r#"{"inactiveTimeout":0}"#,
            r#"{"inactiveTimeout":-3}"#,
            r#"{"inactiveTimeout":"soon"}"#,
            r#"{"inactiveTimeout":"1:2:3:4"}"#,
            r#"{"inactiveTimeout":"-00:05:00"}"#,
            r#"{"inactiveTimeout":1e300}"#,
            "not json",
        ] {
            assert_eq!(read(none), None, "{none}");
        }
    }

    #[test]
    fn the_interval_is_the_shortest_of_what_was_said() {
        let body = |minutes: u32| format!(r#"{{"inactiveTimeout":{minutes}}}"#).into_bytes();
        // Nothing said: the configured interval.
        assert_eq!(report_interval(3 * MINUTE, None, 0), 3 * MINUTE);
        // A two-minute inactivity timeout: a report at 96 s.
        assert_eq!(
            report_interval(3 * MINUTE, Some(&body(2)), 0),
            Duration::from_secs(96)
        );
        // A longer one leaves the configured interval alone.
        assert_eq!(report_interval(3 * MINUTE, Some(&body(30)), 0), 3 * MINUTE);
        // Expiries halve it, down to the floor.
        assert_eq!(
            report_interval(3 * MINUTE, Some(&body(2)), 1),
            Duration::from_secs(48)
        );
        assert_eq!(report_interval(3 * MINUTE, None, 5), FLOOR);
        assert_eq!(report_interval(3 * MINUTE, None, u32::MAX), FLOOR);
        // A configured interval under the floor is the user's to choose.
        let short = Duration::from_millis(150);
        assert_eq!(report_interval(short, Some(&body(1)), 3), short);
    }
}
