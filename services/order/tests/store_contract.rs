//! The order store contract on the embedded store and MongoDB: one order per user and
//! idempotency key (also under concurrent inserts), versioned updates, history newest
//! first, stalled checkouts, purchases; events written with the change.

use std::sync::Arc;

use shop_messaging::outbox::{MemoryOutbox, MongoOutbox, OutboxStore};
use shop_order::{
    checkout::event,
    domain::{CancelReason, Order, OrderLine, PaymentState, Status},
    storage::{MemoryOrderStore, MongoOrderStore, OrderFilter, OrderStore, StoreError},
};
use shop_service_kit::Paging;
use shop_test_support::{mongo_url, require, unique};
use shop_types::AddressInput;

fn order(user: &str, key: &str, updated_at: i64) -> Order {
    Order {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user.to_owned(),
        status: Status::Pending,
        lines: vec![OrderLine {
            sku: "SKU-1".into(),
            product_id: "product-1".into(),
            name: "Kettle".into(),
            quantity: 2,
            unit_price: 1250,
            vendor_id: "vendor-1".into(),
            category_ids: vec!["kitchen".into()],
        }],
        currency: "USD".into(),
        shipping: AddressInput {
            name: "Ada Lovelace".into(),
            phone: "+1 555 0100".into(),
            line1: "1 Main St".into(),
            city: "Springfield".into(),
            postal_code: "12345".into(),
            country: "US".into(),
            ..AddressInput::default()
        }
        .parse("shipping_address")
        .unwrap(),
        payment: PaymentState::Pending,
        cancel_reason: None,
        shipment: None,
        idempotency_key: key.to_owned(),
        request_hash: "digest".into(),
        created_at: updated_at,
        updated_at,
        history: vec![(Status::Pending, updated_at)],
        version: 1,
    }
}

async fn one_order_per_user_and_key((store, outbox): (Arc<dyn OrderStore>, Arc<dyn OutboxStore>)) {
    let user = unique("user");
    let first = order(&user, "key-1", 100);
    store.insert(&first, &[event("order.placed", &first)]).await.unwrap();
    assert_eq!(store.get(&first.id).await.unwrap().as_ref(), Some(&first), "stored whole");
    assert_eq!(store.by_key(&user, "key-1").await.unwrap().map(|o| o.id), Some(first.id.clone()));
    assert!(matches!(store.insert(&order(&user, "key-1", 101), &[]).await, Err(StoreError::KeyUsed)));
    store.insert(&order(&unique("user"), "key-1", 102), &[]).await.expect("keys are per user");
    assert!(store.by_key(&user, "key-2").await.unwrap().is_none());
    let pending = outbox.pending(100).await.unwrap();
    assert!(pending.iter().any(|e| e.r#type == "order.placed"), "the event was written with the order");

    // Many attempts with one key at once: exactly one order.
    let key = unique("key");
    let attempts = (0..20).map(|n| {
        let (store, user, key) = (store.clone(), user.clone(), key.clone());
        tokio::spawn(async move { store.insert(&order(&user, &key, 200 + n), &[]).await })
    });
    let results = futures::future::join_all(attempts).await;
    let stored = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    assert_eq!(stored, 1);
}

async fn updates_are_versioned_and_history_is_newest_first(store: Arc<dyn OrderStore>) {
    let user = unique("user");
    let mut a = order(&user, "a", 10);
    store.insert(&a, &[]).await.unwrap();
    let b = order(&user, "b", 20);
    store.insert(&b, &[]).await.unwrap();
    let stale = a.clone();
    a.advance(Status::Reserved, 30).unwrap();
    store.update(&a, &[]).await.unwrap();
    let mut late = stale;
    late.advance(Status::Cancelled, 31).unwrap();
    assert!(matches!(store.update(&late, &[]).await, Err(StoreError::Stale)), "a stale write is refused");
    a.advance(Status::Paid, 40).unwrap();
    a.payment = PaymentState::Succeeded;
    store.update(&a, &[event("order.paid", &a)]).await.unwrap();
    assert_eq!(store.get(&a.id).await.unwrap().unwrap(), a);

    let mine = OrderFilter { user_id: Some(&user), status: None };
    let all = store.list(mine, Paging::parse(1, 10).unwrap()).await.unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), [b.id.as_str(), a.id.as_str()]);
    let second = store.list(mine, Paging::parse(2, 1).unwrap()).await.unwrap();
    assert_eq!((second.items.len(), second.total, second.items[0].id.as_str()), (1, 2, a.id.as_str()));
    // By cursor: the first page of one says where the second starts, which is the last.
    let first = Paging::parse(1, 1).unwrap();
    let page = store.list(mine, first.clone()).await.unwrap();
    assert_eq!(page.items[0].id, b.id);
    let next = Paging::after(&first.info_of(&page).next_cursor, 1).unwrap();
    let page = store.list(mine, next).await.unwrap();
    assert_eq!((page.items[0].id.as_str(), page.next), (a.id.as_str(), None));
    let paid = store
        .list(OrderFilter { user_id: Some(&user), status: Some(Status::Paid) }, Paging::parse(1, 10).unwrap())
        .await
        .unwrap();
    assert_eq!(paid.items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), [a.id.as_str()]);
    let everyone = store
        .list(OrderFilter { user_id: None, status: Some(Status::Paid) }, Paging::parse(1, 100).unwrap())
        .await
        .unwrap();
    assert!(everyone.items.iter().any(|o| o.id == a.id));

    assert!(store.purchased(&user, "product-1").await.unwrap(), "a paid order is a purchase");
    assert!(!store.purchased(&user, "product-2").await.unwrap());
    assert!(!store.purchased(&unique("user"), "product-1").await.unwrap());
    a.advance(Status::Refunded, 50).unwrap();
    a.payment = PaymentState::Refunded;
    a.cancel_reason = Some(CancelReason::Requested("damaged in transit".into()));
    store.update(&a, &[]).await.unwrap();
    assert_eq!(store.get(&a.id).await.unwrap().unwrap(), a, "the reason reads back typed");

    let stalled: Vec<String> = store.stalled(25).await.unwrap().into_iter().map(|o| o.id).collect();
    assert!(stalled.contains(&b.id), "pending since 20");
    assert!(!stalled.contains(&a.id), "paid is not stalled");
    assert!(!store.stalled(15).await.unwrap().iter().any(|o| o.id == b.id), "not stalled before its time");
}

