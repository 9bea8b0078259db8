//! The `ListTimeSeriesResponse` of Cloud Monitoring v3 and how quota usage is read from it.
//!
//! Shapes are the Monitoring v3 Discovery document's (`monitoring/v3/monitoring-api.json` in
//! googleapis/google-api-go-client; <https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list>):
//! `{"timeSeries": [TimeSeries], "nextPageToken": string, "executionErrors": [Status],
//! "unit": string}`; a `TimeSeries` has `metric {type, labels}`, `resource {type, labels}`,
//! `metricKind`, `valueType` and `points`, "returned in reverse time order (most recent to
//! oldest)"; a `Point` has `interval {startTime, endTime}` and `value`, a `TypedValue` whose
//! `int64Value` is an int64, which proto3 JSON sends as a string. Proto3 JSON leaves out
//! fields at their default, so a point whose value is 0 comes as `"value": {}`, and an
//! empty answer as `{}`. Unknown fields are ignored.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::gcp::error::{ApiError, ErrorKind};

/// One page of `projects.timeSeries.list`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ListTimeSeriesResponse {
    pub time_series: Vec<TimeSeries>,
    pub next_page_token: String,
    /// "Query execution errors that may have caused the time series data returned to be
    /// incomplete": `google.rpc.Status`, of which only the message is kept.
    pub execution_errors: Vec<ExecutionError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExecutionError {
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TimeSeries {
    pub metric: Labelled,
    pub resource: Labelled,
    pub points: Vec<Point>,
}

/// A `google.api.Metric` or `google.api.MonitoredResource`: a type and its labels.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Labelled {
    #[serde(rename = "type")]
    pub kind: String,
    pub labels: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Point {
    pub interval: Interval,
    pub value: TypedValue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Interval {
    pub end_time: String,
}

/// A `TypedValue`: `int64Value` (a string in proto3 JSON; a JSON number is accepted too),
/// or, for other metrics, `doubleValue`. Both absent is 0.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct TypedValue {
    pub int64_value: Option<serde_json::Value>,
    pub double_value: Option<f64>,
}

impl TypedValue {
    /// The value as a count: `int64Value` as a decimal string or number; an integral,
    /// finite `doubleValue`; 0 when neither is present (proto3 JSON omits a zero).
    /// Errors (kind `Parse`) for anything else, or a negative value.
    fn count(&self, location: &str) -> Result<i64, ApiError> {
        let bad = |what: String| {
            ApiError::new(
                ErrorKind::Parse,
                format!("usage in {location}: {what} is not a count"),
            )
        };
        let n = match (&self.int64_value, self.double_value) {
            (Some(serde_json::Value::String(s)), _) => {
                s.trim().parse::<i64>().map_err(|_| bad(format!("{s:?}")))?
            }
            (Some(serde_json::Value::Number(n)), _) => {
                n.as_i64().ok_or_else(|| bad(n.to_string()))?
            }
            (Some(other), _) => return Err(bad(other.to_string())),
            (None, Some(d)) if d.is_finite() && d.fract() == 0.0 && d.abs() < 9.0e15 => d as i64,
            (None, Some(d)) => return Err(bad(d.to_string())),
            (None, None) => 0,
        };
        if n < 0 {
            return Err(bad(n.to_string()));
        }
        Ok(n)
    }
}

/// The latest point of one series seen so far: its end time (when it parsed) and value.
#[derive(Debug, Clone, Copy)]
struct Latest {
    end: Option<DateTime<Utc>>,
    value: i64,
}

/// Reads the usage of one quota metric from the pages of its `timeSeries.list` answer.
///
/// - Each series is keyed by its `resource.labels.location` and its `metric.labels.limit_name`
///   (a quota metric with several limits, e.g. a per-region and a project-wide one, has one
///   usage series per limit and location); a series without a location cannot be placed
///   and is skipped.
/// - Of each series, the point with the latest `interval.endTime` counts (Google sends them
///   newest first; when end times cannot be compared, the first one sent wins). A series
///   cut across pages is joined the same way.
/// - A location with several series (several limits) counts the largest: they all measure
///   the same allocation, and the largest never overstates what is free.
/// - A series whose `metric.labels.quota_metric` names another metric is an error (kind
///   `Parse`): the answer is not for the question asked.
#[derive(Debug)]
pub(crate) struct UsageReader<'a> {
    metric: &'a str,
    latest: BTreeMap<(String, String), Latest>,
    series: usize,
}

impl<'a> UsageReader<'a> {
    pub(crate) fn new(metric: &'a str) -> Self {
        UsageReader {
            metric,
            latest: BTreeMap::new(),
            series: 0,
        }
    }

    /// Take in one page. Errors (kind `Parse`): a series of another quota metric, or a value
    /// that is not a count.
    pub(crate) fn add(&mut self, page: &ListTimeSeriesResponse) -> Result<(), ApiError> {
        for ts in &page.time_series {
            if let Some(other) = ts.metric.labels.get("quota_metric")
                && other != self.metric
            {
                return Err(ApiError::new(
                    ErrorKind::Parse,
                    format!(
                        "asked for the usage of {}, the answer has a series of {other}",
                        self.metric
                    ),
                ));
            }
            let Some(location) = ts.resource.labels.get("location") else {
                tracing::debug!(
                    metric = self.metric,
                    "a usage series without a location: skipped"
                );
                continue;
            };
            self.series += 1;
            let limit = ts
                .metric
                .labels
                .get("limit_name")
                .cloned()
                .unwrap_or_default();
            let Some(newest) = newest_point(&ts.points, location)? else {
                continue;
            };
            self.latest
                .entry((location.clone(), limit))
                .and_modify(|seen| {
                    if let (Some(a), Some(b)) = (seen.end, newest.end)
                        && b > a
                    {
                        *seen = newest;
                    }
                })
                .or_insert(newest);
        }
        Ok(())
    }

