//! The Redis store's background task: writes the local view's changes to Redis, follows the
//! events channel into the local view, and rides out Redis going away (SPEC §11).
//!
//! - Writes arrive on a channel (never waited for by the writer). Those queued together go
//!   in one Lua call ([`PUT_NEWER`]) that stores each entry only when it is newer than the one
//!   in Redis, refreshes the hash's expiry, and publishes them in one message.
//! - Messages on the events channel are merged into the local view when newer
//!   ([`wire::merge_newer`]); warm-now requests go to the holder's app, answers to whoever
//!   asked.
//! - Redis unreachable: the link goes down (logged once), writes are kept by check (the
//!   newest of each), and the task reconnects with backoff (0.5 s doubling to 10 s). Back up,
//!   it writes back what it kept (newer-wins again, so nothing newer from another instance is
//!   overwritten), reloads the hash into the local view, and subscribes again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use redis::aio::{ConnectionManager, PubSubStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, Keys, MAX_ENTRIES, Message, PUT_NEWER, SET_CYCLE, SharedProgress};
use super::{Link, RedisTarget, Shared};
use crate::catalog::Check;
use crate::store::wire::{self, SavedEntry};
use crate::store::{Entry, QuotaStore};

/// Longest wait for one Redis command (or a connection).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(10);

/// What the store asks the task to send.
#[derive(Debug)]
pub enum Outgoing {
    Entry(Check, Entry),
    CycleComplete(DateTime<Utc>),
    Progress(SharedProgress),
    /// A message for `channel`.
    Publish {
        channel: String,
        message: Message,
    },
}

pub struct SyncTask {
    pub conn: ConnectionManager,
    pub target: RedisTarget,
    pub keys: Keys,
    pub local: Arc<dyn QuotaStore>,
    pub shared: Arc<Shared>,
    pub rx: mpsc::UnboundedReceiver<Outgoing>,
    pub expiry: Duration,
}

/// What waits to be written while the link is down (the newest of each).
#[derive(Default)]
struct Pending {
    entries: HashMap<Check, Entry>,
    cycle: Option<DateTime<Utc>>,
    progress: Option<SharedProgress>,
}

type Fail = String;

/// The entries hash, the cycle start and the progress, as read.
/// The entries hash's values (bounded: [`protocol::READ_ENTRIES`]), the cycle start and the
/// progress (each cut to a bound; empty when missing).
type Loaded = (Vec<Vec<u8>>, Vec<u8>, Vec<u8>);

