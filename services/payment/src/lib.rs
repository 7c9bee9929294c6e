//! Payment service: charges (once per order), refunds (never above what was captured) and
//! provider webhooks (signed, replay-proof), through a provider adapter — the sandbox here.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod payments;
pub mod provider;
pub mod storage;
pub mod webhook;

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
use shop_platform::{Shutdown, settings::Secret};
use shop_proto::{events::v1::OrderEvent, payment::v1::payment_service_server::SERVICE_NAME};

use crate::{
    grpc::PaymentGrpc,
    payments::Payments,
    provider::Sandbox,
    storage::{MemoryPaymentStore, MongoPaymentStore, PaymentStore},
};

pub const SERVICE: &str = "payment";

/// Payment's own settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentExtra {
    /// Shared secret the provider signs webhooks with; webhooks are refused without one.
    pub webhook_secret: Option<Secret>,
    /// Delay the sandbox provider adds to every call (tests of slow providers).
    pub sandbox_latency_ms: u64,
    /// Share of sandbox calls that fail as if the provider were down (0 to 1).
    pub sandbox_failure_rate: f64,
}

pub type Settings = ServiceSettings<PaymentExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50055, 9105)
}

/// Refunds what a cancelled order was charged (or stops a charge to come).
struct CancelledOrders {
    payments: Arc<Payments>,
}

#[async_trait]
impl EventHandler for CancelledOrders {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let order = <OrderEvent as prost::Message>::decode(event.payload.as_slice())?;
        self.payments.order_cancelled(&order.order_id).await.map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Connects the backends and starts serving, refunding the orders order cancels.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (store, outbox): (Arc<dyn PaymentStore>, Arc<dyn OutboxStore>) = match &backends.db {
        Some(db) => {
            let outbox = MongoOutbox::new(db);
            (Arc::new(MongoPaymentStore::new(db.clone(), outbox.clone())), Arc::new(outbox))
        }
        None => {
            let outbox = MemoryOutbox::default();
            (Arc::new(MemoryPaymentStore::new(outbox.clone())), Arc::new(outbox))
        }
    };
    let extra = &settings.extra;
    let provider = Arc::new(Sandbox::new(Duration::from_millis(extra.sandbox_latency_ms), extra.sandbox_failure_rate));
    let payments = Arc::new(Payments { store, provider });
    let cancelled = Deduplicate::new(SERVICE, backends.inbox(), CancelledOrders { payments: payments.clone() });
    let orders = backends.bus.subscribe(SERVICE, &["order.cancelled"], Arc::new(cancelled)).await?;
    let verifier = Arc::new(Verifier::new(Arc::new(IdentityJwks::lazy(&settings.identity_url)?)));
    let grpc = PaymentGrpc::new(payments, verifier, extra.webhook_secret.clone());
    let routes = tonic::service::Routes::new(grpc.server());
    let service = Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown)
        .await?
        .closing(backends.db);
    Ok(service.consuming(vec![orders]))
}
