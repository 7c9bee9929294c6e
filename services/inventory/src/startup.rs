//! Builds inventory from its settings: its store, the consumers of catalog's products and
//! of order outcomes, the sweeper of expired reservations and the gRPC host.

use std::{sync::Arc, time::Duration};

use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_service_kit::{Frame, Service, Storage};

use crate::{
    SERVICE, Settings,
    events::{Adopt, ORDER_EVENTS, OrderOutcomes, PRODUCT_EVENTS},
    grpc::InventoryGrpc,
    inventory::Inventory,
    storage::{MemoryStockStore, MongoStockStore, StockStore},
};

/// The consumer (and queue) of order outcomes, apart from catalog's products.
const ORDER_CONSUMER: &str = "inventory-orders";
/// How often expired reservations are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Connects the backends and starts serving, consuming catalog's products and order
/// outcomes, and sweeping expired reservations.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(crate::SERVICE, settings, &embedded, shutdown).await?;
    let store: Arc<dyn StockStore> = match &frame.backends.storage {
        Storage::Mongo { db, .. } => Arc::new(MongoStockStore::open(db).await?),
        Storage::Embedded { .. } => Arc::new(MemoryStockStore::default()),
    };
    let low_stock =
        prometheus::IntCounter::new("shop_low_stock_alerts_total", "SKUs that fell to their low-stock threshold.")?;
    frame.registry().register(Box::new(low_stock.clone()))?;
    let inventory = Arc::new(Inventory { store, outbox: frame.backends.outbox(), low_stock });
    let adopt = Adopt { inventory: inventory.clone(), demo: frame.settings.demo_data };
    frame.consume(SERVICE, &PRODUCT_EVENTS, adopt).await?;
    frame.consume(ORDER_CONSUMER, &ORDER_EVENTS, OrderOutcomes(inventory.clone())).await?;
    let sweeper = inventory.clone();
    frame.every("reservation sweep", SWEEP_EVERY, move || {
        let sweeper = sweeper.clone();
        async move { Ok(sweeper.sweep().await.map(drop)?) }
    });
    let verifier = frame.verifier()?;
    let server = InventoryGrpc::new(inventory, verifier.clone()).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
