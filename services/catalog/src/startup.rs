//! Builds the catalog from its settings: stores, token verification, the stock projection
//! consumer, the outbox relay and the gRPC host.

use std::sync::Arc;

use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_proto::order::v1::order_service_client::OrderServiceClient;
use shop_service_kit::{Frame, Service, Storage};

use crate::{
    Settings,
    catalog::Catalog,
    events::{STOCK_EVENTS, StockProjection},
    grpc::CatalogGrpc,
    seed,
    storage::{
        CategoryStore, INDEX_EVENTS, IndexedProducts, MemoryCategoryStore, MemoryProductStore, MemoryReviewStore,
        MongoCategoryStore, MongoProductStore, MongoReviewStore, ProductStore, ReviewStore,
    },
};

type Stores = (Arc<dyn ProductStore>, Arc<dyn CategoryStore>, Arc<dyn ReviewStore>);

/// Connects the backends, seeds demo data if asked, and starts serving.
/// `embedded` is the in-process bus used when no RabbitMQ URL is configured.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(crate::SERVICE, settings, &embedded, shutdown).await?;
    let (stored, categories, reviews): Stores = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => (
            Arc::new(MongoProductStore::open(db.clone(), outbox.clone()).await?),
            Arc::new(MongoCategoryStore::open(db).await?),
            Arc::new(MongoReviewStore::open(db.clone()).await?),
        ),
        Storage::Embedded { outbox } => (
            Arc::new(MemoryProductStore::new(outbox.clone())),
            Arc::new(MemoryCategoryStore::default()),
            Arc::new(MemoryReviewStore::default()),
        ),
    };
    // Searches are answered by this replica's index, kept current from every replica's
    // product events and built at start (the listener's first resync).
    let products = Arc::new(IndexedProducts::new(stored)?);
    frame.listen(&INDEX_EVENTS, products.clone()).await?;
    let orders = OrderServiceClient::new(frame.upstream("order", &frame.settings.extra.order_url)?);
    let catalog = Arc::new(Catalog { products, categories, reviews, orders: Some(orders) });
    // Replicas starting together: one of them seeds.
    if frame.settings.demo_data && frame.backends.claim_once("demo-catalog").await? {
        seed::demo_catalog(&catalog).await?;
    }
    frame.consume(crate::SERVICE, &STOCK_EVENTS, StockProjection(catalog.clone())).await?;
    let verifier = frame.verifier()?;
    let server = CatalogGrpc::new(catalog, verifier.clone()).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
