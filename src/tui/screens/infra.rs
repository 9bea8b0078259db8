//! The Infra screen (SPEC §10, key `2`): the quota tables, read from the cache only.
//!
//! A GPU table (rows: GPU types; columns: GPU regions in preference order) and a C3 table
//! (region, vCPUs, best private-pool machine). A cell shows the limit: green above zero, red at
//! zero, `…` not yet checked, `!` failed with no good value, `∞` unlimited; a value whose
//! last refresh failed is dimmed with a `!` after it (`16!`: the last good value, kept), one
//! that is stale (older than the TTL) dimmed with a `~`. Opening the screen, and `r`, do a
//! counted [`QuotaStore::read`](crate::store::QuotaStore::read) and write a `⏱️ QUOTA_TIMING`
//! entry;
//! redraws in between use the uncounted peek in the [`ScreenCtx`], so cells fill in live as the
//! warmer lands checks without touching the hit rate.

use std::borrow::Cow;
use std::time::{Duration, Instant as StdInstant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::{Reply, Screen, ScreenCtx, fmt_age};
use crate::catalog::{Limit, best_c3_machine};
use crate::logs::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};
use crate::store::{Cached, CachedState};
use crate::tui::keys::{KeyHint, Scroll};
use crate::tui::theme::Theme;

const KEYS: &[KeyHint] = &[
    KeyHint::main("r", "refresh + warm now"),
    KeyHint::main("j/k", "scroll C3"),
    KeyHint::more("g/G", "C3 top / bottom"),
    KeyHint::more("PgUp/PgDn", "C3 page"),
];

/// Width from which the GPU and C3 tables sit side by side.
const SIDE_BY_SIDE_WIDTH: u16 = 110;

/// The Infra screen's own state: the C3 table's scroll position and the last counted load.
#[derive(Debug, Default)]
pub struct Infra {
    c3_scroll: Scroll,
    /// The `QUOTA_TIMING` entry of the last counted load.
    pub last_load: Option<QuotaTiming>,
}

/// The marks after a shown value: `!` when the last refresh failed (the value is the last
/// good one), `~` when it is stale (older than the TTL); `""` for a fresh, good value.
pub fn value_marks(cached: &Cached) -> &'static str {
    match cached.state() {
        CachedState::Pending | CachedState::Fresh(_) => "",
        CachedState::Stale(_) => "~",
        CachedState::Failed { stale: false, .. } => "!",
        CachedState::Failed { stale: true, .. } => "!~",
    }
}

/// `style` for a shown value: dimmed when the value is stale or its last refresh failed
/// (shown, never as fresh: SPEC §6).
pub fn value_style(cached: &Cached, style: Style, theme: &Theme) -> Style {
    if value_marks(cached).is_empty() {
        style
    } else {
        theme.stale(style)
    }
}

/// The text and style of one quota cell (GPU limit or C3 vCPUs).
///
/// `None` (no entry) and an entry without a good value or error are `…`; an error with no
/// good value is `!`; a value is its limit (`∞` when unlimited), `positive` above zero,
/// `zero` at zero, followed by its [`value_marks`] and dimmed when it has any (`16!` when the
/// last refresh failed, `8~` when stale).
pub fn quota_cell(cached: Option<&Cached>, theme: &Theme) -> (String, Style) {
    let Some(cached) = cached else {
        return ("…".to_string(), theme.pending);
    };
    let limit = match cached.state() {
        CachedState::Pending => return ("…".to_string(), theme.pending),
        CachedState::Failed {
            last_good: None, ..
        } => return ("!".to_string(), theme.failed),
        CachedState::Fresh(good)
        | CachedState::Stale(good)
        | CachedState::Failed {
            last_good: Some(good),
            ..
        } => good.limit,
    };
    let style = if limit.is_positive() {
        theme.positive
    } else {
        theme.zero
    };
    (
        format!("{limit}{}", value_marks(cached)),
        value_style(cached, style, theme),
    )
}

fn timing_part(read: &[Cached], elapsed: Duration) -> TimingPart {
    let hits = read.iter().filter(|c| c.is_hit()).count();
    TimingPart {
        elapsed,
        source: TimingSource::Cache {
            hits,
            misses: read.len() - hits,
        },
        checks: read.len(),
        fails: read
            .iter()
            .filter(|c| matches!(c.state(), CachedState::Failed { .. }))
            .count(),
        found: read
            .iter()
            .filter(|c| c.limit().is_some_and(Limit::is_positive))
            .count(),
    }
}

impl Infra {
    /// The counted load: read every check from the cache (hits and misses counted), write
    /// the `QUOTA_TIMING` entry (elapsed = each read's own time), then refresh the ctx.
    fn load(&mut self, ctx: &mut ScreenCtx) {
        let n = ctx.gpu_len().min(ctx.checks.len());
        let cache = ctx.warmer.store().clone();
        let t0 = StdInstant::now();
        let gpu = cache.read(&ctx.checks[..n]);
        let gpu_elapsed = t0.elapsed();
        let t1 = StdInstant::now();
        let c3 = cache.read(&ctx.checks[n..]);
        let c3_elapsed = t1.elapsed();
        let entry = QuotaTiming {
            gpu: Some(timing_part(&gpu, gpu_elapsed)),
            c3: Some(timing_part(&c3, c3_elapsed)),
        };
        log_quota_timing(&entry);
        self.last_load = Some(entry);
        ctx.refresh();
    }

