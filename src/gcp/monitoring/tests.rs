//! Unit tests of the usage client: the URL, the filter, regions without a series.

use super::*;

const T4: &str = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";

fn client() -> MonitoringClient {
    MonitoringClient::new("my-project", "http://127.0.0.1:9/", TokenSource::demo()).unwrap()
}

#[test]
fn the_url_asks_for_the_last_hour_of_one_quota_metric() {
    let end = DateTime::parse_from_rfc3339("2026-03-04T05:06:07.891Z")
        .unwrap()
        .with_timezone(&Utc);
    let url = client().timeseries_url(T4, end, None).unwrap();
    let parsed = reqwest::Url::parse(&url).unwrap();
    assert_eq!(parsed.path(), "/v3/projects/my-project/timeSeries");
    let q: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(
        q["filter"],
        format!(
            "metric.type=\"serviceruntime.googleapis.com/quota/allocation/usage\" AND \
             resource.type=\"consumer_quota\" AND metric.labels.quota_metric=\"{T4}\""
        )
    );
    assert_eq!(q["interval.startTime"], "2026-03-04T04:06:07Z");
    assert_eq!(q["interval.endTime"], "2026-03-04T05:06:07Z");
    assert_eq!(q["aggregation.alignmentPeriod"], "3600s");
    assert_eq!(q["aggregation.perSeriesAligner"], "ALIGN_NEXT_OLDER");
    assert_eq!(q["view"], "FULL");
    assert!(!q.contains_key("pageToken"));
    let next = client().timeseries_url(T4, end, Some("a b&c")).unwrap();
    let q: BTreeMap<String, String> = reqwest::Url::parse(&next)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(
        q["pageToken"], "a b&c",
        "the token is encoded and decodes back"
    );
}

#[test]
fn refuses_what_could_break_the_filter_or_the_url() {
    for bad in ["", "a\"b", "m/x\" OR metric.type=\"y", "a b", "é"] {
        let e = usage_filter(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{bad:?}");
    }
    assert!(
        MonitoringClient::new("Bad_Project", DEFAULT_MONITORING_URL, TokenSource::demo()).is_err()
    );
    assert!(MonitoringClient::new("my-project", "ftp://x", TokenSource::demo()).is_err());
}

#[test]
fn a_region_without_a_series_has_nothing_in_use() {
    let u = Usage {
        by_location: BTreeMap::from([("us-east1".into(), 3), ("global".into(), 9)]),
        pages: 1,
        attempts: 1,
    };
    let regions = ["us-east1".to_string(), "us-west1".to_string()];
    assert_eq!(u.in_regions(&regions), [3, 0]);
}
