//! The Launch screen's key hints: on the form, while a text field is edited, in the dry run's
//! popup and in the confirmation.

use crate::tui::keys::KeyHint;

pub(super) const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "field"),
    KeyHint::main("←/→", "change"),
    KeyHint::main("c", "check"),
    KeyHint::main("s", "submit"),
    KeyHint::main("d", "dry run"),
    KeyHint::more("y/i/f", "copy job / quota link, follow again"),
    KeyHint::more("Enter", "edit the image or job name"),
    KeyHint::more("Tab/h/l", "field / choice (also ↑/↓ and Space)"),
];

pub(super) const EDIT_KEYS: &[KeyHint] = &[
    KeyHint::main("Esc/Enter", "done"),
    KeyHint::main("Tab/↑/↓", "other field"),
    KeyHint::main("Ctrl-U", "clear"),
    KeyHint::more("←/→ Home/End", "move the cursor"),
    KeyHint::more("Ctrl-A/E", "start / end"),
    KeyHint::more("Ctrl-W", "delete a word"),
    KeyHint::more("Backspace/Del", "delete"),
];

pub(super) const DRY_RUN_KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "scroll"),
    KeyHint::main("Esc/d", "close"),
    KeyHint::more("g/G PgUp/PgDn", "top / bottom / page"),
];

pub(super) const CONFIRM_KEYS: &[KeyHint] = &[
    KeyHint::main("y/Enter", "submit"),
    KeyHint::main("n/Esc", "cancel"),
];
