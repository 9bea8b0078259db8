//! The shared store (SPEC §11): one warm cache for a whole team, on Redis.
//!
//! [`RedisStore`] keeps a local view (a [`MemoryStore`](crate::store::MemoryStore) or a
//! [`SnapshotStore`](crate::store::SnapshotStore)) that every read reads, so a read never
//! waits on the network. A write goes to the local view at once and to Redis in the
//! background ([`sync`]); a subscriber merges what other instances write into the local view
//! as it lands, so a shared screen fills live. Hit and miss counters stay per process.
//!
//! One instance per project warms, the holder of the lease ([`lease`]); the others read.
//! Warm-now from any instance is a message to the holder, answered "started" or "already
//! running (n/38)". Redis down: the local view goes on, the link is reported down once
//! ([`Link::Down`]), the task reconnects with backoff and writes back what was fetched
//! meanwhile when it is newer. Keys and messages are in [`protocol`]. The URL's password is a
//! secret ([`RedisTarget`]).

pub mod lease;
mod options;
pub mod protocol;
mod sync;
mod target;
#[cfg(test)]
#[path = "../../../tests/common/redis_server.rs"]
pub(crate) mod test_server;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use lease::{Holder, LeaseState};
pub use options::{Link, RedisOptions, RedisView, Role};
pub use protocol::{Keys, SharedProgress, WarmNowAnswer};
pub use target::{RedisTarget, TargetError};

use super::{Backing, CacheCounters, Cached, Clock, Entry, Failure, GoodValue, QuotaStore};
use crate::catalog::{Capacity, Check};
use protocol::Message;
use sync::{Outgoing, SyncTask};

/// State the store shares with its background tasks.
pub(crate) struct Shared {
    link: watch::Sender<Link>,
    lease: watch::Sender<LeaseState>,
    progress: watch::Sender<Option<SharedProgress>>,
    /// Bumped each time entries from another instance land in the local view.
    changes: watch::Sender<u64>,
    last_cycle: Mutex<Option<DateTime<Utc>>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<WarmNowAnswer>>>,
    warm_now: mpsc::UnboundedSender<String>,
    released: Arc<Notify>,
}

impl Shared {
    /// Record a complete cycle's start; true when it is later than the last known.
    fn note_cycle(&self, started: DateTime<Utc>) -> bool {
        let mut last = self.last_cycle.lock().expect("cycle lock");
        let newer = last.is_none_or(|t| t < started);
        if newer {
            *last = Some(started);
        }
        newer
    }

    fn warm_now_request(&self, id: String) {
        if *self.lease.borrow() == LeaseState::Held {
            let _ = self.warm_now.send(id);
        }
    }

    fn answered(&self, id: &str, answer: WarmNowAnswer) {
        if let Some(tx) = self.waiting.lock().expect("waiting lock").remove(id) {
            let _ = tx.send(answer);
        }
    }
}

/// The shared store. Build it inside a tokio runtime ([`RedisStore::connect`]); share it as
/// `Arc<RedisStore>` (or `Arc<dyn QuotaStore>`), and call [`RedisStore::shutdown`] on exit.
pub struct RedisStore {
    local: Arc<dyn QuotaStore>,
    target: RedisTarget,
    keys: Keys,
    shared: Arc<Shared>,
    out: mpsc::UnboundedSender<Outgoing>,
    warm_now_rx: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    requests: AtomicU64,
    me: Holder,
}

