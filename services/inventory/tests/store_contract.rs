//! The stock store contract on the embedded store and MongoDB: never below zero under
//! many concurrent reservations, idempotent and consistent, with a ledger that adds up.

use shop_inventory::domain::StockRefusal;
use std::sync::Arc;

use shop_inventory::{
    domain::{LedgerEntry, Line, ReservationState, Stock},
    storage::{MemoryStockStore, MongoStockStore, StockStore, StoreError},
};
use shop_service_kit::Paging;
use shop_test_support::{mongo_url, require, unique};

fn sku() -> String {
    unique("SKU").to_uppercase()
}

fn line(sku: &str, quantity: i64) -> Vec<Line> {
    vec![Line { sku: sku.to_owned(), quantity }]
}

/// A whole list, walked by cursor `per_page` items at a time.
async fn walk<T, F>(per_page: u32, page: impl Fn(Paging) -> F) -> Vec<T>
where
    F: std::future::Future<Output = Result<shop_service_kit::Page<T>, StoreError>>,
{
    let (mut all, mut paging) = (Vec::new(), Paging::parse(1, per_page).unwrap());
    loop {
        let found = page(paging.clone()).await.unwrap();
        let next = paging.info_of(&found).next_cursor;
        all.extend(found.items);
        if next.is_empty() {
            return all;
        }
        paging = Paging::after(&next, per_page).unwrap();
    }
}

/// A whole ledger, `per_page` entries at a time.
async fn ledger(store: &dyn StockStore, sku: &str, per_page: u32) -> Vec<LedgerEntry> {
    walk(per_page, |page| store.ledger(sku, page)).await
}

/// Every SKU marked low (a vendor's), two at a time.
async fn low(store: &dyn StockStore, vendor: Option<&str>) -> Vec<Stock> {
    walk(2, |page| store.low(vendor, page)).await
}

/// on_hand + sold = initial + restocked; reserved = units held by open reservations;
/// available = on_hand - reserved; the ledger adds up to the counters.
async fn invariants(store: &dyn StockStore, sku: &str, initial: i64, sold: i64) {
    let stock = store.get(sku).await.unwrap().unwrap();
    assert_eq!(stock.on_hand + sold, initial, "on hand + sold = initial");
    assert_eq!(stock.reserved, store.held(sku).await.unwrap(), "reserved = held");
    assert_eq!(stock.available, stock.on_hand - stock.reserved);
    let ledger = ledger(store, sku, 3).await;
    assert_eq!(ledger.iter().map(|e| e.on_hand_delta).sum::<i64>(), stock.on_hand, "the ledger adds up (on hand)");
    assert_eq!(ledger.iter().map(|e| e.reserved_delta).sum::<i64>(), stock.reserved, "the ledger adds up (reserved)");
}

async fn concurrent_reservations_never_oversell(store: Arc<dyn StockStore>) {
    let sku = sku();
    store.set(&sku, Some(10), None).await.unwrap();
    let attempts = (0..200).map(|n| {
        let (store, sku) = (store.clone(), sku.clone());
        tokio::spawn(async move { store.reserve(&format!("order-{sku}-{n}"), &line(&sku, 1), i64::MAX).await })
    });
    let results = futures::future::join_all(attempts).await;
    let held: Vec<_> = results.iter().filter_map(|r| r.as_ref().unwrap().as_ref().ok()).collect();
    let short =
        results.iter().filter(|r| matches!(r, Ok(Err(StoreError::Refused(StockRefusal::OutOfStock(_)))))).count();
    assert_eq!((held.len(), short), (10, 190));
    let stock = store.get(&sku).await.unwrap().unwrap();
    assert_eq!((stock.on_hand, stock.reserved, stock.available), (10, 10, 0));
    invariants(store.as_ref(), &sku, 10, 0).await;
    for r in &held {
        store.commit(&r.order_id).await.unwrap();
    }
    let stock = store.get(&sku).await.unwrap().unwrap();
    assert_eq!((stock.on_hand, stock.reserved, stock.available), (0, 0, 0));
    invariants(store.as_ref(), &sku, 10, 10).await;
}

