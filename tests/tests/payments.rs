//! The payment provider's callbacks through the gateway: only signed, fresh ones count,
//! and each once.

use serde_json::json;
use shop_e2e::Running;

const SECRET: &[u8] = b"whsec_all_in_one_demo";

#[tokio::test]
async fn webhooks_need_a_valid_fresh_signature_and_replays_change_nothing() {
    let app = Running::start().await;
    let api = &app.api;
    let payload = json!({"id": format!("evt_{}", uuid::Uuid::now_v7().simple()), "type": "charge.updated", "data": {}})
        .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let post = |signature: String, body: String| {
        api.client
            .post(format!("{}/api/v1/payments/webhook", api.base))
            .header("content-type", "application/json")
            .header("payment-signature", signature)
            .body(body)
            .send()
    };
    let good = shop_payment::webhook::sign(SECRET, now, payload.as_bytes());
    let res = post(good.clone(), payload.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        post(good.clone(), payload.clone()).await.unwrap().status(),
        200,
        "a replay is acknowledged, not applied"
    );
    let forged = shop_payment::webhook::sign(b"not the secret", now, payload.as_bytes());
    let res = post(forged, payload.clone()).await.unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad_webhook");
    let tampered = post(good, payload.replace("charge.updated", "charge.refunded")).await.unwrap();
    assert_eq!(tampered.status(), 400);
    let stale = shop_payment::webhook::sign(SECRET, now - 3600, payload.as_bytes());
    assert_eq!(post(stale, payload.clone()).await.unwrap().status(), 400);
    assert_eq!(post(String::new(), payload).await.unwrap().status(), 400);
    app.stop().await;
}

/// A refund made at the provider (its `charge.refunded` webhook) is recorded, not asked
/// for again, and the order follows: refunded, its unshipped units back on the shelf. A
/// replay changes nothing.
#[tokio::test]
async fn a_refund_made_at_the_provider_is_followed_by_payment_and_order() {
    use shop_e2e::{
        commerce::{
            Shop, add_to_cart, checkout, customer, invariants, key, product_with_stock, stock_settles, token, vendor,
            with_token,
        },
        services::Services,
    };
    let mut settings = shop::Settings::ephemeral();
    let generous = shop_gateway::ratelimit::Limit { per_minute: 100_000, burst: 10_000 };
    settings.rate_limits.auth = generous;
    let app = Running::start_with(&settings).await;
    let api = &app.api;
    let admin = token(api, "admin@shop.local", "admin-demo-password").await;
    let seller = vendor(api, &admin).await;
    let sku = product_with_stock(api, &seller, 4200, 3).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 1).await;
    let placed = checkout(api, &buyer, &key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let id = placed.body["id"].as_str().unwrap().to_owned();

    let refund = json!({"id": format!("evt_{}", uuid::Uuid::now_v7().simple()), "type": "charge.refunded",
        "data": {"order_id": id, "amount": 4200}})
    .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = shop_payment::webhook::sign(SECRET, now, refund.as_bytes());
    for _ in 0..2 {
        let res = api
            .client
            .post(format!("{}/api/v1/payments/webhook", api.base))
            .header("content-type", "application/json")
            .header("payment-signature", signature.clone())
            .body(refund.clone())
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert_eq!(status, 200, "taken, and a replay acknowledged: {}", res.text().await.unwrap());
    }
    let followed = shop_test_support::eventually(std::time::Duration::from_secs(10), || async {
        let order = api.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.body;
        order["status"] == "refunded" && order["payment"]["status"] == "refunded"
    })
    .await;
    assert!(followed, "{}", api.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.text);
    stock_settles(api, &seller, &sku, (3, 0, 3)).await;
    let services = Services::of(&app.platform);
    let shop = Shop::new(api, admin.clone(), &services);
    let payment = shop
        .payment
        .clone()
        .get_payment(with_token(shop_proto::payment::v1::GetPaymentRequest { order_id: id.clone() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.refunded.map(|m| m.amount), Some(4200), "refunded once, in full");
    invariants(&shop, &seller, &sku, 3).await;
    app.stop().await;
}