    fn age_line<'a>(ctx: &ScreenCtx) -> Line<'a> {
        let theme = &ctx.theme;
        let mut newest: Option<Duration> = None;
        let mut oldest: Option<Duration> = None;
        let (mut checked, mut stale, mut failed) = (0, 0, 0);
        for c in &ctx.snapshot {
            match c.state() {
                CachedState::Pending => {}
                CachedState::Fresh(_) => checked += 1,
                CachedState::Stale(_) => {
                    checked += 1;
                    stale += 1;
                }
                CachedState::Failed { stale: s, .. } => {
                    checked += 1;
                    failed += 1;
                    stale += usize::from(s);
                }
            }
            if let Some(age) = ctx.age(c) {
                newest = Some(newest.map_or(age, |n| n.min(age)));
                oldest = Some(oldest.map_or(age, |o| o.max(age)));
            }
        }
        let mut spans = vec![Span::styled("Cache ", theme.title)];
        spans.push(Span::raw(format!(
            "{checked}/{} checked",
            ctx.snapshot.len()
        )));
        match (newest, oldest) {
            (Some(n), Some(o)) => spans.push(Span::raw(format!(
                " · newest {} · oldest {}",
                fmt_age(n),
                fmt_age(o)
            ))),
            _ => spans.push(Span::styled(" · nothing cached yet", theme.muted)),
        }
        spans.push(Span::styled(
            format!(
                " · TTL {}",
                crate::durations::fmt_duration(ctx.warmer.store().ttl())
            ),
            theme.muted,
        ));
        if stale > 0 {
            spans.push(Span::styled(
                format!(" · {stale} stale"),
                theme.stale(Style::new()),
            ));
        }
        if failed > 0 {
            spans.push(Span::styled(format!(" · {failed} failed"), theme.failed));
        }
        Line::from(spans)
    }

    /// The GPU table, borrowing the catalog's names (no per-frame copies of them).
    fn gpu_table(ctx: &ScreenCtx) -> Table<'_> {
        let theme = &ctx.theme;
        let regions = &ctx.catalog.gpu_regions;
        let header = Row::new(
            std::iter::once(Cell::from("GPU"))
                .chain(regions.iter().map(|r| Cell::from(r.as_str()))),
        )
        .style(theme.title);
        let rows = ctx.catalog.gpu_types.iter().enumerate().map(|(ti, gpu)| {
            let cells = regions.iter().enumerate().map(|(ri, _)| {
                let (text, style) = quota_cell(ctx.gpu_cached(ti, ri), theme);
                Cell::from(Span::styled(text, style))
            });
            Row::new(std::iter::once(Cell::from(gpu.name())).chain(cells))
        });
        let widths = std::iter::once(Constraint::Length(5))
            .chain(regions.iter().map(|_| Constraint::Length(12)));
        let title = match ctx.catalog.capacity {
            crate::catalog::Capacity::Spot => " GPU quota (spot, GPUs per region) ",
            crate::catalog::Capacity::OnDemand => " GPU quota (on-demand, GPUs per region) ",
        };
        Table::new(rows, widths)
            .header(header)
            .block(Block::bordered().title(Span::styled(title, theme.title)))
    }

    /// The C3 table's visible rows, borrowing the catalog's region names.
    fn c3_table<'a>(&self, ctx: &'a ScreenCtx, area: Rect) -> Table<'a> {
        let theme = &ctx.theme;
        let c3 = ctx.c3_cached();
        let height = area.height.saturating_sub(3) as usize;
        let range = self.c3_scroll.visible(c3.len(), height);
        let title: Cow<'static, str> = if range.len() < c3.len() {
            Cow::Owned(format!(
                " C3 private pools ({}–{} of {}) ",
                range.start + 1,
                range.end,
                c3.len()
            ))
        } else {
            Cow::Borrowed(" C3 private pools ")
        };
        let regions = &ctx.catalog.c3_regions;
        let rows = range.map(|i| {
            let cached = &c3[i];
            let (text, style) = quota_cell(Some(cached), theme);
            let machine = match cached.limit() {
                Some(limit) => Span::styled(
                    best_c3_machine(limit).unwrap_or("— (< 44 vCPUs)"),
                    value_style(cached, Style::new(), theme),
                ),
                None => Span::raw(""),
            };
            Row::new([
                Cell::from(regions.get(i).map_or("", String::as_str)),
                Cell::from(Span::styled(text, style)),
                Cell::from(machine),
            ])
        });
        Table::new(
            rows,
            [
                Constraint::Length(23),
                Constraint::Length(6),
                Constraint::Min(15),
            ],
        )
        .header(Row::new(["Region", "vCPUs", "Best pool machine"]).style(theme.title))
        .block(Block::bordered().title(Span::styled(title, theme.title)))
    }
}

