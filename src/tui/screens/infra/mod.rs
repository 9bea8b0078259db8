//! The Infra screen (SPEC §10, key `2`): the quota tables, read from the cache only.
//!
//! A GPU table (rows: GPU types; columns: GPU regions in preference order) and a C3 table
//! (region, free vCPUs, the best private-pool machine that fits them), each cell a
//! [`quota_cell`](crate::tui::widgets::quota_cell): `free/limit`. From 160 columns the tables
//! sit side by side, the GPU table's columns taking the spare width.
//!
//! A cell cursor (hjkl / arrows, a click) moves over the GPU cells and the C3 rows; Enter
//! opens the [detail popup](crate::tui::widgets::detail) of the cell, `y` copies its Cloud
//! Console quota link. `/` filters GPU types, GPU regions and C3 regions; `o` sorts the C3
//! table (preference, region, free vCPUs).
//!
//! Opening the screen, and `r`, do a counted
//! [`QuotaStore::read`](crate::store::QuotaStore::read) and write a `⏱️ QUOTA_TIMING` entry;
//! redraws in between use the uncounted peek in the [`View`], so cells fill in live as the
//! warmer lands checks without touching the hit rate.

mod draw;
mod model;

use std::cell::Cell;
use std::time::{Duration, Instant as StdInstant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Paragraph;

use super::{Reply, Screen, ScreenCtx, View};
use crate::logs::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};
use crate::store::{Cached, CachedState};
use crate::tui::keys::KeyHint;
use crate::tui::widgets::detail::{COPIED_WHAT, DetailPopup, console_link};
use crate::tui::widgets::filter::{FILTER_HINT, FILTER_KEYS, Filter, FilterKey};
use crate::tui::widgets::quota_cell::shown_value;
use crate::tui::widgets::sort::SortBy;
pub use draw::SIDE_BY_SIDE_WIDTH;
pub use model::C3Sort;
use model::{Cursor, Focus, Shown};

const KEYS: &[KeyHint] = &[
    KeyHint::main("hjkl", "move"),
    KeyHint::main("Enter", "detail"),
    KeyHint::main("y", "copy link"),
    FILTER_HINT,
    KeyHint::main("r", "refresh"),
    KeyHint::more("o", "sort C3: region, free vCPUs"),
    KeyHint::more("g/G", "C3 top / bottom (PgUp/PgDn: a page)"),
    KeyHint::more("click ←↓↑→", "select a cell"),
];

/// The keys while the detail popup is open.
const DETAIL_KEYS: &[KeyHint] = &[
    KeyHint::main("y", "copy quota link"),
    KeyHint::main("Esc", "close"),
    KeyHint::main("j/k", "scroll"),
];

/// The Infra screen's own state: the cursor, the filter, the C3 sort, the detail popup,
/// the layout of the last draw and the last counted load.
#[derive(Debug, Default)]
pub struct Infra {
    cursor: Cursor,
    filter: Filter,
    c3_sort: SortBy,
    detail: DetailPopup,
    /// The last draw's layout (drawing takes `&self`): the tables side by side, and where
    /// the GPU and C3 tables were (for clicks).
    side_by_side: Cell<bool>,
    gpu_area: Cell<Rect>,
    c3_area: Cell<Rect>,
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

    fn shown(&self, view: &View) -> Shown {
        Shown::new(view, &self.filter, self.c3_sort)
    }

