//! Progress on stderr for the headless commands (`check`, `warm --once`, `launch`'s fresh
//! check; issue 14): an `indicatif` bar (or a spinner for one request) drawn only when
//! stderr is a terminal, so `check > file` still shows it and `check 2> file` or a script
//! gets none; cleared when done, so what stays on the terminal is the command's output.
//! Also the `warm` daemon's one line per batch and per cycle (same condition).
//!
//! The fetching layers never print: they report through a callback
//! ([`crate::gcp::fetch_all_reporting`]) or events, and this module draws.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// How often a spinner or bar redraws by itself.
const TICK: Duration = Duration::from_millis(120);

/// True when stderr is a terminal: progress is drawn only then.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A progress bar or spinner on stderr, or nothing (`hidden`) when stderr is not a
/// terminal. Cheap to clone; every method does nothing when hidden. Dropped unfinished
/// (an error cut the command short), it clears itself.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// No progress at all.
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// A bar of `total` `unit` (e.g. 38 checks) with `message` before it, drawn on stderr
    /// when `show` (pass [`stderr_is_terminal`]).
    pub fn bar(show: bool, total: u64, unit: &str, message: &str) -> Self {
        if !show {
            return Self::hidden();
        }
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} · {{elapsed}}"
        ))
        .expect("a valid template")
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(message.to_string())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(TICK);
        Progress { bar: Some(bar) }
    }

    /// A spinner with `message` (one request: nothing to count), drawn on stderr when
    /// `show`.
    pub fn spinner(show: bool, message: &str) -> Self {
        if !show {
            return Self::hidden();
        }
        let style =
            ProgressStyle::with_template("{spinner} {msg} · {elapsed}").expect("a valid template");
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(message.to_string())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(TICK);
        Progress { bar: Some(bar) }
    }

    /// True when something is drawn.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Move the bar on by `n`.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Set the bar's position to `pos` (of its length, which becomes `len`).
    pub fn set(&self, pos: u64, len: u64) {
        if let Some(b) = &self.bar {
            b.set_length(len);
            b.set_position(pos);
        }
    }

    /// Print `line` above the bar (the bar redrawn under it); nothing when hidden.
    pub fn println(&self, line: &str) {
        if let Some(b) = &self.bar {
            b.println(line);
        }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// One line on stderr for the `warm` daemon (a batch or a cycle), when stderr is a
/// terminal; nothing otherwise, as before. A closed stderr is ignored.
pub fn daemon_line(show: bool, line: &str) {
    if show {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_when_not_shown() {
        let p = Progress::bar(false, 38, "checks", "checking");
        assert!(!p.is_shown());
        p.inc(3);
        p.set(4, 38);
        p.println("x");
        p.finish();
        assert!(!Progress::spinner(false, "x").is_shown());
    }
}
