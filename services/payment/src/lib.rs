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
use shop_messaging::{InProcessBus, kind};
use shop_platform::{Shutdown, settings::Secret};
use shop_proto::{events::v1::OrderEvent, payment::v1::payment_service_server::SERVICE_NAME};
use shop_service_kit::{Consumer, Frame, Service, ServiceSettings, Storage};

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
impl Consumer for CancelledOrders {
    type Event = OrderEvent;

    async fn consume(&self, _: &str, order: OrderEvent) -> anyhow::Result<()> {
        Ok(self.payments.order_cancelled(&order.order_id).await?)
    }
}

/// Connects the backends and starts serving, refunding the orders order cancels.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(settings, &embedded, shutdown).await?;
    let store: Arc<dyn PaymentStore> = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => Arc::new(MongoPaymentStore::new(db.clone(), outbox.clone())),
        Storage::Embedded { outbox } => Arc::new(MemoryPaymentStore::new(outbox.clone())),
    };
    let extra = &frame.settings.extra;
    let provider = Arc::new(Sandbox::new(Duration::from_millis(extra.sandbox_latency_ms), extra.sandbox_failure_rate));
    let webhook_secret = extra.webhook_secret.clone();
    let payments = Arc::new(Payments { store, provider });
    frame.consume(SERVICE, &[kind::ORDER_CANCELLED], CancelledOrders { payments: payments.clone() }).await?;
    let grpc = PaymentGrpc::new(payments, frame.verifier()?, webhook_secret);
    frame.serve(&[SERVICE_NAME], tonic::service::Routes::new(grpc.server())).await
}
