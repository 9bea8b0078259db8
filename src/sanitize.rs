//! Text that came from outside, made safe for a terminal, a log line or the screen (SPEC §4,
//! §8): Google's `error.message`, the excerpt of a proxy's HTML page, a job's name or state,
//! a line read back from a log file.
//!
//! Such text may hold escape sequences that clear the screen of a person running
//! `tail -f logs/cache_warm.log` or retitle their terminal (`ESC[2J`, `ESC]0;…BEL`, the C1
//! `U+009B` CSI), a newline that forges a whole log line, or bidi overrides that make a line
//! read differently from its bytes. [`sanitize`] (and the [`Sanitized`] adapter behind it)
//! replaces every such character by a visible escape, folds newlines into `⏎`, and caps the
//! length, keeping the head and the tail of a long text:
//!
//! ```
//! use quota_tui::sanitize::sanitize;
//! assert_eq!(sanitize("a\u{1b}[2Jb\nc\u{202e}d"), "a\\u{1b}[2Jb⏎c\\u{202e}d");
//! ```
//!
//! Escaping each control character is enough to defuse every sequence: without its `ESC`
//! (or C1 introducer) the rest of a sequence is plain printable text. JSON output keeps the
//! text as it came, escaped by serde ([`to_json_pretty`] escapes a few more characters, so
//! the JSON is terminal-safe too).

use std::fmt;

use serde::Serialize;

/// Characters of outside text shown at most, by default: 500, enough for Google's longest
/// useful messages (a `SERVICE_DISABLED` message with its activation URL is about 330).
pub const MAX_CHARS: usize = 500;

/// What a folded newline becomes.
pub const NEWLINE_MARK: char = '⏎';

/// `text` with control characters, escape sequences and invisible formatting characters
/// made visible, newlines folded into `⏎`, and at most [`MAX_CHARS`] characters of it kept
/// (head and tail, with `…(N bytes cut)…` between). See [`Sanitized`] for other caps.
pub fn sanitize(text: &str) -> String {
    Sanitized::new(text).to_string()
}

/// Whether newlines are folded into `⏎` or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Newlines {
    Fold,
    Keep,
}

/// A `Display` adapter that writes `text` sanitised, without an intermediate `String`.
///
/// Every character below U+0020, DEL (U+007F), the C1 controls (U+0080–U+009F, U+009B CSI
/// among them) and every character Rust's `str::escape_debug` does not consider printable
/// (Unicode categories Cf, Zl, Zp, Zs other than the space, Co, Cn: bidi overrides and
/// isolates U+202A–U+202E and U+2066–U+2069, zero-width characters, the BOM, tag characters)
/// is written as `\u{XX}` (tab and carriage return as `\t`, `\r`); so are the invisible
/// Hangul fillers. A newline becomes `⏎` unless [`keep_newlines`](Self::keep_newlines).
///
/// Text longer than the cap (default [`MAX_CHARS`] characters) keeps its first four fifths
/// and last fifth of the cap, joined by `…(N bytes cut)…`, N counting the bytes left out:
/// the tail keeps a note that our code appended to Google's message ("the job may have been
/// created: look at …").
#[derive(Debug, Clone, Copy)]
pub struct Sanitized<'a> {
    text: &'a str,
    max_chars: Option<usize>,
    newlines: Newlines,
}

impl<'a> Sanitized<'a> {
    /// `text`, to be shown folded and capped at [`MAX_CHARS`] characters.
    pub fn new(text: &'a str) -> Self {
        Sanitized {
            text,
            max_chars: Some(MAX_CHARS),
            newlines: Newlines::Fold,
        }
    }

    /// Cap at `max_chars` characters of the original text instead (at least 5).
    pub fn max_chars(mut self, max_chars: usize) -> Self {
        self.max_chars = Some(max_chars.max(5));
        self
    }

    /// No cap: for text whose length is already bounded elsewhere.
    pub fn uncapped(mut self) -> Self {
        self.max_chars = None;
        self
    }

    /// Keep newlines (for our own multi-line entries such as `QUOTA_TIMING`, or a `Failure`
    /// message whose lines we wrote); every other control character is still escaped.
    pub fn keep_newlines(mut self) -> Self {
        self.newlines = Newlines::Keep;
        self
    }

    /// Byte offsets `(head_end, tail_start)` of the part left out, when the text is over the cap.
    fn cut(&self) -> Option<(usize, usize)> {
        let max = self.max_chars?;
        let text = self.text;
        if text.len() <= max {
            return None; // fewer bytes than the cap, so fewer characters
        }
        let tail_chars = max / 5;
        let head_chars = max - tail_chars;
        let head_end = text.char_indices().nth(head_chars)?.0;
        // More characters after the head than the tail keeps: over the cap.
        text[head_end..].chars().nth(tail_chars)?;
        let tail_start = match tail_chars {
            0 => text.len(),
            n => text.char_indices().rev().nth(n - 1)?.0,
        };
        Some((head_end, tail_start))
    }
}

