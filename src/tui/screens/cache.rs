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
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::infra::quota_cell;
use super::{Reply, Screen, ScreenCtx, fmt_age};
use crate::durations::fmt_duration;
use crate::store::redis::Link;
use crate::store::{Backing, Cached, CachedState, SnapshotLoad};
use crate::tui::keys::{KeyHint, SCROLL_KEYS, Scroll};

/// The Cache screen's state: the check table's scroll position.
#[derive(Debug, Default)]
pub struct CacheScreen {
    scroll: Scroll,
}

impl CacheScreen {
    fn stats_lines<'a>(ctx: &ScreenCtx) -> Vec<Line<'a>> {
        let theme = &ctx.theme;
        let s = &ctx.stats;
        let last_cycle = s
            .last_cycle_ms
            .map(|ms| format!(" (last {:.1}s)", ms as f64 / 1000.0))
            .unwrap_or_default();
        let next = match ctx.next_rewarm_in {
            Some(d) => format!("in {}", fmt_age(d)),
            None if ctx.warmer.config().once => "never (--once)".to_string(),
            None if ctx.status.hot && !ctx.status.rewarming => "—".to_string(),
            None => format!(
                "after this cycle ({}/{})",
                ctx.status.done, ctx.status.total
            ),
        };
        let cfg = ctx.warmer.config();
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
            store_line(ctx),
        ]
    }
}

/// `store memory + snapshot ~/.cache/quota-tui/demo-spot.json · loaded 12:01:05 (38 entries)`,
/// `store Redis redis://host:6379/0 · warmer: host:pid`, `store memory (Redis
/// redis://host:6379/0 unreachable since 12:01)`, ...
fn store_line<'a>(ctx: &ScreenCtx) -> Line<'a> {
    let theme = &ctx.theme;
    let mut spans = vec![Span::styled("store ", theme.muted)];
    match ctx.warmer.store().backing() {
        Backing::Redis(view) => {
            spans.push(match &view.link {
                Link::Down { since } => Span::styled(
                    format!(
                        "memory (Redis {} unreachable since {})",
                        view.url,
                        since.with_timezone(&chrono::Local).format("%H:%M")
                    ),
                    theme.toast_warn,
                ),
                Link::Connecting => Span::raw(format!("Redis {} (connecting)", view.url)),
                Link::Up => Span::raw(format!("Redis {}", view.url)),
            });
            if let Some(shared) = &ctx.shared {
                spans.push(Span::styled(" · warmer: ", theme.muted));
                spans.push(Span::raw(shared.holder_name()));
            }
            // The local snapshot, briefly (its file is on the line without Redis).
            if let Backing::Snapshot { load, .. } = view.local.as_ref() {
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
        SnapshotLoad::Missing => "none saved yet".to_string(),
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
        if self.scroll.key(key, ctx.checks.len()) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        self.scroll.wheel(down, ctx.checks.len());
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        true // ages and the re-warm countdown move
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx) {
        let theme = &ctx.theme;
        let [stats, table] =
            Layout::vertical([Constraint::Length(6), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Paragraph::new(Self::stats_lines(ctx)).block(
                Block::bordered()
                    .title(Span::styled(" Warmer statistics ", theme.title))
                    // The account comes from a credentials file: sanitised.
                    .title_bottom(Span::styled(
                        format!(" {} ", crate::sanitize::Sanitized::new(&ctx.credentials)),
                        theme.muted,
                    )),
            ),
            stats,
        );

        let height = table.height.saturating_sub(3) as usize;
        let range = self.scroll.visible(ctx.checks.len(), height);
        let title = if range.len() < ctx.checks.len() {
            format!(
                " Checks ({}–{} of {}) ",
                range.start + 1,
                range.end,
                ctx.checks.len()
            )
        } else {
            format!(" Checks ({}) ", ctx.checks.len())
        };
        let rows = range.map(|i| {
            let check = &ctx.checks[i];
            let cached = ctx.snapshot.get(i);
            let (value, style) = quota_cell(cached, theme);
            let age = cached
                .and_then(|c| ctx.age(c))
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
        });
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
            .header(Row::new(["Check", "Value", "Age", "Latency", "Last error"]).style(theme.title))
            .block(Block::bordered().title(Span::styled(title, theme.title))),
            table,
        );
    }
}
