//! Reads from Redis are bounded on the wire and what they find is checked: planted giant or
//! garbled values cost nothing and are ignored.

use redis::AsyncCommands;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_reads_a_bounded_hash_and_skips_oversized_values() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let writer = store(&server, "p1", Role::Reader);
    up(&writer).await;
    let t4 = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
    writer.record(&t4, Ok(Limit::Finite(64)), Duration::from_millis(900));
    let mut conn = server.conn().await;
    let key = "quota-tui:p1:spot:entries";
    eventually(Duration::from_secs(5), "the entry is written", || {
        let mut c = conn.clone();
        futures::executor::block_on(async move { c.hlen::<_, usize>(key).await.unwrap() == 1 })
    })
    .await;
    // Planted by someone with access to Redis: a value over the per-value cap, and a field
    // whose name alone is over the name cap.
    let big = vec![b'x'; protocol::MAX_MESSAGE_BYTES + 1];
    let _: () = conn.hset(key, "planted", big).await.unwrap();
    let long_name = "n".repeat(protocol::MAX_FIELD_BYTES + 1);
    let _: () = conn.hset(key, long_name, "1|{}").await.unwrap();

    let values: Vec<Vec<u8>> = protocol::read_entries(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(values.len(), 1, "only the real entry crosses the wire");
    assert!(values[0].len() < 4096, "{} bytes", values[0].len());
    let two: Vec<Vec<u8>> = redis::cmd("EVAL")
        .arg(protocol::READ_ENTRIES)
        .arg(1)
        .arg(key)
        .arg(1)
        .arg(protocol::MAX_MESSAGE_BYTES)
        .arg(10)
        .arg(protocol::MAX_FIELD_BYTES)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(two.is_empty(), "the total cap holds: {} values", two.len());

    let late = store(&server, "p1", Role::Reader);
    up(&late).await;
    assert_eq!(limit_of(&late, &t4), Some(Limit::Finite(64)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_giant_or_garbled_keys_are_read_bounded_and_ignored() {
    let Some(server) = TestRedis::start() else {
        return;
    };
    let mut conn = server.conn().await;
    let giant = vec![0xffu8; 4 << 20];
    let _: () = conn.set("quota-tui:p1:warmer", &giant).await.unwrap();
    let _: () = conn.set("quota-tui:p1:spot:cycle", &giant).await.unwrap();
    let _: () = conn
        .set("quota-tui:p1:spot:progress", &giant)
        .await
        .unwrap();
    let mut manager =
        redis::aio::ConnectionManager::new(redis::Client::open(server.url().as_str()).unwrap())
            .await
            .unwrap();
    let (who, _left) = lease::holder(&mut manager, "quota-tui:p1:warmer")
        .await
        .unwrap()
        .expect("the key is there");
    assert_eq!(who, None, "a giant value names no holder");
    assert_eq!(
        lease::holder(&mut manager, "quota-tui:p1:nobody")
            .await
            .unwrap(),
        None,
        "no key, no lease"
    );
    // A reader still comes up (its load reads cut values, which do not parse) and has no
    // cycle start from them.
    let reader = store(&server, "p1", Role::Reader);
    up(&reader).await;
    assert_eq!(reader.last_cycle_start(), None);
}
