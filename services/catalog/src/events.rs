//! What catalog hears from other services: inventory's stock levels, kept on the products
//! so search can filter on availability.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_messaging::kind;
use shop_proto::events::v1::StockChanged;
use shop_service_kit::Consumer;

use crate::{catalog::Catalog, domain::Sku};

/// The event types [`StockProjection`] reads.
pub const STOCK_EVENTS: [&str; 1] = [kind::STOCK_CHANGED];

/// Keeps the products' availability in step with inventory.
pub struct StockProjection(pub Arc<Catalog>);

#[async_trait]
impl Consumer for StockProjection {
    type Event = StockChanged;

    async fn consume(&self, _: &Envelope, change: StockChanged) -> anyhow::Result<()> {
        let Ok(sku) = Sku::parse(&change.sku) else {
            tracing::warn!(sku = %change.sku, "stock change for a malformed SKU ignored");
            return Ok(());
        };
        Ok(self.0.record_stock(&sku, change.available).await?)
    }
}
