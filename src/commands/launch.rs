//! `quota-tui launch` (SPEC §9, §10 Launch): check a GPU type's quota fresh in every region
//! (limit and usage), rank the regions by their free GPUs, choose one and the machine type,
//! and submit a Vertex AI CustomJob (or, with `--dry-run`, print the request and submit
//! nothing); with `--wait`, follow the job until it runs or ends (`launch::follow`, one
//! progress line per state change on stderr). A create refused with `quota_exceeded` goes on
//! to the next ranked region, up to 3 (`launch::submit`, shared with the Launch screen).
//!
//! Exit codes (SPEC §9): 2 for an impossible shape (H200 × 3, on-demand H100 × 1/2/4) or a
//! bad name/image/region, nothing sent; 3 / 4 when no region could be asked (every region
//! that offers the type failed: all with auth → 3, else 4) or when the submission failed
//! (auth / other API errors); 5 only when regions answered and none fits, or every region
//! asked refused the create for quota. With `--wait`: 0 once the job is `JOB_STATE_RUNNING`
//! or `JOB_STATE_SUCCEEDED`, 4 when it ended otherwise (`FAILED`, `CANCELLED`, ..., Google's
//! error shown) or could not be read any more.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::json;

use super::progress::Progress;
use crate::catalog::{Capacity, Catalog, GpuType};
use crate::cli::LaunchArgs;
use crate::exit::Failure;
use crate::gcp::project::validate_project_id;
use crate::gcp::vertex::VertexClient;
use crate::gcp::{ErrorKind, QuotaSource};
use crate::launch::{
    Created, FreshCheck, LaunchPlan, LaunchRequest, RankedRegion, Refusal, Submission,
    SubmitFailure, choose_region, common_failure, create_order, fresh_check, nobody_answered,
    submit,
};
use crate::sanitize::{Sanitized, sanitize};
use crate::store::QuotaStore;

mod report;
mod wait;

use report::{job_json, pretty, ranking_text, report_json};

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
    /// After the submission, follow the job until it runs or ends.
    pub wait: bool,
}

impl LaunchOptions {
    /// The options `quota-tui launch` was given.
    pub fn from_args(args: &LaunchArgs) -> LaunchOptions {
        LaunchOptions {
            gpu: args.gpu,
            count: args.count,
            capacity: if args.on_demand {
                Capacity::OnDemand
            } else {
                Capacity::Spot
            },
            image: args.image.clone(),
            name: args.name.clone(),
            region: args.region.clone(),
            dry_run: args.dry_run,
            json: args.json,
            wait: args.wait,
        }
    }
}

/// Refuse, before any request, what the options alone show cannot work (exit 2): a shape no
/// machine type carries, a bad image or job name, or a `--region` that is neither one of
/// `catalog.gpu_regions` nor a region where Vertex AI trains the GPU type
/// ([`LaunchPlan::from_request`]). [`run`] does this first too.
pub fn validate(opts: &LaunchOptions, catalog: &Catalog) -> Result<(), Failure> {
    plan(opts, catalog).map(drop)
}

/// The plan the options ask for ([`LaunchPlan::from_request`]); a usage error (exit 2) when
/// they cannot work.
fn plan(opts: &LaunchOptions, catalog: &Catalog) -> Result<LaunchPlan, Failure> {
    let request = LaunchRequest {
        gpu: opts.gpu,
        count: opts.count,
        capacity: opts.capacity,
        image: opts.image.clone(),
        name: opts.name.clone(),
        region: opts.region.clone(),
    };
    LaunchPlan::from_request(&request, &catalog.gpu_regions)
        .map_err(|e| Failure::usage(e.to_string()))
}