impl SyncTask {
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut pending = Pending::default();
        let mut pubsub = None;
        let mut retry = FIRST_RETRY;
        let mut retry_at = tokio::time::Instant::now();
        loop {
            let down = pubsub.is_none();
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep_until(retry_at), if down => {
                    match self.bring_up(&mut pending).await {
                        Ok(stream) => {
                            pubsub = Some(stream);
                            retry = FIRST_RETRY;
                        }
                        Err(why) => {
                            self.went_down(&why);
                            retry_at = tokio::time::Instant::now() + retry;
                            retry = (retry * 2).min(LAST_RETRY);
                        }
                    }
                }
                first = self.rx.recv() => {
                    let Some(first) = first else { break };
                    let batch = self.drain(first);
                    let publish = add(&mut pending, batch);
                    let sent = match down {
                        true => Ok(()),
                        false => match self.publish(publish).await {
                            Ok(()) => self.flush(&mut pending).await,
                            Err(e) => Err(e),
                        },
                    };
                    if let Err(why) = sent {
                        self.went_down(&why);
                        pubsub = None;
                        retry_at = tokio::time::Instant::now() + retry;
                    }
                }
                msg = next(&mut pubsub), if !down => match msg {
                    Some(msg) => self.on_message(msg.get_channel_name(), msg.get_payload_bytes()),
                    None => {
                        self.went_down("the connection closed");
                        pubsub = None;
                        retry_at = tokio::time::Instant::now() + retry;
                    }
                },
            }
        }
        // Exit: what is queued and pending goes out within 1 s if Redis is there.
        while let Ok(out) = self.rx.try_recv() {
            let _ = add(&mut pending, vec![out]);
        }
        if pubsub.is_some() {
            let _ = tokio::time::timeout(Duration::from_secs(1), self.flush(&mut pending)).await;
        }
    }

    /// `first` and whatever else is queued now (at most 256).
    fn drain(&mut self, first: Outgoing) -> Vec<Outgoing> {
        let mut batch = vec![first];
        while batch.len() < 256 {
            match self.rx.try_recv() {
                Ok(out) => batch.push(out),
                Err(_) => break,
            }
        }
        batch
    }

    /// Connect: subscribe, write back what is pending, load the shared entries, cycle and
    /// progress into the local view. The link is up afterwards.
    async fn bring_up(&mut self, pending: &mut Pending) -> Result<PubSubStream, Fail> {
        let mut pubsub = within(self.target.client().get_async_pubsub()).await?;
        within(pubsub.subscribe(&[self.keys.events(), self.keys.warm_now()])).await?;
        // Everything the local view holds goes back when newer: what was fetched while
        // Redis was away, or the whole cache to a Redis that restarted empty.
        let written_back = pending.entries.len();
        for (check, entry) in self.local.entries() {
            pending.entries.insert(check, entry);
        }
        let known = *self.shared.last_cycle.lock().expect("cycle lock");
        pending.cycle = pending.cycle.max(known);
        self.flush(pending).await?;
        let loaded = self.load().await?;
        let was_down = matches!(*self.shared.link.borrow(), Link::Down { .. });
        self.shared.link.send_replace(Link::Up);
        if was_down {
            tracing::info!(
                "Redis {} reachable again: {written_back} entries written back, {loaded} read",
                self.target
            );
        } else {
            tracing::info!("Redis {}: {loaded} shared entries read", self.target);
        }
        Ok(pubsub.into_on_message())
    }

    /// Read the hash, the cycle and the progress; merge what is newer into the local view.
    /// Returns how many entries were newer.
    async fn load(&mut self) -> Result<usize, Fail> {
        let (hash, cycle, progress): Loaded =
            within(protocol::load_pipeline(&self.keys).query_async(&mut self.conn)).await?;
        let entries: Vec<SavedEntry> = hash
            .iter()
            .take(MAX_ENTRIES)
            .filter_map(|v| protocol::decode_value(v))
            .collect();
        let merged = self.merge(entries);
        let cycle = std::str::from_utf8(&cycle)
            .ok()
            .and_then(|c| c.parse::<i64>().ok());
        if let Some(started) = cycle.and_then(DateTime::<Utc>::from_timestamp_millis) {
            self.note_cycle(started);
        }
        if let Ok(p) = serde_json::from_slice::<SharedProgress>(&progress) {
            self.shared.progress.send_replace(Some(p.checked()));
        }
        Ok(merged)
    }

    /// Merge checked outside entries into the local view; returns how many were newer.
    fn merge(&self, entries: Vec<SavedEntry>) -> usize {
        let mut merged = 0;
        for saved in entries.into_iter().filter_map(wire::checked) {
            if wire::merge_newer(self.local.as_ref(), &saved.check, &saved.entry) {
                merged += 1;
            }
        }
        if merged > 0 {
            self.shared.changes.send_modify(|n| *n += 1);
        }
        merged
    }

    /// Send what is pending. On failure it stays pending.
    async fn flush(&mut self, pending: &mut Pending) -> Result<(), Fail> {
        if !pending.entries.is_empty() {
            let entries: Vec<(Check, Entry)> = pending.entries.drain().collect();
            if let Err(e) = self.put_newer(&entries).await {
                pending.entries.extend(entries);
                return Err(e);
            }
        }
        if let Some(started) = pending.cycle {
            let message = Message::CycleComplete {
                capacity: self.keys.capacity(),
                started,
            };
            let script = redis::Script::new(SET_CYCLE);
            let mut call = script.prepare_invoke();
            call.key(self.keys.cycle())
                .key(self.keys.events())
                .arg(started.timestamp_millis())
                .arg(self.expiry.as_millis() as u64)
                .arg(message.encode());
            let _: i64 = within(call.invoke_async(&mut self.conn)).await?;
            pending.cycle = None;
        }
        if let Some(progress) = pending.progress.clone() {
            let json = serde_json::to_string(&progress).expect("progress serializes");
            let message = Message::Progress {
                capacity: self.keys.capacity(),
                progress,
            };
            self.set_and_publish(self.keys.progress(), json, message)
                .await?;
            pending.progress = None;
        }
        Ok(())
    }

    async fn put_newer(&mut self, entries: &[(Check, Entry)]) -> Result<(), Fail> {
        let saved: Vec<SavedEntry> = entries
            .iter()
            .map(|(check, entry)| SavedEntry {
                check: check.clone(),
                entry: entry.clone(),
            })
            .collect();
        let script = redis::Script::new(PUT_NEWER);
        let mut call = script.prepare_invoke();
        let message = Message::Entries {
            capacity: self.keys.capacity(),
            entries: saved.clone(),
        };
        call.key(self.keys.entries())
            .key(self.keys.events())
            .arg(self.expiry.as_millis() as u64)
            .arg(message.encode());
        for s in &saved {
            let stamp = wire::stamp(&s.entry).unwrap_or_default();
            call.arg(protocol::field(&s.check))
                .arg(stamp.timestamp_millis())
                .arg(protocol::encode_value(s, stamp));
        }
        let _: i64 = within(call.invoke_async(&mut self.conn)).await?;
        Ok(())
    }

    async fn publish(&mut self, messages: Vec<(String, Message)>) -> Result<(), Fail> {
        if messages.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (channel, message) in messages {
            pipe.publish(channel, message.encode()).ignore();
        }
        within(pipe.query_async::<()>(&mut self.conn)).await
    }

    async fn set_and_publish(
        &mut self,
        key: String,
        value: String,
        message: Message,
    ) -> Result<(), Fail> {
        let _: () = within(
            redis::pipe()
                .cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("PX")
                .arg(self.expiry.as_millis() as u64)
                .ignore()
                .publish(self.keys.events(), message.encode())
                .ignore()
                .query_async(&mut self.conn),
        )
        .await?;
        Ok(())
    }

    /// The shared store knows a complete cycle that began at `started`: when it is newer
    /// than the last one known, the local view records it too (a snapshot saves itself, so a
    /// reader restarting without Redis still resumes).
    fn note_cycle(&self, started: DateTime<Utc>) {
        if self.shared.note_cycle(started) {
            self.local.cycle_complete(started);
        }
    }

    /// A message from a channel.
    fn on_message(&mut self, channel: &str, payload: &[u8]) {
        let Some(message) = Message::decode(payload) else {
            return;
        };
        let ours = self.keys.capacity();
        match message {
            Message::Entries { capacity, entries } if capacity == ours => {
                self.merge(entries.into_iter().take(MAX_ENTRIES).collect());
            }
            Message::Progress { capacity, progress } if capacity == ours => {
                self.shared.progress.send_replace(Some(progress.checked()));
            }
            Message::CycleComplete { capacity, started } if capacity == ours => {
                self.note_cycle(started);
            }
            Message::WarmNow { id } if channel == self.keys.warm_now() => {
                self.shared.warm_now_request(id);
            }
            Message::WarmNowAnswered { id, answer } => self.shared.answered(&id, answer),
            Message::LeaseReleased => self.shared.released.notify_waiters(),
            _ => {}
        }
    }

    /// The link is down: say so once.
    fn went_down(&self, why: &str) {
        let first = !matches!(*self.shared.link.borrow(), Link::Down { .. });
        if first {
            let since = self.local.now();
            tracing::warn!(
                "Redis {} unreachable since {} ({}): going on in memory, reconnecting with backoff",
                self.target,
                since.with_timezone(&chrono::Local).format("%H:%M"),
                self.target.redact(why)
            );
            self.shared.link.send_replace(Link::Down { since });
        }
    }
}

/// Put `batch` into `pending`; returns the messages to publish (never kept: they mean
/// nothing later).
fn add(pending: &mut Pending, batch: Vec<Outgoing>) -> Vec<(String, Message)> {
    let mut publish = Vec::new();
    for out in batch {
        match out {
            Outgoing::Entry(check, entry) => {
                pending.entries.insert(check, entry);
            }
            Outgoing::CycleComplete(started) => pending.cycle = Some(started),
            Outgoing::Progress(p) => pending.progress = Some(p),
            Outgoing::Publish { channel, message } => publish.push((channel, message)),
        }
    }
    publish
}

async fn next(pubsub: &mut Option<PubSubStream>) -> Option<redis::Msg> {
    match pubsub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// `fut` within [`COMMAND_TIMEOUT`], its error as text.
async fn within<T>(fut: impl Future<Output = redis::RedisResult<T>>) -> Result<T, Fail> {
    match tokio::time::timeout(COMMAND_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", COMMAND_TIMEOUT.as_secs())),
    }
}
