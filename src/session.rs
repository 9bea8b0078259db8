//! A warm session: the one way the warmer is started and stopped, by the dashboard and by
//! `quota-tui warm` alike (SPEC §7 warmer, §8 logs, §11 stores).
//!
//! Starting one, in the order that matters:
//! 1. the `cache_warm.log` writer subscribes first, so it logs the resumed cycle;
//! 2. the store's last complete cycle is taken up (refresh-ahead from the saved cycle
//!    start: a snapshot's, or the shared store's) when asked;
//! 3. on a shared Redis store, the warmer is gated on the lease and follows its holder
//!    ([`share::share`]);
//! 4. the warmer's interval task starts.
//!
//! [`WarmSession::finish`] undoes it after the cancellation token fired: the warmer's task,
//! the lease (released by the sharing task), then the log writer, which writes
//! `📊 FINAL_STATS` last.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::logs::spawn_warm_log_writer;
use crate::store::open::OpenStore;
use crate::warmer::{Warmer, WarmerHandle, share};

/// A started warmer and the tasks around it: its log writer and, on a shared store, the
/// task that holds or follows the warmer lease.
pub struct WarmSession {
    /// The running warmer: its progress, statistics, cache and warm-now.
    pub handle: WarmerHandle,
    task: JoinHandle<()>,
    log_writer: JoinHandle<()>,
    sharing: Option<JoinHandle<()>>,
}

impl WarmSession {
    /// Start `warmer` over `store` until `cancel` fires. With `resume`, the warmer first
    /// takes up the store's last complete cycle (see the module docs); `warm --once` passes
    /// false, since it always runs a cycle. Subscribe to the warmer's events before calling
    /// this to see the resumed cycle too.
    pub fn start(
        warmer: Warmer,
        store: &OpenStore,
        resume: bool,
        cancel: &CancellationToken,
    ) -> WarmSession {
        let log_writer = spawn_warm_log_writer(warmer.subscribe());
        if resume {
            warmer.resume_from_store();
        }
        let sharing = store
            .redis
            .clone()
            .map(|redis| share::share(&warmer, redis, cancel.clone()));
        let (handle, task) = warmer.start(cancel.clone());
        WarmSession {
            handle,
            task,
            log_writer,
            sharing,
        }
    }

    /// Wait, after the cancellation token fired (or a `--once` cycle ended), for the
    /// warmer's task (at most `grace`), for the sharing task to release the lease, and for
    /// the log writer to write the final statistics (at most `grace`). A task that panicked
    /// or overran `grace` is left behind: the process is ending.
    pub async fn finish(self, grace: Duration) {
        let _ = tokio::time::timeout(grace, self.task).await;
        if let Some(sharing) = self.sharing {
            let _ = sharing.await;
        }
        let _ = tokio::time::timeout(grace, self.log_writer).await;
    }
}
