//! Payments on both stores: one charge per order however many concurrent attempts,
//! declines recorded, refunds never above what was captured and once per key.

use std::{sync::Arc, time::Duration};

use shop_messaging::outbox::{MemoryOutbox, MongoOutbox};
use shop_payment::{
    domain::PaymentStatus,
    error::PaymentError,
    payments::{PaymentMetrics, Payments},
    provider::{Provider, Sandbox},
    storage::{MemoryPaymentStore, MongoPaymentStore, PaymentStore},
    webhook::{EventData, ProviderEvent},
};
use shop_test_support::{mongo_url, require, unique};

fn payments(store: Arc<dyn PaymentStore>, provider: Arc<dyn Provider>) -> Arc<Payments> {
    Arc::new(Payments { store, provider, metrics: PaymentMetrics::new(None).unwrap() })
}

fn sandbox() -> Arc<dyn Provider> {
    Arc::new(Sandbox::new(Duration::from_millis(5), 0.0))
}

async fn concurrent_charges_of_one_order_charge_once(store: Arc<dyn PaymentStore>) {
    let p = payments(store, sandbox());
    let order = unique("order").replace('_', "-");
    let attempts = (0..20).map(|_| {
        let (p, order) = (p.clone(), order.clone());
        tokio::spawn(async move { p.charge(&order, "payer", 4200, "USD", "tok_visa").await })
    });
    let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert!(results.iter().all(|r| r.status == PaymentStatus::Succeeded));
    assert!(results.windows(2).all(|w| w[0].provider_charge_id == w[1].provider_charge_id), "one charge");
    assert!(matches!(p.charge(&order, "payer", 4300, "USD", "tok_visa").await, Err(PaymentError::Mismatch)));
}

async fn a_decline_is_recorded_once(store: Arc<dyn PaymentStore>) {
    let p = payments(store, sandbox());
    for (token, code) in [("tok_chargeDeclined", "card_declined"), ("tok_insufficientFunds", "insufficient_funds")] {
        let order = unique("order").replace('_', "-");
        let first = p.charge(&order, "payer", 1000, "USD", token).await.unwrap();
        assert_eq!((first.status, first.failure_code.as_deref()), (PaymentStatus::Failed, Some(code)));
        let again = p.charge(&order, "payer", 1000, "USD", "tok_visa").await.unwrap();
        assert_eq!(again, first, "the first outcome stands");
    }
}

async fn refunds_never_exceed_the_capture_and_apply_once_per_key(store: Arc<dyn PaymentStore>) {
    let p = payments(store, sandbox());
    let order = unique("order").replace('_', "-");
    p.charge(&order, "payer", 1000, "USD", "tok_visa").await.unwrap();
    let part = p.refund(&order, Some(300), "r1").await.unwrap();
    assert_eq!((part.refunded, part.status), (300, PaymentStatus::PartiallyRefunded));
    assert_eq!(p.refund(&order, Some(300), "r1").await.unwrap().refunded, 300, "same key, refunded once");
    assert!(matches!(p.refund(&order, Some(800), "r2").await, Err(PaymentError::RefundTooLarge(700))));
    let rest = p.refund(&order, None, "r3").await.unwrap();
    assert_eq!((rest.refunded, rest.status), (1000, PaymentStatus::Refunded));
    let other = unique("order").replace('_', "-");
    p.charge(&other, "payer", 500, "USD", "tok_visa").await.unwrap();
    let theirs = p.refund(&other, Some(200), "r1").await.unwrap();
    assert_eq!(theirs.refunded, 200, "a key belongs to its payment: r1 on another order is another refund");
    let declined = unique("order").replace('_', "-");
    p.charge(&declined, "payer", 1000, "USD", "tok_chargeDeclined").await.unwrap();
    assert!(matches!(p.refund(&declined, None, "r4").await, Err(PaymentError::NotRefundable)));
}

