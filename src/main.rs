//! quota-tui's entry point: parse arguments, resolve the configuration, run a subcommand or
//! the TUI, and turn failures into the exit codes of SPEC §9.

use std::io::{IsTerminal, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use quota_tui::backend::{self, Backend};
use quota_tui::catalog::Capacity;
use quota_tui::cli::{CheckArgs, Cli, Command, LaunchArgs, WarmArgs};
use quota_tui::commands::progress::{self, Progress};
use quota_tui::commands::{check, config as config_cmd, docs, launch, warm};
use quota_tui::config::{self, Config};
use quota_tui::exit::{Failure, print_stdout};
use quota_tui::fake_gcp;
use quota_tui::gcp::vertex::VertexClient;
use quota_tui::logs::{self, DirOrigin, LogStart};
use quota_tui::sanitize::Sanitized;
use quota_tui::session::WarmSession;
use quota_tui::signals;
use quota_tui::store::open::OpenStore;
use quota_tui::tui::{self, LaunchClients, TuiContext};
use quota_tui::warmer::Warmer;

/// Most characters of a failure message printed on stderr (a launch's reasons for 20
/// regions fit many times over).
const MAX_FAILURE_CHARS: usize = 16_000;

fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quota-tui: cannot start the async runtime: {e}");
            return ExitCode::from(quota_tui::exit::API);
        }
    };
    let result = rt.block_on(run(cli));
    // Requests that never answer must not hold the process: it ends now.
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.is_quiet() {
                // Parts of the message may have come from a server or a file: sanitised,
                // keeping the lines we wrote (SPEC §4).
                let message = Sanitized::new(&f.message)
                    .keep_newlines()
                    .max_chars(MAX_FAILURE_CHARS);
                let _ = writeln!(std::io::stderr(), "quota-tui: {message}");
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let settings = cli.settings();
    let command = match cli.command {
        Some(Command::FakeGcp(args)) => {
            let cfg = config::fake_gcp_standalone(&args);
            return fake_gcp::run_standalone(args.port, cfg)
                .await
                .map_err(|e| Failure::api(e.to_string()));
        }
        Some(Command::Completions(args)) => return print_stdout(&docs::completions(args.shell)),
        Some(Command::Man) => return print_stdout(&docs::man_page()),
        other => other,
    };
    let cfg = config::resolve(&settings, &|k| std::env::var(k).ok())?;
    let log_flag = settings.log_dir.is_some();
    match command {
        None => run_tui(cfg, log_flag).await,
        Some(Command::Config(args)) => run_config(&cfg, args.json),
        Some(Command::Warm(args)) => run_warm(cfg, &args, log_flag).await,
        Some(Command::Check(args)) => run_check(cfg, &args).await,
        Some(Command::Launch(args)) => run_launch(&cfg, &args, log_flag).await,
        Some(Command::FakeGcp(_) | Command::Completions(_) | Command::Man) => {
            unreachable!("handled above")
        }
    }
}

/// `quota-tui warm`: the warmer without a screen, until a signal or (`--once`) one cycle.
async fn run_warm(mut cfg: Config, args: &WarmArgs, log_flag: bool) -> Result<(), Failure> {
    // A daemon takes up a fresh snapshot or shared cycle; `--force`: a cycle at once
    // even when the cache is fresh (the warmer's warm-now).
    let (once, json, force) = (args.once, args.json, args.force);
    cfg.warmer.once = once;
    // The log folder's lock first: a second daemon is refused before any request.
    let _guards = init_logs(&cfg, log_flag, LogStart::Truncate)?;
    if !json {
        // Not eprintln!, which panics when stderr is a closed pipe.
        let _ = writeln!(std::io::stderr(), "{}", cfg.project_line());
    }
    let backend = backend::connect(&cfg).await?;
    let cancel = CancellationToken::new();
    signals::cancel_on_signals(cancel.clone())
        .map_err(|e| Failure::api(format!("cannot install the signal handlers: {e}")))?;
    let store = OpenStore::open(cfg.store_plan(&backend.project, backend.demo));
    store.ready().await;
    let run = warm::run(
        cfg.warmer.clone(),
        &cfg.catalog,
        backend.quota.clone(),
        &store,
        !json,
        cancel,
        force,
        progress::stderr_is_terminal(),
    )
    .await;
    store.close().await;
    if !once {
        return Ok(());
    }
    if json {
        let line = serde_json::to_string(&run.stats).expect("stats serialize");
        print_stdout(&format!("{line}\n"))?;
    } else {
        print_stdout(&warm::render_stats(&run.stats))?;
    }
    run.status
}

/// `quota-tui check`: every check once, fresh, as a table or JSON.
async fn run_check(mut cfg: Config, args: &CheckArgs) -> Result<(), Failure> {
    let json = args.json;
    if args.on_demand {
        cfg.catalog.capacity = Capacity::OnDemand;
    } else if args.spot {
        cfg.catalog.capacity = Capacity::Spot;
    }
    if !json {
        // Not eprintln!, which panics when stderr is a closed pipe.
        let _ = writeln!(std::io::stderr(), "{}", cfg.project_line());
    }
    let backend = backend::connect(&cfg).await?;
    let progress = Progress::bar(
        progress::stderr_is_terminal(),
        cfg.catalog.all_checks().len() as u64,
        "checks",
        "Checking quotas",
    );
    let out = check::run(
        &cfg.catalog,
        backend.quota.clone(),
        &backend.project,
        backend.demo,
        json,
        &progress,
    )
    .await;
    print_stdout(&format!("{}\n", out.text))?;
    out.status
}

