//! Drawing the app: the chrome around the shown screen, the toast slot and the popups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::App;
use crate::tui::keys::GLOBAL_KEYS;
use crate::tui::quit::{self, QuitGuard};
use crate::tui::widgets::chrome::{draw_footer, draw_header, draw_help, draw_tabs};
use crate::tui::widgets::filter::draw_filter_input;
use crate::tui::widgets::toasts::{draw_toast_slot, toast_height};

impl App {
    /// Draw the whole screen from state: header, tabs, the screen, the toast slot (only as
    /// high as the shown toast needs: the screen shrinks, so no row is hidden) and the
    /// footer (the open `/` filter's input in its place).
    pub fn draw(&self, frame: &mut Frame) {
        let view = self.ctx.view();
        let theme = view.theme();
        let screen = &self.screens[self.current];
        let area = frame.area();
        // The slot never takes the last rows of the screen's body.
        let toast_rows =
            toast_height(self.ctx.toasts(), area.width).min(area.height.saturating_sub(3 + 2));
        let [header, tabs, body, toast, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(toast_rows),
            Constraint::Length(1),
        ])
        .areas(area);
        self.tabs_area.set(tabs);
        self.body_area.set(body);
        let status_style = view.status().style(theme);
        draw_header(
            frame,
            header,
            view.title(),
            &self.status_text,
            status_style,
            theme,
        );
        draw_tabs(frame, tabs, &self.tab_labels, self.current, theme);
        screen.draw(frame, body, view);
        let filter = screen.filter().filter(|f| f.is_open());
        if self.quit.is_open() {
            draw_footer(frame, footer, quit::KEYS.iter(), theme);
        } else if let Some(filter) = filter {
            draw_filter_input(frame, footer, filter, theme);
        } else {
            // While a field takes every key, `q` and `?` type: their hints would mislead.
            let globals = if screen.typing() {
                &[][..]
            } else {
                GLOBAL_KEYS
            };
            draw_footer(frame, footer, screen.keys().iter().chain(globals), theme);
        }
        draw_toast_slot(frame, toast, self.ctx.toasts(), theme);
        if self.help {
            draw_help(frame, body, screen.title(), screen.keys(), theme);
        }
        if self.quit.is_open() {
            QuitGuard::draw(frame, body, theme);
        }
    }
}
