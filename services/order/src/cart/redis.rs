//! Carts in Redis: hash `shop:cart:<user>` of SKU → quantity, kept 30 days after the last
//! change. Merging and limits run in one script, so concurrent adds never lose units.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{Script, cmd};

use super::{CartError, CartStore, MAX_LINES, MAX_QUANTITY};

/// Seconds a cart lives after its last change.
const TTL_SECS: i64 = 30 * 24 * 3600;

/// KEYS[1] cart; ARGV sku, quantity, mode ("add" | "set"), max quantity, max lines, ttl.
/// Returns 0 ok, 1 too many units, 2 too many lines.
const PUT: &str = r"
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = tonumber(ARGV[2])
if ARGV[3] == 'add' then wanted = current + wanted end
if wanted > tonumber(ARGV[4]) then return 1 end
if wanted <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
if current == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], wanted)
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 0
";

/// KEYS[1] the user's open checkouts (sorted set: order id → lapse time, ms); ARGV order
/// id, max, ttl (ms). Drops lapsed entries, then counts the order in unless `max` are open.
/// Returns 1 when counted in, 0 when refused. On Redis's own clock.
const OPEN_CHECKOUT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
";

pub struct RedisCarts {
    pool: deadpool_redis::Pool,
    put: Script,
    open_checkout: Script,
}

impl RedisCarts {
    pub fn new(pool: deadpool_redis::Pool) -> Self {
        Self { pool, put: Script::new(PUT), open_checkout: Script::new(OPEN_CHECKOUT) }
    }

    async fn conn(&self) -> Result<deadpool_redis::Connection, CartError> {
        Ok(self.pool.get().await.map_err(anyhow::Error::from)?)
    }

    async fn write(&self, user: &str, sku: &str, quantity: i64, mode: &str) -> Result<(), CartError> {
        let mut conn = self.conn().await?;
        let outcome: i64 = self
            .put
            .key(key(user))
            .arg(sku)
            .arg(quantity)
            .arg(mode)
            .arg(MAX_QUANTITY)
            .arg(MAX_LINES)
            .arg(TTL_SECS)
            .invoke_async(&mut conn)
            .await
            .map_err(anyhow::Error::from)?;
        match outcome {
            0 => Ok(()),
            1 => Err(CartError::TooMany),
            _ => Err(CartError::TooManyLines),
        }
    }
}

fn key(user: &str) -> String {
    format!("shop:cart:{user}")
}

fn checkouts_key(user: &str) -> String {
    format!("shop:checkouts:{user}")
}

#[async_trait]
impl CartStore for RedisCarts {
    async fn lines(&self, user: &str) -> Result<Vec<(String, i64)>, CartError> {
        let mut conn = self.conn().await?;
        let mut lines: Vec<(String, i64)> =
            cmd("HGETALL").arg(key(user)).query_async(&mut conn).await.map_err(anyhow::Error::from)?;
        lines.sort();
        Ok(lines)
    }

    async fn add(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError> {
        self.write(user, sku, quantity, "add").await
    }

    async fn set(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError> {
        self.write(user, sku, quantity, "set").await
    }

    async fn remove(&self, user: &str, sku: &str) -> Result<(), CartError> {
        let mut conn = self.conn().await?;
        let _: i64 = cmd("HDEL").arg(key(user)).arg(sku).query_async(&mut conn).await.map_err(anyhow::Error::from)?;
        Ok(())
    }

    async fn clear(&self, user: &str) -> Result<(), CartError> {
        let mut conn = self.conn().await?;
        let _: i64 = cmd("DEL").arg(key(user)).query_async(&mut conn).await.map_err(anyhow::Error::from)?;
        Ok(())
    }

    async fn open_checkout(&self, user: &str, order: &str, max: usize, ttl: Duration) -> Result<bool, CartError> {
        let mut conn = self.conn().await?;
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let counted: i64 = self
            .open_checkout
            .key(checkouts_key(user))
            .arg(order)
            .arg(max)
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(anyhow::Error::from)?;
        Ok(counted == 1)
    }

    async fn close_checkout(&self, user: &str, order: &str) -> Result<(), CartError> {
        let mut conn = self.conn().await?;
        let _: i64 = cmd("ZREM")
            .arg(checkouts_key(user))
            .arg(order)
            .query_async(&mut conn)
            .await
            .map_err(anyhow::Error::from)?;
        Ok(())
    }
}
