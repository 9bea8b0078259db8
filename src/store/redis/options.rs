//! The Redis store's settings and what it reports: its role, the lease's timing, the state of
//! its link, and what the Cache screen shows of it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::lease::{self, LeaseState};
use crate::store::Backing;

/// The state of the link to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not answered yet since start.
    Connecting,
    /// Connected and subscribed.
    Up,
    /// Unreachable since `since` (the store's clock): going on in memory, reconnecting.
    Down { since: DateTime<Utc> },
}

/// What the Cache screen shows of a Redis store.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisView {
    /// `redis://host:port/db` (no password).
    pub url: String,
    pub link: Link,
    pub lease: LeaseState,
    /// The local view's own backing (a snapshot, or memory).
    pub local: Box<Backing>,
}

/// Whether this instance asks for the warmer lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Ask for the lease and warm while holding it (the TUI, `warm`).
    Warmer,
    /// Only read and follow (tests, tools).
    Reader,
}

/// How a store takes part: its role, and the lease's timing (SPEC §11: 30 s, renewed every
/// 10 s; shorter in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisOptions {
    pub role: Role,
    pub lease_time: Duration,
    pub renew_every: Duration,
}

impl RedisOptions {
    /// `role` with the lease timing of SPEC §11.
    pub fn new(role: Role) -> Self {
        RedisOptions {
            role,
            lease_time: lease::LEASE_TIME,
            renew_every: lease::RENEW_EVERY,
        }
    }
}
