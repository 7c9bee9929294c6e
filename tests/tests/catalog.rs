//! The catalog through the gateway: ownership, search, categories, reviews, bad input,
//! events and availability.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};

use shop_e2e::{Api, Running};
use shop_messaging::{Envelope, EventBus, EventHandler};

async fn token(api: &Api, email: &str, password: &str) -> String {
    let login = api.login(email, password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    login.body["access_token"].as_str().unwrap().to_owned()
}

/// A second vendor: a fresh customer promoted by the admin.
async fn another_vendor(api: &Api, admin: &str) -> String {
    let (email, password, session) = api.register_customer().await;
    let id = session["user"]["id"].as_str().unwrap();
    assert_eq!(
        api.patch(&format!("/api/v1/admin/users/{id}"), Some(admin), json!({"role": "vendor"})).await.status,
        200
    );
    token(api, &email, &password).await
}

fn sku() -> String {
    format!("T-{}", &uuid::Uuid::now_v7().simple().to_string()[16..])
}

fn new_product(name: &str, sku: &str, amount: i64) -> Value {
    json!({"name": name, "description": "made for tests", "tags": ["test"],
           "variants": [{"sku": sku, "price": {"amount": amount, "currency": "USD"}, "attributes": {"size": "M"}}]})
}

#[tokio::test]
async fn a_vendor_owns_what_it_creates_and_the_public_sees_it_once_active() {
    let app = Running::start().await;
    let api = &app.api;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let admin = token(api, "admin@shop.local", "admin-demo-password").await;
    let customer = token(api, "customer@shop.local", "customer-demo-password").await;
    let other = another_vendor(api, &admin).await;

    assert_eq!(api.post("/api/v1/products", Some(&customer), new_product("Nope", &sku(), 100)).await.status, 403);
    assert_eq!(api.post("/api/v1/products", None, new_product("Nope", &sku(), 100)).await.status, 401);
    let created = api.post("/api/v1/products", Some(&vendor), new_product("Enamel Camp Mug", &sku(), 1500)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["vendor_id"], shop_platform::demo::VENDOR_ID);
    let path = format!("/api/v1/products/{}", created.body["id"].as_str().unwrap());

    assert_eq!(api.get(&path, None).await.status, 404, "a draft is not public");
    assert_eq!(api.get(&path, Some(&vendor)).await.status, 200, "its owner sees it");
    let active = api.patch(&path, Some(&vendor), json!({"status": "active"})).await;
    assert_eq!(active.status, 200, "{}", active.text);
    assert_eq!(api.get(&path, None).await.body["name"], "Enamel Camp Mug");

    let hijack = api.patch(&path, Some(&other), json!({"name": "Mine now"})).await;
    assert_eq!(hijack.status, 403);
    assert_eq!(api.send(reqwest::Method::DELETE, &path, Some(&other), None).await.status, 403);
    let fixed = api.patch(&path, Some(&admin), json!({"name": "Enamel Camp Mug, Blue"})).await;
    assert_eq!(fixed.status, 200);
    assert_eq!(fixed.body["name"], "Enamel Camp Mug, Blue");
    let mass = api.patch(&path, Some(&vendor), json!({"vendor_id": "someone-else"})).await;
    assert_eq!(mass.status, 400, "vendor_id is not client-settable");
    assert_eq!(api.send(reqwest::Method::DELETE, &path, Some(&vendor), None).await.status, 204);
    assert_eq!(api.get(&path, None).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn search_finds_by_text_category_subtree_price_and_pages_with_totals() {
    let app = Running::start().await;
    let api = &app.api;
    let text = api.get("/api/v1/products?q=merino+hoodie", None).await;
    assert_eq!(text.status, 200);
    let first = &text.body["items"][0];
    assert!(first["name"].as_str().unwrap().contains("Merino Hoodie"), "{first}");

    let tree = api.get("/api/v1/categories", None).await.body;
    let clothing = tree.as_array().unwrap().iter().find(|c| c["name"] == "Clothing").unwrap();
    assert_eq!(clothing["children"].as_array().unwrap().len(), 2);
    let leaf = &clothing["children"][0]["children"][0];
    let in_clothing = api.get(&format!("/api/v1/products?category={}", clothing["id"].as_str().unwrap()), None).await;
    let in_leaf = api.get(&format!("/api/v1/products?category={}", leaf["id"].as_str().unwrap()), None).await;
    let (all, part) = (in_clothing.body["total"].as_u64().unwrap(), in_leaf.body["total"].as_u64().unwrap());
    assert!(all > part && part > 0, "a category includes its sub-categories: {all} vs {part}");

    let priced = api.get("/api/v1/products?min_price=5000&max_price=8000&sort=price_asc&per_page=100", None).await;
    let prices: Vec<i64> = priced.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["variants"].as_array().unwrap().iter().map(|v| v["price"]["amount"].as_i64().unwrap()).min().unwrap()
        })
        .collect();
    assert!(!prices.is_empty() && prices.iter().all(|p| (5000..=8000).contains(p)));
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "sorted by price");

    let page1 = api.get("/api/v1/products?sort=newest&per_page=7&page=1", None).await.body;
    let page2 = api.get("/api/v1/products?sort=newest&per_page=7&page=2", None).await.body;
    assert_eq!(page1["total"], 240);
    assert_eq!((page1["per_page"].as_u64(), page2["page"].as_u64()), (Some(7), Some(2)));
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
    let rated = api.get("/api/v1/products?sort=rating&per_page=3", None).await.body;
    let averages: Vec<f64> =
        rated["items"].as_array().unwrap().iter().map(|p| p["rating"]["average"].as_f64().unwrap()).collect();
    assert!(averages.windows(2).all(|w| w[0] >= w[1]));
    app.stop().await;
}

