//! The log files of SPEC §8, written through tracing and tracing-appender's non-blocking
//! writer: `cache_warm.log` (warmer events), `infra_verify_timing.log` (`QUOTA_TIMING`
//! entries) and `quota-tui.log` (everything else, filtered by `RUST_LOG`, default `info`).
//!
//! Each start truncates the first two and writes their headers. The files are opened safely
//! ([`files`]: no symlink followed, no FIFO, mode 0600) and one process holds a log folder
//! at a time ([`lock`]). Lines are
//! `2026-11-21T02:45:22 🔥 BATCH_WARM: ...` (local time, to the second). Nothing is ever
//! printed on the terminal.

use std::path::{Path, PathBuf};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, filter::Targets};

use crate::sanitize::Sanitized;

pub mod files;
pub mod lock;
mod timing;
mod warm;

pub use files::{DirOrigin, LogFileError, OpenMode};
use lock::DirLock;
pub use timing::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};
pub use warm::{batch_tag, final_stats_details, spawn_warm_log_writer, warm_line};

/// tracing target of `cache_warm.log` lines.
pub const WARM_TARGET: &str = "cache_warm";
/// tracing target of `infra_verify_timing.log` entries.
pub const TIMING_TARGET: &str = "infra_timing";
/// File names inside the log folder.
pub const WARM_LOG: &str = "cache_warm.log";
pub const TIMING_LOG: &str = "infra_verify_timing.log";
pub const APP_LOG: &str = "quota-tui.log";

/// Local ISO 8601 time to the second: `2026-11-21T02:45:22`.
pub fn timestamp() -> String {
    chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The `cache_warm.log` header (SPEC §8).
pub fn warm_header(started: &str) -> String {
    format!(
        "# Cache warming log - Session started {started}\n\
         # Format: timestamp emoji EVENT: details\n\
         # Events: 🚀=START, 🔥=BATCH, ⚠️=WARN, 😤=SLOWISH, 💀=SLOW, ✅=COMPLETE, ⏭️=SKIP, 🔄=REWARM, ♻️=RESUMED, 💥=ERROR, 🛑=CANCELLED, 📊=STATS\n\
         #\n"
    )
}

/// The `infra_verify_timing.log` header (SPEC §8).
pub fn timing_header(started: &str) -> String {
    format!(
        "# Infra verify timing log - Session started {started}\n\
         # Format: timestamp ⏱️ QUOTA_TIMING: GPU/C3 elapsed + cache hit status\n\
         #\n"
    )
}

/// Keeps the non-blocking writers flushing, and the log folder's lock held; drop it last
/// (it flushes what is queued, then releases the lock).
pub struct LogGuards {
    _guards: Vec<WorkerGuard>,
    _lock: Option<DirLock>,
    /// The folder the logs are in (the one a named symlink leads to).
    pub dir: PathBuf,
}

/// How [`init`] opens the two SPEC §8 logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStart {
    /// Take the log folder's lock ([`lock`]), then truncate them and write their headers:
    /// every start of the TUI or of `warm`. A second such process on the same folder is
    /// refused before it touches anything.
    Truncate,
    /// Append (headers only if a file is new or empty), without the lock: `launch`, which
    /// adds entries to a session without ending it, also beside a running TUI (`O_APPEND`
    /// writes land whole at the end).
    Append,
}

/// Check (or create) the log folder `dir`, take its lock when `start` is
/// [`LogStart::Truncate`], open the two SPEC §8 logs as `start` says and `quota-tui.log`
/// (all through [`files`]: no symlink followed, no FIFO, mode 0600), and install the global
/// tracing subscriber.
///
/// Errors (all configuration errors, exit 2): the folder or a file is refused or cannot be
/// written (the message names the path), or another process holds the folder (the message
/// names its pid).
pub fn init(dir: &Path, origin: DirOrigin, start: LogStart) -> anyhow::Result<LogGuards> {
    let dir = files::prepare_dir(dir, origin)?;
    let started = timestamp();
    let lock = match start {
        LogStart::Truncate => Some(lock::lock_dir(&dir, &started)?),
        LogStart::Append => None,
    };
    let (warm, timing, app, guards) = open_writers(&dir, &started, start)?;
    let app_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(PlainLine { multi_line: false })
                .with_writer(warm)
                .with_filter(Targets::new().with_target(WARM_TARGET, tracing::Level::TRACE)),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(PlainLine { multi_line: true })
                .with_writer(timing)
                .with_filter(Targets::new().with_target(TIMING_TARGET, tracing::Level::TRACE)),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .fmt_fields(sanitized_fields())
                .with_writer(app)
                .with_filter(app_filter)
                .with_filter(tracing_subscriber::filter::filter_fn(|m| {
                    m.target() != WARM_TARGET && m.target() != TIMING_TARGET
                })),
        )
        .try_init()
        .map_err(|e| anyhow::anyhow!("could not install the log subscriber: {e}"))?;
    Ok(LogGuards {
        _guards: guards,
        _lock: lock,
        dir,
    })
}

