//! A service's backends, chosen once from its settings: MongoDB or the embedded store,
//! RabbitMQ or the process's in-process bus, Redis or nothing.

use std::{sync::Arc, time::Duration};

use mongodb::Database;
use shop_messaging::{
    BusSettings, EventBus, InProcessBus, bus_for,
    inbox::{InboxStore, MemoryInbox, MongoInbox},
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
};
use shop_platform::settings::{BackendSettings, SecretUrl};

/// Where a service keeps its data and the events its changes publish.
#[derive(Clone)]
pub enum Storage {
    /// The service's own MongoDB database, with its outbox in it.
    Mongo { db: Database, outbox: MongoOutbox },
    /// In memory (all-in-one mode, unit tests), with an outbox in memory.
    Embedded { outbox: MemoryOutbox },
}

pub struct Backends {
    pub storage: Storage,
    pub bus: Arc<dyn EventBus>,
    /// Redis, when configured (carts, caches, limits).
    pub redis: Option<deadpool_redis::Pool>,
    inbox: Arc<dyn InboxStore>,
}

impl Backends {
    /// Connects what `settings` name; `pool` keeps count of MongoDB's connections.
    pub async fn connect(
        settings: &BackendSettings,
        bus: &BusSettings,
        embedded: &InProcessBus,
        pool: Option<Arc<shop_storage::PoolCounts>>,
    ) -> anyhow::Result<Self> {
        if settings.mongo_serial_transactions {
            shop_storage::serialize_transactions();
        }
        let (storage, inbox): (Storage, Arc<dyn InboxStore>) = match &settings.mongo_url {
            Some(url) => {
                let db = shop_storage::connect_counted(
                    url.expose(),
                    &settings.mongo_database,
                    pool,
                    settings.mongo_query_log.as_deref(),
                )
                .await?;
                let inbox = Arc::new(MongoInbox::open(&db).await?);
                (Storage::Mongo { outbox: MongoOutbox::new(&db), db }, inbox)
            }
            None => (Storage::Embedded { outbox: MemoryOutbox::default() }, Arc::new(MemoryInbox::default())),
        };
        let bus = bus_for(settings.amqp_url.as_ref(), bus, embedded);
        if !bus.ready().await {
            tracing::warn!("the event broker is not reachable yet; events will wait in the outbox");
        }
        let redis = settings.redis_url.as_ref().map(redis_pool).transpose()?;
        Ok(Self { storage, bus, redis, inbox })
    }

    /// The service's database, when it has one.
    pub fn db(&self) -> Option<&Database> {
        match &self.storage {
            Storage::Mongo { db, .. } => Some(db),
            Storage::Embedded { .. } => None,
        }
    }

    /// Whether this replica is the one to do the one-time job `what` (see
    /// [`shop_storage::claim_once`]); an embedded store has no other replica.
    pub async fn claim_once(&self, what: &str) -> anyhow::Result<bool> {
        match &self.storage {
            Storage::Mongo { db, .. } => shop_storage::claim_once(db, what).await,
            Storage::Embedded { .. } => Ok(true),
        }
    }

    /// The outbox the relay publishes from.
    pub fn outbox(&self) -> Arc<dyn OutboxStore> {
        match &self.storage {
            Storage::Mongo { outbox, .. } => Arc::new(outbox.clone()),
            Storage::Embedded { outbox } => Arc::new(outbox.clone()),
        }
    }

    /// Where this service's consumers record the events they applied.
    pub fn inbox(&self) -> Arc<dyn InboxStore> {
        self.inbox.clone()
    }
}

/// How long a Redis command waits for its reply. The client's default (500 ms) fails
/// commands during a load spike on a busy host although Redis answered in time.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a caller waits for a pooled connection (or a new one) before the call fails as
/// unavailable, instead of queueing while Redis is away.
const REDIS_WAIT: Duration = Duration::from_secs(2);

/// A pool of Redis connections (carts, rate limits, caches).
pub fn redis_pool(url: &SecretUrl) -> anyhow::Result<deadpool_redis::Pool> {
    use deadpool_redis::{Manager, Pool, Runtime, redis::AsyncConnectionConfig};
    let config = AsyncConnectionConfig::new()
        .set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(REDIS_WAIT));
    let manager = Manager::new_with_config(url.expose(), config)?;
    Ok(Pool::builder(manager)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(REDIS_WAIT))
        .create_timeout(Some(REDIS_WAIT))
        .recycle_timeout(Some(REDIS_WAIT))
        .build()?)
}
