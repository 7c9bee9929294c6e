//! Builds order from its settings: its store and carts, the clients of catalog, inventory
//! and payment, the consumer of payment outcomes, the recovery loop and the gRPC host.

use std::{sync::Arc, time::Duration};

use shop_messaging::InProcessBus;
use shop_platform::{Shutdown, settings::Backend};
use shop_proto::{
    catalog::v1::catalog_service_client::CatalogServiceClient,
    identity::v1::identity_service_client::IdentityServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient,
    payment::v1::payment_service_client::PaymentServiceClient,
};
use shop_service_kit::{Frame, Service, Storage, auth::Authenticator};

use crate::{
    SERVICE, Settings,
    cart::{CartStore, Carts, MemoryCarts, RedisCarts},
    checkout::Checkout,
    events::{PAYMENT_OUTCOMES, PaymentOutcomes},
    grpc,
    metrics::OrderMetrics,
    pricing::Pricing,
    storage,
};

/// How often stalled checkouts are looked for.
const RECOVER_EVERY: Duration = Duration::from_secs(5);

/// Connects the backends (carts in Redis when configured) and starts serving.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    // Carts live in Redis, shared by every replica.
    settings.backends.require(settings.embedded, &[Backend::Redis])?;
    let mut frame = Frame::connect(crate::SERVICE, settings, &embedded, shutdown).await?;
    let orders: Arc<dyn storage::OrderStore> = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => Arc::new(storage::MongoOrderStore::open(db.clone(), outbox.clone()).await?),
        Storage::Embedded { outbox } => Arc::new(storage::MemoryOrderStore::new(outbox.clone())),
    };
    let carts: Arc<dyn CartStore> = match &frame.backends.redis {
        Some(pool) => Arc::new(RedisCarts::new(pool.clone())),
        None => Arc::new(MemoryCarts::default()),
    };
    let extra = frame.settings.extra.clone();
    let pricing = Pricing::new(CatalogServiceClient::new(frame.upstream("catalog", &extra.catalog_url)?));
    let checkout = Arc::new(Checkout {
        orders,
        carts: carts.clone(),
        pricing: pricing.clone(),
        inventory: InventoryServiceClient::new(frame.upstream("inventory", &extra.inventory_url)?),
        payment: PaymentServiceClient::new(frame.upstream("payment", &extra.payment_url)?),
        max_open: extra.max_open_checkouts.max(1),
        open_for: Duration::from_secs(u64::from(extra.checkout_timeout_secs) * 2),
        metrics: OrderMetrics::register(frame.registry())?,
        verified_only: if extra.require_verified_email {
            let identity_url = frame.settings.identity_url.clone();
            Some(IdentityServiceClient::new(frame.upstream("identity", &identity_url)?))
        } else {
            None
        },
    });
    frame.consume(SERVICE, &PAYMENT_OUTCOMES, PaymentOutcomes(checkout.clone())).await?;
    let recovering = checkout.clone();
    let grace = i64::from(extra.checkout_timeout_secs);
    frame.every("checkout recovery", RECOVER_EVERY, move || {
        let checkout = recovering.clone();
        async move { Ok(checkout.recover(grace).await.map(drop)?) }
    });
    let carts = Arc::new(Carts { store: carts, pricing });
    let verifier = frame.verifier()?;
    let server = grpc::OrderGrpc::new(Authenticator::new(verifier.clone()), carts, checkout).server();
    frame.serve(&grpc::POLICY, verifier, server).await
}
