//! Delivery: a queue's events handed to a consumer (acked once handled, requeued after a
//! failure) or a listener (retried in hand, then left); and the pauses between
//! reconnections.

use std::time::Duration;

use futures::StreamExt;
use lapin::{
    Channel,
    options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions},
    types::{FieldTable, ShortString},
};
use prost::Message as _;
use shop_platform::Shutdown;

use super::{MAX_BACKOFF, RabbitBus, queue_name, unavailable};
use crate::{BusError, Envelope, EventHandler, Listener, dispatch, hear};

impl RabbitBus {
    /// Consumes until `stop` trips or the channel fails.
    pub(super) async fn consume_once(
        &self,
        consumer: &str,
        patterns: &[String],
        handler: &dyn EventHandler,
        stop: &Shutdown,
    ) -> Result<(), BusError> {
        let channel = self.channel().await?;
        self.declare_consumer(&channel, consumer, patterns).await?;
        self.deliver(channel, &queue_name(consumer), Sink::Consumer(consumer, handler), stop).await
    }

    /// Listens through a new queue until `stop` trips or the channel fails; `resynced`
    /// hears how the listener's resync went.
    pub(super) async fn listen_once(
        &self,
        patterns: &[String],
        listener: &dyn Listener,
        stop: &Shutdown,
        resynced: &mut Option<tokio::sync::oneshot::Sender<Result<(), BusError>>>,
    ) -> Result<(), BusError> {
        let channel = self.channel().await?;
        let queue = self.declare_listener(&channel, patterns).await?;
        let resync = listener.resync().await.map_err(|err| BusError::Resync(format!("{err:#}")));
        if let Some(tx) = resynced.take() {
            let _ = tx.send(resync.clone());
        }
        resync?;
        self.deliver(channel, &queue, Sink::Listener(listener), stop).await
    }

    /// Hands what arrives in `queue` to `sink` until `stop` trips or the channel fails.
    async fn deliver(&self, channel: Channel, queue: &str, sink: Sink<'_>, stop: &Shutdown) -> Result<(), BusError> {
        let name = match sink {
            Sink::Consumer(consumer, _) => consumer,
            Sink::Listener(_) => "listener",
        };
        channel.basic_qos(self.inner.settings.prefetch, BasicQosOptions::default()).await.map_err(unavailable)?;
        let mut deliveries = channel
            .basic_consume(queue.into(), ShortString::from(""), BasicConsumeOptions::default(), FieldTable::default())
            .await
            .map_err(unavailable)?;
        tracing::info!(consumer = name, "consuming events");
        loop {
            let delivery = tokio::select! {
                biased;
                () = stop.wait() => {
                    let _ = channel.close(200, "consumer stopped".into()).await;
                    return Ok(());
                }
                next = deliveries.next() => match next {
                    Some(Ok(d)) => d,
                    Some(Err(err)) => return Err(unavailable(err)),
                    None => return Err(unavailable("consumer cancelled by the broker")),
                },
            };
            let Ok(event) = Envelope::decode(delivery.data.as_slice()) else {
                tracing::error!(consumer = name, "undecodable message dead-lettered");
                let reject = BasicNackOptions { requeue: false, ..BasicNackOptions::default() };
                delivery.nack(reject).await.map_err(unavailable)?;
                continue;
            };
            let handled = match sink {
                Sink::Consumer(consumer, handler) => dispatch(consumer, handler, &event).await.is_ok(),
                Sink::Listener(listener) => {
                    hear(listener, &event, &self.inner.settings).await;
                    true
                }
            };
            if handled {
                delivery.ack(BasicAckOptions::default()).await.map_err(unavailable)?;
            } else {
                tokio::time::sleep(self.inner.settings.retry_delay).await;
                let retry = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
                delivery.nack(retry).await.map_err(unavailable)?;
            }
        }
    }
}

/// Who a queue's events go to.
#[derive(Clone, Copy)]
enum Sink<'a> {
    /// A durable consumer: a failed event goes back to its queue.
    Consumer(&'a str, &'a dyn EventHandler),
    /// A listener: retried in hand, then left.
    Listener(&'a dyn Listener),
}

/// Pauses between reconnection attempts, doubling up to [`MAX_BACKOFF`].
pub(super) struct Backoff(Duration);

impl Backoff {
    pub(super) fn new() -> Self {
        Self(Duration::from_millis(100))
    }

    /// Waits the next pause; `false` when `stop` tripped meanwhile.
    pub(super) async fn pause(&mut self, stop: &Shutdown) -> bool {
        let wait = self.0;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
        tokio::select! {
            () = stop.wait() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }
}