    /// The screen's own keys (the filter and the popup had theirs).
    fn own_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        let shown = self.shown(ctx.view());
        match key.code {
            KeyCode::Char('r') => {
                self.load(ctx);
                ctx.warm_now();
            }
            KeyCode::Char('o') => {
                // The cursor stays on its region wherever the new order puts it.
                let region = shown.c3.get(self.cursor.c3.selected()).copied();
                self.c3_sort.advance::<C3Sort>();
                let resorted = self.shown(ctx.view());
                if let Some(pos) = region.and_then(|r| resorted.c3.iter().position(|&i| i == r)) {
                    self.cursor.c3.select(pos);
                }
            }
            KeyCode::Enter => match self.cursor.check_index(&shown, ctx.view()) {
                Some(i) => self.detail.open(i),
                None => return Reply::Ignored,
            },
            KeyCode::Char('y') => {
                let Some(link) = self
                    .cursor
                    .check_index(&shown, ctx.view())
                    .and_then(|i| console_link(ctx.view(), i))
                else {
                    return Reply::Ignored;
                };
                ctx.copy(&link, COPIED_WHAT);
            }
            _ => {
                if !self.cursor.key(key, &shown, self.side_by_side.get()) {
                    return Reply::Ignored;
                }
            }
        }
        Reply::Redraw
    }

    /// The GPU cell or C3 row at (`column`, `row`) of the terminal, as the cursor.
    fn click(&mut self, column: u16, row: u16, view: &View) -> bool {
        let shown = self.shown(view);
        let at = Position::new(column, row);
        let gpu = self.gpu_area.get();
        // Body rows start under the top border and the header.
        if gpu.contains(at) && row >= gpu.y + 2 && row + 1 < gpu.bottom() {
            let inner = Rect::new(gpu.x + 1, gpu.y, gpu.width.saturating_sub(2), 1);
            let cols = Layout::horizontal(draw::gpu_widths(shown.regions.len()))
                .spacing(1)
                .split(inner);
            let r = usize::from(row - gpu.y - 2);
            let c = cols
                .iter()
                .skip(1)
                .position(|c| c.contains(Position::new(column, gpu.y)));
            if let (true, Some(c)) = (r < shown.types.len(), c) {
                self.cursor.focus = Focus::Gpu;
                self.cursor.gpu_row = r;
                self.cursor.gpu_col = c;
                return true;
            }
        }
        let c3 = self.c3_area.get();
        if c3.contains(at) && row >= c3.y + 2 && row + 1 < c3.bottom() {
            let pos = self.cursor.c3.offset() + usize::from(row - c3.y - 2);
            if pos < shown.c3.len() {
                self.cursor.focus = Focus::C3;
                self.cursor.c3.select(pos);
                return true;
            }
        }
        false
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
        if self.detail.is_open() {
            DETAIL_KEYS
        } else if self.filter.is_open() {
            FILTER_KEYS
        } else {
            KEYS
        }
    }

    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        self.load(ctx);
    }

    fn on_leave(&mut self, _ctx: &mut ScreenCtx) {
        self.detail.close();
    }

    fn captures_input(&self) -> bool {
        self.detail.is_open() || self.filter.captures()
    }

    fn typing(&self) -> bool {
        self.filter.is_open()
    }

    fn filter(&self) -> Option<&Filter> {
        Some(&self.filter)
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        if self.detail.is_open() {
            return if self.detail.key(key, ctx) {
                Reply::Redraw
            } else {
                Reply::Ignored
            };
        }
        let before = self.shown(ctx.view());
        if self.filter.key(key) == FilterKey::Changed {
            let after = self.shown(ctx.view());
            self.cursor.follow(&before, &after);
            return Reply::Redraw;
        }
        if self.filter.is_active()
            && key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Reply::Ignored;
        }
        self.own_key(key, ctx)
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        if self.detail.is_open() {
            self.detail.wheel(down);
        } else {
            let rows = self.shown(ctx.view()).c3.len();
            self.cursor.focus = Focus::C3;
            self.cursor.c3.wheel(down, rows);
        }
        Reply::Redraw
    }

    fn on_click(&mut self, column: u16, row: u16, ctx: &mut ScreenCtx) -> Reply {
        if self.detail.is_open() || !self.click(column, row, ctx.view()) {
            return Reply::Ignored;
        }
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
        frame.render_widget(Paragraph::new(draw::age_line(view)), age);
        let shown = self.shown(view);
        let (gpu_area, c3_area, side) = draw::table_areas(tables, &shown);
        self.side_by_side.set(side);
        self.gpu_area.set(gpu_area);
        self.c3_area.set(c3_area);
        frame.render_widget(self.gpu_table(view, &shown), gpu_area);
        self.draw_c3(frame, c3_area, view, &shown);
        if self.filter.is_active() {
            let text = self.filter.text();
            let theme = view.theme();
            if shown.types.is_empty() {
                let note = format!("(no GPU type or region matches /{text})");
                draw::note_in(frame, gpu_area, note, theme);
            }
            if shown.c3.is_empty() {
                draw::note_in(
                    frame,
                    c3_area,
                    format!("(no C3 region matches /{text})"),
                    theme,
                );
            }
        }
        frame.render_widget(
            Paragraph::new(draw::legend(view.theme(), legend.width)),
            legend,
        );
        self.detail.draw(frame, area, view);
    }
}
