//! Stock through the gateway: owners manage their SKUs, admins see low stock, and catalog
//! shows what inventory reports.

use std::time::Duration;

use serde_json::json;
use shop_e2e::{Api, Running};

async fn token(api: &Api, email: &str, password: &str) -> String {
    let login = api.login(email, password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    login.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn owners_manage_their_stock_admins_see_alerts_and_catalog_shows_availability() {
    let app = Running::start().await;
    let api = &app.api;
    let vendor = token(api, "vendor@shop.local", "vendor-demo-password").await;
    let admin = token(api, "admin@shop.local", "admin-demo-password").await;
    let customer = token(api, "customer@shop.local", "customer-demo-password").await;
    let product = api.get("/api/v1/products/01920000-0000-7000-8000-000000000005", None).await.body;
    let sku = product["variants"][0]["sku"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/inventory/{sku}");

    let demo = api.get(&path, Some(&vendor)).await;
    assert_eq!(demo.status, 200, "{}", demo.text);
    assert_eq!(
        demo.body["available"],
        demo.body["on_hand"].as_i64().unwrap() - demo.body["reserved"].as_i64().unwrap()
    );
    assert_eq!(api.get(&path, Some(&customer)).await.status, 403);
    assert_eq!(api.get(&path, None).await.status, 401);
    assert_eq!(api.get("/api/v1/inventory/NO-SUCH-SKU", Some(&admin)).await.status, 404);

    let set = api
        .send(reqwest::Method::PUT, &path, Some(&vendor), Some(json!({"on_hand": 3, "low_stock_threshold": 4})))
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!((set.body["on_hand"].as_i64(), set.body["available"].as_i64()), (Some(3), Some(3)));
    let negative = api.send(reqwest::Method::PUT, &path, Some(&vendor), Some(json!({"on_hand": -1}))).await;
    assert_eq!(negative.status, 400);
    let unknown = api.send(reqwest::Method::PUT, &path, Some(&vendor), Some(json!({"reserved": 0}))).await;
    assert_eq!(unknown.status, 400, "reserved is not client-settable");

    assert_eq!(api.get("/api/v1/admin/inventory/alerts", Some(&customer)).await.status, 403);
    let alerted = |page: &serde_json::Value| page["items"].as_array().unwrap().iter().any(|s| s["sku"] == sku.as_str());
    let own = api.get("/api/v1/admin/inventory/alerts?per_page=100", Some(&vendor)).await.body;
    assert!(alerted(&own), "3 available, threshold 4: the owner sees it");
    // The admin sees every vendor's alerts, walked by cursor, each SKU once, by SKU.
    let (mut skus, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/inventory/alerts?per_page=5&cursor={c}"),
            None => "/api/v1/admin/inventory/alerts?per_page=5".to_owned(),
        };
        let page = api.get(&path, Some(&admin)).await;
        assert_eq!(page.status, 200, "{}", page.text);
        skus.extend(page.body["items"].as_array().unwrap().iter().map(|s| s["sku"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(skus.contains(&sku));
    assert!(skus.windows(2).all(|w| w[0] < w[1]), "by SKU, each once: {skus:?}");
    assert!(skus.len() >= own["total"].as_u64().unwrap() as usize);

    // The ledger: newest first, by cursor; the owner's and the admin's, nobody else's.
    let ledger = api.get(&format!("{path}/ledger?per_page=1"), Some(&vendor)).await;
    assert_eq!(ledger.status, 200, "{}", ledger.text);
    assert_eq!(ledger.body["items"][0]["reason"], "set", "the newest entry first");
    assert_eq!(ledger.body["items"][0]["on_hand_delta"].as_i64().unwrap(), 3 - demo.body["on_hand"].as_i64().unwrap());
    let next = ledger.body["next_cursor"].as_str().expect("older entries");
    let older = api.get(&format!("{path}/ledger?per_page=1&cursor={next}"), Some(&admin)).await;
    assert_eq!(older.status, 200, "{}", older.text);
    assert_eq!(older.body["items"][0]["reason"], "restock", "the demo units came first");
    assert_eq!(api.get(&format!("{path}/ledger"), Some(&customer)).await.status, 403);

    let shown = shop_test_support::eventually(Duration::from_secs(5), || async {
        let p = api.get("/api/v1/products/01920000-0000-7000-8000-000000000005", Some(&vendor)).await.body;
        p["variants"][0]["available"] == json!(3)
    })
    .await;
    assert!(shown, "catalog shows the level inventory reported");
    let emptied = api.send(reqwest::Method::PUT, &path, Some(&admin), Some(json!({"on_hand": 0}))).await;
    assert_eq!(emptied.status, 200);
    app.stop().await;
}
