//! Links into the Google Cloud console that quota-tui shows people.
//!
//! The quota page, where a quota increase is asked for ("View and manage quotas",
//! <https://cloud.google.com/docs/quotas/view-manage>: select the quota on the Quotas &
//! System Limits page, then "Edit"), takes the service and the quota metric as filters in its
//! URL: Google's own pages link it that way, e.g. BigQuery's "Quotas and limits"
//! (<https://cloud.google.com/bigquery/quotas>: "View quota in Google Cloud console" →
//! `https://console.cloud.google.com/iam-admin/quotas?service=bigquery.googleapis.com&metric=bigquery.googleapis.com/quota/query/usage`)
//! and its reservations page (`...?service=bigqueryreservation.googleapis.com&metric=bigqueryreservation.googleapis.com/total_slots`).
//! `project` selects the project, as on every console page. No region filter is documented,
//! so the page lists every region of the metric.

use crate::catalog::QuotaMetric;

/// The console's quota page.
pub const QUOTAS_PAGE: &str = "https://console.cloud.google.com/iam-admin/quotas";

/// The console quota page of `metric` in `project`, where an increase is asked for:
/// `https://console.cloud.google.com/iam-admin/quotas?project=P&service=S&metric=M`, the
/// values form-encoded (`/` as `%2F`). `project` is a validated project ID (the backend's);
/// anything else in it is encoded too, so the link cannot be broken out of.
pub fn quota_increase_url(project: &str, metric: QuotaMetric) -> String {
    let mut url = reqwest::Url::parse(QUOTAS_PAGE).expect("a valid constant URL");
    url.query_pairs_mut()
        .append_pair("project", project)
        .append_pair("service", metric.service())
        .append_pair("metric", metric.name());
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Capacity, GpuType};

    #[test]
    fn names_the_project_the_service_and_the_metric() {
        let t4 = QuotaMetric::Gpu {
            gpu: GpuType::T4,
            capacity: Capacity::Spot,
        };
        assert_eq!(
            quota_increase_url("my-project", t4),
            "https://console.cloud.google.com/iam-admin/quotas?project=my-project\
             &service=aiplatform.googleapis.com\
             &metric=aiplatform.googleapis.com%2Fcustom_model_training_preemptible_nvidia_t4_gpus"
        );
        assert!(quota_increase_url("p-1", QuotaMetric::C3).ends_with(
            "&service=cloudbuild.googleapis.com\
                 &metric=cloudbuild.googleapis.com%2Fconcurrent_private_pool_c3_build_cpus"
        ));
        // Nothing can break out of a value.
        let odd = quota_increase_url("a&metric=x y", QuotaMetric::C3);
        assert!(odd.contains("project=a%26metric%3Dx+y&"), "{odd}");
    }
}
