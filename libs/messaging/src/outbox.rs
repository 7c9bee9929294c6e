//! Transactional outbox: a service stores the events of a state change in the same
//! transaction as the change; the [`Relay`] publishes them with publisher confirms and only
//! then deletes them. A broker outage delays events, it never loses them.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use mongodb::{
    ClientSession, Collection, Database,
    bson::{Binary, doc, spec::BinarySubtype},
};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use shop_platform::Shutdown;
use tokio::{sync::Notify, task::JoinHandle};

use crate::{Envelope, EventBus};

/// Events waiting to be published, oldest first.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Up to `limit` unpublished events, in the order they were written.
    async fn pending(&self, limit: usize) -> anyhow::Result<Vec<Envelope>>;
    /// Forgets a published event.
    async fn remove(&self, event_id: &str) -> anyhow::Result<()>;
    /// Wakes the relay early (after a write); polling covers other writers.
    fn notifier(&self) -> Arc<Notify>;
    /// Stores events on their own, for changes that cannot share a transaction with them.
    async fn append(&self, events: &[Envelope]) -> anyhow::Result<()>;
    /// How many events wait, and the id of the oldest (a UUIDv7: it tells its age).
    async fn backlog(&self) -> anyhow::Result<(u64, Option<String>)>;
}

/// How long ago an event with this id (a UUIDv7) was made.
pub fn age_of(event_id: &str) -> Option<std::time::Duration> {
    let (secs, nanos) = uuid::Uuid::parse_str(event_id).ok()?.get_timestamp()?.to_unix();
    let made = std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
    std::time::SystemTime::now().duration_since(made).ok()
}

/// Outbox kept in memory, written under the embedded store's own lock.
#[derive(Clone, Default)]
pub struct MemoryOutbox {
    // Keyed by UUIDv7 event id, which sorts by creation time.
    events: Arc<Mutex<BTreeMap<String, Envelope>>>,
    notify: Arc<Notify>,
}

impl MemoryOutbox {
    /// Adds events; callers hold their own store lock so state and events change together.
    pub fn add(&self, events: impl IntoIterator<Item = Envelope>) {
        let mut map = shop_platform::lock(&self.events);
        for event in events {
            map.insert(event.event_id.clone(), event);
        }
        drop(map);
        self.notify.notify_one();
    }
}

#[async_trait]
impl OutboxStore for MemoryOutbox {
    async fn pending(&self, limit: usize) -> anyhow::Result<Vec<Envelope>> {
        let map = shop_platform::lock(&self.events);
        Ok(map.values().take(limit).cloned().collect())
    }

    async fn remove(&self, event_id: &str) -> anyhow::Result<()> {
        shop_platform::lock(&self.events).remove(event_id);
        Ok(())
    }

    fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    async fn append(&self, events: &[Envelope]) -> anyhow::Result<()> {
        self.add(events.iter().cloned());
        Ok(())
    }

    async fn backlog(&self) -> anyhow::Result<(u64, Option<String>)> {
        let map = shop_platform::lock(&self.events);
        Ok((map.len() as u64, map.keys().next().cloned()))
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct OutboxDoc {
    /// The event id (UUIDv7: sorting by it is sorting by creation).
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    envelope: Binary,
}

/// Outbox in the service's own MongoDB database (collection `outbox`).
#[derive(Clone)]
pub struct MongoOutbox {
    db: Database,
    collection: Collection<OutboxDoc>,
    notify: Arc<Notify>,
}

impl MongoOutbox {
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone(), collection: db.collection("outbox"), notify: Arc::new(Notify::new()) }
    }

    /// Runs `write` and stores `events` in one transaction — the change and its events
    /// commit together or not at all — then wakes the relay. `write`'s error (or the
    /// commit's) comes back as it was, for the store to tell conflicts from failures.
    pub async fn transact<T>(
        &self,
        events: &[Envelope],
        write: impl AsyncFnOnce(&mut ClientSession) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut tx = shop_storage::begin(&self.db).await?;
        let written = async {
            let value = write(&mut tx).await?;
            self.add_in(&mut tx, events).await?;
            anyhow::Ok(value)
        }
        .await;
        let value = shop_storage::finish(tx, written).await?;
        if !events.is_empty() {
            self.written();
        }
        Ok(value)
    }