async fn every_step_is_idempotent(store: Arc<dyn StockStore>) {
    let (a, b) = (sku(), sku());
    store.set(&a, Some(5), None).await.unwrap();
    store.set(&b, Some(5), None).await.unwrap();
    let order = unique("order");
    let lines = vec![Line { sku: a.clone(), quantity: 2 }, Line { sku: b.clone(), quantity: 3 }];
    let first = store.reserve(&order, &lines, i64::MAX).await.unwrap();
    let again = store.reserve(&order, &lines, i64::MAX).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(store.get(&a).await.unwrap().unwrap().reserved, 2, "reserved once");
    store.commit(&order).await.unwrap();
    let committed = store.commit(&order).await.unwrap();
    assert_eq!(committed.state, ReservationState::Committed);
    assert_eq!(store.get(&b).await.unwrap().unwrap().on_hand, 2, "committed once");
    store.release(&order).await.unwrap();
    assert_eq!(store.get(&b).await.unwrap().unwrap().on_hand, 2, "a committed order is not released");
    invariants(store.as_ref(), &a, 5, 2).await;
    invariants(store.as_ref(), &b, 5, 3).await;
    // Cancelled before shipping: the units go back on the shelf, once — also when order's
    // own call and the consumer of its event put them back at the same moment.
    let returners = (0..6).map(|_| {
        let (store, order) = (store.clone(), order.clone());
        tokio::spawn(async move { store.put_back(&order).await.unwrap() })
    });
    for returner in returners {
        returner.await.unwrap();
    }
    store.put_back(&order).await.unwrap();
    assert_eq!(store.get(&b).await.unwrap().unwrap().on_hand, 5, "put back once");
    assert!(matches!(store.commit(&order).await, Err(StoreError::Refused(StockRefusal::Released))));
    store.put_back(&unique("order")).await.unwrap();
    invariants(store.as_ref(), &a, 5, 0).await;
    invariants(store.as_ref(), &b, 5, 0).await;
    let returns = ledger(store.as_ref(), &b, 100).await.into_iter().filter(|e| e.reason == "return").count();
    assert_eq!(returns, 1);
}

async fn all_or_nothing_and_release_gives_units_back(store: Arc<dyn StockStore>) {
    let (plenty, scarce) = (sku(), sku());
    store.set(&plenty, Some(10), None).await.unwrap();
    store.set(&scarce, Some(1), None).await.unwrap();
    let lines = vec![Line { sku: plenty.clone(), quantity: 4 }, Line { sku: scarce.clone(), quantity: 2 }];
    let short = store.reserve(&unique("order"), &lines, i64::MAX).await.unwrap_err();
    assert!(matches!(short, StoreError::Refused(StockRefusal::OutOfStock(ref s)) if *s == scarce), "{short:?}");
    assert_eq!(store.get(&plenty).await.unwrap().unwrap().available, 10, "nothing held when one line is short");
    let order = unique("order");
    store.reserve(&order, &line(&plenty, 4), i64::MAX).await.unwrap();
    store.release(&order).await.unwrap();
    store.release(&order).await.unwrap();
    assert_eq!(store.get(&plenty).await.unwrap().unwrap().available, 10);
    assert!(matches!(store.commit(&order).await, Err(StoreError::Refused(StockRefusal::Released))));
    invariants(store.as_ref(), &plenty, 10, 0).await;
}

async fn a_release_before_the_reservation_stops_it(store: Arc<dyn StockStore>) {
    let sku = sku();
    store.set(&sku, Some(3), None).await.unwrap();
    let order = unique("order");
    store.release(&order).await.unwrap();
    assert!(matches!(
        store.reserve(&order, &line(&sku, 1), i64::MAX).await,
        Err(StoreError::Refused(StockRefusal::Released))
    ));
    assert_eq!(store.get(&sku).await.unwrap().unwrap().available, 3);
}

async fn expired_holds_are_found_and_on_hand_never_drops_below_reserved(store: Arc<dyn StockStore>) {
    let sku = sku();
    store.set(&sku, Some(4), Some(2)).await.unwrap();
    let order = unique("order");
    store.reserve(&order, &line(&sku, 3), 100).await.unwrap();
    assert!(store.expired(200).await.unwrap().contains(&order));
    assert!(!store.expired(50).await.unwrap().contains(&order));
    assert!(matches!(store.set(&sku, Some(2), None).await, Err(StoreError::Refused(StockRefusal::BelowReserved(3)))));
    store.restock(&sku, 5).await.unwrap();
    invariants(store.as_ref(), &sku, 9, 0).await;
}

