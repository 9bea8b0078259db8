//! Which regions a launch may name (`launch --region`; checked by
//! [`LaunchPlan::from_request`](super::LaunchPlan::from_request)): the config's GPU regions (each is checked, and
//! one that does not train the type is reported as "not offered") and the regions where
//! Vertex AI custom training offers the GPU type (Google's Vertex AI locations page, recorded
//! in [`training_regions`]). Anything else (`mars-west1`, a typo) is a usage error naming the
//! regions that would work, before any request.

use crate::catalog::{GpuType, TRAINING_OFFER_AS_OF, training_regions};

/// `Ok` when `launch --gpu gpu --region region` may ask `region`; otherwise the message of
/// the usage error (exit 2), which lists `gpu_regions` (the config's, in preference order)
/// and then the other regions where Vertex AI trains `gpu`.
pub fn check_region(gpu: GpuType, region: &str, gpu_regions: &[String]) -> Result<(), String> {
    let trains = training_regions(gpu);
    if gpu_regions.iter().any(|r| r == region) || trains.contains(&region) {
        return Ok(());
    }
    let others: Vec<&str> = trains
        .into_iter()
        .filter(|t| !gpu_regions.iter().any(|r| r == t))
        .collect();
    let mut message = format!(
        "--region {region}: not one of your GPU regions, and Vertex AI does not train {gpu} \
         there (its locations page, {TRAINING_OFFER_AS_OF}); choose one of your GPU regions \
         ({})",
        gpu_regions.join(", ")
    );
    if !others.is_empty() {
        message.push_str(&format!(
            " or another region that trains {gpu}: {}",
            others.join(", ")
        ));
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::DEFAULT_GPU_REGIONS;

    fn defaults() -> Vec<String> {
        DEFAULT_GPU_REGIONS.iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn config_regions_and_training_regions_are_accepted() {
        let mine = defaults();
        assert_eq!(check_region(GpuType::L4, "us-east1", &mine), Ok(()));
        // In the config but H100 does not train there: accepted, reported as not offered.
        assert_eq!(check_region(GpuType::H100, "us-east1", &mine), Ok(()));
        // Not in the config, but Vertex AI trains A100 there.
        assert_eq!(
            check_region(GpuType::A100, "asia-southeast1", &mine),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_region_names_the_valid_ones() {
        let e = check_region(GpuType::L4, "mars-west1", &defaults()).unwrap_err();
        assert!(e.starts_with("--region mars-west1: "), "{e}");
        assert!(
            e.contains("(us-central1, us-east1, us-west1, europe-west4)"),
            "{e}"
        );
        assert!(e.contains("trains L4: asia-northeast3, "), "{e}");
        assert!(!e.contains("us-east5"), "us-east5 does not train L4: {e}");
        // Your regions are not listed twice.
        assert_eq!(e.matches("us-central1").count(), 1, "{e}");
        // A region that trains another type only is refused too.
        assert!(check_region(GpuType::T4, "us-east5", &defaults()).is_err());
    }
}
