//! The attack table of the trust boundary, replayed on the all-in-one platform and on the
//! fleet (each service its own process, real RabbitMQ, Redis and the MongoDB stand-in): a
//! customer at the services' gRPC ports, a customer with only the REST API, and the
//! container image's default command.

use std::time::Duration;

use serde_json::json;
use shop_e2e::{
    Process, Running,
    commerce::{Shop, a_customer_at_the_grpc_ports_changes_nothing, token},
    fleet::{Fleet, Options},
    services::Services,
};

/// The platform with sign-in limits out of the way: the scenario registers several
/// customers from one address.
async fn platform() -> Running {
    Running::start_with(&shop_e2e::unthrottled()).await
}

#[tokio::test]
async fn on_the_all_in_one_a_customer_at_the_grpc_ports_changes_nothing() {
    let app = platform().await;
    let admin = token(&app.api, "admin@shop.local", "admin-demo-password").await;
    let services = Services::of(&app.platform);
    a_customer_at_the_grpc_ports_changes_nothing(&Shop::new(&app.api, admin, &services), &services).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_fleet_a_customer_at_the_grpc_ports_changes_nothing() {
    let _one = Fleet::exclusive().await;
    let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
    let services = fleet.services();
    let shop = Shop::new(&fleet.api, fleet.admin().await, &services);
    a_customer_at_the_grpc_ports_changes_nothing(&shop, &services).await;
    fleet.stop(&[]);
}

/// The all-in-one demo image's `ENV` settings and its command, read from `deploy/Dockerfile`.
fn image_defaults() -> (Vec<(String, String)>, String) {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/Dockerfile")).unwrap();
    let demo = dockerfile.split("\nFROM ").find(|stage| stage.starts_with("runtime AS all-in-one-demo")).unwrap();
    let env = demo
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let entrypoint = demo.lines().find_map(|l| l.strip_prefix("ENTRYPOINT [\"")).unwrap();
    let path = entrypoint.split('"').next().unwrap();
    (env, path.rsplit('/').next().unwrap().to_owned())
}

#[tokio::test]
async fn the_images_default_command_starts_no_demo_shop_on_a_public_address() {
    let (mut env, command) = image_defaults();
    assert!(env.iter().any(|(k, v)| k == "SHOP_HTTP__HOST" && v == "0.0.0.0"), "{env:?}");
    // As the image runs it, on ports of its own.
    env.push(("SHOP_HTTP__PORT".into(), shop_test_support::free_port().to_string()));
    env.push(("SHOP_GRPC_BASE_PORT".into(), "0".into()));
    env.push(("SHOP_METRICS_BASE_PORT".into(), "0".into()));
    env.push(("RUST_BACKTRACE".into(), "0".into()));
    let mut shop = Process::spawn(&command, &env);
    let status = shop.wait(Duration::from_secs(30)).expect("it refuses to start");
    assert!(!status.success(), "the all-in-one on 0.0.0.0 without an admin and a webhook secret must not run");
}

#[tokio::test]
async fn on_a_public_address_the_demo_webhook_secret_moves_no_money() {
    let mut public = shop::Settings::ephemeral();
    public.http = shop_platform::settings::Listen::any(0);
    public.admin_email = Some("owner@shop.example".into());
    public.admin_password = Some(shop_platform::settings::Secret::new("a long owner passphrase"));
    public.payment_webhook_secret = Some(shop_platform::settings::Secret::new("whsec_of_this_public_shop"));
    let app = Running::start_with(&public).await;
    let refund = json!({"id": format!("evt_{}", uuid::Uuid::now_v7().simple()), "type": "charge.refunded",
        "data": {"order_id": uuid::Uuid::now_v7().to_string(), "amount": 100}})
    .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = shop_payment::webhook::sign(shop::DEMO_WEBHOOK_SECRET.as_bytes(), now, refund.as_bytes());
    let res = app
        .api
        .client
        .post(format!("{}/api/v1/payments/webhook", app.api.base))
        .header("content-type", "application/json")
        .header("payment-signature", signature)
        .body(refund)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the demo secret signs nothing on a public shop");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad_webhook", "refused for its signature: {body}");
    app.stop().await;
}

