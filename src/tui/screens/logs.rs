//! The Logs screen (SPEC §10, key `5`): a live tail of `<log_dir>/cache_warm.log`.
//!
//! The file's new bytes are read on each warmer event and clock tick while the screen is
//! shown (a bounded read; see [`LogTail`]). The view follows the end until the user scrolls
//! up; `G` follows again. Long lines wrap at spaces; `w` turns wrapping off for sideways
//! scrolling (`h`/`l` or ←/→) and on again. `/` filters the lines, matches highlighted; a
//! scrollbar shows where the view is when the lines do not all fit.

use std::cell::Cell;
use std::ops::Range;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Reply, Screen, ScreenCtx, View};
use crate::logs::WARM_LOG;
use crate::tui::keys::{KeyHint, Scroll};
use crate::tui::log_tail::LogTail;
use crate::tui::widgets::filter::{FILTER_HINT, FILTER_KEYS, Filter, FilterKey, highlight};
use crate::tui::widgets::table::draw_scrollbar;
use crate::tui::widgets::wrap::{clip_ranges, from_column, widest, wrap_ranges};
use crate::warmer::WarmerEvent;

/// Lines kept in memory.
const MAX_LINES: usize = 2000;

/// Columns `h`/`l` move by when not wrapping.
const SIDE_STEP: usize = 8;

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "scroll"),
    KeyHint::main("g/G", "top / follow"),
    FILTER_HINT,
    KeyHint::main("w", "wrap on/off"),
    KeyHint::more("h/l ←/→", "sideways (wrap off)"),
    KeyHint::more("↑/↓", "scroll"),
    KeyHint::more("PgUp/PgDn", "page"),
    KeyHint::more("wheel", "scroll"),
];

/// One row on screen: line `line` of the tail, bytes `range` of it.
type VisualRow = (usize, Range<usize>);

/// The Logs screen's state: the log file, its tail (opened on first view), the scroll
/// position over the rows shown, the filter, and wrapping or the sideways offset.
#[derive(Debug)]
pub struct Logs {
    /// `<log_dir>/cache_warm.log`.
    path: PathBuf,
    tail: Option<LogTail>,
    scroll: Scroll,
    filter: Filter,
    /// Wrap long lines (else scroll sideways).
    wrap: bool,
    /// First column shown when not wrapping.
    column: usize,
    /// Text width of the last draw (drawing takes `&self`): rows are counted at it.
    width: Cell<usize>,
}

impl Logs {
    /// The screen over `log_dir`'s `cache_warm.log`.
    pub fn new(log_dir: PathBuf) -> Self {
        Logs {
            path: log_dir.join(WARM_LOG),
            tail: None,
            scroll: Scroll::following(),
            filter: Filter::default(),
            wrap: true,
            column: 0,
            width: Cell::new(78),
        }
    }

    fn poll(&mut self) -> bool {
        let path = &self.path;
        self.tail
            .get_or_insert_with(|| LogTail::new(path.clone(), MAX_LINES))
            .poll()
    }

    /// The lines the filter lets through, by index into the tail.
    fn shown_lines(&self) -> Vec<usize> {
        let Some(tail) = &self.tail else {
            return Vec::new();
        };
        tail.lines()
            .iter()
            .enumerate()
            .filter(|(_, l)| self.filter.matches(l))
            .map(|(i, _)| i)
            .collect()
    }

    /// The rows on screen at text width `width`: each shown line wrapped, or one row per
    /// line from the sideways offset.
    fn visual_rows(&self, width: usize) -> Vec<VisualRow> {
        let Some(tail) = &self.tail else {
            return Vec::new();
        };
        let lines = tail.lines();
        let mut rows = Vec::new();
        for i in self.shown_lines() {
            let line = &lines[i];
            if self.wrap {
                rows.extend(wrap_ranges(line, width).into_iter().map(|r| (i, r)));
            } else {
                rows.push((i, from_column(line, self.column)));
            }
        }
        rows
    }

    fn row_count(&self) -> usize {
        self.visual_rows(self.width.get()).len()
    }

