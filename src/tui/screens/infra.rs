//! The Infra screen (SPEC §10, key `2`): the quota tables, read from the cache only.
//!
//! A GPU table (rows: GPU types; columns: GPU regions in preference order) and a C3 table
//! (region, vCPUs, best private-pool machine), each cell a
//! [`quota_cell`](crate::tui::widgets::quota_cell). Opening the screen, and `r`, do a counted
//! [`QuotaStore::read`](crate::store::QuotaStore::read) and write a `⏱️ QUOTA_TIMING` entry;
//! redraws in between use the uncounted peek in the [`View`], so cells fill in live as the
//! warmer lands checks without touching the hit rate.

use std::time::{Duration, Instant as StdInstant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{Reply, Screen, ScreenCtx, View, fmt_age};
use crate::catalog::{Capacity, best_c3_machine};
use crate::logs::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};
use crate::store::{Cached, CachedState};
use crate::tui::keys::{KeyHint, Scroll};
use crate::tui::widgets::quota_cell::{quota_cell, shown_value, value_style};
use crate::tui::widgets::table::{body_rows, header_row, scrolled_title, titled_block};

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
            .filter(|c| shown_value(c).is_some_and(|(limit, _)| limit.is_positive()))
            .count(),
    }
}

impl Infra {
    /// The counted load: read every check from the cache (hits and misses counted), write
    /// the `QUOTA_TIMING` entry (elapsed = each read's own time), then refresh the ctx.
    fn load(&mut self, ctx: &mut ScreenCtx) {
        let checks = ctx.view().checks();
        let n = ctx.view().gpu_len().min(checks.len());
        let cache = ctx.store();
        let t0 = StdInstant::now();
        let gpu = cache.read(&checks[..n]);
        let gpu_elapsed = t0.elapsed();
        let t1 = StdInstant::now();
        let c3 = cache.read(&checks[n..]);
        let c3_elapsed = t1.elapsed();
        let entry = QuotaTiming {
            gpu: Some(timing_part(&gpu, gpu_elapsed)),
            c3: Some(timing_part(&c3, c3_elapsed)),
        };
        log_quota_timing(&entry);
        self.last_load = Some(entry);
        ctx.refresh();
    }

    fn age_line<'a>(view: &View) -> Line<'a> {
        let theme = view.theme();
        let mut newest: Option<Duration> = None;
        let mut oldest: Option<Duration> = None;
        let (mut checked, mut stale, mut failed) = (0, 0, 0);
        for c in view.snapshot() {
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
            if let Some(age) = view.age(c) {
                newest = Some(newest.map_or(age, |n| n.min(age)));
                oldest = Some(oldest.map_or(age, |o| o.max(age)));
            }
        }
        let mut spans = vec![Span::styled("Cache ", theme.title)];
        spans.push(Span::raw(format!(
            "{checked}/{} checked",
            view.snapshot().len()
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
            format!(" · TTL {}", crate::durations::fmt_duration(view.ttl())),
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
    fn gpu_table(view: &View) -> Table<'_> {
        let theme = view.theme();
        let regions = &view.catalog().gpu_regions;
        let header = header_row(
            std::iter::once(Cell::from("GPU"))
                .chain(regions.iter().map(|r| Cell::from(r.as_str()))),
            theme,
        );
        let rows = view
            .catalog()
            .gpu_types
            .iter()
            .enumerate()
            .map(|(ti, gpu)| {
                let cells = regions.iter().enumerate().map(|(ri, _)| {
                    let (text, style) = quota_cell(view.gpu_cached(ti, ri), theme);
                    Cell::from(Span::styled(text, style))
                });
                Row::new(std::iter::once(Cell::from(gpu.name())).chain(cells))
            });
        let widths = std::iter::once(Constraint::Length(5))
            .chain(regions.iter().map(|_| Constraint::Length(12)));
        let title = match view.catalog().capacity {
            Capacity::Spot => " GPU quota (spot, GPUs per region) ",
            Capacity::OnDemand => " GPU quota (on-demand, GPUs per region) ",
        };
        Table::new(rows, widths)
            .header(header)
            .block(titled_block(title, theme))
    }

    /// The C3 table's visible rows, borrowing the catalog's region names.
    fn c3_table<'a>(&self, view: &'a View, area: Rect) -> Table<'a> {
        let theme = view.theme();
        let c3 = view.c3_cached();
        let range = self.c3_scroll.visible(c3.len(), body_rows(area));
        let title = scrolled_title("C3 private pools", &range, c3.len())
            .unwrap_or_else(|| " C3 private pools ".to_string());
        let regions = &view.catalog().c3_regions;
        let rows = range.map(|i| {
            let cached = &c3[i];
            let (text, style) = quota_cell(Some(cached), theme);
            let machine = match shown_value(cached) {
                Some((limit, _)) => Span::styled(
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
        .header(header_row(["Region", "vCPUs", "Best pool machine"], theme))
        .block(titled_block(title, theme))
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
        let rows = ctx.view().c3_cached().len();
        if self.c3_scroll.key(key, rows) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        self.c3_scroll.wheel(down, ctx.view().c3_cached().len());
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        true // ages move
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [age, tables, legend] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(Self::age_line(view)), age);
        let gpu_height = view.catalog().gpu_types.len() as u16 + 3;
        let (gpu_area, c3_area) = if tables.width >= SIDE_BY_SIDE_WIDTH {
            let [g, c] =
                Layout::horizontal([Constraint::Length(62), Constraint::Min(0)]).areas(tables);
            let [g, _] =
                Layout::vertical([Constraint::Length(gpu_height), Constraint::Min(0)]).areas(g);
            let c3_height = view.catalog().c3_regions.len() as u16 + 3;
            let [c, _] =
                Layout::vertical([Constraint::Length(c3_height), Constraint::Min(0)]).areas(c);
            (g, c)
        } else {
            let [g, c] = Layout::vertical([Constraint::Length(gpu_height), Constraint::Min(0)])
                .areas(tables);
            (g, c)
        };
        frame.render_widget(Self::gpu_table(view), gpu_area);
        frame.render_widget(self.c3_table(view, c3_area), c3_area);
        let theme = view.theme();
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
