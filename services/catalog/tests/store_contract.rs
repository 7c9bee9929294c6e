//! The product store contract, run against the embedded store and MongoDB.

use std::sync::Arc;

use shop_catalog::{
    domain::{Product, ProductId, Sku},
    seed::demo_products,
    storage::{IndexedProducts, MemoryProductStore, MongoProductStore, ProductStore, StoreError},
};
use shop_messaging::{
    Envelope, new_event,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
};
use shop_proto::events::v1::ProductDeleted;
use shop_service_kit::Paging;
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

async fn a_sku_belongs_to_one_product_only((store, outbox): (Arc<dyn ProductStore>, Arc<dyn OutboxStore>)) {
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

async fn events_are_stored_with_the_product((store, outbox): (Arc<dyn ProductStore>, Arc<dyn OutboxStore>)) {
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

async fn the_catalog_is_walked_in_id_order_a_page_at_a_time(store: Arc<dyn ProductStore>) {
    let vendor = unique("vendor");
    let mut made = Vec::new();
    for n in 0..7 {
        let mut p = product(50 + n);
        if n % 2 == 0 {
            p.vendor_id = vendor.clone();
        }
        store.insert(&p, &[]).await.unwrap();
        made.push(p);
    }
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.page_after(after, None, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        walked.extend(page.iter().map(|p| p.id));
    }
    let mut sorted = walked.clone();
    sorted.sort();
    assert_eq!(walked, sorted, "in id order");
    assert!(made.iter().all(|p| walked.contains(&p.id)), "every product once");
    let own = store.page_after(None, Some(&vendor), 100).await.unwrap();
    let mut expected: Vec<ProductId> = made.iter().filter(|p| p.vendor_id == vendor).map(|p| p.id).collect();
    expected.sort();
    assert_eq!(own.iter().map(|p| p.id).collect::<Vec<_>>(), expected);
    let rest = store.page_after(Some(expected[1]), Some(&vendor), 100).await.unwrap();
    assert_eq!(rest.iter().map(|p| p.id).collect::<Vec<_>>(), expected[2..]);
}

mod embedded {
    use super::*;

    fn stores() -> (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) {
        let outbox = MemoryOutbox::default();
        (Arc::new(MemoryProductStore::new(outbox.clone())), Arc::new(outbox))
    }

    shop_test_support::contract_tests!(
        a_sku_belongs_to_one_product_only(stores()),
        events_are_stored_with_the_product(stores()),
        a_stored_product_reads_back_unchanged(stores().0),
        products_are_found_by_sku(stores().0),
        the_catalog_is_walked_in_id_order_a_page_at_a_time(stores().0),
    );
}

mod mongo {
    use super::*;

    async fn stores() -> (Arc<dyn ProductStore>, Arc<dyn OutboxStore>) {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("catalog")).await.unwrap();
        let outbox = MongoOutbox::new(&db);
        (Arc::new(MongoProductStore::open(db, outbox.clone()).await.unwrap()), Arc::new(outbox))
    }

    shop_test_support::contract_tests!(
        a_sku_belongs_to_one_product_only(stores().await),
        events_are_stored_with_the_product(stores().await),
        a_stored_product_reads_back_unchanged(stores().await.0),
        products_are_found_by_sku(stores().await.0),
        the_catalog_is_walked_in_id_order_a_page_at_a_time(stores().await.0),
    );
}

use shop_catalog::domain::{
    Category, CategoryId, Review, ReviewId, SearchQuery, SearchSort, Slug, Visibility, review::ReviewSort,
};
use shop_catalog::storage::{CategoryStore, ReviewStore};

fn query(words: &str) -> SearchQuery {
    SearchQuery { limit: 100, ..SearchQuery::words(words) }
}

/// A product whose name, tags and description are set for ranking checks.
fn worded(n: usize, name: &str, tags: &[&str], description: &str) -> Product {
    let mut p = product(n);
    p.name = name.to_owned();
    p.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    p.description = description.to_owned();
    p
}

async fn a_name_match_outranks_a_tag_match_which_outranks_a_description_match(store: Arc<IndexedProducts>) {
    let word = format!("zq{}", unique("w").replace('_', "").to_lowercase());
    let in_description = worded(10, "Plain Mug", &[], &format!("a mug with {word} glaze"));
    let in_tags = worded(11, "Plain Cup", &[word.as_str()], "a cup");
    let in_name = worded(12, &format!("{word} Bowl"), &[], "a bowl");
    for p in [&in_description, &in_tags, &in_name] {
        store.insert(p, &[]).await.unwrap();
    }
    let (found, total) = store.search(&query(&word)).await.unwrap();
    assert_eq!(total, 3);
    let ids: Vec<ProductId> = found.iter().map(|p| p.id).collect();
    assert_eq!(ids, [in_name.id, in_tags.id, in_description.id]);
}

async fn search_filters_and_sorts(store: Arc<IndexedProducts>) {
    let tag = format!("t{}", unique("tag").replace('_', "").to_lowercase());
    let mut cheap = product(20);
    let mut dear = product(21);
    let mut draft = product(22);
    for (p, price) in [(&mut cheap, 1000), (&mut dear, 9000), (&mut draft, 5000)] {
        p.tags = vec![tag.clone()];
        for v in &mut p.variants {
            v.price.amount = price;
        }
    }
    draft.status = shop_catalog::domain::ProductStatus::Draft;
    dear.stock.insert(dear.variants[0].sku.clone(), 3);
    for p in [&cheap, &dear, &draft] {
        store.insert(p, &[]).await.unwrap();
    }
    let tagged = |q: SearchQuery| SearchQuery { tag: Some(tag.clone()), ..q };
    let (found, total) = store.search(&tagged(SearchQuery { sort: SearchSort::PriceDesc, ..query("") })).await.unwrap();
    assert_eq!((total, found[0].id, found[1].id), (2, dear.id, cheap.id), "the public sees no drafts");
    let (found, _) = store.search(&tagged(SearchQuery { min_price: Some(2000), ..query("") })).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [dear.id]);
    let (found, _) = store.search(&tagged(SearchQuery { in_stock: true, ..query("") })).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [dear.id]);
    let owner = Visibility::Vendor(draft.vendor_id.clone());
    let (_, total) = store.search(&tagged(SearchQuery { visibility: owner, ..query("") })).await.unwrap();
    assert_eq!(total, 3, "the owner sees its draft");
    let (page, total) = store
        .search(&tagged(SearchQuery { offset: 1, limit: 1, sort: SearchSort::PriceAsc, ..query("") }))
        .await
        .unwrap();
    assert_eq!((total, page.len(), page[0].id), (2, 1, dear.id));
}

