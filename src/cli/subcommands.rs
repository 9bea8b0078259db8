//! The flags of each command: its own, then the shared groups of [`super::args`] that apply
//! to it.

use std::ffi::OsStr;
use std::time::Duration;

use clap::Args;
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap_complete::Shell;

use super::args::{
    ApplySettings, GlobalArgs, LogArgs, ProjectArgs, StoreArgs, TimeoutArgs, WarmerArgs,
};
use super::{FakeKnobs, parse_latency_range, parse_rate};
use crate::catalog::GpuType;

/// `quota-tui warm`.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct WarmArgs {
    /// Stop after one complete cycle and print its statistics on stdout
    #[arg(long)]
    pub once: bool,
    /// Start a cycle at once even when the cache is fresh (a snapshot's or the shared
    /// store's)
    #[arg(long)]
    pub force: bool,
    /// With --once: print the statistics as one JSON object
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub warmer: WarmerArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub fake: FakeKnobs,
}

impl ApplySettings for WarmArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        self.logs.apply(to);
        self.timeout.apply(to);
        self.project.apply(to);
        self.warmer.apply(to);
        self.store.apply(to);
        self.fake.apply(to);
    }
}

/// `quota-tui check`.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct CheckArgs {
    /// Print one JSON object: the project and, for every check, its limit, usage, free
    /// count, error and latency
    #[arg(long)]
    pub json: bool,
    /// Check the spot GPU quotas [default: the config file's capacity, else spot]
    #[arg(long, conflicts_with = "on_demand")]
    pub spot: bool,
    /// Check the on-demand GPU quotas
    #[arg(long)]
    pub on_demand: bool,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub fake: FakeKnobs,
}

impl ApplySettings for CheckArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        self.timeout.apply(to);
        self.project.apply(to);
        self.fake.apply(to);
    }
}

/// What `quota-tui launch --help` says below the flags.
const LAUNCH_AFTER_HELP: &str = "\
Examples:
  quota-tui launch --gpu L4 --count 4 --image us-docker.pkg.dev/my-project/repo/train:1 --dry-run
  quota-tui launch --gpu H100 --count 8 --on-demand --image IMAGE --region us-east4 --json";

/// `quota-tui launch`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(after_help = LAUNCH_AFTER_HELP)]
pub struct LaunchArgs {
    /// GPU type
    #[arg(long, value_parser = GpuTypeParser, value_name = "GPU")]
    pub gpu: GpuType,
    /// Number of GPUs on the job's one machine: 1, 2 or 4 for T4; 1, 2, 4 or 8 for L4, A100
    /// and H100 (8 on demand); 8 for H200
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u32,
    /// Use on-demand capacity instead of spot
    #[arg(long)]
    pub on_demand: bool,
    /// Container image URI of the training job
    #[arg(long, value_name = "URI")]
    pub image: String,
    /// Job display name [default: quota-tui-<gpu>-<YYYYmmdd-HHMMSS>]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Ask only this region: one of the config's GPU regions, or another region where Vertex
    /// AI trains the GPU type [default: the best ranked of the GPU regions]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Print the request that would be sent; submit nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object: the ranking, the refusals and the job
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub fake: FakeKnobs,
}

impl ApplySettings for LaunchArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        self.logs.apply(to);
        self.timeout.apply(to);
        self.project.apply(to);
        self.fake.apply(to);
    }
}

/// `quota-tui config`: every flag whose setting it reports.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct ConfigArgs {
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub warmer: WarmerArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl ApplySettings for ConfigArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        self.logs.apply(to);
        self.timeout.apply(to);
        self.project.apply(to);
        self.warmer.apply(to);
        self.store.apply(to);
    }
}

/// `quota-tui fake-gcp`: the demo server's knobs, without the `--demo-` prefix.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct FakeGcpArgs {
    /// Port on 127.0.0.1; 0 picks a free one
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub port: u16,
    /// Latency of the answers, a range such as 5ms..20ms [default: 300ms..2500ms, with 10% of
    /// answers up to 1.6 times slower]
    #[arg(long, value_parser = parse_latency_range, value_name = "MIN..MAX")]
    pub latency: Option<(Duration, Duration)>,
    /// Fraction of answers that are a 503 or a 429, from 0 to 1 [default: 0.03]
    #[arg(long, value_parser = parse_rate, value_name = "FRACTION")]
    pub error_rate: Option<f64>,
    /// Fraction of requests never answered, from 0 to 1 [default: 0]
    #[arg(long, value_parser = parse_rate, value_name = "FRACTION")]
    pub hang_rate: Option<f64>,
    /// Fraction of answers with a cut-off JSON body, from 0 to 1 [default: 0]
    #[arg(long, value_parser = parse_rate, value_name = "FRACTION")]
    pub malformed_rate: Option<f64>,
    /// Seed of the quotas and random draws [default: 7]
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
}

impl FakeGcpArgs {
    /// The knobs as the demo mode's `--demo-*` flags give them.
    pub fn knobs(&self) -> FakeKnobs {
        FakeKnobs {
            latency: self.latency,
            error_rate: self.error_rate,
            hang_rate: self.hang_rate,
            malformed_rate: self.malformed_rate,
            seed: self.seed,
        }
    }
}

/// What `quota-tui completions --help` says below the flags.
const COMPLETIONS_AFTER_HELP: &str = "\
Install:
  bash  quota-tui completions bash > ~/.local/share/bash-completion/completions/quota-tui
  zsh   quota-tui completions zsh > ~/.zfunc/_quota-tui
        (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)
  fish  quota-tui completions fish > ~/.config/fish/completions/quota-tui.fish
Then open a new shell.";

/// `quota-tui completions`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(after_help = COMPLETIONS_AFTER_HELP)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Parses a GPU type as [`GpuType`]'s `FromStr` does (`L4`, `l4`, `NVIDIA_L4`) and offers the
/// display names to `--help` and to shell completion.
#[derive(Debug, Clone, Copy)]
struct GpuTypeParser;

impl TypedValueParser for GpuTypeParser {
    type Value = GpuType;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<GpuType, clap::Error> {
        let text = value.to_string_lossy();
        text.parse().map_err(|_| {
            let mut e = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                e.insert(
                    ContextKind::InvalidArg,
                    ContextValue::String(arg.to_string()),
                );
            }
            e.insert(
                ContextKind::InvalidValue,
                ContextValue::String(text.into_owned()),
            );
            e.insert(
                ContextKind::ValidValue,
                ContextValue::Strings(GpuType::ALL.iter().map(|g| g.name().into()).collect()),
            );
            e
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            GpuType::ALL.iter().map(|g| PossibleValue::new(g.name())),
        ))
    }
}