type Writers = (NonBlocking, NonBlocking, NonBlocking, Vec<WorkerGuard>);

fn open_writers(dir: &Path, started: &str, start: LogStart) -> anyhow::Result<Writers> {
    let mode = match start {
        LogStart::Truncate => OpenMode::Truncate,
        LogStart::Append => OpenMode::Append,
    };
    let (wp, tp, ap) = (dir.join(WARM_LOG), dir.join(TIMING_LOG), dir.join(APP_LOG));
    // All three opened (and checked) before any is emptied: a refused one changes nothing.
    let (mut warm, mut timing, mut app) = (
        files::open_file(&wp)?,
        files::open_file(&tp)?,
        files::open_file(&ap)?,
    );
    files::start_file(&mut warm, &wp, mode, &warm_header(started))?;
    files::start_file(&mut timing, &tp, mode, &timing_header(started))?;
    files::start_file(&mut app, &ap, OpenMode::Append, "")?;
    let (warm, g1) = tracing_appender::non_blocking(warm);
    let (timing, g2) = tracing_appender::non_blocking(timing);
    let (app, g3) = tracing_appender::non_blocking(app);
    Ok((warm, timing, app, vec![g1, g2, g3]))
}

/// Longest line, in characters, the log formatters write of one message or field; anything
/// with outside text in it has been capped before (ApiError's `Display`), so this is only
/// the last line of defence.
const MAX_LINE_CHARS: usize = 4000;

/// Formats an event as `timestamp message` (the SPEC §8 line shape), sanitised as SPEC §4
/// asks ([`Sanitized`]): a message cannot add a line (`⏎` instead), clear a screen or retitle
/// a terminal. `multi_line` keeps newlines for entries our own code writes on several lines
/// (`QUOTA_TIMING`); other control characters are escaped there too.
struct PlainLine {
    multi_line: bool,
}

struct MessageVisitor<'a>(&'a mut String);

impl Visit for MessageVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            use std::fmt::Write as _;
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl<S, N> FormatEvent<S, N> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut msg = String::new();
        event.record(&mut MessageVisitor(&mut msg));
        let mut line = Sanitized::new(&msg).max_chars(MAX_LINE_CHARS);
        if self.multi_line {
            line = line.keep_newlines();
        }
        writeln!(writer, "{} {line}", timestamp())
    }
}

/// The fields of a `quota-tui.log` event, each sanitised ([`Sanitized`]): `message` as it
/// is, every other field as `name=value`, separated by spaces (the shape of
/// tracing-subscriber's default), so a `job = %name` from a server cannot forge a line.
fn sanitized_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let text = format!("{value:?}");
        let text = Sanitized::new(&text).max_chars(MAX_LINE_CHARS);
        if field.name() == "message" {
            write!(w, "{text}")
        } else {
            write!(w, "{}={text}", field.name())
        }
    })
    .delimited(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `f` logs through a subscriber made of `layer`'s formatting, as text.
    fn logged(multi_line: Option<bool>, f: impl FnOnce()) -> String {
        use std::sync::{Arc, Mutex};
        let buf = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = buf.clone();
        let make = move || SharedBuf(sink.clone());
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(make);
        let subscriber = tracing_subscriber::registry();
        match multi_line {
            Some(m) => tracing::subscriber::with_default(
                subscriber.with(layer.event_format(PlainLine { multi_line: m })),
                f,
            ),
            None => tracing::subscriber::with_default(
                subscriber.with(layer.fmt_fields(sanitized_fields())),
                f,
            ),
        }
        String::from_utf8(buf.lock().unwrap().clone()).unwrap()
    }

    struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for SharedBuf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const FORGED: &str =
        "no\u{1b}[2J\u{1b}]0;pwned\u{7}\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged";

    #[test]
    fn log_lines_cannot_be_forged_or_carry_escapes() {
        let out = logged(Some(false), || {
            tracing::info!("💥 CACHE_WARM_ERROR: {FORGED}")
        });
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(
            out.ends_with("⏎2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged\n"),
            "{out}"
        );
        assert!(!out.bytes().any(|b| b < 0x20 && b != b'\n'), "{out:?}");

        // QUOTA_TIMING keeps its own lines, and still escapes the rest.
        let out = logged(Some(true), || {
            tracing::info!("⏱️ QUOTA_TIMING:\n  TOTAL: 0.00s\u{1b}[2J")
        });
        assert!(
            out.ends_with(" ⏱️ QUOTA_TIMING:\n  TOTAL: 0.00s\\u{1b}[2J\n"),
            "{out}"
        );

        // quota-tui.log: fields from a server are sanitised too.
        let out = logged(None, || {
            let job = FORGED.to_string();
            tracing::warn!(job = %job, "launch: {}", "x\u{9b}2J");
        });
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("launch: x\\u{9b}2J job=no\\u{1b}[2J"), "{out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    }
}