async fn search_filters_by_vendor_and_attribute_values(store: Arc<IndexedProducts>) {
    let tag = format!("t{}", unique("tag").replace('_', "").to_lowercase());
    let mut made = Vec::new();
    for (n, (vendor, colour, size)) in
        [("v-a", "red", "L"), ("v-a", "blue", "L"), ("v-b", "red", "M"), ("v-b", "red", "L")].into_iter().enumerate()
    {
        let mut p = product(40 + n);
        p.tags = vec![tag.clone()];
        p.vendor_id = vendor.to_owned();
        p.attributes = [("colour".to_owned(), colour.to_owned()), ("size".to_owned(), size.to_owned())].into();
        store.insert(&p, &[]).await.unwrap();
        made.push(p.id);
    }
    let tagged = |q: SearchQuery| SearchQuery { tag: Some(tag.clone()), sort: SearchSort::Newest, ..q };
    let ids = async |q: SearchQuery| {
        let mut ids: Vec<ProductId> = store.search(&tagged(q)).await.unwrap().0.iter().map(|p| p.id).collect();
        ids.sort();
        ids
    };
    let attr = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(ids(SearchQuery { vendor: Some("v-a".into()), ..query("") }).await, [made[0], made[1]]);
    assert_eq!(
        ids(SearchQuery { attributes: attr(&[("colour", "red")]), ..query("") }).await,
        [made[0], made[2], made[3]]
    );
    let red_large = SearchQuery { attributes: attr(&[("colour", "red"), ("size", "L")]), ..query("") };
    assert_eq!(ids(red_large.clone()).await, [made[0], made[3]], "every attribute must hold");
    assert_eq!(ids(SearchQuery { vendor: Some("v-b".into()), ..red_large }).await, [made[3]]);
    assert!(ids(SearchQuery { attributes: attr(&[("colour", "green")]), ..query("") }).await.is_empty());
    // Facets count the matches of the filters given.
    let facets = store.facets(&tagged(SearchQuery { vendor: Some("v-b".into()), ..query("") })).unwrap();
    let mut values = facets.attributes;
    values.sort();
    let expected: Vec<(String, String, u64)> =
        vec![("colour".into(), "red".into(), 2), ("size".into(), "L".into(), 1), ("size".into(), "M".into(), 1)];
    assert_eq!(values, expected);
}

