//! The cart contract on memory and Redis: lines merge, limits hold, concurrent adds keep
//! every unit.

use std::sync::Arc;

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
    );
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
    );
}
