//! Builds the catalog from its settings: stores, token verification, the stock projection
//! consumer, the outbox relay and the gRPC host.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shop_auth::{IdentityJwks, Verifier};
use shop_messaging::{
    Envelope, EventHandler, InProcessBus,
    backends::Backends,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
    service::Service,
};
use shop_platform::Shutdown;
use shop_proto::{
    catalog::v1::catalog_service_server::SERVICE_NAME, events::v1::StockChanged,
    order::v1::order_service_client::OrderServiceClient,
};

use crate::{
    Settings,
    catalog::Catalog,
    domain::Sku,
    grpc::CatalogGrpc,
    seed,
    storage::{
        CategoryStore, MemoryCategoryStore, MemoryProductStore, MemoryReviewStore, MongoCategoryStore,
        MongoProductStore, MongoReviewStore, ProductStore, ReviewStore,
    },
};

/// The catalog's own settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogExtra {
    /// Order's gRPC endpoint, asked whether a reviewer bought the product.
    pub order_url: String,
}

impl Default for CatalogExtra {
    fn default() -> Self {
        Self { order_url: "http://127.0.0.1:50054".into() }
    }
}

/// Keeps the products' availability in step with inventory.
struct StockProjection(Arc<Catalog>);

#[async_trait]
impl EventHandler for StockProjection {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let change = <StockChanged as prost::Message>::decode(event.payload.as_slice())?;
        let Ok(sku) = Sku::parse(&change.sku) else {
            tracing::warn!(sku = %change.sku, "stock change for a malformed SKU ignored");
            return Ok(());
        };
        self.0.record_stock(&sku, change.available).await.map_err(|e| anyhow::anyhow!("{e}"))
    }
}

type Stores = (Arc<dyn ProductStore>, Arc<dyn CategoryStore>, Arc<dyn ReviewStore>, Arc<dyn OutboxStore>);

/// Connects the backends, seeds demo data if asked, and starts serving.
/// `embedded` is the in-process bus used when no RabbitMQ URL is configured.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (products, categories, reviews, outbox): Stores = match &backends.db {
        Some(db) => {
            let outbox = MongoOutbox::new(db);
            (
                Arc::new(MongoProductStore::open(db.clone(), outbox.clone()).await?),
                Arc::new(MongoCategoryStore::open(db).await?),
                Arc::new(MongoReviewStore::open(db.clone()).await?),
                Arc::new(outbox),
            )
        }
        None => {
            let outbox = MemoryOutbox::default();
            (
                Arc::new(MemoryProductStore::new(outbox.clone())),
                Arc::new(MemoryCategoryStore::default()),
                Arc::new(MemoryReviewStore::default()),
                Arc::new(outbox),
            )
        }
    };
    let orders = tonic::transport::Endpoint::from_shared(settings.extra.order_url.clone())?
        .timeout(std::time::Duration::from_secs(2))
        .connect_lazy();
    let catalog = Arc::new(Catalog { products, categories, reviews, orders: Some(OrderServiceClient::new(orders)) });
    if settings.demo_data {
        seed::demo_catalog(&catalog).await?;
    }
    let verifier = Arc::new(Verifier::new(Arc::new(IdentityJwks::lazy(&settings.identity_url)?)));
    let stock = backends
        .bus
        .subscribe(crate::SERVICE, &["inventory.stock_changed"], Arc::new(StockProjection(catalog.clone())))
        .await?;
    let routes = tonic::service::Routes::new(CatalogGrpc::new(catalog, verifier).server());
    let service = Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown)
        .await?
        .closing(backends.db);
    Ok(service.consuming(vec![stock]))
}