async fn an_update_moves_sku_claims_and_a_stale_update_is_refused(store: Arc<dyn ProductStore>) {
    let mut p = product(30);
    store.insert(&p, &[]).await.unwrap();
    let old_sku = p.variants[0].sku.clone();
    let new_sku = Sku::parse(&format!("NEW-{}", &unique("s")[..20])).unwrap();
    p.variants[0].sku = new_sku.clone();
    p.version += 1;
    store.update(&p, &[]).await.unwrap();
    assert_eq!(store.by_skus(std::slice::from_ref(&new_sku)).await.unwrap().len(), 1);
    assert!(store.by_skus(std::slice::from_ref(&old_sku)).await.unwrap().is_empty(), "the old SKU is free again");
    let mut other = product(31);
    other.variants[0].sku = old_sku;
    store.insert(&other, &[]).await.unwrap();
    assert!(matches!(store.update(&p, &[]).await, Err(StoreError::Stale)), "same version twice");
    store.delete(&p, &[]).await.unwrap();
    assert!(store.get(p.id).await.unwrap().is_none());
    assert!(store.by_skus(&[new_sku]).await.unwrap().is_empty());
}

fn category(parent: Option<CategoryId>) -> Category {
    let slug = unique("c").replace('_', "-").to_lowercase();
    Category {
        id: CategoryId::new(),
        name: "Things".into(),
        slug: Slug::parse(&slug[..slug.len().min(64)]).unwrap(),
        description: String::new(),
        parent_id: parent,
        image: None,
        active: true,
    }
}

async fn a_slug_names_one_category(store: Arc<dyn CategoryStore>) {
    let first = category(None);
    store.insert(&first).await.unwrap();
    let twin = Category { id: CategoryId::new(), ..first.clone() };
    assert!(matches!(store.insert(&twin).await, Err(StoreError::SlugTaken)));
    let child = category(Some(first.id));
    store.insert(&child).await.unwrap();
    let renamed = Category { slug: first.slug.clone(), ..child.clone() };
    assert!(matches!(store.update(&renamed).await, Err(StoreError::SlugTaken)));
    let all = store.all().await.unwrap();
    assert!(all.contains(&first) && all.contains(&child));
    store.delete(child.id).await.unwrap();
    assert!(!store.all().await.unwrap().contains(&child));
}

fn review(product: ProductId, user: &str, rating: u8) -> Review {
    Review {
        id: ReviewId::new(),
        product_id: product,
        user_id: user.to_owned(),
        rating,
        comment: "fine".into(),
        verified_purchase: false,
        helpful_count: 0,
        created_at: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    }
}

