//! quota-tui's entry point: parse arguments, resolve the configuration, run a subcommand or
//! the TUI, and turn failures into the exit codes of SPEC §9.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio_util::sync::CancellationToken;

use quota_tui::backend;
use quota_tui::catalog::Capacity;
use quota_tui::cli::{Cli, Command};
use quota_tui::commands::{check, warm};
use quota_tui::config::{self, Config};
use quota_tui::exit::Failure;
use quota_tui::fake_gcp::{self, FakeGcpConfig};
use quota_tui::logs;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quota-tui: cannot start the async runtime: {e}");
            return ExitCode::from(4);
        }
    };
    let result = rt.block_on(run(cli));
    // Do not wait on requests that never answer: the process ends now.
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("quota-tui: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Some(Command::FakeGcp {
        port,
        latency,
        error_rate,
        hang_rate,
        malformed_rate,
        seed,
    }) = &cli.command
    {
        let knobs = quota_tui::cli::FakeKnobs {
            latency: *latency,
            error_rate: *error_rate,
            hang_rate: *hang_rate,
            malformed_rate: *malformed_rate,
            seed: *seed,
        };
        return fake_gcp::run_standalone(*port, FakeGcpConfig::from_fake_knobs(&knobs))
            .await
            .map_err(|e| Failure::api(e.to_string()));
    }
    let mut cfg = config::resolve(&cli.global, &|k| std::env::var(k).ok())?;
    match cli.command {
        None => run_tui(cfg).await,
        Some(Command::Warm { once, force, json }) => {
            let _ = force; // a fresh process always starts its first cycle at once
            cfg.warmer.once = once;
            let backend = backend::connect(&cfg).await?;
            let _guards = init_logs(&cfg)?;
            let cancel = CancellationToken::new();
            warm::cancel_on_signals(cancel.clone());
            let stats = warm::run(
                cfg.warmer.clone(),
                &cfg.catalog,
                backend.quota.clone(),
                cancel,
            )
            .await;
            if once {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&stats).expect("stats serialize")
                    );
                } else {
                    print!("{}", warm::render_stats(&stats));
                }
            }
            Ok(())
        }
        Some(Command::Check {
            json, on_demand, ..
        }) => {
            if on_demand {
                cfg.catalog.capacity = Capacity::OnDemand;
            }
            let backend = backend::connect(&cfg).await?;
            let out = check::run(
                &cfg.catalog,
                backend.quota.clone(),
                &backend.project,
                backend.demo,
                json,
            )
            .await;
            println!("{out}");
            Ok(())
        }
        Some(Command::Launch { .. }) => Err(Failure::usage("launch: not wired yet")),
        Some(Command::FakeGcp { .. }) => unreachable!("handled above"),
    }
}

fn init_logs(cfg: &Config) -> Result<logs::LogGuards, Failure> {
    logs::init(&cfg.log_dir).map_err(|e| Failure::usage(e.to_string()))
}

async fn run_tui(_cfg: Config) -> Result<(), Failure> {
    Err(Failure::usage("the dashboard is not wired yet"))
}
