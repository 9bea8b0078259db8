//! SERVICE_DISABLED once (SPEC §4): after a service's API answered `service_disabled`, its
//! other metric requests are not sent until the next cycle (or the next `check` run), and the
//! activation URL is announced once per disabled API, not once per check.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{ApiError, ErrorKind};

/// The services found disabled during one pass (a warmer cycle, one `check`), keyed by the
/// service a request was for (`aiplatform.googleapis.com`, `cloudbuild.googleapis.com`).
#[derive(Debug, Default, Clone)]
pub struct DisabledServices {
    by_service: BTreeMap<String, ApiError>,
    /// What has been announced: the activation URL, else the disabled API's name.
    announced: BTreeSet<String>,
}

impl DisabledServices {
    /// The `ServiceDisabled` error a request to `service` got in this pass, if any: the
    /// answer for every other check of that service, without sending a request.
    pub fn error_for(&self, service: &str) -> Option<&ApiError> {
        self.by_service.get(service)
    }

    /// Record `error` for a request to `service`. Returns true when the error is a
    /// `ServiceDisabled` for an API not announced yet in this pass (so the caller shows the
    /// activation URL now); false for other kinds and for an API already announced (e.g.
    /// the Service Usage API, disabled for both services' requests).
    pub fn note(&mut self, service: &str, error: &ApiError) -> bool {
        if error.kind != ErrorKind::ServiceDisabled {
            return false;
        }
        self.by_service
            .entry(service.to_string())
            .or_insert_with(|| error.clone());
        self.announced.insert(announce_key(service, error))
    }

    /// Forget everything: a new pass asks every service again.
    pub fn clear(&mut self) {
        self.by_service.clear();
        self.announced.clear();
    }

    /// True when no service was found disabled.
    pub fn is_empty(&self) -> bool {
        self.by_service.is_empty()
    }
}

/// What makes two `ServiceDisabled` answers the same announcement: the activation URL, else
/// the API Google named (ErrorInfo `service`), else the service the request was for.
pub fn announce_key(service: &str, error: &ApiError) -> String {
    error
        .details
        .activation_url
        .clone()
        .or_else(|| error.details.service().map(str::to_string))
        .unwrap_or_else(|| service.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disabled(url: Option<&str>) -> ApiError {
        let mut e = ApiError::new(ErrorKind::ServiceDisabled, "API has not been used");
        e.details.activation_url = url.map(str::to_string);
        e
    }

    #[test]
    fn one_announcement_per_disabled_api_and_a_gate_per_service() {
        let mut d = DisabledServices::default();
        assert!(d.is_empty());
        assert!(!d.note("a", &ApiError::new(ErrorKind::Permission, "no")));
        assert!(
            d.error_for("a").is_none(),
            "only ServiceDisabled closes a gate"
        );
        let su = disabled(Some("https://console/serviceusage"));
        assert!(d.note("aiplatform.googleapis.com", &su), "first: announce");
        assert!(
            !d.note("cloudbuild.googleapis.com", &su),
            "same disabled API, other service: no second announcement"
        );
        assert_eq!(d.error_for("cloudbuild.googleapis.com"), Some(&su));
        assert!(
            d.note("x", &disabled(None)),
            "keyed by the service without a URL"
        );
        d.clear();
        assert!(d.error_for("aiplatform.googleapis.com").is_none());
        assert!(
            d.note("aiplatform.googleapis.com", &su),
            "announced again after clear"
        );
    }
}
