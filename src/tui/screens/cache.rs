//! The Cache screen (SPEC §10, key `4`): warmer statistics and one row per check.
//!
//! Statistics (their box's lower edge names the credentials in use and the account when known,
//! SPEC §4; never a secret): hits, misses, hit rate, cycles, batches and min / avg / p95 / max batch time
//! (ms), slow batches (> 3000 ms) and failed checks, time to the next re-warm, and the store
//! (SPEC §11: memory, the snapshot's file and when it was loaded, or Redis with its host and
//! database and the warmer lease's holder). Rows: check, value (as on the Infra screen), age,
//! latency of the last fetch, last error. Scrollable.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{Reply, Screen, ScreenCtx, View, fmt_age};
use crate::durations::fmt_duration;
use crate::store::redis::Link;
use crate::store::{Backing, Cached, CachedState, SnapshotLoad};
use crate::tui::keys::{KeyHint, SCROLL_KEYS, Scroll};
use crate::tui::widgets::quota_cell::quota_cell;
use crate::tui::widgets::table::{body_rows, header_row, scrolled_title, titled_block};

/// The Cache screen's state: the credentials line it shows and the check table's scroll
/// position.
#[derive(Debug, Default)]
pub struct CacheScreen {
    /// What the credentials are (`credentials: <source, file, type, account>`); never a
    /// secret.
    credentials: String,
    scroll: Scroll,
}

impl CacheScreen {
    /// The screen, showing `credentials` under the statistics.
    pub fn new(credentials: String) -> Self {
        CacheScreen {
            credentials,
            scroll: Scroll::default(),
        }
    }

    fn stats_lines<'a>(view: &View) -> Vec<Line<'a>> {
        let theme = view.theme();
        let s = view.stats();
        let cfg = view.warmer_config();
        let status = view.status();
        let last_cycle = s
            .last_cycle_ms
            .map(|ms| format!(" (last {:.1}s)", ms as f64 / 1000.0))
            .unwrap_or_default();
        let next = match view.next_rewarm_in() {
            Some(d) => format!("in {}", fmt_age(d)),
            None if cfg.once => "never (--once)".to_string(),
            None if status.hot && !status.rewarming => "—".to_string(),
            None => format!("after this cycle ({}/{})", status.done, status.total),
        };
        vec![
            Line::from(vec![
                Span::styled("hits ", theme.muted),
                Span::raw(s.hits.to_string()),
                Span::styled(" · misses ", theme.muted),
                Span::raw(s.misses.to_string()),
                Span::styled(" · hit rate ", theme.muted),
                Span::styled(format!("{:.1}%", s.hit_rate), theme.title),
                Span::styled(" · cycles ", theme.muted),
                Span::raw(format!(
                    "{}/{} complete{last_cycle}",
                    s.cycles_completed, s.cycles_started
                )),
            ]),
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
                Span::styled(
                    s.slow.to_string(),
                    if s.slow > 0 {
                        theme.toast_warn
                    } else {
                        theme.positive
                    },
                ),
                Span::styled(" · failed ", theme.muted),
                Span::styled(
                    s.failed.to_string(),
                    if s.failed > 0 {
                        theme.failed
                    } else {
                        theme.positive
                    },
                ),
            ]),
            Line::from(vec![
                Span::styled("next re-warm ", theme.muted),
                Span::raw(next),
                Span::styled(
                    format!(
                        " · TTL {} · interval {} · re-warm every {}",
                        fmt_duration(cfg.ttl),
                        fmt_duration(cfg.interval),
                        fmt_duration(cfg.refresh)
                    ),
                    theme.muted,
                ),
            ]),
            store_line(view),
        ]
    }
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

impl Screen for CacheScreen {
    fn title(&self) -> &'static str {
        "Cache"
    }

    fn summary(&self) -> &'static str {
        "warmer statistics and every check"
    }

    fn keys(&self) -> &'static [KeyHint] {
        SCROLL_KEYS
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        if self.scroll.key(key, ctx.view().checks().len()) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        self.scroll.wheel(down, ctx.view().checks().len());
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        true // ages and the re-warm countdown move
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let [stats, table] =
            Layout::vertical([Constraint::Length(6), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Paragraph::new(Self::stats_lines(view)).block(
                titled_block(" Warmer statistics ", theme)
                    // The account comes from a credentials file: sanitised.
                    .title_bottom(Span::styled(
                        format!(" {} ", crate::sanitize::Sanitized::new(&self.credentials)),
                        theme.muted,
                    )),
            ),
            stats,
        );

        let checks = view.checks();
        let range = self.scroll.visible(checks.len(), body_rows(table));
        let title = scrolled_title("Checks", &range, checks.len())
            .unwrap_or_else(|| format!(" Checks ({}) ", checks.len()));
        let rows = range.map(|i| check_row(view, i));
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(26),
                    Constraint::Length(6),
                    Constraint::Length(7),
                    Constraint::Length(8),
                    Constraint::Min(10),
                ],
            )
            .header(header_row(
                ["Check", "Value", "Age", "Latency", "Last error"],
                theme,
            ))
            .block(titled_block(title, theme)),
            table,
        );
    }
}

/// The row of check `i`: check, value (as on the Infra screen), age, latency of the last
/// fetch, last error.
fn check_row(view: &View, i: usize) -> Row<'static> {
    let theme = view.theme();
    let check = &view.checks()[i];
    let cached = view.snapshot().get(i);
    let (value, style) = quota_cell(cached, theme);
    let age = cached
        .and_then(|c| view.age(c))
        .map(fmt_age)
        .unwrap_or_else(|| "—".to_string());
    let (latency, failure) = match cached.map(Cached::state) {
        Some(CachedState::Fresh(g) | CachedState::Stale(g)) => (Some(g.latency), None),
        Some(CachedState::Failed { error, .. }) => (Some(error.latency), Some(error)),
        Some(CachedState::Pending) | None => (None, None),
    };
    let latency = latency
        .map(|d| format!("{}ms", d.as_millis()))
        .unwrap_or_else(|| "—".to_string());
    let error = failure
        .map(|f| Span::styled(f.error.to_string(), theme.failed))
        .unwrap_or_else(|| Span::raw(""));
    Row::new([
        Cell::from(check.to_string()),
        Cell::from(Span::styled(value, style)),
        Cell::from(age),
        Cell::from(latency),
        Cell::from(error),
    ])
}