    /// `h`/`l`, ←/→ when not wrapping: move the view sideways, within the widest line.
    fn side_key(&mut self, key: &KeyEvent) -> bool {
        if self.wrap {
            return false;
        }
        let widest = self.tail.as_ref().map_or(0, |t| {
            widest(
                self.shown_lines()
                    .into_iter()
                    .map(|i| t.lines()[i].as_str()),
            )
        });
        let max = widest.saturating_sub(self.width.get().saturating_sub(SIDE_STEP));
        self.column = match key.code {
            KeyCode::Char('h') | KeyCode::Left => self.column.saturating_sub(SIDE_STEP),
            KeyCode::Char('l') | KeyCode::Right => (self.column + SIDE_STEP).min(max),
            _ => return false,
        };
        true
    }

    fn row_line<'a>(&self, tail: &'a LogTail, (i, range): &VisualRow, view: &View) -> Line<'a> {
        let line = &tail.lines()[*i];
        let matches = clip_ranges(&self.filter.find(line), range);
        Line::from(highlight(
            &line[range.clone()],
            &matches,
            Style::new(),
            view.theme().matched,
        ))
    }
}

impl Screen for Logs {
    fn title(&self) -> &'static str {
        "Logs"
    }

    fn summary(&self) -> &'static str {
        "live tail of cache_warm.log"
    }

    fn keys(&self) -> &'static [KeyHint] {
        if self.filter.is_open() {
            FILTER_KEYS
        } else {
            KEYS
        }
    }

    fn on_enter(&mut self, _ctx: &mut ScreenCtx) {
        self.poll();
    }

    /// Always first: `w` is wrap here, not the global warm now; keys the screen does not
    /// use fall through to the global ones.
    fn captures_input(&self) -> bool {
        true
    }

    fn typing(&self) -> bool {
        self.filter.is_open()
    }

    fn on_key(&mut self, key: &KeyEvent, _ctx: &mut ScreenCtx) -> Reply {
        if self.filter.key(key) == FilterKey::Changed {
            return Reply::Redraw;
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Reply::Ignored;
        }
        if key.code == KeyCode::Char('w') {
            self.wrap = !self.wrap;
            self.column = 0;
            return Reply::Redraw;
        }
        if self.side_key(key) || self.scroll.key(key, self.row_count()) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, _ctx: &mut ScreenCtx) -> Reply {
        self.scroll.wheel(down, self.row_count());
        Reply::Redraw
    }

    fn on_warmer(&mut self, _event: &WarmerEvent, _ctx: &mut ScreenCtx) -> bool {
        self.poll()
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        self.poll()
    }

    fn filter(&self) -> Option<&Filter> {
        Some(&self.filter)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let height = area.height.saturating_sub(2) as usize;
        let width = area.width.saturating_sub(2) as usize;
        self.width.set(width);
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        let mut scrolled = None;
        match &self.tail {
            Some(tail) => {
                let rows = self.visual_rows(width);
                let range = self.scroll.visible(rows.len(), height);
                lines.extend(
                    rows[range.clone()]
                        .iter()
                        .map(|r| self.row_line(tail, r, view)),
                );
                if let Some(err) = tail.error() {
                    lines.push(Line::styled(format!("({err})"), theme.muted));
                } else if rows.is_empty() && self.filter.is_active() {
                    lines.push(Line::styled(
                        format!("(no line matches /{})", self.filter.text()),
                        theme.muted,
                    ));
                }
                scrolled = Some((range, rows.len()));
            }
            None => lines.push(Line::styled("(not read yet)", theme.muted)),
        }
        let shown = self.shown_lines().len();
        let total = self.tail.as_ref().map_or(0, |t| t.lines().len());
        let title = format!(
            " cache_warm.log (live tail){} ",
            self.filter.title_note(shown, total)
        );
        let mut state = vec![
            if self.scroll.follow {
                "following"
            } else {
                "G to follow"
            }
            .to_string(),
        ];
        if !self.wrap {
            state.push(format!("no wrap · col {}", self.column + 1));
        }
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .title(Span::styled(title, theme.title))
                    .title(
                        Line::styled(format!(" {} ", state.join(" · ")), theme.muted)
                            .right_aligned(),
                    )
                    .title_bottom(Span::styled(
                        format!(" {} ", self.path.display()),
                        theme.muted,
                    )),
            ),
            area,
        );
        if let Some((range, rows)) = scrolled {
            draw_scrollbar(frame, area, &range, rows, 0, theme);
        }
    }
}
