//! Builds the catalog from its settings: stores, bus, outbox relay and the gRPC host.

use std::sync::Arc;

use shop_messaging::{
    InProcessBus,
    backends::Backends,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
    service::Service,
};
use shop_platform::Shutdown;
use shop_proto::catalog::v1::catalog_service_server::SERVICE_NAME;

use crate::{
    Settings,
    grpc::CatalogGrpc,
    seed,
    storage::{MemoryProductStore, MongoProductStore, ProductStore},
};

/// Connects the backends, seeds demo data if asked, and starts serving.
/// `embedded` is the in-process bus used when no RabbitMQ URL is configured.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (products, outbox): (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) = match &backends.db {
        Some(db) => {
            let outbox = MongoOutbox::new(db);
            (Arc::new(MongoProductStore::open(db.clone(), outbox.clone()).await?), Arc::new(outbox))
        }
        None => {
            let outbox = MemoryOutbox::default();
            (Arc::new(MemoryProductStore::new(outbox.clone())), Arc::new(outbox))
        }
    };
    if settings.demo_data {
        seed::demo_catalog(products.as_ref()).await?;
    }
    let routes = tonic::service::Routes::new(CatalogGrpc::new(products).server());
    Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown).await
}