async fn one_review_per_user_and_one_vote_per_user(store: Arc<dyn ReviewStore>) {
    let product = ProductId::new();
    let first = review(product, "u1", 5);
    store.insert(&first).await.unwrap();
    assert!(matches!(store.insert(&review(product, "u1", 1)).await, Err(StoreError::DuplicateReview)));
    store.insert(&review(product, "u2", 3)).await.unwrap();
    assert_eq!(store.histogram(product).await.unwrap(), [0, 0, 1, 0, 1]);
    assert!(store.vote(first.id, "u3").await.unwrap());
    assert!(!store.vote(first.id, "u3").await.unwrap(), "a second vote changes nothing");
    assert!(store.vote(first.id, "u4").await.unwrap());
    assert_eq!(store.get(first.id).await.unwrap().unwrap().helpful_count, 2);
    let page = store.list(product, ReviewSort::Helpful, Paging::parse(1, 10).unwrap()).await.unwrap();
    assert_eq!((page.total, page.items[0].id), (2, first.id));
    // By cursor, one at a time: the most helpful, then the other.
    let one = Paging::parse(1, 1).unwrap();
    let top = store.list(product, ReviewSort::Helpful, one.clone()).await.unwrap();
    let next = Paging::after(&one.info_of(&top).next_cursor, 1).unwrap();
    let rest = store.list(product, ReviewSort::Helpful, next).await.unwrap();
    assert_eq!((top.items[0].id, rest.items.len(), rest.next), (first.id, 1, None));
    assert_ne!(rest.items[0].id, first.id);
}

mod embedded_more {
    use super::*;
    use shop_catalog::storage::{MemoryCategoryStore, MemoryReviewStore};

    fn products() -> Arc<dyn ProductStore> {
        Arc::new(MemoryProductStore::new(MemoryOutbox::default()))
    }

    shop_test_support::contract_tests!(
        an_update_moves_sku_claims_and_a_stale_update_is_refused(products()),
        a_slug_names_one_category(Arc::new(MemoryCategoryStore::default())),
        one_review_per_user_and_one_vote_per_user(Arc::new(MemoryReviewStore::default())),
    );
}

mod mongo_more {
    use super::*;
    use shop_catalog::storage::{MongoCategoryStore, MongoReviewStore};

    async fn db() -> mongodb::Database {
        require("MongoDB", &mongo_url());
        shop_storage::connect(&mongo_url(), &unique("catalog")).await.unwrap()
    }

    async fn products() -> Arc<dyn ProductStore> {
        let db = db().await;
        Arc::new(MongoProductStore::open(db.clone(), MongoOutbox::new(&db)).await.unwrap())
    }

    #[tokio::test]
    async fn one_review_per_user_and_one_vote_per_user() {
        super::one_review_per_user_and_one_vote_per_user(Arc::new(MongoReviewStore::open(db().await).await.unwrap()))
            .await;
    }

    shop_test_support::contract_tests!(
        an_update_moves_sku_claims_and_a_stale_update_is_refused(products().await),
        a_slug_names_one_category(Arc::new(MongoCategoryStore::open(&db().await).await.unwrap())),
    );
}

/// Searches, through the search index over each store; and the store contract holds for
/// the indexed store too.
async fn indexed(store: Arc<dyn ProductStore>) -> Arc<IndexedProducts> {
    Arc::new(IndexedProducts::open(store).await.unwrap())
}

mod indexed_embedded {
    use super::*;

    async fn products() -> Arc<IndexedProducts> {
        indexed(Arc::new(MemoryProductStore::new(MemoryOutbox::default()))).await
    }

    shop_test_support::contract_tests!(
        a_name_match_outranks_a_tag_match_which_outranks_a_description_match(products().await),
        search_filters_and_sorts(products().await),
        search_filters_by_vendor_and_attribute_values(products().await),
        an_update_moves_sku_claims_and_a_stale_update_is_refused(products().await),
        a_stored_product_reads_back_unchanged(products().await),
    );
}

mod indexed_mongo {
    use super::*;

    async fn products() -> Arc<IndexedProducts> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("catalog")).await.unwrap();
        indexed(Arc::new(MongoProductStore::open(db.clone(), MongoOutbox::new(&db)).await.unwrap())).await
    }

    shop_test_support::contract_tests!(
        a_name_match_outranks_a_tag_match_which_outranks_a_description_match(products().await),
        search_filters_and_sorts(products().await),
        search_filters_by_vendor_and_attribute_values(products().await),
    );
}
