//! The Redis store against a real `redis-server` (skipped with a note when it is missing).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::AsyncCommands;

use super::test_server::TestRedis;
use super::*;
use crate::catalog::{GpuType, Limit};
use crate::gcp::{ApiError, ErrorKind};
use crate::store::{CachedState, MemoryStore, SystemClock, contract};

const TTL: Duration = Duration::from_secs(1800);

fn local() -> Arc<dyn QuotaStore> {
    Arc::new(MemoryStore::with_clock(TTL, Arc::new(SystemClock)))
}

fn store(server: &TestRedis, project: &str, role: Role) -> RedisStore {
    let options = RedisOptions {
        role,
        lease_time: Duration::from_millis(1500),
        renew_every: Duration::from_millis(300),
    };
    let target = RedisTarget::parse(&server.url()).unwrap();
    RedisStore::connect(target, project, Capacity::Spot, local(), options)
}

/// Wait (up to 10 s) for `store`'s link to Redis to be up, its first load done.
async fn up(store: &RedisStore) {
    let mut link = store.link();
    tokio::time::timeout(Duration::from_secs(10), link.wait_for(|l| *l == Link::Up))
        .await
        .expect("connected within 10 s")
        .unwrap();
}

/// Poll `cond` every 20 ms for up to `within`.
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

fn limit_of(store: &dyn QuotaStore, check: &Check) -> Option<Limit> {
    store.peek(std::slice::from_ref(check))[0].limit()
}

