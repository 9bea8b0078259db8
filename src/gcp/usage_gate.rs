//! Usage failures during one pass (a warmer cycle, one `check`): said once, and not asked
//! again when Cloud Monitoring refused for the whole project (SPEC §4 Usage: "the reason is
//! given once per cycle").
//!
//! `monitoring.timeSeries.list` is granted on the project (Monitoring Viewer,
//! `roles/monitoring.viewer`: <https://cloud.google.com/monitoring/access-control>), and the
//! Cloud Monitoring API is enabled per project, so a `permission` or `service_disabled`
//! answer for one quota metric holds for every other: the gate closes and the other metrics'
//! usage is answered with that error without a request, as a disabled service's limits are
//! ([`super::disabled::DisabledServices`]). Any other failure (timeout, rate limited,
//! unavailable, parse) is the metric's own, asked again next time, and announced once per
//! kind in the pass.

use std::collections::HashSet;

use super::error::{ApiError, ErrorKind};

/// The usage failures of one pass.
#[derive(Debug, Default, Clone)]
pub struct UsageGate {
    /// The project-wide refusal that closed the gate, if any.
    closed: Option<ApiError>,
    /// Error kinds already announced in this pass.
    announced: HashSet<ErrorKind>,
}

impl UsageGate {
    /// The error to answer a metric's usage with, without asking: Cloud Monitoring refused
    /// for the whole project earlier in this pass.
    pub fn error(&self) -> Option<&ApiError> {
        self.closed.as_ref()
    }

    /// Record a usage failure. Returns true when it is the first of its kind in this pass
    /// (so the caller says why usage is unknown, once). A `permission` or `service_disabled`
    /// error closes the gate.
    pub fn note(&mut self, error: &ApiError) -> bool {
        if matches!(
            error.kind,
            ErrorKind::Permission | ErrorKind::ServiceDisabled
        ) && self.closed.is_none()
        {
            self.closed = Some(error.clone());
        }
        self.announced.insert(error.kind)
    }

    /// Forget everything: a new pass asks Cloud Monitoring again.
    pub fn clear(&mut self) {
        self.closed = None;
        self.announced.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_wide_refusal_closes_the_gate_and_each_kind_is_said_once() {
        let mut g = UsageGate::default();
        assert!(g.error().is_none());
        let slow = ApiError::new(ErrorKind::Timeout, "late");
        assert!(g.note(&slow), "first timeout: said");
        assert!(!g.note(&slow), "second timeout: not again");
        assert!(g.error().is_none(), "a timeout is the metric's own");
        let denied = ApiError::new(ErrorKind::Permission, "monitoring.timeSeries.list");
        assert!(g.note(&denied));
        assert_eq!(g.error(), Some(&denied));
        assert!(!g.note(&denied));
        let off = ApiError::new(ErrorKind::ServiceDisabled, "off");
        assert!(g.note(&off), "another kind: said");
        assert_eq!(g.error(), Some(&denied), "the first refusal stays");
        g.clear();
        assert!(g.error().is_none());
        assert!(g.note(&denied), "said again in the next pass");
    }
}