impl Screen for Infra {
    fn title(&self) -> &'static str {
        "Infra"
    }

    fn summary(&self) -> &'static str {
        "GPU and C3 quota tables, from the cache"
    }

    fn keys(&self) -> &'static [KeyHint] {
        KEYS
    }

    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        self.load(ctx);
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        if key.code == KeyCode::Char('r') {
            self.load(ctx);
            ctx.warm_now();
            return Reply::Redraw;
        }
        let rows = ctx.c3_cached().len();
        if self.c3_scroll.key(key, rows) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        self.c3_scroll.wheel(down, ctx.c3_cached().len());
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        true // ages move
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx) {
        let [age, tables, legend] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(Self::age_line(ctx)), age);
        let gpu_height = ctx.catalog.gpu_types.len() as u16 + 3;
        let (gpu_area, c3_area) = if tables.width >= SIDE_BY_SIDE_WIDTH {
            let [g, c] =
                Layout::horizontal([Constraint::Length(62), Constraint::Min(0)]).areas(tables);
            let [g, _] =
                Layout::vertical([Constraint::Length(gpu_height), Constraint::Min(0)]).areas(g);
            let c3_height = ctx.catalog.c3_regions.len() as u16 + 3;
            let [c, _] =
                Layout::vertical([Constraint::Length(c3_height), Constraint::Min(0)]).areas(c);
            (g, c)
        } else {
            let [g, c] = Layout::vertical([Constraint::Length(gpu_height), Constraint::Min(0)])
                .areas(tables);
            (g, c)
        };
        frame.render_widget(Self::gpu_table(ctx), gpu_area);
        frame.render_widget(self.c3_table(ctx, c3_area), c3_area);
        let theme = &ctx.theme;
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("n", theme.positive),
                Span::styled(" quota  ", theme.muted),
                Span::styled("0", theme.zero),
                Span::styled(" none  ", theme.muted),
                Span::styled("…", theme.pending),
                Span::styled(" unchecked  ", theme.muted),
                Span::styled("!", theme.failed),
                Span::styled(" failed  ", theme.muted),
                Span::styled("n!", theme.stale(Style::new())),
                Span::styled(" refresh failed  ", theme.muted),
                Span::styled("n~", theme.stale(Style::new())),
                Span::styled(" stale  ", theme.muted),
                Span::styled("∞ unlimited", theme.muted),
            ])),
            legend,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::{ApiError, ErrorKind};
    use crate::store::{Entry, Failure, GoodValue};
    use chrono::{DateTime, Utc};
    use ratatui::style::Modifier;

    const TTL: Duration = Duration::from_secs(60);

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// An entry holding `limit` fetched `age` ago (stale from the 60 s TTL on), and the
    /// failure `error` after it when given.
    fn cached(limit: Option<Limit>, age: Duration, error: Option<ErrorKind>) -> Cached {
        let entry = Entry {
            good: limit.map(|limit| GoodValue::new(limit, now() - age, Duration::ZERO)),
            last_error: error.map(|kind| Failure {
                error: ApiError::new(kind, "no"),
                at: now(),
                latency: Duration::ZERO,
            }),
        };
        Cached::new(Some(&entry), TTL, now())
    }

    fn good(limit: Limit, age: Duration) -> Cached {
        cached(Some(limit), age, None)
    }

    #[test]
    fn cells_carry_meaning_by_symbol_and_style() {
        let t = Theme::colored();
        let (fresh, stale) = (Duration::from_secs(1), Duration::from_secs(61));
        assert_eq!(quota_cell(None, &t), ("…".into(), t.pending));
        assert_eq!(
            quota_cell(Some(&cached(None, fresh, None)), &t),
            ("…".into(), t.pending)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Finite(16), fresh)), &t),
            ("16".into(), t.positive)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Finite(0), fresh)), &t),
            ("0".into(), t.zero)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Unlimited, fresh)), &t),
            ("∞".into(), t.positive)
        );
        let (text, style) = quota_cell(Some(&good(Limit::Finite(8), stale)), &t);
        assert_eq!(text, "8~");
        assert!(style.add_modifier.contains(Modifier::DIM));
        let failed = cached(None, fresh, Some(ErrorKind::Permission));
        assert_eq!(quota_cell(Some(&failed), &t), ("!".into(), t.failed));

        // A good value whose last refresh failed: kept, marked, dimmed; stale too: both marks.
        let kept = cached(Some(Limit::Finite(16)), fresh, Some(ErrorKind::Permission));
        let (text, style) = quota_cell(Some(&kept), &t);
        assert_eq!(text, "16!");
        assert!(style.add_modifier.contains(Modifier::DIM));
        assert_eq!(style.fg, t.positive.fg);
        let kept_stale = cached(Some(Limit::Finite(16)), stale, Some(ErrorKind::Permission));
        assert_eq!(quota_cell(Some(&kept_stale), &t).0, "16!~");
    }
}
