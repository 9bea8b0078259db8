//! The Cache screen (SPEC §10, key `4`): warmer statistics and one row per check.
//!
//! Statistics (their box's lower edge names the credentials in use and the account when known,
//! SPEC §4; never a secret): the steady-state hit rate with its hits and misses, the cold
//! reads (made before the first complete cycle) apart, batches and min / avg / p95 / max
//! batch time (ms), slow batches (> 3000 ms) and failed checks, cycles, time to the next
//! re-warm, the timers, and the store (SPEC §11: memory, the snapshot's file and when it
//! was loaded, or Redis with its host and database and the warmer lease's holder). Rows:
//! check, limit, in use (`?` while the usage is unknown), free (as the Infra screen's cell,
//! with its marks), age, latency of the last fetch, last error (the limit's, else `usage:
//! ...`); the title counts the checks whose usage read failed.
//!
//! Finding a check: `/` filters by check name or error text (a one-line input at the bottom;
//! digits type; matches highlighted; Esc clears), `s` cycles the sort (name, value, free,
//! age, latency, error; named in the title). A selected row (j/k, wheel, click) stays in
//! view, with a scrollbar when not all fit; Enter opens the
//! [detail popup](crate::tui::widgets::detail) of its check (the whole error), `y` copies
//! the Cloud Console quota page of its metric (OSC 52).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Table, Wrap};

use super::{Reply, Screen, ScreenCtx, View, fmt_age};
use crate::tui::keys::KeyHint;
use crate::tui::selection::Selection;
use crate::tui::widgets::detail::{COPIED_WHAT, DetailPopup, console_link};
use crate::tui::widgets::filter::{FILTER_HINT, FILTER_KEYS, Filter, FilterKey};
use crate::tui::widgets::sort::SortBy;
use crate::tui::widgets::table::{
    body_rows, draw_scrollbar, header_row, scrolled_title, titled_block,
};

#[path = "cache_rows.rs"]
mod rows;
#[path = "cache_stats.rs"]
mod stats;
use rows::{CacheSort, check_row, shown_rows, usage_errors};
pub(in crate::tui::screens) use stats::next_rewarm;

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "select"),
    KeyHint::main("Enter", "detail"),
    FILTER_HINT,
    KeyHint::main("s", "sort"),
    KeyHint::main("y", "copy link"),
    KeyHint::more("↑/↓", "select"),
    KeyHint::more("g/G", "first / last"),
    KeyHint::more("PgUp/PgDn", "page"),
    KeyHint::more("wheel / click", "select"),
];

/// The keys while the detail popup is open.
const DETAIL_KEYS: &[KeyHint] = &[
    KeyHint::main("y", "copy quota link"),
    KeyHint::main("Esc", "close"),
    KeyHint::main("j/k", "scroll"),
];

/// The Cache screen's state: the credentials line it shows, the selected check, the `/`
/// filter, the sort order, the detail popup, and where the table's rows were last drawn
/// (for clicks).
#[derive(Debug, Default)]
pub struct CacheScreen {
    /// What the credentials are (`credentials: <source, file, type, account>`); never a
    /// secret.
    credentials: String,
    selection: Selection,
    filter: Filter,
    sort: SortBy,
    detail: DetailPopup,
    /// The table's body rows as last drawn (drawing takes `&self`).
    body: std::cell::Cell<Rect>,
}

impl CacheScreen {
    /// The screen, showing `credentials` under the statistics.
    pub fn new(credentials: String) -> Self {
        CacheScreen {
            credentials,
            ..CacheScreen::default()
        }
    }

    /// The checks shown (filtered, sorted), by index into [`View::checks`].
    fn rows(&self, view: &View) -> Vec<usize> {
        shown_rows(view, &self.filter, self.sort.key())
    }

    /// The check of the selected row, by index into [`View::checks`].
    fn selected_check(&self, view: &View) -> Option<usize> {
        let rows = self.rows(view);
        rows.get(self.selection.selected().min(rows.len().saturating_sub(1)))
            .copied()
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
        if self.detail.is_open() {
            DETAIL_KEYS
        } else if self.filter.is_open() {
            FILTER_KEYS
        } else {
            KEYS
        }
    }

    /// The popup, then the filter, first while open or kept (digits type; Esc clears it).
    fn captures_input(&self) -> bool {
        self.detail.is_open() || self.filter.captures()
    }

