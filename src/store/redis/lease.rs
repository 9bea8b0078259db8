//! One warmer per project, by lease (SPEC §11).
//!
//! An instance warms only while it holds `quota-tui:P:warmer`: taken with `SET key holder NX
//! PX 30000`, renewed every 10 s by compare-and-extend, released on exit by
//! compare-and-delete. Extend and release are Lua scripts that act only when the key still
//! holds this instance's own value, so a lease is never extended or deleted by someone else
//! (one whose lease expired while it was paused, say). The value names the holder (host, pid,
//! start time) so every other instance can show who warms.
//!
//! When the holder dies, its lease expires within 30 s and the next instance that asks takes
//! it: instances without the lease ask again when it is due to expire (at most every 2 s),
//! and at once when the holder says it released it.
//!
//! Redis unreachable: a holder keeps warming until its lease would have expired, and beyond
//! (nobody else can take it meanwhile); an instance that cannot reach Redis for a whole lease
//! time warms on its own ([`LeaseState::Alone`]), as the memory store would, and goes back to
//! asking for the lease when Redis answers again.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use crate::sanitize::Sanitized;

/// How long a lease lasts without renewal: 30 s.
pub const LEASE_TIME: Duration = Duration::from_secs(30);
/// How often the holder renews it: every 10 s.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);
/// Longest wait between two asks of an instance without the lease.
pub const ASK_AT_MOST_EVERY: Duration = Duration::from_secs(2);

/// Compare-and-extend: `PEXPIRE` only when the key holds `ARGV[1]`. Returns 1 or 0.
pub const EXTEND: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Compare-and-delete: `DEL` only when the key holds `ARGV[1]`, then say so on the events
/// channel `KEYS[2]` (message `ARGV[2]`). Returns 1 or 0.
pub const RELEASE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', KEYS[2], ARGV[2])
  return 1
end
return 0";

/// Who holds (or asks for) the lease: the lease key's value, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    /// When the process started.
    pub started: DateTime<Utc>,
}

/// Most bytes of a lease value read back.
const MAX_HOLDER_BYTES: usize = 1024;

impl Holder {
    /// This process, started at `started`.
    pub fn this_process(started: DateTime<Utc>) -> Self {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            started,
        }
    }

    /// The lease key's value naming this holder.
    pub fn value(&self) -> String {
        serde_json::to_string(self).expect("a holder serializes")
    }

    /// The holder named by a lease value; `None` when it is not one (too long, not JSON).
    pub fn parse(value: &[u8]) -> Option<Holder> {
        if value.len() > MAX_HOLDER_BYTES {
            return None;
        }
        serde_json::from_slice(value).ok()
    }
}

impl fmt::Display for Holder {
    /// `host:pid`, the host sanitised and cut to 64 characters (another instance wrote it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            Sanitized::new(&self.host).max_chars(64),
            self.pid
        )
    }
}

/// This machine's host name (`gethostname`), `unknown-host` when it has none.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(s) if rc == 0 && !s.is_empty() => s.to_string(),
        _ => "unknown-host".to_string(),
    }
}

/// Where the lease stands for this instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseState {
    /// Not known yet: Redis has not answered since start.
    Asking,
    /// This instance holds the lease: it warms.
    Held,
    /// Another instance holds it (`None`: its value could not be read): this one reads the
    /// shared entries and follows them live.
    Elsewhere(Option<Holder>),
    /// Redis has been unreachable for a whole lease time (since `since`): this instance
    /// warms on its own until Redis answers again.
    Alone { since: DateTime<Utc> },
}

impl LeaseState {
    /// Whether this instance's warmer may run.
    pub fn may_warm(&self) -> bool {
        matches!(self, LeaseState::Held | LeaseState::Alone { .. })
    }
}

/// `SET key value NX PX lease`: whether the lease was taken.
pub async fn try_acquire(
    conn: &mut ConnectionManager,
    key: &str,
    value: &str,
    lease: Duration,
) -> redis::RedisResult<bool> {
    let reply: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(value)
        .arg("NX")
        .arg("PX")
        .arg(lease.as_millis() as u64)
        .query_async(conn)
        .await?;
    Ok(reply.is_some())
}

/// Compare-and-extend ([`EXTEND`]): whether the lease was still `value`'s and now lasts
/// `lease` more.
pub async fn extend(
    conn: &mut ConnectionManager,
    key: &str,
    value: &str,
    lease: Duration,
) -> redis::RedisResult<bool> {
    let n: i64 = redis::Script::new(EXTEND)
        .key(key)
        .arg(value)
        .arg(lease.as_millis() as u64)
        .invoke_async(conn)
        .await?;
    Ok(n == 1)
}

/// Compare-and-delete ([`RELEASE`]): whether the lease was `value`'s and is now free (and
/// `released_message` was published on `events`).
pub async fn release(
    conn: &mut ConnectionManager,
    key: &str,
    events: &str,
    value: &str,
    released_message: &str,
) -> redis::RedisResult<bool> {
    let n: i64 = redis::Script::new(RELEASE)
        .key(key)
        .key(events)
        .arg(value)
        .arg(released_message)
        .invoke_async(conn)
        .await?;
    Ok(n == 1)
}

