//! Rate limiting with GCRA (the generic cell rate algorithm): each key has a "theoretical
//! arrival time"; a request is let through when it is no further ahead of now than the
//! burst allows. Kept in Redis (one atomic script, Redis's own clock) so every gateway
//! replica enforces one limit together; in memory when there is no Redis.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A sustained rate with a burst allowance.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Limit {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for Limit {
    fn default() -> Self {
        Self { per_minute: 600, burst: 100 }
    }
}

impl Limit {
    /// Time between two requests at the sustained rate, in microseconds (at least one).
    fn interval_us(self) -> u64 {
        (60_000_000 / u64::from(self.per_minute.max(1))).max(1)
    }

    /// How far ahead of now the arrival time may run, in microseconds.
    fn tolerance_us(self) -> u64 {
        self.interval_us().saturating_mul(u64::from(self.burst.max(1)))
    }
}

/// Whether a request may pass; if not, when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny { retry_after: Duration },
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    async fn check(&self, key: &str, limit: Limit) -> Decision;
}

/// GCRA step shared by both limiters: the new arrival time, or how long to wait.
fn gcra(now_us: u64, tat_us: Option<u64>, limit: Limit) -> Result<u64, u64> {
    let tat = tat_us.unwrap_or(now_us).max(now_us);
    let next = tat.saturating_add(limit.interval_us());
    let allow_at = next.saturating_sub(limit.tolerance_us());
    if now_us < allow_at { Err(allow_at - now_us) } else { Ok(next) }
}

fn decision(step: Result<u64, u64>) -> Decision {
    match step {
        Ok(_) => Decision::Allow,
        Err(wait_us) => Decision::Deny { retry_after: Duration::from_micros(wait_us) },
    }
}

/// In-process limiter (all-in-one mode, or a single gateway without Redis).
pub struct MemoryLimiter {
    started: Instant,
    arrivals: Mutex<HashMap<String, u64>>,
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        Self { started: Instant::now(), arrivals: Mutex::default() }
    }
}

/// Keys kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn check(&self, key: &str, limit: Limit) -> Decision {
        let mut arrivals = shop_platform::lock(&self.arrivals);
        // Read the clock under the lock, so arrival times only move forward.
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if arrivals.len() >= SWEEP_AT {
            arrivals.retain(|_, tat| *tat > now);
        }
        let step = gcra(now, arrivals.get(key).copied(), limit);
        if let Ok(next) = step {
            arrivals.insert(key.to_owned(), next);
        }
        decision(step)
    }
}

/// Atomic GCRA in Redis on Redis's clock. KEYS[1] = key; ARGV = interval, tolerance (µs).
/// Returns 0 when allowed, else the microseconds to wait.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local allow_at = nxt - tolerance
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
return 0
";

pub struct RedisLimiter {
    pool: deadpool_redis::Pool,
    script: deadpool_redis::redis::Script,
}

impl RedisLimiter {
    pub fn new(pool: deadpool_redis::Pool) -> Self {
        Self { pool, script: deadpool_redis::redis::Script::new(SCRIPT) }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str, limit: Limit) -> Decision {
        let run = async {
            let mut conn = self.pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let wait: u64 = self
                .script
                .key(format!("shop:rl:{key}"))
                .arg(limit.interval_us())
                .arg(limit.tolerance_us())
                .invoke_async(&mut conn)
                .await?;
            anyhow::Ok(wait)
        };
        match tokio::time::timeout(Duration::from_millis(250), run).await {
            Ok(Ok(0)) => Decision::Allow,
            Ok(Ok(wait_us)) => Decision::Deny { retry_after: Duration::from_micros(wait_us) },
            // An unreachable Redis must not take the shop down with it: let the request pass.
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "rate limiter unavailable; allowing");
                Decision::Allow
            }
            Err(_) => {
                tracing::warn!("rate limiter timed out; allowing");
                Decision::Allow
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_lets_a_burst_through_then_the_sustained_rate() {
        let limit = Limit { per_minute: 60, burst: 3 };
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(gcra(0, tat, limit).expect("within the burst"));
        }
        let wait = gcra(0, tat, limit).expect_err("burst used up");
        assert_eq!(wait, 1_000_000, "one interval until the next request");
        assert!(gcra(1_000_000, tat, limit).is_ok());
    }
}