/// An event on the bus claiming an order was paid 1 cent (as a forged or corrupted
/// `payment.succeeded` would) pays nothing: order checks the amount against its total,
/// cancels the order, flags why, and the real charge is refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_fleet_a_payment_for_the_wrong_amount_pays_no_order() {
    use shop_e2e::commerce::{add_to_cart, checkout, customer, invariants, key, orders_of, product_with_stock, vendor};
    use shop_messaging::{EventBus, RabbitBus, kind};
    use shop_proto::{common::v1::Money, events::v1::PaymentEvent};

    let _one = Fleet::exclusive().await;
    // A slow provider holds the checkout between its reservation and the charge's answer.
    let options = Options {
        no_demo_data: true,
        env: vec![("payment", "SHOP_SANDBOX_LATENCY_MS", "3000".to_owned())],
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let seller = vendor(api, &admin).await;
    let sku = product_with_stock(api, &seller, 13598, 3).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 1).await;
    let placing = {
        let (api, buyer) = (api.clone(), buyer.clone());
        tokio::spawn(async move { checkout(&api, &buyer, &key(), "tok_visa").await })
    };
    let reserved = shop_test_support::eventually(Duration::from_secs(10), || async {
        orders_of(api, &admin, &sku).await.iter().any(|o| o["status"] == "reserved")
    })
    .await;
    assert!(reserved, "the checkout waits on the provider");
    let order = orders_of(api, &admin, &sku).await.remove(0);
    let id = order["id"].as_str().unwrap().to_owned();

    let forged = PaymentEvent {
        payment_id: id.clone(),
        order_id: id.clone(),
        amount: Some(Money { amount: 1, currency: "USD".into() }),
        failure_code: String::new(),
        refunded: None,
    };
    let bus = RabbitBus::new(&shop_test_support::amqp_url(), shop_messaging::BusSettings::default());
    bus.publish(&shop_messaging::new_event(kind::PAYMENT_SUCCEEDED, "payment", &forged)).await.unwrap();

    let answer = placing.await.unwrap();
    assert_eq!(answer.status, 409, "the checkout did not go through: {}", answer.text);
    let seen = api.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!(seen.body["status"], "cancelled", "{}", seen.text);
    let reason = seen.body["cancel_reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("payment_mismatch"), "flagged: {reason}");
    // The real charge, which landed after the order was cancelled, is refunded and order
    // records it.
    let refunded = shop_test_support::eventually(Duration::from_secs(30), || async {
        api.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.body["payment"]["status"] == "refunded"
    })
    .await;
    assert!(refunded, "{}", api.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await.text);
    let services = fleet.services();
    let shop = Shop::new(api, admin.clone(), &services);
    invariants(&shop, &seller, &sku, 3).await;
    fleet.stop(&[]);
}

/// One customer starting many checkouts at once (each with its own key) to hold a shop's
/// stock: three run, the others get 429 and hold nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_fleet_one_customer_runs_at_most_three_checkouts_at_once() {
    use shop_e2e::commerce::{add_to_cart, checkout, customer, invariants, key, product_with_stock, vendor};

    let _one = Fleet::exclusive().await;
    let options = Options {
        no_demo_data: true,
        env: vec![("payment", "SHOP_SANDBOX_LATENCY_MS", "1500".to_owned())],
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let seller = vendor(api, &admin).await;
    let sku = product_with_stock(api, &seller, 999, 10).await;
    let hoarder = customer(api).await;
    add_to_cart(api, &hoarder, &sku, 1).await;
    let keys: Vec<String> = (0..8).map(|_| key()).collect();
    let attempts = keys.iter().map(|k| checkout(api, &hoarder, k, "tok_visa"));
    let replies = futures::future::join_all(attempts).await;
    let placed = replies.iter().filter(|r| r.status == 201).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert!((1..=3).contains(&placed), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(placed + refused.len(), 8, "{:?}", replies.iter().map(|r| &r.text).collect::<Vec<_>>());
    assert!(refused.iter().all(|r| r.body["code"] == "too_many_checkouts"), "{}", refused[0].text);
    // Once they finished, the customer checks out again.
    add_to_cart(api, &hoarder, &sku, 1).await;
    assert_eq!(checkout(api, &hoarder, &key(), "tok_visa").await.status, 201);
    let services = fleet.services();
    invariants(&Shop::new(api, admin.clone(), &services), &seller, &sku, 10).await;
    fleet.stop(&[]);
}