#[tokio::test]
async fn search_counts_facets_narrows_by_them_suggests_and_walks_by_cursor() {
    let app = Running::start().await;
    let api = &app.api;
    let faceted = api.get("/api/v1/products?facets=true&per_page=5", None).await;
    assert_eq!(faceted.status, 200, "{}", faceted.text);
    let (body, total) = (&faceted.body, faceted.body["total"].as_u64().unwrap());
    let facets = &body["facets"];
    let sum =
        |list: &serde_json::Value| list.as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum(&facets["prices"]), total, "every match falls in one price band");
    assert!(facets["in_stock"].as_u64().unwrap() <= total);
    // Narrowing by a facet value finds as many as it counted.
    let tag = &facets["tags"][0];
    let by_tag = api.get(&format!("/api/v1/products?tag={}", tag["value"].as_str().unwrap()), None).await.body;
    assert_eq!(by_tag["total"], tag["count"]);
    let attribute = &facets["attributes"][0];
    let (name, value) = (attribute["name"].as_str().unwrap(), &attribute["values"][0]);
    let narrowed = format!("/api/v1/products?attr={name}:{}&facets=true", value["value"].as_str().unwrap());
    let by_attribute = api.get(&narrowed, None).await.body;
    assert_eq!(by_attribute["total"], value["count"], "{narrowed}");
    let band = &facets["prices"][1];
    let (from, to) = (band["from"].as_i64().unwrap(), band["to"].as_i64().unwrap());
    let in_band = api.get(&format!("/api/v1/products?min_price={from}&max_price={}", to - 1), None).await.body;
    assert_eq!(in_band["total"], band["count"]);
    assert!(api.get("/api/v1/products", None).await.body.get("facets").is_none(), "facets only when asked");

    // One vendor's products.
    let vendor = body["items"][0]["vendor_id"].as_str().unwrap();
    let own = api.get(&format!("/api/v1/products?vendor={vendor}&per_page=100"), None).await.body;
    assert!(own["total"].as_u64().unwrap() > 0);
    assert!(own["items"].as_array().unwrap().iter().all(|p| p["vendor_id"] == vendor));

    // A cursor walks the whole catalog, each product once.
    let mut seen = std::collections::HashSet::new();
    let mut next = Some("/api/v1/products?sort=newest&per_page=100".to_owned());
    while let Some(path) = next.take() {
        let page = api.get(&path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.body["items"].as_array().unwrap() {
            assert!(seen.insert(item["id"].as_str().unwrap().to_owned()), "a product twice");
        }
        next =
            page.body["next_cursor"].as_str().map(|c| format!("/api/v1/products?sort=newest&per_page=100&cursor={c}"));
    }
    assert_eq!(seen.len() as u64, total);
    for bad in
        ["/api/v1/products?cursor=bm9wZQ", "/api/v1/products?cursor=cDEuMjA&page=2", "/api/v1/products?attr=colour"]
    {
        let refused = api.get(bad, None).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.text);
    }
    let too_deep = api.get("/api/v1/products?page=101&per_page=100", None).await;
    assert_eq!(too_deep.status, 400, "a search pages through its first 10,000 matches: {}", too_deep.text);

    // Search as you type.
    let typed = api.get("/api/v1/search/suggest?q=meri", None).await;
    assert_eq!(typed.status, 200, "{}", typed.text);
    let names: Vec<&str> =
        typed.body["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| n.to_lowercase().contains("meri")), "{names:?}");
    assert!(names.len() <= 8);
    let three = api.get("/api/v1/search/suggest?q=a&limit=3", None).await.body;
    assert!(three["items"].as_array().unwrap().len() <= 3);
    for bad in ["/api/v1/search/suggest", "/api/v1/search/suggest?q=me&limit=0", "/api/v1/search/suggest?q=me&limit=21"]
    {
        assert_eq!(api.get(bad, None).await.status, 400, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn reviews_are_one_per_user_votes_count_once_and_the_rating_adds_up() {
    let app = Running::start().await;
    let api = &app.api;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let created = api.post("/api/v1/products", Some(&vendor), new_product("Review Target", &sku(), 900)).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    api.patch(&format!("/api/v1/products/{id}"), Some(&vendor), json!({"status": "active"})).await;
    let reviews = format!("/api/v1/products/{id}/reviews");

    let mut tokens = Vec::new();
    for rating in [5, 4, 2] {
        let (_, _, session) = api.register_customer().await;
        let t = session["access_token"].as_str().unwrap().to_owned();
        let r = api.post(&reviews, Some(&t), json!({"rating": rating, "comment": "honest words"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["verified_purchase"], false, "no order says they bought it");
        tokens.push((t, r.body["id"].as_str().unwrap().to_owned()));
    }
    let again = api.post(&reviews, Some(&tokens[0].0), json!({"rating": 1})).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["code"], "already_reviewed");
    for bad in [0, 6] {
        assert_eq!(api.post(&reviews, Some(&tokens[0].0), json!({"rating": bad})).await.status, 400);
    }

    let vote = format!("/api/v1/reviews/{}/helpful", tokens[2].1);
    assert_eq!(api.post(&vote, Some(&tokens[0].0), json!({})).await.body["helpful_count"], 1);
    assert_eq!(
        api.post(&vote, Some(&tokens[0].0), json!({})).await.body["helpful_count"],
        1,
        "a second vote counts once"
    );
    assert_eq!(api.post(&vote, Some(&tokens[1].0), json!({})).await.body["helpful_count"], 2);
    let helpful = api.get(&format!("{reviews}?sort=helpful"), None).await.body;
    assert_eq!(helpful["total"], 3);
    assert_eq!(helpful["items"][0]["id"], tokens[2].1.as_str());

    let product = api.get(&format!("/api/v1/products/{id}"), None).await.body;
    assert_eq!(product["rating"]["count"], 3);
    assert_eq!(product["rating"]["histogram"], json!([0, 1, 0, 1, 1]));
    assert!((product["rating"]["average"].as_f64().unwrap() - 11.0 / 3.0).abs() < 1e-9);
    app.stop().await;
}

#[tokio::test]
async fn bad_product_input_is_refused_with_field_errors_and_nothing_is_stored() {
    let app = Running::start().await;
    let api = &app.api;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let taken =
        api.get("/api/v1/products/01920000-0000-7000-8000-000000000001", None).await.body["variants"][0]["sku"].clone();
    let name = format!("Never Stored {}", uuid::Uuid::now_v7().simple());
    let variant = |sku: Value, amount: Value| json!({"name": name, "variants": [{"sku": sku, "price": {"amount": amount, "currency": "USD"}}]});
    let cases = [
        ("negative price", variant(json!(sku()), json!(-1)), "variants[0].price.amount"),
        ("empty SKU", variant(json!(""), json!(100)), "variants[0].sku"),
        (
            "unknown category",
            json!({"name": name, "category_id": uuid::Uuid::now_v7(), "variants": [{"sku": sku(), "price": {"amount": 1, "currency": "USD"}}]}),
            "category_id",
        ),
        (
            "10,000-character name",
            json!({"name": "n".repeat(10_000), "variants": [{"sku": sku(), "price": {"amount": 1, "currency": "USD"}}]}),
            "name",
        ),
    ];
    for (what, body, field) in cases {
        let reply = api.post("/api/v1/products", Some(&vendor), body).await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text);
        assert_eq!(reply.body["code"], "validation_failed", "{what}");
        assert!(reply.body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{what}: {}", reply.text);
    }
    let fraction = api.post("/api/v1/products", Some(&vendor), variant(json!(sku()), json!(19.99))).await;
    assert_eq!(fraction.status, 400, "a price is never a fraction");
    let duplicate = api.post("/api/v1/products", Some(&vendor), variant(taken, json!(100))).await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.body["code"], "duplicate_sku");
    // Query operators are words like any other to the search engine: they find nothing.
    for query in ["q=%7B%22%24gt%22%3A%22%22%7D", "q=%24where"] {
        let reply = api.get(&format!("/api/v1/products?{query}"), None).await;
        assert_eq!((reply.status, &reply.body["total"]), (200, &json!(0)), "{query}: {}", reply.text);
    }
    for query in ["per_page=100000", "sort=cheapest", "min_price=abc", "min_price=10&max_price=5"] {
        let reply = api.get(&format!("/api/v1/products?{query}"), None).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        assert_eq!(reply.body["code"], "validation_failed", "{query}");
    }
    let mine = api.get(&format!("/api/v1/products?q={}", name.replace(' ', "+")), Some(&vendor)).await.body;
    assert_eq!(mine["total"], 0, "nothing was stored");
    app.stop().await;
}

#[tokio::test]
async fn categories_form_a_tree_that_admins_shape_and_in_use_ones_cannot_be_deleted() {
    let app = Running::start().await;
    let api = &app.api;
    let admin = token(api, "admin@shop.local", "admin-demo-password").await;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let slug = format!("garden-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    assert_eq!(
        api.post("/api/v1/categories", Some(&vendor), json!({"name": "Garden", "slug": slug})).await.status,
        403
    );
    let parent = api.post("/api/v1/categories", Some(&admin), json!({"name": "Garden", "slug": slug})).await;
    assert_eq!(parent.status, 201, "{}", parent.text);
    let parent_id = parent.body["id"].as_str().unwrap().to_owned();
    assert_eq!(api.post("/api/v1/categories", Some(&admin), json!({"name": "Twin", "slug": slug})).await.status, 409);
    let child = api
        .post(
            "/api/v1/categories",
            Some(&admin),
            json!({"name": "Tools", "slug": format!("{slug}-tools"), "parent_id": parent_id}),
        )
        .await;
    let child_id = child.body["id"].as_str().unwrap().to_owned();
    let cycle =
        api.patch(&format!("/api/v1/categories/{parent_id}"), Some(&admin), json!({"parent_id": child_id})).await;
    assert_eq!(cycle.status, 400, "a category cannot sit below itself");
    let half_valid = json!({"name": "Renamed", "slug": "Not A Slug!"});
    let refused = api.patch(&format!("/api/v1/categories/{parent_id}"), Some(&admin), half_valid).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["field"], "slug");
    let tree = api.get("/api/v1/categories", Some(&admin)).await.body;
    let garden = tree.as_array().unwrap().iter().find(|c| c["id"] == parent_id.as_str()).expect("a root category");
    assert_eq!(garden["name"], "Garden", "a refused change changes nothing, not even its valid part");

    let product = json!({"name": "Trowel", "category_id": child_id, "status": "active",
                         "variants": [{"sku": sku(), "price": {"amount": 700, "currency": "USD"}}]});
    let trowel = api.post("/api/v1/products", Some(&vendor), product).await;
    assert_eq!(trowel.status, 201, "{}", trowel.text);
    let delete = async |id: &str| {
        api.send(reqwest::Method::DELETE, &format!("/api/v1/categories/{id}"), Some(&admin), None).await
    };
    let in_use = delete(&parent_id).await;
    assert_eq!((in_use.status, in_use.body["code"].as_str()), (409, Some("category_in_use")), "it has a child");
    assert_eq!(delete(&child_id).await.status, 409, "it has a product");
    let in_garden = api.get(&format!("/api/v1/products?category={parent_id}"), None).await.body;
    assert_eq!(in_garden["total"], 1, "the parent's search includes the child's products");
    api.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/products/{}", trowel.body["id"].as_str().unwrap()),
        Some(&vendor),
        None,
    )
    .await;
    assert_eq!(delete(&child_id).await.status, 204);
    assert_eq!(delete(&parent_id).await.status, 204);
    app.stop().await;
}

#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl EventHandler for Seen {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.0.lock().unwrap().push(event.r#type.clone());
        Ok(())
    }
}

