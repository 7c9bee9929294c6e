//! Typed event consumers: a consumer names the payload it reads; the kit decodes it, and
//! the frame wraps it in the inbox (`shop_messaging::inbox::Deduplicate`) so each event id
//! takes effect at most once. Failures go back to the bus with their whole error chain, to
//! be retried and then dead-lettered.

use std::marker::PhantomData;

use async_trait::async_trait;
use shop_messaging::{Envelope, EventHandler};

/// Reacts to events of one payload type.
#[async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// The payload every event this consumer subscribes to carries.
    type Event: prost::Message + Default + Send + 'static;

    /// Applies one event: `about` is its envelope (its id, its type — e.g. `order.paid` —,
    /// when and by whom it was produced), `event` its decoded payload. An error means "try
    /// again later".
    async fn consume(&self, about: &Envelope, event: Self::Event) -> anyhow::Result<()>;
}

/// A [`Consumer`] as the bus sees it: its payload decoded.
pub(crate) struct Typed<C> {
    consumer: C,
    _event: PhantomData<fn() -> C>,
}

impl<C: Consumer> Typed<C> {
    pub(crate) fn new(consumer: C) -> Self {
        Self { consumer, _event: PhantomData }
    }
}

#[async_trait]
impl<C: Consumer> EventHandler for Typed<C> {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let payload = <C::Event as prost::Message>::decode(event.payload.as_slice())
            .map_err(|err| anyhow::anyhow!("{} payload does not decode: {err}", event.r#type))?;
        self.consumer.consume(event, payload).await
    }
}
