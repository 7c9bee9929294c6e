//! Carts in Redis: hash `shop:cart:<user>` of SKU → quantity, kept 30 days after the last
//! change. Merging and limits run in one script, so concurrent adds never lose units.

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

pub struct RedisCarts {
    pool: deadpool_redis::Pool,
    put: Script,
}

impl RedisCarts {
    pub fn new(pool: deadpool_redis::Pool) -> Self {
        Self { pool, put: Script::new(PUT) }
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
}
