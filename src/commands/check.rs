//! `quota-tui check`: one fresh pass over every check of the catalog (SPEC §9), with bounded
//! concurrency, printed as a table for people or as the JSON object of SPEC §9 for scripts.
//! Per-check errors are part of the output; the exit code stays 0 when results were printed.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use tokio::time::Instant;

use crate::catalog::{Capacity, Catalog, Check, CheckKind, Limit, best_c3_machine};
use crate::gcp::{ApiError, ErrorKind, QuotaSource};

/// Checks in flight at once during `check` (and launch's fresh checks).
pub const CHECK_CONCURRENCY: usize = 8;

/// `error` of one check in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckErrorJson {
    pub kind: ErrorKind,
    /// The error's text with Google's message as it came, not sanitised (at most 2 KiB of
    /// it, [`ApiError::unsanitized_text`]): serde escapes it in JSON; sanitise it
    /// ([`crate::sanitize`]) before showing it anywhere else.
    pub message: String,
}

/// One check in the JSON output (SPEC §9).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    /// `gpu` or `c3`.
    pub kind: &'static str,
    /// `T4`, ..., or null for C3.
    pub gpu: Option<&'static str>,
    pub region: String,
    pub metric: String,
    /// The limit (GPUs or vCPUs); null when unlimited or failed.
    pub limit: Option<i64>,
    pub unlimited: bool,
    pub error: Option<CheckErrorJson>,
    pub latency_ms: u64,
}

impl CheckRow {
    /// The row for `check`'s result.
    pub fn new(
        check: &Check,
        capacity: Capacity,
        result: &Result<Limit, ApiError>,
        latency: Duration,
    ) -> Self {
        let (limit, unlimited, error) = match result {
            Ok(Limit::Finite(v)) => (Some(*v), false, None),
            Ok(Limit::Unlimited) => (None, true, None),
            Err(e) => (
                None,
                false,
                Some(CheckErrorJson {
                    kind: e.kind,
                    // Google's text as it came (capped); serde escapes it.
                    message: e.unsanitized_text(),
                }),
            ),
        };
        CheckRow {
            kind: match check.kind {
                CheckKind::Gpu(_) => "gpu",
                CheckKind::C3 => "c3",
            },
            gpu: check.gpu_type().map(|g| g.name()),
            region: check.region.clone(),
            metric: check.metric(capacity),
            limit,
            unlimited,
            error,
            latency_ms: latency.as_millis() as u64,
        }
    }

    fn value_text(&self) -> String {
        match (&self.error, self.unlimited, self.limit) {
            (Some(_), _, _) => "!".into(),
            (None, true, _) => "∞".into(),
            (None, false, Some(v)) => v.to_string(),
            (None, false, None) => "?".into(),
        }
    }

    fn as_limit(&self) -> Option<Limit> {
        if self.error.is_some() {
            None
        } else if self.unlimited {
            Some(Limit::Unlimited)
        } else {
            self.limit.map(Limit::Finite)
        }
    }
}

/// Fetch `checks` fresh from `source`, at most `concurrency` at once, returning one result and
/// latency per check in the order given.
pub async fn fetch_all(
    checks: &[Check],
    capacity: Capacity,
    source: Arc<dyn QuotaSource>,
    concurrency: usize,
) -> Vec<(Result<Limit, ApiError>, Duration)> {
    futures::stream::iter(checks.iter().cloned())
        .map(|check| {
            let source = source.clone();
            async move {
                let t0 = Instant::now();
                let r = source.fetch(&check, capacity).await;
                (r, t0.elapsed())
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// The JSON object of SPEC §9.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub project: &'a str,
    pub demo: bool,
    pub checks: &'a [CheckRow],
}

/// Render rows as the people's table: the GPU grid (types × regions), the C3 table, the errors
/// and a summary line.
pub fn render_table(catalog: &Catalog, rows: &[CheckRow], elapsed: Duration) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let cap = match catalog.capacity {
        Capacity::Spot => "spot",
        Capacity::OnDemand => "on-demand",
    };
    let _ = writeln!(out, "GPU quota ({cap}, GPUs)");
    let _ = write!(out, "{:<6}", "TYPE");
    for r in &catalog.gpu_regions {
        let _ = write!(out, " {r:>14}");
    }
    out.push('\n');
    for g in &catalog.gpu_types {
        let _ = write!(out, "{:<6}", g.name());
        for r in &catalog.gpu_regions {
            let v = rows
                .iter()
                .find(|x| x.gpu == Some(g.name()) && &x.region == r)
                .map(|x| x.value_text())
                .unwrap_or_default();
            let _ = write!(out, " {v:>14}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nC3 private-pool quota (vCPUs)");
    let _ = writeln!(out, "{:<26} {:>6}  BEST MACHINE", "REGION", "vCPUs");
    for x in rows.iter().filter(|x| x.kind == "c3") {
        let best = x
            .as_limit()
            .and_then(best_c3_machine)
            .unwrap_or(if x.error.is_some() { "?" } else { "-" });
        let _ = writeln!(out, "{:<26} {:>6}  {best}", x.region, x.value_text());
    }
    let failed: Vec<&CheckRow> = rows.iter().filter(|x| x.error.is_some()).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nErrors:");
        for x in &failed {
            let who = x.gpu.unwrap_or("C3");
            let e = x.error.as_ref().expect("filtered");
            let message = crate::sanitize::Sanitized::new(&e.message);
            let _ = writeln!(out, "  {who} {}: [{}] {message}", x.region, e.kind);
        }
    }
    let _ = writeln!(
        out,
        "\n{} checks in {:.1}s: {} ok, {} failed",
        rows.len(),
        elapsed.as_secs_f64(),
        rows.len() - failed.len(),
        failed.len()
    );
    out
}

/// Run `check`: fetch every check of `catalog` and return the text to print (JSON or table).
pub async fn run(
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    project: &str,
    demo: bool,
    json: bool,
) -> String {
    let checks = catalog.all_checks();
    let t0 = Instant::now();
    let results = fetch_all(&checks, catalog.capacity, source, CHECK_CONCURRENCY).await;
    let rows: Vec<CheckRow> = checks
        .iter()
        .zip(&results)
        .map(|(c, (r, lat))| CheckRow::new(c, catalog.capacity, r, *lat))
        .collect();
    if json {
        crate::sanitize::to_json_pretty(&CheckReport {
            project,
            demo,
            checks: &rows,
        })
        .expect("rows serialize")
    } else {
        render_table(catalog, &rows, t0.elapsed())
    }
}
