//! Redis stopped under a running store: nothing blocks, values stay, and it catches up after a
//! restart.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_never_blocks_and_catches_up_after_a_restart() {
    let Some(mut server) = TestRedis::start() else {
        return;
    };
    let a = store(&server, "p", Role::Warmer);
    let b = store(&server, "p", Role::Warmer);
    up(&a).await;
    up(&b).await;
    let before = Check::c3("us-east1");
    let during = Check::c3("us-west2");
    a.record(&before, Ok(Limit::Finite(44)), Duration::ZERO);
    let cycle = a.now();
    a.cycle_complete(cycle);
    eventually(Duration::from_secs(5), "b follows", || {
        limit_of(&b, &before) == Some(Limit::Finite(44))
    })
    .await;

    server.stop();
    let mut link = a.link();
    tokio::time::timeout(
        Duration::from_secs(5),
        link.wait_for(|l| matches!(l, Link::Down { .. })),
    )
    .await
    .expect("the link goes down")
    .unwrap();
    let t = Instant::now();
    for _ in 0..100 {
        a.record(&during, Ok(Limit::Finite(88)), Duration::ZERO);
        assert_eq!(
            limit_of(&a, &before),
            Some(Limit::Finite(44)),
            "nothing lost"
        );
    }
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "reads and writes never wait: {:?}",
        t.elapsed()
    );
    assert!(matches!(
        a.backing(),
        Backing::Redis(RedisView {
            link: Link::Down { .. },
            ..
        })
    ));
    assert!(a.request_warm_now(Duration::from_secs(1)).await.is_err());
    // A whole lease time without Redis: each goes on warming alone.
    for s in [&a, &b] {
        tokio::time::timeout(
            Duration::from_secs(6),
            s.lease()
                .wait_for(|l| matches!(l, LeaseState::Alone { .. })),
        )
        .await
        .expect("alone after a lease time")
        .unwrap();
    }

    server.restart();
    tokio::time::timeout(Duration::from_secs(15), link.wait_for(|l| *l == Link::Up))
        .await
        .expect("reconnected with backoff")
        .unwrap();
    eventually(Duration::from_secs(15), "b catches up", || {
        limit_of(&b, &during) == Some(Limit::Finite(88))
    })
    .await;
    let late = store(&server, "p", Role::Reader);
    up(&late).await;
    assert_eq!(
        limit_of(&late, &before),
        Some(Limit::Finite(44)),
        "written back"
    );
    assert_eq!(limit_of(&late, &during), Some(Limit::Finite(88)));
    assert_eq!(
        late.last_cycle_start().map(|t| t.timestamp_millis()),
        Some(cycle.timestamp_millis()),
        "the cycle start is written back to a Redis that restarted empty"
    );
    eventually(Duration::from_secs(6), "one holder again", || {
        let held = [&a, &b]
            .iter()
            .filter(|s| *s.lease().borrow() == LeaseState::Held)
            .count();
        let elsewhere = [&a, &b]
            .iter()
            .filter(|s| matches!(*s.lease().borrow(), LeaseState::Elsewhere(_)))
            .count();
        held == 1 && elsewhere == 1
    })
    .await;
}