/// The lease's holder and how long it has left (`None` when nobody holds it). At most
/// [`MAX_HOLDER_BYTES`] + 1 bytes of the value are read (`GETRANGE`), so a planted giant
/// value costs nothing and is no holder; `PTTL` answers -2 when the key does not exist.
pub async fn holder(
    conn: &mut ConnectionManager,
    key: &str,
) -> redis::RedisResult<Option<(Option<Holder>, Duration)>> {
    let (value, pttl): (Vec<u8>, i64) = redis::pipe()
        .getrange(key, 0, MAX_HOLDER_BYTES as isize)
        .pttl(key)
        .query_async(conn)
        .await?;
    if pttl == -2 {
        return Ok(None);
    }
    Ok(Some((
        Holder::parse(&value),
        Duration::from_millis(pttl.max(0) as u64),
    )))
}

/// The lease's side of the store: asks for the lease, renews it, releases it on exit, and
/// publishes where it stands ([`LeaseState`]) on a watch channel.
pub(super) struct LeaseTask {
    pub conn: ConnectionManager,
    pub keys: super::protocol::Keys,
    pub me: Holder,
    pub state: tokio::sync::watch::Sender<LeaseState>,
    pub released: std::sync::Arc<tokio::sync::Notify>,
    pub clock: std::sync::Arc<dyn crate::store::Clock>,
    pub target: super::RedisTarget,
    /// How long a lease lasts without renewal ([`LEASE_TIME`]) and how often it is renewed
    /// ([`RENEW_EVERY`]); shorter in tests.
    pub lease_time: Duration,
    pub renew_every: Duration,
}

/// Longest wait for one lease command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// What the last lease command found.
enum Step {
    Held,
    Elsewhere(Option<Holder>, Duration),
    Failed(String),
}

impl LeaseTask {
    /// Run until `cancel`, then release the lease if held (within 1 s).
    pub async fn run(mut self, cancel: tokio_util::sync::CancellationToken) {
        let value = self.me.value();
        let mut held_until: Option<tokio::time::Instant> = None;
        let mut failing_since: Option<(tokio::time::Instant, DateTime<Utc>)> = None;
        loop {
            let now = tokio::time::Instant::now();
            let step = self.step(&value, held_until.is_some()).await;
            let wait = match step {
                Step::Held => {
                    held_until = Some(now + self.lease_time);
                    failing_since = None;
                    self.set(LeaseState::Held);
                    self.renew_every
                }
                Step::Elsewhere(holder, left) => {
                    held_until = None;
                    failing_since = None;
                    self.set(LeaseState::Elsewhere(holder));
                    let jitter = Duration::from_millis(rand::random::<u64>() % 50);
                    left.clamp(Duration::from_millis(20), ASK_AT_MOST_EVERY) + jitter
                }
                Step::Failed(why) => {
                    let (since, since_wall) = *failing_since.get_or_insert((now, self.clock.now()));
                    let still_held = held_until.is_some_and(|until| now < until);
                    if !still_held && now.duration_since(since) >= self.lease_time {
                        held_until = None;
                        if !matches!(*self.state.borrow(), LeaseState::Alone { .. }) {
                            tracing::warn!(
                                "Redis {} unreachable for {}s ({}): this instance warms alone",
                                self.target,
                                self.lease_time.as_secs(),
                                self.target.redact(&why)
                            );
                        }
                        self.set(LeaseState::Alone { since: since_wall });
                    }
                    Duration::from_secs(1)
                }
            };
            let not_held = !matches!(*self.state.borrow(), LeaseState::Held);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
                _ = self.released.notified(), if not_held => {}
            }
        }
        if held_until.is_some() {
            let released = super::protocol::Message::LeaseReleased.encode();
            let keys = &self.keys;
            let done = tokio::time::timeout(
                Duration::from_secs(1),
                release(
                    &mut self.conn,
                    &keys.lease(),
                    &keys.events(),
                    &value,
                    &released,
                ),
            )
            .await;
            if let Ok(Ok(true)) = done {
                tracing::info!("warmer lease released");
            }
        }
    }

    /// Renew the lease when `held`, else (or when it was lost) ask for it.
    async fn step(&mut self, value: &str, held: bool) -> Step {
        let key = self.keys.lease();
        let lease = self.lease_time;
        let conn = &mut self.conn;
        if held {
            match tokio::time::timeout(COMMAND_TIMEOUT, extend(conn, &key, value, lease)).await {
                Ok(Ok(true)) => return Step::Held,
                Ok(Ok(false)) => {} // expired or taken: ask again
                Ok(Err(e)) => return Step::Failed(e.to_string()),
                Err(_) => return Step::Failed("no answer".into()),
            }
        }
        let taken =
            tokio::time::timeout(COMMAND_TIMEOUT, try_acquire(conn, &key, value, lease)).await;
        match taken {
            Ok(Ok(true)) => return Step::Held,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => return Step::Failed(e.to_string()),
            Err(_) => return Step::Failed("no answer".into()),
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, holder(conn, &key)).await {
            Ok(Ok(Some((h, left)))) => Step::Elsewhere(h, left),
            Ok(Ok(None)) => Step::Elsewhere(None, Duration::ZERO), // just freed: ask again
            Ok(Err(e)) => Step::Failed(e.to_string()),
            Err(_) => Step::Failed("no answer".into()),
        }
    }

    /// Publish `state`, logging a change once.
    fn set(&self, state: LeaseState) {
        let changed = *self.state.borrow() != state;
        if !changed {
            return;
        }
        match &state {
            LeaseState::Held => tracing::info!("warmer lease taken: this instance warms"),
            LeaseState::Elsewhere(Some(h)) => {
                tracing::info!("warmer lease held by {h}: reading the shared cache")
            }
            _ => {}
        }
        self.state.send_replace(state);
    }
}
