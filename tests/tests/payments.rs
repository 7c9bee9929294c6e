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
