//! The RabbitMQ bus (lapin): durable topic exchange, one durable quorum queue per consumer
//! with a delivery limit and a dead-letter queue, publisher confirms with `mandatory`,
//! manual acks. The connection is opened lazily and re-opened after any failure, so a
//! broker outage slows publishers and consumers down but never kills them.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
    options::{
        BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
        QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable},
};
use prost::Message as _;
use shop_platform::Shutdown;
use tokio::sync::Mutex;

mod deliver;

use deliver::Backoff;

use crate::{BusError, BusSettings, EXCHANGE, Envelope, EventBus, Handler, Listener, Subscription};

/// Exchange that receives dead-lettered events, routed by consumer name.
const DEAD_LETTER_EXCHANGE: &str = "shop.events.dlx";
/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Event bus over a RabbitMQ broker.
#[derive(Clone)]
pub struct RabbitBus {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    settings: BusSettings,
    connection: Mutex<Option<Arc<Connection>>>,
    publisher: Mutex<Option<Channel>>,
}

fn unavailable(err: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(err.to_string())
}

fn queue_name(consumer: &str) -> String {
    format!("{EXCHANGE}.{consumer}")
}

fn dead_letter_queue(consumer: &str) -> String {
    format!("{EXCHANGE}.{consumer}.dlq")
}

impl RabbitBus {
    /// Does not connect yet: the first publish or subscription does, and retries.
    pub fn new(url: &str, settings: BusSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                settings,
                connection: Mutex::new(None),
                publisher: Mutex::new(None),
            }),
        }
    }

    /// The open connection, or a new one (also declaring the exchanges).
    async fn connection(&self) -> Result<Arc<Connection>, BusError> {
        let mut slot = self.inner.connection.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| c.status().connected()) {
            return Ok(conn.clone());
        }
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            Connection::connect(&self.inner.url, ConnectionProperties::default()),
        )
        .await
        .map_err(|_| unavailable("connection attempt timed out"))?
        .map_err(unavailable)?;
        let channel = conn.create_channel().await.map_err(unavailable)?;
        let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        channel
            .exchange_declare(EXCHANGE.into(), ExchangeKind::Topic, durable, FieldTable::default())
            .await
            .map_err(unavailable)?;
        channel
            .exchange_declare(DEAD_LETTER_EXCHANGE.into(), ExchangeKind::Direct, durable, FieldTable::default())
            .await
            .map_err(unavailable)?;
        let _ = channel.close(200, "declared".into()).await;
        let conn = Arc::new(conn);
        *slot = Some(conn.clone());
        tracing::info!("connected to RabbitMQ");
        Ok(conn)
    }

    /// A fresh channel on the shared connection.
    async fn channel(&self) -> Result<Channel, BusError> {
        self.connection().await?.create_channel().await.map_err(unavailable)
    }

    async fn publisher(&self) -> Result<Channel, BusError> {
        let mut slot = self.inner.publisher.lock().await;
        if let Some(ch) = slot.as_ref().filter(|c| c.status().connected()) {
            return Ok(ch.clone());
        }
        let channel = self.channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await.map_err(unavailable)?;
        *slot = Some(channel.clone());
        Ok(channel)
    }

    /// Declares the consumer's quorum queue, its dead-letter queue and bindings.
    async fn declare_consumer(&self, channel: &Channel, consumer: &str, patterns: &[String]) -> Result<(), BusError> {
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        let mut quorum = FieldTable::default();
        quorum.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        channel
            .queue_declare(dead_letter_queue(consumer).into(), durable, quorum.clone())
            .await
            .map_err(unavailable)?;
        channel
            .queue_bind(
                dead_letter_queue(consumer).into(),
                DEAD_LETTER_EXCHANGE.into(),
                consumer.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        let mut args = quorum;
        // RabbitMQ counts redeliveries: the limit is the deliveries after the first.
        let limit = i64::from(self.inner.settings.max_deliveries.saturating_sub(1));
        args.insert("x-delivery-limit".into(), AMQPValue::LongLongInt(limit));
        args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(DEAD_LETTER_EXCHANGE.into()));
        args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(consumer.into()));
        channel.queue_declare(queue_name(consumer).into(), durable, args).await.map_err(unavailable)?;
        bind(channel, &queue_name(consumer), patterns).await
    }

    /// Declares a listener's queue: named by the broker, this connection's alone, gone
    /// with its consumer or its connection.
    async fn declare_listener(&self, channel: &Channel, patterns: &[String]) -> Result<String, BusError> {
        let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..QueueDeclareOptions::default() };
        let queue = channel.queue_declare("".into(), options, FieldTable::default()).await.map_err(unavailable)?;
        let name = queue.name().as_str().to_owned();
        bind(channel, &name, patterns).await?;
        Ok(name)
    }

    /// Deletes a consumer's queues (decommissioning a consumer; test clean-up).
    pub async fn remove_consumer(&self, consumer: &str) -> Result<(), BusError> {
        let channel = self.channel().await?;
        for queue in [queue_name(consumer), dead_letter_queue(consumer)] {
            channel.queue_delete(queue.into(), QueueDeleteOptions::default()).await.map_err(unavailable)?;
        }
        let _ = channel.close(200, "done".into()).await;
        Ok(())
    }
}

