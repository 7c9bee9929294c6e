//! Inventory service: stock per SKU owned by vendors, reservations for orders that expire
//! when not committed, a ledger of every change, and low-stock alerts.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod inventory;
pub mod storage;

use shop_messaging::kind;
use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_proto::{
    events::v1::{OrderEvent, ProductChanged},
    inventory::v1::inventory_service_server::SERVICE_NAME,
};
use shop_service_kit::{Consumer, Frame, Service, ServiceSettings, Storage};

use crate::{
    error::InventoryError,
    grpc::InventoryGrpc,
    inventory::Inventory,
    storage::{MemoryStockStore, MongoStockStore, StockStore},
};

pub const SERVICE: &str = "inventory";
/// The consumer (and queue) of order outcomes, apart from catalog's products.
const ORDER_CONSUMER: &str = "inventory-orders";

/// How often expired reservations are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub fn default_settings() -> ServiceSettings {
    ServiceSettings::defaults(SERVICE, 50053, 9103)
}

/// Learns SKUs and their owners from catalog.
struct Adopt {
    inventory: Arc<Inventory>,
    demo: bool,
}

#[async_trait]
impl Consumer for Adopt {
    type Event = ProductChanged;

    async fn consume(&self, _: &str, product: ProductChanged) -> anyhow::Result<()> {
        Ok(self.inventory.adopt(&product.skus, &product.vendor_id, self.demo).await?)
    }
}

/// Commits or gives back an order's units when order announces it paid or cancelled: the
/// same calls order makes directly, so a lost reply cannot leave units held.
struct OrderOutcomes {
    inventory: Arc<Inventory>,
}

#[async_trait]
impl Consumer for OrderOutcomes {
    type Event = OrderEvent;

    async fn consume(&self, kind: &str, order: OrderEvent) -> anyhow::Result<()> {
        let done = match kind {
            kind::ORDER_PAID => self.inventory.commit(&order.order_id).await.map(drop),
            kind::ORDER_CANCELLED => self.inventory.release(&order.order_id).await,
            _ => Ok(()),
        };
        match done {
            // Cancelled meanwhile, or never reserved: nothing is held to commit.
            Ok(()) | Err(InventoryError::Released | InventoryError::NoReservation) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// Connects the backends and starts serving, consuming catalog's products and sweeping
/// expired reservations.
pub async fn build(settings: ServiceSettings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(settings, &embedded, shutdown).await?;
    let store: Arc<dyn StockStore> = match &frame.backends.storage {
        Storage::Mongo { db, .. } => Arc::new(MongoStockStore::open(db).await?),
        Storage::Embedded { .. } => Arc::new(MemoryStockStore::default()),
    };
    let inventory = Arc::new(Inventory { store, outbox: frame.backends.outbox() });
    let adopt = Adopt { inventory: inventory.clone(), demo: frame.settings.demo_data };
    frame.consume(SERVICE, &[kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED], adopt).await?;
    let outcomes = OrderOutcomes { inventory: inventory.clone() };
    frame.consume(ORDER_CONSUMER, &[kind::ORDER_PAID, kind::ORDER_CANCELLED], outcomes).await?;
    let sweeper = inventory.clone();
    frame.every("reservation sweep", SWEEP_EVERY, move || {
        let sweeper = sweeper.clone();
        async move { Ok(sweeper.sweep().await.map(drop)?) }
    });
    let routes = tonic::service::Routes::new(InventoryGrpc::new(inventory, frame.verifier()?).server());
    frame.serve(&[SERVICE_NAME], routes).await
}
