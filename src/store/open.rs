//! The store a run uses (SPEC §11), opened from its settings: memory, memory saved as a
//! snapshot (the default), or a shared Redis store whose local view is one of those two.
//! The TUI and `warm` open it the same way, before the first frame (a snapshot is loaded, a
//! Redis store gets up to [`READY_WITHIN`] for its first answer), and close it on exit (the
//! snapshot saved, Redis writes flushed and the lease released).

use std::sync::Arc;
use std::time::Duration;

use super::redis::{RedisOptions, RedisStore, RedisTarget, Role};
use super::snapshot::{SnapshotKey, SnapshotStore};
use super::{MemoryStore, QuotaStore};

/// Longest wait for Redis's first answer before the first frame (a TUI joining a warm shared
/// cache is warm at once; an unreachable Redis delays the start by at most this).
pub const READY_WITHIN: Duration = Duration::from_millis(1500);

/// What to open.
#[derive(Debug, Clone)]
pub struct StorePlan {
    /// The shared store, if any.
    pub redis: Option<RedisTarget>,
    /// Keep the snapshot (load at start, save after each complete cycle and on exit).
    pub snapshot: bool,
    /// Whose cache: project (or demo) and capacity.
    pub key: SnapshotKey,
    pub ttl: Duration,
    /// Whether this instance asks for the warmer lease (the TUI and `warm` do).
    pub role: Role,
}

/// An open store: what everyone reads and writes, and the Redis store behind it when shared.
pub struct OpenStore {
    pub store: Arc<dyn QuotaStore>,
    pub redis: Option<Arc<RedisStore>>,
}

impl OpenStore {
    /// Open `plan`'s store. A snapshot is read here (a bad one is logged and ignored); a
    /// Redis store connects in the background. Needs a tokio runtime for Redis.
    pub fn open(plan: StorePlan) -> OpenStore {
        let local: Arc<dyn QuotaStore> = match plan.key.default_path().filter(|_| plan.snapshot) {
            Some(path) => {
                let clock = Arc::new(super::SystemClock);
                Arc::new(SnapshotStore::open(path, plan.key.clone(), plan.ttl, clock))
            }
            None => Arc::new(MemoryStore::new(plan.ttl)),
        };
        let Some(target) = plan.redis else {
            return OpenStore {
                store: local,
                redis: None,
            };
        };
        let redis = Arc::new(RedisStore::connect(
            target,
            &plan.key.project,
            plan.key.capacity,
            local,
            RedisOptions::new(plan.role),
        ));
        OpenStore {
            store: redis.clone(),
            redis: Some(redis),
        }
    }

    /// Wait (at most [`READY_WITHIN`]) for a Redis store's first answer, so the first frame
    /// shows the shared entries. Nothing to wait for otherwise.
    pub async fn ready(&self) {
        if let Some(redis) = &self.redis
            && !redis.wait_loaded(READY_WITHIN).await
        {
            tracing::warn!(
                "Redis {} did not answer within {}s: starting from the local cache",
                redis.target(),
                READY_WITHIN.as_secs_f32()
            );
        }
    }

    /// The process is ending: a Redis store flushes its writes and releases the lease (about
    /// 1 s at most), and the local view saves its snapshot.
    pub async fn close(&self) {
        match &self.redis {
            Some(redis) => redis.shutdown().await,
            None => self.store.close(),
        }
    }
}