impl RedisStore {
    /// A store for `project` at `capacity` on `target`, reading and writing through `local`
    /// (whose TTL and clock it takes). Returns at once: the connection, the first load and
    /// (for [`Role::Warmer`]) the lease are the background tasks' work;
    /// [`RedisStore::wait_loaded`] waits for the first load.
    ///
    /// Panics outside a tokio runtime.
    pub fn connect(
        target: RedisTarget,
        project: &str,
        capacity: Capacity,
        local: Arc<dyn QuotaStore>,
        options: RedisOptions,
    ) -> Self {
        let keys = Keys::new(project, capacity);
        let (warm_now, warm_now_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            link: watch::channel(Link::Connecting).0,
            lease: watch::channel(LeaseState::Asking).0,
            progress: watch::channel(None).0,
            changes: watch::channel(0).0,
            last_cycle: Mutex::new(local.last_cycle_start()),
            waiting: Mutex::default(),
            warm_now,
            released: Arc::new(Notify::new()),
        });
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(sync::COMMAND_TIMEOUT))
            .set_response_timeout(Some(sync::COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        // rediss:// goes through rustls, which needs the process's crypto provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let conn = ConnectionManager::new_lazy_with_config(target.client().clone(), config)
            .expect("a lazy connection manager needs no connection");
        let (out, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let me = Holder::this_process(local.now());
        let mut tasks = vec![tokio::spawn(
            SyncTask {
                conn: conn.clone(),
                target: target.clone(),
                keys: keys.clone(),
                local: local.clone(),
                shared: shared.clone(),
                rx,
                expiry: protocol::entry_expiry(local.ttl()),
            }
            .run(cancel.clone()),
        )];
        if options.role == Role::Warmer {
            tasks.push(tokio::spawn(
                lease::LeaseTask {
                    conn,
                    keys: keys.clone(),
                    me: me.clone(),
                    state: shared.lease.clone(),
                    released: shared.released.clone(),
                    clock: local.clock().clone(),
                    target: target.clone(),
                    lease_time: options.lease_time,
                    renew_every: options.renew_every,
                }
                .run(cancel.clone()),
            ));
        }
        RedisStore {
            local,
            target,
            keys,
            shared,
            out,
            warm_now_rx: Mutex::new(Some(warm_now_rx)),
            cancel,
            tasks: Mutex::new(tasks),
            requests: AtomicU64::new(0),
            me,
        }
    }

    /// Wait up to `within` for the first answer from Redis (the shared entries merged into
    /// the local view, or the link found down): before the first frame, so a TUI joining a
    /// warm cache is warm at once. Returns whether Redis answered.
    pub async fn wait_loaded(&self, within: Duration) -> bool {
        let mut link = self.shared.link.subscribe();
        let answered =
            tokio::time::timeout(within, link.wait_for(|l| !matches!(l, Link::Connecting))).await;
        matches!(answered, Ok(Ok(l)) if *l == Link::Up)
    }

    /// The URL shown (`redis://host:port/db`).
    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    /// The Redis names this store uses.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// This process as a lease holder (host, pid, start).
    pub fn me(&self) -> &Holder {
        &self.me
    }

    /// The link to Redis, followed.
    pub fn link(&self) -> watch::Receiver<Link> {
        self.shared.link.subscribe()
    }

    /// Where the lease stands, followed ([`LeaseState::Asking`] for a [`Role::Reader`]).
    pub fn lease(&self) -> watch::Receiver<LeaseState> {
        self.shared.lease.subscribe()
    }

    /// Whether this instance may warm now ([`LeaseState::may_warm`]), followed: the gate of
    /// its warmer. Ends (keeping its last reading) when the store shuts down.
    pub fn may_warm(&self) -> watch::Receiver<bool> {
        let mut lease = self.shared.lease.subscribe();
        let (tx, rx) = watch::channel(lease.borrow_and_update().may_warm());
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    changed = lease.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        let may = lease.borrow_and_update().may_warm();
                        tx.send_if_modified(|v| std::mem::replace(v, may) != may);
                    }
                }
            }
        });
        rx
    }

    /// The holder's progress as last published (for a reader's status widget).
    pub fn progress(&self) -> watch::Receiver<Option<SharedProgress>> {
        self.shared.progress.subscribe()
    }

    /// A counter bumped each time entries from another instance land in the local view:
    /// a reader redraws on it.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    /// Publish this instance's warmer progress for the readers (the holder calls it as
    /// batches land).
    pub fn publish_progress(&self, progress: SharedProgress) {
        let _ = self.out.send(Outgoing::Progress(progress));
    }

    /// Warm-now requests that reached this instance as the lease holder: each is an id to
    /// answer with [`RedisStore::answer_warm_now`]. Can be taken once.
    pub fn take_warm_now_requests(&self) -> Option<mpsc::UnboundedReceiver<String>> {
        self.warm_now_rx.lock().expect("warm-now lock").take()
    }

    /// Answer the warm-now request `id`.
    pub fn answer_warm_now(&self, id: String, answer: WarmNowAnswer) {
        let message = Message::WarmNowAnswered { id, answer };
        let channel = self.keys.events();
        let _ = self.out.send(Outgoing::Publish { channel, message });
    }

    /// Ask the lease holder to warm now, and wait up to `within` for its answer.
    ///
    /// Errors: Redis is unreachable, or no holder answered in time (the text says which).
    pub async fn request_warm_now(&self, within: Duration) -> Result<WarmNowAnswer, String> {
        if *self.shared.link.borrow() != Link::Up {
            return Err(format!("Redis {} is unreachable", self.target));
        }
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}:{}:{n}", self.me, self.me.started.timestamp_millis());
        let (tx, rx) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .expect("waiting lock")
            .insert(id.clone(), tx);
        let message = Message::WarmNow { id: id.clone() };
        let channel = self.keys.warm_now();
        let _ = self.out.send(Outgoing::Publish { channel, message });
        let answer = tokio::time::timeout(within, rx).await;
        self.shared
            .waiting
            .lock()
            .expect("waiting lock")
            .remove(&id);
        match answer {
            Ok(Ok(a)) => Ok(a),
            _ => Err(format!(
                "no answer from the warmer within {}s",
                within.as_secs_f32()
            )),
        }
    }

    /// Stop the background tasks: pending writes go out (within 1 s), the lease is released
    /// if held. The local view is closed too (a snapshot saves itself).
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let tasks: Vec<_> = self.tasks.lock().expect("tasks lock").drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_millis(1500), t).await;
        }
        self.local.close();
    }

    fn send_entry(&self, check: &Check) {
        let now = self.local.peek(std::slice::from_ref(check));
        if let Some(cached) = now.into_iter().next() {
            let _ = self
                .out
                .send(Outgoing::Entry(check.clone(), cached.entry().clone()));
        }
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.target)
            .field("keys", &self.keys)
            .finish()
    }
}