    fn on_leave(&mut self, _ctx: &mut ScreenCtx) {
        self.detail.close();
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
        if self.filter.key(key) == FilterKey::Changed {
            self.selection.select(0);
            return Reply::Redraw;
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Reply::Ignored;
        }
        match key.code {
            KeyCode::Char('s') => {
                self.sort.advance::<CacheSort>();
                self.selection.select(0);
                Reply::Redraw
            }
            KeyCode::Enter => match self.selected_check(ctx.view()) {
                Some(i) => {
                    self.detail.open(i);
                    Reply::Redraw
                }
                None => Reply::Ignored,
            },
            KeyCode::Char('y') => {
                let Some(link) = self
                    .selected_check(ctx.view())
                    .and_then(|i| console_link(ctx.view(), i))
                else {
                    return Reply::Ignored;
                };
                ctx.copy(&link, COPIED_WHAT);
                Reply::Redraw
            }
            _ => {
                let n = self.rows(ctx.view()).len();
                if self.selection.key(key, n) {
                    Reply::Redraw
                } else {
                    Reply::Ignored
                }
            }
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &mut ScreenCtx) -> Reply {
        if self.detail.is_open() {
            self.detail.wheel(down);
            return Reply::Redraw;
        }
        let n = self.rows(ctx.view()).len();
        self.selection.wheel(down, n);
        Reply::Redraw
    }

    /// A click on a row of the check table selects it.
    fn on_click(&mut self, column: u16, row: u16, ctx: &mut ScreenCtx) -> Reply {
        let body = self.body.get();
        if self.detail.is_open() || !body.contains(Position::new(column, row)) {
            return Reply::Ignored;
        }
        let idx = self.selection.offset() + (row - body.y) as usize;
        if idx >= self.rows(ctx.view()).len() {
            return Reply::Ignored;
        }
        self.selection.select(idx);
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        true // ages and the re-warm countdown move
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let width = area.width.saturating_sub(2) as usize;
        let lines = stats::stats_lines(view, width);
        let stats_height = stats::wrapped_rows(&lines, width) + 2;
        let [stats, table] =
            Layout::vertical([Constraint::Length(stats_height), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                titled_block(" Warmer statistics ", theme)
                    // The account comes from a credentials file: sanitised.
                    .title_bottom(Span::styled(
                        format!(" {} ", crate::sanitize::Sanitized::new(&self.credentials)),
                        theme.muted,
                    )),
            ),
            stats,
        );
        self.draw_table(frame, table, view);
        self.detail.draw(frame, area, view);
    }
}

impl CacheScreen {
    /// The check table: the shown rows around the selection, the title naming the rows
    /// shown, the filter, the sort and the usage errors; a scrollbar when not all fit.
    fn draw_table(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let rows = self.rows(view);
        let range = self.selection.visible(rows.len(), body_rows(area));
        let selected = self.selection.selected().min(rows.len().saturating_sub(1));
        self.body.set(Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: range.len() as u16,
        });
        let total = view.checks().len();
        let mut title = scrolled_title("Checks", &range, rows.len()).unwrap_or_else(|| {
            if self.filter.is_active() {
                " Checks ".to_string() // the filter's note says how many
            } else {
                format!(" Checks ({}) ", rows.len())
            }
        });
        title.pop(); // the trailing space, back after the notes
        title.push_str(&self.filter.title_note(rows.len(), total));
        title.push_str(&self.sort.title_note::<CacheSort>());
        let usage_failed = usage_errors(view);
        if usage_failed > 0 {
            title.push_str(&format!(" · usage failed {usage_failed}"));
        }
        title.push(' ');
        let body = range.clone().map(|r| {
            let row = check_row(view, rows[r], &self.filter);
            if r == selected {
                row.style(theme.selected)
            } else {
                row
            }
        });
        let block = titled_block(title, theme);
        let block = if rows.is_empty() && self.filter.is_active() {
            block.title_bottom(Span::styled(
                format!(" no check matches /{} ", self.filter.text()),
                theme.muted,
            ))
        } else {
            block
        };
        frame.render_widget(
            Table::new(
                body,
                [
                    Constraint::Length(24),
                    Constraint::Length(5),
                    Constraint::Length(6),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(7),
                    Constraint::Min(10),
                ],
            )
            .header(header_row(
                [
                    "Check",
                    "Limit",
                    "In use",
                    "Free",
                    "Age",
                    "Latency",
                    "Last error",
                ],
                theme,
            ))
            .block(block),
            area,
        );
        draw_scrollbar(frame, area, &range, rows.len(), 1, theme);
    }
}