#[tokio::test]
async fn changes_are_announced_and_inventory_reports_show_as_availability() {
    let app = Running::start().await;
    let api = &app.api;
    let seen = Arc::new(Seen::default());
    let subscription = app.platform.bus.subscribe("test-listener", &["catalog.#"], seen.clone()).await.unwrap();
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let code = sku();
    let created = api.post("/api/v1/products", Some(&vendor), new_product("Announced", &code, 1000)).await;
    let path = format!("/api/v1/products/{}", created.body["id"].as_str().unwrap());
    let repriced =
        json!({"status": "active", "variants": [{"sku": code, "price": {"amount": 1200, "currency": "USD"}}]});
    assert_eq!(api.patch(&path, Some(&vendor), repriced).await.status, 200);
    let expected = ["catalog.product_created", "catalog.product_updated", "catalog.price_changed"];
    assert!(
        shop_test_support::eventually(Duration::from_secs(5), || async {
            let seen = seen.0.lock().unwrap();
            expected.iter().all(|e| seen.iter().any(|s| s == e))
        })
        .await,
        "{:?}",
        seen.0.lock().unwrap()
    );

    // Inventory learned the SKU from catalog's event; what it reports shows on the product.
    let stock = format!("/api/v1/inventory/{code}");
    let level = async |units: i64| {
        let set = api.send(reqwest::Method::PUT, &stock, Some(&vendor), Some(json!({"on_hand": units}))).await;
        assert_eq!(set.status, 200, "{}", set.text);
        shop_test_support::eventually(Duration::from_secs(5), || async {
            api.get(&path, Some(&vendor)).await.body["variants"][0]["available"] == json!(units)
        })
        .await
    };
    assert!(level(0).await);
    assert_eq!(api.get(&path, Some(&vendor)).await.body["in_stock"], json!(false));
    assert!(level(4).await);
    let product = api.get(&path, None).await.body;
    assert_eq!((product["variants"][0]["available"].as_i64(), product["in_stock"].as_bool()), (Some(4), Some(true)));
    // Searches see a stock change within a second (the index batches them).
    let found = shop_test_support::eventually(Duration::from_secs(1), || async {
        api.get("/api/v1/products?in_stock=true&q=announced", None).await.body["total"] == 1
    });
    assert!(found.await, "an in-stock search finds it within a second");
    subscription.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_cached_product_is_refreshed_when_catalog_changes_it() {
    let app = Running::start().await;
    let api = &app.api;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let code = sku();
    let mut body = new_product("Cached Kettle", &code, 3000);
    body["status"] = json!("active");
    let created = api.post("/api/v1/products", Some(&vendor), body).await;
    let path = format!("/api/v1/products/{}", created.body["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(api.get(&path, None).await.body["variants"][0]["price"]["amount"], 3000);
    }
    let repriced = json!({"variants": [{"sku": code, "price": {"amount": 2500, "currency": "USD"}}]});
    assert_eq!(api.patch(&path, Some(&vendor), repriced).await.status, 200);
    let fresh = shop_test_support::eventually(Duration::from_secs(5), || async {
        api.get(&path, None).await.body["variants"][0]["price"]["amount"] == json!(2500)
    })
    .await;
    assert!(fresh, "the change reached the cache");
    assert_eq!(api.send(reqwest::Method::DELETE, &path, Some(&vendor), None).await.status, 204);
    let gone =
        shop_test_support::eventually(Duration::from_secs(5), || async { api.get(&path, None).await.status == 404 })
            .await;
    assert!(gone, "a deleted product is not served from the cache");
    app.stop().await;
}
