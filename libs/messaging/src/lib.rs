//! Events between services: the [`EventBus`] trait with a RabbitMQ and an in-process
//! implementation, the transactional outbox that publishes what a service wrote, and the
//! inbox that makes a redelivered event change nothing.
//!
//! Delivery is at least once; consumers wrap their handlers in [`inbox::Deduplicate`] so
//! that each event takes effect at most once.

pub mod inbox;
pub mod kind;
pub mod memory;
pub mod outbox;
pub mod rabbit;
mod topic;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shop_platform::Shutdown;
pub use shop_proto::events::v1::Envelope;
use tokio::task::JoinHandle;

pub use memory::InProcessBus;
pub use rabbit::RabbitBus;

/// Name of the topic exchange every event is published to.
pub const EXCHANGE: &str = "shop.events";

/// Creates an envelope for `payload`, stamped with a new id, the time and the current
/// trace context.
pub fn new_event<M: prost::Message>(event_type: &str, producer: &str, payload: &M) -> Envelope {
    let now = time::OffsetDateTime::now_utc();
    Envelope {
        event_id: uuid::Uuid::now_v7().to_string(),
        r#type: event_type.to_owned(),
        occurred_at: Some(shop_proto::Timestamp {
            seconds: now.unix_timestamp(),
            nanos: i32::try_from(now.nanosecond()).unwrap_or(0),
        }),
        producer: producer.to_owned(),
        trace_context: shop_platform::trace_context::current_map(),
        payload: payload.encode_to_vec(),
        origin: this_process().to_owned(),
    }
}

/// This process's name among its peers in [`Envelope::origin`]: random per start.
pub fn this_process() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::now_v7().simple().to_string())
}

/// Reacts to one event. An error means "try again later": the bus redelivers the event
/// until [`BusSettings::max_deliveries`] is reached, then dead-letters it.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()>;
}

#[async_trait]
impl<T: EventHandler + ?Sized> EventHandler for Arc<T> {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        (**self).handle(event).await
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    #[error("the broker is unreachable: {0}")]
    Unavailable(String),
    #[error("the broker refused the message: {0}")]
    Rejected(String),
    #[error("the listener could not resync: {0}")]
    Resync(String),
}

/// Tuning shared by both bus implementations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusSettings {
    /// Deliveries of one event before it is dead-lettered (first try included).
    pub max_deliveries: u32,
    /// Unacknowledged events a consumer holds at once.
    pub prefetch: u16,
    /// Pause before a failed event is handed back for redelivery.
    #[serde(with = "millis")]
    pub retry_delay: Duration,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self { max_deliveries: 5, prefetch: 32, retry_delay: Duration::from_millis(200) }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// A handler as a bus holds it.
pub type Handler = Arc<dyn EventHandler>;

/// Hears events through a queue of its own process (see [`EventBus::listen`]): a read model
/// each replica keeps, which may miss events while it has no queue and then builds itself
/// again from the truth.
#[async_trait]
pub trait Listener: EventHandler {
    /// Runs each time the listener's queue is made anew (first at `listen`, then after a
    /// lost connection), before any event of that queue is handled: what was published
    /// while there was no queue was not kept for it.
    async fn resync(&self) -> anyhow::Result<()>;
}

