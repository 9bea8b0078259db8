//! The TUI as one instance of a team sharing a Redis store (SPEC §10, §11).
//!
//! A task ([`spawn_shared_pump`]) turns what the store follows — the link to Redis, the
//! warmer lease, the holder's progress, entries landing from other instances, answers to
//! warm-now — into [`Event::Shared`]s. [`SharedView`] keeps the last of each for drawing:
//! the status widget's `· shared (warmer: host:pid)` and, on an instance that does not warm,
//! the holder's progress instead of its own idle warmer's; the toast when Redis becomes
//! unreachable (once) and when it answers again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::Event;
use super::screens::ScreenCtx;
use super::toast::ToastLevel;
use super::widgets::status::WarmStatus;
use crate::sanitize::Sanitized;
use crate::store::redis::{LeaseState, Link, RedisStore, SharedProgress, WarmNowAnswer};
use crate::warmer::BatchLevel;

/// How long warm-now waits for the holder's answer.
pub const WARM_NOW_WAIT: Duration = Duration::from_secs(3);

/// Something the shared store reported.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedEvent {
    Link(Link),
    Lease(LeaseState),
    Progress(Option<SharedProgress>),
    /// Entries from another instance landed in the local view.
    Changed,
    /// The holder's answer to this instance's warm-now (or why there was none).
    WarmNowAnswered(Result<WarmNowAnswer, String>),
}

/// Spawn the task forwarding the store's changes to `tx` as [`Event::Shared`]; it ends when
/// the UI loop's receiver is gone or the store shuts down.
pub fn spawn_shared_pump(redis: Arc<RedisStore>, tx: mpsc::Sender<Event>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (mut link, mut lease) = (redis.link(), redis.lease());
        let (mut progress, mut changes) = (redis.progress(), redis.changes());
        loop {
            let event = tokio::select! {
                _ = tx.closed() => break,
                c = link.changed() => match c {
                    Ok(()) => SharedEvent::Link(link.borrow_and_update().clone()),
                    Err(_) => break,
                },
                c = lease.changed() => match c {
                    Ok(()) => SharedEvent::Lease(lease.borrow_and_update().clone()),
                    Err(_) => break,
                },
                c = progress.changed() => match c {
                    Ok(()) => SharedEvent::Progress(progress.borrow_and_update().clone()),
                    Err(_) => break,
                },
                c = changes.changed() => match c {
                    Ok(()) => {
                        changes.borrow_and_update();
                        SharedEvent::Changed
                    }
                    Err(_) => break,
                },
            };
            if tx.send(Event::Shared(event)).await.is_err() {
                break;
            }
        }
    })
}

/// What the TUI knows of the shared store.
pub struct SharedView {
    redis: Arc<RedisStore>,
    pub link: Link,
    pub lease: LeaseState,
    pub progress: Option<SharedProgress>,
    /// A cycle of the shared cache was seen complete (or the cache was warm at join).
    ever_hot: bool,
    /// "Redis unreachable" was said (toast) since the link was last up.
    said_down: bool,
}

impl SharedView {
    /// The view of `redis` as it is now; `hot`: the cache is warm already (resumed).
    pub fn new(redis: Arc<RedisStore>, hot: bool) -> Self {
        let link = redis.link().borrow().clone();
        let lease = redis.lease().borrow().clone();
        let progress = redis.progress().borrow().clone();
        let ever_hot = hot || progress.as_ref().is_some_and(|p| p.ever_complete);
        SharedView {
            redis,
            link,
            lease,
            progress,
            ever_hot,
            said_down: false,
        }
    }

    /// The store.
    pub fn redis(&self) -> &Arc<RedisStore> {
        &self.redis
    }

    /// True while this instance's own warmer warms (it holds the lease, or Redis has been
    /// unreachable for a lease time).
    pub fn warms_here(&self) -> bool {
        self.lease.may_warm()
    }

    /// True once the shared cache was warm (a complete cycle) while this instance watched.
    pub fn ever_hot(&self) -> bool {
        self.ever_hot
    }

