//! Tests of the catalog: its checks, metric requests and Google's names.

use super::*;

#[test]
fn default_catalog_has_38_checks_type_major() {
    let c = Catalog::default();
    let gpu = c.gpu_checks();
    assert_eq!(gpu.len(), 20);
    assert_eq!(c.c3_checks().len(), 18);
    assert_eq!(c.all_checks().len(), 38);
    assert_eq!(c.len(), 38);
    assert_eq!(
        gpu[0],
        Check::gpu(GpuType::T4, Capacity::Spot, "us-central1")
    );
    assert_eq!(
        gpu[3],
        Check::gpu(GpuType::T4, Capacity::Spot, "europe-west4")
    );
    assert_eq!(
        gpu[4],
        Check::gpu(GpuType::L4, Capacity::Spot, "us-central1")
    );
    assert_eq!(
        gpu[19],
        Check::gpu(GpuType::H200, Capacity::Spot, "europe-west4")
    );
}

#[test]
fn metrics_are_named_as_in_the_spec() {
    assert_eq!(
        GpuType::T4.metric(Capacity::Spot),
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus"
    );
    // Google's names (see the sources at `GpuType::metric_suffix`): the H100 metric has
    // no `80gb` in it, spot or on-demand.
    assert_eq!(
        GpuType::H100.metric(Capacity::OnDemand),
        "aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus"
    );
    assert_eq!(
        GpuType::H100.metric(Capacity::Spot),
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus"
    );
    let on_demand: Vec<&str> = GpuType::ALL
        .iter()
        .map(|g| g.metric(Capacity::OnDemand))
        .collect();
    assert_eq!(
        on_demand,
        [
            "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus",
            "aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus",
            "aiplatform.googleapis.com/custom_model_training_nvidia_a100_gpus",
            "aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus",
            "aiplatform.googleapis.com/custom_model_training_nvidia_h200_gpus",
        ]
    );
    let accelerators: Vec<&str> = GpuType::ALL.iter().map(|g| g.accelerator_type()).collect();
    assert_eq!(
        accelerators,
        [
            "NVIDIA_TESLA_T4",
            "NVIDIA_L4",
            "NVIDIA_TESLA_A100",
            "NVIDIA_H100_80GB",
            "NVIDIA_H200_141GB"
        ]
    );
    assert_eq!(
        Check::c3("us-east1").metric.name(),
        "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"
    );
}

#[test]
fn c3_tiers() {
    assert_eq!(best_c3_machine(Limit::Finite(176)), Some("c3-standard-176"));
    assert_eq!(best_c3_machine(Limit::Finite(175)), Some("c3-standard-88"));
    assert_eq!(best_c3_machine(Limit::Finite(44)), Some("c3-standard-44"));
    assert_eq!(best_c3_machine(Limit::Finite(43)), None);
    assert_eq!(best_c3_machine(Limit::Unlimited), Some("c3-standard-176"));
}

#[test]
fn gpu_type_parses_both_spellings() {
    assert_eq!("l4".parse::<GpuType>(), Ok(GpuType::L4));
    assert_eq!("NVIDIA_H100_80GB".parse::<GpuType>(), Ok(GpuType::H100));
    assert!("V100".parse::<GpuType>().is_err());
}

#[test]
fn the_static_metric_table_follows_googles_pattern_and_round_trips() {
    let all: Vec<QuotaMetric> = QuotaMetric::all().collect();
    assert_eq!(all.len(), 11, "5 GPU types × 2 capacities + C3");
    for m in &all {
        assert_eq!(QuotaMetric::from_name(m.name()), Some(*m));
        assert!(
            m.name().starts_with(&format!("{}/", m.service())),
            "{}",
            m.name()
        );
        if let QuotaMetric::Gpu { gpu, capacity } = m {
            let infix = match capacity {
                Capacity::Spot => "custom_model_training_preemptible_",
                Capacity::OnDemand => "custom_model_training_",
            };
            assert_eq!(
                m.name(),
                format!("{AIPLATFORM_SERVICE}/{infix}{}", gpu.metric_suffix())
            );
        }
    }
    assert_eq!(
        QuotaMetric::from_name("aiplatform.googleapis.com/nope"),
        None
    );
    assert_eq!(QuotaMetric::C3.label(), "C3");
    assert_eq!(
        Check::gpu(GpuType::A100, Capacity::OnDemand, "us-east1").to_string(),
        "A100 us-east1"
    );
}

#[test]
fn spot_and_on_demand_checks_are_different_keys() {
    let spot = Check::gpu(GpuType::L4, Capacity::Spot, "us-west1");
    let on_demand = Check::gpu(GpuType::L4, Capacity::OnDemand, "us-west1");
    assert_ne!(spot, on_demand);
    assert_eq!(spot.to_string(), on_demand.to_string());
    assert_eq!(spot.service(), AIPLATFORM_SERVICE);
    assert_eq!(Check::c3("us-east1").service(), CLOUDBUILD_SERVICE);
}

#[test]
fn six_metric_requests_answer_the_38_checks_in_catalog_order() {
    let c = Catalog::default();
    let requests = c.requests();
    assert_eq!(requests.len(), 6);
    let labels: Vec<&str> = requests.iter().map(|r| r.metric.label()).collect();
    assert_eq!(labels, ["T4", "L4", "A100", "H100", "H200", "C3"]);
    assert!(requests[..5].iter().all(|r| r.len() == 4));
    assert_eq!(requests[5].len(), 18);
    let flattened: Vec<Check> = requests.iter().flat_map(MetricRequest::checks).collect();
    assert_eq!(flattened, c.all_checks());
    assert_eq!(
        requests[2].check(1),
        Check::gpu(GpuType::A100, Capacity::Spot, "us-east1")
    );

    let on_demand = Catalog {
        capacity: Capacity::OnDemand,
        ..Catalog::default()
    };
    assert_eq!(
        on_demand.gpu_requests()[0].metric.name(),
        "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus"
    );
    let no_c3 = Catalog {
        c3_regions: Vec::new(),
        ..Catalog::default()
    };
    assert_eq!(no_c3.c3_request(), None);
    assert_eq!(no_c3.requests().len(), 5);
}

#[test]
fn free_is_limit_minus_in_use_never_below_zero_and_unlimited_stays_unlimited() {
    assert_eq!(Limit::Finite(16).free(14), Limit::Finite(2));
    assert_eq!(Limit::Finite(16).free(0), Limit::Finite(16));
    assert_eq!(Limit::Finite(8).free(8), Limit::Finite(0));
    // Usage above a limit lowered under it: nothing free, never negative.
    assert_eq!(Limit::Finite(4).free(6), Limit::Finite(0));
    assert_eq!(Limit::Finite(0).free(0), Limit::Finite(0));
    // A nonsensical negative usage frees nothing extra.
    assert_eq!(Limit::Finite(4).free(-3), Limit::Finite(4));
    assert_eq!(Limit::Unlimited.free(1_000), Limit::Unlimited);
}
