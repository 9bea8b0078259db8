//! quota-tui: a terminal dashboard for the GPU and C3 quotas of a Google Cloud project.
//!
//! A background warmer ([`warmer`]) keeps every quota check of the [`catalog`] fresh in a
//! TTL cache behind the [`store`] trait (in memory by default); the TUI's infra screen reads
//! only the cache; launches check fresh.
//! See `SPEC.md` (shared) for the product specification.

pub mod backend;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod durations;
pub mod exit;
pub mod fake_gcp;
pub mod gcp;
pub mod launch;
pub mod logs;
pub mod origin;
pub mod sanitize;
pub mod session;
pub mod signals;
pub mod store;
#[cfg(test)]
pub(crate) mod test_tracing;
pub mod tui;
pub mod warmer;
