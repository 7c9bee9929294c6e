//! The cart through the gateway: lines merge, prices come from catalog, limits and bad
//! input are refused, and a client can never set a price.

use serde_json::json;
use shop_e2e::Running;

#[tokio::test]
async fn a_cart_merges_lines_prices_them_from_catalog_and_refuses_bad_input() {
    let app = Running::start().await;
    let api = &app.api;
    let (_, _, session) = api.register_customer().await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    let product = api.get("/api/v1/products/01920000-0000-7000-8000-000000000003", None).await.body;
    let (sku, price) = (
        product["variants"][0]["sku"].as_str().unwrap().to_owned(),
        product["variants"][0]["price"]["amount"].as_i64().unwrap(),
    );

    assert_eq!(api.get("/api/v1/cart", None).await.status, 401);
    let empty = api.get("/api/v1/cart", Some(&token)).await;
    assert_eq!((empty.status, empty.body["lines"].as_array().unwrap().len()), (200, 0));

    api.post("/api/v1/cart/items", Some(&token), json!({"sku": sku, "quantity": 2})).await;
    let merged = api.post("/api/v1/cart/items", Some(&token), json!({"sku": sku, "quantity": 1})).await;
    assert_eq!(merged.status, 200, "{}", merged.text);
    assert_eq!(merged.body["lines"][0]["quantity"], 3);
    assert_eq!(merged.body["lines"][0]["unit_price"]["amount"], price);
    assert_eq!(merged.body["subtotal"]["amount"], price * 3);

    let priced_by_client =
        api.post("/api/v1/cart/items", Some(&token), json!({"sku": sku, "quantity": 1, "price": 1})).await;
    assert_eq!(priced_by_client.status, 400, "a price on a cart line is never the client's");
    assert_eq!(
        api.post("/api/v1/cart/items", Some(&token), json!({"sku": "NO-SUCH-SKU", "quantity": 1})).await.status,
        404
    );
    for bad in [0, -1, 101] {
        assert_eq!(
            api.post("/api/v1/cart/items", Some(&token), json!({"sku": sku, "quantity": bad})).await.status,
            400,
            "{bad}"
        );
    }

    let path = format!("/api/v1/cart/items/{sku}");
    let set = api.patch(&path, Some(&token), json!({"quantity": 5})).await;
    assert_eq!(set.body["lines"][0]["quantity"], 5);
    let removed = api.send(reqwest::Method::DELETE, &path, Some(&token), None).await;
    assert_eq!((removed.status, removed.body["lines"].as_array().unwrap().len()), (200, 0));
    assert_eq!(api.patch(&path, Some(&token), json!({"quantity": 1})).await.status, 404, "no such line");
    app.stop().await;
}