    /// Fold `event` in; the toast to show, if any.
    pub fn apply(&mut self, event: &SharedEvent) -> Option<(String, ToastLevel)> {
        match event {
            SharedEvent::Link(link) => {
                let was_down = matches!(self.link, Link::Down { .. });
                self.link = link.clone();
                match link {
                    Link::Down { since } if !self.said_down => {
                        self.said_down = true;
                        let at = since.with_timezone(&chrono::Local).format("%H:%M");
                        return Some((
                            format!(
                                "⚠️ Redis {} unreachable since {at}: going on in memory",
                                self.redis.target()
                            ),
                            ToastLevel::Warn,
                        ));
                    }
                    Link::Up if was_down => {
                        self.said_down = false;
                        return Some((
                            format!("✅ Redis {} reachable again", self.redis.target()),
                            ToastLevel::Ok,
                        ));
                    }
                    _ => {}
                }
            }
            SharedEvent::Lease(lease) => self.lease = lease.clone(),
            SharedEvent::Progress(p) => {
                self.ever_hot |= p.as_ref().is_some_and(|p| p.complete || p.ever_complete);
                self.progress = p.clone();
            }
            SharedEvent::Changed => {}
            SharedEvent::WarmNowAnswered(answer) => {
                let who = self.holder_name();
                return Some(match answer {
                    Ok(WarmNowAnswer::Started) => (
                        format!("🔄 Warming now on {who}: new cycle started"),
                        ToastLevel::Ok,
                    ),
                    Ok(WarmNowAnswer::AlreadyRunning { done, total }) => (
                        format!("⏳ Already warming on {who} ({done}/{total})"),
                        ToastLevel::Warn,
                    ),
                    Err(why) => (format!("❌ Warm now: {why}"), ToastLevel::Error),
                });
            }
        }
        None
    }

    /// `host:pid` of the lease holder (host cut to 24 characters), or what stands instead.
    pub fn holder_name(&self) -> String {
        match &self.lease {
            LeaseState::Held => "this instance".to_string(),
            LeaseState::Elsewhere(Some(h)) => {
                let host = Sanitized::new(&h.host).to_string();
                let host = match host.char_indices().nth(23) {
                    Some((cut, _)) if host.chars().count() > 24 => format!("{}…", &host[..cut]),
                    _ => host,
                };
                format!("{host}:{}", h.pid)
            }
            LeaseState::Elsewhere(None) => "another instance".to_string(),
            LeaseState::Asking => "…".to_string(),
            LeaseState::Alone { .. } => "this instance, alone".to_string(),
        }
    }

    /// The status widget's suffix: ` · shared (warmer: host:pid)`, ` · shared (warming
    /// here)`, or ` · Redis down` while unreachable.
    pub fn suffix(&self) -> String {
        if matches!(self.link, Link::Down { .. }) {
            return " · Redis down".to_string();
        }
        match &self.lease {
            LeaseState::Held => " · shared (warming here)".to_string(),
            _ => format!(" · shared (warmer: {})", self.holder_name()),
        }
    }

    /// The status of the shared warmer, on an instance that does not warm: from the
    /// holder's progress, or HOT when the shared cache was warm at join; `None` where this
    /// instance warms (its own warmer's status is the one).
    /// `checks`: the catalog's count, for before the holder said anything.
    pub fn reader_status(&self, checks: usize) -> Option<WarmStatus> {
        if self.warms_here() {
            return None;
        }
        let p = self.progress.as_ref();
        let total = p.map_or(checks, |p| p.total);
        let complete = p.is_some_and(|p| p.complete);
        Some(WarmStatus {
            done: p.map_or(if self.ever_hot { total } else { 0 }, |p| {
                if p.complete { p.total } else { p.done }
            }),
            total,
            level: BatchLevel::Good,
            hot: self.ever_hot,
            rewarming: self.ever_hot && p.is_some() && !complete,
            failed_outright: false,
            failed: p.map_or(0, |p| p.failed),
            previous_all_failed: false,
        })
    }
}

/// Fold `event` into the screens' context: toast what it calls for, and make the status follow
/// the lease holder's progress where this instance does not warm, and its own warmer's where
/// it does (SPEC §11). False when the cache is not shared.
pub(in crate::tui) fn fold_shared(ctx: &mut ScreenCtx, event: &SharedEvent) -> bool {
    let checks = ctx.view().checks().len();
    let Some(shared) = ctx.shared_mut() else {
        return false;
    };
    let warmed_here = shared.warms_here();
    let toast = shared.apply(event);
    let reader = shared.reader_status(checks);
    let hot = shared.ever_hot();
    if let Some((text, level)) = toast {
        ctx.toast(text, level);
    }
    match reader {
        Some(status) => ctx.set_status(status),
        None if !warmed_here => {
            let own = ctx.own_status();
            ctx.set_status(own);
        }
        None => {}
    }
    if hot {
        // Another instance warmed it: reads from now on are the steady state's.
        ctx.mark_warm();
    }
    ctx.refresh();
    true
}

