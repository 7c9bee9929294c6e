//! Inbox: the ids of events a consumer has processed, so a redelivered event is
//! acknowledged without being applied again.

use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use mongodb::{Collection, Database, bson::doc};
use serde::{Deserialize, Serialize};

use crate::{Envelope, EventHandler};

#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// Whether `consumer` has already processed `event_id`.
    async fn seen(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool>;
    /// Records `event_id` as processed; `false` if it already was.
    async fn record(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool>;
}

/// How long an applied event id is remembered: far longer than any redelivery takes (a
/// few retries, seconds apart), short enough that the inbox does not grow forever.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Event ids the embedded inbox keeps; the oldest are forgotten first.
pub const MEMORY_CAPACITY: usize = 200_000;

#[derive(Default)]
struct Remembered {
    ids: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
}

/// The embedded inbox: bounded, forgetting the oldest ids first.
#[derive(Clone, Default)]
pub struct MemoryInbox {
    seen: Arc<Mutex<Remembered>>,
}

#[async_trait]
impl InboxStore for MemoryInbox {
    async fn seen(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool> {
        let key = (consumer.to_owned(), event_id.to_owned());
        Ok(shop_platform::lock(&self.seen).ids.contains(&key))
    }

    async fn record(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool> {
        let key = (consumer.to_owned(), event_id.to_owned());
        let mut seen = shop_platform::lock(&self.seen);
        if !seen.ids.insert(key.clone()) {
            return Ok(false);
        }
        seen.order.push_back(key);
        while seen.order.len() > MEMORY_CAPACITY {
            if let Some(oldest) = seen.order.pop_front() {
                seen.ids.remove(&oldest);
            }
        }
        Ok(true)
    }
}

#[derive(Serialize, Deserialize)]
struct InboxDoc {
    #[serde(rename = "_id")]
    id: String,
    /// When it was applied; the TTL index forgets it [`RETENTION`] later.
    at: mongodb::bson::DateTime,
}

/// Inbox in the consumer's MongoDB database (collection `inbox`, `_id` = consumer:event),
/// each id kept for [`RETENTION`].
#[derive(Clone)]
pub struct MongoInbox {
    collection: Collection<InboxDoc>,
}

impl MongoInbox {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let collection = db.collection("inbox");
        shop_storage::ensure_indexes(&collection, vec![shop_storage::expires("at", RETENTION)]).await?;
        Ok(Self { collection })
    }
}

fn key(consumer: &str, event_id: &str) -> String {
    format!("{consumer}:{event_id}")
}

#[async_trait]
impl InboxStore for MongoInbox {
    async fn seen(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool> {
        Ok(self.collection.find_one(doc! { "_id": key(consumer, event_id) }).await?.is_some())
    }

    async fn record(&self, consumer: &str, event_id: &str) -> anyhow::Result<bool> {
        match self.collection.insert_one(InboxDoc { id: key(consumer, event_id), at: shop_storage::now_date() }).await {
            Ok(_) => Ok(true),
            Err(err) if shop_storage::is_duplicate_key(&err) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

/// Wraps a handler so each event id is applied at most once per consumer: a duplicate is
/// acknowledged untouched; an event is recorded only after its handler succeeded, so a
/// failed attempt is retried. Handlers whose effect is not idempotent on a crash between
/// the effect and the record should record inside their own transaction instead.
pub struct Deduplicate<H> {
    consumer: String,
    inbox: Arc<dyn InboxStore>,
    inner: H,
}

impl<H: EventHandler> Deduplicate<H> {
    pub fn new(consumer: &str, inbox: Arc<dyn InboxStore>, inner: H) -> Self {
        Self { consumer: consumer.to_owned(), inbox, inner }
    }
}

#[async_trait]
impl<H: EventHandler> EventHandler for Deduplicate<H> {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if self.inbox.seen(&self.consumer, &event.event_id).await? {
            tracing::debug!(event_id = %event.event_id, "duplicate event ignored");
            return Ok(());
        }
        self.inner.handle(event).await?;
        self.inbox.record(&self.consumer, &event.event_id).await?;
        Ok(())
    }
}