async fn bind(channel: &Channel, queue: &str, patterns: &[String]) -> Result<(), BusError> {
    for pattern in patterns {
        channel
            .queue_bind(
                queue.into(),
                EXCHANGE.into(),
                pattern.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl EventBus for RabbitBus {
    async fn publish(&self, event: &Envelope) -> Result<(), BusError> {
        let channel = self.publisher().await?;
        let mut headers = FieldTable::default();
        for (k, v) in &event.trace_context {
            headers.insert(k.as_str().into(), AMQPValue::LongString(v.as_str().into()));
        }
        let props = BasicProperties::default()
            .with_message_id(event.event_id.as_str().into())
            .with_type(event.r#type.as_str().into())
            .with_app_id(event.producer.as_str().into())
            .with_content_type("application/x-protobuf".into())
            .with_delivery_mode(2)
            .with_headers(headers);
        let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
        let confirm = channel
            .basic_publish(EXCHANGE.into(), event.r#type.as_str().into(), options, &event.encode_to_vec(), props)
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) => {
                // Nobody subscribes to this type yet: accepted by the broker, kept by nobody.
                tracing::debug!(event_type = %event.r#type, "event had no subscriber queue");
                Ok(())
            }
            Confirmation::Nack(_) => Err(BusError::Rejected(event.event_id.clone())),
            Confirmation::NotRequested => Err(BusError::Rejected("confirms not enabled".into())),
        }
    }

    async fn subscribe(&self, consumer: &str, patterns: &[&str], handler: Handler) -> Result<Subscription, BusError> {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        // Declare now so events published right after `subscribe` returns are kept.
        let channel = self.channel().await?;
        self.declare_consumer(&channel, consumer, &patterns).await?;
        let _ = channel.close(200, "declared".into()).await;

        let stop = Shutdown::new();
        let watch = stop.clone();
        let bus = self.clone();
        let consumer = consumer.to_owned();
        let task = tokio::spawn(async move {
            let mut backoff = Backoff::new();
            while !watch.is_triggered() {
                match bus.consume_once(&consumer, &patterns, handler.as_ref(), &watch).await {
                    Ok(()) => return,
                    Err(err) => {
                        tracing::warn!(consumer, error = %err, "consumer lost its channel; retrying");
                        if !backoff.pause(&watch).await {
                            return;
                        }
                    }
                }
            }
        });
        Ok(Subscription::new(stop, task))
    }

    async fn listen(&self, patterns: &[&str], listener: Arc<dyn Listener>) -> Result<Subscription, BusError> {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        let stop = Shutdown::new();
        let watch = stop.clone();
        let bus = self.clone();
        let (tx, first) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut resynced = Some(tx);
            let mut backoff = Backoff::new();
            while !watch.is_triggered() {
                match bus.listen_once(&patterns, listener.as_ref(), &watch, &mut resynced).await {
                    Ok(()) => return,
                    // The first round's failure is the caller's to handle.
                    Err(err) if resynced.is_some() => {
                        if let Some(tx) = resynced.take() {
                            let _ = tx.send(Err(err));
                        }
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "listener lost its queue; listening anew");
                        if !backoff.pause(&watch).await {
                            return;
                        }
                    }
                }
            }
        });
        let subscription = Subscription::new(stop, task);
        match first.await {
            Ok(Ok(())) => Ok(subscription),
            Ok(Err(err)) => {
                subscription.stop().await;
                Err(err)
            }
            Err(_) => Err(unavailable("the listener stopped before it started")),
        }
    }

    async fn take_dead_letters(&self, consumer: &str, max: usize) -> Result<Vec<Envelope>, BusError> {
        let channel = self.channel().await?;
        let mut out = Vec::new();
        while out.len() < max {
            let Some(msg) = channel
                .basic_get(dead_letter_queue(consumer).into(), BasicGetOptions::default())
                .await
                .map_err(unavailable)?
            else {
                break;
            };
            if let Ok(event) = Envelope::decode(msg.delivery.data.as_slice()) {
                out.push(event);
            }
            msg.delivery.ack(BasicAckOptions::default()).await.map_err(unavailable)?;
        }
        let _ = channel.close(200, "done".into()).await;
        Ok(out)
    }

    async fn dead_letter_count(&self, consumer: &str) -> Result<u64, BusError> {
        let channel = self.channel().await?;
        // Passive: only asks; a queue that does not exist yet (no consumer ever ran) holds none.
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let count =
            match channel.queue_declare(dead_letter_queue(consumer).into(), passive, FieldTable::default()).await {
                Ok(queue) => u64::from(queue.message_count()),
                // NOT_FOUND closes the channel: nothing to close then.
                Err(err) if matches!(err.kind(), lapin::ErrorKind::ProtocolError(_)) => return Ok(0),
                Err(err) => return Err(unavailable(err)),
            };
        let _ = channel.close(200, "done".into()).await;
        Ok(count)
    }

    async fn ready(&self) -> bool {
        self.connection().await.is_ok()
    }
}