/// Hands `event` to `listener`, retrying a failure up to [`BusSettings::max_deliveries`]
/// times; an event that never succeeds is logged and left (a listener's queue has no dead
/// letters: its next resync repairs what it missed).
pub(crate) async fn hear(listener: &dyn Listener, event: &Envelope, settings: &BusSettings) {
    for attempt in 1..=settings.max_deliveries.max(1) {
        if dispatch("listener", listener, event).await.is_ok() {
            return;
        }
        if attempt < settings.max_deliveries {
            tokio::time::sleep(settings.retry_delay).await;
        }
    }
    tracing::error!(event_id = %event.event_id, event_type = %event.r#type, "listener gave up on an event");
}

/// Publishes events and runs consumers.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes `event` with routing key `event.type`; returns once the broker has
    /// accepted responsibility for it (publisher confirm).
    async fn publish(&self, event: &Envelope) -> Result<(), BusError>;

    /// Starts delivering events whose type matches any of `patterns` (AMQP topic syntax:
    /// `*` one word, `#` any words) to `handler`, through the durable queue of `consumer`.
    /// Events published while the consumer is stopped wait in its queue.
    async fn subscribe(&self, consumer: &str, patterns: &[&str], handler: Handler) -> Result<Subscription, BusError>;

    /// Delivers every event matching `patterns` to `listener` through a queue of this
    /// process alone, which lives while the subscription does: every listener hears every
    /// event (where a consumer's durable queue hands each event to one replica). Returns
    /// once the queue is bound and the listener's first [`Listener::resync`] has run.
    async fn listen(&self, patterns: &[&str], listener: Arc<dyn Listener>) -> Result<Subscription, BusError>;

    /// Removes and returns up to `max` events dead-lettered for `consumer`.
    async fn take_dead_letters(&self, consumer: &str, max: usize) -> Result<Vec<Envelope>, BusError>;

    /// How many events wait dead-lettered for `consumer`.
    async fn dead_letter_count(&self, consumer: &str) -> Result<u64, BusError>;

    /// Whether the broker can be reached now (readiness).
    async fn ready(&self) -> bool;
}

/// A running consumer; [`Subscription::stop`] finishes the event in hand and returns.
pub struct Subscription {
    stop: Shutdown,
    task: JoinHandle<()>,
}

/// How long a stopping consumer may take to finish the event in hand (or to give up
/// reaching a broker it lost): past it the consumer is abandoned — its unacknowledged
/// event goes back to the queue and the inbox keeps it from taking effect twice — so a
/// service always exits within its termination grace period.
pub const STOP_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

impl Subscription {
    pub(crate) fn new(stop: Shutdown, task: JoinHandle<()>) -> Self {
        Self { stop, task }
    }

    pub async fn stop(self) {
        self.stop.trigger();
        join_within(self.task, "a consumer (its event in hand is redelivered)").await;
    }
}

/// Waits for a task told to stop, at most [`STOP_WITHIN`]; then abandons it (`what` says
/// what that leaves behind, in the warning).
pub(crate) async fn join_within(task: JoinHandle<()>, what: &str) {
    let abort = task.abort_handle();
    if tokio::time::timeout(STOP_WITHIN, task).await.is_err() {
        abort.abort();
        tracing::warn!(what, "did not stop in time and was abandoned");
    }
}

/// Runs `handler` for `event` inside a span parented on the producer's trace context.
pub(crate) async fn dispatch(consumer: &str, handler: &dyn EventHandler, event: &Envelope) -> anyhow::Result<()> {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "event.consume",
        otel.name = %format!("consume {}", event.r#type),
        otel.kind = "consumer",
        consumer,
        event_type = %event.r#type,
        event_id = %event.event_id,
    );
    shop_platform::trace_context::set_parent(&span, &event.trace_context);
    let result = handler.handle(event).instrument(span.clone()).await;
    if let Err(err) = &result {
        span.in_scope(|| tracing::warn!(error = format!("{err:#}"), "event handler failed"));
    }
    result
}

/// The bus a service uses: RabbitMQ when `amqp_url` is set, else the in-process bus the
/// services of this process share.
pub fn bus_for(
    amqp_url: Option<&shop_platform::settings::SecretUrl>,
    settings: &BusSettings,
    embedded: &InProcessBus,
) -> Arc<dyn EventBus> {
    match amqp_url {
        Some(url) => {
            tracing::info!(url = %url.redacted(), "using RabbitMQ");
            Arc::new(RabbitBus::new(url.expose(), settings.clone()))
        }
        None => Arc::new(embedded.clone()),
    }
}