    fn docs(events: &[Envelope]) -> Vec<OutboxDoc> {
        events
            .iter()
            .map(|e| OutboxDoc {
                id: e.event_id.clone(),
                event_type: e.r#type.clone(),
                envelope: Binary { subtype: BinarySubtype::Generic, bytes: e.encode_to_vec() },
            })
            .collect()
    }

    /// Writes `events` inside a transaction.
    async fn add_in(&self, session: &mut ClientSession, events: &[Envelope]) -> anyhow::Result<()> {
        if !events.is_empty() {
            self.collection.insert_many(Self::docs(events)).session(session).await?;
        }
        Ok(())
    }

    /// Writes `events` on their own (for changes that are nothing but events).
    pub async fn add(&self, events: &[Envelope]) -> anyhow::Result<()> {
        if !events.is_empty() {
            self.collection.insert_many(Self::docs(events)).await?;
        }
        self.notify.notify_one();
        Ok(())
    }

    /// Wakes the relay after a transaction that wrote events has committed.
    pub fn written(&self) {
        self.notify.notify_one();
    }
}

#[async_trait]
impl OutboxStore for MongoOutbox {
    async fn pending(&self, limit: usize) -> anyhow::Result<Vec<Envelope>> {
        use futures::TryStreamExt;
        let docs: Vec<OutboxDoc> = self
            .collection
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(|d| Ok(Envelope::decode(d.envelope.bytes.as_slice())?)).collect()
    }

    async fn remove(&self, event_id: &str) -> anyhow::Result<()> {
        self.collection.delete_one(doc! { "_id": event_id }).await?;
        Ok(())
    }

    fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    async fn append(&self, events: &[Envelope]) -> anyhow::Result<()> {
        self.add(events).await
    }

    async fn backlog(&self) -> anyhow::Result<(u64, Option<String>)> {
        let count = self.collection.count_documents(doc! {}).await?;
        let oldest = if count == 0 {
            None
        } else {
            let ids = self.db.collection::<mongodb::bson::Document>("outbox");
            let first = ids.find_one(doc! {}).sort(doc! { "_id": 1 }).projection(doc! { "_id": 1 }).await?;
            first.and_then(|d| d.get_str("_id").ok().map(str::to_owned))
        };
        Ok((count, oldest))
    }
}

/// Publishes what lands in an outbox, in order, retrying with backoff while the broker
/// or the store is unavailable.
pub struct Relay {
    task: JoinHandle<()>,
}

/// How often the relay looks for events written by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const BATCH: usize = 100;

impl Relay {
    pub fn start(outbox: Arc<dyn OutboxStore>, bus: Arc<dyn EventBus>, shutdown: Shutdown) -> Self {
        let task = tokio::spawn(async move {
            let notify = outbox.notifier();
            let mut backoff = Duration::from_millis(100);
            loop {
                let wait = match publish_batch(outbox.as_ref(), bus.as_ref()).await {
                    Ok(n) if n == BATCH => Duration::ZERO,
                    Ok(_) => {
                        backoff = Duration::from_millis(100);
                        POLL_INTERVAL
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, retry_in_ms = backoff.as_millis(), "outbox relay stalled");
                        let wait = backoff;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        wait
                    }
                };
                tokio::select! {
                    () = shutdown.wait() => {
                        // One last pass so a clean stop leaves nothing behind if it can.
                        let _ = publish_batch(outbox.as_ref(), bus.as_ref()).await;
                        return;
                    }
                    () = notify.notified(), if wait > Duration::ZERO && backoff <= Duration::from_millis(100) => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        });
        Self { task }
    }

    /// Waits for the relay to finish after its shutdown tripped — at most
    /// [`crate::STOP_WITHIN`]: what it could not publish stays in the outbox for the next
    /// start (or another replica).
    pub async fn join(self) {
        crate::join_within(self.task, "the outbox relay (what is left is published later)").await;
    }
}

/// Publishes one batch; stops at the first failure so order is kept.
async fn publish_batch(outbox: &dyn OutboxStore, bus: &dyn EventBus) -> anyhow::Result<usize> {
    let events = outbox.pending(BATCH).await?;
    for event in &events {
        bus.publish(event).await?;
        outbox.remove(&event.event_id).await?;
    }
    Ok(events.len())
}
