//! The Logs screen (SPEC §10, key `5`): a live tail of `<log_dir>/cache_warm.log`.
//!
//! The file's new bytes are read on each warmer event and clock tick while the screen is
//! shown (a bounded read; see [`LogTail`]). The view follows the end until the user scrolls
//! up; `G` follows again.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use std::path::PathBuf;

use super::{Reply, Screen, ScreenCtx, View};
use crate::logs::WARM_LOG;
use crate::tui::keys::{KeyHint, SCROLL_KEYS, Scroll};
use crate::tui::log_tail::LogTail;
use crate::warmer::WarmerEvent;

/// Lines kept in memory.
const MAX_LINES: usize = 2000;

/// The Logs screen's state: the log file, its tail (opened on first view) and the scroll
/// position.
#[derive(Debug)]
pub struct Logs {
    /// `<log_dir>/cache_warm.log`.
    path: PathBuf,
    tail: Option<LogTail>,
    scroll: Scroll,
}

impl Logs {
    /// The screen over `log_dir`'s `cache_warm.log`.
    pub fn new(log_dir: PathBuf) -> Self {
        Logs {
            path: log_dir.join(WARM_LOG),
            tail: None,
            scroll: Scroll::following(),
        }
    }

    fn poll(&mut self) -> bool {
        let path = &self.path;
        self.tail
            .get_or_insert_with(|| LogTail::new(path.clone(), MAX_LINES))
            .poll()
    }

    fn rows(&self) -> usize {
        self.tail.as_ref().map_or(0, |t| t.lines().len())
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
        SCROLL_KEYS
    }

    fn on_enter(&mut self, _ctx: &mut ScreenCtx) {
        self.poll();
    }

    fn on_key(&mut self, key: &KeyEvent, _ctx: &mut ScreenCtx) -> Reply {
        if self.scroll.key(key, self.rows()) {
            Reply::Redraw
        } else {
            Reply::Ignored
        }
    }

    fn on_wheel(&mut self, down: bool, _ctx: &mut ScreenCtx) -> Reply {
        self.scroll.wheel(down, self.rows());
        Reply::Redraw
    }

    fn on_warmer(&mut self, _event: &WarmerEvent, _ctx: &mut ScreenCtx) -> bool {
        self.poll()
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        self.poll()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let height = area.height.saturating_sub(2) as usize;
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        match &self.tail {
            Some(tail) => {
                let range = self.scroll.visible(tail.lines().len(), height);
                lines.extend(tail.lines().range(range).map(|l| Line::raw(l.as_str())));
                if let Some(err) = tail.error() {
                    lines.push(Line::styled(format!("({err})"), theme.muted));
                }
            }
            None => lines.push(Line::styled("(not read yet)", theme.muted)),
        }
        let follow = if self.scroll.follow {
            " following "
        } else {
            " G to follow "
        };
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .title(Span::styled(" cache_warm.log (live tail) ", theme.title))
                    .title(Line::styled(follow, theme.muted).right_aligned())
                    .title_bottom(Span::styled(
                        format!(" {} ", self.path.display()),
                        theme.muted,
                    )),
            ),
            area,
        );
    }
}