async fn every_order_is_scanned_oldest_first_with_its_history(store: Arc<dyn OrderStore>) {
    let user = unique("user");
    let mut made = Vec::new();
    for key in ["a", "b", "c", "d", "e"] {
        let mut o = order(&user, key, 100);
        store.insert(&o, &[]).await.unwrap();
        o.advance(Status::Reserved, 101).unwrap();
        store.update(&o, &[]).await.unwrap();
        o.advance(Status::Paid, 102).unwrap();
        store.update(&o, &[]).await.unwrap();
        made.push(o);
    }
    // A fresh database per run: these are all its orders.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.scan(after.as_deref(), 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|o| o.id.clone());
        seen.extend(page);
    }
    assert_eq!(seen, made, "every order once, oldest first, whole");
    assert_eq!(
        seen[0].history,
        [(Status::Pending, 100), (Status::Reserved, 101), (Status::Paid, 102)],
        "each status with when it was entered"
    );
}

mod embedded {
    use super::*;

    fn store() -> (Arc<dyn OrderStore>, Arc<dyn OutboxStore>) {
        let outbox = MemoryOutbox::default();
        (Arc::new(MemoryOrderStore::new(outbox.clone())), Arc::new(outbox))
    }

    shop_test_support::contract_tests!(
        one_order_per_user_and_key(store()),
        updates_are_versioned_and_history_is_newest_first(store().0),
        every_order_is_scanned_oldest_first_with_its_history(store().0),
    );
}

mod mongo {
    use super::*;

    async fn store() -> (Arc<dyn OrderStore>, Arc<dyn OutboxStore>) {
        require("MongoDB", &mongo_url());
        // The stand-in cannot interleave transactions on one database (docs/testing.md).
        shop_storage::serialize_transactions();
        let db = shop_storage::connect(&mongo_url(), &unique("order")).await.unwrap();
        let outbox = MongoOutbox::new(&db);
        (Arc::new(MongoOrderStore::open(db, outbox.clone()).await.unwrap()), Arc::new(outbox))
    }

    shop_test_support::contract_tests!(
        one_order_per_user_and_key(store().await),
        updates_are_versioned_and_history_is_newest_first(store().await.0),
        every_order_is_scanned_oldest_first_with_its_history(store().await.0),
    );
}
