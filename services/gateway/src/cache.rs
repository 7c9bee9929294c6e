//! Hot product reads answered by the gateway without a trip to catalog: the public JSON of
//! a product, kept in Redis (shared by every replica) or in memory (all-in-one), dropped
//! when catalog announces a change to it, and in any case after a short TTL. Checkout
//! never reads from here: order prices every line from catalog itself.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use bytes::Bytes;
use shop_messaging::{Envelope, EventHandler, kind};
use shop_proto::events::v1::{ProductChanged, ProductDeleted};

/// Longest a cached product may be served after a change whose event was missed.
pub const TTL: Duration = Duration::from_secs(30);
/// Products kept in memory before the cache starts over.
const CAPACITY: usize = 50_000;

#[async_trait]
pub trait ProductCache: Send + Sync + 'static {
    async fn get(&self, id: &str) -> Option<Bytes>;
    async fn put(&self, id: &str, body: Bytes);
    async fn forget(&self, id: &str);
}

#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (Instant, Bytes)>>,
}

#[async_trait]
impl ProductCache for MemoryCache {
    async fn get(&self, id: &str) -> Option<Bytes> {
        let entries = shop_platform::lock(&self.entries);
        entries.get(id).filter(|(expires, _)| *expires > Instant::now()).map(|(_, body)| body.clone())
    }

    async fn put(&self, id: &str, body: Bytes) {
        let mut entries = shop_platform::lock(&self.entries);
        if entries.len() >= CAPACITY {
            let now = Instant::now();
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(id.to_owned(), (Instant::now() + TTL, body));
    }

    async fn forget(&self, id: &str) {
        shop_platform::lock(&self.entries).remove(id);
    }
}

pub struct RedisCache {
    pool: deadpool_redis::Pool,
}

impl RedisCache {
    pub fn new(pool: deadpool_redis::Pool) -> Self {
        Self { pool }
    }

    fn key(id: &str) -> String {
        format!("shop:product:{id}")
    }

    async fn run<T: deadpool_redis::redis::FromRedisValue>(&self, cmd: deadpool_redis::redis::Cmd) -> Option<T> {
        let call = async {
            let mut conn = self.pool.get().await.ok()?;
            cmd.query_async::<T>(&mut conn).await.ok()
        };
        // A slow cache is worse than none: fall through to catalog.
        tokio::time::timeout(Duration::from_millis(100), call).await.ok().flatten()
    }
}

#[async_trait]
impl ProductCache for RedisCache {
    async fn get(&self, id: &str) -> Option<Bytes> {
        let body: Option<Vec<u8>> = self.run(deadpool_redis::redis::cmd("GET").arg(Self::key(id)).clone()).await?;
        body.map(Bytes::from)
    }

    async fn put(&self, id: &str, body: Bytes) {
        let cmd = deadpool_redis::redis::cmd("SET")
            .arg(Self::key(id))
            .arg(body.as_ref())
            .arg("EX")
            .arg(TTL.as_secs())
            .clone();
        let _: Option<()> = self.run(cmd).await;
    }

    async fn forget(&self, id: &str) {
        let _: Option<i64> = self.run(deadpool_redis::redis::cmd("DEL").arg(Self::key(id)).clone()).await;
    }
}

/// Drops a product from the cache when catalog announces a change to it.
pub struct Invalidate(pub Arc<dyn ProductCache>);

/// The catalog events after which a cached product is stale.
pub const EVENTS: [&str; 3] = [kind::PRODUCT_UPDATED, kind::PRODUCT_DELETED, kind::PRICE_CHANGED];

#[async_trait]
impl EventHandler for Invalidate {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        use prost::Message;
        let id = match event.r#type.as_str() {
            kind::PRODUCT_DELETED => ProductDeleted::decode(event.payload.as_slice())?.product_id,
            kind::PRICE_CHANGED => shop_proto::events::v1::PriceChanged::decode(event.payload.as_slice())?.product_id,
            _ => ProductChanged::decode(event.payload.as_slice())?.product_id,
        };
        self.0.forget(&id).await;
        Ok(())
    }
}