/// A ledger pages newest first, each entry once; alerts list the SKUs marked low (a
/// vendor's own), by SKU, each once.
async fn ledgers_and_alerts_page_by_cursor(store: Arc<dyn StockStore>) {
    let restocked = sku();
    store.set(&restocked, Some(1), None).await.unwrap();
    for n in 0..6 {
        store.restock(&restocked, n + 1).await.unwrap();
    }
    let entries = ledger(store.as_ref(), &restocked, 4).await;
    let deltas: Vec<i64> = entries.iter().map(|e| e.on_hand_delta).collect();
    assert_eq!(deltas, [6, 5, 4, 3, 2, 1, 1], "newest first, each once");
    assert!(entries.windows(2).all(|w| w[0].at >= w[1].at));

    let vendor = unique("vendor");
    let mut mine: Vec<String> = (0..5).map(|_| sku()).collect();
    for sku in &mine {
        store.adopt(sku, &vendor, 0).await.unwrap();
        assert!(store.mark_low(sku, true).await.unwrap());
    }
    let theirs = sku();
    store.adopt(&theirs, &unique("vendor"), 0).await.unwrap();
    store.mark_low(&theirs, true).await.unwrap();
    store.mark_low(&mine[4], false).await.unwrap();
    mine.truncate(4);
    mine.sort();
    let listed: Vec<String> = low(store.as_ref(), Some(&vendor)).await.into_iter().map(|s| s.sku).collect();
    assert_eq!(listed, mine, "the vendor's SKUs marked low, by SKU");
    let every: Vec<String> = low(store.as_ref(), None).await.into_iter().map(|s| s.sku).collect();
    assert!(every.contains(&theirs) && mine.iter().all(|s| every.contains(s)));
    assert!(every.windows(2).all(|w| w[0] < w[1]), "by SKU, each once");
}

mod embedded {
    use super::*;

    fn store() -> Arc<dyn StockStore> {
        Arc::new(MemoryStockStore::default())
    }

    shop_test_support::contract_tests!(
        concurrent_reservations_never_oversell(store()),
        every_step_is_idempotent(store()),
        all_or_nothing_and_release_gives_units_back(store()),
        a_release_before_the_reservation_stops_it(store()),
        expired_holds_are_found_and_on_hand_never_drops_below_reserved(store()),
        ledgers_and_alerts_page_by_cursor(store()),
    );
}

mod mongo {
    use super::*;

    async fn store() -> Arc<dyn StockStore> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("inventory")).await.unwrap();
        Arc::new(MongoStockStore::open(&db).await.unwrap())
    }

    shop_test_support::contract_tests!(
        concurrent_reservations_never_oversell(store().await),
        every_step_is_idempotent(store().await),
        all_or_nothing_and_release_gives_units_back(store().await),
        a_release_before_the_reservation_stops_it(store().await),
        expired_holds_are_found_and_on_hand_never_drops_below_reserved(store().await),
        ledgers_and_alerts_page_by_cursor(store().await),
    );
}

async fn catalog_skus_are_adopted_once_and_low_marks_flip_once_per_crossing(store: Arc<dyn StockStore>) {
    let sku = sku();
    assert!(store.adopt(&sku, "vendor-1", 7).await.unwrap());
    assert!(!store.adopt(&sku, "vendor-2", 99).await.unwrap(), "known SKUs keep their stock");
    let stock = store.get(&sku).await.unwrap().unwrap();
    assert_eq!((stock.on_hand, stock.available, stock.vendor_id.as_str()), (7, 7, "vendor-2"));
    assert!(store.mark_low(&sku, true).await.unwrap());
    assert!(!store.mark_low(&sku, true).await.unwrap(), "already low: no second alert");
    assert!(store.mark_low(&sku, false).await.unwrap());
    invariants(store.as_ref(), &sku, 7, 0).await;
}

#[tokio::test]
async fn catalog_skus_are_adopted_once_and_low_marks_flip_once_per_crossing_embedded() {
    catalog_skus_are_adopted_once_and_low_marks_flip_once_per_crossing(Arc::new(MemoryStockStore::default())).await;
}

#[tokio::test]
async fn catalog_skus_are_adopted_once_and_low_marks_flip_once_per_crossing_mongo() {
    require("MongoDB", &mongo_url());
    let db = shop_storage::connect(&mongo_url(), &unique("inventory")).await.unwrap();
    let store = Arc::new(MongoStockStore::open(&db).await.unwrap());
    catalog_skus_are_adopted_once_and_low_marks_flip_once_per_crossing(store).await;
}
