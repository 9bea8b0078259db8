//! The command line (SPEC §9), parsed with clap.
//!
//! Each command takes only the flags that mean something to it: the dashboard (no command)
//! takes them all; `warm`, `check`, `launch` and `config` take the groups of
//! [`args`] that apply to them; `fake-gcp`, `completions` and `man` take their own. A flag
//! may also be given before the command (`quota-tui --project P check`) when that command
//! takes it; [`Cli::try_parse_checked_from`] refuses one it does not take (exit 2).
//! [`Cli::settings`] gathers what was given into the resolver's input, [`GlobalArgs`].
//!
//! Durations are human (`2s`, `30m`, `300ms`), parsed by humantime.

mod args;
mod subcommands;

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::durations::{parse_duration, parse_latency_range, parse_rate};
pub use args::{
    DashboardArgs, GlobalArgs, LogArgs, ProjectArgs, StoreArgs, TimeoutArgs, WarmerArgs,
};
pub use subcommands::{CheckArgs, CompletionsArgs, ConfigArgs, FakeGcpArgs, LaunchArgs, WarmArgs};

/// Examples of `quota-tui --help` and of the man page: a command line and what it does.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "quota-tui",
        "Open the dashboard (on the demo when no project is set).",
    ),
    (
        "quota-tui --project my-project",
        "Open the dashboard for my-project.",
    ),
    (
        "quota-tui check --json",
        "Check every quota once, fresh, and print JSON.",
    ),
    (
        "quota-tui warm",
        "Keep the quotas warm without a screen, logging to logs/.",
    ),
    (
        "quota-tui launch --gpu L4 --count 4 --image IMAGE --dry-run",
        "Show where a job on 4 L4 GPUs would go, and the request that would create it.",
    ),
    (
        "quota-tui config",
        "Show every setting and where it came from.",
    ),
    (
        "quota-tui completions bash",
        "Print the bash completion script.",
    ),
];

/// The exit codes (SPEC §9): the code and what it means.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success"),
    (crate::exit::USAGE, "usage or config error"),
    (crate::exit::AUTH, "authentication error"),
    (crate::exit::API, "API error"),
    (crate::exit::NO_REGION, "no region can take the launch"),
];

/// What `quota-tui --help` says below the flags: durations, exit codes, [`EXAMPLES`].
fn after_help() -> String {
    let codes: Vec<String> = EXIT_CODES
        .iter()
        .map(|(code, what)| format!("{code} {what}"))
        .collect();
    let mut text = format!(
        "Durations are written 300ms, 2s, 30m or 1h30m.\nExit codes: {}.\n\nExamples:\n",
        codes.join(", ")
    );
    for (line, what) in EXAMPLES {
        text.push_str(&format!("  {line}\n      {what}\n"));
    }
    text.push_str("\nSee 'quota-tui COMMAND --help' for the flags of a command.");
    text
}

/// What `quota-tui man --help` says below the flags.
const MAN_AFTER_HELP: &str = "\
Read it:  man -l <(quota-tui man)
Install:  mkdir -p ~/.local/share/man/man1
          quota-tui man > ~/.local/share/man/man1/quota-tui.1
          (then 'man quota-tui'; ~/.local/share/man is searched when ~/.local/bin is on PATH)";

/// GPU and C3 quota dashboard for a Google Cloud project.
///
/// Without a command, quota-tui opens the dashboard: a warmer checks the quotas in the
/// background into a cache, and the screens read only that cache. Without a project
/// (--project, GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, the config file or gcloud's active
/// configuration) it runs against an embedded demo of the Google APIs: no account needed.
#[derive(Debug, Parser)]
#[command(name = "quota-tui", version, after_help = after_help())]
pub struct Cli {
    /// The dashboard's flags (also accepted before a command that takes them).
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands. Without one, the dashboard runs.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the warmer without a screen: a daemon until Ctrl-C or SIGTERM, or one cycle with
    /// --once
    ///
    /// It writes the same log files as the dashboard, and like the dashboard it holds its log
    /// folder: a second daemon or dashboard on the same folder is refused.
    Warm(WarmArgs),
    /// Check every quota once, fresh, and print a table or JSON
    ///
    /// Asks Google (or the demo) for each GPU and C3 quota of the catalog, 38 by default,
    /// never a cache. Exits 0 when any check returned a value, 3 when every check failed
    /// authentication, 4 when every check failed otherwise. Writes no log.
    Check(CheckArgs),
    /// Check a GPU type's quota fresh in every region, then submit a Vertex AI custom job
    ///
    /// Ranks the regions that can take the job and submits to the first; when Vertex AI
    /// refuses for quota it goes on to the next, 3 regions at most (--region asks only that
    /// region). Exits 5 when regions answered and none can take the job, 3 or 4 when no
    /// region could be asked.
    Launch(LaunchArgs),
    /// Print the resolved settings and where each came from
    ///
    /// Each setting's source is named: a flag, an environment variable, the config file,
    /// gcloud's configuration, the credentials file, or the default. The credentials are
    /// described (source, file, type, account), never printed. Sends nothing to Google; exits
    /// 3 when a project is set and its credentials cannot be used.
    Config(ConfigArgs),
    /// Run the embedded demo of the Google APIs on its own and print its URL
    ///
    /// It answers the Service Usage, Cloud Monitoring and Vertex AI calls quota-tui makes, as
    /// Google does, on 127.0.0.1 until Ctrl-C or SIGTERM.
    FakeGcp(FakeGcpArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    #[command(after_help = MAN_AFTER_HELP)]
    Man,
}

/// Knobs of the embedded demo server, in demo mode (`--demo-latency` and so on; `fake-gcp`
/// has the same knobs without the prefix).
#[derive(Debug, Clone, Default, PartialEq, Args)]
#[command(next_help_heading = "Demo server")]
pub struct FakeKnobs {
    /// Latency of the demo's answers, a range such as 5ms..20ms [default: 300ms..2500ms, with
    /// 10% of answers up to 1.6 times slower]
    #[arg(long = "demo-latency", value_parser = parse_latency_range, value_name = "MIN..MAX")]
    pub latency: Option<(Duration, Duration)>,
    /// Fraction of the demo's answers that are a 503 or a 429, from 0 to 1 [default: 0.03]
    #[arg(long = "demo-error-rate", value_parser = parse_rate, value_name = "FRACTION")]
    pub error_rate: Option<f64>,
    /// Fraction of the demo's requests never answered, from 0 to 1 [default: 0]
    #[arg(long = "demo-hang-rate", value_parser = parse_rate, value_name = "FRACTION")]
    pub hang_rate: Option<f64>,
    /// Fraction of the demo's answers with a cut-off JSON body, from 0 to 1 [default: 0]
    #[arg(long = "demo-malformed-rate", value_parser = parse_rate, value_name = "FRACTION")]
    pub malformed_rate: Option<f64>,
    /// Seed of the demo's quotas and random draws [default: 7]
    #[arg(long = "demo-seed", value_name = "SEED")]
    pub seed: Option<u64>,
}
