//! The product store contract, run against the embedded store and MongoDB.

use std::sync::Arc;

use shop_catalog::{
    domain::{Product, ProductId, Sku},
    seed::demo_products,
    storage::{MemoryProductStore, MongoProductStore, ProductStore, StoreError},
};
use shop_messaging::{
    Envelope, new_event,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
};
use shop_proto::events::v1::ProductDeleted;
use shop_test_support::{mongo_url, require, unique};

fn product(n: usize) -> Product {
    let mut p = demo_products().swap_remove(n);
    p.id = ProductId::new();
    p
}

fn event() -> Envelope {
    new_event("catalog.product_created", "tests", &ProductDeleted::default())
}

async fn a_stored_product_reads_back_unchanged(store: Arc<dyn ProductStore>) {
    let p = product(0);
    store.insert(&p, &[]).await.unwrap();
    let read = store.get(p.id).await.unwrap().expect("stored");
    // Timestamps are kept to the millisecond.
    assert_eq!(read.created_at.unix_timestamp(), p.created_at.unix_timestamp());
    let read = Product { created_at: p.created_at, updated_at: p.updated_at, ..read };
    assert_eq!(read, p);
    assert!(store.get(ProductId::new()).await.unwrap().is_none());
}

async fn a_sku_belongs_to_one_product_only(store: Arc<dyn ProductStore>, outbox: Arc<dyn OutboxStore>) {
    let first = product(1);
    store.insert(&first, &[event()]).await.unwrap();
    let mut second = product(2);
    second.variants[0].sku = first.variants[0].sku.clone();
    let before = outbox.pending(1000).await.unwrap().len();
    let err = store.insert(&second, &[event()]).await.unwrap_err();
    assert!(matches!(err, StoreError::DuplicateSku(_)), "{err:?}");
    assert!(store.get(second.id).await.unwrap().is_none(), "nothing stored");
    assert_eq!(outbox.pending(1000).await.unwrap().len(), before, "no event for a failed write");
}

async fn events_are_stored_with_the_product(store: Arc<dyn ProductStore>, outbox: Arc<dyn OutboxStore>) {
    let p = product(3);
    let e = event();
    store.insert(&p, std::slice::from_ref(&e)).await.unwrap();
    let pending = outbox.pending(1000).await.unwrap();
    assert!(pending.iter().any(|x| x.event_id == e.event_id));
}

async fn products_are_found_by_sku(store: Arc<dyn ProductStore>) {
    let a = product(4);
    let b = product(5);
    store.insert(&a, &[]).await.unwrap();
    store.insert(&b, &[]).await.unwrap();
    let wanted = vec![a.variants[0].sku.clone(), a.variants[1].sku.clone(), Sku::parse("NOPE-1").unwrap()];
    let found = store.by_skus(&wanted).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, a.id);
}

mod embedded {
    use super::*;

    fn stores() -> (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) {
        let outbox = MemoryOutbox::default();
        (Arc::new(MemoryProductStore::new(outbox.clone())), Arc::new(outbox))
    }

    #[tokio::test]
    async fn a_stored_product_reads_back_unchanged() {
        super::a_stored_product_reads_back_unchanged(stores().0).await;
    }

    #[tokio::test]
    async fn a_sku_belongs_to_one_product_only() {
        let (s, o) = stores();
        super::a_sku_belongs_to_one_product_only(s, o).await;
    }

    #[tokio::test]
    async fn events_are_stored_with_the_product() {
        let (s, o) = stores();
        super::events_are_stored_with_the_product(s, o).await;
    }

    #[tokio::test]
    async fn products_are_found_by_sku() {
        super::products_are_found_by_sku(stores().0).await;
    }
}

mod mongo {
    use super::*;

    async fn stores() -> (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("catalog")).await.unwrap();
        let outbox = MongoOutbox::new(&db);
        (Arc::new(MongoProductStore::open(db, outbox.clone()).await.unwrap()), Arc::new(outbox))
    }

    #[tokio::test]
    async fn a_stored_product_reads_back_unchanged() {
        super::a_stored_product_reads_back_unchanged(stores().await.0).await;
    }

    #[tokio::test]
    async fn a_sku_belongs_to_one_product_only() {
        let (s, o) = stores().await;
        super::a_sku_belongs_to_one_product_only(s, o).await;
    }

    #[tokio::test]
    async fn events_are_stored_with_the_product() {
        let (s, o) = stores().await;
        super::events_are_stored_with_the_product(s, o).await;
    }

    #[tokio::test]
    async fn products_are_found_by_sku() {
        super::products_are_found_by_sku(stores().await.0).await;
    }
}
