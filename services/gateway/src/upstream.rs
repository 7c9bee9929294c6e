//! gRPC clients of the services behind the gateway, and their readiness.

use std::time::Duration;

use shop_platform::trace_context::PropagateInterceptor;
use shop_proto::{
    catalog::v1::catalog_service_client::CatalogServiceClient,
    identity::v1::identity_service_client::IdentityServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient,
    order::v1::order_service_client::OrderServiceClient, payment::v1::payment_service_client::PaymentServiceClient,
};
use tonic::{
    service::interceptor::InterceptedService,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::config::Upstreams;

type Traced = InterceptedService<Channel, PropagateInterceptor>;

/// One named upstream channel (connects lazily, reconnects by itself).
#[derive(Clone)]
pub struct Upstream {
    pub name: &'static str,
    channel: Channel,
}

/// Every upstream the gateway talks to.
#[derive(Clone)]
pub struct Clients {
    pub all: Vec<Upstream>,
    pub identity: IdentityServiceClient<Traced>,
    pub catalog: CatalogServiceClient<Traced>,
    pub inventory: InventoryServiceClient<Traced>,
    pub payment: PaymentServiceClient<Traced>,
    pub order: OrderServiceClient<Traced>,
    /// Identity's channel, for fetching keys outside any request.
    pub identity_keys: Channel,
}

fn channel(url: &str, timeout: Duration) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(2))
        .timeout(timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .connect_lazy())
}

impl Clients {
    /// Builds lazily connecting clients; must run inside a tokio runtime.
    pub fn new(urls: &Upstreams, timeout: Duration) -> anyhow::Result<Self> {
        let named = [
            ("identity", &urls.identity),
            ("catalog", &urls.catalog),
            ("inventory", &urls.inventory),
            ("order", &urls.order),
            ("payment", &urls.payment),
        ];
        let all = named
            .into_iter()
            .map(|(name, url)| Ok(Upstream { name, channel: channel(url, timeout)? }))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let by_name = |n: &str| all.iter().find(|u| u.name == n).map(|u| u.channel.clone()).expect("named above");
        Ok(Self {
            identity: IdentityServiceClient::with_interceptor(by_name("identity"), PropagateInterceptor),
            catalog: CatalogServiceClient::with_interceptor(by_name("catalog"), PropagateInterceptor),
            inventory: InventoryServiceClient::with_interceptor(by_name("inventory"), PropagateInterceptor),
            payment: PaymentServiceClient::with_interceptor(by_name("payment"), PropagateInterceptor),
            order: OrderServiceClient::with_interceptor(by_name("order"), PropagateInterceptor),
            identity_keys: by_name("identity"),
            all,
        })
    }
}

/// Asks one upstream's gRPC health service whether it is serving.
pub async fn check(upstream: &Upstream, timeout: Duration) -> &'static str {
    let mut client = HealthClient::new(upstream.channel.clone());
    let call = client.check(HealthCheckRequest { service: String::new() });
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(res)) if res.get_ref().status == ServingStatus::Serving as i32 => "serving",
        Ok(Ok(_)) => "not_serving",
        Ok(Err(_)) | Err(_) => "unreachable",
    }
}
