//! `quota-tui launch` (SPEC §9, §10 Launch): check a GPU type's quota fresh in every region,
//! rank the regions, choose one and the machine type, and submit a Vertex AI CustomJob (or,
//! with `--dry-run`, print the request and submit nothing).
//!
//! Exit codes (SPEC §9): 2 for an impossible shape or a bad name/image/region (nothing
//! sent); 5 when no region can take the launch, with each region's reason; 3 / 4 when the
//! submission fails (auth / other API errors).

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::{Capacity, Catalog, GpuType, Limit};
use crate::cli::Command;
use crate::exit::Failure;
use crate::gcp::QuotaSource;
use crate::gcp::project::validate_project_id;
use crate::gcp::vertex::{CustomJob, VertexClient, console_url, validate_region};
use crate::launch::{
    FreshCheck, LaunchPlan, RankedRegion, WarmCache, choose_region, common_failure,
    default_job_name, fresh_check, validate_display_name,
};
use crate::sanitize::{Sanitized, sanitize};

/// The options of `launch`, as the command line gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOptions {
    pub gpu: GpuType,
    /// GPUs on the one replica.
    pub count: u32,
    pub capacity: Capacity,
    /// Container image URI.
    pub image: String,
    /// Job display name; `None` → `quota-tui-<gpu>-<YYYYmmdd-HHMMSS>`.
    pub name: Option<String>,
    /// Take only this region (it is checked with the others, and must fit).
    pub region: Option<String>,
    /// Print the request; submit nothing.
    pub dry_run: bool,
    /// Print one JSON object.
    pub json: bool,
}

impl LaunchOptions {
    /// The options of a `Command::Launch`; `None` for any other subcommand.
    pub fn from_command(command: &Command) -> Option<LaunchOptions> {
        let Command::Launch {
            gpu,
            count,
            on_demand,
            image,
            name,
            region,
            dry_run,
            json,
        } = command
        else {
            return None;
        };
        Some(LaunchOptions {
            gpu: *gpu,
            count: *count,
            capacity: if *on_demand {
                Capacity::OnDemand
            } else {
                Capacity::Spot
            },
            image: image.clone(),
            name: name.clone(),
            region: region.clone(),
            dry_run: *dry_run,
            json: *json,
        })
    }
}

/// Run `launch` and return what to print on stdout.
///
/// `catalog.gpu_regions` is the preference order (a `--region` outside it is checked too);
/// `source` answers the fresh checks (never the cache); `cache`, when given, receives the
/// fresh values if it holds the same capacity. Writes a `QUOTA_TIMING (FRESH, launch <type>)`
/// entry. Errors: see the module docs.
pub async fn run(
    opts: &LaunchOptions,
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    vertex: &VertexClient,
    project: &str,
    cache: Option<WarmCache<'_>>,
) -> Result<String, Failure> {
    // Everything that can be refused without the network is refused first (exit 2).
    let machine_type = opts
        .gpu
        .machine_type(opts.count)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let display_name = match &opts.name {
        Some(n) => n.clone(),
        None => default_job_name(opts.gpu, &chrono::Local::now()),
    };
    validate_display_name(&display_name).map_err(|e| Failure::usage(e.to_string()))?;
    if opts.image.trim().is_empty() {
        return Err(Failure::usage(
            crate::launch::PlanError::EmptyImage.to_string(),
        ));
    }
    validate_project_id(project).map_err(Failure::usage)?;
    let mut regions = catalog.gpu_regions.clone();
    if let Some(r) = &opts.region {
        validate_region(r).map_err(Failure::usage)?;
        if !regions.contains(r) {
            regions.push(r.clone());
        }
    }

    let fresh = fresh_check(opts.gpu, opts.capacity, &regions, source, cache).await;
    let ranking = fresh.rank(opts.count);
    let Some(chosen) = choose_region(&ranking, opts.region.as_deref()) else {
        return Err(Failure::no_region(no_region_message(
            opts, &fresh, &ranking,
        )));
    };
    let plan = LaunchPlan::new(
        opts.gpu,
        opts.count,
        opts.capacity,
        &chosen.region,
        &opts.image,
        &display_name,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    debug_assert_eq!(plan.machine_type, machine_type);
    let body = plan.custom_job_body();
    let url = vertex
        .custom_jobs_url(project, &plan.region)
        .map_err(|e| Failure::usage(e.message))?;

    let mut text = ranking_text(opts, &fresh, &ranking);
    let _ = writeln!(text, "Region:  {}", plan.region);
    let _ = writeln!(
        text,
        "Machine: {} ({} × {}, {})",
        plan.machine_type,
        plan.count,
        plan.gpu.accelerator_type(),
        plan.capacity.scheduling_strategy()
    );

    if opts.dry_run {
        if opts.json {
            return Ok(report_json(
                project,
                &plan,
                &ranking,
                json!({"dry_run": true, "request": {"method": "POST", "url": url, "body": body}}),
            ));
        }
        let _ = writeln!(text, "\nDry run: nothing submitted. Would POST {url}");
        let _ = writeln!(text, "{}", pretty(&body));
        return Ok(text);
    }

    let created = vertex
        .create_custom_job(project, &plan.region, &body)
        .await
        .map_err(|e| {
            Failure::from(crate::gcp::ApiError {
                message: format!("submitting the CustomJob to {}: {}", plan.region, e.message),
                ..e
            })
        })?;
    // The job exists now: a failed read-back is reported, not turned into a failure.
    let (job, read_back_error) = match vertex.get_custom_job(&created.name).await {
        Ok(job) => (job, None),
        Err(e) => (created, Some(e.to_string())),
    };
    let link = console_url(project, &plan.region, job.id());
    if opts.json {
        return Ok(report_json(
            project,
            &plan,
            &ranking,
            json!({"dry_run": false, "job": job_json(&job, &link, read_back_error.as_deref())}),
        ));
    }
    // The job's fields came from the server: sanitised (SPEC §4) before they are printed.
    let _ = writeln!(text, "\nSubmitted:");
    let _ = writeln!(text, "Job:     {}", Sanitized::new(&job.name));
    let _ = writeln!(text, "Name:    {}", Sanitized::new(&job.display_name));
    let _ = writeln!(
        text,
        "State:   {}",
        if job.state.is_empty() {
            "(not given)".into()
        } else {
            sanitize(&job.state)
        }
    );
    let _ = writeln!(text, "Console: {}", Sanitized::new(&link));
    if let Some(e) = read_back_error {
        let _ = writeln!(text, "(reading the job back failed: {e})");
    }
    Ok(text)
}

fn capacity_word(c: Capacity) -> &'static str {
    match c {
        Capacity::Spot => "spot",
        Capacity::OnDemand => "on-demand",
    }
}