    /// Series read so far (fragments of one series cut across pages count once per page).
    pub(crate) fn series(&self) -> usize {
        self.series
    }

    /// In use per location: the latest point of each series, the largest per location.
    pub(crate) fn by_location(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for ((location, _limit), latest) in &self.latest {
            let v = out.entry(location.clone()).or_insert(0i64);
            *v = (*v).max(latest.value);
        }
        out
    }
}

/// The point with the latest end time (the first of equals, or of points whose end time
/// does not parse), with its value; `None` for a series without points.
fn newest_point(points: &[Point], location: &str) -> Result<Option<Latest>, ApiError> {
    let mut best: Option<Latest> = None;
    for p in points {
        let end = DateTime::parse_from_rfc3339(&p.interval.end_time)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        let newer = match (&best, end) {
            (None, _) => true,
            (Some(Latest { end: Some(a), .. }), Some(b)) => b > *a,
            _ => false,
        };
        if newer {
            best = Some(Latest {
                end,
                value: p.value.count(location)?,
            });
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(v: serde_json::Value) -> ListTimeSeriesResponse {
        serde_json::from_value(v).unwrap()
    }

    fn series(location: &str, limit: &str, points: serde_json::Value) -> serde_json::Value {
        json!({"metric": {"type": "serviceruntime.googleapis.com/quota/allocation/usage",
                          "labels": {"quota_metric": "m/x", "limit_name": limit}},
               "resource": {"type": "consumer_quota",
                            "labels": {"project_id": "p", "service": "m", "location": location}},
               "metricKind": "GAUGE", "valueType": "INT64", "points": points})
    }

    fn point(end: &str, value: serde_json::Value) -> serde_json::Value {
        json!({"interval": {"startTime": end, "endTime": end}, "value": value})
    }

    #[test]
    fn latest_point_per_location_and_the_largest_limit() {
        let mut r = UsageReader::new("m/x");
        r.add(&page(json!({"timeSeries": [
            series("us-east1", "PerRegion", json!([
                point("2026-01-01T10:02:00Z", json!({"int64Value": "3"})),
                point("2026-01-01T10:01:00Z", json!({"int64Value": "9"}))])),
            // Out of order: the latest end time wins, not the position.
            series("us-west1", "PerRegion", json!([
                point("2026-01-01T10:01:00Z", json!({"int64Value": "1"})),
                point("2026-01-01T10:03:00Z", json!({}))])),
            series("global", "PerProject", json!([point("2026-01-01T10:02:00Z", json!({"int64Value": 7}))])),
            series("us-east1", "Other", json!([point("2026-01-01T10:02:00Z", json!({"int64Value": "5"}))])),
            series("europe-west4", "PerRegion", json!([])),
        ]})))
        .unwrap();
        let got = r.by_location();
        assert_eq!(
            got.get("us-east1"),
            Some(&5),
            "largest of two limits: {got:?}"
        );
        assert_eq!(got.get("us-west1"), Some(&0), "a zero point is `{{}}`");
        assert_eq!(got.get("global"), Some(&7));
        assert_eq!(got.get("europe-west4"), None, "no points, no value");
        assert_eq!(r.series(), 5);
    }

    #[test]
    fn a_series_cut_across_pages_keeps_its_newest_point() {
        let mut r = UsageReader::new("m/x");
        let a = page(json!({"timeSeries": [series("us-east1", "L",
            json!([point("2026-01-01T10:00:00Z", json!({"int64Value": "2"}))]))]}));
        let b = page(json!({"timeSeries": [series("us-east1", "L",
            json!([point("2026-01-01T10:05:00Z", json!({"int64Value": "4"}))]))]}));
        r.add(&b).unwrap();
        r.add(&a).unwrap();
        assert_eq!(r.by_location().get("us-east1"), Some(&4));
    }

    #[test]
    fn bad_values_and_other_metrics_are_parse_errors() {
        for value in [
            json!({"int64Value": "x"}),
            json!({"int64Value": "-1"}),
            json!({"doubleValue": 1.5}),
            json!({"int64Value": true}),
        ] {
            let mut r = UsageReader::new("m/x");
            let e = r
                .add(&page(json!({"timeSeries": [series("us-east1", "L",
                    json!([point("2026-01-01T10:00:00Z", value.clone())]))]})))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Parse, "{value}: {e}");
            assert!(e.message.contains("us-east1"), "{e}");
        }
        let mut r = UsageReader::new("m/y");
        let e = r
            .add(&page(
                json!({"timeSeries": [series("us-east1", "L", json!([]))]}),
            ))
            .unwrap_err();
        assert!(e.message.contains("a series of m/x"), "{e}");
        // A double that is a whole number is a count.
        let mut r = UsageReader::new("m/x");
        r.add(&page(json!({"timeSeries": [series("us-east1", "L",
            json!([point("2026-01-01T10:00:00Z", json!({"doubleValue": 6.0}))]))]})))
            .unwrap();
        assert_eq!(r.by_location().get("us-east1"), Some(&6));
    }

    #[test]
    fn an_empty_answer_is_proto3s_empty_object() {
        let p = page(json!({}));
        assert!(p.time_series.is_empty() && p.next_page_token.is_empty());
        let mut r = UsageReader::new("m/x");
        r.add(&p).unwrap();
        assert!(r.by_location().is_empty());
    }
}
