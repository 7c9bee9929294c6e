//! Builds payment from its settings: its store, the sandbox provider, the consumer of
//! cancelled orders and the gRPC host.

use std::{sync::Arc, time::Duration};

use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_service_kit::{Frame, Service, Storage};

use crate::{
    SERVICE, Settings,
    events::{CancelledOrders, ORDER_EVENTS},
    grpc::PaymentGrpc,
    payments::{PaymentMetrics, Payments},
    provider::Sandbox,
    storage::{MemoryPaymentStore, MongoPaymentStore, PaymentStore},
};

/// Connects the backends and starts serving, refunding the orders order cancels.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(crate::SERVICE, settings, &embedded, shutdown).await?;
    let store: Arc<dyn PaymentStore> = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => Arc::new(MongoPaymentStore::open(db.clone(), outbox.clone()).await?),
        Storage::Embedded { outbox } => Arc::new(MemoryPaymentStore::new(outbox.clone())),
    };
    let extra = &frame.settings.extra;
    let provider = Arc::new(Sandbox::new(Duration::from_millis(extra.sandbox_latency_ms), extra.sandbox_failure_rate));
    let webhook_secret = extra.webhook_secret.clone();
    let payments = Arc::new(Payments { store, provider, metrics: PaymentMetrics::new(Some(frame.registry()))? });
    frame.consume(SERVICE, &ORDER_EVENTS, CancelledOrders(payments.clone())).await?;
    let verifier = frame.verifier()?;
    let server = PaymentGrpc::new(payments, verifier.clone(), webhook_secret).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
