//! The flag groups the commands share, the resolver's input they fill ([`GlobalArgs`]), and
//! the parse that refuses a flag given before a command that does not take it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, ValueHint};

use super::{Cli, Command, FakeKnobs, parse_duration};

/// Every setting a flag can give, as `config::resolve` takes it: `None` (or `false`) where
/// no flag was given. Filled by [`Cli::settings`] from the dashboard's flags and the
/// command's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlobalArgs {
    pub project: Option<String>,
    pub billing_project: Option<String>,
    pub demo: bool,
    pub config: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
    pub interval: Option<Duration>,
    pub ttl: Option<Duration>,
    pub refresh: Option<Duration>,
    pub check_timeout: Option<Duration>,
    pub store: Option<String>,
    pub no_snapshot: bool,
    pub fake: FakeKnobs,
}

/// A group of flags that writes what was given into [`GlobalArgs`], over what is there.
pub trait ApplySettings {
    /// Write the flags given into `to`; a flag not given leaves `to` as it is.
    fn apply(&self, to: &mut GlobalArgs);
}

/// Which project, which credentials' billing project, which config file.
#[derive(Debug, Clone, Default, PartialEq, Args)]
#[command(next_help_heading = "Project")]
pub struct ProjectArgs {
    /// Google Cloud project ID [default: GOOGLE_CLOUD_PROJECT, else CLOUDSDK_CORE_PROJECT,
    /// else the config file, else gcloud's active configuration; with none, the demo]
    #[arg(long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Project the API calls are billed to, sent as x-goog-user-project [default:
    /// GOOGLE_CLOUD_QUOTA_PROJECT, else the credentials file's quota_project_id]
    #[arg(long, value_name = "PROJECT")]
    pub billing_project: Option<String>,
    /// Use the embedded demo of the Google APIs even when a project is set
    #[arg(long)]
    pub demo: bool,
    /// Config file (TOML) [default: ~/.config/quota-tui/config.toml, in the platform's
    /// config folder]
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,
}

impl ApplySettings for ProjectArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.project, &self.project);
        set(&mut to.billing_project, &self.billing_project);
        to.demo |= self.demo;
        set(&mut to.config, &self.config);
    }
}

/// The warmer's pace and the cache's TTL.
#[derive(Debug, Clone, Default, PartialEq, Args)]
#[command(next_help_heading = "Warmer")]
pub struct WarmerArgs {
    /// Time between two warmer batches, each one GPU and one C3 check [default: 2s]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Option<Duration>,
    /// How long a cached quota value stays fresh [default: 30m]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub ttl: Option<Duration>,
    /// Start the next cycle this long after a cycle began, at most the TTL [default: 80% of
    /// the TTL]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub refresh: Option<Duration>,
}

impl ApplySettings for WarmerArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.interval, &self.interval);
        set(&mut to.ttl, &self.ttl);
        set(&mut to.refresh, &self.refresh);
    }
}

/// Where the cache lives (SPEC §11).
#[derive(Clone, Default, PartialEq, Args)]
#[command(next_help_heading = "Store")]
pub struct StoreArgs {
    /// Share one warm cache with a team on Redis: redis://[user:password@]host:port/db, or
    /// rediss:// for TLS; `memory` for this process only. A password is safer in
    /// QUOTA_TUI_STORE or the config file than on a command line [default: QUOTA_TUI_STORE,
    /// else the config file's store, else memory with a snapshot]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Neither load nor save the snapshot of the cache (in ~/.cache/quota-tui/, the
    /// platform's cache folder) [default: the config file's snapshot, else on]
    #[arg(long)]
    pub no_snapshot: bool,
}

impl std::fmt::Debug for StoreArgs {
    /// The URL may hold a password: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArgs")
            .field("store", &self.store.as_ref().map(|_| "<hidden>"))
            .field("no_snapshot", &self.no_snapshot)
            .finish()
    }
}

impl ApplySettings for StoreArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.store, &self.store);
        to.no_snapshot |= self.no_snapshot;
    }
}

/// The deadline of one quota check.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct TimeoutArgs {
    /// Deadline of one quota check, retries included [default: 10s]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub check_timeout: Option<Duration>,
}

impl ApplySettings for TimeoutArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.check_timeout, &self.check_timeout);
    }
}

/// The log folder.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct LogArgs {
    /// Folder of cache_warm.log, infra_verify_timing.log and quota-tui.log [default: logs]
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub log_dir: Option<PathBuf>,
}

impl ApplySettings for LogArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.log_dir, &self.log_dir);
    }
}

impl ApplySettings for FakeKnobs {
    fn apply(&self, to: &mut GlobalArgs) {
        set(&mut to.fake.latency, &self.latency);
        set(&mut to.fake.error_rate, &self.error_rate);
        set(&mut to.fake.hang_rate, &self.hang_rate);
        set(&mut to.fake.malformed_rate, &self.malformed_rate);
        set(&mut to.fake.seed, &self.seed);
    }
}

/// The dashboard's flags: every group.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct DashboardArgs {
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

impl ApplySettings for DashboardArgs {
    fn apply(&self, to: &mut GlobalArgs) {
        self.logs.apply(to);
        self.timeout.apply(to);
        self.project.apply(to);
        self.warmer.apply(to);
        self.store.apply(to);
        self.fake.apply(to);
    }
}