/// Ask the holder to warm now (in the background); its answer comes as an event.
pub fn request_warm_now(redis: Arc<RedisStore>, tx: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        let answer = redis.request_warm_now(WARM_NOW_WAIT).await;
        let _ = tx
            .send(Event::Shared(SharedEvent::WarmNowAnswered(answer)))
            .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Capacity;
    use crate::store::redis::{Holder, RedisOptions, RedisTarget, Role};
    use crate::store::{MemoryStore, QuotaStore};

    fn view() -> SharedView {
        // Nobody listens on port 1: the store goes on in memory.
        let target = RedisTarget::parse("redis://127.0.0.1:1/0").unwrap();
        let local: Arc<dyn QuotaStore> = Arc::new(MemoryStore::new(Duration::from_secs(1800)));
        let redis = RedisStore::connect(
            target,
            "p",
            Capacity::Spot,
            local,
            RedisOptions::new(Role::Reader),
        );
        SharedView::new(Arc::new(redis), false)
    }

    fn progress(done: usize, complete: bool) -> SharedProgress {
        SharedProgress {
            cycle: 2,
            started: chrono::Utc::now(),
            done,
            failed: 1,
            total: 38,
            complete,
            ever_complete: true,
        }
    }

    #[tokio::test]
    async fn a_reader_shows_the_holders_progress_and_names_it() {
        let mut v = view();
        let holder = Holder {
            host: "build-box\u{1b}[2J.example.internal.very-long-name".into(),
            pid: 4242,
            started: chrono::Utc::now(),
        };
        v.apply(&SharedEvent::Lease(LeaseState::Elsewhere(Some(holder))));
        assert_eq!(
            v.reader_status(38).unwrap().text(),
            "🔥 Warming... 0/38",
            "nothing known yet"
        );
        v.apply(&SharedEvent::Progress(Some(progress(38, true))));
        let status = v.reader_status(38).unwrap();
        assert_eq!(status.text(), "✅ Cache HOT! 38/38 · 1 failed");
        let suffix = v.suffix();
        assert!(
            suffix.starts_with(" · shared (warmer: build-box\\u{1b}[2J"),
            "{suffix}"
        );
        assert!(suffix.ends_with(":4242)"), "{suffix}");
        assert!(suffix.chars().count() < 60, "the host is cut: {suffix}");
        v.apply(&SharedEvent::Progress(Some(progress(12, false))));
        assert_eq!(
            v.reader_status(38).unwrap().text(),
            "✅ Cache HOT! 🔄 12/38 · 1 failed",
            "a re-warm keeps HOT"
        );
        v.apply(&SharedEvent::Lease(LeaseState::Held));
        assert!(
            v.reader_status(38).is_none(),
            "the holder shows its own warmer"
        );
        assert_eq!(v.suffix(), " · shared (warming here)");
    }

    #[tokio::test]
    async fn redis_down_is_said_once_and_back_up_once() {
        let mut v = view();
        let since = chrono::Utc::now();
        let down = v.apply(&SharedEvent::Link(Link::Down { since }));
        let (text, level) = down.expect("said");
        assert!(
            text.contains("redis://127.0.0.1:1/0 unreachable since"),
            "{text}"
        );
        assert_eq!(level, ToastLevel::Warn);
        assert!(v.apply(&SharedEvent::Link(Link::Down { since })).is_none());
        assert_eq!(v.suffix(), " · Redis down");
        let up = v.apply(&SharedEvent::Link(Link::Up)).expect("said");
        assert!(up.0.contains("reachable again"), "{}", up.0);
        assert!(v.apply(&SharedEvent::Link(Link::Up)).is_none());
        let answer = v.apply(&SharedEvent::WarmNowAnswered(Ok(
            WarmNowAnswer::AlreadyRunning {
                done: 15,
                total: 38,
            },
        )));
        assert_eq!(answer.unwrap().0, "⏳ Already warming on … (15/38)");
    }
}
