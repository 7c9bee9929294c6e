//! What inventory hears from other services: the SKUs catalog announces (and who owns
//! them), and orders paid or cancelled, whose units are committed or given back.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_messaging::kind;
use shop_proto::events::v1::{OrderEvent, ProductChanged};
use shop_service_kit::Consumer;

use crate::domain::StockRefusal;
use crate::{error::InventoryError, inventory::Inventory};

/// The event types [`Adopt`] reads.
pub const PRODUCT_EVENTS: [&str; 2] = [kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED];
/// The event types [`OrderOutcomes`] reads.
pub const ORDER_EVENTS: [&str; 3] = [kind::ORDER_PAID, kind::ORDER_CANCELLED, kind::ORDER_REFUNDED];

/// Learns SKUs and their owners from catalog (with demo units when `demo`).
pub struct Adopt {
    pub inventory: Arc<Inventory>,
    pub demo: bool,
}

#[async_trait]
impl Consumer for Adopt {
    type Event = ProductChanged;

    async fn consume(&self, about: &Envelope, product: ProductChanged) -> anyhow::Result<()> {
        let kind = about.r#type.as_str();
        let created = kind == kind::PRODUCT_CREATED;
        Ok(self.inventory.adopt(&product.skus, &product.vendor_id, self.demo, created).await?)
    }
}

/// Commits or gives back an order's units when order announces it paid, cancelled or
/// refunded before shipping: the same calls order makes directly, so a lost reply cannot
/// leave units held.
pub struct OrderOutcomes(pub Arc<Inventory>);

#[async_trait]
impl Consumer for OrderOutcomes {
    type Event = OrderEvent;

    async fn consume(&self, about: &Envelope, order: OrderEvent) -> anyhow::Result<()> {
        let kind = about.r#type.as_str();
        let done = match kind {
            kind::ORDER_PAID => self.0.commit(&order.order_id).await.map(drop),
            kind::ORDER_CANCELLED => self.0.release(&order.order_id).await,
            // A refund of an order that never shipped gives its units back too.
            kind::ORDER_REFUNDED if order.restock => self.0.release(&order.order_id).await,
            _ => Ok(()),
        };
        match done {
            // Cancelled meanwhile, or never reserved: nothing is held to commit.
            Ok(()) | Err(InventoryError::Stock(StockRefusal::Released | StockRefusal::NoReservation)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}
