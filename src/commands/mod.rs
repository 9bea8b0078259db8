//! The headless subcommands of SPEC §9: `check`, `warm` (and `launch`, `fake-gcp`).

pub mod check;
pub mod config;
pub mod launch;
pub mod warm;
