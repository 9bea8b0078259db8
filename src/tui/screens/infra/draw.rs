//! Drawing the Infra screen: the cache line, the GPU and C3 tables (`free/limit` cells, the
//! cursor, the filter's matches), the legend, and the layout that uses the terminal's width.

use std::time::Duration;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::Infra;
use super::model::{C3Sort, Focus, Shown, c3_machine};
use crate::catalog::Capacity;
use crate::store::CachedState;
use crate::tui::screens::{View, fmt_age};
use crate::tui::theme::Theme;
use crate::tui::widgets::quota_cell::{cell_value, quota_cell, value_style};
use crate::tui::widgets::table::{body_rows, draw_scrollbar, header_row, titled_block};

/// Width from which the GPU and C3 tables sit side by side (narrower: stacked).
pub const SIDE_BY_SIDE_WIDTH: u16 = 160;

/// The C3 table's width when beside the GPU table: region 23, `free / limit` 10,
/// machine 24, spacing and borders.
const C3_WIDTH: u16 = 61;

/// The GPU table's columns: the type, then one per region shown sharing the rest.
pub fn gpu_widths(regions: usize) -> Vec<Constraint> {
    std::iter::once(Constraint::Length(5))
        .chain((0..regions).map(|_| Constraint::Fill(1)))
        .collect()
}

/// The GPU table's and the C3 table's areas in `tables`, and whether they sit side by side.
/// Each table is as high as its `shown` rows need (at least one row), at most the room.
pub fn table_areas(tables: Rect, shown: &Shown) -> (Rect, Rect, bool) {
    let gpu_height = shown.types.len().max(1) as u16 + 3;
    let c3_height = shown.c3.len().max(1) as u16 + 3;
    let top = |area: Rect, height: u16| Rect {
        height: height.min(area.height),
        ..area
    };
    if tables.width >= SIDE_BY_SIDE_WIDTH {
        let [g, c] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(C3_WIDTH)]).areas(tables);
        (top(g, gpu_height), top(c, c3_height), true)
    } else {
        let [g, c] =
            Layout::vertical([Constraint::Length(gpu_height), Constraint::Min(0)]).areas(tables);
        (g, top(c, c3_height), false)
    }
}