async fn a_charge_cut_off_by_an_outage_finishes_on_retry(store: Arc<dyn PaymentStore>) {
    let order = unique("order").replace('_', "-");
    let down = payments(store.clone(), Arc::new(Sandbox::new(Duration::ZERO, 1.0)));
    assert!(matches!(
        down.charge(&order, "payer", 500, "USD", "tok_visa").await,
        Err(PaymentError::ProviderUnavailable)
    ));
    assert_eq!(store.get(&order).await.unwrap().unwrap().status, PaymentStatus::Pending);
    let up = payments(store, sandbox());
    assert_eq!(up.charge(&order, "payer", 500, "USD", "tok_visa").await.unwrap().status, PaymentStatus::Succeeded);
}

async fn a_webhook_event_is_taken_once(store: Arc<dyn PaymentStore>) {
    let id = unique("evt");
    assert!(store.first_webhook(&id).await.unwrap());
    assert!(!store.first_webhook(&id).await.unwrap());
}

/// A refund made at the provider is recorded once, with its event, without asking the
/// provider (here down, so asking would fail); a replay or a retry changes nothing.
async fn a_refund_made_at_the_provider_is_recorded_once(store: Arc<dyn PaymentStore>) {
    let order = unique("order").replace('_', "-");
    payments(store.clone(), sandbox()).charge(&order, "payer", 1000, "USD", "tok_visa").await.unwrap();
    let down = payments(store, Arc::new(Sandbox::new(Duration::ZERO, 1.0)));
    let event = ProviderEvent {
        id: unique("evt"),
        kind: "charge.refunded".into(),
        data: EventData { order_id: Some(order.clone()), amount: Some(400) },
    };
    for _ in 0..3 {
        down.webhook(&event).await.unwrap();
    }
    let payment = down.payment(&order).await.unwrap();
    assert_eq!((payment.refunded, payment.status), (400, PaymentStatus::PartiallyRefunded));
}

macro_rules! suite {
    ($module:ident, $store:expr) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_charges_of_one_order_charge_once() {
                super::concurrent_charges_of_one_order_charge_once($store).await;
            }

            #[tokio::test]
            async fn a_decline_is_recorded_once() {
                super::a_decline_is_recorded_once($store).await;
            }

            #[tokio::test]
            async fn refunds_never_exceed_the_capture_and_apply_once_per_key() {
                super::refunds_never_exceed_the_capture_and_apply_once_per_key($store).await;
            }

            #[tokio::test]
            async fn a_charge_cut_off_by_an_outage_finishes_on_retry() {
                super::a_charge_cut_off_by_an_outage_finishes_on_retry($store).await;
            }

            #[tokio::test]
            async fn a_refund_made_at_the_provider_is_recorded_once() {
                super::a_refund_made_at_the_provider_is_recorded_once($store).await;
            }

            #[tokio::test]
            async fn a_webhook_event_is_taken_once() {
                super::a_webhook_event_is_taken_once($store).await;
            }
        }
    };
}

#[tokio::test]
async fn provider_event_ids_are_forgotten_after_their_retention() {
    require("MongoDB", &mongo_url());
    let db = shop_storage::connect(&mongo_url(), &unique("payment")).await.unwrap();
    MongoPaymentStore::open(db.clone(), MongoOutbox::new(&db)).await.unwrap();
    let kept = shop_test_support::ttl(&db, "webhooks", "at").await;
    assert_eq!(kept, Some(shop_payment::storage::WEBHOOK_RETENTION));
}

async fn mongo_store() -> Arc<dyn PaymentStore> {
    require("MongoDB", &mongo_url());
    let db = shop_storage::connect(&mongo_url(), &unique("payment")).await.unwrap();
    Arc::new(MongoPaymentStore::open(db.clone(), MongoOutbox::new(&db)).await.unwrap())
}

suite!(embedded, Arc::new(MemoryPaymentStore::new(MemoryOutbox::default())));
suite!(mongo, mongo_store().await);