impl fmt::Display for Sanitized<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cut() {
            None => write_escaped(f, self.text, self.newlines),
            Some((head_end, tail_start)) => {
                write_escaped(f, &self.text[..head_end], self.newlines)?;
                write!(f, "…({} bytes cut)…", tail_start - head_end)?;
                write_escaped(f, &self.text[tail_start..], self.newlines)
            }
        }
    }
}

/// Write `text` with every unsafe character replaced, copying safe runs as they are.
fn write_escaped(f: &mut impl fmt::Write, text: &str, newlines: Newlines) -> fmt::Result {
    let mut safe_from = 0;
    for (i, c) in text.char_indices() {
        if is_safe(c, newlines) {
            continue;
        }
        f.write_str(&text[safe_from..i])?;
        match c {
            '\n' => f.write_char(NEWLINE_MARK)?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => write!(f, "\\u{{{:x}}}", c as u32)?,
        }
        safe_from = i + c.len_utf8();
    }
    f.write_str(&text[safe_from..])
}

/// Whether `c` may be written to a terminal as it is.
fn is_safe(c: char, newlines: Newlines) -> bool {
    match c {
        ' '..='~' => true,
        '\n' => newlines == Newlines::Keep,
        c if c.is_control() => false, // C0, DEL, C1
        // Invisible letters that Unicode files as printable.
        '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' => false,
        c => is_printable(c),
    }
}

/// Rust's own notion of printable, as `str::escape_debug` applies it: a character after the
/// first is escaped exactly when it is not printable (grapheme extenders such as combining
/// accents and the emoji variation selector are escaped only at the start of a string, so
/// they are left alone here).
fn is_printable(c: char) -> bool {
    let mut buf = [0u8; 5];
    buf[0] = b'a';
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    let probe = std::str::from_utf8(&buf[..len]).expect("two chars encoded as UTF-8");
    probe.escape_debug().nth(1) != Some('\\') || matches!(c, '\'' | '"' | '\\')
}

/// Cut `text` to at most `max_bytes` bytes (on a character boundary) and append
/// `…(N bytes more)` when anything was cut: the cap on what is *kept* of outside text (a
/// stored `ApiError` message), as opposed to what is *shown* ([`Sanitized`]).
pub fn truncate_bytes(text: &mut String, max_bytes: usize) {
    if text.len() <= max_bytes {
        return;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = text.len() - end;
    text.truncate(end);
    text.shrink_to_fit();
    use fmt::Write as _;
    let _ = write!(text, "…({more} bytes more)");
}

/// `value` as pretty JSON (as `serde_json::to_string_pretty`) in which strings also escape
/// DEL, the C1 controls and the invisible formatting characters [`Sanitized`] escapes, as
/// `\u00XX` (surrogate pairs above U+FFFF). serde already escapes U+0000–U+001F; a JSON
/// reader gets every string back exactly as it was, and a terminal showing the JSON is safe.
///
/// Errors: those of `serde_json` (a map with non-string keys, a failing `Serialize`).
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, TerminalSafe::default());
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// serde_json's pretty formatter, escaping the characters a terminal would act on.
#[derive(Default)]
struct TerminalSafe<'a>(serde_json::ser::PrettyFormatter<'a>);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)*)
        }
    )*};
}

