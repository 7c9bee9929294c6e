//! Order service: carts, checkout saga and the order lifecycle.
//!
//! Carts live in Redis (or memory); orders in MongoDB (or memory) with their events in the
//! outbox. Checkout is orchestrated here (`checkout`) and compensated on failure; what
//! happens after it is in `lifecycle`. Payment's events finish checkouts whose reply was
//! lost, and a recovery loop cancels those that stalled.

pub mod cart;
pub mod checkout;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod lifecycle;
pub mod pricing;
pub mod storage;

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_proto::{
    catalog::v1::catalog_service_client::CatalogServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient, order::v1::order_service_server::SERVICE_NAME,
    payment::v1::payment_service_client::PaymentServiceClient,
};
use shop_service_kit::{Frame, Service, ServiceSettings, Storage, auth::Authenticator};

use crate::{
    cart::{CartStore, Carts, MemoryCarts, RedisCarts},
    checkout::Checkout,
    events::{PAYMENT_OUTCOMES, PaymentOutcomes},
    pricing::Pricing,
};

/// How often stalled checkouts are looked for.
const RECOVER_EVERY: Duration = Duration::from_secs(5);

pub const SERVICE: &str = "order";

/// Order's own settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderExtra {
    /// Catalog's gRPC endpoint, where lines are priced.
    pub catalog_url: String,
    /// Inventory's, where stock is reserved.
    pub inventory_url: String,
    /// Payment's, where orders are charged.
    pub payment_url: String,
    /// A checkout that made no progress for this long is cancelled (its stock released,
    /// any charge refunded). Longer than any one checkout step can take.
    pub checkout_timeout_secs: u32,
}

impl Default for OrderExtra {
    fn default() -> Self {
        Self {
            catalog_url: "http://127.0.0.1:50052".into(),
            inventory_url: "http://127.0.0.1:50053".into(),
            payment_url: "http://127.0.0.1:50055".into(),
            checkout_timeout_secs: 120,
        }
    }
}

pub type Settings = ServiceSettings<OrderExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50054, 9104)
}

/// Connects the backends (carts in Redis when configured) and starts serving.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(settings, &embedded, shutdown).await?;
    let orders: Arc<dyn storage::OrderStore> = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => Arc::new(storage::MongoOrderStore::open(db.clone(), outbox.clone()).await?),
        Storage::Embedded { outbox } => Arc::new(storage::MemoryOrderStore::new(outbox.clone())),
    };
    let carts: Arc<dyn CartStore> = match &frame.backends.redis {
        Some(pool) => Arc::new(RedisCarts::new(pool.clone())),
        None => Arc::new(MemoryCarts::default()),
    };
    let extra = frame.settings.extra.clone();
    let pricing = Pricing::new(CatalogServiceClient::new(frame.upstream("catalog", &extra.catalog_url)?));
    let checkout = Arc::new(Checkout {
        orders,
        carts: carts.clone(),
        pricing: pricing.clone(),
        inventory: InventoryServiceClient::new(frame.upstream("inventory", &extra.inventory_url)?),
        payment: PaymentServiceClient::new(frame.upstream("payment", &extra.payment_url)?),
    });
    frame.consume(SERVICE, &PAYMENT_OUTCOMES, PaymentOutcomes(checkout.clone())).await?;
    let recovering = checkout.clone();
    let grace = i64::from(extra.checkout_timeout_secs);
    frame.every("checkout recovery", RECOVER_EVERY, move || {
        let checkout = recovering.clone();
        async move { Ok(checkout.recover(grace).await.map(drop)?) }
    });
    let carts = Arc::new(Carts { store: carts, pricing });
    let grpc = grpc::OrderGrpc::new(Authenticator::new(frame.verifier()?), carts, checkout);
    frame.serve(&[SERVICE_NAME], tonic::service::Routes::new(grpc.server())).await
}