impl QuotaStore for RedisStore {
    fn ttl(&self) -> Duration {
        self.local.ttl()
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.local.clock()
    }

    fn read(&self, checks: &[Check]) -> Vec<Cached> {
        self.local.read(checks)
    }

    fn peek(&self, checks: &[Check]) -> Vec<Cached> {
        self.local.peek(checks)
    }

    fn put_ok(&self, check: &Check, good: GoodValue) {
        self.local.put_ok(check, good);
        self.send_entry(check);
    }

    fn put_err(&self, check: &Check, failure: Failure) {
        self.local.put_err(check, failure);
        self.send_entry(check);
    }

    fn entries(&self) -> Vec<(Check, Entry)> {
        self.local.entries()
    }

    fn counters(&self) -> CacheCounters {
        self.local.counters()
    }

    /// Record the cycle locally (a snapshot saves) and in Redis, for whoever warms next.
    fn cycle_complete(&self, started: DateTime<Utc>) {
        self.local.cycle_complete(started);
        self.shared.note_cycle(started);
        let _ = self.out.send(Outgoing::CycleComplete(started));
    }

    /// The later of the local view's and the shared store's last complete cycle.
    fn last_cycle_start(&self) -> Option<DateTime<Utc>> {
        let shared = *self.shared.last_cycle.lock().expect("cycle lock");
        shared.max(self.local.last_cycle_start())
    }

    /// Stop the tasks (they flush and release the lease on their own, within about 1 s)
    /// and close the local view. [`RedisStore::shutdown`] also waits for them.
    fn close(&self) {
        self.cancel.cancel();
        self.local.close();
    }

    fn backing(&self) -> Backing {
        Backing::Redis(RedisView {
            url: self.target.shown().to_string(),
            link: self.shared.link.borrow().clone(),
            lease: self.shared.lease.borrow().clone(),
            local: Box::new(self.local.backing()),
        })
    }
}
