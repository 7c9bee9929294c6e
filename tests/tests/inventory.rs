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

    assert_eq!(api.get("/api/v1/admin/inventory/alerts", Some(&vendor)).await.status, 403);
    let alerts = api.get("/api/v1/admin/inventory/alerts", Some(&admin)).await.body;
    assert!(alerts.as_array().unwrap().iter().any(|s| s["sku"] == sku.as_str()), "3 available, threshold 4");

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
