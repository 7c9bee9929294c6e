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
    pub fn rate(self) -> Rate {
        let interval_us = (60_000_000 / u64::from(self.per_minute.max(1))).max(1);
        Rate { interval_us, tolerance_us: interval_us.saturating_mul(u64::from(self.burst.max(1))) }
    }
}

/// Failed sign-ins allowed per account in a window; past them, one more per
/// `window / failures` (5 in 15 minutes: then one every 3 minutes).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FailureLimit {
    pub failures: u32,
    pub window_secs: u64,
}

impl Default for FailureLimit {
    fn default() -> Self {
        Self { failures: 5, window_secs: 900 }
    }
}

impl FailureLimit {
    pub fn rate(self) -> Rate {
        let failures = u64::from(self.failures.max(1));
        let interval_us = (self.window_secs.saturating_mul(1_000_000) / failures).max(1);
        Rate { interval_us, tolerance_us: interval_us.saturating_mul(failures) }
    }
}

/// A limit as GCRA sees it: the time between two requests at the sustained rate, and how
/// far ahead of now the arrival time may run (the burst), in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    interval_us: u64,
    tolerance_us: u64,
}

/// Whether a request may pass; if not, when to try again — or that the limiter cannot
/// tell (its store is unreachable), which each caller decides to allow or refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny { retry_after: Duration },
    Unavailable,
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts a request against `key` if it may pass.
    async fn check(&self, key: &str, rate: Rate) -> Decision;
    /// Whether a request against `key` would pass, counting nothing.
    async fn peek(&self, key: &str, rate: Rate) -> Decision;
}

/// GCRA step shared by both limiters: the new arrival time, or how long to wait.
fn gcra(now_us: u64, tat_us: Option<u64>, rate: Rate) -> Result<u64, u64> {
    let tat = tat_us.unwrap_or(now_us).max(now_us);
    let next = tat.saturating_add(rate.interval_us);
    let allow_at = next.saturating_sub(rate.tolerance_us);
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

impl MemoryLimiter {
    fn step(&self, key: &str, rate: Rate, count: bool) -> Decision {
        let mut arrivals = shop_platform::lock(&self.arrivals);
        // Read the clock under the lock, so arrival times only move forward.
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if arrivals.len() >= SWEEP_AT {
            arrivals.retain(|_, tat| *tat > now);
        }
        let step = gcra(now, arrivals.get(key).copied(), rate);
        if let (Ok(next), true) = (step, count) {
            arrivals.insert(key.to_owned(), next);
        }
        decision(step)
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Decision {
        self.step(key, rate, true)
    }

    async fn peek(&self, key: &str, rate: Rate) -> Decision {
        self.step(key, rate, false)
    }
}

/// Atomic GCRA in Redis on Redis's clock. KEYS[1] = key; ARGV = interval, tolerance (µs),
/// and 1 to count the request (0 only asks). Returns 0 when allowed, else the microseconds
/// to wait.
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
if ARGV[3] == '0' then return 0 end
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

impl RedisLimiter {
    async fn step(&self, key: &str, rate: Rate, count: bool) -> Decision {
        let run = async {
            let mut conn = self.pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let wait: u64 = self
                .script
                .key(format!("shop:rl:{key}"))
                .arg(rate.interval_us)
                .arg(rate.tolerance_us)
                .arg(u8::from(count))
                .invoke_async(&mut conn)
                .await?;
            anyhow::Ok(wait)
        };
        match tokio::time::timeout(Duration::from_millis(250), run).await {
            Ok(Ok(0)) => Decision::Allow,
            Ok(Ok(wait_us)) => Decision::Deny { retry_after: Duration::from_micros(wait_us) },
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "rate limiter unavailable");
                Decision::Unavailable
            }
            Err(_) => {
                tracing::warn!("rate limiter timed out");
                Decision::Unavailable
            }
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Decision {
        self.step(key, rate, true).await
    }

    async fn peek(&self, key: &str, rate: Rate) -> Decision {
        self.step(key, rate, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_lets_a_burst_through_then_the_sustained_rate() {
        let limit = Limit { per_minute: 60, burst: 3 }.rate();
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(gcra(0, tat, limit).expect("within the burst"));
        }
        let wait = gcra(0, tat, limit).expect_err("burst used up");
        assert_eq!(wait, 1_000_000, "one interval until the next request");
        assert!(gcra(1_000_000, tat, limit).is_ok());
    }

    #[test]
    fn five_failures_in_fifteen_minutes_then_one_every_three() {
        let rate = FailureLimit::default().rate();
        let mut tat = None;
        for _ in 0..5 {
            tat = Some(gcra(0, tat, rate).expect("within the allowance"));
        }
        assert_eq!(gcra(0, tat, rate).expect_err("slowed"), 180_000_000);
        assert!(gcra(180_000_000, tat, rate).is_ok());
    }
}
