//! Builds the catalog from its settings: stores, bus, outbox relay and the gRPC host.

use std::sync::Arc;

use shop_messaging::{
    InProcessBus, bus_for,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore, Relay},
};
use shop_platform::{Shutdown, host::ServiceHost};
use shop_proto::catalog::v1::catalog_service_server::SERVICE_NAME;

use crate::{
    Settings, grpc::CatalogGrpc, seed,
    storage::{MemoryProductStore, MongoProductStore, ProductStore},
};

pub struct Application {
    host: ServiceHost,
    relay: Relay,
    shutdown: Shutdown,
    pub grpc_addr: std::net::SocketAddr,
    pub metrics_addr: std::net::SocketAddr,
}

impl Application {
    /// Connects the backends, seeds demo data if asked, and starts serving.
    /// `embedded` is the in-process bus used when no RabbitMQ URL is configured.
    pub async fn build(settings: Settings, embedded: &InProcessBus, shutdown: Shutdown) -> anyhow::Result<Self> {
        let (products, outbox): (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) = match &settings.backends.mongo_url {
            Some(url) => {
                let db = shop_storage::connect(url.expose(), &settings.backends.mongo_database).await?;
                let outbox = MongoOutbox::new(&db);
                (Arc::new(MongoProductStore::open(db, outbox.clone()).await?), Arc::new(outbox))
            }
            None => {
                let outbox = MemoryOutbox::default();
                (Arc::new(MemoryProductStore::new(outbox.clone())), Arc::new(outbox))
            }
        };
        if settings.seed_demo_data {
            seed::demo_catalog(products.as_ref()).await?;
        }
        let bus = bus_for(settings.backends.amqp_url.as_ref(), &settings.bus, embedded);
        let relay = Relay::start(outbox, bus, shutdown.child());
        let routes = tonic::service::Routes::new(CatalogGrpc::new(products).server());
        let host = ServiceHost::start(
            settings.grpc,
            settings.metrics,
            &[SERVICE_NAME],
            routes,
            prometheus::Registry::new(),
        )
        .await?;
        Ok(Self {
            grpc_addr: host.grpc_addr,
            metrics_addr: host.metrics_addr,
            host,
            relay,
            shutdown,
        })
    }

    /// Serves until shutdown, then drains.
    pub async fn run(self) {
        self.host.run_until(self.shutdown).await;
        self.relay.join().await;
    }
}
