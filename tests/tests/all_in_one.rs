//! The read path through the all-in-one platform: gateway → catalog over real gRPC.

use serde_json::Value;
use shop_catalog::seed::demo_product_id;
use shop_e2e::Running;
use shop_test_support::http;

#[tokio::test]
async fn a_seeded_product_is_served_with_its_variants() {
    let app = Running::start().await;
    let id = demo_product_id(1);
    let res = http().get(format!("{}/api/v1/products/{id}", app.api.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], id.to_string());
    assert_eq!(body["status"], "active");
    assert!(!body["name"].as_str().unwrap().is_empty());
    let variants = body["variants"].as_array().unwrap();
    assert!(!variants.is_empty());
    assert!(variants[0]["price"]["amount"].as_i64().unwrap() > 0);
    assert_eq!(variants[0]["price"]["currency"], "USD");
    assert!(body["rating"]["count"].is_u64());
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_id_is_a_400_problem_naming_the_field() {
    let app = Running::start().await;
    for bad in ["nope", "%7B%22%24gt%22%3A%22%22%7D", &"x".repeat(300)] {
        let res = http().get(format!("{}/api/v1/products/{bad}", app.api.base)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["status"], 400);
        assert_eq!(body["errors"][0]["field"], "id");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_product_or_route_is_a_404_problem() {
    let app = Running::start().await;
    let res = http().get(format!("{}/api/v1/products/{}", app.api.base, uuid::Uuid::now_v7())).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["type"], "/problems/not_found");

    let res = http().get(format!("{}/api/v1/nothing-here", app.api.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = Running::start().await;
    let url = format!("{}/healthz", app.api.base);
    let res = http().get(&url).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = http().get(&url).header("x-request-id", "bad id\twith tab").send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_served_routes() {
    let app = Running::start().await;
    let doc: Value =
        http().get(format!("{}/api/openapi.json", app.api.base)).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in ["/api/v1/products/{id}", "/healthz", "/readyz"] {
        assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys());
    }
    assert!(doc["components"]["schemas"]["ProductView"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_the_calls_made_upstream() {
    let app = Running::start().await;
    let id = demo_product_id(2);
    http().get(format!("{}/api/v1/products/{id}", app.api.base)).send().await.unwrap();
    let text = http().get(format!("{}/metrics", app.api.base)).send().await.unwrap().text().await.unwrap();
    let labels = [("method", "GET"), ("route", "/api/v1/products/{id}"), ("status", "200"), ("service", "gateway")];
    assert_eq!(shop_test_support::metric(&text, "http_server_requests_total", &labels), Some(1.0), "{text}");
    assert!(text.contains("http_server_request_duration_seconds_bucket"));
    let client_calls = text.lines().find(|l| {
        l.starts_with("grpc_client_requests_total")
            && l.contains(r#"grpc_method="/shop.catalog.v1.CatalogService/GetProduct""#)
            && l.contains(r#"target="catalog""#)
            && l.contains(r#"grpc_code="Ok""#)
    });
    assert!(client_calls.is_some(), "the gateway counts its calls to catalog: {text}");
    app.stop().await;
}

#[tokio::test]
async fn on_a_public_address_the_all_in_one_is_no_demo_shop() {
    let mut public = shop::Settings::ephemeral();
    public.http = shop_platform::settings::Listen::any(0);
    let refused = shop::start(&public, shop_platform::Shutdown::new()).await.err().expect("refused to start");
    let message = refused.to_string();
    for setting in ["SHOP_ADMIN_EMAIL", "SHOP_ADMIN_PASSWORD", "SHOP_PAYMENT_WEBHOOK_SECRET"] {
        assert!(message.contains(setting), "the refusal names {setting}: {message}");
    }

    public.admin_email = Some("owner@shop.example".into());
    public.admin_password = Some(shop_platform::settings::Secret::new("a long owner passphrase"));
    public.payment_webhook_secret = Some(shop_platform::settings::Secret::new("whsec_of_this_shop"));
    let app = Running::start_with(&public).await;
    let demo = app.api.login("admin@shop.local", "admin-demo-password").await;
    assert_eq!(demo.status, 401, "no demo accounts on a public address: {}", demo.text);
    let owner = app.api.login("owner@shop.example", "a long owner passphrase").await;
    assert_eq!(owner.status, 200, "{}", owner.text);
    for (name, addr) in &app.platform.services {
        assert!(addr.ip().is_loopback(), "{name} listens on {addr}: services stay on loopback");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_mail_server_mail_and_texts_land_in_the_dev_mailbox_with_working_links() {
    let app = Running::start().await;
    let (email, _, session) = app.api.register_customer().await;
    let admin = shop_e2e::commerce::token(&app.api, "admin@shop.local", "admin-demo-password").await;
    let welcome = || async {
        let mailbox = app.api.get("/api/v1/admin/mailbox", Some(&admin)).await;
        assert_eq!(mailbox.status, 200, "{}", mailbox.text);
        mailbox.body["items"].as_array().unwrap().iter().find(|m| m["to"] == email.as_str()).cloned()
    };
    let arrived =
        shop_test_support::eventually(std::time::Duration::from_secs(10), || async { welcome().await.is_some() }).await;
    assert!(arrived, "the welcome mail is in the dev mailbox");
    let welcome = welcome().await.unwrap();
    let text = welcome["text"].as_str().unwrap();
    let token = text.split("token=").nth(1).unwrap().split_whitespace().next().unwrap();
    let verified = app.api.post("/api/v1/auth/verify-email", None, serde_json::json!({"token": token})).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let me = app.api.get("/api/v1/me", Some(session["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["email_verified"], true);
    // The mailbox is the admin's: the customer gets 403.
    let customer = session["access_token"].as_str().unwrap();
    assert_eq!(app.api.get("/api/v1/admin/mailbox", Some(customer)).await.status, 403);

    // Without an SMS provider, a shipping text lands there too.
    use shop_e2e::commerce::{self, add_to_cart, checkout, product_with_stock};
    let address = serde_json::json!({"name": "Ada", "phone": "+44 20 7946 0958", "line1": "1 Street",
        "city": "London", "postal_code": "N1 1AA", "country": "GB"});
    assert_eq!(app.api.patch("/api/v1/me", Some(customer), serde_json::json!({"address": address})).await.status, 200);
    let chosen = app
        .api
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(customer),
            Some(serde_json::json!({"shipping_sms": true})),
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    let vendor = commerce::vendor(&app.api, &admin).await;
    let sku = product_with_stock(&app.api, &vendor, 700, 5).await;
    add_to_cart(&app.api, customer, &sku, 1).await;
    let placed = checkout(&app.api, customer, &commerce::key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let ship = format!("/api/v1/admin/orders/{}/ship", placed.body["id"].as_str().unwrap());
    assert_eq!(app.api.post(&ship, Some(&admin), serde_json::json!({"carrier": "Royal Mail"})).await.status, 200);
    let text = || async {
        let mailbox = app.api.get("/api/v1/admin/mailbox", Some(&admin)).await;
        mailbox.body["items"].as_array().unwrap().iter().find(|m| m["channel"] == "sms").cloned()
    };
    let texted =
        shop_test_support::eventually(std::time::Duration::from_secs(10), || async { text().await.is_some() }).await;
    assert!(texted, "the shipping text is in the dev mailbox");
    let text = text().await.unwrap();
    assert_eq!(text["to"], "+15550100", "to the parcel's phone: {text}");
    assert!(text["text"].as_str().unwrap().contains("on its way with Royal Mail"), "{text}");
    app.stop().await;
}