/// `Cache 38/38 checked · newest 7s · oldest 7s · TTL 30m · 2 failed`.
pub fn age_line<'a>(view: &View) -> Line<'a> {
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

/// The legend under the tables: in full from 120 columns, else the
/// marks alone (the tables' titles say the cells are `free / limit`).
pub fn legend<'a>(theme: &Theme, width: u16) -> Line<'a> {
    let mut spans = Vec::with_capacity(16);
    if width >= 120 {
        spans.extend([
            Span::styled("free/limit", theme.positive),
            Span::styled("  ", theme.muted),
            Span::styled("0/n", theme.zero),
            Span::styled(" none free  ", theme.muted),
        ]);
    }
    spans.extend([
        Span::styled("?/n", theme.toast_warn),
        Span::styled(" usage unknown  ", theme.muted),
        Span::styled("…", theme.pending),
        Span::styled(" unchecked  ", theme.muted),
        Span::styled("!", theme.failed),
        Span::styled(" failed  ", theme.muted),
        Span::styled("n!", theme.stale(Style::new())),
        Span::styled(" refresh failed  ", theme.muted),
        Span::styled("n~", theme.stale(Style::new())),
        Span::styled(" stale", theme.muted),
    ]);
    if width >= 120 {
        spans.push(Span::styled("  ∞ unlimited", theme.muted));
    }
    Line::from(spans)
}

/// `note` in the muted style on the first body row of the bordered table in `area`.
pub fn note_in(frame: &mut ratatui::Frame, area: Rect, note: String, theme: &Theme) {
    let row = Rect::new(area.x + 1, area.y + 2, area.width.saturating_sub(2), 1);
    frame.render_widget(
        ratatui::widgets::Paragraph::new(Line::styled(note, theme.muted)),
        row.intersection(area),
    );
}

/// `style` with the cursor's look when `on`: reversed, so the value's colour (green, red,
/// the warning colour) stays readable as the cursor's background, in every theme.
fn cursor(style: Style, on: bool) -> Style {
    if on {
        style.add_modifier(Modifier::REVERSED | Modifier::BOLD)
    } else {
        style
    }
}

impl Infra {
    /// The GPU table of the rows and columns shown, the cursor on its cell.
    pub(super) fn gpu_table<'a>(&self, view: &'a View, shown: &Shown) -> Table<'a> {
        let theme = view.theme();
        let catalog = view.catalog();
        let header = header_row(
            std::iter::once(Cell::from("GPU")).chain(shown.regions.iter().map(|&r| {
                let name = catalog.gpu_regions[r].as_str();
                Cell::from(Line::from(self.filter.highlight(name, theme.title, theme)))
            })),
            theme,
        );
        let focused = self.cursor.focus == Focus::Gpu;
        let rows = shown.types.iter().enumerate().map(|(row, &ti)| {
            let cells = shown.regions.iter().enumerate().map(|(col, &ri)| {
                let (text, style) = quota_cell(view.gpu_cached(ti, ri), theme);
                let on = focused && row == self.cursor.gpu_row && col == self.cursor.gpu_col;
                Cell::from(Span::styled(text, cursor(style, on)))
            });
            let name = catalog.gpu_types[ti].name();
            let name = Cell::from(Line::from(self.filter.highlight(name, Style::new(), theme)));
            Row::new(std::iter::once(name).chain(cells))
        });
        let capacity = match catalog.capacity {
            Capacity::Spot => "spot",
            Capacity::OnDemand => "on-demand",
        };
        let note = self
            .filter
            .title_note(shown.types.len(), catalog.gpu_types.len());
        let title = format!(" GPU quota ({capacity}) · free / limit GPUs per region{note} ");
        Table::new(rows, gpu_widths(shown.regions.len()))
            .header(header)
            .block(titled_block(title, theme))
    }

    /// The C3 table's visible rows (the cursor's row kept in view) and its scrollbar.
    pub(super) fn draw_c3(
        &self,
        frame: &mut ratatui::Frame,
        area: Rect,
        view: &View,
        shown: &Shown,
    ) {
        let theme = view.theme();
        let c3 = view.c3_cached();
        let regions = &view.catalog().c3_regions;
        let total = shown.c3.len();
        let range = self.cursor.c3.visible(total, body_rows(area));
        let focused = self.cursor.focus == Focus::C3;
        let rows = range.clone().map(|pos| {
            let i = shown.c3[pos];
            let cached = &c3[i];
            let (text, _) = quota_cell(Some(cached), theme);
            let (machine, known) = c3_machine(cached);
            // Usable only when a pool machine fits the free vCPUs.
            let usable = match (cell_value(cached), machine, known) {
                (None, _, _) => quota_cell(Some(cached), theme).1,
                (Some(_), Some(_), _) => value_style(cached, theme.positive, theme),
                (Some(_), None, true) => value_style(cached, theme.zero, theme),
                (Some(_), None, false) => value_style(cached, theme.toast_warn, theme),
            };
            let machine_text = match (cell_value(cached), machine, known) {
                (None, _, _) => "",
                (_, Some(m), _) => m,
                (_, None, true) => "— (< 44 free)",
                (_, None, false) => "? (usage unknown)",
            };
            let region = regions.get(i).map_or("", String::as_str);
            let row = Row::new([
                Cell::from(Line::from(self.filter.highlight(
                    region,
                    Style::new(),
                    theme,
                ))),
                Cell::from(Span::styled(text, usable)),
                Cell::from(Span::styled(machine_text, usable)),
            ]);
            if focused && pos == self.cursor.c3.selected() {
                row.style(theme.selected)
            } else {
                row
            }
        });
        let mut title = String::from(" C3 private pools · free / limit vCPUs");
        if range.len() < total {
            title.push_str(&format!(" ({}–{} of {total})", range.start + 1, range.end));
        }
        title.push_str(&self.filter.title_note(total, regions.len()));
        title.push_str(&self.c3_sort.title_note::<C3Sort>());
        title.push(' ');
        let table = Table::new(
            rows,
            [
                Constraint::Length(23),
                Constraint::Length(10),
                Constraint::Min(15),
            ],
        )
        .header(header_row(
            ["Region", "free/limit", "Best pool machine (free)"],
            theme,
        ))
        .block(titled_block(title, theme));
        frame.render_widget(table, area);
        draw_scrollbar(frame, area, &range, total, 1, theme);
    }
}
