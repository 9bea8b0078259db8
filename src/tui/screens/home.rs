//! The Home screen (SPEC §10, key `1`): a dashboard of where one can run right now.
//!
//! From the cache only (uncounted peek): one line per GPU type with the region that has the
//! most free GPUs (`T4     us-central1 · 12 free of 16`), one C3 line with the region that has
//! the most free vCPUs and the pool machine that fits them ([`answers`]); the warmer's state,
//! the next re-warm and a sparkline of the last batch times; the screens list; and, where the
//! terminal has room, the checks that need attention ([`panels`]). At 80×24 everything but
//! the attention list fits stacked; from 140 columns the warmer and the screens list sit
//! side by side and the attention list takes the height left.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Reply, Screen, ScreenCtx, View};
use crate::tui::keys::KeyHint;
use crate::tui::widgets::table::titled_block;

#[path = "home_answers.rs"]
mod answers;
#[path = "home_panels.rs"]
mod panels;
use panels::{draw_answers, draw_attention, draw_warmer};

/// Width from which the warmer and the screens list sit side by side.
const WIDE: u16 = 140;

/// Width of the screens list beside the warmer.
const SCREENS_WIDTH: u16 = 76;

/// Rows of the batch-time sparkline in `area`: what is left under the answers (`answers`
/// rows) and the screens list (`screens` rows), kept between 1 and 4 (narrow, stacked) or 3
/// and 8 (wide, beside the list), so the needs-attention list below gets the rest.
fn sparkline_rows(area: Rect, wide: bool, answers: u16, screens: u16) -> u16 {
    let fixed = answers + 4 + if wide { 0 } else { screens };
    let spare = area.height.saturating_sub(fixed);
    match (wide, area.height) {
        (true, h) if h >= 50 => 8,
        (true, h) if h >= 30 => 6,
        (true, _) => spare.clamp(1, 3),
        (false, h) if h >= 30 => 4,
        (false, _) => spare.clamp(1, 4),
    }
}

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "select"),
    KeyHint::main("Enter", "open"),
];

/// The Home screen's state: the selected row of the screens list, and where that list's
/// rows were last drawn (for mouse clicks; drawing takes `&self`).
#[derive(Debug, Default)]
pub struct Home {
    selected: usize,
    list_rows: std::cell::Cell<Rect>,
}

impl Screen for Home {
    fn title(&self) -> &'static str {
        "Home"
    }

    fn summary(&self) -> &'static str {
        "where you can run right now"
    }

    fn keys(&self) -> &'static [KeyHint] {
        KEYS
    }

    /// Opening Home is a load of its summaries: a counted cache read (SPEC §6 hits/misses).
    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        ctx.store().read(ctx.view().checks());
        ctx.refresh();
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        let n = ctx.view().screen_titles().len();
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
                Reply::Redraw
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.selected = self.selected.saturating_sub(1);
                Reply::Redraw
            }
            KeyCode::Enter => Reply::Open(self.selected),
            _ => Reply::Ignored,
        }
    }

    /// A click on a row of the screens list selects it.
    fn on_click(&mut self, column: u16, row: u16, ctx: &mut ScreenCtx) -> Reply {
        let rows = self.list_rows.get();
        if !rows.contains(ratatui::layout::Position::new(column, row)) {
            return Reply::Ignored;
        }
        let idx = (row - rows.y) as usize;
        if idx >= ctx.view().screen_titles().len() {
            return Reply::Ignored;
        }
        self.selected = idx;
        Reply::Redraw
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let n_screens = view.screen_titles().len() as u16;
        let n_answers = view.catalog().gpu_types.len() as u16 + 1;
        let wide = area.width >= WIDE;
        let spark_rows = sparkline_rows(area, wide, n_answers + 2, n_screens + 2);
        let warmer_h = 2 + spark_rows + 2;
        let middle_h = if wide {
            warmer_h.max(n_screens + 2)
        } else {
            warmer_h + n_screens + 2
        };
        let [answers, middle, attention] = Layout::vertical([
            Constraint::Length(n_answers + 2),
            Constraint::Length(middle_h),
            Constraint::Min(0),
        ])
        .areas(area);
        let [warmer, screens] = if wide {
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SCREENS_WIDTH)])
                .areas(middle)
        } else {
            Layout::vertical([Constraint::Length(warmer_h), Constraint::Min(0)]).areas(middle)
        };
        draw_answers(frame, answers, view);
        draw_warmer(frame, warmer, view);
        self.draw_screens(frame, screens, view);
        if attention.height >= 3 {
            draw_attention(frame, attention, view);
        }
    }
}

impl Home {
    /// The screens list (digit keys), the selected one marked.
    fn draw_screens(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        self.list_rows
            .set(area.inner(ratatui::layout::Margin::new(1, 1)));
        let lines: Vec<Line> = view
            .screen_titles()
            .iter()
            .enumerate()
            .map(|(i, (title, summary))| {
                let marker = if i == self.selected { "›" } else { " " };
                let style = if i == self.selected {
                    theme.selected
                } else {
                    theme.title
                };
                Line::from(vec![
                    Span::raw(format!(" {marker} ")),
                    Span::styled(format!("{} {title:<7}", i + 1), style),
                    Span::styled(format!("  {summary}"), theme.muted),
                ])
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines).block(titled_block(" Screens ", theme)),
            area,
        );
    }
}