/// Run `launch` and return what to print on stdout.
///
/// `catalog.gpu_regions` is the preference order (a `--region` outside it is checked too);
/// `source` answers the fresh checks, limits and usage (never the cache); `cache`, when
/// given, receives the fresh values (keyed by the checks of the capacity asked for). Writes a
/// `QUOTA_TIMING (FRESH, launch <type>)` entry. A spinner on stderr says the fresh check is
/// running when `show_progress` (pass [`super::progress::stderr_is_terminal`]). With
/// `opts.wait`, each progress line of the follow (a state change, a failed read) goes to
/// `progress` as it happens (for stderr). Errors: see the module docs.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    opts: &LaunchOptions,
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    vertex: &VertexClient,
    project: &str,
    cache: Option<&dyn QuotaStore>,
    progress: &mut (dyn FnMut(&str) + Send),
    show_progress: bool,
) -> Result<String, Failure> {
    // Everything that can be refused without the network is refused first (exit 2).
    let plan = plan(opts, catalog)?;
    validate_project_id(project).map_err(Failure::usage)?;
    let mut regions = catalog.gpu_regions.clone();
    if let Some(r) = opts.region.as_ref().filter(|r| !regions.contains(r)) {
        regions.push(r.clone());
    }

    let spinner = Progress::spinner(
        show_progress,
        &format!(
            "Checking {} ({}) quota in {} regions",
            opts.gpu,
            opts.capacity.word(),
            regions.len()
        ),
    );
    let fresh = fresh_check(opts.gpu, opts.capacity, &regions, source, cache).await;
    spinner.finish();
    let ranking = fresh.rank(opts.count);
    let Some(chosen) = choose_region(&ranking, opts.region.as_deref()) else {
        return Err(no_region_failure(opts, &fresh, &ranking, project));
    };
    let plan = plan.in_region(&chosen.region);
    let mut text = ranking_text(opts, &fresh, &ranking, project);
    let _ = writeln!(text, "Machine: {}", machine_line(&plan));
    if opts.dry_run {
        return dry_run(opts, project, vertex, &plan, &ranking, text);
    }

    let order = create_order(&ranking, &plan.region, opts.region.is_some());
    let Submission { refusals, outcome } = submit(vertex, project, &plan, &order).await;
    for r in &refusals {
        let _ = writeln!(text, "Create:  {r}");
    }
    let created = match outcome {
        Ok(created) => created,
        Err(failure) => return Err(submit_failure(opts, &refusals, failure, text)),
    };
    if !opts.wait {
        return Ok(submitted(
            opts, project, &ranking, &refusals, created, text, None,
        ));
    }
    let followed = wait::follow_job(vertex, &created, progress).await;
    let report = submitted(
        opts,
        project,
        &ranking,
        &refusals,
        created,
        text,
        Some(&followed),
    );
    followed.status(report)
}

fn machine_line(plan: &LaunchPlan) -> String {
    format!(
        "{} ({} × {}, {})",
        plan.machine_type,
        plan.count,
        plan.gpu.accelerator_type(),
        plan.capacity.scheduling_strategy()
    )
}

/// `--dry-run`: the request `launch` would send first, nothing sent.
fn dry_run(
    opts: &LaunchOptions,
    project: &str,
    vertex: &VertexClient,
    plan: &LaunchPlan,
    ranking: &[RankedRegion],
    mut text: String,
) -> Result<String, Failure> {
    let body = plan.custom_job_body();
    let url = vertex
        .custom_jobs_url(project, &plan.region)
        .map_err(|e| Failure::usage(e.message))?;
    if opts.json {
        let request = json!({"method": "POST", "url": url, "body": body});
        return Ok(report_json(
            project,
            plan,
            ranking,
            &[],
            json!({"dry_run": true, "request": request}),
        ));
    }
    let _ = writeln!(text, "Region:  {}", plan.region);
    let _ = writeln!(text, "\nDry run: nothing submitted. Would POST {url}");
    let _ = writeln!(text, "{}", pretty(&body));
    Ok(text)
}

