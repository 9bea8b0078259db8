//! Tests of following a job: the tracker and the policy without tokio, the loop on tokio's
//! paused clock against a scripted source.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::*;

fn job(state: &str) -> CustomJob {
    CustomJob {
        name: "projects/p/locations/us-west1/customJobs/1234567890123456789".into(),
        state: state.into(),
        ..CustomJob::default()
    }
}

#[test]
fn the_tracker_reports_each_change_once_and_knows_where_a_state_leads() {
    let mut t = JobTracker::default();
    assert_eq!(t.phase(), Phase::Waiting);
    let s = Duration::from_secs;
    assert!(t.observe(&job("JOB_STATE_QUEUED"), s(0)).is_some());
    assert_eq!(
        t.observe(&job("JOB_STATE_QUEUED"), s(10)),
        None,
        "no change"
    );
    let pending = t.observe(&job("JOB_STATE_PENDING"), s(20)).unwrap();
    assert_eq!(
        pending,
        StateChange {
            state: "JOB_STATE_PENDING".into(),
            after: s(20)
        }
    );
    assert_eq!(t.phase(), Phase::Waiting);
    t.observe(&job("JOB_STATE_RUNNING"), s(30));
    assert_eq!(t.phase(), Phase::Arrived);
    assert_eq!(t.changes().len(), 3);
    assert!(t.observe(&job(""), s(40)).is_some());
    assert_eq!(t.state(), Some("(not given)"));
    for (state, phase) in [
        ("JOB_STATE_SUCCEEDED", Phase::Arrived),
        ("JOB_STATE_FAILED", Phase::Ended),
        ("JOB_STATE_CANCELLED", Phase::Ended),
        ("JOB_STATE_EXPIRED", Phase::Ended),
        ("JOB_STATE_CANCELLING", Phase::Waiting),
        ("JOB_STATE_PAUSED", Phase::Waiting),
        ("JOB_STATE_SOMETHING_NEW", Phase::Waiting),
    ] {
        assert_eq!(Phase::of(state), phase, "{state}");
    }
}

#[test]
fn the_policy_backs_off_and_gives_up_bounded() {
    let p = WaitPolicy::default();
    let s = Duration::from_secs;
    let delays: Vec<Duration> = (0..6).map(|f| p.delay(f)).collect();
    assert_eq!(delays, [s(10), s(20), s(40), s(60), s(60), s(60)]);
    assert_eq!(p.delay(u32::MAX), s(60));
    let flaky = ApiError::new(ErrorKind::Unavailable, "503");
    assert!(!p.gives_up(&flaky, 5));
    assert!(p.gives_up(&flaky, 6));
    for kind in [ErrorKind::NotFound, ErrorKind::Permission, ErrorKind::Auth] {
        assert!(p.gives_up(&ApiError::new(kind, "no"), 1), "{kind:?}");
    }
}

/// Answers the scripted results in order (the last one again when they run out), noting when
/// each was asked.
struct Script {
    answers: Mutex<VecDeque<Result<CustomJob, ApiError>>>,
    asked: Mutex<Vec<Duration>>,
    started: Instant,
}

impl Script {
    fn new(answers: Vec<Result<CustomJob, ApiError>>) -> Self {
        Script {
            answers: Mutex::new(answers.into()),
            asked: Mutex::new(Vec::new()),
            started: Instant::now(),
        }
    }
}

#[async_trait]
impl JobSource for Script {
    async fn get_job(&self, name: &str) -> Result<CustomJob, ApiError> {
        assert!(name.ends_with("/customJobs/1234567890123456789"));
        self.asked.lock().unwrap().push(self.started.elapsed());
        let mut a = self.answers.lock().unwrap();
        if a.len() > 1 {
            a.pop_front().unwrap()
        } else {
            a.front().cloned().unwrap()
        }
    }
}

async fn run(script: &Script, first: &CustomJob) -> (WaitEnd, Vec<WaitEvent>) {
    let mut events = Vec::new();
    let known = std::slice::from_ref(first);
    let end = follow(script, known, WaitPolicy::default(), &mut |e| {
        events.push(e)
    })
    .await;
    (end, events)
}

