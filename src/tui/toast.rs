//! Toasts: short messages in one slot just above the footer, dismissed after 6 s (SPEC §10,
//! k9s's flash messages). One shows at a time ([`Toasts::current`]: the answer to the
//! user's own key first, then errors before warnings before the rest, the oldest first
//! among equals, so a burst does not flicker and an error with a link to act on is not
//! hidden by the summary after it), with a count of the others still live (`+2`); a
//! progress toast (the warmer's "Already warming (6/38)") is replaced in place
//! and its count kept current, never stacked or left stale. Times are on tokio's clock so
//! tests can run them under a paused clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::catalog::QuotaMetric;
use crate::gcp::{ApiError, ErrorKind};
use crate::warmer::{BatchLevel, BatchReport};

/// How long a toast stays: 6 s.
pub const TOAST_TTL: Duration = Duration::from_secs(6);
/// At most this many toasts are kept; the oldest goes first.
pub const MAX_TOASTS: usize = 8;

/// A toast's tone (its style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Ok,
    Warn,
    Error,
}

/// A toast that follows the warmer's progress: at most one is live, and its count is
/// rewritten as checks land ([`Toasts::update_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressToast {
    /// "Warm now" started a cycle: `🔄 Warming now: 3/38`.
    WarmStarted,
    /// "Warm now" while a cycle runs: `⏳ Already warming (6/38)`.
    AlreadyWarming,
}

impl ProgressToast {
    /// The text at `done` of `total` checks.
    pub fn text(self, done: usize, total: usize) -> String {
        match self {
            ProgressToast::WarmStarted => format!("🔄 Warming now: new cycle, {done}/{total}"),
            ProgressToast::AlreadyWarming => format!("⏳ Already warming ({done}/{total})"),
        }
    }

    fn level(self) -> ToastLevel {
        match self {
            ProgressToast::WarmStarted => ToastLevel::Ok,
            ProgressToast::AlreadyWarming => ToastLevel::Warn,
        }
    }
}

/// One toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub level: ToastLevel,
    /// When it disappears (tokio clock).
    pub expires: Instant,
    /// Set for the one toast that follows the warmer's progress.
    pub progress: Option<ProgressToast>,
}

/// The live toasts, oldest first; the newest is the one shown.
#[derive(Debug, Default)]
pub struct Toasts {
    items: VecDeque<Toast>,
    /// Expiry times not yet handed to the event loop's timer.
    new_deadlines: Vec<Instant>,
}

impl Toasts {
    /// Show `text` from `now` for [`TOAST_TTL`]. The text is sanitised (it may carry a job's
    /// name or state from the server): one line, escapes made visible, at most
    /// [`crate::sanitize::MAX_CHARS`] characters.
    pub fn push(&mut self, text: impl Into<String>, level: ToastLevel, now: Instant) {
        self.push_toast(crate::sanitize::sanitize(&text.into()), level, now, None);
    }

    /// Show the progress toast `kind` at `done`/`total` from now for [`TOAST_TTL`],
    /// replacing the live progress toast if there is one (it becomes the newest, with a new
    /// expiry): asking twice shows one toast, never two.
    pub fn push_progress(&mut self, kind: ProgressToast, done: usize, total: usize, now: Instant) {
        self.items.retain(|t| t.progress.is_none());
        self.push_toast(kind.text(done, total), kind.level(), now, Some(kind));
    }

    /// Rewrite the live progress toast's count to `done`/`total` (its expiry unchanged);
    /// true when its text changed.
    pub fn update_progress(&mut self, done: usize, total: usize) -> bool {
        let Some(t) = self.items.iter_mut().find(|t| t.progress.is_some()) else {
            return false;
        };
        let text = t.progress.expect("found by it").text(done, total);
        let changed = t.text != text;
        t.text = text;
        changed
    }

    /// Drop the progress toast (its cycle ended: the count would go stale); true when one
    /// was live.
    pub fn end_progress(&mut self) -> bool {
        let before = self.items.len();
        self.items.retain(|t| t.progress.is_none());
        self.items.len() != before
    }

    fn push_toast(
        &mut self,
        text: String,
        level: ToastLevel,
        now: Instant,
        progress: Option<ProgressToast>,
    ) {
        let expires = now + TOAST_TTL;
        if self.items.len() == MAX_TOASTS {
            self.items.pop_front();
        }
        self.items.push_back(Toast {
            text,
            level,
            expires,
            progress,
        });
        self.new_deadlines.push(expires);
    }

    /// Drop the toasts expired at `now`; true when any was dropped.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.items.len();
        self.items.retain(|t| t.expires > now);
        self.items.len() != before
    }

    /// The toast shown: the progress toast (the answer to the user's "warm now") if live,
    /// else the most severe live toast, the oldest among equals.
    pub fn current(&self) -> Option<&Toast> {
        let rank = |t: &Toast| {
            let level = match t.level {
                ToastLevel::Error => 2,
                ToastLevel::Warn => 1,
                ToastLevel::Ok => 0,
            };
            (t.progress.is_some(), level)
        };
        // max_by_key keeps the last of equals: walk newest first to get the oldest.
        self.items.iter().rev().max_by_key(|t| rank(t))
    }

    /// How many live toasts the shown one hides (the `+2` beside it).
    pub fn hidden(&self) -> usize {
        self.items.len().saturating_sub(1)
    }

    /// Live toasts, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Toast> {
        self.items.iter()
    }

    /// Number of live toasts.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no toast is shown.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Expiry times of toasts pushed since the last call, for the loop to wake at.
    pub fn take_deadlines(&mut self) -> Vec<Instant> {
        std::mem::take(&mut self.new_deadlines)
    }
}

