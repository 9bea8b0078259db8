//! Command-line definitions (SPEC §9), parsed with clap. Durations are human (`2s`, `30m`,
//! `300ms`), parsed by humantime.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::catalog::GpuType;
use crate::durations::{parse_duration, parse_latency_range, parse_rate};

/// GPU and C3 quota dashboard for a Google Cloud project.
///
/// With no project (no --project, GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, config file
/// entry or gcloud project) it runs against an embedded demo of the Google APIs.
#[derive(Debug, Parser)]
#[command(name = "quota-tui", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Google Cloud project ID (else GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, the config
    /// file, gcloud's active configuration).
    #[arg(long, global = true)]
    pub project: Option<String>,
    /// Quota project sent as x-goog-user-project (else GOOGLE_CLOUD_QUOTA_PROJECT, the
    /// credentials file's quota_project_id).
    #[arg(long, global = true, value_name = "PROJECT")]
    pub billing_project: Option<String>,
    /// Use the embedded demo of the Google APIs even when a project is set.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Config file (TOML); default: the platform config dir's quota-tui/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of cache_warm.log, infra_verify_timing.log and quota-tui.log [default: logs].
    #[arg(long, global = true, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Warmer tick interval [default: 2s].
    #[arg(long, global = true, value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Option<Duration>,
    /// Cache TTL [default: 30m].
    #[arg(long, global = true, value_parser = parse_duration, value_name = "DURATION")]
    pub ttl: Option<Duration>,
    /// Re-warm this long after a cycle began [default: 80% of the TTL].
    #[arg(long, global = true, value_parser = parse_duration, value_name = "DURATION")]
    pub refresh: Option<Duration>,
    /// Deadline of one quota check, retries included [default: 10s].
    #[arg(long, global = true, value_parser = parse_duration, value_name = "DURATION")]
    pub check_timeout: Option<Duration>,
    #[command(flatten)]
    pub fake: FakeKnobs,
}

/// Knobs of the embedded demo server (also used in demo mode, prefixed `--demo-`).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct FakeKnobs {
    /// Demo server latency range, e.g. 300ms..2500ms.
    #[arg(long = "demo-latency", global = true, value_parser = parse_latency_range, value_name = "A..B")]
    pub latency: Option<(Duration, Duration)>,
    /// Demo server: fraction of answers that are 503 or 429 (0–1).
    #[arg(long = "demo-error-rate", global = true, value_parser = parse_rate, value_name = "X")]
    pub error_rate: Option<f64>,
    /// Demo server: fraction of requests never answered (0–1).
    #[arg(long = "demo-hang-rate", global = true, value_parser = parse_rate, value_name = "X")]
    pub hang_rate: Option<f64>,
    /// Demo server: fraction of answers with a malformed body (0–1).
    #[arg(long = "demo-malformed-rate", global = true, value_parser = parse_rate, value_name = "X")]
    pub malformed_rate: Option<f64>,
    /// Demo server: seed of the quota values and of the random latencies.
    #[arg(long = "demo-seed", global = true, value_name = "S")]
    pub seed: Option<u64>,
}

/// Subcommands. Without one, the TUI runs.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// The warmer without a screen: a daemon until SIGINT/SIGTERM, or one cycle with --once.
    Warm {
        /// Stop after one complete cycle and print the statistics.
        #[arg(long)]
        once: bool,
        /// Start a cycle at once even if ... (a fresh process always starts one).
        #[arg(long)]
        force: bool,
        /// Print the statistics as one JSON object (with --once).
        #[arg(long)]
        json: bool,
    },
    /// One fresh pass over all 38 checks; a table, or JSON for scripts.
    Check {
        /// Print one JSON object (SPEC §9).
        #[arg(long)]
        json: bool,
        /// Spot GPU quota (the default).
        #[arg(long, conflicts_with = "on_demand")]
        spot: bool,
        /// On-demand GPU quota.
        #[arg(long)]
        on_demand: bool,
    },
    /// Check a GPU type's quota fresh in every region and submit a Vertex AI CustomJob.
    Launch {
        /// GPU type: T4, L4, A100, H100, H200.
        #[arg(long)]
        gpu: GpuType,
        /// Number of GPUs.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// On-demand capacity (STANDARD) instead of spot.
        #[arg(long)]
        on_demand: bool,
        /// Container image URI.
        #[arg(long)]
        image: String,
        /// Job display name [default: quota-tui-<gpu>-<time>].
        #[arg(long)]
        name: Option<String>,
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
        /// Print the request body; submit nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the resolved settings and where each came from (credentials described, never
    /// printed).
    Config {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run the embedded fake Google APIs standalone and print its URL.
    FakeGcp {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Latency range, e.g. 300ms..2500ms.
        #[arg(long, value_parser = parse_latency_range, value_name = "A..B")]
        latency: Option<(Duration, Duration)>,
        /// Fraction of answers that are 503 or 429 (0–1).
        #[arg(long, value_parser = parse_rate)]
        error_rate: Option<f64>,
        /// Fraction of requests never answered (0–1).
        #[arg(long, value_parser = parse_rate)]
        hang_rate: Option<f64>,
        /// Fraction of answers with a malformed body (0–1).
        #[arg(long, value_parser = parse_rate)]
        malformed_rate: Option<f64>,
        /// Seed of the quota values and latencies.
        #[arg(long)]
        seed: Option<u64>,
    },
}
