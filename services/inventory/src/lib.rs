//! Inventory service: stock per SKU owned by vendors, reservations for orders that expire
//! when not committed, a ledger of every change, and low-stock alerts.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod inventory;
pub mod storage;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use shop_auth::{IdentityJwks, Verifier};
use shop_messaging::{
    Envelope, EventHandler, InProcessBus,
    backends::Backends,
    inbox::Deduplicate,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;
use shop_proto::{
    events::v1::{OrderEvent, ProductChanged},
    inventory::v1::inventory_service_server::SERVICE_NAME,
};

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
impl EventHandler for Adopt {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let product = <ProductChanged as prost::Message>::decode(event.payload.as_slice())?;
        self.inventory.adopt(&product.skus, &product.vendor_id, self.demo).await.map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Commits or gives back an order's units when order announces it paid or cancelled: the
/// same calls order makes directly, so a lost reply cannot leave units held.
struct OrderOutcomes {
    inventory: Arc<Inventory>,
}

#[async_trait]
impl EventHandler for OrderOutcomes {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let order = <OrderEvent as prost::Message>::decode(event.payload.as_slice())?;
        let done = match event.r#type.as_str() {
            "order.paid" => self.inventory.commit(&order.order_id).await.map(drop),
            "order.cancelled" => self.inventory.release(&order.order_id).await,
            _ => Ok(()),
        };
        match done {
            // Cancelled meanwhile, or never reserved: nothing is held to commit.
            Ok(()) | Err(InventoryError::Released | InventoryError::NoReservation) => Ok(()),
            Err(err) => Err(anyhow::anyhow!("{err}")),
        }
    }
}

/// Connects the backends and starts serving, consuming catalog's products and sweeping
/// expired reservations.
pub async fn build(settings: ServiceSettings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (store, outbox): (Arc<dyn StockStore>, Arc<dyn OutboxStore>) = match &backends.db {
        Some(db) => (Arc::new(MongoStockStore::open(db).await?), Arc::new(MongoOutbox::new(db))),
        None => (Arc::new(MemoryStockStore::default()), Arc::new(MemoryOutbox::default())),
    };
    let inventory = Arc::new(Inventory { store, outbox: outbox.clone() });
    let adopt = Arc::new(Adopt { inventory: inventory.clone(), demo: settings.demo_data });
    let products =
        backends.bus.subscribe(SERVICE, &["catalog.product_created", "catalog.product_updated"], adopt).await?;
    let outcomes = Deduplicate::new(ORDER_CONSUMER, backends.inbox(), OrderOutcomes { inventory: inventory.clone() });
    let orders = backends.bus.subscribe(ORDER_CONSUMER, &["order.paid", "order.cancelled"], Arc::new(outcomes)).await?;
    let sweeper = inventory.clone();
    let stop = shutdown.clone();
    let sweeping = tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.wait() => return,
                () = tokio::time::sleep(SWEEP_EVERY) => {}
            }
            if let Err(err) = sweeper.sweep().await {
                tracing::warn!(error = %err, "reservation sweep failed");
            }
        }
    });
    let verifier = Arc::new(Verifier::new(Arc::new(IdentityJwks::lazy(&settings.identity_url)?)));
    let routes = tonic::service::Routes::new(InventoryGrpc::new(inventory, verifier).server());
    let service = Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown)
        .await?
        .closing(backends.db);
    Ok(service.consuming(vec![products, orders]).running(sweeping))
}
