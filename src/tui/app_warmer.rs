//! The warmer's events in the app: the status line and the toasts they make.

use super::{Action, App, redraw_if};
use crate::tui::toast::{
    ToastLevel, cycle_complete_toast, failed_checks_toast, service_disabled_toast,
    slow_batch_toast, usage_failed_toast,
};
use crate::warmer::WarmerEvent;

impl App {
    pub(super) fn on_warmer(&mut self, ev: WarmerEvent) -> Action {
        if !self.warms_here() {
            // Another instance warms the shared cache: its progress is the status.
            return Action::None;
        }
        let mut changed = self.ctx.status_mut().apply(&ev);
        if changed {
            self.write_status_text();
        }
        match &ev {
            WarmerEvent::MetricLanded { done, total, .. } => {
                self.ctx.refresh();
                self.ctx.toasts_mut().update_progress(*done, *total);
                changed = true;
            }
            WarmerEvent::CycleStarted { .. } => {
                self.ctx.refresh();
                changed = true;
            }
            WarmerEvent::BatchDone(report) => {
                self.ctx.refresh();
                if let Some(text) = slow_batch_toast(report) {
                    self.ctx.toast(text, ToastLevel::Warn);
                    changed = true;
                }
                if let Some(text) = failed_checks_toast(report) {
                    self.ctx.toast(text, ToastLevel::Error);
                    changed = true;
                }
            }
            WarmerEvent::ServiceDisabled { metric, error } => {
                self.ctx
                    .toast(service_disabled_toast(*metric, error), ToastLevel::Error);
                changed = true;
            }
            WarmerEvent::UsageFailed { metric, error } => {
                self.ctx
                    .toast(usage_failed_toast(*metric, error), ToastLevel::Warn);
                changed = true;
            }
            WarmerEvent::CycleComplete {
                elapsed, failed, ..
            } => {
                self.ctx.refresh();
                // Its count would stay at the end: the complete toast says it instead.
                self.ctx.toasts_mut().end_progress();
                let total = self.ctx.view().status().total;
                let (text, level) = cycle_complete_toast(total, *failed, *elapsed);
                self.ctx.toast(text, level);
                changed = true;
            }
            _ => {}
        }
        let (screen, ctx) = self.call(self.current);
        changed |= screen.on_warmer(&ev, ctx);
        redraw_if(changed)
    }
}
