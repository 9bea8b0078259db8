//! The Launch screen (SPEC §10, key `3`): a placeholder until the launch flow lands.
//!
//! The full screen (GPU type, count, spot / on-demand, image, job name; `c` fresh check,
//! `s` submit) replaces this file; it may set `captures_input` while a text field is edited.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Screen, ScreenCtx};
use crate::tui::keys::KeyHint;

/// The placeholder Launch screen.
#[derive(Debug, Default)]
pub struct Launch;

impl Screen for Launch {
    fn title(&self) -> &'static str {
        "Launch"
    }

    fn summary(&self) -> &'static str {
        "check fresh and submit a training job (coming)"
    }

    fn keys(&self) -> &'static [KeyHint] {
        &[]
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx) {
        let theme = &ctx.theme;
        let lines = vec![
            Line::from(Span::styled("Launch is coming.", theme.title)),
            Line::raw(""),
            Line::raw(
                "Here you will choose a GPU type, count, spot or on-demand, a container image \
                 and a job name; `c` checks that GPU fresh in every region (never the cache) \
                 and `s` submits a Vertex AI CustomJob to the best one.",
            ),
            Line::raw(""),
            Line::from(vec![
                Span::styled("Until then: ", theme.muted),
                Span::styled("quota-tui launch --gpu L4 --image URI --dry-run", theme.key),
            ]),
        ];
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(Span::styled(" Launch ", theme.title))),
            area,
        );
    }
}