/// The toast at the end of a cycle of `total` checks, `failed` of which failed, that took
/// `elapsed`: `✅ Cache warm: 38/38 checks in 10.2s`, with `(3 failed)` as a warning, or
/// `💥 Cycle done in 10.2s: all 38 checks failed (Cache screen)` as an error.
pub fn cycle_complete_toast(
    total: usize,
    failed: usize,
    elapsed: Duration,
) -> (String, ToastLevel) {
    let (n, secs) = (total, elapsed.as_secs_f64());
    if n > 0 && failed >= n {
        (
            format!("💥 Cycle done in {secs:.1}s: all {n} checks failed (Cache screen)"),
            ToastLevel::Error,
        )
    } else if failed > 0 {
        (
            format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s ({failed} failed)"),
            ToastLevel::Warn,
        )
    } else {
        (
            format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s"),
            ToastLevel::Ok,
        )
    }
}

/// The toast for a slow batch (> 3000 ms, `BatchLevel::Slow`), if this one was.
pub fn slow_batch_toast(report: &BatchReport) -> Option<String> {
    (report.level == BatchLevel::Slow).then(|| {
        format!(
            "💀 Slow batch: {:.1}s (batch {} of cycle {})",
            report.elapsed.as_secs_f64(),
            report.batch,
            report.cycle
        )
    })
}

/// ONE toast summarising a batch's failed checks, if any failed: `💥 6 checks failed: T4 in
/// 4 regions (rate limited), C3 us-east4 (timed out), A100 us-west1 (unreadable answer)`. A
/// request that failed names its metric and how many regions it covers (its one region when
/// it had one); a region that failed alone in a good answer is named with its region. A
/// `service_disabled` answer is left out: it has its own toast, once per cycle
/// ([`service_disabled_toast`]).
pub fn failed_checks_toast(report: &BatchReport) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    let mut cells = 0;
    for o in &report.outcomes {
        let request = &o.request;
        match &o.result {
            Err(e) if e.kind == ErrorKind::ServiceDisabled => {}
            Err(e) if request.len() == 1 => {
                cells += 1;
                items.push(format!("{} ({})", request.check(0), e.kind.describe()));
            }
            Err(e) => {
                cells += request.len();
                items.push(format!(
                    "{} in {} regions ({})",
                    request.metric,
                    request.len(),
                    e.kind.describe()
                ));
            }
            Ok(limits) => {
                for (i, e) in limits
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
                {
                    cells += 1;
                    items.push(format!("{} ({})", request.check(i), e.kind.describe()));
                }
            }
        }
    }
    if cells == 0 {
        return None;
    }
    let mut s = if cells == 1 {
        "💥 Check failed: ".to_string()
    } else {
        format!("💥 {cells} checks failed: ")
    };
    s.push_str(&items.join(", "));
    Some(s)
}

/// The one toast of a disabled API (SPEC §4): `⛔ Service Usage API not enabled: enable it
/// at https://console.developers.google.com/apis/api/...`. Short, so the URL fits whole in
/// the toast's lines; `metric`'s service names the API when Google's metadata does not.
pub fn service_disabled_toast(metric: QuotaMetric, error: &ApiError) -> String {
    let d = &error.details;
    let api = d
        .service_title()
        .or(d.service())
        .unwrap_or(metric.service());
    match &d.activation_url {
        Some(url) => format!("⛔ {api} not enabled: enable it at {url}"),
        None => format!("⛔ {api} not enabled: {}", error.message),
    }
}

/// The one toast of a usage failure (once per cycle and kind, SPEC §4 Usage): what to do so
/// usage can be read, short enough for the toast's lines. `🔒 Usage unknown (?): grant
/// Monitoring Viewer (roles/monitoring.viewer) to read it; limits still shown`, `⛔ Cloud
/// Monitoring API not enabled: enable it at URL (usage ?)`, or `⚠️ T4 usage not read (timed
/// out): the last reading is kept`.
pub fn usage_failed_toast(metric: QuotaMetric, error: &ApiError) -> String {
    use crate::gcp::monitoring::MONITORING_VIEWER_ROLE;
    match error.kind {
        ErrorKind::Permission => format!(
            "🔒 Usage unknown (?): grant Monitoring Viewer ({MONITORING_VIEWER_ROLE}) to read \
             it; limits still shown"
        ),
        ErrorKind::ServiceDisabled => {
            let d = &error.details;
            let api = d
                .service_title()
                .or(d.service())
                .unwrap_or("Cloud Monitoring API");
            match &d.activation_url {
                Some(url) => format!("⛔ {api} not enabled: enable it at {url} (usage ?)"),
                None => format!("⛔ {api} not enabled (usage ?): {}", error.message),
            }
        }
        kind => format!(
            "⚠️ {metric} usage not read ({}): the last reading is kept",
            kind.describe()
        ),
    }
}

/// A batch report for tests: batch `batch` of cycle 1 at positions `batch`/20 and
/// `batch`/18, taking `elapsed_ms`, with these outcomes. The one place tests build a report.
#[cfg(test)]
pub(crate) fn report(
    batch: usize,
    elapsed_ms: u64,
    outcomes: Vec<crate::gcp::MetricOutcome>,
) -> BatchReport {
    use crate::warmer::ListPos;
    let elapsed = Duration::from_millis(elapsed_ms);
    BatchReport {
        cycle: 1,
        batch,
        repair: false,
        gpu: ListPos {
            n: batch,
            total: 20,
        },
        c3: ListPos {
            n: batch,
            total: 18,
        },
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes,
    }
}

#[cfg(test)]
#[path = "toast_tests.rs"]
mod tests;
