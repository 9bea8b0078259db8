//! Drawing pieces more than one screen uses (SPEC §10): the quota cell and its marks, the
//! status widget, table pieces, toasts, popups, the `/` filter and its text input, wrapping, and the
//! frame around every screen (header, tabs, footer, help). Pure: each draws from the state
//! it is given.

pub mod chrome;
pub mod detail;
pub mod filter;
pub mod input;
pub mod popup;
pub mod quota_cell;
pub mod sort;
pub mod status;
pub mod table;
pub mod toasts;
pub mod wrap;
