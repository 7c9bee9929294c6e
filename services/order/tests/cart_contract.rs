//! The cart contract on memory and Redis: lines merge, limits hold, concurrent adds keep
//! every unit.

use std::{sync::Arc, time::Duration};

use shop_order::cart::{CartError, CartStore, MAX_LINES, MemoryCarts, RedisCarts};
use shop_test_support::{redis_url, require, unique};

async fn lines_merge_and_can_be_set_or_removed(carts: Arc<dyn CartStore>) {
    let user = unique("user");
    carts.add(&user, "B-1", 2).await.unwrap();
    carts.add(&user, "A-1", 1).await.unwrap();
    carts.add(&user, "B-1", 3).await.unwrap();
    assert_eq!(carts.lines(&user).await.unwrap(), [("A-1".to_owned(), 1), ("B-1".to_owned(), 5)]);
    carts.set(&user, "A-1", 7).await.unwrap();
    carts.set(&user, "B-1", 0).await.unwrap();
    assert_eq!(carts.lines(&user).await.unwrap(), [("A-1".to_owned(), 7)]);
    carts.remove(&user, "A-1").await.unwrap();
    assert!(carts.lines(&user).await.unwrap().is_empty());
    carts.add(&user, "C-1", 1).await.unwrap();
    carts.clear(&user).await.unwrap();
    assert!(carts.lines(&user).await.unwrap().is_empty());
    assert!(carts.lines(&unique("nobody")).await.unwrap().is_empty());
}

async fn limits_hold(carts: Arc<dyn CartStore>) {
    let user = unique("user");
    carts.add(&user, "A-1", 100).await.unwrap();
    assert!(matches!(carts.add(&user, "A-1", 1).await, Err(CartError::TooMany)));
    for n in 1..MAX_LINES {
        carts.add(&user, &format!("L-{n}"), 1).await.unwrap();
    }
    assert!(matches!(carts.add(&user, "ONE-TOO-MANY", 1).await, Err(CartError::TooManyLines)));
    carts.add(&user, "L-1", 1).await.unwrap();
}

async fn concurrent_adds_keep_every_unit(carts: Arc<dyn CartStore>) {
    let user = unique("user");
    let adds = (0..40).map(|_| {
        let (carts, user) = (carts.clone(), user.clone());
        tokio::spawn(async move { carts.add(&user, "A-1", 2).await })
    });
    for r in futures::future::join_all(adds).await {
        r.unwrap().unwrap();
    }
    assert_eq!(carts.lines(&user).await.unwrap(), [("A-1".to_owned(), 80)]);
}

mod memory {
    use super::*;

    fn carts() -> Arc<dyn CartStore> {
        Arc::new(MemoryCarts::default())
    }

    shop_test_support::contract_tests!(
        lines_merge_and_can_be_set_or_removed(carts()),
        limits_hold(carts()),
        concurrent_adds_keep_every_unit(carts()),
        at_most_n_checkouts_run_at_once(carts()),
    );
}

/// Twenty checkouts of one customer start at once: three are let in; one more once one
/// finishes; an entry whose process died lapses by itself. Another customer is not held up.
async fn at_most_n_checkouts_run_at_once(carts: Arc<dyn CartStore>) {
    let (user, ttl) = (unique("user"), Duration::from_secs(60));
    let opens = (0..20).map(|i| {
        let (carts, user) = (carts.clone(), user.clone());
        async move { carts.open_checkout(&user, &format!("order-{i}"), 3, ttl).await.unwrap().then_some(i) }
    });
    let admitted: Vec<usize> = futures::future::join_all(opens).await.into_iter().flatten().collect();
    assert_eq!(admitted.len(), 3, "{admitted:?}");
    assert!(carts.open_checkout(&user, &format!("order-{}", admitted[0]), 3, ttl).await.unwrap(), "already in");
    assert!(!carts.open_checkout(&user, "order-late", 3, ttl).await.unwrap());
    carts.close_checkout(&user, &format!("order-{}", admitted[0])).await.unwrap();
    assert!(carts.open_checkout(&user, "order-late", 3, ttl).await.unwrap(), "a finished one frees its place");
    assert!(carts.open_checkout(&unique("other"), "order-0", 3, ttl).await.unwrap());
    let short = unique("user");
    for i in 0..3 {
        assert!(carts.open_checkout(&short, &format!("dies-{i}"), 3, Duration::from_millis(50)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert!(carts.open_checkout(&short, "after", 3, ttl).await.unwrap(), "lapsed entries count no more");
}

mod redis {
    use super::*;

    fn carts() -> Arc<dyn CartStore> {
        require("Redis", &redis_url());
        let pool =
            deadpool_redis::Config::from_url(redis_url()).create_pool(Some(deadpool_redis::Runtime::Tokio1)).unwrap();
        Arc::new(RedisCarts::new(pool))
    }

    shop_test_support::contract_tests!(
        lines_merge_and_can_be_set_or_removed(carts()),
        limits_hold(carts()),
        concurrent_adds_keep_every_unit(carts()),
        at_most_n_checkouts_run_at_once(carts()),
    );
}
