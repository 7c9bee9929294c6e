//! What a service's messaging and pools look like, in its metrics:
//! `messaging_events_handled_total{consumer, outcome}` and
//! `messaging_event_handling_duration_seconds{consumer}` for each consumer (a failed
//! handling is redelivered, at the limit dead-lettered), and, sampled every few seconds,
//! `messaging_outbox_backlog`, `messaging_outbox_oldest_age_seconds`,
//! `messaging_dead_letters{consumer}`, `mongo_pool_connections{state}` and
//! `redis_pool_connections{state}`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use prometheus::{Gauge, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts, Registry};
use shop_messaging::{Envelope, EventBus, EventHandler, outbox::OutboxStore};
use shop_platform::metrics::LATENCY_BUCKETS;

/// How often the sampled figures are read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Figures {
    handled: prometheus::IntCounterVec,
    handling: HistogramVec,
    backlog: IntGauge,
    oldest: Gauge,
    dead_letters: IntGaugeVec,
    mongo: IntGaugeVec,
    redis: IntGaugeVec,
    /// MongoDB connections checked out and open, kept by the driver's pool events.
    pub(crate) mongo_pool: Arc<shop_storage::PoolCounts>,
}

impl Figures {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let handled = prometheus::IntCounterVec::new(
            Opts::new(
                "messaging_events_handled_total",
                "Events handled by a consumer, by outcome (failed ones are redelivered).",
            ),
            &["consumer", "outcome"],
        )?;
        let handling = HistogramVec::new(
            HistogramOpts::new("messaging_event_handling_duration_seconds", "Time to handle one event.")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["consumer"],
        )?;
        let backlog = IntGauge::new("messaging_outbox_backlog", "Events written and not yet published.")?;
        let oldest =
            Gauge::new("messaging_outbox_oldest_age_seconds", "Age of the oldest unpublished event (0: none).")?;
        let dead_letters = IntGaugeVec::new(
            Opts::new("messaging_dead_letters", "Events dead-lettered for a consumer, waiting for a look."),
            &["consumer"],
        )?;
        registry.register(Box::new(handled.clone()))?;
        registry.register(Box::new(handling.clone()))?;
        registry.register(Box::new(backlog.clone()))?;
        registry.register(Box::new(oldest.clone()))?;
        registry.register(Box::new(dead_letters.clone()))?;
        let states = ["in_use", "idle"];
        let mongo =
            IntGaugeVec::new(Opts::new("mongo_pool_connections", "MongoDB connections, by state."), &["state"])?;
        let redis = IntGaugeVec::new(Opts::new("redis_pool_connections", "Redis connections, by state."), &["state"])?;
        for gauge in [&mongo, &redis] {
            for state in states {
                gauge.with_label_values(&[state]);
            }
            registry.register(Box::new(gauge.clone()))?;
        }
        Ok(Self { handled, handling, backlog, oldest, dead_letters, mongo, redis, mongo_pool: Arc::default() })
    }

    /// `handler`, counted as `consumer`.
    pub fn observe(&self, consumer: &str, handler: Arc<dyn EventHandler>) -> Arc<dyn EventHandler> {
        for outcome in ["ok", "failed"] {
            self.handled.with_label_values(&[consumer, outcome]);
        }
        self.dead_letters.with_label_values(&[consumer]);
        Arc::new(Observed { consumer: consumer.to_owned(), handler, figures: self.clone() })
    }

    /// Reads the sampled figures once.
    pub async fn sample(
        &self,
        outbox: &dyn OutboxStore,
        bus: &dyn EventBus,
        consumers: &[String],
        redis: Option<&deadpool_redis::Pool>,
    ) -> anyhow::Result<()> {
        // The pools first: they need no backend, so an unreachable one does not stop them.
        let (in_use, open) = self.mongo_pool.read();
        self.mongo.with_label_values(&["in_use"]).set(in_use);
        self.mongo.with_label_values(&["idle"]).set((open - in_use).max(0));
        if let Some(pool) = redis {
            let status = pool.status();
            let idle = i64::try_from(status.available).unwrap_or(0);
            let size = i64::try_from(status.size).unwrap_or(0);
            self.redis.with_label_values(&["in_use"]).set((size - idle).max(0));
            self.redis.with_label_values(&["idle"]).set(idle);
        }
        let (waiting, oldest) = outbox.backlog().await?;
        self.backlog.set(i64::try_from(waiting).unwrap_or(i64::MAX));
        let age = oldest.as_deref().and_then(shop_messaging::outbox::age_of).unwrap_or_default();
        self.oldest.set(age.as_secs_f64());
        for consumer in consumers {
            let dead = bus.dead_letter_count(consumer).await?;
            self.dead_letters.with_label_values(&[consumer]).set(i64::try_from(dead).unwrap_or(i64::MAX));
        }
        Ok(())
    }
}

struct Observed {
    consumer: String,
    handler: Arc<dyn EventHandler>,
    figures: Figures,
}

#[async_trait]
impl EventHandler for Observed {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let started = Instant::now();
        let result = self.handler.handle(event).await;
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        self.figures.handled.with_label_values(&[self.consumer.as_str(), outcome]).inc();
        self.figures.handling.with_label_values(&[self.consumer.as_str()]).observe(started.elapsed().as_secs_f64());
        result
    }
}
