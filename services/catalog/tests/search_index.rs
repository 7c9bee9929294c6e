//! The search engine's own promises, beyond the store contract: a typo or an unfinished
//! last word still finds the product; every word narrows a search; updates and deletes show in the next search; an index
//! opened over a populated store holds what the store holds; facets count every match.

use std::sync::Arc;

use shop_catalog::{
    domain::{ProductId, SearchQuery, SearchSort, Visibility},
    search_index::SearchIndex,
    seed::demo_products,
    storage::{IndexedProducts, MemoryProductStore, ProductStore},
};
use shop_messaging::outbox::MemoryOutbox;

fn query(words: &str) -> SearchQuery {
    SearchQuery::words(words)
}

async fn found(store: &IndexedProducts, words: &str) -> Vec<ProductId> {
    store.search(&query(words)).await.unwrap().0.iter().map(|p| p.id).collect()
}

async fn shop() -> (Arc<MemoryProductStore>, IndexedProducts) {
    let store = Arc::new(MemoryProductStore::new(MemoryOutbox::default()));
    let indexed = IndexedProducts::open(store.clone()).await.unwrap();
    (store, indexed)
}

#[tokio::test]
async fn a_typo_or_an_unfinished_word_still_finds_the_product() {
    let (_, shop) = shop().await;
    let mut kettle = demo_products().swap_remove(0);
    kettle.name = "Copper Whistling Kettle".into();
    kettle.description = "boils water on any hob".into();
    shop.insert(&kettle, &[]).await.unwrap();
    for words in ["kettle", "ketle", "kettel", "whistlnig kettle", "coppe", "whist", "copper ket"] {
        assert_eq!(found(&shop, words).await, [kettle.id], "{words:?}");
    }
    for words in ["kitchen", "kx", "hobnob"] {
        assert!(found(&shop, words).await.is_empty(), "{words:?} finds nothing");
    }
}

#[tokio::test]
async fn every_word_narrows_a_search_and_words_nothing_has_together_still_find_parts() {
    let (_, shop) = shop().await;
    let mut made = Vec::new();
    for (i, name) in ["Copper Kettle", "Copper Saucepan", "Steel Kettle"].into_iter().enumerate() {
        let mut product = demo_products().swap_remove(i);
        product.name = name.into();
        product.description = "for the kitchen".into();
        product.tags = vec![];
        shop.insert(&product, &[]).await.unwrap();
        made.push(product.id);
    }
    assert_eq!(found(&shop, "copper kettle").await, [made[0]], "both words");
    assert_eq!(found(&shop, "coper kettl").await, [made[0]], "both words, with a typo and unfinished");
    let mut parts = found(&shop, "copper wok").await;
    parts.sort();
    let mut coppers = vec![made[0], made[1]];
    coppers.sort();
    assert_eq!(parts, coppers, "no wok: what is copper");
    let facets = shop.facets(&query("copper kettle")).unwrap();
    assert_eq!(facets.prices.iter().map(|b| b.count).sum::<u64>(), 1, "facets count what the search finds");
}

#[tokio::test]
async fn updates_and_deletes_show_in_the_next_search() {
    let (_, shop) = shop().await;
    let mut product = demo_products().swap_remove(1);
    product.name = "Linen Apron".into();
    shop.insert(&product, &[]).await.unwrap();
    assert_eq!(found(&shop, "apron").await, [product.id]);
    let mut renamed = product.clone();
    renamed.name = "Linen Tablecloth".into();
    renamed.version += 1;
    shop.update(&renamed, &[]).await.unwrap();
    assert!(found(&shop, "apron").await.is_empty(), "the old name is gone");
    assert_eq!(found(&shop, "tablecloth").await, [product.id]);
    let mut draft = renamed.clone();
    draft.status = shop_catalog::domain::ProductStatus::Draft;
    draft.version += 1;
    shop.update(&draft, &[]).await.unwrap();
    assert!(found(&shop, "tablecloth").await.is_empty(), "a draft leaves public results");
    shop.delete(&draft, &[]).await.unwrap();
    let admin = SearchQuery { visibility: Visibility::Admin, ..query("tablecloth") };
    assert_eq!(shop.search(&admin).await.unwrap().1, 0, "deleted: not even an admin finds it");
}

