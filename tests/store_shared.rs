//! Warmers sharing one Redis store (SPEC §11, issue 15), against a real `redis-server`
//! (skipped with a note when it is missing): one warmer's requests per cycle whatever the
//! number of instances, every instance with the same values, warm-now answered by the holder,
//! and the lease moving when the holder leaves.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_source::FakeSource;
use common::redis_server::TestRedis;
use quota_tui::catalog::{Capacity, Catalog};
use quota_tui::store::redis::{
    LeaseState, RedisOptions, RedisStore, RedisTarget, Role, WarmNowAnswer,
};
use quota_tui::store::{MemoryStore, QuotaStore, SystemClock};
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerHandle, share};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One instance: its own store, warmer and Google (a fake source counting requests).
struct Instance {
    redis: Arc<RedisStore>,
    source: Arc<FakeSource>,
    handle: WarmerHandle,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Instance {
    fn start(server: &TestRedis) -> Instance {
        let local = Arc::new(MemoryStore::with_clock(
            Duration::from_secs(1800),
            Arc::new(SystemClock),
        ));
        let options = RedisOptions {
            role: Role::Warmer,
            lease_time: Duration::from_millis(1500),
            renew_every: Duration::from_millis(300),
        };
        let target = RedisTarget::parse(&server.url()).unwrap();
        let redis = Arc::new(RedisStore::connect(
            target,
            "team",
            Capacity::Spot,
            local,
            options,
        ));
        let source = FakeSource::fixed(Duration::from_millis(20), 8);
        let cfg = WarmerConfig {
            interval: Duration::from_millis(50),
            ..WarmerConfig::default()
        };
        let warmer = Warmer::new(cfg, &Catalog::default(), source.clone(), redis.clone());
        warmer.resume_from_store();
        let cancel = CancellationToken::new();
        let sharing = share::share(&warmer, redis.clone(), cancel.clone());
        let (handle, task) = warmer.start(cancel.clone());
        Instance {
            redis,
            source,
            handle,
            cancel,
            tasks: vec![sharing, task],
        }
    }

    fn requests(&self) -> usize {
        self.source.requests().len()
    }

    fn holds(&self) -> bool {
        *self.redis.lease().borrow() == LeaseState::Held
    }

    fn values(&self) -> Vec<Option<quota_tui::catalog::Limit>> {
        let checks = Catalog::default().all_checks();
        self.redis.peek(&checks).iter().map(|c| c.limit()).collect()
    }

    async fn stop(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        self.redis.shutdown().await;
    }
}

async fn eventually(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not within {within:?}: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_one_warmer_one_cycle_of_requests_same_values() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let instances: Vec<Instance> = (0..3).map(|_| Instance::start(&server)).collect();
    eventually(
        Duration::from_secs(10),
        "every instance has 38 values",
        || {
            instances
                .iter()
                .all(|i| i.values().iter().all(Option::is_some))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts: Vec<usize> = instances.iter().map(Instance::requests).collect();
    assert_eq!(
        counts.iter().sum::<usize>(),
        6,
        "one cycle, one warmer: {counts:?}"
    );
    assert_eq!(counts.iter().filter(|&&n| n > 0).count(), 1, "{counts:?}");
    let holder = counts.iter().position(|&n| n > 0).unwrap();
    assert!(instances[holder].holds());
    let values = instances[holder].values();
    for i in &instances {
        assert_eq!(i.values(), values, "every instance shows the same values");
    }
    let reader = &instances[(holder + 1) % 3];
    let mut progress = reader.redis.progress();
    let seen = progress
        .wait_for(|p| p.as_ref().is_some_and(|p| p.complete))
        .await
        .unwrap()
        .clone()
        .unwrap();
    assert_eq!((seen.done, seen.total), (38, 38));

    // Warm now from a reader: the holder starts a cycle; still only its requests.
    let answer = reader
        .redis
        .request_warm_now(Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(answer, WarmNowAnswer::Started);
    let again = reader
        .redis
        .request_warm_now(Duration::from_secs(3))
        .await
        .unwrap();
    assert!(
        matches!(again, WarmNowAnswer::AlreadyRunning { total: 38, .. }),
        "{again:?}"
    );
    eventually(Duration::from_secs(10), "the second cycle", || {
        instances[holder].handle.progress().complete
            && instances[holder].handle.progress().cycle == 2
    })
    .await;
    let counts: Vec<usize> = instances.iter().map(Instance::requests).collect();
    assert_eq!(counts.iter().sum::<usize>(), 12, "{counts:?}");

    // The holder leaves: another takes the lease and, the shared cycle being fresh, asks
    // nothing.
    let mut rest = instances;
    let leaving = rest.remove(holder);
    let t = Instant::now();
    leaving.stop().await;
    eventually(Duration::from_secs(3), "the lease moves", || {
        rest.iter().filter(|i| i.holds()).count() == 1
    })
    .await;
    assert!(t.elapsed() < Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts: Vec<usize> = rest.iter().map(Instance::requests).collect();
    assert_eq!(counts, [0, 0], "the new holder resumed the shared cycle");
    let new_holder = rest.iter().find(|i| i.holds()).unwrap();
    assert!(
        new_holder.handle.progress().complete,
        "its warmer took the shared cycle"
    );
    for i in rest {
        i.stop().await;
    }
}
