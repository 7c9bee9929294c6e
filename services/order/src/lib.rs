//! Order service: carts, checkout saga and the order lifecycle.
//!
//! Carts live in Redis (or memory); orders in MongoDB (or memory) with their events in the
//! outbox. Checkout is orchestrated here (`checkout`) and compensated on failure; what
//! happens after it is in `lifecycle`. Payment's events finish checkouts whose reply was
//! lost, and a recovery loop cancels those that stalled.

pub mod cart;
pub mod checkout;
pub mod domain;
pub mod lifecycle;
pub mod storage;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
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
    catalog::v1::catalog_service_client::CatalogServiceClient, events::v1::PaymentEvent,
    inventory::v1::inventory_service_client::InventoryServiceClient, order::v1::order_service_server::SERVICE_NAME,
    payment::v1::payment_service_client::PaymentServiceClient,
};

pub mod grpc;

use crate::{
    cart::{CartStore, MemoryCarts, RedisCarts},
    checkout::Checkout,
};

/// How often stalled checkouts are looked for.
const RECOVER_EVERY: Duration = Duration::from_secs(5);

/// Payment's outcome for an order, for checkouts that did not hear it themselves.
struct PaymentOutcomes {
    checkout: Arc<Checkout>,
}

#[async_trait]
impl EventHandler for PaymentOutcomes {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let payment = <PaymentEvent as prost::Message>::decode(event.payload.as_slice())?;
        let succeeded = event.r#type == "payment.succeeded";
        self.checkout.payment_settled(&payment.order_id, succeeded, &payment.failure_code).await
    }
}

/// Cancels stalled checkouts every [`RECOVER_EVERY`] until shutdown.
fn recover(checkout: Arc<Checkout>, timeout_secs: u32, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(RECOVER_EVERY) => {}
            }
            if let Err(err) = checkout.recover(i64::from(timeout_secs)).await {
                tracing::warn!(error = format!("{err:#}"), "checkout recovery failed");
            }
        }
    })
}

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
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (orders, outbox): (Arc<dyn storage::OrderStore>, Arc<dyn OutboxStore>) = match &backends.db {
        Some(db) => {
            let outbox = MongoOutbox::new(db);
            (Arc::new(storage::MongoOrderStore::open(db.clone(), outbox.clone()).await?), Arc::new(outbox))
        }
        None => {
            let outbox = MemoryOutbox::default();
            (Arc::new(storage::MemoryOrderStore::new(outbox.clone())), Arc::new(outbox))
        }
    };
    let carts: Arc<dyn CartStore> = match &settings.backends.redis_url {
        Some(url) => Arc::new(RedisCarts::new(shop_messaging::backends::redis_pool(url.expose())?)),
        None => Arc::new(MemoryCarts::default()),
    };
    let channel = |url: &str| -> anyhow::Result<tonic::transport::Channel> {
        Ok(tonic::transport::Endpoint::from_shared(url.to_owned())?
            .timeout(std::time::Duration::from_secs(5))
            .connect_lazy())
    };
    let checkout = Arc::new(checkout::Checkout {
        orders,
        carts,
        catalog: CatalogServiceClient::new(channel(&settings.extra.catalog_url)?),
        inventory: InventoryServiceClient::new(channel(&settings.extra.inventory_url)?),
        payment: PaymentServiceClient::new(channel(&settings.extra.payment_url)?),
    });
    let outcomes = Deduplicate::new(SERVICE, backends.inbox(), PaymentOutcomes { checkout: checkout.clone() });
    let payments =
        backends.bus.subscribe(SERVICE, &["payment.succeeded", "payment.failed"], Arc::new(outcomes)).await?;
    let recovery = recover(checkout.clone(), settings.extra.checkout_timeout_secs, shutdown.clone());
    let verifier = Arc::new(Verifier::new(Arc::new(IdentityJwks::lazy(&settings.identity_url)?)));
    let grpc = grpc::OrderGrpc::new(checkout, verifier);
    let routes = tonic::service::Routes::new(grpc.server());
    let service = Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown)
        .await?
        .closing(backends.db);
    Ok(service.consuming(vec![payments]).running(recovery))
}
