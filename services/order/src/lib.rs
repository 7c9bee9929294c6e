//! Order service: carts, checkout saga and the order lifecycle.
//!
//! The service runs with its backends, health, reflection and metrics; its gRPC API
//! (`shop.order.v1`) is served as its behaviour lands; carts exist (`cart`).

pub mod cart;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shop_auth::{IdentityJwks, Verifier};
use shop_messaging::{
    InProcessBus,
    backends::Backends,
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;
use shop_proto::{
    catalog::v1::catalog_service_client::CatalogServiceClient, order::v1::order_service_server::SERVICE_NAME,
};

pub mod grpc;

use crate::cart::{CartStore, MemoryCarts, RedisCarts};

pub const SERVICE: &str = "order";

/// Order's own settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderExtra {
    /// Catalog's gRPC endpoint, where lines are priced.
    pub catalog_url: String,
}

impl Default for OrderExtra {
    fn default() -> Self {
        Self { catalog_url: "http://127.0.0.1:50052".into() }
    }
}

pub type Settings = ServiceSettings<OrderExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50054, 9104)
}

/// Connects the backends (carts in Redis when configured) and starts serving.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    drop(backends);
    let carts: Arc<dyn CartStore> = match &settings.backends.redis_url {
        Some(url) => Arc::new(RedisCarts::new(
            deadpool_redis::Config::from_url(url.expose()).create_pool(Some(deadpool_redis::Runtime::Tokio1))?,
        )),
        None => Arc::new(MemoryCarts::default()),
    };
    let catalog = tonic::transport::Endpoint::from_shared(settings.extra.catalog_url.clone())?
        .timeout(std::time::Duration::from_secs(5))
        .connect_lazy();
    let verifier = Arc::new(Verifier::new(Arc::new(IdentityJwks::lazy(&settings.identity_url)?)));
    let grpc = grpc::OrderGrpc::new(carts, CatalogServiceClient::new(catalog), verifier);
    let routes = tonic::service::Routes::new(grpc.server());
    Service::start(&settings, &[SERVICE_NAME], routes, None, shutdown).await
}