#[tokio::test(start_paused = true)]
async fn follows_queued_pending_running_every_10_seconds() {
    let script = Script::new(vec![
        Ok(job("JOB_STATE_QUEUED")),
        Ok(job("JOB_STATE_PENDING")),
        Ok(job("JOB_STATE_PENDING")),
        Ok(job("JOB_STATE_RUNNING")),
    ]);
    let (end, events) = run(&script, &job("JOB_STATE_QUEUED")).await;
    let s = Duration::from_secs;
    assert_eq!(
        end,
        WaitEnd::Arrived {
            state: "JOB_STATE_RUNNING".into(),
            after: s(40)
        }
    );
    let changes: Vec<(String, Duration)> = events
        .iter()
        .map(|e| match e {
            WaitEvent::Changed(c) => (c.state.clone(), c.after),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("JOB_STATE_QUEUED".to_string(), s(0)),
            ("JOB_STATE_PENDING".to_string(), s(20)),
            ("JOB_STATE_RUNNING".to_string(), s(40)),
        ]
    );
    assert_eq!(*script.asked.lock().unwrap(), [s(10), s(20), s(30), s(40)]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_ends_with_googles_error_and_a_running_one_at_once() {
    let mut failed = job("JOB_STATE_FAILED");
    failed.error = Some(JobStatus {
        code: 3,
        message: "The replica workerpool0-0 exited with a non-zero status of 1.".into(),
    });
    let script = Script::new(vec![Ok(failed.clone())]);
    let (end, _) = run(&script, &job("JOB_STATE_PENDING")).await;
    assert_eq!(
        end,
        WaitEnd::Ended {
            state: "JOB_STATE_FAILED".into(),
            error: failed.error.clone(),
            after: Duration::from_secs(10)
        }
    );
    // Already running when submitted: nothing is asked.
    let script = Script::new(vec![Ok(failed)]);
    let (end, events) = run(&script, &job("JOB_STATE_RUNNING")).await;
    assert!(matches!(end, WaitEnd::Arrived { after, .. } if after.is_zero()));
    assert_eq!(events.len(), 1);
    assert!(script.asked.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn failed_asks_back_off_then_recover_or_give_up() {
    let down = || Err(ApiError::new(ErrorKind::Unavailable, "503"));
    let script = Script::new(vec![down(), down(), Ok(job("JOB_STATE_RUNNING"))]);
    let (end, events) = run(&script, &job("JOB_STATE_QUEUED")).await;
    let s = Duration::from_secs;
    // Asked at 10 s, then 20 s and 40 s later.
    assert_eq!(*script.asked.lock().unwrap(), [s(10), s(30), s(70)]);
    assert!(matches!(end, WaitEnd::Arrived { after, .. } if after == s(70)));
    let retries: Vec<(u32, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            WaitEvent::PollFailed {
                failures, retry_in, ..
            } => Some((*failures, *retry_in)),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [(1, s(20)), (2, s(40))]);

    let script = Script::new(vec![down()]);
    let (end, _) = run(&script, &job("JOB_STATE_QUEUED")).await;
    assert!(matches!(&end, WaitEnd::Lost { error, .. } if error.kind == ErrorKind::Unavailable));
    assert_eq!(script.asked.lock().unwrap().len(), 6, "bounded: 6 asks");

    let script = Script::new(vec![Err(ApiError::new(ErrorKind::NotFound, "gone"))]);
    let (end, _) = run(&script, &job("JOB_STATE_QUEUED")).await;
    assert!(matches!(end, WaitEnd::Lost { after, .. } if after == s(10)));
    assert_eq!(script.asked.lock().unwrap().len(), 1, "not found: at once");
}

#[tokio::test(start_paused = true)]
async fn the_answers_in_hand_come_first() {
    let script = Script::new(vec![Ok(job("JOB_STATE_RUNNING"))]);
    let mut events = Vec::new();
    let known = [job("JOB_STATE_QUEUED"), job("JOB_STATE_PENDING")];
    let end = follow(&script, &known, WaitPolicy::default(), &mut |e| {
        events.push(e)
    })
    .await;
    let states: Vec<(String, Duration)> = events
        .into_iter()
        .map(|e| match e {
            WaitEvent::Changed(c) => (c.state, c.after),
            other => panic!("{other:?}"),
        })
        .collect();
    let s = Duration::from_secs;
    assert_eq!(
        states,
        [
            ("JOB_STATE_QUEUED".to_string(), s(0)),
            ("JOB_STATE_PENDING".to_string(), s(0)),
            ("JOB_STATE_RUNNING".to_string(), s(10)),
        ]
    );
    assert!(matches!(end, WaitEnd::Arrived { after, .. } if after == s(10)));
}
