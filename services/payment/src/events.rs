//! What payment hears from other services: cancelled orders, whose charge is refunded (or
//! stopped before it happens).

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_messaging::kind;
use shop_proto::events::v1::OrderEvent;
use shop_service_kit::Consumer;

use crate::payments::Payments;

/// The event types [`CancelledOrders`] reads.
pub const ORDER_EVENTS: [&str; 2] = [kind::ORDER_CANCELLED, kind::ORDER_REFUNDED];

/// Refunds what a cancelled or refunded order was charged and is not refunded yet (or stops
/// a charge to come): the same refund order asks for directly, so a lost call costs nothing.
pub struct CancelledOrders(pub Arc<Payments>);

#[async_trait]
impl Consumer for CancelledOrders {
    type Event = OrderEvent;

    async fn consume(&self, _: &Envelope, order: OrderEvent) -> anyhow::Result<()> {
        Ok(self.0.order_cancelled(&order.order_id).await?)
    }
}
