//! The headless subcommands of SPEC §9: `check`, `warm`, `launch`, `config`, and
//! `completions` and `man` ([`docs`]), and their progress on stderr ([`progress`]).

pub mod check;
pub mod config;
pub mod docs;
pub mod launch;
pub mod progress;
pub mod warm;
