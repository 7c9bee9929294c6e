//! The rate limiter contract, on the in-memory limiter and on Redis.

use std::sync::Arc;

use shop_gateway::ratelimit::{Decision, FailureLimit, Limit, MemoryLimiter, Rate, RateLimiter, RedisLimiter};
use shop_test_support::{redis_url, require, unique};

const LIMIT: Limit = Limit { per_minute: 60, burst: 5 };

fn rate() -> Rate {
    LIMIT.rate()
}

async fn a_burst_passes_then_requests_wait(limiter: Arc<dyn RateLimiter>) {
    let key = unique("k");
    for n in 0..5 {
        assert_eq!(limiter.check(&key, rate()).await, Decision::Allow, "request {n} is within the burst");
    }
    match limiter.check(&key, rate()).await {
        Decision::Deny { retry_after } => {
            assert!(retry_after.as_millis() > 0 && retry_after.as_secs() <= 1, "{retry_after:?}");
        }
        other => panic!("the burst is used up: {other:?}"),
    }
}

/// Peeking counts nothing: failures are counted after the fact, and an account whose
/// allowance is used up is refused before anything is tried.
async fn a_peek_counts_nothing(limiter: Arc<dyn RateLimiter>) {
    let (key, rate) = (unique("p"), FailureLimit::default().rate());
    for _ in 0..20 {
        assert_eq!(limiter.peek(&key, rate).await, Decision::Allow);
    }
    for _ in 0..5 {
        assert_eq!(limiter.check(&key, rate).await, Decision::Allow);
    }
    match limiter.peek(&key, rate).await {
        Decision::Deny { retry_after } => assert!((170..=180).contains(&retry_after.as_secs()), "{retry_after:?}"),
        other => panic!("five failures use up the allowance: {other:?}"),
    }
}

/// With Redis unreachable the limiter says so (each caller decides to allow or refuse).
async fn an_unreachable_store_is_reported(limiter: Arc<dyn RateLimiter>) {
    assert_eq!(limiter.check(&unique("u"), rate()).await, Decision::Unavailable);
    assert_eq!(limiter.peek(&unique("u"), rate()).await, Decision::Unavailable);
}

async fn keys_do_not_share_budgets(limiter: Arc<dyn RateLimiter>) {
    let (a, b) = (unique("a"), unique("b"));
    for _ in 0..5 {
        limiter.check(&a, rate()).await;
    }
    assert!(matches!(limiter.check(&a, rate()).await, Decision::Deny { .. }));
    assert_eq!(limiter.check(&b, rate()).await, Decision::Allow);
}

async fn concurrent_requests_never_exceed_the_burst(limiter: Arc<dyn RateLimiter>) {
    let key = unique("c");
    let checks = (0..50).map(|_| {
        let (limiter, key) = (limiter.clone(), key.clone());
        tokio::spawn(async move { limiter.check(&key, rate()).await })
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
        a_peek_counts_nothing(limiter()),
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

    fn unreachable() -> Arc<dyn RateLimiter> {
        let closed = format!("redis://127.0.0.1:{}/", shop_test_support::free_port());
        let pool = deadpool_redis::Config::from_url(closed).create_pool(Some(deadpool_redis::Runtime::Tokio1)).unwrap();
        Arc::new(RedisLimiter::new(pool))
    }

    shop_test_support::contract_tests!(
        a_burst_passes_then_requests_wait(limiter()),
        keys_do_not_share_budgets(limiter()),
        concurrent_requests_never_exceed_the_burst(limiter()),
        a_peek_counts_nothing(limiter()),
        an_unreachable_store_is_reported(unreachable()),
    );
}
