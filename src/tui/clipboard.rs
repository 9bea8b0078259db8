//! Copying a link to the clipboard from the terminal (the detail popup's quota-increase link,
//! the Launch screen's job link): an OSC 52 escape sequence, `ESC ] 52 ; c ; <base64> ESC \`
//! (xterm's "Manipulate Selection Data" control, `c` the clipboard; crossterm's
//! [`CopyToClipboard`], whose table of terminals lists what each supports).
//!
//! The terminal does the copying, so it works wherever the terminal is: over SSH, and inside
//! tmux when tmux is told to accept it (`set -g set-clipboard on` in `~/.tmux.conf`: tmux then
//! keeps the text as a paste buffer, `tmux show-buffer`, and passes it on to the terminal
//! outside when that one supports OSC 52). A terminal that does not support it ignores the
//! sequence. The sequence is written by the UI loop, between frames, never by a worker
//! (STYLE habit 2: workers never touch the terminal): a screen asks for it through
//! [`ScreenCtx::copy`](super::screens::ScreenCtx::copy) and the loop takes it from the app
//! ([`App::take_terminal_output`](super::app::App::take_terminal_output)).

use crossterm::Command;
use crossterm::clipboard::CopyToClipboard;

/// The OSC 52 sequence that puts `text` on the terminal's clipboard: `ESC ] 52 ; c ;`, the
/// text in standard base64, then the string terminator `ESC \`.
pub fn osc52(text: &str) -> String {
    let mut out = String::new();
    CopyToClipboard::to_clipboard_from(text)
        .write_ansi(&mut out)
        .expect("writing to a String cannot fail");
    out
}

/// What a toast says after a copy of `what` (`the quota-increase link`).
pub fn copied_toast(what: &str) -> String {
    format!("📋 Copied {what} (OSC 52: your terminal's clipboard; in tmux: set-clipboard on)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_osc_52_with_the_text_in_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x1b\\");
        // A link with every character a URL uses comes back whole from its base64.
        let url = "https://console.cloud.google.com/iam-admin/quotas?project=p-1&metric=a%2Fb";
        let seq = osc52(url);
        let body = seq
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix("\x1b\\"))
            .expect("OSC 52 framing");
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert_eq!(body.len(), url.len().div_ceil(3) * 4);
    }
}
