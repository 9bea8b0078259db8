//! Tests of following a job from the Launch screen: a scripted source, a short interval on
//! tokio's paused clock.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::*;
use crate::catalog::{Capacity, Catalog, GpuType, Limit, MetricRequest};
use crate::gcp::{ErrorKind, QuotaSource};
use crate::launch::LaunchPlan;
use crate::store::MemoryStore;
use crate::tui::event::Event;
use crate::tui::theme::Theme;
use crate::warmer::{Warmer, WarmerConfig};

const NAME: &str = "projects/p/locations/us-west1/customJobs/42";

/// Answers `customJobs.get` from a script, in order; records when it was asked.
struct Scripted {
    answers: Mutex<VecDeque<Result<&'static str, ErrorKind>>>,
    asked: Mutex<Vec<Instant>>,
}

#[async_trait]
impl JobSource for Scripted {
    async fn get_job(&self, name: &str) -> Result<CustomJob, ApiError> {
        self.asked.lock().unwrap().push(Instant::now());
        let next = self.answers.lock().unwrap().pop_front().expect("scripted");
        next.map(|state| CustomJob {
            name: name.into(),
            state: state.into(),
            ..CustomJob::default()
        })
        .map_err(|kind| ApiError::new(kind, "scripted failure"))
    }
}

struct NoQuota;

#[async_trait]
impl QuotaSource for NoQuota {
    async fn fetch_metric(
        &self,
        _request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        unreachable!("never asked")
    }
}

fn ctx() -> (ScreenCtx, mpsc::Receiver<Event>) {
    let catalog = Catalog::default();
    let store = Arc::new(MemoryStore::new(Duration::from_secs(1800)));
    let warmer = Warmer::new(WarmerConfig::default(), &catalog, Arc::new(NoQuota), store);
    let (tx, rx) = mpsc::channel(8);
    let ctx = ScreenCtx::new(
        "T".into(),
        "p".into(),
        catalog,
        Theme::colored(),
        warmer.handle(),
        tx,
        Vec::new(),
        None,
    );
    (ctx, rx)
}

fn created() -> Created {
    let plan = LaunchPlan::new(
        GpuType::T4,
        1,
        Capacity::Spot,
        "us-west1",
        "gcr.io/x/y:1",
        "j",
    )
    .unwrap();
    Created {
        plan,
        console_url: String::new(),
        job: CustomJob {
            name: NAME.into(),
            state: "JOB_STATE_QUEUED".into(),
            ..CustomJob::default()
        },
        read_back_error: None,
        created_state: "JOB_STATE_QUEUED".into(),
    }
}

/// With a 1 s interval (the policy is the screen's field), asks come 1 s after an
/// answer, 2 s then 4 s after failures in a row, and stop at RUNNING.
#[tokio::test(start_paused = true)]
async fn asks_every_interval_backs_off_after_failures_and_stops_at_running() {
    let source = Arc::new(Scripted {
        answers: Mutex::new(VecDeque::from([
            Err(ErrorKind::Unavailable),
            Err(ErrorKind::RateLimited),
            Ok("JOB_STATE_PENDING"),
            Ok("JOB_STATE_PENDING"),
            Ok("JOB_STATE_RUNNING"),
        ])),
        asked: Mutex::new(Vec::new()),
    });
    let policy = WaitPolicy {
        interval: Duration::from_secs(1),
        ..WaitPolicy::default()
    };
    let (mut ctx, mut rx) = ctx();
    let t0 = Instant::now();
    ctx.stamp();
    let mut follow = Follow::start(&created(), source.clone(), policy, true, &mut ctx);
    assert!(follow.polling());
    while follow.polling() {
        let Some(Event::Task(done)) = rx.recv().await else {
            panic!("a task answer");
        };
        let event = done.into_payload().downcast::<LaunchEvent>().unwrap();
        ctx.stamp();
        assert!(follow.land(&event, &mut ctx));
    }
    let asked: Vec<u64> = source
        .asked
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.duration_since(t0).as_secs())
        .collect();
    // 1 s, then +2 s and +4 s after the failures, then 1 s apart again.
    assert_eq!(asked, [1, 3, 7, 8, 9]);
    assert_eq!(follow.status, FollowStatus::Arrived);
    let states: Vec<(&str, u64)> = follow
        .tracker
        .changes()
        .iter()
        .map(|c| (c.state.as_str(), c.after.as_secs()))
        .collect();
    assert_eq!(
        states,
        [
            ("JOB_STATE_QUEUED", 0),
            ("JOB_STATE_PENDING", 7),
            ("JOB_STATE_RUNNING", 9)
        ]
    );
    assert_eq!(follow.seen.len(), 3, "a wall time per change");
    assert!(
        tokio::time::timeout(Duration::from_secs(600), rx.recv())
            .await
            .is_err(),
        "nothing asked after RUNNING"
    );
}

/// An error asking again cannot mend (`permission`) loses the job at once; `f` resumes.
#[tokio::test(start_paused = true)]
async fn a_permanent_error_loses_the_job_and_resume_asks_at_once() {
    let source = Arc::new(Scripted {
        answers: Mutex::new(VecDeque::from([
            Err(ErrorKind::Permission),
            Ok("JOB_STATE_RUNNING"),
        ])),
        asked: Mutex::new(Vec::new()),
    });
    let (mut ctx, mut rx) = ctx();
    let mut follow = Follow::start(
        &created(),
        source.clone(),
        WaitPolicy::default(),
        true,
        &mut ctx,
    );
    let Some(Event::Task(done)) = rx.recv().await else {
        panic!("a task answer");
    };
    ctx.stamp();
    let event = done.into_payload().downcast::<LaunchEvent>().unwrap();
    follow.land(&event, &mut ctx);
    assert!(matches!(follow.status, FollowStatus::Lost(ref e) if e.kind == ErrorKind::Permission));
    let before = Instant::now();
    assert!(follow.resume(&mut ctx));
    let Some(Event::Task(done)) = rx.recv().await else {
        panic!("a task answer");
    };
    assert_eq!(before.elapsed(), Duration::ZERO, "asked at once");
    ctx.stamp();
    let event = done.into_payload().downcast::<LaunchEvent>().unwrap();
    follow.land(&event, &mut ctx);
    assert_eq!(follow.status, FollowStatus::Arrived);
    assert!(!follow.resume(&mut ctx), "nothing to resume once it runs");
}
