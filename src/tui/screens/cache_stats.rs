//! The Cache screen's statistics box (SPEC §10 Cache, §11 stores): the hit rate, cold reads,
//! batch times, cycles and the next re-warm, the timers, and the store's line.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::durations::fmt_duration;
use crate::store::redis::Link;
use crate::store::{Backing, SnapshotLoad};
use crate::tui::screens::{View, fmt_age};
use crate::tui::widgets::wrap::wrap_ranges;

/// The statistics box's lines: the steady-state hit rate (reads since the first
/// complete cycle) with the cold reads apart, the batch times and failures, the cycles
/// and the next re-warm, the timers (on the cycles' line when `width` has room). Each
/// fits 78 columns with everyday numbers; longer ones wrap (the box grows), never cut.
pub(super) fn stats_lines<'a>(view: &View, width: usize) -> Vec<Line<'a>> {
    let theme = view.theme();
    let s = view.stats();
    let cfg = view.warmer_config();
    let last_cycle = s
        .last_cycle_ms
        .map(|ms| format!(" (last {:.1}s)", ms as f64 / 1000.0))
        .unwrap_or_default();
    let next = next_rewarm(view);
    let count = |v: u64, warn: Style| {
        Span::styled(v.to_string(), if v > 0 { warn } else { theme.positive })
    };
    let mut rate = vec![Span::styled("steady-state hit rate ", theme.muted)];
    if s.steady() && s.hits + s.misses == 0 {
        rate.push(Span::styled("— (no read since warm)", theme.muted));
    } else if s.steady() {
        rate.extend([
            Span::styled(format!("{:.1}%", s.hit_rate), theme.title),
            Span::styled(" · hits ", theme.muted),
            Span::raw(s.hits.to_string()),
            Span::styled(" · misses ", theme.muted),
            Span::raw(s.misses.to_string()),
        ]);
    } else {
        rate.push(Span::styled("— (after the first cycle)", theme.muted));
    }
    rate.extend([
        Span::styled(" · cold reads ", theme.muted),
        Span::raw(s.cold_reads().to_string()),
        Span::styled(format!(" ({} hits)", s.cold_hits), theme.muted),
    ]);
    let mut cycles = Line::from(vec![
        Span::styled("cycles ", theme.muted),
        Span::raw(format!(
            "{}/{} complete{last_cycle}",
            s.cycles_completed, s.cycles_started
        )),
        Span::styled(" · next re-warm ", theme.muted),
        Span::raw(next),
    ]);
    let timers = format!(
        "TTL {} · interval {} · re-warm every {}",
        fmt_duration(cfg.ttl),
        fmt_duration(cfg.interval),
        fmt_duration(cfg.refresh)
    );
    let mut lines = vec![
        Line::from(rate),
        Line::from(vec![
            Span::styled("batches ", theme.muted),
            Span::raw(s.batches.to_string()),
            Span::styled(" · ms min ", theme.muted),
            Span::raw(s.min_ms.to_string()),
            Span::styled(" avg ", theme.muted),
            Span::raw(s.avg_ms.to_string()),
            Span::styled(" p95 ", theme.muted),
            Span::raw(s.p95_ms.to_string()),
            Span::styled(" max ", theme.muted),
            Span::raw(s.max_ms.to_string()),
            Span::styled(" · slow ", theme.muted),
            count(s.slow, theme.toast_warn),
            Span::styled(" · failed ", theme.muted),
            count(s.failed, theme.failed),
        ]),
    ];
    if cycles.width() + 3 + timers.len() <= width {
        cycles.push_span(Span::styled(format!(" · {timers}"), theme.muted));
        lines.push(cycles);
    } else {
        lines.extend([cycles, Line::styled(timers, theme.muted)]);
    }
    lines.push(store_line(view));
    lines
}

/// When the next refresh-ahead cycle starts: `in 23m`, `after this cycle (12/38)`, `never
/// (--once)`, or `—` (the Cache and Home screens).
pub(in crate::tui::screens) fn next_rewarm(view: &View) -> String {
    let status = view.status();
    match view.next_rewarm_in() {
        Some(d) => format!("in {}", fmt_age(d)),
        None if view.warmer_config().once => "never (--once)".to_string(),
        None if status.hot && !status.rewarming => "—".to_string(),
        None => format!("after this cycle ({}/{})", status.done, status.total),
    }
}

/// Rows `lines` take wrapped at `width` columns.
pub(super) fn wrapped_rows(lines: &[Line], width: usize) -> u16 {
    lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap_ranges(&text, width).len() as u16
        })
        .sum()
}

/// `store memory + snapshot ~/.cache/quota-tui/demo-spot.json · loaded 12:01:05 (38 entries)`,
/// `store Redis redis://host:6379/0 · warmer: host:pid`, `store memory (Redis
/// redis://host:6379/0 unreachable since 12:01)`, ...
fn store_line<'a>(view: &View) -> Line<'a> {
    let theme = view.theme();
    let mut spans = vec![Span::styled("store ", theme.muted)];
    match view.backing().clone() {
        Backing::Redis(redis) => {
            spans.push(match &redis.link {
                Link::Down { since } => Span::styled(
                    format!(
                        "memory (Redis {} unreachable since {})",
                        redis.url,
                        since.with_timezone(&chrono::Local).format("%H:%M")
                    ),
                    theme.toast_warn,
                ),
                Link::Connecting => Span::raw(format!("Redis {} (connecting)", redis.url)),
                Link::Up => Span::raw(format!("Redis {}", redis.url)),
            });
            if let Some(shared) = view.shared() {
                spans.push(Span::styled(" · warmer: ", theme.muted));
                spans.push(Span::raw(shared.holder_name()));
            }
            // The local snapshot, briefly (its file is on the line without Redis).
            if let Backing::Snapshot { load, .. } = redis.local.as_ref() {
                spans.push(Span::styled(
                    format!(" · snapshot {}", snapshot_load(load)),
                    theme.muted,
                ));
            }
        }
        Backing::Memory => spans.push(Span::raw("memory (no snapshot)")),
        Backing::Snapshot { path, load } => {
            spans.push(Span::raw(format!(
                "memory + snapshot {}",
                home_relative(&path)
            )));
            spans.push(Span::styled(
                format!(" · {}", snapshot_load(&load)),
                theme.muted,
            ));
        }
    }
    Line::from(spans)
}

/// `path` with the home folder written `~`, sanitised (a folder name is outside text).
fn home_relative(path: &std::path::Path) -> String {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let shown = match home.as_deref().and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    };
    crate::sanitize::sanitize(&shown)
}

fn snapshot_load(load: &SnapshotLoad) -> String {
    match load {
        SnapshotLoad::Off => "off".to_string(),
        SnapshotLoad::Missing => "none at start".to_string(),
        SnapshotLoad::Loaded { at, entries } => format!(
            "loaded {} ({entries} entries)",
            at.with_timezone(&chrono::Local).format("%H:%M:%S")
        ),
        SnapshotLoad::Ignored(why) => format!("ignored: {}", crate::sanitize::sanitize(why)),
    }
}