impl serde_json::ser::Formatter for TerminalSafe<'_> {
    delegate!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        begin_object_value(),
        end_object_value(),
    );

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut safe_from = 0;
        for (i, c) in fragment.char_indices() {
            // serde hands over fragments without `"`, `\` and U+0000–U+001F.
            if is_safe(c, Newlines::Fold) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[safe_from..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            safe_from = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[safe_from..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_raw_control(s: &str) -> bool {
        s.chars().any(|c| c.is_control() && c != '\n')
    }

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(sanitize("x\u{1b}[2Jy"), "x\\u{1b}[2Jy", "CSI clear screen");
        assert_eq!(
            sanitize("\u{1b}]0;pwned\u{7}"),
            "\\u{1b}]0;pwned\\u{7}",
            "OSC title, BEL-terminated"
        );
        assert_eq!(
            sanitize("\u{1b}]0;pwned\u{1b}\\ok"),
            "\\u{1b}]0;pwned\\u{1b}\\ok",
            "OSC title, ST-terminated"
        );
        assert_eq!(sanitize("a\u{9b}2Jb"), "a\\u{9b}2Jb", "C1 CSI");
        assert_eq!(
            sanitize("a\u{85}b\u{7f}c\u{0}d"),
            "a\\u{85}b\\u{7f}c\\u{0}d"
        );
        assert_eq!(sanitize("tab\tcr\r"), "tab\\tcr\\r");
        for s in [
            "x\u{1b}[2Jy",
            "\u{9b}31m",
            "\u{1b}P+q\u{1b}\\",
            "\u{7}\u{8}\u{c}",
        ] {
            assert!(!has_raw_control(&sanitize(s)), "{s:?}");
        }
    }

    #[test]
    fn a_newline_cannot_forge_a_log_line() {
        let forged = "denied\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18";
        let out = sanitize(forged);
        assert!(!out.contains('\n'), "{out}");
        assert_eq!(
            out,
            "denied⏎2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18"
        );
        assert_eq!(sanitize("a\r\nb\u{2028}c"), "a\\r⏎b\\u{2028}c");
        assert_eq!(
            Sanitized::new("line 1\n  line\u{1b}2")
                .keep_newlines()
                .to_string(),
            "line 1\n  line\\u{1b}2"
        );
    }

    #[test]
    fn bidi_and_invisible_formatting_characters_are_shown() {
        assert_eq!(
            sanitize("file\u{202e}gnp.exe"),
            "file\\u{202e}gnp.exe",
            "right-to-left override"
        );
        assert_eq!(
            sanitize("\u{2066}a\u{2069}\u{200b}\u{200d}\u{feff}\u{e0041}\u{ad}\u{3164}"),
            "\\u{2066}a\\u{2069}\\u{200b}\\u{200d}\\u{feff}\\u{e0041}\\u{ad}\\u{3164}"
        );
    }

    #[test]
    fn printable_text_is_left_alone() {
        let s = "Permission denied on 'projects/p' \"x\" \\ é 中 🔥 ⚠️ ⏱️ e\u{301} ⏎ …";
        assert_eq!(sanitize(s), s);
    }

    #[test]
    fn long_text_keeps_head_and_tail_and_counts_the_bytes_cut() {
        let text = format!(
            "{}{}{}",
            "h".repeat(1000),
            "m".repeat(48_000),
            "t".repeat(1000)
        );
        let out = sanitize(&text);
        let (head, rest) = out.split_once('…').unwrap();
        let (mark, tail) = rest.split_once('…').unwrap();
        assert_eq!(head, "h".repeat(400));
        assert_eq!(tail, "t".repeat(100));
        assert_eq!(mark, "(49500 bytes cut)");
        assert_eq!(out.chars().count(), 400 + 100 + mark.chars().count() + 2);
        // Counted in bytes, cut on character boundaries.
        let wide = "é".repeat(600);
        let out = sanitize(&wide);
        assert!(out.contains("…(200 bytes cut)…"), "{out}");
        // At the cap, nothing is cut; one over, something is.
        assert_eq!(sanitize(&"x".repeat(MAX_CHARS)), "x".repeat(MAX_CHARS));
        assert!(sanitize(&"x".repeat(MAX_CHARS + 1)).contains("bytes cut"));
        assert_eq!(
            Sanitized::new("abcdefghij").max_chars(5).to_string(),
            "abcd…(5 bytes cut)…j"
        );
        assert_eq!(
            Sanitized::new(&"y".repeat(900)).uncapped().to_string(),
            "y".repeat(900)
        );
    }

    #[test]
    fn truncate_bytes_keeps_a_prefix_on_a_char_boundary() {
        let mut s = "ab".repeat(10);
        truncate_bytes(&mut s, 100);
        assert_eq!(s, "ab".repeat(10));
        let mut s = format!("a{}", "é".repeat(10)); // 21 bytes
        truncate_bytes(&mut s, 4); // "aé" + half of an é
        assert_eq!(s, "aé…(18 bytes more)");
    }

    #[test]
    fn json_keeps_the_text_and_escapes_what_a_terminal_acts_on() {
        let text = "m\u{1b}[2J\u{9b}x\n\u{202e}\u{7f}é\u{e0041}";
        let json = to_json_pretty(&serde_json::json!({"message": text})).unwrap();
        assert_eq!(
            json,
            "{\n  \"message\": \"m\\u001b[2J\\u009bx\\n\\u202e\\u007fé\\udb40\\udc41\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["message"], text);
        assert!(!has_raw_control(&json));
        let plain = serde_json::json!({"a": [1, {"b": null}], "c": "d"});
        assert_eq!(
            to_json_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
    }
}
