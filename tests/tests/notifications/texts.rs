//! Optional notices and their preferences: a shipping text message through a real HTTP SMS
//! provider (the sink's, spoken as Twilio is), only for a customer who chose it and only
//! to a number one can text; a declined low-stock digest not sent; transactional mail sent
//! whatever the account chose.

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api,
    commerce::{self, add_to_cart, checkout, product_with_stock},
    fleet::Fleet,
};
use shop_test_support::smtp::SmtpSink;

use super::{MAIL, register, token_of};

/// A customer with a verified address: (email, access token).
async fn verified_customer(api: &Api, sink: &SmtpSink) -> (String, String) {
    let (email, _, session) = register(api).await;
    let token = token_of(&sink.wait_for(&email, 1, MAIL).await[0]);
    assert_eq!(api.post("/api/v1/auth/verify-email", None, json!({"token": token})).await.status, 200);
    (email, session["access_token"].as_str().unwrap().to_owned())
}

async fn put(api: &Api, token: Option<&str>, body: Value) -> shop_e2e::Reply {
    api.send(reqwest::Method::PUT, "/api/v1/me/notifications", token, Some(body)).await
}

/// Places an order of one unit and ships it with a tracking number: its id.
async fn shipped_order(api: &Api, admin: &str, customer: &str, sku: &str) -> String {
    add_to_cart(api, customer, sku, 1).await;
    let placed = checkout(api, customer, &commerce::key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    let tracking = json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"});
    let shipped = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(admin), tracking).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    id
}

pub async fn preferences_and_texts(fleet: &Fleet, sink: &SmtpSink) {
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let vendor = commerce::vendor(api, &admin).await;
    let sku = product_with_stock(api, &vendor, 990, 20).await;
    let (email, customer) = verified_customer(api, sink).await;

    let defaults = api.get("/api/v1/me/notifications", Some(&customer)).await;
    assert_eq!(defaults.status, 200, "{}", defaults.text);
    assert_eq!(defaults.body, json!({"shipping_sms": false, "stock_digest": true, "sms_to": null, "updated_at": null}));
    assert_eq!(api.get("/api/v1/me/notifications", None).await.status, 401);
    assert_eq!(put(api, None, json!({"shipping_sms": true})).await.status, 401);
    let unknown = put(api, Some(&customer), json!({"order_confirmation": false})).await;
    assert_eq!(unknown.status, 400, "transactional mail is not a choice: {}", unknown.text);
    let no_number = put(api, Some(&customer), json!({"shipping_sms": true})).await;
    assert_eq!(no_number.status, 400, "{}", no_number.text);
    assert_eq!(no_number.body["errors"][0]["field"], "shipping_sms", "{}", no_number.text);

    let address = json!({"name": "Ada Lovelace", "phone": "+49 30 1234-5678", "line1": "1 Test Street",
        "city": "Berlin", "postal_code": "10115", "country": "DE"});
    let profile = api.patch("/api/v1/me", Some(&customer), json!({"address": address})).await;
    assert_eq!(profile.status, 200, "{}", profile.text);
    let chosen = put(api, Some(&customer), json!({"shipping_sms": true})).await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    assert_eq!((&chosen.body["shipping_sms"], &chosen.body["stock_digest"]), (&json!(true), &json!(true)));
    assert_eq!(chosen.body["sms_to"], "+493012345678");
    assert!(chosen.body["updated_at"].is_string(), "{}", chosen.text);

    // The provider is busy once: the text goes out on the next attempt, once.
    sink.refuse_texts(&[503], "{\"code\": 20500, \"message\": \"busy\"}").await;
    let id = shipped_order(api, &admin, &customer, &sku).await;
    // To the phone on the parcel (the checkout's address), not the profile's.
    let texts = sink.wait_for_texts("+15550100", 1, MAIL).await;
    let text = &texts[0];
    assert_eq!(text.format, "twilio");
    assert_eq!(text.from, "FleetShop");
    assert!(text.text.contains("is on its way with UPS, tracking number 1Z999AA10123456784"), "{}", text.text);
    assert!(text.text.contains(&format!("https://shop.fleet.test/account/orders/{id}")), "{}", text.text);
    assert!(text.authorization.as_deref().is_some_and(|a| a.starts_with("Basic ")), "{text:?}");
    // The shipped mail went too (mail is not given up for a text).
    let mails = sink.wait_for(&email, 3, MAIL).await;
    assert!(mails[2].subject.contains("on its way"), "{}", mails[2].subject);
    let log = api.get("/api/v1/admin/notifications/messages?recipient=%2B15550100", Some(&admin)).await;
    assert_eq!(log.status, 200, "{}", log.text);
    let entry = &log.body["items"][0];
    assert_eq!(
        (entry["channel"].as_str(), entry["status"].as_str(), entry["attempts"].as_u64()),
        (Some("sms"), Some("sent"), Some(2)),
        "{entry}"
    );
    assert_eq!(entry["provider_message_id"], text.id.as_str());
    assert_eq!(entry["template"], "order_shipped_sms");

    // Another customer, who did not choose texts: the shipped mail, no text.
    let (other, other_customer) = verified_customer(api, sink).await;
    shipped_order(api, &admin, &other_customer, &sku).await;
    let mails = sink.wait_for(&other, 3, MAIL).await;
    assert!(mails[2].subject.contains("on its way"), "{}", mails[2].subject);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.texts().await.len(), 1, "no text for a customer who did not choose it");

    // Texts declined again: transactional mail still goes (a reset link).
    let declined = put(api, Some(&customer), json!({"shipping_sms": false, "stock_digest": false})).await;
    assert_eq!((declined.status, &declined.body["shipping_sms"]), (200, &json!(false)), "{}", declined.text);
    assert_eq!(api.post("/api/v1/auth/password-reset", None, json!({"email": email})).await.status, 202);
    let reset = sink.wait_for(&email, 4, MAIL).await;
    assert!(reset[3].subject.to_lowercase().contains("reset"), "{}", reset[3].subject);
}

/// Two vendors' SKUs run low together: the one who declined the digest gets none, the
/// other gets theirs.
pub async fn declined_digest(fleet: &Fleet, sink: &SmtpSink) {
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let mut vendors = Vec::new();
    for _ in 0..2 {
        let (email, password, session) = register(api).await;
        let id = session["user"]["id"].as_str().unwrap();
        let promoted = api.patch(&format!("/api/v1/admin/users/{id}"), Some(&admin), json!({"role": "vendor"})).await;
        assert_eq!(promoted.status, 200, "{}", promoted.text);
        sink.wait_for(&email, 1, MAIL).await;
        vendors.push((email.clone(), commerce::token(api, &email, &password).await));
    }
    let declined = put(api, Some(&vendors[0].1), json!({"stock_digest": false})).await;
    assert_eq!((declined.status, &declined.body["stock_digest"]), (200, &json!(false)), "{}", declined.text);
    let low = json!({"on_hand": 1, "low_stock_threshold": 5});
    for (_, vendor) in &vendors {
        let sku = product_with_stock(api, vendor, 500, 50).await;
        let path = format!("/api/v1/inventory/{sku}");
        let set = api.send(reqwest::Method::PUT, &path, Some(vendor), Some(low.clone())).await;
        assert_eq!(set.status, 200, "{}", set.text);
    }
    let digest = sink.wait_for(&vendors[1].0, 2, MAIL).await;
    assert!(digest[1].subject.contains("running low"), "{}", digest[1].subject);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.to(&vendors[0].0).await.len(), 1, "a declined digest is not sent");
}
