//! Long text on narrow screens: word wrapping and sideways scrolling by display columns,
//! as byte ranges of the text, so a caller can style each piece (the `/` filter's
//! highlights) from the ranges of the whole line.

// Lists of byte ranges are what these functions return: one range is a list of one.
#![allow(clippy::single_range_in_vec_init)]

use std::ops::Range;

use ratatui::text::Span;

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// `text` wrapped at `width` display columns, as byte ranges (one per row, in order,
/// covering the text): rows break after a space where one is on the row, else inside the
/// word (a URL longer than a row is split, never cut). Width 0, or empty text, gives one row.
pub fn wrap_ranges(text: &str, width: usize) -> Vec<Range<usize>> {
    if width == 0 || text.is_empty() {
        return vec![0..text.len()];
    }
    let mut rows = Vec::new();
    let (mut start, mut col) = (0usize, 0usize);
    // After the last space of the row: (byte offset, columns up to there).
    let mut brk: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let w = char_width(c);
        while col + w > width && col > 0 {
            match brk.take().filter(|(b, _)| *b > start && *b <= i) {
                Some((b, bcol)) => {
                    rows.push(start..b);
                    start = b;
                    col -= bcol;
                }
                None => {
                    rows.push(start..i);
                    start = i;
                    col = 0;
                }
            }
        }
        col += w;
        if c == ' ' {
            brk = Some((i + c.len_utf8(), col));
        }
    }
    rows.push(start..text.len());
    rows
}

/// The byte range of `text` from display column `from` on (sideways scrolling): empty at
/// the end when the text is narrower; a wide character cut by the edge is left out.
pub fn from_column(text: &str, from: usize) -> Range<usize> {
    let mut col = 0;
    for (i, c) in text.char_indices() {
        if col >= from {
            return i..text.len();
        }
        col += char_width(c);
    }
    text.len()..text.len()
}

/// The display width of the widest of `texts` (0 for none).
pub fn widest<'a>(texts: impl IntoIterator<Item = &'a str>) -> usize {
    texts
        .into_iter()
        .map(|t| Span::raw(t).width())
        .max()
        .unwrap_or(0)
}

/// The parts of `ranges` (byte ranges of a whole line, in order) inside `row`, shifted to
/// start at the row's start: the highlights of one wrapped row or scrolled window.
pub fn clip_ranges(ranges: &[Range<usize>], row: &Range<usize>) -> Vec<Range<usize>> {
    ranges
        .iter()
        .filter_map(|r| {
            let (s, e) = (r.start.max(row.start), r.end.min(row.end));
            (s < e).then(|| s - row.start..e - row.start)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<&str> {
        wrap_ranges(text, width)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn wraps_after_spaces_and_splits_long_words() {
        assert_eq!(rows("a bb ccc", 4), ["a ", "bb ", "ccc"]);
        assert_eq!(rows("short", 20), ["short"]);
        assert_eq!(rows("", 5), [""]);
        assert_eq!(rows("abc", 0), ["abc"]);
        assert_eq!(
            rows("go to https://e.x/abcdefgh now", 8),
            ["go to ", "https://", "e.x/abcd", "efgh now"]
        );
        // Wide characters count two columns.
        assert_eq!(rows("🔥🔥🔥", 4), ["🔥🔥", "🔥"]);
        let text = "2026-11-21T02:45:24 🔥 BATCH_WARM: GPU 4/20, C3 18/18 - 1234ms";
        let r = wrap_ranges(text, 30);
        assert_eq!(r.first().unwrap().start, 0);
        assert_eq!(r.last().unwrap().end, text.len(), "the rows cover the line");
        for w in r.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        for row in &r {
            assert!(Span::raw(&text[row.clone()]).width() <= 30);
        }
    }

    #[test]
    fn scrolls_sideways_by_columns_and_clips_highlights() {
        assert_eq!(from_column("abcdef", 2), 2..6);
        assert_eq!(from_column("abc", 9), 3..3);
        assert_eq!(from_column("🔥ab", 2), 4..6, "the emoji is two columns");
        assert_eq!(clip_ranges(&[1..3, 5..9], &(2..6)), [0..1, 3..4]);
        assert!(clip_ranges(&[0..2], &(2..6)).is_empty());
        assert_eq!(widest(["ab", "🔥🔥🔥", ""]), 6);
    }
}