fn set<T: Clone>(to: &mut Option<T>, from: &Option<T>) {
    if from.is_some() {
        to.clone_from(from);
    }
}

impl Cli {
    /// Parse the process's arguments as [`Cli::try_parse_checked_from`] does; on an error,
    /// print clap's message and exit (2 for a usage error, 0 for `--help` and `--version`).
    pub fn parse_checked() -> Cli {
        Cli::try_parse_checked_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parse `args` (the first is the program's name). A dashboard flag given before a
    /// command (`quota-tui --ttl 5m check`) is an error unless the command takes that flag
    /// too (`quota-tui --project P check` is fine); the error names the commands that take it.
    pub fn try_parse_checked_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut cmd = Cli::command();
        let matches = cmd.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let sub = cmd.find_subcommand(name).expect("clap parsed this command");
            let misplaced = cmd.get_arguments().find(|arg| {
                matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
                    && !takes(sub, arg)
            });
            if let Some(arg) = misplaced {
                let long = arg.get_long().unwrap_or_default();
                let mut takers = vec!["the dashboard".to_string()];
                takers.extend(
                    cmd.get_subcommands()
                        .filter(|c| takes(c, arg))
                        .map(|c| format!("'{}'", c.get_name())),
                );
                let message = format!(
                    "'--{long}' is not a flag of '{name}'; {} take it. See 'quota-tui {name} \
                     --help' for the flags of '{name}'.",
                    and_list(&takers)
                );
                return Err(cmd.error(ErrorKind::ArgumentConflict, message));
            }
        }
        Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
    }

    /// The settings the flags give, for `config::resolve`: the dashboard's flags, then the
    /// command's over them (a flag given both before and after the command takes the later).
    pub fn settings(&self) -> GlobalArgs {
        let mut settings = GlobalArgs::default();
        self.dashboard.apply(&mut settings);
        match &self.command {
            None => {}
            Some(Command::Warm(a)) => a.apply(&mut settings),
            Some(Command::Check(a)) => a.apply(&mut settings),
            Some(Command::Launch(a)) => a.apply(&mut settings),
            Some(Command::Config(a)) => a.apply(&mut settings),
            Some(Command::FakeGcp(_) | Command::Completions(_) | Command::Man) => {}
        }
        settings
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// True when `command` has a flag with `arg`'s id and long name.
fn takes(command: &clap::Command, arg: &clap::Arg) -> bool {
    command
        .get_arguments()
        .any(|a| a.get_id() == arg.get_id() && a.get_long() == arg.get_long())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::GpuType;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_checked_from(std::iter::once("quota-tui").chain(line.split_whitespace()))
    }

    #[test]
    fn flags_before_and_after_a_command_meet_in_the_settings() {
        let s = parse("--project before-1 --demo-seed 3 check --check-timeout 2s")
            .unwrap()
            .settings();
        assert_eq!(s.project.as_deref(), Some("before-1"));
        assert_eq!(s.fake.seed, Some(3));
        assert_eq!(s.check_timeout, Some(Duration::from_secs(2)));
        assert_eq!(s.ttl, None);
        // Given twice, the later (the command's) wins.
        let s = parse("--project before-1 check --project after-1")
            .unwrap()
            .settings();
        assert_eq!(s.project.as_deref(), Some("after-1"));
        for line in ["--ttl 5m warm", "warm --ttl 5m"] {
            let s = parse(line).unwrap().settings();
            assert_eq!(s.ttl, Some(Duration::from_secs(300)), "{line}");
        }
        let s = parse("--demo --log-dir /tmp/l").unwrap().settings();
        assert!(s.demo);
        assert_eq!(s.log_dir, Some(PathBuf::from("/tmp/l")));
    }

    #[test]
    fn a_flag_the_command_does_not_take_is_refused_wherever_it_stands() {
        for line in [
            "--ttl 5m check",
            "check --ttl 5m",
            "--log-dir l check",
            "--demo-seed 1 config",
            "--project p-123456 fake-gcp",
            "--project p-123456 man",
            "--interval 2s completions bash",
        ] {
            let e = parse(line).err().unwrap_or_else(|| panic!("{line} parsed"));
            assert_eq!(e.exit_code(), 2, "{line}");
        }
        let e = parse("--refresh 1m launch --gpu L4 --image i").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ArgumentConflict);
        assert!(
            e.to_string().contains(
                "'--refresh' is not a flag of 'launch'; the dashboard, 'warm' and 'config' take it"
            ),
            "{e}"
        );
        // The fake's own --seed is not the demo's --demo-seed.
        let e = parse("--demo-seed 1 fake-gcp --seed 2").unwrap_err();
        assert!(e.to_string().contains("'--demo-seed'"), "{e}");
    }

    #[test]
    fn gpu_types_parse_by_name_or_accelerator_type() {
        for (word, gpu) in [
            ("L4", GpuType::L4),
            ("h100", GpuType::H100),
            ("NVIDIA_L4", GpuType::L4),
        ] {
            let cli = parse(&format!("launch --gpu {word} --image i")).unwrap();
            let Some(Command::Launch(args)) = cli.command else {
                panic!("{word}: not a launch")
            };
            assert_eq!(args.gpu, gpu, "{word}");
        }
        let e = parse("launch --gpu V100 --image i").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(e.to_string().contains("'V100'"), "{e}");
    }
}