#[test]
fn redis_store_keeps_the_store_contract() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _inside = rt.enter();
    let target = RedisTarget::parse(&server.url()).unwrap();
    let n = AtomicUsize::new(0);
    contract::check_all(&|ttl, clock| {
        let project = format!("contract-{}", n.fetch_add(1, Ordering::Relaxed));
        let local = Arc::new(MemoryStore::with_clock(ttl, clock));
        let options = RedisOptions::new(Role::Reader);
        Box::new(RedisStore::connect(
            target.clone(),
            &project,
            Capacity::Spot,
            local,
            options,
        ))
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_reach_readers_live_and_late_joiners_at_load() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let writer = store(&server, "p1", Role::Reader);
    let reader = store(&server, "p1", Role::Reader);
    let other_project = store(&server, "p2", Role::Reader);
    up(&writer).await;
    up(&reader).await;
    up(&other_project).await;
    let changes = reader.changes();
    let t4 = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
    let c3 = Check::c3("us-east1");
    writer.record(&t4, Ok(Limit::Finite(64)), Duration::from_millis(900));
    writer.record(
        &c3,
        Err(ApiError::new(ErrorKind::Unavailable, "503")),
        Duration::ZERO,
    );
    eventually(Duration::from_secs(5), "the reader follows", || {
        limit_of(&reader, &t4) == Some(Limit::Finite(64))
    })
    .await;
    assert!(
        changes.has_changed().unwrap(),
        "the reader is told to redraw"
    );
    eventually(Duration::from_secs(5), "the failure follows", || {
        matches!(
            reader.peek(std::slice::from_ref(&c3))[0].state(),
            CachedState::Failed { .. }
        )
    })
    .await;
    assert_eq!(limit_of(&other_project, &t4), None, "projects are apart");
    writer.cycle_complete(writer.now());

    let late = store(&server, "p1", Role::Reader);
    up(&late).await;
    let r = late.read(std::slice::from_ref(&t4));
    assert!(
        matches!(r[0].state(), CachedState::Fresh(g) if g.limit == Limit::Finite(64) && g.latency == Duration::from_millis(900))
    );
    assert_eq!(late.counters().hits, 1, "counters are per process");
    assert_eq!(reader.counters().hits, 0);
    assert!(
        late.last_cycle_start().is_some(),
        "the cycle start is shared"
    );

    let mut conn = server.conn().await;
    let ttl_ms: i64 = conn.pttl("quota-tui:p1:spot:entries").await.unwrap();
    assert!(
        ttl_ms > TTL.as_millis() as i64 * 2,
        "entries outlive the TTL: {ttl_ms}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_write_never_overwrites_a_newer_one() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let a = store(&server, "p", Role::Reader);
    up(&a).await;
    let c = Check::c3("us-east1");
    let now = a.now();
    a.put_ok(&c, GoodValue::new(Limit::Finite(176), now, Duration::ZERO));
    let b = store(&server, "p", Role::Reader);
    up(&b).await;
    eventually(Duration::from_secs(5), "b has a's value", || {
        limit_of(&b, &c) == Some(Limit::Finite(176))
    })
    .await;
    // b writes an older value (a slow fetch that began earlier).
    b.put_ok(
        &c,
        GoodValue::new(
            Limit::Finite(1),
            now - Duration::from_secs(60),
            Duration::ZERO,
        ),
    );
    // Cycles too: an older start never replaces a newer one.
    a.cycle_complete(now);
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.cycle_complete(now - Duration::from_secs(600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = store(&server, "p", Role::Reader);
    up(&late).await;
    assert_eq!(limit_of(&late, &c), Some(Limit::Finite(176)));
    assert_eq!(limit_of(&a, &c), Some(Limit::Finite(176)));
    let ms = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_millis());
    assert_eq!(ms(late.last_cycle_start()), Some(now.timestamp_millis()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_scripts_never_act_for_a_non_holder() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_connection_manager().await.unwrap();
    let key = "quota-tui:p:warmer";
    let lease = Duration::from_secs(30);
    assert!(
        lease::try_acquire(&mut conn, key, "A", lease)
            .await
            .unwrap()
    );
    assert!(
        !lease::try_acquire(&mut conn, key, "B", lease)
            .await
            .unwrap()
    );

    let pttl = |mut c: redis::aio::ConnectionManager| async move {
        let ms: i64 = c.pttl(key).await.unwrap();
        ms
    };
    assert!(
        !lease::extend(&mut conn, key, "B", Duration::from_secs(600))
            .await
            .unwrap(),
        "B cannot extend A's lease"
    );
    assert!(pttl(conn.clone()).await <= 30_000, "A's expiry unchanged");
    assert!(
        !lease::release(&mut conn, key, "quota-tui:p:events", "B", "{}")
            .await
            .unwrap(),
        "B cannot release A's lease"
    );
    let value: Option<String> = conn.get(key).await.unwrap();
    assert_eq!(value.as_deref(), Some("A"));

    assert!(
        lease::extend(&mut conn, key, "A", Duration::from_secs(600))
            .await
            .unwrap()
    );
    assert!(
        pttl(conn.clone()).await > 30_000,
        "A extended its own lease"
    );
    assert!(
        lease::release(&mut conn, key, "quota-tui:p:events", "A", "{}")
            .await
            .unwrap()
    );
    let value: Option<String> = conn.get(key).await.unwrap();
    assert_eq!(value, None);
    assert!(
        !lease::extend(&mut conn, key, "A", lease).await.unwrap(),
        "an expired lease is not revived by extend"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_warmer_holds_the_lease_others_see_it_and_take_over() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let a = store(&server, "p", Role::Warmer);
    let mut a_lease = a.lease();
    a_lease.wait_for(|s| *s == LeaseState::Held).await.unwrap();
    let b = store(&server, "p", Role::Warmer);
    let c = store(&server, "p", Role::Warmer);
    for s in [&b, &c] {
        let seen = s
            .lease()
            .wait_for(|st| matches!(st, LeaseState::Elsewhere(Some(_))))
            .await
            .unwrap()
            .clone();
        assert_eq!(seen, LeaseState::Elsewhere(Some(a.me().clone())));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        *a.lease().borrow(),
        LeaseState::Held,
        "renewed past its lease time"
    );

    // Warm now from b reaches the holder; its answer comes back.
    let mut requests = a.take_warm_now_requests().unwrap();
    let asked = tokio::spawn(async move {
        b.request_warm_now(Duration::from_secs(5))
            .await
            .map(|ans| (ans, b))
    });
    let id = tokio::time::timeout(Duration::from_secs(5), requests.recv())
        .await
        .unwrap()
        .unwrap();
    a.answer_warm_now(
        id,
        WarmNowAnswer::AlreadyRunning {
            done: 15,
            total: 38,
        },
    );
    let (answer, b) = asked.await.unwrap().unwrap();
    assert_eq!(
        answer,
        WarmNowAnswer::AlreadyRunning {
            done: 15,
            total: 38
        }
    );

    // The holder leaves: one of the others takes over at once (the release is announced).
    let t = Instant::now();
    a.shutdown().await;
    let (mut bl, mut cl) = (b.lease(), c.lease());
    eventually(Duration::from_secs(3), "someone takes over", || {
        *bl.borrow_and_update() == LeaseState::Held || *cl.borrow_and_update() == LeaseState::Held
    })
    .await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    tokio::time::sleep(Duration::from_millis(700)).await;
    let held = [&b, &c]
        .iter()
        .filter(|s| *s.lease().borrow() == LeaseState::Held)
        .count();
    assert_eq!(held, 1, "never two holders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lease_expires_and_moves() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let mut conn = server.conn().await;
    let dead = Holder {
        host: "gone".into(),
        pid: 1,
        started: chrono::Utc::now(),
    };
    let _: () = redis::cmd("SET")
        .arg("quota-tui:p:warmer")
        .arg(dead.value())
        .arg("PX")
        .arg(1500)
        .query_async(&mut conn)
        .await
        .unwrap();
    let b = store(&server, "p", Role::Warmer);
    let mut lease = b.lease();
    let seen = lease
        .wait_for(|s| matches!(s, LeaseState::Elsewhere(_)))
        .await
        .unwrap()
        .clone();
    assert_eq!(seen, LeaseState::Elsewhere(Some(dead)));
    assert_eq!(
        format!(
            "{}",
            Holder::parse(
                b"{\"host\":\"h\\u001b[2J\",\"pid\":7,\"started\":\"2026-11-21T00:00:00Z\"}"
            )
            .unwrap()
        ),
        "h\\u{1b}[2J:7"
    );
    let t = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(4),
        lease.wait_for(|s| *s == LeaseState::Held),
    )
    .await
    .expect("taken over after the lease time")
    .unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(1500) + ASK_MARGIN,
        "{:?}",
        t.elapsed()
    );
}

/// How long after a lease's expiry another instance may take to see it free.
const ASK_MARGIN: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_load_is_awaited_briefly_and_a_dead_redis_does_not_hold_the_start() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let warm = store(&server, "p", Role::Reader);
    up(&warm).await;
    warm.record(
        &Check::c3("us-east1"),
        Ok(Limit::Finite(44)),
        Duration::ZERO,
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let joining = store(&server, "p", Role::Reader);
    assert!(joining.wait_loaded(Duration::from_secs(5)).await);
    assert_eq!(
        limit_of(&joining, &Check::c3("us-east1")),
        Some(Limit::Finite(44)),
        "the shared entries are in before the first frame"
    );

    // Nobody listens on port 1: the wait ends at the first refusal, not at its bound.
    let target = RedisTarget::parse("redis://127.0.0.1:1/0").unwrap();
    let dead = RedisStore::connect(
        target,
        "p",
        Capacity::Spot,
        local(),
        RedisOptions::new(Role::Reader),
    );
    let t = Instant::now();
    assert!(!dead.wait_loaded(Duration::from_secs(5)).await);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(matches!(*dead.link().borrow(), Link::Down { .. }));
}

/// What a load reads from a Redis someone else can write to.
#[path = "tests_bounds.rs"]
mod bounds;

/// Redis going away under a running store, and coming back.
#[path = "tests_outage.rs"]
mod outage;
