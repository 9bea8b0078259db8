//! Wall-clock time that tests can set (STYLE: time that leaves the process is wall-clock).
//!
//! Every time a store keeps (when a value was fetched, when a check failed, when a cycle
//! began) is a `chrono::DateTime<Utc>` from a [`Clock`], so it means the same in another
//! process (a saved snapshot, a shared store). `tokio::time::Instant` stays for deadlines and
//! pacing only.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// The time now, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock ([`Utc::now`]): the clock of a running app.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall-clock time that follows tokio's clock: the wall time when it was made, plus the
/// tokio time elapsed since. Under `#[tokio::test(start_paused = true)]` it moves only when
/// tokio's paused clock does, so a 30-minute TTL or a 24-hour soak runs in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading the system time now, then following tokio's clock.
    pub fn new() -> Self {
        Self::starting_at(Utc::now())
    }

    /// A clock reading `base` now, then following tokio's clock.
    pub fn starting_at(base: DateTime<Utc>) -> Self {
        TokioClock {
            base,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.base + self.start.elapsed()
    }
}

/// A clock that moves only when told ([`ManualClock::advance`], [`ManualClock::set`]): for
/// tests without tokio, such as the store contract ([`super::contract`]).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock reading `now` until moved.
    pub fn new(now: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(now),
        }
    }

    /// Move the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        *self.now.lock().expect("clock lock") += d;
    }

    /// Set the clock to `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("clock lock") = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock")
    }
}

/// `later - earlier` as a `Duration`, zero when `later` is not after `earlier` (a clock set
/// back, or a time from another machine slightly ahead).
pub fn elapsed_between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> Duration {
    (later - earlier).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_paused_time() {
        let base = DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = TokioClock::starting_at(base);
        assert_eq!(clock.now(), base);
        tokio::time::advance(Duration::from_secs(24 * 60)).await;
        assert_eq!(clock.now() - base, chrono::Duration::minutes(24));
    }

    #[test]
    fn manual_clock_and_elapsed() {
        let base = Utc::now();
        let clock = ManualClock::new(base);
        clock.advance(Duration::from_secs(90));
        assert_eq!(elapsed_between(base, clock.now()), Duration::from_secs(90));
        assert_eq!(elapsed_between(clock.now(), base), Duration::ZERO);
        clock.set(base);
        assert_eq!(clock.now(), base);
    }
}
