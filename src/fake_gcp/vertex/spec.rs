//! What the fake's Vertex AI accepts in a `customJobs.create` body: the checks Vertex AI makes
//! on what this program sends, each violation named by its field as Google's
//! `google.rpc.BadRequest` names it (the wording of each message is the fake's own).

use serde_json::Value;

use crate::catalog::{Capacity, GpuType};

/// `scheduling.strategy` values Vertex AI knows (`Scheduling.Strategy`).
const STRATEGIES: [&str; 5] = ["SPOT", "STANDARD", "ON_DEMAND", "LOW_COST", "FLEX_START"];

/// Longest `displayName` Vertex AI takes, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// What a valid create asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobShape {
    pub gpu: GpuType,
    /// GPUs on the one replica.
    pub count: u32,
    pub capacity: Capacity,
}

/// A JSON integer as proto3 JSON allows it: a number or a string of digits.
fn json_u32(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn non_empty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Check a CustomJob request body: `Ok` with the shape asked for, or every violation as
/// (`field` in Google's snake_case path, description).
pub(crate) fn validate_custom_job(body: &Value) -> Result<JobShape, Vec<(String, String)>> {
    let mut violations: Vec<(String, String)> = Vec::new();
    let mut violation = |field: &str, description: String| {
        violations.push((field.to_string(), description));
    };
    let required = "Required field is not set.".to_string();
    match body.get("displayName").and_then(Value::as_str) {
        Some(n) if n.trim().is_empty() => violation("display_name", required.clone()),
        Some(n) if n.chars().count() > MAX_DISPLAY_NAME_CHARS => violation(
            "display_name",
            format!("Display name can be at most {MAX_DISPLAY_NAME_CHARS} characters."),
        ),
        Some(_) => {}
        None => violation("display_name", required.clone()),
    }
    let spec = body.get("jobSpec");
    let pool = spec
        .and_then(|s| s.get("workerPoolSpecs"))
        .and_then(Value::as_array)
        .and_then(|pools| pools.first());
    let mut shape = None;
    match pool {
        None => violation("job_spec.worker_pool_specs", required.clone()),
        Some(pool) => {
            let p = "job_spec.worker_pool_specs[0]";
            let machine = pool.get("machineSpec");
            let machine_type = non_empty_str(machine.and_then(|m| m.get("machineType")));
            if machine_type.is_none() {
                violation(&format!("{p}.machine_spec.machine_type"), required.clone());
            }
            let accel = machine.and_then(|m| m.get("acceleratorType"));
            let gpu = accel
                .and_then(Value::as_str)
                .and_then(|a| GpuType::ALL.into_iter().find(|g| g.accelerator_type() == a));
            if gpu.is_none() {
                violation(
                    &format!("{p}.machine_spec.accelerator_type"),
                    format!(
                        "Invalid accelerator type {}.",
                        accel.unwrap_or(&Value::Null)
                    ),
                );
            }
            let count = machine
                .and_then(|m| m.get("acceleratorCount"))
                .and_then(json_u32)
                .filter(|c| *c > 0);
            if count.is_none() {
                violation(
                    &format!("{p}.machine_spec.accelerator_count"),
                    "Accelerator count must be a positive integer.".to_string(),
                );
            }
            if let (Some(m), Some(g), Some(c)) = (machine_type, gpu, count) {
                // On-demand checking waits for the strategy, read below.
                match g.machine_type(c, Capacity::Spot) {
                    Ok(want) if want == m => shape = Some((g, c, m)),
                    _ => violation(
                        &format!("{p}.machine_spec"),
                        format!(
                            "Machine type \"{m}\" does not support {c} accelerator(s) of type {}.",
                            g.accelerator_type()
                        ),
                    ),
                }
            }
            if let Some(r) = pool.get("replicaCount")
                && json_u32(r).is_none_or(|r| r == 0)
            {
                violation(
                    &format!("{p}.replica_count"),
                    "Replica count must be a positive integer.".to_string(),
                );
            }
            if non_empty_str(pool.get("containerSpec").and_then(|c| c.get("imageUri"))).is_none() {
                violation(&format!("{p}.container_spec.image_uri"), required.clone());
            }
        }
    }
    let strategy = spec
        .and_then(|s| s.get("scheduling"))
        .and_then(|s| s.get("strategy"));
    let capacity = match strategy.and_then(Value::as_str) {
        Some("SPOT") => Some(Capacity::Spot),
        Some(s) if STRATEGIES.contains(&s) => Some(Capacity::OnDemand),
        _ => {
            violation(
                "job_spec.scheduling.strategy",
                format!(
                    "Invalid scheduling strategy {}: expected one of {}.",
                    strategy.unwrap_or(&Value::Null),
                    STRATEGIES.join(", ")
                ),
            );
            None
        }
    };
    if let (Some((g, c, m)), Some(capacity)) = (shape, capacity)
        && g.machine_type(c, capacity).is_err()
    {
        violations.push((
            "job_spec.worker_pool_specs[0].machine_spec.machine_type".to_string(),
            format!("Machine type \"{m}\" is only available with SPOT or FLEX_START scheduling."),
        ));
    }
    match (shape, capacity) {
        (Some((gpu, count, _)), Some(capacity)) if violations.is_empty() => Ok(JobShape {
            gpu,
            count,
            capacity,
        }),
        _ => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"displayName": "train-1", "jobSpec": {"workerPoolSpecs": [{"machineSpec":
            {"machineType": "g2-standard-48", "acceleratorType": "NVIDIA_L4", "acceleratorCount": 4},
            "replicaCount": 1, "containerSpec": {"imageUri": "us-docker.pkg.dev/p/r/t:1"}}],
            "scheduling": {"strategy": "SPOT"}}})
    }

    fn fields(r: Result<JobShape, Vec<(String, String)>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_well_formed_body_gives_its_shape() {
        assert_eq!(
            validate_custom_job(&body()),
            Ok(JobShape {
                gpu: GpuType::L4,
                count: 4,
                capacity: Capacity::Spot
            })
        );
        let mut b = body();
        b["jobSpec"]["scheduling"]["strategy"] = json!("STANDARD");
        b["jobSpec"]["workerPoolSpecs"][0]["machineSpec"]["acceleratorCount"] = json!("4");
        let shape = validate_custom_job(&b).unwrap();
        assert_eq!((shape.count, shape.capacity), (4, Capacity::OnDemand));
    }

    #[test]
    fn every_violation_is_named_by_its_field() {
        assert_eq!(
            fields(validate_custom_job(&json!({}))),
            [
                "display_name",
                "job_spec.worker_pool_specs",
                "job_spec.scheduling.strategy"
            ]
        );
        let mut b = body();
        b["displayName"] = json!(" ");
        let pool = &mut b["jobSpec"]["workerPoolSpecs"][0];
        pool["machineSpec"]["acceleratorType"] = json!("NVIDIA_V100X");
        pool["machineSpec"]["acceleratorCount"] = json!(0);
        pool["containerSpec"] = json!({});
        pool["replicaCount"] = json!(0);
        b["jobSpec"]["scheduling"]["strategy"] = json!("CHEAP");
        let p = "job_spec.worker_pool_specs[0]";
        assert_eq!(
            fields(validate_custom_job(&b)),
            [
                "display_name".to_string(),
                format!("{p}.machine_spec.accelerator_type"),
                format!("{p}.machine_spec.accelerator_count"),
                format!("{p}.replica_count"),
                format!("{p}.container_spec.image_uri"),
                "job_spec.scheduling.strategy".to_string(),
            ]
        );
    }

    #[test]
    fn the_machine_type_must_carry_the_shape() {
        let mut b = body();
        b["jobSpec"]["workerPoolSpecs"][0]["machineSpec"]["machineType"] = json!("g2-standard-4");
        let e = validate_custom_job(&b).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "job_spec.worker_pool_specs[0].machine_spec");
        assert!(e[0].1.contains("g2-standard-4"), "{}", e[0].1);
    }
}