fn limit_text(limit: Option<Limit>) -> String {
    limit.map_or_else(|| "!".to_string(), |l| l.to_string())
}

/// The ranking as people read it: one line per region, fitting regions first.
fn ranking_text(opts: &LaunchOptions, fresh: &FreshCheck, ranking: &[RankedRegion]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fresh {} quota ({}, GPUs) in {} regions, {:.2}s, for {} × {}:",
        opts.gpu,
        capacity_word(opts.capacity),
        ranking.len(),
        fresh.elapsed.as_secs_f64(),
        opts.count,
        opts.gpu
    );
    for r in ranking {
        let verdict = match &r.reason {
            None => "fits".to_string(),
            Some(why) => why.to_string(),
        };
        let mark = if r.fits { "ok" } else { "--" };
        let _ = writeln!(
            out,
            "  {mark} {:<24} {:>6}  {verdict}",
            r.region,
            limit_text(r.limit)
        );
    }
    out
}

/// The exit-5 message: which launch, why none fits, and every region's reason.
fn no_region_message(opts: &LaunchOptions, fresh: &FreshCheck, ranking: &[RankedRegion]) -> String {
    let what = format!(
        "{} × {} ({})",
        opts.count,
        opts.gpu,
        capacity_word(opts.capacity)
    );
    let mut msg = match (&opts.region, common_failure(ranking)) {
        (_, Some(common)) => format!("no region can take {what}: {common}\n"),
        (Some(r), None) => {
            let others: Vec<&str> = ranking
                .iter()
                .filter(|x| x.fits)
                .map(|x| x.region.as_str())
                .collect();
            let hint = if others.is_empty() {
                String::new()
            } else {
                format!(" (it fits in {})", others.join(", "))
            };
            format!("region {r} cannot take {what}{hint}\n")
        }
        (None, None) => format!("no region can take {what}\n"),
    };
    msg.push_str(&ranking_text(opts, fresh, ranking));
    msg.trim_end().to_string()
}

/// One ranked region in the JSON output.
#[derive(Debug, Serialize)]
struct RankedJson<'a> {
    region: &'a str,
    /// GPUs; null when unlimited or failed.
    limit: Option<i64>,
    unlimited: bool,
    fits: bool,
    /// Why it does not fit (`quota 0`, `quota 2 < 4`, `permission denied ...`); null if it fits.
    reason: Option<String>,
    /// The error kind (`permission`, `rate_limited`, ...) when the check failed.
    error_kind: Option<&'static str>,
}

fn ranked_json(r: &RankedRegion) -> RankedJson<'_> {
    RankedJson {
        region: &r.region,
        limit: r.limit.and_then(Limit::finite),
        unlimited: r.limit == Some(Limit::Unlimited),
        fits: r.fits,
        reason: r.reason.as_ref().map(|s| s.to_string()),
        error_kind: match &r.reason {
            Some(crate::launch::Shortfall::Failed(e)) => Some(e.kind.as_str()),
            _ => None,
        },
    }
}

fn job_json(job: &CustomJob, link: &str, read_back_error: Option<&str>) -> Value {
    json!({
        "name": job.name,
        "display_name": job.display_name,
        "state": job.state,
        "create_time": job.create_time,
        "console_url": link,
        "read_back_error": read_back_error,
    })
}

/// `{"project", "gpu", "count", "capacity", "ranking": [...], "region", "machine_type",
/// "accelerator_type", "display_name", ...extra}` as pretty JSON.
fn report_json(project: &str, plan: &LaunchPlan, ranking: &[RankedRegion], extra: Value) -> String {
    let ranking: Vec<RankedJson> = ranking.iter().map(ranked_json).collect();
    let mut v = json!({
        "project": project,
        "gpu": plan.gpu.name(),
        "count": plan.count,
        "capacity": capacity_word(plan.capacity),
        "ranking": ranking,
        "region": plan.region,
        "machine_type": plan.machine_type,
        "accelerator_type": plan.gpu.accelerator_type(),
        "display_name": plan.display_name,
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    pretty(&v)
}

fn pretty(v: &Value) -> String {
    crate::sanitize::to_json_pretty(v).expect("a serde_json::Value serializes")
}
