//! Connects a service to its backends from settings: MongoDB or nothing (embedded
//! stores), RabbitMQ or the process's in-process bus.

use std::sync::Arc;

use mongodb::Database;
use shop_platform::settings::BackendSettings;

use crate::{
    BusSettings, EventBus, InProcessBus, bus_for,
    inbox::{InboxStore, MemoryInbox, MongoInbox},
};

pub struct Backends {
    /// The service's own database, when MongoDB is configured.
    pub db: Option<Database>,
    pub bus: Arc<dyn EventBus>,
}

impl Backends {
    pub async fn connect(
        settings: &BackendSettings,
        bus: &BusSettings,
        embedded: &InProcessBus,
    ) -> anyhow::Result<Self> {
        if settings.mongo_serial_transactions {
            shop_storage::serialize_transactions();
        }
        let db = match &settings.mongo_url {
            Some(url) => Some(shop_storage::connect(url.expose(), &settings.mongo_database).await?),
            None => None,
        };
        let bus = bus_for(settings.amqp_url.as_ref(), bus, embedded);
        if !bus.ready().await {
            tracing::warn!("the event broker is not reachable yet; events will wait in the outbox");
        }
        Ok(Self { db, bus })
    }
}

impl Backends {
    /// Where this service's consumers record the events they applied.
    pub fn inbox(&self) -> Arc<dyn InboxStore> {
        match &self.db {
            Some(db) => Arc::new(MongoInbox::new(db)),
            None => Arc::new(MemoryInbox::default()),
        }
    }
}

/// How long a Redis command waits for its reply. The client's default (500 ms) fails
/// commands during a load spike on a busy host although Redis answered in time.
const REDIS_RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// A pool of Redis connections (carts, rate limits, caches).
pub fn redis_pool(url: &str) -> anyhow::Result<deadpool_redis::Pool> {
    let config = deadpool_redis::redis::AsyncConnectionConfig::new().set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT));
    let manager = deadpool_redis::Manager::new_with_config(url, config)?;
    Ok(deadpool_redis::Pool::builder(manager).runtime(deadpool_redis::Runtime::Tokio1).build()?)
}
