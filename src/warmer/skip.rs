//! SERVICE_DISABLED once, in the warmer (SPEC §4, §7): when a batch's check answers
//! `service_disabled`, the activation URL is announced once ([`WarmerEvent::ServiceDisabled`])
//! and the service's remaining checks of the cycle land as failed with that same error,
//! without a request, so Google sees one request per disabled service per cycle.

use std::time::Duration;

use super::{CheckOutcome, CycleState, Shared, WarmerEvent};
use crate::catalog::Check;
use crate::gcp::ErrorKind;

/// After a batch: record the `service_disabled` answers among `outs` (announcing each
/// disabled API once per cycle), then settle the rest of the cycle's checks of every
/// disabled service and drop them from the repair queues. Caller holds the cycle mutex.
pub(super) fn note_disabled(
    shared: &Shared,
    st: &mut CycleState,
    outs: [&Option<(CheckOutcome, u32)>; 2],
) {
    for (out, _) in outs.into_iter().flatten() {
        if let Err(error) = &out.result
            && error.kind == ErrorKind::ServiceDisabled
            && st.disabled.note(out.check.service(), error)
        {
            shared.emit(WarmerEvent::ServiceDisabled {
                check: out.check.clone(),
                error: error.clone(),
            });
        }
    }
    if st.disabled.is_empty() {
        return;
    }
    let CycleState {
        disabled,
        gpu_repair,
        c3_repair,
        ..
    } = st;
    gpu_repair.retain(|(c, _)| disabled.error_for(c.service()).is_none());
    c3_repair.retain(|(c, _)| disabled.error_for(c.service()).is_none());
    if st.complete {
        return;
    }
    while let Some(check) = shared.gpu_checks.get(st.gpu_next).cloned() {
        if !settle_if_disabled(shared, st, check) {
            break;
        }
        st.gpu_next += 1;
    }
    while let Some(check) = shared.c3_checks.get(st.c3_next).cloned() {
        if !settle_if_disabled(shared, st, check) {
            break;
        }
        st.c3_next += 1;
    }
}

/// When `check`'s service is disabled in this cycle: write the service's error for it to
/// the cache, count it done and failed, and send `CheckLanded`. Returns whether it did.
fn settle_if_disabled(shared: &Shared, st: &mut CycleState, check: Check) -> bool {
    let Some(error) = st.disabled.error_for(check.service()).cloned() else {
        return false;
    };
    shared
        .store
        .record(&check, Err(error.clone()), Duration::ZERO);
    st.done += 1;
    st.failed += 1;
    shared.progress.lock().expect("progress lock").done = st.done;
    shared.emit(WarmerEvent::CheckLanded {
        outcome: CheckOutcome {
            check,
            result: Err(error),
            latency: Duration::ZERO,
        },
        done: st.done,
        total: shared.total(),
    });
    true
}
