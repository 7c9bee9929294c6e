//! gRPC clients of the services behind the gateway (built by the service kit, so every
//! call carries the trace context and is counted), and their readiness.

use std::time::Duration;

use shop_proto::{
    analytics::v1::analytics_service_client::AnalyticsServiceClient,
    catalog::v1::catalog_service_client::CatalogServiceClient,
    identity::v1::identity_service_client::IdentityServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient,
    notification::v1::notification_service_client::NotificationServiceClient,
    order::v1::order_service_client::OrderServiceClient, payment::v1::payment_service_client::PaymentServiceClient,
};
use shop_service_kit::{Clients as Builder, Upstream};

use crate::config::Upstreams;

/// Every upstream the gateway talks to.
#[derive(Clone)]
pub struct Clients {
    pub all: Vec<Upstream>,
    pub identity: IdentityServiceClient<Upstream>,
    pub catalog: CatalogServiceClient<Upstream>,
    pub inventory: InventoryServiceClient<Upstream>,
    pub payment: PaymentServiceClient<Upstream>,
    pub order: OrderServiceClient<Upstream>,
    pub notification: NotificationServiceClient<Upstream>,
    pub analytics: AnalyticsServiceClient<Upstream>,
}

impl Clients {
    /// Builds lazily connecting clients; must run inside a tokio runtime.
    pub fn new(builder: &Builder, urls: &Upstreams) -> anyhow::Result<Self> {
        let identity = builder.upstream("identity", &urls.identity)?;
        let catalog = builder.upstream("catalog", &urls.catalog)?;
        let inventory = builder.upstream("inventory", &urls.inventory)?;
        let order = builder.upstream("order", &urls.order)?;
        let payment = builder.upstream("payment", &urls.payment)?;
        let notification = builder.upstream("notification", &urls.notification)?;
        let analytics = builder.upstream("analytics", &urls.analytics)?;
        Ok(Self {
            identity: IdentityServiceClient::new(identity.clone()),
            catalog: CatalogServiceClient::new(catalog.clone()),
            inventory: InventoryServiceClient::new(inventory.clone()),
            payment: PaymentServiceClient::new(payment.clone()),
            order: OrderServiceClient::new(order.clone()),
            notification: NotificationServiceClient::new(notification.clone()),
            analytics: AnalyticsServiceClient::new(analytics.clone()),
            all: vec![identity, catalog, inventory, order, payment, notification, analytics],
        })
    }

    /// Each upstream's health: `serving`, `not_serving` or `unreachable`.
    pub async fn health(&self, timeout: Duration) -> Vec<(&'static str, &'static str)> {
        let probes = self.all.iter().map(|u| async move { (u.target(), u.health(timeout).await) });
        futures::future::join_all(probes).await
    }
}

/// How often the gateway probes its upstreams for `gateway_upstream_up`.
const WATCH_EVERY: Duration = Duration::from_secs(5);
const WATCH_TIMEOUT: Duration = Duration::from_secs(1);

/// Keeps `gateway_upstream_up{upstream}` (1 serving, 0 not) current, probing every few
/// seconds until the returned task is aborted.
pub fn watch(clients: Clients, registry: &prometheus::Registry) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let up = prometheus::IntGaugeVec::new(
        prometheus::Opts::new("gateway_upstream_up", "Whether an upstream service reports SERVING (1) or not (0)."),
        &["upstream"],
    )?;
    registry.register(Box::new(up.clone()))?;
    Ok(tokio::spawn(async move {
        loop {
            for (target, status) in clients.health(WATCH_TIMEOUT).await {
                up.with_label_values(&[target]).set(i64::from(status == "serving"));
            }
            tokio::time::sleep(WATCH_EVERY).await;
        }
    }))
}
