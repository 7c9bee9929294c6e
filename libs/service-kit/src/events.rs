//! Typed event consumers: a consumer names the payload it reads; the kit decodes it,
//! applies each event id at most once (the inbox) and hands failures back to the bus with
//! their whole error chain, to be retried and then dead-lettered.

use std::{marker::PhantomData, sync::Arc};

use async_trait::async_trait;
use shop_messaging::{Envelope, EventHandler, inbox::InboxStore};

/// Reacts to events of one payload type.
#[async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// The payload every event this consumer subscribes to carries.
    type Event: prost::Message + Default + Send + 'static;

    /// Applies one event (`kind` is its type, e.g. `order.paid`). An error means "try
    /// again later".
    async fn consume(&self, kind: &str, event: Self::Event) -> anyhow::Result<()>;
}

/// A [`Consumer`] as the bus sees it: decoded, and deduplicated by event id.
pub(crate) struct Typed<C> {
    queue: String,
    inbox: Arc<dyn InboxStore>,
    consumer: C,
    _event: PhantomData<fn() -> C>,
}

impl<C: Consumer> Typed<C> {
    pub(crate) fn new(queue: &str, inbox: Arc<dyn InboxStore>, consumer: C) -> Self {
        Self { queue: queue.to_owned(), inbox, consumer, _event: PhantomData }
    }
}

#[async_trait]
impl<C: Consumer> EventHandler for Typed<C> {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if self.inbox.seen(&self.queue, &event.event_id).await? {
            tracing::debug!(event_id = %event.event_id, "duplicate event ignored");
            return Ok(());
        }
        let payload = <C::Event as prost::Message>::decode(event.payload.as_slice())
            .map_err(|err| anyhow::anyhow!("{} payload does not decode: {err}", event.r#type))?;
        self.consumer.consume(&event.r#type, payload).await?;
        self.inbox.record(&self.queue, &event.event_id).await?;
        Ok(())
    }
}