/// The report of a created job, with how the follow went when it was followed.
fn submitted(
    opts: &LaunchOptions,
    project: &str,
    ranking: &[RankedRegion],
    refusals: &[Refusal],
    created: Created,
    mut text: String,
    followed: Option<&wait::Followed>,
) -> String {
    let Created {
        plan,
        job,
        console_url: link,
        read_back_error,
        ..
    } = created;
    let read_back_error = read_back_error.map(|e| e.to_string());
    if opts.json {
        let job = job_json(&job, &link, read_back_error.as_deref());
        let mut extra = json!({"dry_run": false, "job": job});
        if let Some(f) = followed {
            extra["wait"] = f.json();
        }
        return report_json(project, &plan, ranking, refusals, extra);
    }
    // The job's fields came from the server: sanitised (SPEC §4) before they are printed.
    let _ = writeln!(text, "Region:  {}", plan.region);
    let _ = writeln!(text, "\nSubmitted:");
    let _ = writeln!(text, "Job:     {}", Sanitized::new(&job.name));
    let _ = writeln!(text, "Name:    {}", Sanitized::new(&job.display_name));
    let state = if job.state.is_empty() {
        "(not given)".to_string()
    } else {
        sanitize(&job.state)
    };
    let _ = writeln!(text, "State:   {state}");
    let _ = writeln!(text, "Console: {}", Sanitized::new(&link));
    if let Some(e) = read_back_error {
        let _ = writeln!(text, "(reading the job back failed: {e})");
    }
    if let Some(f) = followed {
        let _ = writeln!(text, "Waited:  {}", f.summary());
    }
    text
}

/// No job: every region asked refused for quota (exit 5), or the create failed (3 / 4).
fn submit_failure(
    opts: &LaunchOptions,
    refusals: &[Refusal],
    failure: SubmitFailure,
    text: String,
) -> Failure {
    let what = what(opts);
    match failure {
        SubmitFailure::QuotaInUseEverywhere => {
            let asked: Vec<&str> = refusals.iter().map(|r| r.region.as_str()).collect();
            Failure::no_region(format!(
                "no job created for {what}: quota in use in {} (Vertex AI refused the create)\n{}",
                asked.join(", "),
                text.trim_end()
            ))
        }
        SubmitFailure::Failed { region, error } => {
            let mut message = format!("submitting the CustomJob to {region}: {error}");
            for r in refusals {
                let _ = write!(message, "\n  before: {r}");
            }
            if error.kind == ErrorKind::Auth {
                Failure::auth(message)
            } else {
                Failure::api(message)
            }
        }
    }
}

fn what(opts: &LaunchOptions) -> String {
    format!("{} × {} ({})", opts.count, opts.gpu, opts.capacity.word())
}

/// Why no region can take the launch, with every region's reason: exit 3 / 4 when no
/// region could be asked (every region that offers the type failed), else exit 5.
fn no_region_failure(
    opts: &LaunchOptions,
    fresh: &FreshCheck,
    ranking: &[RankedRegion],
    project: &str,
) -> Failure {
    let what = what(opts);
    let mut msg = match (&opts.region, common_failure(ranking)) {
        (_, Some(common)) => format!("no region can take {what}: {common}\n"),
        (Some(r), None) => {
            let others: Vec<&str> = ranking
                .iter()
                .filter(|x| x.fits)
                .map(|x| x.region.as_str())
                .collect();
            let why = ranking
                .iter()
                .find(|x| &x.region == r)
                .and_then(|x| x.reason.as_ref())
                .map(|why| format!(": {why}"))
                .unwrap_or_default();
            let hint = if others.is_empty() {
                String::new()
            } else {
                format!(" (it fits in {})", others.join(", "))
            };
            format!("region {r} cannot take {what}{hint}{why}\n")
        }
        (None, None) => format!("no region can take {what}\n"),
    };
    msg.push_str(&ranking_text(opts, fresh, ranking, project));
    let msg = msg.trim_end().to_string();
    match nobody_answered(ranking) {
        Some(ErrorKind::Auth) => Failure::auth(msg),
        Some(_) => Failure::api(msg),
        None => Failure::no_region(msg),
    }
}