/// `quota-tui config`: the settings and where each came from, as a table or JSON.
fn run_config(cfg: &Config, json: bool) -> Result<(), Failure> {
    let (out, result) = config_cmd::run(cfg, &|k| std::env::var(k).ok(), json);
    // Values may come from the environment or files: the table is sanitised (its lines
    // kept); JSON is escaped by serde.
    let out = out.trim_end();
    if json {
        print_stdout(&format!("{out}\n"))?;
    } else {
        let table = Sanitized::new(out).keep_newlines().uncapped();
        print_stdout(&format!("{table}\n"))?;
    }
    result
}

/// `quota-tui launch`: refused before any request when the options cannot work, else a
/// fresh check, a ranking and a CustomJob (or, with `--dry-run`, its request).
async fn run_launch(cfg: &Config, args: &LaunchArgs, log_flag: bool) -> Result<(), Failure> {
    let opts = launch::LaunchOptions::from_args(args);
    // A bad shape, name, image or region is refused before any request.
    launch::validate(&opts, &cfg.catalog)?;
    if !opts.json {
        // Not eprintln!, which panics when stderr is a closed pipe.
        let _ = writeln!(std::io::stderr(), "{}", cfg.project_line());
    }
    let backend = backend::connect(cfg).await?;
    let _guards = init_logs(cfg, log_flag, LogStart::Append)?;
    let vertex = vertex_client(&backend)?;
    // `--wait`'s progress lines, as they happen (not eprintln!, which panics when stderr is
    // a closed pipe); they were sanitised where they were made.
    let mut progress = |line: &str| {
        let _ = writeln!(std::io::stderr(), "{line}");
    };
    let out = launch::run(
        &opts,
        &cfg.catalog,
        backend.quota.clone(),
        &vertex,
        &backend.project,
        None,
        &mut progress,
        progress::stderr_is_terminal(),
    )
    .await?;
    print_stdout(&out)
}

fn vertex_client(backend: &Backend) -> Result<VertexClient, Failure> {
    VertexClient::new(backend.aiplatform_url.as_deref(), backend.tokens.clone())
        .map_err(|e| Failure::usage(e.message))
}

/// Open the logs (exit 2 when the folder or a file is refused, or another process holds the
/// folder). A folder the user named (`--log-dir`, or a config file's folder other than the
/// default) is followed if it is a symlink; the default `logs` must be a real folder (see
/// `logs::files`). `flag`: `--log-dir` was given.
fn init_logs(cfg: &Config, flag: bool, start: LogStart) -> Result<logs::LogGuards, Failure> {
    let origin = if flag || cfg.log_dir != Path::new(logs::files::DEFAULT_DIR) {
        DirOrigin::Named
    } else {
        DirOrigin::Default
    };
    logs::init(&cfg.log_dir, origin, start).map_err(|e| Failure::usage(format!("{e:#}")))
}

async fn run_tui(cfg: Config, log_flag: bool) -> Result<(), Failure> {
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the dashboard needs a terminal; in scripts use `quota-tui check --json` or `quota-tui warm`",
        ));
    }
    let guards = init_logs(&cfg, log_flag, LogStart::Truncate)?;
    let backend = backend::connect(&cfg).await?;
    // The snapshot (or the shared cache) is in before the first frame.
    let store = OpenStore::open(cfg.store_plan(&backend.project, backend.demo));
    store.ready().await;
    let warmer = Warmer::new(
        cfg.warmer.clone(),
        &cfg.catalog,
        backend.quota.clone(),
        store.store.clone(),
    );
    let cancel = CancellationToken::new();
    let session = WarmSession::start(warmer, &store, true, &cancel);
    // The dashboard runs without a Vertex AI client (the Launch screen says so) rather
    // than not at all.
    let vertex = match vertex_client(&backend) {
        Ok(v) => Some(Arc::new(v)),
        Err(e) => {
            tracing::warn!(
                "no Vertex AI client, the Launch screen cannot submit: {}",
                e.message
            );
            None
        }
    };
    let tui = TuiContext {
        title: backend.title(),
        credentials: backend.credentials_line(),
        catalog: cfg.catalog.clone(),
        warmer: session.handle.clone(),
        log_dir: cfg.log_dir.clone(),
        launch: LaunchClients {
            project: backend.project.clone(),
            quota: backend.quota.clone(),
            vertex,
        },
        shared: store.redis.clone(),
    };
    let result = tui::run(tui, cfg.theme, cancel.clone()).await;
    cancel.cancel();
    session.finish(Duration::from_millis(700)).await;
    store.close().await;
    drop(guards);
    result.map_err(|e| Failure::api(format!("the dashboard failed: {e:#}")))
}
