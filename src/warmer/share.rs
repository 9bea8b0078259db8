//! A warmer as one instance of a team sharing a Redis store (SPEC §11): it warms only while
//! this instance holds the lease, publishes its progress for the readers' status widgets,
//! and answers warm-now requests from other instances ("started" or "already running").

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Progress, WarmNow, Warmer};
use crate::store::redis::{LeaseState, RedisStore, SharedProgress, WarmNowAnswer};

/// The progress readers see, from the holder's.
pub fn shared_progress(p: &Progress) -> Option<SharedProgress> {
    Some(SharedProgress {
        cycle: p.cycle,
        started: p.started_at?,
        done: p.done,
        failed: p.failed,
        total: p.total,
        complete: p.complete,
        ever_complete: p.ever_complete,
    })
}

/// Gate `warmer` by `redis`'s lease, and spawn the task that publishes its progress while
/// holding the lease and answers warm-now requests; it runs until `cancel`. Call before
/// [`Warmer::start`].
pub fn share(warmer: &Warmer, redis: Arc<RedisStore>, cancel: CancellationToken) -> JoinHandle<()> {
    warmer.gated(redis.may_warm());
    let handle = warmer.handle();
    let mut progress = handle.watch_progress();
    let mut lease = redis.lease();
    let mut requests = redis.take_warm_now_requests();
    tokio::spawn(async move {
        loop {
            let holding = *lease.borrow_and_update() == LeaseState::Held;
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = progress.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let p = *progress.borrow_and_update();
                    if holding && let Some(shared) = shared_progress(&p) {
                        redis.publish_progress(shared);
                    }
                }
                changed = lease.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    // Just took the lease: readers learn at once where this warmer is.
                    if *lease.borrow() == LeaseState::Held
                        && let Some(shared) = shared_progress(&handle.progress())
                    {
                        redis.publish_progress(shared);
                    }
                }
                id = recv(&mut requests) => {
                    let Some(id) = id else {
                        requests = None;
                        continue;
                    };
                    let answer = match handle.warm_now() {
                        WarmNow::Started => WarmNowAnswer::Started,
                        WarmNow::AlreadyRunning => {
                            let p = handle.progress();
                            WarmNowAnswer::AlreadyRunning { done: p.done, total: p.total }
                        }
                    };
                    redis.answer_warm_now(id, answer);
                }
            }
        }
    })
}

async fn recv(rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<String>>) -> Option<String> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