#[tokio::test]
async fn an_index_opened_over_a_populated_store_holds_what_it_holds() {
    let store = Arc::new(MemoryProductStore::new(MemoryOutbox::default()));
    let products = demo_products();
    for p in &products {
        store.insert(p, &[]).await.unwrap();
    }
    let shop = IndexedProducts::open(store.clone()).await.unwrap();
    let every = SearchQuery { visibility: Visibility::Admin, limit: 100, ..query("") };
    assert_eq!(shop.search(&every).await.unwrap().1, products.len() as u64);
    // A deep page costs a page: the 200th to 220th newest, in order.
    let newest = SearchQuery { sort: SearchSort::Newest, offset: 200, limit: 20, ..every };
    let (page, total) = shop.search(&newest).await.unwrap();
    assert_eq!(total, products.len() as u64);
    let mut expected: Vec<_> = products.iter().map(|p| p.created_at).collect();
    expected.sort_by(|a, b| b.cmp(a));
    let dates: Vec<_> = page.iter().map(|p| p.created_at).collect();
    assert_eq!(dates, expected[200..220], "the 200th to 220th newest");
}

#[test]
fn facets_count_every_match_by_category_tag_attribute_price_band_and_stock() {
    let index = Arc::new(SearchIndex::new().unwrap());
    let mut products = demo_products();
    products.truncate(6);
    for (i, p) in products.iter_mut().enumerate() {
        p.name = format!("Facet Lamp {i}");
        p.category_id = Some(if i < 4 { "lamps" } else { "shades" }.to_owned());
        p.tags = vec!["light".to_owned()];
        p.attributes = [("colour".to_owned(), if i % 2 == 0 { "red" } else { "blue" }.to_owned())].into();
        for v in &mut p.variants {
            v.price.amount = 1_000 * (i as i64 + 1) * (i as i64 + 1);
        }
        p.stock = p.variants.iter().map(|v| (v.sku.clone(), if i == 0 { 5 } else { 0 })).collect();
        index.upsert(p).unwrap();
    }
    index.commit().unwrap();
    let facets = index.facets(&SearchQuery::words("lamp")).unwrap();
    assert_eq!(facets.categories, [("lamps".to_owned(), 4), ("shades".to_owned(), 2)]);
    assert_eq!(facets.tags, [("light".to_owned(), 6)]);
    let mut colours = facets.attributes.clone();
    colours.sort();
    assert_eq!(colours, [("colour".into(), "blue".into(), 3), ("colour".into(), "red".into(), 3)]);
    // Prices 1,000 4,000 9,000 16,000 25,000 36,000 (minor units) in the bands from 0.
    let counts: Vec<u64> = facets.prices.iter().map(|b| b.count).collect();
    assert_eq!(counts, [1, 1, 1, 1, 2, 0]);
    assert_eq!((facets.prices[0].from, facets.prices[5].to), (Some(0), None));
    assert_eq!(facets.in_stock, 1);
    // Facets follow the filters: within one category.
    let shades = SearchQuery { categories: Some(vec![]), ..SearchQuery::words("lamp") };
    assert_eq!(index.facets(&shades).unwrap().tags, [], "no category given: nothing matches");
}

#[test]
fn suggestions_follow_the_typing_and_never_show_drafts() {
    let index = SearchIndex::new().unwrap();
    let mut products = demo_products();
    products.truncate(3);
    let names = ["Merino Travel Hoodie", "Merlot Glass Set", "Draft Merino Scarf"];
    for (p, name) in products.iter_mut().zip(names) {
        p.name = name.to_owned();
        p.description = "plain".to_owned();
        p.tags.clear();
    }
    products[2].status = shop_catalog::domain::ProductStatus::Draft;
    for p in &products {
        index.upsert(p).unwrap();
    }
    index.commit().unwrap();
    let names = |typed: &str| index.suggest(typed, 8).unwrap().into_iter().map(|(_, n)| n).collect::<Vec<_>>();
    assert_eq!(names("merino"), ["Merino Travel Hoodie"], "the draft scarf is never suggested");
    let mer = names("mer");
    assert_eq!(mer.len(), 2, "{mer:?}");
    assert!(mer.contains(&"Merlot Glass Set".to_owned()));
    assert_eq!(names("merino hoo"), ["Merino Travel Hoodie"]);
    assert!(names("").is_empty());
    assert!(names("zzz").is_empty());
}

#[tokio::test]
async fn a_stock_change_reaches_searches_within_a_refresh() {
    let (_, shop) = shop().await;
    let mut product = demo_products().swap_remove(2);
    product.name = "Stoneware Jug".into();
    shop.insert(&product, &[]).await.unwrap();
    let in_stock = SearchQuery { in_stock: true, ..query("jug") };
    assert_eq!(shop.search(&in_stock).await.unwrap().1, 0, "no stock reported yet");
    product.stock = product.variants.iter().map(|v| (v.sku.clone(), 4)).collect();
    product.version += 1;
    shop.update_availability(&product, &[]).await.unwrap();
    let seen = shop_test_support::eventually(std::time::Duration::from_secs(1), || async {
        shop.search(&in_stock).await.unwrap().1 == 1
    })
    .await;
    assert!(seen, "the stock change is searchable within a second");
}
