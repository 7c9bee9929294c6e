//! The rate limiter contract, on the in-memory limiter and on Redis.

use std::sync::Arc;

use shop_gateway::ratelimit::{Decision, Limit, MemoryLimiter, RateLimiter, RedisLimiter};
use shop_test_support::{redis_url, require, unique};

const LIMIT: Limit = Limit { per_minute: 60, burst: 5 };

async fn a_burst_passes_then_requests_wait(limiter: Arc<dyn RateLimiter>) {
    let key = unique("k");
    for n in 0..5 {
        assert_eq!(limiter.check(&key, LIMIT).await, Decision::Allow, "request {n} is within the burst");
    }
    match limiter.check(&key, LIMIT).await {
        Decision::Deny { retry_after } => {
            assert!(retry_after.as_millis() > 0 && retry_after.as_secs() <= 1, "{retry_after:?}");
        }
        Decision::Allow => panic!("the burst is used up"),
    }
}

async fn keys_do_not_share_budgets(limiter: Arc<dyn RateLimiter>) {
    let (a, b) = (unique("a"), unique("b"));
    for _ in 0..5 {
        limiter.check(&a, LIMIT).await;
    }
    assert!(matches!(limiter.check(&a, LIMIT).await, Decision::Deny { .. }));
    assert_eq!(limiter.check(&b, LIMIT).await, Decision::Allow);
}

async fn concurrent_requests_never_exceed_the_burst(limiter: Arc<dyn RateLimiter>) {
    let key = unique("c");
    let checks = (0..50).map(|_| {
        let (limiter, key) = (limiter.clone(), key.clone());
        tokio::spawn(async move { limiter.check(&key, LIMIT).await })
    });
    let results = futures::future::join_all(checks).await;
    let allowed = results.into_iter().filter(|r| matches!(r, Ok(Decision::Allow))).count();
    assert!((5..=6).contains(&allowed), "{allowed} of 50 concurrent requests allowed");
}

mod memory {
    use super::*;

    fn limiter() -> Arc<dyn RateLimiter> {
        Arc::new(MemoryLimiter::default())
    }

    shop_test_support::contract_tests!(
        a_burst_passes_then_requests_wait(limiter()),
        keys_do_not_share_budgets(limiter()),
        concurrent_requests_never_exceed_the_burst(limiter()),
    );
}

mod redis {
    use super::*;

    fn limiter() -> Arc<dyn RateLimiter> {
        require("Redis", &redis_url());
        let pool =
            deadpool_redis::Config::from_url(redis_url()).create_pool(Some(deadpool_redis::Runtime::Tokio1)).unwrap();
        Arc::new(RedisLimiter::new(pool))
    }

    shop_test_support::contract_tests!(
        a_burst_passes_then_requests_wait(limiter()),
        keys_do_not_share_budgets(limiter()),
        concurrent_requests_never_exceed_the_burst(limiter()),
    );
}
